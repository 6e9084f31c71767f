//! A refresh run: one at a time per manager (every caller joins the run in flight), one at a
//! time per origin (the cross-tab lock), attempts with backoff, and its end: events and the
//! next timer. Every decision comes from `core::run`.

use std::borrow::Cow;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use js_sys::Promise;
use wasm_bindgen::JsValue;

use crate::core::policy::{classify_refresh_status, parse_retry_after_ms, RefreshClass};
use crate::core::run::{lock_was_contended, AfterLock, RefreshKind, RefreshStep, RunOutcome, RunStart};
use crate::core::session::{EndReason, TokenSource};
use crate::core::{Error, ErrorCode};
use crate::web::crosstab::lock::LockGuard;
use crate::web::env::{self, now};
use crate::web::error;
use crate::web::events::{self, EventKind, RefreshFailedDetail, SessionExpiredDetail};
use crate::web::manager::Inner;
use crate::web::net::Body;
use crate::web::token_response::{self, TokenResponse};

/// A tab that had to wait for the lock pauses this long before re-checking, so a token the
/// previous holder just broadcast has arrived (the message and the lock grant travel apart).
const LOCK_SETTLE_MS: u32 = 30;
/// A backoff wait is checked this often for a logout or disposal that ends it.
const PAUSE_SLICE_MS: f64 = 250.0;
/// A refresh (or login, logout) request that takes longer is aborted (a network error).
pub const REQUEST_TIMEOUT_MS: u32 = 15_000;

/// A failed refresh attempt.
struct AttemptFailure {
    class: RefreshClass,
    status: Option<u16>,
    retry_after_ms: Option<f64>,
    message: Cow<'static, str>,
}

fn disposed() -> RunOutcome {
    RunOutcome::failed(Error::new(ErrorCode::Aborted, "the manager was disposed"), None)
}

impl Inner {
    /// Join the run in flight or start one. The promise resolves to `undefined` once a token
    /// is held (obtained by this run or shared by another tab), or rejects with a
    /// TokenManagerError. A refused start (ended session, cooldown, storm breaker) rejects
    /// at once and re-arms the timer.
    pub(crate) fn ensure_refresh(self: &Rc<Self>, kind: RefreshKind) -> Promise {
        if let Some(p) = self.in_flight.borrow().as_ref() {
            return p.clone();
        }
        if self.disposed.get() {
            return Promise::reject(&error::js(ErrorCode::Aborted, "the manager was disposed"));
        }
        let start = self.session.borrow_mut().start_run(now(), kind);
        let run = match start {
            Ok(run) => run,
            Err(refusal) => {
                self.schedule();
                return Promise::reject(&error::to_js(&refusal.error()));
            }
        };
        *self.timer.borrow_mut() = None;
        let inner = Rc::clone(self);
        // The future starts on a later microtask, after `in_flight` is set below.
        let promise = crate::web::promise(async move {
            let outcome = inner.run(run).await;
            inner.in_flight.borrow_mut().take();
            inner.after_run(&outcome);
            match outcome {
                RunOutcome::Refreshed | RunOutcome::PeerRefreshed => Ok(JsValue::UNDEFINED),
                RunOutcome::Failed { error, status, .. } => Err(error::with_status(&error, status)),
            }
        });
        *self.in_flight.borrow_mut() = Some(promise.clone());
        promise
    }

    /// The run's end: the next timer, then events (no borrow, no lock held).
    fn after_run(self: &Rc<Self>, outcome: &RunOutcome) {
        if self.disposed.get() {
            return;
        }
        self.schedule();
        match outcome {
            RunOutcome::Refreshed => self.announce_refreshed(false),
            RunOutcome::Failed { error, status } if outcome.is_failed_run() => {
                let detail =
                    RefreshFailedDetail { code: error.code.as_str(), message: &error.message, status: *status };
                self.events.emit(EventKind::RefreshFailed, &events::to_js(&detail));
            }
            RunOutcome::PeerRefreshed | RunOutcome::Failed { .. } => {}
        }
    }

    async fn run(self: &Rc<Self>, run: RunStart) -> RunOutcome {
        // This manager's turn (after a login/logout called earlier), then the origin's lock.
        let _turn = self.turn().await;
        let mut guard = match self.acquire_for(&run).await {
            Ok(guard) => guard,
            Err(outcome) => return outcome,
        };
        let mut retry = 0;
        loop {
            let attempt = self.attempt().await;
            if let Some(outcome) = self.overtaken(&run) {
                // Logged in/out meanwhile: this answer belongs to a session that is gone.
                return outcome;
            }
            let failure = match attempt {
                // adopt() broadcasts the token while the lock is still held (the guard drops
                // on return).
                Ok(t) => match self.adopt(t.token, t.expires_in_s, TokenSource::Refresh, t.dpop) {
                    Ok(_) => return RunOutcome::Refreshed,
                    Err(e) => AttemptFailure {
                        class: RefreshClass::Transient,
                        status: Some(200),
                        retry_after_ms: None,
                        message: e.message,
                    },
                },
                Err(f) => f,
            };
            let step = self.session.borrow().after_failed_attempt(
                failure.class,
                retry,
                failure.retry_after_ms,
                env::random01(),
            );
            match step {
                RefreshStep::RetryAfter(ms) => {
                    // Other tabs may refresh (or log in/out) while this one waits.
                    drop(guard.take());
                    if let Some(outcome) = self.pause(ms, &run).await {
                        return outcome;
                    }
                    retry += 1;
                    guard = match self.acquire_for(&run).await {
                        Ok(guard) => guard,
                        Err(outcome) => return outcome,
                    };
                }
                RefreshStep::EndSession => {
                    drop(guard); // no user callback (sessionExpired) while the lock is held
                    self.end_after_rejection(run.kind);
                    let e =
                        Error::new(ErrorCode::SessionExpired, "the refresh token was rejected: the session is over");
                    return RunOutcome::failed(e, failure.status);
                }
                RefreshStep::Fail => {
                    self.session.borrow_mut().run_failed(now(), failure.retry_after_ms);
                    return RunOutcome::failed(Error::new(ErrorCode::RefreshFailed, failure.message), failure.status);
                }
            }
        }
    }

