// Unit tests of the doctor's decisions over recorded exchanges (no network):
// node --test doctor/
import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluate, concurrency, reuse, findRefreshCookie, exitCode, CHECKS } from "./checks.mjs";
import { parseSetCookie, registrableDomain, sameSiteUrls, pathMatches, lifetime, isDeletion } from "./cookies.mjs";
import { parseArgs } from "./cli.mjs";

const BASE = "http://127.0.0.1:8787/";
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
const NOW = 1_800_000_000;
const jwt = (payload = { sub: "demo", iat: NOW, exp: NOW + 300 }, header = { alg: "EdDSA", typ: "at+jwt" }) => `${b64(header)}.${b64(payload)}.c2ln`;
const COOKIE = "wtm_refresh=AAAA; HttpOnly; SameSite=Strict; Path=/auth; Max-Age=86400";
const DATE = new Date(NOW * 1000).toUTCString();

let at = NOW * 1000;
/// An exchange as the runner records it.
function ex(method, path, status, { json, headers = {}, setCookies = [] } = {}) {
  at += 10;
  return {
    method, url: new URL(path, BASE).href, reqHeaders: {}, status, json, text: json === undefined ? "" : JSON.stringify(json),
    headers: { date: DATE, ...headers }, setCookies, sentAtMs: at - 5, receivedAtMs: at,
  };
}
const tokenAnswer = (cookie, extra = {}, headers = { "cache-control": "no-store" }) =>
  ex("POST", "/auth/refresh", 200, { json: { access_token: jwt(), expires_in: 300, refresh_expires_in: 86400, ...extra }, headers, setCookies: cookie ? [cookie] : [] });
const rotated = (v) => COOKIE.replace("AAAA", v);

/// A recording of a healthy server; `over` replaces parts of it.
function recording(over = {}) {
  at = NOW * 1000;
  const config = {
    base: BASE, loginUrl: BASE + "auth/login", refreshUrl: BASE + "auth/refresh", logoutUrl: BASE + "auth/logout",
    refreshMethod: "POST", accessTokenField: "access_token", loginReturnsToken: true, csrf: { name: "X-Requested-With", value: "x" },
    appOrigin: "http://127.0.0.1:5173", apiUrl: BASE + "api/me", maxGrace: 30, ...over.config,
  };
  const login = { ...tokenAnswer(COOKIE), url: config.loginUrl };
  const cors = { "access-control-allow-origin": config.appOrigin, "access-control-allow-credentials": "true", vary: "origin" };
  const refused = () => ex("POST", "/auth/refresh", 403, { json: { error: "csrf" }, headers: cors });
  const r = {
    config, requests: 25,
    login, refreshCookie: parseSetCookie(COOKIE), refreshCookieAtMs: login.receivedAtMs, refreshCookieValueBefore: "AAAA",
    refresh: { ...tokenAnswer(rotated("BBBB")), headers: { date: DATE, "cache-control": "no-store", ...cors } },
    csrf: {
      header: { describe: "without the header", probe: refused(), verify: tokenAnswer(rotated("CCCC")), cookieSent: "BBBB" },
      origin: { describe: "foreign", probe: refused(), verify: tokenAnswer(rotated("DDDD")), cookieSent: "CCCC", foreignOrigin: "https://x.invalid" },
      form: { describe: "form", probe: refused(), verify: tokenAnswer(rotated("EEEE")), cookieSent: "DDDD" },
      logout: { describe: "foreign", logout: true, probe: ex("POST", "/auth/logout", 403), verify: tokenAnswer(rotated("FFFF")) },
    },
    preflights: [{ headers: ["authorization"], ex: ex("OPTIONS", "/api/me", 204, { headers: { ...cors, "access-control-allow-headers": "authorization" } }) }],
    api: {
      none: ex("GET", "/api/me", 401, { headers: { ...cors, "www-authenticate": 'Bearer error="invalid_token"', "access-control-expose-headers": "www-authenticate" } }),
      bad: ex("GET", "/api/me", 401, { headers: { "www-authenticate": 'Bearer error="invalid_token"' } }),
      good: ex("GET", "/api/me", 200, { json: { sub: "demo" } }),
    },
    concurrent: { cookieSent: "GGGG", answers: [tokenAnswer(rotated("HHHH")), tokenAnswer(rotated("HHHH"))] },
    reuse: {
      probes: [{ afterMs: 500, ex: tokenAnswer(rotated("JJJJ")) }, { afterMs: 1500, ex: ex("POST", "/auth/refresh", 401) }],
      newest: ex("POST", "/auth/refresh", 401),
    },
    logout: { ex: ex("POST", "/auth/logout", 204, { setCookies: ["wtm_refresh=; HttpOnly; SameSite=Strict; Path=/auth; Max-Age=0"] }), after: ex("POST", "/auth/refresh", 401) },
  };
  for (const [k, v] of Object.entries(over)) if (k !== "config") r[k] = typeof v === "function" ? v(r) : v;
  return r;
}
const verdicts = (r) => Object.fromEntries(evaluate(r).map((x) => [x.id, x.verdict]));
const notPass = (r) => evaluate(r).filter((x) => x.verdict !== "pass").map((x) => `${x.verdict}:${x.id}`);

