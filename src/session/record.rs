//! [`SessionRecord`]: what an app stores per peer device, a session in
//! either phase, with one encrypt ([`Encrypt`]) and one decrypt whatever
//! the phase.

use alloc::vec::Vec;

use crate::error::SessionError;
use crate::expiry::{ConversationTimer, ExpiryPolicy, TimerChange};
use crate::identity::IdentityKey;
use crate::ratchet::RatchetState;
use crate::session::established::Session;
use crate::session::key_agreement::KeyAgreement;
use crate::session::pending::PendingSession;
use crate::session::received::Received;
use crate::session::send::Encrypt;
use crate::session::send::sealed::{Sealed, Sender, SenderRef};
use crate::session::transport::AcceptedPrekey;
use crate::time::Timestamp;

/// A session in either phase: pending (initiator, before the first reply)
/// or established. [`decrypt`](Self::decrypt) moves a pending record to
/// established when the first reply decrypts.
///
/// Every method that fails leaves the record exactly as it was.
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub enum SessionRecord {
    /// Sent prekey messages, no reply decrypted yet.
    Pending(PendingSession),
    /// Established.
    Established(Session),
}

impl SessionRecord {
    /// The peer's identity key.
    pub fn their_identity(&self) -> &IdentityKey {
        match self {
            Self::Pending(p) => p.their_identity(),
            Self::Established(s) => s.their_identity(),
        }
    }

    /// The key agreement that set the session up, in either phase (see
    /// [`Session::key_agreement`]); it does not change when a pending
    /// record becomes established.
    pub fn key_agreement(&self) -> KeyAgreement {
        match self {
            Self::Pending(p) => p.key_agreement(),
            Self::Established(s) => s.key_agreement(),
        }
    }

    /// Whether the first reply has been decrypted.
    pub fn is_established(&self) -> bool {
        matches!(self, Self::Established(_))
    }

    /// The established session, or `None` while pending.
    pub fn as_established(&self) -> Option<&Session> {
        match self {
            Self::Established(s) => Some(s),
            Self::Pending(_) => None,
        }
    }

    /// The established session, mutably, or `None` while pending.
    pub fn as_established_mut(&mut self) -> Option<&mut Session> {
        match self {
            Self::Established(s) => Some(s),
            Self::Pending(_) => None,
        }
    }

    /// Decrypts a message. A pending record becomes established when its
    /// first reply decrypts; on error nothing changed.
    ///
    /// A prekey message that is not for this session is
    /// [`SessionError::SessionMismatch`] in both phases (a pending record
    /// receiving a prekey message means the peer started a session of its
    /// own): hand it to [`Session::accept`].
    pub fn decrypt(&mut self, now: Timestamp, message: &[u8]) -> Result<Received, SessionError> {
        match self {
            Self::Established(s) => s.decrypt(now, message),
            Self::Pending(_)
                if matches!(
                    crate::wire::Message::parse(message),
                    Ok(crate::wire::Message::Prekey(_))
                ) =>
            {
                Err(SessionError::SessionMismatch)
            }
            Self::Pending(p) => match p.clone().receive(now, message) {
                Ok((session, received)) => {
                    *self = Self::Established(session);
                    Ok(received)
                }
                Err(rejected) => Err(rejected.error),
            },
        }
    }

    /// The conversation's disappearing-message timer.
    pub fn timer(&self) -> ConversationTimer {
        match self {
            Self::Pending(p) => p.timer(),
            Self::Established(s) => s.timer(),
        }
    }

