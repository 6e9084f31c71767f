// Web Locks for wasm-token-manager: ask for the origin's lock `name`; `answer(id, null, 7)` (the
// manager's answer callback) runs once it is held, `answer(id, null, 8)` if Web Locks are
// unusable here. Returns a function that
// releases the lock, or abandons the request if it was not granted yet (null where there are no
// Web Locks); its `stuck()` is called each time the wait passes its bound: a context that has
// held the lock since the last look is frozen or hung, and the lock is taken from it (`steal`);
// a holder that changed is a queue moving on. A lock stolen from this tab is not "unusable":
// its operation goes on, and the server's rotation rules arbitrate.
export function lockRequest(name, id, answer) {
  const locks = globalThis.navigator && globalThis.navigator.locks;
  if (!locks) return null;
  let c = new AbortController(), release, granted, gone, seen;
  const held = new Promise((resolve) => { release = resolve; });
  // Once: a steal that races the grant of the request it replaces is granted too (it then
  // holds the lock in place of that request, and `held` is released the same way).
  const got = () => { if (gone) return; if (!granted) { granted = 1; answer(id, null, 7); } return held; };
  const ask = (o, ctl) => locks.request(name, o, got).catch(() => { if (!ctl.signal.aborted && !granted && !gone) answer(id, null, 8); });
  const holder = () => {
    try { return locks.query().then((s) => { const h = s.held.find((l) => l.name === name); return h && h.clientId; }, () => null); }
    catch { return Promise.resolve(null); }
  };
  holder().then((h) => { seen = h; });
  ask({ signal: c.signal }, c);
  const done = () => { gone = 1; release(); c.abort(); };
  done.stuck = () => holder().then((h) => {
    if (granted || gone) return;
    if (h !== seen) { seen = h; return; }
    c.abort();
    c = new AbortController();
    // No holder seen at two looks (or none can be seen) and still not granted: ask again.
    ask(h ? { steal: true } : { signal: c.signal }, c);
  });
  return done;
}
