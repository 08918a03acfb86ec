//! PQXDH (SPEC.md §3.5–§3.7): post-quantum sessions end to end, the PQ
//! prekey in bundles and prekey messages, downgrade resistance, the
//! `require_pq` policy, one-time PQ prekey consumption, last-resort replay
//! refusal, persistence, and mutation of PQ prekey messages.

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

use common::{T0, accept_fails, decrypt_fails, flipped};
use proptest::prelude::*;
use sealwire::hazmat;
use sealwire::limits::{
    MAX_BODY_LEN, MAX_BUNDLE_LEN, MAX_LAST_RESORT_PQ_PREKEYS, MAX_MESSAGE_LEN,
    PQ_BUNDLE_FIELDS_LEN, PQ_MESSAGE_FIELDS_LEN,
};
use sealwire::persist::StateBlob;
use sealwire::testing::DangerDeterministicRng;
use sealwire::wire::Message;
use sealwire::{
    BundleError, DecodeError, Encrypt, IdentityKeyPair, Outgoing, PendingSession, PqPrekeyKind,
    PqPrekeyPublic, PrekeyBundle, PrekeyStore, Session, SessionError, SessionRecord,
};
use sealwire_fuzz_fixtures::PqFixture;

/// Offsets in a bundle (SPEC.md §4.1).
const BUNDLE_FLAGS: usize = 134;
const BUNDLE_SPK_SIG: core::ops::Range<usize> = 70..134;

/// Offsets in a prekey message (SPEC.md §7.1).
const MSG_FLAGS: usize = 70;

/// Where the PQ fields of a prekey message start.
fn pq_fields_at(msg: &[u8]) -> usize {
    if msg[MSG_FLAGS] & 0x01 != 0 { 75 } else { 71 }
}

struct Pq {
    rng: DangerDeterministicRng,
    alice_id: IdentityKeyPair,
    bob_id: IdentityKeyPair,
    store: PrekeyStore,
    opk: Option<u32>,
    pq_one_time: Vec<u32>,
}

/// Bob's store: a signed prekey, a last-resort PQ prekey, three one-time
/// prekeys and three one-time PQ prekeys.
fn pq_setup(seed: u64) -> Pq {
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut store = PrekeyStore::new_pq(&bob_id, &mut rng);
    let opks = store.generate_one_time_prekeys(&mut rng, 3);
    let pqs = store.generate_pq_one_time_prekeys(&bob_id, &mut rng, 3);
    Pq {
        rng,
        alice_id,
        bob_id,
        store,
        opk: Some(opks[0].id),
        pq_one_time: pqs.iter().map(PqPrekeyPublic::id).collect(),
    }
}

impl Pq {
    /// A bundle through its encoding: with or without the one-time prekey,
    /// with the first one-time PQ prekey or the last-resort one.
    fn bundle(&self, with_opk: bool, one_time_pq: bool) -> PrekeyBundle {
        let b = self
            .store
            .bundle_with_pq(
                &self.bob_id,
                if with_opk { self.opk } else { None },
                one_time_pq.then(|| self.pq_one_time[0]),
            )
            .unwrap();
        let bytes = b.to_vec();
        assert_eq!(bytes.len(), b.encoded_len());
        let parsed = PrekeyBundle::parse(&bytes).unwrap();
        assert_eq!(parsed, b);
        parsed
    }

    fn initiate(&mut self, bundle: &PrekeyBundle) -> PendingSession {
        PendingSession::initiate(&mut self.rng, &self.alice_id, bundle).unwrap()
    }
}

/// A bundle's bytes without its PQ prekey: flag bit 1 cleared, the PQ
/// fields (always last) removed. Still a valid classic bundle.
fn strip_pq_from_bundle(bundle: &PrekeyBundle) -> Vec<u8> {
    let mut bytes = bundle.to_vec();
    assert!(bytes[BUNDLE_FLAGS] & 0x02 != 0);
    bytes.truncate(bytes.len() - PQ_BUNDLE_FIELDS_LEN);
    bytes[BUNDLE_FLAGS] &= !0x02;
    bytes
}

