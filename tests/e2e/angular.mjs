// Angular and zone.js. zone.js (loaded first, as every zone-based Angular app does) patches
// Promise, setTimeout, fetch, EventTarget and more; the manager must work under it, and must not
// keep the app's zone busy: Angular's ApplicationRef.isStable is false while the zone has a
// macrotask pending. First a plain page with zone.js, then examples/angular-app (production
// build, served with its API by its own mock server at E2E_ANGULAR), driven like a user: a
// loading state and never the sign-in form while it restores (restoreOnCreate), sign-in,
// refreshes, two tabs; its stability is read from the zone Angular forks (watchAngularZone), not
// from anything the app exposes.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BASE, launch, control, test, summary, assert, assertEq, sleep, waitFor, quiesce } from "./lib.mjs";
import { watchViews } from "./example-app.mjs";

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

/// Installed before the app's scripts: when zone.js defines Zone, wrap Zone.prototype.fork so
/// that the zone Angular's NgZone forks ("angular") also reports its tasks here: the app is
/// stable (NgZone.isStable, what ApplicationRef.isStable follows) when that zone has no
/// macrotask and no microtask pending. Records [time, stable] on every change.
function watchAngularZone() {
  window.stable = [];
  let zone;
  Object.defineProperty(window, "Zone", { configurable: true, get: () => zone, set(Z) {
    zone = Z;
    const fork = Z.prototype.fork;
    Z.prototype.fork = function (spec) {
      if (spec?.name === "angular") {
        const onHasTask = spec.onHasTask;
        spec = { ...spec, onHasTask(delegate, current, target, has) {
          if (current === target) window.stable.push([performance.now(), !has.macroTask && !has.microTask]);
          return onHasTask ? onHasTask.call(this, delegate, current, target, has) : delegate.hasTask(target, has);
        } };
      }
      return fork.call(this, spec);
    };
  } });
}

/// Open the app; record its zone's stability, the views and token expiries the page shows, and
/// the console's errors (a restore without a session is a 401 Chromium logs).
async function openApp(ctx) {
  const page = await ctx.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() !== "error" || m.location().url.endsWith("/favicon.ico")) return;
    if (/^Failed to load resource: .* 401 /.test(m.text()) && m.location().url === `${APP}/auth/refresh`) return;
    page.errors.push(m.text());
  });
  await page.addInitScript(watchAngularZone);
  await page.addInitScript(watchViews);
  await page.goto(`${APP}/`);
  await waitFor(() => page.evaluate(() => window.seen.views.some(([v]) => v !== "loading")), { timeout: 20_000, what: "the app to leave its loading state" });
  return page;
}

const seen = (page) => page.evaluate(() => window.seen);
const showing = (page, view, timeout = 5000) =>
  waitFor(async () => { const s = await seen(page); return s.views.at(-1)?.[0] === view && s; }, { timeout, what: `the app to show ${view}` });
async function signIn(page) {
  await page.fill("input[name=username]", "demo");
  await page.fill("input[name=password]", "demo");
  await page.click("form#login button");
}

