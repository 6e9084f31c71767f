// The demo: the package's public API only (plus the mock server's /__test controls for the
// fault buttons). No build step: served as-is next to /pkg.
import { TokenManager, decodeJwt } from "/pkg/index.js"; // the package's entry: loads its .wasm on import

const $ = (id) => document.getElementById(id);
const state = { refreshes: 0, ttl: null, refreshPeriod: null, clockShift: 0 };

// DPoP switch: the manager and the mock server both change mode (the page reloads).
const dpop = new URLSearchParams(location.search).has("dpop");
$("dpop").checked = dpop;
$("dpop").onchange = async () => {
  await control("/__test/config", { dpop: $("dpop").checked });
  location.search = $("dpop").checked ? "?dpop=1" : "";
};
// Every request the manager makes goes through this transport: DPoP proofs are shown decoded.
const shown = (input, init) => {
  const req = input instanceof Request ? input : new Request(input, init);
  const proof = req.headers.get("dpop");
  if (proof) {
    const { header, claims } = decodeJwt(proof);
    const extras = [claims.ath && "ath", claims.nonce && "nonce"].filter(Boolean).join(", ");
    log("request", `DPoP proof: ${claims.htm} ${new URL(claims.htu).pathname}, jti ${String(claims.jti).slice(0, 8)}…${extras ? `, ${extras}` : ""}; key ${header.jwk?.crv} x=${String(header.jwk?.x).slice(0, 8)}…`, header.alg);
  }
  return fetch(input, init);
};
const auth = new TokenManager({
  refreshUrl: "/auth/refresh",
  loginUrl: "/auth/login",
  logoutUrl: "/auth/logout",
  refreshMarginSeconds: 10,
  dpop,
  fetch: shown,
  // Sign out after 2 minutes without a click, key or scroll in any tab of the demo.
  idle: { timeoutSeconds: 120, warningSeconds: 30 },
  // /api/sensitive wants a stronger sign-in (RFC 9470): sign in again with the acr it asks
  // for (the demo reuses the form's user and password instead of prompting; a real app would
  // ask for a second factor here). The manager then replays the call once.
  onStepUp: async (challenge) => {
    const form = new FormData($("login-form"));
    await auth.login({ username: form.get("username"), password: form.get("password"), acr_values: challenge.acrValues ?? "mfa" });
    log("session", `Signed in again with acr ${auth.claims?.acr}`, "step-up", "ok");
  },
});
window.demo = { auth }; // for the screenshot test and the curious

// ---- timeline --------------------------------------------------------------------------------
const ICONS = { request: "→", refresh: "↻", session: "●", fault: "⚡", tab: "⧉" };
function log(kind, text, badge, tone = "") {
  const li = document.createElement("li");
  const time = new Date().toLocaleTimeString([], { hour12: false });
  li.innerHTML = `<time>${time}</time><span aria-hidden="true">${ICONS[kind] ?? "·"}</span><span class="text"></span>`;
  li.querySelector(".text").textContent = text;
  if (badge !== undefined) {
    const b = document.createElement("span");
    b.className = `badge ${tone}`;
    b.textContent = badge;
    li.append(b);
  }
  li.dataset.kind = kind;
  $("log").prepend(li);
}

const control = (path, body) =>
  fetch(path, { method: body ? "POST" : "GET", headers: { "content-type": "application/json" }, body: body && JSON.stringify(body) })
    .then((r) => (r.status === 204 ? null : r.json()));
const serverCounters = () => control("/__test/counters").catch(() => null);

