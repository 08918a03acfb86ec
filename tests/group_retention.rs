//! Groups and channels erase what they hold on schedule (SPEC.md §20.5):
//! skipped post keys and superseded chains, with the same
//! retention window as the 1:1 skipped keys (§10.5).
//!
//! - a skipped key is erased once older than the maximum age, or than the
//!   group's after-send TTL plus the grace, and not a millisecond before;
//! - a late post whose key was erased is `MessageKeyEvicted`, one of an
//!   erased chain `UnknownChain`, and the refusal leaves the state byte for
//!   byte unchanged (saved blobs compared);
//! - what is past its window is refused at receive even if no erasure ran;
//! - a sender's newest chain is never erased by time;
//! - `next_key_erasure` names the exact instant;
//! - the settings and times survive saving.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

use hmac::{Hmac, Mac};
use proptest::prelude::*;
use sha2::Sha256;

use sealwire::expiry::SKIPPED_KEY_GRACE_MS;
use sealwire::expiry::{ExpiryMode, ExpiryPolicy};
use sealwire::group::{ChannelOwner, ChannelSubscriber, Group, GroupError, GroupId};
use sealwire::limits::MAX_SKIPPED_KEY_AGE_MS;
use sealwire::persist::StateBlob;
use sealwire::testing::DangerDeterministicRng;
use sealwire::{IdentityKeyPair, Timestamp};

mod common;

use common::distribution_from;
use common::{T0, contains, group_refuses as refused};

const GID: GroupId = GroupId::from_bytes([0x52; 16]);
const HOUR: u64 = 60 * 60 * 1000;
const DAY: u64 = 24 * HOUR;

fn at(ms: u64) -> Timestamp {
    Timestamp::from_unix_millis(T0.as_unix_millis() + ms)
}

/// Alice (who posts) and Bob (who receives), members of one group, Bob
/// holding Alice's first chain.
struct Pair {
    rng: DangerDeterministicRng,
    alice_id: IdentityKeyPair,
    alice: Group,
    bob: Group,
}

impl Pair {
    fn new(seed: u64) -> Self {
        let mut rng = DangerDeterministicRng::from_u64(seed);
        let alice_id = IdentityKeyPair::generate(&mut rng);
        let bob_id = IdentityKeyPair::generate(&mut rng);
        let (alice, da) =
            Group::create_with_id(&mut rng, T0, GID, *alice_id.public(), &[*bob_id.public()])
                .unwrap();
        let (mut bob, _) =
            Group::create_with_id(&mut rng, T0, GID, *bob_id.public(), &[*alice_id.public()])
                .unwrap();
        assert!(
            bob.accept_distribution(T0, &distribution_from(&alice_id, T0, &da.body))
                .unwrap()
        );
        Self {
            rng,
            alice_id,
            alice,
            bob,
        }
    }

    fn post(&mut self, body: &[u8]) -> Vec<u8> {
        let p = self.alice.post(&mut self.rng, T0, body).unwrap();
        assert!(p.rotation.is_none());
        p.bytes
    }

    fn posts(&mut self, n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|i| self.post(&i.to_be_bytes())).collect()
    }

    /// Alice rotates; Bob accepts the new chain at `now`.
    fn rotate(&mut self, now: Timestamp) {
        let d = self.alice.rotate(&mut self.rng, T0);
        assert!(
            self.bob
                .accept_distribution(now, &distribution_from(&self.alice_id, now, &d.body))
                .unwrap()
        );
    }

    /// Alice sets an after-send timer of `ttl_secs`; Bob receives it at
    /// `now`.
    fn after_send(&mut self, ttl_secs: u32, now: Timestamp) {
        let policy = ExpiryPolicy::new(ExpiryMode::AfterSend, ttl_secs).unwrap();
        let (tc, _) = self
            .alice
            .set_timer(&mut self.rng, T0, Some(policy))
            .unwrap();
        assert!(
            self.bob
                .receive_post(now, &tc.bytes)
                .unwrap()
                .timer_change
                .is_some()
        );
    }
}

fn opens(g: &mut Group, now: Timestamp, post: &[u8]) {
    if let Err(e) = g.receive_post(now, post) {
        panic!("the post did not open: {e:?}");
    }
}

