//! `sw_channel_subscriber`.

use sealwire::group::ChannelSubscriber;

use super::helpers::{identity_key, parse_group_id};
use super::receiving::{
    accept_distribution, erase_expired_keys, get_timer, next_key_erasure, receive_post,
    set_max_skipped_key_age, skipped_key_count,
};
use super::{sw_channel_subscriber, sw_group_received_info};
use crate::boundary::{clear_handle, free_handle, guard, guard_void, new_handle};
use crate::persist::{load, load_sealed, load_sealed_legacy, save, save_sealed, sw_blob_address};
use crate::result::sw_result;
use crate::rng::sw_rng;
use crate::session::{sw_session, sw_timer};

/// Our side of the channel `group_id` owned by `owner` (32-byte identity
/// key): accepts distributions from the owner only, holds no chain until
/// the owner's first distribution is accepted. `me` is our 32-byte public
/// identity key.
///
/// Ownership: the inputs are only read. On `SW_OK`, `*out_subscriber` is a
/// new handle the caller frees with `sw_channel_subscriber_free`; on error
/// it is set to NULL.
///
/// NULL: every pointer must be non-NULL.
///
/// # Safety
///
/// `group_id`, `me` and `owner` valid for reads of their lengths;
/// `out_subscriber` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_subscriber_new(
    group_id: *const u8,
    group_id_len: usize,
    me: *const u8,
    me_len: usize,
    owner: *const u8,
    owner_len: usize,
    out_subscriber: *mut *mut sw_channel_subscriber,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_subscriber = unsafe { out!(out_subscriber) }?;
        clear_handle(&mut out_subscriber);
        // SAFETY: the caller's contract.
        let id = unsafe { parse_group_id(arg!(group_id, group_id_len)) }?;
        // SAFETY: the caller's contract.
        let me = unsafe { identity_key(arg!(me, me_len)) }?;
        // SAFETY: the caller's contract.
        let owner = unsafe { identity_key(arg!(owner, owner_len)) }?;
        out_subscriber.set(new_handle::<sw_channel_subscriber>(ChannelSubscriber::new(
            id, me, owner,
        )));
        Ok(())
    })
}

/// As `sw_group_receive_post`, for a channel's posts.
///
/// # Safety
///
/// As `sw_group_receive_post`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_subscriber_receive_post(
    subscriber: *mut sw_channel_subscriber,
    now_ms: u64,
    post: *const u8,
    post_len: usize,
    plaintext: *mut u8,
    plaintext_cap: usize,
    out_plaintext_len: *mut usize,
    out_info: *mut sw_group_received_info,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        receive_post(
            subscriber,
            now_ms,
            post,
            post_len,
            plaintext,
            plaintext_cap,
            out_plaintext_len,
            out_info,
        )
    }
}

/// As `sw_group_accept_distribution`, for the channel owner's
/// distributions: takes the one pending in `session`, the 1:1 session with
/// the owner (from anyone else: `SW_GROUP_NOT_A_MEMBER`; a group's:
/// `SW_GROUP_MODE_MISMATCH`; none pending: `SW_GROUP_NO_DISTRIBUTION`).
///
/// # Safety
///
/// As `sw_group_accept_distribution`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_subscriber_accept_distribution(
    subscriber: *mut sw_channel_subscriber,
    session: *mut sw_session,
    now_ms: u64,
    out_new: *mut bool,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { accept_distribution(subscriber, session, now_ms, out_new) }
}

/// As `sw_group_erase_expired_keys`, for a channel subscriber (the owner's
/// skipped post keys and superseded chains).
///
/// # Safety
///
/// As `sw_group_erase_expired_keys`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_subscriber_erase_expired_keys(
    subscriber: *mut sw_channel_subscriber,
    now_ms: u64,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { erase_expired_keys(subscriber, now_ms) }
}

