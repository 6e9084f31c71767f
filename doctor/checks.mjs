// The doctor's decisions: pure functions over the exchanges the runner recorded (cli.mjs). No
// network, no clock but the recorded times, so every verdict is testable from a fixture.
//
// An exchange: { method, url, reqHeaders: {lower-case: value}, status, headers: {lower-case:
// value}, setCookies: [line], text, json, sentAtMs, receivedAtMs, error? }. A failed request
// (no answer) has `error` and status 0.
//
// Each check returns { id, title, verdict: "pass" | "fail" | "warn" | "skip", saw, fix, doc }:
// `skip` when the check does not apply or could not run (the reason is in `saw`).
import {
  parseSetCookie, sameSite, lifetime, isDeletion, cookiePath, pathMatches, isLoopback, sameSiteUrls, sameOrigin,
} from "./cookies.mjs";

export const DOC = "docs/doctor.md";

/// Every check, in the order they are printed: id, title, and the fix in a sentence.
export const CHECKS = [
  ["login", "login answers 2xx with a token and a refresh cookie", "Answer the login with 2xx, the token at the configured field and a Set-Cookie with the refresh token."],
  ["no-store", "token answers carry Cache-Control: no-store", "Send Cache-Control: no-store on every answer that carries a token (login and refresh)."],
  ["cookie-httponly", "the refresh cookie is HttpOnly", "Set the refresh cookie with HttpOnly, so page scripts (and XSS) cannot read it."],
  ["cookie-secure", "the refresh cookie is Secure on https", "Mark the cookie Secure when served over https (behind a TLS proxy, make the framework trust X-Forwarded-Proto)."],
  ["cookie-samesite", "SameSite fits the app's site", "Use SameSite=Strict or Lax with the API on the app's site; None only with Secure, and only for an API on another site."],
  ["cookie-site", "the API is on the app's site", "Serve the auth routes from the app's site (a same-site subdomain or a path behind the same host): browsers block third-party cookies."],
  ["cookie-path", "the cookie's Path covers refresh and logout", "Set Path to a prefix of both the refresh and the logout URL as the browser sees them (proxy prefix included)."],
  ["cookie-lifetime", "the cookie outlives the access token", "Give the refresh cookie a Max-Age equal to the refresh token's lifetime, longer than the access token's."],
  ["cookie-domain", "no Domain attribute unless needed", "Leave Domain out: the cookie then goes to this host only, not to every subdomain."],
  ["cookie-prefix", "the __Host- prefix (advice)", "Over https, name the cookie __Host-… (it then needs Secure, Path=/ and no Domain) so no subdomain can set or shadow it."],
  ["refresh-expires-in", "refresh_expires_in agrees with the cookie's Max-Age", "Send refresh_expires_in equal to the cookie's Max-Age (both: what is left of the refresh token's lifetime)."],
  ["token-expires-in", "expires_in agrees with the JWT's exp − iat", "Compute expires_in from the same lifetime as the token's exp (or leave expires_in out)."],
  ["token-clock", "the Date header and iat agree with the clock", "Keep the server clock in sync (NTP) and send a Date header; the manager uses it to correct the device's clock."],
  ["token-alg", "the token's alg is not none", "Sign access tokens (EdDSA, ES256 or RS256); never issue alg: none."],
  ["refresh", "refresh with the cookie answers 2xx with a token", "Answer the refresh with 2xx and a token when the cookie (and the CSRF header) are valid."],
  ["refresh-rotation", "refresh rotates the cookie", "Rotate the refresh token on every refresh (a new Set-Cookie), keeping reuse detection and a grace window."],
  ["concurrency", "two refreshes at once keep the session", "Serialize rotation per family and answer a refresh with the just-replaced token, inside a grace window, with the current token and its Set-Cookie."],
  ["reuse", "a replayed old cookie is refused and revokes the family", "After the grace window, refuse a rotated-away token and revoke its whole family, the newest token included."],
  ["csrf-header", "refresh without the CSRF header is refused", "Refuse refresh and logout without the CSRF header (403), before anything rotates."],
  ["csrf-origin", "refresh from a foreign Origin is refused", "Refuse refresh and logout whose Origin is not the app's (403), before anything rotates."],
  ["csrf-form", "refresh as a cross-site form post is refused", "Refuse simple (form or text/plain) cross-site requests on refresh: require the custom header and check Origin."],
  ["csrf-logout", "logout from a foreign page is refused", "Apply the same CSRF header and Origin check to logout, so a foreign page cannot sign users out."],
  ["cors-preflight", "the preflight allows Authorization (and the CSRF header)", "Answer preflights from the app's origin with 2xx, that origin, and Authorization and your CSRF header in Access-Control-Allow-Headers."],
  ["cors-credentials", "CORS answers the exact origin, with credentials and Vary: Origin", "Answer the exact allowed origin (never *, never any origin reflected) with Access-Control-Allow-Credentials: true and Vary: Origin."],
  ["cors-401", "CORS headers on the API's 401", "Add the CORS headers to error answers too (401 and 403), and expose WWW-Authenticate."],
  ["api-token", "the API accepts the token", "Check --api-url: a protected route that accepts Authorization: Bearer <the login's token>."],
  ["api-no-token", "the API answers 401 without a token", "Answer a request without a token with 401 and WWW-Authenticate: Bearer (not 403, not a redirect to a login page)."],
  ["api-bad-token", "the API answers 401 to a bad token", "Answer an expired or invalid token with 401 and WWW-Authenticate: Bearer error=\"invalid_token\" (not 403): that 401 triggers the refresh."],
  ["logout", "logout answers 2xx", "Answer the logout with 2xx (even when the cookie is already gone)."],
  ["logout-cookie", "logout deletes the cookie with the same attributes", "Delete the cookie with the Path, Domain, SameSite and Secure it was set with (and Max-Age=0), or the browser keeps it."],
  ["logout-revokes", "after logout the old cookie yields no token", "Revoke the refresh token (its family) on logout, not only the cookie."],
];
const TITLE = Object.fromEntries(CHECKS.map(([id, title]) => [id, title]));
const FIX = Object.fromEntries(CHECKS.map(([id, , fix]) => [id, fix]));

