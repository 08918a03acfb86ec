//! `sw_prekey_store` (our prekeys) and `sw_bundle` (a peer's verified
//! bundle).

use sealwire::limits::MAX_ONE_TIME_PREKEYS;
use sealwire::{PrekeyBundle, PrekeyStore};

use crate::boundary::{
    Handle, clear_handle, free_handle, guard, guard_void, handle_mut, handle_ref, input,
    new_handle, out, output, output_u32, write_bytes,
};
use crate::identity::{identity_and_rng, sw_identity};
use crate::result::sw_result;
use crate::rng::{sw_rng, with_rng};

/// Longest encoded bundle, in bytes.
pub const SW_MAX_BUNDLE_LEN: usize = 171;

/// Our prekeys: the signed prekeys (the newest is current) and the one-time
/// prekeys, each used at most once. Secrets are zeroed when it is freed.
///
/// Ownership: made by `sw_prekey_store_new` or `sw_prekey_store_load*`,
/// freed by the caller with `sw_prekey_store_free`.
///
/// Thread-safety: not internally synchronised; one thread at a time
/// (`sw_session_accept` mutates it).
pub struct sw_prekey_store {
    _opaque: [u8; 0],
}

impl Handle for sw_prekey_store {
    type Inner = PrekeyStore;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:pkeys");
}

/// A peer's prekey bundle, parsed and verified (its signed prekey's
/// signature checked).
///
/// Ownership: made by `sw_bundle_parse`, freed by the caller with
/// `sw_bundle_free`.
///
/// Thread-safety: immutable; may be used from several threads at once
/// (freeing it excepted).
pub struct sw_bundle {
    _opaque: [u8; 0],
}

impl Handle for sw_bundle {
    type Inner = PrekeyBundle;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:bundl");
}

/// Makes a prekey store for `identity`, with a fresh signed prekey (id 1)
/// and no one-time prekeys.
///
/// Ownership: `identity` and `rng` are borrowed (`rng` NULL: the OS
/// generator). On `SW_OK`, `*out_store` is a new handle the caller frees
/// with `sw_prekey_store_free`; on error it is set to NULL.
///
/// NULL: `identity` and `out_store` must not be NULL.
///
/// # Safety
///
/// `identity` a live handle, `rng` NULL or a live handle, `out_store` valid
/// for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_new(
    identity: *const sw_identity,
    rng: *mut sw_rng,
    out_store: *mut *mut sw_prekey_store,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_store = unsafe { out(out_store) }?;
        clear_handle(&mut out_store);
        // SAFETY: the caller's contract.
        let identity = unsafe { identity_and_rng(identity, rng) }?;
        // SAFETY: the caller's contract.
        let store = unsafe { with_rng(rng, |r| Ok(PrekeyStore::new(identity, r))) }?;
        out_store.set(new_handle::<sw_prekey_store>(store));
        Ok(())
    })
}

/// Generates up to `count` one-time prekeys (fewer if the store would hold
/// more than 10,000) and writes their ids to `out_ids`, to publish in
/// bundles (`sw_prekey_store_bundle_with_one_time_prekey`).
///
/// Ownership: `out_ids` (an array of `out_ids_cap` ids) belongs to the
/// caller; `*out_count` receives the number of ids written. If the array is
/// too short for the number that would be generated, nothing is generated,
/// `*out_count` receives that number and the result is
/// `SW_BUFFER_TOO_SMALL`.
///
/// NULL: `store` and `out_count` must not be NULL; `out_ids` may be NULL
/// only with `out_ids_cap` 0; `rng` NULL is the OS generator.
///
/// # Safety
///
/// `store` a live handle used by no other thread; `rng` NULL or a live
/// handle; `out_ids` valid for writes of `out_ids_cap` `uint32_t`s;
/// `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_generate_one_time_prekeys(
    store: *mut sw_prekey_store,
    rng: *mut sw_rng,
    count: usize,
    out_ids: *mut u32,
    out_ids_cap: usize,
    out_count: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_count) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let store = unsafe { handle_mut(store) }?;
        // SAFETY: the caller's contract.
        let ids = unsafe { output_u32(out_ids, out_ids_cap) }?;
        let room = MAX_ONE_TIME_PREKEYS.saturating_sub(store.one_time_prekey_count());
        let n = count.min(room);
        let Some(ids) = ids.get_mut(..n) else {
            written.set(n);
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        };
        // SAFETY: the caller's contract.
        let made = unsafe { with_rng(rng, |r| Ok(store.generate_one_time_prekeys(r, n))) }?;
        for (slot, opk) in ids.iter_mut().zip(&made) {
            *slot = opk.id;
        }
        written.set(made.len());
        Ok(())
    })
}

