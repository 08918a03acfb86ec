//! Model-based property test of a whole conversation.
//!
//! Two parties start from a real handshake (Alice pending, Bob accepting
//! from whichever message of Alice's first chain reaches him first, Alice
//! established by the first reply she decrypts) and run a random schedule
//! of sends, deliveries in any order, drops, duplicates, tampered copies and
//! ping-pong turns that force DH ratchet steps. A small model predicts, for
//! every delivery, the exact outcome:
//!
//! - an untampered message not yet delivered decrypts, once, to the right
//!   body, sender, message number (the model predicts the sender's chain
//!   position), content type and send time;
//! - a message delivered again fails with `DuplicateMessage` (or, once its
//!   chain is older than the `MAX_RECEIVING_CHAINS` the receiver remembers,
//!   with `AuthenticationFailed`);
//! - a tampered copy (any bit or byte flipped, truncated, extended) fails
//!   with a typed error and leaves the receiver exactly as it was (session,
//!   pending session, or Bob's prekey store when he has no session yet); the
//!   untampered original still decrypts afterwards;
//! - after every step, each established party holds exactly as many
//!   skipped message keys as the model says (messages whose key was derived
//!   but which were not yet delivered);
//! - the initiator sends prekey messages exactly until it has decrypted a
//!   reply, and Bob's one-time prekey is consumed exactly when he accepts.
//!
//! At the end every message still in flight is delivered (in a random
//! order) and must decrypt, then every message is replayed and must fail.

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

use common::{T0, setup};
use proptest::prelude::*;
use proptest::sample::Index;
use sealwire::limits::MAX_RECEIVING_CHAINS;
use sealwire::persist::{StateBlob, StorageKey};
use sealwire::testing::DangerDeterministicRng;
use sealwire::wire::{Message, TYPE_PREKEY, TYPE_RATCHET};
use sealwire::{
    ContentType, Encrypt, IdentityKeyPair, Outgoing, PendingSession, PrekeyStore, Received,
    Session, SessionError, Timestamp,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Alice,
    Bob,
}

impl Who {
    fn idx(self) -> usize {
        match self {
            Who::Alice => 0,
            Who::Bob => 1,
        }
    }

    fn peer(self) -> Who {
        match self {
            Who::Alice => Who::Bob,
            Who::Bob => Who::Alice,
        }
    }
}

#[derive(Clone, Debug)]
enum Tamper {
    /// XOR `mask` (non-zero) into one byte.
    Flip { pos: Index, mask: u8 },
    /// Keep only a strict prefix.
    Truncate(Index),
    /// Append bytes.
    Extend(Vec<u8>),
}

#[derive(Clone, Debug)]
enum Op {
    Send {
        who: Who,
        len: usize,
        receipt: bool,
    },
    /// Deliver one of the messages still in flight (any order).
    Deliver(Index),
    /// Lose one of the messages still in flight for good.
    Drop(Index),
    /// Deliver again one of the messages already delivered.
    Duplicate(Index),
    /// Deliver a tampered copy of any sent message; then maybe the original.
    Tamper {
        msg: Index,
        how: Tamper,
        then_original: bool,
    },
    /// `who` sends one message that is delivered at once: alternating turns
    /// force a DH ratchet step on both sides.
    Turn(Who),
    /// Both parties' sessions and Bob's prekey store go through their state
    /// blobs (plain, or sealed when the flag is set) and are replaced by what
    /// loads back: nothing may change.
    Restore(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    InFlight,
    Delivered,
    Dropped,
}

#[derive(Debug)]
struct Sent {
    from: Who,
    bytes: Vec<u8>,
    body: Vec<u8>,
    content: ContentType,
    sent_at: Timestamp,
    /// The sender's chain (0, 1, 2, ... per sender) and position in it.
    chain: u32,
    number: u32,
    status: Status,
}

/// What the model knows of one party.
#[derive(Debug, Default)]
struct PartyModel {
    /// The sender's current sending chain, if it has one.
    chain: Option<u32>,
    /// Messages sent in that chain.
    sent_in_chain: u32,
    /// A new peer chain was received since the last send: the next send
    /// starts a new chain (the lazy half of the DH ratchet step).
    needs_new_chain: bool,
    /// The newest peer chain received.
    peer_chain: Option<u32>,
    /// One past the highest position received in `peer_chain`.
    frontier: u32,
}

enum AliceSide {
    Pending(PendingSession),
    Established(Session),
}

struct World {
    rng: DangerDeterministicRng,
    alice_id: IdentityKeyPair,
    bob_id: IdentityKeyPair,
    store: PrekeyStore,
    opk_id: Option<u32>,
    alice: Option<AliceSide>,
    bob: Option<Session>,
    sent: Vec<Sent>,
    model: [PartyModel; 2],
    now: Timestamp,
    serial: u64,
}

impl World {
    fn new(seed: u64, with_opk: bool) -> Self {
        let mut s = setup(seed, with_opk);
        let alice = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
        Self {
            rng: s.rng,
            alice_id: s.alice_id,
            bob_id: s.bob_id,
            store: s.store,
            opk_id: s.opk_id,
            alice: Some(AliceSide::Pending(alice)),
            bob: None,
            sent: Vec::new(),
            model: [
                // Alice's first sending chain exists from the start.
                PartyModel {
                    chain: Some(0),
                    ..PartyModel::default()
                },
                // Bob's first chain starts when he first sends.
                PartyModel {
                    needs_new_chain: true,
                    ..PartyModel::default()
                },
            ],
            now: T0,
            serial: 0,
        }
    }

