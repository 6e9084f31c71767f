// A token-mediating backend ("OAuth 2.0 for Browser-Based Apps", the BFF / token-handler pattern)
// for wasm-token-manager: the provider's tokens stay on this server, the browser holds an
// HttpOnly session cookie and gets short-lived access tokens from GET /auth/token. A confidential
// OpenID client built with openid-client 6 as its docs recommend (discovery, PKCE + state,
// authorization code grant, rotating refresh tokens, revocation, RP-initiated logout).
//
// Usage: node server.mjs APP_PORT OP_PORT PKG_DIR   (tests: also starts the dev provider in
// provider.mjs at http://localhost:OP_PORT and the /__test routes)
//        ISSUER=https://op.example CLIENT_ID=.. CLIENT_SECRET=.. node server.mjs APP_PORT - PKG_DIR
//
// What a production deployment changes:
// - https, and the session cookie Secure (better: named __Host-session); here it is plain http
//   on 127.0.0.1, so the cookie is HttpOnly + SameSite=Lax + Path=/ but NOT Secure;
// - a persistent, shared session store (Redis, a database) instead of the in-memory Map, with
//   the refresh single-flight done per session across instances (a lock in that store);
// - the provider's real URL and the client secret from the environment / a secret store (no
//   dev provider, no allowInsecureRequests, no /__test routes, no /pkg);
// - app.set("trust proxy", ...) behind a reverse proxy, and APP_ORIGIN the public origin.
import express from "express";
import * as client from "openid-client";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";

const [appPort, opPort, pkgDir] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const APP = process.env.APP_ORIGIN ?? `http://127.0.0.1:${appPort}`;
const API = `${APP}/api`; // the audience of the access tokens (the provider's resource indicator)
const SCOPE = "openid profile offline_access api";
const COOKIE = "bff_session", LOGIN_COOKIE = "bff_login";
const TEST = !process.env.ISSUER;
let { ISSUER, CLIENT_ID, CLIENT_SECRET } = process.env;
if (TEST) { // test: the development provider, in this process
  const { startProvider, CLIENT } = await import("./provider.mjs");
  ({ issuer: ISSUER } = await startProvider({ port: Number(opPort), appOrigin: APP }));
  [CLIENT_ID, CLIENT_SECRET] = [CLIENT.id, CLIENT.secret];
}
const config = await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET, undefined,
  new URL(ISSUER).protocol === "http:" ? { execute: [client.allowInsecureRequests] } : undefined);
const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));

const sessions = new Map(); // session id -> { accessToken, expiresAt, lifetime, refreshToken, idToken, refreshing }
const logins = new Map(); // login id -> { state, verifier, returnTo }, until the callback
let lastLoggedOut = null; // (tests) the refresh token of the last session logged out
const counts = { token: 0, tokenNull: 0, providerRefreshes: 0, refreshFailed: 0, logins: 0, logouts: 0, meOk: 0, meUnauthorized: 0 };
const randomId = () => randomBytes(32).toString("base64url");
const cookieOf = (req, name) => req.headers.cookie?.split(/;\s*/).find((c) => c.startsWith(`${name}=`))?.slice(name.length + 1);
const cookieOpts = (path, maxAge) => ({ httpOnly: true, sameSite: "lax", secure: false, path, maxAge });
const localPath = (p) => typeof p === "string" && /^\/(?![/\\])[^\r\n\t]*$/.test(p);
// Cookie-authenticated JSON routes require a header a cross-site form or <img> cannot send.
const csrf = (req, res, next) => (req.get("x-requested-with") === "XMLHttpRequest" ? next() : res.status(403).json({ error: "csrf" }));
function store(s, t) { // a token endpoint answer -> the session
  Object.assign(s, { accessToken: t.access_token, expiresAt: Date.now() + t.expires_in * 1000, lifetime: t.expires_in * 1000 });
  s.refreshToken = t.refresh_token ?? s.refreshToken; // rotation: the new one replaces the used one
  s.idToken = t.id_token ?? s.idToken;
}
// Refresh at the provider when the token is inside TokenManager's refresh window: it asks when
// min(60 s, half the lifetime), plus up to 20 % jitter, is left. Handing back an older token
// only makes it ask again sooner; refreshing earlier would rotate on every page load.
const due = (s) => s.expiresAt - Date.now() < Math.min(75_000, 0.7 * s.lifetime);

const app = express();
app.disable("x-powered-by");

app.get("/auth/login", async (req, res) => {
  const returnTo = req.query.returnTo ?? "/";
  if (!localPath(returnTo)) return res.status(400).send("returnTo must be a local path");
  const id = randomId(), state = client.randomState(), verifier = client.randomPKCECodeVerifier();
  logins.set(id, { state, verifier, returnTo });
  setTimeout(() => logins.delete(id), 600_000).unref();
  res.cookie(LOGIN_COOKIE, id, cookieOpts("/auth/callback", 600_000));
  const extra = Object.fromEntries(["prompt", "login_hint", "acr_values"].filter((k) => typeof req.query[k] === "string").map((k) => [k, req.query[k]]));
  res.redirect(client.buildAuthorizationUrl(config, {
    redirect_uri: `${APP}/auth/callback`, scope: SCOPE, state, ...extra,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256",
  }).href);
});

