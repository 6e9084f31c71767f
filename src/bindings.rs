//! The JS surface: `TokenManager`, `decodeJwt`, TypeScript types, error mapping.

use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::core::machine::Scope;
use crate::core::run::RefreshKind;
use crate::core::session::SessionState;
use crate::core::{token, Error, ErrorCode};
use crate::web::error;
use crate::web::events::EventKind;
use crate::web::manager::{CallKind, Inner};
use crate::web::options as web_options;
use crate::web::{env, js};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Options of `new TokenManager(options)`. Unknown keys are rejected (`invalid_options`). */
export interface TokenManagerOptions {
  /** Refresh endpoint: POST (see `refreshMethod`), `credentials: 'include'`, `refreshHeaders`, no
   *  body. A 2xx of `null`, `{}` or a `null` token means nobody is signed in (`restore()` is false).
   *  Required. */
  refreshUrl: string;
  /** "GET" for token routes read with GET (better-auth's `/api/auth/token`, token-mediating
   *  backends): no body, no `Content-Type`, `cache: 'no-store'`, `refreshHeaders` still sent.
   *  Default "POST". */
  refreshMethod?: "POST" | "GET";
  /** false: a 2xx from `loginUrl` only establishes the server session (a session cookie); the
   *  token is then read from `refreshUrl`, and `login()` resolves once it is held. The login
   *  answer's body is not read (`refresh_expires_in` comes from the token answer). Default true. */
  loginReturnsToken?: boolean;
  /** Where `loginRedirect()` navigates: a token-mediating backend's login start. */
  loginRedirectUrl?: string;
  /** The query parameter of `loginRedirectUrl` that carries the return path. Default "returnTo". */
  returnToParam?: string;
  /** After `logout()` (scope local or global) has ended the session here and at `logoutUrl`, navigate
   *  here (a backend's logout page that goes on to the provider's end-session endpoint). */
  logoutRedirectUrl?: string;
  /** Where a 2xx logout answer's JSON gives the URL to navigate to next (the provider's end-session
   *  URL; e.g. "url" for Curity's token handler). Takes precedence over `logoutRedirectUrl`. */
  logoutRedirectField?: string;
  /** Login endpoint: POST with the body given to `login()`: JSON for a plain object, form
   *  encoding for a `URLSearchParams` or `FormData`. */
  loginUrl?: string;
  /** Logout endpoint: POST, `credentials: 'include'`, `refreshHeaders`. Required with `loginUrl` or
   *  `loginRedirectUrl` (`invalid_options` without it): without a server logout the HttpOnly refresh
   *  cookie outlives `logout()` and the next `restore()` signs the user back in. `null` says the
   *  server has none: `logout()` then ends the session in this browser's tabs only. */
  logoutUrl?: string | null;
  /** Origins that receive `Authorization: Bearer …` (exact match). Default: the page origin. */
  allowedOrigins?: string[];
  /** Refresh this long before expiry (capped at half the token lifetime), with jitter. Default 60. */
  refreshMarginSeconds?: number;
  /** Where the token is in the login/refresh JSON response: a field name or a dotted path
   *  (`"data.accessToken"`). Default "access_token". */
  accessTokenField?: string;
  /** Where the lifetime in seconds is in that response (name or dotted path). Default "expires_in". */
  expiresInField?: string;
  /** Where an absolute expiry (seconds since the epoch) is in that response, used when there is
   *  no lifetime; converted with the response's `Date` header when readable. */
  expiresAtField?: string;
  /** For any other response shape: return the token and, if known, its lifetime in seconds; `null`
   *  when the answer says nobody is signed in. */
  parseTokenResponse?: (json: unknown) => { accessToken: string; expiresIn?: number; refreshExpiresIn?: number } | null;
  /** CSRF header(s) sent on refresh, login and logout: an object, or a function called for every
   *  such request (double-submit CSRF: copy a cookie's current value into a header). Default
   *  `{"X-Requested-With": "XMLHttpRequest"}`. Never `Authorization` or `Cookie`; no empty values. */
  refreshHeaders?: Record<string, string> | (() => Record<string, string | null | undefined>);
  /** One refresh at a time for all tabs of the origin (Web Locks); tokens, logout and session end
   *  are shared between tabs (BroadcastChannel). Falls back to per-tab where unsupported. Default true. */
  crossTab?: boolean;
  /** Refresh proactively on a timer and on wake-up events. Default true. With false, refreshes
   *  happen only on an expired token before a request, on a 401, and on `refresh()`. */
  autoRefresh?: boolean;
  /** Sender-constrained tokens (DPoP, RFC 9449): a non-extractable P-256 key per origin (kept in
   *  IndexedDB), a proof on login, refresh and every wrapped request; tokens the server types
   *  `DPoP` are sent as `Authorization: DPoP`. Server nonces are handled (one retry). Default false. */
  dpop?: boolean;
  /** Start `restore()` at construction, so the first snapshot already says `"restoring"` (no
   *  sign-in form flashes while the cookie is asked); its outcome is `auth.ready`. Default false. */
  restoreOnCreate?: boolean;
  /** The transport for every request the manager makes (refresh, login, logout, and the
   *  requests `auth.fetch` sends), e.g. a fetch wrapped by MSW, Sentry or OpenTelemetry.
   *  Default: the global `fetch`, captured at construction. */
  fetch?: typeof fetch;
  /** Where the refresh token's remaining lifetime in seconds (the session's end) is in the
   *  login/refresh response (name or dotted path). Default "refresh_expires_in" (Keycloak's name).
   *  With `parseTokenResponse`, return it as `refreshExpiresIn`. */
  refreshExpiresInField?: string;
  /** The query parameter that carries `logout({ scope })` to `logoutUrl`. Default "scope". */
  logoutScopeParam?: string;
  /** `sessionExpiring` fires this long before the session's end. Default 300; 0 turns it off. */
  sessionWarningSeconds?: number;
  /** Sign out after this long without activity in any tab (`pointerdown`, `keydown`, `wheel`,
   *  `touchstart`, the page becoming visible, `touch()`); `idleWarning` fires `warningSeconds` before
   *  (default: half the timeout, at most 60). Off by default. */
  idle?: { timeoutSeconds: number; warningSeconds?: number };
  /** A wrapped request answered 401/403 with a step-up challenge (RFC 9470
   *  `insufficient_user_authentication`, or `insufficient_scope`): re-authenticate (e.g.
   *  `login({ ..., acr_values })`) and resolve; the request is then replayed once. Requests that
   *  meet the same challenge meanwhile share one call. Without it, the response is returned. */
  onStepUp?: (challenge: StepUpChallenge) => Promise<void> | void;
}

