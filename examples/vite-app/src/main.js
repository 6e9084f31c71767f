// The example app (Vite and webpack builds share it): sign in, call the API, wait for a silent
// refresh by the timer, call again. The result lands in <pre id="out"> and body[data-result].
import { TokenManager } from "wasm-token-manager";

const auth = new TokenManager({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout" });
const out = document.getElementById("out");
// The store contract: the listener gets the snapshot at once and on every change.
auth.subscribe((s) => { out.dataset.state = s.state; });

if (!(await auth.restore())) await auth.login({ username: "demo", password: "demo" });
const me = await (await auth.fetch("/api/me")).json();
const before = auth.getSnapshot();
await new Promise((resolve) => { const off = auth.on("refreshed", () => { off(); resolve(); }); });
const again = (await auth.fetch("/api/ping")).status;
const after = auth.getSnapshot();

const result = { sub: me.sub, again, renewed: after !== before && after.claims?.jti !== before.claims?.jti, state: after.state };
out.textContent = JSON.stringify(result, null, 2);
document.body.dataset.result = JSON.stringify(result);
