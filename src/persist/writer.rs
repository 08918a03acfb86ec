//! A growing writer for blob bodies; the buffer holds secrets and is
//! zeroized on drop.

use alloc::vec::Vec;
use zeroize::Zeroizing;

/// Appends big-endian fields to a zeroizing buffer.
pub struct BlobWriter {
    buf: Zeroizing<Vec<u8>>,
}

impl BlobWriter {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Self {
            buf: Zeroizing::new(Vec::with_capacity(n)),
        }
    }

    pub(crate) fn bytes(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.bytes(&v.to_be_bytes());
    }

    pub(crate) fn as_mut_vec(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    pub(crate) fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.buf
    }
}
