//! What one outgoing 1:1 message is ([`Outgoing`]) and what sending it
//! gives back ([`Sent`], [`SentInto`]): plain data, below the conversation
//! that seals it and the [`Encrypt`](crate::Encrypt) trait that sends it.

use alloc::vec::Vec;

use crate::frame::ContentType;
use crate::franking::Franking;

/// One message to send: its content type, its body, and whether it is
/// franked (SPEC.md §19). Cheap to copy; borrows the body.
///
/// ```
/// use sealwire::{ContentType, Outgoing};
///
/// let text = Outgoing::message(b"hi");
/// let receipt = Outgoing::new(ContentType::Receipt, b"read");
/// let reportable = Outgoing::message(b"hi").franked();
/// assert!(reportable.is_franked() && !text.is_franked());
/// assert_eq!(receipt.content_type(), ContentType::Receipt);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Outgoing<'a> {
    content_type: ContentType,
    body: &'a [u8],
    franked: bool,
}

impl<'a> Outgoing<'a> {
    /// A user message ([`ContentType::UserMessage`]), not franked.
    pub const fn message(body: &'a [u8]) -> Self {
        Self::new(ContentType::UserMessage, body)
    }

    /// A body of the given content type, not franked. Any content type but
    /// [`ContentType::TimerChange`], which only `set_timer` sends
    /// (encrypting one is [`SessionError::InvalidPolicy`](crate::SessionError::InvalidPolicy)).
    pub const fn new(content_type: ContentType, body: &'a [u8]) -> Self {
        Self {
            content_type,
            body,
            franked: false,
        }
    }

    /// The same message, **franked** (SPEC.md §19): the sender draws a
    /// fresh franking key, commits to the body, content type, both
    /// identities and the send time, and sends the commitment beside the
    /// ciphertext, so that the recipient can report the message to the
    /// relay. Franking trades the message's deniability towards the relay
    /// for reportability. The encrypt call returns the franking opening.
    #[must_use]
    pub const fn franked(self) -> Self {
        Self {
            franked: true,
            ..self
        }
    }

    /// What the message carries.
    pub const fn content_type(&self) -> ContentType {
        self.content_type
    }

    /// The message body.
    pub const fn body(&self) -> &'a [u8] {
        self.body
    }

    /// Whether the message is franked.
    pub const fn is_franked(&self) -> bool {
        self.franked
    }
}

impl core::fmt::Debug for Outgoing<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The body is plaintext: only its length is shown.
        f.debug_struct("Outgoing")
            .field("content_type", &self.content_type)
            .field("body_len", &self.body.len())
            .field("franked", &self.franked)
            .finish()
    }
}

/// A message [`Encrypt::encrypt`](crate::Encrypt::encrypt) built: the bytes to transmit and, for a
/// franked message, its franking opening.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sent {
    /// The wire message to transmit.
    pub message: Vec<u8>,
    /// The franking key `kf` and commitment `cf` of a franked message
    /// (what the recipient finds in
    /// [`Received::franking`](crate::Received::franking)); `Some` exactly
    /// when the message was [`franked`](Outgoing::franked).
    pub franking: Option<Franking>,
}

/// A message [`Encrypt::encrypt_into`](crate::Encrypt::encrypt_into) wrote into the caller's buffer: its
/// length and, for a franked message, its franking opening.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SentInto {
    /// How many bytes of the buffer the message fills, from its start.
    pub len: usize,
    /// As [`Sent::franking`].
    pub franking: Option<Franking>,
}

impl core::fmt::Debug for Sent {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sent")
            .field("message_len", &self.message.len())
            .field("franking", &self.franking)
            .finish()
    }
}

impl core::fmt::Debug for SentInto {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SentInto")
            .field("len", &self.len)
            .field("franking", &self.franking)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors() {
        let m = Outgoing::message(b"hi");
        assert_eq!(m.content_type(), ContentType::UserMessage);
        assert_eq!(m.body(), b"hi");
        assert!(!m.is_franked());
        let r = Outgoing::new(ContentType::Receipt, b"read").franked();
        assert_eq!(r.content_type(), ContentType::Receipt);
        assert_eq!(r.body(), b"read");
        assert!(r.is_franked());
        assert_eq!(r, Outgoing::new(ContentType::Receipt, b"read").franked());
        assert_ne!(r, Outgoing::new(ContentType::Receipt, b"read"));
    }

    #[test]
    fn debug_shows_no_body() {
        let m = Outgoing::message(b"secret words").franked();
        let shown = alloc::format!("{m:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("body_len: 12"), "{shown}");
        let sent = Sent {
            message: b"secret".to_vec(),
            franking: None,
        };
        let shown = alloc::format!("{sent:?}");
        assert!(
            shown.contains("message_len: 6") && !shown.contains("115"),
            "{shown}"
        );
        let into = SentInto {
            len: 7,
            franking: None,
        };
        assert_eq!(
            alloc::format!("{into:?}"),
            "SentInto { len: 7, franking: None }"
        );
    }
}
