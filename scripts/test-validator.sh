#!/usr/bin/env bash
# Protocol tests on a real local validator: Agave's `solana-test-validator` with the sBPF
# target/deploy/fulcrum.so loaded at Fulcrum's id and mock-pyth (programs/mock-pyth, a test double
# of Pyth, never shipped) at both Pyth program ids, so Fulcrum's oracle owner checks are the real
# ones. It bootstraps the demo exchange through the TypeScript SDK (app/scripts/bootstrap.ts,
# prices written through mock-pyth and kept fresh by a feeder), then runs the TS end-to-end suite
# and the demo (keeper included) against the validator. Everything it starts is stopped on exit.
#
#   scripts/test-validator.sh              build the validator into the cache if needed (once,
#                                          ~29 min cold on 2 cores), then run everything
#   scripts/test-validator.sh --if-cached  the same when the cached validator exists; otherwise
#                                          say so and exit 0 (what scripts/test.sh calls)
#   scripts/test-validator.sh --build-only only build the validator into the cache
#   scripts/test-validator.sh --localnet   rehearsal without the validator: the same bootstrap,
#                                          tests and demo on `fulcrum-localnet --mock-pyth`
#
# The validator is the crate agave-validator $VALIDATOR_VERSION from crates.io, installed with
# `cargo install --locked --bin solana-test-validator` into ~/.cache/fulcrum/validator (override:
# FULCRUM_VALIDATOR_ROOT). Its build needs libclang (bindgen, for RocksDB): when the machine has
# none, Debian's libclang1-N and libclang-common-N-dev (N = the machine's LLVM, from the archive
# of this Debian release) are downloaded with a private apt configuration and unpacked into the
# cache, never installed system-wide. Environment:
#   FULCRUM_SKIP_SBF_BUILD=1   use target/deploy/{fulcrum,mock_pyth}.so as they are
#   FULCRUM_DEBIAN_MIRROR      Debian mirror for libclang (default http://deb.debian.org/debian)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
START=$SECONDS
VALIDATOR_VERSION=3.1.12
VROOT="${FULCRUM_VALIDATOR_ROOT:-$HOME/.cache/fulcrum/validator}"
VALIDATOR="$VROOT/bin/solana-test-validator"
# The shared cargo lock (as scripts/build-sbf.sh): the validator build queues behind other cargo
# builds instead of sharing the cores with them.
CARGO_LOCK="${FULCRUM_CARGO_LOCK:-$HOME/.cache/fulcrum/target/debug/.cargo-lock}"
DEBIAN_MIRROR="${FULCRUM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
FULCRUM_ID=FuLcMkoFUKUPH5wzGiZRs744Zee4krNbRMQhdZHyLUVL
PYTH_LEGACY=FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH
PYTH_RECEIVER=rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ

step() { printf '[test-validator %4ss] %s\n' "$((SECONDS - START))" "$*"; }
die() { printf 'test-validator: %s\n' "$*" >&2; exit 1; }

mode=run
for arg in "$@"; do
  case "$arg" in
    --if-cached) mode=if-cached ;;
    --build-only) mode=build-only ;;
    --localnet) mode=localnet ;;
    *) echo "usage: $0 [--if-cached | --build-only | --localnet]" >&2; exit 2 ;;
  esac
done

validator_ready() { [[ -x "$VALIDATOR" ]] && "$VALIDATOR" --version 2>/dev/null | grep -q "$VALIDATOR_VERSION"; }

