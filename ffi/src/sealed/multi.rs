//! Group posts sealed for many recipients: seal, the relay's split, open,
//! and the opened post (`sw_unsealed_post`): its claimed sender and group,
//! and the verified receive.

use sealwire::Timestamp;
use sealwire::group::{GroupState, Receives};
use sealwire::sealed::{self, MultiRecipientMessage, UnsealedPost};

use super::envelope::{certificate, open_with, seal_into, sender_of};
use super::{sw_trusted_server_keys, sw_unsealed_post};
use crate::boundary::fail;
use crate::boundary::{
    Handle, free_handle, get_bytes, get_value, guard, guard_void, handle_mut, handle_ref,
    write_bytes,
};
use crate::devices::sw_device_list;
use crate::group::helpers::{PostFields, identity_keys, post_info};
use crate::group::{sw_channel_subscriber, sw_group, sw_group_received_info};
use crate::identity::sw_identity;
use crate::result::sw_result;
use crate::rng::{check_rng, sw_rng};
use crate::session::deliver;

/// Seals a group post (as `sw_group_post` wrote it) with the sender's
/// `certificate` for every device in `recipients` (their 32-byte identity
/// keys back to back: 1 to `SW_MAX_SEALED_RECIPIENTS` distinct keys, else
/// `SW_SEALED_INVALID_RECIPIENTS`), in one multi-recipient message for the
/// relay to split (SPEC.md §22.4): the certificate and post are encrypted
/// once, and each recipient gets the key wrapped for it. Nothing in it
/// names the sender.
///
/// Errors: `recipients_len` not a multiple of 32 `SW_INVALID_ARGUMENT`; an
/// invalid key, a malformed certificate or post their `SW_DECODE_*` code.
///
/// Ownership: the inputs are only read; `buf` belongs to the caller. The
/// message's length is known before anything is drawn: if `buf_len` is
/// shorter, nothing is drawn or written, `*out_len` receives the length
/// needed and the result is `SW_BUFFER_TOO_SMALL` (`buf` NULL with
/// `buf_len` 0 asks). `buf` must not overlap the inputs
/// (`SW_INVALID_ARGUMENT`).
///
/// NULL: `recipients` (unless `recipients_len` is 0), `certificate`, `post`
/// and `out_len` must not be NULL; `rng` NULL is the OS generator.
///
/// Thread-safety: `rng`, if given, is used by one thread at a time.
///
/// # Safety
///
/// `rng` NULL or a live handle; `recipients` valid for reads of
/// `recipients_len` bytes, `certificate` of `certificate_len` bytes,
/// `post` of `post_len` bytes; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sealed_seal_post(
    rng: *mut sw_rng,
    recipients: *const u8,
    recipients_len: usize,
    certificate: *const u8,
    certificate_len: usize,
    post: *const u8,
    post_len: usize,
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
                (recipients, recipients_len),
                (certificate, certificate_len),
                (post, post_len),
            ]
        )?;
        // SAFETY: the caller's contract.
        let recipients = unsafe { identity_keys(arg!(recipients, recipients_len)) }?;
        // SAFETY: the caller's contract.
        let certificate = unsafe { self::certificate(certificate, certificate_len) }?;
        non_null!(post)?;
        // SAFETY: the caller's contract.
        let post = unsafe { input!(post, post_len) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        let needed = sealed::multi_recipient_len(&recipients, &certificate, post)?;
        // SAFETY: the caller's contract.
        unsafe {
            seal_into(rng, buf, needed, &mut written, |r| {
                sealed::seal_post(r, &recipients, &certificate, post)
            })
        }
    })
}

