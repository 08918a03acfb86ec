//! SPEC.md and the code agree: each test pins, through the public API, a
//! normative statement of SPEC.md §1–§19 where the text and the library
//! once disagreed (or where nothing checked them against each other), so
//! that either side drifting again fails here.

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

use common::{T0, accept_fails, body, established, prekey_offsets, replaced, setup};
use sealwire::expiry::{ExpiryError, ExpiryQueue};
use sealwire::limits::{MAX_BODY_LEN, MAX_BUNDLE_LEN, MAX_MESSAGE_LEN};
use sealwire::persist::StateBlob;
use sealwire::testing::DangerDeterministicRng;
use sealwire::wire::Message;
use sealwire::{
    BundleError, ContentType, DecodeError, Encrypt, IdentityKeyPair, Outgoing, PendingSession,
    PrekeyBundle, PrekeyStore, Session, SessionError, Timestamp,
};

const SPEC: &str = include_str!("../SPEC.md");
/// Local storage, formerly SPEC.md §18 (its §N was §18.N).
const STORAGE: &str = include_str!("../STORAGE.md");

/// The text of SPEC.md's section that starts with the heading `start` and
/// ends at the next top-level heading.
fn section(start: &str) -> &'static str {
    section_of(SPEC, start)
}

/// The text of `doc`'s section that starts with the heading `start` and
/// ends at the next `## ` heading.
fn section_of(doc: &'static str, start: &str) -> &'static str {
    let at = doc
        .find(start)
        .unwrap_or_else(|| panic!("the document has no heading {start:?}"));
    let rest = &doc[at + start.len()..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    &rest[..end]
}

/// The leading number of a table cell: decimal digits grouped by spaces
/// (`2 592 000 000`), up to the first other character.
fn leading_number(cell: &str) -> Option<u128> {
    let mut digits = String::new();
    for c in cell.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if c.is_whitespace() || c == '\u{202f}' || c == '\u{a0}' {
            continue;
        } else {
            break;
        }
    }
    digits.parse().ok()
}

/// The value of a §9 constant by the name the table gives it.
fn constant(name: &str) -> Option<u128> {
    use sealwire::expiry;
    use sealwire::group;
    use sealwire::limits as l;
    let v: u128 = match name {
        "MAX_SKIP" => l::MAX_SKIP.into(),
        "MAX_SKIPPED_KEYS" => l::MAX_SKIPPED_KEYS as u128,
        "MAX_RECEIVING_CHAINS" => l::MAX_RECEIVING_CHAINS as u128,
        "MAX_SKIPPED_KEY_AGE_MS" => l::MAX_SKIPPED_KEY_AGE_MS.into(),
        "MAX_BODY_LEN" => l::MAX_BODY_LEN as u128,
        "MIN_PADDED_BODY_LEN" => l::MIN_PADDED_BODY_LEN as u128,
        "MAX_PADDED_BODY_LEN" => l::MAX_PADDED_BODY_LEN as u128,
        "FRAME_HEADER_LEN" => l::FRAME_HEADER_LEN as u128,
        "FRAME_TIMER_LEN" => l::FRAME_TIMER_LEN as u128,
        "FRAME_FRANKING_LEN" => l::FRAME_FRANKING_LEN as u128,
        "FRANKING_COMMITMENT_LEN" => l::FRANKING_COMMITMENT_LEN as u128,
        "MAX_FRAME_LEN" => l::MAX_FRAME_LEN as u128,
        "MAX_MESSAGE_LEN" => l::MAX_MESSAGE_LEN as u128,
        "MAX_ROUTING_ID_LEN" => l::MAX_ROUTING_ID_LEN as u128,
        "MAX_REPORT_ATTACHMENT_LEN" => l::MAX_REPORT_ATTACHMENT_LEN as u128,
        "MAX_ATTACHMENT_MEDIA_TYPE_LEN" => l::MAX_ATTACHMENT_MEDIA_TYPE_LEN as u128,
        "MAX_ATTACHMENT_LOCATOR_LEN" => l::MAX_ATTACHMENT_LOCATOR_LEN as u128,
        "REPORT_FIXED_LEN" => l::REPORT_FIXED_LEN as u128,
        "MAX_REPORT_LEN" => l::MAX_REPORT_LEN as u128,
        "MAX_BUNDLE_LEN" => l::MAX_BUNDLE_LEN as u128,
        "PQ_MESSAGE_FIELDS_LEN" => l::PQ_MESSAGE_FIELDS_LEN as u128,
        "PQ_BUNDLE_FIELDS_LEN" => l::PQ_BUNDLE_FIELDS_LEN as u128,
        "MAX_ONE_TIME_PREKEYS" => l::MAX_ONE_TIME_PREKEYS as u128,
        "MAX_SIGNED_PREKEYS" => l::MAX_SIGNED_PREKEYS as u128,
        "MAX_ONE_TIME_PQ_PREKEYS" => l::MAX_ONE_TIME_PQ_PREKEYS as u128,
        "MAX_LAST_RESORT_PQ_PREKEYS" => l::MAX_LAST_RESORT_PQ_PREKEYS as u128,
        "MAX_PQ_REPLAY_RECORDS" => l::MAX_PQ_REPLAY_RECORDS as u128,
        "MAX_GROUP_FORWARD_JUMP" => l::MAX_GROUP_FORWARD_JUMP.into(),
        "MAX_GROUP_SKIPPED_KEYS" => l::MAX_GROUP_SKIPPED_KEYS as u128,
        "MAX_SENDER_CHAIN_STATES" => l::MAX_SENDER_CHAIN_STATES as u128,
        "MAX_GROUP_MEMBERS" => l::MAX_GROUP_MEMBERS as u128,
        "MAX_PREVIOUS_SESSIONS" => l::MAX_PREVIOUS_SESSIONS as u128,
        "MAX_DEVICES_PER_USER" => l::MAX_DEVICES_PER_USER as u128,
        "MAX_USER_ID_LEN" => l::MAX_USER_ID_LEN as u128,
        "RECOVERY_INTERVAL_MS" => l::RECOVERY_INTERVAL_MS.into(),
        "RECOVERY_REQUEST_LEN" => l::RECOVERY_REQUEST_LEN as u128,
        "MAX_TRUSTED_SERVER_KEYS" => l::MAX_TRUSTED_SERVER_KEYS as u128,
        "MAX_VERIFIED_CERTIFICATES" => l::MAX_VERIFIED_CERTIFICATES as u128,
        "SENDER_CERTIFICATE_FIXED_LEN" => l::SENDER_CERTIFICATE_FIXED_LEN as u128,
        "MAX_SENDER_CERTIFICATE_LEN" => l::MAX_SENDER_CERTIFICATE_LEN as u128,
        "MAX_SEALED_LEN" => l::MAX_SEALED_LEN as u128,
        "MAX_SEALED_RECIPIENTS" => l::MAX_SEALED_RECIPIENTS as u128,
        "SEALED_RECIPIENT_ENTRY_LEN" => l::SEALED_RECIPIENT_ENTRY_LEN as u128,
        "MAX_SEALED_POST_BODY_LEN" => l::MAX_SEALED_POST_BODY_LEN as u128,
        "MAX_MULTI_RECIPIENT_LEN" => l::MAX_MULTI_RECIPIENT_LEN as u128,
        "MAX_SEALED_POST_LEN" => l::MAX_SEALED_POST_LEN as u128,
        "group::MAX_POST_LEN" => group::MAX_POST_LEN as u128,
        "group::MIN_POST_LEN" => group::MIN_POST_LEN as u128,
        "group::DISTRIBUTION_LEN" => group::DISTRIBUTION_LEN as u128,
        "expiry::MAX_TTL_SECS" => expiry::MAX_TTL_SECS.into(),
        "expiry::SKIPPED_KEY_GRACE_MS" => expiry::SKIPPED_KEY_GRACE_MS.into(),
        "expiry::MAX_QUEUE_ENTRIES" => expiry::MAX_QUEUE_ENTRIES as u128,
        "expiry::MAX_TIMER_VERSION_STEP" => expiry::MAX_TIMER_VERSION_STEP.into(),
        _ => return None,
    };
    Some(v)
}

/// SPEC §9: every number of the limits table is the library's constant of
/// that name. Rows whose first cell is not a constant name in backticks
/// (counters, versions) are about types, not constants, and are skipped; a
/// new constant row fails here until it is added to [`constant`].
#[test]
fn every_number_in_the_limits_table_is_the_constant() {
    let table = section("## 9. Limits");
    let mut checked = 0;
    for line in table.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // cells[0] is empty (before the first bar).
        let (names, values) = (cells[1], cells[2]);
        let names: Vec<&str> = names.split(" / ").collect();
        let values: Vec<&str> = values.split(" / ").collect();
        assert_eq!(
            names.len(),
            values.len(),
            "§9 row {line:?}: names and values do not pair up"
        );
        for (name, value) in names.iter().zip(&values) {
            let name = name.trim().trim_matches('`');
            if name.contains(' ') || name.contains(',') {
                continue; // "counters `N`, `PN`" and the like
            }
            let spec = leading_number(value)
                .unwrap_or_else(|| panic!("§9 row {name}: no number in {value:?}"));
            let code =
                constant(name).unwrap_or_else(|| panic!("§9 names {name}, unknown to this test"));
            assert_eq!(spec, code, "SPEC §9 says {name} = {spec}, the code {code}");
            checked += 1;
        }
    }
    assert!(checked >= 35, "only {checked} constants found in §9");
}

