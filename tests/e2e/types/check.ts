// Compile-only check of the package's .d.ts (the entry apps import): the options, events and
// their details are typed, and misuse is a type error (`@ts-expect-error` fails the check if the
// error disappears).
import init, { initSync, TokenManager, TokenManagerError, decodeJwt, type TokenManagerOptions, type TokenManagerErrorCode, type AuthSnapshot, type SessionStateName } from "../../../pkg/index.js";

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
  refreshHeaders: () => ({ "X-CSRF-TOKEN": "x" }), parseTokenResponse: (json) => ({ accessToken: String(json.t) }),
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
void unsupported;
off();
void res; void ok; void expiresAt; void header;
