//! Safety numbers: Signal's published numeric-fingerprint vector, symmetry,
//! sensitivity to every input, and the scannable form.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use sealwire::testing::DangerDeterministicRng;
use sealwire::{DecodeError, IdentityKeyPair};
use sealwire::{SafetyNumber, SafetyNumberError};

/// libsignal's NumericFingerprintGenerator test vector (version 0 keys,
/// `0x05 || X25519 public`), 5200 iterations.
const SIGNAL_ALICE: [u8; 33] = [
    0x05, 0x06, 0x86, 0x3b, 0xc6, 0x6d, 0x02, 0xb4, 0x0d, 0x27, 0xb8, 0xd4, 0x9c, 0xa7, 0xc0, 0x9e,
    0x92, 0x39, 0x23, 0x6f, 0x9d, 0x7d, 0x25, 0xd6, 0xfc, 0xca, 0x5c, 0xe1, 0x3c, 0x70, 0x64, 0xd8,
    0x68,
];
const SIGNAL_BOB: [u8; 33] = [
    0x05, 0xf7, 0x81, 0xb6, 0xfb, 0x32, 0xfe, 0xd9, 0xba, 0x1c, 0xf2, 0xde, 0x97, 0x8d, 0x4d, 0x5d,
    0xa2, 0x8d, 0xc3, 0x40, 0x46, 0xae, 0x81, 0x44, 0x02, 0xb5, 0xc0, 0xdb, 0xd9, 0x6f, 0xda, 0x90,
    0x7b,
];
const SIGNAL_NUMBER: &str = "300354477692869396892869876765458257569162576843440918079131";

#[test]
fn reproduces_signals_published_vector_from_both_sides() {
    let a = SafetyNumber::from_encoded_keys(
        &SIGNAL_ALICE,
        b"+14152222222",
        &SIGNAL_BOB,
        b"+14153333333",
        5200,
    )
    .unwrap();
    let b = SafetyNumber::from_encoded_keys(
        &SIGNAL_BOB,
        b"+14153333333",
        &SIGNAL_ALICE,
        b"+14152222222",
        5200,
    )
    .unwrap();
    assert_eq!(a.displayable(), SIGNAL_NUMBER);
    assert_eq!(b.displayable(), SIGNAL_NUMBER);
    // Each side's scannable code verifies on the other side, not its own.
    assert_eq!(b.verify_scanned(&a.scannable()), Ok(()));
    assert_eq!(a.verify_scanned(&b.scannable()), Ok(()));
    assert_eq!(
        a.verify_scanned(&a.scannable()),
        Err(SafetyNumberError::Mismatch)
    );
}

fn ids(seed: u64) -> (IdentityKeyPair, IdentityKeyPair) {
    let mut rng = DangerDeterministicRng::from_u64(seed);
    (
        IdentityKeyPair::generate(&mut rng),
        IdentityKeyPair::generate(&mut rng),
    )
}

#[test]
fn both_parties_compute_the_same_number_and_every_input_matters() {
    let (alice, bob) = ids(1);
    let (mallory, _) = ids(2);
    let a = SafetyNumber::new(alice.public(), b"alice", bob.public(), b"bob");
    let b = SafetyNumber::new(bob.public(), b"bob", alice.public(), b"alice");
    assert_eq!(a.displayable(), b.displayable());
    assert_eq!(a.displayable().len(), 60);
    assert!(a.displayable().bytes().all(|c| c.is_ascii_digit()));
    b.verify_scanned(&a.scannable()).unwrap();

    let variants = [
        SafetyNumber::new(mallory.public(), b"alice", bob.public(), b"bob"),
        SafetyNumber::new(alice.public(), b"alice", mallory.public(), b"bob"),
        SafetyNumber::new(alice.public(), b"alicf", bob.public(), b"bob"),
        SafetyNumber::new(alice.public(), b"alice", bob.public(), b"bob2"),
    ];
    for v in &variants {
        assert_ne!(v.displayable(), a.displayable());
        assert_eq!(
            b.verify_scanned(&v.scannable()),
            Err(SafetyNumberError::Mismatch)
        );
    }
}

#[test]
fn scannable_form_is_strict() {
    let (alice, bob) = ids(3);
    let a = SafetyNumber::new(alice.public(), b"a", bob.public(), b"b");
    let b = SafetyNumber::new(bob.public(), b"b", alice.public(), b"a");
    let code = a.scannable();
    assert_eq!(code.len(), SafetyNumber::SCANNABLE_LEN);
    for cut in 0..code.len() {
        assert_eq!(
            b.verify_scanned(&code[..cut]),
            Err(SafetyNumberError::Malformed(DecodeError::Truncated))
        );
    }
    let mut long = code.to_vec();
    long.push(0);
    assert_eq!(
        b.verify_scanned(&long),
        Err(SafetyNumberError::Malformed(DecodeError::TrailingBytes))
    );
    let mut version = code;
    version[0] = 2;
    assert_eq!(
        b.verify_scanned(&version),
        Err(SafetyNumberError::Malformed(
            DecodeError::UnsupportedVersion(2)
        ))
    );
    for i in 1..code.len() {
        let mut flipped = code;
        flipped[i] ^= 1;
        assert_eq!(
            b.verify_scanned(&flipped),
            Err(SafetyNumberError::Mismatch),
            "byte {i}"
        );
    }
}

#[test]
fn iterations_are_bounded() {
    for bad in [0, SafetyNumber::MAX_ITERATIONS + 1] {
        assert_eq!(
            SafetyNumber::from_encoded_keys(b"k", b"i", b"k2", b"i2", bad).unwrap_err(),
            SafetyNumberError::InvalidIterations
        );
    }
    // One iteration is SHA-512(0x0000 || key || id || key) alone.
    let one = sealwire::SafetyNumber::fingerprint_hash(b"key", b"id", 1).unwrap();
    use sha2::Digest;
    let direct: [u8; 64] = sha2::Sha512::digest(b"\0\0keyidkey").into();
    assert_eq!(one, direct);
    // The bound itself is accepted (2^20 rounds: about a second).
    assert!(SafetyNumber::fingerprint_hash(b"k", b"i", SafetyNumber::MAX_ITERATIONS).is_ok());
}

/// The public building blocks compose to the number: each party's 30
/// digits from its iterated hash, the smaller half first.
#[test]
fn the_number_is_the_two_displayable_halves_in_order() {
    let alice = IdentityKeyPair::from_seed(&[1; 32]);
    let bob = IdentityKeyPair::from_seed(&[2; 32]);
    let half = |key: &IdentityKeyPair, id: &[u8]| {
        let hash = SafetyNumber::fingerprint_hash(&key.public().encode(), id, 5200).unwrap();
        SafetyNumber::displayable_half(&hash)
    };
    let (a, b) = (half(&alice, b"alice"), half(&bob, b"bob"));
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    let number = SafetyNumber::new(alice.public(), b"alice", bob.public(), b"bob");
    assert_eq!(number.displayable().as_bytes(), [first, second].concat());
    // Six groups of five digits: each a 5-byte big-endian chunk mod 10^5.
    let hash = [0xffu8; 64];
    let all_ones = (1u64 << 40) - 1;
    let group = format!("{:05}", all_ones % 100_000);
    assert_eq!(
        SafetyNumber::displayable_half(&hash).as_slice(),
        group.repeat(6).as_bytes()
    );
}
