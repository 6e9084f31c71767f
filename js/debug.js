// The `debug` option of wasm-token-manager: one line per request the manager sends (the token
// endpoints' and the wrapped ones, with the Authorization scheme but never its value), per
// event (state changes included, with their detail) and per timer it arms. Never a token or a
// cookie value: no event detail carries one, headers are not printed (only a known scheme),
// and URLs lose their query.
import { tokenManagerError } from "./errors.js";

const EVENTS = ["refreshed", "sessionExpired", "loggedOut", "refreshFailed", "stateChanged", "sessionExpiring",
  "idleWarning", "stepUp", "loggedIn"];

/// `on(name, handler)`: the event's index in `EventKind` (the names live only here); throws
/// `invalid_options` for an unknown name or a handler that is not a function.
export function eventKind(name, handler) {
  const k = EVENTS.indexOf(name);
  if (k < 0) throw tokenManagerError("invalid_options", `unknown event "${String(name)}": expected ${EVENTS.join(", ")}`);
  if (typeof handler !== "function") throw tokenManagerError("invalid_options", "the event handler must be a function");
  return k;
}

/// Where the lines go: the `debug` function, or console.debug for `true`. A logger that throws
/// is ignored: it never stops the manager or changes what a request returns.
export const debugOut = (d) => (line) => {
  try {
    if (typeof d === "function") d(line);
    else console.debug("wasm-token-manager: " + line);
  } catch { /* ignored */ }
};

/// A line to `out`: event `k` (its index in `EventKind`) with its detail `v`, or (9) the next
/// timer, `v` ms from now.
export const debugLine = (out, k, v) => out(k > 8 ? `next deadline in ${Math.round(v / 100) / 10} s` : `${EVENTS[k]} ${JSON.stringify(v)}`);

/// A URL as a line shows it: without its query and fragment (a pre-signed URL's signature).
export const shownUrl = (url) => String(url).replace(/[?#].*$/s, (rest) => (rest[0] === "?" ? "?…" : ""));

/// The transport, logging each request with its answer's status (or the failure's name): the
/// Authorization scheme when it is one the manager sets or a known one, else only that there
/// is an Authorization (a caller's raw API key is no scheme).
export const tracedFetch = (f, log) => async (input, init) => {
  const h = new Headers((init && init.headers) || input.headers);
  const auth = h.get("Authorization"), scheme = auth && auth.split(" ")[0];
  const shown = !auth ? "" : ["Bearer", "DPoP", "Basic"].includes(scheme) ? " with " + scheme : " with Authorization";
  const method = String((init && init.method) || input.method || "GET").toUpperCase();
  const line = `${method} ${shownUrl(input.url || input)}${shown}`;
  try {
    const res = await f.call(globalThis, input, init);
    log(`${line} → ${res.status}`);
    return res;
  } catch (e) {
    log(`${line} → ${e && e.name}`);
    throw e;
  }
};
