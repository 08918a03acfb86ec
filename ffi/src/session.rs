//! `sw_session`: a 1:1 session in either phase (pending: sent prekey
//! messages, no reply yet; established), with encrypt, decrypt and the
//! disappearing-message timer.

use sealwire::expiry::{
    ChangedBy, ConversationTimer, ExpiryMode, ExpiryPolicy, MessageExpiry, TimerChange,
};
use sealwire::limits::MAX_BODY_LEN;
use sealwire::{
    ContentType, Encrypt, IdentityKey, KeyAgreement, Outgoing, PendingSession, Received, Session,
    SessionRecord, Timestamp,
};

use crate::boundary::fail;
use crate::boundary::{
    Handle, Out, Result, clear_handle, free_handle, get_optional, guard, guard_void, handle_mut,
    handle_ref, new_handle, too_small, write_bytes,
};
use crate::identity::{identity_and_rng, sw_identity};
use crate::prekey::{sw_bundle, sw_prekey_store};
use crate::result::sw_result;
use crate::rng::{check_rng, sw_rng, with_rng};

/// Longest message body, in bytes (1 MiB).
pub const SW_MAX_BODY_LEN: usize = 1_048_576;

/// A 1:1 session with one peer device, in either phase: pending (made by
/// `sw_session_initiate`; sends prekey messages until the peer's first
/// reply decrypts) or established (after that reply, or made by
/// `sw_session_accept`). `sw_session_decrypt` moves a pending session to
/// established. Every call that fails leaves the session exactly as it
/// was.
///
/// Pending distribution: besides the session, the handle keeps the last
/// group key distribution it decrypted (`SW_CONTENT_GROUP_KEY_DISTRIBUTION`,
/// by `sw_session_decrypt` or `sw_session_accept`), whole with its
/// authenticated sender, until `sw_group_accept_distribution` or
/// `sw_channel_subscriber_accept_distribution` takes it; the next
/// distribution decrypted replaces it, other messages leave it alone. It
/// is never saved (`sw_session_save` writes the session only; a loaded
/// session holds none) and is zeroed when replaced, taken or freed.
///
/// Ownership: freed by the caller with `sw_session_free` (its keys are
/// zeroed).
///
/// Thread-safety: not internally synchronised; one thread at a time per
/// session. Different sessions may be used from different threads at once.
pub struct sw_session {
    _opaque: [u8; 0],
}

impl Handle for sw_session {
    type Inner = SessionHandle;
    const MAGIC: u64 = u64::from_be_bytes(*b"sw:sessn");
}

/// What an `sw_session` holds: the session, and the pending distribution.
pub(crate) struct SessionHandle {
    /// The session (what is saved and loaded).
    pub(crate) record: SessionRecord,
    /// The last group key distribution the session decrypted, kept whole
    /// (plaintext and authenticated sender) until a group or channel takes
    /// it: the C caller never names a distribution's sender. `Received`
    /// zeroizes its plaintext (the chain key) on drop. Not saved.
    pub(crate) distribution: Option<Received>,
}

impl SessionHandle {
    /// A handle with no pending distribution.
    pub(crate) fn new(record: SessionRecord) -> Self {
        Self {
            record,
            distribution: None,
        }
    }

    /// Keeps a message just decrypted if it is a key distribution (its
    /// body handed out to the caller, not `erased`): it replaces any
    /// pending one. A distribution that arrived expired leaves none.
    fn keep_distribution(&mut self, received: Option<Received>, erased: bool) {
        if let Some(r) = received {
            self.distribution = (!erased).then_some(r);
        }
    }
}

/// The owned copy of a decrypted message to keep, if it is a key
/// distribution.
fn distribution_of(
    content_type: ContentType,
    received: impl FnOnce() -> Received,
) -> Option<Received> {
    (content_type == ContentType::GroupKeyDistribution).then(received)
}

/// What a message carries.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sw_content_type {
    /// A user's message (text or any app payload).
    SW_CONTENT_USER_MESSAGE = 1,
    /// A change of the disappearing-message timer (empty body; made by
    /// `sw_session_set_timer`, never by `sw_session_encrypt`).
    SW_CONTENT_TIMER_CHANGE = 2,
    /// A group or channel sender-key distribution (SPEC.md §20.3): the body
    /// is a distribution, kept in the session as its pending distribution
    /// (with its authenticated sender). Route the body with
    /// `sw_distribution_group_id`, then pass the session to that group's
    /// `sw_group_accept_distribution` or
    /// `sw_channel_subscriber_accept_distribution`, which takes the pending
    /// distribution: the caller never names the sender. Made by
    /// `sw_distribution_encrypt_for`, never by `sw_session_encrypt`.
    SW_CONTENT_GROUP_KEY_DISTRIBUTION = 3,
    /// A delivery or read receipt (app-defined body).
    SW_CONTENT_RECEIPT = 4,
}

/// A disappearing-message mode.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sw_expiry_mode {
    /// Messages do not disappear.
    SW_EXPIRY_OFF = 0,
    /// A message disappears its TTL after it was sent (receiver's clock).
    SW_EXPIRY_AFTER_SEND = 1,
    /// A message disappears its TTL after the app marks it read.
    SW_EXPIRY_AFTER_READ = 2,
}

/// When a received message (or a queued one) disappears.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sw_message_expiry {
    /// It does not disappear.
    SW_MESSAGE_EXPIRY_NEVER = 0,
    /// At a deadline, in Unix milliseconds of the receiver's clock.
    SW_MESSAGE_EXPIRY_AT = 1,
    /// A TTL (milliseconds) after the app marks it read.
    SW_MESSAGE_EXPIRY_AFTER_READ = 2,
    /// It arrived after its deadline: its plaintext was erased, the
    /// plaintext length is 0. Show nothing.
    SW_MESSAGE_EXPIRY_EXPIRED = 3,
}

/// Who changed the conversation's timer.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sw_changed_by {
    /// This side (`sw_session_set_timer`).
    SW_CHANGED_BY_US = 0,
    /// The peer, through a timer-change message.
    SW_CHANGED_BY_PEER = 1,
}

/// The key agreement that set a session up (SPEC.md §3.7). The numbers
/// are stable: a value keeps its number in every later version.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sw_key_agreement {
    /// Not recorded: an initiator's established session loaded from a
    /// state blob of an older version (v2), which did not store it. Treat
    /// it as not known to be post-quantum.
    SW_KEY_AGREEMENT_UNRECORDED = 0,
    /// Classic X3DH: no post-quantum protection.
    SW_KEY_AGREEMENT_X3DH = 1,
    /// PQXDH: X3DH plus an ML-KEM-768 encapsulation (post-quantum).
    SW_KEY_AGREEMENT_PQXDH = 2,
}

