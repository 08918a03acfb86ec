//! `sealwire-sqlite`: the store traits, the transactional helpers, bad
//! stored data, reopening.
//!
//! - the store traits round-trip every object, as `MemoryStore` does;
//! - a stored blob of the wrong kind, of a newer version, sealed under
//!   another key, truncated or corrupted is a distinct typed error, and the
//!   row is left exactly as it was (read back raw);
//! - a bad file (not SQLite, truncated, a newer schema) is a distinct error
//!   and the file is not modified;
//! - a receive that fails changes no table (a dump of every table before
//!   and after), a duplicate is not stored twice;
//! - a conversation continues after both databases are reopened; timers,
//!   expiry and the outbox.

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

use common::{T0, TempDir, dump, secs};
use rusqlite::{Connection, params};
use sealwire::DeviceAddress;
use sealwire::devices::{DeviceList, DeviceSessions};
use sealwire::expiry::{ChangedBy, ExpiryMode, ExpiryPolicy, MessageExpiry};
use sealwire::persist::{BlobAddress, StateBlob, StorageKey};
use sealwire::store::{
    DeviceListStorage, IdentityStorage, MemoryStore, PrekeyStorage, SessionStorage,
};
use sealwire::testing::DangerDeterministicRng;
use sealwire::{
    ContentType, Encrypt, IdentityKeyPair, Outgoing, PendingSession, PrekeyBundle, PrekeyStore,
    SessionError, SessionRecord, persist::StateError,
};
use sealwire_sqlite::{
    Direction, ReceiveOutcome, SessionEvent, SqliteStore, StateRecord, StoreError,
};

fn alice_addr() -> DeviceAddress {
    DeviceAddress::new("alice", 1)
}

fn bob_addr() -> DeviceAddress {
    DeviceAddress::new("bob", 1)
}

/// Alice and Bob, each with a database file; Alice has started a session
/// from Bob's bundle (she is pending).
struct Pair {
    dir: TempDir,
    rng: DangerDeterministicRng,
    alice: SqliteStore,
    bob: SqliteStore,
}

fn pair(tag: &str, seed: u64) -> Pair {
    let dir = TempDir::new(tag);
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let mut alice = SqliteStore::open(dir.file("alice.db")).unwrap();
    let mut bob = SqliteStore::open(dir.file("bob.db")).unwrap();
    alice.initialize(&mut rng, 3).unwrap();
    bob.initialize(&mut rng, 3).unwrap();
    let bundle = bob.bundle(&mut rng, 3).unwrap();
    assert_eq!(
        alice.start_session(&bob_addr(), &mut rng, &bundle).unwrap(),
        None
    );
    Pair {
        dir,
        rng,
        alice,
        bob,
    }
}

/// A pair whose sessions are both established (one message each way).
fn established(tag: &str, seed: u64) -> Pair {
    let mut p = pair(tag, seed);
    let hello = p
        .alice
        .send(&bob_addr(), &mut p.rng, T0, b"hello bob")
        .unwrap();
    let got = p.bob.receive(&alice_addr(), T0, &hello.ciphertext).unwrap();
    assert!(matches!(got, ReceiveOutcome::Stored { .. }));
    let reply = p
        .bob
        .send(&alice_addr(), &mut p.rng, T0, b"hello alice")
        .unwrap();
    p.alice.mark_delivered(hello.outbox_id).unwrap();
    p.bob.mark_delivered(reply.outbox_id).unwrap();
    let got = p.alice.receive(&bob_addr(), T0, &reply.ciphertext).unwrap();
    assert!(matches!(
        got,
        ReceiveOutcome::Stored {
            session: SessionEvent::Existing,
            ..
        }
    ));
    assert!(
        p.alice
            .load_sessions(&bob_addr())
            .unwrap()
            .unwrap()
            .current()
            .unwrap()
            .is_established()
    );
    p
}

fn stored_body(outcome: &ReceiveOutcome) -> Vec<u8> {
    match outcome {
        ReceiveOutcome::Stored { received, .. } => received.plaintext.to_vec(),
        other => panic!("expected Stored, got {other:?}"),
    }
}

fn raw_session(conn: &Connection, addr: &DeviceAddress) -> Vec<u8> {
    conn.query_row(
        "SELECT blob FROM sessions WHERE name = ?1 AND device = ?2",
        params![addr.name(), addr.device_id()],
        |row| row.get(0),
    )
    .unwrap()
}

fn set_raw_session(conn: &Connection, addr: &DeviceAddress, blob: &[u8]) {
    conn.execute(
        "INSERT INTO sessions (name, device, blob) VALUES (?1, ?2, ?3)
         ON CONFLICT (name, device) DO UPDATE SET blob = excluded.blob",
        params![addr.name(), addr.device_id(), blob],
    )
    .unwrap();
}

