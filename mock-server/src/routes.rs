//! The HTTP surface: auth endpoints, protected API, JWKS, test controls, static files, CORS.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Extension, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;

use crate::cookies::{clear_cookie, refresh_cookie, set_cookie};
use crate::dpop::{self, Reject};
use crate::faults::{self, Fault};
use crate::store::Presented;
use crate::tokens::Variant;
use crate::{AppState, Mutable};

const CSRF_HEADER: &str = "x-requested-with";

pub fn router(app: Arc<AppState>) -> Router {
    let mut r = Router::new()
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/api/me", get(api_me))
        .route("/api/ping", get(api_ping))
        .route("/api/echo", post(api_echo))
        .route("/.well-known/jwks.json", get(jwks));
    if app.cfg.test_controls {
        r = r
            .route("/__test/fault", post(add_fault))
            .route("/__test/counters", get(counters))
            .route("/__test/reset", post(reset))
            .route("/__test/clock", post(shift_clock))
            .route("/__test/config", post(set_config))
            .route("/__test/requests", get(requests))
            .route("/__test/store", get(store_dump));
    }
    if let Some(dir) = &app.cfg.pkg_dir {
        r = r.nest_service("/pkg", ServeDir::new(dir));
    }
    if let Some(dir) = &app.cfg.static_dir {
        r = r.fallback_service(ServeDir::new(dir));
    }
    let cors = cors_layer(&app.cfg.allow_origins);
    r.layer(axum::middleware::from_fn_with_state(app.clone(), faults::middleware))
        .layer(axum::middleware::from_fn_with_state(app.clone(), nonce_header))
        .layer(cors)
        .with_state(app)
}

/// In DPoP nonce mode, every response carries the current nonce (RFC 9449 §8.2).
async fn nonce_header(State(app): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let nonce = app.dpop_nonces(&app.lock(), app.now_ms());
    if let Some(v) = nonce.and_then(|[current, _]| HeaderValue::from_str(&current).ok()) {
        res.headers_mut().insert(HeaderName::from_static(dpop::NONCE_HEADER), v);
    }
    res
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let list: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(list))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        // Mirrors Access-Control-Request-Headers, so `DPoP` (and `Authorization`) are allowed.
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([header::RETRY_AFTER, header::WWW_AUTHENTICATE, HeaderName::from_static(dpop::NONCE_HEADER)])
        .max_age(Duration::from_secs(600))
}

fn error(status: StatusCode, code: &'static str) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Json(json!({ "error": code }))).into_response()
}

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