/// A conversation's disappearing-message timer.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct sw_timer {
    /// The mode; `SW_EXPIRY_OFF` when messages do not disappear.
    pub mode: sw_expiry_mode,
    /// Time to live in seconds (0 when off).
    pub ttl_secs: u32,
    /// Incremented by every explicit change (0: never changed). 64 bits
    /// (SPEC.md §10.2).
    pub version: u64,
}

/// What `sw_session_decrypt` and `sw_session_accept` report besides the
/// plaintext. Written by the library, never read by it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct sw_received_info {
    /// What the message carries.
    pub content_type: sw_content_type,
    /// The message's number in the sender's current chain.
    pub message_number: u32,
    /// The sender's claimed send time (Unix ms; the sender's clock:
    /// authenticated, but never trust it to extend anything).
    pub sent_at_ms: u64,
    /// When the message disappears.
    pub expiry: sw_message_expiry,
    /// The deadline (Unix ms) for `SW_MESSAGE_EXPIRY_AT`, the TTL (ms) for
    /// `SW_MESSAGE_EXPIRY_AFTER_READ`, else 0.
    pub expiry_ms: u64,
    /// Whether this message changed the conversation's timer (then
    /// `timer_changed_by`, `timer_old` and `timer_new` describe the change;
    /// else they are zero).
    pub timer_changed: bool,
    /// Who changed the timer.
    pub timer_changed_by: sw_changed_by,
    /// The timer before the change.
    pub timer_old: sw_timer,
    /// The timer after the change.
    pub timer_new: sw_timer,
    /// The sender's public identity key, authenticated by the session.
    pub sender: [u8; 32],
    /// Whether the message was franked (sent with
    /// `sw_session_encrypt_franked`): then `franking_key` and `commitment`
    /// are its franking evidence, already checked against the message;
    /// else (and for a message that arrived expired) they are zero. Store
    /// them with the message, with the relay's stamp, to be able to report
    /// it (`sw_report_from_received`).
    pub is_franked: bool,
    /// The franking key `kf` (32 bytes) of a franked message, else zero.
    pub franking_key: [u8; 32],
    /// The franking commitment `cf` (32 bytes) of a franked message (the
    /// value the relay stamps), else zero.
    pub commitment: [u8; 32],
}

pub(crate) const TIMER_OFF: sw_timer = sw_timer {
    mode: sw_expiry_mode::SW_EXPIRY_OFF,
    ttl_secs: 0,
    version: 0,
};

pub(crate) fn timer(t: ConversationTimer) -> sw_timer {
    let (mode, ttl_secs) = match t.policy {
        None => (sw_expiry_mode::SW_EXPIRY_OFF, 0),
        Some(p) => (
            match p.mode() {
                ExpiryMode::AfterRead => sw_expiry_mode::SW_EXPIRY_AFTER_READ,
                // After-send is the stricter reading of a mode this version
                // does not know.
                _ => sw_expiry_mode::SW_EXPIRY_AFTER_SEND,
            },
            p.ttl_secs(),
        ),
    };
    sw_timer {
        mode,
        ttl_secs,
        version: t.version,
    }
}

/// A timer policy from the C mode and TTL (`sw_session_set_timer`,
/// `sw_group_set_timer`): off is mode 0 with TTL 0.
pub(crate) fn timer_policy(mode: u32, ttl_secs: u32) -> Result<Option<ExpiryPolicy>> {
    match mode {
        0 if ttl_secs == 0 => Ok(None),
        0 => Err(sw_result::SW_EXPIRY_INVALID_POLICY),
        1 => Ok(Some(ExpiryPolicy::new(ExpiryMode::AfterSend, ttl_secs)?)),
        2 => Ok(Some(ExpiryPolicy::new(ExpiryMode::AfterRead, ttl_secs)?)),
        m => Err(fail(
            sw_result::SW_INVALID_ARGUMENT,
            format_args!("mode is {m}: not an sw_expiry_mode"),
        )),
    }
}

/// The C value of a content type.
pub(crate) fn content_type_to_c(content_type: ContentType) -> sw_content_type {
    match content_type {
        ContentType::UserMessage => sw_content_type::SW_CONTENT_USER_MESSAGE,
        ContentType::TimerChange => sw_content_type::SW_CONTENT_TIMER_CHANGE,
        ContentType::Receipt => sw_content_type::SW_CONTENT_RECEIPT,
        ContentType::GroupKeyDistribution => sw_content_type::SW_CONTENT_GROUP_KEY_DISTRIBUTION,
        // The core refuses content types it does not know, so this arm is
        // not reached; a receipt is the least harmful reading.
        _ => sw_content_type::SW_CONTENT_RECEIPT,
    }
}

/// The content type of a message the caller sends (or reports):
/// `SW_CONTENT_USER_MESSAGE` or `SW_CONTENT_RECEIPT`; anything else is
/// `SW_INVALID_ARGUMENT` (timer changes are `sw_session_set_timer`'s).
pub(crate) fn sendable_content_type(content_type: u32) -> Result<ContentType> {
    match content_type {
        1 => Ok(ContentType::UserMessage),
        4 => Ok(ContentType::Receipt),
        c => Err(fail(
            sw_result::SW_INVALID_ARGUMENT,
            format_args!(
                "content_type is {c}: SW_CONTENT_USER_MESSAGE (1) or SW_CONTENT_RECEIPT (4) expected"
            ),
        )),
    }
}

/// The C value of a message's expiry, its time in milliseconds, and
/// whether the body must be erased (an expiry this version does not know
/// is treated as expired, the safe side for a disappearing message). For
/// 1:1 messages and group posts alike.
pub(crate) fn expiry_to_c(expiry: MessageExpiry) -> (sw_message_expiry, u64, bool) {
    match expiry {
        MessageExpiry::Never => (sw_message_expiry::SW_MESSAGE_EXPIRY_NEVER, 0, false),
        MessageExpiry::At(t) => (
            sw_message_expiry::SW_MESSAGE_EXPIRY_AT,
            t.as_unix_millis(),
            false,
        ),
        MessageExpiry::AfterRead { ttl_ms } => (
            sw_message_expiry::SW_MESSAGE_EXPIRY_AFTER_READ,
            ttl_ms,
            false,
        ),
        _ => (sw_message_expiry::SW_MESSAGE_EXPIRY_EXPIRED, 0, true),
    }
}

/// The C fields of a timer change: whether there was one, by whom, the
/// timer before and after (both off when there was none).
pub(crate) fn timer_change_to_c(
    change: Option<TimerChange>,
) -> (bool, sw_changed_by, sw_timer, sw_timer) {
    match change {
        None => (false, sw_changed_by::SW_CHANGED_BY_US, TIMER_OFF, TIMER_OFF),
        Some(c) => (
            true,
            match c.by {
                ChangedBy::Us => sw_changed_by::SW_CHANGED_BY_US,
                _ => sw_changed_by::SW_CHANGED_BY_PEER,
            },
            timer(c.old),
            timer(c.new),
        ),
    }
}

