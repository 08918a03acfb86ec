//! Security properties of sessions, each checked against the whole state:
//!
//! - forward secrecy: a copy of a session stolen after messages were read
//!   cannot read them again (their keys are gone);
//! - post-compromise security: one round trip with fresh randomness locks a
//!   thief holding a copy of Alice's state out (it can neither read nor
//!   forge);
//! - transactional decryption: every failure class leaves the session, the
//!   pending session or the prekey store exactly as it was, and a failed
//!   in-place decryption leaves no plaintext in the caller's buffer;
//! - the prekey phase: one-time prekeys are consumed exactly once, the
//!   initiator attaches the prekey fields until it has decrypted a reply,
//!   the responder can start from any message of the initiator's first
//!   chain, and the prekey fields of later prekey messages are checked.

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
    T0, accept_fails, be32, body, decrypt_fails, established, flipped, header_offsets,
    prekey_offsets, ratchet_offsets, receive_fails, replaced, setup,
};
use sealwire::hazmat;
use sealwire::limits::{MAX_MESSAGE_LEN, MAX_SKIP};
use sealwire::testing::DangerDeterministicRng;
use sealwire::wire::{HEADER_LEN, MESSAGE_VERSION, Message, TYPE_PREKEY, TYPE_RATCHET};
use sealwire::{
    DecodeError, Encrypt, IdentityKeyPair, Outgoing, PendingSession, Session, SessionError,
};

const H: usize = ratchet_offsets::HEADER;

/// Header field ranges of a ratchet message.
fn n_range() -> core::ops::Range<usize> {
    H + header_offsets::N.start..H + header_offsets::N.end
}
fn pn_range() -> core::ops::Range<usize> {
    H + header_offsets::PN.start..H + header_offsets::PN.end
}
fn key_range() -> core::ops::Range<usize> {
    H + header_offsets::KEY.start..H + header_offsets::KEY.end
}

// ---------------------------------------------------------------------------
// Forward secrecy
// ---------------------------------------------------------------------------

#[test]
fn forward_secrecy_stolen_copy_cannot_reopen_read_messages() {
    let mut s = setup(10, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    // Alice's first chain: three prekey messages.
    let first: Vec<(Vec<u8>, Vec<u8>)> = (0..3)
        .map(|k| {
            let b = body(k);
            (
                pending
                    .encrypt(&mut s.rng, T0, Outgoing::message(&b))
                    .unwrap()
                    .message,
                b,
            )
        })
        .collect();
    let (mut bob, _) = Session::accept(&s.bob_id, &mut s.store, T0, &first[2].0).unwrap();
    bob.decrypt(T0, &first[0].0).unwrap();
    let reply = bob
        .encrypt(&mut s.rng, T0, Outgoing::message(b"reply"))
        .unwrap()
        .message;
    let (mut alice, _) = pending.receive(T0, &reply).map_err(|r| r.error).unwrap();
    // Alice's second chain, read out of order (5, 0, 3, then 1, 2, 4).
    let second: Vec<(Vec<u8>, Vec<u8>)> = (10..16)
        .map(|k| {
            let b = body(k);
            (
                alice
                    .encrypt(&mut s.rng, T0, Outgoing::message(&b))
                    .unwrap()
                    .message,
                b,
            )
        })
        .collect();
    for &k in &[5usize, 0, 3, 1, 2, 4] {
        let got = bob.decrypt(T0, &second[k].0).unwrap();
        assert_eq!(&got.plaintext[..], &second[k].1[..]);
    }
    // Bob has not read first[1] yet: its key is still held (skipped).
    assert_eq!(bob.skipped_key_count(), 1);

    // A thief copies Bob's whole state now.
    let mut stolen = bob.clone();
    for (msg, b) in first.iter().filter(|(_, b)| *b != body(1)).chain(&second) {
        assert_eq!(
            decrypt_fails(&mut stolen, T0, msg, Some(b)),
            SessionError::DuplicateMessage,
            "a read message's key must be gone"
        );
    }
    // The unread one is still readable (that is what a skipped key is for);
    // once read, it is gone too.
    let got = stolen.decrypt(T0, &first[1].0).unwrap();
    assert_eq!(&got.plaintext[..], &body(1)[..]);
    let mut stolen_later = stolen.clone();
    assert_eq!(
        decrypt_fails(&mut stolen_later, T0, &first[1].0, Some(&body(1))),
        SessionError::DuplicateMessage
    );
    assert_eq!(stolen_later.skipped_key_count(), 0);

    // Same on Alice's side after more ratchet steps: her copy cannot reread
    // the reply.
    let b2 = bob
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(99)))
        .unwrap()
        .message;
    alice.decrypt(T0, &b2).unwrap();
    let mut alice_stolen = alice.clone();
    assert_eq!(
        decrypt_fails(&mut alice_stolen, T0, &reply, Some(b"reply")),
        SessionError::DuplicateMessage
    );
    assert_eq!(
        decrypt_fails(&mut alice_stolen, T0, &b2, Some(&body(99))),
        SessionError::DuplicateMessage
    );
}

