//! The server's side: `sw_server_key` (make, export, issue certificates),
//! and reading a server public key or a certificate.

use sealwire::sealed::{SenderCertificate, ServerKey, ServerPublicKey};
use sealwire::{DeviceAddress, Timestamp};
use zeroize::Zeroizing;

use super::{sw_sender_certificate_info, sw_server_key};
use crate::boundary::{
    clear_handle, free_handle, get_bytes, get_value, guard, guard_void, handle_ref, new_handle,
    write_bytes,
};
use crate::devices::user_id;
use crate::identity::identity_key;
use crate::result::sw_result;
use crate::rng::{sw_rng, with_rng};

/// Creates a fresh random server key named `key_id` (use a new id for each
/// rotation).
///
/// Ownership: `rng` is borrowed (NULL: the OS generator). On `SW_OK`,
/// `*out_key` is a new handle the caller frees with `sw_server_key_free`;
/// on error it is set to NULL. Store its seed
/// (`sw_server_key_danger_export_seed`) to keep issuing with it.
///
/// NULL: `out_key` must not be NULL.
///
/// Thread-safety: `rng`, if given, is used by one thread at a time.
///
/// # Safety
///
/// `rng` NULL or a live handle; `out_key` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_server_key_new(
    rng: *mut sw_rng,
    key_id: u32,
    out_key: *mut *mut sw_server_key,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_key = unsafe { out!(out_key) }?;
        clear_handle(&mut out_key);
        // SAFETY: the caller's contract.
        let key = unsafe { with_rng(rng, |r| Ok(ServerKey::generate(r, key_id))) }?;
        out_key.set(new_handle::<sw_server_key>(key));
        Ok(())
    })
}

/// Makes the server key named `key_id` from its 32-byte Ed25519 seed (RFC
/// 8032 secret key), as the operator stored it.
///
/// Ownership: `seed` is copied. On `SW_OK`, `*out_key` is a new handle the
/// caller frees with `sw_server_key_free`; on error it is set to NULL.
///
/// NULL: `seed` and `out_key` must not be NULL. `seed_len` must be 32
/// (`SW_SERVER_KEY_SEED_LEN`), else `SW_INVALID_ARGUMENT`.
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `seed` valid for reads of `seed_len` bytes; `out_key` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_server_key_from_seed(
    key_id: u32,
    seed: *const u8,
    seed_len: usize,
    out_key: *mut *mut sw_server_key,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_key = unsafe { out!(out_key) }?;
        clear_handle(&mut out_key);
        // SAFETY: the caller's contract.
        let seed = Zeroizing::new(unsafe { input_array!(seed, seed_len) }?);
        out_key.set(new_handle::<sw_server_key>(ServerKey::from_seed(
            key_id, &seed,
        )));
        Ok(())
    })
}

/// DANGER: writes the server key's 32-byte secret seed, for the operator
/// to store (anyone holding it can certify any key as any device).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives 32, the
/// length written or needed.
///
/// NULL: `key` and `out_len` must not be NULL; `buf` may be NULL only with
/// `buf_len` 0 (a size query).
///
/// Thread-safety: `key` is immutable; any thread.
///
/// # Safety
///
/// `key` a live handle; `buf` valid for writes of `buf_len` bytes; `out_len`
/// valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_server_key_danger_export_seed(
    key: *const sw_server_key,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { get_bytes(key, buf, buf_len, out_len, ServerKey::danger_seed_bytes) }
}

/// Stores the server key's id.
///
/// NULL: `key` and `out_key_id` must not be NULL.
///
/// # Safety
///
/// `key` a live handle; `out_key_id` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_server_key_id(
    key: *const sw_server_key,
    out_key_id: *mut u32,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { get_value(key, named!(out_key_id), ServerKey::key_id) }
}

/// Writes the server key's public half, encoded (`SW_SERVER_PUBLIC_KEY_LEN`
/// = 38 bytes: version, type, key id, Ed25519 key), for clients to pin
/// with `sw_trusted_server_keys_add`.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives 38, the
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
pub unsafe extern "C" fn sw_server_key_public(
    key: *const sw_server_key,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        get_bytes(key, buf, buf_len, out_len, |k: &ServerKey| {
            k.public().to_bytes()
        })
    }
}

