//! `sw_device_list`.

use sealwire::IdentityKey;
use sealwire::devices::{DeviceError, DeviceEvent, DeviceList};
use sealwire::limits::MAX_DEVICES_PER_USER;

use super::{
    sw_device_entry, sw_device_event, sw_device_event_kind, sw_device_identity, sw_device_list,
};
use crate::boundary::fail;
use crate::boundary::{
    Result, clear_handle, free_handle, get_value, guard, guard_void, handle_mut, handle_ref, input,
    new_handle, write_bytes,
};
use crate::identity::identity_key;
use crate::persist::{load, load_sealed, save, save_sealed, sw_blob_address};
use crate::result::sw_result;
use crate::rng::sw_rng;

/// A user id from the caller: UTF-8 (else `SW_INVALID_ARGUMENT`).
///
/// # Safety
///
/// As [`input`].
pub(crate) unsafe fn user_id(
    (names, ptr, len): (crate::boundary::Names, *const u8, usize),
) -> Result<String> {
    // SAFETY: the caller's contract.
    let bytes = unsafe { input(names, ptr, len) }?;
    let user = core::str::from_utf8(bytes).map_err(|_| {
        fail(
            sw_result::SW_INVALID_ARGUMENT,
            format_args!("{} is not UTF-8", names.ptr),
        )
    })?;
    Ok(user.to_owned())
}

/// The C form of an event.
fn event(e: &DeviceEvent) -> Result<sw_device_event> {
    let (kind, device_id, identity, old_identity) = match e {
        DeviceEvent::Added { device, identity } => (
            sw_device_event_kind::SW_DEVICE_EVENT_ADDED,
            *device,
            identity.to_bytes(),
            [0; 32],
        ),
        DeviceEvent::Removed { device } => (
            sw_device_event_kind::SW_DEVICE_EVENT_REMOVED,
            *device,
            [0; 32],
            [0; 32],
        ),
        DeviceEvent::IdentityChanged { device, old, new } => (
            sw_device_event_kind::SW_DEVICE_EVENT_IDENTITY_CHANGED,
            *device,
            new.to_bytes(),
            old.to_bytes(),
        ),
        _ => return Err(sw_result::SW_UNKNOWN_ERROR),
    };
    Ok(sw_device_event {
        kind,
        device_id,
        identity,
        old_identity,
    })
}

/// Makes an empty device list for the user `user` (the app's id for the
/// user: UTF-8, at most `SW_MAX_USER_ID_LEN` bytes, else
/// `SW_INVALID_ARGUMENT` or `SW_DEVICE_TOO_MANY_DEVICES`).
///
/// Ownership: `user` is copied. On `SW_OK`, `*out_list` is a new handle the
/// caller frees with `sw_device_list_free`; on error it is set to NULL.
///
/// NULL: `out_list` must not be NULL; `user` may be NULL only with
/// `user_len` 0 (an empty id).
///
/// # Safety
///
/// `user` valid for reads of `user_len` bytes; `out_list` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_list_new(
    user: *const u8,
    user_len: usize,
    out_list: *mut *mut sw_device_list,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_list = unsafe { out!(out_list) }?;
        clear_handle(&mut out_list);
        // SAFETY: the caller's contract.
        let user = unsafe { user_id(arg!(user, user_len)) }?;
        out_list.set(new_handle::<sw_device_list>(DeviceList::new(user)?));
        Ok(())
    })
}