/// Moves a body decrypted in place at `start..start + len` of `buf` to the
/// front of `buf` and zeroes everything after it (all of it, body
/// included, if `erase`): returns the length kept. A range outside `buf`
/// (never: the body lies inside the message) is `SW_INTERNAL`.
pub(crate) fn compact_body(buf: &mut [u8], start: usize, len: usize, erase: bool) -> Result<usize> {
    let end = start.checked_add(len).ok_or(sw_result::SW_INTERNAL)?;
    if buf.get(start..end).is_none() {
        return Err(sw_result::SW_INTERNAL);
    }
    buf.copy_within(start..end, 0);
    let n = if erase { 0 } else { len };
    buf.get_mut(n..).ok_or(sw_result::SW_INTERNAL)?.fill(0);
    Ok(n)
}

/// The franking evidence of a decrypted message: `kf` and `cf`.
pub(crate) type Evidence = Option<([u8; 32], [u8; 32])>;

/// The metadata of a decrypted message. The body length is returned
/// separately; `erase` tells the caller to erase the body (an expiry this
/// version does not know is treated as expired, the safe side for a
/// disappearing message).
pub(crate) fn info(
    content_type: ContentType,
    sender: &IdentityKey,
    message_number: u32,
    sent_at: Timestamp,
    expiry: MessageExpiry,
    timer_change: Option<TimerChange>,
    franking: Evidence,
) -> (sw_received_info, bool) {
    let content_type = content_type_to_c(content_type);
    let (expiry, expiry_ms, erase) = expiry_to_c(expiry);
    // An erased message keeps no evidence either (the core drops it for an
    // expired message; this covers an expiry this version does not know).
    let franking = if erase { None } else { franking };
    let (franking_key, commitment) = franking.unwrap_or(([0; 32], [0; 32]));
    let (timer_changed, timer_changed_by, timer_old, timer_new) = timer_change_to_c(timer_change);
    (
        sw_received_info {
            content_type,
            message_number,
            sent_at_ms: sent_at.as_unix_millis(),
            expiry,
            expiry_ms,
            timer_changed,
            timer_changed_by,
            timer_old,
            timer_new,
            sender: sender.to_bytes(),
            is_franked: franking.is_some(),
            franking_key,
            commitment,
        },
        erase,
    )
}

/// Starts a session with the owner of `bundle` (X3DH, then the Double
/// Ratchet; PQXDH, X3DH plus an ML-KEM-768 encapsulation, whenever the
/// bundle has a PQ prekey: there is no way to use such a bundle
/// classically). The session is pending: its messages are prekey messages
/// (about 1.1 KB longer with PQXDH) until the peer's first reply decrypts.
///
/// Ownership: `identity`, `bundle` and `rng` are borrowed. On `SW_OK`,
/// `*out_session` is a new handle the caller frees with `sw_session_free`;
/// on error it is set to NULL.
///
/// NULL: `identity`, `bundle` and `out_session` must not be NULL; `rng`
/// NULL is the OS generator.
///
/// # Safety
///
/// `identity` and `bundle` live handles; `rng` NULL or a live handle;
/// `out_session` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_initiate(
    rng: *mut sw_rng,
    identity: *const sw_identity,
    bundle: *const sw_bundle,
    out_session: *mut *mut sw_session,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_session = unsafe { out!(out_session) }?;
        clear_handle(&mut out_session);
        // SAFETY: the caller's contract.
        let identity = unsafe { identity_and_rng(identity, rng) }?;
        // SAFETY: the caller's contract.
        let bundle = unsafe { handle_ref(bundle) }?;
        // SAFETY: the caller's contract.
        let pending =
            unsafe { with_rng(rng, |r| Ok(PendingSession::initiate(r, identity, bundle)?)) }?;
        out_session.set(new_handle::<sw_session>(SessionHandle::new(
            SessionRecord::from(pending),
        )));
        Ok(())
    })
}

/// Accepts a session from a peer's prekey message (any message of the
/// initiator's first chain): runs X3DH, or PQXDH if the message carries a
/// PQ prekey's ciphertext, with the named prekeys, decrypts the message,
/// and only then uses up the one-time prekeys (classic and PQ) or, for a
/// last-resort PQ prekey, records the set-up so that a replay of the same
/// prekey message is refused (`SW_SESSION_REPLAYED_PREKEY_MESSAGE`). A
/// store that requires PQ refuses a classic prekey message
/// (`SW_SESSION_PQ_REQUIRED`); a PQ prekey the store does not hold is
/// `SW_SESSION_UNKNOWN_PQ_PREKEY`. On any error neither the store nor
/// anything else changed.
///
/// Ownership: `identity` and `message` are borrowed, `store` is borrowed
/// and updated. `plaintext` belongs to the caller and must hold at least
/// `message_len` bytes (the plaintext is never longer than its message);
/// else nothing happens, `*out_plaintext_len` receives `message_len` and the
/// result is `SW_BUFFER_TOO_SMALL`. On `SW_OK`, `*out_plaintext_len`
/// receives the plaintext's length, `*out_info` its metadata, and
/// `*out_session` a new established session the caller frees with
/// `sw_session_free`; on error `*out_session` is set to NULL. `plaintext`
/// and `message` must not overlap (`SW_INVALID_ARGUMENT`). A key
/// distribution (`SW_CONTENT_GROUP_KEY_DISTRIBUTION`) is also kept as the
/// new session's pending distribution (see `sw_session_decrypt`).
///
/// NULL: every pointer must be non-NULL, except `plaintext` with
/// `plaintext_cap` 0 (a size query).
///
/// # Safety
///
/// `identity` a live handle; `store` a live handle used by no other thread;
/// `message` valid for reads of `message_len` bytes; `plaintext` valid for
/// writes of `plaintext_cap` bytes; the `out_*` pointers valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_accept(
    identity: *const sw_identity,
    store: *mut sw_prekey_store,
    now_ms: u64,
    message: *const u8,
    message_len: usize,
    plaintext: *mut u8,
    plaintext_cap: usize,
    out_plaintext_len: *mut usize,
    out_info: *mut sw_received_info,
    out_session: *mut *mut sw_session,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_session = unsafe { out!(out_session) }?;
        clear_handle(&mut out_session);
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_plaintext_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let mut out_info = unsafe { out!(out_info) }?;
        // SAFETY: the caller's contract.
        let identity = unsafe { handle_ref(identity) }?;
        // SAFETY: the caller's contract.
        let store = unsafe { handle_mut(store) }?;
        // SAFETY: the caller's contract.
        let (message, buf) =
            unsafe { input_output!(message, message_len, plaintext, plaintext_cap) }?;
        let Some(buf) = buf.get_mut(..message.len()) else {
            written.set(message.len());
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        };
        let (session, received) = Session::accept(
            identity,
            store,
            Timestamp::from_unix_millis(now_ms),
            message,
        )?;
        let (meta, erase) = received_info(&received);
        let len = deliver(buf, &received.plaintext, erase)?;
        written.set(len);
        out_info.set(meta);
        let mut handle = SessionHandle::new(SessionRecord::from(session));
        handle.keep_distribution(distribution_of(received.content_type, || received), erase);
        out_session.set(new_handle::<sw_session>(handle));
        Ok(())
    })
}

