// A React 19 app in StrictMode (examples/react-app, built with React's development build, where
// StrictMode mounts every component, unmounts it and mounts it again), and the two ways of
// holding the manager: the example's module-level manager (/) and a manager made in useEffect
// and disposed in its cleanup (/effect/: tests/e2e/pages/react-effect, the example's UI, built
// here next to the example's build; one manager is made, disposed, and a second one made). Both
// use restoreOnCreate. The app is served with its API by one mock server (E2E_REACT) and driven
// in Chromium like a user, reading only what the page shows: a loading state and never the
// sign-in form while the session is restored (a slow refresh endpoint), sign in, silent
// refreshes shown in the UI, sign out; the server sees one login and one refresh per token
// lifetime, not two; a second tab opened during the first tab's refresh restores within 1 s of
// that refresh's end (no Web Lock is left held by the disposed manager); no console errors.
// Needs examples/react-app built with NODE_ENV=development (scripts/test.sh does).
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { launch, test, summary, assert, assertEq, waitFor, quiesce } from "./lib.mjs";
import { watchViews } from "./example-app.mjs";

const APP = process.env.E2E_REACT ?? "http://127.0.0.1:18794";
const PAGES = { "module-level manager": "/", "manager made in useEffect": "/effect/" };
const REACT_APP = fileURLToPath(new URL("../../examples/react-app/", import.meta.url));

/// The useEffect page, built with the example's Vite, React and package into its dist/effect/.
async function buildEffectPage() {
  process.env.NODE_ENV = "development"; // React's development build: StrictMode's double mount
  const nm = (p) => join(REACT_APP, "node_modules", p);
  const { build } = await import(pathToFileURL(nm("vite/dist/node/index.js")));
  const { default: react } = await import(pathToFileURL(nm("@vitejs/plugin-react/dist/index.js")));
  await build({
    configFile: false, logLevel: "warn", root: fileURLToPath(new URL("pages/react-effect", import.meta.url)), base: "/effect/",
    plugins: [react()],
    resolve: { alias: { react: nm("react"), "react-dom": nm("react-dom"), "wasm-token-manager": nm("wasm-token-manager") } },
    build: { outDir: join(REACT_APP, "dist/effect"), emptyOutDir: true, target: "es2022" },
  });
}
await buildEffectPage();

const post = (path, body) => fetch(APP + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  .then((r) => { if (!r.ok) throw new Error(`${path}: ${r.status}`); });
const get = (path) => fetch(APP + path).then((r) => r.json());

async function reset(accessTtl) {
  await post("/__test/reset", {});
  await post("/__test/config", { accessTtl });
}

/// Open a page of the app and collect its console errors and uncaught exceptions. The ones
/// expected: Chromium logs the 401 of a restore without a refresh cookie (no session yet), and
/// the 401 the API is made to answer once, as "Failed to load resource".
async function open(ctx, path) {
  const page = await ctx.newPage();
  page.errors = [];
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    if (/^Failed to load resource: .* 401 /.test(m.text()) && [APP + "/auth/refresh", APP + "/api/me"].includes(m.location().url)) return;
    page.errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => page.errors.push("pageerror: " + e));
  await page.addInitScript(watchViews);
  await page.goto(APP + path);
  return page;
}

const seen = (page) => page.evaluate(() => window.seen);
const views = async (page) => (await seen(page)).views.map(([v]) => v);
const until = (page, pred, what, timeout = 10_000) =>
  waitFor(async () => { const s = await seen(page); return pred(s) && s; }, { timeout, what });
const showing = (view) => (s) => s.views.at(-1)?.[0] === view;
const locks = (page) => page.evaluate(async () => {
  const q = await navigator.locks.query();
  return { held: q.held.map((l) => l.name), pending: q.pending.map((l) => l.name) };
});
async function signIn(page) {
  await page.fill("input[name=username]", "demo");
  await page.fill("input[name=password]", "demo");
  await page.click("form#login button");
  await until(page, showing("signedIn"), "signed in");
  assertEq(await page.innerText("#user"), "Signed in as demo", "the UI shows the user");
}

/// Under the useEffect page, StrictMode really made two managers (the premise of the test).
async function checkManagers(page, path) {
  const made = await page.evaluate(() => window.managersMade ?? null);
  assertEq(made, path === "/effect/" ? 2 : null, "managers made by the page (StrictMode's double mount)");
}

