//! The rollback attack on 1:1 sessions (SPEC.md §5.4, §5.9): a sender
//! restored from an older state blob (a phone restored from a backup, a
//! crash between sending and saving) encrypts a different plaintext at a
//! chain position it already used. Message keys come from the chain
//! position alone, so before message version `0x02` the two messages
//! shared the AES-GCM key **and** nonce: the XOR of the ciphertexts was the
//! XOR of the plaintexts, and GCM's authentication key leaked with it.
//!
//! Since version `0x02` every header carries 12 fresh random bytes `r`
//! XORed into the derived nonce. Here the attack is replayed through the
//! public API (save blob, encrypt, restore, encrypt again) for an
//! established session, a pending initiator (prekey messages) and franked
//! messages; the two messages share no keystream, their `r` differ, and
//! the receiver's outcome is exactly SPEC §5.7's: the first opens, the
//! second at the same position is `DuplicateMessage` with no state change.
//! A relay flipping any bit of `r` gets `AuthenticationFailed` and changes
//! nothing.

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

use common::{T0, accept_fails, decrypt_fails, established, setup};
use proptest::prelude::*;
use sealwire::hazmat;
use sealwire::persist::StateBlob;
use sealwire::testing::DangerDeterministicRng;
use sealwire::wire::{
    BUNDLE_VERSION, HEADER_LEN, MESSAGE_VERSION, Message, NONCE_MASK_LEN, RatchetHeader, TAG_LEN,
};
use sealwire::{DecodeError, Encrypt, Outgoing, PendingSession, Session, SessionError};

/// Two bodies of the same length, so the two frames have the same length
/// and differ only in the body bytes.
const FIRST: &[u8] = b"transfer 100 EUR to account 1111";
const SECOND: &[u8] = b"transfer 999 EUR to account 6666";

/// Where the header starts and where the ciphertext starts in `msg`.
fn header_and_ciphertext(msg: &[u8]) -> (RatchetHeader, usize) {
    let m = Message::parse(msg).unwrap();
    let (header, ct_len) = match m {
        Message::Prekey(p) => (p.message.header, p.message.ciphertext.len()),
        Message::Ratchet(r) => (r.header, r.ciphertext.len()),
        _ => unreachable!(),
    };
    (header, msg.len() - ct_len)
}

/// Decrypts `msg` in place with a copy of `receiver` and returns the AEAD
/// plaintext (the whole inner frame, as it lies in the buffer).
fn frame_of(receiver: &Session, msg: &[u8]) -> Vec<u8> {
    let mut buf = msg.to_vec();
    let mut r = receiver.clone();
    r.decrypt_in_place(T0, &mut buf).unwrap();
    let (_, ct_start) = header_and_ciphertext(msg);
    buf[ct_start..buf.len() - TAG_LEN].to_vec()
}

/// The heart of the attack: with a shared keystream, `c1 ^ c2 = p1 ^ p2`
/// at every byte. Asserts that it holds at fewer than half of the bytes
/// (independent keystreams agree on about 1 byte in 256), and that the
/// headers' `r` differ.
fn share_no_keystream(receiver: Option<&Session>, m1: &[u8], m2: &[u8]) {
    let (h1, s1) = header_and_ciphertext(m1);
    let (h2, s2) = header_and_ciphertext(m2);
    assert_eq!(s1, s2);
    assert_eq!(m1.len(), m2.len());
    assert_eq!(
        (h1.ratchet_key, h1.previous_counter, h1.counter),
        (h2.ratchet_key, h2.previous_counter, h2.counter),
        "the rollback must reuse the chain position"
    );
    assert_ne!(h1.nonce_mask, h2.nonce_mask, "r is fresh per message");
    let c1 = &m1[s1..m1.len() - TAG_LEN];
    let c2 = &m2[s2..m2.len() - TAG_LEN];
    let xp: Vec<u8> = match receiver {
        Some(receiver) => {
            let p1 = frame_of(receiver, m1);
            let p2 = frame_of(receiver, m2);
            assert_ne!(p1, p2);
            p1.iter().zip(&p2).map(|(a, b)| a ^ b).collect()
        }
        // Unfranked frames with the default timer, same `sent_at`: they
        // differ only in the body, which starts at byte 15 (SPEC.md §8.1).
        None => {
            let mut xp = vec![0u8; c1.len()];
            for (i, (a, b)) in FIRST.iter().zip(SECOND).enumerate() {
                xp[15 + i] = a ^ b;
            }
            xp
        }
    };
    assert_eq!(c1.len(), xp.len());
    let xc: Vec<u8> = c1.iter().zip(c2).map(|(a, b)| a ^ b).collect();
    assert_ne!(xc, xp, "the two messages share a keystream");
    let same = xc.iter().zip(&xp).filter(|(a, b)| a == b).count();
    assert!(
        same < xc.len() / 2,
        "{same} of {} bytes leak the XOR of the plaintexts",
        xc.len()
    );
    // And the tags are not those of one GCM instance either: they differ.
    assert_ne!(&m1[m1.len() - TAG_LEN..], &m2[m2.len() - TAG_LEN..]);
}

