//! Properties of the public types: thread-safety, `Debug` output that
//! never contains secret material, and one send path whatever the session
//! type.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use proptest::prelude::*;
use sealwire::testing::DangerDeterministicRng;
use sealwire::{
    BundleError, ContentType, DecodeError, Encrypt, IdentityKey, IdentityKeyPair, MissingPrekey,
    Outgoing, PendingSession, PrekeyBundle, PrekeyStore, Received, Rejected, Sent, SentInto,
    Session, SessionError, SessionRecord, Timestamp,
};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn public_types_are_send_and_sync() {
    assert_send_sync::<IdentityKeyPair>();
    assert_send_sync::<IdentityKey>();
    assert_send_sync::<PrekeyStore>();
    assert_send_sync::<PrekeyBundle>();
    assert_send_sync::<PendingSession>();
    assert_send_sync::<Session>();
    assert_send_sync::<Received>();
    assert_send_sync::<Rejected>();
    assert_send_sync::<SessionError>();
    assert_send_sync::<BundleError>();
    assert_send_sync::<DecodeError>();
    assert_send_sync::<SessionRecord>();
    assert_send_sync::<Outgoing<'static>>();
    assert_send_sync::<Sent>();
    assert_send_sync::<SentInto>();
    assert_send_sync::<MissingPrekey>();
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn debug_output_never_contains_secrets() {
    let mut rng = DangerDeterministicRng::from_u64(99);
    let seed = [0x5au8; 32];
    let alice_id = IdentityKeyPair::from_seed(&seed);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut store = PrekeyStore::new(&bob_id, &mut rng);
    let opk = store.generate_one_time_prekeys(&mut rng, 1)[0];
    let bundle = store.bundle(&bob_id, Some(opk.id)).unwrap();
    let mut pending = PendingSession::initiate(&mut rng, &alice_id, &bundle).unwrap();
    let now = Timestamp::from_unix_millis(1);
    let m = pending
        .encrypt(&mut rng, now, Outgoing::message(b"top secret body"))
        .unwrap()
        .message;
    let (bob, received) = Session::accept(&bob_id, &mut store, now, &m).unwrap();

    let seed_hex = hex(&seed);
    let bob_seed_hex = hex(&bob_id.danger_seed_bytes()[..]);
    let keys = sealwire::hazmat::session_keys(&bob);
    let root_hex = hex(&keys.0);
    let recv_hex = hex(&keys.2.unwrap());
    let all =
        format!("{alice_id:?} {bob_id:?} {store:?} {bundle:?} {pending:?} {bob:?} {received:?}");
    for secret in [&seed_hex, &bob_seed_hex, &root_hex, &recv_hex] {
        assert!(
            !all.contains(secret.as_str()),
            "Debug leaks a secret: {all}"
        );
        // Also no long fragment of it.
        assert!(!all.contains(&secret[..16]), "Debug leaks part of a secret");
    }
    assert!(!all.contains("top secret body"));
    // The public parts are there, so the check above is meaningful: each
    // session shows its peer's identity key.
    assert!(all.contains(&hex(alice_id.public().as_bytes())));
    assert!(format!("{pending:?}").contains(&hex(bob_id.public().as_bytes())));
    assert!(format!("{bob:?}").contains(&hex(alice_id.public().as_bytes())));
}

/// Each public type's Debug names the type and shows its public fields
/// (so a Debug that printed nothing, or another type's name, would fail),
/// and never a secret (checked above and in `tests/security.rs`).
#[test]
fn each_debug_names_its_type_and_shows_its_public_fields() {
    let mut rng = DangerDeterministicRng::from_u64(7);
    let alice = IdentityKeyPair::from_seed(&[0x11; 32]);
    let bob = IdentityKeyPair::from_seed(&[0x22; 32]);
    let mut store = PrekeyStore::new_pq(&bob, &mut rng);
    let opk = store.generate_one_time_prekeys(&mut rng, 1)[0];
    let pq = store.generate_pq_one_time_prekeys(&bob, &mut rng, 1)[0].clone();
    let bundle = store
        .bundle_with_pq(&bob, Some(opk.id), Some(pq.id()))
        .unwrap();
    let spk = store.current_signed_prekey().unwrap().clone();
    let last_resort = store.current_last_resort_pq_prekey().unwrap().clone();
    let alice_hex = hex(alice.public().as_bytes());
    let spk_hex = hex(spk.public());
    let pq_prefix = hex(&pq.public()[..8]);

    let shown = |x: &dyn core::fmt::Debug| format!("{x:?}");
    let identity = shown(alice.public());
    assert_eq!(identity, format!("IdentityKey({alice_hex})"));
    assert_eq!(
        shown(&alice),
        format!("IdentityKeyPair {{ public: {identity}, .. }}")
    );
    assert_eq!(
        shown(&spk),
        format!("SignedPrekey {{ id: {}, public: {spk_hex}, .. }}", spk.id())
    );
    let pq_shown = shown(&pq);
    assert_eq!(
        pq_shown,
        format!(
            "PqPrekeyPublic {{ id: {}, kind: OneTime, public_prefix: {pq_prefix}, .. }}",
            pq.id()
        )
    );
    assert_eq!(
        shown(&last_resort),
        format!(
            "SignedPqPrekey {{ id: {}, kind: LastResort, .. }}",
            last_resort.id()
        )
    );
    assert_eq!(
        shown(&store),
        format!(
            "PrekeyStore {{ signed: [{}], one_time_count: 1, pq_one_time_count: 1, \
             pq_last_resort: [{}], require_pq: false, .. }}",
            shown(&spk),
            shown(&last_resort)
        )
    );
    let bundle_shown = shown(&bundle);
    assert!(bundle_shown.starts_with(&format!(
        "PrekeyBundle {{ identity_key: {}, signed_prekey_id: {}, signed_prekey: {spk_hex}, ",
        shown(bob.public()),
        spk.id()
    )));
    assert!(bundle_shown.contains(&format!("public_prefix: {pq_prefix}")));

    let number = sealwire::SafetyNumber::new(alice.public(), b"alice", bob.public(), b"bob");
    assert_eq!(
        shown(&number),
        format!("SafetyNumber({:?})", number.displayable())
    );

    let mut pending = PendingSession::initiate(&mut rng, &alice, &bundle).unwrap();
    let m = pending
        .encrypt(&mut rng, T0, Outgoing::message(b"hello"))
        .unwrap()
        .message;
    let (mut session, received) = Session::accept(&bob, &mut store, T0, &m).unwrap();
    // What was received: the type, the length (never the plaintext), the
    // sender, the message number and the content type come first.
    let starts_with = |x: &dyn core::fmt::Debug, head: String| {
        assert!(
            shown(x).starts_with(&head),
            "{x:?} should start with {head}"
        );
    };
    starts_with(
        &received,
        format!(
            "Received {{ plaintext_len: 5, sender: {identity}, message_number: 0, \
             content_type: UserMessage, "
        ),
    );
    let again = pending
        .encrypt(&mut rng, T0, Outgoing::message(b"again"))
        .unwrap()
        .message;
    let mut buf = again.clone();
    let in_place = session.decrypt_in_place(T0, &mut buf).unwrap();
    starts_with(
        &in_place,
        format!(
            "ReceivedRef {{ body_len: 5, sender: {identity}, message_number: 1, \
             content_type: UserMessage, "
        ),
    );
    let reply = session
        .encrypt(&mut rng, T0, Outgoing::message(b"hi"))
        .unwrap()
        .message;
    let head = &reply[2..2 + sealwire::wire::HEADER_LEN];
    let header = sealwire::wire::RatchetHeader::from_bytes(head).unwrap();
    assert_eq!(
        shown(&header),
        format!(
            "RatchetHeader {{ ratchet_key: {}, previous_counter: 0, counter: 0, nonce_mask: {} }}",
            hex(&head[..32]),
            hex(&head[40..])
        )
    );
}

const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);

