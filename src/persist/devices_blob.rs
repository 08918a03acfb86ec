//! Device blob bodies (STORAGE.md §11, §12): the sessions with one peer
//! device (kind 0x07, v1 and v2) and the device list of one user (kind
//! 0x08, v1).
//!
//! ```text
//! device sessions: current u8 0|1 [record]
//!                  | previous_count u8 (<= MAX_PREVIOUS_SESSIONS), newest first:
//!                      record
//!                  | last_request_sent u8 0|1 [u64] | last_request_accepted u8 0|1 [u64]
//!                  | last_restart u8 0|1 [u64]
//! record:          kind u8 (0x03 session, 0x04 pending) | body_len u32
//!                  | body (STORAGE.md §4; v1: session v4, pending v3;
//!                    v2: session v5, pending v3)
//!
//! device list:     user_len u8 (<= MAX_USER_ID_LEN) | user (UTF-8)
//!                  | device_count u8 (<= MAX_DEVICES_PER_USER), ids strictly increasing:
//!                      device_id u32 | identity 64
//!                      | announced u8 0|1 [identity 64, not the identity]
//! identity (64):   ed25519 public 32 | its x25519 form 32
//! ```
//!
//! A plain or sealed blob of a single session (kind 0x03 or 0x04, any
//! version) loads as device sessions holding it as the current one: the
//! migration from stores that kept one session per device.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;

use super::blob::max_version;
use super::private::Codec;
use super::{BlobKind, StateBlob, StoredKeys, read_identity, write_identity};
use crate::blob_writer::BlobWriter;
use crate::devices::{DeviceEntry, DeviceList, DeviceSessions, RecoveryState};
use crate::error::{DecodeError, StateError};
use crate::limits::{MAX_DEVICES_PER_USER, MAX_PREVIOUS_SESSIONS, MAX_USER_ID_LEN};
use crate::session::SessionRecord;
use crate::time::Timestamp;
use crate::wire::codec::Reader;

/// The format versions of the records a device-sessions blob of each
/// version holds: v1, session v4 and pending v3; v2, session v5 and
/// pending v3.
const fn record_version(kind: BlobKind, version: u8) -> u8 {
    match (kind, version) {
        (BlobKind::Session, 1) => 4,
        (BlobKind::Session, _) => 5,
        _ => 3,
    }
}

// A record is written at its kind's newest version: a new session or
// pending format version needs a new device-sessions version that maps to
// it (and keeps reading the older versions' records at theirs).
const _: () = {
    let newest = max_version(BlobKind::DeviceSessions);
    assert!(
        max_version(BlobKind::Session) == record_version(BlobKind::Session, newest)
            && max_version(BlobKind::PendingSession)
                == record_version(BlobKind::PendingSession, newest)
            && newest == 2,
        "a new session or pending format version needs a new DeviceSessions version (STORAGE.md §11)"
    );
};

// Both counts and the user id length are written in one byte.
const _: () = assert!(
    MAX_PREVIOUS_SESSIONS <= u8::MAX as usize,
    "MAX_PREVIOUS_SESSIONS outgrew its one-byte count"
);
const _: () = assert!(
    MAX_DEVICES_PER_USER <= u8::MAX as usize,
    "MAX_DEVICES_PER_USER outgrew its one-byte count"
);
const _: () = assert!(
    MAX_USER_ID_LEN <= u8::MAX as usize,
    "MAX_USER_ID_LEN outgrew its one-byte length"
);

/// A count or length the limits above keep within one byte.
fn byte_len(n: usize) -> u8 {
    u8::try_from(n).unwrap_or(u8::MAX)
}

fn write_record(w: &mut BlobWriter, record: &SessionRecord) {
    w.u8(record.kind() as u8);
    let at = w.len();
    w.u32(0);
    record.encode_body(w);
    let body_len = w.len().saturating_sub(at).saturating_sub(4);
    // A session body is at most a few hundred kilobytes (its skipped keys
    // are capped); a longer one would be written unloadable, not wrapped.
    w.patch_u32(at, u32::try_from(body_len).unwrap_or(u32::MAX));
}

fn read_record(r: &mut Reader<'_>, version: u8) -> Result<Box<SessionRecord>, StateError> {
    let kind = match r.u8()? {
        0x03 => BlobKind::Session,
        0x04 => BlobKind::PendingSession,
        _ => return Err(DecodeError::InvalidValue.into()),
    };
    let len = usize::try_from(r.u32()?).map_err(|_| DecodeError::TooLarge)?;
    let body = r.take(len)?;
    let record = SessionRecord::decode_body(kind, record_version(kind, version), body)?;
    Ok(Box::new(record))
}

fn write_time(w: &mut BlobWriter, t: Option<Timestamp>) {
    match t {
        Some(t) => {
            w.u8(1);
            w.u64(t.as_unix_millis());
        }
        None => w.u8(0),
    }
}

