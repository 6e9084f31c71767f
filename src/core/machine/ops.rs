//! The queue of operations that talk to the token endpoints: refresh runs, logins, logouts.
//! One at a time per manager, in call order; with `crossTab`, one at a time per origin (the
//! Web Lock; a holder stuck past [`LOCK_WAIT_MS`] is looked at and stolen from). Here: the
//! phases, the lock, the POSTs and their deadlines, login and logout answers, the network's
//! state. A refresh run's answer, checks and end are `refresh`.

use super::*;
use crate::core::policy::{classify_refresh_status, RefreshClass};
use crate::core::run::{lock_was_contended, AfterLock, RunOutcome};

/// A timer that fires this much after its deadline means the page did not run meanwhile
/// (system sleep, a frozen or throttled tab).
const LATE_TIMER_MS: f64 = 1_000.0;

/// An answer read this long after its POST left was not awaited by a running page (the
/// request timeout would have given it up): the page slept or was frozen meanwhile.
pub(super) fn answer_slept(sent: Instant, now: Instant) -> bool {
    now.elapsed_since(sent) > REQUEST_TIMEOUT_MS
}

/// When a token answer counts as received: now, or the send for an answer read after a sleep.
pub(super) fn received(sent: Instant, now: Instant) -> Instant {
    if answer_slept(sent, now) {
        sent
    } else {
        now
    }
}

/// The session's end (wall ms) from an answer's remaining lifetime, counted as the token's is;
/// none for 0 or less.
pub(super) fn session_end(sent: Instant, now: Instant, seconds: Option<f64>) -> Option<f64> {
    // 0 is "no end" (Keycloak's offline tokens), not "ended now".
    seconds.filter(|s| s.is_finite() && *s > 0.0).map(|s| received(sent, now).wall_ms + s * 1000.0)
}

fn logout_failed() -> Error {
    Error::new(ErrorCode::LogoutFailed, "the server did not confirm the sign-out of the other sessions")
}

/// An operation in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    /// The refresh run in [`Machine::run`].
    Refresh,
    /// `called`: the epoch stamp of the `login()` call. `token_step`: the login endpoint
    /// answered 2xx and the token is being asked of the refresh endpoint
    /// ([`Config::login_returns_token`] false).
    Login { call: CallId, called: Epoch, token_step: bool },
    /// `changed`: the local end at the call changed something (events fire once); `epoch`:
    /// the epoch that end carried; `reason`: `LoggedOut`, or `Idle` for the idle timeout's.
    Logout { call: CallId, changed: bool, epoch: Epoch, scope: Scope, reason: EndReason },
}

/// Where the head operation is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Phase {
    /// Waiting for its turn (or about to start).
    Queued,
    /// Asked for the lock at `asked`.
    Locking { id: LockId, asked: f64, deadline: f64 },
    /// Got the lock after another holder: give that holder's broadcast a moment.
    Settling { until: f64 },
    /// The POST went out at `sent`.
    Posting { id: HttpId, deadline: f64, sent: Instant },
    /// A refresh waits before its next attempt (the lock released).
    Backoff { until: f64 },
}

impl Phase {
    pub(super) fn deadline(&self) -> Option<f64> {
        match *self {
            Self::Queued => None,
            Self::Locking { deadline, .. } | Self::Posting { deadline, .. } => Some(deadline),
            Self::Settling { until } | Self::Backoff { until } => Some(until),
        }
    }
}

/// The refresh run in flight.
#[derive(Debug)]
pub(super) struct Run {
    pub(super) start: RunStart,
    /// `refresh()` / `restore()` calls waiting for it.
    pub(super) callers: Vec<CallId>,
    /// Wrapped requests waiting for it.
    pub(super) requests: Vec<ReqId>,
    /// Attempts made so far, minus one.
    pub(super) retry: u32,
    /// A restore that learnt (from the shared record) that the session it may revive ended:
    /// its token starts a new session (a new epoch), which every tab takes.
    pub(super) revive: bool,
}

impl Run {
    pub(super) fn new(start: RunStart) -> Self {
        Self { start, callers: Vec::new(), requests: Vec::new(), retry: 0, revive: false }
    }
}

impl Machine {
    /// Move the head of the queue as far as it goes without waiting for an input.
    pub(super) fn advance(&mut self, now: Instant) {
        // Nothing goes ahead of a POST let finish: it holds the lock.
        while !self.disposed && self.draining.is_none() {
            let Some(&(op, phase)) = self.queue.first() else { return };
            match phase {
                Phase::Queued => self.begin(now, op),
                // Logged in/out meanwhile: stop waiting at once, unless the current session's
                // token is dead too (then the wait goes on for it).
                Phase::Backoff { .. } if self.overtaken().is_some() && !self.retarget(now) => {
                    let outcome = self.overtaken().unwrap_or(RunOutcome::PeerRefreshed);
                    self.finish_run(now, outcome);
                }
                _ => return,
            }
        }
    }

