//! The global scope (window or worker) through `js/env.js`: clocks, randomness, location, URL
//! parsing, timers and the captured `fetch`.

use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

use crate::core::Instant;

#[wasm_bindgen(module = "/js/env.js")]
extern "C" {
    #[wasm_bindgen(js_name = monoNow)]
    fn mono_now() -> f64;
    #[wasm_bindgen(js_name = wallNow)]
    pub fn wall_now() -> f64;
    #[wasm_bindgen(js_name = baseUrl)]
    pub fn base_url() -> Option<String>;
    #[wasm_bindgen(js_name = resolveUrl)]
    fn resolve_url(url: &str, relative: bool) -> JsValue;
    /// The global `fetch`, captured once so a later monkey-patch of `window.fetch` by other
    /// code does not change what the manager calls (and the manager never patches it itself).
    #[wasm_bindgen(js_name = globalFetch)]
    pub fn global_fetch() -> Option<Function>;
    /// `setTimeout` on the global scope for `done(0, null, 10)` (the answer callback) in `ms`;
    /// its handle (undefined where there is none).
    #[wasm_bindgen(js_name = setTimer)]
    fn set_timer(done: &JsValue, ms: u32) -> JsValue;
    /// `f` bound to the zone.js zone it was given in (itself without zone.js).
    #[wasm_bindgen(js_name = inCallerZone)]
    pub fn in_caller_zone(f: &Function) -> Function;
    /// `done(0, null, 11)` (the answer callback) in a microtask.
    pub fn soon(done: &JsValue);
    /// The BroadcastChannel `name`, its messages' data given to `done(0, data, 12)`; null
    /// where there is none.
    #[wasm_bindgen(js_name = openChannel)]
    pub fn open_channel(name: &str, done: &JsValue) -> Option<web_sys::BroadcastChannel>;
    /// `clearTimeout(handle)`.
    #[wasm_bindgen(js_name = clearTimer)]
    pub fn clear_timeout(handle: &JsValue);
    /// `p.then(...deferred)`, or `p` marked handled (`auth.ready`).
    pub fn follow(p: &js_sys::Promise, deferred: &JsValue);
}

/// Read both clocks now.
pub fn now() -> Instant {
    Instant::new(mono_now(), wall_now())
}

/// Uniform sample in `[0, 1)`.
pub fn random01() -> f64 {
    js_sys::Math::random()
}

fn url_parts(url: &str, relative: bool) -> Option<(String, String)> {
    let parts: Array = resolve_url(url, relative).dyn_into().ok()?;
    Some((parts.get(0).as_string()?, parts.get(1).as_string()?))
}

/// Resolve `url` against the page and return `(href, origin)`; `None` when it does not parse.
pub fn resolve(url: &str) -> Option<(String, String)> {
    url_parts(url, true)
}

/// The origin of an absolute URL (`"null"` for opaque origins such as `data:`).
pub fn origin_of(url: &str) -> Option<String> {
    url_parts(url, false).map(|(_, origin)| origin)
}

/// Call `done(0, null, 10)` after `ms`; `None` where there is no `setTimeout` or it threw.
pub fn set_timeout(done: &JsValue, ms: u32) -> Option<JsValue> {
    Some(set_timer(done, ms)).filter(|h| !h.is_undefined())
}
