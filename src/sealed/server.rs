//! The server's certificate key (SPEC.md §22.1): [`ServerKey`] signs sender
//! certificates (server side, `no_std`, no state); clients pin its public
//! half, several at once for rotation ([`TrustedServerKeys`]), and verify
//! certificates against them.

use alloc::collections::{BTreeMap, VecDeque};

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::address::DeviceAddress;
use crate::error::DecodeError;
use crate::identity::IdentityKey;
use crate::limits::{MAX_TRUSTED_SERVER_KEYS, MAX_VERIFIED_CERTIFICATES};
use crate::sealed::certificate::SenderCertificate;
use crate::sealed::error::SealedError;
use crate::sealed::{SEALED_VERSION, TYPE_SERVER_PUBLIC_KEY};
use crate::time::Timestamp;
use crate::wire::codec::{Reader, Writer, write_exact};

/// Length of an encoded [`ServerPublicKey`]: version, type, key id, key.
pub const SERVER_PUBLIC_KEY_LEN: usize = 1 + 1 + 4 + 32;

/// The server's certificate signing key: an Ed25519 key and the id that
/// names it in certificates. Kept by the server operator; the secret is
/// zeroized on drop and never printed.
#[derive(Clone)]
pub struct ServerKey {
    key_id: u32,
    signing: SigningKey,
}

impl ServerKey {
    /// Draws a fresh key with id `key_id` (use a new id for each rotation).
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R, key_id: u32) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::from_seed(key_id, &seed)
    }

    /// The key with id `key_id` from its 32-byte Ed25519 seed (RFC 8032
    /// secret key), as the operator stores it.
    pub fn from_seed(key_id: u32, seed: &[u8; 32]) -> Self {
        Self {
            key_id,
            signing: SigningKey::from_bytes(seed),
        }
    }

    /// The 32-byte seed, for the operator to store. A secret.
    pub fn danger_seed_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// The key id.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The public half, for clients to pin.
    pub fn public(&self) -> ServerPublicKey {
        ServerPublicKey {
            key_id: self.key_id,
            key: self.signing.verifying_key(),
        }
    }

    /// Issues a certificate: `sender` (user id of 1 to
    /// [`MAX_USER_ID_LEN`](crate::limits::MAX_USER_ID_LEN) bytes, else
    /// `Malformed(InvalidValue)` / `Malformed(TooLarge)`) holds `identity`
    /// until `expires_at` (exclusive). The server MUST issue it only to the
    /// authenticated holder of that device's account and identity key, and
    /// SHOULD keep it short-lived (a day, as Signal does): a certificate
    /// cannot be revoked, only left to expire.
    pub fn issue(
        &self,
        sender: &DeviceAddress,
        identity: &IdentityKey,
        expires_at: Timestamp,
    ) -> Result<SenderCertificate, SealedError> {
        let mut certificate =
            SenderCertificate::unsigned(self.key_id, expires_at, *identity, sender)?;
        let signature = self.signing.sign(&certificate.signed_message());
        certificate.set_signature(signature.to_bytes());
        Ok(certificate)
    }
}

impl core::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let Self { key_id, signing: _ } = self;
        f.debug_struct("ServerKey")
            .field("key_id", key_id)
            .finish_non_exhaustive()
    }
}

/// A server key's public half: its id and Ed25519 verifying key (a
/// canonical point of the prime-order subgroup, as identity keys are,
/// SPEC.md §3.1).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ServerPublicKey {
    key_id: u32,
    key: VerifyingKey,
}

impl ServerPublicKey {
    /// The key id.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The 32-byte Ed25519 public key.
    pub fn key_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// A key from its id and 32-byte Ed25519 public key: `InvalidKey` for
    /// a key that is not canonical, of small order or with a torsion
    /// component (the checks of SPEC.md §3.1).
    pub fn from_parts(key_id: u32, key: &[u8; 32]) -> Result<Self, SealedError> {
        // The identity-key checks, on the server's key.
        IdentityKey::from_bytes(key)?;
        let key = VerifyingKey::from_bytes(key).map_err(|_| DecodeError::InvalidKey)?;
        Ok(Self { key_id, key })
    }

    /// Parses the encoding `0x01 || 0x54 || key_id u32 || key (32)`:
    /// `TooLarge` above [`SERVER_PUBLIC_KEY_LEN`] (checked first), version,
    /// type, `Truncated`, the key (`InvalidKey`).
    pub fn parse(bytes: &[u8]) -> Result<Self, SealedError> {
        if bytes.len() > SERVER_PUBLIC_KEY_LEN {
            return Err(DecodeError::TooLarge.into());
        }
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != SEALED_VERSION {
            return Err(DecodeError::UnsupportedVersion(version).into());
        }
        let kind = r.u8()?;
        if kind != TYPE_SERVER_PUBLIC_KEY {
            return Err(DecodeError::UnexpectedType(kind).into());
        }
        let key_id = r.u32()?;
        let key: [u8; 32] = r.array()?;
        r.finish()?;
        Self::from_parts(key_id, &key)
    }

