// A small app using the whole public surface a typical app touches.
import init, { TokenManager, TokenManagerError, decodeJwt } from "wasm-token-manager";

await init();
const auth = new TokenManager({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout" });
const out = document.getElementById("out");
auth.on("stateChanged", (s) => { out.textContent = JSON.stringify(s); });
try {
  if (!(await auth.restore())) await auth.login({ username: "demo", password: "demo" });
  const me = await (await auth.fetch("/api/me")).json();
  out.textContent = JSON.stringify({ me, claims: auth.accessToken && decodeJwt(auth.accessToken).claims });
} catch (e) {
  out.textContent = e instanceof TokenManagerError ? e.code : String(e);
}
window.logout = () => auth.logout();