    /// Take the lock for `run`, then decide whether it still has anything to do. `Err` carries
    /// the run's outcome when it ends here.
    async fn acquire_for(&self, run: &RunStart) -> Result<Option<LockGuard>, RunOutcome> {
        let asked_at = now().mono_ms;
        let locked = self.lock().await;
        if let Some(outcome) = self.overtaken(run) {
            return Err(outcome);
        }
        let Ok(guard) = locked else {
            self.session.borrow_mut().run_failed(now(), None);
            let e = Error::new(ErrorCode::RefreshFailed, "timed out waiting for another tab's refresh");
            return Err(RunOutcome::failed(e, None));
        };
        if guard.is_some() && lock_was_contended(asked_at, now().mono_ms) {
            // Another tab held the lock: give its broadcast a moment to land.
            TimeoutFuture::new(LOCK_SETTLE_MS).await;
        }
        if let Some(outcome) = self.overtaken(run) {
            return Err(outcome);
        }
        match self.session.borrow().after_lock(run) {
            AfterLock::Superseded => Err(self.session.borrow().superseded_outcome(run)),
            AfterLock::PeerRefreshed => Err(RunOutcome::PeerRefreshed),
            AfterLock::Proceed => Ok(guard),
        }
    }

    /// The run's outcome if it has been overtaken (disposal, or the session changed hands).
    fn overtaken(&self, run: &RunStart) -> Option<RunOutcome> {
        if self.disposed.get() {
            return Some(disposed());
        }
        let s = self.session.borrow();
        (!s.is_current(run.ticket)).then(|| s.superseded_outcome(run))
    }

    /// Wait `ms` before the next attempt, in short slices so a logout or `dispose()` ends the
    /// wait at once (returns the outcome then).
    async fn pause(&self, ms: f64, run: &RunStart) -> Option<RunOutcome> {
        let mut left = ms.clamp(0.0, f64::from(i32::MAX));
        while left > 0.0 {
            let step = left.min(PAUSE_SLICE_MS);
            TimeoutFuture::new(step as u32).await;
            left -= step;
            if let Some(outcome) = self.overtaken(run) {
                return Some(outcome);
            }
        }
        None
    }

    /// The refresh endpoint said the cookie is no good (400/401/403).
    fn end_after_rejection(&self, kind: RefreshKind) {
        if self.session.borrow().rejection_ends_session(kind) {
            let changed = self.end_locally(EndReason::SessionExpired, true);
            let detail = SessionExpiredDetail { reason: "refresh_rejected", from_other_tab: false };
            self.announce_end(EndReason::SessionExpired, changed, &events::to_js(&detail));
        }
    }

    /// One POST to the refresh endpoint.
    async fn attempt(&self) -> Result<TokenResponse, AttemptFailure> {
        let transient = |status, message: &'static str| AttemptFailure {
            class: RefreshClass::Transient,
            status,
            retry_after_ms: None,
            message: message.into(),
        };
        let cfg = &self.cfg;
        let headers = self.request_headers().map_err(|e| AttemptFailure {
            class: RefreshClass::Unexpected,
            status: None,
            retry_after_ms: None,
            message: e.message,
        })?;
        let sent = self.token_post(&cfg.refresh_url, headers, Body::None, None, false).await;
        let Ok(res) = sent else { return Err(transient(None, "network error while refreshing")) };
        let status = res.status();
        let class = classify_refresh_status(Some(status));
        if class != RefreshClass::Success {
            let retry_after_ms = res
                .headers()
                .get("retry-after")
                .ok()
                .flatten()
                .and_then(|v| parse_retry_after_ms(&v, js_sys::Date::now()));
            let message = match class {
                RefreshClass::SessionOver => "the refresh endpoint rejected the session",
                RefreshClass::Unexpected => "the refresh endpoint answered with an unexpected status",
                _ => "the refresh endpoint is unavailable",
            };
            return Err(AttemptFailure { class, status: Some(status), retry_after_ms, message: message.into() });
        }
        token_response::read(&res, cfg).await.map_err(|m| transient(Some(status), m))
    }

    /// `refresh()` / `restore()`: run (or join) a refresh and report its outcome.
    pub async fn refresh_now(self: &Rc<Self>, kind: RefreshKind) -> Result<(), JsValue> {
        wasm_bindgen_futures::JsFuture::from(self.ensure_refresh(kind)).await.map(|_| ())
    }
}
