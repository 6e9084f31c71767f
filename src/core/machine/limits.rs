//! The session's limits, on the wall clock (the server's lifetime and the user's idleness go on
//! while the machine sleeps):
//! - its end: the refresh token's remaining lifetime from the token answers
//!   (`refresh_expires_in`), shared with the token; `sessionExpiring` fires once before it,
//!   and at it the session ends (`sessionExpired`, reason `lifetime`) with no refresh tried;
//! - the idle deadline (`idle` option): activity in any tab moves it for every tab (a message,
//!   at most once per step); `idleWarning` fires before it, and at it the session is signed
//!   out (`loggedOut`, reason `idle`). While warned, no proactive refresh extends the session.

use super::*;

/// An idle deadline found passed by a page that was not running at the time (a frozen or
/// sleeping tab, its timer late) is acted on only after this long: other tabs' activity
/// messages queued meanwhile are delivered first (its own deadline may be stale).
const LATE_IDLE_GRACE_MS: f64 = 250.0;
/// A check this long after the deadline means the page was not running at the time.
const LATE_MS: f64 = 1_000.0;
/// How far a session's end told again may move later and still be the same end: an answer's
/// `refresh_expires_in` is whole seconds, counted from when the answer is read, so a slow or
/// rounded answer moves an absolute end by up to about a second.
const SAME_END_MS: f64 = 2_000.0;

/// Activity moves the idle deadline (and tells the other tabs) only when it moves it by this
/// much: a busy page does not flood the channel, and the snapshot changes at most this often.
fn step_ms(timeout_ms: f64) -> f64 {
    (timeout_ms / 10.0).min(5_000.0)
}

#[derive(Debug, Default)]
pub(super) struct Limits {
    /// The session's end, wall ms, if the server told.
    pub(super) end: Option<f64>,
    end_warned: bool,
    /// The idle deadline, wall ms (with the `idle` option, while a session is held).
    pub(super) idle: Option<f64>,
    pub(super) idle_warned: bool,
    /// A late check found the idle deadline passed: the sign-out waits until then (mono ms).
    idle_grace: Option<f64>,
}

impl Machine {
    /// The session's end (wall ms), if known.
    pub fn session_expires_at(&self) -> Option<f64> {
        self.limits.end.filter(|_| self.state() == SessionState::Authenticated)
    }

    /// The idle deadline (wall ms), with the `idle` option while a session is held.
    pub fn idle_deadline(&self) -> Option<f64> {
        self.limits.idle.filter(|_| self.state() == SessionState::Authenticated)
    }

    /// Activity: the user (`pointerdown`, `keydown`, `wheel`, `touchstart`, the page shown) or
    /// the app (`touch()`). Moves the idle deadline, unless it has passed.
    pub fn activity(&mut self, now: Instant) {
        if self.disposed {
            return;
        }
        self.check_limits(now);
        let (Some((timeout, _)), Some(current)) = (self.cfg.idle, self.idle_deadline()) else { return };
        if now.wall_ms >= current {
            return; // passed: activity now does not bring the session back
        }
        let deadline = now.wall_ms + timeout;
        if deadline - current >= step_ms(timeout) {
            self.set_idle(now, deadline, true);
        }
    }

    /// The end of the grace a late check gave a passed idle deadline (mono ms), while it lasts
    /// (and the deadline is still passed: the wall clock may have gone back).
    pub(super) fn idle_grace_until(&self, now: Instant) -> Option<f64> {
        let passed = self.idle_deadline().is_some_and(|d| now.wall_ms >= d);
        self.limits.idle_grace.filter(|until| passed && now.mono_ms < *until)
    }

