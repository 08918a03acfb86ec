//! State blob sizes (STORAGE.md §9): every established session's blob is
//! at most 1 KiB, fresh or after any traffic, PQXDH responders included,
//! as long as it holds no skipped key and no tombstone; each skipped key
//! costs exactly 44 bytes, each tombstone 4, and each run of them (one
//! chain) 34 more. A pending PQXDH session is the one session blob above
//! 1 KiB: its prekey messages carry the 1088-byte KEM ciphertext until a
//! reply arrives, so it keeps it.
//!
//! `cargo test --test state_sizes -- --nocapture` prints the size of every
//! blob kind (the table of STORAGE.md §9).

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::print_stderr,
    clippy::cast_possible_truncation
)]

use sealwire::devices::{DeviceList, DeviceSessions};
use sealwire::expiry::{Expiry, ExpiryQueue, MessageId};
use sealwire::group::{ChannelOwner, ChannelSubscriber, Group, GroupId};
use sealwire::persist::StateBlob;
use sealwire::sealed::{ServerKey, TrustedServerKeys};
use sealwire::testing::DangerDeterministicRng;
use sealwire::{
    Encrypt, IdentityKeyPair, Outgoing, PendingSession, PrekeyStore, Session, SessionRecord,
    Timestamp,
};

const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);
const KIB: usize = 1024;
/// A skipped key in a session blob: counter u32, key 32, skipped_at u64.
const SKIPPED_KEY_COST: usize = 4 + 32 + 8;
/// A tombstone (an erased key's counter).
const TOMBSTONE_COST: usize = 4;
/// A run of skipped keys or tombstones of one chain: ratchet key, count.
const RUN_COST: usize = 32 + 2;

/// The four phases of one pair: Alice's pending session, Bob's session
/// right after `accept` (unanswered), and both established after a reply.
struct Pair {
    rng: DangerDeterministicRng,
    pending: PendingSession,
    unanswered: Session,
    alice: Session,
    bob: Session,
}

/// A pair set up with X3DH or PQXDH, with one-time prekeys of both kinds
/// (the longest prekey fields).
fn pair(seed: u64, pq: bool) -> Pair {
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut store = if pq {
        PrekeyStore::new_pq(&bob_id, &mut rng)
    } else {
        PrekeyStore::new(&bob_id, &mut rng)
    };
    let opk = store.generate_one_time_prekeys(&mut rng, 1)[0].id;
    let pq_opk = pq.then(|| store.generate_pq_one_time_prekeys(&bob_id, &mut rng, 1)[0].id());
    let bundle = store.bundle_with_pq(&bob_id, Some(opk), pq_opk).unwrap();
    let mut pending = PendingSession::initiate(&mut rng, &alice_id, &bundle).unwrap();
    let hello = pending
        .encrypt(&mut rng, T0, Outgoing::message(b"hello"))
        .unwrap()
        .message;
    let (bob, _) = Session::accept(&bob_id, &mut store, T0, &hello).unwrap();
    let unanswered = bob.clone();
    let mut bob = bob;
    let reply = bob
        .encrypt(&mut rng, T0, Outgoing::message(b"reply"))
        .unwrap()
        .message;
    let (alice, _) = pending
        .clone()
        .receive(T0, &reply)
        .map_err(|r| r.error)
        .unwrap();
    Pair {
        rng,
        pending,
        unanswered,
        alice,
        bob,
    }
}

/// `rounds` round trips in which every message turns the ratchet: both
/// sessions then hold a sending chain, a receiving chain and the most
/// closed chains they keep, and no skipped key.
fn ping_pong(p: &mut Pair, rounds: usize) {
    for _ in 0..rounds {
        let m = p
            .alice
            .encrypt(&mut p.rng, T0, Outgoing::message(b"ping"))
            .unwrap()
            .message;
        p.bob.decrypt(T0, &m).unwrap();
        let m = p
            .bob
            .encrypt(&mut p.rng, T0, Outgoing::message(b"pong"))
            .unwrap()
            .message;
        p.alice.decrypt(T0, &m).unwrap();
    }
    assert_eq!(p.alice.skipped_key_count(), 0);
    assert_eq!(p.bob.skipped_key_count(), 0);
}