/// As `sw_group_next_key_erasure`, for a channel subscriber.
///
/// # Safety
///
/// As `sw_group_next_key_erasure`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_subscriber_next_key_erasure(
    subscriber: *const sw_channel_subscriber,
    out_present: *mut bool,
    out_ms: *mut u64,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { next_key_erasure(subscriber, out_present, out_ms) }
}

/// As `sw_group_set_max_skipped_key_age`, for a channel subscriber.
///
/// # Safety
///
/// As `sw_group_set_max_skipped_key_age`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_subscriber_set_max_skipped_key_age(
    subscriber: *mut sw_channel_subscriber,
    now_ms: u64,
    max_age_ms: u64,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { set_max_skipped_key_age(subscriber, now_ms, max_age_ms) }
}

/// As `sw_group_skipped_key_count`, for a channel subscriber.
///
/// # Safety
///
/// As `sw_group_skipped_key_count`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_subscriber_skipped_key_count(
    subscriber: *const sw_channel_subscriber,
    out_count: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { skipped_key_count(subscriber, out_count) }
}

/// As `sw_group_timer`, for a channel subscriber (the owner's last timer
/// change received).
///
/// # Safety
///
/// As `sw_group_timer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_subscriber_timer(
    subscriber: *const sw_channel_subscriber,
    out_timer: *mut sw_timer,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { get_timer(subscriber, ChannelSubscriber::timer, out_timer) }
}

/// Frees a channel subscriber, zeroing its keys. NULL is a no-op.
///
/// # Safety
///
/// `subscriber` must be NULL or a live `sw_channel_subscriber` not used
/// again afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_subscriber_free(subscriber: *mut sw_channel_subscriber) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(subscriber) });
}

/// As `sw_identity_save`, for a channel subscriber.
///
/// # Safety
///
/// As `sw_identity_save`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_subscriber_save(
    subscriber: *const sw_channel_subscriber,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { save::<sw_channel_subscriber>(subscriber, buf, buf_len, out_len) }
}

/// As `sw_identity_load`, for a channel subscriber (freed with
/// `sw_channel_subscriber_free`). Another role's blob is
/// `SW_STATE_MALFORMED`.
///
/// # Safety
///
/// As `sw_identity_load`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_subscriber_load(
    bytes: *const u8,
    len: usize,
    out_subscriber: *mut *mut sw_channel_subscriber,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load::<sw_channel_subscriber>(bytes, len, out_subscriber) }
}

/// As `sw_identity_save_sealed`, for a channel subscriber.
///
/// # Safety
///
/// As `sw_identity_save_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_subscriber_save_sealed(
    rng: *mut sw_rng,
    subscriber: *const sw_channel_subscriber,
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        save_sealed::<sw_channel_subscriber>(
            subscriber, key, key_len, address, rng, buf, buf_len, out_len,
        )
    }
}

/// As `sw_identity_load_sealed`, for a channel subscriber (freed with
/// `sw_channel_subscriber_free`).
///
/// # Safety
///
/// As `sw_identity_load_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_subscriber_load_sealed(
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    bytes: *const u8,
    len: usize,
    out_subscriber: *mut *mut sw_channel_subscriber,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        load_sealed::<sw_channel_subscriber>(key, key_len, address, bytes, len, out_subscriber)
    }
}

/// Loads a legacy sealed blob (written before sealed blobs were bound to
/// their address, SPEC.md §18.8), for a one-time migration: load it, save
/// it again with `sw_channel_subscriber_save_sealed` and its address, replace it. A
/// bound blob is `SW_STATE_ADDRESS_BOUND`.
///
/// Ownership and NULL: as `sw_channel_subscriber_load_sealed`, without the address.
///
/// # Safety
///
/// `key` valid for reads of `key_len` bytes; `bytes` valid for reads of
/// `len` bytes; `out_subscriber` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_subscriber_load_sealed_legacy(
    key: *const u8,
    key_len: usize,
    bytes: *const u8,
    len: usize,
    out_subscriber: *mut *mut sw_channel_subscriber,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed_legacy::<sw_channel_subscriber>(key, key_len, bytes, len, out_subscriber) }
}
