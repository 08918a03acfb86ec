//! Attack: one identity secret, eight public keys (SPEC.md §3.1).
//!
//! An Ed25519 public key `A` and `A + T`, with `T` one of the eight points
//! of order dividing 8, belong to the same secret as far as X25519 is
//! concerned (the clamped scalar is a multiple of 8, so every DH output is
//! the same), and cofactorless verification accepts the owner's signatures
//! under `A + T` whenever the challenge is a multiple of `T`'s order. Had
//! such keys been accepted, one identity would show up to eight safety
//! numbers. The attacker is whoever hands us an identity key: a peer (its
//! bundle, its prekey message), a group member (a distribution), a reporter
//! (a report), the app's own key directory (safety numbers), and someone
//! who wrote a state blob before the rule existed. Every entry must refuse
//! the seven variants with a typed error and change nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

mod common;

use common::distribution_from;
use common::{T0, prekey_offsets, replaced, setup};
use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::CompressedEdwardsY;
use sealwire::group::{Group, GroupError, GroupId};
use sealwire::persist::StateBlob;
use sealwire::testing::DangerDeterministicRng;
use sealwire::{
    BundleError, DecodeError, Encrypt, IdentityKey, IdentityKeyPair, Outgoing, PendingSession,
    PrekeyBundle, Session, SessionError, franking::ReportError, persist::StateError,
};
use sealwire::{SafetyNumber, SafetyNumberError};
use sha2::{Digest, Sha256};

/// The eight keys `A + T` of a real identity key `A`: index 0 is `A` itself.
fn variants(key: &IdentityKey) -> Vec<[u8; 32]> {
    let a = CompressedEdwardsY(key.to_bytes()).decompress().unwrap();
    EIGHT_TORSION
        .iter()
        .map(|t| (a + t).compress().to_bytes())
        .collect()
}

/// The seven torsioned variants (not `A`), each checked to be distinct.
fn torsioned(key: &IdentityKey) -> Vec<[u8; 32]> {
    let all = variants(key);
    assert_eq!(all[0], key.to_bytes());
    let mut rest = all[1..].to_vec();
    rest.sort_unstable();
    rest.dedup();
    assert_eq!(rest.len(), 7, "seven distinct torsioned keys");
    rest
}

/// The X25519 form the library would derive from an Edwards key.
fn montgomery(ed: &[u8; 32]) -> [u8; 32] {
    CompressedEdwardsY(*ed)
        .decompress()
        .unwrap()
        .to_montgomery()
        .to_bytes()
}

#[test]
fn identity_keys_with_a_torsion_component_are_refused() {
    let mut rng = DangerDeterministicRng::from_u64(1);
    for _ in 0..4 {
        let id = IdentityKeyPair::generate(&mut rng);
        assert_eq!(
            IdentityKey::from_bytes(&id.public().to_bytes()),
            Ok(*id.public())
        );
        for v in torsioned(id.public()) {
            assert_eq!(IdentityKey::from_bytes(&v), Err(DecodeError::InvalidKey));
        }
    }
}

#[test]
fn the_variants_are_real_aliases_of_the_same_secret() {
    // What the rule prevents: every variant has the owner's X25519 DH
    // output (the attack is not hypothetical).
    let mut rng = DangerDeterministicRng::from_u64(2);
    let owner = IdentityKeyPair::generate(&mut rng);
    let other = x25519_dalek::StaticSecret::from([0x42u8; 32]);
    let honest = other.diffie_hellman(&x25519_dalek::PublicKey::from(montgomery(
        &owner.public().to_bytes(),
    )));
    let mut distinct_u = std::collections::BTreeSet::new();
    for v in variants(owner.public()) {
        let u = montgomery(&v);
        distinct_u.insert(u);
        // X25519 clamps the scalar to a multiple of 8, which kills the
        // torsion component: all eight keys give the same shared secret.
        let shared = other.diffie_hellman(&x25519_dalek::PublicKey::from(u));
        assert_eq!(shared.as_bytes(), honest.as_bytes());
    }
    assert!(
        distinct_u.len() > 1,
        "the variants have distinct X25519 forms"
    );
}

