//! Attack: a group key distribution attributed to the wrong member through
//! the C API (SPEC.md §20.3).
//!
//! A distribution's chain belongs to the authenticated peer of the 1:1
//! session it arrived over. The C API once took the sender from the
//! caller (`sender, sender_len, body, body_len`), so a C app could pass a
//! distribution with the wrong sender. Now `sw_session_decrypt` (or
//! `sw_session_accept`) keeps the decrypted distribution in the session,
//! and `sw_group_accept_distribution(group, session, ...)` takes it from
//! there: the sender is the session's peer, never the caller's word.
//!
//! Alice (A), Mallory (M) and the victim V are members of one group; V's
//! side runs through the C API (its group and its sessions with A and M are
//! C handles), A and M are Rust. Mallory:
//!
//! - sends a distribution naming Alice (her own chain, Alice's name) over
//!   her session with V: refused (`SW_GROUP_SENDER_MISMATCH`), V's group
//!   and the pending distribution unchanged, the chain's posts refused;
//! - sends her genuine distribution: accepted as Mallory's chain, her posts
//!   reported as Mallory's; Alice's posts stay unreadable until Alice's own
//!   distribution arrives over Alice's session;
//! - re-sends Alice's chain as her own: accepted as Mallory's chain, and
//!   Alice's posts are still never attributed to Mallory;
//! - replays the accept: a distribution is taken once
//!   (`SW_GROUP_NO_DISTRIBUTION` afterwards, nothing changed), and a session
//!   that holds none (never decrypted one, decrypted only other messages,
//!   or loaded from a saved blob) gives `SW_GROUP_NO_DISTRIBUTION`.
//!
//! Channels likewise: only the owner's session can bring a subscriber a
//! chain.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::mem::MaybeUninit;
use std::ptr::null_mut;

use sealwire::group::{ChannelOwner, Group, GroupId};
use sealwire::persist::StateBlob;
use sealwire::testing::{DangerDeterministicRng, session_pair};
use sealwire::{
    ContentType, Encrypt, IdentityKeyPair, Outgoing, PendingSession, PrekeyStore, Session,
    SessionRecord, Timestamp,
};
use sealwire_ffi::*;

const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);
const NOW: u64 = T0.as_unix_millis();
const GID: GroupId = GroupId::from_bytes([0x6d; 16]);
const CID: GroupId = GroupId::from_bytes([0x6e; 16]);

/// The sender field of a distribution body (SPEC.md §20.3).
const SENDER: core::ops::Range<usize> = 90..122;

/// A C session handle holding the Rust session `s` (through its blob).
fn c_session(s: SessionRecord) -> *mut sw_session {
    let blob = s.to_blob();
    let mut h = null_mut();
    // SAFETY: a live buffer with its length; a valid out-parameter.
    let rc = unsafe { sw_session_load(blob.as_ptr(), blob.len(), &mut h) };
    assert_eq!(rc, sw_result::SW_OK);
    h
}

/// A C group handle holding the Rust group `g` (through its blob).
fn c_group(g: &Group) -> *mut sw_group {
    let blob = g.to_blob();
    let mut h = null_mut();
    // SAFETY: a live buffer with its length; a valid out-parameter.
    let rc = unsafe { sw_group_load(blob.as_ptr(), blob.len(), &mut h) };
    assert_eq!(rc, sw_result::SW_OK);
    h
}

/// The group's saved state, to compare byte for byte.
fn blob_of(g: *const sw_group) -> Vec<u8> {
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0usize;
    // SAFETY: a live handle, a live buffer with its length, a valid
    // out-parameter.
    let rc = unsafe { sw_group_save(g, buf.as_mut_ptr(), buf.len(), &mut n) };
    assert_eq!(rc, sw_result::SW_OK);
    buf.truncate(n);
    buf
}

/// `body` as a key distribution over the sender's session `s` (what a
/// member who controls its own client can send: any bytes).
fn send(s: &mut SessionRecord, rng: &mut DangerDeterministicRng, body: &[u8]) -> Vec<u8> {
    s.encrypt(
        rng,
        T0,
        Outgoing::new(ContentType::GroupKeyDistribution, body),
    )
    .unwrap()
    .message
}