#[test]
fn store_traits_round_trip_like_memory_store() {
    let mut rng = DangerDeterministicRng::from_u64(1);
    let mut sql = SqliteStore::open_in_memory().unwrap();
    let mut mem = MemoryStore::new();
    assert_eq!(
        sql.schema_version().unwrap(),
        sealwire_sqlite::SCHEMA_VERSION
    );

    assert_eq!(sql.local_identity().unwrap(), None);
    let id = IdentityKeyPair::generate(&mut rng);
    sql.save_local_identity(&id).unwrap();
    mem.save_local_identity(&id).unwrap();
    assert_eq!(sql.local_identity().unwrap(), mem.local_identity().unwrap());

    let peer = IdentityKeyPair::generate(&mut rng);
    let other = IdentityKeyPair::generate(&mut rng);
    let a = DeviceAddress::new("carol", 7);
    for key in [peer.public(), peer.public(), other.public(), other.public()] {
        assert_eq!(
            sql.save_peer_identity(&a, key).unwrap(),
            mem.save_peer_identity(&a, key).unwrap()
        );
        assert_eq!(
            sql.peer_identity(&a).unwrap(),
            mem.peer_identity(&a).unwrap()
        );
    }
    assert_eq!(
        sql.peer_identity(&DeviceAddress::new("carol", 8)).unwrap(),
        None
    );

    assert!(sql.load_prekeys().unwrap().is_none());
    let mut prekeys = PrekeyStore::new(&id, &mut rng);
    prekeys.generate_one_time_prekeys(&mut rng, 4);
    sql.save_prekeys(&prekeys).unwrap();
    mem.save_prekeys(&prekeys).unwrap();
    assert_eq!(sql.load_prekeys().unwrap(), mem.load_prekeys().unwrap());

    let bundle = PrekeyBundle::parse(&prekeys.bundle(&id, None).unwrap().to_vec()).unwrap();
    let mut pending = PendingSession::initiate(&mut rng, &peer, &bundle).unwrap();
    pending
        .encrypt(&mut rng, T0, Outgoing::message(b"advance the chain"))
        .unwrap();
    // A current session and a previous one.
    let mut sessions = DeviceSessions::from(SessionRecord::from(pending));
    sessions
        .initiate(&mut rng, &peer, id.public(), &bundle)
        .unwrap();
    assert_eq!(sessions.previous().len(), 1);
    for device in [3, 1, 2] {
        let addr = DeviceAddress::new("dave", device);
        sql.save_sessions(&addr, &sessions).unwrap();
        mem.save_sessions(&addr, &sessions).unwrap();
    }
    let addr = DeviceAddress::new("dave", 2);
    assert_eq!(
        sql.load_sessions(&addr).unwrap(),
        mem.load_sessions(&addr).unwrap()
    );
    assert_eq!(sql.load_sessions(&addr).unwrap().unwrap(), sessions);
    assert_eq!(sql.session_devices("dave").unwrap(), [1, 2, 3]);
    assert_eq!(
        sql.session_devices("dave").unwrap(),
        mem.session_devices("dave").unwrap()
    );
    assert!(sql.delete_sessions(&addr).unwrap());
    assert!(!sql.delete_sessions(&addr).unwrap());
    assert_eq!(sql.session_devices("dave").unwrap(), [1, 3]);
    assert_eq!(sql.load_sessions(&addr).unwrap(), None);

    // Device lists, by user id.
    let mut list = DeviceList::new("dave").unwrap();
    list.update(&[(1, *peer.public()), (3, *other.public())])
        .unwrap();
    assert_eq!(sql.load_device_list("dave").unwrap(), None);
    sql.save_device_list(&list).unwrap();
    mem.save_device_list(&list).unwrap();
    assert_eq!(sql.load_device_list("dave").unwrap(), Some(list.clone()));
    assert_eq!(
        sql.load_device_list("dave").unwrap(),
        mem.load_device_list("dave").unwrap()
    );
    list.update(&[(1, *other.public())]).unwrap();
    sql.save_device_list(&list).unwrap();
    assert_eq!(sql.load_device_list("dave").unwrap(), Some(list));
    assert_eq!(sql.load_device_list("carol").unwrap(), None);
    assert!(sql.delete_device_list("dave").unwrap());
    assert!(!sql.delete_device_list("dave").unwrap());
    assert_eq!(sql.load_device_list("dave").unwrap(), None);
}

/// `bundle` offers the lowest one-time prekey until it is consumed, and
/// refills only when none is left and a refill is asked for (`refill` 0:
/// no one-time prekey, nothing written; while one is left, no refill).
#[test]
fn initialize_and_bundle() {
    let dir = TempDir::new("bundle");
    let mut rng = DangerDeterministicRng::from_u64(2);
    // Sealed: a blob written again would differ (a fresh nonce).
    let mut store =
        SqliteStore::open_sealed(dir.file("s.db"), StorageKey::from_bytes([9; 32])).unwrap();
    assert!(matches!(
        store.bundle(&mut rng, 1),
        Err(StoreError::NoIdentity)
    ));
    let key = store.initialize(&mut rng, 2).unwrap();
    assert_eq!(store.initialize(&mut rng, 2).unwrap(), key);
    let first = PrekeyBundle::parse(&store.bundle(&mut rng, 2).unwrap()).unwrap();
    assert_eq!(first.identity_key(), &key);
    let opk = first.one_time_prekey().unwrap().id;
    // The same lowest one-time prekey until it is consumed.
    let again = PrekeyBundle::parse(&store.bundle(&mut rng, 2).unwrap()).unwrap();
    assert_eq!(again.one_time_prekey().unwrap().id, opk);

    // Consume both one-time prekeys by accepting two sessions.
    for n in 0..2u64 {
        let bundle = PrekeyBundle::parse(&store.bundle(&mut rng, 0).unwrap()).unwrap();
        let peer = IdentityKeyPair::generate(&mut rng);
        let mut pending = PendingSession::initiate(&mut rng, &peer, &bundle).unwrap();
        let msg = pending
            .encrypt(&mut rng, T0, Outgoing::message(b"hi"))
            .unwrap()
            .message;
        let got = store
            .receive(&DeviceAddress::new(format!("peer{n}"), 1), T0, &msg)
            .unwrap();
        assert!(matches!(
            got.session(),
            Some(SessionEvent::Accepted {
                replaced: false,
                previous_identity: None
            })
        ));
    }
    let count = |store: &SqliteStore| {
        store
            .load_prekeys()
            .unwrap()
            .unwrap()
            .one_time_prekey_count()
    };
    assert_eq!(count(&store), 0);
    let before = dump(store.connection());
    let none = PrekeyBundle::parse(&store.bundle(&mut rng, 0).unwrap()).unwrap();
    assert!(none.one_time_prekey().is_none());
    assert!(
        dump(store.connection()) == before,
        "refill 0 writes nothing"
    );
    let refilled = PrekeyBundle::parse(&store.bundle(&mut rng, 5).unwrap()).unwrap();
    assert!(refilled.one_time_prekey().is_some());
    assert_eq!(count(&store), 5);
    // While one is left, no refill.
    store.bundle(&mut rng, 7).unwrap();
    assert_eq!(count(&store), 5);
}

