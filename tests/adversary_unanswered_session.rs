//! Attack: a stolen session blob of an unanswered responder session
//! (SPEC.md §5.5, STORAGE.md §4). A responder's first ratchet key is its signed
//! prekey (SPK). Before, a session that never replied kept the SPK secret
//! after the prekey store had rotated it out, so an attacker holding that
//! blob and the identity key could still run X3DH for every other
//! initiator's first message on that SPK. Now the responder's session keeps
//! no ratchet secret from the moment it has received a new ratchet key
//! until its next send (which draws a fresh one): the SPK secret is gone
//! after `accept`, old blobs load with it dropped, and a message with a new
//! ratchet key before our first send (never genuine) is
//! `AuthenticationFailed`, nothing changed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

mod common;

use common::legacy;
use common::{T0, body};
use sealwire::hazmat;
use sealwire::persist::{BlobAddress, StateBlob, StorageKey};
use sealwire::testing::DangerDeterministicRng;
use sealwire::{
    Encrypt, IdentityKeyPair, Outgoing, PendingSession, PrekeyStore, Session, SessionError,
    SessionRecord,
};

const SPK_ID: u32 = 1;
const SPK_SECRET: [u8; 32] = [0x3c; 32];

struct World {
    rng: DangerDeterministicRng,
    bob_id: IdentityKeyPair,
    store: PrekeyStore,
    /// Alice's session, established by Bob's accept; Bob never replies.
    alice: PendingSession,
    bob: Session,
    /// Carol's first message, on the same signed prekey, no one-time
    /// prekey (the attacker's best case).
    carol_first: Vec<u8>,
}

fn world(seed: u64) -> World {
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let carol_id = IdentityKeyPair::generate(&mut rng);
    let mut store = PrekeyStore::danger_from_keys(&bob_id, (SPK_ID, SPK_SECRET), &[]);
    let bundle = store.bundle(&bob_id, None).unwrap();
    let mut alice = PendingSession::initiate(&mut rng, &alice_id, &bundle).unwrap();
    let hello = alice
        .encrypt(&mut rng, T0, Outgoing::message(b"hello bob"))
        .unwrap()
        .message;
    let (bob, _) = Session::accept(&bob_id, &mut store, T0, &hello).unwrap();
    let mut carol = PendingSession::initiate(&mut rng, &carol_id, &bundle).unwrap();
    let carol_first = carol
        .encrypt(&mut rng, T0, Outgoing::message(b"carol's secret"))
        .unwrap()
        .message;
    // Bob's store rotates the SPK out (it keeps MAX_SIGNED_PREKEYS).
    for _ in 0..sealwire::limits::MAX_SIGNED_PREKEYS {
        store.rotate_signed_prekey(&bob_id, &mut rng);
    }
    World {
        rng,
        bob_id,
        store,
        alice,
        bob,
        carol_first,
    }
}

/// Every 32-byte window of `bytes` that is an X25519 secret of `public`.
fn secrets_of(bytes: &[u8], public: &[u8; 32]) -> Vec<[u8; 32]> {
    bytes
        .windows(32)
        .map(|w| <[u8; 32]>::try_from(w).unwrap())
        .filter(|w| &hazmat::x25519_public(*w) == public)
        .collect()
}

/// The attack: with Bob's identity and a candidate SPK secret, rebuild the
/// rotated-out prekey and open Carol's first message.
fn attack(w: &World, spk_secret: [u8; 32]) -> Result<Vec<u8>, SessionError> {
    let mut rebuilt = PrekeyStore::danger_from_keys(&w.bob_id, (SPK_ID, spk_secret), &[]);
    Session::accept(&w.bob_id, &mut rebuilt, T0, &w.carol_first).map(|(_, r)| r.plaintext.to_vec())
}

