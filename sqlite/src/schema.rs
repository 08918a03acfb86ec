//! Connection settings and the versioned schema (`PRAGMA user_version`).

use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::codec::{BlobCodec, Slot};
use crate::error::StoreError;
use crate::rows;

/// The schema version this crate writes and the newest it reads. Version 2
/// binds every sealed blob to its row (STORAGE.md §1): opening a sealed
/// version-1 database re-seals each blob once, in one transaction.
/// Version 3 keeps device lists (table `device_lists`) and, per peer
/// device, its `DeviceSessions` (current and previous sessions) instead of
/// one session: opening an older database rewrites each session row once,
/// that session becoming the current one, in one transaction. Version 4
/// records which device got which copy of each message sent (table
/// `sent_copies`, for re-sending on a recovery request) and marks the
/// messages sent to every device of a user (`messages.to_user`).
/// Version 5 seals every message body of a sealed database under the
/// storage key, bound to its row (STORAGE.md §14), removes the group key
/// distributions version 4 stored as messages, and keeps groups and
/// channels (tables `groups`, `group_messages`, `group_outbox`): opening
/// an older database does both once, in one transaction, then checkpoints
/// the write-ahead log so that no plaintext body is left in it.
pub const SCHEMA_VERSION: i64 = 5;

/// How long a writer waits for another connection's lock before
/// [`StoreError::Sqlite`] (`SQLITE_BUSY`).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Version 1: every table.
const V1: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
) STRICT;

CREATE TABLE local_identity (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    blob BLOB NOT NULL
) STRICT;

CREATE TABLE peer_identities (
    name         TEXT NOT NULL,
    device       INTEGER NOT NULL,
    identity_key BLOB NOT NULL,
    PRIMARY KEY (name, device)
) STRICT;

CREATE TABLE prekeys (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    blob BLOB NOT NULL
) STRICT;

CREATE TABLE sessions (
    name   TEXT NOT NULL,
    device INTEGER NOT NULL,
    blob   BLOB NOT NULL,
    PRIMARY KEY (name, device)
) STRICT;

CREATE TABLE accepted_sessions (
    base_key    BLOB PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    device      INTEGER NOT NULL,
    accepted_at INTEGER NOT NULL
) STRICT;

CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    peer_name    TEXT NOT NULL,
    device       INTEGER NOT NULL,
    direction    TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    content_type INTEGER NOT NULL,
    sent_at      INTEGER NOT NULL,
    received_at  INTEGER,
    expires_at   INTEGER,
    read_ttl_ms  INTEGER,
    read         INTEGER NOT NULL DEFAULT 0 CHECK (read IN (0, 1)),
    body         BLOB NOT NULL
) STRICT;
CREATE INDEX messages_by_peer ON messages (peer_name, device, id);
CREATE INDEX messages_by_expiry ON messages (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    peer_name  TEXT NOT NULL,
    device     INTEGER NOT NULL,
    message_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    ciphertext BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_by_peer ON outbox (peer_name, device, id);
CREATE INDEX outbox_by_message ON outbox (message_id);
";

/// Version 3: the device list of each user, a state blob (kind 0x08) by
/// user id. (The rows of `sessions` hold device sessions, kind 0x07.)
const V3: &str = "
CREATE TABLE device_lists (
    user TEXT PRIMARY KEY NOT NULL,
    blob BLOB NOT NULL
) STRICT;
";

/// Version 4: one row per copy of a sent message (per device), by the
/// ratchet key and counter in its header, so that a recovery request
/// (which names them) finds the messages to send again; and the messages
/// sent to every device of a user (`to_user = 1`, `device` 0).
const V4: &str = "
ALTER TABLE messages ADD COLUMN to_user INTEGER NOT NULL DEFAULT 0 CHECK (to_user IN (0, 1));

CREATE TABLE sent_copies (
    message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    peer_name   TEXT NOT NULL,
    device      INTEGER NOT NULL,
    ratchet_key BLOB NOT NULL,
    counter     INTEGER NOT NULL,
    resend      INTEGER NOT NULL DEFAULT 0 CHECK (resend IN (0, 1)),
    PRIMARY KEY (peer_name, device, ratchet_key, counter)
) STRICT;
CREATE INDEX sent_copies_by_message ON sent_copies (message_id);
";

/// Version 5: groups and channels (a state blob and a sealed member list
/// per group), their messages (bodies sealed) and the posts not yet
/// acknowledged.
const V5: &str = "
CREATE TABLE groups (
    id      BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    role    INTEGER NOT NULL CHECK (role IN (1, 2, 3)),
    joined  INTEGER NOT NULL CHECK (joined IN (0, 1)),
    state   BLOB NOT NULL,
    members BLOB NOT NULL
) STRICT;

CREATE TABLE group_messages (
    id           INTEGER PRIMARY KEY,
    group_id     BLOB NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    direction    TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    content_type INTEGER NOT NULL,
    sent_at      INTEGER NOT NULL,
    received_at  INTEGER,
    expires_at   INTEGER,
    read_ttl_ms  INTEGER,
    read         INTEGER NOT NULL DEFAULT 0 CHECK (read IN (0, 1)),
    body         BLOB NOT NULL
) STRICT;
CREATE INDEX group_messages_by_group ON group_messages (group_id, id);
CREATE INDEX group_messages_by_expiry ON group_messages (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE group_outbox (
    id         INTEGER PRIMARY KEY,
    group_id   BLOB NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    message_id INTEGER REFERENCES group_messages (id) ON DELETE SET NULL,
    post       BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX group_outbox_by_group ON group_outbox (group_id, id);
";

/// Applies the connection settings: WAL, `synchronous=FULL`, a busy
/// timeout, foreign keys, `secure_delete`.
pub(crate) fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // "wal" for a file, "memory" for an in-memory database.
    let _mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted rows (expired messages, replaced session states) are
    // overwritten with zeros in the database file.
    conn.pragma_update(None, "secure_delete", "ON")?;
    // After a checkpoint the WAL is truncated to at most 4 MiB.
    conn.pragma_update(None, "journal_size_limit", 4_i64 * 1024 * 1024)?;
    Ok(())
}

/// Brings the schema to [`SCHEMA_VERSION`] and checks the storage mode
/// ([`check_storage_mode`]), in one transaction: a database of a newer
/// version, or opened with the wrong key or mode, is refused and left
/// untouched; so is an older database with a row that fails to load (the
/// error names it). Returns the owner sealed blobs are bound to, and
/// whether an older database was migrated.
pub(crate) fn migrate(
    conn: &mut Connection,
    codec: &mut BlobCodec,
) -> Result<(Option<sealwire::IdentityKey>, bool), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found < 1 {
        tx.execute_batch(V1)?;
    }
    check_storage_mode(&tx, codec.key_id())?;
    if (1..2).contains(&found) {
        bind_sealed_blobs(&tx, codec)?;
    }
    if found < 3 {
        tx.execute_batch(V3)?;
        sessions_to_device_sessions(&tx, codec)?;
    }
    if found < 4 {
        tx.execute_batch(V4)?;
    }
    if found < 5 {
        tx.execute_batch(V5)?;
        seal_message_bodies(&tx, codec)?;
    }
    // Future versions: `if found < 6 { ... }`, each step rewriting what
    // the previous version wrote.
    if found != SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    let owner = match codec {
        BlobCodec::Plain => None,
        BlobCodec::Sealed { .. } => rows::stored_owner(&tx)?,
    };
    tx.commit()?;
    Ok((owner, (1..SCHEMA_VERSION).contains(&found)))
}

/// Version 4 to 5: deletes the message rows that carry keys (group key
/// distributions sent or received with `send_content`: their copies'
/// records go with them, their outbox rows keep the ciphertext); in a
/// sealed database, seals every other body bound to its row (STORAGE.md
/// §14) and replaces it. `secure_delete` overwrites the old cells.
fn seal_message_bodies(tx: &Connection, codec: &mut BlobCodec) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM messages WHERE content_type = ?1",
        [i64::from(u8::from(
            sealwire::ContentType::GroupKeyDistribution,
        ))],
    )?;
    if codec.storage_key().is_none() {
        return Ok(());
    }
    let rows: Vec<rows::MessageKey> = {
        let mut stmt = tx.prepare(
            "SELECT id, peer_name, device, direction, content_type, sent_at, to_user
             FROM messages ORDER BY id",
        )?;
        stmt.query_map([], rows::MessageKey::from_row)?
            .collect::<Result<_, _>>()?
    };
    for key in rows {
        let body = zeroize::Zeroizing::new(tx.query_row(
            "SELECT body FROM messages WHERE id = ?1",
            [key.id],
            |row| row.get::<_, Vec<u8>>(0),
        )?);
        let sealed = codec.seal_value(&key.address(), &body);
        tx.execute(
            "UPDATE messages SET body = ?1 WHERE id = ?2",
            params![sealed, key.id],
        )?;
    }
    Ok(())
}

