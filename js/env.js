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

/// setTimeout on the global scope, outside any zone.js zone, for `done(0, null, 10)` (the
/// manager's answer callback) in `ms`; its handle, or undefined where there is none.
export function setTimer(done, ms) {
  try {
    return outsideZones(() => g.setTimeout(() => done(0, null, 10), ms));
  } catch {
    return undefined;
  }
}

/// `done(0, null, 11)` in a microtask (after the ones already queued).
export const soon = (done) => queueMicrotask(() => done(0, null, 11));
/// A listener bound to the zone.js zone it was given in (Angular runs change detection after
/// it), or itself without zone.js.
export const inCallerZone = (f) => (g.Zone && g.Zone.current ? g.Zone.current.wrap(f, "wasm-token-manager") : f);

/// The BroadcastChannel `name`, its messages' data given to `done(0, data, 12)`; null where
/// there is none.
export function openChannel(name, done) {
  try {
    const c = new BroadcastChannel(name);
    c.onmessage = (e) => done(0, e.data, 12);
    return c;
  } catch {
    return null;
  }
}

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