    fn identity(&self, who: Who) -> sealwire::IdentityKey {
        match who {
            Who::Alice => *self.alice_id.public(),
            Who::Bob => *self.bob_id.public(),
        }
    }

    fn tick(&mut self) {
        self.now = Timestamp::from_unix_millis(self.now.as_unix_millis() + 1);
    }

    /// `who` sends a message; `None` if it cannot (Bob before accepting).
    fn send(&mut self, who: Who, len: usize, receipt: bool) -> Option<usize> {
        if who == Who::Bob && self.bob.is_none() {
            return None;
        }
        self.serial += 1;
        let serial = self.serial;
        let body: Vec<u8> = (0..len)
            .map(|i| (serial as u8).wrapping_mul(31) ^ (i as u8))
            .collect();
        let content = if receipt {
            ContentType::Receipt
        } else {
            ContentType::UserMessage
        };
        let now = self.now;
        let (bytes, expected_type) = match who {
            Who::Alice => match self.alice.as_mut().unwrap() {
                AliceSide::Pending(p) => {
                    let b = p
                        .encrypt(&mut self.rng, now, Outgoing::new(content, &body))
                        .unwrap()
                        .message;
                    assert_eq!(b.len(), p.encrypted_len(body.len(), false));
                    (b, TYPE_PREKEY)
                }
                AliceSide::Established(s) => {
                    let b = s
                        .encrypt(&mut self.rng, now, Outgoing::new(content, &body))
                        .unwrap()
                        .message;
                    assert_eq!(b.len(), s.encrypted_len(body.len(), false));
                    (b, TYPE_RATCHET)
                }
            },
            Who::Bob => {
                let s = self.bob.as_mut().unwrap();
                let b = s
                    .encrypt(&mut self.rng, now, Outgoing::new(content, &body))
                    .unwrap()
                    .message;
                assert_eq!(b.len(), s.encrypted_len(body.len(), false));
                (b, TYPE_RATCHET)
            }
        };
        assert_eq!(
            bytes[1], expected_type,
            "prekey messages exactly until a reply was decrypted"
        );
        let m = &mut self.model[who.idx()];
        if m.needs_new_chain {
            m.chain = Some(m.chain.map_or(0, |c| c + 1));
            m.sent_in_chain = 0;
            m.needs_new_chain = false;
        }
        let number = m.sent_in_chain;
        m.sent_in_chain += 1;
        let chain = m.chain.unwrap();
        let header = match Message::parse(&bytes).unwrap() {
            Message::Prekey(p) => {
                assert_eq!(p.identity_key, *self.alice_id.public());
                assert_eq!(p.one_time_prekey_id, self.opk_id);
                p.message.header
            }
            Message::Ratchet(r) => r.header,
            _ => unreachable!(),
        };
        assert_eq!(header.counter, number, "the model predicts N");
        self.sent.push(Sent {
            from: who,
            bytes,
            body,
            content,
            sent_at: now,
            chain,
            number,
            status: Status::InFlight,
        });
        Some(self.sent.len() - 1)
    }

