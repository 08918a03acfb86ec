//! Model-based property test of several devices per user (issue 14,
//! `sealwire::devices`), on the public API only.
//!
//! Two or three users with one to five devices each. Every device runs a
//! small "app": its identity key and prekeys, its own copy of every user's
//! [`DeviceList`] (kept in step with a model server), its [`UserSessions`]
//! per user, and a log of what it sent. A random schedule of actions:
//!
//! - a device sends a user message to another user with
//!   [`encrypt_for_devices`] (which also covers the sender's own other
//!   devices); a device without a session fetches the bundle from the
//!   server and `DeviceSessions::initiate`s first, an
//!   unconfirmed identity change is confirmed by the user first;
//! - simultaneous sends (two devices of different users send before either
//!   message is delivered: simultaneous initiation when they had no
//!   session);
//! - the network delivers queued messages in any order, drops them,
//!   delivers them twice, delivers them to the wrong device, or delivers a
//!   tampered copy;
//! - devices are added and removed (every device's lists updated through
//!   [`DeviceList::update`], the events checked), reinstalled (a new
//!   identity key and prekeys under the same device id; the other devices'
//!   lists announce the change, and the app confirms it at once or only
//!   when it next needs the key), or lose all their sessions (keeping
//!   their identity and prekeys: a restored backup, a corrupted database).
//!
//! On a first delivery that fails with `NoSession` or
//! `AuthenticationFailed` (and only then: any other failure of a message
//! owed to the device fails the test), the receiver makes a recovery
//! request (when it is refused as too soon, the model's clock moves on by
//! the rate-limit interval), the sender's device takes it in and, whatever
//! the outcome (`Restart`, `Resend`, or `UnknownSession` when the sender
//! lost the session too), re-sends the lost message from its log on its
//! current session (starting a new one first when there is none). The
//! recovery request travels at once and is not lost.
//!
//! Invariants, checked at every step:
//!
//! - a message delivered to the live device it was encrypted for (which
//!   has not been wiped or removed since) from a sender whose identity key
//!   that device still trusts decrypts, to the right body and sender, unless
//!   one of the two lost its sessions while both existed; every other
//!   delivery fails;
//! - each message decrypts at most once on each device, re-sends included:
//!   a second delivery fails (`DuplicateMessage` while nothing was lost);
//!   a message delivered to any other device fails;
//! - every failing call (decrypt, `encrypt_for_devices`, recovery) leaves
//!   the sessions and prekeys exactly as they were;
//! - every failed message that was owed is re-sent while its sender
//!   lives, and (unless the network drops the re-send) decrypts.
//!
//! At the end the network delivers everything still queued, the users
//! confirm pending identity changes, and then rounds of ping-pong (every
//! live device sends one message to every other user, delivered at once)
//! run with no user action: after at most [`HEAL_ROUNDS`] rounds every
//! device's next message to every other device decrypts at first delivery,
//! with no recovery request, and then stays so.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use sealwire::devices::{
    DeviceError, DeviceEvent, DeviceList, Recovery, RecoveryRequest, UserSessions,
    encrypt_for_devices,
};
use sealwire::limits::{RECOVERY_INTERVAL_MS, RECOVERY_REQUEST_LEN};
use sealwire::testing::DangerDeterministicRng;
use sealwire::wire::Message;
use sealwire::{
    DeviceAddress, IdentityKey, IdentityKeyPair, Outgoing, PrekeyBundle, PrekeyStore, SessionError,
    Timestamp,
};

const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);
/// Devices per user in the model (device ids 1..=MAX_DEVICES).
const MAX_DEVICES: usize = 5;
/// The clock moves by this much per action and per delivery, so that two
/// recovery requests never carry the same time.
const TICK_MS: u64 = 1_000;
/// Ping-pong rounds after which every pair's next message must decrypt.
const HEAL_ROUNDS: usize = 1;

#[derive(Clone, Debug)]
enum Op {
    /// A live device sends a message to another user.
    Send { from: Index, to: Index, len: u8 },
    /// Two live devices of different users each send to the other's user
    /// before anything is delivered.
    Simultaneous { a: Index, b: Index },
    /// Deliver one queued message (any order).
    Deliver(Index),
    /// Lose one queued message for good.
    Drop(Index),
    /// Deliver again a message already delivered.
    Duplicate(Index),
    /// Deliver a message to a device it was not encrypted for.
    WrongDevice { msg: Index, to: Index },
    /// Deliver a tampered copy of a message to its device.
    Tamper { msg: Index, pos: Index, mask: u8 },
    /// A user adds a device.
    Add(Index),
    /// A user removes one of its devices.
    Remove(Index),
    /// A device is wiped and set up again under the same device id.
    Reinstall { device: Index, confirm_now: bool },
    /// A device loses all its sessions (identity, prekeys, lists kept).
    LoseSessions(Index),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (any::<Index>(), any::<Index>(), 0u8..120)
            .prop_map(|(from, to, len)| Op::Send { from, to, len }),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Op::Simultaneous { a, b }),
        12 => any::<Index>().prop_map(Op::Deliver),
        1 => any::<Index>().prop_map(Op::Drop),
        1 => any::<Index>().prop_map(Op::Duplicate),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(msg, to)| Op::WrongDevice { msg, to }),
        1 => (any::<Index>(), any::<Index>(), 1u8..)
            .prop_map(|(msg, pos, mask)| Op::Tamper { msg, pos, mask }),
        1 => any::<Index>().prop_map(Op::Add),
        1 => any::<Index>().prop_map(Op::Remove),
        1 => (any::<Index>(), any::<bool>())
            .prop_map(|(device, confirm_now)| Op::Reinstall { device, confirm_now }),
        1 => any::<Index>().prop_map(Op::LoseSessions),
    ]
}

/// One installation of a device (a reinstall makes a new one).
struct Device {
    user: usize,
    id: u32,
    live: bool,
    identity: IdentityKeyPair,
    prekeys: PrekeyStore,
    /// Its copy of every user's device list (its own user's included).
    lists: Vec<DeviceList>,
    /// Its sessions with every user's devices.
    sessions: Vec<UserSessions>,
    /// The action count when it was set up.
    born: usize,
    /// The action counts when it lost its sessions.
    losses: Vec<usize>,
    /// The app's log: the envelopes it sent.
    log: Vec<usize>,
}

