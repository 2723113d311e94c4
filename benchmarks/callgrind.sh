#!/usr/bin/env bash
# x86 instructions per margin check (8 perps + 8 collateral), the proxy for compute units:
# callgrind counts only inside the #[inline(never)] wrapper, over 1,000 calls.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)"; exit 1; }
cargo build --release -p fulcrum-benchmarks --bin callgrind-margin-check -q
out=$(mktemp)
valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect='fulcrum_bench_margin_check' \
  target/release/callgrind-margin-check >/dev/null 2>&1
total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1}')
rm -f "$out"
echo "margin check (8 perps + 8 collateral): $((total / 1000)) instructions per check ($total over 1,000)"
