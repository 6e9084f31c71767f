//! The origin-wide Web Lock (`js/locks.js`): one refresh, login or logout at a time for all
//! tabs of an origin. The machine gives up a request by releasing it, and has the holder looked
//! at each time the wait passes its bound (`js/locks.js` steals from a stuck one).
//! The manager's answer callback answers every request by id (`n` 7 granted, 8 unavailable).

use std::rc::Rc;

use js_sys::Function;
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
        match lock_request(&name, id.0, &self.answer_callback()).dyn_into::<Function>() {
            Ok(release) => {
                self.locks.borrow_mut().insert(id, release);
            }
            Err(_) => self.lock_answer(id, false),
        }
    }

    /// The wait for `id` passed its bound: steal the lock if its holder is stuck.
    pub(crate) fn lock_stuck(&self, id: LockId) {
        if let Some(release) = self.locks.borrow().get(&id) {
            if let Ok(stuck) = js_sys::Reflect::get(release, &"stuck".into()).and_then(|f| f.dyn_into::<Function>()) {
                let _ = stuck.call0(&JsValue::UNDEFINED);
            }
        }
    }

    /// The lock is held (with the shared record read under it), or there is none to be had.
    pub(crate) fn lock_answer(self: &Rc<Self>, id: LockId, granted: bool) {
        let shared = storage::load(&self.cfg.refresh_url);
        if granted {
            self.input(|m, now| m.lock_granted(now, id, shared));
        } else {
            self.input(|m, now| m.lock_unavailable(now, id, shared));
        }
    }
}
