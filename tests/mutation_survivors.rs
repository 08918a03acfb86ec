//! Tests that kill mutants which survived the suite (issue 20; see
//! mutants-report.md). Both sides of the group limits: the post body limit (`MAX_BODY_LEN`, SPEC.md §9) on `post`,
//! `post_content` and `post_into`, for a group and a channel, and the group
//! timer's version step (`MAX_TIMER_VERSION_STEP`, SPEC.md §10.2). A body of
//! exactly the limit is posted and opens; one byte over and far over are
//! `MessageTooLarge` before anything else is looked at (even a buffer too
//! small), and change nothing. A timer change exactly one step ahead is
//! applied; one past it is `InvalidPolicy` and changes nothing. And the
//! error types' messages, which an app shows.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{T0, distribution_from};
use sealwire::ContentType;
use sealwire::IdentityKeyPair;
use sealwire::expiry::{
    ConversationTimer, ExpiryMode, ExpiryPolicy, InvalidPolicy, MAX_TIMER_VERSION_STEP,
};
use sealwire::group::{ChannelOwner, ChannelSubscriber, Group, GroupError, GroupId};
use sealwire::hazmat;
use sealwire::limits::MAX_BODY_LEN;
use sealwire::testing::DangerDeterministicRng;

const GID: GroupId = GroupId::from_bytes([0x20; 16]);

/// Alice and Bob, members of one group, each holding the other's chain.
fn group_pair(seed: u64) -> (DangerDeterministicRng, Group, Group) {
    common::group_pair(seed, GID)
}

/// Bodies over the limit: one byte over, and far over.
fn too_long() -> [Vec<u8>; 2] {
    [
        vec![0x5a; MAX_BODY_LEN + 1],
        vec![0x5a; 3 * MAX_BODY_LEN + 7],
    ]
}

#[test]
fn a_group_post_of_exactly_the_body_limit_is_sent_and_opens() {
    let (mut rng, mut alice, mut bob) = group_pair(0x2001);
    let body = vec![0xa5; MAX_BODY_LEN];
    let p = alice.post(&mut rng, T0, &body).unwrap();
    assert!(p.rotation.is_none());
    let got = bob.receive_post(T0, &p.bytes).unwrap();
    assert_eq!(&got.plaintext[..], &body[..]);
    // post_content: the same limit for a receipt.
    let p = alice
        .post_content(&mut rng, T0, ContentType::Receipt, &body)
        .unwrap();
    let got = bob.receive_post(T0, &p.bytes).unwrap();
    assert_eq!(got.content_type, ContentType::Receipt);
    assert_eq!(got.plaintext.len(), MAX_BODY_LEN);
    // post_into, with a buffer of exactly post_len(MAX_BODY_LEN).
    let mut out = vec![0u8; alice.post_len(MAX_BODY_LEN)];
    let (n, rotation) = alice
        .post_into(&mut rng, T0, ContentType::UserMessage, &body, &mut out)
        .unwrap();
    assert!(rotation.is_none());
    assert_eq!(n, out.len());
    let got = bob.receive_post(T0, &out).unwrap();
    assert_eq!(&got.plaintext[..], &body[..]);
}

#[test]
fn a_group_post_over_the_body_limit_is_refused_and_changes_nothing() {
    let (mut rng, mut alice, mut bob) = group_pair(0x2002);
    let before = alice.clone();
    for body in too_long() {
        assert_eq!(
            alice.post(&mut rng, T0, &body).map(|_| ()),
            Err(GroupError::MessageTooLarge)
        );
        assert_eq!(
            alice
                .post_content(&mut rng, T0, ContentType::Receipt, &body)
                .map(|_| ()),
            Err(GroupError::MessageTooLarge)
        );
        // A buffer large enough for the body, and one far too small: the
        // body's length is checked first.
        for out_len in [alice.post_len(body.len()), 1, 0] {
            let mut out = vec![0u8; out_len];
            assert_eq!(
                alice
                    .post_into(&mut rng, T0, ContentType::UserMessage, &body, &mut out)
                    .map(|_| ()),
                Err(GroupError::MessageTooLarge),
                "post_into, body {}, buffer {out_len}",
                body.len()
            );
            assert!(out.iter().all(|b| *b == 0), "nothing written");
        }
        assert!(alice == before, "a refused post changed the group");
    }
    // The chain did not move: the next post is the first one.
    let p = alice.post(&mut rng, T0, b"after").unwrap();
    let got = bob.receive_post(T0, &p.bytes).unwrap();
    assert_eq!(got.iteration, 0);
}

