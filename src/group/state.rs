//! One group or channel, for one participant, in one of the three roles:
//! [`GroupState<R>`] with `R` a role marker. The methods of the posting
//! roles are on `impl<R: Posts>`, those of the receiving roles on
//! `impl<R: Receives>`, the shared ones on `impl<R: Role>`.

use alloc::vec::Vec;
use core::marker::PhantomData;

use crate::expiry::{ConversationTimer, ExpiryPolicy, TimerChange};
use crate::frame::ContentType;
use crate::group::distribution::Distribution;
use crate::group::error::GroupError;
use crate::group::membership::GroupCore;
use crate::group::received::{GroupReceived, GroupReceivedRef};
use crate::group::roles::sealed::RoleImpl;
use crate::group::roles::{Posts, Receives, Role, Subscriber};
use crate::group::{GroupId, Post, RotationPolicy};
use crate::identity::IdentityKey;
use crate::session::Received;
use crate::time::Timestamp;

/// The state of one group or channel for one participant, in the role `R`
/// ([`Member`](crate::group::Member), [`Owner`](crate::group::Owner) or
/// [`Subscriber`]); use the aliases [`Group`](crate::group::Group),
/// [`ChannelOwner`](crate::group::ChannelOwner) and
/// [`ChannelSubscriber`](crate::group::ChannelSubscriber).
///
/// A subscriber cannot post:
///
/// ```compile_fail
/// # let mut rng = sealwire::os_rng();
/// # let me = *sealwire::IdentityKeyPair::generate(&mut rng).public();
/// # let owner = *sealwire::IdentityKeyPair::generate(&mut rng).public();
/// let mut sub = sealwire::group::ChannelSubscriber::new(
///     sealwire::group::GroupId::from_bytes([0; 16]), me, owner);
/// sub.post(&mut rng, sealwire::Timestamp::from_unix_millis(0), b"no");
/// ```
///
/// and an owner cannot receive:
///
/// ```compile_fail
/// # let mut rng = sealwire::os_rng();
/// # let me = *sealwire::IdentityKeyPair::generate(&mut rng).public();
/// let (mut owner, _) = sealwire::group::ChannelOwner::create(
///     &mut rng, sealwire::Timestamp::from_unix_millis(0), me, &[]).unwrap();
/// owner.receive_post(sealwire::Timestamp::from_unix_millis(0), &[0u8; 200]);
/// ```
///
/// nor can anyone add a role:
///
/// ```compile_fail
/// #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
/// struct Admin;
/// impl sealwire::group::Role for Admin {}
/// ```
///
/// [`Group`]: crate::group::Group
/// [`ChannelOwner`]: crate::group::ChannelOwner
/// [`ChannelSubscriber`]: crate::group::ChannelSubscriber
#[derive(Clone, PartialEq)]
pub struct GroupState<R: Role> {
    pub(crate) core: GroupCore,
    /// What the role holds besides the shared state.
    pub(crate) role: <R as RoleImpl>::Data,
    marker: PhantomData<R>,
}

impl<R: Role> GroupState<R> {
    pub(crate) fn from_parts(core: GroupCore, role: <R as RoleImpl>::Data) -> Self {
        Self {
            core,
            role,
            marker: PhantomData,
        }
    }

    /// The group's id.
    pub fn id(&self) -> GroupId {
        self.core.id
    }

    /// Our identity in the group.
    pub fn me(&self) -> &IdentityKey {
        &self.core.me
    }

    /// The group's disappearing-message timer (as last set by us or by a
    /// timer-change post).
    pub fn timer(&self) -> ConversationTimer {
        self.core.timer
    }

    /// May `sender` post here?
    fn may_post(&self, sender: &IdentityKey) -> bool {
        *sender != self.core.me
            && R::may_post(
                &self.role,
                self.core.members.contains_key(sender.as_bytes()),
                sender,
            )
    }
}

