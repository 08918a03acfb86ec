//! `sw_encrypt_for_devices` and its result, `sw_device_messages`.

use std::collections::{BTreeMap, BTreeSet};

use sealwire::devices::{
    DeviceError, DeviceList, DeviceSessions, UserSessions, encrypt_for_devices,
};
use sealwire::limits::MAX_BODY_LEN;
use sealwire::{DeviceAddress, Outgoing, Timestamp};

use super::list::user_id;
use super::{
    Addressed, sw_device_address, sw_device_failure, sw_device_message_info, sw_device_messages,
    sw_recipient,
};
use crate::boundary::fail;
use crate::boundary::{
    Result, clear_handle, free_handle, get_value, guard, guard_void, handle_mut, handle_ref,
    input_slice, new_handle, write_bytes,
};
use crate::result::sw_result;
use crate::rng::{check_rng, sw_rng, with_rng};
use crate::session::sendable_content_type;

/// No failure to report.
const NO_FAILURE: sw_device_failure = sw_device_failure {
    failed: false,
    device_id: 0,
    recipient_index: 0,
};

/// The caller's sessions with one device, borrowed for the call.
struct Slot<'a> {
    recipient: usize,
    device: u32,
    sessions: &'a mut DeviceSessions,
}

/// The caller's sessions, moved out of their handles into the per-user maps
/// the core takes, and moved back when this is dropped: after the call
/// (changed only if it succeeded: the core is all or nothing), and also if
/// the call panics, so that no handle is left empty. A `DeviceSessions`
/// boxes its sessions, so these moves copy pointers, never a key.
struct Lent<'a> {
    slots: Vec<Slot<'a>>,
    maps: Vec<UserSessions>,
}

impl<'a> Lent<'a> {
    fn new(slots: Vec<Slot<'a>>, users: usize) -> Self {
        let mut lent = Self {
            slots,
            maps: (0..users).map(|_| BTreeMap::new()).collect(),
        };
        let Self { slots, maps } = &mut lent;
        for slot in slots.iter_mut() {
            if let Some(map) = maps.get_mut(slot.recipient) {
                map.insert(slot.device, core::mem::take(slot.sessions));
            }
        }
        lent
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        let Self { slots, maps } = self;
        for slot in slots.iter_mut() {
            if let Some(sessions) = maps
                .get_mut(slot.recipient)
                .and_then(|m| m.remove(&slot.device))
            {
                *slot.sessions = sessions;
            }
        }
    }
}

/// The index of the recipient whose user is `address`'s (users are
/// distinct across recipients).
fn recipient_of(lists: &[&DeviceList], address: &DeviceAddress) -> Result<usize> {
    lists
        .iter()
        .position(|l| l.user() == address.name())
        .ok_or(sw_result::SW_INTERNAL)
}

