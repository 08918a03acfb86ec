//! A sending or receiving chain key and `KDF_CK` (SPEC.md §5.3).

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::kdf::hmac_sha256_pair;
use crate::ratchet::message_key::MessageKey;

/// Input byte of `HMAC(ck, ·)` that yields the message key.
const MESSAGE_KEY_SEED: u8 = 0x01;
/// Input byte of `HMAC(ck, ·)` that yields the next chain key.
const CHAIN_KEY_SEED: u8 = 0x02;

/// A 32-byte chain key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct ChainKey([u8; 32]);

impl ChainKey {
    pub(crate) fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// One chain step: message key `HMAC-SHA256(ck, 0x01)` and next chain
    /// key `HMAC-SHA256(ck, 0x02)`. The HMAC key schedule is computed once
    /// for both.
    pub(crate) fn step(&self) -> (MessageKey, ChainKey) {
        let (mk, ck) = hmac_sha256_pair(&self.0, MESSAGE_KEY_SEED, CHAIN_KEY_SEED);
        (MessageKey::new(mk), ChainKey(ck))
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for ChainKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl core::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ChainKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use hmac::{KeyInit, Mac};

    fn hmac(key: &[u8; 32], byte: u8) -> [u8; 32] {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        mac.update(&[byte]);
        mac.finalize().into_bytes().into()
    }

    #[test]
    fn a_step_is_kdf_ck_of_spec_5_3() {
        let ck = ChainKey::new([7; 32]);
        let (mk, next) = ck.step();
        assert_eq!(next.as_bytes(), &hmac(&[7; 32], 0x02));
        assert_eq!(mk, MessageKey::new(hmac(&[7; 32], 0x01)));
    }

    #[test]
    fn keys_are_equal_exactly_when_their_bytes_are_and_debug_shows_none() {
        let a = ChainKey::new([1; 32]);
        assert_eq!(a, ChainKey::new([1; 32]));
        assert_ne!(a, ChainKey::new([2; 32]));
        assert_eq!(format!("{a:?}"), "ChainKey(..)");
    }
}
