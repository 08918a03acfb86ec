//! The three roles, as zero-sized markers of [`GroupState`]: what a role
//! may do is a trait it implements ([`Posts`], [`Receives`]), so each type
//! exposes exactly what its role allows and the rest does not compile.
//!
//! The traits are sealed: the roles are these three.
//!
//! [`GroupState`]: crate::group::GroupState

use crate::group::GroupMode;
use crate::identity::IdentityKey;

pub(crate) mod sealed {
    use crate::group::GroupMode;
    use crate::identity::IdentityKey;

    /// What a role is made of, private to the crate: users can name the
    /// public traits but not implement them.
    pub trait RoleImpl:
        Copy + Clone + PartialEq + Eq + core::fmt::Debug + Default + 'static
    {
        /// What the role holds besides the shared state (a subscriber:
        /// the channel's owner).
        type Data: Clone + PartialEq + Eq + core::fmt::Debug;
        /// Group or channel.
        const MODE: GroupMode;
        /// The role's byte in a group state blob (SPEC.md §18.10).
        const BLOB_ROLE: u8;
        /// The role's name in `Debug` output.
        const NAME: &'static str;
        /// Whether `sender` may post to us: `is_member` tells whether it
        /// is one of our members (or subscribers).
        fn may_post(data: &Self::Data, is_member: bool, sender: &IdentityKey) -> bool;
        /// The channel's owner, for a subscriber.
        fn owner(data: &Self::Data) -> Option<&IdentityKey>;
        /// The role's data from the owner a blob names (`None` for the
        /// roles without one); `None` if the blob's shape does not fit.
        fn from_owner(owner: Option<IdentityKey>) -> Option<Self::Data>;
    }
}

/// A role in a group or channel: [`Member`], [`Owner`] or [`Subscriber`].
/// Sealed.
pub trait Role: sealed::RoleImpl {}

/// The roles that post: [`Member`] and [`Owner`]. Sealed.
pub trait Posts: Role {}

/// The roles that receive posts and distributions: [`Member`] and
/// [`Subscriber`]. Sealed.
pub trait Receives: Role {}

/// A group member: posts, and receives every other member's posts
/// ([`Group`](crate::group::Group)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Member;

/// A channel's owner: the only one who posts; receives nothing
/// ([`ChannelOwner`](crate::group::ChannelOwner)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Owner;

/// A channel's subscriber: receives the owner's posts, never posts
/// ([`ChannelSubscriber`](crate::group::ChannelSubscriber)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Subscriber;

impl sealed::RoleImpl for Member {
    type Data = ();
    const MODE: GroupMode = GroupMode::Group;
    const BLOB_ROLE: u8 = 0x01;
    const NAME: &'static str = "Member";
    fn may_post(_: &(), is_member: bool, _: &IdentityKey) -> bool {
        is_member
    }
    fn owner(_: &()) -> Option<&IdentityKey> {
        None
    }
    fn from_owner(owner: Option<IdentityKey>) -> Option<()> {
        owner.is_none().then_some(())
    }
}

impl sealed::RoleImpl for Owner {
    type Data = ();
    const MODE: GroupMode = GroupMode::Channel;
    const BLOB_ROLE: u8 = 0x02;
    const NAME: &'static str = "Owner";
    fn may_post(_: &(), _: bool, _: &IdentityKey) -> bool {
        false
    }
    fn owner(_: &()) -> Option<&IdentityKey> {
        None
    }
    fn from_owner(owner: Option<IdentityKey>) -> Option<()> {
        owner.is_none().then_some(())
    }
}

impl sealed::RoleImpl for Subscriber {
    /// The channel's owner.
    type Data = IdentityKey;
    const MODE: GroupMode = GroupMode::Channel;
    const BLOB_ROLE: u8 = 0x03;
    const NAME: &'static str = "Subscriber";
    fn may_post(owner: &IdentityKey, _: bool, sender: &IdentityKey) -> bool {
        sender == owner
    }
    fn owner(owner: &IdentityKey) -> Option<&IdentityKey> {
        Some(owner)
    }
    fn from_owner(owner: Option<IdentityKey>) -> Option<IdentityKey> {
        owner
    }
}

impl Role for Member {}
impl Role for Owner {}
impl Role for Subscriber {}
impl Posts for Member {}
impl Posts for Owner {}
impl Receives for Member {}
impl Receives for Subscriber {}
