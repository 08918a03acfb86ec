//! Connection settings and the versioned schema (`PRAGMA user_version`).

use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::error::StoreError;

/// The schema version this crate writes and the newest it reads.
pub const SCHEMA_VERSION: i64 = 1;

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

/// Brings the schema to [`SCHEMA_VERSION`], in one transaction. A database
/// of a newer version is refused and left untouched.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
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
    // Future versions: `if found < 2 { tx.execute_batch(V2)?; }`, each step
    // rewriting what the previous version wrote.
    if found != SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    tx.commit()?;
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
