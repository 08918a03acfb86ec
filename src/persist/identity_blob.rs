//! Identity blob body (kind 0x01, v1): the 32-byte Ed25519 seed.

use super::private::Codec;
use super::{BlobKind, StateBlob};
use crate::blob_writer::BlobWriter;
use crate::error::StateError;
use crate::identity::IdentityKeyPair;
use crate::wire::codec::Reader;

impl Codec for IdentityKeyPair {
    const KINDS: &'static [BlobKind] = &[BlobKind::Identity];

    fn kind(&self) -> BlobKind {
        BlobKind::Identity
    }

    fn encode_body(&self, w: &mut BlobWriter) {
        w.bytes(self.danger_seed_bytes().as_ref());
    }

    fn decode_body(_kind: BlobKind, _version: u8, body: &[u8]) -> Result<Self, StateError> {
        let mut r = Reader::new(body);
        let seed = zeroize::Zeroizing::new(r.array::<32>()?);
        r.finish()?;
        Ok(Self::from_seed(&seed))
    }
}

impl StateBlob for IdentityKeyPair {}
