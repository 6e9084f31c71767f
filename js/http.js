// HTTP for wasm-token-manager: the token endpoints' POST and the send of a wrapped request,
// each one call from wasm. What to send and what to do with the answer is decided in Rust.
import { dpopHeader, dpopAnswer, dpopDeleteKey, dpopForget } from "./dpop.js";

export { dpopDeleteKey, dpopForget };

const pick = (value, path) => {
  let v = value;
  for (const k of path.split(".")) v = v !== null && typeof v === "object" ? v[k] : undefined;
  return v;
};

/// POST to a token endpoint (refresh, login, logout) with `headers` (an object), the login
/// `body` (JSON, or FormData/URLSearchParams as they are), credentials, the machine's `signal`,
/// and a DPoP proof when `dpop` (once more on the server's `use_dpop_nonce`). Rejects on a
/// network error; resolves to `{status, retryAfterMs, dateMs, token, expiresIn, expiresAt,
/// tokenType, body, error}`, the token read as `read` says ({token, expiresIn, expiresAt,
/// parse}); `read` null: the answer's body is not read.
export async function tokenPost(fetchFn, url, headers, body, signal, dpop, fresh, read) {
  let res;
  for (let retried = false; ; retried = true) {
    const h = new Headers(headers);
    let payload;
    if (body instanceof FormData || body instanceof URLSearchParams) payload = body;
    else if (body !== undefined) { h.set("Content-Type", "application/json"); payload = JSON.stringify(body); }
    if (dpop) h.set("DPoP", await dpopHeader("POST", url, null, fresh && !retried));
    res = await fetchFn.call(globalThis, new Request(url, { method: "POST", credentials: "include", cache: "no-store", headers: h, body: payload, signal }));
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
  try { json = await res.json(); } catch { out.error = "the response is not JSON"; return out; }
  if (!res.ok) { out.body = json; return out; }
  out.tokenType = pick(json, "token_type");
  if (read.parse) {
    let parsed;
    try { parsed = read.parse(json); } catch { out.error = "parseTokenResponse threw"; return out; }
    out.token = parsed && parsed.accessToken;
    out.expiresIn = parsed && parsed.expiresIn;
    if (typeof out.token !== "string") out.error = "parseTokenResponse returned no accessToken string";
    return out;
  }
  out.token = pick(json, read.token);
  out.expiresIn = pick(json, read.expiresIn);
  if (read.expiresAt) out.expiresAt = pick(json, read.expiresAt);
  if (typeof out.token !== "string") out.error = "the response has no access token";
  return out;
}

/// Send a wrapped request: `scheme` 0 as it is, 1 without the manager's Authorization, 2
/// `Bearer token`, 3 `DPoP token` with a proof. Resolves to `[response, nonceChallenge]`.
export async function sendWrapped(fetchFn, request, scheme, token, dpop) {
  const h = request.headers;
  if (scheme === 1) { h.delete("Authorization"); if (dpop) h.delete("DPoP"); }
  if (scheme === 2) h.set("Authorization", "Bearer " + token);
  if (scheme === 3) {
    h.set("DPoP", await dpopHeader(request.method, request.url, token, false));
    h.set("Authorization", "DPoP " + token);
  }
  const res = await fetchFn.call(globalThis, request);
  return [res, dpop ? dpopAnswer(request.url, res) : false];
}

/// Build the Request a `fetch(input, init)` call would make, and what the manager needs to know
/// of it: `[request, spare, replayable, keepalive, hasAuthorization]`. `spare`: a copy made
/// before the first send, for a replay, when the request may carry a body. Throws as `fetch`
/// would for bad arguments.
export function prepareRequest(input, init) {
  if (init != null && typeof init !== "object" && typeof init !== "function") throw new TypeError("fetch: init must be an object");
  // Before the Request is built: building it from a `Request` input takes that input's body.
  const stream = init != null && typeof ReadableStream !== "undefined" && init.body instanceof ReadableStream;
  const replayable = !stream && !(input instanceof Request && input.bodyUsed);
  const request = new Request(input instanceof Request ? input : String(input), init ?? undefined);
  const keepalive = request.keepalive === true || (init != null && init.keepalive === true);
  const mayHaveBody = !(request.method === "GET" || request.method === "HEAD") || input instanceof Request;
  const spare = replayable && !keepalive && mayHaveBody ? request.clone() : null;
  return [request, spare, replayable, keepalive, request.headers.has("Authorization")];
}
