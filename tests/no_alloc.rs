//! The caller-buffer path allocates nothing: after warm-up,
//! `Session::encrypt_into` followed by `Session::decrypt_in_place` of
//! in-chain messages makes zero heap allocations, and so do a group's
//! `post_into` and `receive_post_in_place` of a post in an established
//! chain (or of a post whose key was stored when it was skipped). A post
//! that skips ahead allocates for the keys it skips, and only that (at
//! most three allocations: the exactly sized keys, the sender's store
//! growing, one node of the erasure index).
//!
//! Every allocation of the process goes through a counting global allocator
//! (`sealwire-counting-alloc`, a tiny workspace member: implementing
//! `GlobalAlloc` needs an `unsafe impl`, which the workspace forbids in this
//! package's targets). The counters are per thread, so the other tests the
//! harness runs in parallel do not disturb a window. A control shows the
//! counter sees allocations; the allocating `encrypt`/`decrypt` make
//! exactly one each, of the message's length.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

use sealwire::group::{ChannelOwner, ChannelSubscriber, Group, GroupId, RotationPolicy};
use sealwire::persist::StateBlob;
use sealwire::testing::{DangerDeterministicRng, session_pair};
use sealwire::{ContentType, Encrypt, IdentityKeyPair, Outgoing, Received, Session, Timestamp};
use sealwire_counting_alloc::{CountingAlloc, allocated_bytes, count_allocations};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);

/// Messages sent in each direction inside a measured window.
const MESSAGES_PER_WINDOW: usize = 16;

/// Two established sessions with Alice's current chain started.
fn established(seed: u64) -> (DangerDeterministicRng, Session, Session) {
    sealwire::testing::in_chain_pair(seed, T0).unwrap()
}

/// One message from `from` to `to` through the caller-buffer API; returns
/// its message number. Allocates nothing itself.
fn send(
    rng: &mut DangerDeterministicRng,
    from: &mut Session,
    to: &mut Session,
    body: &[u8],
    wire: &mut [u8],
) -> u32 {
    let n = from
        .encrypt_into(rng, T0, Outgoing::message(body), wire)
        .unwrap()
        .len;
    assert_eq!(n, wire.len());
    let got = to.decrypt_in_place(T0, &mut wire[..n]).unwrap();
    assert!(got.body == body);
    got.message_number
}

/// Warms up `from`'s sending chain (the first message may turn the
/// ratchet), then counts the allocations of `MESSAGES_PER_WINDOW` in-chain
/// messages from `from` to `to`; asserts there are none and that the
/// messages were consecutive in one chain.
fn assert_in_chain_window_allocates_nothing(
    rng: &mut DangerDeterministicRng,
    from: &mut Session,
    to: &mut Session,
    body: &[u8],
    wire: &mut [u8],
) {
    let mut first = 0;
    for _ in 0..2 {
        first = send(rng, from, to, body, wire) + 1;
    }
    let (last, allocations) = count_allocations(|| {
        let mut last = 0;
        for _ in 0..MESSAGES_PER_WINDOW {
            last = send(rng, from, to, body, wire);
        }
        last
    });
    assert_eq!(
        allocations,
        0,
        "encrypt_into + decrypt_in_place of {}-byte in-chain messages allocated",
        body.len()
    );
    assert!(first >= 1, "the warm-up ended inside a chain");
    assert_eq!(
        last,
        first + MESSAGES_PER_WINDOW as u32 - 1,
        "the window stayed in one chain"
    );
}

fn assert_no_allocation_in_chain(body_len: usize) {
    let (mut rng, mut alice, mut bob) = established(body_len as u64);
    let body: Vec<u8> = (0..body_len).map(|i| i as u8).collect();
    let mut wire = vec![0u8; alice.encrypted_len(body_len, false)];
    assert_eq!(bob.encrypted_len(body_len, false), wire.len());
    // Alice to Bob, then Bob to Alice (his warm-up turns the ratchet).
    assert_in_chain_window_allocates_nothing(&mut rng, &mut alice, &mut bob, &body, &mut wire);
    assert_in_chain_window_allocates_nothing(&mut rng, &mut bob, &mut alice, &body, &mut wire);
}

#[test]
fn in_chain_100_bytes_allocates_nothing() {
    assert_no_allocation_in_chain(100);
}

#[test]
fn in_chain_1_kib_allocates_nothing() {
    assert_no_allocation_in_chain(1024);
}

#[test]
fn in_chain_64_kib_allocates_nothing() {
    assert_no_allocation_in_chain(64 * 1024);
}

