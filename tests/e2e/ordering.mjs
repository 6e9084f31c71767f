// End-to-end ordering suite (issue 10): recovery after a failed refresh run, one scheduler,
// session ordering across an account switch, logouts, stale cross-tab news, one `refreshed`
// per token, two managers in one page. Real pages (www/harness.html) in Debian's Chromium via
// playwright-core, against the mock server with --test-controls and the users demo, alice and
// bob (scripts/test.sh). The races are made deterministic with server faults (`delay`,
// `commit_then_delay`) and, where a tab must be slow to hear its peers, ?channelDelay.
// h–m (found in review): a tab that restored its session (and never heard of the login) logs
// out; logout right after an unawaited login; a login under the lock meets a peer's token;
// crossTab: false still orders login against refresh; a backoff sleep must not hold the lock.
import { launch, control, test, summary, assert, assertEq, sleep, openHarness as open, waitUntil, waitFor, quiesce } from "./lib.mjs";

async function fresh({ ttl = 30, grace = 10 } = {}) {
  await control("/__test/reset", {});
  await control("/__test/config", { accessTtl: ttl, reuseGrace: grace });
}

const counters = () => control("/__test/counters");
const requests = () => control("/__test/requests");
const report = (name, c) =>
  console.log(`    counters[${name}]: refreshRequests=${c.refreshRequests} refreshes=${c.refreshes} ` +
    `refreshRejected=${c.refreshRejected} logins=${c.logins} logouts=${c.logouts} ` +
    `apiRequests=${c.apiRequests} apiUnauthorized=${c.apiUnauthorized} revokedFamilies=${c.revokedFamilies}`);
const authed = (page) => page.evaluate(() => h.auth.isAuthenticated);
// An expression for page.evaluate that starts `promiseExpr` and keeps its outcome (its value,
// "ok" for undefined, or "error:<code>") in a promise; wrap it in `void (…)` so that evaluate
// does not wait for it.
const settle = (promiseExpr) =>
  `${promiseExpr}.then((v) => (v === undefined ? "ok" : v), (e) => "error:" + (e && e.code ? e.code : e))`;
// The outcome kept by `settle`, once there (or "pending" after `timeoutMs`).
const outcome = async (page, name, timeoutMs) => {
  try {
    await page.waitForFunction((n) => h[n] !== undefined, name, { timeout: timeoutMs });
  } catch {
    return "pending";
  }
  return page.evaluate((n) => h[n], name);
};
const state = (page) => page.evaluate(() => ({ authed: h.auth.isAuthenticated, sub: h.auth.claims?.sub ?? null }));
const endEvents = (page) => page.evaluate(() => ({ loggedOut: h.count("loggedOut"), sessionExpired: h.count("sessionExpired") }));
// Both tabs signed out, polled until `timeoutMs` (then the caller's assertion reports them).
const bothSignedOut = (A, B, timeoutMs) =>
  waitFor(async () => !(await authed(A)) && !(await authed(B)), { timeout: timeoutMs, soft: true });
// ORDERING_ONLY=a,d runs only those scenarios (while working on one).
const only = process.env.ORDERING_ONLY?.split(",");
const scenario = (id, name, fn) => (only && !only.includes(id) ? undefined : test(`${id}. ${name}`, fn));

// ---------------------------------------------------------------------------------------------

await scenario("a", "after one failed run (503 x4) while the token expires, the next five requests are 200, refreshFailed once", async () => {
  await fresh({ ttl: 4 });
  const ctx = await launch();
  const page = await open(ctx);
  await page.evaluate(() => h.login());
  await control("/__test/fault", { path: "/auth/refresh", action: "status", status: 503, times: 4 });
  // The timer's run (due ~2 s in) makes 4 attempts with backoff and gives up, around expiry.
  await page.waitForFunction(() => h.count("refreshFailed") >= 1, null, { timeout: 15000 });
  await page.waitForFunction(() => h.auth.expiresAt === undefined || h.auth.expiresAt <= Date.now(), null, { timeout: 6000 });
  const before = await counters();
  assertEq(before.refreshRequests, 4, "the failed run used the four 503s");
  const statuses = await page.evaluate(async () => {
    const out = [];
    for (let i = 0; i < 5; i++) out.push(await h.call());
    return out;
  });
  const failed = await page.evaluate(() => h.count("refreshFailed"));
  const c = await counters();
  report("503x4", c);
  console.log(`    statuses after recovery: ${JSON.stringify(statuses)}; refreshFailed fired ${failed}x`);
  assertEq(statuses, [200, 200, 200, 200, 200], "requests after the server recovered");
  assertEq(failed, 1, "refreshFailed once per failed run, not per request");
});

