//! Reading the constructor's options object into `core::options::RawOptions` (field by field
//! with `Reflect`: a typed error per field, and none of serde's error formatting in the
//! module), then resolving its URLs against the page. Validation itself is in core.

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::core::options::{check_headers, check_names, HeaderList, RawOptions};
use crate::core::Error;
use crate::web::env;
use crate::web::manager::Resolved;

fn field(options: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(options, &name.into()).ok().filter(|v| !v.is_undefined() && !v.is_null())
}

fn string(options: &JsValue, name: &'static str) -> Result<Option<String>, Error> {
    field(options, name).map(|v| v.as_string().ok_or_else(|| type_error(name, "a string"))).transpose()
}

fn type_error(name: &str, what: &str) -> Error {
    Error::options(format!("{name} must be {what}"))
}

/// The options as given, typed; unknown names and wrong types are `invalid_options`.
pub fn read(options: &JsValue) -> Result<RawOptions, Error> {
    if !options.is_object() {
        return Err(Error::options("options must be an object with at least refreshUrl"));
    }
    let keys = Object::keys(options.unchecked_ref::<Object>());
    let names: Vec<String> = keys.iter().filter_map(|k| k.as_string()).collect();
    check_names(names.iter().map(String::as_str))?;
    let allowed_origins = field(options, "allowedOrigins")
        .map(|v| {
            let list = v.dyn_into::<Array>().map_err(|_| type_error("allowedOrigins", "an array of strings"))?;
            list.iter()
                .map(|o| o.as_string().ok_or_else(|| type_error("allowedOrigins", "an array of strings")))
                .collect()
        })
        .transpose()?;
    let headers_value = field(options, "refreshHeaders");
    let headers_from_function = headers_value.as_ref().is_some_and(JsValue::is_function);
    let refresh_headers = headers_value
        .filter(|_| !headers_from_function)
        .map(|v| {
            header_pairs(&v).map(HeaderList).ok_or_else(|| {
                type_error(
                    "refreshHeaders",
                    "an object mapping header names to string values, or a function returning one",
                )
            })
        })
        .transpose()?;
    let number = |name: &'static str| -> Result<Option<f64>, Error> {
        field(options, name).map(|v| v.as_f64().ok_or_else(|| type_error(name, "a number"))).transpose()
    };
    let boolean = |name: &'static str| -> Result<Option<bool>, Error> {
        field(options, name).map(|v| v.as_bool().ok_or_else(|| type_error(name, "a boolean"))).transpose()
    };
    Ok(RawOptions {
        refresh_url: string(options, "refreshUrl")?,
        login_url: string(options, "loginUrl")?,
        logout_url: string(options, "logoutUrl")?,
        allowed_origins,
        refresh_margin_seconds: number("refreshMarginSeconds")?,
        access_token_field: string(options, "accessTokenField")?,
        expires_in_field: string(options, "expiresInField")?,
        expires_at_field: string(options, "expiresAtField")?,
        refresh_headers,
        cross_tab: boolean("crossTab")?,
        auto_refresh: boolean("autoRefresh")?,
        dpop: boolean("dpop")?,
        headers_from_function,
    })
}

/// `{ name: "value", ... }` as pairs; `None` when it is not an object of strings.
pub fn header_pairs(v: &JsValue) -> Option<Vec<(String, String)>> {
    if !v.is_object() || v.is_function() {
        return None;
    }
    let entries = Object::entries(v.unchecked_ref::<Object>());
    let mut pairs = Vec::with_capacity(entries.length() as usize);
    for entry in entries.iter() {
        let entry: Array = entry.unchecked_into();
        pairs.push((entry.get(0).as_string()?, entry.get(1).as_string()?));
    }
    Some(pairs)
}

/// A function-valued option (`fetch`, `parseTokenResponse`, `refreshHeaders`), if given.
pub fn function(options: &JsValue, name: &'static str) -> Result<Option<Function>, Error> {
    field(options, name).map(|f| f.dyn_into::<Function>().map_err(|_| type_error(name, "a function"))).transpose()
}

/// The injected transport (`fetch` option), if given.
pub fn transport(options: &JsValue) -> Result<Option<Function>, Error> {
    function(options, "fetch")
}

/// Validate (core) and resolve the URLs against the page.
pub fn resolve(options: &JsValue) -> Result<Resolved, Error> {
    let opts = read(options)?.validate()?;
    let url = |name: &str, u: &str| -> Result<String, Error> {
        env::resolve(u).map(|(href, _)| href).ok_or_else(|| Error::options(format!("{name} is not a valid URL")))
    };
    let refresh_url = url("refreshUrl", &opts.refresh_url)?;
    let login_url = opts.login_url.as_deref().map(|u| url("loginUrl", u)).transpose()?;
    let logout_url = opts.logout_url.as_deref().map(|u| url("logoutUrl", u)).transpose()?;
    let allowed_origins = match &opts.allowed_origins {
        Some(list) => list
            .iter()
            .map(|o| match env::origin_of(o) {
                Some(origin) if origin != "null" => Ok(origin),
                _ => Err(Error::options(format!("allowedOrigins: \"{o}\" is not an absolute http(s) origin"))),
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => {
            let page = env::base_url().and_then(|b| env::origin_of(&b)).filter(|o| o != "null");
            vec![page.ok_or_else(|| Error::options("allowedOrigins is required where the page has no origin"))?]
        }
    };
    let headers_fn = field(options, "refreshHeaders").filter(JsValue::is_function).map(JsCast::unchecked_into);
    let parse_fn = function(options, "parseTokenResponse")?;
    let read = crate::web::js::object(&[
        ("token", opts.access_token_field.as_str().into()),
        ("expiresIn", opts.expires_in_field.as_str().into()),
        ("expiresAt", opts.expires_at_field.as_deref().map_or(JsValue::UNDEFINED, JsValue::from)),
        ("parse", parse_fn.map_or(JsValue::UNDEFINED, JsValue::from)),
    ]);
    Ok(Resolved { opts, refresh_url, login_url, logout_url, allowed_origins, headers_fn, read })
}

impl crate::web::manager::Inner {
    /// The headers for a refresh, login or logout request: the static `refreshHeaders`, or
    /// what the `refreshHeaders` function returns now (so it sees the current CSRF cookie),
    /// checked by the same rules.
    pub(crate) fn request_headers(&self) -> Result<Vec<(String, String)>, Error> {
        let Some(f) = &self.cfg.headers_fn else { return Ok(self.cfg.opts.refresh_headers.clone()) };
        let returned = f.call0(&JsValue::UNDEFINED).map_err(|_| Error::options("the refreshHeaders function threw"))?;
        let pairs = header_pairs(&returned).ok_or_else(|| {
            Error::options("the refreshHeaders function must return an object mapping header names to string values")
        })?;
        check_headers(pairs)
    }
}
