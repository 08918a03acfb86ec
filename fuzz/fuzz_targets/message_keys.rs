#![no_main]

//! Differential: the key schedule's hand-written HMAC-SHA256 and HKDF
//! paths (the 1:1 and group chain step, the 1:1 and group message keys)
//! against the `hmac` and `hkdf` crates.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sealwire_fuzz_fixtures::message_keys(data));
