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
use sealwire::devices::{DeviceError, DeviceEvent, DeviceSessions, Recovery};
use sealwire::group::GroupMode;
use sealwire::persist::{BlobAddress, StateBlob, StateError, StorageKey};
use sealwire::rand_core::Rng;
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
// One message to every device of a user; recovery requests.

/// Alice's two devices and Bob's two, each knowing every device list, and
/// every session Alice's first device needs started (one message each
/// way), unless `skip` names a device it has no session with.
struct World {
    dir: TempDir,
    rng: DangerDeterministicRng,
    alice1: SqliteStore,
    alice2: SqliteStore,
    bob1: SqliteStore,
    bob2: SqliteStore,
}

const A1: (&str, u32) = ("alice", 1);
const A2: (&str, u32) = ("alice", 2);
const B1: (&str, u32) = ("bob", 1);
const B2: (&str, u32) = ("bob", 2);

fn at(a: (&str, u32)) -> DeviceAddress {
    addr(a.0, a.1)
}

impl World {
    fn new(seed: u64, skip: Option<(&str, u32)>) -> Self {
        let dir = TempDir::new("world");
        let mut rng = DangerDeterministicRng::from_u64(seed);
        let mut alice1 = store(&dir, "alice1.db", &mut rng);
        let mut alice2 = store(&dir, "alice2.db", &mut rng);
        let mut bob1 = store(&dir, "bob1.db", &mut rng);
        let mut bob2 = store(&dir, "bob2.db", &mut rng);
        let alice = [(1, key_of(&alice1)), (2, key_of(&alice2))];
        let bob = [(1, key_of(&bob1)), (2, key_of(&bob2))];
        for s in [&mut alice1, &mut alice2, &mut bob1, &mut bob2] {
            s.update_device_list("alice", &alice).unwrap();
            s.update_device_list("bob", &bob).unwrap();
        }
        let mut w = Self {
            dir,
            rng,
            alice1,
            alice2,
            bob1,
            bob2,
        };
        for peer in [A2, B1, B2] {
            if Some(peer) != skip {
                w.connect(A1, peer);
            }
        }
        w
    }

    fn get(&mut self, a: (&str, u32)) -> &mut SqliteStore {
        match a {
            A1 => &mut self.alice1,
            A2 => &mut self.alice2,
            B1 => &mut self.bob1,
            B2 => &mut self.bob2,
            _ => unreachable!(),
        }
    }

    /// `from` starts a session with `to`; one message each way.
    fn connect(&mut self, from: (&str, u32), to: (&str, u32)) {
        let mut rng = DangerDeterministicRng::from_u64(self.rng.next_u64());
        let bundle = self.get(to).bundle(&mut rng, 4).unwrap();
        self.get(from)
            .start_session(&at(to), &mut rng, &bundle)
            .unwrap();
        let m = self
            .get(from)
            .send(&at(to), &mut rng, T0, b"hello")
            .unwrap();
        body(&self.get(to).receive(&at(from), T0, &m.ciphertext).unwrap());
        let r = self.get(to).send(&at(from), &mut rng, T0, b"hi").unwrap();
        body(&self.get(from).receive(&at(to), T0, &r.ciphertext).unwrap());
        // Both acknowledged.
        assert!(self.get(from).mark_delivered(m.outbox_id).unwrap());
        assert!(self.get(to).mark_delivered(r.outbox_id).unwrap());
    }
}

