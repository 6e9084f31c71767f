// Compile-only check of the package's .d.ts (the entry apps import): the options, events and
// their details are typed, and misuse is a type error (`@ts-expect-error` fails the check if the
// error disappears).
import init, { initSync, TokenManager, TokenManagerError, decodeJwt, type TokenManagerOptions, type TokenManagerErrorCode, type AuthSnapshot, type SessionStateName, type StepUpChallenge, type LogoutOptions } from "../../../pkg/index.js";

await init();
// init() and initSync() give nothing back (no instance exports, no memory).
// @ts-expect-error
(await init()).memory;
// @ts-expect-error
initSync(new Uint8Array(0)).memory;
const options: TokenManagerOptions = { refreshUrl: "/auth/refresh", allowedOrigins: ["https://api.example.com"], refreshMarginSeconds: 30 };
const auth = new TokenManager(options);
const off: () => void = auth.on("refreshed", (d) => { const at: number | null = d.expiresAt; void at; });
auth.on("refreshFailed", (d) => {
  const status: number | null = d.status;
  const code: "refresh_failed" = d.code; // only failed runs fire it
  void status; void code;
});
// @ts-expect-error refreshFailed carries refresh_failed only, not any code
auth.on("refreshFailed", (d) => { const c: "aborted" = d.code; void c; });
auth.on("stateChanged", (d) => { const authed: boolean = d.isAuthenticated; void authed; });
// @ts-expect-error unknown event name
auth.on("refreshd", () => {});
// @ts-expect-error the refreshed detail has no `status`
auth.on("refreshed", (d) => d.status);
// @ts-expect-error refreshUrl is required
const bad: TokenManagerOptions = { loginUrl: "/x" };
// @ts-expect-error refreshMarginSeconds is a number
const bad2: TokenManagerOptions = { refreshUrl: "/r", refreshMarginSeconds: "60" };
// @ts-expect-error the injected transport must be a fetch-like function
const bad3: TokenManagerOptions = { refreshUrl: "/r", fetch: "fetch" };
const traced: TokenManagerOptions = { refreshUrl: "/r", fetch: (input, init) => fetch(input, init) };
const shapes: TokenManagerOptions = {
  refreshUrl: "/r", dpop: true, accessTokenField: "data.accessToken", expiresAtField: "session.expires_at",
  refreshHeaders: () => ({ "X-CSRF-TOKEN": "x", "X-Not-Yet": null, "X-Maybe": undefined }),
  parseTokenResponse: (json) => ({ accessToken: String((json as { t: string }).t) }),
};
// @ts-expect-error parseTokenResponse must return the token
const badParse: TokenManagerOptions = { refreshUrl: "/r", parseTokenResponse: () => ({ expiresIn: 5 }) };
void shapes; void badParse;
void bad; void bad2; void bad3; void traced;

// auth.fetch is `typeof fetch`: usable detached and wherever a fetch is expected.
const res: Response = await auth.fetch("/api/me", { method: "GET" });
const f: typeof fetch = auth.fetch;
const client = { fetch: auth.fetch };
void (await f(new Request("/x"))); void client;
// @ts-expect-error fetch takes a URL, string or Request, not a number
void auth.fetch(42);

// login(credentials: object): an interface-typed value compiles.
interface Credentials { username: string; password: string }
const creds: Credentials = { username: "u", password: "p" };
await auth.login(creds, { signal: AbortSignal.timeout(1000) });
await auth.login(new URLSearchParams({ username: "u" }));
// @ts-expect-error credentials are an object, not a string
void auth.login("u:p");
// @ts-expect-error the option is `signal`
void auth.login(creds, { timeout: 5 });

// setAccessToken(token, expiresInSeconds?)
auth.setAccessToken("opaque-token", 300);
// @ts-expect-error the lifetime is a number of seconds
auth.setAccessToken("opaque-token", "300");

