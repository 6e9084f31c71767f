// The package in Node, as a server render or a Node test runner imports it: resolved by name
// through its `exports` (the "node" condition) from an app that depends on it. Importing must
// not throw nor fetch the wasm; a TokenManager throws `unsupported_environment`; decodeJwt works.
// Usage: node tests/e2e/node-ssr.mjs <app dir that has wasm-token-manager installed>
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const app = process.argv[2] ?? "examples/vite-app";
let passed = 0, failed = 0;
const check = (name, cond, detail = "") => {
  if (cond) { passed++; console.log(`test ${name} ... ok`); } else { failed++; console.log(`test ${name} ... FAILED ${detail}`); }
};

let fetches = 0;
const realFetch = globalThis.fetch;
globalThis.fetch = (...args) => { fetches++; return realFetch(...args); };

const resolved = createRequire(join(process.cwd(), app, "package.json")).resolve("wasm-token-manager");
check("resolves to the SSR-safe node entry", resolved.endsWith("/node.js"), resolved);
let mod, importError;
try { mod = await import(pathToFileURL(resolved)); } catch (e) { importError = e; }
check("importing never throws", !importError, String(importError));
check("importing fetches nothing", fetches === 0, `${fetches} fetch calls`);

let err;
try { new mod.TokenManager({ refreshUrl: "/auth/refresh" }); } catch (e) { err = e; }
check("new TokenManager in Node throws unsupported_environment",
  err instanceof mod.TokenManagerError && err.code === "unsupported_environment" && /browser/.test(err.message), String(err));

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
const token = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub: "node", exp: 1900000000, iat: 1800000000 })}.c2ln`;
const decoded = mod.decodeJwt(token);
check("decodeJwt works in Node", decoded.claims.sub === "node" && decoded.header.alg === "HS256", JSON.stringify(decoded));
let bad;
try { mod.decodeJwt("not a token"); } catch (e) { bad = e; }
check("decodeJwt's errors are TokenManagerErrors in Node too", bad instanceof mod.TokenManagerError && bad.code === "malformed_token", String(bad));
check("still no fetch after decoding (the wasm was read from the file)", fetches === 0, `${fetches}`);

// The real class (the manual entry, module instantiated from the file) refuses Node as well:
// the check is in the manager itself, not only in the node entry.
const manual = await import(pathToFileURL(resolved.replace(/node\.js$/, "manual.js")));
const synced = manual.initSync({ module: readFileSync(new URL("wasm_token_manager_bg.wasm", pathToFileURL(resolved))) });
check("the entries' init and initSync return nothing (no instance exports, no memory)",
  synced === undefined && (await manual.default()) === undefined && (await manual.init()) === undefined && (await mod.default()) === undefined,
  String(synced));
let real;
try { new manual.TokenManager({ refreshUrl: "https://example.com/auth/refresh" }); } catch (e) { real = e; }
check("the wasm TokenManager itself throws unsupported_environment without a browser", real?.code === "unsupported_environment", String(real));

console.log(`\nnode result: ${failed ? "FAILED" : "ok"}. ${passed} passed; ${failed} failed`);
if (failed || passed === 0) process.exit(1);
