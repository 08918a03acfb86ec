//! 1:1 envelopes: seal, the relay's commitment, open, and the opened
//! envelope (`sw_unsealed`): its claimed sender, and the verified decrypt.

use sealwire::IdentityKeyPair;
use sealwire::sealed::{self, SealedError, SenderCertificate, Unsealed};
use sealwire::{DeviceAddress, Timestamp};

use super::{sw_trusted_server_keys, sw_unsealed};
use crate::boundary::{
    Handle, Out, Result, clear_handle, free_handle, get_value, guard, guard_void, handle_mut,
    handle_ref, new_handle, write_bytes,
};
use crate::devices::{sw_device_list, sw_device_sessions};
use crate::identity::{identity_key, sw_identity};
use crate::prekey::sw_prekey_store;
use crate::result::sw_result;
use crate::rng::{check_rng, sw_rng, with_rng};
use crate::session::{decrypt_into, sw_received_info};

/// A sender certificate input (bytes, parsed strictly).
///
/// # Safety
///
/// As [`input`].
pub(super) unsafe fn certificate(ptr: *const u8, len: usize) -> Result<SenderCertificate> {
    non_null!(ptr)?;
    // SAFETY: the caller's contract.
    Ok(SenderCertificate::parse(unsafe { input!(ptr, len) }?)?)
}

/// Writes a claimed sender: the user id into the caller's buffer (as
/// [`write_bytes`]), the device id through `device_id` on success.
pub(super) fn write_sender(
    buf: &mut [u8],
    written: &mut Out<'_, usize>,
    device_id: &mut Out<'_, u32>,
    sender: &DeviceAddress,
) -> Result<()> {
    write_bytes(buf, written, sender.name().as_bytes())?;
    device_id.set(sender.device_id());
    Ok(())
}

/// The body of `*_sender`: the claimed sender of an opened envelope or
/// post.
///
/// # Safety
///
/// `handle` a live handle; `user` valid for writes of `user_cap` bytes;
/// `out_user_len` and `out_device_id` valid for one write.
pub(super) unsafe fn sender_of<H: Handle>(
    handle: *const H,
    sender: impl FnOnce(&H::Inner) -> DeviceAddress,
    user: *mut u8,
    user_cap: usize,
    out_user_len: *mut usize,
    out_device_id: *mut u32,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_user_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let mut device_id = unsafe { out!(out_device_id) }?;
        device_id.set(0);
        // SAFETY: the caller's contract.
        let value = unsafe { handle_ref(handle) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(user, user_cap) }?;
        write_sender(buf, &mut written, &mut device_id, &sender(value))
    })
}

/// The body of `sw_sealed_open` and `sw_sealed_open_post`: a new handle
/// holding what `open` makes of the bytes with our identity.
///
/// # Safety
///
/// `identity` a live handle; `bytes` valid for reads of `len` bytes;
/// `out_handle` valid for one write.
pub(super) unsafe fn open_with<H: Handle>(
    identity: *const sw_identity,
    bytes: *const u8,
    len: usize,
    out_handle: *mut *mut H,
    open: impl FnOnce(&IdentityKeyPair, &[u8]) -> core::result::Result<H::Inner, SealedError>,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_handle = unsafe { out!(out_handle) }?;
        clear_handle(&mut out_handle);
        // SAFETY: the caller's contract.
        let identity = unsafe { handle_ref(identity) }?;
        // SAFETY: the caller's contract.
        let bytes = unsafe { input!(bytes, len) }?;
        out_handle.set(new_handle::<H>(open(identity, bytes)?));
        Ok(())
    })
}

