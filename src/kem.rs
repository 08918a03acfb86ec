//! ML-KEM-768 (FIPS 203) through the `ml-kem` crate: key pairs kept as
//! their 64-byte seed `d || z`, checked encapsulation keys, and the
//! deterministic encapsulation the known-answer vectors need.
//!
//! The decapsulation key is expanded from its seed when it is used (one
//! ML-KEM key generation, about as costly as an encapsulation): a store of
//! a thousand one-time PQ prekeys then holds 1.2 MiB of public keys and
//! 64 KiB of secrets instead of about 3 MiB of expanded keys.

use alloc::boxed::Box;

use ml_kem::array::Array;
use ml_kem::{Decapsulate, DecapsulationKey768, EncapsulationKey768, KeyExport};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::error::DecodeError;

/// Length of an ML-KEM-768 encapsulation (public) key.
pub const KEM_PUBLIC_KEY_LEN: usize = 1184;
/// Length of an ML-KEM-768 ciphertext.
pub const KEM_CIPHERTEXT_LEN: usize = 1088;
/// Length of an ML-KEM-768 decapsulation-key seed `d || z` (FIPS 203).
pub(crate) const KEM_SEED_LEN: usize = 64;
/// Length of the ML-KEM shared secret.
pub(crate) const KEM_SHARED_SECRET_LEN: usize = 32;

/// An ML-KEM-768 key pair: the secret seed (zeroized on drop) and the
/// encoded encapsulation key.
#[derive(Clone)]
pub(crate) struct KemKeyPair {
    seed: Zeroizing<[u8; KEM_SEED_LEN]>,
    public: Box<[u8; KEM_PUBLIC_KEY_LEN]>,
}

impl KemKeyPair {
    /// The key pair of a seed `d || z` (ML-KEM.KeyGen_internal).
    pub(crate) fn from_seed(seed: &[u8; KEM_SEED_LEN]) -> Self {
        let dk = expand(seed);
        let mut public = Box::new([0u8; KEM_PUBLIC_KEY_LEN]);
        public.copy_from_slice(dk.encapsulation_key().to_bytes().as_slice());
        Self {
            seed: Zeroizing::new(*seed),
            public,
        }
    }

    /// A pair restored from storage: the public key as stored (the blob's
    /// checksum or tag protects it), without the key generation.
    pub(crate) fn from_stored(
        seed: &[u8; KEM_SEED_LEN],
        public: Box<[u8; KEM_PUBLIC_KEY_LEN]>,
    ) -> Self {
        Self {
            seed: Zeroizing::new(*seed),
            public,
        }
    }

    /// Draws a fresh seed (64 bytes from `rng`).
    pub(crate) fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = Zeroizing::new([0u8; KEM_SEED_LEN]);
        rng.fill_bytes(seed.as_mut());
        Self::from_seed(&seed)
    }

    pub(crate) fn public(&self) -> &[u8; KEM_PUBLIC_KEY_LEN] {
        &self.public
    }

    /// The seed, for persistence.
    pub(crate) fn seed(&self) -> &[u8; KEM_SEED_LEN] {
        &self.seed
    }

    /// ML-KEM.Decaps. Never fails: a ciphertext that was not made for this
    /// key gives an unrelated pseudo-random secret (implicit rejection), so
    /// a tampered ciphertext surfaces as a failed AEAD tag later.
    pub(crate) fn decapsulate(
        &self,
        ciphertext: &[u8; KEM_CIPHERTEXT_LEN],
    ) -> Zeroizing<[u8; KEM_SHARED_SECRET_LEN]> {
        let dk = expand(&self.seed);
        let ct = Array::from(*ciphertext);
        let mut ss = dk.decapsulate(&ct);
        let out = Zeroizing::new(ss.0);
        ss.as_mut_slice().zeroize();
        out
    }

    pub(crate) fn ct_eq(&self, other: &Self) -> bool {
        bool::from(self.seed.ct_eq(other.seed.as_ref())) && self.public == other.public
    }
}

impl core::fmt::Debug for KemKeyPair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KemKeyPair")
            .field("public_len", &self.public.len())
            .finish_non_exhaustive()
    }
}

/// The decapsulation key of a seed; zeroized on drop by `ml-kem`.
fn expand(seed: &[u8; KEM_SEED_LEN]) -> DecapsulationKey768 {
    let mut s = Array::from(*seed);
    let dk = DecapsulationKey768::from_seed(s);
    s.as_mut_slice().zeroize();
    dk
}

/// Parses an encapsulation key with the checks of FIPS 203 §7.2: the
/// length, and the modulus check (every coefficient below q, i.e. the key
/// re-encodes to the same bytes). Fails with `InvalidKey`.
pub(crate) fn parse_public_key(bytes: &[u8]) -> Result<EncapsulationKey768, DecodeError> {
    let array = Array::try_from(bytes).map_err(|_| DecodeError::InvalidKey)?;
    EncapsulationKey768::new(&array).map_err(|_| DecodeError::InvalidKey)
}

/// A ciphertext and its shared secret.
pub(crate) type Encapsulated = (
    Box<[u8; KEM_CIPHERTEXT_LEN]>,
    Zeroizing<[u8; KEM_SHARED_SECRET_LEN]>,
);

/// ML-KEM.Encaps_internal with the explicit 32-byte randomness `m`:
/// `(ciphertext, shared secret)`.
pub(crate) fn encapsulate(
    public_key: &[u8; KEM_PUBLIC_KEY_LEN],
    m: &[u8; 32],
) -> Result<Encapsulated, DecodeError> {
    Ok(encapsulate_parsed(&parse_public_key(public_key)?, m))
}

/// [`encapsulate`] with an encapsulation key parsed (and checked) before.
pub(crate) fn encapsulate_parsed(ek: &EncapsulationKey768, m: &[u8; 32]) -> Encapsulated {
    let mut m_arr = Array::from(*m);
    let (ct, mut ss) = ek.encapsulate_deterministic(&m_arr);
    m_arr.as_mut_slice().zeroize();
    let mut ciphertext = Box::new([0u8; KEM_CIPHERTEXT_LEN]);
    ciphertext.copy_from_slice(ct.as_slice());
    let shared = Zeroizing::new(ss.0);
    ss.as_mut_slice().zeroize();
    (ciphertext, shared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kem_key_pairs_are_equal_only_in_both_halves() {
        let a = KemKeyPair::from_seed(&[1; KEM_SEED_LEN]);
        let b = KemKeyPair::from_seed(&[2; KEM_SEED_LEN]);
        assert!(a.ct_eq(&KemKeyPair::from_seed(&[1; KEM_SEED_LEN])));
        assert!(!a.ct_eq(&b));
        assert!(!a.ct_eq(&KemKeyPair::from_stored(
            &[1; KEM_SEED_LEN],
            b.public.clone()
        )));
        assert!(!a.ct_eq(&KemKeyPair::from_stored(
            &[2; KEM_SEED_LEN],
            a.public.clone()
        )));
    }

    #[test]
    fn a_kem_key_pairs_debug_shows_the_public_length_only() {
        let a = KemKeyPair::from_seed(&[0x61; KEM_SEED_LEN]);
        let shown = alloc::format!("{a:?}");
        assert!(shown.starts_with("KemKeyPair"), "{shown}");
        assert!(shown.contains("public_len: 1184"), "{shown}");
        assert!(!shown.contains("97, 97"), "{shown}");
    }
}
