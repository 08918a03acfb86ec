//! [`DeviceList`]: the devices of one user, as the app last learned them,
//! with identity changes held until the app confirms them.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::address::DeviceAddress;
use crate::devices::error::DeviceError;
use crate::identity::IdentityKey;
use crate::limits::{MAX_DEVICES_PER_USER, MAX_USER_ID_LEN};

/// What a device list update changed: show `Added` and `IdentityChanged`
/// to the user as Signal shows a new device or a changed safety number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceEvent {
    /// A device that was not in the list, with its identity key (trusted
    /// on first use).
    Added {
        /// The device id.
        device: u32,
        /// Its identity key.
        identity: IdentityKey,
    },
    /// A device left the list.
    Removed {
        /// The device id.
        device: u32,
    },
    /// A device of the list announced a different identity key. The old
    /// key stays the device's key, and nothing is sent to or accepted from
    /// the new one, until the app calls
    /// [`DeviceList::confirm_identity`].
    IdentityChanged {
        /// The device id.
        device: u32,
        /// The key held until now.
        old: IdentityKey,
        /// The key announced.
        new: IdentityKey,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct DeviceEntry {
    pub(crate) identity: IdentityKey,
    /// An announced identity key the app has not confirmed yet.
    pub(crate) announced: Option<IdentityKey>,
}

/// The devices of one user (SPEC.md §21.1): device id → identity key.
///
/// The app updates it from its server ([`update`](Self::update)) and
/// confirms identity changes ([`confirm_identity`](Self::confirm_identity));
/// [`DeviceSessions`](crate::devices::DeviceSessions) and
/// [`encrypt_for_devices`](crate::devices::encrypt_for_devices) use its
/// confirmed keys only. For our own user, the list names our other devices
/// (the ones that should see what we send).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DeviceList {
    user: String,
    devices: BTreeMap<u32, DeviceEntry>,
}

impl DeviceList {
    /// An empty list for `user`; [`DeviceError::TooManyDevices`] if the
    /// id is longer than [`MAX_USER_ID_LEN`] bytes.
    pub fn new(user: impl Into<String>) -> Result<Self, DeviceError> {
        let user = user.into();
        if user.len() > MAX_USER_ID_LEN {
            return Err(DeviceError::TooManyDevices);
        }
        Ok(Self {
            user,
            devices: BTreeMap::new(),
        })
    }

    /// The user id.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The address of one of the user's devices.
    pub fn address(&self, device: u32) -> DeviceAddress {
        DeviceAddress::new(self.user.clone(), device)
    }

    /// How many devices the list holds.
    pub fn len(&self) -> usize {
        self.devices.len()
    }

