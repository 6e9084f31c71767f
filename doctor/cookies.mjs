// Set-Cookie parsing and the site rules the doctor judges cookies by. Pure: no network.

/// Parse one Set-Cookie value into { name, value, attrs } (attribute names lower-cased; flags
/// are `true`; `samesite` keeps the server's spelling in `raw`). Returns null for a value with
/// no `name=`.
export function parseSetCookie(line) {
  const [pair, ...rest] = String(line).split(";");
  const eq = pair.indexOf("=");
  if (eq < 0) return null;
  const name = pair.slice(0, eq).trim();
  if (!name) return null;
  const attrs = {};
  for (const part of rest) {
    const i = part.indexOf("=");
    const k = (i < 0 ? part : part.slice(0, i)).trim().toLowerCase();
    if (!k) continue;
    attrs[k] = i < 0 ? true : part.slice(i + 1).trim();
  }
  return { name, value: pair.slice(eq + 1).trim(), attrs, raw: String(line) };
}

/// The cookie's SameSite as one of "Strict", "Lax", "None", or null when absent.
export function sameSite(c) {
  const v = typeof c.attrs.samesite === "string" ? c.attrs.samesite.toLowerCase() : null;
  return v === "strict" ? "Strict" : v === "lax" ? "Lax" : v === "none" ? "None" : null;
}

/// Seconds the cookie lives from `nowMs` (Max-Age wins over Expires, RFC 6265 §5.3), or null
/// for a session cookie (neither attribute).
export function lifetime(c, nowMs = Date.now()) {
  if (c.attrs["max-age"] !== undefined && /^-?\d+$/.test(String(c.attrs["max-age"]))) return Number(c.attrs["max-age"]);
  if (typeof c.attrs.expires === "string") {
    const t = Date.parse(c.attrs.expires);
    if (!Number.isNaN(t)) return Math.floor((t - nowMs) / 1000);
  }
  return null;
}

/// Does this Set-Cookie delete the cookie (empty value, or Max-Age ≤ 0, or Expires past)?
export function isDeletion(c, nowMs = Date.now()) {
  const life = lifetime(c, nowMs);
  return (life !== null && life <= 0) || (c.value === "" && life === null);
}

/// The cookie's Path as the browser stores it: the attribute when it starts with "/", else the
/// default path of the request URL (RFC 6265 §5.1.4).
export function cookiePath(c, requestUrl) {
  const p = c.attrs.path;
  if (typeof p === "string" && p.startsWith("/")) return p;
  const path = new URL(requestUrl).pathname;
  const last = path.lastIndexOf("/");
  return last <= 0 ? "/" : path.slice(0, last);
}

/// RFC 6265 §5.1.4 path-match.
export function pathMatches(cookiePathValue, requestPath) {
  if (cookiePathValue === requestPath) return true;
  if (!requestPath.startsWith(cookiePathValue)) return false;
  return cookiePathValue.endsWith("/") || requestPath[cookiePathValue.length] === "/";
}

/// Hosts that browsers treat as secure contexts over plain http.
export function isLoopback(host) {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(h) || h === "::1";
}

// Public suffixes with more than one label that are common enough to matter here. The doctor
// has no Public Suffix List (no dependencies): for other multi-label suffixes its same-site
// answer can be wrong, which it says when it matters.
const MULTI_LABEL_SUFFIXES = new Set([
  "co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.nz", "co.jp", "ne.jp", "or.jp",
  "com.br", "com.cn", "com.mx", "co.in", "co.za", "com.tr", "com.sg", "com.hk", "co.kr",
  "github.io", "gitlab.io", "herokuapp.com", "vercel.app", "netlify.app", "pages.dev", "workers.dev",
  "fly.dev", "onrender.com", "azurewebsites.net", "cloudfront.net", "appspot.com", "web.app", "firebaseapp.com",
]);

/// The registrable domain ("site" without the scheme) of a host: an IP address or a
/// single-label host is its own site; otherwise the last two labels, three under the suffixes
/// above.
export function registrableDomain(host) {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase().replace(/\.$/, "");
  if (/^\d+\.\d+\.\d+\.\d+$/.test(h) || h.includes(":")) return h;
  const labels = h.split(".");
  if (labels.length <= 2) return h;
  const last2 = labels.slice(-2).join(".");
  return MULTI_LABEL_SUFFIXES.has(last2) ? labels.slice(-3).join(".") : last2;
}

/// Schemeful same-site (what SameSite and third-party cookie blocking use): same scheme and
/// same registrable domain; ports do not matter.
export function sameSiteUrls(a, b) {
  const ua = new URL(a), ub = new URL(b);
  return ua.protocol === ub.protocol && registrableDomain(ua.hostname) === registrableDomain(ub.hostname);
}

export function sameOrigin(a, b) {
  return new URL(a).origin === new URL(b).origin;
}
