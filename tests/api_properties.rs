//! Properties of the public types: thread-safety, and `Debug` output that
//! never contains secret material.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use sealwire::testing::DangerDeterministicRng;
use sealwire::{
    BundleError, DecodeError, IdentityKey, IdentityKeyPair, PendingSession, PrekeyBundle,
    PrekeyStore, Received, Rejected, Session, SessionError, Timestamp,
};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn public_types_are_send_and_sync() {
    assert_send_sync::<IdentityKeyPair>();
    assert_send_sync::<IdentityKey>();
    assert_send_sync::<PrekeyStore>();
    assert_send_sync::<PrekeyBundle>();
    assert_send_sync::<PendingSession>();
    assert_send_sync::<Session>();
    assert_send_sync::<Received>();
    assert_send_sync::<Rejected>();
    assert_send_sync::<SessionError>();
    assert_send_sync::<BundleError>();
    assert_send_sync::<DecodeError>();
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn debug_output_never_contains_secrets() {
    let mut rng = DangerDeterministicRng::from_u64(99);
    let seed = [0x5au8; 32];
    let alice_id = IdentityKeyPair::from_seed(&seed);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut store = PrekeyStore::new(&bob_id, &mut rng);
    let opk = store.generate_one_time_prekeys(&mut rng, 1)[0];
    let bundle = store.bundle(&bob_id, Some(opk.id)).unwrap();
    let mut pending = PendingSession::initiate(&mut rng, &alice_id, &bundle).unwrap();
    let now = Timestamp::from_unix_millis(1);
    let m = pending.encrypt(&mut rng, now, b"top secret body").unwrap();
    let (bob, received) = Session::accept(&bob_id, &mut store, now, &m).unwrap();

    let seed_hex = hex(&seed);
    let bob_seed_hex = hex(&bob_id.danger_seed_bytes()[..]);
    let keys = sealwire::hazmat::session_keys(&bob);
    let root_hex = hex(&keys.0);
    let recv_hex = hex(&keys.2.unwrap());
    let all =
        format!("{alice_id:?} {bob_id:?} {store:?} {bundle:?} {pending:?} {bob:?} {received:?}");
    for secret in [&seed_hex, &bob_seed_hex, &root_hex, &recv_hex] {
        assert!(
            !all.contains(secret.as_str()),
            "Debug leaks a secret: {all}"
        );
        // Also no long fragment of it.
        assert!(!all.contains(&secret[..16]), "Debug leaks part of a secret");
    }
    assert!(!all.contains("top secret body"));
    // The public parts are there, so the check above is meaningful.
    assert!(all.contains(&hex(alice_id.public().as_bytes())));
}
