import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Two pages, one per way of holding the manager: index.html (a module-level manager, as the
// README recommends) and effect.html (a manager made in useEffect and disposed in its cleanup).
// No wasm plugin: the package's .wasm comes from `new URL(..., import.meta.url)` and its
// top-level await needs an es2022 target (as in examples/vite-app). `npm run build` builds with
// NODE_ENV=development: React's development build, the one where StrictMode mounts, unmounts
// and mounts again (tests/e2e/react.mjs checks that it did); a production build mounts once.
export default defineConfig({
  plugins: [react()],
  build: {
    target: "es2022",
    rollupOptions: { input: { module: "index.html", effect: "effect.html" } },
  },
});
