//! Several devices per user, and sessions that heal (SPEC.md §21):
//! `sw_device_list` (the devices of one user, identity changes held until
//! confirmed), `sw_device_sessions` (the sessions with one peer device: the
//! current one and up to `SW_MAX_PREVIOUS_SESSIONS` previous ones),
//! `sw_encrypt_for_devices` (one body for every device of some users, all
//! or nothing, giving an `sw_device_messages`) and signed recovery requests
//! (`sw_device_sessions_recovery_request`,
//! `sw_device_sessions_accept_recovery_request`, `sw_recovery_request_parse`).
//!
//! The flow, sans I/O: the app keeps a device list per user, updated from
//! its server (`sw_device_list_update`, whose events it shows as Signal
//! shows a new device or a changed safety number), and one
//! `sw_device_sessions` per peer device. It sends with
//! `sw_encrypt_for_devices` and hands each message of the result to the
//! device it names; it receives with `sw_device_sessions_decrypt`. A
//! message that no session takes (`SW_SESSION_NO_SESSION`) is answered with
//! a recovery request; the sender's `_accept_recovery_request` says whether
//! to start a new session (`SW_RECOVERY_ACTION_RESTART`).

use sealwire::DeviceAddress;
use sealwire::devices::{DeviceList, DeviceSessions};

use crate::boundary::Handle;

/// Most devices a device list holds.
pub const SW_MAX_DEVICES_PER_USER: usize = 32;
/// Longest user id of a device list or device address, in bytes (UTF-8).
pub const SW_MAX_USER_ID_LEN: usize = 255;
/// Most events one `sw_device_list_update` reports (every device of the
/// old list removed, every device of the new one added): an event array of
/// this many entries is always long enough.
pub const SW_MAX_DEVICE_EVENTS: usize = 64;
/// Most previous sessions kept per peer device (the oldest is dropped).
pub const SW_MAX_PREVIOUS_SESSIONS: usize = 40;
/// Length of a recovery request.
pub const SW_RECOVERY_REQUEST_LEN: usize = 174;
/// Least time between two recovery requests made for one peer device, and
/// between two restarts granted to one (milliseconds).
pub const SW_RECOVERY_INTERVAL_MS: u64 = 60_000;

/// The devices of one user, as the app last learned them from its server:
/// device id → identity key. A device that announces a new identity key
/// keeps its old one until the app confirms the change
/// (`sw_device_list_confirm_identity`); nothing is sent to it meanwhile.
/// For our own user, the list names our other devices.
///
/// Ownership: made by `sw_device_list_new` (or loaded: `sw_device_list_load`,
/// `_load_sealed`), freed by the caller with `sw_device_list_free`.
///
/// Thread-safety: not internally synchronised; one thread at a time while
/// it is changed. Calls that only read it (`const sw_device_list *`,
/// including `sw_encrypt_for_devices`) may run on several threads at once.
pub struct sw_device_list {
    _opaque: [u8; 0],
}

impl Handle for sw_device_list {
    type Inner = DeviceList;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:devls");
}

/// The sessions with one peer device: the current one, which sends, and up
/// to `SW_MAX_PREVIOUS_SESSIONS` previous ones, newest first, which still
/// receive. Decrypting finds the session a message belongs to, accepts new
/// sessions, and settles simultaneous initiation by a fixed tie-break (the
/// session of the device with the lower identity key wins on both sides).
/// Every call that fails leaves it exactly as it was.
///
/// Keep exactly one per peer device: there is no way to copy one (two
/// copies of a ratchet would encrypt under the same keys).
///
/// Ownership: made by `sw_device_sessions_new` (or loaded:
/// `sw_device_sessions_load`, `_load_sealed`, `_load_sealed_legacy`), freed
/// by the caller with `sw_device_sessions_free` (its keys are zeroed).
/// Saved with `sw_device_sessions_save` / `_save_sealed` after every call
/// that changes it.
///
/// Thread-safety: not internally synchronised; one thread at a time.
pub struct sw_device_sessions {
    _opaque: [u8; 0],
}

impl Handle for sw_device_sessions {
    type Inner = DeviceSessions;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:devss");
}

/// The messages of one `sw_encrypt_for_devices` call, one per device:
/// which recipient and device each is for, and its bytes.
///
/// Ownership: made by `sw_encrypt_for_devices`, freed by the caller with
/// `sw_device_messages_free`. Reading it copies into the caller's buffers;
/// no pointer into it is handed out.
///
/// Thread-safety: immutable: shareable between threads (not while it is
/// freed).
pub struct sw_device_messages {
    _opaque: [u8; 0],
}

/// One message of an `sw_device_messages`: the index of its recipient in
/// the `recipients` array of the call, the device's address and the wire
/// message. (The sender's franking opening of a franked message is not
/// kept: it is dropped, and zeroed, as the handle is made.)
pub(crate) struct Addressed {
    pub(crate) recipient: usize,
    pub(crate) address: DeviceAddress,
    pub(crate) message: Vec<u8>,
}

impl Handle for sw_device_messages {
    type Inner = Vec<Addressed>;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:devms");
}

/// A peer device: a user id (UTF-8, at most `SW_MAX_USER_ID_LEN` bytes) and
/// a device id. Only read by the library, during the call.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sw_device_address {
    /// The user id's bytes (may be NULL when `user_len` is 0).
    pub user: *const u8,
    /// The user id's length.
    pub user_len: usize,
    /// The device id.
    pub device_id: u32,
}

