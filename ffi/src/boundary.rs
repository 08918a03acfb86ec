//! The C boundary, in one place: the panic guard every export runs in, the
//! checks on the caller's pointers and lengths, and the opaque handles.
//!
//! Every exported function is `guard(|| { ... })`: pointers are checked and
//! turned into references by the helpers below before any work is done, so
//! a detectable misuse (NULL, a length that cannot be a buffer, overlapping
//! input and output, a misaligned or wrong-type handle) is a result code and
//! never undefined behaviour, and a panic is `SW_PANIC`, never an unwind
//! into C.

use core::mem::MaybeUninit;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::result::sw_result;

/// A result inside the boundary: the error is the code returned to C.
pub(crate) type Result<T> = core::result::Result<T, sw_result>;

/// Runs an export's body: `Ok` is `SW_OK`, `Err(code)` is `code`, a panic is
/// `SW_PANIC` (the panic does not cross into C).
pub(crate) fn guard(body: impl FnOnce() -> Result<()>) -> sw_result {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => sw_result::SW_OK,
        Ok(Err(code)) => code,
        Err(_) => sw_result::SW_PANIC,
    }
}

/// Runs the body of an export that returns nothing (the `_free`
/// functions): a panic is swallowed at the boundary.
pub(crate) fn guard_void(body: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(body));
}

/// Largest length a Rust slice may have.
const MAX_SLICE_LEN: usize = isize::MAX.unsigned_abs();

/// The caller's input buffer. NULL with length 0 is the empty input; NULL
/// with a length is `SW_NULL_POINTER`.
///
/// # Safety
///
/// A non-NULL `ptr` must be valid for reads of `len` bytes, and the bytes
/// must not change, for the returned lifetime.
pub(crate) unsafe fn input<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8]> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(sw_result::SW_NULL_POINTER)
        };
    }
    if len > MAX_SLICE_LEN {
        return Err(sw_result::SW_INVALID_ARGUMENT);
    }
    // SAFETY: `ptr` is non-NULL and, by this function's contract (the C
    // function's documented contract), valid for reads of `len` bytes that
    // do not change while the slice lives; `len` fits a slice; `u8` has no
    // alignment requirement.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// The caller's output buffer. NULL with length 0 is an empty buffer (a
/// size query); NULL with a length is `SW_NULL_POINTER`.
///
/// # Safety
///
/// A non-NULL `ptr` must be valid for reads and writes of `len` bytes, and
/// not accessed otherwise, for the returned lifetime.
pub(crate) unsafe fn output<'a>(ptr: *mut u8, len: usize) -> Result<&'a mut [u8]> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&mut [])
        } else {
            Err(sw_result::SW_NULL_POINTER)
        };
    }
    if len > MAX_SLICE_LEN {
        return Err(sw_result::SW_INVALID_ARGUMENT);
    }
    // SAFETY: `ptr` is non-NULL and, by this function's contract, valid for
    // reads and writes of `len` bytes that nothing else accesses while the
    // slice lives; `len` fits a slice; `u8` has no alignment requirement.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr, len) })
}

/// The caller's output array of `u32` (`len` elements), as [`output`].
///
/// # Safety
///
/// A non-NULL `ptr` must be valid for reads and writes of `len` `u32`s, and
/// not accessed otherwise, for the returned lifetime.
pub(crate) unsafe fn output_u32<'a>(ptr: *mut u32, len: usize) -> Result<&'a mut [u32]> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&mut [])
        } else {
            Err(sw_result::SW_NULL_POINTER)
        };
    }
    if !ptr.is_aligned() || len > MAX_SLICE_LEN / 4 {
        return Err(sw_result::SW_INVALID_ARGUMENT);
    }
    // SAFETY: `ptr` is non-NULL, aligned for `u32` and, by this function's
    // contract, valid for reads and writes of `len` `u32`s that nothing else
    // accesses while the slice lives; the byte length fits a slice.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr, len) })
}

