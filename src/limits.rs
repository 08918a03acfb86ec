//! Every limit of the protocol, in one place. SPEC.md §9 is normative.

/// At most this many message keys are derived and stored for one incoming
/// message (in the old chain up to PN plus in the new chain up to N).
pub const MAX_SKIP: u32 = 1000;

/// At most this many skipped message keys are held per session; the oldest
/// is evicted first.
pub const MAX_SKIPPED_KEYS: usize = 2000;

/// At most this many receiving chains are remembered per session (the
/// current one and the closed ones used to recognise late messages).
pub const MAX_RECEIVING_CHAINS: usize = 5;

/// Skipped message keys older than this (milliseconds) are erased.
/// 30 days.
pub const MAX_SKIPPED_KEY_AGE_MS: u64 = 30 * 24 * 60 * 60 * 1000;

/// A group post may be at most this many positions ahead of its chain
/// (the receiver derives that many keys for it): `TooFarAhead` beyond.
pub const MAX_GROUP_FORWARD_JUMP: u32 = 2000;

/// At most this many skipped post keys are held per sender of a group; the
/// oldest is evicted first (its post is then `MessageKeyEvicted`).
pub const MAX_GROUP_SKIPPED_KEYS: usize = 2000;

/// At most this many chains are kept per sender of a group (the newest and
/// older ones for late posts); the oldest is dropped first.
pub const MAX_SENDER_CHAIN_STATES: usize = 5;

/// At most this many members (or subscribers) per group or channel.
pub const MAX_GROUP_MEMBERS: usize = 1 << 20;

/// Largest message body (plaintext) accepted by encrypt and decrypt: 1 MiB.
pub const MAX_BODY_LEN: usize = 1 << 20;

/// Length of the inner frame's fixed header.
pub const FRAME_HEADER_LEN: usize = 15;

/// Length of the inner frame's optional timer block (mode u8, TTL u32,
/// version u64).
pub const FRAME_TIMER_LEN: usize = 1 + 4 + 8;

/// Largest padded body: Padmé(`MAX_BODY_LEN`) is `MAX_BODY_LEN` itself (a
/// power of two).
pub const MAX_PADDED_BODY_LEN: usize = MAX_BODY_LEN;

/// Length of the inner frame's optional franking key `kf` (SPEC.md §19).
pub const FRAME_FRANKING_LEN: usize = 32;

/// Length of the franking commitment `cf` a franked message carries beside
/// its ciphertext (SPEC.md §19).
pub const FRANKING_COMMITMENT_LEN: usize = 32;

/// Largest inner frame (the AEAD plaintext): timer block and franking key
/// present.
pub const MAX_FRAME_LEN: usize =
    FRAME_HEADER_LEN + FRAME_TIMER_LEN + FRAME_FRANKING_LEN + MAX_PADDED_BODY_LEN;

/// Smallest padded body length: short messages all look alike.
pub const MIN_PADDED_BODY_LEN: usize = 32;

/// Length of the PQXDH fields of a prekey message: PQ prekey id (4) and
/// ML-KEM-768 ciphertext (1088).
pub const PQ_MESSAGE_FIELDS_LEN: usize = 4 + 1088;

/// Length of the PQ prekey of a bundle: id (4), kind (1), ML-KEM-768
/// encapsulation key (1184), signature (64).
pub const PQ_BUNDLE_FIELDS_LEN: usize = 4 + 1 + 1184 + 64;

/// Largest wire message: the franked prekey message at its largest
/// (one-time prekey id, PQXDH fields, the 52-byte header with its nonce
/// mask, franking commitment) plus the largest ciphertext. Anything longer
/// is rejected before parsing.
pub const MAX_MESSAGE_LEN: usize = 2
    + 32
    + 32
    + 4
    + 1
    + 4
    + PQ_MESSAGE_FIELDS_LEN
    + crate::wire::HEADER_LEN
    + FRANKING_COMMITMENT_LEN
    + MAX_FRAME_LEN
    + 16;

/// Largest bundle encoding (with a one-time prekey and a PQ prekey).
pub const MAX_BUNDLE_LEN: usize = 2 + 32 + 4 + 32 + 64 + 1 + 4 + 32 + PQ_BUNDLE_FIELDS_LEN;

/// At most this many one-time prekeys are held by a prekey store.
pub const MAX_ONE_TIME_PREKEYS: usize = 10_000;

/// At most this many signed prekeys are kept (the current one and older
/// ones still accepted for late prekey messages).
pub const MAX_SIGNED_PREKEYS: usize = 3;

/// At most this many one-time PQ (ML-KEM-768) prekeys are held by a prekey
/// store (each is 1.3 KB: 64-byte seed, 1184-byte public key, signature).
pub const MAX_ONE_TIME_PQ_PREKEYS: usize = 1000;

/// At most this many last-resort PQ prekeys are kept (the current one and
/// older ones still accepted for late prekey messages).
pub const MAX_LAST_RESORT_PQ_PREKEYS: usize = 3;

/// At most this many (last-resort PQ prekey, signed prekey, base key)
/// records are kept to refuse a replayed session set-up; the oldest is
/// dropped first, and records of forgotten last-resort PQ prekeys are
/// dropped when the prekey is.
pub const MAX_PQ_REPLAY_RECORDS: usize = 10_000;

/// Longest sender or recipient id of a relay's routing context (franking,
/// SPEC.md §19.4).
pub const MAX_ROUTING_ID_LEN: usize = 1024;

/// Largest attachment plaintext a franking report may carry (64 MiB).
pub const MAX_REPORT_ATTACHMENT_LEN: usize = 1 << 26;

