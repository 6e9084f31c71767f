// Angular and zone.js. zone.js (loaded first, as every zone-based Angular app does) patches
// Promise, setTimeout, fetch, EventTarget and more; the manager must work under it.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BASE, launch, control, test, summary, assertEq } from "./lib.mjs";

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

summary("angular");