fn len<T: StateBlob>(value: &T) -> usize {
    value.to_blob().len()
}

/// Every established session, fresh and busy, X3DH and PQXDH, of both
/// sides: at most 1 KiB. The PQXDH responder is the classic one plus 36
/// bytes (the PQ prekey id and the ciphertext's digest).
#[test]
fn every_session_blob_without_skipped_keys_fits_in_1_kib() {
    for pq in [false, true] {
        let mut p = pair(if pq { 2 } else { 1 }, pq);
        let fresh = [
            ("unanswered responder", len(&p.unanswered)),
            ("initiator", len(&p.alice)),
            ("responder", len(&p.bob)),
        ];
        ping_pong(&mut p, 12);
        let busy = [
            ("busy initiator", len(&p.alice)),
            ("busy responder", len(&p.bob)),
            (
                "busy responder, as a record",
                len(&SessionRecord::from(p.bob.clone())),
            ),
        ];
        for (what, n) in fresh.iter().chain(&busy) {
            assert!(*n <= KIB, "pq {pq}: {what}: {n} bytes");
        }
        if !pq {
            // A classic pending session too.
            assert!(len(&p.pending) <= KIB);
        }
    }
    // The PQXDH responder costs 36 bytes more than the classic one: the
    // PQ prekey id and SHA-256(CT) (both have the PQ flag byte).
    let classic = pair(3, false);
    let pq = pair(3, true);
    assert_eq!(len(&pq.unanswered), len(&classic.unanswered) + 4 + 32);
    // The pending PQXDH session keeps the whole ciphertext.
    assert_eq!(len(&pq.pending), len(&classic.pending) + 4 + 1088);
    assert!(len(&pq.pending) > KIB);
}

/// What skipped keys and tombstones cost: 44 bytes a key, 4 a tombstone,
/// 34 a run (one chain).
#[test]
fn skipped_keys_cost_44_bytes_each() {
    let mut p = pair(4, true);
    ping_pong(&mut p, 1);
    // Bob in Alice's next chain (his ratchet turned), nothing skipped.
    let m = p
        .alice
        .encrypt(&mut p.rng, T0, Outgoing::message(b"turn"))
        .unwrap()
        .message;
    p.bob.decrypt(T0, &m).unwrap();
    let base = len(&p.bob);
    let mut sent: Vec<Vec<u8>> = (0..11)
        .map(|i| {
            p.alice
                .encrypt(&mut p.rng, T0, Outgoing::message(&[i as u8; 10]))
                .unwrap()
                .message
        })
        .collect();
    // The last one first: ten keys skipped in one chain.
    let last = sent.pop().unwrap();
    p.bob.decrypt(T0, &last).unwrap();
    assert_eq!(p.bob.skipped_key_count(), 10);
    assert_eq!(len(&p.bob), base + RUN_COST + 10 * SKIPPED_KEY_COST);
    // One of them received: its key goes, and leaves nothing behind.
    p.bob.decrypt(T0, &sent[0]).unwrap();
    assert_eq!(len(&p.bob), base + RUN_COST + 9 * SKIPPED_KEY_COST);
    // The rest erased by age: nine tombstones in one run.
    p.bob
        .set_max_skipped_key_age(Timestamp::from_unix_millis(T0.as_unix_millis() + 10), 5);
    assert_eq!(p.bob.skipped_key_count(), 0);
    assert_eq!(len(&p.bob), base + RUN_COST + 9 * TOMBSTONE_COST);
}