    pub(super) fn set_phase(&mut self, phase: Phase) {
        if let Some(head) = self.queue.first_mut() {
            head.1 = phase;
        }
    }

    /// The head starts: ask for the lock, or go on without one.
    fn begin(&mut self, now: Instant, op: Op) {
        if self.cfg.cross_tab && !self.no_locks {
            let id = LockId(self.next_id());
            self.set_phase(Phase::Locking { id, asked: now.mono_ms, deadline: now.mono_ms + LOCK_WAIT_MS });
            self.outputs.push(Output::RequestLock(id));
        } else {
            self.locked(now, op, false);
        }
    }

    /// An answer to the head's lock request: granted, or no lock to be had.
    pub(super) fn lock_answer(&mut self, now: Instant, id: LockId, granted: bool, shared: Option<SharedEpoch>) {
        let head = self.queue.first().copied();
        match head {
            Some((op, Phase::Locking { id: asked_for, asked, .. })) if asked_for == id => {
                let contended = granted && lock_was_contended(asked, now.mono_ms);
                if granted {
                    self.lock_held = Some(id);
                }
                if let Some(shared) = shared {
                    let restore_called = self.restore_called().filter(|_| op == Op::Refresh);
                    self.apply_shared(now, shared, restore_called);
                }
                // A proactive run settles even with the lock free at once: the previous holder
                // may have released it just now, its token's message still on the way (no one
                // waits for a background run, and a second rotation is what it would cost).
                let background = self.run.as_ref().is_some_and(|r| r.start.kind == RefreshKind::Background);
                if op == Op::Refresh && (contended || (granted && background)) {
                    self.set_phase(Phase::Settling { until: now.mono_ms + LOCK_SETTLE_MS });
                } else {
                    self.locked(now, op, granted);
                }
                self.advance(now);
            }
            // A grant for a request given up (timed out, disposed): let it go at once.
            _ if granted => self.outputs.push(Output::ReleaseLock(id)),
            _ => {}
        }
    }

    pub(super) fn release_lock(&mut self) {
        if let Some(id) = self.lock_held.take() {
            self.outputs.push(Output::ReleaseLock(id));
        }
        for event in std::mem::take(&mut self.held_events) {
            self.event(event);
        }
    }

    /// The head holds the lock (or runs without it): decide, then POST.
    fn locked(&mut self, now: Instant, op: Op, _granted: bool) {
        match op {
            Op::Refresh => {
                // The session's end may have passed while the run waited (set by a login's
                // answer read after a sleep, or the wall clock moved): no refresh past it.
                // (Only the end: its check ends the session and changes nothing else here.)
                if self.limits.end.is_some_and(|end| now.wall_ms >= end) {
                    self.check_limits(now);
                }
                // Past the idle deadline, in the grace of a late check (other tabs' activity
                // may still arrive): no refresh before that is settled; the run waits it out.
                if let Some(until) = self.idle_grace_until(now) {
                    self.release_lock();
                    return self.set_phase(Phase::Backoff { until });
                }
                if self.run_moot(now) {
                    return;
                }
                let Some(run) = self.run.as_ref() else { return self.pop() };
                match self.session.after_lock(&run.start, now) {
                    AfterLock::Superseded => {
                        let outcome = self.session.superseded_outcome(&run.start);
                        self.finish_run(now, outcome)
                    }
                    AfterLock::PeerRefreshed => self.finish_run(now, RunOutcome::PeerRefreshed),
                    AfterLock::Proceed => self.post(now, Endpoint::Refresh),
                }
            }
            Op::Login { call, called, .. } => {
                if self.ended_since(called) {
                    self.pop();
                    let e = Error::new(
                        ErrorCode::Aborted,
                        "the session ended (logout or disposal) before the login was sent",
                    );
                    self.settle(call, Err((e, None)));
                } else {
                    self.post(now, Endpoint::Login(call));
                }
            }
            Op::Logout { scope: Scope::Others, .. } => self.post(now, Endpoint::Logout(Scope::Others)),
            Op::Logout { call, changed, epoch, scope, reason } => {
                let idle = reason == EndReason::Idle;
                if self.session.epoch() > epoch && !self.ended_last {
                    // A login called after this logout (in another tab) has reached the server:
                    // the cookie is that session's now, and this logout must not end it.
                    self.pop();
                    let event = Event::LoggedOut { server_confirmed: Some(false), from_other_tab: false, idle };
                    self.announce_end(changed, event);
                    return self.settle(call, Ok(CallValue::Overtaken));
                }
                // Whatever session arrived meanwhile (a login elsewhere called before this
                // logout) ends too: the cookie the POST revokes is the newest one. The end
                // keeps the logout's own epoch: a login called after it still outranks it.
                let again = self.end_locally_at(now, reason, true, Some(epoch));
                if let Some(head) = self.queue.first_mut() {
                    head.0 = Op::Logout { call, changed: changed || again, epoch, scope, reason };
                }
                self.post(now, Endpoint::Logout(scope));
            }
        }
    }

