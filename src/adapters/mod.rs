//! Framework adapters of the Rust API, each behind its cargo feature. Each is a thin layer on
//! [`TokenManager::subscribe`](crate::TokenManager::subscribe) (a reactive snapshot for the
//! UI) and [`TokenManager::fetch`](crate::TokenManager::fetch) (requests); the token itself
//! is read untracked, so a refresh re-renders nothing that only sends requests.

#[cfg(feature = "dioxus")]
pub mod dioxus;
#[cfg(feature = "gloo-net")]
pub mod gloo_net;
#[cfg(feature = "leptos")]
pub mod leptos;
#[cfg(feature = "yew")]
pub mod yew;
