import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The auth server: `npm run dev` starts the repository's mock server there.
const backend = `http://${process.env.MOCK_ADDR ?? "127.0.0.1:8790"}`;

export default defineConfig({
  plugins: [react()],
  // The package's entry awaits its .wasm at the top level: an es2022 target keeps that. No wasm
  // plugin: Vite emits the .wasm that the entry names with `new URL(…, import.meta.url)`.
  build: { target: "es2022" },
  // Not pre-bundled in development: the pre-bundled copy would look for its .wasm in Vite's cache.
  optimizeDeps: { exclude: ["wasm-token-manager"] },
  server: {
    // The dev server forwards the sign-in endpoints and the API to the auth server, keeping the
    // Host header (the server checks the Origin of sign-in requests against it): one origin.
    proxy: { "/auth": { target: backend }, "/api": { target: backend } },
    // Only because this example links the package from outside its directory (file:../../pkg);
    // an app that installs it from the registry needs no `fs` key.
    fs: { allow: [".", "../../pkg"] },
  },
});