/// A message that skips keys plans them in one buffer of exactly the
/// number skipped (no growth: each growth would be an allocation, and a
/// moving allocator a copy of keys to wipe), and the store takes them in
/// one more: two allocations for 100 skipped keys in the current chain, and
/// for 100 skipped across a ratchet turn.
#[test]
fn skipping_keys_allocates_the_plan_once_and_the_store_once() {
    let (mut rng, mut alice, mut bob) = established(0x5c1);
    let mut wire = vec![0u8; alice.encrypted_len(16, false)];
    // In the current chain: 100 sent, Bob reads the last.
    let mut last = Vec::new();
    for _ in 0..101 {
        let n = alice
            .encrypt_into(&mut rng, T0, Outgoing::message(&[1; 16]), &mut wire)
            .unwrap()
            .len;
        last = wire[..n].to_vec();
    }
    let ((), allocations) = count_allocations(|| {
        bob.decrypt_in_place(T0, &mut last).unwrap();
    });
    assert_eq!(bob.skipped_key_count(), 100);
    assert_eq!(allocations, 2, "100 skipped keys in the chain");

    // Across a ratchet turn: 30 more in Alice's old chain that Bob never
    // reads, his reply turns her ratchet, 70 in her new chain, Bob reads
    // the 71st: 30 + 70 skipped, planned together.
    let mut send = |from: &mut Session, wire: &mut Vec<u8>| -> Vec<u8> {
        let n = from
            .encrypt_into(&mut rng, T0, Outgoing::message(&[2; 16]), wire)
            .unwrap()
            .len;
        wire[..n].to_vec()
    };
    for _ in 0..30 {
        send(&mut alice, &mut wire);
    }
    let mut reply = send(&mut bob, &mut wire);
    alice.decrypt_in_place(T0, &mut reply).unwrap();
    let mut last = Vec::new();
    for _ in 0..71 {
        last = send(&mut alice, &mut wire);
    }
    let ((), allocations) = count_allocations(|| {
        bob.decrypt_in_place(T0, &mut last).unwrap();
    });
    assert_eq!(bob.skipped_key_count(), 200);
    assert_eq!(allocations, 2, "100 skipped keys across a ratchet turn");

    // Saving the session reserves its skipped keys' room up front: the
    // blob writer never grows (each growth is a copy to wipe).
    let bytes = allocated_bytes();
    let (blob, allocations) = count_allocations(|| bob.to_blob());
    let reserved = allocated_bytes() - bytes;
    // The writer's first 256 bytes, then one growth to the blob's length
    // and at most 512 more: no further growth.
    assert_eq!(allocations, 2, "to_blob of 200 skipped keys");
    assert!(
        reserved <= blob.len() as u64 + 512,
        "to_blob reserved {reserved} bytes for a {}-byte blob",
        blob.len()
    );
}

#[test]
fn control_the_counter_sees_allocations() {
    let (v, allocations) = count_allocations(|| Vec::<u8>::with_capacity(1));
    drop(v);
    assert_eq!(allocations, 1);
}

/// The allocating path: `encrypt` makes exactly one allocation, of the
/// message's length (its capacity is its length: no reallocation, no
/// intermediate buffer); `decrypt` makes exactly one, of the message's
/// length, decrypted in place, which becomes the plaintext (cut to the
/// body: the body is not copied into a second buffer).
#[test]
fn the_allocating_path_makes_one_allocation_of_the_right_size() {
    for body_len in [100, 64 * 1024] {
        let (mut rng, mut alice, mut bob) = established(7);
        let body: Vec<u8> = (0..body_len).map(|i| (i * 3) as u8).collect();
        // Warm-up as above.
        let m = alice
            .encrypt(&mut rng, T0, Outgoing::message(&body))
            .unwrap()
            .message;
        bob.decrypt(T0, &m).unwrap();

        let len = alice.encrypted_len(body_len, false);
        let bytes = allocated_bytes();
        let (sent, allocations) = count_allocations(|| {
            alice
                .encrypt(&mut rng, T0, Outgoing::message(&body))
                .unwrap()
        });
        assert_eq!(allocations, 1, "encrypt of {body_len} bytes");
        assert_eq!(allocated_bytes() - bytes, len as u64);
        assert_eq!(sent.message.len(), len);
        assert_eq!(sent.message.capacity(), len);

        let bytes = allocated_bytes();
        let (received, allocations) = count_allocations(|| bob.decrypt(T0, &sent.message).unwrap());
        assert_eq!(allocations, 1, "decrypt of {body_len} bytes");
        assert_eq!(
            allocated_bytes() - bytes,
            (len - IN_CHAIN_HEADER_LEN) as u64,
            "decrypt allocates the ciphertext's length"
        );
        assert_eq!(&received.plaintext[..], &body[..]);
    }
}

