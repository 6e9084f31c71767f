//! The JS surface: `TokenManager` and `decodeJwt`, their error mapping; their TypeScript
//! declarations are `types`.

use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::core::machine::Scope;
use crate::core::run::RefreshKind;
use crate::core::session::SessionState;
use crate::core::{token, ErrorCode};
use crate::web::error;
use crate::web::js;
use crate::web::manager::{CallKind, Inner};
use crate::web::options as web_options;

mod types;

use types::*;

/// JWT access-token manager: token in memory, silent refresh from an HttpOnly cookie, fetch
/// wrapper.
#[wasm_bindgen]
pub struct TokenManager {
    inner: Rc<Inner>,
}

fn json_to_js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap_or(JsValue::UNDEFINED)
}

#[wasm_bindgen]
impl TokenManager {
    /// Create a manager. Throws `invalid_options` on bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(options: TokenManagerOptions) -> Result<TokenManager, JsValue> {
        Ok(TokenManager { inner: Inner::create(&options.into())? })
    }

    /// POST the credentials to `loginUrl` (after any refresh in flight, under the cross-tab
    /// lock); resolves when the access token is held. Rejects with `invalid_options` (no
    /// `loginUrl`), `login_failed`, `malformed_token` or `aborted` (a logout or `dispose()`
    /// meanwhile).
    pub fn login(&self, credentials: LoginBody, options: Option<LoginOptions>) -> PromiseVoid {
        let body: JsValue = credentials.into();
        let signal = options
            .and_then(|o| js_sys::Reflect::get(&o, &"signal".into()).ok())
            .and_then(|s| s.dyn_into::<web_sys::AbortSignal>().ok());
        if signal.as_ref().is_some_and(web_sys::AbortSignal::aborted) {
            return js_sys::Promise::reject(&error::js(ErrorCode::Aborted, "login aborted by its signal"))
                .unchecked_into();
        }
        let (promise, call) = self.inner.call(CallKind::Login { body }, |m, now| m.login(now));
        if let Some(signal) = signal {
            crate::web::fetch::on_abort(&signal, call.0, &self.inner.answer_callback(), 13);
        }
        promise.unchecked_into()
    }

    /// Silent refresh from the cookie (page load): `true` when a session was restored,
    /// `false` when there is none. Rejects with `refresh_failed` when the server cannot tell,
    /// `aborted` when a logout or `dispose()` overtook it.
    pub fn restore(&self) -> PromiseBool {
        self.inner.restore().unchecked_into()
    }

    /// A token that is neither expired nor inside its refresh margin, refreshing first when
    /// needed (joining a refresh under way in this tab or another); `null` when nobody is
    /// signed in (or the refresh found the session over). Rejects like `refresh()` otherwise
    /// (`refresh_failed`, `aborted`). For a WebSocket or `EventSource` URL, a GraphQL client,
    /// a third-party SDK.
    #[wasm_bindgen(js_name = getAccessToken)]
    pub fn get_access_token(&self) -> PromiseToken {
        self.inner.call(CallKind::Token, |m, now| m.get_access_token(now)).0.unchecked_into()
    }

    /// The outcome of the first `restore()` (the one `restoreOnCreate` starts at construction):
    /// `true` when a session was restored, `false` when there is none; rejects as `restore()`.
    #[wasm_bindgen(getter)]
    pub fn ready(&self) -> PromiseBool {
        self.inner.ready().unchecked_into()
    }

    /// Use a token obtained some other way.
    #[wasm_bindgen(js_name = setAccessToken)]
    #[allow(non_snake_case)]
    pub fn set_access_token(&self, token: String, expiresInSeconds: Option<f64>) -> Result<(), JsValue> {
        self.inner.input(|m, now| m.set_access_token(now, token.into(), expiresInSeconds)).map_err(|e| error::to_js(&e))
    }

    /// Refresh now (joins a refresh already in flight). Rejects with `not_authenticated`
    /// (the session ended), `session_expired`, `refresh_failed` or `aborted`.
    pub fn refresh(&self) -> PromiseVoid {
        self.inner.call(CallKind::Refresh, |m, now| m.refresh(now, RefreshKind::Explicit)).0.unchecked_into()
    }

    /// Drop-in `fetch`, bound to this manager (it works detached: `const f = auth.fetch`,
    /// `{ fetch: auth.fetch }`): Bearer token for allowed origins, a refresh first when the
    /// token is dead, one retry after a 401.
    #[wasm_bindgen(getter)]
    pub fn fetch(&self) -> FetchFn {
        self.inner.bound_fetch().unchecked_into()
    }

    /// `scope` "local" (default) or "global": end the session here and in the other tabs at
    /// once, then on the server (after any refresh in flight; "global" asks it to end every
    /// session of the user); resolves to whether the server confirmed, never rejects.
    /// "others": the server ends the user's other sessions, this one goes on; rejects with
    /// `logout_failed` unless the server confirmed.
    pub fn logout(&self, options: Option<LogoutOptions>) -> PromiseBool {
        let scope = match web_options::logout_scope(&options.map_or(JsValue::UNDEFINED, Into::into)) {
            Ok(1) => Scope::Others,
            Ok(2) => Scope::Global,
            Ok(_) => Scope::Local,
            Err(e) => return js_sys::Promise::reject(&e).unchecked_into(),
        };
        let leaves = scope != Scope::Others;
        self.inner.call(CallKind::Logout { leaves }, |m, now| m.logout(now, scope)).0.unchecked_into()
    }

    /// Sign in by navigation (a token-mediating backend): `location.assign(loginRedirectUrl)`
    /// with the return path (default: the current path, query and hash; else `returnTo`, which
    /// must be a path of this origin) in the `returnToParam` query parameter and `params` added.
    /// Back on the page, `restore()` gets the token. Rejects with `invalid_options` (no
    /// `loginRedirectUrl`, a foreign `returnTo`) and navigates nowhere then.
    #[wasm_bindgen(js_name = loginRedirect)]
    pub fn login_redirect(&self, options: Option<LoginRedirectOptions>) -> PromiseVoid {
        let options = options.map_or(JsValue::UNDEFINED, Into::into);
        crate::web::navigate::login_redirect(&self.inner.cfg.nav, &options).unchecked_into()
    }

    /// Count as the user's activity for the idle timeout (`idle` option): for workers, and for
    /// apps that define activity themselves. Shared with the other tabs.
    pub fn touch(&self) {
        self.inner.input(|m, now| m.activity(now));
    }

    /// The session's end (the refresh token's lifetime, from the server's
    /// `refresh_expires_in`), ms since the epoch; `undefined` when unknown.
    #[wasm_bindgen(getter, js_name = sessionExpiresAt)]
    pub fn session_expires_at(&self) -> Option<f64> {
        self.inner.machine.borrow().session_expires_at()
    }

    /// With the `idle` option: when the session is signed out for inactivity, ms since the
    /// epoch; `undefined` without a session.
    #[wasm_bindgen(getter, js_name = idleDeadline)]
    pub fn idle_deadline(&self) -> Option<f64> {
        self.inner.machine.borrow().idle_deadline()
    }

    /// The network failed (a token request got no answer, or the browser went offline) and
    /// nothing has answered since.
    #[wasm_bindgen(getter)]
    pub fn offline(&self) -> bool {
        self.inner.machine.borrow().offline()
    }

    /// A token is held (it may be being renewed).
    #[wasm_bindgen(getter, js_name = isAuthenticated)]
    pub fn is_authenticated(&self) -> bool {
        self.inner.state() == SessionState::Authenticated
    }

    /// Expiry of the held token, ms since the epoch on the local clock.
    #[wasm_bindgen(getter, js_name = expiresAt)]
    pub fn expires_at(&self) -> Option<f64> {
        self.inner.expires_at()
    }

    /// When the next proactive refresh is due, ms since the epoch (local clock); `undefined`
    /// when none is scheduled (no token, unknown expiry, `autoRefresh: false`).
    #[wasm_bindgen(getter, js_name = refreshAt)]
    pub fn refresh_at(&self) -> Option<f64> {
        self.inner.refresh_at()
    }

    /// The held access token (for WebSocket auth etc.).
    #[wasm_bindgen(getter, js_name = accessToken)]
    pub fn access_token(&self) -> Option<js_sys::JsString> {
        self.inner.access_token()
    }

    /// Decoded claims of the held token (untrusted hints), or `undefined`.
    #[wasm_bindgen(getter)]
    pub fn claims(&self) -> Option<ClaimsOf> {
        self.inner.claims_json().map(|j| json_to_js(&j).unchecked_into())
    }

    /// Subscribe to an event; returns the unsubscribe function. (Typed generically in the
    /// custom TypeScript section above.)
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: TokenManagerEvent, handler: EventHandler) -> Result<Unsubscribe, JsValue> {
        let handler = JsValue::from(handler);
        let kind = crate::web::events::event_kind(&event.into(), &handler)?;
        let f: Function = handler.unchecked_into();
        let id = self.inner.events.subscribe(kind, f);
        let weak = Rc::downgrade(&self.inner);
        Ok(js::unsubscriber(Box::new(move || {
            if let Some(inner) = weak.upgrade() {
                inner.events.unsubscribe(id);
            }
        }))
        .unchecked_into())
    }

    /// The store contract: `subscribe(listener)` calls `listener(snapshot)` at once and on
    /// every change; returns the unsubscribe function. Bound: works detached (Svelte store,
    /// `useSyncExternalStore(auth.subscribe, auth.getSnapshot)`).
    #[wasm_bindgen(getter)]
    pub fn subscribe(&self) -> SubscribeFn {
        self.inner.bound_store().0.unchecked_into()
    }

    /// The current snapshot `{ state, isAuthenticated, expiresAt, claims, sessionExpiresAt,
    /// idleDeadline, offline }`: frozen, and the same object until it changes. Bound: works
    /// detached.
    #[wasm_bindgen(getter, js_name = getSnapshot)]
    pub fn get_snapshot(&self) -> GetSnapshotFn {
        self.inner.bound_store().1.unchecked_into()
    }

    /// Stop timers and listeners, forget the token, and free the manager.
    pub fn dispose(self) {
        self.inner.dispose();
    }
}

/// Decode a JWT without checking its signature. Throws `malformed_token`.
#[wasm_bindgen(js_name = decodeJwt)]
pub fn decode_jwt(token: String) -> Result<DecodedJwt, JsValue> {
    // Owned, so its bytes are zeroed when it is dropped (`core::secret`): an app may pass the
    // access token itself.
    let token = crate::core::secret::Secret::from(token);
    let token = token.as_str();
    token::decode(token).map_err(|e| error::to_js(&e))?;
    let json = token::json_segments(token)
        .ok_or_else(|| error::js(ErrorCode::MalformedToken, "token is not valid base64url JSON"))?;
    Ok(js::object(&[("header", json_to_js(&json.header)), ("claims", json_to_js(&json.payload))]).unchecked_into())
}
