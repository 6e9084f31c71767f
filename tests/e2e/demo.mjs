// The demo page, driven like a user would: screenshots after sign-in and after a silent refresh
// (the visible state must change). The example apps are driven by everywhere.mjs.
import { BASE, launch, control, test, summary, assert, assertEq } from "./lib.mjs";
import { mkdirSync, writeFileSync } from "node:fs";

const OUT = new URL("./out/", import.meta.url);
mkdirSync(OUT, { recursive: true });

await test("demo: sign in, watch a silent refresh, screenshots show the change", async () => {
  await control("/__test/reset", {});
  await control("/__test/config", { accessTtl: 6 }); // refresh margin 10 s is capped at 3 s
  const ctx = await launch();
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.goto(BASE + "/");
  await page.waitForFunction(() => document.body.dataset.ready === "1");
  assert(await page.isVisible("#signin"), "sign-in form shown when there is no session");
  await page.click("#login-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#sub").textContent === "demo");
  await page.click("#call");
  await page.waitForFunction(() => document.querySelectorAll("#log li").length >= 2);
  // Settled: a render tick of the countdown (every 250 ms) after the call's log line.
  const shown = await page.evaluate(() => document.querySelector("#expires-in").textContent);
  await page.waitForFunction((t) => document.querySelector("#expires-in").textContent !== t, shown, { timeout: 3000 });
  const read = () => page.evaluate(() => ({
    pill: document.querySelector("#pill").textContent,
    refreshes: document.querySelector("#refresh-count").textContent,
    expiresIn: parseFloat(document.querySelector("#expires-in").textContent),
    entries: document.querySelectorAll("#log li").length,
    token: document.querySelector("#token-short").textContent,
  }));
  const first = await read();
  const shot1 = await page.screenshot({ path: new URL("demo-signed-in.png", OUT).pathname });
  // Wait for the silent refresh, then until the countdown is back above the pre-refresh value.
  await page.waitForFunction(() => document.querySelector("#refresh-count").textContent === "1", null, { timeout: 8000 });
  await page.waitForFunction((before) => parseFloat(document.querySelector("#expires-in").textContent) > before, first.expiresIn, { timeout: 3000 })
    .catch(() => {}); // the assertions below say what was shown
  const second = await read();
  const shot2 = await page.screenshot({ path: new URL("demo-after-refresh.png", OUT).pathname });
  console.log(`    before: ${JSON.stringify(first)}\n    after:  ${JSON.stringify(second)}`);
  assertEq([first.pill, second.pill], ["Signed in", "Signed in"], "status pill");
  assertEq([first.refreshes, second.refreshes], ["0", "1"], "refresh counter");
  assert(second.expiresIn > first.expiresIn - 0.7 && second.expiresIn > 3, `countdown reset: ${first.expiresIn} → ${second.expiresIn}`);
  assert(second.entries > first.entries, "a timeline entry was added");
  assert(second.token !== first.token, "a new token is shown");
  assert(!shot1.equals(shot2), "screenshots differ");
  const c = await control("/__test/counters");
  assertEq([c.logins, c.refreshes, c.apiUnauthorized], [1, 1, 0], "server counters");
  // Call 20× at once: all succeed, one log line.
  await page.click("#call20");
  await page.waitForFunction(() => document.querySelector("#log li .badge")?.textContent === "20/20 × 200");
  // Log out: the page says so.
  await page.click("#logout");
  await page.waitForFunction(() => document.querySelector("#pill").textContent === "Signed out");
  assertEq(errors, [], "page errors");
});

