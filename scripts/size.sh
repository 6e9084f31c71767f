#!/usr/bin/env bash
# What users ship: a production Vite build of benches/size-app (imports the package from pkg/),
# its emitted JS + wasm, each gzip -9, summed. Prints "size-app: <bytes> bytes" (and parts).
set -euo pipefail
cd "$(dirname "$0")/../benches/size-app"
if [ ! -d node_modules/vite ]; then npm install --silent --no-audit --no-fund >/dev/null; fi
rm -rf dist
npx vite build --logLevel warn >/dev/null
total=0
for f in dist/assets/*.js dist/assets/*.wasm; do
  n=$(gzip -9 -c "$f" | wc -c)
  echo "  $(basename "$f"): $(wc -c < "$f") B raw, $n B gzip -9"
  total=$((total + n))
done
echo "size-app: $total bytes gzip -9 (JS + wasm of a production Vite build)"
