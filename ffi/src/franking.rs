//! Message franking (SPEC.md §19): abuse reports that reveal one message to
//! the relay operator and nothing else.
//!
//! - The sender encrypts with `sw_session_encrypt_franked`; the recipient
//!   finds the evidence (`franking_key`, `commitment`) in
//!   `sw_received_info`.
//! - The relay (`sw_relay_key`) reads the commitment off each franked
//!   message and stamps it with the routing context
//!   (`sw_relay_stamp_message`), storing nothing; it verifies reports with
//!   `sw_relay_verify_report` (`sw_verified_report`).
//! - The recipient builds a report from the stored message, evidence and
//!   stamp (`sw_report_from_received`, `sw_report_from_received_with_attachment`).
//! - Attachments travel as an attachment pointer in a franked body
//!   (`sw_attachment_pointer`): a commitment to the plaintext, so that a
//!   report can prove which attachment was sent.

use sealwire::franking::{AttachmentPointer, RelayKey, VerifiedReport};

use crate::boundary::Handle;
use crate::session::sw_content_type;

/// Length of a franking key `kf`.
pub const SW_FRANKING_KEY_LEN: usize = 32;
/// Length of a franking commitment `cf`.
pub const SW_FRANKING_COMMITMENT_LEN: usize = 32;
/// Length of a relay's stamping key.
pub const SW_RELAY_KEY_LEN: usize = 32;
/// Length of an attachment key.
pub const SW_ATTACHMENT_KEY_LEN: usize = 32;
/// How much longer an encrypted attachment is than its plaintext (the
/// AES-256-GCM tag).
pub const SW_ATTACHMENT_OVERHEAD: usize = 16;
/// Longest sender or recipient account id of a relay's routing context.
pub const SW_MAX_ROUTING_ID_LEN: usize = 1024;
/// Largest attachment plaintext a report may carry (64 MiB).
pub const SW_MAX_REPORT_ATTACHMENT_LEN: usize = 67_108_864;

/// The relay's 32-byte stamping key (`K_relay`): kept by the relay
/// operator, never shared. It is no key to anyone's conversation: it only
/// makes and checks stamps. Zeroed when the handle is freed.
///
/// Ownership: made by `sw_relay_key_new` or `sw_relay_key_from_bytes`,
/// freed by the caller with `sw_relay_key_free`.
///
/// Thread-safety: immutable once made; may be used from several threads at
/// once (freeing it excepted).
pub struct sw_relay_key {
    _opaque: [u8; 0],
}

impl Handle for sw_relay_key {
    type Inner = RelayKey;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:relay");
}

/// A report verified by the relay (`sw_relay_verify_report`): what it
/// proves is that the holder of the sender identity key sent this body, with
/// this content type and claimed send time, to the recipient identity key,
/// and that this relay forwarded it from the routing sender account to the
/// routing recipient account at the routing time. The relay MUST still check
/// from its own records that the identity keys belong to those accounts.
///
/// Ownership: freed by the caller with `sw_verified_report_free` (the body
/// and attachment it holds are zeroed).
///
/// Thread-safety: immutable; may be read from several threads at once
/// (freeing it excepted).
pub struct sw_verified_report {
    _opaque: [u8; 0],
}

impl Handle for sw_verified_report {
    type Inner = VerifiedReport;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:vrept");
}

/// An attachment pointer (SPEC.md §19.8): the key of an encrypted
/// attachment, the SHA-256 digest and size of its plaintext, its media type
/// and where its blob is stored. Its encoding (`sw_attachment_pointer_encode`)
/// is the body of a franked message; the recipient parses it
/// (`sw_attachment_pointer_parse`) and MUST open the blob with
/// `sw_attachment_pointer_decrypt`, which refuses a plaintext other than the
/// one committed to.
///
/// Ownership: made by `sw_attachment_pointer_new` or
/// `sw_attachment_pointer_parse`, freed by the caller with
/// `sw_attachment_pointer_free` (its key is zeroed).
///
/// Thread-safety: immutable; may be read from several threads at once
/// (freeing it excepted).
pub struct sw_attachment_pointer {
    _opaque: [u8; 0],
}

impl Handle for sw_attachment_pointer {
    type Inner = AttachmentPointer;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:attpt");
}

/// The fixed-size fields of a verified report (`sw_verified_report_info`).
/// Written by the library, never read by it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct sw_report_info {
    /// The reported message's content type.
    pub content_type: sw_content_type,
    /// Whether the report carried an attachment, checked against the
    /// attachment pointer of the body (`sw_verified_report_attachment`).
    pub has_attachment: bool,
    /// The sender's claimed send time (Unix ms, the sender's clock), as
    /// committed by the sender.
    pub sent_at_ms: u64,
    /// When the relay forwarded the message (Unix ms, the relay's clock), as
    /// stamped.
    pub routing_timestamp_ms: u64,
    /// The sender's public identity key, as committed by the sender.
    pub sender: [u8; 32],
    /// The recipient's (reporter's) public identity key, as committed by the
    /// sender.
    pub recipient: [u8; 32],
}

// The submodules, in the order of the header's functions (cbindgen follows
// the source order); each is its own group so that rustfmt keeps it.
mod stamping;

mod verified_report;

mod report;

mod attachment;

mod attachment_pointer;

pub use attachment::*;
pub use attachment_pointer::*;
pub use report::*;
pub use stamping::*;
pub use verified_report::*;
