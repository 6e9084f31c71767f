//! A request's DPoP proof as the endpoints see it: the URL it names, the one `DPoP` header
//! verified (`dpop::verify`) and counted by reason.

use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;

use crate::dpop::{self, Reject};
use crate::errors::error;
use crate::{AppState, Mutable};

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
pub(crate) fn check_proof(
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

/// At login/refresh with DPoP in force: the proof's key thumbprint, or the response that
/// refuses it (400 `use_dpop_nonce`; the nonce itself is added to every response by the
/// router's nonce layer) or 401 `invalid_dpop_proof`. The cookie is left alone.
pub(crate) fn token_endpoint_proof(
    app: &AppState,
    m: &mut Mutable,
    headers: &HeaderMap,
    path: &str,
    jkt: Option<&str>,
    now: i64,
) -> Result<String, Box<Response>> {
    check_proof(app, m, headers, &Method::POST, path, None, jkt, now).map_err(|r| {
        Box::new(match r {
            Reject::Nonce => error(StatusCode::BAD_REQUEST, "use_dpop_nonce"),
            _ => error(StatusCode::UNAUTHORIZED, "invalid_dpop_proof"),
        })
    })
}