/// A PQ store with one-time prekeys; its bundle with and without the
/// one-time prekey.
fn pq_bundles(seed: u64) -> (Vec<u8>, Vec<u8>, PrekeyBundle) {
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let bob = IdentityKeyPair::generate(&mut rng);
    let mut store = PrekeyStore::new_pq(&bob, &mut rng);
    let opk = store.generate_one_time_prekeys(&mut rng, 1)[0].id;
    let without = store.bundle(&bob, None).unwrap().to_vec();
    let with = store.bundle(&bob, Some(opk)).unwrap();
    (without, with.to_vec(), with)
}

/// SPEC §4.2 step 1 and step 8: only a bundle longer than
/// `MAX_BUNDLE_LEN` (1424) is `TooLarge`; a shorter one longer than its
/// flags announce is `TrailingBytes` (the text once said "> 171").
#[test]
fn bundle_size_bound_is_max_bundle_len_and_extra_bytes_are_trailing() {
    let classic = setup(1, false).bundle.to_vec();
    let with_opk = setup(2, true).bundle.to_vec();
    assert_eq!((classic.len(), with_opk.len()), (135, 171));
    let (pq, pq_opk, _) = pq_bundles(3);
    assert_eq!((pq.len(), pq_opk.len()), (1388, MAX_BUNDLE_LEN));
    for b in [&classic, &with_opk, &pq, &pq_opk] {
        assert!(PrekeyBundle::parse(b).is_ok());
        for len in [
            b.len() + 1,
            172,
            1000,
            1388,
            MAX_BUNDLE_LEN,
            MAX_BUNDLE_LEN + 1,
        ] {
            if len <= b.len() {
                continue;
            }
            let mut long = b.clone();
            long.resize(len, 0);
            let want = if len > MAX_BUNDLE_LEN {
                DecodeError::TooLarge
            } else {
                DecodeError::TrailingBytes
            };
            assert_eq!(
                PrekeyBundle::parse(&long).map(|_| ()),
                Err(BundleError::Malformed(want)),
                "a {}-byte bundle padded to {len}",
                b.len()
            );
        }
    }
}

/// SPEC §4.1: the PQ rows' offsets are from the start of the bundle
/// (135/171 `pq_id`, 139/175 `pq_kind`, 140/176 `PQPK_B`, 1324/1360
/// `PQSig`).
#[test]
fn bundle_pq_offsets_are_from_the_start() {
    let (pq, pq_opk, parsed) = pq_bundles(4);
    let key = parsed.pq_prekey().unwrap();
    for (bytes, at) in [(&pq, 135usize), (&pq_opk, 171)] {
        assert_eq!(bytes[at..at + 4], key.id().to_be_bytes());
        assert_eq!(bytes[at + 4], key.kind().to_byte());
        assert_eq!(bytes[at + 5..at + 5 + 1184], key.public()[..]);
        assert_eq!(bytes[at + 1189..at + 1189 + 64], key.signature()[..]);
        assert_eq!(bytes.len(), at + 1253);
    }
    assert_eq!([pq[134], pq_opk[134]], [0x02, 0x03], "flags");
}

/// SPEC §4.2 step 7: `PQPK_B` and `PQSig` are read before the FIPS 203
/// check, which comes before the trailing-bytes check (step 8).
#[test]
fn bundle_pq_key_check_comes_after_the_reads_and_before_trailing_bytes() {
    let (_, pq_opk, _) = pq_bundles(5);
    let mut bad = pq_opk.clone();
    // First 12-bit coefficient of PQPK_B = 0xfff >= q = 3329.
    bad[176] = 0xff;
    bad[177] |= 0x0f;
    let err = |b: &[u8]| PrekeyBundle::parse(b).map(|_| ());
    assert_eq!(
        err(&bad),
        Err(BundleError::Malformed(DecodeError::InvalidKey))
    );
    // Truncated inside PQSig: the short read is found first.
    assert_eq!(
        err(&bad[..bad.len() - 1]),
        Err(BundleError::Malformed(DecodeError::Truncated))
    );
    // With both prekeys the bundle is already at the bound: one byte more
    // is TooLarge (step 1), before any key is looked at.
    let mut long = bad.clone();
    long.push(0);
    assert_eq!(
        err(&long),
        Err(BundleError::Malformed(DecodeError::TooLarge))
    );
    // Without the one-time prekey there is room: InvalidKey before
    // TrailingBytes.
    let (pq, _, _) = pq_bundles(6);
    let mut bad = pq.clone();
    bad[140] = 0xff;
    bad[141] |= 0x0f;
    bad.push(0);
    assert_eq!(
        err(&bad),
        Err(BundleError::Malformed(DecodeError::InvalidKey))
    );
    // A bad kind is found before the key is even read.
    let mut bad_kind = pq[..150].to_vec();
    bad_kind[139] = 0x03;
    assert_eq!(
        err(&bad_kind),
        Err(BundleError::Malformed(DecodeError::InvalidValue))
    );
}

