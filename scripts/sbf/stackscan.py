#!/usr/bin/env python3
"""Stack frames of an sBPF v0 program: the deepest r10-relative access of every function.

sBPF v0 gives each call a fixed 4,096-byte frame below r10; a function that reaches deeper
overwrites its caller's frame gap and the VM stops it. This reads the ELF's .text and symbol
table, and for each function takes the deepest r10-relative load/store (and stack address taken
as `rX = r10; rX += -N`). Prints the largest frames, optionally the largest per instruction
handler (--handlers a,b,c: functions whose demangled path names the instruction), and exits 1 if
any frame exceeds --limit.
"""
import argparse
import re
import struct
import subprocess
import sys


def sections(data):
    shoff, = struct.unpack_from('<Q', data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3a)
    secs = [struct.unpack_from('<IIQQQQIIQQ', data, shoff + i * shentsize) for i in range(shnum)]
    strtab = secs[shstrndx]

    def name(off):
        start = strtab[4] + off
        return data[start:data.index(b'\0', start)].decode()

    return [(name(s[0]),) + s for s in secs]


def symbols(data, secs, text_addr, text_end):
    out = []
    for sname, _n, stype, _f, _addr, off, size, link, _i, _al, entsize in secs:
        if stype not in (2, 11):  # SYMTAB, DYNSYM
            continue
        stroff = secs[link][5]
        for k in range(size // entsize):
            st_name, st_info, _o, _shndx, value, ssize = struct.unpack_from('<IBBHQQ', data, off + k * entsize)
            if st_info & 0xf != 2 or not (text_addr <= value < text_end):  # STT_FUNC in .text
                continue
            nm = data[stroff + st_name:data.index(b'\0', stroff + st_name)].decode(errors='replace')
            out.append((value, ssize, nm))
        if out:
            break  # prefer .symtab (listed first when present)
    return sorted(set(out))


def demangle(sym):
    """Rust legacy mangling (_ZN...E) to a path; other names unchanged."""
    m = re.match(r'_ZN(.*)E$', sym)
    if not m:
        return sym
    s, parts = m.group(1), []
    while s and s[0].isdigit():
        n = re.match(r'\d+', s).group(0)
        s = s[len(n):]
        parts.append(s[:int(n)])
        s = s[int(n):]
    if parts and re.fullmatch(r'h[0-9a-f]{16}', parts[-1]):
        parts.pop()
    path = '::'.join(parts)
    for a, b in (('$LT$', '<'), ('$GT$', '>'), ('$u20$', ' '), ('$C$', ','), ('$RF$', '&'),
                 ('$BP$', '*'), ('..', '::'), ('$u7b$', '{'), ('$u7d$', '}')):
        path = path.replace(a, b)
    return path


# sBPF v0 passes the 6th and later arguments on the stack: the caller stores them past its own
# frame (sbpf-linker's v0 rewrite), where the callee loads them at r10 - 4096 + 8k. Those loads
# are not the callee's frame. LLVM refuses a real frame above --bpf-stack-size at link time.
INCOMING_ARG_SLOTS = 8


def frame_depth(text, start, end):
    deep, alias = 0, set()
    i = start
    while i < end:
        op, regs, off, imm = struct.unpack_from('<BBhi', text, i)
        dst, src = regs & 0xf, regs >> 4
        cls = op & 7
        if cls == 1 and src == 10 and -4096 <= off < -4096 + 8 * INCOMING_ARG_SLOTS:
            pass  # a stack argument passed by the caller (see INCOMING_ARG_SLOTS)
        elif (cls == 1 and src == 10) or (cls in (2, 3) and dst == 10):  # LDX / ST / STX
            deep = min(deep, off)
        elif op == 0xbf and src == 10:  # rX = r10
            alias.add(dst)
        elif op == 0x07 and dst in alias:  # rX += imm
            deep = min(deep, imm)
            alias.discard(dst)
        elif cls in (4, 7) and dst in alias:  # any other write to rX
            alias.discard(dst)
        i += 16 if op == 0x18 else 8
    return -deep


def asm_frames(path):
    """(depth, demangled name) per function of an LLVM BPF assembly listing (--emit asm)."""
    frames, name, deep, alias = [], None, 0, set()
    label = re.compile(r'^([A-Za-z_.$][\w.$]*):')
    access = re.compile(r'\(r10 - (\d+)\)')
    for line in open(path, errors='replace'):
        m = label.match(line)
        if m and not m.group(1).startswith(('.L', 'LBB', '.Ltmp')):
            if name is not None:
                frames.append((deep, demangle(name)))
            name, deep, alias = m.group(1), 0, set()
            continue
        text = line.split('#')[0].strip()
        for off in access.findall(text):
            deep = max(deep, int(off))
        mv = re.match(r'(r\d+) = r10$', text)
        if mv:
            alias.add(mv.group(1))
            continue
        ad = re.match(r'(r\d+) \+= -(\d+)$', text)
        if ad and ad.group(1) in alias:
            deep = max(deep, int(ad.group(2)))
            alias.discard(ad.group(1))
    if name is not None:
        frames.append((deep, demangle(name)))
    return demangle_v0(frames)


def demangle_v0(frames):
    """Rust v0 names (_R...) through binutils' c++filt when it is there; hashes dropped."""
    raw = [n for _, n in frames]
    try:
        out = subprocess.run(['c++filt'], input='\n'.join(raw), capture_output=True, text=True, check=True).stdout
        names = out.split('\n')[:len(raw)]
    except (OSError, subprocess.CalledProcessError):
        names = raw
    if len(names) != len(raw):
        names = raw
    return [(d, re.sub(r'\[[0-9a-f]{16}\]', '', n)) for (d, _), n in zip(frames, names)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('so')
    ap.add_argument('--limit', type=int, default=4096)
    ap.add_argument('--top', type=int, default=8)
    ap.add_argument('--handlers', default='')
    ap.add_argument('--markdown', action='store_true', help='per-handler table only, as Markdown')
    ap.add_argument('--asm', help='assembly listing of the same link (function names and frames)')
    args = ap.parse_args()
    data = open(args.so, 'rb').read()
    secs = sections(data)
    text = next(s for s in secs if s[0] == '.text')
    taddr, toff, tsize = text[4], text[5], text[6]
    body = data[toff:toff + tsize]
    syms = symbols(data, secs, taddr, taddr + tsize)
    frames = []
    if syms:
        starts = [v for v, _, _ in syms] + [taddr + tsize]
        for k, (value, size, nm) in enumerate(syms):
            end = value + size if size else starts[k + 1]
            frames.append((frame_depth(body, value - taddr, min(end, taddr + tsize) - taddr), demangle(nm)))
    else:
        frames.append((frame_depth(body, 0, tsize), '(whole .text: no symbol table)'))
    if args.asm:
        named = asm_frames(args.asm)
        if named:
            frames = named
    frames.sort(reverse=True)
    worst = frames[0][0] if frames else 0
    if args.markdown:
        print('| Instruction | Largest frame (bytes) | Function |')
        print('|---|---:|---|')
    else:
        print(f"{args.so}: {tsize // 8} instruction slots, {len(frames)} functions, "
              f"deepest frame {worst} bytes (limit {args.limit})")
        for depth, nm in frames[:args.top]:
            print(f"  {depth:5d}  {nm}")
    for h in [h for h in args.handlers.split(',') if h]:
        pat = re.compile(r'(^|::)' + re.escape(h) + r'(::|$)')
        mine = [(d, n) for d, n in frames if pat.search(n)]
        if mine:
            d, n = max(mine)
            print(f"| `{h}` | {d:,} | `{n}` |" if args.markdown else f"  handler {h}: {d} bytes ({n})")
    if worst > args.limit:
        big = [f"{n} ({d} bytes)" for d, n in frames if d > args.limit]
        print(f"stack frames above {args.limit} bytes: " + '; '.join(big), file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
