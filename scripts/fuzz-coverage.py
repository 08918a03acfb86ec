#!/usr/bin/env python3
"""Lines of the library that a fuzz target's corpus enters but never reaches.

    llvm-cov export BIN -instr-profile=PROFDATA > TARGET.json
    python3 scripts/fuzz-coverage.py [--paths REGEX] TARGET.json [...]

BIN and PROFDATA are what `cargo fuzz coverage TARGET` builds and writes
(fuzz/target/<host>/coverage/<host>/release/TARGET and
fuzz/coverage/TARGET/coverage.profdata); SECURITY.md, "Fuzzing", has the
whole command. Several exports (one per target) are merged: a region is
reached if any target's corpus reached it. The fuzz suite's path through
the library is the set of functions some corpus enters (count > 0): a
function no target enters is outside it (an API no target calls). Within
the entered functions of src/ (or of the files matching REGEX), this
prints the lines of every code region no input reached, merged over the
function's monomorphised copies, as `file:lines  function`, then per file
the lines of the entered functions and the unreached ones. Those lines
are the coverage gaps of issue 20: each is either reachable (add a seed or
a target) or unreachable by construction (say why in SECURITY.md).
"""

import json
import re
import subprocess
import sys
from collections import defaultdict

CODE_REGION = 0  # llvm-cov region kinds: 0 code, 1 expansion, 2 skipped, 3 gap


def demangle(names):
    for tool in ("llvm-cxxfilt", "llvm-cxxfilt-22", "rustfilt"):
        try:
            out = subprocess.run(
                [tool], input="\n".join(names), capture_output=True, text=True
            ).stdout.splitlines()
        except OSError:
            continue
        if len(out) == len(names):
            return out
    return names


def short(path: str) -> str:
    i = path.rfind("/src/")
    return path[i + 1 :] if i >= 0 else path


def ranges(lines):
    out, start, prev = [], None, None
    for n in lines:
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = n
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ",".join(out)


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    want = re.compile(r"/src/")
    if argv[0] == "--paths":
        want = re.compile(argv[1])
        argv = argv[2:]
    functions = []
    for path in argv:
        functions += json.load(open(path))["data"][0]["functions"]
    # (file, start line, start col, end line, end col) -> max count, function
    regions = {}
    owner = {}
    entered = defaultdict(set)
    for fn in functions:
        if fn["count"] == 0:
            continue
        files = fn["filenames"]
        for r in fn["regions"]:
            l0, c0, l1, c1, count, file_id, _exp, kind = r[:8]
            path = files[file_id]
            if kind != CODE_REGION or not want.search(path) or "/fuzz/" in path:
                continue
            if "/.cargo/" in path or "/rustc/" in path:
                continue
            k = (short(path), l0, c0, l1, c1)
            regions[k] = max(regions.get(k, 0), count)
            owner.setdefault(k, fn["name"])
            entered[short(path)].update(range(l0, l1 + 1))
    missed = sorted(k for k, c in regions.items() if c == 0)
    # A line is unreached when some region on it is unreached and no
    # reached region starts on it.
    reached_lines = defaultdict(set)
    for (f, l0, _c0, l1, _c1), c in regions.items():
        if c > 0:
            reached_lines[f].update(range(l0, l1 + 1))
    names = demangle(sorted({owner[k] for k in missed}))
    pretty = dict(zip(sorted({owner[k] for k in missed}), names))
    unreached = defaultdict(set)
    by_function = defaultdict(set)
    for k in missed:
        f, l0, _c0, l1, _c1 = k
        lines = {n for n in range(l0, l1 + 1) if n not in reached_lines[f]}
        unreached[f].update(lines)
        # One entry per source function, whatever its monomorphised copy.
        fn = re.sub(r"::<.*>$", "", pretty[owner[k]])
        by_function[(f, fn)].update(lines)
    for (f, fn), lines in sorted(by_function.items(), key=lambda x: (x[0][0], min(x[1] or {0}))):
        if lines:
            print(f"{f}:{ranges(sorted(lines))}  {fn}")
    print()
    print("| file | lines in entered functions | unreached |")
    print("| --- | ---: | ---: |")
    for f in sorted(entered):
        print(f"| {f} | {len(entered[f])} | {len(unreached[f])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