    /// The encoding ([`SERVER_PUBLIC_KEY_LEN`] bytes).
    pub fn to_bytes(&self) -> [u8; SERVER_PUBLIC_KEY_LEN] {
        write_exact([0u8; SERVER_PUBLIC_KEY_LEN], |w: &mut Writer<'_>| {
            w.u8(SEALED_VERSION)?;
            w.u8(TYPE_SERVER_PUBLIC_KEY)?;
            w.u32(self.key_id)?;
            w.bytes(self.key.as_bytes())
        })
    }
}

impl core::fmt::Debug for ServerPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerPublicKey")
            .field("key_id", &self.key_id)
            .field("key", &crate::hexfmt::Hex(self.key.as_bytes()))
            .finish()
    }
}

/// The server keys a client accepts certificates from, by key id: at most
/// [`MAX_TRUSTED_SERVER_KEYS`], so that a rotation can pin the new key
/// before the old one's certificates have expired.
///
/// It also remembers the last [`MAX_VERIFIED_CERTIFICATES`] certificates
/// that it verified (by SHA-256 of their encoding), so that a sender's
/// messages cost one identity-key check and one signature verification
/// per certificate, not per message. That memory is a cache, not protocol
/// state: it is cleared whenever a key is pinned or unpinned, is not
/// compared by `==`, is not saved (the state blob, kind `0x09` of
/// STORAGE.md §13, holds the pinned keys alone), and changes no outcome.
#[derive(Clone, Default)]
pub struct TrustedServerKeys {
    keys: BTreeMap<u32, ServerPublicKey>,
    verified: VecDeque<([u8; 32], SenderCertificate)>,
}

impl core::fmt::Debug for TrustedServerKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let Self { keys, verified } = self;
        f.debug_struct("TrustedServerKeys")
            .field("keys", &keys.values().collect::<alloc::vec::Vec<_>>())
            .field("remembered_certificates", &verified.len())
            .finish()
    }
}

impl PartialEq for TrustedServerKeys {
    fn eq(&self, other: &Self) -> bool {
        self.keys == other.keys
    }
}

impl Eq for TrustedServerKeys {}

impl TrustedServerKeys {
    /// No key pinned.
    pub fn new() -> Self {
        Self::default()
    }

    /// Pins `key` under its id, replacing a key pinned under the same id;
    /// [`SealedError::TooManyServerKeys`] if a new id would make more than
    /// [`MAX_TRUSTED_SERVER_KEYS`] (nothing changed).
    pub fn add(&mut self, key: ServerPublicKey) -> Result<(), SealedError> {
        if !self.keys.contains_key(&key.key_id) && self.keys.len() >= MAX_TRUSTED_SERVER_KEYS {
            return Err(SealedError::TooManyServerKeys);
        }
        self.keys.insert(key.key_id, key);
        self.verified.clear();
        Ok(())
    }

    /// Unpins the key with this id (at the end of a rotation, or when a
    /// key is compromised); whether one was pinned.
    pub fn remove(&mut self, key_id: u32) -> bool {
        self.verified.clear();
        self.keys.remove(&key_id).is_some()
    }

    /// The key pinned under this id.
    pub fn get(&self, key_id: u32) -> Option<&ServerPublicKey> {
        self.keys.get(&key_id)
    }

    /// The pinned keys, in order of key id (the state blob's order).
    pub(crate) fn pinned(&self) -> impl Iterator<Item = &ServerPublicKey> {
        self.keys.values()
    }

    /// How many keys are pinned.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is pinned.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Verifies a certificate at `now` (the receiver's clock), in this
    /// order (SPEC.md §22.1): its key id is pinned
    /// ([`SealedError::UntrustedServerKey`]); its signature verifies
    /// strictly under that key ([`SealedError::BadCertificateSignature`]);
    /// `now` is before its expiry ([`SealedError::CertificateExpired`]).
    pub fn verify(
        &mut self,
        certificate: &SenderCertificate,
        now: Timestamp,
    ) -> Result<(), SealedError> {
        self.verify_encoded(&certificate.to_vec(), now).map(|_| ())
    }

