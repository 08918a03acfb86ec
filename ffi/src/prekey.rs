//! `sw_prekey_store` (our prekeys) and `sw_bundle` (a peer's verified
//! bundle).

use sealwire::limits::MAX_ONE_TIME_PREKEYS;
use sealwire::{PqPrekeyKind, PrekeyBundle, PrekeyStore};

use crate::boundary::{
    Handle, clear_handle, free_handle, guard, guard_void, handle_mut, handle_ref, new_handle,
    write_bytes,
};
use crate::identity::{identity_and_rng, sw_identity};
use crate::result::sw_result;
use crate::rng::{sw_rng, with_rng};

/// Longest encoded bundle, in bytes: with a one-time prekey and a PQ
/// prekey (a classic bundle is at most 171 bytes).
pub const SW_MAX_BUNDLE_LEN: usize = 1424;

/// Length of an ML-KEM-768 public (encapsulation) key, the key of a PQ
/// prekey.
pub const SW_PQ_PUBLIC_KEY_LEN: usize = 1184;

/// Length of an ML-KEM-768 ciphertext, carried by every PQXDH prekey
/// message.
pub const SW_KEM_CIPHERTEXT_LEN: usize = 1088;

/// The kind of a bundle's post-quantum (ML-KEM-768) prekey.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sw_pq_prekey_kind {
    /// The bundle has no PQ prekey.
    SW_PQ_PREKEY_NONE = 0,
    /// A one-time PQ prekey: used up by the first session accepted with it.
    SW_PQ_PREKEY_ONE_TIME = 1,
    /// The last-resort PQ prekey: used until it is rotated; a replayed
    /// prekey message against it is refused.
    SW_PQ_PREKEY_LAST_RESORT = 2,
}

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

/// Makes a classic prekey store for `identity`, with a fresh signed prekey
/// (id 1), no one-time prekeys and no PQ prekeys (see
/// `sw_prekey_store_new_pq`).
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
    rng: *mut sw_rng,
    identity: *const sw_identity,
    out_store: *mut *mut sw_prekey_store,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_store = unsafe { out!(out_store) }?;
        clear_handle(&mut out_store);
        // SAFETY: the caller's contract.
        let identity = unsafe { identity_and_rng(identity, rng) }?;
        // SAFETY: the caller's contract.
        let store = unsafe { with_rng(rng, |r| Ok(PrekeyStore::new(identity, r))) }?;
        out_store.set(new_handle::<sw_prekey_store>(store));
        Ok(())
    })
}

/// Makes a post-quantum prekey store for `identity`: a fresh signed prekey
/// (id 1), a fresh last-resort PQ (ML-KEM-768) prekey (PQ id 1), no
/// one-time prekeys. Its bundles carry the PQ prekey, so initiators use
/// PQXDH. Classic prekey messages are still accepted until
/// `sw_prekey_store_set_require_pq(store, 1)`.
///
/// Ownership: `identity` and `rng` are borrowed (`rng` NULL: the OS
/// generator). On `SW_OK`, `*out_store` is a new handle the caller frees
/// with `sw_prekey_store_free`; on error it is set to NULL.
///
/// NULL: `identity` and `out_store` must not be NULL.
///
/// Thread-safety: `identity` may be shared; `rng` one thread at a time.
///
/// # Safety
///
/// `identity` a live handle, `rng` NULL or a live handle used by no other
/// thread, `out_store` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_new_pq(
    rng: *mut sw_rng,
    identity: *const sw_identity,
    out_store: *mut *mut sw_prekey_store,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_store = unsafe { out!(out_store) }?;
        clear_handle(&mut out_store);
        // SAFETY: the caller's contract.
        let identity = unsafe { identity_and_rng(identity, rng) }?;
        // SAFETY: the caller's contract.
        let store = unsafe { with_rng(rng, |r| Ok(PrekeyStore::new_pq(identity, r))) }?;
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
    rng: *mut sw_rng,
    store: *mut sw_prekey_store,
    count: usize,
    out_ids: *mut u32,
    out_ids_cap: usize,
    out_count: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_count) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let store = unsafe { handle_mut(store) }?;
        // SAFETY: the caller's contract.
        let ids = unsafe { output_u32!(out_ids, out_ids_cap) }?;
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
        let mut written = unsafe { out!(out_count) }?;
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
    // SAFETY: the caller's contract, passed on.
    unsafe {
        write_ids(store, out_ids, out_ids_cap, out_count, |s| {
            s.one_time_prekeys().iter().map(|k| k.id).collect()
        })
    }
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
    rng: *mut sw_rng,
    store: *mut sw_prekey_store,
    identity: *const sw_identity,
    out_id: *mut u32,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_id = unsafe { out!(out_id) }?;
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