test("a healthy recording passes every check, each with saw, fix and a doc anchor", () => {
  const results = evaluate(recording());
  assert.deepEqual(results.map((x) => x.id), CHECKS.map(([id]) => id));
  assert.deepEqual(notPass(recording()), []);
  for (const x of results) assert.ok(x.saw && x.fix && x.doc === `docs/doctor.md#${x.id}`, x.id);
  assert.equal(exitCode(results), 0);
});

test("cookie attributes: each mistake fails its own check only", () => {
  const withCookie = (line) => recording({ refreshCookie: parseSetCookie(line), login: (r) => ({ ...r.login, setCookies: [line] }) });
  assert.deepEqual(notPass(withCookie("wtm_refresh=AAAA; SameSite=Strict; Path=/auth; Max-Age=86400")), ["fail:cookie-httponly"]);
  assert.deepEqual(notPass(withCookie("wtm_refresh=AAAA; HttpOnly; SameSite=None; Path=/auth; Max-Age=86400")), ["fail:cookie-samesite", "warn:logout-cookie"]);
  assert.deepEqual(notPass(withCookie("wtm_refresh=AAAA; HttpOnly; SameSite=Strict; Path=/auth/refresh; Max-Age=86400")), ["fail:cookie-path", "fail:logout-cookie"]);
  assert.deepEqual(notPass(withCookie("wtm_refresh=AAAA; HttpOnly; SameSite=Strict; Path=/auth")), ["fail:cookie-lifetime", "skip:refresh-expires-in"]);
  assert.deepEqual(notPass(withCookie("wtm_refresh=AAAA; HttpOnly; SameSite=Strict; Path=/auth; Max-Age=300")), ["fail:cookie-lifetime", "fail:refresh-expires-in"]);
  assert.deepEqual(notPass(withCookie("wtm_refresh=AAAA; HttpOnly; SameSite=Strict; Path=/auth; Max-Age=86400; Domain=127.0.0.1")), ["warn:cookie-domain", "fail:logout-cookie"]);
  assert.deepEqual(notPass(withCookie("wtm_refresh=AAAA; HttpOnly; SameSite=Strict; Path=/auth; Max-Age=86400; Secure")), ["warn:cookie-secure", "warn:logout-cookie"]);
  assert.deepEqual(notPass(withCookie("__Host-r=AAAA; HttpOnly; SameSite=Strict; Path=/auth; Max-Age=86400")).filter((x) => x.endsWith("prefix")), ["fail:cookie-prefix"]);
  // __Host- needs Path=/ written out (the default path of a cookie set by /auth/login is /auth).
  assert.deepEqual(notPass(withCookie("__Host-r=AAAA; HttpOnly; Secure; SameSite=Strict; Max-Age=86400")).filter((x) => x.endsWith("prefix")), ["fail:cookie-prefix"]);
  assert.deepEqual(notPass(withCookie("__HOST-r=AAAA; HttpOnly; SameSite=Strict; Path=/; Max-Age=86400")).filter((x) => x.endsWith("prefix")), ["fail:cookie-prefix"]);
});

