#!/usr/bin/env bash
# `make pkg`: the release npm package in pkg/, one package for every environment: wasm-bindgen's
# `--target web` glue plus entries written by scripts/package-json.mjs (browser entry that
# instantiates the module itself, an SSR-safe Node entry, a manual-init entry, the .wasm as a
# subpath).
# With the nightly toolchain (setup adds rust-src and the wasm target to it) std is rebuilt for
# size: build-std, immediate-abort panics, no panic location details, no Debug formatting,
# optimize_for_size, legacy symbol mangling (see benches/SIZE.md).
# Without a usable nightly it falls back to the stable build, loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
# The nightly build's target dir (a worktree sharing target/ can set its own).
NIGHTLY_TARGET=${WTM_NIGHTLY_TARGET:-target/nightly}
WASM_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals)
WASM_OPT_FLAGS=(-Oz --flatten --rereloop -Oz --strip-producers --strip-target-features "${WASM_FEATURES[@]}")

nightly_ok() {
  rustup run nightly rustc --version >/dev/null 2>&1 &&
    [ -d "$(rustup run nightly rustc --print sysroot)/lib/rustlib/src/rust/library" ] &&
    rustup +nightly target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown
}

if [ "${WTM_STABLE:-0}" != 1 ] && nightly_ok; then
  toolchain="nightly: $(rustup run nightly rustc --version)"
  RUSTFLAGS="-Zunstable-options -Csymbol-mangling-version=legacy -Zlocation-detail=none -Zfmt-debug=none" \
    CARGO_TARGET_DIR="$NIGHTLY_TARGET" cargo +nightly build --release --target wasm32-unknown-unknown \
    -p wasm-token-manager --lib \
    -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size \
    -Z panic-immediate-abort --config 'profile.release.panic="immediate-abort"'
  wasm="$NIGHTLY_TARGET/wasm32-unknown-unknown/release/wasm_token_manager.wasm"
else
  toolchain="stable: $(rustc --version)"
  echo "!!! ------------------------------------------------------------------------------------" >&2
  if [ "${WTM_STABLE:-0}" = 1 ]; then
    echo "!!! make pkg: building with STABLE as asked (WTM_STABLE=1): bigger than the size budget assumes." >&2
  else
    echo "!!! make pkg: no nightly toolchain with rust-src and the wasm32 target; building with" >&2
    echo "!!! STABLE. The package works but is bigger than the size budget assumes (benches/SIZE.md)." >&2
  fi
  echo "!!! Fix: rustup +nightly component add rust-src && rustup +nightly target add wasm32-unknown-unknown" >&2
  echo "!!! ------------------------------------------------------------------------------------" >&2
  cargo build --release --target wasm32-unknown-unknown -p wasm-token-manager --lib
  wasm=target/wasm32-unknown-unknown/release/wasm_token_manager.wasm
fi

rm -rf pkg pkg-bundler
wasm-bindgen "$wasm" --out-dir pkg --typescript --target web
# Short import/export names in the module and the glue (scripts/minify-names.mjs), then -Oz with
# a flatten/rereloop round and no producers/target-features sections (benches/SIZE.md).
wasm-opt pkg/wasm_token_manager_bg.wasm -o pkg/wasm_token_manager_bg.wasm --minify-imports-and-exports-and-modules \
  "${WASM_FEATURES[@]}" > target/minify-names.json
node scripts/minify-names.mjs pkg/wasm_token_manager.js target/minify-names.json pkg/wasm_token_manager_bg.wasm
wasm-opt pkg/wasm_token_manager_bg.wasm -o pkg/wasm_token_manager_bg.wasm "${WASM_OPT_FLAGS[@]}"
# The raw module's types name its exports as wasm-bindgen wrote them, before the renaming above,
# and no entry hands the instance's exports out: nothing to ship.
rm pkg/wasm_token_manager_bg.wasm.d.ts
# The user docs ship too: the README links into docs/ (tests/e2e/pack.mjs checks every link).
cp README.md CHANGELOG.md CONTRIBUTING.md LICENSE-MIT LICENSE-APACHE pkg/
cp -r docs pkg/docs
# `npx wasm-token-manager doctor` (the package's bin; Node only, never imported by an entry).
mkdir -p pkg/doctor && cp doctor/cli.mjs doctor/checks.mjs doctor/cookies.mjs pkg/doctor/
node scripts/package-json.mjs pkg "$toolchain"
