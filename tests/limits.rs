//! Every limit of SPEC.md §9 at its boundary: exactly at the limit works,
//! one past it is refused with the documented error and changes nothing.

#![allow(
    clippy::needless_range_loop,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod common;

use common::{
    T0, accept_fails, body, decrypt_fails, established, header_offsets, ratchet_offsets, replaced,
    setup,
};
use sealwire::hazmat;
use sealwire::limits::{
    MAX_BODY_LEN, MAX_MESSAGE_LEN, MAX_RECEIVING_CHAINS, MAX_SKIP, MAX_SKIPPED_KEY_AGE_MS,
    MAX_SKIPPED_KEYS,
};
use sealwire::wire::Message;
use sealwire::{
    ContentType, DecodeError, Encrypt, Outgoing, PendingSession, Session, SessionError, Timestamp,
};

const SKIP: usize = MAX_SKIP as usize;

/// `n` messages from `from`, bodies `body(tag0 + k)`.
fn burst(
    rng: &mut sealwire::testing::DangerDeterministicRng,
    from: &mut Session,
    n: usize,
    tag0: u64,
) -> Vec<Vec<u8>> {
    (0..n)
        .map(|k| {
            from.encrypt(rng, T0, Outgoing::message(&body(tag0 + k as u64)))
                .unwrap()
                .message
        })
        .collect()
}

fn opens(to: &mut Session, msg: &[u8], tag: u64, number: usize) {
    let got = to.decrypt(T0, msg).unwrap();
    assert_eq!(&got.plaintext[..], &body(tag)[..]);
    assert_eq!(got.message_number, number as u32);
}

fn at(ms: u64) -> Timestamp {
    Timestamp::from_unix_millis(T0.as_unix_millis() + ms)
}

#[test]
fn max_skip_in_a_new_chain_and_in_the_current_chain() {
    let (mut s, mut alice, mut bob) = established(100);
    // Alice's second chain; Bob has read all of her first (PN = 1).
    let m = burst(&mut s.rng, &mut alice, 2 * SKIP + 4, 0);
    // First message of a new chain: N = 1001 would skip 1001 keys.
    assert_eq!(
        decrypt_fails(&mut bob, T0, &m[SKIP + 1], Some(&body(SKIP as u64 + 1))),
        SessionError::TooManySkipped
    );
    // N = 1000 skips exactly 1000.
    opens(&mut bob, &m[SKIP], SKIP as u64, SKIP);
    assert_eq!(bob.skipped_key_count(), SKIP);
    opens(&mut bob, &m[SKIP + 1], SKIP as u64 + 1, SKIP + 1);
    // In the current chain (next expected 1002): 2003 is 1001 ahead.
    let far = 2 * SKIP + 3;
    assert_eq!(
        decrypt_fails(&mut bob, T0, &m[far], Some(&body(far as u64))),
        SessionError::TooManySkipped
    );
    // 2002 is exactly 1000 ahead.
    opens(&mut bob, &m[far - 1], far as u64 - 1, far - 1);
    assert_eq!(bob.skipped_key_count(), 2 * SKIP);
    opens(&mut bob, &m[far], far as u64, far);
    // Every skipped message still opens, once.
    for k in (0..far - 1).filter(|&k| k != SKIP && k != SKIP + 1) {
        opens(&mut bob, &m[k], k as u64, k);
    }
    assert_eq!(bob.skipped_key_count(), 0);
}

#[test]
fn max_skip_counts_the_old_chain_up_to_pn_and_the_new_chain() {
    let (mut s, mut alice, mut bob) = established(101);
    // Alice's chain 1: 501 messages, Bob reads only the first.
    let a = burst(&mut s.rng, &mut alice, SKIP / 2 + 1, 0);
    opens(&mut bob, &a[0], 0, 0);
    let r = bob
        .encrypt(&mut s.rng, T0, Outgoing::message(b"turn"))
        .unwrap()
        .message;
    alice.decrypt(T0, &r).unwrap();
    // Alice's chain 2 (PN = 501): c[N] needs (501 - 1) + N skipped keys.
    let c = burst(&mut s.rng, &mut alice, SKIP / 2 + 2, 10_000);
    let pn = u32::from_be_bytes(
        c[0][ratchet_offsets::HEADER + header_offsets::PN.start
            ..ratchet_offsets::HEADER + header_offsets::PN.end]
            .try_into()
            .unwrap(),
    );
    assert_eq!(pn as usize, SKIP / 2 + 1);
    let over = SKIP / 2 + 1; // 500 + 501 = 1001
    assert_eq!(
        decrypt_fails(&mut bob, T0, &c[over], Some(&body(10_000 + over as u64))),
        SessionError::TooManySkipped
    );
    opens(&mut bob, &c[over - 1], 10_000 + over as u64 - 1, over - 1);
    assert_eq!(bob.skipped_key_count(), SKIP);
    opens(&mut bob, &c[over], 10_000 + over as u64, over);
    for k in 1..a.len() {
        opens(&mut bob, &a[k], k as u64, k);
    }
    for k in 0..over - 1 {
        opens(&mut bob, &c[k], 10_000 + k as u64, k);
    }
    assert_eq!(bob.skipped_key_count(), 0);
}

