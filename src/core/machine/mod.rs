//! The manager as one sans-IO state machine: inputs go in with `now`, outputs are polled out,
//! and the one timer the executor arms is [`Machine::poll_timeout`]. The machine never reads a
//! clock, never touches the browser and never waits: the executor (`src/web/`) turns outputs
//! into browser calls and browser callbacks into inputs; the simulator (`tests/sim`) does the
//! same with model tabs, a model server, lock and channel.
//!
//! - `io`: ids, inputs' payloads and the outputs;
//! - `calls`: the caller's calls (refresh, login, logout, setAccessToken, abort, dispose);
//! - `adopt`: taking a token (and sharing it), ending the session here and in the other tabs;
//! - `ops`: the queue of refresh runs, logins and logouts (the lock, phases, login and logout
//!   answers);
//! - `refresh`: the refresh run's answer, its checks and its end;
//! - `requests`: wrapped requests (wait, attach, the 401 replay);
//! - `peers`: news from other tabs;
//! - `limits`: the session's end and the idle timeout;
//! - `stepup`: step-up challenges of resource servers.
//!
//! The rules themselves live in [`Session`] (`core::session`, `core::run`, `core::request`).

mod adopt;
mod calls;
mod io;
mod limits;
mod ops;
mod peers;
mod refresh;
mod requests;
mod stepup;

pub use io::*;

use super::clock::Instant;
use super::error::{Error, ErrorCode};
use super::fifo::Fifo;
use super::idmap::IdMap;
use super::options::origin_allowed;
use super::run::{RefreshKind, RunStart};
use super::secret::Secret;
use super::session::{Adoption, EndReason, Epoch, Session, SessionState, TokenGeneration, TokenSource};
use super::token::held_shape;
use ops::{Op, Phase, Run};
use requests::PendingRequest;

/// How long a wait for the cross-tab lock goes before the executor looks at its holder. A live
/// holder keeps it at most one POST long ([`REQUEST_TIMEOUT_MS`]); one that held it this long
/// is frozen or hung, and the lock is taken from it ([`Output::LockStuck`]).
pub const LOCK_WAIT_MS: f64 = 20_000.0;
/// A refresh (or login, logout) POST that takes longer is given up (a network error).
pub const REQUEST_TIMEOUT_MS: f64 = 15_000.0;
/// A tab that had to wait for the lock pauses this long before re-checking, so a token the
/// previous holder just broadcast has arrived (the message and the lock grant travel apart).
pub const LOCK_SETTLE_MS: f64 = 30.0;

/// What the machine needs of the options.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub refresh_margin_ms: f64,
    pub auto_refresh: bool,
    /// Share tokens and ends with other tabs, and take the origin's lock.
    pub cross_tab: bool,
    pub has_login_url: bool,
    /// `loginReturnsToken` (default true). With false, a 2xx from the login endpoint only
    /// establishes the server session: the token is then asked of the refresh endpoint, in
    /// the same turn and under the same lock, and the login settles with that answer.
    pub login_returns_token: bool,
    pub has_logout_url: bool,
    /// Origins a token may be sent to (resolved: the page's own when none were given).
    pub allowed_origins: Vec<String>,
    pub dpop: bool,
    /// `sessionExpiring` fires this long before the session's end (0: never).
    pub session_warning_ms: f64,
    /// Idle timeout and its warning, ms.
    pub idle: Option<(f64, f64)>,
    /// An `onStepUp` handler was given.
    pub step_up: bool,
}

