//! The generic bodies of the exports of the receiving roles (group members
//! and channel subscribers), and of `*_timer`.

use sealwire::Timestamp;
use sealwire::expiry::ConversationTimer;
use sealwire::group::{GroupState, Receives};

use super::helpers::group_info;
use super::sw_group_received_info;
use crate::boundary::{Handle, Result, get_optional, get_value, guard, handle_mut, handle_ref};
use crate::result::sw_result;
use crate::session::{TIMER_OFF, compact_body, sw_session, sw_timer, timer};

/// `*_receive_post`.
///
/// # Safety
///
/// `handle` a live handle used by no other thread; `post` valid for reads
/// of `post_len` bytes; `plaintext` valid for writes of `plaintext_cap`
/// bytes; `out_plaintext_len` and `out_info` valid for one write.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn receive_post<H, R>(
    handle: *mut H,
    now_ms: u64,
    post: *const u8,
    post_len: usize,
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
        // SAFETY: the caller's contract.
        let receiver = unsafe { handle_mut(handle) }?;
        // SAFETY: the caller's contract.
        let (post, buf) = unsafe { input_output!(post, post_len, plaintext, plaintext_cap) }?;
        let Some(buf) = buf.get_mut(..post.len()) else {
            written.set(post.len());
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        };
        buf.copy_from_slice(post);
        let now = Timestamp::from_unix_millis(now_ms);
        match receive_into(receiver, now, buf) {
            Ok((n, meta)) => {
                written.set(n);
                out_info.set(meta);
                Ok(())
            }
            Err(e) => {
                buf.fill(0);
                Err(e)
            }
        }
    })
}

/// Receives the post held in `buf` in place, moves its body to the front
/// of `buf` and zeroes the rest; returns the body's length and metadata.
fn receive_into<R: Receives>(
    receiver: &mut GroupState<R>,
    now: Timestamp,
    buf: &mut [u8],
) -> Result<(usize, sw_group_received_info)> {
    let base = buf.as_ptr().addr();
    let (meta, erase, start, len) = {
        let r = receiver.receive_post_in_place(now, buf)?;
        // The body is a part of `buf`, or empty.
        let start = if r.body.is_empty() {
            0
        } else {
            r.body
                .as_ptr()
                .addr()
                .checked_sub(base)
                .ok_or(sw_result::SW_INTERNAL)?
        };
        let (meta, erase) = group_info(&r);
        (meta, erase, start, r.body.len())
    };
    Ok((compact_body(buf, start, len, erase)?, meta))
}

/// `*_accept_distribution`: takes the session's pending distribution
/// (the decrypted message, with its authenticated sender) into the group,
/// through the library's `accept_distribution`. The pending distribution
/// is taken only on success: on error the group and the session are as
/// they were.
///
/// # Safety
///
/// `handle` and `session` live handles used by no other thread; `out_new`
/// valid for one write.
pub(super) unsafe fn accept_distribution<H, R>(
    handle: *mut H,
    session: *mut sw_session,
    now_ms: u64,
    out_new: *mut bool,
) -> sw_result
where
    H: Handle<Inner = GroupState<R>>,
    R: Receives,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut new = unsafe { out!(out_new) }?;
        new.set(false);
        // SAFETY: the caller's contract. The two handles are of different
        // types: one pointer passed as both fails one of the tag checks, so
        // the two references never alias.
        let receiver = unsafe { handle_mut(handle) }?;
        // SAFETY: as above.
        let session = unsafe { handle_mut(session) }?;
        let received = session
            .distribution
            .as_ref()
            .ok_or(sw_result::SW_GROUP_NO_DISTRIBUTION)?;
        let now = Timestamp::from_unix_millis(now_ms);
        let fresh = receiver.accept_distribution(now, received)?;
        // Taken (and zeroed) only now that the group holds the chain.
        session.distribution = None;
        new.set(fresh);
        Ok(())
    })
}

/// `*_erase_expired_keys`.
///
/// # Safety
///
/// `handle` a live handle used by no other thread.
pub(super) unsafe fn erase_expired_keys<H, R>(handle: *mut H, now_ms: u64) -> sw_result
where
    H: Handle<Inner = GroupState<R>>,
    R: Receives,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let receiver = unsafe { handle_mut(handle) }?;
        receiver.erase_expired_keys(Timestamp::from_unix_millis(now_ms));
        Ok(())
    })
}

/// `*_next_key_erasure`.
///
/// # Safety
///
/// `handle` a live handle; `out_present` and `out_ms` valid for one write.
pub(super) unsafe fn next_key_erasure<H, R>(
    handle: *const H,
    out_present: *mut bool,
    out_ms: *mut u64,
) -> sw_result
where
    H: Handle<Inner = GroupState<R>>,
    R: Receives,
{
    // SAFETY: the caller's contract, passed on.
    unsafe {
        get_optional(
            handle,
            named!(out_present),
            named!(out_ms),
            |r: &H::Inner| r.next_key_erasure().map(|t| t.as_unix_millis()),
        )
    }
}

/// `*_set_max_skipped_key_age`.
///
/// # Safety
///
/// `handle` a live handle used by no other thread.
pub(super) unsafe fn set_max_skipped_key_age<H, R>(
    handle: *mut H,
    now_ms: u64,
    max_age_ms: u64,
) -> sw_result
where
    H: Handle<Inner = GroupState<R>>,
    R: Receives,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let receiver = unsafe { handle_mut(handle) }?;
        receiver.set_max_skipped_key_age(Timestamp::from_unix_millis(now_ms), max_age_ms);
        Ok(())
    })
}

/// `*_skipped_key_count`.
///
/// # Safety
///
/// `handle` a live handle; `out_count` valid for one write.
pub(super) unsafe fn skipped_key_count<H, R>(handle: *const H, out_count: *mut usize) -> sw_result
where
    H: Handle<Inner = GroupState<R>>,
    R: Receives,
{
    // SAFETY: the caller's contract, passed on.
    unsafe {
        get_value(handle, named!(out_count), |r: &H::Inner| {
            r.skipped_key_count()
        })
    }
}

/// `*_timer`.
///
/// # Safety
///
/// `handle` a live handle; `out_timer` valid for one write.
pub(super) unsafe fn get_timer<H: Handle>(
    handle: *const H,
    timer_of: impl FnOnce(&H::Inner) -> ConversationTimer,
    out_timer: *mut sw_timer,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_timer = unsafe { out!(out_timer) }?;
        out_timer.set(TIMER_OFF);
        // SAFETY: the caller's contract.
        let value = unsafe { handle_ref(handle) }?;
        out_timer.set(timer(timer_of(value)));
        Ok(())
    })
}