#[test]
fn forward_secrecy_holds_for_consumed_keys_of_closed_chains() {
    let (mut s, mut alice, mut bob) = established(11);
    let mut read = Vec::new();
    // Five ratchet turns; Bob reads each of Alice's messages.
    for turn in 0..5u64 {
        let b = body(turn);
        let m = alice
            .encrypt(&mut s.rng, T0, Outgoing::message(&b))
            .unwrap()
            .message;
        bob.decrypt(T0, &m).unwrap();
        read.push((m, b));
        let r = bob
            .encrypt(&mut s.rng, T0, Outgoing::message(b"ack"))
            .unwrap()
            .message;
        alice.decrypt(T0, &r).unwrap();
    }
    let mut stolen = bob.clone();
    for (m, b) in &read {
        let e = decrypt_fails(&mut stolen, T0, m, Some(b));
        // The four most recent closed chains are remembered (duplicate);
        // the older ones are forgotten altogether (and still do not open).
        assert!(
            matches!(
                e,
                SessionError::DuplicateMessage | SessionError::AuthenticationFailed
            ),
            "{e:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Post-compromise security
// ---------------------------------------------------------------------------

#[test]
fn post_compromise_security_after_one_round_trip() {
    let (mut s, mut alice, mut bob) = established(12);
    let a0 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"a0"))
        .unwrap()
        .message;
    bob.decrypt(T0, &a0).unwrap();

    // The thief copies Alice's whole state; it has its own randomness.
    let thief = alice.clone();
    let mut thief_rng = DangerDeterministicRng::from_u64(0xdead_beef);

    // The compromise is real: with the copy the thief reads Bob's next
    // message and forges Alice's next one.
    let b0 = bob
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(0)))
        .unwrap()
        .message;
    {
        let mut t = thief.clone();
        assert_eq!(&t.decrypt(T0, &b0).unwrap().plaintext[..], &body(0)[..]);
        let mut t = thief.clone();
        let forged = t
            .encrypt(&mut thief_rng, T0, Outgoing::message(b"forged early"))
            .unwrap()
            .message;
        let mut b = bob.clone();
        assert_eq!(
            &b.decrypt(T0, &forged).unwrap().plaintext[..],
            b"forged early"
        );
    }

    // One round trip with fresh randomness the thief does not see.
    alice.decrypt(T0, &b0).unwrap();
    let a1 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"a1"))
        .unwrap()
        .message;
    bob.decrypt(T0, &a1).unwrap();
    let later: Vec<(Vec<u8>, Vec<u8>)> = (1..4)
        .map(|k| {
            let b = body(k);
            (
                bob.encrypt(&mut s.rng, T0, Outgoing::message(&b))
                    .unwrap()
                    .message,
                b,
            )
        })
        .collect();

    // Thief as stolen, and thief that also read b0 off the wire.
    let mut thief_plain = thief.clone();
    let mut thief_read = thief.clone();
    thief_read.decrypt(T0, &b0).unwrap();
    for t in [&mut thief_plain, &mut thief_read] {
        for (m, b) in &later {
            let e = decrypt_fails(t, T0, m, Some(b));
            assert_eq!(e, SessionError::AuthenticationFailed);
        }
    }

    // Nor can it forge: neither in Alice's old chain nor with a ratchet key
    // of its own.
    for t in [&mut thief_plain, &mut thief_read] {
        for k in 0..3 {
            let forged = t
                .encrypt(
                    &mut thief_rng,
                    T0,
                    Outgoing::message(format!("forged {k}").as_bytes()),
                )
                .unwrap()
                .message;
            let e = decrypt_fails(&mut bob, T0, &forged, None);
            assert_eq!(e, SessionError::AuthenticationFailed);
        }
    }

    // Alice and Bob carry on unharmed.
    for (m, b) in &later {
        assert_eq!(&alice.decrypt(T0, m).unwrap().plaintext[..], &b[..]);
    }
    let a2 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"a2"))
        .unwrap()
        .message;
    assert_eq!(&bob.decrypt(T0, &a2).unwrap().plaintext[..], b"a2");
}

// ---------------------------------------------------------------------------
// Transactional decryption
// ---------------------------------------------------------------------------

/// Bob with a closed chain (Alice's first), a current chain (Alice's
/// second) at position 3 and one skipped key (position 1); plus messages.
struct Scene {
    s: common::Setup,
    alice: Session,
    bob: Session,
    hello: Vec<u8>,
    /// Alice's second chain: positions 0..=4, bodies `body(0..5)`.
    chain: Vec<Vec<u8>>,
}

fn scene(seed: u64) -> Scene {
    let mut s = setup(seed, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let hello = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(b"hello"))
        .unwrap()
        .message;
    let (mut bob, _) = Session::accept(&s.bob_id, &mut s.store, T0, &hello).unwrap();
    let reply = bob
        .encrypt(&mut s.rng, T0, Outgoing::message(b"reply"))
        .unwrap()
        .message;
    let (mut alice, _) = pending.receive(T0, &reply).map_err(|r| r.error).unwrap();
    let chain: Vec<Vec<u8>> = (0..5)
        .map(|k| {
            alice
                .encrypt(&mut s.rng, T0, Outgoing::message(&body(k)))
                .unwrap()
                .message
        })
        .collect();
    bob.decrypt(T0, &chain[0]).unwrap();
    bob.decrypt(T0, &chain[2]).unwrap();
    assert_eq!(bob.skipped_key_count(), 1);
    Scene {
        s,
        alice,
        bob,
        hello,
        chain,
    }
}

/// After the failures, the scene's remaining messages still decrypt.
fn scene_still_works(sc: &mut Scene) {
    for k in [1usize, 3, 4] {
        let got = sc.bob.decrypt(T0, &sc.chain[k]).unwrap();
        assert_eq!(&got.plaintext[..], &body(k as u64)[..]);
        assert_eq!(got.message_number, k as u32);
    }
    assert_eq!(sc.bob.skipped_key_count(), 0);
    let r = sc
        .bob
        .encrypt(&mut sc.s.rng, T0, Outgoing::message(b"still fine"))
        .unwrap()
        .message;
    assert_eq!(
        &sc.alice.decrypt(T0, &r).unwrap().plaintext[..],
        b"still fine"
    );
}

