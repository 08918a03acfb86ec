//! Hostile and broken input at every entry point that takes bytes:
//! `Message::parse`, `PrekeyBundle::parse`, `IdentityKey::from_bytes`,
//! `Session::decrypt`, `Session::decrypt_in_place`, `Session::accept` and
//! `PendingSession::receive`.
//!
//! - arbitrary, structured and mutated-valid bytes never panic, give a typed
//!   error or a success, and an error changes nothing (session, pending
//!   session, prekey store);
//! - whatever parses re-encodes to the same bytes;
//! - every truncation and every single-byte flip of valid messages is
//!   refused by every receiver;
//! - every truncation of a bundle is refused, and every single-byte flip is
//!   either refused when parsing or (for the fields the signature does not
//!   cover: the signed prekey id and the one-time prekey) yields a session
//!   that the responder refuses.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod common;

use std::sync::OnceLock;

use common::{T0, prekey_offsets, setup};
use proptest::prelude::*;
use proptest::sample::Index;
use sealwire::testing::DangerDeterministicRng;
use sealwire::wire::{Message, RatchetHeader, TYPE_BUNDLE, TYPE_PREKEY, TYPE_RATCHET};
use sealwire::{
    BundleError, DecodeError, Encrypt, IdentityKey, IdentityKeyPair, Outgoing, PendingSession,
    PrekeyBundle, PrekeyStore, Session, SessionError,
};

/// Every receiver, in a state with messages in flight, and valid samples.
#[derive(Clone)]
struct Fixture {
    bob_id: IdentityKeyPair,
    /// Bob's store before he accepted (the one-time prekey still held).
    store: PrekeyStore,
    /// Bob, having accepted from `prekey[0]`.
    bob: Session,
    /// Alice, pending (has not read `reply`).
    pending: PendingSession,
    /// An established pair, with `ratchet` (Alice to Bob) in flight.
    alice_est: Session,
    bob_est: Session,
    /// Alice's first chain: `prekey[0]` accepted, `prekey[1]` in flight.
    prekey: Vec<Vec<u8>>,
    /// Bob's reply to the pending Alice.
    reply: Vec<u8>,
    /// In flight to `bob_est`.
    ratchet: Vec<u8>,
    /// In flight to `alice_est`.
    ratchet_back: Vec<u8>,
    /// A bundle with a one-time prekey, and one without.
    bundle: Vec<u8>,
    bundle_no_opk: Vec<u8>,
    alice_id: IdentityKeyPair,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut s = setup(300, true);
        let store = s.store.clone();
        let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
        let prekey: Vec<Vec<u8>> = (0..2)
            .map(|k| {
                pending
                    .encrypt(&mut s.rng, T0, Outgoing::message(&common::body(k)))
                    .unwrap()
                    .message
            })
            .collect();
        let mut store_after = store.clone();
        let (mut bob, _) = Session::accept(&s.bob_id, &mut store_after, T0, &prekey[0]).unwrap();
        let reply = bob
            .encrypt(&mut s.rng, T0, Outgoing::message(&common::body(10)))
            .unwrap()
            .message;
        let (mut alice_est, _) = pending
            .clone()
            .receive(T0, &reply)
            .map_err(|r| r.error)
            .unwrap();
        let mut bob_est = bob.clone();
        let ratchet = alice_est
            .encrypt(&mut s.rng, T0, Outgoing::message(&common::body(20)))
            .unwrap()
            .message;
        let ratchet_back = bob_est
            .encrypt(&mut s.rng, T0, Outgoing::message(&common::body(30)))
            .unwrap()
            .message;
        let bundle = store.bundle(&s.bob_id, s.opk_id).unwrap().to_vec();
        let bundle_no_opk = store.bundle(&s.bob_id, None).unwrap().to_vec();
        Fixture {
            bob_id: s.bob_id,
            store,
            bob,
            pending,
            alice_est,
            bob_est,
            prekey,
            reply,
            ratchet,
            ratchet_back,
            bundle,
            bundle_no_opk,
            alice_id: s.alice_id,
        }
    })
}

