// DPoP (RFC 9449): the manager with `dpop: true` against the mock server in DPoP mode
// (`/__test/config {dpop, dpopNonceSeconds}`), in Chromium. Replays from outside the page are
// made from Node with its own WebCrypto.
import { webcrypto } from "node:crypto";
import { BASE, launch, control, test, summary, assert, assertEq, sleep } from "./lib.mjs";

const subtle = webcrypto.subtle;
const b64url = (buf) => Buffer.from(buf).toString("base64url");

async function fresh({ ttl = 300, nonce = null } = {}) {
  await control("/__test/reset", {});
  await control("/__test/config", { accessTtl: ttl, dpop: true, dpopNonceSeconds: nonce });
}
const counters = () => control("/__test/counters");
const requests = async (path) => (await control("/__test/requests")).filter((r) => r.path === path);

async function open(ctx) {
  const page = await ctx.newPage();
  await page.goto(`${BASE}/dropin.html`);
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: 20_000 });
  await page.evaluate(() => {
    // What each request carried, seen through the injected transport (the manager's own view).
    window.sent = [];
    window.traced = (input, init) => {
      const r = input instanceof Request ? input : new Request(input, init);
      sent.push({ path: new URL(r.url).pathname, auth: (r.headers.get("authorization") ?? "").split(" ")[0], proof: r.headers.has("dpop") });
      return fetch(input, init);
    };
    window.dp = (extra = {}) => mk({ dpop: true, crossTab: true, fetch: traced, ...extra });
  });
  return page;
}

/// A DPoP proof made outside the page, with a key of Node's own.
async function foreignProof(htm, htu, token) {
  const pair = await subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const { kty, crv, x, y } = await subtle.exportKey("jwk", pair.publicKey);
  const header = { typ: "dpop+jwt", alg: "ES256", jwk: { kty, crv, x, y } };
  const ath = b64url(await subtle.digest("SHA-256", new TextEncoder().encode(token)));
  const claims = { jti: crypto.randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000), ath };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = await subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, new TextEncoder().encode(input));
  return `${input}.${b64url(sig)}`;
}

await test("login → API 200 with the DPoP scheme; the token is useless outside the page", async () => {
  await fresh();
  const ctx = await launch();
  const page = await open(ctx);
  const r = await page.evaluate(async () => {
    const auth = dp();
    await auth.login(creds);
    const status = (await auth.fetch("/api/me")).status;
    window.auth = auth;
    return { status, token: auth.accessToken, cnf: auth.claims.cnf?.jkt ?? null, sent };
  });
  assertEq(r.status, 200, "API with DPoP");
  assert(typeof r.cnf === "string" && r.cnf.length > 20, `the token is bound (cnf.jkt): ${r.cnf}`);
  const api = r.sent.filter((s) => s.path === "/api/me");
  assertEq(api, [{ path: "/api/me", auth: "DPoP", proof: true }], "Authorization: DPoP plus a proof");
  assert(r.sent.find((s) => s.path === "/auth/login")?.proof, "login sent a proof");
  // The same token from outside: as Bearer, and as DPoP with a proof by another key.
  const bearer = await fetch(`${BASE}/api/me`, { headers: { authorization: `Bearer ${r.token}` } });
  assertEq(bearer.status, 401, "replayed as Bearer");
  const proof = await foreignProof("GET", `${BASE}/api/me`, r.token);
  const other = await fetch(`${BASE}/api/me`, { headers: { authorization: `DPoP ${r.token}`, dpop: proof } });
  assertEq(other.status, 401, "replayed with another key's proof");
  const c = await counters();
  assert(c.dpopAccepted >= 2 && c.dpopRejected >= 2, `server counters: ${JSON.stringify({ a: c.dpopAccepted, r: c.dpopRejected, by: c.dpopRejectedByReason })}`);
  await ctx.close();
});

await test("the refresh cookie replayed without the key gets 401 and rotates nothing", async () => {
  await fresh();
  const ctx = await launch();
  const page = await open(ctx);
  await page.evaluate(async () => { window.auth = dp(); await auth.login(creds); });
  const cookie = (await ctx.cookies(`${BASE}/auth/refresh`)).find((c) => c.name === "wtm_refresh");
  const before = (await counters()).refreshes;
  const stolen = await fetch(`${BASE}/auth/refresh`, {
    method: "POST", headers: { cookie: `wtm_refresh=${cookie.value}`, "x-requested-with": "XMLHttpRequest", origin: BASE },
  });
  assertEq(stolen.status, 401, "no proof, no refresh");
  assertEq((await counters()).refreshes, before, "nothing rotated");
  const ok = await page.evaluate(async () => { await auth.refresh(); return (await auth.fetch("/api/me")).status; });
  assertEq(ok, 200, "the page (with the key) still refreshes with the same cookie");
  await ctx.close();
});

