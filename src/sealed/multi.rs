//! The multi-recipient sealed form for group posts (SPEC.md §22.4), in the
//! manner of Signal's sealed sender v2: the body (certificate and post) is
//! encrypted once under a key derived from a random secret `M`, and each
//! recipient gets `M` wrapped under one X25519 with its identity key. The
//! relay splits the message into one [sealed post](open_post) per
//! recipient without any key ([`MultiRecipientMessage`]).

use alloc::vec::Vec;

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use hmac::Mac;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::address::DeviceAddress;
use crate::devices::DeviceList;
use crate::dh::DhKeyPair;
use crate::error::DecodeError;
use crate::group::{
    GroupError, GroupId, GroupReceived, GroupState, MAX_POST_LEN, Receives, parse_post_header,
};
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::kdf::{hkdf_sha256, hmac_finalize, hmac_keyed};
use crate::limits::{
    MAX_MULTI_RECIPIENT_LEN, MAX_SEALED_POST_BODY_LEN, MAX_SEALED_POST_LEN, MAX_SEALED_RECIPIENTS,
    SEALED_RECIPIENT_ENTRY_LEN,
};
use crate::sealed::certificate::SenderCertificate;
use crate::sealed::envelope::{parse_contents, verify_sender};
use crate::sealed::error::SealedError;
use crate::sealed::server::TrustedServerKeys;
use crate::sealed::{
    SEALED_POST_INFO, SEALED_RECIPIENT_INFO, SEALED_VERSION, TYPE_MULTI_RECIPIENT, TYPE_SEALED_POST,
};
use crate::time::Timestamp;
use crate::wire::TAG_LEN;
use crate::wire::codec::Reader;

/// Length of the wrapped secret `C`.
const WRAPPED_LEN: usize = 32;
/// Length of a recipient's tag `AT`.
const AT_LEN: usize = 16;
/// A multi-recipient message's header: version, type, `E`, count.
const MULTI_HEADER_LEN: usize = 1 + 1 + 32 + 2;
/// A sealed post's header: version, type, `E`, `C`, `AT`.
const POST_HEADER_LEN: usize = 1 + 1 + 32 + WRAPPED_LEN + AT_LEN;

const _: () = assert!(
    MAX_SEALED_POST_BODY_LEN
        == 2 + crate::limits::MAX_SENDER_CERTIFICATE_LEN + MAX_POST_LEN + TAG_LEN,
    "limits computes the largest post itself (it sits below the groups)"
);

/// `HKDF(0x00*32, M, "Sealwire_SealedPost_v1", 64)`: the ephemeral
/// secret `e` (its first 32 bytes, clamped by X25519) and the body key `K`.
fn secrets_of(m: &[u8; 32]) -> (DhKeyPair, Zeroizing<[u8; 32]>) {
    let okm: Zeroizing<[u8; 64]> = Zeroizing::new(hkdf_sha256(&[0u8; 32], &[m], SEALED_POST_INFO));
    let (e, k) = okm.split_at(32);
    let mut e_bytes = Zeroizing::new([0u8; 32]);
    e_bytes.copy_from_slice(e);
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(k);
    (DhKeyPair::from_secret_bytes(*e_bytes), key)
}

/// The body's cipher: AES-256-GCM under `K` with the all-zero nonce (`K`
/// is fresh per message, so the nonce is used once).
fn body_cipher(key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new(&(*key).into())
}

/// One recipient's mask for `M` and tag key: `HKDF(0x00*32, X25519(e,
/// IK_i), "Sealwire_SealedPostRecipient_v1" || E || Encode(IK_i), 64)`.
fn recipient_keys(
    shared: &[u8; 32],
    ephemeral: &[u8; 32],
    recipient: &IdentityKey,
) -> Zeroizing<[u8; 64]> {
    let mut info = [0u8; SEALED_RECIPIENT_INFO.len() + 32 + 33];
    let (label, rest) = info.split_at_mut(SEALED_RECIPIENT_INFO.len());
    label.copy_from_slice(SEALED_RECIPIENT_INFO);
    let (e, ik) = rest.split_at_mut(32);
    e.copy_from_slice(ephemeral);
    ik.copy_from_slice(&recipient.encode());
    Zeroizing::new(hkdf_sha256(&[0u8; 32], &[shared], &info))
}

