// wasm-token-manager: JWT access-token manager for the browser.
//
// `core` decides (pure Rust, natively tested); `web` touches the browser; `bindings` is the JS
// surface (feature `js`, on by default), `api` the Rust one (feature `api`) and `adapters` its
// framework layers (a feature each, which turns `api` on). The crate's documentation is the guide for Rust apps (docs/rust.md), on wasm32, the
// only target where the API exists (docs.rs builds that one).
#![cfg_attr(target_arch = "wasm32", doc = include_str!("../docs/rust.md"))]
#![cfg_attr(
    not(target_arch = "wasm32"),
    doc = "The pure core of wasm-token-manager; the API is on wasm32 (see docs/rust.md)."
)]

pub mod core;
#[cfg(test)]
mod tests;

/// Talc instead of std's dlmalloc: a few KB smaller in the module (benches/SIZE.md); the page
/// is single-threaded (no `atomics` target feature).
#[cfg(all(target_arch = "wasm32", feature = "js", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(all(target_arch = "wasm32", feature = "api"))]
pub mod adapters;
#[cfg(all(target_arch = "wasm32", feature = "api"))]
mod api;
#[cfg(all(target_arch = "wasm32", feature = "js"))]
mod bindings;
#[cfg(target_arch = "wasm32")]
#[cfg_attr(not(all(feature = "js", feature = "api")), allow(dead_code))]
mod web;
#[cfg(all(target_arch = "wasm32", feature = "api"))]
pub use api::{
    Error, ErrorCode, Event, LoginBody, LoginRedirect, Options, Scope, Snapshot, State, Subscription, TokenManager,
};

/// The JS surface, as the npm package exports it (`TokenManager`, `decodeJwt`).
#[cfg(all(target_arch = "wasm32", feature = "js"))]
pub mod js {
    pub use crate::bindings::{decode_jwt, TokenManager};
}