/// p = 2^255 - 19, little-endian.
const P_LE: [u8; 32] = {
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

/// SPEC §3.1, §11.1: a canonical X25519 `u` is read as a 256-bit
/// little-endian integer, bit 255 included, and must be below p.
#[test]
fn base_key_canonicity_is_little_endian_over_all_256_bits() {
    let mut s = setup(7, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let m0 = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(0)))
        .unwrap()
        .message;
    let with_key = |k: [u8; 32]| replaced(&m0, prekey_offsets::BASE_KEY, &k);
    let parse = |m: &[u8]| Message::parse(m).map(|_| ());

    let mut p_minus_1 = P_LE;
    p_minus_1[0] = 0xec;
    let mut nine_with_bit_255 = [0u8; 32];
    nine_with_bit_255[0] = 9;
    nine_with_bit_255[31] = 0x80;
    let mut p_big_endian = P_LE;
    p_big_endian.reverse();
    let mut top_clear_rest_set = [0xffu8; 32];
    top_clear_rest_set[31] = 0x7e;
    let mut nine = [0u8; 32];
    nine[0] = 9;

    let refused = [
        ("p", P_LE),
        ("p + 1", {
            let mut k = P_LE;
            k[0] = 0xee;
            k
        }),
        ("2^255 - 1", {
            let mut k = [0xffu8; 32];
            k[31] = 0x7f;
            k
        }),
        ("9 with bit 255 set", nine_with_bit_255),
        ("p written big-endian", p_big_endian),
        ("2^256 - 1", [0xff; 32]),
    ];
    for (what, k) in refused {
        let m = with_key(k);
        assert_eq!(parse(&m), Err(DecodeError::InvalidKey), "{what}");
        assert_eq!(
            accept_fails(&s.bob_id, &mut s.store, &m),
            SessionError::Malformed(DecodeError::InvalidKey),
            "{what}"
        );
    }
    for (what, k) in [
        ("p - 1", p_minus_1),
        ("2^255 - 2^248 - 1", top_clear_rest_set),
        ("9", nine),
        ("0", [0u8; 32]),
    ] {
        assert_eq!(parse(&with_key(k)), Ok(()), "{what} is canonical");
    }
    // Canonical is not "safe": the all-zero u parses and is then refused
    // by the DH check of §1.2, changing nothing.
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &with_key([0u8; 32])),
        SessionError::WeakPublicKey
    );
}

/// SPEC §8.1: a franked frame is 32 bytes longer (`47 + P` / `60 + P`),
/// and a franked message 64 (`kf` and `cf`).
#[test]
fn franked_frame_length_formula() {
    use sealwire::wire::{frame_len, franked_frame_len, padded_body_len};
    for len in [0usize, 31, 32, 33, 100, 1000, 65_537, MAX_BODY_LEN] {
        let p = padded_body_len(len);
        assert_eq!(frame_len(len, false), 15 + p);
        assert_eq!(frame_len(len, true), 28 + p);
        assert_eq!(franked_frame_len(len, false), 47 + p);
        assert_eq!(franked_frame_len(len, true), 60 + p);
    }
    let (mut s, mut alice, _bob) = established(8);
    for len in [0usize, 33, 1000] {
        let plain = alice
            .encrypt(&mut s.rng, T0, Outgoing::message(&vec![7; len]))
            .unwrap()
            .message;
        let franked = alice
            .encrypt(&mut s.rng, T0, Outgoing::message(&vec![7; len]).franked())
            .unwrap()
            .message;
        assert_eq!(franked.len(), plain.len() + 64, "body of {len}");
        assert_eq!(alice.encrypted_len(len, true), franked.len());
        // The unfranked message is the frame plus a constant.
        assert_eq!(
            plain.len() - frame_len(len, false),
            alice.encrypted_len(0, false) - frame_len(0, false)
        );
    }
}

/// SPEC §8.1: `sent_at` is the `now` passed to the call that made the
/// message, verbatim.
#[test]
fn sent_at_is_the_now_passed_to_encrypt() {
    let (mut s, mut alice, mut bob) = established(9);
    let later = Timestamp::from_unix_millis(T0.as_unix_millis() + 60_000);
    let cases: [(u64, &str); 4] = [
        (T0.as_unix_millis() + 1, "encrypt"),
        (T0.as_unix_millis() - 5_000, "encrypt_franked"),
        (T0.as_unix_millis() + 12_345, "encrypt_into"),
        (T0.as_unix_millis() + 777, "set_timer"),
    ];
    for (at, how) in cases {
        let now = Timestamp::from_unix_millis(at);
        let msg = match how {
            "encrypt" => {
                alice
                    .encrypt(&mut s.rng, now, Outgoing::message(b"x"))
                    .unwrap()
                    .message
            }
            "encrypt_franked" => {
                alice
                    .encrypt(
                        &mut s.rng,
                        now,
                        Outgoing::new(ContentType::Receipt, b"x").franked(),
                    )
                    .unwrap()
                    .message
            }
            "encrypt_into" => {
                let mut out = vec![0u8; alice.encrypted_len(1, false)];
                let n = alice
                    .encrypt_into(&mut s.rng, now, Outgoing::message(b"x"), &mut out)
                    .unwrap()
                    .len;
                out.truncate(n);
                out
            }
            _ => alice.set_timer(&mut s.rng, now, None).unwrap().0,
        };
        let got = bob.decrypt(later, &msg).unwrap();
        assert_eq!(got.sent_at.as_unix_millis(), at, "{how}");
    }
}