impl Device {
    fn key(&self) -> IdentityKey {
        *self.identity.public()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    InFlight,
    Dropped,
    /// `owed`: delivered to the device it was for, from a key it trusted.
    Delivered {
        owed: bool,
        decrypted: bool,
    },
}

struct Envelope {
    from: usize,
    to: usize,
    body: usize,
    bytes: Vec<u8>,
    status: Status,
}

/// How often the model went through each path (for the coverage test).
#[derive(Clone, Copy, Debug, Default)]
struct Stats {
    decrypted: usize,
    refused_not_owed: usize,
    owed_failures: usize,
    duplicates_refused: usize,
    wrong_device_refused: usize,
    tampered_refused: usize,
    simultaneous_initiations: usize,
    initiations: usize,
    confirmed_on_send: usize,
    confirmed_on_receive: usize,
    requests: usize,
    requests_rate_limited: usize,
    restarts: usize,
    restarts_rate_limited: usize,
    resends: usize,
    unknown_sessions: usize,
    not_for_us: usize,
    resent: usize,
    heal_rounds_needed: usize,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        let Stats {
            decrypted,
            refused_not_owed,
            owed_failures,
            duplicates_refused,
            wrong_device_refused,
            tampered_refused,
            simultaneous_initiations,
            initiations,
            confirmed_on_send,
            confirmed_on_receive,
            requests,
            requests_rate_limited,
            restarts,
            restarts_rate_limited,
            resends,
            unknown_sessions,
            not_for_us,
            resent,
            heal_rounds_needed,
        } = self;
        *decrypted += o.decrypted;
        *refused_not_owed += o.refused_not_owed;
        *owed_failures += o.owed_failures;
        *duplicates_refused += o.duplicates_refused;
        *wrong_device_refused += o.wrong_device_refused;
        *tampered_refused += o.tampered_refused;
        *simultaneous_initiations += o.simultaneous_initiations;
        *initiations += o.initiations;
        *confirmed_on_send += o.confirmed_on_send;
        *confirmed_on_receive += o.confirmed_on_receive;
        *requests += o.requests;
        *requests_rate_limited += o.requests_rate_limited;
        *restarts += o.restarts;
        *restarts_rate_limited += o.restarts_rate_limited;
        *resends += o.resends;
        *unknown_sessions += o.unknown_sessions;
        *not_for_us += o.not_for_us;
        *resent += o.resent;
        *heal_rounds_needed = (*heal_rounds_needed).max(o.heal_rounds_needed);
    }
}

/// The ratchet key and counter in a message's header.
fn header_of(bytes: &[u8]) -> ([u8; 32], u32) {
    let h = match Message::parse(bytes).unwrap() {
        Message::Prekey(p) => p.message.header,
        Message::Ratchet(r) => r.header,
        _ => unreachable!(),
    };
    (h.ratchet_key, h.counter)
}

struct World {
    rng: DangerDeterministicRng,
    now: Timestamp,
    step: usize,
    users: Vec<String>,
    devices: Vec<Device>,
    /// The server: per user, device id → its live installation.
    server: Vec<BTreeMap<u32, usize>>,
    envelopes: Vec<Envelope>,
    bodies: Vec<Vec<u8>>,
    /// (body, device) pairs decrypted.
    decrypted: BTreeSet<(usize, usize)>,
    /// In the healing check: every first delivery must decrypt.
    strict: bool,
    /// Failures of owed messages (counted per round while healing).
    failures: usize,
    stats: Stats,
}

impl World {
    fn new(seed: u64, sizes: &[usize]) -> Self {
        let mut w = World {
            rng: DangerDeterministicRng::from_u64(seed),
            now: T0,
            step: 0,
            users: (0..sizes.len()).map(|u| format!("user-{u}")).collect(),
            devices: Vec::new(),
            server: vec![BTreeMap::new(); sizes.len()],
            envelopes: Vec::new(),
            bodies: Vec::new(),
            decrypted: BTreeSet::new(),
            strict: false,
            failures: 0,
            stats: Stats::default(),
        };
        for (u, &n) in sizes.iter().enumerate() {
            for id in 1..=n as u32 {
                let d = w.install(u, id);
                w.server[u].insert(id, d);
            }
        }
        for d in 0..w.devices.len() {
            w.fresh_lists(d);
        }
        w
    }

    fn tick(&mut self, ms: u64) {
        self.now = Timestamp::from_unix_millis(self.now.as_unix_millis() + ms);
    }

    /// A new installation: identity, prekeys, no lists yet.
    fn install(&mut self, user: usize, id: u32) -> usize {
        let identity = IdentityKeyPair::generate(&mut self.rng);
        let prekeys = PrekeyStore::new(&identity, &mut self.rng);
        self.devices.push(Device {
            user,
            id,
            live: true,
            identity,
            prekeys,
            lists: Vec::new(),
            sessions: vec![UserSessions::new(); self.users.len()],
            born: self.step,
            losses: Vec::new(),
            log: Vec::new(),
        });
        self.devices.len() - 1
    }

    /// Device `d` learns every user's list from the server (all trusted on
    /// first use).
    fn fresh_lists(&mut self, d: usize) {
        let mut lists = Vec::new();
        for u in 0..self.users.len() {
            let mut list = DeviceList::new(self.users[u].clone()).unwrap();
            let server = self.server_list(u);
            let events = list.update(&server).unwrap();
            let want: Vec<DeviceEvent> = server
                .iter()
                .map(|&(device, identity)| DeviceEvent::Added { device, identity })
                .collect();
            assert_eq!(events, want);
            lists.push(list);
        }
        self.devices[d].lists = lists;
    }

    fn server_list(&self, u: usize) -> Vec<(u32, IdentityKey)> {
        self.server[u]
            .iter()
            .map(|(&id, &d)| (id, self.devices[d].key()))
            .collect()
    }