/// Decrypts `message` with the C session: the plaintext and the metadata.
fn decrypt(s: *mut sw_session, message: &[u8]) -> (Vec<u8>, sw_received_info) {
    let mut plain = vec![0u8; message.len()];
    let mut n = 0usize;
    let mut info = MaybeUninit::<sw_received_info>::uninit();
    // SAFETY: a live handle, live buffers with their lengths, valid
    // out-parameters.
    let rc = unsafe {
        sw_session_decrypt(
            s,
            NOW,
            message.as_ptr(),
            message.len(),
            plain.as_mut_ptr(),
            plain.len(),
            &mut n,
            info.as_mut_ptr(),
        )
    };
    assert_eq!(rc, sw_result::SW_OK);
    plain.truncate(n);
    // SAFETY: written on SW_OK.
    (plain, unsafe { info.assume_init() })
}

/// `sw_group_accept_distribution(group, session)`: the code and `*out_new`.
fn accept(g: *mut sw_group, s: *mut sw_session) -> (sw_result, bool) {
    let mut fresh = true;
    // SAFETY: live handles (or the deliberately wrong ones the tests pass,
    // which the tag check refuses); a valid out-parameter.
    let rc = unsafe { sw_group_accept_distribution(g, s, NOW, &mut fresh) };
    (rc, fresh)
}

/// `sw_channel_subscriber_accept_distribution(subscriber, session)`.
fn accept_sub(c: *mut sw_channel_subscriber, s: *mut sw_session) -> (sw_result, bool) {
    let mut fresh = true;
    // SAFETY: live handles; a valid out-parameter.
    let rc = unsafe { sw_channel_subscriber_accept_distribution(c, s, NOW, &mut fresh) };
    (rc, fresh)
}

/// Receives a post in the C group: the plaintext and its sender, or the
/// code.
fn receive(g: *mut sw_group, post: &[u8]) -> Result<(Vec<u8>, [u8; 32]), sw_result> {
    let mut plain = vec![0u8; post.len()];
    let mut n = 0usize;
    let mut info = MaybeUninit::<sw_group_received_info>::uninit();
    // SAFETY: a live handle, live buffers with their lengths, valid
    // out-parameters.
    let rc = unsafe {
        sw_group_receive_post(
            g,
            NOW,
            post.as_ptr(),
            post.len(),
            plain.as_mut_ptr(),
            plain.len(),
            &mut n,
            info.as_mut_ptr(),
        )
    };
    if rc != sw_result::SW_OK {
        return Err(rc);
    }
    plain.truncate(n);
    // SAFETY: written on SW_OK.
    Ok((plain, unsafe { info.assume_init() }.sender))
}

/// As [`receive`], for a channel subscriber.
fn receive_sub(
    c: *mut sw_channel_subscriber,
    post: &[u8],
) -> Result<(Vec<u8>, [u8; 32]), sw_result> {
    let mut plain = vec![0u8; post.len()];
    let mut n = 0usize;
    let mut info = MaybeUninit::<sw_group_received_info>::uninit();
    // SAFETY: a live handle, live buffers with their lengths, valid
    // out-parameters.
    let rc = unsafe {
        sw_channel_subscriber_receive_post(
            c,
            NOW,
            post.as_ptr(),
            post.len(),
            plain.as_mut_ptr(),
            plain.len(),
            &mut n,
            info.as_mut_ptr(),
        )
    };
    if rc != sw_result::SW_OK {
        return Err(rc);
    }
    plain.truncate(n);
    // SAFETY: written on SW_OK.
    Ok((plain, unsafe { info.assume_init() }.sender))
}

/// Alice, Mallory and the victim: A and M in Rust, V's group and V's
/// sessions with A and M as C handles. V holds no chain yet.
struct World {
    rng: DangerDeterministicRng,
    a: IdentityKeyPair,
    m: IdentityKeyPair,
    v: IdentityKeyPair,
    ga: Group,
    gm: Group,
    /// Alice's and Mallory's first distribution bodies.
    da: Vec<u8>,
    dm: Vec<u8>,
    /// A's and M's ends of their sessions with V (Rust).
    a_to_v: SessionRecord,
    m_to_v: SessionRecord,
    /// V's group and V's ends of the sessions (C).
    gv: *mut sw_group,
    v_from_a: *mut sw_session,
    v_from_m: *mut sw_session,
}

