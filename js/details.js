// Event details and store snapshots of wasm-token-manager, as plain JS objects: wasm makes one
// call per event with the values, and the field names live here (a property set per field
// from wasm cost more code than this file).

/// The detail of event `kind` (its index in `EventKind`): see each case for what a..d are.
/// `fromOtherTab` appears only when true, as the `.d.ts` says.
export function detail(kind, a, b, c, d) {
  let o;
  switch (kind) {
    case 0: o = { expiresAt: a }; break; // refreshed
    case 1: o = { reason: a }; break; // sessionExpired
    case 2: o = { serverConfirmed: a, reason: c }; break; // loggedOut
    case 3: return { code: a, message: c, status: d }; // refreshFailed
    case 4: return { state: a, isAuthenticated: a === "authenticated", expiresAt: c, offline: d }; // stateChanged
    case 5: return { expiresAt: a, secondsLeft: left(a) }; // sessionExpiring
    case 6: return { deadline: a, secondsLeft: left(a) }; // idleWarning
    case 8: o = {}; break; // loggedIn
    default: return { error: a, acrValues: b, maxAge: c, scope: d }; // stepUp (and onStepUp's argument)
  }
  if (b) o.fromOtherTab = true;
  return o;
}

const left = (at) => Math.max(0, Math.round((at - Date.now()) / 1000));

/// `getSnapshot()`'s frozen object.
export const snapshot = (state, expiresAt, claims, sessionExpiresAt, idleDeadline, offline) =>
  Object.freeze({ state, isAuthenticated: state === "authenticated", expiresAt, claims, sessionExpiresAt, idleDeadline, offline });
