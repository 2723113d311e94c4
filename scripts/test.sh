#!/usr/bin/env bash
# Every test of the project: risk engine (unit + property), program (program-test, real
# transactions: trading, liquidation, dynamic risk, margin modes, attack catalogue, fuzzing;
# both suites a second time in the real VM against the sBPF build),
# simulator, IDL freshness, formatting and lints; then the off-chain side (scripts/test-ts.sh:
# TypeScript SDK, risk mirror vectors, keeper and CLI against a local chain it starts and stops,
# and the local chain's RPC tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
start=$(date +%s)
scripts/lib/chain-test.sh   # stopping the chains' processes never hangs (a few seconds)
export RUST_LOG="${RUST_LOG:-error}"  # the bank logs every instruction at debug
cargo fmt --all -- --check
scripts/lib/fn-length.py   # no function in the program over 80 lines (issue 19)
cargo test --workspace --locked --exclude fulcrum-localnet   # its RPC test runs in scripts/test-ts.sh
# The program and attack suites again in the real Solana VM, against target/deploy/fulcrum.so
# built from public packages (scripts/sbf-toolchain.sh, cached; scripts/build-sbf.sh), with the
# 128-bit libcalls checked against the host and the compute-unit budgets (about 1 min of tests).
scripts/build-sbf.sh --all --mock-pyth   # mock_pyth.so: for scripts/test-validator.sh below
FULCRUM_SBF=1 cargo test --locked -p fulcrum --test program --test attacks
python3 scripts/idl.py --check
cargo clippy --workspace --all-targets --locked -- -D warnings
scripts/test-ts.sh
# Protocol tests on a real solana-test-validator: only when the validator is already built into
# the cache (building it takes ~29 minutes cold); says plainly when it is skipped.
FULCRUM_SKIP_SBF_BUILD=1 scripts/test-validator.sh --if-cached
echo "all tests passed in $(( $(date +%s) - start ))s"
