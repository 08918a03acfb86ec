//! [`SqliteStore`]: opening, the store traits, identity and prekeys.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};
use sealwire::DeviceAddress;
use sealwire::devices::{DeviceEvent, DeviceList, DeviceSessions};
use sealwire::persist::StorageKey;
use sealwire::store::{DeviceListStorage, IdentityStorage, PrekeyStorage, SessionStorage};
use sealwire::{IdentityKey, IdentityKeyPair, PrekeyStore};

use crate::codec::BlobCodec;
use crate::error::StoreError;
use crate::{rows, schema};

/// sealwire's state and an app's messages in one SQLite database.
///
/// Implements [`IdentityStorage`], [`PrekeyStorage`], [`SessionStorage`]
/// (a [`DeviceSessions`] per peer device) and [`DeviceListStorage`]; the
/// helpers [`receive`](Self::receive), [`send`](Self::send) and
/// [`send_to_user`](Self::send_to_user) run a whole step (decrypt or
/// encrypt, store the message, store the new session state) in one
/// transaction, and so do the steps of a recovery request
/// ([`recovery_request`](Self::recovery_request),
/// [`accept_recovery_request`](Self::accept_recovery_request),
/// [`resend`](Self::resend)). See the crate documentation for the tables
/// and the guarantees.
#[derive(Debug)]
pub struct SqliteStore {
    pub(crate) conn: Connection,
    pub(crate) codec: BlobCodec,
}

impl SqliteStore {
    /// Opens (or creates) the database at `path`, state blobs and message
    /// bodies unsealed: for a database that is encrypted as a whole, or
    /// for tests.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::with_connection(Connection::open(path)?, BlobCodec::Plain)
    }

    /// Opens (or creates) the database at `path`, every state blob sealed
    /// under `key` (AES-256-GCM, a fresh salt per blob) and bound to its
    /// row: our identity key, the table and the row's key (the peer's
    /// name and device id, or the user id of a device list; STORAGE.md
    /// §1). A blob moved into another row
    /// fails to load with [`StateError::WrongAddress`](sealwire::persist::StateError::WrongAddress).
    /// A database created with another key fails with
    /// [`StoreError::WrongStorageKey`], one created unsealed with
    /// [`StoreError::PlainDatabase`]. A database of an older schema
    /// version (1: blobs sealed unbound; 1 and 2: one session per device)
    /// is migrated once, in one transaction.
    ///
    /// The first identity saved becomes the owner every blob is bound to;
    /// another one is refused ([`StoreError::OtherIdentity`]), and no
    /// prekeys or session can be saved before it ([`StoreError::NoIdentity`]).
    ///
    /// Every value the store writes that is not public is sealed too
    /// (schema version 5): message bodies, group message bodies and
    /// member lists, each bound to its row (STORAGE.md §14; a value moved
    /// to another row is [`StoreError::SealedRow`]). What stays in clear
    /// (peer names, times, sizes...) is listed in SECURITY.md.
    pub fn open_sealed(path: impl AsRef<Path>, key: StorageKey) -> Result<Self, StoreError> {
        let codec = BlobCodec::Sealed {
            key,
            rng: sealwire::os_rng(),
            owner: None,
        };
        Self::with_connection(Connection::open(path)?, codec)
    }

    /// A fresh in-memory database, state blobs unsealed (tests, caches).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::with_connection(Connection::open_in_memory()?, BlobCodec::Plain)
    }

    fn with_connection(mut conn: Connection, mut codec: BlobCodec) -> Result<Self, StoreError> {
        schema::configure(&conn)?;
        let (owner, migrated) = schema::migrate(&mut conn, &mut codec)?;
        codec.set_owner(owner);
        let store = Self { conn, codec };
        if migrated {
            // The pages that held the old rows (plaintext bodies, key
            // distributions) leave the write-ahead log.
            store.checkpoint()?;
        }
        Ok(store)
    }

    /// The underlying connection, for the app's own queries. Writing to
    /// the tables of this crate bypasses its guarantees.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The schema version of the database (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?)
    }

    /// Copies the write-ahead log into the database file and truncates it,
    /// so that deleted content (expired messages, old session states) no
    /// longer lingers in the `-wal` file. Best effort while other
    /// connections read.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Creates our identity and prekey store with `one_time_prekeys`
    /// one-time prekeys, unless they exist; returns our identity key. One
    /// transaction: a crash leaves either both or neither.
    pub fn initialize<R: sealwire::rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        one_time_prekeys: usize,
    ) -> Result<IdentityKey, StoreError> {
        let before = self.codec.owner();
        let result = self.initialize_in_tx(rng, one_time_prekeys);
        if result.is_err() {
            self.codec.set_owner(before);
        }
        result
    }

    fn initialize_in_tx<R: sealwire::rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        one_time_prekeys: usize,
    ) -> Result<IdentityKey, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let identity = match rows::local_identity(&tx, &self.codec)? {
            Some(identity) => identity,
            None => {
                let identity = IdentityKeyPair::generate(rng);
                rows::save_local_identity(&tx, &mut self.codec, &identity)?;
                identity
            }
        };
        if rows::prekeys(&tx, &self.codec)?.is_none() {
            let mut prekeys = PrekeyStore::new(&identity, rng);
            prekeys.generate_one_time_prekeys(rng, one_time_prekeys);
            rows::save_prekeys(&tx, &mut self.codec, &prekeys)?;
        }
        tx.commit()?;
        Ok(*identity.public())
    }

    /// Our prekey bundle, encoded for publishing: the current signed prekey
    /// and the lowest-numbered one-time prekey still held. When none is
    /// left, `refill` new ones are generated (and saved) first; with
    /// `refill == 0` the bundle then has no one-time prekey.
    pub fn bundle<R: sealwire::rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        refill: usize,
    ) -> Result<Vec<u8>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let identity = rows::local_identity(&tx, &self.codec)?.ok_or(StoreError::NoIdentity)?;
        let mut prekeys = rows::prekeys(&tx, &self.codec)?.ok_or(StoreError::NoPrekeys)?;
        if prekeys.one_time_prekey_count() == 0 && refill > 0 {
            prekeys.generate_one_time_prekeys(rng, refill);
            rows::save_prekeys(&tx, &mut self.codec, &prekeys)?;
        }
        let opk = prekeys.one_time_prekeys().iter().map(|o| o.id).min();
        let bundle = prekeys
            .bundle(&identity, opk)
            .map_err(|_| StoreError::NoPrekeys)?
            .to_vec();
        tx.commit()?;
        Ok(bundle)
    }

    /// Every peer device we hold sessions with, ordered by name and
    /// device.
    pub fn session_addresses(&self) -> Result<Vec<DeviceAddress>, StoreError> {
        rows::session_addresses(&self.conn)
    }

    /// Replaces the device list of `user` with `devices` (the whole list,
    /// as the server now has it; see [`DeviceList::update`]) and saves it,
    /// in one transaction; a user without a stored list starts from an
    /// empty one. Returns what changed: show `Added` and `IdentityChanged`
    /// to the user. On error nothing changed.
    ///
    /// Once a user has a device list, [`receive`](Self::receive),
    /// [`send`](Self::send) and [`start_session`](Self::start_session)
    /// take each device's identity key from it.
    pub fn update_device_list(
        &mut self,
        user: &str,
        devices: &[(u32, IdentityKey)],
    ) -> Result<Vec<DeviceEvent>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut list = match rows::device_list(&tx, &self.codec, user)? {
            Some(list) => list,
            None => DeviceList::new(user)?,
        };
        let events = list.update(devices)?;
        rows::save_device_list(&tx, &mut self.codec, &list)?;
        tx.commit()?;
        Ok(events)
    }

    /// Confirms the identity key a device of `user` announced (see
    /// [`DeviceList::confirm_identity`]) and saves the list, in one
    /// transaction. From then on only sessions with the new key send and
    /// receive; start one with [`start_session`](Self::start_session). On
    /// error nothing changed.
    pub fn confirm_identity(
        &mut self,
        user: &str,
        device: u32,
        key: &IdentityKey,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut list = rows::device_list(&tx, &self.codec, user)?
            .ok_or(sealwire::devices::DeviceError::UnknownDevice(device))?;
        list.confirm_identity(device, key)?;
        rows::save_device_list(&tx, &mut self.codec, &list)?;
        tx.commit()?;
        Ok(())
    }
}

