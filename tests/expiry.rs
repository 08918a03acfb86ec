//! Disappearing messages end to end: the conversation timer and its version
//! rules under concurrent and hostile changes, deadlines from the receiver's
//! clock, messages expired on arrival, after-read deadlines through the
//! `ExpiryQueue`, the scheduled erasure of skipped keys, malformed policies,
//! and the timer across the pending → established phase change.
//!
//! Every check compares whole sessions (`Session: PartialEq`) where a step
//! must change nothing, and exact values (timers, `TimerChange` events,
//! deadlines to the millisecond) where it must change something.

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

use common::{T0, body, contains, decrypt_fails, established, receive_fails, setup};
use proptest::prelude::*;
use sealwire::expiry::{
    ChangedBy, ConversationTimer, ExpiryMode, ExpiryPolicy, InvalidPolicy, MAX_TTL_SECS,
    MessageExpiry, TimerChange,
};
use sealwire::expiry::{SKIPPED_KEY_GRACE_MS, stricter};
use sealwire::hazmat;
use sealwire::limits::MAX_SKIPPED_KEY_AGE_MS;
use sealwire::testing::DangerDeterministicRng;
use sealwire::wire::padded_body_len;
use sealwire::wire::{MESSAGE_VERSION, TYPE_RATCHET};
use sealwire::{
    ContentType, DecodeError, Encrypt, Outgoing, PendingSession, Received, Session, SessionError,
    Timestamp,
    expiry::{Expiry, ExpiryQueue, MessageId},
};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// `T0 + ms`.
fn at(ms: u64) -> Timestamp {
    Timestamp::from_unix_millis(T0.as_unix_millis() + ms)
}

fn after_send(secs: u32) -> Option<ExpiryPolicy> {
    Some(ExpiryPolicy::new(ExpiryMode::AfterSend, secs).unwrap())
}

fn after_read(secs: u32) -> Option<ExpiryPolicy> {
    Some(ExpiryPolicy::new(ExpiryMode::AfterRead, secs).unwrap())
}

fn timer(policy: Option<ExpiryPolicy>, version: u64) -> ConversationTimer {
    ConversationTimer { policy, version }
}

/// Asserts a `TimerChange` field by field (the struct is non-exhaustive).
#[track_caller]
fn assert_change(
    change: Option<TimerChange>,
    by: ChangedBy,
    old: ConversationTimer,
    new: ConversationTimer,
) {
    let c = change.expect("a timer change was expected");
    assert_eq!((c.by, c.old, c.new), (by, old, new));
}

/// Decrypts `msg` through both `decrypt` and `decrypt_in_place` (on a copy):
/// both must succeed with the same result and the same resulting session.
#[track_caller]
fn recv(session: &mut Session, now: Timestamp, msg: &[u8]) -> Received {
    let mut other = session.clone();
    let got = session.decrypt(now, msg).unwrap();
    let mut buf = msg.to_vec();
    let got2 = other.decrypt_in_place(now, &mut buf).unwrap().to_owned();
    assert_eq!(got, got2, "decrypt and decrypt_in_place disagree");
    assert!(
        other == *session,
        "decrypt and decrypt_in_place leave different sessions"
    );
    got
}

/// Alice sets `policy`, Bob receives the change. Returns the change message.
fn agree(
    rng: &mut DangerDeterministicRng,
    alice: &mut Session,
    bob: &mut Session,
    now: Timestamp,
    policy: Option<ExpiryPolicy>,
) {
    let (msg, _) = alice.set_timer(rng, now, policy).unwrap();
    recv(bob, now, &msg);
    assert_eq!(alice.timer(), bob.timer());
}

/// A raw frame (SPEC §8) with an optional timer block `(mode, ttl, version)`.
fn frame(content: u8, flags: u8, timer_block: Option<(u8, u32, u64)>, body: &[u8]) -> Vec<u8> {
    let mut f = vec![sealwire::wire::FRAME_VERSION, content, flags];
    f.extend_from_slice(&T0.as_unix_millis().to_be_bytes());
    if let Some((mode, ttl, version)) = timer_block {
        f.push(mode);
        f.extend_from_slice(&ttl.to_be_bytes());
        f.extend_from_slice(&version.to_be_bytes());
    }
    f.extend_from_slice(&(body.len() as u32).to_be_bytes());
    f.extend_from_slice(body);
    f.resize(f.len() + padded_body_len(body.len()) - body.len(), 0);
    f
}

/// Seals a raw frame with (a copy of) `sender` as a ratchet message.
fn seal_raw(rng: &mut DangerDeterministicRng, sender: &Session, plaintext: &[u8]) -> Vec<u8> {
    let mut s = sender.clone();
    let raw = hazmat::encrypt_raw(&mut s, rng, plaintext).unwrap();
    let mut wire = vec![MESSAGE_VERSION, TYPE_RATCHET];
    wire.extend_from_slice(&raw);
    wire
}

// ---------------------------------------------------------------------------
// 1. Concurrent timer changes converge
// ---------------------------------------------------------------------------

/// Both sides change the timer from the same starting timer (`base`, set by
/// Alice and delivered when `Some`) without having seen each other's
/// change; the two change messages are delivered in both orders. Both end
/// at `expected` with version base + 1, and every event is exact.
fn race(
    seed: u64,
    base: Option<Option<ExpiryPolicy>>,
    pa: Option<ExpiryPolicy>,
    pb: Option<ExpiryPolicy>,
    expected: Option<ExpiryPolicy>,
) {
    for alice_first in [true, false] {
        let (mut s, mut alice, mut bob) = established(seed);
        if let Some(p) = base {
            agree(&mut s.rng, &mut alice, &mut bob, T0, p);
        }
        let start = alice.timer();
        let v = start.version + 1;
        let (from_alice, ca) = alice.set_timer(&mut s.rng, at(1), pa).unwrap();
        let (from_bob, cb) = bob.set_timer(&mut s.rng, at(2), pb).unwrap();
        assert_change(Some(ca), ChangedBy::Us, start, timer(pa, v));
        assert_change(Some(cb), ChangedBy::Us, start, timer(pb, v));
        assert_eq!(alice.timer(), timer(pa, v));
        assert_eq!(bob.timer(), timer(pb, v));
        let (at_bob, at_alice) = if alice_first {
            let b = recv(&mut bob, at(3), &from_alice);
            (b, recv(&mut alice, at(4), &from_bob))
        } else {
            let a = recv(&mut alice, at(3), &from_bob);
            (recv(&mut bob, at(4), &from_alice), a)
        };
        let end = timer(expected, v);
        assert_eq!(alice.timer(), end, "alice (alice_first = {alice_first})");
        assert_eq!(bob.timer(), end, "bob (alice_first = {alice_first})");
        for (got, own) in [(&at_alice, pa), (&at_bob, pb)] {
            assert_eq!(got.content_type, ContentType::TimerChange);
            assert!(got.plaintext.is_empty());
            assert_eq!(got.expiry, MessageExpiry::Never);
            if own == expected {
                assert_eq!(
                    got.timer_change, None,
                    "the side whose timer won reports nothing"
                );
            } else {
                assert_change(got.timer_change, ChangedBy::Peer, timer(own, v), end);
            }
        }
        // The agreed timer is what the next messages of both sides carry.
        let m = alice
            .encrypt(&mut s.rng, at(5), Outgoing::message(b"after"))
            .unwrap()
            .message;
        let got = recv(&mut bob, at(5), &m);
        assert_eq!(got.expiry, expected_expiry(expected, at(5)));
        assert_eq!(got.timer_change, None);
    }
}

