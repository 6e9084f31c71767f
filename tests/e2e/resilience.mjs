// End-to-end resilience suite (issue: many tabs, sleeping tabs, failing networks).
// Real pages (www/harness.html) in Debian's Chromium via playwright-core, against the mock
// server with --test-controls. Every scenario asserts server counters and what the pages saw,
// and prints the counters it observed.
import { BASE, launch, control, test, summary, assert, assertEq, openHarness, quiesce } from "./lib.mjs";

// Tokens of 4 s refreshed 2 s ahead (1.6–2 s into their life, with the 20 % jitter) wherever a
// test counts the API's 401s: the mock rounds `exp` down to the second, so a token dies up to
// 1 s before `receipt + expires_in`, and a 1 s margin put the refresh at the client's 1 s send
// skew, where a request sent with the old token under load reached the API after `exp`.
const TTL = 4; // seconds
const MARGIN = "?margin=2";
const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 120);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function fresh({ ttl = TTL, grace = 0 } = {}) {
  await control("/__test/reset", {});
  await control("/__test/config", { accessTtl: ttl, reuseGrace: grace });
}

const open = openHarness;

const counters = () => control("/__test/counters");
const report = (name, c) =>
  console.log(`    counters[${name}]: refreshRequests=${c.refreshRequests} refreshes=${c.refreshes} ` +
    `revokedFamilies=${c.revokedFamilies} apiUnauthorized=${c.apiUnauthorized} apiRequests=${c.apiRequests} ` +
    `graceReplays=${c.graceReplays} refreshRejected=${c.refreshRejected}`);

async function seen(page) {
  return page.evaluate(() => ({
    statuses: h.statuses, errors: h.errors, authed: h.auth.isAuthenticated,
    counts: Object.fromEntries(["refreshed", "sessionExpired", "loggedOut", "refreshFailed"].map((e) => [e, h.count(e)])),
  }));
}

function no401(s, what) {
  const bad = s.statuses.filter((x) => x !== 200);
  assert(bad.length === 0 && s.errors.length === 0, `${what}: non-200 seen by the app: ${JSON.stringify(bad)} ${JSON.stringify(s.errors)}`);
}

// ---------------------------------------------------------------------------------------------

await test("five tabs share one refresh per token lifetime, no revocation, no 401", async () => {
  await fresh({ grace: 0 });
  const ctx = await launch();
  const pages = [];
  for (let i = 0; i < 5; i++) pages.push(await open(ctx, MARGIN));
  await pages[0].evaluate(() => h.login());
  await Promise.all(pages.map((p) => p.waitForFunction(() => h.auth.isAuthenticated, null, { timeout: 2000 })));
  const t0 = Date.now();
  await Promise.all(pages.map((p) => p.evaluate(() => { h.loop(250); })));
  await sleep(12000);
  await Promise.all(pages.map((p) => p.evaluate(() => h.stopLoops())));
  const c = await quiesce(); // no refresh in flight when counted
  const seconds = (Date.now() - t0) / 1000;
  report("5 tabs", c);
  for (const p of pages) no401(await seen(p), "tab");
  assertEq(c.revokedFamilies, 0, "revoked families");
  assertEq(c.apiUnauthorized, 0, "401s from the API");
  // A token is replaced once per (lifetime - margin - jitter) ≈ 1.6–2 s, by one tab for all,
  // so one refresh per token lifetime means ~seconds/1.8 refreshes in total, whatever the
  // number of tabs (one per tab would be five times that).
  console.log(`    ${c.refreshRequests} refreshes in ${seconds.toFixed(1)} s for 5 tabs: one per token ` +
    `(expected ~${(seconds / 1.8).toFixed(1)}; one per tab would be ~${((5 * seconds) / 1.8).toFixed(0)})`);
  assert(c.refreshRequests >= Math.floor(seconds / 2) - 1, `refreshes happen: ${c.refreshRequests}`);
  assert(c.refreshRequests <= Math.ceil(seconds / 1.6) + 1, `one refresh for all tabs, not one per tab: ${c.refreshRequests}`);
  await ctx.close();
});

await test("five tabs opened at the same moment restore the session without a revocation", async () => {
  await fresh({ grace: 0 });
  const ctx = await launch();
  const first = await open(ctx);
  await first.evaluate(() => h.login());
  await first.close();
  const pages = await Promise.all(Array.from({ length: 5 }, () => open(ctx, "?restore=1")));
  const restored = await Promise.all(pages.map((p) => p.evaluate(() => h.restored)));
  const c = await counters();
  report("5 restores", c);
  assertEq(restored, [true, true, true, true, true], "every tab restored");
  assertEq(c.revokedFamilies, 0, "revoked families");
  assert(c.refreshRequests <= 5, `at most one refresh per tab: ${c.refreshRequests}`);
  await ctx.close();
});

