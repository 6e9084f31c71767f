//! DOM event listeners with RAII removal: the deadline is re-checked on `visibilitychange`
//! (when visible), `focus`, `online`, `pageshow` and `resume`, because timers are throttled or frozen in
//! background tabs and stop while the machine sleeps.

use js_sys::Reflect;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Event, EventTarget};

pub struct DomListener {
    target: EventTarget,
    event: &'static str,
    closure: Closure<dyn FnMut(Event)>,
}

impl DomListener {
    pub fn new(target: EventTarget, event: &'static str, f: impl FnMut(Event) + 'static) -> Option<Self> {
        let closure = Closure::<dyn FnMut(Event)>::new(f);
        target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref()).ok()?;
        Some(Self { target, event, closure })
    }
}

impl Drop for DomListener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback(self.event, self.closure.as_ref().unchecked_ref());
    }
}

pub use crate::core::machine::Wake;

/// Listen for the wake-up events of the current global (window, or worker: `online` only).
/// `on_wake` is called for each (after filtering `visibilitychange` to "visible").
pub fn wake_listeners(on_wake: impl Fn(Wake) + Clone + 'static) -> Vec<DomListener> {
    let global: JsValue = js_sys::global().into();
    let mut out = Vec::new();
    let Ok(target) = global.clone().dyn_into::<EventTarget>() else { return out };
    for (event, wake) in [("focus", Wake::Focus), ("online", Wake::Online), ("pageshow", Wake::PageShow)] {
        let f = on_wake.clone();
        out.extend(DomListener::new(target.clone(), event, move |_| f(wake)));
    }
    let document = Reflect::get(&global, &"document".into()).ok().and_then(|d| d.dyn_into::<web_sys::Document>().ok());
    if let Some(doc) = document {
        let f = on_wake.clone();
        // Page Lifecycle: a frozen tab (timers stopped) is resumed.
        out.extend(DomListener::new(doc.clone().into(), "resume", move |_| f(Wake::PageShow)));
        let f = on_wake;
        let d = doc.clone();
        out.extend(DomListener::new(doc.into(), "visibilitychange", move |_| {
            if d.visibility_state() == web_sys::VisibilityState::Visible {
                f(Wake::Visible);
            }
        }));
    }
    out
}