#[test]
fn conversation_out_of_order_and_duplicates() {
    let mut p = pair("ooo", 3);
    let sent: Vec<_> = (0..5)
        .map(|i| {
            p.alice
                .send(&bob_addr(), &mut p.rng, T0, format!("m{i}").as_bytes())
                .unwrap()
        })
        .collect();
    // Alice's copies are stored, and queued in her outbox.
    let outbox = p.alice.pending_outbox(&bob_addr()).unwrap();
    assert_eq!(outbox.len(), 5);
    assert_eq!(outbox[2].ciphertext, sent[2].ciphertext);
    assert_eq!(outbox[2].message_id, sent[2].row_id);

    for (n, i) in [3usize, 0, 4, 1, 2].into_iter().enumerate() {
        let got = p
            .bob
            .receive(&alice_addr(), secs(1), &sent[i].ciphertext)
            .unwrap();
        assert_eq!(stored_body(&got), format!("m{i}").as_bytes());
        let expected = if n == 0 {
            SessionEvent::Accepted {
                replaced: false,
                previous_identity: None,
            }
        } else {
            SessionEvent::Existing
        };
        assert_eq!(got.session(), Some(expected));
        assert!(p.alice.mark_delivered(sent[i].outbox_id).unwrap());
        assert!(!p.alice.mark_delivered(sent[i].outbox_id).unwrap());
    }
    assert!(p.alice.pending_outbox(&bob_addr()).unwrap().is_empty());

    // Every redelivery is a duplicate and changes nothing.
    let before = dump(p.bob.connection());
    for s in &sent {
        let got = p
            .bob
            .receive(&alice_addr(), secs(2), &s.ciphertext)
            .unwrap();
        assert!(matches!(got, ReceiveOutcome::Duplicate));
    }
    assert_eq!(dump(p.bob.connection()), before);

    let bodies: Vec<_> = p.bob.messages(&alice_addr()).unwrap();
    assert_eq!(bodies.len(), 5);
    let mut texts: Vec<_> = bodies.iter().map(|m| m.body.clone()).collect();
    texts.sort();
    assert_eq!(
        texts,
        (0..5)
            .map(|i| format!("m{i}").into_bytes())
            .collect::<Vec<_>>()
    );
    assert!(bodies.iter().all(|m| m.direction == Direction::In
        && m.content_type == ContentType::UserMessage
        && m.received_at == Some(secs(1))
        && m.sent_at == T0
        && !m.read
        && m.expires_at.is_none()));
    assert_eq!(
        p.bob.peer_identity(&alice_addr()).unwrap().as_ref(),
        Some(p.alice.local_identity().unwrap().unwrap().public())
    );

    // Both ways.
    let reply = p
        .bob
        .send(&alice_addr(), &mut p.rng, secs(3), b"reply")
        .unwrap();
    let got = p
        .alice
        .receive(&bob_addr(), secs(3), &reply.ciphertext)
        .unwrap();
    assert_eq!(stored_body(&got), b"reply");
    let after = p
        .alice
        .send(&bob_addr(), &mut p.rng, secs(4), b"ratchet message")
        .unwrap();
    let got = p
        .bob
        .receive(&alice_addr(), secs(4), &after.ciphertext)
        .unwrap();
    assert_eq!(stored_body(&got), b"ratchet message");
    let mine = p.alice.messages(&bob_addr()).unwrap();
    assert_eq!(mine.len(), 7);
    assert_eq!(mine[0].direction, Direction::Out);
    assert!(mine[0].read);
    assert_eq!(mine[5].direction, Direction::In);
}

#[test]
fn failed_receive_changes_no_table() {
    let mut p = pair("fail", 4);
    let first = p.alice.send(&bob_addr(), &mut p.rng, T0, b"first").unwrap();

    // A forged prekey message while Bob has no session: accept fails, the
    // one-time prekey is not consumed.
    let mut forged = first.ciphertext.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let before = dump(p.bob.connection());
    let err = p.bob.receive(&alice_addr(), T0, &forged).unwrap_err();
    assert!(
        matches!(err, StoreError::Session(SessionError::AuthenticationFailed)),
        "{err:?}"
    );
    assert_eq!(dump(p.bob.connection()), before);

    // A message that is not a prekey message from a device without a
    // session.
    let err = p
        .bob
        .receive(&alice_addr(), T0, b"\x01garbage")
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NoSession(_) | StoreError::Session(_)),
        "{err:?}"
    );
    assert_eq!(dump(p.bob.connection()), before);

    // The genuine message still opens the session.
    let got = p.bob.receive(&alice_addr(), T0, &first.ciphertext).unwrap();
    assert_eq!(stored_body(&got), b"first");

    // Bob replies; Alice's pending session becomes established.
    let reply = p.bob.send(&alice_addr(), &mut p.rng, T0, b"reply").unwrap();
    p.alice.receive(&bob_addr(), T0, &reply.ciphertext).unwrap();
    let m = p.alice.send(&bob_addr(), &mut p.rng, T0, b"next").unwrap();

    // Forged, truncated, empty, from another peer: all refused, nothing
    // changes in any table.
    let before = dump(p.bob.connection());
    let mut forged = m.ciphertext.clone();
    forged[10] ^= 0x40;
    let cases: Vec<(DeviceAddress, Vec<u8>)> = vec![
        (alice_addr(), forged),
        (
            alice_addr(),
            m.ciphertext[..m.ciphertext.len() - 1].to_vec(),
        ),
        (alice_addr(), Vec::new()),
        (DeviceAddress::new("mallory", 1), m.ciphertext.clone()),
        (DeviceAddress::new("alice", 2), m.ciphertext.clone()),
    ];
    for (from, bytes) in &cases {
        let err = p.bob.receive(from, T0, bytes).unwrap_err();
        assert!(
            matches!(err, StoreError::Session(_) | StoreError::NoSession(_)),
            "{err:?}"
        );
        assert_eq!(dump(p.bob.connection()), before, "after {err:?}");
    }
    let got = p.bob.receive(&alice_addr(), T0, &m.ciphertext).unwrap();
    assert_eq!(stored_body(&got), b"next");
}

