//! Attack: read secrets out of freed heap memory.
//!
//! An attacker who can read the process's freed heap blocks (a later
//! allocation handed the same block uninitialised, a heap-disclosure bug, a
//! core dump, swap) must find no key there. With a moving allocator (scudo,
//! jemalloc, mimalloc, Apple's) every growth of a vector moves it, and every
//! `remove` that shifts elements leaves a stale copy behind: key material
//! must be wiped before its block is freed or moved, not only when the
//! value holding it is dropped.
//!
//! This binary installs [`QuarantineAlloc`]: in quarantine mode every
//! `realloc` moves the block and no freed block goes back to the system.
//! Each scenario runs with the quarantine on, drops everything it built,
//! and then every freed block is scanned for each secret the scenario
//! recorded (root keys, chain keys, message keys — skipped or not —, one-time
//! and signed prekey secrets, post-quantum prekey seeds, the identity seed,
//! the storage key, group chain and post keys). Each scenario must leave
//! zero copies. Keys that were used, evicted, erased on schedule, consumed
//! or rotated out must moreover be gone from live memory while their
//! owner is still alive (a later compromise of the running process must
//! not find them): the scenarios scan the blocks allocated since the
//! quarantine started and still live for those (a control checks that
//! this scan does see keys still held).
//!
//! The secrets are recorded in a table allocated before the quarantine
//! starts, with room for all of them (it never grows, so it leaves no copy
//! of its own in a freed block); keys are recomputed with `sealwire::hazmat`
//! into stack values only. The scenarios run one after the other in a
//! single `#[test]`, because the quarantine is process-wide.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::print_stdout
)]

mod common;

use common::distribution_from;
use rand_core::Rng;
use sealwire::DeviceAddress;
use sealwire::devices::{DeviceList, DeviceSessions, UserSessions, encrypt_for_devices};
use sealwire::group::{Group, GroupId, RotationPolicy};
use sealwire::hazmat;
use sealwire::limits::{MAX_DEVICES_PER_USER, MAX_PREVIOUS_SESSIONS};
use sealwire::persist::{BlobAddress, StateBlob, StorageKey};
use sealwire::store::{MemoryStore, SessionStorage};
use sealwire::testing::{DangerDeterministicRng, in_chain_pair, session_pair};
use sealwire::{
    Encrypt, IdentityKeyPair, Outgoing, PendingSession, PrekeyStore, Session, SessionRecord,
    Timestamp,
};
use sealwire_counting_alloc::{
    QuarantineAlloc, quarantine_scan, quarantine_scan_live, quarantine_start,
};

/// Where the sealed blobs of these scenarios belong (the address is not
/// what is tested here).
fn blob_address() -> BlobAddress {
    BlobAddress::local(*IdentityKeyPair::from_seed(&[0x5a; 32]).public())
}

#[global_allocator]
static ALLOC: QuarantineAlloc = QuarantineAlloc;

const T0_MS: u64 = 1_780_000_000_000;
const HOUR: u64 = 60 * 60 * 1000;
const DAY: u64 = 24 * HOUR;
const GID: GroupId = GroupId::from_bytes([0x42; 16]);

fn at(ms: u64) -> Timestamp {
    Timestamp::from_unix_millis(T0_MS + ms)
}

/// What a recorded secret is (for the report of hits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    RootKey,
    ChainKey,
    MessageKey,
    OneTimePrekey,
    SignedPrekey,
    PqPrekeySeed,
    IdentitySeed,
    StorageKey,
    GroupChainKey,
    GroupMessageKey,
    /// A message or post body, decrypted by the allocating paths.
    Plaintext,
}

/// Room for every secret of every scenario: the table never grows.
const CAPACITY: usize = 200_000;

/// The secrets of one scenario, in buffers allocated before the quarantine
/// starts.
struct Secrets {
    keys: Vec<[u8; 32]>,
    kinds: Vec<Kind>,
    /// Hits of keys that must be gone from live memory too (used,
    /// evicted, erased, consumed, rotated out), found by the scenario's
    /// live scans.
    live_hits: Vec<(Kind, usize, usize)>,
}

