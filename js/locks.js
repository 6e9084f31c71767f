// Web Locks for wasm-token-manager: ask for the origin's lock `name`; `answer(id, true)` runs
// once it is held, `answer(id, false)` if Web Locks are unusable here. Returns a function that
// releases the lock, or abandons the request if it was not granted yet; null where there are
// no Web Locks.
export function lockRequest(name, id, answer) {
  const locks = globalThis.navigator && globalThis.navigator.locks;
  if (!locks) return null;
  const abandon = new AbortController();
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  locks.request(name, { signal: abandon.signal }, () => { answer(id, true); return held; })
    .catch(() => { if (!abandon.signal.aborted) answer(id, false); });
  return () => { release(); abandon.abort(); };
}
