//! Message franking (SPEC.md §19): abuse reports that reveal one message to
//! the relay operator and nothing else.
//!
//! - The sender encrypts with `sw_session_encrypt_franked`; the recipient
//!   finds the evidence (`franking_key`, `commitment`) in
//!   `sw_received_info`.
//! - The relay (`sw_relay_key`) reads the commitment off each franked
//!   message and stamps it with the routing context
//!   (`sw_relay_stamp_message`), storing nothing; it verifies reports with
//!   `sw_relay_verify_report` (`sw_verified_report`).
//! - The recipient builds a report from the stored message, evidence and
//!   stamp (`sw_report_new`, `sw_report_new_with_attachment`).
//! - Attachments travel as an attachment pointer in a franked body
//!   (`sw_attachment_pointer`): a commitment to the plaintext, so that a
//!   report can prove which attachment was sent.

use sealwire::franking::{
    AttachmentKey, AttachmentPointer, Franking, FrankingKey, RelayKey, Report, RoutingContext,
    Stamp, VerifiedReport, relay,
};
use sealwire::wire::Message;
use sealwire::{ContentType, IdentityKey, Timestamp};
use zeroize::Zeroizing;

use crate::boundary::{
    Handle, Out, Result, clear_handle, disjoint, free_handle, guard, guard_void, handle_ref, input,
    input_array, input_output, new_handle, out, output, write_bytes,
};
use crate::result::sw_result;
use crate::rng::{sw_rng, with_rng};
use crate::session::{content_type_to_c, sendable_content_type, sw_content_type};

/// Length of a franking key `kf`.
pub const SW_FRANKING_KEY_LEN: usize = 32;
/// Length of a franking commitment `cf`.
pub const SW_FRANKING_COMMITMENT_LEN: usize = 32;
/// Length of a relay's stamping key.
pub const SW_RELAY_KEY_LEN: usize = 32;
/// Length of an attachment key.
pub const SW_ATTACHMENT_KEY_LEN: usize = 32;
/// How much longer an encrypted attachment is than its plaintext (the
/// AES-256-GCM tag).
pub const SW_ATTACHMENT_OVERHEAD: usize = 16;
/// Longest sender or recipient account id of a relay's routing context.
pub const SW_MAX_ROUTING_ID_LEN: usize = 1024;
/// Largest attachment plaintext a report may carry (64 MiB).
pub const SW_MAX_REPORT_ATTACHMENT_LEN: usize = 67_108_864;

/// The relay's 32-byte stamping key (`K_relay`): kept by the relay
/// operator, never shared. It is no key to anyone's conversation: it only
/// makes and checks stamps. Zeroed when the handle is freed.
///
/// Ownership: made by `sw_relay_key_new` or `sw_relay_key_from_bytes`,
/// freed by the caller with `sw_relay_key_free`.
///
/// Thread-safety: immutable once made; may be used from several threads at
/// once (freeing it excepted).
pub struct sw_relay_key {
    _opaque: [u8; 0],
}

impl Handle for sw_relay_key {
    type Inner = RelayKey;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:relay");
}

/// A report verified by the relay (`sw_relay_verify_report`): what it
/// proves is that the holder of the sender identity key sent this body, with
/// this content type and claimed send time, to the recipient identity key,
/// and that this relay forwarded it from the routing sender account to the
/// routing recipient account at the routing time. The relay MUST still check
/// from its own records that the identity keys belong to those accounts.
///
/// Ownership: freed by the caller with `sw_verified_report_free` (the body
/// and attachment it holds are zeroed).
///
/// Thread-safety: immutable; may be read from several threads at once
/// (freeing it excepted).
pub struct sw_verified_report {
    _opaque: [u8; 0],
}

impl Handle for sw_verified_report {
    type Inner = VerifiedReport;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:vrept");
}

/// An attachment pointer (SPEC.md §19.8): the key of an encrypted
/// attachment, the SHA-256 digest and size of its plaintext, its media type
/// and where its blob is stored. Its encoding (`sw_attachment_pointer_encode`)
/// is the body of a franked message; the recipient parses it
/// (`sw_attachment_pointer_parse`) and MUST open the blob with
/// `sw_attachment_pointer_decrypt`, which refuses a plaintext other than the
/// one committed to.
///
/// Ownership: made by `sw_attachment_pointer_new` or
/// `sw_attachment_pointer_parse`, freed by the caller with
/// `sw_attachment_pointer_free` (its key is zeroed).
///
/// Thread-safety: immutable; may be read from several threads at once
/// (freeing it excepted).
pub struct sw_attachment_pointer {
    _opaque: [u8; 0],
}

impl Handle for sw_attachment_pointer {
    type Inner = AttachmentPointer;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:attpt");
}