/// The caller's input array of `len` `T`s (plain C structs whose every bit
/// pattern is a valid `T`). NULL with length 0 is the empty array; NULL
/// with a length is `SW_NULL_POINTER`; a misaligned pointer or a length no
/// array can have is `SW_INVALID_ARGUMENT`.
///
/// # Safety
///
/// A non-NULL `ptr` must be valid for reads of `len` initialised `T`s that
/// do not change for the returned lifetime; every bit pattern must be a
/// valid `T` (integers, byte arrays, raw pointers).
pub(crate) unsafe fn input_slice<'a, T>(ptr: *const T, len: usize) -> Result<&'a [T]> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(sw_result::SW_NULL_POINTER)
        };
    }
    let fits = len
        .checked_mul(core::mem::size_of::<T>())
        .is_some_and(|bytes| bytes <= MAX_SLICE_LEN);
    if !ptr.is_aligned() || !fits {
        return Err(sw_result::SW_INVALID_ARGUMENT);
    }
    // SAFETY: `ptr` is non-NULL, aligned for `T` and, by this function's
    // contract, valid for reads of `len` initialised `T`s that do not change
    // while the slice lives; the byte length fits a slice.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// The caller's output array of `len` `T`s, as [`output`]: NULL with length
/// 0 is an empty array (a size query); a misaligned pointer or a length no
/// array can have is `SW_INVALID_ARGUMENT`. Its elements are only written,
/// never read (the caller's memory need not be initialised).
///
/// # Safety
///
/// A non-NULL `ptr` must be valid for writes of `len` `T`s, and not
/// accessed otherwise, for the returned lifetime.
pub(crate) unsafe fn output_slice<'a, T>(
    ptr: *mut T,
    len: usize,
) -> Result<&'a mut [MaybeUninit<T>]> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&mut [])
        } else {
            Err(sw_result::SW_NULL_POINTER)
        };
    }
    let fits = len
        .checked_mul(core::mem::size_of::<T>())
        .is_some_and(|bytes| bytes <= MAX_SLICE_LEN);
    if !ptr.is_aligned() || !fits {
        return Err(sw_result::SW_INVALID_ARGUMENT);
    }
    // SAFETY: `ptr` is non-NULL, aligned for `T` and, by this function's
    // contract, valid for writes of `len` `T`s that nothing else accesses
    // while the slice lives; `MaybeUninit<T>` has the layout of `T` and asks
    // nothing of the current contents.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr.cast::<MaybeUninit<T>>(), len) })
}

/// Reads the caller's input struct: NULL is `SW_NULL_POINTER`, a
/// misaligned pointer `SW_INVALID_ARGUMENT`.
///
/// # Safety
///
/// A non-NULL `ptr` must be valid for one read of an initialised `T`, and
/// every bit pattern must be a valid `T` (integers, byte arrays, raw
/// pointers).
pub(crate) unsafe fn input_struct<T: Copy>(ptr: *const T) -> Result<T> {
    if ptr.is_null() {
        return Err(sw_result::SW_NULL_POINTER);
    }
    if !ptr.is_aligned() {
        return Err(sw_result::SW_INVALID_ARGUMENT);
    }
    // SAFETY: non-NULL, aligned, and by this function's contract valid for
    // one read of a `T` whose every bit pattern is valid.
    Ok(unsafe { ptr.read() })
}

/// Whether two byte ranges share a byte.
fn overlap(a: *const u8, a_len: usize, b: *const u8, b_len: usize) -> bool {
    if a_len == 0 || b_len == 0 {
        return false;
    }
    let (a, b) = (a.addr(), b.addr());
    a < b.saturating_add(b_len) && b < a.saturating_add(a_len)
}

/// An input and an output buffer of the same call, checked as [`input`]
/// and [`output`] and refused with `SW_INVALID_ARGUMENT` if they overlap.
///
/// # Safety
///
/// As [`input`] for `(inp, inp_len)` and [`output`] for `(out, out_len)`.
pub(crate) unsafe fn input_output<'a, 'b>(
    inp: *const u8,
    inp_len: usize,
    out: *mut u8,
    out_len: usize,
) -> Result<(&'a [u8], &'b mut [u8])> {
    if !inp.is_null() && !out.is_null() && overlap(inp, inp_len, out, out_len) {
        return Err(sw_result::SW_INVALID_ARGUMENT);
    }
    // SAFETY: the caller's contract for the input buffer; the two ranges do
    // not overlap, so the shared and the exclusive slice do not alias.
    let i = unsafe { input(inp, inp_len) }?;
    // SAFETY: the caller's contract for the output buffer.
    let o = unsafe { output(out, out_len) }?;
    Ok((i, o))
}

