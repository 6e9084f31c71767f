// Where an `auth.fetch` call spends its time (scripts/fetch-probe.sh; needs the `bench-marks`
// build it makes). Each step is marked with performance.now() in a cross-origin isolated page
// (5 µs timer resolution instead of 100 µs); raw fetch and auth.fetch calls are interleaved.
// Steps (Rust marks, src/web/marks.rs): 1 in Inner::fetch, 2 Request prepared, 3 machine
// decided, 4 before the pump, 5 before the send, 6 transport called and returned, 7 the answer
// reached the executor, 8 before the caller's promise settles (since the transport is called a
// microtask after the call, 5→6 no longer includes it); the page marks 0 (call), 10/11
// (an injected transport's call and answer) and 12 (the caller has the response).
import { BASE, launch, control } from "./lib.mjs";

const ctx = await launch();
const page = await ctx.newPage();
await page.route("**/bench.html", async (route) => {
  const res = await route.fetch();
  await route.fulfill({ response: res, headers: { ...res.headers(), "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" } });
});
await page.goto(BASE + "/bench.html");
await control("/__test/reset", {});
await control("/__test/config", { accessTtl: 3600 });
const N = Number(process.env.PROBE_CALLS ?? 400);
const out = await page.evaluate(async (N) => {
  const mod = await import("/pkg/wasm_token_manager.js");
  await mod.default();
  let t = [];
  globalThis.__wtmMark = (n) => { t[n] = performance.now(); };
  const mark = globalThis.__wtmMark;
  const transport = (...a) => { mark(10); const p = fetch(...a); mark(13); p.then(() => mark(11), () => {}); return p; };
  const auth = new mod.TokenManager({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout" });
  const probed = new mod.TokenManager({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout", fetch: transport, crossTab: false });
  await auth.login({ username: "demo", password: "demo" });
  probed.setAccessToken(auth.accessToken, 3600);
  const header = { Authorization: `Bearer ${auth.accessToken}` };
  // A fresh string per call, as the manager passes it from wasm.
  const tok = () => auth.accessToken;
  const arms = {
    raw: () => { mark(5); const p = fetch("/api/ping", { headers: header }); mark(6); return p; },
    request: () => { mark(1); const r = new Request("/api/ping"); r.headers.set("Authorization", header.Authorization); mark(5); const p = fetch(r); mark(6); return p; },
    headers: () => { mark(1); const h = new Headers(); h.set("Authorization", "Bearer " + tok()); mark(5); const p = fetch("/api/ping", { headers: h }); mark(6); return p; },
    wrapped: () => { mark(1); let res; const p = (async () => { const h = new Headers(); h.set("Authorization", "Bearer " + tok()); mark(5); const f = fetch("/api/ping", { headers: h }); mark(6); res = await f; return 1; })().then(() => res); return p; },
    deep: () => { const go = (n) => { if (n) return go(n - 1); mark(5); const p = fetch("/api/ping", { headers: header }); mark(6); return p; }; return go(30); },
    auth: () => auth.fetch("/api/ping"),
    probed: () => probed.fetch("/api/ping"),
  };
  const rec = Object.fromEntries(Object.keys(arms).map((k) => [k, []]));
  const once = async (name) => {
    t = [];
    mark(0);
    const res = await arms[name]();
    mark(12);
    await res.text();
    return t;
  };
  for (let i = 0; i < 50; i++) for (const a of Object.keys(arms)) await once(a);
  const names = Object.keys(arms), back = [...names].reverse();
  for (let i = 0; i < N; i++) for (const a of i % 2 ? names : back) rec[a].push(await once(a));
  return { rec, isolated: globalThis.crossOriginIsolated };
}, N);
await ctx.close();

const med = (xs) => { const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const mean = (xs) => { const s = xs.filter((x) => Number.isFinite(x)); return s.reduce((a, b) => a + b, 0) / s.length; };
const us = (x) => (x * 1000).toFixed(1).padStart(8);
console.log(`cross-origin isolated: ${out.isolated}; ${N} calls per arm, interleaved; µs, median / mean`);
const steps = (name, pairs) => {
  for (const [a, b, what] of pairs) {
    const d = out.rec[name].map((t) => t[b] - t[a]);
    console.log(`${name.padEnd(7)} ${String(a).padStart(2)}→${String(b).padEnd(2)} ${what.padEnd(46)} ${us(med(d))} / ${us(mean(d))}`);
  }
};
steps("raw", [[5, 6, "fetch(url, init) call returns"], [6, 12, "→ the caller has the response"], [0, 12, "call → response (raw fetch)"]]);
steps("request", [[1, 5, "new Request, headers.set"], [5, 6, "fetch(request) call returns"], [6, 12, "→ the caller has the response"], [0, 12, "call → response"]]);
steps("headers", [[1, 5, "new Headers, set (token string from wasm)"], [5, 6, "fetch(url, {headers}) call returns"], [6, 12, "→ the caller has the response"], [0, 12, "call → response"]]);
steps("wrapped", [[1, 5, "as headers, in an async function"], [5, 6, "fetch(url, {headers}) call returns"], [6, 12, "→ the caller has the response"], [0, 12, "call → response"]]);
steps("deep", [[5, 6, "fetch(url, init) 30 JS frames deep returns"], [0, 12, "call → response"]]);
steps("auth", [
  [0, 1, "call → in Inner::fetch"],
  [1, 2, "prepareRequest (URL, headers; or a Request)"],
  [2, 3, "feed the machine"],
  [3, 4, "promise, pending entry, abort listener"],
  [4, 5, "pump → send (token copy)"],
  [5, 6, "sendWrapped (the transport call, if synchronous)"],
  [0, 6, "call → request sent (synchronous part)"],
  [6, 7, "→ transport call and its answer → executor"],
  [7, 8, "answer → machine → finish"],
  [8, 12, "resolve → caller has the response"],
  [0, 12, "call → response (auth.fetch)"],
]);
steps("probed", [
  [0, 10, "call → injected transport called"],
  [10, 13, "its fetch(url, init) call returns"],
  [10, 11, "transport call → its answer"],
  [11, 7, "its answer → executor"],
  [11, 12, "its answer → caller has the response"],
  [0, 12, "call → response"],
]);