#[test]
fn corrupt_state_rows_are_typed_errors_and_left_untouched() {
    let mut p = established("corrupt", 5);
    let conn = Connection::open(p.dir.file("bob.db")).unwrap();
    let good = raw_session(&conn, &alice_addr());
    let identity_blob = p.bob.local_identity().unwrap().unwrap().to_blob().to_vec();
    let sealed = p.bob.load_sessions(&alice_addr()).unwrap().unwrap().seal(
        &StorageKey::from_bytes([9; 32]),
        &BlobAddress::local(*IdentityKeyPair::generate(&mut p.rng).public()),
        &mut p.rng,
    );

    let mut newer = good.clone();
    newer[5] = 0x7f;
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x01;
    let cases: Vec<(&str, Vec<u8>, StateError)> = vec![
        (
            "wrong kind",
            identity_blob,
            StateError::WrongKind {
                expected: 0x07,
                found: 0x01,
            },
        ),
        ("newer version", newer, StateError::UnsupportedVersion(0x7f)),
        ("truncated", good[..20].to_vec(), StateError::Truncated),
        ("corrupted", flipped, StateError::Corrupted),
        ("sealed in a plain store", sealed, StateError::Sealed),
        ("not a blob", b"hello".to_vec(), StateError::NotAStateBlob),
    ];
    let alice_msg = p
        .alice
        .send(&bob_addr(), &mut p.rng, T0, b"blocked")
        .unwrap();
    for (what, bad, expected) in cases {
        set_raw_session(&conn, &alice_addr(), &bad);
        let err = p.bob.load_sessions(&alice_addr()).unwrap_err();
        match &err {
            StoreError::State {
                record: StateRecord::Session(a),
                error,
            } => {
                assert_eq!(a, &alice_addr(), "{what}");
                assert_eq!(error, &expected, "{what}");
            }
            other => panic!("{what}: {other:?}"),
        }
        // Receiving through the bad row fails the same way, and changes
        // nothing: the bad row is not replaced.
        let before = dump(&conn);
        let err = p
            .bob
            .receive(&alice_addr(), T0, &alice_msg.ciphertext)
            .unwrap_err();
        assert!(matches!(err, StoreError::State { .. }), "{what}: {err:?}");
        assert!(p.bob.send(&alice_addr(), &mut p.rng, T0, b"x").is_err());
        assert_eq!(dump(&conn), before, "{what}");
        assert_eq!(raw_session(&conn, &alice_addr()), bad, "{what}");
    }

    // Restored, the session works again.
    set_raw_session(&conn, &alice_addr(), &good);
    let got = p
        .bob
        .receive(&alice_addr(), T0, &alice_msg.ciphertext)
        .unwrap();
    assert_eq!(stored_body(&got), b"blocked");

    // The identity and prekey rows, and a peer identity key.
    let raw_id: Vec<u8> = conn
        .query_row("SELECT blob FROM local_identity", [], |r| r.get(0))
        .unwrap();
    let mut bad_id = raw_id.clone();
    bad_id[4] = 0x02; // kind: prekey store
    conn.execute("UPDATE local_identity SET blob = ?1", [&bad_id])
        .unwrap();
    let err = p.bob.local_identity().unwrap_err();
    assert!(matches!(
        err,
        StoreError::State {
            record: StateRecord::LocalIdentity,
            error: StateError::WrongKind {
                expected: 0x01,
                found: 0x02
            }
        }
    ));
    let raw_pk: Vec<u8> = conn
        .query_row("SELECT blob FROM prekeys", [], |r| r.get(0))
        .unwrap();
    conn.execute(
        "UPDATE prekeys SET blob = ?1",
        [&raw_pk[..raw_pk.len() - 3]],
    )
    .unwrap();
    let err = p.bob.load_prekeys().unwrap_err();
    assert!(matches!(
        err,
        StoreError::State {
            record: StateRecord::Prekeys,
            error: StateError::Corrupted
        }
    ));
    conn.execute(
        "UPDATE peer_identities SET identity_key = ?1",
        [&[1u8, 2, 3][..]],
    )
    .unwrap();
    let err = p.bob.peer_identity(&alice_addr()).unwrap_err();
    assert!(matches!(err, StoreError::PeerIdentity { .. }), "{err:?}");
    // Nothing was rewritten by the failed loads.
    let id_after: Vec<u8> = conn
        .query_row("SELECT blob FROM local_identity", [], |r| r.get(0))
        .unwrap();
    assert_eq!(id_after, bad_id);
}

