//! Several devices per user and sessions that heal (SPEC.md §21): the
//! behaviour of `sealwire::devices`, and every limit and bad input of the
//! issue as an attack against the public API.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::time::Duration;

use sealwire::devices::{
    DeviceError, DeviceEvent, DeviceList, DeviceSessions, Recovery, RecoveryRequest, UserSessions,
    encrypt_for_devices,
};
use sealwire::limits::{MAX_PREVIOUS_SESSIONS, RECOVERY_INTERVAL_MS, RECOVERY_REQUEST_LEN};
use sealwire::testing::DangerDeterministicRng;
use sealwire::wire::{TYPE_PREKEY, TYPE_RATCHET};
use sealwire::{
    DeviceAddress, IdentityKey, IdentityKeyPair, Outgoing, PrekeyBundle, PrekeyStore, SessionError,
    SessionRecord, Timestamp,
};

const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);

/// One device: its identity, prekeys, and its sessions with other devices.
struct Device {
    address: DeviceAddress,
    identity: IdentityKeyPair,
    prekeys: PrekeyStore,
    sessions: BTreeMap<DeviceAddress, DeviceSessions>,
}

impl Device {
    fn new(rng: &mut DangerDeterministicRng, user: &str, id: u32) -> Self {
        let identity = IdentityKeyPair::generate(rng);
        let mut prekeys = PrekeyStore::new(&identity, rng);
        prekeys.generate_one_time_prekeys(rng, 50);
        Self {
            address: DeviceAddress::new(user, id),
            identity,
            prekeys,
            sessions: BTreeMap::new(),
        }
    }

    fn key(&self) -> IdentityKey {
        *self.identity.public()
    }

    fn bundle(&self) -> PrekeyBundle {
        let otk = self.prekeys.one_time_prekeys().first().map(|k| k.id);
        self.prekeys.bundle(&self.identity, otk).unwrap()
    }

    fn sessions(&mut self, peer: &Device) -> &mut DeviceSessions {
        self.sessions.entry(peer.address.clone()).or_default()
    }

    /// Starts a session with `peer` from its bundle.
    fn initiate(&mut self, rng: &mut DangerDeterministicRng, peer: &Device) {
        let (identity, key, bundle) = (self.identity.clone(), peer.key(), peer.bundle());
        self.sessions(peer)
            .initiate(rng, &identity, &key, &bundle)
            .unwrap();
    }

    fn send(&mut self, rng: &mut DangerDeterministicRng, peer: &Device, body: &[u8]) -> Vec<u8> {
        let key = peer.key();
        self.sessions(peer)
            .encrypt(rng, T0, &key, Outgoing::message(body))
            .unwrap()
            .message
    }

    fn receive(&mut self, from: &Device, message: &[u8]) -> Result<Vec<u8>, SessionError> {
        let identity = self.identity.clone();
        let key = from.key();
        let mut prekeys = self.prekeys.clone();
        let sessions = self.sessions.entry(from.address.clone()).or_default();
        let r = sessions.decrypt(&identity, &mut prekeys, &key, T0, message)?;
        self.prekeys = prekeys;
        Ok(r.plaintext.to_vec())
    }
}

/// The lower and the higher of two devices by identity key (SPEC §21.3).
fn ordered(a: Device, b: Device) -> (Device, Device) {
    if a.key().as_bytes() < b.key().as_bytes() {
        (a, b)
    } else {
        (b, a)
    }
}

fn rng(n: u64) -> DangerDeterministicRng {
    DangerDeterministicRng::from_u64(n)
}

#[test]
fn one_message_reaches_every_device_of_the_peer_and_our_other_devices() {
    let mut rng = rng(1);
    let mut alice1 = Device::new(&mut rng, "alice", 1);
    let mut alice2 = Device::new(&mut rng, "alice", 2);
    let mut bobs: Vec<Device> = (1..=3).map(|d| Device::new(&mut rng, "bob", d)).collect();

    let mut bob_list = DeviceList::new("bob").unwrap();
    let entries: Vec<_> = bobs
        .iter()
        .map(|b| (b.address.device_id(), b.key()))
        .collect();
    let events = bob_list.update(&entries).unwrap();
    assert_eq!(events.len(), 3);
    assert!(matches!(events[0], DeviceEvent::Added { device: 1, .. }));
    let mut alice_list = DeviceList::new("alice").unwrap();
    alice_list
        .update(&[(1, alice1.key()), (2, alice2.key())])
        .unwrap();

    let mut to_bob: UserSessions = BTreeMap::new();
    // Without sessions nothing is sent and the first device is named.
    let err = encrypt_for_devices(
        &mut rng,
        T0,
        Outgoing::message(b"hi"),
        Some(&alice1.address),
        &mut [(&bob_list, &mut to_bob)],
    )
    .unwrap_err();
    assert_eq!(err, DeviceError::NoSession(DeviceAddress::new("bob", 1)));
    for b in &bobs {
        let mut s = DeviceSessions::new();
        s.initiate(&mut rng, &alice1.identity, &b.key(), &b.bundle())
            .unwrap();
        to_bob.insert(b.address.device_id(), s);
    }
    let mut to_me: UserSessions = BTreeMap::new();
    let mut s = DeviceSessions::new();
    s.initiate(&mut rng, &alice1.identity, &alice2.key(), &alice2.bundle())
        .unwrap();
    to_me.insert(2, s);

    let out = encrypt_for_devices(
        &mut rng,
        T0,
        Outgoing::message(b"hello, every device"),
        Some(&alice1.address),
        &mut [(&bob_list, &mut to_bob), (&alice_list, &mut to_me)],
    )
    .unwrap();
    let addresses: Vec<_> = out.iter().map(|m| m.address.to_string()).collect();
    assert_eq!(addresses, ["bob.1", "bob.2", "bob.3", "alice.2"]);
    // Debug shows where a message goes and its length, not its bytes.
    assert_eq!(
        format!("{:?}", out[0]),
        format!(
            "DeviceMessage {{ address: {:?}, len: {}, .. }}",
            out[0].address,
            out[0].sent.message.len()
        )
    );

    alice1.sessions.clear();
    for (m, b) in out.iter().zip(bobs.iter_mut()) {
        assert_eq!(
            b.receive(&alice1, &m.sent.message).unwrap(),
            b"hello, every device"
        );
    }
    assert_eq!(
        alice2.receive(&alice1, &out[3].sent.message).unwrap(),
        b"hello, every device"
    );
    // No device decrypts a message made for another one.
    let mut other = Device::new(&mut rng, "bob", 9);
    for (i, m) in out.iter().enumerate() {
        let wrong = &mut bobs[(i + 1) % 3];
        assert!(wrong.receive(&alice1, &m.sent.message).is_err());
        assert!(other.receive(&alice1, &m.sent.message).is_err());
    }
}

