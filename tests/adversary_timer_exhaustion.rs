//! Attack: exhausting the conversation timer's version space (SPEC.md
//! §10.2). With 32-bit versions a peer or group member could push the
//! version to `u32::MAX` with about 4.2 million messages (each raising it by
//! `MAX_TIMER_VERSION_STEP` = 1024), after which our own `set_timer` failed
//! forever with `CounterOverflow`. Versions are 64-bit now: the same attack
//! needs 2^54 messages, state left behind by the old attack (a 32-bit
//! ceiling in an old blob) loads and `set_timer` works, and the 64-bit
//! ceiling is a typed error, never a panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

mod common;

use common::legacy;
use common::{T0, established};
use sealwire::ContentType;
use sealwire::expiry::MAX_TIMER_VERSION_STEP;
use sealwire::expiry::{ConversationTimer, ExpiryMode, ExpiryPolicy};
use sealwire::group::{Group, GroupError, GroupId};
use sealwire::hazmat;
use sealwire::persist::StateBlob;
use sealwire::testing::DangerDeterministicRng;
use sealwire::{Encrypt, Outgoing, Session, SessionError};

fn policy() -> Option<ExpiryPolicy> {
    Some(ExpiryPolicy::new(ExpiryMode::AfterSend, 60).unwrap())
}

fn timer(version: u64) -> ConversationTimer {
    ConversationTimer {
        policy: policy(),
        version,
    }
}

/// The attacker's timer-change message at `version`.
fn session_change(rng: &mut DangerDeterministicRng, from: &mut Session, version: u64) -> Vec<u8> {
    hazmat::danger_encrypt_with_timer(
        from,
        rng,
        T0.as_unix_millis(),
        ContentType::TimerChange,
        timer(version),
        b"",
    )
    .unwrap()
}

#[test]
fn the_space_takes_2_pow_54_maximal_steps() {
    // Each message raises the highest version seen by at most the step, so
    // reaching the ceiling from 0 takes at least u64::MAX / step messages.
    assert_eq!(MAX_TIMER_VERSION_STEP, 1024);
    assert_eq!(u64::MAX / MAX_TIMER_VERSION_STEP, (1u64 << 54) - 1);
    // The old ceiling was reached after 2^22 (4.2 million) such messages.
    assert_eq!(u64::from(u32::MAX) / MAX_TIMER_VERSION_STEP, (1 << 22) - 1);
}

#[test]
fn a_peer_raises_the_version_by_at_most_the_step_per_message() {
    let (mut s, mut alice, mut bob) = established(0x7100);
    let rounds = 200u64;
    for i in 1..=rounds {
        let highest = (i - 1) * MAX_TIMER_VERSION_STEP;
        // One more than the step: refused after authentication, nothing
        // changed (sent from a copy, so the real message reuses the slot).
        let over = session_change(
            &mut s.rng,
            &mut bob.clone(),
            highest + MAX_TIMER_VERSION_STEP + 1,
        );
        let before = alice.clone();
        assert_eq!(
            alice.decrypt(T0, &over).unwrap_err(),
            SessionError::InvalidPolicy
        );
        assert!(alice == before, "a refused change changed the session");
        // Exactly the step: adopted.
        let m = session_change(&mut s.rng, &mut bob, highest + MAX_TIMER_VERSION_STEP);
        let got = alice.decrypt(T0, &m).unwrap();
        assert_eq!(
            got.timer_change.unwrap().new.version,
            i * MAX_TIMER_VERSION_STEP
        );
    }
    assert_eq!(alice.timer().version, rounds * MAX_TIMER_VERSION_STEP);
    // Our own change still works, one above the highest seen (the
    // attacker's client, which never recorded its forged versions, is of
    // no concern).
    let before = alice.clone();
    let (_, change) = alice.set_timer(&mut s.rng, T0, None).unwrap();
    assert_eq!(change.new.version, rounds * MAX_TIMER_VERSION_STEP + 1);
    assert_eq!(change.old, before.timer());
}

/// What the old attack left behind: both sides' blobs (old format, 32-bit
/// versions) at `u32::MAX`. They load, widen, and `set_timer` goes past the
/// old ceiling; the peer accepts the change.
#[test]
fn sessions_left_at_the_u32_ceiling_by_the_old_attack_still_change_the_timer() {
    let (mut s, alice, bob) = established(0x7101);
    let load = |session: &Session| {
        let mut old = legacy::session_as_v3(&session.to_blob(), [0x5a; 32]);
        let at = legacy::session_timer_at(&old);
        legacy::set_u32_versions(&mut old, at, u32::MAX, u32::MAX);
        assert_eq!(old[5], 3, "an old-format blob");
        let loaded = Session::from_blob(&old).unwrap();
        assert_eq!(loaded.timer().version, u64::from(u32::MAX));
        loaded
    };
    let (mut alice, mut bob) = (load(&alice), load(&bob));
    let (m, change) = alice.set_timer(&mut s.rng, T0, policy()).unwrap();
    assert_eq!(change.new.version, 1 << 32);
    let got = bob.decrypt(T0, &m).unwrap();
    assert_eq!(got.timer_change.unwrap().new, timer(1 << 32));
    let (m, _) = bob.set_timer(&mut s.rng, T0, None).unwrap();
    alice.decrypt(T0, &m).unwrap();
    assert_eq!(alice.timer().version, (1 << 32) + 1);
    // Saved again, the widened versions persist (current format).
    let blob = alice.to_blob();
    assert_eq!(blob[5], 5);
    assert_eq!(Session::from_blob(&blob).unwrap(), alice);
}

