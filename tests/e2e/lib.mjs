// Shared helpers for the browser scripts: Debian's Chromium through playwright-core.
import { chromium } from "playwright-core";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const BASE = process.env.E2E_BASE ?? "http://127.0.0.1:18787";

const open = new Set();

export async function launch() {
  // A persistent context gives a fresh --user-data-dir per run (TOOLCHAIN.md).
  const dir = mkdtempSync(join(tmpdir(), "wtm-e2e-"));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  open.add(ctx);
  ctx.on("close", () => open.delete(ctx));
  return ctx;
}

export async function control(path, body) {
  const res = await fetch(BASE + path, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.status === 204 ? null : res.json();
}

let passed = 0;
let failed = 0;
export async function test(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`test ${name} ... ok (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`test ${name} ... FAILED\n    ${e?.stack ?? e}`);
  } finally {
    // A failed test must not leave pages (and their timers) running into the next one.
    for (const ctx of [...open]) await ctx.close().catch(() => {});
  }
}

export function summary(suite) {
  console.log(`\n${suite} result: ${failed ? "FAILED" : "ok"}. ${passed} passed; ${failed} failed`);
  if (failed || passed === 0) process.exit(1);
}

export function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

/// JSON with object keys sorted (WebDriver answers do not keep the page's key order).
const canonical = (v) => JSON.stringify(v, (_, x) =>
  x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x);

export function assertEq(actual, expected, msg) {
  const a = canonical(actual), e = canonical(expected);
  if (a !== e) throw new Error(`${msg}: expected ${e}, got ${a}`);
}

// ---- waiting: pages, conditions, quiescence -------------------------------------------------------

/// A new page of `ctx` with its uncaught errors and the .wasm URLs it fetched collected.
export async function watchedPage(ctx) {
  const page = await ctx.newPage();
  const errors = [];
  const wasm = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => { if (r.url().endsWith(".wasm")) wasm.push(r.url()); });
  return { page, errors, wasm };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/// Open www/harness.html with `query` and wait until its manager is ready.
export async function openHarness(ctx, query = "") {
  const page = await ctx.newPage();
  page.consoleText = [];
  page.on("console", (m) => page.consoleText.push(m.text()));
  page.on("pageerror", (e) => page.consoleText.push("pageerror: " + e));
  await page.goto(`${BASE}/harness.html${query}`);
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: 20000 });
  return page;
}

/// Poll `check` (sync or async, in Node) every `interval` ms until it returns a truthy value,
/// and return that value. After `timeout` ms: throw naming `what`, or, with `soft: true`,
/// return the last value, so that the caller's own assertion reports what was seen.
export async function waitFor(check, { timeout = 10_000, interval = 20, what = "a condition", soft = false } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) {
      if (soft) return v;
      throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    }
    await sleep(interval);
  }
}

/// `waitFor` with positional arguments (ordering.mjs).
export const waitUntil = (check, timeoutMs, what) => waitFor(check, { timeout: timeoutMs, what });

/// Quiescence at a mock server (instead of "sleep and hope everything has landed"): poll its
/// request log until no request is in progress there (arrived, no response produced yet; a
/// `drop` fault never produces one) and nothing has arrived or been answered, and no counter
/// has moved, for `quietMs`. Returns the counters at that point. `since`: only requests after
/// that sequence number count as in progress (one aborted by its client during a `delay` fault
/// may never be answered). Throws after `timeout` ms, listing what was still in progress.
export async function quiesce({ base = BASE, quietMs = 300, timeout = 15_000, since = 0 } = {}) {
  const get = async (path) => {
    const res = await fetch(base + path);
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return res.json();
  };
  const end = Date.now() + timeout;
  let last = null;
  let quietSince = Date.now();
  for (;;) {
    const [reqs, counters] = await Promise.all([get("/__test/requests"), get("/__test/counters")]);
    const busy = reqs.filter((r) => r.seq > since && r.status === null && r.fault !== "drop");
    const key = JSON.stringify([reqs.map((r) => [r.seq, r.status]).slice(-50), counters]);
    if (busy.length > 0 || key !== last) {
      last = key;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) {
      return counters;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeout} ms waiting for ${base} to quiesce; in progress: ` +
        JSON.stringify(busy.map((r) => ({ seq: r.seq, method: r.method, path: r.path, fault: r.fault }))));
    }
    await sleep(25);
  }
}