const ok: boolean = await auth.restore();
const expiresAt: number | undefined = auth.expiresAt;
const header = decodeJwt("a.b.c").header.alg;
try {
  await auth.refresh();
} catch (e) {
  if (e instanceof TokenManagerError) {
    const code: TokenManagerErrorCode = e.code;
    const status: number | undefined = e.status;
    const body: unknown = e.body;
    // @ts-expect-error code is one of the documented codes, not any string
    const wrong: "timeout" = e.code;
    void code; void status; void body; void wrong;
  }
}
// The store contract: bound functions, typed snapshots.
const { subscribe, getSnapshot } = auth;
const unsubscribe: () => void = subscribe((s: AuthSnapshot) => { const st: SessionStateName = s.state; void st; });
const snap: AuthSnapshot = getSnapshot();
const exp: number | null = snap.expiresAt;
// @ts-expect-error snapshots are read-only
snap.isAuthenticated = true;
// @ts-expect-error a listener takes a snapshot, not a string
subscribe((s: string) => s);
unsubscribe(); void exp;
const unsupported: TokenManagerErrorCode = "unsupported_environment";
const logoutFailed: TokenManagerErrorCode = "logout_failed";
void logoutFailed;
void unsupported;
off();
void res; void ok; void expiresAt; void header;

// ---- The session: sign-out scopes, the session's end, idle, offline, step-up ----------------
const session: TokenManagerOptions = {
  refreshUrl: "/r", logoutUrl: "/auth/logout",
  refreshExpiresInField: "session.refresh_expires_in", logoutScopeParam: "scope", sessionWarningSeconds: 0,
  idle: { timeoutSeconds: 900, warningSeconds: 60 },
  onStepUp: async (challenge) => {
    const acr: string | null = challenge.acrValues;
    const maxAge: number | null = challenge.maxAge;
    const scope: string | null = challenge.scope;
    await auth.login({ username: "u", password: "p", acr_values: acr ?? "mfa", ...(scope ? { scope } : {}) });
    void maxAge;
  },
};
const idleNoWarning: TokenManagerOptions = { refreshUrl: "/r", idle: { timeoutSeconds: 120 } };
const syncStepUp: TokenManagerOptions = { refreshUrl: "/r", onStepUp: () => {} };
// @ts-expect-error idle.timeoutSeconds is required
const badIdle: TokenManagerOptions = { refreshUrl: "/r", idle: { warningSeconds: 30 } };
// @ts-expect-error idle is an object, not a number of seconds
const badIdle2: TokenManagerOptions = { refreshUrl: "/r", idle: 900 };
// @ts-expect-error idle.warningSeconds is a number
const badIdle3: TokenManagerOptions = { refreshUrl: "/r", idle: { timeoutSeconds: 900, warningSeconds: "60" } };
// @ts-expect-error sessionWarningSeconds is a number
const badWarning: TokenManagerOptions = { refreshUrl: "/r", sessionWarningSeconds: "300" };
// @ts-expect-error refreshExpiresInField is a string
const badField: TokenManagerOptions = { refreshUrl: "/r", refreshExpiresInField: 5 };
// @ts-expect-error logoutScopeParam is a string
const badParam: TokenManagerOptions = { refreshUrl: "/r", logoutScopeParam: true };
// @ts-expect-error onStepUp is a function
const badStepUp: TokenManagerOptions = { refreshUrl: "/r", onStepUp: "login" };
// @ts-expect-error onStepUp gets a challenge object, not a string
const badStepUp2: TokenManagerOptions = { refreshUrl: "/r", onStepUp: (c: string) => void c };
void session; void idleNoWarning; void syncStepUp; void badIdle; void badIdle2; void badIdle3;
void badWarning; void badField; void badParam; void badStepUp; void badStepUp2;

// logout({ scope }): resolves to whether the server confirmed.
const confirmed: boolean = await auth.logout();
await auth.logout({});
await auth.logout({ scope: "local" });
await auth.logout({ scope: "others" });
await auth.logout({ scope: "global" });
const scopeOption: LogoutOptions = { scope: "global" };
await auth.logout(scopeOption);
// @ts-expect-error scope is local, others or global
void auth.logout({ scope: "all" });
// @ts-expect-error scope is a string, not a boolean
void auth.logout({ scope: true });
// @ts-expect-error the option is `scope`
void auth.logout({ everywhere: true });
// @ts-expect-error logout takes an options object, not a bare scope
void auth.logout("global");
void confirmed;