const result = (id, verdict, saw, fix = FIX[id]) => ({ id, title: TITLE[id], verdict, saw, fix, doc: `${DOC}#${id}` });
const pass = (id, saw) => result(id, "pass", saw);
const fail = (id, saw, fix) => result(id, "fail", saw, fix);
const warn = (id, saw, fix) => result(id, "warn", saw, fix);
const skip = (id, saw) => result(id, "skip", saw);

// ---- helpers over exchanges -------------------------------------------------------------------

export const ok2xx = (ex) => !!ex && ex.status >= 200 && ex.status < 300;
const get = (obj, path) => path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
/// The access token in an answer, or null.
export function tokenOf(ex, field) {
  if (!ok2xx(ex) || ex.json == null) return null;
  const t = get(ex.json, field);
  return typeof t === "string" && t ? t : null;
}
/// Was a refresh attempt answered with a token (a 2xx of null, {} or a null token is a refusal).
export const accepted = (ex, field) => tokenOf(ex, field) !== null;
const status = (ex) => (!ex ? "not sent" : ex.error ? `no answer (${ex.error})` : `${ex.status}`);
const header = (ex, name) => ex?.headers?.[name] ?? null;

/// The Set-Cookie of `name` in an answer (the last one), parsed, or null.
export function cookieIn(ex, name) {
  const lines = (ex?.setCookies ?? []).map(parseSetCookie).filter((c) => c && c.name === name);
  return lines.at(-1) ?? null;
}
/// The refresh cookie's new value if the answer rotated it (a new, non-deleting Set-Cookie).
export function rotatedValue(ex, name, previous) {
  const c = cookieIn(ex, name);
  if (!c || isDeletion(c, ex.receivedAtMs) || c.value === previous) return null;
  return c.value;
}

/// Which login cookie is the refresh cookie: `name` if given; else a non-deleting HttpOnly one
/// whose Path covers the refresh URL, preferring names with "refresh", then "session"/"sid".
export function findRefreshCookie(setCookies, refreshUrl, loginUrl, name) {
  const all = setCookies.map(parseSetCookie).filter(Boolean);
  if (name) return all.filter((c) => c.name === name).at(-1) ?? null;
  const live = all.filter((c) => !isDeletion(c) && c.value);
  const refreshPath = new URL(refreshUrl).pathname;
  const covers = live.filter((c) => pathMatches(cookiePath(c, loginUrl), refreshPath));
  const pool = covers.length ? covers : live;
  const rank = (c) => (c.attrs.httponly ? 0 : 4) + (/refresh/i.test(c.name) ? 0 : /session_token|sid|session/i.test(c.name) ? 1 : 2);
  return [...pool].sort((a, b) => rank(a) - rank(b))[0] ?? null;
}

