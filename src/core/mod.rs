//! The pure core: everything that *decides*. No wasm-bindgen, web-sys or js-sys in here;
//! time and randomness come in as arguments so every rule is unit-tested natively.

pub mod challenge;
pub mod clock;
pub mod dpop;
pub mod error;
pub mod fifo;
pub mod idmap;
pub mod jwt_json;
pub mod machine;
pub mod options;
pub mod policy;
pub mod request;
pub mod run;
pub mod secret;
pub mod session;
pub mod token;

pub use clock::Instant;
pub use error::{Error, ErrorCode};