await scenario("b", "focus events during a slow refresh arm fewer than 20 timers", async () => {
  await fresh({ ttl: 4 });
  const ctx = await launch();
  const page = await open(ctx, "?countTimers=1");
  await page.evaluate(() => h.login());
  await control("/__test/fault", { path: "/auth/refresh", action: "delay", delayMs: 3000 });
  // The timer's run (due ~2 s in) is now held at the server for 3 s.
  await waitUntil(async () => (await counters()).refreshRequests >= 1, 5000, "the timer's refresh");
  const r = await page.evaluate(async () => {
    h.timers.start();
    const t0 = performance.now();
    let focus = 0;
    while (performance.now() - t0 < 2000) {
      window.dispatchEvent(new Event("focus"));
      focus++;
      await h.sleep(50);
    }
    const armed = h.timers.stop();
    return { armed, focus, zeroDelay: h.timers.delays.filter((d) => !d).length };
  });
  const c = await counters();
  report("focus", c);
  console.log(`    ${r.focus} focus events in 2 s during the run: ${r.armed} setTimeout calls (${r.zeroDelay} with delay 0)`);
  assertEq(c.refreshRequests, 1, "still the one run in flight");
  assert(r.armed < 20, `fewer than 20 timers armed during the run: ${r.armed}`);
  await page.waitForFunction(() => h.count("refreshed") === 1, null, { timeout: 5000 });
});

await scenario("c", "account switch while A's refresh answer is held: B's session survives A's late answer", async () => {
  await fresh({ ttl: 30 });
  const ctx = await launch();
  const page = await open(ctx);
  await page.evaluate(() => h.login("alice"));
  assertEq(await page.evaluate(() => h.auth.claims.sub), "alice", "signed in as alice");
  await control("/__test/fault", { path: "/auth/refresh", action: "commit_then_delay", delayMs: 1500 });
  await page.evaluate(`void (h.held = ${settle("h.auth.refresh()")})`);
  await waitUntil(async () => (await counters()).refreshes >= 1, 3000, "alice's rotation committed");
  const switched = await page.evaluate(async () => {
    const out = await h.auth.logout().then((v) => v, (e) => "error:" + e.code);
    const login = await h.login("bob").then(() => "ok", (e) => "error:" + e.code);
    return { out, login, sub: h.auth.claims?.sub };
  });
  // Quiescence: alice's held refresh has settled (its own promise) and nothing is left at the
  // server.
  const held = await outcome(page, "held", 5000);
  await quiesce();
  const afterHeld = await page.evaluate(() => ({ sub: h.auth.claims?.sub, authed: h.auth.isAuthenticated }));
  const next = await page.evaluate(async () => {
    const r = await h.auth.refresh().then(() => "ok", (e) => "error:" + e.code);
    return { r, sub: h.auth.claims?.sub, authed: h.auth.isAuthenticated, me: await h.call() };
  });
  const c = await counters();
  report("switch", c);
  console.log(`    logout+login: ${JSON.stringify(switched)}; alice's held refresh: ${held}; ` +
    `after it: ${JSON.stringify(afterHeld)}; next refresh: ${JSON.stringify(next)}`);
  assertEq(switched.login, "ok", "bob's login");
  assertEq(afterHeld, { sub: "bob", authed: true }, "after alice's held answer landed");
  assertEq(next, { r: "ok", sub: "bob", authed: true, me: 200 }, "a following refresh keeps bob signed in");
});

