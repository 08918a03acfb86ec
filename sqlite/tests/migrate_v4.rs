//! Schema version 4 → 5: the frozen fixtures under
//! `tests/fixtures/schema_v4/` were written by the version-4 code (before
//! message bodies were sealed and before groups were stored) with
//! [`write_schema_v4_fixtures`]; opening them migrates them once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{T0, TempDir, secs};
use sealwire::persist::StorageKey;
use sealwire::testing::DangerDeterministicRng;
use sealwire::{ContentType, DeviceAddress, IdentityKey};
use sealwire_sqlite::SqliteStore;

/// The storage key of the sealed fixture.
const FIXTURE_KEY: [u8; 32] = [0x42; 32];

fn addr(name: &str, device: u32) -> DeviceAddress {
    DeviceAddress::new(name, device)
}

fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema_v4")
}

fn identity(s: &SqliteStore) -> IdentityKey {
    use sealwire::store::IdentityStorage;
    *s.local_identity().unwrap().unwrap().public()
}

/// Writes `alice_plain.db` (unsealed) and `bob_sealed.db` (sealed under
/// [`FIXTURE_KEY`]) into `tests/fixtures/schema_v4/`. Run once, with the
/// schema-4 code, by
/// `cargo test -p sealwire-sqlite --test migrate_v4 -- --ignored write_schema_v4_fixtures`;
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
    let tmp = TempDir::new("write-v4");
    let mut rng = DangerDeterministicRng::from_u64(0x5c4);
    let (a, b) = (addr("alice", 1), addr("bob", 1));
    let alice_path = tmp.file("alice_plain.db");
    let bob_path = tmp.file("bob_sealed.db");
    let mut alice = SqliteStore::open(&alice_path).unwrap();
    let mut bob = SqliteStore::open_sealed(&bob_path, StorageKey::from_bytes(FIXTURE_KEY)).unwrap();
    assert_eq!(alice.schema_version().unwrap(), 4);
    alice.initialize(&mut rng, 3).unwrap();
    bob.initialize(&mut rng, 3).unwrap();
    let (ka, kb) = (identity(&alice), identity(&bob));
    alice.update_device_list("bob", &[(1, kb)]).unwrap();
    bob.update_device_list("alice", &[(1, ka)]).unwrap();
    let bundle = bob.bundle(&mut rng, 3).unwrap();
    alice.start_session(&b, &mut rng, &bundle).unwrap();

    let first = alice.send(&b, &mut rng, T0, b"hello bob, from v4").unwrap();
    bob.receive(&a, secs(1), &first.ciphertext).unwrap();
    alice.mark_delivered(first.outbox_id).unwrap();

    // A group key distribution the only way version 4 could carry it.
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
        .send(&a, &mut rng, secs(4), b"hello alice, from v4")
        .unwrap();
    alice.receive(&b, secs(5), &reply.ciphertext).unwrap();
    bob.mark_delivered(reply.outbox_id).unwrap();

    let to_user = alice
        .send_to_user(&a, "bob", &mut rng, secs(6), b"to every device of bob, v4")
        .unwrap();
    for copy in &to_user.copies {
        bob.receive(&a, secs(7), &copy.ciphertext).unwrap();
        alice.mark_delivered(copy.id).unwrap();
    }
    // Left in Alice's outbox: Bob receives it after the upgrade.
    alice
        .send(&b, &mut rng, secs(8), b"queued in v4, delivered after")
        .unwrap();
    alice.checkpoint().unwrap();
    bob.checkpoint().unwrap();
    drop(alice);
    drop(bob);
    for name in ["alice_plain.db", "bob_sealed.db"] {
        std::fs::copy(tmp.file(name), fixture_dir().join(name)).unwrap();
    }
}
