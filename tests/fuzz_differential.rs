//! The differential fuzz targets (issue 20, point 4: `padme`,
//! `message_keys`, `blob_roundtrip` in fuzz/fuzz_targets/) run in the
//! ordinary test run on their seed corpora and on chosen inputs: Padmé and
//! the lengths built on it against Padmé from its definition, the
//! hand-written HMAC/HKDF paths against the `hmac` and `hkdf` crates, and
//! every state blob kind's round trips after scripted operations.
//!
//! The seeds in `fuzz/corpus/{padme,message_keys,blob_roundtrip}/` are
//! written by `SEALWIRE_BLESS_FUZZ=1 cargo test --test fuzz_differential
//! seed_corpus` and checked here otherwise.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

use std::path::PathBuf;

use sealwire::limits::MAX_BODY_LEN;
use sealwire_fuzz_fixtures::{BlobWorld, Fixture, GroupFixture, padme_reference};

/// A `padme` input: the mode byte (odd: any usize; even: a body length),
/// then the length, big-endian.
fn padme_input(mode: u8, len: u64) -> Vec<u8> {
    let mut v = vec![mode];
    v.extend_from_slice(&len.to_be_bytes());
    v
}

/// A `blob_roundtrip` script exercising every operation of the target.
const EVERY_OPERATION: &[u8] = &[
    0, 5, 0, 0x85, 0, 0x86, 1, 3, 1, 0x83, 2, 0, 2, 1, 3, 10, 3, 0x90, 3, 0x91, 4, 0, 5, 0, 6, 3,
    6, 4, 7, 4, 7, 6, 8, 30, 9, 4, 9, 5, 9, 1, 10, 0x13, 11, 0x0b, 0, 7, 1, 8, 8, 200,
];

fn seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let mut key = [0u8; 35];
    for (i, b) in key.iter_mut().enumerate() {
        *b = i as u8;
    }
    vec![
        ("padme", "small", padme_input(0, 33)),
        ("padme", "max_body", padme_input(0, MAX_BODY_LEN as u64)),
        ("padme", "sealed_1000", padme_input(0x06, 1000)),
        ("padme", "large", padme_input(1, u64::MAX >> 7)),
        ("padme", "near_max", padme_input(1, u64::MAX - 1)),
        ("message_keys", "counting", key.to_vec()),
        ("message_keys", "zero", vec![0; 35]),
        ("message_keys", "short", b"key".to_vec()),
        (
            "blob_roundtrip",
            "every_operation",
            EVERY_OPERATION.to_vec(),
        ),
        (
            "blob_roundtrip",
            "held_messages",
            [0u8, 0x81]
                .repeat(12)
                .into_iter()
                .chain([2, 3, 2, 9])
                .collect(),
        ),
        (
            "blob_roundtrip",
            "group_traffic",
            [3u8, 0x82, 3, 4, 5, 0, 3, 0x81, 4, 1, 8, 100]
                .repeat(3)
                .to_vec(),
        ),
    ]
}

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

#[test]
fn seed_corpus() {
    let bless = std::env::var_os("SEALWIRE_BLESS_FUZZ").is_some();
    for (target, name, bytes) in seeds() {
        let path = corpus_dir(target).join(name);
        if bless {
            std::fs::create_dir_all(corpus_dir(target)).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        } else {
            let committed = std::fs::read(&path).unwrap_or_else(|e| {
                panic!("{}: {e} (bless with SEALWIRE_BLESS_FUZZ=1)", path.display())
            });
            assert_eq!(committed, bytes, "{} drifted", path.display());
        }
    }
}

#[test]
fn every_seed_passes_its_target() {
    let (f, g, w) = (Fixture::new(), GroupFixture::new(), BlobWorld::new());
    for (target, _, bytes) in seeds() {
        match target {
            "padme" => {
                sealwire_fuzz_fixtures::padme(&bytes);
                if bytes[0] & 0x06 == 0x06 {
                    sealwire_fuzz_fixtures::padme_sealed(&f, &g, &bytes[1..]);
                }
            }
            "message_keys" => sealwire_fuzz_fixtures::message_keys(&bytes),
            _ => w.blob_roundtrip(&bytes),
        }
    }
}

/// The reference is Padmé as the paper defines it: its known values.
#[test]
fn padme_reference_known_values() {
    for (len, padded) in [
        (0u128, 0u128),
        (1, 1),
        (2, 2),
        (3, 3),
        (9, 10),
        (32, 32),
        (33, 36),
        (100, 104),
        (1000, 1024),
        (65_537, 67_584),
    ] {
        assert_eq!(padme_reference(len), padded, "Padmé({len})");
    }
}

/// Every body length up to 4 KiB, every power of two up to `usize::MAX`
/// and its neighbours, and the body limit's neighbours.
#[test]
fn padme_agrees_with_its_definition() {
    let mut lens: Vec<u64> = (0..=4096).collect();
    for k in 1..64 {
        let p = 1u64 << k;
        lens.extend([p - 1, p, p + 1]);
    }
    let m = MAX_BODY_LEN as u64;
    lens.extend([m - 1, m, m + 1, 2 * m, u64::MAX - 1, u64::MAX]);
    for len in lens {
        sealwire_fuzz_fixtures::padme(&padme_input(0, len));
        sealwire_fuzz_fixtures::padme(&padme_input(1, len));
    }
}

#[test]
fn message_keys_agree_with_the_crates() {
    for seed in 0u8..=16 {
        let input: Vec<u8> = (0..35u8)
            .map(|i| i.wrapping_mul(37).wrapping_add(seed))
            .collect();
        sealwire_fuzz_fixtures::message_keys(&input);
    }
}