async fn login(
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
        match check_proof(&app, &mut m, &headers, &Method::POST, uri.path(), None, None, now) {
            Ok(j) => jkt = Some(j),
            Err(r) => return token_endpoint_dpop_error(&app, &m, r, now),
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

async fn refresh(
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
        match check_proof(&app, &mut m, &headers, &Method::POST, uri.path(), None, bound.as_deref(), now) {
            Ok(j) => jkt = Some(j),
            Err(r) => return token_endpoint_dpop_error(&app, &m, r, now),
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

/// The URL a request was sent to, as a proof's `htu` names it: `http://{Host}{path}`
/// (`https` behind a proxy that sets `X-Forwarded-Proto: https`).
fn request_url(headers: &HeaderMap, path: &str) -> String {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let https = headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes() == b"https");
    format!("{}://{host}{path}", if https { "https" } else { "http" })
}

/// Verify the request's `DPoP` header (exactly one) and count the outcome. Returns the
/// proof key's thumbprint.
#[allow(clippy::too_many_arguments)]
fn check_proof(
    app: &AppState,
    m: &mut Mutable,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
    access_token: Option<&str>,
    jkt: Option<&str>,
    now: i64,
) -> Result<String, Reject> {
    let nonces = app.dpop_nonces(m, now);
    let url = request_url(headers, path);
    let want = dpop::Expected {
        method: method.as_str(),
        url: &url,
        now_ms: now,
        nonces: nonces.as_ref().map(|n| &n[..]),
        access_token,
        jkt,
    };
    let mut proofs = headers.get_all(dpop::HEADER).iter();
    let result = match (proofs.next(), proofs.next()) {
        (None, _) => Err(Reject::Missing),
        (Some(p), None) => match p.to_str() {
            Ok(p) => dpop::verify(p, &want, &mut m.dpop_jtis),
            Err(_) => Err(Reject::Malformed),
        },
        (Some(_), Some(_)) => Err(Reject::Malformed),
    };
    m.counters.dpop(&result);
    result
}

/// A refused proof at login/refresh: 400 `use_dpop_nonce` with the nonce to use, or 401
/// `invalid_dpop_proof`. The cookie is left alone.
fn token_endpoint_dpop_error(app: &AppState, m: &Mutable, r: Reject, now: i64) -> Response {
    if r != Reject::Nonce {
        return error(StatusCode::UNAUTHORIZED, "invalid_dpop_proof");
    }
    let mut res = error(StatusCode::BAD_REQUEST, "use_dpop_nonce");
    insert_nonce(app, m, now, &mut res);
    res
}

fn insert_nonce(app: &AppState, m: &Mutable, now: i64, res: &mut Response) {
    if let Some(v) = app.dpop_nonces(m, now).and_then(|[current, _]| HeaderValue::from_str(&current).ok()) {
        res.headers_mut().insert(HeaderName::from_static(dpop::NONCE_HEADER), v);
    }
}

async fn logout(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
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

/// Authorize an API request. Unbound tokens: `Authorization: Bearer`. DPoP-bound tokens
/// (`cnf.jkt`): `Authorization: DPoP` plus a proof by that key with `ath`, and in nonce mode
/// a current nonce.
fn authorize(
    app: &AppState,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
) -> Result<crate::tokens::AccessClaims, Box<Response>> {
    let now = app.now_ms();
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (scheme, token) = auth.split_once(' ').map_or((auth, ""), |(s, t)| (s, t.trim()));
    let dpop_scheme = scheme.eq_ignore_ascii_case("dpop");
    let bearer_scheme = scheme.eq_ignore_ascii_case("bearer");
    // The token's own signature and expiry are checked outside the lock.
    let claims =
        if (dpop_scheme || bearer_scheme) && !token.is_empty() { app.signer.verify(token, now).ok() } else { None };
    let mut m = app.lock();
    m.counters.api_requests += 1;
    // The challenge names the scheme the client used, else DPoP while DPoP is on.
    let challenge = if dpop_scheme || (!bearer_scheme && m.dpop) { "DPoP" } else { "Bearer" };
    let Some(claims) = claims else {
        return Err(unauthorized(app, &mut m, challenge, "invalid_token", now));
    };
    let c = claims.custom;
    let bound = c.cnf.as_ref().map(|cnf| cnf.jkt.clone());
    match (bound, dpop_scheme) {
        (None, false) => Ok(c),
        (None, true) => {
            // An unbound token under the DPoP scheme: not bound to any proof key.
            m.counters.dpop::<()>(&Err(Reject::KeyMismatch));
            Err(unauthorized(app, &mut m, challenge, "invalid_token", now))
        }
        (Some(_), false) => {
            m.counters.dpop::<()>(&Err(Reject::BearerScheme));
            Err(unauthorized(app, &mut m, "DPoP", "invalid_token", now))
        }
        (Some(jkt), true) => match check_proof(app, &mut m, headers, method, path, Some(token), Some(&jkt), now) {
            Ok(_) => Ok(c),
            Err(Reject::Nonce) => Err(unauthorized(app, &mut m, "DPoP", "use_dpop_nonce", now)),
            Err(_) => Err(unauthorized(app, &mut m, "DPoP", "invalid_dpop_proof", now)),
        },
    }
}

/// 401 with `WWW-Authenticate: {scheme} error="{code}"` (and, for `use_dpop_nonce`, the
/// nonce to use).
fn unauthorized(app: &AppState, m: &mut Mutable, scheme: &str, code: &'static str, now: i64) -> Box<Response> {
    m.counters.api_unauthorized += 1;
    let mut r = error(StatusCode::UNAUTHORIZED, code);
    if let Ok(v) = HeaderValue::from_str(&format!("{scheme} error=\"{code}\"")) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    if code == "use_dpop_nonce" {
        insert_nonce(app, m, now, &mut r);
    }
    Box::new(r)
}

async fn api_me(State(app): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    match authorize(&app, &headers, &Method::GET, uri.path()) {
        Ok(c) => Json(json!({ "sub": c.sub, "jti": c.jti, "name": format!("{} (mock user)", c.sub) })).into_response(),
        Err(r) => *r,
    }
}

async fn api_ping(State(app): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    match authorize(&app, &headers, &Method::GET, uri.path()) {
        Ok(_) => (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "pong").into_response(),
        Err(r) => *r,
    }
}

/// Echo the request body back (token-protected): proves a replayed request kept its body.
async fn api_echo(State(app): State<Arc<AppState>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    match authorize(&app, &headers, &Method::POST, uri.path()) {
        Ok(_) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/octet-stream")], body).into_response(),
        Err(r) => *r,
    }
}

async fn jwks(State(app): State<Arc<AppState>>) -> Response {
    Json(app.signer.jwks()).into_response()
}

// ---- test controls -------------------------------------------------------------------------

async fn add_fault(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let fault: Fault = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => return (StatusCode::BAD_REQUEST, Json(json!({ "error": e.to_string() }))).into_response(),
    };
    if let Err(e) = fault.validate() {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": e }))).into_response();
    }
    app.lock().faults.push(fault);
    StatusCode::NO_CONTENT.into_response()
}

async fn counters(State(app): State<Arc<AppState>>) -> Response {
    let m = app.lock();
    let mut c = m.counters.clone();
    c.revoked_families = m.store.revoked_families;
    Json(c).into_response()
}

async fn reset(State(app): State<Arc<AppState>>) -> Response {
    app.reset();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClockShift {
    shift_seconds: i64,
}

async fn shift_clock(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    match serde_json::from_slice::<ClockShift>(&body) {
        Ok(c) if c.shift_seconds.abs() <= 10 * 365 * 86_400 => {
            app.set_clock_shift_ms(c.shift_seconds * 1000);
            StatusCode::NO_CONTENT.into_response()
        }
        _ => {
            (StatusCode::BAD_REQUEST, Json(json!({ "error": "expected {\"shiftSeconds\": integer}" }))).into_response()
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RuntimeConfig {
    access_ttl: Option<u64>,
    reuse_grace: Option<u64>,
    dpop: Option<bool>,
    /// Absent: unchanged; `null`: nonce mode off; a number: nonce mode on (implies `dpop`).
    #[serde(default, deserialize_with = "present")]
    dpop_nonce_seconds: Option<Option<u64>>,
}

/// Tells a field given as `null` (`Some(None)`) from an absent one (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    Option::<u64>::deserialize(d).map(Some)
}

async fn set_config(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    match serde_json::from_slice::<RuntimeConfig>(&body) {
        Ok(c) if c.access_ttl != Some(0)
            && c.dpop_nonce_seconds != Some(Some(0))
            && !(c.dpop == Some(false) && matches!(c.dpop_nonce_seconds, Some(Some(_)))) =>
        {
            let mut m = app.lock();
            if let Some(t) = c.access_ttl {
                m.access_ttl = t;
            }
            if let Some(g) = c.reuse_grace {
                m.reuse_grace = g;
            }
            if let Some(on) = c.dpop {
                m.dpop = on;
                if !on {
                    m.dpop_nonce = None;
                }
            }
            match c.dpop_nonce_seconds {
                Some(Some(s)) => {
                    m.dpop = true;
                    m.dpop_nonce = Some(s);
                }
                Some(None) => m.dpop_nonce = None,
                None => {}
            }
            StatusCode::NO_CONTENT.into_response()
        }
        _ => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "expected {\"accessTtl\"?: integer >= 1, \"reuseGrace\"?: integer, \"dpop\"?: boolean, \"dpopNonceSeconds\"?: integer >= 1 | null (implies dpop: true)}" })),
        )
            .into_response(),
    }
}

async fn requests(State(app): State<Arc<AppState>>) -> Response {
    Json(app.lock().requests.list()).into_response()
}

async fn store_dump(State(app): State<Arc<AppState>>) -> Response {
    Json(app.lock().store.dump()).into_response()
}
