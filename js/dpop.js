// DPoP (RFC 9449) key and proofs for wasm-token-manager. The private key is a non-extractable
// WebCrypto key kept in IndexedDB (the only storage that can hold one): one key per origin,
// shared by its tabs and workers. No key material ever reaches wasm memory or a JS string,
// except the public JWK that every proof carries.

const DB = "wasm-token-manager-dpop";
const STORE = "keys";
const ID = "current";

function db() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

function tx(mode, run) {
  return db().then((d) => new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    const r = run(t.objectStore(STORE));
    t.oncomplete = () => { d.close(); resolve(r?.result); };
    t.onerror = () => { d.close(); reject(t.error); };
  }));
}

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const utf8 = (s) => new TextEncoder().encode(s);

async function generate() {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const { kty, crv, x, y } = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const key = { pair, jwk: { crv, kty, x, y } };
  await tx("readwrite", (s) => s.put(key, ID));
  return key;
}

/// Run `f` under the origin-wide lock for the key (two tabs must not make two keys).
function locked(f) {
  return navigator.locks ? navigator.locks.request(`${DB}:key`, f) : f();
}

/// The origin's key, made on first use. `fresh`: drop the old key and make a new one (a login
/// after the session ended).
export function dpopKey(fresh) {
  return locked(async () => {
    if (!fresh) {
      const key = await tx("readonly", (s) => s.get(ID));
      if (key?.pair?.privateKey) return key;
    }
    return generate();
  });
}

/// Forget the key (logout, session end).
export function dpopDeleteKey() {
  return locked(() => tx("readwrite", (s) => s.delete(ID)));
}

/// A DPoP proof (RFC 9449 §4.2) for `htm` `htu`, with the server's `nonce` and, for a resource
/// request, the access token's hash (`ath`).
export async function dpopProof(key, htm, htu, nonce, accessToken) {
  const header = { typ: "dpop+jwt", alg: "ES256", jwk: key.jwk };
  const claims = { jti: crypto.randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000) };
  if (nonce) claims.nonce = nonce;
  if (accessToken) claims.ath = b64url(await crypto.subtle.digest("SHA-256", utf8(accessToken)));
  const input = `${b64url(utf8(JSON.stringify(header)))}.${b64url(utf8(JSON.stringify(claims)))}`;
  // WebCrypto's ECDSA signature is r‖s (IEEE P1363): exactly the JWS ES256 format.
  const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.pair.privateKey, utf8(input));
  return `${input}.${b64url(signature)}`;
}

// The last nonce each origin gave (`DPoP-Nonce` on any response), and the cached key.
const nonces = new Map();
let cached = null;
const originOf = (url) => new URL(url).origin;

/// Forget the cached key (another tab made a new one, or it was deleted).
export function dpopForget() {
  cached = null;
}

/// The `DPoP` header for a request: a proof for `htm` `url` with the origin's nonce and, for
/// a resource request, the token's hash. `fresh`: a new key (a login).
export async function dpopHeader(htm, url, accessToken, fresh) {
  if (fresh || !cached) cached = await dpopKey(fresh);
  return dpopProof(cached, htm, url.split(/[?#]/)[0], nonces.get(originOf(url)), accessToken);
}

/// Remember the nonce an answer carries; `true` when the answer is a nonce challenge this
/// origin can now answer (a token endpoint's 400 `use_dpop_nonce` is checked by the caller).
export function dpopAnswer(url, res) {
  const nonce = res.headers.get("dpop-nonce");
  if (nonce) nonces.set(originOf(url), nonce);
  const www = (res.headers.get("www-authenticate") || "").toLowerCase().trim();
  return res.status === 401 && www.startsWith("dpop") && www.includes("use_dpop_nonce") && nonces.has(originOf(url));
}