#[test]
fn skipped_keys_are_erased_after_the_maximum_age_and_not_before() {
    let mut p = Pair::new(1);
    let posts = p.posts(3);
    opens(&mut p.bob, at(5), &posts[2]);
    assert_eq!(p.bob.skipped_key_count(), 2);
    assert_eq!(p.bob.max_skipped_key_age(), MAX_SKIPPED_KEY_AGE_MS);
    let due = 5 + MAX_SKIPPED_KEY_AGE_MS + 1;
    assert_eq!(p.bob.next_key_erasure(), Some(at(due)));
    // At the last instant of the window: nothing is erased.
    p.bob.erase_expired_keys(at(due - 1));
    assert_eq!(p.bob.skipped_key_count(), 2);
    opens(&mut p.bob, at(due - 1), &posts[1]);
    assert_eq!(p.bob.skipped_key_count(), 1);
    // One millisecond later: erased, and the late post is refused.
    p.bob.erase_expired_keys(at(due));
    assert_eq!(p.bob.skipped_key_count(), 0);
    assert_eq!(p.bob.next_key_erasure(), None);
    refused(
        &mut p.bob,
        at(due),
        &posts[0],
        GroupError::MessageKeyEvicted,
    );
    // Still refused later, and a replay of a received post is a duplicate.
    refused(
        &mut p.bob,
        at(due + DAY),
        &posts[0],
        GroupError::MessageKeyEvicted,
    );
    refused(&mut p.bob, at(due), &posts[1], GroupError::DuplicatePost);
}

#[test]
fn skipped_keys_are_erased_after_ttl_plus_grace_and_not_before() {
    let mut p = Pair::new(2);
    p.after_send(60, T0);
    let posts = p.posts(3);
    opens(&mut p.bob, T0, &posts[2]);
    let window = 60_000 + SKIPPED_KEY_GRACE_MS;
    assert_eq!(p.bob.next_key_erasure(), Some(at(window + 1)));
    p.bob.erase_expired_keys(at(window));
    assert_eq!(p.bob.skipped_key_count(), 2);
    opens(&mut p.bob, at(window), &posts[1]);
    p.bob.erase_expired_keys(at(window + 1));
    assert_eq!(p.bob.skipped_key_count(), 0);
    refused(
        &mut p.bob,
        at(window + 1),
        &posts[0],
        GroupError::MessageKeyEvicted,
    );
}

#[test]
fn an_after_read_timer_keeps_keys_for_the_maximum_age() {
    let mut p = Pair::new(3);
    let policy = ExpiryPolicy::new(ExpiryMode::AfterRead, 60).unwrap();
    let (tc, _) = p.alice.set_timer(&mut p.rng, T0, Some(policy)).unwrap();
    opens(&mut p.bob, T0, &tc.bytes);
    let posts = p.posts(2);
    opens(&mut p.bob, T0, &posts[1]);
    assert_eq!(
        p.bob.next_key_erasure(),
        Some(at(MAX_SKIPPED_KEY_AGE_MS + 1))
    );
}

#[test]
fn a_key_past_its_window_is_refused_without_an_erasure() {
    let mut p = Pair::new(4);
    p.bob.set_max_skipped_key_age(T0, 1000);
    let posts = p.posts(3);
    opens(&mut p.bob, T0, &posts[2]);
    // No erasure has run: the keys are still held...
    assert_eq!(p.bob.skipped_key_count(), 2);
    // ...but one past its window counts as erased.
    refused(
        &mut p.bob,
        at(1001),
        &posts[0],
        GroupError::MessageKeyEvicted,
    );
    assert_eq!(p.bob.skipped_key_count(), 2);
    // A successful receive erases (its commit runs the erasure).
    let next = p.post(b"next");
    opens(&mut p.bob, at(1001), &next);
    assert_eq!(p.bob.skipped_key_count(), 0);
    refused(
        &mut p.bob,
        at(1001),
        &posts[1],
        GroupError::MessageKeyEvicted,
    );
}