impl<R: Posts<Data = ()>> GroupState<R> {
    /// Creates a new group or channel: draws its id (see [`id`](Self::id))
    /// and our first chain, and returns the chain for every other member
    /// (a channel's subscribers). A group's other members then create
    /// their sides with [`create_with_id`](Self::create_with_id); a
    /// channel's subscribers with [`ChannelSubscriber::new`].
    ///
    /// [`ChannelSubscriber::new`]: GroupState::<Subscriber>::new
    pub fn create<G: rand_core::CryptoRng + ?Sized>(
        rng: &mut G,
        now: Timestamp,
        me: IdentityKey,
        members: &[IdentityKey],
    ) -> Result<(Self, Distribution), GroupError> {
        let id = GroupId::random(rng);
        Self::create_with_id(rng, now, id, me, members)
    }

    /// Creates our side of the group (or channel) `id`: every member of a
    /// group runs its own, with the same id and member list. Draws our
    /// first chain and returns it for every other member.
    pub fn create_with_id<G: rand_core::CryptoRng + ?Sized>(
        rng: &mut G,
        now: Timestamp,
        id: GroupId,
        me: IdentityKey,
        members: &[IdentityKey],
    ) -> Result<(Self, Distribution), GroupError> {
        let (core, dist) = GroupCore::new(rng, now, id, R::MODE, me, members)?;
        Ok((Self::from_parts(core, ()), dist))
    }
}

impl GroupState<Subscriber> {
    /// Our side of a channel owned by `owner`: accepts distributions from
    /// the owner only.
    pub fn new(id: GroupId, me: IdentityKey, owner: IdentityKey) -> Self {
        Self::from_parts(GroupCore::empty(id, Subscriber::MODE, me), owner)
    }

    /// The channel's owner.
    pub fn owner(&self) -> IdentityKey {
        self.role
    }
}

impl<R: Posts> GroupState<R> {
    /// The other members (a channel's subscribers).
    pub fn members(&self) -> Vec<IdentityKey> {
        self.core.members()
    }

    /// Adds a member (a channel's subscriber): returns our current chain
    /// (at its current position: the new member cannot read earlier
    /// posts) for it. In a group, the new member's own chain is accepted
    /// from then on.
    pub fn add_member(&mut self, who: IdentityKey) -> Result<Distribution, GroupError> {
        self.core.add_member(who)
    }

    /// Removes a member (a channel's subscriber): forgets its chains (its
    /// later posts are [`UnknownChain`](GroupError::UnknownChain)), rotates
    /// our chain and returns the new one for every remaining member. The
    /// removed member can read none of our posts after this.
    pub fn remove_member<G: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut G,
        now: Timestamp,
        who: &IdentityKey,
    ) -> Result<Distribution, GroupError> {
        self.core.remove_member(rng, now, who)
    }

    /// Posts a user message: returns the post to broadcast and, if the
    /// rotation policy started a new chain, its distribution (send that
    /// first). On error nothing changed.
    pub fn post<G: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut G,
        now: Timestamp,
        body: &[u8],
    ) -> Result<Post, GroupError> {
        self.core.post(rng, now, ContentType::UserMessage, body)
    }

    /// Posts a body of the given content type (user message or receipt;
    /// anything else is [`InvalidContentType`](GroupError::InvalidContentType)).
    pub fn post_content<G: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut G,
        now: Timestamp,
        content_type: ContentType,
        body: &[u8],
    ) -> Result<Post, GroupError> {
        self.core.post(rng, now, content_type, body)
    }

    /// Length of the post [`post_into`](Self::post_into) writes for a body
    /// of `body_len` bytes.
    pub fn post_len(&self, body_len: usize) -> usize {
        self.core.post_len(body_len)
    }

    /// Posts into the caller's buffer (encrypted in place, no copy of the
    /// ciphertext); returns the length written and the rotation's
    /// distribution, if any.
    pub fn post_into<G: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut G,
        now: Timestamp,
        content_type: ContentType,
        body: &[u8],
        out: &mut [u8],
    ) -> Result<(usize, Option<Distribution>), GroupError> {
        self.core.post_into(rng, now, content_type, body, out)
    }

    /// Changes the group's timer: returns the timer-change post to
    /// broadcast and the change.
    pub fn set_timer<G: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut G,
        now: Timestamp,
        policy: Option<ExpiryPolicy>,
    ) -> Result<(Post, TimerChange), GroupError> {
        self.core.set_timer(rng, now, policy)
    }

    /// Starts a new chain now and returns it for every member.
    pub fn rotate<G: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut G,
        now: Timestamp,
    ) -> Distribution {
        self.core.rotate(rng, now)
    }

    /// The rotation policy (default: 10,000 posts or 7 days).
    pub fn rotation_policy(&self) -> RotationPolicy {
        self.core.rotation
    }

    /// Sets the rotation policy; it applies from the next post.
    pub fn set_rotation_policy(&mut self, policy: RotationPolicy) {
        self.core.rotation = policy;
    }

    /// Who holds our current chain (can read our next post).
    pub fn current_holders(&self) -> Vec<IdentityKey> {
        self.core.current_holders()
    }

    /// Our current chain id and the iteration of our next post.
    pub fn sending_position(&self) -> (u32, u32) {
        self.core
            .own
            .as_ref()
            .map_or((0, 0), |o| (o.chain_id, o.iteration))
    }
}

