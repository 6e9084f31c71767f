#!/usr/bin/env bash
# Build the Rust front-end examples (examples/leptos-csr, yew-app, dioxus-web): cargo for
# wasm32 in release, then wasm-bindgen (the pinned CLI in .tools) into each example's pkg/,
# and wasm-opt -Oz. Prints each app's .wasm size. One Cargo workspace (examples/Cargo.toml), one
# target directory: what the three have in common is compiled once, and a warm build is seconds.
#   APPS="leptos-csr yew-app"   build only these
#   NO_OPT=1                    skip wasm-opt (make test: the sizes are for the record only)
#   PROFILE=e2e                 the cargo profile (default release; make test takes e2e,
#                               examples/Cargo.toml: no LTO, incremental)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
APPS=${APPS:-leptos-csr yew-app dioxus-web}
target=examples/target
pkgs=()
for app in $APPS; do pkgs+=(-p "$(echo "$app" | tr - _)"); done
profile=${PROFILE:-release}
cargo build --manifest-path examples/Cargo.toml --target wasm32-unknown-unknown --profile "$profile" "${pkgs[@]}"
dir=$profile; [ "$profile" = dev ] && dir=debug
for app in $APPS; do
  name=$(echo "$app" | tr - _)
  out=examples/$app/pkg
  rm -rf "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" "$target/wasm32-unknown-unknown/$dir/$name.wasm"
  if [ -z "${NO_OPT:-}" ] && command -v wasm-opt >/dev/null; then
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
      "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm"
  fi
  raw=$(stat -c %s "$out/${name}_bg.wasm")
  gz=$(gzip -9c "$out/${name}_bg.wasm" | wc -c)
  printf '%-12s %9d B wasm, %8d B gzip\n' "$app" "$raw" "$gz"
done
