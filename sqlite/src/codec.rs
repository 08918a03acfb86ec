//! How state objects become the blobs in the database: plain state blobs,
//! or blobs sealed under the caller's storage key.

use sealwire::persist::{StateBlob, StorageKey};
use sealwire::{OsRng, StateError};

/// Plain or sealed blobs.
pub(crate) enum BlobCodec {
    /// `to_blob` / `from_blob`.
    Plain,
    /// `seal` / `unseal`, each blob with a fresh salt from the OS.
    Sealed {
        /// The storage key.
        key: StorageKey,
        /// The salts' source.
        rng: OsRng,
    },
}

impl BlobCodec {
    /// The storage key's id, if sealed.
    pub(crate) fn key_id(&self) -> Option<[u8; 8]> {
        match self {
            Self::Plain => None,
            Self::Sealed { key, .. } => Some(key.id()),
        }
    }

    /// Encodes `value` and hands the blob to `write` (a plain blob holds
    /// secrets in the clear: it is zeroized once `write` returns).
    pub(crate) fn encode<T: StateBlob, O>(
        &mut self,
        value: &T,
        write: impl FnOnce(&[u8]) -> O,
    ) -> O {
        match self {
            Self::Plain => {
                let blob = value.to_blob();
                write(blob.as_slice())
            }
            Self::Sealed { key, rng } => {
                let blob = value.seal(key, rng);
                write(blob.as_slice())
            }
        }
    }

    /// Loads a blob written by [`encode`](Self::encode).
    pub(crate) fn decode<T: StateBlob>(&self, bytes: &[u8]) -> Result<T, StateError> {
        match self {
            Self::Plain => T::from_blob(bytes),
            Self::Sealed { key, .. } => T::unseal(key, bytes),
        }
    }
}

impl core::fmt::Debug for BlobCodec {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Plain => f.write_str("Plain"),
            Self::Sealed { key, .. } => f
                .debug_struct("Sealed")
                .field("key", key)
                .finish_non_exhaustive(),
        }
    }
}
