#!/usr/bin/env bash
# `make bench`: bundle size (and what the module is made of), fetch overhead, refresh storm,
# decode throughput, init, memory -> benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
PORT=${BENCH_PORT:-18797}
./scripts/package.sh >/dev/null 2>&1
# What users ship (a production Vite build from pkg/), the figure the budget is set on.
SIZE_APP_BYTES=$(./scripts/size.sh | awk '/^size-app:/ {print $2}')
export SIZE_APP_BYTES
# The module's biggest items by retained size (twiggy on a names-keeping build of the same wasm).
if ! command -v twiggy >/dev/null 2>&1; then cargo install --locked twiggy --version 0.8.0; fi
out=benches/out/twiggy
mkdir -p "$out"
wasm=target/nightly/wasm32-unknown-unknown/release/wasm_token_manager.wasm
[ -f "$wasm" ] || wasm=target/wasm32-unknown-unknown/release/wasm_token_manager.wasm
wasm-bindgen "$wasm" --out-dir "$out" --target web --keep-debug
wasm-opt "$out/wasm_token_manager_bg.wasm" -o "$out/named.wasm" -Oz -g \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals
twiggy top --retained -n 15 "$out/named.wasm" > "$out/top15.txt"
export TWIGGY_TOP="$out/top15.txt"
# A release-built mock server: the fetch ratio measures the wrapper, not the server's debug build.
cargo build -q --release -p mock-server
# shellcheck source=scripts/mock.sh
. scripts/mock.sh
MOCK_BIN=./target/release/mock-server start_mock /tmp/wtm-bench-server.log "127.0.0.1:$PORT" --static www --pkg pkg
E2E_BASE="http://127.0.0.1:$PORT" node tests/e2e/bench.mjs
