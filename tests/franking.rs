//! Message franking (SPEC.md §19): honest reports verify; a recipient who
//! alters anything cannot make a report verify; a sender who commits to one
//! body and encrypts another is refused at decryption with no state change;
//! a stamp of another relay key fails; a report reveals only its own
//! message; malformed reports, stamps and attachment pointers are typed
//! errors.

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

use common::{T0, body, contains, decrypt_fails, established, setup};
use proptest::prelude::*;
use sealwire::DecodeError;
use sealwire::expiry::{ExpiryMode, ExpiryPolicy, MessageExpiry};
use sealwire::franking::{
    AttachmentError, AttachmentKey, AttachmentPointer, Franking, FrankingKey, RelayKey, Report,
    ReportError, RoutingContext, Stamp, commitment,
};
use sealwire::franking::{commitment_of, stamp, stamp_message, verify_report};
use sealwire::hazmat;
use sealwire::limits::{FRAME_FRANKING_LEN, FRANKING_COMMITMENT_LEN};
use sealwire::rand_core::Rng;
use sealwire::testing::DangerDeterministicRng;
use sealwire::wire::{HEADER_LEN, MESSAGE_VERSION, Message, TYPE_FRANKED_RATCHET, TYPE_RATCHET};
use sealwire::{
    ContentType, Encrypt, IdentityKey, Outgoing, PendingSession, Received, Session, SessionError,
    SessionRecord, Timestamp,
};

const RELAY_TIME: Timestamp = Timestamp::from_unix_millis(1_780_000_000_500);

fn relay_key(seed: u8) -> RelayKey {
    RelayKey::from_bytes([seed; 32])
}

fn routing() -> RoutingContext {
    RoutingContext::new(b"account:alice", b"account:bob", RELAY_TIME).unwrap()
}

/// The relay forwards `wire` from Alice to Bob and stamps it.
fn relay_stamps(key: &RelayKey, wire: &[u8]) -> Stamp {
    let cf = commitment_of(wire).unwrap();
    let s = stamp(key, &cf, routing());
    assert!(stamp_message(key, wire, routing()).unwrap() == s);
    // The stamp travels to Bob as bytes.
    Stamp::parse(&s.to_vec()).unwrap()
}

/// Alice sends a franked message, the relay stamps it, Bob decrypts it and
/// reports it: the report's bytes.
fn honest_report(
    alice: &mut Session,
    bob: &mut Session,
    rng: &mut DangerDeterministicRng,
    text: &[u8],
) -> (Vec<u8>, Received, Stamp) {
    let wire = alice
        .encrypt(rng, T0, Outgoing::message(text).franked())
        .unwrap()
        .message;
    let st = relay_stamps(&relay_key(1), &wire);
    let got = bob.decrypt(T0, &wire).unwrap();
    assert_eq!(&got.plaintext[..], text);
    let report = Report::from_received(&got, *bob_identity(bob, alice), st.clone()).unwrap();
    (report.to_vec().to_vec(), got, st)
}

/// Bob's own identity key (the peer's peer).
fn bob_identity<'a>(_bob: &Session, alice: &'a Session) -> &'a IdentityKey {
    alice.their_identity()
}

#[test]
fn an_honest_report_verifies_and_shows_exactly_the_message() {
    let (mut s, mut alice, mut bob) = established(1);
    let text = b"you will regret this";
    let (bytes, got, st) = honest_report(&mut alice, &mut bob, &mut s.rng, text);
    let v = verify_report(&relay_key(1), &bytes).unwrap();
    assert_eq!(&v.body[..], text);
    assert_eq!(v.content_type, ContentType::UserMessage);
    assert_eq!(v.sender, *s.alice_id.public());
    assert_eq!(v.recipient, *s.bob_id.public());
    assert_eq!(v.sent_at, T0);
    assert!(v.context == routing());
    assert!(v.attachment.is_none());
    // The report round-trips through its encoding.
    let parsed = Report::parse(&bytes).unwrap();
    assert_eq!(&parsed.to_vec()[..], &bytes[..]);
    assert!(parsed.franking() == got.franking.as_ref().unwrap());
    assert!(parsed.stamp() == &st);
    // Debug output never shows the key or the body.
    let dbg = format!("{parsed:?} {got:?} {v:?}");
    assert!(!dbg.contains("regret"));
    // Each names its type and shows its public fields.
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let context = format!(
        "RoutingContext {{ sender: {}, recipient: {}, timestamp: {RELAY_TIME:?} }}",
        hex(b"account:alice"),
        hex(b"account:bob")
    );
    assert_eq!(format!("{:?}", routing()), context);
    let stamp_shown = format!("Stamp {{ tag: {}, context: {context} }}", hex(st.tag()));
    assert_eq!(format!("{st:?}"), stamp_shown);
    let (sender, recipient) = (s.alice_id.public(), s.bob_id.public());
    let franking = got.franking.as_ref().unwrap();
    assert_eq!(
        format!("{parsed:?}"),
        format!(
            "Report {{ content_type: UserMessage, sender: {sender:?}, recipient: {recipient:?}, \
             sent_at: {T0:?}, body_len: {}, franking: Franking {{ commitment: {}, .. }}, \
             stamp: {stamp_shown}, attachment_len: None }}",
            text.len(),
            hex(franking.commitment())
        )
    );
    assert_eq!(
        format!("{v:?}"),
        format!(
            "VerifiedReport {{ content_type: UserMessage, sender: {sender:?}, \
             recipient: {recipient:?}, sent_at: {T0:?}, body_len: {}, context: {context}, \
             attachment_len: None }}",
            text.len()
        )
    );
}

