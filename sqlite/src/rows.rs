//! Reading and writing single rows, on a connection or inside a
//! transaction (a `rusqlite::Transaction` dereferences to a `Connection`).
//! Loading never writes: a row that fails to load is reported as it is.

use rusqlite::{Connection, OptionalExtension, Row, params};
use sealwire::DeviceAddress;
use sealwire::devices::{DeviceList, DeviceSessions};
use sealwire::{ContentType, IdentityKey, IdentityKeyPair, PrekeyStore, Timestamp};

use crate::codec::{BlobCodec, Slot, value_address};
use crate::error::StoreError;
use crate::types::{Direction, OutboxEntry, StoredMessage};

/// A time as stored: milliseconds since the epoch, in an SQLite integer.
pub(crate) fn time_to_sql(t: Timestamp) -> i64 {
    i64::try_from(t.as_unix_millis()).unwrap_or(i64::MAX)
}

pub(crate) fn time_from_sql(ms: i64) -> Option<Timestamp> {
    u64::try_from(ms).ok().map(Timestamp::from_unix_millis)
}

pub(crate) fn content_type_to_sql(ct: ContentType) -> i64 {
    i64::from(u8::from(ct))
}

pub(crate) fn content_type_from_sql(v: i64) -> Option<ContentType> {
    ContentType::try_from(u8::try_from(v).ok()?).ok()
}

fn load_blob<T: sealwire::persist::StateBlob>(
    conn: &Connection,
    codec: &BlobCodec,
    sql: &str,
    params: impl rusqlite::Params,
    slot: Slot<'_>,
) -> Result<Option<T>, StoreError> {
    // A plain blob holds secrets in the clear: zeroized once decoded.
    let blob: Option<zeroize::Zeroizing<Vec<u8>>> = conn
        .query_row(sql, params, |row| row.get(0))
        .optional()?
        .map(zeroize::Zeroizing::new);
    match blob {
        None => Ok(None),
        Some(bytes) => codec.decode(&bytes, slot).map(Some),
    }
}

/// `meta` key holding our identity key, the owner sealed blobs are bound
/// to (sealed databases, schema version 2 on).
pub(crate) const OWNER_KEY: &str = "owner_identity";

/// The owner recorded in `meta`, if any.
pub(crate) fn stored_owner(conn: &Connection) -> Result<Option<IdentityKey>, StoreError> {
    let bytes: Option<Vec<u8>> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [OWNER_KEY],
            |row| row.get(0),
        )
        .optional()?;
    let Some(bytes) = bytes else {
        return Ok(None);
    };
    let invalid = StoreError::InvalidRow {
        table: "meta",
        row_id: 0,
    };
    let array: [u8; 32] = bytes.as_slice().try_into().map_err(|_| invalid)?;
    IdentityKey::from_bytes(&array)
        .map(Some)
        .map_err(|_| StoreError::InvalidRow {
            table: "meta",
            row_id: 0,
        })
}

/// Records the owner in `meta`.
pub(crate) fn record_owner(conn: &Connection, owner: &IdentityKey) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![OWNER_KEY, owner.as_bytes().as_slice()],
    )?;
    Ok(())
}

pub(crate) fn local_identity(
    conn: &Connection,
    codec: &BlobCodec,
) -> Result<Option<IdentityKeyPair>, StoreError> {
    load_blob(
        conn,
        codec,
        "SELECT blob FROM local_identity WHERE id = 1",
        [],
        Slot::LocalIdentity,
    )
}

/// Saves our identity. Sealed, it becomes the owner every blob is bound
/// to (recorded in `meta`); another identity than the recorded owner is
/// refused ([`StoreError::OtherIdentity`]). On error the caller restores
/// the codec's owner.
pub(crate) fn save_local_identity(
    conn: &Connection,
    codec: &mut BlobCodec,
    identity: &IdentityKeyPair,
) -> Result<(), StoreError> {
    if let BlobCodec::Sealed { .. } = codec {
        match codec.owner() {
            Some(owner) if owner != *identity.public() => return Err(StoreError::OtherIdentity),
            Some(_) => {}
            None => {
                record_owner(conn, identity.public())?;
                codec.set_owner(Some(*identity.public()));
            }
        }
    }
    codec.encode(identity, Slot::LocalIdentity, |blob| {
        conn.execute(
            "INSERT INTO local_identity (id, blob) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET blob = excluded.blob",
            [blob],
        )
    })??;
    Ok(())
}