    fn live(&self) -> Vec<usize> {
        self.server
            .iter()
            .flat_map(|m| m.values().copied())
            .collect()
    }

    fn user_of(&self, address: &DeviceAddress) -> usize {
        self.users.iter().position(|u| u == address.name()).unwrap()
    }

    /// Whether `a` or `b` lost its sessions while both existed.
    fn disrupted(&self, a: usize, b: usize) -> bool {
        let (da, db) = (&self.devices[a], &self.devices[b]);
        da.losses.iter().any(|&t| t >= db.born) || db.losses.iter().any(|&t| t >= da.born)
    }

    /// After the server's list of user `u` changed at device `id`: every
    /// other live device updates its copy and sees exactly that change;
    /// an identity change is confirmed at once if `confirm`.
    fn propagate(&mut self, u: usize, id: u32, skip: usize, confirm: bool) {
        let server = self.server_list(u);
        let now_key = self.server[u].get(&id).map(|&d| self.devices[d].key());
        for d in self.live() {
            if d == skip {
                continue;
            }
            let list = &mut self.devices[d].lists[u];
            let old = list.identity(id).copied();
            let events = list.update(&server).unwrap();
            let want = match (old, now_key) {
                (None, Some(identity)) => DeviceEvent::Added {
                    device: id,
                    identity,
                },
                (Some(_), None) => DeviceEvent::Removed { device: id },
                (Some(old), Some(new)) => DeviceEvent::IdentityChanged {
                    device: id,
                    old,
                    new,
                },
                (None, None) => unreachable!(),
            };
            assert_eq!(events, [want], "device {d}'s list of user {u}");
            if let DeviceEvent::IdentityChanged { old, new, .. } = want {
                // The old key holds until the app confirms the new one.
                assert_eq!(list.identity(id), Some(&old));
                assert_eq!(list.announced_identity(id), Some(&new));
                assert_eq!(
                    list.trusted_identity(id),
                    Err(DeviceError::UnconfirmedIdentity(list.address(id)))
                );
                if confirm {
                    list.confirm_identity(id, &new).unwrap();
                    assert_eq!(list.trusted_identity(id), Ok(&new));
                }
            }
        }
    }

    /// A bundle of device `t`, with a fresh one-time prekey, as the server
    /// hands it out.
    fn fetch_bundle(&mut self, t: usize) -> PrekeyBundle {
        let dev = &mut self.devices[t];
        let opk = dev.prekeys.generate_one_time_prekeys(&mut self.rng, 1)[0].id;
        let bytes = dev
            .prekeys
            .bundle(&dev.identity, Some(opk))
            .unwrap()
            .to_vec();
        PrekeyBundle::parse(&bytes).unwrap()
    }

    /// Device `d` starts a session with user `u`'s device `id`.
    fn initiate(&mut self, d: usize, u: usize, id: u32) {
        let t = self.server[u][&id];
        let expected = *self.devices[d].lists[u].trusted_identity(id).unwrap();
        assert_eq!(expected, self.devices[t].key(), "lists follow the server");
        let bundle = self.fetch_bundle(t);
        let Device {
            sessions, identity, ..
        } = &mut self.devices[d];
        sessions[u]
            .entry(id)
            .or_default()
            .initiate(&mut self.rng, identity, &expected, &bundle)
            .unwrap();
        assert!(sessions[u][&id].has_current_with(&expected));
        self.stats.initiations += 1;
    }

    fn new_body(&mut self, len: usize) -> usize {
        let p = self.bodies.len();
        self.bodies.push(
            (0..len)
                .map(|i| (i as u8) ^ (p as u8).wrapping_mul(37))
                .collect(),
        );
        p
    }

    fn enqueue(&mut self, from: usize, to: usize, body: usize, bytes: Vec<u8>) {
        self.envelopes.push(Envelope {
            from,
            to,
            body,
            bytes,
            status: Status::InFlight,
        });
        let e = self.envelopes.len() - 1;
        self.devices[from].log.push(e);
    }

    /// Device `d` sends body `p` to user `v` (and to its own other
    /// devices); returns the envelopes.
    fn send(&mut self, d: usize, v: usize, p: usize) -> Vec<usize> {
        let u = self.devices[d].user;
        assert_ne!(u, v);
        let me = self.devices[d].lists[u].address(self.devices[d].id);
        for _ in 0..4 * MAX_DEVICES + 2 {
            let dev = &mut self.devices[d];
            let mut theirs = std::mem::take(&mut dev.sessions[v]);
            let mut ours = std::mem::take(&mut dev.sessions[u]);
            let before = (theirs.clone(), ours.clone());
            let result = encrypt_for_devices(
                &mut self.rng,
                self.now,
                Outgoing::message(&self.bodies[p]),
                Some(&me),
                &mut [(&dev.lists[v], &mut theirs), (&dev.lists[u], &mut ours)],
            );
            if result.is_err() {
                assert!(
                    theirs == before.0 && ours == before.1,
                    "a failed encrypt_for_devices changed sessions"
                );
            }
            dev.sessions[v] = theirs;
            dev.sessions[u] = ours;
            match result {
                Ok(messages) => {
                    // Every device of both lists but ours, in list order.
                    let want: Vec<DeviceAddress> = [v, u]
                        .iter()
                        .flat_map(|&x| {
                            let list = &self.devices[d].lists[x];
                            list.devices()
                                .map(|(id, _)| list.address(id))
                                .collect::<Vec<_>>()
                        })
                        .filter(|a| *a != me)
                        .collect();
                    let got: Vec<DeviceAddress> =
                        messages.iter().map(|m| m.address.clone()).collect();
                    assert_eq!(got, want);
                    let mut out = Vec::new();
                    for m in messages {
                        let x = self.user_of(&m.address);
                        let to = self.server[x][&m.address.device_id()];
                        self.enqueue(d, to, p, m.sent.message);
                        out.push(self.envelopes.len() - 1);
                    }
                    return out;
                }
                Err(DeviceError::NoSession(address)) => {
                    let x = self.user_of(&address);
                    self.initiate(d, x, address.device_id());
                }
                Err(DeviceError::UnconfirmedIdentity(address)) => {
                    // The user accepts the new safety number.
                    let x = self.user_of(&address);
                    let id = address.device_id();
                    let list = &mut self.devices[d].lists[x];
                    let new = *list.announced_identity(id).unwrap();
                    list.confirm_identity(id, &new).unwrap();
                    self.stats.confirmed_on_send += 1;
                }
                Err(e) => panic!("device {d} sending to user {v}: {e:?}"),
            }
        }
        panic!("device {d} could not send to user {v}")
    }

