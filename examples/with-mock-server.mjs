// `npm run dev` in each example: starts the repository's mock auth server (mock-server/,
// built by cargo on first use) at http://127.0.0.1:8790, then the example's dev server, and
// stops both together (Ctrl-C). The dev servers forward /auth and /api to the mock server, so
// the page, its sign-in endpoints and its API share one origin, as behind your own proxy.
//
// Usage, in an example's package.json:
//   node ../with-mock-server.mjs [--allow-origin ORIGIN]... <dev server command...>
// --allow-origin: a page origin the mock server accepts sign-in requests from, for a dev server
// whose proxy does not keep the Host header (the server compares the Origin with it).
// MOCK_ADDR moves the mock server (the dev servers' proxy settings read it too).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const addr = process.env.MOCK_ADDR ?? "127.0.0.1:8790";
const argv = process.argv.slice(2);
const origins = [];
while (argv[0] === "--allow-origin") origins.push("--allow-origin", argv.splice(0, 2)[1]);
const [command, ...args] = argv;

if (!existsSync(`${root}pkg/package.json`)) {
  console.error("No package in pkg/: run `make pkg` at the repository's root first, then `npm install` here.");
  process.exit(1);
}
if (await answers()) {
  console.error(`Something already listens on ${addr}: stop it, or set MOCK_ADDR to another address.`);
  process.exit(1);
}

// 30 s access tokens (a silent refresh every 20 s or so), a 15-minute session, user demo/demo.
const mock = spawn("cargo", ["run", "--quiet", "--manifest-path", `${root}Cargo.toml`, "-p", "mock-server", "--",
  "--addr", addr, "--access-ttl", "30", "--refresh-ttl", "900", "--user", "demo:demo", ...origins], { stdio: "inherit" });
let app = null;
const stop = (code) => {
  for (const p of [app, mock]) if (p && p.exitCode === null) p.kill("SIGTERM");
  process.exit(code);
};
mock.on("exit", (code) => { console.error(`the mock server stopped (${code})`); stop(1); });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stop(0));

for (let i = 0; !(await answers()); i++) {
  if (i === 20) console.log("waiting for cargo to build the mock server…");
  await new Promise((resolve) => setTimeout(resolve, 250));
}
console.log(`mock auth server at http://${addr} (sign in as demo / demo)`);
app = spawn(command, args, { stdio: "inherit", env: { ...process.env, MOCK_ADDR: addr } });
app.on("exit", (code) => stop(code ?? 0));

async function answers() {
  try {
    return (await fetch(`http://${addr}/.well-known/jwks.json`)).ok;
  } catch {
    return false;
  }
}
