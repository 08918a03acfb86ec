//! The relay's side: its key (`sw_relay_key`), and reading and stamping
//! the commitment of a franked message.

use sealwire::Timestamp;
use sealwire::franking::{self, RelayKey, RoutingContext};
use sealwire::wire::Message;
use zeroize::Zeroizing;

use super::sw_relay_key;
use crate::boundary::{
    Result, clear_handle, free_handle, guard, guard_void, handle_ref, new_handle, write_bytes,
};
use crate::result::sw_result;
use crate::rng::{sw_rng, with_rng};

/// Creates a fresh random relay key.
///
/// Ownership: `rng` is borrowed (NULL: the OS generator). On `SW_OK`,
/// `*out_key` is a new handle the caller frees with `sw_relay_key_free`; on
/// error it is set to NULL. Keep the key (`sw_relay_key_danger_export`) to
/// verify reports of messages stamped earlier.
///
/// NULL: `out_key` must not be NULL.
///
/// Thread-safety: `rng`, if given, is used by one thread at a time.
///
/// # Safety
///
/// `rng` NULL or a live handle; `out_key` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_relay_key_new(
    rng: *mut sw_rng,
    out_key: *mut *mut sw_relay_key,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_key = unsafe { out!(out_key) }?;
        clear_handle(&mut out_key);
        // SAFETY: the caller's contract.
        let key = unsafe { with_rng(rng, |r| Ok(RelayKey::generate(r))) }?;
        out_key.set(new_handle::<sw_relay_key>(key));
        Ok(())
    })
}

/// Makes a relay key from its 32 bytes (as the operator stored them).
///
/// Ownership: `bytes` is copied. On `SW_OK`, `*out_key` is a new handle the
/// caller frees with `sw_relay_key_free`; on error it is set to NULL.
///
/// NULL: `bytes` and `out_key` must not be NULL. `len` must be 32
/// (`SW_RELAY_KEY_LEN`), else `SW_INVALID_ARGUMENT`.
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `bytes` valid for reads of `len` bytes; `out_key` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_relay_key_from_bytes(
    bytes: *const u8,
    len: usize,
    out_key: *mut *mut sw_relay_key,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_key = unsafe { out!(out_key) }?;
        clear_handle(&mut out_key);
        // SAFETY: the caller's contract.
        let bytes = Zeroizing::new(unsafe { input_array!(bytes, len) }?);
        out_key.set(new_handle::<sw_relay_key>(RelayKey::from_bytes(*bytes)));
        Ok(())
    })
}

/// DANGER: writes the relay key's 32 secret bytes, for the operator to
/// store (anyone holding them can forge stamps). Keep them as secret as any
/// server key.
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
pub unsafe extern "C" fn sw_relay_key_danger_export(
    key: *const sw_relay_key,
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
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        write_bytes(buf, &mut written, key.danger_as_bytes())
    })
}

/// Frees a relay key, zeroing it. NULL is a no-op.
///
/// # Safety
///
/// `key` must be NULL or a live `sw_relay_key` not used again afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_relay_key_free(key: *mut sw_relay_key) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(key) });
}

/// The commitment of a franked wire message, read without any key.
fn franked_commitment(message: &[u8]) -> Result<[u8; 32]> {
    let parsed = Message::parse(message)?;
    parsed
        .commitment()
        .copied()
        .ok_or(sw_result::SW_REPORT_NOT_FRANKED)
}

/// Writes the franking commitment `cf` (32 bytes) of a wire message, read
/// without any key (what the relay stamps). A well-formed message that is
/// not franked is `SW_REPORT_NOT_FRANKED`; bytes that are no message give
/// the `SW_DECODE_*` code of what is wrong with them.
///
/// Ownership: `message` is borrowed; `buf` belongs to the caller; `*out_len`
/// receives 32, the length written or needed. `message` and `buf` must not
/// overlap (`SW_INVALID_ARGUMENT`).
///
/// NULL: `out_len` must not be NULL; `message` may be NULL only with
/// `message_len` 0, `buf` only with `buf_len` 0 (a size query).
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `message` valid for reads of `message_len` bytes; `buf` valid for writes
/// of `buf_len` bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_commitment_of(
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
        let (message, buf) = unsafe { input_output!(message, message_len, buf, buf_len) }?;
        let commitment = franked_commitment(message)?;
        write_bytes(buf, &mut written, &commitment)
    })
}

/// What a relay does with each franked message it forwards: reads its
/// commitment and stamps it, with the relay key, together with the routing
/// context (the sender's and the recipient's account ids at the relay,
/// opaque bytes of at most `SW_MAX_ROUTING_ID_LEN` each, else
/// `SW_DECODE_TOO_LARGE`; and the time of forwarding, `timestamp_ms`, the
/// relay's clock). Writes the encoded stamp, which the relay delivers to the
/// recipient with the message; the relay stores nothing. A message that is
/// not franked is `SW_REPORT_NOT_FRANKED` (forward it without a stamp);
/// bytes that are no message give their `SW_DECODE_*` code.
///
/// Ownership: every input is borrowed; `buf` belongs to the caller.
/// `*out_len` receives the stamp's length (46 bytes plus the two ids), or
/// with `SW_BUFFER_TOO_SMALL` the length needed. `buf` must not overlap an
/// input (`SW_INVALID_ARGUMENT`).
///
/// NULL: `key` and `out_len` must not be NULL; `message`, `sender_id` and
/// `recipient_id` may be NULL only with length 0 (an empty id), `buf` only
/// with `buf_len` 0 (a size query).
///
/// Thread-safety: `key` is immutable; any number of threads may stamp with
/// one key at once.
///
/// # Safety
///
/// `key` a live handle; each input valid for reads of its length; `buf`
/// valid for writes of `buf_len` bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_relay_stamp_message(
    key: *const sw_relay_key,
    message: *const u8,
    message_len: usize,
    sender_id: *const u8,
    sender_id_len: usize,
    recipient_id: *const u8,
    recipient_id_len: usize,
    timestamp_ms: u64,
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
        disjoint!(
            buf,
            buf_len,
            [
                (message, message_len),
                (sender_id, sender_id_len),
                (recipient_id, recipient_id_len),
            ]
        )?;
        // SAFETY: the caller's contract.
        let message = unsafe { input!(message, message_len) }?;
        // SAFETY: the caller's contract.
        let sender_id = unsafe { input!(sender_id, sender_id_len) }?;
        // SAFETY: the caller's contract.
        let recipient_id = unsafe { input!(recipient_id, recipient_id_len) }?;
        // SAFETY: the caller's contract; checked disjoint from the inputs.
        let buf = unsafe { output!(buf, buf_len) }?;
        let context = RoutingContext::new(
            sender_id,
            recipient_id,
            Timestamp::from_unix_millis(timestamp_ms),
        )?;
        let commitment = franked_commitment(message)?;
        let stamp = franking::stamp(key, &commitment, context);
        write_bytes(buf, &mut written, &stamp.to_vec())
    })
}
