//! The role types' methods, behind traits, so that each export is written
//! once for the types that allow it.

use sealwire::expiry::ExpiryPolicy;
use sealwire::group::{
    ChannelOwner, ChannelSubscriber, Distribution, Group, GroupError, GroupReceivedRef, Post,
    RotationPolicy,
};
use sealwire::{ContentType, IdentityKey, Timestamp};

use crate::rng::Rng;

/// Posting: group members and channel owners.
pub(super) trait Poster: Clone {
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
pub(super) trait Receiver {
    fn receive_in_place<'b>(
        &mut self,
        now: Timestamp,
        buf: &'b mut [u8],
    ) -> core::result::Result<GroupReceivedRef<'b>, GroupError>;
    fn process_distribution(
        &mut self,
        now: Timestamp,
        sender: &IdentityKey,
        body: &[u8],
    ) -> core::result::Result<bool, GroupError>;
    fn erase_expired_keys(&mut self, now: Timestamp);
    fn next_key_erasure(&self) -> Option<Timestamp>;
    fn set_max_skipped_key_age(&mut self, now: Timestamp, max_age_ms: u64);
    fn skipped_key_count(&self) -> usize;
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
                now: Timestamp,
                sender: &IdentityKey,
                body: &[u8],
            ) -> core::result::Result<bool, GroupError> {
                <$ty>::process_distribution(self, now, sender, body)
            }
            fn erase_expired_keys(&mut self, now: Timestamp) {
                <$ty>::erase_expired_keys(self, now);
            }
            fn next_key_erasure(&self) -> Option<Timestamp> {
                <$ty>::next_key_erasure(self)
            }
            fn set_max_skipped_key_age(&mut self, now: Timestamp, max_age_ms: u64) {
                <$ty>::set_max_skipped_key_age(self, now, max_age_ms);
            }
            fn skipped_key_count(&self) -> usize {
                <$ty>::skipped_key_count(self)
            }
        }
    };
}

receiver!(Group);
receiver!(ChannelSubscriber);
