//! Sealed values (STORAGE.md §14): an app's own bytes (a message body, a
//! list of names) sealed under the [`StorageKey`] and bound to where they
//! are stored by associated data the app chooses (its table, its row).

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use alloc::vec::Vec;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::storage_key::StorageKey;
use crate::error::StateError;

/// Format byte of a sealed value.
pub const SEALED_VALUE_VERSION: u8 = 0x01;
/// Bytes a sealed value adds to its plaintext: format byte, storage-key
/// id (8), nonce (12), tag (16).
pub const SEALED_VALUE_OVERHEAD: usize = PREFIX_LEN + TAG_LEN;

const PREFIX_LEN: usize = 1 + 8 + 12;
const TAG_LEN: usize = 16;

impl StorageKey {
    /// Seals `value` (any bytes of the app's: a message body...) with
    /// AES-256-GCM under a key derived from this one for values only
    /// (HKDF, its own label: independent of the keys that seal state
    /// blobs), a fresh random 96-bit nonce, and `associated_data` bound to
    /// it: where the value is stored (its table and row, say). The output
    /// is `version || key_id || nonce || ciphertext || tag`
    /// ([`SEALED_VALUE_OVERHEAD`] bytes longer than `value`); the
    /// associated data is not in it. The plaintext is never copied outside
    /// the output buffer.
    ///
    /// Random nonces: keep it under 2³² values sealed per storage key.
    pub fn seal_value<R: rand_core::CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        associated_data: &[u8],
        value: &[u8],
    ) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rng.fill_bytes(&mut nonce);
        let mut prefix = [0u8; PREFIX_LEN];
        for (p, b) in prefix.iter_mut().zip(
            [SEALED_VALUE_VERSION]
                .iter()
                .chain(&self.id())
                .chain(&nonce),
        ) {
            *p = *b;
        }
        let mut out = Vec::with_capacity(value.len().saturating_add(SEALED_VALUE_OVERHEAD));
        out.extend_from_slice(&prefix);
        out.extend_from_slice(value);
        let ad = value_ad(&prefix, associated_data);
        let cipher = self.value_cipher();
        #[allow(
            clippy::expect_used,
            reason = "AES-256-GCM refuses only a plaintext over 2^36 - 32 bytes or \
                      associated data over 2^61 - 1 bytes, beyond any value in memory \
                      on the targets this crate supports"
        )]
        let tag = {
            let (_, pt) = out.split_at_mut(PREFIX_LEN);
            cipher
                .encrypt_inout_detached(&nonce.into(), &ad, InOutBuf::from(pt))
                .expect("a value within the AES-GCM length limits")
        };
        // The capacity holds the tag: appending it moves nothing.
        out.extend_from_slice(&tag);
        out
    }

    /// Opens a value sealed by [`seal_value`](Self::seal_value) with the
    /// same associated data. Checked in order: the length
    /// ([`StateError::Truncated`]), the format byte
    /// ([`StateError::UnsupportedVersion`]), the storage-key id
    /// ([`StateError::WrongStorageKey`]), then the tag: damaged bytes and
    /// a value moved from where it was sealed (other associated data)
    /// alike are [`StateError::Corrupted`], and nothing is decrypted.
    pub fn open_value(
        &self,
        associated_data: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, StateError> {
        if sealed.len() < SEALED_VALUE_OVERHEAD {
            return Err(StateError::Truncated);
        }
        let (prefix, rest) = sealed.split_at(PREFIX_LEN);
        let (ct, tag) = rest.split_at(rest.len().saturating_sub(TAG_LEN));
        let (version, prefix_rest) = prefix.split_first().ok_or(StateError::Truncated)?;
        if *version != SEALED_VALUE_VERSION {
            return Err(StateError::UnsupportedVersion(*version));
        }
        let (key_id, nonce) = prefix_rest.split_at(8);
        if !bool::from(key_id.ct_eq(&self.id())) {
            return Err(StateError::WrongStorageKey);
        }
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| StateError::Truncated)?;
        let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| StateError::Truncated)?;
        let ad = value_ad(prefix, associated_data);
        let mut out = Zeroizing::new(ct.to_vec());
        self.value_cipher()
            .decrypt_inout_detached(
                &nonce.into(),
                &ad,
                InOutBuf::from(out.as_mut_slice()),
                &tag.into(),
            )
            .map_err(|_| StateError::Corrupted)?;
        Ok(out)
    }

    fn value_cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&(*self.value_key()).into())
    }
}

/// The AEAD's associated data: the value's prefix (format byte, key id,
/// nonce), then the caller's.
fn value_ad(prefix: &[u8], associated_data: &[u8]) -> Vec<u8> {
    let mut ad = Vec::with_capacity(prefix.len().saturating_add(associated_data.len()));
    ad.extend_from_slice(prefix);
    ad.extend_from_slice(associated_data);
    ad
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn a_value_opens_only_with_its_key_and_associated_data() {
        let mut rng = crate::rng::os_rng();
        let key = StorageKey::from_bytes([3; 32]);
        let sealed = key.seal_value(&mut rng, b"messages/7", b"hello");
        assert_eq!(sealed.len(), 5 + SEALED_VALUE_OVERHEAD);
        assert_eq!(sealed[0], SEALED_VALUE_VERSION);
        assert_eq!(
            &key.open_value(b"messages/7", &sealed).unwrap()[..],
            b"hello"
        );
        assert_eq!(
            key.open_value(b"messages/8", &sealed),
            Err(StateError::Corrupted)
        );
        let other = StorageKey::from_bytes([4; 32]);
        assert_eq!(
            other.open_value(b"messages/7", &sealed),
            Err(StateError::WrongStorageKey)
        );
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            let err = key.open_value(b"messages/7", &bad).unwrap_err();
            let expected = match i {
                0 => StateError::UnsupportedVersion(SEALED_VALUE_VERSION ^ 1),
                1..=8 => StateError::WrongStorageKey,
                _ => StateError::Corrupted,
            };
            assert_eq!(err, expected, "byte {i}");
        }
        for n in 0..SEALED_VALUE_OVERHEAD {
            assert_eq!(
                key.open_value(b"messages/7", &sealed[..n]),
                Err(StateError::Truncated)
            );
        }
        // Two seals of one value differ (fresh nonce).
        assert_ne!(
            key.seal_value(&mut rng, b"x", b"v"),
            key.seal_value(&mut rng, b"x", b"v")
        );
        // The empty value.
        let empty = key.seal_value(&mut rng, b"", b"");
        assert!(key.open_value(b"", &empty).unwrap().is_empty());
    }
}