// ---- events ----------------------------------------------------------------------------------
auth.on("refreshed", (d) => {
  state.refreshes++;
  log("refresh", d.fromOtherTab ? "Token received from another tab" : "Token refreshed silently", "new token", "ok");
  render();
});
auth.on("refreshFailed", (d) => log("refresh", `Refresh failed: ${d.message}`, d.status ?? "network", "warn"));
auth.on("sessionExpired", (d) => {
  const why = d.reason === "lifetime" ? "the session reached its end (refresh_expires_in)" : "the refresh cookie was rejected";
  log("session", `Session expired: ${why}`, "ended", "bad");
  show(false);
});
auth.on("loggedOut", (d) => {
  const text = d.reason === "idle" ? "Signed out after 2 minutes without activity" : d.fromOtherTab ? "Logged out in another tab" : "Logged out";
  log("session", text, "ended", "bad");
  show(false);
});
auth.on("sessionExpiring", (d) => log("session", `The session ends in ${d.secondsLeft} s: sign in again to go on`, "ending", "warn"));
auth.on("idleWarning", (d) => log("session", `No activity: signing out in ${d.secondsLeft} s (click anywhere to stay)`, "idle", "warn"));
auth.on("stepUp", (d) => log("request", `Step-up asked for: ${d.error}${d.acrValues ? `, acr_values ${d.acrValues}` : ""}${d.scope ? `, scope ${d.scope}` : ""}`, d.acrValues ?? d.scope ?? "step-up", "warn"));
auth.on("stateChanged", () => render());

// ---- rendering -------------------------------------------------------------------------------
function show(signedIn) {
  $("signin").hidden = signedIn;
  $("app").hidden = !signedIn && $("log").children.length === 0;
  render();
}

