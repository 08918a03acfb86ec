//! Known-answer vectors of group posts (SPEC.md §20.2, §20.4, §15):
//! `tests/vectors/group_post_v3.json`, generated once from explicit inputs
//! (group id, chain id, chain key, Ed25519 seed of the chain, the owner's
//! identity seed, each post's random bytes `r`, `sent_at`, bodies, timer)
//! and committed. Each case is checked three ways:
//!
//! 1. the library, given the same inputs through a scripted RNG, makes the
//!    same distribution and the same posts, byte for byte;
//! 2. an independent model written from the SPEC (`common::group_post`:
//!    `hmac`, `hkdf`, the AES block cipher in counter mode by hand,
//!    `sha2`, `ed25519-dalek`) derives every listed intermediate value,
//!    decrypts each post to the listed frame and verifies its signature;
//! 3. a subscriber holding the distribution opens each post.
//!
//! Regenerate only for a new post version (never to make a failing check
//! pass): `SEALWIRE_REGENERATE_VECTORS=1 cargo test --test group_known_answers`
//! (`SEALWIRE_BLESS_GROUP=1` also works).

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

use std::collections::VecDeque;
use std::convert::Infallible;

use common::distribution_from;
use common::group_post;
use common::vectors::{arr, counting, hex, unhex};
use ed25519_dalek::{Signature, Signer, SigningKey};
use rand_core::{TryCryptoRng, TryRng};
use sealwire::expiry::{ExpiryMode, ExpiryPolicy};
use sealwire::group::{ChannelOwner, ChannelSubscriber, GroupId};
use sealwire::{IdentityKeyPair, Timestamp};
use serde_json::{Value, json};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vectors/group_post_v3.json"
);

/// Hands out exactly the listed values: the chain id (one `u32`), then the
/// chain key and the signing seed (32 bytes each), then each post's `r`
/// (12 bytes).
struct ScriptedRng {
    words: VecDeque<u32>,
    secrets: VecDeque<[u8; 32]>,
    randoms: VecDeque<[u8; 12]>,
}

impl TryRng for ScriptedRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.words.pop_front().expect("no more listed chain ids"))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        panic!("no 64-bit value is drawn")
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        match dst.len() {
            32 => dst.copy_from_slice(&self.secrets.pop_front().expect("no more listed secrets")),
            12 => dst.copy_from_slice(&self.randoms.pop_front().expect("no more listed r")),
            n => panic!("unexpected draw of {n} bytes"),
        }
        Ok(())
    }
}

impl TryCryptoRng for ScriptedRng {}

struct Inputs {
    name: &'static str,
    group_id: [u8; 16],
    chain_id: u32,
    chain_key: [u8; 32],
    signing_seed: [u8; 32],
    /// The owner's identity key seed (the Ed25519 key every post's signed
    /// message names).
    owner_seed: [u8; 32],
    /// `r` of each post, in order.
    randoms: Vec<[u8; 12]>,
    sent_at: u64,
    /// Set this after-send timer (seconds) first: the first post is then the
    /// timer change.
    timer_secs: Option<u32>,
    bodies: Vec<Vec<u8>>,
}

fn cases() -> Vec<Inputs> {
    vec![
        Inputs {
            name: "first post, no timer",
            group_id: counting(0x40),
            chain_id: 0x0102_0304,
            chain_key: counting(0x60),
            signing_seed: counting(0x80),
            owner_seed: counting(0xe0),
            randoms: vec![counting(0x10)],
            sent_at: 1_780_000_000_000,
            timer_secs: None,
            bodies: vec![b"Hello, channel (v3)".to_vec()],
        },
        Inputs {
            name: "timer change, then two posts with the timer block",
            group_id: counting(0x50),
            chain_id: 0xfedc_ba98,
            chain_key: counting(0xa0),
            signing_seed: counting(0xc0),
            owner_seed: counting(0x20),
            randoms: vec![counting(0x70), [0; 12], [0xff; 12]],
            sent_at: 1_780_000_123_456,
            timer_secs: Some(86_400),
            bodies: vec![b"disappears in a day".to_vec(), vec![0x5a; 100]],
        },
    ]
}

