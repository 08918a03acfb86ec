//! The 1:1 sealed envelope (SPEC.md §22.2): a sealwire message and the
//! sender's certificate, encrypted to the recipient's identity key under a
//! fresh ephemeral X25519 key. [`seal`], [`open`] (no state), then
//! [`Unsealed::decrypt`] (certificate, device list, inner message).

use alloc::vec::Vec;

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use zeroize::{Zeroize, Zeroizing};

use crate::address::DeviceAddress;
use crate::devices::{DeviceList, DeviceSessions};
use crate::dh::DhKeyPair;
use crate::error::{DecodeError, SessionError};
use crate::franking::commitment_of;
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::kdf::hkdf_sha256;
use crate::limits::{FRANKING_COMMITMENT_LEN, MAX_MESSAGE_LEN, MAX_SEALED_LEN};
use crate::prekey::PrekeyStore;
use crate::sealed::certificate::{CertificateLayout, SenderCertificate};
use crate::sealed::error::SealedError;
use crate::sealed::server::TrustedServerKeys;
use crate::sealed::{SEALED_KEYS_INFO, SEALED_VERSION, TYPE_FRANKED_SEALED, TYPE_SEALED};
use crate::session::Received;
use crate::time::Timestamp;
use crate::wire::codec::Reader;
use crate::wire::{
    MESSAGE_VERSION, TAG_LEN, TYPE_FRANKED_PREKEY, TYPE_FRANKED_RATCHET, TYPE_PREKEY, TYPE_RATCHET,
};

/// Length of the envelope's header without the commitment: version, type,
/// ephemeral key.
const HEADER_LEN: usize = 1 + 1 + 32;

/// Seals `message` (a sealwire 1:1 message, as
/// [`DeviceSessions::encrypt`] returned it) with the sender's
/// `certificate` for the device whose identity key is `recipient`
/// (SPEC.md §22.2): draws a fresh ephemeral key from `rng`, derives the
/// envelope's key from `X25519(e, IK_recipient)`, and encrypts the
/// certificate and the message with AES-256-GCM. A franked message gets a
/// franked envelope, whose commitment the relay can stamp
/// ([`commitment_of_sealed`]).
///
/// The message must be at most [`MAX_MESSAGE_LEN`] bytes and start with
/// a message version and type (`Malformed` otherwise); a franked message
/// must parse. Nothing is kept: the relay gets the envelope and the
/// recipient's address, and nothing that names the sender.
pub fn seal<G: rand_core::CryptoRng + ?Sized>(
    rng: &mut G,
    recipient: &IdentityKey,
    certificate: &SenderCertificate,
    message: &[u8],
) -> Result<Vec<u8>, SealedError> {
    let commitment = inner_commitment(message)?;
    let ephemeral = DhKeyPair::generate(rng);
    seal_checked(&ephemeral, recipient, certificate, message, commitment)
}

/// The length of the envelope [`seal`] makes of `message` with
/// `certificate` (to size a buffer before sealing), or the error [`seal`]
/// would return for `message`. Draws nothing.
pub fn sealed_len(certificate: &SenderCertificate, message: &[u8]) -> Result<usize, SealedError> {
    let commitment = inner_commitment(message)?;
    let commitment_len = if commitment.is_some() {
        FRANKING_COMMITMENT_LEN
    } else {
        0
    };
    Ok(HEADER_LEN
        .saturating_add(commitment_len)
        .saturating_add(2)
        .saturating_add(certificate.encoded_len())
        .saturating_add(message.len())
        .saturating_add(TAG_LEN))
}

/// [`seal`] with the ephemeral key given (the hazmat known-answer path).
#[cfg(feature = "hazmat")]
pub(crate) fn seal_with(
    ephemeral: &DhKeyPair,
    recipient: &IdentityKey,
    certificate: &SenderCertificate,
    message: &[u8],
) -> Result<Vec<u8>, SealedError> {
    let commitment = inner_commitment(message)?;
    seal_checked(ephemeral, recipient, certificate, message, commitment)
}

