//! Known-answer vectors of safety numbers (SPEC.md §17):
//! `tests/vectors/safety_numbers.json`, with every input and output of
//! Signal's published numeric-fingerprint vector (`0x05` keys) and of a
//! sealwire conversation (`0x06 || IK` keys from two RFC 8032 seeds): each
//! party's iterated hash, its 30 digits, the 60-digit number and both
//! devices' scannable codes. Each case is checked two ways:
//!
//! 1. an independent model written from SPEC.md §17 alone (`sha2` and
//!    `ed25519-dalek` directly) recomputes every listed value;
//! 2. the library (`SafetyNumber::from_encoded_keys`, and `SafetyNumber::new`
//!    for sealwire keys) gives the same digits and codes, and each device
//!    accepts the other's code and refuses its own.
//!
//! Regenerate only if §17 changes (never to make a failing check pass):
//! `SEALWIRE_REGENERATE_VECTORS=1 cargo test --test safety_number_known_answers`.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod common;

use common::vectors::{counting, hex, listed_cases, unhex};
use sealwire::IdentityKeyPair;
use sealwire::{SafetyNumber, SafetyNumberError};
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vectors/safety_numbers.json"
);

/// One party's key: a 33-byte encoding given as is (Signal's), or a
/// sealwire identity from its seed.
enum Key {
    Encoded([u8; 33]),
    Seed([u8; 32]),
}

struct Inputs {
    name: &'static str,
    /// The device that shows the code ("local") and its peer.
    local: (Key, &'static [u8]),
    remote: (Key, &'static [u8]),
    iterations: u32,
}

fn cases() -> Vec<Inputs> {
    vec![
        Inputs {
            // libsignal's NumericFingerprintGenerator test vector (version
            // 0 keys, `0x05 || X25519 public`).
            name: "signal",
            local: (
                Key::Encoded(
                    unhex("0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868")
                        .try_into()
                        .unwrap(),
                ),
                b"+14152222222",
            ),
            remote: (
                Key::Encoded(
                    unhex("05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b")
                        .try_into()
                        .unwrap(),
                ),
                b"+14153333333",
            ),
            iterations: 5200,
        },
        Inputs {
            name: "sealwire",
            local: (Key::Seed(counting(0x01)), b"alice@example.org"),
            remote: (Key::Seed(counting(0x41)), b"bob@example.org"),
            iterations: 5200,
        },
    ]
}

/// The encoded key: `0x06 || IK` for a seed (SPEC.md §3.1), with `IK`
/// computed by `ed25519-dalek`, not by sealwire.
fn encoded(key: &Key) -> [u8; 33] {
    match key {
        Key::Encoded(k) => *k,
        Key::Seed(seed) => {
            let ik = ed25519_dalek::SigningKey::from_bytes(seed)
                .verifying_key()
                .to_bytes();
            let mut out = [0x06u8; 33];
            out[1..].copy_from_slice(&ik);
            out
        }
    }
}

/// `h_1 = SHA-512(0x00 0x00 || key || id || key)`, `h_i = SHA-512(h_{i-1}
/// || key)` (§17).
fn hash(key: &[u8], id: &[u8], iterations: u32) -> [u8; 64] {
    let mut h: [u8; 64] = Sha512::digest([&[0u8, 0][..], key, id, key].concat()).into();
    for _ in 1..iterations {
        h = Sha512::digest([&h[..], key].concat()).into();
    }
    h
}

/// The first 30 bytes as six 5-byte big-endian integers, each mod 100000
/// as five digits (§17).
fn digits(h: &[u8; 64]) -> String {
    h[..30]
        .chunks(5)
        .map(|c| {
            let v = c.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b));
            format!("{:05}", v % 100_000)
        })
        .collect()
}