    /// Offers envelope `e` to device `r` as its app would: with the key its
    /// list holds for the sender's device (`None`: the app refuses a device
    /// not in its list). If `confirm`, an identity change the message
    /// proves (a prekey message from the announced key) is confirmed by
    /// the user and the message tried again. A failure changes nothing.
    fn offer(
        &mut self,
        bytes: &[u8],
        from: usize,
        r: usize,
        confirm: bool,
    ) -> Option<(IdentityKey, Result<sealwire::Received, SessionError>)> {
        let (su, sid) = (self.devices[from].user, self.devices[from].id);
        loop {
            let expected = *self.devices[r].lists[su].identity(sid)?;
            let Device {
                sessions,
                identity,
                prekeys,
                lists,
                ..
            } = &mut self.devices[r];
            let before = (
                sessions[su].get(&sid).cloned().unwrap_or_default(),
                prekeys.clone(),
            );
            let sessions = sessions[su].entry(sid).or_default();
            let result = sessions.decrypt(identity, prekeys, &expected, self.now, bytes);
            if let Err(err) = &result {
                assert!(
                    *sessions == before.0 && *prekeys == before.1,
                    "a failed decrypt ({err:?}) at device {r} changed its state"
                );
                if confirm && *err == SessionError::UntrustedIdentity {
                    let announced = lists[su].announced_identity(sid).copied();
                    let proven = match Message::parse(bytes) {
                        Ok(Message::Prekey(p)) => Some(p.identity_key),
                        _ => None,
                    };
                    if let Some(new) = announced
                        && proven == Some(new)
                    {
                        lists[su].confirm_identity(sid, &new).unwrap();
                        self.stats.confirmed_on_receive += 1;
                        continue;
                    }
                }
            }
            return Some((expected, result));
        }
    }

    /// The first delivery of envelope `e`, to the live device of the
    /// address it was sent to.
    fn deliver(&mut self, e: usize) {
        assert_eq!(self.envelopes[e].status, Status::InFlight);
        self.tick(TICK_MS);
        let (from, to, p) = {
            let env = &self.envelopes[e];
            (env.from, env.to, env.body)
        };
        let (tu, tid) = (self.devices[to].user, self.devices[to].id);
        let Some(&r) = self.server[tu].get(&tid) else {
            // The device was removed: the server drops its mail.
            self.envelopes[e].status = Status::Delivered {
                owed: false,
                decrypted: false,
            };
            return;
        };
        let bytes = self.envelopes[e].bytes.clone();
        let sender_key = self.devices[from].key();
        let Some((expected, result)) = self.offer(&bytes, from, r, true) else {
            // The sending device left the receiver's list: the app refuses
            // mail from it.
            assert!(!self.devices[from].live);
            self.stats.refused_not_owed += 1;
            self.envelopes[e].status = Status::Delivered {
                owed: false,
                decrypted: false,
            };
            return;
        };
        let owed = r == to && expected == sender_key;
        match result {
            Ok(got) => {
                assert!(
                    owed,
                    "message {e} for device {to} from {from} decrypted at {r} (trusting {:?})",
                    expected == sender_key
                );
                assert_eq!(&got.plaintext[..], &self.bodies[p][..], "message {e}");
                assert_eq!(got.sender, sender_key);
                assert!(
                    self.decrypted.insert((p, r)),
                    "body {p} decrypted twice at device {r} (message {e})"
                );
                self.stats.decrypted += 1;
                self.envelopes[e].status = Status::Delivered {
                    owed,
                    decrypted: true,
                };
            }
            Err(err) => {
                self.envelopes[e].status = Status::Delivered {
                    owed,
                    decrypted: false,
                };
                if owed {
                    self.failures += 1;
                    self.stats.owed_failures += 1;
                    assert!(
                        !self.strict && self.disrupted(from, r),
                        "message {e} from device {from} to {r} failed: {err:?} \
                         (strict: {}, disrupted: {})",
                        self.strict,
                        self.disrupted(from, r)
                    );
                } else {
                    self.stats.refused_not_owed += 1;
                }
                if matches!(
                    err,
                    SessionError::NoSession | SessionError::AuthenticationFailed
                ) {
                    self.recover(e, r, owed);
                } else {
                    assert!(
                        !owed,
                        "message {e} from device {from} to {r}: {err:?} is no reason to recover"
                    );
                }
            }
        }
    }

