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
#[cfg(test)]
mod token_differential;
/// The decoder until 2026-12 (jwt-compact), the reference for the differential test.
#[cfg(test)]
pub(crate) mod token_reference;

pub use clock::Instant;
pub use error::{Error, ErrorCode};
