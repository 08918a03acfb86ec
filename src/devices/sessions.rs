//! [`DeviceSessions`]: the sessions with one peer device, the current one
//! and up to [`MAX_PREVIOUS_SESSIONS`] previous ones (SPEC.md §21.2), with
//! the tie-break of simultaneous initiation (§21.3).

use alloc::boxed::Box;
use alloc::collections::VecDeque;

use crate::bundle::PrekeyBundle;
use crate::error::SessionError;
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::limits::MAX_PREVIOUS_SESSIONS;
use crate::prekey::PrekeyStore;
use crate::session::transport::{self, AcceptedPrekey};
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
///   one at once (ours is still pending when the peer's arrives): then the
///   session started by the device with the lower identity key wins on
///   both sides (§21.3). A new session from the peer after it answered
///   ours (it started over) always becomes current.
/// - A previous session that the peer still uses is promoted back to
///   current by the device with the higher identity key (it follows the
///   lower one), so both converge on one session.
///
/// Every method that fails leaves every session exactly as it was.
///
/// The sessions are boxed: a new session moves the others between the
/// current slot and the list, and the list grows and shifts, which would
/// leave copies of their inline keys in blocks the allocator moves or
/// frees; a box never moves (SECURITY.md, "Heap hygiene").
#[derive(Clone, PartialEq, Default)]
pub struct DeviceSessions {
    current: Option<Box<SessionRecord>>,
    previous: VecDeque<Box<SessionRecord>>,
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
        self.current.as_deref()
    }

    /// The current session, mutably (to set its timer, erase keys, ...).
    pub fn current_mut(&mut self) -> Option<&mut SessionRecord> {
        self.current.as_deref_mut()
    }

    /// The previous sessions, newest first.
    pub fn previous(&self) -> impl ExactSizeIterator<Item = &SessionRecord> + '_ {
        self.previous.iter().map(|r| &**r)
    }

    /// The earliest time at which [`erase_expired_keys`](Self::erase_expired_keys)
    /// has something to erase in any of the sessions, current or previous
    /// ([`SessionRecord::next_key_erasure`]).
    pub fn next_key_erasure(&self) -> Option<Timestamp> {
        self.all().filter_map(SessionRecord::next_key_erasure).min()
    }

    /// Erases, in every session (current and previous), the skipped
    /// message keys whose retention has run out
    /// ([`SessionRecord::erase_expired_keys`]): a previous session that
    /// receives nothing more is erased on schedule too.
    pub fn erase_expired_keys(&mut self, now: Timestamp) {
        let previous = self.previous.iter_mut().map(|r| &mut **r);
        for record in self.current.as_deref_mut().into_iter().chain(previous) {
            record.erase_expired_keys(now);
        }
    }

    /// Whether `message` is a prekey message of a session held here,
    /// current or previous: [`decrypt`](Self::decrypt) decrypts it in that
    /// session. Any other prekey message would start a new session; a
    /// ratchet message, or bytes that do not parse, is `false`.
    ///
    /// For a store that remembers the prekey messages it accepted (their
    /// base keys): one whose session is no longer held here (dropped past
    /// the cap, or deleted) must be refused before `decrypt`, which would
    /// otherwise accept it again and bring that old session back.
    pub fn holds_prekey_session(&self, message: &[u8]) -> bool {
        match transport::parse(message) {
            Ok(parsed) => parsed.prekey.as_ref().is_some_and(|fields| {
                let fields = AcceptedPrekey::of(fields);
                self.find(|r| r.accepted_from() == Some(&fields)).is_some()
            }),
            Err(_) => false,
        }
    }

    /// Every session, the current one first.
    fn all(&self) -> impl Iterator<Item = &SessionRecord> + '_ {
        self.current.as_deref().into_iter().chain(self.previous())
    }

    /// Whether a current session exists whose peer is `identity`.
    pub fn has_current_with(&self, identity: &IdentityKey) -> bool {
        self.current
            .as_deref()
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
        self.make_current(Box::new(SessionRecord::Pending(pending)));
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
        match self.current.as_deref_mut() {
            Some(c) if c.their_identity() == expected => c.encrypt(rng, now, outgoing),
            _ => Err(SessionError::NoSession),
        }
    }

    /// Decrypts a message from the peer device whose identity key (in
    /// our device list) is `expected` (SPEC.md §21.2):
    ///
    /// - a prekey message goes to the session accepted from the same
    ///   prekey fields if we hold one (never promoted), else starts a new
    ///   session ([`Session::accept`], consuming its one-time prekeys),
    ///   which becomes current unless our current session is still
    ///   pending and our identity key is the lower one (§21.3); if the
    ///   prekeys it names are gone (a one-time prekey consumed by a
    ///   session we no longer hold, a deleted signed prekey), that is
    ///   [`SessionError::NoSession`]: only a restart gets the peer out of
    ///   its pending session;
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
        self.decrypt_with(
            identity.public(),
            Some((identity, prekeys)),
            expected,
            now,
            message,
        )
    }

    /// [`decrypt`](Self::decrypt) for a message that starts no session:
    /// a ratchet message, or a prekey message of a session held here
    /// ([`holds_prekey_session`](Self::holds_prekey_session)), with `us`
    /// our identity key. Any other prekey message is
    /// [`SessionError::NoSession`] and nothing changed: call `decrypt`
    /// with the prekey store to accept it. For an app that loads its
    /// prekey store only when a session starts.
    pub fn decrypt_held(
        &mut self,
        us: &IdentityKey,
        expected: &IdentityKey,
        now: Timestamp,
        message: &[u8],
    ) -> Result<Received, SessionError> {
        self.decrypt_with(us, None, expected, now, message)
    }

    /// Both decrypts: `accept` is what a new session needs, if given.
    fn decrypt_with(
        &mut self,
        us: &IdentityKey,
        accept: Option<(&IdentityKeyPair, &mut PrekeyStore)>,
        expected: &IdentityKey,
        now: Timestamp,
        message: &[u8],
    ) -> Result<Received, SessionError> {
        let parsed = transport::parse(message)?;
        let we_lead = us.as_bytes() < expected.as_bytes();
        if let Some(fields) = &parsed.prekey {
            if fields.identity_key != *expected {
                return Err(SessionError::UntrustedIdentity);
            }
            let accepted = AcceptedPrekey::of(fields);
            if let Some(slot) = self.find(|r| r.accepted_from() == Some(&accepted)) {
                // A further prekey message of a session we hold.
                return self.decrypt_at(slot, now, message);
            }
            let Some((identity, prekeys)) = accept else {
                return Err(SessionError::NoSession);
            };
            let (session, received) =
                Session::accept(identity, prekeys, now, message).map_err(lost_prekeys)?;
            let theirs = Box::new(SessionRecord::Established(session));
            // Both started a session at once (ours is still unanswered):
            // the lower identity key's wins. Once the peer has answered
            // ours, a new session from it means it started over (it lost
            // ours, or stopped it): that one becomes current.
            let keep_ours = we_lead
                && self
                    .current
                    .as_deref()
                    .is_some_and(|c| !c.is_established() && c.their_identity() == expected);
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
        if self.current.as_deref().is_some_and(&mut pred) {
            return Some(Slot::Current);
        }
        self.previous().position(pred).map(Slot::Previous)
    }

    fn record_mut(&mut self, slot: Slot) -> Option<&mut SessionRecord> {
        match slot {
            Slot::Current => self.current.as_deref_mut(),
            Slot::Previous(i) => self.previous.get_mut(i).map(|r| &mut **r),
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
    fn make_current(&mut self, record: Box<SessionRecord>) {
        if let Some(old) = self.current.replace(record) {
            self.push_previous(old);
        }
    }

    /// Adds the newest previous session, dropping the oldest beyond the
    /// cap (its keys are zeroized on drop).
    fn push_previous(&mut self, record: Box<SessionRecord>) {
        self.previous.push_front(record);
        self.previous.truncate(MAX_PREVIOUS_SESSIONS);
    }

    /// The boxed current session: cloning the box clones the session
    /// straight into its new heap block (`Box::new(session.clone())` left
    /// copies of chain keys in freed heap blocks in
    /// `tests/adversary_freed_memory.rs`; `Box::clone` leaves none).
    #[allow(
        clippy::borrowed_box,
        reason = "the box itself is cloned, for the reason above"
    )]
    pub(crate) fn current_boxed(&self) -> Option<&Box<SessionRecord>> {
        self.current.as_ref()
    }

    /// Puts `record` in place of the current session (whose keys are
    /// zeroized as it drops), keeping the previous ones: for a send
    /// committed from a copy.
    pub(crate) fn replace_current(&mut self, record: Box<SessionRecord>) {
        self.current = Some(record);
    }

    /// The current session stops sending (a peer asked for a restart):
    /// it becomes the newest previous one; nothing is current until a new
    /// session starts.
    pub(crate) fn archive_current(&mut self) {
        if let Some(old) = self.current.take() {
            self.push_previous(old);
        }
    }

    /// Whether a session with `peer` sends under ratchet key `key`:
    /// `Some(true)` if it is the current one, `Some(false)` if a previous
    /// one, `None` if none does. A session with another identity key of
    /// the device (before a confirmed change) never counts: what was sent
    /// to the old key is not the new key's to ask for.
    pub(crate) fn sends_under(&self, peer: &IdentityKey, key: &[u8; 32]) -> Option<bool> {
        let sends = |r: &SessionRecord| {
            r.their_identity() == peer && r.ratchet().our_ratchet_public() == key
        };
        if self.current.as_deref().is_some_and(sends) {
            return Some(true);
        }
        self.previous().any(sends).then_some(false)
    }

    pub(crate) fn recovery(&self) -> &RecoveryState {
        &self.recovery
    }

    pub(crate) fn recovery_mut(&mut self) -> &mut RecoveryState {
        &mut self.recovery
    }

    /// For state blobs: the parts (the previous sessions newest first).
    pub(crate) fn parts(
        &self,
    ) -> (
        Option<&SessionRecord>,
        impl ExactSizeIterator<Item = &SessionRecord> + '_,
        &RecoveryState,
    ) {
        (self.current.as_deref(), self.previous(), &self.recovery)
    }

    /// For state blobs: from stored parts (the caller checked the cap),
    /// each session boxed as it is loaded (see the type's docs).
    pub(crate) fn from_parts(
        current: Option<Box<SessionRecord>>,
        previous: VecDeque<Box<SessionRecord>>,
        recovery: RecoveryState,
    ) -> Self {
        Self {
            current,
            previous,
            recovery,
        }
    }
}

