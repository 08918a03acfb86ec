//! [`SenderCertificate`] (SPEC.md §22.1): the server's signed statement
//! that a device (user id, device id) holds an identity key, until an
//! expiry. Data, parsing and encoding; the server signs it
//! ([`ServerKey::issue`](crate::sealed::ServerKey::issue)) and the
//! recipient checks it
//! ([`TrustedServerKeys::verify`](crate::sealed::TrustedServerKeys::verify)).

use alloc::string::String;
use alloc::vec::Vec;

use crate::address::DeviceAddress;
use crate::error::DecodeError;
use crate::identity::IdentityKey;
use crate::limits::{MAX_SENDER_CERTIFICATE_LEN, MAX_USER_ID_LEN, SENDER_CERTIFICATE_FIXED_LEN};
use crate::sealed::error::SealedError;
use crate::sealed::{CERTIFICATE_SIGNATURE_LABEL, SEALED_VERSION, TYPE_SENDER_CERTIFICATE};
use crate::time::Timestamp;
use crate::wire::codec::{Overflow, Reader, Writer, write_exact};

/// Length of the signature at the end of a certificate.
const SIGNATURE_LEN: usize = 64;

/// A sender certificate: server key id, expiry, the sender's identity key,
/// device id and user id, and the server's Ed25519 signature over them.
///
/// Parsing checks the encoding only; the signature, the key id and the
/// expiry are checked by
/// [`TrustedServerKeys::verify`](crate::sealed::TrustedServerKeys::verify),
/// which [`Unsealed::decrypt`](crate::sealed::Unsealed::decrypt) and
/// [`UnsealedPost::receive`](crate::sealed::UnsealedPost::receive) run
/// first. Nothing in it is secret, but it names its holder: it only ever
/// travels inside an envelope.
#[derive(Clone, PartialEq, Eq)]
pub struct SenderCertificate {
    server_key_id: u32,
    expires_at: Timestamp,
    identity: IdentityKey,
    device_id: u32,
    user: String,
    signature: [u8; SIGNATURE_LEN],
}

impl SenderCertificate {
    /// A certificate to sign (the server's [`issue`](crate::sealed::ServerKey::issue)):
    /// the user id must have 1 to [`MAX_USER_ID_LEN`] bytes
    /// (`InvalidValue` if empty, `TooLarge` if longer).
    pub(crate) fn unsigned(
        server_key_id: u32,
        expires_at: Timestamp,
        identity: IdentityKey,
        sender: &DeviceAddress,
    ) -> Result<Self, SealedError> {
        let user = sender.name();
        if user.is_empty() {
            return Err(DecodeError::InvalidValue.into());
        }
        if user.len() > MAX_USER_ID_LEN {
            return Err(DecodeError::TooLarge.into());
        }
        Ok(Self {
            server_key_id,
            expires_at,
            identity,
            device_id: sender.device_id(),
            user: user.into(),
            signature: [0u8; SIGNATURE_LEN],
        })
    }

    pub(crate) fn set_signature(&mut self, signature: [u8; SIGNATURE_LEN]) {
        self.signature = signature;
    }

    pub(crate) fn signature(&self) -> &[u8; SIGNATURE_LEN] {
        &self.signature
    }

    /// Parses a certificate (SPEC.md §22.1), strictly: length (`TooLarge`
    /// above [`MAX_SENDER_CERTIFICATE_LEN`], checked first), version, type,
    /// a user id of 1 to 255 bytes of UTF-8 (`InvalidValue`), short reads
    /// `Truncated`, bytes left `TrailingBytes`, then the identity key
    /// (`InvalidKey`, SPEC.md §3.1). The signature is not checked here.
    pub fn parse(bytes: &[u8]) -> Result<Self, SealedError> {
        let layout = CertificateLayout::parse(bytes)?;
        Ok(Self {
            server_key_id: layout.server_key_id,
            expires_at: layout.expires_at,
            identity: IdentityKey::from_bytes(&layout.identity)?,
            device_id: layout.device_id,
            user: layout.user.into(),
            signature: layout.signature,
        })
    }

    /// Length of the encoding: [`SENDER_CERTIFICATE_FIXED_LEN`] plus the
    /// user id.
    pub fn encoded_len(&self) -> usize {
        SENDER_CERTIFICATE_FIXED_LEN.saturating_add(self.user.len())
    }