/// Every content type an application message may carry.
const CONTENT_TYPES: [ContentType; 3] = [
    ContentType::UserMessage,
    ContentType::GroupKeyDistribution,
    ContentType::Receipt,
];

fn rng(seed: u64) -> DangerDeterministicRng {
    DangerDeterministicRng::from_u64(seed)
}

/// Sends `msg` from copies of `session` through both entry points of
/// [`Encrypt`] with the same randomness: `encrypt` and `encrypt_into` give
/// the same bytes and franking opening, of `encrypted_len`, and leave equal
/// sessions. A timer change is refused by both and changes nothing.
fn send_both_ways<E>(session: &E, seed: u64, msg: Outgoing<'_>) -> Sent
where
    E: Encrypt + Clone + PartialEq + core::fmt::Debug,
{
    let mut by_vec = session.clone();
    let sent = by_vec.encrypt(&mut rng(seed), T0, msg).unwrap();
    let len = session.encrypted_len(msg.body().len(), msg.is_franked());
    assert_eq!(sent.message.len(), len);
    assert_eq!(sent.franking.is_some(), msg.is_franked());

    let mut by_buf = session.clone();
    let mut out = vec![0xa5u8; len + 9];
    let into = by_buf
        .encrypt_into(&mut rng(seed), T0, msg, &mut out)
        .unwrap();
    assert_eq!(into.len, len);
    assert_eq!(&out[..len], &sent.message[..]);
    assert_eq!(into.franking, sent.franking);
    assert_eq!(by_vec, by_buf);

    let mut short = session.clone();
    assert_eq!(
        short.encrypt_into(&mut rng(seed), T0, msg, &mut out[..len - 1]),
        Err(SessionError::BufferTooSmall)
    );
    let mut timer = session.clone();
    let change = Outgoing::new(ContentType::TimerChange, msg.body());
    let change = if msg.is_franked() {
        change.franked()
    } else {
        change
    };
    assert_eq!(
        timer.encrypt(&mut rng(seed), T0, change),
        Err(SessionError::InvalidPolicy)
    );
    assert_eq!(timer, *session);
    sent
}

/// For every content type, franked or not: `session` and `record` (the
/// same session inside a [`SessionRecord`]) send the same message (see
/// [`send_both_ways`]), and the peer's `open` makes of it the message sent,
/// with the sender's franking opening when franked.
fn phase_sends_alike<E>(
    session: &E,
    record: &SessionRecord,
    seed: u64,
    body: &[u8],
    sender: &IdentityKey,
    mut open: impl FnMut(&[u8]) -> Received,
) where
    E: Encrypt + Clone + PartialEq + core::fmt::Debug,
{
    for content_type in CONTENT_TYPES {
        for franked in [false, true] {
            let msg = Outgoing::new(content_type, body);
            let msg = if franked { msg.franked() } else { msg };
            let sent = send_both_ways(session, seed, msg);
            assert_eq!(sent, send_both_ways(record, seed, msg));
            let received = open(&sent.message);
            assert_eq!(&received.plaintext[..], msg.body());
            assert_eq!(received.content_type, msg.content_type());
            assert_eq!(received.sender, *sender);
            assert_eq!(received.sent_at, T0);
            assert_eq!(received.franking, sent.franking);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// `PendingSession`, `Session` and `SessionRecord` in either phase send
    /// the same bytes for the same message and randomness, for every
    /// content type, franked or not, and the peer decrypts each to the
    /// message sent (with the sender's franking opening when franked).
    #[test]
    fn the_three_session_types_send_alike(
        seed in any::<u64>(),
        pq in any::<bool>(),
        body in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        let mut r = rng(seed);
        let alice_id = IdentityKeyPair::generate(&mut r);
        let bob_id = IdentityKeyPair::generate(&mut r);
        let mut store = if pq {
            PrekeyStore::new_pq(&bob_id, &mut r)
        } else {
            PrekeyStore::new(&bob_id, &mut r)
        };
        let opk = store.generate_one_time_prekeys(&mut r, 1)[0].id;
        let bundle = store.bundle(&bob_id, Some(opk)).unwrap();
        let mut pending = PendingSession::initiate(&mut r, &alice_id, &bundle).unwrap();
        let pending_record = SessionRecord::from(pending.clone());
        prop_assert!(pending_record.as_established().is_none());

        phase_sends_alike(&pending, &pending_record, seed, &body, alice_id.public(), |m| {
            Session::accept(&bob_id, &mut store.clone(), T0, m).unwrap().1
        });

        // Establish: a prekey message, Bob's reply.
        let hello = pending.encrypt(&mut r, T0, Outgoing::message(b"hello")).unwrap();
        let (mut bob, _) = Session::accept(&bob_id, &mut store, T0, &hello.message).unwrap();
        let reply = bob.encrypt(&mut r, T0, Outgoing::message(b"reply")).unwrap();
        let (alice, _) = pending.receive(T0, &reply.message).unwrap();
        let mut record = SessionRecord::from(alice.clone());
        prop_assert_eq!(record.as_established(), Some(&alice));
        prop_assert!(record.as_established_mut().is_some());

        phase_sends_alike(&alice, &record, seed, &body, alice_id.public(), |m| {
            bob.clone().decrypt(T0, m).unwrap()
        });
    }
}

#[test]
fn bundle_names_the_missing_prekey() {
    let mut r = rng(5);
    let bob_id = IdentityKeyPair::generate(&mut r);
    let mut store = PrekeyStore::new(&bob_id, &mut r);
    let opk = store.generate_one_time_prekeys(&mut r, 1)[0].id;
    let pq = store.generate_pq_one_time_prekeys(&bob_id, &mut r, 1)[0].id();
    assert!(store.bundle_with_pq(&bob_id, Some(opk), Some(pq)).is_ok());
    let absent = opk.wrapping_add(1000);
    assert_eq!(
        store.bundle(&bob_id, Some(absent)).unwrap_err(),
        MissingPrekey::OneTimePrekey { id: absent }
    );
    assert_eq!(
        store
            .bundle_with_pq(&bob_id, Some(opk), Some(absent))
            .unwrap_err(),
        MissingPrekey::PqOneTimePrekey { id: absent }
    );
    // The one-time prekey is named first.
    assert_eq!(
        store
            .bundle_with_pq(&bob_id, Some(absent), Some(absent))
            .unwrap_err(),
        MissingPrekey::OneTimePrekey { id: absent }
    );
    // A consumed one-time prekey is missing afterwards.
    let alice_id = IdentityKeyPair::generate(&mut r);
    let bundle = store.bundle(&bob_id, Some(opk)).unwrap();
    let mut alice = PendingSession::initiate(&mut r, &alice_id, &bundle).unwrap();
    let hello = alice.encrypt(&mut r, T0, Outgoing::message(b"hi")).unwrap();
    Session::accept(&bob_id, &mut store, T0, &hello.message).unwrap();
    assert_eq!(
        store.bundle(&bob_id, Some(opk)).unwrap_err(),
        MissingPrekey::OneTimePrekey { id: opk }
    );
    assert!(
        MissingPrekey::OneTimePrekey { id: opk }
            .to_string()
            .contains(&opk.to_string())
    );
}

/// A parsed message's `Debug` names its public fields (never the
/// ciphertext itself): the prekey fields, the PQXDH ones, the ratchet
/// message inside.
#[test]
fn parsed_messages_debug_shows_their_public_fields() {
    let mut rng = rng(77);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let store = PrekeyStore::new_pq(&bob, &mut rng);
    let bundle = store.bundle(&bob, None).unwrap();
    let mut pending = PendingSession::initiate(&mut rng, &alice, &bundle).unwrap();
    let m = pending
        .encrypt(&mut rng, T0, Outgoing::message(b"hi"))
        .unwrap()
        .message;
    let Ok(sealwire::wire::Message::Prekey(p)) = sealwire::wire::Message::parse(&m) else {
        panic!("a first message is a prekey message");
    };
    let shown = format!("{p:?}");
    assert!(shown.starts_with("PrekeyMessage"), "{shown}");
    assert!(
        shown.contains(&format!("signed_prekey_id: {}", p.signed_prekey_id)),
        "{shown}"
    );
    assert!(shown.contains("RatchetMessage"), "{shown}");
    assert!(
        shown.contains(&format!("ciphertext_len: {}", p.message.ciphertext.len())),
        "{shown}"
    );
    let pq = p.pq.expect("a PQXDH prekey message");
    let pq_shown = format!("{pq:?}");
    assert!(
        pq_shown.contains(&format!("pq_prekey_id: {}", pq.pq_prekey_id)),
        "{pq_shown}"
    );
    assert!(pq_shown.contains("ciphertext_len: 1088"), "{pq_shown}");
}