#[test]
fn altering_the_body_sender_recipient_time_type_or_key_fails() {
    let (mut s, mut alice, mut bob) = established(2);
    let (_, got, st) = honest_report(&mut alice, &mut bob, &mut s.rng, b"original words");
    let key = relay_key(1);
    let franking = got.franking.clone().unwrap();
    let alice_pub = *s.alice_id.public();
    let bob_pub = *s.bob_id.public();
    let mallory = *sealwire::IdentityKeyPair::generate(&mut s.rng).public();
    let make = |ct: ContentType,
                sender: IdentityKey,
                recipient: IdentityKey,
                at: Timestamp,
                body: &[u8],
                f: Franking,
                st: Stamp| {
        Report::new(ct, sender, recipient, at, body, f, st)
            .unwrap()
            .to_vec()
            .to_vec()
    };
    let honest = make(
        ContentType::UserMessage,
        alice_pub,
        bob_pub,
        T0,
        b"original words",
        franking.clone(),
        st.clone(),
    );
    assert!(verify_report(&key, &honest).is_ok());
    let later = Timestamp::from_unix_millis(T0.as_unix_millis() + 1);
    let other_key = Franking::new(FrankingKey::from_bytes([9; 32]), *franking.commitment());
    let cases = [
        (
            "body",
            make(
                ContentType::UserMessage,
                alice_pub,
                bob_pub,
                T0,
                b"altered words!",
                franking.clone(),
                st.clone(),
            ),
        ),
        (
            "empty body",
            make(
                ContentType::UserMessage,
                alice_pub,
                bob_pub,
                T0,
                b"",
                franking.clone(),
                st.clone(),
            ),
        ),
        (
            "sender",
            make(
                ContentType::UserMessage,
                mallory,
                bob_pub,
                T0,
                b"original words",
                franking.clone(),
                st.clone(),
            ),
        ),
        (
            "swapped",
            make(
                ContentType::UserMessage,
                bob_pub,
                alice_pub,
                T0,
                b"original words",
                franking.clone(),
                st.clone(),
            ),
        ),
        (
            "recipient",
            make(
                ContentType::UserMessage,
                alice_pub,
                mallory,
                T0,
                b"original words",
                franking.clone(),
                st.clone(),
            ),
        ),
        (
            "time",
            make(
                ContentType::UserMessage,
                alice_pub,
                bob_pub,
                later,
                b"original words",
                franking.clone(),
                st.clone(),
            ),
        ),
        (
            "type",
            make(
                ContentType::Receipt,
                alice_pub,
                bob_pub,
                T0,
                b"original words",
                franking.clone(),
                st.clone(),
            ),
        ),
        (
            "franking key",
            make(
                ContentType::UserMessage,
                alice_pub,
                bob_pub,
                T0,
                b"original words",
                other_key,
                st.clone(),
            ),
        ),
    ];
    for (what, bytes) in cases {
        assert_eq!(
            verify_report(&key, &bytes).unwrap_err(),
            ReportError::BadCommitment,
            "{what}"
        );
    }
    // Altering the commitment itself, or the routing context, breaks the
    // stamp (checked first).
    let new_cf = Franking::new(franking.key().clone(), [7; 32]);
    let bytes = make(
        ContentType::UserMessage,
        alice_pub,
        bob_pub,
        T0,
        b"original words",
        new_cf,
        st.clone(),
    );
    assert_eq!(
        verify_report(&key, &bytes).unwrap_err(),
        ReportError::BadStamp
    );
    for ctx in [
        RoutingContext::new(b"account:carol", b"account:bob", RELAY_TIME).unwrap(),
        RoutingContext::new(b"account:alice", b"account:carol", RELAY_TIME).unwrap(),
        RoutingContext::new(b"account:alice", b"account:bob", later).unwrap(),
        RoutingContext::new(b"account:alic", b"eaccount:bob", RELAY_TIME).unwrap(),
    ] {
        // A stamp with the honest tag but another context.
        let forged = forge_context(&st, &ctx);
        let bytes = make(
            ContentType::UserMessage,
            alice_pub,
            bob_pub,
            T0,
            b"original words",
            franking.clone(),
            forged,
        );
        assert_eq!(
            verify_report(&key, &bytes).unwrap_err(),
            ReportError::BadStamp
        );
    }
}

/// The stamp's tag with another routing context, through the encoding.
fn forge_context(st: &Stamp, ctx: &RoutingContext) -> Stamp {
    let other = stamp(&relay_key(99), &[0; 32], ctx.clone()).to_vec();
    let mut bytes = other.clone();
    bytes[2..34].copy_from_slice(st.tag());
    Stamp::parse(&bytes).unwrap()
}

#[test]
fn a_stamp_from_another_relay_key_fails() {
    let (mut s, mut alice, mut bob) = established(3);
    let (bytes, ..) = honest_report(&mut alice, &mut bob, &mut s.rng, b"hello");
    assert!(verify_report(&relay_key(1), &bytes).is_ok());
    for k in [2u8, 0, 0xff] {
        assert_eq!(
            verify_report(&relay_key(k), &bytes).unwrap_err(),
            ReportError::BadStamp
        );
    }
    let fresh = RelayKey::generate(&mut s.rng);
    assert_eq!(
        verify_report(&fresh, &bytes).unwrap_err(),
        ReportError::BadStamp
    );
    assert_eq!(format!("{fresh:?}"), "RelayKey(..)");
}