#[test]
fn a_failing_device_sends_nothing_to_any() {
    let mut rng = rng(2);
    let alice = Device::new(&mut rng, "alice", 1);
    let bobs: Vec<Device> = (1..=2).map(|d| Device::new(&mut rng, "bob", d)).collect();
    let mut list = DeviceList::new("bob").unwrap();
    list.update(&[(1, bobs[0].key()), (2, bobs[1].key())])
        .unwrap();
    let mut sessions: UserSessions = BTreeMap::new();
    for b in &bobs {
        let mut s = DeviceSessions::new();
        s.initiate(&mut rng, &alice.identity, &b.key(), &b.bundle())
            .unwrap();
        sessions.insert(b.address.device_id(), s);
    }
    let before = sessions.clone();
    // Bob's second device announces a new key: nothing goes out until the
    // app confirms it.
    let new_key = *IdentityKeyPair::generate(&mut rng).public();
    let events = list.update(&[(1, bobs[0].key()), (2, new_key)]).unwrap();
    assert_eq!(
        events,
        [DeviceEvent::IdentityChanged {
            device: 2,
            old: bobs[1].key(),
            new: new_key
        }]
    );
    let err = encrypt_for_devices(
        &mut rng,
        T0,
        Outgoing::message(b"x"),
        None,
        &mut [(&list, &mut sessions)],
    )
    .unwrap_err();
    assert_eq!(
        err,
        DeviceError::UnconfirmedIdentity(DeviceAddress::new("bob", 2))
    );
    assert!(sessions == before);
    // Confirmed: the old session is for another key, so a new one is needed.
    list.confirm_identity(2, &new_key).unwrap();
    let err = encrypt_for_devices(
        &mut rng,
        T0,
        Outgoing::message(b"x"),
        None,
        &mut [(&list, &mut sessions)],
    )
    .unwrap_err();
    assert_eq!(err, DeviceError::NoSession(DeviceAddress::new("bob", 2)));
    assert!(sessions == before);
    // A body over the limit fails on the first device and changes nothing.
    list.update(&[(1, bobs[0].key())]).unwrap();
    let big = vec![0u8; sealwire::limits::MAX_BODY_LEN + 1];
    let err = encrypt_for_devices(
        &mut rng,
        T0,
        Outgoing::message(&big),
        None,
        &mut [(&list, &mut sessions)],
    )
    .unwrap_err();
    assert_eq!(
        err,
        DeviceError::Session(DeviceAddress::new("bob", 1), SessionError::MessageTooLarge)
    );
    assert!(sessions == before);
}

