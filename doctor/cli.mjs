#!/usr/bin/env node
// `npx wasm-token-manager doctor <base-url> [options]`: checks a backend against the
// refresh-cookie contract. This file parses the arguments, sends the requests (recording each
// exchange) and prints; the verdicts are in checks.mjs, pure functions over the recording.
// Node >= 18 (global fetch), no dependencies. Not part of the browser entry.
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseSetCookie, isDeletion, sameOrigin, sameSiteUrls } from "./cookies.mjs";
import { evaluate, exitCode, findRefreshCookie, tokenOf, accepted, rotatedValue, CHECKS } from "./checks.mjs";

/// The most requests one run sends (login ×3, refresh ×2, concurrent refreshes ×2, CSRF probes
/// and their follow-ups ×8 (a follow-up is a refresh, or a new login after an accepted logout
/// probe), preflights ×2, API ×3, reuse probes ×7 (with --max-grace 30: ×6) and the newest cookie ×1, logout and the
/// replay after it ×2).
export const MAX_REQUESTS = 30;
/// Delays (s) after a rotation at which the rotated-away cookie is replayed, up to --max-grace.
const REPLAY_AT = [0.5, 1.5, 3.5, 7.5, 15.5, 31.5];
const FOREIGN_ORIGIN = "https://doctor-foreign.invalid";

export const USAGE = `usage: wasm-token-manager doctor <base-url> [options]

Checks a backend against the refresh-cookie contract (docs/doctor.md): signs in, refreshes,
replays, probes CSRF and CORS, calls the API, signs out. At most ${MAX_REQUESTS} requests, only to the
URLs below. Exits 1 on any fail, 2 on a usage error.

  --login-url URL            default <base>/auth/login (relative URLs are resolved against <base>)
  --refresh-url URL          default <base>/auth/refresh
  --logout-url URL           default <base>/auth/logout (the doctor adds ?scope=local, as the manager)
  --refresh-method POST|GET  default POST
  --access-token-field PATH  default access_token (dotted paths: data.accessToken)
  --login-body JSON|FORM|@FILE|-
                             the login body: JSON is sent as application/json, anything else as
                             application/x-www-form-urlencoded; @FILE reads a file, - reads stdin
  --no-login-token           the login answer carries no token (loginReturnsToken: false); the
                             token comes from the refresh URL
  --cookie SET-COOKIE        instead of a login: the refresh (session) cookie as the server set
                             it, e.g. "sid=abc; HttpOnly; SameSite=Lax; Path=/" (sign-in by redirect)
  --refresh-cookie NAME      which login cookie is the refresh cookie (default: guessed)
  --csrf-header NAME:VALUE   the CSRF header, or NAME:cookie=COOKIE (double submit: the value of
                             that cookie)
  --app-origin ORIGIN        the SPA's origin (for CORS and same-site); default <base>'s origin
  --api-url URL              a protected API route (for the 401 and CORS checks)
  --max-grace SECONDS        the longest grace window accepted before a replay counts as reuse
                             (default 30, at most 60)
  --json                     print the results as JSON
  --help`;

class UsageError extends Error {}