/// The expiry of a fresh message (sent at arrival) under `policy`.
fn expected_expiry(policy: Option<ExpiryPolicy>, sent: Timestamp) -> MessageExpiry {
    match policy {
        None => MessageExpiry::Never,
        Some(p) if p.mode() == ExpiryMode::AfterRead => {
            MessageExpiry::AfterRead { ttl_ms: p.ttl_ms() }
        }
        Some(p) => MessageExpiry::At(Timestamp::from_unix_millis(
            sent.as_unix_millis() + p.ttl_ms(),
        )),
    }
}

#[test]
fn simultaneous_changes_at_the_same_version_pick_the_shorter_ttl() {
    // From no timer: 60 s vs 30 s → 30 s.
    race(1, None, after_send(60), after_send(30), after_send(30));
    race(2, None, after_send(30), after_send(60), after_send(30));
    // From a 60 s timer (v1): 300 s vs 10 s → 10 s at v2.
    race(
        3,
        Some(after_send(60)),
        after_send(300),
        after_send(10),
        after_send(10),
    );
    // Equal TTL, different modes: after-send wins on both sides.
    race(4, None, after_read(30), after_send(30), after_send(30));
    race(5, None, after_send(30), after_read(30), after_send(30));
    // Mixed modes: the meet of both, the shorter TTL with after-send (at
    // least as strict as either proposal, possibly neither of them).
    race(6, None, after_send(60), after_read(30), after_send(30));
    race(8, None, after_read(10), after_send(60), after_send(10));
    race(
        9,
        Some(after_read(60)),
        after_read(90),
        after_read(20),
        after_read(20),
    );
    // Both propose the same: nobody reports a change.
    race(7, None, after_send(45), after_send(45), after_send(45));
}

#[test]
fn simultaneous_changes_a_set_timer_beats_off() {
    // Alice turns the timer off while Bob changes it: Bob's timer wins, even
    // when it is longer than the one in force before.
    race(
        10,
        Some(after_send(60)),
        None,
        after_send(30),
        after_send(30),
    );
    race(
        11,
        Some(after_send(60)),
        after_send(30),
        None,
        after_send(30),
    );
    race(
        12,
        Some(after_send(60)),
        None,
        after_send(600),
        after_send(600),
    );
    race(
        13,
        Some(after_read(60)),
        after_read(90),
        None,
        after_read(90),
    );
    // Both turn it off: off at v2.
    race(14, Some(after_send(60)), None, None, None);
}

#[test]
fn a_higher_version_beats_a_lower_one_whatever_the_ttl() {
    // Alice changes twice (v1: 60 s, v2: `second`), Bob once (v1: 5 s),
    // concurrently. Bob receives Alice's two changes in both orders.
    for (seed, second) in [
        (20u64, after_send(3600)),
        (21, None),
        (22, after_read(MAX_TTL_SECS)),
    ] {
        for in_order in [true, false] {
            let (mut s, mut alice, mut bob) = established(seed);
            let (a1, c1) = alice.set_timer(&mut s.rng, T0, after_send(60)).unwrap();
            let (a2, c2) = alice.set_timer(&mut s.rng, T0, second).unwrap();
            assert_change(
                Some(c1),
                ChangedBy::Us,
                timer(None, 0),
                timer(after_send(60), 1),
            );
            assert_change(
                Some(c2),
                ChangedBy::Us,
                timer(after_send(60), 1),
                timer(second, 2),
            );
            let (b1, _) = bob.set_timer(&mut s.rng, T0, after_send(5)).unwrap();
            assert_eq!(bob.timer(), timer(after_send(5), 1));

            let end = timer(second, 2);
            if in_order {
                let r1 = recv(&mut bob, at(1), &a1);
                // Same version, Bob's 5 s is stricter: kept.
                assert_eq!(r1.timer_change, None);
                assert_eq!(bob.timer(), timer(after_send(5), 1));
                let r2 = recv(&mut bob, at(2), &a2);
                assert_change(
                    r2.timer_change,
                    ChangedBy::Peer,
                    timer(after_send(5), 1),
                    end,
                );
            } else {
                let r2 = recv(&mut bob, at(1), &a2);
                assert_change(
                    r2.timer_change,
                    ChangedBy::Peer,
                    timer(after_send(5), 1),
                    end,
                );
                // The late v1 change is older: ignored, though it is
                // stricter than the v2 timer when that is off or longer.
                let r1 = recv(&mut bob, at(2), &a1);
                assert_eq!(r1.timer_change, None);
            }
            assert_eq!(bob.timer(), end);
            // Bob's v1 change reaches Alice, who is at v2: ignored.
            let rb = recv(&mut alice, at(3), &b1);
            assert_eq!(rb.timer_change, None);
            assert_eq!(alice.timer(), end);
            // Bob's next change builds on v2.
            let (_, c) = bob.set_timer(&mut s.rng, at(4), after_send(7)).unwrap();
            assert_eq!(c.new, timer(after_send(7), 3));
        }
    }
}

// ---------------------------------------------------------------------------
// 2. A misbehaving peer cannot weaken the timer
// ---------------------------------------------------------------------------

/// Bob, misbehaving, sends `content` claiming `claim`; Alice (timer `held`)
/// must keep her timer and report no change.
#[track_caller]
fn hostile(
    s: &mut common::Setup,
    alice: &mut Session,
    bob: &mut Session,
    now: Timestamp,
    content: ContentType,
    claim: ConversationTimer,
    held: ConversationTimer,
) -> Received {
    let bob_before = bob.timer();
    let body: &[u8] = if content == ContentType::TimerChange {
        b""
    } else {
        b"hostile"
    };
    let msg = hazmat::danger_encrypt_with_timer(
        bob,
        &mut s.rng,
        now.as_unix_millis(),
        content,
        claim,
        body,
    )
    .unwrap();
    assert_eq!(
        bob.timer(),
        bob_before,
        "the hazmat sender keeps its own timer"
    );
    let got = recv(alice, now, &msg);
    assert_eq!(
        alice.timer(),
        held,
        "claim {claim:?} as {content:?} changed the timer"
    );
    assert_eq!(
        got.timer_change, None,
        "claim {claim:?} as {content:?} reported a change"
    );
    assert_eq!(&got.plaintext[..], body);
    got
}

