//! Attack: a sender restored from an older group blob posts again at a
//! chain position it already used (SPEC.md §20.4, RATIONALE.md).
//!
//! The post key comes from the chain position alone, so without more the
//! second post would be encrypted under the same AES-256-CTR key and
//! counter blocks as the first: the XOR of the two ciphertexts would be the
//! XOR of the two plaintexts. Every post carries 12 fresh random bytes `r`
//! (in its header, hence signed), and the counter blocks start from
//! `(nonce XOR r) || 0u32`: the two posts share no keystream block.
//!
//! What receivers do with the second post is stated here too: one that
//! opened the first refuses the second as a duplicate (the position is
//! spent); one that never saw the first opens the second, then refuses the
//! first as a duplicate.
//!
//! And a related promise of SPEC.md §20.2: a post's inner frame is never
//! franked; a franked one is refused with
//! `Malformed(UnknownFlags(flags))` and changes nothing.

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

use aes_gcm::aes::Aes256;
use aes_gcm::aes::cipher::{BlockCipherEncrypt, KeyInit};
use common::distribution_from;
use common::group_post;
use common::group_refuses;
use ed25519_dalek::SigningKey;

use sealwire::DecodeError;
use sealwire::group::{Group, GroupError, GroupId, POST_HEADER_LEN, parse_post_header};
use sealwire::persist::StateBlob;
use sealwire::testing::DangerDeterministicRng;
use sealwire::{IdentityKeyPair, Timestamp};

const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);
const GID: GroupId = GroupId::from_bytes([0x7b; 16]);

/// The AES-256-CTR keystream blocks of a post: `AES(key, prefix || i)`.
fn keystream_blocks(key: &[u8; 32], prefix: &[u8; 12], blocks: usize) -> Vec<[u8; 16]> {
    let aes = Aes256::new(key.into());
    (0..blocks)
        .map(|i| {
            let mut block = [0u8; 16];
            block[..12].copy_from_slice(prefix);
            block[12..].copy_from_slice(&(i as u32).to_be_bytes());
            let mut b = block.into();
            aes.encrypt_block(&mut b);
            b.into()
        })
        .collect()
}

fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

struct Setup {
    rng: DangerDeterministicRng,
    a: Group,
    b: Group,
    c: Group,
    /// A's chain key at iteration 0, as its distribution carries it.
    chain_key: [u8; 32],
}

fn setup(seed: u64) -> Setup {
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let ids: Vec<IdentityKeyPair> = (0..3)
        .map(|_| IdentityKeyPair::generate(&mut rng))
        .collect();
    let k: Vec<_> = ids.iter().map(|i| *i.public()).collect();
    let (a, da) = Group::create_with_id(&mut rng, T0, GID, k[0], &[k[1], k[2]]).unwrap();
    let (mut b, _) = Group::create_with_id(&mut rng, T0, GID, k[1], &[k[0], k[2]]).unwrap();
    let (mut c, _) = Group::create_with_id(&mut rng, T0, GID, k[2], &[k[0], k[1]]).unwrap();
    let from_a = distribution_from(&ids[0], T0, &da.body);
    b.accept_distribution(T0, &from_a).unwrap();
    c.accept_distribution(T0, &from_a).unwrap();
    let chain_key = da.body[26..58].try_into().unwrap();
    Setup {
        rng,
        a,
        b,
        c,
        chain_key,
    }
}

/// The inner frame of a post, decrypted with the independent model.
fn frame_of(chain_key: [u8; 32], post: &[u8]) -> Vec<u8> {
    let h = parse_post_header(post).unwrap();
    let mk = group_post::message_key(chain_key, h.iteration);
    let (key, nonce) = group_post::cipher_keys(&mk);
    let mut frame = post[POST_HEADER_LEN..post.len() - 64].to_vec();
    group_post::ctr_xor(
        &key,
        &group_post::counter_prefix(&nonce, &h.random),
        &mut frame,
    );
    frame
}

