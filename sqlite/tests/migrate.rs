//! Schema versions 3 and 4 → 5: the frozen fixtures under
//! `tests/fixtures/schema_v3/` were written by the version-3 code (before
//! sent copies; [`write_schema_v3_fixtures`]), those under
//! `tests/fixtures/schema_v4/` by the version-4 code (before message bodies
//! were sealed and before groups were stored; [`write_schema_v4_fixtures`]);
//! opening them migrates them once, each through the steps after its own
//! version only.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{T0, TempDir, file_bytes, occurs, secs};
use sealwire::persist::StorageKey;
use sealwire::store::DeviceListStorage;
use sealwire::testing::DangerDeterministicRng;
use sealwire::{ContentType, DeviceAddress, IdentityKey};
use sealwire_sqlite::SqliteStore;

/// The storage key of the sealed fixture.
const FIXTURE_KEY: [u8; 32] = [0x42; 32];

fn addr(name: &str, device: u32) -> DeviceAddress {
    DeviceAddress::new(name, device)
}

fn fixture_dir(version: i64) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/fixtures/schema_v{version}"))
}

fn identity(s: &SqliteStore) -> IdentityKey {
    use sealwire::store::IdentityStorage;
    *s.local_identity().unwrap().unwrap().public()
}

/// Writes `alice_plain.db` (unsealed) and `bob_sealed.db` (sealed under
/// [`FIXTURE_KEY`]) into `tests/fixtures/schema_v4/`. Run once, with the
/// schema-4 code, by
/// `cargo test -p sealwire-sqlite --test migrate -- --ignored write_schema_v4_fixtures`;
/// the committed files are the ones it wrote then.
///
/// Alice and Bob hold each other's device list and a session; Alice sent
/// Bob a group key distribution through `send_content` (so that the chain
/// key sits in clear in both `messages` tables, the case version 5
/// removes), messages both ways, a message to every device of Bob
/// (`send_to_user`: sent copies), and one message still in her outbox.
#[test]
#[ignore = "writes the committed fixtures; run by hand with the schema-4 code"]
fn write_schema_v4_fixtures() {
    write_fixtures(4);
}

/// The same for `tests/fixtures/schema_v3/`, without the sent copies
/// (version 3 has no `send_to_user`): written once by the code of commit
/// e4e8f94 (schema version 3), where [`write_fixtures`] without its
/// version-4 part compiled.
#[test]
#[ignore = "writes the committed fixtures; run by hand with the schema-3 code"]
fn write_schema_v3_fixtures() {
    write_fixtures(3);
}

fn write_fixtures(version: i64) {
    let tmp = TempDir::new(&format!("write-v{version}"));
    let mut rng = DangerDeterministicRng::from_u64(0x5c0 + version as u64);
    let (a, b) = (addr("alice", 1), addr("bob", 1));
    let alice_path = tmp.file("alice_plain.db");
    let bob_path = tmp.file("bob_sealed.db");
    let mut alice = SqliteStore::open(&alice_path).unwrap();
    let mut bob = SqliteStore::open_sealed(&bob_path, StorageKey::from_bytes(FIXTURE_KEY)).unwrap();
    assert_eq!(alice.schema_version().unwrap(), version);
    alice.initialize(&mut rng, 3).unwrap();
    bob.initialize(&mut rng, 3).unwrap();
    let (ka, kb) = (identity(&alice), identity(&bob));
    alice.update_device_list("bob", &[(1, kb)]).unwrap();
    bob.update_device_list("alice", &[(1, ka)]).unwrap();
    let bundle = bob.bundle(&mut rng, 3).unwrap();
    alice.start_session(&b, &mut rng, &bundle).unwrap();

    let text = |what: &str| format!("{what}, from v{version}").into_bytes();
    let first = alice.send(&b, &mut rng, T0, &text("hello bob")).unwrap();
    bob.receive(&a, secs(1), &first.ciphertext).unwrap();
    alice.mark_delivered(first.outbox_id).unwrap();

    // A group key distribution the only way versions 3 and 4 could carry
    // it.
    let (_group, dist) = sealwire::group::Group::create(&mut rng, secs(2), ka, &[kb]).unwrap();
    let d = alice
        .send_content(
            &b,
            &mut rng,
            secs(2),
            ContentType::GroupKeyDistribution,
            &dist.body,
        )
        .unwrap();
    bob.receive(&a, secs(3), &d.ciphertext).unwrap();
    alice.mark_delivered(d.outbox_id).unwrap();

    let reply = bob
        .send(&a, &mut rng, secs(4), &text("hello alice"))
        .unwrap();
    alice.receive(&b, secs(5), &reply.ciphertext).unwrap();
    bob.mark_delivered(reply.outbox_id).unwrap();

    if version >= 4 {
        let to_user = alice
            .send_to_user(
                &a,
                "bob",
                &mut rng,
                secs(6),
                format!("to every device of bob, v{version}").as_bytes(),
            )
            .unwrap();
        for copy in &to_user.copies {
            bob.receive(&a, secs(7), &copy.ciphertext).unwrap();
            alice.mark_delivered(copy.id).unwrap();
        }
    }
    // Left in Alice's outbox: Bob receives it after the upgrade.
    alice
        .send(&b, &mut rng, secs(8), &queued_text(version))
        .unwrap();
    alice.checkpoint().unwrap();
    bob.checkpoint().unwrap();
    drop(alice);
    drop(bob);
    for name in ["alice_plain.db", "bob_sealed.db"] {
        std::fs::copy(tmp.file(name), fixture_dir(version).join(name)).unwrap();
    }
}

