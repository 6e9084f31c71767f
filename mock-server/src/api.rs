//! The protected API (`/api/me`, `/api/ping`, `/api/echo`): Bearer tokens, or DPoP-bound
//! tokens with a proof by their key.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::dpop::Reject;
use crate::proofs::check_proof;
use crate::errors::error;
use crate::{AppState, Mutable};

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
        return Err(unauthorized(&mut m, challenge, "invalid_token"));
    };
    let c = claims.custom;
    let bound = c.cnf.as_ref().map(|cnf| cnf.jkt.clone());
    match (bound, dpop_scheme) {
        (None, false) => Ok(c),
        (None, true) => {
            // An unbound token under the DPoP scheme: not bound to any proof key.
            m.counters.dpop::<()>(&Err(Reject::KeyMismatch));
            Err(unauthorized(&mut m, challenge, "invalid_token"))
        }
        (Some(_), false) => {
            m.counters.dpop::<()>(&Err(Reject::BearerScheme));
            Err(unauthorized(&mut m, "DPoP", "invalid_token"))
        }
        (Some(jkt), true) => match check_proof(app, &mut m, headers, method, path, Some(token), Some(&jkt), now) {
            Ok(_) => Ok(c),
            Err(Reject::Nonce) => Err(unauthorized(&mut m, "DPoP", "use_dpop_nonce")),
            Err(_) => Err(unauthorized(&mut m, "DPoP", "invalid_dpop_proof")),
        },
    }
}

/// 401 with `WWW-Authenticate: {scheme} error="{code}"` (for `use_dpop_nonce`, the nonce to
/// use is on every response: the router's nonce layer).
fn unauthorized(m: &mut Mutable, scheme: &str, code: &'static str) -> Box<Response> {
    m.counters.api_unauthorized += 1;
    let mut r = error(StatusCode::UNAUTHORIZED, code);
    if let Ok(v) = HeaderValue::from_str(&format!("{scheme} error=\"{code}\"")) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    Box::new(r)
}

pub(crate) async fn api_me(State(app): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    match authorize(&app, &headers, &Method::GET, uri.path()) {
        Ok(c) => Json(json!({ "sub": c.sub, "jti": c.jti, "name": format!("{} (mock user)", c.sub) })).into_response(),
        Err(r) => *r,
    }
}

pub(crate) async fn api_ping(State(app): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    match authorize(&app, &headers, &Method::GET, uri.path()) {
        Ok(_) => (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "pong").into_response(),
        Err(r) => *r,
    }
}

/// Echo the request body back (token-protected): proves a replayed request kept its body.
pub(crate) async fn api_echo(State(app): State<Arc<AppState>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    match authorize(&app, &headers, &Method::POST, uri.path()) {
        Ok(_) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/octet-stream")], body).into_response(),
        Err(r) => *r,
    }
}