#[test]
fn max_skip_on_the_old_chain_alone_and_recovery() {
    let (mut s, mut alice, mut bob) = established(102);
    let a = burst(&mut s.rng, &mut alice, SKIP + 2, 0);
    opens(&mut bob, &a[0], 0, 0);
    let r = bob
        .encrypt(&mut s.rng, T0, Outgoing::message(b"turn"))
        .unwrap()
        .message;
    alice.decrypt(T0, &r).unwrap();
    // PN = 1002: the first message of the next chain needs 1001 old keys.
    let c0 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(7)))
        .unwrap()
        .message;
    assert_eq!(
        decrypt_fails(&mut bob, T0, &c0, Some(&body(7))),
        SessionError::TooManySkipped
    );
    // Once the last message of the old chain arrived (1000 ahead), it opens.
    opens(&mut bob, &a[SKIP + 1], SKIP as u64 + 1, SKIP + 1);
    opens(&mut bob, &c0, 7, 0);
}

#[test]
fn max_skip_when_accepting() {
    let mut s = setup(103, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let m: Vec<Vec<u8>> = (0..SKIP + 2)
        .map(|k| {
            pending
                .encrypt(&mut s.rng, T0, Outgoing::message(&body(k as u64)))
                .unwrap()
                .message
        })
        .collect();
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &m[SKIP + 1]),
        SessionError::TooManySkipped
    );
    let (mut bob, got) = Session::accept(&s.bob_id, &mut s.store, T0, &m[SKIP]).unwrap();
    assert_eq!(got.message_number, MAX_SKIP);
    assert_eq!(bob.skipped_key_count(), SKIP);
    opens(&mut bob, &m[0], 0, 0);
    opens(&mut bob, &m[SKIP + 1], SKIP as u64 + 1, SKIP + 1);
}

#[test]
fn skipped_key_store_evicts_the_oldest_beyond_its_cap() {
    let (mut s, mut alice, mut bob) = established(104);
    let m = burst(&mut s.rng, &mut alice, 2 * SKIP + 4, 0);
    // 1000 + 1000 skipped keys: exactly the cap.
    opens(&mut bob, &m[SKIP], SKIP as u64, SKIP);
    opens(
        &mut bob,
        &m[2 * SKIP + 1],
        2 * SKIP as u64 + 1,
        2 * SKIP + 1,
    );
    assert_eq!(bob.skipped_key_count(), MAX_SKIPPED_KEYS);
    // One more skipped key evicts the oldest (position 0).
    opens(
        &mut bob,
        &m[2 * SKIP + 3],
        2 * SKIP as u64 + 3,
        2 * SKIP + 3,
    );
    assert_eq!(bob.skipped_key_count(), MAX_SKIPPED_KEYS);
    assert_eq!(
        decrypt_fails(&mut bob, T0, &m[0], Some(&body(0))),
        SessionError::MessageKeyErased
    );
    // The next oldest and the most recent still open.
    opens(&mut bob, &m[1], 1, 1);
    opens(
        &mut bob,
        &m[2 * SKIP + 2],
        2 * SKIP as u64 + 2,
        2 * SKIP + 2,
    );
    assert_eq!(bob.skipped_key_count(), MAX_SKIPPED_KEYS - 2);

    // Eviction reaches into a closed chain: after a ratchet turn, skipping
    // 6 more keys (1998 + 6) evicts the four oldest, positions 2..=5 of the
    // now closed chain.
    let r = bob
        .encrypt(&mut s.rng, T0, Outgoing::message(b"turn"))
        .unwrap()
        .message;
    alice.decrypt(T0, &r).unwrap();
    let c = burst(&mut s.rng, &mut alice, 7, 50_000);
    opens(&mut bob, &c[6], 50_006, 6);
    assert_eq!(bob.skipped_key_count(), MAX_SKIPPED_KEYS);
    for k in 2..=5 {
        assert_eq!(
            decrypt_fails(&mut bob, T0, &m[k], Some(&body(k as u64))),
            SessionError::MessageKeyErased,
            "evicted position {k}"
        );
    }
    for k in 6..9 {
        opens(&mut bob, &m[k], k as u64, k);
    }
    opens(&mut bob, &c[0], 50_000, 0);
}