impl<R: Receives> GroupState<R> {
    /// Receives a post: verifies its signature (strictly, before anything
    /// else), opens it and returns the plaintext with its sender and
    /// expiry. On error nothing changed.
    pub fn receive_post(
        &mut self,
        now: Timestamp,
        post: &[u8],
    ) -> Result<GroupReceived, GroupError> {
        self.core.receive_owned(now, post, None)
    }

    /// [`receive_post`](Self::receive_post) of a post that must be
    /// `sender`'s (a sealed post, whose certificate names the sender):
    /// [`GroupError::SenderMismatch`] if its signature verifies under
    /// another sender's chain. On error nothing changed.
    pub(crate) fn receive_post_from(
        &mut self,
        now: Timestamp,
        post: &[u8],
        sender: &IdentityKey,
    ) -> Result<GroupReceived, GroupError> {
        self.core.receive_owned(now, post, Some(sender))
    }

    /// Receives a post held in `buf`, decrypting it in place; the body
    /// borrows `buf`. On error nothing changed and `buf` holds no
    /// plaintext.
    pub fn receive_post_in_place<'b>(
        &mut self,
        now: Timestamp,
        buf: &'b mut [u8],
    ) -> Result<GroupReceivedRef<'b>, GroupError> {
        self.core.receive_in_place(now, buf, None)
    }

    /// Takes in a key distribution decrypted from a 1:1 session: the chain
    /// is bound to the session's authenticated peer (`received.sender`).
    /// Returns `true` for a new chain, `false` if it was already held. A
    /// new chain becomes the sender's current one: the sender's older
    /// chains count as superseded from `now` and are erased once past the
    /// retention window (see [`erase_expired_keys`](Self::erase_expired_keys)).
    pub fn accept_distribution(
        &mut self,
        now: Timestamp,
        received: &Received,
    ) -> Result<bool, GroupError> {
        if received.content_type != ContentType::GroupKeyDistribution {
            return Err(GroupError::NotADistribution);
        }
        self.process_distribution(now, &received.sender, &received.plaintext)
    }

    /// A distribution body from the 1:1 peer `sender`.
    pub(crate) fn process_distribution(
        &mut self,
        now: Timestamp,
        sender: &IdentityKey,
        body: &[u8],
    ) -> Result<bool, GroupError> {
        let allowed = self.may_post(sender);
        self.core.process_distribution(now, sender, allowed, body)
    }

    /// How many skipped post keys are held, over all senders (including
    /// keys past their window that no erasure has removed yet).
    pub fn skipped_key_count(&self) -> usize {
        self.core.senders.values().map(|s| s.skipped.len()).sum()
    }

    /// Erases the skipped post keys and superseded chains whose retention
    /// has run out at `now`: kept longer than the maximum age
    /// ([`set_max_skipped_key_age`](Self::set_max_skipped_key_age)) or, if
    /// the group's timer is after-send, than its TTL plus
    /// [`SKIPPED_KEY_GRACE_MS`](crate::expiry::policy::SKIPPED_KEY_GRACE_MS),
    /// whichever is shorter (SPEC.md §20.5). A key's time runs from the
    /// receive that skipped it, a chain's from the distribution of the
    /// sender's next chain. A later post that needed an erased key is
    /// [`MessageKeyEvicted`](GroupError::MessageKeyEvicted), one of an
    /// erased chain [`UnknownChain`](GroupError::UnknownChain). The newest
    /// chain of each sender is never erased by time. Every successful
    /// receive and accepted distribution also erases, for its own sender
    /// only; what is past its window is refused even before it is erased.
    /// Save the state afterwards: older saved copies still hold the keys.
    pub fn erase_expired_keys(&mut self, now: Timestamp) {
        self.core.erase_expired_keys(now);
    }

    /// When the next skipped post key or superseded chain is due to be
    /// erased (the earliest instant past its window): call
    /// [`erase_expired_keys`](Self::erase_expired_keys) then. `None` when
    /// nothing is held that time would erase.
    pub fn next_key_erasure(&self) -> Option<Timestamp> {
        self.core.next_key_erasure()
    }

    /// Sets how long skipped post keys and superseded chains may be kept
    /// at most, in milliseconds (default
    /// [`MAX_SKIPPED_KEY_AGE_MS`](crate::limits::MAX_SKIPPED_KEY_AGE_MS),
    /// saved with the state), and erases at `now` what is past the old or
    /// the new window (widening the window never revives what was already
    /// due).
    pub fn set_max_skipped_key_age(&mut self, now: Timestamp, max_age_ms: u64) {
        self.core
            .set_retention(now, |c| c.max_skipped_key_age_ms = max_age_ms);
    }

    /// The maximum age of skipped post keys and superseded chains (ms), as
    /// set by [`set_max_skipped_key_age`](Self::set_max_skipped_key_age).
    pub fn max_skipped_key_age(&self) -> u64 {
        self.core.max_skipped_key_age_ms
    }

    /// How many chains are held for `sender`.
    pub fn chain_count(&self, sender: &IdentityKey) -> usize {
        self.core
            .senders
            .get(sender.as_bytes())
            .map_or(0, |s| s.chains.len())
    }
}

