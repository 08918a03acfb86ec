//! Attack: a member re-sends another member's chain as its own (SPEC.md
//! RATIONALE.md "chain id collisions", §20.3, §20.6).
//!
//! A malicious member M holds honest member H's distribution (chain id,
//! chain key, verifying key): it was sent to M as a member. M re-sends it
//! to the victim V over the genuine M→V session, with the distribution's
//! sender field rewritten to M (the only way past the check that the
//! sender is the session's peer). V accepts it as M's chain: a chain id or
//! verifying key held for another sender is never a reason to refuse one
//! (refusing would let M's copy, delivered first, block H's genuine
//! distribution). The post's signed message binds the identity key of the
//! chain's sender (post version 0x03), and V tries each held chain under
//! its own sender's identity, so:
//!
//! - hijack: H's posts are never attributed to M (M's copy does not
//!   verify them; H's chain does);
//! - block: a copy with H's chain id and H's verifying key but a garbage
//!   chain key (or a chain key stepped ahead, or M's own verifying key)
//!   never keeps H's posts from opening.
//!
//! Each attack runs with M's copy arriving before and after H's genuine
//! distribution, and with M's identity key sorting before and after H's
//! (the order in which V tries the chains). Channels: only the owner can
//! reach a subscriber with a distribution; another subscriber's attempts
//! are refused.

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

use common::distribution_from;
use common::group_post;
use common::group_refuses;
use ed25519_dalek::SigningKey;

use sealwire::group::{
    ChannelOwner, ChannelSubscriber, Group, GroupError, GroupId, parse_post_header,
};
use sealwire::testing::DangerDeterministicRng;
use sealwire::{
    ContentType, Encrypt, IdentityKeyPair, Outgoing, PendingSession, PrekeyBundle, PrekeyStore,
    Session, Timestamp,
};

const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);
const GID: GroupId = GroupId::from_bytes([0x5e; 16]);

/// Offsets in a distribution body (SPEC.md §20.3).
const CHAIN_ID: core::ops::Range<usize> = 18..22;
const ITERATION: core::ops::Range<usize> = 22..26;
const CHAIN_KEY: core::ops::Range<usize> = 26..58;
const SIGNING_KEY: core::ops::Range<usize> = 58..90;
const SENDER: core::ops::Range<usize> = 90..122;

/// Established 1:1 sessions `(a's with b, b's with a)`.
fn sessions(
    rng: &mut DangerDeterministicRng,
    a: &IdentityKeyPair,
    b: &IdentityKeyPair,
) -> (Session, Session) {
    let mut store = PrekeyStore::new(b, rng);
    let opk = store.generate_one_time_prekeys(rng, 1)[0].id;
    let bundle = PrekeyBundle::parse(&store.bundle(b, Some(opk)).unwrap().to_vec()).unwrap();
    let mut pending = PendingSession::initiate(rng, a, &bundle).unwrap();
    let hello = pending
        .encrypt(rng, T0, Outgoing::message(b"hi"))
        .unwrap()
        .message;
    let (mut sb, _) = Session::accept(b, &mut store, T0, &hello).unwrap();
    let reply = sb
        .encrypt(rng, T0, Outgoing::message(b"hi"))
        .unwrap()
        .message;
    let (sa, _) = pending.receive(T0, &reply).map_err(|r| r.error).unwrap();
    (sa, sb)
}

/// H (honest), M (malicious) and V (victim) in one group, with M's
/// identity key sorting before H's when `m_first`. V holds M's genuine
/// chain; M holds H's; V does not yet hold H's (`h_dist`).
struct Trio {
    rng: DangerDeterministicRng,
    h: IdentityKeyPair,
    m: IdentityKeyPair,
    gh: Group,
    gv: Group,
    h_dist: Vec<u8>,
    /// M's and V's ends of their 1:1 session.
    m_to_v: Session,
    v_from_m: Session,
}

