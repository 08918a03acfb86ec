//! The send side of a 1:1 session, written once: an [`Outgoing`] message
//! description and the [`Encrypt`] trait that [`Session`],
//! [`PendingSession`] and [`SessionRecord`] implement (the rustls
//! `Connection` pattern: one implementation over the phases).
//!
//! [`Session`]: crate::Session
//! [`PendingSession`]: crate::PendingSession
//! [`SessionRecord`]: crate::SessionRecord

use crate::error::SessionError;
use crate::session::outgoing::{Outgoing, Sent, SentInto};
use crate::time::Timestamp;

pub(crate) mod sealed {
    use crate::identity::IdentityKey;
    use crate::session::conversation::Conversation;
    use crate::session::transport::PrekeyFields;

    /// What a send needs of a session: its conversation, the prekey fields
    /// an initiator attaches until it has heard back, the peer's identity.
    pub struct Sender<'s> {
        pub(crate) conv: &'s mut Conversation,
        pub(crate) prekey: Option<&'s PrekeyFields>,
        pub(crate) their_identity: &'s IdentityKey,
    }

    /// [`Sender`], read only: enough to size a message.
    pub struct SenderRef<'s> {
        pub(crate) conv: &'s Conversation,
        pub(crate) prekey: Option<&'s PrekeyFields>,
    }

    /// Keeps [`Encrypt`](super::Encrypt) implemented by the session types
    /// of this crate only, and gives it their parts.
    pub trait Sealed {
        /// The parts a send changes.
        fn sender(&mut self) -> Sender<'_>;
        /// The parts that size a message.
        fn sender_ref(&self) -> SenderRef<'_>;
    }
}

/// Encrypting [`Outgoing`] messages: the one send path of [`Session`],
/// [`PendingSession`] and [`SessionRecord`] (sealed: implemented by these
/// only). A pending session sends prekey messages, an established one
/// ratchet messages; the caller does not choose.
///
/// Every call that fails leaves the session exactly as it was.
///
/// [`Session`]: crate::Session
/// [`PendingSession`]: crate::PendingSession
/// [`SessionRecord`]: crate::SessionRecord
pub trait Encrypt: sealed::Sealed {
    /// Length of the message [`encrypt_into`](Self::encrypt_into) writes
    /// for a body of `body_len` bytes, franked or not (a franked message is
    /// 64 bytes longer: `kf` in the frame, `cf` beside the ciphertext). It
    /// depends on the session's phase and timer, not on the content type.
    fn encrypted_len(&self, body_len: usize, franked: bool) -> usize {
        let s = self.sender_ref();
        s.conv.sealed_len(s.prekey, body_len, franked)
    }

    /// Encrypts `msg` into a new wire message (at most
    /// [`MAX_BODY_LEN`](crate::limits::MAX_BODY_LEN) bytes of body, else
    /// [`SessionError::MessageTooLarge`]). `now` is the send time the frame
    /// carries (`sent_at`).
    ///
    /// A franked message draws its franking key before anything else of
    /// the message.
    fn encrypt<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        msg: Outgoing<'_>,
    ) -> Result<Sent, SessionError> {
        let len = self.encrypted_len(msg.body().len(), msg.is_franked());
        let mut franking = None;
        let message = crate::session::transport::seal_to_vec(msg.body().len(), len, |out| {
            let sent = self.encrypt_into(rng, now, msg, out)?;
            franking = sent.franking;
            Ok(sent.len)
        })?;
        Ok(Sent { message, franking })
    }

    /// [`encrypt`](Self::encrypt) into the caller's buffer, without heap
    /// allocation: `out` must hold
    /// [`encrypted_len`](Self::encrypted_len) bytes (else
    /// [`SessionError::BufferTooSmall`]).
    fn encrypt_into<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        msg: Outgoing<'_>,
        out: &mut [u8],
    ) -> Result<SentInto, SessionError> {
        let s = self.sender();
        s.conv
            .seal_into(s.prekey, s.their_identity, rng, now, msg, out)
    }
}