// d. Tab B refreshes (its answer held 1 s by commit_then_delay); tab A logs out `offset` ms
// after the server committed B's rotation. B is a busy tab that hears its peers late (?channelDelay): A's `ended` reaches it
// 300 ms after its own refresh answer has landed, whatever the offset. (A must neither take up
// B's late token nor have it re-sign it in; B must end too.)
const HOLD = 1000, TTL_D = 4;
for (const offset of [0, 200, 800]) {
  const lag = HOLD - offset + 300;
  await scenario("d", `logout in tab A ${offset} ms into tab B's held refresh answer (B hears ${lag} ms late): no tab signed in, no refresh succeeds after the logout`, async () => {
    await fresh({ ttl: TTL_D, grace: 10 });
    const ctx = await launch();
    const A = await open(ctx, "?margin=1");
    const B = await open(ctx, `?margin=1&channelDelay=${lag}`);
    await A.evaluate(() => h.login());
    await B.waitForFunction(() => h.auth.isAuthenticated, null, { timeout: lag + 3000 });
    await control("/__test/fault", { path: "/auth/refresh", action: "commit_then_delay", delayMs: HOLD });
    await B.evaluate(`void (h.held = ${settle("h.auth.refresh()")})`);
    await waitUntil(async () => (await counters()).refreshes >= 1, 3000, "B's rotation committed");
    await sleep(offset); // B's answer is held from about now for HOLD ms
    await A.evaluate(`void (h.out = ${settle("h.auth.logout()")})`);
    // Quiescence, before a timer could notice a token taken up by mistake (due ~2.8 s after the
    // held answer): A's logout and B's held refresh have settled (their own promises), both
    // tabs are signed out (B once A's `ended` reaches it), and the server has been quiet for
    // longer than B's channel lag (nothing still on its way to B).
    const settled = { A: await outcome(A, "out", HOLD + 3000), B: await outcome(B, "held", HOLD + 3000) };
    await bothSignedOut(A, B, lag + 2000);
    await quiesce({ quietMs: lag + 100, timeout: lag + 1500 });
    const soon = { A: await authed(A), B: await authed(B) };
    await sleep(TTL_D * 1000 + 500); // one more token lifetime
    const c = await quiesce(); // a refresh still in flight has its status
    const later = { A: await authed(A), B: await authed(B) };
    const reqs = await requests();
    report(`logout +${offset} ms`, c);
    const logout = reqs.find((r) => r.path === "/auth/logout");
    const refreshes = reqs.filter((r) => r.path === "/auth/refresh")
      .map((r) => ({ seq: r.seq, status: r.status, fault: r.fault, afterLogout: !!logout && r.seq > logout.seq }));
    console.log(`    authenticated once settled: ${JSON.stringify(soon)}; after one more ` +
      `token lifetime: ${JSON.stringify(later)}; logout: ${settled.A}, B's refresh: ${settled.B}; ` +
      `refreshes: ${JSON.stringify(refreshes)}`);
    assert(logout, "the server saw the logout");
    assertEq(soon, { A: false, B: false }, "no tab signed in after the logout");
    assertEq(later, { A: false, B: false }, "still none after one more token lifetime");
    const succeeded = refreshes.filter((r) => r.afterLogout && r.status === 200);
    assertEq(succeeded, [], "refreshes answered 200 after the logout");
  });
}

