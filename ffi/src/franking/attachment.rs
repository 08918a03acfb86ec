//! Attachment keys and encryption.

use sealwire::franking::AttachmentKey;
use zeroize::Zeroizing;

use super::{SW_ATTACHMENT_KEY_LEN, SW_ATTACHMENT_OVERHEAD};
use crate::boundary::fail;
use crate::boundary::too_small;
use crate::boundary::{guard, write_bytes};
use crate::result::sw_result;
use crate::rng::{sw_rng, with_rng};

/// Writes a fresh random 32-byte attachment key (one per attachment).
///
/// Ownership: `rng` is borrowed (NULL: the OS generator); `buf` belongs to
/// the caller; `*out_len` receives 32, the length written or needed (a too
/// short buffer draws nothing).
///
/// NULL: `out_len` must not be NULL; `buf` may be NULL only with `buf_len` 0
/// (a size query).
///
/// Thread-safety: `rng`, if given, is used by one thread at a time.
///
/// # Safety
///
/// `rng` NULL or a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_key_new(
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
        let buf = unsafe { output!(buf, buf_len) }?;
        if buf.len() < SW_ATTACHMENT_KEY_LEN {
            written.set(SW_ATTACHMENT_KEY_LEN);
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        }
        // SAFETY: the caller's contract.
        let key = unsafe { with_rng(rng, |r| Ok(AttachmentKey::generate(r))) }?;
        write_bytes(buf, &mut written, key.as_bytes())
    })
}

/// Encrypts an attachment under its 32-byte key (AES-256-GCM with a key
/// and nonce derived from it; SPEC.md §19.8): the blob to upload,
/// `SW_ATTACHMENT_OVERHEAD` bytes longer than the plaintext. Use each key
/// for one attachment only.
///
/// Ownership: `key` and `plaintext` are borrowed; `buf` belongs to the
/// caller and needs `plaintext_len + SW_ATTACHMENT_OVERHEAD` bytes: if
/// shorter, nothing is written, `*out_len` receives that length and the
/// result is `SW_BUFFER_TOO_SMALL`. `buf` must not overlap an input
/// (`SW_INVALID_ARGUMENT`).
///
/// NULL: `key` and `out_len` must not be NULL; `plaintext` may be NULL only
/// with `plaintext_len` 0, `buf` only with `buf_len` 0 (a size query).
/// `key_len` must be 32 (`SW_ATTACHMENT_KEY_LEN`), else
/// `SW_INVALID_ARGUMENT`.
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `key` valid for reads of `key_len` bytes, `plaintext` of `plaintext_len`
/// bytes; `buf` valid for writes of `buf_len` bytes; `out_len` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_encrypt(
    key: *const u8,
    key_len: usize,
    plaintext: *const u8,
    plaintext_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        disjoint!(buf, buf_len, [(key, key_len), (plaintext, plaintext_len)])?;
        // SAFETY: the caller's contract.
        let key = AttachmentKey::from_bytes(unsafe { input_array!(key, key_len) }?);
        // SAFETY: the caller's contract.
        let plaintext = unsafe { input!(plaintext, plaintext_len) }?;
        // SAFETY: the caller's contract; checked disjoint from the inputs.
        let buf = unsafe { output!(buf, buf_len) }?;
        let needed = plaintext
            .len()
            .checked_add(SW_ATTACHMENT_OVERHEAD)
            .ok_or_else(|| {
                fail(
                    sw_result::SW_INVALID_ARGUMENT,
                    format_args!("plaintext_len is too large"),
                )
            })?;
        if buf.len() < needed {
            written.set(needed);
            return Err(too_small(buf.len(), needed));
        }
        let blob = Zeroizing::new(key.encrypt(plaintext).map_err(|_| {
            fail(
                sw_result::SW_INVALID_ARGUMENT,
                format_args!("plaintext_len is beyond AES-GCM's limit (64 GiB)"),
            )
        })?);
        write_bytes(buf, &mut written, &blob)
    })
}
