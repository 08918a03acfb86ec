#!/usr/bin/env bash
# Builds and installs the sealwire C library (release, without the
# test-only `test-utils` feature):
#
#     bash ffi/install.sh [--prefix DIR] [--libdir DIR] [--destdir DIR] [--no-build]
#
#   PREFIX/include/sealwire.h                  the header (ffi/include/sealwire.h)
#   LIBDIR/libsealwire.so.VERSION              the shared library, SONAME libsealwire.so.ABI
#   LIBDIR/libsealwire.so.ABI -> .so.VERSION   what programs load
#   LIBDIR/libsealwire.so -> .so.ABI           what `-lsealwire` links
#   LIBDIR/libsealwire.a                       the static library
#   LIBDIR/pkgconfig/sealwire.pc               for `pkg-config --cflags --libs sealwire`
#
# PREFIX defaults to /usr/local, LIBDIR to PREFIX/lib. DESTDIR (packaging)
# is prepended to every path written, not to the paths in sealwire.pc.
# VERSION is ffi/Cargo.toml's; ABI is SW_ABI in ffi/build.rs (the SONAME
# policy: ffi/README.md "Install"). The .pc file's Libs.private are what
# rustc reports the static library needs (`--print native-static-libs`),
# not a hand-written list. Linux (ELF) only. Respects CARGO_TARGET_DIR.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix=/usr/local
libdir=""
destdir="${DESTDIR:-}"
build=1
while [[ $# -gt 0 ]]; do
    case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#*=}"; shift ;;
    --libdir) libdir="$2"; shift 2 ;;
    --libdir=*) libdir="${1#*=}"; shift ;;
    --destdir) destdir="$2"; shift 2 ;;
    --destdir=*) destdir="${1#*=}"; shift ;;
    --no-build) build=0; shift ;;
    -h | --help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ "$prefix" = /* ]] || { echo "install.sh: --prefix must be absolute" >&2; exit 2; }
libdir="${libdir:-$prefix/lib}"
includedir="$prefix/include"

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/ffi/Cargo.toml" | head -n 1)"
abi="$(sed -n 's/^const SW_ABI: u32 = \([0-9]*\);$/\1/p' "$root/ffi/build.rs")"
[[ -n "$version" && -n "$abi" ]] || { echo "install.sh: no version or ABI found" >&2; exit 1; }

target="${CARGO_TARGET_DIR:-$root/target}"
[[ "$target" = /* ]] || target="$root/$target"
release="$target/release"
libs_private_file="$release/sealwire-native-static-libs.txt"

if [[ $build -eq 1 ]]; then
    # One release build of the three crate types; rustc prints the native
    # libraries the static library needs (cargo replays the note when the
    # build is fresh).
    log="$(cd "$root" && cargo rustc --release --locked -p sealwire-ffi --lib -- \
        --print native-static-libs 2>&1)" || { echo "$log" >&2; exit 1; }
    libs_private="$(sed -n 's/^note: native-static-libs: //p' <<<"$log" | tail -n 1)"
    [[ -n "$libs_private" ]] || { echo "$log" >&2; echo "install.sh: rustc printed no native-static-libs" >&2; exit 1; }
    printf '%s\n' "$libs_private" >"$libs_private_file"
else
    libs_private="$(cat "$libs_private_file")"
fi

so="libsealwire.so.$version"
install -d "$destdir$includedir" "$destdir$libdir/pkgconfig"
install -m 0644 "$root/ffi/include/sealwire.h" "$destdir$includedir/sealwire.h"
install -m 0755 "$release/libsealwire_ffi.so" "$destdir$libdir/$so"
ln -sf "$so" "$destdir$libdir/libsealwire.so.$abi"
ln -sf "libsealwire.so.$abi" "$destdir$libdir/libsealwire.so"
install -m 0644 "$release/libsealwire_ffi.a" "$destdir$libdir/libsealwire.a"

pc_libdir="$libdir"
[[ "$libdir" == "$prefix/lib" ]] && pc_libdir='${prefix}/lib'
pc_includedir="$includedir"
[[ "$includedir" == "$prefix/include" ]] && pc_includedir='${prefix}/include'
cat >"$destdir$libdir/pkgconfig/sealwire.pc" <<PC
prefix=$prefix
libdir=$pc_libdir
includedir=$pc_includedir

Name: sealwire
Description: End-to-end encryption for messaging apps (X3DH/PQXDH, Double Ratchet), C API
URL: https://github.com/sealwire/sealwire
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -lsealwire
Libs.private: $libs_private
PC

echo "installed sealwire $version (SONAME libsealwire.so.$abi) into $destdir$prefix:"
for f in "$includedir/sealwire.h" "$libdir/$so" "$libdir/libsealwire.so.$abi" \
    "$libdir/libsealwire.so" "$libdir/libsealwire.a" "$libdir/pkgconfig/sealwire.pc"; do
    echo "  $destdir$f"
done
