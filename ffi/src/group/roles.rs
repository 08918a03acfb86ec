//! What the exports need of the role types beyond the generic methods of
//! `GroupState<R>` (posting on `R: Posts`, receiving on `R: Receives`):
//! adding and removing a member, which each posting role names its own
//! way.

use sealwire::group::{ChannelOwner, Distribution, Group, GroupError};
use sealwire::{IdentityKey, Timestamp};

use crate::rng::Rng;

/// Membership: group members (members) and channel owners (subscribers).
pub(super) trait Manages {
    fn add(&mut self, who: IdentityKey) -> core::result::Result<Distribution, GroupError>;
    fn remove(
        &mut self,
        rng: &mut Rng,
        now: Timestamp,
        who: &IdentityKey,
    ) -> core::result::Result<Distribution, GroupError>;
}

impl Manages for Group {
    fn add(&mut self, who: IdentityKey) -> core::result::Result<Distribution, GroupError> {
        self.add_member(who)
    }
    fn remove(
        &mut self,
        rng: &mut Rng,
        now: Timestamp,
        who: &IdentityKey,
    ) -> core::result::Result<Distribution, GroupError> {
        self.remove_member(rng, now, who)
    }
}

impl Manages for ChannelOwner {
    fn add(&mut self, who: IdentityKey) -> core::result::Result<Distribution, GroupError> {
        self.add_subscriber(who)
    }
    fn remove(
        &mut self,
        rng: &mut Rng,
        now: Timestamp,
        who: &IdentityKey,
    ) -> core::result::Result<Distribution, GroupError> {
        self.remove_subscriber(rng, now, who)
    }
}