    /// Device `r` could not decrypt envelope `e`: it asks the sender's
    /// device (the live one of its address) for a restart, which takes the
    /// request in and re-sends the message if it was owed.
    fn recover(&mut self, e: usize, r: usize, owed: bool) {
        let s = self.envelopes[e].from;
        let (su, sid) = (self.devices[s].user, self.devices[s].id);
        let (ru, rid) = (self.devices[r].user, self.devices[r].id);
        let Some(&s_live) = self.server[su].get(&sid) else {
            assert!(!owed || !self.devices[s].live);
            return;
        };
        let bytes = self.envelopes[e].bytes.clone();
        let (ratchet_key, counter) = header_of(&bytes);
        let peer = *self.devices[r].lists[su].identity(sid).unwrap();
        let request = loop {
            let Device {
                sessions, identity, ..
            } = &mut self.devices[r];
            let result = sessions[su]
                .entry(sid)
                .or_default()
                .recovery_request(identity, &peer, self.now, &bytes);
            match result {
                Ok(request) => break request,
                Err(DeviceError::TooManyRequests) => {
                    self.stats.requests_rate_limited += 1;
                    self.tick(RECOVERY_INTERVAL_MS);
                }
                Err(err) => panic!("device {r}'s recovery request: {err:?}"),
            }
        };
        self.stats.requests += 1;
        let r_key = self.devices[r].key();
        assert_eq!(*request.requester(), r_key);
        assert_eq!(*request.target(), peer);
        assert_eq!(*request.ratchet_key(), ratchet_key);
        assert_eq!(request.counter(), counter);
        assert_eq!(request.requested_at(), self.now);
        let wire = request.to_bytes();
        assert_eq!(wire.len(), RECOVERY_REQUEST_LEN);
        assert_eq!(RecoveryRequest::parse(&wire), Ok(request));

        // The sender's device: its list holds r's key (the user confirms a
        // pending change first).
        let us = self.devices[s_live].key();
        {
            let list = &mut self.devices[s_live].lists[ru];
            if list.announced_identity(rid) == Some(&r_key) {
                list.confirm_identity(rid, &r_key).unwrap();
            }
            assert_eq!(list.identity(rid), Some(&r_key));
        }
        let outcome = loop {
            let sessions = self.devices[s_live].sessions[ru].entry(rid).or_default();
            let before = sessions.clone();
            let outcome = sessions.accept_recovery_request(&us, &r_key, self.now, &wire);
            if outcome.is_err() {
                assert!(*sessions == before, "a refused request changed sessions");
            } else {
                // The same request again is a replay.
                let after = sessions.clone();
                assert_eq!(
                    sessions.accept_recovery_request(&us, &r_key, self.now, &wire),
                    Err(DeviceError::ReplayedRequest)
                );
                assert!(*sessions == after);
            }
            if outcome != Err(DeviceError::TooManyRequests) {
                break outcome;
            }
            self.stats.restarts_rate_limited += 1;
            self.tick(RECOVERY_INTERVAL_MS);
        };
        if peer != us {
            // Addressed to a key the device no longer has (the receiver
            // still trusts the earlier installation).
            assert_eq!(outcome, Err(DeviceError::NotForUs));
            assert_ne!(s_live, s);
            self.stats.not_for_us += 1;
            return;
        }
        if s_live != s {
            // A message of the device's earlier installation.
            assert!(!owed);
            assert_eq!(outcome, Err(DeviceError::UnknownSession));
            return;
        }
        match outcome {
            Ok(Recovery::Restart { counter: c }) => {
                assert_eq!(c, counter);
                assert!(
                    !self.devices[s].sessions[ru][&rid].has_current_with(&r_key),
                    "a restart stops the current session"
                );
                self.stats.restarts += 1;
            }
            Ok(Recovery::Resend { counter: c }) => {
                assert_eq!(c, counter);
                self.stats.resends += 1;
            }
            Err(DeviceError::UnknownSession) => self.stats.unknown_sessions += 1,
            other => panic!("device {s} taking device {r}'s request: {other:?}"),
        }
        // The app finds the message in its log by the request's fields (and
        // the device it was for) and sends it again.
        let found: Vec<usize> = self.devices[s]
            .log
            .iter()
            .copied()
            .filter(|&x| {
                let env = &self.envelopes[x];
                self.devices[env.to].key() == r_key
                    && header_of(&env.bytes) == (*request.ratchet_key(), request.counter())
            })
            .collect();
        if !owed {
            assert!(found.is_empty() || r != self.envelopes[e].to);
            return;
        }
        assert_eq!(found, [e], "the log names the lost message");
        self.resend(s, r, self.envelopes[e].body);
    }

    /// Device `s` sends body `p` again, to device `r` only.
    fn resend(&mut self, s: usize, r: usize, p: usize) {
        let (ru, rid) = (self.devices[r].user, self.devices[r].id);
        let expected = *self.devices[s].lists[ru].trusted_identity(rid).unwrap();
        for _ in 0..2 {
            let sessions = self.devices[s].sessions[ru].entry(rid).or_default();
            match sessions.encrypt(
                &mut self.rng,
                self.now,
                &expected,
                Outgoing::message(&self.bodies[p]),
            ) {
                Ok(sent) => {
                    self.enqueue(s, r, p, sent.message);
                    self.stats.resent += 1;
                    return;
                }
                Err(SessionError::NoSession) => self.initiate(s, ru, rid),
                Err(err) => panic!("device {s} re-sending to {r}: {err:?}"),
            }
        }
        panic!("device {s} could not re-send to {r}");
    }

    /// A second delivery of envelope `e` (to the live device of its
    /// address) fails and changes nothing.
    fn duplicate(&mut self, e: usize) {
        let Status::Delivered { owed, decrypted } = self.envelopes[e].status else {
            unreachable!()
        };
        let (from, to) = (self.envelopes[e].from, self.envelopes[e].to);
        let (tu, tid) = (self.devices[to].user, self.devices[to].id);
        let Some(&r) = self.server[tu].get(&tid) else {
            return;
        };
        let bytes = self.envelopes[e].bytes.clone();
        let sender_key = self.devices[from].key();
        if let Some((expected, result)) = self.offer(&bytes, from, r, false) {
            let err = match result {
                Ok(_) => panic!("message {e} decrypted twice at device {r}"),
                Err(err) => err,
            };
            // While the receiver holds the session and trusts the key:
            // exactly a duplicate.
            if owed
                && decrypted
                && r == to
                && expected == sender_key
                && self.devices[r].losses.is_empty()
            {
                assert_eq!(err, SessionError::DuplicateMessage, "message {e} again");
            }
            self.stats.duplicates_refused += 1;
        }
    }

    /// Envelope `e` delivered to device `w`, which it was not for: refused.
    fn wrong_device(&mut self, e: usize, w: usize) {
        let (from, to) = (self.envelopes[e].from, self.envelopes[e].to);
        let (tu, tid) = (self.devices[to].user, self.devices[to].id);
        if self.server[tu].get(&tid) == Some(&w) {
            return;
        }
        let bytes = self.envelopes[e].bytes.clone();
        if let Some((_, result)) = self.offer(&bytes, from, w, false) {
            assert!(
                result.is_err(),
                "message {e} for device {to} decrypted at device {w}"
            );
            self.stats.wrong_device_refused += 1;
        }
    }