/// Refuses (`SW_INVALID_ARGUMENT`) an output buffer that overlaps any of a
/// call's input buffers, for calls with several inputs (with one input,
/// [`input_output`] does this). Reads nothing through the pointers.
pub(crate) fn disjoint(out: *mut u8, out_len: usize, inputs: &[(*const u8, usize)]) -> Result<()> {
    if out.is_null() {
        return Ok(());
    }
    let clash = inputs
        .iter()
        .any(|&(p, len)| !p.is_null() && overlap(p, len, out.cast_const(), out_len));
    if clash {
        Err(sw_result::SW_INVALID_ARGUMENT)
    } else {
        Ok(())
    }
}

/// An output parameter (`T *out`): NULL is `SW_NULL_POINTER`, a misaligned
/// pointer `SW_INVALID_ARGUMENT`. It is only ever written, never read.
pub(crate) struct Out<'a, T>(&'a mut MaybeUninit<T>);

impl<T: Copy> Out<'_, T> {
    /// Stores `value` through the caller's pointer.
    pub(crate) fn set(&mut self, value: T) {
        self.0.write(value);
    }
}

/// Checks an output parameter.
///
/// # Safety
///
/// A non-NULL `ptr` must be valid for writes of one `T`, and not accessed
/// otherwise, for the returned lifetime.
pub(crate) unsafe fn out<'a, T>(ptr: *mut T) -> Result<Out<'a, T>> {
    if ptr.is_null() {
        return Err(sw_result::SW_NULL_POINTER);
    }
    if !ptr.is_aligned() {
        return Err(sw_result::SW_INVALID_ARGUMENT);
    }
    // SAFETY: non-NULL, aligned, and by this function's contract valid for
    // writes of one `T` that nothing else accesses; `MaybeUninit<T>` has the
    // layout of `T` and asks nothing of the current contents.
    Ok(Out(unsafe { &mut *ptr.cast::<MaybeUninit<T>>() }))
}

/// Copies `bytes` into the caller's buffer and stores the length written;
/// if the buffer is too short, writes nothing, stores the length needed and
/// returns `SW_BUFFER_TOO_SMALL`.
pub(crate) fn write_bytes(
    buf: &mut [u8],
    written: &mut Out<'_, usize>,
    bytes: &[u8],
) -> Result<()> {
    written.set(bytes.len());
    match buf.get_mut(..bytes.len()) {
        Some(dst) => {
            dst.copy_from_slice(bytes);
            Ok(())
        }
        None => Err(sw_result::SW_BUFFER_TOO_SMALL),
    }
}

/// As [`write_bytes`], for a text written with a terminating NUL (the
/// length stored counts the NUL).
pub(crate) fn write_c_string(
    buf: &mut [u8],
    written: &mut Out<'_, usize>,
    text: &str,
) -> Result<()> {
    let needed = text.len().saturating_add(1);
    written.set(needed);
    match buf.get_mut(..needed) {
        Some(dst) => {
            let (body, nul) = dst.split_at_mut(text.len());
            body.copy_from_slice(text.as_bytes());
            nul.fill(0);
            Ok(())
        }
        None => Err(sw_result::SW_BUFFER_TOO_SMALL),
    }
}

/// A fixed-length input (a key, a seed, an id): NULL is `SW_NULL_POINTER`,
/// another length `SW_INVALID_ARGUMENT`.
///
/// # Safety
///
/// As [`input`].
pub(crate) unsafe fn input_array<const N: usize>(ptr: *const u8, len: usize) -> Result<[u8; N]> {
    if ptr.is_null() {
        return Err(sw_result::SW_NULL_POINTER);
    }
    // SAFETY: the caller's contract.
    let bytes = unsafe { input(ptr, len) }?;
    <[u8; N]>::try_from(bytes).map_err(|_| sw_result::SW_INVALID_ARGUMENT)
}

/// What a handle holds in memory: a type tag first, then the value. The
/// C side only ever sees a pointer to it, typed as the opaque handle `H`.
#[repr(C)]
struct Tagged<T> {
    magic: u64,
    value: T,
}

/// The tag of a freed handle.
const FREED: u64 = u64::from_be_bytes(*b"sw:freed");

