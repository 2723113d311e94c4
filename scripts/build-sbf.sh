#!/usr/bin/env bash
# Builds the Fulcrum program for the Solana VM: target/deploy/fulcrum.so (the path `anchor build`
# uses), sBPF v0 as Agave 3.1's loader accepts it, from the toolchain scripts/sbf-toolchain.sh
# assembles (upstream rustc + -Zbuild-std, Debian sid's LLVM 23, sbpf-linker; not Solana's
# platform-tools). Fails if any function's stack frame exceeds the VM's 4 KB.
#
#   scripts/build-sbf.sh              fulcrum.so
#   scripts/build-sbf.sh --all        also the VM self-test programs the VM suite loads
#                                     (programs/sbf-libcall-check: 128-bit libcalls vs the host)
#   scripts/build-sbf.sh --mock-pyth  also target/deploy/mock_pyth.so (programs/mock-pyth), the
#                                     local-validator test double of Pyth scripts/test-validator.sh
#                                     loads at the Pyth program ids; never shipped with Fulcrum
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FULCRUM_SBF_CACHE:-$HOME/.cache/fulcrum/sbf}"
# Its own target dir: another target, -Zbuild-std and RUSTC_BOOTSTRAP would invalidate the
# shared native cache. It still queues behind other cargo builds through the native dir's lock.
SBF_TARGET_DIR="${FULCRUM_SBF_TARGET_DIR:-$HOME/.cache/fulcrum/sbf-target}"
CARGO_LOCK="${FULCRUM_CARGO_LOCK:-$HOME/.cache/fulcrum/target/debug/.cargo-lock}"
TARGET_NAME=bpfel-solana-solana-std
TARGET_SPEC="$ROOT/scripts/sbf/targets/$TARGET_NAME.json"
OUT="$ROOT/target/deploy"

#   scripts/build-sbf.sh --asm        also target/deploy/fulcrum.s (assembly with function names,
#                                     for the stack frame of every instruction handler; relinks)
#   FULCRUM_SBF_FEATURES=cu-profile scripts/build-sbf.sh
#                                     fulcrum.so with those cargo features (cu-profile: the
#                                     compute-unit profile marks benchmarks/cu-profile.sh reads)
programs=(fulcrum)
asm=0
for arg in "$@"; do
  case "$arg" in
    --all) programs+=(sbf_libcall_check) ;;
    --mock-pyth) programs+=(mock_pyth) ;;
    --asm) asm=1 ;;
    *) echo "usage: $0 [--all] [--mock-pyth] [--asm]" >&2; exit 2 ;;
  esac
done

"$ROOT/scripts/sbf-toolchain.sh"
# shellcheck disable=SC1091
source "$CACHE/env"
mkdir -p "$(dirname "$CARGO_LOCK")" "$OUT"
touch "$CARGO_LOCK"

export RUSTC_BOOTSTRAP=1 RUSTC_BOOTSTRAP_SYNTHETIC_TARGET=1
export __CARGO_TESTS_ONLY_SRC_ROOT="$SBF_RUST_SRC"
export CARGO_TARGET_BPFEL_SOLANA_SOLANA_STD_LINKER="$SBF_LINKER"
# target-cpu v2 and --arch=v0: sBPF v0, what Agave 3.1 deploys; LLVM then refuses (at link time)
# any frame above 4,096 bytes, and scripts/sbf/stackscan.py reports the frames.
# --cfg sbf_upstream_llvm: the program's own 128-bit libcalls (programs/fulcrum/src/sbf.rs).
# +allows-misaligned-mem-access: the VM loads and stores at any address (solana-sbpf's
# MemoryMapping reads with read_unaligned), so an unaligned u64 (a Pubkey compare, a Pyth field
# at an odd offset) is one load instead of eight byte loads, shifts and ors (issue 15).
export CARGO_TARGET_BPFEL_SOLANA_SOLANA_STD_RUSTFLAGS="-C target-cpu=v2 -C target-feature=+allows-misaligned-mem-access -C link-arg=--arch=v0 -C link-arg=--llvm-args=--bpf-stack-size=4096 --cfg sbf_upstream_llvm"

for program in "${programs[@]}"; do
  crate="${program//_/-}"
  echo "[build-sbf] $crate: cargo build for $TARGET_NAME (first build: std and the dependencies, a few minutes)"
  start=$SECONDS
  if [[ $asm == 1 && $program == fulcrum ]]; then
    # The listing is written by the linker: make cargo link again.
    touch "$ROOT/programs/$crate/src/lib.rs"
    export FULCRUM_SBF_ASM=1
  else
    unset FULCRUM_SBF_ASM
  fi
  # Cargo names a workspace member's artifacts by a hash that does not depend on the checkout's
  # path, so another clone's build in this shared directory would look fresh here and be linked
  # instead of this checkout's code: always rebuild the workspace's own crates.
  rm -rf "$SBF_TARGET_DIR/$TARGET_NAME"/release/.fingerprint/{fulcrum,fulcrum-risk,sbf-libcall-check,mock-pyth}-*
  features=()
  [[ $program == fulcrum && -n "${FULCRUM_SBF_FEATURES:-}" ]] && features=(--features "$FULCRUM_SBF_FEATURES")
  FULCRUM_SBF_PROGRAM="$program" flock "$CARGO_LOCK" \
    cargo build --release -p "$crate" --lib "${features[@]}" \
    --target "$TARGET_SPEC" -Zjson-target-spec -Zbuild-std=std,panic_abort \
    --config 'profile.release.panic="abort"' \
    --target-dir "$SBF_TARGET_DIR"
  so="$SBF_TARGET_DIR/$TARGET_NAME/release/lib$program.so"
  [[ -s "$so" ]] || { echo "build-sbf: no $so" >&2; exit 1; }
  cp "$so" "$OUT/$program.so"
  if [[ "${FULCRUM_SBF_ASM:-}" == 1 ]]; then
    listing="$(ls -t "$SBF_TARGET_DIR/$TARGET_NAME/release/deps/lib$program"*.so.s 2>/dev/null | head -1)"
    [[ -n "$listing" ]] && cp "$listing" "$OUT/$program.s"
  fi
  echo "[build-sbf] $crate: $OUT/$program.so, $(stat -c %s "$OUT/$program.so") bytes, $((SECONDS - start))s"
  scan=(python3 "$ROOT/scripts/sbf/stackscan.py" --limit 4096 "$OUT/$program.so")
  [[ "${FULCRUM_SBF_ASM:-}" == 1 && -f "$OUT/$program.s" ]] && scan+=(--asm "$OUT/$program.s")
  "${scan[@]}"
done