    /// A tampered copy of envelope `e`, delivered to the live device of its
    /// address: refused, nothing changed.
    fn tamper(&mut self, e: usize, pos: Index, mask: u8) {
        let (from, to) = (self.envelopes[e].from, self.envelopes[e].to);
        let (tu, tid) = (self.devices[to].user, self.devices[to].id);
        let Some(&r) = self.server[tu].get(&tid) else {
            return;
        };
        let mut bytes = self.envelopes[e].bytes.clone();
        let at = pos.index(bytes.len());
        bytes[at] ^= mask;
        if let Some((_, result)) = self.offer(&bytes, from, r, false) {
            assert!(result.is_err(), "a tampered copy of message {e} decrypted");
            self.stats.tampered_refused += 1;
        }
    }

    fn in_flight(&self) -> Vec<usize> {
        (0..self.envelopes.len())
            .filter(|&e| self.envelopes[e].status == Status::InFlight)
            .collect()
    }

    fn delivered(&self) -> Vec<usize> {
        (0..self.envelopes.len())
            .filter(|&e| matches!(self.envelopes[e].status, Status::Delivered { .. }))
            .collect()
    }

    fn apply(&mut self, op: &Op) {
        self.step += 1;
        self.tick(TICK_MS);
        let live = self.live();
        match *op {
            Op::Send { from, to, len } => {
                let d = live[from.index(live.len())];
                let others: Vec<usize> = (0..self.users.len())
                    .filter(|&u| u != self.devices[d].user)
                    .collect();
                let v = others[to.index(others.len())];
                let p = self.new_body(len as usize);
                self.send(d, v, p);
            }
            Op::Simultaneous { a, b } => {
                let a = live[a.index(live.len())];
                let others: Vec<usize> = live
                    .iter()
                    .copied()
                    .filter(|&x| self.devices[x].user != self.devices[a].user)
                    .collect();
                let b = others[b.index(others.len())];
                let (ua, ub) = (self.devices[a].user, self.devices[b].user);
                let (ida, idb) = (self.devices[a].id, self.devices[b].id);
                let fresh = self.devices[a].sessions[ub]
                    .get(&idb)
                    .is_none_or(|s| s.current().is_none())
                    && self.devices[b].sessions[ua]
                        .get(&ida)
                        .is_none_or(|s| s.current().is_none());
                if fresh {
                    self.stats.simultaneous_initiations += 1;
                }
                let p = self.new_body(10);
                self.send(a, ub, p);
                let q = self.new_body(11);
                self.send(b, ua, q);
            }
            Op::Deliver(i) => {
                let q = self.in_flight();
                if !q.is_empty() {
                    self.deliver(q[i.index(q.len())]);
                }
            }
            Op::Drop(i) => {
                let q = self.in_flight();
                if !q.is_empty() {
                    self.envelopes[q[i.index(q.len())]].status = Status::Dropped;
                }
            }
            Op::Duplicate(i) => {
                let q = self.delivered();
                if !q.is_empty() {
                    self.duplicate(q[i.index(q.len())]);
                }
            }
            Op::WrongDevice { msg, to } => {
                if !self.envelopes.is_empty() {
                    let e = msg.index(self.envelopes.len());
                    self.wrong_device(e, live[to.index(live.len())]);
                }
            }
            Op::Tamper { msg, pos, mask } => {
                if !self.envelopes.is_empty() {
                    let e = msg.index(self.envelopes.len());
                    self.tamper(e, pos, mask);
                }
            }
            Op::Add(u) => {
                let u = u.index(self.users.len());
                let Some(id) = (1..=MAX_DEVICES as u32).find(|id| !self.server[u].contains_key(id))
                else {
                    return;
                };
                let d = self.install(u, id);
                self.server[u].insert(id, d);
                self.fresh_lists(d);
                self.propagate(u, id, d, true);
            }
            Op::Remove(i) => {
                let d = live[i.index(live.len())];
                let (u, id) = (self.devices[d].user, self.devices[d].id);
                if self.server[u].len() == 1 {
                    return;
                }
                self.devices[d].live = false;
                self.server[u].remove(&id);
                self.propagate(u, id, d, true);
            }
            Op::Reinstall {
                device,
                confirm_now,
            } => {
                let old = live[device.index(live.len())];
                let (u, id) = (self.devices[old].user, self.devices[old].id);
                self.devices[old].live = false;
                let d = self.install(u, id);
                self.server[u].insert(id, d);
                self.fresh_lists(d);
                self.propagate(u, id, d, confirm_now);
            }
            Op::LoseSessions(i) => {
                let d = live[i.index(live.len())];
                let dev = &mut self.devices[d];
                for s in &mut dev.sessions {
                    s.clear();
                }
                dev.losses.push(self.step);
            }
        }
    }

    /// Delivers everything queued (re-sends included), oldest first.
    fn drain(&mut self) {
        let mut e = 0;
        while e < self.envelopes.len() {
            if self.envelopes[e].status == Status::InFlight {
                self.deliver(e);
            }
            e += 1;
            assert!(e < 1_000_000, "delivery does not settle");
        }
    }

    /// One ping-pong round: every live device sends one message to every
    /// other user, delivered at once (with any recovery it sets off).
    /// Returns how many first deliveries failed.
    fn round(&mut self) -> usize {
        self.failures = 0;
        for d in self.live() {
            for v in 0..self.users.len() {
                if v == self.devices[d].user {
                    continue;
                }
                let p = self.new_body(20);
                self.send(d, v, p);
                self.drain();
            }
        }
        self.failures
    }

    fn finish(&mut self) {
        self.step += 1;
        self.drain();
        // The users accept every pending safety-number change.
        for d in self.live() {
            for list in &mut self.devices[d].lists {
                let pending: Vec<(u32, IdentityKey)> = list
                    .devices()
                    .filter_map(|(id, _)| list.announced_identity(id).map(|k| (id, *k)))
                    .collect();
                for (id, k) in pending {
                    list.confirm_identity(id, &k).unwrap();
                }
            }
        }
        // Healing: no user action from here on.
        let mut needed = 0;
        while self.round() > 0 {
            needed += 1;
            assert!(
                needed <= HEAL_ROUNDS,
                "still failing after {HEAL_ROUNDS} ping-pong rounds"
            );
        }
        self.stats.heal_rounds_needed = needed;
        // Healed: the next round decrypts everything at first delivery.
        self.strict = true;
        assert_eq!(self.round(), 0);
        self.check_end();
    }