    /// Changes the conversation's timer; returns the message to send and
    /// the change.
    pub fn set_timer<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        policy: Option<ExpiryPolicy>,
    ) -> Result<(Vec<u8>, TimerChange), SessionError> {
        match self {
            Self::Pending(p) => p.set_timer(rng, now, policy),
            Self::Established(s) => s.set_timer(rng, now, policy),
        }
    }

    /// When the next skipped message key is due to be erased (established
    /// sessions only: a pending session holds none).
    pub fn next_key_erasure(&self) -> Option<Timestamp> {
        match self {
            Self::Pending(_) => None,
            Self::Established(s) => s.next_key_erasure(),
        }
    }

    /// Erases skipped message keys whose retention has run out.
    pub fn erase_expired_keys(&mut self, now: Timestamp) {
        if let Self::Established(s) = self {
            s.erase_expired_keys(now);
        }
    }
}

impl SessionRecord {
    /// The ratchet state, in either phase.
    pub(crate) fn ratchet(&self) -> &RatchetState {
        match self {
            Self::Pending(p) => &p.parts().0.state,
            Self::Established(s) => &s.parts().0.state,
        }
    }

    /// For a session accepted from a prekey message: the initiator's
    /// prekey fields it was accepted with (the KEM ciphertext as its
    /// digest).
    pub(crate) fn accepted_from(&self) -> Option<&AcceptedPrekey> {
        match self {
            Self::Pending(_) => None,
            Self::Established(s) => s.parts().2,
        }
    }
}

impl Sealed for SessionRecord {
    fn sender(&mut self) -> Sender<'_> {
        match self {
            Self::Pending(p) => p.sender(),
            Self::Established(s) => s.sender(),
        }
    }

    fn sender_ref(&self) -> SenderRef<'_> {
        match self {
            Self::Pending(p) => p.sender_ref(),
            Self::Established(s) => s.sender_ref(),
        }
    }
}

/// Sends in either phase: prekey messages while pending, ratchet messages
/// once established.
impl Encrypt for SessionRecord {}

impl From<Session> for SessionRecord {
    fn from(s: Session) -> Self {
        Self::Established(s)
    }
}

