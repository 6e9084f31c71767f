//! Small helpers for plain JS values: reading fields, building objects.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

/// `value[field]` as a string.
pub fn string_field(value: &JsValue, field: &str) -> Option<String> {
    Reflect::get(value, &field.into()).ok()?.as_string()
}

/// `value[field]` as a number.
pub fn number_field(value: &JsValue, field: &str) -> Option<f64> {
    Reflect::get(value, &field.into()).ok()?.as_f64()
}

/// A plain JS object from key/value pairs.
pub fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &(*k).into(), v);
    }
    o.into()
}

/// `Some(x)` as a number, `None` as `null`.
pub fn number_or_null(value: Option<f64>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from)
}

#[wasm_bindgen(
    inline_js = "export function at_most_once(f) { let done = false; return () => { if (!done) { done = true; f(); } }; }"
)]
extern "C" {
    fn at_most_once(f: &JsValue) -> JsValue;
}

/// The unsubscribe function for `off`: a Rust `FnOnce` throws when called twice, and
/// unsubscribe functions are often called more than once (effect clean-ups), so the JS side
/// makes every call after the first a no-op.
pub fn unsubscriber(off: Box<dyn FnOnce()>) -> JsValue {
    at_most_once(&Closure::once_into_js(off))
}
