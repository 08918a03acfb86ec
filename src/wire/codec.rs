//! The one reader/writer pair used by every wire type: fixed-width
//! big-endian integers and fixed-length byte strings, every length checked.

use crate::error::DecodeError;

/// A cursor over untrusted bytes. Every read checks the remaining length.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Everything that is left.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.rest)
    }

    /// Succeeds only if every byte was consumed.
    pub(crate) fn finish(self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }
}

/// A cursor writing into a caller's buffer. Writing past the end is
/// reported, never a panic.
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

/// The buffer was too small for what was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overflow;

/// Runs `write` over all of `buf` and returns it: for an encoding into a
/// buffer allocated with the exact length of what `write` writes (the
/// caller's `encoded_len`), so that running out of room is a bug, not a
/// short or zero-filled encoding.
pub(crate) fn write_exact<B: AsMut<[u8]>>(
    mut buf: B,
    write: impl FnOnce(&mut Writer<'_>) -> Result<(), Overflow>,
) -> B {
    #[allow(
        clippy::expect_used,
        reason = "every caller sizes `buf` with the `encoded_len` of what `write` writes"
    )]
    write(&mut Writer::new(buf.as_mut())).expect("the buffer is sized for the encoding");
    buf
}

impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn bytes(&mut self, data: &[u8]) -> Result<(), Overflow> {
        let end = self.pos.checked_add(data.len()).ok_or(Overflow)?;
        let dst = self.buf.get_mut(self.pos..end).ok_or(Overflow)?;
        dst.copy_from_slice(data);
        self.pos = end;
        Ok(())
    }

    /// Reserves `n` bytes and hands them out for the caller to fill.
    pub(crate) fn reserve(&mut self, n: usize) -> Result<&mut [u8], Overflow> {
        let end = self.pos.checked_add(n).ok_or(Overflow)?;
        let start = self.pos;
        self.pos = end;
        self.buf.get_mut(start..end).ok_or(Overflow)
    }

    pub(crate) fn u8(&mut self, v: u8) -> Result<(), Overflow> {
        self.bytes(&[v])
    }

    pub(crate) fn u32(&mut self, v: u32) -> Result<(), Overflow> {
        self.bytes(&v.to_be_bytes())
    }

    pub(crate) fn u64(&mut self, v: u64) -> Result<(), Overflow> {
        self.bytes(&v.to_be_bytes())
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }
}