#[test]
fn a_send_to_a_user_reaches_every_device_and_our_other_devices() {
    let mut w = World::new(0xe1, None);
    let mut rng = DangerDeterministicRng::from_u64(1);
    let out = w
        .alice1
        .send_to_user(&at(A1), "bob", &mut rng, secs(1), b"to all of bob")
        .unwrap();
    let to: Vec<_> = out.copies.iter().map(|c| c.peer.clone()).collect();
    assert_eq!(to, [at(B1), at(B2), at(A2)]);
    // One message row, one outbox row per device, all committed.
    let row = w.alice1.message(out.row_id).unwrap().unwrap();
    assert!(row.to_user);
    assert_eq!(row.peer, addr("bob", 0));
    assert_eq!(row.body, b"to all of bob");
    assert_eq!(
        w.alice1.conversation("bob").unwrap().last().unwrap().id,
        out.row_id
    );
    assert!(w.alice1.messages(&addr("bob", 0)).unwrap().is_empty());
    for copy in &out.copies {
        assert_eq!(
            w.alice1.pending_outbox(&copy.peer).unwrap(),
            std::slice::from_ref(copy)
        );
    }
    // Each device reads it, from Alice's first device.
    for copy in &out.copies {
        let device = (copy.peer.name(), copy.peer.device_id());
        let got = w
            .get(device)
            .receive(&at(A1), secs(2), &copy.ciphertext)
            .unwrap();
        assert_eq!(body(&got), b"to all of bob");
        assert!(w.alice1.mark_delivered(copy.id).unwrap());
    }
    // And the sessions moved on: a second send works too.
    let again = w
        .alice1
        .send_to_user(&at(A1), "bob", &mut rng, secs(3), b"again")
        .unwrap();
    for copy in &again.copies {
        let device = (copy.peer.name(), copy.peer.device_id());
        let got = w
            .get(device)
            .receive(&at(A1), secs(4), &copy.ciphertext)
            .unwrap();
        assert_eq!(body(&got), b"again");
    }
    // A user without a device list.
    assert!(matches!(
        w.alice1.send_to_user(&at(A1), "carol", &mut rng, secs(5), b"x"),
        Err(StoreError::NoDeviceList(ref u)) if u == "carol"
    ));
}

/// A group of ours reaches our own other devices, whether or not the
/// member list names our user: every device of the listed users and ours,
/// never ourselves.
#[test]
fn a_group_reaches_our_other_devices_named_or_not() {
    let mut w = World::new(0xe4, None);
    let mut rng = DangerDeterministicRng::from_u64(2);
    for members in [&["bob"][..], &["alice", "bob"][..]] {
        let update = w
            .alice1
            .create_group(&at(A1), &mut rng, T0, GroupMode::Group, members)
            .unwrap();
        let mut to: Vec<DeviceAddress> = update
            .distributions
            .iter()
            .map(|d| d.peer.clone())
            .collect();
        to.sort();
        assert_eq!(to, [at(A2), at(B1), at(B2)], "members {members:?}");
    }
}

/// A send to three devices commits all or nothing: a device without a
/// session, a device whose key changed and is not confirmed, or a write
/// that fails halfway (the third outbox row) leave every table as it was,
/// and hand out no ciphertext.
#[test]
fn a_send_to_three_devices_commits_all_or_nothing() {
    let mut w = World::new(0xe2, Some(B2));
    let mut rng = DangerDeterministicRng::from_u64(2);

    // No session with Bob's second device.
    let before = dump(w.alice1.connection());
    let err = w
        .alice1
        .send_to_user(&at(A1), "bob", &mut rng, secs(1), b"x")
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NoSession(ref a) if *a == at(B2)),
        "{err:?}"
    );
    assert_eq!(dump(w.alice1.connection()), before);
    w.connect(A1, B2);

    // Bob's second device announces a new key, not confirmed.
    let mut rng2 = DangerDeterministicRng::from_u64(3);
    let new_key = *sealwire::IdentityKeyPair::generate(&mut rng2).public();
    let bob1_key = key_of(&w.bob1);
    w.alice1
        .update_device_list("bob", &[(1, bob1_key), (2, new_key)])
        .unwrap();
    let before = dump(w.alice1.connection());
    let err = w
        .alice1
        .send_to_user(&at(A1), "bob", &mut rng, secs(1), b"x")
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Device(DeviceError::UnconfirmedIdentity(ref a)) if *a == at(B2)),
        "{err:?}"
    );
    assert_eq!(dump(w.alice1.connection()), before);
    let bob2_key = key_of(&w.bob2);
    w.alice1
        .update_device_list("bob", &[(1, bob1_key), (2, bob2_key)])
        .unwrap();

    // The third outbox row fails to write (as a full disk would).
    w.alice1
        .connection()
        .execute_batch(
            "CREATE TEMP TRIGGER third_fails BEFORE INSERT ON main.outbox
             WHEN (SELECT count(*) FROM main.outbox) >= 2
             BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
        )
        .unwrap();
    let before = dump(w.alice1.connection());
    let err = w
        .alice1
        .send_to_user(&at(A1), "bob", &mut rng, secs(1), b"x")
        .unwrap_err();
    assert!(matches!(err, StoreError::Sqlite(_)), "{err:?}");
    assert_eq!(dump(w.alice1.connection()), before);
    w.alice1
        .connection()
        .execute_batch("DROP TRIGGER temp.third_fails")
        .unwrap();

    // Then it goes through, and every device reads it.
    let out = w
        .alice1
        .send_to_user(&at(A1), "bob", &mut rng, secs(2), b"all three")
        .unwrap();
    assert_eq!(out.copies.len(), 3);
    for copy in &out.copies {
        let device = (copy.peer.name(), copy.peer.device_id());
        let got = w
            .get(device)
            .receive(&at(A1), secs(3), &copy.ciphertext)
            .unwrap();
        assert_eq!(body(&got), b"all three");
    }
}