await scenario("e", "a stale `ended` re-posted after a new login does not end it", async () => {
  await fresh({ ttl: 30 });
  const ctx = await launch();
  const A = await open(ctx);
  const B = await open(ctx, "?listen=1");
  await A.evaluate(() => h.login());
  await B.waitForFunction(() => h.auth.isAuthenticated, null, { timeout: 3000 });
  await A.evaluate(() => h.auth.logout());
  await B.waitForFunction(() => !h.auth.isAuthenticated && h.channel.seen.some((m) => m.t === "ended"), null, { timeout: 3000 });
  const index = await B.evaluate(() => h.channel.seen.map((m) => m.t).lastIndexOf("ended"));
  const recorded = await B.evaluate((i) => h.channel.seen[i], index);
  await B.evaluate(() => h.login());
  await A.waitForFunction(() => h.auth.isAuthenticated, null, { timeout: 3000 });
  const before = { A: await A.evaluate(() => h.count("loggedOut")), B: await B.evaluate(() => h.count("loggedOut")) };
  // Delivery barrier: a channel of our own in each tab (opened after the managers' channels)
  // counts the re-posted message; then the server stays quiet for 400 ms.
  const name = await B.evaluate(() => h.channel.name);
  for (const p of [A, B]) {
    await p.evaluate((n) => { h.barrier = 0; h.barrierChannel = new BroadcastChannel(n); h.barrierChannel.onmessage = () => h.barrier++; }, name);
  }
  await B.evaluate((i) => h.channel.repost(i), index);
  await waitFor(async () => (await A.evaluate(() => h.barrier)) >= 1 && (await B.evaluate(() => h.barrier)) >= 1,
    { timeout: 3000, what: "the re-posted `ended` delivered to both tabs" });
  await quiesce({ quietMs: 400 });
  const after = {
    A: await A.evaluate(() => ({ authed: h.auth.isAuthenticated, loggedOut: h.count("loggedOut") })),
    B: await B.evaluate(() => ({ authed: h.auth.isAuthenticated, loggedOut: h.count("loggedOut") })),
  };
  console.log(`    re-posted ${JSON.stringify(recorded)}; loggedOut before ${JSON.stringify(before)}; after: ${JSON.stringify(after)}`);
  assertEq(after, { A: { authed: true, loggedOut: before.A }, B: { authed: true, loggedOut: before.B } }, "both tabs stay signed in");
});

await scenario("f", "three tabs, 12 s of 4 s tokens: one `refreshed` per adopted token per tab", async () => {
  await fresh({ ttl: 4, grace: 0 });
  const ctx = await launch();
  const pages = [];
  for (let i = 0; i < 3; i++) pages.push(await open(ctx, "?margin=1"));
  // Each refresh holds the lock 300 ms: a tab whose timer comes due meanwhile waits for it
  // and then finds the peer's token.
  await control("/__test/fault", { path: "/auth/refresh", action: "delay", delayMs: 300, times: 1000 });
  await pages[0].evaluate(() => h.login());
  await Promise.all(pages.map((p) => p.waitForFunction(() => h.auth.isAuthenticated, null, { timeout: 3000 })));
  for (const p of pages) {
    await p.evaluate(() => {
      h.mark = h.events.length;
      // Every token the tab holds (by jti), sampled every 20 ms.
      h.seenJti = new Set();
      h.watch = true;
      (async () => { while (h.watch) { const j = h.auth.claims?.jti; if (j) h.seenJti.add(j); await h.sleep(20); } })();
    });
  }
  const loginJti = await pages[0].evaluate(() => h.auth.claims.jti);
  await sleep(12000);
  const c = await quiesce(); // no refresh in flight (each is held 300 ms)
  report("3 tabs", c);
  const results = [];
  for (const p of pages) {
    results.push(await p.evaluate((login) => {
      h.watch = false;
      const ids = h.events.slice(h.mark).filter((e) => e.ev === "refreshed").map((e) => e.jti);
      const held = [...h.seenJti].filter((j) => j !== login);
      return { events: ids.length, distinct: new Set(ids).size, held: held.length, missing: held.filter((j) => !ids.includes(j)).length };
    }, loginJti));
  }
  console.log(`    per tab {refreshed events, distinct tokens in them, tokens held, held without an event}: ${JSON.stringify(results)}`);
  assertEq(c.revokedFamilies, 0, "no revocation");
  for (const [i, r] of results.entries()) {
    assert(r.distinct >= 2, `tab ${i} took up new tokens: ${JSON.stringify(r)}`);
    assertEq(r.events, r.distinct, `tab ${i}: refreshed events = distinct tokens adopted`);
    assertEq(r.missing, 0, `tab ${i}: every token it held was announced`);
  }
});

await scenario("g", "two managers in one page: b.restore() then a.logout() leaves a signed out", async () => {
  await fresh({ ttl: 30 });
  const ctx = await launch();
  const page = await open(ctx, "?second=1");
  await page.evaluate(() => h.login());
  await page.waitForFunction(() => h.auth2.isAuthenticated, null, { timeout: 3000 });
  const r = await page.evaluate(async () => {
    const restored = await h.auth2.restore();
    const out = await h.auth.logout();
    return { restored, out, now: h.auth.isAuthenticated };
  });
  await quiesce(); // whatever b's restore or a's logout set off has landed
  Object.assign(r, await page.evaluate(() => ({ later: h.auth.isAuthenticated, b: h.auth2.isAuthenticated })));
  console.log(`    ${JSON.stringify(r)}`);
  assertEq(r, { restored: true, out: true, now: false, later: false, b: false }, "after a.logout()");
});