fn queued_text(version: i64) -> Vec<u8> {
    format!("queued in v{version}, delivered after").into_bytes()
}

fn copy_fixture(dir: &TempDir, version: i64, name: &str) -> std::path::PathBuf {
    let dst = dir.file(name);
    std::fs::copy(fixture_dir(version).join(name), &dst).unwrap();
    dst
}

/// `(id, content_type, body)` of every message row, raw.
fn raw_messages(path: &std::path::Path) -> Vec<(i64, i64, Vec<u8>)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, content_type, body FROM messages ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn schema_v4_databases_migrate_to_sealed_bodies_without_keys() {
    migrates_to_v5(4);
}

/// Version 3 has neither sent copies nor the `to_user` column: opening
/// adds them (every old row `to_user = 0`) and then does what opening a
/// version-4 database does; the version-3 tables are not created again.
#[test]
fn schema_v3_databases_migrate_through_v4_to_v5() {
    migrates_to_v5(3);
    let dir = TempDir::new("migrate-v3-columns");
    let path = copy_fixture(&dir, 3, "alice_plain.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let to_user: Vec<i64> = conn
        .prepare("SELECT to_user FROM messages ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(to_user, [0, 0, 0]);
    let copies: i64 = conn
        .query_row("SELECT count(*) FROM sent_copies", [], |r| r.get(0))
        .unwrap();
    assert_eq!(copies, 0);
}

/// Opens the fixtures of `version` and checks that they migrated to
/// version 5: see [`schema_v4_databases_migrate_to_sealed_bodies_without_keys`].
fn migrates_to_v5(version: i64) {
    use sealwire_sqlite::{ReceiveOutcome, SCHEMA_VERSION, StoreError};
    assert_eq!(SCHEMA_VERSION, 5);
    let dir = TempDir::new(&format!("migrate-v{version}"));
    let bob_path = copy_fixture(&dir, version, "bob_sealed.db");
    let alice_path = copy_fixture(&dir, version, "alice_plain.db");
    let before_bob = raw_messages(&bob_path);
    let before_alice = raw_messages(&alice_path);
    // Version 4 stored the distribution as a message, in clear, on both
    // sides: the chain key is at 26..58 of its body.
    let dist =
        |rows: &[(i64, i64, Vec<u8>)]| rows.iter().find(|(_, ct, _)| *ct == 3).unwrap().2.clone();
    let chain_key = dist(&before_bob)[26..58].to_vec();
    assert_eq!(dist(&before_alice)[26..58], chain_key[..]);
    assert!(occurs(&file_bytes(&bob_path), &chain_key));
    assert!(occurs(&file_bytes(&alice_path), &chain_key));

    // A wrong key, no key: refused, the file untouched.
    let original = std::fs::read(&bob_path).unwrap();
    let err = SqliteStore::open_sealed(&bob_path, StorageKey::from_bytes([1; 32])).unwrap_err();
    assert!(matches!(err, StoreError::WrongStorageKey), "{err:?}");
    let err = SqliteStore::open(&bob_path).unwrap_err();
    assert!(matches!(err, StoreError::SealedDatabase), "{err:?}");
    assert_eq!(std::fs::read(&bob_path).unwrap(), original);

    let mut bob = SqliteStore::open_sealed(&bob_path, StorageKey::from_bytes(FIXTURE_KEY)).unwrap();
    let mut alice = SqliteStore::open(&alice_path).unwrap();
    assert_eq!(bob.schema_version().unwrap(), 5);
    assert_eq!(alice.schema_version().unwrap(), 5);
    for (path, store, before) in [
        (&bob_path, &bob, &before_bob),
        (&alice_path, &alice, &before_alice),
    ] {
        // The distribution rows are gone; every other body reads back as
        // it was.
        let after = raw_messages(path);
        let kept: Vec<_> = before.iter().filter(|(_, ct, _)| *ct != 3).collect();
        assert_eq!(after.len(), kept.len());
        for (id, _, body) in &kept {
            assert_eq!(
                &store.message(*id).unwrap().unwrap().body,
                body,
                "{path:?} row {id}"
            );
        }
        // No chain key bytes left anywhere in the file or its WAL.
        assert!(!occurs(&file_bytes(path), &chain_key), "{path:?}");
    }
    // Bob's bodies are sealed: none is in his file any more.
    let bob_bytes = file_bytes(&bob_path);
    for (_, ct, body) in &before_bob {
        if *ct != 3 {
            assert!(
                !occurs(&bob_bytes, body),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }
    // Other data intact: identities, sessions, device lists, outbox.
    assert_eq!(
        identity(&bob),
        identity(
            &SqliteStore::open_sealed(&bob_path, StorageKey::from_bytes(FIXTURE_KEY)).unwrap()
        )
    );
    assert!(bob.load_device_list("alice").unwrap().is_some());
    let queued = alice.pending_outbox(&addr("bob", 1)).unwrap();
    assert_eq!(queued.len(), 1);
    match bob
        .receive(&addr("alice", 1), secs(10), &queued[0].ciphertext)
        .unwrap()
    {
        ReceiveOutcome::Stored { received, .. } => {
            assert_eq!(received.plaintext[..], queued_text(version)[..])
        }
        other => panic!("{other:?}"),
    }
    let mut rng = DangerDeterministicRng::from_u64(0x5c5);
    let r = bob
        .send(&addr("alice", 1), &mut rng, secs(11), b"after v5")
        .unwrap();
    assert!(matches!(
        alice
            .receive(&addr("bob", 1), secs(12), &r.ciphertext)
            .unwrap(),
        ReceiveOutcome::Stored { .. }
    ));
    // Reopened: no second migration, the same rows.
    drop(bob);
    let rows = raw_messages(&bob_path);
    let bob = SqliteStore::open_sealed(&bob_path, StorageKey::from_bytes(FIXTURE_KEY)).unwrap();
    assert_eq!(raw_messages(&bob_path), rows);
    drop(bob);

    // A database of a newer version is refused, the file untouched.
    rusqlite::Connection::open(&bob_path)
        .unwrap()
        .pragma_update(None, "user_version", 6)
        .unwrap();
    let original = std::fs::read(&bob_path).unwrap();
    let err = SqliteStore::open_sealed(&bob_path, StorageKey::from_bytes(FIXTURE_KEY)).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::SchemaTooNew {
                found: 6,
                supported: 5
            }
        ),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&bob_path).unwrap(), original);
}

#[test]
fn a_failed_v4_migration_changes_nothing() {
    use sealwire_sqlite::StoreError;
    let dir = TempDir::new("migrate-v4-fail");
    let bob_path = copy_fixture(&dir, 4, "bob_sealed.db");
    // The owner record damaged: the migration, which reads it, fails and
    // rolls back.
    rusqlite::Connection::open(&bob_path)
        .unwrap()
        .execute(
            "UPDATE meta SET value = x'00' WHERE key = 'owner_identity'",
            [],
        )
        .unwrap();
    let original = std::fs::read(&bob_path).unwrap();
    let err = SqliteStore::open_sealed(&bob_path, StorageKey::from_bytes(FIXTURE_KEY)).unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidRow { table: "meta", .. }),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&bob_path).unwrap(), original);
    let version: i64 = rusqlite::Connection::open(&bob_path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 4);
}
