//! Attack on a sealed database by whoever can write the file (SPEC.md
//! STORAGE.md §1, SECURITY.md "disk attacker"): state blobs swapped between rows
//! with raw SQL are refused with a typed error and nothing changes; and the
//! one-time migration of a schema-v1 database (frozen fixtures written by
//! the code before blobs were bound, `tests/fixtures/schema_v1/`) binds
//! every row, after which a legacy unbound blob is refused.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{T0, TempDir, dump};
use rusqlite::{Connection, params};
use sealwire::DeviceAddress;
use sealwire::persist::StorageKey;
use sealwire::store::{IdentityStorage, PrekeyStorage, SessionStorage};
use sealwire::testing::DangerDeterministicRng;
use sealwire::{IdentityKeyPair, persist::StateError};
use sealwire_sqlite::{ReceiveOutcome, SCHEMA_VERSION, SqliteStore, StateRecord, StoreError};

fn addr(name: &str, device: u32) -> DeviceAddress {
    DeviceAddress::new(name, device)
}

fn raw(conn: &Connection, a: &DeviceAddress) -> Vec<u8> {
    conn.query_row(
        "SELECT blob FROM sessions WHERE name = ?1 AND device = ?2",
        params![a.name(), a.device_id()],
        |row| row.get(0),
    )
    .unwrap()
}

fn set_raw(conn: &Connection, a: &DeviceAddress, blob: &[u8]) {
    conn.execute(
        "UPDATE sessions SET blob = ?3 WHERE name = ?1 AND device = ?2",
        params![a.name(), a.device_id(), blob],
    )
    .unwrap();
}

fn refused_as(err: &StoreError, who: &DeviceAddress, expected: StateError) -> bool {
    matches!(err, StoreError::State { record: StateRecord::Session(a), error }
        if a == who && *error == expected)
}

/// Bob (sealed) holds sessions with Alice and Carol; each sent him one
/// message.
struct World {
    dir: TempDir,
    rng: DangerDeterministicRng,
    bob: SqliteStore,
    alice: SqliteStore,
    carol: SqliteStore,
}

fn world(tag: &str) -> World {
    let dir = TempDir::new(tag);
    let mut rng = DangerDeterministicRng::from_u64(0xb0b);
    let key = StorageKey::from_bytes([7; 32]);
    let mut bob = SqliteStore::open_sealed(dir.file("bob.db"), key).unwrap();
    let mut alice = SqliteStore::open(dir.file("alice.db")).unwrap();
    let mut carol = SqliteStore::open(dir.file("carol.db")).unwrap();
    bob.initialize(&mut rng, 4).unwrap();
    alice.initialize(&mut rng, 1).unwrap();
    carol.initialize(&mut rng, 1).unwrap();
    for (who, me) in [
        (&mut alice, addr("alice", 1)),
        (&mut carol, addr("carol", 1)),
    ] {
        let bundle = bob.bundle(&mut rng, 4).unwrap();
        who.start_session(&addr("bob", 1), &mut rng, &bundle)
            .unwrap();
        let m = who.send(&addr("bob", 1), &mut rng, T0, b"hi bob").unwrap();
        bob.receive(&me, T0, &m.ciphertext).unwrap();
    }
    World {
        dir,
        rng,
        bob,
        alice,
        carol,
    }
}

