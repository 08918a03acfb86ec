//! Result codes: every function returns one (or nothing, for `_free`).

use core::ffi::{CStr, c_char};

use sealwire::devices::DeviceError;
use sealwire::expiry::InvalidPolicy;
use sealwire::franking::{AttachmentError, ReportError};
use sealwire::group::GroupError;
use sealwire::sealed::SealedError;
use sealwire::{BundleError, DecodeError, SafetyNumberError, SessionError, expiry::ExpiryError};

/// The result of a sealwire call. `SW_OK` (0) is success; every other value
/// is an error, described by `sw_result_message`.
///
/// The numbers are stable: a code keeps its number and meaning in every
/// later version, new codes get new numbers, and a retired code's number is
/// never reused. Codes are grouped by area: 1-99 the C boundary, 100-199
/// malformed input (`DecodeError`, also inside a malformed message, bundle
/// or queue), 200-299 sessions (`SessionError`), 300-399 bundles and
/// prekeys, 400-499 the expiry queue and timers, 500-599 safety numbers,
/// 600-699 saved state, 700-799 message franking (reports, the relay's
/// stamp, attachments), 800-899 groups and channels (`GroupError`), 900-999
/// device lists, multi-device sends and recovery requests (`DeviceError`),
/// 1000-1099 sealed sender (`SealedError`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum sw_result {
    /// Success.
    SW_OK = 0,
    /// A required pointer argument was NULL (or a buffer pointer was NULL
    /// with a non-zero length).
    SW_NULL_POINTER = 1,
    /// An output buffer is too short; the call changed nothing and stored
    /// the length needed in its `out_len`/`out_count` parameter.
    SW_BUFFER_TOO_SMALL = 2,
    /// An argument is out of range: a wrong key or seed length, an unknown
    /// enumeration value, overlapping input and output buffers, a misaligned
    /// output pointer, a length larger than any buffer can be.
    SW_INVALID_ARGUMENT = 3,
    /// A handle is not a live handle of the expected type (a handle of
    /// another type, or a misaligned pointer).
    SW_INVALID_HANDLE = 4,
    /// The library panicked; the panic was caught at the boundary. Discard
    /// the handles the call was given.
    SW_PANIC = 5,
    /// An internal invariant failed (a bug in sealwire).
    SW_INTERNAL = 6,
    /// An error of the Rust library that this version of the C API has no
    /// code for.
    SW_UNKNOWN_ERROR = 7,

    /// Malformed input: it ended before the structure was complete.
    SW_DECODE_TRUNCATED = 100,
    /// Malformed input: bytes were left over after the structure.
    SW_DECODE_TRAILING_BYTES = 101,
    /// Malformed input: a version this library does not speak.
    SW_DECODE_UNSUPPORTED_VERSION = 102,
    /// Malformed input: an unexpected or unknown type byte.
    SW_DECODE_UNEXPECTED_TYPE = 103,
    /// Malformed input: an undefined flag bit is set.
    SW_DECODE_UNKNOWN_FLAGS = 104,
    /// Malformed input: a field is out of its range.
    SW_DECODE_INVALID_VALUE = 105,
    /// Malformed input: a public key is not a valid encoding.
    SW_DECODE_INVALID_KEY = 106,
    /// Malformed input: longer than the maximum for its type.
    SW_DECODE_TOO_LARGE = 107,

    /// The message failed authentication (one code for every failure that
    /// depends on key material: a wrong tag, a forgery, another session's
    /// message). The session is unchanged.
    SW_SESSION_AUTHENTICATION_FAILED = 200,
    /// A peer's X25519 public key is of low order.
    SW_SESSION_WEAK_PUBLIC_KEY = 201,
    /// A duplicate or replayed message, or one whose key is no longer held.
    SW_SESSION_DUPLICATE_MESSAGE = 202,
    /// The message would need too many message keys to be skipped.
    SW_SESSION_TOO_MANY_SKIPPED = 203,
    /// A message counter would overflow: the chain is exhausted.
    SW_SESSION_COUNTER_OVERFLOW = 204,
    /// The body is longer than the maximum (1 MiB).
    SW_SESSION_MESSAGE_TOO_LARGE = 205,
    /// The prekey message names a signed prekey the store does not hold.
    SW_SESSION_UNKNOWN_SIGNED_PREKEY = 206,
    /// The prekey message names a one-time prekey the store does not hold
    /// (never issued, or already used).
    SW_SESSION_UNKNOWN_ONE_TIME_PREKEY = 207,
    /// A prekey message of another session: accept it with
    /// `sw_session_accept`.
    SW_SESSION_MISMATCH = 208,
    /// A message type this session cannot handle in its phase.
    SW_SESSION_UNEXPECTED_MESSAGE = 209,
    /// The message uses a feature this version does not implement.
    SW_SESSION_UNSUPPORTED_FEATURE = 210,
    /// The message's disappearing-message policy is malformed.
    SW_SESSION_INVALID_POLICY = 211,
    /// The key of this late message was erased on schedule.
    SW_SESSION_MESSAGE_KEY_ERASED = 212,
    /// The call needs an established session (one that has decrypted the
    /// peer's first reply).
    SW_SESSION_NOT_ESTABLISHED = 213,
    /// The prekey store requires post-quantum key agreement
    /// (`sw_prekey_store_set_require_pq`) and the prekey message is classic
    /// (X3DH, no PQ prekey). Refused before any secret is used; nothing
    /// changed.
    SW_SESSION_PQ_REQUIRED = 214,
    /// The prekey message names a PQ prekey the store does not hold (never
    /// issued, a one-time PQ prekey already used, or a last-resort PQ
    /// prekey rotated out).
    SW_SESSION_UNKNOWN_PQ_PREKEY = 215,
    /// A second session from the same prekey message against a last-resort
    /// PQ prekey (same PQ prekey, signed prekey and base key): a replay.
    SW_SESSION_REPLAYED_PREKEY_MESSAGE = 216,
    /// No session with this peer device takes the message
    /// (`sw_device_sessions_decrypt`): none is held, or none of the
    /// sessions held decrypts it. The peer's session may be gone: ask it to
    /// restart with `sw_device_sessions_recovery_request`.
    SW_SESSION_NO_SESSION = 217,
    /// The message or bundle comes from an identity key other than the one
    /// expected for the device (the key its device list holds): refused
    /// before any secret is used. Update and confirm the device list first.
    SW_SESSION_UNTRUSTED_IDENTITY = 218,

    /// The bundle's signed-prekey signature does not verify.
    SW_BUNDLE_INVALID_SIGNATURE = 300,
    /// The prekey store does not hold the one-time prekey named.
    SW_PREKEY_NOT_FOUND = 301,

    /// The expiry queue already holds this message id.
    SW_EXPIRY_DUPLICATE_ID = 400,
    /// The expiry queue is full.
    SW_EXPIRY_QUEUE_FULL = 401,
    /// The expiry queue does not hold this message id.
    SW_EXPIRY_NOT_FOUND = 402,
    /// A timer's TTL is not between 1 second and 365 days, or a TTL was
    /// given with `SW_EXPIRY_OFF`.
    SW_EXPIRY_INVALID_POLICY = 403,

    /// The scanned safety number does not match: the two devices do not see
    /// the same identity keys.
    SW_SAFETY_NUMBER_MISMATCH = 500,

    /// Saved state: the bytes are not a sealwire state blob.
    SW_STATE_NOT_A_STATE_BLOB = 600,
    /// Saved state: a blob of another kind (loading a session from an
    /// identity's blob, for example).
    SW_STATE_WRONG_KIND = 601,
    /// Saved state: a format version this library does not read.
    SW_STATE_UNSUPPORTED_VERSION = 602,
    /// Saved state: the blob is cut short.
    SW_STATE_TRUNCATED = 603,
    /// Saved state: the blob fails its integrity check (checksum or tag):
    /// damaged after it was written.
    SW_STATE_CORRUPTED = 604,
    /// Saved state: the checksum matches but the contents break the
    /// format's rules.
    SW_STATE_MALFORMED = 605,
    /// Saved state: the sealed blob does not open with this storage key.
    SW_STATE_WRONG_STORAGE_KEY = 606,
    /// Saved state: a sealed blob given to a plain `_load`: use
    /// `_load_sealed`.
    SW_STATE_SEALED = 607,
    /// Saved state: a plain blob given to `_load_sealed`: use `_load`.
    SW_STATE_NOT_SEALED = 608,
    /// Saved state: the sealed blob was sealed for another address (another
    /// peer, device, owner or kind): it was moved from where it belongs.
    SW_STATE_WRONG_ADDRESS = 609,
    /// Saved state: a legacy sealed blob (not bound to an address) given to
    /// `_load_sealed`: migrate it once with `_load_sealed_legacy`.
    SW_STATE_UNBOUND_LEGACY = 610,
    /// Saved state: a bound sealed blob given to `_load_sealed_legacy`: use
    /// `_load_sealed` with its address.
    SW_STATE_ADDRESS_BOUND = 611,

    /// Franking report: the relay's stamp does not verify under this relay
    /// key (a stamp of another relay key, or an altered commitment, routing
    /// account id or forwarding time).
    SW_REPORT_BAD_STAMP = 700,
    /// Franking report: the commitment does not open to the reported
    /// message (an altered body, content type, sender or recipient identity
    /// key, send time or franking key).
    SW_REPORT_BAD_COMMITMENT = 701,
    /// Franking report: it carries an attachment but its body is not an
    /// attachment pointer.
    SW_REPORT_NOT_AN_ATTACHMENT = 702,
    /// Franking report: the attachment's size or SHA-256 digest differs from
    /// the pointer's.
    SW_REPORT_ATTACHMENT_MISMATCH = 703,
    /// Franking: the message is not franked (an unfranked message given to
    /// the relay, or a timer change or group key distribution given to
    /// `sw_report_from_received`).
    SW_REPORT_NOT_FRANKED = 704,
    /// Attachment: the plaintext's size or SHA-256 digest differs from the
    /// pointer's, or the blob does not decrypt under the pointer's key.
    SW_ATTACHMENT_MISMATCH = 705,

    /// Group: the post or distribution names another group.
    SW_GROUP_WRONG_GROUP = 800,
    /// Group: no chain with the post's chain id is held (never distributed to
    /// us, its sender was removed, older than the chains kept per sender, or
    /// superseded longer ago than the retention window).
    SW_GROUP_UNKNOWN_CHAIN = 801,
    /// Group: the post's Ed25519 signature does not verify under the chain's
    /// signing key (a forgery, e.g. by another member holding the chain key).
    /// Nothing changed.
    SW_GROUP_BAD_SIGNATURE = 802,
    // 803 is retired: it was the AEAD tag failure of the unreleased
    // version-1 post format (posts have no tag; SPEC.md §20.2).
    /// Group: a replayed post, or one behind its chain whose key is not held.
    SW_GROUP_DUPLICATE_POST = 804,
    /// Group: the post's key was evicted by the cap on stored skipped keys,
    /// or erased on schedule (skipped longer ago than the retention window).
    SW_GROUP_MESSAGE_KEY_EVICTED = 805,
    /// Group: the post is too far ahead of its chain
    /// (`SW_MAX_GROUP_FORWARD_JUMP`).
    SW_GROUP_TOO_FAR_AHEAD = 806,
    /// Group: a post counter would overflow: the chain is exhausted.
    SW_GROUP_COUNTER_OVERFLOW = 807,
    /// Group: the post body is longer than `SW_MAX_BODY_LEN`.
    SW_GROUP_MESSAGE_TOO_LARGE = 808,
    /// Group: the post's disappearing-message policy is malformed, or its
    /// timer version is too far ahead.
    SW_GROUP_INVALID_POLICY = 809,
    /// Group: the post's inner frame uses a feature this version does not
    /// implement.
    SW_GROUP_UNSUPPORTED_FEATURE = 810,
    /// Group: the content type cannot be posted, or a post carries a key
    /// distribution.
    SW_GROUP_INVALID_CONTENT_TYPE = 811,
    /// Group: the distribution names a sender other than the 1:1 session's
    /// authenticated peer it arrived from.
    SW_GROUP_SENDER_MISMATCH = 812,
    /// Group: the distribution comes from someone who may not post here (not
    /// a member, not the channel's owner, or ourselves), or the handle has no
    /// sending chain.
    SW_GROUP_NOT_A_MEMBER = 813,
    /// Group: a channel distribution given to a group, or the reverse.
    SW_GROUP_MODE_MISMATCH = 814,
    /// Group: the same sender distributed a different chain under a chain id
    /// already held.
    SW_GROUP_CHAIN_CONFLICT = 815,
    /// Group: a decrypted 1:1 message that is not a key distribution was
    /// offered as one (the Rust API's `accept_distribution`; the C API keeps
    /// only distributions: `SW_GROUP_NO_DISTRIBUTION`).
    SW_GROUP_NOT_A_DISTRIBUTION = 816,
    /// Group: the identity is already a member (or subscriber).
    SW_GROUP_ALREADY_MEMBER = 817,
    /// Group: the identity is not a member (or subscriber).
    SW_GROUP_UNKNOWN_MEMBER = 818,
    /// Group: our own identity given as a member.
    SW_GROUP_IS_SELF = 819,
    /// Group: the group already has `SW_MAX_GROUP_MEMBERS` members.
    SW_GROUP_FULL = 820,
    /// Group: a rotation policy of zero posts (or 2^32 - 1), or zero time.
    SW_GROUP_INVALID_ROTATION_POLICY = 821,
    /// Group: the session holds no pending key distribution to accept (none
    /// decrypted since it was made or loaded, or already taken by an
    /// `_accept_distribution`). Nothing changed.
    SW_GROUP_NO_DISTRIBUTION = 822,

    /// Devices: a device list would hold more than `SW_MAX_DEVICES_PER_USER`
    /// devices, or a user id is longer than `SW_MAX_USER_ID_LEN` bytes.
    SW_DEVICE_TOO_MANY_DEVICES = 900,
    /// Devices: a device list update names the same device twice.
    SW_DEVICE_DUPLICATE_DEVICE = 901,
    /// Devices: the device is not in the list.
    SW_DEVICE_UNKNOWN_DEVICE = 902,
    /// Devices: no identity change is waiting for confirmation for this
    /// device, or the key confirmed is not the one announced.
    SW_DEVICE_NO_PENDING_CHANGE = 903,
    /// Devices: a device's identity key changed and the change is not
    /// confirmed (`sw_device_list_confirm_identity`): nothing is sent to it
    /// until then.
    SW_DEVICE_UNCONFIRMED_IDENTITY = 904,
    /// Devices: no usable session with a device to send to (none, or only
    /// sessions with an identity key the device list no longer holds): fetch
    /// its bundle and start one (`sw_device_sessions_initiate`).
    SW_DEVICE_NO_SESSION = 905,
    /// Recovery request: not signed by the identity key it names, or that
    /// key is not the peer device's (one code, no oracle).
    SW_RECOVERY_AUTHENTICATION_FAILED = 906,
    /// Recovery request: addressed to another identity.
    SW_RECOVERY_NOT_FOR_US = 907,
    /// Recovery request: names a message of no session held with the peer
    /// device.
    SW_RECOVERY_UNKNOWN_SESSION = 908,
    /// Recovery request: not newer than the last one accepted from this
    /// device (a replay).
    SW_RECOVERY_REPLAYED_REQUEST = 909,
    /// Recovery request: too soon after the last request made, or the last
    /// restart granted, for this device (`SW_RECOVERY_INTERVAL_MS`).
    SW_RECOVERY_TOO_MANY_REQUESTS = 910,

    /// Sealed sender: the envelope or sealed post does not decrypt with our
    /// identity key (for another device, altered, or not matching the
    /// message's other parts). One code for every failure that depends on
    /// key material. Nothing changed.
    SW_SEALED_AUTHENTICATION_FAILED = 1000,
    /// Sealed sender: the certificate names a server key id that is not
    /// pinned (`sw_trusted_server_keys_add`).
    SW_SEALED_UNTRUSTED_SERVER_KEY = 1001,
    /// Sealed sender: the certificate's signature does not verify under the
    /// pinned server key of its id.
    SW_SEALED_BAD_CERTIFICATE_SIGNATURE = 1002,
    /// Sealed sender: the certificate expired (the receiver's clock is at or
    /// past its expiry).
    SW_SEALED_CERTIFICATE_EXPIRED = 1003,
    /// Sealed sender: the sender is not who the certificate says (its
    /// device is not in the sender's device list with the certificate's
    /// identity key as its confirmed key, or the inner message or post
    /// authenticates another identity). Nothing changed.
    SW_SEALED_SENDER_MISMATCH = 1004,
    /// Sealed sender: `SW_MAX_TRUSTED_SERVER_KEYS` keys are pinned already.
    SW_SEALED_TOO_MANY_SERVER_KEYS = 1005,
    /// Sealed sender: a multi-recipient message for no recipient, for more
    /// than `SW_MAX_SEALED_RECIPIENTS`, or naming a recipient twice.
    SW_SEALED_INVALID_RECIPIENTS = 1006,
}

