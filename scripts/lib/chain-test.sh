#!/usr/bin/env bash
# Tests of scripts/lib/chain.sh's process handling (a few seconds; run by scripts/test.sh):
# chain_stop must return, and leave nothing running, even when a process ignores SIGTERM (as
# solana-test-validator does when started with TERM ignored, which a CI runner may pass down);
# a process that exits on TERM must be stopped at once, without waiting out the grace period.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/chain.sh
fail() { echo "chain-test: FAIL: $*" >&2; exit 1; }

chain_init
export CHAIN_STOP_GRACE=1
# One that exits on TERM (TERM's default action restored: this script may itself have been
# started with TERM ignored, as CI does), one that ignores it (bash cannot undo an inherited
# ignore, so neither can sleep), and one that has already exited.
env --default-signal=TERM sleep 300 & pids+=($!); polite=$!
(trap '' TERM; exec sleep 300) & pids+=($!); stubborn=$!
true & pids+=($!)
sleep 0.3
grep -q '^SigIgn:.*' /proc/$stubborn/status || fail "no /proc status for the stubborn process"
t0=$(date +%s%N)
chain_stop 2>"$tmp/stop.log"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill -0 "$polite" 2>/dev/null && fail "the process that exits on TERM is still running"
kill -0 "$stubborn" 2>/dev/null && fail "the process that ignores TERM is still running"
grep -q "process $stubborn did not exit within 1 s of TERM; sending KILL" "$tmp/stop.log" ||
  fail "no KILL notice for the stubborn process: $(cat "$tmp/stop.log")"
(( ms < 3000 )) || fail "chain_stop took $ms ms (grace 1 s)"
(( ${#pids[@]} == 0 )) || fail "pids not emptied"

# Without a stubborn process, no grace period is waited out.
env --default-signal=TERM sleep 300 & pids+=($!)
sleep 0.3   # until env has restored TERM and exec'd sleep (a TERM before that is ignored)
t0=$(date +%s%N)
chain_stop
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
(( ms < 700 )) || fail "stopping a process that exits on TERM took $ms ms"
echo "chain-test: passed (a TERM-ignoring process is KILLed after the grace period; others stop at once)"
