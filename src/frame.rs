//! The inner frame: the AEAD plaintext of every 1:1 message (SPEC.md §8).
//!
//! ```text
//! frame_version u8 (0x02) | content_type u8 | flags u8 | sent_at u64 BE
//! [| timer_mode u8 | ttl_secs u32 BE | timer_version u64 BE]   (flag 0x01)
//! [| franking_key 32]                                          (flag 0x02)
//! | body_len u32 BE | body | zero padding to padme(max(body_len, 32))
//! ```

use crate::error::{DecodeError, SessionError};
use crate::expiry::{ConversationTimer, ExpiryMode, ExpiryPolicy};
use crate::limits::{
    FRAME_FRANKING_LEN, FRAME_HEADER_LEN, FRAME_TIMER_LEN, MAX_BODY_LEN, MIN_PADDED_BODY_LEN,
};
use crate::wire::codec::{Reader, Writer};

/// Version byte of the inner frame.
pub const FRAME_VERSION: u8 = 0x02;

/// Flag bit: the sender's conversation timer (mode, TTL, version) follows
/// `sent_at`. Set exactly when that timer is not the default (off, version 0).
pub const FLAG_TIMER: u8 = 0x01;
/// Flag bit: the message is franked; the 32-byte franking key follows the
/// timer block (or `sent_at`), SPEC.md §19.
pub const FLAG_FRANKED: u8 = 0x02;

/// What a message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum ContentType {
    /// A user's message (text or any app payload).
    UserMessage = 0x01,
    /// An explicit change of the conversation's disappearing-message timer
    /// (the frame's timer block is the new timer; the body is empty).
    TimerChange = 0x02,
    /// A group or channel sender-key distribution (SPEC.md §20.3), sent to
    /// each member over its 1:1 session; hand the received body to the
    /// group ([`crate::group`]).
    GroupKeyDistribution = 0x03,
    /// A delivery or read receipt, app-defined body.
    Receipt = 0x04,
}

/// Content-type byte of group key distribution (was reserved before the
/// group revision; kept under its old name for compatibility).
pub const CONTENT_GROUP_KEY_RESERVED: u8 = 0x03;

impl ContentType {
    fn from_byte(b: u8) -> Result<Self, SessionError> {
        match b {
            0x01 => Ok(Self::UserMessage),
            0x02 => Ok(Self::TimerChange),
            0x03 => Ok(Self::GroupKeyDistribution),
            0x04 => Ok(Self::Receipt),
            _ => Err(SessionError::Malformed(DecodeError::InvalidValue)),
        }
    }
}

impl TryFrom<u8> for ContentType {
    type Error = SessionError;

    /// The content type of a byte (SPEC.md §8.2): an unknown byte is
    /// `Malformed(InvalidValue)`.
    fn try_from(b: u8) -> Result<Self, SessionError> {
        Self::from_byte(b)
    }
}

impl From<ContentType> for u8 {
    fn from(c: ContentType) -> u8 {
        c as u8
    }
}

/// Padmé (Nikitin et al., PETS 2019): rounds `len` up so that only
/// O(log log len) bits of it remain; at most 12% overhead, less for large
/// lengths. Never less than `len`: a length whose rounded value does not
/// fit a `usize` (only within 12% of `usize::MAX`) gives `usize::MAX`.
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
    match len.checked_add(mask) {
        Some(rounded) => rounded & !mask,
        None => usize::MAX,
    }
}

/// Padded length of a body of `body_len` bytes.
pub fn padded_body_len(body_len: usize) -> usize {
    padme(body_len.max(MIN_PADDED_BODY_LEN))
}

/// Length of the frame (AEAD plaintext) for a body of `body_len` bytes,
/// with or without the timer block.
pub fn frame_len(body_len: usize, with_timer: bool) -> usize {
    let header = if with_timer {
        FRAME_HEADER_LEN + FRAME_TIMER_LEN
    } else {
        FRAME_HEADER_LEN
    };
    header.saturating_add(padded_body_len(body_len))
}

/// Length of a franked frame: [`frame_len`] plus the franking key.
pub fn franked_frame_len(body_len: usize, with_timer: bool) -> usize {
    frame_len(body_len, with_timer).saturating_add(FRAME_FRANKING_LEN)
}

/// Length of the frame, franked or not.
pub(crate) fn frame_len_for(body_len: usize, with_timer: bool, franked: bool) -> usize {
    if franked {
        franked_frame_len(body_len, with_timer)
    } else {
        frame_len(body_len, with_timer)
    }
}

/// Offset of the franking key in a franked frame.
pub(crate) fn franking_key_offset(with_timer: bool) -> usize {
    let fixed = FRAME_HEADER_LEN.saturating_sub(4); // before body_len
    if with_timer {
        fixed.saturating_add(FRAME_TIMER_LEN)
    } else {
        fixed
    }
}

