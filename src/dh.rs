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
/// zero peer key) is refused, checked in constant time.
pub(crate) fn dh_checked(
    secret: &StaticSecret,
    their_public: &[u8; 32],
) -> Result<Zeroizing<[u8; 32]>, SessionError> {
    let shared = secret.diffie_hellman(&PublicKey::from(*their_public));
    let out = Zeroizing::new(shared.to_bytes());
    if bool::from(out.ct_eq(&[0u8; 32])) {
        return Err(SessionError::WeakPublicKey);
    }
    Ok(out)
}
