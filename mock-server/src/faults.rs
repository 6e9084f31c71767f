//! Fault injection (`POST /__test/fault`): applied by a middleware to the next N requests of a
//! path, after counting and logging them.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use serde::Deserialize;

use crate::tokens::Variant;
use crate::{recorder, AppState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer with `status` (default 500), optional `retryAfter` and `body`, without running
    /// the endpoint.
    Status,
    /// Close the connection without any response, without running the endpoint.
    Drop,
    /// Run the endpoint (e.g. commit a rotation), then close the connection without sending
    /// its response (the client never sees the new cookie).
    CommitThenDrop,
    /// Run the endpoint normally after `delayMs`.
    Delay,
    /// Run the endpoint at once (e.g. commit a rotation or a revocation), then hold its
    /// response for `delayMs` before sending it: the server state changes long before the
    /// client hears of it.
    CommitThenDelay,
    /// Issue an access token without `exp` and answer without `expires_in`.
    TokenWithoutExp,
    /// Issue an opaque (non-JWS) access token, with `expires_in`, that the API accepts.
    OpaqueToken,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    pub path: String,
    pub action: FaultAction,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub delay_ms: u64,
    #[serde(default)]
    pub retry_after: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    /// How many requests this fault applies to (default 1).
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

impl Fault {
    pub fn validate(&self) -> Result<(), String> {
        if !self.path.starts_with('/') {
            return Err("path must start with /".into());
        }
        if let Some(s) = self.status {
            StatusCode::from_u16(s).map_err(|_| format!("status {s} is not an HTTP status"))?;
        }
        if let Some(ra) = &self.retry_after {
            HeaderValue::from_str(ra).map_err(|_| "retryAfter is not a valid header value".to_owned())?;
        }
        if self.delay_ms > 120_000 {
            return Err("delayMs must be at most 120000".into());
        }
        Ok(())
    }
}

impl FaultAction {
    /// The action's name as written in `POST /__test/fault` (and shown in `/__test/requests`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Drop => "drop",
            Self::CommitThenDrop => "commit_then_drop",
            Self::Delay => "delay",
            Self::CommitThenDelay => "commit_then_delay",
            Self::TokenWithoutExp => "token_without_exp",
            Self::OpaqueToken => "opaque_token",
        }
    }
}

/// Counts and logs every request, then applies the first matching fault, if any.
pub async fn middleware(State(app): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let (seq, fault) = {
        let now = app.now_ms();
        let mut m = app.lock();
        let seq = recorder::record(&mut m, &req, now);
        let fault = take_fault(&mut m.faults, req.uri().path());
        if let Some(f) = &fault {
            recorder::faulted(&mut m, seq, f.action.name());
        }
        (seq, fault)
    };
    let answered = |res: &Response| recorder::answered(&mut app.lock(), seq, res.status().as_u16(), app.now_ms());
    let Some(fault) = fault else {
        let res = next.run(req).await;
        answered(&res);
        return res;
    };
    let hold = Duration::from_millis(fault.delay_ms);
    if fault.action != FaultAction::CommitThenDelay && fault.delay_ms > 0 {
        tokio::time::sleep(hold).await;
    }
    let res = match fault.action {
        FaultAction::Delay => next.run(req).await,
        FaultAction::TokenWithoutExp => {
            req.extensions_mut().insert(Variant::NoExp);
            next.run(req).await
        }
        FaultAction::OpaqueToken => {
            req.extensions_mut().insert(Variant::Opaque);
            next.run(req).await
        }
        FaultAction::Drop => return dropped_connection(),
        FaultAction::CommitThenDrop => {
            answered(&next.run(req).await);
            return dropped_connection();
        }
        FaultAction::CommitThenDelay => {
            let res = next.run(req).await;
            answered(&res);
            tokio::time::sleep(hold).await;
            return res;
        }
        FaultAction::Status => status_response(&fault),
    };
    answered(&res);
    res
}

/// The answer of a `status` fault.
fn status_response(fault: &Fault) -> Response {
    let status = StatusCode::from_u16(fault.status.unwrap_or(500)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = fault
        .body
        .clone()
        .unwrap_or_else(|| format!("{{\"error\":\"injected_fault\",\"status\":{}}}", status.as_u16()));
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(ra) = fault.retry_after.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        res.headers_mut().insert(header::RETRY_AFTER, ra);
    }
    res
}

fn take_fault(faults: &mut Vec<Fault>, path: &str) -> Option<Fault> {
    let i = faults.iter().position(|f| f.path == path && f.times > 0)?;
    faults[i].times -= 1;
    let f = faults[i].clone();
    if faults[i].times == 0 {
        faults.remove(i);
    }
    Some(f)
}

/// A response whose body fails on its first poll: hyper closes the connection before the
/// status line is flushed, so the client sees the connection drop with no response at all.
fn dropped_connection() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("injected fault: connection dropped"))
    });
    Response::new(Body::from_stream(stream))
}