/// The metadata of a decrypted message (see [`info`]).
pub(crate) fn received_info(r: &Received) -> (sw_received_info, bool) {
    info(
        r.content_type,
        &r.sender,
        r.message_number,
        r.sent_at,
        r.expiry,
        r.timer_change,
        r.franking
            .as_ref()
            .map(|f| (*f.key().as_bytes(), *f.commitment())),
    )
}

/// The caller's buffers of a decrypt export: the message, the plaintext
/// buffer and the two outputs.
pub(crate) struct DecryptBuffers {
    pub(crate) message: *const u8,
    pub(crate) message_len: usize,
    pub(crate) plaintext: *mut u8,
    pub(crate) plaintext_cap: usize,
    pub(crate) out_plaintext_len: *mut usize,
    pub(crate) out_info: *mut sw_received_info,
}

/// The shared body of the exports that decrypt one message into the
/// caller's buffer (`sw_session_decrypt`, `sw_device_sessions_decrypt`):
/// clears the outputs, checks the buffers (no overlap; `plaintext` at
/// least `message_len` bytes, else `SW_BUFFER_TOO_SMALL` with that length),
/// runs `decrypt` on the message and the first `message_len` bytes of
/// `plaintext`, which returns the plaintext's length (its bytes at the
/// front of the buffer, the rest zeroed) and metadata; on error the buffer
/// is zeroed.
///
/// # Safety
///
/// `message` valid for reads of `message_len` bytes; `plaintext` valid for
/// writes of `plaintext_cap` bytes; `out_plaintext_len` and `out_info`
/// valid for one write.
pub(crate) unsafe fn decrypt_export(
    b: DecryptBuffers,
    decrypt: impl FnOnce(&[u8], &mut [u8]) -> Result<(usize, sw_received_info)>,
) -> sw_result {
    let DecryptBuffers {
        message,
        message_len,
        plaintext,
        plaintext_cap,
        out_plaintext_len,
        out_info,
    } = b;
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_plaintext_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let mut out_info = unsafe { out!(out_info) }?;
        // SAFETY: the caller's contract.
        let (message, buf) =
            unsafe { input_output!(message, message_len, plaintext, plaintext_cap) }?;
        let have = buf.len();
        let Some(buf) = buf.get_mut(..message.len()) else {
            written.set(message.len());
            return Err(too_small(have, message.len()));
        };
        match decrypt(message, buf) {
            Ok((n, meta)) => {
                written.set(n);
                out_info.set(meta);
                Ok(())
            }
            Err(e) => {
                buf.fill(0);
                Err(e)
            }
        }
    })
}

/// Decrypts into the caller's buffer, which must hold `needed` bytes (else
/// `SW_BUFFER_TOO_SMALL` with `needed` stored and nothing decrypted): the
/// body at its front, the rest of the `needed` bytes zeroed, its length
/// and metadata stored.
pub(crate) fn decrypt_into(
    buf: &mut [u8],
    needed: usize,
    written: &mut Out<'_, usize>,
    out_info: &mut Out<'_, sw_received_info>,
    decrypt: impl FnOnce() -> Result<Received>,
) -> Result<()> {
    let have = buf.len();
    let Some(buf) = buf.get_mut(..needed) else {
        written.set(needed);
        return Err(too_small(have, needed));
    };
    let (n, meta) = deliver_received(buf, &decrypt()?)?;
    written.set(n);
    out_info.set(meta);
    Ok(())
}

/// Delivers a decrypted (owned) message into `buf` (as long as the
/// message): the body at its front, the rest zeroed; its length and
/// metadata.
pub(crate) fn deliver_received(buf: &mut [u8], r: &Received) -> Result<(usize, sw_received_info)> {
    let (meta, erase) = received_info(r);
    Ok((deliver(buf, &r.plaintext, erase)?, meta))
}

/// Copies a decrypted body to the front of `buf` (the whole `buf` is at
/// least as long as the message) and zeroes the rest; returns the length.
pub(crate) fn deliver(buf: &mut [u8], body: &[u8], erase: bool) -> Result<usize> {
    if erase {
        buf.fill(0);
        return Ok(0);
    }
    let (head, tail) = buf
        .split_at_mut_checked(body.len())
        .ok_or(sw_result::SW_INTERNAL)?;
    head.copy_from_slice(body);
    tail.fill(0);
    Ok(body.len())
}

/// Stores whether the session is established (has decrypted the peer's
/// first reply, or was accepted).
///
/// NULL: `session` and `out_established` must not be NULL.
///
/// # Safety
///
/// `session` a live handle; `out_established` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_is_established(
    session: *const sw_session,
    out_established: *mut bool,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut established = unsafe { out!(out_established) }?;
        established.set(false);
        // SAFETY: the caller's contract.
        let session = unsafe { handle_ref(session) }?;
        established.set(session.record.is_established());
        Ok(())
    })
}

/// Stores whether the session's key agreement was post-quantum (PQXDH, an
/// ML-KEM-768 encapsulation besides X3DH), as far as the session records
/// it (`sw_session_key_agreement` gives the same answer as one value):
///
/// - pending and established sessions made or loaded by this version know:
///   `*out_known` true, `*out_post_quantum` true for PQXDH, false for X3DH;
/// - an initiator's established session loaded from an older state blob
///   (v2) that did not record it: `*out_known` false, `*out_post_quantum`
///   false.
///
/// NULL: `session`, `out_known` and `out_post_quantum` must not be NULL.
///
/// Thread-safety: reads `session`; no other thread may change it meanwhile.
///
/// # Safety
///
/// `session` a live handle; `out_known` and `out_post_quantum` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_is_post_quantum(
    session: *const sw_session,
    out_known: *mut bool,
    out_post_quantum: *mut bool,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut known = unsafe { out!(out_known) }?;
        known.set(false);
        // SAFETY: the caller's contract.
        let mut post_quantum = unsafe { out!(out_post_quantum) }?;
        post_quantum.set(false);
        // SAFETY: the caller's contract.
        let session = unsafe { handle_ref(session) }?;
        match key_agreement(session.record.key_agreement())? {
            sw_key_agreement::SW_KEY_AGREEMENT_UNRECORDED => {}
            k => {
                known.set(true);
                post_quantum.set(k == sw_key_agreement::SW_KEY_AGREEMENT_PQXDH);
            }
        }
        Ok(())
    })
}