#[test]
fn simultaneous_initiation_settles_on_the_lower_identitys_session() {
    for seed in 0..6 {
        let mut rng = rng(100 + seed);
        let a = Device::new(&mut rng, "a", 1);
        let b = Device::new(&mut rng, "b", 1);
        let (mut low, mut high) = ordered(a, b);
        // Both start at once; both first messages cross.
        low.initiate(&mut rng, &high);
        high.initiate(&mut rng, &low);
        let from_low = low.send(&mut rng, &high, b"low first");
        let from_high = high.send(&mut rng, &low, b"high first");
        assert_eq!(high.receive(&low, &from_low).unwrap(), b"low first");
        assert_eq!(low.receive(&high, &from_high).unwrap(), b"high first");
        // A late prekey message of the losing session still decrypts.
        let late = {
            let s = high.sessions(&low);
            assert_eq!(s.previous().len(), 1);
            let mut losing = s.previous().next().unwrap().clone();
            use sealwire::Encrypt;
            losing
                .encrypt(&mut rng, T0, Outgoing::message(b"late"))
                .unwrap()
                .message
        };
        assert_eq!(low.receive(&high, &late).unwrap(), b"late");

        // Both now send on the same session: each side's message decrypts
        // in the other's *current* session alone.
        for round in 0..3 {
            let m = high.send(&mut rng, &low, format!("h{round}").as_bytes());
            let mut current = low.sessions(&high).current().unwrap().clone();
            assert!(current.decrypt(T0, &m).is_ok(), "seed {seed} round {round}");
            assert_eq!(
                low.receive(&high, &m).unwrap(),
                format!("h{round}").as_bytes()
            );
            let m = low.send(&mut rng, &high, format!("l{round}").as_bytes());
            let mut current = high.sessions(&low).current().unwrap().clone();
            assert!(current.decrypt(T0, &m).is_ok(), "seed {seed} round {round}");
            assert_eq!(
                high.receive(&low, &m).unwrap(),
                format!("l{round}").as_bytes()
            );
        }
        assert!(low.sessions(&high).current().unwrap().is_established());
    }
}

/// Two devices (the lower identity key first) on one established session:
/// the lower initiated, one message each way.
fn one_session_both_ways(seed: u64) -> (DangerDeterministicRng, Device, Device) {
    let mut rng = rng(seed);
    let a = Device::new(&mut rng, "a", 1);
    let b = Device::new(&mut rng, "b", 1);
    let (mut low, mut high) = ordered(a, b);
    low.initiate(&mut rng, &high);
    let m = low.send(&mut rng, &high, b"1");
    high.receive(&low, &m).unwrap();
    let r = high.send(&mut rng, &low, b"2");
    low.receive(&high, &r).unwrap();
    (rng, low, high)
}

#[test]
fn the_higher_device_follows_a_previous_session_the_lower_still_uses() {
    let (mut rng, mut low, mut high) = one_session_both_ways(3);
    // High starts a second session on its own (say its app thought the
    // first was broken); low keeps its own (it leads) and goes on in it.
    high.initiate(&mut rng, &low);
    let restart = high.send(&mut rng, &low, b"3");
    assert_eq!(low.receive(&high, &restart).unwrap(), b"3");
    assert_eq!(low.sessions(&high).previous().len(), 1);
    let m = low.send(&mut rng, &high, b"4");
    assert_eq!(high.receive(&low, &m).unwrap(), b"4");
    // High followed: its current session is low's again.
    let m = high.send(&mut rng, &low, b"5");
    let mut current = low.sessions(&high).current().unwrap().clone();
    assert!(current.decrypt(T0, &m).is_ok());
}

/// Both devices on one session; then `restarter` starts a second one on
/// its own, and before that restart arrives `writer` writes on the first:
/// returns the kind of `restarter`'s next message (SPEC.md §21.3: the
/// higher device follows the peer back onto the first session, the lower
/// one, which leads, keeps its new one).
fn next_message_after_a_crossed_restart(seed: u64, higher_restarts: bool) -> u8 {
    let (mut rng, mut low, mut high) = one_session_both_ways(seed);
    let (restarter, writer) = if higher_restarts {
        (&mut high, &mut low)
    } else {
        (&mut low, &mut high)
    };
    restarter.initiate(&mut rng, writer);
    let m = writer.send(&mut rng, restarter, b"3");
    assert_eq!(restarter.receive(writer, &m).unwrap(), b"3");
    let next = restarter.send(&mut rng, writer, b"4");
    if next[1] == TYPE_RATCHET {
        // On the first session: the writer's current one decrypts it.
        let mut current = writer.sessions(restarter).current().unwrap().clone();
        assert!(current.decrypt(T0, &next).is_ok());
    }
    next[1]
}

#[test]
fn after_a_crossed_restart_the_higher_follows_back_and_the_lower_keeps_its_own() {
    assert_eq!(next_message_after_a_crossed_restart(21, true), TYPE_RATCHET);
    assert_eq!(next_message_after_a_crossed_restart(22, false), TYPE_PREKEY);
}

#[test]
fn a_restarted_peer_becomes_current_and_old_messages_still_decrypt() {
    let mut rng = rng(4);
    let mut alice = Device::new(&mut rng, "alice", 1);
    let mut bob = Device::new(&mut rng, "bob", 1);
    alice.initiate(&mut rng, &bob);
    let m1 = alice.send(&mut rng, &bob, b"one");
    bob.receive(&alice, &m1).unwrap();
    let r = bob.send(&mut rng, &alice, b"ack");
    alice.receive(&bob, &r).unwrap();
    let in_flight = alice.send(&mut rng, &bob, b"in flight");
    // Bob restarts; Alice's message of the old session arrives after.
    bob.initiate(&mut rng, &alice);
    let m2 = bob.send(&mut rng, &alice, b"new session");
    assert_eq!(alice.receive(&bob, &m2).unwrap(), b"new session");
    assert_eq!(bob.receive(&alice, &in_flight).unwrap(), b"in flight");
    // Decrypting twice is refused, in whichever session it belongs to.
    let before = bob.sessions(&alice).clone();
    assert!(bob.receive(&alice, &in_flight).is_err());
    assert!(bob.sessions(&alice).clone() == before);
}

