//! `sw_device_sessions`: create, initiate, encrypt, decrypt, save, load.

use sealwire::devices::DeviceSessions;
use sealwire::limits::MAX_BODY_LEN;
use sealwire::{Encrypt, Outgoing, PrekeyBundle, Timestamp};

use super::sw_device_sessions;
use crate::boundary::{
    clear_handle, free_handle, get_value, guard, guard_void, handle_mut, handle_ref, new_handle,
};
use crate::identity::{identity_key, sw_identity};
use crate::persist::{load, load_sealed, load_sealed_legacy, save, save_sealed, sw_blob_address};
use crate::prekey::sw_prekey_store;
use crate::result::sw_result;
use crate::rng::{check_rng, sw_rng, with_rng};
use crate::session::{
    DecryptBuffers, decrypt_export, deliver_received, sendable_content_type, sw_received_info,
};

/// Makes an empty set of sessions with one peer device (no session yet:
/// start one with `sw_device_sessions_initiate`, or decrypt the peer's
/// prekey message).
///
/// Ownership: on `SW_OK`, `*out_sessions` is a new handle the caller frees
/// with `sw_device_sessions_free`; on error it is set to NULL.
///
/// NULL: `out_sessions` must not be NULL.
///
/// # Safety
///
/// `out_sessions` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_new(
    out_sessions: *mut *mut sw_device_sessions,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_sessions = unsafe { out!(out_sessions) }?;
        clear_handle(&mut out_sessions);
        out_sessions.set(new_handle::<sw_device_sessions>(DeviceSessions::new()));
        Ok(())
    })
}

/// Starts a new session with the peer device from its encoded bundle
/// (X3DH, or PQXDH when the bundle has a PQ prekey): it becomes current
/// and sends prekey messages until the peer's first reply; the old current
/// session becomes the newest previous one (it still receives).
/// `expected` is the device's 32-byte identity key as its device list holds
/// it: a bundle of another key is `SW_SESSION_UNTRUSTED_IDENTITY`. A
/// malformed bundle is its `SW_DECODE_*` code, a bad signature
/// `SW_BUNDLE_INVALID_SIGNATURE`. On error nothing changed.
///
/// Ownership: `identity`, `expected` and `bundle` are only read.
///
/// NULL: `sessions`, `identity`, `expected` and `bundle` must not be NULL;
/// `rng` NULL is the OS generator.
///
/// Thread-safety: changes `sessions`: one thread at a time.
///
/// # Safety
///
/// `sessions` a live handle used by no other thread; `rng` NULL or a live
/// handle; `identity` a live handle; `expected` valid for reads of
/// `expected_len` bytes, `bundle` of `bundle_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_initiate(
    rng: *mut sw_rng,
    sessions: *mut sw_device_sessions,
    identity: *const sw_identity,
    expected: *const u8,
    expected_len: usize,
    bundle: *const u8,
    bundle_len: usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let sessions = unsafe { handle_mut(sessions) }?;
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let identity = unsafe { handle_ref(identity) }?;
        // SAFETY: the caller's contract.
        let expected = unsafe { identity_key(arg!(expected, expected_len)) }?;
        non_null!(bundle)?;
        // SAFETY: the caller's contract.
        let bundle = PrekeyBundle::parse(unsafe { input!(bundle, bundle_len) }?)?;
        // SAFETY: the caller's contract.
        unsafe {
            with_rng(rng, |r| {
                Ok(sessions.initiate(r, identity, &expected, &bundle)?)
            })
        }
    })
}

/// Stores the length of the message `sw_device_sessions_encrypt` writes for
/// a body of `body_len` bytes (franked if `franked`) with the current
/// session;
/// `SW_SESSION_NO_SESSION` if there is none.
///
/// NULL: `sessions` and `out_len` must not be NULL.
///
/// # Safety
///
/// `sessions` a live handle; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_encrypted_len(
    sessions: *const sw_device_sessions,
    body_len: usize,
    franked: bool,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut len = unsafe { out!(out_len) }?;
        len.set(0);
        // SAFETY: the caller's contract.
        let sessions = unsafe { handle_ref(sessions) }?;
        let current = sessions.current().ok_or(sw_result::SW_SESSION_NO_SESSION)?;
        len.set(current.encrypted_len(body_len, franked));
        Ok(())
    })
}