#[test]
fn a_restored_established_session_reuses_no_keystream() {
    let (mut s, mut alice, mut bob) = established(71);
    // One message to open Alice's sending chain, received.
    let m0 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"first"))
        .unwrap()
        .message;
    bob.decrypt(T0, &m0).unwrap();
    // Backup, send, crash, restore, send something else.
    let backup = alice.to_blob();
    let m1 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(FIRST))
        .unwrap()
        .message;
    let mut restored = Session::from_blob(&backup).unwrap();
    let m2 = restored
        .encrypt(&mut s.rng, T0, Outgoing::message(SECOND))
        .unwrap()
        .message;
    share_no_keystream(Some(&bob), &m1, &m2);
    // The receiver: the first opens, the second is a duplicate position.
    let got = bob.decrypt(T0, &m1).unwrap();
    assert_eq!(&got.plaintext[..], FIRST);
    assert_eq!(
        decrypt_fails(&mut bob, T0, &m2, Some(SECOND)),
        SessionError::DuplicateMessage
    );
}

#[test]
fn the_other_delivery_order_opens_the_second_message() {
    let (mut s, mut alice, mut bob) = established(72);
    let m0 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"first"))
        .unwrap()
        .message;
    bob.decrypt(T0, &m0).unwrap();
    let backup = alice.to_blob();
    let m1 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(FIRST))
        .unwrap()
        .message;
    let m2 = Session::from_blob(&backup)
        .unwrap()
        .encrypt(&mut s.rng, T0, Outgoing::message(SECOND))
        .unwrap()
        .message;
    let got = bob.decrypt(T0, &m2).unwrap();
    assert_eq!(&got.plaintext[..], SECOND);
    assert_eq!(
        decrypt_fails(&mut bob, T0, &m1, Some(FIRST)),
        SessionError::DuplicateMessage
    );
}

#[test]
fn a_restored_pending_initiator_reuses_no_keystream() {
    let mut s = setup(73, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let m0 = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(b"hello"))
        .unwrap()
        .message;
    let (mut bob, _) = Session::accept(&s.bob_id, &mut s.store, T0, &m0).unwrap();
    let backup = pending.to_blob();
    let m1 = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(FIRST))
        .unwrap()
        .message;
    let mut restored = PendingSession::from_blob(&backup).unwrap();
    let m2 = restored
        .encrypt(&mut s.rng, T0, Outgoing::message(SECOND))
        .unwrap()
        .message;
    assert!(matches!(Message::parse(&m1), Ok(Message::Prekey(_))));
    share_no_keystream(Some(&bob), &m1, &m2);
    let got = bob.decrypt(T0, &m1).unwrap();
    assert_eq!(&got.plaintext[..], FIRST);
    assert_eq!(
        decrypt_fails(&mut bob, T0, &m2, Some(SECOND)),
        SessionError::DuplicateMessage
    );
}

