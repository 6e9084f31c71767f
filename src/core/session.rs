//! The session: the one owner of the access token, its generation and deadline, the session's
//! cross-tab identity (epoch), and the rules for news from other tabs. The decisions of a
//! refresh run live in [`super::run`], those of a wrapped request in [`super::request`]; both
//! are `impl Session` blocks over the fields here.

use std::fmt;

use super::clock::{token_lifetime_ms, Instant};
use super::policy::{refresh_point_ms, Backoff, StormBreaker};
use super::secret::Secret;
use super::token::TokenShape;

/// A token this close to expiry is not sent: `exp` has whole-second precision (a token may die
/// on the server up to 1 s before `receipt + expires_in`), and a request takes time to arrive.
pub const SEND_SKEW_MS: f64 = 1_000.0;

/// The token counter: the n-th token this manager holds has generation n. A 401 for
/// generation `g` when the session already holds a later one needs no refresh, just a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct TokenGeneration(pub u64);

/// A session's identity across the tabs of an origin: a login starts a new epoch, larger than
/// every epoch the tab has seen (and, being based on the wall clock, than the epochs of tabs
/// it has not heard from). Every cross-tab message carries it, so a tab can tell a stale
/// message from news about the session it is in. `Epoch(0)`: unknown (a page that restored
/// its session from the cookie and has not heard from a tab that saw the login).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Epoch(pub u64);

/// Epochs count in 1/1024 ms: the wall clock in ms times this, plus a tab's own salt, so two
/// tabs that log in within the same millisecond still get different epochs (and every tab
/// agrees which login came last). An end carries the top of its millisecond.
pub const EPOCH_PER_MS: u64 = 1024;

/// A local change counter: bumped when this manager's session changes hands (login, logout,
/// end, a newer session adopted from another tab). An operation that started under one ticket
/// (a refresh run, a login) must not land under another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ticket(u64);

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// `logout()` here or in another tab.
    LoggedOut,
    /// The refresh endpoint rejected the refresh cookie (400/401/403).
    SessionExpired,
    /// The idle timeout passed (a logout).
    Idle,
    /// The session reached its lifetime (the refresh token's end).
    Lifetime,
}

impl EndReason {
    /// The name used in events, `stateChanged` and cross-tab messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::LoggedOut => "loggedOut",
            Self::SessionExpired => "sessionExpired",
            Self::Idle => "idle",
            Self::Lifetime => "lifetime",
        }
    }

    /// The state it leaves: `loggedOut` or `sessionExpired`.
    pub const fn state_name(self) -> &'static str {
        match self {
            Self::LoggedOut | Self::Idle => "loggedOut",
            Self::SessionExpired | Self::Lifetime => "sessionExpired",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "loggedOut" => Some(Self::LoggedOut),
            "sessionExpired" => Some(Self::SessionExpired),
            "idle" => Some(Self::Idle),
            "lifetime" => Some(Self::Lifetime),
            _ => None,
        }
    }
}

/// The externally visible state, derived from the session's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// No token and no known session (before login/restore).
    Anonymous,
    /// A token is held (it may be past its deadline and being renewed).
    Authenticated,
    /// Logged out or expired: no refresh until `login()`/`restore()`.
    Ended(EndReason),
}

impl SessionState {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Anonymous => "anonymous",
            Self::Authenticated => "authenticated",
            Self::Ended(reason) => reason.state_name(),
        }
    }
}

/// Where a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// `login()`: starts a new epoch.
    Login,
    /// A refresh run of this manager (timer, request, `refresh()`, `restore()`).
    Refresh,
    /// `setAccessToken`.
    Caller,
    /// Shared by another tab (or another manager of the page).
    OtherTab,
}

impl TokenSource {
    /// Is the token shared with the other tabs? Tokens obtained here are; one from another
    /// tab is not sent back.
    pub fn shared(self) -> bool {
        self != Self::OtherTab
    }
}

