//! Error types, one `#[non_exhaustive]` enum per area.
//!
//! Every failure that depends on secret material (a wrong tag, a key that
//! does not match) is reported as the single opaque
//! [`SessionError::AuthenticationFailed`], so that no error reveals which
//! check failed.

use core::fmt;

/// Bytes that are not a well-formed sealwire encoding.
///
/// Raised by every parser before any cryptography runs; it never depends on
/// a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before the structure was complete.
    Truncated,
    /// Bytes were left over after the structure ended.
    TrailingBytes,
    /// The version byte names a version this library does not speak.
    UnsupportedVersion(u8),
    /// The type byte is not the expected type, or names an unknown type.
    UnexpectedType(u8),
    /// A flags byte has a bit set that this version does not define.
    UnknownFlags(u8),
    /// A field holds a value outside its documented range.
    InvalidValue,
    /// A public key is not a valid encoding.
    InvalidKey,
    /// The input is longer than the documented maximum for its type.
    TooLarge,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("input truncated"),
            Self::TrailingBytes => f.write_str("trailing bytes after the structure"),
            Self::UnsupportedVersion(v) => write!(f, "unsupported version {v}"),
            Self::UnexpectedType(t) => write!(f, "unexpected type byte 0x{t:02x}"),
            Self::UnknownFlags(b) => write!(f, "unknown flag bits 0x{b:02x}"),
            Self::InvalidValue => f.write_str("field value out of range"),
            Self::InvalidKey => f.write_str("invalid public key encoding"),
            Self::TooLarge => f.write_str("input exceeds the maximum size"),
        }
    }
}

impl core::error::Error for DecodeError {}

/// A prekey bundle that cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    /// The bytes are not a well-formed bundle.
    Malformed(DecodeError),
    /// The signed prekey's or the PQ prekey's signature does not verify
    /// (strict Ed25519).
    InvalidSignature,
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => write!(f, "malformed bundle: {e}"),
            Self::InvalidSignature => f.write_str("prekey signature does not verify"),
        }
    }
}

impl core::error::Error for BundleError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Malformed(e) => Some(e),
            Self::InvalidSignature => None,
        }
    }
}

impl From<DecodeError> for BundleError {
    fn from(e: DecodeError) -> Self {
        Self::Malformed(e)
    }
}

/// Errors of a 1:1 session: starting, accepting, encrypting, decrypting.
///
/// Every error leaves the session (and the prekey store) exactly as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// The message is not a well-formed sealwire message.
    Malformed(DecodeError),
    /// The message failed authentication. One opaque variant for every
    /// failure that depends on key material: a wrong tag, a forged header,
    /// a message from another session, a message that claims a position its
    /// chain never reached.
    AuthenticationFailed,
    /// A peer's X25519 public key is of low order: the Diffie-Hellman output
    /// is all zeros (Wycheproof "zero shared secret" cases).
    WeakPublicKey,
    /// This message's key was already used (a duplicate or replay), or is
    /// no longer held.
    DuplicateMessage,
    /// The message would need more than [`MAX_SKIP`](crate::limits::MAX_SKIP)
    /// message keys to be skipped.
    TooManySkipped,
    /// A message counter would overflow; the chain is exhausted and no more
    /// messages may be sent or received in it.
    CounterOverflow,
    /// The plaintext is longer than [`MAX_BODY_LEN`](crate::limits::MAX_BODY_LEN).
    MessageTooLarge,
    /// The caller's output buffer is too small; see the `*_len` size queries.
    BufferTooSmall,
    /// The prekey message names a signed prekey this store does not hold.
    UnknownSignedPrekey,
    /// The prekey message names a one-time prekey this store does not hold
    /// (never issued, or already consumed).
    UnknownOneTimePrekey,
    /// A prekey message that belongs to another session (different identity
    /// or base key): hand it to [`Session::accept`](crate::Session::accept).
    SessionMismatch,
    /// The message type cannot be handled in this phase (for example a
    /// prekey message offered to a session that is waiting for a reply).
    UnexpectedMessage,
    /// The inner frame uses a feature (flag or content type) this version of
    /// the library does not implement.
    UnsupportedFeature,
    /// The message's disappearing-message policy is malformed or
    /// contradictory: unknown mode, TTL of zero or above
    /// [`MAX_TTL_SECS`](crate::expiry::MAX_TTL_SECS), "off" with a TTL, or a
    /// timer change without a timer or with a body.
    InvalidPolicy,
    /// The key of this (late) message was erased on schedule: the skipped
    /// key outlived the conversation's TTL plus grace, or the maximum age,
    /// or was evicted by the cap on stored keys.
    MessageKeyErased,
    /// The prekey store requires post-quantum key agreement (PQXDH) and the
    /// prekey message is classic (no PQ fields). Refused before any secret
    /// is used.
    PqRequired,
    /// The prekey message names a PQ prekey this store does not hold (never
    /// issued, a consumed one-time PQ prekey, or a forgotten last-resort
    /// one).
    UnknownPqPrekey,
    /// A second session set up with the same last-resort PQ prekey, signed
    /// prekey and base key: a replayed prekey message.
    ReplayedPrekeyMessage,
    /// No session with this peer device could take the message: none is
    /// held, or the message is a ratchet message none of the held sessions
    /// decrypts and none of them was current, or a prekey message of a
    /// session no longer held whose prekeys are gone (what
    /// [`Session::accept`](crate::Session::accept) reports as
    /// `UnknownOneTimePrekey`, `UnknownSignedPrekey`, `UnknownPqPrekey` or
    /// `ReplayedPrekeyMessage`). A candidate for a recovery request
    /// (SPEC.md §21.4).
    NoSession,
    /// The message comes from an identity key that is not the one the
    /// device list holds (and the app confirmed) for the sending device:
    /// refused before any secret is used; update and confirm the device
    /// list first.
    UntrustedIdentity,
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => write!(f, "malformed message: {e}"),
            Self::AuthenticationFailed => f.write_str("message authentication failed"),
            Self::WeakPublicKey => f.write_str("peer public key is of low order"),
            Self::DuplicateMessage => {
                f.write_str("duplicate message or message key no longer held")
            }
            Self::TooManySkipped => f.write_str("too many skipped messages"),
            Self::CounterOverflow => f.write_str("message counter exhausted"),
            Self::MessageTooLarge => f.write_str("message body too large"),
            Self::BufferTooSmall => f.write_str("output buffer too small"),
            Self::UnknownSignedPrekey => f.write_str("unknown signed prekey"),
            Self::UnknownOneTimePrekey => f.write_str("unknown or already used one-time prekey"),
            Self::SessionMismatch => f.write_str("prekey message belongs to another session"),
            Self::UnexpectedMessage => f.write_str("message type not expected in this phase"),
            Self::UnsupportedFeature => f.write_str("unsupported inner-frame feature"),
            Self::InvalidPolicy => f.write_str("invalid disappearing-message policy"),
            Self::MessageKeyErased => f.write_str("message key erased on schedule"),
            Self::PqRequired => f.write_str("post-quantum key agreement required"),
            Self::UnknownPqPrekey => f.write_str("unknown or already used PQ prekey"),
            Self::ReplayedPrekeyMessage => {
                f.write_str("prekey message replayed against a last-resort PQ prekey")
            }
            Self::NoSession => f.write_str("no session with this device takes the message"),
            Self::UntrustedIdentity => {
                f.write_str("message from an identity key the device list does not hold")
            }
        }
    }
}

