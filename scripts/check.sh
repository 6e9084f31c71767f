#!/usr/bin/env bash
# `make check`: the contributor's inner loop, under 3 minutes warm. fmt; clippy (native and
# wasm, warnings are errors); the native tests; the simulator stage of `make test`; the browser
# suite in Chromium against a mock server started here; and, when the change touches src/core,
# cargo-mutants on the lines it touches (the diff against BASE's merge base, working tree
# included). `make test` stays the full run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PWD/.tools/node_modules/.bin:$PATH"
PORT=${CHECK_MOCK_PORT:-18887} RUNNER_PORT=${CHECK_RUNNER_PORT:-18888}
start=$(date +%s) t0=$start
LAPS=()
lap() { local now; now=$(date +%s); LAPS+=("$(printf '%4d s  %s' $((now - t0)) "$1")"); t0=$now; }

echo "== fmt"
cargo fmt --all -- --check
lap fmt
echo "== clippy (native, then wasm32)"
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy -p wasm-token-manager --target wasm32-unknown-unknown --all-targets --quiet -- -D warnings
cargo clippy -p wasm-token-manager --target wasm32-unknown-unknown --all-targets --features api --quiet -- -D warnings
lap clippy
echo "== native tests"
native() { "$@" >target/check-native.txt 2>&1 || { cat target/check-native.txt; echo "native tests failed" >&2; exit 1; }; }
native cargo test --workspace --exclude wasm-token-manager --quiet
native cargo test -p wasm-token-manager --lib --quiet
lap native
echo "== simulator (${SIM_CASES:-20000} random schedules and the named ones)"
SIM_CASES=${SIM_CASES:-20000} cargo test --release -p wasm-token-manager --test simulator --quiet -- --nocapture 2>&1 |
  grep -E "^simulator: |^test result" | tee target/check-simulator.txt
grep -q "^test result: ok" target/check-simulator.txt
lap simulator

echo "== browser suite, Chromium"
cargo build -p mock-server --quiet
./target/debug/mock-server --addr "127.0.0.1:$PORT" --allow-origin "http://127.0.0.1:$RUNNER_PORT" --static www --pkg pkg \
  --test-controls --user demo:demo --user alice:alice --user bob:bob >target/check-mock.log 2>&1 &
mock=$!
trap 'kill $mock 2>/dev/null || true' EXIT
set +e
env -u GECKODRIVER -u SAFARIDRIVER -u CHROMEDRIVER WASM_BINDGEN_TEST_TIMEOUT=300 WASM_BINDGEN_TEST_ADDRESS="127.0.0.1:$RUNNER_PORT" \
  MOCK_SERVER="http://127.0.0.1:$PORT" wasm-pack test --headless --chrome --mode no-install . --test browser --features api \
  >target/check-browser.txt 2>&1
rc=$?
set -e
grep -E "^test result" target/check-browser.txt || true
if [ $rc -ne 0 ]; then grep -E "FAIL|panicked|error" target/check-browser.txt | head -40; echo "browser suite failed" >&2; exit 1; fi
grep -qE "^test result: ok\. [1-9][0-9]* passed" target/check-browser.txt || { echo "the browser suite ran no tests" >&2; exit 1; }
lap "browser (Chromium)"

base=$(git merge-base HEAD "${BASE:-main}" 2>/dev/null || git rev-parse HEAD)
git diff "$base" -- src/core >target/check-core.diff
if [ -s target/check-core.diff ]; then
  echo "== cargo mutants on the src/core lines changed since $(git rev-parse --short "$base")"
  DIFF=target/check-core.diff OUT=target/check-mutants ./scripts/mutants.sh
  lap "mutants (in diff)"
else
  echo "== no src/core change since $(git rev-parse --short "$base"): no mutants to run"
fi

echo
printf '%s\n' "${LAPS[@]}"
echo "make check: ok in $(( $(date +%s) - start )) s"