/// Encrypts one body for every device of every recipient user (SPEC.md
/// §21.1), all or nothing: one message per device, in one
/// `sw_device_messages`. Pass the peer users and, so that our other devices
/// see what we sent, our own device list and sessions as one more
/// recipient; `me` is our own address (user id and device id), which is
/// skipped.
///
/// Every device of every list must have a confirmed identity key
/// (`SW_DEVICE_UNCONFIRMED_IDENTITY`) and an entry in its recipient's
/// `sessions` whose current session is with that key
/// (`SW_DEVICE_NO_SESSION`: fetch the device's bundle and
/// `sw_device_sessions_initiate`). Sessions of devices no longer listed are
/// left alone. If any device fails, no session changed, `*out_messages` is
/// NULL and `*out_failure` names the device (its recipient index and
/// device id) when the error is about one device. `content_type` is
/// `SW_CONTENT_USER_MESSAGE` or `SW_CONTENT_RECEIPT`; `franked` true
/// makes every message franked (reportable), false plain; `body` at most
/// `SW_MAX_BODY_LEN` bytes (`SW_SESSION_MESSAGE_TOO_LARGE`).
///
/// Each user may appear once among the recipients, each device once among
/// a recipient's sessions, and each `sw_device_sessions` handle once in the
/// whole call (else `SW_INVALID_ARGUMENT`): the handles are changed, and a
/// handle given twice would be two views of one ratchet. A user id or `me`
/// that is not UTF-8 is `SW_INVALID_ARGUMENT`.
///
/// Ownership: `me`, `recipients`, their arrays and the device lists are
/// only read; the `sw_device_sessions` they name are changed on success
/// (save them then). On `SW_OK`, `*out_messages` is a new handle (possibly
/// of no message, when there is no device to send to) the caller reads
/// with `sw_device_messages_count`, `_info`, `_message` and `_user`, and
/// frees with `sw_device_messages_free`; on error it is set to NULL.
///
/// NULL: `me`, `out_failure` and `out_messages` must not be NULL; `body`
/// may be NULL only with `body_len` 0, `recipients` only with
/// `recipients_len` 0; inside `recipients`, `devices` must not be NULL,
/// `sessions` may be NULL only with `sessions_len` 0, and each entry's
/// `sessions` must not be NULL; `rng` NULL is the OS generator.
///
/// Thread-safety: changes the `sw_device_sessions` named: no other thread
/// may use them meanwhile; the device lists are only read.
///
/// # Safety
///
/// `rng` NULL or a live handle; `body` valid for reads of `body_len` bytes;
/// `me` valid for one read, its `user` for `user_len` bytes; `recipients`
/// valid for reads of `recipients_len` entries, each naming a live
/// `sw_device_list` and an array of `sessions_len` entries, each naming a
/// live `sw_device_sessions` used by no other thread; `out_failure` and
/// `out_messages` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_encrypt_for_devices(
    rng: *mut sw_rng,
    now_ms: u64,
    content_type: u32,
    franked: bool,
    body: *const u8,
    body_len: usize,
    me: *const sw_device_address,
    recipients: *const sw_recipient,
    recipients_len: usize,
    out_failure: *mut sw_device_failure,
    out_messages: *mut *mut sw_device_messages,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_messages = unsafe { out!(out_messages) }?;
        clear_handle(&mut out_messages);
        // SAFETY: the caller's contract.
        let mut failure = unsafe { out!(out_failure) }?;
        failure.set(NO_FAILURE);
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let body = unsafe { input!(body, body_len) }?;
        // SAFETY: the caller's contract: `sw_device_address` is plain data.
        let me = unsafe { input_struct!(me) }?;
        // SAFETY: the caller's contract.
        let me = DeviceAddress::new(
            unsafe {
                user_id((
                    crate::boundary::Names {
                        ptr: "me->user",
                        len: "me->user_len",
                    },
                    me.user,
                    me.user_len,
                ))
            }?,
            me.device_id,
        );
        // SAFETY: the caller's contract: `sw_recipient` is plain data.
        let recipients = unsafe { input_slice!(recipients, recipients_len) }?;
        let content_type = sendable_content_type(content_type)?;
        if body.len() > MAX_BODY_LEN {
            return Err(sw_result::SW_SESSION_MESSAGE_TOO_LARGE);
        }

        // Check every list and sessions handle before anything changes.
        let mut lists = Vec::with_capacity(recipients.len());
        let mut users = BTreeSet::new();
        let mut handles = BTreeSet::new();
        let mut slots = Vec::new();
        for (recipient, r) in recipients.iter().enumerate() {
            // SAFETY: the caller's contract.
            let list: &DeviceList = unsafe { handle_ref(r.devices) }?;
            if !users.insert(list.user()) {
                return Err(fail(
                    sw_result::SW_INVALID_ARGUMENT,
                    format_args!("recipients[{recipient}]: a user named twice"),
                ));
            }
            lists.push(list);
            // SAFETY: the caller's contract: `sw_device_sessions_entry` is
            // plain data.
            let entries = unsafe {
                input_slice(
                    crate::boundary::Names {
                        ptr: "recipients[].sessions",
                        len: "recipients[].sessions_len",
                    },
                    r.sessions,
                    r.sessions_len,
                )
            }?;
            let mut devices = BTreeSet::new();
            for e in entries {
                if e.sessions.is_null() {
                    return Err(fail(
                        sw_result::SW_NULL_POINTER,
                        format_args!("recipients[{recipient}].sessions[].sessions is NULL"),
                    ));
                }
                if !devices.insert(e.device_id) || !handles.insert(e.sessions.addr()) {
                    return Err(fail(
                        sw_result::SW_INVALID_ARGUMENT,
                        format_args!(
                            "recipients[{recipient}]: device {} or its sw_device_sessions handle named twice",
                            e.device_id
                        ),
                    ));
                }
                // SAFETY: the caller's contract; every handle is borrowed
                // once (the addresses are distinct), so the exclusive
                // borrows do not alias; a list, rng or other handle at the
                // same address has another tag and is refused.
                let sessions = unsafe { handle_mut(e.sessions) }?;
                slots.push(Slot {
                    recipient,
                    device: e.device_id,
                    sessions,
                });
            }
        }

        let msg = Outgoing::new(content_type, body);
        let msg = if franked { msg.franked() } else { msg };
        let now = Timestamp::from_unix_millis(now_ms);
        let mut lent = Lent::new(slots, lists.len());
        let outcome = {
            let mut pairs: Vec<(&DeviceList, &mut UserSessions)> =
                lists.iter().copied().zip(lent.maps.iter_mut()).collect();
            // SAFETY: the caller's contract.
            unsafe {
                with_rng(rng, |r| {
                    Ok(encrypt_for_devices(r, now, msg, Some(&me), &mut pairs))
                })
            }
        };
        // The sessions go back to their handles (changed only on success).
        drop(lent);
        match outcome? {
            Ok(messages) => {
                let messages = messages
                    .into_iter()
                    .map(|m| {
                        Ok(Addressed {
                            recipient: recipient_of(&lists, &m.address)?,
                            address: m.address,
                            message: m.sent.message,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                out_messages.set(new_handle::<sw_device_messages>(messages));
                Ok(())
            }
            Err(e) => {
                let device = match &e {
                    DeviceError::UnconfirmedIdentity(a)
                    | DeviceError::NoSession(a)
                    | DeviceError::Session(a, _) => Some(a),
                    _ => None,
                };
                if let Some(a) = device {
                    failure.set(sw_device_failure {
                        failed: true,
                        device_id: a.device_id(),
                        recipient_index: recipient_of(&lists, a)?,
                    });
                }
                Err(e.into())
            }
        }
    })
}

/// The message at `index`: `SW_INVALID_ARGUMENT` past the end.
fn message_at(messages: &[Addressed], index: usize) -> Result<&Addressed> {
    messages.get(index).ok_or_else(|| {
        fail(
            sw_result::SW_INVALID_ARGUMENT,
            format_args!("index is {index}: there are {} messages", messages.len()),
        )
    })
}

/// Stores how many messages there are (one per device sent to).
///
/// NULL: `messages` and `out_count` must not be NULL.
///
/// # Safety
///
/// `messages` a live handle; `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_messages_count(
    messages: *const sw_device_messages,
    out_count: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe { get_value(messages, named!(out_count), |m: &Vec<Addressed>| m.len()) }
}

