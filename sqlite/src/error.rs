//! [`StoreError`]: every way the store can fail, one variant per cause.

use std::fmt;

use rusqlite::ErrorCode;
use sealwire::DeviceAddress;
use sealwire::devices::DeviceError;
use sealwire::group::{GroupError, GroupId};
use sealwire::{BundleError, DecodeError, SessionError, persist::StateError};

/// The stored state a blob belongs to, named in [`StoreError::State`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateRecord {
    /// Our identity (table `local_identity`).
    LocalIdentity,
    /// Our prekey store (table `prekeys`).
    Prekeys,
    /// The sessions with a peer device (table `sessions`).
    Session(DeviceAddress),
    /// The device list of a user (table `device_lists`).
    DeviceList(String),
    /// The state of a group or channel (table `groups`).
    Group(GroupId),
}

impl fmt::Display for StateRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LocalIdentity => f.write_str("local identity"),
            Self::Prekeys => f.write_str("prekey store"),
            Self::Session(address) => write!(f, "sessions with {address}"),
            Self::DeviceList(user) => write!(f, "device list of {user}"),
            Self::Group(id) => write!(f, "state of group {id:?}"),
        }
    }
}

/// An error of [`SqliteStore`](crate::SqliteStore).
///
/// A failed call never leaves a partial write behind: every method that
/// writes runs in one SQLite transaction, rolled back on any error. A row
/// that fails to load is reported, never deleted or rewritten.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite failed (I/O, a full disk, a lock held past the busy timeout,
    /// a constraint...).
    Sqlite(rusqlite::Error),
    /// The file is not an SQLite database (its header is wrong or it was
    /// overwritten).
    NotADatabase(rusqlite::Error),
    /// SQLite found the database file damaged (for example truncated).
    CorruptDatabase(rusqlite::Error),
    /// The database was written by a newer version of this crate
    /// (`PRAGMA user_version` above what this version knows).
    SchemaTooNew {
        /// The schema version found in the file.
        found: i64,
        /// The newest schema version this crate reads.
        supported: i64,
    },
    /// The database seals its state under a storage key: open it with
    /// [`SqliteStore::open_sealed`](crate::SqliteStore::open_sealed).
    SealedDatabase,
    /// The database keeps its state unsealed but was opened with a storage
    /// key.
    PlainDatabase,
    /// The database's state is sealed under another storage key.
    WrongStorageKey,
    /// A stored state blob failed to load: of the wrong kind, from a newer
    /// version, sealed under another key, truncated, corrupted... The row
    /// is left as it is.
    State {
        /// Which state.
        record: StateRecord,
        /// Why it failed to load.
        error: StateError,
    },
    /// A stored peer identity key is not a valid key. The row is left as
    /// it is.
    PeerIdentity {
        /// The peer device.
        address: DeviceAddress,
        /// Why the key is invalid.
        error: DecodeError,
    },
    /// A value sealed in a row (a message body, a group's member list...)
    /// failed to open: damaged, moved from another row or conversation
    /// (its associated data names the row it was written for), or sealed
    /// under another storage key. One error for every authentication
    /// failure; the row is left as it is.
    SealedRow {
        /// The table.
        table: &'static str,
        /// The row's id (rowid).
        row_id: i64,
        /// Why it failed to open: [`StateError::Corrupted`] (damaged or
        /// moved), [`StateError::WrongStorageKey`],
        /// [`StateError::Truncated`] or
        /// [`StateError::UnsupportedVersion`].
        error: StateError,
    },
    /// A row holds a value this crate never writes (an unknown direction or
    /// content type, a negative time...).
    InvalidRow {
        /// The table.
        table: &'static str,
        /// The row's id (rowid).
        row_id: i64,
    },
    /// The session refused the operation (decryption failed, a message
    /// from an unknown session...). Nothing was written.
    Session(SessionError),
    /// A prekey bundle could not be used.
    Bundle(BundleError),
    /// The stored device list of the peer refuses the step: the device is
    /// not in it ([`DeviceError::UnknownDevice`]: update the list, then
    /// receive the message again), or its identity key changed and the
    /// change is not confirmed ([`DeviceError::UnconfirmedIdentity`]).
    /// Nothing changed.
    Device(DeviceError),
    /// No local identity is stored yet (see
    /// [`SqliteStore::initialize`](crate::SqliteStore::initialize)).
    NoIdentity,
    /// No prekey store is stored yet.
    NoPrekeys,
    /// A sealed database binds its state to the identity first saved in
    /// it: another identity cannot replace it. Nothing changed.
    OtherIdentity,
    /// No usable session with this peer device: none, or none with the
    /// identity key its device list (or, without one, the identity recorded
    /// for it) holds; and the message cannot start one (it is not a prekey
    /// message). Nothing changed.
    NoSession(DeviceAddress),
    /// A prekey message of a session that was accepted before and is no
    /// longer held (deleted, or dropped past the
    /// [`MAX_PREVIOUS_SESSIONS`](sealwire::limits::MAX_PREVIOUS_SESSIONS)
    /// previous sessions): a very late message of that session, or a
    /// replay. Refused so that an old session never comes back; nothing
    /// changed. Drop the message.
    StaleSession(DeviceAddress),
    /// No device list is stored for this user: a message to every device
    /// of a user needs one (see
    /// [`update_device_list`](crate::SqliteStore::update_device_list)).
    NoDeviceList(String),
    /// No group or channel with this id is stored (see
    /// [`create_group`](crate::SqliteStore::create_group)).
    NoGroup(GroupId),
    /// The group refused the step (a forged or replayed post, a member
    /// already added...); nothing changed.
    Group(GroupError),
    /// The group's role does not allow the step: a channel's owner
    /// receives no post, a subscriber posts nothing and has no members.
    WrongRole(GroupId),
    /// The group was created or joined already.
    GroupExists(GroupId),
    /// The group was created from a received distribution and is not
    /// joined yet ([`join_group`](crate::SqliteStore::join_group)): we
    /// have sent no chain, and take no membership step.
    NotJoined(GroupId),
}