impl World {
    fn new(seed: u64) -> Self {
        let mut rng = DangerDeterministicRng::from_u64(seed);
        let a = IdentityKeyPair::generate(&mut rng);
        let m = IdentityKeyPair::generate(&mut rng);
        let v = IdentityKeyPair::generate(&mut rng);
        let (ak, mk, vk) = (*a.public(), *m.public(), *v.public());
        let (ga, da) = Group::create_with_id(&mut rng, T0, GID, ak, &[mk, vk]).unwrap();
        let (gm, dm) = Group::create_with_id(&mut rng, T0, GID, mk, &[ak, vk]).unwrap();
        let (gv, _) = Group::create_with_id(&mut rng, T0, GID, vk, &[ak, mk]).unwrap();
        let (a_to_v, v_from_a) = session_pair(&mut rng, &a, &v, T0).unwrap();
        let (m_to_v, v_from_m) = session_pair(&mut rng, &m, &v, T0).unwrap();
        Self {
            gv: c_group(&gv),
            v_from_a: c_session(v_from_a.into()),
            v_from_m: c_session(v_from_m.into()),
            rng,
            a,
            m,
            v,
            ga,
            gm,
            da: da.body.to_vec(),
            dm: dm.body.to_vec(),
            a_to_v: a_to_v.into(),
            m_to_v: m_to_v.into(),
        }
    }

    /// Mallory sends `body` as a distribution; V decrypts it (C).
    fn mallory_sends(&mut self, body: &[u8]) {
        let msg = send(&mut self.m_to_v, &mut self.rng, body);
        let (plain, info) = decrypt(self.v_from_m, &msg);
        assert_eq!(
            info.content_type,
            sw_content_type::SW_CONTENT_GROUP_KEY_DISTRIBUTION
        );
        assert_eq!(info.sender, *self.m.public().as_bytes());
        assert_eq!(plain, body, "the body is still handed out for routing");
    }

    /// Alice sends `body` as a distribution; V decrypts it (C).
    fn alice_sends(&mut self, body: &[u8]) {
        let msg = send(&mut self.a_to_v, &mut self.rng, body);
        let (plain, info) = decrypt(self.v_from_a, &msg);
        assert_eq!(info.sender, *self.a.public().as_bytes());
        assert_eq!(plain, body);
    }

    fn post_a(&mut self, text: &[u8]) -> Vec<u8> {
        self.ga.post(&mut self.rng, T0, text).unwrap().bytes
    }

    fn post_m(&mut self, text: &[u8]) -> Vec<u8> {
        self.gm.post(&mut self.rng, T0, text).unwrap().bytes
    }
}

impl Drop for World {
    fn drop(&mut self) {
        // SAFETY: handles made by `World::new`, freed once.
        unsafe {
            sw_group_free(self.gv);
            sw_session_free(self.v_from_a);
            sw_session_free(self.v_from_m);
        }
    }
}

#[test]
fn a_distribution_naming_alice_from_mallorys_session_is_refused() {
    let mut w = World::new(1);
    let (ak, mk, vk) = (*w.a.public(), *w.m.public(), *w.v.public());
    // Mallory runs a group state under Alice's name: her chain key and
    // signing key, Alice's identity in the distribution.
    let (mut fake, forged) = Group::create_with_id(&mut w.rng, T0, GID, ak, &[mk, vk]).unwrap();
    assert_eq!(&forged.body[SENDER], ak.as_bytes());
    let before = blob_of(w.gv);
    w.mallory_sends(&forged.body);
    // V's app cannot say "from Alice": the group takes the session's peer.
    for _ in 0..2 {
        assert_eq!(
            accept(w.gv, w.v_from_m),
            (sw_result::SW_GROUP_SENDER_MISMATCH, false)
        );
        // Refused: the group is as it was and the distribution still
        // pending (refused again, not "none pending").
        assert_eq!(blob_of(w.gv), before);
    }
    // Nor does Alice's session vouch for it: it holds no distribution.
    assert_eq!(
        accept(w.gv, w.v_from_a),
        (sw_result::SW_GROUP_NO_DISTRIBUTION, false)
    );
    assert_eq!(blob_of(w.gv), before);
    // The forged chain's posts are not Alice's, nor anyone's.
    let post = fake
        .post(&mut w.rng, T0, b"alice says: pay mallory")
        .unwrap();
    assert_eq!(
        receive(w.gv, &post.bytes),
        Err(sw_result::SW_GROUP_UNKNOWN_CHAIN)
    );
    // Alice's genuine distribution, over her session, is hers.
    let da = w.da.clone();
    w.alice_sends(&da);
    assert_eq!(accept(w.gv, w.v_from_a), (sw_result::SW_OK, true));
    let post = w.post_a(b"from alice");
    let (plain, sender) = receive(w.gv, &post).unwrap();
    assert_eq!((&plain[..], sender), (&b"from alice"[..], *ak.as_bytes()));
}

