#!/usr/bin/env bash
# Installs what is needed, then runs the Fulcrum demos:
#  1. on the in-process bank: traders at 2x–9x, price moves with dynamic margin, a crash and a
#     keeper's liquidations; a table of equity, notional, leverage, requirements, health state
#     and each market's volatility, max leverage and funding after every step;
#  2. on the local chain (fulcrum-localnet) through the TypeScript SDK, with the keeper bot
#     liquidating the over-levered traders after a crash; before/after table and keeper metrics.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== 1. in-process bank (Rust)"
# Built first with cargo's own progress: on a fresh machine this compiles the Solana crates for
# many minutes, and `cargo run -q` would say nothing all that time. The run itself is then quiet.
# `no-log-ix-name` only keeps Anchor's per-instruction log line out of the demo's table.
echo "building the demo (cargo; a fresh machine compiles the dependencies first, about 20 minutes on 2 cores)"
cargo build -p fulcrum --example demo --features no-log-ix-name
RUST_LOG=error cargo run -q -p fulcrum --example demo --features no-log-ix-name
echo
echo "== 2. local chain, TypeScript SDK and keeper"
exec scripts/demo-ts.sh
