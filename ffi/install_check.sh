#!/usr/bin/env bash
# CI of the installed C library (README.md "From C"):
#
#     bash ffi/install_check.sh
#
# 1. runs the commands of README.md's "From C" block exactly as written
#    (extracted from README.md, so that the two cannot drift apart), with
#    HOME pointing at a scratch directory: ffi/install.sh into
#    $HOME/.local, the example built with `pkg-config --cflags --libs
#    sealwire` against the installed shared library, and with
#    `pkg-config --static` against the static one, both run;
# 2. checks what was installed: the SONAME (readelf), the program's
#    NEEDED entry, no libsealwire in the static program, the .pc version
#    against ffi/Cargo.toml;
# 3. builds the example again with `pkg-config --cflags --libs sealwire`
#    under AddressSanitizer and UndefinedBehaviorSanitizer (LeakSanitizer
#    on) and runs it against the installed shared library.
#
# Needs cargo, cc (gcc) and pkg-config; on a machine without pkg-config it
# installs Debian's `pkgconf` when run as root, else stops with a message.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v pkg-config >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "pkg-config missing: installing Debian's pkgconf"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pkgconf >/dev/null
    else
        echo "ffi/install_check.sh: pkg-config is missing; install it (Debian: apt-get install pkgconf)" >&2
        exit 1
    fi
fi
pkg-config --version

# The README's block: the ```sh block after the "## From C" heading.
block="$(awk '/^## From C$/ { found = 1 } found && /^```sh$/ { inblock = 1; next }
    inblock && /^```$/ { exit } inblock { print }' README.md)"
if [[ -z "$block" ]] || ! grep -q 'bash ffi/install.sh' <<<"$block" ||
    ! grep -q 'pkg-config --cflags --libs sealwire' <<<"$block"; then
    echo "README.md's \"From C\" commands not found (or changed): update ffi/install_check.sh" >&2
    exit 1
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"; rm -f "$root/conversation" "$root/conversation-static"' EXIT
# cargo and rustup keep their homes; everything the README writes under
# $HOME goes to the scratch directory.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export HOME="$scratch/home"
mkdir -p "$HOME"
work="$scratch/work"
mkdir -p "$work"

echo "--- README.md \"From C\", as written:"
echo "$block"
echo "---"
# From the repository root, as the README says; the programs it writes
# there move to the scratch directory.
(
    set -euxo pipefail
    eval "$block"
    mv conversation conversation-static "$work/"
)

prefix="$HOME/.local"
lib="$prefix/lib"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' ffi/Cargo.toml | head -n 1)"
export PKG_CONFIG_PATH="$lib/pkgconfig"

echo "--- installed files"
for f in "$prefix/include/sealwire.h" "$lib/libsealwire.so.$version" "$lib/libsealwire.so.0" \
    "$lib/libsealwire.so" "$lib/libsealwire.a" "$lib/pkgconfig/sealwire.pc"; do
    [[ -e "$f" ]] || { echo "missing: $f" >&2; exit 1; }
    echo "  $f"
done
cmp ffi/include/sealwire.h "$prefix/include/sealwire.h"
[[ "$(pkg-config --modversion sealwire)" == "$version" ]]
soname="$(readelf -d "$lib/libsealwire.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
echo "SONAME: $soname"
[[ "$soname" == "libsealwire.so.0" ]]
readelf -d "$work/conversation" | grep -q 'NEEDED.*\[libsealwire\.so\.0\]'
if readelf -d "$work/conversation-static" | grep -q 'NEEDED.*libsealwire'; then
    echo "conversation-static needs libsealwire.so: not statically linked" >&2
    exit 1
fi
echo "pkg-config --static --libs: $(pkg-config --static --libs sealwire)"

echo "--- the example against the installed shared library, under ASan + UBSan + LSan"
cc -std=c11 -Wall -Wextra -Werror -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
    -fno-omit-frame-pointer examples/c/conversation.c $(pkg-config --cflags --libs sealwire) \
    -o "$work/conversation-asan"
readelf -d "$work/conversation-asan" | grep -q 'NEEDED.*\[libsealwire\.so\.0\]'
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    LD_LIBRARY_PATH="$lib" "$work/conversation-asan"
echo "ffi/install_check.sh: OK"