for (const [name, path] of Object.entries(PAGES)) {
  await test(`${name}: sign in, silent refreshes in the UI, sign out; one login, one refresh per lifetime; no console errors`, async () => {
    await reset(2); // 2 s tokens: a silent refresh about every second
    const ctx = await launch();
    const page = await open(ctx, path);
    await until(page, showing("form"), "the sign-in form once the restore on load found no session");
    assertEq(await views(page), ["loading", "form"], "loading while restoring, then the sign-in form");
    await checkManagers(page, path);
    await signIn(page);
    const signedIn = await seen(page);
    await page.click("#call-api");
    await page.locator("#api", { hasText: "200: hello, demo" }).waitFor({ timeout: 10_000 });
    // Silent refreshes: the renewals and the token's deadline change in the UI with nothing clicked.
    const renewed = await until(page, (s) => s.renewals >= 3, "three silent refreshes in the UI", 8_000);
    assert(renewed.token !== signedIn.token, `a new token shown: ${JSON.stringify([signedIn, renewed])}`);
    await page.click("#sign-out");
    await until(page, showing("form"), "signed out: the sign-in form");
    assertEq(await page.locator("#user, #api").count(), 0, "the UI forgets the user");
    const c = await quiesce({ base: APP });
    const shown = (await seen(page)).renewals;
    // One refresh request on load (no cookie yet: rejected), then one per silent refresh shown.
    assertEq({ logins: c.logins, refreshes: c.refreshes, refreshRequests: c.refreshRequests, logouts: c.logouts,
      apiUnauthorized: c.apiUnauthorized, revokedFamilies: c.revokedFamilies },
    { logins: 1, refreshes: shown, refreshRequests: shown + 1, logouts: 1, apiUnauthorized: 0, revokedFamilies: 0 },
    `server counters (${shown} refreshes shown in the UI)`);
    assertEq(await locks(page), { held: [], pending: [] }, "Web Locks after sign-out");
    assertEq(page.errors, [], "console errors");
    await ctx.close();
  });

  await test(`${name}: a reload with a session shows a loading state, never the sign-in form, until the slow restore signs in`, async () => {
    await reset(60);
    const ctx = await launch();
    const page = await open(ctx, path);
    await until(page, showing("form"), "the sign-in form");
    await signIn(page);
    await post("/__test/fault", { path: "/auth/refresh", action: "delay", delayMs: 1500 }); // the restore's refresh
    await page.reload();
    await until(page, showing("signedIn"), "signed in again from the cookie", 10_000);
    const s = await seen(page);
    assertEq(s.views.map(([v]) => v), ["loading", "signedIn"], "the views shown during the reload's restore");
    const loading = s.views[1][1] - s.views[0][1];
    assert(loading >= 1000, `the loading state was shown during the whole slow restore (${loading} ms)`);
    await checkManagers(page, path);
    const c = await quiesce({ base: APP });
    assertEq([c.logins, c.refreshes, c.revokedFamilies], [1, 1, 0], "server: one login, one refresh (the restore)");
    assertEq(page.errors, [], "console errors");
    await ctx.close();
  });

  await test(`${name}: a second tab opened during the first tab's refresh restores within 1 s of its end`, async () => {
    await reset(60); // no timer refresh during the test
    const ctx = await launch();
    const first = await open(ctx, path);
    await until(first, showing("form"), "the first tab's restore on load");
    await signIn(first);
    const signedIn = await seen(first);
    // The first tab's refresh is held 1.5 s at the server, the Web Lock held meanwhile: the
    // API answers 401 once, so the manager refreshes and calls it again.
    await post("/__test/fault", { path: "/auth/refresh", action: "delay", delayMs: 1500 });
    await post("/__test/fault", { path: "/api/me", action: "status", status: 401 });
    const since = (await get("/__test/requests")).at(-1)?.seq ?? 0;
    await first.click("#call-api");
    await waitFor(async () => (await get("/__test/requests")).some((r) => r.seq > since && r.path === "/auth/refresh"),
      { what: "the first tab's refresh at the server" });
    assertEq((await locks(first)).held.length, 1, "the first tab holds the refresh lock");
    const second = await open(ctx, path);
    // Under the double mount the second tab's first manager asked for the lock and was disposed
    // in the same task. Chromium leaves a lock request aborted in the task that made it in the
    // queue (its promise never settles): it is granted after the first tab's refresh and let go
    // at once (js/locks.js resolves its hold when the request is abandoned), so it delays the
    // live manager by one grant, not by the 20 s lock wait. The limit below would catch a hold.
    const firstDone = await until(first, (s) => s.renewals >= 1, "the first tab's refresh to end", 5_000);
    const restored = await until(second, showing("signedIn"), "the second tab's restore", 25_000);
    await checkManagers(second, path);
    assertEq(restored.views.map(([v]) => v), ["loading", "signedIn"], "the second tab: loading, then signed in (no sign-in form)");
    await first.locator("#api", { hasText: "200: hello, demo" }).waitFor({ timeout: 5_000 }); // the call, replayed
    const lag = restored.views.at(-1)[1] - firstDone.renewedAt;
    assertEq(restored.token, firstDone.token, "the second tab restored with the first tab's new token");
    assert(firstDone.token !== signedIn.token, `the first tab refreshed: ${JSON.stringify([signedIn.token, firstDone.token])}`);
    console.log(`    the second tab restored ${lag} ms after the first tab's refresh ended`);
    assert(lag < 1000, `the second tab restored ${lag} ms after the first tab's refresh ended (limit 1000 ms)`);
    const c = await quiesce({ base: APP });
    // The second tab's restore waited for the lock and took the shared token: one refresh.
    assertEq([c.logins, c.refreshes, c.revokedFamilies], [1, 1, 0], "server: one login, one refresh");
    for (const p of [first, second]) assertEq(await locks(p), { held: [], pending: [] }, "no Web Lock held or pending");
    assertEq([...first.errors, ...second.errors], [], "console errors");
    await ctx.close();
  });
}

summary("react");