/// Bob's first device loses its sessions with Alice's first device (a
/// restored backup). What Alice sends it after that fails; its recovery
/// request makes Alice restart, and `resend` delivers the lost messages
/// (only those: from the failed one on) on a new session, once.
#[test]
fn a_recovery_round_trip_heals_a_lost_session() {
    let mut w = World::new(0xe3, None);
    let mut rng = DangerDeterministicRng::from_u64(4);
    let delivered = w
        .alice1
        .send_to_user(&at(A1), "bob", &mut rng, secs(1), b"delivered")
        .unwrap();
    let copy = &delivered.copies[0];
    assert_eq!(copy.peer, at(B1));
    body(&w.bob1.receive(&at(A1), secs(1), &copy.ciphertext).unwrap());
    w.alice1.mark_delivered(copy.id).unwrap();

    // Bob's device loses its sessions; Alice sends two more.
    assert!(w.bob1.delete_sessions(&at(A1)).unwrap());
    let lost: Vec<_> = ["lost 1", "lost 2"]
        .iter()
        .map(|b| {
            w.alice1
                .send_to_user(&at(A1), "bob", &mut rng, secs(2), b.as_bytes())
                .unwrap()
        })
        .collect();
    let to_b1 = |o: &sealwire_sqlite::UserOutgoing| o.copies[0].ciphertext.clone();
    let err = w
        .bob1
        .receive(&at(A1), secs(3), &to_b1(&lost[0]))
        .unwrap_err();
    assert!(err.is_lost_session(), "{err:?}");
    let request = w
        .bob1
        .recovery_request(&at(A1), secs(3), &to_b1(&lost[0]))
        .unwrap();
    assert_eq!(request.target(), &key_of(&w.alice1));
    // One request per interval per device, also after a reopen (the time
    // is in the sessions' blob).
    let reopened = SqliteStore::open(w.dir.file("bob1.db")).unwrap();
    w.bob1 = reopened;
    let err = w
        .bob1
        .receive(&at(A1), secs(4), &to_b1(&lost[1]))
        .unwrap_err();
    assert!(err.is_lost_session());
    let before = dump(w.bob1.connection());
    assert!(matches!(
        w.bob1.recovery_request(&at(A1), secs(4), &to_b1(&lost[1])),
        Err(StoreError::Device(DeviceError::TooManyRequests))
    ));
    assert_eq!(dump(w.bob1.connection()), before);

    // Alice restarts: the lost messages are marked, their outbox rows to
    // Bob's first device dropped (it cannot read them); not the others.
    let accepted = w
        .alice1
        .accept_recovery_request(&at(B1), secs(5), &request.to_bytes())
        .unwrap();
    assert_eq!(accepted.recovery, Recovery::Restart { counter: 1 });
    assert_eq!(accepted.to_resend, [lost[0].row_id, lost[1].row_id]);
    assert_eq!(
        w.alice1.pending_resends(&at(B1)).unwrap(),
        accepted.to_resend,
        "waiting to be re-sent, oldest first"
    );
    assert!(w.alice1.pending_resends(&at(B2)).unwrap().is_empty());
    assert!(w.alice1.pending_outbox(&at(B1)).unwrap().is_empty());
    // "delivered" and both lost ones, to Bob's second device.
    assert_eq!(w.alice1.pending_outbox(&at(B2)).unwrap().len(), 3);
    assert!(
        w.alice1
            .load_sessions(&at(B1))
            .unwrap()
            .unwrap()
            .current()
            .is_none()
    );
    // No session yet: nothing re-sent, nothing changed.
    let before = dump(w.alice1.connection());
    assert!(matches!(
        w.alice1.resend(&at(B1), &mut rng, secs(5)),
        Err(StoreError::NoSession(_))
    ));
    assert_eq!(dump(w.alice1.connection()), before);
    // A send to Bob needs a session with every device.
    assert!(matches!(
        w.alice1.send_to_user(&at(A1), "bob", &mut rng, secs(5), b"x"),
        Err(StoreError::NoSession(ref a)) if *a == at(B1)
    ));

    let bundle = w.bob1.bundle(&mut rng, 4).unwrap();
    w.alice1.start_session(&at(B1), &mut rng, &bundle).unwrap();
    let resent = w.alice1.resend(&at(B1), &mut rng, secs(6)).unwrap();
    assert_eq!(resent.len(), 2);
    assert!(w.alice1.pending_resends(&at(B1)).unwrap().is_empty());
    for ((copy, sent), want) in resent.iter().zip(&lost).zip(["lost 1", "lost 2"]) {
        assert_eq!(copy.message_id, Some(sent.row_id));
        let got = w.bob1.receive(&at(A1), secs(7), &copy.ciphertext).unwrap();
        assert_eq!(body(&got), want.as_bytes());
    }
    // Nothing more to re-send, and the conversation goes on both ways.
    assert!(
        w.alice1
            .resend(&at(B1), &mut rng, secs(7))
            .unwrap()
            .is_empty()
    );
    let r = w.bob1.send(&at(A1), &mut rng, secs(8), b"healed").unwrap();
    assert_eq!(
        body(&w.alice1.receive(&at(B1), secs(8), &r.ciphertext).unwrap()),
        b"healed"
    );
    let out = w
        .alice1
        .send_to_user(&at(A1), "bob", &mut rng, secs(9), b"after")
        .unwrap();
    assert_eq!(
        body(
            &w.bob1
                .receive(&at(A1), secs(9), &out.copies[0].ciphertext)
                .unwrap()
        ),
        b"after"
    );

    // A later request naming the same broken chain: the session is a
    // previous one now (a re-send hint), but its copies were re-sent
    // already: nothing is marked or sent twice.
    let later = secs(5 + RECOVERY_SECS);
    let again = w
        .bob1
        .recovery_request(&at(A1), later, &to_b1(&lost[1]))
        .unwrap();
    let accepted = w
        .alice1
        .accept_recovery_request(&at(B1), later, &again.to_bytes())
        .unwrap();
    assert_eq!(accepted.recovery, Recovery::Resend { counter: 2 });
    assert!(accepted.to_resend.is_empty());
    assert!(
        w.alice1
            .resend(&at(B1), &mut rng, later)
            .unwrap()
            .is_empty()
    );
}