    /// The timer for the next limit (monotonic ms): a warning or an end.
    pub(super) fn limits_timeout(&self, now: Instant) -> Option<f64> {
        if self.state() != SessionState::Authenticated {
            return None;
        }
        let l = &self.limits;
        let warn = self.cfg.session_warning_ms;
        let end = l.end.map(|e| if l.end_warned || warn <= 0.0 { e } else { e - warn });
        let idle_warning = self.cfg.idle.map_or(0.0, |(_, w)| w);
        let idle = l.idle.map(|d| if l.idle_warned { d } else { d - idle_warning });
        let mono = |wall: f64| now.mono_ms + (wall - now.wall_ms).max(0.0);
        // Past the idle deadline, in the grace of a late check: its end.
        let idle = if l.idle_grace.is_some() { l.idle_grace } else { idle.map(mono) };
        end.map(mono).into_iter().chain(idle).reduce(f64::min)
    }

    /// Warn of, or act on, a limit that has come.
    pub(super) fn check_limits(&mut self, now: Instant) {
        if self.state() != SessionState::Authenticated {
            return;
        }
        if let Some(end) = self.limits.end {
            if now.wall_ms >= end {
                let changed = self.end_locally(now, EndReason::Lifetime, true);
                return self.announce_end(changed, Event::SessionExpired { reason: "lifetime", from_other_tab: false });
            }
            let warn = self.cfg.session_warning_ms;
            if warn > 0.0 && !self.limits.end_warned && now.wall_ms >= end - warn {
                self.limits.end_warned = true;
                self.event(Event::SessionExpiring { expires_at: end });
            }
        }
        if let (Some((_, warning)), Some(deadline)) = (self.cfg.idle, self.limits.idle) {
            if now.wall_ms < deadline {
                self.limits.idle_grace = None; // the wall clock went back
            }
            if now.wall_ms >= deadline {
                match self.limits.idle_grace {
                    None if now.wall_ms - deadline > LATE_MS => {
                        self.limits.idle_grace = Some(now.mono_ms + LATE_IDLE_GRACE_MS);
                    }
                    Some(until) if now.mono_ms < until => {}
                    _ => {
                        self.logout_for(now, Scope::Local, EndReason::Idle);
                    }
                }
            } else if !self.limits.idle_warned && now.wall_ms >= deadline - warning {
                self.limits.idle_warned = true;
                self.event(Event::IdleWarning { deadline });
            }
        }
    }

    /// The session's end is `end` (wall ms): from a token answer or another tab. A warning
    /// given is given again only for an end that moved later by more than [`SAME_END_MS`] and
    /// out of the warning (a sliding session's new end), not for the same end told again.
    pub(super) fn set_session_end(&mut self, now: Instant, end: f64) {
        if !end.is_finite() || self.limits.end == Some(end) {
            return;
        }
        let moved = self.limits.end.map_or(true, |old| end > old + SAME_END_MS);
        self.limits.end = Some(end);
        if moved && now.wall_ms < end - self.cfg.session_warning_ms {
            self.limits.end_warned = false;
        }
    }

    /// A session is held now: its idle deadline starts (opening a page counts as activity,
    /// and is told to the other tabs).
    pub(super) fn start_idle(&mut self, now: Instant) {
        if let (Some((timeout, _)), None) = (self.cfg.idle, self.limits.idle) {
            self.set_idle(now, now.wall_ms + timeout, true);
        }
    }

    /// Another tab's activity moved the deadline to `deadline`.
    pub(super) fn peer_active(&mut self, now: Instant, deadline: f64) {
        if self.idle_deadline().is_some_and(|d| deadline > d) {
            self.set_idle(now, deadline, false);
        }
    }

    fn set_idle(&mut self, now: Instant, deadline: f64, share: bool) {
        let was_warned = self.limits.idle_warned;
        self.limits.idle = Some(deadline);
        self.limits.idle_warned = false;
        self.limits.idle_grace = None;
        if share && self.cfg.cross_tab {
            let message = Message::Active { epoch: self.session.epoch(), deadline };
            self.outputs.push(Output::Broadcast(message));
        }
        self.event(Event::StateChanged);
        if was_warned {
            self.refresh_if_due(now);
            self.advance(now);
        }
    }
}
