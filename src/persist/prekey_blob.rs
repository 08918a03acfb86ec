//! Prekey-store blob body (kind 0x02, v1 and v2):
//!
//! ```text
//! next_signed_id u32 | next_one_time_id u32
//! signed_count u8 (1..=MAX_SIGNED_PREKEYS), oldest first, ids distinct:
//!     id u32 | secret 32 | public 32 | signature 64
//! one_time_count u32 (<= MAX_ONE_TIME_PREKEYS), ids strictly increasing:
//!     id u32 | secret 32 | public 32
//! v2 only:
//! next_pq_id u32 | require_pq u8 0|1
//! pq_one_time_count u16 (<= MAX_ONE_TIME_PQ_PREKEYS), ids strictly increasing:
//!     id u32 | seed 64 | public 1184 | signature 64
//! pq_last_resort_count u8 (<= MAX_LAST_RESORT_PQ_PREKEYS), oldest first:
//!     id u32 | seed 64 | public 1184 | signature 64
//! replay_count u16 (<= MAX_PQ_REPLAY_RECORDS), oldest first:
//!     pq_prekey_id u32 | signed_prekey_id u32 | base_key 32
//! ```
//!
//! PQ prekey ids are distinct across both kinds, and every replay record
//! names a held last-resort PQ prekey. A v1 blob loads as a store without
//! PQ prekeys, without the PQ requirement and without replay records.
//!
//! The public halves are stored, not recomputed: loading 10,000 one-time
//! prekeys costs no scalar multiplication.
//!
//! Used one-time prekeys are not kept: consuming one deletes it, and its
//! id is not issued again (`next_one_time_id` only grows).

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};

use super::private::Codec;
use super::{BlobKind, StateBlob};
use crate::blob_writer::BlobWriter;
use crate::dh::DhKeyPair;
use crate::error::{DecodeError, StateError};
use crate::kem::{KEM_PUBLIC_KEY_LEN, KEM_SEED_LEN, KemKeyPair};
use crate::limits::{
    MAX_LAST_RESORT_PQ_PREKEYS, MAX_ONE_TIME_PQ_PREKEYS, MAX_ONE_TIME_PREKEYS,
    MAX_PQ_REPLAY_RECORDS, MAX_SIGNED_PREKEYS,
};
use crate::pq_prekey::{PqPrekeyKind, SignedPqPrekey};
use crate::prekey::{PqPrekeys, PrekeyStore, ReplayRecord, SignedPrekey};
use crate::wipe::WipingVec;
use crate::wire::codec::Reader;

/// Bytes per signed prekey and per one-time prekey.
const SIGNED_LEN: usize = 4 + 32 + 32 + 64;
const ONE_TIME_LEN: usize = 4 + 32 + 32;
/// Bytes per PQ prekey and per replay record.
const PQ_LEN: usize = 4 + KEM_SEED_LEN + KEM_PUBLIC_KEY_LEN + 64;
const REPLAY_LEN: usize = 4 + 4 + 32;

fn write_pq_prekey(w: &mut BlobWriter, k: &SignedPqPrekey) {
    w.u32(k.id());
    w.bytes(k.pair().seed());
    w.bytes(k.public());
    w.bytes(k.signature());
}

fn read_pq_prekey(r: &mut Reader<'_>, kind: PqPrekeyKind) -> Result<SignedPqPrekey, DecodeError> {
    let id = r.u32()?;
    let seed = zeroize::Zeroizing::new(r.array::<KEM_SEED_LEN>()?);
    let mut public = Box::new([0u8; KEM_PUBLIC_KEY_LEN]);
    public.copy_from_slice(r.take(KEM_PUBLIC_KEY_LEN)?);
    let signature = r.array::<64>()?;
    Ok(SignedPqPrekey::from_parts(
        id,
        kind,
        KemKeyPair::from_stored(&seed, public),
        signature,
    ))
}

/// The length [`encode_pq`] writes: the fixed fields (next id u32, policy
/// u8, three counts u16, u8, u16: 10 bytes), then the keys and records.
fn pq_len(pq: &PqPrekeys) -> usize {
    pq.one_time
        .len()
        .saturating_add(pq.last_resort.len())
        .saturating_mul(PQ_LEN)
        .saturating_add(pq.replay.len().saturating_mul(REPLAY_LEN))
        .saturating_add(10)
}

