// Reading the options object of wasm-token-manager: names and JS types, in one pass. What the
// values mean (URLs, ranges, header rules) is checked in Rust (core::options).
import { tokenManagerError } from "./errors.js";
import { debugOut, tracedFetch } from "./debug.js";

const NAMES = ["refreshUrl", "loginUrl", "logoutUrl", "allowedOrigins", "refreshMarginSeconds",
  "accessTokenField", "expiresInField", "refreshHeaders", "crossTab", "autoRefresh",
  "expiresAtField", "dpop", "fetch", "parseTokenResponse", "refreshExpiresInField", "logoutScopeParam",
  "sessionWarningSeconds", "idle", "onStepUp", "refreshMethod", "loginReturnsToken", "loginRedirectUrl",
  "returnToParam", "logoutRedirectUrl", "logoutRedirectField", "restoreOnCreate", "debug"];

const invalid = (message) => tokenManagerError("invalid_options", message);

/// Header name/value pairs of a plain object, flattened (`[name, value, ...]`); null when it
/// is not an object of strings. `fromFunction`: what a `refreshHeaders` function returned, where
/// an empty, null or undefined value means "no such header this time" (a CSRF cookie that does
/// not exist yet) and a value of another type is answered with its header's name.
export function headerPairs(v, fromFunction) {
  if (v === null || typeof v !== "object") return null;
  const out = [];
  for (const [name, value] of Object.entries(v)) {
    if (fromFunction && (value == null || value === "")) continue;
    if (typeof value !== "string") return fromFunction ? name : null;
    out.push(name, value);
  }
  return out;
}

/// The options as a list in a fixed order (absent ones undefined); throws `invalid_options`
/// naming the first option of a wrong type, or an unknown name.
export function readOptions(o) {
  if (o === null || typeof o !== "object") throw invalid("options must be an object with at least refreshUrl");
  for (const name of Object.keys(o)) if (!NAMES.includes(name)) throw invalid(`unknown option "${name}"`);
  if ((o.loginUrl != null || o.loginRedirectUrl != null) && o.logoutUrl === undefined) {
    throw invalid("logoutUrl is required with loginUrl (null: none), or restore() signs the user back in after logout()");
  }
  const origins = o.allowedOrigins;
  if (origins != null && !(Array.isArray(origins) && origins.every((x) => typeof x === "string"))) {
    throw invalid("allowedOrigins must be an array of strings");
  }
  let headers = o.refreshHeaders;
  const headersFn = typeof headers === "function" ? headers : undefined;
  if (headersFn) headers = undefined;
  else if (headers != null && !(headers = headerPairs(headers))) {
    throw invalid("refreshHeaders must be an object mapping header names to string values, or a function returning one");
  }
  const typed = (name, type, what) => {
    const v = o[name];
    if (v == null) return undefined;
    if (typeof v !== type) throw invalid(`${name} must be ${what}`);
    return v;
  };
  const str = (n) => typed(n, "string", "a string");
  const num = (n) => typed(n, "number", "a number");
  const idle = o.idle;
  if (idle != null && (typeof idle !== "object" || Object.keys(idle).some((k) => k !== "timeoutSeconds" && k !== "warningSeconds") ||
      typeof idle.timeoutSeconds !== "number" || !["number", "undefined"].includes(typeof idle.warningSeconds))) {
    throw invalid("idle must be { timeoutSeconds: number, warningSeconds?: number }");
  }
  const bool = (n) => typed(n, "boolean", "a boolean");
  let transport = typed("fetch", "function", "a function");
  const d = o.debug;
  if (d != null && typeof d !== "boolean" && typeof d !== "function") throw invalid("debug must be a boolean or a function");
  const out = d && debugOut(d);
  if (out && (transport || globalThis.fetch)) transport = tracedFetch(transport || globalThis.fetch, out);
  // A page origin left out of allowedOrigins: the first request there without the token says why.
  const here = globalThis.location && location.origin;
  const origin = (x) => { try { return new URL(x).origin; } catch { return x; } };
  const unlisted = origins && !origins.some((x) => x === "self" || origin(x) === here) ? { o: here } : undefined;
  return [str("refreshUrl"), str("loginUrl"), str("logoutUrl"), origins ?? undefined,
    num("refreshMarginSeconds"), str("accessTokenField"), str("expiresInField"),
    str("expiresAtField"), headers ?? undefined, headersFn, bool("crossTab"), bool("autoRefresh"), bool("dpop"),
    transport, typed("parseTokenResponse", "function", "a function"),
    str("refreshExpiresInField"), str("logoutScopeParam"), num("sessionWarningSeconds"), idle?.timeoutSeconds,
    idle?.warningSeconds, typed("onStepUp", "function", "a function"), str("refreshMethod"), bool("loginReturnsToken"),
    navigation(str), bool("restoreOnCreate"), out, unlisted];
}

/// The navigations' options (js/navigate.js): `{ login, param, leave, field }`, the URLs
/// resolved against the page.
function navigation(str) {
  const url = (n) => {
    try { return str(n) && new URL(str(n), location.href).href; } catch { throw invalid(`${n} is not a valid URL`); }
  };
  return { login: url("loginRedirectUrl"), param: str("returnToParam") || "returnTo", leave: url("logoutRedirectUrl"), field: str("logoutRedirectField") };
}

/// `logout(options)`'s scope: 0 local (the default), 1 others, 2 global; throws
/// `invalid_options` for anything else.
export function logoutScope(o) {
  if (o != null && typeof o !== "object") throw invalid('logout takes an options object: { scope: "local" | "others" | "global" }');
  const i = ["local", "others", "global"].indexOf(o == null || o.scope === undefined ? "local" : o.scope);
  if (i < 0) throw invalid('logout: scope must be "local", "others" or "global"');
  return i;
}
