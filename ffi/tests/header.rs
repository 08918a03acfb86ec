//! The committed C header `ffi/include/sealwire.h` is exactly what cbindgen
//! generates from the sources (with `ffi/cbindgen.toml`): this test fails on
//! any difference. `SEALWIRE_BLESS=1` rewrites the header instead.
//!
//! Also checks the header against the crate: every result code appears with
//! its number, and every exported function has a NULL test in
//! `ffi/tests/c/test_null.c` (or `test_group_null.c`, `test_devices_null.c`,
//! `test_sealed_null.c`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::print_stderr,
    missing_docs
)]

use std::path::{Path, PathBuf};

use sealwire_ffi::sw_result;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    dir().join("include").join("sealwire.h")
}

fn generate(dir: &Path) -> String {
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).unwrap();
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src").join("lib.rs"))
        .generate()
        .expect("cbindgen failed on ffi/src");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).unwrap()
}

/// The names of the functions the header declares.
fn exported_functions(header: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in header.lines() {
        // Declarations start at the beginning of a line: `sw_result sw_x(`
        // or `void sw_x_free(`.
        if line.starts_with(' ') || line.starts_with('#') || line.starts_with('*') {
            continue;
        }
        if let Some(open) = line.find('(') {
            let before = &line[..open];
            if let Some(name) = before.split_whitespace().last() {
                let name = name.trim_start_matches('*');
                if name.starts_with("sw_") {
                    names.push(name.to_owned());
                }
            }
        }
    }
    names
}

#[test]
fn header_matches_the_sources() {
    let generated = generate(&dir());
    let path = header_path();
    if std::env::var_os("SEALWIRE_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "ffi/include/sealwire.h is stale (first difference at line {}); regenerate it with \
             `SEALWIRE_BLESS=1 cargo test -p sealwire-ffi --test header` and commit it",
            first + 1
        );
    }
}

#[test]
fn every_result_code_is_in_the_header_with_its_number() {
    let header = std::fs::read_to_string(header_path()).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for code in sw_result::ALL {
        let n = code as u32;
        assert!(seen.insert(n), "{code:?}: number {n} used twice");
        assert_eq!(sw_result::from_u32(n), Some(code));
        assert!(!code.message().is_empty());
        let line = format!("{code:?} = {n},");
        assert!(header.contains(&line), "header lacks `{line}`");
    }
    // And the header has no code the table lacks.
    let in_header = header
        .lines()
        .filter(|l| l.trim_start().starts_with("SW_") && l.contains(" = "))
        .count();
    let other_enums = header
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            [
                "SW_CONTENT_",
                "SW_EXPIRY_OFF",
                "SW_EXPIRY_AFTER_",
                "SW_MESSAGE_EXPIRY_",
                "SW_CHANGED_BY_",
                "SW_PQ_PREKEY_",
                "SW_KEY_AGREEMENT_",
                "SW_DEVICE_EVENT_",
                "SW_RECOVERY_ACTION_",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .count();
    assert_eq!(in_header - other_enums, sw_result::ALL.len());
    // ffi/README.md's table lists every code with its number.
    let developers = std::fs::read_to_string(dir().join("README.md")).unwrap();
    for code in sw_result::ALL {
        let row = format!("| {} | `{code:?}` |", code as u32);
        assert!(
            developers.contains(&row),
            "ffi/README.md lacks the row `{row}`"
        );
    }
}

/// Each declared function with its parameters (`type name` strings).
fn declarations(header: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut lines = header.lines();
    while let Some(line) = lines.next() {
        if line.starts_with(' ') || line.starts_with('#') || line.starts_with('*') {
            continue;
        }
        let Some(open) = line.find('(') else { continue };
        let Some(name) = line[..open].split_whitespace().last() else {
            continue;
        };
        let name = name.trim_start_matches('*');
        if !name.starts_with("sw_") {
            continue;
        }
        let mut params = line[open + 1..].to_owned();
        while !params.contains(");") {
            params.push_str(lines.next().unwrap());
        }
        let params = params.split(");").next().unwrap();
        let params = params
            .split(',')
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|p| !p.is_empty() && p != "void")
            .collect();
        out.push((name.to_owned(), params));
    }
    out
}

