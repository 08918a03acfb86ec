//! Our own prekeys: the signed prekey (SPK) and the one-time prekeys (OPK),
//! held in a [`PrekeyStore`] that hands out bundles and consumes one-time
//! prekeys exactly once.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::bundle::PrekeyBundle;
use crate::dh::DhKeyPair;
use crate::identity::{ENCODE_X25519, IdentityKeyPair};
use crate::limits::{MAX_ONE_TIME_PREKEYS, MAX_SIGNED_PREKEYS};

/// The message an identity signs to certify a signed prekey:
/// `Encode(SPK) = 0x05 || spk_public` (SPEC.md §3.2).
pub(crate) fn signed_prekey_message(public: &[u8; 32]) -> [u8; 33] {
    let mut m = [0u8; 33];
    m[0] = ENCODE_X25519;
    m[1..].copy_from_slice(public);
    m
}

/// A signed prekey with its id and the identity's signature over it.
#[derive(Clone)]
pub struct SignedPrekey {
    id: u32,
    pair: DhKeyPair,
    signature: [u8; 64],
}

impl SignedPrekey {
    pub(crate) fn new(identity: &IdentityKeyPair, id: u32, pair: DhKeyPair) -> Self {
        let signature = identity.sign(&signed_prekey_message(pair.public()));
        Self {
            id,
            pair,
            signature,
        }
    }

    /// The prekey's id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The X25519 public key.
    pub fn public(&self) -> &[u8; 32] {
        self.pair.public()
    }

    /// The Ed25519 signature over `0x05 || public`.
    pub fn signature(&self) -> &[u8; 64] {
        &self.signature
    }

    pub(crate) fn pair(&self) -> &DhKeyPair {
        &self.pair
    }

    /// A signed prekey as persisted (the signature is not re-checked).
    pub(crate) fn from_parts(id: u32, pair: DhKeyPair, signature: [u8; 64]) -> Self {
        Self {
            id,
            pair,
            signature,
        }
    }
}

impl PartialEq for SignedPrekey {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.pair.ct_eq(&other.pair) && self.signature == other.signature
    }
}

impl core::fmt::Debug for SignedPrekey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SignedPrekey")
            .field("id", &self.id)
            .field("public", &crate::hexfmt::Hex(self.public()))
            .finish_non_exhaustive()
    }
}

/// The public half of a one-time prekey, as uploaded to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OneTimePrekeyPublic {
    /// The prekey's id.
    pub id: u32,
    /// The X25519 public key.
    pub public: [u8; 32],
}

/// Our signed prekeys and one-time prekeys.
///
/// The newest signed prekey is the current one; up to
/// [`MAX_SIGNED_PREKEYS`] are kept so that prekey messages built from an
/// older bundle still open. One-time prekeys are removed by
/// [`Session::accept`](crate::Session::accept) only once the message that
/// used one has decrypted.
#[derive(Clone, PartialEq)]
pub struct PrekeyStore {
    signed: Vec<SignedPrekey>,
    one_time: BTreeMap<u32, DhKeyPair>,
    next_signed_id: u32,
    next_one_time_id: u32,
}

impl PrekeyStore {
    /// A store with a fresh signed prekey (id 1) and no one-time prekeys.
    pub fn new<R: rand_core::CryptoRng + ?Sized>(identity: &IdentityKeyPair, rng: &mut R) -> Self {
        let mut store = Self {
            signed: Vec::new(),
            one_time: BTreeMap::new(),
            next_signed_id: 1,
            next_one_time_id: 1,
        };
        store.rotate_signed_prekey(identity, rng);
        store
    }

    /// Builds a store from explicit keys (test vectors, migration).
    #[doc(hidden)]
    pub fn danger_from_keys(
        identity: &IdentityKeyPair,
        signed: (u32, [u8; 32]),
        one_time: &[(u32, [u8; 32])],
    ) -> Self {
        let spk = SignedPrekey::new(identity, signed.0, DhKeyPair::from_secret_bytes(signed.1));
        let mut map = BTreeMap::new();
        let mut next = 1u32;
        for (id, secret) in one_time {
            map.insert(*id, DhKeyPair::from_secret_bytes(*secret));
            next = next.max(id.saturating_add(1));
        }
        Self {
            signed: alloc::vec![spk],
            one_time: map,
            next_signed_id: signed.0.saturating_add(1),
            next_one_time_id: next,
        }
    }

