//! The manager's state and operations. One owner of session state (`Session` in a RefCell);
//! borrows are short and never cross an `.await` or a user callback.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use gloo_timers::future::TimeoutFuture;
use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, Response};

use crate::core::options::{origin_allowed, Options};
use crate::core::policy::{classify_refresh_status, parse_retry_after_ms, RefreshClass};
use crate::core::session::{
    Adoption, EndReason, RefreshKind, RefreshStep, RequestPlan, Session, SessionState, TokenGeneration,
    UnauthorizedPlan,
};
use crate::core::token::{accepted_token_json, inspect};
use crate::core::{Error, ErrorCode};
use crate::web::crosstab::{self, CrossTab};
use crate::web::env::{self, now};
use crate::web::error;
use crate::web::events::{EventKind, Events};
use crate::web::lifecycle::{wake_listeners, DomListener};
use crate::web::net::{self, Net};
use crate::web::{promise, spawn};

/// Longest wait for another tab's refresh (the lock) before this run gives up.
const LOCK_WAIT_MS: u32 = 20_000;
/// A tab that had to wait for the lock pauses this long before re-checking, so a token the
/// previous holder just broadcast has arrived (the message and the lock grant travel apart).
const LOCK_SETTLE_MS: u32 = 30;
/// A refresh (or logout) request that takes longer is aborted and counts as a network error.
const REFRESH_TIMEOUT_MS: u32 = 15_000;

/// Options with URLs resolved against the page.
pub struct Resolved {
    pub opts: Options,
    pub refresh_url: String,
    pub login_url: Option<String>,
    pub logout_url: Option<String>,
    pub allowed_origins: Vec<String>,
}

pub struct Inner {
    cfg: Resolved,
    net: Net,
    session: RefCell<Session>,
    /// The single refresh in flight; every waiter awaits this same promise.
    in_flight: RefCell<Option<Promise>>,
    timer: RefCell<Option<Timeout>>,
    listeners: RefCell<Vec<DomListener>>,
    crosstab: RefCell<Option<CrossTab>>,
    pub events: Events,
    disposed: Cell<bool>,
}

/// Where an adopted token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenSource {
    Login,
    Refresh,
    /// `setAccessToken`.
    Caller,
    /// Shared by another tab.
    OtherTab,
}

/// A failed refresh attempt.
struct AttemptFailure {
    class: RefreshClass,
    status: Option<u16>,
    retry_after_ms: Option<f64>,
    error: Error,
}

impl Inner {
    pub fn new(cfg: Resolved, fetch: js_sys::Function) -> Rc<Self> {
        let session = Session::with_auto_refresh(cfg.opts.auto_refresh);
        let inner = Rc::new(Self {
            cfg,
            net: Net::new(fetch),
            session: RefCell::new(session),
            in_flight: RefCell::new(None),
            timer: RefCell::new(None),
            listeners: RefCell::new(Vec::new()),
            crosstab: RefCell::new(None),
            events: Events::default(),
            disposed: Cell::new(false),
        });
        let weak = Rc::downgrade(&inner);
        *inner.listeners.borrow_mut() = wake_listeners(move || wake_later(&weak));
        if inner.cfg.opts.cross_tab {
            let weak = Rc::downgrade(&inner);
            let channel = CrossTab::new(&inner.cfg.refresh_url, move |data| {
                if let Some(inner) = weak.upgrade() {
                    inner.on_peer_message(&data);
                }
            });
            *inner.crosstab.borrow_mut() = Some(channel);
        }
        inner
    }

    // ---- cross-tab ---------------------------------------------------------------------------

    /// Tell the other tabs about the token this tab just obtained.
    fn share_token(&self) {
        let message = {
            let s = self.session.borrow();
            let Some(t) = s.token() else { return };
            let remaining = t.remaining_ms(now()).map_or(JsValue::NULL, JsValue::from);
            net::object(&[("t", "token".into()), ("token", t.value().into()), ("remainingMs", remaining)])
        };
        if let Some(c) = self.crosstab.borrow().as_ref() {
            c.post(&message);
        }
    }