/// The manager: session state and every decision. See the module docs.
#[derive(Debug)]
pub struct Machine {
    cfg: Config,
    session: Session,
    /// Refresh runs, logins and logouts, one at a time in call order; the head is active.
    queue: Vec<(Op, Phase)>,
    /// The refresh run in flight (its `Op::Refresh` is in the queue); callers join it.
    run: Option<Run>,
    /// The lock the head operation holds.
    lock_held: Option<LockId>,
    /// Events held back while the lock is held (no user callback runs under it).
    held_events: Vec<Event>,
    requests: IdMap<ReqId, PendingRequest>,
    outputs: Fifo<Output>,
    /// Web Locks are missing or unusable here: operations run without.
    no_locks: bool,
    /// The newest news of the session (epoch) was an end, not a login or token.
    ended_last: bool,
    next_id: u32,
    rng: u64,
    disposed: bool,
    /// A POST given up (disposed, or its login aborted) that may have rotated the cookie: it
    /// is let finish, under the lock it had, and nothing goes ahead of it.
    draining: Option<calls::Draining>,
    limits: limits::Limits,
    /// A token endpoint gave no answer (network error) and none has answered since.
    offline: bool,
    /// Step-up handler calls in flight: the challenge and the requests waiting for it.
    step_ups: Vec<(CallId, crate::core::challenge::Challenge, Vec<ReqId>)>,
    /// The last handler call that settled well: its challenge and the token generation held
    /// then. A request sent with an older token that meets the same challenge is replayed.
    stepped_up: Option<(crate::core::challenge::Challenge, TokenGeneration)>,
}

impl Machine {
    /// A machine for these options. `seed` feeds the jitter (any value; the executor passes a
    /// random one, the simulator a fixed one).
    pub fn new(cfg: Config, seed: u64) -> Self {
        let session = Session::with_auto_refresh(cfg.auto_refresh).with_salt(seed);
        Self {
            cfg,
            session,
            queue: Vec::new(),
            run: None,
            lock_held: None,
            held_events: Vec::new(),
            requests: IdMap::new(),
            outputs: Fifo::default(),
            no_locks: false,
            ended_last: false,
            next_id: 0,
            rng: seed | 1,
            disposed: false,
            draining: None,
            limits: limits::Limits::default(),
            offline: false,
            step_ups: Vec::new(),
            stepped_up: None,
        }
    }

    // ---- what the page reads -------------------------------------------------------------

    pub fn state(&self) -> SessionState {
        self.session.state()
    }

    pub fn generation(&self) -> TokenGeneration {
        self.session.generation()
    }

    /// A login is the operation under way (its token step posts to the refresh endpoint for
    /// a new session: the old one's limits do not apply to it).
    pub fn logging_in(&self) -> bool {
        matches!(self.queue.first(), Some((Op::Login { .. }, Phase::Posting { .. })))
    }

    /// A `restore()` runs in a tab that holds no token (the page's loading state).
    pub fn restoring(&self) -> bool {
        self.session.state() != SessionState::Authenticated
            && self
                .run
                .as_ref()
                .is_some_and(|r| r.start.kind == RefreshKind::Restore && !self.ended_since(r.start.called))
    }

