//! What both session phases share: the ratchet state, the conversation's
//! disappearing-message timer, and the retention of skipped keys
//! (SPEC.md §10).

use alloc::vec::Vec;

use crate::plaintext::Plaintext;

use crate::error::SessionError;
use crate::expiry::policy::Timed;
use crate::expiry::{ChangedBy, ConversationTimer, ExpiryPolicy, MessageExpiry, TimerChange};
use crate::frame::{ContentType, FrameMeta};
use crate::franking::commitment::commitment_encoded;
use crate::franking::{Franking, FrankingKey, FrankingRef};
use crate::identity::IdentityKey;
use crate::limits::{MAX_BODY_LEN, MAX_SKIPPED_KEY_AGE_MS};
use crate::ratchet::{RatchetState, Retention};
use crate::session::outgoing::{Outgoing, SentInto};
use crate::session::received::{Received, ReceivedRef};
use crate::session::transport::{self, Parsed, Parties, PrekeyFields, Sealing};
use crate::time::Timestamp;

/// The ratchet, the timer and the key-retention setting of one session.
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct Conversation {
    pub(crate) state: RatchetState,
    pub(crate) timer: ConversationTimer,
    /// The highest timer version seen on any message, so that our next
    /// change outranks a change whose message we have not received yet.
    pub(crate) highest_timer_version: u64,
    pub(crate) max_skipped_key_age_ms: u64,
}

impl Conversation {
    pub(crate) fn new(state: RatchetState) -> Self {
        Self {
            state,
            timer: ConversationTimer::default(),
            highest_timer_version: 0,
            max_skipped_key_age_ms: MAX_SKIPPED_KEY_AGE_MS,
        }
    }

    pub(crate) fn retention(&self) -> Retention {
        Retention::for_timer(self.max_skipped_key_age_ms, &self.timer)
    }

    /// Length of a message, franked or not.
    pub(crate) fn sealed_len(
        &self,
        prekey: Option<&PrekeyFields>,
        body_len: usize,
        franked: bool,
    ) -> usize {
        transport::sealed_len(
            prekey,
            body_len,
            self.timer != ConversationTimer::default(),
            franked,
        )
    }

    /// Our own `Encode(IK)`: the half of the associated data
    /// `Encode(IK_A) || Encode(IK_B)` that is not the peer's.
    fn our_encoded_identity(&self, their: &IdentityKey) -> [u8; 33] {
        let (a, b) = self.state.associated_data().split_at(33);
        let theirs = their.encode();
        let mut ours = [0u8; 33];
        ours.copy_from_slice(if a == theirs { b } else { a });
        ours
    }