#[test]
fn mallorys_distribution_is_mallorys_chain() {
    let mut w = World::new(2);
    let (ak, mk) = (*w.a.public(), *w.m.public());
    let dm = w.dm.clone();
    w.mallory_sends(&dm);
    assert_eq!(accept(w.gv, w.v_from_m), (sw_result::SW_OK, true));
    // Taken: a second accept finds nothing, and changes nothing.
    let before = blob_of(w.gv);
    assert_eq!(
        accept(w.gv, w.v_from_m),
        (sw_result::SW_GROUP_NO_DISTRIBUTION, false)
    );
    assert_eq!(blob_of(w.gv), before);
    // Mallory's posts are reported as Mallory's.
    let post = w.post_m(b"from mallory");
    let (plain, sender) = receive(w.gv, &post).unwrap();
    assert_eq!((&plain[..], sender), (&b"from mallory"[..], *mk.as_bytes()));
    // Alice's posts do not open under Mallory's chain.
    let pa = w.post_a(b"from alice");
    assert_eq!(receive(w.gv, &pa), Err(sw_result::SW_GROUP_UNKNOWN_CHAIN));

    // Mallory, a member, holds Alice's chain: she re-sends it as her own
    // (sender rewritten, the only way past the session's peer).
    let mut copy = w.da.clone();
    copy[SENDER].copy_from_slice(mk.as_bytes());
    w.mallory_sends(&copy);
    assert_eq!(accept(w.gv, w.v_from_m), (sw_result::SW_OK, true));
    // Alice's posts are never attributed to Mallory: Alice's post signature
    // binds Alice's identity, which Mallory's copy is not held under.
    let refused = receive(w.gv, &pa).unwrap_err();
    assert!(
        [
            sw_result::SW_GROUP_UNKNOWN_CHAIN,
            sw_result::SW_GROUP_BAD_SIGNATURE
        ]
        .contains(&refused),
        "{refused:?}"
    );
    // Alice's own distribution makes them readable, as Alice's.
    let da = w.da.clone();
    w.alice_sends(&da);
    assert_eq!(accept(w.gv, w.v_from_a), (sw_result::SW_OK, true));
    let (plain, sender) = receive(w.gv, &pa).unwrap();
    assert_eq!((&plain[..], sender), (&b"from alice"[..], *ak.as_bytes()));
}

#[test]
fn only_a_pending_distribution_is_accepted_and_only_once() {
    let mut w = World::new(3);
    let before = blob_of(w.gv);
    // Fresh sessions hold none.
    for s in [w.v_from_a, w.v_from_m] {
        assert_eq!(
            accept(w.gv, s),
            (sw_result::SW_GROUP_NO_DISTRIBUTION, false)
        );
    }
    // A user message is not kept.
    let msg = w
        .m_to_v
        .encrypt(&mut w.rng, T0, Outgoing::message(b"hello"))
        .unwrap()
        .message;
    let (_, info) = decrypt(w.v_from_m, &msg);
    assert_eq!(info.content_type, sw_content_type::SW_CONTENT_USER_MESSAGE);
    assert_eq!(
        accept(w.gv, w.v_from_m),
        (sw_result::SW_GROUP_NO_DISTRIBUTION, false)
    );
    assert_eq!(blob_of(w.gv), before);

    // Wrong handles: refused before anything is read.
    assert_eq!(
        accept(w.gv, w.gv.cast()),
        (sw_result::SW_INVALID_HANDLE, false)
    );
    assert_eq!(
        accept(w.v_from_m.cast(), w.v_from_m),
        (sw_result::SW_INVALID_HANDLE, false)
    );

    // A distribution stays pending across other messages, is kept out of
    // the saved session, and is replaced by the next one.
    let dm = w.dm.clone();
    w.mallory_sends(&dm);
    let msg = w
        .m_to_v
        .encrypt(&mut w.rng, T0, Outgoing::message(b"after"))
        .unwrap()
        .message;
    decrypt(w.v_from_m, &msg);
    let mut blob = vec![0u8; 1 << 16];
    let mut n = 0usize;
    let mut loaded = null_mut();
    // SAFETY: live handles and buffers with their lengths, valid
    // out-parameters.
    unsafe {
        assert_eq!(
            sw_session_save(w.v_from_m, blob.as_mut_ptr(), blob.len(), &mut n),
            sw_result::SW_OK
        );
        assert_eq!(
            sw_session_load(blob.as_ptr(), n, &mut loaded),
            sw_result::SW_OK
        );
    }
    assert_eq!(
        accept(w.gv, loaded),
        (sw_result::SW_GROUP_NO_DISTRIBUTION, false)
    );
    // SAFETY: made above, freed once.
    unsafe { sw_session_free(loaded) };
    // Mallory rotates before V accepted: only the newer chain is pending.
    let rotated = w.gm.rotate(&mut w.rng, T0).body.to_vec();
    w.mallory_sends(&rotated);
    assert_eq!(accept(w.gv, w.v_from_m), (sw_result::SW_OK, true));
    assert_eq!(
        accept(w.gv, w.v_from_m),
        (sw_result::SW_GROUP_NO_DISTRIBUTION, false)
    );
    let post = w.post_m(b"new chain");
    assert_eq!(receive(w.gv, &post).unwrap().1, *w.m.public().as_bytes());

    // The same distribution sent twice: two messages, each accepted once
    // (the second: already held).
    w.mallory_sends(&rotated);
    assert_eq!(accept(w.gv, w.v_from_m), (sw_result::SW_OK, false));

    // A distribution routed to the wrong group stays pending for the right
    // one.
    let (ak, mk, vk) = (*w.a.public(), *w.m.public(), *w.v.public());
    let other = GroupId::from_bytes([0x6f; 16]);
    let (gv2, _) = Group::create_with_id(&mut w.rng, T0, other, vk, &[ak, mk]).unwrap();
    let gv2 = c_group(&gv2);
    let (_, d_other) = Group::create_with_id(&mut w.rng, T0, other, mk, &[ak, vk]).unwrap();
    w.mallory_sends(&d_other.body);
    let before = blob_of(w.gv);
    assert_eq!(
        accept(w.gv, w.v_from_m),
        (sw_result::SW_GROUP_WRONG_GROUP, false)
    );
    assert_eq!(blob_of(w.gv), before);
    assert_eq!(accept(gv2, w.v_from_m), (sw_result::SW_OK, true));
    // SAFETY: made above, freed once.
    unsafe { sw_group_free(gv2) };
}

