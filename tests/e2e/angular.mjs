// Angular and zone.js. zone.js (loaded first, as every zone-based Angular app does) patches
// Promise, setTimeout, fetch, EventTarget and more; the manager must work under it, and must not
// keep the app's zone busy: Angular's ApplicationRef.isStable is false while the zone has a
// macrotask pending. First a plain page with zone.js, then examples/angular-app (production
// build, served with its API by its own mock server at E2E_ANGULAR).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BASE, launch, control, test, summary, assert, assertEq, sleep, waitFor, quiesce } from "./lib.mjs";

const APP = process.env.E2E_ANGULAR;

const ZONE_JS = fileURLToPath(new URL("../../examples/angular-app/node_modules/zone.js/bundles/zone.umd.js", import.meta.url));

for (const crossTab of [true, false]) await test(`zone.js loaded before the package (crossTab ${crossTab}): login() in an app's zone, which stays stable, a silent refresh, logout`, async () => {
  await control("/__test/reset", {});
  await control("/__test/config", { accessTtl: 2 });
  const ctx = await launch();
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico")) errors.push(m.text()); });
  // Before any script of the page: zone.js patches the globals first.
  await page.addInitScript({ content: readFileSync(ZONE_JS, "utf8") });
  await page.goto(`${BASE}/bench.html`); // a blank page of the server's origin
  const r = await page.evaluate(async (crossTab) => {
    const { TokenManager } = await import("/pkg/index.js");
    const plain = (await fetch("/auth/login", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "demo", password: "demo" }) })).status;
    // An app's zone, as Angular's NgZone forks it: it is stable when no macrotask is pending.
    let macroTask = false;
    const app = Zone.current.fork({ name: "app", onHasTask: (delegate, current, target, has) => {
      if (current === target) macroTask = has.macroTask;
      return delegate.hasTask(target, has);
    } });
    const auth = app.run(() => new TokenManager({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout", crossTab }));
    let login;
    try {
      await app.run(() => auth.login({ username: "demo", password: "demo" }));
      login = "ok";
    } catch (e) {
      login = `${e.code}: ${e.message}`;
    }
    // The manager's refresh timer must not be a macrotask of the app's zone (Angular's
    // isStable would stay false until it fires).
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stableAfterLogin = !macroTask;
    const me = login === "ok" ? (await auth.fetch("/api/me")).status : null;
    // The refresh timer fires outside the app's zone; the listener runs in the zone it was
    // given in (Angular runs change detection after it).
    const refreshed = login === "ok" && await new Promise((resolve) => {
      const off = app.run(() => auth.on("refreshed", () => { off(); resolve(Zone.current.name); }));
      setTimeout(() => resolve(false), 5000);
    });
    const stableAfterRefresh = !macroTask;
    const out = { zone: typeof Zone, plain, login, stableAfterLogin, me, refreshed, stableAfterRefresh, loggedOut: login === "ok" && await auth.logout() };
    auth.dispose();
    return out;
  }, crossTab);
  assertEq(r, { zone: "function", plain: 200, login: "ok", stableAfterLogin: true, me: 200, refreshed: "app", stableAfterRefresh: true, loggedOut: true }, "under zone.js");
  assertEq(errors, [], "console errors");
});

// ---- examples/angular-app -------------------------------------------------------------------