// ---- h–m: interleavings found in review (restored tabs, logout racing login, the lock) ------

await scenario("h", "a restored tab's logout ends the tab that logged in (loggedOut there, /api/me sent without a token)", async () => {
  await fresh({ ttl: 30 });
  const ctx = await launch();
  const B = await open(ctx);
  await B.evaluate(() => h.login());
  // A restores from the cookie B's login set: it never heard of B's login.
  const A = await open(ctx);
  const restored = await A.evaluate(() => h.auth.restore().then((v) => v, (e) => "error:" + e.code));
  const out = await A.evaluate(() => h.auth.logout());
  const t0 = Date.now();
  await B.waitForFunction(() => !h.auth.isAuthenticated, null, { timeout: 300 }).catch(() => {});
  const b = await state(B);
  const waited = Date.now() - t0;
  const seqBefore = Math.max(0, ...(await requests()).map((r) => r.seq));
  const me = await B.evaluate(() => h.call());
  const meReq = (await requests()).filter((r) => r.path === "/api/me" && r.seq > seqBefore)
    .map((r) => ({ status: r.status, hasAuthorization: r.hasAuthorization }));
  const events = await endEvents(B);
  console.log(`    restore: ${restored}; logout: ${out}; B ${waited} ms later: ${JSON.stringify(b)}; ` +
    `B's /api/me: ${me} ${JSON.stringify(meReq)}; B's end events: ${JSON.stringify(events)}`);
  assertEq(restored, true, "A restored the session");
  assertEq(out, true, "the server confirmed the logout");
  assertEq(b.authed, false, "B is signed out within 300 ms of A's logout");
  assert(me === 401 || String(me).startsWith("error:"), `B's /api/me after the logout: ${me}`);
  assertEq(meReq.filter((r) => r.hasAuthorization), [], "B's /api/me carried no token");
  assertEq(events, { loggedOut: 1, sessionExpired: 0 }, "B fired loggedOut, not sessionExpired");
});

await scenario("i", "a restored tab logs out 200 ms into the logged-in tab's held refresh answer: no tab signed in, logout confirmed", async () => {
  const TTL = 3, HOLD_I = 1000;
  await fresh({ ttl: TTL, grace: 10 });
  const ctx = await launch();
  const B = await open(ctx, "?margin=1");
  await B.evaluate(() => h.login());
  const A = await open(ctx, "?margin=1");
  const restored = await A.evaluate(() => h.auth.restore().then((v) => v, (e) => "error:" + e.code));
  const base = (await counters()).refreshes;
  await control("/__test/fault", { path: "/auth/refresh", action: "commit_then_delay", delayMs: HOLD_I });
  await B.evaluate(`void (h.held = ${settle("h.auth.refresh()")})`);
  await waitUntil(async () => (await counters()).refreshes > base, 3000, "B's rotation committed");
  const t0 = Date.now(); // B's answer is held until about t0 + HOLD_I
  await sleep(200);
  await A.evaluate(`void (h.out = ${settle("h.auth.logout()")})`);
  // Quiescence, well before a token taken up by mistake would be refreshed: A's logout and B's
  // held refresh have settled (their own promises), both tabs are signed out, and the server
  // is quiet.
  const settled = { A: await outcome(A, "out", HOLD_I + 2000), B: await outcome(B, "held", HOLD_I + 2000) };
  await bothSignedOut(A, B, 2000);
  await quiesce({ timeout: 1500 });
  const soon = { A: await authed(A), B: await authed(B) };
  // One token lifetime past the held answer: a token taken up by mistake has been refreshed
  // (or rejected) by now.
  await sleep(Math.max(0, t0 + HOLD_I + TTL * 1000 + 500 - Date.now()));
  await quiesce(); // a refresh still in flight has its status
  const later = { A: await authed(A), B: await authed(B) };
  const reqs = await requests();
  const logout = reqs.find((r) => r.path === "/auth/logout");
  const after = reqs.filter((r) => r.path === "/auth/refresh" && logout && r.seq > logout.seq).map((r) => r.status);
  const events = await endEvents(B);
  console.log(`    restore: ${restored}; authenticated once settled: ${JSON.stringify(soon)}; ` +
    `after one more token lifetime: ${JSON.stringify(later)}; logout: ${settled.A}, B's refresh: ${settled.B}; ` +
    `refresh statuses after the logout: ${JSON.stringify(after)}; B's end events: ${JSON.stringify(events)}`);
  assertEq(restored, true, "A restored the session");
  assert(logout, "the server saw the logout");
  assertEq(settled.A, true, "logout() resolved true");
  assertEq(soon, { A: false, B: false }, "no tab signed in after the logout and B's held answer");
  assertEq(later, { A: false, B: false }, "still none after one more token lifetime");
  assertEq(after.filter((s) => s === 200), [], "refreshes answered 200 after the logout");
  assertEq(events, { loggedOut: 1, sessionExpired: 0 }, "B fired loggedOut, not sessionExpired");
});