/// An opaque handle type: the C name of a pointer to a [`Tagged`] value of
/// `Inner`, told apart from the other handles by `MAGIC`.
pub(crate) trait Handle: Sized {
    /// The Rust value behind the handle.
    type Inner;
    /// The tag, different for every handle type.
    const MAGIC: u64;
}

/// A new handle owning `value`, for the caller to free with the type's
/// `_free`.
pub(crate) fn new_handle<H: Handle>(value: H::Inner) -> *mut H {
    Box::into_raw(Box::new(Tagged {
        magic: H::MAGIC,
        value,
    }))
    .cast::<H>()
}

/// Checks a handle: NULL is `SW_NULL_POINTER`; a misaligned pointer or one
/// whose tag is not `H`'s (another handle type, a freed handle whose memory
/// was not reused) is `SW_INVALID_HANDLE`.
///
/// # Safety
///
/// A non-NULL `ptr` must point to memory readable for 8 bytes: in practice,
/// a live handle of any sealwire type.
unsafe fn tagged<H: Handle>(ptr: *const H) -> Result<*mut Tagged<H::Inner>> {
    if ptr.is_null() {
        return Err(sw_result::SW_NULL_POINTER);
    }
    let tagged = ptr.cast::<Tagged<H::Inner>>().cast_mut();
    if !tagged.is_aligned() {
        return Err(sw_result::SW_INVALID_HANDLE);
    }
    // SAFETY: every handle is a `Box<Tagged<_>>`, `#[repr(C)]` with the `u64`
    // tag first, so the first 8 bytes of any live handle are an initialised
    // tag; the pointer is aligned for `Tagged<_>` (alignment >= 8). Reading
    // the tag before making a reference is what lets a handle of another
    // type be refused.
    let magic = unsafe { tagged.cast::<u64>().read() };
    if magic != H::MAGIC {
        return Err(sw_result::SW_INVALID_HANDLE);
    }
    Ok(tagged)
}

/// Borrows a handle's value.
///
/// # Safety
///
/// A non-NULL `ptr` must be a live handle (of any sealwire type) that no
/// other thread mutates during the returned lifetime.
pub(crate) unsafe fn handle_ref<'a, H: Handle>(ptr: *const H) -> Result<&'a H::Inner> {
    // SAFETY: the caller's contract.
    let tagged = unsafe { tagged(ptr) }?;
    // SAFETY: the tag is `H`'s, so this is a live `Tagged<H::Inner>` made by
    // `new_handle`; the caller guarantees no concurrent mutation.
    Ok(unsafe { &(*tagged).value })
}

/// Borrows a handle's value mutably.
///
/// # Safety
///
/// A non-NULL `ptr` must be a live handle (of any sealwire type) that
/// nothing else accesses during the returned lifetime.
pub(crate) unsafe fn handle_mut<'a, H: Handle>(ptr: *mut H) -> Result<&'a mut H::Inner> {
    // SAFETY: the caller's contract.
    let tagged = unsafe { tagged(ptr) }?;
    // SAFETY: the tag is `H`'s, so this is a live `Tagged<H::Inner>` made by
    // `new_handle`; the caller guarantees exclusive access.
    Ok(unsafe { &mut (*tagged).value })
}

/// The body of an export that stores one value read from a handle:
/// `*out_value` is cleared (`T::default()`) before the handle is checked,
/// then set to what `get` reads.
///
/// # Safety
///
/// A non-NULL `handle` must be a live handle (of any sealwire type) that no
/// other thread mutates during the call; a non-NULL `out_value` valid for
/// one write.
pub(crate) unsafe fn get_value<H: Handle, T: Copy + Default>(
    handle: *const H,
    out_value: *mut T,
    get: impl FnOnce(&H::Inner) -> T,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut value = unsafe { out(out_value) }?;
        value.set(T::default());
        // SAFETY: the caller's contract.
        let inner = unsafe { handle_ref(handle) }?;
        value.set(get(inner));
        Ok(())
    })
}

/// The body of an export that writes bytes read from a handle into the
/// caller's buffer (as [`write_bytes`]: `*out_len` the length written or,
/// with `SW_BUFFER_TOO_SMALL`, needed; 0 before the handle is checked).
///
/// # Safety
///
/// A non-NULL `handle` must be a live handle (of any sealwire type) that no
/// other thread mutates during the call; a non-NULL `buf` valid for writes
/// of `buf_len` bytes; a non-NULL `out_len` valid for one write.
pub(crate) unsafe fn get_bytes<H: Handle, B: AsRef<[u8]>>(
    handle: *const H,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
    get: impl FnOnce(&H::Inner) -> B,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let inner = unsafe { handle_ref(handle) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output(buf, buf_len) }?;
        write_bytes(buf, &mut written, get(inner).as_ref())
    })
}