/// Generates a new last-resort PQ (ML-KEM-768) prekey signed by `identity`
/// and makes it current: bundles carry it from now on (unless they name a
/// one-time PQ prekey). The three newest are kept, so that prekey messages
/// built from an older bundle still open; an older one is forgotten with
/// its replay records. A classic store becomes a post-quantum one.
///
/// Ownership: `identity` and `rng` are borrowed. `*out_id` receives the new
/// PQ prekey's id (PQ ids are one id space for both kinds, never 0).
///
/// NULL: `store`, `identity` and `out_id` must not be NULL; `rng` NULL is
/// the OS generator.
///
/// Thread-safety: `store` one thread at a time.
///
/// # Safety
///
/// `store` a live handle used by no other thread; `identity` a live handle;
/// `rng` NULL or a live handle; `out_id` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_rotate_last_resort_pq_prekey(
    rng: *mut sw_rng,
    store: *mut sw_prekey_store,
    identity: *const sw_identity,
    out_id: *mut u32,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_id = unsafe { out!(out_id) }?;
        out_id.set(0);
        // SAFETY: the caller's contract.
        let store = unsafe { handle_mut(store) }?;
        // SAFETY: the caller's contract.
        let identity = unsafe { identity_and_rng(identity, rng) }?;
        // SAFETY: the caller's contract.
        let id = unsafe { with_rng(rng, |r| Ok(store.rotate_last_resort_pq_prekey(identity, r))) }?;
        out_id.set(id);
        Ok(())
    })
}

/// Stores whether the store has a last-resort PQ prekey and, if so, the
/// current one's id (else 0).
///
/// NULL: `store`, `out_present` and `out_id` must not be NULL.
///
/// Thread-safety: reads `store`; no other thread may change it meanwhile.
///
/// # Safety
///
/// `store` a live handle; `out_present` and `out_id` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_last_resort_pq_prekey_id(
    store: *const sw_prekey_store,
    out_present: *mut bool,
    out_id: *mut u32,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_present = unsafe { out!(out_present) }?;
        out_present.set(false);
        // SAFETY: the caller's contract.
        let mut out_id = unsafe { out!(out_id) }?;
        out_id.set(0);
        // SAFETY: the caller's contract.
        let store = unsafe { handle_ref(store) }?;
        if let Some(key) = store.current_last_resort_pq_prekey() {
            out_present.set(true);
            out_id.set(key.id());
        }
        Ok(())
    })
}

/// Generates up to `count` one-time PQ (ML-KEM-768) prekeys, each signed by
/// `identity` (fewer if the store would hold more than 1,000), to publish
/// one per bundle (`sw_prekey_store_bundle_with_pq`). `*out_generated`
/// receives the number generated; list their ids with
/// `sw_prekey_store_pq_one_time_prekey_ids` (new ids are the ids not held
/// before; ids increase, so they are the highest unless the 32-bit counter
/// wrapped). Each is one ML-KEM key generation (about 1.3 KB held per
/// prekey).
///
/// Ownership: `identity` and `rng` are borrowed.
///
/// NULL: `store`, `identity` and `out_generated` must not be NULL; `rng`
/// NULL is the OS generator.
///
/// Thread-safety: `store` one thread at a time.
///
/// # Safety
///
/// `store` a live handle used by no other thread; `identity` a live handle;
/// `rng` NULL or a live handle; `out_generated` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_generate_pq_one_time_prekeys(
    rng: *mut sw_rng,
    store: *mut sw_prekey_store,
    identity: *const sw_identity,
    count: usize,
    out_generated: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut generated = unsafe { out!(out_generated) }?;
        generated.set(0);
        // SAFETY: the caller's contract.
        let store = unsafe { handle_mut(store) }?;
        // SAFETY: the caller's contract.
        let identity = unsafe { identity_and_rng(identity, rng) }?;
        // SAFETY: the caller's contract.
        let made = unsafe {
            with_rng(rng, |r| {
                Ok(store.generate_pq_one_time_prekeys(identity, r, count))
            })
        }?;
        generated.set(made.len());
        Ok(())
    })
}

