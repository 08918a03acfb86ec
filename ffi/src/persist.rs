//! Saving and loading state: every long-lived handle (identity, prekey
//! store, session, expiry queue here; groups, channels, device lists and
//! device sessions in their own modules, through the same helpers) to a
//! versioned state blob, plain or sealed under the app's 32-byte storage
//! key (STORAGE.md).

use sealwire::persist::{BlobAddress, StateBlob, StorageKey};
use sealwire::{IdentityKey, persist::StateError};

use crate::boundary::{
    Handle, Result, clear_handle, guard, handle_ref, input, new_handle, write_bytes,
};
use crate::expiry::sw_expiry_queue;
use crate::identity::sw_identity;
use crate::prekey::sw_prekey_store;
use crate::result::sw_result;
use crate::rng::{check_rng, sw_rng, with_rng};
use crate::session::{SessionHandle, sw_session};

/// Length of a storage key.
pub const SW_STORAGE_KEY_LEN: usize = 32;

impl From<StateError> for sw_result {
    fn from(e: StateError) -> Self {
        match e {
            StateError::NotAStateBlob => Self::SW_STATE_NOT_A_STATE_BLOB,
            StateError::WrongKind { .. } => Self::SW_STATE_WRONG_KIND,
            StateError::UnsupportedVersion(_) => Self::SW_STATE_UNSUPPORTED_VERSION,
            StateError::Sealed => Self::SW_STATE_SEALED,
            StateError::NotSealed => Self::SW_STATE_NOT_SEALED,
            StateError::Truncated => Self::SW_STATE_TRUNCATED,
            StateError::Corrupted => Self::SW_STATE_CORRUPTED,
            StateError::WrongStorageKey => Self::SW_STATE_WRONG_STORAGE_KEY,
            StateError::WrongAddress => Self::SW_STATE_WRONG_ADDRESS,
            StateError::UnboundLegacy => Self::SW_STATE_UNBOUND_LEGACY,
            StateError::AddressBound => Self::SW_STATE_ADDRESS_BOUND,
            StateError::Malformed(_) => Self::SW_STATE_MALFORMED,
            _ => Self::SW_UNKNOWN_ERROR,
        }
    }
}

/// Where a sealed blob belongs (STORAGE.md §1): given to every
/// `*_save_sealed` and `*_load_sealed`, a blob opens only with the address
/// it was sealed with; moved elsewhere (another peer's row, another owner's
/// storage), loading it is `SW_STATE_WRONG_ADDRESS`.
///
/// `owner` (our identity key) is always bound; each other field only when
/// its `has_` flag is set (`peer_identity`, `device_id`) or its pointer is
/// not NULL (`peer_name`, `context`: bytes the caller chooses, for example
/// the peer's user id and a group id; hashed, never stored in the blob).
/// The struct and its buffers are only read during the call.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sw_blob_address {
    /// Our public identity key.
    pub owner: [u8; 32],
    /// Whether `peer_identity` is bound.
    pub has_peer_identity: bool,
    /// The peer's public identity key (per-peer blobs).
    pub peer_identity: [u8; 32],
    /// The app's name for the peer, or NULL (not bound).
    pub peer_name: *const u8,
    /// Length of `peer_name`.
    pub peer_name_len: usize,
    /// Whether `device_id` is bound.
    pub has_device_id: bool,
    /// The peer's device id.
    pub device_id: u32,
    /// An app context (a group id, a table), or NULL (not bound).
    pub context: *const u8,
    /// Length of `context`.
    pub context_len: usize,
}

/// Reads the caller's address. NULL is `SW_NULL_POINTER`; an identity key
/// that is not a valid key `SW_DECODE_INVALID_KEY`.
///
/// # Safety
///
/// `address` NULL or valid for one read, its buffers as [`input`].
unsafe fn blob_address(address: *const sw_blob_address) -> Result<BlobAddress> {
    non_null!(address)?;
    // SAFETY: non-NULL and, by the caller's contract, valid for one read;
    // the struct is `Copy` (plain data and pointers).
    let a = unsafe { address.read() };
    let key = |bytes: &[u8; 32]| {
        IdentityKey::from_bytes(bytes).map_err(|_| sw_result::SW_DECODE_INVALID_KEY)
    };
    let mut out = BlobAddress::local(key(&a.owner)?);
    if a.has_peer_identity {
        out = out.with_peer_identity(key(&a.peer_identity)?);
    }
    if !a.peer_name.is_null() {
        // SAFETY: the caller's contract.
        out = out.with_peer_name(unsafe {
            input(
                crate::boundary::Names {
                    ptr: "address->peer_name",
                    len: "address->peer_name_len",
                },
                a.peer_name,
                a.peer_name_len,
            )
        }?);
    }
    if a.has_device_id {
        out = out.with_device_id(a.device_id);
    }
    if !a.context.is_null() {
        // SAFETY: the caller's contract.
        out = out.with_context(unsafe {
            input(
                crate::boundary::Names {
                    ptr: "address->context",
                    len: "address->context_len",
                },
                a.context,
                a.context_len,
            )
        }?);
    }
    Ok(out)
}