/// The C value of a key agreement.
fn key_agreement(k: KeyAgreement) -> Result<sw_key_agreement> {
    Ok(match k {
        KeyAgreement::X3dh => sw_key_agreement::SW_KEY_AGREEMENT_X3DH,
        KeyAgreement::Pqxdh => sw_key_agreement::SW_KEY_AGREEMENT_PQXDH,
        KeyAgreement::Unrecorded => sw_key_agreement::SW_KEY_AGREEMENT_UNRECORDED,
        _ => return Err(sw_result::SW_UNKNOWN_ERROR),
    })
}

/// Stores the key agreement that set the session up, in either phase and
/// on both sides: `SW_KEY_AGREEMENT_PQXDH` (post-quantum) or
/// `SW_KEY_AGREEMENT_X3DH` (classic) for every session made by
/// `sw_session_initiate` or `sw_session_accept` (kept when a pending
/// session becomes established, and saved with it);
/// `SW_KEY_AGREEMENT_UNRECORDED` only for an initiator's established
/// session loaded from an older state blob (v2) that did not record it.
/// Show it to the user; warn when it is not PQXDH.
///
/// On error `*out_key_agreement` is `SW_KEY_AGREEMENT_UNRECORDED`.
///
/// NULL: `session` and `out_key_agreement` must not be NULL.
///
/// Thread-safety: reads `session`; no other thread may change it meanwhile.
///
/// # Safety
///
/// `session` a live handle; `out_key_agreement` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_key_agreement(
    session: *const sw_session,
    out_key_agreement: *mut sw_key_agreement,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_key_agreement = unsafe { out!(out_key_agreement) }?;
        out_key_agreement.set(sw_key_agreement::SW_KEY_AGREEMENT_UNRECORDED);
        // SAFETY: the caller's contract.
        let session = unsafe { handle_ref(session) }?;
        out_key_agreement.set(key_agreement(session.record.key_agreement())?);
        Ok(())
    })
}

/// Writes the peer's 32-byte public identity key (compare it with the key
/// you expect, or show a safety number).
///
/// Ownership: `buf` belongs to the caller; `*out_len` receives 32, the
/// length written or needed.
///
/// NULL: `session` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query).
///
/// # Safety
///
/// `session` a live handle; `buf` valid for writes of `buf_len` bytes;
/// `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_their_identity(
    session: *const sw_session,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let session = unsafe { handle_ref(session) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        write_bytes(
            buf,
            &mut written,
            session.record.their_identity().as_bytes(),
        )
    })
}

/// Stores the length of the message `sw_session_encrypt` writes for a body
/// of `body_len` bytes (the size query for its output buffer).
///
/// NULL: `session` and `out_len` must not be NULL.
///
/// # Safety
///
/// `session` a live handle; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_encrypted_len(
    session: *const sw_session,
    body_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut len = unsafe { out!(out_len) }?;
        len.set(0);
        // SAFETY: the caller's contract.
        let session = unsafe { handle_ref(session) }?;
        len.set(session.record.encrypted_len(body_len, false));
        Ok(())
    })
}

/// Encrypts `body` (at most `SW_MAX_BODY_LEN` bytes, else
/// `SW_SESSION_MESSAGE_TOO_LARGE`) into a message for the peer. `content_type` is
/// `SW_CONTENT_USER_MESSAGE` or `SW_CONTENT_RECEIPT` (anything else:
/// `SW_INVALID_ARGUMENT`; timer changes are `sw_session_set_timer`'s).
/// `now_ms` is the current time in Unix milliseconds.
///
/// Ownership: `body` is borrowed; `buf` belongs to the caller and needs
/// `sw_session_encrypted_len(body_len)` bytes: if shorter, nothing changes,
/// `*out_len` receives that length and the result is `SW_BUFFER_TOO_SMALL`.
/// On `SW_OK`, `*out_len` receives the message's length. `body` and `buf`
/// must not overlap (`SW_INVALID_ARGUMENT`).
///
/// NULL: `session` and `out_len` must not be NULL; `body` may be NULL only
/// with `body_len` 0, `buf` only with `buf_len` 0; `rng` NULL is the OS
/// generator.
///
/// # Safety
///
/// `session` a live handle used by no other thread; `rng` NULL or a live
/// handle; `body` valid for reads of `body_len` bytes; `buf` valid for
/// writes of `buf_len` bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_encrypt(
    rng: *mut sw_rng,
    session: *mut sw_session,
    now_ms: u64,
    content_type: u32,
    body: *const u8,
    body_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        encrypt(
            session,
            rng,
            now_ms,
            content_type,
            body,
            body_len,
            buf,
            buf_len,
            out_len,
            false,
        )
    }
}

/// Stores the length of the message `sw_session_encrypt_franked` writes for
/// a body of `body_len` bytes (the size query for its output buffer; 64
/// bytes more than `sw_session_encrypted_len`: the franking key inside the
/// encryption, the commitment beside it).
///
/// NULL: `session` and `out_len` must not be NULL.
///
/// Thread-safety: reads `session`; no other thread may change it meanwhile.
///
/// # Safety
///
/// `session` a live handle; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_franked_encrypted_len(
    session: *const sw_session,
    body_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut len = unsafe { out!(out_len) }?;
        len.set(0);
        // SAFETY: the caller's contract.
        let session = unsafe { handle_ref(session) }?;
        len.set(session.record.encrypted_len(body_len, true));
        Ok(())
    })
}

