//! [`DeviceAddress`]: a peer device, named by its user and device id.

use alloc::string::String;

/// A peer device: the app's name for the peer (user id, phone number, ...)
/// and the device's number.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceAddress {
    name: String,
    device_id: u32,
}

impl DeviceAddress {
    /// An address.
    pub fn new(name: impl Into<String>, device_id: u32) -> Self {
        Self {
            name: name.into(),
            device_id,
        }
    }

    /// The peer's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The device's number.
    pub fn device_id(&self) -> u32 {
        self.device_id
    }
}

impl core::fmt::Display for DeviceAddress {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{}", self.name, self.device_id)
    }
}
