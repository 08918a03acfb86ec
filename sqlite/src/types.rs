//! What the send and receive helpers return, and the stored rows.

use sealwire::DeviceAddress;
use sealwire::expiry::TimerChange;
use sealwire::group::{GroupError, GroupId, GroupReceived};
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
    /// Decrypted; a group key distribution (content type
    /// [`GroupKeyDistribution`](sealwire::ContentType::GroupKeyDistribution)):
    /// handed to the group it names in the same transaction as the new
    /// session state, and never stored as a message. Its plaintext (the
    /// chain key) is not handed back.
    GroupKey {
        /// The group the distribution names (`None`: it does not parse).
        group: Option<GroupId>,
        /// What the group did with it.
        outcome: DistributionOutcome,
        /// The sender's identity key (the session's authenticated peer).
        sender: IdentityKey,
        /// The session it was decrypted in.
        session: SessionEvent,
    },
}

/// What a group did with a key distribution received over a 1:1 session
/// ([`ReceiveOutcome::GroupKey`]), committed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DistributionOutcome {
    /// The group holds the sender's chain: `new_chain` is false if it
    /// held it already. `invited`: the group was not stored before and
    /// was created from this distribution, not joined yet (a group: see
    /// [`join_group`](crate::SqliteStore::join_group); a channel: we are
    /// a subscriber of its owner, the sender). Drop it with
    /// [`leave_group`](crate::SqliteStore::leave_group) if unwanted.
    Accepted {
        /// A chain not held before.
        new_chain: bool,
        /// The group was created by this distribution.
        invited: bool,
    },
    /// The group refused it (the sender is not a member, a channel's
    /// owner receives nothing, the bytes are malformed...): the session
    /// step is committed, the group is unchanged and the chain is
    /// dropped.
    Refused(GroupError),
}

impl ReceiveOutcome {
    /// The decrypted message, unless a duplicate or a key distribution.
    pub fn received(&self) -> Option<&Received> {
        match self {
            Self::Stored { received, .. } | Self::NotStored { received, .. } => Some(received),
            Self::Duplicate | Self::GroupKey { .. } => None,
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
            Self::Stored { session, .. }
            | Self::NotStored { session, .. }
            | Self::GroupKey { session, .. } => Some(*session),
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

/// Our role in a stored group or channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GroupRole {
    /// A member of a group: posts and receives.
    Member,
    /// A channel's owner: posts, receives nothing.
    Owner,
    /// A channel's subscriber: receives the owner's posts.
    Subscriber,
}

impl GroupRole {
    pub(crate) fn to_sql(self) -> i64 {
        match self {
            Self::Member => 1,
            Self::Owner => 2,
            Self::Subscriber => 3,
        }
    }

    pub(crate) fn from_sql(v: i64) -> Option<Self> {
        match v {
            1 => Some(Self::Member),
            2 => Some(Self::Owner),
            3 => Some(Self::Subscriber),
            _ => None,
        }
    }
}

/// A stored group or channel (table `groups`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupInfo {
    /// Its id.
    pub id: GroupId,
    /// Our role.
    pub role: GroupRole,
    /// Whether we created or joined it (`false`: created from a received
    /// distribution, not joined yet).
    pub joined: bool,
    /// The users whose devices are its members (a channel's subscribers;
    /// for a subscriber, the owner's user), sorted; our own user when our
    /// other devices are members.
    pub members: Vec<String>,
}

/// A membership step committed: transmit each distribution (a 1:1
/// message, already in the outbox) and
/// [`mark_delivered`](crate::SqliteStore::mark_delivered) it on its
/// device's acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupUpdate {
    /// The group.
    pub group: GroupId,
    /// The key distributions to transmit, one per device (rows of
    /// `outbox`, without a message row).
    pub distributions: Vec<OutboxEntry>,
}

/// A post committed by [`post_group`](crate::SqliteStore::post_group):
/// transmit the distributions first (a rotated chain), then broadcast
/// `bytes` to every member, and
/// [`mark_group_post_delivered(post_id)`](crate::SqliteStore::mark_group_post_delivered)
/// once the server took it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupPost {
    /// The post's row in `group_messages`.
    pub row_id: i64,
    /// The post's row in `group_outbox`.
    pub post_id: i64,
    /// The post bytes, the same for every member.
    pub bytes: Vec<u8>,
    /// The new chain's distributions, when the post rotated the chain.
    pub distributions: Vec<OutboxEntry>,
}

/// A post not yet acknowledged (table `group_outbox`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupPostEntry {
    /// The row's id, for
    /// [`mark_group_post_delivered`](crate::SqliteStore::mark_group_post_delivered).
    pub id: i64,
    /// The group.
    pub group: GroupId,
    /// The message row it carries (`None`: deleted since).
    pub message_id: Option<i64>,
    /// The exact bytes to broadcast again.
    pub bytes: Vec<u8>,
    /// When it was posted.
    pub created_at: Timestamp,
}

/// What [`receive_group`](crate::SqliteStore::receive_group) did,
/// committed.
#[derive(Debug)]
#[non_exhaustive]
pub enum GroupReceiveOutcome {
    /// Opened; the message row and the new group state are stored.
    Stored {
        /// The post's row in `group_messages`.
        row_id: i64,
        /// The opened post.
        received: GroupReceived,
    },
    /// Opened; the new group state is stored but no row: a timer change,
    /// or a post that arrived after its deadline.
    NotStored {
        /// The opened post.
        received: GroupReceived,
    },
    /// Received before ([`GroupError::DuplicatePost`]): nothing changed.
    Duplicate,
}

impl GroupReceiveOutcome {
    /// The opened post, unless a duplicate.
    pub fn received(&self) -> Option<&GroupReceived> {
        match self {
            Self::Stored { received, .. } | Self::NotStored { received } => Some(received),
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
}

/// A row of `group_messages`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupMessage {
    /// The row's id.
    pub id: i64,
    /// The group.
    pub group: GroupId,
    /// Received or posted by us.
    pub direction: Direction,
    /// The sender's identity key (`None`: ours).
    pub sender: Option<IdentityKey>,
    /// The member user the sender's key belongs to, if it is recorded.
    pub sender_user: Option<String>,
    /// What the post carries (user message or receipt).
    pub content_type: ContentType,
    /// The send time (the sender's claim for a received post).
    pub sent_at: Timestamp,
    /// When we received it (incoming only).
    pub received_at: Option<Timestamp>,
    /// When it disappears (see
    /// [`delete_expired`](crate::SqliteStore::delete_expired)).
    pub expires_at: Option<Timestamp>,
    /// Whether it was read (posts of ours are).
    pub read: bool,
    /// The plaintext.
    pub body: Vec<u8>,
}