pub(crate) fn prekeys(
    conn: &Connection,
    codec: &BlobCodec,
) -> Result<Option<PrekeyStore>, StoreError> {
    load_blob(
        conn,
        codec,
        "SELECT blob FROM prekeys WHERE id = 1",
        [],
        Slot::Prekeys,
    )
}

pub(crate) fn save_prekeys(
    conn: &Connection,
    codec: &mut BlobCodec,
    prekeys: &PrekeyStore,
) -> Result<(), StoreError> {
    codec.encode(prekeys, Slot::Prekeys, |blob| {
        conn.execute(
            "INSERT INTO prekeys (id, blob) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET blob = excluded.blob",
            [blob],
        )
    })??;
    Ok(())
}

pub(crate) fn sessions(
    conn: &Connection,
    codec: &BlobCodec,
    address: &DeviceAddress,
) -> Result<Option<DeviceSessions>, StoreError> {
    load_blob(
        conn,
        codec,
        "SELECT blob FROM sessions WHERE name = ?1 AND device = ?2",
        params![address.name(), address.device_id()],
        Slot::Session(address),
    )
}

pub(crate) fn save_sessions(
    conn: &Connection,
    codec: &mut BlobCodec,
    address: &DeviceAddress,
    sessions: &DeviceSessions,
) -> Result<(), StoreError> {
    codec.encode(sessions, Slot::Session(address), |blob| {
        conn.execute(
            "INSERT INTO sessions (name, device, blob) VALUES (?1, ?2, ?3)
             ON CONFLICT (name, device) DO UPDATE SET blob = excluded.blob",
            params![address.name(), address.device_id(), blob],
        )
    })??;
    Ok(())
}

pub(crate) fn delete_sessions(
    conn: &Connection,
    address: &DeviceAddress,
) -> Result<bool, StoreError> {
    let n = conn.execute(
        "DELETE FROM sessions WHERE name = ?1 AND device = ?2",
        params![address.name(), address.device_id()],
    )?;
    Ok(n > 0)
}

pub(crate) fn device_list(
    conn: &Connection,
    codec: &BlobCodec,
    user: &str,
) -> Result<Option<DeviceList>, StoreError> {
    load_blob(
        conn,
        codec,
        "SELECT blob FROM device_lists WHERE user = ?1",
        [user],
        Slot::DeviceList(user),
    )
}

pub(crate) fn save_device_list(
    conn: &Connection,
    codec: &mut BlobCodec,
    list: &DeviceList,
) -> Result<(), StoreError> {
    codec.encode(list, Slot::DeviceList(list.user()), |blob| {
        conn.execute(
            "INSERT INTO device_lists (user, blob) VALUES (?1, ?2)
             ON CONFLICT (user) DO UPDATE SET blob = excluded.blob",
            params![list.user(), blob],
        )
    })??;
    Ok(())
}

pub(crate) fn delete_device_list(conn: &Connection, user: &str) -> Result<bool, StoreError> {
    let n = conn.execute("DELETE FROM device_lists WHERE user = ?1", [user])?;
    Ok(n > 0)
}