#[test]
fn sealed_store() {
    let dir = TempDir::new("sealed");
    let mut rng = DangerDeterministicRng::from_u64(6);
    let key = StorageKey::from_bytes([1; 32]);
    let other_key = StorageKey::from_bytes([2; 32]);
    let mut bob = SqliteStore::open_sealed(dir.file("bob.db"), key.clone()).unwrap();
    let mut alice = SqliteStore::open(dir.file("alice.db")).unwrap();
    bob.initialize(&mut rng, 2).unwrap();
    alice.initialize(&mut rng, 2).unwrap();
    let bundle = bob.bundle(&mut rng, 2).unwrap();
    alice.start_session(&bob_addr(), &mut rng, &bundle).unwrap();
    let m = alice
        .send(&bob_addr(), &mut rng, T0, b"sealed hello")
        .unwrap();
    assert_eq!(
        stored_body(&bob.receive(&alice_addr(), T0, &m.ciphertext).unwrap()),
        b"sealed hello"
    );
    let r = bob
        .send(&alice_addr(), &mut rng, T0, b"sealed reply")
        .unwrap();
    assert_eq!(
        stored_body(&alice.receive(&bob_addr(), T0, &r.ciphertext).unwrap()),
        b"sealed reply"
    );

    // Every state blob on disk is sealed.
    let conn = Connection::open(dir.file("bob.db")).unwrap();
    for table in ["local_identity", "prekeys", "sessions"] {
        let blob: Vec<u8> = conn
            .query_row(&format!("SELECT blob FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(&blob[..4], b"SWSB", "{table}");
    }
    let good = raw_session(&conn, &alice_addr());
    drop(bob);

    // The wrong key, no key, a key for a plain database: refused at open.
    assert!(matches!(
        SqliteStore::open_sealed(dir.file("bob.db"), other_key.clone()),
        Err(StoreError::WrongStorageKey)
    ));
    assert!(matches!(
        SqliteStore::open(dir.file("bob.db")),
        Err(StoreError::SealedDatabase)
    ));
    assert!(matches!(
        SqliteStore::open_sealed(dir.file("alice.db"), key.clone()),
        Err(StoreError::PlainDatabase)
    ));

    // A blob sealed under another key, or a plain blob, in a sealed store.
    let mut bob = SqliteStore::open_sealed(dir.file("bob.db"), key).unwrap();
    let bob_id = bob.local_identity().unwrap().unwrap();
    let record = bob.load_sessions(&alice_addr()).unwrap().unwrap();
    for (bad, expected) in [
        (
            record.seal(
                &other_key,
                &BlobAddress::device(*bob_id.public(), &alice_addr()).with_context(b"sessions"),
                &mut rng,
            ),
            StateError::WrongStorageKey,
        ),
        (record.to_blob().to_vec(), StateError::NotSealed),
    ] {
        set_raw_session(&conn, &alice_addr(), &bad);
        let err = bob.load_sessions(&alice_addr()).unwrap_err();
        assert!(
            matches!(&err, StoreError::State { error, .. } if *error == expected),
            "{err:?}"
        );
        assert_eq!(raw_session(&conn, &alice_addr()), bad);
    }
    set_raw_session(&conn, &alice_addr(), &good);
    let m = alice.send(&bob_addr(), &mut rng, T0, b"again").unwrap();
    assert_eq!(
        stored_body(&bob.receive(&alice_addr(), T0, &m.ciphertext).unwrap()),
        b"again"
    );
}

#[test]
fn bad_database_files_are_typed_errors_and_left_untouched() {
    let dir = TempDir::new("files");
    let mut rng = DangerDeterministicRng::from_u64(7);

    // Not SQLite at all.
    let garbage = dir.file("garbage.db");
    let bytes: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(&garbage, &bytes).unwrap();
    let err = SqliteStore::open(&garbage).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase(_)), "{err:?}");
    assert_eq!(std::fs::read(&garbage).unwrap(), bytes);

    // A real database, truncated.
    let path = dir.file("truncated.db");
    {
        let mut s = SqliteStore::open(&path).unwrap();
        s.initialize(&mut rng, 50).unwrap();
        let peer = DeviceAddress::new("p", 1);
        let own = s.bundle(&mut rng, 0).unwrap();
        s.start_session(&peer, &mut rng, &own).unwrap();
        for i in 0..200 {
            s.send(
                &peer,
                &mut rng,
                T0,
                format!("message {i} {}", "x".repeat(200)).as_bytes(),
            )
            .unwrap();
        }
        s.checkpoint().unwrap();
    }
    let full = std::fs::read(&path).unwrap();
    assert!(full.len() > 16 * 4096);
    let cut = &full[..full.len() / 2];
    std::fs::write(&path, cut).unwrap();
    let _ = std::fs::remove_file(dir.file("truncated.db-wal"));
    let _ = std::fs::remove_file(dir.file("truncated.db-shm"));
    let result = SqliteStore::open(&path).and_then(|s| {
        // Opening may succeed (the schema pages survived); reading the
        // missing pages must not.
        s.messages(&DeviceAddress::new("p", 1)).map(|_| s)
    });
    let err = result.unwrap_err();
    assert!(matches!(err, StoreError::CorruptDatabase(_)), "{err:?}");

    // A newer schema.
    let newer = dir.file("newer.db");
    drop(SqliteStore::open(&newer).unwrap());
    Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = SqliteStore::open(&newer).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::SchemaTooNew {
                found: 99,
                supported: sealwire_sqlite::SCHEMA_VERSION
            }
        ),
        "{err:?}"
    );
    let v: i64 = Connection::open(&newer)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, 99);
}