fn read_time(r: &mut Reader<'_>) -> Result<Option<Timestamp>, DecodeError> {
    match r.u8()? {
        0 => Ok(None),
        1 => Ok(Some(Timestamp::from_unix_millis(r.u64()?))),
        _ => Err(DecodeError::InvalidValue),
    }
}

fn encode_sessions(s: &DeviceSessions, w: &mut BlobWriter) {
    let (current, previous, recovery) = s.parts();
    match current {
        Some(record) => {
            w.u8(1);
            write_record(w, record);
        }
        None => w.u8(0),
    }
    w.u8(byte_len(previous.len()));
    for record in previous {
        write_record(w, record);
    }
    write_time(w, recovery.last_request_sent);
    write_time(w, recovery.last_request_accepted);
    write_time(w, recovery.last_restart);
}

fn decode_sessions(version: u8, body: &[u8]) -> Result<DeviceSessions, StateError> {
    let mut r = Reader::new(body);
    let current = match r.u8()? {
        0 => None,
        1 => Some(read_record(&mut r, version)?),
        _ => return Err(DecodeError::InvalidValue.into()),
    };
    let count = usize::from(r.u8()?);
    if count > MAX_PREVIOUS_SESSIONS {
        return Err(DecodeError::TooLarge.into());
    }
    let mut previous = VecDeque::with_capacity(count);
    for _ in 0..count {
        previous.push_back(read_record(&mut r, version)?);
    }
    let recovery = RecoveryState {
        last_request_sent: read_time(&mut r)?,
        last_request_accepted: read_time(&mut r)?,
        last_restart: read_time(&mut r)?,
    };
    r.finish()?;
    Ok(DeviceSessions::from_parts(current, previous, recovery))
}

impl Codec for DeviceSessions {
    /// Device sessions, or a single session (either phase) written by a
    /// store that kept one per device: loaded as the current session.
    const KINDS: &'static [BlobKind] = &[
        BlobKind::DeviceSessions,
        BlobKind::Session,
        BlobKind::PendingSession,
    ];

    fn kind(&self) -> BlobKind {
        BlobKind::DeviceSessions
    }

    fn encode_body(&self, w: &mut BlobWriter) {
        encode_sessions(self, w);
    }

    fn decode_body(kind: BlobKind, version: u8, body: &[u8]) -> Result<Self, StateError> {
        match kind {
            BlobKind::DeviceSessions => decode_sessions(version, body),
            _ => SessionRecord::decode_body(kind, version, body).map(Self::from),
        }
    }
}

impl StateBlob for DeviceSessions {}

fn encode_list(list: &DeviceList, w: &mut BlobWriter) {
    let user = list.user().as_bytes();
    w.u8(byte_len(user.len()));
    w.bytes(user);
    w.u8(byte_len(list.len()));
    for (device, entry) in list.entries() {
        w.u32(device);
        write_identity(w, &entry.identity);
        match &entry.announced {
            Some(key) => {
                w.u8(1);
                write_identity(w, key);
            }
            None => w.u8(0),
        }
    }
}

fn decode_list(body: &[u8]) -> Result<DeviceList, DecodeError> {
    // Device list v1 is written under SPEC §3.1's torsion rule: every key
    // went through `IdentityKey::from_bytes`.
    let keys = StoredKeys::Trusted;
    let mut r = Reader::new(body);
    let user_len = usize::from(r.u8()?);
    if user_len > MAX_USER_ID_LEN {
        return Err(DecodeError::TooLarge);
    }
    let user = core::str::from_utf8(r.take(user_len)?).map_err(|_| DecodeError::InvalidValue)?;
    let count = usize::from(r.u8()?);
    if count > MAX_DEVICES_PER_USER {
        return Err(DecodeError::TooLarge);
    }
    let mut devices = BTreeMap::new();
    let mut last: Option<u32> = None;
    for _ in 0..count {
        let device = r.u32()?;
        if last.is_some_and(|l| l >= device) {
            return Err(DecodeError::InvalidValue);
        }
        last = Some(device);
        let identity = read_identity(&mut r, keys)?;
        let announced = match r.u8()? {
            0 => None,
            1 => Some(read_identity(&mut r, keys)?),
            _ => return Err(DecodeError::InvalidValue),
        };
        // An announced key equal to the confirmed one is no change.
        if announced == Some(identity) {
            return Err(DecodeError::InvalidValue);
        }
        devices.insert(
            device,
            DeviceEntry {
                identity,
                announced,
            },
        );
    }
    r.finish()?;
    Ok(DeviceList::from_entries(String::from(user), devices))
}

impl Codec for DeviceList {
    const KINDS: &'static [BlobKind] = &[BlobKind::DeviceList];

    fn kind(&self) -> BlobKind {
        BlobKind::DeviceList
    }

    fn encode_body(&self, w: &mut BlobWriter) {
        encode_list(self, w);
    }

    fn decode_body(_kind: BlobKind, _version: u8, body: &[u8]) -> Result<Self, StateError> {
        Ok(decode_list(body)?)
    }
}

impl StateBlob for DeviceList {}