/// # Safety
///
/// As [`input_array`].
unsafe fn storage_key(key: *const u8, key_len: usize) -> Result<StorageKey> {
    // SAFETY: the caller's contract.
    let bytes = zeroize::Zeroizing::new(unsafe { input_array!(key, key_len) }?);
    Ok(StorageKey::from_bytes(*bytes))
}

/// What a handle saves: the state blob behind its value. The value itself
/// for most handles; for `sw_session`, the session record alone (its
/// pending distribution is never saved).
pub(crate) trait Persisted: Sized {
    /// The saved value.
    type Blob: StateBlob;
    /// The value to save.
    fn blob(&self) -> &Self::Blob;
    /// The handle's value from a loaded blob.
    fn loaded(blob: Self::Blob) -> Self;
}

impl<T: StateBlob> Persisted for T {
    type Blob = T;
    fn blob(&self) -> &T {
        self
    }
    fn loaded(blob: T) -> T {
        blob
    }
}

impl Persisted for SessionHandle {
    type Blob = sealwire::SessionRecord;
    fn blob(&self) -> &Self::Blob {
        &self.record
    }
    fn loaded(blob: Self::Blob) -> Self {
        Self::new(blob)
    }
}

/// `*_save`: the plain blob into the caller's buffer.
///
/// # Safety
///
/// `handle` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
pub(crate) unsafe fn save<H: Handle>(
    handle: *const H,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result
where
    H::Inner: Persisted,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let value = unsafe { handle_ref(handle) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        write_bytes(buf, &mut written, &value.blob().to_blob())
    })
}

/// `*_save_sealed`: the sealed blob into the caller's buffer.
///
/// # Safety
///
/// `handle` a live handle; `key` valid for reads of `key_len` bytes; `rng`
/// NULL or a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn save_sealed<H: Handle>(
    handle: *const H,
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    rng: *mut sw_rng,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result
where
    H::Inner: Persisted,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let value = unsafe { handle_ref(handle) }?;
        // SAFETY: the caller's contract.
        let key = unsafe { storage_key(key, key_len) }?;
        // SAFETY: the caller's contract.
        let address = unsafe { blob_address(address) }?;
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        // SAFETY: the caller's contract.
        let sealed = unsafe { with_rng(rng, |r| Ok(value.blob().seal(&key, &address, r))) }?;
        write_bytes(buf, &mut written, &sealed)
    })
}

/// `*_load`: a new handle from a plain blob.
///
/// # Safety
///
/// `bytes` valid for reads of `len` bytes; `out_handle` valid for one write.
pub(crate) unsafe fn load<H: Handle>(
    bytes: *const u8,
    len: usize,
    out_handle: *mut *mut H,
) -> sw_result
where
    H::Inner: Persisted,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_handle = unsafe { out!(out_handle) }?;
        clear_handle(&mut out_handle);
        // SAFETY: the caller's contract.
        let bytes = unsafe { input!(bytes, len) }?;
        let value = H::Inner::loaded(<H::Inner as Persisted>::Blob::from_blob(bytes)?);
        out_handle.set(new_handle::<H>(value));
        Ok(())
    })
}

/// `*_load_sealed`: a new handle from a sealed blob.
///
/// # Safety
///
/// `key` valid for reads of `key_len` bytes; `bytes` valid for reads of
/// `len` bytes; `out_handle` valid for one write.
pub(crate) unsafe fn load_sealed<H: Handle>(
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    bytes: *const u8,
    len: usize,
    out_handle: *mut *mut H,
) -> sw_result
where
    H::Inner: Persisted,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_handle = unsafe { out!(out_handle) }?;
        clear_handle(&mut out_handle);
        // SAFETY: the caller's contract.
        let key = unsafe { storage_key(key, key_len) }?;
        // SAFETY: the caller's contract.
        let address = unsafe { blob_address(address) }?;
        // SAFETY: the caller's contract.
        let bytes = unsafe { input!(bytes, len) }?;
        let value = H::Inner::loaded(<H::Inner as Persisted>::Blob::unseal(
            &key, &address, bytes,
        )?);
        out_handle.set(new_handle::<H>(value));
        Ok(())
    })
}