/// A franked frame (SPEC.md §19.3) built by hand: user message, no timer.
fn franked_frame(kf: &[u8; 32], body: &[u8]) -> Vec<u8> {
    let mut f = vec![sealwire::wire::FRAME_VERSION, 1, 0x02];
    f.extend_from_slice(&T0.as_unix_millis().to_be_bytes());
    f.extend_from_slice(kf);
    f.extend_from_slice(&(body.len() as u32).to_be_bytes());
    f.extend_from_slice(body);
    let padded = sealwire::wire::padme(body.len().max(32));
    f.extend(std::iter::repeat_n(0u8, padded - body.len()));
    f
}

#[test]
fn a_sender_who_commits_to_one_body_and_encrypts_another_is_refused() {
    let (mut s, mut alice, mut bob) = established(4);
    let kf = [0x33u8; 32];
    let shown = body(1);
    let committed = body(2);
    let cf = commitment(
        &FrankingKey::from_bytes(kf),
        ContentType::UserMessage,
        s.alice_id.public(),
        s.bob_id.public(),
        T0,
        &committed,
    )
    .expect("a short body");
    let mut a = alice.clone();
    let raw =
        hazmat::encrypt_raw_franked(&mut a, &mut s.rng, &franked_frame(&kf, &shown), &cf).unwrap();
    let mut wire = vec![MESSAGE_VERSION, TYPE_FRANKED_RATCHET];
    wire.extend_from_slice(&raw);
    // The tag verifies (cf is in the associated data), the commitment does
    // not: AuthenticationFailed, no state change, no plaintext left.
    assert_eq!(
        decrypt_fails(&mut bob, T0, &wire, Some(&shown)),
        SessionError::AuthenticationFailed
    );
    // An honest commitment to the same frame opens.
    let cf_ok = commitment(
        &FrankingKey::from_bytes(kf),
        ContentType::UserMessage,
        s.alice_id.public(),
        s.bob_id.public(),
        T0,
        &shown,
    )
    .expect("a short body");
    let mut a = alice.clone();
    let raw = hazmat::encrypt_raw_franked(&mut a, &mut s.rng, &franked_frame(&kf, &shown), &cf_ok)
        .unwrap();
    let mut wire = vec![MESSAGE_VERSION, TYPE_FRANKED_RATCHET];
    wire.extend_from_slice(&raw);
    let got = bob.clone().decrypt(T0, &wire).unwrap();
    assert_eq!(&got.plaintext[..], &shown[..]);
    assert_eq!(got.franking.unwrap().commitment(), &cf_ok);
    // A commitment with the identities swapped (Alice pretending Bob sent
    // it) is refused too.
    let cf_swapped = commitment(
        &FrankingKey::from_bytes(kf),
        ContentType::UserMessage,
        s.bob_id.public(),
        s.alice_id.public(),
        T0,
        &shown,
    )
    .expect("a short body");
    let mut a = alice.clone();
    let raw =
        hazmat::encrypt_raw_franked(&mut a, &mut s.rng, &franked_frame(&kf, &shown), &cf_swapped)
            .unwrap();
    let mut wire = vec![MESSAGE_VERSION, TYPE_FRANKED_RATCHET];
    wire.extend_from_slice(&raw);
    assert_eq!(
        decrypt_fails(&mut bob, T0, &wire, Some(&shown)),
        SessionError::AuthenticationFailed
    );
    // A franked message whose frame carries no franking key is refused.
    let mut plain_frame = vec![sealwire::wire::FRAME_VERSION, 1, 0];
    plain_frame.extend_from_slice(&T0.as_unix_millis().to_be_bytes());
    plain_frame.extend_from_slice(&(shown.len() as u32).to_be_bytes());
    plain_frame.extend_from_slice(&shown);
    plain_frame.extend(std::iter::repeat_n(0u8, 32 - shown.len()));
    let raw = hazmat::encrypt_raw_franked(&mut alice, &mut s.rng, &plain_frame, &cf_ok).unwrap();
    let mut wire = vec![MESSAGE_VERSION, TYPE_FRANKED_RATCHET];
    wire.extend_from_slice(&raw);
    assert_eq!(
        decrypt_fails(&mut bob, T0, &wire, Some(&shown)),
        SessionError::Malformed(DecodeError::InvalidValue)
    );
}

#[test]
fn a_tampered_commitment_on_the_wire_fails_with_no_state_change() {
    let (mut s, mut alice, mut bob) = established(5);
    let secret = body(5);
    let wire = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(&secret).franked())
        .unwrap()
        .message;
    assert_eq!(wire[1], TYPE_FRANKED_RATCHET);
    let cf_at = 2 + HEADER_LEN;
    assert_eq!(&wire[cf_at..cf_at + 32], &commitment_of(&wire).unwrap()[..]);
    for i in cf_at..cf_at + 32 {
        for bit in [0x01u8, 0x80] {
            let mut t = wire.clone();
            t[i] ^= bit;
            assert_eq!(
                decrypt_fails(&mut bob, T0, &t, Some(&secret)),
                SessionError::AuthenticationFailed
            );
        }
    }
    // Dropping the commitment (relabelled as unfranked) fails too.
    let mut stripped = wire.clone();
    stripped.drain(cf_at..cf_at + 32);
    stripped[1] = TYPE_RATCHET;
    assert_eq!(
        decrypt_fails(&mut bob, T0, &stripped, Some(&secret)),
        SessionError::AuthenticationFailed
    );
    let got = bob.decrypt(T0, &wire).unwrap();
    assert_eq!(&got.plaintext[..], &secret[..]);
}

