// `auth.fetch` as a drop-in `fetch` (issue: drop-in fetch and an API that fits front-end code).
// Real pages (www/dropin.html, importing the package entry /pkg/index.js) in Debian's Chromium
// via playwright-core, against the mock server with --test-controls. Each test asserts what
// the page saw and what the server received.
import { readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { BASE, launch, control, test, summary, assert, assertEq, quiesce } from "./lib.mjs";

const KY_DIR = join(dirname(fileURLToPath(import.meta.url)), "node_modules/ky/distribution");

async function fresh(ttl = 300) {
  await control("/__test/reset", {});
  await control("/__test/config", { accessTtl: ttl });
}
const fault = (f) => control("/__test/fault", f);
const counters = () => control("/__test/counters");
const requests = async (path) => (await control("/__test/requests")).filter((r) => r.path === path);

async function page() {
  const ctx = await launch();
  const p = await ctx.newPage();
  p.consoleText = [];
  p.on("pageerror", (e) => p.consoleText.push("pageerror: " + e));
  // ky, from the suite's own node_modules (a dev dependency), served under /vendor/ky/.
  await p.route(`${BASE}/vendor/ky/**`, (route) => {
    const rel = normalize(new URL(route.request().url()).pathname.slice("/vendor/ky/".length));
    if (rel.startsWith("..")) return route.abort();
    route.fulfill({ body: readFileSync(join(KY_DIR, rel)), contentType: "text/javascript" });
  });
  await p.goto(`${BASE}/dropin.html`);
  await p.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: 20000 });
  await p.evaluate(() => {
    // Page-side waits: poll `check` until truthy (throws after `timeoutMs`); whether a refresh
    // request is in progress at the mock server (arrived, not answered yet).
    window.until = async (check, timeoutMs, what) => {
      const end = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    window.refreshAtServer = async () =>
      (await (await fetch("/__test/requests")).json()).some((r) => r.path === "/auth/refresh" && r.status === null);
  });
  return p;
}

// ---------------------------------------------------------------------------------------------

await test("auth.fetch works detached, keeps its identity, and rejects after dispose()", async () => {
  await fresh();
  const p = await page();
  const r = await p.evaluate(async () => {
    const auth = mk();
    await auth.login(creds);
    const f = auth.fetch;
    const { fetch: g } = auth;
    const out = { same: auth.fetch === auth.fetch, method: (await auth.fetch("/api/me")).status };
    out.detached = (await f("/api/me")).status;
    out.destructured = (await g("/api/me")).status;
    out.called = (await f.call(null, "/api/me")).status;
    auth.dispose();
    out.afterDispose = await outcome(f("/api/me"));
    return out;
  });
  assertEq(r, { same: true, method: 200, detached: 200, destructured: 200, called: 200,
    afterDispose: { name: "TokenManagerError", code: "aborted", isDomException: false } }, "detached fetch");
  const sent = await requests("/api/me");
  assert(sent.length === 4 && sent.every((x) => x.hasAuthorization), `every call carried the token: ${JSON.stringify(sent)}`);
});

await test("ky with { fetch: auth.fetch }: a 401 is refreshed and replayed through it", async () => {
  await fresh();
  const p = await page();
  const r = await p.evaluate(async () => {
    const { default: ky } = await import("/vendor/ky/index.js");
    const auth = mk();
    await auth.login(creds);
    const api = ky.create({ fetch: auth.fetch, retry: 0 });
    const before = auth.accessToken;
    await injectFault({ path: "/api/me", action: "status", status: 401 });
    const me = await api.get(location.origin + "/api/me").json();
    const echoed = await api.post(location.origin + "/api/echo", { json: { n: 1 } }).json();
    return { sub: me.sub, echoed, renewed: auth.accessToken !== before };
  });
  assertEq(r, { sub: "demo", echoed: { n: 1 }, renewed: true }, "ky through auth.fetch");
  assertEq((await quiesce()).refreshRequests, 1, "one refresh for the 401");
  assertEq((await requests("/api/me")).length, 2, "original + one replay");
});

