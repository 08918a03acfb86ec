//! Our own prekeys: the signed prekey (SPK), the one-time prekeys (OPK)
//! and the post-quantum prekeys (one-time and last-resort ML-KEM-768),
//! held in a [`PrekeyStore`] that hands out bundles, consumes one-time
//! prekeys exactly once and refuses replays against last-resort PQ prekeys.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

use crate::bundle::{OneTimePrekeyPublic, PrekeyBundle, signed_prekey_message};
use crate::dh::DhKeyPair;
use crate::identity::IdentityKeyPair;
use crate::kem::KemKeyPair;
use crate::limits::{
    MAX_LAST_RESORT_PQ_PREKEYS, MAX_ONE_TIME_PQ_PREKEYS, MAX_ONE_TIME_PREKEYS,
    MAX_PQ_REPLAY_RECORDS, MAX_SIGNED_PREKEYS,
};
use crate::pq_prekey::{PqPrekeyKind, PqPrekeyPublic, SignedPqPrekey};
use crate::wipe::WipingVec;

/// One-time prekeys by id. Each key pair is boxed: inserting and removing
/// move entries between the map's nodes (and free emptied nodes), which
/// would leave copies of inline secrets behind; a box never moves, and
/// zeroizes its pair in place when it drops (SECURITY.md, "Heap hygiene").
pub(crate) type OneTimePrekeys = BTreeMap<u32, Box<DhKeyPair>>;
/// One-time PQ prekeys by id, boxed for the same reason.
pub(crate) type PqOneTimePrekeys = BTreeMap<u32, Box<SignedPqPrekey>>;

/// Why [`PrekeyStore::bundle`] could not make a bundle: the prekey it
/// needs is not in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MissingPrekey {
    /// The store holds no signed prekey.
    SignedPrekey,
    /// The one-time prekey asked for is not held: already consumed by a
    /// session, or never generated.
    OneTimePrekey {
        /// The id asked for.
        id: u32,
    },
    /// The one-time PQ prekey asked for is not held: already consumed by a
    /// session, or never generated.
    PqOneTimePrekey {
        /// The id asked for.
        id: u32,
    },
}

impl core::fmt::Display for MissingPrekey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::SignedPrekey => f.write_str("the prekey store holds no signed prekey"),
            Self::OneTimePrekey { id } => {
                write!(
                    f,
                    "one-time prekey {id} is not held (consumed or never generated)"
                )
            }
            Self::PqOneTimePrekey { id } => write!(
                f,
                "one-time PQ prekey {id} is not held (consumed or never generated)"
            ),
        }
    }
}

impl core::error::Error for MissingPrekey {}

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

/// What the responder remembers of a session set up with a last-resort PQ
/// prekey, to refuse a second one from the same prekey message.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct ReplayRecord {
    pub(crate) pq_prekey_id: u32,
    pub(crate) signed_prekey_id: u32,
    pub(crate) base_key: [u8; 32],
}

/// Our post-quantum prekeys, the PQ policy and the replay records.
#[derive(Clone, PartialEq)]
pub(crate) struct PqPrekeys {
    pub(crate) one_time: PqOneTimePrekeys,
    /// Oldest first; the last is current.
    pub(crate) last_resort: WipingVec<SignedPqPrekey>,
    pub(crate) next_id: u32,
    pub(crate) require_pq: bool,
    /// Oldest first.
    pub(crate) replay: VecDeque<ReplayRecord>,
}

impl Default for PqPrekeys {
    /// No PQ prekeys, classic prekey messages accepted, ids from 1.
    fn default() -> Self {
        Self {
            one_time: BTreeMap::new(),
            last_resort: WipingVec::new(),
            next_id: 1,
            require_pq: false,
            replay: VecDeque::new(),
        }
    }
}

impl PqPrekeys {
    /// The next PQ prekey id: one id space for both kinds, never 0, ids
    /// still held skipped when the counter wraps.
    fn allocate_id(&mut self) -> u32 {
        loop {
            let id = self.next_id;
            self.next_id = self.next_id.wrapping_add(1).max(1);
            if !self.one_time.contains_key(&id) && !self.last_resort.iter().any(|k| k.id() == id) {
                return id;
            }
        }
    }
}