/// An in-chain message's bytes before its ciphertext: version, type and
/// the 52-byte header (SPEC.md §6).
const IN_CHAIN_HEADER_LEN: usize = 2 + 52;

/// The allocating group receive: exactly one allocation, of the post's
/// length (the post copied once and decrypted there in place; the body is
/// not copied again).
#[test]
fn the_allocating_group_receive_makes_one_allocation_of_the_posts_length() {
    for body_len in [100, 64 * 1024] {
        let (mut rng, mut owner, mut sub) = channel(body_len as u64 + 1);
        let body: Vec<u8> = (0..body_len).map(|i| (i * 5) as u8).collect();
        let warm = owner.post(&mut rng, T0, &body).unwrap();
        sub.receive_post(T0, &warm.bytes).unwrap();
        let post = owner.post(&mut rng, T0, &body).unwrap();
        let bytes = allocated_bytes();
        let (received, allocations) =
            count_allocations(|| sub.receive_post(T0, &post.bytes).unwrap());
        assert_eq!(allocations, 1, "receive of a {body_len}-byte post");
        assert_eq!(allocated_bytes() - bytes, post.bytes.len() as u64);
        assert_eq!(&received.plaintext[..], &body[..]);
    }
}

const GID: GroupId = GroupId::from_bytes([7; 16]);

/// `body` as a key distribution from `from`, decrypted over a fresh 1:1
/// session, as `accept_distribution` takes it.
fn distribution_from(
    rng: &mut DangerDeterministicRng,
    from: &IdentityKeyPair,
    body: &[u8],
) -> Received {
    let to = IdentityKeyPair::generate(rng);
    let (mut sa, mut sb) = session_pair(rng, from, &to, T0).unwrap();
    let m = sa
        .encrypt(
            rng,
            T0,
            Outgoing::new(ContentType::GroupKeyDistribution, body),
        )
        .unwrap()
        .message;
    sb.decrypt(T0, &m).unwrap()
}

/// A channel whose subscriber holds the owner's chain; no rotation by
/// policy.
fn channel(seed: u64) -> (DangerDeterministicRng, ChannelOwner, ChannelSubscriber) {
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let owner = IdentityKeyPair::generate(&mut rng);
    let sub = IdentityKeyPair::generate(&mut rng);
    let (mut ch, d) =
        ChannelOwner::create_with_id(&mut rng, T0, GID, *owner.public(), &[*sub.public()]).unwrap();
    ch.set_rotation_policy(RotationPolicy::new(u32::MAX - 1, u64::MAX).unwrap());
    let mut s = ChannelSubscriber::new(GID, *sub.public(), *owner.public());
    let d = distribution_from(&mut rng, &owner, &d.body);
    s.accept_distribution(T0, &d).unwrap();
    (rng, ch, s)
}

/// A group of three (Alice, Bob, Carol), each holding the others' chains;
/// no rotation by policy.
fn group(seed: u64) -> (DangerDeterministicRng, Group, Group) {
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let ids: Vec<IdentityKeyPair> = (0..3)
        .map(|_| IdentityKeyPair::generate(&mut rng))
        .collect();
    let keys: Vec<_> = ids.iter().map(|i| *i.public()).collect();
    let mut groups = Vec::new();
    let mut dists = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let others: Vec<_> = keys.iter().copied().filter(|k| k != id.public()).collect();
        let (mut g, d) = Group::create_with_id(&mut rng, T0, GID, keys[i], &others).unwrap();
        g.set_rotation_policy(RotationPolicy::new(u32::MAX - 1, u64::MAX).unwrap());
        groups.push(g);
        dists.push(d);
    }
    for (i, d) in dists.iter().enumerate() {
        let received = distribution_from(&mut rng, &ids[i], &d.body);
        for (j, g) in groups.iter_mut().enumerate() {
            if i != j {
                assert!(g.accept_distribution(T0, &received).unwrap());
            }
        }
    }
    let bob = groups.remove(1);
    let alice = groups.remove(0);
    (rng, alice, bob)
}