    /// End the session in this tab: drop the token and the timer, and tell the other tabs
    /// unless the news came from one. Returns whether anything changed (events fire once).
    fn end_locally(&self, reason: EndReason, share: bool) -> bool {
        let changed = self.session.borrow_mut().end(reason);
        *self.timer.borrow_mut() = None;
        if let Some(c) = self.crosstab.borrow().as_ref().filter(|_| share) {
            c.post(&net::object(&[("t", "ended".into()), ("reason", reason.as_str().into())]));
        }
        changed
    }

    /// Fire `loggedOut`/`sessionExpired` and `stateChanged` for an end that changed something.
    fn announce_end(&self, reason: EndReason, changed: bool, detail: &JsValue) {
        if changed && !self.disposed.get() {
            let kind = match reason {
                EndReason::LoggedOut => EventKind::LoggedOut,
                EndReason::SessionExpired => EventKind::SessionExpired,
            };
            self.events.emit(kind, detail);
            self.emit_state();
        }
    }

    /// Fire `refreshed` (and `stateChanged`) for the token just adopted.
    fn announce_refreshed(&self, from_other_tab: bool) {
        let mut detail = vec![("expiresAt", self.expires_at().map_or(JsValue::NULL, JsValue::from))];
        if from_other_tab {
            detail.push(("fromOtherTab", true.into()));
        }
        self.events.emit(EventKind::Refreshed, &net::object(&detail));
        self.emit_state();
    }

    fn on_peer_message(self: &Rc<Self>, data: &JsValue) {
        if self.disposed.get() {
            return;
        }
        match net::string_field(data, "t").as_deref() {
            Some("token") => {
                let Some(token) = net::string_field(data, "token") else { return };
                let remaining = net::number_field(data, "remainingMs").filter(|r| r.is_finite() && *r >= 0.0);
                if !self.session.borrow().peer_token_is_newer(&token, remaining, now()) {
                    return;
                }
                if self.adopt(token, remaining.map(|r| r / 1000.0), TokenSource::OtherTab).is_ok() {
                    self.announce_refreshed(true);
                }
            }
            Some("ended") => {
                let Some(reason) = net::string_field(data, "reason").as_deref().and_then(EndReason::parse) else {
                    return;
                };
                let detail = match reason {
                    EndReason::LoggedOut => {
                        net::object(&[("serverConfirmed", JsValue::NULL), ("fromOtherTab", true.into())])
                    }
                    EndReason::SessionExpired => {
                        net::object(&[("reason", "other_tab".into()), ("fromOtherTab", true.into())])
                    }
                };
                let changed = self.end_locally(reason, false);
                self.announce_end(reason, changed, &detail);
            }
            _ => {}
        }
    }

    // ---- state read by the getters -----------------------------------------------------

    pub fn state(&self) -> SessionState {
        self.session.borrow().state()
    }

    pub fn expires_at(&self) -> Option<f64> {
        self.session.borrow().expires_at_wall_ms(now())
    }

    /// When the next proactive refresh is due (wall-clock ms), if one is scheduled.
    pub fn refresh_at(&self) -> Option<f64> {
        let now = now();
        self.session.borrow().timer_delay_ms(now).map(|d| now.wall_ms + d)
    }

    pub fn access_token(&self) -> Option<String> {
        self.session.borrow().token().map(|t| t.value().to_owned())
    }

    /// The payload JSON of the held token, if it is a readable JWS.
    pub fn claims_json(&self) -> Option<String> {
        accepted_token_json(self.session.borrow().token()?.value()).map(|j| j.payload)
    }

    // ---- token adoption and the schedule -----------------------------------------------

