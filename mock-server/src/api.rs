//! The protected API (`/api/me`, `/api/ping`, `/api/echo`, and the step-up and scope routes
//! `/api/sensitive`, `/api/admin`): Bearer tokens, or DPoP-bound tokens with a proof by their
//! key.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::dpop::Reject;
use crate::errors::error;
use crate::proofs::check_proof;
use crate::tokens::{AccessClaims, Login};
use crate::{AppState, Mutable};

/// The authentication level `/api/sensitive` demands (RFC 9470).
const STEP_UP_ACR: &str = "mfa";
/// The scope `/api/admin` demands (RFC 6750 §3.1).
const ADMIN_SCOPE: &str = "admin";

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
        if m.misconfig.has("api-403-on-expired") && !token.is_empty() {
            // The mistake: a present but invalid or expired token answered as a permission
            // problem, which no client treats as "refresh and retry".
            return Err(Box::new(error(StatusCode::FORBIDDEN, "forbidden")));
        }
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
    challenge(m, StatusCode::UNAUTHORIZED, scheme, code, "")
}

/// `status` with `WWW-Authenticate: {scheme} error="{code}"{params}` and the JSON error.
fn challenge(m: &mut Mutable, status: StatusCode, scheme: &str, code: &'static str, params: &str) -> Box<Response> {
    if status == StatusCode::UNAUTHORIZED {
        m.counters.api_unauthorized += 1;
    }
    let mut r = error(status, code);
    if let Ok(v) = HeaderValue::from_str(&format!("{scheme} error=\"{code}\"{params}")) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    Box::new(r)
}

/// The scheme a token is used with (and challenged in): DPoP for a bound token.
fn scheme_of(c: &AccessClaims) -> &'static str {
    if c.cnf.is_some() {
        "DPoP"
    } else {
        "Bearer"
    }
}

/// The `max_age` query parameter of `/api/sensitive`: `Ok(None)` when absent, `Err` when not
/// a whole number of seconds.
fn max_age_param(query: Option<&str>) -> Result<Option<i64>, ()> {
    let Some(v) = query.unwrap_or("").split('&').find_map(|kv| kv.strip_prefix("max_age=")) else {
        return Ok(None);
    };
    v.parse::<u32>().map(|n| Some(i64::from(n))).map_err(|_| ())
}

/// Why a valid token is not enough for `/api/sensitive` (RFC 9470 §3): its `acr` is not
/// [`STEP_UP_ACR`], or (with `max_age`) its `auth_time` is older than that. `None` = enough.
fn step_up_needed(c: &AccessClaims, max_age: Option<i64>, now_s: i64) -> Option<String> {
    let too_old = max_age.is_some_and(|n| now_s - c.auth_time > n);
    if c.acr == STEP_UP_ACR && !too_old {
        return None;
    }
    let mut params =
        format!(", error_description=\"A different authentication level is required\", acr_values=\"{STEP_UP_ACR}\"");
    if let Some(n) = max_age {
        params.push_str(&format!(", max_age={n}"));
    }
    Some(params)
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

/// The step-up route (RFC 9470): 200 with a token whose `acr` is `mfa` (and, with `?max_age=N`,
/// whose `auth_time` is at most N seconds ago); else 401 `insufficient_user_authentication`
/// with `acr_values="mfa"` (and `max_age=N`) in the challenge. A missing, invalid or expired
/// token gets the ordinary 401 `invalid_token`.
pub(crate) async fn api_sensitive(State(app): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    app.lock().counters.api_sensitive += 1;
    let Ok(max_age) = max_age_param(uri.query()) else {
        return error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let c = match authorize(&app, &headers, &Method::GET, uri.path()) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    match step_up_needed(&c, max_age, app.now_ms().div_euclid(1000)) {
        None => Json(json!({ "ok": true, "acr": c.acr, "auth_time": c.auth_time })).into_response(),
        Some(params) => {
            let code = "insufficient_user_authentication";
            *challenge(&mut app.lock(), StatusCode::UNAUTHORIZED, scheme_of(&c), code, &params)
        }
    }
}

/// The scope-checked route (RFC 6750 §3.1): 200 with a token granted the `admin` scope; else
/// 403 `insufficient_scope` with `scope="admin"` in the challenge.
pub(crate) async fn api_admin(State(app): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    app.lock().counters.api_admin += 1;
    let c = match authorize(&app, &headers, &Method::GET, uri.path()) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    if Login::has_scope(c.scope.as_deref(), ADMIN_SCOPE) {
        return Json(json!({ "ok": true, "scope": c.scope })).into_response();
    }
    let params = format!(", scope=\"{ADMIN_SCOPE}\"");
    *challenge(&mut app.lock(), StatusCode::FORBIDDEN, scheme_of(&c), "insufficient_scope", &params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(acr: &str, auth_time: i64) -> AccessClaims {
        AccessClaims { sub: "demo".into(), jti: "j".into(), acr: acr.into(), auth_time, scope: None, cnf: None }
    }

    #[test]
    fn step_up_table() {
        let base = ", error_description=\"A different authentication level is required\", acr_values=\"mfa\"";
        for (acr, auth_time, max_age, want) in [
            ("mfa", 1_000, None, None),
            ("mfa", 1_000, Some(60), None),
            ("mfa", 939, Some(60), None),
            ("mfa", 938, Some(60), Some(format!("{base}, max_age=60"))),
            ("pwd", 1_000, None, Some(base.to_owned())),
            ("pwd", 1_000, Some(60), Some(format!("{base}, max_age=60"))),
            ("", 1_000, None, Some(base.to_owned())),
        ] {
            assert_eq!(step_up_needed(&claims(acr, auth_time), max_age, 999), want, "{acr} {auth_time} {max_age:?}");
        }
    }

    #[test]
    fn max_age_query() {
        assert_eq!(max_age_param(None), Ok(None));
        assert_eq!(max_age_param(Some("x=1")), Ok(None));
        assert_eq!(max_age_param(Some("max_age=0")), Ok(Some(0)));
        assert_eq!(max_age_param(Some("a=b&max_age=300")), Ok(Some(300)));
        for bad in ["max_age=", "max_age=-1", "max_age=1.5", "max_age=abc"] {
            assert_eq!(max_age_param(Some(bad)), Err(()), "{bad}");
        }
    }
}
