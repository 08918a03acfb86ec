//! Building a report from a received message (`sw_report_from_received`,
//! `sw_report_from_received_with_attachment`), as the Rust API's
//! `Report::from_received`.

use core::mem::{offset_of, size_of};

use sealwire::franking::{Franking, FrankingKey, Report, Stamp};
use sealwire::{ContentType, IdentityKey, Timestamp};

use crate::boundary::{Result, fail, guard, handle_ref, input, too_small, write_bytes};
use crate::identity::sw_identity;
use crate::result::sw_result;
use crate::session::{sendable_content_type, sw_received_info};

/// `sw_received_info` as the caller may have filled it: the same layout
/// with plain integers where it has enumerations and booleans, so that any
/// value the caller wrote is read without undefined behaviour and then
/// checked. The assertions below pin the layout to `sw_received_info`'s.
#[repr(C)]
#[derive(Clone, Copy)]
struct RawReceivedInfo {
    content_type: u32,
    message_number: u32,
    sent_at_ms: u64,
    expiry: u32,
    expiry_ms: u64,
    timer_changed: u8,
    timer_changed_by: u32,
    timer_old: [u64; 2],
    timer_new: [u64; 2],
    sender: [u8; 32],
    is_franked: u8,
    franking_key: [u8; 32],
    commitment: [u8; 32],
}

const _: () = {
    assert!(size_of::<RawReceivedInfo>() == size_of::<sw_received_info>());
    assert!(align_of::<RawReceivedInfo>() == align_of::<sw_received_info>());
    assert!(
        offset_of!(RawReceivedInfo, content_type) == offset_of!(sw_received_info, content_type)
    );
    assert!(offset_of!(RawReceivedInfo, sent_at_ms) == offset_of!(sw_received_info, sent_at_ms));
    assert!(offset_of!(RawReceivedInfo, timer_old) == offset_of!(sw_received_info, timer_old));
    assert!(offset_of!(RawReceivedInfo, timer_new) == offset_of!(sw_received_info, timer_new));
    assert!(offset_of!(RawReceivedInfo, sender) == offset_of!(sw_received_info, sender));
    assert!(offset_of!(RawReceivedInfo, is_franked) == offset_of!(sw_received_info, is_franked));
    assert!(
        offset_of!(RawReceivedInfo, franking_key) == offset_of!(sw_received_info, franking_key)
    );
    assert!(offset_of!(RawReceivedInfo, commitment) == offset_of!(sw_received_info, commitment));
};

/// The report of the message `info` describes, checked field by field.
fn report_of(
    info: &RawReceivedInfo,
    recipient: IdentityKey,
    body: &[u8],
    stamp: &[u8],
) -> Result<Report> {
    let content_type = match info.content_type {
        // Refused by the core: never franked.
        2 => ContentType::TimerChange,
        3 => ContentType::GroupKeyDistribution,
        c => sendable_content_type(c).map_err(|_| {
            fail(
                sw_result::SW_INVALID_ARGUMENT,
                format_args!("info->content_type is {c}: not an sw_content_type of a message"),
            )
        })?,
    };
    match info.is_franked {
        1 => {}
        0 => {
            return Err(fail(
                sw_result::SW_REPORT_NOT_FRANKED,
                format_args!("info->is_franked is false: only a franked message can be reported"),
            ));
        }
        b => {
            return Err(fail(
                sw_result::SW_INVALID_ARGUMENT,
                format_args!("info->is_franked is {b}: not a bool"),
            ));
        }
    }
    let sender = IdentityKey::from_bytes(&info.sender).map_err(|_| {
        fail(
            sw_result::SW_DECODE_INVALID_KEY,
            format_args!("info->sender is not a valid identity key"),
        )
    })?;
    let franking = Franking::new(FrankingKey::from_bytes(info.franking_key), info.commitment);
    let stamp = Stamp::parse(stamp)?;
    Ok(Report::new(
        content_type,
        sender,
        recipient,
        Timestamp::from_unix_millis(info.sent_at_ms),
        body,
        franking,
        stamp,
    )?)
}

