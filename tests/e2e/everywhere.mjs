// Everywhere front-end code runs: the example apps built from the local package (Vite, webpack
// 5, Next.js static export built with Turbopack and with webpack), a plain <script
// type="module"> page, a dedicated Worker, and the store contract. Each app is served by its
// own mock server (same origin as its API) with 2 s tokens, and driven in Chromium: the example
// apps like a user (the sign-in form, the API button, the renewals they show), the plain page
// through the result it records: sign in, auth.fetch, a silent refresh by the timer.
import { BASE, launch, control, test, summary, assert, assertEq, watchedPage } from "./lib.mjs";
import { driveExample } from "./example-app.mjs";

const APPS = {
  vite: process.env.E2E_VITE,
  webpack: process.env.E2E_WEBPACK,
  next: process.env.E2E_NEXT, // Turbopack (Next 16's default bundler)
  "next-webpack": process.env.E2E_NEXT_WEBPACK, // next build --webpack
};

async function reset(base, ttl = 2) {
  const post = (path, body) => fetch(base + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  await post("/__test/reset", {});
  await post("/__test/config", { accessTtl: ttl });
}

async function drive(name, url, base) {
  await reset(base);
  const ctx = await launch();
  const { page, errors, wasm } = await watchedPage(ctx);
  await page.goto(url);
  const handle = await page.waitForFunction(
    () => document.body.dataset.result ?? document.querySelector("[data-result]")?.dataset.result,
    null, { timeout: 20_000 });
  const result = JSON.parse(await handle.jsonValue());
  assertEq(result, { sub: "demo", again: 200, renewed: true, state: "authenticated" }, `${name}: signed in, API, silent refresh`);
  assertEq(errors, [], `${name}: page errors`);
  assertEq(wasm.length, 1, `${name}: the .wasm fetched once (${wasm.join(", ")})`);
  const seen = await fetch(base + "/__test/requests").then((r) => r.json());
  const api = seen.filter((r) => r.path.startsWith("/api/"));
  assert(api.length === 2 && api.every((r) => r.hasAuthorization), `${name}: Bearer on both API calls: ${JSON.stringify(api)}`);
  const c = await fetch(base + "/__test/counters").then((r) => r.json());
  assert(c.refreshes >= 1 && c.apiUnauthorized === 0, `${name}: refreshed by the timer, no 401: ${JSON.stringify(c)}`);
  await ctx.close();
}

for (const [name, base] of Object.entries(APPS)) {
  if (!base) continue;
  await test(`${name} example (built from the local package): sign in with its form, auth.fetch, a silent refresh it shows`, () =>
    driveExample(name, base));
}

await test("plain <script type=\"module\"> page: sign in, auth.fetch, silent refresh", () =>
  drive("plain", `${BASE}/plain.html`, BASE));

await test("a dedicated Worker: sign in, Bearer, silent refresh, cross-tab with a page", async () => {
  await reset(BASE, 2);
  const ctx = await launch();
  const page = await ctx.newPage();
  await page.goto(`${BASE}/worker.html`);
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: 20_000 });
  const r = await page.evaluate(async () => {
    await inWorker("login");
    const me = await inWorker("me");
    // The page's manager hears the worker's token (BroadcastChannel between worker and page).
    for (let i = 0; i < 50 && !page.isAuthenticated; i++) await new Promise((res) => setTimeout(res, 20));
    const pageSignedIn = page.isAuthenticated;
    // The worker's timer refreshes the 2 s token (due within 1 s): wait for its `refreshed`.
    const end = Date.now() + 5000;
    while ((await inWorker("seen")).refreshed < 1 && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
    const ping = await inWorker("ping");
    const seen = await inWorker("seen");
    const confirmed = await inWorker("logout");
    for (let i = 0; i < 50 && page.isAuthenticated; i++) await new Promise((res) => setTimeout(res, 20));
    return { sub: me.sub, pageSignedIn, ping, refreshed: seen.refreshed, authenticated: seen.authenticated,
      states: seen.states, confirmed, pageAfterLogout: page.isAuthenticated, workerError: window.workerError ?? null };
  });
  assertEq([r.sub, r.pageSignedIn, r.ping, r.authenticated, r.confirmed, r.pageAfterLogout, r.workerError],
    ["demo", true, 200, true, true, false, null], `worker: ${JSON.stringify(r)}`);
  assert(r.refreshed >= 1, `a silent refresh in the worker (no document, no window): ${r.refreshed}`);
  assertEq(r.states.slice(0, 2), ["anonymous", "authenticated"], "the worker's store subscription");
  const api = (await control("/__test/requests")).filter((x) => x.path.startsWith("/api/"));
  assert(api.length === 2 && api.every((x) => x.hasAuthorization), `Bearer from the worker: ${JSON.stringify(api)}`);
  await ctx.close();
});