/// A prekey message without its PQ fields: flag bit 1 cleared, the 1092
/// bytes removed.
fn strip_pq_from_message(msg: &[u8]) -> Vec<u8> {
    let mut m = msg.to_vec();
    let at = pq_fields_at(&m);
    assert!(m[MSG_FLAGS] & 0x02 != 0);
    m.drain(at..at + PQ_MESSAGE_FIELDS_LEN);
    m[MSG_FLAGS] &= !0x02;
    m
}

#[test]
fn pq_sessions_end_to_end() {
    for (seed, with_opk, one_time_pq) in [
        (1, true, true),
        (2, false, true),
        (3, true, false),
        (4, false, false),
    ] {
        let mut s = pq_setup(seed);
        let bundle = s.bundle(with_opk, one_time_pq);
        let pq = bundle.pq_prekey().unwrap();
        assert_eq!(
            pq.kind(),
            if one_time_pq {
                PqPrekeyKind::OneTime
            } else {
                PqPrekeyKind::LastResort
            }
        );
        let mut alice = s.initiate(&bundle);
        assert!(alice.is_post_quantum());
        let m0 = alice
            .encrypt(&mut s.rng, T0, Outgoing::message(b"hello pq bob"))
            .unwrap()
            .message;
        let m1 = alice
            .encrypt(&mut s.rng, T0, Outgoing::message(b"second"))
            .unwrap()
            .message;
        assert_eq!(m0.len(), alice.encrypted_len(12, false));
        // Every prekey message carries the same PQ fields.
        let (Ok(Message::Prekey(p0)), Ok(Message::Prekey(p1))) =
            (Message::parse(&m0), Message::parse(&m1))
        else {
            panic!("not prekey messages")
        };
        assert_eq!(p0.pq, p1.pq);
        let fields = p0.pq.unwrap();
        assert_eq!(fields.pq_prekey_id, pq.id());
        assert_eq!(p0.one_time_prekey_id.is_some(), with_opk);
        assert_eq!(m0[MSG_FLAGS], 0x02 | u8::from(with_opk));

        let pq_count = s.store.pq_one_time_prekey_count();
        let (mut bob, got) = Session::accept(&s.bob_id, &mut s.store, T0, &m0).unwrap();
        assert_eq!(&got.plaintext[..], b"hello pq bob");
        if one_time_pq {
            assert_eq!(s.store.pq_one_time_prekey_count(), pq_count - 1);
            assert_eq!(s.store.pq_replay_record_count(), 0);
        } else {
            assert_eq!(s.store.pq_one_time_prekey_count(), pq_count);
            assert_eq!(s.store.pq_replay_record_count(), 1);
        }
        // Further prekey messages of the same session go to the session.
        assert_eq!(&bob.decrypt(T0, &m1).unwrap().plaintext[..], b"second");
        // The session refuses a prekey message whose PQ fields differ.
        let mut other = m1.clone();
        let at = pq_fields_at(&other) + 4 + 100;
        other[at] ^= 1;
        assert_eq!(
            decrypt_fails(&mut bob, T0, &other, None),
            SessionError::SessionMismatch
        );
        let reply = bob
            .encrypt(&mut s.rng, T0, Outgoing::message(b"hello pq alice"))
            .unwrap()
            .message;
        let (mut alice, got) = alice.receive(T0, &reply).map_err(|r| r.error).unwrap();
        assert_eq!(&got.plaintext[..], b"hello pq alice");
        for i in 0..3u64 {
            let m = alice
                .encrypt(&mut s.rng, T0, Outgoing::message(&common::body(i)))
                .unwrap()
                .message;
            assert_eq!(
                bob.decrypt(T0, &m).unwrap().plaintext[..],
                common::body(i)[..]
            );
            let r = bob
                .encrypt(&mut s.rng, T0, Outgoing::message(&common::body(i + 10)))
                .unwrap()
                .message;
            assert_eq!(
                alice.decrypt(T0, &r).unwrap().plaintext[..],
                common::body(i + 10)[..]
            );
        }
    }
}

