// better-auth compatibility on Firefox ESR (geckodriver) and WebKitGTK (WebKitWebDriver +
// MiniBrowser, under Xvfb), through W3C WebDriver (./webdriver.mjs): the scenario of
// betterauth.mjs against the same server (compat/better-auth/server.mjs, 5 s tokens) and page
// (the better-auth recipe verbatim): sign-in, three token lifetimes of requests with no non-200,
// restore() after a fresh page load, logout after which restore() is false.
// Usage: E2E_BETTERAUTH=http://127.0.0.1:PORT node tests/e2e/betterauth-engines.mjs firefox|webkit
import { assert, assertEq } from "./lib.mjs";
import { suite } from "./webdriver.mjs";

const BASE = process.env.E2E_BETTERAUTH ?? "http://127.0.0.1:18810";
const engine = process.argv[2];
const port = Number(process.env.DRIVER_PORT ?? 18802 + (engine === "webkit" ? 1 : 0));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function server(path, method = "GET") {
  const res = await fetch(BASE + path, { method });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

const { session, test, done } = await suite(engine, port);

/// The window is still on the test page (nothing navigated away: there is no logoutRedirectUrl)
/// and the page caught no uncaught error so far (it collects them itself).
async function noPageErrors() {
  const r = await session.run(async () => ({ href: location.href, errors: typeof h === "undefined" ? "no test page" : h.pageErrors }));
  assertEq(r, { href: `${BASE}/`, errors: [] }, "still on the test page, no page errors");
}

/// Load the test page in the current window (a fresh page load) and wait for it.
async function page() {
  await session.goto(`${BASE}/`);
  await session.waitFor(() => document.body.dataset.ready === "1", 20_000, "the better-auth test page");
}

const isJwt = (t) => typeof t === "string" && t.split(".").length === 3;

try {
  await test("sign-in through login() (loginReturnsToken false): the JWT from /api/auth/token, /api/me 200", async () => {
    await page();
    await server("/__test/reset", "POST");
    const r = await session.run(async () => {
      await h.use(h.make()).login(h.creds);
      const token = h.auth.accessToken;
      const res = await h.auth.fetch("/api/me");
      const body = h.sent.find((x) => x.path === "/api/auth/sign-in/email")?.json;
      return { authed: h.auth.isAuthenticated, token, opaque: body?.token, status: res.status, email: (await res.json()).email };
    });
    assert(isJwt(r.token) && r.token !== r.opaque, `a JWT, not the sign-in body's session token: ${r.token} / ${r.opaque}`);
    assertEq([r.authed, r.status, r.email], [true, 200, "demo@example.com"], "signed in, /api/me");
    const c = await server("/__test/counts");
    assertEq([c.signIn, c.token], [1, 1], "server: one sign-in, one token request");
    await noPageErrors();
  });

  await test("three token lifetimes (16 s of requests every 250 ms over 5 s tokens): only 200s, no 401 at the API", async () => {
    await server("/__test/reset", "POST");
    const started = Date.now();
    await session.run(async () => { h.loop(250); });
    await sleep(16_000);
    const s = await session.run(async () => { await h.stop(); return { statuses: h.statuses, errors: h.errors, authed: h.auth.isAuthenticated }; });
    const c = await server("/__test/counts");
    const seconds = (Date.now() - started) / 1000;
    const bad = s.statuses.filter((x) => x !== 200);
    assert(s.statuses.length >= 30 && bad.length === 0 && s.errors.length === 0,
      `${s.statuses.length} requests; non-200: ${JSON.stringify(bad)}; errors: ${JSON.stringify(s.errors)}`);
    assertEq([c.meUnauthorized, s.authed], [0, true], "no 401 from /api/me, still signed in");
    assert(c.token >= 3, `refreshed: ${c.token} token requests in ${seconds.toFixed(1)} s`);
    console.log(`    ${s.statuses.length} requests in ${seconds.toFixed(1)} s, all 200; ${c.token} token requests`);
    await noPageErrors();
  });

  await test("restore() after a fresh page load resolves true; its fetch is 200", async () => {
    await page();
    const r = await session.run(async () => {
      const restored = await h.use(h.make()).restore();
      return { restored, status: (await h.auth.fetch("/api/me")).status };
    });
    assertEq(r, { restored: true, status: 200 }, "restore()");
    await noPageErrors();
  });

  await test("logout() is confirmed; afterwards restore() is false, also after a page load", async () => {
    await server("/__test/reset", "POST");
    const r = await session.run(async () => {
      const confirmed = await h.auth.logout();
      const again = await h.make().restore();
      return { confirmed, state: h.auth.getSnapshot().state, again };
    });
    assertEq(r, { confirmed: true, state: "loggedOut", again: false }, "logout");
    await noPageErrors();
    await page();
    assertEq(await session.run(async () => h.use(h.make()).restore()), false, "restore() after a page load");
    const c = await server("/__test/counts");
    assertEq([c.signOut, c.token], [1, 2], "server: one sign-out, two token requests refused");
    await sleep(300); // a late rejection
    await noPageErrors();
  });
} finally {
  await done("betterauth-engines");
}
