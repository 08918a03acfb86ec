//! Post-quantum prekeys (SPEC.md §3.5): ML-KEM-768 key pairs signed by the
//! identity key, one-time or last-resort, published in the bundle and used
//! by PQXDH.

use alloc::boxed::Box;

use crate::error::DecodeError;
use crate::identity::{IdentityKey, IdentityKeyPair};
use ml_kem::EncapsulationKey768;

use crate::kem::{
    Encapsulated, KEM_PUBLIC_KEY_LEN, KemKeyPair, encapsulate, encapsulate_parsed, parse_public_key,
};

pub use crate::kem::{KEM_CIPHERTEXT_LEN, KEM_PUBLIC_KEY_LEN as PQ_PUBLIC_KEY_LEN};

/// Type byte of `Encode(PQPK)` for an ML-KEM-768 encapsulation key
/// (distinct from X25519 `0x05` and Ed25519 `0x06`).
pub const ENCODE_ML_KEM_768: u8 = 0x0A;

/// Length of `Encode(PQPK) = 0x0A || ek`.
pub const PQ_PREKEY_MESSAGE_LEN: usize = 1 + KEM_PUBLIC_KEY_LEN;

/// The message an identity signs to certify a PQ prekey:
/// `Encode(PQPK) = 0x0A || ek` (1185 bytes, SPEC.md §3.5).
pub(crate) fn pq_prekey_message(
    public: &[u8; KEM_PUBLIC_KEY_LEN],
) -> Box<[u8; PQ_PREKEY_MESSAGE_LEN]> {
    let mut m = Box::new([0u8; PQ_PREKEY_MESSAGE_LEN]);
    let (ty, rest) = m.split_at_mut(1);
    ty.copy_from_slice(&[ENCODE_ML_KEM_768]);
    rest.copy_from_slice(public);
    m
}

/// Whether a PQ prekey is used once or until it is rotated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum PqPrekeyKind {
    /// Consumed by the first session that decrypts with it.
    OneTime = 0x01,
    /// Used when no one-time PQ prekey is left; the responder refuses a
    /// second session with the same (PQ prekey, signed prekey, base key).
    LastResort = 0x02,
}

impl PqPrekeyKind {
    /// The kind of a bundle's `pq_kind` byte.
    pub fn from_byte(b: u8) -> Option<Self> {
        match b {
            0x01 => Some(Self::OneTime),
            0x02 => Some(Self::LastResort),
            _ => None,
        }
    }

    /// The `pq_kind` byte.
    pub fn to_byte(self) -> u8 {
        self as u8
    }
}

/// The public half of a PQ prekey as published: id, kind, the ML-KEM-768
/// encapsulation key and the identity's signature over `0x0A || ek`.
///
/// A value built by [`new`](Self::new) holds an encapsulation key that
/// passed the FIPS 203 checks; the signature is verified when it goes into a
/// bundle ([`PrekeyBundle::parse`](crate::PrekeyBundle::parse),
/// [`PrekeyBundle::with_pq_prekey`](crate::PrekeyBundle::with_pq_prekey)).
#[derive(Clone)]
pub struct PqPrekeyPublic {
    id: u32,
    kind: PqPrekeyKind,
    public: Box<[u8; KEM_PUBLIC_KEY_LEN]>,
    signature: [u8; 64],
    /// `public` as [`new`](Self::new) parsed it for its checks, kept for
    /// the encapsulation (a value made by `to_public` parses when it
    /// encapsulates); derived from `public`, left out of comparisons.
    parsed: Option<Box<EncapsulationKey768>>,
}

impl PartialEq for PqPrekeyPublic {
    fn eq(&self, other: &Self) -> bool {
        let Self {
            id,
            kind,
            public,
            signature,
            parsed: _,
        } = self;
        *id == other.id
            && *kind == other.kind
            && *public == other.public
            && *signature == other.signature
    }
}

impl Eq for PqPrekeyPublic {}

impl PqPrekeyPublic {
    /// Checks the encapsulation key's length and encoding (FIPS 203 §7.2
    /// modulus check): otherwise [`DecodeError::InvalidKey`].
    pub fn new(
        id: u32,
        kind: PqPrekeyKind,
        public: &[u8],
        signature: [u8; 64],
    ) -> Result<Self, DecodeError> {
        let parsed = Box::new(parse_public_key(public)?);
        let mut key = Box::new([0u8; KEM_PUBLIC_KEY_LEN]);
        key.copy_from_slice(public);
        Ok(Self {
            id,
            kind,
            public: key,
            signature,
            parsed: Some(parsed),
        })
    }

    /// The prekey's id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// One-time or last-resort (as published; not covered by the signature).
    pub fn kind(&self) -> PqPrekeyKind {
        self.kind
    }

    /// The 1184-byte ML-KEM-768 encapsulation key.
    pub fn public(&self) -> &[u8; KEM_PUBLIC_KEY_LEN] {
        &self.public
    }