/// The relay's side: parses a multi-recipient message (SPEC.md §22.4,
/// strictly: a malformed one is its `SW_DECODE_*` code; no key needed) and
/// stores how many recipients it names. Deliver part `i` (`0 <= i <
/// count`, `sw_multi_recipient_part`) to the device whose identity key is
/// recipient `i` (`sw_multi_recipient_recipient`).
///
/// NULL: `message` (unless `message_len` is 0) and `out_count` must not be
/// NULL.
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `message` valid for reads of `message_len` bytes; `out_count` valid for
/// one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_multi_recipient_count(
    message: *const u8,
    message_len: usize,
    out_count: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut count = unsafe { out!(out_count) }?;
        count.set(0);
        // SAFETY: the caller's contract.
        let message = unsafe { input!(message, message_len) }?;
        count.set(MultiRecipientMessage::parse(message)?.recipient_count());
        Ok(())
    })
}

/// The body of the exports that read recipient `index` of a
/// multi-recipient message.
///
/// # Safety
///
/// `message` valid for reads of `message_len` bytes; `buf` valid for
/// writes of `buf_len` bytes; `out_len` valid for one write.
unsafe fn recipient_entry(
    message: *const u8,
    message_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
    get: impl FnOnce(&MultiRecipientMessage<'_>) -> Option<Vec<u8>>,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let (message, buf) = unsafe { input_output!(message, message_len, buf, buf_len) }?;
        let parsed = MultiRecipientMessage::parse(message)?;
        let count = parsed.recipient_count();
        let bytes = get(&parsed).ok_or_else(|| {
            fail(
                sw_result::SW_INVALID_ARGUMENT,
                format_args!("index is past the message's {count} recipients"),
            )
        })?;
        write_bytes(buf, &mut written, &bytes)
    })
}

/// Writes the 32-byte identity key of recipient `index` of a
/// multi-recipient message (taken as 32 opaque bytes: look it up in the
/// relay's records; an unknown key is delivered to nobody). An `index` at
/// or past the count is `SW_INVALID_ARGUMENT`; a malformed message its
/// `SW_DECODE_*` code.
///
/// Ownership: `message` is only read; `buf` belongs to the caller;
/// `*out_len` receives 32, the length written or needed. `buf` must not
/// overlap `message` (`SW_INVALID_ARGUMENT`).
///
/// NULL: `message` (unless `message_len` is 0) and `out_len` must not be
/// NULL; `buf` may be NULL only with `buf_len` 0 (a size query).
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `message` valid for reads of `message_len` bytes; `buf` valid for writes
/// of `buf_len` bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_multi_recipient_recipient(
    message: *const u8,
    message_len: usize,
    index: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        recipient_entry(message, message_len, buf, buf_len, out_len, |m| {
            m.recipients().nth(index).map(|k| k.to_vec())
        })
    }
}

/// Writes the sealed post for recipient `index` of a multi-recipient
/// message: what the relay delivers to that device (its part and the
/// shared body). Each call parses the message again. An `index` at or past
/// the count is `SW_INVALID_ARGUMENT`; a malformed message its
/// `SW_DECODE_*` code.
///
/// Ownership: `message` is only read; `buf` belongs to the caller;
/// `*out_len` receives the part's length, written or needed (a size query:
/// `buf` NULL, `buf_len` 0). `buf` must not overlap `message`
/// (`SW_INVALID_ARGUMENT`).
///
/// NULL: `message` (unless `message_len` is 0) and `out_len` must not be
/// NULL; `buf` may be NULL only with `buf_len` 0.
///
/// Thread-safety: thread-safe.
///
/// # Safety
///
/// `message` valid for reads of `message_len` bytes; `buf` valid for writes
/// of `buf_len` bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_multi_recipient_part(
    message: *const u8,
    message_len: usize,
    index: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        recipient_entry(message, message_len, buf, buf_len, out_len, |m| {
            m.message_for(index)
        })
    }
}