#[test]
fn tampered_ciphertext_or_tag_every_bit() {
    let mut sc = scene(20);
    let m = sc.chain[3].clone();
    // From the nonce mask r (bytes 40..52 of the header) to the tag.
    for at in H + 40..m.len() {
        for bit in 0..8 {
            let e = decrypt_fails(&mut sc.bob, T0, &flipped(&m, at, 1 << bit), Some(&body(3)));
            assert_eq!(e, SessionError::AuthenticationFailed, "byte {at} bit {bit}");
        }
    }
    scene_still_works(&mut sc);
}

#[test]
fn tampered_header_counter_pn_and_ratchet_key() {
    let mut sc = scene(21);
    let m = sc.chain[3].clone();
    let secret = body(3);
    let with_n = |n: u32| replaced(&m, n_range(), &n.to_be_bytes());
    // Forward within the chain, onto the skipped key, past the end.
    for n in [4u32, 5, 100, 1] {
        assert_eq!(
            decrypt_fails(&mut sc.bob, T0, &with_n(n), Some(&secret)),
            SessionError::AuthenticationFailed,
            "N = {n}"
        );
    }
    // Onto consumed positions: refused before any decryption.
    for n in [0u32, 2] {
        assert_eq!(
            decrypt_fails(&mut sc.bob, T0, &with_n(n), Some(&secret)),
            SessionError::DuplicateMessage,
            "N = {n}"
        );
    }
    // Far ahead: refused before deriving anything.
    for n in [3 + MAX_SKIP + 1, u32::MAX / 2, u32::MAX] {
        assert_eq!(
            decrypt_fails(&mut sc.bob, T0, &with_n(n), Some(&secret)),
            SessionError::TooManySkipped,
            "N = {n}"
        );
    }
    // PN is authenticated too.
    for pn in [0u32, 2, 7, u32::MAX] {
        let t = replaced(&m, pn_range(), &pn.to_be_bytes());
        if t == m {
            continue;
        }
        assert_eq!(
            decrypt_fails(&mut sc.bob, T0, &t, Some(&secret)),
            SessionError::AuthenticationFailed,
            "PN = {pn}"
        );
    }
    // Another valid ratchet key: a new chain that does not authenticate.
    let other = hazmat::x25519_public([7u8; 32]);
    assert_eq!(
        decrypt_fails(
            &mut sc.bob,
            T0,
            &replaced(&m, key_range(), &other),
            Some(&secret)
        ),
        SessionError::AuthenticationFailed
    );
    // A new ratchet key with PN/N so large the skip limit trips first.
    let t = replaced(&m, key_range(), &other);
    let t = replaced(&t, pn_range(), &(3 + MAX_SKIP).to_be_bytes());
    assert_eq!(
        decrypt_fails(&mut sc.bob, T0, &t, Some(&secret)),
        SessionError::TooManySkipped
    );
    // The key of Alice's first (closed) chain: position 0 was read
    // (duplicate), position 3 never existed (forgery).
    let first_key = match Message::parse(&sc.hello).unwrap() {
        Message::Prekey(p) => p.message.header.ratchet_key,
        _ => unreachable!(),
    };
    let t = replaced(&m, key_range(), &first_key);
    assert_eq!(
        decrypt_fails(&mut sc.bob, T0, &t, Some(&secret)),
        SessionError::AuthenticationFailed
    );
    let t = replaced(&t, n_range(), &0u32.to_be_bytes());
    assert_eq!(
        decrypt_fails(&mut sc.bob, T0, &t, Some(&secret)),
        SessionError::DuplicateMessage
    );
    scene_still_works(&mut sc);
}

#[test]
fn message_of_another_session_is_refused() {
    let mut sc = scene(22);
    // Carol talks to Bob (same Bob identity, other session).
    let mut carol_rng = DangerDeterministicRng::from_u64(222);
    let carol = IdentityKeyPair::generate(&mut carol_rng);
    let bundle = sc.s.store.bundle(&sc.s.bob_id, None).unwrap();
    let mut carol_pending = PendingSession::initiate(&mut carol_rng, &carol, &bundle).unwrap();
    let c0 = carol_pending
        .encrypt(&mut carol_rng, T0, Outgoing::message(&body(50)))
        .unwrap()
        .message;
    let (mut bob_carol, _) = Session::accept(&sc.s.bob_id, &mut sc.s.store, T0, &c0).unwrap();
    let r = bob_carol
        .encrypt(&mut carol_rng, T0, Outgoing::message(b"hi carol"))
        .unwrap()
        .message;
    let (mut carol_s, _) = carol_pending.receive(T0, &r).map_err(|r| r.error).unwrap();
    let c1 = carol_s
        .encrypt(&mut carol_rng, T0, Outgoing::message(&body(51)))
        .unwrap()
        .message;
    let c2 = alice_second_session_message(&mut sc);

    // Carol's prekey message to the Alice session: another initiator.
    assert_eq!(
        decrypt_fails(&mut sc.bob, T0, &c0, Some(&body(50))),
        SessionError::SessionMismatch
    );
    // Carol's ratchet message to the Alice session: does not authenticate.
    assert_eq!(
        decrypt_fails(&mut sc.bob, T0, &c1, Some(&body(51))),
        SessionError::AuthenticationFailed
    );
    // A second session Alice opened with Bob (another base key).
    assert_eq!(
        decrypt_fails(&mut sc.bob, T0, &c2, Some(&body(52))),
        SessionError::SessionMismatch
    );
    // Bob's own message to Alice, reflected back at him.
    let reflected = sc
        .bob
        .clone()
        .encrypt(&mut sc.s.rng, T0, Outgoing::message(&body(53)))
        .unwrap()
        .message;
    assert_eq!(
        decrypt_fails(&mut sc.bob, T0, &reflected, Some(&body(53))),
        SessionError::AuthenticationFailed
    );
    // Alice's message to Bob offered to Bob's session with Carol.
    assert_eq!(
        decrypt_fails(&mut bob_carol, T0, &sc.chain[3], Some(&body(3))),
        SessionError::AuthenticationFailed
    );
    // An established initiator never takes prekey messages.
    assert_eq!(
        decrypt_fails(&mut sc.alice, T0, &c0, Some(&body(50))),
        SessionError::SessionMismatch
    );
    scene_still_works(&mut sc);
}