#[test]
fn franked_and_unfranked_messages_interleave_in_any_order() {
    let (mut s, mut alice, mut bob) = established(6);
    let mut sent = Vec::new();
    for i in 0..8u64 {
        let m = if i % 3 == 0 {
            alice
                .encrypt(&mut s.rng, T0, Outgoing::message(&body(i)))
                .unwrap()
                .message
        } else {
            alice
                .encrypt(&mut s.rng, T0, Outgoing::message(&body(i)).franked())
                .unwrap()
                .message
        };
        sent.push((i, m));
    }
    for &j in &[5usize, 0, 7, 2, 1, 6, 3, 4] {
        let (i, m) = &sent[j];
        let got = bob.decrypt(T0, m).unwrap();
        assert_eq!(got.plaintext[..], body(*i)[..]);
        assert_eq!(got.franking.is_some(), i % 3 != 0);
    }
    // Replies, franked, across a DH step, with decrypt_in_place.
    let reply = bob
        .encrypt(
            &mut s.rng,
            T0,
            Outgoing::new(ContentType::Receipt, b"read").franked(),
        )
        .unwrap()
        .message;
    let mut buf = reply.clone();
    let mut a2 = alice.clone();
    let r = a2.decrypt_in_place(T0, &mut buf).unwrap();
    assert_eq!(r.body, b"read");
    assert_eq!(r.content_type, ContentType::Receipt);
    let owned = r.to_owned();
    let f = owned.franking.clone().unwrap();
    assert_eq!(f.commitment(), &commitment_of(&reply).unwrap());
    let got = alice.decrypt(T0, &reply).unwrap();
    assert!(got == owned);
    // A franked encrypt_into writes exactly encrypted_len(_, true) bytes,
    // 64 more than unfranked.
    let n = alice.encrypted_len(100, true);
    assert_eq!(
        n,
        alice.encrypted_len(100, false) + FRAME_FRANKING_LEN + FRANKING_COMMITMENT_LEN
    );
    let mut out = vec![0u8; n];
    let rng_before = s.rng.clone();
    let alice_before = alice.clone();
    assert_eq!(
        alice.encrypt_into(
            &mut s.rng,
            T0,
            Outgoing::message(&[1; 100]).franked(),
            &mut out[..n - 1]
        ),
        Err(SessionError::BufferTooSmall)
    );
    // Nothing changed: not the session, not the generator (no franking key
    // was drawn for a message that was not sent).
    assert!(alice == alice_before);
    assert_eq!(
        s.rng.clone().next_u64(),
        rng_before.clone().next_u64(),
        "a short buffer drew from the generator"
    );
    let w = alice
        .encrypt_into(
            &mut s.rng,
            T0,
            Outgoing::message(&[1; 100]).franked(),
            &mut out,
        )
        .unwrap()
        .len;
    assert_eq!(w, n);
    assert!(bob.decrypt(T0, &out).unwrap().franking.is_some());
    // Timer changes are never franked.
    assert_eq!(
        alice.encrypt(
            &mut s.rng,
            T0,
            Outgoing::new(ContentType::TimerChange, b"").franked()
        ),
        Err(SessionError::InvalidPolicy)
    );
    // Session blobs are unchanged by franking (no new state).
    use sealwire::persist::StateBlob;
    let blob = bob.to_blob();
    assert!(Session::from_blob(&blob).unwrap() == bob);
}

#[test]
fn franked_prekey_messages_open_sessions_and_can_be_reported() {
    for pq in [false, true] {
        let mut s = setup(7, true);
        let bundle = if pq {
            let mut store = sealwire::PrekeyStore::new_pq(&s.bob_id, &mut s.rng);
            let opk = store.generate_one_time_prekeys(&mut s.rng, 1)[0].id;
            let b = store.bundle(&s.bob_id, Some(opk)).unwrap();
            s.store = store;
            b
        } else {
            s.bundle.clone()
        };
        let mut record = SessionRecord::from(
            PendingSession::initiate(&mut s.rng, &s.alice_id, &bundle).unwrap(),
        );
        let first = record
            .encrypt(
                &mut s.rng,
                T0,
                Outgoing::message(b"first, franked").franked(),
            )
            .unwrap()
            .message;
        let second = record
            .encrypt(&mut s.rng, T0, Outgoing::message(b"second, plain"))
            .unwrap()
            .message;
        assert_eq!(first[1], sealwire::wire::TYPE_FRANKED_PREKEY);
        assert_eq!(first.len(), record.encrypted_len(14, true));
        assert!(
            matches!(Message::parse(&first), Ok(Message::Prekey(p)) if p.message.commitment.is_some())
        );
        let st = relay_stamps(&relay_key(1), &first);
        let (mut bob, got) = Session::accept(&s.bob_id, &mut s.store, T0, &first).unwrap();
        assert!(got.franking.is_some());
        assert!(bob.decrypt(T0, &second).unwrap().franking.is_none());
        let report = Report::from_received(&got, *s.bob_id.public(), st).unwrap();
        let v = verify_report(&relay_key(1), &report.to_vec()).unwrap();
        assert_eq!(&v.body[..], b"first, franked");
        // The reply establishes Alice's record; franked replies flow back.
        let reply = bob
            .encrypt(&mut s.rng, T0, Outgoing::message(b"reply").franked())
            .unwrap()
            .message;
        let got = record.decrypt(T0, &reply).unwrap();
        assert!(record.is_established());
        assert!(got.franking.is_some());
        // Tampering with the commitment of a franked prekey message: the
        // responder's accept refuses it and consumes nothing.
        let mut s2 = setup(8, true);
        let mut p2 = PendingSession::initiate(&mut s2.rng, &s2.alice_id, &s2.bundle).unwrap();
        let m = p2
            .encrypt(&mut s2.rng, T0, Outgoing::message(b"x").franked())
            .unwrap()
            .message;
        let cf_at = m.len() - p2.encrypted_len(1, true) + 2 + 32 + 32 + 4 + 1 + 4 + HEADER_LEN;
        let mut t = m.clone();
        t[cf_at] ^= 1;
        let before = s2.store.clone();
        assert_eq!(
            Session::accept(&s2.bob_id, &mut s2.store, T0, &t).unwrap_err(),
            SessionError::AuthenticationFailed
        );
        assert!(s2.store == before);
        assert!(Session::accept(&s2.bob_id, &mut s2.store, T0, &m).is_ok());
    }
}

