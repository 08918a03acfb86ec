//! Versioned state blobs (STORAGE.md): every long-lived object encodes to
//! a self-describing blob (magic, kind, format version, body, checksum),
//! or to a sealed blob encrypted under the caller's [`StorageKey`].
//!
//! Loading is strict: the header is checked first (a blob of another kind
//! or of a newer version is refused with its own error), then the checksum
//! or the tag, then the body, whose every field is range-checked. Older
//! format versions stay loadable: a new version adds a decoder, it never
//! replaces one.
//!
//! ```
//! use sealwire::persist::{BlobAddress, StateBlob, StorageKey};
//! use sealwire::IdentityKeyPair;
//!
//! let mut rng = sealwire::os_rng();
//! let identity = IdentityKeyPair::generate(&mut rng);
//!
//! // Plain: for an app whose database is encrypted already.
//! let blob = identity.to_blob();
//! assert_eq!(IdentityKeyPair::from_blob(&blob)?, identity);
//!
//! // Sealed under the app's 32-byte storage key (from the OS keystore),
//! // bound to where it is stored.
//! let key = StorageKey::from_bytes([7; 32]);
//! let here = BlobAddress::local(*identity.public());
//! let sealed = identity.seal(&key, &here, &mut rng);
//! assert_eq!(IdentityKeyPair::unseal(&key, &here, &sealed)?, identity);
//! # Ok::<(), sealwire::persist::StateError>(())
//! ```

mod address;
mod blob;
mod devices_blob;
mod group_blob;
mod identity_blob;
mod prekey_blob;
mod queue_blob;
mod session_blob;
mod storage_key;
mod value;

use alloc::vec::Vec;
use zeroize::Zeroizing;

pub use crate::error::StateError;
pub use address::BlobAddress;
pub use blob::{BOUND_MAGIC, BlobKind, SEALED_MAGIC, STATE_MAGIC, blob_kind};
pub use storage_key::StorageKey;
pub use value::{SEALED_VALUE_OVERHEAD, SEALED_VALUE_VERSION};

/// An object that persists as a versioned state blob.
///
/// Implemented for [`IdentityKeyPair`](crate::IdentityKeyPair),
/// [`PrekeyStore`](crate::PrekeyStore), [`Session`](crate::Session),
/// [`PendingSession`](crate::PendingSession),
/// [`SessionRecord`](crate::SessionRecord),
/// [`ExpiryQueue`](crate::expiry::ExpiryQueue), the group types
/// ([`Group`](crate::group::Group),
/// [`ChannelOwner`](crate::group::ChannelOwner),
/// [`ChannelSubscriber`](crate::group::ChannelSubscriber)) and the device
/// types ([`DeviceSessions`](crate::devices::DeviceSessions), which also
/// loads a single session's blob as its current session, and
/// [`DeviceList`](crate::devices::DeviceList)), and the sealed-sender
/// server keys a client pins
/// ([`TrustedServerKeys`](crate::sealed::TrustedServerKeys)). Sealed: it
/// cannot be implemented outside this crate.
pub trait StateBlob: Sized + private::Codec {
    /// The plain blob: header, body, checksum. It holds secret keys in the
    /// clear (zeroized on drop): store it only in an encrypted database, or
    /// use [`seal`](Self::seal).
    fn to_blob(&self) -> Zeroizing<Vec<u8>> {
        blob::plain(self.kind(), self.version(), |w| self.encode_body(w))
    }

    /// Loads a plain blob written by any version of sealwire this version
    /// can read.
    fn from_blob(bytes: &[u8]) -> Result<Self, StateError> {
        let (kind, version, body) = blob::open_plain(bytes, Self::KINDS)?;
        Self::decode_body(kind, version, body)
    }

    /// The blob sealed with AES-256-GCM under `key` and bound to
    /// `address` (where the app stores it): a fresh random 32-byte salt (a
    /// one-time key per blob), the header, a salted tag of the address
    /// and the address itself as associated data (STORAGE.md §1).
    fn seal<R: rand_core::CryptoRng + ?Sized>(
        &self,
        key: &StorageKey,
        address: &BlobAddress,
        rng: &mut R,
    ) -> Vec<u8> {
        let mut salt = [0u8; 32];
        rng.fill_bytes(&mut salt);
        blob::sealed(key, address, salt, self.kind(), self.version(), |w| {
            self.encode_body(w)
        })
    }