#[test]
fn a_restored_first_prekey_message_reuses_no_keystream() {
    // The backup is taken before the very first message: both messages are
    // at position 0 of the first chain and either can open the session.
    let mut s = setup(74, true);
    let pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let backup = pending.to_blob();
    let m1 = PendingSession::from_blob(&backup)
        .unwrap()
        .encrypt(&mut s.rng, T0, Outgoing::message(FIRST))
        .unwrap()
        .message;
    let m2 = PendingSession::from_blob(&backup)
        .unwrap()
        .encrypt(&mut s.rng, T0, Outgoing::message(SECOND))
        .unwrap()
        .message;
    share_no_keystream(None, &m1, &m2);
    // Either one alone would open the session.
    let (_, got) = Session::accept(&s.bob_id, &mut s.store.clone(), T0, &m2).unwrap();
    assert_eq!(&got.plaintext[..], SECOND);
    let (mut bob, got) = Session::accept(&s.bob_id, &mut s.store, T0, &m1).unwrap();
    assert_eq!(&got.plaintext[..], FIRST);
    // The second at the same position: a duplicate for the session, and the
    // one-time prekey is gone for accept.
    assert_eq!(
        decrypt_fails(&mut bob, T0, &m2, Some(SECOND)),
        SessionError::DuplicateMessage
    );
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &m2),
        SessionError::UnknownOneTimePrekey
    );
}

#[test]
fn a_restored_session_sending_franked_messages_reuses_no_keystream() {
    let (mut s, mut alice, mut bob) = established(75);
    let m0 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"first"))
        .unwrap()
        .message;
    bob.decrypt(T0, &m0).unwrap();
    let backup = alice.to_blob();
    let m1 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(FIRST).franked())
        .unwrap()
        .message;
    let m2 = Session::from_blob(&backup)
        .unwrap()
        .encrypt(&mut s.rng, T0, Outgoing::message(SECOND).franked())
        .unwrap()
        .message;
    assert_eq!(Message::parse(&m1).unwrap().type_byte(), 0x81);
    share_no_keystream(Some(&bob), &m1, &m2);
    let got = bob.decrypt(T0, &m1).unwrap();
    assert_eq!(&got.plaintext[..], FIRST);
    assert!(got.franking.is_some());
    assert_eq!(
        decrypt_fails(&mut bob, T0, &m2, Some(SECOND)),
        SessionError::DuplicateMessage
    );
}

#[test]
fn a_restored_pending_initiator_sending_franked_messages_reuses_no_keystream() {
    let mut s = setup(76, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let m0 = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(b"hello"))
        .unwrap()
        .message;
    let (mut bob, _) = Session::accept(&s.bob_id, &mut s.store, T0, &m0).unwrap();
    let backup = pending.to_blob();
    let m1 = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(FIRST).franked())
        .unwrap()
        .message;
    let m2 = PendingSession::from_blob(&backup)
        .unwrap()
        .encrypt(&mut s.rng, T0, Outgoing::message(SECOND).franked())
        .unwrap()
        .message;
    assert_eq!(Message::parse(&m1).unwrap().type_byte(), 0x82);
    share_no_keystream(Some(&bob), &m1, &m2);
    bob.decrypt(T0, &m1).unwrap();
    assert_eq!(
        decrypt_fails(&mut bob, T0, &m2, Some(SECOND)),
        SessionError::DuplicateMessage
    );
}

#[test]
fn a_relay_flipping_any_bit_of_r_gets_authentication_failed() {
    let (mut s, mut alice, mut bob) = established(77);
    for franked in [false, true] {
        let m = if franked {
            alice
                .encrypt(&mut s.rng, T0, Outgoing::message(FIRST).franked())
                .unwrap()
                .message
        } else {
            alice
                .encrypt(&mut s.rng, T0, Outgoing::message(FIRST))
                .unwrap()
                .message
        };
        let r_at = 2 + HEADER_LEN - NONCE_MASK_LEN;
        for bit in 0..NONCE_MASK_LEN * 8 {
            let mut t = m.clone();
            t[r_at + bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                decrypt_fails(&mut bob, T0, &t, Some(FIRST)),
                SessionError::AuthenticationFailed,
                "bit {bit} of r, franked {franked}"
            );
        }
        // The untouched message still opens.
        assert_eq!(&bob.decrypt(T0, &m).unwrap().plaintext[..], FIRST);
    }
}