fn seal_checked(
    ephemeral: &DhKeyPair,
    recipient: &IdentityKey,
    certificate: &SenderCertificate,
    message: &[u8],
    commitment: Option<[u8; FRANKING_COMMITMENT_LEN]>,
) -> Result<Vec<u8>, SealedError> {
    let kind = if commitment.is_some() {
        TYPE_FRANKED_SEALED
    } else {
        TYPE_SEALED
    };
    // A valid identity key is never of small order: the check cannot fail.
    let shared = ephemeral
        .diffie_hellman(recipient.x25519())
        .map_err(|_| DecodeError::InvalidKey)?;
    let (cipher, nonce) = envelope_cipher(&shared, kind, ephemeral.public(), recipient);
    let cert = certificate.to_vec();
    let cert_len = u16::try_from(cert.len()).map_err(|_| DecodeError::TooLarge)?;
    let capacity = HEADER_LEN
        .saturating_add(FRANKING_COMMITMENT_LEN)
        .saturating_add(2)
        .saturating_add(cert.len())
        .saturating_add(message.len())
        .saturating_add(TAG_LEN);
    let mut out = Vec::with_capacity(capacity);
    out.push(SEALED_VERSION);
    out.push(kind);
    out.extend_from_slice(ephemeral.public());
    if let Some(cf) = &commitment {
        out.extend_from_slice(cf);
    }
    let header_len = out.len();
    let aad = associated_data(&out, recipient);
    out.extend_from_slice(&cert_len.to_be_bytes());
    out.extend_from_slice(&cert);
    out.extend_from_slice(message);
    let (_, body) = out.split_at_mut(header_len);
    let tag = cipher
        .encrypt_inout_detached(&nonce.into(), &aad, InOutBuf::from(body))
        // Only a plaintext beyond GCM's 64 GiB limit fails.
        .map_err(|_| DecodeError::TooLarge)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// The key and nonce of an envelope: `HKDF(0x00*32, X25519(e, IK_R),
/// "Sealwire_SealedSender_v1" || version || type || E || Encode(IK_R),
/// 44)`. The ephemeral key is fresh per envelope, so the key is too, and a
/// nonce derived with it is used once.
fn envelope_cipher(
    shared: &[u8; 32],
    kind: u8,
    ephemeral: &[u8; 32],
    recipient: &IdentityKey,
) -> (Aes256Gcm, [u8; 12]) {
    let mut info = [0u8; SEALED_KEYS_INFO.len() + 2 + 32 + 33];
    let (label, rest) = info.split_at_mut(SEALED_KEYS_INFO.len());
    label.copy_from_slice(SEALED_KEYS_INFO);
    let (vt, rest) = rest.split_at_mut(2);
    vt.copy_from_slice(&[SEALED_VERSION, kind]);
    let (e, ik) = rest.split_at_mut(32);
    e.copy_from_slice(ephemeral);
    ik.copy_from_slice(&recipient.encode());
    let mut okm: Zeroizing<[u8; 44]> = Zeroizing::new(hkdf_sha256(&[0u8; 32], &[shared], &info));
    let (k, n) = okm.split_at(32);
    let mut key = [0u8; 32];
    key.copy_from_slice(k);
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(n);
    let cipher = Aes256Gcm::new(&key.into());
    key.zeroize();
    okm.zeroize();
    (cipher, nonce)
}

/// The envelope's associated data: its header (version, type, `E`, and
/// `cf` if franked) `||` the recipient's 32-byte identity key, so that an
/// envelope cannot be re-targeted.
fn associated_data(header: &[u8], recipient: &IdentityKey) -> Vec<u8> {
    let mut aad = Vec::with_capacity(header.len().saturating_add(32));
    aad.extend_from_slice(header);
    aad.extend_from_slice(recipient.as_bytes());
    aad
}

/// The franking commitment of an inner message (`None` if not franked),
/// after the checks every inner message gets: at most
/// [`MAX_MESSAGE_LEN`] bytes, message version, a message type; a franked
/// message must parse.
fn inner_commitment(message: &[u8]) -> Result<Option<[u8; FRANKING_COMMITMENT_LEN]>, DecodeError> {
    if message.len() > MAX_MESSAGE_LEN {
        return Err(DecodeError::TooLarge);
    }
    let [version, kind, ..] = message else {
        return Err(DecodeError::Truncated);
    };
    if *version != MESSAGE_VERSION {
        return Err(DecodeError::UnsupportedVersion(*version));
    }
    match *kind {
        TYPE_RATCHET | TYPE_PREKEY => Ok(None),
        TYPE_FRANKED_RATCHET | TYPE_FRANKED_PREKEY => commitment_of(message).map(Some),
        other => Err(DecodeError::UnexpectedType(other)),
    }
}

/// An envelope's parts, parsed without any key.
struct Layout<'a> {
    kind: u8,
    ephemeral: [u8; 32],
    commitment: Option<[u8; FRANKING_COMMITMENT_LEN]>,
    header: &'a [u8],
    /// Ciphertext and tag.
    body: &'a [u8],
}

