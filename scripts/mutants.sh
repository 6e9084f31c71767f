#!/usr/bin/env bash
# `make mutants`: cargo-mutants over the core, with the native unit tests and the simulator
# (the same 20,000 random schedules and named regressions as `make test`) as the oracle, in
# the `mutation` profile of Cargo.toml (optimised, no LTO, incremental: a mutant rebuilds in
# seconds, where the size-tuned release profile relinked everything). Options (environment or make variables):
#   FILE=src/core/session/mod.rs   files or globs (space-separated) instead of all of src/core;
#                              files of mock-server/src mutate the mock server against its tests
#   SHARD=k/n                  one shard of the mutants (cargo-mutants --shard), for long runs
#   DIFF=path                  only the mutants in the lines a diff touches (--in-diff)
#   JOBS=2                     mutants built and tested at once
#   OUT=target/mutants         where mutants.out/ goes (outcomes.json, caught.txt, missed.txt, ...)
#   LIST=1                     list the mutants, run nothing
#   LIB_ONLY=1                 the library tests alone as the oracle (no simulator): for the
#                              files the simulator does not drive (decoders, options, clock);
#                              a mutant only the simulator would catch counts as missed
# Records of full runs: benches/MUTANTS.md. The probes of the simulator's blind spot:
# scripts/probe-mutants.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
file=${FILE:-src/core/**}
args=(--no-shuffle --gitignore true --output "${OUT:-target/mutants}" --profile mutation --minimum-test-timeout 60)
set -f; for f in $file; do args+=(--file "$f"); done; set +f
case "$file" in
  mock-server/*) args+=(--package mock-server); test_args=() ;;
  *) args+=(--package wasm-token-manager); test_args=(--lib --test simulator) ;;
esac
[ -z "${LIB_ONLY:-}" ] || test_args=(--lib)
[ -z "${SHARD:-}" ] || args+=(--shard "$SHARD")
[ -z "${DIFF:-}" ] || args+=(--in-diff "$DIFF")
if [ -n "${LIST:-}" ]; then exec cargo mutants "${args[@]}" --list; fi
command -v cargo-mutants >/dev/null || cargo install --locked cargo-mutants@27.1.0
export SIM_CASES=${SIM_CASES:-20000}
exec cargo mutants "${args[@]}" -j "${JOBS:-2}" -- "${test_args[@]}"
