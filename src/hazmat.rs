//! **DANGER: the low-level API, behind the `hazmat` cargo feature.** It
//! exists for the known-answer transcripts of SPEC.md, for interop tests and
//! for tests that play a misbehaving peer; a product never needs it, and
//! misuse breaks security outright:
//!
//! - the explicit-key constructors ([`x3dh_initiator`], [`pqxdh_initiator`],
//!   [`initiate_with_keys`], [`initiate_pq_with_keys`],
//!   [`ml_kem_encapsulate`]) take the ephemeral secrets and the KEM
//!   randomness from the caller: a repeated or guessable value reveals the
//!   session keys;
//! - [`respond_with_fields`] and [`respond_with_pq_fields`] build a
//!   responder without consuming the one-time prekeys (replays succeed);
//! - the raw ratchet operations ([`encrypt_raw`], [`decrypt_raw`] and
//!   their variants) skip the inner frame, and
//!   [`encrypt_raw_with_nonce_mask`] reuses a (key, nonce) pair when a mask
//!   is repeated at a chain position;
//! - [`session_keys`] hands out the root and chain keys, [`x25519`],
//!   [`kdf_rk`] and [`kdf_ck`] the primitives' secret outputs;
//! - [`danger_establish`] skips the typestate (a pending session becomes
//!   established without its peer's reply), and
//!   [`danger_set_sending_index`] / [`danger_set_receiving_index`] relabel
//!   chain positions;
//! - [`danger_encrypt_with_timer`] and [`danger_post_with_timer`] send frames
//!   whose timer the session never set;
//! - [`seal_with_ephemeral`] and [`seal_post_with_secret`] seal with a
//!   caller's ephemeral secret or `M` (a repeated value reuses a key and
//!   nonce).
//!
//! Nothing here exposes the ratchet state itself: the raw operations take
//! any [`RawRatchet`] (a sealed trait of [`Session`] and
//! [`PendingSession`]).

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::bundle::PrekeyBundle;
use crate::dh::DhKeyPair;
use crate::error::{DecodeError, SessionError};
use crate::handshake;
use crate::handshake::PqPrekeyFields;
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::kem::{KEM_CIPHERTEXT_LEN, KEM_PUBLIC_KEY_LEN as PQ_PUBLIC_KEY_LEN, KemKeyPair};
use crate::prekey::PrekeyStore;
use crate::ratchet::chain_key::ChainKey;
use crate::ratchet::root_key::RootKey;
use crate::session::transport::PrekeyFields;
use crate::wire::{HEADER_LEN, NONCE_MASK_LEN, RatchetHeader, TAG_LEN};
use crate::{PendingSession, Session};

/// X3DH as the initiator with an explicit ephemeral secret: `(SK, AD)`.
pub fn x3dh_initiator(
    identity: &IdentityKeyPair,
    ephemeral_secret: [u8; 32],
    bundle: &PrekeyBundle,
) -> Result<([u8; 32], [u8; 66]), SessionError> {
    let (out, _) = handshake::initiator(
        identity,
        &DhKeyPair::from_secret_bytes(ephemeral_secret),
        bundle,
        None,
    )?;
    Ok((*out.shared_secret, out.associated_data))
}

/// The result of [`pqxdh_initiator`]: `SK`, `AD`, the PQ prekey id and the
/// ML-KEM-768 ciphertext.
pub type PqxdhInitiatorOutput = ([u8; 32], [u8; 66], u32, Box<[u8; KEM_CIPHERTEXT_LEN]>);

/// PQXDH as the initiator with an explicit ephemeral secret and explicit
/// encapsulation randomness `m` (the bundle must have a PQ prekey):
/// `(SK, AD, pq_prekey_id, ciphertext)`.
pub fn pqxdh_initiator(
    identity: &IdentityKeyPair,
    ephemeral_secret: [u8; 32],
    bundle: &PrekeyBundle,
    kem_randomness: &[u8; 32],
) -> Result<PqxdhInitiatorOutput, SessionError> {
    let (out, pq) = handshake::initiator(
        identity,
        &DhKeyPair::from_secret_bytes(ephemeral_secret),
        bundle,
        Some(kem_randomness),
    )?;
    let pq = pq.ok_or(SessionError::UnknownPqPrekey)?;
    Ok((
        *out.shared_secret,
        out.associated_data,
        pq.pq_prekey_id,
        pq.ciphertext,
    ))
}