/// The body of both exports.
///
/// # Safety
///
/// As the exports below; `attachment`, if given, as their `attachment`.
#[allow(
    clippy::too_many_arguments,
    reason = "the exports' parameters, passed on"
)]
unsafe fn report_from_received(
    identity: *const sw_identity,
    info: *const sw_received_info,
    body: *const u8,
    body_len: usize,
    stamp: *const u8,
    stamp_len: usize,
    attachment: Option<(*const u8, usize)>,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let identity = unsafe { handle_ref(identity) }?;
        let info = info.cast::<RawReceivedInfo>();
        // SAFETY: the caller's contract; `RawReceivedInfo` has the layout of
        // `sw_received_info` and every bit pattern is a valid value of it.
        let info = unsafe { input_struct!(info) }?;
        let attachment_names = names!(attachment, attachment_len);
        let (attachment_ptr, attachment_len) = attachment.unwrap_or((core::ptr::null(), 0));
        disjoint!(
            buf,
            buf_len,
            [
                (body, body_len),
                (stamp, stamp_len),
                (attachment_ptr, attachment_len)
            ]
        )?;
        // SAFETY: the caller's contract.
        let body = unsafe { input!(body, body_len) }?;
        // SAFETY: the caller's contract.
        let stamp = unsafe { input!(stamp, stamp_len) }?;
        let mut report = report_of(&info, *identity.public(), body, stamp)?;
        if attachment.is_some() {
            // SAFETY: the caller's contract.
            let plaintext = unsafe { input(attachment_names, attachment_ptr, attachment_len) }?;
            report = report.with_attachment(plaintext)?;
        }
        // SAFETY: the caller's contract; checked disjoint from the inputs.
        let buf = unsafe { output!(buf, buf_len) }?;
        let needed = report.encoded_len();
        if buf.len() < needed {
            written.set(needed);
            return Err(too_small(buf.len(), needed));
        }
        write_bytes(buf, &mut written, &report.to_vec())
    })
}

/// Builds the franking report (SPEC.md §19.6) of a received franked message
/// from what the recipient stored with it, and writes its encoding, to send
/// to the relay: as the Rust API's `Report::from_received`. The report
/// reveals this one message (body, content type, identity keys, send time)
/// and its franking evidence, nothing else of the conversation.
///
/// - `identity`: the reporter's own identity (the message's recipient);
/// - `info`: the message's `sw_received_info`, as `sw_session_decrypt` or
///   `sw_session_accept` wrote it (its `content_type`, `sent_at_ms`,
///   `sender`, `is_franked`, `franking_key` and `commitment` are used). A
///   message with `is_franked` false, a timer change or a group key
///   distribution is `SW_REPORT_NOT_FRANKED`; a `content_type` that is no
///   message's `SW_INVALID_ARGUMENT`;
/// - `body`: the plaintext as received (at most `SW_MAX_BODY_LEN`, else
///   `SW_DECODE_TOO_LARGE`);
/// - `stamp`: the encoded stamp the relay delivered with the message
///   (`SW_DECODE_*` if malformed).
///
/// Nothing is checked against the commitment here: the relay does that.
///
/// Ownership: every input is borrowed; `buf` belongs to the caller.
/// `*out_len` receives the report's length (188 bytes plus the routing ids
/// and the body), or with `SW_BUFFER_TOO_SMALL` the length needed. `buf`
/// must not overlap an input (`SW_INVALID_ARGUMENT`).
///
/// NULL: `identity`, `info` and `out_len` must not be NULL; `body` and
/// `stamp` may be NULL only with length 0, `buf` only with `buf_len` 0 (a
/// size query).
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `identity` a live handle; `info` valid for one read of an
/// `sw_received_info`; each input valid for reads of its length; `buf`
/// valid for writes of `buf_len` bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_report_from_received(
    identity: *const sw_identity,
    info: *const sw_received_info,
    body: *const u8,
    body_len: usize,
    stamp: *const u8,
    stamp_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract.
    unsafe {
        report_from_received(
            identity, info, body, body_len, stamp, stamp_len, None, buf, buf_len, out_len,
        )
    }
}

/// As `sw_report_from_received`, for a message whose body is an attachment
/// pointer: the report also carries the attachment's plaintext (at most
/// `SW_MAX_REPORT_ATTACHMENT_LEN` bytes, else `SW_DECODE_TOO_LARGE`), which
/// the relay checks against the pointer's digest and size. The report is
/// longer by `4 + attachment_len` bytes.
///
/// Ownership, NULL, thread-safety: as `sw_report_from_received`;
/// `attachment` may be NULL only with `attachment_len` 0 (an empty
/// attachment).
///
/// # Safety
///
/// As `sw_report_from_received`; `attachment` valid for reads of
/// `attachment_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_report_from_received_with_attachment(
    identity: *const sw_identity,
    info: *const sw_received_info,
    body: *const u8,
    body_len: usize,
    stamp: *const u8,
    stamp_len: usize,
    attachment: *const u8,
    attachment_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract.
    unsafe {
        report_from_received(
            identity,
            info,
            body,
            body_len,
            stamp,
            stamp_len,
            Some((attachment, attachment_len)),
            buf,
            buf_len,
            out_len,
        )
    }
}