#[test]
fn pq_and_classic_derive_different_secrets_from_the_same_keys() {
    // The same keys through X3DH and PQXDH: the PQ label and the KEM secret
    // change SK; the classic path is exactly the old one.
    let s = pq_setup(5);
    let pq_bundle = s.bundle(true, false);
    let classic = PrekeyBundle::parse(&strip_pq_from_bundle(&pq_bundle)).unwrap();
    let (sk_classic, ad_classic) = hazmat::x3dh_initiator(&s.alice_id, [7; 32], &classic).unwrap();
    let (sk_pq, ad_pq, id, _) =
        hazmat::pqxdh_initiator(&s.alice_id, [7; 32], &pq_bundle, &[9; 32]).unwrap();
    assert_ne!(sk_classic, sk_pq);
    assert_eq!(ad_classic, ad_pq);
    assert_eq!(id, pq_bundle.pq_prekey().unwrap().id());
    // A PQ bundle cannot be used classically, even through hazmat.
    assert_eq!(
        hazmat::x3dh_initiator(&s.alice_id, [7; 32], &pq_bundle).err(),
        Some(SessionError::PqRequired)
    );
    assert_eq!(
        hazmat::initiate_with_keys(&s.alice_id, &pq_bundle, [7; 32], [8; 32]).err(),
        Some(SessionError::PqRequired)
    );
}

#[test]
fn the_largest_pq_prekey_message_is_max_message_len() {
    let mut s = pq_setup(6);
    let bundle = s.bundle(true, true);
    let mut alice = s.initiate(&bundle);
    let policy =
        sealwire::expiry::ExpiryPolicy::new(sealwire::expiry::ExpiryMode::AfterRead, 60).unwrap();
    let (change, _) = alice.set_timer(&mut s.rng, T0, Some(policy)).unwrap();
    let max: Vec<u8> = (0..MAX_BODY_LEN).map(|i| (i % 251) as u8).collect();
    let unfranked = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(&max))
        .unwrap()
        .message;
    assert_eq!(
        unfranked.len(),
        MAX_MESSAGE_LEN
            - sealwire::limits::FRAME_FRANKING_LEN
            - sealwire::limits::FRANKING_COMMITMENT_LEN
    );
    // The largest message is franked (SPEC.md §19).
    let m = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(&max).franked())
        .unwrap()
        .message;
    assert_eq!(m.len(), MAX_MESSAGE_LEN);
    let (mut bob, got) = Session::accept(&s.bob_id, &mut s.store, T0, &m).unwrap();
    assert!(got.plaintext[..] == max[..]);
    assert!(got.franking.is_some());
    assert!(bob.decrypt(T0, &unfranked).unwrap().plaintext[..] == max[..]);
    bob.decrypt(T0, &change).unwrap();
    let mut too_long = m.clone();
    too_long.push(0);
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &too_long),
        SessionError::Malformed(DecodeError::TooLarge)
    );
    assert_eq!(bundle.encoded_len(), MAX_BUNDLE_LEN);
}

#[test]
fn a_tampered_kem_ciphertext_fails_authentication_and_changes_nothing() {
    let mut s = pq_setup(7);
    for (with_opk, one_time_pq) in [(true, true), (false, false)] {
        let bundle = s.bundle(with_opk, one_time_pq);
        let mut alice = s.initiate(&bundle);
        let m0 = alice
            .encrypt(&mut s.rng, T0, Outgoing::message(b"hi"))
            .unwrap()
            .message;
        let ct_at = pq_fields_at(&m0) + 4;
        for offset in [0, 1, 500, 1087] {
            for mask in [0x01, 0x80] {
                let bad = flipped(&m0, ct_at + offset, mask);
                assert_eq!(
                    accept_fails(&s.bob_id, &mut s.store, &bad),
                    SessionError::AuthenticationFailed
                );
            }
        }
        // The untampered message still opens afterwards: nothing consumed.
        Session::accept(&s.bob_id, &mut s.store, T0, &m0).unwrap();
    }
}

