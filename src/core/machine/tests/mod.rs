//! The machine's unit tests, input by input, by what they exercise (many tabs, faults and
//! schedules: `tests/simulator.rs`):
//! - `flows`: each call's main path in one tab;
//! - `calls`: the calls' edges (getters, `setAccessToken`'s bounds, aborts, login answers);
//! - `ordering`: logins, logouts and restores ordered under the lock; sign-out scopes;
//! - `refresh`: refresh runs and their answers, backoff, offline;
//! - `peers`: other tabs' messages and the shared record;
//! - `limits`: the session's end and the idle timeout;
//! - `requests`: wrapped requests (keepalive, DPoP nonces, step-up challenges).
//!
//! This file holds what they share: configurations, answers, and readers of the outputs.

use super::*;
use crate::core::session::tests::{at, T0};
use crate::core::session::{Epoch, EPOCH_PER_MS};

mod calls;
mod flows;
mod limits;
mod ordering;
mod peers;
mod refresh;
mod requests;

/// One tab, no shared record, no session warning; a token-returning login and a logout URL.
pub(super) fn config() -> Config {
    Config {
        refresh_margin_ms: 60_000.0,
        auto_refresh: true,
        cross_tab: false,
        has_login_url: true,
        login_returns_token: true,
        has_logout_url: true,
        allowed_origins: vec!["https://app.example".into()],
        dpop: false,
        session_warning_ms: 0.0,
        idle: None,
        step_up: false,
    }
}

/// Everything the machine has to say, in order.
pub(super) fn drain(m: &mut Machine) -> Vec<Output> {
    std::iter::from_fn(|| m.poll_output()).collect()
}

/// The first POST among `outputs`.
pub(super) fn posted(outputs: &[Output]) -> Option<(HttpId, Endpoint)> {
    outputs.iter().find_map(|o| match o {
        Output::Post { id, endpoint } => Some((*id, *endpoint)),
        _ => None,
    })
}

/// The first lock request among `outputs`.
pub(super) fn lock_of(outputs: &[Output]) -> Option<LockId> {
    outputs.iter().find_map(|o| if let Output::RequestLock(id) = o { Some(*id) } else { None })
}

/// How `call` was settled, if it was.
pub(super) fn settled(outputs: &[Output], call: CallId) -> Option<&Result<CallValue, (Error, Option<u16>)>> {
    outputs.iter().find_map(|o| match o {
        Output::Settle { call: c, result } if *c == call => Some(result),
        _ => None,
    })
}

/// The events among `outputs`, `StateChanged` included.
pub(super) fn all_events(outputs: &[Output]) -> Vec<&Event> {
    outputs.iter().filter_map(|o| if let Output::Event(e) = o { Some(e) } else { None }).collect()
}

pub(super) fn logged_out(outputs: &[Output]) -> Vec<&Event> {
    outputs
        .iter()
        .filter_map(|o| if let Output::Event(e @ Event::LoggedOut { .. }) = o { Some(e) } else { None })
        .collect()
}

pub(super) fn broadcasts(out: &[Output]) -> usize {
    out.iter()
        .filter(|o| matches!(o, Output::Broadcast(_) | Output::StoreShared(SharedEpoch { ended: Some(_), .. })))
        .count()
}

pub(super) fn login_answer(m: &mut Machine, now: Instant, session_s: Option<f64>) -> Vec<Output> {
    let call = m.login(now);
    let mut out = drain(m);
    if let Some(lock) = out.iter().find_map(|o| if let Output::RequestLock(id) = o { Some(*id) } else { None }) {
        m.lock_granted(now, lock, None);
        out = drain(m);
    }
    let (http, endpoint) = posted(&out).expect("posts");
    assert_eq!(endpoint, Endpoint::Login(call));
    let token = Ok(TokenAnswer { token: "opaque-a".into(), expires_in_s: Some(300.0), dpop: false, session_s });
    m.post_done(now, http, HttpOutcome::Answer { status: 200, retry_after_ms: None, token });
    drain(m)
}

pub(super) fn shared_at(ms: f64, ended: Option<EndReason>) -> SharedEpoch {
    let epoch = crate::core::session::Epoch((T0.wall_ms + ms) as u64 * crate::core::session::EPOCH_PER_MS + 1023);
    SharedEpoch { epoch, ended }
}

/// A signed-in tab (login at T0) whose refresh is under the lock with `shared` read there.
pub(super) fn refresh_reading(shared: SharedEpoch) -> (Machine, Vec<Output>) {
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    login_answer(&mut m, T0, None);
    m.refresh(at(20_000.0), RefreshKind::Explicit);
    let lock = lock_of(&drain(&mut m)).expect("asks");
    m.lock_granted(at(20_000.0), lock, Some(shared));
    let out = drain(&mut m);
    (m, out)
}

pub(super) fn sends(out: &[Output], req: ReqId) -> usize {
    out.iter().filter(|o| matches!(o, Output::Send { req: r, .. } if *r == req)).count()
}

/// The epoch stamp of a call made `ms` after T0 (by any tab).
pub(super) fn epoch_at(ms: f64) -> Epoch {
    Epoch((T0.wall_ms + ms) as u64 * EPOCH_PER_MS + 512)
}

pub(super) fn ok_token(token: &str, expires_in_s: f64, dpop: bool, session_s: Option<f64>) -> HttpOutcome {
    let token = Ok(TokenAnswer { token: token.into(), expires_in_s: Some(expires_in_s), dpop, session_s });
    HttpOutcome::Answer { status: 200, retry_after_ms: None, token }
}