#[test]
fn swapped_session_rows_are_refused_and_nothing_changes() {
    let mut w = world("swap");
    let (alice, carol) = (addr("alice", 1), addr("carol", 1));
    let conn = Connection::open(w.dir.file("bob.db")).unwrap();
    let alice_blob = raw(&conn, &alice);
    let carol_blob = raw(&conn, &carol);
    // The attacker swaps the two rows' blobs.
    set_raw(&conn, &alice, &carol_blob);
    set_raw(&conn, &carol, &alice_blob);
    let before = dump(&conn);

    let err = w.bob.load_sessions(&alice).unwrap_err();
    assert!(
        refused_as(&err, &alice, StateError::WrongAddress),
        "{err:?}"
    );
    let err = w.bob.load_sessions(&carol).unwrap_err();
    assert!(
        refused_as(&err, &carol, StateError::WrongAddress),
        "{err:?}"
    );
    // Alice's next message and a reply to Carol are refused too.
    let m = w
        .alice
        .send(&addr("bob", 1), &mut w.rng, T0, b"still there?")
        .unwrap();
    let err = w.bob.receive(&alice, T0, &m.ciphertext).unwrap_err();
    assert!(
        refused_as(&err, &alice, StateError::WrongAddress),
        "{err:?}"
    );
    let err = w
        .bob
        .send(&carol, &mut w.rng, T0, b"to carol?")
        .unwrap_err();
    assert!(
        refused_as(&err, &carol, StateError::WrongAddress),
        "{err:?}"
    );
    assert!(dump(&conn) == before, "a refused swap changed the database");

    // Another device of the same peer's row, and the prekey row.
    conn.execute(
        "INSERT INTO sessions (name, device, blob) VALUES ('alice', 2, ?1)",
        [&carol_blob],
    )
    .unwrap();
    let err = w.bob.load_sessions(&addr("alice", 2)).unwrap_err();
    assert!(
        refused_as(&err, &addr("alice", 2), StateError::WrongAddress),
        "{err:?}"
    );
    conn.execute("DELETE FROM sessions WHERE device = 2", [])
        .unwrap();

    // Swapped back, everything works again.
    set_raw(&conn, &alice, &alice_blob);
    set_raw(&conn, &carol, &carol_blob);
    let got = w.bob.receive(&alice, T0, &m.ciphertext).unwrap();
    assert!(matches!(got, ReceiveOutcome::Stored { .. }));
    let r = w.bob.send(&carol, &mut w.rng, T0, b"to carol").unwrap();
    let got = w.carol.receive(&addr("bob", 1), T0, &r.ciphertext).unwrap();
    assert!(matches!(got, ReceiveOutcome::Stored { .. }));
}

#[test]
fn another_databases_rows_are_refused() {
    // Two sealed databases under one storage key (two accounts on one
    // device): Bob2's session with Alice copied into Bob's row of Alice.
    let w = world("owner");
    let key = StorageKey::from_bytes([7; 32]);
    let mut rng = DangerDeterministicRng::from_u64(5);
    let mut bob2 = SqliteStore::open_sealed(w.dir.file("bob2.db"), key).unwrap();
    bob2.initialize(&mut rng, 1).unwrap();
    let record = w.bob.load_sessions(&addr("alice", 1)).unwrap().unwrap();
    bob2.save_sessions(&addr("alice", 1), &record).unwrap();
    let other = raw(
        &Connection::open(w.dir.file("bob2.db")).unwrap(),
        &addr("alice", 1),
    );
    let conn = Connection::open(w.dir.file("bob.db")).unwrap();
    set_raw(&conn, &addr("alice", 1), &other);
    let err = w.bob.load_sessions(&addr("alice", 1)).unwrap_err();
    assert!(
        refused_as(&err, &addr("alice", 1), StateError::WrongAddress),
        "{err:?}"
    );
    // Bob2's identity and prekeys in Bob's rows.
    let conn2 = Connection::open(w.dir.file("bob2.db")).unwrap();
    for table in ["local_identity", "prekeys"] {
        let blob: Vec<u8> = conn2
            .query_row(&format!("SELECT blob FROM {table}"), [], |r| r.get(0))
            .unwrap();
        conn.execute(&format!("UPDATE {table} SET blob = ?1"), [&blob])
            .unwrap();
    }
    assert!(matches!(
        w.bob.local_identity(),
        Err(StoreError::State {
            record: StateRecord::LocalIdentity,
            error: StateError::WrongAddress
        })
    ));
    assert!(matches!(
        w.bob.load_prekeys(),
        Err(StoreError::State {
            record: StateRecord::Prekeys,
            error: StateError::WrongAddress
        })
    ));
    // A sealed database binds its state to its identity: another one is
    // refused (its own is saved again), and nothing is saved before one.
    assert!(matches!(
        bob2.save_local_identity(&IdentityKeyPair::generate(&mut rng)),
        Err(StoreError::OtherIdentity)
    ));
    let own = bob2.local_identity().unwrap().unwrap();
    bob2.save_local_identity(&own).unwrap();
    assert_eq!(
        bob2.local_identity().unwrap().unwrap().public(),
        own.public()
    );
    let mut empty =
        SqliteStore::open_sealed(w.dir.file("empty.db"), StorageKey::from_bytes([7; 32])).unwrap();
    assert!(matches!(
        empty.save_sessions(&addr("alice", 1), &record),
        Err(StoreError::NoIdentity)
    ));
}

