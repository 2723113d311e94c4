#!/usr/bin/env bash
# The long stateful fuzzing campaign: ≥ 100,000 transactions through the bank with every
# invariant checked after each. Prints operations, transactions, throughput and violations.
#   scripts/fuzz-campaign.sh [seed] [cases] [ops per case]
set -euo pipefail
cd "$(dirname "$0")/.."
export FULCRUM_FUZZ_SEED="${1:-7}" FULCRUM_FUZZ_CASES="${2:-600}" FULCRUM_FUZZ_OPS="${3:-250}"
export RUST_LOG="${RUST_LOG:-error}"
cargo test -q -p fulcrum --test attacks fuzz_campaign -- --nocapture 2>&1 \
  | grep -vE '^(Instruction:|AnchorError|\[)'
