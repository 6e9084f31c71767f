//! `fetch` for the token endpoints (`js/http.js`): one POST (refresh, login or logout) with
//! `refreshHeaders`, credentials, a DPoP proof when on, and the machine's abort signal; its
//! answer read into an `HttpOutcome`.

use std::rc::Rc;

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::AbortController;

use crate::core::clock::lifetime_from_expires_at_ms;
use crate::core::dpop::is_dpop_token_type;
use crate::core::machine::{Endpoint, HttpId, HttpOutcome, TokenAnswer, NO_SESSION};
use crate::web::js;
use crate::web::manager::{CallKind, Inner};

#[wasm_bindgen(module = "/js/http.js")]
extern "C" {
    #[wasm_bindgen(js_name = tokenPost)]
    #[allow(clippy::too_many_arguments)]
    fn token_post(
        fetch: &Function,
        url: &str,
        headers: &JsValue,
        body: &JsValue,
        signal: &JsValue,
        dpop: bool,
        fresh: bool,
        read: &JsValue,
        get: bool,
        id: u32,
        done: &JsValue,
    );
}

/// The messages a token answer can fail with (the JS reader gives their index, in this order).
const READ_ERRORS: [&str; 5] = [
    NO_SESSION,
    "the response is not JSON",
    "parseTokenResponse threw",
    "parseTokenResponse returned no accessToken string",
    "the response has no access token",
];

impl Inner {
    /// Start the POST `id`; its outcome becomes the machine's input.
    pub(crate) fn post(self: &Rc<Self>, id: HttpId, endpoint: Endpoint) {
        let headers = match self.request_headers() {
            Ok(h) => js::object(&h.iter().map(|(k, v)| (k.as_str(), JsValue::from(v.as_str()))).collect::<Vec<_>>()),
            // A failing function on logout: the request goes without them (the session has
            // ended here either way).
            Err(_) if matches!(endpoint, Endpoint::Logout(_)) => JsValue::UNDEFINED,
            Err(e) => return self.input(|m, now| m.post_done(now, id, HttpOutcome::NotSent(e))),
        };
        let logout_url;
        let (url, body, read) = match endpoint {
            Endpoint::Refresh => (&self.cfg.refresh_url, JsValue::UNDEFINED, self.cfg.read.clone()),
            Endpoint::Login(call) => {
                let body = match self.calls.borrow().get(&call).map(|c| &c.kind) {
                    Some(CallKind::Login { body }) => body.clone(),
                    _ => JsValue::UNDEFINED,
                };
                (self.cfg.login_url.as_ref().unwrap_or(&self.cfg.refresh_url), body, self.cfg.read.clone())
            }
            Endpoint::Logout(scope) => {
                // `?scope=…` (the parameter's name is `logoutScopeParam`).
                let base = self.cfg.logout_url.as_deref().unwrap_or(&self.cfg.refresh_url);
                let sep = if base.contains('?') { "&" } else { "?" };
                logout_url = [base, sep, &self.cfg.opts.logout_scope_param, "=", scope.as_str()].concat();
                (&logout_url, JsValue::UNDEFINED, self.cfg.nav.clone())
            }
        };
        let controller = AbortController::new().ok();
        let signal = controller.as_ref().map_or(JsValue::UNDEFINED, |c| c.signal().into());
        // The POST keeps the manager alive until it is answered, as a pending future would.
        self.posts.borrow_mut().insert(id, (endpoint, controller, Rc::clone(self)));
        // The logout goes without a DPoP proof: the key was deleted when the session ended
        // here (a proof would make a new one).
        let dpop = self.dpop && !matches!(endpoint, Endpoint::Logout(_));
        let fresh = matches!(endpoint, Endpoint::Login(_));
        let get = self.cfg.opts.refresh_get && endpoint == Endpoint::Refresh;
        token_post(&self.fetch, url, &headers, &body, &signal, dpop, fresh, &read, get, id.0, &self.answer_callback());
    }

    /// The POST `id` was answered (`ok`) or failed: its outcome becomes the machine's input.
    pub(crate) fn posted(self: &Rc<Self>, id: HttpId, answer: JsValue, ok: bool) {
        let Some((endpoint, _, _)) = self.posts.borrow_mut().remove(&id) else { return };
        if self.disposed.get() {
            // A POST let finish after `dispose()`: its answer is ignored, its lock let go.
            return self.input(|m, now| m.post_done(now, id, HttpOutcome::NetworkError));
        }
        let outcome = if ok { self.outcome(endpoint, &answer) } else { HttpOutcome::NetworkError };
        self.input(|m, now| m.post_done(now, id, outcome));
    }

    /// What the machine needs of an answer (and a failed login's body, kept for its error).
    fn outcome(&self, endpoint: Endpoint, a: &JsValue) -> HttpOutcome {
        let status = js::number_field(a, "status").unwrap_or(0.0) as u16;
        let now_wall = crate::web::env::wall_now();
        let retry_after_ms = js::number_field(a, "retryAfterMs").filter(|ms| ms.is_finite());
        if let Endpoint::Login(call) = endpoint {
            if let Some(c) = self.calls.borrow_mut().get_mut(&call) {
                c.answer = Reflect::get(a, &"body".into()).unwrap_or(JsValue::UNDEFINED);
            }
        }
        let token =
            match (js::number_field(a, "error"), js::string_field(a, "token").map(crate::core::secret::Secret::from)) {
                _ if matches!(endpoint, Endpoint::Logout(_)) || !(200..=299).contains(&status) => Err("no token"),
                (Some(e), _) => Err(READ_ERRORS.get(e as usize).copied().unwrap_or("the response has no access token")),
                (None, Some(token)) => {
                    let expires_in_s = js::number_field(a, "expiresIn").or_else(|| {
                        let at = js::number_field(a, "expiresAt")?;
                        let date = js::number_field(a, "dateMs").filter(|ms| ms.is_finite());
                        lifetime_from_expires_at_ms(at, date, now_wall).map(|ms| ms / 1000.0)
                    });
                    let dpop = is_dpop_token_type(js::string_field(a, "tokenType").as_deref());
                    let session_s = js::number_field(a, "sessionExpiresIn");
                    Ok(TokenAnswer { token, expires_in_s, dpop, session_s })
                }
                (None, None) => Err("the response has no access token"),
            };
        HttpOutcome::Answer { status, retry_after_ms, token }
    }
}

impl crate::web::manager::Inner {
    /// The headers for a refresh, login or logout request: the static `refreshHeaders`, or
    /// what the `refreshHeaders` function returns now (so it sees the current CSRF cookie),
    /// checked by the same rules.
    pub(crate) fn request_headers(&self) -> Result<Vec<(String, String)>, crate::core::Error> {
        let Some(f) = &self.cfg.headers_fn else { return Ok(self.cfg.opts.refresh_headers.clone()) };
        let returned = f
            .call0(&JsValue::UNDEFINED)
            .map_err(|_| crate::core::Error::options("the refreshHeaders function threw"))?;
        let returned = crate::web::options::header_pairs_js(&returned, true);
        if let Some(name) = returned.as_string() {
            return Err(crate::core::Error::options(
                [
                    "refreshHeaders: the value of \"",
                    &name,
                    "\" must be a string (empty, null or undefined leave it out)",
                ]
                .concat(),
            ));
        }
        let pairs = crate::web::options::pairs(&returned).ok_or_else(|| {
            crate::core::Error::options(
                "the refreshHeaders function must return an object mapping header names to string values",
            )
        })?;
        crate::core::options::check_headers(pairs)
    }
}
