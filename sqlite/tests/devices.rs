//! `sealwire-sqlite` with several devices per user and sessions that heal
//! (SPEC.md §21): device lists decide who a device is, a device's previous
//! sessions keep receiving after a restart, a prekey message of a session
//! no longer held is refused, skipped keys of previous sessions are erased
//! on schedule, sealed device-list rows are bound to their user; and the
//! one-time migration of schema-version-2 databases (frozen fixtures under
//! `tests/fixtures/schema_v2/`, written by the code before device sessions,
//! commit a6f91ff), whose single session per device becomes the current one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{T0, TempDir, dump, secs};
use rusqlite::{Connection, params};
use sealwire::devices::{DeviceError, DeviceEvent, DeviceSessions};
use sealwire::persist::{BlobAddress, StateBlob, StateError, StorageKey};
use sealwire::store::{DeviceListStorage, IdentityStorage, SessionStorage};
use sealwire::testing::DangerDeterministicRng;
use sealwire::{DeviceAddress, IdentityKey, SessionError, SessionRecord};
use sealwire_sqlite::{
    ReceiveOutcome, SCHEMA_VERSION, SessionEvent, SqliteStore, StateRecord, StoreError,
};

fn addr(name: &str, device: u32) -> DeviceAddress {
    DeviceAddress::new(name, device)
}

fn body(outcome: &ReceiveOutcome) -> Vec<u8> {
    match outcome {
        ReceiveOutcome::Stored { received, .. } => received.plaintext.to_vec(),
        other => panic!("expected Stored, got {other:?}"),
    }
}

fn key_of(store: &SqliteStore) -> IdentityKey {
    *store.local_identity().unwrap().unwrap().public()
}

/// A store in `dir` with its identity and prekeys.
fn store(dir: &TempDir, name: &str, rng: &mut DangerDeterministicRng) -> SqliteStore {
    let mut s = SqliteStore::open(dir.file(name)).unwrap();
    s.initialize(rng, 4).unwrap();
    s
}