/// A replayed ratchet message is recognised by the session that has its
/// ratchet key (receiving chain or closed chain), even when that session
/// is a previous one: the answer is `DuplicateMessage` from that session,
/// not the error of trying the current session first, and nothing changes.
#[test]
fn a_replay_is_told_a_duplicate_by_the_previous_session_that_knows_its_ratchet_key() {
    let mut rng = rng(14);
    let mut alice = Device::new(&mut rng, "alice", 1);
    let mut bob = Device::new(&mut rng, "bob", 1);
    alice.initiate(&mut rng, &bob);
    let m1 = alice.send(&mut rng, &bob, b"one");
    bob.receive(&alice, &m1).unwrap();
    let r1 = bob.send(&mut rng, &alice, b"r1");
    alice.receive(&bob, &r1).unwrap();
    // Alice's second chain: `closed` once her third chain arrives.
    let on_closed_chain = alice.send(&mut rng, &bob, b"two");
    bob.receive(&alice, &on_closed_chain).unwrap();
    let r2 = bob.send(&mut rng, &alice, b"r2");
    alice.receive(&bob, &r2).unwrap();
    let on_receiving_chain = alice.send(&mut rng, &bob, b"three");
    bob.receive(&alice, &on_receiving_chain).unwrap();
    // Bob restarts: the old session becomes a previous one.
    bob.initiate(&mut rng, &alice);
    let m2 = bob.send(&mut rng, &alice, b"new session");
    assert_eq!(alice.receive(&bob, &m2).unwrap(), b"new session");
    assert_eq!(bob.sessions(&alice).previous().len(), 1);
    // The new session gets a closed chain and a skipped key of its own
    // (under other ratchet keys): it must not claim the old messages.
    let a1 = alice.send(&mut rng, &bob, b"a1");
    bob.receive(&alice, &a1).unwrap();
    let b1 = bob.send(&mut rng, &alice, b"b1");
    alice.receive(&bob, &b1).unwrap();
    let _skipped = alice.send(&mut rng, &bob, b"a2 (skipped)");
    let a3 = alice.send(&mut rng, &bob, b"a3");
    bob.receive(&alice, &a3).unwrap();
    let b2 = bob.send(&mut rng, &alice, b"b2");
    alice.receive(&bob, &b2).unwrap();
    let a4 = alice.send(&mut rng, &bob, b"a4");
    bob.receive(&alice, &a4).unwrap();
    let Some(SessionRecord::Established(current)) = bob.sessions(&alice).current() else {
        panic!("Bob's new session is established");
    };
    assert_eq!(current.skipped_key_count(), 1);
    for replay in [&on_receiving_chain, &on_closed_chain] {
        let before = bob.sessions(&alice).clone();
        assert_eq!(
            bob.receive(&alice, replay),
            Err(SessionError::DuplicateMessage)
        );
        assert!(bob.sessions(&alice).clone() == before);
    }
}

/// `Debug` of a session shows the number of its next message (no key).
#[test]
fn a_session_debug_shows_the_next_message_number() {
    let mut rng = rng(15);
    let alice = Device::new(&mut rng, "alice", 1);
    let bob = Device::new(&mut rng, "bob", 1);
    let (mut a, mut b) = (alice, bob);
    a.initiate(&mut rng, &b);
    let m = a.send(&mut rng, &b, b"hi");
    b.receive(&a, &m).unwrap();
    for _ in 0..3 {
        b.send(&mut rng, &a, b"x");
    }
    let current = b.sessions(&a).current().unwrap().clone();
    let shown = format!("{current:?}");
    assert!(shown.contains("sending_index: Some(3)"), "{shown}");
    // The device's sessions: the current one, how many previous, the
    // recovery state.
    let all = b.sessions(&a);
    assert!(
        format!("{all:?}").starts_with(&format!(
            "DeviceSessions {{ current: Some({shown}), previous: 0, recovery: "
        )),
        "{all:?}"
    );
}

#[test]
fn previous_sessions_are_capped_at_the_limit_oldest_dropped() {
    let mut rng = rng(5);
    let mut alice = Device::new(&mut rng, "alice", 1);
    let mut bob = Device::new(&mut rng, "bob", 1);
    bob.prekeys.generate_one_time_prekeys(&mut rng, 100);
    let mut firsts = Vec::new();
    for i in 0..=MAX_PREVIOUS_SESSIONS {
        alice.initiate(&mut rng, &bob);
        let m = alice.send(&mut rng, &bob, format!("session {i}").as_bytes());
        bob.receive(&alice, &m).unwrap();
        let r = bob.send(&mut rng, &alice, format!("reply {i}").as_bytes());
        firsts.push(r);
    }
    let s = bob.sessions(&alice);
    assert_eq!(s.previous().len(), MAX_PREVIOUS_SESSIONS);
    assert_eq!(alice.sessions(&bob).previous().len(), MAX_PREVIOUS_SESSIONS);
    // One more session drops Alice's oldest: its reply no longer decrypts,
    // with a typed error and nothing changed.
    alice.initiate(&mut rng, &bob);
    assert_eq!(alice.sessions(&bob).previous().len(), MAX_PREVIOUS_SESSIONS);
    let before = alice.sessions(&bob).clone();
    let r = alice.receive(&bob, &firsts[0]);
    assert!(
        matches!(r, Err(SessionError::AuthenticationFailed)),
        "{r:?}"
    );
    assert!(alice.sessions(&bob).clone() == before);
    // The reply in the oldest session still held decrypts (the last of
    // the 40 previous sessions tried).
    assert_eq!(alice.receive(&bob, &firsts[1]).unwrap(), b"reply 1");
}