    /// Every message owed to a device that is still live and that failed
    /// was re-sent and decrypted (unless the network dropped the re-send).
    fn check_end(&self) {
        for (e, env) in self.envelopes.iter().enumerate() {
            assert_ne!(env.status, Status::InFlight);
            if let Status::Delivered {
                owed: true,
                decrypted: false,
            } = env.status
            {
                let resent_dropped = self
                    .envelopes
                    .iter()
                    .any(|x| x.body == env.body && x.to == env.to && x.status == Status::Dropped);
                assert!(
                    self.decrypted.contains(&(env.body, env.to))
                        || !self.devices[env.from].live
                        || !self.devices[env.to].live
                        || resent_dropped,
                    "message {e}'s body never reached device {}",
                    env.to
                );
            }
        }
    }
}

fn run(seed: u64, sizes: &[usize], ops: &[Op]) -> Stats {
    let mut w = World::new(seed, sizes);
    for op in ops {
        w.apply(op);
    }
    w.finish();
    w.stats
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(32)
}

/// Schedule length: up to 60 actions, `DEVICES_MODEL_MAX_OPS` for longer.
fn max_ops() -> usize {
    std::env::var("DEVICES_MODEL_MAX_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60)
}

fn sizes() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(1..=MAX_DEVICES, 2..=3)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn devices_match_the_model(
        seed in any::<u64>(),
        sizes in sizes(),
        ops in proptest::collection::vec(op(), 1..max_ops()),
    ) {
        run(seed, &sizes, &ops);
    }
}

/// The model is not vacuous: over a fixed set of generated schedules it
/// goes through every path it checks.
#[test]
fn the_model_covers_every_path() {
    let mut runner = TestRunner::deterministic();
    let strategy = (
        any::<u64>(),
        sizes(),
        proptest::collection::vec(op(), 40..60),
    );
    let mut total = Stats::default();
    for _ in 0..12 {
        let (seed, sizes, ops) = strategy.new_tree(&mut runner).unwrap().current();
        total.add(&run(seed, &sizes, &ops));
    }
    let Stats {
        decrypted,
        refused_not_owed,
        owed_failures,
        duplicates_refused,
        wrong_device_refused,
        tampered_refused,
        simultaneous_initiations,
        initiations,
        confirmed_on_send,
        confirmed_on_receive,
        requests,
        requests_rate_limited,
        restarts,
        restarts_rate_limited: _,
        resends,
        unknown_sessions,
        not_for_us,
        resent,
        heal_rounds_needed: _,
    } = total;
    for (what, n) in [
        ("decrypted", decrypted),
        ("refused_not_owed", refused_not_owed),
        ("owed_failures", owed_failures),
        ("duplicates_refused", duplicates_refused),
        ("wrong_device_refused", wrong_device_refused),
        ("tampered_refused", tampered_refused),
        ("simultaneous_initiations", simultaneous_initiations),
        ("initiations", initiations),
        ("confirmed_on_send", confirmed_on_send),
        ("confirmed_on_receive", confirmed_on_receive),
        ("requests", requests),
        ("requests_rate_limited", requests_rate_limited),
        ("restarts", restarts),
        ("resends", resends),
        ("unknown_sessions", unknown_sessions),
        ("not_for_us", not_for_us),
        ("resent", resent),
    ] {
        assert!(n > 0, "the model never went through {what}: {total:#?}");
    }
}

// Focused tests of what the model found (tests/devices.rs holds the attack
// tests).

/// One device of the focused tests.
struct Solo {
    identity: IdentityKeyPair,
    prekeys: PrekeyStore,
}

impl Solo {
    fn new(rng: &mut DangerDeterministicRng) -> Self {
        let identity = IdentityKeyPair::generate(rng);
        let prekeys = PrekeyStore::new(&identity, rng);
        Self { identity, prekeys }
    }

    fn key(&self) -> IdentityKey {
        *self.identity.public()
    }

    /// Its bundle with a fresh one-time prekey.
    fn bundle(&mut self, rng: &mut DangerDeterministicRng) -> PrekeyBundle {
        let opk = self.prekeys.generate_one_time_prekeys(rng, 1)[0].id;
        let bytes = self
            .prekeys
            .bundle(&self.identity, Some(opk))
            .unwrap()
            .to_vec();
        PrekeyBundle::parse(&bytes).unwrap()
    }

    /// Decrypts `message` from `peer` in `sessions`; a failure must leave
    /// the sessions and prekeys as they were.
    fn receive(
        &mut self,
        sessions: &mut sealwire::devices::DeviceSessions,
        peer: &IdentityKey,
        now: Timestamp,
        message: &[u8],
    ) -> Result<Vec<u8>, SessionError> {
        let before = (sessions.clone(), self.prekeys.clone());
        let result = sessions.decrypt(&self.identity, &mut self.prekeys, peer, now, message);
        if result.is_err() {
            assert!(*sessions == before.0 && self.prekeys == before.1);
        }
        result.map(|r| r.plaintext.to_vec())
    }
}

/// Two devices, the first with the lower identity key (it leads the
/// tie-break of simultaneous initiation).
fn lead_and_follow(seed: u64) -> (DangerDeterministicRng, Solo, Solo) {
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let a = Solo::new(&mut rng);
    let b = Solo::new(&mut rng);
    if a.key().as_bytes() < b.key().as_bytes() {
        (rng, a, b)
    } else {
        (rng, b, a)
    }
}

fn send(
    rng: &mut DangerDeterministicRng,
    sessions: &mut sealwire::devices::DeviceSessions,
    peer: &IdentityKey,
    now: Timestamp,
    body: &[u8],
) -> Vec<u8> {
    sessions
        .encrypt(rng, now, peer, Outgoing::message(body))
        .unwrap()
        .message
}