/** A step-up challenge from a resource server's `WWW-Authenticate`. */
export interface StepUpChallenge {
  error: "insufficient_user_authentication" | "insufficient_scope";
  acrValues: string | null;
  maxAge: number | null;
  scope: string | null;
}

/** Options of `logout()`. */
export interface LogoutOptions {
  /** "local" (default): this browser; "others": every other session of the user (this one goes
   *  on); "global": all of them. Sent as `?scope=` (see `logoutScopeParam`). */
  scope?: "local" | "others" | "global";
}

/** Options of `loginRedirect()`. */
export interface LoginRedirectOptions {
  /** Where the backend sends the user back: a path of this page's origin. Default: the current
   *  path, query and hash. */
  returnTo?: string;
  /** Added to the login URL's query (e.g. `prompt`, `login_hint`, `acr_values`). */
  params?: Record<string, string | number | boolean>;
}

/** Options of `login()`. */
export interface LoginOptions {
  /** Aborts the login (rejects with `aborted`). */
  signal?: AbortSignal;
}

export type TokenManagerErrorCode =
  | "invalid_options" | "malformed_token" | "not_authenticated" | "session_expired"
  | "refresh_failed" | "login_failed" | "logout_failed" | "aborted" | "unsupported_environment";

/** Errors thrown or rejected by the library (a class: `err instanceof TokenManagerError`, exported
 *  by the package entry). */