impl core::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Malformed(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DecodeError> for SessionError {
    fn from(e: DecodeError) -> Self {
        Self::Malformed(e)
    }
}

/// A state blob (STORAGE.md) that cannot be loaded. Every variant is a
/// different cause, so that an app can tell a wrong key from a damaged
/// file; none of them is reachable with a valid blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateError {
    /// The bytes do not start with a sealwire state header.
    NotAStateBlob,
    /// A blob of another kind (for example a session where an identity was
    /// expected).
    WrongKind {
        /// The kind byte the caller asked for (several kinds may be
        /// acceptable: this is the first).
        expected: u8,
        /// The kind byte found.
        found: u8,
    },
    /// A format version this library does not know (written by a newer
    /// version of sealwire).
    UnsupportedVersion(u8),
    /// A sealed blob given to a plain loader: use `unseal`.
    Sealed,
    /// A plain blob given to `unseal`.
    NotSealed,
    /// The blob is shorter than its header and trailer.
    Truncated,
    /// The checksum (plain) or the tag (sealed) does not match: the bytes
    /// were damaged after they were written.
    Corrupted,
    /// The blob was sealed under another storage key.
    WrongStorageKey,
    /// The blob was sealed for another address (another peer, device,
    /// owner or kind): it was moved from where it belongs. Checked before
    /// decryption.
    WrongAddress,
    /// A legacy sealed blob (not bound to an address) given to `unseal`:
    /// it loads only through `open_unbound_legacy`, for a migration.
    UnboundLegacy,
    /// A sealed blob bound to an address given to `open_unbound_legacy`:
    /// use `unseal` with its address.
    AddressBound,
    /// The checksum matches but the content breaks the format's rules:
    /// written by something other than sealwire.
    Malformed(DecodeError),
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAStateBlob => f.write_str("not a sealwire state blob"),
            Self::WrongKind { expected, found } => write!(
                f,
                "state blob of kind 0x{found:02x} where kind 0x{expected:02x} was expected"
            ),
            Self::UnsupportedVersion(v) => write!(f, "unsupported state format version {v}"),
            Self::Sealed => f.write_str("state blob is sealed: unseal it with the storage key"),
            Self::NotSealed => f.write_str("state blob is not sealed"),
            Self::Truncated => f.write_str("state blob truncated"),
            Self::Corrupted => f.write_str("state blob corrupted (checksum or tag mismatch)"),
            Self::WrongStorageKey => f.write_str("state blob sealed under another storage key"),
            Self::WrongAddress => {
                f.write_str("state blob sealed for another address (moved from where it belongs)")
            }
            Self::UnboundLegacy => f.write_str(
                "legacy sealed state blob not bound to an address: migrate it with open_unbound_legacy",
            ),
            Self::AddressBound => {
                f.write_str("sealed state blob bound to an address: open it with unseal")
            }
            Self::Malformed(e) => write!(f, "malformed state blob: {e}"),
        }
    }
}

impl core::error::Error for StateError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Malformed(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DecodeError> for StateError {
    fn from(e: DecodeError) -> Self {
        Self::Malformed(e)
    }
}
