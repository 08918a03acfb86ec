//! The relay's side of franking (SPEC.md §19.5, §19.7): no session, no
//! state, no key to anyone's chats. It reads the commitment off a message,
//! stamps it with its own key and the routing context, and verifies
//! reports. `no_std`, usable by a server.

use alloc::vec::Vec;

use hmac::Mac;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::DecodeError;
use crate::frame::ContentType;
use crate::franking::STAMP_LABEL;
use crate::franking::attachment::AttachmentPointer;
use crate::franking::commitment::{commitment_encoded, ct_eq32};
use crate::franking::error::ReportError;
use crate::franking::report::Report;
use crate::franking::stamp::{RoutingContext, Stamp};
use crate::identity::IdentityKey;
use crate::kdf::{hmac_finalize, hmac_keyed};
use crate::limits::FRANKING_COMMITMENT_LEN;
use crate::time::Timestamp;
use crate::wire::Message;

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
    Stamp::from_parts(stamp_tag(key, commitment, &context), context)
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
    verify_parsed(key, &Report::parse(report)?)
}

fn verify_parsed(key: &RelayKey, report: &Report) -> Result<VerifiedReport, ReportError> {
    let franking = report.franking();
    let stamp = report.stamp();
    let expected = stamp_tag(key, franking.commitment(), stamp.context());
    if !ct_eq32(&expected, stamp.tag()) {
        return Err(ReportError::BadStamp);
    }
    let recomputed = commitment_encoded(
        franking.key().as_bytes(),
        report.content_type().into(),
        &report.sender().encode(),
        &report.recipient().encode(),
        report.sent_at().as_unix_millis(),
        report.body(),
    )
    .ok_or(ReportError::BadCommitment)?;
    if !ct_eq32(&recomputed, franking.commitment()) {
        return Err(ReportError::BadCommitment);
    }
    let attachment = match report.attachment() {
        Some(plaintext) => {
            let pointer = AttachmentPointer::parse(report.body())
                .map_err(|_| ReportError::NotAnAttachment)?;
            pointer
                .verify(plaintext)
                .map_err(|_| ReportError::AttachmentMismatch)?;
            Some((pointer, Zeroizing::new(plaintext.to_vec())))
        }
        None => None,
    };
    Ok(VerifiedReport {
        content_type: report.content_type(),
        sender: *report.sender(),
        recipient: *report.recipient(),
        sent_at: report.sent_at(),
        body: Zeroizing::new(report.body().to_vec()),
        context: stamp.context().clone(),
        attachment,
    })
}