await test("FormData, Blob, URLSearchParams and Request bodies are replayed after a 401", async () => {
  await fresh();
  const p = await page();
  const r = await p.evaluate(async () => {
    const auth = mk();
    await auth.login(creds);
    const inject = () => injectFault({ path: "/api/echo", action: "status", status: 401 });
    const bytes = new Uint8Array(256).map((_, i) => i);
    const out = {};
    const send = async (name, call, expected) => {
      await inject();
      const res = await call();
      const got = new Uint8Array(await res.arrayBuffer());
      const want = expected === undefined ? null : new Uint8Array(expected);
      out[name] = { status: res.status, same: want ? got.length === want.length && got.every((b, i) => b === want[i]) : null,
        text: want ? undefined : new TextDecoder().decode(got) };
    };
    await send("blob", () => auth.fetch("/api/echo", { method: "POST", body: new Blob([bytes]) }), bytes);
    // A string body with a URL goes out as fetch(url, init), no Request built (js/http.js).
    await send("string", () => auth.fetch("/api/echo", { method: "POST", body: "a-string-body" }), new TextEncoder().encode("a-string-body"));
    const params = new URLSearchParams({ a: "1", b: "two words" });
    await send("urlsearchparams", () => auth.fetch("/api/echo", { method: "POST", body: params }),
      new TextEncoder().encode(params.toString()));
    await send("request", () => auth.fetch(new Request("/api/echo", { method: "POST", body: "x-from-a-request" })),
      new TextEncoder().encode("x-from-a-request"));
    const fd = new FormData();
    fd.append("field", "value-1");
    fd.append("file", new Blob(["file-bytes-xyz"]), "f.txt");
    await send("formdata", () => auth.fetch("/api/echo", { method: "POST", body: fd }));
    return out;
  });
  for (const name of ["blob", "string", "urlsearchparams", "request"]) assertEq(r[name], { status: 200, same: true }, name);
  assertEq(r.formdata.status, 200, "formdata status");
  assert(r.formdata.text.includes("value-1") && r.formdata.text.includes("file-bytes-xyz"), `formdata echoed: ${r.formdata.text}`);
  assertEq((await quiesce()).refreshRequests, 5, "each 401 refreshed once");
  assertEq((await requests("/api/echo")).length, 10, "each request sent twice");
});

await test("a ReadableStream body is not replayed: no refresh, no second request", async () => {
  await fresh();
  const p = await page();
  const r = await p.evaluate(async () => {
    const auth = mk();
    await auth.login(creds);
    await injectFault({ path: "/api/echo", action: "status", status: 401 });
    const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("streamed")); c.close(); } });
    return outcome(auth.fetch("/api/echo", { method: "POST", body, duplex: "half" }));
  });
  // Chromium refuses streaming uploads over HTTP/1.1 (a TypeError, as plain fetch gives); over
  // HTTP/2 the server's 401 comes back. Either way: nothing is replayed.
  assert(r.status === 401 || r.name === "TypeError", `the 401 or fetch's own error: ${JSON.stringify(r)}`);
  const c = await quiesce(); // a replay, were there one, has landed
  assertEq(c.refreshRequests, 0, "no refresh for a request that cannot be replayed");
  assert((await requests("/api/echo")).length <= 1, "never sent twice");
});

await test("a request with a valid token is not held behind a slow refresh; keepalive never waits", async () => {
  await fresh(300);
  let p = await page();
  const valid = await p.evaluate(async () => {
    const auth = mk();
    await auth.login(creds);
    await injectFault({ path: "/auth/refresh", action: "delay", delayMs: 2500 });
    const refreshing = auth.refresh();
    await until(refreshAtServer, 2000, "the slow refresh at the server");
    const t0 = performance.now();
    const status = (await auth.fetch("/api/me")).status;
    const ms = performance.now() - t0;
    await refreshing;
    return { status, ms };
  });
  assertEq(valid.status, 200, "valid token: sent");
  assert(valid.ms < 1000, `not held behind the 2.5 s refresh: ${valid.ms.toFixed(0)} ms`);

  await fresh(1);
  p = await page();
  const keepalive = await p.evaluate(async () => {
    const auth = mk({ autoRefresh: false });
    await auth.login(creds);
    await new Promise((r) => setTimeout(r, 1200)); // the token is dead
    await injectFault({ path: "/auth/refresh", action: "delay", delayMs: 2500 });
    const waiting = auth.fetch("/api/me"); // starts the slow refresh and waits for it
    await until(refreshAtServer, 2000, "the slow refresh at the server");
    const t0 = performance.now();
    const status = (await auth.fetch("/api/ping", { keepalive: true })).status;
    const ms = performance.now() - t0;
    return { status, ms, waited: (await waiting).status };
  });
  assertEq([keepalive.status, keepalive.waited], [401, 200], "keepalive went out at once (no usable token); the other waited");
  assert(keepalive.ms < 1000, `keepalive not held: ${keepalive.ms.toFixed(0)} ms`);
  const pings = await requests("/api/ping");
  assertEq(pings.map((x) => x.hasAuthorization), [false], "the dead token was not sent with it");
});

