//! The ratchet state's persisted form (STORAGE.md §4):
//!
//! ```text
//! associated_data 66 | root_key 32
//! | current: our_ratchet_secret u8 0|1 [secret 32]   (1 exactly when `sending` is 1)
//!   legacy (session v1-v3, pending v1-v2): our_ratchet_secret 32
//! | our_ratchet_public 32
//! previous_counter u32
//! sending   u8 0|1 [ chain_key 32 | index u32 ]
//! receiving u8 0|1 [ ratchet_key 32 | chain_key 32 | index u32 ]
//! closed_count u8 (<= MAX_RECEIVING_CHAINS - 1): ratchet_key 32 | end u32
//! skipped_total u16 (<= MAX_SKIPPED_KEYS), then runs:
//!     ratchet_key 32 | n u16 (>= 1) | n x (counter u32 | key 32 | skipped_at u64)
//! erased_total u16 (<= MAX_SKIPPED_KEYS), then runs:
//!     ratchet_key 32 | n u16 (>= 1) | n x counter u32
//! ```
//!
//! Skipped keys and tombstones keep their order (oldest first); a run
//! groups consecutive entries of one chain, and two adjacent runs never
//! share a ratchet key, so the encoding is canonical.

use alloc::collections::VecDeque;

use super::chain_key::ChainKey;
use super::message_key::MessageKey;
use super::root_key::RootKey;
use super::skipped::{SkippedKey, SkippedKeys};
use super::{
    AD_LEN, ClosedChain, DecodedKey, OurRatchet, RatchetState, ReceivingChain, SendingChain,
};
use crate::blob_writer::BlobWriter;
use crate::dh::DhKeyPair;
use crate::error::DecodeError;
use crate::limits::{MAX_RECEIVING_CHAINS, MAX_SKIPPED_KEYS};
use crate::wipe::WipingVec;
use crate::wire::codec::Reader;

/// Bytes of one skipped key inside a run, and of one tombstone.
const SKIPPED_ENTRY_LEN: usize = 4 + 32 + 8;
const ERASED_ENTRY_LEN: usize = 4;

impl RatchetState {
    /// The length of [`encode`](Self::encode)'s output.
    pub(crate) fn encoded_len(&self) -> usize {
        let secret = if self.our_ratchet.secret_bytes().is_some() {
            32
        } else {
            0
        };
        let sending = if self.sending.is_some() { 32 + 4 } else { 0 };
        let receiving = if self.receiving.is_some() {
            32 + 32 + 4
        } else {
            0
        };
        // AD, root key, secret flag, public key, PN, the two chain flags,
        // the closed-chain count: then what is present.
        const ALWAYS: usize = AD_LEN + 32 + 1 + 32 + 4 + 1 + 1 + 1;
        let fixed = ALWAYS
            .saturating_add(secret)
            .saturating_add(sending)
            .saturating_add(receiving);
        let closed = self.closed.len().saturating_mul(32 + 4);
        let skipped = runs_len(
            self.skipped.keys.iter().map(|k| &k.ratchet_key),
            SKIPPED_ENTRY_LEN,
        );
        let erased = runs_len(self.skipped.erased.iter().map(|(k, _)| k), ERASED_ENTRY_LEN);
        fixed
            .saturating_add(closed)
            .saturating_add(skipped)
            .saturating_add(erased)
    }

    pub(crate) fn encode(&self, w: &mut BlobWriter) {
        // Room for the whole state and for what a blob writes after it
        // (at most 256 bytes: the session's other fields, the checksum or
        // tag), so that the writer does not grow again: each growth is a
        // copy of keys to wipe.
        w.reserve(self.encoded_len().saturating_add(256));
        w.bytes(&self.associated_data);
        w.bytes(self.root_key.as_bytes());
        match self.our_ratchet.secret_bytes() {
            Some(secret) => {
                w.u8(1);
                w.bytes(secret);
            }
            None => w.u8(0),
        }
        w.bytes(self.our_ratchet.public());
        w.u32(self.previous_counter);
        match &self.sending {
            Some(s) => {
                w.u8(1);
                w.bytes(s.chain_key.as_bytes());
                w.u32(s.index);
            }
            None => w.u8(0),
        }
        match &self.receiving {
            Some(r) => {
                w.u8(1);
                w.bytes(&r.ratchet_key);
                w.bytes(r.chain_key.as_bytes());
                w.u32(r.index);
            }
            None => w.u8(0),
        }
        // Capped by MAX_RECEIVING_CHAINS.
        w.u8(u8::try_from(self.closed.len()).unwrap_or(u8::MAX));
        for c in &self.closed {
            w.bytes(&c.ratchet_key);
            w.u32(c.end);
        }
        write_runs(
            w,
            self.skipped.keys.iter(),
            self.skipped.keys.len(),
            |k| &k.ratchet_key,
            |w, k| {
                w.u32(k.counter);
                w.bytes(k.key.as_bytes());
                w.u64(k.skipped_at);
            },
        );
        write_runs(
            w,
            self.skipped.erased.iter(),
            self.skipped.erased.len(),
            |(k, _)| k,
            |w, (_, c)| w.u32(*c),
        );
    }