impl Secrets {
    fn new() -> Self {
        Self {
            keys: Vec::with_capacity(CAPACITY),
            kinds: Vec::with_capacity(CAPACITY),
            live_hits: Vec::new(),
        }
    }

    fn add(&mut self, kind: Kind, key: [u8; 32]) {
        assert!(
            self.keys.len() < CAPACITY,
            "the secrets table must not grow"
        );
        self.keys.push(key);
        self.kinds.push(kind);
    }

    fn add_opt(&mut self, kind: Kind, key: Option<[u8; 32]>) {
        if let Some(k) = key {
            self.add(kind, k);
        }
    }

    /// The message keys of `steps` positions of a chain starting at
    /// `chain_key`, and the chain keys on the way.
    fn add_chain(&mut self, chain: Kind, message: Kind, chain_key: [u8; 32], steps: usize) {
        let mut ck = chain_key;
        for _ in 0..steps {
            self.add(chain, ck);
            let (mk, next) = hazmat::kdf_ck(ck);
            self.add(message, mk);
            ck = next;
        }
    }

    /// Root key and chain keys of a session.
    fn add_session(&mut self, s: &Session) {
        self.add_ratchet(s);
    }

    /// Root key and chain keys of a session in either phase.
    fn add_ratchet<S: hazmat::RawRatchet>(&mut self, s: &S) {
        let (rk, send, recv) = hazmat::session_keys(s);
        self.add(Kind::RootKey, rk);
        self.add_opt(Kind::ChainKey, send);
        self.add_opt(Kind::ChainKey, recv);
    }

    /// Root key and chain keys of a session record.
    fn add_record(&mut self, r: Option<&SessionRecord>) {
        match r {
            Some(SessionRecord::Established(s)) => self.add_ratchet(s),
            Some(SessionRecord::Pending(p)) => self.add_ratchet(p),
            _ => {}
        }
    }
}

/// Scans every freed block for every secret; returns, per kind, how many
/// distinct secrets were found and in how many copies, and the number of
/// blocks and bytes scanned. Ends quarantine mode.
fn scan(secrets: &Secrets) -> (Vec<(Kind, usize, usize)>, usize, usize) {
    scan_with(secrets, |_| true, |f| quarantine_scan(f))
}

/// Scans the live blocks allocated since the quarantine started for the
/// secrets `gone` selects (by index): keys that were used, evicted,
/// erased or replaced must not survive in live memory either. Returns the
/// hits per kind as [`scan`] does; quarantine mode stays on.
fn scan_live(secrets: &Secrets, gone: impl Fn(usize) -> bool) -> Vec<(Kind, usize, usize)> {
    scan_with(secrets, gone, |f| quarantine_scan_live(f)).0
}

