//! The seed corpora of the 1:1 message fuzz targets (`decrypt`, `accept`,
//! `parse_message`, `receive_reply`, the `msg_*` seeds of `roundtrip`),
//! made from `sealwire_fuzz_fixtures::Fixture` and a second initiator of the
//! same responder. Checked against `fuzz/corpus/` here; rewritten with
//! `SEALWIRE_REGENERATE_VECTORS=1 cargo test --test fuzz_seeds` after a
//! change to the message bytes (SPEC.md §6–§7). The franked `decrypt`
//! seeds are written by `tests/franking.rs` and the `pq_prekey_message`
//! corpus by `tests/pqxdh.rs` (`SEALWIRE_BLESS_FUZZ=1`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

use std::path::PathBuf;

use sealwire::testing::DangerDeterministicRng;
use sealwire::wire::{HEADER_LEN, MESSAGE_VERSION};
use sealwire::{Encrypt, IdentityKeyPair, Outgoing, PendingSession};
use sealwire_fuzz_fixtures::{FIXTURE_NOW, Fixture};

fn flip_last(m: &[u8]) -> Vec<u8> {
    let mut t = m.to_vec();
    *t.last_mut().unwrap() ^= 0x01;
    t
}

fn with_byte(m: &[u8], at: usize, v: u8) -> Vec<u8> {
    let mut t = m.to_vec();
    t[at] = v;
    t
}

fn seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let f = Fixture::new();
    let (m0, m1, r0) = (&f.samples[0], &f.samples[1], &f.samples[2]);
    // A second initiator: one without a one-time prekey, one with the
    // responder's last one.
    let mut rng = DangerDeterministicRng::from_u64(70);
    let carol = IdentityKeyPair::generate(&mut rng);
    let last_opk = f.bob_prekeys.one_time_prekeys()[0].id;
    let no_opk_bundle = f.bob_prekeys.bundle(&f.bob_identity, None).unwrap();
    let opk_bundle = f
        .bob_prekeys
        .bundle(&f.bob_identity, Some(last_opk))
        .unwrap();
    let mut no_opk = PendingSession::initiate(&mut rng, &carol, &no_opk_bundle).unwrap();
    let other = no_opk
        .encrypt(&mut rng, FIXTURE_NOW, Outgoing::message(b"hello"))
        .unwrap()
        .message;
    let other_2 = no_opk
        .encrypt(
            &mut rng,
            FIXTURE_NOW,
            Outgoing::message(b"a longer second message"),
        )
        .unwrap()
        .message;
    let mut with_opk = PendingSession::initiate(&mut rng, &carol, &opk_bundle).unwrap();
    let last = with_opk
        .encrypt(&mut rng, FIXTURE_NOW, Outgoing::message(b"hello"))
        .unwrap()
        .message;
    let header_only = r0[..2 + HEADER_LEN].to_vec();
    let short_tag = r0[..2 + HEADER_LEN + 15].to_vec();
    let mut trailing = r0.clone();
    trailing.push(0);
    let mut counter_5 = r0.clone();
    counter_5[2 + 36..2 + 40].copy_from_slice(&5u32.to_be_bytes());
    // Flags at 70 (SPEC.md §7.1): claim the PQ fields.
    let pq_flag = with_byte(m0, 70, m0[70] | 0x02);
    // A base key (at 34, after the identity key) that is p = 2^255 - 19
    // itself, the smallest non-canonical value (SPEC.md §3.1): every byte
    // equal to p's, InvalidKey.
    let mut key_p = m0.clone();
    key_p[34] = 0xed;
    key_p[35..65].fill(0xff);
    key_p[65] = 0x7f;
    vec![
        ("decrypt", "empty", vec![]),
        ("decrypt", "flipped_tag", flip_last(m0)),
        ("decrypt", "prekey_m0_replay", m0.clone()),
        ("decrypt", "prekey_m1", m1.clone()),
        ("decrypt", "prekey_other_session", other.clone()),
        ("decrypt", "ratchet_r0", r0.clone()),
        ("decrypt", "ratchet_short_tag", short_tag.clone()),
        ("decrypt", "trailing_byte", trailing.clone()),
        ("accept", "empty", vec![]),
        ("accept", "pq_flag", pq_flag.clone()),
        ("accept", "prekey_base_key_p", key_p.clone()),
        ("accept", "prekey_consumed_opk", m0.clone()),
        ("accept", "prekey_last_opk", last.clone()),
        ("accept", "prekey_no_opk", other.clone()),
        ("accept", "prekey_no_opk_2", other_2),
        ("accept", "ratchet_r0", r0.clone()),
        ("accept", "truncated", last[..last.len() - 1].to_vec()),
        ("parse_message", "empty", vec![]),
        ("parse_message", "flipped_tag", flip_last(m0)),
        ("parse_message", "prekey_m0", m0.clone()),
        ("parse_message", "prekey_m1", m1.clone()),
        ("parse_message", "prekey_no_opk", other.clone()),
        ("parse_message", "prekey_pq_flag", pq_flag),
        (
            "parse_message",
            "prekey_truncated_fields",
            m0[..70].to_vec(),
        ),
        ("parse_message", "ratchet_header_only", header_only.clone()),
        ("parse_message", "prekey_base_key_p", key_p.clone()),
        ("parse_message", "ratchet_r0", r0.clone()),
        ("parse_message", "ratchet_short_tag", short_tag.clone()),
        ("parse_message", "trailing_byte", trailing.clone()),
        ("parse_message", "unknown_type", with_byte(r0, 1, 0x7f)),
        ("parse_message", "version_only", vec![MESSAGE_VERSION]),
        // The unreleased version 0x01: refused as UnsupportedVersion(1).
        ("parse_message", "wrong_version", with_byte(r0, 0, 0x01)),
        ("receive_reply", "counter_5", counter_5),
        ("receive_reply", "empty", vec![]),
        ("receive_reply", "flipped_tag", flip_last(r0)),
        ("receive_reply", "header_only", header_only.clone()),
        ("receive_reply", "prekey_m0", m0.clone()),
        ("receive_reply", "ratchet_r0", r0.clone()),
        ("receive_reply", "trailing_byte", trailing),
        ("roundtrip", "msg_empty", vec![]),
        ("roundtrip", "msg_prekey_m0", m0.clone()),
        ("roundtrip", "msg_prekey_m1", m1.clone()),
        ("roundtrip", "msg_prekey_no_opk", other),
        ("roundtrip", "msg_ratchet_header_only", header_only),
        ("roundtrip", "msg_ratchet_r0", r0.clone()),
        ("roundtrip", "msg_ratchet_short_tag", short_tag),
        ("roundtrip", "msg_version_only", vec![MESSAGE_VERSION]),
    ]
}

