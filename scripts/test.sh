#!/usr/bin/env bash
# `make test`: native tests, the simulator, the package and the example apps one after the
# other; then three lanes side by side (the browser suite in three engines and every end-to-end
# suite, against mock servers and real backends this script starts and stops). Prints the test
# counts and stage times; fails if any suite fails or the browser suite ran zero tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
# The browser suite's runner: .tools/bin/wasm-bindgen-test-runner (scripts/setup.sh builds it
# with a fixed tiny_http; wasm-pack takes the runner beside the wasm-bindgen on PATH). The stock
# one can leave a module request of the test page unread until the browser drops an idle
# keep-alive connection: the first test then starts 60 s late in WebKit, 115 s in Firefox.
if [ ! -x .tools/bin/wasm-bindgen-test-runner ] || [ ! -x .tools/bin/wasm-bindgen ]; then
  echo "!!! no patched test runner in .tools/bin (scripts/setup.sh could not build it): the browser suite" >&2
  echo "!!! uses the stock wasm-bindgen-test-runner, whose first page load can stall 60-120 s" >&2
fi

PORT=${MOCK_PORT:-18787}
RUNNER_PORT=${RUNNER_PORT:-18788}
BASE="http://127.0.0.1:$PORT"
LOGS=${TEST_LOGS:-target/test-logs}
mkdir -p "$LOGS"
LOGS=$(cd "$LOGS" && pwd)  # absolute: the example builds run in their own directories
start=$(date +%s)

# Stage timings, printed as a table at the end (and in $LOGS/stages.txt): `lap NAME` ends the
# running stage and starts NAME.
LAPS=() lap_name="" lap_t0=$start
lap() {
  local now; now=$(date +%s)
  [ -z "$lap_name" ] || LAPS+=("$(printf '%5d s  %s' $(( now - lap_t0 )) "$lap_name")")
  lap_name=${1:-} lap_t0=$now
}

count() { grep -E "^test result: ok\. [0-9]+ passed" "$1" | awk '{s+=$4} END {print s+0}'; }

lap native
echo "== native tests (core, mock server contract)"
cargo test --workspace --exclude wasm-token-manager 2>&1 | tee "$LOGS/native.txt"
cargo test -p wasm-token-manager --lib 2>&1 | tee -a "$LOGS/native.txt"
native=$(count "$LOGS/native.txt")
# The simulator (tests/simulator.rs): its named regressions, the refreshes-per-lifetime test and
# 20,000 random schedules of 1-6 tabs (SIM_CASES), in a release build.
lap simulator
echo "== simulator (tests/simulator.rs: ${SIM_CASES:-20000} random schedules, regressions, refreshes per lifetime)"
SIM_CASES=${SIM_CASES:-20000} cargo test --release -p wasm-token-manager --test simulator -- --nocapture 2>&1 | tee "$LOGS/simulator.txt"
grep -qE "^test result: ok\." "$LOGS/simulator.txt" || { echo "the simulator failed" >&2; exit 1; }
grep -E "^simulator: " "$LOGS/simulator.txt" || { echo "the simulator ran no schedules" >&2; exit 1; }
native=$(( native + $(count "$LOGS/simulator.txt") ))

lap package
echo "== release package (nightly build; wasm-opt from .tools), example apps, mock server"
./scripts/package.sh > "$LOGS/package.txt" 2>&1 || { cat "$LOGS/package.txt"; echo "make pkg failed" >&2; exit 1; }
grep -E "package.json|!!!" "$LOGS/package.txt"
# The example apps, each built from the local package (installs once; `file:` links pkg/).
build_example() {
  local name=$1; shift
  local t0; t0=$(date +%s)
  (cd "examples/$name" && { [ -d node_modules ] || npm install --silent --no-audit --no-fund >/dev/null; } &&
    NEXT_TELEMETRY_DISABLED=1 "$@" > "$LOGS/build-$name.txt" 2>&1) ||
    { cat "$LOGS/build-$name.txt"; echo "building examples/$name failed" >&2; exit 1; }
  echo "example $name built in $(( $(date +%s) - t0 )) s"
}
lap "example apps"
build_example vite-app npx vite build --logLevel warn
build_example webpack-app npm run build
build_example next-app npm run build            # Turbopack, into out/
build_example next-app npm run build:webpack    # webpack, into out-webpack/
build_example react-app env NODE_ENV=development npx vite build --logLevel warn  # React's development build (StrictMode's double mount)
build_example angular-app npm run build  # its devDependency "node" runs the CLI on the Node 22 it needs
# The Rust front-end examples (Leptos, Yew, Dioxus): cargo + wasm-bindgen, one shared target dir.
t0=$(date +%s)
PROFILE=e2e NO_OPT=1 ./scripts/rust-examples.sh > "$LOGS/build-rust-examples.txt" 2>&1 ||
  { cat "$LOGS/build-rust-examples.txt"; echo "building the Rust examples failed" >&2; exit 1; }