impl sw_result {
    /// Every code, in numeric order.
    ///
    /// cbindgen:ignore
    pub const ALL: [sw_result; 100] = [
        Self::SW_OK,
        Self::SW_NULL_POINTER,
        Self::SW_BUFFER_TOO_SMALL,
        Self::SW_INVALID_ARGUMENT,
        Self::SW_INVALID_HANDLE,
        Self::SW_PANIC,
        Self::SW_INTERNAL,
        Self::SW_UNKNOWN_ERROR,
        Self::SW_DECODE_TRUNCATED,
        Self::SW_DECODE_TRAILING_BYTES,
        Self::SW_DECODE_UNSUPPORTED_VERSION,
        Self::SW_DECODE_UNEXPECTED_TYPE,
        Self::SW_DECODE_UNKNOWN_FLAGS,
        Self::SW_DECODE_INVALID_VALUE,
        Self::SW_DECODE_INVALID_KEY,
        Self::SW_DECODE_TOO_LARGE,
        Self::SW_SESSION_AUTHENTICATION_FAILED,
        Self::SW_SESSION_WEAK_PUBLIC_KEY,
        Self::SW_SESSION_DUPLICATE_MESSAGE,
        Self::SW_SESSION_TOO_MANY_SKIPPED,
        Self::SW_SESSION_COUNTER_OVERFLOW,
        Self::SW_SESSION_MESSAGE_TOO_LARGE,
        Self::SW_SESSION_UNKNOWN_SIGNED_PREKEY,
        Self::SW_SESSION_UNKNOWN_ONE_TIME_PREKEY,
        Self::SW_SESSION_MISMATCH,
        Self::SW_SESSION_UNEXPECTED_MESSAGE,
        Self::SW_SESSION_UNSUPPORTED_FEATURE,
        Self::SW_SESSION_INVALID_POLICY,
        Self::SW_SESSION_MESSAGE_KEY_ERASED,
        Self::SW_SESSION_NOT_ESTABLISHED,
        Self::SW_SESSION_PQ_REQUIRED,
        Self::SW_SESSION_UNKNOWN_PQ_PREKEY,
        Self::SW_SESSION_REPLAYED_PREKEY_MESSAGE,
        Self::SW_SESSION_NO_SESSION,
        Self::SW_SESSION_UNTRUSTED_IDENTITY,
        Self::SW_BUNDLE_INVALID_SIGNATURE,
        Self::SW_PREKEY_NOT_FOUND,
        Self::SW_EXPIRY_DUPLICATE_ID,
        Self::SW_EXPIRY_QUEUE_FULL,
        Self::SW_EXPIRY_NOT_FOUND,
        Self::SW_EXPIRY_INVALID_POLICY,
        Self::SW_SAFETY_NUMBER_MISMATCH,
        Self::SW_STATE_NOT_A_STATE_BLOB,
        Self::SW_STATE_WRONG_KIND,
        Self::SW_STATE_UNSUPPORTED_VERSION,
        Self::SW_STATE_TRUNCATED,
        Self::SW_STATE_CORRUPTED,
        Self::SW_STATE_MALFORMED,
        Self::SW_STATE_WRONG_STORAGE_KEY,
        Self::SW_STATE_SEALED,
        Self::SW_STATE_NOT_SEALED,
        Self::SW_STATE_WRONG_ADDRESS,
        Self::SW_STATE_UNBOUND_LEGACY,
        Self::SW_STATE_ADDRESS_BOUND,
        Self::SW_REPORT_BAD_STAMP,
        Self::SW_REPORT_BAD_COMMITMENT,
        Self::SW_REPORT_NOT_AN_ATTACHMENT,
        Self::SW_REPORT_ATTACHMENT_MISMATCH,
        Self::SW_REPORT_NOT_FRANKED,
        Self::SW_ATTACHMENT_MISMATCH,
        Self::SW_GROUP_WRONG_GROUP,
        Self::SW_GROUP_UNKNOWN_CHAIN,
        Self::SW_GROUP_BAD_SIGNATURE,
        Self::SW_GROUP_DUPLICATE_POST,
        Self::SW_GROUP_MESSAGE_KEY_EVICTED,
        Self::SW_GROUP_TOO_FAR_AHEAD,
        Self::SW_GROUP_COUNTER_OVERFLOW,
        Self::SW_GROUP_MESSAGE_TOO_LARGE,
        Self::SW_GROUP_INVALID_POLICY,
        Self::SW_GROUP_UNSUPPORTED_FEATURE,
        Self::SW_GROUP_INVALID_CONTENT_TYPE,
        Self::SW_GROUP_SENDER_MISMATCH,
        Self::SW_GROUP_NOT_A_MEMBER,
        Self::SW_GROUP_MODE_MISMATCH,
        Self::SW_GROUP_CHAIN_CONFLICT,
        Self::SW_GROUP_NOT_A_DISTRIBUTION,
        Self::SW_GROUP_ALREADY_MEMBER,
        Self::SW_GROUP_UNKNOWN_MEMBER,
        Self::SW_GROUP_IS_SELF,
        Self::SW_GROUP_FULL,
        Self::SW_GROUP_INVALID_ROTATION_POLICY,
        Self::SW_GROUP_NO_DISTRIBUTION,
        Self::SW_DEVICE_TOO_MANY_DEVICES,
        Self::SW_DEVICE_DUPLICATE_DEVICE,
        Self::SW_DEVICE_UNKNOWN_DEVICE,
        Self::SW_DEVICE_NO_PENDING_CHANGE,
        Self::SW_DEVICE_UNCONFIRMED_IDENTITY,
        Self::SW_DEVICE_NO_SESSION,
        Self::SW_RECOVERY_AUTHENTICATION_FAILED,
        Self::SW_RECOVERY_NOT_FOR_US,
        Self::SW_RECOVERY_UNKNOWN_SESSION,
        Self::SW_RECOVERY_REPLAYED_REQUEST,
        Self::SW_RECOVERY_TOO_MANY_REQUESTS,
        Self::SW_SEALED_AUTHENTICATION_FAILED,
        Self::SW_SEALED_UNTRUSTED_SERVER_KEY,
        Self::SW_SEALED_BAD_CERTIFICATE_SIGNATURE,
        Self::SW_SEALED_CERTIFICATE_EXPIRED,
        Self::SW_SEALED_SENDER_MISMATCH,
        Self::SW_SEALED_TOO_MANY_SERVER_KEYS,
        Self::SW_SEALED_INVALID_RECIPIENTS,
    ];

