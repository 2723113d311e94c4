#!/usr/bin/env python3
"""No function in the program longer than 80 lines (issue 19): a handler that does not fit on a
screen is split into load -> change -> check. Counts from the `fn` line to its closing brace
(doc comments and attributes not counted; comments and blank lines inside are). Prints the
longest functions; exits 1 naming each one over the limit.

    scripts/lib/fn-length.py [DIR ...]      (default: programs/fulcrum/src)
"""
import pathlib
import re
import sys

LIMIT = 80
FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(unsafe\s+)?(extern\s+\"[^\"]*\"\s+)?fn\s+(\w+)")


def code(line):
    """The line without its comment and with string and char literals emptied (their braces)."""
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(\\.|[^'\\])'", "''", line)
    return re.sub(r"//.*", "", line)


def functions(path):
    lines = path.read_text().split("\n")
    for start, line in enumerate(lines):
        m = FN.match(line)
        if not m:
            continue
        depth, opened = 0, False
        for end in range(start, len(lines)):
            text = code(lines[end])
            for ch in text:
                if ch == "{":
                    depth, opened = depth + 1, True
                elif ch == "}":
                    depth -= 1
            if opened and depth == 0:
                yield end - start + 1, f"{path}:{start + 1}", m.group(6)
                break
            if not opened and text.rstrip().endswith(";"):
                break  # a declaration without a body


def main(dirs):
    found = sorted((f for d in dirs for p in sorted(pathlib.Path(d).rglob("*.rs")) for f in functions(p)), reverse=True)
    if not found:
        sys.exit(f"fn-length: no functions found under {' '.join(dirs)}")
    over = [f for f in found if f[0] > LIMIT]
    for n, where, name in over:
        print(f"fn-length: {name} ({where}) is {n} lines, over {LIMIT}: split it", file=sys.stderr)
    n, where, name = found[0]
    print(f"fn-length: {len(found)} functions, the longest {name} ({where}) {n} lines (limit {LIMIT})")
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main(sys.argv[1:] or ["programs/fulcrum/src"])