#[test]
fn a_channel_post_has_the_same_body_limit() {
    let mut rng = DangerDeterministicRng::from_u64(0x2003);
    let o = IdentityKeyPair::generate(&mut rng);
    let s = IdentityKeyPair::generate(&mut rng);
    let (mut owner, d) =
        ChannelOwner::create_with_id(&mut rng, T0, GID, *o.public(), &[*s.public()]).unwrap();
    let mut sub = ChannelSubscriber::new(GID, *s.public(), *o.public());
    assert_eq!(
        sub.accept_distribution(T0, &distribution_from(&o, T0, &d.body)),
        Ok(true)
    );
    let before = owner.clone();
    for body in too_long() {
        assert_eq!(
            owner.post(&mut rng, T0, &body).map(|_| ()),
            Err(GroupError::MessageTooLarge)
        );
        let mut out = vec![0u8; 16];
        assert_eq!(
            owner
                .post_into(&mut rng, T0, ContentType::UserMessage, &body, &mut out)
                .map(|_| ()),
            Err(GroupError::MessageTooLarge)
        );
    }
    assert!(owner == before, "a refused post changed the channel");
    let body = vec![0x3c; MAX_BODY_LEN];
    let p = owner.post(&mut rng, T0, &body).unwrap();
    let got = sub.receive_post(T0, &p.bytes).unwrap();
    assert_eq!(got.iteration, 0);
    assert_eq!(&got.plaintext[..], &body[..]);
    let mut out = vec![0u8; owner.post_len(MAX_BODY_LEN)];
    let (n, _) = owner
        .post_into(&mut rng, T0, ContentType::UserMessage, &body, &mut out)
        .unwrap();
    let got = sub.receive_post(T0, &out[..n]).unwrap();
    assert_eq!(got.iteration, 1);
    assert_eq!(&got.plaintext[..], &body[..]);
}

fn timer_change(rng: &mut DangerDeterministicRng, from: &mut Group, version: u64) -> Vec<u8> {
    let timer = ConversationTimer {
        policy: Some(ExpiryPolicy::new(ExpiryMode::AfterSend, 60).unwrap()),
        version,
    };
    hazmat::danger_post_with_timer(from, rng, T0, ContentType::TimerChange, timer, b"")
        .unwrap()
        .bytes
}

/// The step is measured from the highest version seen, not from 0: after
/// a first change to `h`, exactly `h + step` is applied and `h + step + 1`
/// (and far beyond) refused, with the state unchanged; a user message
/// carrying a version past the step is refused the same way.
#[test]
fn the_group_timer_version_step_both_sides() {
    let (mut rng, mut alice, mut bob) = group_pair(0x2004);
    let h = 5;
    let first = bob.receive_post(T0, &timer_change(&mut rng, &mut alice, h));
    assert_eq!(first.unwrap().timer_change.unwrap().new.version, h);
    let before = bob.clone();
    for version in [
        h + MAX_TIMER_VERSION_STEP + 1,
        h + 2 * MAX_TIMER_VERSION_STEP,
        u64::MAX,
    ] {
        let over = timer_change(&mut rng, &mut alice.clone(), version);
        assert_eq!(
            bob.receive_post(T0, &over).unwrap_err(),
            GroupError::InvalidPolicy,
            "version {version}"
        );
        assert!(bob == before, "a refused change changed the group");
    }
    let at = timer_change(&mut rng, &mut alice, h + MAX_TIMER_VERSION_STEP);
    let got = bob.receive_post(T0, &at).unwrap();
    assert_eq!(
        got.timer_change.unwrap().new.version,
        h + MAX_TIMER_VERSION_STEP
    );
    // A user message past the step (from the new highest) is refused too.
    let timer = ConversationTimer {
        policy: None,
        version: h + 2 * MAX_TIMER_VERSION_STEP + 1,
    };
    let before = bob.clone();
    let over = hazmat::danger_post_with_timer(
        &mut alice.clone(),
        &mut rng,
        T0,
        ContentType::UserMessage,
        timer,
        b"x",
    )
    .unwrap()
    .bytes;
    assert_eq!(
        bob.receive_post(T0, &over).unwrap_err(),
        GroupError::InvalidPolicy
    );
    assert!(bob == before);
}

#[test]
fn an_invalid_policy_says_what_is_allowed() {
    let e = ExpiryPolicy::new(ExpiryMode::AfterSend, 0).unwrap_err();
    assert_eq!(e, InvalidPolicy);
    assert_eq!(
        e.to_string(),
        "expiry TTL must be between 1 second and 365 days"
    );
}