echo "Rust examples (leptos-csr, yew-app, dioxus-web) built in $(( $(date +%s) - t0 )) s"
lap "mock server build, types, size"
cargo build -p mock-server 2>&1 | tail -n 1
echo "== TypeScript check of the generated .d.ts (tests/e2e/types/check.ts)"
(cd tests/e2e && npx tsc -p types/tsconfig.json) && echo "types: ok"
# Size budget (a size check, not a timing): what an app ships, a production Vite build of
# benches/size-app importing the package from pkg/ (JS + wasm, gzip -9).
size_bytes=$(./scripts/size.sh | tee "$LOGS/size.txt" | awk '/^size-app:/ {print $2}')
budget_kb=$(cat benches/size-budget-kb)
echo "size: production Vite build (JS + wasm) = $size_bytes bytes gzip -9 (budget ${budget_kb} KB = $(( budget_kb * 1024 )) bytes)"
if [ -z "$size_bytes" ] || [ "$size_bytes" -gt $(( budget_kb * 1024 )) ]; then echo "size budget exceeded (benches/SIZE.md)" >&2; exit 1; fi

lap "mock servers"
OTHER_PORT=${OTHER_PORT:-18789}
OTHER="http://127.0.0.1:$OTHER_PORT"
# shellcheck source=scripts/mock.sh
. scripts/mock.sh
# Two users (demo stays the default one the other suites use; alice and bob for the account
# switch in ordering.mjs).
start_mock "$LOGS/mock-server.log" "127.0.0.1:$PORT" --allow-origin "http://127.0.0.1:$RUNNER_PORT" --static www --pkg pkg \
  --user demo:demo --user alice:alice --user bob:bob
# A second server on another origin: records what it receives (Authorization must not arrive).
start_mock "$LOGS/other-server.log" "127.0.0.1:$OTHER_PORT" --allow-origin "$BASE"
# One server per example app, serving its build (same origin as its own API).
# Every port can be moved (VITE_PORT etc.) so that two runs can share a machine.
VITE_PORT=${VITE_PORT:-18790} WEBPACK_PORT=${WEBPACK_PORT:-18791} NEXT_PORT=${NEXT_PORT:-18792}
VITE_APP="http://127.0.0.1:$VITE_PORT" WEBPACK_APP="http://127.0.0.1:$WEBPACK_PORT" NEXT_APP="http://127.0.0.1:$NEXT_PORT"
start_mock "$LOGS/vite-app-server.log" "127.0.0.1:$VITE_PORT" --static examples/vite-app/dist
start_mock "$LOGS/webpack-app-server.log" "127.0.0.1:$WEBPACK_PORT" --static examples/webpack-app/dist
start_mock "$LOGS/next-app-server.log" "127.0.0.1:$NEXT_PORT" --static examples/next-app/out
NEXT_WEBPACK_PORT=${NEXT_WEBPACK_PORT:-18793}; NEXT_WEBPACK_APP="http://127.0.0.1:$NEXT_WEBPACK_PORT"
start_mock "$LOGS/next-webpack-app-server.log" "127.0.0.1:$NEXT_WEBPACK_PORT" --static examples/next-app/out-webpack
REACT_PORT=${REACT_PORT:-18794}; REACT_APP="http://127.0.0.1:$REACT_PORT"
start_mock "$LOGS/react-app-server.log" "127.0.0.1:$REACT_PORT" --static examples/react-app/dist
ANGULAR_APP="http://127.0.0.1:${ANGULAR_PORT:=18795}"; start_mock "$LOGS/angular-app-server.log" "127.0.0.1:$ANGULAR_PORT" --static examples/angular-app/dist

