#!/usr/bin/env bash
# `make bench`: bundle size, fetch overhead, refresh storm, decode throughput, init, memory.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
PORT=${BENCH_PORT:-18797}
./scripts/package.sh >/dev/null 2>&1
cargo build -q -p mock-server
# shellcheck source=scripts/mock.sh
. scripts/mock.sh
start_mock /tmp/wtm-bench-server.log "127.0.0.1:$PORT" --static www --pkg pkg
E2E_BASE="http://127.0.0.1:$PORT" node tests/e2e/bench.mjs