/// A prekey message of a second session Alice opens with Bob.
fn alice_second_session_message(sc: &mut Scene) -> Vec<u8> {
    let bundle = sc.s.store.bundle(&sc.s.bob_id, None).unwrap();
    let mut again = PendingSession::initiate(&mut sc.s.rng, &sc.s.alice_id, &bundle).unwrap();
    again
        .encrypt(&mut sc.s.rng, T0, Outgoing::message(&body(52)))
        .unwrap()
        .message
}

#[test]
fn replays_are_refused() {
    let mut sc = scene(23);
    // Current chain, twice each.
    for k in [0usize, 2] {
        for _ in 0..2 {
            assert_eq!(
                decrypt_fails(&mut sc.bob, T0, &sc.chain[k], Some(&body(k as u64))),
                SessionError::DuplicateMessage
            );
        }
    }
    // The prekey message Bob accepted with (closed chain now).
    assert_eq!(
        decrypt_fails(&mut sc.bob, T0, &sc.hello, Some(b"hello")),
        SessionError::DuplicateMessage
    );
    // A skipped key used once is gone.
    sc.bob.decrypt(T0, &sc.chain[1]).unwrap();
    assert_eq!(
        decrypt_fails(&mut sc.bob, T0, &sc.chain[1], Some(&body(1))),
        SessionError::DuplicateMessage
    );
    // Replays to the initiator: Bob's reply.
    let r = sc
        .bob
        .encrypt(&mut sc.s.rng, T0, Outgoing::message(&body(60)))
        .unwrap()
        .message;
    sc.alice.decrypt(T0, &r).unwrap();
    assert_eq!(
        decrypt_fails(&mut sc.alice, T0, &r, Some(&body(60))),
        SessionError::DuplicateMessage
    );
}

#[test]
fn truncated_extended_and_relabelled_messages_are_refused() {
    let mut sc = scene(24);
    let m = sc.chain[3].clone();
    let secret = body(3);
    for len in 0..m.len() {
        let e = decrypt_fails(&mut sc.bob, T0, &m[..len], Some(&secret));
        if len < H + HEADER_LEN + 16 {
            assert_eq!(
                e,
                SessionError::Malformed(DecodeError::Truncated),
                "len {len}"
            );
        } else {
            assert_eq!(e, SessionError::AuthenticationFailed, "len {len}");
        }
    }
    for extra in 1..=32usize {
        let mut t = m.clone();
        t.extend(std::iter::repeat_n(0u8, extra));
        assert_eq!(
            decrypt_fails(&mut sc.bob, T0, &t, Some(&secret)),
            SessionError::AuthenticationFailed,
            "{extra} trailing bytes"
        );
    }
    for v in 0..=255u8 {
        if v == MESSAGE_VERSION {
            continue;
        }
        assert_eq!(
            decrypt_fails(&mut sc.bob, T0, &replaced(&m, 0..1, &[v]), Some(&secret)),
            SessionError::Malformed(DecodeError::UnsupportedVersion(v))
        );
    }
    for t in (0..=255u8).filter(|&t| t != TYPE_RATCHET) {
        let e = decrypt_fails(&mut sc.bob, T0, &replaced(&m, 1..2, &[t]), Some(&secret));
        if t == sealwire::wire::TYPE_FRANKED_RATCHET {
            // Read as a franked message, the first 32 ciphertext bytes
            // become the commitment, which enters the associated data.
            assert!(
                matches!(
                    e,
                    SessionError::AuthenticationFailed
                        | SessionError::Malformed(DecodeError::Truncated)
                ),
                "{e:?}"
            );
        } else if t == TYPE_PREKEY || t == sealwire::wire::TYPE_FRANKED_PREKEY {
            // Read as a prekey message the header's bytes become prekey
            // fields: refused whichever way.
            assert!(
                matches!(
                    e,
                    SessionError::Malformed(_) | SessionError::SessionMismatch
                ),
                "{e:?}"
            );
        } else {
            assert_eq!(e, SessionError::Malformed(DecodeError::UnexpectedType(t)));
        }
    }
    let huge = vec![1u8; MAX_MESSAGE_LEN + 1];
    assert_eq!(
        decrypt_fails(&mut sc.bob, T0, &huge, None),
        SessionError::Malformed(DecodeError::TooLarge)
    );
    scene_still_works(&mut sc);
}

/// Builds an inner frame with every field under the caller's control.
#[allow(clippy::too_many_arguments)]
/// The frame version (SPEC.md §8.1).
const FV: u8 = sealwire::wire::FRAME_VERSION;

fn frame(
    version: u8,
    content: u8,
    flags: u8,
    body_len_field: u32,
    body: &[u8],
    padding: usize,
    pad_byte: u8,
) -> Vec<u8> {
    let mut f = vec![version, content, flags];
    f.extend_from_slice(&T0.as_unix_millis().to_be_bytes());
    f.extend_from_slice(&body_len_field.to_be_bytes());
    f.extend_from_slice(body);
    f.extend(std::iter::repeat_n(pad_byte, padding));
    f
}