for (const variant of ["one manager: auth.login(); auth.logout()", "two managers in one page: a.login(); b.logout()"]) {
  const two = variant.startsWith("two");
  await scenario("j", `logout right after login wins (${variant}, the login not awaited)`, async () => {
    await fresh({ ttl: 30 });
    const ctx = await launch();
    const page = await open(ctx, two ? "?second=1" : "");
    const r = await page.evaluate(async (two) => {
      const a = h.auth, b = two ? h.auth2 : h.auth;
      const login = h.login("demo", a).then(() => "ok", (e) => "error:" + e.code);
      const out = b.logout().then((v) => v, (e) => "error:" + e.code);
      return { login: await login, out: await out };
    }, two);
    await quiesce(); // both settled (their own promises); whatever they set off has landed
    r.authed = await page.evaluate((two) => (two ? [h.auth.isAuthenticated, h.auth2.isAuthenticated] : [h.auth.isAuthenticated]), two);
    const restore = await page.evaluate(() => h.auth.restore().then((v) => v, (e) => "error:" + e.code));
    const afterRestore = await page.evaluate((two) => (two ? [h.auth.isAuthenticated, h.auth2.isAuthenticated] : [h.auth.isAuthenticated]), two);
    const c = await counters();
    console.log(`    ${JSON.stringify(r)}; next restore(): ${restore}, authenticated then: ${JSON.stringify(afterRestore)}; ` +
      `logins=${c.logins} logouts=${c.logouts}`);
    assert(r.login === "ok" || r.login === "error:aborted", `the login resolves or rejects with aborted: ${r.login}`);
    assertEq(r.authed, two ? [false, false] : [false], "no manager signed in once both settled");
    assertEq(restore, false, "the next restore() finds no session");
    assertEq(afterRestore, two ? [false, false] : [false], "still no manager signed in");
  });
}

await scenario("k", "a login under the lock is not aborted by a peer's token (C logs in as bob during A's refresh as alice)", async () => {
  await fresh({ ttl: 30 });
  const ctx = await launch();
  const A = await open(ctx);
  await A.evaluate(() => h.login("alice"));
  const C = await open(ctx, "?channelDelay=300"); // anonymous; hears its peers 300 ms late
  await control("/__test/fault", { path: "/auth/login", action: "delay", delayMs: 1000 });
  await A.evaluate(`void (h.r = ${settle("h.auth.refresh()")})`);
  await C.evaluate(`void (h.l = ${settle('h.login("bob")')})`);
  const login = await outcome(C, "l", 3000);
  // Quiescence: A's refresh has settled (its own promise), C's token has reached A, and the
  // server has been quiet for longer than C's channel lag (nothing still on its way to C).
  await outcome(A, "r", 5000);
  await waitFor(async () => (await state(A)).sub === "bob", { timeout: 3000, soft: true });
  await quiesce({ quietMs: 500 });
  const settled = { refresh: await A.evaluate(() => h.r), A: await state(A), C: await state(C) };
  const next = await C.evaluate(() => h.auth.refresh().then(() => "ok", (e) => "error:" + e.code));
  await quiesce({ quietMs: 400 }); // C's token has reached A; nothing still on its way to C
  const after = { A: await state(A), C: await state(C) };
  console.log(`    C's login(bob): ${login}; settled: ${JSON.stringify(settled)}; next refresh in C: ${next}, ` +
    `then ${JSON.stringify(after)}`);
  assertEq(login, "ok", "C's login resolves");
  assertEq({ A: settled.A.sub, C: settled.C.sub }, { A: "bob", C: "bob" }, "both tabs in bob's session");
  assertEq(next, "ok", "the following refresh");
  assertEq({ A: after.A.sub, C: after.C.sub }, { A: "bob", C: "bob" }, "the following refresh keeps bob");
});

