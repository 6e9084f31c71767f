//! Reading a login or refresh response: the access token and its lifetime, from the JSON
//! fields the options name.

use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

use crate::core::options::Options;
use crate::web::js;

/// What a successful login/refresh response gives the manager.
pub struct TokenResponse {
    pub token: String,
    pub expires_in_s: Option<f64>,
}

/// Read the token out of a 2xx response; the error says what was wrong with it.
pub async fn read(res: &Response, opts: &Options) -> Result<TokenResponse, &'static str> {
    let json = match res.json() {
        Ok(p) => JsFuture::from(p).await.map_err(|_| "the response is not JSON")?,
        Err(_) => return Err("the response is not JSON"),
    };
    let token = js::string_field(&json, &opts.access_token_field).ok_or("the response has no access token")?;
    Ok(TokenResponse { token, expires_in_s: js::number_field(&json, &opts.expires_in_field) })
}