impl<R: Role> core::fmt::Debug for GroupState<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let Self {
            core,
            role,
            marker: _,
        } = self;
        let mut s = f.debug_struct("GroupState");
        s.field("role", &R::NAME);
        if let Some(owner) = R::owner(role) {
            s.field("owner", owner);
        }
        core.debug_fields(&mut s);
        s.finish_non_exhaustive()
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use alloc::format;
    use alloc::string::String;

    use super::*;
    use crate::group::{ChannelOwner, ChannelSubscriber, Group};
    use crate::identity::IdentityKeyPair;

    /// Every way `Debug` could print 32 key bytes: hex either case, or as
    /// a list of numbers.
    fn forms(bytes: &[u8]) -> [String; 3] {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        [hex.clone(), hex.to_uppercase(), format!("{bytes:?}")]
    }

    #[test]
    fn debug_names_the_role_and_shows_no_key() {
        let mut rng = crate::rng::os_rng();
        let now = Timestamp::from_unix_millis(1_780_000_000_000);
        let me = IdentityKeyPair::generate(&mut rng);
        let other = IdentityKeyPair::generate(&mut rng);
        let (group, d) = Group::create(&mut rng, now, *me.public(), &[*other.public()]).unwrap();
        let (owner, od) =
            ChannelOwner::create(&mut rng, now, *me.public(), &[*other.public()]).unwrap();
        let sub = ChannelSubscriber::new(owner.id(), *other.public(), *me.public());
        let shown = [
            format!("{group:?}"),
            format!("{owner:?}"),
            format!("{sub:?}"),
        ];
        assert!(shown[0].contains("\"Member\""));
        assert!(shown[1].contains("\"Owner\""));
        assert!(shown[2].contains("\"Subscriber\"") && shown[2].contains("owner"));
        // The chain key is at 26..58 of a distribution body.
        for body in [&d.body, &od.body] {
            for form in forms(&body[26..58]) {
                assert!(shown.iter().all(|s| !s.contains(&form)), "{form}");
            }
        }
    }
}