#[test]
fn a_superseded_chain_is_erased_after_its_window() {
    let mut p = Pair::new(5);
    p.bob.set_max_skipped_key_age(T0, HOUR);
    let old = p.posts(4);
    opens(&mut p.bob, T0, &old[1]); // skips old[0]
    // Alice rotates; Bob takes the new chain a day later.
    p.rotate(at(DAY));
    assert_eq!(p.bob.chain_count(p.alice_id.public()), 2);
    // Accepting it erased the key skipped at T0 (its position is
    // remembered); the old chain is due an hour after it was superseded.
    assert_eq!(p.bob.skipped_key_count(), 0);
    refused(&mut p.bob, at(DAY), &old[0], GroupError::MessageKeyEvicted);
    assert_eq!(p.bob.next_key_erasure(), Some(at(DAY + HOUR + 1)));
    // Within the window the old chain still opens its late posts.
    opens(&mut p.bob, at(DAY + HOUR), &old[2]);
    // Past it, the chain counts as erased even before an erasure...
    refused(
        &mut p.bob,
        at(DAY + HOUR + 1),
        &old[3],
        GroupError::UnknownChain,
    );
    assert_eq!(p.bob.chain_count(p.alice_id.public()), 2);
    // ...and is gone after one, with its keys and eviction records.
    p.bob.erase_expired_keys(at(DAY + HOUR + 1));
    assert_eq!(p.bob.chain_count(p.alice_id.public()), 1);
    assert_eq!(p.bob.next_key_erasure(), None);
    refused(
        &mut p.bob,
        at(DAY + HOUR + 1),
        &old[3],
        GroupError::UnknownChain,
    );
    refused(
        &mut p.bob,
        at(DAY + HOUR + 1),
        &old[0],
        GroupError::UnknownChain,
    );
    // The new chain works.
    let new = p.post(b"new chain");
    opens(&mut p.bob, at(DAY + HOUR + 1), &new);
}

/// `KDF_CK` (SPEC.md §5.3): `(MK, CK')` from `CK`.
fn kdf_ck(ck: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let step = |byte: u8| {
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(ck).unwrap();
        mac.update(&[byte]);
        mac.finalize().into_bytes().to_vec()
    };
    (step(0x01), step(0x02))
}

#[test]
fn an_erased_chain_takes_its_skipped_keys_and_key_material_with_it() {
    let mut p = Pair::new(6);
    let first = p.alice.rotate(&mut p.rng, T0);
    assert!(
        p.bob
            .accept_distribution(T0, &distribution_from(&p.alice_id, T0, &first.body))
            .unwrap()
    );
    let old = p.posts(3);
    opens(&mut p.bob, T0, &old[2]);
    assert_eq!(p.bob.skipped_key_count(), 2);
    // Bob now holds MK_0 and MK_1 (skipped) and CK_3 of that chain.
    let ck0 = first.body[26..58].to_vec();
    let (mk0, ck1) = kdf_ck(&ck0);
    let (mk1, ck2) = kdf_ck(&ck1);
    let (_, ck3) = kdf_ck(&ck2);
    p.rotate(T0);
    let blob = p.bob.to_blob();
    for secret in [&mk0, &mk1, &ck3] {
        assert!(contains(&blob, secret));
    }
    p.bob.erase_expired_keys(at(MAX_SKIPPED_KEY_AGE_MS));
    assert_eq!(p.bob.chain_count(p.alice_id.public()), 3);
    p.bob.erase_expired_keys(at(MAX_SKIPPED_KEY_AGE_MS + 1));
    assert_eq!(p.bob.skipped_key_count(), 0);
    assert_eq!(p.bob.chain_count(p.alice_id.public()), 1);
    let blob = p.bob.to_blob();
    for secret in [&mk0, &mk1, &ck3] {
        assert!(
            !contains(&blob, secret),
            "an erased key is still in the state"
        );
    }
}

#[test]
fn the_current_chain_is_never_erased_by_time() {
    let mut p = Pair::new(7);
    p.bob.set_max_skipped_key_age(T0, 1);
    let posts = p.posts(2);
    // Years later: the one chain Bob holds is Alice's current chain.
    let late = 5 * 365 * DAY;
    p.bob.erase_expired_keys(at(late));
    assert_eq!(p.bob.chain_count(p.alice_id.public()), 1);
    assert_eq!(p.bob.next_key_erasure(), None);
    opens(&mut p.bob, at(late), &posts[1]);
    // Its skipped key, though, is erased.
    p.bob.erase_expired_keys(at(late + 2));
    assert_eq!(p.bob.skipped_key_count(), 0);
    refused(
        &mut p.bob,
        at(late + 2),
        &posts[0],
        GroupError::MessageKeyEvicted,
    );
    // After a rotation the new chain is current and the old one goes.
    p.rotate(at(late + 2));
    assert_eq!(p.bob.chain_count(p.alice_id.public()), 2);
    p.bob.erase_expired_keys(at(late + 4));
    assert_eq!(p.bob.chain_count(p.alice_id.public()), 1);
    let new = p.post(b"new");
    opens(&mut p.bob, at(100 * 365 * DAY), &new);
}

