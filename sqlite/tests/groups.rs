//! Groups and channels in the store, and encryption at rest (schema v5):
//! a key distribution is never a message row, the group's keys and the
//! message bodies never appear in the database file or its WAL, a row
//! swapped from another row or conversation is a typed error, a wrong
//! storage key leaves the file as it was, and the group steps are
//! transactional.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{T0, TempDir, dump, file_bytes, occurs, secs};
use rusqlite::params;
use sealwire::group::{GroupError, GroupMode};
use sealwire::persist::{StateError, StorageKey};
use sealwire::store::IdentityStorage;
use sealwire::testing::DangerDeterministicRng;
use sealwire::{ContentType, DeviceAddress, IdentityKey};
use sealwire_sqlite::{
    Direction, DistributionOutcome, GroupReceiveOutcome, GroupRole, OutboxEntry, ReceiveOutcome,
    SqliteStore, StoreError,
};

const KEY: [u8; 32] = [0x17; 32];

fn addr(name: &str) -> DeviceAddress {
    DeviceAddress::new(name, 1)
}

fn key_of(store: &SqliteStore) -> IdentityKey {
    *store.local_identity().unwrap().unwrap().public()
}

const NAMES: [&str; 3] = ["alice", "bob", "carol"];

/// Alice, Bob and Carol, one device each, sealed databases, every one
/// holding the others' device lists and a session with each.
struct World {
    dir: TempDir,
    stores: Vec<SqliteStore>,
}

impl World {
    fn new(tag: &str) -> Self {
        let dir = TempDir::new(tag);
        let mut rng = DangerDeterministicRng::from_u64(0x6a0);
        let mut stores: Vec<SqliteStore> = NAMES
            .iter()
            .map(|n| {
                let mut s = SqliteStore::open_sealed(
                    dir.file(&format!("{n}.db")),
                    StorageKey::from_bytes(KEY),
                )
                .unwrap();
                s.initialize(&mut rng, 4).unwrap();
                s
            })
            .collect();
        let keys: Vec<IdentityKey> = stores.iter().map(key_of).collect();
        for (i, s) in stores.iter_mut().enumerate() {
            for (j, n) in NAMES.iter().enumerate() {
                if i != j {
                    s.update_device_list(n, &[(1, keys[j])]).unwrap();
                }
            }
        }
        for i in 0..3 {
            for j in (i + 1)..3 {
                let bundle = stores[j].bundle(&mut rng, 4).unwrap();
                stores[i]
                    .start_session(&addr(NAMES[j]), &mut rng, &bundle)
                    .unwrap();
                let m = stores[i]
                    .send(&addr(NAMES[j]), &mut rng, T0, b"hi")
                    .unwrap();
                stores[j]
                    .receive(&addr(NAMES[i]), T0, &m.ciphertext)
                    .unwrap();
            }
        }
        Self { dir, stores }
    }

    fn index(name: &str) -> usize {
        NAMES.iter().position(|n| *n == name).unwrap()
    }

    fn store(&mut self, name: &str) -> &mut SqliteStore {
        &mut self.stores[Self::index(name)]
    }

    /// Delivers 1:1 messages queued by `from`, each to its device; returns
    /// the outcomes.
    fn deliver(&mut self, from: &str, entries: &[OutboxEntry]) -> Vec<ReceiveOutcome> {
        entries
            .iter()
            .map(|e| {
                let to = self.store(e.peer.name());
                to.receive(&addr(from), secs(1), &e.ciphertext).unwrap()
            })
            .collect()
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.file(&format!("{name}.db"))
    }
}

/// A fresh seeded generator per call.
fn rng() -> DangerDeterministicRng {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1000);
    DangerDeterministicRng::from_u64(N.fetch_add(1, Ordering::Relaxed))
}

/// The body of a stored post; the outcome's accessors agree with it.
fn stored_body(outcome: &GroupReceiveOutcome) -> Vec<u8> {
    match outcome {
        GroupReceiveOutcome::Stored { received, row_id } => {
            assert_eq!(outcome.row_id(), Some(*row_id));
            let same = |r: &sealwire::group::GroupReceived| r.plaintext == received.plaintext;
            assert!(outcome.received().is_some_and(same));
            received.plaintext.to_vec()
        }
        other => panic!("expected Stored, got {other:?}"),
    }
}

