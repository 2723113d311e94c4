# Shared by the scripts that start a local chain and processes on it (dashboard.sh, demo-ts.sh,
# test-ts.sh, test-validator.sh). Sourced, not run: `source scripts/lib/chain.sh` from the repo root.

# chain_init: a temporary folder $tmp and the array $pids of background processes; on exit (or
# Ctrl-C) every one still running is stopped and $tmp removed.
chain_init() {
  tmp=$(mktemp -d)
  pids=()
  trap chain_cleanup EXIT INT TERM
}

# chain_stop: stops every process in $pids, newest first (the clients before the chain they
# talk to): TERM, up to $CHAIN_STOP_GRACE seconds (default 10) to exit, then KILL; reaps each and
# empties $pids. The KILL matters: a process started with SIGTERM ignored (inherited from whoever
# started this script, as a CI runner may) and no handler of its own, like solana-test-validator,
# never exits on TERM, and waiting for it would hang the run.
chain_stop() {
  local i j pid grace="${CHAIN_STOP_GRACE:-10}"
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    kill -TERM "$pid" 2>/dev/null || continue
    for ((j = 0; j < grace * 4; j++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "chain: process $pid did not exit within ${grace} s of TERM; sending KILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}

chain_cleanup() {
  chain_stop
  rm -rf "$tmp"
}

# free_port_pair: prints a free port P with P+1 free too (JSON-RPC and its WebSocket), never 8899.
free_port_pair() {
  python3 - <<'PY'
import socket
for _ in range(100):
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 1)); ok = p != 8899
    except OSError:
        ok = False
    a.close(); b.close()
    if ok:
        print(p); break
PY
}

# wait_for WHAT PID LOG TEST...: runs the command TEST every 0.25 s until it succeeds (60 s at
# most); if it never does, or the process PID exits first, prints LOG and exits the script with
# "WHAT did not start".
wait_for() {
  local what="$1" pid="$2" log="$3"
  shift 3
  for _ in $(seq 1 240); do
    "$@" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  "$@" && return 0
  cat "$log" 2>/dev/null || true
  echo "$what did not start"
  exit 1
}

# start_localnet PORT DEPLOYMENT_OUT: starts fulcrum-localnet (already built) on PORT and PORT+1
# with the demo exchange, its deployment written to DEPLOYMENT_OUT and its log to
# $tmp/localnet.log; adds it to $pids and returns once it is ready.
start_localnet() {
  "${CARGO_TARGET_DIR:-target}/debug/fulcrum-localnet" --rpc-port "$1" --bootstrap demo --bootstrap-out "$2" \
    >"$tmp/localnet.log" 2>&1 &
  pids+=($!)
  wait_for fulcrum-localnet "${pids[-1]}" "$tmp/localnet.log" grep -q "localnet: ready" "$tmp/localnet.log"
}

# file_ready FILE: FILE exists and is not empty (a --ready-file written by a server).
file_ready() { [ -s "$1" ]; }