/// The ML-KEM-768 encapsulation key of a seed `d || z`.
pub fn ml_kem_public(seed: &[u8; 64]) -> Box<[u8; PQ_PUBLIC_KEY_LEN]> {
    Box::new(*KemKeyPair::from_seed(seed).public())
}

/// ML-KEM-768 encapsulation with explicit randomness `m`:
/// `(ciphertext, shared secret)`. An encapsulation key that fails the FIPS
/// 203 checks is `InvalidKey`.
pub fn ml_kem_encapsulate(
    public: &[u8; PQ_PUBLIC_KEY_LEN],
    m: &[u8; 32],
) -> Result<(Box<[u8; KEM_CIPHERTEXT_LEN]>, [u8; 32]), DecodeError> {
    let (ct, ss) = crate::kem::encapsulate(public, m)?;
    Ok((ct, *ss))
}

/// ML-KEM-768 decapsulation with the key of a seed `d || z`.
pub fn ml_kem_decapsulate(seed: &[u8; 64], ciphertext: &[u8; KEM_CIPHERTEXT_LEN]) -> [u8; 32] {
    *KemKeyPair::from_seed(seed).decapsulate(ciphertext)
}

/// `X25519(secret, public)` with the all-zero check.
pub fn x25519(secret: [u8; 32], public: &[u8; 32]) -> Result<[u8; 32], SessionError> {
    Ok(*DhKeyPair::from_secret_bytes(secret).diffie_hellman(public)?)
}

/// The X25519 (Montgomery) form of an identity key, as used in `DH`.
pub fn identity_x25519_public(identity: &IdentityKey) -> [u8; 32] {
    *identity.x25519()
}

/// The X25519 public key of a secret.
pub fn x25519_public(secret: [u8; 32]) -> [u8; 32] {
    *DhKeyPair::from_secret_bytes(secret).public()
}

/// `KDF_RK(rk, dh)`: `(new root key, chain key)`.
pub fn kdf_rk(root_key: [u8; 32], dh: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    let (rk, ck) = RootKey::new(root_key).advance(dh);
    (*rk.as_bytes(), *ck.as_bytes())
}

/// `KDF_CK(ck)`: `(message key, next chain key)`.
pub fn kdf_ck(chain_key: [u8; 32]) -> ([u8; 32], [u8; 32]) {
    let (mk, ck) = ChainKey::new(chain_key).step();
    (*mk.as_bytes(), *ck.as_bytes())
}

/// Starts an initiator session with explicit ephemeral and first ratchet
/// secrets.
pub fn initiate_with_keys(
    identity: &IdentityKeyPair,
    bundle: &PrekeyBundle,
    ephemeral_secret: [u8; 32],
    ratchet_secret: [u8; 32],
) -> Result<PendingSession, SessionError> {
    initiate(identity, bundle, ephemeral_secret, ratchet_secret, None)
}

/// Starts an initiator session with explicit ephemeral and first ratchet
/// secrets and explicit encapsulation randomness `m`: PQXDH if the bundle
/// has a PQ prekey.
pub fn initiate_pq_with_keys(
    identity: &IdentityKeyPair,
    bundle: &PrekeyBundle,
    ephemeral_secret: [u8; 32],
    ratchet_secret: [u8; 32],
    kem_randomness: &[u8; 32],
) -> Result<PendingSession, SessionError> {
    initiate(
        identity,
        bundle,
        ephemeral_secret,
        ratchet_secret,
        Some(kem_randomness),
    )
}

/// The initiator of [`initiate_with_keys`] and [`initiate_pq_with_keys`].
fn initiate(
    identity: &IdentityKeyPair,
    bundle: &PrekeyBundle,
    ephemeral_secret: [u8; 32],
    ratchet_secret: [u8; 32],
    kem_randomness: Option<&[u8; 32]>,
) -> Result<PendingSession, SessionError> {
    PendingSession::initiate_with_keys(
        identity,
        bundle,
        DhKeyPair::from_secret_bytes(ephemeral_secret),
        DhKeyPair::from_secret_bytes(ratchet_secret),
        kem_randomness,
    )
}

