//! Broadcast channels and groups with signed sender keys (SPEC.md §20).
//!
//! Each sender holds, per group, a chain key stepped with HMAC-SHA256, an
//! iteration counter and an Ed25519 signing key. A post is encrypted once
//! (AES-256-CTR) and signed once, whatever the audience; receivers verify
//! the signature before anything else happens, and it is the post's only
//! integrity check (SPEC.md §20.2). The chain reaches each
//! member in a *distribution* message sent over the 1:1 session with that
//! member (content type [`ContentType::GroupKeyDistribution`]), so the
//! chain's sender is the session's authenticated peer.
//!
//! Three roles, one generic state [`GroupState<R>`] with a role marker,
//! three aliases:
//!
//! - [`Group`] ([`Member`]): every member posts and receives every other
//!   member's posts.
//! - [`ChannelOwner`] ([`Owner`]): posts; manages subscribers; receives
//!   nothing.
//! - [`ChannelSubscriber`] ([`Subscriber`]): receives the owner's posts; has
//!   no way to post.
//!
//! What a role may do is a sealed trait its marker implements: [`Posts`]
//! (members, owners), [`Receives`] (members, subscribers). A call the role
//! does not allow does not compile.
//!
//! Sans-I/O: membership changes return [`Distribution`]s (what to send to
//! whom); posting returns the post bytes (to broadcast) and, when the chain
//! was rotated, the distribution to send first.
//!
//! ```
//! use sealwire::group::{ChannelOwner, ChannelSubscriber};
//! use sealwire::{IdentityKeyPair, Timestamp};
//!
//! let mut rng = sealwire::os_rng();
//! let now = Timestamp::from_unix_millis(1_780_000_000_000);
//! let owner_id = IdentityKeyPair::generate(&mut rng);
//! let sub_id = IdentityKeyPair::generate(&mut rng);
//! # use sealwire::{PendingSession, PrekeyStore, Session, SessionRecord};
//! # let mut store = PrekeyStore::new(&sub_id, &mut rng);
//! # let bundle = store.bundle(&sub_id, None).unwrap();
//! # let mut to_sub = SessionRecord::from(PendingSession::initiate(&mut rng, &owner_id, &bundle)?);
//!
//! let (mut owner, dist) =
//!     ChannelOwner::create(&mut rng, now, *owner_id.public(), &[*sub_id.public()])?;
//! let mut sub = ChannelSubscriber::new(owner.id(), *sub_id.public(), *owner_id.public());
//! // The chain travels over the owner's 1:1 session with the subscriber
//! // (`to_sub`), who hands the decrypted message to `accept_distribution`.
//! let message = dist.encrypt_for(&mut to_sub, &mut rng, now)?;
//! # let (_from_owner, received) = Session::accept(&sub_id, &mut store, now, &message)?;
//! sub.accept_distribution(now, &received)?;
//!
//! let post = owner.post(&mut rng, now, b"hello, subscribers")?;
//! let got = sub.receive_post(now, &post.bytes)?;
//! assert_eq!(&got.plaintext[..], b"hello, subscribers");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`ContentType::GroupKeyDistribution`]: crate::ContentType::GroupKeyDistribution

mod chain;
mod distribution;
mod error;
pub(crate) mod membership;
pub(crate) mod post;
mod received;
pub(crate) mod receiver;
mod retention;
pub(crate) mod roles;
pub(crate) mod sender_key;
pub(crate) mod senders;
mod state;

use crate::hexfmt::Hex;

pub use distribution::{
    DISTRIBUTION_FLAG_CHANNEL, DISTRIBUTION_LEN, DISTRIBUTION_VERSION, Distribution,
    distribution_group_id,
};
pub use error::GroupError;
pub use post::{
    MAX_POST_LEN, MIN_POST_LEN, POST_HEADER_LEN, POST_RANDOM_LEN, POST_SIGNATURE_LABEL,
    POST_SIGNATURE_LEN, POST_SIGNED_LEN, POST_VERSION, PostHeader, TYPE_GROUP_POST,
    parse_post_header, post_len,
};
pub use received::{GroupReceived, GroupReceivedRef};
pub use roles::{Member, Owner, Posts, Receives, Role, Subscriber};
pub use state::GroupState;

pub(crate) use chain::{GroupChainKey, GroupMessageKey};
pub(crate) use distribution::parse_signing_key;

/// Our side of a group in which every member posts.
///
/// Every member runs its own `Group` with the same id and member list (the
/// app's group management keeps them in step): each has its own sending
/// chain and holds the chains the others distributed to it. When a member
/// leaves, every remaining member calls
/// [`remove_member`](GroupState::remove_member), which rotates its own
/// chain.
pub type Group = GroupState<Member>;

/// The owner of a channel: the only one who posts. Receives nothing.
pub type ChannelOwner = GroupState<Owner>;

/// A channel subscriber: receives the owner's posts. It has no sending
/// chain and no method that posts.
pub type ChannelSubscriber = GroupState<Subscriber>;

/// A group's 16-byte identifier, chosen by its creator (random), the same
/// for every member.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId([u8; 16]);

impl GroupId {
    /// From its 16 bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// A random id.
    pub fn random<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        Self(b)
    }

    /// The 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl core::fmt::Debug for GroupId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("GroupId").field(&Hex(&self.0)).finish()
    }
}

/// Group (every member posts) or channel (only the owner posts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GroupMode {
    /// Every member posts.
    Group,
    /// Only the owner posts; subscribers never send.
    Channel,
}

/// When a sender starts a new chain on its own (besides member removal,
/// which always rotates): after `max_posts` posts in the chain or once the
/// chain is `max_age_ms` old, checked when posting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RotationPolicy {
    max_posts: u32,
    max_age_ms: u64,
}

/// Default: rotate after this many posts in one chain.
pub const DEFAULT_ROTATION_POSTS: u32 = 10_000;
/// Default: rotate once a chain is this old (7 days, in milliseconds).
pub const DEFAULT_ROTATION_AGE_MS: u64 = 7 * 24 * 60 * 60 * 1000;

impl RotationPolicy {
    /// A policy; `max_posts` must be between 1 and 2³² − 2, `max_age_ms`
    /// at least 1 ([`GroupError::InvalidRotationPolicy`]).
    pub fn new(max_posts: u32, max_age_ms: u64) -> Result<Self, GroupError> {
        if max_posts == 0 || max_posts == u32::MAX || max_age_ms == 0 {
            return Err(GroupError::InvalidRotationPolicy);
        }
        Ok(Self {
            max_posts,
            max_age_ms,
        })
    }

    /// Posts per chain before rotation.
    pub fn max_posts(&self) -> u32 {
        self.max_posts
    }

    /// Age of a chain (ms) before rotation.
    pub fn max_age_ms(&self) -> u64 {
        self.max_age_ms
    }
}

impl Default for RotationPolicy {
    fn default() -> Self {
        Self {
            max_posts: DEFAULT_ROTATION_POSTS,
            max_age_ms: DEFAULT_ROTATION_AGE_MS,
        }
    }
}

/// A post to broadcast, and, if the sender's chain was rotated before it
/// (rotation policy), the distribution of the new chain: send every
/// distribution message **before** the post.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Post {
    /// The post bytes, the same for every recipient.
    pub bytes: alloc::vec::Vec<u8>,
    /// The new chain to distribute first, if the post started one.
    pub rotation: Option<Distribution>,
}