/// Encrypts `body` (at most `SW_MAX_BODY_LEN` bytes, else
/// `SW_SESSION_MESSAGE_TOO_LARGE`) with the current session, for the one
/// peer device. `expected` is the device's 32-byte identity key as its
/// device list holds it: if there is no current session, or its peer is
/// not `expected`, the result is `SW_SESSION_NO_SESSION` (start one with
/// `sw_device_sessions_initiate`). `content_type` is
/// `SW_CONTENT_USER_MESSAGE` or `SW_CONTENT_RECEIPT`; `franked` true makes
/// a franked (reportable) message as `sw_session_encrypt_franked`, false a
/// plain one. To send to every device of
/// a user, use `sw_encrypt_for_devices`.
///
/// Ownership: `expected` and `body` are only read; `buf` belongs to the
/// caller and needs `sw_device_sessions_encrypted_len` bytes: if shorter,
/// nothing changes, `*out_len` receives that length and the result is
/// `SW_BUFFER_TOO_SMALL`. On `SW_OK`, `*out_len` receives the message's
/// length. `buf` must not overlap `body` or `expected`
/// (`SW_INVALID_ARGUMENT`).
///
/// NULL: `sessions`, `expected` and `out_len` must not be NULL; `body` may
/// be NULL only with `body_len` 0, `buf` only with `buf_len` 0; `rng` NULL
/// is the OS generator.
///
/// Thread-safety: changes `sessions`: one thread at a time.
///
/// # Safety
///
/// `sessions` a live handle used by no other thread; `rng` NULL or a live
/// handle; `expected` valid for reads of `expected_len` bytes, `body` of
/// `body_len` bytes; `buf` valid for writes of `buf_len` bytes; `out_len`
/// valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_encrypt(
    rng: *mut sw_rng,
    sessions: *mut sw_device_sessions,
    now_ms: u64,
    expected: *const u8,
    expected_len: usize,
    content_type: u32,
    franked: bool,
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
        let sessions = unsafe { handle_mut(sessions) }?;
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        disjoint!(buf, buf_len, [(expected, expected_len)])?;
        // SAFETY: the caller's contract.
        let expected = unsafe { identity_key(arg!(expected, expected_len)) }?;
        // SAFETY: the caller's contract.
        let (body, buf) = unsafe { input_output!(body, body_len, buf, buf_len) }?;
        let content_type = sendable_content_type(content_type)?;
        if body.len() > MAX_BODY_LEN {
            return Err(sw_result::SW_SESSION_MESSAGE_TOO_LARGE);
        }
        // What `DeviceSessions::encrypt` does, into the caller's buffer: the
        // current session, if its peer is the expected one.
        let current = sessions
            .current_mut()
            .filter(|c| c.their_identity() == &expected)
            .ok_or(sw_result::SW_SESSION_NO_SESSION)?;
        let needed = current.encrypted_len(body.len(), franked);
        let Some(buf) = buf.get_mut(..needed) else {
            written.set(needed);
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        };
        let msg = Outgoing::new(content_type, body);
        let msg = if franked { msg.franked() } else { msg };
        let now = Timestamp::from_unix_millis(now_ms);
        // SAFETY: the caller's contract.
        let n = unsafe { with_rng(rng, |r| Ok(current.encrypt_into(r, now, msg, buf)?.len)) }?;
        written.set(n);
        Ok(())
    })
}