#[test]
fn a_bundle_with_a_torsioned_identity_key_is_refused() {
    let s = setup(3, true);
    let bytes = s.bundle.to_vec();
    // Bundle layout (SPEC §4.1): version, type, then IK at 2..34.
    assert_eq!(&bytes[2..34], s.bob_id.public().as_bytes());
    for v in torsioned(s.bob_id.public()) {
        let forged = replaced(&bytes, 2..34, &v);
        assert_eq!(
            PrekeyBundle::parse(&forged).err(),
            Some(BundleError::Malformed(DecodeError::InvalidKey))
        );
    }
}

#[test]
fn a_prekey_message_with_a_torsioned_identity_key_is_refused_and_changes_nothing() {
    let mut s = setup(4, true);
    let mut alice = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let hello = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"hello"))
        .unwrap()
        .message;
    let store_before = s.store.to_blob();
    for v in torsioned(s.alice_id.public()) {
        let forged = replaced(&hello, prekey_offsets::IDENTITY, &v);
        let err = Session::accept(&s.bob_id, &mut s.store, T0, &forged).err();
        assert_eq!(err, Some(SessionError::Malformed(DecodeError::InvalidKey)));
        assert_eq!(s.store.to_blob(), store_before, "the store is unchanged");
    }
    // The genuine message still opens: the one-time prekey was not used up.
    let (_, got) = Session::accept(&s.bob_id, &mut s.store, T0, &hello).unwrap();
    assert_eq!(&got.plaintext[..], b"hello");
}

#[test]
fn a_distribution_naming_a_torsioned_sender_is_refused_and_changes_nothing() {
    let mut rng = DangerDeterministicRng::from_u64(5);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let gid = GroupId::from_bytes([9; 16]);
    let (_alice_group, dist) =
        Group::create_with_id(&mut rng, T0, gid, *alice.public(), &[*bob.public()]).unwrap();
    let (mut bob_group, _) =
        Group::create_with_id(&mut rng, T0, gid, *bob.public(), &[*alice.public()]).unwrap();
    let body = dist.body.to_vec();
    // Distribution layout (SPEC §20.3): the sender's identity at 90..122.
    assert_eq!(&body[90..122], alice.public().as_bytes());
    let before = bob_group.to_blob();
    for v in torsioned(alice.public()) {
        let forged = replaced(&body, 90..122, &v);
        assert_eq!(
            bob_group.accept_distribution(T0, &distribution_from(&alice, T0, &forged)),
            Err(GroupError::Malformed(DecodeError::InvalidKey))
        );
        assert_eq!(bob_group.to_blob(), before, "the group is unchanged");
    }
    assert_eq!(
        bob_group.accept_distribution(T0, &distribution_from(&alice, T0, &body)),
        Ok(true)
    );
}

#[test]
fn a_report_naming_a_torsioned_identity_is_refused() {
    use sealwire::franking::stamp_message;
    use sealwire::franking::{RelayKey, Report, RoutingContext};
    let (mut s, mut alice, mut bob) = common::established(6);
    let msg = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"report me").franked())
        .unwrap()
        .message;
    let ctx = RoutingContext::new(b"alice", b"bob", T0).unwrap();
    let stamp = stamp_message(&RelayKey::from_bytes([7; 32]), &msg, ctx).unwrap();
    let got = bob.decrypt(T0, &msg).unwrap();
    let report = Report::from_received(&got, *s.bob_id.public(), stamp)
        .unwrap()
        .to_vec()
        .to_vec();
    assert_eq!(&report[12..44], s.alice_id.public().as_bytes());
    assert_eq!(&report[44..76], s.bob_id.public().as_bytes());
    for (range, key) in [(12..44, s.alice_id.public()), (44..76, s.bob_id.public())] {
        for v in torsioned(key) {
            let forged = replaced(&report, range.clone(), &v);
            assert_eq!(
                Report::parse(&forged).err(),
                Some(ReportError::Malformed(DecodeError::InvalidKey))
            );
        }
    }
}