/// Version 1 to 2 (sealed databases): every blob was sealed unbound
/// (`"SWSE"`). Each is opened once through the legacy path
/// (`open_unbound_legacy`: our identity first, whose key becomes the
/// owner, recorded in `meta`), sealed again bound to its row, and
/// replaced. A row that fails to load fails the migration.
fn bind_sealed_blobs(tx: &Connection, codec: &BlobCodec) -> Result<(), StoreError> {
    use sealwire::persist::StateBlob;
    use sealwire::{IdentityKeyPair, PrekeyStore, SessionRecord};

    let Some(key) = codec.storage_key() else {
        return Ok(());
    };
    let mut rng = sealwire::os_rng();
    fn legacy<T: StateBlob>(
        key: &sealwire::persist::StorageKey,
        bytes: &[u8],
        slot: Slot<'_>,
    ) -> Result<T, StoreError> {
        T::open_unbound_legacy(key, bytes).map_err(|error| StoreError::State {
            record: slot.record(),
            error,
        })
    }
    let blob = |sql: &str| -> Result<Option<Vec<u8>>, StoreError> {
        Ok(tx.query_row(sql, [], |row| row.get(0)).optional()?)
    };
    let sessions: Vec<(String, u32, Vec<u8>)> = {
        let mut stmt = tx.prepare("SELECT name, device, blob FROM sessions")?;
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<Result<_, _>>()?
    };
    let identity_blob = blob("SELECT blob FROM local_identity WHERE id = 1")?;
    let prekeys_blob = blob("SELECT blob FROM prekeys WHERE id = 1")?;
    let Some(identity_blob) = identity_blob else {
        // Nothing to bind to: a database without our identity may hold
        // nothing else.
        return if prekeys_blob.is_none() && sessions.is_empty() {
            Ok(())
        } else {
            Err(StoreError::NoIdentity)
        };
    };
    let identity: IdentityKeyPair = legacy(key, &identity_blob, Slot::LocalIdentity)?;
    let owner = *identity.public();
    rows::record_owner(tx, &owner)?;
    let sealed = identity.seal(key, &Slot::LocalIdentity.address(owner), &mut rng);
    tx.execute(
        "UPDATE local_identity SET blob = ?1 WHERE id = 1",
        [&sealed],
    )?;
    if let Some(bytes) = prekeys_blob {
        let prekeys: PrekeyStore = legacy(key, &bytes, Slot::Prekeys)?;
        let sealed = prekeys.seal(key, &Slot::Prekeys.address(owner), &mut rng);
        tx.execute("UPDATE prekeys SET blob = ?1 WHERE id = 1", [&sealed])?;
    }
    for (name, device, bytes) in sessions {
        let peer = sealwire::DeviceAddress::new(name, device);
        let slot = Slot::Session(&peer);
        let record: SessionRecord = legacy(key, &bytes, slot)?;
        let sealed = record.seal(key, &slot.address(owner), &mut rng);
        tx.execute(
            "UPDATE sessions SET blob = ?1 WHERE name = ?2 AND device = ?3",
            params![sealed, peer.name(), peer.device_id()],
        )?;
    }
    Ok(())
}

