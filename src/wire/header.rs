//! The 40-byte Double Ratchet header (SPEC.md §6.2).

use crate::error::DecodeError;
use crate::hexfmt::Hex;
use crate::wire::codec::Reader;

/// Length of an encoded ratchet header.
pub const HEADER_LEN: usize = 40;

/// `DHs (32) || PN u32 BE || N u32 BE`: the sender's current ratchet public
/// key, the length of its previous sending chain, and this message's number
/// in the current chain.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RatchetHeader {
    /// Sender's ratchet public key.
    pub ratchet_key: [u8; 32],
    /// Number of messages in the sender's previous sending chain (PN).
    pub previous_counter: u32,
    /// Number of this message in the current sending chain (N).
    pub counter: u32,
}

impl RatchetHeader {
    /// The 40-byte encoding.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let (key, counters) = out.split_at_mut(32);
        key.copy_from_slice(&self.ratchet_key);
        let (pn, n) = counters.split_at_mut(4);
        pn.copy_from_slice(&self.previous_counter.to_be_bytes());
        n.copy_from_slice(&self.counter.to_be_bytes());
        out
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            ratchet_key: r.array()?,
            previous_counter: r.u32()?,
            counter: r.u32()?,
        })
    }

    /// Parses exactly 40 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let h = Self::read(&mut r)?;
        r.finish()?;
        Ok(h)
    }
}

impl core::fmt::Debug for RatchetHeader {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RatchetHeader")
            .field("ratchet_key", &Hex(&self.ratchet_key))
            .field("previous_counter", &self.previous_counter)
            .field("counter", &self.counter)
            .finish()
    }
}
