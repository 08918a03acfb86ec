//! Groups and broadcast channels with signed sender keys (SPEC.md §20):
//! `sw_group` (every member posts), `sw_channel_owner` (posts, receives
//! nothing), `sw_channel_subscriber` (receives the owner's posts), and
//! `sw_distribution`, a sender chain to hand to each recipient over its 1:1
//! session.
//!
//! The flow, sans I/O: creating a group, adding or removing a member,
//! rotating, or a post that starts a new chain, each gives an
//! `sw_distribution`; the app encrypts it for each recipient with
//! `sw_distribution_encrypt_for` over its 1:1 `sw_session` and sends those
//! messages **before** any post made with the new chain. The recipient
//! decrypts with `sw_session_decrypt` (content type
//! `SW_CONTENT_GROUP_KEY_DISTRIBUTION`) and passes the plaintext with the
//! sender's identity key (`sw_received_info.sender`) to
//! `sw_group_accept_distribution`. Posts are encrypted and signed once and
//! broadcast as they are to every member.

use sealwire::expiry::{ChangedBy, ConversationTimer, ExpiryMode, ExpiryPolicy, MessageExpiry};
use sealwire::group::{
    ChannelOwner, ChannelSubscriber, Distribution, Group, GroupError, GroupId, GroupReceivedRef,
    Post, RotationPolicy, parse_post_header,
};
use sealwire::limits::MAX_BODY_LEN;
use sealwire::{ContentType, IdentityKey, Timestamp};

use crate::boundary::{
    Handle, Out, Result, clear_handle, free_handle, guard, guard_void, handle_mut, handle_ref,
    input, input_array, input_output, new_handle, out, output, write_bytes,
};
use crate::persist::{load, load_sealed, save, save_sealed};
use crate::result::sw_result;
use crate::rng::{Rng, check_rng, sw_rng, with_rng};
use crate::session::{
    TIMER_OFF, content_type_to_c, sendable_content_type, sw_changed_by, sw_content_type,
    sw_message_expiry, sw_session, sw_timer, timer,
};

/// Length of a group id.
pub const SW_GROUP_ID_LEN: usize = 16;
/// Most members (or subscribers) a group (or channel) holds, not counting
/// ourselves.
pub const SW_MAX_GROUP_MEMBERS: usize = 1_048_576;
/// Furthest a post may be ahead of its chain (`SW_GROUP_TOO_FAR_AHEAD`).
pub const SW_MAX_GROUP_FORWARD_JUMP: u32 = 2000;
/// Most skipped post keys kept per sender (older ones are evicted:
/// `SW_GROUP_MESSAGE_KEY_EVICTED`).
pub const SW_MAX_GROUP_SKIPPED_KEYS: usize = 2000;
/// Most chains kept per sender (the oldest is forgotten).
pub const SW_MAX_SENDER_CHAIN_STATES: usize = 5;
/// Length of a distribution body (the plaintext of a
/// `SW_CONTENT_GROUP_KEY_DISTRIBUTION` message).
pub const SW_DISTRIBUTION_LEN: usize = 122;
/// Length of a post's cleartext header (`sw_post_header`).
pub const SW_POST_HEADER_LEN: usize = 26;
/// Shortest post.
pub const SW_MIN_POST_LEN: usize = 153;
/// Longest post.
pub const SW_MAX_POST_LEN: usize = 1_048_738;
/// Default rotation policy: a new chain after this many posts.
pub const SW_DEFAULT_ROTATION_POSTS: u32 = 10_000;
/// Default rotation policy: a new chain once the chain is this old (7
/// days, in milliseconds).
pub const SW_DEFAULT_ROTATION_AGE_MS: u64 = 604_800_000;

/// Our side of a group in which every member posts: our sending chain and
/// the chains the other members distributed to us. Every member runs its
/// own `sw_group` with the same id and member list (the app's group
/// management keeps them in step). Every call that fails leaves the group
/// exactly as it was.
///
/// Ownership: made by `sw_group_create`, `sw_group_load` or
/// `sw_group_load_sealed`; freed by the caller with `sw_group_free` (its keys
/// are zeroed).
///
/// Thread-safety: not internally synchronised; one thread at a time per
/// group.
pub struct sw_group {
    _opaque: [u8; 0],
}

impl Handle for sw_group {
    type Inner = Group;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:group");
}

/// The owner of a broadcast channel: the only one who posts; receives
/// nothing. Every call that fails leaves it exactly as it was.
///
/// Ownership: made by `sw_channel_owner_create`, `_load` or `_load_sealed`;
/// freed by the caller with `sw_channel_owner_free` (its keys are zeroed).
///
/// Thread-safety: not internally synchronised; one thread at a time.
pub struct sw_channel_owner {
    _opaque: [u8; 0],
}

impl Handle for sw_channel_owner {
    type Inner = ChannelOwner;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:chown");
}

