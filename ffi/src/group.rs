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
//! `SW_CONTENT_GROUP_KEY_DISTRIBUTION`), which keeps the distribution in the
//! session, routes the plaintext with `sw_distribution_group_id`, and passes
//! the session to that group's `sw_group_accept_distribution`: the chain's
//! sender is the session's authenticated peer, never a value the caller
//! names. Posts are encrypted and signed once and broadcast as they are to
//! every member.

use sealwire::group::{ChannelOwner, ChannelSubscriber, Distribution, Group};

use crate::boundary::Handle;
use crate::session::{sw_changed_by, sw_content_type, sw_message_expiry, sw_timer};

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
pub const SW_POST_HEADER_LEN: usize = 38;
/// Shortest post.
pub const SW_MIN_POST_LEN: usize = 149;
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

// The submodules, in the order of the header's functions (cbindgen follows
// the source order); each is its own group so that rustfmt keeps it.
pub(crate) mod helpers;

mod posting;

mod receiving;

mod routing;

mod distribution;

mod handle;

mod channel_owner;

mod channel_subscriber;

pub use channel_owner::*;
pub use channel_subscriber::*;
pub use distribution::*;
pub use handle::*;
pub use routing::*;