    /// Decodes the current format, or with `legacy` the format of session
    /// v1-v3 and pending v1-v2, which always stored our ratchet secret: it
    /// loads dropped when there is no sending chain (SPEC.md §5.5, STORAGE.md §4),
    /// exactly the states in which the current format stores none.
    pub(crate) fn decode(r: &mut Reader<'_>, legacy: bool) -> Result<Self, DecodeError> {
        let associated_data = r.array::<AD_LEN>()?;
        let root_key = RootKey::new(r.array()?);
        let secret = if legacy || flag(r)? {
            Some(zeroize::Zeroizing::new(r.array::<32>()?))
        } else {
            None
        };
        let public = r.array()?;
        let previous_counter = r.u32()?;
        let sending = match flag(r)? {
            true => Some(SendingChain {
                chain_key: ChainKey::new(r.array()?),
                index: r.u32()?,
            }),
            false => None,
        };
        let receiving = match flag(r)? {
            true => Some(ReceivingChain {
                ratchet_key: r.array()?,
                chain_key: ChainKey::new(r.array()?),
                index: r.u32()?,
                decoded: DecodedKey::default(),
            }),
            false => None,
        };
        let our_ratchet = match (secret, &sending) {
            (Some(secret), Some(_)) => OurRatchet::Pair(DhKeyPair::from_stored(*secret, public)),
            // Legacy: a secret no genuine message can need is dropped.
            (Some(_), None) if legacy => OurRatchet::PublicOnly(public),
            (None, None) => OurRatchet::PublicOnly(public),
            _ => return Err(DecodeError::InvalidValue),
        };
        let closed_count = usize::from(r.u8()?);
        if closed_count >= MAX_RECEIVING_CHAINS {
            return Err(DecodeError::InvalidValue);
        }
        let mut closed = VecDeque::with_capacity(MAX_RECEIVING_CHAINS);
        for _ in 0..closed_count {
            closed.push_back(ClosedChain {
                ratchet_key: r.array()?,
                end: r.u32()?,
            });
        }
        let mut keys = WipingVec::new();
        read_runs(r, |r, ratchet_key| {
            keys.push(SkippedKey {
                ratchet_key,
                counter: r.u32()?,
                key: MessageKey::new(r.array()?),
                skipped_at: r.u64()?,
            });
            Ok(())
        })?;
        let mut erased = VecDeque::new();
        read_runs(r, |r, ratchet_key| {
            erased.push_back((ratchet_key, r.u32()?));
            Ok(())
        })?;
        // Closed chains, skipped keys and their tombstones all come from
        // receiving chains, and a receiving chain, once there, is only ever
        // replaced: none of them without one.
        if receiving.is_none() && !(closed.is_empty() && keys.is_empty() && erased.is_empty()) {
            return Err(DecodeError::InvalidValue);
        }
        Ok(Self {
            root_key,
            our_ratchet,
            sending,
            previous_counter,
            receiving,
            closed,
            skipped: SkippedKeys { keys, erased },
            associated_data,
        })
    }

    /// Whether the state has received (a pending initiator's has not): it
    /// has a receiving chain (`decode` refuses anything received without
    /// one).
    pub(crate) fn has_received(&self) -> bool {
        self.receiving.is_some()
    }

    pub(crate) fn has_sending_chain(&self) -> bool {
        self.sending.is_some()
    }
}

fn flag(r: &mut Reader<'_>) -> Result<bool, DecodeError> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(DecodeError::InvalidValue),
    }
}

