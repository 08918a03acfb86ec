//! Session blob bodies (STORAGE.md §4): an established session (kind
//! 0x03, v1 to v5) and a pending one (kind 0x04, v1 to v3). v2 adds the
//! PQXDH fields to the prekey fields (a v1 blob loads without them); v3 of
//! the session adds its key agreement (a pending session derives it from
//! its prekey fields). Session v4 and pending v3 widen the timer versions
//! to u64 and store our ratchet secret only while a sending chain exists
//! (older blobs load with it dropped otherwise, SPEC.md §5.5). Session v5
//! stores the KEM ciphertext of the accepted prekey message as its
//! SHA-256 digest (older blobs load with the digest computed); a pending
//! session keeps the ciphertext, which its prekey messages carry.
//!
//! ```text
//! session: their_identity 64 | v3+: key_agreement u8 (0 unrecorded, 1 X3DH, 2 PQXDH)
//!          | prekey u8 0|1 [prekey fields] | conversation | ratchet
//! pending: their_identity 64 | prekey fields               | conversation | ratchet
//! identity (64): ed25519 public 32 | its x25519 form 32
//! prekey fields: identity 64 | base_key 32 | signed_prekey_id u32
//!                | one_time u8 0|1 [one_time_prekey_id u32]
//!                | v2+: pq u8 0|1 [pq_prekey_id u32 | kem_ciphertext 1088]
//!                  (session v5: [pq_prekey_id u32 | SHA-256(kem_ciphertext) 32])
//! conversation:  timer (mode u8 | ttl_secs u32 | version u64)
//!                | highest_timer_version u64 | max_skipped_key_age_ms u64
//!                (session v1-v3, pending v1-v2: both versions u32)
//! ```
//!
//! Identity keys are stored in both forms so that loading needs no point
//! decompression; the blob's checksum or tag protects them.

use alloc::boxed::Box;

use super::private::Codec;
use super::{BlobKind, StateBlob, StoredKeys, read_identity, write_identity};
use crate::blob_writer::BlobWriter;
use crate::error::{DecodeError, StateError};
use crate::frame::{read_timer_fields_as, write_timer};
use crate::handshake::PqPrekeyFields;
use crate::identity::{ENCODE_ED25519, IdentityKey};
use crate::kem::KEM_CIPHERTEXT_LEN;
use crate::limits::FRAME_TIMER_LEN;
use crate::ratchet::RatchetState;
use crate::session::conversation::Conversation;
use crate::session::key_agreement::KeyAgreement;
use crate::session::record::SessionRecord;
use crate::session::transport::{AcceptedPq, AcceptedPrekey, PrekeyFields};
use crate::session::{PendingSession, Session};
use crate::wire::codec::{Reader, write_exact};

/// Prekey fields: the ids and keys both kinds hold, then the PQ prekey id
/// and `pq_tail` (the KEM ciphertext, or its digest) if any.
fn write_prekey_fields(
    w: &mut BlobWriter,
    identity_key: &IdentityKey,
    base_key: &[u8; 32],
    signed_prekey_id: u32,
    one_time_prekey_id: Option<u32>,
    pq: Option<(u32, &[u8])>,
) {
    write_identity(w, identity_key);
    w.bytes(base_key);
    w.u32(signed_prekey_id);
    for field in [one_time_prekey_id.map(|id| (id, &[][..])), pq] {
        match field {
            Some((id, tail)) => {
                w.u8(1);
                w.u32(id);
                w.bytes(tail);
            }
            None => w.u8(0),
        }
    }
}

/// A pending session's own prekey fields, with the KEM ciphertext its
/// prekey messages carry.
fn write_prekey(w: &mut BlobWriter, p: &PrekeyFields) {
    let pq = p.pq.as_ref().map(|q| (q.pq_prekey_id, &q.ciphertext[..]));
    write_prekey_fields(
        w,
        &p.identity_key,
        &p.base_key,
        p.signed_prekey_id,
        p.one_time_prekey_id,
        pq,
    );
}