#[test]
fn one_to_one_fuzz_seed_corpora_are_current() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let seeds = seeds();
    if std::env::var_os("SEALWIRE_REGENERATE_VECTORS").is_some() {
        for (target, name, data) in &seeds {
            std::fs::write(root.join(target).join(name), data).unwrap();
        }
    }
    let f = Fixture::new();
    for (target, name, data) in &seeds {
        let committed = std::fs::read(root.join(target).join(name))
            .unwrap_or_else(|e| panic!("fuzz/corpus/{target}/{name}: {e}"));
        assert_eq!(&committed, data, "fuzz/corpus/{target}/{name} is stale");
        // Each seed runs through its target without a panic.
        match *target {
            "decrypt" => f.decrypt(data),
            "accept" => f.accept(data),
            "receive_reply" => f.receive_reply(data),
            "parse_message" => sealwire_fuzz_fixtures::parse_message(data),
            _ => sealwire_fuzz_fixtures::roundtrip(data),
        }
    }
    // The base key p is refused as not canonical, before anything else.
    let (_, _, key_p) = seeds
        .iter()
        .find(|(t, n, _)| *t == "parse_message" && *n == "prekey_base_key_p")
        .unwrap();
    assert_eq!(
        sealwire::wire::Message::parse(key_p).map(|_| ()),
        Err(sealwire::DecodeError::InvalidKey)
    );
    // The valid samples are what they claim to be.
    let m0 = &f.samples[0];
    assert_eq!(m0[0], MESSAGE_VERSION);
    let mut bob = f.bob.clone();
    assert!(bob.decrypt(FIXTURE_NOW, &f.samples[1]).is_ok());
}

/// The `conversation` target's committed seeds are scripts that do what
/// their names say: each delivery's outcome, in order (the target's own
/// properties are checked by running them).
#[test]
fn conversation_seeds_reach_the_paths_they_are_named_for() {
    use sealwire::SessionError::{DuplicateMessage, MessageKeyErased};
    let world = sealwire_fuzz_fixtures::Conversation::new();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/conversation");
    let ok = Ok(());
    let forged = Err(sealwire::SessionError::AuthenticationFailed);
    let invalid = Err(sealwire::SessionError::Malformed(
        sealwire::DecodeError::InvalidValue,
    ));
    let expected: [(&str, Vec<Result<(), sealwire::SessionError>>); 17] = [
        ("in_order", vec![ok; 3]),
        (
            "reordered_and_replayed",
            vec![ok, ok, ok, Err(DuplicateMessage), Err(DuplicateMessage)],
        ),
        (
            "ping_pong_then_late",
            [vec![ok; 8], vec![Err(DuplicateMessage)]].concat(),
        ),
        ("skipped_then_erased", vec![ok, Err(MessageKeyErased)]),
        ("skipped_within_the_window", vec![ok, ok]),
        ("tampered_then_delivered", vec![ok]),
        (
            "raw_frame",
            vec![Err(sealwire::SessionError::Malformed(
                sealwire::DecodeError::UnsupportedVersion(1),
            ))],
        ),
        (
            "raw_empty_frame",
            vec![Err(sealwire::SessionError::Malformed(
                sealwire::DecodeError::Truncated,
            ))],
        ),
        // Frames the fixture builds from SPEC.md, franked or not.
        ("frame_built_from_the_spec", vec![ok]),
        ("franked_honest", vec![ok]),
        ("franked_commitment_flipped", vec![forged]),
        ("franked_over_another_body", vec![forged]),
        ("franked_key_without_commitment", vec![invalid]),
        ("commitment_without_franking_key", vec![invalid]),
        // A timer version up to MAX_TIMER_VERSION_STEP above the
        // receiver's passes; one more is refused.
        ("timer_at_the_step_cap", vec![ok]),
        (
            "timer_past_the_step_cap",
            vec![Err(sealwire::SessionError::InvalidPolicy)],
        ),
        // Sent 10 minutes ago with a 10-second after-send timer: decrypts
        // to nothing (the target checks that nothing of it is returned).
        ("expired_on_arrival", vec![ok]),
    ];
    for (name, want) in expected {
        let script = std::fs::read(root.join(name)).unwrap();
        assert_eq!(world.run(&script), want, "{name}");
    }
    // Every committed input (seeds and what campaigns kept) runs clean.
    for entry in std::fs::read_dir(&root).unwrap() {
        world.run(&std::fs::read(entry.unwrap().path()).unwrap());
    }
}