    /// Offers `bytes` to `to` through the right entry point. On failure the
    /// receiver (session, pending session, or Bob's store) must be exactly
    /// as before. `in_place` selects `decrypt_in_place` for sessions.
    fn offer(&mut self, to: Who, bytes: &[u8], in_place: bool) -> Result<Received, SessionError> {
        let now = self.now;
        match to {
            Who::Bob => match self.bob.as_mut() {
                None => {
                    let before = self.store.clone();
                    match Session::accept(&self.bob_id, &mut self.store, now, bytes) {
                        Ok((session, received)) => {
                            if let Some(id) = self.opk_id {
                                assert_eq!(before.one_time_prekey_count(), 3);
                                assert_eq!(self.store.one_time_prekey_count(), 2);
                                assert!(self.store.one_time_prekeys().iter().all(|o| o.id != id));
                            } else {
                                assert!(self.store == before, "no one-time prekey to consume");
                            }
                            self.bob = Some(session);
                            Ok(received)
                        }
                        Err(e) => {
                            assert!(self.store == before, "failed accept changed the store");
                            Err(e)
                        }
                    }
                }
                Some(s) => session_offer(s, now, bytes, in_place),
            },
            Who::Alice => match self.alice.take().unwrap() {
                AliceSide::Pending(p) => {
                    let before = p.clone();
                    match p.receive(now, bytes) {
                        Ok((s, r)) => {
                            self.alice = Some(AliceSide::Established(s));
                            Ok(r)
                        }
                        Err(rejected) => {
                            assert!(
                                *rejected.session == before,
                                "refused reply changed the pending session"
                            );
                            self.alice = Some(AliceSide::Pending(*rejected.session));
                            Err(rejected.error)
                        }
                    }
                }
                AliceSide::Established(mut s) => {
                    let r = session_offer(&mut s, now, bytes, in_place);
                    self.alice = Some(AliceSide::Established(s));
                    r
                }
            },
        }
    }

    /// Delivers message `i` untampered and checks the outcome against the
    /// model.
    fn deliver(&mut self, i: usize) {
        let to = self.sent[i].from.peer();
        let bytes = self.sent[i].bytes.clone();
        let in_place = self.serial.is_multiple_of(2);
        let result = self.offer(to, &bytes, in_place);
        let msg = &self.sent[i];
        match msg.status {
            Status::Delivered => {
                let newest = self.model[to.idx()].peer_chain.unwrap();
                let remembered = newest - msg.chain < MAX_RECEIVING_CHAINS as u32;
                let expected = if remembered {
                    SessionError::DuplicateMessage
                } else {
                    SessionError::AuthenticationFailed
                };
                assert_eq!(
                    result.map(|r| r.message_number),
                    Err(expected),
                    "replay of message {i} (chain {}, newest {newest})",
                    msg.chain
                );
            }
            Status::InFlight | Status::Dropped => {
                let r = match result {
                    Ok(r) => r,
                    Err(e) => panic!(
                        "message {i} ({:?} chain {} #{}) refused: {e:?}",
                        msg.from, msg.chain, msg.number
                    ),
                };
                assert_eq!(&r.plaintext[..], &msg.body[..]);
                assert_eq!(r.sender, self.identity(msg.from));
                assert_eq!(r.message_number, msg.number);
                assert_eq!(r.content_type, msg.content);
                assert_eq!(r.sent_at, msg.sent_at);
                let (chain, number) = (msg.chain, msg.number);
                self.sent[i].status = Status::Delivered;
                let m = &mut self.model[to.idx()];
                match m.peer_chain {
                    Some(c) if c == chain => m.frontier = m.frontier.max(number + 1),
                    Some(c) if c > chain => {}
                    _ => {
                        m.peer_chain = Some(chain);
                        m.frontier = number + 1;
                        m.needs_new_chain = true;
                    }
                }
            }
        }
    }

    /// A tampered copy of message `i` is refused and changes nothing.
    fn tamper(&mut self, i: usize, how: &Tamper) {
        let mut bytes = self.sent[i].bytes.clone();
        match how {
            Tamper::Flip { pos, mask } => {
                let at = pos.index(bytes.len());
                bytes[at] ^= *mask;
            }
            Tamper::Truncate(at) => bytes.truncate(at.index(bytes.len())),
            Tamper::Extend(extra) => bytes.extend_from_slice(extra),
        }
        let to = self.sent[i].from.peer();
        let in_place = !self.serial.is_multiple_of(2);
        match self.offer(to, &bytes, in_place) {
            Ok(r) => panic!(
                "tampered copy of message {i} ({how:?}) decrypted as #{}",
                r.message_number
            ),
            Err(e) => assert!(
                matches!(
                    e,
                    SessionError::Malformed(_)
                        | SessionError::AuthenticationFailed
                        | SessionError::DuplicateMessage
                        | SessionError::TooManySkipped
                        | SessionError::WeakPublicKey
                        | SessionError::UnknownSignedPrekey
                        | SessionError::UnknownOneTimePrekey
                        | SessionError::SessionMismatch
                        | SessionError::UnexpectedMessage
                        | SessionError::CounterOverflow
                ),
                "unexpected error class {e:?}"
            ),
        }
    }