/// SPEC §12: `encrypt_into`, like `encrypt` (franked or not),
/// checks the body length before the content type, and
/// the content type before the buffer (the table once put the content type
/// first for `encrypt_into`). Every refusal changes nothing.
#[test]
fn encrypt_checks_body_then_content_type_then_buffer() {
    let (mut s, mut alice, _bob) = established(10);
    let before = alice.clone();
    let huge = vec![0u8; MAX_BODY_LEN + 1];
    let mut out = vec![0u8; 16];
    let timer = ContentType::TimerChange;
    assert_eq!(
        alice.encrypt_into(&mut s.rng, T0, Outgoing::new(timer, &huge), &mut out),
        Err(SessionError::MessageTooLarge)
    );
    assert_eq!(
        alice.encrypt(&mut s.rng, T0, Outgoing::new(timer, &huge)),
        Err(SessionError::MessageTooLarge)
    );
    assert_eq!(
        alice.encrypt(&mut s.rng, T0, Outgoing::new(timer, &huge).franked()),
        Err(SessionError::MessageTooLarge)
    );
    assert_eq!(
        alice.encrypt_into(
            &mut s.rng,
            T0,
            Outgoing::new(timer, &huge).franked(),
            &mut out
        ),
        Err(SessionError::MessageTooLarge)
    );
    // A body within bounds, a timer change, a buffer too small: the content
    // type is refused first.
    assert_eq!(
        alice.encrypt_into(&mut s.rng, T0, Outgoing::new(timer, b"x"), &mut out),
        Err(SessionError::InvalidPolicy)
    );
    assert_eq!(
        alice.encrypt_into(
            &mut s.rng,
            T0,
            Outgoing::new(timer, b"x").franked(),
            &mut out
        ),
        Err(SessionError::InvalidPolicy)
    );
    assert_eq!(
        alice.encrypt_into(&mut s.rng, T0, Outgoing::message(b"x"), &mut out),
        Err(SessionError::BufferTooSmall)
    );
    assert!(alice == before, "a refused encrypt changed the session");
    assert_eq!(&alice.to_blob()[..], &before.to_blob()[..]);
}

/// SPEC §7.3: the length bound comes before everything, and the base key
/// is judged before the fields after it are read.
#[test]
fn message_parse_order() {
    let mut s = setup(11, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let m0 = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(&body(0)))
        .unwrap()
        .message;
    let mut huge = vec![0xEEu8; MAX_MESSAGE_LEN + 1];
    assert_eq!(
        Message::parse(&huge).map(|_| ()),
        Err(DecodeError::TooLarge)
    );
    huge.truncate(MAX_MESSAGE_LEN);
    assert_eq!(
        Message::parse(&huge).map(|_| ()),
        Err(DecodeError::UnsupportedVersion(0xEE))
    );
    // §6.1: every type but 0x01, 0x02, 0x81, 0x82 is UnexpectedType, a
    // bundle, a group post and the franking encodings included.
    for t in [0x00u8, 0x03, 0x10, 0x20, 0x30, 0x31, 0x32, 0x80, 0x83, 0xff] {
        let mut m = m0.clone();
        m[1] = t;
        assert_eq!(
            Message::parse(&m).map(|_| ()),
            Err(DecodeError::UnexpectedType(t))
        );
    }
    // A bundle keeps version 0x01 (§4.1), which is not a message version
    // (§6.1): it is refused by its version byte first.
    assert_eq!(
        accept_fails(&s.bob_id, &mut s.store, &s.bundle.to_vec()),
        SessionError::Malformed(DecodeError::UnsupportedVersion(0x01))
    );
    let bad = replaced(&m0, prekey_offsets::BASE_KEY, &P_LE);
    assert_eq!(
        Message::parse(&bad[..prekey_offsets::BASE_KEY.end]).map(|_| ()),
        Err(DecodeError::InvalidKey),
        "a non-canonical base key is refused before the short read after it"
    );
}

/// SPEC §10.3.4: the queue decoder checks version, then the count bound,
/// then the total length, before anything else.
#[test]
fn queue_decode_order() {
    let q = |b: &[u8]| ExpiryQueue::decode(b).map(|_| ());
    let mal = |e| Err(ExpiryError::Malformed(e));
    assert_eq!(q(&[0x02]), mal(DecodeError::UnsupportedVersion(2)));
    let over = u32::try_from(sealwire::expiry::MAX_QUEUE_ENTRIES + 1).unwrap();
    let mut b = vec![0x01];
    b.extend_from_slice(&over.to_be_bytes());
    assert_eq!(q(&b), mal(DecodeError::TooLarge));
    // Exactly the bound is admitted: the length check comes next.
    let at = u32::try_from(sealwire::expiry::MAX_QUEUE_ENTRIES).unwrap();
    let mut b = vec![0x01];
    b.extend_from_slice(&at.to_be_bytes());
    assert_eq!(q(&b), mal(DecodeError::Truncated));
    let mut b = vec![0x01];
    b.extend_from_slice(&1u32.to_be_bytes());
    assert_eq!(q(&b), mal(DecodeError::Truncated));
    b.extend_from_slice(&[0u8; 25]);
    b.push(0);
    assert_eq!(q(&b), mal(DecodeError::TrailingBytes));
    b.pop();
    b[5 + 16] = 0x07; // unknown kind, found only after the length checks
    assert_eq!(q(&b), mal(DecodeError::InvalidValue));
}

/// STORAGE.md §4: the PQ prekey fields are in session v3 blobs and later
/// too (the text once marked them "v2 only"): a PQXDH responder's blob
/// holds `pq_id` and (session v5) `SHA-256(CT)` right after the one-time
/// prekey id.
#[test]
fn session_blobs_from_v3_on_carry_the_pq_prekey_fields() {
    let mut rng = DangerDeterministicRng::from_u64(12);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let mut store = PrekeyStore::new_pq(&bob, &mut rng);
    let opk = store.generate_one_time_prekeys(&mut rng, 1)[0].id;
    let bundle = store.bundle(&bob, Some(opk)).unwrap();
    let mut pending = PendingSession::initiate(&mut rng, &alice, &bundle).unwrap();
    let m0 = pending
        .encrypt(&mut rng, T0, Outgoing::message(b"hi"))
        .unwrap()
        .message;
    let (session, _) = Session::accept(&bob, &mut store, T0, &m0).unwrap();
    let Message::Prekey(pm) = Message::parse(&m0).unwrap() else {
        panic!("not a prekey message")
    };
    let pq = pm.pq.unwrap();
    let blob = session.to_blob();
    assert_eq!(&blob[..4], b"SWST");
    assert_eq!((blob[4], blob[5]), (0x03, 5), "kind 0x03, version 5");
    let body = &blob[6..];
    assert_eq!(body[64], 2, "key_agreement PQXDH");
    assert_eq!(body[65], 1, "prekey fields present");
    let f = &body[66..];
    assert_eq!(&f[..32], alice.public().as_bytes(), "identity");
    assert_eq!(&f[64..96], &pm.base_key, "base key");
    assert_eq!(f[96..100], bundle.signed_prekey_id().to_be_bytes());
    assert_eq!(f[100], 1, "one-time prekey present");
    assert_eq!(f[101..105], opk.to_be_bytes());
    assert_eq!(f[105], 1, "pq fields present");
    assert_eq!(f[106..110], pq.pq_prekey_id.to_be_bytes());
    // Session v5: SHA-256 of the ciphertext, not the ciphertext.
    use sha2::Digest;
    assert_eq!(&f[110..142], &sha2::Sha256::digest(&pq.ciphertext[..])[..]);
}

