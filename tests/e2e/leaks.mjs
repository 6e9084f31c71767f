// Leak tests (security hardening): after login, several refreshes and logout, no access token
// appears in storage, caches, cookies, the URL or the console; the refresh cookie is invisible
// to scripts; Authorization never reaches a non-allowed origin (a second server records what it
// received); the refresh request carries the CSRF header and no Authorization.
import { BASE, launch, control, test, summary, assert, assertEq } from "./lib.mjs";

const OTHER = process.env.E2E_OTHER ?? "http://127.0.0.1:18789"; // second mock server

async function otherRequests() {
  return (await fetch(OTHER + "/__test/requests")).json();
}

await test("no token in storage, caches, cookies, URL or console; cookie HttpOnly; Authorization only to allowed origins", async () => {
  await control("/__test/reset", {});
  await control("/__test/config", { accessTtl: 30 });
  await fetch(OTHER + "/__test/reset", { method: "POST" });
  const ctx = await launch();
  const page = await ctx.newPage();
  const consoleLines = [];
  page.on("console", (m) => consoleLines.push(m.text()));
  page.on("pageerror", (e) => consoleLines.push(String(e)));
  const sentHeaders = [];
  const reading = []; // one promise per request: its headers read and noted
  page.on("request", (r) => reading.push(r.allHeaders().then((headers) => sentHeaders.push({ url: r.url(), headers }))));
  await page.goto(`${BASE}/harness.html`);
  await page.waitForFunction(() => document.body.dataset.ready === "1");

  const tokens = await page.evaluate(async (other) => {
    const seen = [];
    const note = () => h.auth.accessToken && seen.push(h.auth.accessToken);
    await h.login(); note();
    // The app uses storage and caches for its own things; the library must add nothing.
    localStorage.setItem("app", "x"); sessionStorage.setItem("app", "y");
    for (let i = 0; i < 3; i++) { await h.auth.refresh(); note(); await h.call("/api/me"); }
    await h.call(other + "/api/ping");           // not allowed: no Authorization
    await h.auth.logout();
    return seen;
  }, OTHER);
  assertEq(new Set(tokens).size, 4, "four distinct tokens held over the session");

  const dump = await page.evaluate(async () => {
    const parts = [JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage }), document.cookie, location.href, document.documentElement.outerHTML];
    for (const info of (await indexedDB.databases?.()) ?? []) {
      parts.push("idb:" + info.name);
      const db = await new Promise((res, rej) => { const r = indexedDB.open(info.name); r.onsuccess = () => res(r.result); r.onerror = rej; });
      for (const store of db.objectStoreNames) {
        const all = await new Promise((res) => { const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => res(r.result); });
        parts.push(JSON.stringify(all));
      }
      db.close();
    }
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const req of await cache.keys()) parts.push(req.url, await (await cache.match(req)).text());
    }
    return { text: parts.join("\n"), cookie: document.cookie };
  });
  for (const t of tokens) {
    assert(!dump.text.includes(t), "token found in storage/IndexedDB/Cache Storage/cookie/URL/DOM");
    assert(!consoleLines.some((l) => l.includes(t)), "token found in console output");
  }
  assert(!dump.cookie.includes("wtm_refresh"), "refresh cookie visible to document.cookie");
  const jar = await ctx.cookies(BASE);
  const rc = jar.find((c) => c.name === "wtm_refresh");
  assert(!rc || rc.httpOnly, "the refresh cookie, when present, is HttpOnly");

  // What the second server received: no Authorization, although the page sent a request.
  const other = (await otherRequests()).filter((r) => r.path === "/api/ping");
  assertEq(other.map((r) => r.hasAuthorization), [false], "Authorization at the non-allowed origin");
  // And what the browser put on the wire, for every request it made (once all are noted).
  await Promise.all(reading);
  const leaked = sentHeaders.filter((r) => !r.url.startsWith(BASE + "/") && "authorization" in r.headers);
  assertEq(leaked.length, 0, "Authorization sent outside the allow-list");
  const refreshes = sentHeaders.filter((r) => r.url === BASE + "/auth/refresh");
  assertEq(refreshes.length, 3, "three refresh requests seen on the wire");
  for (const r of refreshes) {
    assertEq(r.headers["x-requested-with"], "XMLHttpRequest", "CSRF header on refresh");
    assert(!("authorization" in r.headers), "no Authorization on refresh");
  }
  const c = await control("/__test/counters");
  assertEq([c.refreshes, c.refreshWithAuthorization, c.csrfRejected], [3, 0, 0], "server view of refreshes");
  console.log(`    checked ${tokens.length} tokens against storage, IndexedDB, Cache Storage, cookies, URL, DOM and ${consoleLines.length} console lines`);
});