#[test]
fn device_lists_decide_who_a_device_is() {
    let dir = TempDir::new("device-lists");
    let mut rng = DangerDeterministicRng::from_u64(0xd1);
    let mut bob = store(&dir, "bob.db", &mut rng);
    let mut alice1 = store(&dir, "alice1.db", &mut rng);
    let mut alice2 = store(&dir, "alice2.db", &mut rng);
    let (a1, a2, b1) = (addr("alice", 1), addr("alice", 2), addr("bob", 1));
    let events = bob
        .update_device_list("alice", &[(1, key_of(&alice1))])
        .unwrap();
    assert_eq!(
        events,
        [DeviceEvent::Added {
            device: 1,
            identity: key_of(&alice1)
        }]
    );

    // A listed device: its messages are received.
    let bundle = bob.bundle(&mut rng, 4).unwrap();
    alice1.start_session(&b1, &mut rng, &bundle).unwrap();
    let m = alice1.send(&b1, &mut rng, T0, b"from alice 1").unwrap();
    assert_eq!(
        body(&bob.receive(&a1, T0, &m.ciphertext).unwrap()),
        b"from alice 1"
    );

    // A device the list does not name: refused, nothing changed, until
    // the list names it.
    let bundle = bob.bundle(&mut rng, 4).unwrap();
    alice2.start_session(&b1, &mut rng, &bundle).unwrap();
    let m2 = alice2.send(&b1, &mut rng, T0, b"from alice 2").unwrap();
    let before = dump(bob.connection());
    let err = bob.receive(&a2, T0, &m2.ciphertext).unwrap_err();
    assert!(
        matches!(err, StoreError::Device(DeviceError::UnknownDevice(2))),
        "{err:?}"
    );
    assert!(matches!(
        bob.send(&a2, &mut rng, T0, b"x"),
        Err(StoreError::NoSession(_))
    ));
    assert_eq!(dump(bob.connection()), before);
    bob.update_device_list("alice", &[(1, key_of(&alice1)), (2, key_of(&alice2))])
        .unwrap();
    assert_eq!(
        body(&bob.receive(&a2, T0, &m2.ciphertext).unwrap()),
        b"from alice 2"
    );

    // Alice's first device reinstalls: a new identity key, announced by
    // the server, held until Bob confirms it.
    let mut alice1b = store(&dir, "alice1b.db", &mut rng);
    let (old, new) = (key_of(&alice1), key_of(&alice1b));
    let events = bob
        .update_device_list("alice", &[(1, new), (2, key_of(&alice2))])
        .unwrap();
    assert_eq!(
        events,
        [DeviceEvent::IdentityChanged {
            device: 1,
            old,
            new
        }]
    );
    let bundle = bob.bundle(&mut rng, 4).unwrap();
    alice1b.start_session(&b1, &mut rng, &bundle).unwrap();
    let m = alice1b.send(&b1, &mut rng, T0, b"new phone").unwrap();
    let before = dump(bob.connection());
    let err = bob.receive(&a1, T0, &m.ciphertext).unwrap_err();
    assert!(
        matches!(err, StoreError::Session(SessionError::UntrustedIdentity)),
        "{err:?}"
    );
    let err = bob
        .send(&a1, &mut rng, T0, b"to the old phone?")
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Device(DeviceError::UnconfirmedIdentity(ref a)) if *a == a1),
        "{err:?}"
    );
    let new_bundle = alice1b.bundle(&mut rng, 4).unwrap();
    let err = bob.start_session(&a1, &mut rng, &new_bundle).unwrap_err();
    assert!(
        matches!(err, StoreError::Device(DeviceError::UnconfirmedIdentity(_))),
        "{err:?}"
    );
    assert_eq!(dump(bob.connection()), before);
    // The old key is not the announced one; the new one is.
    assert!(matches!(
        bob.confirm_identity("alice", 1, &old),
        Err(StoreError::Device(DeviceError::NoPendingChange(1)))
    ));
    bob.confirm_identity("alice", 1, &new).unwrap();
    let got = bob.receive(&a1, T0, &m.ciphertext).unwrap();
    assert_eq!(
        got.session(),
        Some(SessionEvent::Accepted {
            replaced: true,
            previous_identity: Some(old)
        })
    );
    // The old phone's session is a previous one, with the old key: its
    // messages are no longer accepted.
    let old_phone = alice1.send(&b1, &mut rng, T0, b"old phone").unwrap();
    assert!(matches!(
        bob.receive(&a1, T0, &old_phone.ciphertext),
        Err(StoreError::Session(SessionError::UntrustedIdentity))
    ));
    let r = bob.send(&a1, &mut rng, T0, b"welcome back").unwrap();
    assert_eq!(
        body(&alice1b.receive(&b1, T0, &r.ciphertext).unwrap()),
        b"welcome back"
    );
    let sessions = bob.load_sessions(&a1).unwrap().unwrap();
    assert_eq!(sessions.current().unwrap().their_identity(), &new);
    assert_eq!(sessions.previous().next().unwrap().their_identity(), &old);

    // A bundle of another key than the listed one is refused.
    let err = bob.start_session(&a2, &mut rng, &new_bundle).unwrap_err();
    assert!(
        matches!(err, StoreError::Session(SessionError::UntrustedIdentity)),
        "{err:?}"
    );
    // A device removed from the list: refused again.
    bob.update_device_list("alice", &[(1, new)]).unwrap();
    let m = alice2.send(&b1, &mut rng, T0, b"removed").unwrap();
    assert!(matches!(
        bob.receive(&a2, T0, &m.ciphertext),
        Err(StoreError::Device(DeviceError::UnknownDevice(2)))
    ));
    assert!(matches!(
        bob.send(&a2, &mut rng, T0, b"x"),
        Err(StoreError::Device(DeviceError::UnknownDevice(2)))
    ));
}