    /// The code with this number, if there is one.
    pub fn from_u32(code: u32) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| *c as u32 == code)
    }

    /// A short English description.
    pub fn message(self) -> &'static str {
        self.message_c().to_str().unwrap_or("")
    }

    /// A short English description, NUL-terminated (`sw_result_message`).
    pub fn message_c(self) -> &'static CStr {
        match self {
            Self::SW_OK => c"success",
            Self::SW_NULL_POINTER => c"a required pointer argument is NULL",
            Self::SW_BUFFER_TOO_SMALL => c"output buffer too small",
            Self::SW_INVALID_ARGUMENT => c"invalid argument",
            Self::SW_INVALID_HANDLE => c"not a live handle of the expected type",
            Self::SW_PANIC => c"internal panic caught at the C boundary",
            Self::SW_INTERNAL => c"internal error",
            Self::SW_UNKNOWN_ERROR => c"error without a C code in this version",
            Self::SW_DECODE_TRUNCATED => c"input truncated",
            Self::SW_DECODE_TRAILING_BYTES => c"trailing bytes after the structure",
            Self::SW_DECODE_UNSUPPORTED_VERSION => c"unsupported version",
            Self::SW_DECODE_UNEXPECTED_TYPE => c"unexpected type byte",
            Self::SW_DECODE_UNKNOWN_FLAGS => c"unknown flag bits",
            Self::SW_DECODE_INVALID_VALUE => c"field value out of range",
            Self::SW_DECODE_INVALID_KEY => c"invalid public key encoding",
            Self::SW_DECODE_TOO_LARGE => c"input exceeds the maximum size",
            Self::SW_SESSION_AUTHENTICATION_FAILED => c"message authentication failed",
            Self::SW_SESSION_WEAK_PUBLIC_KEY => c"peer public key is of low order",
            Self::SW_SESSION_DUPLICATE_MESSAGE => {
                c"duplicate message or message key no longer held"
            }
            Self::SW_SESSION_TOO_MANY_SKIPPED => c"too many skipped messages",
            Self::SW_SESSION_COUNTER_OVERFLOW => c"message counter exhausted",
            Self::SW_SESSION_MESSAGE_TOO_LARGE => c"message body too large",
            Self::SW_SESSION_UNKNOWN_SIGNED_PREKEY => c"unknown signed prekey",
            Self::SW_SESSION_UNKNOWN_ONE_TIME_PREKEY => c"unknown or already used one-time prekey",
            Self::SW_SESSION_MISMATCH => c"prekey message belongs to another session",
            Self::SW_SESSION_UNEXPECTED_MESSAGE => c"message type not expected in this phase",
            Self::SW_SESSION_UNSUPPORTED_FEATURE => c"unsupported inner-frame feature",
            Self::SW_SESSION_INVALID_POLICY => c"invalid disappearing-message policy",
            Self::SW_SESSION_MESSAGE_KEY_ERASED => c"message key erased on schedule",
            Self::SW_SESSION_NOT_ESTABLISHED => c"session not established yet",
            Self::SW_SESSION_PQ_REQUIRED => c"post-quantum key agreement required",
            Self::SW_SESSION_UNKNOWN_PQ_PREKEY => c"unknown or already used PQ prekey",
            Self::SW_SESSION_REPLAYED_PREKEY_MESSAGE => {
                c"prekey message replayed against a last-resort PQ prekey"
            }
            Self::SW_SESSION_NO_SESSION => c"no session with this device takes the message",
            Self::SW_SESSION_UNTRUSTED_IDENTITY => {
                c"identity key is not the one the device list holds"
            }
            Self::SW_BUNDLE_INVALID_SIGNATURE => c"signed prekey signature does not verify",
            Self::SW_PREKEY_NOT_FOUND => c"one-time prekey not held by the store",
            Self::SW_EXPIRY_DUPLICATE_ID => c"message id already queued",
            Self::SW_EXPIRY_QUEUE_FULL => c"expiry queue full",
            Self::SW_EXPIRY_NOT_FOUND => c"message id not queued",
            Self::SW_EXPIRY_INVALID_POLICY => c"expiry TTL must be between 1 second and 365 days",
            Self::SW_SAFETY_NUMBER_MISMATCH => c"safety numbers do not match",
            Self::SW_STATE_NOT_A_STATE_BLOB => c"not a sealwire state blob",
            Self::SW_STATE_WRONG_KIND => c"state blob of another kind",
            Self::SW_STATE_UNSUPPORTED_VERSION => c"unsupported state format version",
            Self::SW_STATE_TRUNCATED => c"state blob truncated",
            Self::SW_STATE_CORRUPTED => c"state blob corrupted",
            Self::SW_STATE_MALFORMED => c"state blob malformed",
            Self::SW_STATE_WRONG_STORAGE_KEY => c"wrong storage key for this sealed state",
            Self::SW_STATE_SEALED => c"state blob is sealed: load it with the storage key",
            Self::SW_STATE_NOT_SEALED => c"state blob is not sealed",
            Self::SW_STATE_WRONG_ADDRESS => c"sealed state blob moved from where it belongs",
            Self::SW_STATE_UNBOUND_LEGACY => {
                c"legacy sealed state blob: migrate it with _load_sealed_legacy"
            }
            Self::SW_STATE_ADDRESS_BOUND => {
                c"sealed state blob bound to an address: load it with _load_sealed"
            }
            Self::SW_REPORT_BAD_STAMP => c"the relay's stamp does not verify",
            Self::SW_REPORT_BAD_COMMITMENT => c"the franking commitment does not verify",
            Self::SW_REPORT_NOT_AN_ATTACHMENT => c"the reported body is not an attachment pointer",
            Self::SW_REPORT_ATTACHMENT_MISMATCH => {
                c"the reported attachment does not match its pointer"
            }
            Self::SW_REPORT_NOT_FRANKED => c"the message is not franked",
            Self::SW_ATTACHMENT_MISMATCH => c"the attachment does not match its pointer",
            Self::SW_GROUP_WRONG_GROUP => c"post or distribution of another group",
            Self::SW_GROUP_UNKNOWN_CHAIN => c"unknown sender chain",
            Self::SW_GROUP_BAD_SIGNATURE => c"post signature does not verify",
            Self::SW_GROUP_DUPLICATE_POST => c"duplicate post or post key no longer held",
            Self::SW_GROUP_MESSAGE_KEY_EVICTED => c"post key evicted or erased on schedule",
            Self::SW_GROUP_TOO_FAR_AHEAD => c"post too far ahead of its chain",
            Self::SW_GROUP_COUNTER_OVERFLOW => c"post counter exhausted",
            Self::SW_GROUP_MESSAGE_TOO_LARGE => c"post body too large",
            Self::SW_GROUP_INVALID_POLICY => c"invalid disappearing-message policy in a post",
            Self::SW_GROUP_UNSUPPORTED_FEATURE => c"unsupported inner-frame feature in a post",
            Self::SW_GROUP_INVALID_CONTENT_TYPE => c"content type not allowed in a post",
            Self::SW_GROUP_SENDER_MISMATCH => c"distribution sender is not the authenticated peer",
            Self::SW_GROUP_NOT_A_MEMBER => c"sender may not post in this group",
            Self::SW_GROUP_MODE_MISMATCH => c"channel and group distributions mixed",
            Self::SW_GROUP_CHAIN_CONFLICT => c"conflicting chain under a held chain id",
            Self::SW_GROUP_NOT_A_DISTRIBUTION => c"not a key distribution",
            Self::SW_GROUP_ALREADY_MEMBER => c"already a member",
            Self::SW_GROUP_UNKNOWN_MEMBER => c"not a member",
            Self::SW_GROUP_IS_SELF => c"our own identity given as a member",
            Self::SW_GROUP_FULL => c"group member limit reached",
            Self::SW_GROUP_INVALID_ROTATION_POLICY => c"invalid rotation policy",
            Self::SW_GROUP_NO_DISTRIBUTION => c"no pending key distribution in the session",
            Self::SW_DEVICE_TOO_MANY_DEVICES => c"too many devices, or user id too long",
            Self::SW_DEVICE_DUPLICATE_DEVICE => c"device named twice in a device list update",
            Self::SW_DEVICE_UNKNOWN_DEVICE => c"device not in the list",
            Self::SW_DEVICE_NO_PENDING_CHANGE => c"no identity change to confirm for this device",
            Self::SW_DEVICE_UNCONFIRMED_IDENTITY => c"device identity change not confirmed",
            Self::SW_DEVICE_NO_SESSION => c"no usable session with a device: start one",
            Self::SW_RECOVERY_AUTHENTICATION_FAILED => c"recovery request authentication failed",
            Self::SW_RECOVERY_NOT_FOR_US => c"recovery request addressed to another identity",
            Self::SW_RECOVERY_UNKNOWN_SESSION => c"recovery request names no session held",
            Self::SW_RECOVERY_REPLAYED_REQUEST => c"recovery request replayed",
            Self::SW_RECOVERY_TOO_MANY_REQUESTS => c"too many recovery requests",
            Self::SW_SEALED_AUTHENTICATION_FAILED => c"sealed message authentication failed",
            Self::SW_SEALED_UNTRUSTED_SERVER_KEY => c"certificate from a server key not pinned",
            Self::SW_SEALED_BAD_CERTIFICATE_SIGNATURE => c"certificate signature does not verify",
            Self::SW_SEALED_CERTIFICATE_EXPIRED => c"sender certificate expired",
            Self::SW_SEALED_SENDER_MISMATCH => c"sender is not the certificate's",
            Self::SW_SEALED_TOO_MANY_SERVER_KEYS => c"too many pinned server keys",
            Self::SW_SEALED_INVALID_RECIPIENTS => {
                c"no recipient, too many, or a recipient named twice"
            }
        }
    }
}