/// `AT_i = HMAC(tag key, E || C_i || IK_i)[0..16]`.
fn recipient_tag(
    tag_key: &[u8],
    ephemeral: &[u8; 32],
    wrapped: &[u8; WRAPPED_LEN],
    recipient: &IdentityKey,
) -> [u8; AT_LEN] {
    let mut mac = hmac_keyed(tag_key);
    mac.update(ephemeral);
    mac.update(wrapped);
    mac.update(recipient.as_bytes());
    let full = hmac_finalize(mac);
    let mut out = [0u8; AT_LEN];
    for (o, b) in out.iter_mut().zip(full.iter()) {
        *o = *b;
    }
    out
}

/// `(C, AT)` of one recipient: `M` wrapped under its mask, and its tag.
fn wrap_for(
    e: &DhKeyPair,
    m: &[u8; 32],
    recipient: &IdentityKey,
) -> Result<([u8; WRAPPED_LEN], [u8; AT_LEN]), SealedError> {
    // A valid identity key is never of small order: this cannot fail.
    let shared = e
        .diffie_hellman(recipient.x25519())
        .map_err(|_| DecodeError::InvalidKey)?;
    let keys = recipient_keys(&shared, e.public(), recipient);
    let (mask, tag_key) = keys.split_at(32);
    let mut wrapped = [0u8; WRAPPED_LEN];
    for ((w, a), b) in wrapped.iter_mut().zip(m.iter()).zip(mask.iter()) {
        *w = a ^ b;
    }
    let tag = recipient_tag(tag_key, e.public(), &wrapped, recipient);
    Ok((wrapped, tag))
}

/// Seals a group post (as [`GroupState::post`] returned it) with the
/// sender's `certificate` for every device in `recipients` (SPEC.md
/// §22.4), in one message for the relay to split
/// ([`MultiRecipientMessage`]): a random secret `M` is drawn from `rng`,
/// the certificate and post are encrypted once under a key derived from
/// it, and each recipient gets `M` wrapped under `X25519(e, IK_i)`, where
/// the ephemeral key `e` is itself derived from `M`: one X25519, a few
/// hashes and a 32-byte XOR per recipient.
///
/// `recipients` must name 1 to [`MAX_SEALED_RECIPIENTS`] distinct keys
/// ([`SealedError::InvalidRecipients`]); `post` must be a post's layout
/// (`Malformed`). Nothing is kept.
pub fn seal_post<G: rand_core::CryptoRng + ?Sized>(
    rng: &mut G,
    recipients: &[IdentityKey],
    certificate: &SenderCertificate,
    post: &[u8],
) -> Result<Vec<u8>, SealedError> {
    check_post_inputs(recipients, post)?;
    let mut m = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(m.as_mut());
    seal_post_checked(&m, recipients, certificate, post)
}

/// The length of the multi-recipient message [`seal_post`] makes for
/// `recipients` with `certificate` and `post` (to size a buffer before
/// sealing), or the error [`seal_post`] would return for them. Draws
/// nothing.
pub fn multi_recipient_len(
    recipients: &[IdentityKey],
    certificate: &SenderCertificate,
    post: &[u8],
) -> Result<usize, SealedError> {
    check_post_inputs(recipients, post)?;
    Ok(MULTI_HEADER_LEN
        .saturating_add(recipients.len().saturating_mul(SEALED_RECIPIENT_ENTRY_LEN))
        .saturating_add(2)
        .saturating_add(certificate.encoded_len())
        .saturating_add(post.len())
        .saturating_add(TAG_LEN))
}

/// [`seal_post`] with `M` given (the hazmat known-answer path).
#[cfg(feature = "hazmat")]
pub(crate) fn seal_post_with(
    m: &[u8; 32],
    recipients: &[IdentityKey],
    certificate: &SenderCertificate,
    post: &[u8],
) -> Result<Vec<u8>, SealedError> {
    check_post_inputs(recipients, post)?;
    seal_post_checked(m, recipients, certificate, post)
}

