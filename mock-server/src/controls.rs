//! Test controls (`/__test/*`, only with `--test-controls`): faults, counters, reset, clock,
//! run-time config, the request log and the store dump.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::config::misconfig_name;
use crate::faults::Fault;
use crate::{AppState, Misconfig, RefreshModel};

pub(crate) async fn add_fault(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
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

pub(crate) async fn counters(State(app): State<Arc<AppState>>) -> Response {
    let m = app.lock();
    let mut c = m.counters.clone();
    c.revoked_families = m.store.revoked_families;
    Json(c).into_response()
}

pub(crate) async fn reset(State(app): State<Arc<AppState>>) -> Response {
    app.reset();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClockShift {
    shift_seconds: i64,
}

pub(crate) async fn shift_clock(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
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
    /// Refresh family lifetime, seconds: for families started (or, sliding, rotated) after.
    refresh_ttl: Option<u64>,
    /// `"absolute"` or `"sliding"`: read at each rotation.
    refresh_model: Option<String>,
    reuse_grace: Option<u64>,
    dpop: Option<bool>,
    /// Absent: unchanged; `null`: nonce mode off; a number: nonce mode on (implies `dpop`).
    #[serde(default, deserialize_with = "present")]
    dpop_nonce_seconds: Option<Option<u64>>,
    /// The misconfiguration switches on from now (replacing the current set; `[]`: none).
    misconfig: Option<Vec<String>>,
}

/// Tells a field given as `null` (`Some(None)`) from an absent one (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    Option::<u64>::deserialize(d).map(Some)
}

pub(crate) async fn set_config(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let parsed = serde_json::from_slice::<RuntimeConfig>(&body);
    if let Ok(RuntimeConfig { misconfig: Some(names), .. }) = &parsed {
        if let Some(Err(e)) = names.iter().map(|n| misconfig_name(n)).find(Result::is_err) {
            return (StatusCode::BAD_REQUEST, Json(json!({ "error": e }))).into_response();
        }
    }
    match parsed {
        Ok(c) if c.access_ttl != Some(0)
            && c.refresh_ttl.is_none_or(|t| (1..=10 * 365 * 86_400).contains(&t))
            && c.refresh_model.as_deref().is_none_or(|m| RefreshModel::parse(m).is_some())
            && c.dpop_nonce_seconds != Some(Some(0))
            && !(c.dpop == Some(false) && matches!(c.dpop_nonce_seconds, Some(Some(_)))) =>
        {
            let mut m = app.lock();
            if let Some(t) = c.access_ttl {
                m.access_ttl = t;
            }
            if let Some(t) = c.refresh_ttl {
                m.refresh_ttl = t;
            }
            if let Some(model) = c.refresh_model.as_deref().and_then(RefreshModel::parse) {
                m.refresh_model = model;
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
            if let Some(names) = &c.misconfig {
                m.misconfig = Misconfig::new(names);
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
            Json(json!({ "error": "expected {\"accessTtl\"?: integer >= 1, \"refreshTtl\"?: integer 1..=315360000, \"refreshModel\"?: \"absolute\" | \"sliding\", \"reuseGrace\"?: integer, \"dpop\"?: boolean, \"dpopNonceSeconds\"?: integer >= 1 | null (implies dpop: true), \"misconfig\"?: [name]}" })),
        )
            .into_response(),
    }
}

pub(crate) async fn requests(State(app): State<Arc<AppState>>) -> Response {
    Json(app.lock().requests.list()).into_response()
}

pub(crate) async fn store_dump(State(app): State<Arc<AppState>>) -> Response {
    let now = app.now_ms();
    Json(app.lock().store.dump(now)).into_response()
}
