//! Page wake-up events (`js/wake.js`): the deadline is looked at again on `visibilitychange`
//! (when visible), `focus`, `online`, `pageshow` and `resume`, because timers are throttled or
//! frozen in background tabs and stop while the machine sleeps; `offline`; and, with the
//! `idle` option, the user's activity. The manager's answer callback gets them all (`n` 9).

use js_sys::Function;
use wasm_bindgen::prelude::*;

pub use crate::core::machine::Wake;

#[wasm_bindgen(module = "/js/wake.js")]
extern "C" {
    #[wasm_bindgen(js_name = listenWake)]
    fn listen_wake(wake: &JsValue, activity: bool) -> JsValue;
}

/// Call `done(kind, null, 9)` for every wake-up; returns the function that stops listening.
pub fn wake_listeners(activity: bool, done: &JsValue) -> Option<Function> {
    listen_wake(done, activity).dyn_into::<Function>().ok()
}

/// The wake-up `kind` `js/wake.js` gives.
pub fn wake_of(kind: u32) -> Wake {
    match kind {
        0 => Wake::Visible,
        1 => Wake::Focus,
        2 => Wake::Online,
        3 => Wake::PageShow,
        4 => Wake::Offline,
        _ => Wake::Activity,
    }
}
