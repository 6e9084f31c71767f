//! The auth endpoints: login, refresh (rotating cookie, reuse detection, DPoP binding) and
//! logout (scopes `local`, `others`, `global`), with their CSRF/Origin check and the token
//! response.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::cookies::{clear_cookie, logout_clear_cookie, refresh_cookie, set_cookie};
use crate::errors::error;
use crate::proofs::token_endpoint_proof;
use crate::store::{Presented, UserSignOut};
use crate::tokens::{Login, Variant};
use crate::{AppState, Misconfig, Mutable};

const CSRF_HEADER: &str = "x-requested-with";

/// The token answer. `refresh_expires_in` (Keycloak's name) is what is left of the refresh
/// family, whole seconds, the same value as the cookie's `Max-Age`. `refresh: None` answers
/// without a `Set-Cookie` (the `no-rotation` and `grace-without-cookie` switches).
#[allow(clippy::too_many_arguments)]
fn token_response(
    req_headers: &HeaderMap,
    access_token: String,
    expires_in: Option<u64>,
    refresh: Option<&str>,
    max_age_s: i64,
    dpop_bound: bool,
    mis: &Misconfig,
    access_ttl: u64,
) -> Response {
    let token_type = if dpop_bound { "DPoP" } else { "Bearer" };
    let mut max_age_s = max_age_s.max(0);
    if mis.has("max-age-of-access-token") {
        max_age_s = max_age_s.min(access_ttl as i64);
    }
    let refresh_expires_in = if mis.has("refresh-expires-in-mismatch") { max_age_s / 2 } else { max_age_s };
    let mut body =
        json!({ "access_token": access_token, "token_type": token_type, "refresh_expires_in": refresh_expires_in });
    if let Some(e) = expires_in {
        body["expires_in"] = if mis.has("expires-in-mismatch") { e + 600 } else { e }.into();
    }
    let mut res = (StatusCode::OK, Json(body)).into_response();
    let h = res.headers_mut();
    if !mis.has("no-store-missing") {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    }
    if let Some(refresh) = refresh {
        h.insert(header::SET_COOKIE, set_cookie(req_headers, refresh, max_age_s, mis));
    }
    res
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
    /// Space-separated authentication levels asked for (RFC 9470 step-up); the first one
    /// becomes the tokens' `acr` (the mock authenticates every level by the password).
    #[serde(default)]
    acr_values: Option<String>,
    /// Space-separated scopes asked for; all are granted (`admin` opens `/api/admin`).
    #[serde(default)]
    scope: Option<String>,
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
    let login = Login::new(&creds.username, now, creds.acr_values.as_deref(), creds.scope.as_deref());
    let ttl_ms = m.refresh_ttl_ms();
    let (refresh, expires_at_ms) = m.store.create(login.clone(), now, ttl_ms, jkt.as_deref());
    let variant = variant.map_or(Variant::Normal, |Extension(v)| v);
    let max_age = (expires_at_ms - now) / 1000;
    issue(&app, &mut m, &headers, &login, variant, Some(&refresh), max_age, now, jkt.as_deref())
}