fn scan_with(
    secrets: &Secrets,
    selected: impl Fn(usize) -> bool,
    run: impl FnOnce(&mut dyn FnMut(&[u8])) -> usize,
) -> (Vec<(Kind, usize, usize)>, usize, usize) {
    // Distinct secrets, indexed on the first two bytes, then on the first
    // eight; a hit is a full 32-byte match. (These indexes hold no whole
    // secret: they may live in scanned blocks.)
    let mut order: Vec<usize> = (0..secrets.keys.len()).filter(|i| selected(*i)).collect();
    order.sort_unstable_by_key(|i| secrets.keys[*i]);
    order.dedup_by_key(|i| secrets.keys[*i]);
    let mut first = vec![false; 1 << 16];
    let mut by_prefix: Vec<(u64, usize)> = Vec::with_capacity(order.len());
    for i in order {
        let k = &secrets.keys[i];
        first[usize::from(u16::from_be_bytes([k[0], k[1]]))] = true;
        by_prefix.push((u64::from_be_bytes(k[..8].try_into().unwrap()), i));
    }
    by_prefix.sort_unstable();
    let mut hits = vec![0usize; secrets.keys.len()];
    let mut bytes = 0usize;
    let blocks = run(&mut |block: &[u8]| {
        bytes += block.len();
        if block.len() < 32 {
            return;
        }
        for o in 0..=block.len() - 32 {
            if !first[usize::from(u16::from_be_bytes([block[o], block[o + 1]]))] {
                continue;
            }
            let prefix = u64::from_be_bytes(block[o..o + 8].try_into().unwrap());
            let start = by_prefix.partition_point(|(p, _)| *p < prefix);
            for (p, i) in &by_prefix[start..] {
                if *p != prefix {
                    break;
                }
                if block[o..o + 32] == secrets.keys[*i] {
                    hits[*i] += 1;
                }
            }
        }
    });
    let mut per_kind: Vec<(Kind, usize, usize)> = Vec::new();
    for (i, n) in hits.iter().enumerate() {
        if *n == 0 {
            continue;
        }
        let kind = secrets.kinds[i];
        match per_kind.iter_mut().find(|(k, _, _)| *k == kind) {
            Some((_, distinct, copies)) => {
                *distinct += 1;
                *copies += n;
            }
            None => per_kind.push((kind, 1, *n)),
        }
    }
    per_kind.sort_unstable();
    (per_kind, blocks, bytes)
}

fn draw32(rng: &mut DangerDeterministicRng) -> [u8; 32] {
    let mut b = [0u8; 32];
    rng.fill_bytes(&mut b);
    b
}

/// A ratchet conversation with hundreds of skipped keys per chain, over
/// several chains (the store grows several times and evicts beyond
/// `MAX_SKIPPED_KEYS`), keys used out of order, erased on schedule; the
/// sessions written as plain and sealed blobs along the way.
fn ratchet_skipped_keys(s: &mut Secrets) {
    let (mut rng, mut alice, mut bob) = in_chain_pair(0xf4ee, at(0)).unwrap();
    let storage = draw32(&mut rng);
    s.add(Kind::StorageKey, storage);
    let storage = StorageKey::from_bytes(storage);
    // Rounds 8 days apart: the keys of a round four rounds back are past
    // the 30-day retention and erased on schedule by the next receive; the
    // store still outgrows MAX_SKIPPED_KEYS and evicts.
    let mut now = 0;
    let mut max_held = 0;
    for _ in 0..6u32 {
        s.add_session(&alice);
        s.add_session(&bob);
        let mut wires = Vec::new();
        for i in 0..900u32 {
            let (rk, send, _) = hazmat::session_keys(&alice);
            s.add(Kind::RootKey, rk);
            if let Some(ck) = send {
                s.add_chain(Kind::ChainKey, Kind::MessageKey, ck, 1);
            }
            wires.push(
                alice
                    .encrypt(&mut rng, at(now), Outgoing::message(&i.to_be_bytes()))
                    .unwrap()
                    .message,
            );
        }
        s.add_session(&alice);
        // The last first: every earlier key of the chain is skipped.
        bob.decrypt(at(now), wires.last().unwrap()).unwrap();
        max_held = max_held.max(bob.skipped_key_count());
        s.add_session(&bob);
        // A third of them, newest first (each use removes a stored key).
        for w in wires.iter().rev().skip(1).step_by(3) {
            bob.decrypt(at(now), w).unwrap();
        }
        // Blobs of a big session, in the middle of the conversation.
        drop(bob.to_blob());
        drop(bob.seal(&storage, &blob_address(), &mut rng));
        // Bob answers: Alice's next round is a new chain.
        let reply = bob
            .encrypt(&mut rng, at(now), Outgoing::message(b"reply"))
            .unwrap()
            .message;
        s.add_session(&bob);
        alice.decrypt(at(now), &reply).unwrap();
        s.add_session(&alice);
        now += 8 * DAY;
    }
    // The store was full (evicting) at some point.
    assert_eq!(max_held, sealwire::limits::MAX_SKIPPED_KEYS);
    drop(alice.to_blob());
    drop(alice.seal(&storage, &blob_address(), &mut rng));
    // Everything erased on schedule.
    bob.erase_expired_keys(at(now + 31 * DAY));
    assert_eq!(bob.skipped_key_count(), 0);
    // Both sessions alive: every message key was used or erased, every
    // root and chain key but the current ones replaced; none may be left
    // in live memory.
    let (ra, sa, ca) = hazmat::session_keys(&alice);
    let (rb, sb, cb) = hazmat::session_keys(&bob);
    let current = [Some(ra), sa, ca, Some(rb), sb, cb];
    let hits = scan_live(s, |i| {
        matches!(
            s.kinds[i],
            Kind::RootKey | Kind::ChainKey | Kind::MessageKey
        ) && !current.contains(&Some(s.keys[i]))
    });
    s.live_hits.extend(hits);
}

