//! The relay's side of franking (SPEC.md §19.5, §19.7): no session, no
//! state, no key to anyone's chats. It reads the commitment off a message,
//! stamps it with its own key and the routing context, and verifies
//! reports. `no_std`, usable by a server.

use alloc::vec::Vec;

use hmac::Mac;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::DecodeError;
use crate::frame::ContentType;
use crate::franking::attachment::AttachmentPointer;
use crate::franking::commitment::{commitment_encoded, ct_eq32};
use crate::franking::error::ReportError;
use crate::franking::report::Report;
use crate::franking::{FRANKING_VERSION, STAMP_LABEL, TYPE_STAMP};
use crate::identity::IdentityKey;
use crate::kdf::{hmac_finalize, hmac_keyed};
use crate::limits::{FRANKING_COMMITMENT_LEN, MAX_ROUTING_ID_LEN};
use crate::session::time::Timestamp;
use crate::wire::Message;
use crate::wire::codec::{Overflow, Reader, Writer, write_exact};

/// The relay's 32-byte stamping key `K_relay`: uniformly random, kept by
/// the relay operator, never shared. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RelayKey([u8; 32]);

impl RelayKey {
    /// Draws a fresh key.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        Self(key)
    }

    /// A key from its bytes (as the operator stores it).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key's bytes, for the operator to store.
    pub fn danger_as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl core::fmt::Debug for RelayKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RelayKey(..)")
    }
}

/// What the relay knows of a message it forwards: who sent it to whom (the
/// relay's own account ids, opaque bytes of at most
/// [`MAX_ROUTING_ID_LEN`]) and when it passed (the relay's clock).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RoutingContext {
    sender: Vec<u8>,
    recipient: Vec<u8>,
    timestamp: Timestamp,
}

impl RoutingContext {
    /// A routing context; `TooLarge` if an id is longer than
    /// [`MAX_ROUTING_ID_LEN`] bytes.
    pub fn new(sender: &[u8], recipient: &[u8], timestamp: Timestamp) -> Result<Self, DecodeError> {
        if sender.len() > MAX_ROUTING_ID_LEN || recipient.len() > MAX_ROUTING_ID_LEN {
            return Err(DecodeError::TooLarge);
        }
        Ok(Self {
            sender: sender.to_vec(),
            recipient: recipient.to_vec(),
            timestamp,
        })
    }

    /// The sender's account id at the relay.
    pub fn sender(&self) -> &[u8] {
        &self.sender
    }

    /// The recipient's account id at the relay.
    pub fn recipient(&self) -> &[u8] {
        &self.recipient
    }

    /// When the relay forwarded the message (its clock).
    pub fn timestamp(&self) -> Timestamp {
        self.timestamp
    }

    /// Length of the encoding.
    pub(crate) fn encoded_len(&self) -> usize {
        (8 + 2 + 2usize)
            .saturating_add(self.sender.len())
            .saturating_add(self.recipient.len())
    }

    /// `timestamp u64 | sender_len u16 | sender | recipient_len u16 |
    /// recipient`.
    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), Overflow> {
        w.u64(self.timestamp.as_unix_millis())?;
        for id in [&self.sender, &self.recipient] {
            let len = u16::try_from(id.len()).map_err(|_| Overflow)?;
            w.bytes(&len.to_be_bytes())?;
            w.bytes(id)?;
        }
        Ok(())
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let timestamp = Timestamp::from_unix_millis(r.u64()?);
        let mut ids = [Vec::new(), Vec::new()];
        for id in &mut ids {
            let len = usize::from(r.u16()?);
            if len > MAX_ROUTING_ID_LEN {
                return Err(DecodeError::TooLarge);
            }
            *id = r.take(len)?.to_vec();
        }
        let [sender, recipient] = ids;
        Ok(Self {
            sender,
            recipient,
            timestamp,
        })
    }

    fn to_vec(&self) -> Vec<u8> {
        // Ids bounded by the constructor.
        write_exact(alloc::vec![0u8; self.encoded_len()], |w| self.write(w))
    }
}

impl core::fmt::Debug for RoutingContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RoutingContext")
            .field("sender", &crate::hexfmt::Hex(&self.sender))
            .field("recipient", &crate::hexfmt::Hex(&self.recipient))
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

/// The relay's stamp on one franked message: the tag
/// `HMAC(K_relay, "Sealwire_FrankingStamp_v1" || cf || Encode(context))`
/// and the routing context it covers. The relay hands it to the recipient
/// with the message and keeps nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct Stamp {
    tag: [u8; 32],
    context: RoutingContext,
}

impl Stamp {
    /// The 32-byte tag.
    pub fn tag(&self) -> &[u8; 32] {
        &self.tag
    }

    /// The routing context the tag covers.
    pub fn context(&self) -> &RoutingContext {
        &self.context
    }

    pub(crate) fn from_parts(tag: [u8; 32], context: RoutingContext) -> Self {
        Self { tag, context }
    }

    /// Length of the encoding.
    pub fn encoded_len(&self) -> usize {
        (2 + 32usize).saturating_add(self.context.encoded_len())
    }

    /// `version 0x01 | type 0x31 | tag 32 | routing context` (SPEC.md
    /// §19.4).
    pub fn to_vec(&self) -> Vec<u8> {
        write_exact(alloc::vec![0u8; self.encoded_len()], |w| {
            w.u8(FRANKING_VERSION)?;
            w.u8(TYPE_STAMP)?;
            w.bytes(&self.tag)?;
            self.context.write(w)
        })
    }

