#!/usr/bin/env bash
# Every test of the project: risk engine (unit + property), program (program-test, real
# transactions: trading, liquidation, dynamic risk, attack catalogue, fuzzing), simulator,
# local chain, IDL freshness, formatting, lints, and the TypeScript SDK/keeper/CLI tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
start=$(date +%s)
export RUST_LOG="${RUST_LOG:-error}"  # the bank logs every instruction at debug
cargo fmt --all -- --check
cargo test --workspace --locked
python3 scripts/idl.py --check
cargo clippy --workspace --all-targets --locked -- -D warnings
scripts/test-ts.sh   # TS unit + end-to-end against fulcrum-localnet on free ports
echo "all tests passed in $(( $(date +%s) - start ))s"
