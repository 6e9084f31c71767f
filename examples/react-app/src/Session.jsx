// The page's UI for a manager: its snapshot through useSyncExternalStore (the store contract),
// a loading state while the session is being restored, the sign-in form, and once signed in
// the user, the token's renewals, an API call and sign-out.
import { useEffect, useState, useSyncExternalStore } from "react";

export default function Session({ auth }) {
  // `subscribe` and `getSnapshot` are bound: pass them as they are.
  const session = useSyncExternalStore(auth.subscribe, auth.getSnapshot);
  const [renewals, setRenewals] = useState(0);
  const [message, setMessage] = useState("");

  useEffect(() => {
    let live = true;
    auth.ready.catch((err) => live && err.code !== "aborted" && setMessage("Cannot reach the sign-in service."));
    const offs = [
      auth.on("refreshed", () => setRenewals((n) => n + 1)),
      auth.on("sessionExpired", () => setMessage("Your session has ended. Please sign in again.")),
    ];
    return () => { live = false; offs.forEach((off) => off()); };
  }, [auth]);

  if (session.state === "restoring") return <p id="loading">Loading…</p>;
  if (!session.isAuthenticated) return <LoginForm auth={auth} message={message} setMessage={setMessage} />;
  return (
    <main>
      <p id="user">Signed in as {session.claims.sub}</p>
      <p id="token">
        Token valid until {new Date(session.expiresAt).toLocaleTimeString()}, renewed silently {renewals} {renewals === 1 ? "time" : "times"}
      </p>
      <CallApi auth={auth} />
      <p><button id="sign-out" onClick={() => auth.logout()}>Sign out</button></p>
    </main>
  );
}

function LoginForm({ auth, message, setMessage }) {
  async function signIn(event) {
    event.preventDefault();
    setMessage("");
    const { username, password } = Object.fromEntries(new FormData(event.currentTarget));
    try {
      await auth.login({ username, password });
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
function CallApi({ auth }) {
  const [answer, setAnswer] = useState("");
  async function call() {
    try {
      const res = await auth.fetch("/api/me");
      setAnswer(res.ok ? `${res.status}: hello, ${(await res.json()).sub}` : `${res.status}`);
    } catch (err) {
      setAnswer(`failed: ${err.code ?? err.message}`);
    }
  }
  return <p><button id="call-api" onClick={call}>Call /api/me</button> <output id="api">{answer}</output></p>;
}
