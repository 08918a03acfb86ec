//! What decryption hands back: the plaintext and its metadata.

use crate::plaintext::Plaintext;

use crate::expiry::{MessageExpiry, TimerChange};
use crate::frame::ContentType;
use crate::franking::{Franking, FrankingRef, Report, ReportError, Stamp};
use crate::identity::IdentityKey;
use crate::time::Timestamp;

/// A decrypted message, owning its plaintext (zeroized on drop).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Received {
    /// The message body.
    pub plaintext: Plaintext,
    /// The sender's identity key, authenticated by the session.
    pub sender: IdentityKey,
    /// The message's number (N) in the sender's current chain.
    pub message_number: u32,
    /// What the message carries.
    pub content_type: ContentType,
    /// The sender's claimed send time. Authenticated but set by the
    /// sender's clock: never trust it to extend anything.
    pub sent_at: Timestamp,
    /// When this message disappears (receiver's clock). If
    /// [`MessageExpiry::Expired`], the plaintext was erased and is empty.
    pub expiry: MessageExpiry,
    /// Set when this message changed the conversation's timer.
    pub timer_change: Option<TimerChange>,
    /// The franking evidence (`kf`, `cf`) of a franked message, already
    /// verified: store it with the message (and the relay's stamp) to be
    /// able to report it (SPEC.md §19). `None` if the message was not
    /// franked, or expired on arrival.
    pub franking: Option<Franking>,
}

/// A message decrypted in the caller's buffer, borrowing its body.
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceivedRef<'b> {
    /// The message body, inside the caller's buffer.
    pub body: &'b [u8],
    /// The sender's identity key.
    pub sender: IdentityKey,
    /// The message's number (N) in the sender's current chain.
    pub message_number: u32,
    /// What the message carries.
    pub content_type: ContentType,
    /// The sender's claimed send time.
    pub sent_at: Timestamp,
    /// When this message disappears (receiver's clock). If
    /// [`MessageExpiry::Expired`], the body was erased and is empty.
    pub expiry: MessageExpiry,
    /// Set when this message changed the conversation's timer.
    pub timer_change: Option<TimerChange>,
    /// The franking evidence of a franked message, inside the caller's
    /// buffer; see [`Received::franking`].
    pub franking: Option<FrankingRef<'b>>,
}

impl ReceivedRef<'_> {
    /// Copies the body into an owned [`Received`].
    pub fn to_owned(&self) -> Received {
        self.with_plaintext(Plaintext::copy_from(self.body))
    }

    /// This message's metadata with `plaintext` as its body.
    pub(crate) fn with_plaintext(&self, plaintext: Plaintext) -> Received {
        Received {
            plaintext,
            sender: self.sender,
            message_number: self.message_number,
            content_type: self.content_type,
            sent_at: self.sent_at,
            expiry: self.expiry,
            timer_change: self.timer_change,
            franking: self.franking.map(|f| f.to_owned()),
        }
    }
}

impl core::fmt::Debug for Received {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Received")
            .field("plaintext_len", &self.plaintext.len())
            .field("sender", &self.sender)
            .field("message_number", &self.message_number)
            .field("content_type", &self.content_type)
            .field("sent_at", &self.sent_at)
            .field("expiry", &self.expiry)
            .field("timer_change", &self.timer_change)
            .field("franking", &self.franking)
            .finish()
    }
}

impl core::fmt::Debug for ReceivedRef<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReceivedRef")
            .field("body_len", &self.body.len())
            .field("sender", &self.sender)
            .field("message_number", &self.message_number)
            .field("content_type", &self.content_type)
            .field("sent_at", &self.sent_at)
            .field("expiry", &self.expiry)
            .field("timer_change", &self.timer_change)
            .field("franking", &self.franking)
            .finish()
    }
}

// Built here rather than in `franking`: a report is franking data, and the
// franking module sits below the sessions (ARCHITECTURE.md), so the one
// constructor that reads a decrypted message lives with that message.
impl Report {
    /// A report of a message just decrypted: `NotFranked` if it was not
    /// franked (or expired on arrival, so that nothing of it was kept).
    pub fn from_received(
        received: &Received,
        recipient: IdentityKey,
        stamp: Stamp,
    ) -> Result<Self, ReportError> {
        let franking = received.franking.clone().ok_or(ReportError::NotFranked)?;
        Self::new(
            received.content_type,
            received.sender,
            recipient,
            received.sent_at,
            &received.plaintext,
            franking,
            stamp,
        )
    }
}
