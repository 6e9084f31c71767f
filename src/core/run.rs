//! The decisions of a refresh run: whether one may start, what to do once the cross-tab lock
//! is granted, the next step after a failed attempt, the cooldown after a failed run, and when
//! the scheduler should look again.

use super::clock::Instant;
use super::error::{Error, ErrorCode};
use super::policy::RefreshClass;
use super::session::{EndReason, Epoch, Session, SessionState, Ticket, TokenGeneration};

/// Who asked for a refresh run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshKind {
    /// Timer, wake-up, or a request inside the margin: proactive, so it waits out the cooldown
    /// after a failed run.
    Background,
    /// A request that cannot go out without a fresh token (the token is past its deadline, or
    /// a 401 on the current token): may start even in the cooldown.
    Needed,
    /// `refresh()`.
    Explicit,
    /// `restore()`: may revive an ended session from the cookie.
    Restore,
}

/// Why a run was not started. Not a failed run: no `refreshFailed` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The session ended; only `login()`/`restore()` start a new one.
    Ended(EndReason),
    /// A background run during the cooldown after a failed run.
    Cooldown,
    /// Too many runs in a short time (storm breaker).
    Storm,
}

impl Refusal {
    pub fn error(self) -> Error {
        match self {
            Self::Ended(EndReason::LoggedOut | EndReason::Idle) => {
                Error::new(ErrorCode::NotAuthenticated, "logged out: call login() or restore()")
            }
            Self::Ended(EndReason::SessionExpired | EndReason::Lifetime) => {
                Error::new(ErrorCode::NotAuthenticated, "session expired: call login() or restore()")
            }
            Self::Cooldown => {
                Error::new(ErrorCode::RefreshFailed, "refresh failed recently; waiting before the next attempt")
            }
            Self::Storm => Error::new(ErrorCode::RefreshFailed, "too many refreshes in a short time (storm breaker)"),
        }
    }
}

/// A run that was allowed to start: the session it belongs to and the token it replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunStart {
    pub kind: RefreshKind,
    pub ticket: Ticket,
    pub generation: TokenGeneration,
    /// This tab's epoch stamp when the run started: an end stamped later (a logout called
    /// after it) outranks what a `restore()` brings back, as it does a login's.
    pub called: Epoch,
}

/// What a run does once it holds the lock (or runs without one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterLock {
    /// Ask the refresh endpoint.
    Proceed,
    /// Another tab refreshed while this one waited and shared its token: nothing to do (and no
    /// second `refreshed` event: the adoption fired it).
    PeerRefreshed,
    /// The session changed hands meanwhile (login, logout, end, disposal).
    Superseded,
}

/// The end of a run, as its callers see it.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    /// This run obtained a token (fire `refreshed`).
    Refreshed,
    /// Another tab's token was adopted meanwhile (its adoption already fired `refreshed`).
    PeerRefreshed,
    /// The run failed or was superseded; `status` is the HTTP status behind it, if any.
    Failed { error: Error, status: Option<u16> },
}

impl RunOutcome {
    pub fn failed(error: Error, status: Option<u16>) -> Self {
        Self::Failed { error, status }
    }

    /// A run that tried and failed (fire `refreshFailed` once): not a superseded run, not a
    /// session end (those have their own codes and events).
    pub fn is_failed_run(&self) -> bool {
        matches!(self, Self::Failed { error, .. } if error.code == ErrorCode::RefreshFailed)
    }
}

/// One refresh run's next step after an attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RefreshStep {
    /// Wait this long, then try again.
    RetryAfter(f64),
    /// The session is over (`sessionExpired`).
    EndSession,
    /// Give up this run with `refresh_failed`; keep the token.
    Fail,
}

/// A tab whose lock request took longer than this waited for another holder (whose broadcast
/// may still be on its way): it pauses briefly before looking at its token again.
pub const LOCK_CONTENDED_AFTER_MS: f64 = 1.0;

/// Did the lock request wait for another holder?
pub fn lock_was_contended(asked_mono_ms: f64, granted_mono_ms: f64) -> bool {
    granted_mono_ms - asked_mono_ms > LOCK_CONTENDED_AFTER_MS
}

/// The error of a run that was superseded (login, logout, end in another tab, disposal).
pub fn superseded() -> Error {
    Error::new(ErrorCode::Aborted, "the session changed (login, logout or disposal) during the refresh")
}

