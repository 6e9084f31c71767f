#!/usr/bin/env bash
# `make release VERSION=x.y.z`: everything before publishing, which it leaves to you.
#   1. checks VERSION (Semantic Versioning 2.0.0), that CHANGELOG.md has no heading for it yet and
#      has Unreleased entries, that it is not below the last released version, and that the
#      tracked files are committed (ALLOW_DIRTY=1 skips that: the package is built from the
#      working tree);
#   2. sets the version in Cargo.toml's [package] and, through cargo, in Cargo.lock; the npm
#      package takes it from Cargo.toml (scripts/package-json.mjs);
#   3. moves CHANGELOG.md's Unreleased entries under "## [VERSION] - <today, UTC>";
#   4. builds the package (scripts/package.sh) and the mock server, then checks the tarball
#      (tests/e2e/pack.mjs: npm pack's files and size, npm publish --dry-run, an app installed
#      from the tarball signing in in Chromium);
#   5. checks the crate: its docs build without a warning (wasm32, every adapter) and
#      `cargo publish --dry-run` packages and builds it;
#   6. prints the commands left: commit, tag, npm publish, cargo publish. It never publishes.
# Undo before committing: git checkout -- Cargo.toml Cargo.lock CHANGELOG.md
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
version=${1:-}
die() { echo "make release: $*" >&2; exit 1; }

[ -n "$version" ] || die "usage: make release VERSION=x.y.z"
semver='^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-((0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$'
[[ $version =~ $semver ]] || die "VERSION=$version is not a semantic version (x.y.z, x.y.z-pre.1)"
# npm drops build metadata from a version: Cargo.toml and the package would differ.
[[ $version != *+* ]] || die "VERSION=$version: no build metadata (+...), npm drops it"
grep -qF "## [$version]" CHANGELOG.md && die "CHANGELOG.md already has a heading for $version"
# Not below the newest released version (major.minor.patch; a pre-release of it counts as equal).
last=$(grep -oE '^## \[[0-9]+\.[0-9]+\.[0-9]+' CHANGELOG.md | head -n 1 | tr -d '#[ ' || true)
core=${version%%-*}
if [ -n "$last" ] && [ "$(printf '%s\n%s\n' "$last" "$core" | sort -t. -k1,1n -k2,2n -k3,3n | head -n 1)" != "$last" ]; then
  die "VERSION=$version is below the last release, $last"
fi
if [ "${ALLOW_DIRTY:-0}" != 1 ] && ! git diff --quiet HEAD --; then
  die "uncommitted changes (the package is built from the working tree): commit them, or ALLOW_DIRTY=1"
fi

echo "== version $version: Cargo.toml, Cargo.lock, CHANGELOG.md"
trap '[ $? -eq 0 ] || echo "make release: stopped; undo with: git checkout -- Cargo.toml Cargo.lock CHANGELOG.md" >&2' EXIT
# The version line of [package] (the workspace's other members keep theirs).
awk -v v="$version" '
  /^\[/ { section = $0 }
  section == "[package]" && !done && /^version *=/ { print "version = \"" v "\""; done = 1; next }
  { print }
  END { if (!done) exit 1 }' Cargo.toml > Cargo.toml.new && mv Cargo.toml.new Cargo.toml
cargo update --workspace --offline --quiet
grep -A1 '^name = "wasm-token-manager"$' Cargo.lock | grep -qx "version = \"$version\"" || die "Cargo.lock did not take $version"
VERSION=$version DATE=$(date -u +%Y-%m-%d) node -e '
  const fs = require("fs");
  const text = fs.readFileSync("CHANGELOG.md", "utf8");
  const m = /^## \[Unreleased\][^\n]*\n([\s\S]*?)(?=^## \[|(?![\s\S]))/m.exec(text);
  if (!m) { console.error("make release: CHANGELOG.md has no ## [Unreleased] section"); process.exit(1); }
  if (!m[1].trim()) { console.error("make release: CHANGELOG.md: nothing under ## [Unreleased] to release"); process.exit(1); }
  const head = `## [Unreleased]\n\n## [${process.env.VERSION}] - ${process.env.DATE}\n${m[1]}`;
  fs.writeFileSync("CHANGELOG.md", text.slice(0, m.index) + head + text.slice(m.index + m[0].length));
'
git --no-pager diff --stat -- Cargo.toml Cargo.lock CHANGELOG.md

echo "== the package (scripts/package.sh)"
./scripts/package.sh
echo "== the mock server (the tarball check serves its app)"
cargo build -p mock-server --quiet
echo "== the tarball as users receive it (tests/e2e/pack.mjs)"
MOCK_BIN=${MOCK_BIN:-${CARGO_TARGET_DIR:-target}/debug/mock-server} node tests/e2e/pack.mjs

echo "== the crate: docs without warnings (wasm32, every adapter), cargo publish --dry-run"
./scripts/crate-check.sh

tag=""
[ "$core" = "$version" ] || tag=" --tag next"  # npm publishes a pre-release only under a tag
cat <<EOF

Release $version is built and checked in pkg/; nothing is published. Left to do:
  git diff                      # Cargo.toml, Cargo.lock, CHANGELOG.md
  git commit -m "Release $version" Cargo.toml Cargo.lock CHANGELOG.md
  git tag v$version
  (cd pkg && npm publish$tag)
  cargo publish -p wasm-token-manager
EOF
