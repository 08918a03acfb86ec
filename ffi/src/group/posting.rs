//! The generic bodies of the exports of the posting roles (group members
//! and channel owners).

use sealwire::Timestamp;
use sealwire::group::{GroupState, Posts, RotationPolicy};
use sealwire::limits::MAX_BODY_LEN;

use super::helpers::{distribution_handle, identity_key, write_keys};
use super::sw_distribution;
use crate::boundary::{
    Handle, clear_handle, get_value, guard, handle_mut, handle_ref, write_bytes,
};
use crate::result::sw_result;
use crate::rng::{check_rng, sw_rng, with_rng};
use crate::session::{sendable_content_type, timer_policy};

/// `*_post_len`.
///
/// # Safety
///
/// `handle` a live handle; `out_len` valid for one write.
pub(super) unsafe fn post_len<H, R>(
    handle: *const H,
    body_len: usize,
    out_len: *mut usize,
) -> sw_result
where
    H: Handle<Inner = GroupState<R>>,
    R: Posts,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut len = unsafe { out!(out_len) }?;
        len.set(0);
        // SAFETY: the caller's contract.
        let poster = unsafe { handle_ref(handle) }?;
        len.set(poster.post_len(body_len));
        Ok(())
    })
}

/// `*_post`.
///
/// # Safety
///
/// `handle` a live handle used by no other thread; `rng` NULL or a live
/// handle; `body` valid for reads of `body_len` bytes; `buf` valid for
/// writes of `buf_len` bytes; `out_len` and `out_rotation` valid for one
/// write.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn post<H, R>(
    handle: *mut H,
    rng: *mut sw_rng,
    now_ms: u64,
    content_type: u32,
    body: *const u8,
    body_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
    out_rotation: *mut *mut sw_distribution,
) -> sw_result
where
    H: Handle<Inner = GroupState<R>>,
    R: Posts,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let mut rotation = unsafe { out!(out_rotation) }?;
        clear_handle(&mut rotation);
        // SAFETY: the caller's contract.
        let poster = unsafe { handle_mut(handle) }?;
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let (body, buf) = unsafe { input_output!(body, body_len, buf, buf_len) }?;
        let content_type = sendable_content_type(content_type)?;
        if body.len() > MAX_BODY_LEN {
            return Err(sw_result::SW_GROUP_MESSAGE_TOO_LARGE);
        }
        let needed = poster.post_len(body.len());
        let Some(buf) = buf.get_mut(..needed) else {
            written.set(needed);
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        };
        let now = Timestamp::from_unix_millis(now_ms);
        // SAFETY: the caller's contract.
        let (n, dist) = unsafe {
            with_rng(rng, |r| {
                Ok(poster.post_into(r, now, content_type, body, buf)?)
            })
        }?;
        written.set(n);
        if let Some(d) = dist {
            rotation.set(distribution_handle(d));
        }
        Ok(())
    })
}

/// `*_set_timer`.
///
/// # Safety
///
/// As [`post`], without the body.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn set_timer<H, R>(
    handle: *mut H,
    rng: *mut sw_rng,
    now_ms: u64,
    mode: u32,
    ttl_secs: u32,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
    out_rotation: *mut *mut sw_distribution,
) -> sw_result
where
    H: Handle<Inner = GroupState<R>>,
    R: Posts,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let mut rotation = unsafe { out!(out_rotation) }?;
        clear_handle(&mut rotation);
        // SAFETY: the caller's contract.
        let poster = unsafe { handle_mut(handle) }?;
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        let policy = timer_policy(mode, ttl_secs)?;
        // The post's length is known only once it is made: make it on a
        // copy, and keep the copy only if the post fits.
        let mut next = poster.clone();
        let now = Timestamp::from_unix_millis(now_ms);
        // SAFETY: the caller's contract.
        let made = unsafe { with_rng(rng, |r| Ok(next.set_timer(r, now, policy)?.0)) }?;
        write_bytes(buf, &mut written, &made.bytes)?;
        *poster = next;
        if let Some(d) = made.rotation {
            rotation.set(distribution_handle(d));
        }
        Ok(())
    })
}

