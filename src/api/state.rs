//! What the Rust API reports: the [`Snapshot`] of the session (what a UI shows), the typed
//! [`Event`]s, and the [`Subscription`] that stops either when dropped.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;

use crate::api::ErrorCode;
use crate::web::events::EventKind;
use crate::web::js::{number_field, string_field};
use crate::web::manager::Inner;

/// The session's state, as the JS snapshot's `state` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// The first restore is under way: show "Loading…", neither the app nor the sign-in form.
    Restoring,
    /// Nobody signed in, and no session was found (or none was looked for).
    Anonymous,
    /// A token is held (it may be being renewed).
    Authenticated,
    /// Signed out: here, in another tab, or for inactivity.
    LoggedOut,
    /// The session ended on the server, or reached its lifetime.
    SessionExpired,
}

impl State {
    /// The JS name: `"restoring"`, `"anonymous"`, `"authenticated"`, `"loggedOut"`,
    /// `"sessionExpired"`.
    ///
    /// ```
    /// assert_eq!(wasm_token_manager::State::LoggedOut.as_str(), "loggedOut");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Restoring => "restoring",
            Self::Anonymous => "anonymous",
            Self::Authenticated => "authenticated",
            Self::LoggedOut => "loggedOut",
            Self::SessionExpired => "sessionExpired",
        }
    }

    fn parse(name: &str) -> Self {
        match name {
            "restoring" => Self::Restoring,
            "authenticated" => Self::Authenticated,
            "loggedOut" => Self::LoggedOut,
            "sessionExpired" => Self::SessionExpired,
            _ => Self::Anonymous,
        }
    }
}

/// What a UI shows of the session, as a plain value (the JS `getSnapshot()`). Two snapshots of
/// an unchanged session are equal; reading the token never changes it.
///
/// ```no_run
/// # let auth: wasm_token_manager::TokenManager = unimplemented!();
/// let s = auth.snapshot();
/// if s.is_authenticated {
///     let claims = s.claims.as_deref().unwrap_or("{}"); // JSON text
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Snapshot {
    pub state: State,
    pub is_authenticated: bool,
    /// The held token's expiry, ms since the epoch (local clock).
    pub expires_at: Option<f64>,
    /// The held token's claims as JSON text (untrusted hints: the signature is not checked).
    pub claims: Option<String>,
    /// The session's end (the refresh token's), ms since the epoch.
    pub session_expires_at: Option<f64>,
    /// With the `idle` option: when the session is signed out for inactivity.
    pub idle_deadline: Option<f64>,
    /// A token request got no answer, and nothing has answered since.
    pub offline: bool,
}

impl Snapshot {
    /// A string claim of the held token (`"sub"`, `"email"`), if there is one.
    ///
    /// ```no_run
    /// # let auth: wasm_token_manager::TokenManager = unimplemented!();
    /// let who = auth.snapshot().claim_str("sub").unwrap_or_default();
    /// ```
    pub fn claim_str(&self, name: &str) -> Option<String> {
        let claims = js_sys::JSON::parse(self.claims.as_deref()?).ok()?;
        string_field(&claims, name)
    }

    pub(crate) fn of(inner: &Inner) -> Self {
        let key = inner.snapshot_key();
        let state = State::parse(key.0);
        Self {
            state,
            is_authenticated: state == State::Authenticated,
            // The cached JS snapshot's: the same value for as long as the session is unchanged
            // (computed afresh it would move with the clock).
            expires_at: number_field(&inner.snapshot(), "expiresAt"),
            claims: inner.claims_json(),
            session_expires_at: key.2,
            idle_deadline: key.3,
            offline: key.4,
        }
    }
}

/// An event of the manager (the JS `on(name, handler)` events), typed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A new token is held (`refreshed`).
    Refreshed { expires_at: Option<f64>, from_other_tab: bool },
    /// The server ended the session (`sessionExpired`); `reason` as the JS one.
    SessionExpired { reason: String, from_other_tab: bool },
    /// Signed out (`loggedOut`): `server_confirmed` is `None` when no server was asked.
    LoggedOut { server_confirmed: Option<bool>, reason: String, from_other_tab: bool },
    /// A refresh failed and the session goes on (`refreshFailed`).
    RefreshFailed { code: Option<ErrorCode>, message: String, status: Option<u16> },
    /// The state changed (`stateChanged`).
    StateChanged { state: State, expires_at: Option<f64>, offline: bool },
    /// The session ends soon (`sessionExpiring`).
    SessionExpiring { expires_at: f64, seconds_left: f64 },
    /// Signed out for inactivity soon (`idleWarning`).
    IdleWarning { deadline: f64, seconds_left: f64 },
    /// A resource server asked for stronger authentication (`stepUp`).
    StepUp { error: String, acr_values: Option<String>, max_age: Option<f64>, scope: Option<String> },
    /// Signed in, here or in another tab (`loggedIn`).
    LoggedIn { from_other_tab: bool },
}

