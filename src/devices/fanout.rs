//! [`encrypt_for_devices`]: one message to every device of some users,
//! all or nothing.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::address::DeviceAddress;
use crate::devices::error::DeviceError;
use crate::devices::list::DeviceList;
use crate::devices::sessions::DeviceSessions;
use crate::session::{Encrypt, Outgoing, Sent};
use crate::time::Timestamp;

/// The message for one device.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceMessage {
    /// The device to deliver it to.
    pub address: DeviceAddress,
    /// The message (and its franking opening, if franked).
    pub sent: Sent,
}

impl core::fmt::Debug for DeviceMessage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let Self { address, sent } = self;
        f.debug_struct("DeviceMessage")
            .field("address", address)
            .field("len", &sent.message.len())
            .finish_non_exhaustive()
    }
}

/// The devices of one user and our sessions with them (device id →
/// sessions), as [`encrypt_for_devices`] takes them.
pub type UserSessions = BTreeMap<u32, DeviceSessions>;

/// Encrypts `outgoing` once for every device of every listed user
/// (SPEC.md §21.1): pass the recipient's list and sessions and, so that
/// our other devices see what we sent, our own list and sessions with
/// `me`, our own address, which is skipped.
///
/// Every device must have a confirmed identity key
/// ([`DeviceError::UnconfirmedIdentity`]) and a current session with that
/// key ([`DeviceError::NoSession`]: fetch the device's bundle and
/// [`initiate`](DeviceSessions::initiate)). Sessions of devices no longer
/// listed are left alone. All or nothing: if any device fails, no session
/// changed and nothing is returned. The messages come in the order of the
/// lists, each by ascending device id.
pub fn encrypt_for_devices<G: rand_core::CryptoRng + ?Sized>(
    rng: &mut G,
    now: Timestamp,
    outgoing: Outgoing<'_>,
    me: Option<&DeviceAddress>,
    recipients: &mut [(&DeviceList, &mut UserSessions)],
) -> Result<Vec<DeviceMessage>, DeviceError> {
    // Encrypt on copies of the current sessions (only the current one
    // sends: copying the previous ones too would cost a clone per previous
    // session per device and message); commit only if all succeed.
    let mut staged = Vec::new();
    for (i, (list, sessions)) in recipients.iter().enumerate() {
        for (device, _) in list.devices() {
            let address = list.address(device);
            if me == Some(&address) {
                continue;
            }
            let identity = *list.trusted_identity(device)?;
            // Boxed: the staging vector may move as it grows, and a moved
            // session would leave its keys in the freed block.
            let mut copy = sessions
                .get(&device)
                .and_then(DeviceSessions::current_boxed)
                .filter(|c| c.their_identity() == &identity)
                .cloned()
                .ok_or_else(|| DeviceError::NoSession(address.clone()))?;
            let sent = copy
                .encrypt(rng, now, outgoing)
                .map_err(|e| DeviceError::Session(address.clone(), e))?;
            staged.push((i, device, copy, DeviceMessage { address, sent }));
        }
    }
    let mut out = Vec::with_capacity(staged.len());
    for (i, device, copy, message) in staged {
        if let Some(sessions) = recipients
            .get_mut(i)
            .and_then(|(_, sessions)| sessions.get_mut(&device))
        {
            // Swaps the box, so the old session is dropped (and zeroized)
            // in place and the new one never moves.
            sessions.replace_current(copy);
        }
        out.push(message);
    }
    Ok(out)
}