/// At the 64-bit ceiling: the peer can reach it (the step saturates), and
/// then our `set_timer` is `CounterOverflow` with nothing changed; no
/// version beyond it can be encoded.
#[test]
fn the_u64_ceiling_is_a_typed_error() {
    let (mut s, alice, bob) = established(0x7102);
    let near = |session: &Session| {
        let mut blob = session.to_blob().to_vec();
        let at = legacy::session_timer_at(&blob);
        legacy::set_u64_versions(&mut blob, at, u64::MAX - 10, u64::MAX - 10);
        Session::from_blob(&blob).unwrap()
    };
    let (mut alice, mut bob) = (near(&alice), near(&bob));
    let m = session_change(&mut s.rng, &mut bob, u64::MAX);
    alice.decrypt(T0, &m).unwrap();
    assert_eq!(alice.timer().version, u64::MAX);
    let before = alice.clone();
    assert_eq!(
        alice.set_timer(&mut s.rng, T0, None).unwrap_err(),
        SessionError::CounterOverflow
    );
    assert!(alice == before);
    // Ordinary traffic carries on at the ceiling, both ways.
    let m = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"still here"))
        .unwrap()
        .message;
    assert_eq!(&bob.decrypt(T0, &m).unwrap().plaintext[..], b"still here");
    let m = bob
        .encrypt(&mut s.rng, T0, Outgoing::message(b"me too"))
        .unwrap()
        .message;
    assert_eq!(&alice.decrypt(T0, &m).unwrap().plaintext[..], b"me too");
}

// ---------------------------------------------------------------------
// Groups: a member pushing the group's timer version.

const GID: GroupId = GroupId::from_bytes([0x7e; 16]);

/// Alice and Mallory, members of one group, each holding the other's chain.
fn group_pair(seed: u64) -> (DangerDeterministicRng, Group, Group) {
    common::group_pair(seed, GID)
}

fn group_change(rng: &mut DangerDeterministicRng, from: &mut Group, version: u64) -> Vec<u8> {
    hazmat::danger_post_with_timer(from, rng, T0, ContentType::TimerChange, timer(version), b"")
        .unwrap()
        .bytes
}

#[test]
fn a_member_raises_the_group_version_by_at_most_the_step_per_post() {
    let (mut rng, mut alice, mut mallory) = group_pair(0x7200);
    let rounds = 200u64;
    for i in 1..=rounds {
        let highest = (i - 1) * MAX_TIMER_VERSION_STEP;
        let over = group_change(
            &mut rng,
            &mut mallory.clone(),
            highest + MAX_TIMER_VERSION_STEP + 1,
        );
        let before = alice.clone();
        assert_eq!(
            alice.receive_post(T0, &over).unwrap_err(),
            GroupError::InvalidPolicy
        );
        assert!(alice == before, "a refused change changed the group");
        let p = group_change(&mut rng, &mut mallory, highest + MAX_TIMER_VERSION_STEP);
        let got = alice.receive_post(T0, &p).unwrap();
        assert_eq!(
            got.timer_change.unwrap().new.version,
            i * MAX_TIMER_VERSION_STEP
        );
    }
    let (_, change) = alice.set_timer(&mut rng, T0, None).unwrap();
    assert_eq!(change.new.version, rounds * MAX_TIMER_VERSION_STEP + 1);
}

#[test]
fn groups_left_at_the_u32_ceiling_still_change_the_timer() {
    let (mut rng, alice, mallory) = group_pair(0x7201);
    let load = |g: &Group| {
        let mut old = legacy::group_as_v2(&g.to_blob());
        let at = legacy::group_timer_at(&old);
        legacy::set_u32_versions(&mut old, at, u32::MAX, u32::MAX);
        assert_eq!(old[5], 2, "an old-format blob");
        let loaded = Group::from_blob(&old).unwrap();
        assert_eq!(loaded.timer().version, u64::from(u32::MAX));
        loaded
    };
    let (mut alice, mut mallory) = (load(&alice), load(&mallory));
    let (p, change) = alice.set_timer(&mut rng, T0, policy()).unwrap();
    assert_eq!(change.new.version, 1 << 32);
    let got = mallory.receive_post(T0, &p.bytes).unwrap();
    assert_eq!(got.timer_change.unwrap().new, timer(1 << 32));
    let blob = alice.to_blob();
    assert_eq!(blob[5], 3);
    assert_eq!(Group::from_blob(&blob).unwrap(), alice);
}

#[test]
fn the_group_u64_ceiling_is_a_typed_error() {
    let (mut rng, alice, mallory) = group_pair(0x7202);
    let near = |g: &Group| {
        let mut blob = g.to_blob().to_vec();
        let at = legacy::group_timer_at(&blob);
        legacy::set_u64_versions(&mut blob, at, u64::MAX - 10, u64::MAX - 10);
        Group::from_blob(&blob).unwrap()
    };
    let (mut alice, mut mallory) = (near(&alice), near(&mallory));
    let p = group_change(&mut rng, &mut mallory, u64::MAX);
    alice.receive_post(T0, &p).unwrap();
    assert_eq!(alice.timer().version, u64::MAX);
    let before = alice.clone();
    assert_eq!(
        alice.set_timer(&mut rng, T0, None).unwrap_err(),
        GroupError::CounterOverflow
    );
    assert!(alice == before);
    let p = alice.post(&mut rng, T0, b"still here").unwrap();
    assert_eq!(
        &mallory.receive_post(T0, &p.bytes).unwrap().plaintext[..],
        b"still here"
    );
}