    /// The encoding (SPEC.md §22.1).
    pub fn to_vec(&self) -> Vec<u8> {
        write_exact(alloc::vec![0u8; self.encoded_len()], |w| {
            self.write_signed(w)?;
            w.bytes(&self.signature)
        })
    }

    /// Writes the fields the signature covers (all but the signature).
    fn write_signed(&self, w: &mut Writer<'_>) -> Result<(), Overflow> {
        w.u8(SEALED_VERSION)?;
        w.u8(TYPE_SENDER_CERTIFICATE)?;
        w.u32(self.server_key_id)?;
        w.u64(self.expires_at.as_unix_millis())?;
        w.bytes(self.identity.as_bytes())?;
        w.u32(self.device_id)?;
        w.u8(u8::try_from(self.user.len()).map_err(|_| Overflow)?)?;
        w.bytes(self.user.as_bytes())
    }

    /// What the signature covers: `"sealwire sender certificate" ||` every
    /// byte of the certificate before the signature.
    pub(crate) fn signed_message(&self) -> Vec<u8> {
        let signed_len = self.encoded_len().saturating_sub(SIGNATURE_LEN);
        let len = CERTIFICATE_SIGNATURE_LABEL.len().saturating_add(signed_len);
        write_exact(alloc::vec![0u8; len], |w| {
            w.bytes(CERTIFICATE_SIGNATURE_LABEL)?;
            self.write_signed(w)
        })
    }

    /// The id of the server key that signed it.
    pub fn server_key_id(&self) -> u32 {
        self.server_key_id
    }

    /// Until when it is valid (exclusive; the receiver's clock decides).
    pub fn expires_at(&self) -> Timestamp {
        self.expires_at
    }

    /// The sender's identity key.
    pub fn identity_key(&self) -> &IdentityKey {
        &self.identity
    }

    /// The sender's user id.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The sender's device id.
    pub fn device_id(&self) -> u32 {
        self.device_id
    }

    /// The sender's address (user id, device id).
    pub fn address(&self) -> DeviceAddress {
        DeviceAddress::new(self.user.clone(), self.device_id)
    }
}

impl core::fmt::Debug for SenderCertificate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let Self {
            server_key_id,
            expires_at,
            identity,
            device_id,
            user,
            signature: _,
        } = self;
        f.debug_struct("SenderCertificate")
            .field("server_key_id", server_key_id)
            .field("expires_at", expires_at)
            .field("identity", identity)
            .field("device_id", device_id)
            .field("user", user)
            .finish_non_exhaustive()
    }
}

/// A certificate's fields as they are encoded, with every check of
/// [`SenderCertificate::parse`] but the identity key's point checks
/// (SPEC.md §22.5 step 3): what opening an envelope needs to name the
/// claimed sender, without the cost of a point decompression and
/// torsion check. The key is checked in full when the certificate is
/// verified (step 4).
#[derive(Clone, Copy)]
pub(crate) struct CertificateLayout<'a> {
    server_key_id: u32,
    expires_at: Timestamp,
    identity: [u8; 32],
    pub(crate) device_id: u32,
    pub(crate) user: &'a str,
    signature: [u8; SIGNATURE_LEN],
}

impl<'a> CertificateLayout<'a> {
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        if bytes.len() > MAX_SENDER_CERTIFICATE_LEN {
            return Err(DecodeError::TooLarge);
        }
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != SEALED_VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let kind = r.u8()?;
        if kind != TYPE_SENDER_CERTIFICATE {
            return Err(DecodeError::UnexpectedType(kind));
        }
        let server_key_id = r.u32()?;
        let expires_at = Timestamp::from_unix_millis(r.u64()?);
        let identity = r.array()?;
        let device_id = r.u32()?;
        let user_len = usize::from(r.u8()?);
        if user_len == 0 {
            return Err(DecodeError::InvalidValue);
        }
        let user =
            core::str::from_utf8(r.take(user_len)?).map_err(|_| DecodeError::InvalidValue)?;
        let signature = r.array()?;
        r.finish()?;
        Ok(Self {
            server_key_id,
            expires_at,
            identity,
            device_id,
            user,
            signature,
        })
    }

    /// The claimed sender's address.
    pub(crate) fn address(&self) -> DeviceAddress {
        DeviceAddress::new(self.user, self.device_id)
    }
}