    pub(super) fn post(&mut self, now: Instant, endpoint: Endpoint) {
        let id = HttpId(self.next_id());
        self.set_phase(Phase::Posting { id, deadline: now.mono_ms + REQUEST_TIMEOUT_MS, sent: now });
        self.outputs.push(Output::Post { id, endpoint });
    }

    /// The head is done: release its lock and let the next one start.
    pub(super) fn pop(&mut self) {
        self.release_lock();
        if !self.queue.is_empty() {
            self.queue.remove(0);
        }
    }

    /// The head's deadline passed (the timer fired).
    pub(super) fn op_deadline(&mut self, now: Instant) {
        let Some(&(op, phase)) = self.queue.first() else { return };
        if phase.deadline().map_or(true, |d| now.mono_ms < d) {
            return;
        }
        match phase {
            Phase::Queued => {}
            Phase::Locking { id, asked, deadline } => {
                // The timer fired long after its time: the page was asleep or frozen, and so
                // probably was the holder. Give it a fresh wait. Otherwise the holder is looked
                // at: taken from if it held the lock all along, waited for if it changed.
                if now.mono_ms - deadline <= LATE_TIMER_MS {
                    self.outputs.push(Output::LockStuck(id));
                }
                self.set_phase(Phase::Locking { id, asked, deadline: now.mono_ms + LOCK_WAIT_MS });
            }
            Phase::Settling { .. } => self.locked(now, op, true),
            Phase::Posting { id, .. } => {
                self.outputs.push(Output::AbortPost(id));
                self.post_done(now, id, HttpOutcome::NetworkError);
            }
            Phase::Backoff { .. } => {
                if let Some(run) = self.run.as_mut() {
                    run.retry += 1;
                }
                self.set_phase(Phase::Queued);
            }
        }
    }

    /// A POST ended. Outcomes for POSTs no longer awaited are ignored.
    pub fn post_done(&mut self, now: Instant, id: HttpId, outcome: HttpOutcome) {
        if self.draining.is_some_and(|d| d.id == id) {
            self.drained(id);
            return self.advance(now);
        }
        let Some(&(op, Phase::Posting { id: posted, sent, .. })) = self.queue.first() else { return };
        if posted != id {
            return;
        }
        match outcome {
            HttpOutcome::NetworkError => self.set_offline(true),
            HttpOutcome::Answer { .. } => self.set_offline(false),
            HttpOutcome::NotSent(_) => {}
        }
        match op {
            Op::Refresh => self.refresh_answer(now, sent, outcome),
            Op::Login { call, called, token_step } => self.login_answer(now, sent, call, called, token_step, outcome),
            Op::Logout { call, scope: Scope::Others, .. } => {
                self.pop();
                let result = match outcome {
                    HttpOutcome::Answer { status: 200..=299, .. } => Ok(CallValue::Confirmed(true)),
                    HttpOutcome::Answer { status, .. } => Err((logout_failed(), Some(status))),
                    _ => Err((logout_failed(), None)),
                };
                self.settle(call, result);
            }
            Op::Logout { call, changed, reason, .. } => {
                self.pop();
                let confirmed = matches!(outcome, HttpOutcome::Answer { status: 200..=299, .. });
                let idle = reason == EndReason::Idle;
                let event = Event::LoggedOut { server_confirmed: Some(confirmed), from_other_tab: false, idle };
                self.announce_end(changed, event);
                self.settle(call, Ok(CallValue::Confirmed(confirmed)));
            }
        }
        // A login answer read after its session's end or idle deadline (a sleep): it ends
        // now, as its timer would, before a refresh queued behind it starts.
        if self.limit_passed(now) {
            self.check_limits(now);
        }
        self.advance(now);
    }

    /// Has the session's end or the idle deadline passed (an answer read after a sleep counts
    /// them from its send)?
    pub(super) fn limit_passed(&self, now: Instant) -> bool {
        let passed = |limit: Option<f64>| limit.is_some_and(|l| now.wall_ms >= l);
        passed(self.limits.end) || (self.cfg.idle.is_some() && passed(self.limits.idle))
    }

