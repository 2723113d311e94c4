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
source scripts/lib/chain.sh
chain_init

echo "== build fulcrum-localnet"
cargo build -q --locked -p fulcrum-localnet

echo "== risk, reputation and rate vectors are fresh"
for v in risk reputation rate; do
  cargo run -q --locked -p fulcrum-risk --bin "$v-vectors" -- "$tmp/$v.json"
  if ! cmp -s "$tmp/$v.json" "app/vectors/$v.json"; then
    echo "app/vectors/$v.json differs from what crates/risk generates; regenerate and commit it:"
    echo "  cargo run -p fulcrum-risk --bin $v-vectors -- app/vectors/$v.json"
    exit 1
  fi
done

echo "== npm ci"
(cd app && npm ci --no-audit --no-fund --loglevel=error)
(cd app && node --import tsx scripts/gen-idl-types.ts --check)
echo "== tsc (strict)"
(cd app && node_modules/.bin/tsc --noEmit -p .)

# A port P with P+1 free (HTTP and WebSocket), never 8899.
port=$(free_port_pair)
echo "== fulcrum-localnet on 127.0.0.1:$port (WebSocket $((port + 1)))"
start_localnet "$port" "$tmp/deployment.json"

echo "== TypeScript unit + end-to-end tests"
(cd app && FULCRUM_RPC_URL="http://127.0.0.1:$port" FULCRUM_DEPLOYMENT="$tmp/deployment.json" \
  node --import tsx --test --test-force-exit --test-reporter=spec --test-concurrency=1 \
  test/*.test.ts "$root"/tests/*.test.ts)

chain_stop

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