/// A prekey store with thousands of one-time prekeys and post-quantum
/// prekeys, rotated signed prekeys, written as blobs, prekeys consumed by
/// sessions and generated again.
fn prekey_store(s: &mut Secrets) {
    let mut rng = DangerDeterministicRng::from_u64(0x9e4e);
    let id = IdentityKeyPair::generate(&mut rng);
    s.add(Kind::IdentitySeed, *id.danger_seed_bytes());
    let storage = draw32(&mut rng);
    s.add(Kind::StorageKey, storage);
    let storage = StorageKey::from_bytes(storage);
    // Each key pair draws its 32-byte secret (a PQ one its 64-byte seed)
    // from the generator: a copy of it predicts them.
    let mut p = rng.clone();
    let mut store = PrekeyStore::new(&id, &mut rng);
    let first_spk = s.keys.len();
    let spk = draw32(&mut p);
    assert_eq!(
        hazmat::x25519_public(spk),
        *store.current_signed_prekey().unwrap().public()
    );
    s.add(Kind::SignedPrekey, spk);
    for _ in 0..5 {
        let mut p = rng.clone();
        store.rotate_signed_prekey(&id, &mut rng);
        s.add(Kind::SignedPrekey, draw32(&mut p));
    }
    // (prekey id, index of its secret in the table)
    let mut one_time = Vec::new();
    for batch in [3000usize, 500] {
        let mut p = rng.clone();
        for o in store.generate_one_time_prekeys(&mut rng, batch) {
            let sk = draw32(&mut p);
            assert_eq!(hazmat::x25519_public(sk), o.public);
            one_time.push((o.id, s.keys.len()));
            s.add(Kind::OneTimePrekey, sk);
        }
    }
    // (PQ prekey id, index of the first half of its seed)
    let mut pq_one_time = Vec::new();
    let mut p = rng.clone();
    for k in store.generate_pq_one_time_prekeys(&id, &mut rng, 150) {
        let mut seed = [0u8; 64];
        p.fill_bytes(&mut seed);
        assert_eq!(*hazmat::ml_kem_public(&seed), *k.public());
        pq_one_time.push((k.id(), s.keys.len()));
        s.add(Kind::PqPrekeySeed, seed[..32].try_into().unwrap());
        s.add(Kind::PqPrekeySeed, seed[32..].try_into().unwrap());
    }
    drop(store.to_blob());
    drop(store.seal(&storage, &blob_address(), &mut rng));
    drop(id.to_blob());
    drop(id.seal(&storage, &blob_address(), &mut rng));
    // Consume one-time prekeys (out of order), classic and PQ.
    let alice = IdentityKeyPair::generate(&mut rng);
    let mut consumed = Vec::new();
    for (n, (opk, opk_at)) in one_time.iter().rev().step_by(7).take(60).enumerate() {
        let pq = pq_one_time.get(n).filter(|_| n % 2 == 0);
        consumed.push(*opk_at);
        if let Some((_, seed_at)) = pq {
            consumed.extend([*seed_at, seed_at + 1]);
        }
        let bundle = store
            .bundle_with_pq(&id, Some(*opk), pq.map(|(pq_id, _)| *pq_id))
            .unwrap();
        let mut pending = PendingSession::initiate(&mut rng, &alice, &bundle).unwrap();
        let hello = pending
            .encrypt(&mut rng, at(0), Outgoing::message(b"hello"))
            .unwrap()
            .message;
        let (bob, _) = Session::accept(&id, &mut store, at(0), &hello).unwrap();
        s.add_session(&bob);
    }
    assert_eq!(store.one_time_prekey_count(), 3500 - 60);
    // And refill.
    let mut p = rng.clone();
    for o in store.generate_one_time_prekeys(&mut rng, 200) {
        let sk = draw32(&mut p);
        assert_eq!(hazmat::x25519_public(sk), o.public);
        s.add(Kind::OneTimePrekey, sk);
    }
    drop(store.to_blob());
    // The store alive: consumed one-time prekeys (classic and PQ) and the
    // signed prekeys rotated out (six made, three kept) must be gone from
    // live memory too.
    let hits = scan_live(s, |i| {
        consumed.contains(&i) || (first_spk..first_spk + 3).contains(&i)
    });
    s.live_hits.extend(hits);
    // Control: the live scan does see the store's held one-time prekeys
    // (boxed since the quarantine started).
    let held = scan_live(s, |i| {
        s.kinds[i] == Kind::OneTimePrekey && !consumed.contains(&i)
    });
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].1, 3500 - 60 + 200);
}

