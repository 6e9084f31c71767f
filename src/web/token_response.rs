//! Reading a login or refresh response: the access token and its lifetime, from the JSON paths
//! the options name (`data.accessToken`), an absolute `expiresAtField` (converted on the
//! server's clock with its `Date` header), or the caller's `parseTokenResponse(json)`.

use js_sys::Reflect;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

use crate::core::clock::lifetime_from_expires_at_ms;
use crate::core::dpop::is_dpop_token_type;
use crate::core::policy::parse_imf_fixdate_ms;
use crate::web::js;
use crate::web::manager::Resolved;

/// What a successful login/refresh response gives the manager.
pub struct TokenResponse {
    pub token: String,
    pub expires_in_s: Option<f64>,
    /// `token_type: "DPoP"`: bound to this origin's DPoP key.
    pub dpop: bool,
}

/// `value.a.b.c` for the dotted path `a.b.c` (undefined where it stops).
fn at_path(value: &JsValue, path: &str) -> JsValue {
    let mut v = value.clone();
    for segment in path.split('.') {
        if !v.is_object() {
            return JsValue::UNDEFINED;
        }
        v = Reflect::get(&v, &segment.into()).unwrap_or(JsValue::UNDEFINED);
    }
    v
}

/// Read the token out of a 2xx response; the error says what was wrong with it.
pub async fn read(res: &Response, cfg: &Resolved) -> Result<TokenResponse, &'static str> {
    let json = match res.json() {
        Ok(p) => JsFuture::from(p).await.map_err(|_| "the response is not JSON")?,
        Err(_) => return Err("the response is not JSON"),
    };
    if let Some(parse) = &cfg.parse_fn {
        let out = parse.call1(&JsValue::UNDEFINED, &json).map_err(|_| "parseTokenResponse threw")?;
        let token = js::string_field(&out, "accessToken").ok_or("parseTokenResponse returned no accessToken string")?;
        let dpop = is_dpop_token_type(js::string_field(&json, "token_type").as_deref());
        return Ok(TokenResponse { token, expires_in_s: js::number_field(&out, "expiresIn"), dpop });
    }
    let opts = &cfg.opts;
    let token = at_path(&json, &opts.access_token_field).as_string().ok_or("the response has no access token")?;
    let mut expires_in_s = at_path(&json, &opts.expires_in_field).as_f64();
    if expires_in_s.is_none() {
        if let Some(field) = &opts.expires_at_field {
            let date = res.headers().get("date").ok().flatten().and_then(|d| parse_imf_fixdate_ms(&d));
            expires_in_s = at_path(&json, field)
                .as_f64()
                .and_then(|at| lifetime_from_expires_at_ms(at, date, js_sys::Date::now()))
                .map(|ms| ms / 1000.0);
        }
    }
    let dpop = is_dpop_token_type(js::string_field(&json, "token_type").as_deref());
    Ok(TokenResponse { token, expires_in_s, dpop })
}
