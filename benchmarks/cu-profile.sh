#!/usr/bin/env bash
# Where the compute units go (issue 15): builds fulcrum.so with the `cu-profile` feature (marks
# that log the units left at phase boundaries, crates/risk/src/profile.rs), runs the VM
# compute-unit scenarios keeping each instruction's log, and writes per-phase figures for the
# profiled instructions (benchmarks/cu_profile.py) to benchmarks/cu-profile/<name>.md (default
# `after`; `before` is issue 15's starting point), which docs/compute-units.md includes.
# Rebuilds the normal fulcrum.so afterwards, so target/deploy never keeps the profiling build.
#
#   benchmarks/cu-profile.sh [name]   then benchmarks/compute-units.sh to regenerate the doc
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fulcrum/target}"
export RUST_LOG="${RUST_LOG:-error}"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"; scripts/build-sbf.sh >&2' EXIT
FULCRUM_SBF_FEATURES=cu-profile scripts/build-sbf.sh --all >&2
echo "[cu-profile] running the scenarios in the VM" >&2
FULCRUM_SBF=1 FULCRUM_CU_PROFILE="$logs" cargo test -q -p fulcrum --test program compute_units -- --test-threads=2 >&2
out="benchmarks/cu-profile/${1:-after}.md"
python3 benchmarks/cu_profile.py "$logs" \
  $'one position\twithdraw (no position)' \
  $'full 8+8 cross\twithdraw' \
  $'full 8+8 portfolio\twithdraw' \
  $'one position\tplace_perp_trade (open)' \
  $'full 8+8 cross\tliquidate_perp' \
  $'full 8+8 portfolio\tliquidate_perp' >"$out"
echo "[cu-profile] $out written" >&2