/// Replaces the list with `devices` (the user's whole device list, as the
/// server now has it: at most `SW_MAX_DEVICES_PER_USER` entries, each
/// device once) and writes what changed to `out_events`, ascending by
/// device: a new device is added with its key (`SW_DEVICE_EVENT_ADDED`); a
/// device not named is removed (`_REMOVED`); a device named with another
/// key keeps its old key and records the new one as announced
/// (`_IDENTITY_CHANGED`, once per announced key) until
/// `sw_device_list_confirm_identity`.
///
/// Errors: more than `SW_MAX_DEVICES_PER_USER` entries
/// `SW_DEVICE_TOO_MANY_DEVICES`, a device twice `SW_DEVICE_DUPLICATE_DEVICE`,
/// an invalid key `SW_DECODE_INVALID_KEY`. On every error the list is
/// unchanged.
///
/// Ownership: `devices` (an array of `devices_len` entries) is only read.
/// `out_events` (an array of `out_events_cap` events) belongs to the
/// caller; `*out_count` receives the number of events written. If the
/// array is too short, nothing changes, `*out_count` receives the number of
/// events the update gives and the result is `SW_BUFFER_TOO_SMALL` (NULL
/// and 0 is a size query); `SW_MAX_DEVICE_EVENTS` entries are always
/// enough.
///
/// NULL: `list` and `out_count` must not be NULL; `devices` may be NULL only
/// with `devices_len` 0 (every device removed), `out_events` only with
/// `out_events_cap` 0.
///
/// Thread-safety: changes `list`: one thread at a time.
///
/// # Safety
///
/// `list` a live handle used by no other thread; `devices` valid for reads
/// of `devices_len` entries; `out_events` valid for writes of
/// `out_events_cap` events; `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_list_update(
    list: *mut sw_device_list,
    devices: *const sw_device_entry,
    devices_len: usize,
    out_events: *mut sw_device_event,
    out_events_cap: usize,
    out_count: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_count) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let list = unsafe { handle_mut(list) }?;
        // SAFETY: the caller's contract: `sw_device_entry` is plain data
        // (every bit pattern valid).
        let devices = unsafe { input_slice!(devices, devices_len) }?;
        // SAFETY: the caller's contract.
        let events_out = unsafe { output_slice!(out_events, out_events_cap) }?;
        if devices.len() > MAX_DEVICES_PER_USER {
            return Err(DeviceError::TooManyDevices.into());
        }
        let devices = devices
            .iter()
            .map(|d| Ok((d.device_id, IdentityKey::from_bytes(&d.identity)?)))
            .collect::<Result<Vec<_>>>()?;
        // Update a copy, and keep it only if the events fit.
        let mut next = list.clone();
        let events = next
            .update(&devices)?
            .iter()
            .map(event)
            .collect::<Result<Vec<_>>>()?;
        written.set(events.len());
        let slots = events_out
            .get_mut(..events.len())
            .ok_or(sw_result::SW_BUFFER_TOO_SMALL)?;
        for (slot, e) in slots.iter_mut().zip(events) {
            slot.write(e);
        }
        *list = next;
        Ok(())
    })
}

/// Accepts the identity key a device announced (an
/// `SW_DEVICE_EVENT_IDENTITY_CHANGED`, after the user checked it): from now
/// on it is the device's key, and sessions with the old key are no longer
/// used to send or receive. `identity` (32 bytes) must be the announced
/// key, else `SW_DEVICE_NO_PENDING_CHANGE`; a device not in the list is
/// `SW_DEVICE_UNKNOWN_DEVICE`. On error nothing changed.
///
/// NULL: `list` and `identity` must not be NULL.
///
/// Thread-safety: changes `list`: one thread at a time.
///
/// # Safety
///
/// `list` a live handle used by no other thread; `identity` valid for reads
/// of `identity_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_list_confirm_identity(
    list: *mut sw_device_list,
    device_id: u32,
    identity: *const u8,
    identity_len: usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let list = unsafe { handle_mut(list) }?;
        // SAFETY: the caller's contract.
        let key = unsafe { identity_key(arg!(identity, identity_len)) }?;
        Ok(list.confirm_identity(device_id, &key)?)
    })
}

/// Stores the identity keys the list holds for a device: `*out_found`
/// false (and `*out_identity` zero) if the device is not in the list; else
/// true, the confirmed key, and the announced one if a change waits for
/// confirmation.
///
/// NULL: `list`, `out_identity` and `out_found` must not be NULL.
///
/// # Safety
///
/// `list` a live handle; `out_identity` and `out_found` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_list_identity(
    list: *const sw_device_list,
    device_id: u32,
    out_identity: *mut sw_device_identity,
    out_found: *mut bool,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut identity = unsafe { out!(out_identity) }?;
        identity.set(sw_device_identity {
            identity: [0; 32],
            has_announced: false,
            announced: [0; 32],
        });
        // SAFETY: the caller's contract.
        let mut found = unsafe { out!(out_found) }?;
        found.set(false);
        // SAFETY: the caller's contract.
        let list = unsafe { handle_ref(list) }?;
        if let Some(key) = list.identity(device_id) {
            let announced = list.announced_identity(device_id);
            identity.set(sw_device_identity {
                identity: key.to_bytes(),
                has_announced: announced.is_some(),
                announced: announced.map_or([0; 32], IdentityKey::to_bytes),
            });
            found.set(true);
        }
        Ok(())
    })
}