const RECOVERY_SECS: u64 = sealwire::limits::RECOVERY_INTERVAL_MS / 1000;

/// Alice's second device is wiped and comes back with the same identity
/// (restored from a backup of its key alone) and starts new sessions. A
/// message Bob queued for it in the old session fails there; the
/// recovery request finds that session previous (`Resend`), and the
/// message is re-sent on the new one.
#[test]
fn a_wiped_device_with_its_identity_heals_through_a_resend() {
    let mut w = World::new(0xe4, None);
    let mut rng = DangerDeterministicRng::from_u64(5);
    w.connect(B1, A2);
    w.connect(B1, B2);
    let queued = w
        .bob1
        .send_to_user(&at(B1), "alice", &mut rng, secs(1), b"while away")
        .unwrap();
    let for_a2 = queued
        .copies
        .iter()
        .find(|c| c.peer == at(A2))
        .unwrap()
        .clone();

    // Wiped: a new database holding only its identity.
    let identity = w.alice2.local_identity().unwrap().unwrap();
    let mut fresh = SqliteStore::open(w.dir.file("alice2-new.db")).unwrap();
    fresh.save_local_identity(&identity).unwrap();
    fresh.initialize(&mut rng, 4).unwrap();
    let bob = [(1, key_of(&w.bob1)), (2, key_of(&w.bob2))];
    fresh.update_device_list("bob", &bob).unwrap();
    w.alice2 = fresh;
    // It starts a new session with Bob's first device, which takes it.
    w.connect(A2, B1);
    // Bob's queued copy then arrives: no session of the new install takes it.
    let err = w
        .alice2
        .receive(&at(B1), secs(2), &for_a2.ciphertext)
        .unwrap_err();
    assert!(err.is_lost_session(), "{err:?}");
    let request = w
        .alice2
        .recovery_request(&at(B1), secs(2), &for_a2.ciphertext)
        .unwrap();
    let accepted = w
        .bob1
        .accept_recovery_request(&at(A2), secs(3), &request.to_bytes())
        .unwrap();
    assert!(matches!(accepted.recovery, Recovery::Resend { .. }));
    assert_eq!(accepted.to_resend, [queued.row_id]);
    assert!(w.bob1.pending_outbox(&at(A2)).unwrap().is_empty());
    let resent = w.bob1.resend(&at(A2), &mut rng, secs(3)).unwrap();
    assert_eq!(resent.len(), 1);
    let got = w
        .alice2
        .receive(&at(B1), secs(4), &resent[0].ciphertext)
        .unwrap();
    assert_eq!(body(&got), b"while away");
}