/// The size of every blob kind, printed as a table (plain blob; a sealed
/// one is 56 bytes longer), with the bounds STORAGE.md §9 states checked.
#[test]
fn blob_sizes_of_every_kind() {
    let mut rows: Vec<(String, usize)> = Vec::new();
    let mut row = |what: &str, n: usize| rows.push((what.to_owned(), n));

    let mut rng = DangerDeterministicRng::from_u64(9);
    let id = IdentityKeyPair::generate(&mut rng);
    row("identity (0x01)", len(&id));

    let store = PrekeyStore::new(&id, &mut rng);
    row(
        "prekey store, classic, no one-time prekey (0x02)",
        len(&store),
    );
    let mut store100 = store.clone();
    store100.generate_one_time_prekeys(&mut rng, 100);
    row(
        "prekey store, classic, 100 one-time prekeys",
        len(&store100),
    );
    let pq_store = PrekeyStore::new_pq(&id, &mut rng);
    row(
        "prekey store, PQ, last-resort PQ prekey only",
        len(&pq_store),
    );
    let mut pq10 = pq_store.clone();
    pq10.generate_pq_one_time_prekeys(&id, &mut rng, 10);
    row("prekey store, PQ, + 10 one-time PQ prekeys", len(&pq10));
    assert_eq!(len(&pq10), len(&pq_store) + 10 * 1316);

    for pq in [false, true] {
        let name = if pq { "PQXDH" } else { "X3DH" };
        let mut p = pair(if pq { 6 } else { 5 }, pq);
        row(&format!("pending session, {name} (0x04)"), len(&p.pending));
        row(
            &format!("session, {name} responder, unanswered (0x03)"),
            len(&p.unanswered),
        );
        row(&format!("session, {name} initiator"), len(&p.alice));
        row(&format!("session, {name} responder"), len(&p.bob));
        ping_pong(&mut p, 12);
        row(
            &format!("session, {name} initiator, busy (closed chains full)"),
            len(&p.alice),
        );
        row(
            &format!("session, {name} responder, busy (closed chains full)"),
            len(&p.bob),
        );
        let record = SessionRecord::from(p.bob.clone());
        assert_eq!(len(&record), len(&p.bob));
        let devices = DeviceSessions::from(record);
        row(
            &format!("device sessions (0x07), one {name} responder"),
            len(&devices),
        );
        assert_eq!(len(&devices), len(&p.bob) + 1 + 5 + 1 + 3);
    }

    let mut queue = ExpiryQueue::new();
    row("expiry queue (0x05), empty", len(&queue));
    for i in 0..10u64 {
        queue
            .insert(
                MessageId::from(i),
                Expiry::At(Timestamp::from_unix_millis(i)),
            )
            .unwrap();
    }
    row("expiry queue, 10 entries", len(&queue));

    let members: Vec<IdentityKeyPair> = (0..10)
        .map(|_| IdentityKeyPair::generate(&mut rng))
        .collect();
    let keys: Vec<_> = members.iter().map(|m| *m.public()).collect();
    let gid = GroupId::from_bytes([1; 16]);
    let (group, _) = Group::create_with_id(&mut rng, T0, gid, keys[0], &keys[1..3]).unwrap();
    row("group (0x06), 3 members, own chain only", len(&group));
    let (group10, _) = Group::create_with_id(&mut rng, T0, gid, keys[0], &keys[1..]).unwrap();
    row("group, 10 members, own chain only", len(&group10));
    let (owner, _) = ChannelOwner::create_with_id(&mut rng, T0, gid, keys[0], &keys[1..]).unwrap();
    row("channel owner (0x06), 9 subscribers", len(&owner));
    let sub = ChannelSubscriber::new(gid, keys[1], keys[0]);
    row("channel subscriber (0x06), no chain yet", len(&sub));

    let mut list = DeviceList::new("alice@example.org").unwrap();
    list.update(&[(1, keys[0]), (2, keys[1]), (3, keys[2])])
        .unwrap();
    row("device list (0x08), 3 devices", len(&list));

    let mut trusted = TrustedServerKeys::new();
    for k in 1..=2 {
        trusted
            .add(ServerKey::generate(&mut rng, k).public())
            .unwrap();
    }
    row("trusted server keys (0x09), 2 keys", len(&trusted));

    eprintln!("| blob (plain) | bytes |\n|---|---|");
    for (what, n) in &rows {
        eprintln!("| {what} | {n} |");
    }
    // Every session blob of the table but the pending PQXDH one is within
    // 1 KiB.
    for (what, n) in &rows {
        if what.starts_with("session") || what.starts_with("pending session, X3DH") {
            assert!(*n <= KIB, "{what}: {n} bytes");
        }
    }
}
