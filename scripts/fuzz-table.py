#!/usr/bin/env python3
"""Table of a fuzz campaign's figures (issue 20; SECURITY.md, "Fuzzing").

    python3 scripts/fuzz-table.py LOGDIR [LOGDIR ...]

Each LOGDIR holds `<target>.log` files as scripts/fuzz-campaign.sh writes
them: libFuzzer's output run with -print_final_stats=1, then time(1)'s line
`cpu_user=... cpu_sys=... wall=... maxrss_kb=...`. A target with logs in
several LOGDIRs (campaigns run at different times, each resuming from the
corpus the last one left) has its executions and CPU time summed; its
coverage is the last campaign's. Prints a Markdown table: per target the
executions, CPU time, executions per CPU second, the coverage counters
(`cov`: edges reached; `ft`: features), the corpus committed in
fuzz/corpus/<target>/, then the totals.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAT = re.compile(r"^stat::(\w+):\s+(\d+)", re.M)
TIME = re.compile(r"cpu_user=([\d.]+) cpu_sys=([\d.]+) wall=([\d.]+)")
COV = re.compile(r"^#\d+\s+\w+\s+cov: (\d+) ft: (\d+)", re.M)


def parse(log: Path):
    text = log.read_text(errors="replace")
    stats = dict((k, int(v)) for k, v in STAT.findall(text))
    times = TIME.findall(text)
    covs = COV.findall(text)
    if "number_of_executed_units" not in stats or not times:
        return None  # an unfinished or failed run
    user, system, _wall = (float(x) for x in times[-1])
    cov, ft = covs[-1] if covs else ("?", "?")
    return stats["number_of_executed_units"], user + system, cov, ft


def corpus(target: str):
    d = ROOT / "fuzz" / "corpus" / target
    files = [p for p in d.iterdir() if p.is_file()] if d.is_dir() else []
    return len(files), sum(p.stat().st_size for p in files)


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__)
        return 2
    rows = {}
    for logdir in argv:
        for log in sorted(Path(logdir).glob("*.log")):
            if log.name.endswith(".merge.log"):
                continue
            got = parse(log)
            if got is None:
                continue
            execs, cpu, cov, ft = got
            target = log.stem
            old = rows.get(target, (0, 0.0, cov, ft))
            rows[target] = (old[0] + execs, old[1] + cpu, cov, ft)
    print("| target | executions | CPU time | exec/s | cov | ft | corpus |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    total_execs, total_cpu = 0, 0.0
    for target in sorted(rows):
        execs, cpu, cov, ft = rows[target]
        files, size = corpus(target)
        total_execs += execs
        total_cpu += cpu
        rate = execs / cpu if cpu else 0
        print(
            f"| {target} | {execs:,} | {cpu / 3600:.2f} h | {rate:,.0f} "
            f"| {cov} | {ft} | {files} files, {size / 1024:.0f} KiB |"
        )
    print(f"| **total** | {total_execs:,} | {total_cpu / 3600:.2f} h | | | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