#[test]
fn reopen_and_continue() {
    let mut p = pair("reopen", 8);
    let a1 = p
        .alice
        .send(&bob_addr(), &mut p.rng, T0, b"before restart 1")
        .unwrap();
    let a2 = p
        .alice
        .send(&bob_addr(), &mut p.rng, T0, b"before restart 2")
        .unwrap();
    p.bob.receive(&alice_addr(), T0, &a1.ciphertext).unwrap();
    p.alice.mark_delivered(a1.outbox_id).unwrap();
    let Pair {
        dir,
        mut rng,
        alice,
        bob,
    } = p;
    drop(alice);
    drop(bob);

    let mut alice = SqliteStore::open(dir.file("alice.db")).unwrap();
    let mut bob = SqliteStore::open(dir.file("bob.db")).unwrap();
    // a2 was never acknowledged: it is retransmitted as it was.
    let pending = alice.pending_outbox(&bob_addr()).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].ciphertext, a2.ciphertext);
    assert_eq!(pending[0].id, a2.outbox_id);
    let got = bob
        .receive(&alice_addr(), secs(1), &pending[0].ciphertext)
        .unwrap();
    assert_eq!(stored_body(&got), b"before restart 2");
    alice.mark_delivered(pending[0].id).unwrap();

    let r = bob
        .send(&alice_addr(), &mut rng, secs(2), b"after restart")
        .unwrap();
    drop(bob);
    let got = alice.receive(&bob_addr(), secs(2), &r.ciphertext).unwrap();
    assert_eq!(stored_body(&got), b"after restart");
    drop(alice);

    let mut alice = SqliteStore::open(dir.file("alice.db")).unwrap();
    let mut bob = SqliteStore::open(dir.file("bob.db")).unwrap();
    let a3 = alice
        .send(&bob_addr(), &mut rng, secs(3), b"third")
        .unwrap();
    assert_eq!(
        stored_body(&bob.receive(&alice_addr(), secs(3), &a3.ciphertext).unwrap()),
        b"third"
    );
    let texts: Vec<_> = bob
        .messages(&alice_addr())
        .unwrap()
        .into_iter()
        .map(|m| (m.direction, String::from_utf8(m.body).unwrap()))
        .collect();
    assert_eq!(
        texts,
        [
            (Direction::In, "before restart 1".to_owned()),
            (Direction::In, "before restart 2".to_owned()),
            (Direction::Out, "after restart".to_owned()),
            (Direction::In, "third".to_owned()),
        ]
    );
    let recent = alice.recent_messages(2).unwrap();
    assert_eq!(recent.len(), 2);
    assert_eq!(recent[1].body, b"third");
}

#[test]
fn timers_and_expiry() {
    let mut p = established("timers", 9);
    let after_send = ExpiryPolicy::new(ExpiryMode::AfterSend, 30).unwrap();
    let (timer, change) = p
        .alice
        .set_timer(&bob_addr(), &mut p.rng, T0, Some(after_send))
        .unwrap();
    assert_eq!(change.by, ChangedBy::Us);
    assert_eq!(timer.row_id, None);
    let queued = p.alice.pending_outbox(&bob_addr()).unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].message_id, None);

    // The timer change is reported, not stored.
    let before = p.bob.messages(&alice_addr()).unwrap().len();
    let got = p.bob.receive(&alice_addr(), T0, &timer.ciphertext).unwrap();
    assert!(matches!(got, ReceiveOutcome::NotStored { .. }), "{got:?}");
    let change = got.timer_change().unwrap();
    assert_eq!(change.by, ChangedBy::Peer);
    assert_eq!(change.new.policy, Some(after_send));
    assert_eq!(p.bob.messages(&alice_addr()).unwrap().len(), before);
    assert_eq!(
        p.bob
            .load_sessions(&alice_addr())
            .unwrap()
            .unwrap()
            .current()
            .unwrap()
            .timer()
            .policy,
        Some(after_send)
    );

    let secret = p
        .alice
        .send(&bob_addr(), &mut p.rng, T0, b"door code 4711")
        .unwrap();
    let mine = p.alice.message(secret.row_id.unwrap()).unwrap().unwrap();
    assert_eq!(mine.expires_at, Some(secs(30)));
    let got = p
        .bob
        .receive(&alice_addr(), secs(1), &secret.ciphertext)
        .unwrap();
    let row = got.row_id().unwrap();
    assert_eq!(got.received().unwrap().expiry, MessageExpiry::At(secs(30)));
    assert_eq!(
        p.bob.message(row).unwrap().unwrap().expires_at,
        Some(secs(30))
    );
    assert_eq!(p.bob.next_expiry().unwrap(), Some(secs(30)));

    // A message that arrives after its deadline: decrypted (the state
    // moves on), not stored.
    let late = p
        .alice
        .send(&bob_addr(), &mut p.rng, secs(2), b"too late")
        .unwrap();
    let got = p
        .bob
        .receive(&alice_addr(), secs(40), &late.ciphertext)
        .unwrap();
    match &got {
        ReceiveOutcome::NotStored { received, .. } => {
            assert_eq!(received.expiry, MessageExpiry::Expired);
            assert!(received.plaintext.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        p.bob
            .receive(&alice_addr(), secs(40), &late.ciphertext)
            .unwrap(),
        ReceiveOutcome::Duplicate
    ));

    // The write-ahead log is truncated after a deletion (the deleted
    // bodies leave the log too), and left alone when nothing expired.
    let wal = p.dir.file("bob.db-wal");
    let wal_len = || std::fs::metadata(&wal).map_or(0, |m| m.len());
    let before = wal_len();
    assert!(before > 0);
    assert_eq!(p.bob.delete_expired(secs(29)).unwrap(), 0);
    assert_eq!(wal_len(), before);
    assert_eq!(p.bob.delete_expired(secs(30)).unwrap(), 1);
    assert_eq!(wal_len(), 0);
    assert!(p.bob.message(row).unwrap().is_none());
    assert_eq!(p.alice.delete_expired(secs(31)).unwrap(), 1);
    assert!(p.alice.message(secret.row_id.unwrap()).unwrap().is_none());
    // The undelivered ciphertext stays in the outbox, detached from the
    // deleted row.
    let outbox = p.alice.pending_outbox(&bob_addr()).unwrap();
    let entry = outbox.iter().find(|e| e.id == secret.outbox_id).unwrap();
    assert_eq!(entry.message_id, None);

    // After-read: the clock starts when the message is marked read.
    let after_read = ExpiryPolicy::new(ExpiryMode::AfterRead, 10).unwrap();
    let (timer, _) = p
        .bob
        .set_timer(&alice_addr(), &mut p.rng, secs(50), Some(after_read))
        .unwrap();
    let got = p
        .alice
        .receive(&bob_addr(), secs(50), &timer.ciphertext)
        .unwrap();
    assert!(got.timer_change().is_some());
    let m = p
        .bob
        .send(&alice_addr(), &mut p.rng, secs(51), b"read me")
        .unwrap();
    assert_eq!(
        p.bob
            .message(m.row_id.unwrap())
            .unwrap()
            .unwrap()
            .expires_at,
        Some(secs(61))
    );
    let got = p
        .alice
        .receive(&bob_addr(), secs(52), &m.ciphertext)
        .unwrap();
    let row = got.row_id().unwrap();
    let stored = p.alice.message(row).unwrap().unwrap();
    assert_eq!(stored.expires_at, None);
    assert_eq!(stored.expires_after_read_ms, Some(10_000));
    // Only Alice's own copy of "too late" goes; the unread message stays.
    assert_eq!(p.alice.delete_expired(secs(1000)).unwrap(), 1);
    assert!(p.alice.message(row).unwrap().is_some());
    assert_eq!(
        p.alice.mark_read(row, secs(1000)).unwrap(),
        Some(secs(1010))
    );
    // Marking it again does not restart the clock.
    assert_eq!(
        p.alice.mark_read(row, secs(1005)).unwrap(),
        Some(secs(1010))
    );
    assert_eq!(p.alice.delete_expired(secs(1009)).unwrap(), 0);
    assert_eq!(p.alice.delete_expired(secs(1010)).unwrap(), 1);
    assert_eq!(p.alice.mark_read(row, secs(1011)).unwrap(), None);

    // Turned off: messages stay.
    let (off, _) = p
        .alice
        .set_timer(&bob_addr(), &mut p.rng, secs(1100), None)
        .unwrap();
    p.bob
        .receive(&alice_addr(), secs(1100), &off.ciphertext)
        .unwrap();
    let m = p
        .alice
        .send(&bob_addr(), &mut p.rng, secs(1101), b"forever")
        .unwrap();
    let got = p
        .bob
        .receive(&alice_addr(), secs(1101), &m.ciphertext)
        .unwrap();
    assert_eq!(
        p.bob
            .message(got.row_id().unwrap())
            .unwrap()
            .unwrap()
            .expires_at,
        None
    );
    assert_eq!(p.bob.erase_expired_keys(secs(1200)).unwrap(), 0);
}

