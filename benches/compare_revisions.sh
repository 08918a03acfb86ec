#!/usr/bin/env bash
# Compares one benchmark between a git revision and the working tree, in
# paired, alternating rounds, and prints the per-round ratio (working tree /
# REV) as median and quartiles.
#
#   bash benches/compare_revisions.sh REV BENCH FILTER
#   e.g. bash benches/compare_revisions.sh 4959b2b session 'in_chain/100B$'
#
# REV is checked out in a temporary `git worktree` (removed afterwards); both
# bench binaries are built with `cargo bench --no-run` into one target
# directory ($COMPARE_TARGET_DIR, default target/ of this tree: the two
# checkouts have different paths, so their sealwire artifacts do not
# collide, and the dependencies are shared). Then ROUNDS rounds (default 12)
# run the two binaries one after the other, the order alternating (A B, B A,
# ...), each run short (WARMUP s warm-up, default 0.5; MEASURE s
# measurement, default 1.5), each with its own criterion directory. A
# round's ratio is the working tree's point estimate (criterion's mean) over
# REV's. SEALWIRE_BENCH_CLOCK defaults to thread-cpu (the bench thread's CPU
# time), which keeps ratios meaningful on a shared, loaded machine.
set -euo pipefail

if [ $# -ne 3 ]; then
    echo "usage: $0 REV BENCH FILTER" >&2
    exit 2
fi
rev=$1
bench=$2
filter=$3
rounds=${ROUNDS:-12}
warmup=${WARMUP:-0.5}
measure=${MEASURE:-1.5}
export SEALWIRE_BENCH_CLOCK=${SEALWIRE_BENCH_CLOCK:-thread-cpu}

root=$(git rev-parse --show-toplevel)
target=${COMPARE_TARGET_DIR:-$root/target}
tmp=$(mktemp -d)
cleanup() {
    git -C "$root" worktree remove --force "$tmp/rev" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

git -C "$root" worktree add --detach "$tmp/rev" "$rev" >/dev/null

# Builds the bench in directory $1 and prints the path of its executable.
build() {
    (cd "$1" && CARGO_TARGET_DIR=$target cargo bench --no-run --bench "$bench" \
        --message-format=json 2>/dev/null) |
        jq -r 'select(.reason == "compiler-artifact" and .target.kind == ["bench"]
                      and .target.name == "'"$bench"'") | .executable' |
        tail -n 1
}

echo "building $bench at $rev ..." >&2
bin_rev=$(build "$tmp/rev")
echo "building $bench in the working tree ..." >&2
bin_new=$(build "$root")
[ -x "$bin_rev" ] && [ -x "$bin_new" ] || {
    echo "build failed" >&2
    exit 1
}

# Runs binary $1 once into criterion home $2; prints the mean in ns.
run() {
    rm -rf "$2"
    (cd "$root" && CRITERION_HOME=$2 "$1" --bench "$filter" --warm-up-time "$warmup" \
        --measurement-time "$measure" --noplot >/dev/null 2>&1)
    local est
    est=$(find "$2" -path '*/new/estimates.json' | head -n 1)
    [ -n "$est" ] || {
        echo "no estimate for $filter" >&2
        exit 1
    }
    jq -r '.mean.point_estimate' "$est"
}

ratios=()
for i in $(seq 1 "$rounds"); do
    if [ $((i % 2)) -eq 1 ]; then
        a=$(run "$bin_rev" "$tmp/c_rev")
        b=$(run "$bin_new" "$tmp/c_new")
    else
        b=$(run "$bin_new" "$tmp/c_new")
        a=$(run "$bin_rev" "$tmp/c_rev")
    fi
    r=$(python3 -c "print($b / $a)")
    ratios+=("$r")
    printf 'round %2d: %s %.1f ns, working tree %.1f ns, ratio %.4f\n' "$i" "$rev" "$a" "$b" "$r"
done

python3 - "${ratios[@]}" <<'EOF'
import statistics, sys
r = sorted(float(x) for x in sys.argv[1:])
q = statistics.quantiles(r, n=4, method="inclusive")
print(f"ratio working tree / REV over {len(r)} rounds: median {statistics.median(r):.4f}, "
      f"quartiles {q[0]:.4f} .. {q[2]:.4f}, min {r[0]:.4f}, max {r[-1]:.4f}")
EOF
