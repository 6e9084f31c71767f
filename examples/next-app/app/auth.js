"use client";
// A client component. Next also renders it on the server (the static export renders it in Node
// at build time), where the package's "node" entry is used and no manager may be made: the
// manager is made on first use in the browser, and the server renders a "restoring" snapshot, so
// the page loads with "Loading…" rather than a sign-in form that the restore may replace.
import { useEffect, useState, useSyncExternalStore } from "react";
import { TokenManager } from "wasm-token-manager";

let auth;
function getAuth() {
  // restoreOnCreate: sign in again from the refresh cookie at once; the snapshot says
  // "restoring" until the server has answered.
  auth ??= new TokenManager({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout", restoreOnCreate: true });
  return auth;
}
const SERVER_SNAPSHOT = Object.freeze({ state: "restoring", isAuthenticated: false, expiresAt: null, claims: null,
  sessionExpiresAt: null, idleDeadline: null, offline: false });
const subscribe = (onChange) => getAuth().subscribe(onChange);
const getSnapshot = () => getAuth().getSnapshot();
const getServerSnapshot = () => SERVER_SNAPSHOT;

export default function Auth() {
  const session = useSyncExternalStore(subscribe, getSnapshot, getServerSnapshot);
  const [renewals, setRenewals] = useState(0);
  const [message, setMessage] = useState("");
  useEffect(() => {
    const a = getAuth();
    a.ready.catch(() => setMessage("Cannot reach the sign-in service."));
    const offs = [
      a.on("refreshed", () => setRenewals((n) => n + 1)),
      a.on("sessionExpired", () => setMessage("Your session has ended. Please sign in again.")),
    ];
    return () => offs.forEach((off) => off());
  }, []);

  if (session.state === "restoring") return <p>Loading…</p>;
  if (!session.isAuthenticated) return <LoginForm message={message} setMessage={setMessage} />;
  return (
    <section>
      <p id="user">Signed in as {session.claims.sub}</p>
      <p id="token">
        Token valid until {new Date(session.expiresAt).toLocaleTimeString()}, renewed silently {renewals} {renewals === 1 ? "time" : "times"}
      </p>
      <CallApi />
      <p><button id="sign-out" onClick={() => getAuth().logout()}>Sign out</button></p>
    </section>
  );
}

function LoginForm({ message, setMessage }) {
  async function signIn(event) {
    event.preventDefault();
    setMessage("");
    const { username, password } = Object.fromEntries(new FormData(event.currentTarget));
    try {
      await getAuth().login({ username, password });
    } catch (err) {
      setMessage(err.code === "login_failed" && err.status === 401 ? "Wrong user name or password." : "Sign-in failed. Please try again.");
    }
  }
  return (
    <form id="login" onSubmit={signIn}>
      <p><label>User name <input name="username" autoComplete="username" required /></label></p>
      <p><label>Password <input name="password" type="password" autoComplete="current-password" required /></label></p>
      <p><button>Sign in</button> <span role="alert">{message}</span></p>
    </form>
  );
}

// auth.fetch adds the Authorization header, and refreshes and retries once after a 401.
function CallApi() {
  const [answer, setAnswer] = useState("");
  async function call() {
    try {
      const res = await getAuth().fetch("/api/me");
      setAnswer(res.ok ? `${res.status}: hello, ${(await res.json()).sub}` : `${res.status}`);
    } catch (err) {
      setAnswer(`failed: ${err.code ?? err.message}`);
    }
  }
  return <p><button id="call-api" onClick={call}>Call /api/me</button> <output id="api">{answer}</output></p>;
}
