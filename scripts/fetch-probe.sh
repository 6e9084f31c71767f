#!/usr/bin/env bash
# Where an `auth.fetch` call spends its time: a build with the `bench-marks` feature (in
# pkg-marks/, never shipped) marks each step with performance.now(); tests/e2e/fetch-probe.mjs
# prints per-step medians and means next to a raw fetch. BENCH_PORT as for `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
PORT=${BENCH_PORT:-18797}
# Its own target dir: the feature must not swap the release build's artifacts.
[ -d target/marks ] || { [ -d target/nightly ] && cp -a target/nightly target/marks; } || true
RUSTFLAGS="-Zunstable-options -Csymbol-mangling-version=legacy -Zlocation-detail=none -Zfmt-debug=none" \
  CARGO_TARGET_DIR=target/marks cargo +nightly build -q --release --target wasm32-unknown-unknown \
  -p wasm-token-manager --lib --features bench-marks \
  -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size \
  -Z panic-immediate-abort --config 'profile.release.panic="immediate-abort"'
rm -rf pkg-marks
wasm-bindgen target/marks/wasm32-unknown-unknown/release/wasm_token_manager.wasm --out-dir pkg-marks --target web
wasm-opt pkg-marks/wasm_token_manager_bg.wasm -o pkg-marks/wasm_token_manager_bg.wasm -Oz \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals
cargo build -q --release -p mock-server
# shellcheck source=scripts/mock.sh
. scripts/mock.sh
MOCK_BIN=./target/release/mock-server start_mock /tmp/wtm-probe-server.log "127.0.0.1:$PORT" --static www --pkg pkg-marks
E2E_BASE="http://127.0.0.1:$PORT" node tests/e2e/fetch-probe.mjs