await test("the same request to an allowed second origin does carry Authorization (control)", async () => {
  await control("/__test/reset", {});
  await fetch(OTHER + "/__test/reset", { method: "POST" });
  const ctx = await launch();
  const page = await ctx.newPage();
  await page.goto(`${BASE}/harness.html?allowed=${encodeURIComponent(BASE + "," + OTHER)}`);
  await page.waitForFunction(() => document.body.dataset.ready === "1");
  await page.evaluate(async (other) => { await h.login(); await h.call(other + "/api/ping"); }, OTHER);
  const other = (await otherRequests()).filter((r) => r.path === "/api/ping");
  // That server has its own signing key, so it answers 401 and the request is retried once
  // after a refresh: two requests, both with Authorization.
  assertEq(other.map((r) => r.hasAuthorization), [true, true], "Authorization at the allowed origin");
});

// Linear memory is readable by any script on the page: the glue module's init returns the
// instance's exports (memory included) to whoever imports it. Tokens are matched by their
// signature segment (unique per token). While signed in only the current token may be there;
// after logout none. Two tabs: the second receives every token over the channel.
await test("wasm memory: no rotated-away token while signed in, no token after logout (two tabs)", async () => {
  await control("/__test/reset", {});
  await control("/__test/config", { accessTtl: 30 });
  const ctx = await launch();
  const open = async () => {
    const p = await ctx.newPage();
    await p.goto(`${BASE}/harness.html`);
    await p.waitForFunction(() => document.body.dataset.ready === "1");
    await p.evaluate(() => {
      // What a page script can do: import the glue by its URL and ask for the exports.
      window.scan = async (sigs) => {
        const glue = await import("/pkg/wasm_token_manager.js");
        const exports = await glue.default();
        const memory = Object.values(exports).find((v) => v instanceof WebAssembly.Memory);
        const bytes = new Uint8Array(memory.buffer);
        let text = "";
        for (let i = 0; i < bytes.length; i += 65536) text += String.fromCharCode(...bytes.subarray(i, i + 65536));
        return sigs.map((s) => text.split(s).length - 1);
      };
    });
    return p;
  };
  const [a, b] = [await open(), await open()];
  const tokens = await a.evaluate(async () => {
    const { decodeJwt } = await import("/pkg/wasm_token_manager.js");
    const seen = [];
    const note = () => seen.push(h.auth.accessToken);
    await h.login(); note();
    for (let i = 0; i < 3; i++) {
      await h.auth.refresh(); note();
      await h.call("/api/me");
      decodeJwt(h.auth.accessToken);
    }
    return seen;
  });
  await b.waitForFunction((t) => h.auth.accessToken === t, tokens[3], { timeout: 5000 });
  await b.evaluate(() => h.call("/api/me"));
  const sigs = tokens.map((t) => t.split(".")[2]);
  assertEq(new Set(sigs).size, 4, "four distinct tokens");
  const signedIn = [await a.evaluate((s) => scan(s), sigs), await b.evaluate((s) => scan(s), sigs)];
  console.log(`    signed in, copies of tokens 1-4 in memory: tab A ${signedIn[0]}, tab B ${signedIn[1]}`);
  for (const counts of signedIn) assertEq(counts.slice(0, 3), [0, 0, 0], "rotated-away tokens readable in wasm memory");
  await a.evaluate(() => h.auth.logout());
  await b.waitForFunction(() => h.auth.accessToken === undefined, null, { timeout: 5000 });
  const after = [await a.evaluate((s) => scan(s), sigs), await b.evaluate((s) => scan(s), sigs)];
  console.log(`    after logout: tab A ${after[0]}, tab B ${after[1]}`);
  for (const counts of after) assertEq(counts, [0, 0, 0, 0], "tokens readable in wasm memory after logout");
  await ctx.close();
});

summary("leaks");