/// Runs the library on the inputs: the distribution body and every post.
fn library_posts(inp: &Inputs) -> (Vec<u8>, Vec<Vec<u8>>, IdentityKeyPair, IdentityKeyPair) {
    let mut ids = sealwire::testing::DangerDeterministicRng::from_u64(1);
    let owner = IdentityKeyPair::from_seed(&inp.owner_seed);
    let sub = IdentityKeyPair::generate(&mut ids);
    let mut rng = ScriptedRng {
        words: VecDeque::from([inp.chain_id]),
        secrets: VecDeque::from([inp.chain_key, inp.signing_seed]),
        randoms: inp.randoms.iter().copied().collect(),
    };
    let now = Timestamp::from_unix_millis(inp.sent_at);
    let (mut ch, dist) = ChannelOwner::create_with_id(
        &mut rng,
        now,
        GroupId::from_bytes(inp.group_id),
        *owner.public(),
        &[*sub.public()],
    )
    .unwrap();
    let mut posts = Vec::new();
    if let Some(secs) = inp.timer_secs {
        let policy = ExpiryPolicy::new(ExpiryMode::AfterSend, secs).unwrap();
        posts.push(ch.set_timer(&mut rng, now, Some(policy)).unwrap().0.bytes);
    }
    for body in &inp.bodies {
        let p = ch.post(&mut rng, now, body).unwrap();
        assert!(p.rotation.is_none());
        posts.push(p.bytes);
    }
    assert!(rng.words.is_empty() && rng.secrets.is_empty() && rng.randoms.is_empty());
    (dist.body.to_vec(), posts, owner, sub)
}

/// The owner's Ed25519 identity key, from its seed (RFC 8032 key
/// generation, as `IdentityKeyPair::from_seed`).
fn owner_identity(inp: &Inputs) -> [u8; 32] {
    SigningKey::from_bytes(&inp.owner_seed)
        .verifying_key()
        .to_bytes()
}

/// The independent model: every intermediate value of one post.
fn model_post(inp: &Inputs, iteration: u32, frame: &[u8]) -> Value {
    let r = &inp.randoms[iteration as usize];
    let mk = group_post::message_key(inp.chain_key, iteration);
    let (key, nonce) = group_post::cipher_keys(&mk);
    let prefix = group_post::counter_prefix(&nonce, r);
    let header = group_post::header(&inp.group_id, inp.chain_id, iteration, r);
    let mut ct = frame.to_vec();
    group_post::ctr_xor(&key, &prefix, &mut ct);
    let sender = owner_identity(inp);
    let signed = group_post::signed_message(&header, &sender, &ct);
    let signing = SigningKey::from_bytes(&inp.signing_seed);
    let sig = signing.sign(&signed);
    let mut post = header.clone();
    post.extend_from_slice(&ct);
    post.extend_from_slice(&sig.to_bytes());
    json!({
        "iteration": iteration,
        "message_key": hex(&mk),
        "aes_key": hex(&key),
        "nonce": hex(&nonce),
        "r": hex(r),
        "counter_block_0": hex(&[&prefix[..], &[0u8; 4]].concat()),
        "header": hex(&header),
        "frame": hex(frame),
        "ciphertext": hex(&ct),
        "signed_message": hex(&signed),
        "signature": hex(&sig.to_bytes()),
        "post": hex(&post),
    })
}

/// The library's frames, recovered by the model from the library's posts
/// (used only when blessing: the committed frames are then checked).
fn frames_of(inp: &Inputs, posts: &[Vec<u8>]) -> Vec<Vec<u8>> {
    posts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mk = group_post::message_key(inp.chain_key, i as u32);
            let (key, nonce) = group_post::cipher_keys(&mk);
            let prefix = group_post::counter_prefix(&nonce, &inp.randoms[i]);
            let mut frame = p[38..p.len() - 64].to_vec();
            group_post::ctr_xor(&key, &prefix, &mut frame);
            frame
        })
        .collect()
}

fn case_json(inp: &Inputs) -> Value {
    let (dist, posts, _, _) = library_posts(inp);
    let frames = frames_of(inp, &posts);
    json!({
        "name": inp.name,
        "inputs": {
            "group_id": hex(&inp.group_id),
            "chain_id": inp.chain_id,
            "chain_key": hex(&inp.chain_key),
            "signing_seed": hex(&inp.signing_seed),
            "sender_identity_seed": hex(&inp.owner_seed),
            "randoms": inp.randoms.iter().map(|r| hex(r)).collect::<Vec<_>>(),
            "sent_at": inp.sent_at,
            "timer_after_send_secs": inp.timer_secs,
            "bodies": inp.bodies.iter().map(|b| hex(b)).collect::<Vec<_>>(),
        },
        "verifying_key": hex(SigningKey::from_bytes(&inp.signing_seed).verifying_key().as_bytes()),
        "sender_identity_key": hex(&owner_identity(inp)),
        "distribution": hex(&dist),
        "posts": frames
            .iter()
            .enumerate()
            .map(|(i, f)| model_post(inp, i as u32, f))
            .collect::<Vec<_>>(),
    })
}