#[test]
fn skipped_keys_expire_by_age() {
    let (mut s, mut alice, mut bob) = established(105);
    let m = burst(&mut s.rng, &mut alice, 10, 0);
    // Positions 0..=4 skipped at T0.
    opens(&mut bob, &m[5], 5, 5);
    assert_eq!(bob.skipped_key_count(), 5);
    // Exactly the maximum age: still held.
    let got = bob.decrypt(at(MAX_SKIPPED_KEY_AGE_MS), &m[0]).unwrap();
    assert_eq!(&got.plaintext[..], &body(0)[..]);
    assert_eq!(bob.skipped_key_count(), 4);
    // One millisecond older: erased, whether or not a purge ran.
    assert_eq!(
        decrypt_fails(
            &mut bob,
            at(MAX_SKIPPED_KEY_AGE_MS + 1),
            &m[1],
            Some(&body(1))
        ),
        SessionError::MessageKeyErased
    );
    assert_eq!(
        bob.skipped_key_count(),
        4,
        "a failed decrypt purges nothing"
    );
    // A successful decrypt at that time erases every expired key.
    let got = bob.decrypt(at(MAX_SKIPPED_KEY_AGE_MS + 1), &m[6]).unwrap();
    assert_eq!(&got.plaintext[..], &body(6)[..]);
    assert_eq!(bob.skipped_key_count(), 0);
    // Gone for good, even with the clock turned back.
    for k in 2..5 {
        assert_eq!(
            decrypt_fails(&mut bob, T0, &m[k], Some(&body(k as u64))),
            SessionError::MessageKeyErased
        );
    }
    opens(&mut bob, &m[7], 7, 7);
}

#[test]
fn purge_erases_only_keys_past_the_maximum_age() {
    let (mut s, mut alice, mut bob) = established(106);
    let m = burst(&mut s.rng, &mut alice, 8, 0);
    // Positions 0, 1 skipped at T0; 3, 4, 5 skipped ten days later.
    let ten_days = 10 * 24 * 60 * 60 * 1000;
    let got = bob.decrypt(T0, &m[2]).unwrap();
    assert_eq!(got.message_number, 2);
    let got = bob.decrypt(at(ten_days), &m[6]).unwrap();
    assert_eq!(got.message_number, 6);
    assert_eq!(bob.skipped_key_count(), 5);
    let before = bob.clone();
    bob.erase_expired_keys(at(MAX_SKIPPED_KEY_AGE_MS));
    assert!(bob == before, "nothing is past the maximum age yet");
    bob.erase_expired_keys(at(MAX_SKIPPED_KEY_AGE_MS + 1));
    assert_eq!(bob.skipped_key_count(), 3);
    for k in 0..2 {
        assert_eq!(
            decrypt_fails(&mut bob, at(ten_days), &m[k], Some(&body(k as u64))),
            SessionError::MessageKeyErased
        );
    }
    for k in 3..6 {
        let got = bob.decrypt(at(MAX_SKIPPED_KEY_AGE_MS + 1), &m[k]).unwrap();
        assert_eq!(&got.plaintext[..], &body(k as u64)[..]);
    }
    assert_eq!(bob.skipped_key_count(), 0);
}

