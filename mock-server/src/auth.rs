//! The auth endpoints: login, refresh (rotating cookie, reuse detection, DPoP binding) and
//! logout, with their CSRF/Origin check and the token response.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::cookies::{clear_cookie, refresh_cookie, set_cookie};
use crate::proofs::token_endpoint_proof;
use crate::errors::error;
use crate::store::Presented;
use crate::tokens::Variant;
use crate::{AppState, Mutable};

const CSRF_HEADER: &str = "x-requested-with";

fn token_response(
    req_headers: &HeaderMap,
    access_token: String,
    expires_in: Option<u64>,
    refresh: &str,
    max_age_s: i64,
    dpop_bound: bool,
) -> Response {
    let token_type = if dpop_bound { "DPoP" } else { "Bearer" };
    let mut body = json!({ "access_token": access_token, "token_type": token_type });
    if let Some(e) = expires_in {
        body["expires_in"] = e.into();
    }
    let mut res = (StatusCode::OK, Json(body)).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(header::SET_COOKIE, set_cookie(req_headers, refresh, max_age_s));
    res
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

pub(crate) async fn login(
    State(app): State<Arc<AppState>>,
    variant: Option<Extension<Variant>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(creds) = serde_json::from_slice::<LoginBody>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let known = app.cfg.users.iter().any(|(u, p)| *u == creds.username && *p == creds.password);
    let now = app.now_ms();
    let mut m = app.lock();
    // With DPoP on, the proof comes first (a nonce challenge before anything else).
    let mut jkt = None;
    if m.dpop {
        match token_endpoint_proof(&app, &mut m, &headers, uri.path(), None, now) {
            Ok(j) => jkt = Some(j),
            Err(res) => return *res,
        }
    }
    if !known {
        m.counters.login_failures += 1;
        return error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    m.counters.logins += 1;
    let ttl_ms = app.cfg.refresh_ttl as i64 * 1000;
    let (refresh, _) = m.store.create(&creds.username, now, ttl_ms, jkt.as_deref());
    let variant = variant.map_or(Variant::Normal, |Extension(v)| v);
    issue(&app, &mut m, &headers, &creds.username, variant, &refresh, ttl_ms / 1000, now, jkt.as_deref())
}

#[allow(clippy::too_many_arguments)]
fn issue(
    app: &AppState,
    m: &mut Mutable,
    headers: &HeaderMap,
    sub: &str,
    variant: Variant,
    refresh: &str,
    max_age_s: i64,
    now: i64,
    jkt: Option<&str>,
) -> Response {
    match app.signer.issue(sub, now, m.access_ttl, variant, jkt) {
        Ok(at) => {
            let expires_in = (variant != Variant::NoExp).then_some(m.access_ttl);
            token_response(headers, at, expires_in, refresh, max_age_s, jkt.is_some())
        }
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
    }
}

/// CSRF defence for cookie-authenticated endpoints: the custom header (which a form or a
/// cross-site simple request cannot send) and, when present, an allowed Origin.
fn csrf_check(app: &AppState, headers: &HeaderMap) -> Result<(), ()> {
    let has_header = headers.get(CSRF_HEADER).is_some_and(|v| !v.is_empty());
    if !has_header {
        return Err(());
    }
    let own = headers.get(header::HOST).and_then(|v| v.to_str().ok()).map(|h| format!("http://{h}"));
    match headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("null")) {
        Some("null") => Err(()),
        Some(o) if app.cfg.allow_origins.iter().any(|a| a == o) || own.as_deref() == Some(o) => Ok(()),
        Some(_) => Err(()),
        None => match headers.get("sec-fetch-site").map(HeaderValue::as_bytes) {
            Some(b"cross-site") => Err(()),
            _ => Ok(()),
        },
    }
}

pub(crate) async fn refresh(
    State(app): State<Arc<AppState>>,
    variant: Option<Extension<Variant>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let now = app.now_ms();
    let mut m = app.lock();
    m.store.expire_grace(now);
    if csrf_check(&app, &headers).is_err() {
        m.counters.csrf_rejected += 1;
        return error(StatusCode::FORBIDDEN, "csrf_check_failed");
    }
    let rejected = |m: &mut Mutable| {
        m.counters.refresh_rejected += 1;
        let mut r = error(StatusCode::UNAUTHORIZED, "invalid_grant");
        r.headers_mut().insert(header::SET_COOKIE, clear_cookie(&headers));
        r
    };
    let Some(cookie) = refresh_cookie(&headers) else { return rejected(&mut m) };
    // DPoP: checked before the cookie is presented to the store, so a cookie without its key
    // rotates, replays and revokes nothing. A bound family needs a proof by its key even if
    // DPoP was switched off since; an unbound one needs a proof (any key) while DPoP is on.
    let bound = m.store.binding(&cookie).map(str::to_owned);
    let mut jkt = None;
    if m.dpop || bound.is_some() {
        match token_endpoint_proof(&app, &mut m, &headers, uri.path(), bound.as_deref(), now) {
            Ok(j) => jkt = Some(j),
            Err(res) => return *res,
        }
    }
    let grace_ms = m.reuse_grace as i64 * 1000;
    let variant = variant.map_or(Variant::Normal, |Extension(v)| v);
    let (sub, token, expires_at_ms) = match m.store.present(&cookie, now, grace_ms) {
        Presented::Rotated { sub, token, expires_at_ms } => (sub, token, expires_at_ms),
        Presented::GraceReplay { sub, token, expires_at_ms } => {
            m.counters.grace_replays += 1;
            (sub, token, expires_at_ms)
        }
        Presented::ReuseDetected | Presented::Invalid => return rejected(&mut m),
    };
    m.counters.refreshes += 1;
    let max_age = (expires_at_ms - now) / 1000;
    issue(&app, &mut m, &headers, &sub, variant, &token, max_age, now, jkt.as_deref())
}

pub(crate) async fn logout(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let mut m = app.lock();
    if csrf_check(&app, &headers).is_err() {
        m.counters.csrf_rejected += 1;
        return error(StatusCode::FORBIDDEN, "csrf_check_failed");
    }
    m.counters.logouts += 1;
    if let Some(cookie) = refresh_cookie(&headers) {
        m.store.revoke(&cookie);
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(header::SET_COOKIE, clear_cookie(&headers));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
