import { defineConfig } from "vite";

// Production build, as an app ships it: the package's JS is bundled and minified, its .wasm
// emitted as an asset (the web target loads it with `new URL(..., import.meta.url)`).
export default defineConfig({ build: { target: "es2022", reportCompressedSize: false } });
