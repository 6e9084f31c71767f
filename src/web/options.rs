//! Reading the constructor's options object into `core::options::RawOptions` (`js/options.js`
//! reads names and types in one pass), then resolving its URLs against the page. Validation
//! of the values is in core.

use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

use crate::core::options::{HeaderList, IdleOptions, Options, RawOptions};
use crate::core::Error;
use crate::web::env;

#[wasm_bindgen(module = "/js/options.js")]
extern "C" {
    #[wasm_bindgen(js_name = readOptions, catch)]
    fn read_options(options: &JsValue) -> Result<Array, JsValue>;
    /// `logout(options)`'s scope: 0 local, 1 others, 2 global (or `invalid_options`).
    #[wasm_bindgen(js_name = logoutScope, catch)]
    pub fn logout_scope(options: &JsValue) -> Result<u8, JsValue>;
    #[wasm_bindgen(js_name = headerPairs)]
    pub(crate) fn header_pairs_js(value: &JsValue, from_function: bool) -> JsValue;
}

/// `[name, value, ...]` from JS as pairs.
pub(crate) fn pairs(flat: &JsValue) -> Option<Vec<(String, String)>> {
    let flat: &Array = flat.dyn_ref()?;
    let list: Vec<String> = flat.iter().filter_map(|v| v.as_string()).collect();
    Some(list.chunks(2).filter_map(|p| Some((p.first()?.clone(), p.get(1)?.clone()))).collect())
}

/// The options as given, typed (`js/options.js` reads names and types in one pass); then
/// resolved: the transport and functions, and the URLs against the page.
pub fn resolve(options: &JsValue) -> Result<(Resolved, Option<Function>), JsValue> {
    let v = read_options(options)?;
    let string = |i: u32| v.get(i).as_string();
    let function = |i: u32| v.get(i).dyn_into::<Function>().ok();
    let raw = RawOptions {
        refresh_url: string(0),
        login_url: string(1),
        logout_url: string(2),
        allowed_origins: v.get(3).dyn_into::<Array>().ok().map(|a| a.iter().filter_map(|o| o.as_string()).collect()),
        refresh_margin_seconds: v.get(4).as_f64(),
        access_token_field: string(5),
        expires_in_field: string(6),
        expires_at_field: string(7),
        refresh_headers: pairs(&v.get(8)).map(HeaderList),
        cross_tab: v.get(10).as_bool(),
        auto_refresh: v.get(11).as_bool(),
        dpop: v.get(12).as_bool(),
        headers_from_function: v.get(9).is_function(),
        refresh_expires_in_field: string(15),
        logout_scope_param: string(16),
        session_warning_seconds: v.get(17).as_f64(),
        idle: v.get(18).as_f64().map(|t| IdleOptions { timeout_seconds: Some(t), warning_seconds: v.get(19).as_f64() }),
        refresh_method: string(21),
        login_returns_token: v.get(22).as_bool(),
        restore_on_create: v.get(24).as_bool(),
    };
    let mut resolved = resolve_raw(raw, function(9), function(14)).map_err(|e| crate::web::error::to_js(&e))?;
    resolved.on_step_up = function(20);
    resolved.nav = v.get(23);
    resolved.debug = function(25);
    resolved.unlisted = v.get(26);
    Ok((resolved, function(13)))
}

fn resolve_raw(raw: RawOptions, headers_fn: Option<Function>, parse_fn: Option<Function>) -> Result<Resolved, Error> {
    let opts = raw.validate()?;
    let url = |name: &str, u: &str| -> Result<String, Error> {
        env::resolve(u).map(|(href, _)| href).ok_or_else(|| Error::options([name, " is not a valid URL"].concat()))
    };
    let refresh_url = url("refreshUrl", &opts.refresh_url)?;
    let login_url = opts.login_url.as_deref().map(|u| url("loginUrl", u)).transpose()?;
    let logout_url = opts.logout_url.as_deref().map(|u| url("logoutUrl", u)).transpose()?;
    let allowed_origins = match &opts.allowed_origins {
        // `"self"`: the page's own origin.
        Some(list) => list
            .iter()
            .map(|o| if o == "self" { env::base_url().unwrap_or_default() } else { o.clone() })
            .map(|o| match env::origin_of(&o) {
                Some(origin) if origin != "null" => Ok(origin),
                _ => Err(Error::options(
                    ["allowedOrigins: \"", &o, "\" is not an absolute http(s) origin (or \"self\")"].concat(),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => {
            let page = env::base_url().and_then(|b| env::origin_of(&b)).filter(|o| o != "null");
            vec![page.ok_or_else(|| Error::options("allowedOrigins is required where the page has no origin"))?]
        }
    };
    let read = crate::web::js::object(&[
        ("token", opts.access_token_field.as_str().into()),
        ("expiresIn", opts.expires_in_field.as_str().into()),
        ("expiresAt", opts.expires_at_field.as_deref().map_or(JsValue::UNDEFINED, JsValue::from)),
        ("parse", parse_fn.map_or(JsValue::UNDEFINED, JsValue::from)),
        ("session", opts.refresh_expires_in_field.as_str().into()),
    ]);
    Ok(Resolved {
        opts,
        refresh_url,
        login_url,
        logout_url,
        allowed_origins,
        headers_fn,
        read,
        nav: JsValue::UNDEFINED,
        on_step_up: None,
        debug: None,
        unlisted: JsValue::UNDEFINED,
    })
}

/// Options with URLs resolved against the page.
pub struct Resolved {
    pub opts: Options,
    pub refresh_url: String,
    pub login_url: Option<String>,
    pub logout_url: Option<String>,
    pub allowed_origins: Vec<String>,
    /// `refreshHeaders` given as a function: called for every refresh, login and logout.
    pub headers_fn: Option<js_sys::Function>,
    /// How `js/http.js` reads a login/refresh answer: `{token, expiresIn, expiresAt, parse}`.
    pub read: JsValue,
    /// The navigations' options, checked by `js/options.js` (`{login, param, leave, field}`):
    /// `loginRedirect()`, the navigation after `logout()`, and how a logout answer is read.
    pub nav: JsValue,
    /// `onStepUp(challenge)`: re-authenticate, then the request is replayed.
    pub on_step_up: Option<js_sys::Function>,
    /// Where the `debug` option's lines go (`js/debug.js`), when it is on.
    pub debug: Option<js_sys::Function>,
    /// `{o}`: the page's origin, when `allowedOrigins` leaves it out (`js/http.js` warns once).
    pub unlisted: JsValue,
}
