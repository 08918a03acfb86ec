//! The initiator's session before it has heard back: every message it sends
//! carries the X3DH fields, and the first reply it decrypts turns it into an
//! established [`Session`].

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::bundle::PrekeyBundle;
use crate::dh::DhKeyPair;
use crate::error::SessionError;
use crate::expiry::{ConversationTimer, ExpiryPolicy, TimerChange};
use crate::handshake;
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::ratchet::RatchetState;
use crate::session::conversation::Conversation;
use crate::session::established::Session;
use crate::session::key_agreement::KeyAgreement;
use crate::session::received::Received;
use crate::session::send::Encrypt;
use crate::session::send::sealed::{Sealed, Sender, SenderRef};
use crate::session::transport::{self, PrekeyFields};
use crate::time::Timestamp;

/// An outbound session waiting for the peer's first reply.
///
/// It can only encrypt prekey messages (through [`Encrypt`]);
/// [`receive`](Self::receive) consumes
/// it and returns the established [`Session`] once a reply decrypts, so a
/// pending session cannot be used as an established one by mistake.
#[derive(Clone, PartialEq)]
pub struct PendingSession {
    conv: Conversation,
    prekey: PrekeyFields,
    their_identity: IdentityKey,
}

/// A reply that [`PendingSession::receive`] refused, with the unchanged
/// pending session handed back.
#[derive(Debug)]
pub struct Rejected {
    /// Why the message was refused.
    pub error: SessionError,
    /// The pending session, exactly as it was before the call.
    pub session: Box<PendingSession>,
}

impl core::fmt::Display for Rejected {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&self.error, f)
    }
}

impl core::error::Error for Rejected {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl PendingSession {
    /// Runs the key agreement against a verified bundle and starts the
    /// Double Ratchet: PQXDH (X3DH plus an ML-KEM-768 encapsulation to the
    /// bundle's PQ prekey) whenever the bundle has a PQ prekey, X3DH
    /// otherwise. There is no way to use a bundle with a PQ prekey
    /// classically.
    ///
    /// Draws the ephemeral secret, the first ratchet secret and, with
    /// PQXDH, the 32 bytes of encapsulation randomness, in that order.
    ///
    /// Fails with [`SessionError::WeakPublicKey`] if a key of the bundle is
    /// of low order.
    pub fn initiate<R: rand_core::CryptoRng + ?Sized>(
        rng: &mut R,
        identity: &IdentityKeyPair,
        bundle: &PrekeyBundle,
    ) -> Result<Self, SessionError> {
        let ephemeral = DhKeyPair::generate(rng);
        let ratchet = DhKeyPair::generate(rng);
        let kem_randomness = bundle.pq_prekey().map(|_| {
            let mut m = zeroize::Zeroizing::new([0u8; 32]);
            rng.fill_bytes(m.as_mut());
            m
        });
        Self::initiate_with_keys(
            identity,
            bundle,
            ephemeral,
            ratchet,
            kem_randomness.as_deref(),
        )
    }

    pub(crate) fn initiate_with_keys(
        identity: &IdentityKeyPair,
        bundle: &PrekeyBundle,
        ephemeral: DhKeyPair,
        ratchet: DhKeyPair,
        kem_randomness: Option<&[u8; 32]>,
    ) -> Result<Self, SessionError> {
        let (x3dh, pq) = handshake::initiator(identity, &ephemeral, bundle, kem_randomness)?;
        let state = RatchetState::new_initiator(
            &x3dh.shared_secret,
            x3dh.associated_data,
            ratchet,
            bundle.signed_prekey(),
        )?;
        // The ephemeral secret is dropped (and zeroized) here; only its
        // public half travels on.
        Ok(Self {
            conv: Conversation::new(state),
            prekey: PrekeyFields {
                identity_key: *identity.public(),
                base_key: *ephemeral.public(),
                signed_prekey_id: bundle.signed_prekey_id(),
                one_time_prekey_id: bundle.one_time_prekey().map(|o| o.id),
                pq,
            },
            their_identity: *bundle.identity_key(),
        })
    }