/// The body of an export that stores an optional value read from a handle:
/// `*out_present` false and `*out_value` `T::default()` before the handle
/// is checked; then, if `get` reads a value, `*out_present` true and the
/// value.
///
/// # Safety
///
/// As [`get_value`]; a non-NULL `out_present` valid for one write.
pub(crate) unsafe fn get_optional<H: Handle, T: Copy + Default>(
    handle: *const H,
    out_present: *mut bool,
    out_value: *mut T,
    get: impl FnOnce(&H::Inner) -> Option<T>,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut present = unsafe { out(out_present) }?;
        present.set(false);
        // SAFETY: the caller's contract.
        let mut value = unsafe { out(out_value) }?;
        value.set(T::default());
        // SAFETY: the caller's contract.
        let inner = unsafe { handle_ref(handle) }?;
        if let Some(v) = get(inner) {
            present.set(true);
            value.set(v);
        }
        Ok(())
    })
}

/// Frees a handle: NULL, and a pointer that is not a live `H`, are ignored.
///
/// # Safety
///
/// A non-NULL `ptr` must be a live handle (of any sealwire type) that
/// nothing else accesses, and is never used again once freed.
pub(crate) unsafe fn free_handle<H: Handle>(ptr: *mut H) {
    // SAFETY: the caller's contract.
    if let Ok(tagged) = unsafe { tagged(ptr) } {
        // SAFETY: a live `Tagged<H::Inner>` from `Box::into_raw` in
        // `new_handle`, exclusively ours now. The tag is overwritten first,
        // so that a second free of the same pointer, if the memory was not
        // reused, reads a foreign tag and is ignored.
        unsafe {
            (*tagged).magic = FREED;
            drop(Box::from_raw(tagged));
        }
    }
}

