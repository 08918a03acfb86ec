//! The C boundary, in one place: the panic guard every export runs in, the
//! checks on the caller's pointers and lengths, and the opaque handles.
//!
//! Every exported function is `guard(|| { ... })`: pointers are checked and
//! turned into references by the helpers below before any work is done, so
//! a detectable misuse (NULL, a length that cannot be a buffer, overlapping
//! input and output, a misaligned or wrong-type handle) is a result code and
//! never undefined behaviour, and a panic is `SW_PANIC`, never an unwind
//! into C.
//!
//! The checks also say what was wrong, naming the C parameter ("out_len is
//! NULL", "key_len is 31: key is 32 bytes", "an sw_identity handle where an
//! sw_session handle is required"): the per-thread error detail that
//! `sw_last_error_detail` reads. The macros below ([`input!`], [`out!`],
//! ...) pass the parameters' names to the checks, so that no export words
//! its own messages. The detail never holds secret bytes or anything that
//! depends on a key: errors of the core get their code's fixed message.

use core::cell::RefCell;
use core::ffi::c_char;
use core::fmt::{self, Write as _};
use core::mem::MaybeUninit;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::result::sw_result;

/// A result inside the boundary: the error is the code returned to C.
pub(crate) type Result<T> = core::result::Result<T, sw_result>;

/// Capacity of the error detail, NUL included (a longer detail is cut).
const DETAIL_CAP: usize = 256;

std::thread_local! {
    /// The calling thread's error detail, a NUL-terminated string. A fixed
    /// buffer: the pointer `sw_last_error_detail` returns stays valid for
    /// the thread's life (its text changes with the next call).
    static DETAIL: RefCell<[u8; DETAIL_CAP]> = const { RefCell::new([0; DETAIL_CAP]) };
}

/// Writes into the detail buffer, cutting at the capacity (on a character
/// boundary) and keeping the terminating NUL.
struct DetailWriter<'a> {
    buf: &'a mut [u8; DETAIL_CAP],
    len: usize,
}

impl fmt::Write for DetailWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = DETAIL_CAP.saturating_sub(1).saturating_sub(self.len);
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take = take.saturating_sub(1);
        }
        let end = self.len.saturating_add(take);
        if let (Some(dst), Some(src)) = (self.buf.get_mut(self.len..end), s.as_bytes().get(..take))
        {
            dst.copy_from_slice(src);
            self.len = end;
        }
        Ok(())
    }
}

/// Replaces the calling thread's error detail.
pub(crate) fn set_detail(args: fmt::Arguments<'_>) {
    let _ = DETAIL.try_with(|d| {
        if let Ok(mut buf) = d.try_borrow_mut() {
            let mut w = DetailWriter {
                buf: &mut buf,
                len: 0,
            };
            let _ = w.write_fmt(args);
            let end = w.len;
            if let Some(nul) = buf.get_mut(end) {
                *nul = 0;
            }
        }
    });
}

/// Empties the calling thread's error detail (a NUL first byte: no
/// formatting, on every call's path).
fn clear_detail() {
    let _ = DETAIL.try_with(|d| {
        if let Ok(mut buf) = d.try_borrow_mut()
            && let Some(first) = buf.first_mut()
        {
            *first = 0;
        }
    });
}

/// Whether the calling thread's error detail is empty.
fn detail_is_empty() -> bool {
    DETAIL
        .try_with(|d| d.try_borrow().map_or(true, |b| b.first() == Some(&0)))
        .unwrap_or(true)
}

/// `code`, with `args` as the error detail: how the checks fail.
pub(crate) fn fail(code: sw_result, args: fmt::Arguments<'_>) -> sw_result {
    set_detail(args);
    code
}

/// The calling thread's error detail, NUL-terminated: a pointer into
/// thread-local storage, or to a static empty string if that is gone.
pub(crate) fn detail_ptr() -> *const c_char {
    DETAIL
        .try_with(|d| d.as_ptr().cast::<c_char>().cast_const())
        .unwrap_or(c"".as_ptr())
}