/// Everything in the frame but the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameMeta {
    pub(crate) content_type: ContentType,
    /// Milliseconds since the Unix epoch, sender's clock.
    pub(crate) sent_at: u64,
    /// The sender's conversation timer (default: off, version 0).
    pub(crate) timer: ConversationTimer,
}

impl FrameMeta {
    pub(crate) fn has_timer(&self) -> bool {
        self.timer != ConversationTimer::default()
    }
}

/// Timer-mode byte of "no timer".
const MODE_OFF: u8 = 0x00;

pub(crate) fn write_timer(
    w: &mut Writer<'_>,
    timer: &ConversationTimer,
) -> Result<(), crate::wire::codec::Overflow> {
    match timer.policy {
        Some(p) => {
            w.u8(p.mode() as u8)?;
            w.u32(p.ttl_secs())?;
        }
        None => {
            w.u8(MODE_OFF)?;
            w.u32(0)?;
        }
    }
    w.u64(timer.version)
}

fn read_timer(r: &mut Reader<'_>) -> Result<ConversationTimer, SessionError> {
    let timer = read_timer_fields(r)?;
    if timer == ConversationTimer::default() {
        // The default timer is encoded by leaving the flag clear.
        return Err(DecodeError::InvalidValue.into());
    }
    Ok(timer)
}

/// The [`FRAME_TIMER_LEN`] (13) bytes of a timer (mode, TTL, version),
/// the default timer included.
pub(crate) fn read_timer_fields(r: &mut Reader<'_>) -> Result<ConversationTimer, SessionError> {
    read_timer_fields_as(r, true)
}

/// A timer with a 64-bit version (`wide`, the frame and the current state
/// blobs) or with the 32-bit version of older state blobs (STORAGE.md §4,
/// STORAGE.md §10), which widens.
pub(crate) fn read_timer_fields_as(
    r: &mut Reader<'_>,
    wide: bool,
) -> Result<ConversationTimer, SessionError> {
    let mode = r.u8()?;
    let ttl = r.u32()?;
    let version = if wide { r.u64()? } else { u64::from(r.u32()?) };
    let policy = match mode {
        MODE_OFF if ttl == 0 => None,
        0x01 => Some(
            ExpiryPolicy::new(ExpiryMode::AfterSend, ttl)
                .map_err(|_| SessionError::InvalidPolicy)?,
        ),
        0x02 => Some(
            ExpiryPolicy::new(ExpiryMode::AfterRead, ttl)
                .map_err(|_| SessionError::InvalidPolicy)?,
        ),
        _ => return Err(SessionError::InvalidPolicy),
    };
    Ok(ConversationTimer { policy, version })
}

/// Writes the frame into `out`, which must be exactly
/// `frame_len(body.len(), meta.has_timer())` bytes.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn write_frame(
    out: &mut [u8],
    meta: &FrameMeta,
    body: &[u8],
) -> Result<(), SessionError> {
    write_frame_with(out, meta, None, body)
}

/// Writes a frame, franked if `franking_key` is given, into `out`, which
/// must be exactly `frame_len_for(body.len(), meta.has_timer(), franked)`
/// bytes.
pub(crate) fn write_frame_with(
    out: &mut [u8],
    meta: &FrameMeta,
    franking_key: Option<&[u8; 32]>,
    body: &[u8],
) -> Result<(), SessionError> {
    let slot = write_frame_around(out, meta, franking_key, body.len())?;
    out.get_mut(slot)
        .ok_or(SessionError::BufferTooSmall)?
        .copy_from_slice(body);
    Ok(())
}

/// Writes a frame for a body of `body_len` bytes into `out` (exactly
/// `frame_len_for(body_len, meta.has_timer(), franked)` bytes), all but
/// the body itself: returns the range the body goes in, for a caller that
/// encrypts the body straight from its source (group posts).
pub(crate) fn write_frame_around(
    out: &mut [u8],
    meta: &FrameMeta,
    franking_key: Option<&[u8; 32]>,
    body_len: usize,
) -> Result<core::ops::Range<usize>, SessionError> {
    if body_len > MAX_BODY_LEN {
        return Err(SessionError::MessageTooLarge);
    }
    let body_len_u32 = u32::try_from(body_len).map_err(|_| SessionError::MessageTooLarge)?;
    let total = out.len();
    let mut w = Writer::new(out);
    let r = (|| {
        w.u8(FRAME_VERSION)?;
        w.u8(meta.content_type as u8)?;
        let timer_flag = if meta.has_timer() { FLAG_TIMER } else { 0 };
        let franked_flag = if franking_key.is_some() {
            FLAG_FRANKED
        } else {
            0
        };
        w.u8(timer_flag | franked_flag)?;
        w.u64(meta.sent_at)?;
        if meta.has_timer() {
            write_timer(&mut w, &meta.timer)?;
        }
        if let Some(key) = franking_key {
            w.bytes(key)?;
        }
        w.u32(body_len_u32)?;
        let start = w.position();
        w.reserve(body_len)?;
        let pad = total
            .checked_sub(w.position())
            .ok_or(crate::wire::codec::Overflow)?;
        w.reserve(pad)?.fill(0);
        Ok::<_, crate::wire::codec::Overflow>(start..start.saturating_add(body_len))
    })();
    r.map_err(|_| SessionError::BufferTooSmall)
}

