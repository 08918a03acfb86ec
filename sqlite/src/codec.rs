//! How state objects become the blobs in the database: plain state blobs,
//! or blobs sealed under the caller's storage key and bound to their row.

use sealwire::DeviceAddress;
use sealwire::group::GroupId;
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
    /// Table `groups`, the row of this group.
    Group(&'a GroupId),
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
            Self::Group(id) => BlobAddress::local(owner)
                .with_peer_name(id.as_bytes())
                .with_context(b"groups"),
        }
    }

    /// The record named in [`StoreError::State`].
    pub(crate) fn record(&self) -> StateRecord {
        match self {
            Self::LocalIdentity => StateRecord::LocalIdentity,
            Self::Prekeys => StateRecord::Prekeys,
            Self::Session(peer) => StateRecord::Session((*peer).clone()),
            Self::DeviceList(user) => StateRecord::DeviceList((*user).to_owned()),
            Self::Group(id) => StateRecord::Group(**id),
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

/// The first bytes of the associated data of every value this crate
/// seals (STORAGE.md §14).
const VALUE_LABEL: &[u8] = b"sealwire-sqlite/value/v5";

/// The associated data a value of `table` is sealed with: the label, the
/// table and the row's fields (its id and every column that does not
/// change after insertion), each length-prefixed, so that a value opens
/// only in the row it was written for.
pub(crate) fn value_address(table: &str, fields: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    for part in core::iter::once(VALUE_LABEL)
        .chain(core::iter::once(table.as_bytes()))
        .chain(fields.iter().copied())
    {
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

impl BlobCodec {
    /// Seals an app value for the row `address` names
    /// ([`value_address`]): a sealed database seals it under the storage
    /// key ([`StorageKey::seal_value`]); a plain one stores it as it is.
    pub(crate) fn seal_value(&mut self, address: &[u8], value: &[u8]) -> Vec<u8> {
        match self {
            Self::Plain => value.to_vec(),
            Self::Sealed { key, rng, .. } => key.seal_value(rng, address, value),
        }
    }

    /// Opens a value written by [`seal_value`](Self::seal_value) for the
    /// same row: [`StoreError::SealedRow`] if it fails (damaged, moved
    /// from another row, another key).
    pub(crate) fn open_value(
        &self,
        table: &'static str,
        row_id: i64,
        address: &[u8],
        bytes: Vec<u8>,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, StoreError> {
        match self {
            Self::Plain => Ok(zeroize::Zeroizing::new(bytes)),
            Self::Sealed { key, .. } => {
                key.open_value(address, &bytes)
                    .map_err(|error| StoreError::SealedRow {
                        table,
                        row_id,
                        error,
                    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_the_codec_and_the_key_id_never_the_key() {
        assert_eq!(format!("{:?}", BlobCodec::Plain), "Plain");
        let key = StorageKey::from_bytes([0xA5; 32]);
        let id = format!("{key:?}");
        let sealed = BlobCodec::Sealed {
            key,
            rng: sealwire::os_rng(),
            owner: None,
        };
        let shown = format!("{sealed:?}");
        assert!(shown.starts_with("Sealed {"), "{shown}");
        assert!(shown.contains(&id), "the key's id: {shown}");
        assert!(shown.contains("owner: None"), "{shown}");
        assert!(!shown.to_lowercase().contains("a5a5"), "the key: {shown}");
        assert!(!shown.contains("165"), "the key, in decimal: {shown}");
    }
}
