// The `debug` option of wasm-token-manager: one line per request the manager sends (the token
// endpoints' and the wrapped ones, with the Authorization scheme but never its value), per
// event (state changes included, with their detail) and per timer it arms. Never a token or a
// cookie value: no event detail carries one, and headers are not printed.
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

/// Where the lines go: the `debug` function, or console.debug for `true`.
export const debugOut = (d) => (typeof d === "function" ? d : (line) => console.debug("wasm-token-manager: " + line));

/// A line to `out`: event `k` (its index in `EventKind`) with its detail `v`, or (9) the next
/// timer, `v` ms from now.
export const debugLine = (out, k, v) => out(k > 8 ? `next deadline in ${v / 1000} s` : `${EVENTS[k]} ${JSON.stringify(v)}`);

/// The transport, logging each request with its answer's status (or the failure's name).
export const tracedFetch = (f, log) => async (input, init) => {
  const h = new Headers((init && init.headers) || input.headers);
  const scheme = (h.get("Authorization") || "").split(" ")[0];
  const line = `${(init && init.method) || input.method || "GET"} ${input.url || input}${scheme && " with " + scheme}`;
  try {
    const res = await f.call(globalThis, input, init);
    log(`${line} → ${res.status}`);
    return res;
  } catch (e) {
    log(`${line} → ${e && e.name}`);
    throw e;
  }
};
