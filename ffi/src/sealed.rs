//! Sealed sender (SPEC.md §22): the relay learns who receives a message,
//! not who sends it.
//!
//! - The app's **server** holds an `sw_server_key` and issues each device
//!   a short-lived sender certificate (`sw_server_key_issue`: bytes);
//!   clients pin its public key (`sw_server_key_public`: 38 bytes) in an
//!   `sw_trusted_server_keys`, saved like every long-lived handle.
//! - The **sender** encrypts for the recipient's device as usual
//!   (`sw_device_sessions_encrypt`), then seals the message with its
//!   certificate to the recipient's identity key (`sw_sealed_seal`); a
//!   group post goes to many devices in one multi-recipient message
//!   (`sw_sealed_seal_post`).
//! - The **relay** sees the recipient and the envelope, nothing of the
//!   sender: it checks an access key the recipient controls
//!   (`sw_access_key_verify`), splits a multi-recipient message into one
//!   sealed post per recipient (`sw_multi_recipient_count`,
//!   `_recipient`, `_part`) and can stamp a franked envelope
//!   (`sw_sealed_commitment`).
//! - The **recipient** opens the envelope (`sw_sealed_open`: no state),
//!   reads who claims to have sent it (`sw_unsealed_sender`), looks up
//!   that user's `sw_device_list` and its `sw_device_sessions` with that
//!   device, and decrypts (`sw_unsealed_decrypt`): certificate, device list
//!   and inner message must agree, else a typed error and nothing changed.
//!   Posts: `sw_sealed_open_post`, `sw_unsealed_post_receive`.

use sealwire::sealed::{ServerKey, TrustedServerKeys, Unsealed, UnsealedPost};

use crate::boundary::Handle;

/// Length of an encoded server public key (`sw_server_key_public`).
pub const SW_SERVER_PUBLIC_KEY_LEN: usize = 38;
/// Length of a server key's secret seed.
pub const SW_SERVER_KEY_SEED_LEN: usize = 32;
/// Longest sender certificate (115 bytes and the user id).
pub const SW_MAX_SENDER_CERTIFICATE_LEN: usize = 370;
/// Most server keys an `sw_trusted_server_keys` pins.
pub const SW_MAX_TRUSTED_SERVER_KEYS: usize = 8;
/// Most recipients of one multi-recipient message.
pub const SW_MAX_SEALED_RECIPIENTS: usize = 4096;
/// Length of a profile key.
pub const SW_PROFILE_KEY_LEN: usize = 32;
/// Length of an access key.
pub const SW_ACCESS_KEY_LEN: usize = 16;

/// The server's certificate signing key: an Ed25519 key and the `u32` id
/// that names it in certificates. Kept by the server operator (the secret
/// seed: `sw_server_key_danger_export_seed`); zeroed when freed.
///
/// Ownership: made by `sw_server_key_new` or `sw_server_key_from_seed`,
/// freed by the caller with `sw_server_key_free`.
///
/// Thread-safety: immutable once made; may be used from several threads at
/// once (freeing it excepted).
pub struct sw_server_key {
    _opaque: [u8; 0],
}

impl Handle for sw_server_key {
    type Inner = ServerKey;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:srvky");
}

/// The server keys a client accepts certificates from, by key id (at most
/// `SW_MAX_TRUSTED_SERVER_KEYS`, so that a rotation pins the new key
/// before the old one's certificates expire). It also remembers the
/// certificates it verified, so that a sender's messages cost one
/// signature check per certificate: a cache, never saved, that changes no
/// outcome.
///
/// Ownership: made by `sw_trusted_server_keys_new` (or loaded:
/// `sw_trusted_server_keys_load`, `_load_sealed`), freed by the caller with
/// `sw_trusted_server_keys_free`.
///
/// Thread-safety: not internally synchronised; one thread at a time
/// (receiving updates its cache).
pub struct sw_trusted_server_keys {
    _opaque: [u8; 0],
}

impl Handle for sw_trusted_server_keys {
    type Inner = TrustedServerKeys;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:trust");
}

/// An opened envelope (`sw_sealed_open`): the sender's certificate, **not
/// verified yet**, and the inner message. Its sender
/// (`sw_unsealed_sender`) only says which device list and sessions to pass
/// to `sw_unsealed_decrypt`, which verifies everything.
///
/// Ownership: freed by the caller with `sw_unsealed_free`.
///
/// Thread-safety: immutable; may be read from several threads at once
/// (freeing it excepted).
pub struct sw_unsealed {
    _opaque: [u8; 0],
}

impl Handle for sw_unsealed {
    type Inner = Unsealed;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:unsld");
}

/// An opened sealed post (`sw_sealed_open_post`): the sender's
/// certificate, **not verified yet**, and the group post. Its sender
/// (`sw_unsealed_post_sender`) and group id (`sw_unsealed_post_group_id`)
/// only say which device list and group to pass to
/// `sw_unsealed_post_receive`, which verifies everything.
///
/// Ownership: freed by the caller with `sw_unsealed_post_free`.
///
/// Thread-safety: immutable; may be read from several threads at once
/// (freeing it excepted).
pub struct sw_unsealed_post {
    _opaque: [u8; 0],
}

impl Handle for sw_unsealed_post {
    type Inner = UnsealedPost;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:unspt");
}

/// A user's 32-byte profile key: secret, given by the app to the contacts
/// it accepts sealed messages from; its access key
/// (`sw_profile_key_access_key`) is registered with the relay. Zeroed when
/// freed.
///
/// Ownership: made by `sw_profile_key_new` or `sw_profile_key_from_bytes`,
/// freed by the caller with `sw_profile_key_free`.
///
/// Thread-safety: immutable; may be used from several threads at once
/// (freeing it excepted).
pub struct sw_profile_key {
    _opaque: [u8; 0],
}

impl Handle for sw_profile_key {
    type Inner = sealwire::sealed::ProfileKey;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:prfky");
}

/// The fixed-size fields of a sender certificate
/// (`sw_sender_certificate_parse`; the user id is written apart). Nothing
/// in it is verified: `sw_unsealed_decrypt` and `sw_unsealed_post_receive`
/// verify the certificate they receive. Written by the library, never read
/// by it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct sw_sender_certificate_info {
    /// The id of the server key that signed it.
    pub server_key_id: u32,
    /// Until when it is valid (Unix ms, exclusive; the receiver's clock
    /// decides).
    pub expires_at_ms: u64,
    /// The sender's public identity key.
    pub identity: [u8; 32],
    /// The sender's device id.
    pub device_id: u32,
}

// The submodules, in the order of the header's functions (cbindgen follows
// the source order); each is its own group so that rustfmt keeps it.
mod server;

mod trusted;

mod envelope;

mod multi;

mod access;

pub use access::*;
pub use envelope::*;
pub use multi::*;
pub use server::*;
pub use trusted::*;