#[test]
fn a_distribution_sent_through_the_store_leaves_no_key_and_no_body_on_disk() {
    let mut w = World::new("dist-scan");
    let (ka, kb) = (key_of(&w.stores[0]), key_of(&w.stores[1]));
    // A distribution built by the app with the core and sent with
    // `send_content`, as version 4 allowed.
    let (mut group, dist) = sealwire::group::Group::create(&mut rng(), T0, ka, &[kb]).unwrap();
    let chain_key = dist.body[26..58].to_vec();
    let sent = w
        .store("alice")
        .send_content(
            &addr("bob"),
            &mut DangerDeterministicRng::from_u64(1),
            T0,
            ContentType::GroupKeyDistribution,
            &dist.body,
        )
        .unwrap();
    assert_eq!(sent.row_id, None, "a distribution is not a message row");
    let outcome = w
        .store("bob")
        .receive(&addr("alice"), secs(1), &sent.ciphertext)
        .unwrap();
    let ReceiveOutcome::GroupKey {
        group: Some(id),
        outcome:
            DistributionOutcome::Accepted {
                new_chain: true,
                invited: true,
            },
        sender,
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!((id, sender), (group.id(), ka));
    assert!(outcome.received().is_none());
    let info = w.store("bob").group(&id).unwrap().unwrap();
    assert_eq!((info.role, info.joined), (GroupRole::Member, false));
    assert_eq!(info.members, ["alice"]);
    // Once joined, Bob reads Alice's posts with the chain the store took.
    w.store("bob")
        .join_group(&addr("bob"), &mut rng(), secs(1), id, &["alice", "bob"])
        .unwrap();
    let secret = b"a known group body, never on disk";
    let post = group.post(&mut rng(), secs(2), secret).unwrap();
    let got = w.store("bob").receive_group(secs(3), &post.bytes).unwrap();
    assert_eq!(stored_body(&got), secret);
    let one_to_one = b"a known 1:1 body, never on disk";
    let m = w
        .store("alice")
        .send(&addr("bob"), &mut rng(), secs(4), one_to_one)
        .unwrap();
    w.store("bob")
        .receive(&addr("alice"), secs(5), &m.ciphertext)
        .unwrap();
    for name in NAMES {
        let scanned = file_bytes(&w.path(name));
        assert!(!occurs(&scanned, &chain_key), "chain key in {name}'s files");
        assert!(!occurs(&scanned, secret), "group body in {name}'s files");
        assert!(!occurs(&scanned, one_to_one), "1:1 body in {name}'s files");
        let n: i64 = w
            .store(name)
            .connection()
            .query_row(
                "SELECT count(*) FROM messages WHERE content_type = 3",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 0, "{name} stored a distribution as a message");
    }
    // Read back through the API.
    let msgs = w.store("bob").group_messages(&id).unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].body, secret);
    assert_eq!(msgs[0].sender, Some(ka));
    assert_eq!(msgs[0].sender_user.as_deref(), Some("alice"));
    // `send_content_to_user` refuses a distribution.
    let err = w
        .store("alice")
        .send_content_to_user(
            &addr("alice"),
            "bob",
            &mut rng(),
            secs(6),
            ContentType::GroupKeyDistribution,
            &dist.body,
        )
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Group(GroupError::InvalidContentType)),
        "{err:?}"
    );
}