#[test]
fn frame_failures_after_authentication_change_nothing() {
    let mut sc = scene(25);
    // Alice's next position is 5; every forged frame is sealed there with
    // the real key (through a copy of Alice), so the tag verifies and only
    // the frame is wrong.
    let secret = body(77);
    let pad = 32 - secret.len();
    let good = frame(FV, 1, 0, secret.len() as u32, &secret, pad, 0);
    let cases: Vec<(Vec<u8>, SessionError)> = vec![
        (
            frame(1, 1, 0, secret.len() as u32, &secret, pad, 0),
            SessionError::Malformed(DecodeError::UnsupportedVersion(1)),
        ),
        (
            frame(3, 1, 0, secret.len() as u32, &secret, pad, 0),
            SessionError::Malformed(DecodeError::UnsupportedVersion(3)),
        ),
        // A timer change without a timer block (and with a body).
        (
            frame(FV, 2, 0, secret.len() as u32, &secret, pad, 0),
            SessionError::InvalidPolicy,
        ),
        // Content type 0x03 (group key distribution) is defined since the
        // group revision; 0x05 is not.
        (
            frame(FV, 5, 0, secret.len() as u32, &secret, pad, 0),
            SessionError::Malformed(DecodeError::InvalidValue),
        ),
        (
            frame(FV, 9, 0, secret.len() as u32, &secret, pad, 0),
            SessionError::Malformed(DecodeError::InvalidValue),
        ),
        // The timer flag without a timer block: the body length is read as
        // mode 0 ("off") with a non-zero TTL.
        (
            frame(FV, 1, 1, secret.len() as u32, &secret, pad, 0),
            SessionError::InvalidPolicy,
        ),
        // The franked flag (SPEC.md §19) with a well-formed franking key,
        // in a message that carries no commitment: refused.
        (
            {
                let mut f = frame(FV, 1, 2, secret.len() as u32, &secret, pad, 0);
                f.splice(11..11, [0x42u8; 32]);
                f
            },
            SessionError::Malformed(DecodeError::InvalidValue),
        ),
        (
            frame(FV, 1, 4, secret.len() as u32, &secret, pad, 0),
            SessionError::Malformed(DecodeError::UnknownFlags(4)),
        ),
        (
            frame(FV, 1, 0, secret.len() as u32, &secret, pad, 1),
            SessionError::Malformed(DecodeError::InvalidValue),
        ),
        (
            frame(FV, 1, 0, secret.len() as u32, &secret, pad + 1, 0),
            SessionError::Malformed(DecodeError::InvalidValue),
        ),
        (
            frame(FV, 1, 0, secret.len() as u32, &secret, pad - 1, 0),
            SessionError::Malformed(DecodeError::InvalidValue),
        ),
        (
            frame(FV, 1, 0, 1000, &secret, pad, 0),
            SessionError::Malformed(DecodeError::Truncated),
        ),
        (
            frame(FV, 1, 0, u32::MAX, &secret, pad, 0),
            SessionError::Malformed(DecodeError::TooLarge),
        ),
        (
            good[..10].to_vec(),
            SessionError::Malformed(DecodeError::Truncated),
        ),
    ];
    for (plaintext, expected) in cases {
        let mut a = sc.alice.clone();
        let raw = hazmat::encrypt_raw(&mut a, &mut sc.s.rng, &plaintext).unwrap();
        let mut wire = vec![MESSAGE_VERSION, TYPE_RATCHET];
        wire.extend_from_slice(&raw);
        assert_eq!(be32(&wire, n_range().start), 5);
        let e = decrypt_fails(&mut sc.bob, T0, &wire, Some(&secret));
        assert_eq!(e, expected);
    }
    // The well-formed frame at the same position opens (the key was not
    // consumed by the failures).
    let mut a = sc.alice.clone();
    let raw = hazmat::encrypt_raw(&mut a, &mut sc.s.rng, &good).unwrap();
    let mut wire = vec![MESSAGE_VERSION, TYPE_RATCHET];
    wire.extend_from_slice(&raw);
    let mut bob = sc.bob.clone();
    let got = bob.decrypt(T0, &wire).unwrap();
    assert_eq!(&got.plaintext[..], &secret[..]);
    assert_eq!(got.message_number, 5);
    scene_still_works(&mut sc);
}