/// The access token held in memory, with what the scheduler needs to know about it.
#[derive(Clone)]
pub struct AccessToken {
    value: Secret,
    generation: TokenGeneration,
    received: Instant,
    /// `None`: unknown expiry (opaque token, no `exp`, no `expires_in`).
    lifetime_ms: Option<f64>,
    /// Elapsed ms after receipt at which to refresh (margin and jitter applied once).
    refresh_point_ms: Option<f64>,
    /// Bound to the DPoP key: sent as `Authorization: DPoP` with a proof.
    dpop: bool,
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
    pub fn secret(&self) -> &Secret {
        &self.value
    }
    pub fn generation(&self) -> TokenGeneration {
        self.generation
    }
    pub fn is_dpop(&self) -> bool {
        self.dpop
    }
    pub fn remaining_ms(&self, now: Instant) -> Option<f64> {
        self.lifetime_ms.map(|l| (l - now.elapsed_since(self.received)).max(0.0))
    }
    /// Past its deadline for sending (never, when the expiry is unknown): within
    /// [`SEND_SKEW_MS`] (at most a third of the lifetime) of expiry, a request could reach the
    /// server after the token died there.
    pub fn is_expired(&self, now: Instant) -> bool {
        match (self.remaining_ms(now), self.lifetime_ms) {
            (Some(r), Some(l)) => r <= SEND_SKEW_MS.min(l / 3.0),
            _ => false,
        }
    }
    /// ms until the refresh point (0 = due now); `None` = never scheduled.
    pub fn until_refresh_ms(&self, now: Instant) -> Option<f64> {
        self.refresh_point_ms.map(|p| (p - now.elapsed_since(self.received)).max(0.0))
    }
}

/// Inputs for adopting a token.
#[derive(Debug, Clone, Copy)]
pub struct Adoption {
    pub now: Instant,
    pub expires_in_s: Option<f64>,
    pub margin_ms: f64,
    pub random01: f64,
    /// `token_type: "DPoP"`: the token is bound to this origin's DPoP key.
    pub dpop: bool,
}

/// What to do with a token another tab shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerToken {
    /// Older than ours, the same token, from an older session, or from a session this tab saw
    /// end.
    Ignore,
    /// A later token of our session (or the first one of a session we had not joined yet).
    Adopt,
    /// The first token of a newer session (a login in another tab): adopt it and move to its
    /// epoch; what this tab was doing for its old session is superseded.
    AdoptNewSession,
}

/// The session state. Fields are shared with the `run` and `request` rule sets.
#[derive(Debug, Default)]
pub struct Session {
    pub(super) token: Option<AccessToken>,
    pub(super) ended: Option<EndReason>,
    /// Generation of the latest token adopted (0: none yet).
    pub(super) generation: TokenGeneration,
    pub(super) epoch: Epoch,
    pub(super) ticket: Ticket,
    /// How many times this session ended here (logout, rejection, another tab's end).
    pub(super) ends: u64,
    pub(super) breaker: StormBreaker,
    pub(super) backoff: Backoff,
    /// After a failed run: no *background* run before this monotonic time.
    pub(super) cooldown_until_mono_ms: Option<f64>,
    /// The epoch stamped when the `login()` being adopted was called (see
    /// [`Session::adopt_login`]).
    pub(super) login_called: Option<Epoch>,
    /// The newest end this tab knows of: the epoch its session last ended at, or one it
    /// learnt of from the shared record with no session to end. Tokens of that session are
    /// not taken; a token of a later epoch, learnt of before its message came, still is.
    pub(super) ended_epoch: Option<Epoch>,
    /// This tab's place within a millisecond for the epochs it starts (`0..EPOCH_PER_MS - 1`).
    pub(super) salt: u64,
    /// `autoRefresh: false` turns off proactive refreshes (timer, wake-ups, background refresh
    /// before a request); refreshes for an expired token, after a 401 and on demand remain.
    pub(super) manual_only: bool,
}

impl Session {
    pub fn new() -> Self {
        Self::default()
    }

