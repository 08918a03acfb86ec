//! Recovery requests (SPEC.md §21.4): "I could not decrypt your message,
//! please start a new session", signed by the device that asks.

use sealwire::Timestamp;
use sealwire::devices::{Recovery, RecoveryRequest};
use sealwire::limits::RECOVERY_REQUEST_LEN;

use super::{sw_device_sessions, sw_recovery_action, sw_recovery_request_info};
use crate::boundary::{guard, handle_mut, handle_ref, write_bytes};
use crate::identity::{identity_key, sw_identity};
use crate::result::sw_result;

/// Reads a recovery request's fields (`SW_RECOVERY_REQUEST_LEN` bytes), to
/// route it: `requester` names the device that asks (find the
/// `sw_device_sessions` of the device with that key, then call
/// `sw_device_sessions_accept_recovery_request`). The signature is not
/// checked here: nothing read is authenticated until the request is
/// accepted. Malformed bytes give their `SW_DECODE_*` code.
///
/// NULL: `request` and `out_info` must not be NULL.
///
/// # Safety
///
/// `request` valid for reads of `request_len` bytes; `out_info` valid for
/// one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_recovery_request_parse(
    request: *const u8,
    request_len: usize,
    out_info: *mut sw_recovery_request_info,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut info = unsafe { out!(out_info) }?;
        info.set(sw_recovery_request_info {
            requester: [0; 32],
            target: [0; 32],
            ratchet_key: [0; 32],
            counter: 0,
            requested_at_ms: 0,
        });
        non_null!(request)?;
        // SAFETY: the caller's contract.
        let r = RecoveryRequest::parse(unsafe { input!(request, request_len) }?)?;
        info.set(sw_recovery_request_info {
            requester: r.requester().to_bytes(),
            target: r.target().to_bytes(),
            ratchet_key: *r.ratchet_key(),
            counter: r.counter(),
            requested_at_ms: r.requested_at().as_unix_millis(),
        });
        Ok(())
    })
}

/// Makes a recovery request for `failed`, a message from the peer device
/// (32-byte identity key `peer`) that could not be decrypted
/// (`SW_SESSION_NO_SESSION` from `sw_device_sessions_decrypt`, typically
/// after this device lost its state), signed with `identity`. Send the
/// bytes to the peer device by any channel (they hold no secret); its
/// `sw_device_sessions_accept_recovery_request` stops the broken session.
/// At most one per `SW_RECOVERY_INTERVAL_MS` per peer device
/// (`SW_RECOVERY_TOO_MANY_REQUESTS`), so that a peer sending garbage cannot
/// make us flood it. A `failed` that is not a message gives its
/// `SW_DECODE_*` code. On error nothing changed.
///
/// Ownership: `identity`, `peer` and `failed` are only read. `buf` belongs
/// to the caller and needs `SW_RECOVERY_REQUEST_LEN` bytes: if shorter,
/// nothing changes, `*out_len` receives that length and the result is
/// `SW_BUFFER_TOO_SMALL`. `buf` must not overlap `peer` or `failed`
/// (`SW_INVALID_ARGUMENT`).
///
/// NULL: `sessions`, `identity`, `peer`, `failed` and `out_len` must not be
/// NULL; `buf` may be NULL only with `buf_len` 0 (a size query).
///
/// Thread-safety: changes `sessions` (the time of the last request made):
/// one thread at a time.
///
/// # Safety
///
/// `sessions` a live handle used by no other thread; `identity` a live
/// handle; `peer` valid for reads of `peer_len` bytes, `failed` of
/// `failed_len` bytes; `buf` valid for writes of `buf_len` bytes; `out_len`
/// valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_recovery_request(
    sessions: *mut sw_device_sessions,
    identity: *const sw_identity,
    peer: *const u8,
    peer_len: usize,
    now_ms: u64,
    failed: *const u8,
    failed_len: usize,
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
        let identity = unsafe { handle_ref(identity) }?;
        disjoint!(buf, buf_len, [(peer, peer_len)])?;
        // SAFETY: the caller's contract.
        let peer = unsafe { identity_key(arg!(peer, peer_len)) }?;
        non_null!(failed)?;
        // SAFETY: the caller's contract.
        let (failed, buf) = unsafe { input_output!(failed, failed_len, buf, buf_len) }?;
        // The request's length is fixed: refuse a short buffer before
        // anything changes.
        if buf.len() < RECOVERY_REQUEST_LEN {
            written.set(RECOVERY_REQUEST_LEN);
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        }
        let now = Timestamp::from_unix_millis(now_ms);
        let request = sessions.recovery_request(identity, &peer, now, failed)?;
        write_bytes(buf, &mut written, &request.to_bytes())
    })
}

