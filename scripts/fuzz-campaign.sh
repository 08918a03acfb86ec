#!/usr/bin/env bash
# Long fuzz campaign (issue 20): each target for SECONDS of one core, on a
# working copy of its committed corpus; then what it found with new coverage
# is merged into fuzz/corpus/<target>/, so that CI's smoke run starts from it.
#
#   bash scripts/fuzz-campaign.sh SECONDS LOGDIR [TARGET ...]
#
# No TARGET: every target of `cargo fuzz list`. One target at a time (a
# campaign's CPU time is its wall time on one core); run two invocations side
# by side on two cores. Built without a sanitizer: the library has no unsafe
# code, and ASan halves the executions a CPU-hour buys (CI's smoke run keeps
# ASan). Debug assertions and overflow checks stay on (cargo fuzz's default).
#
# LOGDIR/<target>.log is libFuzzer's output with its final statistics and
# the time(1) line; `python3 scripts/fuzz-table.py LOGDIR` tabulates them
# (the table of SECURITY.md, "Fuzzing").
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:?usage: fuzz-campaign.sh SECONDS LOGDIR [TARGET ...]}"
logdir="${2:?usage: fuzz-campaign.sh SECONDS LOGDIR [TARGET ...]}"
shift 2
mkdir -p "$logdir"
logdir="$(cd "$logdir" && pwd)"
work="${FUZZ_WORK:-$(mktemp -d)}"

cd fuzz
RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer none
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <(RUSTC_BOOTSTRAP=1 cargo fuzz list)
fi

for t in "${targets[@]}"; do
    mkdir -p "$work/$t"
    cp -n corpus/"$t"/* "$work/$t/" 2>/dev/null || true
    echo "=== $t ${seconds}s $(date -u +%FT%TZ)"
    /usr/bin/time -f "cpu_user=%U cpu_sys=%S wall=%e maxrss_kb=%M" \
        env RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none "$t" "$work/$t" -- \
        -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
        -timeout=10 >"$logdir/$t.log" 2>&1
    # Keep what the campaign found that the committed corpus lacks: the
    # inputs with new coverage features, merged into fuzz/corpus/<target>/
    # (libFuzzer's -merge=1; the named seeds, which tests/fuzz_seeds.rs
    # checks, all stay).
    "target/x86_64-unknown-linux-gnu/release/$t" -merge=1 corpus/"$t" "$work/$t" \
        >"$logdir/$t.merge.log" 2>&1
    echo "    $(grep -E '^Done [0-9]+ runs' "$logdir/$t.log"); corpus: $(ls corpus/"$t" | wc -l) files"
done