#[test]
fn receiving_chain_records_are_capped() {
    let (mut s, mut alice, mut bob) = established(107);
    // Six more ratchet turns. In each of Alice's chains Bob reads `x[t]`;
    // `y[t]` (sent after it) arrives only at the end.
    let mut x = Vec::new();
    let mut y = Vec::new();
    let turns = MAX_RECEIVING_CHAINS + 1;
    for t in 0..turns {
        let xt = alice
            .encrypt(&mut s.rng, T0, Outgoing::message(&body(t as u64)))
            .unwrap()
            .message;
        let yt = alice
            .encrypt(&mut s.rng, T0, Outgoing::message(&body(100 + t as u64)))
            .unwrap()
            .message;
        bob.decrypt(T0, &xt).unwrap();
        let r = bob
            .encrypt(&mut s.rng, T0, Outgoing::message(b"turn"))
            .unwrap()
            .message;
        alice.decrypt(T0, &r).unwrap();
        x.push(xt);
        y.push(yt);
    }
    // Bob remembers the current chain and MAX_RECEIVING_CHAINS - 1 closed
    // ones: replays from those are recognised as duplicates...
    for t in turns - MAX_RECEIVING_CHAINS..turns {
        assert_eq!(
            decrypt_fails(&mut bob, T0, &x[t], Some(&body(t as u64))),
            SessionError::DuplicateMessage,
            "chain {t}"
        );
    }
    // ...replays from older chains are not recognised (and do not open).
    for t in 0..turns - MAX_RECEIVING_CHAINS {
        assert_eq!(
            decrypt_fails(&mut bob, T0, &x[t], Some(&body(t as u64))),
            SessionError::AuthenticationFailed,
            "chain {t}"
        );
    }
    // Skipped keys outlive the chain records: every late y still opens
    // (the last one, in the current chain, was never skipped).
    assert_eq!(bob.skipped_key_count(), turns - 1);
    for (t, yt) in y.iter().enumerate() {
        opens(&mut bob, yt, 100 + t as u64, 1);
    }
    assert_eq!(bob.skipped_key_count(), 0);
}

#[test]
fn counters_are_refused_at_the_end_not_wrapped() {
    let (mut s, mut alice, mut bob) = established(108);
    let a0 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"a0"))
        .unwrap()
        .message;
    bob.decrypt(T0, &a0).unwrap();
    // Relabel both ends of Alice's sending chain near the top.
    assert!(hazmat::danger_set_sending_index(&mut alice, u32::MAX - 3));
    assert!(hazmat::danger_set_receiving_index(&mut bob, u32::MAX - 3));
    let m: Vec<Vec<u8>> = (0..3)
        .map(|k| {
            alice
                .encrypt(&mut s.rng, T0, Outgoing::message(&body(k)))
                .unwrap()
                .message
        })
        .collect();
    // The last message has N = u32::MAX - 1: skipping up to it works.
    let got = bob.decrypt(T0, &m[2]).unwrap();
    assert_eq!(got.message_number, u32::MAX - 1);
    assert_eq!(bob.skipped_key_count(), 2);
    // The chain is exhausted: no message with N = u32::MAX is sent.
    let before = alice.clone();
    assert_eq!(
        alice.encrypt(&mut s.rng, T0, Outgoing::message(b"one more")),
        Err(SessionError::CounterOverflow)
    );
    let mut out = vec![0u8; alice.encrypted_len(8, false)];
    assert_eq!(
        alice.encrypt_into(
            &mut s.rng,
            T0,
            Outgoing::new(ContentType::Receipt, b"one more"),
            &mut out
        ),
        Err(SessionError::CounterOverflow)
    );
    assert!(alice == before, "a refused send changes nothing");
    assert!(
        out.iter().all(|&b| b == 0),
        "the frame written before the refusal is erased"
    );
    // Nor received: a header claiming N = u32::MAX.
    let forged = replaced(
        &m[2],
        ratchet_offsets::HEADER + header_offsets::N.start
            ..ratchet_offsets::HEADER + header_offsets::N.end,
        &u32::MAX.to_be_bytes(),
    );
    assert_eq!(
        decrypt_fails(&mut bob, T0, &forged, Some(&body(2))),
        SessionError::CounterOverflow
    );
    // The skipped ones still open.
    for k in 0..2 {
        let got = bob.decrypt(T0, &m[k]).unwrap();
        assert_eq!(got.message_number, u32::MAX - 3 + k as u32);
    }
    // A ratchet turn starts fresh chains.
    let r = bob
        .encrypt(&mut s.rng, T0, Outgoing::message(b"turn"))
        .unwrap()
        .message;
    alice.decrypt(T0, &r).unwrap();
    let next = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"fresh"))
        .unwrap()
        .message;
    assert_eq!(bob.decrypt(T0, &next).unwrap().message_number, 0);

    // A pending session's chain is exhausted the same way.
    let mut s2 = setup(109, true);
    let mut pending = PendingSession::initiate(&mut s2.rng, &s2.alice_id, &s2.bundle).unwrap();
    assert!(hazmat::danger_set_sending_index(&mut pending, u32::MAX));
    let before = pending.clone();
    assert_eq!(
        pending.encrypt(&mut s2.rng, T0, Outgoing::message(b"x")),
        Err(SessionError::CounterOverflow)
    );
    assert!(pending == before);
}

