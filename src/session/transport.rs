//! Sealing and opening framed messages over a ratchet state: shared by the
//! pending and the established session.

use alloc::boxed::Box;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use crate::error::{DecodeError, SessionError};
use crate::frame::{FrameMeta, frame_len_for, franking_key_offset, parse_frame, write_frame_with};
use crate::franking::commitment::{commitment_encoded, ct_eq32};
use crate::handshake::PqPrekeyFields;
use crate::identity::IdentityKey;
use crate::kem::KEM_CIPHERTEXT_LEN;
use crate::limits::{FRANKING_COMMITMENT_LEN, MAX_BODY_LEN};
use crate::ratchet::{RatchetState, Retention};
use crate::wire::codec::Writer;
use crate::wire::message::{prekey_fields_len, write_prekey_fields};
use crate::wire::{
    HEADER_LEN, MESSAGE_VERSION, Message, RatchetHeader, TAG_LEN, TYPE_FRANKED_PREKEY,
    TYPE_FRANKED_RATCHET, TYPE_PREKEY, TYPE_RATCHET,
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

/// The prekey fields a responder's session was accepted with, as the
/// session keeps them to recognise the initiator's later prekey messages
/// (SPEC.md §7.4): every field as it came, except the ML-KEM ciphertext,
/// kept as its SHA-256 digest (32 bytes instead of 1088). Two prekey
/// messages have equal `AcceptedPrekey`s exactly when their fields are
/// byte-equal, unless their ciphertexts are a SHA-256 collision: the
/// initiator's ciphertext is fixed by its own encapsulation, so passing
/// another one off as it needs a second preimage.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct AcceptedPrekey {
    pub(crate) identity_key: IdentityKey,
    pub(crate) base_key: [u8; 32],
    pub(crate) signed_prekey_id: u32,
    pub(crate) one_time_prekey_id: Option<u32>,
    /// Boxed, as the whole ciphertext was before: a session keeps its
    /// in-memory size (the clones a multi-device send makes stay as they
    /// were, see `tests/adversary_freed_memory.rs`).
    pub(crate) pq: Option<Box<AcceptedPq>>,
}

/// The PQXDH fields of an accepted prekey message: the PQ prekey id and
/// `SHA-256(CT)`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct AcceptedPq {
    pub(crate) pq_prekey_id: u32,
    pub(crate) ciphertext_digest: [u8; 32],
}

impl AcceptedPq {
    /// The PQ fields of a prekey message as a session keeps them.
    pub(crate) fn of(pq_prekey_id: u32, ciphertext: &[u8; KEM_CIPHERTEXT_LEN]) -> Self {
        Self {
            pq_prekey_id,
            ciphertext_digest: Sha256::digest(ciphertext).into(),
        }
    }
}

impl AcceptedPrekey {
    /// What a session accepted from these fields keeps of them (one
    /// SHA-256 of the ciphertext for a PQXDH message).
    pub(crate) fn of(fields: &PrekeyFields) -> Self {
        Self {
            identity_key: fields.identity_key,
            base_key: fields.base_key,
            signed_prekey_id: fields.signed_prekey_id,
            one_time_prekey_id: fields.one_time_prekey_id,
            pq: fields
                .pq
                .as_ref()
                .map(|q| Box::new(AcceptedPq::of(q.pq_prekey_id, &q.ciphertext))),
        }
    }
}

/// Length of the wire message for a body of `body_len` bytes, franked or
/// not.
pub(crate) fn sealed_len(
    prekey: Option<&PrekeyFields>,
    body_len: usize,
    with_timer: bool,
    franked: bool,
) -> usize {
    head_len(prekey, franked)
        .saturating_add(frame_len_for(body_len, with_timer, franked))
        .saturating_add(TAG_LEN)
}

/// Length of everything before the ciphertext: version, type, prekey
/// fields, header, and the franking commitment of a franked message.
fn head_len(prekey: Option<&PrekeyFields>, franked: bool) -> usize {
    const BASE: usize = 2 + HEADER_LEN;
    let base = if franked {
        BASE.saturating_add(FRANKING_COMMITMENT_LEN)
    } else {
        BASE
    };
    match prekey {
        Some(p) => base.saturating_add(prekey_fields_len(
            p.one_time_prekey_id.is_some(),
            p.pq.is_some(),
        )),
        None => base,
    }
}