/// A subscriber of a broadcast channel: receives the owner's posts, has no
/// way to post. Every call that fails leaves it exactly as it was.
///
/// Ownership: made by `sw_channel_subscriber_new`, `_load` or
/// `_load_sealed`; freed by the caller with `sw_channel_subscriber_free`
/// (its keys are zeroed).
///
/// Thread-safety: not internally synchronised; one thread at a time.
pub struct sw_channel_subscriber {
    _opaque: [u8; 0],
}

impl Handle for sw_channel_subscriber {
    type Inner = ChannelSubscriber;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:chsub");
}

/// A sender chain to distribute: a distribution body (holding the chain
/// key, a secret) and its recipients. Send it to each recipient over the
/// 1:1 session with that recipient (`sw_distribution_encrypt_for`), before
/// any post of the new chain. The body itself is never handed out in the
/// clear.
///
/// Ownership: made by the group and channel calls that start or extend a
/// chain; freed by the caller with `sw_distribution_free` (the body is
/// zeroed).
///
/// Thread-safety: immutable: shareable between threads (not while it is
/// freed).
pub struct sw_distribution {
    _opaque: [u8; 0],
}

impl Handle for sw_distribution {
    type Inner = Distribution;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:distr");
}

/// What receiving a post reports besides the plaintext. Written by the
/// library, never read by it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct sw_group_received_info {
    /// The sender's public identity key: the 1:1 peer who distributed the
    /// chain (authenticated by that session and by the post's signature).
    pub sender: [u8; 32],
    /// The sender's chain.
    pub chain_id: u32,
    /// The post's position in that chain.
    pub iteration: u32,
    /// `SW_CONTENT_USER_MESSAGE`, `SW_CONTENT_RECEIPT` or
    /// `SW_CONTENT_TIMER_CHANGE`.
    pub content_type: sw_content_type,
    /// The sender's claimed send time (Unix ms, the sender's clock: never
    /// trust it to extend anything).
    pub sent_at_ms: u64,
    /// When the post disappears; `SW_MESSAGE_EXPIRY_EXPIRED`: it arrived
    /// after its deadline, its plaintext was erased (length 0).
    pub expiry: sw_message_expiry,
    /// The deadline (Unix ms) for `SW_MESSAGE_EXPIRY_AT`, the TTL (ms) for
    /// `SW_MESSAGE_EXPIRY_AFTER_READ`, else 0.
    pub expiry_ms: u64,
    /// Whether this post changed the group's timer (then the next three
    /// fields describe the change; else they are zero).
    pub timer_changed: bool,
    /// Who changed the timer (`SW_CHANGED_BY_PEER` for a received post).
    pub timer_changed_by: sw_changed_by,
    /// The timer before the change.
    pub timer_old: sw_timer,
    /// The timer after the change.
    pub timer_new: sw_timer,
}

/// A post's cleartext header, for routing it to its group before
/// receiving it. Nothing in it is authenticated until the post is
/// received.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct sw_post_header {
    /// The group's id.
    pub group_id: [u8; 16],
    /// The sender's chain.
    pub chain_id: u32,
    /// The position in the chain.
    pub iteration: u32,
}

// ---------------------------------------------------------------------------
// The role types' methods, behind traits, so that each export is written
// once for the types that allow it.

/// Posting: group members and channel owners.
trait Poster: Clone {
    fn post_len(&self, body_len: usize) -> usize;
    fn post_into(
        &mut self,
        rng: &mut Rng,
        now: Timestamp,
        content_type: ContentType,
        body: &[u8],
        out: &mut [u8],
    ) -> core::result::Result<(usize, Option<Distribution>), GroupError>;
    fn set_timer(
        &mut self,
        rng: &mut Rng,
        now: Timestamp,
        policy: Option<ExpiryPolicy>,
    ) -> core::result::Result<Post, GroupError>;
    fn rotate(&mut self, rng: &mut Rng, now: Timestamp) -> Distribution;
    fn set_rotation_policy(&mut self, policy: RotationPolicy);
    fn current_holders(&self) -> Vec<IdentityKey>;
    fn add(&mut self, who: IdentityKey) -> core::result::Result<Distribution, GroupError>;
    fn remove(
        &mut self,
        rng: &mut Rng,
        now: Timestamp,
        who: &IdentityKey,
    ) -> core::result::Result<Distribution, GroupError>;
}