/// `total u16`, then runs of consecutive entries sharing a ratchet key
/// (`key u8[32] || n u16 || n entries`, a run at most `u16::MAX` long).
/// The length [`write_runs`] writes for entries of `entry_len` bytes under
/// the ratchet keys `keys` (in order): the total, then per run of one key
/// the key and its count.
fn runs_len<'a>(keys: impl Iterator<Item = &'a [u8; 32]>, entry_len: usize) -> usize {
    let (mut entries, mut runs) = (0usize, 0usize);
    let mut previous: Option<&[u8; 32]> = None;
    for key in keys {
        if previous != Some(key) {
            runs = runs.saturating_add(1);
        }
        previous = Some(key);
        entries = entries.saturating_add(1);
    }
    runs.saturating_mul(32 + 2)
        .saturating_add(entries.saturating_mul(entry_len))
        .saturating_add(2)
}

fn write_runs<'a, T: 'a>(
    w: &mut BlobWriter,
    entries: impl Iterator<Item = &'a T> + Clone,
    total: usize,
    key_of: impl Fn(&'a T) -> &'a [u8; 32],
    mut entry: impl FnMut(&mut BlobWriter, &'a T),
) {
    // Capped by MAX_SKIPPED_KEYS (2000); the reader refuses a total that
    // does not match the runs.
    w.u16(u16::try_from(total).unwrap_or(u16::MAX));
    let mut rest = entries.peekable();
    while let Some(&first) = rest.peek() {
        let key = key_of(first);
        let run = rest.clone();
        let mut n: u16 = 0;
        while n < u16::MAX && rest.next_if(|e| key_of(e) == key).is_some() {
            n = n.saturating_add(1);
        }
        w.bytes(key);
        w.u16(n);
        for e in run.take(usize::from(n)) {
            entry(w, e);
        }
    }
}

/// Reads what [`write_runs`] wrote, refusing empty runs, adjacent runs of
/// one key, and totals above the cap or not matching the runs.
fn read_runs<'a>(
    r: &mut Reader<'a>,
    mut entry: impl FnMut(&mut Reader<'a>, [u8; 32]) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let total = usize::from(r.u16()?);
    if total > MAX_SKIPPED_KEYS {
        return Err(DecodeError::InvalidValue);
    }
    let mut read = 0usize;
    let mut previous: Option<[u8; 32]> = None;
    while read < total {
        let key: [u8; 32] = r.array()?;
        let n = usize::from(r.u16()?);
        if n == 0 || previous == Some(key) || n > total.saturating_sub(read) {
            return Err(DecodeError::InvalidValue);
        }
        for _ in 0..n {
            entry(r, key)?;
        }
        read = read.saturating_add(n);
        previous = Some(key);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// Runs as bytes: the total, then `(key byte, n)` runs of `n` 1-byte
    /// entries.
    fn runs(total: u16, runs: &[(u8, u16)]) -> Vec<u8> {
        let mut b = total.to_be_bytes().to_vec();
        for &(key, n) in runs {
            b.extend_from_slice(&[key; 32]);
            b.extend_from_slice(&n.to_be_bytes());
            b.extend(core::iter::repeat_n(0xee, usize::from(n)));
        }
        b
    }

    fn read(bytes: &[u8]) -> Result<usize, DecodeError> {
        let mut r = Reader::new(bytes);
        let mut entries = 0;
        read_runs(&mut r, |r, _| {
            r.u8()?;
            entries += 1;
            Ok(())
        })?;
        r.finish()?;
        Ok(entries)
    }

    #[test]
    fn runs_up_to_the_cap_read_and_one_over_does_not() {
        let cap = u16::try_from(MAX_SKIPPED_KEYS).unwrap();
        assert_eq!(
            read(&runs(cap, &[(1, cap - 1), (2, 1)])),
            Ok(MAX_SKIPPED_KEYS)
        );
        assert_eq!(
            read(&runs(cap + 1, &[(1, cap), (2, 1)])),
            Err(DecodeError::InvalidValue)
        );
        assert_eq!(read(&runs(0, &[])), Ok(0));
    }

    #[test]
    fn each_malformed_run_is_refused_on_its_own() {
        // An empty run.
        assert_eq!(
            read(&runs(2, &[(1, 0), (2, 2)])),
            Err(DecodeError::InvalidValue)
        );
        // Two adjacent runs of one key.
        assert_eq!(
            read(&runs(3, &[(1, 1), (1, 2)])),
            Err(DecodeError::InvalidValue)
        );
        // A run longer than the total left.
        assert_eq!(
            read(&runs(2, &[(1, 1), (2, 2)])),
            Err(DecodeError::InvalidValue)
        );
        // The well-formed neighbour of each.
        assert_eq!(read(&runs(3, &[(1, 1), (2, 2)])), Ok(3));
    }
}
