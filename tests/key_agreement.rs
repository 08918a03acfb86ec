//! Which key agreement set a session up (SPEC.md §3.7, STORAGE.md §4):
//! `KeyAgreement` on `PendingSession`, `Session` and `SessionRecord`, on
//! both sides, before and after the first reply, through v3 blobs, and from
//! v1 and v2 blobs (where an initiator's established session is
//! `Unrecorded`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{T0, established_with};
use sealwire::persist::{StateBlob, StorageKey};
use sealwire::testing::DangerDeterministicRng;
use sealwire::{
    DecodeError, Encrypt, IdentityKeyPair, KeyAgreement, Outgoing, PendingSession, PrekeyStore,
    Session, SessionRecord, persist::StateError,
};
use sha2::Digest;

/// Where the key agreement byte of a v3 session blob is: after the header
/// (6) and the peer's identity (64).
const KEY_AGREEMENT_AT: usize = 70;

/// Every phase of one handshake, against a PQ store (`pq`, with a one-time
/// PQ prekey when `one_time_pq`) or a classic one.
fn check_handshake(seed: u64, pq: bool, one_time_pq: bool) {
    let expected = if pq {
        KeyAgreement::Pqxdh
    } else {
        KeyAgreement::X3dh
    };
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut store = if pq {
        PrekeyStore::new_pq(&bob_id, &mut rng)
    } else {
        PrekeyStore::new(&bob_id, &mut rng)
    };
    let opk = store.generate_one_time_prekeys(&mut rng, 1)[0].id;
    let bundle = if one_time_pq {
        let pq_id = store.generate_pq_one_time_prekeys(&bob_id, &mut rng, 1)[0].id();
        store
            .bundle_with_pq(&bob_id, Some(opk), Some(pq_id))
            .unwrap()
    } else {
        store.bundle(&bob_id, Some(opk)).unwrap()
    };

    // Initiator, pending.
    let mut pending = PendingSession::initiate(&mut rng, &alice_id, &bundle).unwrap();
    assert_eq!(pending.key_agreement(), expected);
    assert_eq!(pending.is_post_quantum(), pq);
    assert_eq!(pending.key_agreement().is_post_quantum(), pq);
    let record = SessionRecord::from(pending.clone());
    assert_eq!(record.key_agreement(), expected);
    let reloaded = PendingSession::from_blob(&pending.to_blob()).unwrap();
    assert_eq!(reloaded.key_agreement(), expected);
    assert_eq!(
        SessionRecord::from_blob(&record.to_blob())
            .unwrap()
            .key_agreement(),
        expected
    );

    // Responder, from the prekey message.
    let hello = pending
        .encrypt(&mut rng, T0, Outgoing::message(b"hello"))
        .unwrap()
        .message;
    let (mut bob, _) = Session::accept(&bob_id, &mut store, T0, &hello).unwrap();
    assert_eq!(bob.key_agreement(), expected);
    assert_eq!(SessionRecord::from(bob.clone()).key_agreement(), expected);

    // A refused reply hands the pending session back with its key
    // agreement; the first reply keeps it, through `receive` and through
    // `SessionRecord::decrypt`.
    let reply = bob
        .encrypt(&mut rng, T0, Outgoing::message(b"hi"))
        .unwrap()
        .message;
    let mut bad = reply.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let rejected = pending.clone().receive(T0, &bad).unwrap_err();
    assert_eq!(rejected.session.key_agreement(), expected);
    let mut record = SessionRecord::from(pending.clone());
    assert!(record.decrypt(T0, &bad).is_err());
    assert_eq!(record.key_agreement(), expected);
    record.decrypt(T0, &reply).unwrap();
    assert!(record.is_established());
    assert_eq!(record.key_agreement(), expected);
    let (mut alice, _) = pending.receive(T0, &reply).map_err(|r| r.error).unwrap();
    assert_eq!(alice.key_agreement(), expected);

    // Both sides after more traffic, and through plain and sealed v3 blobs.
    let m = alice
        .encrypt(&mut rng, T0, Outgoing::message(b"more"))
        .unwrap()
        .message;
    bob.decrypt(T0, &m).unwrap();
    let key = StorageKey::from_bytes([9; 32]);
    for s in [&alice, &bob] {
        let here = sealwire::persist::BlobAddress::local(*s.their_identity());
        assert_eq!(s.key_agreement(), expected);
        let blob = s.to_blob();
        assert_eq!(blob[5], 5, "sessions are written at v5");
        assert_eq!(
            blob[KEY_AGREEMENT_AT],
            if pq { 2 } else { 1 },
            "the stored byte"
        );
        let back = Session::from_blob(&blob).unwrap();
        assert_eq!(back.key_agreement(), expected);
        assert_eq!(&back, s);
        assert_eq!(
            Session::unseal(&key, &here, &s.seal(&key, &here, &mut rng))
                .unwrap()
                .key_agreement(),
            expected
        );
        assert_eq!(
            SessionRecord::from_blob(&blob).unwrap().key_agreement(),
            expected
        );
    }
}

