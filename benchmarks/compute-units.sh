#!/usr/bin/env bash
# Compute units of Fulcrum's instructions in the real Solana VM, written to docs/compute-units.md.
#
# Builds target/deploy/fulcrum.so (scripts/build-sbf.sh), runs the compute-unit scenarios of the
# program tests (programs/fulcrum/tests/program/compute_units.rs) against it in the VM, each
# figure read from the VM's "consumed N of M compute units" log line, and writes the table with
# the .so size, the largest stack frame per instruction handler and issue 15's goals.
# Compute units are deterministic: run it again after a change and diff the doc.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fulcrum/target}"
export RUST_LOG="${RUST_LOG:-error}"
scripts/build-sbf.sh --all --asm
rows="$(mktemp -d)"
trap 'rm -rf "$rows"' EXIT
echo "[compute-units] running the scenarios in the VM"
FULCRUM_SBF=1 FULCRUM_CU_TABLE="$rows" cargo test -q -p fulcrum --test program compute_units -- --test-threads=2
python3 benchmarks/compute_units_doc.py "$rows" target/deploy/fulcrum.so >docs/compute-units.md
echo "[compute-units] docs/compute-units.md written"
