//! A growing writer for blob bodies. The buffer holds secrets: it is
//! zeroized on drop, and it grows by copying into a new block and zeroizing
//! the old one before it is freed (never by `realloc`, which would free or
//! move it with the secrets inside).

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

    /// Makes room for `additional` more bytes: if the buffer must grow, the
    /// bytes move to a new block (twice the capacity at least) and the old
    /// block is zeroized before it is freed.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let len = self.buf.len();
        if self.buf.capacity().saturating_sub(len) >= additional {
            return;
        }
        let cap = len
            .saturating_add(additional)
            .max(self.buf.capacity().saturating_mul(2));
        let mut grown = Zeroizing::new(Vec::with_capacity(cap));
        grown.extend_from_slice(&self.buf);
        // The old buffer is zeroized (its whole capacity) as it drops.
        self.buf = grown;
    }

    pub(crate) fn bytes(&mut self, data: &[u8]) {
        self.reserve(data.len());
        self.buf.extend_from_slice(data);
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
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

    /// How many bytes were written.
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// Overwrites the four bytes at `at` (written before, for example as a
    /// length placeholder) with `v`; out of range, nothing changes.
    pub(crate) fn patch_u32(&mut self, at: usize, v: u32) {
        let end = at.saturating_add(4);
        if let Some(slot) = self.buf.get_mut(at..end) {
            slot.copy_from_slice(&v.to_be_bytes());
        }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    pub(crate) fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.buf
    }

    /// The buffer without its zeroizing wrapper, for a caller that has
    /// encrypted it in place (it holds no secret any more).
    pub(crate) fn into_ciphertext(mut self) -> Vec<u8> {
        core::mem::take(&mut *self.buf)
    }
}
