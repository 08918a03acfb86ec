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

/// The key derivations written over the SHA-256 compression function
/// (src/kdf.rs), for the differential fuzz target `message_keys`:
/// `HMAC-SHA256(key, [a])` and `HMAC-SHA256(key, [b])` as the chain step
/// computes them (the 1:1 and group `KDF_CK` take `a = 0x01`, `b = 0x02`),
/// then the 1:1 and the group message-key HKDFs of `key` (SPEC.md §5.4,
/// §20.4). Secret outputs: fuzzing only.
pub fn kdf_fast_paths(key: &[u8; 32], a: u8, b: u8) -> ([u8; 32], [u8; 32], [u8; 44], [u8; 44]) {
    let (x, y) = crate::kdf::hmac_sha256_pair(key, a, b);
    (
        x,
        y,
        crate::kdf::message_keys(key),
        crate::kdf::group_message_keys(key),
    )
}
