//! Page wake-up events (`js/wake.js`): the deadline is looked at again on `visibilitychange`
//! (when visible), `focus`, `online`, `pageshow` and `resume`, because timers are throttled or
//! frozen in background tabs and stop while the machine sleeps; `offline`; and, with the
//! `idle` option, the user's activity. One callback serves them all.

use js_sys::Function;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;

pub use crate::core::machine::Wake;

#[wasm_bindgen(module = "/js/wake.js")]
extern "C" {
    #[wasm_bindgen(js_name = listenWake)]
    fn listen_wake(wake: &JsValue, activity: bool) -> JsValue;
}

/// Call `on_wake` for every wake-up; returns the function that stops listening.
pub fn wake_listeners(activity: bool, on_wake: impl Fn(Wake) + 'static) -> Option<Function> {
    let callback = Closure::<dyn Fn(u8)>::new(move |kind: u8| {
        on_wake(match kind {
            0 => Wake::Visible,
            1 => Wake::Focus,
            2 => Wake::Online,
            3 => Wake::PageShow,
            4 => Wake::Offline,
            _ => Wake::Activity,
        })
    })
    .into_js_value();
    listen_wake(&callback, activity).dyn_into::<Function>().ok()
}