await test("logout in one tab ends the session in every tab within 1 s", async () => {
  await fresh({ ttl: 30 });
  const ctx = await launch();
  const pages = [];
  for (let i = 0; i < 3; i++) pages.push(await open(ctx));
  await pages[0].evaluate(() => h.login());
  await Promise.all(pages.map((p) => p.waitForFunction(() => h.auth.isAuthenticated, null, { timeout: 2000 })));
  const t0 = Date.now();
  await pages[1].evaluate(() => h.auth.logout());
  await Promise.all(pages.map((p) => p.waitForFunction(() => !h.auth.isAuthenticated && h.count("loggedOut") === 1, null, { timeout: 1000 })));
  const ms = Date.now() - t0;
  const c = await counters();
  report("logout", c);
  console.log(`    all tabs logged out after ${ms} ms`);
  assert(ms <= 1000, `within 1 s: ${ms}`);
  assertEq(c.logouts, 1, "one server logout");
  for (const p of pages) assertEq(await p.evaluate(() => h.auth.accessToken), undefined, "token dropped");
  await ctx.close();
});

await test("without Web Locks and BroadcastChannel each tab still works on its own", async () => {
  await fresh({ ttl: TTL, grace: 10 });
  const ctx = await launch();
  await ctx.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, "locks", { get: () => undefined, configurable: true });
    delete window.BroadcastChannel;
  });
  const pages = [await open(ctx, MARGIN), await open(ctx, MARGIN)];
  assertEq(await pages[0].evaluate(() => [typeof navigator.locks, typeof BroadcastChannel]), ["undefined", "undefined"], "APIs removed");
  await pages[0].evaluate(() => h.login());
  assertEq(await pages[1].evaluate(() => h.auth.restore()), true, "second tab restores from the cookie");
  await Promise.all(pages.map((p) => p.evaluate(() => { h.loop(300); })));
  await sleep(6000);
  await Promise.all(pages.map((p) => p.evaluate(() => h.stopLoops())));
  const c = await quiesce();
  report("no locks/channel", c);
  for (const p of pages) no401(await seen(p), "fallback tab");
  assertEq(c.apiUnauthorized, 0, "no 401");
  // Each tab refreshes for itself now; the grace window absorbs their races.
  assert(c.refreshRequests >= 2, `tabs refreshed: ${c.refreshRequests}`);
  await pages[0].evaluate(() => h.auth.logout());
  assertEq(await pages[1].evaluate(() => h.auth.isAuthenticated), true, "no channel: the other tab learns of the logout only from the server");
});

// ---- refresh faults, one tab each -----------------------------------------------------------

async function faultScenario({ name, grace = 10, ttl = 30, fault, act, check }) {
  await test(`refresh fault: ${name}`, async () => {
    await fresh({ ttl, grace });
    const ctx = await launch();
    const page = await open(ctx);
    await page.evaluate(() => h.login());
    const token = await page.evaluate(() => h.auth.accessToken);
    if (fault) await control("/__test/fault", fault);
    const t0 = Date.now();
    const outcome = await page.evaluate(act);
    const elapsed = Date.now() - t0;
    const c = await quiesce(); // anything still on its way (a late retry) has landed

    report(name, c);
    const s = await seen(page);
    await check({ outcome, elapsed, c, s, page });
    // Never a leak: the token is not in the console, storage or the URL.
    const leaks = await page.evaluate((t) => [localStorage, sessionStorage].some((st) => Object.values(st).some((v) => String(v).includes(t))) || location.href.includes(t) || document.cookie.includes(t), token);
    assert(!leaks && !page.consoleText.some((l) => l.includes(token)), "token leaked");
    await ctx.close();
  });
}

await faultScenario({
  name: "500 x3 then OK",
  fault: { path: "/auth/refresh", action: "status", status: 500, times: 3 },
  act: async () => { await h.auth.refresh(); return h.call(); },
  check: ({ outcome, c, s }) => {
    assertEq(outcome, 200, "request after refresh");
    assertEq([c.refreshRequests, c.refreshes], [4, 1], "3 failures + 1 success, then stop");
    assertEq(s.counts.refreshFailed, 0, "no refreshFailed");
  },
});