fn fixture(dir: &TempDir, name: &str) -> std::path::PathBuf {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/schema_v1")
        .join(name);
    let dst = dir.file(name);
    std::fs::copy(src, &dst).unwrap();
    dst
}

const FIXTURE_KEY: [u8; 32] = [0x42; 32];

/// A schema-1 sealed database whose identity row is gone cannot bind its
/// other blobs to an identity: the migration refuses it (`NoIdentity`,
/// the file untouched) unless nothing else is left either.
#[test]
fn a_schema_v1_database_without_its_identity_migrates_only_if_empty() {
    let dir = TempDir::new("migrate-no-identity");
    for (case, delete) in [
        (
            "prekeys left",
            "DELETE FROM local_identity; DELETE FROM sessions;",
        ),
        (
            "sessions left",
            "DELETE FROM local_identity; DELETE FROM prekeys;",
        ),
        (
            "nothing left",
            "DELETE FROM local_identity; DELETE FROM prekeys; DELETE FROM sessions;",
        ),
    ] {
        let path = fixture(&dir, "bob_sealed.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(delete)
            .unwrap();
        let before = dump(&Connection::open(&path).unwrap());
        let opened = SqliteStore::open_sealed(&path, StorageKey::from_bytes(FIXTURE_KEY));
        if case == "nothing left" {
            assert_eq!(opened.unwrap().schema_version().unwrap(), SCHEMA_VERSION);
        } else {
            assert!(matches!(opened, Err(StoreError::NoIdentity)), "{case}");
            assert!(dump(&Connection::open(&path).unwrap()) == before, "{case}");
        }
    }
}

#[test]
fn schema_v1_sealed_database_is_migrated_once() {
    let dir = TempDir::new("migrate");
    let bob_path = fixture(&dir, "bob_sealed.db");
    let alice_path = fixture(&dir, "alice_plain.db");
    let carol_path = fixture(&dir, "carol_plain.db");
    let original = dump(&Connection::open(&bob_path).unwrap());
    let (alice, carol) = (addr("alice", 1), addr("carol", 2));
    let legacy_alice = raw(&Connection::open(&bob_path).unwrap(), &alice);
    assert_eq!(&legacy_alice[..4], b"SWSE");

    // The wrong key: refused, the file untouched.
    assert!(matches!(
        SqliteStore::open_sealed(&bob_path, StorageKey::from_bytes([1; 32])),
        Err(StoreError::WrongStorageKey)
    ));
    assert!(dump(&Connection::open(&bob_path).unwrap()) == original);
    let v: i64 = Connection::open(&bob_path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, 1);

    let mut bob = SqliteStore::open_sealed(&bob_path, StorageKey::from_bytes(FIXTURE_KEY)).unwrap();
    assert_eq!(bob.schema_version().unwrap(), SCHEMA_VERSION);
    let conn = Connection::open(&bob_path).unwrap();
    for table in ["local_identity", "prekeys", "sessions"] {
        let mut stmt = conn.prepare(&format!("SELECT blob FROM {table}")).unwrap();
        let blobs: Vec<Vec<u8>> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(!blobs.is_empty());
        for b in blobs {
            assert_eq!(&b[..4], b"SWSB", "{table}");
            if table == "sessions" {
                // Each session is now a device's sessions (kind 0x07).
                assert_eq!(b[4], 0x07);
            }
        }
    }
    let identity = bob.local_identity().unwrap().unwrap();
    assert!(bob.load_prekeys().unwrap().is_some());
    assert_eq!(bob.session_devices("alice").unwrap(), [1]);

    // The conversations go on: Alice's and Carol's (plain) databases are
    // migrated too (schema version only).
    let mut rng = DangerDeterministicRng::from_u64(0x516);
    let mut alice_db = SqliteStore::open(&alice_path).unwrap();
    let mut carol_db = SqliteStore::open(&carol_path).unwrap();
    assert_eq!(alice_db.schema_version().unwrap(), SCHEMA_VERSION);
    let m = alice_db
        .send(&addr("bob", 1), &mut rng, T0, b"after the migration")
        .unwrap();
    let got = bob.receive(&alice, T0, &m.ciphertext).unwrap();
    assert_eq!(
        &got.received().unwrap().plaintext[..],
        b"after the migration"
    );
    let r = bob.send(&carol, &mut rng, T0, b"hello carol").unwrap();
    let got = carol_db
        .receive(&addr("bob", 1), T0, &r.ciphertext)
        .unwrap();
    assert_eq!(&got.received().unwrap().plaintext[..], b"hello carol");

    // Reopened: no second migration, the same identity.
    drop(bob);
    let bob = SqliteStore::open_sealed(&bob_path, StorageKey::from_bytes(FIXTURE_KEY)).unwrap();
    assert_eq!(bob.local_identity().unwrap().unwrap(), identity);

    // A legacy (unbound) blob put back after the migration is refused.
    set_raw(&conn, &alice, &legacy_alice);
    let before = dump(&conn);
    let err = bob.load_sessions(&alice).unwrap_err();
    assert!(
        refused_as(&err, &alice, StateError::UnboundLegacy),
        "{err:?}"
    );
    assert!(dump(&conn) == before);
}

#[test]
fn a_failed_migration_changes_nothing() {
    let dir = TempDir::new("migrate-fail");
    let bob_path = fixture(&dir, "bob_sealed.db");
    {
        let conn = Connection::open(&bob_path).unwrap();
        let mut blob = raw(&conn, &addr("carol", 2));
        let mid = blob.len() / 2;
        blob[mid] ^= 1;
        set_raw(&conn, &addr("carol", 2), &blob);
    }
    let damaged = std::fs::read(&bob_path).unwrap();
    let err = SqliteStore::open_sealed(&bob_path, StorageKey::from_bytes(FIXTURE_KEY)).unwrap_err();
    assert!(
        refused_as(&err, &addr("carol", 2), StateError::Corrupted),
        "{err:?}"
    );
    let conn = Connection::open(&bob_path).unwrap();
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, 1);
    let alice_blob = raw(&conn, &addr("alice", 1));
    assert_eq!(&alice_blob[..4], b"SWSE", "a row was rewritten");
    drop(conn);
    // The file holds the same content (SQLite may rewrite its header
    // counters, not the rows): compare the rows rather than the bytes.
    let fresh = TempDir::new("migrate-fail-copy");
    let copy = fresh.file("bob.db");
    std::fs::write(&copy, &damaged).unwrap();
    assert!(
        dump(&Connection::open(&copy).unwrap()) == dump(&Connection::open(&bob_path).unwrap()),
        "a failed migration changed a row"
    );
}