/// Encrypts a **franked** message (SPEC.md §19), reportable to the relay:
/// as `sw_session_encrypt`, and besides draws a fresh franking key, commits
/// to the body, content type, both identity keys and the send time, and
/// sends the commitment beside the ciphertext (the relay stamps it,
/// `sw_relay_stamp_message`). The recipient gets the evidence in
/// `sw_received_info` (`is_franked`, `franking_key`, `commitment`) and can
/// report the message with `sw_report_from_received`. Franking trades the message's
/// deniability towards the relay for reportability; unfranked messages
/// (`sw_session_encrypt`) keep it.
///
/// `content_type` is `SW_CONTENT_USER_MESSAGE` or `SW_CONTENT_RECEIPT`
/// (anything else: `SW_INVALID_ARGUMENT`); `body` at most
/// `SW_MAX_BODY_LEN` bytes (else `SW_SESSION_MESSAGE_TOO_LARGE`); `now_ms`
/// the current time in Unix milliseconds.
///
/// Ownership: `body` is borrowed; `buf` belongs to the caller and needs
/// `sw_session_franked_encrypted_len(body_len)` bytes: if shorter, nothing
/// changes, `*out_len` receives that length and the result is
/// `SW_BUFFER_TOO_SMALL`. On `SW_OK`, `*out_len` receives the message's
/// length. `body` and `buf` must not overlap (`SW_INVALID_ARGUMENT`).
///
/// NULL: `session` and `out_len` must not be NULL; `body` may be NULL only
/// with `body_len` 0, `buf` only with `buf_len` 0; `rng` NULL is the OS
/// generator.
///
/// Thread-safety: changes `session`: one thread at a time.
///
/// # Safety
///
/// `session` a live handle used by no other thread; `rng` NULL or a live
/// handle; `body` valid for reads of `body_len` bytes; `buf` valid for
/// writes of `buf_len` bytes; `out_len` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_encrypt_franked(
    rng: *mut sw_rng,
    session: *mut sw_session,
    now_ms: u64,
    content_type: u32,
    body: *const u8,
    body_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        encrypt(
            session,
            rng,
            now_ms,
            content_type,
            body,
            body_len,
            buf,
            buf_len,
            out_len,
            true,
        )
    }
}

/// Decrypts a message from the peer. A pending session becomes established
/// when the peer's first reply decrypts. On any error the session is
/// unchanged (a forgery, a replay, a message of another session: nothing
/// changes). `now_ms` is the current time in Unix milliseconds; the
/// message's expiry is computed from it.
///
/// Ownership: `message` is borrowed. `plaintext` belongs to the caller and
/// must hold at least `message_len` bytes (the plaintext is never longer
/// than its message): else nothing happens, `*out_plaintext_len` receives
/// `message_len` and the result is `SW_BUFFER_TOO_SMALL`. On `SW_OK`,
/// `*out_plaintext_len` receives the plaintext's length (0 for a message
/// that arrived expired) and `*out_info` its metadata; the rest of
/// `plaintext`, up to `message_len`, is zeroed. On error `plaintext` holds
/// no plaintext. `message` and `plaintext` must not overlap
/// (`SW_INVALID_ARGUMENT`).
///
/// A key distribution (`SW_CONTENT_GROUP_KEY_DISTRIBUTION`): the body is
/// written out as any other (route it with `sw_distribution_group_id`) and
/// the message is also kept in the session as its pending distribution,
/// replacing any earlier one, for `sw_group_accept_distribution` or
/// `sw_channel_subscriber_accept_distribution` to take; one that arrived
/// expired (body erased) leaves none. Any other message leaves the pending
/// distribution as it was; so does an error.
///
/// NULL: `session`, `out_plaintext_len` and `out_info` must not be NULL;
/// `message` may be NULL only with `message_len` 0, `plaintext` only with
/// `plaintext_cap` 0 (a size query).
///
/// # Safety
///
/// `session` a live handle used by no other thread; `message` valid for
/// reads of `message_len` bytes; `plaintext` valid for writes of
/// `plaintext_cap` bytes; `out_plaintext_len` and `out_info` valid for one
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_decrypt(
    session: *mut sw_session,
    now_ms: u64,
    message: *const u8,
    message_len: usize,
    plaintext: *mut u8,
    plaintext_cap: usize,
    out_plaintext_len: *mut usize,
    out_info: *mut sw_received_info,
) -> sw_result {
    let buffers = DecryptBuffers {
        message,
        message_len,
        plaintext,
        plaintext_cap,
        out_plaintext_len,
        out_info,
    };
    let decrypt = |message: &[u8], buf: &mut [u8]| {
        // SAFETY: the caller's contract.
        let session = unsafe { handle_mut(session) }?;
        decrypt(session, Timestamp::from_unix_millis(now_ms), message, buf)
    };
    // SAFETY: the caller's contract, passed on.
    unsafe { decrypt_export(buffers, decrypt) }
}

/// Decrypts `message` into `buf` (as long as the message); returns the
/// plaintext length and metadata. A key distribution is also kept in the
/// handle.
fn decrypt(
    session: &mut SessionHandle,
    now: Timestamp,
    message: &[u8],
    buf: &mut [u8],
) -> Result<(usize, sw_received_info)> {
    match &mut session.record {
        SessionRecord::Established(s) => {
            // The caller-buffer path: no allocation (but for the copy of a
            // key distribution kept in the handle).
            buf.copy_from_slice(message);
            let base = buf.as_ptr().addr();
            let (meta, erase, start, len, distribution) = {
                let r = s.decrypt_in_place(now, buf)?;
                // The body is a part of `buf`, or empty (an expired
                // message's need not point into `buf`).
                let start = if r.body.is_empty() {
                    0
                } else {
                    r.body
                        .as_ptr()
                        .addr()
                        .checked_sub(base)
                        .ok_or(sw_result::SW_INTERNAL)?
                };
                let (meta, erase) = info(
                    r.content_type,
                    &r.sender,
                    r.message_number,
                    r.sent_at,
                    r.expiry,
                    r.timer_change,
                    r.franking.map(|f| (*f.key, *f.commitment)),
                );
                let distribution = distribution_of(r.content_type, || r.to_owned());
                (meta, erase, start, r.body.len(), distribution)
            };
            let n = compact_body(buf, start, len, erase)?;
            session.keep_distribution(distribution, erase);
            Ok((n, meta))
        }
        other => {
            let r = other.decrypt(now, message)?;
            let (meta, erase) = received_info(&r);
            let n = deliver(buf, &r.plaintext, erase)?;
            session.keep_distribution(distribution_of(r.content_type, || r), erase);
            Ok((n, meta))
        }
    }
}

/// Stores the conversation's disappearing-message timer.
///
/// NULL: `session` and `out_timer` must not be NULL.
///
/// # Safety
///
/// `session` a live handle; `out_timer` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_timer(
    session: *const sw_session,
    out_timer: *mut sw_timer,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut out_timer = unsafe { out!(out_timer) }?;
        out_timer.set(TIMER_OFF);
        // SAFETY: the caller's contract.
        let session = unsafe { handle_ref(session) }?;
        out_timer.set(timer(session.record.timer()));
        Ok(())
    })
}