/// Version 2 to 3: every row of `sessions` held one session (a blob of
/// kind 0x03 or 0x04); it is loaded as device sessions holding it as the
/// current one (STORAGE.md §11), written again as such (kind 0x07; sealed:
/// bound to the same row, with a fresh salt) and replaced. A row that
/// fails to load fails the migration.
fn sessions_to_device_sessions(tx: &Connection, codec: &BlobCodec) -> Result<(), StoreError> {
    use sealwire::devices::DeviceSessions;
    use sealwire::persist::StateBlob;

    let rows: Vec<(String, u32, zeroize::Zeroizing<Vec<u8>>)> = {
        let mut stmt = tx.prepare("SELECT name, device, blob FROM sessions")?;
        stmt.query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                zeroize::Zeroizing::new(row.get(2)?),
            ))
        })?
        .collect::<Result<_, _>>()?
    };
    if rows.is_empty() {
        return Ok(());
    }
    let sealed = match codec.storage_key() {
        // Sessions are saved only once our identity is (its key is the
        // owner every blob is bound to).
        Some(key) => Some((key, rows::stored_owner(tx)?.ok_or(StoreError::NoIdentity)?)),
        None => None,
    };
    let mut rng = sealwire::os_rng();
    for (name, device, bytes) in rows {
        let peer = sealwire::DeviceAddress::new(name, device);
        let slot = Slot::Session(&peer);
        let state = |error| StoreError::State {
            record: slot.record(),
            error,
        };
        let update = |blob: &[u8]| {
            tx.execute(
                "UPDATE sessions SET blob = ?1 WHERE name = ?2 AND device = ?3",
                params![blob, peer.name(), peer.device_id()],
            )
        };
        match sealed {
            Some((key, owner)) => {
                let address = slot.address(owner);
                let sessions = DeviceSessions::unseal(key, &address, &bytes).map_err(state)?;
                update(&sessions.seal(key, &address, &mut rng))?;
            }
            None => {
                let sessions = DeviceSessions::from_blob(&bytes).map_err(state)?;
                update(&sessions.to_blob())?;
            }
        }
    }
    Ok(())
}

/// `meta` key holding the storage key's 8-byte id (empty: unsealed).
const STORAGE_KEY_ID: &str = "storage_key_id";

/// Records the storage mode on first use, then checks that every later
/// opening uses the same: `key_id` is the storage key's id, or `None` for
/// plain blobs.
pub(crate) fn check_storage_mode(
    conn: &Connection,
    key_id: Option<[u8; 8]>,
) -> Result<(), StoreError> {
    let wanted: &[u8] = match &key_id {
        Some(id) => id,
        None => &[],
    };
    let read = || -> Result<Option<Vec<u8>>, StoreError> {
        Ok(conn
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [STORAGE_KEY_ID],
                |row| row.get(0),
            )
            .optional()?)
    };
    let stored = match read()? {
        Some(stored) => stored,
        None => {
            // First opening: record the mode (a concurrent first opening
            // may win the race; its mode is then the one checked).
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
                params![STORAGE_KEY_ID, wanted],
            )?;
            read()?.unwrap_or_default()
        }
    };
    match (stored.as_slice(), key_id) {
        (s, _) if s == wanted => Ok(()),
        ([], Some(_)) => Err(StoreError::PlainDatabase),
        (_, None) => Err(StoreError::SealedDatabase),
        _ => Err(StoreError::WrongStorageKey),
    }
}