/// Every column of a `messages` row, as stored.
fn message_row(conn: &Connection, id: i64) -> Vec<rusqlite::types::Value> {
    conn.query_row("SELECT * FROM messages WHERE id = ?1", [id], |row| {
        (0..row.as_ref().column_count())
            .map(|i| row.get(i))
            .collect()
    })
    .unwrap()
}

#[test]
fn a_deleted_rows_id_is_never_given_again_so_an_old_row_cannot_replace_a_new_one() {
    use sealwire::expiry::{ExpiryMode, ExpiryPolicy};

    let mut w = world("row-ids");
    let alice = addr("alice", 1);
    let policy = ExpiryPolicy::new(ExpiryMode::AfterSend, 30).unwrap();
    w.bob
        .set_timer(&alice, &mut w.rng, T0, Some(policy))
        .unwrap();
    let old = w
        .bob
        .send(&alice, &mut w.rng, common::secs(1), b"disappears")
        .unwrap()
        .row_id
        .unwrap();
    // The attacker keeps a copy of the sealed row, then it expires and is
    // deleted: it was the last row.
    let conn = Connection::open(w.dir.file("bob.db")).unwrap();
    let kept = message_row(&conn, old);
    let max: i64 = conn
        .query_row("SELECT max(id) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(max, old);
    assert_eq!(w.bob.delete_expired(common::secs(100)).unwrap(), 1);
    assert!(w.bob.message(old).unwrap().is_none());
    w.bob
        .set_timer(&alice, &mut w.rng, common::secs(100), None)
        .unwrap();

    // The next message gets a new id, not the deleted one's (also after
    // reopening: the counter is in the file).
    drop(w.bob);
    let mut bob =
        SqliteStore::open_sealed(w.dir.file("bob.db"), StorageKey::from_bytes([7; 32])).unwrap();
    let new = bob
        .send(&alice, &mut w.rng, common::secs(101), b"new")
        .unwrap()
        .row_id
        .unwrap();
    assert!(new > old, "id {} given again", old);

    // The kept row, written in place of the new one (every column, its
    // own id changed to the new row's), does not open.
    let mut columns = kept.clone();
    columns[0] = rusqlite::types::Value::Integer(new);
    conn.execute("DELETE FROM messages WHERE id = ?1", [new])
        .unwrap();
    conn.execute(
        &format!(
            "INSERT INTO messages VALUES ({})",
            vec!["?"; columns.len()].join(", ")
        ),
        rusqlite::params_from_iter(columns),
    )
    .unwrap();
    let err = bob.message(new).unwrap_err();
    assert!(
        matches!(err, StoreError::SealedRow { table: "messages", row_id, .. } if row_id == new),
        "{err:?}"
    );
    // Put back under its own id, it is the deleted message again (a
    // rollback, which whoever writes the file can always do).
    conn.execute(
        &format!(
            "INSERT INTO messages VALUES ({})",
            vec!["?"; kept.len()].join(", ")
        ),
        rusqlite::params_from_iter(kept),
    )
    .unwrap();
    assert_eq!(bob.message(old).unwrap().unwrap().body, b"disappears");
}

/// A message body in the file is the sealed value of STORAGE.md §14 with
/// the associated data of its row, encoded here by hand (the format the
/// known-answer vector `tests/vectors/sealed_value.json` pins).
#[test]
fn a_stored_body_is_sealed_with_its_rows_address() {
    let w = world("value-address");
    let conn = Connection::open(w.dir.file("bob.db")).unwrap();
    let (id, body): (i64, Vec<u8>) = conn
        .query_row(
            "SELECT id, body FROM messages WHERE peer_name = 'alice'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let mut address = Vec::new();
    let user_message = i64::from(u8::from(sealwire::ContentType::UserMessage));
    let sent_at = i64::try_from(T0.as_unix_millis()).unwrap();
    for part in [
        b"sealwire-sqlite/value/v5".as_slice(),
        b"messages",
        &id.to_be_bytes(),
        b"alice",
        &1u32.to_be_bytes(),
        b"in",
        &user_message.to_be_bytes(),
        &sent_at.to_be_bytes(),
        &[0],
    ] {
        address.extend_from_slice(&u32::try_from(part.len()).unwrap().to_be_bytes());
        address.extend_from_slice(part);
    }
    let key = StorageKey::from_bytes([7; 32]);
    assert_eq!(&key.open_value(&address, &body).unwrap()[..], b"hi bob");
}