fn is_prekey_message(bytes: &[u8]) -> bool {
    matches!(Message::parse(bytes), Ok(Message::Prekey(_)))
}

/// Regression (found by the model): a device that lost the session the
/// peer is still pending in received every further prekey message of it as
/// `UnknownOneTimePrekey` (its one-time prekey was consumed by the lost
/// session). That is no recovery candidate, and when the peer leads the
/// tie-break it keeps its pending session even after a session of ours
/// arrives, so the conversation stayed stuck for good. It is now
/// `NoSession`: the recovery request restarts the peer's session.
#[test]
fn a_lost_session_under_a_pending_peer_heals_by_restart() {
    let (mut rng, mut lead, mut follow) = lead_and_follow(14);
    let (lk, fk) = (lead.key(), follow.key());
    let mut at_lead = sealwire::devices::DeviceSessions::new();
    let mut at_follow = sealwire::devices::DeviceSessions::new();
    let bundle = follow.bundle(&mut rng);
    at_lead
        .initiate(&mut rng, &lead.identity, &fk, &bundle)
        .unwrap();
    let one = send(&mut rng, &mut at_lead, &fk, T0, b"one");
    assert_eq!(
        follow.receive(&mut at_follow, &lk, T0, &one).unwrap(),
        b"one"
    );

    // The follower loses its sessions (a restored backup); the leader,
    // still pending, sends a prekey message of the lost session.
    at_follow = sealwire::devices::DeviceSessions::new();
    let two = send(&mut rng, &mut at_lead, &fk, T0, b"two");
    assert!(is_prekey_message(&two));
    assert_eq!(
        follow.receive(&mut at_follow, &lk, T0, &two),
        Err(SessionError::NoSession)
    );

    // The follower starts a session of its own; the leader takes it in but
    // keeps sending in its own pending one (the tie-break), which the
    // follower cannot read: only a recovery request gets them out.
    let bundle = lead.bundle(&mut rng);
    at_follow
        .initiate(&mut rng, &follow.identity, &lk, &bundle)
        .unwrap();
    let hi = send(&mut rng, &mut at_follow, &lk, T0, b"hi");
    assert_eq!(lead.receive(&mut at_lead, &fk, T0, &hi).unwrap(), b"hi");
    assert!(!at_lead.current().unwrap().is_established());
    let three = send(&mut rng, &mut at_lead, &fk, T0, b"three");
    assert!(is_prekey_message(&three));
    assert_eq!(
        follow.receive(&mut at_follow, &lk, T0, &three),
        Err(SessionError::NoSession)
    );

    let t1 = Timestamp::from_unix_millis(T0.as_unix_millis() + 1_000);
    let request = at_follow
        .recovery_request(&follow.identity, &lk, t1, &three)
        .unwrap();
    assert_eq!(
        at_lead.accept_recovery_request(&lk, &fk, t1, &request.to_bytes()),
        Ok(Recovery::Restart {
            counter: header_of(&three).1
        })
    );
    assert!(at_lead.current().is_none());
    let bundle = follow.bundle(&mut rng);
    at_lead
        .initiate(&mut rng, &lead.identity, &fk, &bundle)
        .unwrap();
    let again = send(&mut rng, &mut at_lead, &fk, t1, b"three");
    assert_eq!(
        follow.receive(&mut at_follow, &lk, t1, &again).unwrap(),
        b"three"
    );

    // Healed: both settle on the leader's new session.
    let ok = send(&mut rng, &mut at_follow, &lk, t1, b"ok");
    assert!(!is_prekey_message(&ok));
    assert_eq!(lead.receive(&mut at_lead, &fk, t1, &ok).unwrap(), b"ok");
    let four = send(&mut rng, &mut at_lead, &fk, t1, b"four");
    assert!(!is_prekey_message(&four));
    assert_eq!(
        follow.receive(&mut at_follow, &lk, t1, &four).unwrap(),
        b"four"
    );
}

/// Regression, same cause: a peer pending under a signed prekey we have
/// since rotated out (its first messages were lost) got
/// `UnknownSignedPrekey` for every message; now `NoSession`, and the
/// recovery request restarts it.
#[test]
fn a_pending_peer_under_a_deleted_signed_prekey_heals_by_restart() {
    let (mut rng, mut a, mut b) = lead_and_follow(15);
    // Both ways round: whichever leads, the restart heals.
    for swap in [false, true] {
        if swap {
            std::mem::swap(&mut a, &mut b);
        }
        let (ak, bk) = (a.key(), b.key());
        let mut at_a = sealwire::devices::DeviceSessions::new();
        let mut at_b = sealwire::devices::DeviceSessions::new();
        let bundle = b.bundle(&mut rng);
        at_a.initiate(&mut rng, &a.identity, &bk, &bundle).unwrap();
        let _lost = send(&mut rng, &mut at_a, &bk, T0, b"lost");
        for _ in 0..sealwire::limits::MAX_SIGNED_PREKEYS {
            b.prekeys.rotate_signed_prekey(&b.identity, &mut rng);
        }
        let late = send(&mut rng, &mut at_a, &bk, T0, b"late");
        assert_eq!(
            b.receive(&mut at_b, &ak, T0, &late),
            Err(SessionError::NoSession)
        );
        let request = at_b.recovery_request(&b.identity, &ak, T0, &late).unwrap();
        assert_eq!(
            at_a.accept_recovery_request(&ak, &bk, T0, &request.to_bytes()),
            Ok(Recovery::Restart {
                counter: header_of(&late).1
            })
        );
        let bundle = b.bundle(&mut rng);
        at_a.initiate(&mut rng, &a.identity, &bk, &bundle).unwrap();
        let again = send(&mut rng, &mut at_a, &bk, T0, b"late");
        assert_eq!(b.receive(&mut at_b, &ak, T0, &again).unwrap(), b"late");
        let reply = send(&mut rng, &mut at_b, &ak, T0, b"reply");
        assert_eq!(a.receive(&mut at_a, &bk, T0, &reply).unwrap(), b"reply");
    }
}
