// Page wake-ups for wasm-token-manager: events after which timers may have been throttled,
// frozen or stopped by sleep. `wake(kind)`: 0 visible again, 1 focus, 2 online, 3 shown from
// the back/forward cache or resumed from freezing. Returns the function that stops listening.
export function listenWake(wake) {
  const g = globalThis;
  const d = g.document;
  const offs = [];
  const on = (target, type, f) => {
    if (target && target.addEventListener) {
      target.addEventListener(type, f);
      offs.push(() => target.removeEventListener(type, f));
    }
  };
  on(g, "focus", () => wake(1));
  on(g, "online", () => wake(2));
  on(g, "pageshow", () => wake(3));
  on(d, "resume", () => wake(3));
  on(d, "visibilitychange", () => { if (d.visibilityState === "visible") wake(0); });
  return () => offs.forEach((off) => off());
}