    /// Generates a new signed prekey, makes it current, and forgets the
    /// oldest beyond [`MAX_SIGNED_PREKEYS`]. Returns the new id.
    pub fn rotate_signed_prekey<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        identity: &IdentityKeyPair,
        rng: &mut R,
    ) -> u32 {
        let id = self.next_signed_id;
        self.next_signed_id = self.next_signed_id.wrapping_add(1).max(1);
        self.signed
            .push(SignedPrekey::new(identity, id, DhKeyPair::generate(rng)));
        while self.signed.len() > MAX_SIGNED_PREKEYS {
            self.signed.remove(0);
        }
        id
    }

    /// Generates up to `count` one-time prekeys (fewer if the store would
    /// exceed [`MAX_ONE_TIME_PREKEYS`]) and returns their public halves to
    /// upload.
    pub fn generate_one_time_prekeys<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        count: usize,
    ) -> Vec<OneTimePrekeyPublic> {
        let room = MAX_ONE_TIME_PREKEYS.saturating_sub(self.one_time.len());
        let mut out = Vec::with_capacity(count.min(room));
        while out.len() < count.min(room) {
            let id = self.next_one_time_id;
            self.next_one_time_id = self.next_one_time_id.wrapping_add(1).max(1);
            if self.one_time.contains_key(&id) {
                continue;
            }
            let pair = DhKeyPair::generate(rng);
            out.push(OneTimePrekeyPublic {
                id,
                public: *pair.public(),
            });
            self.one_time.insert(id, pair);
        }
        out
    }

    /// The current signed prekey.
    pub fn current_signed_prekey(&self) -> Option<&SignedPrekey> {
        self.signed.last()
    }

    /// The public halves of the one-time prekeys still held.
    pub fn one_time_prekeys(&self) -> Vec<OneTimePrekeyPublic> {
        self.one_time
            .iter()
            .map(|(id, p)| OneTimePrekeyPublic {
                id: *id,
                public: *p.public(),
            })
            .collect()
    }

    /// How many one-time prekeys are still held.
    pub fn one_time_prekey_count(&self) -> usize {
        self.one_time.len()
    }

    /// A bundle to publish: our identity, the current signed prekey and, if
    /// `one_time_prekey_id` names a held one-time prekey, that prekey.
    /// Returns `None` if the id is not held.
    pub fn bundle(
        &self,
        identity: &IdentityKeyPair,
        one_time_prekey_id: Option<u32>,
    ) -> Option<PrekeyBundle> {
        let spk = self.current_signed_prekey()?;
        let opk = match one_time_prekey_id {
            Some(id) => Some(OneTimePrekeyPublic {
                id,
                public: *self.one_time.get(&id)?.public(),
            }),
            None => None,
        };
        Some(PrekeyBundle::from_parts(
            *identity.public(),
            spk.id,
            *spk.public(),
            *spk.signature(),
            opk,
        ))
    }

    pub(crate) fn signed(&self, id: u32) -> Option<&SignedPrekey> {
        self.signed.iter().find(|s| s.id == id)
    }

    pub(crate) fn one_time(&self, id: u32) -> Option<&DhKeyPair> {
        self.one_time.get(&id)
    }

    pub(crate) fn consume_one_time(&mut self, id: u32) {
        self.one_time.remove(&id);
    }

    /// Signed prekeys (oldest first), one-time prekeys, and the next ids.
    pub(crate) fn parts(&self) -> (&[SignedPrekey], &BTreeMap<u32, DhKeyPair>, u32, u32) {
        (
            &self.signed,
            &self.one_time,
            self.next_signed_id,
            self.next_one_time_id,
        )
    }

    pub(crate) fn from_parts(
        signed: Vec<SignedPrekey>,
        one_time: BTreeMap<u32, DhKeyPair>,
        next_signed_id: u32,
        next_one_time_id: u32,
    ) -> Self {
        Self {
            signed,
            one_time,
            next_signed_id,
            next_one_time_id,
        }
    }
}

impl core::fmt::Debug for PrekeyStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PrekeyStore")
            .field("signed", &self.signed)
            .field("one_time_count", &self.one_time.len())
            .finish_non_exhaustive()
    }
}