/// The franking of a message being sealed: the key `kf` (into the frame)
/// and the commitment `cf` (beside the ciphertext, into the AEAD AD).
pub(crate) struct Sealing<'k> {
    pub(crate) key: &'k [u8; 32],
    pub(crate) commitment: &'k [u8; FRANKING_COMMITMENT_LEN],
}

/// The encoded identities (`Encode(IK)`) of a message's sender and
/// recipient, for its franking commitment.
pub(crate) struct Parties {
    pub(crate) sender: [u8; 33],
    pub(crate) recipient: [u8; 33],
}

/// Frames, pads and encrypts `body` into `out`, franked if `franking` is
/// given; returns the length written. Nothing changes on error.
pub(crate) fn seal_into<R: rand_core::CryptoRng + ?Sized>(
    state: &mut RatchetState,
    prekey: Option<&PrekeyFields>,
    rng: &mut R,
    meta: &FrameMeta,
    franking: Option<&Sealing<'_>>,
    body: &[u8],
    out: &mut [u8],
) -> Result<usize, SessionError> {
    if body.len() > MAX_BODY_LEN {
        return Err(SessionError::MessageTooLarge);
    }
    let franked = franking.is_some();
    let total = sealed_len(prekey, body.len(), meta.has_timer(), franked);
    let out = out.get_mut(..total).ok_or(SessionError::BufferTooSmall)?;
    let (head, rest) = out.split_at_mut(head_len(prekey, franked));
    let (frame, tag_out) = rest.split_at_mut(frame_len_for(body.len(), meta.has_timer(), franked));
    write_frame_with(frame, meta, franking.map(|f| f.key), body)?;
    let commitment = franking.map(|f| f.commitment);
    let (header, tag) = match state.encrypt_bound(rng, frame, commitment) {
        Ok(v) => v,
        Err(e) => {
            zeroize::Zeroize::zeroize(frame);
            return Err(e);
        }
    };
    tag_out.copy_from_slice(&tag);
    let mut w = Writer::new(head);
    let written = (|| {
        w.u8(MESSAGE_VERSION)?;
        match prekey {
            Some(p) => {
                w.u8(if franked {
                    TYPE_FRANKED_PREKEY
                } else {
                    TYPE_PREKEY
                })?;
                write_prekey_fields(
                    &mut w,
                    &p.identity_key,
                    &p.base_key,
                    p.signed_prekey_id,
                    p.one_time_prekey_id,
                    p.pq.as_ref().map(|q| (q.pq_prekey_id, &*q.ciphertext)),
                )?;
            }
            None => w.u8(if franked {
                TYPE_FRANKED_RATCHET
            } else {
                TYPE_RATCHET
            })?,
        }
        w.bytes(&header.to_bytes())?;
        match commitment {
            Some(cf) => w.bytes(cf),
            None => Ok(()),
        }
    })();
    // The head was sized exactly above; a failure here cannot happen, and
    // would be reported rather than produce a corrupt message.
    written.map_err(|_| SessionError::BufferTooSmall)?;
    Ok(total)
}

/// A message that `seal` writes into a new vector of `len` bytes, cut to
/// the length written. A body over [`MAX_BODY_LEN`] is refused before
/// anything is allocated (`len` saturates for one).
pub(crate) fn seal_to_vec(
    body_len: usize,
    len: usize,
    seal: impl FnOnce(&mut [u8]) -> Result<usize, SessionError>,
) -> Result<Vec<u8>, SessionError> {
    if body_len > MAX_BODY_LEN {
        return Err(SessionError::MessageTooLarge);
    }
    let mut out = alloc::vec![0u8; len];
    let written = seal(&mut out)?;
    out.truncate(written);
    Ok(out)
}