    /// Draws a franking key and commits to the message (SPEC.md §19.1).
    /// The key is drawn before anything else of the message.
    fn frank<R: rand_core::CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        their: &IdentityKey,
        meta: &FrameMeta,
        body: &[u8],
    ) -> Result<Franking, SessionError> {
        let key = FrankingKey::generate(rng);
        let commitment = commitment_encoded(
            key.as_bytes(),
            meta.content_type.into(),
            &self.our_encoded_identity(their),
            &their.encode(),
            meta.sent_at,
            body,
        )
        .ok_or(SessionError::MessageTooLarge)?;
        Ok(Franking::new(key, commitment))
    }

    /// The one send path of an application message (the [`Encrypt`]
    /// trait's): frames `msg` and seals it into `out`, franked if asked
    /// (the franking key is drawn first). Nothing changes on error.
    ///
    /// [`Encrypt`]: crate::session::Encrypt
    pub(crate) fn seal_into<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        prekey: Option<&PrekeyFields>,
        their: &IdentityKey,
        rng: &mut R,
        now: Timestamp,
        msg: Outgoing<'_>,
        out: &mut [u8],
    ) -> Result<SentInto, SessionError> {
        let body = msg.body();
        if body.len() > MAX_BODY_LEN {
            return Err(SessionError::MessageTooLarge);
        }
        let meta = self.app_meta(now, msg.content_type())?;
        // The buffer is checked before the franking key is drawn, so that a
        // short buffer takes nothing from the generator either.
        let needed = transport::sealed_len(prekey, body.len(), meta.has_timer(), msg.is_franked());
        if out.len() < needed {
            return Err(SessionError::BufferTooSmall);
        }
        let franking = msg
            .is_franked()
            .then(|| self.frank(rng, their, &meta, body))
            .transpose()?;
        let sealing = franking.as_ref().map(|f| Sealing {
            key: f.key().as_bytes(),
            commitment: f.commitment(),
        });
        let len = transport::seal_into(
            &mut self.state,
            prekey,
            rng,
            &meta,
            sealing.as_ref(),
            body,
            out,
        )?;
        Ok(SentInto { len, franking })
    }

    /// The frame metadata of an application message: any content type but
    /// a timer change, which only [`set_timer`](Self::set_timer) sends.
    fn app_meta(
        &self,
        now: Timestamp,
        content_type: ContentType,
    ) -> Result<FrameMeta, SessionError> {
        if content_type == ContentType::TimerChange {
            return Err(SessionError::InvalidPolicy);
        }
        Ok(FrameMeta {
            content_type,
            sent_at: now.as_unix_millis(),
            timer: self.timer,
        })
    }

    /// Seals an unfranked frame with the given metadata (a timer change)
    /// into a new vector.
    pub(crate) fn seal_vec<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        prekey: Option<&PrekeyFields>,
        rng: &mut R,
        meta: &FrameMeta,
        body: &[u8],
    ) -> Result<Vec<u8>, SessionError> {
        let len = transport::sealed_len(prekey, body.len(), meta.has_timer(), false);
        transport::seal_to_vec(body.len(), len, |out| {
            transport::seal_into(&mut self.state, prekey, rng, meta, None, body, out)
        })
    }

    /// Our own timer change: version = highest seen + 1, sent as a
    /// timer-change message. Nothing changes unless the message was built.
    pub(crate) fn set_timer<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        prekey: Option<&PrekeyFields>,
        rng: &mut R,
        now: Timestamp,
        policy: Option<ExpiryPolicy>,
    ) -> Result<(Vec<u8>, TimerChange), SessionError> {
        let new = self
            .timer
            .next(policy, self.highest_timer_version)
            .ok_or(SessionError::CounterOverflow)?;
        let meta = FrameMeta {
            content_type: ContentType::TimerChange,
            sent_at: now.as_unix_millis(),
            timer: new,
        };
        let message = self.seal_vec(prekey, rng, &meta, &[])?;
        let change = TimerChange {
            by: ChangedBy::Us,
            old: self.timer,
            new,
        };
        self.set_retention(now, |c| {
            c.timer = new;
            c.highest_timer_version = new.version;
        });
        Ok((message, change))
    }

    /// Decrypts in place and applies the timer rules. The ratchet commits
    /// only if the tag verifies and the frame parses; everything after that
    /// cannot fail, so the whole step is atomic.
    pub(crate) fn open_in_place<'b>(
        &mut self,
        parsed: &Parsed,
        sender: IdentityKey,
        now: Timestamp,
        buf: &'b mut [u8],
    ) -> Result<ReceivedRef<'b>, SessionError> {
        let (head, ciphertext) = split_ciphertext(parsed, buf)?;
        self.open_at(parsed, sender, now, head, ciphertext)
            .map(|(r, _)| r)
    }

    /// Decrypts `message` into an owned [`Received`] with one heap
    /// allocation and one copy: the ciphertext alone is copied into a
    /// [`Plaintext`] buffer of its length and decrypted there in place
    /// ([`open_in_place`](Self::open_in_place)); the plaintext then shows
    /// the body where it lies, the frame's other bytes (metadata, franking
    /// key, padding, tag) zeroed. On failure the buffer is zeroized as it
    /// drops.
    pub(crate) fn open_owned(
        &mut self,
        parsed: &Parsed,
        sender: IdentityKey,
        now: Timestamp,
        message: &[u8],
    ) -> Result<Received, SessionError> {
        let (head, ciphertext) = message
            .split_at_checked(ciphertext_start(parsed, message.len())?)
            .ok_or(SessionError::AuthenticationFailed)?;
        let mut buf = Plaintext::hidden(ciphertext.to_vec());
        let (r, at) = self.open_at(parsed, sender, now, head, buf.buffer_mut())?;
        let len = r.body.len();
        let received = r.with_plaintext(Plaintext::default());
        #[allow(
            clippy::expect_used,
            reason = "open_at returns a body inside the ciphertext it decrypted"
        )]
        let plaintext = buf
            .reveal(at, len)
            .expect("the body lies inside the ciphertext");
        Ok(Received {
            plaintext,
            ..received
        })
    }

    /// [`open_in_place`](Self::open_in_place) of the message's head and
    /// ciphertext, also returning where the body starts in `ciphertext`.
    fn open_at<'b>(
        &mut self,
        parsed: &Parsed,
        sender: IdentityKey,
        now: Timestamp,
        head: &'b [u8],
        ciphertext: &'b mut [u8],
    ) -> Result<(ReceivedRef<'b>, usize), SessionError> {
        let now_ms = now.as_unix_millis();
        let retention = self.retention();
        let parties = Parties {
            sender: sender.encode(),
            recipient: self.our_encoded_identity(&sender),
        };
        let opened = transport::open_in_place(
            &mut self.state,
            parsed,
            &parties,
            &retention,
            ConversationTimer::version_limit(self.highest_timer_version),
            now_ms,
            head,
            ciphertext,
        )?;
        let (meta, body_at) = (opened.meta, opened.body_at);
        let sent_at = Timestamp::from_unix_millis(meta.sent_at);
        // The ratchet's commit has just erased against the old window.
        let timed = self.receive_timer(
            meta.timer,
            meta.content_type == ContentType::TimerChange,
            sent_at,
            now,
        );
        let (timer_change, expiry) = (timed.change, timed.expiry);
        let (body, franking): (&'b [u8], _) = if expiry == MessageExpiry::Expired {
            // Nothing of an expired message is returned: neither its body
            // nor the franking key that would let it be reported.
            zeroize::Zeroize::zeroize(&mut *opened.body);
            if let Some(key) = opened.franking_key {
                zeroize::Zeroize::zeroize(key);
            }
            (&[], None)
        } else {
            let franking = match (opened.franking_key, opened.commitment) {
                (Some(key), Some(commitment)) => Some(FrankingRef {
                    key: &*key,
                    commitment,
                }),
                _ => None,
            };
            (&*opened.body, franking)
        };
        let received = ReceivedRef {
            body,
            sender,
            message_number: parsed.header.counter,
            content_type: meta.content_type,
            sent_at,
            expiry,
            timer_change,
            franking,
        };
        Ok((received, body_at))
    }

    /// Changes what the retention depends on (timer, maximum age): keys past
    /// the old window are erased first, so that widening the window never
    /// revives a key that was already due, then keys past the new one.
    pub(crate) fn set_retention(&mut self, now: Timestamp, change: impl FnOnce(&mut Self)) {
        self.erase_expired_keys(now);
        change(self);
        self.erase_expired_keys(now);
    }

    pub(crate) fn erase_expired_keys(&mut self, now: Timestamp) {
        let retention = self.retention();
        self.state
            .erase_expired_keys(now.as_unix_millis(), &retention);
    }

    pub(crate) fn next_key_erasure(&self) -> Option<Timestamp> {
        self.state
            .next_key_erasure(&self.retention())
            .map(Timestamp::from_unix_millis)
    }
}

impl Timed for Conversation {
    fn current_timer(&self) -> ConversationTimer {
        self.timer
    }

    fn highest_timer_version_mut(&mut self) -> &mut u64 {
        &mut self.highest_timer_version
    }

    fn install_timer(&mut self, now: Timestamp, new: ConversationTimer) {
        self.set_retention(now, |c| c.timer = new);
    }
}

/// Where the ciphertext (`parsed.ciphertext_len` bytes at the end) starts
/// in a message of `len` bytes.
fn ciphertext_start(parsed: &Parsed, len: usize) -> Result<usize, SessionError> {
    len.checked_sub(parsed.ciphertext_len)
        .ok_or(SessionError::AuthenticationFailed)
}

/// The message in `buf` cut before its ciphertext.
fn split_ciphertext<'b>(
    parsed: &Parsed,
    buf: &'b mut [u8],
) -> Result<(&'b [u8], &'b mut [u8]), SessionError> {
    let start = ciphertext_start(parsed, buf.len())?;
    buf.split_at_mut_checked(start)
        .map(|(head, ciphertext)| (&*head, ciphertext))
        .ok_or(SessionError::AuthenticationFailed)
}