# Two more servers like the first, one per lane below (each lane resets its own server).
LANE_B_PORT=${LANE_B_PORT:-18797} LANE_C_PORT=${LANE_C_PORT:-18798}
BASE_B="http://127.0.0.1:$LANE_B_PORT" BASE_C="http://127.0.0.1:$LANE_C_PORT"
start_mock "$LOGS/mock-server-b.log" "127.0.0.1:$LANE_B_PORT" --static www --pkg pkg --user demo:demo --user alice:alice --user bob:bob
start_mock "$LOGS/mock-server-c.log" "127.0.0.1:$LANE_C_PORT" --static www --pkg pkg --user demo:demo --user alice:alice --user bob:bob
# The real backends (compat/), started now so they are up when lane C reaches them.
FLASK_PORT=${FLASK_PORT:-18810} DJANGO_PORT=${DJANGO_PORT:-18811}
BETTERAUTH_PORT=${BETTERAUTH_PORT:-18812} OIDC_PORT=${OIDC_PORT:-18813} OP_PORT=${OP_PORT:-18814}
.tools/py/bin/python compat/flask_app.py "$FLASK_PORT" pkg > "$LOGS/flask.log" 2>&1 & MOCK_PIDS+=($!)
.tools/py/bin/python compat/django_app.py "$DJANGO_PORT" pkg > "$LOGS/django.log" 2>&1 & MOCK_PIDS+=($!)
node compat/better-auth/server.mjs "$BETTERAUTH_PORT" pkg > "$LOGS/better-auth.log" 2>&1 & MOCK_PIDS+=($!)
node compat/oidc/server.mjs "$OIDC_PORT" "$OP_PORT" pkg > "$LOGS/oidc.log" 2>&1 & MOCK_PIDS+=($!)

# The wasm-bindgen browser suite on each engine: Chromium (chromedriver), Firefox ESR
# (geckodriver), WebKitGTK (WebKitWebDriver, which wasm-bindgen's runner drives through its
# Safari path: .tools/bin/safaridriver links to it; it opens MiniBrowser, so it runs under Xvfb).
# wasm-pack sets the engine's own driver variable (CHROMEDRIVER, GECKODRIVER or SAFARIDRIVER,
# found on PATH) and no other may be set: wasm-bindgen-test-runner takes the first of
# GECKODRIVER, SAFARIDRIVER, CHROMEDRIVER it finds, so a GECKODRIVER set here for every engine
# ran all three suites in Firefox (until 2026-12). The runner names its browser in the log; a
# suite that ran in another one fails.
browser_suite() {
  local engine=$1 name=$2 browser=$3 pre=()
  [ "$engine" = safari ] && pre=(xvfb-run -a -n 101)
  stage "browser suite $name"
  echo "== browser tests on $name (wasm-pack test --headless --$engine, against $BASE)"
  set +e
  env -u GECKODRIVER -u SAFARIDRIVER -u CHROMEDRIVER -u MSEDGEDRIVER \
    -u GECKODRIVER_REMOTE -u SAFARIDRIVER_REMOTE -u CHROMEDRIVER_REMOTE -u MSEDGEDRIVER_REMOTE \
    PATH="$PWD/.tools/bin:$PATH" \
    WASM_BINDGEN_TEST_ADDRESS="127.0.0.1:$RUNNER_PORT" WASM_BINDGEN_TEST_TIMEOUT=300 MOCK_SERVER="$BASE" \
    "${pre[@]}" wasm-pack test --headless "--$engine" --mode no-install . --features api > "$LOGS/browser-$name.txt" 2>&1
  local rc=$?
  set -e
  cat "$LOGS/browser-$name.txt"
  local n; n=$(count "$LOGS/browser-$name.txt")
  echo "browser suite on $name: $n passed"
  if [ "$rc" -ne 0 ]; then echo "browser tests failed on $name" >&2; exit "$rc"; fi
  if [ "$n" -eq 0 ]; then echo "the browser suite ran 0 tests on $name" >&2; exit 1; fi
  local ran; ran=$(grep -Eo "^Running headless tests in [A-Za-z]+" "$LOGS/browser-$name.txt" | awk '{print $NF}' | sort -u)
  if [ "$ran" != "$browser" ]; then
    echo "the browser suite on $name ran in '${ran:-no browser}', not $browser" >&2; exit 1
  fi
}

