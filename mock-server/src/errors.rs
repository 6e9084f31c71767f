//! The JSON error shape every endpoint answers with: `{"error": code}`, `Cache-Control:
//! no-store`. Its own module so the handlers (`auth`, `api`, `proofs`) depend on it and not on
//! the router that assembles them.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub(crate) fn error(status: StatusCode, code: &'static str) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Json(json!({ "error": code }))).into_response()
}
