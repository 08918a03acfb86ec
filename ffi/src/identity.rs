//! `sw_identity`: our long-term identity key pair.

use sealwire::IdentityKeyPair;

use crate::boundary::{
    Handle, clear_handle, free_handle, guard, guard_void, handle_ref, input_array, new_handle,
    write_bytes,
};
use crate::result::sw_result;
use crate::rng::{check_rng, sw_rng, with_rng};

/// Length of a public identity key (Ed25519).
pub const SW_IDENTITY_KEY_LEN: usize = 32;
/// Length of a seed (`sw_identity_from_seed`, `sw_rng_danger_new_seeded`).
pub const SW_SEED_LEN: usize = 32;

/// Our long-term identity key pair (Ed25519, with its X25519 form). The
/// secret is zeroed when the handle is freed.
///
/// Ownership: made by `sw_identity_new`, `sw_identity_from_seed` or
/// `sw_identity_load*`, freed by the caller with `sw_identity_free`.
/// Functions that take a `const sw_identity *` only borrow it.
///
/// Thread-safety: immutable once made; may be used from several threads at
/// once (freeing it excepted).
pub struct sw_identity {
    _opaque: [u8; 0],
}

impl Handle for sw_identity {
    type Inner = IdentityKeyPair;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:ident");
}

/// Generates a new identity.
///
/// Ownership: `rng` is borrowed (NULL: the OS generator). On `SW_OK`,
/// `*out_identity` is a new handle the caller frees with `sw_identity_free`;
/// on error it is set to NULL.
///
/// NULL: `out_identity` must not be NULL.
///
/// # Safety
///
/// `rng` NULL or a live handle; `out_identity` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_identity_new(
    rng: *mut sw_rng,
    out_identity: *mut *mut sw_identity,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_identity = unsafe { out!(out_identity) }?;
        clear_handle(&mut out_identity);
        // SAFETY: the caller's contract.
        let identity = unsafe { with_rng(rng, |r| Ok(IdentityKeyPair::generate(r))) }?;
        out_identity.set(new_handle::<sw_identity>(identity));
        Ok(())
    })
}

/// Rebuilds an identity from its 32-byte Ed25519 seed (the whole secret).
///
/// Ownership: `seed` is copied. On `SW_OK`, `*out_identity` is a new handle
/// the caller frees with `sw_identity_free`; on error it is set to NULL.
///
/// NULL: `seed` and `out_identity` must not be NULL; `seed_len` must be 32,
/// else `SW_INVALID_ARGUMENT`.
///
/// # Safety
///
/// `seed` valid for reads of `seed_len` bytes; `out_identity` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_identity_from_seed(
    seed: *const u8,
    seed_len: usize,
    out_identity: *mut *mut sw_identity,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_identity = unsafe { out!(out_identity) }?;
        clear_handle(&mut out_identity);
        // SAFETY: the caller's contract.
        let seed = zeroize::Zeroizing::new(unsafe { input_array!(seed, seed_len) }?);
        out_identity.set(new_handle::<sw_identity>(IdentityKeyPair::from_seed(&seed)));
        Ok(())
    })
}

/// Writes the 32-byte public identity key (Ed25519) to publish.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives 32, the
/// length written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `identity` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// # Safety
///
/// `identity` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_identity_public_key(
    identity: *const sw_identity,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let identity = unsafe { handle_ref(identity) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        write_bytes(buf, &mut written, identity.public().as_bytes())
    })
}

/// DANGER: writes the identity's 32-byte secret seed, from which
/// `sw_identity_from_seed` rebuilds it. Prefer `sw_identity_save_sealed`.
///
/// Ownership: `buf` belongs to the caller, who must treat it as a secret;
/// `*out_len` receives 32, the length written or needed.
///
/// NULL: `identity` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// # Safety
///
/// `identity` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_identity_danger_export_seed(
    identity: *const sw_identity,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let identity = unsafe { handle_ref(identity) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        write_bytes(buf, &mut written, identity.danger_seed_bytes().as_slice())
    })
}

/// Frees an identity, zeroing its secret. NULL is a no-op.
///
/// # Safety
///
/// `identity` must be NULL or a live `sw_identity` not used again
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_identity_free(identity: *mut sw_identity) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(identity) });
}

/// Checks a borrowed identity and rng up front.
///
/// # Safety
///
/// As [`handle_ref`] and [`check_rng`].
pub(crate) unsafe fn identity_and_rng<'a>(
    identity: *const sw_identity,
    rng: *mut sw_rng,
) -> crate::boundary::Result<&'a IdentityKeyPair> {
    // SAFETY: the caller's contract.
    let identity = unsafe { handle_ref(identity) }?;
    // SAFETY: the caller's contract.
    unsafe { check_rng(rng) }?;
    Ok(identity)
}

/// A 32-byte public identity key input: NULL is `SW_NULL_POINTER`, another
/// length `SW_INVALID_ARGUMENT`, an invalid key `SW_DECODE_INVALID_KEY`.
///
/// # Safety
///
/// As [`input_array`].
pub(crate) unsafe fn identity_key(
    (names, ptr, len): (crate::boundary::Names, *const u8, usize),
) -> crate::boundary::Result<sealwire::IdentityKey> {
    // SAFETY: the caller's contract.
    let bytes = unsafe { input_array(names, ptr, len) }?;
    Ok(sealwire::IdentityKey::from_bytes(&bytes)?)
}