export function parseArgs(argv, readStdin = () => readFileSync(0, "utf8")) {
  const args = [...argv];
  if (args[0] === "doctor") args.shift();
  else if (args[0] !== "--help" && args[0] !== "-h") throw new UsageError(args.length ? `unknown command ${JSON.stringify(args[0])}: the command is "doctor"` : "");
  const o = { refreshMethod: "POST", accessTokenField: "access_token", loginReturnsToken: true, maxGrace: 30, json: false };
  let base = null;
  while (args.length) {
    const a = args.shift();
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? args.shift();
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "-h": case "--help": o.help = true; break;
      case "--login-url": o.loginUrl = value(); break;
      case "--refresh-url": o.refreshUrl = value(); break;
      case "--logout-url": o.logoutUrl = value(); break;
      case "--refresh-method": {
        const m = value().toUpperCase();
        if (m !== "POST" && m !== "GET") throw new UsageError(`--refresh-method: ${m} is not POST or GET`);
        o.refreshMethod = m;
        break;
      }
      case "--access-token-field": o.accessTokenField = value(); break;
      case "--login-body": {
        const v = value();
        o.loginBody = v === "-" ? readStdin() : v.startsWith("@") ? readFileSync(v.slice(1), "utf8") : v;
        break;
      }
      case "--no-login-token": o.loginReturnsToken = false; break;
      case "--cookie": {
        const c = parseSetCookie(value());
        if (!c || !c.value) throw new UsageError("--cookie: expected NAME=VALUE[; attributes]");
        o.cookie = c;
        break;
      }
      case "--refresh-cookie": o.refreshCookieName = value(); break;
      case "--csrf-header": {
        const v = value(), i = v.indexOf(":");
        if (i <= 0) throw new UsageError("--csrf-header: expected NAME:VALUE or NAME:cookie=COOKIE");
        const name = v.slice(0, i).trim(), rest = v.slice(i + 1).trim();
        o.csrf = rest.startsWith("cookie=") ? { name, cookie: rest.slice(7) } : { name, value: rest };
        break;
      }
      case "--app-origin": {
        const v = value();
        let u;
        try { u = new URL(v); } catch { throw new UsageError(`--app-origin: ${v} is not a URL`); }
        o.appOrigin = u.origin;
        break;
      }
      case "--api-url": o.apiUrl = value(); break;
      case "--max-grace": {
        const n = Number(value());
        if (!(n >= 0 && n <= 60)) throw new UsageError("--max-grace: seconds between 0 and 60");
        o.maxGrace = n;
        break;
      }
      case "--json": o.json = true; break;
      default:
        if (flag.startsWith("-")) throw new UsageError(`unknown option ${flag}`);
        if (base) throw new UsageError(`one base URL only (got ${base} and ${flag})`);
        base = flag;
    }
  }
  if (o.help) return o;
  if (!base) throw new UsageError("a base URL is needed, e.g. https://api.example.com");
  try { o.base = new URL(base).href; } catch { throw new UsageError(`${base} is not a URL`); }
  const abs = (u, d) => new URL(u ?? d, o.base).href;
  o.loginUrl = abs(o.loginUrl, "/auth/login");
  o.refreshUrl = abs(o.refreshUrl, "/auth/refresh");
  o.logoutUrl = abs(o.logoutUrl, "/auth/logout");
  if (o.apiUrl) o.apiUrl = abs(o.apiUrl);
  if (o.loginBody === undefined && !o.cookie) throw new UsageError("--login-body (or --cookie) is needed to get a session");
  return o;
}