#[test]
fn a_message_from_an_unconfirmed_or_unknown_identity_is_refused_unchanged() {
    let mut rng = rng(6);
    let mut alice = Device::new(&mut rng, "alice", 1);
    let mut bob = Device::new(&mut rng, "bob", 1);
    let mallory = Device::new(&mut rng, "bob", 1);
    // Mallory (a new identity claiming bob.1) starts a session with Alice.
    let mut mal = DeviceSessions::new();
    mal.initiate(&mut rng, &mallory.identity, &alice.key(), &alice.bundle())
        .unwrap();
    let m = mal
        .encrypt(&mut rng, T0, &alice.key(), Outgoing::message(b"trust me"))
        .unwrap()
        .message;
    let prekeys_before = alice.prekeys.clone();
    // Alice's list holds Bob's key for bob.1: refused before any secret is
    // used; no one-time prekey consumed, no session made.
    assert_eq!(
        alice.receive(&bob, &m),
        Err(SessionError::UntrustedIdentity)
    );
    assert!(alice.prekeys == prekeys_before);
    assert_eq!(alice.sessions(&bob).current().map(|_| ()), None);
    // A session with the right key works.
    bob.initiate(&mut rng, &alice);
    let m = bob.send(&mut rng, &alice, b"real");
    assert_eq!(alice.receive(&bob, &m).unwrap(), b"real");
    // Initiating against a bundle of another key is refused.
    let mut s = DeviceSessions::new();
    assert_eq!(
        s.initiate(&mut rng, &alice.identity, &bob.key(), &mallory.bundle()),
        Err(SessionError::UntrustedIdentity)
    );
    assert!(s == DeviceSessions::new());
    // Sending when the device list now holds another key for the peer (its
    // identity changed): no session with that key, nothing sent or changed.
    let before = bob.sessions(&alice).clone();
    assert_eq!(
        bob.sessions(&alice)
            .encrypt(&mut rng, T0, &mallory.key(), Outgoing::message(b"x"))
            .map(|_| ()),
        Err(SessionError::NoSession)
    );
    assert!(*bob.sessions(&alice) == before);
    // current_mut reaches the current session (to set its timer, ...).
    let current = bob.sessions(&alice).current().cloned();
    assert!(bob.sessions(&alice).current_mut().map(|c| c.clone()) == current);
    // A single session (as a store that kept one per device loads it)
    // becomes the current one, with no previous.
    let record = current.unwrap();
    let single = DeviceSessions::from(record.clone());
    assert!(single.current() == Some(&record));
    assert_eq!(single.previous().len(), 0);
}

/// Alice and Bob with an established session; Bob then loses it.
fn lost_session(seed: u64) -> (DangerDeterministicRng, Device, Device, Vec<u8>) {
    let mut rng = rng(seed);
    let mut alice = Device::new(&mut rng, "alice", 1);
    let mut bob = Device::new(&mut rng, "bob", 1);
    alice.initiate(&mut rng, &bob);
    let m = alice.send(&mut rng, &bob, b"hi");
    bob.receive(&alice, &m).unwrap();
    let r = bob.send(&mut rng, &alice, b"hey");
    alice.receive(&bob, &r).unwrap();
    // Bob restores an old backup: the session is gone.
    bob.sessions.clear();
    let lost = alice.send(&mut rng, &bob, b"lost");
    assert_eq!(bob.receive(&alice, &lost), Err(SessionError::NoSession));
    (rng, alice, bob, lost)
}

#[test]
fn a_lost_session_heals_through_a_recovery_request() {
    let (mut rng, mut alice, mut bob, lost) = lost_session(7);
    let (bob_id, alice_key) = (bob.identity.clone(), alice.key());
    let request = bob
        .sessions(&alice)
        .recovery_request(&bob_id, &alice_key, T0, &lost)
        .unwrap();
    assert_eq!(request.counter(), 0);
    let bytes = request.to_bytes();
    assert_eq!(bytes.len(), RECOVERY_REQUEST_LEN);
    assert_eq!(RecoveryRequest::parse(&bytes), Ok(request));

    let (us, bob_key) = (alice.key(), bob.key());
    let outcome = alice
        .sessions(&bob)
        .accept_recovery_request(&us, &bob_key, T0, &bytes)
        .unwrap();
    assert_eq!(outcome, Recovery::Restart { counter: 0 });
    assert!(alice.sessions(&bob).current().is_none());
    // The app restarts and re-sends; Bob reads it and the session works
    // both ways.
    alice.initiate(&mut rng, &bob);
    let again = alice.send(&mut rng, &bob, b"lost");
    assert_eq!(bob.receive(&alice, &again).unwrap(), b"lost");
    let r = bob.send(&mut rng, &alice, b"got it");
    assert_eq!(alice.receive(&bob, &r).unwrap(), b"got it");
}

