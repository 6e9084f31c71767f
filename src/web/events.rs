//! Event subscriptions and what each event carries. Handlers are copied out before they run,
//! so no borrow is held while user code executes (it may subscribe, unsubscribe, or call back
//! into the manager). Details are Rust structs turned into plain JS objects by
//! serde-wasm-bindgen (`None` → `null`, as the `.d.ts` says).

use std::cell::{Cell, RefCell};

use js_sys::Function;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// `stateChanged`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateDetail {
    pub state: &'static str,
    pub is_authenticated: bool,
    pub expires_at: Option<f64>,
}

/// `refreshed`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshedDetail {
    pub expires_at: Option<f64>,
    #[serde(skip_serializing_if = "is_false")]
    pub from_other_tab: bool,
}

/// `refreshFailed`.
#[derive(Serialize)]
pub struct RefreshFailedDetail<'a> {
    pub code: &'static str,
    pub message: &'a str,
    pub status: Option<u16>,
}

/// `loggedOut` (`serverConfirmed` is null when the logout happened in another tab).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedOutDetail {
    pub server_confirmed: Option<bool>,
    #[serde(skip_serializing_if = "is_false")]
    pub from_other_tab: bool,
}

/// `sessionExpired`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionExpiredDetail {
    pub reason: &'static str,
    #[serde(skip_serializing_if = "is_false")]
    pub from_other_tab: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A detail as a plain JS object.
pub fn to_js(detail: &impl Serialize) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);
    detail.serialize(&serializer).unwrap_or(JsValue::NULL)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Refreshed,
    SessionExpired,
    LoggedOut,
    RefreshFailed,
    StateChanged,
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
    pub fn subscribe(&self, kind: EventKind, f: Function) -> u32 {
        let id = self.next_id.get().wrapping_add(1);
        self.next_id.set(id);
        self.handlers.borrow_mut().push((id, kind, f));
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
