//! HTTP plumbing over the captured global `fetch`.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Request, RequestCache, RequestCredentials, RequestInit, Response};

use crate::core::ErrorCode;
use crate::web::error;

pub struct Net {
    fetch: Function,
    global: JsValue,
    /// Aborted by `dispose()`: cancels the manager's own requests (refresh, login, logout) so a
    /// late response cannot act after the manager is gone (e.g. clear a newer cookie).
    lifetime: Option<web_sys::AbortController>,
}

impl Net {
    pub fn new(fetch: Function) -> Self {
        Self { fetch, global: crate::web::env::global(), lifetime: web_sys::AbortController::new().ok() }
    }

    pub fn abort_all(&self) {
        if let Some(c) = &self.lifetime {
            c.abort();
        }
    }

    /// The signal for the manager's own requests: disposal, and a timeout when given.
    fn signal(&self, timeout_ms: Option<u32>) -> Option<AbortSignal> {
        let lifetime = self.lifetime.as_ref().map(web_sys::AbortController::signal);
        match (lifetime, timeout_ms) {
            (Some(l), Some(ms)) if has_abort_signal_any() => {
                let both = js_sys::Array::of2(&l, &AbortSignal::timeout_with_u32(ms));
                Some(AbortSignal::any(&both))
            }
            // Older browsers without AbortSignal.any: the timeout matters more.
            (Some(_), Some(ms)) => Some(AbortSignal::timeout_with_u32(ms)),
            (Some(l), None) => Some(l),
            (None, Some(ms)) => Some(AbortSignal::timeout_with_u32(ms)),
            (None, None) => None,
        }
    }

    /// `fetch(request)`; rejects exactly as `fetch` does (TypeError, AbortError, ...).
    pub async fn send(&self, request: &Request) -> Result<Response, JsValue> {
        let promise: Promise = self.fetch.call1(&self.global, request)?.dyn_into()?;
        JsFuture::from(promise).await?.dyn_into::<Response>()
    }

    /// A credentialed, uncached POST (refresh, login, logout). `json_body` is sent as
    /// `application/json`.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        json_body: Option<&JsValue>,
        timeout_ms: Option<u32>,
    ) -> Result<Response, JsValue> {
        let init = RequestInit::new();
        if let Some(signal) = self.signal(timeout_ms) {
            init.set_signal(Some(&signal));
        }
        init.set_method("POST");
        init.set_credentials(RequestCredentials::Include);
        init.set_cache(RequestCache::NoStore);
        let h = web_sys::Headers::new()?;
        for (k, v) in headers {
            h.set(k, v)?;
        }
        if let Some(body) = json_body {
            h.set("Content-Type", "application/json")?;
            init.set_body(&js_sys::JSON::stringify(body)?.into());
        }
        init.set_headers(&h);
        let request = Request::new_with_str_and_init(url, &init)?;
        self.send(&request).await
    }
}

fn has_abort_signal_any() -> bool {
    Reflect::get(&js_sys::global(), &"AbortSignal".into())
        .and_then(|c| Reflect::has(&c, &"any".into()))
        .unwrap_or(false)
}

/// Build the Request a `fetch(input, init)` call would make.
pub fn build_request(input: &JsValue, init: &JsValue) -> Result<Request, JsValue> {
    // RequestInit is a dictionary: any object is one (checked), its members are read by the
    // Request constructor itself, which throws a TypeError for bad ones exactly as fetch does.
    let init: Option<RequestInit> = if init.is_undefined() || init.is_null() {
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
pub fn replayable(input: &JsValue, init: &JsValue) -> bool {
    let body_of = |v: &JsValue| Reflect::get(v, &"body".into()).unwrap_or(JsValue::UNDEFINED);
    let init_stream =
        !init.is_undefined() && !init.is_null() && body_of(init).is_instance_of::<web_sys::ReadableStream>();
    let used = input.dyn_ref::<Request>().is_some_and(Request::body_used);
    !init_stream && !used
}

/// Await `promise`, but reject with `aborted` as soon as `signal` aborts.
pub async fn abortable(promise: Promise, signal: Option<&AbortSignal>) -> Result<JsValue, JsValue> {
    let Some(signal) = signal else { return JsFuture::from(promise).await };
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

/// Read a JSON body, `None` when it is not JSON.
pub async fn json_body(res: &Response) -> Option<JsValue> {
    JsFuture::from(res.json().ok()?).await.ok()
}

/// `body[field]` as a string.
pub fn string_field(body: &JsValue, field: &str) -> Option<String> {
    Reflect::get(body, &field.into()).ok()?.as_string()
}

/// `body[field]` as a number.
pub fn number_field(body: &JsValue, field: &str) -> Option<f64> {
    Reflect::get(body, &field.into()).ok()?.as_f64()
}

/// A plain JS object from key/value pairs.
pub fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &(*k).into(), v);
    }
    o.into()
}
