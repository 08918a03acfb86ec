//! Verifying a report (`sw_relay_verify_report`) and reading what it
//! proves (`sw_verified_report`).

use sealwire::franking::{self, VerifiedReport};

use super::{sw_relay_key, sw_report_info, sw_verified_report};
use crate::boundary::{
    clear_handle, free_handle, guard, guard_void, handle_ref, new_handle, write_bytes,
};
use crate::result::sw_result;
use crate::session::content_type_to_c;

/// Parses and verifies a report (SPEC.md §19.7) under this relay's key, in
/// this order: the report's format (`SW_DECODE_*`), the stamp
/// (`SW_REPORT_BAD_STAMP`: another relay's key, or an altered commitment,
/// account id or forwarding time), the commitment
/// (`SW_REPORT_BAD_COMMITMENT`: an altered body, content type, identity key,
/// send time or franking key), then an attachment, if carried
/// (`SW_REPORT_NOT_AN_ATTACHMENT`, `SW_REPORT_ATTACHMENT_MISMATCH`). Both
/// comparisons are constant-time.
///
/// The relay MUST then check from its own records that the sender and
/// recipient identity keys (`sw_verified_report_info`) belong to the
/// routing accounts (`sw_verified_report_routing_sender`, `_recipient`).
///
/// Ownership: `key` and `report` are borrowed. On `SW_OK`, `*out_verified`
/// is a new handle the caller frees with `sw_verified_report_free`; on error
/// it is set to NULL.
///
/// NULL: `key` and `out_verified` must not be NULL; `report` may be NULL
/// only with `report_len` 0.
///
/// Thread-safety: `key` is immutable; any number of threads may verify with
/// one key at once.
///
/// # Safety
///
/// `key` a live handle; `report` valid for reads of `report_len` bytes;
/// `out_verified` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_relay_verify_report(
    key: *const sw_relay_key,
    report: *const u8,
    report_len: usize,
    out_verified: *mut *mut sw_verified_report,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_verified = unsafe { out!(out_verified) }?;
        clear_handle(&mut out_verified);
        // SAFETY: the caller's contract.
        let key = unsafe { handle_ref(key) }?;
        // SAFETY: the caller's contract.
        let report = unsafe { input!(report, report_len) }?;
        let verified = franking::verify_report(key, report)?;
        out_verified.set(new_handle::<sw_verified_report>(verified));
        Ok(())
    })
}

/// Stores the fixed-size fields of a verified report: content type, send
/// time, forwarding time, the two identity keys, whether it carried an
/// attachment.
///
/// NULL: `verified` and `out_info` must not be NULL.
///
/// Thread-safety: `verified` is immutable; any thread.
///
/// # Safety
///
/// `verified` a live handle; `out_info` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_verified_report_info(
    verified: *const sw_verified_report,
    out_info: *mut sw_report_info,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_info = unsafe { out!(out_info) }?;
        // SAFETY: the caller's contract.
        let v = unsafe { handle_ref(verified) }?;
        out_info.set(sw_report_info {
            content_type: content_type_to_c(v.content_type),
            has_attachment: v.attachment.is_some(),
            sent_at_ms: v.sent_at.as_unix_millis(),
            routing_timestamp_ms: v.context.timestamp().as_unix_millis(),
            sender: v.sender.to_bytes(),
            recipient: v.recipient.to_bytes(),
        });
        Ok(())
    })
}

/// Writes one byte field of a verified report into the caller's buffer.
///
/// # Safety
///
/// As the exports below.
unsafe fn verified_bytes(
    verified: *const sw_verified_report,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
    field: impl FnOnce(&VerifiedReport) -> &[u8],
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let v = unsafe { handle_ref(verified) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        write_bytes(buf, &mut written, field(v))
    })
}

/// Writes the reported body (at most `SW_MAX_BODY_LEN` bytes).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `verified` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// Thread-safety: `verified` is immutable; any thread.
///
/// # Safety
///
/// `verified` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_verified_report_body(
    verified: *const sw_verified_report,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract.
    unsafe { verified_bytes(verified, buf, buf_len, out_len, |v| &v.body[..]) }
}

/// Writes the routing context's sender account id (as stamped by the relay;
/// at most `SW_MAX_ROUTING_ID_LEN` bytes, possibly empty).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `verified` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// Thread-safety: `verified` is immutable; any thread.
///
/// # Safety
///
/// `verified` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_verified_report_routing_sender(
    verified: *const sw_verified_report,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract.
    unsafe { verified_bytes(verified, buf, buf_len, out_len, |v| v.context.sender()) }
}

/// Writes the routing context's recipient account id (as stamped by the
/// relay; at most `SW_MAX_ROUTING_ID_LEN` bytes, possibly empty).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `verified` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// Thread-safety: `verified` is immutable; any thread.
///
/// # Safety
///
/// `verified` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_verified_report_routing_recipient(
    verified: *const sw_verified_report,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract.
    unsafe { verified_bytes(verified, buf, buf_len, out_len, |v| v.context.recipient()) }
}

/// Writes the attachment plaintext the report carried (at most
/// `SW_MAX_REPORT_ATTACHMENT_LEN` bytes), already checked against the
/// attachment pointer that is the body (parse the body with
/// `sw_attachment_pointer_parse` for its media type and locator). A report
/// without an attachment (`has_attachment` false in its `sw_report_info`)
/// writes nothing: `*out_len` is 0.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `verified` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// Thread-safety: `verified` is immutable; any thread.
///
/// # Safety
///
/// `verified` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_verified_report_attachment(
    verified: *const sw_verified_report,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract.
    unsafe {
        verified_bytes(verified, buf, buf_len, out_len, |v| {
            v.attachment.as_ref().map_or(&[][..], |(_, a)| &a[..])
        })
    }
}

/// Frees a verified report, zeroing the body and attachment it holds. NULL
/// is a no-op.
///
/// # Safety
///
/// `verified` must be NULL or a live `sw_verified_report` not used again
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_verified_report_free(verified: *mut sw_verified_report) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(verified) });
}