    /// Whether the list holds no device.
    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    /// The device ids, ascending, with their confirmed identity keys.
    pub fn devices(&self) -> impl Iterator<Item = (u32, &IdentityKey)> + '_ {
        self.devices.iter().map(|(id, e)| (*id, &e.identity))
    }

    /// A device's confirmed identity key.
    pub fn identity(&self, device: u32) -> Option<&IdentityKey> {
        self.devices.get(&device).map(|e| &e.identity)
    }

    /// A device's announced, not yet confirmed, identity key.
    pub fn announced_identity(&self, device: u32) -> Option<&IdentityKey> {
        self.devices.get(&device).and_then(|e| e.announced.as_ref())
    }

    /// The confirmed key of a device that has no change waiting:
    /// [`DeviceError::UnknownDevice`] or
    /// [`DeviceError::UnconfirmedIdentity`] otherwise.
    pub fn trusted_identity(&self, device: u32) -> Result<&IdentityKey, DeviceError> {
        let entry = self
            .devices
            .get(&device)
            .ok_or(DeviceError::UnknownDevice(device))?;
        match entry.announced {
            Some(_) => Err(DeviceError::UnconfirmedIdentity(self.address(device))),
            None => Ok(&entry.identity),
        }
    }

    /// Replaces the list with `devices` (the user's whole device list, as
    /// the server now has it) and returns what changed, ascending by
    /// device. A new device is added with its key; a device not named is
    /// removed; a device named with a different key keeps its old key and
    /// records the new one as announced ([`DeviceEvent::IdentityChanged`],
    /// once per announced key). On error nothing changed.
    pub fn update(
        &mut self,
        devices: &[(u32, IdentityKey)],
    ) -> Result<Vec<DeviceEvent>, DeviceError> {
        if devices.len() > MAX_DEVICES_PER_USER {
            return Err(DeviceError::TooManyDevices);
        }
        let mut next: BTreeMap<u32, DeviceEntry> = BTreeMap::new();
        let mut events = Vec::new();
        for (device, key) in devices {
            let entry = match self.devices.get(device) {
                None => {
                    events.push(DeviceEvent::Added {
                        device: *device,
                        identity: *key,
                    });
                    DeviceEntry {
                        identity: *key,
                        announced: None,
                    }
                }
                Some(old) if old.identity == *key => DeviceEntry {
                    identity: old.identity,
                    announced: None,
                },
                Some(old) => {
                    if old.announced != Some(*key) {
                        events.push(DeviceEvent::IdentityChanged {
                            device: *device,
                            old: old.identity,
                            new: *key,
                        });
                    }
                    DeviceEntry {
                        identity: old.identity,
                        announced: Some(*key),
                    }
                }
            };
            if next.insert(*device, entry).is_some() {
                return Err(DeviceError::DuplicateDevice(*device));
            }
        }
        for device in self.devices.keys() {
            if !next.contains_key(device) {
                events.push(DeviceEvent::Removed { device: *device });
            }
        }
        events.sort_by_key(|e| match e {
            DeviceEvent::Added { device, .. }
            | DeviceEvent::Removed { device }
            | DeviceEvent::IdentityChanged { device, .. } => *device,
        });
        self.devices = next;
        Ok(events)
    }

    /// Accepts the identity key a device announced: from now on it is the
    /// device's key (sessions with the old key are no longer used to send
    /// or receive). `key` must be the announced key, else
    /// [`DeviceError::NoPendingChange`] and nothing changed.
    pub fn confirm_identity(&mut self, device: u32, key: &IdentityKey) -> Result<(), DeviceError> {
        let entry = self
            .devices
            .get_mut(&device)
            .ok_or(DeviceError::UnknownDevice(device))?;
        match entry.announced {
            Some(announced) if announced == *key => {
                entry.identity = announced;
                entry.announced = None;
                Ok(())
            }
            _ => Err(DeviceError::NoPendingChange(device)),
        }
    }

    /// For state blobs: the entries.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (u32, &DeviceEntry)> + '_ {
        self.devices.iter().map(|(id, e)| (*id, e))
    }

    /// For state blobs: a list from stored entries (checked against the
    /// limits by the caller).
    pub(crate) fn from_entries(user: String, devices: BTreeMap<u32, DeviceEntry>) -> Self {
        Self { user, devices }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::IdentityKeyPair;

    fn key(seed: u8) -> IdentityKey {
        *IdentityKeyPair::from_seed(&[seed; 32]).public()
    }

    #[test]
    fn update_reports_added_removed_and_changed_and_holds_changes() {
        let mut list = DeviceList::new("alice").unwrap();
        let events = list.update(&[(1, key(1)), (2, key(2))]).unwrap();
        assert_eq!(
            events,
            [
                DeviceEvent::Added {
                    device: 1,
                    identity: key(1)
                },
                DeviceEvent::Added {
                    device: 2,
                    identity: key(2)
                },
            ]
        );
        let events = list.update(&[(2, key(9)), (3, key(3))]).unwrap();
        assert_eq!(
            events,
            [
                DeviceEvent::Removed { device: 1 },
                DeviceEvent::IdentityChanged {
                    device: 2,
                    old: key(2),
                    new: key(9)
                },
                DeviceEvent::Added {
                    device: 3,
                    identity: key(3)
                },
            ]
        );
        // The old key holds until confirmed; the same announcement again
        // is not a new event.
        assert_eq!(list.identity(2), Some(&key(2)));
        assert_eq!(
            list.trusted_identity(2),
            Err(DeviceError::UnconfirmedIdentity(list.address(2)))
        );
        assert_eq!(list.update(&[(2, key(9)), (3, key(3))]).unwrap(), []);
        assert_eq!(
            list.confirm_identity(2, &key(8)),
            Err(DeviceError::NoPendingChange(2))
        );
        assert_eq!(list.confirm_identity(2, &key(9)), Ok(()));
        assert_eq!(list.trusted_identity(2), Ok(&key(9)));
        assert_eq!(
            list.confirm_identity(2, &key(9)),
            Err(DeviceError::NoPendingChange(2))
        );
    }

    #[test]
    fn accessors_report_the_list() {
        let mut list = DeviceList::new("carol").unwrap();
        assert_eq!(list.user(), "carol");
        assert!(list.is_empty());
        assert_eq!(list.len(), 0);
        list.update(&[(3, key(3)), (7, key(7))]).unwrap();
        assert!(!list.is_empty());
        assert_eq!(list.len(), 2);
        assert_eq!(list.address(7), DeviceAddress::new("carol", 7));
        assert_eq!(list.announced_identity(3), None);
        list.update(&[(3, key(4)), (7, key(7))]).unwrap();
        assert_eq!(list.announced_identity(3), Some(&key(4)));
        assert_eq!(list.identity(3), Some(&key(3)));
        assert_eq!(list.devices().map(|(d, _)| d).collect::<Vec<_>>(), [3, 7]);
    }

    #[test]
    fn limits_and_duplicates_change_nothing() {
        let mut list = DeviceList::new("bob").unwrap();
        list.update(&[(1, key(1))]).unwrap();
        let before = list.clone();
        let many: Vec<_> = (0..=u32::try_from(MAX_DEVICES_PER_USER).unwrap())
            .map(|d| (d, key(1)))
            .collect();
        assert_eq!(list.update(&many), Err(DeviceError::TooManyDevices));
        assert_eq!(
            list.update(&many[..MAX_DEVICES_PER_USER]).map(|e| e.len()),
            Ok(MAX_DEVICES_PER_USER - 1)
        );
        list = before.clone();
        assert_eq!(
            list.update(&[(4, key(4)), (4, key(5))]),
            Err(DeviceError::DuplicateDevice(4))
        );
        assert_eq!(list, before);
        assert!(DeviceList::new("x".repeat(MAX_USER_ID_LEN)).is_ok());
        assert_eq!(
            DeviceList::new("x".repeat(MAX_USER_ID_LEN + 1)),
            Err(DeviceError::TooManyDevices)
        );
    }
}
