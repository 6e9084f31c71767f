// Compatibility with better-auth (npm, pinned in compat/better-auth/package.json): a real
// better-auth server (memory adapter, email + password, the jwt() plugin with 5 s tokens) serves
// compat/better-auth/page.html, whose manager uses the better-auth recipe verbatim:
// sign-in establishes the session cookie (loginReturnsToken: false), the JWT comes from
// GET /api/auth/token (refreshMethod "GET", accessTokenField "token"), sign-out is
// POST /api/auth/sign-out. The API (/api/me) verifies the JWT against /api/auth/jwks with jose.
// Usage: E2E_BETTERAUTH=http://127.0.0.1:PORT node tests/e2e/betterauth.mjs
import { launch, test, summary, assert, assertEq, sleep, waitFor } from "./lib.mjs";

const BASE = process.env.E2E_BETTERAUTH ?? "http://127.0.0.1:18810";
const LIFETIME_S = 5; // the server's jwt({ jwt: { expirationTime: "5s" } })
const COOKIE = "better-auth.session_token";

async function server(path, method = "GET") {
  const res = await fetch(BASE + path, { method });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}
const counts = () => server("/__test/counts");
const reset = () => server("/__test/reset", "POST");

/// A new tab of `ctx` on the test page; its uncaught errors go to `errors`.
async function tab(ctx, errors) {
  const page = await ctx.newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${BASE}/`);
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: 20_000 });
  return page;
}

/// Sign in on `page` through login() (extra options for the manager).
const signIn = (page, extra = {}) => page.evaluate(async (extra) => {
  await h.use(h.make(extra)).login(h.creds);
  return h.auth.isAuthenticated;
}, extra);

/// restore() on `page` in a new manager.
const restore = (page, extra = {}) => page.evaluate(async (extra) => h.use(h.make(extra)).restore(), extra);

/// Loop requests to /api/me on `pages` every 250 ms for `ms`; the statuses and errors per page,
/// and the server's token requests over the measured window (`seconds`).
async function loops(pages, ms) {
  await reset();
  const t0 = Date.now();
  for (const p of pages) await p.evaluate(() => h.loop(250));
  await sleep(ms);
  const seen = [];
  for (const p of pages) seen.push(await p.evaluate(async () => { await h.stop(); return { statuses: h.statuses, errors: h.errors }; }));
  const c = await counts();
  return { seen, c, seconds: (Date.now() - t0) / 1000 };
}

const isJwt = (t) => typeof t === "string" && t.split(".").length === 3 && t.split(".").every((p) => /^[A-Za-z0-9_-]+$/.test(p));
const claims = (t) => JSON.parse(Buffer.from(t.split(".")[1], "base64url").toString());

await test("sign-in: login() with loginReturnsToken false holds the JWT from /api/auth/token, not the session token", async () => {
  const errors = [];
  const ctx = await launch();
  const page = await tab(ctx, errors);
  await reset();
  // A wrong password first: login() rejects with login_failed and better-auth's status.
  const wrong = await page.evaluate(async () => {
    try { await h.make().login({ ...h.creds, password: "not-the-password" }); return "resolved"; }
    catch (e) { return [e.code, e.status]; }
  });
  assertEq(wrong, ["login_failed", 401], "a wrong password");
  assertEq(await signIn(page), true, "signed in when login() resolves");
  const r = await page.evaluate(async () => {
    const token = h.auth.accessToken;
    const res = await h.auth.fetch("/api/me");
    const signInBody = h.sent.find((x) => x.path === "/api/auth/sign-in/email" && x.status === 200)?.json;
    return { token, status: res.status, me: await res.json(), signInBody, sent: h.sent.map(({ json, ...x }) => x) };
  });
  assertEq(r.status, 200, "/api/me with the manager's token");
  assertEq(r.me, { sub: r.signInBody.user.id, email: "demo@example.com" }, "/api/me answers the seeded user");
  assert(isJwt(r.token), `the manager holds a JWT: ${r.token}`);
  assert(typeof r.signInBody.token === "string" && !isJwt(r.signInBody.token) && r.token !== r.signInBody.token,
    `not the sign-in body's opaque session token (${r.signInBody.token})`);
  const c = claims(r.token);
  assertEq([c.sub, c.iss, c.aud, c.exp - c.iat], [r.signInBody.user.id, BASE, BASE, LIFETIME_S], "the JWT's claims");
  // What the manager sent: JSON sign-in (no token expected in its answer), then GET the token.
  const flow = r.sent.filter((x) => x.status === 200).map((x) => [x.method, x.path, x.bearer]);
  assertEq(flow, [["POST", "/api/auth/sign-in/email", false], ["GET", "/api/auth/token", false], ["GET", "/api/me", true]], "requests");
  const get = r.sent.find((x) => x.path === "/api/auth/token");
  assertEq([get.hasBody, get.credentials, get.cache, get.headers["x-requested-with"]], [false, "include", "no-store", "XMLHttpRequest"],
    "the token request: no body, credentials, no-store, the CSRF header");
  const n = await counts();
  assertEq([n.signIn, n.token, n.meUnauthorized], [2, 1, 0], "server: two sign-ins (one refused), one token request, no 401");
  assertEq(errors, [], "page errors");
});

