// Top-level navigations of wasm-token-manager: sign-in by navigation to a token-mediating
// backend (`loginRedirect`), and the navigation after `logout()` to the backend's or the
// provider's end-session page.
import { tokenManagerError } from "./errors.js";

const invalid = (message) => tokenManagerError("invalid_options", message);

/// `loginRedirect({ returnTo, params })`: navigate to `target` (loginRedirectUrl, resolved)
/// with the return path in the query parameter `param`. The return path is the current path,
/// query and hash, or `returnTo` when it resolves to a path of this page's own origin (no
/// other origin, no `//host`, no `javascript:`): no open redirect through the backend. Throws
/// `invalid_options` (and navigates nowhere) otherwise.
export function loginRedirect(target, param, o) {
  const loc = globalThis.location;
  if (!target) throw invalid("loginRedirect needs the loginRedirectUrl option");
  if (!loc || typeof loc.assign !== "function") {
    throw tokenManagerError("unsupported_environment", "loginRedirect needs a page (location.assign)");
  }
  if ((o != null && typeof o !== "object") || (o?.params != null && typeof o.params !== "object")) {
    throw invalid("loginRedirect takes { returnTo?: string, params?: object }");
  }
  const back = o?.returnTo ?? loc.pathname + loc.search + loc.hash;
  let u;
  try { u = new URL(back, loc.href); } catch { u = null; }
  const path = u && u.pathname + u.search + u.hash;
  if (typeof back !== "string" || !u || u.origin !== loc.origin || /^\/[/\\]/.test(path)) {
    throw invalid("loginRedirect: returnTo must be a path of this page's origin");
  }
  const t = new URL(target);
  t.searchParams.set(param, path);
  for (const [k, v] of Object.entries(o?.params ?? {})) {
    if (!["string", "number", "boolean"].includes(typeof v)) throw invalid(`loginRedirect: params.${k} must be a string`);
    t.searchParams.set(k, String(v));
  }
  loc.assign(t.href);
}

/// After a sign-out: navigate to `url` (an http(s) URL, resolved against the page), if any.
export function leave(url) {
  try {
    const u = new URL(url, globalThis.location.href);
    if (/^https?:$/.test(u.protocol)) globalThis.location.assign(u.href);
  } catch {
    // no page to leave, or no URL
  }
}