pub(crate) fn session_devices(conn: &Connection, name: &str) -> Result<Vec<u32>, StoreError> {
    let mut stmt = conn.prepare("SELECT device FROM sessions WHERE name = ?1 ORDER BY device")?;
    let devices = stmt
        .query_map([name], |row| row.get::<_, u32>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(devices)
}

/// Every stored session address, in order.
pub(crate) fn session_addresses(conn: &Connection) -> Result<Vec<DeviceAddress>, StoreError> {
    let mut stmt = conn.prepare("SELECT name, device FROM sessions ORDER BY name, device")?;
    let addresses = stmt
        .query_map([], |row| {
            Ok(DeviceAddress::new(
                row.get::<_, String>(0)?,
                row.get::<_, u32>(1)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(addresses)
}

pub(crate) fn peer_identity(
    conn: &Connection,
    address: &DeviceAddress,
) -> Result<Option<IdentityKey>, StoreError> {
    let bytes: Option<Vec<u8>> = conn
        .query_row(
            "SELECT identity_key FROM peer_identities WHERE name = ?1 AND device = ?2",
            params![address.name(), address.device_id()],
            |row| row.get(0),
        )
        .optional()?;
    let Some(bytes) = bytes else {
        return Ok(None);
    };
    let invalid = |error| StoreError::PeerIdentity {
        address: address.clone(),
        error,
    };
    let array: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| invalid(sealwire::DecodeError::InvalidKey))?;
    IdentityKey::from_bytes(&array).map(Some).map_err(invalid)
}

/// Records a peer's key; returns the previous one if it was different. A
/// stored key that fails to load counts as different (and is replaced:
/// this is an explicit save of a key the session authenticated).
pub(crate) fn save_peer_identity(
    conn: &Connection,
    address: &DeviceAddress,
    key: &IdentityKey,
) -> Result<Option<IdentityKey>, StoreError> {
    let previous = match peer_identity(conn, address) {
        Ok(previous) => previous,
        Err(StoreError::PeerIdentity { .. }) => None,
        Err(e) => return Err(e),
    };
    if previous.as_ref() == Some(key) {
        return Ok(None);
    }
    conn.execute(
        "INSERT INTO peer_identities (name, device, identity_key) VALUES (?1, ?2, ?3)
         ON CONFLICT (name, device) DO UPDATE SET identity_key = excluded.identity_key",
        params![
            address.name(),
            address.device_id(),
            key.as_bytes().as_slice()
        ],
    )?;
    Ok(previous)
}

/// A message row to insert.
pub(crate) struct NewMessage<'a> {
    pub(crate) peer: &'a DeviceAddress,
    pub(crate) direction: Direction,
    pub(crate) content_type: ContentType,
    pub(crate) sent_at: Timestamp,
    pub(crate) received_at: Option<Timestamp>,
    pub(crate) expires_at: Option<Timestamp>,
    pub(crate) read_ttl_ms: Option<u64>,
    pub(crate) read: bool,
    pub(crate) body: &'a [u8],
    /// Sent to every device of the user `peer.name()` (`peer`'s device
    /// is then 0).
    pub(crate) to_user: bool,
}

/// What a message row's body is bound to (STORAGE.md §14): its id and
/// the columns that never change once it is inserted.
pub(crate) struct MessageKey {
    pub(crate) id: i64,
    pub(crate) peer_name: String,
    pub(crate) device: u32,
    pub(crate) direction: String,
    pub(crate) content_type: i64,
    pub(crate) sent_at: i64,
    pub(crate) to_user: bool,
}

impl MessageKey {
    /// From `id, peer_name, device, direction, content_type, sent_at,
    /// to_user`.
    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            peer_name: row.get(1)?,
            device: row.get(2)?,
            direction: row.get(3)?,
            content_type: row.get(4)?,
            sent_at: row.get(5)?,
            to_user: row.get(6)?,
        })
    }

    /// The associated data of the row's sealed body.
    pub(crate) fn address(&self) -> Vec<u8> {
        value_address(
            "messages",
            &[
                &self.id.to_be_bytes(),
                self.peer_name.as_bytes(),
                &self.device.to_be_bytes(),
                self.direction.as_bytes(),
                &self.content_type.to_be_bytes(),
                &self.sent_at.to_be_bytes(),
                &[u8::from(self.to_user)],
            ],
        )
    }
}

