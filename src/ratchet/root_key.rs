//! The root key and `KDF_RK` (SPEC.md §5.2).

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::kdf::{RATCHET_INFO, hkdf_sha256};
use crate::ratchet::chain_key::ChainKey;

/// The 32-byte root key of the Double Ratchet.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct RootKey([u8; 32]);

impl RootKey {
    pub(crate) fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// `KDF_RK(rk, dh) = HKDF-SHA256(salt = rk, IKM = dh,
    /// info = "Sealwire_Ratchet_v1", L = 64)`: new root key `[0..32]`,
    /// chain key `[32..64]`.
    pub(crate) fn advance(&self, dh_output: &[u8; 32]) -> (RootKey, ChainKey) {
        let mut okm: [u8; 64] = hkdf_sha256(&self.0, &[dh_output], RATCHET_INFO);
        let mut rk = [0u8; 32];
        let mut ck = [0u8; 32];
        let (a, b) = okm.split_at(32);
        rk.copy_from_slice(a);
        ck.copy_from_slice(b);
        okm.zeroize();
        (RootKey(rk), ChainKey::new(ck))
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for RootKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl core::fmt::Debug for RootKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RootKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn an_advance_is_kdf_rk_of_spec_5_2() {
        let dh = [9u8; 32];
        let mut okm = [0u8; 64];
        hkdf::Hkdf::<sha2::Sha256>::new(Some(&[3; 32]), &dh)
            .expand(RATCHET_INFO, &mut okm)
            .unwrap();
        let (rk, ck) = RootKey::new([3; 32]).advance(&dh);
        assert_eq!(rk.as_bytes()[..], okm[..32]);
        assert_eq!(ck.as_bytes()[..], okm[32..]);
    }

    #[test]
    fn keys_are_equal_exactly_when_their_bytes_are_and_debug_shows_none() {
        let a = RootKey::new([1; 32]);
        assert_eq!(a, RootKey::new([1; 32]));
        assert_ne!(a, RootKey::new([2; 32]));
        assert_eq!(format!("{a:?}"), "RootKey(..)");
    }
}