test("an API on another site: Strict fails SameSite, and the third-party cookie fails cookie-site", () => {
  const r = recording({ config: { appOrigin: "https://app.example.com" } });
  const v = verdicts(r);
  assert.equal(v["cookie-samesite"], "fail");
  assert.equal(v["cookie-site"], "fail");
  const none = "wtm_refresh=AAAA; HttpOnly; SameSite=None; Secure; Path=/auth; Max-Age=86400";
  const v2 = verdicts(recording({ config: { appOrigin: "https://app.example.com" }, refreshCookie: parseSetCookie(none) }));
  assert.equal(v2["cookie-samesite"], "pass");
  assert.equal(v2["cookie-site"], "fail");
});

test("token: expires_in against exp − iat, alg none, clock skew", () => {
  assert.deepEqual(notPass(recording({ login: (r) => ({ ...r.login, json: { ...r.login.json, expires_in: 900 } }) })), ["fail:token-expires-in"]);
  const none = jwt({ sub: "demo", iat: NOW, exp: NOW + 300 }, { alg: "none" });
  assert.deepEqual(notPass(recording({ login: (r) => ({ ...r.login, json: { ...r.login.json, access_token: none } }) })), ["fail:token-alg"]);
  const skewed = new Date((NOW + 120) * 1000).toUTCString();
  assert.deepEqual(notPass(recording({ login: (r) => ({ ...r.login, headers: { ...r.login.headers, date: skewed } }) })), ["warn:token-clock"]);
  assert.deepEqual(notPass(recording({ login: (r) => ({ ...r.login, headers: { date: DATE } }) })), ["fail:no-store"]);
});

test("refresh without rotation: a warning, and reuse does not apply", () => {
  const same = recording({ refresh: (r) => ({ ...r.refresh, setCookies: [] }), concurrent: { cookieSent: "A", answers: [tokenAnswer(null), tokenAnswer(null)] }, reuse: { skipped: "the refresh token does not rotate" } });
  assert.deepEqual(notPass(same), ["warn:refresh-rotation", "skip:reuse"]);
});

test("concurrency: refused, without a cookie, forked, converged", () => {
  const a = tokenAnswer(rotated("N1")), b = tokenAnswer(rotated("N1"));
  assert.equal(concurrency({ cookieSent: "O", answers: [a, b] }, "wtm_refresh", "access_token", true).verdict, "pass");
  assert.equal(concurrency({ cookieSent: "O", answers: [a, ex("POST", "/auth/refresh", 401)] }, "wtm_refresh", "access_token", true).verdict, "fail");
  assert.equal(concurrency({ cookieSent: "O", answers: [a, tokenAnswer(null)] }, "wtm_refresh", "access_token", true).verdict, "fail");
  assert.equal(concurrency({ cookieSent: "O", answers: [a, tokenAnswer(rotated("N2"))] }, "wtm_refresh", "access_token", true).verdict, "warn");
  assert.equal(concurrency({ cookieSent: "O", answers: [tokenAnswer(null), tokenAnswer(null)] }, "wtm_refresh", "access_token", false).verdict, "pass");
});

test("reuse: refused and revoked, refused but the family lives on, never refused", () => {
  const ok = tokenAnswer(rotated("X")), no = ex("POST", "/auth/refresh", 401);
  const r = (probes, newest) => reuse({ probes: probes.map(([afterMs, e]) => ({ afterMs, ex: e })), newest }, "access_token", true);
  const good = r([[500, ok], [1500, no]], no);
  assert.equal(good.verdict, "pass");
  assert.match(good.saw, /grace window between 0.5 s and 1.5 s/);
  assert.equal(r([[500, no]], ok).verdict, "fail");
  assert.equal(r([[500, ok], [31000, ok]]).verdict, "fail");
});

