// Write pkg/'s entries and package.json around wasm-bindgen's `--target web` output:
//   index.js    browser entry (window, worker, any bundler): instantiates the module itself
//               (top-level await; the .wasm next to it, which bundlers emit as an asset)
//   manual.js   the same without instantiating: call `init(url | module)` yourself
//   node.js     SSR-safe entry (the "node" condition): imports without loading or fetching the
//               wasm; decodeJwt loads it from the file on first use; new TokenManager throws
//               `unsupported_environment`
//   ./wasm      the .wasm itself, to preload or pass to init
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const [dir, toolchain = "unknown"] = process.argv.slice(2);
const cargo = readFileSync(new URL("../Cargo.toml", import.meta.url), "utf8");
const version = /^\[package\][^[]*?^version\s*=\s*"([^"]+)"/ms.exec(cargo)?.[1];
if (!version) throw new Error("no [package] version in Cargo.toml");
const glue = "./wasm_token_manager.js";
const wasm = "./wasm_token_manager_bg.wasm";
// wasm-bindgen copies js/errors.js under snippets/<crate>-<hash>/; it cannot re-export a JS class.
const snippetDir = readdirSync(join(dir, "snippets")).find((d) => d.startsWith("wasm-token-manager-"));
if (!snippetDir) throw new Error(`${dir}: no snippets/wasm-token-manager-*/ (js/errors.js)`);
const errors = `./snippets/${snippetDir}/js/errors.js`;

const write = (name, text) => writeFileSync(join(dir, name), text);
write("index.js", `// Browser entry: instantiates the module, then exports the API.
import init from "${glue}";
await init({ module_or_path: new URL("${wasm.slice(2)}", import.meta.url) });
export * from "${glue}";
export { default, default as init } from "${glue}";
export { TokenManagerError } from "${errors}";
`);
write("manual.js", `// The API without instantiating the module: call \`await init()\` (or init({ module_or_path }))
// before using it, e.g. with a preloaded or custom-URL .wasm.
export * from "${glue}";
export { default, default as init } from "${glue}";
export { TokenManagerError } from "${errors}";
`);
write("node.js", `// Server-side (Node, SSR) entry: importing loads nothing and fetches nothing.
// decodeJwt (pure) loads the module from the file on first use; a TokenManager needs a browser.
import { readFileSync } from "node:fs";
import * as glue from "${glue}";
import { TokenManagerError } from "${errors}";

let loaded = false;
function load() {
  if (!loaded) {
    glue.initSync({ module: readFileSync(new URL("${wasm.slice(2)}", import.meta.url)) });
    loaded = true;
  }
}
export function decodeJwt(token) {
  load();
  return glue.decodeJwt(token);
}
export class TokenManager {
  constructor() {
    throw new TokenManagerError("unsupported_environment",
      "TokenManager needs a browser page or worker; this is a server (SSR, Node). Create it in the browser, e.g. in an effect or a client-only module.");
  }
}
export default async function init() {}
export { init, TokenManagerError };
`);
const types = () => `export * from "${glue}";
export { default, default as init } from "${glue}";
import type { TokenManagerErrorCode } from "${glue}";
/** Every error the library throws or rejects with. */
export declare class TokenManagerError extends Error {
  readonly name: "TokenManagerError";
  readonly code: TokenManagerErrorCode;
  /** HTTP status behind a login_failed / refresh_failed / session_expired, when there was one. */
  readonly status?: number;
  /** login_failed after a non-2xx answer: the server's JSON body. */
  readonly body?: unknown;
}
`;
write("index.d.ts", types());
write("manual.d.ts", types());

const files = readdirSync(dir).filter((f) => /\.(js|wasm|d\.ts)$/.test(f) || f === "README.md" || f === "snippets");
const out = {
  name: "wasm-token-manager",
  version,
  description: "JWT access-token manager for the browser: token in memory only, silent refresh from an HttpOnly cookie, fetch wrapper with one retry on 401. Rust + WebAssembly.",
  license: "MIT OR Apache-2.0",
  repository: { type: "git", url: "https://github.com/wasm-token-manager/wasm-token-manager" },
  keywords: ["jwt", "auth", "refresh-token", "fetch", "webassembly", "wasm"],
  type: "module",
  main: "index.js",
  module: "index.js",
  types: "index.d.ts",
  exports: {
    ".": { types: "./index.d.ts", node: "./node.js", default: "./index.js" },
    "./manual": { types: "./manual.d.ts", default: "./manual.js" },
    "./wasm": wasm,
    "./package.json": "./package.json",
  },
  files,
  // Importing the browser entry instantiates the module: a bundler must keep it.
  sideEffects: ["./index.js", glue, "./snippets/*"],
  buildToolchain: toolchain,
};
writeFileSync(join(dir, "package.json"), JSON.stringify(out, null, 2) + "\n");
console.log(`${dir}/package.json: one package (${toolchain}), ${files.length} files`);