#[test]
fn accept_failures_leave_the_store_unchanged() {
    let mut s = setup(30, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let m0 = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(0)))
        .unwrap()
        .message;
    let m1 = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(1)))
        .unwrap()
        .message;
    let original = s.store.clone();
    let held: Vec<u32> = s.store.one_time_prekeys().iter().map(|o| o.id).collect();
    assert_eq!(held.len(), 3);
    let opk = s.opk_id.unwrap();
    let other_opk = *held.iter().find(|&&id| id != opk).unwrap();

    // Unknown signed prekey id.
    let t = replaced(&m0, prekey_offsets::SPK_ID, &99u32.to_be_bytes());
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &t),
        SessionError::UnknownSignedPrekey
    );
    // Unknown one-time prekey id.
    let t = replaced(&m0, prekey_offsets::OPK_ID, &9999u32.to_be_bytes());
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &t),
        SessionError::UnknownOneTimePrekey
    );
    // Another one-time prekey that is held: X3DH differs, nothing consumed.
    let t = replaced(&m0, prekey_offsets::OPK_ID, &other_opk.to_be_bytes());
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &t),
        SessionError::AuthenticationFailed
    );
    // Another initiator identity, another base key.
    let mallory = IdentityKeyPair::generate(&mut DangerDeterministicRng::from_u64(31));
    let t = replaced(&m0, prekey_offsets::IDENTITY, mallory.public().as_bytes());
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &t),
        SessionError::AuthenticationFailed
    );
    let t = replaced(
        &m0,
        prekey_offsets::BASE_KEY,
        &hazmat::x25519_public([9; 32]),
    );
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &t),
        SessionError::AuthenticationFailed
    );
    // Tampered ciphertext, header, tag.
    for at in [
        prekey_offsets::HEADER_WITH_OPK + 3,
        m0.len() - 40,
        m0.len() - 1,
    ] {
        assert_eq!(
            accept_fails(&s.bob_id, &mut s.store, &flipped(&m0, at, 0x10)),
            SessionError::AuthenticationFailed
        );
    }
    // Without the one-time prekey flag (the id becomes header bytes).
    let mut t = m0.clone();
    t[prekey_offsets::FLAGS] = 0;
    t.remove(prekey_offsets::OPK_ID.start);
    assert!(accept_fails(&s.bob_id, &mut s.store, &t) == SessionError::AuthenticationFailed);
    // A ratchet message is not a prekey message.
    let (_, mut a, mut b) = established(32);
    let ratchet = a
        .encrypt(&mut s.rng, T0, Outgoing::message(b"x"))
        .unwrap()
        .message;
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &ratchet),
        SessionError::UnexpectedMessage
    );
    let _ = b.decrypt(T0, &ratchet).unwrap();
    // Garbage.
    assert!(matches!(
        accept_fails(&s.bob_id, &mut s.store, b"\x01\x02short"),
        SessionError::Malformed(_)
    ));
    assert!(s.store == original);

    // The genuine message is accepted and consumes exactly its prekey.
    let (mut bob, got) = Session::accept(&s.bob_id, &mut s.store, T0, &m0).unwrap();
    assert_eq!(&got.plaintext[..], &body(0)[..]);
    let left: Vec<u32> = s.store.one_time_prekeys().iter().map(|o| o.id).collect();
    assert_eq!(
        left,
        held.iter()
            .copied()
            .filter(|&id| id != opk)
            .collect::<Vec<_>>()
    );
    // Consumed: a second accept of either message fails, store unchanged.
    for m in [&m0, &m1] {
        assert_eq!(
            accept_fails(&s.bob_id, &mut s.store, m),
            SessionError::UnknownOneTimePrekey
        );
    }
    assert_eq!(&bob.decrypt(T0, &m1).unwrap().plaintext[..], &body(1)[..]);

    // A signed prekey rotated out of the store.
    let mut s2 = setup(33, false);
    let mut p2 = PendingSession::initiate(&mut s2.rng, &s2.alice_id, &s2.bundle).unwrap();
    let old = p2
        .encrypt(&mut s2.rng, T0, Outgoing::message(b"old spk"))
        .unwrap()
        .message;
    for _ in 0..sealwire::limits::MAX_SIGNED_PREKEYS - 1 {
        s2.store.rotate_signed_prekey(&s2.bob_id, &mut s2.rng);
    }
    // Still held: accepted (on a copy).
    let mut copy = s2.store.clone();
    Session::accept(&s2.bob_id, &mut copy, T0, &old).unwrap();
    assert!(copy == s2.store, "no one-time prekey, nothing consumed");
    s2.store.rotate_signed_prekey(&s2.bob_id, &mut s2.rng);
    assert_eq!(
        accept_fails(&s2.bob_id, &mut s2.store, &old),
        SessionError::UnknownSignedPrekey
    );
}

#[test]
fn pending_receive_rejections_hand_back_an_equal_session() {
    let mut s = setup(40, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let m0 = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(b"open"))
        .unwrap()
        .message;
    let (mut bob, _) = Session::accept(&s.bob_id, &mut s.store, T0, &m0).unwrap();
    let reply = bob
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(1)))
        .unwrap()
        .message;

    // Another session's reply (Bob's session with someone else).
    let (mut s_other, _, mut bob_other) = established(41);
    let foreign = bob_other
        .encrypt(&mut s_other.rng, T0, Outgoing::message(&body(2)))
        .unwrap()
        .message;

    let mut cases: Vec<(Vec<u8>, Option<SessionError>)> = vec![
        (m0.clone(), Some(SessionError::UnexpectedMessage)),
        (foreign, Some(SessionError::AuthenticationFailed)),
        (
            b"".to_vec(),
            Some(SessionError::Malformed(DecodeError::Truncated)),
        ),
        (
            replaced(&reply, 0..1, &[9]),
            Some(SessionError::Malformed(DecodeError::UnsupportedVersion(9))),
        ),
        (
            replaced(&reply, 1..2, &[7]),
            Some(SessionError::Malformed(DecodeError::UnexpectedType(7))),
        ),
    ];
    for at in 0..reply.len() {
        cases.push((flipped(&reply, at, 0x01), None));
    }
    for len in 0..reply.len() {
        cases.push((reply[..len].to_vec(), None));
    }
    let mut extended = reply.clone();
    extended.push(0);
    cases.push((extended, Some(SessionError::AuthenticationFailed)));

    for (msg, expected) in cases {
        let (e, back) = receive_fails(pending, &msg);
        if let Some(expected) = expected {
            assert_eq!(e, expected);
        }
        pending = back;
    }
    // Still pending: still sends prekey messages.
    let m1 = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(3)))
        .unwrap()
        .message;
    assert_eq!(m1[1], TYPE_PREKEY);
    assert_eq!(&bob.decrypt(T0, &m1).unwrap().plaintext[..], &body(3)[..]);
    // The genuine reply establishes the session.
    let (mut alice, got) = pending.receive(T0, &reply).map_err(|r| r.error).unwrap();
    assert_eq!(&got.plaintext[..], &body(1)[..]);
    let m2 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"established"))
        .unwrap()
        .message;
    assert_eq!(m2[1], TYPE_RATCHET);
    assert_eq!(&bob.decrypt(T0, &m2).unwrap().plaintext[..], b"established");
}

// ---------------------------------------------------------------------------
// The prekey phase
// ---------------------------------------------------------------------------