#[test]
fn a_group_through_the_store() {
    let mut w = World::new("group");
    let members = ["alice", "bob", "carol"];
    let created = w
        .store("alice")
        .create_group(&addr("alice"), &mut rng(), T0, GroupMode::Group, &members)
        .unwrap();
    let id = created.group;
    assert_eq!(created.distributions.len(), 2);
    assert!(created.distributions.iter().all(|d| d.message_id.is_none()));
    for o in w.deliver("alice", &created.distributions) {
        assert!(
            matches!(
                o,
                ReceiveOutcome::GroupKey {
                    outcome: DistributionOutcome::Accepted { invited: true, .. },
                    ..
                }
            ),
            "{o:?}"
        );
    }
    // Bob and Carol join with the member list Alice told them.
    for who in ["bob", "carol"] {
        let mut rng = DangerDeterministicRng::from_u64(u64::from(who.as_bytes()[0]));
        let joined = w
            .store(who)
            .join_group(&addr(who), &mut rng, secs(1), id, &members)
            .unwrap();
        assert_eq!(joined.distributions.len(), 2);
        let err = w
            .store(who)
            .join_group(&addr(who), &mut rng, secs(1), id, &members)
            .unwrap_err();
        assert!(
            matches!(err, StoreError::GroupExists(g) if g == id),
            "{err:?}"
        );
        for o in w.deliver(who, &joined.distributions) {
            assert!(
                matches!(
                    o,
                    ReceiveOutcome::GroupKey {
                        outcome: DistributionOutcome::Accepted {
                            new_chain: true,
                            ..
                        },
                        ..
                    }
                ),
                "{o:?}"
            );
        }
    }
    // Everyone posts; everyone else reads.
    for (i, who) in members.iter().enumerate() {
        let mut rng = DangerDeterministicRng::from_u64(100 + i as u64);
        let body = format!("post from {who}");
        let post = w
            .store(who)
            .post_group(&addr(who), &mut rng, secs(2), &id, body.as_bytes())
            .unwrap();
        assert!(post.distributions.is_empty());
        assert_eq!(w.store(who).pending_group_posts(&id).unwrap().len(), 1);
        assert!(
            w.store(who)
                .mark_group_post_delivered(post.post_id)
                .unwrap()
        );
        assert!(
            !w.store(who)
                .mark_group_post_delivered(post.post_id)
                .unwrap(),
            "acknowledged already: no row"
        );
        assert!(w.store(who).pending_group_posts(&id).unwrap().is_empty());
        for other in members.iter().filter(|o| *o != who) {
            let got = w.store(other).receive_group(secs(3), &post.bytes).unwrap();
            assert_eq!(stored_body(&got), body.as_bytes());
            // Redelivered: a duplicate, nothing changes.
            let before = dump(w.store(other).connection());
            let again = w.store(other).receive_group(secs(3), &post.bytes).unwrap();
            assert!(matches!(again, GroupReceiveOutcome::Duplicate));
            assert_eq!((again.row_id(), again.received().is_none()), (None, true));
            assert_eq!(dump(w.store(other).connection()), before);
        }
    }
    let at_bob = w.store("bob").group_messages(&id).unwrap();
    let seen: Vec<(Direction, Option<&str>, &[u8])> = at_bob
        .iter()
        .map(|m| (m.direction, m.sender_user.as_deref(), m.body.as_slice()))
        .collect();
    assert_eq!(
        seen,
        [
            (Direction::In, Some("alice"), b"post from alice".as_slice()),
            (Direction::Out, None, b"post from bob".as_slice()),
            (Direction::In, Some("carol"), b"post from carol".as_slice()),
        ]
    );

    // Alice removes Carol: the new chain goes to Bob only; Carol cannot
    // read Alice's next post, Bob can.
    let removed = w
        .store("alice")
        .remove_group_member(&addr("alice"), &mut rng(), secs(4), &id, "carol")
        .unwrap();
    assert_eq!(removed.distributions.len(), 1);
    assert_eq!(removed.distributions[0].peer, addr("bob"));
    w.deliver("alice", &removed.distributions);
    let post = w
        .store("alice")
        .post_group(
            &addr("alice"),
            &mut DangerDeterministicRng::from_u64(7),
            secs(5),
            &id,
            b"without carol",
        )
        .unwrap();
    let before = dump(w.store("carol").connection());
    let err = w
        .store("carol")
        .receive_group(secs(6), &post.bytes)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Group(GroupError::UnknownChain)),
        "{err:?}"
    );
    assert_eq!(
        dump(w.store("carol").connection()),
        before,
        "a refused post changed Carol's database"
    );
    let got = w.store("bob").receive_group(secs(6), &post.bytes).unwrap();
    assert_eq!(stored_body(&got), b"without carol");
    assert_eq!(
        w.store("alice").group(&id).unwrap().unwrap().members,
        ["bob"]
    );
    let err = w
        .store("alice")
        .remove_group_member(&addr("alice"), &mut rng(), secs(7), &id, "carol")
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Group(GroupError::UnknownMember)),
        "{err:?}"
    );
    // Adding her back hands her the current chain only.
    let added = w
        .store("alice")
        .add_group_member(&addr("alice"), &mut rng(), secs(8), &id, "carol")
        .unwrap();
    assert_eq!(added.distributions.len(), 1);
    w.deliver("alice", &added.distributions);
    let post = w
        .store("alice")
        .post_group(
            &addr("alice"),
            &mut DangerDeterministicRng::from_u64(8),
            secs(9),
            &id,
            b"carol is back",
        )
        .unwrap();
    assert_eq!(
        stored_body(
            &w.store("carol")
                .receive_group(secs(10), &post.bytes)
                .unwrap()
        ),
        b"carol is back"
    );

    // Leaving deletes the state and the messages.
    assert!(w.store("carol").leave_group(&id).unwrap());
    assert!(w.store("carol").group(&id).unwrap().is_none());
    let n: i64 = w
        .store("carol")
        .connection()
        .query_row("SELECT count(*) FROM group_messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn a_channel_through_the_store() {
    let mut w = World::new("channel");
    let created = w
        .store("alice")
        .create_group(&addr("alice"), &mut rng(), T0, GroupMode::Channel, &["bob"])
        .unwrap();
    let id = created.group;
    w.deliver("alice", &created.distributions);
    let info = w.store("bob").group(&id).unwrap().unwrap();
    assert_eq!(info.role, GroupRole::Subscriber);
    let post = w
        .store("alice")
        .post_group(&addr("alice"), &mut rng(), secs(1), &id, b"news")
        .unwrap();
    assert_eq!(
        stored_body(&w.store("bob").receive_group(secs(2), &post.bytes).unwrap()),
        b"news"
    );
    // A subscriber posts nothing; the owner receives nothing.
    let err = w
        .store("bob")
        .post_group(&addr("bob"), &mut rng(), secs(3), &id, b"no")
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotJoined(_) | StoreError::WrongRole(_)),
        "{err:?}"
    );
    let err = w
        .store("alice")
        .receive_group(secs(3), &post.bytes)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::WrongRole(g) if g == id),
        "{err:?}"
    );
    // Carol, not a subscriber, cannot distribute a chain for it to Bob.
    let kc = key_of(&w.stores[2]);
    let (_, forged) = sealwire::group::ChannelOwner::create_with_id(
        &mut rng(),
        secs(4),
        id,
        kc,
        &[key_of(&w.stores[1])],
    )
    .unwrap();
    let m = w
        .store("carol")
        .send_content(
            &addr("bob"),
            &mut rng(),
            secs(4),
            ContentType::GroupKeyDistribution,
            &forged.body,
        )
        .unwrap();
    let o = w
        .store("bob")
        .receive(&addr("carol"), secs(5), &m.ciphertext)
        .unwrap();
    assert!(
        matches!(
            o,
            ReceiveOutcome::GroupKey {
                outcome: DistributionOutcome::Refused(GroupError::NotAMember),
                ..
            }
        ),
        "{o:?}"
    );
}

