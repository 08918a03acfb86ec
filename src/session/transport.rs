//! Sealing and opening framed messages over a ratchet state: shared by the
//! pending and the established session.

use alloc::boxed::Box;

use crate::error::SessionError;
use crate::frame::{FrameMeta, frame_len, parse_frame, write_frame};
use crate::identity::IdentityKey;
use crate::kem::KEM_CIPHERTEXT_LEN;
use crate::limits::MAX_BODY_LEN;
use crate::ratchet::{RatchetState, Retention};
use crate::wire::codec::Writer;
use crate::wire::message::{prekey_fields_len, write_prekey_fields};
use crate::wire::{
    HEADER_LEN, Message, RatchetHeader, TAG_LEN, TYPE_PREKEY, TYPE_RATCHET, WIRE_VERSION,
};

/// The X3DH (and PQXDH) fields an initiator attaches until it has
/// decrypted a reply.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct PrekeyFields {
    pub(crate) identity_key: IdentityKey,
    pub(crate) base_key: [u8; 32],
    pub(crate) signed_prekey_id: u32,
    pub(crate) one_time_prekey_id: Option<u32>,
    pub(crate) pq: Option<PqPrekeyFields>,
}

/// The PQXDH fields: the PQ prekey id and the ML-KEM-768 ciphertext.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PqPrekeyFields {
    pub(crate) pq_prekey_id: u32,
    pub(crate) ciphertext: Box<[u8; KEM_CIPHERTEXT_LEN]>,
}

impl core::fmt::Debug for PqPrekeyFields {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PqPrekeyFields")
            .field("pq_prekey_id", &self.pq_prekey_id)
            .finish_non_exhaustive()
    }
}

/// Length of the wire message for a body of `body_len` bytes.
pub(crate) fn sealed_len(
    prekey: Option<&PrekeyFields>,
    body_len: usize,
    with_timer: bool,
) -> usize {
    head_len(prekey)
        .saturating_add(frame_len(body_len, with_timer))
        .saturating_add(TAG_LEN)
}

/// Length of everything before the ciphertext: version, type, prekey
/// fields, header.
fn head_len(prekey: Option<&PrekeyFields>) -> usize {
    const BASE: usize = 2 + HEADER_LEN;
    match prekey {
        Some(p) => BASE.saturating_add(prekey_fields_len(
            p.one_time_prekey_id.is_some(),
            p.pq.is_some(),
        )),
        None => BASE,
    }
}

/// Frames, pads and encrypts `body` into `out`; returns the length written.
/// Nothing changes on error.
pub(crate) fn seal_into<R: rand_core::CryptoRng + ?Sized>(
    state: &mut RatchetState,
    prekey: Option<&PrekeyFields>,
    rng: &mut R,
    meta: &FrameMeta,
    body: &[u8],
    out: &mut [u8],
) -> Result<usize, SessionError> {
    if body.len() > MAX_BODY_LEN {
        return Err(SessionError::MessageTooLarge);
    }
    let total = sealed_len(prekey, body.len(), meta.has_timer());
    let out = out.get_mut(..total).ok_or(SessionError::BufferTooSmall)?;
    let (head, rest) = out.split_at_mut(head_len(prekey));
    let (frame, tag_out) = rest.split_at_mut(frame_len(body.len(), meta.has_timer()));
    write_frame(frame, meta, body)?;
    let (header, tag) = match state.encrypt(rng, frame) {
        Ok(v) => v,
        Err(e) => {
            zeroize::Zeroize::zeroize(frame);
            return Err(e);
        }
    };
    tag_out.copy_from_slice(&tag);
    let mut w = Writer::new(head);
    let written = (|| {
        w.u8(WIRE_VERSION)?;
        match prekey {
            Some(p) => {
                w.u8(TYPE_PREKEY)?;
                write_prekey_fields(
                    &mut w,
                    &p.identity_key,
                    &p.base_key,
                    p.signed_prekey_id,
                    p.one_time_prekey_id,
                    p.pq.as_ref().map(|q| (q.pq_prekey_id, &*q.ciphertext)),
                )?;
            }
            None => w.u8(TYPE_RATCHET)?,
        }
        w.bytes(&header.to_bytes())
    })();
    // The head was sized exactly above; a failure here cannot happen, and
    // would be reported rather than produce a corrupt message.
    written.map_err(|_| SessionError::BufferTooSmall)?;
    Ok(total)
}

/// What a parsed message says, copied out so the buffer can be borrowed
/// mutably for decryption.
pub(crate) struct Parsed {
    pub(crate) header: RatchetHeader,
    pub(crate) ciphertext_len: usize,
    pub(crate) prekey: Option<PrekeyFields>,
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, SessionError> {
    Ok(match Message::parse(bytes)? {
        Message::Ratchet(m) => Parsed {
            header: m.header,
            ciphertext_len: m.ciphertext.len(),
            prekey: None,
        },
        Message::Prekey(m) => Parsed {
            header: m.message.header,
            ciphertext_len: m.message.ciphertext.len(),
            prekey: Some(PrekeyFields {
                identity_key: m.identity_key,
                base_key: m.base_key,
                signed_prekey_id: m.signed_prekey_id,
                one_time_prekey_id: m.one_time_prekey_id,
                pq: m.pq.map(|q| PqPrekeyFields {
                    pq_prekey_id: q.pq_prekey_id,
                    ciphertext: Box::new(*q.ciphertext),
                }),
            }),
        },
    })
}

/// A decrypted frame: its metadata and where its body is in the buffer.
pub(crate) struct Opened<'b> {
    pub(crate) meta: FrameMeta,
    pub(crate) body: &'b mut [u8],
}

/// Decrypts the ciphertext at the end of `buf` in place and parses the
/// frame; the state changes only if both succeed.
pub(crate) fn open_in_place<'b>(
    state: &mut RatchetState,
    parsed: &Parsed,
    retention: &Retention,
    max_timer_version: u32,
    now_ms: u64,
    buf: &'b mut [u8],
) -> Result<Opened<'b>, SessionError> {
    let start = buf
        .len()
        .checked_sub(parsed.ciphertext_len)
        .ok_or(SessionError::AuthenticationFailed)?;
    let ciphertext = buf
        .get_mut(start..)
        .ok_or(SessionError::AuthenticationFailed)?;
    let tag_at = ciphertext
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(SessionError::AuthenticationFailed)?;
    let (plaintext, tag) = ciphertext.split_at_mut(tag_at);
    let mut tag_bytes = [0u8; TAG_LEN];
    tag_bytes.copy_from_slice(tag);
    let (meta, body_start, body_len) = state.decrypt(
        &parsed.header,
        plaintext,
        &tag_bytes,
        now_ms,
        retention,
        |pt| {
            let f = parse_frame(pt)?;
            if f.meta.timer.version > max_timer_version {
                return Err(SessionError::InvalidPolicy);
            }
            Ok((f.meta, f.body_offset, f.body.len()))
        },
    )?;
    let end = body_start
        .checked_add(body_len)
        .ok_or(SessionError::AuthenticationFailed)?;
    let body = plaintext
        .get_mut(body_start..end)
        .ok_or(SessionError::AuthenticationFailed)?;
    Ok(Opened { meta, body })
}