/// Stores how many devices the list holds.
///
/// NULL: `list` and `out_count` must not be NULL.
///
/// # Safety
///
/// `list` a live handle; `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_list_len(
    list: *const sw_device_list,
    out_count: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { get_value(list, named!(out_count), DeviceList::len) }
}

/// Writes the list's device ids, ascending, to `out_ids`.
///
/// Ownership: `out_ids` (an array of `out_ids_cap` ids) belongs to the
/// caller; `*out_count` receives the number written. If the array is too
/// short, nothing is written, `*out_count` receives the number of devices
/// and the result is `SW_BUFFER_TOO_SMALL` (`SW_MAX_DEVICES_PER_USER`
/// entries are always enough).
///
/// NULL: `list` and `out_count` must not be NULL; `out_ids` may be NULL only
/// with `out_ids_cap` 0 (a size query).
///
/// # Safety
///
/// `list` a live handle; `out_ids` valid for writes of `out_ids_cap`
/// `uint32_t`s; `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_list_device_ids(
    list: *const sw_device_list,
    out_ids: *mut u32,
    out_ids_cap: usize,
    out_count: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_count) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let list = unsafe { handle_ref(list) }?;
        // SAFETY: the caller's contract.
        let ids = unsafe { output_u32!(out_ids, out_ids_cap) }?;
        written.set(list.len());
        let ids = ids
            .get_mut(..list.len())
            .ok_or(sw_result::SW_BUFFER_TOO_SMALL)?;
        for (slot, (id, _)) in ids.iter_mut().zip(list.devices()) {
            *slot = id;
        }
        Ok(())
    })
}

/// Writes the list's user id (not NUL-terminated).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed (at most
/// `SW_MAX_USER_ID_LEN`).
///
/// NULL: `list` and `out_len` must not be NULL; `buf` may be NULL only with
/// `buf_len` 0 (a size query).
///
/// # Safety
///
/// `list` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_list_user(
    list: *const sw_device_list,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let list = unsafe { handle_ref(list) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        write_bytes(buf, &mut written, list.user().as_bytes())
    })
}

/// Frees a device list. NULL is a no-op.
///
/// # Safety
///
/// `list` must be NULL or a live `sw_device_list` not used again
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_list_free(list: *mut sw_device_list) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(list) });
}

/// As `sw_identity_save`, for a device list (public keys only, no secret:
/// its user id, device ids, confirmed and announced identity keys; kind
/// `0x08`, STORAGE.md §12). Save it after every `sw_device_list_update`
/// and `sw_device_list_confirm_identity`: a list restored from an older
/// blob has forgotten the changes since (a confirmed key would be
/// announced again, a removed device listed).
///
/// # Safety
///
/// As `sw_identity_save`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_list_save(
    list: *const sw_device_list,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { save::<sw_device_list>(list, buf, buf_len, out_len) }
}

/// As `sw_identity_load`, for a device list (freed with
/// `sw_device_list_free`). A blob that breaks the format's rules (a user
/// id that is not UTF-8 or too long, too many devices, device ids not
/// increasing, an announced key equal to the confirmed one) is
/// `SW_STATE_MALFORMED`.
///
/// # Safety
///
/// As `sw_identity_load`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_list_load(
    bytes: *const u8,
    len: usize,
    out_list: *mut *mut sw_device_list,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load::<sw_device_list>(bytes, len, out_list) }
}

/// As `sw_identity_save_sealed`, for a device list. It holds no secret: it
/// is sealed for the binding to its row (`address`: our identity key and,
/// for example, the user id as `peer_name`), so that a list cannot be
/// swapped for another user's.
///
/// # Safety
///
/// As `sw_identity_save_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_list_save_sealed(
    rng: *mut sw_rng,
    list: *const sw_device_list,
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        save_sealed::<sw_device_list>(list, key, key_len, address, rng, buf, buf_len, out_len)
    }
}

/// As `sw_identity_load_sealed`, for a device list (freed with
/// `sw_device_list_free`). There is no `_load_sealed_legacy`: device lists
/// were never sealed without an address.
///
/// # Safety
///
/// As `sw_identity_load_sealed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_list_load_sealed(
    key: *const u8,
    key_len: usize,
    address: *const sw_blob_address,
    bytes: *const u8,
    len: usize,
    out_list: *mut *mut sw_device_list,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { load_sealed::<sw_device_list>(key, key_len, address, bytes, len, out_list) }
}