/// What a parsed message says, copied out so the buffer can be borrowed
/// mutably for decryption.
pub(crate) struct Parsed {
    pub(crate) header: RatchetHeader,
    /// The franking commitment of a franked message.
    pub(crate) commitment: Option<[u8; FRANKING_COMMITMENT_LEN]>,
    pub(crate) ciphertext_len: usize,
    pub(crate) prekey: Option<PrekeyFields>,
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, SessionError> {
    Ok(match Message::parse(bytes)? {
        Message::Ratchet(m) => Parsed {
            header: m.header,
            commitment: m.commitment.copied(),
            ciphertext_len: m.ciphertext.len(),
            prekey: None,
        },
        Message::Prekey(m) => Parsed {
            header: m.message.header,
            commitment: m.message.commitment.copied(),
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

/// A decrypted frame: its metadata, where its body is in the buffer, and
/// for a franked message where its franking key and commitment are.
pub(crate) struct Opened<'b> {
    pub(crate) meta: FrameMeta,
    pub(crate) body: &'b mut [u8],
    /// Where `body` starts in the `ciphertext` given to [`open_in_place`].
    pub(crate) body_at: usize,
    pub(crate) franking_key: Option<&'b mut [u8; 32]>,
    pub(crate) commitment: Option<&'b [u8; FRANKING_COMMITMENT_LEN]>,
}

/// Decrypts the message's ciphertext (`parsed.ciphertext_len` bytes, tag
/// included) in place in `ciphertext`, parses the frame and, for a franked
/// message, checks its commitment (the last bytes of `head`, the message's
/// bytes before its ciphertext) in constant time; the state changes only if
/// all succeed. The in-place path passes its buffer split in two; the
/// allocating path copies the ciphertext alone and passes the message's
/// head as it is.
#[allow(clippy::too_many_arguments)]
pub(crate) fn open_in_place<'b>(
    state: &mut RatchetState,
    parsed: &Parsed,
    parties: &Parties,
    retention: &Retention,
    max_timer_version: u64,
    now_ms: u64,
    head: &'b [u8],
    ciphertext: &'b mut [u8],
) -> Result<Opened<'b>, SessionError> {
    if ciphertext.len() != parsed.ciphertext_len {
        return Err(SessionError::AuthenticationFailed);
    }
    let tag_at = ciphertext
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(SessionError::AuthenticationFailed)?;
    let (plaintext, tag) = ciphertext.split_at_mut(tag_at);
    let mut tag_bytes = [0u8; TAG_LEN];
    tag_bytes.copy_from_slice(tag);
    let commitment = parsed.commitment.as_ref();
    let (meta, body_start, body_len) = state.decrypt_bound(
        &parsed.header,
        commitment,
        plaintext,
        &tag_bytes,
        now_ms,
        retention,
        |pt| {
            let f = parse_frame(pt)?;
            if f.meta.timer.version > max_timer_version {
                return Err(SessionError::InvalidPolicy);
            }
            match (commitment, f.franking_key) {
                (None, None) => {}
                (Some(cf), Some(kf)) => {
                    let expected = commitment_encoded(
                        kf,
                        f.meta.content_type.into(),
                        &parties.sender,
                        &parties.recipient,
                        f.meta.sent_at,
                        f.body,
                    )
                    .ok_or(SessionError::AuthenticationFailed)?;
                    if !ct_eq32(&expected, cf) {
                        return Err(SessionError::AuthenticationFailed);
                    }
                }
                // A franking key without a commitment or the reverse: only
                // the authenticated sender can produce it.
                _ => return Err(DecodeError::InvalidValue.into()),
            }
            Ok((f.meta, f.body_offset, f.body.len()))
        },
    )?;
    let (frame_head, rest) = plaintext
        .split_at_mut_checked(body_start)
        .ok_or(SessionError::AuthenticationFailed)?;
    let body = rest
        .get_mut(..body_len)
        .ok_or(SessionError::AuthenticationFailed)?;
    let (franking_key, commitment) = if parsed.commitment.is_some() {
        let cf_at = head
            .len()
            .checked_sub(FRANKING_COMMITMENT_LEN)
            .ok_or(SessionError::AuthenticationFailed)?;
        let cf = head
            .get(cf_at..)
            .and_then(|c| <&[u8; FRANKING_COMMITMENT_LEN]>::try_from(c).ok())
            .ok_or(SessionError::AuthenticationFailed)?;
        let kf_at = franking_key_offset(meta.has_timer());
        let kf = frame_head
            .get_mut(kf_at..kf_at.saturating_add(32))
            .and_then(|k| <&mut [u8; 32]>::try_from(k).ok())
            .ok_or(SessionError::AuthenticationFailed)?;
        (Some(kf), Some(cf))
    } else {
        (None, None)
    };
    Ok(Opened {
        meta,
        body,
        body_at: body_start,
        franking_key,
        commitment,
    })
}