    /// The Ed25519 signature over `0x0A || public`.
    pub fn signature(&self) -> &[u8; 64] {
        &self.signature
    }

    /// Strict Ed25519 verification of the signature by `identity`.
    pub(crate) fn verify(&self, identity: &IdentityKey) -> bool {
        identity.verify_strict(&pq_prekey_message(&self.public)[..], &self.signature)
    }

    /// `ML-KEM.Encaps(public, m)`, with the key parsed once.
    pub(crate) fn encapsulate(&self, m: &[u8; 32]) -> Result<Encapsulated, DecodeError> {
        match &self.parsed {
            Some(ek) => Ok(encapsulate_parsed(ek, m)),
            None => encapsulate(&self.public, m),
        }
    }
}

impl core::fmt::Debug for PqPrekeyPublic {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PqPrekeyPublic")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field(
                "public_prefix",
                &crate::hexfmt::Hex(self.public.split_at(8).0),
            )
            .finish_non_exhaustive()
    }
}

/// One of our PQ prekeys: id, kind, the ML-KEM-768 key pair (secret seed
/// zeroized on drop) and the identity's signature over `0x0A || ek`.
#[derive(Clone)]
pub struct SignedPqPrekey {
    id: u32,
    kind: PqPrekeyKind,
    pair: KemKeyPair,
    signature: [u8; 64],
}

impl SignedPqPrekey {
    pub(crate) fn new(
        identity: &IdentityKeyPair,
        id: u32,
        kind: PqPrekeyKind,
        pair: KemKeyPair,
    ) -> Self {
        let signature = identity.sign(&pq_prekey_message(pair.public())[..]);
        Self {
            id,
            kind,
            pair,
            signature,
        }
    }

    /// A PQ prekey as persisted (the signature is not re-checked).
    pub(crate) fn from_parts(
        id: u32,
        kind: PqPrekeyKind,
        pair: KemKeyPair,
        signature: [u8; 64],
    ) -> Self {
        Self {
            id,
            kind,
            pair,
            signature,
        }
    }

    /// The prekey's id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// One-time or last-resort.
    pub fn kind(&self) -> PqPrekeyKind {
        self.kind
    }

    /// The 1184-byte ML-KEM-768 encapsulation key.
    pub fn public(&self) -> &[u8; KEM_PUBLIC_KEY_LEN] {
        self.pair.public()
    }

    /// The Ed25519 signature over `0x0A || public`.
    pub fn signature(&self) -> &[u8; 64] {
        &self.signature
    }

    /// The public half, to upload or to put in a bundle.
    pub fn to_public(&self) -> PqPrekeyPublic {
        PqPrekeyPublic {
            id: self.id,
            kind: self.kind,
            public: Box::new(*self.pair.public()),
            signature: self.signature,
            parsed: None,
        }
    }

    pub(crate) fn pair(&self) -> &KemKeyPair {
        &self.pair
    }
}

impl PartialEq for SignedPqPrekey {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.kind == other.kind
            && self.pair.ct_eq(&other.pair)
            && self.signature == other.signature
    }
}

impl core::fmt::Debug for SignedPqPrekey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SignedPqPrekey")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::DangerDeterministicRng;

    /// PQ prekeys, public and secret, are equal only when every part is
    /// (each `&&` of the comparisons matters): id, kind, key, signature.
    #[test]
    fn pq_prekeys_are_equal_exactly_when_every_part_is() {
        let mut rng = DangerDeterministicRng::from_u64(12);
        let identity = IdentityKeyPair::generate(&mut rng);
        let pair = KemKeyPair::generate(&mut rng);
        let other_pair = KemKeyPair::generate(&mut rng);
        let one = SignedPqPrekey::new(&identity, 1, PqPrekeyKind::OneTime, pair.clone());
        let mut flipped = *one.signature();
        flipped[0] ^= 1;
        let secret_variants = [
            SignedPqPrekey::from_parts(2, PqPrekeyKind::OneTime, pair.clone(), *one.signature()),
            SignedPqPrekey::from_parts(1, PqPrekeyKind::LastResort, pair.clone(), *one.signature()),
            SignedPqPrekey::from_parts(1, PqPrekeyKind::OneTime, other_pair, *one.signature()),
            SignedPqPrekey::from_parts(1, PqPrekeyKind::OneTime, pair.clone(), flipped),
        ];
        assert_eq!(one, one.clone());
        let public = one.to_public();
        assert_eq!(public, public.clone());
        for other in &secret_variants {
            assert_ne!(&one, other);
            assert_ne!(other, &one);
            // The public halves differ in the same part.
            assert_ne!(public, other.to_public());
            assert_ne!(other.to_public(), public);
        }
        // A public key parsed from bytes equals the one derived.
        let parsed = PqPrekeyPublic::new(
            1,
            PqPrekeyKind::OneTime,
            public.public(),
            *public.signature(),
        )
        .unwrap();
        assert_eq!(parsed, public);
    }
}
