import { TokenManager } from "wasm-token-manager";

const auth = new TokenManager({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout" });
if (!(await auth.restore())) await auth.login({ username: "demo", password: "demo" });
const me = await (await auth.fetch("/api/me")).json();
await auth.refresh();
const again = (await auth.fetch("/api/ping")).status;

const result = { sub: me.sub, again, expiresAt: typeof auth.expiresAt };
document.getElementById("out").textContent = JSON.stringify(result, null, 2);
document.body.dataset.result = JSON.stringify(result);