/// SPEC §17: a scanned code is checked for its length first (short, then
/// long), then its version, then compared.
#[test]
fn scanned_safety_number_check_order() {
    use sealwire::{SafetyNumber, SafetyNumberError};
    let mut rng = DangerDeterministicRng::from_u64(13);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let a = SafetyNumber::new(alice.public(), b"alice", bob.public(), b"bob");
    let b = SafetyNumber::new(bob.public(), b"bob", alice.public(), b"alice");
    let good = b.scannable().to_vec();
    assert_eq!(a.verify_scanned(&good), Ok(()));
    let mal = |e| Err(SafetyNumberError::Malformed(e));
    let mut v2 = good.clone();
    v2[0] = 2;
    assert_eq!(a.verify_scanned(&v2[..64]), mal(DecodeError::Truncated));
    let mut long = v2.clone();
    long.push(0);
    assert_eq!(a.verify_scanned(&long), mal(DecodeError::TrailingBytes));
    assert_eq!(
        a.verify_scanned(&v2),
        mal(DecodeError::UnsupportedVersion(2))
    );
    assert_eq!(
        a.verify_scanned(&a.scannable()),
        Err(SafetyNumberError::Mismatch)
    );
}

/// SPEC §11.5, §19.6: a group key distribution is never reportable, even
/// franked: `Report::new` and `Report::from_received` refuse it with
/// `NotFranked`, as a timer change, and a report naming content type
/// `0x03` is `Malformed(InvalidValue)` before any key is used.
#[test]
fn distributions_and_timer_changes_are_never_reportable() {
    use sealwire::franking::RoutingContext;
    use sealwire::franking::{RelayKey, Report, ReportError};
    use sealwire::franking::{commitment_of, stamp, verify_report};
    let (mut s, mut alice, mut bob) = established(14);
    let relay = RelayKey::from_bytes([5; 32]);
    let ctx = || RoutingContext::new(b"alice", b"bob", T0).unwrap();
    let wire = alice
        .encrypt(
            &mut s.rng,
            T0,
            Outgoing::new(ContentType::GroupKeyDistribution, b"not a chain").franked(),
        )
        .unwrap()
        .message;
    let st = stamp(&relay, &commitment_of(&wire).unwrap(), ctx());
    let got = bob.decrypt(T0, &wire).unwrap();
    let franking = got.franking.clone().expect("franked");
    assert_eq!(
        Report::from_received(&got, *s.bob_id.public(), st.clone()).map(|_| ()),
        Err(ReportError::NotFranked)
    );
    for ct in [ContentType::GroupKeyDistribution, ContentType::TimerChange] {
        assert_eq!(
            Report::new(
                ct,
                *s.alice_id.public(),
                *s.bob_id.public(),
                T0,
                b"not a chain",
                franking.clone(),
                st.clone(),
            )
            .map(|_| ()),
            Err(ReportError::NotFranked),
            "{ct:?}"
        );
    }
    // The same evidence as a user message makes a well-formed report;
    // relabelled 0x03 or 0x02 on the wire it no longer parses.
    let report = Report::new(
        ContentType::UserMessage,
        *s.alice_id.public(),
        *s.bob_id.public(),
        T0,
        b"not a chain",
        franking,
        st,
    )
    .unwrap()
    .to_vec();
    assert_eq!(
        verify_report(&relay, &report).map(|_| ()),
        Err(ReportError::BadCommitment),
        "the commitment binds the content type"
    );
    for ct in [0x02u8, 0x03] {
        let mut r = report.clone();
        r[3] = ct;
        assert_eq!(
            verify_report(&relay, &r).map(|_| ()),
            Err(ReportError::Malformed(DecodeError::InvalidValue))
        );
    }
}

/// STORAGE.md §5: magic, then kind, then version, then the length of header
/// and trailer: a 6-byte header alone is judged by its kind and version
/// before it is `Truncated`.
#[test]
fn blob_load_order_before_the_checksum() {
    use sealwire::persist::StateError;
    let load = |b: &[u8]| Session::from_blob(b).map(|_| ());
    assert_eq!(load(b"SWST\x03"), Err(StateError::NotAStateBlob));
    assert_eq!(load(b"XWST\x03\x03"), Err(StateError::NotAStateBlob));
    assert_eq!(
        load(b"SWST\x01\x00"),
        Err(StateError::WrongKind {
            expected: 0x03,
            found: 0x01
        })
    );
    assert_eq!(
        load(b"SWST\x07\x01"),
        Err(StateError::WrongKind {
            expected: 0x03,
            found: 0x07
        })
    );
    assert_eq!(
        load(b"SWST\x03\x00"),
        Err(StateError::UnsupportedVersion(0))
    );
    assert_eq!(
        load(b"SWST\x03\x06"),
        Err(StateError::UnsupportedVersion(6))
    );
    assert_eq!(load(b"SWST\x03\x03"), Err(StateError::Truncated));
    assert_eq!(
        load(&[b"SWST\x03\x03" as &[u8], &[0; 15]].concat()),
        Err(StateError::Truncated)
    );
    assert_eq!(
        load(&[b"SWST\x03\x03" as &[u8], &[0; 16]].concat()),
        Err(StateError::Corrupted)
    );
}

/// A frame built by hand (SPEC §8.1), for an authenticated but dishonest
/// sender. The timer version takes whatever width the timer block leaves
/// after mode and TTL.
struct RawFrame {
    version: u8,
    content_type: u8,
    flags: u8,
    timer: Option<(u8, u32, u64)>,
    kf: Option<[u8; 32]>,
    body_len: u32,
    body: Vec<u8>,
    padding: Vec<u8>,
}

impl RawFrame {
    fn user(body: &[u8]) -> Self {
        let p = sealwire::wire::padded_body_len(body.len());
        Self {
            version: sealwire::wire::FRAME_VERSION,
            content_type: 0x01,
            flags: 0,
            timer: None,
            kf: None,
            body_len: body.len() as u32,
            body: body.to_vec(),
            padding: vec![0; p - body.len()],
        }
    }

    fn bytes(&self) -> Vec<u8> {
        use sealwire::limits::FRAME_TIMER_LEN;
        let mut f = vec![self.version, self.content_type, self.flags];
        f.extend_from_slice(&T0.as_unix_millis().to_be_bytes());
        if let Some((mode, ttl, version)) = self.timer {
            f.push(mode);
            f.extend_from_slice(&ttl.to_be_bytes());
            let v = version.to_be_bytes();
            f.extend_from_slice(&v[8 - (FRAME_TIMER_LEN - 5)..]);
        }
        if let Some(kf) = self.kf {
            f.extend_from_slice(&kf);
        }
        f.extend_from_slice(&self.body_len.to_be_bytes());
        f.extend_from_slice(&self.body);
        f.extend_from_slice(&self.padding);
        f
    }
}