fn check_post_inputs(recipients: &[IdentityKey], post: &[u8]) -> Result<(), SealedError> {
    if recipients.is_empty() || recipients.len() > MAX_SEALED_RECIPIENTS {
        return Err(SealedError::InvalidRecipients);
    }
    let mut keys: Vec<&[u8; 32]> = recipients.iter().map(IdentityKey::as_bytes).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| matches!(w, [a, b] if a == b)) {
        return Err(SealedError::InvalidRecipients);
    }
    parse_post_header(post).map_err(post_error)?;
    Ok(())
}

/// A post that does not parse, as a sealed-sender error.
fn post_error(e: GroupError) -> SealedError {
    match e {
        GroupError::Malformed(d) => SealedError::Malformed(d),
        _ => SealedError::Malformed(DecodeError::InvalidValue),
    }
}

fn seal_post_checked(
    m: &[u8; 32],
    recipients: &[IdentityKey],
    certificate: &SenderCertificate,
    post: &[u8],
) -> Result<Vec<u8>, SealedError> {
    let (e, key) = secrets_of(m);
    let cert = certificate.to_vec();
    let cert_len = u16::try_from(cert.len()).map_err(|_| DecodeError::TooLarge)?;
    let count = u16::try_from(recipients.len()).map_err(|_| SealedError::InvalidRecipients)?;
    let entries_len = recipients.len().saturating_mul(SEALED_RECIPIENT_ENTRY_LEN);
    let capacity = MULTI_HEADER_LEN
        .saturating_add(entries_len)
        .saturating_add(2)
        .saturating_add(cert.len())
        .saturating_add(post.len())
        .saturating_add(TAG_LEN);
    let mut out = Vec::with_capacity(capacity);
    out.push(SEALED_VERSION);
    out.push(TYPE_MULTI_RECIPIENT);
    out.extend_from_slice(e.public());
    out.extend_from_slice(&count.to_be_bytes());
    for recipient in recipients {
        let (wrapped, tag) = wrap_for(&e, m, recipient)?;
        out.extend_from_slice(recipient.as_bytes());
        out.extend_from_slice(&wrapped);
        out.extend_from_slice(&tag);
    }
    let body_at = out.len();
    out.extend_from_slice(&cert_len.to_be_bytes());
    out.extend_from_slice(&cert);
    out.extend_from_slice(post);
    let (_, body) = out.split_at_mut(body_at);
    let tag = body_cipher(&key)
        .encrypt_inout_detached(&[0u8; 12].into(), e.public(), InOutBuf::from(body))
        // Only a plaintext beyond GCM's 64 GiB limit fails.
        .map_err(|_| DecodeError::TooLarge)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// A multi-recipient sealed message as the relay parses it (SPEC.md
/// §22.4), borrowing the bytes: the recipients' identity keys, and for
/// each one the sealed post to deliver. No key is needed and nothing
/// about the sender is in it.
///
/// The recipients' keys are taken as 32 opaque bytes (the relay looks
/// them up in its own records; an unknown key is delivered to nobody), so
/// parsing costs no point decompression.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MultiRecipientMessage<'a> {
    ephemeral: &'a [u8; 32],
    entries: &'a [[u8; SEALED_RECIPIENT_ENTRY_LEN]],
    body: &'a [u8],
}