    /// Adopt a token. A malformed token changes nothing. A login starts a new session epoch;
    /// a token obtained here is shared with the other tabs (one from another tab is not).
    fn adopt(
        self: &Rc<Self>,
        token: String,
        expires_in_s: Option<f64>,
        source: TokenSource,
    ) -> Result<TokenGeneration, Error> {
        let shape = inspect(&token)?;
        let a = Adoption {
            now: now(),
            expires_in_s,
            margin_ms: self.cfg.opts.refresh_margin_ms,
            random01: env::random01(),
        };
        let generation = {
            let mut session = self.session.borrow_mut();
            if source == TokenSource::Login {
                session.begin();
            }
            session.adopt(token, &shape, a)
        };
        if source != TokenSource::OtherTab {
            self.share_token();
        }
        self.schedule();
        Ok(generation)
    }

    /// Arm the refresh timer from the session's current deadline (RAII: replacing the old
    /// `Timeout` cancels it).
    fn schedule(self: &Rc<Self>) {
        let delay = if self.disposed.get() { None } else { self.session.borrow().timer_delay_ms(now()) };
        let timer = delay.map(|d| {
            let weak = Rc::downgrade(self);
            // Clamp to setTimeout's range; a longer wait is re-armed on wake-up anyway.
            Timeout::new(d.clamp(0.0, f64::from(i32::MAX)) as u32, move || wake_later(&weak))
        });
        *self.timer.borrow_mut() = timer;
    }

    /// Timer fired or the page woke up: refresh if due, else re-arm the timer (it may have
    /// been throttled, frozen or overtaken by sleep).
    fn on_wake(self: &Rc<Self>) {
        if self.disposed.get() {
            return;
        }
        let due = self.session.borrow().refresh_due(now());
        if due && self.in_flight.borrow().is_none() {
            self.refresh_in_background();
        } else {
            self.schedule();
        }
    }

    fn refresh_in_background(self: &Rc<Self>) {
        let p = self.ensure_refresh(RefreshKind::Automatic);
        spawn(async move {
            let _ = JsFuture::from(p).await;
        });
    }

    // ---- refresh ---------------------------------------------------------------------------

    /// Join the refresh in flight or start one. The promise resolves to `undefined` once a
    /// token is held, or rejects with a TokenManagerError.
    pub fn ensure_refresh(self: &Rc<Self>, kind: RefreshKind) -> Promise {
        if let Some(p) = self.in_flight.borrow().as_ref() {
            return p.clone();
        }
        let inner = Rc::clone(self);
        // The future starts on a later microtask, after `in_flight` is set below.
        let promise = promise(async move {
            let result = inner.run_refresh(kind).await;
            inner.in_flight.borrow_mut().take();
            let (detail, result) = match result {
                Ok(()) => (None, Ok(JsValue::UNDEFINED)),
                Err((e, status)) => (Some((e.clone(), status)), Err(error::with_status(&e, status))),
            };
            inner.after_run(detail);
            result
        });
        *self.in_flight.borrow_mut() = Some(promise.clone());
        promise
    }

    /// Events and timer after a run, with no borrow held.
    fn after_run(self: &Rc<Self>, failure: Option<(Error, Option<u16>)>) {
        if self.disposed.get() {
            return;
        }
        match failure {
            None => self.announce_refreshed(false),
            Some((e, status)) if e.code == ErrorCode::RefreshFailed => {
                let detail = net::object(&[
                    ("code", e.code.as_str().into()),
                    ("message", JsValue::from_str(&e.message)),
                    ("status", status.map_or(JsValue::NULL, JsValue::from)),
                ]);
                self.events.emit(EventKind::RefreshFailed, &detail);
            }
            Some(_) => {}
        }
    }