/// Seals `frame` with a copy of `sender` as a ratchet message (franked,
/// type `0x81`, with commitment `cf` if given).
fn seal_frame(
    rng: &mut DangerDeterministicRng,
    sender: &Session,
    frame: &RawFrame,
    cf: Option<[u8; 32]>,
) -> Vec<u8> {
    use sealwire::hazmat;
    let mut s = sender.clone();
    let (ty, raw) = match cf {
        None => (
            0x01,
            hazmat::encrypt_raw(&mut s, rng, &frame.bytes()).unwrap(),
        ),
        Some(cf) => (
            0x81,
            hazmat::encrypt_raw_franked(&mut s, rng, &frame.bytes(), &cf).unwrap(),
        ),
    };
    [vec![sealwire::wire::MESSAGE_VERSION, ty], raw].concat()
}

/// SPEC §8.5 (in this order, after the tag) and §5.7 step 7 / §19.4
/// (timer version jump, then franking presence): a frame that breaks
/// several rules gets the error of the first one, and nothing changes.
#[test]
fn frame_parse_order_for_an_authenticated_sender() {
    use common::decrypt_fails;
    use sealwire::expiry::MAX_TIMER_VERSION_STEP;
    use sealwire::expiry::MAX_TTL_SECS;
    let (mut s, alice, mut bob) = established(15);
    let good = RawFrame::user(b"body");
    let m = seal_frame(&mut s.rng, &alice, &good, None);
    assert_eq!(&bob.clone().decrypt(T0, &m).unwrap().plaintext[..], b"body");

    let mal = SessionError::Malformed;
    let cases: Vec<(&str, RawFrame, Option<[u8; 32]>, SessionError)> = vec![
        (
            "version before flags",
            RawFrame {
                version: 1,
                flags: 0x80,
                ..RawFrame::user(b"x")
            },
            None,
            mal(DecodeError::UnsupportedVersion(1)),
        ),
        (
            "flags before content type",
            RawFrame {
                flags: 0x04,
                content_type: 0x09,
                ..RawFrame::user(b"x")
            },
            None,
            mal(DecodeError::UnknownFlags(0x04)),
        ),
        (
            "content type before the timer block",
            RawFrame {
                content_type: 0x09,
                flags: 0x01,
                timer: Some((0x07, 0, 1)),
                ..RawFrame::user(b"x")
            },
            None,
            mal(DecodeError::InvalidValue),
        ),
        (
            "an unknown mode",
            RawFrame {
                flags: 0x01,
                timer: Some((0x03, 5, 1)),
                ..RawFrame::user(b"x")
            },
            None,
            SessionError::InvalidPolicy,
        ),
        (
            "a TTL above the maximum",
            RawFrame {
                flags: 0x01,
                timer: Some((0x01, MAX_TTL_SECS + 1, 1)),
                ..RawFrame::user(b"x")
            },
            None,
            SessionError::InvalidPolicy,
        ),
        (
            "off with a TTL",
            RawFrame {
                flags: 0x01,
                timer: Some((0x00, 1, 1)),
                ..RawFrame::user(b"x")
            },
            None,
            SessionError::InvalidPolicy,
        ),
        (
            "the default timer in a block, before a bad body length",
            RawFrame {
                flags: 0x01,
                timer: Some((0x00, 0, 0)),
                body_len: u32::MAX,
                ..RawFrame::user(b"x")
            },
            None,
            mal(DecodeError::InvalidValue),
        ),
        (
            "a body length above MAX_BODY_LEN, before the short body",
            RawFrame {
                body_len: MAX_BODY_LEN as u32 + 1,
                ..RawFrame::user(b"x")
            },
            None,
            mal(DecodeError::TooLarge),
        ),
        (
            "a body longer than the frame",
            RawFrame {
                body_len: 100,
                ..RawFrame::user(b"x")
            },
            None,
            mal(DecodeError::Truncated),
        ),
        (
            "non-zero padding, before the timer-change rules",
            RawFrame {
                content_type: 0x02,
                padding: {
                    let mut p = vec![0; 31];
                    p[30] = 1;
                    p
                },
                ..RawFrame::user(b"x")
            },
            None,
            mal(DecodeError::InvalidValue),
        ),
        (
            "padding of the wrong length",
            RawFrame {
                padding: vec![0; 32],
                ..RawFrame::user(b"x")
            },
            None,
            mal(DecodeError::InvalidValue),
        ),
        (
            "a timer change without a timer",
            RawFrame {
                content_type: 0x02,
                ..RawFrame::user(b"")
            },
            None,
            SessionError::InvalidPolicy,
        ),
        (
            "a timer change with a body",
            RawFrame {
                content_type: 0x02,
                flags: 0x01,
                timer: Some((0x01, 60, 1)),
                ..RawFrame::user(b"x")
            },
            None,
            SessionError::InvalidPolicy,
        ),
        (
            "a franked timer change",
            RawFrame {
                content_type: 0x02,
                flags: 0x03,
                timer: Some((0x01, 60, 1)),
                kf: Some([1; 32]),
                ..RawFrame::user(b"")
            },
            Some([2; 32]),
            SessionError::InvalidPolicy,
        ),
        (
            "a timer version jump, before the franking checks",
            RawFrame {
                flags: 0x03,
                timer: Some((0x01, 60, MAX_TIMER_VERSION_STEP + 1)),
                kf: Some([1; 32]),
                ..RawFrame::user(b"x")
            },
            None,
            SessionError::InvalidPolicy,
        ),
        (
            "kf without cf",
            RawFrame {
                flags: 0x02,
                kf: Some([1; 32]),
                ..RawFrame::user(b"x")
            },
            None,
            mal(DecodeError::InvalidValue),
        ),
        (
            "cf without kf",
            RawFrame::user(b"x"),
            Some([1; 32]),
            mal(DecodeError::InvalidValue),
        ),
        (
            "cf that kf does not open",
            RawFrame {
                flags: 0x02,
                kf: Some([1; 32]),
                ..RawFrame::user(&body(15))
            },
            Some([1; 32]),
            SessionError::AuthenticationFailed,
        ),
    ];
    for (what, frame, cf, want) in cases {
        let m = seal_frame(&mut s.rng, &alice, &frame, cf);
        // Distinctive bodies must not be left in an in-place buffer (§13).
        let secret = (frame.body.len() >= 16).then_some(&frame.body[..]);
        assert_eq!(decrypt_fails(&mut bob, T0, &m, secret), want, "{what}");
    }
    // Nothing was committed: the honest message still opens.
    assert_eq!(&bob.decrypt(T0, &m).unwrap().plaintext[..], b"body");
}