    /// The peer's identity key, from the bundle.
    pub fn their_identity(&self) -> &IdentityKey {
        &self.their_identity
    }

    /// Whether the session was set up with PQXDH (the bundle had a PQ
    /// prekey); its prekey messages then carry the PQ fields. The same as
    /// `self.key_agreement() == KeyAgreement::Pqxdh`.
    pub fn is_post_quantum(&self) -> bool {
        self.prekey.pq.is_some()
    }

    /// The key agreement that set the session up: [`KeyAgreement::Pqxdh`]
    /// when the bundle had a PQ prekey, else [`KeyAgreement::X3dh`] (never
    /// `Unrecorded`: a pending session always holds its prekey fields). The
    /// established [`Session`] that [`receive`](Self::receive) returns
    /// keeps it.
    pub fn key_agreement(&self) -> KeyAgreement {
        KeyAgreement::of_pq(self.prekey.pq.as_ref())
    }

    /// The conversation's disappearing-message timer.
    pub fn timer(&self) -> ConversationTimer {
        self.conv.timer
    }

    /// Changes the conversation's timer; returns the timer-change (prekey)
    /// message to send and the change. On error nothing changed.
    pub fn set_timer<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        policy: Option<ExpiryPolicy>,
    ) -> Result<(Vec<u8>, TimerChange), SessionError> {
        self.conv.set_timer(Some(&self.prekey), rng, now, policy)
    }

    /// Decrypts the peer's first reply. On success the pending session
    /// becomes an established [`Session`]; on failure it is handed back
    /// unchanged inside [`Rejected`].
    pub fn receive(
        mut self,
        now: Timestamp,
        message: &[u8],
    ) -> Result<(Session, Received), Rejected> {
        match self.receive_inner(now, message) {
            Ok(received) => {
                let key_agreement = self.key_agreement();
                Ok((
                    Session::from_parts(self.conv, self.their_identity, None, key_agreement),
                    received,
                ))
            }
            Err(error) => Err(Rejected {
                error,
                session: Box::new(self),
            }),
        }
    }

    fn receive_inner(&mut self, now: Timestamp, message: &[u8]) -> Result<Received, SessionError> {
        let parsed = transport::parse(message)?;
        if parsed.prekey.is_some() {
            return Err(SessionError::UnexpectedMessage);
        }
        self.conv
            .open_owned(&parsed, self.their_identity, now, message)
    }

    pub(crate) fn parts(&self) -> (&Conversation, &IdentityKey, &PrekeyFields) {
        (&self.conv, &self.their_identity, &self.prekey)
    }

    pub(crate) fn from_parts(
        conv: Conversation,
        their_identity: IdentityKey,
        prekey: PrekeyFields,
    ) -> Self {
        Self {
            conv,
            prekey,
            their_identity,
        }
    }

    #[cfg(feature = "hazmat")]
    pub(crate) fn into_established_unchecked(self) -> Session {
        let key_agreement = self.key_agreement();
        Session::from_parts(self.conv, self.their_identity, None, key_agreement)
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

impl Sealed for PendingSession {
    fn sender(&mut self) -> Sender<'_> {
        Sender {
            conv: &mut self.conv,
            prekey: Some(&self.prekey),
            their_identity: &self.their_identity,
        }
    }

    fn sender_ref(&self) -> SenderRef<'_> {
        SenderRef {
            conv: &self.conv,
            prekey: Some(&self.prekey),
        }
    }
}

/// Every message of a pending session is a prekey message.
impl Encrypt for PendingSession {}

impl core::fmt::Debug for PendingSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PendingSession")
            .field("their_identity", &self.their_identity)
            .field("prekey", &self.prekey)
            .finish_non_exhaustive()
    }
}
