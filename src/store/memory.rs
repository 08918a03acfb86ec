//! [`MemoryStore`]: the storage traits in memory, for tests and for apps
//! that persist by other means.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::convert::Infallible;

use super::{DeviceAddress, DeviceListStorage, IdentityStorage, PrekeyStorage, SessionStorage};
use crate::devices::{DeviceList, DeviceSessions};
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::prekey::PrekeyStore;

/// Every store trait, in memory. Never fails.
#[derive(Clone, Default, PartialEq, Debug)]
pub struct MemoryStore {
    identity: Option<IdentityKeyPair>,
    peers: BTreeMap<DeviceAddress, IdentityKey>,
    prekeys: Option<PrekeyStore>,
    /// Boxed: inserting and removing move entries between the map's nodes
    /// (and free emptied nodes), which would leave copies of inline keys
    /// behind; a box never moves, and its sessions zeroize their keys in
    /// place when they drop (SECURITY.md, "Heap hygiene").
    sessions: BTreeMap<DeviceAddress, Box<DeviceSessions>>,
    /// Public keys only: nothing to wipe.
    device_lists: BTreeMap<String, DeviceList>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl IdentityStorage for MemoryStore {
    type Error = Infallible;

    fn local_identity(&self) -> Result<Option<IdentityKeyPair>, Infallible> {
        Ok(self.identity.clone())
    }

    fn save_local_identity(&mut self, identity: &IdentityKeyPair) -> Result<(), Infallible> {
        self.identity = Some(identity.clone());
        Ok(())
    }

    fn peer_identity(&self, address: &DeviceAddress) -> Result<Option<IdentityKey>, Infallible> {
        Ok(self.peers.get(address).copied())
    }

    fn save_peer_identity(
        &mut self,
        address: &DeviceAddress,
        key: &IdentityKey,
    ) -> Result<Option<IdentityKey>, Infallible> {
        Ok(self
            .peers
            .insert(address.clone(), *key)
            .filter(|old| old != key))
    }
}

impl PrekeyStorage for MemoryStore {
    type Error = Infallible;

    fn load_prekeys(&self) -> Result<Option<PrekeyStore>, Infallible> {
        Ok(self.prekeys.clone())
    }

    fn save_prekeys(&mut self, prekeys: &PrekeyStore) -> Result<(), Infallible> {
        self.prekeys = Some(prekeys.clone());
        Ok(())
    }
}

impl SessionStorage for MemoryStore {
    type Error = Infallible;

    fn load_sessions(&self, address: &DeviceAddress) -> Result<Option<DeviceSessions>, Infallible> {
        Ok(self.sessions.get(address).map(|s| DeviceSessions::clone(s)))
    }

    fn save_sessions(
        &mut self,
        address: &DeviceAddress,
        sessions: &DeviceSessions,
    ) -> Result<(), Infallible> {
        match self.sessions.get_mut(address) {
            // Overwritten in place: the old keys are zeroized as they drop.
            Some(held) => **held = sessions.clone(),
            None => {
                self.sessions
                    .insert(address.clone(), Box::new(sessions.clone()));
            }
        }
        Ok(())
    }

    fn delete_sessions(&mut self, address: &DeviceAddress) -> Result<bool, Infallible> {
        Ok(self.sessions.remove(address).is_some())
    }

    fn session_devices(&self, name: &str) -> Result<Vec<u32>, Infallible> {
        Ok(self
            .sessions
            .keys()
            .filter(|a| a.name() == name)
            .map(DeviceAddress::device_id)
            .collect())
    }
}

impl DeviceListStorage for MemoryStore {
    type Error = Infallible;

    fn load_device_list(&self, user: &str) -> Result<Option<DeviceList>, Infallible> {
        Ok(self.device_lists.get(user).cloned())
    }

    fn save_device_list(&mut self, list: &DeviceList) -> Result<(), Infallible> {
        self.device_lists
            .insert(String::from(list.user()), list.clone());
        Ok(())
    }

    fn delete_device_list(&mut self, user: &str) -> Result<bool, Infallible> {
        Ok(self.device_lists.remove(user).is_some())
    }
}