# From here on, three lanes run side by side, each with its own mock server and its own
# browsers (a suite launches its own), so no lane sees another's resets, cookies, locks or
# channels; within a lane, suites run one after the other. Each lane's output goes to
# $LOGS/lane-X.txt (printed when the lane ends) and its stage times to $LOGS/lane-X-stages.txt.
# A: the wasm-bindgen browser suite in three engines and the suites that drive the examples, the
#    package and the demo (the first mock server, the other-origin server, the app servers);
# B: the resilience suite (its soak), the ordering, drop-in and locks suites;
# C: DPoP, session, and the real backends with the doctor.
stage() {
  local now; now=$(date +%s)
  [ -z "${stage_name:-}" ] || printf '%5d s  %s\n' $(( now - stage_t0 )) "$stage_name" >> "$LOGS/lane-$LANE-stages.txt"
  stage_name=${1:-} stage_t0=$now
}

# The Rust API's adapters that need no app (tests/adapters.rs: gloo-net, the Leptos
# server-function client and signal), in Chromium with their features on.
adapter_suite() {
  stage "Rust adapters (leptos, gloo-net; chromium)"
  echo "== Rust API adapters (tests/adapters.rs, --features leptos,gloo-net, Chromium)"
  set +e
  env -u GECKODRIVER -u SAFARIDRIVER -u CHROMEDRIVER -u MSEDGEDRIVER PATH="$PWD/.tools/bin:$PATH" \
    WASM_BINDGEN_TEST_ADDRESS="127.0.0.1:$RUNNER_PORT" WASM_BINDGEN_TEST_TIMEOUT=300 MOCK_SERVER="$BASE" \
    wasm-pack test --headless --chrome --mode no-install . --test adapters --features leptos,gloo-net > "$LOGS/adapters.txt" 2>&1
  local rc=$?
  set -e
  cat "$LOGS/adapters.txt"
  if [ "$rc" -ne 0 ]; then echo "the adapter tests failed" >&2; exit "$rc"; fi
  [ "$(count "$LOGS/adapters.txt")" -gt 0 ] || { echo "the adapter tests ran 0 tests" >&2; exit 1; }
}

lane_a() {
  browser_suite chrome chromium Chrome
  browser_suite firefox firefox Firefox
  browser_suite safari webkit Safari
  adapter_suite
  stage "release smoke (chromium)"
  echo "== release smoke test (playwright-core + Chromium, the package make demo serves)"
  E2E_BASE="$BASE" node tests/e2e/smoke.mjs | tee "$LOGS/smoke.txt"
  echo "== cross-engine end-to-end (W3C WebDriver: release smoke + reduced resilience on Firefox and WebKit)"
  stage "engines e2e firefox"
  E2E_BASE="$BASE" E2E_OTHER="$OTHER" DRIVER_PORT=${FIREFOX_DRIVER_PORT:-18800} node tests/e2e/engines.mjs firefox | tee "$LOGS/engines-firefox.txt"
  stage "engines e2e webkit"
  E2E_BASE="$BASE" E2E_OTHER="$OTHER" DRIVER_PORT=${WEBKIT_DRIVER_PORT:-18801} xvfb-run -a -n 111 node tests/e2e/engines.mjs webkit | tee "$LOGS/engines-webkit.txt"
  stage "everywhere"
  echo "== everywhere: example apps (Vite, webpack, Next.js), plain page, Worker, store contract; Node import"
  E2E_BASE="$BASE" E2E_VITE="$VITE_APP" E2E_WEBPACK="$WEBPACK_APP" E2E_NEXT="$NEXT_APP" E2E_NEXT_WEBPACK="$NEXT_WEBPACK_APP" node tests/e2e/everywhere.mjs | tee "$LOGS/everywhere.txt"
  stage "react"
  echo "== react: React 19 in StrictMode, a module-level manager and one made in useEffect (examples/react-app)"
  E2E_REACT="$REACT_APP" node tests/e2e/react.mjs | tee "$LOGS/react.txt"
  stage "angular"
  echo "== angular: zone.js under the package (a plain page) and examples/angular-app (isStable, refreshes, two tabs)"
  E2E_BASE="$BASE" E2E_ANGULAR="$ANGULAR_APP" node tests/e2e/angular.mjs | tee "$LOGS/angular.txt"
  stage "node ssr"
  node tests/e2e/node-ssr.mjs examples/next-app | tee "$LOGS/node.txt"
  stage "package tarball"
  echo "== the package as users get it: npm pack (exact files, size), npm publish --dry-run, a Vite app installed from the tarball (tests/e2e/pack.mjs)"
  PACK_PORT=${PACK_PORT:-18796} node tests/e2e/pack.mjs | tee "$LOGS/pack.txt"
  stage "leaks"
  E2E_BASE="$BASE" E2E_OTHER="$OTHER" node tests/e2e/leaks.mjs | tee "$LOGS/leaks.txt"
  stage "demo"
  E2E_BASE="$BASE" E2E_OTHER="$OTHER" node tests/e2e/demo.mjs | tee "$LOGS/demo.txt"
  stage
}

