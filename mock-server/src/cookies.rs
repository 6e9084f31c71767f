//! The refresh cookie: reading it from a request and building its `Set-Cookie` values.

use axum::http::{header, HeaderMap, HeaderValue};

pub const COOKIE_NAME: &str = "wtm_refresh";

/// The value of the refresh cookie, if the request carries it.
pub fn refresh_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == COOKIE_NAME && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

/// `Secure` when the request came over https (behind a proxy that says so). Not on plain
/// http, not even on loopback: Chromium and Firefox would store a `Secure` cookie received
/// over `http://127.0.0.1` (a potentially trustworthy origin), but WebKit (Safari) refuses it,
/// so every refresh would find no cookie there.
pub fn secure_attr(headers: &HeaderMap) -> &'static str {
    let https = headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes() == b"https");
    if https {
        "; Secure"
    } else {
        ""
    }
}

/// The `Set-Cookie` value that stores `token` for `max_age_s` seconds.
pub fn set_cookie(headers: &HeaderMap, token: &str, max_age_s: i64) -> HeaderValue {
    let v = format!(
        "{COOKIE_NAME}={token}; HttpOnly; SameSite=Strict; Path=/auth; Max-Age={}{}",
        max_age_s.max(0),
        secure_attr(headers)
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("wtm_refresh=; Max-Age=0"))
}

/// The `Set-Cookie` value that deletes the refresh cookie.
pub fn clear_cookie(headers: &HeaderMap) -> HeaderValue {
    set_cookie(headers, "", 0)
}
