// Top-level navigations of wasm-token-manager: sign-in by navigation to a token-mediating
// backend (`loginRedirect`), and the navigation after `logout()` to the backend's or the
// provider's end-session page. `nav` is the navigations' options (js/options.js).
import { tokenManagerError } from "./errors.js";

/// `loginRedirect({ returnTo, params })`: navigate to `nav.login` (loginRedirectUrl) with the
/// return path in the query parameter `nav.param`. The return path is the current path, query
/// and hash, or `returnTo` when it resolves to a path of this page's own origin (no other
/// origin, no `//host`, no `javascript:`): no open redirect through the backend. Rejects with
/// `invalid_options` (and navigates nowhere) otherwise.
export async function loginRedirect(nav, o) {
  const loc = location, p = o?.params ?? {};
  let u;
  try { u = new URL(o?.returnTo ?? loc.pathname + loc.search + loc.hash, loc.href); } catch { /* not a URL */ }
  const path = u && u.pathname + u.search + u.hash;
  if (!nav.login || typeof p !== "object" || u?.origin !== loc.origin || u.protocol !== loc.protocol ||
      !/^\/(?![/\\]|%2f|%5c)/i.test(path)) {
    throw tokenManagerError("invalid_options",
      "loginRedirect needs loginRedirectUrl, a returnTo path of this origin and params as an object");
  }
  const t = new URL(nav.login);
  for (const k in p) t.searchParams.set(k, p[k]);
  t.searchParams.set(nav.param, path); // last: params cannot replace the checked path
  loc.assign(t.href);
}

/// After a logout call settled: forget the URL its answer gave at `logoutRedirectField`
/// (`nav.to`, set by js/http.js); when it signed out here (`go`), navigate there, else to
/// `logoutRedirectUrl`, if either is an http(s) URL.
export function leave(nav, go) {
  const to = (typeof nav.to === "string" && nav.to) || nav.leave;
  nav.to = undefined;
  if (!go || !to) return;
  try {
    const u = new URL(to, location.href);
    if (/^https?:$/.test(u.protocol)) location.assign(u.href);
  } catch {
    // no page to leave, or nowhere to go
  }
}