    fn in_flight(&self) -> Vec<usize> {
        self.indices(Status::InFlight)
    }

    fn indices(&self, f: Status) -> Vec<usize> {
        (0..self.sent.len())
            .filter(|&i| self.sent[i].status == f)
            .collect()
    }

    /// Every established party holds exactly the skipped keys the model
    /// predicts: keys of peer messages not yet delivered whose position the
    /// party has moved past (all of an older chain, up to the frontier of
    /// the newest).
    fn check_skipped(&self) {
        for who in [Who::Alice, Who::Bob] {
            let session = match (who, &self.alice, &self.bob) {
                (Who::Alice, Some(AliceSide::Established(s)), _) => s,
                (Who::Bob, _, Some(s)) => s,
                _ => continue,
            };
            let m = &self.model[who.idx()];
            let newest = m.peer_chain.unwrap();
            let expected = self
                .sent
                .iter()
                .filter(|s| s.from == who.peer() && s.status != Status::Delivered)
                .filter(|s| s.chain < newest || (s.chain == newest && s.number < m.frontier))
                .count();
            assert_eq!(
                session.skipped_key_count(),
                expected,
                "{who:?} holds the wrong number of skipped keys"
            );
        }
    }

    fn apply(&mut self, op: &Op) {
        self.tick();
        match op {
            Op::Send { who, len, receipt } => {
                self.send(*who, *len, *receipt);
            }
            Op::Deliver(ix) => {
                let fl = self.in_flight();
                if !fl.is_empty() {
                    self.deliver(fl[ix.index(fl.len())]);
                }
            }
            Op::Drop(ix) => {
                let fl = self.in_flight();
                if !fl.is_empty() {
                    self.sent[fl[ix.index(fl.len())]].status = Status::Dropped;
                }
            }
            Op::Duplicate(ix) => {
                let done = self.indices(Status::Delivered);
                if !done.is_empty() {
                    self.deliver(done[ix.index(done.len())]);
                }
            }
            Op::Tamper {
                msg,
                how,
                then_original,
            } => {
                if !self.sent.is_empty() {
                    let i = msg.index(self.sent.len());
                    self.tamper(i, how);
                    if *then_original && self.sent[i].status == Status::InFlight {
                        self.deliver(i);
                    }
                }
            }
            Op::Turn(who) => {
                if let Some(i) = self.send(*who, 16, false) {
                    self.deliver(i);
                }
            }
            Op::Restore(sealed) => self.restore(*sealed),
        }
        self.check_skipped();
    }

    fn restore(&mut self, sealed: bool) {
        let key = StorageKey::from_bytes([0x5e; 32]);
        let rng = &mut self.rng;
        fn round_trip<T: StateBlob + PartialEq + std::fmt::Debug>(
            value: &T,
            sealed: bool,
            key: &StorageKey,
            rng: &mut DangerDeterministicRng,
        ) -> T {
            let back = if sealed {
                let here = sealwire::persist::BlobAddress::local(
                    *sealwire::IdentityKeyPair::from_seed(&[0x5e; 32]).public(),
                );
                T::unseal(key, &here, &value.seal(key, &here, rng)).unwrap()
            } else {
                T::from_blob(&value.to_blob()).unwrap()
            };
            assert_eq!(&back, value, "state changed through its blob");
            back
        }
        self.alice = match self.alice.take() {
            Some(AliceSide::Pending(p)) => {
                Some(AliceSide::Pending(round_trip(&p, sealed, &key, rng)))
            }
            Some(AliceSide::Established(s)) => {
                Some(AliceSide::Established(round_trip(&s, sealed, &key, rng)))
            }
            None => None,
        };
        if let Some(bob) = self.bob.take() {
            self.bob = Some(round_trip(&bob, sealed, &key, rng));
        }
        self.store = round_trip(&self.store, sealed, &key, rng);
    }

