//! End-to-end behaviour of the public session API.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::unimplemented,
    clippy::cast_possible_truncation,
    missing_docs
)]

use sealwire::testing::DangerDeterministicRng;
use sealwire::{
    ContentType, Encrypt, IdentityKeyPair, Outgoing, PendingSession, PrekeyBundle, PrekeyStore,
    Session, SessionError, Timestamp,
};

const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);

struct Parties {
    rng: DangerDeterministicRng,
    alice_id: IdentityKeyPair,
    bob_id: IdentityKeyPair,
    bob_prekeys: PrekeyStore,
    bundle_bytes: Vec<u8>,
}

fn parties(seed: u64) -> Parties {
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut bob_prekeys = PrekeyStore::new(&bob_id, &mut rng);
    let opks = bob_prekeys.generate_one_time_prekeys(&mut rng, 3);
    let bundle_bytes = bob_prekeys
        .bundle(&bob_id, Some(opks[0].id))
        .unwrap()
        .to_vec();
    Parties {
        rng,
        alice_id,
        bob_id,
        bob_prekeys,
        bundle_bytes,
    }
}

#[test]
fn full_conversation_with_phases() {
    let mut p = parties(1);
    let bundle = PrekeyBundle::parse(&p.bundle_bytes).unwrap();
    assert_eq!(bundle.to_vec(), p.bundle_bytes);
    let mut alice = PendingSession::initiate(&mut p.rng, &p.alice_id, &bundle).unwrap();
    let m0 = alice
        .encrypt(&mut p.rng, T0, Outgoing::message(b"hi bob"))
        .unwrap()
        .message;
    let m1 = alice
        .encrypt(&mut p.rng, T0, Outgoing::message(b"second"))
        .unwrap()
        .message;
    assert_eq!(p.bob_prekeys.one_time_prekey_count(), 3);
    // Bob starts from the second message of Alice's first chain.
    let (mut bob, r1) = Session::accept(&p.bob_id, &mut p.bob_prekeys, T0, &m1).unwrap();
    assert_eq!(&r1.plaintext[..], b"second");
    assert_eq!(r1.message_number, 1);
    assert_eq!(r1.sender, *p.alice_id.public());
    assert_eq!(r1.content_type, ContentType::UserMessage);
    assert_eq!(r1.sent_at, T0);
    assert_eq!(
        p.bob_prekeys.one_time_prekey_count(),
        2,
        "one-time prekey consumed"
    );
    // The other prekey message of the same session goes to the session.
    let r0 = bob.decrypt(T0, &m0).unwrap();
    assert_eq!(&r0.plaintext[..], b"hi bob");
    // A second accept of the same message fails: the one-time prekey is gone.
    let mut store_before = p.bob_prekeys.clone();
    assert_eq!(
        Session::accept(&p.bob_id, &mut store_before, T0, &m0).unwrap_err(),
        SessionError::UnknownOneTimePrekey
    );
    let reply = bob
        .encrypt(&mut p.rng, T0, Outgoing::message(b"hello alice"))
        .unwrap()
        .message;
    let (mut alice, got) = alice.receive(T0, &reply).unwrap();
    assert_eq!(&got.plaintext[..], b"hello alice");
    let m2 = alice
        .encrypt(&mut p.rng, T0, Outgoing::message(b"ratchet turned"))
        .unwrap()
        .message;
    assert_eq!(
        m2[1],
        sealwire::wire::TYPE_RATCHET,
        "established sessions send ratchet messages"
    );
    assert_eq!(
        &bob.decrypt(T0, &m2).unwrap().plaintext[..],
        b"ratchet turned"
    );
}

#[test]
fn pending_session_keeps_prekey_fields_and_rejection_hands_it_back() {
    let mut p = parties(2);
    let bundle = PrekeyBundle::parse(&p.bundle_bytes).unwrap();
    let mut alice = PendingSession::initiate(&mut p.rng, &p.alice_id, &bundle).unwrap();
    for _ in 0..3 {
        let m = alice
            .encrypt(&mut p.rng, T0, Outgoing::message(b"x"))
            .unwrap()
            .message;
        assert_eq!(m[1], sealwire::wire::TYPE_PREKEY);
    }
    let before = alice.clone();
    let rejected = alice.receive(T0, b"\x01\x01garbage").unwrap_err();
    assert!(matches!(rejected.error, SessionError::Malformed(_)));
    assert!(*rejected.session == before);
}

#[test]
fn caller_buffer_round_trip() {
    let mut p = parties(3);
    let bundle = PrekeyBundle::parse(&p.bundle_bytes).unwrap();
    let mut alice = PendingSession::initiate(&mut p.rng, &p.alice_id, &bundle).unwrap();
    let m0 = alice
        .encrypt(&mut p.rng, T0, Outgoing::message(b"open"))
        .unwrap()
        .message;
    let (mut bob, _) = Session::accept(&p.bob_id, &mut p.bob_prekeys, T0, &m0).unwrap();
    let body = [7u8; 100];
    let mut out = vec![0u8; bob.encrypted_len(body.len(), false)];
    assert_eq!(
        bob.encrypt_into(&mut p.rng, T0, Outgoing::message(&body), &mut out[..10]),
        Err(SessionError::BufferTooSmall)
    );
    let n = bob
        .encrypt_into(
            &mut p.rng,
            T0,
            Outgoing::new(ContentType::Receipt, &body),
            &mut out,
        )
        .unwrap()
        .len;
    assert_eq!(n, out.len());
    let (mut alice, got) = alice.receive(T0, &out).unwrap();
    assert_eq!(&got.plaintext[..], &body);
    assert_eq!(got.content_type, ContentType::Receipt);
    let mut buf = alice
        .encrypt(&mut p.rng, T0, Outgoing::message(b"in place"))
        .unwrap()
        .message;
    let r = bob.decrypt_in_place(T0, &mut buf).unwrap();
    assert_eq!(r.body, b"in place");
}

/// The receiving chain keeps its ratchet key decoded for the next sending
/// step (a cache, not stored): a session restored from its blob, which
/// decodes the key again, sends exactly what the live session sends, and
/// both keep working.
#[test]
fn restored_session_turns_the_ratchet_as_the_live_one() {
    use sealwire::persist::StateBlob;
    let (rng, mut alice, mut bob) = sealwire::testing::in_chain_pair(31, T0).unwrap();
    // Bob received Alice's ratchet turn: his next message turns his side.
    let mut restored = Session::from_blob(&bob.to_blob()).unwrap();
    assert_eq!(restored, bob, "the cache is left out of comparisons");
    let (mut rng_live, mut rng_restored) = (rng.clone(), rng);
    let live = bob
        .encrypt(&mut rng_live, T0, Outgoing::message(b"turn back"))
        .unwrap()
        .message;
    let again = restored
        .encrypt(&mut rng_restored, T0, Outgoing::message(b"turn back"))
        .unwrap()
        .message;
    assert_eq!(live, again);
    assert_eq!(
        &alice.decrypt(T0, &live).unwrap().plaintext[..],
        b"turn back"
    );
    // And once more in the other direction, through the cache again.
    let reply = alice
        .encrypt(&mut rng_live, T0, Outgoing::message(b"and again"))
        .unwrap()
        .message;
    assert_eq!(
        &bob.decrypt(T0, &reply).unwrap().plaintext[..],
        b"and again"
    );
    let m = bob
        .encrypt(&mut rng_live, T0, Outgoing::message(b"third"))
        .unwrap()
        .message;
    assert_eq!(&alice.decrypt(T0, &m).unwrap().plaintext[..], b"third");
}