impl StoreError {
    /// Whether this receive error means the sender's session is gone on
    /// our side (or the message is forged): no session takes the message
    /// ([`NoSession`](Self::NoSession), which includes a prekey message
    /// whose prekeys are gone), a prekey message of a session no longer
    /// held ([`StaleSession`](Self::StaleSession)), or a message no held
    /// session authenticates
    /// ([`SessionError::AuthenticationFailed`]). The sender may still be
    /// sending in that session: ask it to start over with
    /// [`recovery_request`](crate::SqliteStore::recovery_request) (SPEC.md
    /// §21.4; rate-limited, so a forger gains nothing), and drop the
    /// message.
    pub fn is_lost_session(&self) -> bool {
        matches!(
            self,
            Self::NoSession(_)
                | Self::StaleSession(_)
                | Self::Session(SessionError::AuthenticationFailed)
        )
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(e) => write!(f, "SQLite error: {e}"),
            Self::NotADatabase(e) => write!(f, "not an SQLite database: {e}"),
            Self::CorruptDatabase(e) => write!(f, "database file corrupted: {e}"),
            Self::SchemaTooNew { found, supported } => write!(
                f,
                "database schema version {found} is newer than the newest supported ({supported})"
            ),
            Self::SealedDatabase => {
                f.write_str("database state is sealed: open it with its storage key")
            }
            Self::PlainDatabase => {
                f.write_str("database state is not sealed: open it without a key")
            }
            Self::WrongStorageKey => {
                f.write_str("database state is sealed under another storage key")
            }
            Self::State { record, error } => write!(f, "stored {record} failed to load: {error}"),
            Self::PeerIdentity { address, error } => {
                write!(f, "stored identity key of {address} is invalid: {error}")
            }
            Self::InvalidRow { table, row_id } => {
                write!(f, "row {row_id} of table {table} holds an invalid value")
            }
            Self::Session(e) => write!(f, "session error: {e}"),
            Self::Bundle(e) => write!(f, "prekey bundle error: {e}"),
            Self::Device(e) => write!(f, "device list: {e}"),
            Self::NoIdentity => f.write_str("no local identity stored"),
            Self::NoPrekeys => f.write_str("no prekey store stored"),
            Self::OtherIdentity => f.write_str(
                "the sealed database is bound to another identity: it cannot be replaced",
            ),
            Self::NoSession(address) => write!(f, "no session with {address}"),
            Self::StaleSession(address) => write!(
                f,
                "prekey message of an earlier session with {address}, no longer held"
            ),
            Self::NoDeviceList(user) => write!(f, "no device list stored for {user}"),
            Self::NoGroup(id) => write!(f, "no group {id:?} stored"),
            Self::Group(e) => write!(f, "group error: {e}"),
            Self::WrongRole(id) => write!(f, "our role in group {id:?} does not allow this"),
            Self::GroupExists(id) => write!(f, "group {id:?} was created or joined already"),
            Self::NotJoined(id) => write!(f, "group {id:?} is not joined yet"),
            Self::SealedRow {
                table,
                row_id,
                error,
            } => write!(
                f,
                "sealed value in row {row_id} of table {table} failed to open: {error}"
            ),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Sqlite(e) | Self::NotADatabase(e) | Self::CorruptDatabase(e) => Some(e),
            Self::State { error, .. } | Self::SealedRow { error, .. } => Some(error),
            Self::Group(e) => Some(e),
            Self::PeerIdentity { error, .. } => Some(error),
            Self::Session(e) => Some(e),
            Self::Bundle(e) => Some(e),
            Self::Device(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => Self::NotADatabase(e),
            Some(ErrorCode::DatabaseCorrupt) => Self::CorruptDatabase(e),
            _ => Self::Sqlite(e),
        }
    }
}