/// A responder session from the X3DH fields alone, without decrypting
/// anything and without consuming the one-time prekey.
pub fn respond_with_fields(
    identity: &IdentityKeyPair,
    prekeys: &PrekeyStore,
    their_identity: &IdentityKey,
    base_key: &[u8; 32],
    signed_prekey_id: u32,
    one_time_prekey_id: Option<u32>,
) -> Result<Session, SessionError> {
    respond_with_pq_fields(
        identity,
        prekeys,
        their_identity,
        base_key,
        signed_prekey_id,
        one_time_prekey_id,
        None,
    )
}

/// A responder session from the PQXDH fields alone (`pq` = PQ prekey id
/// and ciphertext), without decrypting anything and without consuming or
/// recording anything.
pub fn respond_with_pq_fields(
    identity: &IdentityKeyPair,
    prekeys: &PrekeyStore,
    their_identity: &IdentityKey,
    base_key: &[u8; 32],
    signed_prekey_id: u32,
    one_time_prekey_id: Option<u32>,
    pq: Option<(u32, &[u8; KEM_CIPHERTEXT_LEN])>,
) -> Result<Session, SessionError> {
    Session::respond(
        identity,
        prekeys,
        PrekeyFields {
            identity_key: *their_identity,
            base_key: *base_key,
            signed_prekey_id,
            one_time_prekey_id,
            pq: pq.map(|(id, ct)| PqPrekeyFields {
                pq_prekey_id: id,
                ciphertext: Box::new(*ct),
            }),
        },
    )
}

/// Either phase of a session ([`Session`], [`PendingSession`]), for the raw
/// operations of this module. Sealed: only this crate implements it, and it
/// gives no access to the ratchet state.
///
/// ```compile_fail,E0277
/// struct Mine;
/// impl sealwire::hazmat::RawRatchet for Mine {}
/// ```
pub trait RawRatchet: sealed::Sealed {}

impl RawRatchet for Session {}
impl RawRatchet for PendingSession {}

mod sealed {
    use crate::ratchet::RatchetState;
    use crate::{PendingSession, Session};

    /// A borrow of a session's ratchet, opaque outside this crate.
    pub struct Ratchet<'a>(pub(super) &'a mut RatchetState);

    /// A shared borrow of a session's ratchet, opaque outside this crate.
    pub struct RatchetRef<'a>(pub(super) &'a RatchetState);

    /// The private half of [`RawRatchet`](super::RawRatchet).
    pub trait Sealed {
        /// The session's ratchet.
        fn ratchet(&mut self) -> Ratchet<'_>;
        /// The session's ratchet, shared.
        fn ratchet_ref(&self) -> RatchetRef<'_>;
    }

    impl Sealed for Session {
        fn ratchet(&mut self) -> Ratchet<'_> {
            Ratchet(self.state_mut())
        }
        fn ratchet_ref(&self) -> RatchetRef<'_> {
            RatchetRef(self.state())
        }
    }

    impl Sealed for PendingSession {
        fn ratchet(&mut self) -> Ratchet<'_> {
            Ratchet(self.state_mut())
        }
        fn ratchet_ref(&self) -> RatchetRef<'_> {
            RatchetRef(self.state())
        }
    }
}

/// Encrypts `plaintext` as the AEAD plaintext itself (no inner frame):
/// returns `header || ciphertext || tag`, as in the shared transcript.
pub fn encrypt_raw<S: RawRatchet, R: rand_core::CryptoRng + ?Sized>(
    session: &mut S,
    rng: &mut R,
    plaintext: &[u8],
) -> Result<Vec<u8>, SessionError> {
    let mut buf = plaintext.to_vec();
    let sealed = session.ratchet().0.encrypt(rng, &mut buf)?;
    Ok(raw_message(sealed, None, &buf))
}

