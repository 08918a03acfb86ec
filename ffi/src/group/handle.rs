//! `sw_group`.

use sealwire::Timestamp;
use sealwire::group::Group;

use super::helpers::{distribution_handle, identity_key, identity_keys, parse_group_id};
use super::posting::{
    add, current_holder_count, current_holders, post, post_len, remove, rotate,
    set_rotation_policy, set_timer,
};
use super::receiving::{
    accept_distribution, erase_expired_keys, get_timer, next_key_erasure, receive_post,
    set_max_skipped_key_age, skipped_key_count,
};
use super::{sw_distribution, sw_group, sw_group_received_info};
use crate::boundary::{clear_handle, free_handle, guard, guard_void, new_handle};
use crate::persist::{load, load_sealed, load_sealed_legacy, save, save_sealed, sw_blob_address};
use crate::result::sw_result;
use crate::rng::{check_rng, sw_rng, with_rng};
use crate::session::{sw_session, sw_timer};

/// Creates our side of a group (the creator and every joining member
/// alike): draws our first sending chain and returns it for every other
/// member. `group_id` is the group's 16 bytes (the same for every member;
/// `sw_group_id_random` for a new group), `me` our 32-byte public identity
/// key, `members` the other members' identity keys back to back
/// (`32 * count` bytes, may be empty; another length is
/// `SW_INVALID_ARGUMENT`, an invalid key `SW_DECODE_INVALID_KEY`, our own
/// key `SW_GROUP_IS_SELF`, a key twice `SW_GROUP_ALREADY_MEMBER`).
///
/// Ownership: the inputs are only read. On `SW_OK`, `*out_group` is a new
/// handle the caller frees with `sw_group_free`, and `*out_distribution` a
/// new distribution of our chain to every member (send it with
/// `sw_distribution_encrypt_for`, then free it with
/// `sw_distribution_free`), or NULL when there are no other members. On
/// error both are set to NULL.
///
/// NULL: `group_id`, `me`, `out_group` and `out_distribution` must not be
/// NULL; `members` may be NULL only with `members_len` 0; `rng` NULL is the
/// OS generator.
///
/// # Safety
///
/// `rng` NULL or a live handle; `group_id`, `me` and `members` valid for
/// reads of their lengths; `out_group` and `out_distribution` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_create(
    rng: *mut sw_rng,
    now_ms: u64,
    group_id: *const u8,
    group_id_len: usize,
    me: *const u8,
    me_len: usize,
    members: *const u8,
    members_len: usize,
    out_group: *mut *mut sw_group,
    out_distribution: *mut *mut sw_distribution,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_group = unsafe { out!(out_group) }?;
        clear_handle(&mut out_group);
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
        let members = unsafe { identity_keys(arg!(members, members_len)) }?;
        let now = Timestamp::from_unix_millis(now_ms);
        // SAFETY: the caller's contract.
        let (group, d) = unsafe {
            with_rng(rng, |r| {
                Ok(Group::create_with_id(r, now, id, me, &members)?)
            })
        }?;
        out_group.set(new_handle::<sw_group>(group));
        out_distribution.set(distribution_handle(d));
        Ok(())
    })
}

/// Adds a member: returns our current chain (at its current position: the
/// new member cannot read earlier posts) for it alone, in
/// `*out_distribution`. The new member's own chain is accepted from then on.
/// An existing member is `SW_GROUP_ALREADY_MEMBER`, our own key
/// `SW_GROUP_IS_SELF`, a full group `SW_GROUP_FULL`.
///
/// Ownership: `member` (32 bytes) is only read. On `SW_OK`,
/// `*out_distribution` is a new handle the caller sends and frees; on error
/// it is set to NULL.
///
/// NULL: every pointer must be non-NULL.
///
/// # Safety
///
/// `group` a live handle used by no other thread; `member` valid for reads
/// of `member_len` bytes; `out_distribution` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_add_member(
    group: *mut sw_group,
    member: *const u8,
    member_len: usize,
    out_distribution: *mut *mut sw_distribution,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { add(group, member, member_len, out_distribution) }
}

/// Removes a member: forgets its chains (its later posts are
/// `SW_GROUP_UNKNOWN_CHAIN`), rotates our chain and returns the new one for
/// every remaining member in `*out_distribution` (NULL when no member is
/// left). The removed member can read none of our later posts. A
/// non-member is `SW_GROUP_UNKNOWN_MEMBER`.
///
/// Ownership: `member` (32 bytes) is only read. On `SW_OK`,
/// `*out_distribution` is a new handle (or NULL) the caller sends and
/// frees; on error it is set to NULL.
///
/// NULL: every pointer but `rng` (NULL: the OS generator) must be non-NULL.
///
/// # Safety
///
/// `group` a live handle used by no other thread; `rng` NULL or a live
/// handle; `member` valid for reads of `member_len` bytes;
/// `out_distribution` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_remove_member(
    rng: *mut sw_rng,
    group: *mut sw_group,
    now_ms: u64,
    member: *const u8,
    member_len: usize,
    out_distribution: *mut *mut sw_distribution,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { remove(group, rng, now_ms, member, member_len, out_distribution) }
}

