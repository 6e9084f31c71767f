// A minimal W3C WebDriver client (no dependencies, nothing downloaded): drives the installed
// geckodriver (Firefox ESR) and WebKitWebDriver (WebKitGTK's MiniBrowser) for the cross-engine
// suite. playwright-core cannot launch Debian's Firefox or MiniBrowser (it needs its own
// patched builds), so those engines are driven through their standard drivers instead.
import { spawn } from "node:child_process";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const ENGINES = {
  firefox: {
    driver: () => [process.env.GECKODRIVER ?? "geckodriver", ["--host", "127.0.0.1"]],
    portArg: (p) => ["--port", String(p)],
    capabilities: () => ({
      browserName: "firefox",
      "moz:firefoxOptions": {
        binary: process.env.FIREFOX ?? "/usr/bin/firefox-esr",
        args: ["-headless"],
        // No network chatter on this machine's closed network.
        prefs: { "app.update.enabled": false, "browser.shell.checkDefaultBrowser": false, "network.captive-portal-service.enabled": false },
      },
    }),
  },
  webkit: {
    // WebKitGTK opens a real MiniBrowser window: run under Xvfb (xvfb-run).
    driver: () => [process.env.WEBKIT_WEBDRIVER ?? "/usr/bin/WebKitWebDriver", ["--host=127.0.0.1"]],
    portArg: (p) => [`--port=${p}`],
    capabilities: () => ({
      "webkitgtk:browserOptions": {
        binary: process.env.MINIBROWSER ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
        args: ["--automation"],
      },
    }),
  },
};

export const engines = Object.keys(ENGINES);

/// Start the engine's driver on `port` and open a session. Returns a Session; call
/// `session.quit()` (which also stops the driver).
export async function open(engine, port) {
  const e = ENGINES[engine];
  if (!e) throw new Error(`unknown engine ${engine}`);
  const [cmd, args] = e.driver();
  const proc = spawn(cmd, [...args, ...e.portArg(port)], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  proc.stdout.on("data", (d) => { log += d; });
  proc.stderr.on("data", (d) => { log += d; });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`${base}/status`);
      if (r.ok && (await r.json()).value?.ready !== false) break;
    } catch { /* not up yet */ }
    if (i > 100 || proc.exitCode !== null) throw new Error(`${engine} driver did not start: ${log}`);
    await sleep(100);
  }
  const created = await call(base, "POST", "/session", { capabilities: { alwaysMatch: e.capabilities() } });
  const s = new Session(base, created.sessionId, proc, engine, created.capabilities);
  await s.cmd("POST", "/timeouts", { script: 60_000, pageLoad: 30_000 });
  return s;
}

async function call(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json.value ?? json)}`);
  return json.value;
}

export class Session {
  constructor(base, id, proc, engine, capabilities) {
    Object.assign(this, { base, id, proc, engine, capabilities });
  }

  cmd(method, path, body) {
    return call(this.base, method, `/session/${this.id}${path}`, body);
  }

  /// "firefox 153.8.0esr", "MiniBrowser 2.50.6", ...
  get version() {
    return `${this.capabilities?.browserName ?? this.engine} ${this.capabilities?.browserVersion ?? "?"}`;
  }

  goto(url) {
    return this.cmd("POST", "/url", { url });
  }

  /// Run `fn(...args)` (an async function, serialised as source) in the current window and
  /// return its JSON result; a rejection becomes an Error here.
  async run(fn, ...args) {
    const script = `const done = arguments[arguments.length - 1];
      Promise.resolve().then(() => (${fn})(...Array.from(arguments).slice(0, -1)))
        .then((v) => done({ ok: v === undefined ? null : v }), (e) => done({ err: String(e && e.stack || e) }));`;
    const r = await this.cmd("POST", "/execute/async", { script, args });
    if (r && "err" in r) throw new Error(`in ${this.engine}: ${r.err}`);
    return r?.ok;
  }

  /// Poll `fn` in the page until it returns a truthy value.
  async waitFor(fn, timeoutMs = 20_000, what = String(fn)) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.run(fn);
      if (v) return v;
      if (Date.now() > end) throw new Error(`${this.engine}: timed out waiting for ${what}`);
      await sleep(50);
    }
  }

  async window() {
    return this.cmd("GET", "/window");
  }

  /// Open a new top-level window (a second "tab" of the same profile) and switch to it.
  async newWindow() {
    const { handle } = await this.cmd("POST", "/window/new", { type: "window" });
    await this.switchTo(handle);
    return handle;
  }

  switchTo(handle) {
    return this.cmd("POST", "/window", { handle });
  }

  async quit() {
    try {
      await call(this.base, "DELETE", `/session/${this.id}`);
    } catch { /* already gone */ }
    this.proc.kill();
  }
}

/// A suite on one engine: opens the session, and gives `test(name, fn)` (counts and prints
/// each test) and `done(suite)` (quits the session, prints `<suite> result: ...`, exits 1 on a
/// failure or on no test).
export async function suite(engine, port) {
  let passed = 0;
  let failed = 0;
  const t0 = Date.now();
  const session = await open(engine, port);
  console.log(`engine: ${engine} (${session.version})`);
  const test = async (name, fn) => {
    const start = Date.now();
    try {
      await fn();
      passed++;
      console.log(`test ${engine}: ${name} ... ok (${Date.now() - start} ms)`);
    } catch (e) {
      failed++;
      console.log(`test ${engine}: ${name} ... FAILED\n    ${e?.stack ?? e}`);
    }
  };
  const done = async (name) => {
    await session.quit();
    console.log(`\n${name} result: ${failed ? "FAILED" : "ok"}. ${passed} passed; ${failed} failed (${engine}, ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    if (failed || passed === 0) process.exit(1);
  };
  return { session, test, done };
}
