//! What the send and receive helpers return, and the stored rows.

use sealwire::DeviceAddress;
use sealwire::expiry::TimerChange;
use sealwire::{ContentType, IdentityKey, Received, Timestamp};

/// Which session a received message was decrypted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// A session already stored for the sender: the current one or a
    /// previous one (a late message of a replaced session).
    Existing,
    /// A new session, accepted from this prekey message. It becomes the
    /// current session, except while both devices started one at once and
    /// ours, started by the lower identity key, stays current (SPEC.md
    /// §21.3). `replaced`: the session that was current before (a pending
    /// one, or one the peer has since replaced) is now a previous one: it
    /// still receives late messages but no longer sends.
    /// `previous_identity`: the identity key recorded for the device
    /// before, if it was a different one (show the user the new safety
    /// number).
    Accepted {
        /// The session that was current became a previous one.
        replaced: bool,
        /// The device's previous identity key, if it changed.
        previous_identity: Option<IdentityKey>,
    },
}

/// What [`SqliteStore::receive`](crate::SqliteStore::receive) did. It
/// returns only after the transaction committed: whatever it reports is on
/// disk.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReceiveOutcome {
    /// Decrypted; the message row and the new session state are stored.
    Stored {
        /// The message's row in `messages`.
        row_id: i64,
        /// The decrypted message.
        received: Received,
        /// The session it was decrypted in.
        session: SessionEvent,
    },
    /// Decrypted; the new session state is stored but no message row: a
    /// timer change (content type `TimerChange`, see
    /// [`Received::timer_change`]), or a message that arrived after its
    /// deadline ([`MessageExpiry::Expired`](sealwire::expiry::MessageExpiry::Expired),
    /// empty plaintext).
    NotStored {
        /// The decrypted message.
        received: Received,
        /// The session it was decrypted in.
        session: SessionEvent,
    },
    /// Already received (`SessionError::DuplicateMessage`): stored before,
    /// nothing changed. Acknowledge it again.
    Duplicate,
}

impl ReceiveOutcome {
    /// The decrypted message, unless a duplicate.
    pub fn received(&self) -> Option<&Received> {
        match self {
            Self::Stored { received, .. } | Self::NotStored { received, .. } => Some(received),
            Self::Duplicate => None,
        }
    }

    /// The stored row, if any.
    pub fn row_id(&self) -> Option<i64> {
        match self {
            Self::Stored { row_id, .. } => Some(*row_id),
            _ => None,
        }
    }

    /// The conversation timer change this message made, if any.
    pub fn timer_change(&self) -> Option<TimerChange> {
        self.received().and_then(|r| r.timer_change)
    }

    /// The session the message was decrypted in, unless a duplicate.
    pub fn session(&self) -> Option<SessionEvent> {
        match self {
            Self::Stored { session, .. } | Self::NotStored { session, .. } => Some(*session),
            Self::Duplicate => None,
        }
    }
}

/// A message encrypted and committed by the send helpers: transmit
/// `ciphertext`, then call
/// [`mark_delivered(outbox_id)`](crate::SqliteStore::mark_delivered) once
/// the peer acknowledged it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outgoing {
    /// The message's row in `messages` (`None` for a timer change).
    pub row_id: Option<i64>,
    /// The ciphertext's row in `outbox`.
    pub outbox_id: i64,
    /// The message to transmit.
    pub ciphertext: Vec<u8>,
}

/// A ciphertext sent but not yet acknowledged (table `outbox`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutboxEntry {
    /// The row's id, for [`mark_delivered`](crate::SqliteStore::mark_delivered).
    pub id: i64,
    /// The peer device.
    pub peer: DeviceAddress,
    /// The message row it carries (`None`: a timer change, or a message
    /// row deleted since, for example expired).
    pub message_id: Option<i64>,
    /// The exact bytes to retransmit.
    pub ciphertext: Vec<u8>,
    /// When it was encrypted.
    pub created_at: Timestamp,
}

/// Incoming or outgoing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Received from the peer.
    In,
    /// Sent by us.
    Out,
}

impl Direction {
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            Self::In => "in",
            Self::Out => "out",
        }
    }

    pub(crate) fn from_sql(s: &str) -> Option<Self> {
        match s {
            "in" => Some(Self::In),
            "out" => Some(Self::Out),
            _ => None,
        }
    }
}

/// A row of `messages`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredMessage {
    /// The row's id.
    pub id: i64,
    /// The peer device (for a message sent to every device of a user,
    /// that user and device 0: see [`to_user`](Self::to_user)).
    pub peer: DeviceAddress,
    /// Received or sent.
    pub direction: Direction,
    /// What the message carries.
    pub content_type: ContentType,
    /// The send time: our clock for an outgoing message, the sender's
    /// claim for an incoming one.
    pub sent_at: Timestamp,
    /// When we received it (incoming only).
    pub received_at: Option<Timestamp>,
    /// When it disappears: [`SqliteStore::delete_expired`](crate::SqliteStore::delete_expired)
    /// deletes it from then on. `None`: never, or (with
    /// `expires_after_read_ms`) not read yet.
    pub expires_at: Option<Timestamp>,
    /// An after-read timer that starts when the message is marked read.
    pub expires_after_read_ms: Option<u64>,
    /// Whether the app marked it read (outgoing messages are read).
    pub read: bool,
    /// The plaintext.
    pub body: Vec<u8>,
    /// Sent to every device of the user [`peer.name()`](DeviceAddress::name)
    /// and to our other devices, by
    /// [`send_to_user`](crate::SqliteStore::send_to_user): `peer`'s device
    /// id is then 0 and names no device.
    pub to_user: bool,
}

/// A message encrypted for every device of a user (and our other
/// devices) and committed by
/// [`send_to_user`](crate::SqliteStore::send_to_user): transmit each
/// copy's [`ciphertext`](OutboxEntry::ciphertext) to its
/// [`peer`](OutboxEntry::peer), then
/// [`mark_delivered(id)`](crate::SqliteStore::mark_delivered) each as its
/// device acknowledges it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserOutgoing {
    /// The message's row in `messages` (`to_user`).
    pub row_id: i64,
    /// One outbox row per device, in the order of
    /// [`encrypt_for_devices`](sealwire::devices::encrypt_for_devices):
    /// the recipient's devices, then our other devices, each by ascending
    /// device id.
    pub copies: Vec<OutboxEntry>,
}

/// What [`accept_recovery_request`](crate::SqliteStore::accept_recovery_request)
/// did, committed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecoveryAccepted {
    /// [`Recovery::Restart`](sealwire::devices::Recovery::Restart): the
    /// session with the device no longer sends; start a new one
    /// ([`start_session`](crate::SqliteStore::start_session)) before
    /// [`resend`](crate::SqliteStore::resend).
    /// [`Recovery::Resend`](sealwire::devices::Recovery::Resend): the
    /// current session is another one already; `resend` at once.
    pub recovery: sealwire::devices::Recovery,
    /// Every message row with a copy to the device waiting to be re-sent
    /// (those of this request: sent in the chain it names from its counter
    /// on, and any still waiting from an earlier one), oldest first.
    pub to_resend: Vec<i64>,
}
