#!/usr/bin/env bash
# The crate as crates.io and docs.rs would take it (part of `make release`): rustdoc on wasm32
# with every adapter and warnings as errors (the JS class left out, as a Rust app takes it),
# then `cargo publish --dry-run`, which packages the include list and builds it from the
# tarball. The dry run runs on a dirty tree (release.sh has just set the version).
set -euo pipefail
cd "$(dirname "$0")/.."
features=api,leptos,yew,dioxus,gloo-net
RUSTDOCFLAGS="-D warnings" cargo doc -p wasm-token-manager --no-deps --target wasm32-unknown-unknown \
  --no-default-features --features "$features"
echo "crate docs: no warnings (target/wasm32-unknown-unknown/doc/wasm_token_manager/index.html)"
cargo publish -p wasm-token-manager --dry-run --allow-dirty
