#!/usr/bin/env bash
# Installs, only when missing, everything `make demo` / `make test` need (TOOLCHAIN.md).
# Idempotent: with everything present it only checks versions (a few seconds).
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_PACK_VERSION=0.15.1
BINARYEN_VERSION=132
GECKODRIVER_VERSION=0.37.1
say() { printf '[setup] %s\n' "$*"; }

# cargo install, --locked first (reproducible), then unlocked: the registry mirror here has
# been seen missing a crate version pinned in a tool's lockfile.
cargo_install() {
  local crate=$1 version=$2
  say "installing $crate $version (cargo install, a few minutes)"
  cargo install --locked "$crate" --version "$version" || cargo install "$crate" --version "$version"
}

# 1. wasm target
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 1b. The nightly toolchain builds the release package (make pkg: build-std for size); it needs
#     rust-src and the wasm target. Without a nightly, make pkg falls back to stable, loudly.
if rustup run nightly rustc --version >/dev/null 2>&1; then
  if ! rustup +nightly component list --installed 2>/dev/null | grep -q '^rust-src'; then
    say "adding rust-src to the nightly toolchain"
    rustup +nightly component add rust-src
  fi
  if ! rustup +nightly target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target to the nightly toolchain"
    rustup +nightly target add wasm32-unknown-unknown
  fi
fi

# 2. wasm-pack
if ! wasm-pack --version 2>/dev/null | grep -q "$WASM_PACK_VERSION"; then
  cargo_install wasm-pack "$WASM_PACK_VERSION"
fi

# 3. wasm-bindgen CLI at exactly the version in Cargo.lock
if [ ! -f Cargo.lock ]; then cargo generate-lockfile; fi
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$WB_VERSION" ]; then echo "[setup] cannot read the wasm-bindgen version from Cargo.lock" >&2; exit 1; fi
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WB_VERSION"; then
  cargo_install wasm-bindgen-cli "$WB_VERSION"
fi

# 3b. The test runner the browser suite uses: the same wasm-bindgen-cli, built against tiny_http
#     0.12.0 with scripts/tiny_http-task-pool.patch (the unpatched server can leave one or two of
#     the test page's parallel module requests unread until the browser closes an idle keep-alive
#     connection: 60 s in WebKit, 115 s in Firefox, before the first test). wasm-pack runs the
#     wasm-bindgen-test-runner beside the wasm-bindgen it finds on PATH, and test.sh puts
#     .tools/bin first, so both are linked there. cargo vendor fetches tiny_http's source
#     (checksummed); --locked cannot be used with a [patch].
RUNNER_STAMP="wasm-bindgen-cli $WB_VERSION + tiny_http 0.12.0 $(sha256sum scripts/tiny_http-task-pool.patch | cut -c1-16)"
if [ "$(cat .tools/runner/stamp 2>/dev/null)" != "$RUNNER_STAMP" ] || [ ! -x .tools/runner/bin/wasm-bindgen-test-runner ]; then
  say "building wasm-bindgen-test-runner $WB_VERSION with the tiny_http fix (cargo install, a few minutes)"
  rm -rf .tools/runner .tools/bin/wasm-bindgen-test-runner .tools/bin/wasm-bindgen && mkdir -p .tools/runner/src
  printf '[package]\nname = "runner-vendor"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\ntiny_http = "=0.12.0"\n\n[workspace]\n' > .tools/runner/Cargo.toml
  touch .tools/runner/src/lib.rs
  if (cd .tools/runner && cargo vendor --versioned-dirs --quiet vendor >/dev/null) &&
    patch -s -d .tools/runner/vendor/tiny_http-0.12.0 -p1 < scripts/tiny_http-task-pool.patch &&
    printf '\n[workspace]\n' >> .tools/runner/vendor/tiny_http-0.12.0/Cargo.toml &&
    cargo install wasm-bindgen-cli --version "$WB_VERSION" --bin wasm-bindgen-test-runner --root .tools/runner \
      --config "patch.crates-io.tiny_http.path=\"$PWD/.tools/runner/vendor/tiny_http-0.12.0\""; then
    echo "$RUNNER_STAMP" > .tools/runner/stamp
  else
    # Not fatal: the stock runner works, it only stalls now and then (test.sh says so).
    say "WARNING: could not build the patched test runner; the browser suite uses the stock one"
  fi
