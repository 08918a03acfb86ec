//! `sw_channel_owner`.

use sealwire::Timestamp;
use sealwire::group::ChannelOwner;

use super::helpers::{distribution_handle, identity_key, identity_keys, parse_group_id};
use super::posting::{
    add, current_holder_count, current_holders, post, post_len, remove, rotate,
    set_rotation_policy, set_timer,
};
use super::receiving::get_timer;
use super::{sw_channel_owner, sw_distribution};
use crate::boundary::{clear_handle, free_handle, guard, guard_void, new_handle};
use crate::persist::{load, load_sealed, load_sealed_legacy, save, save_sealed, sw_blob_address};
use crate::result::sw_result;
use crate::rng::{check_rng, sw_rng, with_rng};
use crate::session::sw_timer;

/// Creates a broadcast channel: draws the owner's chain and returns it for
/// every subscriber, as `sw_group_create` does for a group (`subscribers`:
/// 32-byte identity keys back to back, may be empty).
///
/// Ownership: as `sw_group_create`; `*out_owner` is freed with
/// `sw_channel_owner_free`.
///
/// NULL: as `sw_group_create`.
///
/// # Safety
///
/// As `sw_group_create`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_create(
    rng: *mut sw_rng,
    now_ms: u64,
    group_id: *const u8,
    group_id_len: usize,
    me: *const u8,
    me_len: usize,
    subscribers: *const u8,
    subscribers_len: usize,
    out_owner: *mut *mut sw_channel_owner,
    out_distribution: *mut *mut sw_distribution,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_owner = unsafe { out!(out_owner) }?;
        clear_handle(&mut out_owner);
        // SAFETY: the caller's contract.
        let mut out_distribution = unsafe { out!(out_distribution) }?;
        clear_handle(&mut out_distribution);
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let id = unsafe { parse_group_id(arg!(group_id, group_id_len)) }?;
        // SAFETY: the caller's contract.
        let me = unsafe { identity_key(arg!(me, me_len)) }?;
        // SAFETY: the caller's contract.
        let subscribers = unsafe { identity_keys(arg!(subscribers, subscribers_len)) }?;
        let now = Timestamp::from_unix_millis(now_ms);
        // SAFETY: the caller's contract.
        let (owner, d) = unsafe {
            with_rng(rng, |r| {
                Ok(ChannelOwner::create_with_id(r, now, id, me, &subscribers)?)
            })
        }?;
        out_owner.set(new_handle::<sw_channel_owner>(owner));
        out_distribution.set(distribution_handle(d));
        Ok(())
    })
}

/// As `sw_group_add_member`, for a channel subscriber.
///
/// # Safety
///
/// As `sw_group_add_member`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_add_subscriber(
    owner: *mut sw_channel_owner,
    subscriber: *const u8,
    subscriber_len: usize,
    out_distribution: *mut *mut sw_distribution,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { add(owner, subscriber, subscriber_len, out_distribution) }
}

/// As `sw_group_remove_member`, for a channel subscriber: rotates the chain
/// and returns it for every remaining subscriber (NULL when none is left);
/// the removed subscriber can read nothing posted after this.
///
/// # Safety
///
/// As `sw_group_remove_member`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_remove_subscriber(
    rng: *mut sw_rng,
    owner: *mut sw_channel_owner,
    now_ms: u64,
    subscriber: *const u8,
    subscriber_len: usize,
    out_distribution: *mut *mut sw_distribution,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        remove(
            owner,
            rng,
            now_ms,
            subscriber,
            subscriber_len,
            out_distribution,
        )
    }
}

/// As `sw_group_post_len`, for a channel.
///
/// # Safety
///
/// As `sw_group_post_len`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_post_len(
    owner: *const sw_channel_owner,
    body_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { post_len(owner, body_len, out_len) }
}

/// As `sw_group_post`, for a channel (the post goes to every subscriber).
///
/// # Safety
///
/// As `sw_group_post`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_post(
    rng: *mut sw_rng,
    owner: *mut sw_channel_owner,
    now_ms: u64,
    content_type: u32,
    body: *const u8,
    body_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
    out_rotation: *mut *mut sw_distribution,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        post(
            owner,
            rng,
            now_ms,
            content_type,
            body,
            body_len,
            buf,
            buf_len,
            out_len,
            out_rotation,
        )
    }
}

