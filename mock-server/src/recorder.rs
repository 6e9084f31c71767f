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

/// One request as seen by the server (for leak and header checks); never holds token values.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub origin: Option<String>,
    pub has_authorization: bool,
    pub csrf_header: Option<String>,
    pub has_refresh_cookie: bool,
}

impl RequestRecord {
    pub fn of(req: &Request) -> Self {
        let h = req.headers();
        Self {
            method: req.method().to_string(),
            path: req.uri().path().to_owned(),
            origin: h.get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned),
            has_authorization: h.contains_key(header::AUTHORIZATION),
            csrf_header: h.get("x-requested-with").and_then(|v| v.to_str().ok()).map(str::to_owned),
            has_refresh_cookie: refresh_cookie(h).is_some(),
        }
    }
}

/// Count a refresh request and keep its record (test-control requests are not kept).
pub fn record(m: &mut Mutable, req: &Request) {
    let record = RequestRecord::of(req);
    if record.path == "/auth/refresh" && req.method() == Method::POST {
        m.counters.refresh_requests += 1;
        if record.has_authorization {
            m.counters.refresh_with_authorization += 1;
        }
    }
    if !record.path.starts_with("/__test") {
        push(&mut m.requests, record);
    }
}

fn push(requests: &mut VecDeque<RequestRecord>, record: RequestRecord) {
    if requests.len() >= KEEP {
        requests.pop_front();
    }
    requests.push_back(record);
}