await test("demo: the session panel shows the session's end, the idle countdown, offline, step-up and sign-out scopes", async () => {
  await control("/__test/reset", {});
  await control("/__test/config", { refreshTtl: 600 }); // the session ends 10 min after sign-in
  const ctx = await launch();
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(BASE + "/");
  await page.waitForFunction(() => document.body.dataset.ready === "1");
  await page.click("#login-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#sub").textContent === "demo");
  // Countdowns: the session's end (refresh_expires_in 600) and the idle deadline (120 s).
  await page.waitForFunction(() => document.querySelector("#session-in").dataset.seconds && document.querySelector("#idle-in").dataset.seconds);
  const seconds = (id) => page.evaluate((id) => Number(document.getElementById(id).dataset.seconds), id);
  const text = (id) => page.evaluate((id) => document.getElementById(id).textContent, id);
  const session = await seconds("session-in");
  const idle = await seconds("idle-in");
  console.log(`    session ends in: ${await text("session-in")} (${session} s), idle sign-out in: ${await text("idle-in")} (${idle} s)`);
  assert(session > 590 && session <= 600, `session countdown from refresh_expires_in: ${session}`);
  assert(idle > 110 && idle <= 120, `idle countdown from the idle option: ${idle}`);
  await page.waitForFunction((s) => Number(document.querySelector("#session-in").dataset.seconds) < s, session, { timeout: 3000 });
  assertEq(await text("offline"), "Online", "network indicator");

  // Offline: the browser's offline event shows at once; back online, the next answer clears it.
  await ctx.setOffline(true);
  await page.waitForFunction(() => document.querySelector("#offline").textContent === "Offline", null, { timeout: 3000 });
  assertEq(await page.evaluate(() => window.demo.auth.getSnapshot().offline), true, "snapshot.offline");
  await ctx.setOffline(false);
  const clearedByOnline = await page.waitForFunction(() => document.querySelector("#offline").textContent === "Online", null, { timeout: 1500 })
    .then(() => true, () => false);
  console.log(`    back online: ${clearedByOnline ? "cleared by the online event" : "still offline until a request answers"}`);
  await page.click("#call");
  await page.waitForFunction(() => document.querySelector("#offline").textContent === "Online", null, { timeout: 3000 });

  // Step-up: /api/sensitive answers 401 insufficient_user_authentication; onStepUp signs in
  // again with acr_values "mfa" and the call is replayed once: 200.
  await page.click("#stepup");
  await page.waitForFunction(() => [...document.querySelectorAll("#log li")].some((li) => li.textContent.includes("GET /api/sensitive")), null, { timeout: 5000 });
  const stepUpLine = await page.evaluate(() => [...document.querySelectorAll("#log li")].find((li) => li.textContent.includes("GET /api/sensitive")).querySelector(".badge").textContent);
  assertEq(stepUpLine, "200", "step-up call answered after the new sign-in");
  assertEq(await page.evaluate(() => window.demo.auth.claims?.acr), "mfa", "the new token's acr");
  assert(await page.evaluate(() => [...document.querySelectorAll("#log li")].some((li) => li.textContent.includes("insufficient_user_authentication"))), "the stepUp event is in the timeline");
  let c = await control("/__test/counters");
  assertEq([c.apiSensitive, c.logins], [2, 2], "server: one challenge, one replay; one step-up sign-in");

  // Sign-out scopes: "others" keeps this session, "global" ends it.
  await page.selectOption("#logout-scope", "others");
  await page.click("#logout");
  await page.waitForFunction(() => [...document.querySelectorAll("#log li")].some((li) => li.textContent.includes("every other session")), null, { timeout: 5000 });
  assertEq(await page.evaluate(() => window.demo.auth.isAuthenticated), true, "still signed in after signing out the others");
  await page.selectOption("#logout-scope", "global");
  await page.click("#logout");
  await page.waitForFunction(() => document.querySelector("#pill").textContent === "Signed out");
  c = await control("/__test/counters");
  assertEq([c.logoutsOthers, c.logoutsGlobal, c.logoutsLocal], [1, 1, 0], "server: sign-outs by scope");
  assertEq([await text("session-in"), await text("idle-in")], ["—", "—"], "no countdowns without a session");
  assertEq(errors, [], "page errors");
});

summary("demo");
