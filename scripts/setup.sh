#!/usr/bin/env bash
# Checks and installs what Fulcrum needs on a fresh machine. Idempotent.
# Rust (cargo, rustc, clippy, rustfmt) comes from the machine's toolchain; this script never
# installs or switches toolchains. It installs the Debian packages the tools use.
set -euo pipefail
need() { command -v "$1" >/dev/null 2>&1; }
for tool in cargo rustc python3; do
  need "$tool" || { echo "setup: '$tool' is required (install Rust from rustup.rs, Python 3)"; exit 1; }
done
cargo fmt --version >/dev/null 2>&1 || { echo "setup: rustfmt is required (rustup component add rustfmt)"; exit 1; }
cargo clippy --version >/dev/null 2>&1 || { echo "setup: clippy is required (rustup component add clippy)"; exit 1; }
# valgrind is only for benchmarks/callgrind.sh; gcc/pkg-config for native -sys crates.
missing=()
for pkg in gcc pkg-config valgrind; do need "$pkg" || missing+=("$pkg"); done
# patch: scripts/sbf-toolchain.sh applies the sBPF patches; c++filt (binutils): function names
# in the stack report of scripts/build-sbf.sh --asm.
need patch || missing+=(patch)
need c++filt || missing+=(binutils)
# fonts-dejavu-core: the TrueType font crates/sim loads at run time for plot text (no build-time
# system library; without it the plots are drawn without text).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
# chromium: the dashboard's browser tests (app/test-browser) drive Debian's Chromium through
# playwright-core (Playwright's own browser download is not used).
need chromium || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && need apt-get; then
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: please install: ${missing[*]}"
  fi
fi
if ! { need node && need npm; } && [ "$(id -u)" = 0 ] && need apt-get; then
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null || true
fi
need node && need npm || { echo "setup: Node.js 20+ and npm are required (app/: SDK, keeper, CLI)"; exit 1; }
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || { echo "setup: Node.js 20+ is required"; exit 1; }
echo "setup: ok ($(cargo --version), node $(node --version))"