#[test]
fn body_length_limit() {
    let mut s = setup(110, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let too_big = vec![0x11u8; MAX_BODY_LEN + 1];
    let before = pending.clone();
    assert_eq!(
        pending.encrypt(&mut s.rng, T0, Outgoing::message(&too_big)),
        Err(SessionError::MessageTooLarge)
    );
    assert_eq!(
        pending.encrypt(
            &mut s.rng,
            T0,
            Outgoing::new(ContentType::Receipt, &too_big)
        ),
        Err(SessionError::MessageTooLarge)
    );
    let mut out = vec![0u8; pending.encrypted_len(MAX_BODY_LEN, false) + 64];
    assert_eq!(
        pending.encrypt_into(&mut s.rng, T0, Outgoing::message(&too_big), &mut out),
        Err(SessionError::MessageTooLarge)
    );
    assert!(pending == before);

    // Exactly MAX_BODY_LEN with a conversation timer set (the frame's
    // optional timer block present): the largest possible message, accepted.
    let policy =
        sealwire::expiry::ExpiryPolicy::new(sealwire::expiry::ExpiryMode::AfterRead, 60).unwrap();
    let (_change_message, _) = pending.set_timer(&mut s.rng, T0, Some(policy)).unwrap();
    let max: Vec<u8> = (0..MAX_BODY_LEN).map(|i| (i % 251) as u8).collect();
    let m = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(&max))
        .unwrap()
        .message;
    assert_eq!(
        m.len(),
        MAX_MESSAGE_LEN
            - sealwire::limits::PQ_MESSAGE_FIELDS_LEN
            - sealwire::limits::FRAME_FRANKING_LEN
            - sealwire::limits::FRANKING_COMMITMENT_LEN,
        "classic unfranked prekey message with a one-time prekey id (tests/pqxdh.rs: \
         franked, with the PQ fields)"
    );
    assert!(Message::parse(&m).is_ok());
    let (mut bob, got) = Session::accept(&s.bob_id, &mut s.store, T0, &m).unwrap();
    assert!(got.plaintext[..] == max[..]);

    let before = bob.clone();
    assert_eq!(
        bob.encrypt(&mut s.rng, T0, Outgoing::message(&too_big)),
        Err(SessionError::MessageTooLarge)
    );
    let mut out = vec![0u8; MAX_MESSAGE_LEN + 64];
    assert_eq!(
        bob.encrypt_into(&mut s.rng, T0, Outgoing::message(&too_big), &mut out),
        Err(SessionError::MessageTooLarge)
    );
    assert!(bob == before);
    let n = bob
        .encrypt_into(&mut s.rng, T0, Outgoing::message(&max), &mut out)
        .unwrap()
        .len;
    assert_eq!(n, bob.encrypted_len(MAX_BODY_LEN, false));
    let (_, got) = pending.receive(T0, &out[..n]).map_err(|r| r.error).unwrap();
    assert!(got.plaintext[..] == max[..]);

    // One byte more than the largest message (a franked PQ prekey message,
    // tests/pqxdh.rs) is refused before parsing.
    let mut huge = m.clone();
    huge.resize(MAX_MESSAGE_LEN + 1, 0);
    assert_eq!(
        Message::parse(&huge).map(|_| ()),
        Err(DecodeError::TooLarge)
    );
    assert_eq!(
        decrypt_fails(&mut bob, T0, &huge, None),
        SessionError::Malformed(DecodeError::TooLarge)
    );
}

/// A ratchet message's ciphertext (tag included) is at most
/// `MAX_FRAME_LEN + TAG_LEN` bytes (SPEC.md §7.3 step 5), checked when it
/// is parsed: exactly that parses, one byte more is `TooLarge` (the whole
/// message is still below `MAX_MESSAGE_LEN`, whose bound is the largest
/// prekey message's).
#[test]
fn a_ratchet_messages_ciphertext_is_bounded_when_parsed() {
    let (mut s, mut alice, _bob) = established(111);
    let m = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"x"))
        .unwrap()
        .message;
    let Ok(Message::Ratchet(r)) = Message::parse(&m) else {
        panic!("an in-chain message is a ratchet message");
    };
    let head = m.len() - r.ciphertext.len();
    let limit = sealwire::limits::MAX_FRAME_LEN + sealwire::wire::TAG_LEN;
    let mut at_limit = m[..head].to_vec();
    at_limit.resize(head + limit, 0x33);
    assert!(at_limit.len() < MAX_MESSAGE_LEN);
    assert!(matches!(Message::parse(&at_limit), Ok(Message::Ratchet(_))));
    at_limit.push(0x33);
    assert_eq!(
        Message::parse(&at_limit).map(|_| ()),
        Err(DecodeError::TooLarge)
    );
}