impl From<SessionError> for StoreError {
    fn from(e: SessionError) -> Self {
        Self::Session(e)
    }
}

impl From<DeviceError> for StoreError {
    fn from(e: DeviceError) -> Self {
        Self::Device(e)
    }
}

impl From<GroupError> for StoreError {
    fn from(e: GroupError) -> Self {
        Self::Group(e)
    }
}

impl From<BundleError> for StoreError {
    fn from(e: BundleError) -> Self {
        Self::Bundle(e)
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    fn alice() -> DeviceAddress {
        DeviceAddress::new("alice", 2)
    }

    #[test]
    fn a_lost_session_is_no_session_a_stale_one_or_a_failed_authentication() {
        assert!(StoreError::NoSession(alice()).is_lost_session());
        assert!(StoreError::StaleSession(alice()).is_lost_session());
        assert!(StoreError::Session(SessionError::AuthenticationFailed).is_lost_session());
        for other in [
            StoreError::Session(SessionError::DuplicateMessage),
            StoreError::NoIdentity,
            StoreError::NoDeviceList("alice".into()),
            StoreError::WrongStorageKey,
        ] {
            assert!(!other.is_lost_session(), "{other:?}");
        }
    }

    #[test]
    fn messages_name_the_record_and_the_cause() {
        let group = GroupId::from_bytes([7; 16]);
        let cases: [(StoreError, &str); 6] = [
            (
                StoreError::State {
                    record: StateRecord::Session(alice()),
                    error: StateError::Truncated,
                },
                "stored sessions with alice.2 failed to load: ",
            ),
            (
                StoreError::State {
                    record: StateRecord::DeviceList("bob".into()),
                    error: StateError::Truncated,
                },
                "stored device list of bob failed to load: ",
            ),
            (
                StoreError::State {
                    record: StateRecord::Prekeys,
                    error: StateError::Truncated,
                },
                "stored prekey store failed to load: ",
            ),
            (
                StoreError::State {
                    record: StateRecord::LocalIdentity,
                    error: StateError::Truncated,
                },
                "stored local identity failed to load: ",
            ),
            (StoreError::NoSession(alice()), "no session with alice.2"),
            (
                StoreError::NotJoined(group),
                "group GroupId(07070707070707070707070707070707) is not joined yet",
            ),
        ];
        for (error, start) in cases {
            let shown = error.to_string();
            assert!(shown.starts_with(start), "{shown:?} should start {start:?}");
        }
        let group_state = StoreError::State {
            record: StateRecord::Group(group),
            error: StateError::Truncated,
        }
        .to_string();
        assert!(
            group_state.starts_with("stored state of group "),
            "{group_state}"
        );
    }

    #[test]
    fn the_source_is_the_wrapped_error_and_only_that() {
        let sqlite = || rusqlite::Error::QueryReturnedNoRows;
        let wrapping: [(StoreError, String); 10] = [
            (StoreError::Sqlite(sqlite()), sqlite().to_string()),
            (StoreError::NotADatabase(sqlite()), sqlite().to_string()),
            (StoreError::CorruptDatabase(sqlite()), sqlite().to_string()),
            (
                StoreError::State {
                    record: StateRecord::Prekeys,
                    error: StateError::Truncated,
                },
                StateError::Truncated.to_string(),
            ),
            (
                StoreError::SealedRow {
                    table: "messages",
                    row_id: 3,
                    error: StateError::Corrupted,
                },
                StateError::Corrupted.to_string(),
            ),
            (
                StoreError::Group(GroupError::WrongGroup),
                GroupError::WrongGroup.to_string(),
            ),
            (
                StoreError::PeerIdentity {
                    address: alice(),
                    error: DecodeError::Truncated,
                },
                DecodeError::Truncated.to_string(),
            ),
            (
                StoreError::Session(SessionError::DuplicateMessage),
                SessionError::DuplicateMessage.to_string(),
            ),
            (
                StoreError::Bundle(BundleError::InvalidSignature),
                BundleError::InvalidSignature.to_string(),
            ),
            (
                StoreError::Device(DeviceError::TooManyDevices),
                DeviceError::TooManyDevices.to_string(),
            ),
        ];
        for (error, cause) in wrapping {
            assert_eq!(
                error.source().map(ToString::to_string),
                Some(cause),
                "{error:?}"
            );
        }
        for plain in [
            StoreError::NoIdentity,
            StoreError::NoSession(alice()),
            StoreError::WrongStorageKey,
            StoreError::InvalidRow {
                table: "messages",
                row_id: 1,
            },
        ] {
            assert!(plain.source().is_none(), "{plain:?}");
        }
    }
}