/// A cookie shown without its value (a secret): `name=<n chars>; attrs`.
export function showCookie(c) {
  if (!c) return "no Set-Cookie";
  const attrs = c.raw.split(";").slice(1).map((s) => s.trim()).join("; ");
  return `${c.name}=<${c.value.length} chars>${attrs ? "; " + attrs : ""}`;
}

/// The decoded JWT header and payload, or null for an opaque token.
export function decodeJwt(token) {
  const parts = String(token).split(".");
  if (parts.length !== 3) return null;
  try {
    const dec = (p) => JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
    const [header, payload] = [dec(parts[0]), dec(parts[1])];
    return header && typeof header === "object" && payload && typeof payload === "object" ? { header, payload } : null;
  } catch {
    return null;
  }
}

/// The access token's lifetime in seconds: expires_in, else exp − iat, else null.
function accessLifetime(ex, field) {
  const e = Number(ex?.json?.expires_in);
  if (Number.isFinite(e) && e > 0) return e;
  const jwt = decodeJwt(tokenOf(ex, field) ?? "");
  const { exp, iat } = jwt?.payload ?? {};
  return Number.isFinite(exp) && Number.isFinite(iat) ? exp - iat : null;
}

// ---- the checks ------------------------------------------------------------------------------

/// Run every check over a recorded run `r` (see cli.mjs `run`). Returns the results in CHECKS
/// order.
export function evaluate(r) {
  const c = r.config;
  const field = c.accessTokenField;
  const out = [];
  const add = (x) => out.push(x);

  // The first answer that carries a token: the login's, or (no token at login) the first refresh.
  const tokenEx = c.loginReturnsToken && r.login ? r.login : r.refresh;
  const token = tokenOf(tokenEx, field);
  // The refresh cookie as set (login, or --cookie) and its name.
  const rc = r.refreshCookie ?? null;
  const rcName = rc?.name;
  const setBy = r.refreshCookieSetBy ?? c.loginUrl; // the URL whose answer set it

  // login
  if (!r.login) add(skip("login", "no login (--cookie given)"));
  else if (!ok2xx(r.login)) add(fail("login", `login ${status(r.login)}: ${String(r.login.text ?? "").slice(0, 120)}`, "Check --login-url and --login-body; the doctor needs a working sign-in."));
  else if (c.loginReturnsToken && !tokenOf(r.login, field)) add(fail("login", `login ${r.login.status} without a token at "${field}" (keys: ${Object.keys(r.login.json ?? {}).join(", ") || "no JSON"})`, "Answer the login with the token at the configured --access-token-field (or pass --no-login-token)."));
  else if (!rc) add(fail("login", `login ${r.login.status} but no refresh cookie in Set-Cookie (${(r.login.setCookies ?? []).length} cookies)`));
  else add(pass("login", `login ${r.login.status}${c.loginReturnsToken ? `, token at "${field}"` : ""}, refresh cookie ${rcName}`));

  // no-store: every token answer seen (login, first refresh)
  {
    const answers = [c.loginReturnsToken ? r.login : null, r.refresh].filter((ex) => ex && tokenOf(ex, field));
    if (!answers.length) add(skip("no-store", "no token answer to look at"));
    else {
      const bad = answers.filter((ex) => !/\bno-store\b/i.test(header(ex, "cache-control") ?? ""));
      const saw = answers.map((ex) => `${new URL(ex.url).pathname}: Cache-Control ${JSON.stringify(header(ex, "cache-control"))}`).join("; ");
      add(bad.length ? fail("no-store", saw) : pass("no-store", saw));
    }
  }

  // cookie attributes
  const https = new URL(c.base).protocol === "https:";
  const host = new URL(c.refreshUrl).hostname;
  const app = c.appOrigin ?? new URL(c.base).origin;
  const crossSite = !sameSiteUrls(app, c.refreshUrl);
  if (!rc) {
    for (const id of ["cookie-httponly", "cookie-secure", "cookie-samesite", "cookie-site", "cookie-path", "cookie-lifetime", "cookie-domain", "cookie-prefix", "refresh-expires-in"])
      add(skip(id, "no refresh cookie seen"));
  } else {
    const shown = showCookie(rc);
    add(rc.attrs.httponly ? pass("cookie-httponly", shown) : fail("cookie-httponly", `${shown} (no HttpOnly)`));

    const secure = !!rc.attrs.secure;
    if (https) add(secure ? pass("cookie-secure", shown) : fail("cookie-secure", `${shown}: over https without Secure`));
    else if (isLoopback(host)) add(secure
      ? warn("cookie-secure", `${shown}: Secure over plain http on ${host}`, "Safari (WebKit) drops a Secure cookie received over plain http, even on localhost: set Secure only over https.")
      : pass("cookie-secure", `plain http on loopback ${host}: no Secure is right here (set it over https)`));
    else if (secure) add(fail("cookie-secure", `${shown}: Secure over plain http on ${host}: browsers refuse to store it`, "Serve the auth routes over https (a Secure cookie is stored only from a secure origin)."));
    else add(warn("cookie-secure", `plain http on ${host}: the cookie travels in clear`, "Serve the auth routes over https and mark the cookie Secure."));

    const ss = sameSite(rc);
    const siteNote = c.appOrigin ? `app ${app} is ${crossSite ? "cross-site" : "same-site"} with ${new URL(c.refreshUrl).origin}` : "no --app-origin: judged as same-site";
    if (ss === "None" && !secure) add(fail("cookie-samesite", `${shown}: SameSite=None without Secure (browsers reject it)`));
    else if (crossSite && (ss === "Strict" || ss === "Lax")) add(fail("cookie-samesite", `SameSite=${ss}; ${siteNote}: the browser never sends it on the app's fetches`, "For an API on another site the cookie needs SameSite=None; Secure (better: move the API onto the app's site)."));
    else if (crossSite && ss === null) add(fail("cookie-samesite", `no SameSite; ${siteNote}: Chromium treats it as Lax and never sends it on the app's fetches`));
    else if (crossSite) add(pass("cookie-samesite", `SameSite=None; Secure; ${siteNote}`));
    else if (ss === "None") add(warn("cookie-samesite", `SameSite=None; ${siteNote}: None is needed only across sites`, "Use SameSite=Strict (or Lax) for an API on the app's site: it blocks cross-site requests from carrying the cookie."));
    else if (ss === null) add(warn("cookie-samesite", `no SameSite; ${siteNote}: browsers default differently (Lax in Chromium, None elsewhere)`, "Set SameSite=Strict (or Lax) explicitly."));
    else add(pass("cookie-samesite", `SameSite=${ss}; ${siteNote}`));

    if (!c.appOrigin) add(skip("cookie-site", "no --app-origin"));
    else if (!crossSite) add(pass("cookie-site", siteNote));
    else add(rc.attrs.partitioned
      ? warn("cookie-site", `${siteNote}; the cookie is Partitioned (CHIPS): not every browser honours it`)
      : fail("cookie-site", `${siteNote}: the refresh cookie is a third-party cookie there, which Safari blocks (and Chrome with third-party cookies off)`));

    const p = cookiePath(rc, setBy);
    const missed = [["refresh", c.refreshUrl], ["logout", c.logoutUrl]].filter(([, u]) => u && !pathMatches(p, new URL(u).pathname));
    add(missed.length
      ? fail("cookie-path", `Path=${p} does not cover ${missed.map(([w, u]) => `${w} ${new URL(u).pathname}`).join(" nor ")}`)
      : pass("cookie-path", `Path=${p} covers ${[c.refreshUrl, c.logoutUrl].filter(Boolean).map((u) => new URL(u).pathname).join(" and ")}`));

    const life = lifetime(rc, r.refreshCookieAtMs ?? Date.now());
    const access = accessLifetime(tokenEx, field);
    if (life === null) add(fail("cookie-lifetime", `${shown}: no Max-Age or Expires (a session cookie: gone when the browser closes)`));
    else if (access !== null && life <= access) add(fail("cookie-lifetime", `cookie lives ${life} s, the access token ${access} s`));
    else add(pass("cookie-lifetime", `cookie lives ${life} s${access !== null ? `, the access token ${access} s` : ""}`));

    const dom = typeof rc.attrs.domain === "string" ? rc.attrs.domain.replace(/^\./, "").toLowerCase() : null;
    if (!dom) add(pass("cookie-domain", "no Domain: this host only"));
    else if (host !== dom && !host.endsWith("." + dom)) add(fail("cookie-domain", `Domain=${dom} does not match the host ${host}: the browser rejects the cookie`));
    else add(warn("cookie-domain", `Domain=${dom}: sent to every subdomain of ${dom} too`));

    // Prefixes match without regard to case (RFC 6265bis); __Host- needs an explicit Path=/.
    const lower = rc.name.toLowerCase();
    if (lower.startsWith("__host-")) {
      const bad = [!secure && "Secure", rc.attrs.path !== "/" && "an explicit Path=/", dom && "no Domain"].filter(Boolean);
      add(bad.length ? fail("cookie-prefix", `${rc.name} without ${bad.join(", ")}: the browser rejects it`) : pass("cookie-prefix", `${rc.name}: __Host- prefix`));
    } else if (lower.startsWith("__secure-")) add(secure ? pass("cookie-prefix", `${rc.name}: __Secure- prefix`) : fail("cookie-prefix", `${rc.name} without Secure: the browser rejects it`));
    else add(pass("cookie-prefix", `${rc.name} has no __Host- prefix (advice${https ? "" : ", once on https"}: ${FIX["cookie-prefix"]})`));

    const rei = (c.loginReturnsToken ? r.login : r.refresh)?.json?.refresh_expires_in;
    if (rei === undefined || rei === null) add(skip("refresh-expires-in", "no refresh_expires_in in the token answer"));
    else if (life === null) add(skip("refresh-expires-in", `refresh_expires_in ${rei}; the cookie has no Max-Age to compare with (cookie-lifetime)`));
    else if (Math.abs(Number(rei) - life) > 2) add(fail("refresh-expires-in", `refresh_expires_in ${rei}, cookie Max-Age ${life}`));
    else add(pass("refresh-expires-in", `refresh_expires_in ${rei}, cookie Max-Age ${life}`));
  }

  // the token
  const jwt = token ? decodeJwt(token) : null;
  if (!token) for (const id of ["token-expires-in", "token-clock", "token-alg"]) add(skip(id, "no token"));
  else {
    const { exp, iat } = jwt?.payload ?? {};
    const ei = tokenEx.json?.expires_in;
    if (!jwt) add(skip("token-expires-in", "an opaque (non-JWT) token: only expires_in tells its lifetime"));
    else if (ei === undefined || ei === null) add(pass("token-expires-in", `no expires_in; JWT exp − iat = ${Number.isFinite(exp) && Number.isFinite(iat) ? exp - iat + " s" : "unknown"}`));
    else if (!Number.isFinite(exp) || !Number.isFinite(iat)) add(warn("token-expires-in", `expires_in ${ei}; the JWT lacks ${!Number.isFinite(exp) ? "exp" : "iat"}`, "Put exp and iat in access tokens."));
    else if (Math.abs(exp - iat - Number(ei)) > 2) add(fail("token-expires-in", `expires_in ${ei}, JWT exp − iat = ${exp - iat}`));
    else add(pass("token-expires-in", `expires_in ${ei}, JWT exp − iat = ${exp - iat}`));

    const date = Date.parse(header(tokenEx, "date") ?? "");
    if (Number.isNaN(date)) add(warn("token-clock", "no Date header on the token answer"));
    else {
      const mid = (tokenEx.sentAtMs + tokenEx.receivedAtMs) / 2;
      const skew = Math.round((date - mid) / 1000);
      const iatSkew = jwt && Number.isFinite(iat) ? Math.round(iat - date / 1000) : null;
      const saw = `Date ${header(tokenEx, "date")}: ${skew >= 0 ? "+" : ""}${skew} s from this machine${iatSkew !== null ? `; iat ${iatSkew >= 0 ? "+" : ""}${iatSkew} s from Date` : ""}`;
      add(Math.abs(skew) > 5 || (iatSkew !== null && Math.abs(iatSkew) > 5) ? warn("token-clock", saw) : pass("token-clock", saw));
    }

    if (!jwt) add(skip("token-alg", "an opaque (non-JWT) token"));
    else if (String(jwt.header.alg ?? "").toLowerCase() === "none" || !jwt.header.alg) add(fail("token-alg", `alg ${JSON.stringify(jwt.header.alg)}`));
    else add(pass("token-alg", `alg ${jwt.header.alg}`));
  }

  // refresh
  const refreshOk = accepted(r.refresh, field);
  if (!r.refresh) add(skip("refresh", "not sent (no session)"));
  else add(refreshOk ? pass("refresh", `${r.refresh.method} ${new URL(r.refresh.url).pathname} ${r.refresh.status} with a token`)
    : fail("refresh", `${r.refresh.method} ${new URL(r.refresh.url).pathname} ${status(r.refresh)}${ok2xx(r.refresh) ? ` without a token at "${field}"` : ""}`));
  const rotates = refreshOk && rcName ? rotatedValue(r.refresh, rcName, r.refreshCookieValueBefore ?? rc?.value) !== null : null;
  if (!refreshOk || !rcName) add(skip("refresh-rotation", "no successful refresh"));
  else add(rotates ? pass("refresh-rotation", `a new ${rcName}: ${showCookie(cookieIn(r.refresh, rcName))}`)
    : warn("refresh-rotation", `no new ${rcName} (${cookieIn(r.refresh, rcName) ? "the same value set again" : "no Set-Cookie"}): the refresh token does not rotate`));

  // concurrency
  add(concurrency(r.concurrent, rcName, field, rotates));
  // reuse
  add(reuse(r.reuse, field, rotates));

  // CSRF
  const probe = (id, p, { headerDefence = false, rotates: rot } = {}) => {
    if (!p) return skip(id, "not sent");
    if (p.skipped) return skip(id, p.skipped);
    const what = `${p.probe.method} ${new URL(p.probe.url).pathname} ${p.describe}: ${status(p.probe)}`;
    const acc = p.logout ? ok2xx(p.probe) : accepted(p.probe, field);
    if (!acc) {
      if (!p.verify) return pass(id, `${what}, refused`);
      return accepted(p.verify, field) ? pass(id, `${what}, refused; the cookie still works afterwards`)
        : fail(id, `${what}, refused, but the cookie stopped working (${status(p.verify)}): the refused request changed the session`, "Run the CSRF check before touching the refresh token: a refused request must rotate and revoke nothing.");
    }
    if (p.logout) return fail(id, `${what}: accepted`);
    const rotated = rotatedValue(p.probe, rcName, p.cookieSent) !== null;
    if (headerDefence) return warn(id, `${what}: accepted${rotated ? " and rotated" : ""}; the CSRF header is the only defence`, "Check Origin too (defence in depth): refuse an Origin that is not the app's.");
    if (rotated) return fail(id, `${what}: accepted and rotated the cookie`);
    return rot ? fail(id, `${what}: accepted`) : warn(id, `${what}: accepted (nothing rotated, and a foreign page cannot read the answer unless CORS lets it)`);
  };
  const cs = r.csrf ?? {};
  add(probe("csrf-header", cs.header, { rotates }));
  const headerRefused = cs.header && !cs.header.skipped && !accepted(cs.header.probe, field);
  add(probe("csrf-origin", cs.origin, { headerDefence: !!headerRefused, rotates }));
  add(probe("csrf-form", cs.form, { rotates }));
  add(probe("csrf-logout", cs.logout, { rotates }));

  // CORS
  const crossOrigin = c.appOrigin && !sameOrigin(c.appOrigin, c.refreshUrl);
  if (!crossOrigin) {
    for (const id of ["cors-preflight", "cors-credentials", "cors-401"]) add(skip(id, c.appOrigin ? "the app is on the API's origin: no CORS" : "no --app-origin"));
  } else {
    const pre = (r.preflights ?? []).map((p) => {
      const acao = header(p.ex, "access-control-allow-origin");
      const acah = (header(p.ex, "access-control-allow-headers") ?? "").toLowerCase().split(/\s*,\s*/);
      const missing = p.headers.filter((h) => !acah.includes(h.toLowerCase()) && !acah.includes("*"));
      const good = ok2xx(p.ex) && (acao === c.appOrigin || acao === "*") && !missing.length;
      return { good, saw: `OPTIONS ${new URL(p.ex.url).pathname} for ${p.headers.join(", ")}: ${status(p.ex)}, Allow-Origin ${JSON.stringify(acao)}, Allow-Headers ${JSON.stringify(header(p.ex, "access-control-allow-headers"))}` };
    });
    add(!pre.length ? skip("cors-preflight", "no preflight needed") : pre.every((p) => p.good) ? pass("cors-preflight", pre.map((p) => p.saw).join("; ")) : fail("cors-preflight", pre.map((p) => p.saw).join("; ")));

    const ex = r.refresh;
    const acao = header(ex, "access-control-allow-origin"), acac = header(ex, "access-control-allow-credentials");
    const vary = (header(ex, "vary") ?? "").toLowerCase().split(/\s*,\s*/);
    const foreign = cs.origin?.probe ? header(cs.origin.probe, "access-control-allow-origin") : null;
    const saw = `refresh with Origin ${c.appOrigin}: Allow-Origin ${JSON.stringify(acao)}, Allow-Credentials ${JSON.stringify(acac)}, Vary ${JSON.stringify(header(ex, "vary"))}` +
      (cs.origin?.probe ? `; with Origin ${cs.origin.foreignOrigin}: Allow-Origin ${JSON.stringify(foreign)}` : "");
    const problems = [
      acao === "*" && "Allow-Origin *",
      acao !== "*" && acao !== c.appOrigin && "not the app's origin",
      acac !== "true" && "no Allow-Credentials: true",
      !vary.includes("origin") && acao !== "*" && "no Vary: Origin",
      foreign && foreign !== "*" && foreign === cs.origin.foreignOrigin && "a foreign origin reflected",
    ].filter(Boolean);
    add(problems.length ? fail("cors-credentials", `${saw} (${problems.join("; ")})`) : pass("cors-credentials", saw));

    const u = r.api?.none;
    if (!u) add(skip("cors-401", "no --api-url"));
    else {
      const a = header(u, "access-control-allow-origin"), e = (header(u, "access-control-expose-headers") ?? "").toLowerCase();
      const saw401 = `API ${status(u)} with Origin ${c.appOrigin}: Allow-Origin ${JSON.stringify(a)}, Allow-Credentials ${JSON.stringify(header(u, "access-control-allow-credentials"))}, Expose-Headers ${JSON.stringify(header(u, "access-control-expose-headers"))}`;
      if (a !== c.appOrigin && a !== "*") add(fail("cors-401", `${saw401}: the page sees a CORS error, not a 401, and never refreshes`));
      else if (!e.includes("www-authenticate") && e !== "*") add(warn("cors-401", `${saw401}: WWW-Authenticate not exposed (step-up challenges stay unreadable)`));
      else add(pass("cors-401", saw401));
    }
  }

  // API
  const api = r.api;
  if (!api) for (const id of ["api-token", "api-no-token", "api-bad-token"]) add(skip(id, c.apiUrl ? "no token to call it with" : "no --api-url"));
  else {
    add(!api.good ? skip("api-token", "no token") : ok2xx(api.good) ? pass("api-token", `GET ${new URL(api.good.url).pathname} with the token: ${api.good.status}`)
      : fail("api-token", `GET ${new URL(api.good.url).pathname} with the token: ${status(api.good)}`));
    const judge = (id, ex, what) => {
      const www = header(ex, "www-authenticate");
      const loc = header(ex, "location");
      const saw = `${what}: ${status(ex)}${loc ? ` Location ${loc}` : ""}, WWW-Authenticate ${JSON.stringify(www)}`;
      if (ex.status === 401) return /^\s*(bearer|dpop)\b/i.test(www ?? "") ? pass(id, saw) : warn(id, saw, "Add WWW-Authenticate: Bearer error=\"invalid_token\" to the 401 (RFC 6750).");
      return fail(id, saw);
    };
    add(judge("api-no-token", api.none, "no Authorization"));
    add(api.bad ? judge("api-bad-token", api.bad, "a garbled token") : skip("api-bad-token", "no token to garble"));
  }

  // logout
  const lo = r.logout;
  if (!lo) for (const id of ["logout", "logout-cookie", "logout-revokes"]) add(skip(id, c.logoutUrl ? "no session to sign out" : "no --logout-url"));
  else {
    add(ok2xx(lo.ex) ? pass("logout", `POST ${new URL(lo.ex.url).pathname} ${lo.ex.status}`) : fail("logout", `POST ${new URL(lo.ex.url).pathname} ${status(lo.ex)}`));
    const del = rcName ? cookieIn(lo.ex, rcName) : null;
    if (!rc) add(skip("logout-cookie", "no refresh cookie seen"));
    else if (!del) add(fail("logout-cookie", `no Set-Cookie for ${rcName}: the browser keeps it`));
    else if (!isDeletion(del, lo.ex.receivedAtMs)) add(fail("logout-cookie", `${showCookie(del)}: not a deletion (no Max-Age=0 or past Expires)`));
    else {
      const attrs = (x, url) => ({ Path: cookiePath(x, url), Domain: (x.attrs.domain ?? "").replace(/^\./, "").toLowerCase() || "(none)", SameSite: sameSite(x) ?? "(none)", Secure: x.attrs.secure ? "yes" : "no" });
      const a = attrs(rc, setBy), b = attrs(del, lo.ex.url);
      const diff = Object.keys(a).filter((k) => a[k] !== b[k]);
      const saw = `set with ${diff.map((k) => `${k} ${a[k]}`).join(", ")}, deleted with ${diff.map((k) => `${k} ${b[k]}`).join(", ")}`;
      // A browser finds the cookie to delete by name, Domain and Path; SameSite and Secure only
      // decide whether it accepts the deleting cookie at all.
      // (A deleting cookie rejected for the reason the cookie itself was: the cookie-* checks
      // already say so.)
      const refused = (x) => (sameSite(x) === "None" && !x.attrs.secure) || (!!x.attrs.secure && !https && !isLoopback(host));
      const rejected = refused(del) && !refused(rc);
      if (diff.some((k) => k === "Path" || k === "Domain") || rejected) {
        add(fail("logout-cookie", rejected ? `${showCookie(del)}: the browser rejects this deleting cookie` : saw));
      } else if (diff.length) {
        add(warn("logout-cookie", `${saw}: it still deletes the cookie (same name, Domain and Path)`, "Send the deleting Set-Cookie with the very attributes the cookie was set with."));
      } else add(pass("logout-cookie", `deleted with ${showCookie(del)}`));
    }
    add(!lo.after ? skip("logout-revokes", "not sent") : accepted(lo.after, field)
      ? fail("logout-revokes", `the cookie from before the logout still refreshes: ${lo.after.status} with a token`)
      : pass("logout-revokes", `the cookie from before the logout: ${status(lo.after)}, no token`));
  }

  const order = new Map(CHECKS.map(([id], i) => [id, i]));
  return out.sort((a, b) => order.get(a.id) - order.get(b.id));
}