/// Offers `bytes` to every receiver. Errors must change nothing; a success
/// is allowed (a mutation may give back a valid message) but must then
/// match a sample byte for byte. Returns how many receivers accepted.
fn offer_everywhere(bytes: &[u8]) -> usize {
    let f = fixture();
    let samples = [
        &f.prekey[0],
        &f.prekey[1],
        &f.reply,
        &f.ratchet,
        &f.ratchet_back,
    ];
    let mut ok = 0;
    let mut succeeded = || {
        ok += 1;
        assert!(
            samples.iter().any(|s| s[..] == *bytes),
            "a non-sample message was accepted"
        );
    };

    for session in [&f.bob, &f.bob_est, &f.alice_est] {
        let mut s = session.clone();
        match s.decrypt(T0, bytes) {
            Ok(_) => succeeded(),
            Err(e) => {
                assert!(
                    s == *session,
                    "decrypt failed ({e:?}) and changed the session"
                );
            }
        }
        let mut s = session.clone();
        let mut buf = bytes.to_vec();
        match s.decrypt_in_place(T0, &mut buf) {
            Ok(_) => succeeded(),
            Err(e) => {
                assert!(
                    s == *session,
                    "decrypt_in_place failed ({e:?}) and changed the session"
                );
            }
        }
    }
    let mut store = f.store.clone();
    match Session::accept(&f.bob_id, &mut store, T0, bytes) {
        Ok(_) => succeeded(),
        Err(e) => assert!(
            store == f.store,
            "accept failed ({e:?}) and changed the store"
        ),
    }
    match f.pending.clone().receive(T0, bytes) {
        Ok(_) => succeeded(),
        Err(r) => assert!(
            *r.session == f.pending,
            "receive failed ({:?}) and changed the pending session",
            r.error
        ),
    }
    ok
}