macro_rules! poster {
    ($ty:ty, $add:ident, $remove:ident) => {
        impl Poster for $ty {
            fn post_len(&self, body_len: usize) -> usize {
                <$ty>::post_len(self, body_len)
            }
            fn post_into(
                &mut self,
                rng: &mut Rng,
                now: Timestamp,
                content_type: ContentType,
                body: &[u8],
                out: &mut [u8],
            ) -> core::result::Result<(usize, Option<Distribution>), GroupError> {
                <$ty>::post_into(self, rng, now, content_type, body, out)
            }
            fn set_timer(
                &mut self,
                rng: &mut Rng,
                now: Timestamp,
                policy: Option<ExpiryPolicy>,
            ) -> core::result::Result<Post, GroupError> {
                <$ty>::set_timer(self, rng, now, policy).map(|(post, _change)| post)
            }
            fn rotate(&mut self, rng: &mut Rng, now: Timestamp) -> Distribution {
                <$ty>::rotate(self, rng, now)
            }
            fn set_rotation_policy(&mut self, policy: RotationPolicy) {
                <$ty>::set_rotation_policy(self, policy);
            }
            fn current_holders(&self) -> Vec<IdentityKey> {
                <$ty>::current_holders(self)
            }
            fn add(&mut self, who: IdentityKey) -> core::result::Result<Distribution, GroupError> {
                <$ty>::$add(self, who)
            }
            fn remove(
                &mut self,
                rng: &mut Rng,
                now: Timestamp,
                who: &IdentityKey,
            ) -> core::result::Result<Distribution, GroupError> {
                <$ty>::$remove(self, rng, now, who)
            }
        }
    };
}

poster!(Group, add_member, remove_member);
poster!(ChannelOwner, add_subscriber, remove_subscriber);

/// Receiving: group members and channel subscribers.
trait Receiver {
    fn receive_in_place<'b>(
        &mut self,
        now: Timestamp,
        buf: &'b mut [u8],
    ) -> core::result::Result<GroupReceivedRef<'b>, GroupError>;
    fn process_distribution(
        &mut self,
        sender: &IdentityKey,
        body: &[u8],
    ) -> core::result::Result<bool, GroupError>;
}

macro_rules! receiver {
    ($ty:ty) => {
        impl Receiver for $ty {
            fn receive_in_place<'b>(
                &mut self,
                now: Timestamp,
                buf: &'b mut [u8],
            ) -> core::result::Result<GroupReceivedRef<'b>, GroupError> {
                <$ty>::receive_post_in_place(self, now, buf)
            }
            fn process_distribution(
                &mut self,
                sender: &IdentityKey,
                body: &[u8],
            ) -> core::result::Result<bool, GroupError> {
                <$ty>::process_distribution(self, sender, body)
            }
        }
    };
}

receiver!(Group);
receiver!(ChannelSubscriber);

// ---------------------------------------------------------------------------
// Helpers.

/// A 32-byte identity key input: NULL is `SW_NULL_POINTER`, another length
/// `SW_INVALID_ARGUMENT`, an invalid key `SW_DECODE_INVALID_KEY`.
///
/// # Safety
///
/// As [`input_array`].
unsafe fn identity_key(ptr: *const u8, len: usize) -> Result<IdentityKey> {
    // SAFETY: the caller's contract.
    let bytes = unsafe { input_array::<32>(ptr, len) }?;
    Ok(IdentityKey::from_bytes(&bytes)?)
}

/// A 16-byte group id input.
///
/// # Safety
///
/// As [`input_array`].
unsafe fn parse_group_id(ptr: *const u8, len: usize) -> Result<GroupId> {
    // SAFETY: the caller's contract.
    Ok(GroupId::from_bytes(unsafe { input_array::<16>(ptr, len) }?))
}

/// A list of identity keys, 32 bytes each, back to back: a length that is
/// not a multiple of 32 is `SW_INVALID_ARGUMENT`.
///
/// # Safety
///
/// As [`input`].
unsafe fn identity_keys(ptr: *const u8, len: usize) -> Result<Vec<IdentityKey>> {
    // SAFETY: the caller's contract.
    let bytes = unsafe { input(ptr, len) }?;
    let chunks = bytes.chunks_exact(32);
    if !chunks.remainder().is_empty() {
        return Err(sw_result::SW_INVALID_ARGUMENT);
    }
    chunks
        .map(|c| {
            let key = <[u8; 32]>::try_from(c).map_err(|_| sw_result::SW_INTERNAL)?;
            Ok(IdentityKey::from_bytes(&key)?)
        })
        .collect()
}

/// Writes identity keys back to back (32 bytes each) as [`write_bytes`].
fn write_keys(buf: &mut [u8], written: &mut Out<'_, usize>, keys: &[IdentityKey]) -> Result<()> {
    let mut bytes = Vec::with_capacity(keys.len().saturating_mul(32));
    for k in keys {
        bytes.extend_from_slice(k.as_bytes());
    }
    write_bytes(buf, written, &bytes)
}

/// A distribution handle for the caller, or NULL when there is no one to
/// send it to.
fn distribution_handle(d: Distribution) -> *mut sw_distribution {
    if d.recipients.is_empty() {
        core::ptr::null_mut()
    } else {
        new_handle::<sw_distribution>(d)
    }
}

