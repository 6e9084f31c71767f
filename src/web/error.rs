//! Turning core errors into JS `Error`s with `name = "TokenManagerError"` and a stable `code`.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use crate::core::{Error, ErrorCode};

pub fn to_js(e: &Error) -> JsValue {
    with_status(e, None)
}

/// As [`to_js`], with the HTTP `status` that caused it (login/refresh failures).
pub fn with_status(e: &Error, status: Option<u16>) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    err.set_name("TokenManagerError");
    let _ = Reflect::set(&err, &"code".into(), &e.code.as_str().into());
    if let Some(s) = status {
        let _ = Reflect::set(&err, &"status".into(), &JsValue::from(s));
    }
    err.into()
}

pub fn js(code: ErrorCode, message: &'static str) -> JsValue {
    to_js(&Error::new(code, message))
}

/// Is `value` a TokenManagerError with this code?
pub fn has_code(value: &JsValue, code: ErrorCode) -> bool {
    Reflect::get(value, &"code".into()).ok().and_then(|c| c.as_string()).as_deref() == Some(code.as_str())
}