impl From<DecodeError> for sw_result {
    fn from(e: DecodeError) -> Self {
        match e {
            DecodeError::Truncated => Self::SW_DECODE_TRUNCATED,
            DecodeError::TrailingBytes => Self::SW_DECODE_TRAILING_BYTES,
            DecodeError::UnsupportedVersion(_) => Self::SW_DECODE_UNSUPPORTED_VERSION,
            DecodeError::UnexpectedType(_) => Self::SW_DECODE_UNEXPECTED_TYPE,
            DecodeError::UnknownFlags(_) => Self::SW_DECODE_UNKNOWN_FLAGS,
            DecodeError::InvalidValue => Self::SW_DECODE_INVALID_VALUE,
            DecodeError::InvalidKey => Self::SW_DECODE_INVALID_KEY,
            DecodeError::TooLarge => Self::SW_DECODE_TOO_LARGE,
            _ => Self::SW_UNKNOWN_ERROR,
        }
    }
}

impl From<SessionError> for sw_result {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Malformed(d) => d.into(),
            SessionError::AuthenticationFailed => Self::SW_SESSION_AUTHENTICATION_FAILED,
            SessionError::WeakPublicKey => Self::SW_SESSION_WEAK_PUBLIC_KEY,
            SessionError::DuplicateMessage => Self::SW_SESSION_DUPLICATE_MESSAGE,
            SessionError::TooManySkipped => Self::SW_SESSION_TOO_MANY_SKIPPED,
            SessionError::CounterOverflow => Self::SW_SESSION_COUNTER_OVERFLOW,
            SessionError::MessageTooLarge => Self::SW_SESSION_MESSAGE_TOO_LARGE,
            SessionError::BufferTooSmall => Self::SW_BUFFER_TOO_SMALL,
            SessionError::UnknownSignedPrekey => Self::SW_SESSION_UNKNOWN_SIGNED_PREKEY,
            SessionError::UnknownOneTimePrekey => Self::SW_SESSION_UNKNOWN_ONE_TIME_PREKEY,
            SessionError::SessionMismatch => Self::SW_SESSION_MISMATCH,
            SessionError::UnexpectedMessage => Self::SW_SESSION_UNEXPECTED_MESSAGE,
            SessionError::UnsupportedFeature => Self::SW_SESSION_UNSUPPORTED_FEATURE,
            SessionError::InvalidPolicy => Self::SW_SESSION_INVALID_POLICY,
            SessionError::MessageKeyErased => Self::SW_SESSION_MESSAGE_KEY_ERASED,
            SessionError::PqRequired => Self::SW_SESSION_PQ_REQUIRED,
            SessionError::UnknownPqPrekey => Self::SW_SESSION_UNKNOWN_PQ_PREKEY,
            SessionError::ReplayedPrekeyMessage => Self::SW_SESSION_REPLAYED_PREKEY_MESSAGE,
            SessionError::NoSession => Self::SW_SESSION_NO_SESSION,
            SessionError::UntrustedIdentity => Self::SW_SESSION_UNTRUSTED_IDENTITY,
            _ => Self::SW_UNKNOWN_ERROR,
        }
    }
}

