//! Expiry-queue blob body (kind 0x05, v1): the queue's own encoding
//! (SPEC.md §10.3).

use super::private::Codec;
use super::{BlobKind, StateBlob};
use crate::blob_writer::BlobWriter;
use crate::error::{DecodeError, StateError};
use crate::expiry::{ExpiryError, ExpiryQueue};

impl Codec for ExpiryQueue {
    const KINDS: &'static [BlobKind] = &[BlobKind::ExpiryQueue];

    fn kind(&self) -> BlobKind {
        BlobKind::ExpiryQueue
    }

    fn encode_body(&self, w: &mut BlobWriter) {
        w.bytes(&self.encode());
    }

    fn decode_body(_kind: BlobKind, _version: u8, body: &[u8]) -> Result<Self, StateError> {
        Self::decode(body).map_err(|e| match e {
            ExpiryError::Malformed(d) => StateError::Malformed(d),
            _ => StateError::Malformed(DecodeError::InvalidValue),
        })
    }
}

impl StateBlob for ExpiryQueue {}