#[test]
fn swapped_and_corrupt_rows_are_typed_errors() {
    let mut w = World::new("swap-rows");
    let created = w
        .store("alice")
        .create_group(&addr("alice"), &mut rng(), T0, GroupMode::Group, &["bob"])
        .unwrap();
    let id = created.group;
    for body in [b"first".as_slice(), b"second"] {
        w.store("alice")
            .send(&addr("bob"), &mut rng(), secs(1), body)
            .unwrap();
        w.store("alice")
            .post_group(&addr("alice"), &mut rng(), secs(1), &id, body)
            .unwrap();
    }
    let alice = w.store("alice");
    let conn = alice.connection();
    for table in ["messages", "group_messages"] {
        let ids: Vec<i64> = conn
            .prepare(&format!("SELECT id FROM {table} ORDER BY id DESC LIMIT 2"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let body = |id: i64| -> Vec<u8> {
            conn.query_row(
                &format!("SELECT body FROM {table} WHERE id = ?1"),
                [id],
                |r| r.get(0),
            )
            .unwrap()
        };
        let (a, b) = (body(ids[0]), body(ids[1]));
        let set = |id: i64, v: &[u8]| {
            conn.execute(
                &format!("UPDATE {table} SET body = ?1 WHERE id = ?2"),
                params![v, id],
            )
            .unwrap();
        };
        // Swapped between two rows of the same conversation.
        set(ids[0], &b);
        set(ids[1], &a);
        let before = dump(conn);
        let err = match table {
            "messages" => alice.messages(&addr("bob")).unwrap_err(),
            _ => alice.group_messages(&id).unwrap_err(),
        };
        assert!(
            matches!(&err, StoreError::SealedRow { table: t, error: StateError::Corrupted, .. } if *t == table),
            "{err:?}"
        );
        assert_eq!(dump(conn), before, "a refused row was rewritten");
        // Corrupted in place.
        set(ids[1], &b);
        let mut bad = a.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        set(ids[0], &bad);
        let err = match table {
            "messages" => alice.message(ids[0]).unwrap_err(),
            _ => alice.group_messages(&id).unwrap_err(),
        };
        assert!(
            matches!(&err, StoreError::SealedRow { row_id, error: StateError::Corrupted, .. } if *row_id == ids[0]),
            "{err:?}"
        );
        set(ids[0], &a);
    }
    // A message row moved to another conversation (another peer).
    let id1: i64 = conn
        .query_row(
            "SELECT min(id) FROM messages WHERE peer_name = 'bob' AND direction = 'out'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute(
        "UPDATE messages SET peer_name = 'carol' WHERE id = ?1",
        [id1],
    )
    .unwrap();
    let err = alice.messages(&addr("carol")).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::SealedRow {
                error: StateError::Corrupted,
                ..
            }
        ),
        "{err:?}"
    );
    // A group row's member list swapped with another group's.
    let other = w
        .store("alice")
        .create_group(&addr("alice"), &mut rng(), T0, GroupMode::Group, &["carol"])
        .unwrap()
        .group;
    let conn = w.stores[0].connection();
    let members = |g: &sealwire::group::GroupId| -> Vec<u8> {
        conn.query_row(
            "SELECT members FROM groups WHERE id = ?1",
            [g.as_bytes().as_slice()],
            |r| r.get(0),
        )
        .unwrap()
    };
    let (m1, m2) = (members(&id), members(&other));
    conn.execute(
        "UPDATE groups SET members = ?1 WHERE id = ?2",
        params![m2, id.as_bytes().as_slice()],
    )
    .unwrap();
    conn.execute(
        "UPDATE groups SET members = ?1 WHERE id = ?2",
        params![m1, other.as_bytes().as_slice()],
    )
    .unwrap();
    let err = w.stores[0].group(&id).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::SealedRow {
                table: "groups",
                error: StateError::Corrupted,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_wrong_storage_key_is_refused_and_the_file_untouched() {
    let w = World::new("wrong-key");
    let path = w.path("bob");
    drop(w.stores);
    let before = std::fs::read(&path).unwrap();
    for key in [[0u8; 32], [0x18; 32]] {
        let err = SqliteStore::open_sealed(&path, StorageKey::from_bytes(key)).unwrap_err();
        assert!(matches!(err, StoreError::WrongStorageKey), "{err:?}");
    }
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::SealedDatabase), "{err:?}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "a refused open changed the file"
    );
    // The right key opens it.
    SqliteStore::open_sealed(&path, StorageKey::from_bytes(KEY)).unwrap();
}

