#!/usr/bin/env bash
# CI of the C API (sealwire-ffi), self-contained, runnable from any
# directory:
#
#     bash ffi/ci.sh
#
# 1. builds the crate (staticlib + cdylib, debug; rustc prints the native
#    libraries the static library needs) with its test-only
#    `test-utils` feature (the seeded generator the C and Python tests use;
#    the C tests see it in the header through -DSW_TEST_UTILS);
# 2. checks the committed header against cbindgen and that every exported
#    function has its NULL test (ffi/tests/header.rs);
# 3. builds the C test suite (ffi/tests/c/*.c) and the C example
#    (examples/c/) with gcc against the staticlib, under AddressSanitizer,
#    UndefinedBehaviorSanitizer and LeakSanitizer, and runs them: any
#    sanitizer report or leak fails the run. Where ASan cannot run, valgrind
#    (--error-exitcode=1, definite and indirect leaks are errors) is used
#    instead; SEALWIRE_FFI_CHECKER=asan|valgrind forces one;
# 4. runs the Python tests and demo (ctypes, on the cdylib).
#
# Needs cargo, gcc (or $CC) and python3. About 30 s with a warm cache.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

target="${CARGO_TARGET_DIR:-target}"
[[ "$target" = /* ]] || target="$root/$target"
staticlib="$target/debug/libsealwire_ffi.a"
cdylib="$target/debug/libsealwire_ffi.so"
CC="${CC:-gcc}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

started=$SECONDS
step() {
    echo
    echo "==> $*"
}

step "cargo rustc -p sealwire-ffi --features test-utils (and the static library's native libraries)"
# The system libraries the static library needs, as rustc reports them (the
# same list ffi/install.sh writes into sealwire.pc), not a hand-written one.
log="$(cargo rustc -p sealwire-ffi --features test-utils --lib -- --print native-static-libs 2>&1)" ||
    { echo "$log"; exit 1; }
native_libs="$(sed -n 's/^note: native-static-libs: //p' <<<"$log" | tail -n 1)"
[[ -n "$native_libs" ]] || { echo "$log"; echo "rustc printed no native-static-libs"; exit 1; }
echo "native-static-libs: $native_libs"

step "header up to date; every export has a NULL test (ffi/tests/header.rs)"
cargo test -p sealwire-ffi --test header -q

# Which memory checker: ASan+UBSan+LSan if a sanitized program runs here,
# else valgrind.
checker="${SEALWIRE_FFI_CHECKER:-auto}"
if [[ "$checker" == auto ]]; then
    printf 'int main(void) { return 0; }\n' >"$work/probe.c"
    if "$CC" -fsanitize=address,undefined "$work/probe.c" -o "$work/probe" 2>/dev/null &&
        ASAN_OPTIONS=detect_leaks=1 "$work/probe" 2>/dev/null; then
        checker=asan
    else
        checker=valgrind
    fi
fi
echo "memory checker: $checker"

cflags=(-std=c11 -Wall -Wextra -Werror -pedantic -g -DSW_TEST_UTILS -I "$root/ffi/include" -I "$root/ffi/tests/c")
read -r -a native <<<"$native_libs"
libs=("$staticlib" "${native[@]}")
if [[ "$checker" == asan ]]; then
    cflags+=(-O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    run() { "$@"; }
else
    cflags+=(-O0)
    run() {
        valgrind -q --error-exitcode=1 --leak-check=full \
            --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect "$@"
    }
fi

# build_and_run NAME SOURCE: compiles SOURCE against the staticlib, runs it.
build_and_run() {
    step "C: $1 ($checker)"
    "$CC" "${cflags[@]}" "$2" "${libs[@]}" -o "$work/$1"
    run "$work/$1"
}

for test in "$root"/ffi/tests/c/test_*.c; do
    build_and_run "$(basename "$test" .c)" "$test"
done
build_and_run "example_conversation" "$root/examples/c/conversation.c"

step "Python: ffi/tests/python/test_sealwire.py (ctypes, $cdylib)"
export SEALWIRE_LIB="$cdylib"
python3 "$root/ffi/tests/python/test_sealwire.py"

step "Python: ffi/tests/python/chat_demo.py"
python3 "$root/ffi/tests/python/chat_demo.py"

echo
echo "ffi/ci.sh: OK in $((SECONDS - started))s"
