//! The refresh cookie: reading it from a request and building its `Set-Cookie` values.

use axum::http::{header, HeaderMap, HeaderValue};

use crate::Misconfig;

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

/// The `Set-Cookie` value that stores `token` for `max_age_s` seconds, as the misconfiguration
/// switches `mis` bend it (none by default).
pub fn set_cookie(headers: &HeaderMap, token: &str, max_age_s: i64, mis: &Misconfig) -> HeaderValue {
    let v = if mis.is_empty() {
        format!(
            "{COOKIE_NAME}={token}; HttpOnly; SameSite=Strict; Path=/auth; Max-Age={}{}",
            max_age_s.max(0),
            secure_attr(headers)
        )
    } else {
        let http_only = if mis.has("no-httponly") { "" } else { "; HttpOnly" };
        let same_site = if mis.has("samesite-none-insecure") { "None" } else { "Strict" };
        let path = if mis.has("narrow-path") { "/auth/refresh" } else { "/auth" };
        // A deletion keeps its Max-Age=0 (without it the cookie could not be deleted at all).
        let max_age = if mis.has("no-max-age") && max_age_s > 0 {
            String::new()
        } else {
            format!("; Max-Age={}", max_age_s.max(0))
        };
        format!("{COOKIE_NAME}={token}{http_only}; SameSite={same_site}; Path={path}{max_age}{}", secure_attr(headers))
    };
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("wtm_refresh=; Max-Age=0"))
}

/// The `Set-Cookie` value that deletes the refresh cookie.
pub fn clear_cookie(headers: &HeaderMap, mis: &Misconfig) -> HeaderValue {
    set_cookie(headers, "", 0, mis)
}

/// The deletion `Set-Cookie` of a logout: with `logout-cookie-mismatch`, on `Path=/`, which
/// deletes nothing (the cookie lives on `Path=/auth`).
pub fn logout_clear_cookie(headers: &HeaderMap, mis: &Misconfig) -> HeaderValue {
    if mis.has("logout-cookie-mismatch") {
        let v = format!("{COOKIE_NAME}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}", secure_attr(headers));
        return HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("wtm_refresh=; Max-Age=0"));
    }
    clear_cookie(headers, mis)
}
