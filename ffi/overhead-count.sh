#!/usr/bin/env bash
# Exact instruction counts of the C ABI against the Rust API, one line per
# operation (ffi/benches/overhead.rs, `--count` mode, under valgrind's
# callgrind): deterministic, unlike times on a shared machine. Needs
# valgrind (`apt-get install valgrind`).
#
#   bash ffi/overhead-count.sh [N]          # N calls per path (default 200)
#   KEEP=dir bash ffi/overhead-count.sh     # keep the callgrind.out files
#                                           # for callgrind_annotate
#   BIN=path bash ffi/overhead-count.sh     # count a bench binary built
#                                           # before (an older commit)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-200}"
command -v valgrind >/dev/null || { echo "valgrind is needed" >&2; exit 1; }
bin="${BIN:-}"
[ -n "$bin" ] || bin=$(cargo bench -p sealwire-ffi --bench overhead --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "overhead":
        print(m["executable"])')
out="${KEEP:-$(mktemp -d)}"
mkdir -p "$out"
count() { # op side -> instructions per call
    local f="$out/callgrind.out.$1.$2"
    valgrind --tool=callgrind --toggle-collect='*counted*' --callgrind-out-file="$f" \
        "$bin" --count "$1" "$2" "$n" >/dev/null 2>&1
    awk -v n="$n" '/^summary:/ { printf "%.0f", $2 / n }' "$f"
}
echo "instructions per call (callgrind, $n calls per path):"
echo
echo "| operation | Rust API | C ABI | C / Rust |"
echo "|---|---:|---:|---:|"
for op in encrypt decrypt round-trip parse save; do
    r=$(count "$op" rust)
    c=$(count "$op" c)
    awk -v op="$op" -v r="$r" -v c="$c" 'BEGIN { printf "| %s | %d | %d | %.3f |\n", op, r, c, c / r }'
done
[ -n "${KEEP:-}" ] || rm -rf "$out"