/// Runs an export's body: `Ok` is `SW_OK`, `Err(code)` is `code`, a panic is
/// `SW_PANIC` (the panic does not cross into C). The error detail is
/// emptied first and, on success, again; an error whose check gave no
/// detail (an error of the core) gets its code's fixed message, so that the
/// detail of every failure that depends on a key is one fixed text.
pub(crate) fn guard(body: impl FnOnce() -> Result<()>) -> sw_result {
    clear_detail();
    let code = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => sw_result::SW_OK,
        Ok(Err(code)) => code,
        Err(_) => sw_result::SW_PANIC,
    };
    if code == sw_result::SW_OK {
        // A check that failed inside a call that then succeeded.
        if !detail_is_empty() {
            clear_detail();
        }
    } else if code == sw_result::SW_PANIC || detail_is_empty() {
        set_detail(format_args!("{}", code.message()));
    }
    code
}

/// Runs the body of an export that returns nothing (the `_free`
/// functions): a panic is swallowed at the boundary.
pub(crate) fn guard_void(body: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(body));
}

/// Largest length a Rust slice may have.
const MAX_SLICE_LEN: usize = isize::MAX.unsigned_abs();

/// The C names of a buffer parameter and of its length parameter, for the
/// error detail.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Names {
    /// The pointer's name (`body`).
    pub(crate) ptr: &'static str,
    /// The length's name (`body_len`).
    pub(crate) len: &'static str,
}

/// [`Names`] from the two parameters' identifiers.
macro_rules! names {
    ($ptr:ident, $len:ident) => {
        $crate::boundary::Names {
            ptr: stringify!($ptr),
            len: stringify!($len),
        }
    };
}

/// `arg!(ptr, len)`: a buffer parameter with its length and their names,
/// for the helpers that check a buffer of their caller's.
macro_rules! arg {
    ($ptr:ident, $len:ident) => {
        (names!($ptr, $len), $ptr, $len)
    };
}

/// `input!(ptr, len)`: [`input`] with the parameters' names.
macro_rules! input {
    ($ptr:ident, $len:ident) => {
        $crate::boundary::input(names!($ptr, $len), $ptr, $len)
    };
}

/// `output!(ptr, len)`: [`output`] with the parameters' names.
macro_rules! output {
    ($ptr:ident, $len:ident) => {
        $crate::boundary::output(names!($ptr, $len), $ptr, $len)
    };
}

/// `output_u32!(ptr, len)`: [`output_u32`] with the parameters' names.
macro_rules! output_u32 {
    ($ptr:ident, $len:ident) => {
        $crate::boundary::output_u32(names!($ptr, $len), $ptr, $len)
    };
}

/// `input_slice!(ptr, len)`: [`input_slice`] with the parameters' names.
macro_rules! input_slice {
    ($ptr:ident, $len:ident) => {
        $crate::boundary::input_slice(names!($ptr, $len), $ptr, $len)
    };
}

/// `output_slice!(ptr, len)`: [`output_slice`] with the parameters' names.
macro_rules! output_slice {
    ($ptr:ident, $len:ident) => {
        $crate::boundary::output_slice(names!($ptr, $len), $ptr, $len)
    };
}

/// `input_array!(ptr, len)`: [`input_array`] with the parameters' names.
macro_rules! input_array {
    ($ptr:ident, $len:ident) => {
        $crate::boundary::input_array(names!($ptr, $len), $ptr, $len)
    };
}

/// `input_struct!(ptr)`: [`input_struct`] with the parameter's name.
macro_rules! input_struct {
    ($ptr:ident) => {
        $crate::boundary::input_struct(stringify!($ptr), $ptr)
    };
}

/// `non_null!(ptr)`: `SW_NULL_POINTER`, naming the parameter, if `ptr` is
/// NULL.
macro_rules! non_null {
    ($ptr:ident) => {
        $crate::boundary::non_null(stringify!($ptr), $ptr.is_null())
    };
}

/// `out!(ptr)`: [`out`] with the parameter's name.
macro_rules! out {
    ($ptr:ident) => {
        $crate::boundary::out(stringify!($ptr), $ptr)
    };
}

/// `input_output!(inp, inp_len, out, out_len)`: [`input_output`] with the
/// parameters' names.
macro_rules! input_output {
    ($inp:ident, $inp_len:ident, $out:ident, $out_len:ident) => {
        $crate::boundary::input_output(
            names!($inp, $inp_len),
            $inp,
            $inp_len,
            names!($out, $out_len),
            $out,
            $out_len,
        )
    };
}