/// The three decrypt paths keep a distribution: the responder's first
/// message (`sw_session_accept`), a pending session's first reply, an
/// established session (the in-place path, covered above).
#[test]
fn every_decrypt_path_keeps_the_distribution() {
    let mut rng = DangerDeterministicRng::from_u64(4);
    let a = IdentityKeyPair::generate(&mut rng);
    let v = IdentityKeyPair::generate(&mut rng);
    let (ak, vk) = (*a.public(), *v.public());
    let (mut ga, da) = Group::create_with_id(&mut rng, T0, GID, ak, &[vk]).unwrap();
    let (gv, _) = Group::create_with_id(&mut rng, T0, GID, vk, &[ak]).unwrap();

    // 1. Alice starts the session with a distribution: V accepts the
    // prekey message through the C API.
    let store = PrekeyStore::new(&v, &mut rng);
    let bundle = store.bundle(&v, None).unwrap();
    let mut to_v = SessionRecord::from(PendingSession::initiate(&mut rng, &a, &bundle).unwrap());
    let msg = da.encrypt_for(&mut to_v, &mut rng, T0).unwrap();
    let store_blob = store.to_blob();
    let seed = v.danger_seed_bytes();
    let (mut id, mut cstore, mut session) = (null_mut(), null_mut(), null_mut());
    let mut plain = vec![0u8; msg.len()];
    let mut n = 0usize;
    let mut info = MaybeUninit::<sw_received_info>::uninit();
    let g = c_group(&gv);
    // SAFETY: live buffers with their lengths, live handles, valid
    // out-parameters.
    unsafe {
        assert_eq!(
            sw_identity_from_seed(seed.as_ptr(), seed.len(), &mut id),
            sw_result::SW_OK
        );
        assert_eq!(
            sw_prekey_store_load(store_blob.as_ptr(), store_blob.len(), &mut cstore),
            sw_result::SW_OK
        );
        assert_eq!(
            sw_session_accept(
                id,
                cstore,
                NOW,
                msg.as_ptr(),
                msg.len(),
                plain.as_mut_ptr(),
                plain.len(),
                &mut n,
                info.as_mut_ptr(),
                &mut session,
            ),
            sw_result::SW_OK
        );
        assert_eq!(
            info.assume_init().content_type,
            sw_content_type::SW_CONTENT_GROUP_KEY_DISTRIBUTION
        );
    }
    assert_eq!(&plain[..n], &da.body[..]);
    assert_eq!(accept(g, session), (sw_result::SW_OK, true));
    let post = ga.post(&mut rng, T0, b"hi").unwrap().bytes;
    assert_eq!(receive(g, &post).unwrap().1, *ak.as_bytes());

    // 2. V started a session with Alice (pending, C); Alice's first reply
    // is a distribution: it establishes the session and is kept.
    let mut a_store = PrekeyStore::new(&a, &mut rng);
    let a_bundle = a_store.bundle(&a, None).unwrap();
    let mut pending = PendingSession::initiate(&mut rng, &v, &a_bundle).unwrap();
    let hello = pending
        .encrypt(&mut rng, T0, Outgoing::message(b"hello"))
        .unwrap()
        .message;
    let v_pending = c_session(SessionRecord::from(pending));
    let (a_session, _) = Session::accept(&a, &mut a_store, T0, &hello).unwrap();
    let mut a_session = SessionRecord::from(a_session);
    let rotated = ga.rotate(&mut rng, T0);
    let reply = rotated.encrypt_for(&mut a_session, &mut rng, T0).unwrap();
    let (body, info) = decrypt(v_pending, &reply);
    assert_eq!(body, &rotated.body[..]);
    assert_eq!(info.sender, *ak.as_bytes());
    let mut established = false;
    // SAFETY: a live handle and a valid out-parameter.
    unsafe {
        assert_eq!(
            sw_session_is_established(v_pending, &mut established),
            sw_result::SW_OK
        );
    }
    assert!(established);
    assert_eq!(accept(g, v_pending), (sw_result::SW_OK, true));
    let post = ga.post(&mut rng, T0, b"rotated").unwrap().bytes;
    assert_eq!(receive(g, &post).unwrap().1, *ak.as_bytes());

    // SAFETY: handles made above, each freed once.
    unsafe {
        sw_session_free(session);
        sw_session_free(v_pending);
        sw_prekey_store_free(cstore);
        sw_identity_free(id);
        sw_group_free(g);
    }
}

