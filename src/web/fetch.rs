//! `fetch` for `auth.fetch`: build the Request as `fetch` would, hand the machine what it needs
//! to decide (wait, which token, replay after a 401), attach the token and send as it says.

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Response;

use crate::core::machine::{Authorize, FetchStart, ReqId};
use crate::core::ErrorCode;
use crate::web::error;
use crate::web::manager::{Inner, PendingFetch};
use crate::web::marks::mark;

impl Inner {
    /// `auth.fetch`: a function bound to this manager, so it works detached (`const f =
    /// auth.fetch`, `{ fetch: auth.fetch }`). It holds the manager weakly: after `dispose()` it
    /// rejects with `aborted`.
    pub fn bound_fetch(self: &Rc<Self>) -> JsValue {
        if let Some(f) = self.bound_fetch.borrow().as_ref() {
            return f.clone();
        }
        let weak = Rc::downgrade(self);
        let f = Closure::<dyn Fn(JsValue, JsValue) -> Promise>::new(move |input, init| match weak.upgrade() {
            Some(inner) => inner.fetch(input, init),
            None => Promise::reject(&error::js(ErrorCode::Aborted, "the manager was disposed")),
        })
        .into_js_value();
        *self.bound_fetch.borrow_mut() = Some(f.clone());
        f
    }

    /// Start a wrapped request: build the Request as `fetch` would, then let the machine decide
    /// whether it waits, which token it carries, and whether a 401 is replayed. It is sent
    /// before this returns when the machine says so (no microtask in between).
    pub(crate) fn fetch(self: &Rc<Self>, input: JsValue, init: JsValue) -> Promise {
        mark(1);
        if self.disposed.get() {
            return Promise::reject(&error::js(ErrorCode::Aborted, "the manager was disposed"));
        }
        let prepared = match prepare_request(&input, &init, self.dpop, &self.cfg.unlisted) {
            Ok(p) => p,
            Err(e) => return Promise::reject(&e),
        };
        mark(2);
        let start = FetchStart {
            url: prepared.get(4).as_string().unwrap_or_default(),
            has_authorization: prepared.get(3).is_truthy(),
            keepalive: prepared.get(2).is_truthy(),
            replayable: prepared.get(1).is_truthy(),
        };
        let mut resolvers = None;
        let promise = Promise::new(&mut |resolve, reject| resolvers = Some((resolve, reject)));
        let Some((resolve, reject)) = resolvers else { return promise };
        let req = self.feed(|m, now| m.fetch(now, start));
        mark(3);
        let request = prepared.get(0);
        self.fetches.borrow_mut().insert(req, PendingFetch { request: request.clone(), last: None, resolve, reject });
        let signal = prepared.get(5);
        if signal.is_truthy() {
            on_abort(&signal, req.0, &self.answer_callback(), 0);
        }
        mark(4);
        self.pump();
        if let Err(e) = freeze(&request) {
            self.answered(req.0, e, 0);
        }
        promise
    }

    /// Send (or send again) a wrapped request as the machine says.
    pub(crate) fn send(self: &Rc<Self>, req: ReqId, authorize: Authorize) {
        let Some(request) = self.fetches.borrow().get(&req).map(|p| p.request.clone()) else { return };
        let (scheme, token) = match authorize {
            Authorize::Untouched => (0, None),
            Authorize::Bare => (1, None),
            Authorize::Token { generation, dpop } => match self.machine.borrow().token_value(generation) {
                Some(t) => (if dpop { 3 } else { 2 }, Some(crate::core::secret::Secret::from(t))),
                None => (1, None),
            },
        };
        mark(5);
        send_wrapped(&self.fetch, &request, scheme, token.as_deref(), self.dpop, req.0, &self.answer_callback());
        mark(6);
    }

    /// The one callback for whatever the browser answers: the transport, the token endpoints,
    /// `onStepUp` calls, locks, timers, wake-ups, the cross-tab channel, a login's signal.
    pub(crate) fn answer_callback(self: &Rc<Self>) -> JsValue {
        let make = || {
            let weak = Rc::downgrade(self);
            Closure::<dyn Fn(u32, JsValue, u8)>::new(move |req, value, n| {
                if let Some(inner) = weak.upgrade() {
                    inner.answered(req, value, n);
                }
            })
            .into_js_value()
        };
        self.answer_callback.borrow_mut().get_or_insert_with(make).clone()
    }

    /// The transport answered (`n` 1, 2 with a DPoP nonce challenge) or failed, or the caller
    /// aborted (`n` 0); or the `onStepUp` call `req` resolved (`n` 3) or failed (4); or the
    /// token endpoint's POST `req` was answered (5) or failed (6); the lock `req` was granted
    /// (7) or is unavailable (8); a wake-up of kind `req` (9); the timer fired (10); the
    /// microtask after a release (11); a cross-tab message `value` (12); the login call `req`'s
    /// signal aborted (13).
    fn answered(self: &Rc<Self>, req: u32, value: JsValue, n: u8) {
        mark(7);
        use crate::core::machine::{CallId, HttpId, LockId};
        match n {
            5 | 6 => return self.posted(HttpId(req), value, n == 5),
            3 | 4 => return self.input(|m, now| m.step_up_done(now, CallId(req), n == 3)),
            7 | 8 => return self.lock_answer(LockId(req), n == 7),
            9 => return self.input(|m, now| m.wake(now, crate::web::lifecycle::wake_of(req))),
            10 => return self.timer_fired(),
            11 => return self.fire_later(),
            12 => return self.peer_data(&value),
            13 => return self.input(|m, now| m.abort_call(now, CallId(req))),
            _ => {}
        }
        let req = ReqId(req);
        if n == 0 {
            // A network error, an abort or a bad request: rejected exactly as `fetch` did; the
            // machine forgets the request.
            let Some(p) = self.fetches.borrow_mut().remove(&req) else { return };
            let _ = p.reject.call1(&JsValue::UNDEFINED, &value);
            return self.input(|m, _| m.fetch_dropped(req));
        }
        let response: Response = value.unchecked_into();
        let status = response.status();
        // A 401 or 403 may carry a step-up challenge.
        let challenge =
            if matches!(status, 401 | 403) { response.headers().get("www-authenticate").ok().flatten() } else { None };
        if let Some(p) = self.fetches.borrow_mut().get_mut(&req) {
            p.last = Some(response);
        }
        self.input(|m, now| m.fetch_answered(now, req, status, n == 2, challenge.as_deref()));
    }
}

#[wasm_bindgen(module = "/js/http.js")]
extern "C" {
    #[wasm_bindgen(js_name = prepareRequest, catch)]
    fn prepare_request(
        input: &JsValue,
        init: &JsValue,
        dpop: bool,
        unlisted: &JsValue,
    ) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(js_name = onAbort)]
    pub fn on_abort(signal: &JsValue, req: u32, done: &JsValue, n: u8);
    #[wasm_bindgen(catch)]
    fn freeze(prepared: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = stepUp)]
    pub fn step_up(handler: &js_sys::Function, challenge: &JsValue, id: u32, done: &JsValue);
    #[wasm_bindgen(js_name = sendWrapped)]
    fn send_wrapped(
        fetch: &js_sys::Function,
        request: &JsValue,
        scheme: u8,
        token: Option<&str>,
        dpop: bool,
        req: u32,
        done: &JsValue,
    );
}