#[test]
fn downgrade_attempts_change_nothing() {
    let (mut s, mut alice, mut bob) = established(30);
    agree(&mut s.rng, &mut alice, &mut bob, T0, after_send(60));
    let held = timer(after_send(60), 1);
    assert_eq!(alice.timer(), held);
    let now = at(1000);
    let conversation_deadline = MessageExpiry::At(at(1000 + 60_000));

    // Timer changes at the same version that are off or longer: ignored.
    for claim in [
        timer(None, 1),
        timer(after_send(61), 1),
        timer(after_send(3600), 1),
        timer(after_read(60), 1), // same TTL, weaker mode
        timer(after_read(3600), 1),
    ] {
        let got = hostile(
            &mut s,
            &mut alice,
            &mut bob,
            now,
            ContentType::TimerChange,
            claim,
            held,
        );
        assert_eq!(got.expiry, MessageExpiry::Never);
    }

    // Ordinary messages (user messages and receipts) claiming a weaker
    // timer: the message still expires on the conversation's deadline.
    for content in [ContentType::UserMessage, ContentType::Receipt] {
        for claim in [
            timer(None, 0),             // no timer block at all
            timer(None, 1),             // off, same version
            timer(after_send(3600), 1), // longer, same version
            timer(after_send(61), 1),   // one second longer
            timer(None, 2),             // off, higher version
            timer(after_send(3600), 9), // longer, higher version
            timer(after_read(3600), 2), // after-read, longer
            timer(after_read(60), 1),   // after-read, same TTL
        ] {
            let got = hostile(&mut s, &mut alice, &mut bob, now, content, claim, held);
            assert_eq!(
                got.expiry, conversation_deadline,
                "claim {claim:?} as {content:?}"
            );
        }
        // A stricter claim may shorten the message's own life (control:
        // the claim is read at all), still without touching the timer. An
        // after-read claim with a shorter TTL keeps the after-send clock.
        for (claim, ttl_ms) in [
            (timer(after_send(10), 1), 10_000),
            (timer(after_read(1), 1), 1_000),
            (timer(after_read(10), 7), 10_000),
        ] {
            let got = hostile(&mut s, &mut alice, &mut bob, now, content, claim, held);
            assert_eq!(
                got.expiry,
                MessageExpiry::At(at(1000 + ttl_ms)),
                "claim {claim:?} as {content:?}"
            );
        }
    }

    // Our next change outranks every version seen, ordinary messages'
    // claims included (the highest was 9): v10.
    agree(&mut s.rng, &mut alice, &mut bob, at(2000), after_send(60));
    let held = timer(after_send(60), 10);
    assert_eq!(alice.timer(), held);
    // Changes of an older version are ignored whatever they say, stricter
    // ones included.
    for claim in [
        timer(None, 1),
        timer(after_send(3600), 9),
        timer(after_send(1), 9),
        timer(after_read(1), 2),
    ] {
        hostile(
            &mut s,
            &mut alice,
            &mut bob,
            at(3000),
            ContentType::TimerChange,
            claim,
            held,
        );
    }
    // Control: the same hostile path does change the timer when the rules
    // say so (a higher version), so the checks above are not vacuous.
    let msg = hazmat::danger_encrypt_with_timer(
        &mut bob,
        &mut s.rng,
        at(4000).as_unix_millis(),
        ContentType::TimerChange,
        timer(None, 11),
        b"",
    )
    .unwrap();
    let got = recv(&mut alice, at(4000), &msg);
    assert_change(got.timer_change, ChangedBy::Peer, held, timer(None, 11));
}

/// A peer cannot exhaust the timer-version space: a version more than
/// `MAX_TIMER_VERSION_STEP` above the highest seen is refused
/// (`InvalidPolicy`, session unchanged), whether in an ordinary message or
/// a timer change; a jump of exactly the step is accepted; our own
/// `set_timer` keeps working and outranks it.
#[test]
fn a_timer_version_jump_beyond_the_step_is_refused() {
    use sealwire::expiry::MAX_TIMER_VERSION_STEP;
    let (mut s, mut alice, mut bob) = established(32);
    agree(&mut s.rng, &mut alice, &mut bob, T0, after_send(60));
    let held = timer(after_send(60), 1);
    for (content, version) in [
        (ContentType::UserMessage, u64::MAX),
        (ContentType::UserMessage, u64::from(u32::MAX)),
        (ContentType::UserMessage, 1 + MAX_TIMER_VERSION_STEP + 1),
        (ContentType::TimerChange, u64::MAX),
    ] {
        let msg = hazmat::danger_encrypt_with_timer(
            &mut bob,
            &mut s.rng,
            at(1000).as_unix_millis(),
            content,
            timer(after_send(60), version),
            if content == ContentType::TimerChange {
                b""
            } else {
                b"ordinary"
            },
        )
        .unwrap();
        let before = alice.clone();
        assert_eq!(
            alice.decrypt(at(1000), &msg).unwrap_err(),
            SessionError::InvalidPolicy
        );
        assert!(alice == before, "a refused message changed the session");
    }
    // Exactly the step above the highest seen (1): accepted, not adopted.
    let msg = hazmat::danger_encrypt_with_timer(
        &mut bob,
        &mut s.rng,
        at(1000).as_unix_millis(),
        ContentType::UserMessage,
        timer(after_send(60), 1 + MAX_TIMER_VERSION_STEP),
        b"ordinary",
    )
    .unwrap();
    let got = alice.decrypt(at(1000), &msg).unwrap();
    assert_eq!(got.timer_change, None);
    assert_eq!(alice.timer(), held);
    // Our next change outranks the version we saw.
    let (_, change) = alice.set_timer(&mut s.rng, at(2000), None).unwrap();
    assert_eq!(change.new.version, 2 + MAX_TIMER_VERSION_STEP);
}

/// Regression: under an after-send conversation timer, an ordinary message
/// whose frame claims an after-read policy with a shorter TTL must keep a
/// fixed deadline. (Found against an earlier snapshot, where `stricter`
/// ranked policies by TTL alone and returned `MessageExpiry::AfterRead`: an
/// unread message then outlived the conversation's after-send deadline
/// indefinitely, with no `TimerChange` surfaced. The meet now keeps the
/// after-send clock with the shorter TTL.)
#[test]
fn after_read_claim_keeps_the_after_send_deadline() {
    let (mut s, mut alice, mut bob) = established(31);
    agree(&mut s.rng, &mut alice, &mut bob, T0, after_send(60));
    let held = timer(after_send(60), 1);
    for (claim, expected) in [
        (after_read(1), at(1000 + 1000)),
        (after_read(59), at(1000 + 59_000)),
        (after_read(60), at(1000 + 60_000)),
        (after_read(MAX_TTL_SECS), at(1000 + 60_000)),
    ] {
        let got = hostile(
            &mut s,
            &mut alice,
            &mut bob,
            at(1000),
            ContentType::UserMessage,
            timer(claim, 1),
            held,
        );
        assert_eq!(got.expiry, MessageExpiry::At(expected), "claim {claim:?}");
    }
}

// ---------------------------------------------------------------------------
// 3. The sender's clock cannot extend a deadline
// ---------------------------------------------------------------------------