#[test]
fn a_report_reveals_only_its_own_message() {
    let (mut s, mut alice, mut bob) = established(9);
    // Earlier, later and unfranked messages, each with a distinctive body.
    let mut others = Vec::new();
    let mut other_keys = Vec::new();
    for i in 0..3u64 {
        let m = alice
            .encrypt(&mut s.rng, T0, Outgoing::message(&body(100 + i)).franked())
            .unwrap()
            .message;
        let got = bob.decrypt(T0, &m).unwrap();
        other_keys.push(got.franking.unwrap());
        others.push(body(100 + i));
    }
    let plain = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(200)))
        .unwrap()
        .message;
    bob.decrypt(T0, &plain).unwrap();
    others.push(body(200));
    let (bytes, _, _) = honest_report(&mut alice, &mut bob, &mut s.rng, &body(300));
    for i in 0..2u64 {
        let m = alice
            .encrypt(&mut s.rng, T0, Outgoing::message(&body(400 + i)).franked())
            .unwrap()
            .message;
        let got = bob.decrypt(T0, &m).unwrap();
        other_keys.push(got.franking.unwrap());
        others.push(body(400 + i));
    }
    assert!(contains(&bytes, &body(300)));
    for other in &others {
        assert!(!contains(&bytes, other), "another message's body leaked");
    }
    for f in &other_keys {
        assert!(
            !contains(&bytes, f.key().as_bytes()),
            "another franking key leaked"
        );
        assert!(
            !contains(&bytes, f.commitment()),
            "another commitment leaked"
        );
    }
    // No key of either session appears in it.
    for session in [&alice, &bob] {
        let (root, send, recv) = hazmat::session_keys(session);
        for k in [Some(root), send, recv].into_iter().flatten() {
            assert!(!contains(&bytes, &k));
        }
    }
    // Exactly the specified fields: fixed part, ids, body.
    assert_eq!(
        bytes.len(),
        sealwire::limits::REPORT_FIXED_LEN
            + b"account:alice".len()
            + b"account:bob".len()
            + body(300).len()
    );
}

#[test]
fn commitment_of_reads_franked_messages_only() {
    let (mut s, mut alice, _) = established(10);
    let plain = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"x"))
        .unwrap()
        .message;
    assert_eq!(
        commitment_of(&plain),
        Err(DecodeError::UnexpectedType(TYPE_RATCHET))
    );
    assert_eq!(commitment_of(&[]), Err(DecodeError::Truncated));
    assert_eq!(
        stamp_message(&relay_key(1), &plain, routing()).unwrap_err(),
        DecodeError::UnexpectedType(TYPE_RATCHET)
    );
    let franked = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"x").franked())
        .unwrap()
        .message;
    // Too short to hold the commitment.
    assert_eq!(
        commitment_of(&franked[..2 + HEADER_LEN + 20]),
        Err(DecodeError::Truncated)
    );
    // A franked message re-encodes canonically.
    let m = Message::parse(&franked).unwrap();
    assert_eq!(m.to_vec(), franked);
    assert_eq!(m.type_byte(), TYPE_FRANKED_RATCHET);
}

#[test]
fn an_expired_franked_message_returns_no_evidence() {
    let (mut s, mut alice, mut bob) = established(11);
    let p = ExpiryPolicy::new(ExpiryMode::AfterSend, 60).unwrap();
    let (change, _) = alice.set_timer(&mut s.rng, T0, Some(p)).unwrap();
    bob.decrypt(T0, &change).unwrap();
    let m = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"gone").franked())
        .unwrap()
        .message;
    let late = Timestamp::from_unix_millis(T0.as_unix_millis() + 61_000);
    let mut buf = m.clone();
    let got = bob.clone().decrypt_in_place(late, &mut buf).unwrap();
    assert_eq!(got.expiry, MessageExpiry::Expired);
    assert!(got.franking.is_none());
    let got = bob.decrypt(late, &m).unwrap();
    assert!(got.franking.is_none());
    assert_eq!(
        Report::from_received(&got, *s.bob_id.public(), relay_stamps(&relay_key(1), &m))
            .unwrap_err(),
        ReportError::NotFranked
    );
    // With the timer block the franked message still opens in time.
    let m = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"kept").franked())
        .unwrap()
        .message;
    let got = bob.decrypt(T0, &m).unwrap();
    let st = relay_stamps(&relay_key(1), &m);
    let r = Report::from_received(&got, *s.bob_id.public(), st).unwrap();
    assert!(verify_report(&relay_key(1), &r.to_vec()).is_ok());
}

