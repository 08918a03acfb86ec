//! [`DeviceSessions`]: the sessions with one peer device, the current one
//! and up to [`MAX_PREVIOUS_SESSIONS`] previous ones (SPEC.md §21.2), with
//! the tie-break of simultaneous initiation (§21.3).

use alloc::collections::VecDeque;

use crate::bundle::PrekeyBundle;
use crate::error::SessionError;
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::limits::MAX_PREVIOUS_SESSIONS;
use crate::prekey::PrekeyStore;
use crate::session::transport;
use crate::session::{Encrypt, Outgoing, PendingSession, Received, Sent, Session, SessionRecord};
use crate::time::Timestamp;

/// The state of the recovery exchange with one peer device (§21.4).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct RecoveryState {
    /// When we last made a recovery request for this device (our clock).
    pub(crate) last_request_sent: Option<Timestamp>,
    /// The request time of the last request accepted from it (its clock).
    pub(crate) last_request_accepted: Option<Timestamp>,
    /// When we last restarted on its request (our clock).
    pub(crate) last_restart: Option<Timestamp>,
}

/// The sessions with one peer device: the current one, which sends, and
/// up to [`MAX_PREVIOUS_SESSIONS`] previous ones, newest first, which
/// still receive (SPEC.md §21.2).
///
/// - [`decrypt`](Self::decrypt) tries the session the message names
///   first, then the current one, then the previous ones, newest first;
///   a message decrypts in at most one session.
/// - A new session (ours by [`initiate`](Self::initiate), the peer's from
///   a prekey message) becomes current, except while both sides started
///   one at once: then the session started by the device with the lower
///   identity key wins on both sides (§21.3).
/// - A previous session that the peer still uses is promoted back to
///   current by the device with the higher identity key (it follows the
///   lower one), so both converge on one session.
///
/// Every method that fails leaves every session exactly as it was.
#[derive(Clone, PartialEq, Default)]
pub struct DeviceSessions {
    current: Option<SessionRecord>,
    previous: VecDeque<SessionRecord>,
    recovery: RecoveryState,
}

/// Where a decrypting session was found.
#[derive(Clone, Copy)]
enum Slot {
    Current,
    Previous(usize),
}

impl DeviceSessions {
    /// No session yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current session: the one that sends.
    pub fn current(&self) -> Option<&SessionRecord> {
        self.current.as_ref()
    }

    /// The current session, mutably (to set its timer, erase keys, ...).
    pub fn current_mut(&mut self) -> Option<&mut SessionRecord> {
        self.current.as_mut()
    }