/// Whatever parses re-encodes to the same bytes.
fn parse_round_trips(bytes: &[u8]) {
    if let Ok(m) = Message::parse(bytes) {
        assert_eq!(m.encoded_len(), bytes.len());
        assert_eq!(m.to_vec(), bytes);
        let mut out = vec![0u8; bytes.len()];
        assert_eq!(m.encode_into(&mut out), Some(bytes.len()));
        if !bytes.is_empty() {
            assert_eq!(m.encode_into(&mut out[..bytes.len() - 1]), None);
        }
    }
    if let Ok(b) = PrekeyBundle::parse(bytes) {
        assert_eq!(b.to_vec(), bytes);
        assert_eq!(b.encoded_len(), bytes.len());
    }
    if let Ok(h) = RatchetHeader::from_bytes(bytes) {
        assert_eq!(h.to_bytes()[..], *bytes);
    }
    if let Ok(bytes32) = <[u8; 32]>::try_from(bytes)
        && let Ok(k) = IdentityKey::from_bytes(&bytes32)
    {
        assert_eq!(k.to_bytes(), bytes32);
    }
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip(Index, u8),
    Set(Index, u8),
    Insert(Index, u8),
    Delete(Index),
    Truncate(Index),
    /// Overwrite a run with the bytes at the same place in another sample.
    Splice(Index, Index, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), 1u8..=255).prop_map(|(i, m)| Mutation::Flip(i, m)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, v)| Mutation::Set(i, v)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, v)| Mutation::Insert(i, v)),
        1 => any::<Index>().prop_map(Mutation::Delete),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        2 => (any::<Index>(), any::<Index>(), 1usize..48)
            .prop_map(|(s, at, n)| Mutation::Splice(s, at, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation, samples: &[&Vec<u8>]) {
    if bytes.is_empty() {
        return;
    }
    match m {
        Mutation::Flip(i, mask) => {
            let at = i.index(bytes.len());
            bytes[at] ^= mask;
        }
        Mutation::Set(i, v) => {
            let at = i.index(bytes.len());
            bytes[at] = *v;
        }
        Mutation::Insert(i, v) => {
            let at = i.index(bytes.len() + 1);
            bytes.insert(at, *v);
        }
        Mutation::Delete(i) => {
            let at = i.index(bytes.len());
            bytes.remove(at);
        }
        Mutation::Truncate(i) => {
            let at = i.index(bytes.len());
            bytes.truncate(at);
        }
        Mutation::Splice(s, at, n) => {
            let other = samples[s.index(samples.len())];
            let start = at.index(bytes.len());
            let end = (start + n).min(bytes.len()).min(other.len()).max(start);
            if start < end {
                bytes[start..end].copy_from_slice(&other[start..end]);
            }
        }
    }
}

/// Bytes that get past the first checks: a valid version and a known or
/// unknown type, then anything.
fn structured() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![
            Just(TYPE_RATCHET),
            Just(TYPE_PREKEY),
            Just(TYPE_BUNDLE),
            any::<u8>()
        ],
        proptest::collection::vec(any::<u8>(), 0..260),
    )
        .prop_map(|(ty, rest)| {
            let mut v = vec![1u8, ty];
            v.extend(rest);
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_change_nothing(
        bytes in prop_oneof![proptest::collection::vec(any::<u8>(), 0..300), structured()]
    ) {
        parse_round_trips(&bytes);
        prop_assert_eq!(offer_everywhere(&bytes), 0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn mutated_valid_input_never_panics_and_changes_nothing(
        which in any::<Index>(),
        mutations in proptest::collection::vec(mutation(), 1..5),
    ) {
        let f = fixture();
        let samples = [
            &f.prekey[0], &f.prekey[1], &f.reply, &f.ratchet, &f.ratchet_back,
            &f.bundle, &f.bundle_no_opk,
        ];
        let mut bytes = samples[which.index(samples.len())].clone();
        for m in &mutations {
            apply(&mut bytes, m, &samples);
        }
        parse_round_trips(&bytes);
        offer_everywhere(&bytes);
    }
}

/// Each valid message with the receiver that takes it.
fn receivers_of(f: &Fixture) -> Vec<(&'static str, Vec<u8>, Receiver)> {
    vec![
        (
            "prekey message to accept",
            f.prekey[1].clone(),
            Receiver::Accept,
        ),
        (
            "prekey message to the session",
            f.prekey[1].clone(),
            Receiver::Bob,
        ),
        (
            "first reply to the pending initiator",
            f.reply.clone(),
            Receiver::Pending,
        ),
        ("ratchet message", f.ratchet.clone(), Receiver::BobEst),
        (
            "ratchet message back",
            f.ratchet_back.clone(),
            Receiver::AliceEst,
        ),
    ]
}

#[derive(Clone, Copy)]
enum Receiver {
    Accept,
    Bob,
    Pending,
    BobEst,
    AliceEst,
}

/// Offers `bytes` to one receiver; returns the outcome, having checked that
/// a failure changed nothing.
fn offer(f: &Fixture, to: Receiver, bytes: &[u8]) -> Result<(), SessionError> {
    let session_offer = |s0: &Session| {
        let mut s = s0.clone();
        let r = s.decrypt(T0, bytes).map(|_| ());
        if r.is_err() {
            assert!(s == *s0);
        }
        let mut s = s0.clone();
        let mut buf = bytes.to_vec();
        let r2 = s.decrypt_in_place(T0, &mut buf).map(|_| ());
        assert_eq!(r, r2);
        if r2.is_err() {
            assert!(s == *s0);
        }
        r
    };
    match to {
        Receiver::Accept => {
            let mut store = f.store.clone();
            let r = Session::accept(&f.bob_id, &mut store, T0, bytes).map(|_| ());
            if r.is_err() {
                assert!(store == f.store);
            }
            r
        }
        Receiver::Pending => match f.pending.clone().receive(T0, bytes) {
            Ok(_) => Ok(()),
            Err(rej) => {
                assert!(*rej.session == f.pending);
                Err(rej.error)
            }
        },
        Receiver::Bob => session_offer(&f.bob),
        Receiver::BobEst => session_offer(&f.bob_est),
        Receiver::AliceEst => session_offer(&f.alice_est),
    }
}

#[test]
fn every_truncation_of_a_valid_message_is_refused() {
    let f = fixture();
    for (what, msg, to) in receivers_of(f) {
        offer(f, to, &msg).unwrap_or_else(|e| panic!("{what}: the original fails: {e:?}"));
        for len in 0..msg.len() {
            assert!(
                offer(f, to, &msg[..len]).is_err(),
                "{what}: prefix of {len} bytes"
            );
        }
    }
}

#[test]
fn every_single_byte_flip_of_a_valid_message_is_refused() {
    let f = fixture();
    for (what, msg, to) in receivers_of(f) {
        for at in 0..msg.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut t = msg.clone();
                t[at] ^= mask;
                assert!(
                    offer(f, to, &t).is_err(),
                    "{what}: byte {at} ^ {mask:#04x} accepted"
                );
            }
        }
    }
}

#[test]
fn every_bit_flip_of_a_ratchet_message_is_refused() {
    let f = fixture();
    for at in 0..f.ratchet.len() {
        for bit in 0..8 {
            let mut t = f.ratchet.clone();
            t[at] ^= 1 << bit;
            assert!(
                offer(f, Receiver::BobEst, &t).is_err(),
                "byte {at} bit {bit}"
            );
        }
    }
}

#[test]
fn every_truncation_of_a_bundle_is_refused() {
    let f = fixture();
    for b in [&f.bundle, &f.bundle_no_opk] {
        assert!(PrekeyBundle::parse(b).is_ok());
        for len in 0..b.len() {
            assert!(
                matches!(
                    PrekeyBundle::parse(&b[..len]),
                    Err(BundleError::Malformed(DecodeError::Truncated))
                ),
                "prefix of {len}"
            );
        }
        for extra in 1..40 {
            let mut t = b.to_vec();
            t.extend(std::iter::repeat_n(0u8, extra));
            assert!(PrekeyBundle::parse(&t).is_err());
        }
    }
}

/// Bundle layout: version, type, identity (32), SPK id (4), SPK (32),
/// signature (64), flags, [OPK id (4), OPK (32)].
const SPK_ID: core::ops::Range<usize> = 34..38;
const OPK_FIELDS: core::ops::Range<usize> = 135..171;

#[test]
fn every_single_byte_flip_of_a_bundle_is_refused_or_yields_a_refused_session() {
    let f = fixture();
    let mut rng = DangerDeterministicRng::from_u64(301);
    for b in [&f.bundle, &f.bundle_no_opk] {
        for at in 0..b.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut t = b.to_vec();
                t[at] ^= mask;
                let bundle = match PrekeyBundle::parse(&t) {
                    Err(_) => continue,
                    Ok(bundle) => bundle,
                };
                // Only the fields outside the signature parse after a flip.
                assert!(
                    SPK_ID.contains(&at) || OPK_FIELDS.contains(&at),
                    "byte {at} ^ {mask:#04x}: a signed field was altered unnoticed"
                );
                // The top bit of an X25519 key is ignored by X25519: with
                // only that bit flipped the one-time prekey is the same key
                // (X3DH leaves the one-time prekey unsigned), and the
                // session works.
                let same_key = at == OPK_FIELDS.end - 1 && mask == 0x80;
                // Otherwise the altered bundle cannot set up a session.
                match PendingSession::initiate(&mut rng, &f.alice_id, &bundle) {
                    Err(e) => assert_eq!(e, SessionError::WeakPublicKey),
                    Ok(mut p) => {
                        let m = p
                            .encrypt(&mut rng, T0, Outgoing::message(b"via altered bundle"))
                            .unwrap()
                            .message;
                        let mut store = f.store.clone();
                        let r = Session::accept(&f.bob_id, &mut store, T0, &m).map(|_| ());
                        if same_key {
                            assert_eq!(r, Ok(()));
                            continue;
                        }
                        let e = r.unwrap_err();
                        assert!(store == f.store);
                        assert!(
                            matches!(
                                e,
                                SessionError::UnknownSignedPrekey
                                    | SessionError::UnknownOneTimePrekey
                                    | SessionError::AuthenticationFailed
                            ),
                            "{e:?}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn identity_keys_must_be_canonical_and_of_large_order() {
    // Regression: `IdentityKey::from_bytes` compared the input with
    // `VerifyingKey::to_bytes`, which returns the input itself, so the
    // canonicity check never fired. y + p encodings (y < 19) with a point
    // on the curve are the non-canonical encodings that decompress.
    let mut refused = 0;
    for y in 0u8..19 {
        for sign in [0u8, 0x80] {
            // p + y = 2^255 - 19 + y, little-endian, with the sign bit.
            let mut enc = [0xffu8; 32];
            enc[0] = 0xed + y;
            enc[31] = 0x7f | sign;
            let decompresses = curve25519_dalek::edwards::CompressedEdwardsY(enc)
                .decompress()
                .is_some();
            let r = IdentityKey::from_bytes(&enc);
            assert_eq!(r, Err(DecodeError::InvalidKey), "y = {y} sign {sign}");
            if decompresses {
                refused += 1;
            }
        }
    }
    assert!(refused > 10, "some of them are points on the curve");
    // x = 0 with the sign bit set: the identity and the point of order 2.
    let mut neg_identity = [0u8; 32];
    neg_identity[0] = 1;
    neg_identity[31] = 0x80;
    assert_eq!(
        IdentityKey::from_bytes(&neg_identity),
        Err(DecodeError::InvalidKey)
    );
    // Small-order points in canonical form.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert_eq!(
        IdentityKey::from_bytes(&identity),
        Err(DecodeError::InvalidKey)
    );
    // A real key round-trips; its non-canonical twin (if any) is refused in
    // a prekey message too.
    let f = fixture();
    let real = f.alice_id.public().to_bytes();
    assert_eq!(IdentityKey::from_bytes(&real).unwrap().to_bytes(), real);
    let mut enc = [0xffu8; 32];
    enc[0] = 0xed + 3;
    enc[31] = 0x7f;
    let mut m = f.prekey[1].clone();
    m[prekey_offsets::IDENTITY].copy_from_slice(&enc);
    assert_eq!(Message::parse(&m).map(|_| ()), Err(DecodeError::InvalidKey));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn identity_key_parsing_accepts_exactly_canonical_torsion_free_points(bytes in any::<[u8; 32]>()) {
        // SPEC.md §3.1: canonical, not of small order, no torsion component
        // (a random point is torsion-free one time in eight).
        let point = curve25519_dalek::edwards::CompressedEdwardsY(bytes).decompress();
        let expected = point
            .filter(|p| {
                !p.is_small_order() && p.is_torsion_free() && p.compress().to_bytes() == bytes
            })
            .is_some();
        prop_assert_eq!(IdentityKey::from_bytes(&bytes).is_ok(), expected);
    }
}