fn trio(seed: u64, m_first: bool) -> Trio {
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let mut ids: Vec<IdentityKeyPair> = (0..3)
        .map(|_| IdentityKeyPair::generate(&mut rng))
        .collect();
    ids.sort_by(|a, b| a.public().as_bytes().cmp(b.public().as_bytes()));
    let v = ids.pop().unwrap();
    let (lo, hi) = (ids.remove(0), ids.remove(0));
    let (h, m) = if m_first { (hi, lo) } else { (lo, hi) };
    assert_eq!(
        m_first,
        m.public().as_bytes() < h.public().as_bytes(),
        "M sorts as asked"
    );
    let (hk, mk, vk) = (*h.public(), *m.public(), *v.public());
    let (gh, dh) = Group::create_with_id(&mut rng, T0, GID, hk, &[mk, vk]).unwrap();
    let (mut gm, dm) = Group::create_with_id(&mut rng, T0, GID, mk, &[hk, vk]).unwrap();
    let (mut gv, _dv) = Group::create_with_id(&mut rng, T0, GID, vk, &[hk, mk]).unwrap();
    gm.accept_distribution(T0, &distribution_from(&h, T0, &dh.body))
        .unwrap();
    gv.accept_distribution(T0, &distribution_from(&m, T0, &dm.body))
        .unwrap();
    let (m_to_v, v_from_m) = sessions(&mut rng, &m, &v);
    Trio {
        rng,
        h,
        m,
        gh,
        gv,
        h_dist: dh.body.to_vec(),
        m_to_v,
        v_from_m,
    }
}

/// The copies of H's distribution M can make, under its own name.
#[derive(Clone, Copy, Debug)]
enum Forgery {
    /// H's chain exactly (chain id, iteration, chain key, verifying key).
    Hijack,
    /// H's chain id and verifying key, a garbage chain key.
    GarbageKey,
    /// H's chain id, verifying key and chain key stepped 3 positions ahead.
    KeyAhead,
    /// H's chain id and chain key, M's own verifying key.
    OwnSigningKey,
    /// H's chain id, M's own verifying key, a garbage chain key.
    OwnSigningKeyGarbage,
}

const COPIES: [Forgery; 5] = [
    Forgery::Hijack,
    Forgery::GarbageKey,
    Forgery::KeyAhead,
    Forgery::OwnSigningKey,
    Forgery::OwnSigningKeyGarbage,
];

fn step(ck: [u8; 32]) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    let mut m = <hmac::Hmac<sha2::Sha256>>::new_from_slice(&ck).unwrap();
    m.update(&[0x02]);
    m.finalize().into_bytes().into()
}

/// M's copy of H's distribution body, naming M as the sender.
fn copy_of(t: &Trio, kind: Forgery) -> Vec<u8> {
    let mut body = t.h_dist.clone();
    body[SENDER].copy_from_slice(t.m.public().as_bytes());
    let m_signer = SigningKey::from_bytes(&[0x4d; 32]);
    match kind {
        Forgery::Hijack => {}
        Forgery::GarbageKey => body[CHAIN_KEY].copy_from_slice(&[0xee; 32]),
        Forgery::KeyAhead => {
            let mut ck: [u8; 32] = body[CHAIN_KEY].try_into().unwrap();
            for _ in 0..3 {
                ck = step(ck);
            }
            body[CHAIN_KEY].copy_from_slice(&ck);
            let it = u32::from_be_bytes(body[ITERATION].try_into().unwrap()) + 3;
            body[ITERATION].copy_from_slice(&it.to_be_bytes());
        }
        Forgery::OwnSigningKey => {
            body[SIGNING_KEY].copy_from_slice(m_signer.verifying_key().as_bytes());
        }
        Forgery::OwnSigningKeyGarbage => {
            body[SIGNING_KEY].copy_from_slice(m_signer.verifying_key().as_bytes());
            body[CHAIN_KEY].copy_from_slice(&[0xee; 32]);
        }
    }
    body
}

/// M sends `body` to V over their genuine 1:1 session; V accepts it as
/// M's chain (nothing in it is refused: see the module comment).
fn m_sends(t: &mut Trio, body: &[u8]) {
    let msg = t
        .m_to_v
        .encrypt(
            &mut t.rng,
            T0,
            Outgoing::new(ContentType::GroupKeyDistribution, body),
        )
        .unwrap()
        .message;
    let got = t.v_from_m.decrypt(T0, &msg).unwrap();
    assert_eq!(got.sender, *t.m.public());
    assert_eq!(t.gv.accept_distribution(T0, &got), Ok(true));
}