/// Two refreshes sent at once with the same cookie.
export function concurrency(cc, name, field, rotates) {
  if (!cc) return skip("concurrency", "not sent (no session)");
  if (cc.skipped) return skip("concurrency", cc.skipped);
  const [a, b] = cc.answers;
  const both = `${status(a)} and ${status(b)}`;
  const spread = `answers ${Math.abs(a.receivedAtMs - b.receivedAtMs)} ms apart`;
  if (!accepted(a, field) || !accepted(b, field))
    return fail("concurrency", `two refreshes with the same cookie: ${both}; ${spread}: the tab that lost the race is signed out (no grace window, or a non-atomic rotation)`);
  const ca = cookieIn(a, name), cb = cookieIn(b, name);
  if ((ca && isDeletion(ca)) || (cb && isDeletion(cb))) return fail("concurrency", `${both}, but one answer deletes the cookie`);
  const va = rotatedValue(a, name, cc.cookieSent), vb = rotatedValue(b, name, cc.cookieSent);
  if (va === null && vb === null) return rotates ? fail("concurrency", `${both}, neither with a new cookie`) : pass("concurrency", `${both}; no rotation, nothing to converge on`);
  if (va === null || vb === null)
    return fail("concurrency", `${both}, but only one answer has the new cookie: if the other arrives alone (the first one's answer lost), the browser keeps the old cookie and its next refresh is reuse`, "Answer a grace-window hit with the current token and its Set-Cookie.");
  if (va !== vb) return warn("concurrency", `${both} with two different new cookies: the browser keeps whichever arrives last, so both must stay valid`, "Answer the second refresh with the token the first one issued (a grace window), instead of forking the family.");
  return pass("concurrency", `${both}, both with the same new cookie; ${spread}`);
}

