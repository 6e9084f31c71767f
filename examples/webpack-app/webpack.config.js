// webpack 5, no loader or plugin for the package: its entry awaits the module's instantiation
// (top-level await, on by default since webpack 5.83) and points at the .wasm with
// `new URL(..., import.meta.url)`, which webpack emits as an asset.
export default {
  mode: "production",
  entry: "./src/main.js",
  output: { path: new URL("./dist", import.meta.url).pathname, filename: "main.js", clean: true },
  performance: { hints: false },
};