/// Stores the length of the post `sw_group_post` writes for a body of
/// `body_len` bytes (the size query for its buffer).
///
/// NULL: `group` and `out_len` must not be NULL.
///
/// # Safety
///
/// `group` a live handle; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_post_len(
    group: *const sw_group,
    body_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { post_len(group, body_len, out_len) }
}

/// Posts `body` (at most `SW_MAX_BODY_LEN` bytes, else
/// `SW_GROUP_MESSAGE_TOO_LARGE`): encrypted and signed once, the same bytes
/// for every member. `content_type` is `SW_CONTENT_USER_MESSAGE` or
/// `SW_CONTENT_RECEIPT` (anything else: `SW_INVALID_ARGUMENT`).
///
/// If the rotation policy started a new chain with this post,
/// `*out_rotation` receives its distribution: send it to every recipient
/// (`sw_distribution_encrypt_for`) **before** the post, then free it; else
/// `*out_rotation` is NULL.
///
/// Ownership: `body` is borrowed; `buf` belongs to the caller and needs
/// `sw_group_post_len(body_len)` bytes: if shorter, nothing changes,
/// `*out_len` receives that length and the result is `SW_BUFFER_TOO_SMALL`.
/// On `SW_OK`, `*out_len` receives the post's length. `body` and `buf` must
/// not overlap (`SW_INVALID_ARGUMENT`). On error `*out_rotation` is NULL
/// and nothing changed.
///
/// NULL: `group`, `out_len` and `out_rotation` must not be NULL (a
/// rotation is never dropped silently); `body` may be NULL only with
/// `body_len` 0, `buf` only with `buf_len` 0; `rng` NULL is the OS
/// generator.
///
/// # Safety
///
/// `group` a live handle used by no other thread; `rng` NULL or a live
/// handle; `body` valid for reads of `body_len` bytes; `buf` valid for
/// writes of `buf_len` bytes; `out_len` and `out_rotation` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_post(
    rng: *mut sw_rng,
    group: *mut sw_group,
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
            group,
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

/// Changes the group's disappearing-message timer and writes the
/// timer-change post to broadcast. `mode` and `ttl_secs` as
/// `sw_session_set_timer` takes them (`SW_EXPIRY_INVALID_POLICY`,
/// `SW_INVALID_ARGUMENT`). A rotation that came with the post is in
/// `*out_rotation`, as for `sw_group_post`.
///
/// Ownership: `buf` belongs to the caller; if it is too short, nothing
/// changes, `*out_len` receives the length needed and the result is
/// `SW_BUFFER_TOO_SMALL`.
///
/// NULL: `group`, `out_len` and `out_rotation` must not be NULL; `buf` may
/// be NULL only with `buf_len` 0 (a size query); `rng` NULL is the OS
/// generator.
///
/// # Safety
///
/// `group` a live handle used by no other thread; `rng` NULL or a live
/// handle; `buf` valid for writes of `buf_len` bytes; `out_len` and
/// `out_rotation` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_set_timer(
    rng: *mut sw_rng,
    group: *mut sw_group,
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
            group,
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

/// Stores the group's disappearing-message timer (as last set by us or by a
/// received timer-change post).
///
/// NULL: `group` and `out_timer` must not be NULL.
///
/// # Safety
///
/// `group` a live handle; `out_timer` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_timer(
    group: *const sw_group,
    out_timer: *mut sw_timer,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { get_timer(group, Group::timer, out_timer) }
}

/// Starts a new sending chain now and returns it for every member in
/// `*out_distribution` (NULL when there is no other member).
///
/// NULL: `group` and `out_distribution` must not be NULL; `rng` NULL is the
/// OS generator.
///
/// # Safety
///
/// `group` a live handle used by no other thread; `rng` NULL or a live
/// handle; `out_distribution` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_rotate(
    rng: *mut sw_rng,
    group: *mut sw_group,
    now_ms: u64,
    out_distribution: *mut *mut sw_distribution,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { rotate(group, rng, now_ms, out_distribution) }
}