/// A group receiver holding hundreds of skipped post keys per chain over
/// several chains of one sender (evicted beyond `MAX_GROUP_SKIPPED_KEYS`,
/// chains dropped beyond `MAX_SENDER_CHAIN_STATES`), keys used out of
/// order, erased on schedule, the group written as blobs.
fn group_skipped_keys(s: &mut Secrets) {
    let mut rng = DangerDeterministicRng::from_u64(0x64f0);
    let a = IdentityKeyPair::generate(&mut rng);
    let b = IdentityKeyPair::generate(&mut rng);
    let storage = draw32(&mut rng);
    s.add(Kind::StorageKey, storage);
    let storage = StorageKey::from_bytes(storage);
    let (mut ga, da) =
        Group::create_with_id(&mut rng, at(0), GID, *a.public(), &[*b.public()]).unwrap();
    let (mut gb, db) =
        Group::create_with_id(&mut rng, at(0), GID, *b.public(), &[*a.public()]).unwrap();
    // A distribution body carries the chain key at [26..58].
    let chain_key = |body: &[u8]| -> [u8; 32] { body[26..58].try_into().unwrap() };
    s.add_chain(
        Kind::GroupChainKey,
        Kind::GroupMessageKey,
        chain_key(&db.body),
        4,
    );
    ga.accept_distribution(at(0), &distribution_from(&b, at(0), &db.body))
        .unwrap();
    gb.accept_distribution(at(0), &distribution_from(&a, at(0), &da.body))
        .unwrap();
    // Never rotates by itself: the test rotates each round.
    ga.set_rotation_policy(RotationPolicy::new(u32::MAX - 1, u64::MAX).unwrap());
    let mut ck = chain_key(&da.body);
    // Rounds 8 days apart, as for the ratchet: keys and superseded chains
    // past the 30-day retention are erased on schedule by later receives.
    let mut now = 0;
    let mut max_held = 0;
    for _ in 0..7u32 {
        s.add_chain(Kind::GroupChainKey, Kind::GroupMessageKey, ck, 1300);
        let posts: Vec<Vec<u8>> = (0..1200u32)
            .map(|i| ga.post(&mut rng, at(now), &i.to_be_bytes()).unwrap())
            .map(|p| {
                assert!(p.rotation.is_none());
                p.bytes
            })
            .collect();
        gb.receive_post(at(now), posts.last().unwrap()).unwrap();
        max_held = max_held.max(gb.skipped_key_count());
        for p in posts.iter().rev().skip(1).step_by(3) {
            gb.receive_post(at(now), p).unwrap();
        }
        drop(gb.to_blob());
        drop(gb.seal(&storage, &blob_address(), &mut rng));
        let d = ga.rotate(&mut rng, at(now));
        ck = chain_key(&d.body);
        now += 8 * DAY;
        gb.accept_distribution(at(now), &distribution_from(&a, at(now), &d.body))
            .unwrap();
    }
    assert_eq!(max_held, sealwire::limits::MAX_GROUP_SKIPPED_KEYS);
    drop(ga.to_blob());
    gb.erase_expired_keys(at(now + 31 * DAY));
    assert_eq!(gb.skipped_key_count(), 0);
    drop(gb.seal(&storage, &blob_address(), &mut rng));
    // Both groups alive: every post key was used, evicted or erased.
    let hits = scan_live(s, |i| s.kinds[i] == Kind::GroupMessageKey);
    s.live_hits.extend(hits);
}