#[test]
fn the_senders_own_chain_is_replaced_on_rotation() {
    let mut p = Pair::new(8);
    let d = p.alice.rotate(&mut p.rng, T0);
    let old_id = u32::from_be_bytes(d.body[18..22].try_into().unwrap());
    let _ = p.post(b"one");
    let (_, ck1) = kdf_ck(&d.body[26..58]);
    assert!(contains(&p.alice.to_blob(), &ck1));
    let _ = p.alice.rotate(&mut p.rng, T0);
    // The old chain key is gone: the state holds one sending chain, the
    // new one.
    assert!(!contains(&p.alice.to_blob(), &ck1));
    assert_ne!(p.alice.sending_position(), (old_id, 1));
    assert_eq!(p.alice.sending_position().1, 0);
}

#[test]
fn widening_the_window_does_not_revive_what_was_due() {
    let mut p = Pair::new(9);
    p.bob.set_max_skipped_key_age(T0, 1000);
    let posts = p.posts(2);
    opens(&mut p.bob, T0, &posts[1]);
    // Due at T0 + 1001, not yet erased; widening it at T0 + 2000 erases
    // under the old window first.
    p.bob.set_max_skipped_key_age(at(2000), DAY);
    assert_eq!(p.bob.max_skipped_key_age(), DAY);
    assert_eq!(p.bob.skipped_key_count(), 0);
    refused(
        &mut p.bob,
        at(2000),
        &posts[0],
        GroupError::MessageKeyEvicted,
    );
    // Shortening it erases at once what is past the new window.
    let more = p.posts(2);
    opens(&mut p.bob, at(3000), &more[1]);
    assert_eq!(p.bob.skipped_key_count(), 1);
    p.bob.set_max_skipped_key_age(at(4000), 999);
    assert_eq!(p.bob.skipped_key_count(), 0);
}

#[test]
fn a_timer_change_applies_the_new_window_at_once() {
    let mut p = Pair::new(10);
    let posts = p.posts(2);
    opens(&mut p.bob, T0, &posts[1]);
    assert_eq!(p.bob.skipped_key_count(), 1);
    // Two hours later Alice sets a one-minute after-send timer: the key
    // (two hours old, window one minute plus one hour) is erased with the
    // timer change.
    p.after_send(60, at(2 * HOUR));
    assert_eq!(p.bob.skipped_key_count(), 0);
    refused(
        &mut p.bob,
        at(2 * HOUR),
        &posts[0],
        GroupError::MessageKeyEvicted,
    );
}

#[test]
fn our_own_timer_change_erases_too() {
    let mut p = Pair::new(11);
    let posts = p.posts(2);
    opens(&mut p.bob, T0, &posts[1]);
    let policy = ExpiryPolicy::new(ExpiryMode::AfterSend, 60).unwrap();
    let _ = p
        .bob
        .set_timer(&mut p.rng, at(2 * HOUR), Some(policy))
        .unwrap();
    assert_eq!(p.bob.skipped_key_count(), 0);
}

#[test]
fn retention_state_survives_saving() {
    let mut p = Pair::new(12);
    p.bob.set_max_skipped_key_age(T0, 3 * HOUR);
    let old = p.posts(3);
    opens(&mut p.bob, at(10), &old[2]);
    p.rotate(at(20));
    let blob = p.bob.to_blob();
    assert_eq!(blob[5], 3, "groups are written at format version 3");
    let mut restored = Group::from_blob(&blob).unwrap();
    assert_eq!(restored, p.bob);
    assert_eq!(restored.max_skipped_key_age(), 3 * HOUR);
    assert_eq!(restored.next_key_erasure(), Some(at(10 + 3 * HOUR + 1)));
    restored.erase_expired_keys(at(10 + 3 * HOUR + 1));
    assert_eq!(restored.skipped_key_count(), 0);
    assert_eq!(restored.next_key_erasure(), Some(at(20 + 3 * HOUR + 1)));
    // Canonical.
    assert_eq!(&Group::from_blob(&blob).unwrap().to_blob()[..], &blob[..]);
}