/// Parses an envelope's header: length (`TooLarge` above
/// [`MAX_SEALED_LEN`], first), version, type, `E`, `cf` if franked, then at
/// least a tag (`Truncated`).
fn parse(envelope: &[u8]) -> Result<Layout<'_>, DecodeError> {
    if envelope.len() > MAX_SEALED_LEN {
        return Err(DecodeError::TooLarge);
    }
    let mut r = Reader::new(envelope);
    let version = r.u8()?;
    if version != SEALED_VERSION {
        return Err(DecodeError::UnsupportedVersion(version));
    }
    let kind = r.u8()?;
    if kind != TYPE_SEALED && kind != TYPE_FRANKED_SEALED {
        return Err(DecodeError::UnexpectedType(kind));
    }
    let ephemeral = r.array()?;
    let commitment = if kind == TYPE_FRANKED_SEALED {
        Some(r.array()?)
    } else {
        None
    };
    let body = r.rest();
    if body.len() < TAG_LEN {
        return Err(DecodeError::Truncated);
    }
    let header = envelope
        .get(..envelope.len().saturating_sub(body.len()))
        .ok_or(DecodeError::Truncated)?;
    Ok(Layout {
        kind,
        ephemeral,
        commitment,
        header,
        body,
    })
}

/// The relay's side of franking for sealed messages (SPEC.md §22.2): the
/// commitment `cf` of a franked envelope, read without any key, to
/// [`stamp`](crate::franking::stamp) as for an unsealed franked message.
/// An unfranked envelope is `UnexpectedType(0x51)`; any other malformed
/// envelope is its parse error.
pub fn commitment_of_sealed(envelope: &[u8]) -> Result<[u8; FRANKING_COMMITMENT_LEN], DecodeError> {
    let layout = parse(envelope)?;
    layout
        .commitment
        .ok_or(DecodeError::UnexpectedType(layout.kind))
}

/// Opens an envelope with our identity (SPEC.md §22.5 steps 1–3): parses
/// it (`Malformed`), decrypts it (`AuthenticationFailed` for an envelope
/// to another recipient, altered, or with an ephemeral key of low order),
/// then parses what it holds (`Malformed`): the certificate's layout (its
/// identity key is checked in full by [`Unsealed::decrypt`]) and the inner
/// message, which is franked exactly when the envelope is, with the same
/// commitment (`Malformed(InvalidValue)` otherwise).
///
/// Nothing about the sender is verified yet: [`Unsealed::sender`] only
/// says which device list and sessions to pass to
/// [`Unsealed::decrypt`]. No state is read or changed.
pub fn open(identity: &IdentityKeyPair, envelope: &[u8]) -> Result<Unsealed, SealedError> {
    let layout = parse(envelope)?;
    let shared = identity
        .diffie_hellman(&layout.ephemeral)
        .map_err(|_| SealedError::AuthenticationFailed)?;
    let (cipher, nonce) =
        envelope_cipher(&shared, layout.kind, &layout.ephemeral, identity.public());
    let split = layout.body.len().saturating_sub(TAG_LEN);
    let (ciphertext, tag) = layout.body.split_at(split);
    let mut tag_bytes = [0u8; TAG_LEN];
    tag_bytes.copy_from_slice(tag);
    let aad = associated_data(layout.header, identity.public());
    let mut plain = ciphertext.to_vec();
    cipher
        .decrypt_inout_detached(
            &nonce.into(),
            &aad,
            InOutBuf::from(&mut plain[..]),
            &tag_bytes.into(),
        )
        .map_err(|_| SealedError::AuthenticationFailed)?;
    let (certificate, sender, message) = parse_contents(&plain)?;
    if inner_commitment(message)? != layout.commitment {
        return Err(DecodeError::InvalidValue.into());
    }
    Ok(Unsealed {
        certificate: certificate.to_vec(),
        sender,
        message: message.to_vec(),
    })
}

