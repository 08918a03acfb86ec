//! A single-use message key and the AEAD it keys (SPEC.md §5.4).

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::kdf::message_keys;
use crate::wire::header::NONCE_MASK_LEN;

/// The AEAD failed: the tag does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AeadFailure;

/// A 32-byte message key. Using it consumes it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct MessageKey([u8; 32]);

impl MessageKey {
    pub(crate) fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// `HKDF-SHA256(salt = 0x00*32, IKM = mk, info = "Sealwire_MessageKeys_v1",
    /// L = 44)`: AES-256-GCM key `[0..32]`, nonce `[32..44] XOR r`, `r` the
    /// header's nonce mask (SPEC.md §5.4).
    fn cipher(&self, nonce_mask: &[u8; NONCE_MASK_LEN]) -> (Aes256Gcm, [u8; 12]) {
        let mut okm = message_keys(&self.0);
        let mut key = [0u8; 32];
        let mut nonce = [0u8; 12];
        let (k, n) = okm.split_at(32);
        key.copy_from_slice(k);
        for ((out, derived), mask) in nonce.iter_mut().zip(n).zip(nonce_mask) {
            *out = derived ^ mask;
        }
        let cipher = Aes256Gcm::new(&key.into());
        key.zeroize();
        okm.zeroize();
        (cipher, nonce)
    }

    /// Encrypts `buf` in place under the nonce masked with `nonce_mask` and
    /// returns the 16-byte tag.
    pub(crate) fn seal(
        self,
        nonce_mask: &[u8; NONCE_MASK_LEN],
        associated_data: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; 16], AeadFailure> {
        let (cipher, nonce) = self.cipher(nonce_mask);
        let tag = cipher
            .encrypt_inout_detached(&nonce.into(), associated_data, InOutBuf::from(buf))
            .map_err(|_| AeadFailure)?;
        let mut out = [0u8; 16];
        out.copy_from_slice(&tag);
        Ok(out)
    }

    /// Verifies `tag` and decrypts `buf` in place. On failure `buf` is left
    /// as it was.
    pub(crate) fn open(
        &self,
        nonce_mask: &[u8; NONCE_MASK_LEN],
        associated_data: &[u8],
        buf: &mut [u8],
        tag: &[u8; 16],
    ) -> Result<(), AeadFailure> {
        let (cipher, nonce) = self.cipher(nonce_mask);
        cipher
            .decrypt_inout_detached(
                &nonce.into(),
                associated_data,
                InOutBuf::from(buf),
                &(*tag).into(),
            )
            .map_err(|_| AeadFailure)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for MessageKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl core::fmt::Debug for MessageKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("MessageKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_is_by_value_and_debug_shows_no_key() {
        let a = MessageKey::new([7; 32]);
        assert!(a == MessageKey::new([7; 32]));
        assert!(a != MessageKey::new([8; 32]));
        let shown = alloc::format!("{a:?}");
        assert_eq!(shown, "MessageKey(..)");
    }
}
