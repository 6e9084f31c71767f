//! What goes into the machine and what comes out of it: ids, the answers of the network, the
//! cross-tab messages, and the outputs an executor carries out. No JS value appears here: the
//! executor keeps the `Request`, the resolvers and the signals of id 17 in its own table.

use crate::core::challenge::Challenge;
use crate::core::error::Error;
use crate::core::secret::Secret;
use crate::core::session::{EndReason, Epoch, TokenGeneration};

/// A caller of `login()`, `logout()`, `refresh()` or `restore()` waiting for its promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u32);

/// One `auth.fetch` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReqId(pub u32);

/// One POST to the refresh, login or logout endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HttpId(pub u32);

/// One request for the origin-wide lock (a late grant of an abandoned request is released).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LockId(pub u32);

/// Which endpoint a POST goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Refresh,
    /// The body is the one `login(body)` was called with (the executor keeps it by call).
    Login(CallId),
    Logout(Scope),
}

/// What `logout({ scope })` ends (sent as a query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// This browser's session (every tab).
    Local,
    /// Every other session of the user; this one goes on.
    Others,
    /// Every session of the user, this one included.
    Global,
}

impl Scope {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Others => "others",
            Self::Global => "global",
        }
    }
}

/// A token read from a login or refresh answer (by the executor: JSON in JS, or the caller's
/// `parseTokenResponse`).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenAnswer {
    pub token: Secret,
    pub expires_in_s: Option<f64>,
    /// `token_type: "DPoP"`.
    pub dpop: bool,
    /// The refresh token's remaining lifetime, seconds (`refresh_expires_in`): the session's end.
    pub session_s: Option<f64>,
}

/// What a 2xx token answer without a token (`null`, `{}`, the token field `null`) is read as:
/// nobody is signed in, as a 401 would say (token-mediating backends answer so).
pub const NO_SESSION: &str = "no token: nobody is signed in";

/// How a POST ended.
#[derive(Debug, Clone, PartialEq)]
pub enum HttpOutcome {
    /// No answer: network error, CORS, or the request timed out or was aborted.
    NetworkError,
    /// An answer. For a 2xx, `token` is what the body gave (or why it gave nothing).
    Answer { status: u16, retry_after_ms: Option<f64>, token: Result<TokenAnswer, &'static str> },
    /// Never sent: the request could not be made (the `refreshHeaders` function threw or
    /// returned headers that are refused). Not retried.
    NotSent(Error),
}

/// What the executor knows of an `auth.fetch` call when it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchStart {
    pub url: String,
    /// The caller set `Authorization` itself: sent untouched.
    pub has_authorization: bool,
    /// `keepalive`: never waits, never replayed.
    pub keepalive: bool,
    /// The body can be sent twice (not a stream, not an already used `Request`).
    pub replayable: bool,
}

/// How the executor should authorize a wrapped request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authorize {
    /// Send as the caller built it (foreign origin, or its own `Authorization`).
    Untouched,
    /// Without a token (none usable): remove any `Authorization` the manager set before.
    Bare,
    /// `Authorization: Bearer <token of this generation>` ([`super::Machine::token_value`]),
    /// or `DPoP` with a proof when the token is bound.
    Token { generation: TokenGeneration, dpop: bool },
}

/// A cross-tab message (`BroadcastChannel`). Both carry the session epoch.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A tab obtained a token (login, refresh, restore, `setAccessToken`).
    /// `remaining_ms` as of `sent_wall_ms` (the sender's wall clock, which is the receiver's
    /// too: same device): a message that waited (a sleeping or frozen tab) is aged on receipt.
    /// `session_end`: the session's end (wall ms), if known.
    Token {
        epoch: Epoch,
        token: Secret,
        remaining_ms: Option<f64>,
        sent_wall_ms: f64,
        dpop: bool,
        session_end: Option<f64>,
    },
    /// A tab logged out, or its refresh was rejected.
    Ended { epoch: Epoch, reason: EndReason },
    /// Activity in a tab moved the idle deadline (wall ms).
    Active { epoch: Epoch, deadline: f64 },
}