impl<'a> MultiRecipientMessage<'a> {
    /// Parses a multi-recipient message, in this order: length
    /// (`TooLarge` above [`MAX_MULTI_RECIPIENT_LEN`]), version, type, the
    /// count (`InvalidValue` if 0, `TooLarge` above
    /// [`MAX_SEALED_RECIPIENTS`]), the entries (`Truncated`), the body
    /// (`Truncated` below a tag, `TooLarge` above the largest certificate
    /// and post), a recipient named twice (`InvalidValue`).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        if bytes.len() > MAX_MULTI_RECIPIENT_LEN {
            return Err(DecodeError::TooLarge);
        }
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != SEALED_VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let kind = r.u8()?;
        if kind != TYPE_MULTI_RECIPIENT {
            return Err(DecodeError::UnexpectedType(kind));
        }
        let ephemeral: &[u8; 32] = r.take(32)?.try_into().map_err(|_| DecodeError::Truncated)?;
        let count = usize::from(r.u16()?);
        if count == 0 {
            return Err(DecodeError::InvalidValue);
        }
        if count > MAX_SEALED_RECIPIENTS {
            return Err(DecodeError::TooLarge);
        }
        let (entries, rest) = r
            .take(count.saturating_mul(SEALED_RECIPIENT_ENTRY_LEN))?
            .as_chunks::<SEALED_RECIPIENT_ENTRY_LEN>();
        if !rest.is_empty() {
            return Err(DecodeError::Truncated);
        }
        let body = r.rest();
        if body.len() < TAG_LEN {
            return Err(DecodeError::Truncated);
        }
        if body.len() > MAX_SEALED_POST_BODY_LEN {
            return Err(DecodeError::TooLarge);
        }
        let mut keys: Vec<&[u8]> = entries.iter().map(|e| e.split_at(32).0).collect();
        keys.sort_unstable();
        if keys.windows(2).any(|w| matches!(w, [a, b] if a == b)) {
            return Err(DecodeError::InvalidValue);
        }
        Ok(Self {
            ephemeral,
            entries,
            body,
        })
    }

    /// How many recipients it names (at least one).
    pub fn recipient_count(&self) -> usize {
        self.entries.len()
    }

    /// The recipients' 32-byte identity keys, in the message's order.
    pub fn recipients(&self) -> impl ExactSizeIterator<Item = [u8; 32]> + 'a {
        self.entries.iter().map(|e| {
            let mut k = [0u8; 32];
            k.copy_from_slice(e.split_at(32).0);
            k
        })
    }

    /// The sealed post for the `index`th recipient (SPEC.md §22.4):
    /// `0x01 || 0x53 || E || C_i || AT_i || body`.
    pub fn message_for(&self, index: usize) -> Option<Vec<u8>> {
        let entry = self.entries.get(index)?;
        let (_, wrapped_and_tag) = entry.split_at(32);
        let mut out = Vec::with_capacity(POST_HEADER_LEN.saturating_add(self.body.len()));
        out.push(SEALED_VERSION);
        out.push(TYPE_SEALED_POST);
        out.extend_from_slice(self.ephemeral);
        out.extend_from_slice(wrapped_and_tag);
        out.extend_from_slice(self.body);
        Some(out)
    }

    /// Every recipient's key with its sealed post, in the message's order.
    pub fn split(&self) -> Vec<([u8; 32], Vec<u8>)> {
        self.recipients()
            .enumerate()
            .filter_map(|(i, k)| Some((k, self.message_for(i)?)))
            .collect()
    }
}

impl core::fmt::Debug for MultiRecipientMessage<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MultiRecipientMessage")
            .field("recipients", &self.entries.len())
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// Opens a sealed post (one recipient's part of a multi-recipient message)
/// with our identity (SPEC.md §22.4, §22.5), in this order: parse
/// (`Malformed`: length above [`MAX_SEALED_POST_LEN`] first, version,
/// type, a body shorter than a tag); then, each failure the single
/// `AuthenticationFailed`: `X25519(IK, E)` (low order), our tag `AT`,
/// `M = C XOR mask` and `E` re-derived from `M` (so that every recipient
/// has the same `M`, hence the same body key and body), the body's tag;
/// then the certificate and post (`Malformed`).
///
/// Nothing about the sender is verified yet: see
/// [`UnsealedPost::receive`]. No state is read or changed.
pub fn open_post(identity: &IdentityKeyPair, message: &[u8]) -> Result<UnsealedPost, SealedError> {
    if message.len() > MAX_SEALED_POST_LEN {
        return Err(DecodeError::TooLarge.into());
    }
    let mut r = Reader::new(message);
    let version = r.u8()?;
    if version != SEALED_VERSION {
        return Err(DecodeError::UnsupportedVersion(version).into());
    }
    let kind = r.u8()?;
    if kind != TYPE_SEALED_POST {
        return Err(DecodeError::UnexpectedType(kind).into());
    }
    let ephemeral: [u8; 32] = r.array()?;
    let wrapped: [u8; WRAPPED_LEN] = r.array()?;
    let tag: [u8; AT_LEN] = r.array()?;
    let body = r.rest();
    if body.len() < TAG_LEN {
        return Err(DecodeError::Truncated.into());
    }
    let me = identity.public();
    let shared = identity
        .diffie_hellman(&ephemeral)
        .map_err(|_| SealedError::AuthenticationFailed)?;
    let keys = recipient_keys(&shared, &ephemeral, me);
    let (mask, tag_key) = keys.split_at(32);
    let expected = recipient_tag(tag_key, &ephemeral, &wrapped, me);
    if !bool::from(expected.ct_eq(&tag)) {
        return Err(SealedError::AuthenticationFailed);
    }
    let mut m = Zeroizing::new([0u8; 32]);
    for ((o, w), k) in m.iter_mut().zip(wrapped.iter()).zip(mask.iter()) {
        *o = w ^ k;
    }
    let (e, key) = secrets_of(&m);
    if !bool::from(e.public().ct_eq(&ephemeral)) {
        return Err(SealedError::AuthenticationFailed);
    }
    let split = body.len().saturating_sub(TAG_LEN);
    let (ciphertext, body_tag) = body.split_at(split);
    let mut tag_bytes = [0u8; TAG_LEN];
    tag_bytes.copy_from_slice(body_tag);
    let mut plain = ciphertext.to_vec();
    body_cipher(&key)
        .decrypt_inout_detached(
            &[0u8; 12].into(),
            &ephemeral,
            InOutBuf::from(&mut plain[..]),
            &tag_bytes.into(),
        )
        .map_err(|_| SealedError::AuthenticationFailed)?;
    let (certificate, sender, post) = parse_contents(&plain)?;
    let group_id = parse_post_header(post).map_err(post_error)?.group_id;
    Ok(UnsealedPost {
        certificate: certificate.to_vec(),
        sender,
        group_id,
        post: post.to_vec(),
    })
}

