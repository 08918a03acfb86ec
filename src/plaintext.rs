//! The owned body of a decrypted message or post.
//!
//! The allocating decrypt paths copy the ciphertext once into a buffer of
//! its length, decrypt it there in place and hand the buffer back as a
//! [`Plaintext`] that shows only the body: the frame's metadata, padding
//! and tag around it are zeroed at once, and the whole buffer is zeroed
//! when the `Plaintext` drops, in one pass (`zeroize`'s slice clearing: a
//! `memset` the compiler may not remove), not byte by byte as a
//! `Zeroizing<Vec<u8>>` clears its vector. No copy to move the body to the
//! front, no second allocation.

use alloc::vec::Vec;
use core::ops::Deref;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A decrypted body, owned. Reads as a byte slice (`&*p`, [`as_slice`]);
/// its buffer is zeroized when it is dropped. Equality is by content, in
/// constant time for equal lengths; `Debug` shows the length only.
///
/// [`as_slice`]: Plaintext::as_slice
#[derive(Default)]
pub struct Plaintext {
    /// The buffer the body was decrypted in; every byte outside
    /// `start..end` is zero.
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Plaintext {
    /// A plaintext of exactly these bytes.
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        let end = bytes.len();
        Self {
            buf: bytes,
            start: 0,
            end,
        }
    }

    /// A plaintext copied from `bytes` (one allocation of their length).
    pub fn copy_from(bytes: &[u8]) -> Self {
        Self::from_vec(bytes.to_vec())
    }

    /// A buffer to decrypt in: holds `bytes`, shows nothing until
    /// [`reveal`](Self::reveal), and is zeroized on drop whatever happens.
    pub(crate) fn hidden(bytes: Vec<u8>) -> Self {
        Self {
            buf: bytes,
            start: 0,
            end: 0,
        }
    }

    /// The whole buffer, to decrypt in place (only before `reveal`).
    pub(crate) fn buffer_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    /// Shows `len` bytes from `start` and zeroes every other byte of the
    /// buffer. `None` (and the whole buffer zeroed, nothing shown) if the
    /// range is not inside the buffer.
    pub(crate) fn reveal(mut self, start: usize, len: usize) -> Option<Self> {
        let end = start.checked_add(len).filter(|&e| e <= self.buf.len());
        let Some(end) = end else {
            self.buf.as_mut_slice().zeroize();
            return None;
        };
        let (head, rest) = self.buf.split_at_mut(start);
        head.zeroize();
        if let Some(tail) = rest.get_mut(len..) {
            tail.zeroize();
        }
        self.start = start;
        self.end = end;
        Some(self)
    }

    /// The body.
    pub fn as_slice(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or(&[])
    }
}

impl Drop for Plaintext {
    fn drop(&mut self) {
        // `[u8]::zeroize` is a fill followed by an optimisation barrier:
        // the stores cannot be removed as dead before the free.
        self.buf.as_mut_slice().zeroize();
        self.buf.spare_capacity_mut().zeroize();
    }
}

impl Zeroize for Plaintext {
    /// Zeroes the buffer and shows nothing (the allocation is kept).
    fn zeroize(&mut self) {
        self.buf.as_mut_slice().zeroize();
        self.start = 0;
        self.end = 0;
    }
}

impl ZeroizeOnDrop for Plaintext {}

impl Deref for Plaintext {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Plaintext {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Clone for Plaintext {
    /// A copy of the body alone, in a buffer of its length.
    fn clone(&self) -> Self {
        Self::copy_from(self.as_slice())
    }
}

impl From<Vec<u8>> for Plaintext {
    fn from(bytes: Vec<u8>) -> Self {
        Self::from_vec(bytes)
    }
}

impl From<&[u8]> for Plaintext {
    fn from(bytes: &[u8]) -> Self {
        Self::copy_from(bytes)
    }
}

impl PartialEq for Plaintext {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice().ct_eq(other.as_slice()).into()
    }
}

impl Eq for Plaintext {}

impl PartialEq<[u8]> for Plaintext {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice().ct_eq(other).into()
    }
}

impl PartialEq<&[u8]> for Plaintext {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_slice().ct_eq(other).into()
    }
}

impl<const N: usize> PartialEq<[u8; N]> for Plaintext {
    fn eq(&self, other: &[u8; N]) -> bool {
        self.as_slice().ct_eq(other.as_slice()).into()
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for Plaintext {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.as_slice().ct_eq(other.as_slice()).into()
    }
}

impl PartialEq<Vec<u8>> for Plaintext {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.as_slice().ct_eq(other.as_slice()).into()
    }
}

impl core::fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let Self { buf: _, start, end } = self;
        f.debug_struct("Plaintext")
            .field("len", &end.saturating_sub(*start))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec;

    #[test]
    fn reveal_shows_the_range_and_zeroes_the_rest() {
        let p = Plaintext::hidden(vec![1, 2, 3, 4, 5, 6]);
        assert!(p.is_empty());
        let p = p.reveal(2, 3).expect("inside");
        assert_eq!(p.as_slice(), &[3, 4, 5]);
        assert_eq!(p.buf, vec![0, 0, 3, 4, 5, 0]);
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn reveal_of_a_range_outside_the_buffer_shows_nothing() {
        assert!(Plaintext::hidden(vec![7; 4]).reveal(2, 3).is_none());
        assert!(
            Plaintext::hidden(vec![7; 4])
                .reveal(usize::MAX, 2)
                .is_none()
        );
        let whole = Plaintext::hidden(vec![7; 4]).reveal(0, 4).expect("inside");
        assert_eq!(whole.as_slice(), &[7; 4]);
        let empty_end = Plaintext::hidden(vec![7; 4]).reveal(4, 0).expect("inside");
        assert!(empty_end.is_empty());
        assert_eq!(empty_end.buf, vec![0; 4]);
    }

    #[test]
    fn zeroize_clears_the_buffer_and_the_view() {
        let mut p = Plaintext::copy_from(b"secret");
        p.zeroize();
        assert!(p.is_empty());
        assert_eq!(p.buf, vec![0; 6]);
    }

    #[test]
    fn equality_is_by_content_and_debug_shows_the_length_only() {
        let a = Plaintext::copy_from(b"abc");
        let b = Plaintext::hidden(b"xabcx".to_vec())
            .reveal(1, 3)
            .expect("inside");
        assert_eq!(a, b);
        assert_eq!(a, *b"abc");
        assert_eq!(a, b"abc");
        assert_eq!(a, b"abc".to_vec());
        assert_ne!(a, Plaintext::copy_from(b"abd"));
        assert_ne!(a, *b"ab");
        assert_eq!(b.clone().buf, b"abc".to_vec());
        assert_eq!(format!("{b:?}"), "Plaintext { len: 3 }");
        assert_eq!(
            Plaintext::from(b"q".as_slice()),
            Plaintext::from(b"q".to_vec())
        );
        // Every comparison also says "different".
        assert!(a != *b"abd".as_slice());
        assert!(a != b"abd".as_slice());
        assert!(a != *b"abd");
        assert!(a != b"abd");
        assert!(a != b"abd".to_vec());
        assert_eq!(a.as_ref(), b"abc");
        assert_eq!(&*a, b"abc");
    }
}