/// The newest session news of the origin, kept where every tab reads it synchronously while it
/// holds the lock (`localStorage` in a window; none in a worker). It carries no token: only
/// the epoch, and whether that session ended. The lock orders its writes, so a tab that gets
/// the lock knows of every login and logout that held it before, even when their channel
/// messages are still on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedEpoch {
    pub epoch: Epoch,
    /// `Some`: that session ended, and why.
    pub ended: Option<EndReason>,
}

/// Page events: most may mean time passed unseen (sleep, a throttled or frozen tab); the
/// network's state; the user's activity (with the `idle` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    Visible,
    Focus,
    Online,
    PageShow,
    /// The browser went offline (`offline`).
    Offline,
    /// `pointerdown`, `keydown`, `wheel` or `touchstart` (throttled by the page).
    Activity,
}

/// An event for the page's listeners. The executor fills in what it reads off the machine
/// at dispatch (`expiresAt`, the state).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Refreshed {
        from_other_tab: bool,
    },
    RefreshFailed {
        error: Error,
        status: Option<u16>,
    },
    /// `reason`: `refresh_rejected` or `other_tab`.
    SessionExpired {
        reason: &'static str,
        from_other_tab: bool,
    },
    /// `idle`: the idle timeout ended it.
    LoggedOut {
        server_confirmed: Option<bool>,
        from_other_tab: bool,
        idle: bool,
    },
    StateChanged,
    /// The session ends at `expires_at` (wall ms), `sessionWarningSeconds` from now or less.
    SessionExpiring {
        expires_at: f64,
    },
    /// No activity: the session ends at `deadline` (wall ms).
    IdleWarning {
        deadline: f64,
    },
    /// A resource server asked for a stronger authentication or more scope.
    StepUp(Challenge),
    /// A session began: `login()` in this tab, or the first token of a newer session shared
    /// by another tab (its login, or a session it restored after this one ended).
    LoggedIn {
        from_other_tab: bool,
    },
}

/// The DPoP key's fate when the session ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChange {
    /// This tab ended the session: delete the key (the next login makes a new one).
    Delete,
    /// Another tab ended it or logged in with a new key: forget the cached copy.
    Forget,
}

/// What a settled `auth.fetch` gives its caller.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchEnd {
    /// The last response received.
    Response,
    /// Rejected (the manager was disposed while the request waited).
    Error(Error),
}

/// One thing for the executor to do. Drained with [`super::Machine::poll_output`] after every
/// input; the one timer comes from [`super::Machine::poll_timeout`].
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// POST to an endpoint (headers from `refreshHeaders`, a DPoP proof when on).
    Post {
        id: HttpId,
        endpoint: Endpoint,
    },
    /// Give up a POST (timed out, or its session is gone); no outcome is expected.
    AbortPost(HttpId),
    /// Send (or send again) a wrapped request.
    Send {
        req: ReqId,
        authorize: Authorize,
    },
    /// Settle a wrapped request.
    FinishFetch {
        req: ReqId,
        end: FetchEnd,
    },
    /// Ask for the origin-wide lock.
    RequestLock(LockId),
    /// The request `LockId` has waited [`super::LOCK_WAIT_MS`] more: if the same context has
    /// held the lock all that time (longer than any live operation holds it: a frozen or hung
    /// tab, a page that took the lock itself), take it from that holder (Web Locks `steal`);
    /// a holder that changed is a queue moving on, waited for.
    LockStuck(LockId),
    /// Release a held lock, or abandon a request for it.
    ReleaseLock(LockId),
    Broadcast(Message),
    /// Record this in the shared place if it is newer than what is there.
    StoreShared(SharedEpoch),
    /// Settle a caller's promise. `logout()` resolves to whether the server confirmed.
    Settle {
        call: CallId,
        result: Result<CallValue, (Error, Option<u16>)>,
    },
    Event(Event),
    Key(KeyChange),
    /// Call `onStepUp(challenge)`; its promise's end is [`super::Machine::step_up_done`].
    StepUp {
        id: CallId,
        challenge: Challenge,
    },
}

/// What a settled call resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallValue {
    Done,
    /// `logout()`: did the server confirm?
    Confirmed(bool),
    /// `logout()` ended the session here but sent nothing: a login called after it (in
    /// another tab) owns the cookie now (resolves false; no navigation after it).
    Overtaken,
}
