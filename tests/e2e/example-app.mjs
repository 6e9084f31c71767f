// The example apps (examples/) share one page: a loading state while the session is restored, a
// sign-in form, who is signed in and the token's renewals, an API button, a sign-out button.
// everywhere.mjs and pack.mjs drive the Vite, webpack and Next.js apps here; react.mjs and
// angular.mjs record what their apps show with watchViews. Only what the page shows is read.
import { launch, assert, assertEq, waitFor, watchedPage } from "./lib.mjs";

/// An example app, as a user drives it: the sign-in form (shown once the restore on load found
/// no session), the API button, a silent refresh shown on the page, the API button again.
export async function driveExample(name, base) {
  const post = (path, body) => fetch(base + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  await post("/__test/reset", {});
  await post("/__test/config", { accessTtl: 2 });
  const ctx = await launch();
  const { page, errors, wasm } = await watchedPage(ctx);
  const apiCalls = async () => (await fetch(base + "/__test/requests").then((r) => r.json())).filter((r) => r.path.startsWith("/api/"));
  await page.goto(`${base}/`);
  await page.locator("form#login").waitFor({ timeout: 20_000 });
  await page.fill("input[name=username]", "demo");
  await page.fill("input[name=password]", "demo");
  await page.click("form#login button");
  await page.locator("#user", { hasText: "Signed in as demo" }).waitFor({ timeout: 10_000 });
  await page.click("#call-api");
  await page.locator("#api", { hasText: "200: hello, demo" }).waitFor({ timeout: 10_000 });
  // 2 s tokens: the timer renews the token within a second or so, and the page says so.
  await page.locator("#token", { hasText: /renewed silently [1-9]/ }).waitFor({ timeout: 5_000 });
  await page.click("#call-api");
  const api = await waitFor(async () => { const a = await apiCalls(); return a.length === 2 && a.every((r) => r.status) && a; },
    { what: `${name}: the second API call` });
  assert(api.every((r) => r.hasAuthorization && r.status === 200), `${name}: Bearer on both API calls: ${JSON.stringify(api)}`);
  assertEq(await page.locator("#user").innerText(), "Signed in as demo", `${name}: still signed in`);
  assertEq(errors, [], `${name}: page errors`);
  assertEq(wasm.length, 1, `${name}: the .wasm fetched once (${wasm.join(", ")})`);
  const c = await fetch(base + "/__test/counters").then((r) => r.json());
  assert(c.logins === 1 && c.refreshes >= 1 && c.apiUnauthorized === 0, `${name}: one login, refreshed by the timer, no 401: ${JSON.stringify(c)}`);
  await ctx.close();
}

/// Installed in each page before its scripts: records what the page shows, as the views it
/// goes through ("loading", "form", "signedIn") with their times, the renewals it has shown and
/// the token expiries it shows.
export function watchViews() {
  const seen = (window.seen = { views: [], renewals: 0, token: null, tokens: [] });
  const look = () => {
    const view = document.getElementById("user") ? "signedIn" : document.querySelector("form#login") ? "form"
      : document.getElementById("loading") ? "loading" : null;
    if (view && seen.views.at(-1)?.[0] !== view) seen.views.push([view, Date.now()]);
    const token = document.getElementById("token")?.textContent;
    if (token) {
      seen.token = token.match(/valid until (.*), renewed/)?.[1];
      if (seen.tokens.at(-1) !== seen.token) seen.tokens.push(seen.token);
      seen.renewals = Math.max(seen.renewals, Number(token.match(/renewed silently (\d+)/)?.[1] ?? 0));
      seen.renewedAt ??= seen.renewals > 0 ? Date.now() : undefined;
    }
  };
  new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true });
}