/// Sets when our chain rotates on its own (checked when posting): after
/// `max_posts` posts (1 to 2^32 - 2) or once the chain is `max_age_ms` old
/// (at least 1), whichever comes first; else
/// `SW_GROUP_INVALID_ROTATION_POLICY`. Default: `SW_DEFAULT_ROTATION_POSTS`
/// and `SW_DEFAULT_ROTATION_AGE_MS`. Applies from the next post; saved
/// with the group.
///
/// NULL: `group` must not be NULL.
///
/// # Safety
///
/// `group` a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_set_rotation_policy(
    group: *mut sw_group,
    max_posts: u32,
    max_age_ms: u64,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { set_rotation_policy(group, max_posts, max_age_ms) }
}

/// Stores how many members hold our current chain (can read our next post).
///
/// NULL: `group` and `out_count` must not be NULL.
///
/// # Safety
///
/// `group` a live handle; `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_current_holder_count(
    group: *const sw_group,
    out_count: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { current_holder_count(group, out_count) }
}

/// Writes the identity keys (32 bytes each, back to back, sorted) of the
/// members who hold our current chain: `32 * sw_group_current_holder_count`
/// bytes.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `group` and `out_len` must not be NULL; `buf` may be NULL only with
/// `buf_len` 0 (a size query).
///
/// # Safety
///
/// `group` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_current_holders(
    group: *const sw_group,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { current_holders(group, buf, buf_len, out_len) }
}

/// Receives a post: verifies its signature (strictly, before anything
/// else), decrypts it and writes the plaintext. On any error nothing
/// changed (a forgery is `SW_GROUP_BAD_SIGNATURE`, a replay
/// `SW_GROUP_DUPLICATE_POST`, a chain we do not hold
/// `SW_GROUP_UNKNOWN_CHAIN`, another group's post `SW_GROUP_WRONG_GROUP`).
/// Posts may arrive in any order (up to `SW_MAX_GROUP_FORWARD_JUMP` ahead).
///
/// Ownership: `post` is borrowed. `plaintext` belongs to the caller and
/// must hold at least `post_len` bytes (the plaintext is never longer than
/// its post): else nothing happens, `*out_plaintext_len` receives
/// `post_len` and the result is `SW_BUFFER_TOO_SMALL`. On `SW_OK`,
/// `*out_plaintext_len` receives the plaintext's length (0 for a post that
/// arrived expired) and `*out_info` its metadata; the rest of `plaintext`,
/// up to `post_len`, is zeroed. On error `plaintext` holds no plaintext.
/// `post` and `plaintext` must not overlap (`SW_INVALID_ARGUMENT`).
///
/// NULL: `group`, `out_plaintext_len` and `out_info` must not be NULL;
/// `post` may be NULL only with `post_len` 0, `plaintext` only with
/// `plaintext_cap` 0 (a size query).
///
/// # Safety
///
/// `group` a live handle used by no other thread; `post` valid for reads of
/// `post_len` bytes; `plaintext` valid for writes of `plaintext_cap` bytes;
/// `out_plaintext_len` and `out_info` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_receive_post(
    group: *mut sw_group,
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
            group,
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

/// Takes in a key distribution: the one pending in `session`, the 1:1
/// session it arrived over (`sw_session_decrypt` or `sw_session_accept`
/// reported it with content type `SW_CONTENT_GROUP_KEY_DISTRIBUTION` and
/// kept it; route its body to this group with `sw_distribution_group_id`).
/// The chain is bound to the session's authenticated peer, taken from the
/// decrypted message itself: the caller never names the sender. `*out_new`
/// is true for a new chain, false for one already held. A new chain becomes
/// the sender's current one: its older chains count as superseded from
/// `now_ms` (Unix ms) and are erased once past the retention window
/// (`sw_group_erase_expired_keys`).
///
/// On `SW_OK` the session's pending distribution is taken: a second call
/// gives `SW_GROUP_NO_DISTRIBUTION`. No pending distribution (none
/// decrypted, already taken, or the session was loaded since):
/// `SW_GROUP_NO_DISTRIBUTION`. Refused: another group's
/// (`SW_GROUP_WRONG_GROUP`), a channel's (`SW_GROUP_MODE_MISMATCH`), naming
/// a sender other than the session's peer (`SW_GROUP_SENDER_MISMATCH`), from
/// a non-member (`SW_GROUP_NOT_A_MEMBER`), a different chain under a held id
/// (`SW_GROUP_CHAIN_CONFLICT`), malformed (`SW_DECODE_*`). On any error
/// nothing changes: neither the group nor the session's pending
/// distribution (offer it to the right group).
///
/// NULL: `group`, `session` and `out_new` must not be NULL.
///
/// Thread-safety: changes `group` and `session`: one thread at a time.
///
/// # Safety
///
/// `group` and `session` live handles used by no other thread; `out_new`
/// valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_accept_distribution(
    group: *mut sw_group,
    session: *mut sw_session,
    now_ms: u64,
    out_new: *mut bool,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { accept_distribution(group, session, now_ms, out_new) }
}