#[test]
fn new_session_replaces_the_old_one() {
    let mut p = established("replace", 10);
    let old_alice_key = *p.alice.local_identity().unwrap().unwrap().public();

    // Alice reinstalls: new database, new identity, Bob's current bundle.
    let mut alice2 = SqliteStore::open(p.dir.file("alice2.db")).unwrap();
    let new_key = alice2.initialize(&mut p.rng, 1).unwrap();
    let bundle = p.bob.bundle(&mut p.rng, 3).unwrap();
    alice2
        .start_session(&bob_addr(), &mut p.rng, &bundle)
        .unwrap();
    let m = alice2
        .send(&bob_addr(), &mut p.rng, T0, b"new phone")
        .unwrap();
    let got = p.bob.receive(&alice_addr(), T0, &m.ciphertext).unwrap();
    assert_eq!(
        got.session(),
        Some(SessionEvent::Accepted {
            replaced: true,
            previous_identity: Some(old_alice_key)
        })
    );
    assert_eq!(p.bob.peer_identity(&alice_addr()).unwrap(), Some(new_key));
    // The old session (with the old identity key, now a previous one)
    // no longer receives: the key recorded for the device is the new one.
    let old = p
        .alice
        .send(&bob_addr(), &mut p.rng, T0, b"old phone")
        .unwrap();
    assert!(p.bob.receive(&alice_addr(), T0, &old.ciphertext).is_err());
    let r = p
        .bob
        .send(&alice_addr(), &mut p.rng, T0, b"welcome back")
        .unwrap();
    assert_eq!(
        stored_body(&alice2.receive(&bob_addr(), T0, &r.ciphertext).unwrap()),
        b"welcome back"
    );

    // A pending session replaced by the peer's prekey message.
    let mut carol = SqliteStore::open(p.dir.file("carol.db")).unwrap();
    carol.initialize(&mut p.rng, 2).unwrap();
    let carol_bundle = carol.bundle(&mut p.rng, 2).unwrap();
    let carol_addr = DeviceAddress::new("carol", 1);
    p.bob
        .start_session(&carol_addr, &mut p.rng, &carol_bundle)
        .unwrap();
    let bob_bundle = p.bob.bundle(&mut p.rng, 2).unwrap();
    carol
        .start_session(&bob_addr(), &mut p.rng, &bob_bundle)
        .unwrap();
    let m = carol
        .send(&bob_addr(), &mut p.rng, T0, b"from carol")
        .unwrap();
    let got = p.bob.receive(&carol_addr, T0, &m.ciphertext).unwrap();
    // Both started a session at once: the lower identity key's session
    // stays current on both sides (SPEC.md §21.3). Bob's pending session is
    // replaced unless his key is the lower one.
    let bob_key = *p.bob.local_identity().unwrap().unwrap().public();
    let carol_key = *carol.local_identity().unwrap().unwrap().public();
    let bob_leads = bob_key.as_bytes() < carol_key.as_bytes();
    assert_eq!(
        got.session(),
        Some(SessionEvent::Accepted {
            replaced: !bob_leads,
            previous_identity: None
        })
    );
    let r = p
        .bob
        .send(&carol_addr, &mut p.rng, T0, b"hi carol")
        .unwrap();
    assert_eq!(
        stored_body(&carol.receive(&bob_addr(), T0, &r.ciphertext).unwrap()),
        b"hi carol"
    );

    // A session without a one-time prekey, replaced, then its first
    // message replayed: a duplicate in the old session, which stays a
    // previous one; once the sessions are deleted, refused for good (the
    // old session never comes back), and nothing changes.
    let bob_id = p.bob.local_identity().unwrap().unwrap();
    let no_opk = p
        .bob
        .load_prekeys()
        .unwrap()
        .unwrap()
        .bundle(&bob_id, None)
        .unwrap()
        .to_vec();
    let mut dave = SqliteStore::open(p.dir.file("dave.db")).unwrap();
    dave.initialize(&mut p.rng, 0).unwrap();
    let dave_addr = DeviceAddress::new("dave", 1);
    dave.start_session(&bob_addr(), &mut p.rng, &no_opk)
        .unwrap();
    let first = dave.send(&bob_addr(), &mut p.rng, T0, b"dave 1").unwrap();
    assert_eq!(
        stored_body(&p.bob.receive(&dave_addr, T0, &first.ciphertext).unwrap()),
        b"dave 1"
    );
    dave.start_session(&bob_addr(), &mut p.rng, &no_opk)
        .unwrap();
    let second = dave.send(&bob_addr(), &mut p.rng, T0, b"dave 2").unwrap();
    let got = p.bob.receive(&dave_addr, T0, &second.ciphertext).unwrap();
    assert!(matches!(
        got.session(),
        Some(SessionEvent::Accepted { replaced: true, .. })
    ));
    let before = dump(p.bob.connection());
    let got = p.bob.receive(&dave_addr, T0, &first.ciphertext).unwrap();
    assert!(matches!(got, ReceiveOutcome::Duplicate), "{got:?}");
    assert_eq!(dump(p.bob.connection()), before);
    let held = p.bob.load_sessions(&dave_addr).unwrap().unwrap();
    assert_eq!(held.previous().len(), 1);
    let r = p.bob.send(&dave_addr, &mut p.rng, T0, b"hi dave").unwrap();
    assert_eq!(
        stored_body(&dave.receive(&bob_addr(), T0, &r.ciphertext).unwrap()),
        b"hi dave"
    );
    assert!(p.bob.delete_sessions(&dave_addr).unwrap());
    let before = dump(p.bob.connection());
    for m in [&first, &second] {
        let err = p.bob.receive(&dave_addr, T0, &m.ciphertext).unwrap_err();
        assert!(matches!(err, StoreError::StaleSession(_)), "{err:?}");
        assert_eq!(dump(p.bob.connection()), before);
    }
}

