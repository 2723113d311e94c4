#!/usr/bin/env bash
# Installs what is needed, then runs the Fulcrum demo on the in-process bank: traders at
# different leverage, price moves, and a table of equity, notional, leverage, margin
# requirements and health state after each step.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# `no-log-ix-name` only keeps Anchor's per-instruction log line out of the demo's table.
RUST_LOG=error cargo run -q -p fulcrum --example demo --features no-log-ix-name
