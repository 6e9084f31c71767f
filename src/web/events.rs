//! Event subscriptions and what each event carries. Handlers are copied out before they run,
//! so no borrow is held while user code executes (it may subscribe, unsubscribe, or call back
//! into the manager). Details are plain JS objects made by `js/details.js` from the values
//! the executor passes (`None` → `null`, as the `.d.ts` says).

use std::cell::{Cell, RefCell};

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::web::js;

#[wasm_bindgen(module = "/js/debug.js")]
extern "C" {
    /// `on(name, handler)`'s event as its `EventKind` index; throws `invalid_options` for an
    /// unknown name or a handler that is not a function.
    #[wasm_bindgen(js_name = eventKind, catch)]
    pub fn event_kind(name: &JsValue, handler: &JsValue) -> Result<u8, JsValue>;
}

#[wasm_bindgen(module = "/js/details.js")]
extern "C" {
    /// The detail object of event `kind` (`js/details.js` names the fields).
    #[wasm_bindgen(js_name = detail)]
    fn detail_js(kind: u8, a: JsValue, b: JsValue, c: JsValue, d: JsValue) -> JsValue;
}

/// The detail of `kind` from up to four values (their meaning per kind: `js/details.js`).
pub fn detail(kind: EventKind, a: JsValue, b: JsValue, c: JsValue, d: JsValue) -> JsValue {
    detail_js(kind as u8, a, b, c, d)
}

/// A step-up challenge as the `stepUp` event and `onStepUp` get it.
pub fn challenge_js(c: &crate::core::challenge::Challenge) -> JsValue {
    let opt = |v: &Option<String>| v.as_deref().map_or(JsValue::NULL, JsValue::from);
    let max_age = js::number_or_null(c.max_age.map(|a| a as f64));
    detail(EventKind::StepUp, c.error.into(), opt(&c.acr_values), max_age, opt(&c.scope))
}

/// The events; the order is the `kind` index `js/details.js` reads, and `js/debug.js`'s
/// `EVENTS` names them in the same order (`on(name)` gets the index from there).
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
    LoggedIn,
    /// The store contract's subscribers (`subscribe`): not an `on()` event.
    Snapshot,
}

#[derive(Default)]
pub struct Events {
    next_id: Cell<u32>,
    handlers: RefCell<Vec<(u32, u8, Function)>>,
}

impl Events {
    /// Listeners run in the zone.js zone they subscribed in (events may come from the root
    /// zone, where the manager's timers run: `js/env.js`).
    pub fn subscribe(&self, kind: u8, f: Function) -> u32 {
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
            self.handlers.borrow().iter().filter(|(_, k, _)| *k == kind as u8).map(|(_, _, f)| f.clone()).collect();
        for f in targets {
            if let Err(e) = f.call1(&JsValue::UNDEFINED, detail) {
                web_sys::console::error_2(&"wasm-token-manager: an event handler threw".into(), &e);
            }
        }
    }
}