#[test]
fn a_future_send_time_does_not_extend_the_deadline() {
    let (mut s, mut alice, mut bob) = established(40);
    agree(&mut s.rng, &mut alice, &mut bob, T0, after_send(60));
    let now = at(10_000);
    // A claimed send time at the end of time (hazmat path).
    for sent in [u64::MAX, u64::MAX - 1, now.as_unix_millis() + 1] {
        let msg = hazmat::danger_encrypt_with_timer(
            &mut alice,
            &mut s.rng,
            sent,
            ContentType::UserMessage,
            timer(after_send(60), 1),
            b"from the future",
        )
        .unwrap();
        let got = recv(&mut bob, now, &msg);
        assert_eq!(got.sent_at, Timestamp::from_unix_millis(sent));
        assert_eq!(
            got.expiry,
            MessageExpiry::At(at(10_000 + 60_000)),
            "sent at {sent}"
        );
        assert_eq!(&got.plaintext[..], b"from the future");
    }
    // An honest sender whose clock is a year ahead.
    let year = 365 * 24 * 3600 * 1000;
    let msg = alice
        .encrypt(&mut s.rng, at(year), Outgoing::message(b"skewed"))
        .unwrap()
        .message;
    let got = recv(&mut bob, now, &msg);
    assert_eq!(got.expiry, MessageExpiry::At(at(10_000 + 60_000)));
    // Control: a send time in the past counts from the send time.
    let msg = alice
        .encrypt(&mut s.rng, at(5_000), Outgoing::message(b"past"))
        .unwrap()
        .message;
    let got = recv(&mut bob, now, &msg);
    assert_eq!(got.expiry, MessageExpiry::At(at(5_000 + 60_000)));
    assert_eq!(bob.timer(), timer(after_send(60), 1));
}

// ---------------------------------------------------------------------------
// 4. Expired on arrival
// ---------------------------------------------------------------------------

#[test]
fn expired_on_arrival_is_consumed_without_plaintext() {
    let (mut s, mut alice, mut bob) = established(50);
    agree(&mut s.rng, &mut alice, &mut bob, T0, after_send(10));
    let t = 1_000;
    let secret = body(4);
    let m0 = alice
        .encrypt(&mut s.rng, at(t), Outgoing::message(&secret))
        .unwrap()
        .message;
    let m1 = alice
        .encrypt(&mut s.rng, at(t), Outgoing::message(&body(5)))
        .unwrap()
        .message;

    // Boundaries: 1 ms before the deadline it opens; at the deadline it is
    // expired (deadline ≤ now).
    let early = bob.clone().decrypt(at(t + 9_999), &m0).unwrap();
    assert_eq!(early.expiry, MessageExpiry::At(at(t + 10_000)));
    assert_eq!(&early.plaintext[..], &secret[..]);
    let due = bob.clone().decrypt(at(t + 10_000), &m0).unwrap();
    assert_eq!(due.expiry, MessageExpiry::Expired);
    assert!(due.plaintext.is_empty());

    // Received 11 s after sending: decrypts, expired, no plaintext.
    let late = at(t + 11_000);
    let mut bob_in_place = bob.clone();
    let got = bob.decrypt(late, &m0).unwrap();
    assert_eq!(got.expiry, MessageExpiry::Expired);
    assert!(got.plaintext.is_empty());
    // Message 0 of Alice's chain was her timer change.
    assert_eq!(got.message_number, 1);
    assert_eq!(got.content_type, ContentType::UserMessage);
    assert_eq!(got.timer_change, None);

    // The same through decrypt_in_place: empty body, and the plaintext is
    // nowhere in the caller's buffer.
    let mut buf = m0.clone();
    {
        let r = bob_in_place.decrypt_in_place(late, &mut buf).unwrap();
        assert_eq!(r.expiry, MessageExpiry::Expired);
        assert!(r.body.is_empty());
        assert_eq!(r.message_number, 1);
    }
    assert!(!contains(&buf, &secret), "plaintext left in the buffer");
    assert!(bob_in_place == bob, "both paths advance the ratchet alike");

    // The ratchet advanced: a replay is a duplicate, the next message opens.
    for b in [&mut bob, &mut bob_in_place] {
        assert_eq!(
            decrypt_fails(b, late, &m0, Some(&secret)),
            SessionError::DuplicateMessage
        );
        let next = b.clone().decrypt(at(t + 5_000), &m1).unwrap();
        assert_eq!(&next.plaintext[..], &body(5)[..]);
        assert_eq!(next.message_number, 2);
    }
}

// ---------------------------------------------------------------------------
// 5. After-read deadlines through the queue
// ---------------------------------------------------------------------------

#[test]
fn after_read_deadline_starts_at_mark_read() {
    let (mut s, mut alice, mut bob) = established(60);
    agree(&mut s.rng, &mut alice, &mut bob, T0, after_read(30));
    let msg = alice
        .encrypt(&mut s.rng, at(1_000), Outgoing::message(b"read me"))
        .unwrap()
        .message;
    // Received long after sending: after-read does not run before reading.
    let got = recv(&mut bob, at(3_600_000), &msg);
    let MessageExpiry::AfterRead { ttl_ms } = got.expiry else {
        panic!("expected AfterRead, got {:?}", got.expiry);
    };
    assert_eq!(ttl_ms, 30_000);
    assert_eq!(&got.plaintext[..], b"read me");

    let id = MessageId::from(7);
    let other = MessageId::from(8);
    let mut q = ExpiryQueue::new();
    q.insert(id, Expiry::AfterRead { ttl_ms }).unwrap();
    q.insert(other, Expiry::At(at(50_000_000))).unwrap();
    assert_eq!(q.next_deadline(), Some(at(50_000_000)));
    // Nothing pops before mark_read, however late.
    assert_eq!(q.pop_expired(at(40_000_000)), Vec::<MessageId>::new());
    assert_eq!(q.get(id), Some(Expiry::AfterRead { ttl_ms }));
    let read_at = at(45_000_000);
    assert_eq!(q.mark_read(id, read_at), Some(at(45_030_000)));
    assert_eq!(q.get(id), Some(Expiry::At(at(45_030_000))));
    assert_eq!(q.next_deadline(), Some(at(45_030_000)));
    // Reading again does not move the deadline.
    assert_eq!(q.mark_read(id, at(45_010_000)), Some(at(45_030_000)));
    assert!(q.pop_expired(at(45_029_999)).is_empty());
    assert_eq!(q.pop_expired(at(45_030_000)), vec![id]);
    assert_eq!(q.get(id), None);
    assert_eq!(q.mark_read(id, read_at), None);
    assert_eq!(q.len(), 1);
    assert_eq!(q.next_deadline(), Some(at(50_000_000)));

    // An after-send message's deadline pops exactly then.
    agree(&mut s.rng, &mut alice, &mut bob, at(1), after_send(20));
    let m = alice
        .encrypt(&mut s.rng, at(2_000), Outgoing::message(b"x"))
        .unwrap()
        .message;
    let got = recv(&mut bob, at(3_000), &m);
    let MessageExpiry::At(deadline) = got.expiry else {
        panic!("expected At, got {:?}", got.expiry);
    };
    assert_eq!(deadline, at(22_000));
    let mut q = ExpiryQueue::new();
    q.insert(MessageId::from(1), Expiry::At(deadline)).unwrap();
    assert!(q.pop_expired(at(21_999)).is_empty());
    assert_eq!(q.pop_expired(at(22_000)), vec![MessageId::from(1)]);
}

// ---------------------------------------------------------------------------
// 6. Skipped keys are erased on schedule
// ---------------------------------------------------------------------------