#[test]
fn a_rolled_back_sender_reuses_no_keystream() {
    let mut s = setup(0x70_0001);
    // Some history, then a saved state.
    let p0 = s.a.post(&mut s.rng, T0, b"before the save").unwrap().bytes;
    s.b.receive_post(T0, &p0).unwrap();
    s.c.receive_post(T0, &p0).unwrap();
    let saved = s.a.to_blob();
    let body1 = [0x11u8; 1000];
    let body2 = [0x22u8; 1000];
    let p1 = s.a.post(&mut s.rng, T0, &body1).unwrap().bytes;
    // Restore the old state: the chain is back at p1's position.
    let mut restored = Group::from_blob(&saved).unwrap();
    let p2 = restored.post(&mut s.rng, T0, &body2).unwrap().bytes;
    let (h1, h2) = (
        parse_post_header(&p1).unwrap(),
        parse_post_header(&p2).unwrap(),
    );
    assert_eq!((h1.chain_id, h1.iteration), (h2.chain_id, h2.iteration));
    assert_eq!(h1.iteration, 1);
    assert_eq!(p1.len(), p2.len());
    assert_ne!(h1.random, h2.random, "fresh r per post");

    let ct1 = &p1[POST_HEADER_LEN..p1.len() - 64];
    let ct2 = &p2[POST_HEADER_LEN..p2.len() - 64];
    let f1 = frame_of(s.chain_key, &p1);
    let f2 = frame_of(s.chain_key, &p2);
    assert!(f1.windows(body1.len()).any(|w| w == body1));
    assert!(f2.windows(body2.len()).any(|w| w == body2));
    // Same key, same nonce (the chain position), but the XOR of the
    // ciphertexts is not the XOR of the plaintexts, anywhere in the frame.
    let mk = group_post::message_key(s.chain_key, h1.iteration);
    let (key, nonce) = group_post::cipher_keys(&mk);
    let ks1 = xor(ct1, &f1);
    let ks2 = xor(ct2, &f2);
    assert_ne!(xor(ct1, ct2), xor(&f1, &f2));
    assert!(
        ks1.iter().zip(&ks2).filter(|(a, b)| a == b).count() < ks1.len() / 16,
        "keystreams agree only by chance, byte by byte"
    );
    // Block by block: the two keystreams are the model's blocks from
    // their own counter prefixes, and no block of one appears in the other.
    let blocks = ct1.len().div_ceil(16);
    let b1 = keystream_blocks(
        &key,
        &group_post::counter_prefix(&nonce, &h1.random),
        blocks,
    );
    let b2 = keystream_blocks(
        &key,
        &group_post::counter_prefix(&nonce, &h2.random),
        blocks,
    );
    assert_eq!(b1.concat()[..ks1.len()], ks1[..]);
    assert_eq!(b2.concat()[..ks2.len()], ks2[..]);
    for (i, blk) in b1.iter().enumerate() {
        assert!(!b2.contains(blk), "block {i} of the first post reused");
        assert_ne!(*blk, b2[i]);
    }

    // B opened the first post: the second is a duplicate of a spent
    // position, refused without any change.
    assert_eq!(&s.b.receive_post(T0, &p1).unwrap().plaintext[..], &body1);
    group_refuses(&mut s.b, T0, &p2, GroupError::DuplicatePost);
    // C never saw the first: it opens the second, then the first is the
    // duplicate.
    assert_eq!(&s.c.receive_post(T0, &p2).unwrap().plaintext[..], &body2);
    group_refuses(&mut s.c, T0, &p1, GroupError::DuplicatePost);
}

#[test]
fn every_post_draws_fresh_r() {
    let mut s = setup(0x70_0002);
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..50u8 {
        let p = s.a.post(&mut s.rng, T0, &[i; 40]).unwrap().bytes;
        assert!(seen.insert(parse_post_header(&p).unwrap().random));
        s.b.receive_post(T0, &p).unwrap();
    }
}

/// A receiver holding a chain whose signing key the test controls (sent
/// in A's name over A's session, as an honest A could): posts the test
/// builds are signed correctly, so only the frame decides.
fn chain_we_sign() -> (Group, SigningKey, [u8; 32], sealwire::IdentityKey) {
    let mut rng = DangerDeterministicRng::from_u64(0x70_0003);
    let a = IdentityKeyPair::generate(&mut rng);
    let b = IdentityKeyPair::generate(&mut rng);
    let (_ga, da) = Group::create_with_id(&mut rng, T0, GID, *a.public(), &[*b.public()]).unwrap();
    let (mut gb, _) =
        Group::create_with_id(&mut rng, T0, GID, *b.public(), &[*a.public()]).unwrap();
    let signer = SigningKey::from_bytes(&[0x5f; 32]);
    let ck = [0x3c; 32];
    let mut body = da.body.to_vec();
    body[18..22].copy_from_slice(&9u32.to_be_bytes());
    body[26..58].copy_from_slice(&ck);
    body[58..90].copy_from_slice(signer.verifying_key().as_bytes());
    gb.accept_distribution(T0, &distribution_from(&a, T0, &body))
        .unwrap();
    (gb, signer, ck, *a.public())
}

/// A user-message frame, franked (flag bit 1, key `kf`) when asked.
fn frame(body: &[u8], franking_key: Option<[u8; 32]>) -> Vec<u8> {
    let mut f = vec![
        sealwire::wire::FRAME_VERSION,
        0x01,
        u8::from(franking_key.is_some()) << 1,
    ];
    f.extend_from_slice(&T0.as_unix_millis().to_be_bytes());
    if let Some(kf) = franking_key {
        f.extend_from_slice(&kf);
    }
    f.extend_from_slice(&(body.len() as u32).to_be_bytes());
    f.extend_from_slice(body);
    let start = f.len() - body.len();
    f.resize(start + 32.max(body.len()), 0);
    f
}

#[test]
fn a_franked_post_frame_is_refused() {
    let (mut g, signer, ck, a) = chain_we_sign();
    let post = |f: &[u8]| {
        group_post::build(
            GID.as_bytes(),
            ck,
            9,
            0,
            &[0xa5; 12],
            f,
            a.as_bytes(),
            &signer,
        )
    };
    let franked = post(&frame(b"report me", Some([0x77; 32])));
    group_refuses(
        &mut g,
        T0,
        &franked,
        GroupError::Malformed(DecodeError::UnknownFlags(0x02)),
    );
    // The in-place receive leaves no plaintext in the caller's buffer.
    let mut buf = franked.clone();
    assert!(g.receive_post_in_place(T0, &mut buf).is_err());
    assert!(!buf.windows(9).any(|w| w == b"report me"));
    // The same post, unfranked, at the same position, opens.
    let plain = post(&frame(b"report me", None));
    let got = g.receive_post(T0, &plain).unwrap();
    assert_eq!(&got.plaintext[..], b"report me");
    assert_eq!(got.sender, a);
}