#[test]
fn a_swapped_pq_prekey_signature_is_refused() {
    let s = pq_setup(8);
    let bundle = s.bundle(true, true);
    let bytes = bundle.to_vec();
    let sig_at = bytes.len() - 64;
    // The signed prekey's signature in place of the PQ prekey's.
    let mut swapped = bytes.clone();
    swapped[sig_at..].copy_from_slice(&bytes[BUNDLE_SPK_SIG]);
    assert_eq!(
        PrekeyBundle::parse(&swapped),
        Err(BundleError::InvalidSignature)
    );
    // Another PQ prekey's signature (valid, by the same identity).
    let other = s.bundle(true, false);
    let other_bytes = other.to_vec();
    let mut swapped = bytes.clone();
    swapped[sig_at..].copy_from_slice(&other_bytes[other_bytes.len() - 64..]);
    assert_eq!(
        PrekeyBundle::parse(&swapped),
        Err(BundleError::InvalidSignature)
    );
    // Another PQ prekey's key under this one's signature.
    let ek_at = sig_at - 1184;
    let mut swapped = bytes.clone();
    swapped[ek_at..sig_at].copy_from_slice(&other_bytes[ek_at..sig_at]);
    assert_eq!(
        PrekeyBundle::parse(&swapped),
        Err(BundleError::InvalidSignature)
    );
    // A PQ prekey signed by another identity.
    let mallory = IdentityKeyPair::generate(&mut DangerDeterministicRng::from_u64(99));
    let mut mstore = PrekeyStore::new_pq(&mallory, &mut DangerDeterministicRng::from_u64(98));
    let mpq = mstore
        .generate_pq_one_time_prekeys(&mallory, &mut DangerDeterministicRng::from_u64(97), 1)
        .remove(0);
    assert_eq!(
        bundle.clone().with_pq_prekey(mpq),
        Err(BundleError::InvalidSignature)
    );
    // The PQ signature verifies only over 0x0A || ek: the Ed25519 signature
    // of an X25519 encoding (0x05) is not accepted for it and vice versa.
    let pq = bundle.pq_prekey().unwrap();
    let mut msg = vec![0x0A];
    msg.extend_from_slice(pq.public());
    assert!(hazmat::verify_signature_strict(
        s.bob_id.public().as_bytes(),
        &msg,
        pq.signature()
    ));
    msg[0] = 0x05;
    assert!(!hazmat::verify_signature_strict(
        s.bob_id.public().as_bytes(),
        &msg,
        pq.signature()
    ));
    // The kind byte is not covered by the signature (SPEC.md §4.1): a
    // relabelled kind parses, and the responder goes by its own records.
    let mut relabelled = bytes.clone();
    relabelled[ek_at - 1] = PqPrekeyKind::LastResort.to_byte();
    let b = PrekeyBundle::parse(&relabelled).unwrap();
    assert_eq!(b.pq_prekey().unwrap().kind(), PqPrekeyKind::LastResort);
}