/// [`encrypt_raw`] with the header's nonce mask `r` given instead of drawn
/// (SPEC.md §5.4): with `r = 0` the AEAD key and nonce are the derived
/// ones, so the ciphertext is the known-answer transcript's, whose headers
/// are the first 40 bytes of ours (the tag differs: `r` is in the AAD).
/// Reusing an `r` at a repeated chain position reuses a (key, nonce) pair:
/// tests only.
pub fn encrypt_raw_with_nonce_mask<S: RawRatchet, R: rand_core::CryptoRng + ?Sized>(
    session: &mut S,
    rng: &mut R,
    plaintext: &[u8],
    nonce_mask: [u8; NONCE_MASK_LEN],
) -> Result<Vec<u8>, SessionError> {
    let mut buf = plaintext.to_vec();
    let sealed = session
        .ratchet()
        .0
        .encrypt_masked(rng, &mut buf, None, Some(nonce_mask))?;
    Ok(raw_message(sealed, None, &buf))
}

/// Encrypts `plaintext` as the AEAD plaintext itself with a franking
/// commitment bound into the associated data (`AD || header || cf`):
/// returns `header || cf || ciphertext || tag`, the body of a franked
/// ratchet message (type `0x81`). Lets tests play a dishonest sender who
/// commits to one frame and encrypts another.
pub fn encrypt_raw_franked<S: RawRatchet, R: rand_core::CryptoRng + ?Sized>(
    session: &mut S,
    rng: &mut R,
    plaintext: &[u8],
    commitment: &[u8; 32],
) -> Result<Vec<u8>, SessionError> {
    let mut buf = plaintext.to_vec();
    let sealed = session
        .ratchet()
        .0
        .encrypt_bound(rng, &mut buf, Some(commitment))?;
    Ok(raw_message(sealed, Some(commitment), &buf))
}

/// `header || [commitment] || ciphertext || tag`.
fn raw_message(
    (header, tag): (RatchetHeader, [u8; TAG_LEN]),
    commitment: Option<&[u8; 32]>,
    ciphertext: &[u8],
) -> Vec<u8> {
    let commitment: &[u8] = commitment.map_or(&[], |c| c);
    let mut out = Vec::with_capacity(
        ciphertext
            .len()
            .saturating_add(HEADER_LEN + TAG_LEN)
            .saturating_add(commitment.len()),
    );
    out.extend_from_slice(&header.to_bytes());
    out.extend_from_slice(commitment);
    out.extend_from_slice(ciphertext);
    out.extend_from_slice(&tag);
    out
}

/// Decrypts `header || ciphertext || tag` with no inner frame.
pub fn decrypt_raw<S: RawRatchet>(
    session: &mut S,
    now_ms: u64,
    wire: &[u8],
) -> Result<Vec<u8>, SessionError> {
    let header = RatchetHeader::from_bytes(
        wire.get(..HEADER_LEN)
            .ok_or(SessionError::AuthenticationFailed)?,
    )?;
    let rest = wire
        .get(HEADER_LEN..)
        .ok_or(SessionError::AuthenticationFailed)?;
    let split = rest
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(SessionError::AuthenticationFailed)?;
    let (ct, tag) = rest.split_at(split);
    let mut tag_bytes = [0u8; TAG_LEN];
    tag_bytes.copy_from_slice(tag);
    let mut buf = ct.to_vec();
    let retention = crate::ratchet::Retention {
        max_age_ms: crate::limits::MAX_SKIPPED_KEY_AGE_MS,
        after_send_ttl_ms: None,
    };
    session.ratchet().0.decrypt(
        &header,
        &mut buf,
        &tag_bytes,
        now_ms,
        &retention,
        |_| Ok(()),
    )?;
    Ok(buf)
}

/// `(root key, sending chain key, receiving chain key)` of a session.
pub fn session_keys<S: RawRatchet>(session: &S) -> ([u8; 32], Option<[u8; 32]>, Option<[u8; 32]>) {
    session.ratchet_ref().0.danger_keys()
}

/// The X3DH associated data a session binds into every message.
pub fn associated_data<S: RawRatchet>(session: &S) -> [u8; 66] {
    *session.ratchet_ref().0.associated_data()
}

