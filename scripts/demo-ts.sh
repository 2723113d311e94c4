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
source scripts/lib/chain.sh
chain_init

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
port=$(free_port_pair)
url="http://127.0.0.1:$port"
start_localnet "$port" "$tmp/deployment.json"
echo "local chain: $url (WebSocket port $((port + 1)))"
fi

deployment_args=()
[ -n "${FULCRUM_DEMO_URL:-}" ] && deployment_args=(--deployment "$FULCRUM_DEPLOYMENT")
(cd app && exec node --import tsx src/keeper/main.ts --url "$url" "${deployment_args[@]}" --keypair "$tmp/keeper.json" --airdrop \
  --metrics-port 0 --ready-file "$tmp/keeper.port") >"$tmp/keeper.log" 2>&1 &
pids+=($!)
wait_for "the keeper" "${pids[-1]}" "$tmp/keeper.log" file_ready "$tmp/keeper.port"
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
wait_for "the dashboard" "$dashboard_pid" "$tmp/dashboard.log" file_ready "$tmp/dashboard.url"
echo
if [ -t 0 ] && [ -t 1 ]; then
  echo "dashboard: $(cat "$tmp/dashboard.url")   (serving the demo's chain until Ctrl-C)"
  wait "$dashboard_pid"
else
  echo "dashboard: $(cat "$tmp/dashboard.url")   (stops with the demo when not interactive; scripts/dashboard.sh keeps one up)"
fi
