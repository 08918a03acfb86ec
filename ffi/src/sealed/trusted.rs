//! `sw_trusted_server_keys`: pin, unpin, read, save, load.

use sealwire::sealed::{ServerPublicKey, TrustedServerKeys};

use super::sw_trusted_server_keys;
use crate::boundary::{
    clear_handle, free_handle, get_value, guard, guard_void, handle_mut, new_handle,
};
use crate::persist::{load, load_sealed, save, save_sealed, sw_blob_address};
use crate::result::sw_result;
use crate::rng::sw_rng;

/// Makes an empty set of trusted server keys (no key pinned: every sealed
/// message is `SW_SEALED_UNTRUSTED_SERVER_KEY` until one is).
///
/// Ownership: on `SW_OK`, `*out_trusted` is a new handle the caller frees
/// with `sw_trusted_server_keys_free`; on error it is set to NULL.
///
/// NULL: `out_trusted` must not be NULL.
///
/// # Safety
///
/// `out_trusted` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_trusted_server_keys_new(
    out_trusted: *mut *mut sw_trusted_server_keys,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_trusted = unsafe { out!(out_trusted) }?;
        clear_handle(&mut out_trusted);
        out_trusted.set(new_handle::<sw_trusted_server_keys>(
            TrustedServerKeys::new(),
        ));
        Ok(())
    })
}

/// Pins an encoded server public key (`SW_SERVER_PUBLIC_KEY_LEN` bytes, as
/// `sw_server_key_public` wrote it) under its key id, replacing a key
/// pinned under the same id. A malformed encoding or key is its
/// `SW_DECODE_*` code; a new id when `SW_MAX_TRUSTED_SERVER_KEYS` are
/// pinned `SW_SEALED_TOO_MANY_SERVER_KEYS`. On error nothing changed. Save
/// the handle afterwards.
///
/// Ownership: `key` is only read.
///
/// NULL: `trusted` and `key` must not be NULL.
///
/// Thread-safety: changes `trusted`: one thread at a time.
///
/// # Safety
///
/// `trusted` a live handle used by no other thread; `key` valid for reads
/// of `key_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_trusted_server_keys_add(
    trusted: *mut sw_trusted_server_keys,
    key: *const u8,
    key_len: usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let trusted = unsafe { handle_mut(trusted) }?;
        non_null!(key)?;
        // SAFETY: the caller's contract.
        let key = ServerPublicKey::parse(unsafe { input!(key, key_len) }?)?;
        Ok(trusted.add(key)?)
    })
}

/// Unpins the key with id `key_id` (at the end of a rotation, or when a
/// key is compromised); `*out_removed` tells whether one was pinned. Save
/// the handle afterwards.
///
/// NULL: `trusted` and `out_removed` must not be NULL.
///
/// Thread-safety: changes `trusted`: one thread at a time.
///
/// # Safety
///
/// `trusted` a live handle used by no other thread; `out_removed` valid for
/// one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_trusted_server_keys_remove(
    trusted: *mut sw_trusted_server_keys,
    key_id: u32,
    out_removed: *mut bool,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut removed = unsafe { out!(out_removed) }?;
        removed.set(false);
        // SAFETY: the caller's contract.
        let trusted = unsafe { handle_mut(trusted) }?;
        removed.set(trusted.remove(key_id));
        Ok(())
    })
}

/// Stores whether a key is pinned under `key_id`.
///
/// NULL: `trusted` and `out_pinned` must not be NULL.
///
/// # Safety
///
/// `trusted` a live handle; `out_pinned` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_trusted_server_keys_contains(
    trusted: *const sw_trusted_server_keys,
    key_id: u32,
    out_pinned: *mut bool,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        get_value(trusted, named!(out_pinned), |t: &TrustedServerKeys| {
            t.get(key_id).is_some()
        })
    }
}

/// Stores how many keys are pinned.
///
/// NULL: `trusted` and `out_count` must not be NULL.
///
/// # Safety
///
/// `trusted` a live handle; `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_trusted_server_keys_len(
    trusted: *const sw_trusted_server_keys,
    out_count: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { get_value(trusted, named!(out_count), TrustedServerKeys::len) }
}

/// Frees a set of trusted server keys. NULL is a no-op.
///
/// # Safety
///
/// `trusted` must be NULL or a live `sw_trusted_server_keys` not used again
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_trusted_server_keys_free(trusted: *mut sw_trusted_server_keys) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(trusted) });
}

/// As `sw_identity_save`, for the trusted server keys (kind `0x09`,
/// STORAGE.md §13: the pinned keys alone, public; the cache of verified
/// certificates is not saved). Save after every `_add` and `_remove`.
///
/// # Safety
///
/// As `sw_identity_save`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_trusted_server_keys_save(
    trusted: *const sw_trusted_server_keys,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { save::<sw_trusted_server_keys>(trusted, buf, buf_len, out_len) }
}

/// As `sw_identity_load`, for the trusted server keys (freed with
/// `sw_trusted_server_keys_free`); every key is checked as when it was
/// pinned.
///
/// # Safety
///
/// As `sw_identity_load`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_trusted_server_keys_load(
    bytes: *const u8,
    len: usize,
    out_trusted: *mut *mut sw_trusted_server_keys,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load::<sw_trusted_server_keys>(bytes, len, out_trusted) }
}

/// As `sw_identity_save_sealed`, for the trusted server keys. The keys are
/// public: sealing binds them to their row (our identity key and a
/// context), so that another row's set cannot be swapped in.
///
/// # Safety
///
/// As `sw_identity_save_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_trusted_server_keys_save_sealed(
    rng: *mut sw_rng,
    trusted: *const sw_trusted_server_keys,
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        save_sealed::<sw_trusted_server_keys>(
            trusted, key, key_len, address, rng, buf, buf_len, out_len,
        )
    }
}

/// As `sw_identity_load_sealed`, for the trusted server keys (freed with
/// `sw_trusted_server_keys_free`). There is no `_load_sealed_legacy`: no
/// set of trusted keys was ever sealed unbound.
///
/// # Safety
///
/// As `sw_identity_load_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_trusted_server_keys_load_sealed(
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    bytes: *const u8,
    len: usize,
    out_trusted: *mut *mut sw_trusted_server_keys,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed::<sw_trusted_server_keys>(key, key_len, address, bytes, len, out_trusted) }
}