impl IdentityStorage for SqliteStore {
    type Error = StoreError;

    fn local_identity(&self) -> Result<Option<IdentityKeyPair>, StoreError> {
        rows::local_identity(&self.conn, &self.codec)
    }

    fn save_local_identity(&mut self, identity: &IdentityKeyPair) -> Result<(), StoreError> {
        let before = self.codec.owner();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let result = rows::save_local_identity(&tx, &mut self.codec, identity)
            .and_then(|()| Ok(tx.commit()?));
        if result.is_err() {
            self.codec.set_owner(before);
        }
        result
    }

    fn peer_identity(&self, address: &DeviceAddress) -> Result<Option<IdentityKey>, StoreError> {
        rows::peer_identity(&self.conn, address)
    }

    fn save_peer_identity(
        &mut self,
        address: &DeviceAddress,
        key: &IdentityKey,
    ) -> Result<Option<IdentityKey>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let previous = rows::save_peer_identity(&tx, address, key)?;
        tx.commit()?;
        Ok(previous)
    }
}

impl PrekeyStorage for SqliteStore {
    type Error = StoreError;

    fn load_prekeys(&self) -> Result<Option<PrekeyStore>, StoreError> {
        rows::prekeys(&self.conn, &self.codec)
    }

    fn save_prekeys(&mut self, prekeys: &PrekeyStore) -> Result<(), StoreError> {
        rows::save_prekeys(&self.conn, &mut self.codec, prekeys)
    }
}

impl SessionStorage for SqliteStore {
    type Error = StoreError;

    fn load_sessions(&self, address: &DeviceAddress) -> Result<Option<DeviceSessions>, StoreError> {
        rows::sessions(&self.conn, &self.codec, address)
    }

    fn save_sessions(
        &mut self,
        address: &DeviceAddress,
        sessions: &DeviceSessions,
    ) -> Result<(), StoreError> {
        rows::save_sessions(&self.conn, &mut self.codec, address, sessions)
    }

    fn delete_sessions(&mut self, address: &DeviceAddress) -> Result<bool, StoreError> {
        rows::delete_sessions(&self.conn, address)
    }

    fn session_devices(&self, name: &str) -> Result<Vec<u32>, StoreError> {
        rows::session_devices(&self.conn, name)
    }
}

impl DeviceListStorage for SqliteStore {
    type Error = StoreError;

    fn load_device_list(&self, user: &str) -> Result<Option<DeviceList>, StoreError> {
        rows::device_list(&self.conn, &self.codec, user)
    }

    fn save_device_list(&mut self, list: &DeviceList) -> Result<(), StoreError> {
        rows::save_device_list(&self.conn, &mut self.codec, list)
    }

    fn delete_device_list(&mut self, user: &str) -> Result<bool, StoreError> {
        rows::delete_device_list(&self.conn, user)
    }
}