#[test]
fn undecodable_or_wrong_length_encapsulation_keys_are_invalid_key() {
    let s = pq_setup(9);
    let bundle = s.bundle(false, true);
    let bytes = bundle.to_vec();
    let ek_at = bytes.len() - 64 - 1184;
    // First coefficient 0xFFF >= q = 3329: fails the FIPS 203 modulus check.
    let mut bad = bytes.clone();
    bad[ek_at] = 0xFF;
    bad[ek_at + 1] |= 0x0F;
    assert_eq!(
        PrekeyBundle::parse(&bad),
        Err(BundleError::Malformed(DecodeError::InvalidKey))
    );
    // A coefficient in the middle, exactly q.
    let mut bad = bytes.clone();
    let at = ek_at + 600; // byte 600 starts a pair of coefficients (600 = 3 * 200)
    let q: u16 = 3329;
    bad[at] = (q & 0xFF) as u8;
    bad[at + 1] = (bad[at + 1] & 0xF0) | ((q >> 8) as u8);
    assert_eq!(
        PrekeyBundle::parse(&bad),
        Err(BundleError::Malformed(DecodeError::InvalidKey))
    );
    // Wrong lengths, through the public constructor.
    let pq = bundle.pq_prekey().unwrap();
    for len in [0, 32, 1183, 1185, 1568] {
        let mut key = pq.public().to_vec();
        key.resize(len, 0);
        assert_eq!(
            PqPrekeyPublic::new(1, PqPrekeyKind::OneTime, &key, *pq.signature()),
            Err(DecodeError::InvalidKey),
            "length {len}"
        );
    }
    // In a bundle the key has a fixed size: too short is truncation, too
    // long trailing bytes.
    assert_eq!(
        PrekeyBundle::parse(&bytes[..bytes.len() - 1]),
        Err(BundleError::Malformed(DecodeError::Truncated))
    );
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(
        PrekeyBundle::parse(&long),
        Err(BundleError::Malformed(DecodeError::TrailingBytes))
    );
    // An unknown kind byte.
    let mut bad = bytes.clone();
    bad[ek_at - 1] = 0x03;
    assert_eq!(
        PrekeyBundle::parse(&bad),
        Err(BundleError::Malformed(DecodeError::InvalidValue))
    );
    // Every truncation of a PQ bundle is refused.
    for n in 0..bytes.len() {
        assert!(PrekeyBundle::parse(&bytes[..n]).is_err(), "prefix {n}");
    }
}

#[test]
fn a_stripped_pq_prekey_gives_a_classic_session_that_require_pq_refuses() {
    let mut s = pq_setup(10);
    let bundle = s.bundle(true, false);
    let classic = PrekeyBundle::parse(&strip_pq_from_bundle(&bundle)).unwrap();
    assert!(classic.pq_prekey().is_none());
    let mut alice = s.initiate(&classic);
    assert!(!alice.is_post_quantum());
    let m0 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"classic"))
        .unwrap()
        .message;
    assert_eq!(m0[MSG_FLAGS], 0x01);
    s.store.set_require_pq(true);
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &m0),
        SessionError::PqRequired
    );
    // Without the requirement the classic path remains.
    s.store.set_require_pq(false);
    let (_, got) = Session::accept(&s.bob_id, &mut s.store, T0, &m0).unwrap();
    assert_eq!(&got.plaintext[..], b"classic");
}

#[test]
fn pq_fields_stripped_from_a_prekey_message_are_refused() {
    let mut s = pq_setup(11);
    for (with_opk, one_time_pq) in [(true, true), (false, false)] {
        let bundle = s.bundle(with_opk, one_time_pq);
        let mut alice = s.initiate(&bundle);
        let m0 = alice
            .encrypt(&mut s.rng, T0, Outgoing::message(b"hi"))
            .unwrap()
            .message;
        let stripped = strip_pq_from_message(&m0);
        assert!(Message::parse(&stripped).is_ok());
        // The classic derivation gives another SK: the tag fails.
        assert_eq!(
            accept_fails(&s.bob_id, &mut s.store, &stripped),
            SessionError::AuthenticationFailed
        );
        s.store.set_require_pq(true);
        assert_eq!(
            accept_fails(&s.bob_id, &mut s.store, &stripped),
            SessionError::PqRequired
        );
        // The real message is still accepted with the requirement on.
        Session::accept(&s.bob_id, &mut s.store, T0, &m0).unwrap();
        s.store.set_require_pq(false);
    }
}

