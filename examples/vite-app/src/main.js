// A page that signs in with a form, shows who is signed in and when the token expires,
// calls the API with auth.fetch, and signs out. The manager renews the token silently before
// it expires; the page only follows its snapshot.
import { TokenManager } from "wasm-token-manager"; // loads its .wasm on import

const auth = new TokenManager({
  refreshUrl: "/auth/refresh",
  loginUrl: "/auth/login",
  logoutUrl: "/auth/logout",
  restoreOnCreate: true, // sign in again from the refresh cookie; the snapshot says "restoring" meanwhile
});

const $ = (id) => document.getElementById(id);
const form = $("login");
let renewals = 0;

let session = auth.getSnapshot();
function render() {
  $("loading").hidden = session.state !== "restoring";
  form.hidden = session.state === "restoring" || session.isAuthenticated;
  $("signed-in").hidden = !session.isAuthenticated;
  if (session.isAuthenticated) {
    $("user").textContent = `Signed in as ${session.claims.sub}`;
    $("token").textContent = `Token valid until ${new Date(session.expiresAt).toLocaleTimeString()}, ` +
      `renewed silently ${renewals} ${renewals === 1 ? "time" : "times"}`;
  } else {
    $("api").textContent = "";
  }
}
// The store contract: the listener is called at once with the snapshot, then on every change.
auth.subscribe((s) => { session = s; render(); });
auth.on("refreshed", () => { renewals++; render(); });
auth.on("sessionExpired", () => { $("login-error").textContent = "Your session has ended. Please sign in again."; });
auth.ready.catch(() => { $("login-error").textContent = "Cannot reach the sign-in service."; });

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  const { username, password } = Object.fromEntries(new FormData(form));
  try {
    await auth.login({ username, password });
    form.reset();
  } catch (err) {
    $("login-error").textContent = err.code === "login_failed" && err.status === 401
      ? "Wrong user name or password." : "Sign-in failed. Please try again.";
  }
});

// auth.fetch adds the Authorization header, and refreshes and retries once after a 401.
$("call-api").addEventListener("click", async () => {
  try {
    const res = await auth.fetch("/api/me");
    $("api").textContent = res.ok ? `${res.status}: hello, ${(await res.json()).sub}` : `${res.status}`;
  } catch (err) {
    $("api").textContent = `failed: ${err.code ?? err.message}`;
  }
});

$("sign-out").addEventListener("click", () => auth.logout()); // every tab signs out; never rejects
