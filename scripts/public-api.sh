#!/usr/bin/env bash
# The public API of the sealwire crate (default features), one line per item,
# and its counts: see scripts/public_api.py. Run from the repository root.
#
#     bash scripts/public-api.sh           # compare with api/sealwire.txt
#     bash scripts/public-api.sh --bless   # rewrite api/sealwire.txt
#
# Needs python3; runs rustdoc's unstable JSON output through RUSTC_BOOTSTRAP.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

listing=api/sealwire.txt
RUSTC_BOOTSTRAP=1 cargo rustdoc -q -p sealwire --lib -- -Zunstable-options --output-format json
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
current="$(python3 scripts/public_api.py "$target_dir/doc/sealwire.json")"

# One path per public item (ARCHITECTURE.md): no blessing accepts a second.
if ! grep -qx '# items reachable by more than one path: 0' <<<"$current"; then
    grep -A1000 '^# items reachable by more than one path' <<<"$current"
    echo "A public item is reachable by more than one path: re-export it once."
    exit 1
fi

if [[ "${1:-}" == "--bless" ]]; then
    printf '%s\n' "$current" >"$listing"
    grep '^# ' "$listing"
    exit 0
fi
if ! diff -u "$listing" <(printf '%s\n' "$current"); then
    echo
    echo "The public API changed (diff above, - committed, + now)."
    echo "If the change is intended, bless it: bash scripts/public-api.sh --bless"
    exit 1
fi
grep '^# ' "$listing" | head -n 8
