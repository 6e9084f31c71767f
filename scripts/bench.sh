#!/usr/bin/env bash
# `make bench`: bundle size, fetch overhead, refresh storm, decode throughput, init, memory.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
PORT=${BENCH_PORT:-18797}
./scripts/package.sh >/dev/null 2>&1
cargo build -q -p mock-server
./target/debug/mock-server --addr "127.0.0.1:$PORT" --test-controls --static www --pkg pkg >/tmp/wtm-bench-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/.well-known/jwks.json" >/dev/null 2>&1 && break; sleep 0.1; done
E2E_BASE="http://127.0.0.1:$PORT" node tests/e2e/bench.mjs
