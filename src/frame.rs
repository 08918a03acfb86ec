//! The inner frame: the AEAD plaintext of every 1:1 message (SPEC.md §8).
//!
//! ```text
//! frame_version u8 (0x01) | content_type u8 | flags u8 | sent_at u64 BE
//! | body_len u32 BE | body | zero padding to padme(max(body_len, 32))
//! ```

use crate::error::{DecodeError, SessionError};
use crate::limits::{FRAME_HEADER_LEN, MAX_BODY_LEN, MIN_PADDED_BODY_LEN};
use crate::wire::codec::{Reader, Writer};

/// Version byte of the inner frame.
pub const FRAME_VERSION: u8 = 0x01;

/// Flag bit reserved for the expiry policy (defined by the expiry-timer
/// revision of SPEC.md); rejected by this version.
pub const FLAG_EXPIRY_RESERVED: u8 = 0x01;
/// Flag bit reserved for the franking key; rejected by this version.
pub const FLAG_FRANKING_RESERVED: u8 = 0x02;

/// What a message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum ContentType {
    /// A user's message (text or any app payload).
    UserMessage = 0x01,
    /// A delivery or read receipt, app-defined body.
    Receipt = 0x04,
}

/// Content-type byte reserved for timer-change control messages.
pub const CONTENT_TIMER_CHANGE_RESERVED: u8 = 0x02;
/// Content-type byte reserved for group key distribution.
pub const CONTENT_GROUP_KEY_RESERVED: u8 = 0x03;

impl ContentType {
    fn from_byte(b: u8) -> Result<Self, SessionError> {
        match b {
            0x01 => Ok(Self::UserMessage),
            0x04 => Ok(Self::Receipt),
            CONTENT_TIMER_CHANGE_RESERVED | CONTENT_GROUP_KEY_RESERVED => {
                Err(SessionError::UnsupportedFeature)
            }
            _ => Err(SessionError::Malformed(DecodeError::InvalidValue)),
        }
    }
}

/// Padmé (Nikitin et al., PETS 2019): rounds `len` up so that only
/// O(log log len) bits of it remain; at most 12% overhead, less for large
/// lengths.
pub fn padme(len: usize) -> usize {
    if len < 2 {
        return len;
    }
    let e = usize::BITS
        .saturating_sub(1)
        .saturating_sub(len.leading_zeros()); // floor(log2 len)
    let s = u32::BITS.saturating_sub(e.leading_zeros()); // floor(log2 e) + 1 (e is a u32)
    let last_bits = e.saturating_sub(s);
    let mask = (1usize << last_bits).saturating_sub(1);
    len.saturating_add(mask) & !mask
}

/// Padded length of a body of `body_len` bytes.
pub fn padded_body_len(body_len: usize) -> usize {
    padme(body_len.max(MIN_PADDED_BODY_LEN))
}

/// Length of the frame (AEAD plaintext) for a body of `body_len` bytes.
pub fn frame_len(body_len: usize) -> usize {
    FRAME_HEADER_LEN.saturating_add(padded_body_len(body_len))
}

/// Writes the frame into `out`, which must be exactly `frame_len(body.len())`.
pub(crate) fn write_frame(
    out: &mut [u8],
    content_type: ContentType,
    sent_at: u64,
    body: &[u8],
) -> Result<(), SessionError> {
    if body.len() > MAX_BODY_LEN {
        return Err(SessionError::MessageTooLarge);
    }
    let body_len = u32::try_from(body.len()).map_err(|_| SessionError::MessageTooLarge)?;
    let total = out.len();
    let mut w = Writer::new(out);
    let r = (|| {
        w.u8(FRAME_VERSION)?;
        w.u8(content_type as u8)?;
        w.u8(0)?;
        w.u64(sent_at)?;
        w.u32(body_len)?;
        w.bytes(body)?;
        let pad = total
            .checked_sub(w.position())
            .ok_or(crate::wire::codec::Overflow)?;
        w.reserve(pad)?.fill(0);
        Ok::<(), crate::wire::codec::Overflow>(())
    })();
    r.map_err(|_| SessionError::BufferTooSmall)
}

/// A parsed frame borrowing its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame<'a> {
    pub(crate) content_type: ContentType,
    pub(crate) sent_at: u64,
    pub(crate) body: &'a [u8],
}

/// Parses a frame strictly: known version and flags, body length within
/// bounds, padding of exactly the Padmé length and all zeros.
pub(crate) fn parse_frame(bytes: &[u8]) -> Result<Frame<'_>, SessionError> {
    let mut r = Reader::new(bytes);
    let version = r.u8()?;
    if version != FRAME_VERSION {
        return Err(DecodeError::UnsupportedVersion(version).into());
    }
    let content_type = r.u8()?;
    let flags = r.u8()?;
    if flags & (FLAG_EXPIRY_RESERVED | FLAG_FRANKING_RESERVED) != 0 {
        return Err(SessionError::UnsupportedFeature);
    }
    if flags != 0 {
        return Err(DecodeError::UnknownFlags(flags).into());
    }
    let content_type = ContentType::from_byte(content_type)?;
    let sent_at = r.u64()?;
    let body_len = usize::try_from(r.u32()?).map_err(|_| DecodeError::TooLarge)?;
    if body_len > MAX_BODY_LEN {
        return Err(DecodeError::TooLarge.into());
    }
    let body = r.take(body_len)?;
    let padding = r.rest();
    if padding.len() != padded_body_len(body_len).saturating_sub(body_len) {
        return Err(DecodeError::InvalidValue.into());
    }
    if padding.iter().fold(0u8, |acc, b| acc | b) != 0 {
        return Err(DecodeError::InvalidValue.into());
    }
    Ok(Frame {
        content_type,
        sent_at,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padme_known_values() {
        assert_eq!(padme(32), 32);
        assert_eq!(padme(33), 36);
        assert_eq!(padme(100), 104);
        assert_eq!(padme(1000), 1024);
        assert_eq!(padme(65536), 65536);
        assert_eq!(padme(65537), 67584);
        assert_eq!(padme(MAX_BODY_LEN), MAX_BODY_LEN);
    }

    #[test]
    fn frame_round_trips_and_rejects_nonzero_padding() {
        let body = b"hello";
        let mut buf = [0u8; 64];
        let n = frame_len(body.len());
        write_frame(&mut buf[..n], ContentType::UserMessage, 42, body).unwrap();
        let f = parse_frame(&buf[..n]).unwrap();
        assert_eq!(f.body, body);
        assert_eq!(f.sent_at, 42);
        buf[n - 1] = 1;
        assert_eq!(
            parse_frame(&buf[..n]),
            Err(SessionError::Malformed(DecodeError::InvalidValue))
        );
    }

    proptest::proptest! {
        #[test]
        fn padme_is_monotone_and_bounded(len in 2usize..(1 << 21)) {
            let p = padme(len);
            proptest::prop_assert!(p >= len);
            proptest::prop_assert!(p <= len + len / 8 + 1);
            proptest::prop_assert!(padme(len + 1) >= p);
        }
    }
}
