//! Starting and ending a session: `login()`, `logout()`, `setAccessToken()`. Login and logout
//! go to the server under the same ordering as refreshes (`Inner::exclusive`).

use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use crate::core::session::{EndReason, TokenSource};
use crate::core::{Error, ErrorCode};
use crate::web::error;
use crate::web::events::{self, LoggedOutDetail};
use crate::web::manager::Inner;
use crate::web::net::Body;
use crate::web::refresh::REQUEST_TIMEOUT_MS;
use crate::web::token_response;

impl Inner {
    /// POST the credentials; adopt the token (a new session epoch, shared with the other tabs).
    /// `signal` (the caller's) aborts the login with `aborted`; after 15 s it fails with
    /// `login_failed`. A non-2xx answer's JSON body is the error's `body`.
    pub async fn login(self: &Rc<Self>, body: JsValue, signal: Option<AbortSignal>) -> Result<(), JsValue> {
        let Some(url) = self.cfg.login_url.clone() else {
            return Err(error::js(ErrorCode::InvalidOptions, "loginUrl is not configured"));
        };
        let aborted = |msg| error::js(ErrorCode::Aborted, msg);
        if signal.as_ref().is_some_and(AbortSignal::aborted) {
            return Err(aborted("login aborted by its signal"));
        }
        // An end (logout, here or in another tab) after this call supersedes the login; a
        // newer token from another tab does not (this login's epoch outranks it).
        let ends = self.session.borrow().ends();
        let overtaken = |inner: &Self| inner.disposed.get() || inner.session.borrow().ends() != ends;
        let failed = |msg: &'static str, status| error::with_status(&Error::new(ErrorCode::LoginFailed, msg), status);
        let exclusive = self.exclusive().await;
        if overtaken(self) {
            return Err(aborted("the session ended (logout or disposal) before the login was sent"));
        }
        let headers = self.request_headers().map_err(|e| error::to_js(&e))?;
        // A FormData or URLSearchParams value is sent as is (form encoding); anything else as JSON.
        let form = body.is_instance_of::<web_sys::FormData>() || body.is_instance_of::<web_sys::UrlSearchParams>();
        let payload = if form { Body::Form(&body) } else { Body::Json(&body) };
        let sent = self.token_post(&url, headers, payload, signal.as_ref(), true).await;
        let res = match sent {
            Ok(res) => res,
            Err(_) if signal.as_ref().is_some_and(AbortSignal::aborted) => {
                return Err(aborted("login aborted by its signal"))
            }
            Err(_) if self.disposed.get() => return Err(aborted("the manager was disposed during login")),
            Err(_) => return Err(failed("network error or timeout during login", None)),
        };
        let status = res.status();
        if !res.ok() {
            let body = match res.json() {
                Ok(p) => JsFuture::from(p).await.unwrap_or(JsValue::UNDEFINED),
                Err(_) => JsValue::UNDEFINED,
            };
            let e = Error::new(ErrorCode::LoginFailed, "login was rejected");
            return Err(error::with_body(&e, Some(status), body));
        }
        let t = token_response::read(&res, &self.cfg).await.map_err(|m| failed(m, Some(status)))?;
        if overtaken(self) {
            return Err(aborted("the session ended (logout or disposal) during login"));
        }
        self.adopt(t.token, t.expires_in_s, TokenSource::Login, t.dpop).map_err(|e| error::to_js(&e))?;
        drop(exclusive); // the token was shared while the lock was held
        self.emit_state();
        Ok(())
    }

    pub fn set_access_token(self: &Rc<Self>, token: String, expires_in_s: Option<f64>) -> Result<(), JsValue> {
        if expires_in_s.is_some_and(|e| !e.is_finite() || e < 0.0) {
            return Err(error::js(ErrorCode::InvalidOptions, "expiresInSeconds must be a finite number >= 0"));
        }
        self.adopt(token, expires_in_s, TokenSource::Caller, false).map_err(|e| error::to_js(&e))?;
        self.emit_state();
        Ok(())
    }

    /// Ends the session here and in the other tabs at once (nothing can use the token while
    /// the server is being told), then, in its turn and under the lock, ends again whatever
    /// session arrived meanwhile (a login elsewhere: the cookie the POST revokes is the newest
    /// one) and tells the server. Resolves to whether the server confirmed (a network failure
    /// still logs out locally).
    pub async fn logout(self: &Rc<Self>) -> bool {
        let mut changed = self.end_locally(EndReason::LoggedOut, true);
        let confirmed = match self.cfg.logout_url.clone() {
            Some(url) => {
                let exclusive = self.exclusive().await;
                changed |= self.end_locally(EndReason::LoggedOut, true);
                // A failing refreshHeaders function: the request goes without them (the server
                // decides; the session has ended here either way).
                let headers = self.request_headers().unwrap_or_default();
                let sent = self.net.post(&url, &headers, Body::None, Some(REQUEST_TIMEOUT_MS), None).await;
                drop(exclusive);
                sent.is_ok_and(|r| r.ok())
            }
            None => false,
        };
        let detail = LoggedOutDetail { server_confirmed: Some(confirmed), from_other_tab: false };
        self.announce_end(EndReason::LoggedOut, changed, &events::to_js(&detail));
        confirmed
    }
}