#[test]
fn only_the_owners_session_brings_a_subscriber_a_chain() {
    let mut w = World::new(5);
    let (ak, mk, vk) = (*w.a.public(), *w.m.public(), *w.v.public());
    // Alice owns the channel; V subscribes (C).
    let (mut owner, d) = ChannelOwner::create_with_id(&mut w.rng, T0, CID, ak, &[vk]).unwrap();
    let mut sub = null_mut();
    // SAFETY: live buffers with their lengths and a valid out-parameter.
    unsafe {
        assert_eq!(
            sw_channel_subscriber_new(
                CID.as_bytes().as_ptr(),
                16,
                vk.as_bytes().as_ptr(),
                32,
                ak.as_bytes().as_ptr(),
                32,
                &mut sub,
            ),
            sw_result::SW_OK
        );
    }
    // Mallory's own channel under the same id: she may not post there.
    let (mut fake, dfake) = ChannelOwner::create_with_id(&mut w.rng, T0, CID, mk, &[vk]).unwrap();
    w.mallory_sends(&dfake.body);
    assert_eq!(
        accept_sub(sub, w.v_from_m),
        (sw_result::SW_GROUP_NOT_A_MEMBER, false)
    );
    // Her channel state under Alice's name: the session says Mallory.
    let (_, forged) = ChannelOwner::create_with_id(&mut w.rng, T0, CID, ak, &[vk]).unwrap();
    w.mallory_sends(&forged.body);
    assert_eq!(
        accept_sub(sub, w.v_from_m),
        (sw_result::SW_GROUP_SENDER_MISMATCH, false)
    );
    let post = fake.post(&mut w.rng, T0, b"fake news").unwrap().bytes;
    assert_eq!(
        receive_sub(sub, &post),
        Err(sw_result::SW_GROUP_UNKNOWN_CHAIN)
    );
    // The owner's distribution, over the owner's session.
    w.alice_sends(&d.body);
    assert_eq!(accept_sub(sub, w.v_from_a), (sw_result::SW_OK, true));
    assert_eq!(
        accept_sub(sub, w.v_from_a),
        (sw_result::SW_GROUP_NO_DISTRIBUTION, false)
    );
    let post = owner.post(&mut w.rng, T0, b"news").unwrap().bytes;
    let (plain, sender) = receive_sub(sub, &post).unwrap();
    assert_eq!((&plain[..], sender), (&b"news"[..], *ak.as_bytes()));
    // SAFETY: made above, freed once.
    unsafe { sw_channel_subscriber_free(sub) };
}
