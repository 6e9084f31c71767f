//! HTTP transport over the captured `fetch`: send a request, and the manager's own
//! credentialed POSTs (refresh, login, logout) with their lifetime and timeout signals.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Request, RequestCache, RequestCredentials, RequestInit, Response};

use crate::web::env;

/// The body of one of the manager's own POSTs.
pub enum Body<'a> {
    None,
    /// Sent as `application/json`.
    Json(&'a JsValue),
    /// A `FormData` or `URLSearchParams`, sent as is (the browser sets its content type).
    Form(&'a JsValue),
}

impl Body<'_> {
    /// The same body for another attempt (the values are re-read by each request).
    pub fn again(&self) -> Self {
        match self {
            Body::None => Body::None,
            Body::Json(v) => Body::Json(v),
            Body::Form(v) => Body::Form(v),
        }
    }
}

pub struct Net {
    fetch: Function,
    global: JsValue,
    /// Aborted by `dispose()`: cancels the manager's own requests (refresh, login, logout) so a
    /// late response cannot act after the manager is gone (e.g. clear a newer cookie).
    lifetime: Option<AbortController>,
}

impl Net {
    pub fn new(fetch: Function) -> Self {
        Self { fetch, global: env::global(), lifetime: AbortController::new().ok() }
    }

    pub fn abort_all(&self) {
        if let Some(c) = &self.lifetime {
            c.abort();
        }
    }

    /// The signal for the manager's own requests: disposal, a timeout when given, and the
    /// caller's signal when given, combined.
    fn signal(&self, timeout_ms: Option<u32>, caller: Option<&AbortSignal>) -> Option<AbortSignal> {
        let parts: Vec<AbortSignal> =
            [self.lifetime.as_ref().map(AbortController::signal), timeout_ms.and_then(timeout_signal), caller.cloned()]
                .into_iter()
                .flatten()
                .collect();
        if parts.len() > 1 {
            if let Some(any) = any_of(&parts) {
                return Some(any);
            }
        }
        parts.into_iter().last()
    }

    /// `fetch(request)`; rejects exactly as `fetch` does (TypeError, AbortError, ...).
    pub async fn send(&self, request: &Request) -> Result<Response, JsValue> {
        let promise: Promise = self.fetch.call1(&self.global, request)?.dyn_into()?;
        JsFuture::from(promise).await?.dyn_into::<Response>()
    }

    /// A credentialed, uncached POST (refresh, login, logout).
    pub async fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: Body<'_>,
        timeout_ms: Option<u32>,
        caller_signal: Option<&AbortSignal>,
    ) -> Result<Response, JsValue> {
        let init = RequestInit::new();
        if let Some(signal) = self.signal(timeout_ms, caller_signal) {
            init.set_signal(Some(&signal));
        }
        init.set_method("POST");
        init.set_credentials(RequestCredentials::Include);
        init.set_cache(RequestCache::NoStore);
        let h = web_sys::Headers::new()?;
        for (k, v) in headers {
            h.set(k, v)?;
        }
        match body {
            Body::None => {}
            Body::Json(value) => {
                h.set("Content-Type", "application/json")?;
                init.set_body(&js_sys::JSON::stringify(value)?.into());
            }
            Body::Form(value) => init.set_body(value),
        }
        init.set_headers(&h);
        let request = Request::new_with_str_and_init(url, &init)?;
        let pending: Promise = self.fetch.call1(&self.global, &request)?.dyn_into()?;
        // A transport that ignores the signal (an injected fetch) still cannot hold a run, a
        // login or the cross-tab lock forever: a second, later timer settles the wait.
        let pending = match timeout_ms {
            Some(ms) => Promise::race(&js_sys::Array::of2(&pending, &env::sleep(ms.saturating_add(1_000)))),
            None => pending,
        };
        JsFuture::from(pending).await?.dyn_into::<Response>()
    }
}

/// `static` method `name` of the global `AbortSignal`, where this browser has it.
fn abort_signal_static(name: &str) -> Option<(JsValue, Function)> {
    let ctor = Reflect::get(&js_sys::global(), &"AbortSignal".into()).ok()?;
    let f = Reflect::get(&ctor, &name.into()).ok()?.dyn_into::<Function>().ok()?;
    Some((ctor, f))
}

/// A signal that aborts after `ms`: `AbortSignal.timeout` where it exists, else a controller
/// aborted by `setTimeout`. Never throws (a throw here would leave a run marked in flight).
pub fn timeout_signal(ms: u32) -> Option<AbortSignal> {
    if let Some((ctor, timeout)) = abort_signal_static("timeout") {
        if let Some(s) = timeout.call1(&ctor, &JsValue::from(ms)).ok().and_then(|s| s.dyn_into().ok()) {
            return Some(s);
        }
    }
    let controller = AbortController::new().ok()?;
    let abort = Reflect::get(&controller, &"abort".into()).ok()?.dyn_into::<Function>().ok()?.bind0(&controller);
    env::set_timeout(&abort, ms)?;
    Some(controller.signal())
}

/// A signal that aborts when any of `signals` does: `AbortSignal.any` where it exists, else a
/// controller whose bound `abort` listens on each.
fn any_of(signals: &[AbortSignal]) -> Option<AbortSignal> {
    if let Some((ctor, any)) = abort_signal_static("any") {
        let list: js_sys::Array = signals.iter().collect();
        if let Some(s) = any.call1(&ctor, &list).ok().and_then(|s| s.dyn_into().ok()) {
            return Some(s);
        }
    }
    let controller = AbortController::new().ok()?;
    let abort = Reflect::get(&controller, &"abort".into()).ok()?.dyn_into::<Function>().ok()?.bind0(&controller);
    for s in signals {
        if s.aborted() {
            controller.abort();
            break;
        }
        let _ = s.add_event_listener_with_callback("abort", &abort);
    }
    Some(controller.signal())
}