/// A prekey message of a session we do not hold that cannot start one
/// because the prekeys it names are gone is [`SessionError::NoSession`]:
/// the peer keeps sending in that pending session until it hears from us,
/// so the failure must lead to a recovery request (SPEC.md §21.4) like any
/// message no session takes, or the conversation is stuck.
fn lost_prekeys(e: SessionError) -> SessionError {
    match e {
        SessionError::UnknownOneTimePrekey
        | SessionError::UnknownSignedPrekey
        | SessionError::UnknownPqPrekey
        | SessionError::ReplayedPrekeyMessage => SessionError::NoSession,
        e => e,
    }
}

impl From<SessionRecord> for DeviceSessions {
    /// A single session (for example loaded from a store that kept one
    /// per device) as the current one.
    fn from(record: SessionRecord) -> Self {
        Self {
            current: Some(Box::new(record)),
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

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;
    use crate::limits::MAX_SKIPPED_KEY_AGE_MS;

    const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);

    /// Bob's prekeys, Alice, and `n` messages of a new session of hers.
    fn messages(
        rng: &mut crate::rng::OsRng,
        alice: &IdentityKeyPair,
        bundle: &PrekeyBundle,
        n: usize,
    ) -> Vec<Vec<u8>> {
        let mut pending = PendingSession::initiate(rng, alice, bundle).unwrap();
        (0..n)
            .map(|i| {
                let body = [u8::try_from(i).unwrap()];
                pending
                    .encrypt(rng, T0, Outgoing::message(&body))
                    .unwrap()
                    .message
            })
            .collect()
    }

    #[test]
    fn held_prekey_sessions_are_told_apart_and_decrypt_held_starts_none() {
        let mut rng = crate::rng::os_rng();
        let bob = IdentityKeyPair::generate(&mut rng);
        let alice = IdentityKeyPair::generate(&mut rng);
        let mut prekeys = PrekeyStore::new(&bob, &mut rng);
        let bundle = prekeys.bundle(&bob, None).unwrap();
        let first = messages(&mut rng, &alice, &bundle, 2);
        let second = messages(&mut rng, &alice, &bundle, 1);
        let mut sessions = DeviceSessions::new();
        assert!(!sessions.holds_prekey_session(&first[0]));
        // Without a prekey store nothing starts, and nothing changed.
        assert_eq!(
            sessions.decrypt_held(bob.public(), alice.public(), T0, &first[0]),
            Err(SessionError::NoSession)
        );
        assert!(sessions == DeviceSessions::new());
        sessions
            .decrypt(&bob, &mut prekeys, alice.public(), T0, &first[0])
            .unwrap();
        assert!(sessions.holds_prekey_session(&first[1]));
        assert!(!sessions.holds_prekey_session(&second[0]));
        let before = sessions.clone();
        assert_eq!(
            sessions.decrypt_held(bob.public(), alice.public(), T0, &second[0]),
            Err(SessionError::NoSession)
        );
        assert!(sessions == before);
        sessions
            .decrypt(&bob, &mut prekeys, alice.public(), T0, &second[0])
            .unwrap();
        assert_eq!(sessions.previous().len(), 1);
        // The first session is previous now, still held: its late prekey
        // message opens without the prekey store.
        assert!(sessions.holds_prekey_session(&first[1]));
        let got = sessions
            .decrypt_held(bob.public(), alice.public(), T0, &first[1])
            .unwrap();
        assert_eq!(&got.plaintext[..], [1]);
        assert!(!sessions.holds_prekey_session(b"not a message"));
        assert!(!sessions.holds_prekey_session(&[]));
    }

    /// The two identities, lower key first.
    fn ordered(rng: &mut crate::rng::OsRng) -> (IdentityKeyPair, IdentityKeyPair) {
        let a = IdentityKeyPair::generate(rng);
        let b = IdentityKeyPair::generate(rng);
        if a.public().as_bytes() < b.public().as_bytes() {
            (a, b)
        } else {
            (b, a)
        }
    }

    /// Both start a session at once; the prekey messages cross. Both end
    /// on the session of the lower identity key, and it works both ways.
    #[test]
    fn simultaneous_sessions_settle_on_the_lower_keys() {
        let mut rng = crate::rng::os_rng();
        let (lo, hi) = ordered(&mut rng);
        let mut lo_prekeys = PrekeyStore::new(&lo, &mut rng);
        let mut hi_prekeys = PrekeyStore::new(&hi, &mut rng);
        let lo_bundle = lo_prekeys.bundle(&lo, None).unwrap();
        let hi_bundle = hi_prekeys.bundle(&hi, None).unwrap();
        let (mut at_lo, mut at_hi) = (DeviceSessions::new(), DeviceSessions::new());
        at_lo
            .initiate(&mut rng, &lo, hi.public(), &hi_bundle)
            .unwrap();
        at_hi
            .initiate(&mut rng, &hi, lo.public(), &lo_bundle)
            .unwrap();
        let from_lo = at_lo
            .encrypt(&mut rng, T0, hi.public(), Outgoing::message(b"lo"))
            .unwrap()
            .message;
        let from_hi = at_hi
            .encrypt(&mut rng, T0, lo.public(), Outgoing::message(b"hi"))
            .unwrap()
            .message;
        let ours = at_lo.current().cloned();
        at_lo
            .decrypt(&lo, &mut lo_prekeys, hi.public(), T0, &from_hi)
            .unwrap();
        at_hi
            .decrypt(&hi, &mut hi_prekeys, lo.public(), T0, &from_lo)
            .unwrap();
        // The lower key kept its own; the higher one took it.
        assert!(at_lo.current().cloned() == ours);
        assert!(at_hi.current().unwrap().is_established());
        assert_eq!((at_lo.previous().len(), at_hi.previous().len()), (1, 1));
        let m = at_hi
            .encrypt(&mut rng, T0, lo.public(), Outgoing::message(b"to lo"))
            .unwrap()
            .message;
        let got = at_lo
            .decrypt_held(lo.public(), hi.public(), T0, &m)
            .unwrap();
        assert_eq!(&got.plaintext[..], b"to lo");
        assert!(at_lo.current().unwrap().is_established());
        let m = at_lo
            .encrypt(&mut rng, T0, hi.public(), Outgoing::message(b"to hi"))
            .unwrap()
            .message;
        let got = at_hi
            .decrypt_held(hi.public(), lo.public(), T0, &m)
            .unwrap();
        assert_eq!(&got.plaintext[..], b"to hi");
    }

    /// The higher key lost the session the lower one started (a restore,
    /// a deleted row) and starts a new one: the lower key takes it, even
    /// though it started the old one, and they talk again.
    #[test]
    fn a_peer_that_starts_over_is_followed_by_the_lower_key_too() {
        let mut rng = crate::rng::os_rng();
        let (lo, hi) = ordered(&mut rng);
        let mut lo_prekeys = PrekeyStore::new(&lo, &mut rng);
        let mut hi_prekeys = PrekeyStore::new(&hi, &mut rng);
        let hi_bundle = hi_prekeys.bundle(&hi, None).unwrap();
        let (mut at_lo, mut at_hi) = (DeviceSessions::new(), DeviceSessions::new());
        at_lo
            .initiate(&mut rng, &lo, hi.public(), &hi_bundle)
            .unwrap();
        let m = at_lo
            .encrypt(&mut rng, T0, hi.public(), Outgoing::message(b"hello"))
            .unwrap()
            .message;
        at_hi
            .decrypt(&hi, &mut hi_prekeys, lo.public(), T0, &m)
            .unwrap();
        let r = at_hi
            .encrypt(&mut rng, T0, lo.public(), Outgoing::message(b"hi"))
            .unwrap()
            .message;
        at_lo
            .decrypt_held(lo.public(), hi.public(), T0, &r)
            .unwrap();
        assert!(at_lo.current().unwrap().is_established());
        // The higher key loses everything and starts over.
        let mut at_hi = DeviceSessions::new();
        let lo_bundle = lo_prekeys.bundle(&lo, None).unwrap();
        at_hi
            .initiate(&mut rng, &hi, lo.public(), &lo_bundle)
            .unwrap();
        let m = at_hi
            .encrypt(&mut rng, T0, lo.public(), Outgoing::message(b"again"))
            .unwrap()
            .message;
        at_lo
            .decrypt(&lo, &mut lo_prekeys, hi.public(), T0, &m)
            .unwrap();
        assert_eq!(at_lo.previous().len(), 1);
        let r = at_lo
            .encrypt(
                &mut rng,
                T0,
                hi.public(),
                Outgoing::message(b"welcome back"),
            )
            .unwrap()
            .message;
        let got = at_hi
            .decrypt_held(hi.public(), lo.public(), T0, &r)
            .unwrap();
        assert_eq!(&got.plaintext[..], b"welcome back");
    }

    #[test]
    fn expired_keys_of_previous_sessions_are_erased() {
        let mut rng = crate::rng::os_rng();
        let bob = IdentityKeyPair::generate(&mut rng);
        let alice = IdentityKeyPair::generate(&mut rng);
        let mut prekeys = PrekeyStore::new(&bob, &mut rng);
        let bundle = prekeys.bundle(&bob, None).unwrap();
        // The first session starts from its third message: two keys
        // skipped. A second session then makes it previous.
        let first = messages(&mut rng, &alice, &bundle, 3);
        let second = messages(&mut rng, &alice, &bundle, 1);
        let mut sessions = DeviceSessions::new();
        for m in [&first[2], &second[0]] {
            sessions
                .decrypt(&bob, &mut prekeys, alice.public(), T0, m)
                .unwrap();
        }
        assert_eq!(sessions.previous().len(), 1);
        let due = sessions.next_key_erasure().unwrap();
        assert_eq!(
            due,
            sessions
                .previous()
                .next()
                .unwrap()
                .next_key_erasure()
                .unwrap()
        );
        // About the maximum age after the keys were skipped.
        assert!(due.as_unix_millis() >= T0.as_unix_millis() + MAX_SKIPPED_KEY_AGE_MS);
        assert!(due.as_unix_millis() <= T0.as_unix_millis() + MAX_SKIPPED_KEY_AGE_MS + 1);
        // Not due yet: nothing erased.
        let early = Timestamp::from_unix_millis(due.as_unix_millis() - 1);
        let before = sessions.clone();
        sessions.erase_expired_keys(early);
        assert!(sessions == before);
        sessions.erase_expired_keys(due);
        assert_eq!(sessions.next_key_erasure(), None);
        let mut late = sessions.clone();
        assert!(
            late.decrypt_held(bob.public(), alice.public(), due, &first[0])
                .is_err()
        );
        // Before the erasure the skipped message opened.
        let mut kept = before;
        assert!(
            kept.decrypt_held(bob.public(), alice.public(), early, &first[0])
                .is_ok()
        );
    }
}
