//! The 52-byte Double Ratchet header (SPEC.md §6.2).

use crate::error::DecodeError;
use crate::hexfmt::Hex;
use crate::wire::codec::Reader;

/// Length of an encoded ratchet header.
pub const HEADER_LEN: usize = 52;

/// Length of the per-message nonce mask `r` at the end of the header.
pub const NONCE_MASK_LEN: usize = 12;

/// `DHs (32) || PN u32 BE || N u32 BE || r (12)`: the sender's current
/// ratchet public key, the length of its previous sending chain, this
/// message's number in the current chain, and 12 fresh random bytes XORed
/// into the AEAD nonce (SPEC.md §5.4), so that a sender restored from an
/// old state never reuses a (key, nonce) pair.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RatchetHeader {
    /// Sender's ratchet public key.
    pub ratchet_key: [u8; 32],
    /// Number of messages in the sender's previous sending chain (PN).
    pub previous_counter: u32,
    /// Number of this message in the current sending chain (N).
    pub counter: u32,
    /// The nonce mask `r`: fresh random bytes per message, XORed into the
    /// nonce derived from the message key. Public (it travels in clear and
    /// is authenticated as part of the associated data).
    pub nonce_mask: [u8; NONCE_MASK_LEN],
}

impl RatchetHeader {
    /// The 52-byte encoding.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let (key, rest) = out.split_at_mut(32);
        key.copy_from_slice(&self.ratchet_key);
        let (pn, rest) = rest.split_at_mut(4);
        pn.copy_from_slice(&self.previous_counter.to_be_bytes());
        let (n, r) = rest.split_at_mut(4);
        n.copy_from_slice(&self.counter.to_be_bytes());
        r.copy_from_slice(&self.nonce_mask);
        out
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            ratchet_key: r.array()?,
            previous_counter: r.u32()?,
            counter: r.u32()?,
            nonce_mask: r.array()?,
        })
    }

    /// Parses exactly 52 bytes.
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
            .field("nonce_mask", &Hex(&self.nonce_mask))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn header_layout() {
        let h = RatchetHeader {
            ratchet_key: [7; 32],
            previous_counter: 0x0102_0304,
            counter: 0x0506_0708,
            nonce_mask: [9; 12],
        };
        let b = h.to_bytes();
        assert_eq!(&b[..32], &[7; 32]);
        assert_eq!(&b[32..40], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&b[40..], &[9; 12]);
        assert_eq!(RatchetHeader::from_bytes(&b).unwrap(), h);
        assert_eq!(
            RatchetHeader::from_bytes(&b[..40]),
            Err(DecodeError::Truncated)
        );
    }
}
