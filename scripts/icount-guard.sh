#!/usr/bin/env bash
# The instruction-count guard: sealwire's in-chain, ping-pong and
# session-setup paths (bench-peers/icount/, seeded, deterministic) run
# under callgrind, which counts the instructions of the measured loop only
# (--toggle-collect); the counts per operation are compared with the
# committed baseline bench-peers/icount/baseline.txt. A path more than 5 %
# above its baseline fails; one more than 5 % below is reported (bless it).
#
#     bash scripts/icount-guard.sh            # compare (CI)
#     bash scripts/icount-guard.sh --bless    # rewrite the baseline
#
# Counts are of the release build with the committed Cargo.lock, on the
# CPU that valgrind emulates (it hides SHA-NI and AVX-512 from the
# program, so SHA-256 runs its portable code and curve25519-dalek its AVX2
# backend whatever the host); the baseline records the compiler and
# valgrind it was taken with, and a different compiler is reported (it can
# move counts by a few per cent: re-bless if so). Installs valgrind with
# apt-get when it is missing and this runs as root. About 10 s once built.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
baseline=bench-peers/icount/baseline.txt
threshold=${ICOUNT_THRESHOLD:-5}

bless=0
case "${1:-}" in
--bless) bless=1 ;;
"") ;;
*)
    echo "usage: $0 [--bless]" >&2
    exit 2
    ;;
esac

if ! command -v valgrind >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "installing valgrind (apt-get) ..."
        t0=$SECONDS
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
        echo "valgrind installed in $((SECONDS - t0)) s"
    else
        echo "valgrind is missing (apt-get install valgrind)" >&2
        exit 1
    fi
fi

cargo build --release --quiet --manifest-path bench-peers/icount/Cargo.toml --target-dir "$root/target"
bin="$root/target/release/sealwire-icount"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rustc_v=$(rustc -V)
valgrind_v=$(valgrind --version)
declare -A count
paths=()
while read -r path runs; do
    valgrind --tool=callgrind --callgrind-out-file="$tmp/$path.out" \
        --toggle-collect='*icount_measured*' "$bin" "$path" >/dev/null 2>"$tmp/$path.log" || {
        cat "$tmp/$path.log" >&2
        exit 1
    }
    total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$tmp/$path.out")
    [[ -n "$total" && "$total" -gt 0 ]] || {
        echo "no instruction count for $path" >&2
        exit 1
    }
    count[$path]=$((total / runs))
    paths+=("$path")
done < <("$bin" --list)

if [[ $bless -eq 1 ]]; then
    {
        echo "# Instructions per operation (callgrind, release build), read by"
        echo "# scripts/icount-guard.sh; rewrite with: bash scripts/icount-guard.sh --bless"
        echo "# compiler: $rustc_v"
        echo "# valgrind: $valgrind_v"
        for p in "${paths[@]}"; do
            echo "$p ${count[$p]}"
        done
    } >"$baseline"
    echo "baseline written to $baseline:"
    cat "$baseline"
    exit 0
fi

[[ -f "$baseline" ]] || {
    echo "no baseline ($baseline): bash $0 --bless" >&2
    exit 1
}
base_rustc=$(sed -n 's/^# compiler: //p' "$baseline")
if [[ "$base_rustc" != "$rustc_v" ]]; then
    echo "note: the baseline was taken with $base_rustc, this is $rustc_v"
fi
failed=0
printf '%-20s %14s %14s %9s\n' path baseline now change
for p in "${paths[@]}"; do
    base=$(awk -v p="$p" '$1 == p { print $2 }' "$baseline")
    if [[ -z "$base" ]]; then
        echo "$p: not in the baseline (bless it)" >&2
        failed=1
        continue
    fi
    now=${count[$p]}
    # Change in hundredths of a per cent, integer arithmetic.
    change=$(((now - base) * 10000 / base))
    verdict=""
    if ((change > threshold * 100)); then
        verdict="REGRESSION (> +$threshold %)"
        failed=1
    elif ((change < -threshold * 100)); then
        verdict="improvement: bless it (bash $0 --bless)"
    fi
    printf '%-20s %14d %14d %+8.2f%% %s\n' "$p" "$base" "$now" "$(echo "$change" | awk '{ printf "%.2f", $1 / 100 }')" "$verdict"
done
if [[ $failed -ne 0 ]]; then
    echo "instruction-count guard FAILED" >&2
    exit 1
fi
echo "instruction-count guard: ok (threshold +$threshold %)"