/// Send the requests and record every exchange. `fetchImpl` for tests.
export async function run(cfg, fetchImpl = fetch) {
  const config = { ...cfg };
  const app = config.appOrigin ?? new URL(config.base).origin;
  const crossOrigin = !sameOrigin(app, config.refreshUrl);
  let sent = 0;
  const rec = { config, startedAtMs: Date.now(), requests: 0 };

  // A session: the cookies a browser would hold for the backend (paths are not modelled: the
  // cookie-path check judges them; the doctor sends every cookie so each check stays separate).
  const session = () => ({ jar: new Map() });
  const apply = (s, ex) => {
    for (const c of ex.setCookies.map(parseSetCookie).filter(Boolean)) {
      if (isDeletion(c, ex.receivedAtMs)) s.jar.delete(c.name);
      else s.jar.set(c.name, c.value);
    }
  };
  const csrfHeaders = (jar) => {
    if (!config.csrf) return {};
    return { [config.csrf.name]: config.csrf.cookie ? (jar.get(config.csrf.cookie) ?? "") : config.csrf.value };
  };
  const fetchSite = (origin, url) => (sameOrigin(origin, url) ? "same-origin" : sameSiteUrls(origin, url) ? "same-site" : "cross-site");

  async function send(method, url, { jar, headers = {}, body } = {}) {
    if (++sent > MAX_REQUESTS) throw new Error(`internal: more than ${MAX_REQUESTS} requests`);
    const h = { ...headers };
    if (jar && jar.size) h.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const ex = { method, url, reqHeaders: h, sentAtMs: Date.now(), status: 0, headers: {}, setCookies: [], text: "", json: undefined };
    try {
      const res = await fetchImpl(url, { method, headers: h, body, redirect: "manual", cache: "no-store", signal: AbortSignal.timeout(15_000) });
      ex.status = res.status;
      res.headers.forEach((v, k) => { ex.headers[k] = v; });
      ex.setCookies = typeof res.headers.getSetCookie === "function" ? res.headers.getSetCookie() : [];
      ex.text = await res.text();
      try { ex.json = JSON.parse(ex.text); } catch { /* not JSON */ }
    } catch (e) {
      ex.error = e?.cause?.code ?? e?.name ?? String(e);
    }
    ex.receivedAtMs = Date.now();
    rec.requests = sent;
    return ex;
  }
  // What the manager sends: Origin on POSTs and cross-origin requests, the CSRF header.
  const browserHeaders = (method, url) => (method !== "GET" || !sameOrigin(app, url) ? { origin: app, "sec-fetch-site": fetchSite(app, url) } : { "sec-fetch-site": "same-origin" });
  const refreshOf = (jar, extra = {}) => send(config.refreshMethod, config.refreshUrl, { jar, headers: { ...browserHeaders(config.refreshMethod, config.refreshUrl), ...csrfHeaders(jar), ...extra } });
  const login = async (s) => {
    const json = (() => { try { JSON.parse(config.loginBody); return true; } catch { return false; } })();
    const ex = await send("POST", config.loginUrl, {
      jar: s.jar,
      headers: { ...browserHeaders("POST", config.loginUrl), ...csrfHeaders(s.jar), "content-type": json ? "application/json" : "application/x-www-form-urlencoded" },
      body: config.loginBody,
    });
    apply(s, ex);
    return ex;
  };
  const field = config.accessTokenField;

  // ---- session 1: login, refresh, CSRF probes, preflights, API (logout at the end)
  const s1 = session();
  if (config.cookie) {
    s1.jar.set(config.cookie.name, config.cookie.value);
    rec.refreshCookie = config.cookie;
    rec.refreshCookieSetBy = config.refreshUrl;
    rec.refreshCookieAtMs = Date.now();
  } else {
    rec.login = await login(s1);
    rec.refreshCookie = findRefreshCookie(rec.login.setCookies, config.refreshUrl, config.loginUrl, config.refreshCookieName);
    rec.refreshCookieAtMs = rec.login.receivedAtMs;
  }
  const name = rec.refreshCookie?.name;
  const loggedIn = name && (config.cookie || (rec.login.status >= 200 && rec.login.status < 300));
  let token = config.loginReturnsToken ? tokenOf(rec.login, field) : null;
  let rotates = null;
  if (loggedIn) {
    rec.refreshCookieValueBefore = s1.jar.get(name);
    rec.refresh = await refreshOf(s1.jar);
    apply(s1, rec.refresh);
    token = tokenOf(rec.refresh, field) ?? token;
    rotates = accepted(rec.refresh, field) ? rotatedValue(rec.refresh, name, rec.refreshCookieValueBefore) !== null : null;

    // CSRF probes: each refused one is followed by a proper refresh (the cookie must still work).
    const probe = async (describe, method, url, headers, body, { logout = false } = {}) => {
      const jar = new Map(s1.jar);
      const p = { describe, cookieSent: jar.get(name), logout };
      p.probe = await send(method, url, { jar, headers, body });
      const ok = logout ? p.probe.status >= 200 && p.probe.status < 300 : accepted(p.probe, field);
      if (ok) apply(s1, p.probe);
      else {
        p.verify = await refreshOf(s1.jar);
        apply(s1, p.verify);
        token = tokenOf(p.verify, field) ?? token;
      }
      return p;
    };
    const m = config.refreshMethod;
    rec.csrf = {};
    rec.csrf.header = config.csrf
      ? await probe(`without ${config.csrf.name}`, m, config.refreshUrl, browserHeaders(m, config.refreshUrl))
      : { skipped: "no --csrf-header given" };
    rec.csrf.origin = await probe(`with Origin ${FOREIGN_ORIGIN}`, m, config.refreshUrl, { origin: FOREIGN_ORIGIN, "sec-fetch-site": "cross-site", ...csrfHeaders(s1.jar) });
    rec.csrf.origin.foreignOrigin = FOREIGN_ORIGIN;
    rec.csrf.form = m === "POST"
      ? await probe("as a cross-site form post (urlencoded, no CSRF header)", "POST", config.refreshUrl,
        { origin: FOREIGN_ORIGIN, "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "content-type": "application/x-www-form-urlencoded" }, "a=1")
      : await probe("as a cross-site navigation (no CSRF header)", "GET", config.refreshUrl, { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" });

    // CORS preflights
    rec.preflights = [];
    if (crossOrigin) {
      const preflight = async (url, method, headers) => ({
        headers,
        ex: await send("OPTIONS", url, { headers: { origin: app, "access-control-request-method": method, "access-control-request-headers": headers.join(",").toLowerCase(), "sec-fetch-site": fetchSite(app, url) } }),
      });
      if (config.apiUrl) rec.preflights.push(await preflight(config.apiUrl, "GET", ["authorization"]));
      if (config.csrf) rec.preflights.push(await preflight(config.refreshUrl, m, [config.csrf.name]));
    }

    // API
    if (config.apiUrl && token) {
      const hdr = crossOrigin ? { origin: app, "sec-fetch-site": fetchSite(app, config.apiUrl) } : {};
      const garbled = token.slice(0, -4) + [...token.slice(-4)].map((ch) => (ch === "A" ? "B" : "A")).join("");
      rec.api = {
        none: await send("GET", config.apiUrl, { headers: hdr }),
        bad: await send("GET", config.apiUrl, { headers: { ...hdr, authorization: `Bearer ${garbled}` } }),
        good: await send("GET", config.apiUrl, { headers: { ...hdr, authorization: `Bearer ${token}` } }),
      };
    }
  }

  // ---- concurrency: two refreshes at once with the same cookie (a new session when possible)
  if (!loggedIn) rec.concurrent = { skipped: "no session" };
  else {
    let s = s1;
    if (!config.cookie) {
      s = session();
      const l = await login(s);
      if (!s.jar.get(name)) rec.concurrent = { skipped: `the second login set no ${name} (${l.status})` };
    }
    if (!rec.concurrent) {
      const jar = new Map(s.jar);
      const answers = await Promise.all([refreshOf(jar), refreshOf(jar)]);
      rec.concurrent = { cookieSent: jar.get(name), answers };
      if (s === s1) for (const a of answers) apply(s1, a);
    }
  }

  // ---- reuse: rotate, replay the old cookie at growing delays, then try the newest
  if (!loggedIn) rec.reuse = { skipped: "no session" };
  else if (config.cookie) rec.reuse = { skipped: "needs its own session: give --login-body" };
  else if (rotates === false) rec.reuse = { skipped: "the refresh token does not rotate" };
  else if (rotates === null) rec.reuse = { skipped: "no successful refresh" };
  else {
    const s = session();
    await login(s);
    const old = new Map(s.jar);
    const rot = await refreshOf(s.jar);
    apply(s, rot);
    if (!accepted(rot, field) || rotatedValue(rot, name, old.get(name)) === null) rec.reuse = { skipped: `the rotation before the replay failed (${rot.status})` };
    else {
      const t0 = rot.receivedAtMs;
      const times = REPLAY_AT.filter((t) => t < config.maxGrace).concat(config.maxGrace + 1);
      const probes = [];
      for (const t of times) {
        const wait = t0 + t * 1000 - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const ex = await refreshOf(new Map(old));
        probes.push({ afterMs: ex.sentAtMs - t0, ex });
        if (!accepted(ex, field)) break;
      }
      rec.reuse = { probes };
      if (!accepted(probes.at(-1).ex, field)) rec.reuse.newest = await refreshOf(new Map(s.jar));
    }
  }

  // ---- logout (session 1): a foreign page first, then the real one, then the old cookie again
  if (loggedIn && config.logoutUrl) {
    const url = new URL(config.logoutUrl);
    url.searchParams.set("scope", "local");
    const jar = new Map(s1.jar);
    const p = { describe: `from Origin ${FOREIGN_ORIGIN} without the CSRF header`, cookieSent: jar.get(name), logout: true };
    p.probe = await send("POST", url.href, { jar, headers: { origin: FOREIGN_ORIGIN, "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "content-type": "application/x-www-form-urlencoded" }, body: "a=1" });
    if (!(p.probe.status >= 200 && p.probe.status < 300)) {
      p.verify = await refreshOf(s1.jar);
      apply(s1, p.verify);
    } else if (!config.cookie) {
      // The foreign page signed the session out: a new one for the real logout (in place of
      // the follow-up refresh, so the budget holds).
      s1.jar.clear();
      p.relogin = await login(s1);
    }
    rec.csrf.logout = p;
    const before = new Map(s1.jar);
    const ex = await send("POST", url.href, { jar: s1.jar, headers: { ...browserHeaders("POST", url.href), ...csrfHeaders(s1.jar) } });
    rec.logout = { ex, after: await refreshOf(before) };
  }
  rec.finishedAtMs = Date.now();
  return rec;
}

const docPath = fileURLToPath(new URL("../docs/doctor.md", import.meta.url));

export function print(results, rec, out = console.log) {
  out(`wasm-token-manager doctor: ${rec.config.base}`);
  const w = Math.max(...CHECKS.map(([id]) => id.length));
  for (const r of results) {
    const line = `${r.verdict.padEnd(4)}  ${r.id.padEnd(w)}  ${r.saw}`;
    out(r.verdict === "pass" || r.verdict === "skip" ? line : `${line} | fix: ${r.fix} | ${docPath}#${r.id}`);
  }
  const n = (v) => results.filter((r) => r.verdict === v).length;
  out(`${n("pass")} pass, ${n("warn")} warn, ${n("fail")} fail, ${n("skip")} skip; ${rec.requests} requests in ${((rec.finishedAtMs - rec.startedAtMs) / 1000).toFixed(1)} s; fixes per framework: ${docPath}`);
}

export async function main(argv) {
  let cfg;
  try {
    cfg = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (e.message) console.error(`wasm-token-manager: ${e.message}\n`);
    console.error(USAGE);
    return 2;
  }
  if (cfg.help) {
    console.log(USAGE);
    return 0;
  }
  const rec = await run(cfg);
  const results = evaluate(rec);
  if (cfg.json) {
    console.log(JSON.stringify({ base: cfg.base, requests: rec.requests, ms: rec.finishedAtMs - rec.startedAtMs, results: results.map((r) => ({ ...r, doc: `${docPath}#${r.id}` })) }, null, 2));
  } else print(results, rec);
  return exitCode(results);
}

const invoked = (() => { try { return realpathSync(process.argv[1]) === fileURLToPath(import.meta.url); } catch { return false; } })();
if (invoked) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 2; });
}