/// One device of a device list update: its id and its 32-byte identity
/// key.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct sw_device_entry {
    /// The device id.
    pub device_id: u32,
    /// Its public identity key.
    pub identity: [u8; 32],
}

/// What a device list update changed for one device. The numbers are
/// stable.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sw_device_event_kind {
    /// A device that was not in the list, with its identity key (trusted on
    /// first use): show it to the user.
    SW_DEVICE_EVENT_ADDED = 1,
    /// A device left the list.
    SW_DEVICE_EVENT_REMOVED = 2,
    /// A device announced a different identity key: its old key stays its
    /// key, and nothing is sent to it, until the app confirms the new one
    /// (`sw_device_list_confirm_identity`). Show it as a changed safety
    /// number.
    SW_DEVICE_EVENT_IDENTITY_CHANGED = 3,
}

/// One change of a device list update. Written by the library, never read
/// by it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct sw_device_event {
    /// What changed.
    pub kind: sw_device_event_kind,
    /// The device id.
    pub device_id: u32,
    /// `SW_DEVICE_EVENT_ADDED`: the device's key; `_IDENTITY_CHANGED`: the
    /// key announced; `_REMOVED`: zero.
    pub identity: [u8; 32],
    /// `SW_DEVICE_EVENT_IDENTITY_CHANGED`: the key held until now; else
    /// zero.
    pub old_identity: [u8; 32],
}

/// The identity keys a device list holds for one device. Written by the
/// library, never read by it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct sw_device_identity {
    /// The confirmed identity key: the one sessions with the device use.
    pub identity: [u8; 32],
    /// Whether the device announced another key that is not confirmed yet
    /// (then nothing is sent to it: `SW_DEVICE_UNCONFIRMED_IDENTITY`).
    pub has_announced: bool,
    /// The announced key, else zero.
    pub announced: [u8; 32],
}

/// The sessions with one device of a recipient: the device id and the
/// caller's `sw_device_sessions` for it. Only read by the library.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sw_device_sessions_entry {
    /// The device id.
    pub device_id: u32,
    /// The sessions with that device (changed by a successful send).
    pub sessions: *mut sw_device_sessions,
}

/// One recipient user of `sw_encrypt_for_devices`: its device list and
/// the sessions with its devices. Only read by the library.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sw_recipient {
    /// The user's device list.
    pub devices: *const sw_device_list,
    /// The sessions with its devices, one entry per device (may be NULL
    /// when `sessions_len` is 0); entries for devices no longer listed are
    /// left alone.
    pub sessions: *const sw_device_sessions_entry,
    /// The number of entries.
    pub sessions_len: usize,
}

/// Where `sw_encrypt_for_devices` failed, for the errors about one device
/// (`SW_DEVICE_NO_SESSION`, `SW_DEVICE_UNCONFIRMED_IDENTITY`, or a session
/// error while encrypting for it). Written by the library, never read by
/// it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct sw_device_failure {
    /// Whether the error concerns one device (then the other fields name
    /// it; else they are zero).
    pub failed: bool,
    /// The device id.
    pub device_id: u32,
    /// The index of its user in the `recipients` array.
    pub recipient_index: usize,
}

/// One message of an `sw_device_messages`. Written by the library, never
/// read by it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct sw_device_message_info {
    /// The index of the message's user in the `recipients` array of the
    /// call.
    pub recipient_index: usize,
    /// The device to deliver it to.
    pub device_id: u32,
    /// The message's length in bytes.
    pub message_len: usize,
}

/// What to do after accepting a recovery request. The numbers are stable.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sw_recovery_action {
    /// Nothing (written on error).
    SW_RECOVERY_ACTION_NONE = 0,
    /// The session the lost message was sent in was current and no longer
    /// sends: fetch the peer device's bundle, start a new session
    /// (`sw_device_sessions_initiate`), and re-send, if the app chooses,
    /// what was sent from message `counter` of that chain on.
    SW_RECOVERY_ACTION_RESTART = 1,
    /// The session the lost message was sent in is already a previous one:
    /// re-send, if the app chooses, on the current session.
    SW_RECOVERY_ACTION_RESEND = 2,
}

/// A recovery request's fields, as `sw_recovery_request_parse` reads them
/// (its signature is checked by
/// `sw_device_sessions_accept_recovery_request`, not by the parser).
/// Written by the library, never read by it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct sw_recovery_request_info {
    /// The identity key of the device that asks (route the request to the
    /// `sw_device_sessions` of the device with this key).
    pub requester: [u8; 32],
    /// The identity key of the device asked to restart.
    pub target: [u8; 32],
    /// The ratchet key in the header of the message that failed.
    pub ratchet_key: [u8; 32],
    /// The number of the message that failed.
    pub counter: u32,
    /// When the request was made (Unix ms, the requester's clock).
    pub requested_at_ms: u64,
}

// The submodules, in the order of the header's functions (cbindgen follows
// the source order); each is its own group so that rustfmt keeps it.
mod list;

mod sessions;

mod recovery;

mod fanout;

pub use fanout::*;
pub use list::*;
pub use recovery::*;
pub use sessions::*;