impl From<BundleError> for sw_result {
    fn from(e: BundleError) -> Self {
        match e {
            BundleError::Malformed(d) => d.into(),
            BundleError::InvalidSignature => Self::SW_BUNDLE_INVALID_SIGNATURE,
            _ => Self::SW_UNKNOWN_ERROR,
        }
    }
}

impl From<ExpiryError> for sw_result {
    fn from(e: ExpiryError) -> Self {
        match e {
            ExpiryError::DuplicateId => Self::SW_EXPIRY_DUPLICATE_ID,
            ExpiryError::QueueFull => Self::SW_EXPIRY_QUEUE_FULL,
            ExpiryError::Malformed(d) => d.into(),
            _ => Self::SW_UNKNOWN_ERROR,
        }
    }
}

impl From<InvalidPolicy> for sw_result {
    fn from(_: InvalidPolicy) -> Self {
        Self::SW_EXPIRY_INVALID_POLICY
    }
}

impl From<SafetyNumberError> for sw_result {
    fn from(e: SafetyNumberError) -> Self {
        match e {
            SafetyNumberError::Mismatch => Self::SW_SAFETY_NUMBER_MISMATCH,
            SafetyNumberError::Malformed(d) => d.into(),
            // The C API always uses the default iteration count.
            SafetyNumberError::InvalidIterations => Self::SW_INTERNAL,
            _ => Self::SW_UNKNOWN_ERROR,
        }
    }
}

