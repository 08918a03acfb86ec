//! An established 1:1 session.

use alloc::vec::Vec;

use crate::error::SessionError;
use crate::expiry::{ConversationTimer, ExpiryPolicy, TimerChange};
use crate::handshake;
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::pq_prekey::PqPrekeyKind;
use crate::prekey::{PrekeyStore, ReplayRecord};
use crate::ratchet::RatchetState;
use crate::session::conversation::Conversation;
use crate::session::key_agreement::KeyAgreement;
use crate::session::received::{Received, ReceivedRef};
use crate::session::send::Encrypt;
use crate::session::send::sealed::{Sealed, Sender, SenderRef};
use crate::session::transport::{self, AcceptedPrekey, Parsed, PrekeyFields};
use crate::time::Timestamp;

/// An established session: encrypts ratchet messages (through
/// [`Encrypt`]) and decrypts both ratchet messages and the initiator's
/// remaining prekey messages.
///
/// Every method that fails leaves the session exactly as it was.
#[derive(Clone, PartialEq)]
pub struct Session {
    conv: Conversation,
    their_identity: IdentityKey,
    /// For a responder: the initiator's prekey fields (identity, base key,
    /// prekey ids, the digest of the KEM ciphertext), so that further
    /// prekey messages of the same session are recognised. The ratchet's
    /// AEAD does not cover these fields, so every one of them must match.
    prekey: Option<AcceptedPrekey>,
    /// X3DH or PQXDH; `Unrecorded` only when loaded from an older blob that
    /// could not tell. For a responder it always agrees with `prekey`.
    key_agreement: KeyAgreement,
}

impl Session {
    pub(crate) fn from_parts(
        conv: Conversation,
        their_identity: IdentityKey,
        prekey: Option<AcceptedPrekey>,
        key_agreement: KeyAgreement,
    ) -> Self {
        Self {
            conv,
            their_identity,
            prekey,
            key_agreement,
        }
    }

    /// Accepts a session from an incoming prekey message (any message of the
    /// initiator's first chain): runs X3DH, or PQXDH when the message
    /// carries the PQ fields, with the named prekeys, decrypts the message,
    /// and only then consumes the one-time prekeys (classic and PQ) or, for
    /// a last-resort PQ prekey, records the set-up so that a replay of it is
    /// refused.
    ///
    /// A store that [requires PQ](PrekeyStore::set_require_pq) refuses a
    /// classic prekey message with [`SessionError::PqRequired`] before any
    /// secret is used.
    ///
    /// On any error neither the store nor anything else has changed.
    pub fn accept(
        identity: &IdentityKeyPair,
        prekeys: &mut PrekeyStore,
        now: Timestamp,
        message: &[u8],
    ) -> Result<(Session, Received), SessionError> {
        let parsed = transport::parse(message)?;
        let prekey = parsed
            .prekey
            .as_ref()
            .ok_or(SessionError::UnexpectedMessage)?;
        let one_time_prekey_id = prekey.one_time_prekey_id;
        let replay = prekey.pq.as_ref().map(|pq| ReplayRecord {
            pq_prekey_id: pq.pq_prekey_id,
            signed_prekey_id: prekey.signed_prekey_id,
            base_key: prekey.base_key,
        });
        let mut session = Session::respond(identity, prekeys, prekey.clone())?;
        let received = session.decrypt_parsed(now, &parsed, message)?;
        if let Some(id) = one_time_prekey_id {
            prekeys.consume_one_time(id);
        }
        if let Some(record) = replay {
            prekeys.commit_pq(record);
        }
        Ok((session, received))
    }

    /// The responder's session from the initiator's prekey fields: checks
    /// the PQ policy, looks up the named prekeys, refuses a replay against a
    /// last-resort PQ prekey, runs X3DH or PQXDH and starts the ratchet with
    /// the signed prekey. Decrypts nothing and consumes nothing.
    pub(crate) fn respond(
        identity: &IdentityKeyPair,
        prekeys: &PrekeyStore,
        prekey: PrekeyFields,
    ) -> Result<Session, SessionError> {
        if prekey.pq.is_none() && prekeys.requires_pq() {
            return Err(SessionError::PqRequired);
        }
        let spk = prekeys
            .signed(prekey.signed_prekey_id)
            .ok_or(SessionError::UnknownSignedPrekey)?;
        let opk = match prekey.one_time_prekey_id {
            Some(id) => Some(
                prekeys
                    .one_time(id)
                    .ok_or(SessionError::UnknownOneTimePrekey)?,
            ),
            None => None,
        };
        let pq = match &prekey.pq {
            Some(fields) => {
                let key = prekeys
                    .pq_prekey(fields.pq_prekey_id)
                    .ok_or(SessionError::UnknownPqPrekey)?;
                let record = ReplayRecord {
                    pq_prekey_id: fields.pq_prekey_id,
                    signed_prekey_id: prekey.signed_prekey_id,
                    base_key: prekey.base_key,
                };
                if key.kind() == PqPrekeyKind::LastResort && prekeys.is_replay(&record) {
                    return Err(SessionError::ReplayedPrekeyMessage);
                }
                Some((key.pair(), &*fields.ciphertext))
            }
            None => None,
        };
        let x3dh = handshake::responder(
            identity,
            spk.pair(),
            opk,
            pq,
            &prekey.identity_key,
            &prekey.base_key,
        )?;
        let state = RatchetState::new_responder(
            &x3dh.shared_secret,
            x3dh.associated_data,
            spk.pair().clone(),
        );
        let key_agreement = KeyAgreement::of_pq(prekey.pq.as_ref());
        Ok(Session::from_parts(
            Conversation::new(state),
            prekey.identity_key,
            Some(AcceptedPrekey::of(&prekey)),
            key_agreement,
        ))
    }

