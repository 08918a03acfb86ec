//! The report a recipient sends to the relay (SPEC.md §19.6): one message,
//! its franking evidence and the relay's stamp, and nothing else of the
//! conversation.

use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::error::DecodeError;
use crate::frame::ContentType;
use crate::franking::commitment::{Franking, FrankingKey};
use crate::franking::error::ReportError;
use crate::franking::stamp::{RoutingContext, Stamp};
use crate::franking::{FRANKING_VERSION, TYPE_REPORT};
use crate::identity::IdentityKey;
use crate::limits::{MAX_BODY_LEN, MAX_REPORT_ATTACHMENT_LEN, MAX_REPORT_LEN, REPORT_FIXED_LEN};
use crate::time::Timestamp;
use crate::wire::codec::{Overflow, Reader, Writer, write_exact};

/// Report flag: the attachment plaintext follows the body.
pub const FLAG_ATTACHMENT: u8 = 0x01;

/// A franking report: exactly the reported message (content type, sender
/// and recipient identity keys, send time, body), its franking key and
/// commitment, the relay's stamp with its routing context, and optionally
/// the plaintext of the attachment the body points to.
#[derive(Clone, PartialEq, Eq)]
pub struct Report {
    content_type: ContentType,
    sender: IdentityKey,
    recipient: IdentityKey,
    sent_at: Timestamp,
    body: Zeroizing<Vec<u8>>,
    franking: Franking,
    stamp: Stamp,
    attachment: Option<Zeroizing<Vec<u8>>>,
}

impl Report {
    /// A report from a stored message. `recipient` is the reporter's own
    /// identity key; `stamp` is what the relay delivered with the message.
    pub fn new(
        content_type: ContentType,
        sender: IdentityKey,
        recipient: IdentityKey,
        sent_at: Timestamp,
        body: &[u8],
        franking: Franking,
        stamp: Stamp,
    ) -> Result<Self, ReportError> {
        if body.len() > MAX_BODY_LEN {
            return Err(DecodeError::TooLarge.into());
        }
        // Neither a timer change nor a group key distribution (whose body is
        // a chain key) is reportable.
        if matches!(
            content_type,
            ContentType::TimerChange | ContentType::GroupKeyDistribution
        ) {
            return Err(ReportError::NotFranked);
        }
        Ok(Self {
            content_type,
            sender,
            recipient,
            sent_at,
            body: Zeroizing::new(body.to_vec()),
            franking,
            stamp,
            attachment: None,
        })
    }

    /// Adds the plaintext of the attachment the body points to
    /// ([`AttachmentPointer`](crate::franking::AttachmentPointer)), so that
    /// the relay can check it against the pointer's digest. `TooLarge`
    /// beyond [`MAX_REPORT_ATTACHMENT_LEN`].
    pub fn with_attachment(mut self, plaintext: &[u8]) -> Result<Self, ReportError> {
        if plaintext.len() > MAX_REPORT_ATTACHMENT_LEN {
            return Err(DecodeError::TooLarge.into());
        }
        self.attachment = Some(Zeroizing::new(plaintext.to_vec()));
        Ok(self)
    }

    /// The reported message's content type.
    pub fn content_type(&self) -> ContentType {
        self.content_type
    }

    /// The sender's identity key.
    pub fn sender(&self) -> &IdentityKey {
        &self.sender
    }

    /// The recipient's (reporter's) identity key.
    pub fn recipient(&self) -> &IdentityKey {
        &self.recipient
    }

    /// The sender's claimed send time.
    pub fn sent_at(&self) -> Timestamp {
        self.sent_at
    }

    /// The reported body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The franking key and commitment.
    pub fn franking(&self) -> &Franking {
        &self.franking
    }

    /// The relay's stamp.
    pub fn stamp(&self) -> &Stamp {
        &self.stamp
    }

    /// The attachment plaintext, if the report carries one.
    pub fn attachment(&self) -> Option<&[u8]> {
        self.attachment.as_deref().map(|a| &a[..])
    }

    /// Length of the encoding.
    pub fn encoded_len(&self) -> usize {
        let attachment = self
            .attachment
            .as_ref()
            .map_or(0, |a| a.len().saturating_add(4));
        REPORT_FIXED_LEN
            .saturating_add(self.stamp.context().sender().len())
            .saturating_add(self.stamp.context().recipient().len())
            .saturating_add(self.body.len())
            .saturating_add(attachment)
    }