/// Our signed prekeys, one-time prekeys and post-quantum prekeys.
///
/// The newest signed prekey is the current one; up to
/// [`MAX_SIGNED_PREKEYS`] are kept so that prekey messages built from an
/// older bundle still open. One-time prekeys (classic and PQ) are removed by
/// [`Session::accept`](crate::Session::accept) only once the message that
/// used one has decrypted.
///
/// Post-quantum: [`rotate_last_resort_pq_prekey`](Self::rotate_last_resort_pq_prekey)
/// and [`generate_pq_one_time_prekeys`](Self::generate_pq_one_time_prekeys)
/// create ML-KEM-768 prekeys; once the store has one, its bundles carry a
/// PQ prekey and initiators use PQXDH.
/// [`set_require_pq`](Self::set_require_pq) refuses classic prekey messages.
#[derive(Clone, PartialEq)]
pub struct PrekeyStore {
    signed: WipingVec<SignedPrekey>,
    one_time: OneTimePrekeys,
    next_signed_id: u32,
    next_one_time_id: u32,
    pq: PqPrekeys,
}

impl PrekeyStore {
    /// A store with a fresh signed prekey (id 1), no one-time prekeys and
    /// no PQ prekeys (see [`new_pq`](Self::new_pq)).
    pub fn new<R: rand_core::CryptoRng + ?Sized>(identity: &IdentityKeyPair, rng: &mut R) -> Self {
        let mut store = Self {
            signed: WipingVec::new(),
            one_time: BTreeMap::new(),
            next_signed_id: 1,
            next_one_time_id: 1,
            pq: PqPrekeys::default(),
        };
        store.rotate_signed_prekey(identity, rng);
        store
    }

    /// A store with a fresh signed prekey and a fresh last-resort PQ
    /// prekey: its bundles make initiators use PQXDH.
    pub fn new_pq<R: rand_core::CryptoRng + ?Sized>(
        identity: &IdentityKeyPair,
        rng: &mut R,
    ) -> Self {
        let mut store = Self::new(identity, rng);
        store.rotate_last_resort_pq_prekey(identity, rng);
        store
    }

    /// DANGER (feature `hazmat`): builds a store from explicit keys (test
    /// vectors).
    #[cfg(feature = "hazmat")]
    pub fn danger_from_keys(
        identity: &IdentityKeyPair,
        signed: (u32, [u8; 32]),
        one_time: &[(u32, [u8; 32])],
    ) -> Self {
        let spk = SignedPrekey::new(identity, signed.0, DhKeyPair::from_secret_bytes(signed.1));
        let mut map = BTreeMap::new();
        let mut next = 1u32;
        for (id, secret) in one_time {
            map.insert(*id, Box::new(DhKeyPair::from_secret_bytes(*secret)));
            next = next.max(id.saturating_add(1));
        }
        Self {
            signed: core::iter::once(spk).collect(),
            one_time: map,
            next_signed_id: signed.0.saturating_add(1),
            next_one_time_id: next,
            pq: PqPrekeys::default(),
        }
    }