/// Changes the conversation's disappearing-message timer and writes the
/// timer-change message to send to the peer. `mode` is an `sw_expiry_mode`:
/// `SW_EXPIRY_OFF` (with `ttl_secs` 0) stops messages disappearing;
/// `SW_EXPIRY_AFTER_SEND` or `SW_EXPIRY_AFTER_READ` with `ttl_secs` from 1
/// to 31,536,000 (365 days) sets a timer (else `SW_EXPIRY_INVALID_POLICY`;
/// an unknown mode is `SW_INVALID_ARGUMENT`).
///
/// Ownership: `buf` belongs to the caller. If it is too short, nothing
/// changes, `*out_len` receives the length needed and the result is
/// `SW_BUFFER_TOO_SMALL`. On `SW_OK`, `*out_len` receives the message's
/// length and `sw_session_timer` reports the new timer.
///
/// NULL: `session` and `out_len` must not be NULL; `buf` may be NULL only
/// with `buf_len` 0 (a size query); `rng` NULL is the OS generator.
///
/// # Safety
///
/// `session` a live handle used by no other thread; `rng` NULL or a live
/// handle; `buf` valid for writes of `buf_len` bytes; `out_len` valid for
/// one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_set_timer(
    rng: *mut sw_rng,
    session: *mut sw_session,
    now_ms: u64,
    mode: u32,
    ttl_secs: u32,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let session = unsafe { handle_mut(session) }?;
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let buf = unsafe { output!(buf, buf_len) }?;
        let policy = timer_policy(mode, ttl_secs)?;
        // The message's length is known only once it is made: make it on a
        // copy, and keep the copy only if the message fits.
        let mut next = session.record.clone();
        let now = Timestamp::from_unix_millis(now_ms);
        // SAFETY: the caller's contract.
        let (message, _change) = unsafe { with_rng(rng, |r| Ok(next.set_timer(r, now, policy)?)) }?;
        write_bytes(buf, &mut written, &message)?;
        session.record = next;
        Ok(())
    })
}

/// Stores when the next skipped message key is due to be erased:
/// `*out_present` false if none is held; else call
/// `sw_session_erase_expired_keys` at `*out_ms` (Unix ms).
///
/// NULL: `session`, `out_present` and `out_ms` must not be NULL.
///
/// # Safety
///
/// `session` a live handle; `out_present` and `out_ms` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_next_key_erasure(
    session: *const sw_session,
    out_present: *mut bool,
    out_ms: *mut u64,
) -> sw_result {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        get_optional(
            session,
            named!(out_present),
            named!(out_ms),
            |s: &SessionHandle| s.record.next_key_erasure().map(|t| t.as_unix_millis()),
        )
    }
}

/// Erases the skipped message keys whose retention has run out at `now_ms`
/// (also done on every successful decrypt).
///
/// NULL: `session` must not be NULL.
///
/// # Safety
///
/// `session` a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_erase_expired_keys(
    session: *mut sw_session,
    now_ms: u64,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let session = unsafe { handle_mut(session) }?;
        session
            .record
            .erase_expired_keys(Timestamp::from_unix_millis(now_ms));
        Ok(())
    })
}

/// Stores how many skipped message keys the session holds (0 while
/// pending).
///
/// NULL: `session` and `out_count` must not be NULL.
///
/// # Safety
///
/// `session` a live handle; `out_count` valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_skipped_key_count(
    session: *const sw_session,
    out_count: *mut usize,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut count = unsafe { out!(out_count) }?;
        count.set(0);
        // SAFETY: the caller's contract.
        let session = unsafe { handle_ref(session) }?;
        if let SessionRecord::Established(s) = &session.record {
            count.set(s.skipped_key_count());
        }
        Ok(())
    })
}

/// Sets how long skipped message keys may be kept at most (default 30
/// days), erasing those already older at `now_ms`. Established sessions
/// only (`SW_SESSION_NOT_ESTABLISHED`).
///
/// NULL: `session` must not be NULL.
///
/// # Safety
///
/// `session` a live handle used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_set_max_skipped_key_age(
    session: *mut sw_session,
    now_ms: u64,
    max_age_ms: u64,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let session = unsafe { handle_mut(session) }?;
        match &mut session.record {
            SessionRecord::Established(s) => {
                s.set_max_skipped_key_age(Timestamp::from_unix_millis(now_ms), max_age_ms);
                Ok(())
            }
            _ => Err(sw_result::SW_SESSION_NOT_ESTABLISHED),
        }
    })
}

/// Frees a session, zeroing its keys and its pending distribution. NULL is
/// a no-op.
///
/// # Safety
///
/// `session` must be NULL or a live `sw_session` not used again afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sw_session_free(session: *mut sw_session) {
    // SAFETY: the caller's contract.
    guard_void(|| unsafe { free_handle(session) });
}

