#!/usr/bin/env python3
"""Writes docs/compute-units.md from the rows benchmarks/compute-units.sh collects.

usage: compute_units_doc.py <rows dir> <fulcrum.so>   (Markdown on stdout)
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROFILE = os.path.join(ROOT, "benchmarks/cu-profile")
SCENARIOS = ["one position", "full 8+8 cross", "full 8+8 portfolio"]

# Issue 14's baseline (upstream LLVM, main of that day) and issue 15's goals.
BASELINE = {
    "place_perp_trade, one position (open)": "17,508",
    "place_perp_trade, one position (close)": "12,890",
    "place_perp_trade, full 8 + 8": "88,671",
    "withdraw, full 8 + 8": "92,936",
    "withdraw, empty account": "16,758",
    "8 + 8 cross margin check (full − empty withdraw)": "≈ 76,000",
    "liquidate_perp (max, portfolio)": "186,324",
    "deposit": "15,186",
    "crank_market": "7,465",
    "lp_deposit": "30,696",
    ".so size": "1.57 MB",
}


def load(rows_dir, files=None):
    rows = {}
    for f in files or sorted(os.listdir(rows_dir)):
        for line in open(os.path.join(rows_dir, f)):
            scenario, label, cu = line.rstrip("\n").split("\t")
            rows.setdefault(scenario, []).append((label, int(cu)))
    return rows


def env():
    path = os.path.expanduser(os.environ.get("FULCRUM_SBF_CACHE", "~/.cache/fulcrum/sbf")) + "/env"
    out = {}
    if os.path.exists(path):
        for line in open(path):
            m = re.match(r'(\w+)="(.*)"', line.strip())
            if m:
                out[m.group(1)] = m.group(2)
    return out


def handlers():
    src = open(os.path.join(ROOT, "programs/fulcrum/src/lib.rs")).read()
    body = src[src.index("#[program]"):]
    return re.findall(r"pub fn (\w+)", body)


def fig(rows, scenario, prefix):
    for label, cu in rows.get(scenario, []):
        if label == prefix or label.startswith(prefix + " ("):
            return cu
    return None


def main():
    rows_dir, so = sys.argv[1], sys.argv[2]
    rows = load(rows_dir)
    # Issue 15's starting point (main at 05f9940), per row.
    before_rows = load(PROFILE, ["before.tsv"])
    before = {(s, l): cu for s, ls in before_rows.items() for l, cu in ls}
    e = env()
    size = os.path.getsize(so)
    scan = [sys.executable, os.path.join(ROOT, "scripts/sbf/stackscan.py"), so]
    listing = so[:-3] + ".s"
    if os.path.exists(listing):
        scan += ["--asm", listing]
    stack = subprocess.run(scan + ["--markdown", "--handlers", ",".join(handlers())],
                           capture_output=True, text=True, check=False).stdout
    top = subprocess.run(scan + ["--top", "8"], capture_output=True, text=True, check=False).stdout

    fmt = lambda v: "—" if v is None else f"{v:,}"
    diff = lambda a, b: None if a is None or b is None else a - b

    def goals(rows):
        empty_withdraw = fig(rows, "one position", "withdraw (no position)")
        full = [cu for s in SCENARIOS[1:] for _, cu in rows.get(s, [])]
        liq_full = [v for v in (fig(rows, s, "liquidate_perp") for s in SCENARIOS[1:]) if v is not None]
        return [
            diff(fig(rows, "full 8+8 cross", "withdraw"), empty_withdraw),
            diff(fig(rows, "full 8+8 portfolio", "withdraw"), empty_withdraw),
            fig(rows, "one position", "place_perp_trade (open)"),
            max(liq_full) if liq_full else None,
            max(full) if full else None,
        ]

    p = print
    p("# Compute units in the Solana VM")
    p()
    p("Measured by `benchmarks/compute-units.sh`: Fulcrum built for the VM by `scripts/build-sbf.sh`")
    p("(sBPF v0), loaded by `solana-program-test` into the real BPF loader and VM (Agave 3.1), every")
    p("figure read from the VM's own `consumed N of M compute units` log line of the instruction.")
    p("The scenarios are `programs/fulcrum/tests/program/compute_units.rs`; they double as budget")
    p("tests in the VM suite: every instruction on a full account ≤ 100,000 (issue 15's goal), the")
    p("others ≤ 200,000 (the default per instruction), and the goals not met yet (its `MISSED_GOALS`)")
    p("each under a ceiling just above the figure measured when issue 15 closed, with the profile")
    p("below explaining where the units go.")
    over = [(s, l, cu) for s in rows for l, cu in rows[s] if cu > 200_000]
    if over:
        p()
        p("**Above the 200,000 default today** (a transaction must request more units with a")
        p("compute-budget instruction, or it fails): " + "; ".join(f"{l} on the {s} account, {cu:,}" for s, l, cu in over) + ".")
    p()
    p("**Toolchain: upstream LLVM, not Solana's fork.** rustc "
      f"{e.get('SBF_RUSTC_VERSION', '?')} with `-Zbuild-std` ({e.get('SBF_RUST_SRC_PACKAGE', 'rust-src')}), "
      f"Debian's {e.get('SBF_LLVM_PACKAGE', 'libllvm23')} through {e.get('SBF_LINKER_VERSION', 'sbpf-linker')}. "
      "`cargo build-sbf` (platform-tools, Solana's LLVM fork, its own memcpy and 128-bit routines) "
      "may give different absolute figures; these are right for budgets, comparisons and before/after.")
    p()
    p(f"`.so`: {size:,} bytes ({size / 1e6:.2f} MB).")
    p()
    p("## Issue 15's goals: before and after")
    p()
    names = [
        ("8 + 8 cross margin check (full − empty `withdraw`)", 20_000, "≈ 76,000"),
        ("8 + 8 portfolio margin check (full − empty `withdraw`)", 35_000, "—"),
        ("`place_perp_trade`, one position (open)", 10_000, "17,508"),
        ("`liquidate_perp`, full 8 + 8 (max of cross, portfolio)", 60_000, "186,324 (portfolio, max)"),
        ("every instruction on a full account (max)", 100_000, "186,324"),
    ]
    met = lambda v, target: "—" if v is None else ("met" if v <= target else "missed")
    p("| Goal (issue 15) | Target | Issue 14 | Before (issue 15) | After | |")
    p("|---|---:|---:|---:|---:|---|")
    for (name, target, issue14), b, a in zip(names, goals(before_rows), goals(rows)):
        p(f"| {name} | ≤ {target:,} | {issue14} | {fmt(b)} | {fmt(a)} | {met(a, target)} |")
    p(f"| `.so` size | ≤ 800 KB | 1,570 KB | 2,281 KB | {size / 1e3:,.0f} KB | {met(size, 800_000)} |")
    p()
    notes = os.path.join(PROFILE, "closing-note.md")
    if os.path.exists(notes):
        p(open(notes).read().rstrip())
        p()
    p("## Every instruction measured")
    p()
    for s in SCENARIOS + [s for s in rows if s not in SCENARIOS]:
        if s not in rows:
            continue
        p(f"### {s}")
        p()
        p("| Instruction | Before (issue 15) | Compute units |")
        p("|---|---:|---:|")
        for label, cu in rows[s]:
            name, _, note = label.partition(" (")
            p(f"| `{name}`{' (' + note if note else ''} | {fmt(before.get((s, label)))} | {cu:,} |")
        p()
    p("Scenarios: *one position*: one SOL-PERP position against quote collateral (two markets, one")
    p("bank listed; the collateral liquidation and the bankruptcy on accounts of their own). *full 8 + 8*:")
    p("8 collateral balances and 8 perps alternately long and short, about 9× levered, every")
    p("instruction through a v0 transaction with a lookup table; the liquidations after every perp")
    p("moved against it (8–14 %) to below maintenance; the collateral liquidation (allowed only")
    p("once no perp is open) on a second account with all 8 collateral balances and a realised")
    p("loss. Admin instructions (`initialize_exchange`, `add_*`, `update_*`, `set_paused`,")
    p("insurance) run once per listing and are not measured. Figures move a little between runs")
    p("with the run's random keys: by a few thousand units where a PDA is derived on chain (the")
    p("bump search: `create_margin_account`, `set_correlations`), by under a hundred elsewhere.")
    p()
    p("## Where the units go: the profile")
    p()
    p("`benchmarks/cu-profile.sh [before|after]` builds Fulcrum with the `cu-profile` feature")
    p("(`crates/risk/src/profile.rs`: marks that log the units left at phase boundaries, off in every")
    p("normal build), runs the same scenarios and attributes the units between marks")
    p("(`benchmarks/cu_profile.py`). A phase is everything since the previous mark of its level; an")
    p("indented span (↳) is a nested computation with its call count, its units not in any phase.")
    p("One mark's own cost (≈ 210 units) is measured at entry and subtracted; the marks still keep")
    p("the compiler from moving code across them, so a total is a few percent above the instruction")
    p("built without them (the tables above). The profiles name where the units go, not budgets.")
    for name, title in (("before", "Before (issue 15's starting point)"), ("after", "After")):
        path = os.path.join(PROFILE, f"{name}.md")
        if os.path.exists(path):
            p()
            p(f"### {title}")
            p()
            p(open(path).read().rstrip())
    p()
    p("## Stack: the largest frame per instruction handler")
    p()
    p("sBPF v0 gives every call a 4,096-byte frame; `scripts/build-sbf.sh` fails the build above it")
    p("(`scripts/sbf/stackscan.py`, the deepest r10-relative access of each function). Per handler:")
    p("the largest frame among the functions whose path names the instruction (after inlining);")
    p("shared callees are listed once under \"Deepest frames overall\" (`mark_pool`, called by `lp_deposit` and")
    p("`lp_withdraw`, and `load_holdings`, by every margin check).")
    p()
    p(stack.rstrip())
    p()
    p("Deepest frames overall:")
    p()
    p("```")
    p(top.rstrip())
    p("```")


if __name__ == "__main__":
    main()
