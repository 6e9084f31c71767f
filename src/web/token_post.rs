//! `fetch` for the token endpoints: one POST (refresh, login or logout) with `refreshHeaders`,
//! credentials, a DPoP proof when on (one retry on the server's nonce challenge), the
//! machine's abort signal, and its answer read into an `HttpOutcome`.

use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Response};

use crate::core::dpop::retry_with_nonce;
use crate::core::machine::{Endpoint, HttpId, HttpOutcome, TokenAnswer};
use crate::core::policy::parse_retry_after_ms;
use crate::web::manager::{CallKind, Inner};
use crate::web::net::Body;
use crate::web::token_response;

/// A POST that takes longer is given up by the transport too (the machine's own deadline is
/// the same; this one also holds a transport that ignores the signal).
const REQUEST_TIMEOUT_MS: u32 = 15_000;

impl Inner {
    /// Start the POST `id`; its outcome becomes the machine's input.
    pub(crate) fn post(self: &Rc<Self>, id: HttpId, endpoint: Endpoint) {
        let controller = AbortController::new().ok();
        if let Some(c) = &controller {
            self.posts.borrow_mut().insert(id, c.clone());
        }
        let inner = Rc::clone(self);
        crate::web::spawn(async move {
            let signal = controller.map(|c| c.signal());
            let outcome = inner.post_once(endpoint, signal.as_ref()).await;
            inner.posts.borrow_mut().remove(&id);
            if !inner.disposed.get() {
                inner.input(|m, now| m.post_done(now, id, outcome));
            }
        });
    }

    async fn post_once(&self, endpoint: Endpoint, signal: Option<&AbortSignal>) -> HttpOutcome {
        let login_body = match endpoint {
            Endpoint::Login(call) => match self.calls.borrow().get(&call).map(|c| &c.kind) {
                Some(CallKind::Login { body }) => body.clone(),
                _ => JsValue::UNDEFINED,
            },
            _ => JsValue::UNDEFINED,
        };
        let (url, body, fresh_key) = match endpoint {
            Endpoint::Refresh => (self.cfg.refresh_url.clone(), Body::None, false),
            Endpoint::Login(_) => {
                // A FormData or URLSearchParams value is sent as is (form encoding); anything
                // else as JSON.
                let form = login_body.is_instance_of::<web_sys::FormData>()
                    || login_body.is_instance_of::<web_sys::UrlSearchParams>();
                let body = if form { Body::Form(&login_body) } else { Body::Json(&login_body) };
                (self.cfg.login_url.clone().unwrap_or_default(), body, true)
            }
            Endpoint::Logout => (self.cfg.logout_url.clone().unwrap_or_default(), Body::None, false),
        };
        let headers = match self.request_headers() {
            Ok(h) => h,
            // A failing function on logout: the request goes without them (the session has
            // ended here either way).
            Err(_) if endpoint == Endpoint::Logout => Vec::new(),
            Err(e) => return HttpOutcome::NotSent(e),
        };
        // The logout goes without a DPoP proof: the key was deleted when the session ended
        // here (a proof would make a new one).
        let sent = match endpoint {
            Endpoint::Logout => self.net.post(&url, &headers, body, Some(REQUEST_TIMEOUT_MS), signal).await,
            _ => self.token_post(&url, headers, body, signal, fresh_key).await,
        };
        let Ok(res) = sent else { return HttpOutcome::NetworkError };
        let status = res.status();
        let retry_after_ms =
            res.headers().get("retry-after").ok().flatten().and_then(|v| parse_retry_after_ms(&v, js_sys::Date::now()));
        if !(200..=299).contains(&status) {
            if let Endpoint::Login(call) = endpoint {
                // The server's JSON body is the error's `body`.
                let body = match res.json() {
                    Ok(p) => JsFuture::from(p).await.unwrap_or(JsValue::UNDEFINED),
                    Err(_) => JsValue::UNDEFINED,
                };
                if let Some(c) = self.calls.borrow_mut().get_mut(&call) {
                    c.error_body = body;
                }
            }
            return HttpOutcome::Answer { status, retry_after_ms, token: Err("no token") };
        }
        let token = match endpoint {
            Endpoint::Logout => Err("no token"),
            _ => token_response::read(&res, &self.cfg)
                .await
                .map(|t| TokenAnswer { token: t.token, expires_in_s: t.expires_in_s, dpop: t.dpop }),
        };
        HttpOutcome::Answer { status, retry_after_ms, token }
    }

    /// POST with a DPoP proof when on; once more with the server's nonce on its challenge.
    async fn token_post(
        &self,
        url: &str,
        headers: Vec<(String, String)>,
        body: Body<'_>,
        signal: Option<&AbortSignal>,
        fresh_key: bool,
    ) -> Result<Response, JsValue> {
        let timeout = Some(REQUEST_TIMEOUT_MS);
        let Some(dpop) = &self.dpop else { return self.net.post(url, &headers, body, timeout, signal).await };
        let mut fresh = fresh_key;
        let mut retried = false;
        loop {
            let mut with_proof = headers.clone();
            with_proof.push(("DPoP".to_owned(), dpop.proof("POST", url, None, fresh).await?));
            fresh = false;
            let res = self.net.post(url, &with_proof, body.again(), timeout, signal).await?;
            dpop.remember_nonce(url, &res);
            let nonce_known = dpop.nonces.borrow().get(url).is_some();
            if !retry_with_nonce(res.status() == 400, retried, nonce_known) {
                return Ok(res);
            }
            // A 400 may be anything: only `{"error":"use_dpop_nonce"}` is the challenge.
            let error = match res.clone().ok().map(|c| c.json()) {
                Some(Ok(p)) => JsFuture::from(p).await.ok().and_then(|j| crate::web::js::string_field(&j, "error")),
                _ => None,
            };
            if error.as_deref() != Some("use_dpop_nonce") {
                return Ok(res);
            }
            retried = true;
        }
    }
}
