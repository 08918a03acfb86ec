#!/usr/bin/env python3
"""Per-file table of cargo-mutants outcomes (issue 20, mutants-report.md).

    python3 scripts/mutants-report.py SWEEP_DIR [--recheck DIR ...] [--current LIST]
        [--only PREFIX]

SWEEP_DIR holds one cargo-mutants output per file (`<name>/mutants.out/`,
as the sweep commands of mutants-report.md write them). Each `--recheck`
DIR is a later cargo-mutants output (`DIR/mutants.out/`) that re-ran some
of the sweep's survivors against the current tree, with the tests written
to kill them: a survivor the recheck caught counts as killed. LIST is
`cargo mutants --list` of the current tree: a survivor not in it no
longer exists (the code it mutated changed) and counts as gone. Mutants are matched
without their line and column (`src/x.rs: replace ...`), so that a test
or an edit above them does not unmatch them; when the recheck names a
survivor at its exact place, that outcome counts (two mutants of one
function can share a name, and only one of them may be caught). Survivors
listed in
mutants-equivalent.txt count as equivalent. `--only PREFIX` keeps the
files whose path starts with PREFIX (one crate's table: `src/`, `ffi/src/`,
`sqlite/src/`).

Prints a Markdown table: per file the mutants tested, caught, survivors
killed since, survivors still missed, equivalents, unviable and timed out
(a timeout is a caught mutant: it hangs the tests), survivors gone (the
code they mutated was since changed: not in LIST), then the totals and the score = caught (with killed and
timeouts) / (viable - equivalent - gone).
"""

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

POSITION = re.compile(r"^([^:]+):\d+:\d+:")


def key(name: str) -> str:
    return POSITION.sub(r"\1:", name)


def outcomes(out_dir: Path):
    data = json.loads((out_dir / "outcomes.json").read_text())
    for o in data["outcomes"]:
        scenario = o["scenario"]
        if not isinstance(scenario, dict) or "Mutant" not in scenario:
            continue  # the baseline
        yield scenario["Mutant"]["name"], o["summary"]


def equivalents(path: Path) -> set:
    if not path.exists():
        return set()
    out = set()
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        out.add(key(line.split(" # ")[0].strip()))
    return out


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__)
        return 2
    sweep = Path(argv[0])
    rechecks = []
    current = None
    only = ""
    rest = argv[1:]
    while rest:
        flag, value, *rest = rest
        if flag == "--recheck":
            rechecks.append(Path(value) / "mutants.out")
        elif flag == "--only":
            only = value
        elif flag == "--current":
            current = {key(line.strip()) for line in Path(value).read_text().splitlines()}
        else:
            print(f"unknown argument {flag}")
            return 2
    equivalent = equivalents(Path(__file__).resolve().parent.parent / "mutants-equivalent.txt")

    # Recheck: what the current tree's tests do with each survivor, and
    # which files each recheck covered (a survivor of such a file absent
    # from the recheck no longer exists).
    recheck_status = {}
    recheck_exact = {}
    for r in rechecks:
        for name, summary in outcomes(r):
            k = key(name)
            # Several mutants can share a key (the same change at two
            # places of one function): one caught is enough for the
            # survivor, whose place the recheck cannot tell apart, unless
            # the recheck names its exact place (the file did not move).
            if recheck_status.get(k) not in ("CaughtMutant", "Timeout"):
                recheck_status[k] = summary
            if recheck_exact.get(name) not in ("CaughtMutant", "Timeout"):
                recheck_exact[name] = summary

    rows = defaultdict(lambda: defaultdict(int))
    still_missed = []
    for out in sorted(sweep.glob("*/mutants.out")):
        if not (out / "outcomes.json").exists():
            continue
        for name, summary in outcomes(out):
            file = name.split(":", 1)[0]
            if not file.startswith(only):
                continue
            row = rows[file]
            row["tested"] += 1
            if summary == "CaughtMutant":
                row["caught"] += 1
            elif summary == "Unviable":
                row["unviable"] += 1
            elif summary == "Timeout":
                row["timeout"] += 1
            elif summary == "MissedMutant":
                k = key(name)
                if k in equivalent:
                    row["equivalent"] += 1
                elif recheck_exact.get(name, recheck_status.get(k)) in ("CaughtMutant", "Timeout"):
                    row["killed"] += 1
                elif current is not None and k not in current:
                    # The code it mutated was changed: it no longer exists.
                    row["gone"] += 1
                else:
                    row["missed"] += 1
                    still_missed.append(name)
            else:
                row["other"] += 1

    cols = ["tested", "caught", "killed", "gone", "missed", "equivalent", "unviable", "timeout"]
    print("| file | " + " | ".join(cols) + " | score |")
    print("| --- |" + " ---: |" * (len(cols) + 1))
    total = defaultdict(int)

    def score(r):
        viable = r["tested"] - r["unviable"] - r["equivalent"] - r["gone"]
        good = r["caught"] + r["killed"] + r["timeout"]
        return f"{100 * good / viable:.1f} %" if viable else "-"

    for file in sorted(rows):
        r = rows[file]
        for c in cols:
            total[c] += r[c]
        print(f"| {file} | " + " | ".join(str(r[c]) for c in cols) + f" | {score(r)} |")
    print("| **total** | " + " | ".join(f"**{total[c]}**" for c in cols) + f" | **{score(total)}** |")
    if still_missed:
        print()
        print("Survivors not yet killed:")
        print()
        for m in still_missed:
            print(f"- `{m}`")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
