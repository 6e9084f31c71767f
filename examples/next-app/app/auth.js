"use client";
// A client component. The module is also rendered on the server (the static export renders it
// in Node), where the package's "node" entry is used and no manager may be created: the
// manager is made on first use in the browser, and the server renders the anonymous snapshot.
import { useEffect, useState, useSyncExternalStore } from "react";
import { TokenManager } from "wasm-token-manager";

let auth;
function getAuth() {
  auth ??= new TokenManager({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout" });
  return auth;
}
const SERVER_SNAPSHOT = Object.freeze({ state: "anonymous", isAuthenticated: false, expiresAt: null, claims: null });
const subscribe = (onChange) => getAuth().subscribe(onChange);
const getSnapshot = () => getAuth().getSnapshot();
const getServerSnapshot = () => SERVER_SNAPSHOT;

export default function Auth() {
  const session = useSyncExternalStore(subscribe, getSnapshot, getServerSnapshot);
  const [result, setResult] = useState(null);
  useEffect(() => {
    (async () => {
      const a = getAuth();
      if (!(await a.restore())) await a.login({ username: "demo", password: "demo" });
      const me = await (await a.fetch("/api/me")).json();
      const before = a.getSnapshot();
      await new Promise((resolve) => { const off = a.on("refreshed", () => { off(); resolve(); }); });
      const again = (await a.fetch("/api/ping")).status;
      const after = a.getSnapshot();
      setResult({ sub: me.sub, again, renewed: after.claims?.jti !== before.claims?.jti });
    })();
  }, []);
  return (
    <main>
      <p id="state" data-state={session.state}>
        {session.isAuthenticated ? `signed in as ${session.claims?.sub}` : session.state}
      </p>
      {result && <pre id="out" data-result={JSON.stringify({ ...result, state: session.state })}>{JSON.stringify(result, null, 2)}</pre>}
    </main>
  );
}