/// Stores where message `index` (from 0 to the count - 1, else
/// `SW_INVALID_ARGUMENT`) goes: the index of its user in the `recipients`
/// array of the call, the device id, and the message's length. The
/// messages come in the order of the recipients, each by ascending device
/// id.
///
/// NULL: `messages` and `out_info` must not be NULL.
///
/// # Safety
///
/// `messages` a live handle; `out_info` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_messages_info(
    messages: *const sw_device_messages,
    index: usize,
    out_info: *mut sw_device_message_info,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut info = unsafe { out!(out_info) }?;
        info.set(sw_device_message_info {
            recipient_index: 0,
            device_id: 0,
            message_len: 0,
        });
        // SAFETY: the caller's contract.
        let messages = unsafe { handle_ref(messages) }?;
        let m = message_at(messages, index)?;
        info.set(sw_device_message_info {
            recipient_index: m.recipient,
            device_id: m.address.device_id(),
            message_len: m.message.len(),
        });
        Ok(())
    })
}

/// Writes message `index` (the bytes to deliver to its device).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed (also in
/// `sw_device_messages_info`). An `index` past the end is
/// `SW_INVALID_ARGUMENT`.
///
/// NULL: `messages` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// # Safety
///
/// `messages` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_messages_message(
    messages: *const sw_device_messages,
    index: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let messages = unsafe { handle_ref(messages) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        let m = message_at(messages, index)?;
        write_bytes(buf, &mut written, &m.message)
    })
}

/// Writes the user id of message `index`'s device address (not
/// NUL-terminated; at most `SW_MAX_USER_ID_LEN` bytes).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed. An `index` past the end
/// is `SW_INVALID_ARGUMENT`.
///
/// NULL: `messages` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// # Safety
///
/// `messages` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_messages_user(
    messages: *const sw_device_messages,
    index: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let messages = unsafe { handle_ref(messages) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        let m = message_at(messages, index)?;
        write_bytes(buf, &mut written, m.address.name().as_bytes())
    })
}

/// Frees the messages of a multi-device send. NULL is a no-op.
///
/// # Safety
///
/// `messages` must be NULL or a live `sw_device_messages` not used again
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_device_messages_free(messages: *mut sw_device_messages) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(messages) });
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use sealwire::{IdentityKeyPair, PrekeyStore, os_rng};

    use super::*;

    #[test]
    fn lent_sessions_go_back_to_their_handles_even_on_panic() {
        let mut rng = os_rng();
        let me = IdentityKeyPair::from_seed(&[1; 32]);
        let peer = IdentityKeyPair::from_seed(&[2; 32]);
        let bundle = PrekeyStore::new(&peer, &mut rng)
            .bundle(&peer, None)
            .unwrap();
        let mut a = DeviceSessions::new();
        a.initiate(&mut rng, &me, peer.public(), &bundle).unwrap();
        let mut b = DeviceSessions::new();
        let (a0, b0) = (a.clone(), b.clone());
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let slots = vec![
                Slot {
                    recipient: 0,
                    device: 7,
                    sessions: &mut a,
                },
                Slot {
                    recipient: 1,
                    device: 7,
                    sessions: &mut b,
                },
            ];
            let lent = Lent::new(slots, 2);
            // Moved out: the handles hold empty sessions meanwhile.
            assert!(lent.maps[0][&7].current().is_some());
            assert!(lent.slots[0].sessions.current().is_none());
            panic!("the call panics while the sessions are lent");
        }));
        assert!(outcome.is_err());
        assert!(a == a0 && b == b0, "the sessions went back");
        assert!(a.current().is_some());
    }
}
