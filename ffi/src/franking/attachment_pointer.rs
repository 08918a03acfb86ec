//! Attachment pointers (`sw_attachment_pointer`).

use sealwire::franking::{AttachmentKey, AttachmentPointer};

use super::{SW_ATTACHMENT_OVERHEAD, sw_attachment_pointer};
use crate::boundary::{
    clear_handle, free_handle, guard, guard_void, handle_ref, new_handle, write_bytes,
};
use crate::result::sw_result;

/// Makes the pointer to an attachment: its 32-byte key, the SHA-256 digest
/// and size of `plaintext` (computed here), its media type (at most 255
/// bytes, e.g. `image/png`) and its locator (where the encrypted blob is
/// stored, a URL or storage id, at most 2048 bytes); longer is
/// `SW_DECODE_TOO_LARGE`. Send its encoding (`sw_attachment_pointer_encode`)
/// as the body of a franked message (`sw_session_encrypt_franked`).
///
/// Ownership: the inputs are copied (the plaintext only hashed). On `SW_OK`,
/// `*out_pointer` is a new handle the caller frees with
/// `sw_attachment_pointer_free`; on error it is set to NULL.
///
/// NULL: `key` and `out_pointer` must not be NULL; `plaintext`,
/// `media_type` and `locator` may be NULL only with length 0. `key_len`
/// must be 32 (`SW_ATTACHMENT_KEY_LEN`), else `SW_INVALID_ARGUMENT`.
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// Each input valid for reads of its length; `out_pointer` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_new(
    key: *const u8,
    key_len: usize,
    plaintext: *const u8,
    plaintext_len: usize,
    media_type: *const u8,
    media_type_len: usize,
    locator: *const u8,
    locator_len: usize,
    out_pointer: *mut *mut sw_attachment_pointer,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_pointer = unsafe { out!(out_pointer) }?;
        clear_handle(&mut out_pointer);
        // SAFETY: the caller's contract.
        let key = AttachmentKey::from_bytes(unsafe { input_array!(key, key_len) }?);
        // SAFETY: the caller's contract.
        let plaintext = unsafe { input!(plaintext, plaintext_len) }?;
        // SAFETY: the caller's contract.
        let media_type = unsafe { input!(media_type, media_type_len) }?;
        // SAFETY: the caller's contract.
        let locator = unsafe { input!(locator, locator_len) }?;
        let pointer = AttachmentPointer::new(key, plaintext, media_type, locator)?;
        out_pointer.set(new_handle::<sw_attachment_pointer>(pointer));
        Ok(())
    })
}

/// Parses an attachment pointer strictly (a franked message's whole body,
/// or a verified report's body); malformed bytes give their `SW_DECODE_*`
/// code.
///
/// Ownership: `bytes` is borrowed. On `SW_OK`, `*out_pointer` is a new
/// handle the caller frees with `sw_attachment_pointer_free`; on error it is
/// set to NULL.
///
/// NULL: `out_pointer` must not be NULL; `bytes` may be NULL only with `len`
/// 0.
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `bytes` valid for reads of `len` bytes; `out_pointer` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_parse(
    bytes: *const u8,
    len: usize,
    out_pointer: *mut *mut sw_attachment_pointer,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_pointer = unsafe { out!(out_pointer) }?;
        clear_handle(&mut out_pointer);
        // SAFETY: the caller's contract.
        let bytes = unsafe { input!(bytes, len) }?;
        let pointer = AttachmentPointer::parse(bytes)?;
        out_pointer.set(new_handle::<sw_attachment_pointer>(pointer));
        Ok(())
    })
}

/// Writes the pointer's encoding (SPEC.md §19.8: 77 bytes plus the media
/// type and locator), the body to send franked. It holds the attachment
/// key: it is as secret as the attachment.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `pointer` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// Thread-safety: `pointer` is immutable; any thread.
///
/// # Safety
///
/// `pointer` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_encode(
    pointer: *const sw_attachment_pointer,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let pointer = unsafe { handle_ref(pointer) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        write_bytes(buf, &mut written, &pointer.to_vec())
    })
}

