//! The byte-exact wire format (SPEC.md §6–§8): one codec pair, strict
//! parsers that borrow, encoders that write into caller buffers.
//!
//! Everything a wire implementer needs from one place: the message parser
//! ([`Message`]), the version, type and flag bytes, the key encodings, the
//! inner frame's constants and its length and padding functions
//! ([`padme`], [`padded_body_len`], [`frame_len`], [`franked_frame_len`]).
//! The size limits are in [`crate::limits`].

pub(crate) mod codec;
pub(crate) mod header;
pub(crate) mod message;

pub use crate::frame::{
    CONTENT_GROUP_KEY_RESERVED, FLAG_FRANKED, FLAG_TIMER, FRAME_VERSION, frame_len,
    franked_frame_len, padded_body_len, padme,
};
pub use crate::identity::{ENCODE_ED25519, ENCODE_X25519};
pub use crate::pq_prekey::{
    ENCODE_ML_KEM_768, KEM_CIPHERTEXT_LEN, PQ_PREKEY_MESSAGE_LEN, PQ_PUBLIC_KEY_LEN,
};
pub use header::{HEADER_LEN, NONCE_MASK_LEN, RatchetHeader};
pub use message::{
    FLAG_ONE_TIME_PREKEY, FLAG_PQ, Message, PqFields, PrekeyMessage, RatchetMessage,
};

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
