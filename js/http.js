// HTTP for wasm-token-manager: the token endpoints' POST and the send of a wrapped request,
// each one call from wasm. What to send and what to do with the answer is decided in Rust.
import { dpopHeader, dpopAnswer, dpopDeleteKey, dpopForget } from "./dpop.js";
import { shownUrl } from "./debug.js";

export { dpopDeleteKey, dpopForget };

// Why a token answer has no token, as an index into web::token_post::READ_ERRORS (the messages).
const NO_SESSION = 0, NOT_JSON = 1, PARSE_THREW = 2, PARSE_NO_TOKEN = 3, NO_TOKEN = 4;

const pick = (value, path) => {
  let v = value;
  for (const k of path.split(".")) v = v !== null && typeof v === "object" ? v[k] : undefined;
  return v;
};

/// POST (or, `get`, GET without a body) to a token endpoint (refresh, login, logout) with
/// `headers` (an object), the login `body` (JSON, or FormData/URLSearchParams as they are),
/// credentials, the machine's `signal`, and a DPoP proof when `dpop` (once more on the server's
/// `use_dpop_nonce`). Rejects on a network error; resolves to `{status, retryAfterMs, dateMs,
/// token, expiresIn, expiresAt, tokenType, body, error, redirect}`, the token read as `read`
/// says ({token, expiresIn, expiresAt, parse}; for a logout the navigations' options: a 2xx
/// answer's URL at their `field` is kept as their `to`); `read` null: the answer's body is not read. A 2xx of `null`, `{}`
/// or a `null` token says nobody is signed in (`error` NO_SESSION; `error` is an index). Then `done(id, answer, 5)`, or
/// `done(id, null, 6)` on a network error.
export function tokenPost(fetchFn, url, headers, body, signal, dpop, fresh, read, get, id, done) {
  post(fetchFn, url, headers, body, signal, dpop, fresh, read, get).then((a) => done(id, a, 5), () => done(id, null, 6));
}

async function post(fetchFn, url, headers, body, signal, dpop, fresh, read, get) {
  let res;
  const method = get ? "GET" : "POST";
  if (read && read.param) read.to = undefined; // a logout: where its answer says to go next
  for (let retried = false; ; retried = true) {
    const h = new Headers(headers);
    let payload;
    if (body instanceof FormData || body instanceof URLSearchParams) payload = body;
    else if (body !== undefined) { h.set("Content-Type", "application/json"); payload = JSON.stringify(body); }
    if (dpop) h.set("DPoP", await dpopHeader(method, url, null, fresh && !retried));
    res = await fetchFn.call(globalThis, new Request(url, { method, credentials: "include", cache: "no-store", headers: h, body: payload, signal }));
    if (!dpop) break;
    dpopAnswer(url, res);
    if (retried || res.status !== 400 || !res.headers.get("dpop-nonce")) break;
    const error = await res.clone().json().then((j) => j && j.error, () => null);
    if (error !== "use_dpop_nonce") break;
  }
  // Retry-After in ms (delay-seconds or an HTTP date), and the server's Date, as numbers.
  const ra = (res.headers.get("retry-after") || "").trim();
  const retryAfterMs = /^\d+$/.test(ra) ? Number(ra) * 1000 : Date.parse(ra) - Date.now();
  const dateMs = Date.parse(res.headers.get("date") || "");
  const out = { status: res.status, retryAfterMs: retryAfterMs >= 0 ? retryAfterMs : null, dateMs: dateMs >= 0 ? dateMs : null };
  if (!read) return out;
  let json;
  try { json = await res.json(); } catch { out.error = NOT_JSON; return out; }
  if (!res.ok) { out.body = json; return out; }
  if (read.param) { read.to = read.field && pick(json, read.field); return out; }
  out.tokenType = pick(json, "token_type");
  if (json === null || (typeof json === "object" && !Object.keys(json).length)) { out.error = NO_SESSION; return out; }
  if (read.parse) {
    let parsed;
    try { parsed = read.parse(json); } catch { out.error = PARSE_THREW; return out; }
    if (parsed === null || (parsed && parsed.accessToken === null)) { out.error = NO_SESSION; return out; }
    out.token = parsed && parsed.accessToken;
    out.expiresIn = parsed && parsed.expiresIn;
    out.sessionExpiresIn = parsed && parsed.refreshExpiresIn;
    if (typeof out.token !== "string") out.error = PARSE_NO_TOKEN;
    return out;
  }
  out.token = pick(json, read.token);
  out.expiresIn = pick(json, read.expiresIn);
  out.sessionExpiresIn = pick(json, read.session);
  if (read.expiresAt) out.expiresAt = pick(json, read.expiresAt);
  if (out.token === null) out.error = NO_SESSION;
  else if (typeof out.token !== "string") out.error = NO_TOKEN;
  return out;
}

