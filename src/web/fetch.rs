//! `fetch` for `auth.fetch`: build the Request as `fetch` would, hand the machine what it needs
//! to decide (wait, which token, replay after a 401), attach the token and send as it says.

use std::rc::Rc;

use js_sys::{Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Request, Response};

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
    /// whether it waits, which token it carries, and whether a 401 is replayed.
    fn fetch(self: &Rc<Self>, input: JsValue, init: JsValue) -> Promise {
        mark(1);
        if self.disposed.get() {
            return Promise::reject(&error::js(ErrorCode::Aborted, "the manager was disposed"));
        }
        let prepared = match prepare_request(&input, &init) {
            Ok(p) => p,
            Err(e) => return Promise::reject(&e),
        };
        mark(2);
        let request: Request = prepared.get(0).unchecked_into();
        let spare = prepared.get(1).dyn_into::<Request>().ok();
        let signal = request.signal();
        if signal.aborted() {
            return Promise::reject(&abort_reason(&signal));
        }
        let start = FetchStart {
            url: request.url(),
            has_authorization: prepared.get(4).is_truthy(),
            keepalive: prepared.get(3).is_truthy(),
            replayable: prepared.get(2).is_truthy(),
        };
        let mut resolvers = None;
        let promise = Promise::new(&mut |resolve, reject| resolvers = Some((resolve, reject)));
        let Some((resolve, reject)) = resolvers else { return promise };
        let req = self.feed(|m, now| m.fetch(now, start));
        mark(3);
        let pending = PendingFetch { request, spare, sends: 0, last: None, resolve, reject };
        self.fetches.borrow_mut().insert(req, pending);
        if !signal.aborted() {
            // An abort while the request waits rejects it as `fetch` would (during the send,
            // `fetch` itself rejects).
            let weak = Rc::downgrade(self);
            let listener = Closure::once_into_js(move || {
                if let Some(inner) = weak.upgrade() {
                    inner.abort_fetch(req);
                }
            });
            let _ = signal.add_event_listener_with_callback("abort", listener.unchecked_ref());
        }
        mark(4);
        self.pump();
        promise
    }

    /// The caller's signal aborted: reject with its reason; the machine forgets the request.
    fn abort_fetch(self: &Rc<Self>, req: ReqId) {
        let Some(pending) = self.fetches.borrow_mut().remove(&req) else { return };
        let _ = pending.reject.call1(&JsValue::UNDEFINED, &abort_reason(&pending.request.signal()));
        self.input(|m, _| m.fetch_dropped(req));
    }

    /// Send (or send again) a wrapped request as the machine says.
    pub(crate) fn send(self: &Rc<Self>, req: ReqId, authorize: Authorize) {
        let request = {
            let mut fetches = self.fetches.borrow_mut();
            let Some(p) = fetches.get_mut(&req) else { return };
            p.sends += 1;
            // The first send, and any send of a request without a body copy, uses the Request
            // itself; a replay of one with a body uses a fresh copy of the spare.
            match (&p.spare, p.sends) {
                (Some(spare), n) if n > 1 => spare.clone(),
                _ => Ok(JsValue::clone(p.request.as_ref()).unchecked_into::<Request>()),
            }
        };
        let (scheme, token) = match authorize {
            Authorize::Untouched => (0, None),
            Authorize::Bare => (1, None),
            Authorize::Token { generation, dpop } => match self.machine.borrow().token_value(generation) {
                Some(t) => (if dpop { 3 } else { 2 }, Some(crate::core::secret::Secret::from(t))),
                None => (1, None),
            },
        };
        mark(5);
        let sent = request.map(|r| send_wrapped(&self.fetch, &r, scheme, token.as_deref(), self.dpop));
        mark(6);
        let inner = Rc::clone(self);
        crate::web::spawn(async move {
            let answer = match sent {
                Ok(p) => JsFuture::from(p).await,
                Err(e) => Err(e),
            };
            mark(7);
            match answer {
                Ok(pair) => {
                    let pair: js_sys::Array = pair.unchecked_into();
                    let response: Response = pair.get(0).unchecked_into();
                    let challenge = pair.get(1).is_truthy();
                    let status = response.status();
                    if let Some(p) = inner.fetches.borrow_mut().get_mut(&req) {
                        p.last = Some(response);
                    }
                    inner.input(|m, now| m.fetch_answered(now, req, status, challenge));
                }
                Err(e) => {
                    // A network error, an abort or a bad request: rejected exactly as `fetch` did.
                    if let Some(p) = inner.fetches.borrow_mut().remove(&req) {
                        let _ = p.reject.call1(&JsValue::UNDEFINED, &e);
                    }
                    inner.input(|m, _| m.fetch_dropped(req));
                }
            }
        });
    }
}

#[wasm_bindgen(module = "/js/http.js")]
extern "C" {
    #[wasm_bindgen(js_name = prepareRequest, catch)]
    fn prepare_request(input: &JsValue, init: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(js_name = sendWrapped)]
    fn send_wrapped(fetch: &js_sys::Function, request: &Request, scheme: u8, token: Option<&str>, dpop: bool) -> Promise;
}

/// What `fetch` rejects with for an aborted signal: its `reason`, or an `AbortError`.
fn abort_reason(signal: &AbortSignal) -> JsValue {
    let reason = Reflect::get(signal, &"reason".into()).unwrap_or(JsValue::UNDEFINED);
    if !reason.is_undefined() {
        return reason;
    }
    web_sys::DomException::new_with_message_and_name("signal is aborted without reason", "AbortError")
        .map_or_else(|e| e, Into::into)
}