/// `disjoint!(out, out_len, [(inp, inp_len), ...])`: [`disjoint`] with the
/// parameters' names.
macro_rules! disjoint {
    ($out:ident, $out_len:ident, [$(($inp:ident, $inp_len:ident)),* $(,)?]) => {
        $crate::boundary::disjoint(
            stringify!($out),
            $out,
            $out_len,
            &[$((stringify!($inp), $inp, $inp_len)),*],
        )
    };
}

/// The checks common to every buffer: NULL with a length is
/// `SW_NULL_POINTER`, a length no buffer can have `SW_INVALID_ARGUMENT`,
/// NULL with length 0 is the empty buffer (`Ok(false)`).
fn check_buffer<T>(names: Names, is_null: bool, misaligned: bool, len: usize) -> Result<bool> {
    let max = MAX_SLICE_LEN
        .checked_div(core::mem::size_of::<T>().max(1))
        .unwrap_or(0);
    if is_null {
        return if len == 0 {
            Ok(false)
        } else {
            Err(fail(
                sw_result::SW_NULL_POINTER,
                format_args!("{} is NULL but {} is {len}", names.ptr, names.len),
            ))
        };
    }
    if misaligned {
        return Err(fail(
            sw_result::SW_INVALID_ARGUMENT,
            format_args!(
                "{} is not aligned for {}",
                names.ptr,
                core::any::type_name::<T>()
            ),
        ));
    }
    if len > max {
        return Err(fail(
            sw_result::SW_INVALID_ARGUMENT,
            format_args!("{} is {len}: larger than any buffer can be", names.len),
        ));
    }
    Ok(true)
}

