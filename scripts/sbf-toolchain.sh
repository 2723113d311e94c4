#!/usr/bin/env bash
# Builds the sBPF toolchain for Fulcrum from public packages, into a cache outside the clone
# (default ~/.cache/fulcrum/sbf; override with FULCRUM_SBF_CACHE). Idempotent: a finished step
# leaves a stamp and is skipped next time, so a warm run takes well under a second.
#
#   rust-src   exactly rustc's version, from Debian (trixie-backports serves 1.95.0), unpacked and
#              patched (scripts/sbf/patches/rust-std-*.patch) for target_os = "solana"
#   LLVM 23    Debian sid's libllvm23 with sid's runtime libraries unpacked beside it (libLLVM 23
#              needs a newer glibc than this machine's; it runs under sid's own ld.so)
#   linker     sbpf-linker from crates.io, built with scripts/sbf/patches/{sbpf,bpf}-linker-*.patch
#
# Packages are fetched with `apt-get download` under a private apt configuration and unpacked with
# `dpkg-deb -x`. Nothing is installed into the system and rustup is never touched: the machine's
# own rustc is used as it is, and the rust-src must equal its version or the script stops.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FULCRUM_SBF_CACHE:-$HOME/.cache/fulcrum/sbf}"
PATCHES="$ROOT/scripts/sbf/patches"
SBPF_LINKER_VERSION=0.2.6
BPF_LINKER_VERSION=0.13.0
LLVM_PKG=libllvm23
DEBIAN_MIRROR="${FULCRUM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Cargo's lock on the shared native target dir: every cargo run that uses another target dir
# takes it too, so builds from several checkouts queue instead of sharing two cores.
CARGO_LOCK="${FULCRUM_CARGO_LOCK:-$HOME/.cache/fulcrum/target/debug/.cargo-lock}"