/// The id the next row of `table` (`messages` or `group_messages`) gets:
/// chosen before the insert (inside the write transaction), so that a
/// sealed value can be bound to it, and never given twice. The last id
/// given is kept in `meta` (`last_id.<table>`, 8 bytes big-endian), so a
/// deleted row's id is not reused: an old sealed row put back by someone
/// with the file can only come back as the row it was, never in place of
/// a newer one (SECURITY.md, "Encryption at rest"). A database without the
/// counter (migrated, or written before it) starts from `max(id)`.
pub(crate) fn next_row_id(conn: &Connection, table: &'static str) -> Result<i64, StoreError> {
    let counter = format!("last_id.{table}");
    let max: Option<i64> = conn.query_row(&format!("SELECT max(id) FROM {table}"), [], |row| {
        row.get(0)
    })?;
    let last: Option<Vec<u8>> = conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [&counter], |row| {
            row.get(0)
        })
        .optional()?;
    let last =
        match last {
            None => 0,
            Some(bytes) => i64::from_be_bytes(bytes.as_slice().try_into().map_err(|_| {
                StoreError::InvalidRow {
                    table: "meta",
                    row_id: 0,
                }
            })?),
        };
    let id = max
        .unwrap_or(0)
        .max(last)
        .checked_add(1)
        .ok_or(StoreError::InvalidRow {
            table,
            row_id: i64::MAX,
        })?;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![counter, id.to_be_bytes().as_slice()],
    )?;
    Ok(id)
}

/// Inserts a message row, its body sealed in a sealed database.
pub(crate) fn insert_message(
    conn: &Connection,
    codec: &mut BlobCodec,
    m: &NewMessage<'_>,
) -> Result<i64, StoreError> {
    let read_ttl = m
        .read_ttl_ms
        .map(|ms| i64::try_from(ms).unwrap_or(i64::MAX));
    let key = MessageKey {
        id: next_row_id(conn, "messages")?,
        peer_name: m.peer.name().to_owned(),
        device: m.peer.device_id(),
        direction: m.direction.as_sql().to_owned(),
        content_type: content_type_to_sql(m.content_type),
        sent_at: time_to_sql(m.sent_at),
        to_user: m.to_user,
    };
    let body = codec.seal_value(&key.address(), m.body);
    conn.execute(
        "INSERT INTO messages (id, peer_name, device, direction, content_type, sent_at,
                               received_at, expires_at, read_ttl_ms, read, body, to_user)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            key.id,
            key.peer_name,
            key.device,
            key.direction,
            key.content_type,
            key.sent_at,
            m.received_at.map(time_to_sql),
            m.expires_at.map(time_to_sql),
            read_ttl,
            m.read,
            body,
            m.to_user,
        ],
    )?;
    Ok(key.id)
}

/// The columns [`raw_message`] reads, in order.
pub(crate) const MESSAGE_COLUMNS: &str = "id, peer_name, device, direction, content_type, sent_at, \
     received_at, expires_at, read_ttl_ms, read, body, to_user";

/// A message row as read, its body still sealed.
struct RawMessage {
    key: MessageKey,
    received_at: Option<i64>,
    expires_at: Option<i64>,
    read_ttl_ms: Option<i64>,
    read: bool,
    body: Vec<u8>,
}

fn raw_message(row: &Row<'_>) -> rusqlite::Result<RawMessage> {
    Ok(RawMessage {
        key: MessageKey {
            id: row.get(0)?,
            peer_name: row.get(1)?,
            device: row.get(2)?,
            direction: row.get(3)?,
            content_type: row.get(4)?,
            sent_at: row.get(5)?,
            to_user: row.get(11)?,
        },
        received_at: row.get(6)?,
        expires_at: row.get(7)?,
        read_ttl_ms: row.get(8)?,
        read: row.get(9)?,
        body: row.get(10)?,
    })
}

/// `Some(None)` for no time, `Some(Some(t))` for a valid one, `None` for
/// a value out of range.
pub(crate) fn optional_time(v: Option<i64>) -> Option<Option<Timestamp>> {
    match v {
        None => Some(None),
        Some(ms) => time_from_sql(ms).map(Some),
    }
}