/// H's genuine distribution reaches V; it is accepted whatever M sent.
fn h_delivers(t: &mut Trio) {
    let got = distribution_from(&t.h, T0, &t.h_dist);
    assert_eq!(t.gv.accept_distribution(T0, &got), Ok(true));
}

/// H posts; V opens it and attributes it to H.
fn h_post_reaches_v(t: &mut Trio, body: &[u8]) {
    let p = t.gh.post(&mut t.rng, T0, body).unwrap().bytes;
    let got = t.gv.receive_post(T0, &p).unwrap();
    assert_eq!(&got.plaintext[..], body);
    assert_eq!(got.sender, *t.h.public(), "H's post attributed to H");
    let h_chain = u32::from_be_bytes(t.h_dist[CHAIN_ID].try_into().unwrap());
    assert_eq!(got.chain_id, h_chain);
}

#[test]
fn a_copy_arriving_after_the_genuine_chain_neither_hijacks_nor_blocks() {
    for m_first in [true, false] {
        for kind in COPIES {
            let mut t = trio(0x5e_0001, m_first);
            h_delivers(&mut t);
            let copy = copy_of(&t, kind);
            m_sends(&mut t, &copy);
            assert_eq!(t.gv.chain_count(t.m.public()), 2, "{kind:?}");
            for i in 0..3u8 {
                h_post_reaches_v(&mut t, &[b'h', i]);
            }
        }
    }
}

#[test]
fn a_copy_arriving_before_the_genuine_chain_neither_hijacks_nor_blocks() {
    for m_first in [true, false] {
        for kind in COPIES {
            let mut t = trio(0x5e_0002, m_first);
            let copy = copy_of(&t, kind);
            m_sends(&mut t, &copy);
            // Before H's distribution: H's post verifies under no chain V
            // holds (the copy is tried under M's identity), a typed error
            // that changes nothing.
            let early = t.gh.post(&mut t.rng, T0, b"early").unwrap().bytes;
            group_refuses(&mut t.gv, T0, &early, GroupError::BadSignature);
            // H's genuine distribution is not refused for M's copy.
            h_delivers(&mut t);
            let got = t.gv.receive_post(T0, &early).unwrap();
            assert_eq!(&got.plaintext[..], b"early");
            assert_eq!(got.sender, *t.h.public(), "{kind:?} m_first={m_first}");
            for i in 0..3u8 {
                h_post_reaches_v(&mut t, &[b'h', i]);
            }
        }
    }
}

#[test]
fn the_unmodified_distribution_is_refused_from_the_wrong_peer() {
    // M re-sends H's exact body (naming H) over the M→V session: the
    // sender is not the session's peer.
    let mut t = trio(0x5e_0003, true);
    let before = t.gv.clone();
    let msg = t
        .m_to_v
        .encrypt(
            &mut t.rng,
            T0,
            Outgoing::new(ContentType::GroupKeyDistribution, &t.h_dist),
        )
        .unwrap()
        .message;
    let got = t.v_from_m.decrypt(T0, &msg).unwrap();
    assert_eq!(
        t.gv.accept_distribution(T0, &got),
        Err(GroupError::SenderMismatch)
    );
    assert!(t.gv == before);
}

/// The inner frame of a user message "hello" sent at `T0`, padded
/// (SPEC.md §8): what a member encrypts into its own posts.
fn hello_frame() -> Vec<u8> {
    let mut frame = vec![sealwire::wire::FRAME_VERSION, 0x01, 0x00];
    frame.extend_from_slice(&T0.as_unix_millis().to_be_bytes());
    frame.extend_from_slice(&5u32.to_be_bytes());
    frame.extend_from_slice(b"hello");
    frame.resize(15 + 32, 0);
    frame
}