impl Session {
    /// May a run start? Ended sessions restart only through `restore()`; background runs wait
    /// out the cooldown; every run passes the storm breaker.
    pub fn start_run(&mut self, now: Instant, kind: RefreshKind) -> Result<RunStart, Refusal> {
        if let (Some(reason), false) = (self.ended, kind == RefreshKind::Restore) {
            return Err(Refusal::Ended(reason));
        }
        if kind == RefreshKind::Background && self.in_cooldown(now) {
            return Err(Refusal::Cooldown);
        }
        if !self.breaker.try_start(now.mono_ms) {
            return Err(Refusal::Storm);
        }
        Ok(RunStart { kind, ticket: self.ticket, generation: self.generation, called: self.stamp(now) })
    }

    /// The run holds the lock: go on, or stop because it has become pointless.
    pub fn after_lock(&self, run: &RunStart, now: Instant) -> AfterLock {
        if !self.is_current(run.ticket) {
            return AfterLock::Superseded;
        }
        // Another tab's token counts only if it can still be sent (one shared before a sleep
        // may be dead by now).
        if self.generation != run.generation && self.token.as_ref().is_some_and(|t| !t.is_expired(now)) {
            return AfterLock::PeerRefreshed;
        }
        AfterLock::Proceed
    }

    /// A run that was superseded ends well for its callers when the session now holds a
    /// token newer than the one the run set out to replace (another tab's login or refresh).
    pub fn superseded_outcome(&self, run: &RunStart) -> RunOutcome {
        if self.state() == SessionState::Authenticated && self.generation != run.generation {
            RunOutcome::PeerRefreshed
        } else {
            RunOutcome::failed(superseded(), None)
        }
    }

    /// The refresh endpoint rejected the cookie: does that end the session (and fire
    /// `sessionExpired`)? Not for `restore()` on a page that had no session: that is just
    /// "no session", not an expiry.
    pub fn rejection_ends_session(&self, kind: RefreshKind) -> bool {
        !(kind == RefreshKind::Restore && self.state() != SessionState::Authenticated)
    }

    /// The next step of a run after attempt number `retry` (0-based) failed with `class`.
    pub fn after_failed_attempt(
        &self,
        class: RefreshClass,
        retry: u32,
        retry_after_ms: Option<f64>,
        random01: f64,
    ) -> RefreshStep {
        match class {
            RefreshClass::SessionOver => RefreshStep::EndSession,
            RefreshClass::Transient | RefreshClass::Success => {
                match self.backoff.delay_ms(retry, retry_after_ms, random01) {
                    Some(d) => RefreshStep::RetryAfter(d),
                    None => RefreshStep::Fail,
                }
            }
            RefreshClass::Unexpected => RefreshStep::Fail,
        }
    }

    /// A run failed: no background run for the returned delay (ms).
    pub fn run_failed(&mut self, now: Instant, retry_after_ms: Option<f64>) -> f64 {
        let remaining = self.token.as_ref().and_then(|t| t.remaining_ms(now));
        let delay = self.backoff.next_run_delay_ms(remaining, retry_after_ms);
        self.cooldown_until_mono_ms = Some(now.mono_ms + delay);
        delay
    }

    pub fn in_cooldown(&self, now: Instant) -> bool {
        self.cooldown_until_mono_ms.is_some_and(|t| now.mono_ms < t)
    }

    /// The network is back (`online`): the cooldown's reason is probably gone.
    pub fn end_cooldown(&mut self) {
        self.cooldown_until_mono_ms = None;
    }

    /// ms until the refresh timer should fire, or `None` for no timer: the refresh point, but
    /// not before the cooldown ends nor before the storm breaker would let a run start.
    pub fn timer_delay_ms(&self, now: Instant) -> Option<f64> {
        if self.manual_only || self.ended.is_some() {
            return None;
        }
        let until_refresh = self.token.as_ref()?.until_refresh_ms(now)?;
        let until_cooldown_end = self.cooldown_until_mono_ms.map_or(0.0, |t| (t - now.mono_ms).max(0.0));
        let until_breaker = self.breaker.free_in_ms(now.mono_ms);
        Some(until_refresh.max(until_cooldown_end).max(until_breaker))
    }

