//! `sw_distribution`.

use sealwire::{ContentType, Encrypt, Outgoing, Timestamp};

use super::helpers::{identity_key, write_keys};
use super::sw_distribution;
use crate::boundary::{free_handle, guard, guard_void, handle_mut, handle_ref};
use crate::result::sw_result;
use crate::rng::{check_rng, sw_rng, with_rng};
use crate::session::sw_session;

/// Stores how many recipients the distribution has.
///
/// NULL: `distribution` and `out_count` must not be NULL. Thread-safe (the
/// handle is immutable).
///
/// # Safety
///
/// `distribution` a live handle; `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_distribution_recipient_count(
    distribution: *const sw_distribution,
    out_count: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut count = unsafe { out!(out_count) }?;
        count.set(0);
        // SAFETY: the caller's contract.
        let d = unsafe { handle_ref(distribution) }?;
        count.set(d.recipients.len());
        Ok(())
    })
}

/// Writes the recipients' 32-byte identity keys back to back (sorted by
/// key): `32 * sw_distribution_recipient_count` bytes.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `distribution` and `out_len` must not be NULL; `buf` may be NULL
/// only with `buf_len` 0 (a size query). Thread-safe.
///
/// # Safety
///
/// `distribution` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_distribution_recipients(
    distribution: *const sw_distribution,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let d = unsafe { handle_ref(distribution) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        write_keys(buf, &mut written, &d.recipients)
    })
}

/// Stores whether the 32-byte identity key `who` is a recipient.
///
/// NULL: `distribution`, `who` and `out_is_recipient` must not be NULL
/// (`who_len` must be 32, else `SW_INVALID_ARGUMENT`). Thread-safe.
///
/// # Safety
///
/// `distribution` a live handle; `who` valid for reads of `who_len` bytes;
/// `out_is_recipient` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_distribution_is_recipient(
    distribution: *const sw_distribution,
    who: *const u8,
    who_len: usize,
    out_is_recipient: *mut bool,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut is = unsafe { out!(out_is_recipient) }?;
        is.set(false);
        // SAFETY: the caller's contract.
        let d = unsafe { handle_ref(distribution) }?;
        // SAFETY: the caller's contract.
        let who = unsafe { identity_key(arg!(who, who_len)) }?;
        is.set(d.is_recipient(&who));
        Ok(())
    })
}

/// Stores the length of the 1:1 message `sw_distribution_encrypt_for`
/// writes over `session` (the size query for its output buffer).
///
/// NULL: `distribution`, `session` and `out_len` must not be NULL.
///
/// Thread-safety: reads `session`; no other thread may change it meanwhile.
///
/// # Safety
///
/// `distribution` and `session` live handles; `out_len` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_distribution_encrypted_len(
    distribution: *const sw_distribution,
    session: *const sw_session,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut len = unsafe { out!(out_len) }?;
        len.set(0);
        // SAFETY: the caller's contract.
        let d = unsafe { handle_ref(distribution) }?;
        // SAFETY: the caller's contract.
        let session = unsafe { handle_ref(session) }?;
        len.set(session.record.encrypted_len(d.body.len(), false));
        Ok(())
    })
}

/// Encrypts the distribution over the 1:1 session with one of its
/// recipients: a message of content type `SW_CONTENT_GROUP_KEY_DISTRIBUTION`
/// to send to that peer (before any post of the chain). A session whose
/// peer is not a recipient is refused with `SW_SESSION_MISMATCH`, so that a
/// chain key never goes to a non-member by mistake. The session may be
/// pending or established; it advances as with `sw_session_encrypt` (save
/// it afterwards).
///
/// Ownership: `distribution` is borrowed, `session` borrowed and updated;
/// `buf` belongs to the caller and needs `sw_distribution_encrypted_len`
/// bytes: if shorter, nothing changes, `*out_len` receives that length and
/// the result is `SW_BUFFER_TOO_SMALL`. On `SW_OK`, `*out_len` receives the
/// message's length.
///
/// NULL: `distribution`, `session` and `out_len` must not be NULL; `buf` may
/// be NULL only with `buf_len` 0 (a size query); `rng` NULL is the OS
/// generator.
///
/// Thread-safety: changes `session` (one thread at a time); the
/// distribution may be used from several threads at once.
///
/// # Safety
///
/// `distribution` a live handle; `session` a live handle used by no other
/// thread; `rng` NULL or a live handle; `buf` valid for writes of `buf_len`
/// bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_distribution_encrypt_for(
    rng: *mut sw_rng,
    distribution: *const sw_distribution,
    session: *mut sw_session,
    now_ms: u64,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let d = unsafe { handle_ref(distribution) }?;
        // SAFETY: the caller's contract.
        let session = unsafe { handle_mut(session) }?;
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        if !d.is_recipient(session.record.their_identity()) {
            return Err(sw_result::SW_SESSION_MISMATCH);
        }
        let needed = session.record.encrypted_len(d.body.len(), false);
        let Some(buf) = buf.get_mut(..needed) else {
            written.set(needed);
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        };
        let now = Timestamp::from_unix_millis(now_ms);
        // SAFETY: the caller's contract.
        let n = unsafe {
            with_rng(rng, |r| {
                Ok(session
                    .record
                    .encrypt_into(
                        r,
                        now,
                        Outgoing::new(ContentType::GroupKeyDistribution, &d.body),
                        buf,
                    )?
                    .len)
            })
        }?;
        written.set(n);
        Ok(())
    })
}

/// Frees a distribution, zeroing its body (the chain key). NULL is a
/// no-op.
///
/// # Safety
///
/// `distribution` must be NULL or a live `sw_distribution` not used again
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_distribution_free(distribution: *mut sw_distribution) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(distribution) });
}