lane_b() {
  echo "== end-to-end suites (playwright-core + Chromium: many tabs, faults, clocks, sleep, soak; ordering; drop-in fetch)"
  stage "e2e resilience (soak ${SOAK_SECONDS:-60} s)"
  SOAK_SECONDS=${SOAK_SECONDS:-60} E2E_BASE="$BASE_B" node tests/e2e/resilience.mjs | tee "$LOGS/e2e.txt"
  stage "e2e ordering"
  E2E_BASE="$BASE_B" node tests/e2e/ordering.mjs | tee "$LOGS/ordering.txt"
  stage "e2e dropin"
  E2E_BASE="$BASE_B" node tests/e2e/dropin.mjs | tee "$LOGS/dropin.txt"
  stage "e2e locks"
  E2E_BASE="$BASE_B" node tests/e2e/locks.mjs | tee "$LOGS/locks.txt"
  stage
}

lane_c() {
  stage "e2e dpop"
  E2E_BASE="$BASE_C" node tests/e2e/dpop.mjs | tee "$LOGS/dpop.txt"
  stage "e2e session"
  E2E_BASE="$BASE_C" node tests/e2e/session.mjs | tee "$LOGS/session.txt"
  stage "compat (flask, django)"
  echo "== compatibility with real server frameworks (compat/: Flask + flask-jwt-extended, Django + dj-rest-auth + simplejwt)"
  for port in "$FLASK_PORT" "$DJANGO_PORT"; do
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
  done
  COMPAT_FLASK=http://127.0.0.1:$FLASK_PORT COMPAT_DJANGO=http://127.0.0.1:$DJANGO_PORT node tests/e2e/compat.mjs | tee "$LOGS/compat.txt"
  stage "backends (better-auth, token-mediating)"
  echo "== backends people run (compat/: better-auth 1.7 with jwt(); a token-mediating backend on openid-client 6 in front of oidc-provider 9)"
  for port in "$BETTERAUTH_PORT" "$OIDC_PORT"; do
    for _ in $(seq 1 150); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  done
  E2E_BETTERAUTH=http://127.0.0.1:$BETTERAUTH_PORT node tests/e2e/betterauth.mjs | tee "$LOGS/betterauth.txt"
  E2E_OIDC=http://127.0.0.1:$OIDC_PORT node tests/e2e/oidc.mjs | tee "$LOGS/oidc.txt"
  stage "doctor"
  echo "== doctor: npx wasm-token-manager doctor (doctor/) unit tests; the mock server by default and per --misconfig switch; the compat backends above"
  node --test doctor/ 2>&1 | tee "$LOGS/doctor-unit.txt" | grep -E "^# (pass|fail)"
  DOCTOR_MOCK_PORT=${DOCTOR_MOCK_PORT:-18820} COMPAT_FLASK=http://127.0.0.1:$FLASK_PORT COMPAT_DJANGO=http://127.0.0.1:$DJANGO_PORT \
    E2E_BETTERAUTH=http://127.0.0.1:$BETTERAUTH_PORT E2E_OIDC=http://127.0.0.1:$OIDC_PORT node tests/e2e/doctor.mjs | tee "$LOGS/doctor.txt"
  stage "Rust example apps (leptos, yew, dioxus)"
  RUST_APPS_PORT=${RUST_APPS_PORT:-18830} node tests/e2e/rust-apps.mjs | tee "$LOGS/rust-apps.txt"
  stage "backends in firefox, webkit (better-auth)"
  E2E_BETTERAUTH=http://127.0.0.1:$BETTERAUTH_PORT DRIVER_PORT=${FIREFOX_DRIVER_PORT2:-18802} node tests/e2e/betterauth-engines.mjs firefox | tee "$LOGS/betterauth-firefox.txt"
  E2E_BETTERAUTH=http://127.0.0.1:$BETTERAUTH_PORT DRIVER_PORT=${WEBKIT_DRIVER_PORT2:-18803} xvfb-run -a -n 201 node tests/e2e/betterauth-engines.mjs webkit | tee "$LOGS/betterauth-webkit.txt"
  stage
}