#[test]
fn attachments_are_reported_through_their_plaintext_digest() {
    let (mut s, mut alice, mut bob) = established(12);
    let picture: Vec<u8> = (0..5000u32).map(|i| (i * 7) as u8).collect();
    let akey = AttachmentKey::generate(&mut s.rng);
    let blob = akey.encrypt(&picture).unwrap();
    let pointer = AttachmentPointer::new(akey, &picture, b"image/png", b"https://cdn/x/1").unwrap();
    assert!(AttachmentPointer::parse(&pointer.to_vec()).unwrap() == pointer);
    assert_eq!(&pointer.decrypt(&blob).unwrap()[..], &picture[..]);
    assert_eq!(pointer.size(), 5000);
    assert_eq!(pointer.media_type(), b"image/png");
    assert_eq!(pointer.locator(), b"https://cdn/x/1");
    assert_eq!(format!("{:?}", pointer.key()), "AttachmentKey(..)");
    assert!(pointer.key() == pointer.key());
    assert!(AttachmentKey::from_bytes([5; 32]) != AttachmentKey::from_bytes([6; 32]));
    let wire = alice
        .encrypt(
            &mut s.rng,
            T0,
            Outgoing::message(&pointer.to_vec()).franked(),
        )
        .unwrap()
        .message;
    let st = relay_stamps(&relay_key(1), &wire);
    let got = bob.decrypt(T0, &wire).unwrap();
    let received_pointer = AttachmentPointer::parse(&got.plaintext).unwrap();
    let shown = received_pointer.decrypt(&blob).unwrap();
    let report = Report::from_received(&got, *s.bob_id.public(), st.clone())
        .unwrap()
        .with_attachment(&shown)
        .unwrap();
    let v = verify_report(&relay_key(1), &report.to_vec()).unwrap();
    let (p, a) = v.attachment.unwrap();
    assert!(p == pointer);
    assert_eq!(&a[..], &picture[..]);
    // Another attachment plaintext: refused.
    let mut other = picture.clone();
    other[10] ^= 1;
    let bad = Report::from_received(&got, *s.bob_id.public(), st.clone())
        .unwrap()
        .with_attachment(&other)
        .unwrap();
    assert_eq!(
        verify_report(&relay_key(1), &bad.to_vec()).unwrap_err(),
        ReportError::AttachmentMismatch
    );
    let short = Report::from_received(&got, *s.bob_id.public(), st)
        .unwrap()
        .with_attachment(&picture[..4999])
        .unwrap();
    assert_eq!(
        verify_report(&relay_key(1), &short.to_vec()).unwrap_err(),
        ReportError::AttachmentMismatch
    );
    // An attachment on a body that is not a pointer.
    let (_, got, st) = honest_report(&mut alice, &mut bob, &mut s.rng, b"just text");
    let r = Report::from_received(&got, *s.bob_id.public(), st)
        .unwrap()
        .with_attachment(&picture)
        .unwrap();
    assert_eq!(
        verify_report(&relay_key(1), &r.to_vec()).unwrap_err(),
        ReportError::NotAnAttachment
    );
    // A blob that decrypts under the key but to another plaintext than the
    // one committed (what a non-committing AEAD allows a dishonest sender
    // to arrange) is refused by the recipient.
    let k2 = AttachmentKey::from_bytes([5; 32]);
    let pointer2 = AttachmentPointer::new(k2.clone(), b"benign", b"text/plain", b"").unwrap();
    assert_eq!(
        pointer2
            .decrypt(&k2.encrypt(b"abuse!").unwrap())
            .unwrap_err(),
        AttachmentError::Mismatch
    );
    assert_eq!(
        pointer2.decrypt(&blob).unwrap_err(),
        AttachmentError::Mismatch
    );
    assert_eq!(
        pointer2.decrypt(&[1, 2]).unwrap_err(),
        AttachmentError::Mismatch
    );
    assert_eq!(pointer2.verify(b"benign"), Ok(()));
    assert_eq!(pointer2.verify(b"benigN"), Err(AttachmentError::Mismatch));
}

#[test]
fn malformed_pointers_and_stamps_are_typed_errors() {
    let p =
        AttachmentPointer::new(AttachmentKey::from_bytes([1; 32]), b"abc", b"a/b", b"loc").unwrap();
    let bytes = p.to_vec();
    for n in 0..bytes.len() {
        assert_eq!(
            AttachmentPointer::parse(&bytes[..n]).unwrap_err(),
            AttachmentError::Malformed(DecodeError::Truncated),
            "cut at {n}"
        );
    }
    let mut extra = bytes.to_vec();
    extra.push(0);
    assert_eq!(
        AttachmentPointer::parse(&extra).unwrap_err(),
        AttachmentError::Malformed(DecodeError::TrailingBytes)
    );
    let mut v = bytes.to_vec();
    v[0] = 2;
    assert_eq!(
        AttachmentPointer::parse(&v).unwrap_err(),
        AttachmentError::Malformed(DecodeError::UnsupportedVersion(2))
    );
    let mut t = bytes.to_vec();
    t[1] = 0x30;
    assert_eq!(
        AttachmentPointer::parse(&t).unwrap_err(),
        AttachmentError::Malformed(DecodeError::UnexpectedType(0x30))
    );
    assert_eq!(
        AttachmentPointer::new(AttachmentKey::from_bytes([1; 32]), b"", &[b'x'; 256], b"")
            .unwrap_err(),
        AttachmentError::Malformed(DecodeError::TooLarge)
    );

    let st = stamp(&relay_key(1), &[3; 32], routing());
    let bytes = st.to_vec();
    for n in 0..bytes.len() {
        assert_eq!(
            Stamp::parse(&bytes[..n]).unwrap_err(),
            DecodeError::Truncated,
            "cut {n}"
        );
    }
    let mut extra = bytes.clone();
    extra.push(0);
    assert_eq!(
        Stamp::parse(&extra).unwrap_err(),
        DecodeError::TrailingBytes
    );
    let mut t = bytes.clone();
    t[1] = 0x30;
    assert_eq!(
        Stamp::parse(&t).unwrap_err(),
        DecodeError::UnexpectedType(0x30)
    );
    assert_eq!(
        Stamp::parse(&vec![0u8; 5000]).unwrap_err(),
        DecodeError::TooLarge
    );
    assert_eq!(
        RoutingContext::new(&[0; 1025], b"", T0).unwrap_err(),
        DecodeError::TooLarge
    );
}