/// The body of `sw_session_encrypt` and `sw_session_encrypt_franked`.
///
/// # Safety
///
/// As `sw_session_encrypt`.
#[allow(clippy::too_many_arguments)]
unsafe fn encrypt(
    session: *mut sw_session,
    rng: *mut sw_rng,
    now_ms: u64,
    content_type: u32,
    body: *const u8,
    body_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
    franked: bool,
) -> sw_result {
    guard(|| {
        // SAFETY: the caller's contract.
        let mut written = unsafe { out!(out_len) }?;
        written.set(0);
        // SAFETY: the caller's contract.
        let session = unsafe { handle_mut(session) }?;
        // SAFETY: the caller's contract.
        unsafe { check_rng(rng) }?;
        // SAFETY: the caller's contract.
        let (body, buf) = unsafe { input_output!(body, body_len, buf, buf_len) }?;
        let content_type = sendable_content_type(content_type)?;
        if body.len() > MAX_BODY_LEN {
            return Err(sw_result::SW_SESSION_MESSAGE_TOO_LARGE);
        }
        let msg = Outgoing::new(content_type, body);
        let msg = if franked { msg.franked() } else { msg };
        let needed = session.record.encrypted_len(body.len(), franked);
        let Some(buf) = buf.get_mut(..needed) else {
            written.set(needed);
            return Err(sw_result::SW_BUFFER_TOO_SMALL);
        };
        let now = Timestamp::from_unix_millis(now_ms);
        // SAFETY: the caller's contract.
        let n = unsafe {
            with_rng(rng, |r| {
                Ok(session.record.encrypt_into(r, now, msg, buf)?.len)
            })
        }?;
        written.set(n);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sealwire::testing::DangerDeterministicRng;
    use sealwire::{IdentityKeyPair, PrekeyStore};

    const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);

    fn policy(mode: ExpiryMode, ttl_secs: u32) -> Option<ExpiryPolicy> {
        Some(ExpiryPolicy::new(mode, ttl_secs).unwrap())
    }

    #[test]
    fn timers_and_content_types_map_to_their_c_values() {
        let t = |policy, version| timer(ConversationTimer { policy, version });
        assert_eq!(
            t(None, 3),
            sw_timer {
                version: 3,
                ..TIMER_OFF
            }
        );
        let after_read = t(policy(ExpiryMode::AfterRead, 60), 4);
        assert_eq!(
            (after_read.mode, after_read.ttl_secs, after_read.version),
            (sw_expiry_mode::SW_EXPIRY_AFTER_READ, 60, 4)
        );
        let after_send = t(policy(ExpiryMode::AfterSend, 30), 5);
        assert_eq!(
            (after_send.mode, after_send.ttl_secs, after_send.version),
            (sw_expiry_mode::SW_EXPIRY_AFTER_SEND, 30, 5)
        );
        for (core, c) in [
            (
                ContentType::UserMessage,
                sw_content_type::SW_CONTENT_USER_MESSAGE,
            ),
            (
                ContentType::TimerChange,
                sw_content_type::SW_CONTENT_TIMER_CHANGE,
            ),
            (ContentType::Receipt, sw_content_type::SW_CONTENT_RECEIPT),
            (
                ContentType::GroupKeyDistribution,
                sw_content_type::SW_CONTENT_GROUP_KEY_DISTRIBUTION,
            ),
        ] {
            assert_eq!(content_type_to_c(core), c);
        }
        for (core, c) in [
            (KeyAgreement::X3dh, sw_key_agreement::SW_KEY_AGREEMENT_X3DH),
            (
                KeyAgreement::Pqxdh,
                sw_key_agreement::SW_KEY_AGREEMENT_PQXDH,
            ),
            (
                KeyAgreement::Unrecorded,
                sw_key_agreement::SW_KEY_AGREEMENT_UNRECORDED,
            ),
        ] {
            assert_eq!(key_agreement(core), Ok(c));
        }
    }

    #[test]
    fn timer_policies_from_their_c_mode_and_ttl() {
        assert_eq!(timer_policy(0, 0), Ok(None));
        assert_eq!(timer_policy(0, 5), Err(sw_result::SW_EXPIRY_INVALID_POLICY));
        assert_eq!(timer_policy(1, 60), Ok(policy(ExpiryMode::AfterSend, 60)));
        assert_eq!(timer_policy(2, 60), Ok(policy(ExpiryMode::AfterRead, 60)));
        assert_eq!(timer_policy(2, 0), Err(sw_result::SW_EXPIRY_INVALID_POLICY));
        assert_eq!(timer_policy(3, 60), Err(sw_result::SW_INVALID_ARGUMENT));
    }

    #[test]
    fn a_body_is_moved_to_the_front_and_the_rest_zeroed() {
        let mut buf = *b"xxBODYyyyy";
        assert_eq!(compact_body(&mut buf, 2, 4, false), Ok(4));
        assert_eq!(&buf, b"BODY\0\0\0\0\0\0");
        let mut buf = *b"xxBODYyyyy";
        assert_eq!(compact_body(&mut buf, 2, 4, true), Ok(0));
        assert_eq!(buf, [0; 10]);
        let mut buf = *b"xxBODYyyyy";
        assert_eq!(compact_body(&mut buf, 6, 4, false), Ok(4), "up to the end");
        assert_eq!(&buf, b"yyyy\0\0\0\0\0\0");
        let mut buf = *b"xxBODYyyyy";
        assert_eq!(
            compact_body(&mut buf, 6, 5, false),
            Err(sw_result::SW_INTERNAL)
        );
        assert_eq!(&buf, b"xxBODYyyyy", "nothing moved");
        assert_eq!(
            compact_body(&mut buf, usize::MAX, 1, false),
            Err(sw_result::SW_INTERNAL)
        );
    }

    /// The received-message metadata: each expiry to its C value (an
    /// expired message erased, without evidence), each timer change with
    /// who made it.
    #[test]
    fn received_info_maps_expiry_and_timer_changes() {
        let mut rng = DangerDeterministicRng::from_u64(3);
        let alice = IdentityKeyPair::from_seed(&[1; 32]);
        let bob = IdentityKeyPair::from_seed(&[2; 32]);
        let store = PrekeyStore::new(&bob, &mut rng);
        let bundle = store.bundle(&bob, None).unwrap();
        let mut pending = PendingSession::initiate(&mut rng, &alice, &bundle).unwrap();
        let (_, ours) = pending
            .set_timer(&mut rng, T0, policy(ExpiryMode::AfterSend, 60))
            .unwrap();
        assert_eq!(ours.by, ChangedBy::Us);
        let sender = alice.public();
        let evidence = Some(([7; 32], [9; 32]));
        let at = Timestamp::from_unix_millis(T0.as_unix_millis() + 60_000);
        let cases = [
            (
                MessageExpiry::Never,
                sw_message_expiry::SW_MESSAGE_EXPIRY_NEVER,
                0,
                false,
            ),
            (
                MessageExpiry::At(at),
                sw_message_expiry::SW_MESSAGE_EXPIRY_AT,
                at.as_unix_millis(),
                false,
            ),
            (
                MessageExpiry::AfterRead { ttl_ms: 5_000 },
                sw_message_expiry::SW_MESSAGE_EXPIRY_AFTER_READ,
                5_000,
                false,
            ),
            (
                MessageExpiry::Expired,
                sw_message_expiry::SW_MESSAGE_EXPIRY_EXPIRED,
                0,
                true,
            ),
        ];
        for (expiry, c, ms, erased) in cases {
            let (meta, erase) = info(
                ContentType::UserMessage,
                sender,
                7,
                T0,
                expiry,
                Some(ours),
                evidence,
            );
            assert_eq!(erase, erased, "{expiry:?}");
            assert_eq!((meta.expiry, meta.expiry_ms), (c, ms), "{expiry:?}");
            assert_eq!(meta.is_franked, !erased, "{expiry:?}");
            let key = if erased { [0; 32] } else { [7; 32] };
            assert_eq!(meta.franking_key, key, "{expiry:?}");
            assert_eq!(
                (meta.message_number, meta.sent_at_ms, meta.sender),
                (7, T0.as_unix_millis(), sender.to_bytes())
            );
            assert!(meta.timer_changed);
            assert_eq!(meta.timer_changed_by, sw_changed_by::SW_CHANGED_BY_US);
            assert_eq!(meta.timer_new, timer(ours.new));
        }
        // The peer's change, as Bob receives it.
        let (message, _) = pending
            .set_timer(&mut rng, T0, policy(ExpiryMode::AfterRead, 30))
            .unwrap();
        let mut store = store;
        let (_, received) = Session::accept(&bob, &mut store, T0, &message).unwrap();
        let (meta, _) = received_info(&received);
        assert_eq!(meta.content_type, sw_content_type::SW_CONTENT_TIMER_CHANGE);
        assert!(meta.timer_changed);
        assert_eq!(meta.timer_changed_by, sw_changed_by::SW_CHANGED_BY_PEER);
        assert_eq!(meta.timer_new.mode, sw_expiry_mode::SW_EXPIRY_AFTER_READ);
    }
}
