#!/usr/bin/env bash
# One shard of mutation testing over the core crate's src/ (issue 20):
# cargo-mutants mutates the code of shard K of N (consecutive slices of
# `cargo mutants --list`), runs a fast, sufficient subset of the tests on
# each mutant, and this script fails if a mutant survives (is "missed")
# that mutants-equivalent.txt does not list.
#
#     bash scripts/mutants-shard.sh            # today's shard
#     MUTANTS_SHARD=17 bash scripts/mutants-shard.sh
#
# Environment:
#   MUTANTS_SHARDS  N, the number of shards (default below). One shard
#                   runs in under 10 minutes on 2 cores; N shards cover
#                   every mutant of src/ in N days of CI.
#   MUTANTS_SHARD   K in 0..N (default: day of the year modulo N, UTC), so
#                   that successive CI runs rotate over src/.
#   MUTANTS_FILTER  extra cargo-mutants arguments (e.g. "-f src/kdf.rs"),
#                   for a local run of one area instead of a shard.
#   MUTANTS_OUT     where cargo-mutants writes mutants.out/ (default
#                   target/mutants).
#
# The mutants are tested in place (`--in-place`): no second copy of the
# tree and no second target directory, but do not edit src/ while it
# runs (cargo-mutants puts each file back after its mutant, also when
# interrupted). The tests run are every integration test and unit test of
# the core crate (`--lib --tests`: no doc tests, benches or examples),
# with PROPTEST_CASES lowered where a test honours it; the first failing
# test binary ends a mutant's run.
#
# mutants-equivalent.txt lists the mutants that no test can catch because
# they do not change behaviour, one per line as cargo-mutants names them
# (`src/file.rs:LINE:COL: replace ...`), then ` # reason`. Lines are
# matched without the LINE:COL, so that an unrelated edit above a listed
# mutant does not unlist it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

shards="${MUTANTS_SHARDS:-120}"
if [[ -n "${MUTANTS_SHARD:-}" ]]; then
    shard="$MUTANTS_SHARD"
else
    # 10# : the day of the year without its leading zeros (not octal).
    shard=$((10#$(date -u +%j) % shards))
fi
out="${MUTANTS_OUT:-target/mutants}"
equivalents="mutants-equivalent.txt"
mutants="${CARGO_MUTANTS:-cargo mutants}"

# Filters: all of the core crate's src/ by default (the tests, benches and
# test-only modules are not mutated).
# shellcheck disable=SC2206
filter=(${MUTANTS_FILTER:-})
if [[ ${#filter[@]} -eq 0 ]]; then
    filter=(--shard "${shard}/${shards}")
    echo "mutants: shard ${shard}/${shards} of src/"
else
    echo "mutants: ${filter[*]}"
fi

mkdir -p "$out"
export PROPTEST_CASES="${PROPTEST_CASES:-16}"
# A property test that a mutant fails writes its counterexample next to the
# test (tests/*.proptest-regressions): remove the ones this run creates.
regressions() { find tests -name '*.proptest-regressions' | sort; }
before="$(regressions)"
rc=0
$mutants --in-place --package sealwire --output "$out" \
    --exclude 'src/testing.rs' --exclude 'src/hazmat.rs' --exclude 'src/fuzzing.rs' \
    --cargo-arg=--lib --cargo-arg=--tests \
    --baseline=skip --timeout "${MUTANTS_TIMEOUT:-300}" --no-shuffle \
    "${filter[@]}" || rc=$?
comm -13 <(echo "$before") <(regressions) | xargs -r rm -f
# Exit codes of cargo-mutants: 0 all caught, 2 some missed, 3 some timed
# out (a mutant that hangs the tests is caught), 4 the unmutated tree's
# tests failed; anything else is a usage or internal error.
case "$rc" in
    0 | 2 | 3) ;;
    *)
        echo "cargo mutants failed (exit $rc)"
        exit "$rc"
        ;;
esac

strip_position() {
    # "src/x.rs:12:5: replace ..." -> "src/x.rs: replace ..."
    sed -E 's/^([^:]+):[0-9]+:[0-9]+:/\1:/'
}

missed="$out/mutants.out/missed.txt"
known="$(mktemp)"
trap 'rm -f "$known"' EXIT
if [[ -f "$equivalents" ]]; then
    { grep -v '^[[:space:]]*\(#\|$\)' "$equivalents" || true; } | sed -E 's/ +# .*$//' |
        strip_position | sort -u >"$known"
fi

for f in caught missed timeout unviable; do
    printf '%-9s %s\n' "$f" "$(cat "$out/mutants.out/$f.txt" 2>/dev/null | wc -l)"
done

unexplained=()
if [[ -f "$missed" ]]; then
    while IFS= read -r m; do
        [[ -z "$m" ]] && continue
        if ! grep -qxF -- "$(strip_position <<<"$m")" "$known"; then
            unexplained+=("$m")
        fi
    done <"$missed"
fi
if [[ -s "$out/mutants.out/timeout.txt" ]]; then
    echo "timed out (counted as caught: the mutant hangs the tests):"
    sed 's/^/  /' "$out/mutants.out/timeout.txt"
fi
if [[ ${#unexplained[@]} -gt 0 ]]; then
    echo
    echo "Mutants that survived the tests and are not in $equivalents:"
    printf '  %s\n' "${unexplained[@]}"
    echo "Kill each with a test that asserts the behaviour, or, if it cannot"
    echo "change behaviour, list it in $equivalents with a one-line reason."
    echo "(diffs: $out/mutants.out/diff/)"
    exit 1
fi
echo "mutants: no unexplained survivor"
