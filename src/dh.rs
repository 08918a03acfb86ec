//! X25519 key pairs and the Diffie-Hellman function with the all-zero check.

use subtle::ConstantTimeEq;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::error::SessionError;

/// An X25519 key pair whose secret is zeroized on drop.
#[derive(Clone)]
pub(crate) struct DhKeyPair {
    secret: StaticSecret,
    public: [u8; 32],
}

impl DhKeyPair {
    pub(crate) fn from_secret_bytes(bytes: [u8; 32]) -> Self {
        let secret = StaticSecret::from(bytes);
        let public = PublicKey::from(&secret).to_bytes();
        Self { secret, public }
    }

    /// A pair restored from storage: the public half is taken as stored
    /// (the blob's checksum or tag protects it), which saves the scalar
    /// multiplication of [`from_secret_bytes`](Self::from_secret_bytes).
    pub(crate) fn from_stored(secret: [u8; 32], public: [u8; 32]) -> Self {
        Self {
            secret: StaticSecret::from(secret),
            public,
        }
    }

    pub(crate) fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(bytes.as_mut());
        Self::from_secret_bytes(*bytes)
    }

    pub(crate) fn public(&self) -> &[u8; 32] {
        &self.public
    }

    /// The secret scalar bytes, for persistence.
    pub(crate) fn secret_bytes(&self) -> &[u8; 32] {
        self.secret.as_bytes()
    }

    /// `X25519(secret, their_public)`, refusing an all-zero output.
    pub(crate) fn diffie_hellman(
        &self,
        their_public: &[u8; 32],
    ) -> Result<Zeroizing<[u8; 32]>, SessionError> {
        dh_checked(&self.secret, their_public)
    }

    pub(crate) fn ct_eq(&self, other: &Self) -> bool {
        bool::from(self.secret.as_bytes().ct_eq(other.secret.as_bytes()))
            && self.public == other.public
    }
}

impl core::fmt::Debug for DhKeyPair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DhKeyPair")
            .field("public", &crate::hexfmt::Hex(&self.public))
            .finish_non_exhaustive()
    }
}

/// `X25519(secret, their_public)`; an all-zero result (a low-order or
/// zero peer key) is refused (SPEC.md §1.2).
///
/// `was_contributory` compares the output with the identity (u = 0) in
/// constant time, as field elements; X25519 outputs the canonical encoding,
/// so that is exactly the all-zero test of the SPEC.
pub(crate) fn dh_checked(
    secret: &StaticSecret,
    their_public: &[u8; 32],
) -> Result<Zeroizing<[u8; 32]>, SessionError> {
    let shared = secret.diffie_hellman(&PublicKey::from(*their_public));
    if !shared.was_contributory() {
        return Err(SessionError::WeakPublicKey);
    }
    Ok(Zeroizing::new(shared.to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The points of small order (RFC 7748 §6.1; the list of
    /// cr.yp.to/ecdh.html#validate), including non-canonical encodings:
    /// every one makes the output all zero and is refused.
    #[test]
    fn low_order_points_are_refused() {
        let mut one = [0u8; 32];
        one[0] = 1;
        let mut p_minus_one = [0xffu8; 32];
        p_minus_one[0] = 0xec;
        p_minus_one[31] = 0x7f;
        let mut p_plus_one = p_minus_one;
        p_plus_one[0] = 0xee;
        let order_8 = [
            0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f,
            0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16,
            0x5f, 0x49, 0xb8, 0x00,
        ];
        let pair = DhKeyPair::from_secret_bytes([0x42; 32]);
        for point in [[0u8; 32], one, p_minus_one, p_plus_one, order_8] {
            assert_eq!(
                pair.diffie_hellman(&point).map(|_| ()),
                Err(SessionError::WeakPublicKey),
                "{point:02x?}"
            );
        }
        let peer = DhKeyPair::from_secret_bytes([0x24; 32]);
        let ours = pair.diffie_hellman(peer.public()).map(|k| *k);
        assert_eq!(ours, peer.diffie_hellman(pair.public()).map(|k| *k));
        assert!(ours.is_ok_and(|k| k != [0u8; 32]));
    }
}