    /// Parses a stamp strictly; any input gives a stamp or a typed error.
    pub fn parse(bytes: &[u8]) -> Result<Self, DecodeError> {
        let max = (2 + 32 + 12usize).saturating_add(2 * MAX_ROUTING_ID_LEN);
        if bytes.len() > max {
            return Err(DecodeError::TooLarge);
        }
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != FRANKING_VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let t = r.u8()?;
        if t != TYPE_STAMP {
            return Err(DecodeError::UnexpectedType(t));
        }
        let tag = r.array()?;
        let context = RoutingContext::read(&mut r)?;
        r.finish()?;
        Ok(Self { tag, context })
    }
}

impl core::fmt::Debug for Stamp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Stamp")
            .field("tag", &crate::hexfmt::Hex(&self.tag))
            .field("context", &self.context)
            .finish()
    }
}

/// The franking commitment `cf` of a wire message, read without any key.
/// A message that is not franked is `UnexpectedType` (its type byte); any
/// other malformed message is the error of `Message::parse`.
pub fn commitment_of(message: &[u8]) -> Result<[u8; FRANKING_COMMITMENT_LEN], DecodeError> {
    let parsed = Message::parse(message)?;
    parsed
        .commitment()
        .copied()
        .ok_or(DecodeError::UnexpectedType(parsed.type_byte()))
}

fn stamp_tag(key: &RelayKey, commitment: &[u8; 32], context: &RoutingContext) -> [u8; 32] {
    let mut mac = hmac_keyed(&key.0);
    mac.update(STAMP_LABEL);
    mac.update(commitment);
    mac.update(&context.to_vec());
    hmac_finalize(mac)
}

/// Stamps a commitment: binds it to the routing context under the relay's
/// key.
pub fn stamp(
    key: &RelayKey,
    commitment: &[u8; FRANKING_COMMITMENT_LEN],
    context: RoutingContext,
) -> Stamp {
    Stamp {
        tag: stamp_tag(key, commitment, &context),
        context,
    }
}

/// [`commitment_of`] then [`stamp`]: what a relay does with each message
/// it forwards. Messages that are not franked give `UnexpectedType`.
pub fn stamp_message(
    key: &RelayKey,
    message: &[u8],
    context: RoutingContext,
) -> Result<Stamp, DecodeError> {
    Ok(stamp(key, &commitment_of(message)?, context))
}

/// What a verified report proves: this sender identity sent this message to
/// this recipient identity, and the relay forwarded it from account
/// `context.sender()` to account `context.recipient()` at
/// `context.timestamp()`.
///
/// The relay MUST still check that the identity keys belong to the
/// accounts of the routing context (its own records): the library knows
/// no accounts.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedReport {
    /// The message's content type.
    pub content_type: ContentType,
    /// The sender's identity key, as committed by the sender.
    pub sender: IdentityKey,
    /// The recipient's identity key, as committed by the sender.
    pub recipient: IdentityKey,
    /// The sender's claimed send time (sender's clock), as committed.
    pub sent_at: Timestamp,
    /// The reported body.
    pub body: Zeroizing<Vec<u8>>,
    /// The relay's routing context, as stamped.
    pub context: RoutingContext,
    /// The attachment pointer (the body) and the attachment plaintext, if
    /// the report carried an attachment and its digest matched.
    pub attachment: Option<(AttachmentPointer, Zeroizing<Vec<u8>>)>,
}

impl core::fmt::Debug for VerifiedReport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VerifiedReport")
            .field("content_type", &self.content_type)
            .field("sender", &self.sender)
            .field("recipient", &self.recipient)
            .field("sent_at", &self.sent_at)
            .field("body_len", &self.body.len())
            .field("context", &self.context)
            .field(
                "attachment_len",
                &self.attachment.as_ref().map(|(_, a)| a.len()),
            )
            .finish()
    }
}

/// Parses and verifies a report (SPEC.md §19.7): the stamp under this
/// relay's key (`BadStamp`), then the commitment (`BadCommitment`), then
/// the attachment (`NotAnAttachment`, `AttachmentMismatch`); both
/// comparisons in constant time.
pub fn verify_report(key: &RelayKey, report: &[u8]) -> Result<VerifiedReport, ReportError> {
    Report::parse(report)?.verify(key)
}

impl Report {
    /// Verifies this report under the relay's key; see [`verify_report`].
    pub fn verify(&self, key: &RelayKey) -> Result<VerifiedReport, ReportError> {
        let franking = self.franking();
        let stamp = self.stamp();
        let expected = stamp_tag(key, franking.commitment(), stamp.context());
        if !ct_eq32(&expected, stamp.tag()) {
            return Err(ReportError::BadStamp);
        }
        let recomputed = commitment_encoded(
            franking.key().as_bytes(),
            self.content_type().into(),
            &self.sender().encode(),
            &self.recipient().encode(),
            self.sent_at().as_unix_millis(),
            self.body(),
        );
        if !ct_eq32(&recomputed, franking.commitment()) {
            return Err(ReportError::BadCommitment);
        }
        let attachment = match self.attachment() {
            Some(plaintext) => {
                let pointer = AttachmentPointer::parse(self.body())
                    .map_err(|_| ReportError::NotAnAttachment)?;
                pointer
                    .verify(plaintext)
                    .map_err(|_| ReportError::AttachmentMismatch)?;
                Some((pointer, Zeroizing::new(plaintext.to_vec())))
            }
            None => None,
        };
        Ok(VerifiedReport {
            content_type: self.content_type(),
            sender: *self.sender(),
            recipient: *self.recipient(),
            sent_at: self.sent_at(),
            body: Zeroizing::new(self.body().to_vec()),
            context: stamp.context().clone(),
            attachment,
        })
    }
}
