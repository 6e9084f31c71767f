//! The session state machine: the one owner of the access token, its generation and deadline,
//! and the decisions that depend on them (send now / refresh first / replay after 401).

use std::fmt;

use super::clock::{token_lifetime_ms, Instant};
use super::error::{Error, ErrorCode};
use super::policy::{refresh_point_ms, Backoff, RefreshClass, StormBreaker};
use super::token::TokenShape;

/// Monotonic counter of tokens adopted by this session. A 401 for generation `g` when the
/// session already holds `g + 1` needs no refresh, just a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TokenGeneration(pub u64);

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// `logout()` here or in another tab.
    LoggedOut,
    /// The refresh endpoint rejected the refresh cookie (400/401/403).
    SessionExpired,
}

impl EndReason {
    /// The name used in events, `stateChanged` and cross-tab messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::LoggedOut => "loggedOut",
            Self::SessionExpired => "sessionExpired",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "loggedOut" => Some(Self::LoggedOut),
            "sessionExpired" => Some(Self::SessionExpired),
            _ => None,
        }
    }
}

/// The externally visible state, derived from the session's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// No token and no known session (before login/restore).
    Anonymous,
    /// A token is held (it may be past its deadline; see [`Session::is_expired`]).
    Authenticated,
    /// Logged out or expired: no refresh until `login()`/`restore()`.
    Ended(EndReason),
}

/// The access token held in memory, with what the scheduler needs to know about it.
#[derive(Clone)]
pub struct AccessToken {
    value: String,
    generation: TokenGeneration,
    received: Instant,
    /// `None`: unknown expiry (opaque token, no `exp`, no `expires_in`).
    lifetime_ms: Option<f64>,
    /// Elapsed ms after receipt at which to refresh (margin and jitter applied once).
    refresh_point_ms: Option<f64>,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &"[redacted]")
            .field("generation", &self.generation)
            .field("lifetime_ms", &self.lifetime_ms)
            .finish_non_exhaustive()
    }
}

impl AccessToken {
    pub fn value(&self) -> &str {
        &self.value
    }
    pub fn generation(&self) -> TokenGeneration {
        self.generation
    }
    pub fn remaining_ms(&self, now: Instant) -> Option<f64> {
        self.lifetime_ms.map(|l| (l - now.elapsed_since(self.received)).max(0.0))
    }
    pub fn is_expired(&self, now: Instant) -> bool {
        self.remaining_ms(now).is_some_and(|r| r <= 0.0)
    }
    /// ms until the refresh point (0 = due now); `None` = never scheduled.
    pub fn until_refresh_ms(&self, now: Instant) -> Option<f64> {
        self.refresh_point_ms.map(|p| (p - now.elapsed_since(self.received)).max(0.0))
    }
}

/// What `fetch` should do before sending a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestPlan {
    /// Send now; attach the token if `with_token`; start a background refresh if
    /// `refresh_in_background` (inside the margin but not yet expired).
    Send { with_token: bool, refresh_in_background: bool },
    /// Join the refresh in flight, or start one (the token is past its deadline), then plan
    /// again with `after_wait = true`.
    RefreshFirst,
}

/// What `fetch` should do after a 401 from an allowed origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnauthorizedPlan {
    /// A newer token than the one sent exists: resend with it, no refresh.
    Replay,
    /// Join the refresh in flight or start one, then resend once if it produced a newer token.
    RefreshThenReplay,
    /// Give the 401 to the caller.
    Return,
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

/// The session: token, generation counter, end state, refresh storm breaker.
#[derive(Debug, Default)]
pub struct Session {
    token: Option<AccessToken>,
    ended: Option<EndReason>,
    generations: u64,
    /// Bumped when a session starts or ends, so a refresh that began in an earlier session
    /// cannot resurrect it (e.g. a refresh response arriving after `logout()`).
    epoch: u64,
    breaker: StormBreaker,
    backoff: Backoff,
    /// After a failed run: no *automatic* refresh before this monotonic time.
    cooldown_until_mono_ms: Option<f64>,
    /// `autoRefresh: false` turns off proactive refreshes (timer, wake-ups, background refresh
    /// before a request); refreshes before an expired request, after a 401 and on demand remain.
    manual_only: bool,
}

/// Who asked for a refresh run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshKind {
    /// Timer, lifecycle re-check, wrapped request, 401: respects the cooldown after failures.
    Automatic,
    /// `refresh()`: ignores the cooldown.
    Explicit,
    /// `restore()`: ignores the cooldown and may revive an ended session from the cookie.
    Restore,
}