#[test]
fn the_attack_works_with_the_spk_secret_and_the_store_refuses_carol() {
    let w = world(0x7300);
    // The attack is real: with the SPK secret Carol's message opens.
    assert_eq!(attack(&w, SPK_SECRET).unwrap(), b"carol's secret");
    // Bob's rotated store no longer holds it.
    let mut store = w.store.clone();
    assert_eq!(
        Session::accept(&w.bob_id, &mut store, T0, &w.carol_first).unwrap_err(),
        SessionError::UnknownSignedPrekey
    );
    let spk_public = hazmat::x25519_public(SPK_SECRET);
    assert!(secrets_of(&w.store.to_blob(), &spk_public).is_empty());
}

#[test]
fn an_unanswered_session_blob_holds_no_spk_secret() {
    let w = world(0x7301);
    let spk_public = hazmat::x25519_public(SPK_SECRET);
    let key = StorageKey::from_bytes([0x42; 32]);
    let mut rng = DangerDeterministicRng::from_u64(9);
    let blobs = [
        w.bob.to_blob().to_vec(),
        SessionRecord::from(w.bob.clone()).to_blob().to_vec(),
    ];
    for blob in &blobs {
        assert_eq!(blob[5], 5);
        assert!(secrets_of(blob, &spk_public).is_empty());
        assert!(!blob.windows(32).any(|x| x == SPK_SECRET));
        // Nothing in the blob opens Carol's message.
        for candidate in blob.windows(32) {
            assert!(attack(&w, candidate.try_into().unwrap()).is_err());
        }
    }
    // The sealed blob decrypts to the same body.
    let at = BlobAddress::local(*w.bob_id.public());
    let sealed = w.bob.seal(&key, &at, &mut rng);
    assert_eq!(Session::unseal(&key, &at, &sealed).unwrap(), w.bob);
    // Debug shows only public halves.
    assert!(!format!("{:?}", w.bob).contains("3c3c3c3c"));
}

#[test]
fn the_unanswered_session_still_works() {
    let mut w = world(0x7302);
    let restored = Session::from_blob(&w.bob.to_blob()).unwrap();
    assert_eq!(restored, w.bob);
    let mut bob = restored;
    // Alice's further messages of her first chain open.
    for i in 0..3 {
        let m = w
            .alice
            .encrypt(&mut w.rng, T0, Outgoing::message(&body(i)))
            .unwrap()
            .message;
        assert_eq!(bob.decrypt(T0, &m).unwrap().plaintext[..], body(i)[..]);
    }
    // Bob's reply draws a fresh ratchet key; Alice establishes.
    let reply = bob
        .encrypt(&mut w.rng, T0, Outgoing::message(b"finally"))
        .unwrap()
        .message;
    let (mut alice, got) = w
        .alice
        .clone()
        .receive(T0, &reply)
        .map_err(|r| r.error)
        .unwrap();
    assert_eq!(&got.plaintext[..], b"finally");
    let m = alice
        .encrypt(&mut w.rng, T0, Outgoing::message(b"new chain"))
        .unwrap()
        .message;
    assert_eq!(&bob.decrypt(T0, &m).unwrap().plaintext[..], b"new chain");
}

/// A message with a new ratchet key before Bob's first send cannot be
/// genuine (Alice draws a new ratchet key only after Bob's reply): it is
/// refused as `AuthenticationFailed` before any key is derived, nothing
/// changed.
#[test]
fn a_new_ratchet_key_before_our_first_send_is_refused() {
    let mut w = world(0x7303);
    let mut alice = w.alice.clone();
    let m = alice
        .encrypt(&mut w.rng, T0, Outgoing::message(b"first chain"))
        .unwrap()
        .message;
    // Another ratchet key in the header of a prekey message of Alice's.
    let mut forged = m.clone();
    // Classic, without a one-time prekey: the header follows the flags.
    let at = common::prekey_offsets::HEADER_WITHOUT_OPK + common::header_offsets::KEY.start;
    forged[at..at + 32].copy_from_slice(&hazmat::x25519_public([0x77; 32]));
    let before = w.bob.clone();
    assert_eq!(
        w.bob.decrypt(T0, &forged).unwrap_err(),
        SessionError::AuthenticationFailed
    );
    assert!(w.bob == before);
    assert_eq!(
        &w.bob.decrypt(T0, &m).unwrap().plaintext[..],
        b"first chain"
    );
}

