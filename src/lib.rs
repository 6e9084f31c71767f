//! wasm-token-manager: JWT access-token manager for the browser.
//!
//! `core` decides (pure Rust, natively tested); `web` touches the browser; `bindings` is the
//! JS surface (feature `js`, on by default) and `api` the Rust one.

pub mod core;
#[cfg(test)]
mod tests;

/// Talc instead of std's dlmalloc: a few KB smaller in the module (benches/SIZE.md); the page
/// is single-threaded (no `atomics` target feature).
#[cfg(all(target_arch = "wasm32", feature = "js", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(target_arch = "wasm32")]
pub mod adapters;
#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(all(target_arch = "wasm32", feature = "js"))]
mod bindings;
#[cfg(target_arch = "wasm32")]
#[cfg_attr(not(feature = "js"), allow(dead_code))]
mod web;
#[cfg(target_arch = "wasm32")]
pub use api::{
    Error, ErrorCode, Event, LoginBody, LoginRedirect, Options, Scope, Snapshot, State, Subscription, TokenManager,
};

/// The JS surface, as the npm package exports it (`TokenManager`, `decodeJwt`).
#[cfg(all(target_arch = "wasm32", feature = "js"))]
pub mod js {
    pub use crate::bindings::{decode_jwt, TokenManager};
}
