//! [`BlobAddress`]: where a sealed blob belongs (STORAGE.md §1).

use sha2::{Digest, Sha256};

use crate::address::DeviceAddress;
use crate::identity::IdentityKey;

/// Length of [`BlobAddress::encode`]'s output.
pub(crate) const ADDRESS_LEN: usize = 32 + 33 + 33 + 5 + 33;

/// Where a sealed blob belongs: the owner (our identity key) and, for a
/// per-peer blob, the peer (its identity key, the app's name for it, its
/// device id) and an optional app context (a group id, a table name...).
///
/// A blob sealed with [`StateBlob::seal`](super::StateBlob::seal) opens
/// only with the same address and kind: a blob moved into another row of
/// the database (another peer's, another owner's, another kind's) is
/// refused with [`StateError::WrongAddress`](crate::persist::StateError::WrongAddress)
/// before anything is decrypted. The address is never written in the blob
/// (only a salted tag of it), so a reader of the disk learns nothing of it.
///
/// ```
/// use sealwire::persist::BlobAddress;
/// use sealwire::DeviceAddress;
/// # let mut rng = sealwire::os_rng();
/// # let ours = sealwire::IdentityKeyPair::generate(&mut rng);
/// # let bobs = sealwire::IdentityKeyPair::generate(&mut rng);
/// let identity_row = BlobAddress::local(*ours.public());
/// let bob_row = BlobAddress::device(*ours.public(), &DeviceAddress::new("bob", 1))
///     .with_peer_identity(*bobs.public());
/// assert_ne!(identity_row, bob_row);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BlobAddress {
    owner: IdentityKey,
    peer_identity: Option<IdentityKey>,
    peer_name: Option<[u8; 32]>,
    device_id: Option<u32>,
    context: Option<[u8; 32]>,
}

impl BlobAddress {
    /// A blob of the owner's own (identity, prekey store, expiry queue):
    /// no peer.
    pub fn local(owner: IdentityKey) -> Self {
        Self {
            owner,
            peer_identity: None,
            peer_name: None,
            device_id: None,
            context: None,
        }
    }

    /// A per-peer blob bound to the peer's identity key and device id.
    pub fn peer(owner: IdentityKey, peer_identity: IdentityKey, device_id: u32) -> Self {
        Self {
            peer_identity: Some(peer_identity),
            device_id: Some(device_id),
            ..Self::local(owner)
        }
    }

    /// A per-peer blob bound to the app's address of the peer device (the
    /// name, hashed, and the device id): the key of a store's row.
    pub fn device(owner: IdentityKey, address: &DeviceAddress) -> Self {
        Self::local(owner)
            .with_peer_name(address.name())
            .with_device_id(address.device_id())
    }

    /// The same address, also bound to the app's name for the peer (its
    /// bytes, hashed).
    #[must_use]
    pub fn with_peer_name(mut self, name: impl AsRef<[u8]>) -> Self {
        self.peer_name = Some(Sha256::digest(name.as_ref()).into());
        self
    }

    /// The same address, also bound to a peer device id.
    #[must_use]
    pub fn with_device_id(mut self, device_id: u32) -> Self {
        self.device_id = Some(device_id);
        self
    }

    /// The same address, also bound to the peer's identity key.
    #[must_use]
    pub fn with_peer_identity(mut self, peer_identity: IdentityKey) -> Self {
        self.peer_identity = Some(peer_identity);
        self
    }

    /// The same address, also bound to a context of the app's (for
    /// example a group id or the name of a table), hashed.
    #[must_use]
    pub fn with_context(mut self, context: &[u8]) -> Self {
        self.context = Some(Sha256::digest(context).into());
        self
    }

    /// The owner's identity key.
    pub fn owner(&self) -> &IdentityKey {
        &self.owner
    }

    /// The peer's identity key, if bound.
    pub fn peer_identity(&self) -> Option<&IdentityKey> {
        self.peer_identity.as_ref()
    }

    /// The peer device id, if bound.
    pub fn device_id(&self) -> Option<u32> {
        self.device_id
    }

    /// The fixed-width encoding (STORAGE.md §1): `owner 32 | present u8 |
    /// peer_identity 32 | present u8 | SHA-256(peer_name) 32 | present u8 |
    /// device_id u32 | present u8 | SHA-256(context) 32`, an absent field
    /// being a 0 presence byte and zeros.
    pub(crate) fn encode(&self) -> [u8; ADDRESS_LEN] {
        fn field<const N: usize>(value: Option<[u8; N]>) -> impl Iterator<Item = u8> {
            let flag = u8::from(value.is_some());
            core::iter::once(flag).chain(value.unwrap_or([0u8; N]))
        }
        let mut out = [0u8; ADDRESS_LEN];
        let bytes = self
            .owner
            .as_bytes()
            .iter()
            .copied()
            .chain(field(self.peer_identity.map(|k| *k.as_bytes())))
            .chain(field(self.peer_name))
            .chain(field(self.device_id.map(u32::to_be_bytes)))
            .chain(field(self.context));
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = b;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn encoding_is_fixed_width_with_presence_bytes() {
        let k = |b: u8| *crate::IdentityKeyPair::from_seed(&[b; 32]).public();
        let local = BlobAddress::local(k(1)).encode();
        assert_eq!(&local[..32], k(1).as_bytes());
        assert!(local[32..].iter().all(|b| *b == 0));
        let full = BlobAddress::device(k(1), &DeviceAddress::new("bob", 0x0102_0304))
            .with_peer_identity(k(2))
            .with_context(b"ctx")
            .encode();
        assert_eq!(full[32], 1);
        assert_eq!(&full[33..65], k(2).as_bytes());
        assert_eq!(full[65], 1);
        assert_eq!(&full[66..98], &Sha256::digest(b"bob")[..]);
        assert_eq!(&full[98..103], &[1, 1, 2, 3, 4]);
        assert_eq!(full[103], 1);
        assert_eq!(&full[104..], &Sha256::digest(b"ctx")[..]);
        // Device id 0 is told apart from no device id.
        let zero = BlobAddress::peer(k(1), k(2), 0).encode();
        let none = BlobAddress::local(k(1)).with_peer_identity(k(2)).encode();
        assert_ne!(zero, none);
    }

    #[test]
    fn accessors_return_what_was_bound() {
        let k = |b: u8| *crate::IdentityKeyPair::from_seed(&[b; 32]).public();
        let local = BlobAddress::local(k(1));
        assert_eq!(local.owner(), &k(1));
        assert_eq!(local.peer_identity(), None);
        assert_eq!(local.device_id(), None);
        let peer = BlobAddress::peer(k(1), k(2), 7);
        assert_eq!(peer.peer_identity(), Some(&k(2)));
        assert_eq!(peer.device_id(), Some(7));
    }
}