/// Alice restarts her session while messages of the old one are still
/// in flight: they arrive after the new session and still open, in the
/// previous session; replies go over the new one.
#[test]
fn a_restarted_session_keeps_receiving_late_messages() {
    let dir = TempDir::new("restart");
    let mut rng = DangerDeterministicRng::from_u64(0xd2);
    let mut bob = store(&dir, "bob.db", &mut rng);
    let mut alice = store(&dir, "alice.db", &mut rng);
    let (a, b) = (addr("alice", 1), addr("bob", 1));
    let bundle = bob.bundle(&mut rng, 4).unwrap();
    alice.start_session(&b, &mut rng, &bundle).unwrap();
    let m = alice.send(&b, &mut rng, T0, b"hello").unwrap();
    bob.receive(&a, T0, &m.ciphertext).unwrap();
    let r = bob.send(&a, &mut rng, T0, b"hi").unwrap();
    alice.receive(&b, T0, &r.ciphertext).unwrap();
    let late: Vec<_> = (0..3)
        .map(|i| {
            alice
                .send(&b, &mut rng, T0, format!("old {i}").as_bytes())
                .unwrap()
        })
        .collect();
    assert_eq!(
        body(&bob.receive(&a, T0, &late[2].ciphertext).unwrap()),
        b"old 2"
    );

    // Alice restarts (a new session from Bob's bundle).
    let bundle = bob.bundle(&mut rng, 4).unwrap();
    assert_eq!(alice.start_session(&b, &mut rng, &bundle).unwrap(), None);
    let n = alice.send(&b, &mut rng, T0, b"new 1").unwrap();
    let got = bob.receive(&a, T0, &n.ciphertext).unwrap();
    assert_eq!(
        got.session(),
        Some(SessionEvent::Accepted {
            replaced: true,
            previous_identity: None
        })
    );
    // The old session's late messages open (in the previous session),
    // once each.
    for (i, m) in late.iter().enumerate().take(2) {
        let got = bob.receive(&a, T0, &m.ciphertext).unwrap();
        assert_eq!(got.session(), Some(SessionEvent::Existing));
        assert_eq!(body(&got), format!("old {i}").as_bytes());
        assert!(matches!(
            bob.receive(&a, T0, &m.ciphertext).unwrap(),
            ReceiveOutcome::Duplicate
        ));
    }
    let sessions = bob.load_sessions(&a).unwrap().unwrap();
    assert_eq!(sessions.previous().len(), 1);
    // Bob answers over the new session; Alice's old one is previous too.
    let r = bob.send(&a, &mut rng, T0, b"on the new one").unwrap();
    assert_eq!(
        body(&alice.receive(&b, T0, &r.ciphertext).unwrap()),
        b"on the new one"
    );
    let theirs = alice.load_sessions(&b).unwrap().unwrap();
    assert!(theirs.current().unwrap().is_established());
    assert_eq!(theirs.previous().len(), 1);
}

/// A device that lost its sessions with a peer (a deleted row, a restore
/// from backup) starts a new one: the peer takes it as current whichever
/// identity key is the lower one, even though the peer started the old
/// one, and they talk again at once (SPEC.md §21.3: the tie-break settles
/// only sessions started at the same time).
#[test]
fn a_device_that_lost_its_session_starts_over() {
    let mut orders = std::collections::BTreeSet::new();
    for seed in 0..32u64 {
        let dir = TempDir::new("start-over");
        let mut rng = DangerDeterministicRng::from_u64(0xd6 + seed);
        let mut bob = store(&dir, "bob.db", &mut rng);
        let mut alice = store(&dir, "alice.db", &mut rng);
        let (a, b) = (addr("alice", 1), addr("bob", 1));
        // Bob starts; one message each way.
        let bundle = alice.bundle(&mut rng, 4).unwrap();
        bob.start_session(&a, &mut rng, &bundle).unwrap();
        let m = bob.send(&a, &mut rng, T0, b"hello").unwrap();
        alice.receive(&b, T0, &m.ciphertext).unwrap();
        let r = alice.send(&b, &mut rng, T0, b"hi").unwrap();
        bob.receive(&a, T0, &r.ciphertext).unwrap();
        // Alice loses the session and starts over.
        assert!(alice.delete_sessions(&b).unwrap());
        let bundle = bob.bundle(&mut rng, 4).unwrap();
        alice.start_session(&b, &mut rng, &bundle).unwrap();
        let m = alice.send(&b, &mut rng, T0, b"starting over").unwrap();
        let got = bob.receive(&a, T0, &m.ciphertext).unwrap();
        assert_eq!(
            got.session(),
            Some(SessionEvent::Accepted {
                replaced: true,
                previous_identity: None
            })
        );
        let r = bob.send(&a, &mut rng, T0, b"welcome back").unwrap();
        assert_eq!(
            body(&alice.receive(&b, T0, &r.ciphertext).unwrap()),
            b"welcome back"
        );
        orders.insert(key_of(&bob).as_bytes() < key_of(&alice).as_bytes());
        if orders.len() == 2 {
            return;
        }
    }
    panic!("only one key order seen: {orders:?}");
}