/// The fixed-size fields of a verified report (`sw_verified_report_info`).
/// Written by the library, never read by it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct sw_report_info {
    /// The reported message's content type.
    pub content_type: sw_content_type,
    /// Whether the report carried an attachment, checked against the
    /// attachment pointer of the body (`sw_verified_report_attachment`).
    pub has_attachment: bool,
    /// The sender's claimed send time (Unix ms, the sender's clock), as
    /// committed by the sender.
    pub sent_at_ms: u64,
    /// When the relay forwarded the message (Unix ms, the relay's clock), as
    /// stamped.
    pub routing_timestamp_ms: u64,
    /// The sender's public identity key, as committed by the sender.
    pub sender: [u8; 32],
    /// The recipient's (reporter's) public identity key, as committed by the
    /// sender.
    pub recipient: [u8; 32],
}

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
        let mut out_key = unsafe { out(out_key) }?;
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
        let mut out_key = unsafe { out(out_key) }?;
        clear_handle(&mut out_key);
        // SAFETY: the caller's contract.
        let bytes = Zeroizing::new(unsafe { input_array::<32>(bytes, len) }?);
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
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let key = unsafe { handle_ref(key) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output(buf, buf_len) }?;
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
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let (message, buf) = unsafe { input_output(message, message_len, buf, buf_len) }?;
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
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let key = unsafe { handle_ref(key) }?;
        disjoint(
            buf,
            buf_len,
            &[
                (message, message_len),
                (sender_id, sender_id_len),
                (recipient_id, recipient_id_len),
            ],
        )?;
        // SAFETY: the caller's contract.
        let message = unsafe { input(message, message_len) }?;
        // SAFETY: the caller's contract.
        let sender_id = unsafe { input(sender_id, sender_id_len) }?;
        // SAFETY: the caller's contract.
        let recipient_id = unsafe { input(recipient_id, recipient_id_len) }?;
        // SAFETY: the caller's contract; checked disjoint from the inputs.
        let buf = unsafe { output(buf, buf_len) }?;
        let context = RoutingContext::new(
            sender_id,
            recipient_id,
            Timestamp::from_unix_millis(timestamp_ms),
        )?;
        let commitment = franked_commitment(message)?;
        let stamp = relay::stamp(key, &commitment, context);
        write_bytes(buf, &mut written, &stamp.to_vec())
    })
}

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
        let mut out_verified = unsafe { out(out_verified) }?;
        clear_handle(&mut out_verified);
        // SAFETY: the caller's contract.
        let key = unsafe { handle_ref(key) }?;
        // SAFETY: the caller's contract.
        let report = unsafe { input(report, report_len) }?;
        let verified = relay::verify_report(key, report)?;
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
        let mut out_info = unsafe { out(out_info) }?;
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
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let v = unsafe { handle_ref(verified) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output(buf, buf_len) }?;
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

/// Writes a fresh random 32-byte attachment key (one per attachment).
///
/// Ownership: `rng` is borrowed (NULL: the OS generator); `buf` belongs to
/// the caller; `*out_len` receives 32, the length written or needed (a too
/// short buffer draws nothing).
///
/// NULL: `out_len` must not be NULL; `buf` may be NULL only with `buf_len` 0
/// (a size query).
///
/// Thread-safety: `rng`, if given, is used by one thread at a time.
///
/// # Safety
///
/// `rng` NULL or a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_key_new(
    rng: *mut sw_rng,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let buf = unsafe { output(buf, buf_len) }?;
        if buf.len() < SW_ATTACHMENT_KEY_LEN {
            written.set(SW_ATTACHMENT_KEY_LEN);
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        }
        // SAFETY: the caller's contract.
        let key = unsafe { with_rng(rng, |r| Ok(AttachmentKey::generate(r))) }?;
        write_bytes(buf, &mut written, key.as_bytes())
    })
}

