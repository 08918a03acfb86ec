//! Group ids and routing.

use sealwire::group::{GroupId, parse_post_header};

use super::{SW_GROUP_ID_LEN, sw_post_header};
use crate::boundary::{guard, write_bytes};
use crate::result::sw_result;
use crate::rng::{check_rng, sw_rng, with_rng};

/// Writes a new random 16-byte group id (the creator's choice; every
/// member then uses the same id).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives 16, the
/// length written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `out_len` must not be NULL; `buf` may be NULL only with `buf_len`
/// 0 (a size query); `rng` NULL is the OS generator.
///
/// Thread-safety: uses `rng` (one thread at a time); NULL is thread-safe.
///
/// # Safety
///
/// `rng` NULL or a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_id_random(
    rng: *mut sw_rng,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        if buf.len() < SW_GROUP_ID_LEN {
            written.set(SW_GROUP_ID_LEN);
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        }
        // SAFETY: the caller's contract.
        let id = unsafe { with_rng(rng, |r| Ok(GroupId::random(r))) }?;
        write_bytes(buf, &mut written, id.as_bytes())
    })
}

/// Parses a post's cleartext header (its group id, chain id and iteration)
/// to route it to its group; checks the post's layout (malformed input:
/// its `SW_DECODE_*` code) but nothing cryptographic.
///
/// Ownership: `post` is only read; `*out_header` receives the header.
///
/// NULL: `post` (unless `post_len` is 0) and `out_header` must not be NULL.
/// Thread-safe.
///
/// # Safety
///
/// `post` valid for reads of `post_len` bytes; `out_header` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_post_header_parse(
    post: *const u8,
    post_len: usize,
    out_header: *mut sw_post_header,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_header = unsafe { out!(out_header) }?;
        out_header.set(sw_post_header {
            group_id: [0; 16],
            chain_id: 0,
            iteration: 0,
        });
        // SAFETY: the caller's contract.
        let post = unsafe { input!(post, post_len) }?;
        let h = parse_post_header(post)?;
        out_header.set(sw_post_header {
            group_id: *h.group_id.as_bytes(),
            chain_id: h.chain_id,
            iteration: h.iteration,
        });
        Ok(())
    })
}

/// Writes the 16-byte group id a distribution body names (the plaintext of
/// a `SW_CONTENT_GROUP_KEY_DISTRIBUTION` message), to route it to its group
/// before accepting it. Checks only the first fields (malformed input: its
/// `SW_DECODE_*` code).
///
/// Ownership: `body` is only read; `buf` belongs to the caller; `*out_len`
/// receives 16, the length written or needed.
///
/// NULL: `body` (unless `body_len` is 0) and `out_len` must not be NULL;
/// `buf` may be NULL only with `buf_len` 0 (a size query). Thread-safe.
///
/// # Safety
///
/// `body` valid for reads of `body_len` bytes; `buf` valid for writes of
/// `buf_len` bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_distribution_group_id(
    body: *const u8,
    body_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let (body, buf) = unsafe { input_output!(body, body_len, buf, buf_len) }?;
        let id = sealwire::group::distribution_group_id(body)?;
        write_bytes(buf, &mut written, id.as_bytes())
    })
}