    /// [`verify`](Self::verify) of an encoded certificate, which is parsed
    /// in full first ([`SenderCertificate::parse`]: `Malformed`), unless it
    /// is one verified before under the same pinned keys: then only its
    /// expiry is checked. Returns the verified certificate.
    pub(crate) fn verify_encoded(
        &mut self,
        encoded: &[u8],
        now: Timestamp,
    ) -> Result<SenderCertificate, SealedError> {
        let digest: [u8; 32] = Sha256::digest(encoded).into();
        let remembered = self
            .verified
            .iter()
            .find(|(d, _)| *d == digest)
            .map(|(_, c)| c.clone());
        let certificate = match remembered {
            Some(c) => c,
            None => {
                let certificate = SenderCertificate::parse(encoded)?;
                let key = self
                    .keys
                    .get(&certificate.server_key_id())
                    .ok_or(SealedError::UntrustedServerKey)?;
                let signature = Signature::from_bytes(certificate.signature());
                key.key
                    .verify_strict(&certificate.signed_message(), &signature)
                    .map_err(|_| SealedError::BadCertificateSignature)?;
                if self.verified.len() >= MAX_VERIFIED_CERTIFICATES {
                    self.verified.pop_front();
                }
                self.verified.push_back((digest, certificate.clone()));
                certificate
            }
        };
        if now >= certificate.expires_at() {
            return Err(SealedError::CertificateExpired);
        }
        Ok(certificate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::IdentityKeyPair;

    fn pinned(seeds: &[(u32, u8)]) -> TrustedServerKeys {
        let mut keys = TrustedServerKeys::new();
        for &(id, seed) in seeds {
            keys.add(ServerKey::from_seed(id, &[seed; 32]).public())
                .expect("under the cap");
        }
        keys
    }

    #[test]
    fn equality_is_the_pinned_keys_and_ignores_the_certificate_cache() {
        assert_eq!(pinned(&[(1, 1)]), pinned(&[(1, 1)]));
        assert_ne!(pinned(&[(1, 1)]), pinned(&[(1, 2)]), "same id, other key");
        assert_ne!(pinned(&[(1, 1)]), pinned(&[(2, 1)]), "same key, other id");
        assert_ne!(pinned(&[(1, 1)]), pinned(&[(1, 1), (2, 2)]));
        assert_ne!(pinned(&[(1, 1)]), TrustedServerKeys::new());

        // A verified certificate is remembered; the value stays equal.
        let server = ServerKey::from_seed(1, &[1; 32]);
        let identity = IdentityKeyPair::from_seed(&[9; 32]);
        let certificate = server
            .issue(
                &DeviceAddress::new("alice", 1),
                identity.public(),
                Timestamp::from_unix_millis(2_000),
            )
            .expect("a short name");
        let mut used = pinned(&[(1, 1)]);
        used.verify(&certificate, Timestamp::from_unix_millis(1_000))
            .expect("pinned, signed, not expired");
        assert_eq!(used.verified.len(), 1);
        assert_eq!(used, pinned(&[(1, 1)]));
    }

    #[test]
    fn the_certificate_cache_holds_the_last_max_verified_certificates() {
        let server = ServerKey::from_seed(1, &[1; 32]);
        let identity = IdentityKeyPair::from_seed(&[9; 32]);
        let issue = |device: u32| {
            server
                .issue(
                    &DeviceAddress::new("alice", device),
                    identity.public(),
                    Timestamp::from_unix_millis(2_000),
                )
                .expect("a short name")
        };
        let mut keys = pinned(&[(1, 1)]);
        let now = Timestamp::from_unix_millis(1_000);
        let first = issue(0);
        keys.verify(&first, now).expect("valid");
        keys.verify(&first, now).expect("valid, remembered");
        assert_eq!(keys.verified.len(), 1, "a certificate is remembered once");
        let cap = u32::try_from(MAX_VERIFIED_CERTIFICATES).expect("small");
        for device in 1..cap {
            keys.verify(&issue(device), now).expect("valid");
        }
        assert_eq!(keys.verified.len(), MAX_VERIFIED_CERTIFICATES);
        let first_digest: [u8; 32] = Sha256::digest(first.to_vec()).into();
        assert_eq!(keys.verified.front().map(|(d, _)| *d), Some(first_digest));
        keys.verify(&issue(cap), now).expect("valid");
        assert_eq!(keys.verified.len(), MAX_VERIFIED_CERTIFICATES, "bounded");
        assert!(
            keys.verified.iter().all(|(d, _)| *d != first_digest),
            "the oldest is forgotten first"
        );
        // Pinning or unpinning forgets every verified certificate.
        keys.add(ServerKey::from_seed(2, &[2; 32]).public())
            .expect("under the cap");
        assert!(keys.verified.is_empty());
    }

    #[test]
    fn emptiness_and_count_follow_pins_and_unpins() {
        let mut keys = TrustedServerKeys::new();
        assert!(keys.is_empty());
        assert_eq!(keys.len(), 0);
        keys.add(ServerKey::from_seed(7, &[7; 32]).public())
            .expect("under the cap");
        assert!(!keys.is_empty());
        assert_eq!(keys.len(), 1);
        assert!(keys.remove(7));
        assert!(keys.is_empty());
        assert!(!keys.remove(7), "nothing left to unpin");
    }
}