/// `*_load_sealed_legacy`: a new handle from a legacy sealed blob (not
/// bound to an address), for a one-time migration.
///
/// # Safety
///
/// `key` valid for reads of `key_len` bytes; `bytes` valid for reads of
/// `len` bytes; `out_handle` valid for one write.
pub(crate) unsafe fn load_sealed_legacy<H: Handle>(
    key: *const u8,
    key_len: usize,
    bytes: *const u8,
    len: usize,
    out_handle: *mut *mut H,
) -> sw_result
where
    H::Inner: Persisted,
{
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_handle = unsafe { out!(out_handle) }?;
        clear_handle(&mut out_handle);
        // SAFETY: the caller's contract.
        let key = unsafe { storage_key(key, key_len) }?;
        // SAFETY: the caller's contract.
        let bytes = unsafe { input!(bytes, len) }?;
        let value = H::Inner::loaded(<H::Inner as Persisted>::Blob::open_unbound_legacy(
            &key, bytes,
        )?);
        out_handle.set(new_handle::<H>(value));
        Ok(())
    })
}

/// Writes the identity as a plain state blob. The blob holds the secret
/// key in the clear: store it only in an encrypted database, or use
/// `sw_identity_save_sealed`.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `identity` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// # Safety
///
/// `identity` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_identity_save(
    identity: *const sw_identity,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { save::<sw_identity>(identity, buf, buf_len, out_len) }
}

/// Loads an identity from a plain state blob (`sw_identity_save`, any
/// version this library reads). A sealed blob is `SW_STATE_SEALED`, another
/// kind `SW_STATE_WRONG_KIND`, damaged bytes `SW_STATE_CORRUPTED`.
///
/// Ownership: `bytes` is only read. On `SW_OK`, `*out_identity` is a new
/// handle the caller frees with `sw_identity_free`; on error it is set to
/// NULL.
///
/// NULL: `bytes` (unless `len` is 0) and `out_identity` must not be NULL.
///
/// # Safety
///
/// `bytes` valid for reads of `len` bytes; `out_identity` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_identity_load(
    bytes: *const u8,
    len: usize,
    out_identity: *mut *mut sw_identity,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load::<sw_identity>(bytes, len, out_identity) }
}

/// Writes the identity as a state blob sealed (AES-256-GCM, fresh salt)
/// under the 32-byte storage `key` (e.g. from the platform keystore) and
/// bound to `address`, where the app stores it (`sw_blob_address`).
///
/// Ownership: `key` and `address` are copied; `buf` belongs to the caller;
/// `*out_len` receives the length written or, with `SW_BUFFER_TOO_SMALL`,
/// needed.
///
/// NULL: `identity`, `key`, `address` and `out_len` must not be NULL
/// (`key_len` must be 32, else `SW_INVALID_ARGUMENT`; an invalid identity
/// key in `address` is `SW_DECODE_INVALID_KEY`); `buf` may be NULL only
/// with `buf_len` 0 (a size query); `rng` NULL is the OS generator.
///
/// # Safety
///
/// `identity` a live handle; `key` valid for reads of `key_len` bytes;
/// `address` valid for one read (its buffers as documented there);
/// `rng` NULL or a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_identity_save_sealed(
    rng: *mut sw_rng,
    identity: *const sw_identity,
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        save_sealed::<sw_identity>(identity, key, key_len, address, rng, buf, buf_len, out_len)
    }
}

/// Loads an identity from a blob sealed under `key` for `address`.
/// Another key is `SW_STATE_WRONG_STORAGE_KEY`, another address (a blob
/// moved from where it belongs) `SW_STATE_WRONG_ADDRESS`, damaged bytes
/// `SW_STATE_CORRUPTED`, a plain blob `SW_STATE_NOT_SEALED`, a legacy
/// unbound blob `SW_STATE_UNBOUND_LEGACY` (see
/// `sw_identity_load_sealed_legacy`).
///
/// Ownership: `key`, `address` and `bytes` are only read. On `SW_OK`,
/// `*out_identity` is a new handle the caller frees with
/// `sw_identity_free`; on error it is set to NULL.
///
/// NULL: `key`, `address`, `bytes` (unless `len` is 0) and `out_identity`
/// must not be NULL; `key_len` must be 32.
///
/// # Safety
///
/// `key` valid for reads of `key_len` bytes; `address` valid for one read;
/// `bytes` valid for reads of
/// `len` bytes; `out_identity` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_identity_load_sealed(
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    bytes: *const u8,
    len: usize,
    out_identity: *mut *mut sw_identity,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed::<sw_identity>(key, key_len, address, bytes, len, out_identity) }
}

