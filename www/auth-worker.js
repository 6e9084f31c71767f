// A dedicated module Worker running the manager (no window, no document): the page posts
// commands, the worker answers with what it saw. Driven by tests/e2e/everywhere.mjs.
import { TokenManager } from "/pkg/index.js";

// `/auth-worker.js?options=JSON`: more options (session.mjs: idle).
const extra = JSON.parse(new URLSearchParams(self.location.search).get("options") ?? "{}");
const auth = new TokenManager({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout", ...extra });
const seen = { refreshed: 0, fromOtherTab: 0, states: [] };
auth.on("refreshed", (d) => { seen.refreshed++; if (d.fromOtherTab) seen.fromOtherTab++; });
auth.subscribe((s) => seen.states.push(s.state));
auth.on("loggedOut", (d) => { seen.loggedOut = d; });

const commands = {
  login: () => auth.login({ username: "demo", password: "demo" }),
  me: async () => (await auth.fetch("/api/me")).json(),
  ping: async () => (await auth.fetch("/api/ping")).status,
  seen: () => ({ ...seen, authenticated: auth.isAuthenticated, jti: auth.getSnapshot().claims?.jti ?? null }),
  logout: () => auth.logout(),
  touch: () => auth.touch(),
};
self.onmessage = async ({ data: { id, command } }) => {
  try {
    self.postMessage({ id, ok: await commands[command]() });
  } catch (e) {
    self.postMessage({ id, error: String(e?.code ?? e) });
  }
};
self.postMessage({ ready: true });