/// The old cookie replayed at growing delays after a rotation, then the newest one.
export function reuse(ru, field, rotates) {
  if (!ru) return skip("reuse", "not sent (no session)");
  if (ru.skipped) return skip("reuse", ru.skipped);
  if (rotates === false) return skip("reuse", "the refresh token does not rotate");
  const probes = ru.probes;
  const firstRefused = probes.findIndex((p) => !accepted(p.ex, field));
  const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
  const times = probes.map((p) => `${secs(p.afterMs)}: ${status(p.ex)}`).join(", ");
  if (firstRefused < 0) return fail("reuse", `the rotated-away cookie was still accepted ${secs(probes.at(-1).afterMs)} after the rotation (${times}): a stolen old cookie keeps working`, "Refuse rotated-away refresh tokens after a short grace window (or raise --max-grace if yours is longer) and revoke their family.");
  const grace = firstRefused === 0 ? `grace window < ${secs(probes[0].afterMs)}` : `grace window between ${secs(probes[firstRefused - 1].afterMs)} and ${secs(probes[firstRefused].afterMs)}`;
  if (!ru.newest) return skip("reuse", `${grace}; the newest cookie was not tried`);
  if (accepted(ru.newest, field)) return fail("reuse", `replay refused (${times}; ${grace}), but the newest cookie still works (${ru.newest.status}): the family was not revoked, so a thief who refreshed first keeps the session`);
  return pass("reuse", `${times}; ${grace}; then the newest cookie: ${status(ru.newest)} (the family is revoked)`);
}

/// Exit status for a list of results: 1 on any fail.
export const exitCode = (results) => (results.some((x) => x.verdict === "fail") ? 1 : 0);
