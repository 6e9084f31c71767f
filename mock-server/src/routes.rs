//! The HTTP surface: auth endpoints, protected API, JWKS, test controls, static files, CORS.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;

use crate::cookies::{clear_cookie, refresh_cookie, set_cookie};
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
    r.layer(axum::middleware::from_fn_with_state(app.clone(), faults::middleware)).layer(cors).with_state(app)
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let list: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(list))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([header::RETRY_AFTER, header::WWW_AUTHENTICATE])
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
) -> Response {
    let mut body = json!({ "access_token": access_token, "token_type": "Bearer" });
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
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(creds) = serde_json::from_slice::<LoginBody>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let known = app.cfg.users.iter().any(|(u, p)| *u == creds.username && *p == creds.password);
    let now = app.now_ms();
    let mut m = app.lock();
    if !known {
        m.counters.login_failures += 1;
        return error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    m.counters.logins += 1;
    let ttl_ms = app.cfg.refresh_ttl as i64 * 1000;
    let (refresh, _) = m.store.create(&creds.username, now, ttl_ms);
    let variant = variant.map_or(Variant::Normal, |Extension(v)| v);
    issue(&app, &mut m, &headers, &creds.username, variant, &refresh, ttl_ms / 1000, now)
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
) -> Response {
    match app.signer.issue(sub, now, m.access_ttl, variant) {
        Ok(at) => {
            let expires_in = (variant != Variant::NoExp).then_some(m.access_ttl);
            token_response(headers, at, expires_in, refresh, max_age_s)
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
    issue(&app, &mut m, &headers, &sub, variant, &token, max_age, now)
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

fn bearer(app: &AppState, headers: &HeaderMap) -> Result<crate::tokens::AccessClaims, Box<Response>> {
    app.lock().counters.api_requests += 1;
    let now = app.now_ms();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match token.map(|t| app.signer.verify(t, now)) {
        Some(Ok(claims)) => Ok(claims.custom),
        _ => {
            app.lock().counters.api_unauthorized += 1;
            let mut r = error(StatusCode::UNAUTHORIZED, "invalid_token");
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
            Err(Box::new(r))
        }
    }
}

async fn api_me(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    match bearer(&app, &headers) {
        Ok(c) => Json(json!({ "sub": c.sub, "jti": c.jti, "name": format!("{} (mock user)", c.sub) })).into_response(),
        Err(r) => *r,
    }
}

async fn api_ping(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    match bearer(&app, &headers) {
        Ok(_) => (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "pong").into_response(),
        Err(r) => *r,
    }
}

/// Echo the request body back (Bearer-protected): proves a replayed request kept its body.
async fn api_echo(State(app): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    match bearer(&app, &headers) {
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
}

async fn set_config(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    match serde_json::from_slice::<RuntimeConfig>(&body) {
        Ok(c) if c.access_ttl != Some(0) => {
            let mut m = app.lock();
            if let Some(t) = c.access_ttl {
                m.access_ttl = t;
            }
            if let Some(g) = c.reuse_grace {
                m.reuse_grace = g;
            }
            StatusCode::NO_CONTENT.into_response()
        }
        _ => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "expected {\"accessTtl\"?: integer >= 1, \"reuseGrace\"?: integer}" })),
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
