//! Event subscriptions and what each event carries. Handlers are copied out before they run,
//! so no borrow is held while user code executes (it may subscribe, unsubscribe, or call back
//! into the manager). Details are Rust structs turned into plain JS objects by
//! serde-wasm-bindgen (`None` → `null`, as the `.d.ts` says).

use std::cell::{Cell, RefCell};

use js_sys::Function;
use wasm_bindgen::JsValue;

use crate::web::js;

/// `stateChanged`.
/// What an event carries, as a plain JS object (`None` → `null`; `fromOtherTab` only when
/// true, as the `.d.ts` says).
pub enum Detail<'a> {
    Refreshed {
        expires_at: Option<f64>,
        from_other_tab: bool,
    },
    RefreshFailed {
        code: &'static str,
        message: &'a str,
        status: Option<u16>,
    },
    SessionExpired {
        reason: &'static str,
        from_other_tab: bool,
    },
    LoggedOut {
        server_confirmed: Option<bool>,
        from_other_tab: bool,
        idle: bool,
    },
    State {
        state: &'static str,
        is_authenticated: bool,
        expires_at: Option<f64>,
        offline: bool,
    },
    /// `sessionExpiring` (`expiresAt`) and `idleWarning` (`deadline`): when, and seconds left.
    Countdown {
        name: &'static str,
        at: f64,
        now: f64,
    },
    StepUp(JsValue),
}

/// A step-up challenge as the `stepUp` event and `onStepUp` get it.
pub fn challenge_js(c: &crate::core::challenge::Challenge) -> JsValue {
    let opt = |v: &Option<String>| v.as_deref().map_or(JsValue::NULL, JsValue::from);
    js::object(&[
        ("error", c.error.into()),
        ("acrValues", opt(&c.acr_values)),
        ("maxAge", js::number_or_null(c.max_age.map(|a| a as f64))),
        ("scope", opt(&c.scope)),
    ])
}

impl Detail<'_> {
    pub fn to_js(&self) -> JsValue {
        let other = |from_other_tab: bool| if from_other_tab { Some(("fromOtherTab", JsValue::TRUE)) } else { None };
        let (mut pairs, extra) = match *self {
            Self::Refreshed { expires_at, from_other_tab } => {
                (vec![("expiresAt", js::number_or_null(expires_at))], other(from_other_tab))
            }
            Self::RefreshFailed { code, message, status } => (
                vec![
                    ("code", code.into()),
                    ("message", message.into()),
                    ("status", js::number_or_null(status.map(f64::from))),
                ],
                None,
            ),
            Self::SessionExpired { reason, from_other_tab } => (vec![("reason", reason.into())], other(from_other_tab)),
            Self::LoggedOut { server_confirmed, from_other_tab, idle } => (
                vec![
                    ("serverConfirmed", server_confirmed.map_or(JsValue::NULL, JsValue::from)),
                    ("reason", if idle { "idle" } else { "logout" }.into()),
                ],
                other(from_other_tab),
            ),
            Self::State { state, is_authenticated, expires_at, offline } => (
                vec![
                    ("state", state.into()),
                    ("isAuthenticated", is_authenticated.into()),
                    ("expiresAt", js::number_or_null(expires_at)),
                    ("offline", offline.into()),
                ],
                None,
            ),
            Self::Countdown { name, at, now } => {
                (vec![(name, at.into()), ("secondsLeft", ((at - now) / 1000.0).max(0.0).round().into())], None)
            }
            Self::StepUp(ref challenge) => return challenge.clone(),
        };
        pairs.extend(extra);
        js::object(&pairs)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Refreshed,
    SessionExpired,
    LoggedOut,
    RefreshFailed,
    StateChanged,
    SessionExpiring,
    IdleWarning,
    StepUp,
    /// The store contract's subscribers (`subscribe`): not an `on()` event.
    Snapshot,
}

impl EventKind {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "refreshed" => Self::Refreshed,
            "sessionExpired" => Self::SessionExpired,
            "loggedOut" => Self::LoggedOut,
            "refreshFailed" => Self::RefreshFailed,
            "stateChanged" => Self::StateChanged,
            "sessionExpiring" => Self::SessionExpiring,
            "idleWarning" => Self::IdleWarning,
            "stepUp" => Self::StepUp,
            _ => return None,
        })
    }
}

#[derive(Default)]
pub struct Events {
    next_id: Cell<u32>,
    handlers: RefCell<Vec<(u32, EventKind, Function)>>,
}

impl Events {
    /// Listeners run in the zone.js zone they subscribed in (events may come from the root
    /// zone, where the manager's timers run: `js/env.js`).
    pub fn subscribe(&self, kind: EventKind, f: Function) -> u32 {
        let id = self.next_id.get().wrapping_add(1);
        self.next_id.set(id);
        self.handlers.borrow_mut().push((id, kind, crate::web::env::in_caller_zone(&f)));
        id
    }

    pub fn unsubscribe(&self, id: u32) {
        self.handlers.borrow_mut().retain(|(i, _, _)| *i != id);
    }

    pub fn clear(&self) {
        self.handlers.borrow_mut().clear();
    }

    /// Call every handler of `kind` with `detail`. A throwing handler is reported on the
    /// console and does not stop the others.
    pub fn emit(&self, kind: EventKind, detail: &JsValue) {
        let targets: Vec<Function> =
            self.handlers.borrow().iter().filter(|(_, k, _)| *k == kind).map(|(_, _, f)| f.clone()).collect();
        for f in targets {
            if let Err(e) = f.call1(&JsValue::UNDEFINED, detail) {
                web_sys::console::error_2(&"wasm-token-manager: an event handler threw".into(), &e);
            }
        }
    }
}
