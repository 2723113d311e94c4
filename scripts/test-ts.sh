#!/usr/bin/env bash
# The off-chain side: builds the local chain, installs the TypeScript packages from the
# lockfile, checks that the generated files (risk vectors, IDL types) are fresh, type-checks,
# starts fulcrum-localnet on free ports, runs the TS unit and end-to-end tests against it, the
# dashboard's browser tests (their own local chain, system Chromium), then the local chain's own
# Rust tests. The local chains are always stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s)
export RUST_LOG="${RUST_LOG:-error}"
tmp=$(mktemp -d)
localnet_pid=""
cleanup() {
  if [ -n "$localnet_pid" ] && kill -0 "$localnet_pid" 2>/dev/null; then
    kill -TERM "$localnet_pid" 2>/dev/null || true
    wait "$localnet_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

echo "== build fulcrum-localnet"
cargo build -q --locked -p fulcrum-localnet

echo "== risk vectors are fresh"
cargo run -q --locked -p fulcrum-risk --bin risk-vectors -- "$tmp/risk.json"
if ! cmp -s "$tmp/risk.json" app/vectors/risk.json; then
  echo "app/vectors/risk.json differs from what crates/risk generates; regenerate and commit it:"
  echo "  cargo run -p fulcrum-risk --bin risk-vectors -- app/vectors/risk.json"
  exit 1
fi

echo "== npm ci"
(cd app && npm ci --no-audit --no-fund --loglevel=error)
(cd app && node --import tsx scripts/gen-idl-types.ts --check)
echo "== tsc (strict)"
(cd app && node_modules/.bin/tsc --noEmit -p .)

# A port P with P+1 free (HTTP and WebSocket), never 8899.
port=$(python3 - <<'PY'
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
echo "== fulcrum-localnet on 127.0.0.1:$port (WebSocket $((port + 1)))"
"${CARGO_TARGET_DIR:-target}/debug/fulcrum-localnet" --rpc-port "$port" --bootstrap demo --bootstrap-out "$tmp/deployment.json" >"$tmp/localnet.log" 2>&1 &
localnet_pid=$!
for _ in $(seq 1 240); do
  grep -q "localnet: ready" "$tmp/localnet.log" 2>/dev/null && break
  kill -0 "$localnet_pid" 2>/dev/null || { cat "$tmp/localnet.log"; echo "fulcrum-localnet exited"; exit 1; }
  sleep 0.25
done
grep -q "localnet: ready" "$tmp/localnet.log" || { cat "$tmp/localnet.log"; echo "fulcrum-localnet did not start"; exit 1; }

echo "== TypeScript unit + end-to-end tests"
(cd app && FULCRUM_RPC_URL="http://127.0.0.1:$port" FULCRUM_DEPLOYMENT="$tmp/deployment.json" \
  node --import tsx --test --test-force-exit --test-reporter=spec --test-concurrency=1 \
  test/*.test.ts "$root"/tests/*.test.ts)

kill -TERM "$localnet_pid" 2>/dev/null || true
wait "$localnet_pid" 2>/dev/null || true
localnet_pid=""

# Their own local chain with a known book, a keeper and the dashboard; Debian's Chromium
# (scripts/setup.sh) through playwright-core. Screenshots: app/test-artifacts/ (~20 s on an idle
# 2-core machine, ~70 s under a parallel cargo build).
echo "== dashboard browser tests (Chromium)"
browser_start=$(date +%s)
(cd app && node --import tsx --test --test-force-exit --test-reporter=spec --test-concurrency=1 test-browser/*.test.ts)
echo "dashboard browser tests passed in $(( $(date +%s) - browser_start ))s (screenshots in app/test-artifacts/)"

echo "== fulcrum-localnet RPC tests (Rust)"
cargo test -q --locked -p fulcrum-localnet

echo "TypeScript and local chain tests passed in $(( $(date +%s) - start ))s"
