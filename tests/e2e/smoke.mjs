// Release smoke test: the package `make demo` serves (wasm-pack --release, after wasm-opt)
// must load in Chromium and work. `wasm-pack test` never runs wasm-opt, so only this test
// catches a broken optimizer (TOOLCHAIN.md).
import { BASE, launch, control, test, summary, assertEq, assert } from "./lib.mjs";

const ctx = await launch();
await test("release package loads and works end to end", async () => {
  await control("/__test/reset", {});
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(BASE + "/bench.html"); // a blank page of the server's origin
  const out = await page.evaluate(async () => {
    const mod = await import("/pkg/wasm_token_manager.js");
    await mod.default();
    const { TokenManager, decodeJwt } = mod;
    const auth = new TokenManager({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout" });
    await auth.login({ username: "demo", password: "demo" });
    const me = await (await auth.fetch("/api/me")).json();
    await auth.refresh();
    const second = (await auth.fetch("/api/ping")).status;
    const claims = decodeJwt(auth.accessToken).claims;
    const codes = [];
    try { decodeJwt("x.y"); } catch (e) { codes.push(e.name + ":" + e.code); }
    try { new TokenManager({ refreshUrl: "/r", bogus: 1 }); } catch (e) { codes.push(e.name + ":" + e.code); }
    await auth.logout();
    return { sub: me.sub, second, claimSub: claims.sub, codes, after: auth.isAuthenticated };
  });
  assertEq(out, {
    sub: "demo", second: 200, claimSub: "demo",
    codes: ["TokenManagerError:malformed_token", "TokenManagerError:invalid_options"], after: false,
  }, "release build behaviour");
  assertEq(errors, [], "page errors");
  const c = await control("/__test/counters");
  assertEq([c.logins, c.refreshes, c.logouts], [1, 1, 1], "server counters");
  assert((await (await fetch(BASE + "/pkg/wasm_token_manager_bg.wasm")).arrayBuffer()).byteLength > 0, "wasm served");
  await page.close();
});
await ctx.close();
summary("smoke");