#[test]
fn recovery_requests_from_strangers_replays_and_for_unknown_sessions_are_refused() {
    let (mut rng, mut alice, mut bob, lost) = lost_session(8);
    let mallory = IdentityKeyPair::generate(&mut rng);
    let (us, bob_key, bob_id) = (alice.key(), bob.key(), bob.identity.clone());
    let good = bob
        .sessions(&alice)
        .recovery_request(&bob_id, &us, T0, &lost)
        .unwrap()
        .to_bytes();
    let before = alice.sessions(&bob).clone();

    // A stranger's request (signed by its own key) claiming to be Bob.
    let forged = DeviceSessions::new()
        .recovery_request(&mallory, &us, T0, &lost)
        .unwrap()
        .to_bytes();
    let s = alice.sessions(&bob);
    assert_eq!(
        s.accept_recovery_request(&us, &bob_key, T0, &forged),
        Err(DeviceError::AuthenticationFailed)
    );
    // Bob's request with the requester key swapped for Mallory's, and
    // every single-bit flip of the signed fields or the signature.
    for i in 2..RECOVERY_REQUEST_LEN {
        let mut b = good;
        b[i] ^= 0x01;
        let r = s.accept_recovery_request(&us, &bob_key, T0, &b);
        assert!(
            matches!(
                r,
                Err(DeviceError::AuthenticationFailed | DeviceError::Malformed(_))
            ),
            "byte {i}: {r:?}"
        );
    }
    // Wrong version, type, length.
    let mut b = good;
    b[0] = 2;
    assert!(matches!(
        s.accept_recovery_request(&us, &bob_key, T0, &b),
        Err(DeviceError::Malformed(_))
    ));
    assert!(matches!(
        s.accept_recovery_request(&us, &bob_key, T0, &good[..RECOVERY_REQUEST_LEN - 1]),
        Err(DeviceError::Malformed(_))
    ));
    let mut long = good.to_vec();
    long.push(0);
    assert!(matches!(
        s.accept_recovery_request(&us, &bob_key, T0, &long),
        Err(DeviceError::Malformed(_))
    ));
    // Addressed to someone else.
    let carol = IdentityKeyPair::generate(&mut rng);
    assert_eq!(
        s.accept_recovery_request(carol.public(), &bob_key, T0, &good),
        Err(DeviceError::NotForUs)
    );
    assert!(*s == before, "refused requests change nothing");

    // For a session Alice never had: a message of another conversation.
    let mut other = Device::new(&mut rng, "other", 1);
    other.initiate(&mut rng, &bob);
    let foreign = other.send(&mut rng, &bob, b"x");
    let unknown = DeviceSessions::new()
        .recovery_request(&bob_id, &us, T0, &foreign)
        .unwrap()
        .to_bytes();
    let s = alice.sessions(&bob);
    assert_eq!(
        s.accept_recovery_request(&us, &bob_key, T0, &unknown),
        Err(DeviceError::UnknownSession)
    );
    assert!(*s == before);

    // Accepted once; the same bytes again are a replay.
    assert!(s.accept_recovery_request(&us, &bob_key, T0, &good).is_ok());
    let after = s.clone();
    assert_eq!(
        s.accept_recovery_request(&us, &bob_key, T0, &good),
        Err(DeviceError::ReplayedRequest)
    );
    assert!(*s == after);
}

#[test]
fn recovery_is_rate_limited_on_both_sides() {
    let (mut rng, mut alice, mut bob, lost) = lost_session(9);
    let (us, bob_key, bob_id) = (alice.key(), bob.key(), bob.identity.clone());
    // The requester makes at most one request per interval per device.
    let first = bob
        .sessions(&alice)
        .recovery_request(&bob_id, &us, T0, &lost)
        .unwrap();
    let before = bob.sessions(&alice).clone();
    let just_before = T0
        .checked_add(Duration::from_millis(RECOVERY_INTERVAL_MS - 1))
        .unwrap();
    assert_eq!(
        bob.sessions(&alice)
            .recovery_request(&bob_id, &us, just_before, &lost),
        Err(DeviceError::TooManyRequests)
    );
    assert!(*bob.sessions(&alice) == before);
    let at = T0
        .checked_add(Duration::from_millis(RECOVERY_INTERVAL_MS))
        .unwrap();
    let second = bob
        .sessions(&alice)
        .recovery_request(&bob_id, &us, at, &lost)
        .unwrap();

    // The sender restarts at most once per interval, however many valid
    // requests arrive.
    let s = alice.sessions(&bob);
    assert_eq!(
        s.accept_recovery_request(&us, &bob_key, T0, &first.to_bytes()),
        Ok(Recovery::Restart { counter: 0 })
    );
    alice.initiate(&mut rng, &bob);
    let new_msg = alice.send(&mut rng, &bob, b"new");
    // A request naming the new session, too soon after the restart.
    let bob_sessions = bob.sessions(&alice);
    let mut fresh = DeviceSessions::new();
    let third = fresh
        .recovery_request(&bob_id, &us, at, &new_msg)
        .unwrap()
        .to_bytes();
    let _ = bob_sessions;
    let s = alice.sessions(&bob);
    let before = s.clone();
    assert_eq!(
        s.accept_recovery_request(&us, &bob_key, just_before, &third),
        Err(DeviceError::TooManyRequests)
    );
    assert!(*s == before);
    // The older session's request is only a re-send hint now.
    assert_eq!(
        s.accept_recovery_request(&us, &bob_key, just_before, &second.to_bytes()),
        Ok(Recovery::Resend { counter: 0 })
    );
    let s = alice.sessions(&bob);
    let mut third_later = DeviceSessions::new();
    let later = T0
        .checked_add(Duration::from_millis(2 * RECOVERY_INTERVAL_MS + 1))
        .unwrap();
    let third = third_later
        .recovery_request(&bob_id, &us, later, &new_msg)
        .unwrap()
        .to_bytes();
    assert!(matches!(
        s.accept_recovery_request(&us, &bob_key, later, &third),
        Ok(Recovery::Restart { .. })
    ));
}

