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

summary("demo");