    /// The encoding (SPEC.md §19.6).
    pub fn to_vec(&self) -> Zeroizing<Vec<u8>> {
        // Every length bounded by the constructors.
        write_exact(Zeroizing::new(alloc::vec![0u8; self.encoded_len()]), |w| {
            self.write(w)
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Overflow> {
        w.u8(FRANKING_VERSION)?;
        w.u8(TYPE_REPORT)?;
        w.u8(if self.attachment.is_some() {
            FLAG_ATTACHMENT
        } else {
            0
        })?;
        w.u8(self.content_type.into())?;
        w.u64(self.sent_at.as_unix_millis())?;
        w.bytes(self.sender.as_bytes())?;
        w.bytes(self.recipient.as_bytes())?;
        w.bytes(self.franking.key().as_bytes())?;
        w.bytes(self.franking.commitment())?;
        w.bytes(self.stamp.tag())?;
        self.stamp.context().write(w)?;
        write_len_prefixed(w, &self.body)?;
        if let Some(a) = &self.attachment {
            write_len_prefixed(w, a)?;
        }
        Ok(())
    }

    /// Parses a report strictly, in the order of SPEC.md §19.6; every
    /// failure is `Malformed` with what was wrong.
    pub fn parse(bytes: &[u8]) -> Result<Self, ReportError> {
        Ok(Self::parse_inner(bytes)?)
    }

    fn parse_inner(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() > MAX_REPORT_LEN {
            return Err(DecodeError::TooLarge);
        }
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != FRANKING_VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let t = r.u8()?;
        if t != TYPE_REPORT {
            return Err(DecodeError::UnexpectedType(t));
        }
        let flags = r.u8()?;
        if flags & !FLAG_ATTACHMENT != 0 {
            return Err(DecodeError::UnknownFlags(flags));
        }
        let content_type = match ContentType::try_from(r.u8()?) {
            Ok(ContentType::TimerChange | ContentType::GroupKeyDistribution) | Err(_) => {
                return Err(DecodeError::InvalidValue);
            }
            Ok(c) => c,
        };
        let sent_at = Timestamp::from_unix_millis(r.u64()?);
        let sender = IdentityKey::from_bytes(&r.array()?)?;
        let recipient = IdentityKey::from_bytes(&r.array()?)?;
        let key = FrankingKey::from_bytes(r.array()?);
        let commitment = r.array()?;
        let tag = r.array()?;
        let context = RoutingContext::read(&mut r)?;
        let body = read_len_prefixed(&mut r, MAX_BODY_LEN)?;
        let attachment = if flags & FLAG_ATTACHMENT != 0 {
            Some(read_len_prefixed(&mut r, MAX_REPORT_ATTACHMENT_LEN)?)
        } else {
            None
        };
        r.finish()?;
        Ok(Self {
            content_type,
            sender,
            recipient,
            sent_at,
            body,
            franking: Franking::new(key, commitment),
            stamp: Stamp::from_parts(tag, context),
            attachment,
        })
    }
}

fn write_len_prefixed(w: &mut Writer<'_>, data: &[u8]) -> Result<(), Overflow> {
    w.u32(u32::try_from(data.len()).map_err(|_| Overflow)?)?;
    w.bytes(data)
}

fn read_len_prefixed(r: &mut Reader<'_>, max: usize) -> Result<Zeroizing<Vec<u8>>, DecodeError> {
    let len = usize::try_from(r.u32()?).map_err(|_| DecodeError::TooLarge)?;
    if len > max {
        return Err(DecodeError::TooLarge);
    }
    Ok(Zeroizing::new(r.take(len)?.to_vec()))
}

impl core::fmt::Debug for Report {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Report")
            .field("content_type", &self.content_type)
            .field("sender", &self.sender)
            .field("recipient", &self.recipient)
            .field("sent_at", &self.sent_at)
            .field("body_len", &self.body.len())
            .field("franking", &self.franking)
            .field("stamp", &self.stamp)
            .field("attachment_len", &self.attachment.as_ref().map(|a| a.len()))
            .finish()
    }
}
