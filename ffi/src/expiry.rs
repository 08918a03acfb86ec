//! `sw_expiry_queue`: the deadlines of disappearing messages, driven by the
//! app.

use sealwire::Timestamp;
use sealwire::expiry::{Expiry, ExpiryQueue, MessageId};

use crate::boundary::{
    Handle, Result, clear_handle, free_handle, guard, guard_void, handle_mut, handle_ref,
    new_handle, write_bytes,
};
use crate::result::sw_result;
use crate::session::sw_message_expiry;

/// Length of a message id in the expiry queue (a UUID, or a row number as 8
/// zero bytes then the number big-endian).
pub const SW_MESSAGE_ID_LEN: usize = 16;

/// The deadlines of the app's disappearing messages, earliest first. Every
/// operation is O(log n); no clock is read (`now_ms` is passed in).
///
/// Ownership: made by `sw_expiry_queue_new`, `sw_expiry_queue_decode` or
/// `sw_expiry_queue_load*`, freed by the caller with `sw_expiry_queue_free`.
///
/// Thread-safety: not internally synchronised; one thread at a time.
pub struct sw_expiry_queue {
    _opaque: [u8; 0],
}

impl Handle for sw_expiry_queue {
    type Inner = ExpiryQueue;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:expiq");
}

/// # Safety
///
/// As [`input_array`].
unsafe fn message_id(id: *const u8, id_len: usize) -> Result<MessageId> {
    // SAFETY: the caller's contract.
    Ok(MessageId(unsafe { input_array!(id, id_len) }?))
}

/// Makes an empty queue.
///
/// Ownership: on `SW_OK`, `*out_queue` is a new handle the caller frees with
/// `sw_expiry_queue_free`; on error it is set to NULL.
///
/// NULL: `out_queue` must not be NULL.
///
/// # Safety
///
/// `out_queue` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_new(out_queue: *mut *mut sw_expiry_queue) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_queue = unsafe { out!(out_queue) }?;
        clear_handle(&mut out_queue);
        out_queue.set(new_handle::<sw_expiry_queue>(ExpiryQueue::new()));
        Ok(())
    })
}

/// Stores the number of queued messages (scheduled or waiting to be read).
///
/// NULL: `queue` and `out_len` must not be NULL.
///
/// # Safety
///
/// `queue` a live handle; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_len(
    queue: *const sw_expiry_queue,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut len = unsafe { out!(out_len) }?;
        len.set(0);
        // SAFETY: the caller's contract.
        let queue = unsafe { handle_ref(queue) }?;
        len.set(queue.len());
        Ok(())
    })
}

/// Queues message `id` (16 bytes) to disappear at `deadline_ms` (Unix ms):
/// for a received message whose `expiry` is `SW_MESSAGE_EXPIRY_AT`, pass
/// its `expiry_ms`. `SW_EXPIRY_DUPLICATE_ID` if already queued,
/// `SW_EXPIRY_QUEUE_FULL` at 2^21 entries.
///
/// NULL: `queue` and `id` must not be NULL; `id_len` must be 16.
///
/// # Safety
///
/// `queue` a live handle used by no other thread; `id` valid for reads of
/// `id_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_insert_at(
    queue: *mut sw_expiry_queue,
    id: *const u8,
    id_len: usize,
    deadline_ms: u64,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let queue = unsafe { handle_mut(queue) }?;
        // SAFETY: the caller's contract.
        let id = unsafe { message_id(id, id_len) }?;
        let deadline = Timestamp::from_unix_millis(deadline_ms);
        Ok(queue.insert(id, Expiry::At(deadline))?)
    })
}

/// Queues message `id` (16 bytes) to disappear `ttl_ms` after the app marks
/// it read (`sw_expiry_queue_mark_read`): for a received message whose
/// `expiry` is `SW_MESSAGE_EXPIRY_AFTER_READ`, pass its `expiry_ms`.
///
/// NULL: `queue` and `id` must not be NULL; `id_len` must be 16.
///
/// # Safety
///
/// `queue` a live handle used by no other thread; `id` valid for reads of
/// `id_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_insert_after_read(
    queue: *mut sw_expiry_queue,
    id: *const u8,
    id_len: usize,
    ttl_ms: u64,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let queue = unsafe { handle_mut(queue) }?;
        // SAFETY: the caller's contract.
        let id = unsafe { message_id(id, id_len) }?;
        Ok(queue.insert(id, Expiry::AfterRead { ttl_ms })?)
    })
}