    /// DANGER (feature `hazmat`): adds a PQ prekey from an explicit
    /// ML-KEM-768 seed `d || z` (test vectors); a last-resort one becomes
    /// current. Returns `false` (and changes nothing) if the id is already
    /// held.
    #[cfg(feature = "hazmat")]
    pub fn danger_add_pq_prekey(
        &mut self,
        identity: &IdentityKeyPair,
        id: u32,
        kind: PqPrekeyKind,
        seed: &[u8; 64],
    ) -> bool {
        if self.pq_prekey(id).is_some() {
            return false;
        }
        let key = SignedPqPrekey::new(identity, id, kind, KemKeyPair::from_seed(seed));
        match kind {
            PqPrekeyKind::OneTime => {
                self.pq.one_time.insert(id, Box::new(key));
            }
            PqPrekeyKind::LastResort => self.push_last_resort(key),
        }
        self.pq.next_id = self.pq.next_id.max(id.saturating_add(1));
        true
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
            drop(self.signed.remove(0));
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
            self.one_time.insert(id, Box::new(pair));
        }
        out
    }

    /// Generates a new last-resort PQ (ML-KEM-768) prekey, signs it, makes
    /// it current, and forgets the oldest beyond
    /// [`MAX_LAST_RESORT_PQ_PREKEYS`] (with its replay records). Returns the
    /// new id.
    pub fn rotate_last_resort_pq_prekey<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        identity: &IdentityKeyPair,
        rng: &mut R,
    ) -> u32 {
        let id = self.pq.allocate_id();
        let key = SignedPqPrekey::new(
            identity,
            id,
            PqPrekeyKind::LastResort,
            KemKeyPair::generate(rng),
        );
        self.push_last_resort(key);
        id
    }

    fn push_last_resort(&mut self, key: SignedPqPrekey) {
        self.pq.last_resort.push(key);
        while self.pq.last_resort.len() > MAX_LAST_RESORT_PQ_PREKEYS {
            drop(self.pq.last_resort.remove(0));
        }
        // Records of forgotten keys can never match again: a prekey message
        // naming one is refused as `UnknownPqPrekey`.
        let held = &self.pq.last_resort;
        self.pq
            .replay
            .retain(|r| held.iter().any(|k| k.id() == r.pq_prekey_id));
    }

    /// Generates up to `count` one-time PQ (ML-KEM-768) prekeys, each signed
    /// by `identity` (fewer if the store would exceed
    /// [`MAX_ONE_TIME_PQ_PREKEYS`]), and returns their public halves to
    /// upload.
    pub fn generate_pq_one_time_prekeys<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        identity: &IdentityKeyPair,
        rng: &mut R,
        count: usize,
    ) -> Vec<PqPrekeyPublic> {
        let room = MAX_ONE_TIME_PQ_PREKEYS.saturating_sub(self.pq.one_time.len());
        let n = count.min(room);
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let id = self.pq.allocate_id();
            let key = SignedPqPrekey::new(
                identity,
                id,
                PqPrekeyKind::OneTime,
                KemKeyPair::generate(rng),
            );
            out.push(key.to_public());
            self.pq.one_time.insert(id, Box::new(key));
        }
        out
    }

    /// The current last-resort PQ prekey, if the store has one.
    pub fn current_last_resort_pq_prekey(&self) -> Option<&SignedPqPrekey> {
        self.pq.last_resort.last()
    }

    /// The public halves of the one-time PQ prekeys still held.
    pub fn pq_one_time_prekeys(&self) -> Vec<PqPrekeyPublic> {
        self.pq.one_time.values().map(|k| k.to_public()).collect()
    }

    /// How many one-time PQ prekeys are still held.
    pub fn pq_one_time_prekey_count(&self) -> usize {
        self.pq.one_time.len()
    }

    /// Requires post-quantum key agreement: while set,
    /// [`Session::accept`](crate::Session::accept) refuses a classic prekey
    /// message with [`SessionError::PqRequired`](crate::SessionError::PqRequired)
    /// before any secret is used. Persisted with the store.
    pub fn set_require_pq(&mut self, require: bool) {
        self.pq.require_pq = require;
    }

    /// Whether classic prekey messages are refused.
    pub fn requires_pq(&self) -> bool {
        self.pq.require_pq
    }

    /// How many last-resort replay records are held (at most
    /// [`MAX_PQ_REPLAY_RECORDS`]).
    pub fn pq_replay_record_count(&self) -> usize {
        self.pq.replay.len()
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

    /// A bundle to publish: our identity, the current signed prekey, if
    /// `one_time_prekey_id` names a held one-time prekey, that prekey, and
    /// the current last-resort PQ prekey if the store has one. Fails with
    /// the prekey that is missing (a one-time prekey id not held: already
    /// consumed, or never generated).
    pub fn bundle(
        &self,
        identity: &IdentityKeyPair,
        one_time_prekey_id: Option<u32>,
    ) -> Result<PrekeyBundle, MissingPrekey> {
        self.bundle_with_pq(identity, one_time_prekey_id, None)
    }

    /// A bundle as [`bundle`](Self::bundle) does, with the one-time PQ
    /// prekey `pq_one_time_prekey_id` if given (else the current
    /// last-resort PQ prekey, if any). Fails with the first prekey that is
    /// missing: signed, one-time, one-time PQ, in that order.
    pub fn bundle_with_pq(
        &self,
        identity: &IdentityKeyPair,
        one_time_prekey_id: Option<u32>,
        pq_one_time_prekey_id: Option<u32>,
    ) -> Result<PrekeyBundle, MissingPrekey> {
        let spk = self
            .current_signed_prekey()
            .ok_or(MissingPrekey::SignedPrekey)?;
        let opk = match one_time_prekey_id {
            Some(id) => Some(OneTimePrekeyPublic {
                id,
                public: *self
                    .one_time
                    .get(&id)
                    .ok_or(MissingPrekey::OneTimePrekey { id })?
                    .public(),
            }),
            None => None,
        };
        let pq = match pq_one_time_prekey_id {
            Some(id) => Some(
                self.pq
                    .one_time
                    .get(&id)
                    .ok_or(MissingPrekey::PqOneTimePrekey { id })?
                    .to_public(),
            ),
            None => self.pq.last_resort.last().map(SignedPqPrekey::to_public),
        };
        Ok(PrekeyBundle::from_parts(
            *identity.public(),
            spk.id,
            *spk.public(),
            *spk.signature(),
            opk,
            pq,
        ))
    }

    pub(crate) fn signed(&self, id: u32) -> Option<&SignedPrekey> {
        self.signed.iter().find(|s| s.id == id)
    }

    pub(crate) fn one_time(&self, id: u32) -> Option<&DhKeyPair> {
        self.one_time.get(&id).map(|b| &**b)
    }

    pub(crate) fn consume_one_time(&mut self, id: u32) {
        self.one_time.remove(&id);
    }

    /// A held PQ prekey, one-time or last-resort (one id space).
    pub(crate) fn pq_prekey(&self, id: u32) -> Option<&SignedPqPrekey> {
        self.pq
            .one_time
            .get(&id)
            .map(|b| &**b)
            .or_else(|| self.pq.last_resort.iter().find(|k| k.id() == id))
    }

    /// Whether a session was already accepted from this last-resort
    /// prekey message.
    pub(crate) fn is_replay(&self, record: &ReplayRecord) -> bool {
        self.pq.replay.contains(record)
    }

    /// After an accept with a PQ prekey succeeded: a one-time PQ prekey is
    /// consumed, a last-resort one gets a replay record (the oldest record
    /// is dropped beyond [`MAX_PQ_REPLAY_RECORDS`]).
    pub(crate) fn commit_pq(&mut self, record: ReplayRecord) {
        if self.pq.one_time.remove(&record.pq_prekey_id).is_some() {
            return;
        }
        self.pq.replay.push_back(record);
        while self.pq.replay.len() > MAX_PQ_REPLAY_RECORDS {
            self.pq.replay.pop_front();
        }
    }

    pub(crate) fn pq_parts(&self) -> &PqPrekeys {
        &self.pq
    }

    /// Signed prekeys (oldest first), one-time prekeys, and the next ids.
    pub(crate) fn parts(&self) -> (&[SignedPrekey], &OneTimePrekeys, u32, u32) {
        (
            &self.signed,
            &self.one_time,
            self.next_signed_id,
            self.next_one_time_id,
        )
    }

    pub(crate) fn from_parts(
        signed: WipingVec<SignedPrekey>,
        one_time: OneTimePrekeys,
        next_signed_id: u32,
        next_one_time_id: u32,
        pq: Option<PqPrekeys>,
    ) -> Self {
        Self {
            signed,
            one_time,
            next_signed_id,
            next_one_time_id,
            pq: pq.unwrap_or_default(),
        }
    }
}

