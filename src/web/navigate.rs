//! Top-level navigations (`js/navigate.js`): `loginRedirect()` to a token-mediating backend's
//! login start, and the end-session page after `logout()`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/navigate.js")]
extern "C" {
    /// Navigate to `loginRedirectUrl` (in `nav`, the navigations' options) with the return path
    /// (checked: a path of this origin) and `options.params`; a promise that rejects with
    /// `invalid_options` instead.
    #[wasm_bindgen(js_name = loginRedirect)]
    pub fn login_redirect(nav: &JsValue, options: &JsValue) -> js_sys::Promise;
    /// After a logout call settled: forget where its answer said to go, and, `go`, go there,
    /// else to `logoutRedirectUrl`, if either is an http(s) URL.
    pub fn leave(nav: &JsValue, go: bool);
}
