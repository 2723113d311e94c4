#!/usr/bin/env bash
# The Fulcrum demo on a local chain: starts fulcrum-localnet with the demo exchange and the
# keeper, then a scripted session (traders at different leverage through the TypeScript SDK,
# a SOL crash through fulcrum_setPrice, the keeper liquidating the over-levered ones; then a
# trader opening with a stop-loss and a take-profit, the keeper executing the take-profit);
# prints the before/after tables and the keeper's metrics, then serves the risk dashboard on
# that chain and prints its URL (until Ctrl-C when interactive), and stops everything.
#   scripts/demo-ts.sh            (or: cd app && npm run demo)
# Against a chain already running with a bootstrapped exchange (scripts/test-validator.sh: a local
# validator, prices through mock-pyth): FULCRUM_DEMO_URL=<rpc url> FULCRUM_DEPLOYMENT=<json>.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUST_LOG="${RUST_LOG:-error}"
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

scripts/setup.sh
(cd app && npm ci --no-audit --no-fund --loglevel=error)

if [ -n "${FULCRUM_DEMO_URL:-}" ]; then
  [ -n "${FULCRUM_DEPLOYMENT:-}" ] || { echo "demo: FULCRUM_DEMO_URL needs FULCRUM_DEPLOYMENT (the deployment JSON)"; exit 2; }
  url="$FULCRUM_DEMO_URL"
  echo "chain: $url (deployment $FULCRUM_DEPLOYMENT)"
else
# Cargo's own progress (a fresh machine compiles the local chain for minutes first).
echo "== building fulcrum-localnet (first time on a fresh machine: several minutes)"
cargo build -p fulcrum-localnet
port=$(python3 - <<'PY'
import socket
for _ in range(100):
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 1)); ok = True
    except OSError:
        ok = False
    a.close(); b.close()
    if ok:
        print(p); break
PY
)
url="http://127.0.0.1:$port"
"${CARGO_TARGET_DIR:-target}/debug/fulcrum-localnet" --rpc-port "$port" --bootstrap demo --bootstrap-out "$tmp/deployment.json" >"$tmp/localnet.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 240); do
  grep -q "localnet: ready" "$tmp/localnet.log" 2>/dev/null && break
  sleep 0.25
done
grep -q "localnet: ready" "$tmp/localnet.log" || { cat "$tmp/localnet.log"; echo "demo: fulcrum-localnet did not start"; exit 1; }
echo "local chain: $url (WebSocket port $((port + 1)))"
fi

deployment_args=()
[ -n "${FULCRUM_DEMO_URL:-}" ] && deployment_args=(--deployment "$FULCRUM_DEPLOYMENT")
(cd app && exec node --import tsx src/keeper/main.ts --url "$url" "${deployment_args[@]}" --keypair "$tmp/keeper.json" --airdrop \
  --metrics-port 0 --ready-file "$tmp/keeper.port") >"$tmp/keeper.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 240); do
  [ -s "$tmp/keeper.port" ] && break
  sleep 0.25
done
[ -s "$tmp/keeper.port" ] || { cat "$tmp/keeper.log"; echo "demo: the keeper did not start"; exit 1; }
metrics="http://127.0.0.1:$(cat "$tmp/keeper.port")/metrics"
echo "keeper: metrics at $metrics"

(cd app && node --import tsx scripts/demo.ts --url "$url" "${deployment_args[@]}" --metrics "$metrics")
# Orders: a trader opens with a stop-loss and a take-profit; the keeper executes the take-profit.
(cd app && node --import tsx scripts/demo-orders.ts --url "$url" "${deployment_args[@]}" --metrics "$metrics")
echo
echo "keeper log (JSON lines, liquidations):"
grep '"liquidation landed"' "$tmp/keeper.log" | sed 's/^/  /' | cut -c1-240 || true
echo "keeper log (JSON lines, orders):"
grep '"component":"orders"' "$tmp/keeper.log" | grep -v '"order keeper started"' | sed 's/^/  /' | cut -c1-240 || true

# The risk dashboard on the demo's chain, after the crash (scripts/dashboard.sh serves one on its own).
(cd app && exec node --import tsx src/dashboard/main.ts --url "$url" "${deployment_args[@]}" --port "${FULCRUM_DASHBOARD_PORT:-0}" \
  --ready-file "$tmp/dashboard.url") >"$tmp/dashboard.log" 2>&1 &
dashboard_pid=$!
pids+=($dashboard_pid)
for _ in $(seq 1 240); do
  [ -s "$tmp/dashboard.url" ] && break
  kill -0 "$dashboard_pid" 2>/dev/null || break
  sleep 0.25
done
[ -s "$tmp/dashboard.url" ] || { cat "$tmp/dashboard.log"; echo "demo: the dashboard did not start"; exit 1; }
echo
if [ -t 0 ] && [ -t 1 ]; then
  echo "dashboard: $(cat "$tmp/dashboard.url")   (serving the demo's chain until Ctrl-C)"
  wait "$dashboard_pid"
else
  echo "dashboard: $(cat "$tmp/dashboard.url")   (stops with the demo when not interactive; scripts/dashboard.sh keeps one up)"
fi