/// A prekey message is accepted once: its session is then held (current
/// or previous); once that session is dropped past the cap, the message
/// (a replay, or very late) is refused and never starts it again.
#[test]
fn prekey_messages_of_sessions_dropped_past_the_cap_are_refused() {
    let dir = TempDir::new("cap");
    let mut rng = DangerDeterministicRng::from_u64(0xd3);
    let mut bob = store(&dir, "bob.db", &mut rng);
    let mut alice = store(&dir, "alice.db", &mut rng);
    let (a, b) = (addr("alice", 1), addr("bob", 1));
    // Bob's signed prekey only: nothing else would stop a replay.
    let bob_id = bob.local_identity().unwrap().unwrap();
    let bundle = sealwire::store::PrekeyStorage::load_prekeys(&bob)
        .unwrap()
        .unwrap()
        .bundle(&bob_id, None)
        .unwrap()
        .to_vec();
    let mut firsts = Vec::new();
    let mut seconds = Vec::new();
    // 43 sessions: the current one, 40 previous ones, two dropped.
    for i in 0..sealwire::limits::MAX_PREVIOUS_SESSIONS + 3 {
        alice.start_session(&b, &mut rng, &bundle).unwrap();
        let m = alice
            .send(&b, &mut rng, T0, format!("session {i}").as_bytes())
            .unwrap();
        let again = alice.send(&b, &mut rng, T0, b"again").unwrap();
        bob.receive(&a, T0, &m.ciphertext).unwrap();
        firsts.push(m);
        seconds.push(again);
    }
    let held = bob.load_sessions(&a).unwrap().unwrap();
    assert_eq!(
        held.previous().len(),
        sealwire::limits::MAX_PREVIOUS_SESSIONS
    );
    // Sessions 0 and 1 were dropped: refused, nothing changed.
    let before = dump(bob.connection());
    for m in [&firsts[0], &seconds[0], &firsts[1], &seconds[1]] {
        let err = bob.receive(&a, T0, &m.ciphertext).unwrap_err();
        assert!(matches!(err, StoreError::StaleSession(_)), "{err:?}");
        assert_eq!(dump(bob.connection()), before);
    }
    // Session 2 is the oldest held: a duplicate, and its next message opens.
    assert!(matches!(
        bob.receive(&a, T0, &firsts[2].ciphertext).unwrap(),
        ReceiveOutcome::Duplicate
    ));
    assert_eq!(
        body(&bob.receive(&a, T0, &seconds[2].ciphertext).unwrap()),
        b"again"
    );
}

