//! The two 1:1 message types on the wire (SPEC.md §7): the prekey message
//! that opens a session and the ratchet message that carries the rest.
//!
//! Parsing borrows the ciphertext from the input: no allocation.

use alloc::vec::Vec;

use crate::error::DecodeError;
use crate::identity::IdentityKey;
use crate::kem::KEM_CIPHERTEXT_LEN;
use crate::limits::{
    FRANKING_COMMITMENT_LEN, MAX_FRAME_LEN, MAX_MESSAGE_LEN, PQ_MESSAGE_FIELDS_LEN,
};
use crate::wire::codec::{Overflow, Reader, Writer};
use crate::wire::header::{HEADER_LEN, RatchetHeader};
use crate::wire::{
    MESSAGE_VERSION, TAG_LEN, TYPE_FRANKED_PREKEY, TYPE_FRANKED_RATCHET, TYPE_PREKEY, TYPE_RATCHET,
};

/// Prekey-message flag: a one-time prekey id follows.
pub const FLAG_ONE_TIME_PREKEY: u8 = 0x01;
/// Prekey-message flag: the PQXDH fields (PQ prekey id, ML-KEM-768
/// ciphertext) follow.
pub const FLAG_PQ: u8 = 0x02;

/// The PQXDH fields of a prekey message: the responder's PQ prekey the
/// initiator encapsulated to, and the ML-KEM-768 ciphertext.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PqFields<'a> {
    /// Id of the responder's PQ prekey that was used.
    pub pq_prekey_id: u32,
    /// The 1088-byte ML-KEM-768 ciphertext.
    pub ciphertext: &'a [u8; KEM_CIPHERTEXT_LEN],
}

/// A ratchet message: header, the franking commitment if the message is
/// franked, and AES-256-GCM ciphertext with its tag.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RatchetMessage<'a> {
    /// The authenticated (not encrypted) header.
    pub header: RatchetHeader,
    /// The franking commitment `cf` (SPEC.md §19), present exactly in
    /// franked messages (type `0x81` / `0x82`); authenticated as part of
    /// the AEAD associated data.
    pub commitment: Option<&'a [u8; FRANKING_COMMITMENT_LEN]>,
    /// Ciphertext followed by the 16-byte tag.
    pub ciphertext: &'a [u8],
}

/// A prekey message: the initiator's X3DH fields and its first-chain
/// ratchet message.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PrekeyMessage<'a> {
    /// Initiator's identity key.
    pub identity_key: IdentityKey,
    /// Initiator's ephemeral (base) key `EK_A`.
    pub base_key: [u8; 32],
    /// Id of the responder's signed prekey that was used.
    pub signed_prekey_id: u32,
    /// Id of the responder's one-time prekey, if one was used.
    pub one_time_prekey_id: Option<u32>,
    /// The PQXDH fields, if the initiator used PQXDH.
    pub pq: Option<PqFields<'a>>,
    /// The enclosed ratchet message.
    pub message: RatchetMessage<'a>,
}

