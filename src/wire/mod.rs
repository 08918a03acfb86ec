//! The byte-exact wire format (SPEC.md §6–§8): one codec pair, strict
//! parsers that borrow, encoders that write into caller buffers.

pub(crate) mod codec;
pub mod header;
pub mod message;

pub use header::{HEADER_LEN, NONCE_MASK_LEN, RatchetHeader};
pub use message::{Message, PqFields, PrekeyMessage, RatchetMessage};

/// The version byte that starts every 1:1 message (ratchet, prekey and
/// their franked forms, SPEC.md §6.1). Version `0x01` (a 40-byte header
/// without the nonce mask `r`) was never released and is refused as
/// `UnsupportedVersion(1)`.
pub const MESSAGE_VERSION: u8 = 0x02;
/// The version byte that starts every prekey bundle (SPEC.md §4.1): bundles
/// have their own version, unchanged by the message version.
pub const BUNDLE_VERSION: u8 = 0x01;
/// Type byte of a ratchet message.
pub const TYPE_RATCHET: u8 = 0x01;
/// Type byte of a prekey message.
pub const TYPE_PREKEY: u8 = 0x02;
/// Type byte of a franked ratchet message: a ratchet message with the
/// 32-byte franking commitment after its header (SPEC.md §19.2).
pub const TYPE_FRANKED_RATCHET: u8 = 0x81;
/// Type byte of a franked prekey message.
pub const TYPE_FRANKED_PREKEY: u8 = 0x82;
/// Type byte of a prekey bundle.
pub const TYPE_BUNDLE: u8 = 0x10;
/// Length of the AES-256-GCM tag.
pub const TAG_LEN: usize = 16;