/// A timer from the C mode and TTL, as `sw_session_set_timer` takes them.
fn timer_policy(mode: u32, ttl_secs: u32) -> Result<Option<ExpiryPolicy>> {
    match mode {
        0 if ttl_secs == 0 => Ok(None),
        0 => Err(sw_result::SW_EXPIRY_INVALID_POLICY),
        1 => Ok(Some(ExpiryPolicy::new(ExpiryMode::AfterSend, ttl_secs)?)),
        2 => Ok(Some(ExpiryPolicy::new(ExpiryMode::AfterRead, ttl_secs)?)),
        _ => Err(sw_result::SW_INVALID_ARGUMENT),
    }
}

/// The C metadata of a received post, and whether its body must be erased
/// (an expiry this version does not know is treated as expired).
fn group_info(r: &GroupReceivedRef<'_>) -> (sw_group_received_info, bool) {
    let (expiry, expiry_ms, erase) = match r.expiry {
        MessageExpiry::Never => (sw_message_expiry::SW_MESSAGE_EXPIRY_NEVER, 0, false),
        MessageExpiry::At(t) => (
            sw_message_expiry::SW_MESSAGE_EXPIRY_AT,
            t.as_unix_millis(),
            false,
        ),
        MessageExpiry::AfterRead { ttl_ms } => (
            sw_message_expiry::SW_MESSAGE_EXPIRY_AFTER_READ,
            ttl_ms,
            false,
        ),
        _ => (sw_message_expiry::SW_MESSAGE_EXPIRY_EXPIRED, 0, true),
    };
    let (timer_changed, timer_changed_by, timer_old, timer_new) = match r.timer_change {
        None => (false, sw_changed_by::SW_CHANGED_BY_US, TIMER_OFF, TIMER_OFF),
        Some(c) => (
            true,
            match c.by {
                ChangedBy::Us => sw_changed_by::SW_CHANGED_BY_US,
                _ => sw_changed_by::SW_CHANGED_BY_PEER,
            },
            timer(c.old),
            timer(c.new),
        ),
    };
    (
        sw_group_received_info {
            sender: r.sender.to_bytes(),
            chain_id: r.chain_id,
            iteration: r.iteration,
            content_type: content_type_to_c(r.content_type),
            sent_at_ms: r.sent_at.as_unix_millis(),
            expiry,
            expiry_ms,
            timer_changed,
            timer_changed_by,
            timer_old,
            timer_new,
        },
        erase,
    )
}

// ---------------------------------------------------------------------------
// The generic bodies of the exports.

/// `*_post_len`.
///
/// # Safety
///
/// `handle` a live handle; `out_len` valid for one write.
unsafe fn post_len<H: Handle>(handle: *const H, body_len: usize, out_len: *mut usize) -> sw_result
where
    H::Inner: Poster,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut len = unsafe { out(out_len) }?;
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
unsafe fn post<H: Handle>(
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
    H::Inner: Poster,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let mut rotation = unsafe { out(out_rotation) }?;
        clear_handle(&mut rotation);
        // SAFETY: the caller's contract.
        let poster = unsafe { handle_mut(handle) }?;
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let (body, buf) = unsafe { input_output(body, body_len, buf, buf_len) }?;
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
unsafe fn set_timer<H: Handle>(
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
    H::Inner: Poster,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let mut rotation = unsafe { out(out_rotation) }?;
        clear_handle(&mut rotation);
        // SAFETY: the caller's contract.
        let poster = unsafe { handle_mut(handle) }?;
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output(buf, buf_len) }?;
        let policy = timer_policy(mode, ttl_secs)?;
        // The post's length is known only once it is made: make it on a
        // copy, and keep the copy only if the post fits.
        let mut next = poster.clone();
        let now = Timestamp::from_unix_millis(now_ms);
        // SAFETY: the caller's contract.
        let made = unsafe { with_rng(rng, |r| Ok(next.set_timer(r, now, policy)?)) }?;
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
unsafe fn rotate<H: Handle>(
    handle: *mut H,
    rng: *mut sw_rng,
    now_ms: u64,
    out_distribution: *mut *mut sw_distribution,
) -> sw_result
where
    H::Inner: Poster,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_distribution = unsafe { out(out_distribution) }?;
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
unsafe fn set_rotation_policy<H: Handle>(
    handle: *mut H,
    max_posts: u32,
    max_age_ms: u64,
) -> sw_result
where
    H::Inner: Poster,
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
unsafe fn current_holder_count<H: Handle>(handle: *const H, out_count: *mut usize) -> sw_result
where
    H::Inner: Poster,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut count = unsafe { out(out_count) }?;
        count.set(0);
        // SAFETY: the caller's contract.
        let poster = unsafe { handle_ref(handle) }?;
        count.set(poster.current_holders().len());
        Ok(())
    })
}