await test("reload → restore() with the persisted key; two tabs share one key and one refresh", async () => {
  await fresh({ ttl: 3 });
  const ctx = await launch();
  const a = await open(ctx);
  await a.evaluate(async () => { window.auth = dp({ autoRefresh: false }); await auth.login(creds); });
  await a.reload();
  await a.waitForFunction(() => document.body.dataset.ready === "1");
  const restored = await a.evaluate(async () => {
    await new Promise((r) => setTimeout(r, 0));
    window.sent = [];
    window.traced = (input, init) => fetch(input, init);
    window.auth = mk({ dpop: true, autoRefresh: false, crossTab: true });
    const ok = await auth.restore();
    return { ok, status: (await auth.fetch("/api/me")).status, jkt: auth.claims.cnf?.jkt };
  });
  assertEq([restored.ok, restored.status], [true, 200], "restore() after a reload, same key");
  const b = await open(ctx);
  const tabB = await b.evaluate(async () => {
    window.auth = mk({ dpop: true, autoRefresh: false, crossTab: true });
    await auth.restore();
    return auth.claims.cnf?.jkt;
  });
  assertEq(tabB, restored.jkt, "the second tab uses the same key (one per origin)");
  await sleep(2_300); // both tokens are dead for sending
  const before = (await counters()).refreshes;
  const both = await Promise.all([a, b].map((p) => p.evaluate(async () => (await auth.fetch("/api/me")).status)));
  assertEq(both, [200, 200], "both tabs' requests");
  assertEq((await counters()).refreshes - before, 1, "one refresh for both tabs");
  await ctx.close();
});

await test("nonce challenges on refresh and on the API each cost exactly one extra request", async () => {
  await fresh({ nonce: 1 });
  const ctx = await launch();
  const page = await open(ctx);
  await page.evaluate(async () => { window.auth = dp(); await auth.login(creds); });
  assertEq((await requests("/auth/login")).map((r) => r.status), [400, 200], "login: challenged once, then accepted");
  await sleep(2_300); // the nonce the page knows has rotated out (current + previous accepted)
  const api = await page.evaluate(async () => (await auth.fetch("/api/me")).status);
  assertEq(api, 200, "API after a nonce challenge");
  assertEq((await requests("/api/me")).map((r) => r.status), [401, 200], "the API: one extra request");
  await sleep(2_300);
  await page.evaluate(() => auth.refresh());
  assertEq((await requests("/auth/refresh")).map((r) => r.status), [400, 200], "refresh: one extra request");
  await ctx.close();
});

await test("the private key is not extractable; logout deletes it; without dpop nothing changes", async () => {
  await fresh();
  const ctx = await launch();
  const page = await open(ctx);
  const r = await page.evaluate(async () => {
    const auth = dp();
    await auth.login(creds);
    const read = () => new Promise((resolve, reject) => {
      const open = indexedDB.open("wasm-token-manager-dpop", 1);
      open.onsuccess = () => {
        const get = open.result.transaction("keys").objectStore("keys").get("current");
        get.onsuccess = () => { open.result.close(); resolve(get.result); };
        get.onerror = () => reject(get.error);
      };
      open.onerror = () => reject(open.error);
    });
    const key = await read();
    let exported;
    try { await crypto.subtle.exportKey("jwk", key.pair.privateKey); exported = "exported!"; } catch (e) { exported = e.name; }
    const out = { extractable: key.pair.privateKey.extractable, exported, publicOnly: !("d" in key.jwk) };
    await auth.logout();
    // The key's deletion is its own IndexedDB transaction: poll for it, up to 5 s.
    const end = Date.now() + 5000;
    while ((await read()) !== undefined && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
    out.afterLogout = (await read()) ?? null;
    await fetch("/__test/config", { method: "POST", headers: { "content-type": "application/json" }, body: '{"dpop":false}' });
    const plain = mk({ fetch: traced });
    await plain.login(creds);
    sent.length = 0;
    await plain.fetch("/api/me").catch(() => {});
    out.plain = sent;
    return out;
  });
  assertEq([r.extractable, r.exported, r.publicOnly, r.afterLogout], [false, "InvalidAccessError", true, null], "the key");
  assertEq(r.plain, [{ path: "/api/me", auth: "Bearer", proof: false }], "dpop: false sends Bearer and no proof");
  await ctx.close();
});

summary("dpop");
