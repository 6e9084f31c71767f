#!/usr/bin/env bash
# `make probes` (and the start of `make mutants`): how strong an oracle the simulator is. For each probe (a unified diff that
# breaks one rule of the core, benches/mutants-probes/*.diff, or the diffs given as arguments),
# apply it to the working tree, run `make test`'s simulator stage (the same command and
# schedule budget: SIM_CASES, default 20,000, plus the named regressions), restore the tree,
# and report: caught (by which test, invariant and schedule) or survived. Exits non-zero if any
# probe survived, or did not apply or build. Logs in $PROBE_LOGS (default target/probe-logs).
#
# The diffs are applied in place (and reverted on exit, Ctrl-C included): the files they touch
# must have no uncommitted changes. The build is incremental (only the crate recompiles).
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
LOGS=${PROBE_LOGS:-$CARGO_TARGET_DIR/probe-logs}
mkdir -p "$LOGS"
CASES=${SIM_CASES:-20000}

if [ $# -gt 0 ]; then probes=("$@"); else probes=(benches/mutants-probes/*.diff); fi

applied=""
restore() {
  if [ -n "$applied" ]; then
    git apply -R "$applied" || echo "!!! could not revert $applied: check git status" >&2
    applied=""
  fi
}
trap 'restore; exit 130' INT TERM
trap restore EXIT

results=()
bad=0
for diff in "${probes[@]}"; do
  name=$(basename "$diff" .diff)
  log="$LOGS/$name.txt"
  files=$(git apply --numstat "$diff" 2>/dev/null | awk '{print $3}')
  if [ -z "$files" ] || ! git diff --quiet HEAD -- $files || ! git apply --check "$diff" 2>"$log"; then
    results+=("$(printf '%-34s %s' "$name" "DOES NOT APPLY (or its files have uncommitted changes): $log")")
    bad=1
    continue
  fi
  git apply "$diff" && applied=$diff
  echo "== $name: $(git diff --stat HEAD -- $files | tail -n 1)"
  t0=$(date +%s)
  SIM_CASES=$CASES cargo test --profile mutation -p wasm-token-manager --test simulator -- --nocapture >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - t0 ))
  restore
  if [ $rc -eq 0 ]; then
    results+=("$(printf '%-34s SURVIVED (%d s)' "$name" "$secs")")
    bad=1
  elif grep -qE '^error(\[E[0-9]+\])?: could not compile|^error\[E[0-9]+\]' "$log"; then
    results+=("$(printf '%-34s DOES NOT BUILD: %s' "$name" "$log")")
    bad=1
  else
    failed=$(grep -oE '^test [a-z0-9_:]+ \.\.\. FAILED' "$log" | awk '{print $2}' | sed 's/^regressions:://' | paste -sd, -)
    at=$(grep -oE 'first failing schedule: number [0-9]+ of [0-9]+' "$log" | head -n 1 | awk '{print $5}')
    # Why: the random schedules' reason (shrunk), else the first failing test's panic.
    why=$(awk '/first failing schedule/ {p=1} p' "$log" | grep -m1 -E '^ +"' | sed -E 's/^ +"//; s/\\n.*//')
    case "$why" in invariant\ violated*) why=$(awk '/first failing schedule/ {p=1} p' "$log" |
      grep -m1 -oE 'step [0-9]+: [^\\]*');; esac
    [ -n "$why" ] || why=$(grep -A1 -E "panicked at" "$log" | grep -vE "panicked at|^--$" | head -n 1)
    results+=("$(printf '%-34s caught (%d s) by %s%s: %s' "$name" "$secs" "$failed" \
      "${at:+ (random schedule $at of $CASES)}" "${why:0:220}")")
  fi
done

echo
echo "== probes (simulator stage, SIM_CASES=$CASES)" | tee "$LOGS/summary.txt"
printf '%s\n' "${results[@]}" | tee -a "$LOGS/summary.txt"
exit $bad