lap "lanes A, B, C side by side"
rm -f "$LOGS"/lane-?.txt "$LOGS"/lane-?-stages.txt
# Each lane in its own process group (job control on), so that a make test stopped or failing
# early takes every lane's browsers and runners down with it.
set -m
LANE=a lane_a > "$LOGS/lane-a.txt" 2>&1 & pid_a=$!
LANE=b lane_b > "$LOGS/lane-b.txt" 2>&1 & pid_b=$!
LANE=c lane_c > "$LOGS/lane-c.txt" 2>&1 & pid_c=$!
set +m
trap 'kill -- -"$pid_a" -"$pid_b" -"$pid_c" 2>/dev/null || true; kill "${MOCK_PIDS[@]}" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
failed=()
for lane in a b c; do
  pid_var=pid_$lane
  set +e
  wait "${!pid_var}"
  rc=$?
  set -e
  echo
  echo "======== lane $lane ($( [ $rc -eq 0 ] && echo ok || echo "FAILED, exit $rc" )) ========"
  cat "$LOGS/lane-$lane.txt"
  [ $rc -eq 0 ] || failed+=("$lane")
done
lap
if [ ${#failed[@]} -gt 0 ]; then
  echo "lane(s) ${failed[*]} failed: see above (and $LOGS/lane-<name>.txt)" >&2
  exit 1
fi

ok() { grep -Eo "$1 result: ok\. [0-9]+ passed" "$LOGS/$2" | awk '{print $4}'; }
browser_chromium=$(count "$LOGS/browser-chromium.txt") browser_firefox=$(count "$LOGS/browser-firefox.txt") browser_webkit=$(count "$LOGS/browser-webkit.txt")
engines_ff=$(ok engines engines-firefox.txt) engines_wk=$(ok engines engines-webkit.txt)
smoke=$(ok smoke smoke.txt)
compat=$(ok compat compat.txt) betterauth=$(ok betterauth betterauth.txt) oidc=$(ok oidc oidc.txt) doctor=$(ok doctor doctor.txt)
betterauth_ff=$(ok betterauth-engines betterauth-firefox.txt) betterauth_wk=$(ok betterauth-engines betterauth-webkit.txt)
pack=$(ok pack pack.txt) demo=$(ok demo demo.txt) e2e=$(ok e2e e2e.txt) leaks=$(ok leaks leaks.txt)
ordering=$(ok ordering ordering.txt) dropin=$(ok dropin dropin.txt) locks=$(ok locks locks.txt) dpop=$(ok dpop dpop.txt)
session=$(ok session session.txt) everywhere=$(ok everywhere everywhere.txt) angular=$(ok angular angular.txt)
nodessr=$(ok node node.txt) react=$(ok react react.txt) rustapps=$(ok rust-apps rust-apps.txt) adapters=$(count "$LOGS/adapters.txt")

echo
echo "== stage times"
{
  printf '%s\n' "${LAPS[@]}"
  for lane in a b c; do echo "  lane $lane:"; sed 's/^/  /' "$LOGS/lane-$lane-stages.txt"; done
} | tee "$LOGS/stages.txt"
echo "== summary: native $native passed; browser chromium $browser_chromium, firefox $browser_firefox, webkit $browser_webkit passed; cross-engine e2e firefox ${engines_ff:-0}, webkit ${engines_wk:-0} passed; release smoke ${smoke:-0} passed; e2e ${e2e:-0} passed; ordering ${ordering:-0} passed; drop-in ${dropin:-0} passed; locks ${locks:-0} passed; dpop ${dpop:-0} passed; session ${session:-0} passed; compat ${compat:-0} passed; better-auth ${betterauth:-0} passed (firefox ${betterauth_ff:-0}, webkit ${betterauth_wk:-0}); token-mediating ${oidc:-0} passed; doctor ${doctor:-0} passed; everywhere ${everywhere:-0} passed; angular ${angular:-0} passed; react ${react:-0} passed; rust apps ${rustapps:-0} passed; rust adapters ${adapters:-0} passed; node ${nodessr:-0} passed; pack ${pack:-0} passed; leaks ${leaks:-0} passed; demo ${demo:-0} passed; $(( $(date +%s) - start )) s"