impl From<ReportError> for sw_result {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Malformed(d) => d.into(),
            ReportError::BadStamp => Self::SW_REPORT_BAD_STAMP,
            ReportError::BadCommitment => Self::SW_REPORT_BAD_COMMITMENT,
            ReportError::NotAnAttachment => Self::SW_REPORT_NOT_AN_ATTACHMENT,
            ReportError::AttachmentMismatch => Self::SW_REPORT_ATTACHMENT_MISMATCH,
            ReportError::NotFranked => Self::SW_REPORT_NOT_FRANKED,
            _ => Self::SW_UNKNOWN_ERROR,
        }
    }
}

impl From<AttachmentError> for sw_result {
    fn from(e: AttachmentError) -> Self {
        match e {
            AttachmentError::Malformed(d) => d.into(),
            AttachmentError::Mismatch => Self::SW_ATTACHMENT_MISMATCH,
            _ => Self::SW_UNKNOWN_ERROR,
        }
    }
}

impl From<GroupError> for sw_result {
    fn from(e: GroupError) -> Self {
        match e {
            GroupError::Malformed(d) => d.into(),
            GroupError::BufferTooSmall => Self::SW_BUFFER_TOO_SMALL,
            GroupError::WrongGroup => Self::SW_GROUP_WRONG_GROUP,
            GroupError::UnknownChain => Self::SW_GROUP_UNKNOWN_CHAIN,
            GroupError::BadSignature => Self::SW_GROUP_BAD_SIGNATURE,
            GroupError::DuplicatePost => Self::SW_GROUP_DUPLICATE_POST,
            GroupError::MessageKeyEvicted => Self::SW_GROUP_MESSAGE_KEY_EVICTED,
            GroupError::TooFarAhead => Self::SW_GROUP_TOO_FAR_AHEAD,
            GroupError::CounterOverflow => Self::SW_GROUP_COUNTER_OVERFLOW,
            GroupError::MessageTooLarge => Self::SW_GROUP_MESSAGE_TOO_LARGE,
            GroupError::InvalidPolicy => Self::SW_GROUP_INVALID_POLICY,
            GroupError::UnsupportedFeature => Self::SW_GROUP_UNSUPPORTED_FEATURE,
            GroupError::InvalidContentType => Self::SW_GROUP_INVALID_CONTENT_TYPE,
            GroupError::SenderMismatch => Self::SW_GROUP_SENDER_MISMATCH,
            GroupError::NotAMember => Self::SW_GROUP_NOT_A_MEMBER,
            GroupError::ModeMismatch => Self::SW_GROUP_MODE_MISMATCH,
            GroupError::ChainConflict => Self::SW_GROUP_CHAIN_CONFLICT,
            GroupError::NotADistribution => Self::SW_GROUP_NOT_A_DISTRIBUTION,
            GroupError::AlreadyMember => Self::SW_GROUP_ALREADY_MEMBER,
            GroupError::UnknownMember => Self::SW_GROUP_UNKNOWN_MEMBER,
            GroupError::IsSelf => Self::SW_GROUP_IS_SELF,
            GroupError::GroupFull => Self::SW_GROUP_FULL,
            GroupError::InvalidRotationPolicy => Self::SW_GROUP_INVALID_ROTATION_POLICY,
            _ => Self::SW_UNKNOWN_ERROR,
        }
    }
}

impl From<DeviceError> for sw_result {
    fn from(e: DeviceError) -> Self {
        match e {
            DeviceError::Malformed(d) => d.into(),
            DeviceError::TooManyDevices => Self::SW_DEVICE_TOO_MANY_DEVICES,
            DeviceError::DuplicateDevice(_) => Self::SW_DEVICE_DUPLICATE_DEVICE,
            DeviceError::UnknownDevice(_) => Self::SW_DEVICE_UNKNOWN_DEVICE,
            DeviceError::NoPendingChange(_) => Self::SW_DEVICE_NO_PENDING_CHANGE,
            DeviceError::UnconfirmedIdentity(_) => Self::SW_DEVICE_UNCONFIRMED_IDENTITY,
            DeviceError::NoSession(_) => Self::SW_DEVICE_NO_SESSION,
            DeviceError::Session(_, e) => e.into(),
            DeviceError::AuthenticationFailed => Self::SW_RECOVERY_AUTHENTICATION_FAILED,
            DeviceError::NotForUs => Self::SW_RECOVERY_NOT_FOR_US,
            DeviceError::UnknownSession => Self::SW_RECOVERY_UNKNOWN_SESSION,
            DeviceError::ReplayedRequest => Self::SW_RECOVERY_REPLAYED_REQUEST,
            DeviceError::TooManyRequests => Self::SW_RECOVERY_TOO_MANY_REQUESTS,
            _ => Self::SW_UNKNOWN_ERROR,
        }
    }
}

impl From<SealedError> for sw_result {
    fn from(e: SealedError) -> Self {
        match e {
            SealedError::Malformed(d) => d.into(),
            SealedError::AuthenticationFailed => Self::SW_SEALED_AUTHENTICATION_FAILED,
            SealedError::UntrustedServerKey => Self::SW_SEALED_UNTRUSTED_SERVER_KEY,
            SealedError::BadCertificateSignature => Self::SW_SEALED_BAD_CERTIFICATE_SIGNATURE,
            SealedError::CertificateExpired => Self::SW_SEALED_CERTIFICATE_EXPIRED,
            SealedError::SenderMismatch => Self::SW_SEALED_SENDER_MISMATCH,
            SealedError::Session(e) => e.into(),
            SealedError::Group(e) => e.into(),
            SealedError::TooManyServerKeys => Self::SW_SEALED_TOO_MANY_SERVER_KEYS,
            SealedError::InvalidRecipients => Self::SW_SEALED_INVALID_RECIPIENTS,
            _ => Self::SW_UNKNOWN_ERROR,
        }
    }
}

/// The description of result code `code`: a static NUL-terminated English
/// string (never NULL, never to be freed), "unknown result code" for a
/// number that is no code. Changes nothing, the error detail included (so
/// that it may be called while reporting an error).
///
/// Thread-safety: thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn sw_result_message(code: u32) -> *const c_char {
    sw_result::from_u32(code)
        .map_or(c"unknown result code", sw_result::message_c)
        .as_ptr()
}