#[test]
fn classic_sessions_are_x3dh_on_both_sides_in_every_phase() {
    check_handshake(1, false, false);
}

#[test]
fn pq_sessions_are_pqxdh_on_both_sides_in_every_phase() {
    check_handshake(2, true, false);
    check_handshake(3, true, true);
}

/// The checksum of a plain blob, recomputed after an edit.
fn fix_checksum(blob: &mut [u8]) {
    let end = blob.len() - 16;
    let sum = sha2::Sha256::digest(&blob[..end]);
    blob[end..].copy_from_slice(&sum[..16]);
}

/// The v2 blob of a session: its v3 blob without the key agreement byte
/// (`hello`: the prekey message a responder accepted, whose ciphertext
/// v3 holds).
fn as_v2(session: &Session, hello: Option<&[u8]>) -> Vec<u8> {
    // The ciphertext in a PQXDH prekey message without a one-time prekey.
    let ct = hello
        .filter(|h| h.len() > 75 + 1088)
        .map(|h| &h[75..75 + 1088]);
    let mut blob = common::legacy::session_as_v3_with(&session.to_blob(), [0x11; 32], ct);
    blob.remove(KEY_AGREEMENT_AT);
    blob[5] = 2;
    fix_checksum(&mut blob);
    blob
}

/// A session's v3 blob with another key agreement byte.
fn with_byte(session: &Session, byte: u8) -> Vec<u8> {
    let mut blob = session.to_blob().to_vec();
    blob[KEY_AGREEMENT_AT] = byte;
    fix_checksum(&mut blob);
    blob
}

#[test]
fn v2_blobs_load_as_what_they_can_tell() {
    for pq in [false, true] {
        let expected = if pq {
            KeyAgreement::Pqxdh
        } else {
            KeyAgreement::X3dh
        };
        let (_, alice, bob, hello) = common::established_with_hello(10 + u64::from(pq), pq);
        // An initiator's established session kept no prekey fields: the v2
        // blob cannot tell.
        let old = Session::from_blob(&as_v2(&alice, None)).unwrap();
        assert_eq!(old.key_agreement(), KeyAgreement::Unrecorded);
        assert!(!old.key_agreement().is_post_quantum());
        assert_eq!(
            SessionRecord::from_blob(&as_v2(&alice, None))
                .unwrap()
                .key_agreement(),
            KeyAgreement::Unrecorded
        );
        // Re-saved at v5 it stays unrecorded: nothing is invented.
        let resaved = old.to_blob();
        assert_eq!(resaved[5], 5);
        assert_eq!(resaved[KEY_AGREEMENT_AT], 0);
        assert_eq!(
            Session::from_blob(&resaved).unwrap().key_agreement(),
            KeyAgreement::Unrecorded
        );
        // A responder's session holds the initiator's prekey fields: the v2
        // blob tells, and the session is what it was.
        let old = Session::from_blob(&as_v2(&bob, Some(&hello))).unwrap();
        assert_eq!(old.key_agreement(), expected);
        assert_eq!(old, bob);
    }
}

