#!/usr/bin/env bash
# The size floor: a module that does nothing but what the design requires of jwt-compact
# (UntrustedToken + unchecked claims) and serde-wasm-bindgen (an options struct), built with the
# same profile and wasm-opt -Oz as the package. Prints raw and gzip -9 sizes per feature set.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PWD/../../.tools/node_modules/.bin:$PATH" CARGO_TARGET_DIR="$PWD/target"
for f in "" decode opts decode,opts; do
  cargo build -q --release --target wasm32-unknown-unknown --features "$f"
  wasm-bindgen --target web --out-dir out target/wasm32-unknown-unknown/release/size_floor.wasm
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals out/size_floor_bg.wasm -o out/opt.wasm
  echo "features [${f:-none}]: wasm $(stat -c %s out/opt.wasm) B raw, $(gzip -9 -c out/opt.wasm | wc -c) B gzip; JS glue $(gzip -9 -c out/size_floor.js | wc -c) B gzip"
done
