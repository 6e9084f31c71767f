//! `auth.fetch`, end to end: build the Request as `fetch` would, decide (core::request) whether
//! to wait for a token, attach it, send, and after a 401 refresh and replay once.

use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Request, Response};

use crate::core::options::origin_allowed;
use crate::core::request::{RequestPlan, UnauthorizedPlan, Waiting};
use crate::core::run::RefreshKind;
use crate::core::session::{Session, TokenGeneration};
use crate::core::ErrorCode;
use crate::web::env::now;
use crate::web::error;
use crate::web::manager::Inner;

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
            Some(inner) => crate::web::promise(async move { inner.fetch(input, init).await.map(Into::into) }),
            None => Promise::reject(&error::js(ErrorCode::Aborted, "the manager was disposed")),
        })
        .into_js_value();
        *self.bound_fetch.borrow_mut() = Some(f.clone());
        f
    }

    pub async fn fetch(self: &Rc<Self>, input: JsValue, init: JsValue) -> Result<Response, JsValue> {
        if self.disposed.get() {
            return Err(error::js(ErrorCode::Aborted, "the manager was disposed"));
        }
        // Before the Request is built: building it from a `Request` input takes that input's
        // body (its `bodyUsed` turns true).
        let body_replayable = replayable(&input, &init);
        let request = build_request(&input, &init)?;
        // The caller's own Authorization header, or a foreign origin: plain fetch, untouched.
        if request.headers().has("Authorization")? || !origin_allowed(&request.url(), &self.cfg.allowed_origins) {
            return self.net.send(&request).await;
        }
        let signal = request.signal();
        if signal.aborted() {
            return Err(abort_reason(&signal));
        }
        // A keepalive request (page unload, analytics) never waits and is not replayed.
        let mut waiting = if is_keepalive(&request, &init) { Waiting::Never } else { Waiting::May };
        let replayable = body_replayable && waiting != Waiting::Never;
        // Clone whenever the request can carry a body (it is consumed by sending); a GET or
        // HEAD built from a URL can simply be sent again, so the common call pays for no copy.
        let may_have_body = !matches!(request.method().as_str(), "GET" | "HEAD") || input.is_instance_of::<Request>();
        let spare = if replayable && may_have_body { Some(request.clone()?) } else { None };

        loop {
            let in_flight = self.in_flight.borrow().is_some();
            let plan = self.session.borrow().before_request(now(), in_flight, waiting);
            match plan {
                RequestPlan::Wait => {
                    self.wait_for_refresh(&signal).await?;
                    waiting = Waiting::Waited;
                }
                RequestPlan::Send { refresh_in_background } => {
                    if refresh_in_background {
                        self.refresh_in_background();
                    }
                    break;
                }
            }
        }
        let sent = self.attach(&request).await?;
        let mut response = self.send(&request).await?;
        // A resource server's DPoP nonce challenge (RFC 9449 §9): once more with its nonce.
        // Not the 401-refresh retry, and never a loop.
        if replayable && self.dpop.as_ref().is_some_and(|d| d.is_challenge(&request.url(), &response)) {
            let again = match &spare {
                Some(s) => s.clone()?,
                None => request.clone()?,
            };
            self.attach(&again).await?;
            response = self.send(&again).await?;
        }
        if response.status() != 401 || !replayable {
            return Ok(response);
        }

        let had_its_refresh = Session::had_its_refresh(waiting, sent);
        let mut plan = self.session.borrow().after_unauthorized(sent, now(), had_its_refresh);
        if plan == UnauthorizedPlan::RefreshThenReplay {
            self.wait_for_refresh(&signal).await?;
            plan = self.session.borrow().after_unauthorized(sent, now(), true);
        }
        if plan != UnauthorizedPlan::Replay {
            return Ok(response);
        }
        let retry = spare.unwrap_or(request);
        self.attach(&retry).await?;
        self.send(&retry).await
    }

    /// Send a wrapped request; with DPoP, remember the nonce the answer carries.
    async fn send(&self, request: &Request) -> Result<Response, JsValue> {
        let response = self.net.send(request).await?;
        if let Some(dpop) = &self.dpop {
            dpop.remember_nonce(&request.url(), &response);
        }
        Ok(response)
    }

    /// Attach the usable token (if any) and return its generation: `Bearer`, or for a
    /// DPoP-bound token `DPoP` with a fresh proof for this method and URL.
    async fn attach(&self, request: &Request) -> Result<Option<TokenGeneration>, JsValue> {
        let usable = {
            let s = self.session.borrow();
            s.usable_token(now()).map(|(v, g)| (v.to_owned(), g, s.token().is_some_and(|t| t.is_dpop())))
        };
        let headers = request.headers();
        match (usable, &self.dpop) {
            (Some((token, generation, true)), Some(dpop)) => {
                let proof = dpop.proof(&request.method(), &request.url(), Some(&token), false).await?;
                headers.set("Authorization", &format!("DPoP {token}"))?;
                headers.set("DPoP", &proof)?;
                Ok(Some(generation))
            }
            (Some((token, generation, _)), _) => {
                headers.set("Authorization", &format!("Bearer {token}"))?;
                Ok(Some(generation))
            }
            (None, _) => {
                headers.delete("Authorization")?;
                if self.dpop.is_some() {
                    headers.delete("DPoP")?;
                }
                Ok(None)
            }
        }
    }

    /// Wait for the run in flight (or start one: this request needs a token), honouring the
    /// caller's signal: an abort rejects with `signal.reason`, as `fetch` does. Refresh
    /// failures are not the caller's error here: the request goes out anyway (without a dead
    /// token) and the server's answer is returned.
    async fn wait_for_refresh(self: &Rc<Self>, signal: &AbortSignal) -> Result<(), JsValue> {
        let p = self.ensure_refresh(RefreshKind::Needed);
        match abortable(p, signal).await {
            Err(_) if signal.aborted() => Err(abort_reason(signal)),
            _ => Ok(()),
        }
    }
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

/// Await `promise`, but settle (with an error) as soon as `signal` aborts.
async fn abortable(promise: Promise, signal: &AbortSignal) -> Result<JsValue, JsValue> {
    // The abort listener is the race promise's own `reject`: no Rust closure to leak.
    let mut reject_fn: Option<Function> = None;
    let aborted = Promise::new(&mut |_resolve, reject| {
        let _ = signal.add_event_listener_with_callback("abort", &reject);
        reject_fn = Some(reject);
    });
    let race = Promise::race(&js_sys::Array::of2(&promise, &aborted));
    let result = JsFuture::from(race).await;
    if let Some(f) = reject_fn {
        let _ = signal.remove_event_listener_with_callback("abort", &f);
    }
    result
}
