//! The origin-wide Web Lock (`js/locks.js`): one refresh, login or logout at a time for all
//! tabs of an origin. The machine bounds the wait and gives up a request by releasing it.
//! One callback, made once, answers every request by id.

use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;

use crate::core::machine::LockId;
use crate::web::manager::Inner;
use crate::web::storage;

#[wasm_bindgen(module = "/js/locks.js")]
extern "C" {
    #[wasm_bindgen(js_name = lockRequest)]
    fn lock_request(name: &str, id: u32, answer: &JsValue) -> JsValue;
}

impl Inner {
    pub(crate) fn request_lock(self: &Rc<Self>, id: LockId) {
        let Some(name) = self.crosstab.borrow().as_ref().map(|c| c.lock_name().to_owned()) else {
            return self.lock_answer(id, false);
        };
        let answer = self.lock_callback.borrow_mut().get_or_insert_with(|| self.make_lock_callback()).clone();
        match lock_request(&name, id.0, &answer).dyn_into::<Function>() {
            Ok(release) => {
                self.locks.borrow_mut().insert(id, release);
            }
            Err(_) => self.lock_answer(id, false),
        }
    }

    fn make_lock_callback(self: &Rc<Self>) -> JsValue {
        let weak = Rc::downgrade(self);
        Closure::<dyn Fn(u32, bool)>::new(move |id, granted| {
            if let Some(inner) = weak.upgrade() {
                inner.lock_answer(LockId(id), granted);
            }
        })
        .into_js_value()
    }

    /// The lock is held (with the shared record read under it), or there is none to be had.
    fn lock_answer(self: &Rc<Self>, id: LockId, granted: bool) {
        let shared = storage::load(&self.cfg.refresh_url);
        if granted {
            self.input(|m, now| m.lock_granted(now, id, shared));
        } else {
            self.input(|m, now| m.lock_unavailable(now, id, shared));
        }
    }
}