#[allow(clippy::too_many_arguments)]
fn issue(
    app: &AppState,
    m: &mut Mutable,
    headers: &HeaderMap,
    login: &Login,
    variant: Variant,
    refresh: Option<&str>,
    max_age_s: i64,
    now: i64,
    jkt: Option<&str>,
) -> Response {
    match app.signer.issue(login, now, m.access_ttl, variant, jkt) {
        Ok(at) => {
            let expires_in = (variant != Variant::NoExp).then_some(m.access_ttl);
            token_response(headers, at, expires_in, refresh, max_age_s, jkt.is_some(), &m.misconfig, m.access_ttl)
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
    if !m.misconfig.has("no-csrf") && csrf_check(&app, &headers).is_err() {
        m.counters.csrf_rejected += 1;
        return error(StatusCode::FORBIDDEN, "csrf_check_failed");
    }
    let rejected = |m: &mut Mutable| {
        m.counters.refresh_rejected += 1;
        let mut r = error(StatusCode::UNAUTHORIZED, "invalid_grant");
        r.headers_mut().insert(header::SET_COOKIE, clear_cookie(&headers, &m.misconfig));
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
    let grace_ms = if m.misconfig.has("no-grace") { 0 } else { m.reuse_grace as i64 * 1000 };
    let variant = variant.map_or(Variant::Normal, |Extension(v)| v);
    let sliding = m.sliding_ttl_ms();
    if m.misconfig.has("no-rotation") {
        // The cookie is checked but not rotated: answered without a Set-Cookie.
        let Some((login, expires_at_ms)) = m.store.peek(&cookie, now) else { return rejected(&mut m) };
        m.counters.refreshes += 1;
        let max_age = (expires_at_ms - now) / 1000;
        return issue(&app, &mut m, &headers, &login, variant, None, max_age, now, jkt.as_deref());
    }
    let revoke_on_reuse = !m.misconfig.has("no-reuse-detection");
    let (login, token, expires_at_ms, set) =
        match m.store.present_with(&cookie, now, grace_ms, sliding, revoke_on_reuse) {
            Presented::Rotated { login, token, expires_at_ms } => (login, token, expires_at_ms, true),
            Presented::GraceReplay { login, token, expires_at_ms } => {
                m.counters.grace_replays += 1;
                let set = !m.misconfig.has("grace-without-cookie");
                (login, token, expires_at_ms, set)
            }
            Presented::ReuseDetected | Presented::Invalid => return rejected(&mut m),
        };
    m.counters.refreshes += 1;
    let max_age = (expires_at_ms - now) / 1000;
    issue(&app, &mut m, &headers, &login, variant, set.then_some(token.as_str()), max_age, now, jkt.as_deref())
}

/// `POST /auth/logout?scope=…`: which sessions a logout ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogoutScope {
    /// This cookie's family (the default, also without a scope).
    Local,
    /// Every other family of the cookie's user; this one and its cookie stay.
    Others,
    /// Every family of the cookie's user.
    Global,
}

impl LogoutScope {
    /// The `scope` query parameter (the first one; absent = `local`); `None` for an unknown
    /// value.
    fn from_query(query: Option<&str>) -> Option<Self> {
        let value = query.unwrap_or("").split('&').find_map(|kv| match kv.split_once('=') {
            Some(("scope", v)) => Some(v),
            None if kv == "scope" => Some(""),
            _ => None,
        });
        match value {
            None | Some("local") => Some(Self::Local),
            Some("others") => Some(Self::Others),
            Some("global") => Some(Self::Global),
            Some(_) => None,
        }
    }
}

/// Logout. After the CSRF check (403) and the scope (400 `invalid_request` when unknown):
/// `local` revokes this cookie's family and `global` every family of its user, both answer
/// 204 and clear the cookie whatever the cookie was; `others` revokes every other family of
/// the user and answers 200 `{"revoked": n}` leaving the cookie alone, or 401
/// `invalid_grant` (nothing revoked) when the cookie is missing or one a refresh would refuse.
pub(crate) async fn logout(State(app): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let now = app.now_ms();
    let mut m = app.lock();
    m.store.expire_grace(now);
    if !m.misconfig.has("no-csrf") && csrf_check(&app, &headers).is_err() {
        m.counters.csrf_rejected += 1;
        return error(StatusCode::FORBIDDEN, "csrf_check_failed");
    }
    let Some(scope) = LogoutScope::from_query(uri.query()) else {
        return error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    m.counters.logouts += 1;
    let cookie = refresh_cookie(&headers);
    match scope {
        LogoutScope::Local => {
            m.counters.logouts_local += 1;
            if let Some(cookie) = cookie.as_ref().filter(|_| !m.misconfig.has("logout-no-revoke")) {
                m.store.revoke(cookie);
            }
        }
        LogoutScope::Global => {
            m.counters.logouts_global += 1;
            if let Some(cookie) = &cookie {
                m.store.sign_out_user(cookie, UserSignOut::Global, now);
            }
        }
        LogoutScope::Others => {
            m.counters.logouts_others += 1;
            let revoked = cookie.and_then(|c| m.store.sign_out_user(&c, UserSignOut::Others, now));
            return match revoked {
                Some(n) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], Json(json!({ "revoked": n })))
                    .into_response(),
                None => error(StatusCode::UNAUTHORIZED, "invalid_grant"),
            };
        }
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(header::SET_COOKIE, logout_clear_cookie(&headers, &m.misconfig));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[cfg(test)]
mod tests {
    use super::LogoutScope::{self, *};

    #[test]
    fn logout_scope_from_query() {
        for (query, want) in [
            (None, Some(Local)),
            (Some(""), Some(Local)),
            (Some("scope=local"), Some(Local)),
            (Some("scope=others"), Some(Others)),
            (Some("x=1&scope=global"), Some(Global)),
            (Some("scope=global&scope=others"), Some(Global)),
            (Some("scope=everything"), None),
            (Some("scope="), None),
            (Some("scope"), None),
            (Some("scope=Global"), None),
            (Some("scopes=global"), Some(Local)),
        ] {
            assert_eq!(LogoutScope::from_query(query), want, "{query:?}");
        }
    }
}