/// Stores the attachment's plaintext size in bytes, as the pointer states
/// it (the sender's claim until `sw_attachment_pointer_decrypt` or `_verify`
/// succeeds).
///
/// NULL: `pointer` and `out_size` must not be NULL.
///
/// Thread-safety: `pointer` is immutable; any thread.
///
/// # Safety
///
/// `pointer` a live handle; `out_size` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_size(
    pointer: *const sw_attachment_pointer,
    out_size: *mut u64,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_size = unsafe { out!(out_size) }?;
        out_size.set(0);
        // SAFETY: the caller's contract.
        let pointer = unsafe { handle_ref(pointer) }?;
        out_size.set(pointer.size());
        Ok(())
    })
}

/// Writes the attachment's media type (opaque bytes, at most 255, possibly
/// empty; not NUL-terminated).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `pointer` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// Thread-safety: `pointer` is immutable; any thread.
///
/// # Safety
///
/// `pointer` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_media_type(
    pointer: *const sw_attachment_pointer,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let pointer = unsafe { handle_ref(pointer) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        write_bytes(buf, &mut written, pointer.media_type())
    })
}

/// Writes the attachment's locator: where its encrypted blob is stored
/// (opaque bytes, at most 2048, possibly empty; not NUL-terminated).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `pointer` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// Thread-safety: `pointer` is immutable; any thread.
///
/// # Safety
///
/// `pointer` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_locator(
    pointer: *const sw_attachment_pointer,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let pointer = unsafe { handle_ref(pointer) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        write_bytes(buf, &mut written, pointer.locator())
    })
}

/// Checks a plaintext against the pointer: its size, then its SHA-256
/// digest (constant-time). `SW_OK` if it is the attachment committed to,
/// else `SW_ATTACHMENT_MISMATCH`.
///
/// NULL: `pointer` must not be NULL; `plaintext` may be NULL only with
/// `plaintext_len` 0.
///
/// Thread-safety: `pointer` is immutable; any thread.
///
/// # Safety
///
/// `pointer` a live handle; `plaintext` valid for reads of `plaintext_len`
/// bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_verify(
    pointer: *const sw_attachment_pointer,
    plaintext: *const u8,
    plaintext_len: usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let pointer = unsafe { handle_ref(pointer) }?;
        // SAFETY: the caller's contract.
        let plaintext = unsafe { input!(plaintext, plaintext_len) }?;
        Ok(pointer.verify(plaintext)?)
    })
}

/// Decrypts a downloaded attachment blob (`sw_attachment_encrypt`'s output)
/// with the pointer's key and checks the plaintext against the pointer's
/// size and digest: `SW_ATTACHMENT_MISMATCH` if the blob does not decrypt or
/// is not the attachment committed to. Recipients MUST open attachments
/// this way, so that what they show is what a report can prove.
///
/// Ownership: `blob` is borrowed; `buf` belongs to the caller and must hold
/// `blob_len - SW_ATTACHMENT_OVERHEAD` bytes (the plaintext's length): if
/// shorter, nothing is written, `*out_len` receives that length and the
/// result is `SW_BUFFER_TOO_SMALL`. On `SW_OK`, `*out_len` receives the
/// plaintext's length; on any other error nothing is written. `blob` and
/// `buf` must not overlap (`SW_INVALID_ARGUMENT`).
///
/// NULL: `pointer` and `out_len` must not be NULL; `blob` may be NULL only
/// with `blob_len` 0, `buf` only with `buf_len` 0 (a size query).
///
/// Thread-safety: `pointer` is immutable; any thread.
///
/// # Safety
///
/// `pointer` a live handle; `blob` valid for reads of `blob_len` bytes;
/// `buf` valid for writes of `buf_len` bytes; `out_len` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_decrypt(
    pointer: *const sw_attachment_pointer,
    blob: *const u8,
    blob_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let pointer = unsafe { handle_ref(pointer) }?;
        // SAFETY: the caller's contract.
        let (blob, buf) = unsafe { input_output!(blob, blob_len, buf, buf_len) }?;
        let needed = blob
            .len()
            .checked_sub(SW_ATTACHMENT_OVERHEAD)
            .ok_or(sw_result::SW_ATTACHMENT_MISMATCH)?;
        if buf.len() < needed {
            written.set(needed);
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        }
        let plaintext = pointer.decrypt(blob)?;
        write_bytes(buf, &mut written, &plaintext)
    })
}

/// Frees an attachment pointer, zeroing its key. NULL is a no-op.
///
/// # Safety
///
/// `pointer` must be NULL or a live `sw_attachment_pointer` not used again
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_free(pointer: *mut sw_attachment_pointer) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(pointer) });
}