/// Opens a sealed post (one recipient's part of a multi-recipient message)
/// with our identity (SPEC.md §22.4, §22.5 steps 1–3): parses it
/// (`SW_DECODE_*`), decrypts it (`SW_SEALED_AUTHENTICATION_FAILED`, one code
/// for a part of another device, altered, or not matching the message's
/// other parts), and parses the certificate and post (`SW_DECODE_*`).
/// Nothing about the sender is verified yet and no state is read or
/// changed: read the claimed sender and group
/// (`sw_unsealed_post_sender`, `_group_id`), then verify and receive with
/// `sw_unsealed_post_receive`.
///
/// Ownership: `part` is only read. On `SW_OK`, `*out_post` is a new handle
/// the caller frees with `sw_unsealed_post_free`; on error it is set to
/// NULL.
///
/// NULL: `identity`, `part` (unless `part_len` is 0) and `out_post` must
/// not be NULL.
///
/// Thread-safety: `identity` is only read; any thread.
///
/// # Safety
///
/// `identity` a live handle; `part` valid for reads of `part_len` bytes;
/// `out_post` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_sealed_open_post(
    identity: *const sw_identity,
    part: *const u8,
    part_len: usize,
    out_post: *mut *mut sw_unsealed_post,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { open_with(identity, part, part_len, out_post, sealed::open_post) }
}

/// As `sw_unsealed_sender`, for an opened post: who its certificate says
/// sent it (**not verified**: use it only to find that user's
/// `sw_device_list`, to pass to `sw_unsealed_post_receive`).
///
/// # Safety
///
/// `post` a live handle; `user` valid for writes of `user_cap` bytes;
/// `out_user_len` and `out_device_id` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_unsealed_post_sender(
    post: *const sw_unsealed_post,
    user: *mut u8,
    user_cap: usize,
    out_user_len: *mut usize,
    out_device_id: *mut u32,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        sender_of(
            post,
            UnsealedPost::sender,
            user,
            user_cap,
            out_user_len,
            out_device_id,
        )
    }
}

/// Writes the 16-byte id of the group the post names (to find the group to
/// pass to `sw_unsealed_post_receive`; not verified until then).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives 16, the
/// length written or needed.
///
/// NULL: `post` and `out_len` must not be NULL; `buf` may be NULL only with
/// `buf_len` 0 (a size query).
///
/// # Safety
///
/// `post` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_unsealed_post_group_id(
    post: *const sw_unsealed_post,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        get_bytes(post, buf, buf_len, out_len, |p: &UnsealedPost| {
            *p.group_id().as_bytes()
        })
    }
}

/// Stores the length of the group post: the plaintext buffer of
/// `sw_unsealed_post_receive` must hold that many bytes (the sealed post's
/// length always suffices).
///
/// NULL: `post` and `out_len` must not be NULL.
///
/// # Safety
///
/// `post` a live handle; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_unsealed_post_len(
    post: *const sw_unsealed_post,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { get_value(post, named!(out_len), |p: &UnsealedPost| p.post().len()) }
}

/// The body of `sw_unsealed_post_receive` and `_receive_channel`.
///
/// # Safety
///
/// `post` and `devices` live handles; `trusted` and `receiver` live handles
/// used by no other thread; `plaintext` valid for writes of
/// `plaintext_cap` bytes; `out_plaintext_len` and `out_info` valid for one
/// write.
#[allow(clippy::too_many_arguments)]
unsafe fn receive<H, R>(
    post: *const sw_unsealed_post,
    now_ms: u64,
    trusted: *mut sw_trusted_server_keys,
    devices: *const sw_device_list,
    receiver: *mut H,
    plaintext: *mut u8,
    plaintext_cap: usize,
    out_plaintext_len: *mut usize,
    out_info: *mut sw_group_received_info,
) -> sw_result
where
    H: Handle<Inner = GroupState<R>>,
    R: Receives,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_plaintext_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let mut out_info = unsafe { out!(out_info) }?;
        // SAFETY: the caller's contract. Every handle below is of another
        // type: one pointer passed as two fails a tag check, so the
        // references never alias.
        let post = unsafe { handle_ref(post) }?;
        // SAFETY: as above.
        let trusted = unsafe { handle_mut(trusted) }?;
        // SAFETY: as above.
        let devices = unsafe { handle_ref(devices) }?;
        // SAFETY: as above.
        let receiver = unsafe { handle_mut(receiver) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(plaintext, plaintext_cap) }?;
        let needed = post.post().len();
        let Some(buf) = buf.get_mut(..needed) else {
            written.set(needed);
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        };
        let now = Timestamp::from_unix_millis(now_ms);
        let (_, r) = post.receive(now, trusted, devices, receiver)?;
        let (meta, erase) = post_info(&PostFields::from(&r));
        let n = deliver(buf, &r.plaintext, erase)?;
        written.set(n);
        out_info.set(meta);
        Ok(())
    })
}

