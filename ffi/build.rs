//! Sets the shared library's SONAME on Linux: `libsealwire.so.<ABI>`, the
//! name `ffi/install.sh` installs it under (with `libsealwire.so.<version>`
//! as the file and `libsealwire.so` as the link-time name). Programs linked
//! against it record the SONAME, so that they load any later build with the
//! same ABI and refuse one with another.
//!
//! `SW_ABI` is bumped on every ABI break (a removed or changed function,
//! struct layout or constant) and only then, whatever the crate version:
//! ffi/README.md "Install" states the policy.

#![allow(clippy::print_stdout, reason = "cargo reads a build script's stdout")]

/// The ABI number: the SONAME's suffix.
const SW_ABI: u32 = 0;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsealwire.so.{SW_ABI}");
    }
}