#[test]
fn m_cannot_post_under_the_copy_as_h() {
    // M holds H's chain key and built the copy with its own signing key:
    // its posts under H's chain id open as M's, never as H's, and a post
    // it signs in H's name does not verify.
    for m_first in [true, false] {
        let mut t = trio(0x5e_0004, m_first);
        h_delivers(&mut t);
        let copy = copy_of(&t, Forgery::OwnSigningKey);
        m_sends(&mut t, &copy);
        let ck: [u8; 32] = t.h_dist[CHAIN_KEY].try_into().unwrap();
        let chain = u32::from_be_bytes(t.h_dist[CHAIN_ID].try_into().unwrap());
        let m_signer = SigningKey::from_bytes(&[0x4d; 32]);
        let frame = hello_frame();
        let as_h = group_post::build(
            GID.as_bytes(),
            ck,
            chain,
            0,
            &[7; 12],
            &frame,
            t.h.public().as_bytes(),
            &m_signer,
        );
        group_refuses(&mut t.gv, T0, &as_h, GroupError::BadSignature);
        let as_m = group_post::build(
            GID.as_bytes(),
            ck,
            chain,
            0,
            &[7; 12],
            &frame,
            t.m.public().as_bytes(),
            &m_signer,
        );
        let got = t.gv.receive_post(T0, &as_m).unwrap();
        assert_eq!(got.sender, *t.m.public());
        // H's own post at the same position still opens, as H's.
        h_post_reaches_v(&mut t, b"mine");
    }
}

#[test]
fn a_post_of_a_chain_held_twice_is_matched_by_the_signature_not_the_order() {
    // The post names only a chain id; both chains are candidates. The
    // header does not say whose it is; the signed identity does.
    let mut t = trio(0x5e_0005, true);
    let copy = copy_of(&t, Forgery::Hijack);
    m_sends(&mut t, &copy);
    h_delivers(&mut t);
    let p = t.gh.post(&mut t.rng, T0, b"whose?").unwrap().bytes;
    let h = parse_post_header(&p).unwrap();
    assert_eq!(
        h.chain_id,
        u32::from_be_bytes(t.h_dist[CHAIN_ID].try_into().unwrap())
    );
    let got = t.gv.receive_post(T0, &p).unwrap();
    assert_eq!(got.sender, *t.h.public());
    // A replay is a duplicate of H's chain, not a first post of M's copy.
    group_refuses(&mut t.gv, T0, &p, GroupError::DuplicatePost);
}

/// A channel: owner O, subscribers S1 (the victim) and S2 (the attacker).
/// A subscriber accepts distributions from the owner only, so the only
/// party who can reach it with a chain is O; S2's attempts are refused.
#[test]
fn in_a_channel_only_the_owner_reaches_a_subscriber() {
    let mut rng = DangerDeterministicRng::from_u64(0x5e_0006);
    let o = IdentityKeyPair::generate(&mut rng);
    let s1 = IdentityKeyPair::generate(&mut rng);
    let s2 = IdentityKeyPair::generate(&mut rng);
    let (ok, k1, k2) = (*o.public(), *s1.public(), *s2.public());
    let (mut owner, d) = ChannelOwner::create_with_id(&mut rng, T0, GID, ok, &[k1, k2]).unwrap();
    let mut v = ChannelSubscriber::new(GID, k1, ok);
    let (mut s2_to_v, mut v_from_s2) = sessions(&mut rng, &s2, &s1);
    let mut via_s2 = |body: &[u8], v: &mut ChannelSubscriber| -> Result<bool, GroupError> {
        let msg = s2_to_v
            .encrypt(
                &mut rng,
                T0,
                Outgoing::new(ContentType::GroupKeyDistribution, body),
            )
            .unwrap()
            .message;
        let got = v_from_s2.decrypt(T0, &msg).unwrap();
        v.accept_distribution(T0, &got)
    };
    let before = v.clone();
    // S2 re-sends the owner's chain under its own name: S2 may not post.
    let mut as_s2 = d.body.to_vec();
    as_s2[SENDER].copy_from_slice(k2.as_bytes());
    assert_eq!(via_s2(&as_s2, &mut v), Err(GroupError::NotAMember));
    // The owner's exact body over S2's session: not the session's peer.
    assert_eq!(via_s2(&d.body, &mut v), Err(GroupError::SenderMismatch));
    // A garbage chain key in the owner's name: not the session's peer.
    let mut garbage = d.body.to_vec();
    garbage[CHAIN_KEY].copy_from_slice(&[0xee; 32]);
    assert_eq!(via_s2(&garbage, &mut v), Err(GroupError::SenderMismatch));
    assert!(v == before, "refused distributions changed nothing");
    // The owner's genuine chain is accepted afterwards, and its posts open
    // as the owner's.
    assert_eq!(
        v.accept_distribution(T0, &distribution_from(&o, T0, &d.body)),
        Ok(true)
    );
    let p = owner.post(&mut rng, T0, b"from the owner").unwrap().bytes;
    let got = v.receive_post(T0, &p).unwrap();
    assert_eq!(got.sender, ok);
    assert_eq!(&got.plaintext[..], b"from the owner");
    // S2 holds the chain key but not the owner's signing key: a post it
    // signs in the owner's name is refused.
    let ck: [u8; 32] = d.body[CHAIN_KEY].try_into().unwrap();
    let chain = u32::from_be_bytes(d.body[CHAIN_ID].try_into().unwrap());
    let mut frame = vec![sealwire::wire::FRAME_VERSION, 0x01, 0x00];
    frame.extend_from_slice(&T0.as_unix_millis().to_be_bytes());
    frame.extend_from_slice(&2u32.to_be_bytes());
    frame.extend_from_slice(b"hi");
    frame.resize(15 + 32, 0);
    let forged = group_post::build(
        GID.as_bytes(),
        ck,
        chain,
        1,
        &[1; 12],
        &frame,
        ok.as_bytes(),
        &SigningKey::from_bytes(&[0x52; 32]),
    );
    let before = v.clone();
    assert_eq!(
        v.receive_post(T0, &forged).map(|_| ()),
        Err(GroupError::BadSignature)
    );
    assert!(v == before);
}

