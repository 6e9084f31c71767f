// better-auth (from npm, pinned in package.json), configured as its docs say: the memory adapter,
// email + password, and the jwt() plugin (GET /api/auth/token answers { token: <JWT> } for the
// session cookie; the public keys are at /api/auth/jwks). Mounted on plain node:http with
// toNodeHandler (better-auth/node). Also: a protected API (GET /api/me) that verifies the JWT
// with jose against the JWKS, the test page (/), the package (/pkg/*), and test-only counters.
// Usage: node server.mjs PORT PKG_DIR   (listens on 127.0.0.1 only; test secret; memory only)
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { jwt } from "better-auth/plugins";
import { toNodeHandler } from "better-auth/node";
import { createRemoteJWKSet, jwtVerify } from "jose";

const [port, pkgArg] = [Number(process.argv[2] ?? 18810), process.argv[3] ?? "pkg"];
const pkgDir = resolve(pkgArg);
const here = fileURLToPath(new URL(".", import.meta.url));
const base = `http://127.0.0.1:${port}`;
const TOKEN_LIFETIME = process.env.BA_TOKEN_LIFETIME ?? "5s"; // the plugin's default is 15m

// The memory adapter's tables: better-auth's core ones and the jwt() plugin's `jwks`.
const db = { user: [], session: [], account: [], verification: [], jwks: [] };

export const auth = betterAuth({
  baseURL: base,
  secret: "better-auth-compat-suite-secret-not-for-production-0123456789",
  database: memoryAdapter(db),
  emailAndPassword: { enabled: true },
  trustedOrigins: [base], // the page is served from the same origin
  plugins: [jwt({ jwt: { expirationTime: TOKEN_LIFETIME } })],
  telemetry: { enabled: false },
});

await auth.api.signUpEmail({
  body: { email: "demo@example.com", password: "demo-password-123", name: "Demo" },
});

// The API: a Bearer JWT from /api/auth/token, verified against the JWKS (issuer and audience are
// the baseURL, as the jwt() plugin sets them by default).
const JWKS = createRemoteJWKSet(new URL("/api/auth/jwks", base));

const counts = { token: 0, signIn: 0, signOut: 0, meUnauthorized: 0 };
const reset = () => { for (const k of Object.keys(counts)) counts[k] = 0; };

const TYPES = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
  ".html": "text/html; charset=utf-8", ".json": "application/json", ".ts": "text/plain", ".map": "application/json" };

function send(res, status, body, headers = {}) {
  const json = typeof body !== "string" && !Buffer.isBuffer(body);
  res.writeHead(status, { "content-type": json ? "application/json" : "text/plain", "cache-control": "no-store", ...headers });
  res.end(json ? JSON.stringify(body) : body);
}

async function me(req, res) {
  const m = /^Bearer ([^\s]+)$/.exec(req.headers.authorization ?? "");
  try {
    if (!m) throw new Error("no bearer token");
    const { payload } = await jwtVerify(m[1], JWKS, { issuer: base, audience: base });
    send(res, 200, { sub: payload.sub, email: payload.email });
  } catch {
    counts.meUnauthorized++;
    send(res, 401, { error: "invalid_token" }, { "www-authenticate": 'Bearer error="invalid_token"' });
  }
}

async function file(res, path, dir) {
  const full = resolve(dir, "." + sep + path);
  if (full !== dir && !full.startsWith(dir + sep)) return send(res, 404, "not found");
  try {
    const body = await readFile(full);
    send(res, 200, body, { "content-type": TYPES[extname(full)] ?? "application/octet-stream" });
  } catch {
    send(res, 404, "not found");
  }
}

const authHandler = toNodeHandler(auth);

const server = createServer(async (req, res) => {
  const { pathname } = new URL(req.url, base);
  try {
    if (pathname.startsWith("/api/auth/")) {
      if (pathname === "/api/auth/token" && req.method === "GET") counts.token++;
      if (pathname === "/api/auth/sign-in/email" && req.method === "POST") counts.signIn++;
      if (pathname === "/api/auth/sign-out" && req.method === "POST") counts.signOut++;
      return await authHandler(req, res);
    }
    if (pathname === "/api/me" && req.method === "GET") return await me(req, res);
    if (pathname === "/__test/counts" && req.method === "GET") return send(res, 200, counts);
    if (pathname === "/__test/reset" && req.method === "POST") { reset(); return send(res, 200, counts); }
    if (pathname === "/" && req.method === "GET") return await file(res, "page.html", here.replace(/\/$/, ""));
    if (pathname === "/favicon.ico") { res.writeHead(204); return res.end(); }
    if (pathname.startsWith("/pkg/") && req.method === "GET") return await file(res, decodeURIComponent(pathname.slice(5)), pkgDir);
    send(res, 404, "not found");
  } catch (e) {
    console.error(e);
    if (!res.headersSent) send(res, 500, { error: "server_error" });
    else res.end();
  }
});

server.listen(port, "127.0.0.1", () => {
  console.log(`better-auth compat server on ${base} (tokens ${TOKEN_LIFETIME}; package from ${pkgDir})`);
});