// Getters and touch().
const sessionEnd: number | undefined = auth.sessionExpiresAt;
const idleAt: number | undefined = auth.idleDeadline;
const isOffline: boolean = auth.offline;
const touched: void = auth.touch();
// @ts-expect-error the getters are read-only
auth.offline = true;
// @ts-expect-error sessionExpiresAt may be undefined
const sessionEndNumber: number = auth.sessionExpiresAt;
// @ts-expect-error touch takes no arguments
auth.touch(Date.now());
void sessionEnd; void idleAt; void isOffline; void touched; void sessionEndNumber;

// Snapshot fields.
const s2: AuthSnapshot = auth.getSnapshot();
const snapEnd: number | null = s2.sessionExpiresAt;
const snapIdle: number | null = s2.idleDeadline;
const snapOffline: boolean = s2.offline;
// @ts-expect-error snapshot fields are read-only
s2.offline = false;
// @ts-expect-error idleDeadline may be null
const snapIdleNumber: number = s2.idleDeadline;
void snapEnd; void snapIdle; void snapOffline; void snapIdleNumber;

// Events.
auth.on("sessionExpiring", (d) => { const at: number = d.expiresAt; const left: number = d.secondsLeft; void at; void left; });
auth.on("idleWarning", (d) => { const at: number = d.deadline; const left: number = d.secondsLeft; void at; void left; });
auth.on("stepUp", (d) => {
  const c: StepUpChallenge = d;
  const error: "insufficient_user_authentication" | "insufficient_scope" = d.error;
  const acr: string | null = d.acrValues;
  const maxAge: number | null = d.maxAge;
  const scope: string | null = d.scope;
  void c; void error; void acr; void maxAge; void scope;
});
auth.on("sessionExpired", (d) => {
  const reason: "refresh_rejected" | "other_tab" | "lifetime" = d.reason;
  void reason;
});
auth.on("loggedOut", (d) => {
  const reason: "logout" | "idle" = d.reason;
  const server: boolean | null = d.serverConfirmed;
  void reason; void server;
});
auth.on("stateChanged", (d) => { const o: boolean = d.offline; void o; });
// @ts-expect-error sessionExpired has no reason "idle" (that is loggedOut's)
auth.on("sessionExpired", (d) => { const r: "idle" = d.reason; void r; });
// @ts-expect-error loggedOut's reason is logout or idle, not lifetime
auth.on("loggedOut", (d) => { const r: "lifetime" = d.reason; void r; });
// @ts-expect-error idleWarning carries `deadline`, not `expiresAt`
auth.on("idleWarning", (d) => d.expiresAt);
// @ts-expect-error sessionExpiring carries `expiresAt`, not `deadline`
auth.on("sessionExpiring", (d) => d.deadline);
// @ts-expect-error stepUp's error is one of the two step-up errors
auth.on("stepUp", (d) => { const e: "invalid_token" = d.error; void e; });
// @ts-expect-error maxAge may be null
auth.on("stepUp", (d) => { const n: number = d.maxAge; void n; });
// @ts-expect-error unknown event name
auth.on("sessionExpiringSoon", () => {});