/// `*_current_holders`.
///
/// # Safety
///
/// `handle` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
unsafe fn current_holders<H: Handle>(
    handle: *const H,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result
where
    H::Inner: Poster,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let poster = unsafe { handle_ref(handle) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output(buf, buf_len) }?;
        write_keys(buf, &mut written, &poster.current_holders())
    })
}

/// `*_add_member` / `*_add_subscriber`.
///
/// # Safety
///
/// `handle` a live handle used by no other thread; `member` valid for reads
/// of `member_len` bytes; `out_distribution` valid for one write.
unsafe fn add<H: Handle>(
    handle: *mut H,
    member: *const u8,
    member_len: usize,
    out_distribution: *mut *mut sw_distribution,
) -> sw_result
where
    H::Inner: Poster,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_distribution = unsafe { out(out_distribution) }?;
        clear_handle(&mut out_distribution);
        // SAFETY: the caller's contract.
        let poster = unsafe { handle_mut(handle) }?;
        // SAFETY: the caller's contract.
        let who = unsafe { identity_key(member, member_len) }?;
        let d = poster.add(who)?;
        out_distribution.set(distribution_handle(d));
        Ok(())
    })
}

/// `*_remove_member` / `*_remove_subscriber`.
///
/// # Safety
///
/// As [`add`]; `rng` NULL or a live handle.
unsafe fn remove<H: Handle>(
    handle: *mut H,
    rng: *mut sw_rng,
    now_ms: u64,
    member: *const u8,
    member_len: usize,
    out_distribution: *mut *mut sw_distribution,
) -> sw_result
where
    H::Inner: Poster,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_distribution = unsafe { out(out_distribution) }?;
        clear_handle(&mut out_distribution);
        // SAFETY: the caller's contract.
        let poster = unsafe { handle_mut(handle) }?;
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let who = unsafe { identity_key(member, member_len) }?;
        let now = Timestamp::from_unix_millis(now_ms);
        // SAFETY: the caller's contract.
        let d = unsafe { with_rng(rng, |r| Ok(poster.remove(r, now, &who)?)) }?;
        out_distribution.set(distribution_handle(d));
        Ok(())
    })
}

/// `*_receive_post`.
///
/// # Safety
///
/// `handle` a live handle used by no other thread; `post` valid for reads
/// of `post_len` bytes; `plaintext` valid for writes of `plaintext_cap`
/// bytes; `out_plaintext_len` and `out_info` valid for one write.
#[allow(clippy::too_many_arguments)]
unsafe fn receive_post<H: Handle>(
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
    H::Inner: Receiver,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_plaintext_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let mut out_info = unsafe { out(out_info) }?;
        // SAFETY: the caller's contract.
        let receiver = unsafe { handle_mut(handle) }?;
        // SAFETY: the caller's contract.
        let (post, buf) = unsafe { input_output(post, post_len, plaintext, plaintext_cap) }?;
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
fn receive_into<R: Receiver>(
    receiver: &mut R,
    now: Timestamp,
    buf: &mut [u8],
) -> Result<(usize, sw_group_received_info)> {
    let base = buf.as_ptr().addr();
    let (meta, erase, start, len) = {
        let r = receiver.receive_in_place(now, buf)?;
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
    let end = start.checked_add(len).ok_or(sw_result::SW_INTERNAL)?;
    if end > buf.len() {
        return Err(sw_result::SW_INTERNAL);
    }
    buf.copy_within(start..end, 0);
    let n = if erase { 0 } else { len };
    buf.get_mut(n..).ok_or(sw_result::SW_INTERNAL)?.fill(0);
    Ok((n, meta))
}

/// `*_accept_distribution`.
///
/// # Safety
///
/// `handle` a live handle used by no other thread; `sender` valid for reads
/// of `sender_len` bytes; `body` valid for reads of `body_len` bytes;
/// `out_new` valid for one write.
unsafe fn accept_distribution<H: Handle>(
    handle: *mut H,
    sender: *const u8,
    sender_len: usize,
    body: *const u8,
    body_len: usize,
    out_new: *mut bool,
) -> sw_result
where
    H::Inner: Receiver,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut new = unsafe { out(out_new) }?;
        new.set(false);
        // SAFETY: the caller's contract.
        let receiver = unsafe { handle_mut(handle) }?;
        // SAFETY: the caller's contract.
        let sender = unsafe { identity_key(sender, sender_len) }?;
        if body.is_null() {
            return Err(sw_result::SW_NULL_POINTER);
        }
        // SAFETY: the caller's contract.
        let body = unsafe { input(body, body_len) }?;
        new.set(receiver.process_distribution(&sender, body)?);
        Ok(())
    })
}