#[test]
fn connection_settings() {
    let dir = TempDir::new("settings");
    let store = SqliteStore::open(dir.file("s.db")).unwrap();
    let conn = store.connection();
    let get = |pragma: &str| -> String {
        conn.query_row(&format!("PRAGMA {pragma}"), [], |r| {
            r.get::<_, rusqlite::types::Value>(0)
        })
        .map(|v| match v {
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Text(t) => t,
            other => format!("{other:?}"),
        })
        .unwrap()
    };
    assert_eq!(get("journal_mode"), "wal");
    assert_eq!(get("synchronous"), "2"); // FULL
    assert_eq!(get("foreign_keys"), "1");
    assert_eq!(get("secure_delete"), "1");
    assert_eq!(get("busy_timeout"), "5000");
    assert_eq!(get("journal_size_limit"), "4194304"); // 4 MiB
    assert_eq!(get("user_version"), "5");
}

/// `session_addresses` lists every peer device with sessions, in order.
#[test]
fn session_addresses_lists_the_peers() {
    let mut p = established("addresses", 78);
    assert_eq!(p.alice.session_addresses().unwrap(), [bob_addr()]);
    assert_eq!(p.bob.session_addresses().unwrap(), [alice_addr()]);
    let carol = DeviceAddress::new("carol", 3);
    let mut carol_db = SqliteStore::open(p.dir.file("carol.db")).unwrap();
    carol_db.initialize(&mut p.rng, 1).unwrap();
    let carols = carol_db.bundle(&mut p.rng, 1).unwrap();
    p.bob.start_session(&carol, &mut p.rng, &carols).unwrap();
    assert_eq!(p.bob.session_addresses().unwrap(), [alice_addr(), carol]);
}

/// A message stored with another content type than a user message (a
/// receipt) keeps it, on both sides and in its row.
#[test]
fn a_receipt_is_stored_as_a_receipt() {
    let mut p = established("receipt", 79);
    let sent = p
        .alice
        .send_content(&bob_addr(), &mut p.rng, T0, ContentType::Receipt, b"read")
        .unwrap();
    let got = p.bob.receive(&alice_addr(), T0, &sent.ciphertext).unwrap();
    assert_eq!(stored_body(&got), b"read");
    for (store, peer) in [(&p.alice, bob_addr()), (&p.bob, alice_addr())] {
        let last = store.messages(&peer).unwrap().pop().unwrap();
        assert_eq!(last.content_type, ContentType::Receipt);
        assert_eq!(last.body, b"read");
    }
    let raw: i64 = p
        .bob
        .connection()
        .query_row(
            "SELECT content_type FROM messages ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(raw, i64::from(u8::from(ContentType::Receipt)));
}
