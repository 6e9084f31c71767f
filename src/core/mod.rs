//! The pure core: everything that *decides*. No wasm-bindgen, web-sys or js-sys in here;
//! time and randomness come in as arguments so every rule is unit-tested natively.

pub mod clock;
pub mod dpop;
pub mod error;
pub mod machine;
pub mod options;
pub mod policy;
pub mod request;
pub mod run;
pub mod session;
pub mod token;

pub use clock::Instant;
pub use error::{Error, ErrorCode};