/// Skipped keys of a previous session are erased on schedule.
#[test]
fn expired_keys_of_previous_sessions_are_erased() {
    let dir = TempDir::new("erase");
    let mut rng = DangerDeterministicRng::from_u64(0xd4);
    let mut bob = store(&dir, "bob.db", &mut rng);
    let mut alice = store(&dir, "alice.db", &mut rng);
    let (a, b) = (addr("alice", 1), addr("bob", 1));
    let bundle = bob.bundle(&mut rng, 4).unwrap();
    alice.start_session(&b, &mut rng, &bundle).unwrap();
    let skipped = alice.send(&b, &mut rng, T0, b"skipped").unwrap();
    let m = alice.send(&b, &mut rng, T0, b"delivered").unwrap();
    bob.receive(&a, T0, &m.ciphertext).unwrap();
    // A new session: the one holding the skipped key becomes previous.
    let bundle = bob.bundle(&mut rng, 4).unwrap();
    alice.start_session(&b, &mut rng, &bundle).unwrap();
    let m = alice.send(&b, &mut rng, T0, b"new").unwrap();
    bob.receive(&a, T0, &m.ciphertext).unwrap();
    let sessions = bob.load_sessions(&a).unwrap().unwrap();
    let due = sessions.next_key_erasure().unwrap();
    assert_eq!(
        Some(due),
        sessions.previous().next().unwrap().next_key_erasure()
    );
    assert_eq!(bob.erase_expired_keys(secs(1)).unwrap(), 0);
    assert_eq!(bob.erase_expired_keys(due).unwrap(), 1);
    assert_eq!(
        bob.load_sessions(&a).unwrap().unwrap().next_key_erasure(),
        None
    );
    let err = bob.receive(&a, due, &skipped.ciphertext).unwrap_err();
    assert!(
        matches!(err, StoreError::Session(SessionError::MessageKeyErased)),
        "{err:?}"
    );
}

#[test]
fn sealed_device_list_rows_are_bound_to_their_user() {
    let dir = TempDir::new("sealed-lists");
    let mut rng = DangerDeterministicRng::from_u64(0xd5);
    let key = StorageKey::from_bytes([7; 32]);
    let mut empty = SqliteStore::open_sealed(dir.file("empty.db"), key.clone()).unwrap();
    let list = sealwire::devices::DeviceList::new("alice").unwrap();
    assert!(matches!(
        empty.save_device_list(&list),
        Err(StoreError::NoIdentity)
    ));
    let mut bob = SqliteStore::open_sealed(dir.file("bob.db"), key).unwrap();
    bob.initialize(&mut rng, 1).unwrap();
    let k = |seed: u8| *sealwire::IdentityKeyPair::from_seed(&[seed; 32]).public();
    bob.update_device_list("alice", &[(1, k(1))]).unwrap();
    bob.update_device_list("carol", &[(1, k(2)), (2, k(3))])
        .unwrap();
    let conn = Connection::open(dir.file("bob.db")).unwrap();
    let raw = |user: &str| -> Vec<u8> {
        conn.query_row(
            "SELECT blob FROM device_lists WHERE user = ?1",
            [user],
            |r| r.get(0),
        )
        .unwrap()
    };
    let (alice_blob, carol_blob) = (raw("alice"), raw("carol"));
    assert_eq!(&alice_blob[..5], b"SWSB\x08");
    // Swapped: refused with the user named, nothing changes.
    conn.execute(
        "UPDATE device_lists SET blob = ?1 WHERE user = 'alice'",
        [&carol_blob],
    )
    .unwrap();
    let before = dump(&conn);
    let err = bob.load_device_list("alice").unwrap_err();
    assert!(
        matches!(&err, StoreError::State { record: StateRecord::DeviceList(u), error: StateError::WrongAddress } if u == "alice"),
        "{err:?}"
    );
    assert!(bob.update_device_list("alice", &[(1, k(1))]).is_err());
    assert_eq!(dump(&conn), before);
    conn.execute(
        "UPDATE device_lists SET blob = ?1 WHERE user = 'alice'",
        [&alice_blob],
    )
    .unwrap();
    assert_eq!(
        bob.load_device_list("alice").unwrap().unwrap().identity(1),
        Some(&k(1))
    );
}

// ------------------------------------------------------------------
// Schema version 2 → 3.

fn fixture(dir: &TempDir, name: &str) -> std::path::PathBuf {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/schema_v2")
        .join(name);
    let dst = dir.file(name);
    std::fs::copy(src, &dst).unwrap();
    dst
}

