//! Mock auth server for wasm-token-manager (see DESIGN.md, "Mock server contract").
//!
//! Real HTTP, real signed JWTs (EdDSA via jwt-compact), a rotating HttpOnly refresh cookie with
//! reuse detection, CSRF/Origin checks, exact-origin CORS, optional DPoP (RFC 9449) sender
//! constraint with server nonces, and `/__test/*` fault injection.

mod api;
mod auth;
pub mod config;
mod controls;
mod cookies;
pub mod dpop;
mod errors;
mod faults;
mod proofs;
pub mod random;
mod recorder;
mod routes;
pub mod store;
pub mod tokens;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

pub use config::{Config, RefreshModel};
use faults::Fault;
use recorder::Recorder;
use store::Store;
use tokens::Signer;

/// Counters read by tests through `GET /__test/counters`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counters {
    pub logins: u64,
    pub login_failures: u64,
    /// Every POST (or GET) to /auth/refresh, faulted or not, rejected or not.
    pub refresh_requests: u64,
    /// Refreshes answered 200 (rotations and grace replays).
    pub refreshes: u64,
    pub grace_replays: u64,
    /// Refreshes answered 401 (missing/invalid/expired/revoked/reused cookie).
    pub refresh_rejected: u64,
    /// Refresh/logout requests answered 403 (CSRF header or Origin check failed).
    pub csrf_rejected: u64,
    /// Families revoked for reuse of an old refresh token (sign-outs are not counted here).
    pub revoked_families: u64,
    /// Logouts past the CSRF check with a known scope, in total and per scope.
    pub logouts: u64,
    pub logouts_local: u64,
    pub logouts_others: u64,
    pub logouts_global: u64,
    /// Every request to a protected API route (answered or refused).
    pub api_requests: u64,
    /// API requests answered 401 (invalid/expired token, DPoP trouble, step-up required).
    pub api_unauthorized: u64,
    /// Every request to `/api/sensitive` (the step-up route), answered or refused.
    pub api_sensitive: u64,
    /// Every request to `/api/admin` (the scope-checked route), answered or refused.
    pub api_admin: u64,
    /// Requests to /auth/refresh that carried an Authorization header (must stay 0).
    pub refresh_with_authorization: u64,
    /// DPoP proofs accepted (login, refresh, API).
    pub dpop_accepted: u64,
    /// Requests refused for DPoP reasons (a missing/invalid proof, a nonce challenge, a bound
    /// token presented as Bearer), in total and per reason.
    pub dpop_rejected: u64,
    pub dpop_rejected_by_reason: dpop::ReasonCounts,
}

impl Counters {
    pub(crate) fn dpop<T>(&mut self, result: &Result<T, dpop::Reject>) {
        match result {
            Ok(_) => self.dpop_accepted += 1,
            Err(r) => {
                self.dpop_rejected += 1;
                self.dpop_rejected_by_reason.add(*r);
            }
        }
    }
}

pub(crate) struct Mutable {
    pub store: Store,
    pub counters: Counters,
    pub faults: Vec<Fault>,
    pub access_ttl: u64,
    /// Refresh family lifetime (seconds) and model, for families started or rotated from now.
    pub refresh_ttl: u64,
    pub refresh_model: RefreshModel,
    pub reuse_grace: u64,
    pub requests: Recorder,
    /// DPoP on (flags, then `POST /__test/config`).
    pub dpop: bool,
    /// Nonce period in seconds when nonce mode is on (only while `dpop`).
    pub dpop_nonce: Option<u64>,
    pub dpop_jtis: dpop::SeenJtis,
    /// The misconfiguration switches on (flags, then `POST /__test/config`).
    pub misconfig: Misconfig,
}

/// The deliberate server mistakes switched on (`config::MISCONFIGS`); empty by default.
#[derive(Debug, Clone, Default)]
pub(crate) struct Misconfig(Vec<String>);

impl Misconfig {
    pub fn new(names: &[String]) -> Self {
        Self(names.to_vec())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|n| n == name)
    }
}

pub(crate) struct AppState {
    pub cfg: Config,
    pub signer: Signer,
    pub nonces: dpop::Nonces,
    /// The test clock shift, outside the mutex: reading the clock never needs the lock, so
    /// a handler may do it while holding the lock.
    clock_shift_ms: AtomicI64,
    mutable: Mutex<Mutable>,
}

impl AppState {
    fn new(cfg: Config) -> Self {
        let mutable = Mutable::fresh(&cfg);
        Self {
            signer: Signer::generate(),
            nonces: dpop::Nonces::generate(),
            clock_shift_ms: AtomicI64::new(0),
            mutable: Mutex::new(mutable),
            cfg,
        }
    }

    /// Lock the mutable state (poisoning is recovered: a panicking test must not wedge others).
    pub fn lock(&self) -> MutexGuard<'_, Mutable> {
        self.mutable.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The server clock in ms: system time plus the test clock shift.
    pub fn now_ms(&self) -> i64 {
        let sys = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
        sys + self.clock_shift_ms.load(Ordering::Relaxed)
    }

    pub fn set_clock_shift_ms(&self, ms: i64) {
        self.clock_shift_ms.store(ms, Ordering::Relaxed);
    }

    /// In nonce mode, the accepted nonces `[current, previous]`.
    pub fn dpop_nonces(&self, m: &Mutable, now_ms: i64) -> Option<[String; 2]> {
        let period = m.dpop_nonce.filter(|_| m.dpop)?;
        Some(self.nonces.at(period, now_ms))
    }

    /// Back to the state the command line describes (`POST /__test/reset`).
    pub fn reset(&self) {
        *self.lock() = Mutable::fresh(&self.cfg);
        self.set_clock_shift_ms(0);
    }
}

impl Mutable {
    /// The refresh family lifetime in ms.
    pub fn refresh_ttl_ms(&self) -> i64 {
        (self.refresh_ttl as i64).saturating_mul(1000)
    }

    /// In the sliding model, how far a rotation moves the family's end (ms).
    pub fn sliding_ttl_ms(&self) -> Option<i64> {
        (self.refresh_model == RefreshModel::Sliding).then(|| self.refresh_ttl_ms())
    }

    fn fresh(cfg: &Config) -> Self {
        Self {
            store: Store::default(),
            counters: Counters::default(),
            faults: Vec::new(),
            access_ttl: cfg.access_ttl,
            refresh_ttl: cfg.refresh_ttl,
            refresh_model: cfg.refresh_model,
            reuse_grace: cfg.reuse_grace,
            requests: Recorder::default(),
            dpop: cfg.dpop || cfg.dpop_nonce.is_some(),
            dpop_nonce: cfg.dpop_nonce,
            dpop_jtis: dpop::SeenJtis::default(),
            misconfig: Misconfig::new(&cfg.misconfig),
        }
    }
}

/// Serve on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    cfg: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = routes::router(Arc::new(AppState::new(cfg)));
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// Start a server on an ephemeral loopback port in the background (for tests).
pub async fn spawn(mut cfg: Config) -> std::io::Result<SocketAddr> {
    cfg.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let listener = tokio::net::TcpListener::bind(cfg.addr).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(serve(listener, cfg, std::future::pending()));
    Ok(addr)
}