/// Warms up, then counts the allocations of `MESSAGES_PER_WINDOW` posts
/// made with `post_into` and received in place one by one, in one chain;
/// asserts there are none. `receive` opens a post in place, checks that
/// it opened to the body and returns its iteration.
fn assert_posts_allocate_nothing(
    label: &str,
    body_len: usize,
    post_len: usize,
    mut post: impl FnMut(&[u8], &mut [u8]) -> usize,
    mut receive: impl FnMut(&mut [u8], &[u8]) -> u32,
) {
    let body: Vec<u8> = (0..body_len).map(|i| (i * 7) as u8).collect();
    let mut buf = vec![0u8; post_len];
    for _ in 0..2 {
        let n = post(&body, &mut buf);
        receive(&mut buf[..n], &body);
    }
    let mut iterations = [0u32; MESSAGES_PER_WINDOW];
    let ((), allocations) = count_allocations(|| {
        for it in &mut iterations {
            let n = post(&body, &mut buf);
            assert_eq!(n, post_len);
            *it = receive(&mut buf[..n], &body);
        }
    });
    assert_eq!(allocations, 0, "{label}: {body_len}-byte posts allocated");
    assert!(
        iterations.windows(2).all(|w| w[1] == w[0] + 1),
        "{label}: the posts were consecutive in one chain"
    );
}

fn assert_channel_posts_allocate_nothing(body_len: usize) {
    let (mut rng, mut owner, mut sub) = channel(body_len as u64);
    let post_len = owner.post_len(body_len);
    assert_posts_allocate_nothing(
        "channel",
        body_len,
        post_len,
        |body, out| {
            let (n, rotation) = owner
                .post_into(&mut rng, T0, ContentType::UserMessage, body, out)
                .unwrap();
            assert!(rotation.is_none());
            n
        },
        |post, body| {
            let got = sub.receive_post_in_place(T0, post).unwrap();
            assert!(got.body == body);
            got.iteration
        },
    );
}

fn assert_group_posts_allocate_nothing(body_len: usize) {
    let (mut rng, mut alice, mut bob) = group(body_len as u64);
    let post_len = alice.post_len(body_len);
    let sender = *alice.me();
    assert_posts_allocate_nothing(
        "group",
        body_len,
        post_len,
        |body, out| {
            let (n, rotation) = alice
                .post_into(&mut rng, T0, ContentType::UserMessage, body, out)
                .unwrap();
            assert!(rotation.is_none());
            n
        },
        |post, body| {
            let got = bob.receive_post_in_place(T0, post).unwrap();
            assert!(got.body == body);
            assert_eq!(got.sender, sender);
            got.iteration
        },
    );
}

#[test]
fn channel_post_and_receive_in_chain_allocate_nothing() {
    for len in [100, 1024, 64 * 1024] {
        assert_channel_posts_allocate_nothing(len);
    }
}

#[test]
fn group_post_and_receive_in_chain_allocate_nothing() {
    for len in [100, 1024, 64 * 1024] {
        assert_group_posts_allocate_nothing(len);
    }
}

/// Posts received out of order: the one that skips ahead allocates for the
/// keys it skips (at most three allocations: the exactly sized keys, the
/// sender's store growing, a node of the erasure index); each skipped post
/// received later opens with its stored key and allocates nothing.
#[test]
fn group_receive_of_a_skipped_post_allocates_nothing() {
    let (mut rng, mut alice, mut bob) = group(11);
    let body = [0x33u8; 100];
    let mut posts: Vec<Vec<u8>> = (0..6)
        .map(|_| alice.post(&mut rng, T0, &body).unwrap().bytes)
        .collect();
    // In chain first (warm-up).
    bob.receive_post_in_place(T0, &mut posts[0]).unwrap();
    let (iteration, allocations) = count_allocations(|| {
        bob.receive_post_in_place(T0, &mut posts[5])
            .unwrap()
            .iteration
    });
    assert_eq!(iteration, 5);
    assert_eq!(bob.skipped_key_count(), 4);
    assert!(
        (1..=3).contains(&allocations),
        "skipping 4 keys made {allocations} allocations"
    );
    for i in [3, 1, 2, 4] {
        let (got, allocations) = count_allocations(|| {
            let got = bob.receive_post_in_place(T0, &mut posts[i]).unwrap();
            assert!(got.body == body);
            got.iteration
        });
        assert_eq!(got, i as u32);
        assert_eq!(allocations, 0, "the stored key of post {i} allocated");
    }
    assert_eq!(bob.skipped_key_count(), 0);
    // And in chain again.
    let mut next = alice.post(&mut rng, T0, &body).unwrap().bytes;
    let (_, allocations) =
        count_allocations(|| bob.receive_post_in_place(T0, &mut next).unwrap().iteration);
    assert_eq!(allocations, 0);
}
