//! `auth.fetch`, end to end: build the Request as `fetch` would, decide (core::request) whether
//! to wait for a token, attach it, send, and after a 401 refresh and replay once.

use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Request, Response};

use crate::core::options::origin_allowed;
use crate::core::request::{RequestPlan, UnauthorizedPlan};
use crate::core::run::RefreshKind;
use crate::core::session::TokenGeneration;
use crate::core::ErrorCode;
use crate::web::env::now;
use crate::web::error;
use crate::web::manager::Inner;

impl Inner {
    pub async fn fetch(self: &Rc<Self>, input: JsValue, init: JsValue) -> Result<Response, JsValue> {
        if self.disposed.get() {
            return Err(error::js(ErrorCode::Aborted, "the manager was disposed"));
        }
        let request = build_request(&input, &init)?;
        // The caller's own Authorization header, or a foreign origin: plain fetch, untouched.
        if request.headers().has("Authorization")? || !origin_allowed(&request.url(), &self.cfg.allowed_origins) {
            return self.net.send(&request).await;
        }
        let signal = request.signal();
        let replayable = replayable(&input, &init);
        // A request with a body is cloned before sending (the body is consumed); one without
        // a body can simply be sent again, so the common GET pays for no copy.
        let spare = if replayable && request.body().is_some() { Some(request.clone()?) } else { None };

        let mut waited = false;
        loop {
            let in_flight = self.in_flight.borrow().is_some();
            let plan = self.session.borrow().before_request(now(), in_flight, waited);
            match plan {
                RequestPlan::Wait => {
                    self.wait_for_refresh(&signal).await?;
                    waited = true;
                }
                RequestPlan::Send { refresh_in_background } => {
                    if refresh_in_background {
                        self.refresh_in_background();
                    }
                    break;
                }
            }
        }
        let sent = self.attach(&request)?;
        let response = self.net.send(&request).await?;
        if response.status() != 401 || !replayable {
            return Ok(response);
        }

        // A request that already waited for a refresh has had its refresh: after a 401 it is
        // replayed only if a newer token exists.
        let mut plan = self.session.borrow().after_unauthorized(sent, now(), waited);
        if plan == UnauthorizedPlan::RefreshThenReplay {
            self.wait_for_refresh(&signal).await?;
            plan = self.session.borrow().after_unauthorized(sent, now(), true);
        }
        if plan != UnauthorizedPlan::Replay {
            return Ok(response);
        }
        let retry = spare.unwrap_or(request);
        self.attach(&retry)?;
        self.net.send(&retry).await
    }

    /// Attach the usable token (if any) and return its generation.
    fn attach(&self, request: &Request) -> Result<Option<TokenGeneration>, JsValue> {
        let s = self.session.borrow();
        match s.usable_token(now()) {
            Some((value, generation)) => {
                request.headers().set("Authorization", &format!("Bearer {value}"))?;
                Ok(Some(generation))
            }
            None => {
                request.headers().delete("Authorization")?;
                Ok(None)
            }
        }
    }

    /// Wait for the run in flight (or start one: this request needs a token), honouring the
    /// caller's signal. Refresh failures are not the caller's error here: the request goes
    /// out anyway (without a dead token) and the server's answer is returned.
    async fn wait_for_refresh(self: &Rc<Self>, signal: &AbortSignal) -> Result<(), JsValue> {
        let p = self.ensure_refresh(RefreshKind::Needed);
        match abortable(p, signal).await {
            Err(e) if error::has_code(&e, ErrorCode::Aborted) && signal.aborted() => Err(e),
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

/// Can the request be sent twice? Not when its body is a stream the caller handed us.
fn replayable(input: &JsValue, init: &JsValue) -> bool {
    let body_of = |v: &JsValue| Reflect::get(v, &"body".into()).unwrap_or(JsValue::UNDEFINED);
    let init_stream =
        !init.is_undefined() && !init.is_null() && body_of(init).is_instance_of::<web_sys::ReadableStream>();
    let used = input.dyn_ref::<Request>().is_some_and(Request::body_used);
    !init_stream && !used
}

/// Await `promise`, but reject with `aborted` as soon as `signal` aborts.
async fn abortable(promise: Promise, signal: &AbortSignal) -> Result<JsValue, JsValue> {
    if signal.aborted() {
        return Err(error::js(ErrorCode::Aborted, "aborted while waiting for a token refresh"));
    }
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
    match result {
        Err(_) if signal.aborted() => Err(error::js(ErrorCode::Aborted, "aborted while waiting for a token refresh")),
        other => other,
    }
}
