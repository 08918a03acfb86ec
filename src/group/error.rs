//! The errors of groups and channels (SPEC.md §11.7).

use core::fmt;

use crate::error::{DecodeError, SessionError};

/// Errors of groups and channels: posting, receiving posts, distributions
/// and membership.
///
/// Every error leaves the group exactly as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupError {
    /// The post or distribution is not a well-formed encoding, or its
    /// decrypted inner frame does not parse.
    Malformed(DecodeError),
    /// The post or distribution names another group.
    WrongGroup,
    /// No chain with the post's chain id is held (never distributed to us,
    /// its sender was removed, it is older than the
    /// [`MAX_SENDER_CHAIN_STATES`](crate::limits::MAX_SENDER_CHAIN_STATES)
    /// chains kept per sender, or it was superseded by a newer chain longer
    /// ago than the retention window and is erased, or due to be: SPEC.md
    /// §20.5).
    UnknownChain,
    /// The post's Ed25519 signature does not verify (strictly) under the
    /// chain's signing key: a forgery, for example by another member who
    /// holds the chain key.
    BadSignature,
    /// The post's key was already used (a replay), or its position is behind
    /// the chain and no key for it is held.
    DuplicatePost,
    /// The post's key was evicted by the cap of
    /// [`MAX_GROUP_SKIPPED_KEYS`](crate::limits::MAX_GROUP_SKIPPED_KEYS), or
    /// erased on schedule: it was skipped longer ago than the retention
    /// window (erased, or due to be: SPEC.md §20.5).
    MessageKeyEvicted,
    /// The post is more than
    /// [`MAX_GROUP_FORWARD_JUMP`](crate::limits::MAX_GROUP_FORWARD_JUMP)
    /// positions ahead of its chain.
    TooFarAhead,
    /// The post carries iteration 2³² − 1, which is never used.
    CounterOverflow,
    /// The body is longer than [`MAX_BODY_LEN`](crate::limits::MAX_BODY_LEN).
    MessageTooLarge,
    /// The caller's output buffer is too small (see `post_len`).
    BufferTooSmall,
    /// A malformed disappearing-message policy in a post's frame, or a
    /// timer version too far ahead (as in 1:1 sessions).
    InvalidPolicy,
    /// The frame uses a feature this version does not implement.
    UnsupportedFeature,
    /// The content type cannot be posted (timer changes go through
    /// `set_timer`; key distributions travel over 1:1 sessions), or a post
    /// carries a key distribution.
    InvalidContentType,
    /// The distribution names a sender other than the authenticated peer of
    /// the 1:1 session it arrived on.
    SenderMismatch,
    /// The distribution comes from someone who may not post here: not a
    /// member of the group, not the owner of the channel, or ourselves.
    NotAMember,
    /// A channel distribution offered to a group, or the reverse.
    ModeMismatch,
    /// The same sender distributed a different chain under a chain id we
    /// already hold.
    ChainConflict,
    /// A decrypted 1:1 message that is not a key distribution was offered
    /// as one.
    NotADistribution,
    /// The identity is already a member.
    AlreadyMember,
    /// The identity is not a member.
    UnknownMember,
    /// Our own identity given as a member.
    IsSelf,
    /// The group already has
    /// [`MAX_GROUP_MEMBERS`](crate::limits::MAX_GROUP_MEMBERS) members.
    GroupFull,
    /// A rotation policy of zero posts or zero time.
    InvalidRotationPolicy,
}

impl fmt::Display for GroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => write!(f, "malformed post or distribution: {e}"),
            Self::WrongGroup => f.write_str("post or distribution of another group"),
            Self::UnknownChain => f.write_str("unknown sender chain"),
            Self::BadSignature => f.write_str("post signature does not verify"),
            Self::DuplicatePost => f.write_str("duplicate post or key no longer held"),
            Self::MessageKeyEvicted => f.write_str("post key evicted or erased on schedule"),
            Self::TooFarAhead => f.write_str("post too far ahead of its chain"),
            Self::CounterOverflow => f.write_str("post counter exhausted"),
            Self::MessageTooLarge => f.write_str("post body too large"),
            Self::BufferTooSmall => f.write_str("output buffer too small"),
            Self::InvalidPolicy => f.write_str("invalid disappearing-message policy"),
            Self::UnsupportedFeature => f.write_str("unsupported inner-frame feature"),
            Self::InvalidContentType => f.write_str("content type not allowed here"),
            Self::SenderMismatch => {
                f.write_str("distribution sender is not the authenticated peer")
            }
            Self::NotAMember => f.write_str("sender may not post in this group"),
            Self::ModeMismatch => f.write_str("channel and group distributions mixed"),
            Self::ChainConflict => f.write_str("conflicting chain under a held chain id"),
            Self::NotADistribution => f.write_str("not a key distribution"),
            Self::AlreadyMember => f.write_str("already a member"),
            Self::UnknownMember => f.write_str("not a member"),
            Self::IsSelf => f.write_str("our own identity"),
            Self::GroupFull => f.write_str("group member limit reached"),
            Self::InvalidRotationPolicy => f.write_str("invalid rotation policy"),
        }
    }
}

impl core::error::Error for GroupError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Malformed(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DecodeError> for GroupError {
    fn from(e: DecodeError) -> Self {
        Self::Malformed(e)
    }
}

/// A frame error (SPEC.md §8.5) inside a post.
pub(crate) fn from_frame_error(e: SessionError) -> GroupError {
    match e {
        SessionError::Malformed(d) => GroupError::Malformed(d),
        SessionError::InvalidPolicy => GroupError::InvalidPolicy,
        SessionError::UnsupportedFeature => GroupError::UnsupportedFeature,
        SessionError::MessageTooLarge => GroupError::MessageTooLarge,
        SessionError::BufferTooSmall => GroupError::BufferTooSmall,
        _ => GroupError::Malformed(DecodeError::InvalidValue),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_error_keeps_its_meaning_inside_a_post() {
        for (frame, post) in [
            (
                SessionError::Malformed(DecodeError::Truncated),
                GroupError::Malformed(DecodeError::Truncated),
            ),
            (SessionError::InvalidPolicy, GroupError::InvalidPolicy),
            (
                SessionError::UnsupportedFeature,
                GroupError::UnsupportedFeature,
            ),
            (SessionError::MessageTooLarge, GroupError::MessageTooLarge),
            (SessionError::BufferTooSmall, GroupError::BufferTooSmall),
            // No frame error is a session's key error: anything else is a
            // malformed post.
            (
                SessionError::AuthenticationFailed,
                GroupError::Malformed(DecodeError::InvalidValue),
            ),
        ] {
            assert_eq!(from_frame_error(frame), post, "{frame:?}");
        }
    }
}