#[test]
fn channel_subscribers_erase_on_schedule() {
    let mut rng = DangerDeterministicRng::from_u64(13);
    let owner_id = IdentityKeyPair::generate(&mut rng);
    let sub_id = IdentityKeyPair::generate(&mut rng);
    let (mut owner, d) =
        ChannelOwner::create_with_id(&mut rng, T0, GID, *owner_id.public(), &[*sub_id.public()])
            .unwrap();
    let mut sub = ChannelSubscriber::new(GID, *sub_id.public(), *owner_id.public());
    assert_eq!(sub.next_key_erasure(), None);
    sub.accept_distribution(T0, &distribution_from(&owner_id, T0, &d.body))
        .unwrap();
    sub.set_max_skipped_key_age(T0, 1000);
    let posts: Vec<Vec<u8>> = (0..3)
        .map(|_| owner.post(&mut rng, T0, b"news").unwrap().bytes)
        .collect();
    sub.receive_post(T0, &posts[2]).unwrap();
    assert_eq!(sub.skipped_key_count(), 2);
    assert_eq!(sub.next_key_erasure(), Some(at(1001)));
    let before = sub.to_blob();
    assert_eq!(
        sub.receive_post(at(1001), &posts[0]).map(|_| ()),
        Err(GroupError::MessageKeyEvicted)
    );
    assert_eq!(&sub.to_blob()[..], &before[..]);
    sub.erase_expired_keys(at(1001));
    assert_eq!(sub.skipped_key_count(), 0);
    let d2 = owner.rotate(&mut rng, T0);
    sub.accept_distribution(at(5000), &distribution_from(&owner_id, at(5000), &d2.body))
        .unwrap();
    assert_eq!(sub.next_key_erasure(), Some(at(6001)));
    sub.erase_expired_keys(at(6001));
    assert_eq!(sub.chain_count(owner_id.public()), 1);
    let restored = ChannelSubscriber::from_blob(&sub.to_blob()).unwrap();
    assert_eq!(restored, sub);
    assert_eq!(restored.max_skipped_key_age(), 1000);
}

// ---------------------------------------------------------------------
// Any history: after `erase_expired_keys(now)` nothing is due at or
// before `now`, and what was kept is exactly what is within the window.