#[test]
fn one_time_prekeys_are_consumed_exactly_once() {
    let mut s = setup(50, true);
    let opk = s.opk_id.unwrap();
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let first: Vec<Vec<u8>> = (0..5)
        .map(|k| {
            pending
                .encrypt(&mut s.rng, T0, Outgoing::message(&body(k)))
                .unwrap()
                .message
        })
        .collect();
    assert_eq!(s.store.one_time_prekey_count(), 3);
    // Bob starts from the fifth message.
    let (mut bob, got) = Session::accept(&s.bob_id, &mut s.store, T0, &first[4]).unwrap();
    assert_eq!(got.message_number, 4);
    assert_eq!(&got.plaintext[..], &body(4)[..]);
    assert_eq!(s.store.one_time_prekey_count(), 2);
    assert!(s.store.one_time_prekeys().iter().all(|o| o.id != opk));
    assert_eq!(bob.skipped_key_count(), 4);
    // The earlier prekey messages of the same session go through the
    // session, not through accept.
    for k in 0..4 {
        assert_eq!(
            accept_fails(&s.bob_id, &mut s.store, &first[k]),
            SessionError::UnknownOneTimePrekey
        );
        let got = bob.decrypt(T0, &first[k]).unwrap();
        assert_eq!(got.message_number, k as u32);
        assert_eq!(&got.plaintext[..], &body(k as u64)[..]);
    }
    assert_eq!(bob.skipped_key_count(), 0);
    // A second initiator with the same bundle (same one-time prekey): the
    // prekey is gone.
    let mut again = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let other = again
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(9)))
        .unwrap()
        .message;
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &other),
        SessionError::UnknownOneTimePrekey
    );
    // ... and offered to the existing session: another base key.
    assert_eq!(
        decrypt_fails(&mut bob, T0, &other, Some(&body(9))),
        SessionError::SessionMismatch
    );
    // A fresh bundle with another one-time prekey works and consumes it.
    let next = s.store.one_time_prekeys()[0].id;
    let bundle = s.store.bundle(&s.bob_id, Some(next)).unwrap();
    let mut third = PendingSession::initiate(&mut s.rng, &s.alice_id, &bundle).unwrap();
    let m = third
        .encrypt(&mut s.rng, T0, Outgoing::message(b"third"))
        .unwrap()
        .message;
    Session::accept(&s.bob_id, &mut s.store, T0, &m).unwrap();
    assert_eq!(s.store.one_time_prekey_count(), 1);
    assert!(matches!(
        s.store.bundle(&s.bob_id, Some(next)),
        Err(sealwire::MissingPrekey::OneTimePrekey { id }) if id == next
    ));
    // No one-time prekey in the bundle: the store is not touched.
    let bundle = s.store.bundle(&s.bob_id, None).unwrap();
    let mut fourth = PendingSession::initiate(&mut s.rng, &s.alice_id, &bundle).unwrap();
    let m = fourth
        .encrypt(&mut s.rng, T0, Outgoing::message(b"fourth"))
        .unwrap()
        .message;
    assert_eq!(m[prekey_offsets::FLAGS], 0);
    let before = s.store.clone();
    Session::accept(&s.bob_id, &mut s.store, T0, &m).unwrap();
    assert!(s.store == before);
}

#[test]
fn initiator_attaches_prekey_fields_until_it_decrypts_a_reply() {
    let mut s = setup(51, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let mut base_key = None;
    let mut sent = Vec::new();
    for k in 0..3 {
        let m = pending
            .encrypt(&mut s.rng, T0, Outgoing::message(&body(k)))
            .unwrap()
            .message;
        match Message::parse(&m).unwrap() {
            Message::Prekey(p) => {
                assert_eq!(p.identity_key, *s.alice_id.public());
                assert_eq!(p.signed_prekey_id, s.bundle.signed_prekey_id());
                assert_eq!(p.one_time_prekey_id, s.opk_id);
                assert_eq!(p.message.header.counter, k as u32);
                assert_eq!(*base_key.get_or_insert(p.base_key), p.base_key);
            }
            other => panic!("expected a prekey message, got {other:?}"),
        }
        sent.push(m);
    }
    let (mut bob, _) = Session::accept(&s.bob_id, &mut s.store, T0, &sent[1]).unwrap();
    let reply = bob
        .encrypt(&mut s.rng, T0, Outgoing::message(b"reply"))
        .unwrap()
        .message;
    // Bob has replied, but Alice has not read it: still prekey messages.
    let m = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(3)))
        .unwrap()
        .message;
    assert_eq!(m[1], TYPE_PREKEY);
    bob.decrypt(T0, &m).unwrap();
    // A refused reply does not count.
    let (_, back) = receive_fails(pending, &flipped(&reply, reply.len() - 1, 1));
    pending = back;
    let m = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(4)))
        .unwrap()
        .message;
    assert_eq!(m[1], TYPE_PREKEY);
    bob.decrypt(T0, &m).unwrap();
    // Once a reply decrypted: ratchet messages only.
    let (mut alice, _) = pending.receive(T0, &reply).map_err(|r| r.error).unwrap();
    for k in 5..8 {
        let m = alice
            .encrypt(&mut s.rng, T0, Outgoing::message(&body(k)))
            .unwrap()
            .message;
        assert_eq!(m[1], TYPE_RATCHET);
        assert!(matches!(Message::parse(&m).unwrap(), Message::Ratchet(_)));
        assert_eq!(&bob.decrypt(T0, &m).unwrap().plaintext[..], &body(k)[..]);
    }
    // The late prekey messages still open through Bob's session.
    for k in [0usize, 2] {
        assert_eq!(
            &bob.decrypt(T0, &sent[k]).unwrap().plaintext[..],
            &body(k as u64)[..]
        );
    }
}