/// STORAGE.md §2 (formerly STORAGE.md §2): each kind's blob is written at the
/// version the table says, and a version above the newest it says is read
/// is refused as `UnsupportedVersion` (§5 step 3, before the checksum). Kind `0x06`
/// (groups) is checked by `tests/group.rs`; kinds `0x07` and `0x08`
/// (device sessions and lists) here and in `tests/persistence.rs`.
#[test]
fn blob_versions_follow_the_kinds_table() {
    use sealwire::persist::StateError;
    let table = section_of(STORAGE, "## 2. Kinds");
    let table = &table[..table.find("\n### ").unwrap_or(table.len())];
    let (mut s, alice, _bob) = established(16);
    let pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let mut checked = 0;
    for line in table.lines().filter(|l| l.starts_with("| `0x")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let kind =
            u8::from_str_radix(cells[1].trim_matches('`').trim_start_matches("0x"), 16).unwrap();
        let (read, written) = cells[4].split_once(" / ").unwrap();
        let written: u8 = written.trim().parse().unwrap();
        let newest_read: u8 = read
            .split(',')
            .map(|v| v.trim().parse::<u8>().unwrap())
            .max()
            .unwrap();
        type Load = Box<dyn Fn(&[u8]) -> Result<(), StateError>>;
        let (blob, load): (Vec<u8>, Load) = match kind {
            0x01 => (
                s.alice_id.to_blob().to_vec(),
                Box::new(|b| IdentityKeyPair::from_blob(b).map(|_| ())),
            ),
            0x02 => (
                s.store.to_blob().to_vec(),
                Box::new(|b| PrekeyStore::from_blob(b).map(|_| ())),
            ),
            0x03 => (
                alice.to_blob().to_vec(),
                Box::new(|b| Session::from_blob(b).map(|_| ())),
            ),
            0x04 => (
                pending.to_blob().to_vec(),
                Box::new(|b| PendingSession::from_blob(b).map(|_| ())),
            ),
            0x05 => (
                ExpiryQueue::new().to_blob().to_vec(),
                Box::new(|b| ExpiryQueue::from_blob(b).map(|_| ())),
            ),
            0x06 => continue,
            0x07 => (
                sealwire::devices::DeviceSessions::from(sealwire::SessionRecord::from(
                    alice.clone(),
                ))
                .to_blob()
                .to_vec(),
                Box::new(|b| sealwire::devices::DeviceSessions::from_blob(b).map(|_| ())),
            ),
            0x08 => (
                sealwire::devices::DeviceList::new("alice")
                    .unwrap()
                    .to_blob()
                    .to_vec(),
                Box::new(|b| sealwire::devices::DeviceList::from_blob(b).map(|_| ())),
            ),
            0x09 => (
                sealwire::sealed::TrustedServerKeys::new()
                    .to_blob()
                    .to_vec(),
                Box::new(|b| sealwire::sealed::TrustedServerKeys::from_blob(b).map(|_| ())),
            ),
            other => panic!("STORAGE.md §2 lists kind {other:#04x}, unknown to this test"),
        };
        assert_eq!((blob[4], blob[5]), (kind, written), "kind {kind:#04x}");
        assert_eq!(load(&blob), Ok(()));
        let mut newer = blob.clone();
        newer[5] = newest_read + 1;
        assert_eq!(
            load(&newer),
            Err(StateError::UnsupportedVersion(newest_read + 1)),
            "kind {kind:#04x}"
        );
        checked += 1;
    }
    assert_eq!(checked, 8);
}

/// SPEC §1.1: every top-level wire encoding checks its maximum length
/// before it reads a byte: one byte over, with a wrong version and type,
/// is `TooLarge`, not `UnsupportedVersion`.
#[test]
fn every_wire_encoding_checks_its_maximum_length_first() {
    use sealwire::franking::{AttachmentError, AttachmentPointer};
    use sealwire::franking::{Report, ReportError, Stamp};
    use sealwire::limits::{
        MAX_ATTACHMENT_LOCATOR_LEN, MAX_ATTACHMENT_MEDIA_TYPE_LEN, MAX_REPORT_LEN,
        MAX_ROUTING_ID_LEN,
    };
    let junk = |len: usize| vec![0xEEu8; len];
    assert_eq!(
        Message::parse(&junk(MAX_MESSAGE_LEN + 1)).map(|_| ()),
        Err(DecodeError::TooLarge)
    );
    assert_eq!(
        PrekeyBundle::parse(&junk(MAX_BUNDLE_LEN + 1)).map(|_| ()),
        Err(BundleError::Malformed(DecodeError::TooLarge))
    );
    // Stamp: version, type, tag, context (timestamp, two length-prefixed ids).
    let stamp_max = 2 + 32 + 8 + 2 + 2 + 2 * MAX_ROUTING_ID_LEN;
    assert_eq!(
        Stamp::parse(&junk(stamp_max + 1)).map(|_| ()),
        Err(DecodeError::TooLarge)
    );
    assert_eq!(
        Stamp::parse(&junk(stamp_max)).map(|_| ()),
        Err(DecodeError::UnsupportedVersion(0xEE))
    );
    // Attachment pointer (§19.8): 2 + 32 + 32 + 8 + 1 + 2 fixed bytes.
    let pointer_max = 77 + MAX_ATTACHMENT_MEDIA_TYPE_LEN + MAX_ATTACHMENT_LOCATOR_LEN;
    assert_eq!(
        AttachmentPointer::parse(&junk(pointer_max + 1)).map(|_| ()),
        Err(AttachmentError::Malformed(DecodeError::TooLarge))
    );
    assert_eq!(
        AttachmentPointer::parse(&junk(pointer_max)).map(|_| ()),
        Err(AttachmentError::Malformed(DecodeError::UnsupportedVersion(
            0xEE
        )))
    );
    assert_eq!(
        Report::parse(&junk(MAX_REPORT_LEN + 1)).map(|_| ()),
        Err(ReportError::Malformed(DecodeError::TooLarge))
    );
    assert_eq!(
        Report::parse(&junk(MAX_REPORT_LEN)).map(|_| ()),
        Err(ReportError::Malformed(DecodeError::UnsupportedVersion(
            0xEE
        )))
    );
    // Sealed sender (§22): certificate, server key, envelope, the relay's
    // parse of a multi-recipient message, a sealed post.
    use sealwire::limits::{
        MAX_MULTI_RECIPIENT_LEN, MAX_SEALED_LEN, MAX_SEALED_POST_LEN, MAX_SENDER_CERTIFICATE_LEN,
    };
    use sealwire::sealed::{
        MultiRecipientMessage, SERVER_PUBLIC_KEY_LEN, SealedError, SenderCertificate,
        ServerPublicKey, commitment_of_sealed, open, open_post,
    };
    let me = IdentityKeyPair::from_seed(&[1; 32]);
    let too_large = Err(SealedError::Malformed(DecodeError::TooLarge));
    let version = Err(SealedError::Malformed(DecodeError::UnsupportedVersion(
        0xEE,
    )));
    for (max, f) in [
        (
            MAX_SENDER_CERTIFICATE_LEN,
            &(|b: &[u8]| SenderCertificate::parse(b).map(|_| ()))
                as &dyn Fn(&[u8]) -> Result<(), SealedError>,
        ),
        (SERVER_PUBLIC_KEY_LEN, &|b| {
            ServerPublicKey::parse(b).map(|_| ())
        }),
        (MAX_SEALED_LEN, &|b| open(&me, b).map(|_| ())),
        (MAX_SEALED_LEN, &|b| {
            commitment_of_sealed(b)
                .map(|_| ())
                .map_err(SealedError::from)
        }),
        (MAX_MULTI_RECIPIENT_LEN, &|b| {
            MultiRecipientMessage::parse(b)
                .map(|_| ())
                .map_err(SealedError::from)
        }),
        (MAX_SEALED_POST_LEN, &|b| open_post(&me, b).map(|_| ())),
    ] {
        assert_eq!(f(&junk(max + 1)), too_large, "max {max}");
        assert_eq!(f(&junk(max)), version, "max {max}");
    }
}

