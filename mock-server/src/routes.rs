//! The HTTP surface: the router (auth endpoints in `auth`, the API in `api`, test controls in
//! `controls`, JWKS, static files), CORS and the DPoP nonce header. The JSON error shape the
//! handlers answer with is in `errors`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;

use crate::dpop;
use crate::faults;
use crate::{api, auth, controls, AppState};

pub fn router(app: Arc<AppState>) -> Router {
    let mut r = Router::new()
        .route("/auth/login", post(auth::login))
        // GET too: token routes read with GET (`refreshMethod: "GET"`), as better-auth's
        // `/api/auth/token` and token-mediating backends serve them.
        .route("/auth/refresh", post(auth::refresh).get(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/api/me", get(api::api_me))
        .route("/api/ping", get(api::api_ping))
        .route("/api/echo", post(api::api_echo))
        .route("/api/sensitive", get(api::api_sensitive))
        .route("/api/admin", get(api::api_admin))
        .route("/.well-known/jwks.json", get(jwks));
    if app.cfg.test_controls {
        r = r
            .route("/__test/fault", post(controls::add_fault))
            .route("/__test/counters", get(controls::counters))
            .route("/__test/reset", post(controls::reset))
            .route("/__test/clock", post(controls::shift_clock))
            .route("/__test/config", post(controls::set_config))
            .route("/__test/requests", get(controls::requests))
            .route("/__test/store", get(controls::store_dump));
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
        .layer(axum::middleware::from_fn_with_state(app.clone(), cors_misconfig))
        .with_state(app)
}

/// The CORS misconfiguration switches, applied over what the CORS layer answered (nothing
/// changes when none is on): `cors-wildcard`, `cors-reflect-origin`, `no-vary`,
/// `no-cors-on-401`.
async fn cors_misconfig(State(app): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let origin = req.headers().get(header::ORIGIN).cloned();
    let mis = app.lock().misconfig.clone();
    let mut res = next.run(req).await;
    if mis.is_empty() {
        return res;
    }
    let h = res.headers_mut();
    if mis.has("cors-reflect-origin") {
        if let Some(o) = origin.filter(|_| !h.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)) {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
            h.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        }
    }
    if mis.has("cors-wildcard") && h.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    }
    if mis.has("no-vary") {
        h.remove(header::VARY);
    }
    if mis.has("no-cors-on-401") && res.status() == axum::http::StatusCode::UNAUTHORIZED {
        let names: Vec<HeaderName> =
            res.headers().keys().filter(|k| k.as_str().starts_with("access-control-")).cloned().collect();
        for n in names {
            res.headers_mut().remove(n);
        }
    }
    res
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

async fn jwks(State(app): State<Arc<AppState>>) -> Response {
    Json(app.signer.jwks()).into_response()
}
