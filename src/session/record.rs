//! [`SessionRecord`]: what an app stores per peer device, a session in
//! either phase, with one encrypt and one decrypt whatever the phase.

use alloc::vec::Vec;

use crate::error::SessionError;
use crate::expiry::{ConversationTimer, ExpiryPolicy, TimerChange};
use crate::frame::ContentType;
use crate::identity::IdentityKey;
use crate::session::established::Session;
use crate::session::key_agreement::KeyAgreement;
use crate::session::pending::PendingSession;
use crate::session::received::Received;
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

    /// Length of the message [`encrypt`](Self::encrypt) returns for a body
    /// of `body_len` bytes.
    pub fn encrypted_len(&self, body_len: usize) -> usize {
        match self {
            Self::Pending(p) => p.encrypted_len(body_len),
            Self::Established(s) => s.encrypted_len(body_len),
        }
    }

    /// Encrypts a user message.
    pub fn encrypt<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        body: &[u8],
    ) -> Result<Vec<u8>, SessionError> {
        self.encrypt_content(rng, now, ContentType::UserMessage, body)
    }

    /// Encrypts a body of the given content type.
    pub fn encrypt_content<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        content_type: ContentType,
        body: &[u8],
    ) -> Result<Vec<u8>, SessionError> {
        match self {
            Self::Pending(p) => p.encrypt_content(rng, now, content_type, body),
            Self::Established(s) => s.encrypt_content(rng, now, content_type, body),
        }
    }

    /// Encrypts into the caller's buffer; returns the length written.
    pub fn encrypt_into<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        content_type: ContentType,
        body: &[u8],
        out: &mut [u8],
    ) -> Result<usize, SessionError> {
        match self {
            Self::Pending(p) => p.encrypt_into(rng, now, content_type, body, out),
            Self::Established(s) => s.encrypt_into(rng, now, content_type, body, out),
        }
    }

    /// Length of the franked message
    /// [`encrypt_franked`](Self::encrypt_franked) returns.
    pub fn franked_encrypted_len(&self, body_len: usize) -> usize {
        match self {
            Self::Pending(p) => p.franked_encrypted_len(body_len),
            Self::Established(s) => s.franked_encrypted_len(body_len),
        }
    }

    /// Encrypts a franked message; see [`Session::encrypt_franked`].
    pub fn encrypt_franked<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        content_type: ContentType,
        body: &[u8],
    ) -> Result<Vec<u8>, SessionError> {
        match self {
            Self::Pending(p) => p.encrypt_franked(rng, now, content_type, body),
            Self::Established(s) => s.encrypt_franked(rng, now, content_type, body),
        }
    }

    /// Encrypts a franked message into the caller's buffer; returns the
    /// length written.
    pub fn encrypt_franked_into<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        content_type: ContentType,
        body: &[u8],
        out: &mut [u8],
    ) -> Result<usize, SessionError> {
        match self {
            Self::Pending(p) => p.encrypt_franked_into(rng, now, content_type, body, out),
            Self::Established(s) => s.encrypt_franked_into(rng, now, content_type, body, out),
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