/// The attachment pointer's locator limit (`MAX_ATTACHMENT_LOCATOR_LEN`,
/// SPEC.md §19.8) from both sides: a locator of exactly the limit is
/// written and parses back; a pointer whose locator length field is one
/// over (with the bytes present) is `TooLarge`.
#[test]
fn an_attachment_locator_of_the_limit_parses_and_one_over_is_refused() {
    use sealwire::DecodeError;
    use sealwire::franking::{AttachmentError, AttachmentKey, AttachmentPointer};
    use sealwire::limits::MAX_ATTACHMENT_LOCATOR_LEN;
    let key = AttachmentKey::from_bytes([7; 32]);
    let at_max = vec![b'l'; MAX_ATTACHMENT_LOCATOR_LEN];
    let p = AttachmentPointer::new(key.clone(), b"file", b"", &at_max).unwrap();
    let bytes = p.to_vec();
    let back = AttachmentPointer::parse(&bytes).unwrap();
    assert_eq!(back.locator(), &at_max[..]);
    assert_eq!(&back.to_vec()[..], &bytes[..]);
    // Version, type, key, digest, size, media type length (0), then the
    // locator's u16 length at 75.
    let mut over = bytes[..75].to_vec();
    let len = u16::try_from(MAX_ATTACHMENT_LOCATOR_LEN + 1).unwrap();
    over.extend_from_slice(&len.to_be_bytes());
    over.extend(std::iter::repeat_n(b'l', MAX_ATTACHMENT_LOCATOR_LEN + 1));
    assert_eq!(
        AttachmentPointer::parse(&over).map(|_| ()),
        Err(AttachmentError::Malformed(DecodeError::TooLarge))
    );
    assert!(
        AttachmentPointer::new(key, b"file", b"", &[b'l'; MAX_ATTACHMENT_LOCATOR_LEN + 1]).is_err()
    );
}

/// An attachment pointer's Debug names what is public (digest, size,
/// media type, locator length) and never the key.
#[test]
fn an_attachment_pointer_debug_shows_the_public_fields_only() {
    use sealwire::franking::{AttachmentKey, AttachmentPointer};
    let key = AttachmentKey::from_bytes([0xab; 32]);
    let p = AttachmentPointer::new(key, b"file", b"image/png", b"loc").unwrap();
    let shown = format!("{p:?}");
    assert!(shown.starts_with("AttachmentPointer {"), "{shown}");
    assert!(shown.contains("size: 4"), "{shown}");
    assert!(shown.contains("locator_len: 3"), "{shown}");
    assert!(!shown.contains("abab"), "the key leaked: {shown}");
}

/// Franking keys compare by value (in constant time): equal bytes are
/// equal, one bit apart are not; Debug never shows the bytes.
#[test]
fn franking_keys_compare_by_value() {
    use sealwire::franking::FrankingKey;
    let a = FrankingKey::from_bytes([3; 32]);
    assert_eq!(a, FrankingKey::from_bytes([3; 32]));
    let mut other = [3; 32];
    other[31] ^= 1;
    assert_ne!(a, FrankingKey::from_bytes(other));
    assert_eq!(format!("{a:?}"), "FrankingKey(..)");
}

/// The hazmat relabelling of a chain's position says whether there was a
/// chain to relabel: an initiator's pending session has a sending chain
/// and no receiving one; a session that has just received on a new ratchet
/// key keeps no sending chain until it sends (SPEC.md §5.7).
#[test]
fn relabelling_a_chain_that_does_not_exist_says_so() {
    let mut rng = DangerDeterministicRng::from_u64(0x5e7);
    let a = IdentityKeyPair::generate(&mut rng);
    let b = IdentityKeyPair::generate(&mut rng);
    let (mut alice, mut bob) = sealwire::testing::session_pair(&mut rng, &a, &b, T0).unwrap();
    // Alice has just received Bob's reply: no sending chain yet.
    assert!(!hazmat::danger_set_sending_index(&mut alice, 5));
    assert!(hazmat::danger_set_receiving_index(&mut alice, 5));
    // Bob has sent: both chains.
    assert!(hazmat::danger_set_sending_index(&mut bob, 7));
    assert!(hazmat::danger_set_receiving_index(&mut bob, 7));
    // A pending session: sends, has received nothing.
    let store = sealwire::PrekeyStore::new(&b, &mut rng);
    let bundle = store.bundle(&b, None).unwrap();
    let mut pending = sealwire::PendingSession::initiate(&mut rng, &a, &bundle).unwrap();
    assert!(hazmat::danger_set_sending_index(&mut pending, 3));
    assert!(!hazmat::danger_set_receiving_index(&mut pending, 3));
}
