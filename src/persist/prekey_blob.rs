//! Prekey-store blob body (kind 0x02, v1):
//!
//! ```text
//! next_signed_id u32 | next_one_time_id u32
//! signed_count u8 (1..=MAX_SIGNED_PREKEYS), oldest first, ids distinct:
//!     id u32 | secret 32 | public 32 | signature 64
//! one_time_count u32 (<= MAX_ONE_TIME_PREKEYS), ids strictly increasing:
//!     id u32 | secret 32 | public 32
//! ```
//!
//! The public halves are stored, not recomputed: loading 10,000 one-time
//! prekeys costs no scalar multiplication.
//!
//! Used one-time prekeys are not kept: consuming one deletes it, and its
//! id is not issued again (`next_one_time_id` only grows).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::private::Codec;
use super::writer::BlobWriter;
use super::{BlobKind, StateBlob};
use crate::dh::DhKeyPair;
use crate::error::{DecodeError, StateError};
use crate::limits::{MAX_ONE_TIME_PREKEYS, MAX_SIGNED_PREKEYS};
use crate::prekey::{PrekeyStore, SignedPrekey};
use crate::wire::codec::Reader;

/// Bytes per signed prekey and per one-time prekey.
const SIGNED_LEN: usize = 4 + 32 + 32 + 64;
const ONE_TIME_LEN: usize = 4 + 32 + 32;

impl Codec for PrekeyStore {
    const KINDS: &'static [BlobKind] = &[BlobKind::PrekeyStore];

    fn kind(&self) -> BlobKind {
        BlobKind::PrekeyStore
    }

    fn encode_body(&self, w: &mut BlobWriter) {
        let (signed, one_time, next_signed, next_one_time) = self.parts();
        w.as_mut_vec().reserve(
            signed
                .len()
                .saturating_mul(SIGNED_LEN)
                .saturating_add(one_time.len().saturating_mul(ONE_TIME_LEN))
                .saturating_add(13),
        );
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
    }

    fn decode_body(_kind: BlobKind, _version: u8, body: &[u8]) -> Result<Self, StateError> {
        let mut r = Reader::new(body);
        let next_signed = r.u32()?;
        let next_one_time = r.u32()?;
        let signed_count = usize::from(r.u8()?);
        if signed_count == 0 || signed_count > MAX_SIGNED_PREKEYS {
            return Err(DecodeError::InvalidValue.into());
        }
        let mut signed: Vec<SignedPrekey> = Vec::with_capacity(signed_count);
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
            one_time.insert(id, DhKeyPair::from_stored(*secret, public));
        }
        r.finish()?;
        Ok(Self::from_parts(
            signed,
            one_time,
            next_signed,
            next_one_time,
        ))
    }
}

impl StateBlob for PrekeyStore {}