    /// Loads a sealed blob from where it belongs. A blob sealed under
    /// another key is [`StateError::WrongStorageKey`]; one sealed for
    /// another address (another peer, owner, device or kind: a blob moved
    /// between rows) is [`StateError::WrongAddress`]; one whose bytes were
    /// damaged is [`StateError::Corrupted`]; a legacy blob sealed before
    /// addresses were bound is [`StateError::UnboundLegacy`] (see
    /// [`open_unbound_legacy`](Self::open_unbound_legacy)).
    fn unseal(key: &StorageKey, address: &BlobAddress, bytes: &[u8]) -> Result<Self, StateError> {
        let (kind, version, body) = blob::open_sealed(key, address, bytes, Self::KINDS)?;
        Self::decode_body(kind, version, &body)
    }

    /// Loads a legacy sealed blob (magic `"SWSE"`, written before sealed
    /// blobs were bound to their address), for a one-time migration: load
    /// it, [`seal`](Self::seal) it again with its address, and replace it.
    /// Nothing tells where such a blob belongs: the caller vouches for it.
    /// A bound blob is [`StateError::AddressBound`].
    fn open_unbound_legacy(key: &StorageKey, bytes: &[u8]) -> Result<Self, StateError> {
        let (kind, version, body) = blob::open_unbound(key, bytes, Self::KINDS)?;
        Self::decode_body(kind, version, &body)
    }
}

/// The legacy writer behind `testing::seal_unbound_legacy`.
#[cfg(feature = "test-utils")]
pub(crate) fn seal_unbound_legacy<T: StateBlob, R: rand_core::CryptoRng + ?Sized>(
    value: &T,
    key: &StorageKey,
    rng: &mut R,
) -> Vec<u8> {
    let mut salt = [0u8; 32];
    rng.fill_bytes(&mut salt);
    blob::sealed_unbound(key, salt, value.kind(), value.version(), |w| {
        value.encode_body(w)
    })
}

pub(crate) mod private {
    use crate::blob_writer::BlobWriter;
    use crate::error::StateError;

    /// What each persisted type provides: its kinds and its body codec.
    pub trait Codec: Sized {
        /// The kinds `from_blob` accepts (the first is reported in
        /// [`StateError::WrongKind`]).
        const KINDS: &'static [super::BlobKind];
        /// The kind this value is written as.
        fn kind(&self) -> super::BlobKind;
        /// The format version written (the newest of the kind).
        fn version(&self) -> u8 {
            super::blob::max_version(self.kind())
        }
        fn encode_body(&self, w: &mut BlobWriter);
        fn decode_body(kind: super::BlobKind, version: u8, body: &[u8])
        -> Result<Self, StateError>;
    }
}

/// Writes an identity key as blobs store it: the Ed25519 key, then its
/// X25519 form.
pub(crate) fn write_identity(w: &mut crate::blob_writer::BlobWriter, key: &crate::IdentityKey) {
    w.bytes(key.as_bytes());
    w.bytes(key.x25519());
}

/// How an identity key stored in a blob is read back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoredKeys {
    /// A blob version written before the torsion rule of SPEC.md §3.1:
    /// every key is checked in full, and its stored X25519 form must be the
    /// one it gives (STORAGE.md §5).
    Checked,
    /// A blob version whose writer took every identity key through
    /// `IdentityKey::from_bytes`: loaded as stored, with no public-key
    /// operation (STORAGE.md §9).
    Trusted,
}

impl StoredKeys {
    /// `Checked` below `first_trusted`, the kind's first version written
    /// under the torsion rule.
    pub(crate) fn for_version(version: u8, first_trusted: u8) -> Self {
        if version < first_trusted {
            Self::Checked
        } else {
            Self::Trusted
        }
    }
}

/// Reads an identity key written by [`write_identity`].
pub(crate) fn read_identity(
    r: &mut crate::wire::codec::Reader<'_>,
    keys: StoredKeys,
) -> Result<crate::IdentityKey, crate::DecodeError> {
    let (ed25519, x25519) = (r.array()?, r.array()?);
    match keys {
        StoredKeys::Checked => crate::IdentityKey::from_stored_checked(ed25519, x25519),
        StoredKeys::Trusted => Ok(crate::IdentityKey::from_stored(ed25519, x25519)),
    }
}

#[cfg(test)]
mod tests {
    use super::StoredKeys;

    #[test]
    fn keys_are_checked_exactly_below_the_first_trusted_version() {
        assert!(StoredKeys::for_version(1, 4) == StoredKeys::Checked);
        assert!(StoredKeys::for_version(3, 4) == StoredKeys::Checked);
        assert!(StoredKeys::for_version(4, 4) == StoredKeys::Trusted);
        assert!(StoredKeys::for_version(5, 4) == StoredKeys::Trusted);
    }
}