/// Encrypts an attachment under its 32-byte key (AES-256-GCM with a key
/// and nonce derived from it; SPEC.md §19.8): the blob to upload,
/// `SW_ATTACHMENT_OVERHEAD` bytes longer than the plaintext. Use each key
/// for one attachment only.
///
/// Ownership: `key` and `plaintext` are borrowed; `buf` belongs to the
/// caller and needs `plaintext_len + SW_ATTACHMENT_OVERHEAD` bytes: if
/// shorter, nothing is written, `*out_len` receives that length and the
/// result is `SW_BUFFER_TOO_SMALL`. `buf` must not overlap an input
/// (`SW_INVALID_ARGUMENT`).
///
/// NULL: `key` and `out_len` must not be NULL; `plaintext` may be NULL only
/// with `plaintext_len` 0, `buf` only with `buf_len` 0 (a size query).
/// `key_len` must be 32 (`SW_ATTACHMENT_KEY_LEN`), else
/// `SW_INVALID_ARGUMENT`.
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `key` valid for reads of `key_len` bytes, `plaintext` of `plaintext_len`
/// bytes; `buf` valid for writes of `buf_len` bytes; `out_len` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_encrypt(
    key: *const u8,
    key_len: usize,
    plaintext: *const u8,
    plaintext_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        disjoint(buf, buf_len, &[(key, key_len), (plaintext, plaintext_len)])?;
        // SAFETY: the caller's contract.
        let key = AttachmentKey::from_bytes(unsafe { input_array::<32>(key, key_len) }?);
        // SAFETY: the caller's contract.
        let plaintext = unsafe { input(plaintext, plaintext_len) }?;
        // SAFETY: the caller's contract; checked disjoint from the inputs.
        let buf = unsafe { output(buf, buf_len) }?;
        let needed = plaintext
            .len()
            .checked_add(SW_ATTACHMENT_OVERHEAD)
            .ok_or(sw_result::SW_INVALID_ARGUMENT)?;
        if buf.len() < needed {
            written.set(needed);
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        }
        let blob = Zeroizing::new(key.encrypt(plaintext));
        if blob.len() != needed {
            // Only a plaintext beyond AES-GCM's limit (64 GiB) fails.
            return Err(sw_result::SW_INVALID_ARGUMENT);
        }
        write_bytes(buf, &mut written, &blob)
    })
}

/// Makes the pointer to an attachment: its 32-byte key, the SHA-256 digest
/// and size of `plaintext` (computed here), its media type (at most 255
/// bytes, e.g. `image/png`) and its locator (where the encrypted blob is
/// stored, a URL or storage id, at most 2048 bytes); longer is
/// `SW_DECODE_TOO_LARGE`. Send its encoding (`sw_attachment_pointer_encode`)
/// as the body of a franked message (`sw_session_encrypt_franked`).
///
/// Ownership: the inputs are copied (the plaintext only hashed). On `SW_OK`,
/// `*out_pointer` is a new handle the caller frees with
/// `sw_attachment_pointer_free`; on error it is set to NULL.
///
/// NULL: `key` and `out_pointer` must not be NULL; `plaintext`,
/// `media_type` and `locator` may be NULL only with length 0. `key_len`
/// must be 32 (`SW_ATTACHMENT_KEY_LEN`), else `SW_INVALID_ARGUMENT`.
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// Each input valid for reads of its length; `out_pointer` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_new(
    key: *const u8,
    key_len: usize,
    plaintext: *const u8,
    plaintext_len: usize,
    media_type: *const u8,
    media_type_len: usize,
    locator: *const u8,
    locator_len: usize,
    out_pointer: *mut *mut sw_attachment_pointer,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_pointer = unsafe { out(out_pointer) }?;
        clear_handle(&mut out_pointer);
        // SAFETY: the caller's contract.
        let key = AttachmentKey::from_bytes(unsafe { input_array::<32>(key, key_len) }?);
        // SAFETY: the caller's contract.
        let plaintext = unsafe { input(plaintext, plaintext_len) }?;
        // SAFETY: the caller's contract.
        let media_type = unsafe { input(media_type, media_type_len) }?;
        // SAFETY: the caller's contract.
        let locator = unsafe { input(locator, locator_len) }?;
        let pointer = AttachmentPointer::new(key, plaintext, media_type, locator)?;
        out_pointer.set(new_handle::<sw_attachment_pointer>(pointer));
        Ok(())
    })
}

/// Parses an attachment pointer strictly (a franked message's whole body,
/// or a verified report's body); malformed bytes give their `SW_DECODE_*`
/// code.
///
/// Ownership: `bytes` is borrowed. On `SW_OK`, `*out_pointer` is a new
/// handle the caller frees with `sw_attachment_pointer_free`; on error it is
/// set to NULL.
///
/// NULL: `out_pointer` must not be NULL; `bytes` may be NULL only with `len`
/// 0.
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `bytes` valid for reads of `len` bytes; `out_pointer` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_parse(
    bytes: *const u8,
    len: usize,
    out_pointer: *mut *mut sw_attachment_pointer,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_pointer = unsafe { out(out_pointer) }?;
        clear_handle(&mut out_pointer);
        // SAFETY: the caller's contract.
        let bytes = unsafe { input(bytes, len) }?;
        let pointer = AttachmentPointer::parse(bytes)?;
        out_pointer.set(new_handle::<sw_attachment_pointer>(pointer));
        Ok(())
    })
}

/// Writes the pointer's encoding (SPEC.md §19.8: 77 bytes plus the media
/// type and locator), the body to send franked. It holds the attachment
/// key: it is as secret as the attachment.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `pointer` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// Thread-safety: `pointer` is immutable; any thread.
///
/// # Safety
///
/// `pointer` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_encode(
    pointer: *const sw_attachment_pointer,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let pointer = unsafe { handle_ref(pointer) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output(buf, buf_len) }?;
        write_bytes(buf, &mut written, &pointer.to_vec())
    })
}