# --- libclang for the validator's build ---------------------------------------------------------
# Sets LIBCLANG_PATH (and LD_LIBRARY_PATH) to a libclang unpacked into the cache, unless the
# machine already has one.
libclang() {
  if ldconfig -p 2>/dev/null | grep -qE 'libclang(-[0-9.]+)?\.so'; then
    step "libclang: the machine's ($(ldconfig -p | grep -oE 'libclang(-[0-9.]+)?\.so[.0-9]*' | head -1))"
    return
  fi
  local dir="$VROOT/libclang"
  if [[ ! -f "$dir/.done" ]]; then
    for tool in apt-get apt-cache dpkg-deb; do command -v "$tool" >/dev/null || die "needs '$tool' to fetch libclang"; done
    local codename llvm apt="$VROOT/apt"
    codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
    [[ -n "$codename" ]] || die "cannot tell the Debian release (/etc/os-release); install libclang-dev yourself"
    # The LLVM major version the machine's libLLVM has (libclang1-N links libLLVM-N).
    llvm="$(dpkg-query -W -f='${Package}\n' 'libllvm[0-9]*' 2>/dev/null | sed -n 's/^libllvm\([0-9]*\)$/\1/p' | sort -n | head -1)"
    local key=/usr/share/keyrings/debian-archive-keyring.gpg
    [[ -f $key ]] || die "needs the Debian archive keyring ($key)"
    mkdir -p "$apt"/{sources.list.d,preferences.d,state,lists/partial,cache/archives/partial,log,debs}
    : >"$apt/status"
    echo "deb [signed-by=$key] $DEBIAN_MIRROR $codename main" >"$apt/sources.list"
    local opts=(
      -o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/sources.list.d"
      -o "Dir::Etc::PreferencesParts=$apt/preferences.d" -o "Dir::State=$apt/state"
      -o "Dir::State::Lists=$apt/lists" -o "Dir::State::status=$apt/status" -o "Dir::Cache=$apt/cache"
      -o "Dir::Log=$apt/log" -o "Debug::NoLocking=1" -o "APT::Architecture=amd64"
      -o "Acquire::Languages=none" -o "APT::Sandbox::User=root"
    )
    step "libclang: apt-get update ($codename, private configuration in $apt)"
    apt-get "${opts[@]}" -q update >"$apt/log/update.log" 2>&1 || { tail -20 "$apt/log/update.log" >&2; die "apt-get update failed"; }
    if [[ -z "$llvm" ]]; then
      # No libLLVM on the machine: take the release's default libclang and its libLLVM too.
      llvm="$(apt-cache "${opts[@]}" depends libclang-dev | sed -n 's/.*Depends: libclang-\([0-9]*\)-dev.*/\1/p' | head -1)"
      [[ -n "$llvm" ]] || die "the $codename archive has no libclang-dev"
      pkgs=("libclang1-$llvm" "libclang-common-$llvm-dev" "libllvm$llvm")
    else
      pkgs=("libclang1-$llvm" "libclang-common-$llvm-dev")
    fi
    step "libclang: downloading ${pkgs[*]}"
    rm -f "$apt"/debs/*.deb
    (cd "$apt/debs" && apt-get "${opts[@]}" -q download "${pkgs[@]}") >"$apt/log/download.log" 2>&1 ||
      { tail -20 "$apt/log/download.log" >&2; die "apt-get download ${pkgs[*]} failed"; }
    rm -rf "$dir" "$dir.tmp"; mkdir -p "$dir.tmp"
    for deb in "$apt"/debs/*.deb; do dpkg-deb -x "$deb" "$dir.tmp"; done
    echo "$llvm" >"$dir.tmp/.done"
    mv "$dir.tmp" "$dir"
  fi
  local llvm; llvm="$(cat "$dir/.done")"
  export LIBCLANG_PATH="$dir/usr/lib/llvm-$llvm/lib"
  export LD_LIBRARY_PATH="$dir/usr/lib/x86_64-linux-gnu:$LIBCLANG_PATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  # clang-sys (bindgen) loads only an unversioned name (`libclang.so` or `libclang-*.so`), and
  # the runtime package ships `libclang.so.1`: link the name it looks for.
  if [[ ! -e "$LIBCLANG_PATH/libclang.so" && -e "$LIBCLANG_PATH/libclang.so.1" ]]; then
    ln -s libclang.so.1 "$LIBCLANG_PATH/libclang.so"
  fi
  [[ -e "$LIBCLANG_PATH/libclang.so" ]] || die "no libclang.so in $LIBCLANG_PATH"
  # libclang looks for its own headers (stdbool.h, stddef.h) beside the file the loader resolved,
  # usr/lib/x86_64-linux-gnu, not where Debian puts them: name the resource directory for bindgen.
  local resource
  resource="$(find "$LIBCLANG_PATH/clang" -mindepth 1 -maxdepth 1 -type d | sort -V | tail -1)"
  [[ -f "$resource/include/stdbool.h" ]] || die "no clang resource headers under $LIBCLANG_PATH/clang"
  export BINDGEN_EXTRA_CLANG_ARGS="-resource-dir=$resource${BINDGEN_EXTRA_CLANG_ARGS:+ $BINDGEN_EXTRA_CLANG_ARGS}"
  step "libclang: LLVM $llvm unpacked in $dir (LIBCLANG_PATH=$LIBCLANG_PATH)"
}

build_validator() {
  if validator_ready; then
    step "validator: cached ($("$VALIDATOR" --version))"
    return
  fi
  command -v cargo >/dev/null || die "needs cargo"
  command -v g++ >/dev/null || die "needs a C++ compiler (g++) for RocksDB"
  libclang
  mkdir -p "$VROOT" "$(dirname "$CARGO_LOCK")"
  touch "$CARGO_LOCK"
  step "validator: cargo install agave-validator@$VALIDATOR_VERSION --bin solana-test-validator"
  step "validator: a cold build takes about 29 minutes on 2 cores (once; cached in $VROOT); cargo's progress follows"
  # Its own target dir (never the shared native one: other features and versions would churn it),
  # removed afterwards: only the 74 MB binary is kept.
  flock "$CARGO_LOCK" env CARGO_TARGET_DIR="$VROOT/build" \
    cargo install --locked "agave-validator@$VALIDATOR_VERSION" --bin solana-test-validator --root "$VROOT"
  rm -rf "$VROOT/build"
  validator_ready || die "the build finished but $VALIDATOR does not report $VALIDATOR_VERSION"
  step "validator: ready ($("$VALIDATOR" --version), $(du -h "$VALIDATOR" | cut -f1))"
}

case "$mode" in
  if-cached)
    if ! validator_ready; then
      echo "test-validator: SKIPPED — no cached solana-test-validator $VALIDATOR_VERSION in $VROOT/bin"
      echo "  (building it takes ~29 minutes cold; run scripts/test-validator.sh once to build and run it)"
      exit 0
    fi ;;
  build-only) build_validator; exit 0 ;;
  run) build_validator ;;
  localnet) ;;
esac

# --- the programs ----------------------------------------------------------------------------
if [[ "${FULCRUM_SKIP_SBF_BUILD:-}" == 1 ]]; then
  step "programs: FULCRUM_SKIP_SBF_BUILD=1, using target/deploy as it is"
elif [[ $mode != localnet ]]; then
  step "programs: scripts/build-sbf.sh --mock-pyth (fulcrum.so and mock_pyth.so)"
  scripts/build-sbf.sh --mock-pyth
fi
if [[ $mode != localnet ]]; then
  for so in fulcrum mock_pyth; do
    [[ -s "target/deploy/$so.so" ]] || die "target/deploy/$so.so is missing (scripts/build-sbf.sh --mock-pyth)"
  done
fi

# --- TypeScript ---------------------------------------------------------------------------------
step "npm ci (app/)"
(cd app && npm ci --no-audit --no-fund --loglevel=error)

source scripts/lib/chain.sh
chain_init

# Free ports: P and P+1 (JSON-RPC and its WebSocket, as both chains use), never 8899; and two
# more for the validator's faucet and gossip.
read -r port faucet_port gossip_port < <(python3 - <<'PY'
import socket
def free():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
for _ in range(200):
    p = free()
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 1)); ok = p != 8899 and p + 1 < 65535
    except OSError:
        ok = False
    b.close()
    if ok:
        others = set()
        while len(others) < 2:
            q = free()
            if q not in (p, p + 1):
                others.add(q)
        print(p, *sorted(others)); break
PY
)
url="http://127.0.0.1:$port"

if [[ $mode == localnet ]]; then
  step "chain: fulcrum-localnet --mock-pyth (rehearsal of the validator run; cargo's progress follows)"
  cargo build -p fulcrum-localnet
  "${CARGO_TARGET_DIR:-target}/debug/fulcrum-localnet" --rpc-port "$port" --mock-pyth >"$tmp/chain.log" 2>&1 &
  pids+=($!)
  ready_pattern="localnet: ready"
else
  step "chain: solana-test-validator on $url (WebSocket $((port + 1))), ledger in $tmp/ledger"
  # With TERM's default action restored: the validator has no handler of its own, so started with
  # TERM ignored (as a CI runner may pass down) it would outlive chain_stop's TERM.
  env --default-signal=TERM,INT "$VALIDATOR" --reset --quiet --ledger "$tmp/ledger" --bind-address 127.0.0.1 \
    --rpc-port "$port" --faucet-port "$faucet_port" --gossip-port "$gossip_port" \
    --bpf-program "$FULCRUM_ID" target/deploy/fulcrum.so \
    --bpf-program "$PYTH_LEGACY" target/deploy/mock_pyth.so \
    --bpf-program "$PYTH_RECEIVER" target/deploy/mock_pyth.so \
    >"$tmp/chain.log" 2>&1 &
  pids+=($!)
  ready_pattern=""
fi
chain_pid=${pids[-1]}
health() { curl -sf -m 2 -X POST -H 'content-type: application/json' \
  -d '{"jsonrpc":"2.0","id":1,"method":"getHealth"}' "$url" 2>/dev/null | grep -q '"ok"'; }
for i in $(seq 1 240); do
  if [[ -n "$ready_pattern" ]]; then grep -q "$ready_pattern" "$tmp/chain.log" 2>/dev/null && health && break
  else health && break; fi
  kill -0 "$chain_pid" 2>/dev/null || { tail -40 "$tmp/chain.log"; die "the chain exited before it was ready"; }
  (( i % 20 == 0 )) && step "chain: waiting for getHealth ($((i / 2)) s)"
  sleep 0.5
done
health || { tail -40 "$tmp/chain.log"; die "the chain did not become healthy within 120 s"; }
# The programs are there and executable.
for id in "$FULCRUM_ID" "$PYTH_LEGACY" "$PYTH_RECEIVER"; do
  curl -sf -X POST -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getAccountInfo\",\"params\":[\"$id\",{\"encoding\":\"base64\",\"dataSlice\":{\"offset\":0,\"length\":0}}]}" \
    "$url" | grep -q '"executable":true' || die "program $id is not deployed on the chain"
done
step "chain: healthy; Fulcrum and mock-pyth (at both Pyth ids) deployed"

step "bootstrap: the demo exchange through the SDK (app/scripts/bootstrap.ts; prices via mock-pyth)"
(cd app && node --import tsx scripts/bootstrap.ts --url "$url" --out "$tmp/deployment.json")
(cd app && exec node --import tsx scripts/bootstrap.ts --url "$url" --deployment "$tmp/deployment.json" --feed) >"$tmp/feeder.log" 2>&1 &
pids+=($!)
step "bootstrap: done; the mock-pyth feeder keeps the prices fresh (log: $tmp/feeder.log)"

step "tests: TypeScript unit + end-to-end suites against $url"
if ! (cd app && FULCRUM_RPC_URL="$url" FULCRUM_DEPLOYMENT="$tmp/deployment.json" \
  node --import tsx --test --test-force-exit --test-reporter=spec --test-concurrency=1 \
  test/*.test.ts "$ROOT"/tests/*.test.ts); then
  echo "--- feeder log (tail)"; tail -20 "$tmp/feeder.log" || true
  echo "--- chain log (tail)"; tail -40 "$tmp/chain.log" "$tmp/ledger/validator.log" 2>/dev/null || true
  die "the TypeScript suites failed against the chain"
fi

step "demo: scripts/demo-ts.sh against $url (keeper included)"
FULCRUM_DEMO_URL="$url" FULCRUM_DEPLOYMENT="$tmp/deployment.json" scripts/demo-ts.sh

step "passed ($([[ $mode == localnet ]] && echo "rehearsal on fulcrum-localnet --mock-pyth" || "$VALIDATOR" --version))"