/// As `sw_group_set_timer`, for a channel.
///
/// # Safety
///
/// As `sw_group_set_timer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_set_timer(
    rng: *mut sw_rng,
    owner: *mut sw_channel_owner,
    now_ms: u64,
    mode: u32,
    ttl_secs: u32,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
    out_rotation: *mut *mut sw_distribution,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        set_timer(
            owner,
            rng,
            now_ms,
            mode,
            ttl_secs,
            buf,
            buf_len,
            out_len,
            out_rotation,
        )
    }
}

/// As `sw_group_timer`, for a channel owner.
///
/// # Safety
///
/// As `sw_group_timer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_timer(
    owner: *const sw_channel_owner,
    out_timer: *mut sw_timer,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { get_timer(owner, ChannelOwner::timer, out_timer) }
}

/// As `sw_group_rotate`, for a channel.
///
/// # Safety
///
/// As `sw_group_rotate`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_rotate(
    rng: *mut sw_rng,
    owner: *mut sw_channel_owner,
    now_ms: u64,
    out_distribution: *mut *mut sw_distribution,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { rotate(owner, rng, now_ms, out_distribution) }
}

/// As `sw_group_set_rotation_policy`, for a channel.
///
/// # Safety
///
/// As `sw_group_set_rotation_policy`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_set_rotation_policy(
    owner: *mut sw_channel_owner,
    max_posts: u32,
    max_age_ms: u64,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { set_rotation_policy(owner, max_posts, max_age_ms) }
}

/// As `sw_group_current_holder_count`: the subscribers who hold the current
/// chain.
///
/// # Safety
///
/// As `sw_group_current_holder_count`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_current_holder_count(
    owner: *const sw_channel_owner,
    out_count: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { current_holder_count(owner, out_count) }
}

/// As `sw_group_current_holders`, for a channel.
///
/// # Safety
///
/// As `sw_group_current_holders`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_current_holders(
    owner: *const sw_channel_owner,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { current_holders(owner, buf, buf_len, out_len) }
}

/// Frees a channel owner, zeroing its keys. NULL is a no-op.
///
/// # Safety
///
/// `owner` must be NULL or a live `sw_channel_owner` not used again
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_free(owner: *mut sw_channel_owner) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(owner) });
}

/// As `sw_identity_save`, for a channel owner.
///
/// # Safety
///
/// As `sw_identity_save`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_save(
    owner: *const sw_channel_owner,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { save::<sw_channel_owner>(owner, buf, buf_len, out_len) }
}

/// As `sw_identity_load`, for a channel owner (freed with
/// `sw_channel_owner_free`). Another role's blob is `SW_STATE_MALFORMED`.
///
/// # Safety
///
/// As `sw_identity_load`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_load(
    bytes: *const u8,
    len: usize,
    out_owner: *mut *mut sw_channel_owner,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load::<sw_channel_owner>(bytes, len, out_owner) }
}

/// As `sw_identity_save_sealed`, for a channel owner.
///
/// # Safety
///
/// As `sw_identity_save_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_save_sealed(
    rng: *mut sw_rng,
    owner: *const sw_channel_owner,
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        save_sealed::<sw_channel_owner>(owner, key, key_len, address, rng, buf, buf_len, out_len)
    }
}

/// As `sw_identity_load_sealed`, for a channel owner (freed with
/// `sw_channel_owner_free`).
///
/// # Safety
///
/// As `sw_identity_load_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_load_sealed(
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    bytes: *const u8,
    len: usize,
    out_owner: *mut *mut sw_channel_owner,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed::<sw_channel_owner>(key, key_len, address, bytes, len, out_owner) }
}

/// Loads a legacy sealed blob (written before sealed blobs were bound to
/// their address, SPEC.md §18.8), for a one-time migration: load it, save
/// it again with `sw_channel_owner_save_sealed` and its address, replace it. A
/// bound blob is `SW_STATE_ADDRESS_BOUND`.
///
/// Ownership and NULL: as `sw_channel_owner_load_sealed`, without the address.
///
/// # Safety
///
/// `key` valid for reads of `key_len` bytes; `bytes` valid for reads of
/// `len` bytes; `out_owner` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_owner_load_sealed_legacy(
    key: *const u8,
    key_len: usize,
    bytes: *const u8,
    len: usize,
    out_owner: *mut *mut sw_channel_owner,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed_legacy::<sw_channel_owner>(key, key_len, bytes, len, out_owner) }
}
