//! Turning core errors into JS `TokenManagerError`s (the class in `js/errors.js`, exported by
//! the package) with a stable `code`, and `status`/`body` when an HTTP answer caused them.

use wasm_bindgen::prelude::*;

use crate::core::{Error, ErrorCode};

#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = tokenManagerError)]
    fn make(code: &str, message: &str, status: JsValue, body: JsValue) -> JsValue;
}

pub fn to_js(e: &Error) -> JsValue {
    with_status(e, None)
}

/// As [`to_js`], with the HTTP `status` that caused it (login/refresh failures).
pub fn with_status(e: &Error, status: Option<u16>) -> JsValue {
    with_body(e, status, JsValue::UNDEFINED)
}

/// As [`with_status`], with the server's parsed JSON error body (login failures).
pub fn with_body(e: &Error, status: Option<u16>, body: JsValue) -> JsValue {
    make(e.code.as_str(), &e.message, status.map_or(JsValue::UNDEFINED, JsValue::from), body)
}

pub fn js(code: ErrorCode, message: &'static str) -> JsValue {
    to_js(&Error::new(code, message))
}