#[test]
fn group_keys_are_erased_on_schedule() {
    let mut w = World::new("erase");
    let created = w
        .store("alice")
        .create_group(&addr("alice"), &mut rng(), T0, GroupMode::Group, &["bob"])
        .unwrap();
    let id = created.group;
    w.deliver("alice", &created.distributions);
    w.store("bob")
        .join_group(&addr("bob"), &mut rng(), secs(1), id, &["alice", "bob"])
        .unwrap();
    // Two posts; Bob receives the second only: the first's key is
    // skipped and held.
    let mut rng = DangerDeterministicRng::from_u64(9);
    let _p1 = w
        .store("alice")
        .post_group(&addr("alice"), &mut rng, secs(1), &id, b"one")
        .unwrap();
    let p2 = w
        .store("alice")
        .post_group(&addr("alice"), &mut rng, secs(1), &id, b"two")
        .unwrap();
    w.store("bob").receive_group(secs(2), &p2.bytes).unwrap();
    let due = w
        .store("bob")
        .next_key_erasure()
        .unwrap()
        .expect("a skipped key is held");
    assert!(due > secs(2));
    assert_eq!(w.store("bob").erase_expired_keys(secs(2)).unwrap(), 0);
    assert_eq!(w.store("bob").erase_expired_keys(due).unwrap(), 1);
    assert_eq!(w.store("bob").next_key_erasure().unwrap(), None);
    let err = w.store("bob").receive_group(due, &_p1.bytes).unwrap_err();
    assert!(
        matches!(err, StoreError::Group(GroupError::MessageKeyEvicted)),
        "{err:?}"
    );
}

