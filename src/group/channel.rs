//! Channels: only the owner posts; subscribers only receive. Same
//! cryptography as groups.

use alloc::vec::Vec;

use crate::group::GroupId;
use crate::group::distribution::Distribution;
use crate::group::error::GroupError;
use crate::group::membership::{GroupCore, Role};
use crate::group::roles::{common_methods, receiver_methods, sender_methods};
use crate::identity::IdentityKey;
use crate::time::Timestamp;

/// The owner of a channel: the only one who posts. Receives nothing.
#[derive(Clone, PartialEq)]
pub struct ChannelOwner {
    pub(crate) core: GroupCore,
}

impl ChannelOwner {
    /// Creates a channel: draws the owner's chain and returns it for every
    /// subscriber.
    pub fn create<R: rand_core::CryptoRng + ?Sized>(
        rng: &mut R,
        now: Timestamp,
        id: GroupId,
        me: IdentityKey,
        subscribers: &[IdentityKey],
    ) -> Result<(ChannelOwner, Distribution), GroupError> {
        let (core, dist) = GroupCore::new(rng, now, id, Role::Owner, me, subscribers)?;
        let dist = dist.ok_or(GroupError::NotAMember)?;
        Ok((ChannelOwner { core }, dist))
    }

    common_methods!();
    sender_methods!();

    /// The subscribers.
    pub fn subscribers(&self) -> Vec<IdentityKey> {
        self.core.members()
    }

    /// Adds a subscriber: returns the current chain (at its current
    /// position) for it.
    pub fn add_subscriber(&mut self, who: IdentityKey) -> Result<Distribution, GroupError> {
        self.core.add_member(who)
    }

    /// Removes a subscriber: rotates the chain and returns the new one for
    /// every remaining subscriber. The removed subscriber can read nothing
    /// posted after this.
    pub fn remove_subscriber<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        who: &IdentityKey,
    ) -> Result<Distribution, GroupError> {
        self.core.remove_member(rng, now, who)
    }
}

/// A channel subscriber: receives the owner's posts. It has no sending
/// chain and no method that posts.
///
/// ```compile_fail
/// # let mut rng = sealwire::os_rng();
/// # let me = *sealwire::IdentityKeyPair::generate(&mut rng).public();
/// # let owner = *sealwire::IdentityKeyPair::generate(&mut rng).public();
/// let mut sub = sealwire::group::ChannelSubscriber::new(
///     sealwire::group::GroupId::from_bytes([0; 16]), me, owner);
/// sub.post(&mut rng, sealwire::Timestamp::from_unix_millis(0), b"no");
/// ```
#[derive(Clone, PartialEq)]
pub struct ChannelSubscriber {
    pub(crate) core: GroupCore,
}

impl ChannelSubscriber {
    /// Our side of a channel owned by `owner`: accepts distributions from
    /// the owner only.
    pub fn new(id: GroupId, me: IdentityKey, owner: IdentityKey) -> Self {
        Self {
            core: GroupCore::empty(id, Role::Subscriber { owner }, me),
        }
    }

    common_methods!();
    receiver_methods!();

    /// The channel's owner.
    pub fn owner(&self) -> IdentityKey {
        match self.core.role {
            Role::Subscriber { owner } => owner,
            _ => self.core.me,
        }
    }
}

impl core::fmt::Debug for ChannelOwner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.core.fmt(f)
    }
}

impl core::fmt::Debug for ChannelSubscriber {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.core.fmt(f)
    }
}
