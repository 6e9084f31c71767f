// The shared session record of wasm-token-manager in localStorage: "<epoch>" or
// "<epoch>:<end reason>", keyed by the refresh URL. No token is ever stored. Where there is no
// localStorage (a worker) or it throws (storage disabled), there is no record.
const key = (scope) => `wasm-token-manager:${scope}:session`;

function storage() {
  try {
    return globalThis.localStorage || null;
  } catch {
    return null;
  }
}

/// [epoch, reason or undefined], or undefined when there is no readable record.
export function loadRecord(scope) {
  let text;
  try {
    text = storage()?.getItem(key(scope));
  } catch {
    return undefined;
  }
  const m = typeof text === "string" && /^(\d{1,16})(?::(\w+))?$/.exec(text);
  return m ? [Number(m[1]), m[2]] : undefined;
}

/// Write the record unless a newer one is there.
export function storeRecord(scope, epoch, reason) {
  const old = loadRecord(scope);
  if (old && old[0] > epoch) return;
  try {
    storage()?.setItem(key(scope), reason ? `${epoch}:${reason}` : `${epoch}`);
  } catch {
    // storage full or disabled: tabs rely on the channel
  }
}
