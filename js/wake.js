// Page wake-ups for wasm-token-manager: events after which timers may have been throttled,
// frozen or stopped by sleep. `done(kind, null, 9)` (the manager's answer callback): kind 0
// visible again, 1 focus, 2 online, 3 shown from the back/forward cache or resumed from
// freezing, 4 offline; with `activity`, 5 for the user's input (at most every 500 ms). Returns
// the function that stops listening.
export function listenWake(done, activity) {
  const wake = (k) => done(k, null, 9);
  const g = globalThis;
  const d = g.document;
  const offs = [];
  const on = (target, type, f, o) => {
    if (target && target.addEventListener) {
      target.addEventListener(type, f, o);
      offs.push(() => target.removeEventListener(type, f, o));
    }
  };
  on(g, "focus", () => wake(1));
  on(g, "online", () => wake(2));
  on(g, "pageshow", () => wake(3));
  on(d, "resume", () => wake(3));
  on(g, "offline", () => wake(4));
  on(d, "visibilitychange", () => { if (d.visibilityState === "visible") wake(0); });
  let last = 0;
  const active = () => { const t = Date.now(); if (t - last > 500) { last = t; wake(5); } };
  if (activity) for (const type of ["pointerdown", "keydown", "wheel", "touchstart"]) on(g, type, active, { capture: true, passive: true });
  return () => offs.forEach((off) => off());
}