/// Alice sends `n` messages at `sent`; Bob reads only the last at `now`,
/// skipping the others. Returns the messages.
fn skip_all_but_last(
    s: &mut common::Setup,
    alice: &mut Session,
    bob: &mut Session,
    sent: Timestamp,
    now: Timestamp,
    n: usize,
) -> Vec<Vec<u8>> {
    let m: Vec<Vec<u8>> = (0..n)
        .map(|k| {
            alice
                .encrypt(&mut s.rng, sent, Outgoing::message(&body(k as u64)))
                .unwrap()
                .message
        })
        .collect();
    bob.decrypt(now, &m[n - 1]).unwrap();
    assert_eq!(bob.skipped_key_count(), n - 1);
    m
}

#[test]
fn skipped_keys_are_erased_after_ttl_plus_grace() {
    let (mut s, mut alice, mut bob) = established(70);
    agree(&mut s.rng, &mut alice, &mut bob, T0, after_send(60));
    let t1 = 2_000;
    let m = skip_all_but_last(&mut s, &mut alice, &mut bob, at(1_000), at(t1), 3);
    let window = 60_000 + SKIPPED_KEY_GRACE_MS;
    assert_eq!(bob.next_key_erasure(), Some(at(t1 + window + 1)));

    // Within the TTL the late message opens with its plaintext.
    let got = bob.clone().decrypt(at(t1 + 30_000), &m[0]).unwrap();
    assert_eq!(&got.plaintext[..], &body(0)[..]);
    assert_eq!(got.expiry, MessageExpiry::At(at(61_000)));
    // At the last instant of the window the key is still held (the message
    // itself has expired by then).
    let last = at(t1 + window);
    let mut b = bob.clone();
    b.erase_expired_keys(last);
    assert_eq!(b.skipped_key_count(), 2, "erased before the window ended");
    let got = b.decrypt(last, &m[0]).unwrap();
    assert_eq!(got.expiry, MessageExpiry::Expired);

    // One millisecond later: erased by erase_expired_keys...
    let gone = at(t1 + window + 1);
    let mut b = bob.clone();
    b.erase_expired_keys(gone);
    assert_eq!(b.skipped_key_count(), 0);
    assert_eq!(b.next_key_erasure(), None);
    assert_eq!(
        decrypt_fails(&mut b, gone, &m[0], Some(&body(0))),
        SessionError::MessageKeyErased
    );
    assert_eq!(
        decrypt_fails(&mut b, gone, &m[1], Some(&body(1))),
        SessionError::MessageKeyErased
    );
    // ...refused at lookup even before any erasure ran (and unchanged)...
    let mut b = bob.clone();
    assert_eq!(
        decrypt_fails(&mut b, gone, &m[0], Some(&body(0))),
        SessionError::MessageKeyErased
    );
    assert_eq!(b.skipped_key_count(), 2);
    // ...and erased implicitly by a later successful decrypt.
    let later = alice
        .encrypt(&mut s.rng, gone, Outgoing::message(b"later"))
        .unwrap()
        .message;
    let mut b = bob.clone();
    assert_eq!(&b.decrypt(gone, &later).unwrap().plaintext[..], b"later");
    assert_eq!(b.skipped_key_count(), 0);
    assert_eq!(
        decrypt_fails(&mut b, gone, &m[1], Some(&body(1))),
        SessionError::MessageKeyErased
    );
}

#[test]
fn a_timer_change_shortens_retention_at_once() {
    let (mut s, mut alice, mut bob) = established(71);
    let m = skip_all_but_last(&mut s, &mut alice, &mut bob, T0, T0, 3);
    assert_eq!(bob.next_key_erasure(), Some(at(MAX_SKIPPED_KEY_AGE_MS + 1)));
    // Two hours later Alice sets a 60 s timer: keys older than 60 s + grace
    // go as the change is received.
    let two_hours = 2 * 3600 * 1000;
    let (change, _) = alice
        .set_timer(&mut s.rng, at(two_hours), after_send(60))
        .unwrap();
    let got = recv(&mut bob, at(two_hours), &change);
    assert!(got.timer_change.is_some());
    assert_eq!(bob.skipped_key_count(), 0);
    assert_eq!(
        decrypt_fails(&mut bob, at(two_hours), &m[0], Some(&body(0))),
        SessionError::MessageKeyErased
    );
    // Our own change erases too.
    let (mut s, mut alice, mut bob) = established(72);
    skip_all_but_last(&mut s, &mut alice, &mut bob, T0, T0, 3);
    bob.set_timer(&mut s.rng, at(two_hours), after_send(60))
        .unwrap();
    assert_eq!(bob.skipped_key_count(), 0);
    // An after-read timer does not shorten retention.
    let (mut s, mut alice, mut bob) = established(73);
    skip_all_but_last(&mut s, &mut alice, &mut bob, T0, T0, 3);
    bob.set_timer(&mut s.rng, at(two_hours), after_read(60))
        .unwrap();
    assert_eq!(bob.skipped_key_count(), 2);
    assert_eq!(bob.next_key_erasure(), Some(at(MAX_SKIPPED_KEY_AGE_MS + 1)));
}

#[test]
fn max_skipped_key_age_shortens_retention_without_a_timer() {
    let (mut s, mut alice, mut bob) = established(74);
    let t1 = 5_000;
    let m = skip_all_but_last(&mut s, &mut alice, &mut bob, at(1_000), at(t1), 3);
    let before = bob.clone();
    bob.set_max_skipped_key_age(at(t1 + 1_000), 10_000);
    assert_eq!(bob.skipped_key_count(), 2, "not yet older than 10 s");
    assert_eq!(bob.next_key_erasure(), Some(at(t1 + 10_001)));
    let got = bob.clone().decrypt(at(t1 + 10_000), &m[0]).unwrap();
    assert_eq!(&got.plaintext[..], &body(0)[..]);
    assert_eq!(got.expiry, MessageExpiry::Never);
    assert_eq!(
        decrypt_fails(&mut bob, at(t1 + 10_001), &m[0], Some(&body(0))),
        SessionError::MessageKeyErased
    );
    // Setting it when keys are already older erases them at once.
    let mut b = before.clone();
    b.set_max_skipped_key_age(at(t1 + 10_001), 10_000);
    assert_eq!(b.skipped_key_count(), 0);
    // With a timer, the shorter of the two windows applies.
    let mut b = before;
    let (_, _) = b.set_timer(&mut s.rng, at(t1), after_send(60)).unwrap();
    assert_eq!(
        b.next_key_erasure(),
        Some(at(t1 + 60_000 + SKIPPED_KEY_GRACE_MS + 1))
    );
    b.set_max_skipped_key_age(at(t1), 1_000);
    assert_eq!(b.next_key_erasure(), Some(at(t1 + 1_001)));
}

#[test]
fn without_a_timer_keys_live_thirty_days() {
    let (mut s, mut alice, mut bob) = established(75);
    let t1 = 3_000;
    let m = skip_all_but_last(&mut s, &mut alice, &mut bob, at(1_000), at(t1), 3);
    assert_eq!(
        bob.next_key_erasure(),
        Some(at(t1 + MAX_SKIPPED_KEY_AGE_MS + 1))
    );
    let mut b = bob.clone();
    b.erase_expired_keys(at(t1 + MAX_SKIPPED_KEY_AGE_MS));
    assert_eq!(b.skipped_key_count(), 2);
    let got = b.decrypt(at(t1 + MAX_SKIPPED_KEY_AGE_MS), &m[0]).unwrap();
    assert_eq!(&got.plaintext[..], &body(0)[..]);
    assert_eq!(got.expiry, MessageExpiry::Never);
    let gone = at(t1 + MAX_SKIPPED_KEY_AGE_MS + 1);
    bob.erase_expired_keys(gone);
    assert_eq!(bob.skipped_key_count(), 0);
    assert_eq!(
        decrypt_fails(&mut bob, gone, &m[0], Some(&body(0))),
        SessionError::MessageKeyErased
    );
}

