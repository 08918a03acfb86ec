//! Building a report (`sw_report_new`, `sw_report_new_with_attachment`).

use sealwire::franking::{Franking, FrankingKey, Report, Stamp};
use sealwire::{ContentType, IdentityKey, Timestamp};

use crate::boundary::{Out, Result, disjoint, guard, input, out, output, write_bytes};
use crate::result::sw_result;
use crate::session::sendable_content_type;

/// The caller's pointers of a report, checked.
struct ReportArgs<'a> {
    content_type: u32,
    sender_key: &'a [u8],
    recipient_key: &'a [u8],
    sent_at_ms: u64,
    body: &'a [u8],
    franking_key: &'a [u8],
    commitment: &'a [u8],
    stamp: &'a [u8],
    attachment: Option<&'a [u8]>,
}

/// Builds the report and writes its encoding.
fn write_report(args: &ReportArgs<'_>, buf: &mut [u8], written: &mut Out<'_, usize>) -> Result<()> {
    let content_type = match args.content_type {
        // Refused by the core: never franked.
        2 => ContentType::TimerChange,
        3 => ContentType::GroupKeyDistribution,
        c => sendable_content_type(c)?,
    };
    let fixed = |b: &[u8]| <[u8; 32]>::try_from(b).map_err(|_| sw_result::SW_INVALID_ARGUMENT);
    let sender = IdentityKey::from_bytes(&fixed(args.sender_key)?)?;
    let recipient = IdentityKey::from_bytes(&fixed(args.recipient_key)?)?;
    let franking = Franking::new(
        FrankingKey::from_bytes(fixed(args.franking_key)?),
        fixed(args.commitment)?,
    );
    let stamp = Stamp::parse(args.stamp)?;
    let mut report = Report::new(
        content_type,
        sender,
        recipient,
        Timestamp::from_unix_millis(args.sent_at_ms),
        args.body,
        franking,
        stamp,
    )?;
    if let Some(attachment) = args.attachment {
        report = report.with_attachment(attachment)?;
    }
    let needed = report.encoded_len();
    if buf.len() < needed {
        written.set(needed);
        return Err(sw_result::SW_BUFFER_TOO_SMALL);
    }
    write_bytes(buf, written, &report.to_vec())
}

/// Checks the pointers of `sw_report_new*` and writes the report.
///
/// # Safety
///
/// As the exports below.
#[allow(clippy::too_many_arguments)]
unsafe fn report_new(
    content_type: u32,
    sender_key: (*const u8, usize),
    recipient_key: (*const u8, usize),
    sent_at_ms: u64,
    body: (*const u8, usize),
    franking_key: (*const u8, usize),
    commitment: (*const u8, usize),
    stamp: (*const u8, usize),
    attachment: Option<(*const u8, usize)>,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        let fixed_inputs = [sender_key, recipient_key, franking_key, commitment];
        if fixed_inputs.iter().any(|(p, _)| p.is_null()) {
            return Err(sw_result::SW_NULL_POINTER);
        }
        let mut inputs = vec![
            sender_key,
            recipient_key,
            body,
            franking_key,
            commitment,
            stamp,
        ];
        inputs.extend(attachment);
        disjoint(buf, buf_len, &inputs)?;
        // SAFETY: the caller's contract, for each input.
        let read = |(p, len): (*const u8, usize)| unsafe { input(p, len) };
        let args = ReportArgs {
            content_type,
            sender_key: read(sender_key)?,
            recipient_key: read(recipient_key)?,
            sent_at_ms,
            body: read(body)?,
            franking_key: read(franking_key)?,
            commitment: read(commitment)?,
            stamp: read(stamp)?,
            attachment: attachment.map(read).transpose()?,
        };
        // SAFETY: the caller's contract; checked disjoint from the inputs.
        let buf = unsafe { output(buf, buf_len) }?;
        write_report(&args, buf, &mut written)
    })
}

