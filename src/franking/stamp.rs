//! The relay's stamp and the routing context it covers (SPEC.md §19.4):
//! plain data, below both the report (which carries a stamp) and the relay
//! (which makes and checks stamps).

use alloc::vec::Vec;

use crate::error::DecodeError;
use crate::franking::{FRANKING_VERSION, TYPE_STAMP};
use crate::limits::MAX_ROUTING_ID_LEN;
use crate::time::Timestamp;
use crate::wire::codec::{Overflow, Reader, Writer, write_exact};

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

    pub(crate) fn to_vec(&self) -> Vec<u8> {
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