await faultScenario({
  name: "429 with Retry-After: 2",
  fault: { path: "/auth/refresh", action: "status", status: 429, retryAfter: "2" },
  act: async () => { await h.auth.refresh(); return h.call(); },
  check: ({ outcome, elapsed, c }) => {
    assertEq(outcome, 200, "request after refresh");
    assert(elapsed >= 2000, `waited for Retry-After: ${elapsed} ms`);
    assertEq(c.refreshRequests, 2, "one retry");
  },
});

await faultScenario({
  name: "connection dropped after the rotation committed, inside the grace window",
  grace: 10,
  fault: { path: "/auth/refresh", action: "commit_then_drop" },
  act: async () => { await h.auth.refresh(); return h.call(); },
  check: ({ outcome, c, s }) => {
    assertEq(outcome, 200, "recovered");
    assertEq([c.refreshRequests, c.graceReplays, c.revokedFamilies], [2, 1, 0], "retry answered from the grace window");
    assert(s.authed, "still signed in");
  },
});

await faultScenario({
  name: "connection dropped after the rotation committed, outside the grace window",
  grace: 0,
  fault: { path: "/auth/refresh", action: "commit_then_drop" },
  act: async () => {
    const r = await h.auth.refresh().then(() => "ok", (e) => e.code);
    await h.call();
    await h.call();
    return r;
  },
  check: ({ outcome, c, s }) => {
    assertEq(outcome, "session_expired", "clean session end");
    assertEq([c.refreshRequests, c.revokedFamilies], [2, 1], "one retry, family revoked, no loop");
    assertEq(s.counts.sessionExpired, 1, "sessionExpired once");
    assert(!s.authed, "signed out");
  },
});

await faultScenario({
  name: "10 s slow refresh while the token expires",
  ttl: 3,
  fault: { path: "/auth/refresh", action: "delay", delayMs: 10000 },
  act: async () => {
    h.loop(500);
    await new Promise((r) => setTimeout(r, 12500));
    await h.stopLoops();
    return h.statuses.length;
  },
  check: ({ outcome, c, s }) => {
    no401(s, "slow refresh");
    assert(outcome >= 5, `requests completed: ${outcome}`);
    assertEq(c.apiUnauthorized, 0, "no 401 from the API");
    assert(c.refreshRequests <= 3, `no refresh pile-up: ${c.refreshRequests}`);
  },
});

await faultScenario({
  name: "malformed JSON from the refresh endpoint",
  fault: { path: "/auth/refresh", action: "status", status: 200, body: "{not json" },
  act: async () => { await h.auth.refresh(); return h.call(); },
  check: ({ outcome, c }) => {
    assertEq(outcome, 200, "recovered");
    assertEq(c.refreshRequests, 2, "retried once");
  },
});

await faultScenario({
  name: "a token without exp",
  fault: { path: "/auth/refresh", action: "token_without_exp" },
  act: async () => {
    await h.auth.refresh();
    const unknown = h.auth.expiresAt === undefined;
    const status = await h.call(); // the API refuses tokens without exp: one refresh + retry
    return { unknown, status };
  },
  check: ({ outcome, c }) => {
    assertEq(outcome, { unknown: true, status: 200 }, "unknown expiry, then recovered on 401");
    assertEq([c.refreshRequests, c.apiUnauthorized], [2, 1], "one reactive refresh");
  },
});

// ---- clocks, sleep, bfcache ----------------------------------------------------------------

for (const shiftHours of [+1, -1]) {
  await test(`device clock ${shiftHours > 0 ? "+" : ""}${shiftHours} h: one refresh per lifetime`, async () => {
    await fresh({ ttl: TTL });
    const ctx = await launch();
    await ctx.addInitScript((shift) => {
      const Real = Date;
      class Shifted extends Real {
        constructor(...a) { if (a.length === 0) super(Real.now() + shift); else super(...a); }
        static now() { return Real.now() + shift; }
      }
      globalThis.Date = Shifted;
    }, shiftHours * 3600e3);
    const page = await open(ctx, MARGIN);
    assert(Math.abs(await page.evaluate(() => Date.now()) - Date.now() - shiftHours * 3600e3) < 5000, "page clock shifted");
    await page.evaluate(() => h.login());
    const t0 = Date.now();
    await page.evaluate(() => { h.loop(300); });
    await sleep(9000);
    await page.evaluate(() => h.stopLoops());
    const c = await quiesce();
    const seconds = (Date.now() - t0) / 1000;
    report(`clock ${shiftHours}h`, c);
    no401(await seen(page), "shifted clock");
    assert(c.refreshRequests >= Math.floor(seconds / 2) - 1 && c.refreshRequests <= Math.ceil(seconds / 1.6) + 1,
      `cadence unchanged: ${c.refreshRequests} in ${seconds.toFixed(1)} s`);
    await ctx.close();
  });
}