await scenario("l", "crossTab: false still serialises login against refresh (account switch alice → bob, refresh during the login POST)", async () => {
  await fresh({ ttl: 30 });
  const ctx = await launch();
  const A = await open(ctx, "?crossTab=0");
  await A.evaluate(() => h.login("alice"));
  await control("/__test/fault", { path: "/auth/login", action: "delay", delayMs: 500 });
  await control("/__test/fault", { path: "/auth/refresh", action: "commit_then_delay", delayMs: 1500 });
  const r = await A.evaluate(async () => {
    const login = h.login("bob").then(() => "ok", (e) => "error:" + e.code);
    await h.sleep(100);
    const refresh = h.auth.refresh().then(() => "ok", (e) => "error:" + e.code);
    return { login: await login, refresh: await refresh, sub: h.auth.claims?.sub ?? null };
  });
  await quiesce(); // both settled (their own promises); whatever they set off has landed
  const settled = await state(A);
  const next = await A.evaluate(async () => {
    const r = await h.auth.refresh().then(() => "ok", (e) => "error:" + e.code);
    return { r, sub: h.auth.claims?.sub ?? null };
  });
  console.log(`    login(bob) + refresh: ${JSON.stringify(r)}; settled: ${JSON.stringify(settled)}; next refresh: ${JSON.stringify(next)}`);
  assertEq(r.login, "ok", "bob's login");
  assertEq(settled, { authed: true, sub: "bob" }, "after both settled");
  assertEq(next, { r: "ok", sub: "bob" }, "a following refresh keeps bob");
});

await scenario("m", "a backoff sleep (503, Retry-After: 3) does not hold the cross-tab lock: a new tab's restore() resolves true within 1 s", async () => {
  await fresh({ ttl: 30 });
  const ctx = await launch();
  const A = await open(ctx);
  await A.evaluate(() => h.login());
  const B = await open(ctx); // opened after the login: anonymous
  await control("/__test/fault", { path: "/auth/refresh", action: "status", status: 503, retryAfter: "3", times: 1 });
  await A.evaluate(`void (h.r = ${settle("h.auth.refresh()")})`);
  await waitUntil(async () => (await requests()).some((r) => r.path === "/auth/refresh" && r.status === 503), 3000, "A's 503");
  // A has taken the 503 in: its run let go of the cross-tab lock for its ~3 s backoff sleep
  // (were the lock kept, B's restore below would wait for it and take too long).
  await waitFor(() => A.evaluate(async () => (await navigator.locks.query()).held.length === 0), { timeout: 1000, soft: true });
  const r = await B.evaluate(async () => {
    const t0 = performance.now();
    const v = await h.auth.restore().then((v) => v, (e) => "error:" + e.code);
    return { restored: v, ms: Math.round(performance.now() - t0) };
  });
  const a = await outcome(A, "r", 5000);
  const statuses = (await requests()).filter((q) => q.path === "/auth/refresh").map((q) => q.status);
  console.log(`    B's restore(): ${JSON.stringify(r)}; A's refresh: ${a}; refresh statuses: ${JSON.stringify(statuses)}; ` +
    `A ${JSON.stringify(await state(A))}, B ${JSON.stringify(await state(B))}`);
  assertEq(r.restored, true, "B's restore()");
  assert(r.ms < 1000, `B's restore() resolved within 1 s of A's 503 (took ${r.ms} ms)`);
  assertEq(a, "ok", "A's refresh still ends well");
});

summary("ordering");