export interface TokenManagerError extends Error {
  name: "TokenManagerError";
  code: TokenManagerErrorCode;
  /** HTTP status behind a `login_failed` / `refresh_failed` / `session_expired`, when there was one. */
  status?: number;
  /** `login_failed` after a non-2xx answer: the server's JSON body (e.g. `{ error: "mfa_required" }`). */
  body?: unknown;
}

/** `restoring`: a `restore()` runs in a tab that holds no token (show a loading state). */
export type SessionStateName = "anonymous" | "restoring" | "authenticated" | "loggedOut" | "sessionExpired";

/** What every snapshot carries, whatever the state. */
export interface AuthSnapshotCommon {
  /** The session's end (the refresh token's lifetime, if the server sends it), ms since the epoch, or null. */
  readonly sessionExpiresAt: number | null;
  /** With the `idle` option: when the session is signed out for inactivity, ms since the epoch, or null. */
  readonly idleDeadline: number | null;
  /** The network failed (a token request got no answer, or the browser went offline) and nothing
   *  has answered since: set until a token request or a wrapped request gets an answer. */
  readonly offline: boolean;
}

/** What `getSnapshot()` returns and `subscribe` listeners receive: frozen, and the same object
 *  until the session changes. Discriminated by `state`: only an authenticated snapshot has a
 *  token's expiry and claims. */
export type AuthSnapshot<Claims extends object = JwtClaims> =
  | (AuthSnapshotCommon & {
      readonly state: "authenticated";
      readonly isAuthenticated: true;
      /** Expiry of the held token, ms since the epoch (local clock); null when unknown (an opaque token). */
      readonly expiresAt: number | null;
      /** Decoded claims of the held JWT (untrusted hints); null for an opaque token. */
      readonly claims: Claims | null;
    })
  | (AuthSnapshotCommon & {
      readonly state: "anonymous" | "restoring" | "loggedOut" | "sessionExpired";
      readonly isAuthenticated: false;
      readonly expiresAt: null;
      readonly claims: null;
    });

export interface TokenManagerEventMap {
  /** `fromOtherTab`: the token was obtained by another tab of this origin and shared. */
  refreshed: { expiresAt: number | null; fromOtherTab?: true };
  /** `lifetime`: the session reached its end (`sessionExpiresAt`). */
  sessionExpired: { reason: "refresh_rejected" | "other_tab" | "lifetime"; fromOtherTab?: true };
  /** `serverConfirmed` is null when the logout happened in another tab. `reason` "idle": the idle timeout. */
  loggedOut: { serverConfirmed: boolean | null; reason: "logout" | "idle"; fromOtherTab?: true };
  /** Once, `sessionWarningSeconds` before the session's end. */
  sessionExpiring: { expiresAt: number; secondsLeft: number };
  /** `idle.warningSeconds` before the idle deadline (activity in any tab cancels it). */
  idleWarning: { deadline: number; secondsLeft: number };
  /** A resource server asked for a stronger authentication or more scope. */
  stepUp: StepUpChallenge;
  /** A session began: `login()` in this tab, or (`fromOtherTab`) a login, or a restore after a
   *  sign-out, in another tab of the origin. */
  loggedIn: { fromOtherTab?: true };
  /** A refresh run failed (once per run, not per request). */
  refreshFailed: { code: "refresh_failed"; message: string; status: number | null };
  stateChanged: { state: SessionStateName; isAuthenticated: boolean; expiresAt: number | null; offline: boolean };
}
export type TokenManagerEvent = keyof TokenManagerEventMap;

/** Decoded claims: untrusted hints (the signature is not checked). */
export type JwtClaims = { [name: string]: unknown; exp?: number; iat?: number; nbf?: number; sub?: string };
export interface DecodedJwt { header: { alg: string; [name: string]: unknown }; claims: JwtClaims }

/** `Claims`: the claims your tokens carry (`new TokenManager<MyClaims>(options)`): the snapshot's
 *  and the `claims` getter's type. Untrusted hints, as all decoded claims. */