/// Erases the skipped post keys and the superseded chains whose retention
/// has run out at `now_ms` (Unix ms): kept longer than the maximum age
/// (`sw_group_set_max_skipped_key_age`, default 30 days) or, if the group's
/// timer is after-send, than its TTL plus one hour, whichever is shorter. A
/// key's time runs from the receive that skipped it, a chain's from the
/// distribution of the sender's next chain; a sender's current chain is
/// never erased by time. A later post that needed an erased key is
/// `SW_GROUP_MESSAGE_KEY_EVICTED`, one of an erased chain
/// `SW_GROUP_UNKNOWN_CHAIN`. Every successful receive and accepted
/// distribution also erases, for its own sender only; what is past its
/// window is refused even before it is erased. Save the group afterwards: an older saved copy still
/// holds the keys.
///
/// NULL: `group` must not be NULL.
///
/// # Safety
///
/// `group` a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_erase_expired_keys(
    group: *mut sw_group,
    now_ms: u64,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { erase_expired_keys(group, now_ms) }
}

/// Stores when the next skipped post key or superseded chain is due to be
/// erased: `*out_present` false if nothing is held that time would erase
/// (`*out_ms` 0); else call `sw_group_erase_expired_keys` at `*out_ms`
/// (Unix ms).
///
/// NULL: `group`, `out_present` and `out_ms` must not be NULL.
///
/// # Safety
///
/// `group` a live handle; `out_present` and `out_ms` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_next_key_erasure(
    group: *const sw_group,
    out_present: *mut bool,
    out_ms: *mut u64,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { next_key_erasure(group, out_present, out_ms) }
}

/// Sets how long skipped post keys and superseded chains may be kept at
/// most (`max_age_ms`, default 30 days; saved with the group), and erases
/// at `now_ms` what is past the old or the new window.
///
/// NULL: `group` must not be NULL.
///
/// # Safety
///
/// `group` a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_set_max_skipped_key_age(
    group: *mut sw_group,
    now_ms: u64,
    max_age_ms: u64,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { set_max_skipped_key_age(group, now_ms, max_age_ms) }
}

/// Stores how many skipped post keys the group holds, over all senders.
///
/// NULL: `group` and `out_count` must not be NULL.
///
/// # Safety
///
/// `group` a live handle; `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_skipped_key_count(
    group: *const sw_group,
    out_count: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { skipped_key_count(group, out_count) }
}

/// Frees a group, zeroing its keys. NULL is a no-op.
///
/// # Safety
///
/// `group` must be NULL or a live `sw_group` not used again afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_free(group: *mut sw_group) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(group) });
}

/// As `sw_identity_save`, for a group (its chain keys and signing key in
/// the clear). Save after every post, receive and membership change.
///
/// # Safety
///
/// As `sw_identity_save`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_save(
    group: *const sw_group,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { save::<sw_group>(group, buf, buf_len, out_len) }
}

/// As `sw_identity_load`, for a group (freed with `sw_group_free`). A
/// channel owner's or subscriber's blob is `SW_STATE_MALFORMED`.
///
/// # Safety
///
/// As `sw_identity_load`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_load(
    bytes: *const u8,
    len: usize,
    out_group: *mut *mut sw_group,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load::<sw_group>(bytes, len, out_group) }
}

/// As `sw_identity_save_sealed`, for a group.
///
/// # Safety
///
/// As `sw_identity_save_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_save_sealed(
    rng: *mut sw_rng,
    group: *const sw_group,
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { save_sealed::<sw_group>(group, key, key_len, address, rng, buf, buf_len, out_len) }
}

/// As `sw_identity_load_sealed`, for a group (freed with `sw_group_free`).
///
/// # Safety
///
/// As `sw_identity_load_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_load_sealed(
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    bytes: *const u8,
    len: usize,
    out_group: *mut *mut sw_group,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed::<sw_group>(key, key_len, address, bytes, len, out_group) }
}

/// Loads a legacy sealed blob (written before sealed blobs were bound to
/// their address, SPEC.md §18.8), for a one-time migration: load it, save
/// it again with `sw_group_save_sealed` and its address, replace it. A
/// bound blob is `SW_STATE_ADDRESS_BOUND`.
///
/// Ownership and NULL: as `sw_group_load_sealed`, without the address.
///
/// # Safety
///
/// `key` valid for reads of `key_len` bytes; `bytes` valid for reads of
/// `len` bytes; `out_group` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_load_sealed_legacy(
    key: *const u8,
    key_len: usize,
    bytes: *const u8,
    len: usize,
    out_group: *mut *mut sw_group,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed_legacy::<sw_group>(key, key_len, bytes, len, out_group) }
}