#[test]
fn responder_starts_from_any_message_of_the_first_chain() {
    let mut s = setup(52, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let first: Vec<Vec<u8>> = (0..8)
        .map(|k| {
            pending
                .encrypt(&mut s.rng, T0, Outgoing::message(&body(k)))
                .unwrap()
                .message
        })
        .collect();
    for start in 0..first.len() {
        let mut store = s.store.clone();
        let (mut bob, got) = Session::accept(&s.bob_id, &mut store, T0, &first[start]).unwrap();
        assert_eq!(got.message_number, start as u32);
        assert_eq!(bob.skipped_key_count(), start);
        for (k, m) in first.iter().enumerate() {
            if k == start {
                assert_eq!(
                    decrypt_fails(&mut bob, T0, m, Some(&body(k as u64))),
                    SessionError::DuplicateMessage
                );
                continue;
            }
            let got = bob.decrypt(T0, m).unwrap();
            assert_eq!(got.message_number, k as u32);
            assert_eq!(&got.plaintext[..], &body(k as u64)[..]);
        }
        assert_eq!(bob.skipped_key_count(), 0);
        // And the reply establishes Alice, whichever message Bob started
        // from.
        let reply = bob
            .encrypt(&mut s.rng, T0, Outgoing::message(b"reply"))
            .unwrap()
            .message;
        let (_, got) = pending
            .clone()
            .receive(T0, &reply)
            .map_err(|r| r.error)
            .unwrap();
        assert_eq!(&got.plaintext[..], b"reply");
    }
}

#[test]
fn prekey_fields_of_later_prekey_messages_are_checked() {
    // Regression: the ratchet's AEAD does not cover the prekey fields, so a
    // later prekey message whose signed or one-time prekey id was altered
    // in transit used to decrypt through the established session.
    let mut s = setup(53, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let m0 = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(0)))
        .unwrap()
        .message;
    let m1 = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(1)))
        .unwrap()
        .message;
    let (mut bob, _) = Session::accept(&s.bob_id, &mut s.store, T0, &m0).unwrap();
    for at in 0..prekey_offsets::HEADER_WITH_OPK {
        for mask in [0x01u8, 0x80, 0xff] {
            let e = decrypt_fails(&mut bob, T0, &flipped(&m1, at, mask), Some(&body(1)));
            if at == prekey_offsets::BASE_KEY.end - 1 && mask & 0x80 != 0 {
                // The base key's top bit: a non-canonical encoding.
                assert_eq!(e, SessionError::Malformed(DecodeError::InvalidKey));
            } else if prekey_offsets::BASE_KEY.contains(&at)
                || prekey_offsets::SPK_ID.contains(&at)
                || prekey_offsets::OPK_ID.contains(&at)
            {
                assert_eq!(e, SessionError::SessionMismatch, "byte {at} mask {mask:#x}");
            }
        }
    }
    assert_eq!(&bob.decrypt(T0, &m1).unwrap().plaintext[..], &body(1)[..]);
}

#[test]
fn base_key_must_be_canonical() {
    // Regression: X25519 ignores the top bit of a public key, and the base
    // key is not covered by the AEAD, so a prekey message with that bit
    // flipped used to be accepted, creating a session bound to the altered
    // base key (Alice's genuine later prekey messages then mismatched).
    let mut s = setup(55, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let m0 = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(0)))
        .unwrap()
        .message;
    let m1 = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(1)))
        .unwrap()
        .message;
    let top = prekey_offsets::BASE_KEY.end - 1;
    assert_eq!(m0[top] & 0x80, 0, "generated keys are canonical");
    for m in [&m0, &m1] {
        let t = flipped(m, top, 0x80);
        assert_eq!(Message::parse(&t).map(|_| ()), Err(DecodeError::InvalidKey));
        assert_eq!(
            accept_fails(&s.bob_id, &mut s.store, &t),
            SessionError::Malformed(DecodeError::InvalidKey)
        );
    }
    let (mut bob, _) = Session::accept(&s.bob_id, &mut s.store, T0, &m0).unwrap();
    assert_eq!(
        decrypt_fails(&mut bob, T0, &flipped(&m1, top, 0x80), Some(&body(1))),
        SessionError::Malformed(DecodeError::InvalidKey)
    );
    // u >= p: 2^255 - 19 + 9 names the same point as 9.
    let mut non_canonical = [0xffu8; 32];
    non_canonical[0] = 0xed + 9;
    non_canonical[31] = 0x7f;
    let t = replaced(&m1, prekey_offsets::BASE_KEY, &non_canonical);
    assert_eq!(Message::parse(&t).map(|_| ()), Err(DecodeError::InvalidKey));
    assert_eq!(&bob.decrypt(T0, &m1).unwrap().plaintext[..], &body(1)[..]);
}

#[test]
fn failed_encrypts_change_nothing() {
    let (mut s, mut alice, _) = established(54);
    let before = alice.clone();
    let mut out = vec![0u8; 10];
    assert_eq!(
        alice.encrypt_into(&mut s.rng, T0, Outgoing::message(b"hello"), &mut out),
        Err(SessionError::BufferTooSmall)
    );
    assert!(alice == before);
    assert!(out.iter().all(|&b| b == 0), "nothing written on failure");
    let big = vec![0u8; sealwire::limits::MAX_BODY_LEN + 1];
    assert_eq!(
        alice.encrypt(&mut s.rng, T0, Outgoing::message(&big)),
        Err(SessionError::MessageTooLarge)
    );
    assert!(alice == before);
    // A buffer exactly `encrypted_len` long works.
    let mut out = vec![0u8; alice.encrypted_len(5, false)];
    let n = alice
        .encrypt_into(&mut s.rng, T0, Outgoing::message(b"hello"), &mut out)
        .unwrap()
        .len;
    assert_eq!(n, out.len());
    assert!(alice != before);
}
