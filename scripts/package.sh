#!/usr/bin/env bash
# Build the npm package for both targets and complete its package.json:
#   pkg/          --target web      (plain ESM: `await init()`), sideEffects: false
#   pkg-bundler/  --target bundler  (webpack, Vite + vite-plugin-wasm, ...)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
wasm-pack build --release --target web --out-dir pkg --mode no-install
wasm-pack build --release --target bundler --out-dir pkg-bundler --mode no-install
node scripts/package-json.mjs pkg web
node scripts/package-json.mjs pkg-bundler bundler
