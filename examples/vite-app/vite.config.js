import { defineConfig } from "vite";
import wasm from "vite-plugin-wasm";

// The bundler build of wasm-token-manager imports its .wasm as an ES module: vite-plugin-wasm
// handles that; top-level await needs an esnext target.
export default defineConfig({
  plugins: [wasm()],
  build: { target: "esnext" },
});