#[test]
fn every_exported_function_has_a_null_test() {
    let header = std::fs::read_to_string(header_path()).unwrap();
    let decls = declarations(&header);
    assert_eq!(decls.len(), exported_functions(&header).len());
    assert!(decls.len() > 40, "found only {decls:?}");
    let c = |name: &str| std::fs::read_to_string(dir().join("tests").join("c").join(name)).unwrap();
    // Groups and channels, devices, and sealed sender keep their NULL calls
    // in files of their own.
    let tests = c("test_null.c")
        + &c("test_group_null.c")
        + &c("test_devices_null.c")
        + &c("test_sealed_null.c");
    let mut missing = Vec::new();
    for (name, params) in &decls {
        if name.ends_with("_free") {
            // `_free(NULL)` is a no-op.
            if !tests.contains(&format!("{name}(NULL);")) {
                missing.push(format!("{name}(NULL)"));
            }
            continue;
        }
        // Every pointer parameter but the optional `sw_rng *rng` (NULL: the
        // OS generator) needs its own `NUL(name(...))` call.
        let required = params
            .iter()
            .filter(|p| p.contains('*') && !p.starts_with("sw_rng *rng"))
            .count();
        let calls = tests.matches(&format!("NUL({name}(")).count();
        if calls < required {
            missing.push(format!(
                "{name}: {calls} NULL calls for {required} pointers"
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "exported functions without a NULL test for each pointer in \
         ffi/tests/c/test_null.c: {missing:#?}"
    );
}

#[test]
fn every_exported_function_is_in_the_library() {
    // The names in the header are the crate's `#[unsafe(no_mangle)]`
    // functions: each one is found in the sources as `pub unsafe extern "C" fn NAME(`.
    let header = std::fs::read_to_string(header_path()).unwrap();
    let mut sources = String::new();
    let mut dirs = vec![dir().join("src")];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                sources.push_str(&std::fs::read_to_string(path).unwrap());
            }
        }
    }
    for f in exported_functions(&header) {
        assert!(
            sources.contains(&format!("pub unsafe extern \"C\" fn {f}("))
                || sources.contains(&format!("pub extern \"C\" fn {f}(")),
            "{f} is in the header but not exported by ffi/src"
        );
    }
}

#[test]
fn the_rng_is_always_the_first_parameter() {
    // ffi/README.md "Conventions": a function that takes a generator takes
    // it first, whatever else it takes.
    let header = std::fs::read_to_string(header_path()).unwrap();
    let mut misplaced = Vec::new();
    let mut with_rng = 0;
    for (name, params) in declarations(&header) {
        if let Some(i) = params
            .iter()
            .position(|p| p.starts_with("sw_rng *") && !p.starts_with("sw_rng **"))
        {
            with_rng += 1;
            if i != 0 || params[0] != "sw_rng *rng" {
                misplaced.push(name);
            }
        }
    }
    assert!(with_rng > 30, "only {with_rng} functions take an rng");
    assert!(misplaced.is_empty(), "rng not first in {misplaced:?}");
}

#[test]
fn boolean_parameters_are_bool() {
    // ffi/README.md "Conventions": booleans are C99 `bool`, in and out; no
    // `uint32_t` flags.
    let header = std::fs::read_to_string(header_path()).unwrap();
    let mut flags = Vec::new();
    for (name, params) in declarations(&header) {
        for p in params {
            let is_flag_name = ["has_", "is_", "franked", "require"].iter().any(|w| {
                p.split_whitespace()
                    .last()
                    .is_some_and(|n| n.trim_start_matches('*').starts_with(w))
            });
            if is_flag_name && !p.starts_with("bool") {
                flags.push(format!("{name}: {p}"));
            }
        }
    }
    assert!(flags.is_empty(), "flags that are not bool: {flags:?}");
}

#[test]
fn the_version_constants_are_the_crate_version() {
    let header = std::fs::read_to_string(header_path()).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let parts: Vec<&str> = version.split('.').collect();
    for (name, part) in ["SW_VERSION_MAJOR", "SW_VERSION_MINOR", "SW_VERSION_PATCH"]
        .iter()
        .zip(&parts)
    {
        assert!(
            header.contains(&format!("#define {name} {part}")),
            "{name} is not {part} (Cargo.toml's version {version})"
        );
    }
    // SAFETY: a static NUL-terminated string.
    let got = unsafe { std::ffi::CStr::from_ptr(sealwire_ffi::sw_version()) };
    assert_eq!(got.to_str().unwrap(), version);
}