/// The app showed message `id`: an after-read entry starts its timer at
/// `now_ms`. `*out_deadline_ms` receives the entry's deadline (a scheduled
/// entry keeps its own). `SW_EXPIRY_NOT_FOUND` if the id is not queued.
///
/// NULL: `queue`, `id` and `out_deadline_ms` must not be NULL; `id_len`
/// must be 16.
///
/// # Safety
///
/// `queue` a live handle used by no other thread; `id` valid for reads of
/// `id_len` bytes; `out_deadline_ms` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_mark_read(
    queue: *mut sw_expiry_queue,
    id: *const u8,
    id_len: usize,
    now_ms: u64,
    out_deadline_ms: *mut u64,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut deadline = unsafe { out!(out_deadline_ms) }?;
        deadline.set(0);
        // SAFETY: the caller's contract.
        let queue = unsafe { handle_mut(queue) }?;
        // SAFETY: the caller's contract.
        let id = unsafe { message_id(id, id_len) }?;
        let t = queue
            .mark_read(id, Timestamp::from_unix_millis(now_ms))
            .ok_or(sw_result::SW_EXPIRY_NOT_FOUND)?;
        deadline.set(t.as_unix_millis());
        Ok(())
    })
}

/// Removes message `id` (the user deleted it). `SW_EXPIRY_NOT_FOUND` if the
/// id is not queued.
///
/// NULL: `queue` and `id` must not be NULL; `id_len` must be 16.
///
/// # Safety
///
/// `queue` a live handle used by no other thread; `id` valid for reads of
/// `id_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_remove(
    queue: *mut sw_expiry_queue,
    id: *const u8,
    id_len: usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let queue = unsafe { handle_mut(queue) }?;
        // SAFETY: the caller's contract.
        let id = unsafe { message_id(id, id_len) }?;
        queue
            .remove(id)
            .map(|_| ())
            .ok_or(sw_result::SW_EXPIRY_NOT_FOUND)
    })
}

/// Stores what the queue holds for `id`: `*out_kind` is
/// `SW_MESSAGE_EXPIRY_AT` (then `*out_ms` is the deadline) or
/// `SW_MESSAGE_EXPIRY_AFTER_READ` (then `*out_ms` is the TTL).
/// `SW_EXPIRY_NOT_FOUND` if the id is not queued.
///
/// NULL: `queue`, `id`, `out_kind` and `out_ms` must not be NULL; `id_len`
/// must be 16.
///
/// # Safety
///
/// `queue` a live handle; `id` valid for reads of `id_len` bytes;
/// `out_kind` and `out_ms` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_get(
    queue: *const sw_expiry_queue,
    id: *const u8,
    id_len: usize,
    out_kind: *mut sw_message_expiry,
    out_ms: *mut u64,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut kind = unsafe { out!(out_kind) }?;
        kind.set(sw_message_expiry::SW_MESSAGE_EXPIRY_NEVER);
        // SAFETY: the caller's contract.
        let mut ms = unsafe { out!(out_ms) }?;
        ms.set(0);
        // SAFETY: the caller's contract.
        let queue = unsafe { handle_ref(queue) }?;
        // SAFETY: the caller's contract.
        let id = unsafe { message_id(id, id_len) }?;
        match queue.get(id).ok_or(sw_result::SW_EXPIRY_NOT_FOUND)? {
            Expiry::At(t) => {
                kind.set(sw_message_expiry::SW_MESSAGE_EXPIRY_AT);
                ms.set(t.as_unix_millis());
            }
            Expiry::AfterRead { ttl_ms } => {
                kind.set(sw_message_expiry::SW_MESSAGE_EXPIRY_AFTER_READ);
                ms.set(ttl_ms);
            }
            _ => return Err(sw_result::SW_UNKNOWN_ERROR),
        }
        Ok(())
    })
}

