//! Known-answer vector of the recovery request (SPEC.md §21.4):
//! `tests/vectors/recovery_request.json`, from explicit inputs (the two
//! identity seeds, the failed message's ratchet key and counter, the
//! request time). Checked two ways:
//!
//! 1. an independent model written from SPEC.md §21.4 alone
//!    (`ed25519-dalek` directly, the layout by hand) recomputes the signed
//!    fields, the signature and the request;
//! 2. the library makes the same bytes from a message carrying that
//!    header and parses them back field by field (acceptance is tested in
//!    `tests/devices.rs`).
//!
//! Regenerate only if §21.4 changes:
//! `SEALWIRE_REGENERATE_VECTORS=1 cargo test --test recovery_known_answers`.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;

use common::vectors::{counting, hex, listed_cases, unhex};
use ed25519_dalek::{Signer, SigningKey};
use sealwire::devices::{DeviceSessions, RecoveryRequest};
use sealwire::limits::RECOVERY_REQUEST_LEN;
use sealwire::{IdentityKeyPair, Timestamp};
use serde_json::{Value, json};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vectors/recovery_request.json"
);

struct Inputs {
    requester_seed: [u8; 32],
    target_seed: [u8; 32],
    ratchet_key: [u8; 32],
    counter: u32,
    requested_at_ms: u64,
}

fn inputs() -> Inputs {
    Inputs {
        requester_seed: counting(0x10),
        target_seed: counting(0x40),
        ratchet_key: counting(0x80),
        counter: 7,
        requested_at_ms: 1_780_000_000_000,
    }
}

/// SPEC.md §21.4, by hand.
fn model(inp: &Inputs) -> Value {
    let requester = SigningKey::from_bytes(&inp.requester_seed);
    let target = SigningKey::from_bytes(&inp.target_seed);
    let mut signed = vec![0x01, 0x40];
    signed.extend_from_slice(requester.verifying_key().as_bytes());
    signed.extend_from_slice(target.verifying_key().as_bytes());
    signed.extend_from_slice(&inp.ratchet_key);
    signed.extend_from_slice(&inp.counter.to_be_bytes());
    signed.extend_from_slice(&inp.requested_at_ms.to_be_bytes());
    let mut message = b"sealwire recovery request".to_vec();
    message.extend_from_slice(&signed);
    let signature = requester.sign(&message).to_bytes();
    let mut request = signed.clone();
    request.extend_from_slice(&signature);
    json!({
        "requester_seed": hex(&inp.requester_seed),
        "target_seed": hex(&inp.target_seed),
        "requester_identity": hex(requester.verifying_key().as_bytes()),
        "target_identity": hex(target.verifying_key().as_bytes()),
        "ratchet_key": hex(&inp.ratchet_key),
        "counter": inp.counter,
        "requested_at_ms": inp.requested_at_ms,
        "signed_message": hex(&message),
        "signature": hex(&signature),
        "request": hex(&request),
    })
}

/// A ratchet message (SPEC.md §6) whose header carries the ratchet key and
/// counter: what the requester failed to decrypt.
fn failed_message(inp: &Inputs) -> Vec<u8> {
    let mut m = vec![0x02, 0x01];
    m.extend_from_slice(&inp.ratchet_key);
    m.extend_from_slice(&0u32.to_be_bytes());
    m.extend_from_slice(&inp.counter.to_be_bytes());
    m.extend_from_slice(&[0u8; 12]);
    m.extend_from_slice(&[0u8; 64]);
    m
}

#[test]
fn recovery_request_vector() {
    let inp = inputs();
    let listed = listed_cases(
        PATH,
        "sealwire recovery request (SPEC.md §21.4). Generated once by tests/recovery_known_answers.rs; byte strings in hex. request = 0x01 || 0x40 || requester_identity || target_identity || ratchet_key || u32 counter || u64 requested_at_ms || signature; signature = Ed25519(requester_seed, signed_message) with signed_message = \"sealwire recovery request\" || request[0..110].",
        || vec![model(&inp)],
        1,
    );
    let v = &listed[0];
    assert_eq!(&model(&inp), v, "the model disagrees");

    let requester = IdentityKeyPair::from_seed(&inp.requester_seed);
    let target = IdentityKeyPair::from_seed(&inp.target_seed);
    let made = DeviceSessions::new()
        .recovery_request(
            &requester,
            target.public(),
            Timestamp::from_unix_millis(inp.requested_at_ms),
            &failed_message(&inp),
        )
        .unwrap();
    let bytes = made.to_bytes();
    assert_eq!(bytes.len(), RECOVERY_REQUEST_LEN);
    assert_eq!(
        hex(&bytes),
        v["request"].as_str().unwrap(),
        "the library disagrees"
    );
    let parsed = RecoveryRequest::parse(&unhex(v["request"].as_str().unwrap())).unwrap();
    assert_eq!(parsed, made);
    assert_eq!(parsed.requester(), requester.public());
    assert_eq!(parsed.target(), target.public());
    assert_eq!(parsed.ratchet_key(), &inp.ratchet_key);
    assert_eq!(parsed.counter(), inp.counter);
    assert_eq!(parsed.requested_at().as_unix_millis(), inp.requested_at_ms);

    // SPEC.md §21.4 quotes the request.
    let spec: String = include_str!("../SPEC.md")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(
        spec.contains(v["request"].as_str().unwrap()),
        "SPEC.md §21.4 does not quote the request"
    );
}