/// Many sessions held in a `MemoryStore` (a map whose nodes split, merge
/// and are freed as sessions are saved, overwritten and deleted), each
/// device's [`DeviceSessions`] holding a current session and a growing
/// list of previous ones (new sessions from the peer push the current one
/// back, beyond `MAX_PREVIOUS_SESSIONS` the oldest is dropped).
fn session_store(s: &mut Secrets) {
    let mut rng = DangerDeterministicRng::from_u64(0x5e55);
    let me = IdentityKeyPair::generate(&mut rng);
    let mut store = MemoryStore::new();
    for i in 0..60u32 {
        let peer = IdentityKeyPair::generate(&mut rng);
        let (mut sa, mut sb) = session_pair(&mut rng, &me, &peer, at(0)).unwrap();
        s.add_session(&sa);
        let address = DeviceAddress::new(format!("peer{}", i % 40), i);
        store
            .save_sessions(
                &address,
                &DeviceSessions::from(SessionRecord::Established(sa.clone())),
            )
            .unwrap();
        // The session moves on and is saved again.
        let m = sb
            .encrypt(&mut rng, at(0), Outgoing::message(b"hi"))
            .unwrap()
            .message;
        sa.decrypt(at(0), &m).unwrap();
        let m = sa
            .encrypt(&mut rng, at(0), Outgoing::message(b"hi"))
            .unwrap()
            .message;
        sb.decrypt(at(0), &m).unwrap();
        s.add_session(&sa);
        store
            .save_sessions(
                &address,
                &DeviceSessions::from(SessionRecord::Established(sa)),
            )
            .unwrap();
    }
    for i in (0..60u32).step_by(2) {
        let address = DeviceAddress::new(format!("peer{}", i % 40), i);
        assert!(store.delete_sessions(&address).unwrap());
    }
    // Three devices that start a new session with us again and again:
    // each accepted session becomes current and the old one previous,
    // past the cap the oldest is dropped; the sessions are saved after
    // every step.
    let mut prekeys = PrekeyStore::new(&me, &mut rng);
    let bundle = prekeys.bundle(&me, None).unwrap();
    for device in 0..3u32 {
        let peer = IdentityKeyPair::generate(&mut rng);
        let address = DeviceAddress::new("restarting", device);
        let mut sessions = DeviceSessions::new();
        for _ in 0..sealwire::limits::MAX_PREVIOUS_SESSIONS + 8 {
            let mut pending = PendingSession::initiate(&mut rng, &peer, &bundle).unwrap();
            let m = pending
                .encrypt(&mut rng, at(0), Outgoing::message(b"again"))
                .unwrap()
                .message;
            sessions
                .decrypt(&me, &mut prekeys, peer.public(), at(0), &m)
                .unwrap();
            let current = sessions.current().unwrap().as_established().unwrap();
            s.add_session(current);
            store.save_sessions(&address, &sessions).unwrap();
        }
        assert_eq!(
            sessions.previous().len(),
            sealwire::limits::MAX_PREVIOUS_SESSIONS
        );
    }
}