/// Longest media type of an attachment pointer (SPEC.md §19.6).
pub const MAX_ATTACHMENT_MEDIA_TYPE_LEN: usize = 255;

/// Longest locator (URL or storage id) of an attachment pointer.
pub const MAX_ATTACHMENT_LOCATOR_LEN: usize = 2048;

/// Length of a routing context's fixed fields: timestamp and the two
/// length prefixes.
pub const ROUTING_CONTEXT_FIXED_LEN: usize = 8 + 2 + 2;

/// Length of a report's fixed fields (SPEC.md §19.5): version, type,
/// flags, content type, sent_at, two identity keys, `kf`, `cf`, the stamp's
/// tag, the routing context's fixed fields, `body_len`.
pub const REPORT_FIXED_LEN: usize =
    1 + 1 + 1 + 1 + 8 + 32 + 32 + 32 + 32 + 32 + ROUTING_CONTEXT_FIXED_LEN + 4;

/// Largest report: the largest body, routing ids and attachment.
pub const MAX_REPORT_LEN: usize =
    REPORT_FIXED_LEN + 2 * MAX_ROUTING_ID_LEN + MAX_BODY_LEN + 4 + MAX_REPORT_ATTACHMENT_LEN;

/// Previous sessions a [`DeviceSessions`](crate::devices::DeviceSessions)
/// keeps besides its current one (SPEC.md §21.2); the oldest is dropped
/// (and its keys zeroized) when a 41st would be added.
pub const MAX_PREVIOUS_SESSIONS: usize = 40;

/// Devices a [`DeviceList`](crate::devices::DeviceList) holds for one user
/// (SPEC.md §21.1).
pub const MAX_DEVICES_PER_USER: usize = 32;

/// Longest user id of a [`DeviceAddress`](crate::DeviceAddress) in a
/// device list, in bytes (SPEC.md §21.1).
pub const MAX_USER_ID_LEN: usize = 255;

/// Least time between two recovery requests one device makes for the same
/// peer device, and between two restarts it makes on a peer's requests
/// (receiver's clock, SPEC.md §21.4).
pub const RECOVERY_INTERVAL_MS: u64 = 60_000;

/// Length of a recovery request (SPEC.md §21.4): version, type, two
/// identity keys, the failed message's ratchet key and counter, the
/// request time and the signature.
pub const RECOVERY_REQUEST_LEN: usize = 1 + 1 + 32 + 32 + 32 + 4 + 8 + 64;

/// Server keys a [`TrustedServerKeys`](crate::sealed::TrustedServerKeys)
/// pins at once (the current key and older ones during a rotation,
/// SPEC.md §22.1).
pub const MAX_TRUSTED_SERVER_KEYS: usize = 8;

/// Length of a sender certificate's fixed fields (SPEC.md §22.1): version,
/// type, server key id, expiry, identity key, device id, user id length,
/// signature.
pub const SENDER_CERTIFICATE_FIXED_LEN: usize = 1 + 1 + 4 + 8 + 32 + 4 + 1 + 64;

/// Largest sender certificate: the fixed fields and a user id of
/// [`MAX_USER_ID_LEN`] bytes.
pub const MAX_SENDER_CERTIFICATE_LEN: usize = SENDER_CERTIFICATE_FIXED_LEN + MAX_USER_ID_LEN;

/// Largest sealed envelope (SPEC.md §22.2): version, type, ephemeral key,
/// franking commitment, and the encryption of the certificate's length,
/// the largest certificate and the largest message, with the tag.
pub const MAX_SEALED_LEN: usize =
    1 + 1 + 32 + FRANKING_COMMITMENT_LEN + 2 + MAX_SENDER_CERTIFICATE_LEN + MAX_MESSAGE_LEN + 16;

/// Recipients of one multi-recipient sealed message (SPEC.md §22.4); a
/// larger audience takes several messages.
pub const MAX_SEALED_RECIPIENTS: usize = 4096;

/// Length of one recipient's entry in a multi-recipient sealed message:
/// identity key, wrapped secret `C`, tag `AT`.
pub const SEALED_RECIPIENT_ENTRY_LEN: usize = 32 + 32 + 16;

/// Largest body of a multi-recipient sealed message: the encryption of the
/// certificate's length, the largest certificate and the largest group
/// post (`group::MAX_POST_LEN` = 38 + [`MAX_FRAME_LEN`] + 64), with the tag.
pub const MAX_SEALED_POST_BODY_LEN: usize =
    2 + MAX_SENDER_CERTIFICATE_LEN + (38 + MAX_FRAME_LEN + 64) + 16;

/// Largest multi-recipient sealed message (SPEC.md §22.4): version, type,
/// ephemeral key, recipient count, [`MAX_SEALED_RECIPIENTS`] entries and
/// the largest body.
pub const MAX_MULTI_RECIPIENT_LEN: usize =
    1 + 1 + 32 + 2 + MAX_SEALED_RECIPIENTS * SEALED_RECIPIENT_ENTRY_LEN + MAX_SEALED_POST_BODY_LEN;

/// Largest sealed post, one recipient's part of a multi-recipient message
/// (SPEC.md §22.4): version, type, ephemeral key, `C`, `AT` and the
/// largest body.
pub const MAX_SEALED_POST_LEN: usize = 1 + 1 + 32 + 32 + 16 + MAX_SEALED_POST_BODY_LEN;

/// Certificates a [`TrustedServerKeys`](crate::sealed::TrustedServerKeys)
/// remembers having verified (by SHA-256 of their encoding), so that the
/// messages of one sender cost one signature verification per certificate,
/// not per message; the oldest is forgotten first (SPEC.md §22.5).
pub const MAX_VERIFIED_CERTIFICATES: usize = 64;
