//! Access keys (SPEC.md §22.3): the profile key a user gives its contacts
//! (`sw_profile_key`), the access key derived from it, and the relay's
//! check.

use sealwire::sealed::{AccessKey, ProfileKey};
use zeroize::Zeroizing;

use super::{SW_ACCESS_KEY_LEN, sw_profile_key};
use crate::boundary::fail;
use crate::boundary::{
    clear_handle, free_handle, get_bytes, guard, guard_void, new_handle, write_bytes,
};
use crate::result::sw_result;
use crate::rng::{sw_rng, with_rng};

/// Draws a fresh profile key (at set-up, and to rotate it: give the new
/// one to every contact still allowed to send sealed messages, and
/// register its access key with the relay).
///
/// Ownership: `rng` is borrowed (NULL: the OS generator). On `SW_OK`,
/// `*out_key` is a new handle the caller frees with `sw_profile_key_free`;
/// on error it is set to NULL.
///
/// NULL: `out_key` must not be NULL.
///
/// Thread-safety: `rng`, if given, is used by one thread at a time.
///
/// # Safety
///
/// `rng` NULL or a live handle; `out_key` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_profile_key_new(
    rng: *mut sw_rng,
    out_key: *mut *mut sw_profile_key,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_key = unsafe { out!(out_key) }?;
        clear_handle(&mut out_key);
        // SAFETY: the caller's contract.
        let key = unsafe { with_rng(rng, |r| Ok(ProfileKey::generate(r))) }?;
        out_key.set(new_handle::<sw_profile_key>(key));
        Ok(())
    })
}

/// Makes a profile key from its 32 bytes (as received from a contact, or
/// stored).
///
/// Ownership: `bytes` is copied. On `SW_OK`, `*out_key` is a new handle the
/// caller frees with `sw_profile_key_free`; on error it is set to NULL.
///
/// NULL: `bytes` and `out_key` must not be NULL. `len` must be 32
/// (`SW_PROFILE_KEY_LEN`), else `SW_INVALID_ARGUMENT`.
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `bytes` valid for reads of `len` bytes; `out_key` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_profile_key_from_bytes(
    bytes: *const u8,
    len: usize,
    out_key: *mut *mut sw_profile_key,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_key = unsafe { out!(out_key) }?;
        clear_handle(&mut out_key);
        // SAFETY: the caller's contract.
        let bytes = Zeroizing::new(unsafe { input_array!(bytes, len) }?);
        out_key.set(new_handle::<sw_profile_key>(ProfileKey::from_bytes(*bytes)));
        Ok(())
    })
}

/// DANGER: writes the profile key's 32 secret bytes, to store them or send
/// them to a contact over its 1:1 session (whoever holds them can present
/// the user's access key).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives 32, the
/// length written or needed.
///
/// NULL: `key` and `out_len` must not be NULL; `buf` may be NULL only with
/// `buf_len` 0 (a size query).
///
/// # Safety
///
/// `key` a live handle; `buf` valid for writes of `buf_len` bytes; `out_len`
/// valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_profile_key_danger_export(
    key: *const sw_profile_key,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        get_bytes(key, buf, buf_len, out_len, |k: &ProfileKey| {
            Zeroizing::new(*k.danger_as_bytes())
        })
    }
}

/// Writes the profile key's access key (`SW_ACCESS_KEY_LEN` = 16 bytes,
/// `HKDF(0x00*32, profile key, "Sealwire_AccessKey_v1", 16)`): the user
/// registers it with the relay, and its contacts present it with each
/// sealed message. A bearer token: keep it as secret as the profile key.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives 16, the
/// length written or needed.
///
/// NULL: `key` and `out_len` must not be NULL; `buf` may be NULL only with
/// `buf_len` 0 (a size query).
///
/// # Safety
///
/// `key` a live handle; `buf` valid for writes of `buf_len` bytes; `out_len`
/// valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_profile_key_access_key(
    key: *const sw_profile_key,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        get_bytes(key, buf, buf_len, out_len, |k: &ProfileKey| {
            Zeroizing::new(*k.access_key().as_bytes())
        })
    }
}

/// Frees a profile key, zeroing it. NULL is a no-op.
///
/// # Safety
///
/// `key` must be NULL or a live `sw_profile_key` not used again afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_profile_key_free(key: *mut sw_profile_key) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(key) });
}

/// The relay's check: stores in `*out_valid` whether the `presented` token
/// is the recipient's `stored` access key (16 bytes), compared in constant
/// time. A token of another length is not valid (`false`, `SW_OK`).
///
/// NULL: `stored`, `out_valid` must not be NULL (`stored_len` must be 16,
/// else `SW_INVALID_ARGUMENT`); `presented` may be NULL only with
/// `presented_len` 0.
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `stored` valid for reads of `stored_len` bytes, `presented` of
/// `presented_len` bytes; `out_valid` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_access_key_verify(
    stored: *const u8,
    stored_len: usize,
    presented: *const u8,
    presented_len: usize,
    out_valid: *mut bool,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut valid = unsafe { out!(out_valid) }?;
        valid.set(false);
        // SAFETY: the caller's contract.
        let stored = Zeroizing::new(unsafe { input_array!(stored, stored_len) }?);
        // SAFETY: the caller's contract.
        let presented = unsafe { input!(presented, presented_len) }?;
        valid.set(AccessKey::from_bytes(*stored).verify(presented));
        Ok(())
    })
}

/// Writes the token of a multi-recipient message: the XOR of the
/// recipients' access keys (`keys`: 16 bytes each, back to back, at least
/// one; a length that is 0 or not a multiple of 16 is
/// `SW_INVALID_ARGUMENT`). The sender presents it with the message; the
/// relay recomputes it from the keys it stores for the recipients named
/// and checks it with `sw_access_key_verify`.
///
/// Ownership: `keys` is only read; `buf` belongs to the caller; `*out_len`
/// receives 16, the length written or needed. `buf` must not overlap
/// `keys` (`SW_INVALID_ARGUMENT`).
///
/// NULL: `keys` and `out_len` must not be NULL; `buf` may be NULL only with
/// `buf_len` 0 (a size query).
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `keys` valid for reads of `keys_len` bytes; `buf` valid for writes of
/// `buf_len` bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_access_key_combine(
    keys: *const u8,
    keys_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        non_null!(keys)?;
        disjoint!(buf, buf_len, [(keys, keys_len)])?;
        // SAFETY: the caller's contract.
        let bytes = unsafe { input!(keys, keys_len) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        let chunks = bytes.chunks_exact(SW_ACCESS_KEY_LEN);
        if !chunks.remainder().is_empty() {
            return Err(fail(
                sw_result::SW_INVALID_ARGUMENT,
                format_args!("keys_len is {keys_len}: not a multiple of {SW_ACCESS_KEY_LEN}"),
            ));
        }
        let keys = chunks
            .map(|c| {
                <[u8; SW_ACCESS_KEY_LEN]>::try_from(c)
                    .map(AccessKey::from_bytes)
                    .map_err(|_| sw_result::SW_INTERNAL)
            })
            .collect::<crate::boundary::Result<Vec<_>>>()?;
        let combined = AccessKey::combined(&keys).ok_or_else(|| {
            fail(
                sw_result::SW_INVALID_ARGUMENT,
                format_args!("keys_len is 0: at least one access key is needed"),
            )
        })?;
        write_bytes(buf, &mut written, combined.as_bytes())
    })
}