/// The sessions with peer devices (SPEC.md §21): one device's
/// `DeviceSessions` taking more new sessions than it keeps (the deque of
/// previous sessions grows, drops the oldest, and a previous session the
/// peer still uses moves back to current), and a `UserSessions` map of
/// many devices (its nodes split and merge) sent to with
/// `encrypt_for_devices`.
fn device_sessions(s: &mut Secrets) {
    let mut rng = DangerDeterministicRng::from_u64(0xde71);
    let me = IdentityKeyPair::generate(&mut rng);
    let mut prekeys = PrekeyStore::new(&me, &mut rng);
    let bundle = prekeys.bundle(&me, None).unwrap();
    let peer = IdentityKeyPair::generate(&mut rng);
    let mut sessions = DeviceSessions::new();
    // The peer's sessions, in a vector that never grows.
    let mut theirs: Vec<PendingSession> = Vec::with_capacity(MAX_PREVIOUS_SESSIONS + 5);
    for _ in 0..MAX_PREVIOUS_SESSIONS + 5 {
        let mut pending = PendingSession::initiate(&mut rng, &peer, &bundle).unwrap();
        let m = pending
            .encrypt(&mut rng, at(0), Outgoing::message(b"hi"))
            .unwrap()
            .message;
        s.add_ratchet(&pending);
        sessions
            .decrypt(&me, &mut prekeys, peer.public(), at(0), &m)
            .unwrap();
        s.add_record(sessions.current());
        theirs.push(pending);
    }
    assert_eq!(sessions.previous().len(), MAX_PREVIOUS_SESSIONS);
    // The peer goes on in older sessions (their prekey messages go to the
    // sessions that accepted them).
    for i in [10, 30, 20] {
        let m = theirs[i]
            .encrypt(&mut rng, at(0), Outgoing::message(b"again"))
            .unwrap()
            .message;
        s.add_ratchet(&theirs[i]);
        sessions
            .decrypt(&me, &mut prekeys, peer.public(), at(0), &m)
            .unwrap();
    }
    drop(theirs);

    // Many devices of one user, one message to all of them, ten times.
    const DEVICES: usize = MAX_DEVICES_PER_USER;
    let mut list = DeviceList::new("peer").unwrap();
    let mut map = UserSessions::new();
    let mut entries = Vec::with_capacity(DEVICES);
    for d in 0..DEVICES as u32 {
        let id = IdentityKeyPair::generate(&mut rng);
        let store = PrekeyStore::new(&id, &mut rng);
        let mut ds = DeviceSessions::new();
        ds.initiate(
            &mut rng,
            &me,
            id.public(),
            &store.bundle(&id, None).unwrap(),
        )
        .unwrap();
        s.add_record(ds.current());
        map.insert(d, ds);
        entries.push((d, *id.public()));
    }
    list.update(&entries).unwrap();
    for _ in 0..10 {
        let sent = encrypt_for_devices(
            &mut rng,
            at(0),
            Outgoing::message(b"to all"),
            None,
            &mut [(&list, &mut map)],
        )
        .unwrap();
        assert_eq!(sent.len(), DEVICES);
        for ds in map.values() {
            s.add_record(ds.current());
        }
    }
    for d in (0..DEVICES as u32).step_by(2) {
        map.remove(&d);
    }
}

/// A scenario: builds, uses and drops objects, recording their secrets.
type Scenario = fn(&mut Secrets);

