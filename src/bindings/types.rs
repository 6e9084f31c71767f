//! The TypeScript declarations of the JS surface: the options, events, snapshots and errors
//! (a custom section of the generated `.d.ts`), and the named JS types the methods in
//! `bindings` take and return.

use wasm_bindgen::prelude::*;

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
  /** Log one line per request the manager sends (method, URL, Authorization scheme, status),
   *  per event (with its detail: state changes, refreshes, failures, sign-outs) and per timer it
   *  arms. `true` logs with `console.debug`; a function gets each line. Never a token or a
   *  cookie value. Default off. */
  debug?: boolean | ((line: string) => void);
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