#[test]
fn version_2_posts_are_refused() {
    let mut t = trio(0x5e_0007, false);
    h_delivers(&mut t);
    let mut p = t.gh.post(&mut t.rng, T0, b"v3").unwrap().bytes;
    for v in [0x01, 0x02, 0x04, 0xff] {
        p[0] = v;
        group_refuses(
            &mut t.gv,
            T0,
            &p,
            GroupError::Malformed(sealwire::DecodeError::UnsupportedVersion(v)),
        );
    }
    p[0] = 0x03;
    assert_eq!(&t.gv.receive_post(T0, &p).unwrap().plaintext[..], b"v3");
}

/// A member who holds its own chain can encrypt and sign any frame: a
/// post whose frame does not parse is refused with the frame's own decode
/// error (what is wrong with it, not a generic one), and nothing changes.
#[test]
fn a_members_post_with_a_malformed_frame_is_refused_with_its_decode_error() {
    let mut t = trio(0x5e_0009, false);
    h_delivers(&mut t);
    let copy = copy_of(&t, Forgery::OwnSigningKey);
    m_sends(&mut t, &copy);
    let ck: [u8; 32] = t.h_dist[CHAIN_KEY].try_into().unwrap();
    let chain = u32::from_be_bytes(t.h_dist[CHAIN_ID].try_into().unwrap());
    let m_signer = SigningKey::from_bytes(&[0x4d; 32]);
    let good = hello_frame();
    let post = |frame: &[u8]| {
        group_post::build(
            GID.as_bytes(),
            ck,
            chain,
            0,
            &[9; 12],
            frame,
            t.m.public().as_bytes(),
            &m_signer,
        )
    };
    let mut version = good.clone();
    version[0] = 0x7f;
    let mut flags = good.clone();
    flags[2] = 0x80;
    for (frame, error) in [
        (good[..3].to_vec(), sealwire::DecodeError::Truncated),
        (version, sealwire::DecodeError::UnsupportedVersion(0x7f)),
        (flags, sealwire::DecodeError::UnknownFlags(0x80)),
    ] {
        group_refuses(&mut t.gv, T0, &post(&frame), GroupError::Malformed(error));
    }
    // The well-formed one at the same position opens.
    let got = t.gv.receive_post(T0, &post(&good)).unwrap();
    assert_eq!(&got.plaintext[..], b"hello");
}
