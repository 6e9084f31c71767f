import { defineConfig } from "vite";

// No wasm plugin: the package's browser entry loads its .wasm with `new URL(..., import.meta.url)`
// (Vite emits it as an asset) and awaits it at the top level (an es2022 target keeps that).
export default defineConfig({ build: { target: "es2022" } });