/// Stores the earliest running deadline: `*out_present` false if none runs;
/// else call `sw_expiry_queue_pop_expired` at `*out_ms` (Unix ms).
///
/// NULL: `queue`, `out_present` and `out_ms` must not be NULL.
///
/// # Safety
///
/// `queue` a live handle; `out_present` and `out_ms` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_next_deadline(
    queue: *const sw_expiry_queue,
    out_present: *mut bool,
    out_ms: *mut u64,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut present = unsafe { out!(out_present) }?;
        present.set(false);
        // SAFETY: the caller's contract.
        let mut ms = unsafe { out!(out_ms) }?;
        ms.set(0);
        // SAFETY: the caller's contract.
        let queue = unsafe { handle_ref(queue) }?;
        if let Some(t) = queue.next_deadline() {
            present.set(true);
            ms.set(t.as_unix_millis());
        }
        Ok(())
    })
}

/// Removes the messages whose deadline is at or before `now_ms`, earliest
/// first, at most as many as `ids` holds (`ids_len / 16`), and writes their
/// 16-byte ids back to back into `ids`: delete those messages now. If
/// `*out_count` equals the capacity, more may be due: call again.
///
/// Ownership: `ids` belongs to the caller; `*out_count` receives the number
/// of ids written.
///
/// NULL: `queue` and `out_count` must not be NULL; `ids` may be NULL only
/// with `ids_len` 0 (then nothing is removed).
///
/// # Safety
///
/// `queue` a live handle used by no other thread; `ids` valid for writes of
/// `ids_len` bytes; `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_pop_expired(
    queue: *mut sw_expiry_queue,
    now_ms: u64,
    ids: *mut u8,
    ids_len: usize,
    out_count: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut count = unsafe { out!(out_count) }?;
        count.set(0);
        // SAFETY: the caller's contract.
        let queue = unsafe { handle_mut(queue) }?;
        // SAFETY: the caller's contract.
        let ids = unsafe { output!(ids, ids_len) }?;
        let now = Timestamp::from_unix_millis(now_ms);
        let mut slots = ids.chunks_exact_mut(SW_MESSAGE_ID_LEN);
        let mut n = 0usize;
        // One deadline at a time: every entry popped at the earliest
        // deadline `d` has deadline exactly `d`, so those that do not fit
        // go back unchanged.
        while slots.len() > 0 {
            let Some(d) = queue.next_deadline().filter(|d| *d <= now) else {
                break;
            };
            let due = queue.pop_expired(d);
            let (fits, back) = due.split_at(due.len().min(slots.len()));
            for id in fits {
                if let Some(slot) = slots.next() {
                    slot.copy_from_slice(&id.0);
                    n = n.saturating_add(1);
                }
            }
            for id in back {
                queue.insert(*id, Expiry::At(d))?;
            }
        }
        count.set(n);
        Ok(())
    })
}

/// Writes the queue's versioned, canonical encoding (SPEC.md §10.3), to
/// store it.
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives the length
/// written or, with `SW_BUFFER_TOO_SMALL`, needed.
///
/// NULL: `queue` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// # Safety
///
/// `queue` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_encode(
    queue: *const sw_expiry_queue,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let queue = unsafe { handle_ref(queue) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        let needed = queue.encoded_len();
        if buf.len() < needed {
            written.set(needed);
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        }
        write_bytes(buf, &mut written, &queue.encode())
    })
}

/// Parses an encoding made by `sw_expiry_queue_encode` (strictly).
///
/// Ownership: `bytes` is only read. On `SW_OK`, `*out_queue` is a new
/// handle the caller frees with `sw_expiry_queue_free`; on error it is set
/// to NULL.
///
/// NULL: `bytes` (unless `len` is 0) and `out_queue` must not be NULL.
///
/// # Safety
///
/// `bytes` valid for reads of `len` bytes; `out_queue` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_decode(
    bytes: *const u8,
    len: usize,
    out_queue: *mut *mut sw_expiry_queue,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_queue = unsafe { out!(out_queue) }?;
        clear_handle(&mut out_queue);
        // SAFETY: the caller's contract.
        let bytes = unsafe { input!(bytes, len) }?;
        let queue = ExpiryQueue::decode(bytes)?;
        out_queue.set(new_handle::<sw_expiry_queue>(queue));
        Ok(())
    })
}

/// Frees a queue. NULL is a no-op.
///
/// # Safety
///
/// `queue` must be NULL or a live `sw_expiry_queue` not used again
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_expiry_queue_free(queue: *mut sw_expiry_queue) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(queue) });
}