/// The length of a prekey store's body: the fixed fields (two next ids
/// u32, the counts u8 and u32: 13 bytes), the classic keys, the PQ part.
/// The writer reserves it once, so that it never grows while it holds the
/// secrets (growing copies them and zeroizes the old block, which costs).
fn body_len(store: &PrekeyStore) -> usize {
    let (signed, one_time, _, _) = store.parts();
    signed
        .len()
        .saturating_mul(SIGNED_LEN)
        .saturating_add(one_time.len().saturating_mul(ONE_TIME_LEN))
        .saturating_add(13)
        .saturating_add(pq_len(store.pq_parts()))
}

fn encode_pq(w: &mut BlobWriter, pq: &PqPrekeys) {
    w.u32(pq.next_id);
    w.u8(u8::from(pq.require_pq));
    // All three counts are capped by the store below their field widths.
    w.u16(u16::try_from(pq.one_time.len()).unwrap_or(u16::MAX));
    for k in pq.one_time.values() {
        write_pq_prekey(w, k);
    }
    w.u8(u8::try_from(pq.last_resort.len()).unwrap_or(u8::MAX));
    for k in &pq.last_resort {
        write_pq_prekey(w, k);
    }
    w.u16(u16::try_from(pq.replay.len()).unwrap_or(u16::MAX));
    for rec in &pq.replay {
        w.u32(rec.pq_prekey_id);
        w.u32(rec.signed_prekey_id);
        w.bytes(&rec.base_key);
    }
}

fn decode_pq(r: &mut Reader<'_>) -> Result<PqPrekeys, DecodeError> {
    let next_id = r.u32()?;
    let require_pq = match r.u8()? {
        0 => false,
        1 => true,
        _ => return Err(DecodeError::InvalidValue),
    };
    let count = usize::from(r.u16()?);
    if count > MAX_ONE_TIME_PQ_PREKEYS {
        return Err(DecodeError::TooLarge);
    }
    let mut one_time = BTreeMap::new();
    let mut previous: Option<u32> = None;
    for _ in 0..count {
        let key = read_pq_prekey(r, PqPrekeyKind::OneTime)?;
        if previous.is_some_and(|p| p >= key.id()) {
            return Err(DecodeError::InvalidValue);
        }
        previous = Some(key.id());
        one_time.insert(key.id(), Box::new(key));
    }
    let count = usize::from(r.u8()?);
    if count > MAX_LAST_RESORT_PQ_PREKEYS {
        return Err(DecodeError::TooLarge);
    }
    let mut last_resort: WipingVec<SignedPqPrekey> = WipingVec::with_capacity(count);
    for _ in 0..count {
        let key = read_pq_prekey(r, PqPrekeyKind::LastResort)?;
        if one_time.contains_key(&key.id()) || last_resort.iter().any(|k| k.id() == key.id()) {
            return Err(DecodeError::InvalidValue);
        }
        last_resort.push(key);
    }
    let count = usize::from(r.u16()?);
    if count > MAX_PQ_REPLAY_RECORDS {
        return Err(DecodeError::TooLarge);
    }
    let mut replay = VecDeque::with_capacity(count);
    for _ in 0..count {
        let rec = ReplayRecord {
            pq_prekey_id: r.u32()?,
            signed_prekey_id: r.u32()?,
            base_key: r.array()?,
        };
        if !last_resort.iter().any(|k| k.id() == rec.pq_prekey_id) {
            return Err(DecodeError::InvalidValue);
        }
        replay.push_back(rec);
    }
    Ok(PqPrekeys {
        one_time,
        last_resort,
        next_id,
        require_pq,
        replay,
    })
}

impl Codec for PrekeyStore {
    const KINDS: &'static [BlobKind] = &[BlobKind::PrekeyStore];

    fn kind(&self) -> BlobKind {
        BlobKind::PrekeyStore
    }

