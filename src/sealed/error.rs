//! [`SealedError`]: sealing, opening and receiving sealed messages, and
//! sender certificates (SPEC.md §11.9).

use core::fmt;

use crate::error::{DecodeError, SessionError};
use crate::group::GroupError;

/// A sealed envelope, multi-recipient message, certificate or server key
/// that cannot be used. Every failing call leaves every state (sessions,
/// prekeys, groups, trusted keys) exactly as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealedError {
    /// The bytes are not a well-formed encoding: an envelope, a
    /// multi-recipient message or sealed post, a certificate, a server
    /// public key, or what an envelope holds once decrypted; or a value
    /// given to seal or issue is out of range (`TooLarge`, `InvalidValue`).
    Malformed(DecodeError),
    /// The envelope or sealed post does not decrypt with our identity key:
    /// it is for another recipient, was altered, or its ephemeral key is
    /// of low order. One opaque outcome: no error says which
    /// secret-dependent check failed.
    AuthenticationFailed,
    /// The certificate names a server key id that is not pinned.
    UntrustedServerKey,
    /// The certificate's signature does not verify (strictly) under the
    /// pinned server key of its id.
    BadCertificateSignature,
    /// The certificate expired: the receiver's clock is at or past its
    /// expiry.
    CertificateExpired,
    /// The sender is not who the certificate says: the certificate's
    /// device is not in the sender's device list with the certificate's
    /// identity key as its confirmed key, or the inner message or post
    /// authenticates another identity.
    SenderMismatch,
    /// The inner 1:1 message was refused by the sessions with the
    /// certificate's device.
    Session(SessionError),
    /// The inner group post was refused by the group.
    Group(GroupError),
    /// [`TrustedServerKeys`](crate::sealed::TrustedServerKeys) already pins
    /// [`MAX_TRUSTED_SERVER_KEYS`](crate::limits::MAX_TRUSTED_SERVER_KEYS)
    /// keys.
    TooManyServerKeys,
    /// A multi-recipient message for no recipient, for more than
    /// [`MAX_SEALED_RECIPIENTS`](crate::limits::MAX_SEALED_RECIPIENTS), or
    /// naming a recipient twice.
    InvalidRecipients,
}

impl fmt::Display for SealedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => write!(f, "malformed sealed message or certificate: {e}"),
            Self::AuthenticationFailed => f.write_str("sealed message authentication failed"),
            Self::UntrustedServerKey => f.write_str("certificate from a server key not pinned"),
            Self::BadCertificateSignature => f.write_str("certificate signature does not verify"),
            Self::CertificateExpired => f.write_str("sender certificate expired"),
            Self::SenderMismatch => f.write_str("sender is not the certificate's"),
            Self::Session(e) => write!(f, "inner message: {e}"),
            Self::Group(e) => write!(f, "inner post: {e}"),
            Self::TooManyServerKeys => f.write_str("too many pinned server keys"),
            Self::InvalidRecipients => {
                f.write_str("no recipient, too many, or a recipient named twice")
            }
        }
    }
}

impl core::error::Error for SealedError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Malformed(e) => Some(e),
            Self::Session(e) => Some(e),
            Self::Group(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DecodeError> for SealedError {
    fn from(e: DecodeError) -> Self {
        Self::Malformed(e)
    }
}