/// Sets `*out` to NULL at the start of a constructor, so that the caller
/// holds NULL (which `_free` ignores) on every error.
pub(crate) fn clear_handle<H>(out: &mut Out<'_, *mut H>) {
    out.set(core::ptr::null_mut());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_sw_panic() {
        assert_eq!(guard(|| panic!("boom")), sw_result::SW_PANIC);
        guard_void(|| panic!("boom"));
        assert_eq!(guard(|| Ok(())), sw_result::SW_OK);
        assert_eq!(
            guard(|| Err(sw_result::SW_INTERNAL)),
            sw_result::SW_INTERNAL
        );
    }

    #[test]
    fn buffers() {
        // SAFETY: NULL pointers are never dereferenced.
        unsafe {
            assert_eq!(input(core::ptr::null(), 0), Ok(&[][..]));
            assert_eq!(input(core::ptr::null(), 1), Err(sw_result::SW_NULL_POINTER));
            assert!(output(core::ptr::null_mut(), 0).is_ok_and(|b| b.is_empty()));
            assert!(output(core::ptr::null_mut(), 3).is_err());
            assert!(output_u32(core::ptr::null_mut(), 3).is_err());
            assert!(out::<usize>(core::ptr::null_mut()).is_err());
        }
        let data = [1u8; 4];
        // SAFETY: a live array and its length; the checks refuse before
        // reading anything.
        unsafe {
            assert_eq!(
                input(data.as_ptr(), usize::MAX).err(),
                Some(sw_result::SW_INVALID_ARGUMENT)
            );
            assert_eq!(
                input_array::<4>(data.as_ptr(), 3).err(),
                Some(sw_result::SW_INVALID_ARGUMENT)
            );
            assert_eq!(input_array::<4>(data.as_ptr(), 4), Ok([1; 4]));
        }
        let mut words = [0u32; 3];
        let misaligned = words
            .as_mut_ptr()
            .cast::<u8>()
            .wrapping_add(1)
            .cast::<u32>();
        // SAFETY: the misaligned pointer is refused before any access.
        unsafe {
            assert_eq!(
                output_u32(misaligned, 1).err(),
                Some(sw_result::SW_INVALID_ARGUMENT)
            );
            assert_eq!(out(misaligned).err(), Some(sw_result::SW_INVALID_ARGUMENT));
        }
    }

    #[test]
    fn typed_arrays_and_structs() {
        let words = [1u32, 2, 3, 4];
        let misaligned = words.as_ptr().cast::<u8>().wrapping_add(1).cast::<u32>();
        // SAFETY: NULL and misaligned pointers are refused before any
        // access; the live array is read within its length.
        unsafe {
            assert_eq!(input_slice::<u32>(core::ptr::null(), 0), Ok(&[][..]));
            assert_eq!(
                input_slice::<u32>(core::ptr::null(), 1),
                Err(sw_result::SW_NULL_POINTER)
            );
            assert_eq!(input_slice(words.as_ptr(), 4), Ok(&words[..]));
            assert_eq!(
                input_slice(misaligned, 1),
                Err(sw_result::SW_INVALID_ARGUMENT)
            );
            assert_eq!(
                input_slice(words.as_ptr(), usize::MAX / 2),
                Err(sw_result::SW_INVALID_ARGUMENT)
            );
            assert_eq!(input_struct(words.as_ptr()), Ok(1));
            assert_eq!(
                input_struct::<u32>(core::ptr::null()),
                Err(sw_result::SW_NULL_POINTER)
            );
            assert_eq!(
                input_struct(misaligned),
                Err(sw_result::SW_INVALID_ARGUMENT)
            );
        }
        let mut out_words = [0u32; 2];
        let misaligned = out_words
            .as_mut_ptr()
            .cast::<u8>()
            .wrapping_add(1)
            .cast::<u32>();
        // SAFETY: as above; the live array is written within its length.
        unsafe {
            assert!(output_slice::<u32>(core::ptr::null_mut(), 0).is_ok_and(|s| s.is_empty()));
            assert_eq!(
                output_slice::<u32>(core::ptr::null_mut(), 1).err(),
                Some(sw_result::SW_NULL_POINTER)
            );
            assert_eq!(
                output_slice(misaligned, 1).err(),
                Some(sw_result::SW_INVALID_ARGUMENT)
            );
            assert_eq!(
                output_slice(out_words.as_mut_ptr(), usize::MAX / 4).err(),
                Some(sw_result::SW_INVALID_ARGUMENT)
            );
            let slots = output_slice(out_words.as_mut_ptr(), 2).unwrap_or_else(|_| unreachable!());
            slots[1].write(9);
        }
        assert_eq!(out_words, [0, 9]);
    }

    #[test]
    fn overlap_is_detected() {
        let a = [0u8; 16];
        let p = a.as_ptr();
        assert!(overlap(p, 8, p.wrapping_add(7), 8));
        assert!(overlap(p.wrapping_add(7), 8, p, 8));
        assert!(!overlap(p, 8, p.wrapping_add(8), 8));
        assert!(!overlap(p, 0, p, 8));
        assert!(overlap(p, 16, p.wrapping_add(4), 1));
        let mut b = [0u8; 16];
        let q = b.as_mut_ptr();
        assert_eq!(disjoint(q, 16, &[(p, 16), (core::ptr::null(), 4)]), Ok(()));
        assert_eq!(
            disjoint(q, 16, &[(p, 16), (q.wrapping_add(15).cast_const(), 1)]),
            Err(sw_result::SW_INVALID_ARGUMENT)
        );
        assert_eq!(disjoint(core::ptr::null_mut(), 0, &[(p, 16)]), Ok(()));
    }

    #[test]
    fn short_buffers_report_the_length_needed() {
        let mut n = 0usize;
        // SAFETY: a live local.
        let mut written = unsafe { out(&mut n) }.unwrap_or_else(|_| unreachable!());
        let mut buf = [0u8; 3];
        assert_eq!(
            write_bytes(&mut buf, &mut written, b"four"),
            Err(sw_result::SW_BUFFER_TOO_SMALL)
        );
        assert_eq!(
            write_c_string(&mut buf, &mut written, "abc"),
            Err(sw_result::SW_BUFFER_TOO_SMALL)
        );
        assert_eq!(write_c_string(&mut buf, &mut written, "ab"), Ok(()));
        assert_eq!((n, buf), (3, *b"ab\0"));
    }
}