/// Bob reinstalls with a new identity key, which Alice confirms. A message
/// Alice sent to the old key reaches the new installation, which cannot
/// read it and asks for a re-send: the request names a session with the
/// old key, so it names no session with the requester (`UnknownSession`,
/// nothing changed), whether that session is still current or already
/// previous. What was sent to the old key is never re-sent because the
/// new key asks.
#[test]
fn a_new_identity_cannot_ask_for_what_was_sent_to_the_old_one() {
    let (mut rng, mut alice, bob, lost) = lost_session(12);
    let new_bob = Device::new(&mut rng, "bob", 1);
    let (us, new_key) = (alice.key(), new_bob.key());
    let mut list = DeviceList::new("bob").unwrap();
    list.update(&[(1, bob.key())]).unwrap();
    list.update(&[(1, new_key)]).unwrap();
    list.confirm_identity(1, &new_key).unwrap();
    assert_eq!(list.trusted_identity(1), Ok(&new_key));
    let request = DeviceSessions::new()
        .recovery_request(&new_bob.identity, &us, T0, &lost)
        .unwrap()
        .to_bytes();
    // The old session is still current.
    let s = alice.sessions(&bob);
    let before = s.clone();
    assert_eq!(
        s.accept_recovery_request(&us, &new_key, T0, &request),
        Err(DeviceError::UnknownSession)
    );
    assert!(*s == before);
    // Alice starts a session with the new key: the old one is previous.
    alice.initiate(&mut rng, &new_bob);
    let s = alice.sessions(&bob);
    assert_eq!(s.previous().len(), 1);
    let before = s.clone();
    assert_eq!(
        s.accept_recovery_request(&us, &new_key, T0, &request),
        Err(DeviceError::UnknownSession)
    );
    assert!(*s == before);
}

#[test]
fn a_recovery_request_for_garbage_is_a_typed_error() {
    let mut rng = rng(10);
    let id = IdentityKeyPair::generate(&mut rng);
    let peer = *IdentityKeyPair::generate(&mut rng).public();
    let mut s = DeviceSessions::new();
    for bad in [&b""[..], &[2, 1][..], &[0xff; 40][..]] {
        assert!(matches!(
            s.recovery_request(&id, &peer, T0, bad),
            Err(DeviceError::Malformed(_))
        ));
    }
    assert!(s == DeviceSessions::new(), "no request was counted");
    for len in 0..RECOVERY_REQUEST_LEN + 2 {
        let bytes = vec![0x5a; len];
        assert!(RecoveryRequest::parse(&bytes).is_err());
    }
    // SPEC §21.4: the length is checked first: longer is TooLarge, a
    // valid prefix shorter is Truncated.
    use sealwire::DecodeError;
    let mut ok = vec![0u8; RECOVERY_REQUEST_LEN];
    ok[0] = sealwire::devices::RECOVERY_VERSION;
    ok[1] = sealwire::devices::TYPE_RECOVERY_REQUEST;
    assert_eq!(
        RecoveryRequest::parse(&[ok.clone(), vec![0]].concat()),
        Err(DeviceError::Malformed(DecodeError::TooLarge))
    );
    assert_eq!(
        RecoveryRequest::parse(&ok[..2]),
        Err(DeviceError::Malformed(DecodeError::Truncated))
    );
}

#[test]
fn debug_shows_no_key_material() {
    let (_, alice, _, _) = lost_session(11);
    let s = alice.sessions.values().next().unwrap();
    let text = format!("{s:?}");
    assert!(text.contains("DeviceSessions"));
    assert!(text.contains("previous: 0"));
}