/// Any 1:1 message.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Message<'a> {
    /// Opens a session (carries the X3DH fields).
    Prekey(PrekeyMessage<'a>),
    /// A message of an established session.
    Ratchet(RatchetMessage<'a>),
}

impl<'a> RatchetMessage<'a> {
    fn read_body(r: &mut Reader<'a>, franked: bool) -> Result<Self, DecodeError> {
        let header = RatchetHeader::read(r)?;
        let commitment = if franked {
            Some(
                <&[u8; FRANKING_COMMITMENT_LEN]>::try_from(r.take(FRANKING_COMMITMENT_LEN)?)
                    .map_err(|_| DecodeError::Truncated)?,
            )
        } else {
            None
        };
        let ciphertext = r.rest();
        if ciphertext.len() < TAG_LEN {
            return Err(DecodeError::Truncated);
        }
        if ciphertext.len() > MAX_FRAME_LEN + TAG_LEN {
            return Err(DecodeError::TooLarge);
        }
        Ok(Self {
            header,
            commitment,
            ciphertext,
        })
    }

    fn body_len(&self) -> usize {
        let commitment = if self.commitment.is_some() {
            FRANKING_COMMITMENT_LEN
        } else {
            0
        };
        self.ciphertext
            .len()
            .saturating_add(HEADER_LEN)
            .saturating_add(commitment)
    }

    fn write_body(&self, w: &mut Writer<'_>) -> Result<(), Overflow> {
        w.bytes(&self.header.to_bytes())?;
        if let Some(cf) = self.commitment {
            w.bytes(cf)?;
        }
        w.bytes(self.ciphertext)
    }
}

impl<'a> PrekeyMessage<'a> {
    fn read_body(r: &mut Reader<'a>, franked: bool) -> Result<Self, DecodeError> {
        let identity_key = IdentityKey::from_bytes(&r.array()?)?;
        let base_key = r.array()?;
        if !is_canonical_x25519(&base_key) {
            return Err(DecodeError::InvalidKey);
        }
        let signed_prekey_id = r.u32()?;
        let flags = r.u8()?;
        if flags & !(FLAG_ONE_TIME_PREKEY | FLAG_PQ) != 0 {
            return Err(DecodeError::UnknownFlags(flags));
        }
        let one_time_prekey_id = if flags & FLAG_ONE_TIME_PREKEY != 0 {
            Some(r.u32()?)
        } else {
            None
        };
        let pq = if flags & FLAG_PQ != 0 {
            let pq_prekey_id = r.u32()?;
            // Every 1088-byte string is an ML-KEM-768 ciphertext (FIPS 203
            // decapsulation accepts any input of the right length), so the
            // length is the whole check.
            let ciphertext = <&[u8; KEM_CIPHERTEXT_LEN]>::try_from(r.take(KEM_CIPHERTEXT_LEN)?)
                .map_err(|_| DecodeError::Truncated)?;
            Some(PqFields {
                pq_prekey_id,
                ciphertext,
            })
        } else {
            None
        };
        let message = RatchetMessage::read_body(r, franked)?;
        Ok(Self {
            identity_key,
            base_key,
            signed_prekey_id,
            one_time_prekey_id,
            pq,
            message,
        })
    }

    fn body_len(&self) -> usize {
        self.message.body_len().saturating_add(prekey_fields_len(
            self.one_time_prekey_id.is_some(),
            self.pq.is_some(),
        ))
    }

    fn write_body(&self, w: &mut Writer<'_>) -> Result<(), Overflow> {
        write_prekey_fields(
            w,
            &self.identity_key,
            &self.base_key,
            self.signed_prekey_id,
            self.one_time_prekey_id,
            self.pq.map(|p| (p.pq_prekey_id, p.ciphertext)),
        )?;
        self.message.write_body(w)
    }
}

/// Whether `key` is the canonical encoding of an X25519 public key: a value
/// below p = 2^255 - 19 (so the top bit, which X25519 ignores, is clear).
///
/// X25519 reduces its input, so every key has other encodings that give the
/// same Diffie-Hellman outputs. The base key is not covered by the AEAD (it
/// enters only through X3DH), so accepting another encoding would let a
/// prekey message be altered in transit unnoticed; the responder also
/// recognises the initiator's later prekey messages by these bytes.
pub(crate) fn is_canonical_x25519(key: &[u8; 32]) -> bool {
    // p, little-endian.
    const P: [u8; 32] = [
        0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ];
    for (k, p) in key.iter().rev().zip(P.iter().rev()) {
        if k != p {
            return k < p;
        }
    }
    false
}

/// Length of the prekey fields that precede the ratchet message.
pub(crate) const fn prekey_fields_len(with_one_time_prekey: bool, with_pq: bool) -> usize {
    const BASE: usize = 32 + 32 + 4 + 1;
    let opk = if with_one_time_prekey { 4 } else { 0 };
    let pq = if with_pq { PQ_MESSAGE_FIELDS_LEN } else { 0 };
    BASE.saturating_add(opk).saturating_add(pq)
}

/// Writes the prekey fields: identity, base key, SPK id, flags, OPK id,
/// PQ prekey id and KEM ciphertext.
pub(crate) fn write_prekey_fields(
    w: &mut Writer<'_>,
    identity_key: &IdentityKey,
    base_key: &[u8; 32],
    signed_prekey_id: u32,
    one_time_prekey_id: Option<u32>,
    pq: Option<(u32, &[u8; KEM_CIPHERTEXT_LEN])>,
) -> Result<(), Overflow> {
    w.bytes(identity_key.as_bytes())?;
    w.bytes(base_key)?;
    w.u32(signed_prekey_id)?;
    let mut flags = 0;
    if one_time_prekey_id.is_some() {
        flags |= FLAG_ONE_TIME_PREKEY;
    }
    if pq.is_some() {
        flags |= FLAG_PQ;
    }
    w.u8(flags)?;
    if let Some(id) = one_time_prekey_id {
        w.u32(id)?;
    }
    if let Some((id, ciphertext)) = pq {
        w.u32(id)?;
        w.bytes(ciphertext)?;
    }
    Ok(())
}

impl<'a> Message<'a> {
    /// Parses a whole message. Any input gives a message or a typed error.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        if bytes.len() > MAX_MESSAGE_LEN {
            return Err(DecodeError::TooLarge);
        }
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != MESSAGE_VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let msg = match r.u8()? {
            TYPE_RATCHET => Message::Ratchet(RatchetMessage::read_body(&mut r, false)?),
            TYPE_PREKEY => Message::Prekey(PrekeyMessage::read_body(&mut r, false)?),
            TYPE_FRANKED_RATCHET => Message::Ratchet(RatchetMessage::read_body(&mut r, true)?),
            TYPE_FRANKED_PREKEY => Message::Prekey(PrekeyMessage::read_body(&mut r, true)?),
            other => return Err(DecodeError::UnexpectedType(other)),
        };
        r.finish()?;
        Ok(msg)
    }

    /// Length of the encoding.
    pub fn encoded_len(&self) -> usize {
        let body = match self {
            Message::Prekey(m) => m.body_len(),
            Message::Ratchet(m) => m.body_len(),
        };
        body.saturating_add(2)
    }

    /// Writes the encoding into `out`, returning its length, or `None` if
    /// `out` is shorter than [`encoded_len`](Self::encoded_len).
    pub fn encode_into(&self, out: &mut [u8]) -> Option<usize> {
        let mut w = Writer::new(out);
        self.write(&mut w).ok()?;
        Some(w.position())
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), Overflow> {
        w.u8(MESSAGE_VERSION)?;
        w.u8(self.type_byte())?;
        match self {
            Message::Prekey(m) => m.write_body(w),
            Message::Ratchet(m) => m.write_body(w),
        }
    }

    /// The message's type byte (SPEC.md §6.1, §19.2).
    pub fn type_byte(&self) -> u8 {
        match self {
            Message::Prekey(m) if m.message.commitment.is_some() => TYPE_FRANKED_PREKEY,
            Message::Prekey(_) => TYPE_PREKEY,
            Message::Ratchet(m) if m.commitment.is_some() => TYPE_FRANKED_RATCHET,
            Message::Ratchet(_) => TYPE_RATCHET,
        }
    }

    /// The franking commitment `cf` of a franked message, `None` for a
    /// message that is not franked.
    pub fn commitment(&self) -> Option<&'a [u8; FRANKING_COMMITMENT_LEN]> {
        match self {
            Message::Prekey(m) => m.message.commitment,
            Message::Ratchet(m) => m.commitment,
        }
    }

    /// The encoding as a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = alloc::vec![0u8; self.encoded_len()];
        #[allow(
            clippy::expect_used,
            reason = "`encode_into` fails only on a buffer shorter than `encoded_len()`"
        )]
        let n = self
            .encode_into(&mut out)
            .expect("the buffer is `encoded_len()` bytes");
        out.truncate(n);
        out
    }
}

impl core::fmt::Debug for RatchetMessage<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RatchetMessage")
            .field("header", &self.header)
            .field(
                "commitment",
                &self.commitment.map(|c| crate::hexfmt::Hex(&c[..])),
            )
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}

impl core::fmt::Debug for PqFields<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PqFields")
            .field("pq_prekey_id", &self.pq_prekey_id)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}

impl core::fmt::Debug for PrekeyMessage<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PrekeyMessage")
            .field("identity_key", &self.identity_key)
            .field("base_key", &crate::hexfmt::Hex(&self.base_key))
            .field("signed_prekey_id", &self.signed_prekey_id)
            .field("one_time_prekey_id", &self.one_time_prekey_id)
            .field("pq_prekey_id", &self.pq.map(|p| p.pq_prekey_id))
            .field("message", &self.message)
            .finish()
    }
}