await test(`three token lifetimes (${LIFETIME_S} s tokens, 16 s of requests every 250 ms): only 200s, proactive refreshes, no 401 at the API`, async () => {
  const errors = [];
  const ctx = await launch();
  const page = await tab(ctx, errors);
  await signIn(page);
  // Each refresh's time against the expiry of the token it replaced (proactive: before it).
  await page.evaluate(() => {
    const exp = (t) => JSON.parse(atob(t.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).exp * 1000;
    h.renewals = [];
    let prev = h.auth.accessToken;
    h.auth.on("refreshed", () => { h.renewals.push({ at: Date.now(), prevExp: exp(prev), changed: h.auth.accessToken !== prev }); prev = h.auth.accessToken; });
  });
  const { seen: [s], c, seconds } = await loops([page], 16_000);
  // Every token request of the window has its `refreshed` (none in flight when compared).
  let renewals = [];
  await waitFor(async () => {
    const n = await counts();
    renewals = await page.evaluate(() => h.renewals);
    return renewals.length >= n.token;
  }, { timeout: 5_000, interval: 50, soft: true });
  const bad = s.statuses.filter((x) => x !== 200);
  assert(s.statuses.length >= 40 && bad.length === 0 && s.errors.length === 0,
    `${s.statuses.length} requests; non-200: ${JSON.stringify(bad)}; errors: ${JSON.stringify(s.errors)}`);
  assertEq(c.meUnauthorized, 0, "401s from /api/me (a reactive refresh would show here)");
  assert(c.token >= Math.floor(seconds / LIFETIME_S) && renewals.length >= 3, `refreshed over ${seconds.toFixed(1)} s: ${c.token} token requests, ${renewals.length} refreshed`);
  // Proactive: the timer renews at the margin (the default 60 s is capped at half the lifetime:
  // 2.5-3 s before expiry by the client's clock, at least 1.5 s by the JWT's whole-second `exp`);
  // a renewal on demand, before a request, would come less than 1 s before expiry.
  const late = renewals.filter((x) => !x.changed || x.prevExp - x.at < 1_000);
  assertEq(late, [], "renewals less than 1 s before the old token's expiry, or without a new token");
  console.log(`    ${s.statuses.length} requests in ${seconds.toFixed(1)} s, all 200; ${c.token} token requests (one tab, default margin: ` +
    `${(c.token / (seconds / LIFETIME_S)).toFixed(2)} per lifetime; earliest ${Math.min(...renewals.map((x) => x.prevExp - x.at))} ms, ` +
    `latest ${Math.max(...renewals.map((x) => x.prevExp - x.at))} ms before expiry)`);
  assertEq(errors, [], "page errors");
});

await test("restore() in a new tab resolves true from the session cookie; its fetch is 200", async () => {
  const errors = [];
  const ctx = await launch();
  const first = await tab(ctx, errors);
  await signIn(first);
  await reset();
  const second = await tab(ctx, errors);
  const r = await second.evaluate(async () => {
    const restored = await h.use(h.make()).restore();
    const res = await h.auth.fetch("/api/me");
    return { restored, status: res.status, me: await res.json(), authed: h.auth.isAuthenticated };
  });
  assertEq(r, { restored: true, status: 200, me: r.me, authed: true }, "restore() in the new tab");
  assertEq(r.me.email, "demo@example.com", "the restored tab's user");
  const c = await counts();
  assertEq([c.signIn, c.meUnauthorized], [0, 0], "no sign-in, no 401");
  assertEq(errors, [], "page errors");
});

await test("two tabs over three lifetimes: about one token request per lifetime for both", async () => {
  const errors = [];
  const ctx = await launch();
  const pages = [await tab(ctx, errors), await tab(ctx, errors)];
  // A 1.5 s margin: one tab refreshes 3.2–3.5 s after receipt (5 s - 1.5 s - up to 20 % of it).
  // (The default 60 s margin is capped at half a 5 s lifetime: two refreshes per lifetime.)
  const margin = { refreshMarginSeconds: 1.5 };
  await signIn(pages[0], margin);
  assertEq(await restore(pages[1], margin), true, "the second tab restored");
  const { seen, c, seconds } = await loops(pages, 15_000);
  for (const [i, s] of seen.entries()) {
    const bad = s.statuses.filter((x) => x !== 200);
    assert(s.statuses.length >= 30 && bad.length === 0 && s.errors.length === 0,
      `tab ${i + 1}: ${s.statuses.length} requests; non-200: ${JSON.stringify(bad)}; errors: ${JSON.stringify(s.errors)}`);
  }
  assertEq(c.meUnauthorized, 0, "401s from /api/me");
  // One tab alone makes at most floor(seconds / 3.2) + 1; two tabs refreshing on their own
  // would make twice that.
  const lifetimes = seconds / LIFETIME_S;
  const max = Math.floor(seconds / 3.2) + 1;
  console.log(`    two tabs, ${seconds.toFixed(1)} s (${lifetimes.toFixed(1)} lifetimes): ${c.token} token requests = ` +
    `${(c.token / lifetimes).toFixed(2)} per lifetime (one tab's maximum here: ${max})`);
  assert(c.token >= 2 && c.token <= max, `token requests for both tabs: ${c.token} in ${seconds.toFixed(1)} s (at most ${max})`);
  assertEq(errors, [], "page errors");
});

await test("logout() in one tab ends every tab; the old session cookie no longer yields a token", async () => {
  const errors = [];
  const ctx = await launch();
  const [first, second] = [await tab(ctx, errors), await tab(ctx, errors)];
  await signIn(first);
  assertEq(await restore(second), true, "the second tab restored");
  const cookie = (await ctx.cookies(BASE)).find((x) => x.name === COOKIE);
  assert(cookie?.httpOnly, `the session cookie is HttpOnly: ${JSON.stringify(cookie)}`);
  const replay = () => fetch(`${BASE}/api/auth/token`, { headers: { cookie: `${cookie.name}=${cookie.value}` } })
    .then(async (r) => ({ status: r.status, token: (await r.json().catch(() => null))?.token ?? null }));
  const before = await replay();
  assert(before.status === 200 && isJwt(before.token), `the cookie replayed before logout gives a token: ${JSON.stringify(before)}`);
  await reset();
  const out = await second.evaluate(async () => {
    const confirmed = await h.auth.logout();
    const sent = h.sent.filter((x) => x.path.startsWith("/api/auth/sign-out")).map(({ json, ...x }) => x);
    return { confirmed, sent, state: h.auth.getSnapshot().state };
  });
  assertEq([out.confirmed, out.state], [true, "loggedOut"], "logout() confirmed by better-auth");
  assertEq(out.sent.map((x) => [x.method, x.path, x.hasBody, x.credentials, x.headers["x-requested-with"], x.status]),
    [["POST", "/api/auth/sign-out?scope=local", false, "include", "XMLHttpRequest", 200]], "the sign-out request");
  await first.waitForFunction(() => !h.auth.isAuthenticated, null, { timeout: 5_000 });
  const other = await first.evaluate(async () => ({
    events: h.events.filter((e) => e[0] === "loggedOut"), state: h.auth.getSnapshot().state, token: h.auth.accessToken ?? null,
    me: (await h.auth.fetch("/api/me")).status,
    again: await h.make().restore(),
  }));
  assertEq(other, { events: [["loggedOut", "logout", true]], state: "loggedOut", token: null, me: 401, again: false },
    "the other tab: loggedOut, no token, its request unauthenticated, no session to restore");
  const after = await replay();
  assert(after.status === 401 || (after.status < 300 && !after.token), `the old cookie replayed after logout: ${JSON.stringify(after)}`);
  console.log(`    the old session cookie replayed: ${before.status} with a JWT before logout, ${after.status} after`);
  const c = await counts();
  assertEq(c.signOut, 1, "one sign-out at the server");
  // No logoutRedirectUrl: both tabs stay on their page.
  assertEq([first.url(), second.url()], [`${BASE}/`, `${BASE}/`], "the tabs' URLs after logout()");
  assertEq(errors, [], "page errors");
});

await test("restore() with no session (a fresh browser profile) resolves false, no page error", async () => {
  const errors = [];
  const ctx = await launch();
  const page = await tab(ctx, errors);
  await reset();
  const r = await page.evaluate(async () => {
    const restored = await h.use(h.make()).restore();
    return { restored, state: h.auth.getSnapshot().state, authed: h.auth.isAuthenticated, events: h.events,
      sent: h.sent.map((x) => [x.method, x.path, x.status]) };
  });
  assertEq([r.restored, r.authed, r.sent], [false, false, [["GET", "/api/auth/token", 401]]], "restore() with no session");
  console.log(`    state ${r.state}, events ${JSON.stringify(r.events)}`);
  await sleep(300); // a late rejection would surface as a page error
  assertEq(errors, [], "page errors");
});

summary("betterauth");
