# Sourced by test.sh and bench.sh: start mock servers in the background, wait until they
# answer, and stop them all when the calling script exits.
MOCK_PIDS=()
trap 'kill "${MOCK_PIDS[@]}" 2>/dev/null || true' EXIT

# start_mock LOGFILE HOST:PORT [mock-server flags...]
start_mock() {
  local log=$1 addr=$2
  shift 2
  # Another server on the port would answer the readiness check and take the tests' traffic.
  if curl -sf "http://$addr/.well-known/jwks.json" >/dev/null 2>&1; then
    echo "$addr is already in use by another server: stop it (or set MOCK_PORT etc.) and try again" >&2
    exit 1
  fi
  "${MOCK_BIN:-./target/debug/mock-server}" --addr "$addr" --test-controls "$@" >"$log" 2>&1 &
  local pid=$!
  MOCK_PIDS+=("$pid")
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    curl -sf "http://$addr/.well-known/jwks.json" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "mock server at $addr failed to start:" >&2
  cat "$log" >&2
  exit 1
}
