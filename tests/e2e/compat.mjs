// Compatibility with the servers people already run: real frameworks from PyPI (compat/),
// each configured as its docs recommend for browser clients, with the README's "Server
// recipes" options (compat/page.html). Per framework: login, 13 s of requests over 4 s tokens
// with no non-200, a 30-request burst on an expired token with one refresh, restore() from the
// cookie in a new manager, and logout after which the old refresh cookie no longer works.
// Usage: COMPAT_FLASK=http://... COMPAT_DJANGO=http://... node tests/e2e/compat.mjs
import { launch, test, summary, assert, assertEq } from "./lib.mjs";

const FRAMEWORKS = {
  flask: { base: process.env.COMPAT_FLASK, refresh: "/auth/refresh", cookie: "refresh_token_cookie", form: true },
  django: { base: process.env.COMPAT_DJANGO, refresh: "/auth/token/refresh/", cookie: "refresh-token", form: false },
};

for (const [fw, cfg] of Object.entries(FRAMEWORKS)) {
  if (!cfg.base) continue;
  await test(`${fw}: login, 13 s over 4 s tokens, burst, restore, logout revokes the cookie`, async () => {
    const ctx = await launch();
    const page = await ctx.newPage();
    const pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    await page.goto(`${cfg.base}/?fw=${fw}`);
    await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: 20_000 });

    // 1. Login (flask: a form-encoded URLSearchParams body; django: JSON), then 13 s of requests.
    const loop = await page.evaluate(async (form) => {
      const creds = form ? new URLSearchParams({ username: "demo", password: "demo" }) : { username: "demo", password: "demo" };
      await h.auth.login(creds);
      const sub = h.auth.claims?.sub ?? h.auth.claims?.user_id;
      let failedRuns = 0;
      h.auth.on("refreshFailed", () => failedRuns++);
      const looping = h.loop(250);
      await new Promise((r) => setTimeout(r, 13_000));
      h.running = false;
      await looping; // the loop's last request has its answer
      // Quiescence: no refresh in flight, i.e. every refresh request sent (h.refreshes, counted
      // by the transport when it goes out) has its outcome: `refreshed`, or a failed run. The
      // timer keeps refreshing, so this is read in the tick that finds it. (A run that retried
      // never balances: after 10 s the numbers go to the assertion as they are.)
      const end = Date.now() + 10_000;
      while (h.refreshes.n !== h.events.length + failedRuns && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      return { sub, statuses: h.statuses, errors: h.errors, refreshed: h.events.length, refreshes: h.refreshes.n };
    }, cfg.form);
    const bad = loop.statuses.filter((s) => s !== 200);
    assert(loop.statuses.length >= 40 && bad.length === 0 && loop.errors.length === 0,
      `${fw}: ${loop.statuses.length} requests, non-200: ${JSON.stringify(bad)} ${JSON.stringify(loop.errors)}`);
    assert(loop.refreshes >= 3 && loop.refreshed === loop.refreshes, `${fw}: refreshed on time: ${JSON.stringify({ ...loop, statuses: loop.statuses.length })}`);
    console.log(`    ${fw}: ${loop.statuses.length} requests in 13 s, all 200; ${loop.refreshes} refreshes (rotations)`);

    // 2. A 30-request burst on an expired token: one refresh.
    const burst = await page.evaluate(async () => {
      h.auth.dispose(); // the looping manager stops (its session stays in the cookie)
      const b = h.make({ autoRefresh: false });
      await b.restore();
      await new Promise((r) => setTimeout(r, 4_200)); // the 4 s token is dead
      const before = h.refreshes.n;
      const statuses = await Promise.all(Array.from({ length: 30 }, () => b.fetch("/api/me").then((r) => r.status)));
      const out = { ok: statuses.filter((s) => s === 200).length, refreshes: h.refreshes.n - before };
      b.dispose();
      return out;
    });
    assertEq(burst, { ok: 30, refreshes: 1 }, `${fw}: burst on an expired token`);

    // 3. restore() from the cookie in a new manager.
    const restored = await page.evaluate(async () => {
      const c = h.make();
      const ok = await c.restore();
      const status = (await c.fetch("/api/me")).status;
      window.c = c;
      return { ok, status };
    });
    assertEq(restored, { ok: true, status: 200 }, `${fw}: restore() from the cookie`);

    // 4. Logout: afterwards the refresh cookie it had no longer works (replayed from outside).
    const jar = await ctx.cookies(cfg.base + cfg.refresh); // the refresh cookie is scoped to the auth path
    const refreshCookie = jar.find((c) => c.name === cfg.cookie);
    const csrf = jar.find((c) => c.name === "csrf_refresh_token");
    assert(refreshCookie?.httpOnly, `${fw}: the refresh cookie is HttpOnly: ${JSON.stringify(jar.map((c) => [c.name, c.httpOnly]))}`);
    const out = await page.evaluate(async () => {
      const confirmed = await c.logout();
      const again = await h.make().restore();
      return { confirmed, again };
    });
    assertEq(out, { confirmed: true, again: false }, `${fw}: logout confirmed, no session after it`);
    const replay = await fetch(cfg.base + cfg.refresh, {
      method: "POST",
      headers: { cookie: `${refreshCookie.name}=${refreshCookie.value}`, ...(csrf ? { "X-CSRF-TOKEN": csrf.value } : {}), "content-type": "application/json" },
      body: "{}",
    });
    assertEq(replay.status, 401, `${fw}: the logged-out refresh cookie replayed`);
    assertEq(pageErrors, [], `${fw}: page errors`);
    await ctx.close();
  });
}

summary("compat");
