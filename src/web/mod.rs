//! Browser glue: moves data between the browser and `core`, decides nothing.
//!
//! `manager` holds the state; `refresh` runs a refresh; `schedule` arms the timer and reacts to
//! wake-ups; `account` is login/logout/setAccessToken; `fetch` is the request pipeline;
//! `crosstab` is the cross-tab transport and protocol; `net` is HTTP transport only.

pub mod account;
pub mod crosstab;
pub mod dpop;
pub mod env;
pub mod error;
pub mod events;
pub mod fetch;
pub mod js;
pub mod lifecycle;
pub mod manager;
pub mod net;
pub mod options;
pub mod refresh;
pub mod schedule;
pub mod store;
pub mod token_response;

use std::future::Future;
use std::pin::Pin;

use wasm_bindgen::JsValue;

/// `future_to_promise` and `spawn_local` are generic over the future type, and every
/// instantiation costs kilobytes of wasm. All our futures go through these two boxed entry
/// points, so each is instantiated once.
pub fn promise(f: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> js_sys::Promise {
    let boxed: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>> = Box::pin(f);
    wasm_bindgen_futures::future_to_promise(boxed)
}

pub fn spawn(f: impl Future<Output = ()> + 'static) {
    let boxed: Pin<Box<dyn Future<Output = ()>>> = Box::pin(f);
    wasm_bindgen_futures::spawn_local(boxed);
}
