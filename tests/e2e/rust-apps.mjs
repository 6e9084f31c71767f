// The Rust front-end examples (examples/leptos-csr, yew-app, dioxus-web), built by
// scripts/rust-examples.sh, in headless Chromium against the mock server, which serves each app
// and its pkg/ from the same origin. Per app: sign-in; a call after the token expired on the
// server (one refresh, the app sees 200); two tabs (one refresh for both); sign-out in one tab
// ending the other. Only what the pages show and the server's counters are read.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { launch, test, summary, assert, assertEq, watchedPage, waitFor } from "./lib.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const APPS = (process.env.APPS ?? "leptos-csr yew-app dioxus-web").split(/\s+/).filter(Boolean);
const FIRST_PORT = Number(process.env.RUST_APPS_PORT ?? 18830);

async function startMock(app, port) {
  const base = `http://127.0.0.1:${port}`;
  const mock = spawn(process.env.MOCK_BIN ?? `${root}target/debug/mock-server`,
    ["--addr", `127.0.0.1:${port}`, "--test-controls", "--static", `${root}examples/${app}`, "--pkg", `${root}examples/${app}/pkg`],
    { stdio: "ignore" });
  process.on("exit", () => mock.kill());
  for (let i = 0; ; i++) {
    if (await fetch(`${base}/.well-known/jwks.json`).then((r) => r.ok, () => false)) break;
    if (i > 100) throw new Error(`the mock server did not start on ${base}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, stop: () => mock.kill() };
}

const post = (base, path, body) => fetch(base + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) })
  .then((r) => { if (!r.ok) throw new Error(`${path}: ${r.status}`); });
const counters = (base) => fetch(base + "/__test/counters").then((r) => r.json());

async function signIn(page) {
  await page.locator("form#login").waitFor({ timeout: 20_000 });
  await page.fill("input[name=username]", "demo");
  await page.fill("input[name=password]", "demo");
  await page.click("form#login button");
  await page.locator("#user", { hasText: "Signed in as demo" }).waitFor({ timeout: 10_000 });
}

/// Click "Call /api/me" and read what the page shows once the call is over: the server has
/// answered it (the app shows "Calling…" meanwhile) and the text has settled.
async function callApi(page, base) {
  const answered = async () => (await fetch(base + "/__test/requests").then((r) => r.json()))
    .filter((r) => r.path === "/api/me" && r.status === 200).length;
  const before = await answered();
  await page.click("#call-api");
  const text = async () => (await page.locator("#api").innerText()).trim();
  await waitFor(async () => (await answered()) > before && !/Calling/.test(await text()) && (await text()) !== "",
    { what: "the API call's answer on the page" });
  await new Promise((r) => setTimeout(r, 200));
  return text();
}

let port = FIRST_PORT;
for (const app of APPS) {
  await test(`${app}: sign-in, a call after expiry, two tabs, sign-out everywhere`, async () => {
    const { base, stop } = await startMock(app, port++);
    try {
      await post(base, "/__test/reset");
      const ctx = await launch();
      const one = await watchedPage(ctx);
      await one.page.goto(`${base}/`);
      await signIn(one.page);
      assertEq(await callApi(one.page, base), "200: hello, demo", `${app}: the API call`);
      let c = await counters(base);
      // (The restore on load asked the refresh endpoint once, and found no session.)
      const restores = c.refreshRequests;
      assertEq([c.logins, restores], [1, 1], `${app}: one login, the restore on load`);

      // The token expires on the server (its clock moves past the 300 s lifetime) while the
      // page still holds it: one refresh, one retry, and the app sees 200.
      await post(base, "/__test/clock", { shiftSeconds: 400 });
      assertEq(await callApi(one.page, base), "200: hello, demo", `${app}: the call after expiry`);
      c = await counters(base);
      assertEq(c.refreshRequests - restores, 1, `${app}: one refresh for the call after expiry`);

      // A second tab restores from the cookie, then both call after another expiry: one refresh.
      const two = await watchedPage(ctx);
      await two.page.goto(`${base}/`);
      await two.page.locator("#user", { hasText: "Signed in as demo" }).waitFor({ timeout: 10_000 });
      const before = (await counters(base)).refreshRequests;
      await post(base, "/__test/clock", { shiftSeconds: 800 });
      const [a, b] = await Promise.all([callApi(one.page, base), callApi(two.page, base)]);
      assertEq([a, b], ["200: hello, demo", "200: hello, demo"], `${app}: both tabs' calls after expiry`);
      c = await counters(base);
      assertEq(c.refreshRequests - before, 1, `${app}: one refresh for two tabs`);
      assertEq(c.revokedFamilies ?? 0, 0, `${app}: no refresh token replayed`);

      // Sign-out in one tab ends the other.
      await one.page.click("#sign-out");
      await one.page.locator("form#login").waitFor({ timeout: 10_000 });
      await two.page.locator("form#login").waitFor({ timeout: 10_000 });
      assertEq(await two.page.locator("#user").count(), 0, `${app}: the other tab shows no user`);
      assertEq([...one.errors, ...two.errors], [], `${app}: page errors`);
      await ctx.close();
    } finally {
      stop();
    }
  });
}
summary("rust-apps");