/// The caller's input buffer. NULL with length 0 is the empty input; NULL
/// with a length is `SW_NULL_POINTER`.
///
/// # Safety
///
/// A non-NULL `ptr` must be valid for reads of `len` bytes, and the bytes
/// must not change, for the returned lifetime.
pub(crate) unsafe fn input<'a>(names: Names, ptr: *const u8, len: usize) -> Result<&'a [u8]> {
    if !check_buffer::<u8>(names, ptr.is_null(), false, len)? {
        return Ok(&[]);
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
pub(crate) unsafe fn output<'a>(names: Names, ptr: *mut u8, len: usize) -> Result<&'a mut [u8]> {
    if !check_buffer::<u8>(names, ptr.is_null(), false, len)? {
        return Ok(&mut []);
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
pub(crate) unsafe fn output_u32<'a>(
    names: Names,
    ptr: *mut u32,
    len: usize,
) -> Result<&'a mut [u32]> {
    if !check_buffer::<u32>(names, ptr.is_null(), !ptr.is_aligned(), len)? {
        return Ok(&mut []);
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
pub(crate) unsafe fn input_slice<'a, T>(
    names: Names,
    ptr: *const T,
    len: usize,
) -> Result<&'a [T]> {
    if !check_buffer::<T>(names, ptr.is_null(), !ptr.is_aligned(), len)? {
        return Ok(&[]);
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
    names: Names,
    ptr: *mut T,
    len: usize,
) -> Result<&'a mut [MaybeUninit<T>]> {
    if !check_buffer::<T>(names, ptr.is_null(), !ptr.is_aligned(), len)? {
        return Ok(&mut []);
    }
    // SAFETY: `ptr` is non-NULL, aligned for `T` and, by this function's
    // contract, valid for writes of `len` `T`s that nothing else accesses
    // while the slice lives; `MaybeUninit<T>` has the layout of `T` and asks
    // nothing of the current contents.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr.cast::<MaybeUninit<T>>(), len) })
}

/// A required pointer parameter (an input struct, an output): NULL is
/// `SW_NULL_POINTER`, a misaligned pointer `SW_INVALID_ARGUMENT`.
fn check_pointer<T>(name: &str, ptr: *const T) -> Result<()> {
    if ptr.is_null() {
        return Err(fail(
            sw_result::SW_NULL_POINTER,
            format_args!("{name} is NULL"),
        ));
    }
    if !ptr.is_aligned() {
        return Err(fail(
            sw_result::SW_INVALID_ARGUMENT,
            format_args!("{name} is not aligned for {}", core::any::type_name::<T>()),
        ));
    }
    Ok(())
}

/// `SW_NULL_POINTER`, naming the parameter, if `is_null`.
pub(crate) fn non_null(name: &str, is_null: bool) -> Result<()> {
    if is_null {
        Err(fail(
            sw_result::SW_NULL_POINTER,
            format_args!("{name} is NULL"),
        ))
    } else {
        Ok(())
    }
}

/// Reads the caller's input struct: NULL is `SW_NULL_POINTER`, a
/// misaligned pointer `SW_INVALID_ARGUMENT`.
///
/// # Safety
///
/// A non-NULL `ptr` must be valid for one read of an initialised `T`, and
/// every bit pattern must be a valid `T` (integers, byte arrays, raw
/// pointers).
pub(crate) unsafe fn input_struct<T: Copy>(name: &str, ptr: *const T) -> Result<T> {
    check_pointer(name, ptr)?;
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
    inp_names: Names,
    inp: *const u8,
    inp_len: usize,
    out_names: Names,
    out: *mut u8,
    out_len: usize,
) -> Result<(&'a [u8], &'b mut [u8])> {
    disjoint(
        out_names.ptr,
        out,
        out_len,
        &[(inp_names.ptr, inp, inp_len)],
    )?;
    // SAFETY: the caller's contract for the input buffer; the two ranges do
    // not overlap, so the shared and the exclusive slice do not alias.
    let i = unsafe { input(inp_names, inp, inp_len) }?;
    // SAFETY: the caller's contract for the output buffer.
    let o = unsafe { output(out_names, out, out_len) }?;
    Ok((i, o))
}

/// Refuses (`SW_INVALID_ARGUMENT`) an output buffer that overlaps any of a
/// call's input buffers (each with its name), for calls with several inputs
/// (with one input, [`input_output`] does this). Reads nothing through the
/// pointers.
pub(crate) fn disjoint(
    out_name: &str,
    out: *mut u8,
    out_len: usize,
    inputs: &[(&str, *const u8, usize)],
) -> Result<()> {
    if out.is_null() {
        return Ok(());
    }
    let clash = inputs
        .iter()
        .find(|&&(_, p, len)| !p.is_null() && overlap(p, len, out.cast_const(), out_len));
    match clash {
        Some((name, _, _)) => Err(fail(
            sw_result::SW_INVALID_ARGUMENT,
            format_args!("{out_name} overlaps {name}"),
        )),
        None => Ok(()),
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
pub(crate) unsafe fn out<'a, T>(name: &str, ptr: *mut T) -> Result<Out<'a, T>> {
    check_pointer(name, ptr.cast_const())?;
    // SAFETY: non-NULL, aligned, and by this function's contract valid for
    // writes of one `T` that nothing else accesses; `MaybeUninit<T>` has the
    // layout of `T` and asks nothing of the current contents.
    Ok(Out(unsafe { &mut *ptr.cast::<MaybeUninit<T>>() }))
}

/// `SW_BUFFER_TOO_SMALL` with the lengths in the detail.
pub(crate) fn too_small(have: usize, needed: usize) -> sw_result {
    fail(
        sw_result::SW_BUFFER_TOO_SMALL,
        format_args!("the output buffer holds {have} bytes; {needed} are needed"),
    )
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
    let have = buf.len();
    match buf.get_mut(..bytes.len()) {
        Some(dst) => {
            dst.copy_from_slice(bytes);
            Ok(())
        }
        None => Err(too_small(have, bytes.len())),
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
    let have = buf.len();
    match buf.get_mut(..needed) {
        Some(dst) => {
            let (body, nul) = dst.split_at_mut(text.len());
            body.copy_from_slice(text.as_bytes());
            nul.fill(0);
            Ok(())
        }
        None => Err(too_small(have, needed)),
    }
}

/// A fixed-length input (a key, a seed, an id): NULL is `SW_NULL_POINTER`,
/// another length `SW_INVALID_ARGUMENT`.
///
/// # Safety
///
/// As [`input`].
pub(crate) unsafe fn input_array<const N: usize>(
    names: Names,
    ptr: *const u8,
    len: usize,
) -> Result<[u8; N]> {
    if ptr.is_null() {
        return Err(fail(
            sw_result::SW_NULL_POINTER,
            format_args!("{} is NULL", names.ptr),
        ));
    }
    // SAFETY: the caller's contract.
    let bytes = unsafe { input(names, ptr, len) }?;
    <[u8; N]>::try_from(bytes).map_err(|_| {
        fail(
            sw_result::SW_INVALID_ARGUMENT,
            format_args!("{} is {len}: {} is {N} bytes", names.len, names.ptr),
        )
    })
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

/// The C name of handle type `H` (`sw_session`), for the error detail.
fn handle_name<H>() -> &'static str {
    let full = core::any::type_name::<H>();
    full.rsplit("::").next().unwrap_or(full)
}

/// The C name of the handle type whose tag is `magic`, if it is one.
fn tag_name(magic: u64) -> Option<&'static str> {
    use crate::*;
    /// `(MAGIC, name)` of every handle type.
    fn entry<H: Handle>() -> (u64, &'static str) {
        (H::MAGIC, handle_name::<H>())
    }
    [
        entry::<sw_rng>(),
        entry::<sw_identity>(),
        entry::<sw_prekey_store>(),
        entry::<sw_bundle>(),
        entry::<sw_session>(),
        entry::<sw_expiry_queue>(),
        entry::<sw_safety_number>(),
        entry::<sw_relay_key>(),
        entry::<sw_verified_report>(),
        entry::<sw_attachment_pointer>(),
        entry::<sw_group>(),
        entry::<sw_channel_owner>(),
        entry::<sw_channel_subscriber>(),
        entry::<sw_distribution>(),
        entry::<sw_device_list>(),
        entry::<sw_device_sessions>(),
        entry::<sw_device_messages>(),
        entry::<sw_server_key>(),
        entry::<sw_trusted_server_keys>(),
        entry::<sw_unsealed>(),
        entry::<sw_unsealed_post>(),
        entry::<sw_profile_key>(),
    ]
    .into_iter()
    .find(|&(m, _)| m == magic)
    .map(|(_, name)| name)
}

/// Checks a handle: NULL is `SW_NULL_POINTER`; a misaligned pointer or one
/// whose tag is not `H`'s (another handle type, a freed handle whose memory
/// was not reused) is `SW_INVALID_HANDLE`. The detail names the type
/// expected and, for a handle of another type, the type given.
///
/// # Safety
///
/// A non-NULL `ptr` must point to memory readable for 8 bytes: in practice,
/// a live handle of any sealwire type.
unsafe fn tagged<H: Handle>(ptr: *const H) -> Result<*mut Tagged<H::Inner>> {
    // The name is looked up only to word a failure: a string search that
    // the success path, on every call, does not pay.
    let want = handle_name::<H>;
    if ptr.is_null() {
        return Err(fail(
            sw_result::SW_NULL_POINTER,
            format_args!("the {} handle is NULL", want()),
        ));
    }
    let tagged = ptr.cast::<Tagged<H::Inner>>().cast_mut();
    if !tagged.is_aligned() {
        return Err(fail(
            sw_result::SW_INVALID_HANDLE,
            format_args!("the {} handle is misaligned: not a handle", want()),
        ));
    }
    // SAFETY: every handle is a `Box<Tagged<_>>`, `#[repr(C)]` with the `u64`
    // tag first, so the first 8 bytes of any live handle are an initialised
    // tag; the pointer is aligned for `Tagged<_>` (alignment >= 8). Reading
    // the tag before making a reference is what lets a handle of another
    // type be refused.
    let magic = unsafe { tagged.cast::<u64>().read() };
    if magic != H::MAGIC {
        return Err(match (magic == FREED, tag_name(magic)) {
            (true, _) => fail(
                sw_result::SW_INVALID_HANDLE,
                format_args!("the {} handle was freed", want()),
            ),
            (false, Some(got)) => fail(
                sw_result::SW_INVALID_HANDLE,
                format_args!("an {got} handle where an {} handle is required", want()),
            ),
            (false, None) => fail(
                sw_result::SW_INVALID_HANDLE,
                format_args!("the {} handle is not a live sealwire handle", want()),
            ),
        });
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

/// `named!(ptr)`: a pointer parameter with its name, for [`get_value`] and
/// [`get_optional`].
macro_rules! named {
    ($ptr:ident) => {
        (stringify!($ptr), $ptr)
    };
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
    (out_name, out_value): (&str, *mut T),
    get: impl FnOnce(&H::Inner) -> T,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut value = unsafe { out(out_name, out_value) }?;
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
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let inner = unsafe { handle_ref(handle) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
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
    (present_name, out_present): (&str, *mut bool),
    (value_name, out_value): (&str, *mut T),
    get: impl FnOnce(&H::Inner) -> Option<T>,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut present = unsafe { out(present_name, out_present) }?;
        present.set(false);
        // SAFETY: the caller's contract.
        let mut value = unsafe { out(value_name, out_value) }?;
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

    const N: Names = Names {
        ptr: "p",
        len: "p_len",
    };

    /// The calling thread's error detail.
    fn detail() -> String {
        // SAFETY: a NUL-terminated string in thread-local storage.
        unsafe { std::ffi::CStr::from_ptr(detail_ptr()) }
            .to_str()
            .unwrap_or_else(|_| unreachable!())
            .to_owned()
    }

    #[test]
    fn the_detail_names_the_argument() {
        let body = [0u8; 4];
        let (body_ptr, body_len) = (body.as_ptr(), 4usize);
        let none: *mut usize = core::ptr::null_mut();
        let key: *const u8 = body.as_ptr();
        let key_len = 3usize;
        type Case<'a> = Box<dyn Fn() -> Result<()> + 'a>;
        let cases: [(sw_result, &str, Case<'_>); 5] = [
            (
                sw_result::SW_NULL_POINTER,
                "out_len is NULL",
                Box::new(|| {
                    let out_len = none;
                    // SAFETY: NULL is refused before any access.
                    unsafe { out!(out_len) }.map(|_| ())
                }),
            ),
            (
                sw_result::SW_INVALID_ARGUMENT,
                "key_len is 3: key is 32 bytes",
                // SAFETY: a live buffer of at least `key_len` bytes.
                Box::new(|| unsafe { input_array!(key, key_len) }.map(|_: [u8; 32]| ())),
            ),
            (
                sw_result::SW_NULL_POINTER,
                "body_ptr is NULL but body_len is 4",
                Box::new(|| {
                    let body_ptr: *const u8 = core::ptr::null();
                    // SAFETY: NULL is refused before any access.
                    unsafe { input!(body_ptr, body_len) }.map(|_| ())
                }),
            ),
            (
                sw_result::SW_INVALID_ARGUMENT,
                "buf overlaps body_ptr",
                Box::new(|| {
                    let buf = body_ptr.cast_mut();
                    let buf_len = 2usize;
                    disjoint!(buf, buf_len, [(body_ptr, body_len)])
                }),
            ),
            (
                sw_result::SW_NULL_POINTER,
                "the sw_session handle is NULL",
                Box::new(|| {
                    let session: *const crate::sw_session = core::ptr::null();
                    // SAFETY: NULL is refused before any access.
                    unsafe { handle_ref(session) }.map(|_| ())
                }),
            ),
        ];
        for (code, text, case) in cases {
            assert_eq!(guard(case), code);
            assert_eq!(detail(), text);
            // Success empties it.
            assert_eq!(guard(|| Ok(())), sw_result::SW_OK);
            assert_eq!(detail(), "");
        }
        // A handle of another type names both types.
        let rng = new_handle::<crate::sw_rng>(crate::rng::Rng::Os(sealwire::os_rng()));
        let rc = guard(|| {
            // SAFETY: a live handle of another type: refused by its tag.
            unsafe { handle_ref(rng.cast_const().cast::<crate::sw_session>()) }.map(|_| ())
        });
        assert_eq!(rc, sw_result::SW_INVALID_HANDLE);
        assert_eq!(
            detail(),
            "an sw_rng handle where an sw_session handle is required"
        );
        // SAFETY: the live handle made above, freed once.
        unsafe { free_handle(rng) };
        // An error of the core: its code's fixed message.
        assert_eq!(
            guard(|| Err(sw_result::SW_SESSION_AUTHENTICATION_FAILED)),
            sw_result::SW_SESSION_AUTHENTICATION_FAILED
        );
        assert_eq!(
            detail(),
            sw_result::SW_SESSION_AUTHENTICATION_FAILED.message()
        );
    }

    #[test]
    fn ranges_overlap_exactly_when_they_share_a_byte() {
        let buf = [0u8; 16];
        let at = |i: usize| buf.as_ptr().wrapping_add(i);
        // (a, a_len, b, b_len, overlap)
        let cases = [
            (0, 4, 4, 4, false), // adjacent, either order
            (4, 4, 0, 4, false),
            (0, 4, 3, 4, true), // one shared byte, either order
            (3, 4, 0, 4, true),
            (0, 8, 2, 2, true), // one inside the other, either order
            (2, 2, 0, 8, true),
            (5, 1, 5, 1, true),  // the same byte
            (0, 0, 0, 4, false), // an empty range shares nothing
            (0, 4, 2, 0, false),
            (0, 4, 8, 4, false),
        ];
        for (a, a_len, b, b_len, want) in cases {
            assert_eq!(
                overlap(at(a), a_len, at(b), b_len),
                want,
                "[{a}, {a}+{a_len}) and [{b}, {b}+{b_len})"
            );
        }
        // disjoint() skips a NULL output and NULL inputs.
        let out = at(0).cast_mut();
        assert_eq!(disjoint("o", out, 4, &[("i", at(4), 4)]), Ok(()));
        assert_eq!(
            disjoint("o", out, 4, &[("i", at(4), 4), ("j", at(3), 1)]),
            Err(sw_result::SW_INVALID_ARGUMENT)
        );
        assert_eq!(detail(), "o overlaps j");
        assert_eq!(
            disjoint("o", core::ptr::null_mut(), 4, &[("i", at(0), 4)]),
            Ok(())
        );
        assert_eq!(
            disjoint("o", out, 4, &[("i", core::ptr::null(), 4)]),
            Ok(())
        );
    }

    #[test]
    fn buffer_checks_at_their_limits() {
        assert_eq!(check_buffer::<u8>(N, true, false, 0), Ok(false));
        assert_eq!(
            check_buffer::<u8>(N, true, false, 1),
            Err(sw_result::SW_NULL_POINTER)
        );
        assert_eq!(detail(), "p is NULL but p_len is 1");
        assert_eq!(
            check_buffer::<u32>(N, false, true, 1),
            Err(sw_result::SW_INVALID_ARGUMENT)
        );
        assert_eq!(check_buffer::<u8>(N, false, false, 0), Ok(true));
        assert_eq!(check_buffer::<u8>(N, false, false, MAX_SLICE_LEN), Ok(true));
        assert_eq!(
            check_buffer::<u8>(N, false, false, MAX_SLICE_LEN + 1),
            Err(sw_result::SW_INVALID_ARGUMENT)
        );
        let max_u32 = MAX_SLICE_LEN / 4;
        assert_eq!(check_buffer::<u32>(N, false, false, max_u32), Ok(true));
        assert_eq!(
            check_buffer::<u32>(N, false, false, max_u32 + 1),
            Err(sw_result::SW_INVALID_ARGUMENT)
        );
        assert_eq!(
            detail(),
            format!("p_len is {}: larger than any buffer can be", max_u32 + 1)
        );
    }

    #[test]
    fn a_long_detail_is_cut_and_stays_terminated() {
        let long = "é".repeat(DETAIL_CAP);
        set_detail(format_args!("{long}"));
        let got = detail();
        assert!(got.len() < DETAIL_CAP && got.len() >= DETAIL_CAP - 2);
        assert!(got.chars().all(|c| c == 'é'));
    }

    /// A check that failed inside a call that then succeeded leaves no
    /// detail; a `_free` body runs; `non_null` refuses exactly NULL.
    #[test]
    fn success_clears_a_detail_set_inside_and_void_bodies_run() {
        let rc = guard(|| {
            let _ = fail(sw_result::SW_INVALID_ARGUMENT, format_args!("inner"));
            Ok(())
        });
        assert_eq!(rc, sw_result::SW_OK);
        assert_eq!(detail(), "");
        let mut ran = false;
        guard_void(|| ran = true);
        assert!(ran);
        assert_eq!(non_null("x", false), Ok(()));
        assert_eq!(non_null("x", true), Err(sw_result::SW_NULL_POINTER));
        assert_eq!(detail(), "x is NULL");
    }

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
            assert_eq!(input(N, core::ptr::null(), 0), Ok(&[][..]));
            assert_eq!(
                input(N, core::ptr::null(), 1),
                Err(sw_result::SW_NULL_POINTER)
            );
            assert!(output(N, core::ptr::null_mut(), 0).is_ok_and(|b| b.is_empty()));
            assert!(output(N, core::ptr::null_mut(), 3).is_err());
            assert!(output_u32(N, core::ptr::null_mut(), 3).is_err());
            assert!(out::<usize>("p", core::ptr::null_mut()).is_err());
        }
        let data = [1u8; 4];
        // SAFETY: a live array and its length; the checks refuse before
        // reading anything.
        unsafe {
            assert_eq!(
                input(N, data.as_ptr(), usize::MAX).err(),
                Some(sw_result::SW_INVALID_ARGUMENT)
            );
            assert_eq!(
                input_array::<4>(N, data.as_ptr(), 3).err(),
                Some(sw_result::SW_INVALID_ARGUMENT)
            );
            assert_eq!(input_array::<4>(N, data.as_ptr(), 4), Ok([1; 4]));
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
                output_u32(N, misaligned, 1).err(),
                Some(sw_result::SW_INVALID_ARGUMENT)
            );
            assert_eq!(
                out("p", misaligned).err(),
                Some(sw_result::SW_INVALID_ARGUMENT)
            );
        }
    }

    #[test]
    fn typed_arrays_and_structs() {
        let words = [1u32, 2, 3, 4];
        let misaligned = words.as_ptr().cast::<u8>().wrapping_add(1).cast::<u32>();
        // SAFETY: NULL and misaligned pointers are refused before any
        // access; the live array is read within its length.
        unsafe {
            assert_eq!(input_slice::<u32>(N, core::ptr::null(), 0), Ok(&[][..]));
            assert_eq!(
                input_slice::<u32>(N, core::ptr::null(), 1),
                Err(sw_result::SW_NULL_POINTER)
            );
            assert_eq!(input_slice(N, words.as_ptr(), 4), Ok(&words[..]));
            assert_eq!(
                input_slice(N, misaligned, 1),
                Err(sw_result::SW_INVALID_ARGUMENT)
            );
            assert_eq!(
                input_slice(N, words.as_ptr(), usize::MAX / 2),
                Err(sw_result::SW_INVALID_ARGUMENT)
            );
            assert_eq!(input_struct("p", words.as_ptr()), Ok(1));
            assert_eq!(
                input_struct::<u32>("p", core::ptr::null()),
                Err(sw_result::SW_NULL_POINTER)
            );
            assert_eq!(
                input_struct("p", misaligned),
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
            assert!(output_slice::<u32>(N, core::ptr::null_mut(), 0).is_ok_and(|s| s.is_empty()));
            assert_eq!(
                output_slice::<u32>(N, core::ptr::null_mut(), 1).err(),
                Some(sw_result::SW_NULL_POINTER)
            );
            assert_eq!(
                output_slice(N, misaligned, 1).err(),
                Some(sw_result::SW_INVALID_ARGUMENT)
            );
            assert_eq!(
                output_slice(N, out_words.as_mut_ptr(), usize::MAX / 4).err(),
                Some(sw_result::SW_INVALID_ARGUMENT)
            );
            let slots =
                output_slice(N, out_words.as_mut_ptr(), 2).unwrap_or_else(|_| unreachable!());
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
        assert_eq!(
            disjoint("q", q, 16, &[("p", p, 16), ("r", core::ptr::null(), 4)]),
            Ok(())
        );
        assert_eq!(
            disjoint(
                "q",
                q,
                16,
                &[("p", p, 16), ("r", q.wrapping_add(15).cast_const(), 1)]
            ),
            Err(sw_result::SW_INVALID_ARGUMENT)
        );
        assert_eq!(
            disjoint("q", core::ptr::null_mut(), 0, &[("p", p, 16)]),
            Ok(())
        );
    }

    #[test]
    fn short_buffers_report_the_length_needed() {
        let mut n = 0usize;
        // SAFETY: a live local.
        let mut written = unsafe { out("p", &mut n) }.unwrap_or_else(|_| unreachable!());
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
