//! Message franking (SPEC.md §19): abuse reports that reveal one message to
//! the relay operator and nothing else, with no key to anyone's chats.
//!
//! - The **sender** draws a 32-byte franking key `kf` for a message, puts it
//!   in the inner frame and sends the commitment
//!   `cf = HMAC(kf, label || content type || sender || recipient || sent_at
//!   || body)` beside the ciphertext, bound into the AEAD associated data
//!   (an [`Outgoing`](crate::Outgoing) message made
//!   [`franked`](crate::Outgoing::franked), sent with
//!   [`Encrypt`](crate::Encrypt)).
//! - The **recipient** recomputes `cf` after the tag verifies and compares
//!   it in constant time before any plaintext is returned; a mismatch is
//!   `AuthenticationFailed` and changes nothing. [`Received::franking`]
//!   holds the evidence (`kf`, `cf`) to store with the message.
//! - The **relay** ([`RelayKey`]) reads `cf` off the wire without any key
//!   ([`commitment_of`]), stamps it with its own key and the routing
//!   context ([`stamp`], [`stamp_message`]), stores nothing, and later
//!   verifies a [`Report`] ([`verify_report`]).
//! - **Attachments** are reported through a hash commitment to their
//!   plaintext inside the franked body ([`AttachmentPointer`]).
//!
//! [`Received::franking`]: crate::Received::franking

mod attachment;
pub(crate) mod commitment;
mod error;
mod relay;
mod report;
mod stamp;

pub use attachment::{
    ATTACHMENT_KEYS_INFO, ATTACHMENT_POINTER_FIXED_LEN, AttachmentKey, AttachmentPointer,
};
pub use commitment::{Franking, FrankingKey, FrankingRef, commitment};
pub use error::{AttachmentError, ReportError};
pub use relay::{RelayKey, VerifiedReport, commitment_of, stamp, stamp_message, verify_report};
pub use report::{FLAG_ATTACHMENT, Report};
pub use stamp::{RoutingContext, Stamp};

/// HMAC label of the franking commitment `cf` (30 bytes).
pub const COMMITMENT_LABEL: &[u8] = b"Sealwire_FrankingCommitment_v1";
/// HMAC label of the relay's stamp (25 bytes).
pub const STAMP_LABEL: &[u8] = b"Sealwire_FrankingStamp_v1";
/// Version byte of the franking encodings (stamp, report, attachment
/// pointer).
pub const FRANKING_VERSION: u8 = 0x01;
/// Type byte of a report (SPEC.md §19.6).
pub const TYPE_REPORT: u8 = 0x30;
/// Type byte of a stamp (SPEC.md §19.5).
pub const TYPE_STAMP: u8 = 0x31;
/// Type byte of an attachment pointer (SPEC.md §19.8).
pub const TYPE_ATTACHMENT_POINTER: u8 = 0x32;