/// A parsed frame borrowing its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame<'a> {
    pub(crate) meta: FrameMeta,
    /// Offset of the body in the frame.
    pub(crate) body_offset: usize,
    pub(crate) body: &'a [u8],
    /// The franking key, if the frame is franked (flag bit 1).
    pub(crate) franking_key: Option<&'a [u8; 32]>,
}

/// Parses a frame strictly: known version and flags, a valid timer block
/// exactly when flagged (never the default timer), a timer change that
/// carries a timer and no body and is not franked, body length within
/// bounds, padding of exactly the Padmé length and all zeros.
pub(crate) fn parse_frame(bytes: &[u8]) -> Result<Frame<'_>, SessionError> {
    let mut r = Reader::new(bytes);
    let version = r.u8()?;
    if version != FRAME_VERSION {
        return Err(DecodeError::UnsupportedVersion(version).into());
    }
    let content_type = r.u8()?;
    let flags = r.u8()?;
    if flags & !(FLAG_TIMER | FLAG_FRANKED) != 0 {
        return Err(DecodeError::UnknownFlags(flags).into());
    }
    let content_type = ContentType::from_byte(content_type)?;
    let sent_at = r.u64()?;
    let timer = if flags & FLAG_TIMER != 0 {
        read_timer(&mut r)?
    } else {
        ConversationTimer::default()
    };
    let franking_key = if flags & FLAG_FRANKED != 0 {
        Some(
            <&[u8; 32]>::try_from(r.take(FRAME_FRANKING_LEN)?)
                .map_err(|_| DecodeError::Truncated)?,
        )
    } else {
        None
    };
    let body_len = usize::try_from(r.u32()?).map_err(|_| DecodeError::TooLarge)?;
    if body_len > MAX_BODY_LEN {
        return Err(DecodeError::TooLarge.into());
    }
    let body_offset = franking_key_offset(flags & FLAG_TIMER != 0)
        .saturating_add(if franking_key.is_some() {
            FRAME_FRANKING_LEN
        } else {
            0
        })
        .saturating_add(4);
    let body = r.take(body_len)?;
    let padding = r.rest();
    if padding.len() != padded_body_len(body_len).saturating_sub(body_len) {
        return Err(DecodeError::InvalidValue.into());
    }
    if padding.iter().fold(0u8, |acc, b| acc | b) != 0 {
        return Err(DecodeError::InvalidValue.into());
    }
    if content_type == ContentType::TimerChange
        && (timer.version == 0 || !body.is_empty() || franking_key.is_some())
    {
        return Err(SessionError::InvalidPolicy);
    }
    Ok(Frame {
        meta: FrameMeta {
            content_type,
            sent_at,
            timer,
        },
        body_offset,
        body,
        franking_key,
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

    /// Near `usize::MAX` the rounded length does not fit: the result
    /// saturates and is never below the input (it once wrapped below it).
    #[test]
    fn padme_never_shrinks_near_the_top() {
        for len in [
            usize::MAX,
            usize::MAX - 1,
            usize::MAX - 1000,
            usize::MAX / 8 * 7,
        ] {
            assert!(padme(len) >= len, "padme({len}) = {}", padme(len));
        }
        assert_eq!(padme(usize::MAX), usize::MAX);
        // The largest power of two fits as it is.
        assert_eq!(padme(1 << (usize::BITS - 1)), 1 << (usize::BITS - 1));
    }

    #[test]
    fn frame_round_trips_and_rejects_nonzero_padding() {
        let body = b"hello";
        let mut buf = [0u8; 64];
        let n = frame_len(body.len(), false);
        let meta = FrameMeta {
            content_type: ContentType::UserMessage,
            sent_at: 42,
            timer: ConversationTimer::default(),
        };
        write_frame(&mut buf[..n], &meta, body).unwrap();
        let f = parse_frame(&buf[..n]).unwrap();
        assert_eq!(f.body, body);
        assert_eq!(f.meta, meta);
        buf[n - 1] = 1;
        assert_eq!(
            parse_frame(&buf[..n]),
            Err(SessionError::Malformed(DecodeError::InvalidValue))
        );
    }

    #[test]
    fn timer_block_round_trips_and_is_strict() {
        let timer = ConversationTimer {
            policy: Some(ExpiryPolicy::new(ExpiryMode::AfterRead, 3600).unwrap()),
            version: 7,
        };
        let meta = FrameMeta {
            content_type: ContentType::UserMessage,
            sent_at: 9,
            timer,
        };
        let n = frame_len(3, true);
        let mut buf = alloc::vec![0u8; n];
        write_frame(&mut buf, &meta, b"abc").unwrap();
        let f = parse_frame(&buf).unwrap();
        assert_eq!((f.meta, f.body, f.body_offset), (meta, &b"abc"[..], 28));
        // Unknown mode, TTL out of range, off with a TTL: InvalidPolicy.
        for (at, value) in [(11, 9u8), (12, 0xff), (11, 0)] {
            let mut bad = buf.clone();
            bad[at] = value;
            assert_eq!(
                parse_frame(&bad).unwrap_err(),
                SessionError::InvalidPolicy,
                "byte {at} = {value}"
            );
        }
        // A zero TTL with a mode: InvalidPolicy.
        let mut zero = buf.clone();
        zero[12..16].copy_from_slice(&[0; 4]);
        assert_eq!(parse_frame(&zero).unwrap_err(), SessionError::InvalidPolicy);
        // A timer change must carry a timer and no body.
        let change = FrameMeta {
            content_type: ContentType::TimerChange,
            sent_at: 9,
            timer: ConversationTimer::default(),
        };
        let mut c = alloc::vec![0u8; frame_len(0, false)];
        write_frame(&mut c, &change, b"").unwrap();
        assert_eq!(parse_frame(&c).unwrap_err(), SessionError::InvalidPolicy);
    }

    #[test]
    fn franked_frame_places_the_key_after_the_timer_block() {
        let key = [0xabu8; 32];
        for timer in [
            ConversationTimer::default(),
            ConversationTimer {
                policy: Some(ExpiryPolicy::new(ExpiryMode::AfterSend, 60).unwrap()),
                version: 1,
            },
        ] {
            let meta = FrameMeta {
                content_type: ContentType::Receipt,
                sent_at: 5,
                timer,
            };
            let with_timer = meta.has_timer();
            let n = franked_frame_len(4, with_timer);
            assert_eq!(n, frame_len(4, with_timer) + FRAME_FRANKING_LEN);
            let mut buf = alloc::vec![0u8; n];
            write_frame_with(&mut buf, &meta, Some(&key), b"body").unwrap();
            assert_eq!(
                buf[2],
                FLAG_FRANKED | if with_timer { FLAG_TIMER } else { 0 }
            );
            let at = franking_key_offset(with_timer);
            assert_eq!(at, if with_timer { 24 } else { 11 });
            assert_eq!(&buf[at..at + 32], &key);
            let f = parse_frame(&buf).unwrap();
            assert_eq!(f.franking_key, Some(&key));
            assert_eq!(
                (f.meta, f.body, f.body_offset),
                (meta, &b"body"[..], at + 36)
            );
            // A truncated key is Truncated; a franked timer change is refused.
            assert_eq!(
                parse_frame(&buf[..at + 10]).unwrap_err(),
                SessionError::Malformed(DecodeError::Truncated)
            );
        }
        let change = FrameMeta {
            content_type: ContentType::TimerChange,
            sent_at: 5,
            timer: ConversationTimer {
                policy: None,
                version: 1,
            },
        };
        let mut c = alloc::vec![0u8; franked_frame_len(0, true)];
        write_frame_with(&mut c, &change, Some(&key), b"").unwrap();
        assert_eq!(parse_frame(&c).unwrap_err(), SessionError::InvalidPolicy);
    }

    #[test]
    fn frame_version_1_is_refused_and_the_timer_version_is_64_bits() {
        let meta = FrameMeta {
            content_type: ContentType::TimerChange,
            sent_at: 1,
            timer: ConversationTimer {
                policy: None,
                version: u64::MAX,
            },
        };
        let mut buf = alloc::vec![0u8; frame_len(0, true)];
        assert_eq!(buf.len(), FRAME_HEADER_LEN + 13 + MIN_PADDED_BODY_LEN);
        write_frame(&mut buf, &meta, b"").unwrap();
        assert_eq!(buf[0], 0x02);
        assert_eq!(&buf[16..24], &u64::MAX.to_be_bytes());
        assert_eq!(parse_frame(&buf).unwrap().meta, meta);
        buf[0] = 0x01;
        assert_eq!(
            parse_frame(&buf).unwrap_err(),
            SessionError::Malformed(DecodeError::UnsupportedVersion(1))
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