test("CSRF: accepted and rotated fails; refused but the session broke fails; the header alone warns on Origin", () => {
  const acceptedRotating = { describe: "x", probe: tokenAnswer(rotated("Z")), cookieSent: "BBBB" };
  assert.deepEqual(notPass(recording({ csrf: (r) => ({ ...r.csrf, form: acceptedRotating }) })), ["fail:csrf-form"]);
  assert.deepEqual(notPass(recording({ csrf: (r) => ({ ...r.csrf, header: { ...r.csrf.header, verify: ex("POST", "/auth/refresh", 401) } }) })), ["fail:csrf-header"]);
  assert.deepEqual(notPass(recording({ csrf: (r) => ({ ...r.csrf, origin: { ...acceptedRotating, foreignOrigin: "https://x.invalid" } }) })), ["warn:csrf-origin"]);
  assert.deepEqual(notPass(recording({ csrf: (r) => ({ ...r.csrf, logout: { describe: "x", logout: true, probe: ex("POST", "/auth/logout", 204) } }) })), ["fail:csrf-logout"]);
});

test("CORS: *, no Vary, a reflected foreign origin, no headers on the 401", () => {
  const refreshWith = (h) => (r) => ({ ...r.refresh, headers: { ...r.refresh.headers, ...h } });
  assert.deepEqual(notPass(recording({ refresh: refreshWith({ "access-control-allow-origin": "*" }) })), ["fail:cors-credentials"]);
  assert.deepEqual(notPass(recording({ refresh: (r) => { const x = refreshWith({})(r); delete x.headers.vary; return x; } })), ["fail:cors-credentials"]);
  const reflected = (r) => ({ ...r.csrf, origin: { ...r.csrf.origin, probe: { ...r.csrf.origin.probe, headers: { "access-control-allow-origin": "https://x.invalid" } } } });
  assert.deepEqual(notPass(recording({ csrf: reflected })), ["fail:cors-credentials"]);
  assert.deepEqual(notPass(recording({ api: (r) => ({ ...r.api, none: ex("GET", "/api/me", 401, { headers: { "www-authenticate": "Bearer" } }) }) })), ["fail:cors-401"]);
  assert.deepEqual(notPass(recording({ preflights: [{ headers: ["authorization"], ex: ex("OPTIONS", "/api/me", 204, { headers: { "access-control-allow-origin": "http://127.0.0.1:5173" } }) }] })), ["fail:cors-preflight"]);
  assert.equal(verdicts(recording({ config: { appOrigin: undefined } }))["cors-credentials"], "skip");
});

test("API: 403, a redirect to a login page, 401 without WWW-Authenticate", () => {
  assert.deepEqual(notPass(recording({ api: (r) => ({ ...r.api, bad: ex("GET", "/api/me", 403) }) })), ["fail:api-bad-token"]);
  assert.deepEqual(notPass(recording({ api: (r) => ({ ...r.api, bad: ex("GET", "/api/me", 302, { headers: { location: "/login" } }) }) })), ["fail:api-bad-token"]);
  assert.deepEqual(notPass(recording({ api: (r) => ({ ...r.api, bad: ex("GET", "/api/me", 401) }) })), ["warn:api-bad-token"]);
});