/// A forged recovery request, a replayed one, one from a device the list
/// does not name and one naming a chain we never sent in change nothing.
#[test]
fn forged_and_replayed_recovery_requests_change_nothing() {
    let mut w = World::new(0xe5, None);
    let mut rng = DangerDeterministicRng::from_u64(6);
    let out = w
        .alice1
        .send_to_user(&at(A1), "bob", &mut rng, secs(1), b"m")
        .unwrap();
    let m = out.copies[0].ciphertext.clone();
    let good = w
        .bob1
        .recovery_request(&at(A1), secs(1), &m)
        .unwrap()
        .to_bytes();

    let alice = |w: &World| dump(w.alice1.connection());
    let before = alice(&w);
    // Mallory signs a request naming Bob's first device's key.
    let mallory = sealwire::IdentityKeyPair::generate(&mut rng);
    let forged = DeviceSessions::new()
        .recovery_request(&mallory, &key_of(&w.alice1), secs(1), &m)
        .unwrap()
        .to_bytes();
    for (bytes, want) in [
        (forged.to_vec(), "AuthenticationFailed"),
        (
            {
                let mut b = good;
                b[100] ^= 1;
                b.to_vec()
            },
            "AuthenticationFailed",
        ),
        (good[..100].to_vec(), "Malformed"),
    ] {
        let err = w
            .alice1
            .accept_recovery_request(&at(B1), secs(2), &bytes)
            .unwrap_err();
        assert!(format!("{err:?}").contains(want), "{err:?}");
        assert_eq!(alice(&w), before);
    }
    // Bob's genuine request, from another device than the one that made
    // it: the key does not match.
    let err = w
        .alice1
        .accept_recovery_request(&at(B2), secs(2), &good)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Device(DeviceError::AuthenticationFailed)),
        "{err:?}"
    );
    // From a device the list does not name.
    let err = w
        .alice1
        .accept_recovery_request(&addr("bob", 9), secs(2), &good)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Device(DeviceError::UnknownDevice(9))),
        "{err:?}"
    );
    assert_eq!(alice(&w), before);
    // Naming a chain Alice never sent in (Bob's own message to her).
    let theirs = w.bob1.send(&at(A1), &mut rng, secs(2), b"x").unwrap();
    let mut fresh = DeviceSessions::new();
    let bob_id = w.bob1.local_identity().unwrap().unwrap();
    let unknown = fresh
        .recovery_request(&bob_id, &key_of(&w.alice1), secs(3), &theirs.ciphertext)
        .unwrap()
        .to_bytes();
    let err = w
        .alice1
        .accept_recovery_request(&at(B1), secs(3), &unknown)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Device(DeviceError::UnknownSession)),
        "{err:?}"
    );
    assert_eq!(alice(&w), before);

    // Accepted once; the same bytes again are a replay and change nothing.
    let accepted = w
        .alice1
        .accept_recovery_request(&at(B1), secs(4), &good)
        .unwrap();
    assert!(matches!(accepted.recovery, Recovery::Restart { .. }));
    let after = alice(&w);
    let err = w
        .alice1
        .accept_recovery_request(&at(B1), secs(4 + RECOVERY_SECS), &good)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Device(DeviceError::ReplayedRequest)),
        "{err:?}"
    );
    assert_eq!(alice(&w), after);
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

