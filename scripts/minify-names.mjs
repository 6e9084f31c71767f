// Shorten the wasm module's import and export names, and the glue that uses them.
//
// wasm-bindgen names every import `__wbg_<name>_<16 hex digits>` in a module called
// "./wasm_token_manager_bg.js" (or a snippet's path), and exports closure shims under names like
// `wasm_bindgen__convert__closures_____invoke__h<16 hex>`. Those strings sit twice in what an
// app ships (the .wasm's import/export sections and the glue's import object) and the hashes do
// not compress: about 2.5 KB gzip of 51. `wasm-opt --minify-imports-and-exports-and-modules`
// renames them in the .wasm and prints the map; this script applies that map to the glue and
// checks that every import the module now asks for is provided.
//
// usage: node scripts/minify-names.mjs <glue.js> <map.json> <module.wasm>
import { readFileSync, writeFileSync } from "node:fs";

const [gluePath, mapPath, wasmPath] = process.argv.slice(2);
let glue = readFileSync(gluePath, "utf8");
const map = JSON.parse(readFileSync(mapPath, "utf8"));
const fail = (msg) => {
  console.error(`minify-names: ${msg}`);
  process.exit(1);
};
const ident = /^[A-Za-z_$][\w$]*$/;
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const prop = (name) => (ident.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`);

// Exports: every `wasm.<name>` in the glue.
for (const [name, short] of map.exports) {
  glue = glue.replace(new RegExp(`\\bwasm\\.${escape(name)}\\b`, "g"), () => `wasm${prop(short)}`);
}

// Imports: the glue's own functions are keys of `import0` in __wbg_get_imports; snippet modules
// are namespace objects (`importN`) listed in its return value.
const start = glue.indexOf("function __wbg_get_imports()");
const end = glue.indexOf("\n}\n", start);
if (start < 0 || end < 0) fail("no __wbg_get_imports() in the glue (wasm-bindgen changed its output?)");
let body = glue.slice(start, end);
const ret = body.lastIndexOf("return {");
const moduleVars = new Map();
for (const m of body.slice(ret).matchAll(/"([^"]+)":\s*(import\d+)/g)) moduleVars.set(m[1], m[2]);
const own = moduleVars.get("./wasm_token_manager_bg.js");
if (!own) fail("the glue's import object has no ./wasm_token_manager_bg.js module");
const fromSnippets = [];
for (const [module, name, short] of map.imports) {
  if (module === "./wasm_token_manager_bg.js") {
    const key = new RegExp(`^(\\s+)${escape(name)}:`, "m");
    if (!key.test(body)) fail(`import ${name} is not a key of the glue's import object`);
    body = body.replace(key, (_, indent) => `${indent}${JSON.stringify(short)}:`);
  } else {
    const v = moduleVars.get(module);
    if (!v) fail(`import module ${module} is not in the glue's import object`);
    fromSnippets.push(`${JSON.stringify(short)}: ${v}${prop(name)}`);
  }
}
const at = body.lastIndexOf("return {");
body = `${body.slice(0, at)}return { __proto__: null, a: Object.assign(${own}, { ${fromSnippets.join(", ")} }) };`;
glue = glue.slice(0, start) + body + glue.slice(end);
writeFileSync(gluePath, glue);

// Check: the module's imports are exactly module "a" with the names given above.
const mod = new WebAssembly.Module(readFileSync(wasmPath));
const provided = new Set(map.imports.map(([, , short]) => short));
for (const { module, name } of WebAssembly.Module.imports(mod)) {
  if (module !== "a" || !provided.has(name)) fail(`the module imports ${module}.${name}, which the glue does not provide`);
}
const exported = new Set(WebAssembly.Module.exports(mod).map((e) => e.name));
for (const [, short] of map.exports) if (!exported.has(short)) fail(`export ${short} is missing from the module`);
for (const m of glue.matchAll(/\bwasm\.([A-Za-z_$][\w$]*)/g)) {
  if (!exported.has(m[1])) fail(`the glue uses wasm.${m[1]}, which the module does not export`);
}