/// SPEC §19.1: the franking key is the first thing drawn for a franked
/// message, before the ratchet key pair of a pending DH step (§5.6).
#[test]
fn franking_key_is_drawn_first() {
    use rand_core::Rng;
    let (mut s, mut alice, mut bob) = established(17);
    // Alice has just received Bob's reply: her next send draws a new
    // ratchet key pair, after kf.
    let mut copy = s.rng.clone();
    let mut first = [0u8; 32];
    copy.fill_bytes(&mut first);
    let m = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"hi").franked())
        .unwrap()
        .message;
    let got = bob.decrypt(T0, &m).unwrap();
    assert_eq!(got.franking.unwrap().key().as_bytes(), &first);
    // And the next one, with no DH step, likewise.
    let mut copy = s.rng.clone();
    copy.fill_bytes(&mut first);
    let m = alice
        .encrypt(
            &mut s.rng,
            T0,
            Outgoing::new(ContentType::Receipt, b"hi").franked(),
        )
        .unwrap()
        .message;
    let got = bob.decrypt(T0, &m).unwrap();
    assert_eq!(got.franking.unwrap().key().as_bytes(), &first);
}

/// SPEC §3.3, §3.6, §5.5: the initiator draws `EK_A`, then its first
/// ratchet secret, then (PQXDH) the encapsulation randomness `m`, in that
/// order, each 32 bytes.
#[test]
fn initiation_draws_in_the_spec_order() {
    use rand_core::Rng;
    use sealwire::hazmat;
    let draws = |rng: &DangerDeterministicRng, n: usize| {
        let mut copy = rng.clone();
        (0..n)
            .map(|_| {
                let mut b = [0u8; 32];
                copy.fill_bytes(&mut b);
                b
            })
            .collect::<Vec<_>>()
    };
    // Classic X3DH.
    let mut s = setup(18, true);
    let d = draws(&s.rng, 2);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let m0 = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(b"x"))
        .unwrap()
        .message;
    let Message::Prekey(pm) = Message::parse(&m0).unwrap() else {
        panic!("not a prekey message")
    };
    assert_eq!(pm.base_key, hazmat::x25519_public(d[0]), "EK_A first");
    assert_eq!(
        pm.message.header.ratchet_key,
        hazmat::x25519_public(d[1]),
        "then DHs0"
    );
    // PQXDH: m third; the ciphertext is recomputed from it.
    let mut rng = DangerDeterministicRng::from_u64(19);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let store = PrekeyStore::new_pq(&bob, &mut rng);
    let bundle = store.bundle(&bob, None).unwrap();
    let pq_public = *bundle.pq_prekey().unwrap().public();
    let d = draws(&rng, 3);
    let mut pending = PendingSession::initiate(&mut rng, &alice, &bundle).unwrap();
    let m0 = pending
        .encrypt(&mut rng, T0, Outgoing::message(b"x"))
        .unwrap()
        .message;
    let Message::Prekey(pm) = Message::parse(&m0).unwrap() else {
        panic!("not a prekey message")
    };
    assert_eq!(pm.base_key, hazmat::x25519_public(d[0]));
    assert_eq!(pm.message.header.ratchet_key, hazmat::x25519_public(d[1]));
    let (ct, _ss) = hazmat::ml_kem_encapsulate(&pq_public, &d[2]).unwrap();
    assert_eq!(&ct[..], &pm.pq.unwrap().ciphertext[..], "then m");
}

/// STORAGE.md §4: a v3 session holding prekey fields (a responder's) must
/// store the key agreement its fields tell; one without them (an
/// initiator's) may store any of the three; any other value is refused.
#[test]
fn stored_key_agreement_must_agree_with_the_prekey_fields() {
    use sealwire::{KeyAgreement, persist::StateError};
    use sha2::Digest;
    let fix = |blob: &mut Vec<u8>| {
        let n = blob.len() - 16;
        let sum = sha2::Sha256::digest(&blob[..n]);
        blob[n..].copy_from_slice(&sum[..16]);
    };
    let with = |blob: &[u8], ka: u8| {
        let mut b = blob.to_vec();
        b[6 + 64] = ka;
        fix(&mut b);
        Session::from_blob(&b).map(|s| s.key_agreement())
    };
    let mut rng = DangerDeterministicRng::from_u64(20);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let mut store = PrekeyStore::new_pq(&bob, &mut rng);
    let bundle = store.bundle(&bob, None).unwrap();
    let mut pending = PendingSession::initiate(&mut rng, &alice, &bundle).unwrap();
    let m0 = pending
        .encrypt(&mut rng, T0, Outgoing::message(b"x"))
        .unwrap()
        .message;
    let (mut responder, _) = Session::accept(&bob, &mut store, T0, &m0).unwrap();
    let reply = responder
        .encrypt(&mut rng, T0, Outgoing::message(b"y"))
        .unwrap()
        .message;
    let (initiator, _) = pending.receive(T0, &reply).map_err(|r| r.error).unwrap();
    let bad = Err(StateError::Malformed(DecodeError::InvalidValue));

    let r = responder.to_blob();
    assert_eq!(with(&r, 2), Ok(KeyAgreement::Pqxdh));
    for ka in [0u8, 1, 3, 0xff] {
        assert_eq!(with(&r, ka), bad, "responder storing {ka}");
    }
    let i = initiator.to_blob();
    assert_eq!(with(&i, 0), Ok(KeyAgreement::Unrecorded));
    assert_eq!(with(&i, 1), Ok(KeyAgreement::X3dh));
    assert_eq!(with(&i, 2), Ok(KeyAgreement::Pqxdh));
    assert_eq!(with(&i, 3), bad);
}