#[test]
fn truncated_extended_and_bit_flipped_reports_are_typed_errors() {
    let (mut s, mut alice, mut bob) = established(13);
    let (bytes, ..) = honest_report(&mut alice, &mut bob, &mut s.rng, b"flip me");
    let key = relay_key(1);
    for n in 0..bytes.len() {
        assert_eq!(
            verify_report(&key, &bytes[..n]).unwrap_err(),
            ReportError::Malformed(DecodeError::Truncated),
            "cut at {n}"
        );
    }
    let mut extra = bytes.clone();
    extra.push(0);
    assert_eq!(
        verify_report(&key, &extra).unwrap_err(),
        ReportError::Malformed(DecodeError::TrailingBytes)
    );
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut t = bytes.clone();
            t[i] ^= 1 << bit;
            let e = verify_report(&key, &t).unwrap_err();
            assert!(
                matches!(
                    e,
                    ReportError::Malformed(_) | ReportError::BadStamp | ReportError::BadCommitment
                ),
                "byte {i} bit {bit}: {e:?}"
            );
        }
    }
    // Specific fields give specific errors.
    let mut v = bytes.clone();
    v[0] = 9;
    assert_eq!(
        verify_report(&key, &v).unwrap_err(),
        ReportError::Malformed(DecodeError::UnsupportedVersion(9))
    );
    let mut t = bytes.clone();
    t[1] = 0x31;
    assert_eq!(
        verify_report(&key, &t).unwrap_err(),
        ReportError::Malformed(DecodeError::UnexpectedType(0x31))
    );
    let mut f = bytes.clone();
    f[2] = 0x02;
    assert_eq!(
        verify_report(&key, &f).unwrap_err(),
        ReportError::Malformed(DecodeError::UnknownFlags(0x02))
    );
    for ct in [0x00u8, 0x02, 0x03, 0x09] {
        let mut c = bytes.clone();
        c[3] = ct;
        assert_eq!(
            verify_report(&key, &c).unwrap_err(),
            ReportError::Malformed(DecodeError::InvalidValue)
        );
    }
    assert_eq!(
        verify_report(&key, &vec![0u8; sealwire::limits::MAX_REPORT_LEN + 1]).unwrap_err(),
        ReportError::Malformed(DecodeError::TooLarge)
    );
    assert!(verify_report(&key, &bytes).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any body and send time: the honest report verifies, and changing any
    /// one byte of the body or the time makes it fail.
    #[test]
    fn honest_reports_verify_and_any_change_fails(
        seed in any::<u64>(),
        text in proptest::collection::vec(any::<u8>(), 0..300),
        at in any::<u64>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let (mut s, mut alice, mut bob) = established(seed);
        let at = Timestamp::from_unix_millis(at);
        let wire = alice
            .encrypt(&mut s.rng, at, Outgoing::message(&text).franked())
            .unwrap().message;
        let st = relay_stamps(&relay_key(1), &wire);
        let got = bob.decrypt(T0, &wire).unwrap();
        let franking = got.franking.clone().unwrap();
        let report = Report::from_received(&got, *s.bob_id.public(), st.clone()).unwrap();
        prop_assert!(verify_report(&relay_key(1), &report.to_vec()).is_ok());
        if !text.is_empty() {
            let mut t = text.clone();
            t[flip.index(text.len())] ^= 1;
            let r = Report::new(ContentType::UserMessage, *s.alice_id.public(), *s.bob_id.public(), at, &t, franking.clone(), st.clone()).unwrap();
            prop_assert_eq!(verify_report(&relay_key(1), &r.to_vec()).unwrap_err(), ReportError::BadCommitment);
        }
        let other = Timestamp::from_unix_millis(at.as_unix_millis() ^ 1);
        let r = Report::new(ContentType::UserMessage, *s.alice_id.public(), *s.bob_id.public(), other, &text, franking, st).unwrap();
        prop_assert_eq!(verify_report(&relay_key(1), &r.to_vec()).unwrap_err(), ReportError::BadCommitment);
    }
}

