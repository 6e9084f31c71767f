//! The store contract every framework speaks: `getSnapshot()` returns an immutable (frozen)
//! `{ state, isAuthenticated, expiresAt, claims, sessionExpiresAt, idleDeadline, offline }` that keeps its identity until the session
//! changes; `subscribe(listener)` calls the listener with it at once and on every change, and
//! returns the unsubscribe function. That is a Svelte store, React's
//! `useSyncExternalStore(auth.subscribe, auth.getSnapshot)`, and what Vue, Solid and Angular
//! signals adapt from. Both functions are bound (they work detached).

use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use crate::core::ErrorCode;
use crate::web::error;
use crate::web::events::EventKind;
use crate::web::js;
use crate::web::manager::Inner;

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/details.js")]
extern "C" {
    /// The frozen snapshot object (`js/details.js` names the fields).
    #[wasm_bindgen(js_name = snapshot)]
    fn snapshot_js(
        state: &str,
        expires_at: JsValue,
        claims: JsValue,
        session_expires_at: JsValue,
        idle_deadline: JsValue,
        offline: bool,
    ) -> JsValue;
}

impl Inner {
    /// The current snapshot: the cached object while the session is unchanged.
    pub fn snapshot(&self) -> JsValue {
        let key = self.snapshot_key();
        if let Some((k, v)) = self.snapshot.borrow().as_ref() {
            if *k == key {
                return v.clone();
            }
        }
        let claims = self.claims_json().and_then(|j| js_sys::JSON::parse(&j).ok()).unwrap_or(JsValue::NULL);
        let value = snapshot_js(
            key.0,
            js::number_or_null(self.expires_at()),
            claims,
            js::number_or_null(key.2),
            js::number_or_null(key.3),
            key.4,
        );
        *self.snapshot.borrow_mut() = Some((key, value.clone()));
        value
    }

    /// After a state change: subscribers hear of a new snapshot (not of a no-op).
    pub(crate) fn notify_store(&self) {
        let key = self.snapshot_key();
        if self.notified.get() == Some(key) {
            return;
        }
        self.notified.set(Some(key));
        let snapshot = self.snapshot();
        self.events.emit(EventKind::Snapshot, &snapshot);
    }

    /// `subscribe` and `getSnapshot`, bound to this manager (made once: stable identities,
    /// as `useSyncExternalStore` wants). They hold the manager weakly.
    pub fn bound_store(self: &Rc<Self>) -> (JsValue, JsValue) {
        if let Some(pair) = self.bound_store.borrow().as_ref() {
            return pair.clone();
        }
        let weak = Rc::downgrade(self);
        let subscribe = Closure::<dyn Fn(JsValue) -> Result<JsValue, JsValue>>::new(move |listener: JsValue| {
            let f: Function = listener
                .dyn_into()
                .map_err(|_| error::js(ErrorCode::InvalidOptions, "subscribe needs a listener function"))?;
            let Some(inner) = weak.upgrade() else {
                // A disposed manager: nothing will change any more.
                return Ok(crate::web::js::unsubscriber(Box::new(|| {})));
            };
            if inner.notified.get().is_none() {
                inner.notified.set(Some(inner.snapshot_key()));
            }
            let _ = f.call1(&JsValue::UNDEFINED, &inner.snapshot());
            let id = inner.events.subscribe(EventKind::Snapshot as u8, f);
            let weak = Rc::downgrade(&inner);
            Ok(crate::web::js::unsubscriber(Box::new(move || {
                if let Some(inner) = weak.upgrade() {
                    inner.events.unsubscribe(id);
                }
            })))
        })
        .into_js_value();
        let weak = Rc::downgrade(self);
        let get_snapshot = Closure::<dyn Fn() -> JsValue>::new(move || match weak.upgrade() {
            Some(inner) => inner.snapshot(),
            None => JsValue::NULL,
        })
        .into_js_value();
        *self.bound_store.borrow_mut() = Some((subscribe.clone(), get_snapshot.clone()));
        (subscribe, get_snapshot)
    }
}