impl RawMessage {
    /// Checks the row's values, then opens its body.
    fn open(self, codec: &BlobCodec) -> Result<StoredMessage, StoreError> {
        let id = self.key.id;
        let invalid = || StoreError::InvalidRow {
            table: "messages",
            row_id: id,
        };
        let direction = Direction::from_sql(&self.key.direction).ok_or_else(invalid)?;
        let content_type = content_type_from_sql(self.key.content_type).ok_or_else(invalid)?;
        let sent_at = time_from_sql(self.key.sent_at).ok_or_else(invalid)?;
        let received_at = optional_time(self.received_at).ok_or_else(invalid)?;
        let expires_at = optional_time(self.expires_at).ok_or_else(invalid)?;
        let expires_after_read_ms = match self.read_ttl_ms {
            None => None,
            Some(ms) => Some(u64::try_from(ms).map_err(|_| invalid())?),
        };
        let address = self.key.address();
        let body = codec.open_value("messages", id, &address, self.body)?;
        Ok(StoredMessage {
            id,
            peer: DeviceAddress::new(self.key.peer_name, self.key.device),
            direction,
            content_type,
            sent_at,
            received_at,
            expires_at,
            expires_after_read_ms,
            read: self.read,
            body: body.to_vec(),
            to_user: self.key.to_user,
        })
    }
}

/// Runs a query over `messages` (selecting [`MESSAGE_COLUMNS`]).
pub(crate) fn query_messages(
    conn: &Connection,
    codec: &BlobCodec,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<StoredMessage>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let raw = stmt
        .query_map(params, raw_message)?
        .collect::<Result<Vec<_>, _>>()?;
    raw.into_iter().map(|m| m.open(codec)).collect()
}

pub(crate) fn insert_outbox(
    conn: &Connection,
    peer: &DeviceAddress,
    message_id: Option<i64>,
    ciphertext: &[u8],
    now: Timestamp,
) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO outbox (peer_name, device, message_id, ciphertext, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            peer.name(),
            peer.device_id(),
            message_id,
            ciphertext,
            time_to_sql(now)
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn outbox(
    conn: &Connection,
    peer: &DeviceAddress,
) -> Result<Vec<OutboxEntry>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, message_id, ciphertext, created_at FROM outbox
         WHERE peer_name = ?1 AND device = ?2 ORDER BY id",
    )?;
    let raw = stmt
        .query_map(params![peer.name(), peer.device_id()], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, Option<i64>>(1)?,
                row.get::<_, Vec<u8>>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    raw.into_iter()
        .map(|(id, message_id, ciphertext, created)| {
            Ok(OutboxEntry {
                id,
                peer: peer.clone(),
                message_id,
                ciphertext,
                created_at: time_from_sql(created).ok_or(StoreError::InvalidRow {
                    table: "outbox",
                    row_id: id,
                })?,
            })
        })
        .collect()
}

/// Whether a session was ever accepted from this X3DH base key.
pub(crate) fn base_key_accepted(
    conn: &Connection,
    base_key: &[u8; 32],
) -> Result<bool, StoreError> {
    let found: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM accepted_sessions WHERE base_key = ?1",
            [base_key.as_slice()],
            |row| row.get(0),
        )
        .optional()?;
    Ok(found.is_some())
}

/// Records the base key of a session just accepted.
pub(crate) fn record_base_key(
    conn: &Connection,
    base_key: &[u8; 32],
    address: &DeviceAddress,
    now: Timestamp,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO accepted_sessions (base_key, name, device, accepted_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            base_key.as_slice(),
            address.name(),
            address.device_id(),
            time_to_sql(now)
        ],
    )?;
    Ok(())
}

/// Where a message sits in its sender's chains: the ratchet key and
/// counter of its header (what a recovery request names). `None` for
/// bytes that are not a message (never for what a session encrypted).
pub(crate) fn chain_position(ciphertext: &[u8]) -> Option<([u8; 32], u32)> {
    use sealwire::wire::Message;
    let header = match Message::parse(ciphertext).ok()? {
        Message::Prekey(p) => p.message.header,
        Message::Ratchet(r) => r.header,
        _ => return None,
    };
    Some((header.ratchet_key, header.counter))
}