/// `*_timer`.
///
/// # Safety
///
/// `handle` a live handle; `out_timer` valid for one write.
unsafe fn get_timer<H: Handle>(
    handle: *const H,
    timer_of: impl FnOnce(&H::Inner) -> ConversationTimer,
    out_timer: *mut sw_timer,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_timer = unsafe { out(out_timer) }?;
        out_timer.set(TIMER_OFF);
        // SAFETY: the caller's contract.
        let value = unsafe { handle_ref(handle) }?;
        out_timer.set(timer(timer_of(value)));
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// Group ids and routing.

/// Writes a new random 16-byte group id (the creator's choice; every
/// member then uses the same id).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives 16, the
/// length written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `out_len` must not be NULL; `buf` may be NULL only with `buf_len`
/// 0 (a size query); `rng` NULL is the OS generator.
///
/// Thread-safety: uses `rng` (one thread at a time); NULL is thread-safe.
///
/// # Safety
///
/// `rng` NULL or a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_id_random(
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
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output(buf, buf_len) }?;
        if buf.len() < SW_GROUP_ID_LEN {
            written.set(SW_GROUP_ID_LEN);
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        }
        // SAFETY: the caller's contract.
        let id = unsafe { with_rng(rng, |r| Ok(GroupId::random(r))) }?;
        write_bytes(buf, &mut written, id.as_bytes())
    })
}

/// Parses a post's cleartext header (its group id, chain id and iteration)
/// to route it to its group; checks the post's layout (malformed input:
/// its `SW_DECODE_*` code) but nothing cryptographic.
///
/// Ownership: `post` is only read; `*out_header` receives the header.
///
/// NULL: `post` (unless `post_len` is 0) and `out_header` must not be NULL.
/// Thread-safe.
///
/// # Safety
///
/// `post` valid for reads of `post_len` bytes; `out_header` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_post_header_parse(
    post: *const u8,
    post_len: usize,
    out_header: *mut sw_post_header,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_header = unsafe { out(out_header) }?;
        out_header.set(sw_post_header {
            group_id: [0; 16],
            chain_id: 0,
            iteration: 0,
        });
        // SAFETY: the caller's contract.
        let post = unsafe { input(post, post_len) }?;
        let h = parse_post_header(post)?;
        out_header.set(sw_post_header {
            group_id: *h.group_id.as_bytes(),
            chain_id: h.chain_id,
            iteration: h.iteration,
        });
        Ok(())
    })
}

/// Writes the 16-byte group id a distribution body names (the plaintext of
/// a `SW_CONTENT_GROUP_KEY_DISTRIBUTION` message), to route it to its group
/// before accepting it. Checks only the first fields (malformed input: its
/// `SW_DECODE_*` code).
///
/// Ownership: `body` is only read; `buf` belongs to the caller; `*out_len`
/// receives 16, the length written or needed.
///
/// NULL: `body` (unless `body_len` is 0) and `out_len` must not be NULL;
/// `buf` may be NULL only with `buf_len` 0 (a size query). Thread-safe.
///
/// # Safety
///
/// `body` valid for reads of `body_len` bytes; `buf` valid for writes of
/// `buf_len` bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_distribution_group_id(
    body: *const u8,
    body_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let (body, buf) = unsafe { input_output(body, body_len, buf, buf_len) }?;
        let id = sealwire::group::distribution_group_id(body)?;
        write_bytes(buf, &mut written, id.as_bytes())
    })
}

// ---------------------------------------------------------------------------
// sw_distribution.

/// Stores how many recipients the distribution has.
///
/// NULL: `distribution` and `out_count` must not be NULL. Thread-safe (the
/// handle is immutable).
///
/// # Safety
///
/// `distribution` a live handle; `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_distribution_recipient_count(
    distribution: *const sw_distribution,
    out_count: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut count = unsafe { out(out_count) }?;
        count.set(0);
        // SAFETY: the caller's contract.
        let d = unsafe { handle_ref(distribution) }?;
        count.set(d.recipients.len());
        Ok(())
    })
}

/// Writes the recipients' 32-byte identity keys back to back (sorted by
/// key): `32 * sw_distribution_recipient_count` bytes.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `distribution` and `out_len` must not be NULL; `buf` may be NULL
/// only with `buf_len` 0 (a size query). Thread-safe.
///
/// # Safety
///
/// `distribution` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_distribution_recipients(
    distribution: *const sw_distribution,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let d = unsafe { handle_ref(distribution) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output(buf, buf_len) }?;
        write_keys(buf, &mut written, &d.recipients)
    })
}

/// Stores whether the 32-byte identity key `who` is a recipient.
///
/// NULL: `distribution`, `who` and `out_is_recipient` must not be NULL
/// (`who_len` must be 32, else `SW_INVALID_ARGUMENT`). Thread-safe.
///
/// # Safety
///
/// `distribution` a live handle; `who` valid for reads of `who_len` bytes;
/// `out_is_recipient` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_distribution_is_recipient(
    distribution: *const sw_distribution,
    who: *const u8,
    who_len: usize,
    out_is_recipient: *mut bool,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut is = unsafe { out(out_is_recipient) }?;
        is.set(false);
        // SAFETY: the caller's contract.
        let d = unsafe { handle_ref(distribution) }?;
        // SAFETY: the caller's contract.
        let who = unsafe { identity_key(who, who_len) }?;
        is.set(d.is_recipient(&who));
        Ok(())
    })
}

