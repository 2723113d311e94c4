#!/usr/bin/env bash
# x86 instructions per call of the engine's hot paths, the proxy for compute units: callgrind
# counts only inside each #[inline(never)] wrapper (and what it calls), over 1,000 calls.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)"; exit 1; }
cargo build --release -p fulcrum-benchmarks --bin callgrind-margin-check -q
bin=target/release/callgrind-margin-check
[ -n "${CARGO_TARGET_DIR:-}" ] && bin="$CARGO_TARGET_DIR/release/callgrind-margin-check"
count() { # wrapper, argument, label
  local out; out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect="$1" "$bin" $2 >/dev/null 2>&1
  local total; total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1}')
  rm -f "$out"
  echo "$3: $((total / 1000)) instructions per call ($total over 1,000)"
}
count fulcrum_bench_margin_check "" "margin check, 8 perps + 8 collateral"
count fulcrum_bench_liquidation_sizing liquidation "liquidation sizing, 95 SOL long at 0.001 SOL steps"
count fulcrum_bench_portfolio_check portfolio "portfolio margin check, 8 perps + 8 collateral (8 assets)"
count fulcrum_bench_portfolio_liquidation portfolio-liquidation "portfolio liquidation sizing, first of 8 perps + 8 collateral (8 assets)"