/// Records that `ciphertext`, a copy of message `message_id`, was sent to
/// `peer`.
pub(crate) fn insert_sent_copy(
    conn: &Connection,
    message_id: i64,
    peer: &DeviceAddress,
    ciphertext: &[u8],
) -> Result<(), StoreError> {
    let Some((ratchet_key, counter)) = chain_position(ciphertext) else {
        return Ok(());
    };
    conn.execute(
        "INSERT INTO sent_copies (message_id, peer_name, device, ratchet_key, counter)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            message_id,
            peer.name(),
            peer.device_id(),
            ratchet_key.as_slice(),
            counter
        ],
    )?;
    Ok(())
}

/// Marks for re-sending the copies sent to `peer` in the chain of
/// `ratchet_key` from `counter` on, and deletes the outbox rows to `peer`
/// in that chain from `counter` on (the peer cannot read them).
pub(crate) fn mark_for_resend(
    conn: &Connection,
    peer: &DeviceAddress,
    ratchet_key: &[u8; 32],
    counter: u32,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sent_copies SET resend = 1
         WHERE peer_name = ?1 AND device = ?2 AND ratchet_key = ?3 AND counter >= ?4",
        params![
            peer.name(),
            peer.device_id(),
            ratchet_key.as_slice(),
            counter
        ],
    )?;
    for entry in outbox(conn, peer)? {
        let in_chain = chain_position(&entry.ciphertext)
            .is_some_and(|(key, n)| key == *ratchet_key && n >= counter);
        if in_chain {
            conn.execute("DELETE FROM outbox WHERE id = ?1", [entry.id])?;
        }
    }
    Ok(())
}

/// A copy marked for re-sending, with the message it carries.
pub(crate) struct MarkedCopy {
    pub(crate) message_id: i64,
    pub(crate) ratchet_key: Vec<u8>,
    pub(crate) counter: i64,
    pub(crate) content_type: ContentType,
    pub(crate) body: zeroize::Zeroizing<Vec<u8>>,
}

/// The copies to `peer` marked for re-sending, by message, oldest first.
pub(crate) fn marked_copies(
    conn: &Connection,
    codec: &BlobCodec,
    peer: &DeviceAddress,
) -> Result<Vec<MarkedCopy>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT message_id, ratchet_key, counter FROM sent_copies
         WHERE peer_name = ?1 AND device = ?2 AND resend = 1
         ORDER BY message_id, counter",
    )?;
    let raw = stmt
        .query_map(params![peer.name(), peer.device_id()], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, Vec<u8>>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(raw.len());
    for (message_id, ratchet_key, counter) in raw {
        // The copy's message row exists (`ON DELETE CASCADE`).
        let Some(message) = query_messages(
            conn,
            codec,
            &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1"),
            [message_id],
        )?
        .into_iter()
        .next() else {
            continue;
        };
        out.push(MarkedCopy {
            message_id,
            ratchet_key,
            counter,
            content_type: message.content_type,
            body: zeroize::Zeroizing::new(message.body),
        });
    }
    Ok(out)
}

/// The messages with a copy to `peer` marked for re-sending, oldest first.
pub(crate) fn messages_to_resend(
    conn: &Connection,
    peer: &DeviceAddress,
) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT message_id FROM sent_copies
         WHERE peer_name = ?1 AND device = ?2 AND resend = 1 ORDER BY message_id",
    )?;
    let ids = stmt
        .query_map(params![peer.name(), peer.device_id()], |row| row.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(ids)
}

/// Deletes one copy (re-sent: its new copy replaces it).
pub(crate) fn delete_copy(
    conn: &Connection,
    peer: &DeviceAddress,
    copy: &MarkedCopy,
) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM sent_copies
         WHERE peer_name = ?1 AND device = ?2 AND ratchet_key = ?3 AND counter = ?4",
        params![
            peer.name(),
            peer.device_id(),
            copy.ratchet_key,
            copy.counter
        ],
    )?;
    Ok(())
}