export interface TokenManager<Claims extends object = JwtClaims> {
  /** Subscribe to an event; returns the unsubscribe function. */
  on<K extends TokenManagerEvent>(event: K, handler: (detail: TokenManagerEventMap[K]) => void): () => void;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "TokenManagerOptions")]
    pub type TokenManagerOptions;
    #[wasm_bindgen(typescript_type = "TokenManagerEvent")]
    pub type TokenManagerEvent;
    #[wasm_bindgen(typescript_type = "(detail: TokenManagerEventMap[TokenManagerEvent]) => void")]
    pub type EventHandler;
    #[wasm_bindgen(typescript_type = "object")]
    pub type LoginBody;
    #[wasm_bindgen(typescript_type = "LoginOptions")]
    pub type LoginOptions;
    #[wasm_bindgen(typescript_type = "LogoutOptions")]
    pub type LogoutOptions;
    #[wasm_bindgen(typescript_type = "LoginRedirectOptions")]
    pub type LoginRedirectOptions;
    #[wasm_bindgen(typescript_type = "typeof fetch")]
    pub type FetchFn;
    #[wasm_bindgen(typescript_type = "(listener: (snapshot: AuthSnapshot<Claims>) => void) => () => void")]
    pub type SubscribeFn;
    #[wasm_bindgen(typescript_type = "() => AuthSnapshot<Claims>")]
    pub type GetSnapshotFn;
    #[wasm_bindgen(typescript_type = "() => void")]
    pub type Unsubscribe;
    #[wasm_bindgen(typescript_type = "JwtClaims")]
    pub type JwtClaims;
    /// The class's `Claims` type parameter (scripts/package-json.mjs adds it to the class).
    #[wasm_bindgen(typescript_type = "Claims")]
    pub type ClaimsOf;
    #[wasm_bindgen(typescript_type = "DecodedJwt")]
    pub type DecodedJwt;
    #[wasm_bindgen(typescript_type = "Promise<void>")]
    pub type PromiseVoid;
    #[wasm_bindgen(typescript_type = "Promise<boolean>")]
    pub type PromiseBool;
    #[wasm_bindgen(typescript_type = "Promise<string | null>")]
    pub type PromiseToken;
}

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
        let options: JsValue = options.into();
        if env::base_url().is_none() {
            return Err(error::js(
                ErrorCode::UnsupportedEnvironment,
                "TokenManager needs a browser page or worker: this environment has no location (server-side rendering, a Node test runner?). Create it in the browser, e.g. in an effect or a client-only module.",
            ));
        }
        let (cfg, transport) = web_options::resolve(&options)?;
        let fetch = match transport {
            Some(f) => f,
            None => env::global_fetch().ok_or_else(|| {
                error::js(
                    ErrorCode::UnsupportedEnvironment,
                    "TokenManager needs fetch: this environment has none (pass the fetch option)",
                )
            })?,
        };
        let inner = Inner::new(cfg, fetch);
        if inner.cfg.opts.restore_on_create {
            let _ = inner.restore();
        }
        Ok(TokenManager { inner })
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
            let weak = Rc::downgrade(&self.inner);
            let on_abort = Closure::once_into_js(move || {
                if let Some(inner) = weak.upgrade() {
                    inner.input(|m, now| m.abort_call(now, call));
                }
            });
            let _ = signal.add_event_listener_with_callback("abort", on_abort.unchecked_ref());
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
        let name = JsValue::from(event).as_string().unwrap_or_default();
        let kind = EventKind::parse(&name).ok_or_else(|| {
            error::to_js(&Error::options(
                [
                    "unknown event \"",
                    &name,
                    "\": expected refreshed, sessionExpired, loggedOut, refreshFailed, stateChanged, sessionExpiring, idleWarning or stepUp",
                ]
                .concat(),
            ))
        })?;
        let f: Function = JsValue::from(handler)
            .dyn_into()
            .map_err(|_| error::js(ErrorCode::InvalidOptions, "the event handler must be a function"))?;
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
