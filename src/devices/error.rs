//! [`DeviceError`]: device lists, multi-device sends and recovery requests.

use core::fmt;

use crate::address::DeviceAddress;
use crate::error::{DecodeError, SessionError};

/// A device list, multi-device send or recovery request that cannot be
/// carried out. Every failing call leaves its state exactly as it was.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceError {
    /// The bytes are not a well-formed recovery request.
    Malformed(DecodeError),
    /// A device list would hold more than
    /// [`MAX_DEVICES_PER_USER`](crate::limits::MAX_DEVICES_PER_USER)
    /// devices, or a user id is longer than
    /// [`MAX_USER_ID_LEN`](crate::limits::MAX_USER_ID_LEN).
    TooManyDevices,
    /// A device list update names the same device twice.
    DuplicateDevice(u32),
    /// The device is not in the list.
    UnknownDevice(u32),
    /// No identity change is waiting for confirmation for this device, or
    /// the key confirmed is not the one announced.
    NoPendingChange(u32),
    /// The device's identity key changed and the app has not confirmed
    /// the new key (`DeviceList::confirm_identity`): nothing is sent to it
    /// or accepted from it under the new key until then.
    UnconfirmedIdentity(DeviceAddress),
    /// No usable session with this device (none, or only sessions with an
    /// identity key the device list no longer holds): fetch its bundle and
    /// start one.
    NoSession(DeviceAddress),
    /// Encrypting for one of the devices failed; nothing was sent to any.
    Session(DeviceAddress, SessionError),
    /// The recovery request is not signed by the identity key it names, or
    /// that key is not the peer device's: one opaque outcome, no oracle.
    AuthenticationFailed,
    /// The recovery request is addressed to another identity.
    NotForUs,
    /// The recovery request names a message of no session we hold with the
    /// peer device.
    UnknownSession,
    /// A recovery request not newer than the last one accepted from this
    /// device (a replay).
    ReplayedRequest,
    /// Too soon after the last recovery request made, or the last restart
    /// granted, for this device (see
    /// [`RECOVERY_INTERVAL_MS`](crate::limits::RECOVERY_INTERVAL_MS)).
    TooManyRequests,
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => write!(f, "malformed recovery request: {e}"),
            Self::TooManyDevices => f.write_str("too many devices, or user id too long"),
            Self::DuplicateDevice(d) => write!(f, "device {d} named twice"),
            Self::UnknownDevice(d) => write!(f, "device {d} is not in the list"),
            Self::NoPendingChange(d) => write!(f, "no identity change to confirm for device {d}"),
            Self::UnconfirmedIdentity(a) => {
                write!(f, "device {a} changed its identity key; not confirmed")
            }
            Self::NoSession(a) => write!(f, "no usable session with device {a}"),
            Self::Session(d, e) => write!(f, "device {d}: {e}"),
            Self::AuthenticationFailed => f.write_str("recovery request authentication failed"),
            Self::NotForUs => f.write_str("recovery request addressed to another identity"),
            Self::UnknownSession => f.write_str("recovery request names no session we hold"),
            Self::ReplayedRequest => f.write_str("recovery request replayed"),
            Self::TooManyRequests => f.write_str("too many recovery requests"),
        }
    }
}

impl core::error::Error for DeviceError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Malformed(e) => Some(e),
            Self::Session(_, e) => Some(e),
            _ => None,
        }
    }
}

impl From<DecodeError> for DeviceError {
    fn from(e: DecodeError) -> Self {
        Self::Malformed(e)
    }
}