/// Stores the length of the 1:1 message `sw_distribution_encrypt_for`
/// writes over `session` (the size query for its output buffer).
///
/// NULL: `distribution`, `session` and `out_len` must not be NULL.
///
/// Thread-safety: reads `session`; no other thread may change it meanwhile.
///
/// # Safety
///
/// `distribution` and `session` live handles; `out_len` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_distribution_encrypted_len(
    distribution: *const sw_distribution,
    session: *const sw_session,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut len = unsafe { out(out_len) }?;
        len.set(0);
        // SAFETY: the caller's contract.
        let d = unsafe { handle_ref(distribution) }?;
        // SAFETY: the caller's contract.
        let session = unsafe { handle_ref(session) }?;
        len.set(session.encrypted_len(d.body.len()));
        Ok(())
    })
}

/// Encrypts the distribution over the 1:1 session with one of its
/// recipients: a message of content type `SW_CONTENT_GROUP_KEY_DISTRIBUTION`
/// to send to that peer (before any post of the chain). A session whose
/// peer is not a recipient is refused with `SW_SESSION_MISMATCH`, so that a
/// chain key never goes to a non-member by mistake. The session may be
/// pending or established; it advances as with `sw_session_encrypt` (save
/// it afterwards).
///
/// Ownership: `distribution` is borrowed, `session` borrowed and updated;
/// `buf` belongs to the caller and needs `sw_distribution_encrypted_len`
/// bytes: if shorter, nothing changes, `*out_len` receives that length and
/// the result is `SW_BUFFER_TOO_SMALL`. On `SW_OK`, `*out_len` receives the
/// message's length.
///
/// NULL: `distribution`, `session` and `out_len` must not be NULL; `buf` may
/// be NULL only with `buf_len` 0 (a size query); `rng` NULL is the OS
/// generator.
///
/// Thread-safety: changes `session` (one thread at a time); the
/// distribution may be used from several threads at once.
///
/// # Safety
///
/// `distribution` a live handle; `session` a live handle used by no other
/// thread; `rng` NULL or a live handle; `buf` valid for writes of `buf_len`
/// bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_distribution_encrypt_for(
    distribution: *const sw_distribution,
    session: *mut sw_session,
    rng: *mut sw_rng,
    now_ms: u64,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let d = unsafe { handle_ref(distribution) }?;
        // SAFETY: the caller's contract.
        let session = unsafe { handle_mut(session) }?;
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output(buf, buf_len) }?;
        if !d.is_recipient(session.their_identity()) {
            return Err(sw_result::SW_SESSION_MISMATCH);
        }
        let needed = session.encrypted_len(d.body.len());
        let Some(buf) = buf.get_mut(..needed) else {
            written.set(needed);
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        };
        let now = Timestamp::from_unix_millis(now_ms);
        // SAFETY: the caller's contract.
        let n =
            unsafe {
                with_rng(rng, |r| {
                    Ok(session.encrypt_into(
                        r,
                        now,
                        ContentType::GroupKeyDistribution,
                        &d.body,
                        buf,
                    )?)
                })
            }?;
        written.set(n);
        Ok(())
    })
}

/// Frees a distribution, zeroing its body (the chain key). NULL is a
/// no-op.
///
/// # Safety
///
/// `distribution` must be NULL or a live `sw_distribution` not used again
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_distribution_free(distribution: *mut sw_distribution) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(distribution) });
}

// ---------------------------------------------------------------------------
// sw_group.

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
        let mut out_group = unsafe { out(out_group) }?;
        clear_handle(&mut out_group);
        // SAFETY: the caller's contract.
        let mut out_distribution = unsafe { out(out_distribution) }?;
        clear_handle(&mut out_distribution);
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let id = unsafe { parse_group_id(group_id, group_id_len) }?;
        // SAFETY: the caller's contract.
        let me = unsafe { identity_key(me, me_len) }?;
        // SAFETY: the caller's contract.
        let members = unsafe { identity_keys(members, members_len) }?;
        let now = Timestamp::from_unix_millis(now_ms);
        // SAFETY: the caller's contract.
        let (group, d) =
            unsafe { with_rng(rng, |r| Ok(Group::create(r, now, id, me, &members)?)) }?;
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
    group: *mut sw_group,
    rng: *mut sw_rng,
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
    group: *mut sw_group,
    rng: *mut sw_rng,
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
    group: *mut sw_group,
    rng: *mut sw_rng,
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
    group: *mut sw_group,
    rng: *mut sw_rng,
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