/// The tables the migration must leave as they were (the rows of
/// `messages` without the column version 4 adds, which must be 0).
fn untouched(path: &std::path::Path) -> Vec<(String, Vec<Vec<rusqlite::types::Value>>)> {
    dump(&Connection::open(path).unwrap())
        .into_iter()
        .filter(|(t, _)| {
            !["sessions", "device_lists", "sent_copies"].contains(&t.as_str())
                && !t.starts_with("group")
        })
        .map(|(t, mut rows)| {
            if t == "messages" && user_version(path) >= 4 {
                for row in &mut rows {
                    assert_eq!(row.pop(), Some(rusqlite::types::Value::Integer(0)));
                }
            }
            if t == "messages" && sealed_file(path) {
                // Version 5 seals the bodies (checked through the API).
                for row in &mut rows {
                    row[10] = rusqlite::types::Value::Null;
                }
            }
            (t, rows)
        })
        .collect()
}

/// Whether the file's state is sealed under a storage key.
fn sealed_file(path: &std::path::Path) -> bool {
    let id: Vec<u8> = Connection::open(path)
        .unwrap()
        .query_row(
            "SELECT value FROM meta WHERE key = 'storage_key_id'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    !id.is_empty()
}

/// Every message body of the file, by row id, raw.
fn raw_bodies(path: &std::path::Path) -> Vec<(i64, Vec<u8>)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, body FROM messages ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
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
    let bob_bodies = raw_bodies(&bob_path);
    assert!(!bob_bodies.is_empty());

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
            assert_eq!(blob[4..6], [0x07, 2], "{peer}");
        }
    }
    assert_eq!(untouched(&bob_path), bob_rest);
    assert_eq!(untouched(&alice_path), alice_rest);
    // Bob's bodies are sealed in the file, and read back as they were.
    for (id, plain) in &bob_bodies {
        assert_eq!(&bob.message(*id).unwrap().unwrap().body, plain);
        let (_, raw) = raw_bodies(&bob_path)
            .into_iter()
            .find(|(i, _)| i == id)
            .unwrap();
        assert_ne!(&raw, plain);
        assert!(!raw.windows(plain.len()).any(|w| w == plain.as_slice()));
    }
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