/// Stores how many one-time prekeys the store still holds.
///
/// NULL: `store` and `out_count` must not be NULL.
///
/// # Safety
///
/// `store` a live handle; `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_one_time_prekey_count(
    store: *const sw_prekey_store,
    out_count: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_count) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let store = unsafe { handle_ref(store) }?;
        written.set(store.one_time_prekey_count());
        Ok(())
    })
}

/// Writes the ids of the one-time prekeys the store still holds, in
/// increasing order.
///
/// Ownership: `out_ids` (an array of `out_ids_cap` ids) belongs to the
/// caller; `*out_count` receives the number written or, with
/// `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `store` and `out_count` must not be NULL; `out_ids` may be NULL
/// only with `out_ids_cap` 0 (a size query).
///
/// # Safety
///
/// `store` a live handle; `out_ids` valid for writes of `out_ids_cap`
/// `uint32_t`s; `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_one_time_prekey_ids(
    store: *const sw_prekey_store,
    out_ids: *mut u32,
    out_ids_cap: usize,
    out_count: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_count) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let store = unsafe { handle_ref(store) }?;
        // SAFETY: the caller's contract.
        let ids = unsafe { output_u32(out_ids, out_ids_cap) }?;
        let held = store.one_time_prekeys();
        written.set(held.len());
        let Some(ids) = ids.get_mut(..held.len()) else {
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        };
        for (slot, opk) in ids.iter_mut().zip(&held) {
            *slot = opk.id;
        }
        Ok(())
    })
}

/// Generates a new signed prekey and makes it current (the three newest
/// are kept, so that messages built from an older bundle still open).
///
/// Ownership: `identity` and `rng` are borrowed. `*out_id` receives the new
/// prekey's id.
///
/// NULL: `store`, `identity` and `out_id` must not be NULL; `rng` NULL is
/// the OS generator.
///
/// # Safety
///
/// `store` a live handle used by no other thread; `identity` a live handle;
/// `rng` NULL or a live handle; `out_id` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_rotate_signed_prekey(
    store: *mut sw_prekey_store,
    identity: *const sw_identity,
    rng: *mut sw_rng,
    out_id: *mut u32,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_id = unsafe { out(out_id) }?;
        out_id.set(0);
        // SAFETY: the caller's contract.
        let store = unsafe { handle_mut(store) }?;
        // SAFETY: the caller's contract.
        let identity = unsafe { identity_and_rng(identity, rng) }?;
        // SAFETY: the caller's contract.
        let id = unsafe { with_rng(rng, |r| Ok(store.rotate_signed_prekey(identity, r))) }?;
        out_id.set(id);
        Ok(())
    })
}

/// Writes the encoded bundle to publish: `identity`'s public key and the
/// current signed prekey, without a one-time prekey.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed (at most
/// `SW_MAX_BUNDLE_LEN`).
///
/// NULL: `store`, `identity` and `out_len` must not be NULL; `buf` may be
/// NULL only with `buf_len` 0 (a size query).
///
/// # Safety
///
/// `store` and `identity` live handles; `buf` valid for writes of `buf_len`
/// bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_bundle(
    store: *const sw_prekey_store,
    identity: *const sw_identity,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { bundle(store, identity, None, buf, buf_len, out_len) }
}

/// As `sw_prekey_store_bundle`, with the one-time prekey
/// `one_time_prekey_id` in the bundle (`SW_PREKEY_NOT_FOUND` if the store
/// does not hold it).
///
/// # Safety
///
/// As `sw_prekey_store_bundle`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_bundle_with_one_time_prekey(
    store: *const sw_prekey_store,
    identity: *const sw_identity,
    one_time_prekey_id: u32,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        bundle(
            store,
            identity,
            Some(one_time_prekey_id),
            buf,
            buf_len,
            out_len,
        )
    }
}