test("logout: another Path in the deletion, no deletion, no revocation", () => {
  const lo = (setCookies, after) => (r) => ({ ex: ex("POST", "/auth/logout", 204, { setCookies }), after: after ?? r.logout.after });
  assert.deepEqual(notPass(recording({ logout: lo(["wtm_refresh=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"]) })), ["fail:logout-cookie"]);
  assert.deepEqual(notPass(recording({ logout: lo([]) })), ["fail:logout-cookie"]);
  assert.deepEqual(notPass(recording({ logout: lo(["wtm_refresh=; HttpOnly; SameSite=Strict; Path=/auth; Max-Age=0"], tokenAnswer(null)) })), ["fail:logout-revokes"]);
  assert.equal(exitCode(evaluate(recording({ logout: lo([]) }))), 1);
});

test("cookies: parsing, sites, paths, lifetimes", () => {
  const c = parseSetCookie("a=b=c; Path=/auth; HttpOnly; Max-Age=60; SameSite=lax");
  assert.deepEqual([c.name, c.value, c.attrs.path, c.attrs.httponly, lifetime(c)], ["a", "b=c", "/auth", true, 60]);
  assert.ok(isDeletion(parseSetCookie("a=; Max-Age=0")) && isDeletion(parseSetCookie("a=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT")));
  assert.equal(registrableDomain("api.shop.example.co.uk"), "example.co.uk");
  assert.equal(registrableDomain("api.example.com"), "example.com");
  assert.ok(sameSiteUrls("https://app.example.com", "https://api.example.com/x"));
  assert.ok(!sameSiteUrls("https://a.github.io", "https://b.github.io"));
  assert.ok(sameSiteUrls("http://127.0.0.1:5173", "http://127.0.0.1:8787"));
  assert.ok(!sameSiteUrls("http://localhost:5173", "http://127.0.0.1:8787"));
  assert.ok(pathMatches("/auth", "/auth/refresh") && !pathMatches("/auth", "/authx") && !pathMatches("/auth/refresh", "/auth/logout"));
  const pick = findRefreshCookie(["csrf_refresh_token=x; Path=/", "refresh_token_cookie=y; HttpOnly; Path=/auth"], "http://h/auth/refresh", "http://h/auth/login");
  assert.equal(pick.name, "refresh_token_cookie");
});

test("arguments: defaults, CSRF forms, login body from a file or stdin, usage errors", () => {
  const o = parseArgs(["doctor", "http://h:1", "--login-body", "-", "--csrf-header", "X-CSRF-TOKEN:cookie=csrf_refresh_token"], () => '{"u":1}');
  assert.deepEqual([o.loginUrl, o.refreshUrl, o.logoutUrl, o.loginBody, o.csrf], ["http://h:1/auth/login", "http://h:1/auth/refresh", "http://h:1/auth/logout", '{"u":1}', { name: "X-CSRF-TOKEN", cookie: "csrf_refresh_token" }]);
  assert.deepEqual(parseArgs(["doctor", "http://h", "--cookie", "sid=1; Path=/", "--csrf-header=X-Requested-With:XMLHttpRequest"]).csrf, { name: "X-Requested-With", value: "XMLHttpRequest" });
  assert.throws(() => parseArgs(["doctor", "http://h"]), /--login-body/);
  assert.throws(() => parseArgs(["doctor", "http://h", "--bogus"]), /unknown option/);
  assert.throws(() => parseArgs(["check"]), /the command is "doctor"/);
});

test("a Secure cookie over plain http off loopback fails: browsers do not store it", () => {
  const lan = "http://192.168.1.5:8000/";
  const config = { base: lan, loginUrl: lan + "auth/login", refreshUrl: lan + "auth/refresh", logoutUrl: lan + "auth/logout" };
  const secure = "wtm_refresh=AAAA; HttpOnly; Secure; SameSite=Strict; Path=/auth; Max-Age=86400";
  assert.equal(verdicts(recording({ config, refreshCookie: parseSetCookie(secure) }))["cookie-secure"], "fail");
  const plain = "wtm_refresh=AAAA; HttpOnly; SameSite=Strict; Path=/auth; Max-Age=86400";
  assert.equal(verdicts(recording({ config, refreshCookie: parseSetCookie(plain) }))["cookie-secure"], "warn");
});