    fn encode_body(&self, w: &mut BlobWriter) {
        let (signed, one_time, next_signed, next_one_time) = self.parts();
        w.reserve(body_len(self));
        w.u32(next_signed);
        w.u32(next_one_time);
        // Both counts are capped by the store far below the field widths.
        w.u8(u8::try_from(signed.len()).unwrap_or(u8::MAX));
        for s in signed {
            w.u32(s.id());
            w.bytes(s.pair().secret_bytes());
            w.bytes(s.public());
            w.bytes(s.signature());
        }
        w.u32(u32::try_from(one_time.len()).unwrap_or(u32::MAX));
        for (id, pair) in one_time {
            w.u32(*id);
            w.bytes(pair.secret_bytes());
            w.bytes(pair.public());
        }
        encode_pq(w, self.pq_parts());
    }

    fn decode_body(_kind: BlobKind, version: u8, body: &[u8]) -> Result<Self, StateError> {
        let mut r = Reader::new(body);
        let next_signed = r.u32()?;
        let next_one_time = r.u32()?;
        let signed_count = usize::from(r.u8()?);
        if signed_count == 0 || signed_count > MAX_SIGNED_PREKEYS {
            return Err(DecodeError::InvalidValue.into());
        }
        let mut signed: WipingVec<SignedPrekey> = WipingVec::with_capacity(signed_count);
        for _ in 0..signed_count {
            let id = r.u32()?;
            let secret = zeroize::Zeroizing::new(r.array::<32>()?);
            let public = r.array::<32>()?;
            let signature = r.array::<64>()?;
            if signed.iter().any(|s| s.id() == id) {
                return Err(DecodeError::InvalidValue.into());
            }
            signed.push(SignedPrekey::from_parts(
                id,
                DhKeyPair::from_stored(*secret, public),
                signature,
            ));
        }
        let count = usize::try_from(r.u32()?).map_err(|_| DecodeError::TooLarge)?;
        if count > MAX_ONE_TIME_PREKEYS {
            return Err(DecodeError::TooLarge.into());
        }
        let mut one_time = BTreeMap::new();
        let mut previous: Option<u32> = None;
        for _ in 0..count {
            let id = r.u32()?;
            let secret = zeroize::Zeroizing::new(r.array::<32>()?);
            let public = r.array::<32>()?;
            if previous.is_some_and(|p| p >= id) {
                return Err(DecodeError::InvalidValue.into());
            }
            previous = Some(id);
            one_time.insert(id, Box::new(DhKeyPair::from_stored(*secret, public)));
        }
        let pq = if version >= 2 {
            Some(decode_pq(&mut r)?)
        } else {
            None
        };
        r.finish()?;
        Ok(Self::from_parts(
            signed,
            one_time,
            next_signed,
            next_one_time,
            pq,
        ))
    }
}