/// `*_rotate`.
///
/// # Safety
///
/// `handle` a live handle used by no other thread; `rng` NULL or a live
/// handle; `out_distribution` valid for one write.
pub(super) unsafe fn rotate<H, R>(
    handle: *mut H,
    rng: *mut sw_rng,
    now_ms: u64,
    out_distribution: *mut *mut sw_distribution,
) -> sw_result
where
    H: Handle<Inner = GroupState<R>>,
    R: Posts,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_distribution = unsafe { out!(out_distribution) }?;
        clear_handle(&mut out_distribution);
        // SAFETY: the caller's contract.
        let poster = unsafe { handle_mut(handle) }?;
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        let now = Timestamp::from_unix_millis(now_ms);
        // SAFETY: the caller's contract.
        let d = unsafe { with_rng(rng, |r| Ok(poster.rotate(r, now))) }?;
        out_distribution.set(distribution_handle(d));
        Ok(())
    })
}

/// `*_set_rotation_policy`.
///
/// # Safety
///
/// `handle` a live handle used by no other thread.
pub(super) unsafe fn set_rotation_policy<H, R>(
    handle: *mut H,
    max_posts: u32,
    max_age_ms: u64,
) -> sw_result
where
    H: Handle<Inner = GroupState<R>>,
    R: Posts,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let poster = unsafe { handle_mut(handle) }?;
        poster.set_rotation_policy(RotationPolicy::new(max_posts, max_age_ms)?);
        Ok(())
    })
}

/// `*_current_holder_count`.
///
/// # Safety
///
/// `handle` a live handle; `out_count` valid for one write.
pub(super) unsafe fn current_holder_count<H, R>(
    handle: *const H,
    out_count: *mut usize,
) -> sw_result
where
    H: Handle<Inner = GroupState<R>>,
    R: Posts,
{
    // SAFETY: the caller's contract, passed on.
    unsafe {
        get_value(handle, named!(out_count), |p: &H::Inner| {
            p.current_holders().len()
        })
    }
}

/// `*_current_holders`.
///
/// # Safety
///
/// `handle` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
pub(super) unsafe fn current_holders<H, R>(
    handle: *const H,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result
where
    H: Handle<Inner = GroupState<R>>,
    R: Posts,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let poster = unsafe { handle_ref(handle) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        write_keys(buf, &mut written, &poster.current_holders())
    })
}

/// `*_add_member` / `*_add_subscriber`.
///
/// # Safety
///
/// `handle` a live handle used by no other thread; `member` valid for reads
/// of `member_len` bytes; `out_distribution` valid for one write.
pub(super) unsafe fn add<H, R>(
    handle: *mut H,
    member: *const u8,
    member_len: usize,
    out_distribution: *mut *mut sw_distribution,
) -> sw_result
where
    H: Handle<Inner = GroupState<R>>,
    R: Posts,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_distribution = unsafe { out!(out_distribution) }?;
        clear_handle(&mut out_distribution);
        // SAFETY: the caller's contract.
        let poster = unsafe { handle_mut(handle) }?;
        // SAFETY: the caller's contract.
        let who = unsafe { identity_key(arg!(member, member_len)) }?;
        let d = poster.add_member(who)?;
        out_distribution.set(distribution_handle(d));
        Ok(())
    })
}

/// `*_remove_member` / `*_remove_subscriber`.
///
/// # Safety
///
/// As [`add`]; `rng` NULL or a live handle.
pub(super) unsafe fn remove<H, R>(
    handle: *mut H,
    rng: *mut sw_rng,
    now_ms: u64,
    member: *const u8,
    member_len: usize,
    out_distribution: *mut *mut sw_distribution,
) -> sw_result
where
    H: Handle<Inner = GroupState<R>>,
    R: Posts,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_distribution = unsafe { out!(out_distribution) }?;
        clear_handle(&mut out_distribution);
        // SAFETY: the caller's contract.
        let poster = unsafe { handle_mut(handle) }?;
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let who = unsafe { identity_key(arg!(member, member_len)) }?;
        let now = Timestamp::from_unix_millis(now_ms);
        // SAFETY: the caller's contract.
        let d = unsafe { with_rng(rng, |r| Ok(poster.remove_member(r, now, &who)?)) }?;
        out_distribution.set(distribution_handle(d));
        Ok(())
    })
}
