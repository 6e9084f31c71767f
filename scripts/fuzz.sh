#!/usr/bin/env bash
# `make fuzz`: a short libFuzzer run of every cargo-fuzz target (nightly). FUZZ_SECONDS per
# target (default 30). Writes fuzz/RESULTS.md. A crash fails the run and leaves the input in
# fuzz/artifacts/<target>/ (turn it into a regression test in src/core).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${FUZZ_SECONDS:-30}
TARGETS="decode decode_structured options deadline session challenge"

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "[fuzz] installing the nightly toolchain"; rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "[fuzz] installing cargo-fuzz"
  cargo install --locked cargo-fuzz || cargo install cargo-fuzz
fi

# Seeds: the RFC tokens and an options object.
mkdir -p fuzz/corpus/decode fuzz/corpus/options
printf '%s' 'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' > fuzz/corpus/decode/rfc7519-3.1
printf '%s' 'eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.' > fuzz/corpus/decode/rfc7519-6.1
printf '%s' '{"refreshUrl":"/auth/refresh","allowedOrigins":["https://a.example"],"refreshMarginSeconds":60,"refreshHeaders":{"X-Requested-With":"XMLHttpRequest"},"crossTab":true}' > fuzz/corpus/options/full
mkdir -p fuzz/corpus/challenge
printf '%s' 'Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="mfa", max_age=300' > fuzz/corpus/challenge/rfc9470
printf '%s' 'Basic realm="x", Bearer realm="api", error="insufficient_scope", scope="admin read"' > fuzz/corpus/challenge/rfc6750

{
  echo "# Fuzzing results"
  echo
  echo "\`make fuzz\` ($(date -u +%Y-%m-%d), ${SECONDS_PER_TARGET} s per target, $(nproc) cores, $(rustc +nightly --version))"
  echo
  echo "| target | executions | crashes |"
  echo "|---|---|---|"
} > fuzz/RESULTS.md.tmp

status=0
for t in $TARGETS; do
  echo "== fuzz $t (${SECONDS_PER_TARGET} s)"
  log=$(mktemp)
  if cargo +nightly fuzz run "$t" -- -max_total_time="$SECONDS_PER_TARGET" >"$log" 2>&1; then crashes=0; else crashes=1; status=1; fi
  runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | awk '{print $2}' | tail -n 1 || true)
  if [ "$crashes" = 1 ]; then
    tail -n 40 "$log"
    runs=$(grep -Eo '^#[0-9]+' "$log" | tail -n 1 | tr -d '#' || true)
  fi
  echo "   $t: ${runs:-?} executions, $crashes crash(es)"
  echo "| \`$t\` | ${runs:-?} | $crashes |" >> fuzz/RESULTS.md.tmp
  rm -f "$log"
done
mv fuzz/RESULTS.md.tmp fuzz/RESULTS.md
cat fuzz/RESULTS.md
exit $status