/// Turns a pending session into an established one without a reply (for
/// the raw transcript, whose replies are not framed).
pub fn danger_establish(pending: PendingSession) -> Session {
    pending.into_established_unchecked()
}

/// Relabels the position of a session's current sending chain, keeping its
/// chain key, so that tests reach the end of the counter space without
/// sending four billion messages. The peer's receiving chain must be
/// relabelled to the same position with [`danger_set_receiving_index`] for
/// the two to stay in step. Returns `false` if there is no sending chain.
pub fn danger_set_sending_index<S: RawRatchet>(session: &mut S, index: u32) -> bool {
    session.ratchet().0.danger_set_sending_index(index)
}

/// Relabels the position of a session's current receiving chain, keeping
/// its chain key (see [`danger_set_sending_index`]). Returns `false` if
/// there is no receiving chain.
pub fn danger_set_receiving_index<S: RawRatchet>(session: &mut S, index: u32) -> bool {
    session.ratchet().0.danger_set_receiving_index(index)
}

/// The signed-prekey signature check of bundle verification, on any message:
/// the identity key is parsed as [`IdentityKey::from_bytes`] does (canonical,
/// not of small order) and the signature verified with strict Ed25519.
pub fn verify_signature_strict(identity_pub: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    match IdentityKey::from_bytes(identity_pub) {
        Ok(key) => key.verify_strict(msg, sig),
        Err(_) => false,
    }
}

/// Encrypts a frame that claims an arbitrary conversation timer and content
/// type, as a misbehaving peer could: for tests of the timer rules. The
/// session's own timer is not changed.
pub fn danger_encrypt_with_timer<R: rand_core::CryptoRng + ?Sized>(
    session: &mut Session,
    rng: &mut R,
    now_ms: u64,
    content_type: crate::ContentType,
    timer: crate::expiry::ConversationTimer,
    body: &[u8],
) -> Result<Vec<u8>, SessionError> {
    let meta = crate::frame::FrameMeta {
        content_type,
        sent_at: now_ms,
        timer,
    };
    session.conversation_mut().seal_vec(None, rng, &meta, body)
}

/// Seals a group post whose frame claims an arbitrary timer and content
/// type, as a misbehaving member could: for tests of the timer rules. The
/// group's own timer is not changed.
pub fn danger_post_with_timer<R: rand_core::CryptoRng + ?Sized>(
    group: &mut crate::group::Group,
    rng: &mut R,
    now: crate::Timestamp,
    content_type: crate::ContentType,
    timer: crate::expiry::ConversationTimer,
    body: &[u8],
) -> Result<crate::group::Post, crate::group::GroupError> {
    let meta = crate::frame::FrameMeta {
        content_type,
        sent_at: now.as_unix_millis(),
        timer,
    };
    group.core.seal_vec(rng, now, &meta, body)
}

/// [`sealed::seal`](crate::sealed::seal) with the ephemeral X25519 secret
/// given instead of drawn: for the known answers of SPEC.md §22. A
/// repeated secret reuses the envelope's key and nonce.
pub fn seal_with_ephemeral(
    ephemeral_secret: [u8; 32],
    recipient: &IdentityKey,
    certificate: &crate::sealed::SenderCertificate,
    message: &[u8],
) -> Result<Vec<u8>, crate::sealed::SealedError> {
    crate::sealed::seal_with(
        &DhKeyPair::from_secret_bytes(ephemeral_secret),
        recipient,
        certificate,
        message,
    )
}

/// [`sealed::seal_post`](crate::sealed::seal_post) with the secret `M`
/// given instead of drawn: for the known answers of SPEC.md §22. A
/// repeated `M` reuses the body's key and nonce.
pub fn seal_post_with_secret(
    secret: &[u8; 32],
    recipients: &[IdentityKey],
    certificate: &crate::sealed::SenderCertificate,
    post: &[u8],
) -> Result<Vec<u8>, crate::sealed::SealedError> {
    crate::sealed::seal_post_with(secret, recipients, certificate, post)
}