/// What the last call on this thread that returned an error found wrong,
/// as a NUL-terminated English string naming the argument or field, for
/// logs and bug reports ("out_len is NULL", "key_len is 31: key is 32
/// bytes", "an sw_identity handle where an sw_session handle is
/// required"); for an error of the library itself (a message that failed
/// authentication, a malformed blob), the code's `sw_result_message` text.
/// The empty string after a call that returned `SW_OK`.
///
/// The string is per thread and belongs to the library: it stays valid, and
/// unchanged, until the next sealwire call on the same thread other than
/// `sw_last_error_detail`, `sw_result_message`, `sw_version` and the
/// `_free` functions (which leave it alone). Copy it to keep it. It never
/// holds secret bytes or anything that depends on a key: every
/// authentication failure has its code's one fixed text.
///
/// Thread-safety: thread-safe (each thread has its own).
#[unsafe(no_mangle)]
pub extern "C" fn sw_last_error_detail() -> *const c_char {
    crate::boundary::detail_ptr()
}

/// The library's version, "MAJOR.MINOR.PATCH" (the crate's version), as a
/// static NUL-terminated string. The header's `SW_VERSION_MAJOR`,
/// `SW_VERSION_MINOR` and `SW_VERSION_PATCH` are the version it was
/// generated for: compare them at run time to find a library older than
/// the header.
///
/// Thread-safety: thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn sw_version() -> *const c_char {
    VERSION.as_ptr()
}

/// The crate's version, NUL-terminated.
const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => c"",
    };

/// The major version of the library this header belongs to.
pub const SW_VERSION_MAJOR: u32 = 0;
/// The minor version of the library this header belongs to.
pub const SW_VERSION_MINOR: u32 = 1;
/// The patch version of the library this header belongs to.
pub const SW_VERSION_PATCH: u32 = 0;

#[cfg(test)]
mod tests {
    use super::sw_result as R;
    use super::*;
    use sealwire::DeviceAddress;

    const DECODE: [(DecodeError, R); 8] = [
        (DecodeError::Truncated, R::SW_DECODE_TRUNCATED),
        (DecodeError::TrailingBytes, R::SW_DECODE_TRAILING_BYTES),
        (
            DecodeError::UnsupportedVersion(9),
            R::SW_DECODE_UNSUPPORTED_VERSION,
        ),
        (DecodeError::UnexpectedType(9), R::SW_DECODE_UNEXPECTED_TYPE),
        (DecodeError::UnknownFlags(9), R::SW_DECODE_UNKNOWN_FLAGS),
        (DecodeError::InvalidValue, R::SW_DECODE_INVALID_VALUE),
        (DecodeError::InvalidKey, R::SW_DECODE_INVALID_KEY),
        (DecodeError::TooLarge, R::SW_DECODE_TOO_LARGE),
    ];

    const SESSION: [(SessionError, R); 20] = [
        (
            SessionError::AuthenticationFailed,
            R::SW_SESSION_AUTHENTICATION_FAILED,
        ),
        (SessionError::WeakPublicKey, R::SW_SESSION_WEAK_PUBLIC_KEY),
        (
            SessionError::DuplicateMessage,
            R::SW_SESSION_DUPLICATE_MESSAGE,
        ),
        (SessionError::TooManySkipped, R::SW_SESSION_TOO_MANY_SKIPPED),
        (
            SessionError::CounterOverflow,
            R::SW_SESSION_COUNTER_OVERFLOW,
        ),
        (
            SessionError::MessageTooLarge,
            R::SW_SESSION_MESSAGE_TOO_LARGE,
        ),
        (SessionError::BufferTooSmall, R::SW_BUFFER_TOO_SMALL),
        (
            SessionError::UnknownSignedPrekey,
            R::SW_SESSION_UNKNOWN_SIGNED_PREKEY,
        ),
        (
            SessionError::UnknownOneTimePrekey,
            R::SW_SESSION_UNKNOWN_ONE_TIME_PREKEY,
        ),
        (SessionError::SessionMismatch, R::SW_SESSION_MISMATCH),
        (
            SessionError::UnexpectedMessage,
            R::SW_SESSION_UNEXPECTED_MESSAGE,
        ),
        (
            SessionError::UnsupportedFeature,
            R::SW_SESSION_UNSUPPORTED_FEATURE,
        ),
        (SessionError::InvalidPolicy, R::SW_SESSION_INVALID_POLICY),
        (
            SessionError::MessageKeyErased,
            R::SW_SESSION_MESSAGE_KEY_ERASED,
        ),
        (SessionError::PqRequired, R::SW_SESSION_PQ_REQUIRED),
        (
            SessionError::UnknownPqPrekey,
            R::SW_SESSION_UNKNOWN_PQ_PREKEY,
        ),
        (
            SessionError::ReplayedPrekeyMessage,
            R::SW_SESSION_REPLAYED_PREKEY_MESSAGE,
        ),
        (SessionError::NoSession, R::SW_SESSION_NO_SESSION),
        (
            SessionError::UntrustedIdentity,
            R::SW_SESSION_UNTRUSTED_IDENTITY,
        ),
        (
            SessionError::Malformed(DecodeError::TooLarge),
            R::SW_DECODE_TOO_LARGE,
        ),
    ];

    const GROUP: [(GroupError, R); 23] = [
        (GroupError::BufferTooSmall, R::SW_BUFFER_TOO_SMALL),
        (GroupError::WrongGroup, R::SW_GROUP_WRONG_GROUP),
        (GroupError::UnknownChain, R::SW_GROUP_UNKNOWN_CHAIN),
        (GroupError::BadSignature, R::SW_GROUP_BAD_SIGNATURE),
        (GroupError::DuplicatePost, R::SW_GROUP_DUPLICATE_POST),
        (
            GroupError::MessageKeyEvicted,
            R::SW_GROUP_MESSAGE_KEY_EVICTED,
        ),
        (GroupError::TooFarAhead, R::SW_GROUP_TOO_FAR_AHEAD),
        (GroupError::CounterOverflow, R::SW_GROUP_COUNTER_OVERFLOW),
        (GroupError::MessageTooLarge, R::SW_GROUP_MESSAGE_TOO_LARGE),
        (GroupError::InvalidPolicy, R::SW_GROUP_INVALID_POLICY),
        (
            GroupError::UnsupportedFeature,
            R::SW_GROUP_UNSUPPORTED_FEATURE,
        ),
        (
            GroupError::InvalidContentType,
            R::SW_GROUP_INVALID_CONTENT_TYPE,
        ),
        (GroupError::SenderMismatch, R::SW_GROUP_SENDER_MISMATCH),
        (GroupError::NotAMember, R::SW_GROUP_NOT_A_MEMBER),
        (GroupError::ModeMismatch, R::SW_GROUP_MODE_MISMATCH),
        (GroupError::ChainConflict, R::SW_GROUP_CHAIN_CONFLICT),
        (GroupError::NotADistribution, R::SW_GROUP_NOT_A_DISTRIBUTION),
        (GroupError::AlreadyMember, R::SW_GROUP_ALREADY_MEMBER),
        (GroupError::UnknownMember, R::SW_GROUP_UNKNOWN_MEMBER),
        (GroupError::IsSelf, R::SW_GROUP_IS_SELF),
        (GroupError::GroupFull, R::SW_GROUP_FULL),
        (
            GroupError::InvalidRotationPolicy,
            R::SW_GROUP_INVALID_ROTATION_POLICY,
        ),
        (
            GroupError::Malformed(DecodeError::Truncated),
            R::SW_DECODE_TRUNCATED,
        ),
    ];

