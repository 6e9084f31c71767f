// The global scope of wasm-token-manager (window or worker): clocks, location, URLs, timers,
// the captured fetch. One small module so the wasm imports a few functions instead of
// web-sys's accessors for each.
const g = globalThis;

/// Monotonic milliseconds (performance.now, or the wall clock where there is none).
export const monoNow = () => (g.performance ? g.performance.now() : Date.now());
export const wallNow = () => Date.now();

/// location.href of the page or worker, if any.
export const baseUrl = () => {
  const href = g.location && g.location.href;
  return typeof href === "string" ? href : undefined;
};

/// [href, origin] of `url` resolved against the page (or absolute when `relative` is false);
/// undefined when it does not parse.
export function resolveUrl(url, relative) {
  try {
    const u = relative ? new URL(url, baseUrl()) : new URL(url);
    return [u.href, u.origin];
  } catch {
    return undefined;
  }
}

/// The global fetch as it is now (captured once by the manager), if any.
export const globalFetch = () => (typeof g.fetch === "function" ? g.fetch : undefined);

/// setTimeout(f, ms) on the global scope; its handle, or undefined where there is none.
export function setTimer(f, ms) {
  try {
    return g.setTimeout(f, ms);
  } catch {
    return undefined;
  }
}

export function clearTimer(handle) {
  try {
    g.clearTimeout(handle);
  } catch {
    // nothing to clear
  }
}