/// Seals into the caller's buffer, which must hold `needed` bytes (else
/// `SW_BUFFER_TOO_SMALL` with `needed` stored, and nothing drawn from
/// `rng`); stores the length written.
///
/// # Safety
///
/// As [`with_rng`].
pub(super) unsafe fn seal_into(
    rng: *mut sw_rng,
    buf: &mut [u8],
    needed: usize,
    written: &mut Out<'_, usize>,
    seal: impl FnOnce(&mut crate::rng::Rng) -> core::result::Result<Vec<u8>, SealedError>,
) -> Result<()> {
    let Some(buf) = buf.get_mut(..needed) else {
        written.set(needed);
        return Err(sw_result::SW_BUFFER_TOO_SMALL);
    };
    // SAFETY: the caller's contract.
    let sealed = unsafe { with_rng(rng, |r| Ok(seal(r)?)) }?;
    if sealed.len() != needed {
        return Err(sw_result::SW_INTERNAL);
    }
    buf.copy_from_slice(&sealed);
    written.set(needed);
    Ok(())
}

/// Seals a sealwire 1:1 `message` (as `sw_device_sessions_encrypt` wrote
/// it) with the sender's `certificate` (as `sw_server_key_issue` wrote it)
/// for the device whose 32-byte identity key is `recipient` (SPEC.md
/// §22.2): a fresh ephemeral key from `rng`, the certificate and message
/// encrypted (AES-256-GCM) to the recipient's identity key. A franked
/// message gets a franked envelope (`sw_sealed_commitment`). Hand the
/// envelope to the relay with the recipient's address and access key:
/// nothing in it names the sender.
///
/// Errors: a malformed certificate or message, or an invalid recipient
/// key, is its `SW_DECODE_*` code (a message must be at most
/// `SW_MAX_MESSAGE_LEN` bytes, of message version 2 and a message type).
///
/// Ownership: `recipient`, `certificate` and `message` are only read;
/// `buf` belongs to the caller. The envelope's length is known before
/// anything is drawn: if `buf_len` is shorter, nothing is drawn or
/// written, `*out_len` receives the length needed and the result is
/// `SW_BUFFER_TOO_SMALL` (`buf` NULL with `buf_len` 0 asks). On `SW_OK`
/// `*out_len` receives the envelope's length. `buf` must not overlap the
/// inputs (`SW_INVALID_ARGUMENT`).
///
/// NULL: `recipient`, `certificate`, `message` and `out_len` must not be
/// NULL; `rng` NULL is the OS generator.
///
/// Thread-safety: `rng`, if given, is used by one thread at a time.
///
/// # Safety
///
/// `rng` NULL or a live handle; `recipient` valid for reads of
/// `recipient_len` bytes, `certificate` of `certificate_len` bytes,
/// `message` of `message_len` bytes; `buf` valid for writes of `buf_len`
/// bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sealed_seal(
    rng: *mut sw_rng,
    recipient: *const u8,
    recipient_len: usize,
    certificate: *const u8,
    certificate_len: usize,
    message: *const u8,
    message_len: usize,
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
        disjoint!(
            buf,
            buf_len,
            [
                (recipient, recipient_len),
                (certificate, certificate_len),
                (message, message_len),
            ]
        )?;
        // SAFETY: the caller's contract.
        let recipient = unsafe { identity_key(arg!(recipient, recipient_len)) }?;
        // SAFETY: the caller's contract.
        let certificate = unsafe { self::certificate(certificate, certificate_len) }?;
        non_null!(message)?;
        // SAFETY: the caller's contract.
        let message = unsafe { input!(message, message_len) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        let needed = sealed::sealed_len(&certificate, message)?;
        // SAFETY: the caller's contract.
        unsafe {
            seal_into(rng, buf, needed, &mut written, |r| {
                sealed::seal(r, &recipient, &certificate, message)
            })
        }
    })
}

