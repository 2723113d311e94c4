#!/usr/bin/env bash
# The risk dashboard (app/src/dashboard) in one command:
#   scripts/dashboard.sh                     starts fulcrum-localnet with the demo exchange, seeds the
#                                            demo book (app/src/dashboard/book.ts) and a keeper, then
#                                            serves the dashboard and prints its URL (Ctrl-C stops all)
#   scripts/dashboard.sh --synthetic 10000   the same with 10,000 more synthetic accounts
#   scripts/dashboard.sh --url URL [--deployment FILE]   any RPC endpoint (devnet, a validator): only
#                                            the dashboard (deployment: else FULCRUM_DEPLOYMENT, else
#                                            the local chain's fulcrum_getBootstrap)
#   --port N (default 8080), --no-keeper
set -euo pipefail
cd "$(dirname "$0")/.."
export RUST_LOG="${RUST_LOG:-error}"
url="" deployment="${FULCRUM_DEPLOYMENT:-}" port=8080 synthetic=0 keeper=1
while [ $# -gt 0 ]; do
  case "$1" in
    --url) url="$2"; shift 2 ;;
    --deployment) deployment="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --synthetic) synthetic="$2"; shift 2 ;;
    --no-keeper) keeper=0; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "dashboard: unknown argument $1"; exit 2 ;;
  esac
done
tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

scripts/setup.sh >/dev/null
(cd app && npm ci --no-audit --no-fund --loglevel=error)

if [ -z "$url" ]; then
  echo "== building fulcrum-localnet (first time on a fresh machine: several minutes)"
  cargo build -q -p fulcrum-localnet
  rpc=$(python3 - <<'PY'
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
)
  url="http://127.0.0.1:$rpc"
  deployment="$tmp/deployment.json"
  "${CARGO_TARGET_DIR:-target}/debug/fulcrum-localnet" --rpc-port "$rpc" --bootstrap demo --bootstrap-out "$deployment" >"$tmp/localnet.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 240); do
    grep -q "localnet: ready" "$tmp/localnet.log" 2>/dev/null && break
    sleep 0.25
  done
  grep -q "localnet: ready" "$tmp/localnet.log" || { cat "$tmp/localnet.log"; echo "dashboard: fulcrum-localnet did not start"; exit 1; }
  echo "local chain: $url (WebSocket port $((rpc + 1)))"
  (cd app && node --import tsx src/dashboard/book.ts --url "$url" --deployment "$deployment" --synthetic "$synthetic")
  if [ "$keeper" = 1 ]; then
    (cd app && exec node --import tsx src/keeper/main.ts --url "$url" --deployment "$deployment" --keypair "$tmp/keeper.json" --airdrop \
      --metrics-port 0 --ready-file "$tmp/keeper.port") >"$tmp/keeper.log" 2>&1 &
    pids+=($!)
    echo "keeper: logs in $tmp/keeper.log"
  fi
fi

deployment_args=()
[ -n "$deployment" ] && deployment_args=(--deployment "$deployment")
(cd app && exec node --import tsx src/dashboard/main.ts --url "$url" "${deployment_args[@]}" --port "$port" --ready-file "$tmp/dashboard.url") &
pids+=($!)
for _ in $(seq 1 240); do
  [ -s "$tmp/dashboard.url" ] && break
  kill -0 "${pids[-1]}" 2>/dev/null || { echo "dashboard: the server exited"; exit 1; }
  sleep 0.25
done
echo "(Ctrl-C stops everything this script started)"
wait "${pids[-1]}"