// ---------------------------------------------------------------------------
// 7. Malformed policies
// ---------------------------------------------------------------------------

#[test]
fn policy_constructor_bounds() {
    for mode in [ExpiryMode::AfterSend, ExpiryMode::AfterRead] {
        assert_eq!(ExpiryPolicy::new(mode, 0), Err(InvalidPolicy));
        assert_eq!(
            ExpiryPolicy::new(mode, MAX_TTL_SECS + 1),
            Err(InvalidPolicy)
        );
        assert_eq!(ExpiryPolicy::new(mode, u32::MAX), Err(InvalidPolicy));
        let one = ExpiryPolicy::new(mode, 1).unwrap();
        assert_eq!((one.mode(), one.ttl_secs(), one.ttl_ms()), (mode, 1, 1000));
        let max = ExpiryPolicy::new(mode, MAX_TTL_SECS).unwrap();
        assert_eq!(max.ttl_ms(), u64::from(MAX_TTL_SECS) * 1000);
    }
    assert_eq!(MAX_TTL_SECS, 365 * 24 * 3600);
    // `stricter` is what both sides use to settle a tie.
    assert_eq!(stricter(after_send(5), None), after_send(5));
    assert_eq!(stricter(None, after_read(5)), after_read(5));
}

const USER: u8 = ContentType::UserMessage as u8;
const CHANGE: u8 = ContentType::TimerChange as u8;

#[test]
fn invalid_policies_in_frames_change_nothing() {
    let (mut s, mut alice, mut bob) = established(80);
    // Bob holds a timer, so that a forged one that applied would show.
    agree(&mut s.rng, &mut bob, &mut alice, T0, after_send(60));
    // Alice opens a sending chain, so that every forged frame below is
    // sealed at the same position with the same key.
    let m = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"open"))
        .unwrap()
        .message;
    recv(&mut bob, T0, &m);
    let held = bob.clone();
    let secret = body(99);
    let bad_timers: [(u8, u32, u64); 9] = [
        (0x03, 60, 1),               // unknown mode
        (0xff, 60, 1),               // unknown mode
        (0x01, 0, 1),                // TTL 0, after-send
        (0x02, 0, 1),                // TTL 0, after-read
        (0x01, MAX_TTL_SECS + 1, 1), // TTL above the maximum
        (0x02, u32::MAX, 1),
        (0x00, 60, 1), // off with a TTL
        (0x00, 1, 0),
        (0x00, u32::MAX, 7),
    ];
    let mut cases: Vec<(Vec<u8>, SessionError)> = Vec::new();
    for t in bad_timers {
        cases.push((
            frame(USER, 1, Some(t), &secret),
            SessionError::InvalidPolicy,
        ));
        cases.push((frame(CHANGE, 1, Some(t), &[]), SessionError::InvalidPolicy));
    }
    // A timer change without a timer, at version 0, or with a body.
    cases.push((frame(CHANGE, 0, None, &[]), SessionError::InvalidPolicy));
    cases.push((
        frame(CHANGE, 1, Some((0x01, 60, 0)), &[]),
        SessionError::InvalidPolicy,
    ));
    cases.push((
        frame(CHANGE, 1, Some((0x01, 10, 5)), &secret),
        SessionError::InvalidPolicy,
    ));
    // The flag with the default timer (off, version 0) is not canonical.
    cases.push((
        frame(USER, 1, Some((0, 0, 0)), &secret),
        SessionError::Malformed(DecodeError::InvalidValue),
    ));
    for (plaintext, expected) in &cases {
        let wire = seal_raw(&mut s.rng, &alice, plaintext);
        assert_eq!(
            decrypt_fails(&mut bob, at(10), &wire, Some(&secret)),
            *expected,
            "frame {plaintext:02x?}"
        );
        assert!(bob == held);
    }
    // Controls: well-formed frames at the same position open, so the key
    // was not consumed and the hand-made layout is right.
    let good = [
        (frame(USER, 1, Some((0x01, MAX_TTL_SECS, 1)), &secret), None),
        (frame(USER, 1, Some((0x02, 1, 1)), &secret), None),
        (frame(USER, 0, None, &secret), None),
        (
            frame(CHANGE, 1, Some((0x00, 0, 5)), &[]),
            Some(timer(None, 5)),
        ),
        (
            frame(CHANGE, 1, Some((0x01, 10, 2)), &[]),
            Some(timer(after_send(10), 2)),
        ),
    ];
    for (plaintext, new_timer) in good {
        let wire = seal_raw(&mut s.rng, &alice, &plaintext);
        let mut b = bob.clone();
        let got = recv(&mut b, at(10), &wire);
        match new_timer {
            None => {
                assert_eq!(&got.plaintext[..], &secret[..]);
                assert_eq!(got.timer_change, None);
                assert_eq!(b.timer(), held.timer());
            }
            Some(t) => {
                assert_change(got.timer_change, ChangedBy::Peer, held.timer(), t);
                assert_eq!(b.timer(), t);
            }
        }
    }
}

#[test]
fn invalid_policy_refused_by_a_pending_session() {
    let mut s = setup(81, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let hello = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(b"hello"))
        .unwrap()
        .message;
    let (mut bob, _) = Session::accept(&s.bob_id, &mut s.store, T0, &hello).unwrap();
    // Bob opens his sending chain (message 0, never delivered), so the
    // frames below are sealed at position 1 with the same key.
    bob.encrypt(&mut s.rng, T0, Outgoing::message(b"lost"))
        .unwrap();
    let bad = seal_raw(&mut s.rng, &bob, &frame(CHANGE, 1, Some((0x01, 0, 1)), &[]));
    let (e, pending) = receive_fails(pending, &bad);
    assert_eq!(e, SessionError::InvalidPolicy);
    let bad = seal_raw(
        &mut s.rng,
        &bob,
        &frame(USER, 1, Some((0x07, 9, 1)), &body(1)),
    );
    let (e, pending) = receive_fails(pending, &bad);
    assert_eq!(e, SessionError::InvalidPolicy);
    assert_eq!(pending.timer(), ConversationTimer::default());
    // Control: the well-formed change at the same position is adopted.
    let good = seal_raw(&mut s.rng, &bob, &frame(CHANGE, 1, Some((0x01, 9, 1)), &[]));
    let (alice, got) = pending.receive(T0, &good).unwrap();
    assert_eq!(alice.timer(), timer(after_send(9), 1));
    assert_change(
        got.timer_change,
        ChangedBy::Peer,
        ConversationTimer::default(),
        alice.timer(),
    );
}