function fmt(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return "—";
  const s = Math.max(0, ms) / 1000;
  return s >= 10 ? `${Math.round(s)} s` : `${s.toFixed(1)} s`;
}
// Longer spans (the session's end may be months away): "2 d 4 h", "14 min 5 s".
function fmtLong(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return "—";
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s >= 86400) return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${s} s`;
}
// A countdown: the text, and the whole seconds left in data-seconds (for the e2e test).
function countdown(el, at, now, warnBelowMs) {
  const left = at === undefined ? undefined : at - now;
  el.textContent = fmtLong(left);
  el.dataset.seconds = left === undefined ? "" : String(Math.floor(Math.max(0, left) / 1000));
  el.className = left !== undefined && left < warnBelowMs ? "warn" : "";
}

function render() {
  const now = Date.now();
  const pill = $("pill");
  if (auth.isAuthenticated) {
    const left = auth.expiresAt - now;
    pill.textContent = left > 0 ? "Signed in" : "Renewing…";
    pill.className = `pill ${left > 0 ? "pill-ok" : "pill-warn"}`;
  } else {
    pill.textContent = "Signed out";
    pill.className = "pill pill-bad";
  }
  const claims = auth.claims;
  $("sub").textContent = claims?.sub ?? "—";
  const token = auth.accessToken;
  $("token-short").textContent = token ? `${token.slice(0, 10)}…${token.slice(-6)}` : "—";
  $("refresh-count").textContent = String(state.refreshes);
  countdown($("session-in"), auth.sessionExpiresAt, now, 300_000);
  countdown($("idle-in"), auth.idleDeadline, now, 30_000);
  const offline = auth.getSnapshot().offline;
  $("offline").textContent = offline ? "Offline" : "Online";
  $("offline").className = offline ? "bad" : "";
  $("claims").textContent = claims ? JSON.stringify(claims, null, 2) : "—";
  if (claims?.exp && claims?.iat) state.ttl = (claims.exp - claims.iat) * 1000;
  const expiresIn = auth.expiresAt === undefined ? undefined : auth.expiresAt - now;
  const refreshIn = auth.refreshAt === undefined ? undefined : auth.refreshAt - now;
  $("expires-in").textContent = fmt(expiresIn);
  $("refresh-in").textContent = fmt(refreshIn);
  const pct = (v, total) => (v === undefined || !total ? 0 : Math.max(0, Math.min(100, (v / total) * 100)));
  $("expires-bar").style.width = `${pct(expiresIn, state.ttl)}%`;
  $("refresh-bar").style.width = `${pct(refreshIn, state.ttl)}%`;
}
setInterval(render, 250);

// ---- actions ---------------------------------------------------------------------------------
async function call(n) {
  const before = await serverCounters();
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: n }, () => auth.fetch("/api/me").then((r) => r.status, (e) => e.code ?? "error")));
  const ms = Math.round(performance.now() - t0);
  const after = await serverCounters();
  const retried = before && after ? after.apiUnauthorized - before.apiUnauthorized : 0;
  const refreshes = before && after ? after.refreshRequests - before.refreshRequests : 0;
  const ok = results.filter((s) => s === 200).length;
  const what = n === 1 ? "GET /api/me" : `${n} × GET /api/me in parallel`;
  const extra = [retried ? `${retried} got 401 and were retried` : "", refreshes ? `${refreshes} refresh${refreshes > 1 ? "es" : ""}` : ""].filter(Boolean).join(", ");
  const badge = n === 1 ? String(results[0]) : `${ok}/${n} × 200`;
  log("request", `${what} — ${ms} ms${extra ? ` (${extra})` : ""}`, badge, ok === n ? "ok" : "bad");
}

$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  $("login-error").textContent = "";
  try {
    await auth.login({ username: form.get("username"), password: form.get("password") });
    log("session", `Signed in as ${auth.claims?.sub}`, "200", "ok");
    show(true);
  } catch (err) {
    $("login-error").textContent = err.status === 401 ? "Wrong username or password." : `Sign-in failed (${err.code}).`;
  }
});
$("call").onclick = () => call(1);
$("call20").onclick = () => call(20);
$("expire").onclick = async () => {
  // Move the server clock past the token's lifetime: the server now rejects it.
  state.clockShift += Math.ceil((state.ttl ?? 30000) / 1000) + 1;
  await control("/__test/clock", { shiftSeconds: state.clockShift });
  log("fault", "Server now considers the current token expired — call the API to see the 401 → refresh → retry");
};
const FAULTS = {
  "500x3": { action: "status", status: 500, times: 3 },
  "429": { action: "status", status: 429, retryAfter: "2" },
  drop: { action: "drop" },
  "401": { action: "status", status: 401 },
};
$("fault").onclick = async () => {
  const kind = $("fault-kind").value;
  await control("/__test/fault", { path: "/auth/refresh", ...FAULTS[kind] });
  log("fault", `Injected on /auth/refresh: ${$("fault-kind").selectedOptions[0].textContent}`);
  const t0 = performance.now();
  try {
    await auth.refresh();
    log("refresh", `Recovered after ${Math.round(performance.now() - t0)} ms`, "ok", "ok");
  } catch (err) {
    log("refresh", `refresh() rejected: ${err.code}`, err.status ?? err.code, "bad");
  }
};
$("tab").onclick = () => { window.open(location.href, "_blank"); log("tab", "Opened a second tab: it restores the session and shares refreshes with this one"); };
$("stepup").onclick = async () => {
  const t0 = performance.now();
  const status = await auth.fetch("/api/sensitive").then((r) => r.status, (e) => e.code ?? "error");
  log("request", `GET /api/sensitive — ${Math.round(performance.now() - t0)} ms`, String(status), status === 200 ? "ok" : "bad");
};
$("logout").onclick = async () => {
  const scope = $("logout-scope").value;
  if (scope !== "others") return void (await auth.logout({ scope }));
  // "others": this session goes on; it rejects (logout_failed) unless the server confirmed.
  try {
    await auth.logout({ scope });
    log("session", "Signed out every other session of this user", "others", "ok");
  } catch (err) {
    log("session", `Signing out the other sessions failed: ${err.code}`, err.status ?? err.code, "bad");
  }
};

// ---- start: restore the session from the HttpOnly cookie, if any --------------------------------
const restored = await auth.restore().catch(() => false);
if (restored) log("session", "Session restored from the refresh cookie", "restored", "ok");
show(restored);
document.body.dataset.ready = "1";