/// Takes in a recovery request from the peer device whose 32-byte identity
/// key (as its device list holds it) is `peer`, addressed to `us`. Checks,
/// in order: the encoding (`SW_DECODE_*`), that `peer` made and signed it
/// (`SW_RECOVERY_AUTHENTICATION_FAILED`), that it is for `us`
/// (`SW_RECOVERY_NOT_FOR_US`), that it is newer than the last one accepted
/// (`SW_RECOVERY_REPLAYED_REQUEST`), that it names a session held
/// (`SW_RECOVERY_UNKNOWN_SESSION`). If that session is current, it stops
/// sending (`*out_action` `SW_RECOVERY_ACTION_RESTART`: start a new session
/// with `sw_device_sessions_initiate`; at most once per
/// `SW_RECOVERY_INTERVAL_MS`, else `SW_RECOVERY_TOO_MANY_REQUESTS`); if it
/// is a previous one, `SW_RECOVERY_ACTION_RESEND`. `*out_counter` is the
/// number of the lost message in its chain: what to re-send, if anything,
/// is the app's choice (the library never re-sends). On error nothing
/// changed, `*out_action` is `SW_RECOVERY_ACTION_NONE` and `*out_counter`
/// 0.
///
/// NULL: every pointer must be non-NULL.
///
/// Thread-safety: changes `sessions`: one thread at a time.
///
/// # Safety
///
/// `sessions` a live handle used by no other thread; `us` a live handle;
/// `peer` valid for reads of `peer_len` bytes, `request` of `request_len`
/// bytes; `out_action` and `out_counter` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_sessions_accept_recovery_request(
    sessions: *mut sw_device_sessions,
    us: *const sw_identity,
    peer: *const u8,
    peer_len: usize,
    now_ms: u64,
    request: *const u8,
    request_len: usize,
    out_action: *mut sw_recovery_action,
    out_counter: *mut u32,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut action = unsafe { out!(out_action) }?;
        action.set(sw_recovery_action::SW_RECOVERY_ACTION_NONE);
        // SAFETY: the caller's contract.
        let mut counter = unsafe { out!(out_counter) }?;
        counter.set(0);
        // SAFETY: the caller's contract.
        let sessions = unsafe { handle_mut(sessions) }?;
        // SAFETY: the caller's contract.
        let us = unsafe { handle_ref(us) }?;
        // SAFETY: the caller's contract.
        let peer = unsafe { identity_key(arg!(peer, peer_len)) }?;
        non_null!(request)?;
        // SAFETY: the caller's contract.
        let request = unsafe { input!(request, request_len) }?;
        let now = Timestamp::from_unix_millis(now_ms);
        let (a, n) = match sessions.accept_recovery_request(us.public(), &peer, now, request)? {
            Recovery::Restart { counter } => {
                (sw_recovery_action::SW_RECOVERY_ACTION_RESTART, counter)
            }
            Recovery::Resend { counter } => {
                (sw_recovery_action::SW_RECOVERY_ACTION_RESEND, counter)
            }
            // A variant this version does not know: the core changed the
            // sessions already; a resend is the reading that does nothing
            // by itself.
            _ => (sw_recovery_action::SW_RECOVERY_ACTION_RESEND, 0),
        };
        action.set(a);
        counter.set(n);
        Ok(())
    })
}