/// Loads a legacy sealed blob (written before sealed blobs were bound to
/// their address, STORAGE.md §8), for a one-time migration: load it, save
/// it again with `sw_identity_save_sealed` and its address, replace it. A
/// bound blob is `SW_STATE_ADDRESS_BOUND`.
///
/// Ownership and NULL: as `sw_identity_load_sealed`, without the address.
///
/// # Safety
///
/// `key` valid for reads of `key_len` bytes; `bytes` valid for reads of
/// `len` bytes; `out_identity` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_identity_load_sealed_legacy(
    key: *const u8,
    key_len: usize,
    bytes: *const u8,
    len: usize,
    out_identity: *mut *mut sw_identity,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed_legacy::<sw_identity>(key, key_len, bytes, len, out_identity) }
}

/// As `sw_identity_save`, for a prekey store (its secrets in the clear).
///
/// # Safety
///
/// As `sw_identity_save`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_save(
    store: *const sw_prekey_store,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { save::<sw_prekey_store>(store, buf, buf_len, out_len) }
}

/// As `sw_identity_load`, for a prekey store (freed with
/// `sw_prekey_store_free`).
///
/// # Safety
///
/// As `sw_identity_load`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_load(
    bytes: *const u8,
    len: usize,
    out_store: *mut *mut sw_prekey_store,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load::<sw_prekey_store>(bytes, len, out_store) }
}

/// As `sw_identity_save_sealed`, for a prekey store.
///
/// # Safety
///
/// As `sw_identity_save_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_save_sealed(
    rng: *mut sw_rng,
    store: *const sw_prekey_store,
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        save_sealed::<sw_prekey_store>(store, key, key_len, address, rng, buf, buf_len, out_len)
    }
}

/// As `sw_identity_load_sealed`, for a prekey store (freed with
/// `sw_prekey_store_free`).
///
/// # Safety
///
/// As `sw_identity_load_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_load_sealed(
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    bytes: *const u8,
    len: usize,
    out_store: *mut *mut sw_prekey_store,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed::<sw_prekey_store>(key, key_len, address, bytes, len, out_store) }
}

/// Loads a legacy sealed blob (written before sealed blobs were bound to
/// their address, STORAGE.md §8), for a one-time migration: load it, save
/// it again with `sw_prekey_store_save_sealed` and its address, replace it. A
/// bound blob is `SW_STATE_ADDRESS_BOUND`.
///
/// Ownership and NULL: as `sw_prekey_store_load_sealed`, without the address.
///
/// # Safety
///
/// `key` valid for reads of `key_len` bytes; `bytes` valid for reads of
/// `len` bytes; `out_store` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_prekey_store_load_sealed_legacy(
    key: *const u8,
    key_len: usize,
    bytes: *const u8,
    len: usize,
    out_store: *mut *mut sw_prekey_store,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed_legacy::<sw_prekey_store>(key, key_len, bytes, len, out_store) }
}

/// As `sw_identity_save`, for a session in either phase (its keys in the
/// clear). Save after every encrypt and decrypt: a session restored from
/// an older blob has lost the keys of messages handled since (and would
/// reuse message keys when sending). The pending distribution (see
/// `sw_session`) is not saved: accept it before dropping the handle.
///
/// # Safety
///
/// As `sw_identity_save`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_save(
    session: *const sw_session,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { save::<sw_session>(session, buf, buf_len, out_len) }
}

/// As `sw_identity_load`, for a session (pending or established; freed with
/// `sw_session_free`), with no pending distribution.
///
/// # Safety
///
/// As `sw_identity_load`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_load(
    bytes: *const u8,
    len: usize,
    out_session: *mut *mut sw_session,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load::<sw_session>(bytes, len, out_session) }
}

/// As `sw_identity_save_sealed`, for a session.
///
/// # Safety
///
/// As `sw_identity_save_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_save_sealed(
    rng: *mut sw_rng,
    session: *const sw_session,
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { save_sealed::<sw_session>(session, key, key_len, address, rng, buf, buf_len, out_len) }
}

/// As `sw_identity_load_sealed`, for a session (freed with
/// `sw_session_free`).
///
/// # Safety
///
/// As `sw_identity_load_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_load_sealed(
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    bytes: *const u8,
    len: usize,
    out_session: *mut *mut sw_session,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed::<sw_session>(key, key_len, address, bytes, len, out_session) }
}