#[test]
fn group_post_vectors() {
    if std::env::var_os("SEALWIRE_REGENERATE_VECTORS").is_some()
        || std::env::var_os("SEALWIRE_BLESS_GROUP").is_some()
    {
        let all = json!({
            "profile": "sealwire post version 0x03 (SPEC.md §20.2, §20.4): AES-256-CTR from (nonce XOR r) || 0u32, Ed25519 over label || header || IK_sender || SHA-256(ciphertext)",
            "cases": cases().iter().map(case_json).collect::<Vec<_>>(),
        });
        std::fs::write(PATH, serde_json::to_string_pretty(&all).unwrap() + "\n").unwrap();
    }
    let file: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let cases = cases();
    let listed = file["cases"].as_array().unwrap();
    assert_eq!(listed.len(), cases.len());
    for (inp, v) in cases.iter().zip(listed) {
        assert_eq!(v["name"], inp.name);
        let (dist, posts, owner, sub) = library_posts(inp);
        // 1. The library makes exactly the committed bytes.
        assert_eq!(hex(&dist), v["distribution"], "{}: distribution", inp.name);
        let vposts = v["posts"].as_array().unwrap();
        assert_eq!(posts.len(), vposts.len(), "{}", inp.name);
        let vk = SigningKey::from_bytes(&inp.signing_seed).verifying_key();
        assert_eq!(hex(vk.as_bytes()), v["verifying_key"]);
        assert_eq!(owner.public().as_bytes(), &owner_identity(inp));
        assert_eq!(hex(&owner_identity(inp)), v["sender_identity_key"]);
        // The distribution carries the chain as listed (SPEC.md §20.3).
        assert_eq!(&dist[18..22], &inp.chain_id.to_be_bytes());
        assert_eq!(&dist[26..58], &inp.chain_key);
        assert_eq!(&dist[58..90], vk.as_bytes());
        let mut subscriber = ChannelSubscriber::new(
            GroupId::from_bytes(inp.group_id),
            *sub.public(),
            *owner.public(),
        );
        assert!(
            subscriber
                .accept_distribution(
                    Timestamp::from_unix_millis(inp.sent_at),
                    &distribution_from(&owner, Timestamp::from_unix_millis(inp.sent_at), &dist)
                )
                .unwrap()
        );
        for (i, (post, vp)) in posts.iter().zip(vposts).enumerate() {
            let what = format!("{} post {i}", inp.name);
            assert_eq!(hex(post), vp["post"], "{what}: library bytes");
            // 2. The model, from the inputs and the listed frame alone,
            // derives every listed value and the same post.
            let frame = unhex(vp["frame"].as_str().unwrap());
            assert_eq!(model_post(inp, i as u32, &frame), *vp, "{what}: model");
            let sig = Signature::from_bytes(&arr::<64>(&vp["signature"]));
            let signed = unhex(vp["signed_message"].as_str().unwrap());
            assert_eq!(signed.len(), 123);
            assert_eq!(signed.len(), sealwire::group::POST_SIGNED_LEN);
            vk.verify_strict(&signed, &sig).unwrap();
            // The frame is the SPEC's inner frame: version 2, its content
            // type, the timer flag when a timer is set, `sent_at`, and the
            // timer block's version a u64.
            assert_eq!(frame[0], 0x02);
            if inp.timer_secs.is_some() {
                assert_eq!(frame[16..24], 1u64.to_be_bytes());
            }
            let timer_change = inp.timer_secs.is_some() && i == 0;
            assert_eq!(frame[1], if timer_change { 0x02 } else { 0x01 });
            assert_eq!(frame[2], u8::from(inp.timer_secs.is_some()));
            assert_eq!(frame[3..11], inp.sent_at.to_be_bytes());
            // 3. A subscriber opens it.
            let got = subscriber
                .receive_post(Timestamp::from_unix_millis(inp.sent_at), post)
                .unwrap();
            let body_index = i.checked_sub(usize::from(inp.timer_secs.is_some()));
            match body_index {
                Some(b) => assert_eq!(got.plaintext[..], inp.bodies[b][..], "{what}"),
                None => assert!(got.timer_change.is_some(), "{what}"),
            }
            assert_eq!(got.iteration, i as u32);
            assert_eq!(got.chain_id, inp.chain_id);
        }
    }
}