/// An old-format blob (session v3) of an unanswered responder, as the old
/// version wrote it with the SPK secret, loads with the secret dropped and
/// works; re-saved, the secret is gone.
#[test]
fn old_blobs_of_unanswered_sessions_load_without_the_spk_secret() {
    let mut w = world(0x7304);
    let spk_public = hazmat::x25519_public(SPK_SECRET);
    let old = legacy::session_as_v3(&w.bob.to_blob(), SPK_SECRET);
    assert_eq!(old[5], 3);
    assert_eq!(secrets_of(&old, &spk_public), vec![SPK_SECRET]);
    let loaded = Session::from_blob(&old).unwrap();
    assert_eq!(loaded, w.bob);
    let resaved = loaded.to_blob();
    assert!(secrets_of(&resaved, &spk_public).is_empty());
    assert_eq!(&resaved[..], &w.bob.to_blob()[..]);
    let mut bob = loaded;
    let m = w
        .alice
        .encrypt(&mut w.rng, T0, Outgoing::message(b"after the upgrade"))
        .unwrap()
        .message;
    assert_eq!(
        &bob.decrypt(T0, &m).unwrap().plaintext[..],
        b"after the upgrade"
    );
    // A session with a sending chain keeps its (own, fresh) ratchet secret.
    let reply = bob
        .encrypt(&mut w.rng, T0, Outgoing::message(b"reply"))
        .unwrap()
        .message;
    let blob = bob.to_blob();
    assert!(secrets_of(&blob, &spk_public).is_empty());
    let (_, got) = w
        .alice
        .clone()
        .receive(T0, &reply)
        .map_err(|r| r.error)
        .unwrap();
    assert_eq!(&got.plaintext[..], b"reply");
    assert_eq!(Session::from_blob(&blob).unwrap(), bob);
}

/// The current format stores our ratchet secret exactly when a sending
/// chain exists: a secret without a sending chain (an attempt to smuggle
/// the SPK secret back in) or a sending chain without a secret is
/// `Malformed(InvalidValue)`.
#[test]
fn the_secret_flag_must_match_the_sending_chain() {
    let mut w = world(0x7305);
    let malformed = Err(sealwire::persist::StateError::Malformed(
        sealwire::DecodeError::InvalidValue,
    ));
    let flag_at = |b: &[u8]| legacy::session_timer_at(b) + 13 + 8 + 8 + 66 + 32;
    // No sending chain: flag 0; a secret inserted is refused.
    let blob = w.bob.to_blob().to_vec();
    let at = flag_at(&blob);
    assert_eq!(blob[at], 0);
    let mut with_secret = blob.clone();
    with_secret[at] = 1;
    with_secret.splice(at + 1..at + 1, SPK_SECRET);
    legacy::fix_checksum(&mut with_secret);
    assert_eq!(Session::from_blob(&with_secret), malformed);
    // A sending chain: flag 1 and the secret; without it, refused.
    let _ = w
        .bob
        .encrypt(&mut w.rng, T0, Outgoing::message(b"reply"))
        .unwrap()
        .message;
    let blob = w.bob.to_blob().to_vec();
    let at = flag_at(&blob);
    assert_eq!(blob[at], 1);
    let mut without = blob.clone();
    without[at] = 0;
    without.drain(at + 1..at + 33);
    legacy::fix_checksum(&mut without);
    assert_eq!(Session::from_blob(&without), malformed);
    assert_eq!(Session::from_blob(&blob).unwrap(), w.bob);
}
