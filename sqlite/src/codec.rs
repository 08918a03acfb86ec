//! How state objects become the blobs in the database: plain state blobs,
//! or blobs sealed under the caller's storage key and bound to their row.

use sealwire::DeviceAddress;
use sealwire::persist::{BlobAddress, StateBlob, StorageKey};
use sealwire::{IdentityKey, OsRng, persist::StateError};

use crate::error::{StateRecord, StoreError};

/// Plain or sealed blobs.
pub(crate) enum BlobCodec {
    /// `to_blob` / `from_blob`.
    Plain,
    /// `seal` / `unseal`, each blob with a fresh salt from the OS and bound
    /// to its row ([`Slot::address`]).
    Sealed {
        /// The storage key.
        key: StorageKey,
        /// The salts' source.
        rng: OsRng,
        /// Our identity key (the owner every blob is bound to), once our
        /// identity is stored.
        owner: Option<IdentityKey>,
    },
}

/// The row a blob lives in.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Slot<'a> {
    /// Table `local_identity`.
    LocalIdentity,
    /// Table `prekeys`.
    Prekeys,
    /// Table `sessions`, the row of this peer device.
    Session(&'a DeviceAddress),
    /// Table `device_lists`, the row of this user.
    DeviceList(&'a str),
}

impl Slot<'_> {
    /// The address a blob in this row is sealed for: our identity key,
    /// the table and the row's key (for sessions the peer's name and
    /// device id, for a device list the user id).
    pub(crate) fn address(&self, owner: IdentityKey) -> BlobAddress {
        match self {
            Self::LocalIdentity => BlobAddress::local(owner).with_context(b"local_identity"),
            Self::Prekeys => BlobAddress::local(owner).with_context(b"prekeys"),
            Self::Session(peer) => BlobAddress::device(owner, peer).with_context(b"sessions"),
            Self::DeviceList(user) => BlobAddress::local(owner)
                .with_peer_name(user)
                .with_context(b"device_lists"),
        }
    }

    /// The record named in [`StoreError::State`].
    pub(crate) fn record(&self) -> StateRecord {
        match self {
            Self::LocalIdentity => StateRecord::LocalIdentity,
            Self::Prekeys => StateRecord::Prekeys,
            Self::Session(peer) => StateRecord::Session((*peer).clone()),
            Self::DeviceList(user) => StateRecord::DeviceList((*user).to_owned()),
        }
    }
}

impl BlobCodec {
    /// The storage key's id, if sealed.
    pub(crate) fn key_id(&self) -> Option<[u8; 8]> {
        match self {
            Self::Plain => None,
            Self::Sealed { key, .. } => Some(key.id()),
        }
    }

    /// The storage key, if sealed.
    pub(crate) fn storage_key(&self) -> Option<&StorageKey> {
        match self {
            Self::Plain => None,
            Self::Sealed { key, .. } => Some(key),
        }
    }

    /// The owner sealed blobs are bound to (`None` if plain or no identity
    /// is stored yet).
    pub(crate) fn owner(&self) -> Option<IdentityKey> {
        match self {
            Self::Plain => None,
            Self::Sealed { owner, .. } => *owner,
        }
    }

    /// Sets the owner (sealed only).
    pub(crate) fn set_owner(&mut self, new: Option<IdentityKey>) {
        if let Self::Sealed { owner, .. } = self {
            *owner = new;
        }
    }

    fn require_owner(&self) -> Result<IdentityKey, StoreError> {
        self.owner().ok_or(StoreError::NoIdentity)
    }

    /// Encodes `value` for `slot` and hands the blob to `write` (a plain
    /// blob holds secrets in the clear: it is zeroized once `write`
    /// returns). Sealed: [`StoreError::NoIdentity`] while no identity is
    /// stored (nothing to bind the blob to).
    pub(crate) fn encode<T: StateBlob, O>(
        &mut self,
        value: &T,
        slot: Slot<'_>,
        write: impl FnOnce(&[u8]) -> O,
    ) -> Result<O, StoreError> {
        let owner = match self {
            Self::Plain => None,
            Self::Sealed { .. } => Some(self.require_owner()?),
        };
        Ok(match (self, owner) {
            (Self::Sealed { key, rng, .. }, Some(owner)) => {
                let blob = value.seal(key, &slot.address(owner), rng);
                write(blob.as_slice())
            }
            _ => {
                let blob = value.to_blob();
                write(blob.as_slice())
            }
        })
    }

    /// Loads a blob written by [`encode`](Self::encode) for `slot`.
    pub(crate) fn decode<T: StateBlob>(
        &self,
        bytes: &[u8],
        slot: Slot<'_>,
    ) -> Result<T, StoreError> {
        let state = |error: StateError| StoreError::State {
            record: slot.record(),
            error,
        };
        match self {
            Self::Plain => T::from_blob(bytes).map_err(state),
            Self::Sealed { key, .. } => {
                let owner = self.require_owner()?;
                T::unseal(key, &slot.address(owner), bytes).map_err(state)
            }
        }
    }
}

impl core::fmt::Debug for BlobCodec {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Plain => f.write_str("Plain"),
            Self::Sealed { key, owner, .. } => f
                .debug_struct("Sealed")
                .field("key", key)
                .field("owner", owner)
                .finish_non_exhaustive(),
        }
    }
}