/// Issues a sender certificate (SPEC.md §22.1): the device (`user`, 1 to
/// `SW_MAX_USER_ID_LEN` bytes of UTF-8, and `device_id`) holds the 32-byte
/// identity key `identity` until `expires_at_ms` (Unix ms, exclusive).
/// Issue it only to the authenticated holder of that account and identity
/// key, and keep it short-lived (a day): a certificate cannot be revoked.
///
/// Errors: an empty user id `SW_DECODE_INVALID_VALUE`, a longer one
/// `SW_DECODE_TOO_LARGE`, one that is not UTF-8 `SW_INVALID_ARGUMENT`; an
/// invalid identity key `SW_DECODE_INVALID_KEY`.
///
/// Ownership: `user` and `identity` are only read; `buf` belongs to the
/// caller; `*out_len` receives the certificate's length (at most
/// `SW_MAX_SENDER_CERTIFICATE_LEN`), written or needed. `buf` must not
/// overlap `user` or `identity` (`SW_INVALID_ARGUMENT`).
///
/// NULL: `key`, `identity` and `out_len` must not be NULL; `user` may be
/// NULL only with `user_len` 0; `buf` only with `buf_len` 0 (a size query).
///
/// Thread-safety: `key` is immutable; any thread.
///
/// # Safety
///
/// `key` a live handle; `user` valid for reads of `user_len` bytes,
/// `identity` of `identity_len` bytes; `buf` valid for writes of `buf_len`
/// bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_server_key_issue(
    key: *const sw_server_key,
    user: *const u8,
    user_len: usize,
    device_id: u32,
    identity: *const u8,
    identity_len: usize,
    expires_at_ms: u64,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let key = unsafe { handle_ref(key) }?;
        disjoint!(buf, buf_len, [(user, user_len), (identity, identity_len)])?;
        // SAFETY: the caller's contract.
        let user = unsafe { user_id(arg!(user, user_len)) }?;
        // SAFETY: the caller's contract.
        let identity = unsafe { identity_key(arg!(identity, identity_len)) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        let certificate = key.issue(
            &DeviceAddress::new(user, device_id),
            &identity,
            Timestamp::from_unix_millis(expires_at_ms),
        )?;
        write_bytes(buf, &mut written, &certificate.to_vec())
    })
}

/// Frees a server key, zeroing it. NULL is a no-op.
///
/// # Safety
///
/// `key` must be NULL or a live `sw_server_key` not used again afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_server_key_free(key: *mut sw_server_key) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(key) });
}

/// Parses an encoded server public key (`SW_SERVER_PUBLIC_KEY_LEN` bytes,
/// checked as `sw_trusted_server_keys_add` checks it: a malformed encoding
/// or key is its `SW_DECODE_*` code) and stores its key id.
///
/// NULL: `bytes` (unless `len` is 0) and `out_key_id` must not be NULL.
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `bytes` valid for reads of `len` bytes; `out_key_id` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_server_public_key_id(
    bytes: *const u8,
    len: usize,
    out_key_id: *mut u32,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut key_id = unsafe { out!(out_key_id) }?;
        key_id.set(0);
        // SAFETY: the caller's contract.
        let bytes = unsafe { input!(bytes, len) }?;
        key_id.set(ServerPublicKey::parse(bytes)?.key_id());
        Ok(())
    })
}

/// Parses a sender certificate (SPEC.md §22.1; strictly: a malformed one
/// is its `SW_DECODE_*` code) without verifying it: writes its user id to
/// `user` and its other fields to `*out_info`. What a device shows about
/// its own certificate (its expiry, to fetch a new one in time); a
/// received one is verified by `sw_unsealed_decrypt` and
/// `sw_unsealed_post_receive`.
///
/// Ownership: `certificate` is only read; `user` belongs to the caller and
/// needs at most `SW_MAX_USER_ID_LEN` bytes: if shorter, nothing is
/// written, `*out_user_len` receives the length needed and the result is
/// `SW_BUFFER_TOO_SMALL`. On error `*out_info` is zeroed. `user` must not
/// overlap `certificate` (`SW_INVALID_ARGUMENT`).
///
/// NULL: `certificate` (unless `certificate_len` is 0), `out_user_len` and
/// `out_info` must not be NULL; `user` may be NULL only with `user_cap` 0
/// (a size query).
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `certificate` valid for reads of `certificate_len` bytes; `user` valid
/// for writes of `user_cap` bytes; `out_user_len` and `out_info` valid for
/// one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sender_certificate_parse(
    certificate: *const u8,
    certificate_len: usize,
    user: *mut u8,
    user_cap: usize,
    out_user_len: *mut usize,
    out_info: *mut sw_sender_certificate_info,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_user_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let mut info = unsafe { out!(out_info) }?;
        info.set(sw_sender_certificate_info::default());
        // SAFETY: the caller's contract.
        let (certificate, buf) =
            unsafe { input_output!(certificate, certificate_len, user, user_cap) }?;
        let certificate = SenderCertificate::parse(certificate)?;
        write_bytes(buf, &mut written, certificate.user().as_bytes())?;
        info.set(sw_sender_certificate_info {
            server_key_id: certificate.server_key_id(),
            expires_at_ms: certificate.expires_at().as_unix_millis(),
            identity: certificate.identity_key().to_bytes(),
            device_id: certificate.device_id(),
        });
        Ok(())
    })
}