await test("sleeping tab: timers suspended past expiry, first request after wake carries a fresh token", async () => {
  await fresh({ ttl: TTL });
  const ctx = await launch();
  try {
    // A model of system sleep: while window.__asleep is set, every timer that comes due is
    // parked instead of run; on wake the parked callbacks run (late), as browsers do.
    await ctx.addInitScript(() => {
      const real = window.setTimeout.bind(window);
      const parked = [];
      window.__asleep = false;
      window.setTimeout = (fn, ms, ...a) => real(() => (window.__asleep ? parked.push(() => fn(...a)) : fn(...a)), ms);
      window.__wake = () => { window.__asleep = false; parked.splice(0).forEach((f) => f()); };
    });
    const page = await open(ctx);
    await page.evaluate(() => h.login());
    await page.evaluate(() => { window.__asleep = true; });
    await sleep((TTL + 1.5) * 1000); // past expiry; the refresh timer came due and was parked
    const during = await counters();
    // Wake: the app's first request goes out before the overdue timers run.
    const status = await page.evaluate(async () => {
      window.__asleep = false;
      const p = h.call();
      window.__wake();
      return p;
    });
    const c = await quiesce(); // the overdue timer's run, had it not joined, has landed too
    report("sleeping tab", c);
    assertEq(during.refreshRequests, 0, "no refresh while asleep");
    assertEq(status, 200, "first request after wake");
    assertEq(c.apiUnauthorized, 0, "it went out with a fresh token, not a 401");
    assertEq(c.refreshRequests, 1, "one refresh on wake (request and overdue timer joined)");
  } finally {
    await ctx.close();
  }
});

await test("bfcache-style pageshow (persisted) after expiry re-validates the session", async () => {
  await fresh({ ttl: TTL });
  const ctx = await launch();
  // Timers longer than 500 ms never fire here (as in a page kept in the back-forward cache).
  await ctx.addInitScript(() => {
    const real = window.setTimeout;
    window.setTimeout = (fn, ms, ...a) => (ms > 500 ? 0 : real(fn, ms, ...a));
  });
  const page = await open(ctx);
  await page.evaluate(() => h.login());
  await sleep((TTL + 0.5) * 1000);
  const before = await counters();
  const expired = await page.evaluate(() => h.auth.expiresAt <= Date.now());
  await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent("pageshow", { persisted: true })));
  await page.waitForFunction(() => h.count("refreshed") === 1 && h.auth.expiresAt > Date.now(), null, { timeout: 2000 });
  const c = await quiesce();
  report("pageshow", c);
  assertEq([before.refreshRequests, expired], [0, true], "expired with no timer refresh");
  assertEq(c.refreshRequests, 1, "re-validated by pageshow alone");
  await ctx.close();
});

await test(`soak: 4 request loops for ${SOAK_SECONDS} s with ${TTL} s tokens, zero 401`, async () => {
  await fresh({ ttl: TTL, grace: 0 });
  const ctx = await launch();
  const pages = [await open(ctx, MARGIN), await open(ctx, MARGIN)];
  await pages[0].evaluate(() => h.login());
  await pages[1].waitForFunction(() => h.auth.isAuthenticated, null, { timeout: 2000 });
  for (const p of pages) await p.evaluate(() => { h.loop(50); h.loop(120); });
  await sleep(SOAK_SECONDS * 1000);
  for (const p of pages) await p.evaluate(() => h.stopLoops());
  const c = await quiesce();
  report("soak", c);
  let total = 0;
  for (const p of pages) {
    const s = await seen(p);
    total += s.statuses.length;
    no401(s, "soak");
  }
  console.log(`    ${total} requests, ${c.refreshRequests} refreshes in ${SOAK_SECONDS} s`);
  assertEq([c.apiUnauthorized, c.revokedFamilies], [0, 0], "no 401, no revocation");
  // A token lives 1.6–2 s before its refresh (4 s, margin 2 s, up to 20 % earlier).
  assert(c.refreshRequests <= Math.ceil(SOAK_SECONDS / 1.6) + 2, `refresh cadence: ${c.refreshRequests}`);
  await ctx.close();
});

summary("e2e");