    /// Delivers everything still in flight (and the dropped ones too: a
    /// lost message that turns up late must still open) in the order given
    /// by `seed`, then replays every message.
    fn drain(&mut self, seed: u64) {
        let mut order: Vec<usize> = (0..self.sent.len())
            .filter(|&i| self.sent[i].status != Status::Delivered)
            .collect();
        // Fisher-Yates with a small LCG: a deterministic permutation.
        let mut x = seed | 1;
        for k in (1..order.len()).rev() {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            order.swap(k, (x >> 33) as usize % (k + 1));
        }
        for i in order {
            self.tick();
            self.deliver(i);
            self.check_skipped();
        }
        for i in 0..self.sent.len() {
            self.tick();
            self.deliver(i);
        }
        self.check_skipped();
        for who in [Who::Alice, Who::Bob] {
            let s = match (who, &self.alice, &self.bob) {
                (Who::Alice, Some(AliceSide::Established(s)), _) => s,
                (Who::Bob, _, Some(s)) => s,
                _ => continue,
            };
            assert_eq!(s.skipped_key_count(), 0, "every key was used");
        }
    }
}

/// Offers `bytes` to an established session; on failure the session must
/// be exactly as before.
fn session_offer(
    s: &mut Session,
    now: Timestamp,
    bytes: &[u8],
    in_place: bool,
) -> Result<Received, SessionError> {
    let before = s.clone();
    let r = if in_place {
        let mut buf = bytes.to_vec();
        s.decrypt_in_place(now, &mut buf).map(|r| r.to_owned())
    } else {
        s.decrypt(now, bytes)
    };
    if let Err(e) = &r {
        assert!(*s == before, "failed decrypt ({e:?}) changed the session");
    }
    r
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![Just(Who::Alice), Just(Who::Bob)]
}

fn mask() -> impl Strategy<Value = u8> {
    prop_oneof![(0u8..8).prop_map(|b| 1u8 << b), 1u8..=255]
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        6 => (any::<Index>(), mask()).prop_map(|(pos, mask)| Tamper::Flip { pos, mask }),
        1 => any::<Index>().prop_map(Tamper::Truncate),
        1 => proptest::collection::vec(any::<u8>(), 1..4).prop_map(Tamper::Extend),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (who(), 0usize..80, proptest::bool::weighted(0.2))
            .prop_map(|(who, len, receipt)| Op::Send { who, len, receipt }),
        6 => any::<Index>().prop_map(Op::Deliver),
        1 => any::<Index>().prop_map(Op::Drop),
        2 => any::<Index>().prop_map(Op::Duplicate),
        3 => (any::<Index>(), tamper(), any::<bool>())
            .prop_map(|(msg, how, then_original)| Op::Tamper { msg, how, then_original }),
        3 => who().prop_map(Op::Turn),
        2 => any::<bool>().prop_map(Op::Restore),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn conversation_matches_the_model(
        seed in any::<u64>(),
        with_opk in any::<bool>(),
        ops in proptest::collection::vec(op(), 1..70),
        drain_seed in any::<u64>(),
    ) {
        let mut world = World::new(seed, with_opk);
        for op in &ops {
            world.apply(op);
        }
        world.drain(drain_seed);
    }

    /// Long alternating conversations: many DH ratchet steps, so that old
    /// chains fall out of the remembered receiving chains, with a few
    /// messages per turn delivered in shuffled order.
    #[test]
    fn many_ratchet_steps(
        seed in any::<u64>(),
        turns in proptest::collection::vec((1usize..4, any::<u64>()), 8..16),
    ) {
        let mut world = World::new(seed, true);
        for (k, (burst, order)) in turns.iter().enumerate() {
            let who = if k % 2 == 0 { Who::Alice } else { Who::Bob };
            let sent: Vec<usize> = (0..*burst).filter_map(|_| world.send(who, 8, false)).collect();
            // Deliver the burst, last message first when `order` is odd.
            let mut idx = sent.clone();
            if order % 2 == 1 {
                idx.reverse();
            }
            for i in idx {
                world.tick();
                world.deliver(i);
                world.check_skipped();
            }
            // Replay an old message now and then.
            if order % 3 == 0 && !world.sent.is_empty() {
                let i = (*order as usize / 3) % world.sent.len();
                if world.sent[i].status == Status::Delivered {
                    world.deliver(i);
                }
            }
        }
        world.drain(seed);
    }
}
