//! What receiving a post hands back.

use crate::plaintext::Plaintext;

use crate::expiry::{MessageExpiry, TimerChange};
use crate::frame::ContentType;
use crate::identity::IdentityKey;
use crate::time::Timestamp;

/// A decrypted post, owning its plaintext (zeroized on drop).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupReceived {
    /// The post body.
    pub plaintext: Plaintext,
    /// The sender: the 1:1 peer who distributed the chain.
    pub sender: IdentityKey,
    /// The sender's chain.
    pub chain_id: u32,
    /// The post's position in that chain.
    pub iteration: u32,
    /// User message, receipt or timer change.
    pub content_type: ContentType,
    /// The sender's claimed send time (never trust it to extend anything).
    pub sent_at: Timestamp,
    /// When the post disappears (receiver's clock); if
    /// [`MessageExpiry::Expired`], the plaintext was erased and is empty.
    pub expiry: MessageExpiry,
    /// Set when this post changed the group's timer.
    pub timer_change: Option<TimerChange>,
}

/// A post decrypted in the caller's buffer, borrowing its body.
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupReceivedRef<'b> {
    /// The post body, inside the caller's buffer.
    pub body: &'b [u8],
    /// The sender.
    pub sender: IdentityKey,
    /// The sender's chain.
    pub chain_id: u32,
    /// The post's position in that chain.
    pub iteration: u32,
    /// User message, receipt or timer change.
    pub content_type: ContentType,
    /// The sender's claimed send time.
    pub sent_at: Timestamp,
    /// When the post disappears (receiver's clock).
    pub expiry: MessageExpiry,
    /// Set when this post changed the group's timer.
    pub timer_change: Option<TimerChange>,
}

impl GroupReceivedRef<'_> {
    /// Copies the body into an owned [`GroupReceived`].
    pub fn to_owned(&self) -> GroupReceived {
        self.with_plaintext(Plaintext::copy_from(self.body))
    }

    /// This post's metadata with `plaintext` as its body.
    pub(crate) fn with_plaintext(&self, plaintext: Plaintext) -> GroupReceived {
        GroupReceived {
            plaintext,
            sender: self.sender,
            chain_id: self.chain_id,
            iteration: self.iteration,
            content_type: self.content_type,
            sent_at: self.sent_at,
            expiry: self.expiry,
            timer_change: self.timer_change,
        }
    }
}

impl core::fmt::Debug for GroupReceived {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GroupReceived")
            .field("plaintext_len", &self.plaintext.len())
            .field("sender", &self.sender)
            .field("chain_id", &self.chain_id)
            .field("iteration", &self.iteration)
            .field("content_type", &self.content_type)
            .field("sent_at", &self.sent_at)
            .field("expiry", &self.expiry)
            .field("timer_change", &self.timer_change)
            .finish()
    }
}

impl core::fmt::Debug for GroupReceivedRef<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GroupReceivedRef")
            .field("body_len", &self.body.len())
            .field("sender", &self.sender)
            .field("chain_id", &self.chain_id)
            .field("iteration", &self.iteration)
            .field("content_type", &self.content_type)
            .field("sent_at", &self.sent_at)
            .field("expiry", &self.expiry)
            .finish_non_exhaustive()
    }
}
