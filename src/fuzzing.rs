//! Fuzz entry points that need private items (the `fuzzing` feature;
//! hidden, not part of the API), in the manner of rustls's
//! `internal::msgs::fuzzing`. Everything a fuzz target can reach through
//! the public API lives in the fuzz fixtures crate (`fuzz/fixtures`).
//!
//! Each function takes arbitrary bytes and must never panic; the
//! assertions are the properties the fuzzer checks.

use crate::frame::{self, parse_frame as parse};
use crate::group::{GroupError, GroupState, Receives};
use crate::identity::IdentityKey;
use crate::time::Timestamp;

/// Parses any bytes as an inner frame (SPEC.md §8).
pub fn parse_frame(data: &[u8]) {
    let _ = parse(data);
}

/// Parses any bytes as an inner frame: a frame that parses re-encodes to
/// exactly the same bytes (the encoding is canonical).
pub fn roundtrip_frame(data: &[u8]) {
    let Ok(parsed) = parse(data) else {
        return;
    };
    let mut out = alloc::vec![
        0u8;
        frame::frame_len_for(
            parsed.body.len(),
            parsed.meta.has_timer(),
            parsed.franking_key.is_some()
        )
    ];
    let written = match parsed.franking_key {
        Some(key) => frame::write_frame_with(&mut out, &parsed.meta, Some(key), parsed.body),
        None => frame::write_frame(&mut out, &parsed.meta, parsed.body),
    };
    assert_eq!(written, Ok(()));
    assert_eq!(out, data);
}

/// Offers any bytes to `group` as a distribution body from the 1:1 peer
/// `sender`, as if a session with `sender` had decrypted them (the fuzz
/// target `distribution`; the API takes only a decrypted
/// [`Received`](crate::Received), whose sender is the session's).
pub fn accept_distribution_body<R: Receives>(
    group: &mut GroupState<R>,
    now: Timestamp,
    sender: &IdentityKey,
    body: &[u8],
) -> Result<bool, GroupError> {
    group.process_distribution(now, sender, body)
}