/// A responder's record of the prekey fields it accepted (session v5):
/// the KEM ciphertext as its digest.
fn write_accepted(w: &mut BlobWriter, p: &AcceptedPrekey) {
    let pq =
        p.pq.as_ref()
            .map(|q| (q.pq_prekey_id, &q.ciphertext_digest[..]));
    write_prekey_fields(
        w,
        &p.identity_key,
        &p.base_key,
        p.signed_prekey_id,
        p.one_time_prekey_id,
        pq,
    );
}

/// Prekey fields as read, with the PQ part `Q` of either kind.
struct ReadPrekey<Q> {
    identity_key: IdentityKey,
    base_key: [u8; 32],
    signed_prekey_id: u32,
    one_time_prekey_id: Option<u32>,
    pq: Option<Q>,
}

/// Reads prekey fields whose PQ part `read_pq` reads (after its id);
/// `pq`: whether the blob version has the PQ flag at all (v1 has not).
fn read_prekey_with<Q>(
    r: &mut Reader<'_>,
    pq: bool,
    keys: StoredKeys,
    read_pq: impl FnOnce(&mut Reader<'_>, u32) -> Result<Q, DecodeError>,
) -> Result<ReadPrekey<Q>, DecodeError> {
    let identity_key = read_identity(r, keys)?;
    let base_key = r.array()?;
    let signed_prekey_id = r.u32()?;
    let one_time_prekey_id = match r.u8()? {
        0 => None,
        1 => Some(r.u32()?),
        _ => return Err(DecodeError::InvalidValue),
    };
    let pq = match pq {
        false => None,
        true => match r.u8()? {
            0 => None,
            1 => {
                let id = r.u32()?;
                Some(read_pq(r, id)?)
            }
            _ => return Err(DecodeError::InvalidValue),
        },
    };
    Ok(ReadPrekey {
        identity_key,
        base_key,
        signed_prekey_id,
        one_time_prekey_id,
        pq,
    })
}

/// The full KEM ciphertext (pending sessions; sessions before v5).
fn read_ciphertext(r: &mut Reader<'_>) -> Result<Box<[u8; KEM_CIPHERTEXT_LEN]>, DecodeError> {
    let mut ct = Box::new([0u8; KEM_CIPHERTEXT_LEN]);
    ct.copy_from_slice(r.take(KEM_CIPHERTEXT_LEN)?);
    Ok(ct)
}

/// A pending session's prekey fields (pending v1 has no PQ fields).
fn read_prekey(
    r: &mut Reader<'_>,
    version: u8,
    keys: StoredKeys,
) -> Result<PrekeyFields, DecodeError> {
    let p = read_prekey_with(r, version >= 2, keys, |r, pq_prekey_id| {
        Ok(PqPrekeyFields {
            pq_prekey_id,
            ciphertext: read_ciphertext(r)?,
        })
    })?;
    Ok(PrekeyFields {
        identity_key: p.identity_key,
        base_key: p.base_key,
        signed_prekey_id: p.signed_prekey_id,
        one_time_prekey_id: p.one_time_prekey_id,
        pq: p.pq,
    })
}

/// A responder session's accepted prekey fields: v1 has no PQ fields, v2
/// to v4 the whole ciphertext (digested on load), v5 its digest.
fn read_accepted(
    r: &mut Reader<'_>,
    version: u8,
    keys: StoredKeys,
) -> Result<AcceptedPrekey, DecodeError> {
    let p = read_prekey_with(r, version >= 2, keys, |r, pq_prekey_id| {
        Ok(if version >= 5 {
            AcceptedPq {
                pq_prekey_id,
                ciphertext_digest: r.array()?,
            }
        } else {
            let ct = r.take(KEM_CIPHERTEXT_LEN)?;
            let ct =
                <&[u8; KEM_CIPHERTEXT_LEN]>::try_from(ct).map_err(|_| DecodeError::Truncated)?;
            AcceptedPq::of(pq_prekey_id, ct)
        })
    })?;
    Ok(AcceptedPrekey {
        identity_key: p.identity_key,
        base_key: p.base_key,
        signed_prekey_id: p.signed_prekey_id,
        one_time_prekey_id: p.one_time_prekey_id,
        pq: p.pq.map(Box::new),
    })
}

fn write_conversation(w: &mut BlobWriter, c: &Conversation) {
    // Exactly what `write_timer` writes.
    let timer = write_exact([0u8; FRAME_TIMER_LEN], |t| write_timer(t, &c.timer));
    w.bytes(&timer);
    w.u64(c.highest_timer_version);
    w.u64(c.max_skipped_key_age_ms);
    c.state.encode(w);
}

/// `current`: session v4 or pending v3 (u64 timer versions, the current
/// ratchet format); else the legacy layout, whose u32 versions widen.
fn read_conversation(r: &mut Reader<'_>, current: bool) -> Result<Conversation, DecodeError> {
    let timer = read_timer_fields_as(r, current).map_err(|_| DecodeError::InvalidValue)?;
    let highest_timer_version = if current {
        r.u64()?
    } else {
        u64::from(r.u32()?)
    };
    if highest_timer_version < timer.version {
        return Err(DecodeError::InvalidValue);
    }
    let max_skipped_key_age_ms = r.u64()?;
    let state = RatchetState::decode(r, !current)?;
    Ok(Conversation {
        state,
        timer,
        highest_timer_version,
        max_skipped_key_age_ms,
    })
}

/// The associated data must be `Encode(IK_initiator) || Encode(IK_responder)`
/// with `their` on the given side (0: they initiated, 1: they responded).
fn check_associated_data(
    state: &RatchetState,
    their: &IdentityKey,
    their_side: usize,
) -> Result<(), DecodeError> {
    let ad = state.associated_data();
    let (first, second) = ad.split_at(33);
    let ours = |half: &[u8]| half.first() == Some(&ENCODE_ED25519);
    if !ours(first) || !ours(second) {
        return Err(DecodeError::InvalidValue);
    }
    let encoded = their.encode();
    let ok = match their_side {
        0 => first == encoded,
        _ => second == encoded,
    };
    if ok {
        Ok(())
    } else {
        Err(DecodeError::InvalidValue)
    }
}

fn encode_session(s: &Session, w: &mut BlobWriter) {
    let (conv, their, prekey) = s.parts();
    write_identity(w, their);
    w.u8(s.key_agreement().to_byte());
    match prekey {
        Some(p) => {
            w.u8(1);
            write_accepted(w, p);
        }
        None => w.u8(0),
    }
    write_conversation(w, conv);
}

fn decode_session(version: u8, body: &[u8]) -> Result<Session, DecodeError> {
    let mut r = Reader::new(body);
    // Session v4 is the first version written under SPEC §3.1's torsion rule.
    let keys = StoredKeys::for_version(version, 4);
    let their = read_identity(&mut r, keys)?;
    let stored = match version {
        1 | 2 => None,
        _ => Some(KeyAgreement::from_byte(r.u8()?).ok_or(DecodeError::InvalidValue)?),
    };
    let prekey = match r.u8()? {
        0 => None,
        1 => Some(read_accepted(&mut r, version, keys)?),
        _ => return Err(DecodeError::InvalidValue),
    };
    let conv = read_conversation(&mut r, version >= 4)?;
    r.finish()?;
    // A responder's session holds the initiator's prekey fields, which
    // tell; a v1 blob predates PQXDH; a v2 initiator's session cannot tell.
    let derived = match (&prekey, version) {
        (Some(p), _) => KeyAgreement::of_pq(p.pq.as_ref()),
        (None, 1) => KeyAgreement::X3dh,
        (None, _) => KeyAgreement::Unrecorded,
    };
    let key_agreement = match stored {
        None => derived,
        // A v3 responder's session must agree with its prekey fields.
        Some(k) if prekey.is_none() || k == derived => k,
        Some(_) => return Err(DecodeError::InvalidValue),
    };
    // A responder's session (it holds the prekey fields, which are the
    // initiator's): they initiated. An initiator's session (none): they
    // responded.
    let side = match &prekey {
        Some(p) if p.identity_key != their => return Err(DecodeError::InvalidValue),
        Some(_) => 0,
        None => 1,
    };
    check_associated_data(&conv.state, &their, side)?;
    if !conv.state.has_sending_chain() && !conv.state.has_received() {
        return Err(DecodeError::InvalidValue);
    }
    Ok(Session::from_parts(conv, their, prekey, key_agreement))
}

fn encode_pending(p: &PendingSession, w: &mut BlobWriter) {
    let (conv, their, prekey) = p.parts();
    write_identity(w, their);
    write_prekey(w, prekey);
    write_conversation(w, conv);
}

fn decode_pending(version: u8, body: &[u8]) -> Result<PendingSession, DecodeError> {
    let mut r = Reader::new(body);
    // Pending v3 is the first version written under SPEC §3.1's torsion rule.
    let keys = StoredKeys::for_version(version, 3);
    let their = read_identity(&mut r, keys)?;
    let prekey = read_prekey(&mut r, version, keys)?;
    let conv = read_conversation(&mut r, version >= 3)?;
    r.finish()?;
    // An initiator: our identity first, theirs second; a sending chain and
    // nothing received yet.
    check_associated_data(&conv.state, &their, 1)?;
    check_associated_data(&conv.state, &prekey.identity_key, 0)?;
    if !conv.state.has_sending_chain() || conv.state.has_received() {
        return Err(DecodeError::InvalidValue);
    }
    Ok(PendingSession::from_parts(conv, their, prekey))
}

impl Codec for Session {
    const KINDS: &'static [BlobKind] = &[BlobKind::Session];

    fn kind(&self) -> BlobKind {
        BlobKind::Session
    }

    fn encode_body(&self, w: &mut BlobWriter) {
        encode_session(self, w);
    }

    fn decode_body(_kind: BlobKind, version: u8, body: &[u8]) -> Result<Self, StateError> {
        Ok(decode_session(version, body)?)
    }
}

impl StateBlob for Session {}

impl Codec for PendingSession {
    const KINDS: &'static [BlobKind] = &[BlobKind::PendingSession];

    fn kind(&self) -> BlobKind {
        BlobKind::PendingSession
    }

    fn encode_body(&self, w: &mut BlobWriter) {
        encode_pending(self, w);
    }

    fn decode_body(_kind: BlobKind, version: u8, body: &[u8]) -> Result<Self, StateError> {
        Ok(decode_pending(version, body)?)
    }
}

impl StateBlob for PendingSession {}

impl Codec for SessionRecord {
    const KINDS: &'static [BlobKind] = &[BlobKind::Session, BlobKind::PendingSession];

    fn kind(&self) -> BlobKind {
        match self {
            Self::Pending(_) => BlobKind::PendingSession,
            Self::Established(_) => BlobKind::Session,
        }
    }

    fn encode_body(&self, w: &mut BlobWriter) {
        match self {
            Self::Pending(p) => encode_pending(p, w),
            Self::Established(s) => encode_session(s, w),
        }
    }

    fn decode_body(kind: BlobKind, version: u8, body: &[u8]) -> Result<Self, StateError> {
        Ok(match kind {
            BlobKind::PendingSession => Self::Pending(decode_pending(version, body)?),
            _ => Self::Established(decode_session(version, body)?),
        })
    }
}

impl StateBlob for SessionRecord {}
