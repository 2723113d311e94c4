#!/usr/bin/env python3
"""Per-phase compute units from a `cu-profile` build's logs (benchmarks/cu-profile.sh).

Each log is one measured instruction (programs/fulcrum/tests/program/compute_units.rs writes
them under FULCRUM_CU_PROFILE): its first line "<scenario>\\t<label>", then the transaction's
log. The marks (crates/risk/src/profile.rs) are "Program log: cu> X" (ends phase X of the
current level), "cu+ Y" / "cu- Y" (a nested span Y: its units are its own, each "cu-" one
call), each followed by "Program consumption: N units remaining". Every segment between two
marks holds one mark's own cost, measured by the pair of marks at entry ("(one mark)") and
subtracted; the marks' total is reported apart, so the phases add up to the instruction as
built without the feature (within a few units: the marks move code around).

usage: cu_profile.py <dir> [<scenario>\\t<label> ...]   (markdown to stdout)
"""
import re
import sys
from pathlib import Path

FULCRUM = "FuLcMkoFUKUPH5wzGiZRs744Zee4krNbRMQhdZHyLUVL"
MARK = re.compile(r"^Program log: cu([>+-]) (.*)$")
LEFT = re.compile(r"^Program consumption: (\d+) units remaining$")
CONSUMED = re.compile(rf"^Program {FULCRUM} consumed (\d+) of (\d+) compute units$")
INVOKE = f"Program {FULCRUM} invoke [1]"


def profile(lines):
    """(phases [(label, units)], spans {label: [calls, units]}, marks units, consumed)."""
    start = max(i for i, l in enumerate(lines) if l == INVOKE)
    lines = lines[start:]
    consumed, budget = next((int(m[1]), int(m[2])) for l in lines if (m := CONSUMED.match(l)))
    events = []
    pending_mark = None
    for l in lines:
        if m := MARK.match(l):
            pending_mark = (m[1], m[2])
        elif (m := LEFT.match(l)) and pending_mark:
            events.append((*pending_mark, int(m[1])))
            pending_mark = None
    # The mark's own cost: the segment between the two entry marks.
    overhead = next(events[i - 1][2] - e[2] for i, e in enumerate(events) if e[1] == "(one mark)")
    phases, spans, order = {}, {}, []
    stack = [0]
    prev = budget
    n_marks = 0
    for kind, label, left in events:
        delta = prev - left - overhead
        prev = left
        n_marks += 1
        stack[-1] += delta
        if label == "(one mark)":
            stack[-1] = 0
            continue
        if kind == ">":
            if label not in phases:
                order.append(label)
            phases[label] = phases.get(label, 0) + stack[-1]
            stack[-1] = 0
        elif kind == "+":
            stack.append(0)
        else:
            s = spans.setdefault(label, [0, 0])
            s[0] += 1
            s[1] += stack.pop()
    tail = prev - (budget - consumed)
    order.append("exit (return, account write-back)")
    phases["exit (return, account write-back)"] = tail
    marks = n_marks * overhead
    return [(l, phases[l]) for l in order], spans, marks, consumed


def main():
    d = Path(sys.argv[1])
    wanted = sys.argv[2:]
    logs = {}
    for f in sorted(d.glob("*.log")):
        lines = f.read_text().splitlines()
        logs[lines[0]] = lines[1:]
    for name in wanted or sorted(logs):
        if name not in logs:
            print(f"*(no log for {name!r})*\n")
            continue
        phases, spans, marks, consumed = profile(logs[name])
        total = consumed - marks
        scenario, label = name.split("\t")
        print(f"#### {scenario}: `{label}` — {total:,} CU without the marks\n")
        print("| Phase | CU | Share |")
        print("|---|---:|---:|")
        for l, u in phases:
            print(f"| {l} | {u:,} | {100 * u / total:.1f} % |")
        for l, (calls, u) in spans.items():
            print(f"| ↳ {l} (×{calls}, {u // max(calls, 1):,} each) | {u:,} | {100 * u / total:.1f} % |")
        print()


if __name__ == "__main__":
    main()
