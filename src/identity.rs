//! Long-term identity keys: Ed25519 for signatures, its X25519 form for
//! Diffie-Hellman (SPEC.md §3).

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use subtle::ConstantTimeEq;
use x25519_dalek::StaticSecret;
use zeroize::Zeroizing;

use crate::dh::{TheirPublic, dh_checked};
use crate::error::{DecodeError, SessionError};
use crate::hexfmt::Hex;

/// Type byte of `Encode(IK)` for an Ed25519 identity key.
pub const ENCODE_ED25519: u8 = 0x06;
/// Type byte of `Encode(K)` for an X25519 key.
pub const ENCODE_X25519: u8 = 0x05;

/// A peer's public identity key (Ed25519), validated when it was built:
/// a canonical encoding of a point of the prime-order subgroup (not of
/// small order, no torsion component), so that one identity secret has
/// exactly one public key and one safety number (SPEC.md §3.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdentityKey {
    ed25519: [u8; 32],
    x25519: [u8; 32],
}

impl IdentityKey {
    /// Parses the 32-byte Ed25519 public key. Rejects
    /// ([`DecodeError::InvalidKey`]) encodings that do not decompress,
    /// non-canonical ones, small-order (weak) points and points with a
    /// torsion component (`A + T`, `T` of order 2, 4 or 8): each of those
    /// would give one identity secret a second public key, with a safety
    /// number of its own (SPEC.md §3.1).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, DecodeError> {
        let vk = VerifyingKey::from_bytes(bytes).map_err(|_| DecodeError::InvalidKey)?;
        let point = vk.to_edwards();
        // `VerifyingKey` keeps the bytes it was given, so canonicity is
        // checked against the re-compressed point: this refuses y >= p and a
        // set sign bit on x = 0.
        if vk.is_weak() || point.compress().to_bytes() != *bytes || !point.is_torsion_free() {
            return Err(DecodeError::InvalidKey);
        }
        Ok(Self {
            ed25519: *bytes,
            x25519: vk.to_montgomery().to_bytes(),
        })
    }

    /// A key restored from a state blob of a version whose writer checked
    /// every identity key as [`from_bytes`](Self::from_bytes) does when it
    /// entered: both forms as stored, without the point decompression.
    pub(crate) fn from_stored(ed25519: [u8; 32], x25519: [u8; 32]) -> Self {
        Self { ed25519, x25519 }
    }

    /// A key restored from a state blob of a version written before the
    /// torsion rule of [`from_bytes`](Self::from_bytes): checked in full,
    /// and the stored X25519 form must be the one the key gives.
    pub(crate) fn from_stored_checked(
        ed25519: [u8; 32],
        x25519: [u8; 32],
    ) -> Result<Self, DecodeError> {
        let key = Self::from_bytes(&ed25519)?;
        if key.x25519 != x25519 {
            return Err(DecodeError::InvalidKey);
        }
        Ok(key)
    }

    /// The 32-byte Ed25519 public key.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.ed25519
    }

    /// The 32-byte Ed25519 public key, borrowed.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.ed25519
    }

    /// `Encode(IK) = 0x06 || ed25519_public` (33 bytes).
    pub fn encode(&self) -> [u8; 33] {
        let mut out = [0u8; 33];
        out[0] = ENCODE_ED25519;
        out[1..].copy_from_slice(&self.ed25519);
        out
    }

    /// The X25519 (Montgomery) form used for Diffie-Hellman.
    pub(crate) fn x25519(&self) -> &[u8; 32] {
        &self.x25519
    }

    /// Strict Ed25519 verification (`verify_strict`).
    pub(crate) fn verify_strict(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        match VerifyingKey::from_bytes(&self.ed25519) {
            Ok(vk) => vk
                .verify_strict(message, &Signature::from_bytes(signature))
                .is_ok(),
            Err(_) => false,
        }
    }
}

impl core::fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("IdentityKey")
            .field(&Hex(&self.ed25519))
            .finish()
    }
}

/// Our own long-term identity: the Ed25519 signing key and its X25519 form.
/// The secret is zeroized on drop and never printed.
#[derive(Clone)]
pub struct IdentityKeyPair {
    signing: SigningKey,
    dh: StaticSecret,
    public: IdentityKey,
}

impl IdentityKeyPair {
    /// Draws a fresh identity from `rng`.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::from_seed(&seed)
    }

    /// Rebuilds an identity from its 32-byte Ed25519 seed (RFC 8032 secret
    /// key). The seed is the whole secret: keep it as such.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let signing = SigningKey::from_bytes(seed);
        // SPEC.md §3: X25519 scalar = clamp(SHA-512(seed)[0..32]); X25519
        // clamps on use, so the unclamped bytes are stored.
        let dh = StaticSecret::from(signing.to_scalar_bytes());
        let vk = signing.verifying_key();
        let public = IdentityKey {
            ed25519: vk.to_bytes(),
            x25519: vk.to_montgomery().to_bytes(),
        };
        Self {
            signing,
            dh,
            public,
        }
    }

    /// The 32-byte seed, for persistence. Handle as a secret.
    pub fn danger_seed_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// The public identity key to publish.
    pub fn public(&self) -> &IdentityKey {
        &self.public
    }

    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    pub(crate) fn diffie_hellman(
        &self,
        their_public: &[u8; 32],
    ) -> Result<Zeroizing<[u8; 32]>, SessionError> {
        dh_checked(&self.dh, &TheirPublic::new(their_public))
    }

    /// [`diffie_hellman`](Self::diffie_hellman) with a peer key decoded
    /// once for several DHs.
    pub(crate) fn diffie_hellman_with(
        &self,
        their_public: &TheirPublic,
    ) -> Result<Zeroizing<[u8; 32]>, SessionError> {
        dh_checked(&self.dh, their_public)
    }
}

impl PartialEq for IdentityKeyPair {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.signing.to_bytes().ct_eq(&other.signing.to_bytes()))
    }
}

impl Eq for IdentityKeyPair {}

impl core::fmt::Debug for IdentityKeyPair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IdentityKeyPair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_pairs_are_equal_exactly_when_their_secrets_are() {
        let a = IdentityKeyPair::from_seed(&[1; 32]);
        let b = IdentityKeyPair::from_seed(&[2; 32]);
        assert_eq!(a, IdentityKeyPair::from_seed(&[1; 32]));
        assert_ne!(a, b);
        assert_ne!(b, a);
    }

    #[test]
    fn debug_shows_the_public_key_and_never_the_seed() {
        let pair = IdentityKeyPair::from_seed(&[0xab; 32]);
        let shown = alloc::format!("{pair:?}");
        assert!(shown.starts_with("IdentityKeyPair {"), "{shown}");
        assert!(
            shown.contains(&alloc::format!("{:?}", pair.public())),
            "{shown}"
        );
        assert!(!shown.contains("abab"), "the seed leaks: {shown}");
    }
}