/// Stores the attachment's plaintext size in bytes, as the pointer states
/// it (the sender's claim until `sw_attachment_pointer_decrypt` or `_verify`
/// succeeds).
///
/// NULL: `pointer` and `out_size` must not be NULL.
///
/// Thread-safety: `pointer` is immutable; any thread.
///
/// # Safety
///
/// `pointer` a live handle; `out_size` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_size(
    pointer: *const sw_attachment_pointer,
    out_size: *mut u64,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_size = unsafe { out(out_size) }?;
        out_size.set(0);
        // SAFETY: the caller's contract.
        let pointer = unsafe { handle_ref(pointer) }?;
        out_size.set(pointer.size());
        Ok(())
    })
}

/// Writes the attachment's media type (opaque bytes, at most 255, possibly
/// empty; not NUL-terminated).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `pointer` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// Thread-safety: `pointer` is immutable; any thread.
///
/// # Safety
///
/// `pointer` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_media_type(
    pointer: *const sw_attachment_pointer,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let pointer = unsafe { handle_ref(pointer) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output(buf, buf_len) }?;
        write_bytes(buf, &mut written, pointer.media_type())
    })
}

/// Writes the attachment's locator: where its encrypted blob is stored
/// (opaque bytes, at most 2048, possibly empty; not NUL-terminated).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `pointer` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// Thread-safety: `pointer` is immutable; any thread.
///
/// # Safety
///
/// `pointer` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_locator(
    pointer: *const sw_attachment_pointer,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let pointer = unsafe { handle_ref(pointer) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output(buf, buf_len) }?;
        write_bytes(buf, &mut written, pointer.locator())
    })
}

/// Checks a plaintext against the pointer: its size, then its SHA-256
/// digest (constant-time). `SW_OK` if it is the attachment committed to,
/// else `SW_ATTACHMENT_MISMATCH`.
///
/// NULL: `pointer` must not be NULL; `plaintext` may be NULL only with
/// `plaintext_len` 0.
///
/// Thread-safety: `pointer` is immutable; any thread.
///
/// # Safety
///
/// `pointer` a live handle; `plaintext` valid for reads of `plaintext_len`
/// bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_verify(
    pointer: *const sw_attachment_pointer,
    plaintext: *const u8,
    plaintext_len: usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let pointer = unsafe { handle_ref(pointer) }?;
        // SAFETY: the caller's contract.
        let plaintext = unsafe { input(plaintext, plaintext_len) }?;
        Ok(pointer.verify(plaintext)?)
    })
}

/// Decrypts a downloaded attachment blob (`sw_attachment_encrypt`'s output)
/// with the pointer's key and checks the plaintext against the pointer's
/// size and digest: `SW_ATTACHMENT_MISMATCH` if the blob does not decrypt or
/// is not the attachment committed to. Recipients MUST open attachments
/// this way, so that what they show is what a report can prove.
///
/// Ownership: `blob` is borrowed; `buf` belongs to the caller and must hold
/// `blob_len - SW_ATTACHMENT_OVERHEAD` bytes (the plaintext's length): if
/// shorter, nothing is written, `*out_len` receives that length and the
/// result is `SW_BUFFER_TOO_SMALL`. On `SW_OK`, `*out_len` receives the
/// plaintext's length; on any other error nothing is written. `blob` and
/// `buf` must not overlap (`SW_INVALID_ARGUMENT`).
///
/// NULL: `pointer` and `out_len` must not be NULL; `blob` may be NULL only
/// with `blob_len` 0, `buf` only with `buf_len` 0 (a size query).
///
/// Thread-safety: `pointer` is immutable; any thread.
///
/// # Safety
///
/// `pointer` a live handle; `blob` valid for reads of `blob_len` bytes;
/// `buf` valid for writes of `buf_len` bytes; `out_len` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_decrypt(
    pointer: *const sw_attachment_pointer,
    blob: *const u8,
    blob_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let pointer = unsafe { handle_ref(pointer) }?;
        // SAFETY: the caller's contract.
        let (blob, buf) = unsafe { input_output(blob, blob_len, buf, buf_len) }?;
        let needed = blob
            .len()
            .checked_sub(SW_ATTACHMENT_OVERHEAD)
            .ok_or(sw_result::SW_ATTACHMENT_MISMATCH)?;
        if buf.len() < needed {
            written.set(needed);
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        }
        let plaintext = pointer.decrypt(blob)?;
        write_bytes(buf, &mut written, &plaintext)
    })
}

/// Frees an attachment pointer, zeroing its key. NULL is a no-op.
///
/// # Safety
///
/// `pointer` must be NULL or a live `sw_attachment_pointer` not used again
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_attachment_pointer_free(pointer: *mut sw_attachment_pointer) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(pointer) });
}
