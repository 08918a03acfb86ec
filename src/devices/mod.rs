//! Several devices per user, and sessions that heal (SPEC.md §21).
//!
//! A user has several devices, each with its own identity key and
//! prekeys. The app keeps, per user, a [`DeviceList`] (device id →
//! identity key, updated from its server, identity changes held until it
//! confirms them) and, per device, a [`DeviceSessions`]: the current
//! session and up to [`MAX_PREVIOUS_SESSIONS`] previous ones.
//!
//! - [`encrypt_for_devices`] encrypts one message for every device of a
//!   user and of our own other devices, all or nothing.
//! - [`DeviceSessions::decrypt`] finds the session a message belongs to,
//!   accepts new sessions, and settles simultaneous initiation by a fixed
//!   tie-break (the lower identity key's session wins).
//! - When a message cannot be decrypted because the peer's session is
//!   gone, [`DeviceSessions::recovery_request`] makes a small signed
//!   request, and the sender's
//!   [`DeviceSessions::accept_recovery_request`] stops the broken session
//!   ([`Recovery::Restart`]); both are rate-limited.
//!
//! [`MAX_PREVIOUS_SESSIONS`]: crate::limits::MAX_PREVIOUS_SESSIONS

mod error;
mod fanout;
mod list;
mod recovery;
mod sessions;

pub use error::DeviceError;
pub use fanout::{DeviceMessage, UserSessions, encrypt_for_devices};
pub use list::{DeviceEvent, DeviceList};
pub use recovery::{RECOVERY_VERSION, Recovery, RecoveryRequest, TYPE_RECOVERY_REQUEST};
pub use sessions::DeviceSessions;

#[allow(
    unused_imports,
    reason = "for the device state blobs (STORAGE.md), not written yet"
)]
pub(crate) use list::DeviceEntry;
#[allow(
    unused_imports,
    reason = "for the device state blobs (STORAGE.md), not written yet"
)]
pub(crate) use sessions::RecoveryState;