#[test]
fn an_unknown_pq_prekey_id_is_a_typed_error() {
    let mut s = pq_setup(12);
    let bundle = s.bundle(false, true);
    let mut alice = s.initiate(&bundle);
    let m0 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"hi"))
        .unwrap()
        .message;
    let at = pq_fields_at(&m0);
    let mut bad = m0.clone();
    bad[at..at + 4].copy_from_slice(&0xdead_beefu32.to_be_bytes());
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &bad),
        SessionError::UnknownPqPrekey
    );
    // A known PQ prekey of the other kind: the secret differs, the tag fails.
    let last_resort = s.store.current_last_resort_pq_prekey().unwrap().id();
    let mut other = m0.clone();
    other[at..at + 4].copy_from_slice(&last_resort.to_be_bytes());
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &other),
        SessionError::AuthenticationFailed
    );
    // A store without PQ prekeys knows no PQ prekey id.
    let mut classic_store = PrekeyStore::new(&s.bob_id, &mut s.rng);
    assert_eq!(
        accept_fails(&s.bob_id, &mut classic_store, &m0),
        SessionError::UnknownPqPrekey
    );
}

#[test]
fn one_time_pq_prekeys_are_consumed_exactly_once() {
    let mut s = pq_setup(13);
    let bundle = s.bundle(false, true);
    let id = bundle.pq_prekey().unwrap().id();
    let mut alice = s.initiate(&bundle);
    let m0 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"once"))
        .unwrap()
        .message;
    let m1 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"twice"))
        .unwrap()
        .message;
    // A failed accept consumes nothing.
    let bad = flipped(&m0, m0.len() - 1, 1);
    accept_fails(&s.bob_id, &mut s.store, &bad);
    assert!(s.store.pq_one_time_prekeys().iter().any(|p| p.id() == id));
    let (_, _) = Session::accept(&s.bob_id, &mut s.store, T0, &m0).unwrap();
    assert!(!s.store.pq_one_time_prekeys().iter().any(|p| p.id() == id));
    for m in [&m0, &m1] {
        assert_eq!(
            accept_fails(&s.bob_id, &mut s.store, m),
            SessionError::UnknownPqPrekey
        );
    }
    // Another initiator with a bundle naming the consumed id: refused.
    assert!(matches!(
        s.store.bundle_with_pq(&s.bob_id, None, Some(id)),
        Err(sealwire::MissingPrekey::PqOneTimePrekey { id: missing }) if missing == id
    ));
    let mut alice2 = s.initiate(&bundle);
    let n0 = alice2
        .encrypt(&mut s.rng, T0, Outgoing::message(b"late"))
        .unwrap()
        .message;
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &n0),
        SessionError::UnknownPqPrekey
    );
}

#[test]
fn a_replay_against_a_last_resort_pq_prekey_is_refused() {
    let mut s = pq_setup(14);
    let bundle = s.bundle(false, false);
    let mut alice = s.initiate(&bundle);
    let m0 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"first"))
        .unwrap()
        .message;
    let m1 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"second"))
        .unwrap()
        .message;
    // A failed accept records nothing.
    accept_fails(&s.bob_id, &mut s.store, &flipped(&m0, m0.len() - 1, 1));
    assert_eq!(s.store.pq_replay_record_count(), 0);
    let (mut bob, _) = Session::accept(&s.bob_id, &mut s.store, T0, &m0).unwrap();
    assert_eq!(s.store.pq_replay_record_count(), 1);
    // A second session from any message of that set-up is refused...
    for m in [&m0, &m1] {
        assert_eq!(
            accept_fails(&s.bob_id, &mut s.store, m),
            SessionError::ReplayedPrekeyMessage
        );
    }
    // ...while the session itself takes its further messages.
    assert_eq!(&bob.decrypt(T0, &m1).unwrap().plaintext[..], b"second");
    // Another initiator (another base key) with the same last-resort key
    // is accepted.
    let mut carol = s.initiate(&bundle);
    let c0 = carol
        .encrypt(&mut s.rng, T0, Outgoing::message(b"carol"))
        .unwrap()
        .message;
    Session::accept(&s.bob_id, &mut s.store, T0, &c0).unwrap();
    assert_eq!(s.store.pq_replay_record_count(), 2);
    // The records survive persistence.
    let mut restored = PrekeyStore::from_blob(&s.store.to_blob()).unwrap();
    assert_eq!(restored, s.store);
    assert_eq!(
        accept_fails(&s.bob_id, &mut restored, &c0),
        SessionError::ReplayedPrekeyMessage
    );
    // Rotating the last-resort key past the limit forgets the key and its
    // records; a message to it is then an unknown PQ prekey.
    for _ in 0..MAX_LAST_RESORT_PQ_PREKEYS - 1 {
        s.store.rotate_last_resort_pq_prekey(&s.bob_id, &mut s.rng);
        assert_eq!(s.store.pq_replay_record_count(), 2);
    }
    s.store.rotate_last_resort_pq_prekey(&s.bob_id, &mut s.rng);
    assert_eq!(s.store.pq_replay_record_count(), 0);
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &m0),
        SessionError::UnknownPqPrekey
    );
}