    /// Is a background refresh due now (inside the margin or past the deadline, and allowed)?
    pub fn refresh_due(&self, now: Instant) -> bool {
        self.timer_delay_ms(now).is_some_and(|d| d <= 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::session::tests::{adopt, adopt_from, at, T0};
    use crate::core::session::{Epoch, TokenSource};

    #[test]
    fn start_run_table() {
        use RefreshKind::*;
        // (name, setup, kind, want)
        type Setup = fn(&mut Session);
        let cases: &[(&str, Setup, RefreshKind, Result<(), Refusal>)] = &[
            ("anonymous may refresh (restore from cookie)", |_| {}, Background, Ok(())),
            (
                "ended: refresh() refused",
                |s| {
                    s.end(EndReason::SessionExpired, T0);
                },
                Explicit,
                Err(Refusal::Ended(EndReason::SessionExpired)),
            ),
            (
                "ended: a request refused",
                |s| {
                    s.end(EndReason::LoggedOut, T0);
                },
                Needed,
                Err(Refusal::Ended(EndReason::LoggedOut)),
            ),
            (
                "ended: restore() may revive",
                |s| {
                    s.end(EndReason::LoggedOut, T0);
                },
                Restore,
                Ok(()),
            ),
            (
                "cooldown: background refused",
                |s| {
                    s.run_failed(T0, None);
                },
                Background,
                Err(Refusal::Cooldown),
            ),
            (
                "cooldown: a request that needs a token may run",
                |s| {
                    s.run_failed(T0, None);
                },
                Needed,
                Ok(()),
            ),
            (
                "cooldown: refresh() may run",
                |s| {
                    s.run_failed(T0, None);
                },
                Explicit,
                Ok(()),
            ),
            (
                "cooldown ended by online",
                |s| {
                    s.run_failed(T0, None);
                    s.end_cooldown()
                },
                Background,
                Ok(()),
            ),
        ];
        for (name, setup, kind, want) in cases {
            let mut s = Session::new();
            adopt(&mut s, 300.0, T0);
            setup(&mut s);
            assert_eq!(s.start_run(T0, *kind).map(|_| ()), *want, "{name}");
        }
    }

    #[test]
    fn storm_breaker_bounds_every_kind_and_login_resets_it() {
        let mut s = Session::new();
        let refused = (0..20).filter(|i| s.start_run(at(f64::from(*i)), RefreshKind::Needed).is_err()).count();
        assert_eq!(refused, 12, "8 runs per 10 s window, even for requests");
        assert_eq!(s.start_run(at(20.0), RefreshKind::Explicit), Err(Refusal::Storm));
        adopt_from(&mut s, TokenSource::Login, 300.0, at(21.0));
        assert!(s.start_run(at(22.0), RefreshKind::Needed).is_ok(), "login resets the breaker");
    }

    #[test]
    fn refusals_map_to_documented_codes() {
        assert_eq!(Refusal::Ended(EndReason::LoggedOut).error().code, ErrorCode::NotAuthenticated);
        assert_eq!(Refusal::Cooldown.error().code, ErrorCode::RefreshFailed);
        assert_eq!(Refusal::Storm.error().code, ErrorCode::RefreshFailed);
        assert_eq!(superseded().code, ErrorCode::Aborted);
    }

    #[test]
    fn after_lock_table() {
        // Proceed
        let mut s = Session::new();
        adopt(&mut s, 300.0, T0);
        let run = s.start_run(T0, RefreshKind::Background).expect("start");
        assert_eq!(s.after_lock(&run, T0), AfterLock::Proceed);
        // A peer shared a token while we waited.
        adopt_from(&mut s, TokenSource::OtherTab, 300.0, T0);
        assert_eq!(s.after_lock(&run, T0), AfterLock::PeerRefreshed);
        // ... but not one that died meanwhile (the machine slept): ask the server.
        assert_eq!(s.after_lock(&run, at(300_000.0)), AfterLock::Proceed);
        // Logout meanwhile.
        let run = s.start_run(T0, RefreshKind::Background).expect("start");
        s.end(EndReason::LoggedOut, T0);
        assert_eq!(s.after_lock(&run, T0), AfterLock::Superseded);
        assert_eq!(s.superseded_outcome(&run), RunOutcome::failed(superseded(), None));
        // A login in another tab meanwhile: superseded, but callers get the new token.
        let mut s = Session::new();
        adopt(&mut s, 300.0, T0);
        let run = s.start_run(T0, RefreshKind::Explicit).expect("start");
        assert_eq!(
            s.on_peer_token(true, Epoch(9), "x", Some(1e3), T0),
            crate::core::session::PeerToken::AdoptNewSession
        );
        adopt_from(&mut s, TokenSource::OtherTab, 300.0, T0);
        assert_eq!(s.after_lock(&run, T0), AfterLock::Superseded);
        assert_eq!(s.superseded_outcome(&run), RunOutcome::PeerRefreshed);
        // Another tab's token, then a logout, meanwhile: a newer token was held, but none is
        // now: the callers get the superseded error, not a token.
        let mut s = Session::new();
        adopt(&mut s, 300.0, T0);
        let run = s.start_run(T0, RefreshKind::Explicit).expect("start");
        adopt_from(&mut s, TokenSource::OtherTab, 300.0, T0);
        s.end(EndReason::LoggedOut, T0);
        assert_eq!(s.superseded_outcome(&run), RunOutcome::failed(superseded(), None));
    }

    #[test]
    fn outcomes_fire_refresh_failed_only_for_failed_runs() {
        let failed = |code| RunOutcome::failed(Error::new(code, "x"), None).is_failed_run();
        assert!(failed(ErrorCode::RefreshFailed));
        assert!(!failed(ErrorCode::Aborted), "superseded is not a failure");
        assert!(!failed(ErrorCode::SessionExpired), "sessionExpired has its own event");
        assert!(!failed(ErrorCode::NotAuthenticated));
    }

    #[test]
    fn lock_contention_heuristic() {
        assert!(!lock_was_contended(100.0, 100.0));
        assert!(!lock_was_contended(100.0, 101.0));
        assert!(lock_was_contended(100.0, 101.5));
    }

    #[test]
    fn failed_attempt_steps() {
        let s = Session::new();
        assert_eq!(s.after_failed_attempt(RefreshClass::SessionOver, 0, None, 0.0), RefreshStep::EndSession);
        assert_eq!(s.after_failed_attempt(RefreshClass::Transient, 0, None, 0.0), RefreshStep::RetryAfter(250.0));
        assert_eq!(
            s.after_failed_attempt(RefreshClass::Transient, 0, Some(2000.0), 0.0),
            RefreshStep::RetryAfter(2000.0)
        );
        assert_eq!(s.after_failed_attempt(RefreshClass::Transient, 3, None, 0.0), RefreshStep::Fail);
        assert_eq!(s.after_failed_attempt(RefreshClass::Unexpected, 0, None, 0.0), RefreshStep::Fail);
    }

    #[test]
    fn rejection_ends_only_a_real_session() {
        let mut s = Session::new();
        assert!(!s.rejection_ends_session(RefreshKind::Restore), "restore() without a session: just false");
        assert!(s.rejection_ends_session(RefreshKind::Explicit));
        adopt(&mut s, 300.0, T0);
        assert!(s.rejection_ends_session(RefreshKind::Restore), "restore() with a session that is now revoked");
        assert!(s.rejection_ends_session(RefreshKind::Background));
    }

    #[test]
    fn cooldown_after_failed_run() {
        let mut s = Session::new();
        adopt(&mut s, 300.0, T0);
        let now = at(250_000.0); // inside the margin, 50 s left
        assert!(s.refresh_due(now));
        let delay = s.run_failed(now, None);
        assert_eq!(delay, 25_000.0, "half the remaining lifetime, below the 30 s ceiling");
        assert!(!s.refresh_due(now), "no background refresh during the cooldown");
        assert_eq!(s.timer_delay_ms(now), Some(25_000.0), "the timer fires when the cooldown ends");
        let later = at(275_000.0);
        assert!(s.refresh_due(later));
        assert_eq!(s.run_failed(later, Some(2_000.0)), 2_000.0, "Retry-After wins");
        adopt(&mut s, 300.0, later);
        assert!(!s.in_cooldown(later), "a new token clears the cooldown");
    }

    #[test]
    fn timer_waits_for_the_storm_breaker() {
        let mut s = Session::new();
        adopt(&mut s, 300.0, T0);
        let due = at(250_000.0);
        for i in 0..8 {
            assert!(s.start_run(Instant::new(due.mono_ms + f64::from(i), due.wall_ms), RefreshKind::Needed).is_ok());
        }
        assert_eq!(s.start_run(due, RefreshKind::Background), Err(Refusal::Storm));
        assert_eq!(s.timer_delay_ms(due), Some(10_000.0), "re-armed for when the breaker frees a slot");
        assert!(!s.refresh_due(due));
    }

    #[test]
    fn no_timer_for_ended_or_manual_sessions() {
        let mut s = Session::with_auto_refresh(false);
        adopt(&mut s, 300.0, T0);
        assert_eq!(s.timer_delay_ms(T0), None, "no timer");
        assert!(!s.refresh_due(at(299_000.0)), "no wake-up refresh");
        let mut s = Session::new();
        adopt(&mut s, 300.0, T0);
        s.end(EndReason::LoggedOut, T0);
        assert_eq!(s.timer_delay_ms(T0), None);
    }

    #[test]
    fn unknown_expiry_is_never_scheduled() {
        let mut s = Session::new();
        let a = crate::core::session::Adoption {
            now: T0,
            expires_in_s: None,
            margin_ms: 60_000.0,
            random01: 0.0,
            dpop: false,
        };
        s.adopt("a.b.c.d.e".into(), &crate::core::token::TokenShape::Opaque, TokenSource::Refresh, a);
        assert_eq!(s.timer_delay_ms(T0), None);
        assert_eq!(s.expires_at_wall_ms(T0), None);
    }
}