    /// A login POST sent at `sent` was answered (its token counts as a refresh's does). With
    /// `loginReturnsToken: false`, a 2xx only established the server session: the token is
    /// asked of the refresh endpoint now, the lock still held, and that answer settles the
    /// login (`token_step`).
    fn login_answer(
        &mut self,
        now: Instant,
        sent: Instant,
        call: CallId,
        called: Epoch,
        token_step: bool,
        outcome: HttpOutcome,
    ) {
        let failed = |m: &'static str, status| Err((Error::new(ErrorCode::LoginFailed, m), status));
        let session_only = !self.cfg.login_returns_token && !token_step;
        // The token request after a session-only login was refused: the cookie this browser
        // holds now (the login's, revoked or expired meanwhile) is no session, so one held
        // here ends, as after a refused refresh.
        let refused = match &outcome {
            HttpOutcome::Answer { status, token, .. } => {
                classify_refresh_status(Some(*status)) == RefreshClass::SessionOver || matches!(token, Err(NO_SESSION))
            }
            _ => false,
        };
        if token_step && refused && self.state() == SessionState::Authenticated && !self.ended_since(called) {
            let changed = self.end_locally(now, EndReason::SessionExpired, true);
            self.announce_end(changed, Event::SessionExpired { reason: "refresh_rejected", from_other_tab: false });
        }
        let result = match outcome {
            HttpOutcome::Answer { status: 200..=299, .. } if session_only && !self.ended_since(called) => {
                if let Some(head) = self.queue.first_mut() {
                    head.0 = Op::Login { call, called, token_step: true };
                }
                return self.post(now, Endpoint::Refresh);
            }
            HttpOutcome::NetworkError => failed("network error or timeout during login", None),
            HttpOutcome::NotSent(e) => Err((e, None)),
            HttpOutcome::Answer { status, .. } if !(200..=299).contains(&status) => {
                failed("login was rejected", Some(status))
            }
            HttpOutcome::Answer { status, token: Err(m), .. } if !session_only => failed(m, Some(status)),
            HttpOutcome::Answer { .. } if self.ended_since(called) => {
                Err((Error::new(ErrorCode::Aborted, "the session ended (logout or disposal) during login"), None))
            }
            HttpOutcome::Answer { status, token: Err(m), .. } => failed(m, Some(status)),
            HttpOutcome::Answer { token: Ok(t), .. } => self
                .adopt(
                    received(sent, now),
                    t.token,
                    t.expires_in_s,
                    TokenSource::Login,
                    t.dpop,
                    Some(called),
                    session_end(sent, now, t.session_s),
                )
                .map(|_| CallValue::Done)
                .map_err(|e| (e, None)),
        };
        self.pop(); // the token was shared while the lock was held
        if result.is_ok() {
            self.event(Event::LoggedIn { from_other_tab: false });
            self.event(Event::StateChanged);
        }
        self.settle(call, result);
    }

    /// The network answers or fails: the snapshot's `offline` (`stateChanged` when it changes).
    pub(super) fn set_offline(&mut self, offline: bool) {
        if self.offline != offline {
            self.offline = offline;
            self.event(Event::StateChanged);
        }
    }

    /// The browser is online again: a refresh waiting out its backoff tries now.
    pub(super) fn back_online(&mut self, now: Instant) {
        self.session.end_cooldown();
        if let Some((Op::Refresh, Phase::Backoff { .. })) = self.queue.first() {
            if let Some(run) = self.run.as_mut() {
                run.retry += 1;
            }
            self.set_phase(Phase::Queued);
        }
        self.advance(now);
    }

    /// `login({signal})` aborted: a queued login leaves the queue; one on the wire is given up.
    pub(super) fn abort_login(&mut self, now: Instant, call: CallId) {
        let Some(index) = self.queue.iter().position(|(op, _)| matches!(op, Op::Login { call: c, .. } if *c == call))
        else {
            return;
        };
        if index == 0 {
            // (The token asked of the refresh endpoint is let finish, as `dispose` does.)
            let (op, phase) = self.queue[0];
            self.give_up(op, phase);
            self.pop();
        } else {
            self.queue.remove(index);
        }
        self.settle(call, Err((Error::new(ErrorCode::Aborted, "login aborted by its signal"), None)));
        self.advance(now);
    }

    /// Has the session ended since epoch stamp `called` (a logout after a login's call)? Also
    /// when this tab had no session to end: it only learnt the end's epoch from the shared
    /// record (see `apply_shared`), and a login called before that end is superseded all the same.
    pub(super) fn ended_since(&self, called: Epoch) -> bool {
        self.session.ended_since(called) || (self.ended_last && self.session.epoch() > called)
    }
}