/// An opened sealed post: the sender's certificate (not verified yet) and
/// the group post ([`open_post`]).
#[derive(Clone, PartialEq, Eq)]
pub struct UnsealedPost {
    certificate: Vec<u8>,
    sender: DeviceAddress,
    group_id: GroupId,
    post: Vec<u8>,
}

impl UnsealedPost {
    /// The certificate, as the message carries it, parsed in full
    /// ([`SenderCertificate::parse`]): **not verified**; that is
    /// [`receive`](Self::receive)'s first step.
    pub fn certificate(&self) -> Result<SenderCertificate, SealedError> {
        SenderCertificate::parse(&self.certificate)
    }

    /// Who the certificate says sent it: use it to find the device list to
    /// pass to [`receive`](Self::receive), nothing else.
    pub fn sender(&self) -> DeviceAddress {
        self.sender.clone()
    }

    /// The group the post names (to find the group to pass to
    /// [`receive`](Self::receive)).
    pub fn group_id(&self) -> GroupId {
        self.group_id
    }

    /// The group post.
    pub fn post(&self) -> &[u8] {
        &self.post
    }

    /// Verifies the sender and receives the post (SPEC.md §22.5 steps
    /// 4–6), in this order: the certificate (its identity key, then
    /// [`TrustedServerKeys::verify`] at `now`; a certificate verified
    /// before is remembered), the certificate's device
    /// in `devices` (the list of its user) with the certificate's identity
    /// key as its confirmed key (`SenderMismatch`), then the post, which
    /// must verify as a post of that identity: a post signed under another
    /// member's chain is `SenderMismatch`, before anything is decrypted;
    /// any other refusal of the group is `Group(e)`.
    ///
    /// Returns the sender's address and the post. On error nothing changed.
    pub fn receive<R: Receives>(
        &self,
        now: Timestamp,
        trusted: &mut TrustedServerKeys,
        devices: &DeviceList,
        group: &mut GroupState<R>,
    ) -> Result<(DeviceAddress, GroupReceived), SealedError> {
        let certificate = verify_sender(&self.certificate, trusted, now, devices)?;
        let received = group
            .receive_post_from(now, &self.post, certificate.identity_key())
            .map_err(|e| match e {
                GroupError::SenderMismatch => SealedError::SenderMismatch,
                e => SealedError::Group(e),
            })?;
        Ok((certificate.address(), received))
    }
}

impl core::fmt::Debug for UnsealedPost {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let Self {
            certificate,
            sender,
            group_id,
            post,
        } = self;
        f.debug_struct("UnsealedPost")
            .field("sender", sender)
            .field("certificate_len", &certificate.len())
            .field("group_id", group_id)
            .field("post_len", &post.len())
            .finish()
    }
}
