// webpack 5, no loader or plugin for the package: its entry awaits the module's instantiation
// (top-level await, on by default since webpack 5.83) and points at the .wasm with
// `new URL(…, import.meta.url)`, which webpack emits as an asset.

// The auth server: `npm run dev` starts the repository's mock server there.
const backend = `http://${process.env.MOCK_ADDR ?? "127.0.0.1:8790"}`;

export default {
  mode: "production",
  entry: "./src/main.js",
  output: { path: new URL("./dist", import.meta.url).pathname, filename: "main.js", clean: true },
  performance: { hints: false },
  // `webpack serve`: index.html from this directory, the bundle from memory, and the sign-in
  // endpoints and the API forwarded to the auth server (one origin).
  devServer: {
    static: { directory: new URL(".", import.meta.url).pathname, watch: false },
    proxy: [{ context: ["/auth", "/api"], target: backend }],
    port: 8080,
  },
};