    /// The state's name as the page sees it: `restoring` while [`Machine::restoring`].
    pub fn state_name(&self) -> &'static str {
        if self.restoring() {
            "restoring"
        } else {
            self.session.state().as_str()
        }
    }

    pub fn epoch(&self) -> Epoch {
        self.session.epoch()
    }

    /// The held token (the `accessToken` getter).
    pub fn access_token(&self) -> Option<&str> {
        self.session.token().map(|t| t.value())
    }

    /// The value of the token of `generation`, if it is still the one held (for an
    /// [`Authorize::Token`] output).
    pub fn token_value(&self, generation: TokenGeneration) -> Option<&str> {
        self.session.token().filter(|t| t.generation() == generation).map(|t| t.value())
    }

    /// Wall-clock ms at which the token expires, if known.
    pub fn expires_at(&self, now: Instant) -> Option<f64> {
        self.session.expires_at_wall_ms(now)
    }

    /// Wall-clock ms of the next proactive refresh, if one is scheduled.
    pub fn refresh_at(&self, now: Instant) -> Option<f64> {
        self.session.timer_delay_ms(now).map(|d| now.wall_ms + d)
    }

    /// The network did not answer the last token request (and nothing answered since).
    pub fn offline(&self) -> bool {
        self.offline
    }

    /// Is a refresh run under way (queued, waiting for the lock, posting or backing off)?
    pub fn refreshing(&self) -> bool {
        self.run.is_some()
    }

    // ---- outputs -------------------------------------------------------------------------

    /// The next thing to do, until `None`. Call after every input.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop()
    }

    /// When to call [`Machine::handle_timeout`] next (monotonic ms, rounded up to a whole ms so
    /// that a timer firing then finds the deadline passed), if ever: the active operation's
    /// deadline, or the proactive refresh.
    pub fn poll_timeout(&self, now: Instant) -> Option<f64> {
        let drain = self.draining.map(|d| d.deadline);
        if self.disposed {
            return drain.map(f64::ceil);
        }
        let op = self.queue.first().and_then(|(_, phase)| phase.deadline());
        let refresh = if self.run.is_none() && !self.limits.idle_warned {
            self.session.timer_delay_ms(now).map(|d| now.mono_ms + d)
        } else {
            None
        };
        [op, refresh, self.limits_timeout(now), drain].into_iter().flatten().reduce(f64::min).map(f64::ceil)
    }

    // ---- inputs: the browser -------------------------------------------------------------

    /// The timer armed at [`Machine::poll_timeout`] fired (possibly late, after a sleep).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.drain_deadline(now);
        if self.disposed {
            return;
        }
        // The limits first: an operation's end (a run that completes) must not hand out a
        // token the idle deadline or the session's end takes away in the same instant.
        self.check_limits(now);
        self.op_deadline(now);
        self.refresh_if_due(now);
        self.advance(now);
    }

    /// The page may have slept or been frozen: refresh if due. `online` also ends the cooldown.
    pub fn wake(&mut self, now: Instant, wake: Wake) {
        if self.disposed {
            return;
        }
        match wake {
            Wake::Online => self.back_online(now),
            Wake::Offline => self.set_offline(true),
            Wake::Activity => return self.activity(now),
            _ => {}
        }
        self.check_limits(now);
        if wake == Wake::Visible {
            self.activity(now);
        }
        self.refresh_if_due(now);
        self.advance(now);
    }

    /// Web Locks are missing or unusable (or `lock` could not be requested): run without.
    /// `shared`: the shared record, read now (if there is a shared place).
    pub fn lock_unavailable(&mut self, now: Instant, id: LockId, shared: Option<SharedEpoch>) {
        self.no_locks = true;
        self.lock_answer(now, id, false, shared);
    }

    /// The lock asked for with `RequestLock(id)` is held. `shared`: the shared record, read
    /// while holding it.
    pub fn lock_granted(&mut self, now: Instant, id: LockId, shared: Option<SharedEpoch>) {
        self.lock_answer(now, id, true, shared);
    }

    // ---- shared state changes ------------------------------------------------------------

    fn call_id(&mut self) -> CallId {
        self.next_id += 1;
        CallId(self.next_id)
    }

    fn next_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// A number in [0, 1) for the jitter (xorshift64*: deterministic from the seed).
    fn random01(&mut self) -> f64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let x = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    fn settle(&mut self, call: CallId, result: Result<CallValue, (Error, Option<u16>)>) {
        self.outputs.push(Output::Settle { call, result });
    }

    /// Fire an event: at once, or when the lock this tab holds is released (listeners may
    /// call back into the manager or take their time; neither happens under the lock).
    fn event(&mut self, event: Event) {
        if self.disposed {
        } else if self.lock_held.is_some() || self.kept_lock().is_some() {
            self.held_events.push(event);
        } else {
            self.outputs.push(Output::Event(event));
        }
    }

    /// A proactive refresh, when due (not while idle-warned: only activity extends the session).
    fn refresh_if_due(&mut self, now: Instant) {
        if self.run.is_none() && !self.limits.idle_warned && self.session.refresh_due(now) {
            let _ = self.ensure_refresh(now, RefreshKind::Background);
        }
    }

    /// Join the run in flight or queue a new one. `Err`: refused (ended session, cooldown,
    /// storm breaker, disposed); not a failed run.
    fn ensure_refresh(&mut self, now: Instant, kind: RefreshKind) -> Result<(), Error> {
        if self.run.is_some() {
            return Ok(());
        }
        if self.disposed {
            return Err(disposed());
        }
        let start: RunStart = self.session.start_run(now, kind).map_err(|r| r.error())?;
        self.run = Some(Run::new(start));
        self.queue.push((Op::Refresh, Phase::Queued));
        Ok(())
    }

    fn origin_allowed(&self, url: &str) -> bool {
        origin_allowed(url, &self.cfg.allowed_origins)
    }
}

fn disposed() -> Error {
    Error::new(ErrorCode::Aborted, "the manager was disposed")
}

#[cfg(test)]
mod tests;
