#!/usr/bin/env bash
# `make pkg`: the release npm package, built once and bound twice:
#   pkg/          --target web      (plain ESM: the entry re-exports `init`)
#   pkg-bundler/  --target bundler  (webpack, Vite + vite-plugin-wasm, ...)
# With the nightly toolchain (setup adds rust-src and the wasm target to it) std is rebuilt for
# size: build-std, immediate-abort panics, no panic location details, no Debug formatting,
# optimize_for_size, legacy symbol mangling (see ../shared SIZE-NOTES and benches/SIZE.md).
# Without a usable nightly it falls back to the stable build, loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
WASM_OPT_FLAGS=(-Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals)

nightly_ok() {
  rustup run nightly rustc --version >/dev/null 2>&1 &&
    [ -d "$(rustup run nightly rustc --print sysroot)/lib/rustlib/src/rust/library" ] &&
    rustup +nightly target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown
}

if [ "${WTM_STABLE:-0}" != 1 ] && nightly_ok; then
  toolchain="nightly: $(rustup run nightly rustc --version)"
  RUSTFLAGS="-Zunstable-options -Csymbol-mangling-version=legacy -Zlocation-detail=none -Zfmt-debug=none" \
    CARGO_TARGET_DIR=target/nightly cargo +nightly build --release --target wasm32-unknown-unknown \
    -p wasm-token-manager --lib \
    -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size \
    -Z panic-immediate-abort --config 'profile.release.panic="immediate-abort"'
  wasm=target/nightly/wasm32-unknown-unknown/release/wasm_token_manager.wasm
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

for target in web bundler; do
  dir=pkg
  [ "$target" = bundler ] && dir=pkg-bundler
  rm -rf "$dir"
  wasm-bindgen "$wasm" --out-dir "$dir" --typescript --target "$target"
  wasm-opt "$dir/wasm_token_manager_bg.wasm" -o "$dir/wasm_token_manager_bg.wasm" "${WASM_OPT_FLAGS[@]}"
  cp README.md "$dir/"
  node scripts/package-json.mjs "$dir" "$target" "$toolchain"
done
