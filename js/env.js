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

// zone.js (Angular's change detection) patches setTimeout: a timer becomes a macrotask of the
// zone it was set in, and an app's zone is not stable (ApplicationRef.isStable, whenStable,
// hydration, service worker registration) while it has one pending. The manager's timers run
// minutes ahead, so they are set in the root zone, as NgZone.runOutsideAngular does; what they
// lead to reaches the app through its promises and its listeners, which run in their own zone
// (`inCallerZone`).
const outsideZones = (f) => (g.Zone && g.Zone.root ? g.Zone.root.run(f) : f());

/// setTimeout(f, ms) on the global scope, outside any zone.js zone; its handle, or undefined
/// where there is none.
export function setTimer(f, ms) {
  try {
    return outsideZones(() => g.setTimeout(f, ms));
  } catch {
    return undefined;
  }
}

/// A listener bound to the zone.js zone it was given in (Angular runs change detection after
/// it), or itself without zone.js.
/// Run `f` in a microtask (after the ones already queued).
export const soon = (f) => queueMicrotask(f);
export const inCallerZone = (f) => (g.Zone && g.Zone.current ? g.Zone.current.wrap(f, "wasm-token-manager") : f);

export function clearTimer(handle) {
  try {
    g.clearTimeout(handle);
  } catch {
    // nothing to clear
  }
}

/// `auth.ready`: `p` (the first restore's promise) marked handled, so an app that never reads
/// `ready` sees no unhandled rejection; and `deferred` ([resolve, reject], the promise `ready`
/// gave before any restore started) settled with it.
export const follow = (p, deferred) => { p.then(deferred && deferred[0], deferred ? deferred[1] : () => {}); };