#[test]
fn failed_set_timer_changes_nothing() {
    let (mut s, mut alice, mut bob) = established(82);
    agree(&mut s.rng, &mut alice, &mut bob, T0, after_send(60));
    // The sending chain is exhausted: no change message, no change.
    assert!(hazmat::danger_set_sending_index(&mut alice, u32::MAX));
    let before = alice.clone();
    assert_eq!(
        alice.set_timer(&mut s.rng, at(1), None).map(|(_, c)| c.new),
        Err(SessionError::CounterOverflow)
    );
    assert!(alice == before);
    assert_eq!(alice.timer(), timer(after_send(60), 1));
    // One below the end still works (the control).
    assert!(hazmat::danger_set_sending_index(&mut alice, u32::MAX - 1));
    let (_, c) = alice.set_timer(&mut s.rng, at(1), None).unwrap();
    assert_eq!(c.new, timer(None, 2));

    // A pending session the same way.
    let mut s2 = setup(83, true);
    let mut pending = PendingSession::initiate(&mut s2.rng, &s2.alice_id, &s2.bundle).unwrap();
    assert!(hazmat::danger_set_sending_index(&mut pending, u32::MAX));
    let before = pending.clone();
    assert_eq!(
        pending
            .set_timer(&mut s2.rng, T0, after_send(5))
            .map(|(_, c)| c.new),
        Err(SessionError::CounterOverflow)
    );
    assert!(pending == before);

    // The version space cannot be exhausted by one message any more: a
    // peer's version more than MAX_TIMER_VERSION_STEP above the highest
    // seen is refused (see a_timer_version_jump_beyond_the_step_is_refused).

    // A timer change cannot be sent as ordinary content.
    let before = bob.clone();
    assert_eq!(
        bob.encrypt(&mut s.rng, T0, Outgoing::new(ContentType::TimerChange, b"")),
        Err(SessionError::InvalidPolicy)
    );
    assert!(bob == before);
}

// ---------------------------------------------------------------------------
// 8. The timer across the phase change
// ---------------------------------------------------------------------------