fi
if [ -x .tools/runner/bin/wasm-bindgen-test-runner ]; then
  mkdir -p .tools/bin
  ln -sf "$PWD/.tools/runner/bin/wasm-bindgen-test-runner" .tools/bin/wasm-bindgen-test-runner
  ln -sf "$(readlink -f "$(command -v wasm-bindgen)")" .tools/bin/wasm-bindgen
fi

# 4. Chromium + chromedriver (Debian packages; never a browser downloaded by a tool)
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing chromium and chromium-driver (apt)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "[setup] Chromium is missing: run 'sudo apt-get install -y chromium chromium-driver' and try again." >&2
    exit 1
  fi
fi

# 4b. Firefox ESR, WebKitGTK's WebDriver (MiniBrowser) and Xvfb for the other two engines
#     (Debian packages only; nothing downloads a browser or driver from elsewhere)
missing=()
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
[ -x /usr/bin/WebKitWebDriver ] || missing+=(webkit2gtk-driver)
command -v xvfb-run >/dev/null 2>&1 || missing+=(xvfb)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing ${missing[*]} (apt)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "[setup] missing: run 'sudo apt-get install -y ${missing[*]}' and try again." >&2
    exit 1
  fi
fi
# geckodriver is not packaged by Debian: crates.io, pinned (about 5 minutes the first time).
if ! geckodriver --version 2>/dev/null | grep -q "geckodriver $GECKODRIVER_VERSION"; then
  cargo_install geckodriver "$GECKODRIVER_VERSION"
fi
# wasm-bindgen's test runner drives WebKitWebDriver through its Safari path.
mkdir -p .tools/bin
ln -sf /usr/bin/WebKitWebDriver .tools/bin/safaridriver

# 4c. The server frameworks of the compatibility suites (PyPI, pinned in compat/requirements.txt),
#     in a virtualenv under .tools/py; reinstalled only when the requirements change.
if ! cmp -s compat/requirements.txt .tools/py/installed-requirements.txt 2>/dev/null; then
  say "installing the compatibility suites' server frameworks (pip, compat/requirements.txt)"
  python3 -m venv .tools/py
  .tools/py/bin/pip install --quiet --disable-pip-version-check -r compat/requirements.txt
  cp compat/requirements.txt .tools/py/installed-requirements.txt
fi

# 4d. The Node backends of the compatibility suites (npm, pinned by their package-lock.json):
#     better-auth (compat/better-auth) and the token-mediating backend with its OpenID provider
#     (compat/oidc); reinstalled only when the lock file changes.
for dir in compat/better-auth compat/oidc; do
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.installed-lock.json" 2>/dev/null; then
    say "installing $dir's server packages (npm ci)"
    (cd "$dir" && npm ci --silent --no-audit --no-fund >/dev/null && cp package-lock.json node_modules/.installed-lock.json)
  fi
done

# 5. wasm-opt from npm's binaryen (Debian's binaryen 108 produces modules Chromium rejects)
if ! .tools/node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
  say "installing binaryen@$BINARYEN_VERSION (npm) into .tools/"
  npm install --silent --no-audit --no-fund --prefix .tools "binaryen@$BINARYEN_VERSION" >/dev/null
fi

# 6. playwright-core for the release smoke test and the end-to-end suite (uses /usr/bin/chromium)
if [ ! -d tests/e2e/node_modules/playwright-core ] || [ ! -d tests/e2e/node_modules/ky ]; then
  say "installing the e2e test dependencies (npm ci in tests/e2e)"
  (cd tests/e2e && npm ci --silent --no-audit --no-fund >/dev/null)
fi

say "ok: wasm-pack $WASM_PACK_VERSION, wasm-bindgen $WB_VERSION, $(/usr/bin/chromium --version 2>/dev/null | head -1), $(/usr/bin/firefox-esr --version 2>/dev/null | head -1), geckodriver $GECKODRIVER_VERSION, WebKitGTK $(dpkg-query -W -f='${Version}' webkit2gtk-driver 2>/dev/null), wasm-opt $(.tools/node_modules/.bin/wasm-opt --version | awk '{print $3}')"
