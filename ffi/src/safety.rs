//! `sw_safety_number`: verifying identities out of band (60 digits to
//! compare, or a code to scan).

use sealwire::{IdentityKey, SafetyNumber};

use crate::boundary::{
    Handle, clear_handle, free_handle, guard, guard_void, handle_ref, new_handle, output,
    write_bytes, write_c_string,
};
use crate::result::sw_result;

/// Length of the displayable safety number with its terminating NUL (60
/// digits).
pub const SW_SAFETY_NUMBER_DISPLAY_LEN: usize = 61;
/// Length of the scannable safety number.
pub const SW_SAFETY_NUMBER_SCANNABLE_LEN: usize = 65;

/// The safety number of a conversation as one side computes it
/// (Signal-compatible: 5200 iterations of SHA-512).
///
/// Ownership: made by `sw_safety_number_new`, freed by the caller with
/// `sw_safety_number_free`.
///
/// Thread-safety: immutable; may be used from several threads at once
/// (freeing it excepted).
pub struct sw_safety_number {
    _opaque: [u8; 0],
}

impl Handle for sw_safety_number {
    type Inner = SafetyNumber;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:safen");
}

/// Computes the safety number of our identity key `local_key` (32 bytes)
/// and the peer's `remote_key` (32 bytes, e.g. from
/// `sw_session_their_identity`), with the stable ids the app chose for each
/// party (e.g. phone numbers; may be empty). Both sides get the same digits.
///
/// Ownership: every input is copied. On `SW_OK`, `*out_number` is a new
/// handle the caller frees with `sw_safety_number_free`; on error it is set
/// to NULL.
///
/// NULL: `local_key`, `remote_key` and `out_number` must not be NULL (the
/// key lengths must be 32, else `SW_INVALID_ARGUMENT`; an invalid key is
/// `SW_DECODE_INVALID_KEY`); an id may be NULL only with length 0.
///
/// # Safety
///
/// Each input valid for reads of its length; `out_number` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_safety_number_new(
    local_key: *const u8,
    local_key_len: usize,
    local_id: *const u8,
    local_id_len: usize,
    remote_key: *const u8,
    remote_key_len: usize,
    remote_id: *const u8,
    remote_id_len: usize,
    out_number: *mut *mut sw_safety_number,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_number = unsafe { out!(out_number) }?;
        clear_handle(&mut out_number);
        // SAFETY: the caller's contract.
        let local_key = unsafe { input_array!(local_key, local_key_len) }?;
        // SAFETY: the caller's contract.
        let remote_key = unsafe { input_array!(remote_key, remote_key_len) }?;
        // SAFETY: the caller's contract.
        let local_id = unsafe { input!(local_id, local_id_len) }?;
        // SAFETY: the caller's contract.
        let remote_id = unsafe { input!(remote_id, remote_id_len) }?;
        let local = IdentityKey::from_bytes(&local_key)?;
        let remote = IdentityKey::from_bytes(&remote_key)?;
        let number = SafetyNumber::new(&local, local_id, &remote, remote_id);
        out_number.set(new_handle::<sw_safety_number>(number));
        Ok(())
    })
}

/// Writes the 60 digits to show, NUL-terminated (the same on both sides).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives 61
/// (`SW_SAFETY_NUMBER_DISPLAY_LEN`, NUL included), the length written or
/// needed.
///
/// NULL: `number` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// # Safety
///
/// `number` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_safety_number_displayable(
    number: *const sw_safety_number,
    buf: *mut core::ffi::c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let number = unsafe { handle_ref(number) }?;
        // SAFETY: the caller's contract; `c_char` and `u8` have the same
        // size and alignment.
        let buf = unsafe { output(names!(buf, buf_len), buf.cast::<u8>(), buf_len) }?;
        write_c_string(buf, &mut written, number.displayable())
    })
}

/// Writes the 65-byte scannable form to put in a QR code.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives 65
/// (`SW_SAFETY_NUMBER_SCANNABLE_LEN`), the length written or needed.
///
/// NULL: `number` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// # Safety
///
/// `number` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_safety_number_scannable(
    number: *const sw_safety_number,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let number = unsafe { handle_ref(number) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        write_bytes(buf, &mut written, &number.scannable())
    })
}

/// Checks a code scanned from the peer's screen, in constant time: `SW_OK`
/// if it matches, `SW_SAFETY_NUMBER_MISMATCH` if the devices do not see the
/// same keys, a `SW_DECODE_*` code if it is not a scannable safety number.
///
/// NULL: `number` must not be NULL; `scanned` may be NULL only with length
/// 0.
///
/// # Safety
///
/// `number` a live handle; `scanned` valid for reads of `scanned_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_safety_number_verify_scanned(
    number: *const sw_safety_number,
    scanned: *const u8,
    scanned_len: usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let number = unsafe { handle_ref(number) }?;
        // SAFETY: the caller's contract.
        let scanned = unsafe { input!(scanned, scanned_len) }?;
        Ok(number.verify_scanned(scanned)?)
    })
}

/// Frees a safety number. NULL is a no-op.
///
/// # Safety
///
/// `number` must be NULL or a live `sw_safety_number` not used again
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_safety_number_free(number: *mut sw_safety_number) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(number) });
}
