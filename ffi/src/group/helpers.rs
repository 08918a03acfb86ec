//! Helpers of the group and channel exports.

use sealwire::IdentityKey;
use sealwire::expiry::{MessageExpiry, TimerChange};
use sealwire::group::{Distribution, GroupId, GroupReceived, GroupReceivedRef};
use sealwire::{ContentType, Timestamp};

use super::{sw_distribution, sw_group_received_info};
use crate::boundary::fail;
use crate::boundary::{Out, Result, input, input_array, new_handle, write_bytes};
use crate::result::sw_result;
use crate::session::{content_type_to_c, expiry_to_c, timer_change_to_c};

/// A 32-byte identity key input: NULL is `SW_NULL_POINTER`, another length
/// `SW_INVALID_ARGUMENT`, an invalid key `SW_DECODE_INVALID_KEY`.
///
/// # Safety
///
/// As [`input_array`].
pub(super) unsafe fn identity_key(
    (names, ptr, len): (crate::boundary::Names, *const u8, usize),
) -> Result<IdentityKey> {
    // SAFETY: the caller's contract.
    let bytes = unsafe { input_array(names, ptr, len) }?;
    Ok(IdentityKey::from_bytes(&bytes)?)
}

/// A 16-byte group id input.
///
/// # Safety
///
/// As [`input_array`].
pub(super) unsafe fn parse_group_id(
    (names, ptr, len): (crate::boundary::Names, *const u8, usize),
) -> Result<GroupId> {
    // SAFETY: the caller's contract.
    Ok(GroupId::from_bytes(unsafe {
        input_array(names, ptr, len)
    }?))
}

/// A list of identity keys, 32 bytes each, back to back: a length that is
/// not a multiple of 32 is `SW_INVALID_ARGUMENT`.
///
/// # Safety
///
/// As [`input`].
pub(crate) unsafe fn identity_keys(
    (names, ptr, len): (crate::boundary::Names, *const u8, usize),
) -> Result<Vec<IdentityKey>> {
    // SAFETY: the caller's contract.
    let bytes = unsafe { input(names, ptr, len) }?;
    let chunks = bytes.chunks_exact(32);
    if !chunks.remainder().is_empty() {
        return Err(fail(
            sw_result::SW_INVALID_ARGUMENT,
            format_args!(
                "{} is {len}: not a multiple of 32 (identity keys back to back)",
                names.len
            ),
        ));
    }
    chunks
        .map(|c| {
            let key = <[u8; 32]>::try_from(c).map_err(|_| sw_result::SW_INTERNAL)?;
            Ok(IdentityKey::from_bytes(&key)?)
        })
        .collect()
}

/// Writes identity keys back to back (32 bytes each) as [`write_bytes`].
pub(super) fn write_keys(
    buf: &mut [u8],
    written: &mut Out<'_, usize>,
    keys: &[IdentityKey],
) -> Result<()> {
    let mut bytes = Vec::with_capacity(keys.len().saturating_mul(32));
    for k in keys {
        bytes.extend_from_slice(k.as_bytes());
    }
    write_bytes(buf, written, &bytes)
}

/// A distribution handle for the caller, or NULL when there is no one to
/// send it to.
pub(super) fn distribution_handle(d: Distribution) -> *mut sw_distribution {
    if d.recipients.is_empty() {
        core::ptr::null_mut()
    } else {
        new_handle::<sw_distribution>(d)
    }
}

/// The C metadata of a post received in place, and whether its body must
/// be erased.
pub(super) fn group_info(r: &GroupReceivedRef<'_>) -> (sw_group_received_info, bool) {
    post_info(&PostFields {
        sender: r.sender,
        chain_id: r.chain_id,
        iteration: r.iteration,
        content_type: r.content_type,
        sent_at: r.sent_at,
        expiry: r.expiry,
        timer_change: r.timer_change,
    })
}

/// The fields of a received post that its C metadata holds, from a post
/// received in place (`GroupReceivedRef`) or owned (`GroupReceived`).
pub(crate) struct PostFields {
    pub(crate) sender: IdentityKey,
    pub(crate) chain_id: u32,
    pub(crate) iteration: u32,
    pub(crate) content_type: ContentType,
    pub(crate) sent_at: Timestamp,
    pub(crate) expiry: MessageExpiry,
    pub(crate) timer_change: Option<TimerChange>,
}

impl From<&GroupReceived> for PostFields {
    fn from(r: &GroupReceived) -> Self {
        Self {
            sender: r.sender,
            chain_id: r.chain_id,
            iteration: r.iteration,
            content_type: r.content_type,
            sent_at: r.sent_at,
            expiry: r.expiry,
            timer_change: r.timer_change,
        }
    }
}

/// The C metadata of a received post, and whether its body must be erased
/// (an expiry this version does not know is treated as expired).
pub(crate) fn post_info(r: &PostFields) -> (sw_group_received_info, bool) {
    let (expiry, expiry_ms, erase) = expiry_to_c(r.expiry);
    let (timer_changed, timer_changed_by, timer_old, timer_new) = timer_change_to_c(r.timer_change);
    (
        sw_group_received_info {
            sender: r.sender.to_bytes(),
            chain_id: r.chain_id,
            iteration: r.iteration,
            content_type: content_type_to_c(r.content_type),
            sent_at_ms: r.sent_at.as_unix_millis(),
            expiry,
            expiry_ms,
            timer_changed,
            timer_changed_by,
            timer_old,
            timer_new,
        },
        erase,
    )
}
