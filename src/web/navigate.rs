//! Top-level navigations (`js/navigate.js`): `loginRedirect()` to a token-mediating backend's
//! login start, and the end-session page after `logout()`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/navigate.js")]
extern "C" {
    /// Navigate to `target` with the return path in `param` (checked: a path of this origin)
    /// and `options.params`; throws `invalid_options` or `unsupported_environment`.
    #[wasm_bindgen(js_name = loginRedirect, catch)]
    pub fn login_redirect(target: Option<String>, param: &str, options: &JsValue) -> Result<(), JsValue>;
    /// Navigate to an http(s) URL, if it is one.
    pub fn leave(url: &str);
}