/// The seed corpora of the `device_decrypt` and `recovery_request` fuzz
/// targets, from `sealwire_fuzz_fixtures::DevicesFixture`: written with
/// `SEALWIRE_BLESS_FUZZ=1 cargo test --test devices seed_corpus`; every
/// seed is run through the targets' checks here, and the valid ones must
/// succeed (a fixture that stopped decrypting would fuzz nothing).
#[test]
fn device_fuzz_seed_corpus() {
    use sealwire_fuzz_fixtures::{DevicesFixture, FIXTURE_NOW};
    let f = DevicesFixture::new();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let (messages, request) = f.samples.split_at(f.samples.len() - 1);
    assert_eq!(messages.len(), 8);
    for (i, m) in messages.iter().enumerate() {
        let mut s = f.sessions.clone();
        let mut p = f.bob_prekeys.clone();
        let r = s.decrypt(&f.bob, &mut p, &f.alice, FIXTURE_NOW, m);
        // The prekey messages were all read when the fixture was built
        // (a second time is a duplicate); each session's next message is new.
        if i % 2 == 1 {
            assert!(r.is_ok(), "sample {i}: {r:?}");
        } else {
            assert_eq!(
                r.map(|_| ()),
                Err(SessionError::DuplicateMessage),
                "sample {i}"
            );
        }
    }
    let mut s = f.sessions.clone();
    assert!(
        s.accept_recovery_request(f.bob.public(), &f.alice, FIXTURE_NOW, &request[0])
            .is_ok()
    );
    if std::env::var_os("SEALWIRE_BLESS_FUZZ").is_some() {
        for (target, seeds) in [("device_decrypt", messages), ("recovery_request", request)] {
            let dir = root.join(target);
            std::fs::create_dir_all(&dir).unwrap();
            for (i, seed) in seeds.iter().enumerate() {
                std::fs::write(dir.join(format!("sample_{i}")), seed).unwrap();
            }
        }
    }
    for target in ["device_decrypt", "recovery_request"] {
        let mut n = 0;
        for entry in std::fs::read_dir(root.join(target)).unwrap() {
            let data = std::fs::read(entry.unwrap().path()).unwrap();
            match target {
                "device_decrypt" => f.decrypt(&data),
                _ => f.recovery_request(&data),
            }
            n += 1;
        }
        assert!(n >= 1, "{target}: seed corpus missing");
    }
}

#[test]
fn a_group_distribution_reaches_every_member_device_and_no_other() {
    use sealwire::group::Group;
    let mut rng = rng(12);
    let mut alice1 = Device::new(&mut rng, "alice", 1);
    let mut alice2 = Device::new(&mut rng, "alice", 2);
    let mut bobs: Vec<Device> = (1..=2).map(|d| Device::new(&mut rng, "bob", d)).collect();
    let every = [alice1.key(), alice2.key(), bobs[0].key(), bobs[1].key()];
    let others: Vec<_> = every[1..].to_vec();
    let (mut group, dist) = Group::create(&mut rng, T0, alice1.key(), &others).unwrap();

    let mut bob_list = DeviceList::new("bob").unwrap();
    bob_list
        .update(&[(1, bobs[0].key()), (2, bobs[1].key())])
        .unwrap();
    let mut alice_list = DeviceList::new("alice").unwrap();
    alice_list
        .update(&[(1, alice1.key()), (2, alice2.key())])
        .unwrap();
    let mut to_bob: UserSessions = BTreeMap::new();
    for b in &bobs {
        let mut s = DeviceSessions::new();
        s.initiate(&mut rng, &alice1.identity, &b.key(), &b.bundle())
            .unwrap();
        to_bob.insert(b.address.device_id(), s);
    }
    let mut to_me: UserSessions = BTreeMap::new();
    let mut s = DeviceSessions::new();
    s.initiate(&mut rng, &alice1.identity, &alice2.key(), &alice2.bundle())
        .unwrap();
    to_me.insert(2, s);

    // A third device of Bob's, not a member: nothing goes to anyone.
    let bob3 = Device::new(&mut rng, "bob", 3);
    let mut with_stranger = bob_list.clone();
    with_stranger
        .update(&[(1, bobs[0].key()), (2, bobs[1].key()), (3, bob3.key())])
        .unwrap();
    let before = to_bob.clone();
    assert_eq!(
        dist.encrypt_for_devices(
            &mut rng,
            T0,
            Some(&alice1.address),
            &mut [(&with_stranger, &mut to_bob)],
        ),
        Err(DeviceError::Session(
            DeviceAddress::new("bob", 3),
            SessionError::SessionMismatch
        ))
    );
    assert!(to_bob == before);

    let out = dist
        .encrypt_for_devices(
            &mut rng,
            T0,
            Some(&alice1.address),
            &mut [(&bob_list, &mut to_bob), (&alice_list, &mut to_me)],
        )
        .unwrap();
    assert_eq!(out.len(), 3);
    let post = group.post(&mut rng, T0, b"to the group").unwrap().bytes;
    let receivers: Vec<&mut Device> = bobs.iter_mut().chain([&mut alice2]).collect();
    for (device, m) in receivers.into_iter().zip(&out) {
        let identity = device.identity.clone();
        let mut prekeys = device.prekeys.clone();
        let received = device
            .sessions
            .entry(alice1.address.clone())
            .or_default()
            .decrypt(&identity, &mut prekeys, &alice1.key(), T0, &m.sent.message)
            .unwrap();
        let members: Vec<_> = every
            .iter()
            .filter(|k| **k != device.key())
            .copied()
            .collect();
        let (mut mine, _) =
            Group::create_with_id(&mut rng, T0, group.id(), device.key(), &members).unwrap();
        assert_eq!(mine.accept_distribution(T0, &received), Ok(true));
        let got = mine.receive_post(T0, &post).unwrap();
        assert_eq!(&got.plaintext[..], b"to the group");
        assert_eq!(got.sender, alice1.key());
    }
    alice1.sessions.clear();
}