/// The relay's side of franking for sealed messages: writes the commitment
/// `cf` (32 bytes) of a franked envelope, read without any key, to stamp
/// with `sw_relay_stamp_message`'s routing context as for an unsealed
/// franked message (the sender's account id empty: the relay does not know
/// it). An unfranked envelope is `SW_DECODE_UNEXPECTED_TYPE`; other bytes
/// their `SW_DECODE_*` code.
///
/// Ownership: `envelope` is only read; `buf` belongs to the caller;
/// `*out_len` receives 32, the length written or needed. `buf` must not
/// overlap `envelope` (`SW_INVALID_ARGUMENT`).
///
/// NULL: `envelope` (unless `envelope_len` is 0) and `out_len` must not be
/// NULL; `buf` may be NULL only with `buf_len` 0 (a size query).
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `envelope` valid for reads of `envelope_len` bytes; `buf` valid for
/// writes of `buf_len` bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sealed_commitment(
    envelope: *const u8,
    envelope_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let (envelope, buf) = unsafe { input_output!(envelope, envelope_len, buf, buf_len) }?;
        let cf = sealed::commitment_of_sealed(envelope)?;
        write_bytes(buf, &mut written, &cf)
    })
}

/// Opens an envelope with our identity (SPEC.md §22.5 steps 1–3): parses
/// it (`SW_DECODE_*`), decrypts it (`SW_SEALED_AUTHENTICATION_FAILED`, one
/// code for an envelope to another device, altered, or with a bad
/// ephemeral key), and parses what it holds (`SW_DECODE_*`). Nothing about
/// the sender is verified yet and no state is read or changed: read the
/// claimed sender with `sw_unsealed_sender`, then verify and decrypt with
/// `sw_unsealed_decrypt`.
///
/// Ownership: `envelope` is only read. On `SW_OK`, `*out_unsealed` is a
/// new handle the caller frees with `sw_unsealed_free`; on error it is set
/// to NULL.
///
/// NULL: `identity`, `envelope` (unless `envelope_len` is 0) and
/// `out_unsealed` must not be NULL.
///
/// Thread-safety: `identity` is only read; any thread.
///
/// # Safety
///
/// `identity` a live handle; `envelope` valid for reads of `envelope_len`
/// bytes; `out_unsealed` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sealed_open(
    identity: *const sw_identity,
    envelope: *const u8,
    envelope_len: usize,
    out_unsealed: *mut *mut sw_unsealed,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { open_with(identity, envelope, envelope_len, out_unsealed, sealed::open) }
}

/// Writes who the envelope's certificate says sent it: the user id into
/// `user`, the device id to `*out_device_id`. **Not verified**: use it only
/// to find that user's `sw_device_list` and the `sw_device_sessions` with
/// that device, to pass to `sw_unsealed_decrypt`.
///
/// Ownership: `user` belongs to the caller and needs at most
/// `SW_MAX_USER_ID_LEN` bytes: if shorter, nothing is written,
/// `*out_user_len` receives the length needed and the result is
/// `SW_BUFFER_TOO_SMALL`.
///
/// NULL: `unsealed`, `out_user_len` and `out_device_id` must not be NULL;
/// `user` may be NULL only with `user_cap` 0 (a size query).
///
/// # Safety
///
/// `unsealed` a live handle; `user` valid for writes of `user_cap` bytes;
/// `out_user_len` and `out_device_id` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_unsealed_sender(
    unsealed: *const sw_unsealed,
    user: *mut u8,
    user_cap: usize,
    out_user_len: *mut usize,
    out_device_id: *mut u32,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        sender_of(
            unsealed,
            Unsealed::sender,
            user,
            user_cap,
            out_user_len,
            out_device_id,
        )
    }
}

/// Stores the length of the inner message: the plaintext buffer of
/// `sw_unsealed_decrypt` must hold that many bytes (the envelope's length
/// always suffices).
///
/// NULL: `unsealed` and `out_len` must not be NULL.
///
/// # Safety
///
/// `unsealed` a live handle; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_unsealed_message_len(
    unsealed: *const sw_unsealed,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { get_value(unsealed, named!(out_len), |u: &Unsealed| u.message().len()) }
}

