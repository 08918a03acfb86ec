//! The caller's 32-byte storage key and the keys derived from it.

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::kdf::hkdf_sha256;

/// HKDF info of the storage key's public identifier.
pub(crate) const KEY_ID_INFO: &[u8] = b"Sealwire_StorageKeyId_v1";
/// HKDF info of the per-blob sealing key and nonce (legacy unbound
/// envelope `"SWSE"`, read only).
pub(crate) const SEAL_INFO: &[u8] = b"Sealwire_StateSeal_v1";
/// HKDF info of the per-blob sealing key and nonce of the bound envelope
/// `"SWSB"`.
pub(crate) const SEAL_INFO_V2: &[u8] = b"Sealwire_StateSeal_v2";
/// HKDF info of the key of the address tags (bound envelope).
pub(crate) const ADDRESS_INFO_V2: &[u8] = b"Sealwire_StateAddress_v2";
/// HKDF info of the key that seals app values (STORAGE.md §14).
pub(crate) const VALUE_INFO: &[u8] = b"Sealwire_StorageValue_v1";

/// A 32-byte key that seals state blobs (for example one kept in the
/// platform keystore). Zeroized on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct StorageKey {
    key: [u8; 32],
    id: [u8; 8],
    address_key: [u8; 32],
    value_key: [u8; 32],
}

impl StorageKey {
    /// Wraps a 32-byte key. It must be uniformly random (not a password).
    pub fn from_bytes(key: [u8; 32]) -> Self {
        let id = hkdf_sha256(&[0u8; 32], &[&key], KEY_ID_INFO);
        let address_key = hkdf_sha256(&[0u8; 32], &[&key], ADDRESS_INFO_V2);
        let value_key = hkdf_sha256(&[0u8; 32], &[&key], VALUE_INFO);
        Self {
            key,
            id,
            address_key,
            value_key,
        }
    }

    /// Draws a fresh key.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut());
        Self::from_bytes(*key)
    }

    /// The key's 8-byte identifier, written in every sealed blob so that a
    /// blob sealed under another key is told apart from a damaged one. It
    /// is a one-way function of the key.
    pub fn id(&self) -> [u8; 8] {
        self.id
    }

    /// The one-time AES-256-GCM key and nonce of the blob with this salt,
    /// under `info` ([`SEAL_INFO`] or [`SEAL_INFO_V2`]).
    pub(crate) fn blob_key(&self, salt: &[u8; 32], info: &[u8]) -> zeroize::Zeroizing<[u8; 44]> {
        zeroize::Zeroizing::new(hkdf_sha256(salt, &[&self.key], info))
    }

    /// The AES-256-GCM key of sealed values (STORAGE.md §14).
    pub(crate) fn value_key(&self) -> &[u8; 32] {
        &self.value_key
    }

    /// `HMAC-SHA256(address_key, salt || kind || address)[0..16]`.
    pub(crate) fn address_tag(&self, salt: &[u8; 32], kind: u8, address: &[u8]) -> [u8; 16] {
        use hmac::Mac;
        let mut mac = crate::kdf::hmac_keyed(&self.address_key);
        mac.update(salt);
        mac.update(&[kind]);
        mac.update(address);
        let full = crate::kdf::hmac_finalize(mac);
        let mut out = [0u8; 16];
        for (o, b) in out.iter_mut().zip(full.iter()) {
            *o = *b;
        }
        out
    }
}

impl PartialEq for StorageKey {
    fn eq(&self, other: &Self) -> bool {
        subtle::ConstantTimeEq::ct_eq(&self.key[..], &other.key[..]).into()
    }
}

impl Eq for StorageKey {}

impl core::fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StorageKey")
            .field("id", &crate::hexfmt::Hex(&self.id))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_is_by_value_and_debug_shows_only_the_key_id() {
        let a = StorageKey::from_bytes([0x42; 32]);
        assert_eq!(a, StorageKey::from_bytes([0x42; 32]));
        assert_ne!(a, StorageKey::from_bytes([0x43; 32]));
        let shown = alloc::format!("{a:?}");
        let id: alloc::string::String = a.id().iter().map(|b| alloc::format!("{b:02x}")).collect();
        assert!(shown.starts_with("StorageKey"), "{shown}");
        assert!(shown.contains(&id), "{shown}");
        assert!(!shown.contains("4242"), "{shown}");
    }
}