impl core::fmt::Debug for PrekeyStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PrekeyStore")
            .field("signed", &self.signed)
            .field("one_time_count", &self.one_time.len())
            .field("pq_one_time_count", &self.pq.one_time.len())
            .field("pq_last_resort", &self.pq.last_resort)
            .field("require_pq", &self.pq.require_pq)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::DangerDeterministicRng;

    #[test]
    fn bundle_names_what_is_missing() {
        let mut rng = DangerDeterministicRng::from_u64(8);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut store = PrekeyStore::new(&id, &mut rng);
        let opk = store.generate_one_time_prekeys(&mut rng, 1)[0].id;
        let bundle = store.bundle(&id, Some(opk)).unwrap();
        assert_eq!(bundle.one_time_prekey().map(|o| o.id), Some(opk));
        let other = opk.wrapping_add(1);
        assert_eq!(
            store.bundle(&id, Some(other)).unwrap_err(),
            MissingPrekey::OneTimePrekey { id: other }
        );
        assert_eq!(
            store.bundle_with_pq(&id, None, Some(7)).unwrap_err(),
            MissingPrekey::PqOneTimePrekey { id: 7 }
        );
        store.signed.retain(|_| false);
        assert_eq!(
            store.bundle(&id, Some(other)).unwrap_err(),
            MissingPrekey::SignedPrekey
        );
    }

    /// Signed prekeys are equal only when id, key pair and signature all
    /// are (each `&&` of the comparison matters).
    #[test]
    fn signed_prekeys_are_equal_exactly_when_all_three_parts_are() {
        let mut rng = DangerDeterministicRng::from_u64(9);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut store = PrekeyStore::new(&id, &mut rng);
        let a = store.current_signed_prekey().unwrap().clone();
        assert_eq!(a, a.clone());
        let other_id = SignedPrekey::from_parts(a.id() + 1, a.pair().clone(), *a.signature());
        let mut other_sig = *a.signature();
        other_sig[0] ^= 1;
        let other_sig = SignedPrekey::from_parts(a.id(), a.pair().clone(), other_sig);
        store.rotate_signed_prekey(&id, &mut rng);
        let b = store.current_signed_prekey().unwrap();
        let other_pair = SignedPrekey::from_parts(a.id(), b.pair().clone(), *a.signature());
        for different in [&other_id, &other_sig, &other_pair] {
            assert_ne!(&a, different);
            assert_ne!(different, &a);
        }
    }

    /// PQ prekey ids: one counter for both kinds, never 0; after the
    /// counter wraps, ids still held (one-time or last resort) are skipped.
    #[test]
    fn pq_ids_skip_the_ids_still_held_after_a_wrap() {
        let mut rng = DangerDeterministicRng::from_u64(10);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut store = PrekeyStore::new_pq(&id, &mut rng);
        let last_resort = store.current_last_resort_pq_prekey().unwrap().id();
        let one_time = store.generate_pq_one_time_prekeys(&id, &mut rng, 1)[0].id();
        assert_eq!((last_resort, one_time), (1, 2));
        store.pq.next_id = u32::MAX;
        assert_eq!(store.pq.allocate_id(), u32::MAX);
        // Wrapped: 0 is never an id, 1 and 2 are held.
        assert_eq!(store.pq.allocate_id(), 3);
        store.pq.next_id = 2;
        assert_eq!(store.pq.allocate_id(), 3, "one-time id 2 is held");
        store.pq.next_id = 1;
        assert_eq!(store.pq.allocate_id(), 3, "last-resort id 1 is held");
    }

    /// Replay records of a last-resort PQ prekey: exactly
    /// `MAX_PQ_REPLAY_RECORDS` are kept, the oldest dropped first; a
    /// one-time PQ prekey is consumed instead of recorded.
    #[test]
    fn replay_records_are_capped_oldest_first() {
        let mut rng = DangerDeterministicRng::from_u64(11);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut store = PrekeyStore::new_pq(&id, &mut rng);
        let record = |i: usize| ReplayRecord {
            pq_prekey_id: 1,
            signed_prekey_id: 1,
            base_key: {
                let mut k = [0u8; 32];
                k[..8].copy_from_slice(&(i as u64).to_be_bytes());
                k
            },
        };
        for i in 0..MAX_PQ_REPLAY_RECORDS {
            store.commit_pq(record(i));
        }
        assert_eq!(store.pq_replay_record_count(), MAX_PQ_REPLAY_RECORDS);
        assert!(store.is_replay(&record(0)));
        store.commit_pq(record(MAX_PQ_REPLAY_RECORDS));
        assert_eq!(store.pq_replay_record_count(), MAX_PQ_REPLAY_RECORDS);
        assert!(!store.is_replay(&record(0)), "the oldest is dropped");
        assert!(store.is_replay(&record(1)));
        assert!(store.is_replay(&record(MAX_PQ_REPLAY_RECORDS)));
        let one_time = store.generate_pq_one_time_prekeys(&id, &mut rng, 1)[0].id();
        store.commit_pq(ReplayRecord {
            pq_prekey_id: one_time,
            ..record(0)
        });
        assert_eq!(store.pq_one_time_prekey_count(), 0, "consumed");
        assert_eq!(store.pq_replay_record_count(), MAX_PQ_REPLAY_RECORDS);
    }

    #[test]
    fn missing_prekey_display() {
        use alloc::string::ToString;
        assert_eq!(
            MissingPrekey::SignedPrekey.to_string(),
            "the prekey store holds no signed prekey"
        );
        assert_eq!(
            MissingPrekey::OneTimePrekey { id: 4 }.to_string(),
            "one-time prekey 4 is not held (consumed or never generated)"
        );
        assert_eq!(
            MissingPrekey::PqOneTimePrekey { id: 9 }.to_string(),
            "one-time PQ prekey 9 is not held (consumed or never generated)"
        );
    }
}