START=$SECONDS
step() { printf '[sbf-toolchain %4ss] %s\n' "$((SECONDS - START))" "$*"; }
die() { printf 'sbf-toolchain: %s\n' "$*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg-deb patch cargo rustc flock python3; do
  command -v "$tool" >/dev/null || die "needs '$tool' on PATH"
done

RUSTC_VERSION="$(rustc -V | awk '{print $2}')"
[[ "$RUSTC_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "unexpected rustc version '$RUSTC_VERSION'"
mkdir -p "$CACHE" "$(dirname "$CARGO_LOCK")"
touch "$CARGO_LOCK"

# --- private apt configuration ------------------------------------------------------------------
APT="$CACHE/apt"
APT_OPTS=(
  -o "Dir::Etc::SourceList=$APT/sources.list" -o "Dir::Etc::SourceParts=$APT/sources.list.d"
  -o "Dir::Etc::Preferences=$APT/preferences" -o "Dir::Etc::PreferencesParts=$APT/preferences.d"
  -o "Dir::State=$APT/state" -o "Dir::State::Lists=$APT/lists" -o "Dir::State::status=$APT/status"
  -o "Dir::Cache=$APT/cache" -o "Dir::Log=$APT/log" -o "Debug::NoLocking=1"
  -o "APT::Architecture=amd64" -o "APT::Architectures::=amd64" -o "Acquire::Languages=none"
  -o "APT::Sandbox::User=root" -o "APT::Get::AllowUnauthenticated=false"
)
apt_ready=0
apt_update() {
  [[ $apt_ready == 1 ]] && return
  mkdir -p "$APT"/{sources.list.d,preferences.d,state,lists/partial,cache/archives/partial,log,debs}
  : >"$APT/status"
  : >"$APT/preferences"
  local key=/usr/share/keyrings/debian-archive-keyring.gpg
  [[ -f $key ]] || die "needs the Debian archive keyring ($key)"
  cat >"$APT/sources.list" <<EOF
deb [signed-by=$key] $DEBIAN_MIRROR trixie-backports main
deb [signed-by=$key] $DEBIAN_MIRROR sid main
EOF
  step "apt: reading the package lists of trixie-backports and sid (private configuration in $APT)"
  apt-get "${APT_OPTS[@]}" -q update >"$APT/log/update.log" 2>&1 || {
    tail -20 "$APT/log/update.log" >&2
    die "apt-get update failed (log: $APT/log/update.log)"
  }
  apt_ready=1
}
# Downloads package specs ("name", "name=version", "name/suite") into $APT/debs.
apt_download() {
  (cd "$APT/debs" && apt-get "${APT_OPTS[@]}" -q download "$@") >>"$APT/log/download.log" 2>&1 || {
    tail -20 "$APT/log/download.log" >&2
    die "apt-get download $* failed (log: $APT/log/download.log)"
  }
}

# --- 1. rust-src equal to rustc ------------------------------------------------------------------
RUST_SRC="$CACHE/rust-src-$RUSTC_VERSION"
if [[ -f "$RUST_SRC/.done" ]]; then
  step "rust-src $RUSTC_VERSION: cached ($(cat "$RUST_SRC/.done"))"
else
  apt_update
  step "rust-src: looking for Debian's rust-src $RUSTC_VERSION (rustc here is $RUSTC_VERSION)"
  mapfile -t offered < <(apt-cache "${APT_OPTS[@]}" madison rust-src | awk -F'|' '{gsub(/ /,"",$2); print $2}')
  ver=""
  for v in "${offered[@]}"; do
    upstream="${v#*:}"; upstream="${upstream%%[+~-]*}"
    if [[ "$upstream" == "$RUSTC_VERSION" ]]; then ver="$v"; break; fi
  done
  [[ -n "$ver" ]] || die "rust-src must equal rustc's version exactly: rustc is $RUSTC_VERSION, but the \
archives offer rust-src ${offered[*]:-none}. Add a suite serving rust-src $RUSTC_VERSION, or use the rustc \
whose version one of these is (this script never changes the machine's toolchain)."
  step "rust-src: downloading rust-src=$ver"
  rm -f "$APT"/debs/rust-src_*.deb
  apt_download "rust-src=$ver"
  rm -rf "$RUST_SRC" "$RUST_SRC.tmp"
  mkdir -p "$RUST_SRC.tmp/raw"
  dpkg-deb -x "$APT"/debs/rust-src_*.deb "$RUST_SRC.tmp/raw"
  lib="$(ls -d "$RUST_SRC.tmp"/raw/usr/src/rustc-*/library | head -1)"
  [[ -d "$lib/std" ]] || die "rust-src package has no library/std"
  # A patched copy: the unpacked package stays as shipped.
  mkdir -p "$RUST_SRC.tmp/patched"
  cp -a "$lib" "$RUST_SRC.tmp/patched/library"
  for p in "$PATCHES"/rust-std-*.patch; do
    step "rust-src: applying $(basename "$p")"
    patch -s -p1 -d "$RUST_SRC.tmp/patched" <"$p" || die "$(basename "$p") does not apply to rust-src $ver"
  done
  echo "$ver" >"$RUST_SRC.tmp/.done"
  mv "$RUST_SRC.tmp" "$RUST_SRC"
  step "rust-src: ready ($RUST_SRC/patched/library)"
fi

# --- 2. LLVM 23 and sid's runtime ----------------------------------------------------------------
SYSROOT="$CACHE/llvm"
if [[ -f "$SYSROOT/.done" ]]; then
  step "LLVM: cached ($(cat "$SYSROOT/.done"))"
else
  apt_update
  step "LLVM: resolving $LLVM_PKG and its runtime dependencies in sid"
  mapfile -t pkgs < <(apt-cache "${APT_OPTS[@]}" depends --recurse --no-recommends --no-suggests \
    --no-conflicts --no-breaks --no-replaces --no-enhances "$LLVM_PKG/sid" |
    grep -v '^ ' | grep -v '^<' | sort -u)
  [[ ${#pkgs[@]} -gt 0 ]] || die "sid does not serve $LLVM_PKG"
  step "LLVM: downloading ${#pkgs[@]} packages: ${pkgs[*]}"
  rm -rf "$APT/debs/llvm"; mkdir -p "$APT/debs/llvm"
  (cd "$APT/debs/llvm" && apt-get "${APT_OPTS[@]}" -q download "${pkgs[@]/%//sid}") >>"$APT/log/download.log" 2>&1 || {
    tail -20 "$APT/log/download.log" >&2; die "downloading LLVM packages failed"; }
  rm -rf "$SYSROOT" "$SYSROOT.tmp"; mkdir -p "$SYSROOT.tmp"
  for deb in "$APT"/debs/llvm/*.deb; do dpkg-deb -x "$deb" "$SYSROOT.tmp"; done
  ls "$SYSROOT.tmp"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 >/dev/null 2>&1 ||
    die "sid's libc6 did not unpack a loader"
  llvm_ver="$(ls "$APT"/debs/llvm/${LLVM_PKG}_*.deb | sed 's/.*_\(.*\)_amd64.deb/\1/; s/%3a/:/')"
  echo "$LLVM_PKG $llvm_ver" >"$SYSROOT.tmp/.done"
  mv "$SYSROOT.tmp" "$SYSROOT"
  step "LLVM: ready ($LLVM_PKG $llvm_ver)"
fi
LIBLLVM="$(find "$SYSROOT/usr/lib" -name 'libLLVM.so.*' | sort | head -1)"
[[ -n "$LIBLLVM" ]] || die "no libLLVM.so in $SYSROOT"
LIBPATH="$(dirname "$LIBLLVM"):$SYSROOT/usr/lib/x86_64-linux-gnu:$SYSROOT/lib/x86_64-linux-gnu"

# --- 3. sbpf-linker, patched ---------------------------------------------------------------------
LINKER="$CACHE/bin/sbpf-linker"
if [[ -f "$CACHE/bin/.linker-done" ]] && [[ "$(cat "$CACHE/bin/.linker-done")" == "$SBPF_LINKER_VERSION" ]]; then
  step "sbpf-linker $SBPF_LINKER_VERSION: cached"
else
  SRC="$CACHE/src"
  rm -rf "$SRC"; mkdir -p "$SRC/fetch/src"
  step "sbpf-linker: fetching sbpf-linker $SBPF_LINKER_VERSION and bpf-linker $BPF_LINKER_VERSION from crates.io"
  cat >"$SRC/fetch/Cargo.toml" <<EOF
[package]
name = "fetch-sbf-linker-sources"
version = "0.0.0"
edition = "2021"
[dependencies]
bpf-linker = "=$BPF_LINKER_VERSION"
sbpf-linker = "=$SBPF_LINKER_VERSION"
[workspace]
EOF
  : >"$SRC/fetch/src/lib.rs"
  # cargo's ordinary registry client unpacks both crates; the sources are copied and patched.
  (cd "$SRC/fetch" && cargo fetch -q 2>/dev/null) || die "cargo fetch of the linker sources failed"
  for crate in bpf-linker sbpf-linker; do
    dir="$(cargo metadata -q --format-version 1 --manifest-path "$SRC/fetch/Cargo.toml" 2>/dev/null |
      python3 -c "import json,sys,os; print(os.path.dirname(next(p['manifest_path'] for p in json.load(sys.stdin)['packages'] if p['name']=='$crate')))")"
    cp -a "$dir" "$SRC/$crate"
  done
  patch -s -p1 -d "$SRC/bpf-linker" <"$PATCHES/bpf-linker-$BPF_LINKER_VERSION-lower-atomic.patch"
  patch -s -p1 -d "$SRC/sbpf-linker" <"$PATCHES/sbpf-linker-$SBPF_LINKER_VERSION-v0-stack-args.patch"
  cat >>"$SRC/sbpf-linker/Cargo.toml" <<EOF

[patch.crates-io]
bpf-linker = { path = "../bpf-linker" }
EOF
  step "sbpf-linker: building (about 2.5 minutes on 2 cores; waits for other cargo builds first)"
  flock "$CARGO_LOCK" cargo build --release --manifest-path "$SRC/sbpf-linker/Cargo.toml" \
    --target-dir "$CACHE/build/linker-target"
  mkdir -p "$CACHE/bin"
  cp "$CACHE/build/linker-target/release/sbpf-linker" "$LINKER"
  echo "$SBPF_LINKER_VERSION" >"$CACHE/bin/.linker-done"
  step "sbpf-linker: ready ($LINKER)"
fi

# --- 4. the linker wrapper and the environment file the build script reads ------------------------
LD_SO="$SYSROOT/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
cat >"$CACHE/bin/sbf-ld" <<EOF
#!/usr/bin/env bash
# Generated by scripts/sbf-toolchain.sh. rustc calls this as the linker of the sBPF target.
# Only the program's own cdylib (lib\$FULCRUM_SBF_PROGRAM.so) is linked: dependency crates that
# also declare a cdylib cannot be linked on their own (no entrypoint), and nothing uses them.
out=""; prev=""
for a in "\$@"; do [[ "\$prev" == "-o" ]] && out="\$a"; prev="\$a"; done
if [[ -n "\$out" && "\$(basename "\$out")" != "lib\${FULCRUM_SBF_PROGRAM:-fulcrum}.so" ]]; then
  : >"\$out"; exit 0
fi
export LD_LIBRARY_PATH="$LIBPATH"
# FULCRUM_SBF_ASM=1: also write the assembly listing (<out>.s, with function names) that
# scripts/sbf/stackscan.py --asm reads for the frame of every function.
if [[ "\${FULCRUM_SBF_ASM:-}" == 1 && -n "\$out" ]]; then
  args=(); prev=""
  for a in "\$@"; do
    if [[ "\$prev" == "-o" ]]; then args+=("\$out.s"); else args+=("\$a"); fi
    prev="\$a"
  done
  "$LD_SO" --library-path "$LIBPATH" "$LINKER" "\${args[@]}" --emit asm || echo "sbf-ld: no assembly listing" >&2
fi
exec "$LD_SO" --library-path "$LIBPATH" "$LINKER" "\$@"
EOF
chmod +x "$CACHE/bin/sbf-ld"
cat >"$CACHE/env" <<EOF
# Generated by scripts/sbf-toolchain.sh; read by scripts/build-sbf.sh.
SBF_RUST_SRC="$RUST_SRC/patched/library"
SBF_LINKER="$CACHE/bin/sbf-ld"
SBF_RUSTC_VERSION="$RUSTC_VERSION"
SBF_RUST_SRC_PACKAGE="rust-src $(cat "$RUST_SRC/.done")"
SBF_LLVM_PACKAGE="$(cat "$SYSROOT/.done")"
SBF_LINKER_VERSION="sbpf-linker $SBPF_LINKER_VERSION (patched)"
EOF
"$CACHE/bin/sbf-ld" --version >/dev/null 2>&1 || {
  "$CACHE/bin/sbf-ld" --version || true
  die "the linker does not start under sid's loader"
}
step "toolchain ready in $CACHE ($(cat "$SYSROOT/.done"); rust-src $(cat "$RUST_SRC/.done"); sbpf-linker $SBPF_LINKER_VERSION)"
