#!/usr/bin/env python3
"""Builds Fulcrum's Anchor IDL from the program itself, without the Anchor CLI.

Runs the program's `idl-build` print tests (the same `cargo test __anchor_private_print_idl
--features idl-build` that `anchor idl build` runs) and assembles their output the way
anchor-lang-idl's builder does, with type paths shortened to their names. It does not set
RUSTFLAGS, so the normal build cache stays valid.

  scripts/idl.py            write target/idl/fulcrum.json and idl/fulcrum.json
  scripts/idl.py --check    fail if idl/fulcrum.json is not what the program generates
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "idl", "fulcrum.json")
CHECKED_IN = os.path.join(ROOT, "idl", "fulcrum.json")


def run_print_tests():
    env = dict(os.environ)
    env.pop("RUSTUP_TOOLCHAIN", None)  # else the builder convention would call rustup
    env.update(ANCHOR_IDL_BUILD_NO_DOCS="FALSE", ANCHOR_IDL_BUILD_RESOLUTION="TRUE",
               ANCHOR_IDL_BUILD_SKIP_LINT="TRUE",
               ANCHOR_IDL_BUILD_PROGRAM_PATH=os.path.join(ROOT, "programs", "fulcrum"))
    cmd = ["cargo", "test", "-q", "-p", "fulcrum", "--lib", "--features", "idl-build",
           "__anchor_private_print_idl", "--", "--show-output", "--test-threads=1"]
    p = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.stdout.write(p.stdout)
        sys.exit("idl: the idl-build print tests failed")
    return p.stdout


def assemble(stdout):
    sections, state, lines = [], None, []
    for line in stdout.splitlines():
        m = re.fullmatch(r"--- IDL begin (\w+) ---", line)
        if state is None and m:
            state, lines = m.group(1), []
            continue
        if state is not None:
            if state == "address":
                sections.append(("address", re.sub(r"[^0-9A-Za-z]", "", line)))
                state = None
            elif line == f"--- IDL end {state} ---":
                sections.append((state, json.loads("\n".join(lines))))
                state = None
            else:
                lines.append(line)
    idl, types, events, consts, errors, address = None, {}, [], [], [], ""
    for kind, value in sections:
        if kind == "program":
            idl = value
        elif kind == "address":
            address = value
        elif kind == "event":
            events.append(value["event"])
            for t in value["types"]:
                types[t["name"]] = t
        elif kind == "const":
            consts.append(value)
        elif kind == "errors":
            errors = value
    if idl is None:
        sys.exit("idl: no program section in the output")
    for t in idl.get("types", []):
        types[t["name"]] = t
    idl["address"] = address
    idl["constants"] = consts
    idl["events"] = events
    idl["errors"] = errors
    idl["types"] = list(types.values())
    return shorten_paths(idl)


def shorten_paths(idl):
    """`fulcrum::instructions::place_perp_trade::Side` -> `Side` (names are unique here)."""
    text = json.dumps(idl)
    text = re.sub(r'"(?:[A-Za-z_][A-Za-z0-9_]*::)+([A-Za-z_][A-Za-z0-9_]*)"', r'"\1"', text)
    idl = json.loads(text)
    for key in ("instructions", "accounts", "events", "types", "constants"):
        if key in idl:
            idl[key] = sorted(idl[key], key=lambda x: x["name"])
    return idl


def main():
    idl = assemble(run_print_tests())
    text = json.dumps(idl, indent=2) + "\n"
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write(text)
    if "--check" in sys.argv:
        try:
            current = open(CHECKED_IN).read()
        except FileNotFoundError:
            current = ""
        if current != text:
            sys.exit("idl: idl/fulcrum.json is stale; run scripts/idl.py and commit it")
        print(f"idl: idl/fulcrum.json is current ({len(idl['instructions'])} instructions)")
    else:
        with open(CHECKED_IN, "w") as f:
            f.write(text)
        print(f"idl: wrote {OUT} and {CHECKED_IN}")


if __name__ == "__main__":
    main()