#[test]
fn timer_survives_the_phase_change() {
    let mut s = setup(90, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let (change, c) = pending.set_timer(&mut s.rng, T0, after_send(120)).unwrap();
    let t = timer(after_send(120), 1);
    assert_change(Some(c), ChangedBy::Us, ConversationTimer::default(), t);
    assert_eq!(pending.timer(), t);
    let hello = pending
        .encrypt(&mut s.rng, at(1), Outgoing::message(b"hello"))
        .unwrap()
        .message;
    // Bob starts from the timer change (a prekey message).
    let (mut bob, got) = Session::accept(&s.bob_id, &mut s.store, at(2), &change).unwrap();
    assert_eq!(bob.timer(), t);
    assert_change(
        got.timer_change,
        ChangedBy::Peer,
        ConversationTimer::default(),
        t,
    );
    let got = recv(&mut bob, at(3), &hello);
    assert_eq!(got.expiry, MessageExpiry::At(at(1 + 120_000)));
    let reply = bob
        .encrypt(&mut s.rng, at(4), Outgoing::message(b"reply"))
        .unwrap()
        .message;
    let (mut alice, got) = pending.receive(at(5), &reply).unwrap();
    assert_eq!(alice.timer(), t);
    assert_eq!(got.expiry, MessageExpiry::At(at(4 + 120_000)));
    assert_eq!(got.timer_change, None);
    // The next change builds on the carried version.
    let (_, c) = alice.set_timer(&mut s.rng, at(6), None).unwrap();
    assert_eq!(c.new, timer(None, 2));

    // Bob accepts from a user message sent after the change: the timer
    // arrives with the change message. Bob's own change, made before he saw
    // Alice's, outranks it (he saw version 1 on her user message, so his
    // change is version 2) and settles during Alice's pending receive.
    let mut s = setup(91, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let (change, _) = pending.set_timer(&mut s.rng, T0, after_send(120)).unwrap();
    let hello = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(b"hello"))
        .unwrap()
        .message;
    let (mut bob, got) = Session::accept(&s.bob_id, &mut s.store, T0, &hello).unwrap();
    // The user message carries Alice's timer: it bounds that message, but
    // only a timer-change message changes Bob's timer.
    assert_eq!(got.expiry, MessageExpiry::At(at(120_000)));
    assert_eq!(bob.timer(), ConversationTimer::default());
    let (bob_change, c) = bob.set_timer(&mut s.rng, at(1), after_send(300)).unwrap();
    let bobs = timer(after_send(300), 2);
    assert_change(Some(c), ChangedBy::Us, ConversationTimer::default(), bobs);
    let got = recv(&mut bob, at(2), &change);
    assert_eq!(got.timer_change, None, "Alice's version 1 is older");
    assert_eq!(bob.timer(), bobs);
    let (alice, got) = pending.receive(at(3), &bob_change).unwrap();
    assert_change(got.timer_change, ChangedBy::Peer, t, bobs);
    assert_eq!(alice.timer(), bobs);
}

// ---------------------------------------------------------------------------
// 9. Convergence under random interleavings
// ---------------------------------------------------------------------------

/// The model's meet of two policies, written independently of the
/// library's `stricter`: a set timer beats none; the shorter TTL; after-send
/// if either is.
fn model_meet(a: Option<ExpiryPolicy>, b: Option<ExpiryPolicy>) -> Option<ExpiryPolicy> {
    let (Some(x), Some(y)) = (a, b) else {
        return a.or(b);
    };
    let mode = if x.mode() == ExpiryMode::AfterRead && y.mode() == ExpiryMode::AfterRead {
        ExpiryMode::AfterRead
    } else {
        ExpiryMode::AfterSend
    };
    Some(ExpiryPolicy::new(mode, x.ttl_secs().min(y.ttl_secs())).unwrap())
}

/// The model's join of two timers: the higher version wins; at the same
/// version, the meet of the policies.
fn model_join(a: ConversationTimer, b: ConversationTimer) -> ConversationTimer {
    if a.version != b.version {
        return if a.version > b.version { a } else { b };
    }
    timer(model_meet(a.policy, b.policy), a.version)
}

/// The model's expiry of an ordinary message.
fn model_expiry(policy: Option<ExpiryPolicy>, sent: u64, now: u64) -> MessageExpiry {
    match policy {
        None => MessageExpiry::Never,
        Some(p) if p.mode() == ExpiryMode::AfterRead => MessageExpiry::AfterRead {
            ttl_ms: u64::from(p.ttl_secs()) * 1000,
        },
        Some(p) => {
            let deadline = sent.min(now) + u64::from(p.ttl_secs()) * 1000;
            if deadline <= now {
                MessageExpiry::Expired
            } else {
                MessageExpiry::At(Timestamp::from_unix_millis(deadline))
            }
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    SetTimer {
        alice: bool,
        policy: Option<ExpiryPolicy>,
    },
    Send {
        alice: bool,
    },
    Deliver {
        to_alice: bool,
        pick: usize,
    },
}

fn policy_strategy() -> impl Strategy<Value = Option<ExpiryPolicy>> {
    prop_oneof![
        1 => Just(None),
        4 => (any::<bool>(), prop::sample::select(vec![1u32, 5, 30, 60, 3600, MAX_TTL_SECS])).prop_map(
            |(read, ttl)| {
                let mode = if read { ExpiryMode::AfterRead } else { ExpiryMode::AfterSend };
                Some(ExpiryPolicy::new(mode, ttl).unwrap())
            }
        ),
    ]
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<bool>(), policy_strategy()).prop_map(|(alice, policy)| Op::SetTimer { alice, policy }),
        2 => any::<bool>().prop_map(|alice| Op::Send { alice }),
        4 => (any::<bool>(), any::<usize>()).prop_map(|(to_alice, pick)| Op::Deliver { to_alice, pick }),
    ]
}

/// A message in flight: its bytes, the timer its frame carries, whether it
/// is a timer change, and its send time.
struct InFlight {
    bytes: Vec<u8>,
    carried: ConversationTimer,
    is_change: bool,
    sent: Timestamp,
}

struct Side {
    session: Session,
    /// The model's timer of this side.
    model: ConversationTimer,
    /// The highest timer version this side has seen on any message.
    highest: u64,
    /// Messages in flight towards this side.
    inbox: Vec<InFlight>,
}

fn deliver(side: &mut Side, pick: usize, now: Timestamp) {
    if side.inbox.is_empty() {
        return;
    }
    let m = side.inbox.remove(pick % side.inbox.len());
    let old = side.session.timer();
    let got = recv(&mut side.session, now, &m.bytes);
    side.highest = side.highest.max(m.carried.version);
    if m.is_change {
        side.model = model_join(side.model, m.carried);
        assert_eq!(got.expiry, MessageExpiry::Never);
    } else {
        // An ordinary message: the meet of its own claim and the receiver's
        // timer at arrival.
        let expected = model_expiry(
            model_meet(m.carried.policy, old.policy),
            m.sent.as_unix_millis(),
            now.as_unix_millis(),
        );
        assert_eq!(got.expiry, expected, "expiry of an ordinary message");
        assert_eq!(
            &got.plaintext[..],
            if expected == MessageExpiry::Expired {
                &b""[..]
            } else {
                &b"m"[..]
            }
        );
    }
    let new = side.session.timer();
    assert_eq!(new, side.model, "timer differs from the model");
    if new == old {
        assert_eq!(got.timer_change, None);
    } else {
        assert_change(got.timer_change, ChangedBy::Peer, old, new);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn timers_converge_under_any_interleaving(
        seed in any::<u64>(),
        ops in prop::collection::vec(op_strategy(), 1..40),
        final_picks in prop::collection::vec(any::<usize>(), 0..80),
    ) {
        let (mut s, alice, bob) = established(seed);
        let mut a = Side { session: alice, model: ConversationTimer::default(), highest: 0, inbox: Vec::new() };
        let mut b = Side { session: bob, model: ConversationTimer::default(), highest: 0, inbox: Vec::new() };
        let mut all = ConversationTimer::default();
        let mut clock = 0u64;
        for op in ops {
            clock += 100;
            let now = at(clock);
            match op {
                Op::SetTimer { alice, policy } => {
                    let (me, peer) = if alice { (&mut a, &mut b) } else { (&mut b, &mut a) };
                    let old = me.session.timer();
                    let (msg, c) = me.session.set_timer(&mut s.rng, now, policy).unwrap();
                    // Our change outranks every version we have seen.
                    let new = timer(policy, me.model.version.max(me.highest) + 1);
                    prop_assert_eq!((c.by, c.old, c.new), (ChangedBy::Us, old, new));
                    prop_assert_eq!(me.session.timer(), new);
                    me.model = new;
                    me.highest = new.version;
                    all = model_join(all, new);
                    peer.inbox.push(InFlight { bytes: msg, carried: new, is_change: true, sent: now });
                }
                Op::Send { alice } => {
                    let (me, peer) = if alice { (&mut a, &mut b) } else { (&mut b, &mut a) };
                    let msg = me.session.encrypt(&mut s.rng, now, Outgoing::message(b"m")).unwrap().message;
                    peer.inbox.push(InFlight { bytes: msg, carried: me.model, is_change: false, sent: now });
                }
                Op::Deliver { to_alice, pick } => {
                    deliver(if to_alice { &mut a } else { &mut b }, pick, now);
                }
            }
        }
        // Deliver everything left, in a random order.
        let mut picks = final_picks.into_iter();
        while !a.inbox.is_empty() || !b.inbox.is_empty() {
            clock += 100;
            let pick = picks.next().unwrap_or(0);
            let to_alice = b.inbox.is_empty() || (!a.inbox.is_empty() && pick % 2 == 0);
            deliver(if to_alice { &mut a } else { &mut b }, pick / 2, at(clock));
        }
        prop_assert_eq!(a.session.timer(), b.session.timer());
        prop_assert_eq!(a.session.timer(), all);
    }
}

/// Regression: a skipped key whose window under the timer in force has
/// already run out, but which no erasure has removed yet (the app has not
/// called `erase_expired_keys` and nothing was decrypted since), must stay
/// erased when this side turns the timer off. (Found against an earlier
/// snapshot, where `Conversation::set_timer` assigned the new timer and only
/// then erased with the new, longer retention, so the late message
/// decrypted again.)
#[test]
fn own_timer_change_does_not_resurrect_keys_past_their_window() {
    let (mut s, mut alice, mut bob) = established(76);
    agree(&mut s.rng, &mut alice, &mut bob, T0, after_send(60));
    let t1 = 2_000;
    let m = skip_all_but_last(&mut s, &mut alice, &mut bob, at(1_000), at(t1), 3);
    // Two hours later the keys are past 60 s + grace: refused at lookup.
    let later = at(t1 + 2 * 3600 * 1000);
    assert_eq!(
        decrypt_fails(&mut bob.clone(), later, &m[0], Some(&body(0))),
        SessionError::MessageKeyErased
    );
    // Control: the peer turning the timer off does not bring them back
    // (its commit erases under the old retention first).
    let (off, _) = alice.set_timer(&mut s.rng, later, None).unwrap();
    let mut b = bob.clone();
    recv(&mut b, later, &off);
    assert_eq!(b.skipped_key_count(), 0);
    // Bob turning it off himself: the keys must stay erased.
    let mut b = bob.clone();
    b.set_timer(&mut s.rng, later, None).unwrap();
    let outcome = b.decrypt(later, &m[0]).map(|r| r.message_number);
    assert_eq!(
        outcome,
        Err(SessionError::MessageKeyErased),
        "a key past its retention window decrypted again after set_timer(None)"
    );
}

/// Regression, the same through `set_max_skipped_key_age`: raising the
/// maximum age must not resurrect keys already past the old one (it did on
/// the earlier snapshot).
#[test]
fn raising_max_age_does_not_resurrect_keys_past_their_window() {
    let (mut s, mut alice, mut bob) = established(77);
    let t1 = 2_000;
    let m = skip_all_but_last(&mut s, &mut alice, &mut bob, at(1_000), at(t1), 3);
    bob.set_max_skipped_key_age(at(t1), 10_000);
    let later = at(t1 + 60_000);
    assert_eq!(
        decrypt_fails(&mut bob.clone(), later, &m[0], Some(&body(0))),
        SessionError::MessageKeyErased
    );
    bob.set_max_skipped_key_age(later, MAX_SKIPPED_KEY_AGE_MS);
    let outcome = bob.decrypt(later, &m[0]).map(|r| r.message_number);
    assert_eq!(
        outcome,
        Err(SessionError::MessageKeyErased),
        "a key past its retention window decrypted again after raising the maximum age"
    );
}