await test("abort before, during and after the wait rejects exactly like fetch", async () => {
  await fresh(1);
  const p = await page();
  const r = await p.evaluate(async () => {
    const auth = mk({ autoRefresh: false });
    await auth.login(creds);
    await new Promise((res) => setTimeout(res, 1200)); // the token is dead: requests must wait
    const before = new AbortController();
    before.abort();
    const out = { before: await outcome(auth.fetch("/api/me", { signal: before.signal })) };
    out.plainFetch = await outcome(fetch("/api/me", { signal: before.signal }));
    await injectFault({ path: "/auth/refresh", action: "delay", delayMs: 1500 });
    const during = new AbortController();
    const p1 = auth.fetch("/api/me", { signal: during.signal });
    setTimeout(() => during.abort(), 100);
    out.during = await outcome(p1);
    const reason = new AbortController();
    const p2 = auth.fetch("/api/me", { signal: reason.signal });
    setTimeout(() => reason.abort("navigated away"), 50);
    out.reason = await outcome(p2);
    await auth.refresh().catch(() => {}); // let the slow refresh land
    await injectFault({ path: "/api/me", action: "delay", delayMs: 1000 });
    const after = new AbortController();
    const p3 = auth.fetch("/api/me", { signal: after.signal }); // token fresh: sent at once
    setTimeout(() => after.abort(), 300);
    out.after = await outcome(p3);
    return out;
  });
  const abortError = { name: "AbortError", isDomException: true };
  assertEq(r.before, r.plainFetch, "already aborted: the same as fetch");
  assertEq(r.before, abortError, "already aborted");
  assertEq(r.during, abortError, "aborted while waiting for the refresh");
  assertEq(r.reason, { reason: "navigated away", isDomException: false }, "the caller's reason");
  assertEq(r.after, abortError, "aborted while the request was at the server");
  const c = await counters();
  assertEq(c.refreshRequests, 1, "one refresh for all of it (the already-aborted call started none)");
});

await test("a URL request that waits is frozen as the call made it; bad arguments reject at once as fetch's", async () => {
  // 2 s tokens: the server's exp is in whole seconds, so a 1 s token can die at the server well
  // before its second is up, and the refreshed one could then meet a 401 (a second send).
  await fresh(2);
  const p = await page();
  const r = await p.evaluate(async () => {
    const auth = mk({ autoRefresh: false });
    await auth.login(creds);
    await new Promise((res) => setTimeout(res, 2200)); // the token is dead: requests must wait
    await injectFault({ path: "/auth/refresh", action: "delay", delayMs: 300 });
    const init = { method: "POST", headers: { "x-trace": "at-call" }, body: "at-call" };
    const waiting = auth.fetch("/api/echo", init);
    init.body = "changed"; init.headers["x-trace"] = "changed"; init.method = "PUT";
    const res = await waiting;
    const out = { status: res.status, body: await res.text() };
    const bad = async (call) => { try { await call(); return "resolved"; } catch (e) { return e.name; } };
    out.badUrl = [await bad(() => auth.fetch("http://a b/")), await bad(() => fetch("http://a b/"))];
    out.getWithBody = [await bad(() => auth.fetch("/api/echo", { body: "x" })), await bad(() => fetch("/api/echo", { body: "x" }))];
    // Any init fetch takes works, a Request too (its getters cannot be read through a copy).
    out.requestAsInit = (await auth.fetch("/api/me", new Request("/api/me", { headers: { "x-trace": "r" } }))).status;
    return out;
  });
  assertEq(r, { status: 200, body: "at-call", badUrl: ["TypeError", "TypeError"], getWithBody: ["TypeError", "TypeError"], requestAsInit: 200 }, "frozen at the call");
  const echo = await requests("/api/echo");
  assertEq(echo.map((x) => x.method), ["POST"], "sent once, as the call made it");
  assertEq((await counters()).refreshRequests, 1, "one refresh (the bad calls started none)");
});

