//! The state blob of [`TrustedServerKeys`] (STORAGE.md §13; kind 0x09, v1):
//! the pinned server keys, in order of key id. The cache of verified
//! certificates is not saved: a loaded set starts with none remembered.
//!
//! ```text
//! count u8 (<= MAX_TRUSTED_SERVER_KEYS), key ids strictly increasing:
//!     key_id u32 | key 32 (Ed25519 public key, SPEC.md §3.1)
//! ```

use crate::blob_writer::BlobWriter;
use crate::error::{DecodeError, StateError};
use crate::limits::MAX_TRUSTED_SERVER_KEYS;
use crate::persist::private::Codec;
use crate::persist::{BlobKind, StateBlob};
use crate::sealed::server::{ServerPublicKey, TrustedServerKeys};
use crate::wire::codec::Reader;

// The count is written in one byte.
const _: () = assert!(
    MAX_TRUSTED_SERVER_KEYS <= u8::MAX as usize,
    "MAX_TRUSTED_SERVER_KEYS outgrew its one-byte count"
);

fn encode(trusted: &TrustedServerKeys, w: &mut BlobWriter) {
    // At most MAX_TRUSTED_SERVER_KEYS (checked above to fit a byte).
    w.u8(u8::try_from(trusted.len()).unwrap_or(u8::MAX));
    for key in trusted.pinned() {
        w.u32(key.key_id());
        w.bytes(&key.key_bytes());
    }
}

fn decode(body: &[u8]) -> Result<TrustedServerKeys, DecodeError> {
    let mut r = Reader::new(body);
    let count = usize::from(r.u8()?);
    if count > MAX_TRUSTED_SERVER_KEYS {
        return Err(DecodeError::TooLarge);
    }
    let mut trusted = TrustedServerKeys::new();
    let mut last: Option<u32> = None;
    for _ in 0..count {
        let key_id = r.u32()?;
        if last.is_some_and(|l| l >= key_id) {
            return Err(DecodeError::InvalidValue);
        }
        last = Some(key_id);
        let key: [u8; 32] = r.array()?;
        // The checks of SPEC.md §3.1, as when the key was pinned (whose
        // only error is `InvalidKey`).
        let key = ServerPublicKey::from_parts(key_id, &key).map_err(|_| DecodeError::InvalidKey)?;
        // Distinct ids, at most MAX_TRUSTED_SERVER_KEYS: cannot fail.
        trusted.add(key).map_err(|_| DecodeError::TooLarge)?;
    }
    r.finish()?;
    Ok(trusted)
}

impl Codec for TrustedServerKeys {
    const KINDS: &'static [BlobKind] = &[BlobKind::TrustedServerKeys];

    fn kind(&self) -> BlobKind {
        BlobKind::TrustedServerKeys
    }

    fn encode_body(&self, w: &mut BlobWriter) {
        encode(self, w);
    }

    fn decode_body(_kind: BlobKind, _version: u8, body: &[u8]) -> Result<Self, StateError> {
        Ok(decode(body)?)
    }
}

impl StateBlob for TrustedServerKeys {}