    /// The previous sessions, newest first.
    pub fn previous(&self) -> impl ExactSizeIterator<Item = &SessionRecord> + '_ {
        self.previous.iter()
    }

    /// Whether a current session exists whose peer is `identity`.
    pub fn has_current_with(&self, identity: &IdentityKey) -> bool {
        self.current
            .as_ref()
            .is_some_and(|c| c.their_identity() == identity)
    }

    /// Starts a new session from the peer device's bundle (verified
    /// against `expected`, the identity key its device list holds); it
    /// becomes current, the old current one previous.
    pub fn initiate<G: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut G,
        identity: &IdentityKeyPair,
        expected: &IdentityKey,
        bundle: &PrekeyBundle,
    ) -> Result<(), SessionError> {
        if bundle.identity_key() != expected {
            return Err(SessionError::UntrustedIdentity);
        }
        let pending = PendingSession::initiate(rng, identity, bundle)?;
        self.make_current(SessionRecord::Pending(pending));
        Ok(())
    }

    /// Encrypts with the current session; [`SessionError::NoSession`] if
    /// there is none, or if its peer is not `expected` (the identity key
    /// the device list now holds).
    pub fn encrypt<G: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut G,
        now: Timestamp,
        expected: &IdentityKey,
        outgoing: Outgoing<'_>,
    ) -> Result<Sent, SessionError> {
        match &mut self.current {
            Some(c) if c.their_identity() == expected => c.encrypt(rng, now, outgoing),
            _ => Err(SessionError::NoSession),
        }
    }

    /// Decrypts a message from the peer device whose identity key (in
    /// our device list) is `expected` (SPEC.md §21.2):
    ///
    /// - a prekey message goes to the session accepted from the same
    ///   prekey fields if we hold one (never promoted), else starts a new
    ///   session ([`Session::accept`], consuming its one-time prekeys);
    /// - a ratchet message goes to the session that has received under its
    ///   ratchet key if one has (the answer is final), else is tried on
    ///   the current session and then on each previous one, newest first.
    ///
    /// A message from another identity key is
    /// [`SessionError::UntrustedIdentity`]; no session at all, or no
    /// session to try, [`SessionError::NoSession`]. On error nothing
    /// changed (sessions, prekeys).
    pub fn decrypt(
        &mut self,
        identity: &IdentityKeyPair,
        prekeys: &mut PrekeyStore,
        expected: &IdentityKey,
        now: Timestamp,
        message: &[u8],
    ) -> Result<Received, SessionError> {
        let parsed = transport::parse(message)?;
        let we_lead = identity.public().as_bytes() < expected.as_bytes();
        if let Some(fields) = &parsed.prekey {
            if fields.identity_key != *expected {
                return Err(SessionError::UntrustedIdentity);
            }
            if let Some(slot) = self.find(|r| r.accepted_from() == Some(fields)) {
                // A further prekey message of a session we hold.
                return self.decrypt_at(slot, now, message);
            }
            let (session, received) = Session::accept(identity, prekeys, now, message)?;
            let theirs = SessionRecord::Established(session);
            let keep_ours = we_lead
                && self
                    .current
                    .as_ref()
                    .is_some_and(|c| c.initiated_by_us() && c.their_identity() == expected);
            if keep_ours {
                self.push_previous(theirs);
            } else {
                self.make_current(theirs);
            }
            return Ok(received);
        }
        let key = &parsed.header.ratchet_key;
        let usable = |r: &SessionRecord| r.their_identity() == expected;
        if let Some(slot) = self.find(|r| usable(r) && r.ratchet().knows_their_ratchet_key(key)) {
            let received = self.decrypt_at(slot, now, message)?;
            self.follow(slot, we_lead);
            return Ok(received);
        }
        let mut first_error = None;
        let current = self.current.is_some().then_some(Slot::Current);
        let previous = (0..self.previous.len()).map(Slot::Previous);
        for slot in current.into_iter().chain(previous) {
            let Some(record) = self.record_mut(slot) else {
                continue;
            };
            if !usable(record) {
                continue;
            }
            match record.decrypt(now, message) {
                Ok(received) => {
                    self.follow(slot, we_lead);
                    return Ok(received);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or(SessionError::NoSession))
    }

    /// After a ratchet message decrypted in `slot`: the device with the
    /// higher identity key follows the peer onto that session; the lower
    /// one (which leads) only takes it if it has no usable current one.
    fn follow(&mut self, slot: Slot, we_lead: bool) {
        if let Slot::Previous(i) = slot
            && (!we_lead || self.current.is_none())
            && let Some(record) = self.previous.remove(i)
        {
            self.make_current(record);
        }
    }

    fn find(&self, mut pred: impl FnMut(&SessionRecord) -> bool) -> Option<Slot> {
        if self.current.as_ref().is_some_and(&mut pred) {
            return Some(Slot::Current);
        }
        self.previous.iter().position(pred).map(Slot::Previous)
    }

    fn record_mut(&mut self, slot: Slot) -> Option<&mut SessionRecord> {
        match slot {
            Slot::Current => self.current.as_mut(),
            Slot::Previous(i) => self.previous.get_mut(i),
        }
    }

    /// Decrypts in the session at `slot` (found by [`find`](Self::find)).
    fn decrypt_at(
        &mut self,
        slot: Slot,
        now: Timestamp,
        message: &[u8],
    ) -> Result<Received, SessionError> {
        self.record_mut(slot)
            .ok_or(SessionError::NoSession)?
            .decrypt(now, message)
    }

    /// `record` becomes current; the current one, if any, the newest
    /// previous one.
    fn make_current(&mut self, record: SessionRecord) {
        if let Some(old) = self.current.replace(record) {
            self.push_previous(old);
        }
    }

    /// Adds the newest previous session, dropping the oldest beyond the
    /// cap (its keys are zeroized on drop).
    fn push_previous(&mut self, record: SessionRecord) {
        self.previous.push_front(record);
        self.previous.truncate(MAX_PREVIOUS_SESSIONS);
    }

    /// The current session stops sending (a peer asked for a restart):
    /// it becomes the newest previous one; nothing is current until a new
    /// session starts.
    pub(crate) fn archive_current(&mut self) {
        if let Some(old) = self.current.take() {
            self.push_previous(old);
        }
    }

    /// The session whose sending ratchet key is `key`, if current.
    pub(crate) fn sends_under(&self, key: &[u8; 32]) -> Option<bool> {
        if self
            .current
            .as_ref()
            .is_some_and(|c| c.ratchet().our_ratchet_public() == key)
        {
            return Some(true);
        }
        self.previous
            .iter()
            .any(|r| r.ratchet().our_ratchet_public() == key)
            .then_some(false)
    }

    pub(crate) fn recovery(&self) -> &RecoveryState {
        &self.recovery
    }

    pub(crate) fn recovery_mut(&mut self) -> &mut RecoveryState {
        &mut self.recovery
    }

    /// For state blobs: the parts.
    #[allow(
        dead_code,
        reason = "for the device state blobs (STORAGE.md), not written yet"
    )]
    pub(crate) fn parts(
        &self,
    ) -> (
        Option<&SessionRecord>,
        &VecDeque<SessionRecord>,
        &RecoveryState,
    ) {
        (self.current.as_ref(), &self.previous, &self.recovery)
    }

    /// For state blobs: from stored parts (the caller checked the cap).
    #[allow(
        dead_code,
        reason = "for the device state blobs (STORAGE.md), not written yet"
    )]
    pub(crate) fn from_parts(
        current: Option<SessionRecord>,
        previous: VecDeque<SessionRecord>,
        recovery: RecoveryState,
    ) -> Self {
        Self {
            current,
            previous,
            recovery,
        }
    }
}

impl From<SessionRecord> for DeviceSessions {
    /// A single session (for example loaded from a store that kept one
    /// per device) as the current one.
    fn from(record: SessionRecord) -> Self {
        Self {
            current: Some(record),
            ..Self::default()
        }
    }
}

impl core::fmt::Debug for DeviceSessions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let Self {
            current,
            previous,
            recovery,
        } = self;
        f.debug_struct("DeviceSessions")
            .field("current", current)
            .field("previous", &previous.len())
            .field("recovery", recovery)
            .finish()
    }
}