/// Inputs for adopting a token.
#[derive(Debug, Clone, Copy)]
pub struct Adoption {
    pub now: Instant,
    pub expires_in_s: Option<f64>,
    pub margin_ms: f64,
    pub random01: f64,
}

impl Session {
    pub fn new() -> Self {
        Self::default()
    }

    /// A session with proactive refreshes on (`true`, the default) or off.
    pub fn with_auto_refresh(auto_refresh: bool) -> Self {
        Self { manual_only: !auto_refresh, ..Self::default() }
    }

    pub fn state(&self) -> SessionState {
        match (&self.token, self.ended) {
            (Some(_), _) => SessionState::Authenticated,
            (None, Some(reason)) => SessionState::Ended(reason),
            (None, None) => SessionState::Anonymous,
        }
    }

    pub fn token(&self) -> Option<&AccessToken> {
        self.token.as_ref()
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// How many tokens this session has adopted so far (changes whenever a token arrives,
    /// from this tab or another).
    pub fn adopted_count(&self) -> u64 {
        self.generations
    }

    /// Should a token shared by another tab replace ours? Yes unless it is the same token or
    /// both expiries are known and ours lasts at least as long (a late or reordered message).
    pub fn peer_token_is_newer(&self, value: &str, remaining_ms: Option<f64>, now: Instant) -> bool {
        match &self.token {
            None => true,
            Some(t) if t.value() == value => false,
            Some(t) => match (t.remaining_ms(now), remaining_ms) {
                (Some(ours), Some(theirs)) => theirs > ours,
                _ => true,
            },
        }
    }

    pub fn backoff(&self) -> Backoff {
        self.backoff
    }

    /// Wall-clock ms since epoch at which the token expires (local clock), if known.
    pub fn expires_at_wall_ms(&self, now: Instant) -> Option<f64> {
        self.token.as_ref()?.remaining_ms(now).map(|r| now.wall_ms + r)
    }

    /// `true` when a token is held and its deadline has passed.
    pub fn is_expired(&self, now: Instant) -> bool {
        self.token.as_ref().is_some_and(|t| t.is_expired(now))
    }

    /// Start a new session epoch (login): a refresh begun before it cannot land in it.
    pub fn begin(&mut self) -> u64 {
        self.epoch += 1;
        self.epoch
    }

    /// Adopt a token (login, refresh, restore, `setAccessToken`, another tab). Returns its
    /// generation. Clears any end state.
    pub fn adopt(&mut self, value: String, shape: &TokenShape, a: Adoption) -> TokenGeneration {
        let times = match shape {
            TokenShape::Jws(d) => d.times,
            TokenShape::Opaque => Default::default(),
        };
        let lifetime_ms = token_lifetime_ms(a.expires_in_s, times, a.now.wall_ms);
        self.generations += 1;
        let generation = TokenGeneration(self.generations);
        self.token = Some(AccessToken {
            value,
            generation,
            received: a.now,
            lifetime_ms,
            refresh_point_ms: lifetime_ms.map(|l| refresh_point_ms(l, a.margin_ms, a.random01)),
        });
        self.ended = None;
        self.cooldown_until_mono_ms = None;
        generation
    }

    /// End the session: drop the token. Returns `false` when it had already ended for the same
    /// reason (so `sessionExpired`/`loggedOut` fire once).
    pub fn end(&mut self, reason: EndReason) -> bool {
        let changed = self.token.is_some() || self.ended != Some(reason);
        self.token = None;
        self.ended = Some(reason);
        self.epoch += 1;
        self.cooldown_until_mono_ms = None;
        changed
    }

    /// Forget everything without ending the session (restore found no cookie).
    pub fn clear(&mut self) {
        self.token = None;
        self.ended = None;
    }

    /// May a refresh run start? Ended sessions only restart through `restore()`; automatic
    /// runs wait out the cooldown after a failed run; every run passes the storm breaker.
    /// Returns the session epoch the run belongs to.
    pub fn try_start_refresh(&mut self, now: Instant, kind: RefreshKind) -> Result<u64, Error> {
        if let (SessionState::Ended(reason), false) = (self.state(), kind == RefreshKind::Restore) {
            let msg = match reason {
                EndReason::LoggedOut => "logged out: call login() or restore()",
                EndReason::SessionExpired => "session expired: call login() or restore()",
            };
            return Err(Error::new(ErrorCode::NotAuthenticated, msg));
        }
        if kind == RefreshKind::Automatic && self.in_cooldown(now) {
            return Err(Error::new(
                ErrorCode::RefreshFailed,
                "refresh failed recently; waiting before the next attempt",
            ));
        }
        if !self.breaker.try_start(now.mono_ms) {
            return Err(Error::new(
                ErrorCode::RefreshFailed,
                "too many refreshes in a short time (storm breaker); will retry later",
            ));
        }
        Ok(self.epoch)
    }

    /// The refresh endpoint rejected the cookie: does that end the session (and fire
    /// `sessionExpired`)? Not for `restore()` on a page that had no session: that is just
    /// "no session", not an expiry.
    pub fn rejection_ends_session(&self, kind: RefreshKind) -> bool {
        !(kind == RefreshKind::Restore && self.state() != SessionState::Authenticated)
    }

    /// A run failed: no automatic run for the returned delay (ms), which is also when the
    /// scheduler should try again.
    pub fn run_failed(&mut self, now: Instant, retry_after_ms: Option<f64>) -> f64 {
        let remaining = self.token.as_ref().and_then(|t| t.remaining_ms(now));
        let delay = self.backoff.next_run_delay_ms(remaining, retry_after_ms);
        self.cooldown_until_mono_ms = Some(now.mono_ms + delay);
        delay
    }

    pub fn in_cooldown(&self, now: Instant) -> bool {
        self.cooldown_until_mono_ms.is_some_and(|t| now.mono_ms < t)
    }

    /// The next step of a refresh run after attempt number `retry` (0-based) failed with
    /// `class`.
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

    /// ms until the refresh timer should fire, or `None` for no timer.
    pub fn timer_delay_ms(&self, now: Instant) -> Option<f64> {
        if self.manual_only {
            return None;
        }
        let until_refresh = self.token.as_ref()?.until_refresh_ms(now)?;
        let until_cooldown_end = self.cooldown_until_mono_ms.map_or(0.0, |t| (t - now.mono_ms).max(0.0));
        Some(until_refresh.max(until_cooldown_end))
    }

    /// Is a refresh due (inside the margin, or past the deadline)?
    pub fn refresh_due(&self, now: Instant) -> bool {
        self.timer_delay_ms(now).is_some_and(|d| d <= 0.0)
    }

    /// Decide what to do before sending a wrapped request to an allowed origin.
    pub fn before_request(&self, now: Instant, refresh_in_flight: bool, after_wait: bool) -> RequestPlan {
        let send = |with_token, refresh_in_background| RequestPlan::Send { with_token, refresh_in_background };
        if after_wait {
            return send(self.token.is_some(), false);
        }
        if refresh_in_flight {
            return RequestPlan::RefreshFirst;
        }
        if self.in_cooldown(now) {
            return send(self.token.is_some(), false);
        }
        match &self.token {
            None => send(false, false),
            Some(t) if t.is_expired(now) => RequestPlan::RefreshFirst,
            Some(_) => send(true, self.refresh_due(now)),
        }
    }

    /// Decide what to do after a 401. `sent` = generation of the token the request carried.
    pub fn after_unauthorized(&self, sent: Option<TokenGeneration>, already_retried: bool) -> UnauthorizedPlan {
        if already_retried {
            return UnauthorizedPlan::Return;
        }
        let current = self.token.as_ref().map(AccessToken::generation);
        match (sent, current) {
            (_, None) => UnauthorizedPlan::Return,
            (None, Some(_)) => UnauthorizedPlan::Replay,
            (Some(s), Some(c)) if c > s => UnauthorizedPlan::Replay,
            (Some(_), Some(_)) => UnauthorizedPlan::RefreshThenReplay,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::token::inspect;

    const T0: Instant = Instant::new(0.0, 1_700_000_000_000.0);

    fn at(ms: f64) -> Instant {
        Instant::new(T0.mono_ms + ms, T0.wall_ms + ms)
    }

    fn adopt(s: &mut Session, lifetime_s: f64, now: Instant) -> TokenGeneration {
        let a = Adoption { now, expires_in_s: Some(lifetime_s), margin_ms: 60_000.0, random01: 0.0 };
        s.adopt("opaque.token.value.x.y".into(), &TokenShape::Opaque, a)
    }

    #[test]
    fn state_is_derived() {
        let mut s = Session::new();
        assert_eq!(s.state(), SessionState::Anonymous);
        adopt(&mut s, 300.0, T0);
        assert_eq!(s.state(), SessionState::Authenticated);
        assert!(s.end(EndReason::SessionExpired));
        assert_eq!(s.state(), SessionState::Ended(EndReason::SessionExpired));
        assert!(!s.end(EndReason::SessionExpired), "sessionExpired fires once");
        assert!(s.end(EndReason::LoggedOut));
        adopt(&mut s, 300.0, T0);
        assert_eq!(s.state(), SessionState::Authenticated);
    }

    #[test]
    fn generations_increase() {
        let mut s = Session::new();
        let g1 = adopt(&mut s, 300.0, T0);
        let g2 = adopt(&mut s, 300.0, T0);
        assert!(g2 > g1);
    }

    #[test]
    fn deadline_and_refresh_point_with_wrong_device_clock() {
        // The device clock is 1 h off in either direction; `exp - iat` and elapsed time decide.
        for offset in [-3_600_000.0, 0.0, 3_600_000.0] {
            let mut s = Session::new();
            let now = Instant::new(1_000.0, 1_700_000_000_000.0 + offset);
            let token = crate::core::token::tests::jws(r#"{"sub":"a","iat":1700000000,"exp":1700000300}"#);
            let shape = inspect(&token).expect("valid");
            s.adopt(token, &shape, Adoption { now, expires_in_s: None, margin_ms: 60_000.0, random01: 0.0 });
            let later = |ms: f64| Instant::new(now.mono_ms + ms, now.wall_ms + ms);
            assert_eq!(s.timer_delay_ms(now), Some(240_000.0), "offset {offset}");
            assert!(!s.refresh_due(later(239_999.0)));
            assert!(s.refresh_due(later(240_000.0)));
            assert!(!s.is_expired(later(299_999.0)));
            assert!(s.is_expired(later(300_000.0)));
            assert_eq!(s.expires_at_wall_ms(now), Some(now.wall_ms + 300_000.0));
        }
    }

    #[test]
    fn before_request_table() {
        use RequestPlan::*;
        let mut s = Session::new();
        assert_eq!(s.before_request(T0, false, false), Send { with_token: false, refresh_in_background: false });
        assert_eq!(s.before_request(T0, true, false), RefreshFirst, "restore in flight: wait for it");
        adopt(&mut s, 300.0, T0);
        let cases: &[(&str, f64, bool, bool, RequestPlan)] = &[
            ("fresh token", 1_000.0, false, false, Send { with_token: true, refresh_in_background: false }),
            ("inside the margin", 250_000.0, false, false, Send { with_token: true, refresh_in_background: true }),
            ("past the deadline", 300_000.0, false, false, RefreshFirst),
            ("refresh in flight", 1_000.0, true, false, RefreshFirst),
            (
                "after waiting: send whatever we have",
                400_000.0,
                false,
                true,
                Send { with_token: true, refresh_in_background: false },
            ),
        ];
        for (name, ms, in_flight, waited, want) in cases {
            assert_eq!(s.before_request(at(*ms), *in_flight, *waited), *want, "{name}");
        }
        s.end(EndReason::SessionExpired);
        assert_eq!(s.before_request(at(1.0), false, false), Send { with_token: false, refresh_in_background: false });
    }

    #[test]
    fn unknown_expiry_never_refreshes_proactively() {
        let mut s = Session::new();
        s.adopt(
            "a.b.c.d.e".into(),
            &TokenShape::Opaque,
            Adoption { now: T0, expires_in_s: None, margin_ms: 60_000.0, random01: 0.0 },
        );
        assert_eq!(s.timer_delay_ms(T0), None);
        assert!(!s.is_expired(at(1e12)), "unknown is not expired");
        assert_eq!(
            s.before_request(at(1e12), false, false),
            RequestPlan::Send { with_token: true, refresh_in_background: false }
        );
        assert_eq!(s.expires_at_wall_ms(T0), None);
    }

    #[test]
    fn after_unauthorized_table() {
        use UnauthorizedPlan::*;
        let mut s = Session::new();
        assert_eq!(s.after_unauthorized(None, false), Return, "anonymous request, no session");
        let g1 = adopt(&mut s, 300.0, T0);
        let cases: &[(&str, Option<TokenGeneration>, bool, UnauthorizedPlan)] = &[
            ("current token rejected: refresh", Some(g1), false, RefreshThenReplay),
            ("second 401: give up", Some(g1), true, Return),
            ("sent without token, now have one", None, false, Replay),
        ];
        for (name, sent, retried, want) in cases {
            assert_eq!(s.after_unauthorized(*sent, *retried), *want, "{name}");
        }
        adopt(&mut s, 300.0, T0);
        assert_eq!(s.after_unauthorized(Some(g1), false), Replay, "newer token exists: replay");
        s.end(EndReason::SessionExpired);
        assert_eq!(s.after_unauthorized(Some(g1), false), Return, "session over");
    }

    #[test]
    fn refresh_gate() {
        let mut s = Session::new();
        assert!(s.try_start_refresh(T0, RefreshKind::Automatic).is_ok(), "anonymous may refresh (restore from cookie)");
        s.end(EndReason::SessionExpired);
        let err = s.try_start_refresh(T0, RefreshKind::Explicit).expect_err("ended");
        assert_eq!(err.code, ErrorCode::NotAuthenticated);
        assert!(s.try_start_refresh(T0, RefreshKind::Restore).is_ok(), "restore() may revive");
        let mut storm = Session::new();
        let refused =
            (0..20).filter(|i| storm.try_start_refresh(at(f64::from(*i)), RefreshKind::Explicit).is_err()).count();
        assert_eq!(refused, 12, "8 runs per 10 s window");
    }

    #[test]
    fn epoch_guards_against_stale_refresh() {
        let mut s = Session::new();
        let e = s.try_start_refresh(T0, RefreshKind::Automatic).expect("ok");
        s.end(EndReason::LoggedOut);
        assert_ne!(s.epoch(), e, "a refresh started before logout must not be adopted");
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
        assert!(s.rejection_ends_session(RefreshKind::Automatic));
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
        assert_eq!(
            s.before_request(now, false, false),
            RequestPlan::Send { with_token: true, refresh_in_background: false }
        );
        assert_eq!(s.try_start_refresh(now, RefreshKind::Automatic).map_err(|e| e.code), Err(ErrorCode::RefreshFailed));
        assert!(s.try_start_refresh(now, RefreshKind::Explicit).is_ok(), "refresh() bypasses the cooldown");
        let later = at(275_000.0);
        assert!(s.refresh_due(later));
        assert_eq!(s.run_failed(later, Some(2_000.0)), 2_000.0, "Retry-After wins");
        adopt(&mut s, 300.0, later);
        assert!(!s.in_cooldown(later), "a new token clears the cooldown");
    }

    #[test]
    fn peer_tokens_replace_only_older_ones() {
        let mut s = Session::new();
        assert!(s.peer_token_is_newer("x", Some(1000.0), T0), "no token: take it");
        adopt(&mut s, 300.0, T0);
        let now = at(100_000.0); // 200 s left on ours
        assert!(s.peer_token_is_newer("other", Some(250_000.0), now));
        assert!(!s.peer_token_is_newer("other", Some(150_000.0), now), "stale message");
        assert!(!s.peer_token_is_newer("opaque.token.value.x.y", Some(1e9), now), "same token");
        assert!(s.peer_token_is_newer("other", None, now), "unknown expiry: the latest wins");
        let before = s.adopted_count();
        adopt(&mut s, 300.0, now);
        assert_eq!(s.adopted_count(), before + 1);
    }

    #[test]
    fn auto_refresh_off_means_no_proactive_refresh() {
        let mut s = Session::with_auto_refresh(false);
        adopt(&mut s, 300.0, T0);
        assert_eq!(s.timer_delay_ms(T0), None, "no timer");
        assert!(!s.refresh_due(at(299_000.0)), "no wake-up refresh");
        assert_eq!(
            s.before_request(at(299_000.0), false, false),
            RequestPlan::Send { with_token: true, refresh_in_background: false }
        );
        assert_eq!(
            s.before_request(at(300_000.0), false, false),
            RequestPlan::RefreshFirst,
            "expired: still refreshed first"
        );
        assert_eq!(
            s.after_unauthorized(s.token().map(AccessToken::generation), false),
            UnauthorizedPlan::RefreshThenReplay
        );
    }

    #[test]
    fn end_reason_names_round_trip() {
        for r in [EndReason::LoggedOut, EndReason::SessionExpired] {
            assert_eq!(EndReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(EndReason::parse("other"), None);
    }

    #[test]
    fn debug_redacts_token() {
        let mut s = Session::new();
        s.adopt(
            "secret-token-value.a.b.c.d".into(),
            &TokenShape::Opaque,
            Adoption { now: T0, expires_in_s: Some(1.0), margin_ms: 0.0, random01: 0.0 },
        );
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("secret-token-value"), "{dbg}");
        assert!(dbg.contains("[redacted]"));
    }
}