/// Verifies the sender and decrypts the inner message (SPEC.md §22.5
/// steps 4–6), in this order: the certificate at `now_ms` (the receiver's
/// clock) against `trusted` (an invalid identity key in it
/// `SW_DECODE_INVALID_KEY`, then `SW_SEALED_UNTRUSTED_SERVER_KEY`,
/// `SW_SEALED_BAD_CERTIFICATE_SIGNATURE`, `SW_SEALED_CERTIFICATE_EXPIRED`);
/// the certificate's device is in `devices` (the list of the user
/// `sw_unsealed_sender` names) with the certificate's identity key as its
/// confirmed key (`SW_SEALED_SENDER_MISMATCH`); then the inner message is
/// decrypted by `sessions` (ours with that device) as
/// `sw_device_sessions_decrypt` does, with the certificate's identity key
/// as the expected one: it must authenticate as that identity (a prekey
/// message from another identity `SW_SEALED_SENDER_MISMATCH`; any other
/// refusal that function's code).
///
/// On `SW_OK` the sender is the one `sw_unsealed_sender` wrote, now
/// verified; `*out_plaintext_len` and `*out_info` are as from
/// `sw_device_sessions_decrypt`. On every error nothing changed (sessions,
/// prekeys; `trusted` only remembers a certificate whose signature it
/// verified, which changes no outcome) and `plaintext` is not written.
///
/// Ownership: `unsealed`, `identity` and `devices` are only read;
/// `trusted`, `store` and `sessions` are read and updated. `plaintext`
/// belongs to the caller and must hold `sw_unsealed_message_len` bytes:
/// else nothing happens, `*out_plaintext_len` receives that length and the
/// result is `SW_BUFFER_TOO_SMALL`. Save `sessions` (and `store` when a
/// session started) afterwards, as after `sw_device_sessions_decrypt`.
///
/// NULL: every pointer must be non-NULL, except `plaintext` with
/// `plaintext_cap` 0 (a size query).
///
/// Thread-safety: changes `trusted`, `store` and `sessions`: one thread at
/// a time.
///
/// # Safety
///
/// `unsealed`, `identity` and `devices` live handles; `trusted`, `store`
/// and `sessions` live handles used by no other thread; `plaintext` valid
/// for writes of `plaintext_cap` bytes; `out_plaintext_len` and `out_info`
/// valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_unsealed_decrypt(
    unsealed: *const sw_unsealed,
    now_ms: u64,
    trusted: *mut sw_trusted_server_keys,
    identity: *const sw_identity,
    store: *mut sw_prekey_store,
    devices: *const sw_device_list,
    sessions: *mut sw_device_sessions,
    plaintext: *mut u8,
    plaintext_cap: usize,
    out_plaintext_len: *mut usize,
    out_info: *mut sw_received_info,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_plaintext_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let mut out_info = unsafe { out!(out_info) }?;
        // SAFETY: the caller's contract.
        let unsealed = unsafe { handle_ref(unsealed) }?;
        // SAFETY: the caller's contract. Every handle below is of another
        // type: one pointer passed as two fails a tag check, so the
        // references never alias.
        let trusted = unsafe { handle_mut(trusted) }?;
        // SAFETY: as above.
        let identity = unsafe { handle_ref(identity) }?;
        // SAFETY: as above.
        let store = unsafe { handle_mut(store) }?;
        // SAFETY: as above.
        let devices = unsafe { handle_ref(devices) }?;
        // SAFETY: as above.
        let sessions = unsafe { handle_mut(sessions) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(plaintext, plaintext_cap) }?;
        let now = Timestamp::from_unix_millis(now_ms);
        decrypt_into(
            buf,
            unsealed.message().len(),
            &mut written,
            &mut out_info,
            || {
                let (_, r) = unsealed.decrypt(now, trusted, identity, store, devices, sessions)?;
                Ok(r)
            },
        )
    })
}

/// Frees an opened envelope. NULL is a no-op.
///
/// # Safety
///
/// `unsealed` must be NULL or a live `sw_unsealed` not used again
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_unsealed_free(unsealed: *mut sw_unsealed) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(unsealed) });
}