/// Stores how many one-time PQ prekeys the store still holds.
///
/// NULL: `store` and `out_count` must not be NULL.
///
/// Thread-safety: reads `store`; no other thread may change it meanwhile.
///
/// # Safety
///
/// `store` a live handle; `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_pq_one_time_prekey_count(
    store: *const sw_prekey_store,
    out_count: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_count) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let store = unsafe { handle_ref(store) }?;
        written.set(store.pq_one_time_prekey_count());
        Ok(())
    })
}

/// Writes the ids of the one-time PQ prekeys the store still holds, in
/// increasing order.
///
/// Ownership: `out_ids` (an array of `out_ids_cap` ids) belongs to the
/// caller; `*out_count` receives the number written or, with
/// `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `store` and `out_count` must not be NULL; `out_ids` may be NULL
/// only with `out_ids_cap` 0 (a size query).
///
/// Thread-safety: reads `store`; no other thread may change it meanwhile.
///
/// # Safety
///
/// `store` a live handle; `out_ids` valid for writes of `out_ids_cap`
/// `uint32_t`s; `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_pq_one_time_prekey_ids(
    store: *const sw_prekey_store,
    out_ids: *mut u32,
    out_ids_cap: usize,
    out_count: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        write_ids(store, out_ids, out_ids_cap, out_count, |s| {
            s.pq_one_time_prekeys().iter().map(|k| k.id()).collect()
        })
    }
}

/// Requires post-quantum key agreement (`require` true) or not. While required, `sw_session_accept`
/// refuses a classic (X3DH) prekey message with `SW_SESSION_PQ_REQUIRED`
/// before any secret is used. Saved with the store.
///
/// NULL: `store` must not be NULL.
///
/// Thread-safety: `store` one thread at a time.
///
/// # Safety
///
/// `store` a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_set_require_pq(
    store: *mut sw_prekey_store,
    require: bool,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let store = unsafe { handle_mut(store) }?;
        store.set_require_pq(require);
        Ok(())
    })
}

/// Stores whether the store refuses classic prekey messages
/// (`sw_prekey_store_set_require_pq`).
///
/// NULL: `store` and `out_required` must not be NULL.
///
/// Thread-safety: reads `store`; no other thread may change it meanwhile.
///
/// # Safety
///
/// `store` a live handle; `out_required` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_requires_pq(
    store: *const sw_prekey_store,
    out_required: *mut bool,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut required = unsafe { out!(out_required) }?;
        required.set(false);
        // SAFETY: the caller's contract.
        let store = unsafe { handle_ref(store) }?;
        required.set(store.requires_pq());
        Ok(())
    })
}

/// Writes the encoded bundle to publish: `identity`'s public key, the
/// current signed prekey, no one-time prekey and, if the store has PQ
/// prekeys, the current last-resort PQ prekey (then initiators use PQXDH).
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
    unsafe { bundle(store, identity, (None, None), buf, buf_len, out_len) }
}

/// As `sw_prekey_store_bundle`, with the one-time prekey
/// `one_time_prekey_id` in the bundle (`SW_PREKEY_NOT_FOUND` if the store
/// does not hold it), and the last-resort PQ prekey if the store has one.
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
            (Some(one_time_prekey_id), None),
            buf,
            buf_len,
            out_len,
        )
    }
}

/// As `sw_prekey_store_bundle`, choosing the prekeys: the one-time prekey
/// `one_time_prekey_id` if `has_one_time_prekey` is true (none if false),
/// and the one-time PQ prekey `pq_one_time_prekey_id` if
/// `has_pq_one_time_prekey` is true; if false, the bundle carries the
/// current last-resort PQ prekey (none if the store has no PQ prekeys, as
/// with `sw_prekey_store_bundle`). An id the store does not hold is
/// `SW_PREKEY_NOT_FOUND`. Publish each one-time PQ prekey in one
/// bundle only.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed (at most
/// `SW_MAX_BUNDLE_LEN`).
///
/// NULL: `store`, `identity` and `out_len` must not be NULL; `buf` may be
/// NULL only with `buf_len` 0 (a size query).
///
/// Thread-safety: reads `store`; no other thread may change it meanwhile.
///
/// # Safety
///
/// As `sw_prekey_store_bundle`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_bundle_with_pq(
    store: *const sw_prekey_store,
    identity: *const sw_identity,
    has_one_time_prekey: bool,
    one_time_prekey_id: u32,
    has_pq_one_time_prekey: bool,
    pq_one_time_prekey_id: u32,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    let ids = (
        has_one_time_prekey.then_some(one_time_prekey_id),
        has_pq_one_time_prekey.then_some(pq_one_time_prekey_id),
    );
    // SAFETY: the caller's contract, passed on.
    unsafe { bundle(store, identity, ids, buf, buf_len, out_len) }
}