/// Decrypts a message from the peer device whose 32-byte identity key (as
/// its device list holds it) is `expected`: a prekey message goes to the
/// session it belongs to, or starts a new one (using up its one-time
/// prekeys in `store`); a ratchet message goes to the session that knows
/// its ratchet key, else is tried on the current session and then on the
/// previous ones, newest first. Simultaneous initiation is settled by the
/// tie-break of SPEC.md §21.3.
///
/// Errors: a message from another identity key
/// `SW_SESSION_UNTRUSTED_IDENTITY`; no session that takes it
/// `SW_SESSION_NO_SESSION` (the peer's session may be gone: answer with
/// `sw_device_sessions_recovery_request`); else the error of the session
/// tried first, as `sw_session_decrypt`'s. On every error nothing changed
/// (sessions, prekeys) and `plaintext` is not written.
///
/// Ownership: `identity` and `expected` are only read, `store` is read and
/// updated. `plaintext` belongs to the caller and must hold at least
/// `message_len` bytes (the plaintext is never longer than its message):
/// else nothing happens, `*out_plaintext_len` receives `message_len` and
/// the result is `SW_BUFFER_TOO_SMALL`. On `SW_OK`, `*out_plaintext_len`
/// receives the plaintext's length (0 for a message that arrived expired),
/// `*out_info` its metadata (as `sw_session_decrypt`'s), and the rest of
/// `plaintext`, up to `message_len`, is zeroed. `plaintext` must not
/// overlap `message` or `expected` (`SW_INVALID_ARGUMENT`).
///
/// NULL: every pointer must be non-NULL, except `message` with
/// `message_len` 0 and `plaintext` with `plaintext_cap` 0 (a size query).
///
/// Thread-safety: changes `sessions` and `store`: one thread at a time.
///
/// # Safety
///
/// `sessions` and `store` live handles used by no other thread; `identity`
/// a live handle; `expected` valid for reads of `expected_len` bytes,
/// `message` of `message_len` bytes; `plaintext` valid for writes of
/// `plaintext_cap` bytes; `out_plaintext_len` and `out_info` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_decrypt(
    sessions: *mut sw_device_sessions,
    identity: *const sw_identity,
    store: *mut sw_prekey_store,
    expected: *const u8,
    expected_len: usize,
    now_ms: u64,
    message: *const u8,
    message_len: usize,
    plaintext: *mut u8,
    plaintext_cap: usize,
    out_plaintext_len: *mut usize,
    out_info: *mut sw_received_info,
) -> sw_result {
    let buffers = DecryptBuffers {
        message,
        message_len,
        plaintext,
        plaintext_cap,
        out_plaintext_len,
        out_info,
    };
    let decrypt = |message: &[u8], buf: &mut [u8]| {
        // SAFETY: the caller's contract.
        let sessions = unsafe { handle_mut(sessions) }?;
        // SAFETY: the caller's contract.
        let identity = unsafe { handle_ref(identity) }?;
        // SAFETY: the caller's contract.
        let store = unsafe { handle_mut(store) }?;
        disjoint!(plaintext, plaintext_cap, [(expected, expected_len)])?;
        // SAFETY: the caller's contract.
        let expected = unsafe { identity_key(arg!(expected, expected_len)) }?;
        let now = Timestamp::from_unix_millis(now_ms);
        deliver_received(
            buf,
            &sessions.decrypt(identity, store, &expected, now, message)?,
        )
    };
    // SAFETY: the caller's contract, passed on.
    unsafe { decrypt_export(buffers, decrypt) }
}

/// Stores whether there is a current session (one that sends). After
/// `sw_device_sessions_accept_recovery_request` gave
/// `SW_RECOVERY_ACTION_RESTART` there is none until a new one starts.
///
/// NULL: `sessions` and `out_has_current` must not be NULL.
///
/// # Safety
///
/// `sessions` a live handle; `out_has_current` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_has_current(
    sessions: *const sw_device_sessions,
    out_has_current: *mut bool,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        get_value(sessions, named!(out_has_current), |s: &DeviceSessions| {
            s.current().is_some()
        })
    }
}

/// Stores whether the current session is established (has decrypted the
/// peer's first reply, or was accepted from the peer's prekey message);
/// false when there is no current session.
///
/// NULL: `sessions` and `out_established` must not be NULL.
///
/// # Safety
///
/// `sessions` a live handle; `out_established` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_is_established(
    sessions: *const sw_device_sessions,
    out_established: *mut bool,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        get_value(sessions, named!(out_established), |s: &DeviceSessions| {
            s.current().is_some_and(|c| c.is_established())
        })
    }
}

/// Stores how many previous sessions are kept (at most
/// `SW_MAX_PREVIOUS_SESSIONS`).
///
/// NULL: `sessions` and `out_count` must not be NULL.
///
/// # Safety
///
/// `sessions` a live handle; `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_previous_count(
    sessions: *const sw_device_sessions,
    out_count: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        get_value(sessions, named!(out_count), |s: &DeviceSessions| {
            s.previous().len()
        })
    }
}

/// Writes the current session's peer identity key (32 bytes); with no
/// current session, `SW_SESSION_NO_SESSION`.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives 32, the
/// length written or needed.
///
/// NULL: `sessions` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// # Safety
///
/// `sessions` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_their_identity(
    sessions: *const sw_device_sessions,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let sessions = unsafe { handle_ref(sessions) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        let current = sessions.current().ok_or(sw_result::SW_SESSION_NO_SESSION)?;
        crate::boundary::write_bytes(buf, &mut written, current.their_identity().as_bytes())
    })
}

