//! Storage traits (STORAGE.md §7): where an app keeps its identity, its
//! prekeys, the identities of its peers, the device list of each user and,
//! per peer device, its [`DeviceSessions`] (the current session and the
//! previous ones). [`MemoryStore`] implements them in memory; the
//! `sealwire-sqlite` crate on SQLite.
//!
//! The core never calls a store by itself (it is sans-I/O): the app loads
//! what a step needs, runs it, and saves the results together, in one
//! transaction where the store has them.

mod memory;

use alloc::vec::Vec;

pub use memory::MemoryStore;

use crate::address::DeviceAddress;

use crate::devices::{DeviceList, DeviceSessions};
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::prekey::PrekeyStore;

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

/// The sessions with each peer device: one [`DeviceSessions`] (current
/// session, previous sessions, recovery state) per [`DeviceAddress`].
///
/// Save a device's sessions whole after every step that changed them
/// (decrypt, encrypt, initiate, a recovery request): a store that kept a
/// single session per device before loads it as the current one
/// (STORAGE.md §11).
pub trait SessionStorage {
    /// The store's error.
    type Error: core::error::Error;

    /// The sessions with a peer device, if any were saved.
    fn load_sessions(&self, address: &DeviceAddress)
    -> Result<Option<DeviceSessions>, Self::Error>;

    /// Saves the sessions with a peer device (replacing what was saved).
    fn save_sessions(
        &mut self,
        address: &DeviceAddress,
        sessions: &DeviceSessions,
    ) -> Result<(), Self::Error>;

    /// Deletes the sessions with a peer device; returns whether there were
    /// any.
    fn delete_sessions(&mut self, address: &DeviceAddress) -> Result<bool, Self::Error>;

    /// The device ids of a peer that we hold sessions with, ascending.
    fn session_devices(&self, name: &str) -> Result<Vec<u32>, Self::Error>;
}

/// The device list of each user ([`DeviceList`], SPEC.md §21.1), by user
/// id: ours (our other devices) and each peer's.
pub trait DeviceListStorage {
    /// The store's error.
    type Error: core::error::Error;

    /// The device list of `user`, if one was saved.
    fn load_device_list(&self, user: &str) -> Result<Option<DeviceList>, Self::Error>;

    /// Saves a device list under its user id (replacing what was saved):
    /// after [`DeviceList::update`] and
    /// [`DeviceList::confirm_identity`].
    fn save_device_list(&mut self, list: &DeviceList) -> Result<(), Self::Error>;

    /// Deletes the device list of `user`; returns whether there was one.
    fn delete_device_list(&mut self, user: &str) -> Result<bool, Self::Error>;
}