    /// A session with proactive refreshes on (`true`, the default) or off.
    pub fn with_auto_refresh(auto_refresh: bool) -> Self {
        Self { manual_only: !auto_refresh, ..Self::default() }
    }

    /// Set this tab's salt for the epochs it starts (any number; reduced to `0..1023`).
    pub fn with_salt(mut self, salt: u64) -> Self {
        self.salt = salt % (EPOCH_PER_MS - 1);
        self
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

    /// Generation of the latest token adopted; changes whenever a token arrives, from this
    /// tab or another.
    pub fn generation(&self) -> TokenGeneration {
        self.generation
    }

    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    pub fn ticket(&self) -> Ticket {
        self.ticket
    }

    /// Changes whenever the session ends (not when it changes hands otherwise): a login that
    /// started before an end lands nothing.
    pub fn ends(&self) -> u64 {
        self.ends
    }

    /// Is an operation that started under `ticket` still about the current session?
    pub fn is_current(&self, ticket: Ticket) -> bool {
        self.ticket == ticket
    }

    /// Wall-clock ms since epoch at which the token expires (local clock), if known.
    pub fn expires_at_wall_ms(&self, now: Instant) -> Option<f64> {
        self.token.as_ref()?.remaining_ms(now).map(|r| now.wall_ms + r)
    }

    fn supersede(&mut self) {
        self.ticket.0 += 1;
    }

    /// Adopt a token. A login starts a new epoch (above every epoch seen, and not below the
    /// wall clock in ms, so tabs that never heard of each other still order their logins); so
    /// does a restore that revives a session this tab saw end. Returns the token's generation
    /// and clears any end state and the cooldown.
    pub fn adopt(&mut self, value: Secret, shape: &TokenShape, source: TokenSource, a: Adoption) -> TokenGeneration {
        let new_session = match source {
            TokenSource::Login => true,
            // A refresh after an end (here, or one learnt of) revives the session from the
            // cookie: a new session, which the tabs that saw the end take. Not when a newer
            // session is known (the shared record named a login since): the cookie is its.
            TokenSource::Refresh => self.saw_end_of(self.epoch),
            TokenSource::Caller | TokenSource::OtherTab => false,
        };
        if new_session {
            let stamp = self.login_called.take().unwrap_or(self.stamp(a.now));
            self.epoch = Epoch(stamp.0.max(self.epoch.0.saturating_add(1)));
            self.supersede();
            self.breaker.reset();
        }
        let times = match shape {
            TokenShape::Jws(d) => d.times,
            TokenShape::Opaque => Default::default(),
        };
        let lifetime_ms = token_lifetime_ms(a.expires_in_s, times, a.now.wall_ms);
        self.generation.0 += 1;
        self.token = Some(AccessToken {
            value,
            generation: self.generation,
            received: a.now,
            lifetime_ms,
            refresh_point_ms: lifetime_ms.map(|l| refresh_point_ms(l, a.margin_ms, a.random01)),
            dpop: a.dpop,
        });
        self.ended = None;
        self.cooldown_until_mono_ms = None;
        self.generation
    }

    /// This tab's epoch stamp for something the caller does now (a login's call).
    pub fn stamp(&self, now: Instant) -> Epoch {
        Epoch(wall_ms(now).saturating_mul(EPOCH_PER_MS).saturating_add(self.salt))
    }

    /// Learn of a newer epoch without its news (the shared record read under the lock names
    /// a newer login whose token is still on its way).
    pub fn raise_epoch(&mut self, epoch: Epoch) {
        self.epoch = self.epoch.max(epoch);
    }

    /// Adopt the token of a `login()` called at epoch stamp `called`: its session's epoch is
    /// the call's, raised above every epoch this tab knows (so a logout called after the login
    /// in another tab outranks it, and a login that reached the server after another does too).
    pub fn adopt_login(&mut self, value: Secret, shape: &TokenShape, a: Adoption, called: Epoch) -> TokenGeneration {
        self.login_called = Some(called);
        self.adopt(value, shape, TokenSource::Login, a)
    }

    /// Has the session ended at an epoch later than `stamp` (a logout after a login's call)?
    pub fn ended_since(&self, stamp: Epoch) -> bool {
        self.ended.is_some() && self.epoch > stamp
    }

    /// End the session here: drop the token; operations in flight are superseded. The epoch
    /// moves to at least the wall clock now: the `ended` message that carries it ends every
    /// session other tabs hold (they share the cookie this end is about, whatever epoch they
    /// know it by, even one a restored tab never learnt), and never a later login (whose epoch
    /// is at least the wall clock at its time). Returns `false` when it had already ended for
    /// the same reason (so `sessionExpired`/`loggedOut` fire once).
    pub fn end(&mut self, reason: EndReason, now: Instant) -> bool {
        let top_of_ms = wall_ms(now).saturating_mul(EPOCH_PER_MS).saturating_add(EPOCH_PER_MS - 1);
        self.epoch = self.epoch.max(Epoch(top_of_ms));
        self.end_by_peer(reason)
    }

    /// End the session as another tab said ([`Session::on_peer_end`] has taken its epoch).
    /// Unlike a local end, it does not stamp this tab's clock: a login called in the sender
    /// after its end, whose token may still be on its way, must outrank it here too.
    pub fn end_by_peer(&mut self, reason: EndReason) -> bool {
        self.ended_epoch = Some(self.epoch);
        let changed = self.token.is_some() || self.ended != Some(reason);
        self.token = None;
        self.ended = Some(reason);
        self.ends += 1;
        self.supersede();
        self.cooldown_until_mono_ms = None;
        changed
    }

    /// Learn that session `epoch` ended elsewhere, with no session here to end (a fresh
    /// page reads it from the shared record): its tokens are not taken from now on.
    pub fn learn_end(&mut self, epoch: Epoch) {
        self.raise_epoch(epoch);
        self.ended_epoch = self.ended_epoch.max(Some(epoch));
    }

    /// Does this tab know that session `epoch` ended (here, or learnt of)?
    pub fn saw_end_of(&self, epoch: Epoch) -> bool {
        self.ended_epoch.is_some_and(|e| e >= epoch)
    }

    /// Forget everything (dispose).
    pub fn clear(&mut self) {
        self.token = None;
        self.ended = None;
        self.ends += 1;
        self.supersede();
    }

    /// Another tab shared a token of session `epoch`. Decides, and records a move to a newer
    /// epoch (the caller adopts the token for `Adopt*`).
    /// `age_known`: false for a message read after the clock went back (how long it waited is
    /// unknown, so it may be any age): it does not replace a token of its session held here.
    pub fn on_peer_token(
        &mut self,
        age_known: bool,
        epoch: Epoch,
        value: &str,
        remaining_ms: Option<f64>,
        now: Instant,
    ) -> PeerToken {
        if epoch > self.epoch {
            self.epoch = epoch;
            self.supersede();
            return PeerToken::AdoptNewSession;
        }
        if epoch < self.epoch || self.saw_end_of(epoch) {
            // An older session's token, or one of the session this tab saw end (a peer whose
            // refresh answer landed before it heard of the logout).
            return PeerToken::Ignore;
        }
        let newer = match &self.token {
            None => true,
            Some(t) if t.value() == value || !age_known => false,
            Some(t) => match (t.remaining_ms(now), remaining_ms) {
                (Some(ours), Some(theirs)) => theirs > ours,
                _ => true,
            },
        };
        if newer {
            PeerToken::Adopt
        } else {
            PeerToken::Ignore
        }
    }

    /// Another tab says session `epoch` ended. Ends this tab's session unless this tab is in a
    /// newer one (a stale message never ends a later login) or has ended already (no second
    /// `loggedOut`/`sessionExpired`). Returns whether to end here.
    pub fn on_peer_end(&mut self, epoch: Epoch) -> bool {
        if epoch < self.epoch {
            return false;
        }
        if self.ended.is_some() && self.token.is_none() {
            // No second event, but this end is known: its session's tokens are not taken.
            self.learn_end(epoch);
            return false;
        }
        self.epoch = epoch;
        true
    }
}

/// The wall clock in whole ms, for epochs (0 when it is not a usable number).
fn wall_ms(now: Instant) -> u64 {
    if now.wall_ms.is_finite() && now.wall_ms > 0.0 {
        now.wall_ms as u64
    } else {
        0
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::core::token::inspect;

    pub const T0: Instant = Instant::new(0.0, 1_700_000_000_000.0);

    pub fn at(ms: f64) -> Instant {
        Instant::new(T0.mono_ms + ms, T0.wall_ms + ms)
    }

    pub fn adopt_from(s: &mut Session, source: TokenSource, lifetime_s: f64, now: Instant) -> TokenGeneration {
        let a = Adoption { now, expires_in_s: Some(lifetime_s), margin_ms: 60_000.0, random01: 0.0, dpop: false };
        s.adopt("opaque.token.value.x.y".into(), &TokenShape::Opaque, source, a)
    }

    pub fn adopt(s: &mut Session, lifetime_s: f64, now: Instant) -> TokenGeneration {
        adopt_from(s, TokenSource::Refresh, lifetime_s, now)
    }

    #[test]
    fn state_is_derived() {
        let mut s = Session::new();
        assert_eq!(s.state(), SessionState::Anonymous);
        adopt(&mut s, 300.0, T0);
        assert_eq!(s.state(), SessionState::Authenticated);
        assert!(s.end(EndReason::SessionExpired, T0));
        assert_eq!(s.state(), SessionState::Ended(EndReason::SessionExpired));
        assert!(!s.end(EndReason::SessionExpired, T0), "sessionExpired fires once");
        assert!(s.end(EndReason::LoggedOut, T0));
        adopt(&mut s, 300.0, T0);
        assert_eq!(s.state(), SessionState::Authenticated);
        assert_eq!(SessionState::Ended(EndReason::LoggedOut).as_str(), "loggedOut");
    }

    #[test]
    fn generations_increase() {
        let mut s = Session::new();
        let g1 = adopt(&mut s, 300.0, T0);
        let g2 = adopt(&mut s, 300.0, T0);
        assert!(g2 > g1);
        assert_eq!(s.generation(), g2);
    }

    #[test]
    fn deadline_and_refresh_point_with_wrong_device_clock() {
        // The device clock is 1 h off in either direction; `exp - iat` and elapsed time decide.
        for offset in [-3_600_000.0, 0.0, 3_600_000.0] {
            let mut s = Session::new();
            let now = Instant::new(1_000.0, 1_700_000_000_000.0 + offset);
            let token = crate::core::token::tests::jws(r#"{"sub":"a","iat":1700000000,"exp":1700000300}"#);
            let shape = inspect(&token).expect("valid");
            let a = Adoption { now, expires_in_s: None, margin_ms: 60_000.0, random01: 0.0, dpop: false };
            s.adopt(token.into(), &shape, TokenSource::Refresh, a);
            let later = |ms: f64| Instant::new(now.mono_ms + ms, now.wall_ms + ms);
            assert_eq!(s.timer_delay_ms(now), Some(240_000.0), "offset {offset}");
            assert!(!s.refresh_due(later(239_999.0)));
            assert!(s.refresh_due(later(240_000.0)));
            let t = s.token().expect("held");
            assert!(!t.is_expired(later(298_999.0)));
            assert!(t.is_expired(later(299_000.0)), "1 s before expiry it is not sent any more");
            assert_eq!(s.expires_at_wall_ms(now), Some(now.wall_ms + 300_000.0));
        }
    }

    #[test]
    fn login_starts_a_new_epoch_and_supersedes() {
        let mut s = Session::new();
        let before = s.ticket();
        adopt(&mut s, 300.0, T0);
        assert_eq!(s.epoch(), Epoch(0), "a restored session has an unknown epoch");
        assert!(s.is_current(before), "a refresh does not change hands");
        adopt_from(&mut s, TokenSource::Login, 300.0, T0);
        assert_eq!(s.epoch(), Epoch(T0.wall_ms as u64 * EPOCH_PER_MS), "login epoch from the wall clock");
        assert!(!s.is_current(before), "login supersedes what was in flight");
        // A second login in the same millisecond (or with the clock set back) still advances.
        adopt_from(&mut s, TokenSource::Login, 300.0, at(-5_000.0));
        assert_eq!(s.epoch(), Epoch(T0.wall_ms as u64 * EPOCH_PER_MS + 1));
        // End keeps the epoch (it names the session that ended), raised to the top of its
        // millisecond so it outranks every login of that millisecond; a restore that revives
        // an ended session starts a new one.
        let e = s.epoch();
        let t = s.ticket();
        s.end(EndReason::LoggedOut, T0);
        assert_eq!(s.epoch(), Epoch(T0.wall_ms as u64 * EPOCH_PER_MS + EPOCH_PER_MS - 1));
        assert!(s.epoch() > e);
        assert!(!s.is_current(t), "end supersedes");
        adopt(&mut s, 300.0, at(1_000.0));
        assert!(s.epoch() > e, "revived by restore: a new session");
    }

    #[test]
    fn salts_place_a_tab_within_the_millisecond() {
        let ms = T0.wall_ms as u64 * EPOCH_PER_MS;
        assert_eq!(Session::new().with_salt(5).stamp(T0), Epoch(ms + 5));
        // Any number is reduced to 0..1022 (1023 is the top of the millisecond, an end's).
        assert_eq!(Session::new().with_salt(EPOCH_PER_MS - 1 + 5).stamp(T0), Epoch(ms + 5));
        assert_eq!(Session::new().with_salt(EPOCH_PER_MS - 2).stamp(T0), Epoch(ms + EPOCH_PER_MS - 2));
        assert_eq!(Session::new().stamp(T0), Epoch(ms), "no salt");
        // A wall clock that is not a usable number counts as 0.
        for bad in [f64::INFINITY, f64::NAN, -5.0, 0.0] {
            assert_eq!(Session::new().with_salt(7).stamp(Instant::new(0.0, bad)), Epoch(7), "{bad}");
        }
    }

    #[test]
    fn ended_since_is_an_end_after_the_stamp() {
        let mut s = Session::new();
        adopt_from(&mut s, TokenSource::Login, 300.0, T0);
        let login = s.epoch();
        assert!(!s.ended_since(Epoch(0)), "no end yet");
        s.end(EndReason::LoggedOut, T0);
        let end = s.epoch();
        assert!(s.ended_since(login), "ended after the login's stamp");
        assert!(s.ended_since(Epoch(end.0 - 1)));
        assert!(!s.ended_since(end), "not after its own epoch");
        assert!(!s.ended_since(Epoch(end.0 + 1)), "a later stamp: the end is older");
        // A new session: no end since anything.
        adopt_from(&mut s, TokenSource::Login, 300.0, at(1_000.0));
        assert!(!s.ended_since(login));
    }

    #[test]
    fn clear_forgets_and_counts_as_an_end_and_a_change_of_hands() {
        let mut s = Session::new();
        adopt_from(&mut s, TokenSource::Login, 300.0, T0);
        let (ticket, ends) = (s.ticket(), s.ends());
        s.clear();
        assert!(s.token().is_none());
        assert_eq!(s.state(), SessionState::Anonymous);
        assert_eq!(s.ends(), ends + 1);
        assert!(!s.is_current(ticket));
        // Tickets only move forward: one taken later is never an earlier one again.
        let t2 = s.ticket();
        s.clear();
        assert!(s.ticket().0 > t2.0 && t2.0 > ticket.0, "{:?} {:?} {:?}", ticket, t2, s.ticket());
        // An ended session cleared is no longer ended.
        s.end(EndReason::LoggedOut, T0);
        s.clear();
        assert_eq!(s.state(), SessionState::Anonymous);
    }

    #[test]
    fn sources_and_dpop_marks() {
        assert!(TokenSource::Login.shared() && TokenSource::Refresh.shared() && TokenSource::Caller.shared());
        assert!(!TokenSource::OtherTab.shared(), "a token from another tab is not sent back");
        let mut s = Session::new();
        for dpop in [true, false] {
            let a = Adoption { now: T0, expires_in_s: Some(300.0), margin_ms: 60_000.0, random01: 0.0, dpop };
            s.adopt("opaque".into(), &TokenShape::Opaque, TokenSource::Refresh, a);
            assert_eq!(s.token().map(AccessToken::is_dpop), Some(dpop));
        }
    }

    #[test]
    fn peer_token_rules() {
        use PeerToken::*;
        let e = |n| Epoch(n);
        // (name, our epoch, do we hold a token, have we ended, their epoch, their remaining, want)
        type Case = (&'static str, u64, bool, bool, u64, Option<f64>, PeerToken);
        let cases: &[Case] = &[
            ("fresh tab, first token of an unknown-epoch session", 0, false, false, 0, Some(1e3), Adopt),
            ("fresh tab hears of a login", 0, false, false, 7, Some(1e3), AdoptNewSession),
            ("ours lasts longer: stale message", 5, true, false, 5, Some(100_000.0), Ignore),
            ("theirs lasts longer", 5, true, false, 5, Some(250_000.0), Adopt),
            ("unknown expiry: the latest wins", 5, true, false, 5, None, Adopt),
            ("older session's token", 5, true, false, 4, Some(1e9), Ignore),
            ("unknown-epoch token while we know the session", 5, true, false, 0, Some(1e9), Ignore),
            ("the session we saw end", 5, false, true, 5, Some(1e9), Ignore),
            ("after logout, a newer login elsewhere", 5, false, true, 6, Some(1e3), AdoptNewSession),
        ];
        for (name, ours, held, ended, theirs, remaining, want) in cases {
            let mut s = Session::new();
            if *held {
                adopt(&mut s, 300.0, T0);
            }
            if *ended {
                s.end(EndReason::LoggedOut, T0);
            }
            s.epoch = e(*ours);
            let t = s.ticket();
            let now = at(100_000.0); // 200 s left on ours
            assert_eq!(s.on_peer_token(true, e(*theirs), "other", *remaining, now), *want, "{name}");
            let moved = *want == AdoptNewSession;
            assert_eq!(s.epoch(), e(if moved { *theirs } else { *ours }), "{name}: epoch");
            assert_eq!(!s.is_current(t), moved, "{name}: superseded");
        }
        let mut s = Session::new();
        adopt(&mut s, 300.0, T0);
        let same = s.token().map(|t| t.value().to_owned()).unwrap_or_default();
        assert_eq!(s.on_peer_token(true, Epoch(0), &same, Some(1e9), T0), Ignore, "same token");
    }

    #[test]
    fn a_local_end_outranks_every_earlier_session() {
        // B logged in at T0 (epoch T0); A restored from the cookie (epoch 0) and logs out later.
        let mut b = Session::new();
        adopt_from(&mut b, TokenSource::Login, 300.0, T0);
        let mut a = Session::new();
        adopt(&mut a, 300.0, at(1_000.0));
        let ends = a.ends();
        a.end(EndReason::LoggedOut, at(2_000.0));
        assert_eq!(a.ends(), ends + 1);
        assert_eq!(
            a.epoch(),
            Epoch(at(2_000.0).wall_ms as u64 * EPOCH_PER_MS + EPOCH_PER_MS - 1),
            "the end carries the wall clock"
        );
        assert!(b.on_peer_end(a.epoch()), "B's earlier login ends too: same cookie");
        // A later login in B outranks A's end; A takes it.
        adopt_from(&mut b, TokenSource::Login, 300.0, at(3_000.0));
        assert!(b.epoch() > a.epoch());
        assert_eq!(a.on_peer_token(true, b.epoch(), "new", Some(1e3), at(3_000.0)), PeerToken::AdoptNewSession);
        // A token of the session A ended (a peer's late refresh answer) is not taken.
        let mut c = Session::new();
        adopt(&mut c, 300.0, T0);
        c.end(EndReason::LoggedOut, at(2_000.0));
        assert_eq!(
            c.on_peer_token(true, Epoch(T0.wall_ms as u64 * EPOCH_PER_MS), "late", Some(1e3), at(2_100.0)),
            PeerToken::Ignore
        );
        assert_eq!(c.on_peer_token(true, Epoch(0), "late", Some(1e3), at(2_100.0)), PeerToken::Ignore);
    }

    #[test]
    fn an_ended_tab_is_not_ended_again() {
        let mut s = Session::new();
        adopt_from(&mut s, TokenSource::Login, 300.0, T0);
        s.end(EndReason::LoggedOut, at(1.0));
        let e = s.epoch();
        assert!(!s.on_peer_end(e), "no sessionExpired after our own logout");
        assert!(!s.on_peer_end(Epoch(e.0 + 5)));
        assert_eq!(s.epoch(), Epoch(e.0 + 5), "but the epoch moves on");
        assert_eq!(
            s.on_peer_token(true, Epoch(e.0 + 5), "late", Some(1e3), at(2.0)),
            PeerToken::Ignore,
            "and that end is known"
        );
        assert_eq!(s.on_peer_token(true, Epoch(e.0 + 6), "new", Some(1e3), at(2.0)), PeerToken::AdoptNewSession);
    }

    #[test]
    fn an_end_learnt_without_a_session() {
        // A fresh tab reads an end from the shared record: no state change, but that session's
        // tokens are not taken, and a refresh from the cookie afterwards starts a new session.
        let mut s = Session::new();
        s.learn_end(Epoch(9));
        assert_eq!(s.state(), SessionState::Anonymous);
        assert_eq!(s.on_peer_token(true, Epoch(9), "ended", Some(1e3), T0), PeerToken::Ignore);
        adopt(&mut s, 300.0, T0);
        assert!(s.epoch() > Epoch(9), "a refresh after the end revives: a new epoch");
        // Not when a newer session (a login elsewhere) is known: the cookie is its.
        let mut s = Session::new();
        s.end(EndReason::LoggedOut, T0);
        let login = Epoch(s.epoch().0 + 10);
        s.raise_epoch(login);
        adopt(&mut s, 300.0, at(1.0));
        assert_eq!(s.epoch(), login, "continues the newer session");
    }

    #[test]
    fn peer_end_rules() {
        let mut s = Session::new();
        adopt_from(&mut s, TokenSource::Login, 300.0, T0);
        let ours = s.epoch();
        assert!(!s.on_peer_end(Epoch(ours.0 - 1)), "a stale end never ends a newer login");
        assert!(s.on_peer_end(ours), "our session ended elsewhere");
        assert!(s.on_peer_end(Epoch(ours.0 + 1)), "a session we had not heard of yet ended");
        assert_eq!(s.epoch(), Epoch(ours.0 + 1));
        let mut fresh = Session::new();
        adopt(&mut fresh, 300.0, T0);
        assert!(fresh.on_peer_end(Epoch(0)), "restored tabs share the cookie's session");
    }

    #[test]
    fn end_reason_names_round_trip() {
        for r in [EndReason::LoggedOut, EndReason::SessionExpired, EndReason::Idle, EndReason::Lifetime] {
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
            TokenSource::Caller,
            Adoption { now: T0, expires_in_s: Some(1.0), margin_ms: 0.0, random01: 0.0, dpop: false },
        );
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("secret-token-value"), "{dbg}");
        assert!(dbg.contains("[redacted]"));
    }
}