/// Frees the sessions with a device, zeroing their keys. NULL is a no-op.
///
/// # Safety
///
/// `sessions` must be NULL or a live `sw_device_sessions` not used again
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_free(sessions: *mut sw_device_sessions) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(sessions) });
}

/// As `sw_identity_save`, for the sessions with one peer device (their keys
/// in the clear; kind `0x07`, STORAGE.md §11): the current session, the
/// previous ones and the recovery times. Save after every call that
/// changed the handle: `sw_device_sessions_initiate`, `_encrypt`,
/// `_decrypt` (with the prekey store when it started a session),
/// `_recovery_request`, `_accept_recovery_request`, and each handle named
/// in an `sw_encrypt_for_devices` that succeeded; store the blob in the
/// same transaction as the call's result, before sending or showing it
/// (STORAGE.md §6). A copy restored from an older blob has lost the keys
/// handled since (and would reuse message keys when sending), and the
/// recovery times (its rate limits and replay check start over).
///
/// # Safety
///
/// As `sw_identity_save`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_save(
    sessions: *const sw_device_sessions,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { save::<sw_device_sessions>(sessions, buf, buf_len, out_len) }
}

/// As `sw_identity_load`, for the sessions with one peer device (freed with
/// `sw_device_sessions_free`).
///
/// Migration: a single session's blob (`sw_session_save`, either phase,
/// any version this library reads) loads as sessions whose current session
/// is that one, with no previous session and no recovery time (STORAGE.md
/// §11). An app that kept one `sw_session` per peer device loads each blob
/// with this function instead, saves it with `sw_device_sessions_save`
/// (the device-sessions kind from then on) and replaces the old blob. The
/// way back is refused: `sw_session_load` of a device-sessions blob is
/// `SW_STATE_WRONG_KIND`. A session's pending group key distribution is
/// never saved, so none is carried over.
///
/// # Safety
///
/// As `sw_identity_load`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_load(
    bytes: *const u8,
    len: usize,
    out_sessions: *mut *mut sw_device_sessions,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load::<sw_device_sessions>(bytes, len, out_sessions) }
}

/// As `sw_identity_save_sealed`, for the sessions with one peer device.
/// Bind them to the peer device's row (`address`: our identity key, the
/// peer's user id as `peer_name` and its `device_id`, and a context if the
/// app has several tables), the same address as the `sw_session` blobs
/// they replace.
///
/// # Safety
///
/// As `sw_identity_save_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_save_sealed(
    rng: *mut sw_rng,
    sessions: *const sw_device_sessions,
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        save_sealed::<sw_device_sessions>(
            sessions, key, key_len, address, rng, buf, buf_len, out_len,
        )
    }
}

/// As `sw_identity_load_sealed`, for the sessions with one peer device
/// (freed with `sw_device_sessions_free`). A single session's blob sealed
/// by `sw_session_save_sealed` loads too, at the address it was sealed for
/// and no other (as in `sw_device_sessions_load`): save it again with
/// `sw_device_sessions_save_sealed` at the same address.
///
/// # Safety
///
/// As `sw_identity_load_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_load_sealed(
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    bytes: *const u8,
    len: usize,
    out_sessions: *mut *mut sw_device_sessions,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed::<sw_device_sessions>(key, key_len, address, bytes, len, out_sessions) }
}

/// Loads a legacy sealed blob (written before sealed blobs were bound to
/// their address, STORAGE.md §8), for a one-time migration: such blobs are
/// single sessions (`sw_session`), which load as sessions whose current
/// session is that one (as in `sw_device_sessions_load`). Save it again
/// with `sw_device_sessions_save_sealed` and its address, replace it. A
/// bound blob is `SW_STATE_ADDRESS_BOUND`.
///
/// Ownership and NULL: as `sw_device_sessions_load_sealed`, without the
/// address.
///
/// # Safety
///
/// `key` valid for reads of `key_len` bytes; `bytes` valid for reads of
/// `len` bytes; `out_sessions` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_load_sealed_legacy(
    key: *const u8,
    key_len: usize,
    bytes: *const u8,
    len: usize,
    out_sessions: *mut *mut sw_device_sessions,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed_legacy::<sw_device_sessions>(key, key_len, bytes, len, out_sessions) }
}
