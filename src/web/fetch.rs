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
use crate::web::env::now;
use crate::web::error;
use crate::web::manager::{Inner, PendingFetch};

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
        if self.disposed.get() {
            return Promise::reject(&error::js(ErrorCode::Aborted, "the manager was disposed"));
        }
        // Before the Request is built: building it from a `Request` input takes that input's
        // body (its `bodyUsed` turns true).
        let body_replayable = replayable(&input, &init);
        let request = match build_request(&input, &init) {
            Ok(r) => r,
            Err(e) => return Promise::reject(&e),
        };
        let signal = request.signal();
        if signal.aborted() {
            return Promise::reject(&abort_reason(&signal));
        }
        let has_authorization = request.headers().has("Authorization").unwrap_or(false);
        let keepalive = is_keepalive(&request, &init);
        let replayable = body_replayable && !keepalive;
        // Copy whenever the request can carry a body (sending consumes it); a GET or HEAD
        // built from a URL can simply be sent again, so the common call pays for no copy.
        let may_have_body = !matches!(request.method().as_str(), "GET" | "HEAD") || input.is_instance_of::<Request>();
        let spare = if replayable && may_have_body { request.clone().ok() } else { None };
        let start = FetchStart { url: request.url(), has_authorization, keepalive, replayable: body_replayable };
        let mut resolvers = None;
        let promise = Promise::new(&mut |resolve, reject| resolvers = Some((resolve, reject)));
        let Some((resolve, reject)) = resolvers else { return promise };
        let req = {
            let mut m = self.machine.borrow_mut();
            let req = m.fetch(now(), start);
            let mut out = self.outputs.borrow_mut();
            while let Some(o) = m.poll_output() {
                out.push_back(o);
            }
            req
        };
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
                Some(t) => (if dpop { 3 } else { 2 }, Some(t.to_owned())),
                None => (1, None),
            },
        };
        let sent = request.map(|r| send_wrapped(&self.fetch, &r, scheme, token.as_deref(), self.dpop));
        let inner = Rc::clone(self);
        crate::web::spawn(async move {
            let answer = match sent {
                Ok(p) => JsFuture::from(p).await,
                Err(e) => Err(e),
            };
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
    #[wasm_bindgen(js_name = sendWrapped)]
    fn send_wrapped(fetch: &js_sys::Function, request: &Request, scheme: u8, token: Option<&str>, dpop: bool) -> Promise;
}

/// Build the Request a `fetch(input, init)` call would make.
fn build_request(input: &JsValue, init: &JsValue) -> Result<Request, JsValue> {
    // RequestInit is a dictionary: any object is one (checked), its members are read by the
    // Request constructor itself, which throws a TypeError for bad ones exactly as fetch does.
    let init: Option<web_sys::RequestInit> = if init.is_undefined() || init.is_null() {
        None
    } else {
        let object = init
            .clone()
            .dyn_into::<js_sys::Object>()
            .map_err(|_| js_sys::TypeError::new("fetch: init must be an object"))?;
        Some(object.unchecked_into())
    };
    if let Some(req) = input.dyn_ref::<Request>() {
        return match &init {
            Some(i) => Request::new_with_request_and_init(req, i),
            None => Request::new_with_request(req),
        };
    }
    let url = match input.as_string() {
        Some(s) => s,
        None => String::from(js_sys::Object::from(input.clone()).to_string()),
    };
    match &init {
        Some(i) => Request::new_with_str_and_init(&url, i),
        None => Request::new_with_str(&url),
    }
}

/// Can the request be sent twice? Not when its body is a stream the caller handed over
/// (`init.body` a `ReadableStream`), nor when the caller's `Request` was already used.
fn replayable(input: &JsValue, init: &JsValue) -> bool {
    let body_of = |v: &JsValue| Reflect::get(v, &"body".into()).unwrap_or(JsValue::UNDEFINED);
    let init_stream = init.is_object() && body_of(init).is_instance_of::<web_sys::ReadableStream>();
    let used = input.dyn_ref::<Request>().is_some_and(Request::body_used);
    !init_stream && !used
}

fn is_keepalive(request: &Request, init: &JsValue) -> bool {
    let flag = |v: &JsValue| Reflect::get(v, &"keepalive".into()).ok().and_then(|k| k.as_bool()) == Some(true);
    flag(request.as_ref()) || (init.is_object() && flag(init))
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
