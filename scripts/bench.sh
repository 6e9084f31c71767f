#!/usr/bin/env bash
# `make bench`: bundle size (and what the module is made of), fetch overhead, refresh storm,
# decode throughput, init (and side by side with oidc-client-ts), memory, simulator schedules per
# second -> benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
PORT=${BENCH_PORT:-18797}
INIT_PORT=${BENCH_INIT_PORT:-$((PORT + 1))}
# oidc-client-ts, the init comparison's other side: a dev dependency of tests/e2e.
if [ ! -d tests/e2e/node_modules/oidc-client-ts ]; then (cd tests/e2e && npm ci --silent --no-audit --no-fund >/dev/null); fi
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
# The simulator's throughput (`make sim SECONDS=10`), before the browser runs load the machine.
# A violation stops it: the row then names the seed and the violation (make test fails on it).
sim_log=benches/out/sim.txt
mkdir -p benches/out
if SIM_SECONDS=${SIM_SECONDS:-10} cargo test -q --release -p wasm-token-manager --test simulator sim_for_seconds \
  -- --ignored --nocapture > "$sim_log" 2>&1; then
  sim_row=$(sed -nE 's/^simulator: ([0-9]+) schedules in ([0-9.]+) s \(([0-9]+) per second\).*$/| simulator | random schedules per second (`make sim SECONDS=10`: tests\/simulator.rs sim_for_seconds) | \3 | \1 schedules in \2 s; release build |/p' "$sim_log")
else
  seed=$(grep -oE "^simulator \(seed [0-9]+\)" "$sim_log" | head -n 1 | grep -oE "[0-9]+" || true)
  why=$(grep -oE '"step [^"]*' "$sim_log" | head -n 1 | tr -d '"\\' || true)
  sim_row="| simulator | random schedules per second (\`make sim SECONDS=10\`) | FAILED | seed ${seed:-?}: ${why:-see benches/out/sim.txt} |"
  echo "!!! the simulator failed (seed ${seed:-?}): ${why:-see $sim_log}" >&2
fi
[ -n "$sim_row" ] || { cat "$sim_log"; echo "the simulator printed no rate" >&2; exit 1; }
echo "$sim_row"
# Init side by side with oidc-client-ts: its own server, whose static dir holds the two pages and
# oidc-client-ts's browser build (written by bench-init.mjs).
mkdir -p benches/out/init-site
MOCK_BIN=./target/release/mock-server start_mock /tmp/wtm-bench-init-server.log "127.0.0.1:$INIT_PORT" --static benches/out/init-site --pkg pkg
E2E_BASE="http://127.0.0.1:$INIT_PORT" BENCH_INIT_OUT=benches/out/init.md node tests/e2e/bench-init.mjs
# Both appended to RESULTS.md after bench.mjs's table.
{
  cat benches/out/init.md
  printf '## Simulator\n\n| group | metric | value | note |\n|---|---|---|---|\n%s\n\n' "$sim_row"
} > benches/out/appendix.md
BENCH_APPENDIX=benches/out/appendix.md E2E_BASE="http://127.0.0.1:$PORT" node tests/e2e/bench.mjs
