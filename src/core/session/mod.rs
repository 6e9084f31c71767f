//! The session: the one owner of the access token, its generation and deadline, the session's
//! cross-tab identity (epoch), and the rules for news from other tabs. The decisions of a
//! refresh run live in [`super::run`], those of a wrapped request in [`super::request`]; both
//! are `impl Session` blocks over the fields here.

use super::clock::{token_lifetime_ms, Instant};
use super::policy::{refresh_point_ms, Backoff, StormBreaker};
use super::secret::Secret;
use super::token::TokenShape;

mod access_token;
pub use access_token::{AccessToken, Adoption, SEND_SKEW_MS};

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
pub(super) mod tests;