#[test]
fn safety_numbers_refuse_torsioned_sealwire_keys() {
    let mut rng = DangerDeterministicRng::from_u64(7);
    let a = IdentityKeyPair::generate(&mut rng);
    let b = IdentityKeyPair::generate(&mut rng);
    let genuine = SafetyNumber::new(a.public(), b"a", b.public(), b"b");
    let low = SafetyNumber::from_encoded_keys(
        &a.public().encode(),
        b"a",
        &b.public().encode(),
        b"b",
        sealwire::SafetyNumber::ITERATIONS,
    )
    .unwrap();
    assert_eq!(low.displayable(), genuine.displayable());
    for v in torsioned(b.public()) {
        let mut enc = vec![0x06];
        enc.extend_from_slice(&v);
        for (l, r) in [
            (&a.public().encode()[..], &enc[..]),
            (&enc[..], &a.public().encode()[..]),
        ] {
            assert_eq!(
                SafetyNumber::from_encoded_keys(l, b"a", r, b"b", 5200).err(),
                Some(SafetyNumberError::Malformed(DecodeError::InvalidKey))
            );
        }
        // Another encoding (Signal's 0x05 keys) is hashed as given.
        enc[0] = 0x05;
        assert!(SafetyNumber::from_encoded_keys(&a.public().encode(), b"a", &enc, b"b", 5).is_ok());
    }
}

/// Replaces every occurrence of the 64 bytes `ed || x25519(ed)` in a plain
/// blob's body and recomputes its checksum: what someone who can write the
/// storage (or an older library that accepted the key) would leave.
fn with_identity_replaced(blob: &[u8], from: &[u8; 32], to: &[u8; 32]) -> Vec<u8> {
    let mut needle = from.to_vec();
    needle.extend_from_slice(&montgomery(from));
    let mut with = to.to_vec();
    with.extend_from_slice(&montgomery(to));
    let body_end = blob.len() - 16;
    let mut out = blob[..body_end].to_vec();
    let mut hits = 0;
    let mut i = 0;
    while i + 64 <= out.len() {
        if out[i..i + 64] == needle[..] {
            out[i..i + 64].copy_from_slice(&with);
            hits += 1;
            i += 64;
        } else {
            i += 1;
        }
    }
    assert!(hits > 0, "the blob holds the key");
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum[..16]);
    out
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(path),
    )
    .unwrap()
}

#[test]
fn old_state_blobs_with_a_torsioned_peer_identity_are_refused() {
    // Blobs of the versions written before the rule (session v1-v3,
    // pending v1-v2, group v1-v2) are checked key by key at load (SPEC.md
    // STORAGE.md §5): an older library may have accepted such a key.
    for path in [
        "state_v3/session_x3dh_responder.bin",
        "state_v2/session.bin",
    ] {
        let blob = fixture(path);
        let session = Session::from_blob(&blob).unwrap();
        let peer = *session.their_identity();
        for v in torsioned(&peer) {
            let forged = with_identity_replaced(&blob, peer.as_bytes(), &v);
            assert_eq!(
                Session::from_blob(&forged).err(),
                Some(StateError::Malformed(DecodeError::InvalidKey)),
                "{path}"
            );
        }
        // A stored X25519 form that is not the key's own is refused too.
        let mut wrong = blob[..blob.len() - 16].to_vec();
        let at = wrong
            .windows(32)
            .position(|w| w == montgomery(peer.as_bytes()))
            .unwrap();
        wrong[at] ^= 1;
        let sum = Sha256::digest(&wrong);
        wrong.extend_from_slice(&sum[..16]);
        assert_eq!(
            Session::from_blob(&wrong).err(),
            Some(StateError::Malformed(DecodeError::InvalidKey)),
            "{path}"
        );
    }
}

#[test]
fn old_group_blobs_with_a_torsioned_member_are_refused() {
    let blob = fixture("state_v2/group.bin");
    let group = Group::from_blob(&blob).unwrap();
    let me = *group.me();
    let member = group
        .members()
        .into_iter()
        .find(|m| *m != me)
        .expect("the fixture has another member");
    for v in torsioned(&member) {
        let forged = with_identity_replaced(&blob, member.as_bytes(), &v);
        assert_eq!(
            Group::from_blob(&forged).err(),
            Some(StateError::Malformed(DecodeError::InvalidKey))
        );
    }
}

#[test]
fn current_blobs_hold_only_keys_that_passed_the_rule() {
    // Every identity key a current blob holds entered through
    // `IdentityKey::from_bytes` (or is our own), so they load without a
    // public-key operation, and every one is torsion-free.
    let (_s, alice, bob) = common::established(8);
    for session in [&alice, &bob] {
        let blob = session.to_blob();
        let loaded = Session::from_blob(&blob).unwrap();
        assert_eq!(
            IdentityKey::from_bytes(loaded.their_identity().as_bytes()),
            Ok(*loaded.their_identity())
        );
    }
}