if (APP) {
  await test("angular app (zone.js, production build): sign in, stable within 2 s and while idle across refreshes, the UI follows silent refreshes, sign out", async () => {
    await post("/__test/reset", {});
    await post("/__test/config", { accessTtl: 2 });
    const ctx = await launch();
    const page = await openApp(ctx);
    assertEq((await seen(page)).views.map(([v]) => v), ["loading", "form"], "loading while restoring, then the sign-in form");
    const clicked = await page.evaluate(() => performance.now());
    await signIn(page);
    await showing(page, "signedIn");
    assertEq(await page.innerText("#user"), "Signed in as demo", "the UI shows the user");
    // Stable (true after the last false) within 2 s of the click.
    const stableAt = await waitFor(() => page.evaluate(() => {
      const last = window.stable.at(-1);
      return last && last[1] === true && last[0];
    }), { timeout: 2500, what: "stable after sign-in" });
    assert(stableAt - clicked < 2000, `stable ${Math.round(stableAt - clicked)} ms after the click`);
    // Idle for at least two silent refreshes (2 s tokens: one every 0.8-1 s).
    const start = await get("/__test/counters");
    await waitFor(async () => (await get("/__test/counters")).refreshes >= start.refreshes + 2, { timeout: 6000, what: "two silent refreshes" });
    await sleep(300);
    const r = await page.evaluate((since) => {
      const unstable = [];
      let from = null;
      for (const [t, v] of window.stable.filter(([t]) => t > since)) {
        if (!v && from === null) from = t;
        if (v && from !== null) { unstable.push(t - from); from = null; }
      }
      return { stableNow: window.stable.at(-1)[1], stillUnstableFor: from === null ? 0 : performance.now() - from,
        longestUnstable: Math.max(0, ...unstable), tokens: window.seen.tokens, text: document.querySelector("#token").textContent.trim() };
    }, stableAt);
    // While idle the zone has no pending macrotask: it only leaves "stable" for the moment a
    // refresh's listener and change detection run.
    assertEq([r.stableNow, r.stillUnstableFor], [true, 0], `stable while idle: ${JSON.stringify(r)}`);
    assert(r.longestUnstable < 500, `no lasting unstable stretch across the refreshes: ${JSON.stringify(r)}`);
    // The page shows each new token: change detection saw the refreshes.
    assert(new Set(r.tokens).size >= 2, `the shown expiry changed after the refreshes: ${JSON.stringify(r.tokens)}`);
    assert(/^Token valid until \d\d:\d\d:\d\d, renewed silently [1-9]\d* times?$/.test(r.text), `token text: ${r.text}`);
    await page.click("#sign-out");
    await showing(page, "form");
    await waitFor(() => page.evaluate(() => window.stable.at(-1)[1]), { timeout: 2000, what: "stable after sign-out" });
    const c = await quiesce({ base: APP });
    assertEq([c.logins, c.logouts, c.apiUnauthorized, c.revokedFamilies], [1, 1, 0, 0], `counters ${JSON.stringify(c)}`);
    assertEq(page.errors, [], "console errors");
  });

  await test("angular app: a reload with a session shows a loading state, never the sign-in form, until the slow restore signs in", async () => {
    await post("/__test/reset", {});
    await post("/__test/config", { accessTtl: 60 });
    const ctx = await launch();
    const page = await openApp(ctx);
    await signIn(page);
    await showing(page, "signedIn");
    await post("/__test/fault", { path: "/auth/refresh", action: "delay", delayMs: 1500 }); // the restore's refresh
    await page.reload();
    const s = await showing(page, "signedIn", 10_000);
    assertEq(s.views.map(([v]) => v), ["loading", "signedIn"], "the views shown during the reload's restore");
    const loading = s.views[1][1] - s.views[0][1];
    assert(loading >= 1000, `the loading state was shown during the whole slow restore (${loading} ms)`);
    const c = await quiesce({ base: APP });
    assertEq([c.logins, c.refreshes, c.revokedFamilies], [1, 1, 0], "server: one login, one refresh (the restore)");
    assertEq(page.errors, [], "console errors");
  });

  await test("angular app, two tabs: one refresh per token lifetime, no lock errors in the console", async () => {
    await post("/__test/reset", {});
    await post("/__test/config", { accessTtl: 3, reuseGrace: 0 });
    const ctx = await launch();
    const tabs = [await openApp(ctx), await openApp(ctx)];
    await signIn(tabs[0]);
    // The other tab hears of the token (BroadcastChannel) and shows it.
    await Promise.all(tabs.map((p) => showing(p, "signedIn")));
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
    // (Each tab's restore on load, before the sign-in, was rejected: no cookie yet.)
    assertEq([before.refreshRejected, c.refreshes - before.refreshes, c.graceReplays, c.revokedFamilies, c.refreshRejected - before.refreshRejected],
      [2, n, 0, 0, 0], `counters ${JSON.stringify(c)}`);
    const shown = await Promise.all(tabs.map((p) => p.innerText("#token")));
    assertEq(shown[0].match(/until (\S+),/)?.[1], shown[1].match(/until (\S+),/)?.[1], `both tabs show the same token's expiry: ${shown}`);
    for (const p of tabs) assertEq(p.errors, [], "console errors (lock, channel)");
  });
} else {
  console.log("E2E_ANGULAR not set: the Angular example app is not driven");
}

summary("angular");