/// Send a wrapped request: `scheme` 0 as it is, 1 without the manager's Authorization, 2
/// `Bearer token`, 3 `DPoP token` with a proof; then `done(id, response, 1)` (2: a
/// DPoP nonce challenge came with it) or `done(id, error, 0)`. `s` is from prepareRequest: its Request
/// `r` (a replay of one with a body sends a fresh copy of `spare`), or `{url, init, h}` sent
/// as `fetch(url, init)` with the headers `h`.
/// The transport is called a microtask later, from a stack without wasm frames: Chromium's
/// `fetch` called with wasm on the stack took about twice as long (tests/e2e/fetch-probe.mjs),
/// most of the wrapper's cost.
export function sendWrapped(fetchFn, s, scheme, token, dpop, id, done) {
  let res;
  (async () => {
    const r = s.n++ && s.spare ? s.spare.clone() : s.r, h = r ? r.headers : s.h;
    await 0;
    if (scheme === 1) { h.delete("Authorization"); if (dpop) h.delete("DPoP"); }
    if (scheme === 2) h.set("Authorization", "Bearer " + token);
    if (scheme === 3) {
      h.set("DPoP", await dpopHeader(r.method, s.url, token, false));
      h.set("Authorization", "DPoP " + token);
    }
    res = await (r ? fetchFn.call(globalThis, r) : fetchFn.call(globalThis, s.url, withHeaders(s.init, h)));
    return (dpop && dpopAnswer(s.url, res)) + 1;
  })().then((n) => done(id, res, n), (e) => done(id, e, 0));
}

/// Call the app's `onStepUp(challenge)` a microtask later; then `done(id, null, 3)` when its
/// promise resolves, `done(id, null, 4)` when it rejects or the handler throws.
export const stepUp = (f, challenge, id, done) =>
  Promise.resolve(challenge).then(f).then(() => done(id, null, 3), () => done(id, null, 4));

const withHeaders = (init, headers) => (init == null ? { headers } : Object.assign(Object.create(init), { headers }));
const reason = (s) => s.reason ?? new DOMException("signal is aborted without reason", "AbortError");

/// What a `fetch(input, init)` call sends, and what the manager needs to know of it:
/// `[sendable, replayable, keepalive, hasAuthorization, url, signal]`. Throws as `fetch` would
/// for bad arguments or an aborted signal.
/// A URL with a plain-object init, without a body or with a string body (nothing to copy for a
/// replay), not no-cors and without DPoP, is sent as `fetch(url, init)` with a copy `h` of its headers: no Request is
/// built (building one and handing it to `fetch`, which builds another, was most of the
/// wrapper's cost) unless it has to wait (`freeze`). Otherwise the Request is built now, with
/// a `spare` copy for a replay when it may carry a body.
/// `unlisted` (`{o}`, the page's origin when allowedOrigins leaves it out): the first request
/// there without an Authorization of its own is told on the console, once.
export function prepareRequest(input, init, dpop, unlisted) {
  if (init != null && typeof init !== "object" && typeof init !== "function") throw new TypeError("fetch: init must be an object");
  const body = init == null ? null : init.body, signal = init == null ? null : init.signal;
  let out;
  // `init` a plain object: it is the prototype of what is sent (a platform object's getters,
  // such as a Request's, throw when read through another object).
  if (!dpop && !(input instanceof Request) && (body == null || typeof body === "string") &&
      (signal == null || signal instanceof AbortSignal) &&
      (init == null || (Object.getPrototypeOf(init) === Object.prototype && init.mode !== "no-cors"))) {
    const url = new URL(input, globalThis.document ? document.baseURI : globalThis.location && location.href).href;
    const h = new Headers(init == null ? undefined : init.headers);
    out = [{ url, init, h, n: 0 }, true, init != null && !!init.keepalive, h.has("Authorization"), url, signal];
  } else {
    // Before the Request is built: building it from a `Request` input takes that input's body.
    const stream = init != null && typeof ReadableStream !== "undefined" && body instanceof ReadableStream;
    const replayable = !stream && !(input instanceof Request && input.bodyUsed);
    const r = new Request(input instanceof Request ? input : String(input), init ?? undefined);
    const keepalive = r.keepalive === true || (init != null && init.keepalive === true);
    const mayHaveBody = !(r.method === "GET" || r.method === "HEAD") || input instanceof Request;
    const spare = replayable && !keepalive && mayHaveBody ? r.clone() : null;
    out = [{ r, spare, url: r.url, n: 0 }, replayable, keepalive, r.headers.has("Authorization"), r.url, r.signal];
  }
  if (out[5] && out[5].aborted) throw reason(out[5]);
  if (unlisted && unlisted.o && !out[3] && out[4].startsWith(unlisted.o + "/")) {
    console.warn(`wasm-token-manager: ${shownUrl(out[4])} goes without the token: allowedOrigins leaves out this page's origin (list "self")`);
    unlisted.o = 0;
  }
  return out;
}

/// An abort while the request waits rejects it as `fetch` would (during the send, `fetch`
/// itself rejects): `done(id, reason, 0)`; a login's signal (`n` 13): `done(call, reason, 13)`.
export const onAbort = (signal, id, done, n) => signal.addEventListener("abort", () => done(id, reason(signal), n));

/// A prepared `{url, init, h}` not sent during the call (it waits) is frozen into a Request
/// now, as the call made it (and a `spare` when it has a body). Throws as `fetch` would.
export function freeze(s) {
  if (s.n || s.r) return;
  s.r = new Request(s.url, withHeaders(s.init, s.h));
  if (s.init != null && s.init.body != null) s.spare = s.r.clone();
}
