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

// ---- added for ordering.mjs (other suites keep their own copies) ------------------------------

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

/// Poll `check` (async, in Node) every 20 ms until it returns a truthy value; throw after
/// `timeoutMs` naming `what`.
export async function waitUntil(check, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