/// Decrypted bodies: messages and posts opened by the allocating paths
/// (`decrypt`, `receive_post`), whose plaintext buffers are dropped by the
/// caller. Bodies of one secret and of 128 secrets (4 KiB), so that both
/// short and long buffers are covered. No body may be left in a freed
/// block, nor in live memory once its `Received` is dropped.
fn decrypted_bodies(s: &mut Secrets) {
    let (mut rng, mut alice, mut bob) = in_chain_pair(0xb0d1, at(0)).unwrap();
    for i in 0..400u32 {
        let mut long = [0u8; 4096];
        let body: &[u8] = if i % 8 == 0 {
            for chunk in long.chunks_exact_mut(32) {
                let k = draw32(&mut rng);
                s.add(Kind::Plaintext, k);
                chunk.copy_from_slice(&k);
            }
            &long
        } else {
            let k = draw32(&mut rng);
            s.add(Kind::Plaintext, k);
            long[..32].copy_from_slice(&k);
            &long[..32]
        };
        let (from, to) = if i % 50 < 25 {
            (&mut alice, &mut bob)
        } else {
            (&mut bob, &mut alice)
        };
        let m = from
            .encrypt(&mut rng, at(0), Outgoing::message(body))
            .unwrap()
            .message;
        let got = to.decrypt(at(0), &m).unwrap();
        assert!(got.plaintext == body);
        drop(got);
        long.fill(0);
    }
    let a = IdentityKeyPair::generate(&mut rng);
    let b = IdentityKeyPair::generate(&mut rng);
    let (mut ga, da) =
        Group::create_with_id(&mut rng, at(0), GID, *a.public(), &[*b.public()]).unwrap();
    let (mut gb, _db) =
        Group::create_with_id(&mut rng, at(0), GID, *b.public(), &[*a.public()]).unwrap();
    gb.accept_distribution(at(0), &distribution_from(&a, at(0), &da.body))
        .unwrap();
    for i in 0..400u32 {
        let mut long = [0u8; 4096];
        let n = if i % 8 == 0 { 4096 } else { 32 };
        for chunk in long[..n].chunks_exact_mut(32) {
            let k = draw32(&mut rng);
            s.add(Kind::Plaintext, k);
            chunk.copy_from_slice(&k);
        }
        let post = ga.post(&mut rng, at(0), &long[..n]).unwrap();
        let got = gb.receive_post(at(0), &post.bytes).unwrap();
        assert!(got.plaintext == long[..n]);
        drop(got);
        long.fill(0);
    }
    // Sessions and groups alive, every `Received` dropped.
    let hits = scan_live(s, |i| s.kinds[i] == Kind::Plaintext);
    s.live_hits.extend(hits);
}

#[test]
fn no_secret_is_left_in_freed_heap_blocks() {
    let scenarios: [(&str, Scenario); 6] = [
        (
            "ratchet skipped keys and session blobs",
            ratchet_skipped_keys,
        ),
        ("prekey store and its blobs", prekey_store),
        ("group skipped keys and group blobs", group_skipped_keys),
        ("sessions in a MemoryStore", session_store),
        ("device sessions and a multi-device send", device_sessions),
        ("decrypted bodies, 1:1 and group", decrypted_bodies),
    ];
    let mut report = Vec::new();
    for (name, scenario) in scenarios {
        let mut secrets = Secrets::new();
        let (keys_at, kinds_at) = (secrets.keys.as_ptr(), secrets.kinds.as_ptr());
        quarantine_start();
        scenario(&mut secrets);
        let (hits, blocks, bytes) = scan(&secrets);
        // The table did not move (it would have left copies itself).
        assert_eq!(secrets.keys.as_ptr(), keys_at);
        assert_eq!(secrets.kinds.as_ptr(), kinds_at);
        assert!(blocks > 1000, "{name}: the quarantine saw {blocks} blocks");
        report.push(format!(
            "{name}: {} secrets, {blocks} freed blocks ({bytes} bytes), \
             hits (kind, distinct secrets, copies) {hits:?}, \
             in live memory after use or erasure {:?}",
            secrets.keys.len(),
            secrets.live_hits
        ));
        if !hits.is_empty() || !secrets.live_hits.is_empty() {
            report.push("  ^ SECRETS LEFT IN FREED MEMORY".to_owned());
        }
    }
    let report = report.join("\n");
    assert!(!report.contains("SECRETS LEFT"), "\n{report}");
    // Shown with --nocapture.
    println!("{report}");
}
