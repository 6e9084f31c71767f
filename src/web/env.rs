//! The global scope (window or worker): clocks, randomness, location, captured `fetch`.

use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::core::Instant;

/// Read both clocks now.
pub fn now() -> Instant {
    let mono = Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or_else(js_sys::Date::now, |p| p.now());
    Instant::new(mono, js_sys::Date::now())
}

/// Uniform sample in `[0, 1)`.
pub fn random01() -> f64 {
    js_sys::Math::random()
}

/// `location.href` of the page or worker, if any.
pub fn base_url() -> Option<String> {
    let location = Reflect::get(&js_sys::global(), &"location".into()).ok()?;
    Reflect::get(&location, &"href".into()).ok()?.as_string()
}

/// The global `fetch`, captured once so a later monkey-patch of `window.fetch` by other code
/// does not change what the manager calls (and the manager never patches it itself).
pub fn global_fetch() -> Option<Function> {
    Reflect::get(&js_sys::global(), &"fetch".into()).ok()?.dyn_into::<Function>().ok()
}

/// Resolve `url` against the page and return `(href, origin)`; `None` when it does not parse.
pub fn resolve(url: &str) -> Option<(String, String)> {
    let parsed = match base_url() {
        Some(base) => web_sys::Url::new_with_base(url, &base),
        None => web_sys::Url::new(url),
    }
    .ok()?;
    Some((parsed.href(), parsed.origin()))
}

/// The origin of an absolute URL (`"null"` for opaque origins such as `data:`).
pub fn origin_of(url: &str) -> Option<String> {
    web_sys::Url::new(url).ok().map(|u| u.origin())
}

pub fn global() -> JsValue {
    js_sys::global().into()
}

/// Call the JS function `f` after `ms` with the global `setTimeout` (no Rust closure to keep
/// alive or leak). `None` where there is no `setTimeout` or it threw.
/// `setTimeout(f, ms)` on the global scope; its handle.
pub fn set_timeout(f: &Function, ms: u32) -> Option<JsValue> {
    let set_timeout = Reflect::get(&js_sys::global(), &"setTimeout".into()).ok()?.dyn_into::<Function>().ok()?;
    set_timeout.call2(&global(), f, &JsValue::from(ms)).ok()
}

/// `clearTimeout(handle)`.
pub fn clear_timeout(handle: &JsValue) {
    if let Some(clear) = Reflect::get(&js_sys::global(), &"clearTimeout".into()).ok().and_then(|f| f.dyn_into::<Function>().ok()) {
        let _ = clear.call1(&global(), handle);
    }
}