// Backends that serve the token with GET, sign in by navigation, or only set a session cookie.
const betterAuth: TokenManagerOptions = {
  loginUrl: "/api/auth/sign-in/email", loginReturnsToken: false, refreshUrl: "/api/auth/token",
  refreshMethod: "GET", accessTokenField: "token", logoutUrl: "/api/auth/sign-out",
};
const mediated: TokenManagerOptions = {
  refreshUrl: "/auth/token", refreshMethod: "GET", loginRedirectUrl: "/auth/login", returnToParam: "returnUrl",
  logoutUrl: "/auth/logout", logoutRedirectField: "url", logoutRedirectUrl: "/auth/end",
  parseTokenResponse: (json) => (json ? { accessToken: String((json as { t: unknown }).t) } : null),
};
// @ts-expect-error refreshMethod is "POST" or "GET"
const badMethod: TokenManagerOptions = { refreshUrl: "/r", refreshMethod: "PUT" };
// @ts-expect-error loginReturnsToken is a boolean
const badLogin: TokenManagerOptions = { refreshUrl: "/r", loginReturnsToken: "no" };
const navigating = new TokenManager(mediated);
const away: Promise<void> = navigating.loginRedirect({ returnTo: "/orders?id=7#top", params: { prompt: "login", max_age: 0 } });
navigating.loginRedirect();
// @ts-expect-error returnTo is a path string
navigating.loginRedirect({ returnTo: new URL("https://app.example/") });
// @ts-expect-error params are strings, numbers or booleans
navigating.loginRedirect({ params: { acr_values: ["a", "b"] } });
void betterAuth; void badMethod; void badLogin; void away;

// getAccessToken(): a fresh token, or null when nobody is signed in.
const fresh: Promise<string | null> = auth.getAccessToken();
// @ts-expect-error it may resolve null
const never: Promise<string> = auth.getAccessToken();
const self: TokenManagerOptions = { refreshUrl: "/r", allowedOrigins: ["self", "https://api.example.com"] };
void fresh; void never; void self;
auth.on("loggedIn", (d) => { const other: true | undefined = d.fromOtherTab; void other; });
// The snapshot is discriminated by state: claims only when authenticated.
const narrowed = getSnapshot();
if (narrowed.state === "authenticated") { const t: true = narrowed.isAuthenticated; void t; }
else {
  const none: null = narrowed.claims;
  // @ts-expect-error not authenticated: isAuthenticated is false
  const yes: true = narrowed.isAuthenticated;
  void none; void yes;
}
// @ts-expect-error the JSON is unknown until checked
const unchecked: TokenManagerOptions = { refreshUrl: "/r", parseTokenResponse: (json) => ({ accessToken: json.t }) };
void unchecked;
// A loading state: restoreOnCreate, "restoring" and ready.
const loading = new TokenManager({ refreshUrl: "/r", restoreOnCreate: true });
const restoredOnCreate: Promise<boolean> = loading.ready;
const restoringName: SessionStateName = "restoring";
// @ts-expect-error restoreOnCreate is a boolean
const badRestore: TokenManagerOptions = { refreshUrl: "/r", restoreOnCreate: "yes" };
void restoredOnCreate; void restoringName; void badRestore;
const noServerLogout: TokenManagerOptions = { refreshUrl: "/r", loginUrl: "/l", logoutUrl: null };
void noServerLogout;
// Claims can be typed: new TokenManager<MyClaims>(...).
type MyClaims = { sub: string; tenant: string; roles: string[] };
const typed = new TokenManager<MyClaims>({ refreshUrl: "/r" });
const tsnap = typed.getSnapshot();
if (tsnap.state === "authenticated" && tsnap.claims) { const tenant: string = tsnap.claims.tenant; void tenant; }
typed.subscribe((s) => { if (s.claims) { const roles: string[] = s.claims.roles; void roles; } });
const tenantNow: string | undefined = typed.claims?.tenant;
// @ts-expect-error MyClaims has no `email`
const email = typed.claims?.email;
const untyped = new TokenManager({ refreshUrl: "/r" });
const anyClaim: unknown = untyped.claims?.whatever; // default JwtClaims: any name, unknown value
void tenantNow; void email; void anyClaim;
interface InterfaceClaims { sub: string; org: string }
const viaInterface = new TokenManager<InterfaceClaims>({ refreshUrl: "/r" });
const org: string | undefined = viaInterface.claims?.org;
void org;

// debug: true, or a function of one line.
const debugged = new TokenManager({ refreshUrl: "/r", debug: true });
const lines: string[] = [];
const collected = new TokenManager({ refreshUrl: "/r", debug: (line) => lines.push(line) });
void debugged;
void collected;
// @ts-expect-error debug is a boolean or a function of a string
const badDebug: TokenManagerOptions = { refreshUrl: "/r", debug: "verbose" };
void badDebug;
