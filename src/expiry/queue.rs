//! [`ExpiryQueue`]: the deadlines of disappearing messages, driven by the
//! app (SPEC.md §10). Every operation is O(log n); each entry has a fixed
//! size; no clock is read: `now` is always passed in.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use crate::error::DecodeError;
use crate::time::Timestamp;
use crate::wire::codec::{Reader, write_exact};

/// The app's identifier of a stored message (16 bytes: a UUID, or a row id
/// via `From<u64>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(pub [u8; 16]);

impl From<u64> for MessageId {
    fn from(n: u64) -> Self {
        let mut id = [0u8; 16];
        id[8..].copy_from_slice(&n.to_be_bytes());
        Self(id)
    }
}

/// When a message expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expiry {
    /// At a fixed deadline (after-send mode, or after-read once read).
    At(Timestamp),
    /// `ttl_ms` after the app marks the message read (after-read mode,
    /// not read yet: no deadline runs).
    AfterRead {
        /// Time to live once read, in milliseconds.
        ttl_ms: u64,
    },
}

/// Errors of the expiry queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpiryError {
    /// The queue already holds this message id.
    DuplicateId,
    /// The queue holds [`MAX_QUEUE_ENTRIES`] entries.
    QueueFull,
    /// The serialized queue is malformed.
    Malformed(DecodeError),
}

impl core::fmt::Display for ExpiryError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::DuplicateId => f.write_str("message id already queued"),
            Self::QueueFull => f.write_str("expiry queue full"),
            Self::Malformed(e) => write!(f, "malformed expiry queue: {e}"),
        }
    }
}

impl core::error::Error for ExpiryError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Malformed(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DecodeError> for ExpiryError {
    fn from(e: DecodeError) -> Self {
        Self::Malformed(e)
    }
}

/// Most entries one queue holds: 2^21 (2,097,152). Memory per entry is
/// fixed (measured by `benches/expiry.rs`), so the queue's memory is bounded.
pub const MAX_QUEUE_ENTRIES: usize = 1 << 21;

/// Format version of the serialized queue body.
pub const QUEUE_FORMAT_VERSION: u8 = 0x01;

const KIND_AT: u8 = 0x00;
const KIND_AFTER_READ: u8 = 0x01;
/// Bytes per serialized entry: id, kind, value.
const ENTRY_LEN: usize = 16 + 1 + 8;

/// Message deadlines, earliest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpiryQueue {
    entries: BTreeMap<MessageId, Expiry>,
    deadlines: BTreeSet<(Timestamp, MessageId)>,
}

impl ExpiryQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of queued messages (scheduled or waiting to be read).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the queue is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Queues a message. O(log n).
    pub fn insert(&mut self, id: MessageId, expiry: Expiry) -> Result<(), ExpiryError> {
        if self.entries.contains_key(&id) {
            return Err(ExpiryError::DuplicateId);
        }
        if self.entries.len() >= MAX_QUEUE_ENTRIES {
            return Err(ExpiryError::QueueFull);
        }
        if let Expiry::At(deadline) = expiry {
            self.deadlines.insert((deadline, id));
        }
        self.entries.insert(id, expiry);
        Ok(())
    }

    /// The app showed the message: an after-read entry starts its timer now
    /// and its deadline is returned. A scheduled entry keeps its deadline
    /// (returned too). `None` if the id is not queued. O(log n).
    pub fn mark_read(&mut self, id: MessageId, now: Timestamp) -> Option<Timestamp> {
        let entry = self.entries.get_mut(&id)?;
        match *entry {
            Expiry::At(deadline) => Some(deadline),
            Expiry::AfterRead { ttl_ms } => {
                let deadline =
                    Timestamp::from_unix_millis(now.as_unix_millis().saturating_add(ttl_ms));
                *entry = Expiry::At(deadline);
                self.deadlines.insert((deadline, id));
                Some(deadline)
            }
        }
    }

    /// Removes a message (deleted by the user). O(log n).
    pub fn remove(&mut self, id: MessageId) -> Option<Expiry> {
        let expiry = self.entries.remove(&id)?;
        if let Expiry::At(deadline) = expiry {
            self.deadlines.remove(&(deadline, id));
        }
        Some(expiry)
    }

    /// What the queue holds for `id`.
    pub fn get(&self, id: MessageId) -> Option<Expiry> {
        self.entries.get(&id).copied()
    }

    /// The earliest running deadline: when the app should next call
    /// [`pop_expired`](Self::pop_expired). O(log n).
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.deadlines.first().map(|(t, _)| *t)
    }

    /// Removes and returns every message whose deadline is at or before
    /// `now`, earliest first. O(k log n) for k expired.
    pub fn pop_expired(&mut self, now: Timestamp) -> Vec<MessageId> {
        let mut out = Vec::new();
        while let Some(&(deadline, id)) = self.deadlines.first() {
            if deadline > now {
                break;
            }
            self.deadlines.pop_first();
            self.entries.remove(&id);
            out.push(id);
        }
        out
    }

    /// Length of [`encode`](Self::encode)'s output.
    pub fn encoded_len(&self) -> usize {
        self.entries
            .len()
            .saturating_mul(ENTRY_LEN)
            .saturating_add(5)
    }

    /// The versioned encoding: `version u8 || count u32 || entries`, each
    /// `id (16) || kind u8 || value u64`, in increasing id order (SPEC.md
    /// §10.3). Canonical: one queue, one encoding.
    pub fn encode(&self) -> Vec<u8> {
        let count = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
        write_exact(alloc::vec![0u8; self.encoded_len()], |w| {
            w.u8(QUEUE_FORMAT_VERSION)?;
            w.u32(count)?;
            for (id, expiry) in &self.entries {
                let (kind, value) = match expiry {
                    Expiry::At(t) => (KIND_AT, t.as_unix_millis()),
                    Expiry::AfterRead { ttl_ms } => (KIND_AFTER_READ, *ttl_ms),
                };
                w.bytes(&id.0)?;
                w.u8(kind)?;
                w.u64(value)?;
            }
            Ok(())
        })
    }

    /// Parses an encoding strictly: known version, ids strictly increasing,
    /// known kinds, the count matching, no trailing bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, ExpiryError> {
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != QUEUE_FORMAT_VERSION {
            return Err(DecodeError::UnsupportedVersion(version).into());
        }
        let count = usize::try_from(r.u32()?).map_err(|_| DecodeError::TooLarge)?;
        if count > MAX_QUEUE_ENTRIES {
            return Err(DecodeError::TooLarge.into());
        }
        // The count must match the bytes present before anything is built.
        if count.checked_mul(ENTRY_LEN) != Some(bytes.len().saturating_sub(5)) {
            return Err(
                if bytes.len().saturating_sub(5) < count.saturating_mul(ENTRY_LEN) {
                    DecodeError::Truncated
                } else {
                    DecodeError::TrailingBytes
                }
                .into(),
            );
        }
        let mut queue = Self::new();
        let mut previous: Option<MessageId> = None;
        for _ in 0..count {
            let id = MessageId(r.array()?);
            if previous.is_some_and(|p| p >= id) {
                return Err(DecodeError::InvalidValue.into());
            }
            previous = Some(id);
            let expiry = match r.u8()? {
                KIND_AT => Expiry::At(Timestamp::from_unix_millis(r.u64()?)),
                KIND_AFTER_READ => Expiry::AfterRead { ttl_ms: r.u64()? },
                _ => return Err(DecodeError::InvalidValue.into()),
            };
            queue.insert(id, expiry)?;
        }
        r.finish()?;
        Ok(queue)
    }
}
