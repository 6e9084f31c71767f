// Complete the package.json wasm-pack writes: the fields users and registries rely on.
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const [dir, target] = process.argv.slice(2);
const path = join(dir, "package.json");
const pkg = JSON.parse(readFileSync(path, "utf8"));
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
  main: pkg.main ?? pkg.module,
  module: pkg.module ?? pkg.main,
  types: pkg.types,
  exports: { ".": { types: `./${pkg.types}`, default: `./${pkg.module ?? pkg.main}` } },
  files,
  // The web build has no import-time side effects (the app calls init()). The bundler build
  // instantiates the module when its entry is imported, so it must keep wasm-pack's list or a
  // bundler could drop that instantiation.
  sideEffects: target === "web" ? false : pkg.sideEffects,
};
writeFileSync(path, JSON.stringify(out, null, 2) + "\n");
console.log(`${path}: ${target} build, ${files.length} files, sideEffects ${JSON.stringify(out.sideEffects)}`);