impl StateBlob for PrekeyStore {}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::identity::IdentityKeyPair;

    /// `body_len` is exactly what `encode_body` writes, for a store with
    /// every part: signed, one-time, PQ one-time and last-resort prekeys,
    /// and replay records.
    #[test]
    fn body_len_is_exact() {
        let mut rng = crate::rng::os_rng();
        let me = IdentityKeyPair::generate(&mut rng);
        let mut store = PrekeyStore::new_pq(&me, &mut rng);
        let count = |store: &PrekeyStore| {
            let mut w = BlobWriter::with_capacity(0);
            store.encode_body(&mut w);
            (w.len(), body_len(store))
        };
        let (written, computed) = count(&store);
        assert_eq!(written, computed);
        store.rotate_signed_prekey(&me, &mut rng);
        store.generate_one_time_prekeys(&mut rng, 3);
        store.generate_pq_one_time_prekeys(&me, &mut rng, 2);
        let last_resort = store.rotate_last_resort_pq_prekey(&me, &mut rng);
        for n in 0..3u8 {
            store.commit_pq(ReplayRecord {
                pq_prekey_id: last_resort,
                signed_prekey_id: 1,
                base_key: [n; 32],
            });
        }
        let (signed, one_time, _, _) = store.parts();
        let pq = store.pq_parts();
        assert!(signed.len() == 2 && one_time.len() == 3);
        assert!(pq.one_time.len() == 2 && pq.last_resort.len() == 2 && pq.replay.len() == 3);
        let (written, computed) = count(&store);
        assert_eq!(written, computed);
        // Two last-resort keys of different ids reload.
        let body = encoded(&store);
        let back = PrekeyStore::decode_body(store.kind(), store.version(), &body).unwrap();
        assert!(back == store);
    }

    fn encoded(store: &PrekeyStore) -> alloc::vec::Vec<u8> {
        let mut w = BlobWriter::with_capacity(0);
        store.encode_body(&mut w);
        w.into_inner().to_vec()
    }

    /// Each count of the body is admitted up to its cap (the bytes then
    /// run short: `Truncated`) and refused above it (`TooLarge`); no
    /// signed prekey, or a last-resort id that a one-time PQ prekey has
    /// too, is refused.
    #[test]
    fn counts_up_to_their_caps_and_unique_ids() {
        let mut rng = crate::rng::os_rng();
        let me = IdentityKeyPair::generate(&mut rng);
        let store = PrekeyStore::new_pq(&me, &mut rng);
        let body = encoded(&store);
        let decode =
            |body: &[u8]| PrekeyStore::decode_body(store.kind(), store.version(), body).map(|_| ());
        let err = |e| Err(StateError::Malformed(e));
        assert_eq!(decode(&body), Ok(()));
        // One signed prekey, no one-time: the PQ part starts at 13 + 132;
        // after next id and policy, the one-time count u16, the
        // last-resort count u8 (one key), then the replay count u16.
        let pq_at = 13 + SIGNED_LEN;
        let with = |at: usize, value: &[u8]| {
            let mut b = body.clone();
            b[at..at + value.len()].copy_from_slice(value);
            b
        };
        let u16b = |n: usize| u16::try_from(n).unwrap().to_be_bytes();
        let (one_time_at, last_resort_at) = (pq_at + 5, pq_at + 7);
        let replay_at = last_resort_at + 1 + PQ_LEN;
        for (at, cap, wide) in [
            (one_time_at, MAX_ONE_TIME_PQ_PREKEYS, true),
            (last_resort_at, MAX_LAST_RESORT_PQ_PREKEYS, false),
            (replay_at, MAX_PQ_REPLAY_RECORDS, true),
        ] {
            let field = |n: usize| {
                if wide {
                    with(at, &u16b(n))
                } else {
                    with(at, &[u8::try_from(n).unwrap()])
                }
            };
            assert_eq!(decode(&field(cap)), err(DecodeError::Truncated), "at {at}");
            assert_eq!(
                decode(&field(cap + 1)),
                err(DecodeError::TooLarge),
                "at {at}"
            );
        }
        // The classic counts: signed u8 at 8, one-time u32 after the key,
        // admitted up to their caps (the bytes after them then fail to
        // parse otherwise) and refused above them.
        assert_ne!(
            decode(&with(8, &[u8::try_from(MAX_SIGNED_PREKEYS).unwrap()])),
            err(DecodeError::InvalidValue)
        );
        assert_eq!(
            decode(&with(8, &[u8::try_from(MAX_SIGNED_PREKEYS + 1).unwrap()])),
            err(DecodeError::InvalidValue)
        );
        let u32b = |n: usize| u32::try_from(n).unwrap().to_be_bytes();
        let classic_at = 9 + SIGNED_LEN;
        assert_ne!(
            decode(&with(classic_at, &u32b(MAX_ONE_TIME_PREKEYS))),
            err(DecodeError::TooLarge)
        );
        assert_eq!(
            decode(&with(classic_at, &u32b(MAX_ONE_TIME_PREKEYS + 1))),
            err(DecodeError::TooLarge)
        );
        // No signed prekey.
        let mut none = body[..8].to_vec();
        none.push(0);
        none.extend_from_slice(&body[9 + SIGNED_LEN..]);
        assert_eq!(decode(&none), err(DecodeError::InvalidValue));
        // A one-time PQ prekey whose id the last-resort key has too.
        let mut dup = body[..one_time_at].to_vec();
        dup.extend_from_slice(&u16b(1));
        let last_resort_key = &body[last_resort_at + 1..replay_at];
        dup.extend_from_slice(last_resort_key);
        dup.push(1);
        dup.extend_from_slice(last_resort_key);
        dup.extend_from_slice(&body[replay_at..]);
        assert_eq!(decode(&dup), err(DecodeError::InvalidValue));
    }
}
