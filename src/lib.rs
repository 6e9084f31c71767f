//! wasm-token-manager: JWT access-token manager for the browser.
//!
//! `core` decides (pure Rust, natively tested); `web` touches the browser; this file is the
//! JS surface.

pub mod core;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
mod web;
#[cfg(target_arch = "wasm32")]
pub use bindings::{decode_jwt, TokenManager};