pub(super) fn status(status: u16, retry_after_ms: Option<f64>) -> HttpOutcome {
    HttpOutcome::Answer { status, retry_after_ms, token: Err("no body") }
}

/// A machine signed in at T0 by a login answered `answer`.
pub(super) fn signed_in_with(cfg: Config, answer: HttpOutcome) -> Machine {
    let mut m = Machine::new(cfg, 5);
    let (_, _, http) = login_posted(&mut m, T0);
    m.post_done(T0, http, answer);
    drain(&mut m);
    assert_eq!(m.state(), SessionState::Authenticated);
    m
}

pub(super) fn signed_in(cfg: Config) -> Machine {
    signed_in_with(cfg, ok_token("opaque-a", 300.0, false, None))
}

/// Start `kind` at `now` and get its refresh POST (through the lock when there is one).
pub(super) fn refresh_posted(m: &mut Machine, now: Instant, kind: RefreshKind) -> (CallId, HttpId) {
    let call = m.refresh(now, kind);
    let mut out = drain(m);
    if let Some(lock) = lock_of(&out) {
        m.lock_granted(now, lock, None);
        out = drain(m);
    }
    let (http, endpoint) = posted(&out).expect("the refresh posts");
    assert_eq!(endpoint, Endpoint::Refresh);
    (call, http)
}

/// Call `login()` at `now` and get its POST (through the lock, granted at once, when there
/// is one).
pub(super) fn login_posted(m: &mut Machine, now: Instant) -> (CallId, Option<LockId>, HttpId) {
    let call = m.login(now);
    let mut out = drain(m);
    let lock = lock_of(&out);
    if let Some(lock) = lock {
        m.lock_granted(now, lock, None);
        out = drain(m);
    }
    let (http, endpoint) = posted(&out).expect("the login posts");
    assert_eq!(endpoint, Endpoint::Login(call));
    (call, lock, http)
}

/// Grant `lock` at `ms` (after T0) with `shared` read there, and let a contended grant settle.
pub(super) fn grant(m: &mut Machine, lock: LockId, ms: f64, shared: Option<SharedEpoch>) -> Vec<Output> {
    m.lock_granted(at(ms), lock, shared);
    let mut out = drain(m);
    m.handle_timeout(at(ms + LOCK_SETTLE_MS + 1.0));
    out.extend(drain(m));
    out
}

pub(super) fn token_message(epoch: Epoch, token: &str, sent_ms: f64) -> Message {
    Message::Token {
        epoch,
        token: token.into(),
        remaining_ms: Some(300_000.0),
        sent_wall_ms: T0.wall_ms + sent_ms,
        dpop: false,
        session_end: None,
    }
}

pub(super) fn state_changes(out: &[Output]) -> usize {
    all_events(out).iter().filter(|e| matches!(e, Event::StateChanged)).count()
}

pub(super) fn logged_out_events(out: &[Output]) -> usize {
    all_events(out).iter().filter(|e| matches!(e, Event::LoggedOut { .. })).count()
}

/// A request to the API's (allowed) origin; `has_authorization`: the caller set its own.
pub(super) fn api(has_authorization: bool, keepalive: bool) -> FetchStart {
    FetchStart { url: "https://app.example/api".into(), has_authorization, keepalive, replayable: true }
}

/// Send `start` at `ms` after T0 and answer it `status` with `www_authenticate`: the request
/// and what followed.
pub(super) fn answered(
    m: &mut Machine,
    ms: f64,
    start: FetchStart,
    status: u16,
    www_authenticate: Option<&str>,
) -> (ReqId, Vec<Output>) {
    let req = m.fetch(at(ms), start);
    drain(m);
    m.fetch_answered(at(ms + 1.0), req, status, false, www_authenticate);
    (req, drain(m))
}

pub(super) const CHALLENGE: &str = r#"Bearer error="insufficient_user_authentication", acr_values="mfa""#;

pub(super) fn step_ups(out: &[Output]) -> usize {
    out.iter().filter(|o| matches!(o, Output::StepUp { .. })).count()
}

pub(super) fn session_config() -> Config {
    Config { session_warning_ms: 5_000.0, ..config() }
}

pub(super) fn session_answer(token: &str, expires_in_s: f64, session_s: Option<f64>) -> HttpOutcome {
    let token = Ok(TokenAnswer { token: token.into(), expires_in_s: Some(expires_in_s), dpop: false, session_s });
    HttpOutcome::Answer { status: 200, retry_after_ms: None, token }
}

pub(super) fn status_only(status: u16) -> HttpOutcome {
    HttpOutcome::Answer { status, retry_after_ms: None, token: Err("no body") }
}

/// A machine signed in at T0 with a token of `expires_in_s` and a session of `session_s`.
pub(super) fn signed_in_for(cfg: Config, expires_in_s: f64, session_s: Option<f64>) -> Machine {
    let mut m = Machine::new(cfg, 3);
    m.login(T0);
    let (http, _) = posted(&drain(&mut m)).expect("login posts");
    m.post_done(T0, http, session_answer("opaque-a", expires_in_s, session_s));
    drain(&mut m);
    m
}

pub(super) fn events_but_state(out: &[Output]) -> Vec<&Event> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(Event::StateChanged) => None,
            Output::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

pub(super) fn api_request(m: &mut Machine, now: Instant) -> ReqId {
    m.fetch(now, api(false, false))
}

pub(super) fn idle_config() -> Config {
    Config { idle: Some((10_000.0, 3_000.0)), session_warning_ms: 0.0, ..session_config() }
}