#[test]
fn pq_state_round_trips_through_blobs() {
    let mut s = pq_setup(15);
    s.store.set_require_pq(true);
    let bundle = s.bundle(true, false);
    let mut alice = s.initiate(&bundle);
    let m0 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"persist"))
        .unwrap()
        .message;
    // Pending PQ session: the blob keeps the PQ fields, so the restored
    // session's messages still carry them.
    let restored_alice = PendingSession::from_blob(&alice.to_blob()).unwrap();
    assert_eq!(restored_alice, alice);
    assert!(restored_alice.is_post_quantum());
    let (bob, _) = Session::accept(&s.bob_id, &mut s.store, T0, &m0).unwrap();
    for (blob, version) in [
        (s.store.to_blob().to_vec(), 2),
        (bob.to_blob().to_vec(), 5),
        (SessionRecord::from(alice.clone()).to_blob().to_vec(), 3),
    ] {
        assert_eq!(blob[5], version, "written at the newest format version");
    }
    let store = PrekeyStore::from_blob(&s.store.to_blob()).unwrap();
    assert_eq!(store, s.store);
    assert!(store.requires_pq());
    assert_eq!(store.to_blob(), s.store.to_blob());
    let mut restored_bob = Session::from_blob(&bob.to_blob()).unwrap();
    assert_eq!(restored_bob, bob);
    assert_eq!(restored_bob.key_agreement(), sealwire::KeyAgreement::Pqxdh);
    // The restored responder still recognises the initiator's PQ prekey
    // messages as its own.
    let m1 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"after restore"))
        .unwrap()
        .message;
    assert_eq!(
        &restored_bob.decrypt(T0, &m1).unwrap().plaintext[..],
        b"after restore"
    );
    let key = sealwire::persist::StorageKey::from_bytes([5; 32]);
    let here = sealwire::persist::BlobAddress::local(*s.bob_id.public());
    let sealed = s.store.seal(&key, &here, &mut s.rng);
    assert_eq!(PrekeyStore::unseal(&key, &here, &sealed).unwrap(), s.store);
    // Damage anywhere in a PQ store blob is refused.
    let blob = s.store.to_blob().to_vec();
    for at in (0..blob.len()).step_by(97) {
        let bad = flipped(&blob, at, 0x10);
        assert!(PrekeyStore::from_blob(&bad).is_err(), "flip at {at}");
    }
}

