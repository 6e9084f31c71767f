// The page's UI for one manager: the store contract through useSyncExternalStore, a count of
// silent refreshes, and buttons. Everything a test reads is a data- attribute of <main>.
import { useEffect, useState, useSyncExternalStore } from "react";

export default function Session({ auth, restored }) {
  // `subscribe` and `getSnapshot` are bound: pass them as they are.
  const session = useSyncExternalStore(auth.subscribe, auth.getSnapshot);
  const [renewals, setRenewals] = useState({ count: 0, at: null });
  const [restoredAt, setRestoredAt] = useState(null);
  const [me, setMe] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => auth.on("refreshed", () =>
    setRenewals((r) => ({ count: r.count + 1, at: Date.now() }))), [auth]);
  useEffect(() => { if (restored !== null) setRestoredAt(Date.now()); }, [restored]);
  useEffect(() => {
    setMe(null);
    if (!session.isAuthenticated) return;
    let live = true;
    auth.fetch("/api/me").then((r) => r.json()).then((body) => live && setMe(body.sub), (e) => live && setError(String(e)));
    return () => { live = false; };
  }, [auth, session.isAuthenticated]);

  // The last /api/me answer, shown only while signed in (the effect below clears it one render
  // after a sign-out).
  const shownMe = session.isAuthenticated ? me : null;
  const act = (fn) => () => fn().catch((e) => setError(e.code ?? String(e)));
  return (
    <main id="app" data-state={session.state} data-sub={session.claims?.sub ?? ""} data-jti={session.claims?.jti ?? ""}
      data-expires-at={session.expiresAt ?? ""} data-me={shownMe ?? ""} data-renewals={renewals.count}
      data-renewed-at={renewals.at ?? ""} data-restored={String(restored)} data-restored-at={restoredAt ?? ""}
      data-error={error ?? ""}>
      <p id="state">
        {session.isAuthenticated ? `signed in as ${session.claims?.sub}` : session.state}
        {session.expiresAt && `, token valid until ${new Date(session.expiresAt).toLocaleTimeString()}`}
      </p>
      <p id="renewals">silent refreshes: {renewals.count}</p>
      {shownMe && <p id="me">/api/me says: {shownMe}</p>}
      {error && <p id="error">error: {error}</p>}
      <button id="login" disabled={session.isAuthenticated} onClick={act(() => auth.login({ username: "demo", password: "demo" }))}>Sign in</button>
      <button id="refresh" disabled={!session.isAuthenticated} onClick={act(() => auth.refresh())}>Refresh now</button>
      <button id="logout" disabled={!session.isAuthenticated} onClick={act(() => auth.logout())}>Sign out</button>
    </main>
  );
}