    /// Every error of every area maps to the code its documentation names
    /// (`include/sealwire.h`), a wrapped error to the code of what it wraps.
    #[test]
    fn every_error_maps_to_its_code() {
        for (e, code) in DECODE {
            assert_eq!(R::from(e), code, "{e:?}");
            assert_eq!(R::from(SessionError::Malformed(e)), code, "{e:?}");
            assert_eq!(R::from(BundleError::Malformed(e)), code, "{e:?}");
            assert_eq!(R::from(ExpiryError::Malformed(e)), code, "{e:?}");
            assert_eq!(R::from(SafetyNumberError::Malformed(e)), code, "{e:?}");
            assert_eq!(R::from(ReportError::Malformed(e)), code, "{e:?}");
            assert_eq!(R::from(AttachmentError::Malformed(e)), code, "{e:?}");
            assert_eq!(R::from(GroupError::Malformed(e)), code, "{e:?}");
            assert_eq!(R::from(DeviceError::Malformed(e)), code, "{e:?}");
            assert_eq!(R::from(SealedError::Malformed(e)), code, "{e:?}");
        }
        let peer = DeviceAddress::new("bob", 2);
        for (e, code) in SESSION {
            assert_eq!(R::from(e), code, "{e:?}");
            assert_eq!(R::from(SealedError::Session(e)), code, "{e:?}");
            assert_eq!(
                R::from(DeviceError::Session(peer.clone(), e)),
                code,
                "{e:?}"
            );
        }
        for (e, code) in GROUP {
            assert_eq!(R::from(e), code, "{e:?}");
            assert_eq!(R::from(SealedError::Group(e)), code, "{e:?}");
        }
        let others = [
            (
                R::from(BundleError::InvalidSignature),
                R::SW_BUNDLE_INVALID_SIGNATURE,
            ),
            (R::from(ExpiryError::DuplicateId), R::SW_EXPIRY_DUPLICATE_ID),
            (R::from(ExpiryError::QueueFull), R::SW_EXPIRY_QUEUE_FULL),
            (
                R::from(sealwire::expiry::InvalidPolicy),
                R::SW_EXPIRY_INVALID_POLICY,
            ),
            (
                R::from(SafetyNumberError::Mismatch),
                R::SW_SAFETY_NUMBER_MISMATCH,
            ),
            (
                R::from(SafetyNumberError::InvalidIterations),
                R::SW_INTERNAL,
            ),
            (R::from(ReportError::BadStamp), R::SW_REPORT_BAD_STAMP),
            (
                R::from(ReportError::BadCommitment),
                R::SW_REPORT_BAD_COMMITMENT,
            ),
            (
                R::from(ReportError::NotAnAttachment),
                R::SW_REPORT_NOT_AN_ATTACHMENT,
            ),
            (
                R::from(ReportError::AttachmentMismatch),
                R::SW_REPORT_ATTACHMENT_MISMATCH,
            ),
            (R::from(ReportError::NotFranked), R::SW_REPORT_NOT_FRANKED),
            (
                R::from(AttachmentError::Mismatch),
                R::SW_ATTACHMENT_MISMATCH,
            ),
            (
                R::from(DeviceError::TooManyDevices),
                R::SW_DEVICE_TOO_MANY_DEVICES,
            ),
            (
                R::from(DeviceError::DuplicateDevice(3)),
                R::SW_DEVICE_DUPLICATE_DEVICE,
            ),
            (
                R::from(DeviceError::UnknownDevice(3)),
                R::SW_DEVICE_UNKNOWN_DEVICE,
            ),
            (
                R::from(DeviceError::NoPendingChange(3)),
                R::SW_DEVICE_NO_PENDING_CHANGE,
            ),
            (
                R::from(DeviceError::UnconfirmedIdentity(peer.clone())),
                R::SW_DEVICE_UNCONFIRMED_IDENTITY,
            ),
            (
                R::from(DeviceError::NoSession(peer)),
                R::SW_DEVICE_NO_SESSION,
            ),
            (
                R::from(DeviceError::AuthenticationFailed),
                R::SW_RECOVERY_AUTHENTICATION_FAILED,
            ),
            (R::from(DeviceError::NotForUs), R::SW_RECOVERY_NOT_FOR_US),
            (
                R::from(DeviceError::UnknownSession),
                R::SW_RECOVERY_UNKNOWN_SESSION,
            ),
            (
                R::from(DeviceError::ReplayedRequest),
                R::SW_RECOVERY_REPLAYED_REQUEST,
            ),
            (
                R::from(DeviceError::TooManyRequests),
                R::SW_RECOVERY_TOO_MANY_REQUESTS,
            ),
            (
                R::from(SealedError::AuthenticationFailed),
                R::SW_SEALED_AUTHENTICATION_FAILED,
            ),
            (
                R::from(SealedError::UntrustedServerKey),
                R::SW_SEALED_UNTRUSTED_SERVER_KEY,
            ),
            (
                R::from(SealedError::BadCertificateSignature),
                R::SW_SEALED_BAD_CERTIFICATE_SIGNATURE,
            ),
            (
                R::from(SealedError::CertificateExpired),
                R::SW_SEALED_CERTIFICATE_EXPIRED,
            ),
            (
                R::from(SealedError::SenderMismatch),
                R::SW_SEALED_SENDER_MISMATCH,
            ),
            (
                R::from(SealedError::TooManyServerKeys),
                R::SW_SEALED_TOO_MANY_SERVER_KEYS,
            ),
            (
                R::from(SealedError::InvalidRecipients),
                R::SW_SEALED_INVALID_RECIPIENTS,
            ),
        ];
        for (got, want) in others {
            assert_eq!(got, want);
        }
    }

    /// Each code has its own number and its own non-empty message, and
    /// comes back from its number; a number that is no code does not.
    #[test]
    fn codes_round_trip_through_their_numbers_and_have_distinct_messages() {
        let mut messages = std::collections::HashSet::new();
        for code in R::ALL {
            assert_eq!(R::from_u32(code as u32), Some(code));
            assert!(!code.message().is_empty(), "{code:?}");
            assert_eq!(code.message_c().to_str(), Ok(code.message()));
            assert!(messages.insert(code.message()), "{code:?}: shared message");
        }
        assert_eq!(R::from_u32(R::SW_OK as u32), Some(R::SW_OK));
        let unused = (0..=1100).find(|n| !R::ALL.iter().any(|c| *c as u32 == *n));
        assert_eq!(unused.and_then(R::from_u32), None);
        assert_eq!(R::from_u32(u32::MAX), None);
    }

    /// The exported string functions: a code's text, "unknown result code"
    /// for a number that is none, the calling thread's detail.
    #[test]
    fn the_exported_strings() {
        let text = |p: *const c_char| {
            assert!(!p.is_null());
            // SAFETY: non-NULL, NUL-terminated, static or thread-local to
            // this thread and unchanged until its next sealwire call.
            unsafe { CStr::from_ptr(p) }.to_str().map(str::to_owned)
        };
        for code in R::ALL {
            assert_eq!(
                text(sw_result_message(code as u32)),
                Ok(code.message().to_owned())
            );
        }
        assert_eq!(
            text(sw_result_message(u32::MAX)),
            Ok("unknown result code".to_owned())
        );
        let rc = crate::boundary::guard(|| Err(R::SW_GROUP_FULL));
        assert_eq!(rc, R::SW_GROUP_FULL);
        assert_eq!(
            text(sw_last_error_detail()),
            Ok(R::SW_GROUP_FULL.message().to_owned())
        );
        assert_eq!(crate::boundary::guard(|| Ok(())), R::SW_OK);
        assert_eq!(text(sw_last_error_detail()), Ok(String::new()));
        assert_eq!(text(sw_version()), Ok(env!("CARGO_PKG_VERSION").to_owned()));
    }
}