/// The bundle functions: `ids` are the one-time prekey and one-time PQ
/// prekey to put in the bundle.
///
/// # Safety
///
/// As `sw_prekey_store_bundle`.
unsafe fn bundle(
    store: *const sw_prekey_store,
    identity: *const sw_identity,
    ids: (Option<u32>, Option<u32>),
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let store = unsafe { handle_ref(store) }?;
        // SAFETY: the caller's contract.
        let identity = unsafe { handle_ref(identity) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        let (one_time_prekey_id, pq_one_time_prekey_id) = ids;
        let bundle = store
            .bundle_with_pq(identity, one_time_prekey_id, pq_one_time_prekey_id)
            .map_err(|_| sw_result::SW_PREKEY_NOT_FOUND)?;
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
        let mut out_bundle = unsafe { out!(out_bundle) }?;
        clear_handle(&mut out_bundle);
        // SAFETY: the caller's contract.
        let bytes = unsafe { input!(bytes, len) }?;
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
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let bundle = unsafe { handle_ref(bundle) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
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
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let bundle = unsafe { handle_ref(bundle) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
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
        let mut out_id = unsafe { out!(out_id) }?;
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
        let mut out_present = unsafe { out!(out_present) }?;
        out_present.set(false);
        // SAFETY: the caller's contract.
        let mut out_id = unsafe { out!(out_id) }?;
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

/// Stores whether the bundle carries a post-quantum (ML-KEM-768) prekey
/// and, if so, its id and kind (else 0 and `SW_PQ_PREKEY_NONE`). A session
/// started from a bundle with a PQ prekey always uses PQXDH.
///
/// NULL: `bundle`, `out_present`, `out_id` and `out_kind` must not be NULL.
///
/// Thread-safety: `bundle` is immutable; any thread.
///
/// # Safety
///
/// `bundle` a live handle; `out_present`, `out_id` and `out_kind` valid for
/// one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_bundle_pq_prekey_id(
    bundle: *const sw_bundle,
    out_present: *mut bool,
    out_id: *mut u32,
    out_kind: *mut sw_pq_prekey_kind,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_present = unsafe { out!(out_present) }?;
        out_present.set(false);
        // SAFETY: the caller's contract.
        let mut out_id = unsafe { out!(out_id) }?;
        out_id.set(0);
        // SAFETY: the caller's contract.
        let mut out_kind = unsafe { out!(out_kind) }?;
        out_kind.set(sw_pq_prekey_kind::SW_PQ_PREKEY_NONE);
        // SAFETY: the caller's contract.
        let bundle = unsafe { handle_ref(bundle) }?;
        if let Some(pq) = bundle.pq_prekey() {
            let kind = match pq.kind() {
                PqPrekeyKind::OneTime => sw_pq_prekey_kind::SW_PQ_PREKEY_ONE_TIME,
                PqPrekeyKind::LastResort => sw_pq_prekey_kind::SW_PQ_PREKEY_LAST_RESORT,
                _ => return Err(sw_result::SW_UNKNOWN_ERROR),
            };
            out_present.set(true);
            out_id.set(pq.id());
            out_kind.set(kind);
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

/// The body of the `*_prekey_ids` listings: the ids `ids_of` gives, into
/// the caller's array, with the count (or the needed count) in
/// `*out_count`.
///
/// # Safety
///
/// As `sw_prekey_store_one_time_prekey_ids`.
unsafe fn write_ids(
    store: *const sw_prekey_store,
    out_ids: *mut u32,
    out_ids_cap: usize,
    out_count: *mut usize,
    ids_of: impl FnOnce(&sealwire::PrekeyStore) -> Vec<u32>,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_count) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let store = unsafe { handle_ref(store) }?;
        // SAFETY: the caller's contract.
        let ids = unsafe { output_u32!(out_ids, out_ids_cap) }?;
        let held = ids_of(store);
        written.set(held.len());
        let Some(ids) = ids.get_mut(..held.len()) else {
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        };
        ids.copy_from_slice(&held);
        Ok(())
    })
}