/// Loads a legacy sealed blob (written before sealed blobs were bound to
/// their address, STORAGE.md §8), for a one-time migration: load it, save
/// it again with `sw_session_save_sealed` and its address, replace it. A
/// bound blob is `SW_STATE_ADDRESS_BOUND`.
///
/// Ownership and NULL: as `sw_session_load_sealed`, without the address.
///
/// # Safety
///
/// `key` valid for reads of `key_len` bytes; `bytes` valid for reads of
/// `len` bytes; `out_session` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_load_sealed_legacy(
    key: *const u8,
    key_len: usize,
    bytes: *const u8,
    len: usize,
    out_session: *mut *mut sw_session,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed_legacy::<sw_session>(key, key_len, bytes, len, out_session) }
}

/// As `sw_identity_save`, for an expiry queue.
///
/// # Safety
///
/// As `sw_identity_save`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_save(
    queue: *const sw_expiry_queue,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { save::<sw_expiry_queue>(queue, buf, buf_len, out_len) }
}

/// As `sw_identity_load`, for an expiry queue (freed with
/// `sw_expiry_queue_free`).
///
/// # Safety
///
/// As `sw_identity_load`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_load(
    bytes: *const u8,
    len: usize,
    out_queue: *mut *mut sw_expiry_queue,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load::<sw_expiry_queue>(bytes, len, out_queue) }
}

/// As `sw_identity_save_sealed`, for an expiry queue.
///
/// # Safety
///
/// As `sw_identity_save_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_save_sealed(
    rng: *mut sw_rng,
    queue: *const sw_expiry_queue,
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        save_sealed::<sw_expiry_queue>(queue, key, key_len, address, rng, buf, buf_len, out_len)
    }
}

/// As `sw_identity_load_sealed`, for an expiry queue (freed with
/// `sw_expiry_queue_free`).
///
/// # Safety
///
/// As `sw_identity_load_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_load_sealed(
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    bytes: *const u8,
    len: usize,
    out_queue: *mut *mut sw_expiry_queue,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed::<sw_expiry_queue>(key, key_len, address, bytes, len, out_queue) }
}

/// Loads a legacy sealed blob (written before sealed blobs were bound to
/// their address, STORAGE.md §8), for a one-time migration: load it, save
/// it again with `sw_expiry_queue_save_sealed` and its address, replace it. A
/// bound blob is `SW_STATE_ADDRESS_BOUND`.
///
/// Ownership and NULL: as `sw_expiry_queue_load_sealed`, without the address.
///
/// # Safety
///
/// `key` valid for reads of `key_len` bytes; `bytes` valid for reads of
/// `len` bytes; `out_queue` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_load_sealed_legacy(
    key: *const u8,
    key_len: usize,
    bytes: *const u8,
    len: usize,
    out_queue: *mut *mut sw_expiry_queue,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed_legacy::<sw_expiry_queue>(key, key_len, bytes, len, out_queue) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sealwire::DecodeError;

    /// Every state error maps to the code the header names.
    #[test]
    fn every_state_error_maps_to_its_code() {
        let cases = [
            (
                StateError::NotAStateBlob,
                sw_result::SW_STATE_NOT_A_STATE_BLOB,
            ),
            (
                StateError::WrongKind {
                    expected: 1,
                    found: 2,
                },
                sw_result::SW_STATE_WRONG_KIND,
            ),
            (
                StateError::UnsupportedVersion(9),
                sw_result::SW_STATE_UNSUPPORTED_VERSION,
            ),
            (StateError::Sealed, sw_result::SW_STATE_SEALED),
            (StateError::NotSealed, sw_result::SW_STATE_NOT_SEALED),
            (StateError::Truncated, sw_result::SW_STATE_TRUNCATED),
            (StateError::Corrupted, sw_result::SW_STATE_CORRUPTED),
            (
                StateError::WrongStorageKey,
                sw_result::SW_STATE_WRONG_STORAGE_KEY,
            ),
            (StateError::WrongAddress, sw_result::SW_STATE_WRONG_ADDRESS),
            (
                StateError::UnboundLegacy,
                sw_result::SW_STATE_UNBOUND_LEGACY,
            ),
            (StateError::AddressBound, sw_result::SW_STATE_ADDRESS_BOUND),
            (
                StateError::Malformed(DecodeError::Truncated),
                sw_result::SW_STATE_MALFORMED,
            ),
        ];
        for (e, code) in cases {
            assert_eq!(sw_result::from(e), code, "{e:?}");
        }
    }
}
