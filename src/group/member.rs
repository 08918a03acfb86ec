//! A group member: posts, and receives every other member's posts.

use alloc::vec::Vec;

use crate::group::GroupId;
use crate::group::distribution::Distribution;
use crate::group::error::GroupError;
use crate::group::membership::{GroupCore, Role};
use crate::group::roles::{common_methods, receiver_methods, sender_methods};
use crate::identity::IdentityKey;
use crate::time::Timestamp;

/// Our side of a group in which every member posts.
///
/// Every member runs its own `Group` with the same id and member list (the
/// app's group management keeps them in step): each has its own sending
/// chain and holds the chains the others distributed to it. When a member
/// leaves, every remaining member calls [`remove_member`](Self::remove_member),
/// which rotates its own chain.
#[derive(Clone, PartialEq)]
pub struct Group {
    pub(crate) core: GroupCore,
}

impl Group {
    /// Creates our side of a group (the creator and every joining member
    /// alike): draws our first chain and returns it for every other
    /// member.
    pub fn create<R: rand_core::CryptoRng + ?Sized>(
        rng: &mut R,
        now: Timestamp,
        id: GroupId,
        me: IdentityKey,
        members: &[IdentityKey],
    ) -> Result<(Group, Distribution), GroupError> {
        let (core, dist) = GroupCore::new(rng, now, id, Role::Member, me, members)?;
        let dist = dist.ok_or(GroupError::NotAMember)?;
        Ok((Group { core }, dist))
    }

    common_methods!();
    sender_methods!();
    receiver_methods!();

    /// The other members.
    pub fn members(&self) -> Vec<IdentityKey> {
        self.core.members()
    }

    /// Adds a member: returns our current chain (at its current position:
    /// the new member cannot read earlier posts) for it. The new member's
    /// own chain is accepted from then on.
    pub fn add_member(&mut self, who: IdentityKey) -> Result<Distribution, GroupError> {
        self.core.add_member(who)
    }

    /// Removes a member: forgets its chains (its later posts are
    /// [`UnknownChain`](GroupError::UnknownChain)), rotates our chain and
    /// returns the new one for every remaining member. The removed member
    /// can read none of our posts after this.
    pub fn remove_member<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        who: &IdentityKey,
    ) -> Result<Distribution, GroupError> {
        self.core.remove_member(rng, now, who)
    }
}

impl core::fmt::Debug for Group {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.core.fmt(f)
    }
}