/// Every value of one case, by the model.
fn model_json(inp: &Inputs) -> Value {
    let (lk, rk) = (encoded(&inp.local.0), encoded(&inp.remote.0));
    let (lh, rh) = (
        hash(&lk, inp.local.1, inp.iterations),
        hash(&rk, inp.remote.1, inp.iterations),
    );
    let (ld, rd) = (digits(&lh), digits(&rh));
    let displayable = if ld <= rd {
        ld.clone() + &rd
    } else {
        rd.clone() + &ld
    };
    let scannable = |a: &[u8; 64], b: &[u8; 64]| hex(&[&[0x01u8][..], &a[..32], &b[..32]].concat());
    let mut v = json!({
        "name": inp.name,
        "iterations": inp.iterations,
        "local_key": hex(&lk),
        "local_id": hex(inp.local.1),
        "remote_key": hex(&rk),
        "remote_id": hex(inp.remote.1),
        "local_hash": hex(&lh),
        "remote_hash": hex(&rh),
        "local_digits": ld,
        "remote_digits": rd,
        "displayable": displayable,
        "local_scannable": scannable(&lh, &rh),
        "remote_scannable": scannable(&rh, &lh),
    });
    for (side, key) in [("local", &inp.local.0), ("remote", &inp.remote.0)] {
        if let Key::Seed(seed) = key {
            v[format!("{side}_identity_seed")] = json!(hex(seed));
        }
    }
    v
}

#[test]
fn safety_number_vectors() {
    let cases = cases();
    let listed = listed_cases(
        PATH,
        "sealwire safety numbers (SPEC.md §17). Generated once by tests/safety_number_known_answers.rs; byte strings in hex (ids are the identifiers' bytes), digits as strings. local is the device that shows local_scannable = 0x01 || local_hash[0..32] || remote_hash[0..32]; the peer shows remote_scannable. The signal case is libsignal's published vector; the sealwire case uses Encode(IK) = 0x06 || IK of the two identity seeds.",
        || cases.iter().map(model_json).collect(),
        cases.len(),
    );
    for (inp, v) in cases.iter().zip(&listed) {
        let name = inp.name;
        // 1. The model, from the SPEC alone.
        assert_eq!(&model_json(inp), v, "{name}: the model disagrees");

        // 2. The library, from both devices.
        let field = |k: &str| unhex(v[k].as_str().unwrap());
        let (lk, rk) = (field("local_key"), field("remote_key"));
        let (lid, rid) = (field("local_id"), field("remote_id"));
        let local = SafetyNumber::from_encoded_keys(&lk, &lid, &rk, &rid, inp.iterations).unwrap();
        let remote = SafetyNumber::from_encoded_keys(&rk, &rid, &lk, &lid, inp.iterations).unwrap();
        for (sn, code) in [(&local, "local_scannable"), (&remote, "remote_scannable")] {
            assert_eq!(sn.displayable(), v["displayable"], "{name}");
            assert_eq!(sn.scannable()[..], field(code), "{name}: {code}");
        }
        assert_eq!(remote.verify_scanned(&local.scannable()), Ok(()));
        assert_eq!(local.verify_scanned(&remote.scannable()), Ok(()));
        assert_eq!(
            local.verify_scanned(&local.scannable()),
            Err(SafetyNumberError::Mismatch)
        );
        // SPEC.md §17 quotes the displayable number and the local device's
        // code of each case.
        let spec: String = include_str!("../SPEC.md")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        for k in ["displayable", "local_scannable", "local_key", "remote_key"] {
            assert!(
                spec.contains(v[k].as_str().unwrap()),
                "{name}: SPEC.md §17 does not quote {k}"
            );
        }
        if let (Key::Seed(ls), Key::Seed(rs)) = (&inp.local.0, &inp.remote.0) {
            let (l, r) = (
                IdentityKeyPair::from_seed(ls),
                IdentityKeyPair::from_seed(rs),
            );
            assert_eq!(l.public().encode()[..], lk[..], "{name}: Encode(IK)");
            let typed = SafetyNumber::new(l.public(), &lid, r.public(), &rid);
            assert!(typed == local, "{name}: SafetyNumber::new");
        }
    }
}