const FIXTURE_KEY: [u8; 32] = [0x42; 32];

/// Every session row of a database file, raw.
fn session_rows(path: &std::path::Path) -> Vec<(DeviceAddress, Vec<u8>)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT name, device, blob FROM sessions ORDER BY name, device")
        .unwrap();
    stmt.query_map([], |r| {
        Ok((
            DeviceAddress::new(r.get::<_, String>(0)?, r.get(1)?),
            r.get(2)?,
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn user_version(path: &std::path::Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

/// The tables the migration must leave as they were.
fn untouched(path: &std::path::Path) -> Vec<(String, Vec<Vec<rusqlite::types::Value>>)> {
    dump(&Connection::open(path).unwrap())
        .into_iter()
        .filter(|(t, _)| t != "sessions" && t != "device_lists")
        .collect()
}

#[test]
fn schema_v2_databases_migrate_to_device_sessions() {
    let dir = TempDir::new("migrate-v2");
    let bob_path = fixture(&dir, "bob_sealed.db");
    let alice_path = fixture(&dir, "alice_plain.db");
    let carol_path = fixture(&dir, "carol_plain.db");
    let dave_path = fixture(&dir, "dave_plain.db");
    for p in [&bob_path, &alice_path, &carol_path, &dave_path] {
        assert_eq!(user_version(p), 2);
    }
    let key = StorageKey::from_bytes(FIXTURE_KEY);
    // What each session row held: one session (kind 0x03 or 0x04).
    let owner: IdentityKey = {
        let bytes: Vec<u8> = Connection::open(&bob_path)
            .unwrap()
            .query_row(
                "SELECT value FROM meta WHERE key = 'owner_identity'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        IdentityKey::from_bytes(&bytes.try_into().unwrap()).unwrap()
    };
    let bob_before: Vec<(DeviceAddress, SessionRecord)> = session_rows(&bob_path)
        .into_iter()
        .map(|(peer, blob)| {
            assert_eq!(&blob[..4], b"SWSB");
            let at = BlobAddress::device(owner, &peer).with_context(b"sessions");
            (peer, SessionRecord::unseal(&key, &at, &blob).unwrap())
        })
        .collect();
    let peers: Vec<_> = bob_before.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(peers, [addr("alice", 1), addr("carol", 2), addr("dave", 1)]);
    let alice_before: Vec<(DeviceAddress, SessionRecord)> = session_rows(&alice_path)
        .into_iter()
        .map(|(peer, blob)| (peer, SessionRecord::from_blob(&blob).unwrap()))
        .collect();
    let (bob_rest, alice_rest) = (untouched(&bob_path), untouched(&alice_path));

    // The wrong key: refused, the file untouched.
    let original = dump(&Connection::open(&bob_path).unwrap());
    assert!(matches!(
        SqliteStore::open_sealed(&bob_path, StorageKey::from_bytes([1; 32])),
        Err(StoreError::WrongStorageKey)
    ));
    assert_eq!(dump(&Connection::open(&bob_path).unwrap()), original);
    assert_eq!(user_version(&bob_path), 2);

    let mut bob = SqliteStore::open_sealed(&bob_path, key.clone()).unwrap();
    let mut alice = SqliteStore::open(&alice_path).unwrap();
    let mut carol = SqliteStore::open(&carol_path).unwrap();
    let mut dave = SqliteStore::open(&dave_path).unwrap();
    for s in [&bob, &alice, &carol, &dave] {
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    }
    // Each session is now the current one of its device's sessions; the
    // rows are device-sessions blobs (sealed: bound to the same row);
    // nothing else changed.
    for (peer, record) in &bob_before {
        let loaded = bob.load_sessions(peer).unwrap().unwrap();
        assert_eq!(loaded, DeviceSessions::from(record.clone()), "{peer}");
    }
    for (peer, record) in &alice_before {
        let loaded = alice.load_sessions(peer).unwrap().unwrap();
        assert_eq!(loaded, DeviceSessions::from(record.clone()), "{peer}");
    }
    for (path, magic) in [(&bob_path, b"SWSB"), (&alice_path, b"SWST")] {
        for (peer, blob) in session_rows(path) {
            assert_eq!(&blob[..4], magic, "{peer}");
            assert_eq!(blob[4..6], [0x07, 1], "{peer}");
        }
    }
    assert_eq!(untouched(&bob_path), bob_rest);
    assert_eq!(untouched(&alice_path), alice_rest);
    assert_eq!(bob.load_device_list("alice").unwrap(), None);

    // The conversations go on. Alice's message sent before the upgrade,
    // still in her outbox, reaches Bob.
    let mut rng = DangerDeterministicRng::from_u64(0x5c3);
    let (a, b, c, d) = (
        addr("alice", 1),
        addr("bob", 1),
        addr("carol", 2),
        addr("dave", 1),
    );
    let queued = alice.pending_outbox(&b).unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(
        body(&bob.receive(&a, T0, &queued[0].ciphertext).unwrap()),
        b"alice 2, sent before the upgrade"
    );
    let r = bob.send(&a, &mut rng, T0, b"after the upgrade").unwrap();
    assert_eq!(
        body(&alice.receive(&b, T0, &r.ciphertext).unwrap()),
        b"after the upgrade"
    );
    // Carol's pending session: Bob's first reply establishes it.
    let r = bob.send(&c, &mut rng, T0, b"hello carol").unwrap();
    assert_eq!(
        body(&carol.receive(&b, T0, &r.ciphertext).unwrap()),
        b"hello carol"
    );
    assert!(
        carol
            .load_sessions(&b)
            .unwrap()
            .unwrap()
            .current()
            .unwrap()
            .is_established()
    );
    // Bob's pending session with Dave: its queued prekey message opens a
    // session at Dave's, whose reply establishes Bob's.
    let queued = bob.pending_outbox(&d).unwrap();
    assert_eq!(queued.len(), 1);
    let got = dave.receive(&b, T0, &queued[0].ciphertext).unwrap();
    assert_eq!(body(&got), b"hello dave");
    let r = dave.send(&b, &mut rng, T0, b"hello bob").unwrap();
    assert_eq!(
        body(&bob.receive(&d, T0, &r.ciphertext).unwrap()),
        b"hello bob"
    );
    assert!(
        bob.load_sessions(&d)
            .unwrap()
            .unwrap()
            .current()
            .unwrap()
            .is_established()
    );

    // Reopened: no second migration.
    drop(bob);
    let rows = session_rows(&bob_path);
    let bob = SqliteStore::open_sealed(&bob_path, key).unwrap();
    assert_eq!(session_rows(&bob_path), rows);
    assert_eq!(bob.schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn a_failed_v2_migration_changes_nothing() {
    let dir = TempDir::new("migrate-v2-fail");
    let bob_path = fixture(&dir, "bob_sealed.db");
    {
        let conn = Connection::open(&bob_path).unwrap();
        let mut blob: Vec<u8> = conn
            .query_row(
                "SELECT blob FROM sessions WHERE name = 'carol' AND device = 2",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let mid = blob.len() / 2;
        blob[mid] ^= 1;
        conn.execute(
            "UPDATE sessions SET blob = ?1 WHERE name = 'carol' AND device = 2",
            params![blob],
        )
        .unwrap();
    }
    let before = dump(&Connection::open(&bob_path).unwrap());
    let err = SqliteStore::open_sealed(&bob_path, StorageKey::from_bytes(FIXTURE_KEY)).unwrap_err();
    assert!(
        matches!(&err, StoreError::State { record: StateRecord::Session(p), error: StateError::Corrupted } if *p == addr("carol", 2)),
        "{err:?}"
    );
    assert_eq!(user_version(&bob_path), 2);
    assert_eq!(dump(&Connection::open(&bob_path).unwrap()), before);
    let tables: i64 = Connection::open(&bob_path)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'device_lists'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0);
    for (peer, blob) in session_rows(&bob_path) {
        assert_ne!(blob[4], 0x07, "{peer} was rewritten");
    }
}
