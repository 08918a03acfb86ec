//! The caller-buffer path allocates nothing: after warm-up,
//! `Session::encrypt_into` followed by `Session::decrypt_in_place` of
//! in-chain messages makes zero heap allocations.
//!
//! Every allocation of the process goes through a counting global allocator
//! (`sealwire-counting-alloc`, a tiny workspace member: implementing
//! `GlobalAlloc` needs an `unsafe impl`, which the workspace forbids in this
//! package's targets). The counters are per thread, so the other tests the
//! harness runs in parallel do not disturb a window. The controls show the
//! counter sees allocations: a `Vec`, and the allocating `encrypt`/`decrypt`.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

use sealwire::testing::DangerDeterministicRng;
use sealwire::{Encrypt, Outgoing, Session, Timestamp};
use sealwire_counting_alloc::{CountingAlloc, count_allocations};

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

#[test]
fn control_the_counter_sees_allocations() {
    let (v, allocations) = count_allocations(|| Vec::<u8>::with_capacity(1));
    drop(v);
    assert_eq!(allocations, 1);
}

#[test]
fn control_the_vec_api_allocates() {
    let (mut rng, mut alice, mut bob) = established(7);
    let body = [0x5au8; 100];
    // Warm-up as above.
    let m = alice
        .encrypt(&mut rng, T0, Outgoing::message(&body))
        .unwrap()
        .message;
    bob.decrypt(T0, &m).unwrap();

    let (message, allocations) = count_allocations(|| {
        alice
            .encrypt(&mut rng, T0, Outgoing::message(&body))
            .unwrap()
            .message
    });
    assert!(allocations >= 1, "encrypt returns a Vec");
    let (received, allocations) = count_allocations(|| bob.decrypt(T0, &message).unwrap());
    assert!(allocations >= 1, "decrypt copies the message and the body");
    assert_eq!(&received.plaintext[..], &body[..]);
}