/// Builds a franking report (SPEC.md §19.6) of a received franked message,
/// from what the recipient stored with it, and writes its encoding, to send
/// to the relay. The report reveals this one message (body, content type,
/// identity keys, send time) and its franking evidence, nothing else of the
/// conversation.
///
/// - `content_type`, `sent_at_ms`, `franking_key` and `commitment` from the
///   message's `sw_received_info` (a message with `is_franked` false cannot
///   be reported); `content_type` `SW_CONTENT_USER_MESSAGE` or
///   `SW_CONTENT_RECEIPT` (a timer change or a group key distribution,
///   values 2 and 3: `SW_REPORT_NOT_FRANKED`; another value
///   `SW_INVALID_ARGUMENT`);
/// - `sender_key`: the sender's public identity key (`sender` of the info);
///   `recipient_key`: the reporter's own (`sw_identity_public_key`);
/// - `body`: the plaintext as received (at most `SW_MAX_BODY_LEN`, else
///   `SW_DECODE_TOO_LARGE`);
/// - `stamp`: the encoded stamp the relay delivered with the message
///   (`SW_DECODE_*` if malformed).
///
/// The 32-byte inputs take their length (32, else `SW_INVALID_ARGUMENT`);
/// an identity key that is not a valid encoding is `SW_DECODE_INVALID_KEY`.
/// Nothing is checked against the commitment here: the relay does that.
///
/// Ownership: every input is borrowed; `buf` belongs to the caller.
/// `*out_len` receives the report's length (188 bytes plus the routing ids
/// and the body), or with `SW_BUFFER_TOO_SMALL` the length needed. `buf`
/// must not overlap an input (`SW_INVALID_ARGUMENT`).
///
/// NULL: `sender_key`, `recipient_key`, `franking_key`, `commitment` and
/// `out_len` must not be NULL; `body` and `stamp` may be NULL only with
/// length 0, `buf` only with `buf_len` 0 (a size query).
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// Each input valid for reads of its length; `buf` valid for writes of
/// `buf_len` bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_report_new(
    content_type: u32,
    sender_key: *const u8,
    sender_key_len: usize,
    recipient_key: *const u8,
    recipient_key_len: usize,
    sent_at_ms: u64,
    body: *const u8,
    body_len: usize,
    franking_key: *const u8,
    franking_key_len: usize,
    commitment: *const u8,
    commitment_len: usize,
    stamp: *const u8,
    stamp_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract.
    unsafe {
        report_new(
            content_type,
            (sender_key, sender_key_len),
            (recipient_key, recipient_key_len),
            sent_at_ms,
            (body, body_len),
            (franking_key, franking_key_len),
            (commitment, commitment_len),
            (stamp, stamp_len),
            None,
            buf,
            buf_len,
            out_len,
        )
    }
}

/// As `sw_report_new`, for a message whose body is an attachment pointer:
/// the report also carries the attachment's plaintext (at most
/// `SW_MAX_REPORT_ATTACHMENT_LEN` bytes, else `SW_DECODE_TOO_LARGE`), which
/// the relay checks against the pointer's digest and size. The report is
/// longer by `4 + attachment_len` bytes.
///
/// Ownership, NULL, thread-safety: as `sw_report_new`; `attachment` may be
/// NULL only with `attachment_len` 0 (an empty attachment).
///
/// # Safety
///
/// Each input valid for reads of its length; `buf` valid for writes of
/// `buf_len` bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_report_new_with_attachment(
    content_type: u32,
    sender_key: *const u8,
    sender_key_len: usize,
    recipient_key: *const u8,
    recipient_key_len: usize,
    sent_at_ms: u64,
    body: *const u8,
    body_len: usize,
    franking_key: *const u8,
    franking_key_len: usize,
    commitment: *const u8,
    commitment_len: usize,
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
        report_new(
            content_type,
            (sender_key, sender_key_len),
            (recipient_key, recipient_key_len),
            sent_at_ms,
            (body, body_len),
            (franking_key, franking_key_len),
            (commitment, commitment_len),
            (stamp, stamp_len),
            Some((attachment, attachment_len)),
            buf,
            buf_len,
            out_len,
        )
    }
}