await test("store contract: getSnapshot keeps its identity across no-ops, changes on login/refresh/logout", async () => {
  await reset(BASE, 300);
  const ctx = await launch();
  const page = await ctx.newPage();
  await page.goto(`${BASE}/dropin.html`);
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: 20_000 });
  const r = await page.evaluate(async () => {
    const auth = mk();
    const { subscribe, getSnapshot } = auth; // detached: both are bound
    const calls = [];
    const off = subscribe((s) => calls.push(s));
    const rows = [];
    let last = getSnapshot();
    // Quiescence at the mock server: nothing in progress, nothing new for 300 ms.
    const quiet = async () => {
      let key, since = Date.now();
      for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((res) => setTimeout(res, 25))) {
        const reqs = await (await fetch("/__test/requests")).json();
        const now = JSON.stringify(reqs.slice(-20).map((q) => [q.seq, q.status]));
        if (reqs.some((q) => q.status === null && q.fault !== "drop") || now !== key) [key, since] = [now, Date.now()];
        else if (Date.now() - since >= 300) return;
      }
      throw new Error("the mock server did not quiesce in 10 s");
    };
    const step = async (name, action) => {
      await action();
      const now = getSnapshot();
      rows.push([name, now === last ? "same" : "new", now.state, Object.isFrozen(now)]);
      last = now;
    };
    await step("nothing", async () => {});
    await step("a failed login", () => auth.login({ username: "demo", password: "wrong" }).catch(() => {}));
    await step("focus event", async () => { dispatchEvent(new Event("focus")); await quiet(); });
    await step("login", () => auth.login(creds));
    await step("getSnapshot again", async () => {});
    await step("a refresh that fails (503)", async () => {
      await fetch("/__test/fault", { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ path: "/auth/refresh", action: "status", status: 503, retryAfter: "100" }) });
      await auth.refresh().catch(() => {});
    });
    await step("refresh", () => auth.refresh());
    await step("logout", () => auth.logout());
    await step("logout again", () => auth.logout());
    off();
    off(); // twice: a no-op
    await auth.login(creds);
    return { rows, calls: calls.map((s) => s.state), callsAfterOff: calls.length, unsubscribeIsFunction: typeof off };
  });
  assertEq(r.rows, [
    ["nothing", "same", "anonymous", true],
    ["a failed login", "same", "anonymous", true],
    ["focus event", "same", "anonymous", true],
    ["login", "new", "authenticated", true],
    ["getSnapshot again", "same", "authenticated", true],
    ["a refresh that fails (503)", "same", "authenticated", true],
    ["refresh", "new", "authenticated", true],
    ["logout", "new", "loggedOut", true],
    ["logout again", "same", "loggedOut", true],
  ], "snapshot identity table");
  assertEq(r.calls, ["anonymous", "authenticated", "authenticated", "loggedOut"], "the listener: at once, then once per change");
  assertEq(r.unsubscribeIsFunction, "function", "subscribe returns the unsubscribe function (Svelte store contract)");
  await ctx.close();
});

await test("the public entries hand out no instance exports: init() resolves to undefined, no export holds memory", async () => {
  const ctx = await launch();
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${BASE}/bench.html`); // a blank page of the server's origin
  const r = await page.evaluate(async () => {
    const out = {};
    // Anything that reaches an instance: its exports object, the memory, the instance itself.
    const leaks = (v) => v instanceof WebAssembly.Memory || v instanceof WebAssembly.Instance ||
      (v !== null && (typeof v === "object" || typeof v === "function") && "memory" in v);
    for (const entry of ["index.js", "manual.js"]) {
      const ns = await import(`/pkg/${entry}`);
      const results = [await ns.default(), await ns.init(), await ns.default({ module_or_path: "/pkg/wasm_token_manager_bg.wasm" }), ns.initSync(new Uint8Array(0))];
      out[entry] = {
        results: results.map((x) => (x === undefined ? "undefined" : typeof x)),
        leaking: Object.entries(ns).filter(([, v]) => leaks(v)).map(([k]) => k),
        works: new ns.TokenManager({ refreshUrl: "/auth/refresh" }).isAuthenticated === false,
      };
    }
    return out;
  });
  for (const entry of ["index.js", "manual.js"]) {
    assertEq(r[entry], { results: ["undefined", "undefined", "undefined", "undefined"], leaking: [], works: true }, `pkg/${entry}`);
  }
  assertEq(errors, [], "page errors");
  await ctx.close();
});

summary("everywhere");