#[test]
fn every_byte_flip_of_the_pq_prekey_fields_is_refused() {
    let f = PqFixture::new();
    for sample in &f.samples[..2] {
        let at = pq_fields_at(sample);
        // Identity, base key, ids, flags, PQ id, and a spread of the KEM
        // ciphertext.
        let positions = (2..at + 4).chain((at + 4..at + PQ_MESSAGE_FIELDS_LEN).step_by(17));
        for i in positions {
            let mut store = f.bob_prekeys.clone();
            let bad = flipped(sample, i, 0x01);
            let err = accept_fails(&f.bob_identity, &mut store, &bad);
            assert!(
                !matches!(err, SessionError::BufferTooSmall),
                "flip at {i}: {err:?}"
            );
        }
        // Every truncation.
        for n in (0..sample.len()).step_by(7) {
            let mut store = f.bob_prekeys.clone();
            accept_fails(&f.bob_identity, &mut store, &sample[..n]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Arbitrary and mutated PQ prekey messages (the fuzz target's
    /// mutations): accepted, or refused with the store unchanged; an
    /// accepted PQ message is never accepted twice.
    #[test]
    fn mutated_pq_prekey_messages_never_change_the_store_on_failure(
        data in proptest::collection::vec(any::<u8>(), 0..48)
    ) {
        let f = fixture();
        f.accept(&f.message_from(&data));
    }

    /// PQ state of any history round-trips through blobs.
    #[test]
    fn pq_prekey_stores_round_trip(seed in any::<u64>(), one_time in 0usize..4, rotations in 0usize..5, require in any::<bool>()) {
        let mut rng = DangerDeterministicRng::from_u64(seed);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut store = PrekeyStore::new(&id, &mut rng);
        store.generate_pq_one_time_prekeys(&id, &mut rng, one_time);
        for _ in 0..rotations {
            store.rotate_last_resort_pq_prekey(&id, &mut rng);
        }
        store.set_require_pq(require);
        let blob = store.to_blob();
        let back = PrekeyStore::from_blob(&blob).unwrap();
        prop_assert_eq!(&back, &store);
        prop_assert_eq!(back.to_blob(), blob);
    }
}

fn fixture() -> &'static PqFixture {
    static F: std::sync::OnceLock<PqFixture> = std::sync::OnceLock::new();
    F.get_or_init(PqFixture::new)
}

#[test]
fn require_pq_is_checked_before_any_prekey_lookup() {
    // A classic message naming keys the store does not hold: with the
    // requirement the policy error comes first (no secret, no lookup).
    let mut s = pq_setup(16);
    let classic = PrekeyBundle::parse(&strip_pq_from_bundle(&s.bundle(false, false))).unwrap();
    let mut alice = s.initiate(&classic);
    let m0 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"x"))
        .unwrap()
        .message;
    let mut other = PrekeyStore::new(&s.bob_id, &mut s.rng);
    other.set_require_pq(true);
    let mut bad = m0.clone();
    bad[66..70].copy_from_slice(&77u32.to_be_bytes());
    assert_eq!(
        accept_fails(&s.bob_id, &mut other, &bad),
        SessionError::PqRequired
    );
}

/// The seed corpus of the `pq_prekey_message` fuzz target (input format:
/// [`PqFixture::message_from`]): written with
/// `SEALWIRE_BLESS_FUZZ=1 cargo test --test pqxdh seed_corpus`, and every
/// seed is run through the target's checks here.
#[test]
fn pq_prekey_message_seed_corpus() {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/pq_prekey_message");
    let f = fixture();
    if std::env::var_os("SEALWIRE_BLESS_FUZZ").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        let raw = |i: usize| {
            let mut v = vec![0u8];
            v.extend_from_slice(&f.samples[i]);
            v
        };
        let ct_at = (pq_fields_at(&f.samples[0]) + 4) as u16;
        let id_at = pq_fields_at(&f.samples[1]) as u16;
        let seeds: Vec<(&str, Vec<u8>)> = vec![
            ("empty", vec![]),
            ("raw_pq_one_time_opk", raw(0)),
            ("raw_pq_last_resort", raw(1)),
            ("raw_classic_opk", raw(2)),
            ("xor_kem_ciphertext", {
                let mut v = vec![1, 0];
                v.extend_from_slice(&(ct_at + 17).to_be_bytes());
                v.push(0x40);
                v
            }),
            ("xor_pq_prekey_id", {
                let mut v = vec![1, 1];
                v.extend_from_slice(&(id_at + 3).to_be_bytes());
                v.push(0x01);
                v
            }),
            ("xor_flags", vec![1, 0, 0, 70, 0x02]),
            ("cut_in_ciphertext", vec![2, 0, 0x02, 0x00]),
            ("strip_pq_one_time", vec![3, 0, 0, 0]),
            ("strip_pq_last_resort", vec![3, 1, 0, 0]),
        ];
        for (name, bytes) in seeds {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        f.accept(&f.message_from(&data));
        n += 1;
    }
    assert!(n >= 10, "seed corpus missing");
}