/// The seed corpora of the `parse_report` fuzz target and the franked
/// seeds of `decrypt`: written with
/// `SEALWIRE_BLESS_FUZZ=1 cargo test --test franking seed_corpus`; every
/// seed is run through the targets' checks here.
#[test]
fn seed_corpus() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let reports = root.join("parse_report");
    if std::env::var_os("SEALWIRE_BLESS_FUZZ").is_some() {
        std::fs::create_dir_all(&reports).unwrap();
        let (mut s, mut alice, mut bob) = established(20);
        let (plain, ..) = honest_report(&mut alice, &mut bob, &mut s.rng, b"report me");
        let picture = b"not really a png".to_vec();
        let pointer = AttachmentPointer::new(
            AttachmentKey::from_bytes([4; 32]),
            &picture,
            b"image/png",
            b"blob:1",
        )
        .unwrap();
        let wire = alice
            .encrypt(
                &mut s.rng,
                T0,
                Outgoing::message(&pointer.to_vec()).franked(),
            )
            .unwrap()
            .message;
        let st = relay_stamps(&relay_key(1), &wire);
        let got = bob.decrypt(T0, &wire).unwrap();
        let with_attachment = Report::from_received(&got, *s.bob_id.public(), st.clone())
            .unwrap()
            .with_attachment(&picture)
            .unwrap()
            .to_vec()
            .to_vec();
        let mut flipped = plain.clone();
        flipped[200] ^= 1;
        let seeds: Vec<(&str, Vec<u8>)> = vec![
            ("empty", vec![]),
            ("report", plain.clone()),
            ("report_attachment", with_attachment),
            ("report_flipped_body", flipped),
            ("report_truncated", plain[..150].to_vec()),
            ("stamp", st.to_vec()),
            ("attachment_pointer", pointer.to_vec().to_vec()),
        ];
        for (name, data) in seeds {
            std::fs::write(reports.join(name), data).unwrap();
        }
        let f = sealwire_fuzz_fixtures::Fixture::new();
        let decrypt = root.join("decrypt");
        std::fs::write(decrypt.join("franked_prekey_m2"), &f.samples[3]).unwrap();
        std::fs::write(decrypt.join("franked_ratchet_r1"), &f.samples[4]).unwrap();
        let mut t = f.samples[4].clone();
        t[2 + HEADER_LEN + 5] ^= 0x10;
        std::fs::write(decrypt.join("franked_tampered_cf"), t).unwrap();
    }
    let mut n = 0;
    for entry in std::fs::read_dir(&reports).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        sealwire_fuzz_fixtures::parse_report(&data);
        n += 1;
    }
    assert!(n >= 7, "seed corpus missing");
    let f = sealwire_fuzz_fixtures::Fixture::new();
    for name in [
        "franked_prekey_m2",
        "franked_ratchet_r1",
        "franked_tampered_cf",
    ] {
        let data = std::fs::read(root.join("decrypt").join(name)).unwrap();
        f.decrypt(&data);
    }
}

#[test]
fn limits_grow_by_exactly_the_franking_fields() {
    use sealwire::limits::*;
    assert_eq!(MAX_FRAME_LEN, 1_048_636); // 13-byte timer block (u64 version)
    assert_eq!(MAX_MESSAGE_LEN, 1_049_903); // 52-byte header
    assert_eq!(REPORT_FIXED_LEN, 188);
    assert_eq!(MAX_REPORT_LEN, 68_159_680);
    assert_eq!(sealwire::franking::COMMITMENT_LABEL.len(), 30);
    assert_eq!(sealwire::franking::STAMP_LABEL.len(), 25);
}

/// The length-prefixed fields at their limits: a report's body of exactly
/// `MAX_BODY_LEN` parses and one byte more is `TooLarge`; an attachment of
/// exactly `MAX_REPORT_ATTACHMENT_LEN` is taken and one byte more refused;
/// a stamp's routing id of exactly `MAX_ROUTING_ID_LEN` parses and one
/// byte more is `TooLarge`.
#[test]
fn length_prefixed_fields_at_their_limits() {
    use sealwire::limits::{MAX_BODY_LEN, MAX_REPORT_ATTACHMENT_LEN, MAX_ROUTING_ID_LEN};
    let too_large = Err(ReportError::Malformed(DecodeError::TooLarge));
    let (mut s, mut alice, mut bob) = established(31);
    let (bytes, _, _) = honest_report(&mut alice, &mut bob, &mut s.rng, b"x");
    // Without an attachment the body is the last field: u32 length, bytes.
    let (prefix, last) = bytes.split_at(bytes.len() - 5);
    assert_eq!(last, [0, 0, 0, 1, b'x']);
    let with_body = |len: usize| {
        let mut v = prefix.to_vec();
        v.extend_from_slice(&u32::try_from(len).unwrap().to_be_bytes());
        v.resize(v.len() + len, b'a');
        v
    };
    let report = Report::parse(&with_body(MAX_BODY_LEN)).unwrap();
    assert_eq!(report.body().len(), MAX_BODY_LEN);
    assert_eq!(
        Report::parse(&with_body(MAX_BODY_LEN + 1)).map(|_| ()),
        too_large
    );
    let attachment = vec![0u8; MAX_REPORT_ATTACHMENT_LEN + 1];
    let with = Report::parse(&bytes)
        .unwrap()
        .with_attachment(&attachment[..MAX_REPORT_ATTACHMENT_LEN])
        .unwrap();
    assert_eq!(
        with.attachment().map(<[u8]>::len),
        Some(MAX_REPORT_ATTACHMENT_LEN)
    );
    assert_eq!(
        Report::parse(&bytes)
            .unwrap()
            .with_attachment(&attachment)
            .map(|_| ()),
        too_large
    );

    // A stamp: version, type, tag, timestamp, then each id as u16 length
    // and bytes; the recipient's id last, empty here.
    let longest = vec![7u8; MAX_ROUTING_ID_LEN];
    let context = RoutingContext::new(&longest, b"", RELAY_TIME).unwrap();
    let st = stamp(&relay_key(1), &[3; 32], context);
    let encoded = st.to_vec();
    assert!(Stamp::parse(&encoded).unwrap() == st);
    let at = 2 + 32 + 8;
    assert_eq!(
        encoded[at..at + 2],
        u16::try_from(MAX_ROUTING_ID_LEN).unwrap().to_be_bytes()
    );
    let mut longer = encoded.clone();
    longer[at..at + 2]
        .copy_from_slice(&u16::try_from(MAX_ROUTING_ID_LEN + 1).unwrap().to_be_bytes());
    longer.insert(at + 2, 7);
    assert_eq!(
        Stamp::parse(&longer).map(|_| ()),
        Err(DecodeError::TooLarge)
    );
}