    async fn run_refresh(self: &Rc<Self>, kind: RefreshKind) -> Result<(), (Error, Option<u16>)> {
        let epoch = self.session.borrow_mut().try_start_refresh(now(), kind).map_err(|e| (e, None))?;
        let adopted_before = self.session.borrow().adopted_count();
        let lock_name = self.crosstab.borrow().as_ref().map(|c| c.lock_name().to_owned());
        let asked_at = now().mono_ms;
        let guard = match lock_name {
            Some(name) => match crosstab::acquire(&name, LOCK_WAIT_MS).await {
                Ok(guard) => guard,
                Err(()) => {
                    self.session.borrow_mut().run_failed(now(), None);
                    self.schedule();
                    return Err((
                        Error::new(ErrorCode::RefreshFailed, "timed out waiting for another tab's refresh"),
                        None,
                    ));
                }
            },
            None => None,
        };
        if guard.is_some() && now().mono_ms - asked_at > 1.0 {
            // Another tab held the lock: give its broadcast a moment to land.
            TimeoutFuture::new(LOCK_SETTLE_MS).await;
        }
        if self.disposed.get() || self.session.borrow().epoch() != epoch {
            return Err((Error::new(ErrorCode::NotAuthenticated, "the session changed during the refresh"), None));
        }
        if self.session.borrow().adopted_count() != adopted_before {
            // Another tab refreshed while we waited for the lock and shared its token.
            return Ok(());
        }
        let mut retry = 0;
        loop {
            let attempt = self.refresh_attempt().await;
            if self.disposed.get() {
                return Err((Error::new(ErrorCode::Aborted, "the manager was disposed"), None));
            }
            if self.session.borrow().epoch() != epoch {
                // Logged in/out meanwhile: this result belongs to a session that is gone.
                return Err((Error::new(ErrorCode::NotAuthenticated, "the session changed during the refresh"), None));
            }
            let failure = match attempt {
                Ok((token, expires_in)) => match self.adopt(token, expires_in, TokenSource::Refresh) {
                    Ok(_) => {
                        // adopt() broadcast the token before the lock is released here; events
                        // fire after the run, with no lock held.
                        drop(guard);
                        return Ok(());
                    }
                    Err(e) => AttemptFailure {
                        class: RefreshClass::Transient,
                        status: Some(200),
                        retry_after_ms: None,
                        error: e,
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
                    TimeoutFuture::new(ms.clamp(0.0, f64::from(i32::MAX)) as u32).await;
                    retry += 1;
                    if self.disposed.get() || self.session.borrow().epoch() != epoch {
                        return Err((Error::new(ErrorCode::Aborted, "the session changed during the refresh"), None));
                    }
                }
                RefreshStep::EndSession => {
                    drop(guard); // no user callback (sessionExpired) while the lock is held
                    self.end_session_after_rejection(kind);
                    return Err((
                        Error::new(ErrorCode::SessionExpired, "the refresh token was rejected: the session is over"),
                        failure.status,
                    ));
                }
                RefreshStep::Fail => {
                    self.session.borrow_mut().run_failed(now(), failure.retry_after_ms);
                    self.schedule();
                    let e = Error::new(ErrorCode::RefreshFailed, failure.error.message);
                    return Err((e, failure.status));
                }
            }
        }
    }

    /// The refresh endpoint said the cookie is no good (400/401/403).
    fn end_session_after_rejection(&self, kind: RefreshKind) {
        if self.session.borrow().rejection_ends_session(kind) {
            let changed = self.end_locally(EndReason::SessionExpired, true);
            self.announce_end(
                EndReason::SessionExpired,
                changed,
                &net::object(&[("reason", "refresh_rejected".into())]),
            );
        }
    }

    async fn refresh_attempt(&self) -> Result<(String, Option<f64>), AttemptFailure> {
        let transient = |status, retry_after_ms, msg: &'static str| AttemptFailure {
            class: RefreshClass::Transient,
            status,
            retry_after_ms,
            error: Error::new(ErrorCode::RefreshFailed, msg),
        };
        let res = match self
            .net
            .post(&self.cfg.refresh_url, &self.cfg.opts.refresh_headers, None, Some(REFRESH_TIMEOUT_MS))
            .await
        {
            Ok(r) => r,
            Err(_) => return Err(transient(None, None, "network error while refreshing")),
        };
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
            return Err(AttemptFailure {
                class,
                status: Some(status),
                retry_after_ms,
                error: Error::new(ErrorCode::RefreshFailed, message),
            });
        }
        let Some(body) = net::json_body(&res).await else {
            return Err(transient(Some(status), None, "the refresh response is not JSON"));
        };
        let Some(token) = net::string_field(&body, &self.cfg.opts.access_token_field) else {
            return Err(transient(Some(status), None, "the refresh response has no access token"));
        };
        Ok((token, net::number_field(&body, &self.cfg.opts.expires_in_field)))
    }

    /// `refresh()` / `restore()`: run (or join) a refresh and report its outcome.
    pub async fn refresh_now(self: &Rc<Self>, kind: RefreshKind) -> Result<(), JsValue> {
        JsFuture::from(self.ensure_refresh(kind)).await.map(|_| ())
    }

    // ---- login / logout / set ---------------------------------------------------------------

    pub async fn login(self: &Rc<Self>, body: JsValue) -> Result<(), JsValue> {
        let Some(url) = self.cfg.login_url.clone() else {
            return Err(error::js(ErrorCode::InvalidOptions, "loginUrl is not configured"));
        };
        let failed = |msg: &'static str, status| error::with_status(&Error::new(ErrorCode::LoginFailed, msg), status);
        let res = self
            .net
            .post(&url, &self.cfg.opts.refresh_headers, Some(&body), None)
            .await
            .map_err(|_| failed("network error during login", None))?;
        let status = res.status();
        if !res.ok() {
            return Err(failed("login was rejected", Some(status)));
        }
        let body = net::json_body(&res).await.ok_or_else(|| failed("the login response is not JSON", Some(status)))?;
        let token = net::string_field(&body, &self.cfg.opts.access_token_field)
            .ok_or_else(|| failed("the login response has no access token", Some(status)))?;
        let expires_in = net::number_field(&body, &self.cfg.opts.expires_in_field);
        self.adopt(token, expires_in, TokenSource::Login).map_err(|e| error::to_js(&e))?;
        self.emit_state();
        Ok(())
    }

    pub fn set_access_token(self: &Rc<Self>, token: String, expires_in_s: Option<f64>) -> Result<(), JsValue> {
        if expires_in_s.is_some_and(|e| !e.is_finite() || e < 0.0) {
            return Err(error::js(ErrorCode::InvalidOptions, "expiresInSeconds must be a finite number >= 0"));
        }
        self.adopt(token, expires_in_s, TokenSource::Caller).map_err(|e| error::to_js(&e))?;
        self.emit_state();
        Ok(())
    }

    /// Ends the session locally at once, then tells the server. Resolves to whether the
    /// server confirmed (a network failure still logs out locally).
    pub async fn logout(self: &Rc<Self>) -> bool {
        // Ends locally at once (token, timer, other tabs), before the network call, so nothing
        // can use the token while the server is being told.
        let changed = self.end_locally(EndReason::LoggedOut, true);
        let confirmed = match self.cfg.logout_url.clone() {
            Some(url) => self
                .net
                .post(&url, &self.cfg.opts.refresh_headers, None, Some(REFRESH_TIMEOUT_MS))
                .await
                .is_ok_and(|r| r.ok()),
            None => false,
        };
        self.announce_end(EndReason::LoggedOut, changed, &net::object(&[("serverConfirmed", confirmed.into())]));
        confirmed
    }

    fn emit_state(&self) {
        let (state, expires_at) = (self.state(), self.expires_at());
        let name = match state {
            SessionState::Anonymous => "anonymous",
            SessionState::Authenticated => "authenticated",
            SessionState::Ended(reason) => reason.as_str(),
        };
        let detail = net::object(&[
            ("state", name.into()),
            ("isAuthenticated", (state == SessionState::Authenticated).into()),
            ("expiresAt", expires_at.map_or(JsValue::NULL, JsValue::from)),
        ]);
        self.events.emit(EventKind::StateChanged, &detail);
    }

    // ---- fetch ---------------------------------------------------------------------------

    fn is_allowed(&self, url: &str) -> bool {
        origin_allowed(url, &self.cfg.allowed_origins)
    }

    /// Attach the current token (if any) and return its generation.
    fn attach(&self, request: &Request) -> Result<Option<TokenGeneration>, JsValue> {
        let s = self.session.borrow();
        match s.token() {
            Some(t) => {
                request.headers().set("Authorization", &format!("Bearer {}", t.value()))?;
                Ok(Some(t.generation()))
            }
            None => {
                request.headers().delete("Authorization")?;
                Ok(None)
            }
        }
    }

    /// Wait for the refresh in flight (or start one), honouring the caller's signal.
    /// Refresh failures are not the caller's error here: the request goes out anyway and
    /// the server's answer is returned.
    async fn wait_for_refresh(self: &Rc<Self>, signal: &web_sys::AbortSignal) -> Result<(), JsValue> {
        let p = self.ensure_refresh(RefreshKind::Automatic);
        match net::abortable(p, Some(signal)).await {
            Err(e) if error::has_code(&e, ErrorCode::Aborted) && signal.aborted() => Err(e),
            _ => Ok(()),
        }
    }

    pub async fn fetch(self: &Rc<Self>, input: JsValue, init: JsValue) -> Result<Response, JsValue> {
        if self.disposed.get() {
            return Err(error::js(ErrorCode::NotAuthenticated, "the manager was disposed"));
        }
        let request = net::build_request(&input, &init)?;
        // The caller's own Authorization header, or a foreign origin: plain fetch, untouched.
        if request.headers().has("Authorization")? || !self.is_allowed(&request.url()) {
            return self.net.send(&request).await;
        }
        let signal = request.signal();
        let replayable = net::replayable(&input, &init);
        // A request with a body is cloned before sending (the body is consumed); one without
        // a body can simply be sent again, so the common GET pays for no copy.
        let spare = if replayable && request.body().is_some() { Some(request.clone()?) } else { None };

        let mut waited = false;
        loop {
            let in_flight = self.in_flight.borrow().is_some();
            let plan = self.session.borrow().before_request(now(), in_flight, waited);
            match plan {
                RequestPlan::RefreshFirst => {
                    self.wait_for_refresh(&signal).await?;
                    waited = true;
                }
                RequestPlan::Send { refresh_in_background, .. } => {
                    if refresh_in_background {
                        self.refresh_in_background();
                    }
                    break;
                }
            }
        }
        let sent = self.attach(&request)?;
        let response = self.net.send(&request).await?;
        if response.status() != 401 || !replayable {
            return Ok(response);
        }

        let mut plan = self.session.borrow().after_unauthorized(sent, false);
        if plan == UnauthorizedPlan::RefreshThenReplay {
            self.wait_for_refresh(&signal).await?;
            plan = self.session.borrow().after_unauthorized(sent, false);
        }
        if plan != UnauthorizedPlan::Replay {
            return Ok(response);
        }
        let retry = spare.unwrap_or(request);
        self.attach(&retry)?;
        self.net.send(&retry).await
    }

    // ---- dispose -------------------------------------------------------------------------

    pub fn dispose(&self) {
        self.disposed.set(true);
        self.net.abort_all();
        *self.timer.borrow_mut() = None;
        self.listeners.borrow_mut().clear();
        self.crosstab.borrow_mut().take();
        self.events.clear();
        self.session.borrow_mut().clear();
    }
}

/// Run `on_wake` on a later task, outside the timer/listener callback that asked for it, so
/// replacing the timer never drops the closure that is running.
fn wake_later(weak: &Weak<Inner>) {
    let weak = weak.clone();
    spawn(async move {
        if let Some(inner) = weak.upgrade() {
            inner.on_wake();
        }
    });
}