const post = (path, body) => fetch(APP + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const get = (path) => fetch(APP + path).then((r) => r.json());

/// Open the app; record ApplicationRef.isStable's values, the token expiry the page shows and
/// the console's errors.
async function openApp(ctx) {
  const page = await ctx.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico")) page.errors.push(m.text()); });
  await page.goto(`${APP}/`);
  await page.waitForFunction(() => window.appRef && document.querySelector("#state"), null, { timeout: 20_000 });
  await page.evaluate(() => {
    window.stable = [];
    window.appRef.isStable.subscribe((v) => window.stable.push([performance.now(), v]));
    window.shown = [];
    const expiry = document.querySelector("#expiry");
    new MutationObserver(() => window.shown.push(expiry.dataset.expiresAt ?? null))
      .observe(expiry, { attributes: true, attributeFilter: ["data-expires-at"] });
  });
  return page;
}

const state = (page) => page.evaluate(() => document.querySelector("#state").dataset.state);

if (APP) {
  await test("angular app (zone.js, production build): sign in, isStable within 2 s and while idle across refreshes, the UI follows silent refreshes, sign out", async () => {
    await post("/__test/reset", {});
    await post("/__test/config", { accessTtl: 2 });
    const ctx = await launch();
    const page = await openApp(ctx);
    assertEq(await state(page), "anonymous", "before sign-in");
    const clicked = await page.evaluate(() => performance.now());
    await page.click("#sign-in");
    await page.waitForFunction(() => document.querySelector("#state").dataset.state === "authenticated", null, { timeout: 5000 });
    // Stable (true after the last false) within 2 s of the click.
    const stableAt = await waitFor(() => page.evaluate(() => {
      const last = window.stable.at(-1);
      return last && last[1] === true && window.appRef && last[0];
    }), { timeout: 2500, what: "isStable after sign-in" });
    assert(stableAt - clicked < 2000, `isStable ${Math.round(stableAt - clicked)} ms after the click`);
    // Idle for at least two silent refreshes (2 s tokens: one every 0.8-1 s).
    const start = await get("/__test/counters");
    await waitFor(async () => (await get("/__test/counters")).refreshes >= start.refreshes + 2, { timeout: 6000, what: "two silent refreshes" });
    await sleep(300);
    const r = await page.evaluate((since) => {
      const app = window.appRef.components[0].instance;
      const unstable = [];
      let from = null;
      for (const [t, v] of window.stable.filter(([t]) => t > since)) {
        if (!v && from === null) from = t;
        if (v && from !== null) { unstable.push(t - from); from = null; }
      }
      return { stableNow: window.stable.at(-1)[1], stillUnstableFor: from === null ? 0 : performance.now() - from,
        longestUnstable: Math.max(0, ...unstable), shown: window.shown, signal: app.session().expiresAt,
        dom: Number(document.querySelector("#expiry").dataset.expiresAt), text: document.querySelector("#expiry").textContent.trim() };
    }, stableAt);
    // While idle the zone has no pending macrotask: it only leaves "stable" for the moment a
    // refresh's listener and change detection run.
    assertEq([r.stableNow, r.stillUnstableFor], [true, 0], `stable while idle: ${JSON.stringify(r)}`);
    assert(r.longestUnstable < 500, `no lasting unstable stretch across the refreshes: ${JSON.stringify(r)}`);
    // The page shows each new expiry: change detection saw the refreshes.
    const distinct = new Set(r.shown.filter((x) => x));
    assert(distinct.size >= 3, `the shown expiry changed at sign-in and after each refresh: ${JSON.stringify(r.shown)}`);
    assertEq(r.dom, r.signal, "the page shows the current snapshot's expiry");
    assert(/^token expires at \d\d:\d\d:\d\d$/.test(r.text), `expiry text: ${r.text}`);
    await page.click("#sign-out");
    await page.waitForFunction(() => document.querySelector("#state").dataset.state === "loggedOut", null, { timeout: 5000 });
    await waitFor(() => page.evaluate(() => window.stable.at(-1)[1]), { timeout: 2000, what: "isStable after sign-out" });
    const c = await quiesce({ base: APP });
    assertEq([c.logins, c.logouts, c.apiUnauthorized, c.revokedFamilies], [1, 1, 0, 0], `counters ${JSON.stringify(c)}`);
    assertEq(page.errors, [], "console errors");
  });

  await test("angular app, two tabs: one refresh per token lifetime, no lock errors in the console", async () => {
    await post("/__test/reset", {});
    await post("/__test/config", { accessTtl: 3, reuseGrace: 0 });
    const ctx = await launch();
    const tabs = [await openApp(ctx), await openApp(ctx)];
    await tabs[0].click("#sign-in");
    // The other tab hears of the token (BroadcastChannel) and shows it.
    await Promise.all(tabs.map((p) => p.waitForFunction(() => document.querySelector("#state").dataset.state === "authenticated", null, { timeout: 5000 })));
    const t0 = Date.now();
    const before = await get("/__test/counters");
    await sleep(7000);
    const c = await quiesce({ base: APP });
    const seconds = (Date.now() - t0) / 1000;
    const n = c.refreshRequests - before.refreshRequests;
    // 3 s tokens are replaced 1.2-1.5 s into their life: one refresh per lifetime is about
    // seconds / 1.35 in all, whatever the number of tabs (one per tab would be twice that).
    console.log(`    ${n} refreshes in ${seconds.toFixed(1)} s for 2 tabs (one per token: ~${(seconds / 1.35).toFixed(1)})`);
    assert(n >= Math.floor(seconds / 1.5) - 1, `refreshes happen: ${n}`);
    assert(n <= Math.ceil(seconds / 1.2) + 1, `one refresh for both tabs, not one per tab: ${n}`);
    assertEq([c.refreshes - before.refreshes, c.graceReplays, c.revokedFamilies, c.refreshRejected], [n, 0, 0, 0], `counters ${JSON.stringify(c)}`);
    const shown = await Promise.all(tabs.map((p) => p.evaluate(() => Number(document.querySelector("#expiry").dataset.expiresAt))));
    assert(Math.abs(shown[0] - shown[1]) < 1000, `both tabs show the same token's expiry: ${shown}`);
    for (const p of tabs) assertEq(p.errors, [], "console errors (lock, channel)");
  });
} else {
  console.log("E2E_ANGULAR not set: the Angular example app is not driven");
}

summary("angular");
