//! The request recorder behind `GET /__test/requests` and the refresh request counters: every
//! request is seen here before any fault applies. Never holds token values.

use std::collections::VecDeque;

use axum::extract::Request;
use axum::http::{header, Method};
use serde::Serialize;

use crate::cookies::refresh_cookie;
use crate::Mutable;

/// How many requests `GET /__test/requests` keeps.
const KEEP: usize = 1000;

/// One request as seen by the server (for leak, header and ordering checks); never holds
/// token values.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// Arrival order (increasing, with gaps where test-control requests were; restarts at
    /// `POST /__test/reset`).
    pub seq: u64,
    /// Server clock (ms since the epoch, with the test clock shift) when the request arrived.
    pub at_ms: i64,
    pub method: String,
    pub path: String,
    pub origin: Option<String>,
    pub has_authorization: bool,
    pub csrf_header: Option<String>,
    pub content_type: Option<String>,
    pub has_refresh_cookie: bool,
    /// Whether the request carried a `DPoP` proof header.
    pub has_dpop: bool,
    /// The fault action applied to this request, if any.
    pub fault: Option<&'static str>,
    /// The status of the response the server produced (for `commit_then_delay` and
    /// `commit_then_drop`: the endpoint's status, known before it is held or dropped); `None`
    /// while the request is in progress or when no response was produced (`drop`).
    pub status: Option<u16>,
    /// Server clock when that response was produced (for a held response: before the hold).
    pub done_ms: Option<i64>,
}

/// The last [`KEEP`] requests (test-control requests are not kept).
#[derive(Debug, Default)]
pub struct Recorder {
    requests: VecDeque<RequestRecord>,
    next_seq: u64,
}

impl Recorder {
    pub fn list(&self) -> Vec<RequestRecord> {
        self.requests.iter().cloned().collect()
    }

    fn push(&mut self, record: RequestRecord) {
        if self.requests.len() >= KEEP {
            self.requests.pop_front();
        }
        self.requests.push_back(record);
    }

    fn get_mut(&mut self, seq: u64) -> Option<&mut RequestRecord> {
        // Kept in arrival order (test-control requests take a number but are not kept).
        let i = self.requests.binary_search_by_key(&seq, |r| r.seq).ok()?;
        self.requests.get_mut(i)
    }
}

/// Count a refresh request and keep its record. Returns its sequence number.
pub fn record(m: &mut Mutable, req: &Request, now_ms: i64) -> u64 {
    let h = req.headers();
    m.requests.next_seq += 1;
    let record = RequestRecord {
        seq: m.requests.next_seq,
        at_ms: now_ms,
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
        origin: h.get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned),
        has_authorization: h.contains_key(header::AUTHORIZATION),
        csrf_header: h.get("x-requested-with").and_then(|v| v.to_str().ok()).map(str::to_owned),
        content_type: h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned),
        has_refresh_cookie: refresh_cookie(h).is_some(),
        has_dpop: h.contains_key(crate::dpop::HEADER),
        fault: None,
        status: None,
        done_ms: None,
    };
    if record.path == "/auth/refresh" && (req.method() == Method::POST || req.method() == Method::GET) {
        m.counters.refresh_requests += 1;
        if record.has_authorization {
            m.counters.refresh_with_authorization += 1;
        }
    }
    let seq = record.seq;
    if !record.path.starts_with("/__test") {
        m.requests.push(record);
    }
    seq
}

/// Note the fault applied to request `seq`.
pub fn faulted(m: &mut Mutable, seq: u64, action: &'static str) {
    if let Some(r) = m.requests.get_mut(seq) {
        r.fault = Some(action);
    }
}

/// Note the status of the response produced for request `seq`.
pub fn answered(m: &mut Mutable, seq: u64, status: u16, now_ms: i64) {
    if let Some(r) = m.requests.get_mut(seq) {
        r.status = Some(status);
        r.done_ms = Some(now_ms);
    }
}