    /// The peer's identity key.
    pub fn their_identity(&self) -> &IdentityKey {
        &self.their_identity
    }

    /// The key agreement that set the session up (SPEC.md §3.7), on both
    /// sides: [`KeyAgreement::Pqxdh`] or [`KeyAgreement::X3dh`], kept from
    /// the [`PendingSession`](crate::PendingSession) (initiator) or taken
    /// from the prekey message [`accept`](Self::accept)ed (responder), and
    /// saved with the session. [`KeyAgreement::Unrecorded`] only for an
    /// initiator's session loaded from a v2 state blob, which did not
    /// record it.
    pub fn key_agreement(&self) -> KeyAgreement {
        self.key_agreement
    }

    /// Decrypts a message into an owned [`Received`].
    pub fn decrypt(&mut self, now: Timestamp, message: &[u8]) -> Result<Received, SessionError> {
        let parsed = transport::parse(message)?;
        self.decrypt_parsed(now, &parsed, message)
    }

    fn decrypt_parsed(
        &mut self,
        now: Timestamp,
        parsed: &Parsed,
        message: &[u8],
    ) -> Result<Received, SessionError> {
        self.check_prekey(parsed)?;
        self.conv
            .open_owned(parsed, self.their_identity, now, message)
    }

    /// Decrypts the message held in `buf` in place (no heap allocation in an
    /// established chain); the returned body borrows `buf`. On failure the
    /// session is unchanged and `buf` holds no plaintext.
    pub fn decrypt_in_place<'b>(
        &mut self,
        now: Timestamp,
        buf: &'b mut [u8],
    ) -> Result<ReceivedRef<'b>, SessionError> {
        let parsed = transport::parse(buf)?;
        self.check_prekey(&parsed)?;
        self.conv
            .open_in_place(&parsed, self.their_identity, now, buf)
    }

    /// A prekey message is accepted only from the initiator of this session
    /// with exactly the prekey fields the session was accepted with (same
    /// identity, base key, signed, one-time and PQ prekey ids, and KEM
    /// ciphertext, compared through its SHA-256 digest): the ratchet's AEAD
    /// does not authenticate these fields, so a message whose fields were
    /// altered in transit must not decrypt.
    fn check_prekey(&self, parsed: &Parsed) -> Result<(), SessionError> {
        match (&parsed.prekey, &self.prekey) {
            (None, _) => Ok(()),
            (Some(p), Some(ours))
                if p.identity_key == self.their_identity && AcceptedPrekey::of(p) == *ours =>
            {
                Ok(())
            }
            (Some(_), _) => Err(SessionError::SessionMismatch),
        }
    }

    /// How many skipped message keys the session holds.
    pub fn skipped_key_count(&self) -> usize {
        self.conv.state.skipped_key_count()
    }

    /// The conversation's disappearing-message timer.
    pub fn timer(&self) -> ConversationTimer {
        self.conv.timer
    }

    /// Changes the conversation's timer (`None`: messages stop
    /// disappearing): returns the timer-change message to send and the
    /// change. The new version is the highest seen plus one. On error
    /// nothing changed.
    pub fn set_timer<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        policy: Option<ExpiryPolicy>,
    ) -> Result<(Vec<u8>, TimerChange), SessionError> {
        self.conv.set_timer(None, rng, now, policy)
    }

    /// Sets how long skipped message keys may be kept at most (default
    /// [`MAX_SKIPPED_KEY_AGE_MS`](crate::limits::MAX_SKIPPED_KEY_AGE_MS)),
    /// and erases those already older.
    pub fn set_max_skipped_key_age(&mut self, now: Timestamp, max_age_ms: u64) {
        self.conv
            .set_retention(now, |c| c.max_skipped_key_age_ms = max_age_ms);
    }

    /// When the next skipped message key is due to be erased: call
    /// [`erase_expired_keys`](Self::erase_expired_keys) then.
    pub fn next_key_erasure(&self) -> Option<Timestamp> {
        self.conv.next_key_erasure()
    }

    /// Erases the skipped message keys whose retention has run out: older
    /// than the conversation's after-send TTL plus
    /// [`SKIPPED_KEY_GRACE_MS`](crate::expiry::policy::SKIPPED_KEY_GRACE_MS),
    /// or than the maximum age. Also done on every successful decrypt.
    pub fn erase_expired_keys(&mut self, now: Timestamp) {
        self.conv.erase_expired_keys(now);
    }

    pub(crate) fn parts(&self) -> (&Conversation, &IdentityKey, Option<&AcceptedPrekey>) {
        (&self.conv, &self.their_identity, self.prekey.as_ref())
    }

    #[cfg(feature = "hazmat")]
    pub(crate) fn conversation_mut(&mut self) -> &mut Conversation {
        &mut self.conv
    }

    #[cfg(feature = "hazmat")]
    pub(crate) fn state(&self) -> &RatchetState {
        &self.conv.state
    }

    #[cfg(feature = "hazmat")]
    pub(crate) fn state_mut(&mut self) -> &mut RatchetState {
        &mut self.conv.state
    }
}

impl Sealed for Session {
    fn sender(&mut self) -> Sender<'_> {
        Sender {
            conv: &mut self.conv,
            prekey: None,
            their_identity: &self.their_identity,
        }
    }

    fn sender_ref(&self) -> SenderRef<'_> {
        SenderRef {
            conv: &self.conv,
            prekey: None,
        }
    }
}

impl Encrypt for Session {}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("their_identity", &self.their_identity)
            .field("sending_index", &self.conv.state.sending_index())
            .field("skipped_keys", &self.conv.state.skipped_key_count())
            .field("timer", &self.conv.timer)
            .field("key_agreement", &self.key_agreement)
            .finish_non_exhaustive()
    }
}
