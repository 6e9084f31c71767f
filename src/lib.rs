//! wasm-token-manager: JWT access-token manager for the browser.
//!
//! `core` decides (pure Rust, natively tested); `web` touches the browser; this file is the
//! JS surface.

pub mod core;
#[cfg(test)]
mod tests;

/// Talc instead of std's dlmalloc: a few KB smaller in the module (benches/SIZE.md); the page
/// is single-threaded (no `atomics` target feature).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
mod web;
#[cfg(target_arch = "wasm32")]
pub use bindings::{decode_jwt, TokenManager};