/// # Safety
///
/// As `sw_prekey_store_bundle`.
unsafe fn bundle(
    store: *const sw_prekey_store,
    identity: *const sw_identity,
    one_time_prekey_id: Option<u32>,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let store = unsafe { handle_ref(store) }?;
        // SAFETY: the caller's contract.
        let identity = unsafe { handle_ref(identity) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output(buf, buf_len) }?;
        let bundle = store
            .bundle(identity, one_time_prekey_id)
            .ok_or(sw_result::SW_PREKEY_NOT_FOUND)?;
        write_bytes(buf, &mut written, &bundle.to_vec())
    })
}

/// Frees a prekey store, zeroing its secrets. NULL is a no-op.
///
/// # Safety
///
/// `store` must be NULL or a live `sw_prekey_store` not used again
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_free(store: *mut sw_prekey_store) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(store) });
}

/// Parses and verifies a peer's encoded bundle (strict format, strict
/// Ed25519 signature check).
///
/// Ownership: `bytes` is only read. On `SW_OK`, `*out_bundle` is a new
/// handle the caller frees with `sw_bundle_free`; on error it is set to
/// NULL.
///
/// NULL: `bytes` (unless `len` is 0) and `out_bundle` must not be NULL.
///
/// # Safety
///
/// `bytes` valid for reads of `len` bytes; `out_bundle` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_bundle_parse(
    bytes: *const u8,
    len: usize,
    out_bundle: *mut *mut sw_bundle,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_bundle = unsafe { out(out_bundle) }?;
        clear_handle(&mut out_bundle);
        // SAFETY: the caller's contract.
        let bytes = unsafe { input(bytes, len) }?;
        let bundle = PrekeyBundle::parse(bytes)?;
        out_bundle.set(new_handle::<sw_bundle>(bundle));
        Ok(())
    })
}

/// Writes the bundle's encoding.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `bundle` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// # Safety
///
/// `bundle` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_bundle_encode(
    bundle: *const sw_bundle,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let bundle = unsafe { handle_ref(bundle) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output(buf, buf_len) }?;
        write_bytes(buf, &mut written, &bundle.to_vec())
    })
}

/// Writes the bundle owner's 32-byte public identity key.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives 32, the
/// length written or needed.
///
/// NULL: `bundle` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// # Safety
///
/// `bundle` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_bundle_identity_key(
    bundle: *const sw_bundle,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let bundle = unsafe { handle_ref(bundle) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output(buf, buf_len) }?;
        write_bytes(buf, &mut written, bundle.identity_key().as_bytes())
    })
}

/// Stores the id of the bundle's signed prekey.
///
/// NULL: `bundle` and `out_id` must not be NULL.
///
/// # Safety
///
/// `bundle` a live handle; `out_id` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_bundle_signed_prekey_id(
    bundle: *const sw_bundle,
    out_id: *mut u32,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_id = unsafe { out(out_id) }?;
        out_id.set(0);
        // SAFETY: the caller's contract.
        let bundle = unsafe { handle_ref(bundle) }?;
        out_id.set(bundle.signed_prekey_id());
        Ok(())
    })
}

/// Stores whether the bundle carries a one-time prekey and, if so, its id
/// (else 0).
///
/// NULL: `bundle`, `out_present` and `out_id` must not be NULL.
///
/// # Safety
///
/// `bundle` a live handle; `out_present` and `out_id` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_bundle_one_time_prekey_id(
    bundle: *const sw_bundle,
    out_present: *mut bool,
    out_id: *mut u32,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_present = unsafe { out(out_present) }?;
        out_present.set(false);
        // SAFETY: the caller's contract.
        let mut out_id = unsafe { out(out_id) }?;
        out_id.set(0);
        // SAFETY: the caller's contract.
        let bundle = unsafe { handle_ref(bundle) }?;
        if let Some(opk) = bundle.one_time_prekey() {
            out_present.set(true);
            out_id.set(opk.id);
        }
        Ok(())
    })
}

/// Frees a bundle. NULL is a no-op.
///
/// # Safety
///
/// `bundle` must be NULL or a live `sw_bundle` not used again afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_bundle_free(bundle: *mut sw_bundle) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(bundle) });
}