impl From<PendingSession> for SessionRecord {
    fn from(p: PendingSession) -> Self {
        Self::Pending(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::IdentityKeyPair;
    use crate::prekey::PrekeyStore;
    use crate::session::outgoing::Outgoing;
    use crate::testing::DangerDeterministicRng;

    /// Alice's pending record to Bob, with Bob's identity and prekeys.
    struct Start {
        rng: DangerDeterministicRng,
        now: Timestamp,
        alice: IdentityKeyPair,
        bob: IdentityKeyPair,
        store: PrekeyStore,
        record: SessionRecord,
    }

    fn start(seed: u64) -> Start {
        let mut rng = DangerDeterministicRng::from_u64(seed);
        let alice = IdentityKeyPair::generate(&mut rng);
        let bob = IdentityKeyPair::generate(&mut rng);
        let store = PrekeyStore::new(&bob, &mut rng);
        let bundle = store.bundle(&bob, None).unwrap();
        let pending = PendingSession::initiate(&mut rng, &alice, &bundle).unwrap();
        Start {
            rng,
            now: Timestamp::from_unix_millis(1),
            alice,
            bob,
            store,
            record: SessionRecord::from(pending),
        }
    }

    /// The record sends, Bob accepts and replies, the record decrypts the
    /// reply: Bob's session is returned, the record is established.
    fn establish(s: &mut Start) -> Session {
        let hello = s
            .record
            .encrypt(&mut s.rng, s.now, Outgoing::message(b"hi"))
            .unwrap();
        let (mut bob_session, _) =
            Session::accept(&s.bob, &mut s.store, s.now, &hello.message).unwrap();
        let reply = bob_session
            .encrypt(&mut s.rng, s.now, Outgoing::message(b"yo"))
            .unwrap();
        s.record.decrypt(s.now, &reply.message).unwrap();
        assert!(s.record.is_established());
        bob_session
    }

    #[test]
    fn as_established_follows_the_phase() {
        let mut s = start(3);
        assert!(s.record.as_established().is_none());
        assert!(s.record.as_established_mut().is_none());
        let mut bob_session = establish(&mut s);
        assert_eq!(
            s.record.as_established().map(Session::their_identity),
            Some(s.bob.public())
        );
        // The mutable view is the record's own session.
        let session = s.record.as_established_mut().unwrap();
        let m = session
            .encrypt(&mut s.rng, s.now, Outgoing::message(b"again"))
            .unwrap();
        bob_session.decrypt(s.now, &m.message).unwrap();
        let SessionRecord::Established(inner) = &s.record else {
            panic!("established")
        };
        assert_eq!(s.record.as_established(), Some(inner));
    }

    /// `RatchetState::encoded_len` is the length `encode` writes, with and
    /// without our ratchet secret, chains, closed chains, skipped keys in
    /// several runs and erased-key tombstones.
    #[test]
    fn a_ratchet_states_encoded_len_is_what_it_writes() {
        use crate::blob_writer::BlobWriter;
        let (mut rng, alice, bob) =
            crate::testing::in_chain_pair(9, Timestamp::from_unix_millis(1)).unwrap();
        let now = Timestamp::from_unix_millis(1);
        let (mut a, mut b) = (SessionRecord::from(alice), SessionRecord::from(bob));
        let check = |r: &SessionRecord| {
            let mut w = BlobWriter::with_capacity(0);
            r.ratchet().encode(&mut w);
            assert_eq!(w.into_inner().len(), r.ratchet().encoded_len());
        };
        check(&a);
        check(&b);
        for turn in 0..4u32 {
            let (from, to) = if turn % 2 == 0 {
                (&mut a, &mut b)
            } else {
                (&mut b, &mut a)
            };
            let mut sent = alloc::vec::Vec::new();
            for i in 0..(5 + turn) {
                let m = from
                    .encrypt(&mut rng, now, Outgoing::message(&i.to_be_bytes()))
                    .unwrap();
                sent.push(m.message);
            }
            // Every other message read, the last one always: skipped keys
            // in this chain, some read out of order (tombstones).
            for m in sent.iter().rev().step_by(2) {
                to.decrypt(now, m).unwrap();
            }
            check(&a);
            check(&b);
        }
        assert!(a.ratchet().skipped_key_count() > 0 && b.ratchet().skipped_key_count() > 0);
    }

    /// The record's timer is its session's, in both phases; a pending
    /// record handed a prekey message (the peer started its own session)
    /// says `SessionMismatch` and stays as it was.
    #[test]
    fn the_timer_and_a_peers_own_prekey_message_in_both_phases() {
        use crate::expiry::{ExpiryMode, ExpiryPolicy};
        let mut s = start(4);
        let policy = ExpiryPolicy::new(ExpiryMode::AfterSend, 60).unwrap();
        let (_, change) = s.record.set_timer(&mut s.rng, s.now, Some(policy)).unwrap();
        assert_eq!(s.record.timer(), change.new);
        assert_eq!(s.record.timer().policy, Some(policy));

        // Bob's own session to Alice: its first message is a prekey message.
        let alice_store = PrekeyStore::new(&s.alice, &mut s.rng);
        let alice_bundle = alice_store.bundle(&s.alice, None).unwrap();
        let mut bobs = PendingSession::initiate(&mut s.rng, &s.bob, &alice_bundle).unwrap();
        let bobs_hello = bobs
            .encrypt(&mut s.rng, s.now, Outgoing::message(b"b"))
            .unwrap();
        let before = s.record.clone();
        assert_eq!(
            s.record.decrypt(s.now, &bobs_hello.message).map(|_| ()),
            Err(SessionError::SessionMismatch)
        );
        assert!(s.record == before);

        // Established: the timer carried over.
        establish(&mut s);
        assert_eq!(s.record.timer(), change.new);
        let off = s.record.set_timer(&mut s.rng, s.now, None).unwrap().1;
        assert_eq!(s.record.timer(), off.new);
        assert_eq!(s.record.timer().policy, None);
    }
}