/// Mallory (Carol here), a contact of Bob's but no member, learns the id
/// of Alice's group (the relay sees it in every post) and, before Bob
/// joins, sends Bob a distribution of her own chain for it and a post.
/// Bob's store opens no post before he joins; after he joins with the
/// member list Alice told him, nothing of Mallory's is stored, her chain
/// is gone from the state, and her posts and distributions are refused.
#[test]
fn a_non_member_cannot_post_into_a_group_before_we_join_it() {
    for mallory_first in [true, false] {
        let mut w = World::new("inject");
        let (kb, km) = (key_of(&w.stores[1]), key_of(&w.stores[2]));
        let created = w
            .store("alice")
            .create_group(&addr("alice"), &mut rng(), T0, GroupMode::Group, &["bob"])
            .unwrap();
        let id = created.group;
        // Mallory's own chain for Alice's group id, sent to Bob over her
        // session with him, and a post under it.
        let (mut forged, dist) =
            sealwire::group::Group::create_with_id(&mut rng(), T0, id, km, &[kb]).unwrap();
        let mallory_dist = w
            .store("carol")
            .send_content(
                &addr("bob"),
                &mut rng(),
                T0,
                ContentType::GroupKeyDistribution,
                &dist.body,
            )
            .unwrap();
        let deliver_mallory = |w: &mut World| {
            let o = w
                .store("bob")
                .receive(&addr("carol"), secs(1), &mallory_dist.ciphertext)
                .unwrap();
            assert!(
                matches!(
                    o,
                    ReceiveOutcome::GroupKey {
                        outcome: DistributionOutcome::Accepted { .. },
                        ..
                    }
                ),
                "{o:?}"
            );
        };
        if mallory_first {
            deliver_mallory(&mut w);
            w.deliver("alice", &created.distributions);
        } else {
            w.deliver("alice", &created.distributions);
            deliver_mallory(&mut w);
        }
        let info = w.store("bob").group(&id).unwrap().unwrap();
        assert!(!info.joined);
        let injected = forged
            .post(&mut rng(), secs(2), b"from mallory, before the join")
            .unwrap();
        let legit = w
            .store("alice")
            .post_group(&addr("alice"), &mut rng(), secs(2), &id, b"from alice")
            .unwrap();
        // Not joined: no post opens, nothing changes.
        for bytes in [&injected.bytes, &legit.bytes] {
            let before = dump(w.store("bob").connection());
            let err = w.store("bob").receive_group(secs(3), bytes).unwrap_err();
            assert!(
                matches!(err, StoreError::NotJoined(g) if g == id),
                "{err:?}"
            );
            assert_eq!(dump(w.store("bob").connection()), before);
        }

        // Bob joins with the members Alice named; then receives again
        // what he held.
        w.store("bob")
            .join_group(&addr("bob"), &mut rng(), secs(4), id, &["alice", "bob"])
            .unwrap();
        assert_eq!(
            w.store("bob").group(&id).unwrap().unwrap().members,
            ["alice"]
        );
        let err = w
            .store("bob")
            .receive_group(secs(5), &injected.bytes)
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Group(GroupError::UnknownChain)),
            "{err:?}"
        );
        let got = w.store("bob").receive_group(secs(5), &legit.bytes).unwrap();
        assert_eq!(stored_body(&got), b"from alice");
        // Mallory's chain is not in the state: her next post is refused,
        // and so is a new distribution of hers.
        let later = forged.post(&mut rng(), secs(6), b"after the join").unwrap();
        let err = w
            .store("bob")
            .receive_group(secs(6), &later.bytes)
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Group(GroupError::UnknownChain)),
            "{err:?}"
        );
        let again = forged.rotate(&mut rng(), secs(6));
        let m = w
            .store("carol")
            .send_content(
                &addr("bob"),
                &mut rng(),
                secs(6),
                ContentType::GroupKeyDistribution,
                &again.body,
            )
            .unwrap();
        let o = w
            .store("bob")
            .receive(&addr("carol"), secs(7), &m.ciphertext)
            .unwrap();
        assert!(
            matches!(
                o,
                ReceiveOutcome::GroupKey {
                    outcome: DistributionOutcome::Refused(GroupError::NotAMember),
                    ..
                }
            ),
            "{o:?}"
        );
        // The only stored post is Alice's, from Alice.
        let history = w.store("bob").group_messages(&id).unwrap();
        let seen: Vec<(Option<&str>, &[u8])> = history
            .iter()
            .map(|m| (m.sender_user.as_deref(), m.body.as_slice()))
            .collect();
        assert_eq!(seen, [(Some("alice"), b"from alice".as_slice())]);
        assert!(history.iter().all(|m| m.sender != Some(km)));
    }
}
