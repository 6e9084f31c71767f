// Write the package.json (and the entry, index.js / index.d.ts) of a wasm-bindgen output
// directory: the fields users and registries rely on.
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const [dir, target, toolchain = "unknown"] = process.argv.slice(2);
const path = join(dir, "package.json");
const cargo = readFileSync(new URL("../Cargo.toml", import.meta.url), "utf8");
const version = /^\[package\][^[]*?^version\s*=\s*"([^"]+)"/ms.exec(cargo)?.[1];
if (!version) throw new Error("no [package] version in Cargo.toml");
const pkg = {
  version,
  module: "wasm_token_manager.js",
  types: "wasm_token_manager.d.ts",
  // The bundler build instantiates the module when its glue is imported.
  sideEffects: ["./wasm_token_manager.js", "./snippets/*"],
};

// The entry: everything wasm-bindgen generated, plus the TokenManagerError class (js/errors.js,
// copied by wasm-bindgen under snippets/<crate>-<hash>/) so `err instanceof TokenManagerError`
// works. wasm-bindgen cannot re-export a JS class itself.
const glue = pkg.module ?? pkg.main;
const snippetDir = readdirSync(join(dir, "snippets")).find((d) => d.startsWith("wasm-token-manager-"));
if (!snippetDir) throw new Error(`${dir}: no snippets/wasm-token-manager-*/ (js/errors.js)`);
const errorsModule = `./snippets/${snippetDir}/js/errors.js`;
const hasInit = target === "web";
writeFileSync(join(dir, "index.js"),
  `export * from "./${glue}";\n` +
  (hasInit ? `export { default } from "./${glue}";\n` : "") +
  `export { TokenManagerError } from "${errorsModule}";\n`);
writeFileSync(join(dir, "index.d.ts"),
  `export * from "./${glue}";\n` +
  (hasInit ? `export { default } from "./${glue}";\n` : "") +
  `import type { TokenManagerErrorCode } from "./${glue}";\n` +
  `/** Every error the library throws or rejects with. */\n` +
  `export declare class TokenManagerError extends Error {\n` +
  `  readonly name: "TokenManagerError";\n` +
  `  readonly code: TokenManagerErrorCode;\n` +
  `  /** HTTP status behind a login_failed / refresh_failed / session_expired, when there was one. */\n` +
  `  readonly status?: number;\n` +
  `  /** login_failed after a non-2xx answer: the server's JSON body. */\n` +
  `  readonly body?: unknown;\n` +
  `}\n`);
// `snippets/` holds wasm-bindgen's inline_js modules; the glue imports them.
const files = readdirSync(dir).filter((f) => /\.(js|wasm|d\.ts)$/.test(f) || f === "README.md" || f === "snippets");

const out = {
  name: "wasm-token-manager",
  version: pkg.version,
  description: "JWT access-token manager for the browser: token in memory only, silent refresh from an HttpOnly cookie, fetch wrapper with one retry on 401. Rust + WebAssembly.",
  license: "MIT OR Apache-2.0",
  repository: { type: "git", url: "https://github.com/wasm-token-manager/wasm-token-manager" },
  keywords: ["jwt", "auth", "refresh-token", "fetch", "webassembly", "wasm"],
  type: "module",
  main: "index.js",
  module: "index.js",
  types: "index.d.ts",
  exports: { ".": { types: "./index.d.ts", default: "./index.js" } },
  files,
  // The web build has no import-time side effects (the app calls init()). The bundler build
  // instantiates the module when its entry is imported, so it must keep wasm-pack's list or a
  // bundler could drop that instantiation.
  sideEffects: target === "web" ? false : [...(pkg.sideEffects ?? []), "./index.js"],
};
writeFileSync(path, JSON.stringify(out, null, 2) + "\n");
console.log(`${path}: ${target} build (${toolchain}), ${files.length} files, sideEffects ${JSON.stringify(out.sideEffects)}`);
