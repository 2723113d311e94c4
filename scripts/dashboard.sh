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
source scripts/lib/chain.sh
chain_init

scripts/setup.sh >/dev/null
(cd app && npm ci --no-audit --no-fund --loglevel=error)

if [ -z "$url" ]; then
  echo "== building fulcrum-localnet (first time on a fresh machine: several minutes)"
  cargo build -q -p fulcrum-localnet
  rpc=$(free_port_pair)
  url="http://127.0.0.1:$rpc"
  deployment="$tmp/deployment.json"
  start_localnet "$rpc" "$deployment"
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
wait_for "the dashboard server" "${pids[-1]}" /dev/null file_ready "$tmp/dashboard.url"
echo "(Ctrl-C stops everything this script started)"
wait "${pids[-1]}"