/// Takes in a key distribution: `body` is the plaintext of a 1:1 message
/// that `sw_session_decrypt` (or `sw_session_accept`) reported with content
/// type `SW_CONTENT_GROUP_KEY_DISTRIBUTION`, and `sender` (32 bytes) that
/// message's `sw_received_info.sender`, the session's authenticated peer.
/// Pass nothing else: the chain is bound to `sender`, and only the 1:1
/// session authenticates it. `*out_new` is true for a new chain, false for
/// one already held.
///
/// Refused (nothing changes): another group's (`SW_GROUP_WRONG_GROUP`), a
/// channel's (`SW_GROUP_MODE_MISMATCH`), naming another sender
/// (`SW_GROUP_SENDER_MISMATCH`), from a non-member
/// (`SW_GROUP_NOT_A_MEMBER`), a different chain under a held id
/// (`SW_GROUP_CHAIN_CONFLICT`), malformed (`SW_DECODE_*`).
///
/// NULL: `group`, `sender`, `body` and `out_new` must not be NULL.
///
/// # Safety
///
/// `group` a live handle used by no other thread; `sender` valid for reads
/// of `sender_len` bytes; `body` valid for reads of `body_len` bytes;
/// `out_new` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_group_accept_distribution(
    group: *mut sw_group,
    sender: *const u8,
    sender_len: usize,
    body: *const u8,
    body_len: usize,
    out_new: *mut bool,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { accept_distribution(group, sender, sender_len, body, body_len, out_new) }
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
    group: *const sw_group,
    key: *const u8,
    key_len: usize,
    rng: *mut sw_rng,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { save_sealed::<sw_group>(group, key, key_len, rng, buf, buf_len, out_len) }
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
    bytes: *const u8,
    len: usize,
    out_group: *mut *mut sw_group,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed::<sw_group>(key, key_len, bytes, len, out_group) }
}

// ---------------------------------------------------------------------------
// sw_channel_owner.

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
        let mut out_owner = unsafe { out(out_owner) }?;
        clear_handle(&mut out_owner);
        // SAFETY: the caller's contract.
        let mut out_distribution = unsafe { out(out_distribution) }?;
        clear_handle(&mut out_distribution);
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let id = unsafe { parse_group_id(group_id, group_id_len) }?;
        // SAFETY: the caller's contract.
        let me = unsafe { identity_key(me, me_len) }?;
        // SAFETY: the caller's contract.
        let subscribers = unsafe { identity_keys(subscribers, subscribers_len) }?;
        let now = Timestamp::from_unix_millis(now_ms);
        // SAFETY: the caller's contract.
        let (owner, d) = unsafe {
            with_rng(rng, |r| {
                Ok(ChannelOwner::create(r, now, id, me, &subscribers)?)
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
    owner: *mut sw_channel_owner,
    rng: *mut sw_rng,
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
    owner: *mut sw_channel_owner,
    rng: *mut sw_rng,
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
    owner: *mut sw_channel_owner,
    rng: *mut sw_rng,
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
    owner: *mut sw_channel_owner,
    rng: *mut sw_rng,
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
    owner: *const sw_channel_owner,
    key: *const u8,
    key_len: usize,
    rng: *mut sw_rng,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { save_sealed::<sw_channel_owner>(owner, key, key_len, rng, buf, buf_len, out_len) }
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
    bytes: *const u8,
    len: usize,
    out_owner: *mut *mut sw_channel_owner,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed::<sw_channel_owner>(key, key_len, bytes, len, out_owner) }
}

// ---------------------------------------------------------------------------
// sw_channel_subscriber.

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
        let mut out_subscriber = unsafe { out(out_subscriber) }?;
        clear_handle(&mut out_subscriber);
        // SAFETY: the caller's contract.
        let id = unsafe { parse_group_id(group_id, group_id_len) }?;
        // SAFETY: the caller's contract.
        let me = unsafe { identity_key(me, me_len) }?;
        // SAFETY: the caller's contract.
        let owner = unsafe { identity_key(owner, owner_len) }?;
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
/// distributions (from anyone else: `SW_GROUP_NOT_A_MEMBER`; a group's:
/// `SW_GROUP_MODE_MISMATCH`).
///
/// # Safety
///
/// As `sw_group_accept_distribution`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_channel_subscriber_accept_distribution(
    subscriber: *mut sw_channel_subscriber,
    sender: *const u8,
    sender_len: usize,
    body: *const u8,
    body_len: usize,
    out_new: *mut bool,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { accept_distribution(subscriber, sender, sender_len, body, body_len, out_new) }
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
    subscriber: *const sw_channel_subscriber,
    key: *const u8,
    key_len: usize,
    rng: *mut sw_rng,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        save_sealed::<sw_channel_subscriber>(subscriber, key, key_len, rng, buf, buf_len, out_len)
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
    bytes: *const u8,
    len: usize,
    out_subscriber: *mut *mut sw_channel_subscriber,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed::<sw_channel_subscriber>(key, key_len, bytes, len, out_subscriber) }
}