app.get("/auth/callback", async (req, res) => {
  const login = logins.get(cookieOf(req, LOGIN_COOKIE));
  logins.delete(cookieOf(req, LOGIN_COOKIE));
  res.clearCookie(LOGIN_COOKIE, cookieOpts("/auth/callback"));
  if (!login) return res.status(400).send("no sign-in in progress");
  try {
    const t = await client.authorizationCodeGrant(config, new URL(req.originalUrl, APP), { pkceCodeVerifier: login.verifier, expectedState: login.state });
    const s = {}, id = randomId(); // a new id at sign-in (no session fixation)
    store(s, t);
    sessions.set(id, s);
    counts.logins++;
    res.cookie(COOKIE, id, cookieOpts("/"));
    res.redirect(login.returnTo);
  } catch (e) {
    res.status(400).send(`sign-in failed: ${e.error ?? e.message}`);
  }
});

app.get("/auth/token", csrf, async (req, res) => {
  res.set("Cache-Control", "no-store");
  const id = cookieOf(req, COOKIE), s = sessions.get(id);
  if (!s) return counts.tokenNull++, res.json(null); // 2xx without a token: nobody is signed in
  if (due(s)) {
    s.refreshing ??= client.refreshTokenGrant(config, s.refreshToken) // single flight per session
      .then((t) => { store(s, t); counts.providerRefreshes++; }).finally(() => { s.refreshing = null; });
    try {
      await s.refreshing;
    } catch (e) {
      counts.refreshFailed++;
      if (!(e instanceof client.ResponseBodyError)) return res.status(503).json({ error: "provider_unavailable" });
      sessions.delete(id); // revoked or expired at the provider: the session is over
      res.clearCookie(COOKIE, cookieOpts("/"));
      return res.status(401).json({ error: e.error });
    }
  }
  counts.token++;
  res.json({ access_token: s.accessToken, token_type: "Bearer", expires_in: Math.max(0, Math.floor((s.expiresAt - Date.now()) / 1000)) });
});

app.post("/auth/logout", csrf, async (req, res) => {
  const id = cookieOf(req, COOKIE), s = sessions.get(id);
  sessions.delete(id);
  res.clearCookie(COOKIE, cookieOpts("/"));
  res.set("Cache-Control", "no-store");
  if (s) {
    counts.logouts++;
    lastLoggedOut = s.refreshToken;
    await client.tokenRevocation(config, s.refreshToken, { token_type_hint: "refresh_token" }).catch((e) => console.error("revocation failed:", e.message));
  }
  // The provider's end-session page ends its own session, then comes back to the app's root.
  const params = { post_logout_redirect_uri: `${APP}/`, ...(s?.idToken ? { id_token_hint: s.idToken } : {}) };
  res.json({ url: client.buildEndSessionUrl(config, params).href });
});

app.get("/api/me", async (req, res) => {
  const [scheme, token] = (req.get("authorization") ?? "").split(" ");
  try {
    if (scheme !== "Bearer" || !token) throw new Error("no bearer token");
    const { payload } = await jwtVerify(token, jwks, { issuer: config.serverMetadata().issuer, audience: API, typ: "at+jwt" });
    counts.meOk++;
    res.json({ sub: payload.sub });
  } catch {
    counts.meUnauthorized++;
    res.status(401).set("WWW-Authenticate", 'Bearer error="invalid_token"').json({ error: "invalid_token" });
  }
});

app.get("/", (_req, res) => res.sendFile(fileURLToPath(new URL("page.html", import.meta.url))));
if (pkgDir) app.use("/pkg", express.static(pkgDir, { setHeaders: (res) => res.set("Cache-Control", "no-store") }));

// ---- test-only routes (tests/e2e/oidc.mjs); not part of the recipe ------------------------
if (TEST) {
  app.get("/__test/counts", (_req, res) => res.json({ ...counts, sessions: sessions.size }));
  app.post("/__test/reset", (_req, res) => { for (const k in counts) counts[k] = 0; res.json(counts); });
  // Does the provider still honour the last logged-out refresh token? (it must not: revoked)
  app.post("/__test/replay-refresh", async (_req, res) => {
    if (!lastLoggedOut) return res.json({ error: "none" });
    try { await client.refreshTokenGrant(config, lastLoggedOut); res.json({ ok: true }); }
    catch (e) { res.json({ error: e.error ?? e.message }); }
  });
}

app.listen(appPort, "127.0.0.1", () => console.log(`backend: ${APP} (provider ${ISSUER})`));