#[test]
fn flipping_r_in_a_prekey_message_fails_and_consumes_nothing() {
    let mut s = setup(78, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let m = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(FIRST))
        .unwrap()
        .message;
    // Classic, with a one-time prekey: the header starts at 75.
    let r_at = 75 + HEADER_LEN - NONCE_MASK_LEN;
    let (h, _) = header_and_ciphertext(&m);
    assert_eq!(&m[r_at..r_at + NONCE_MASK_LEN], &h.nonce_mask);
    for bit in [0, 7, 40, 95] {
        let mut t = m.clone();
        t[r_at + bit / 8] ^= 1 << (bit % 8);
        assert_eq!(
            accept_fails(&s.bob_id, &mut s.store, &t),
            SessionError::AuthenticationFailed
        );
    }
    Session::accept(&s.bob_id, &mut s.store, T0, &m).unwrap();
}

#[test]
fn version_1_messages_are_refused_and_bundles_keep_version_1() {
    let (mut s, mut alice, mut bob) = established(79);
    assert_eq!(MESSAGE_VERSION, 0x02);
    assert_eq!(BUNDLE_VERSION, 0x01);
    let m = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(FIRST))
        .unwrap()
        .message;
    assert_eq!(m[0], 0x02);
    let mut old = m.clone();
    old[0] = 0x01;
    assert_eq!(
        decrypt_fails(&mut bob, T0, &old, Some(FIRST)),
        SessionError::Malformed(DecodeError::UnsupportedVersion(1))
    );
    // A version-1 layout (40-byte header) relabelled: refused before any key
    // is used, whatever its length.
    let mut v1 = vec![0x01, 0x01];
    v1.extend_from_slice(&m[2..42]);
    v1.extend_from_slice(&m[54..]);
    assert_eq!(
        decrypt_fails(&mut bob, T0, &v1, None),
        SessionError::Malformed(DecodeError::UnsupportedVersion(1))
    );
    // Reading the 40-byte layout under version 2 shifts 12 ciphertext bytes
    // into r: the header (in the AAD) and the nonce change.
    let mut v1_as_v2 = v1.clone();
    v1_as_v2[0] = 0x02;
    assert_eq!(
        decrypt_fails(&mut bob, T0, &v1_as_v2, None),
        SessionError::AuthenticationFailed
    );
    assert_eq!(s.bundle.to_vec()[0], 0x01);
    assert_eq!(&bob.decrypt(T0, &m).unwrap().plaintext[..], FIRST);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any header round-trips through its 52-byte encoding.
    #[test]
    fn a_header_round_trips(
        ratchet_key in any::<[u8; 32]>(),
        previous_counter in any::<u32>(),
        counter in any::<u32>(),
        nonce_mask in any::<[u8; 12]>(),
    ) {
        let h = RatchetHeader { ratchet_key, previous_counter, counter, nonce_mask };
        let b = h.to_bytes();
        prop_assert_eq!(b.len(), HEADER_LEN);
        prop_assert_eq!(&b[40..], &nonce_mask[..]);
        prop_assert_eq!(RatchetHeader::from_bytes(&b).unwrap(), h);
    }

    /// Any r, including 0 and all-ones, seals and opens, and the receiver
    /// reads it from the header.
    #[test]
    fn any_r_works(seed in any::<u64>(), nonce_mask in any::<[u8; 12]>(), len in 0usize..100) {
        let (_, mut alice, mut bob) = established(seed % 8);
        let mut rng = DangerDeterministicRng::from_u64(seed);
        let pt: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let wire = hazmat::encrypt_raw_with_nonce_mask(&mut alice, &mut rng, &pt, nonce_mask).unwrap();
        prop_assert_eq!(&wire[40..HEADER_LEN], &nonce_mask[..]);
        prop_assert_eq!(wire.len(), HEADER_LEN + len + TAG_LEN);
        prop_assert_eq!(hazmat::decrypt_raw(&mut bob, 0, &wire).unwrap(), pt);
    }
}
