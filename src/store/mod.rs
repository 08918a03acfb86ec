//! Storage traits (STORAGE.md §7): where an app keeps its identity, its
//! prekeys, the identities of its peers and one [`SessionRecord`] per peer
//! device. [`MemoryStore`] implements them in memory; the
//! `sealwire-sqlite` crate on SQLite.
//!
//! The core never calls a store by itself (it is sans-I/O): the app loads
//! what a step needs, runs it, and saves the results together, in one
//! transaction where the store has them.

mod memory;

use alloc::vec::Vec;

pub use memory::MemoryStore;

use crate::address::DeviceAddress;

use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::prekey::PrekeyStore;
use crate::session::SessionRecord;

/// Our identity and the identities we have seen for peers.
pub trait IdentityStorage {
    /// The store's error.
    type Error: core::error::Error;

    /// Our identity, if one was saved.
    fn local_identity(&self) -> Result<Option<IdentityKeyPair>, Self::Error>;

    /// Saves our identity (replacing any).
    fn save_local_identity(&mut self, identity: &IdentityKeyPair) -> Result<(), Self::Error>;

    /// The identity key last recorded for a peer device.
    fn peer_identity(&self, address: &DeviceAddress) -> Result<Option<IdentityKey>, Self::Error>;

    /// Records a peer device's identity key; returns the key it replaced,
    /// if different (a changed identity: show the user the new safety
    /// number).
    fn save_peer_identity(
        &mut self,
        address: &DeviceAddress,
        key: &IdentityKey,
    ) -> Result<Option<IdentityKey>, Self::Error>;
}

/// Our prekeys.
pub trait PrekeyStorage {
    /// The store's error.
    type Error: core::error::Error;

    /// The prekey store, if one was saved.
    fn load_prekeys(&self) -> Result<Option<PrekeyStore>, Self::Error>;

    /// Saves the prekey store (after generating prekeys, rotating the signed
    /// prekey, or accepting a session, which consumes a one-time prekey).
    fn save_prekeys(&mut self, prekeys: &PrekeyStore) -> Result<(), Self::Error>;
}

/// One session record per peer device.
pub trait SessionStorage {
    /// The store's error.
    type Error: core::error::Error;

    /// The session with a peer device, if any.
    fn load_session(&self, address: &DeviceAddress) -> Result<Option<SessionRecord>, Self::Error>;

    /// Saves the session with a peer device (replacing any).
    fn save_session(
        &mut self,
        address: &DeviceAddress,
        record: &SessionRecord,
    ) -> Result<(), Self::Error>;

    /// Deletes the session with a peer device; returns whether there was
    /// one.
    fn delete_session(&mut self, address: &DeviceAddress) -> Result<bool, Self::Error>;

    /// The device ids of a peer that we hold sessions with, ascending.
    fn session_devices(&self, name: &str) -> Result<Vec<u32>, Self::Error>;
}