impl Event {
    fn from_js(kind: EventKind, d: &JsValue) -> Option<Self> {
        let other = js_sys::Reflect::get(d, &"fromOtherTab".into()).is_ok_and(|v| v.is_truthy());
        let text = |f| string_field(d, f).unwrap_or_default();
        Some(match kind {
            EventKind::Refreshed => Self::Refreshed { expires_at: number_field(d, "expiresAt"), from_other_tab: other },
            EventKind::SessionExpired => Self::SessionExpired { reason: text("reason"), from_other_tab: other },
            EventKind::LoggedOut => Self::LoggedOut {
                server_confirmed: js_sys::Reflect::get(d, &"serverConfirmed".into()).ok().and_then(|v| v.as_bool()),
                reason: text("reason"),
                from_other_tab: other,
            },
            EventKind::RefreshFailed => Self::RefreshFailed {
                code: string_field(d, "code").as_deref().and_then(ErrorCode::parse),
                message: text("message"),
                status: number_field(d, "status").map(|s| s as u16),
            },
            EventKind::StateChanged => Self::StateChanged {
                state: State::parse(&text("state")),
                expires_at: number_field(d, "expiresAt"),
                offline: js_sys::Reflect::get(d, &"offline".into()).is_ok_and(|v| v.is_truthy()),
            },
            EventKind::SessionExpiring => Self::SessionExpiring {
                expires_at: number_field(d, "expiresAt")?,
                seconds_left: number_field(d, "secondsLeft").unwrap_or(0.0),
            },
            EventKind::IdleWarning => Self::IdleWarning {
                deadline: number_field(d, "deadline")?,
                seconds_left: number_field(d, "secondsLeft").unwrap_or(0.0),
            },
            EventKind::StepUp => Self::StepUp {
                error: text("error"),
                acr_values: string_field(d, "acrValues"),
                max_age: number_field(d, "maxAge"),
                scope: string_field(d, "scope"),
            },
            EventKind::LoggedIn => Self::LoggedIn { from_other_tab: other },
            EventKind::Snapshot => return None,
        })
    }
}

/// The kinds an [`Event`] comes from, in `EventKind` order.
const EVENT_KINDS: [EventKind; 9] = [
    EventKind::Refreshed,
    EventKind::SessionExpired,
    EventKind::LoggedOut,
    EventKind::RefreshFailed,
    EventKind::StateChanged,
    EventKind::SessionExpiring,
    EventKind::IdleWarning,
    EventKind::StepUp,
    EventKind::LoggedIn,
];

/// A listener of [`TokenManager::subscribe`](crate::TokenManager::subscribe) or
/// [`TokenManager::on_event`](crate::TokenManager::on_event): dropping it unsubscribes.
/// [`Subscription::forget`] keeps it for the manager's life.
///
/// ```no_run
/// # let auth: wasm_token_manager::TokenManager = unimplemented!();
/// let sub = auth.subscribe(|s| web_sys::console::log_1(&s.state.as_str().into()));
/// drop(sub); // no more calls
/// ```
#[must_use = "dropping a Subscription unsubscribes at once"]
pub struct Subscription {
    inner: Weak<Inner>,
    ids: Vec<u32>,
    release: Option<Box<dyn FnOnce()>>,
}

impl Subscription {
    /// Keep listening for as long as the manager lives.
    ///
    /// ```no_run
    /// # let auth: wasm_token_manager::TokenManager = unimplemented!();
    /// auth.on_event(|e| web_sys::console::log_1(&format!("{e:?}").into())).forget();
    /// ```
    pub fn forget(mut self) {
        self.ids.clear();
        self.release = None;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.upgrade() {
            for id in &self.ids {
                inner.events.unsubscribe(*id);
            }
        }
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

/// A listener the JS side holds only through this slot: dropping the [`Subscription`] empties
/// it, so what the listener captured (a clone of the manager, say) is freed at once, not when
/// the JS garbage collector gets to the function.
type Slot<T> = Rc<RefCell<Option<Rc<T>>>>;

fn slot<T: ?Sized + 'static>(value: Rc<T>) -> (Slot<T>, Box<dyn FnOnce()>) {
    let slot = Rc::new(RefCell::new(Some(value)));
    let release = {
        let slot = slot.clone();
        Box::new(move || drop(slot.borrow_mut().take())) as Box<dyn FnOnce()>
    };
    (slot, release)
}

/// Call `listener` with a new snapshot on every change of the session.
pub(crate) fn subscribe(inner: &Rc<Inner>, listener: impl Fn(&Snapshot) + 'static) -> Subscription {
    if inner.notified.get().is_none() {
        inner.notified.set(Some(inner.snapshot_key()));
    }
    let weak = Rc::downgrade(inner);
    let (listener, release) = slot(Rc::new(listener) as Rc<dyn Fn(&Snapshot)>);
    let f = Closure::<dyn Fn(JsValue)>::new(move |_js_snapshot: JsValue| {
        let listener = listener.borrow().clone();
        if let (Some(inner), Some(listener)) = (weak.upgrade(), listener) {
            listener(&Snapshot::of(&inner));
        }
    })
    .into_js_value();
    let id = inner.events.subscribe(EventKind::Snapshot as u8, f.unchecked_into());
    Subscription { inner: Rc::downgrade(inner), ids: vec![id], release: Some(release) }
}

/// Call `handler` with every event.
pub(crate) fn on_event(inner: &Rc<Inner>, handler: impl Fn(&Event) + 'static) -> Subscription {
    let (handler, release) = slot(Rc::new(handler) as Rc<dyn Fn(&Event)>);
    let ids = EVENT_KINDS
        .iter()
        .map(|&kind| {
            let handler = handler.clone();
            let f = Closure::<dyn Fn(JsValue)>::new(move |detail: JsValue| {
                let handler = handler.borrow().clone();
                if let (Some(event), Some(handler)) = (Event::from_js(kind, &detail), handler) {
                    handler(&event);
                }
            })
            .into_js_value();
            inner.events.subscribe(kind as u8, f.unchecked_into())
        })
        .collect();
    Subscription { inner: Rc::downgrade(inner), ids, release: Some(release) }
}