#[test]
fn v1_blobs_are_x3dh() {
    // v1 predates PQXDH. An initiator's established session has no prekey
    // fields, so its v1 body is its v2 body.
    let (_, alice, _) = established_with(30, false);
    let mut v1 = as_v2(&alice, None);
    v1[5] = 1;
    fix_checksum(&mut v1);
    let old = Session::from_blob(&v1).unwrap();
    assert_eq!(old.key_agreement(), KeyAgreement::X3dh);
    assert_eq!(old, alice);
    assert_eq!(
        SessionRecord::from_blob(&v1).unwrap().key_agreement(),
        KeyAgreement::X3dh
    );
    // Re-saved at v3 with the byte of X3DH.
    assert_eq!(old.to_blob()[KEY_AGREEMENT_AT], 1);
}

#[test]
fn a_stored_key_agreement_must_be_defined_and_agree_with_the_prekey_fields() {
    let malformed = Err(StateError::Malformed(DecodeError::InvalidValue));
    for pq in [false, true] {
        let (_, alice, bob) = established_with(20 + u64::from(pq), pq);
        let (ours, other) = if pq { (2, 1) } else { (1, 2) };
        for byte in [3u8, 0x80, 0xff] {
            assert_eq!(Session::from_blob(&with_byte(&alice, byte)), malformed);
            assert_eq!(Session::from_blob(&with_byte(&bob, byte)), malformed);
        }
        // A responder's session: only the byte of its prekey fields.
        assert_eq!(Session::from_blob(&with_byte(&bob, other)), malformed);
        assert_eq!(Session::from_blob(&with_byte(&bob, 0)), malformed);
        assert_eq!(Session::from_blob(&with_byte(&bob, ours)).unwrap(), bob);
        // An initiator's session: whatever was stored, `Unrecorded` too.
        for (byte, k) in [
            (0, KeyAgreement::Unrecorded),
            (1, KeyAgreement::X3dh),
            (2, KeyAgreement::Pqxdh),
        ] {
            assert_eq!(
                Session::from_blob(&with_byte(&alice, byte))
                    .unwrap()
                    .key_agreement(),
                k
            );
        }
    }
}

/// The `restore_state` fuzz target's v3 seeds are the frozen v3 session
/// fixtures (plain, and as bodies behind a rebuilt v3 header and checksum,
/// mode 4), so the fuzzer starts inside the v3 session parser; every seed
/// runs through the target's checks here.
#[test]
fn restore_state_seeds_include_the_v3_session_fixtures() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read(root.join(p)).unwrap();
    let seeds = "fuzz/corpus/restore_state";
    for name in ["pqxdh_responder", "x3dh_initiator", "unrecorded"] {
        let fixture = read(&format!("tests/fixtures/state_v3/session_{name}.bin"));
        assert_eq!(fixture[5], 3, "{name} is a v3 blob");
        let plain = read(&format!("{seeds}/plain_v3_session_{name}.bin"));
        assert_eq!(plain, [&[0u8][..], &fixture].concat());
        let body = read(&format!("{seeds}/body_v3_session_{name}.bin"));
        assert_eq!(
            body,
            [&[4u8, fixture[4]][..], &fixture[6..fixture.len() - 16]].concat()
        );
        // Mode 4 stands for format version 3: the harness's rebuilt blob
        // (header, body, checksum) is the fixture itself.
        let mut rebuilt = b"SWST".to_vec();
        rebuilt.extend_from_slice(&[fixture[4], 3]);
        rebuilt.extend_from_slice(&body[2..]);
        let sum = sha2::Sha256::digest(&rebuilt);
        rebuilt.extend_from_slice(&sum[..16]);
        assert_eq!(rebuilt, fixture);
        sealwire_fuzz_fixtures::restore_state(&plain);
        sealwire_fuzz_fixtures::restore_state(&body);
        assert!(Session::from_blob(&fixture).is_ok());
    }
}
