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