#[derive(Clone, Debug)]
enum Step {
    /// Alice posts this many times (Bob receives none of them yet).
    Post(u8),
    /// Bob receives Alice's post number `i` (modulo those made).
    Receive(usize),
    /// Alice rotates; Bob accepts.
    Rotate,
    /// Bob sets the maximum age.
    MaxAge(u64),
    /// Alice sets an after-send timer of this many seconds; Bob receives it.
    Timer(u32),
    /// Bob erases.
    Erase,
    /// The clock moves on.
    Wait(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1u8..4).prop_map(Step::Post),
        any::<usize>().prop_map(Step::Receive),
        Just(Step::Rotate),
        (0u64..3 * HOUR).prop_map(Step::MaxAge),
        (1u32..7200).prop_map(Step::Timer),
        Just(Step::Erase),
        (0u64..2 * HOUR).prop_map(Step::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn after_erasure_nothing_is_due_before_the_next_erasure(
        seed in any::<u64>(),
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let mut p = Pair::new(seed);
        let mut now = T0;
        let mut posts: Vec<Vec<u8>> = Vec::new();
        for s in steps {
            match s {
                Step::Post(n) => posts.extend(p.posts(usize::from(n))),
                Step::Receive(i) if !posts.is_empty() => {
                    let post = posts[i % posts.len()].clone();
                    let before = p.bob.clone();
                    if p.bob.receive_post(now, &post).is_err() {
                        prop_assert!(p.bob == before, "a refused post changed the group");
                    }
                }
                Step::Receive(_) => {}
                Step::Rotate => p.rotate(now),
                Step::MaxAge(ms) => p.bob.set_max_skipped_key_age(now, ms),
                Step::Timer(secs) => p.after_send(secs, now),
                Step::Erase => {
                    p.bob.erase_expired_keys(now);
                    if let Some(next) = p.bob.next_key_erasure() {
                        prop_assert!(next > now, "{next:?} is not after {now:?}");
                    }
                }
                Step::Wait(ms) => now = Timestamp::from_unix_millis(now.as_unix_millis() + ms),
            }
            prop_assert!(sealwire::testing::group_indexes_are_consistent(&p.bob));
            // Erasing at the next due instant removes something, and
            // erasing a millisecond before it removes nothing.
            if let Some(next) = p.bob.next_key_erasure() {
                let mut at_next = p.bob.clone();
                at_next.erase_expired_keys(next);
                prop_assert!(sealwire::testing::group_indexes_are_consistent(&at_next));
                prop_assert!(at_next != p.bob, "nothing was due at {next:?}");
                prop_assert!(at_next.next_key_erasure().is_none_or(|n| n > next));
                let mut just_before = p.bob.clone();
                just_before.erase_expired_keys(Timestamp::from_unix_millis(next.as_unix_millis() - 1));
                prop_assert!(just_before == p.bob, "something was due before {next:?}");
            }
        }
    }
}

/// The group seeds of the `restore_state` fuzz target are the frozen group
/// fixtures (plain, and as bodies behind a rebuilt header, v1 and v2), and
/// every seed of that target passes its checks (a loaded group erases what
/// is due and then holds nothing due before a later instant).
#[test]
fn restore_state_seeds_include_the_group_fixtures() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read(root.join(p)).unwrap();
    let seeds = "fuzz/corpus/restore_state";
    for (version, fixture) in [
        (1u8, read("tests/fixtures/state_v1/group.bin")),
        (2, read("tests/fixtures/state_v2/group.bin")),
    ] {
        let tag = if version == 1 { "" } else { "v2_" };
        let plain = read(&format!("{seeds}/plain_{tag}group.bin"));
        assert_eq!(plain, [&[0u8][..], &fixture].concat());
        let body = read(&format!("{seeds}/body_{tag}group.bin"));
        let mode = if version == 1 { 1 } else { 3 };
        assert_eq!(
            body,
            [&[mode, 0x06][..], &fixture[6..fixture.len() - 16]].concat()
        );
    }
    let mut n = 0;
    for entry in std::fs::read_dir(root.join(seeds)).unwrap() {
        sealwire_fuzz_fixtures::restore_state(&std::fs::read(entry.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n >= 22, "seed corpus missing");
}

/// A receive erases only its own sender's expired keys (its cost is bounded
/// by the per-sender caps, not by the group's size); another sender's keys
/// past their window are refused all the same, and go with the next
/// `erase_expired_keys` (SPEC.md §20.5).
#[test]
fn a_receive_erases_its_own_senders_keys_only() {
    let mut rng = DangerDeterministicRng::from_u64(77);
    let ids: Vec<IdentityKeyPair> = (0..3)
        .map(|_| IdentityKeyPair::generate(&mut rng))
        .collect();
    let keys: Vec<_> = ids.iter().map(|k| *k.public()).collect();
    let (mut carol, _) = Group::create_with_id(&mut rng, T0, GID, keys[2], &keys[..2]).unwrap();
    let mut senders = Vec::new();
    for i in 0..2 {
        let (g, d) = Group::create_with_id(&mut rng, T0, GID, keys[i], &[keys[2]]).unwrap();
        let got = distribution_from(&ids[i], T0, &d.body);
        assert!(carol.accept_distribution(T0, &got).unwrap());
        senders.push(g);
    }
    // Each sender's first post is skipped: one stored key per sender.
    let mut late = Vec::new();
    for g in &mut senders {
        late.push(g.post(&mut rng, T0, b"late").unwrap().bytes);
        let next = g.post(&mut rng, T0, b"next").unwrap().bytes;
        opens(&mut carol, T0, &next);
    }
    assert_eq!(carol.skipped_key_count(), 2);
    let after = at(MAX_SKIPPED_KEY_AGE_MS + 1);
    // A receive from sender 0 erases sender 0's key, not sender 1's.
    let p = senders[0].post(&mut rng, T0, b"now").unwrap().bytes;
    opens(&mut carol, after, &p);
    assert_eq!(carol.skipped_key_count(), 1);
    // Sender 1's key is past its window: refused, nothing changes.
    refused(&mut carol, after, &late[1], GroupError::MessageKeyEvicted);
    assert_eq!(carol.skipped_key_count(), 1);
    // The next erasure is sender 1's key, found without visiting every
    // sender.
    assert_eq!(
        carol.next_key_erasure(),
        Some(at(MAX_SKIPPED_KEY_AGE_MS + 1))
    );
    carol.erase_expired_keys(after);
    assert_eq!(carol.skipped_key_count(), 0);
    assert_eq!(carol.next_key_erasure(), None);
    assert!(sealwire::testing::group_indexes_are_consistent(&carol));
}