await test("opaque tokens: held, scheduled from expires_in, refreshed before expiry", async () => {
  await fresh(2);
  await fault({ path: "/auth/login", action: "opaque_token" });
  const p = await page();
  const r = await p.evaluate(async () => {
    const auth = mk();
    await auth.login(creds);
    const expiresAt = auth.expiresAt;
    const out = {
      opaque: auth.accessToken.startsWith("op_") && !auth.accessToken.includes("."),
      claims: auth.claims === undefined,
      dueIn: auth.refreshAt - Date.now(),
      first: (await auth.fetch("/api/me")).status,
    };
    // Renewed by the timer (due within 1 s), before the token's end. (Polled up to that end
    // rather than a fixed 1.2 s after the first request: under load that request took long
    // enough for the window to close before a renewal still in time.)
    const deadline = expiresAt - 50;
    while (auth.accessToken.startsWith("op_") && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    out.renewed = !auth.accessToken.startsWith("op_");
    out.after = (await auth.fetch("/api/me")).status;
    auth.setAccessToken("opaque-0123456789", 300);
    out.setExpires = Math.round((auth.expiresAt - Date.now()) / 1000);
    out.malformed = (() => { try { auth.setAccessToken("has space", 300); return "accepted"; } catch (e) { return e.code; } })();
    return out;
  });
  assertEq(r, { opaque: true, claims: true, dueIn: r.dueIn, first: 200, renewed: true, after: 200, setExpires: 300, malformed: "malformed_token" }, "opaque");
  assert(r.dueIn > 0 && r.dueIn <= 1000, `refresh scheduled from expires_in (2 s, margin capped at half): ${r.dueIn} ms`);
  const c = await counters();
  assert(c.refreshes >= 1 && c.apiUnauthorized === 0, `refreshed before expiry, no 401: ${JSON.stringify(c)}`);
});

await test("an injected fetch carries the manager's own calls", async () => {
  await fresh();
  const p = await page();
  const seen = await p.evaluate(async () => {
    const seen = [];
    const traced = (input, init) => { seen.push(new URL(input instanceof Request ? input.url : String(input), location.href).pathname); return fetch(input, init); };
    const auth = mk({ fetch: traced });
    await auth.login(creds);
    await auth.refresh();
    await auth.fetch("/api/me");
    await auth.logout();
    let bad;
    try { mk({ fetch: "not a function" }); } catch (e) { bad = e.code; }
    return { seen, bad };
  });
  assertEq(seen, { seen: ["/auth/login", "/auth/refresh", "/api/me", "/auth/logout"], bad: "invalid_options" }, "traced calls");
});

await test("login(): signal, login_failed with status and body, TokenManagerError at runtime", async () => {
  await fresh();
  const p = await page();
  const r = await p.evaluate(async () => {
    const auth = mk();
    const describe = (e) => ({ code: e.code, status: e.status, body: e.body, instance: e instanceof wtm.TokenManagerError,
      isError: e instanceof Error, name: e.name });
    const out = {};
    try { await auth.login({ username: "demo", password: "wrong" }); } catch (e) { out.rejected = describe(e); }
    await injectFault({ path: "/auth/login", action: "delay", delayMs: 1500 });
    const c = new AbortController();
    const pending = auth.login(creds, { signal: c.signal });
    setTimeout(() => c.abort(), 100);
    try { await pending; } catch (e) { out.aborted = describe(e); }
    out.authenticated = auth.isAuthenticated;
    try { await auth.refresh(); } catch (e) { out.refresh = describe(e); }
    return out;
  });
  assertEq(r.rejected, { code: "login_failed", status: 401, body: { error: "invalid_credentials" }, instance: true, isError: true, name: "TokenManagerError" }, "bad password");
  assertEq(r.aborted, { code: "aborted", instance: true, isError: true, name: "TokenManagerError" }, "aborted login");
  assertEq(r.authenticated, false, "not signed in");
  assertEq(r.refresh?.instance, true, "every error is a TokenManagerError");
});

await test("without AbortSignal.any and AbortSignal.timeout (older engines) everything still works", async () => {
  await fresh();
  const p = await page();
  const r = await p.evaluate(async () => {
    delete AbortSignal.any;
    delete AbortSignal.timeout;
    const auth = mk({ crossTab: true });
    await auth.login(creds);
    const before = auth.accessToken;
    await auth.refresh();
    const out = { renewed: auth.accessToken !== before, me: (await auth.fetch("/api/me")).status };
    await injectFault({ path: "/auth/login", action: "delay", delayMs: 1000 });
    const c = new AbortController();
    const pending = auth.login(creds, { signal: c.signal });
    setTimeout(() => c.abort(), 100);
    out.aborted = await pending.then(() => "resolved", (e) => e.code);
    out.loggedOut = await auth.logout();
    return out;
  });
  assertEq(r, { renewed: true, me: 200, aborted: "aborted", loggedOut: true }, "fallback signals");
});

await test("response shapes: dotted paths, expiresAtField with the server's Date, parseTokenResponse; header functions checked", async () => {
  await fresh(300);
  const p = await page();
  const r = await p.evaluate(async () => {
    // The server answers { access_token, expires_in }; an injected transport reshapes it as
    // other servers do: { data: { accessToken }, session: { expires_at } } (absolute seconds).
    const reshaped = async (input, init) => {
      const res = await fetch(input, init);
      const url = new URL(input instanceof Request ? input.url : String(input), location.href).pathname;
      if (!url.startsWith("/auth/") || url === "/auth/logout" || !res.ok) return res;
      const j = await res.json();
      const serverNow = Date.parse(res.headers.get("date"));
      const body = { data: { accessToken: j.access_token }, session: { expires_at: Math.floor(serverNow / 1000) + j.expires_in } };
      return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
    };
    const out = {};
    const a = mk({ fetch: reshaped, accessTokenField: "data.accessToken", expiresAtField: "session.expires_at" });
    await a.login(creds);
    out.dotted = { sub: a.claims.sub, lifetime: Math.round((a.expiresAt - Date.now()) / 1000) };
    const b = mk({ fetch: reshaped, parseTokenResponse: (json) => ({ accessToken: json.data.accessToken, expiresIn: 120 }) });
    await b.login(creds);
    out.parsed = { sub: b.claims.sub, lifetime: Math.round((b.expiresAt - Date.now()) / 1000) };
    await b.refresh();
    out.parsedRefresh = Math.round((b.expiresAt - Date.now()) / 1000);
    const seen = [];
    let csrf = "";
    const c = mk({ refreshHeaders: () => { seen.push(csrf); return csrf ? { "X-Requested-With": csrf } : {}; } });
    csrf = "XMLHttpRequest";
    await c.login(creds);
    csrf = "rotated-value";
    await c.refresh().catch(() => {});
    out.calls = seen;
    const d = mk({ refreshHeaders: () => ({ Cookie: "session=stolen" }) });
    out.bad = await d.login(creds).then(() => "resolved", (e) => [e.code, e.message]);
    return out;
  });
  assertEq(r.dotted, { sub: "demo", lifetime: 300 }, "dotted paths + expiresAtField");
  assertEq(r.parsed, { sub: "demo", lifetime: 120 }, "parseTokenResponse on login");
  assertEq(r.parsedRefresh, 120, "parseTokenResponse on refresh");
  assertEq(r.calls, ["XMLHttpRequest", "rotated-value"], "the header function is called per request, with the current value");
  assertEq(r.bad[0], "invalid_options", "a function returning Cookie is refused");
  assert(/Authorization or Cookie/.test(r.bad[1]), `clear error: ${r.bad[1]}`);
  const sent = (await control("/__test/requests")).filter((x) => x.path === "/auth/refresh");
  assert(sent.some((x) => x.csrfHeader === "rotated-value"), `the rotated header value was sent: ${JSON.stringify(sent.map((x) => x.csrfHeader))}`);
});

summary("dropin");
