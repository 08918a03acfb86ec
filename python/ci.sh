#!/usr/bin/env bash
# CI of the Python package (python/), self-contained, from any directory:
#
#     bash python/ci.sh
#
# 1. rustfmt and clippy on the extension crate (python/ is not a member of
#    the repository's workspace: see python/Cargo.toml);
# 2. the README's "From Python" commands, exactly as written (its ```sh
#    block, extracted from README.md so that drift fails): a fresh virtual
#    environment `.venv` at the repository root (removed first), the wheel
#    built from ./python by pip (maturin, from PyPI) and installed, the chat
#    demo; then the README's ```python example in that environment;
# 3. pytest (from PyPI) on python/tests/ in that environment;
# 4. mypy's stubtest: the type stubs (sealwire/*.pyi) match the module;
# 5. the overhead benchmark in a short smoke run (python/bench/overhead.py --quick).
#
# Needs cargo, python3 (with venv; on Debian without python3-venv it is
# installed with apt-get when run as root) and access to PyPI. The Rust
# build reuses the repository's target/ (CARGO_TARGET_DIR). About a minute
# with a warm target/, 3 minutes cold.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

started=$SECONDS
step() {
    echo
    echo "==> $*"
}

step "rustfmt (python/)"
cargo fmt --check --manifest-path python/Cargo.toml

step "clippy (python/)"
cargo clippy --manifest-path python/Cargo.toml --all-targets -- -D warnings

# python3 -m venv needs ensurepip, which Debian ships apart (python3-venv).
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        step "installing python3-venv (no ensurepip)"
        apt-get update -qq
        apt-get install -y -qq python3-venv
    else
        echo "python3 has no ensurepip: install python3-venv" >&2
        exit 1
    fi
fi

# readme_block LANG: the first ```LANG block of README.md's "From Python"
# section.
readme_block() {
    sed -n '/^## From Python$/,/^## /p' README.md |
        sed -n "/^\`\`\`$1\$/,/^\`\`\`\$/p" | sed '1d;$d' | sed -n '1,/^```$/p'
}

commands="$(readme_block sh)"
example="$(readme_block python)"
if [[ -z "$commands" || -z "$example" ]] || ! grep -qxF '.venv/bin/pip install ./python' <<<"$commands"; then
    echo "README.md's \"From Python\" section lost its commands or example" >&2
    exit 1
fi

step "README \"From Python\" commands (fresh .venv)"
rm -rf .venv
echo "$commands"
bash -euxo pipefail -c "$commands"

step "README \"From Python\" example"
.venv/bin/python - <<<"$example"

step "pytest python/tests"
.venv/bin/pip install --quiet "pytest>=7"
# From the repository root: python/ is not on sys.path, so the installed
# package is the one tested, not the source tree.
.venv/bin/python -m pytest -q -p no:cacheprovider python/tests

step "type stubs match the module (mypy stubtest)"
.venv/bin/pip install --quiet "mypy>=1.10"
.venv/bin/python -m mypy.stubtest sealwire

step "overhead benchmark (smoke run)"
.venv/bin/python python/bench/overhead.py --quick

echo
echo "python/ci.sh: OK in $((SECONDS - started))s"