/// Verifies the sender and receives the post into `group` (SPEC.md §22.5
/// steps 4–6), in this order: the certificate at `now_ms` against
/// `trusted` (as in `sw_unsealed_decrypt`); the certificate's device in
/// `devices` (the list of the user `sw_unsealed_post_sender` names) with
/// the certificate's identity key as its confirmed key
/// (`SW_SEALED_SENDER_MISMATCH`); then the post, as `sw_group_receive_post`
/// receives it, which must verify as a post of that identity (a post signed
/// under another member's chain `SW_SEALED_SENDER_MISMATCH`, before
/// anything is decrypted; any other refusal that function's code).
///
/// On `SW_OK` the sender is the one `sw_unsealed_post_sender` wrote, now
/// verified, and `*out_plaintext_len`, `*out_info` are as from
/// `sw_group_receive_post`. On every error nothing changed and `plaintext`
/// is not written.
///
/// Ownership: `post` and `devices` are only read; `trusted` and `group` are
/// read and updated (save `group` afterwards). `plaintext` belongs to the
/// caller and must hold `sw_unsealed_post_len` bytes: else nothing happens,
/// `*out_plaintext_len` receives that length and the result is
/// `SW_BUFFER_TOO_SMALL`.
///
/// NULL: every pointer must be non-NULL, except `plaintext` with
/// `plaintext_cap` 0 (a size query).
///
/// Thread-safety: changes `trusted` and `group`: one thread at a time.
///
/// # Safety
///
/// `post` and `devices` live handles; `trusted` and `group` live handles
/// used by no other thread; `plaintext` valid for writes of `plaintext_cap`
/// bytes; `out_plaintext_len` and `out_info` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_unsealed_post_receive(
    post: *const sw_unsealed_post,
    now_ms: u64,
    trusted: *mut sw_trusted_server_keys,
    devices: *const sw_device_list,
    group: *mut sw_group,
    plaintext: *mut u8,
    plaintext_cap: usize,
    out_plaintext_len: *mut usize,
    out_info: *mut sw_group_received_info,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        receive(
            post,
            now_ms,
            trusted,
            devices,
            group,
            plaintext,
            plaintext_cap,
            out_plaintext_len,
            out_info,
        )
    }
}

/// As `sw_unsealed_post_receive`, for a post of a broadcast channel
/// received by a subscriber (the certificate must be the owner's: a post
/// of another identity is `SW_SEALED_SENDER_MISMATCH`).
///
/// # Safety
///
/// As `sw_unsealed_post_receive`, with `subscriber` for `group`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_unsealed_post_receive_channel(
    post: *const sw_unsealed_post,
    now_ms: u64,
    trusted: *mut sw_trusted_server_keys,
    devices: *const sw_device_list,
    subscriber: *mut sw_channel_subscriber,
    plaintext: *mut u8,
    plaintext_cap: usize,
    out_plaintext_len: *mut usize,
    out_info: *mut sw_group_received_info,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        receive(
            post,
            now_ms,
            trusted,
            devices,
            subscriber,
            plaintext,
            plaintext_cap,
            out_plaintext_len,
            out_info,
        )
    }
}

/// Frees an opened post. NULL is a no-op.
///
/// # Safety
///
/// `post` must be NULL or a live `sw_unsealed_post` not used again
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_unsealed_post_free(post: *mut sw_unsealed_post) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(post) });
}