/// `cert_len u16 || certificate || rest`: the certificate's bytes, checked
/// as [`CertificateLayout`] (all but its identity key's point checks), the
/// address it claims, and the rest.
pub(crate) fn parse_contents(plain: &[u8]) -> Result<(&[u8], DeviceAddress, &[u8]), SealedError> {
    let mut r = Reader::new(plain);
    let cert_len = usize::from(r.u16()?);
    let certificate = r.take(cert_len)?;
    let sender = CertificateLayout::parse(certificate)?.address();
    Ok((certificate, sender, r.rest()))
}

/// The certificate checks of SPEC.md §22.5 (steps 4–5): the certificate
/// in full, its key, signature and expiry at `now`
/// ([`TrustedServerKeys::verify`]), then the certificate's device is in
/// the sender's `devices` list (its user) with the certificate's identity
/// key as its confirmed key ([`SealedError::SenderMismatch`] otherwise).
/// Returns the verified certificate.
pub(crate) fn verify_sender(
    certificate: &[u8],
    trusted: &mut TrustedServerKeys,
    now: Timestamp,
    devices: &DeviceList,
) -> Result<SenderCertificate, SealedError> {
    let certificate = trusted.verify_encoded(certificate, now)?;
    if devices.user() != certificate.user()
        || devices.identity(certificate.device_id()) != Some(certificate.identity_key())
    {
        return Err(SealedError::SenderMismatch);
    }
    Ok(certificate)
}

/// An opened envelope: the sender's certificate (not verified yet) and
/// the inner message ([`open`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Unsealed {
    certificate: Vec<u8>,
    sender: DeviceAddress,
    message: Vec<u8>,
}

impl Unsealed {
    /// The certificate, as the envelope carries it, parsed in full
    /// ([`SenderCertificate::parse`]): **not verified**; that is
    /// [`decrypt`](Self::decrypt)'s first step.
    pub fn certificate(&self) -> Result<SenderCertificate, SealedError> {
        SenderCertificate::parse(&self.certificate)
    }

    /// Who the certificate says sent it: use it to find the device list
    /// and sessions to pass to [`decrypt`](Self::decrypt), nothing else.
    pub fn sender(&self) -> DeviceAddress {
        self.sender.clone()
    }

    /// The inner sealwire message.
    pub fn message(&self) -> &[u8] {
        &self.message
    }

    /// Verifies the sender and decrypts the inner message (SPEC.md §22.5
    /// steps 4–6), in this order: the certificate (its identity key,
    /// `Malformed(InvalidKey)`, then [`TrustedServerKeys::verify`] at
    /// `now`: `UntrustedServerKey`, `BadCertificateSignature`,
    /// `CertificateExpired`; a certificate verified before is remembered); the certificate's
    /// device is in `devices` (the list of the certificate's user) with
    /// the certificate's identity key as its confirmed key
    /// (`SenderMismatch`); then [`DeviceSessions::decrypt`] with that
    /// identity key as the expected one: the inner message must
    /// authenticate as the certificate's identity (a prekey message from
    /// another identity is `SenderMismatch`; any other refusal of the
    /// sessions is `Session(e)`). `sessions` are ours with the
    /// certificate's device.
    ///
    /// Returns the sender's address and the message. On error nothing
    /// changed (sessions, prekeys).
    pub fn decrypt(
        &self,
        now: Timestamp,
        trusted: &mut TrustedServerKeys,
        identity: &IdentityKeyPair,
        prekeys: &mut PrekeyStore,
        devices: &DeviceList,
        sessions: &mut DeviceSessions,
    ) -> Result<(DeviceAddress, Received), SealedError> {
        let certificate = verify_sender(&self.certificate, trusted, now, devices)?;
        let received = sessions
            .decrypt(
                identity,
                prekeys,
                certificate.identity_key(),
                now,
                &self.message,
            )
            .map_err(|e| match e {
                SessionError::UntrustedIdentity => SealedError::SenderMismatch,
                e => SealedError::Session(e),
            })?;
        Ok((certificate.address(), received))
    }
}

impl core::fmt::Debug for Unsealed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let Self {
            certificate,
            sender,
            message,
        } = self;
        f.debug_struct("Unsealed")
            .field("sender", sender)
            .field("certificate_len", &certificate.len())
            .field("message_len", &message.len())
            .finish()
    }
}
