"""A ctypes binding of the sealwire C API (ffi/include/sealwire.h): a test
of the C ABI, run by ffi/ci.sh. It is not the Python package: that is
`sealwire` in python/ (PyO3, `pip install ./python`).

Standard library only. The shared library is found through the environment
variable SEALWIRE_LIB (a path to libsealwire_ffi.so), else in the
repository's target/debug or target/release (build it with
`cargo build -p sealwire-ffi`).

    import sealwire as sw

    bob_id = sw.Identity.generate()
    bob_prekeys = sw.PrekeyStore(bob_id)
    [opk] = bob_prekeys.generate_one_time_prekeys(1)
    published = bob_prekeys.bundle(bob_id, opk)

    alice_id = sw.Identity.generate()
    alice = sw.Session.initiate(alice_id, sw.Bundle.parse(published))
    hello = alice.encrypt(b"hello Bob")
    bob, received = sw.Session.accept(bob_id, bob_prekeys, hello)
    assert received.plaintext == b"hello Bob"

Post-quantum (PQXDH, ML-KEM-768): `sw.PrekeyStore.new_pq(bob_id)` makes a
store whose bundles carry a PQ prekey; sessions started from them use PQXDH
(`Session.key_agreement()` is KeyAgreement.PQXDH, in either phase and on
both sides; show it, warn when it is not), and `store.require_pq = True`
refuses classic ones (Code.SESSION_PQ_REQUIRED).

Message franking (abuse reports, SPEC.md §19): `Session.encrypt_franked`
sends a reportable message; `Received.franking` is its evidence. The relay
(`RelayKey`) stamps each franked message (`RelayKey.stamp_message`) and
verifies reports (`RelayKey.verify_report` -> VerifiedReport); the recipient
builds one with `report(received, own_identity, stamp)`. Attachments:
`AttachmentPointer`, `attachment_key`, `attachment_encrypt`.

Several devices per user (SPEC.md §21): a `DeviceList` per user (updated
from the server; identity changes held until `confirm_identity`), one
`DeviceSessions` per peer device, `encrypt_for_devices` (one body, one
message per device, all or nothing), and recovery requests
(`DeviceSessions.recovery_request`, `parse_recovery_request`,
`DeviceSessions.accept_recovery_request`) that heal a session a device lost.
Both save and load like the other handles (`save`, `load`, `save_sealed`,
`load_sealed`); `DeviceSessions.load` also takes a Session's blob, the
migration from one Session per device.

Every handle is freed when its Python object is collected, or at once with
close() or a `with` block. A handle is not thread-safe: use each from one
thread at a time. Errors raise SealwireError, whose `code` is a Code.
"""

import ctypes
import enum
import os
import pathlib
import time
from ctypes import (POINTER, byref, c_bool, c_char, c_size_t, c_uint8, c_uint32, c_uint64,
                    c_void_p)
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

__all__ = [
    "Code", "SealwireError", "ContentType", "ExpiryMode", "MessageExpiry", "PqPrekeyKind", "Timer",
    "Received", "Rng", "Identity", "PrekeyStore", "Bundle", "Session", "ExpiryQueue",
    "SafetyNumber", "Franking", "RelayKey", "VerifiedReport", "AttachmentPointer", "commitment_of",
    "report", "attachment_key", "attachment_encrypt", "now_ms", "library", "DeviceEventKind",
    "DeviceEvent", "DeviceList", "DeviceSessions", "DeviceMessage", "encrypt_for_devices",
    "RecoveryAction", "RecoveryRequestInfo", "parse_recovery_request",
]


class Code(enum.IntEnum):
    """The result codes of sealwire.h (stable numbers)."""

    OK = 0
    NULL_POINTER = 1
    BUFFER_TOO_SMALL = 2
    INVALID_ARGUMENT = 3
    INVALID_HANDLE = 4
    PANIC = 5
    INTERNAL = 6
    UNKNOWN_ERROR = 7
    DECODE_TRUNCATED = 100
    DECODE_TRAILING_BYTES = 101
    DECODE_UNSUPPORTED_VERSION = 102
    DECODE_UNEXPECTED_TYPE = 103
    DECODE_UNKNOWN_FLAGS = 104
    DECODE_INVALID_VALUE = 105
    DECODE_INVALID_KEY = 106
    DECODE_TOO_LARGE = 107
    SESSION_AUTHENTICATION_FAILED = 200
    SESSION_WEAK_PUBLIC_KEY = 201
    SESSION_DUPLICATE_MESSAGE = 202
    SESSION_TOO_MANY_SKIPPED = 203
    SESSION_COUNTER_OVERFLOW = 204
    SESSION_MESSAGE_TOO_LARGE = 205
    SESSION_UNKNOWN_SIGNED_PREKEY = 206
    SESSION_UNKNOWN_ONE_TIME_PREKEY = 207
    SESSION_MISMATCH = 208
    SESSION_UNEXPECTED_MESSAGE = 209
    SESSION_UNSUPPORTED_FEATURE = 210
    SESSION_INVALID_POLICY = 211
    SESSION_MESSAGE_KEY_ERASED = 212
    SESSION_NOT_ESTABLISHED = 213
    SESSION_PQ_REQUIRED = 214
    SESSION_UNKNOWN_PQ_PREKEY = 215
    SESSION_REPLAYED_PREKEY_MESSAGE = 216
    SESSION_NO_SESSION = 217
    SESSION_UNTRUSTED_IDENTITY = 218
    BUNDLE_INVALID_SIGNATURE = 300
    PREKEY_NOT_FOUND = 301
    EXPIRY_DUPLICATE_ID = 400
    EXPIRY_QUEUE_FULL = 401
    EXPIRY_NOT_FOUND = 402
    EXPIRY_INVALID_POLICY = 403
    SAFETY_NUMBER_MISMATCH = 500
    STATE_NOT_A_STATE_BLOB = 600
    STATE_WRONG_KIND = 601
    STATE_UNSUPPORTED_VERSION = 602
    STATE_TRUNCATED = 603
    STATE_CORRUPTED = 604
    STATE_MALFORMED = 605
    STATE_WRONG_STORAGE_KEY = 606
    STATE_SEALED = 607
    STATE_NOT_SEALED = 608
    STATE_WRONG_ADDRESS = 609
    STATE_UNBOUND_LEGACY = 610
    STATE_ADDRESS_BOUND = 611
    REPORT_BAD_STAMP = 700
    REPORT_BAD_COMMITMENT = 701
    REPORT_NOT_AN_ATTACHMENT = 702
    REPORT_ATTACHMENT_MISMATCH = 703
    REPORT_NOT_FRANKED = 704
    ATTACHMENT_MISMATCH = 705

    GROUP_WRONG_GROUP = 800
    GROUP_UNKNOWN_CHAIN = 801
    GROUP_BAD_SIGNATURE = 802
    GROUP_DUPLICATE_POST = 804
    GROUP_MESSAGE_KEY_EVICTED = 805
    GROUP_TOO_FAR_AHEAD = 806
    GROUP_COUNTER_OVERFLOW = 807
    GROUP_MESSAGE_TOO_LARGE = 808
    GROUP_INVALID_POLICY = 809
    GROUP_UNSUPPORTED_FEATURE = 810
    GROUP_INVALID_CONTENT_TYPE = 811
    GROUP_SENDER_MISMATCH = 812
    GROUP_NOT_A_MEMBER = 813
    GROUP_MODE_MISMATCH = 814
    GROUP_CHAIN_CONFLICT = 815
    GROUP_NOT_A_DISTRIBUTION = 816
    GROUP_ALREADY_MEMBER = 817
    GROUP_UNKNOWN_MEMBER = 818
    GROUP_IS_SELF = 819
    GROUP_FULL = 820
    GROUP_INVALID_ROTATION_POLICY = 821
    GROUP_NO_DISTRIBUTION = 822

    DEVICE_TOO_MANY_DEVICES = 900
    DEVICE_DUPLICATE_DEVICE = 901
    DEVICE_UNKNOWN_DEVICE = 902
    DEVICE_NO_PENDING_CHANGE = 903
    DEVICE_UNCONFIRMED_IDENTITY = 904
    DEVICE_NO_SESSION = 905
    RECOVERY_AUTHENTICATION_FAILED = 906
    RECOVERY_NOT_FOR_US = 907
    RECOVERY_UNKNOWN_SESSION = 908
    RECOVERY_REPLAYED_REQUEST = 909
    RECOVERY_TOO_MANY_REQUESTS = 910
    SEALED_AUTHENTICATION_FAILED = 1000
    SEALED_UNTRUSTED_SERVER_KEY = 1001
    SEALED_BAD_CERTIFICATE_SIGNATURE = 1002
    SEALED_CERTIFICATE_EXPIRED = 1003
    SEALED_SENDER_MISMATCH = 1004
    SEALED_TOO_MANY_SERVER_KEYS = 1005
    SEALED_INVALID_RECIPIENTS = 1006


class ContentType(enum.IntEnum):
    USER_MESSAGE = 1
    TIMER_CHANGE = 2
    GROUP_KEY_DISTRIBUTION = 3
    RECEIPT = 4


class ExpiryMode(enum.IntEnum):
    OFF = 0
    AFTER_SEND = 1
    AFTER_READ = 2


class MessageExpiry(enum.IntEnum):
    NEVER = 0
    AT = 1
    AFTER_READ = 2
    EXPIRED = 3


class KeyAgreement(enum.IntEnum):
    """The key agreement that set a session up (SPEC.md §3.7)."""

    UNRECORDED = 0  # loaded from an older (v2) blob that did not store it
    X3DH = 1
    PQXDH = 2


class DeviceEventKind(enum.IntEnum):
    """What a device list update changed for one device."""

    ADDED = 1
    REMOVED = 2
    IDENTITY_CHANGED = 3


class RecoveryAction(enum.IntEnum):
    """What to do after accepting a recovery request."""

    NONE = 0
    RESTART = 1  # the session stopped sending: fetch a bundle, initiate
    RESEND = 2  # the lost message's session is a previous one


class PqPrekeyKind(enum.IntEnum):
    """The kind of a bundle's post-quantum (ML-KEM-768) prekey."""

    NONE = 0
    ONE_TIME = 1
    LAST_RESORT = 2


def _find_library() -> str:
    explicit = os.environ.get("SEALWIRE_LIB")
    if explicit:
        return explicit
    root = pathlib.Path(__file__).resolve().parents[3]
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", root / "target"))
    if not target.is_absolute():
        target = root / target
    for profile in ("debug", "release"):
        for name in ("libsealwire_ffi.so", "libsealwire_ffi.dylib", "sealwire_ffi.dll"):
            candidate = target / profile / name
            if candidate.exists():
                return str(candidate)
    raise OSError("libsealwire_ffi not found: run `cargo build -p sealwire-ffi` or set SEALWIRE_LIB")


library = ctypes.CDLL(_find_library())

_p = c_void_p
_pp = POINTER(c_void_p)
_bytes = POINTER(c_uint8)
_size = c_size_t
_psize = POINTER(c_size_t)


class _Timer(ctypes.Structure):
    _fields_ = [("mode", c_uint32), ("ttl_secs", c_uint32), ("version", c_uint64)]


class _ReceivedInfo(ctypes.Structure):
    _fields_ = [
        ("content_type", c_uint32),
        ("message_number", c_uint32),
        ("sent_at_ms", c_uint64),
        ("expiry", c_uint32),
        ("expiry_ms", c_uint64),
        ("timer_changed", c_bool),
        ("timer_changed_by", c_uint32),
        ("timer_old", _Timer),
        ("timer_new", _Timer),
        ("sender", c_uint8 * 32),
        ("is_franked", c_bool),
        ("franking_key", c_uint8 * 32),
        ("commitment", c_uint8 * 32),
    ]


class _ReportInfo(ctypes.Structure):
    _fields_ = [
        ("content_type", c_uint32),
        ("has_attachment", c_bool),
        ("sent_at_ms", c_uint64),
        ("routing_timestamp_ms", c_uint64),
        ("sender", c_uint8 * 32),
        ("recipient", c_uint8 * 32),
    ]


class _BlobAddress(ctypes.Structure):
    _fields_ = [
        ("owner", c_uint8 * 32),
        ("has_peer_identity", c_bool),
        ("peer_identity", c_uint8 * 32),
        ("peer_name", POINTER(c_uint8)),
        ("peer_name_len", c_size_t),
        ("has_device_id", c_bool),
        ("device_id", c_uint32),
        ("context", POINTER(c_uint8)),
        ("context_len", c_size_t),
    ]


class _DeviceEntry(ctypes.Structure):
    _fields_ = [("device_id", c_uint32), ("identity", c_uint8 * 32)]


class _DeviceEvent(ctypes.Structure):
    _fields_ = [("kind", c_uint32), ("device_id", c_uint32), ("identity", c_uint8 * 32),
                ("old_identity", c_uint8 * 32)]


class _DeviceIdentity(ctypes.Structure):
    _fields_ = [("identity", c_uint8 * 32), ("has_announced", c_bool),
                ("announced", c_uint8 * 32)]


class _RecoveryRequestInfo(ctypes.Structure):
    _fields_ = [("requester", c_uint8 * 32), ("target", c_uint8 * 32),
                ("ratchet_key", c_uint8 * 32), ("counter", c_uint32),
                ("requested_at_ms", c_uint64)]


class _DeviceAddress(ctypes.Structure):
    _fields_ = [("user", POINTER(c_uint8)), ("user_len", c_size_t), ("device_id", c_uint32)]


class _DeviceSessionsEntry(ctypes.Structure):
    _fields_ = [("device_id", c_uint32), ("sessions", c_void_p)]


class _Recipient(ctypes.Structure):
    _fields_ = [("devices", c_void_p), ("sessions", POINTER(_DeviceSessionsEntry)),
                ("sessions_len", c_size_t)]


class _DeviceFailure(ctypes.Structure):
    _fields_ = [("failed", c_bool), ("device_id", c_uint32), ("recipient_index", c_size_t)]


class _DeviceMessageInfo(ctypes.Structure):
    _fields_ = [("recipient_index", c_size_t), ("device_id", c_uint32),
                ("message_len", c_size_t)]


# name: argument types (every function returns sw_result, a uint32_t, except
# the _free functions).
_SIGNATURES = {
    "sw_rng_new_os": [_pp],
    "sw_rng_danger_new_seeded": [_bytes, _size, _pp],
    "sw_identity_new": [_p, _pp],
    "sw_identity_from_seed": [_bytes, _size, _pp],
    "sw_identity_public_key": [_p, _bytes, _size, _psize],
    "sw_identity_danger_export_seed": [_p, _bytes, _size, _psize],
    "sw_prekey_store_new": [_p, _p, _pp],
    "sw_prekey_store_new_pq": [_p, _p, _pp],
    "sw_prekey_store_generate_one_time_prekeys": [_p, _p, _size, POINTER(c_uint32), _size, _psize],
    "sw_prekey_store_one_time_prekey_count": [_p, _psize],
    "sw_prekey_store_one_time_prekey_ids": [_p, POINTER(c_uint32), _size, _psize],
    "sw_prekey_store_rotate_signed_prekey": [_p, _p, _p, POINTER(c_uint32)],
    "sw_prekey_store_rotate_last_resort_pq_prekey": [_p, _p, _p, POINTER(c_uint32)],
    "sw_prekey_store_last_resort_pq_prekey_id": [_p, POINTER(c_bool), POINTER(c_uint32)],
    "sw_prekey_store_generate_pq_one_time_prekeys": [_p, _p, _p, _size, _psize],
    "sw_prekey_store_pq_one_time_prekey_count": [_p, _psize],
    "sw_prekey_store_pq_one_time_prekey_ids": [_p, POINTER(c_uint32), _size, _psize],
    "sw_prekey_store_set_require_pq": [_p, c_bool],
    "sw_prekey_store_requires_pq": [_p, POINTER(c_bool)],
    "sw_prekey_store_bundle": [_p, _p, _bytes, _size, _psize],
    "sw_prekey_store_bundle_with_one_time_prekey": [_p, _p, c_uint32, _bytes, _size, _psize],
    "sw_prekey_store_bundle_with_pq": [_p, _p, c_bool, c_uint32, c_bool, c_uint32, _bytes,
                                       _size, _psize],
    "sw_bundle_parse": [_bytes, _size, _pp],
    "sw_bundle_encode": [_p, _bytes, _size, _psize],
    "sw_bundle_identity_key": [_p, _bytes, _size, _psize],
    "sw_bundle_signed_prekey_id": [_p, POINTER(c_uint32)],
    "sw_bundle_one_time_prekey_id": [_p, POINTER(c_bool), POINTER(c_uint32)],
    "sw_bundle_pq_prekey_id": [_p, POINTER(c_bool), POINTER(c_uint32), POINTER(c_uint32)],
    "sw_session_initiate": [_p, _p, _p, _pp],
    "sw_session_accept": [_p, _p, c_uint64, _bytes, _size, _bytes, _size, _psize,
                          POINTER(_ReceivedInfo), _pp],
    "sw_session_is_established": [_p, POINTER(c_bool)],
    "sw_session_is_post_quantum": [_p, POINTER(c_bool), POINTER(c_bool)],
    "sw_session_key_agreement": [_p, POINTER(c_uint32)],
    "sw_session_their_identity": [_p, _bytes, _size, _psize],
    "sw_session_encrypted_len": [_p, _size, _psize],
    "sw_session_encrypt": [_p, _p, c_uint64, c_uint32, _bytes, _size, _bytes, _size, _psize],
    "sw_session_decrypt": [_p, c_uint64, _bytes, _size, _bytes, _size, _psize,
                           POINTER(_ReceivedInfo)],
    "sw_session_timer": [_p, POINTER(_Timer)],
    "sw_session_set_timer": [_p, _p, c_uint64, c_uint32, c_uint32, _bytes, _size, _psize],
    "sw_session_next_key_erasure": [_p, POINTER(c_bool), POINTER(c_uint64)],
    "sw_session_erase_expired_keys": [_p, c_uint64],
    "sw_session_skipped_key_count": [_p, _psize],
    "sw_session_set_max_skipped_key_age": [_p, c_uint64, c_uint64],
    "sw_expiry_queue_new": [_pp],
    "sw_expiry_queue_len": [_p, _psize],
    "sw_expiry_queue_insert_at": [_p, _bytes, _size, c_uint64],
    "sw_expiry_queue_insert_after_read": [_p, _bytes, _size, c_uint64],
    "sw_expiry_queue_mark_read": [_p, _bytes, _size, c_uint64, POINTER(c_uint64)],
    "sw_expiry_queue_remove": [_p, _bytes, _size],
    "sw_expiry_queue_get": [_p, _bytes, _size, POINTER(c_uint32), POINTER(c_uint64)],
    "sw_expiry_queue_next_deadline": [_p, POINTER(c_bool), POINTER(c_uint64)],
    "sw_expiry_queue_pop_expired": [_p, c_uint64, _bytes, _size, _psize],
    "sw_expiry_queue_encode": [_p, _bytes, _size, _psize],
    "sw_expiry_queue_decode": [_bytes, _size, _pp],
    "sw_safety_number_new": [_bytes, _size, _bytes, _size, _bytes, _size, _bytes, _size, _pp],
    "sw_safety_number_displayable": [_p, POINTER(c_char), _size, _psize],
    "sw_safety_number_scannable": [_p, _bytes, _size, _psize],
    "sw_safety_number_verify_scanned": [_p, _bytes, _size],
    "sw_session_franked_encrypted_len": [_p, _size, _psize],
    "sw_session_encrypt_franked": [_p, _p, c_uint64, c_uint32, _bytes, _size, _bytes, _size,
                                   _psize],
    "sw_relay_key_new": [_p, _pp],
    "sw_relay_key_from_bytes": [_bytes, _size, _pp],
    "sw_relay_key_danger_export": [_p, _bytes, _size, _psize],
    "sw_commitment_of": [_bytes, _size, _bytes, _size, _psize],
    "sw_relay_stamp_message": [_p, _bytes, _size, _bytes, _size, _bytes, _size, c_uint64, _bytes,
                               _size, _psize],
    "sw_relay_verify_report": [_p, _bytes, _size, _pp],
    "sw_verified_report_info": [_p, POINTER(_ReportInfo)],
    "sw_verified_report_body": [_p, _bytes, _size, _psize],
    "sw_verified_report_routing_sender": [_p, _bytes, _size, _psize],
    "sw_verified_report_routing_recipient": [_p, _bytes, _size, _psize],
    "sw_verified_report_attachment": [_p, _bytes, _size, _psize],
    "sw_report_from_received": [_p, POINTER(_ReceivedInfo), _bytes, _size, _bytes, _size, _bytes,
                                _size, _psize],
    "sw_report_from_received_with_attachment": [_p, POINTER(_ReceivedInfo), _bytes, _size, _bytes,
                                                _size, _bytes, _size, _bytes, _size, _psize],
    "sw_attachment_key_new": [_p, _bytes, _size, _psize],
    "sw_attachment_encrypt": [_bytes, _size, _bytes, _size, _bytes, _size, _psize],
    "sw_attachment_pointer_new": [_bytes, _size, _bytes, _size, _bytes, _size, _bytes, _size, _pp],
    "sw_attachment_pointer_parse": [_bytes, _size, _pp],
    "sw_attachment_pointer_encode": [_p, _bytes, _size, _psize],
    "sw_attachment_pointer_size": [_p, POINTER(c_uint64)],
    "sw_attachment_pointer_media_type": [_p, _bytes, _size, _psize],
    "sw_attachment_pointer_locator": [_p, _bytes, _size, _psize],
    "sw_attachment_pointer_verify": [_p, _bytes, _size],
    "sw_attachment_pointer_decrypt": [_p, _bytes, _size, _bytes, _size, _psize],
    "sw_device_list_new": [_bytes, _size, _pp],
    "sw_device_list_update": [_p, POINTER(_DeviceEntry), _size, POINTER(_DeviceEvent), _size,
                              _psize],
    "sw_device_list_confirm_identity": [_p, c_uint32, _bytes, _size],
    "sw_device_list_identity": [_p, c_uint32, POINTER(_DeviceIdentity), POINTER(c_bool)],
    "sw_device_list_len": [_p, _psize],
    "sw_device_list_device_ids": [_p, POINTER(c_uint32), _size, _psize],
    "sw_device_list_user": [_p, _bytes, _size, _psize],
    "sw_device_sessions_new": [_pp],
    "sw_device_sessions_initiate": [_p, _p, _p, _bytes, _size, _bytes, _size],
    "sw_device_sessions_encrypted_len": [_p, _size, c_bool, _psize],
    "sw_device_sessions_encrypt": [_p, _p, c_uint64, _bytes, _size, c_uint32, c_bool, _bytes,
                                   _size, _bytes, _size, _psize],
    "sw_device_sessions_decrypt": [_p, _p, _p, _bytes, _size, c_uint64, _bytes, _size, _bytes,
                                   _size, _psize, POINTER(_ReceivedInfo)],
    "sw_device_sessions_has_current": [_p, POINTER(c_bool)],
    "sw_device_sessions_is_established": [_p, POINTER(c_bool)],
    "sw_device_sessions_previous_count": [_p, _psize],
    "sw_device_sessions_their_identity": [_p, _bytes, _size, _psize],
    "sw_recovery_request_parse": [_bytes, _size, POINTER(_RecoveryRequestInfo)],
    "sw_device_sessions_recovery_request": [_p, _p, _bytes, _size, c_uint64, _bytes, _size,
                                            _bytes, _size, _psize],
    "sw_device_sessions_accept_recovery_request": [_p, _p, _bytes, _size, c_uint64, _bytes,
                                                   _size, POINTER(c_uint32), POINTER(c_uint32)],
    "sw_encrypt_for_devices": [_p, c_uint64, c_uint32, c_bool, _bytes, _size,
                               POINTER(_DeviceAddress), POINTER(_Recipient), _size,
                               POINTER(_DeviceFailure), _pp],
    "sw_device_messages_count": [_p, _psize],
    "sw_device_messages_info": [_p, _size, POINTER(_DeviceMessageInfo)],
    "sw_device_messages_message": [_p, _size, _bytes, _size, _psize],
    "sw_device_messages_user": [_p, _size, _bytes, _size, _psize],
}
for _kind in ("identity", "prekey_store", "session", "expiry_queue", "device_list",
              "device_sessions"):
    _SIGNATURES[f"sw_{_kind}_save"] = [_p, _bytes, _size, _psize]
    _SIGNATURES[f"sw_{_kind}_load"] = [_bytes, _size, _pp]
    _SIGNATURES[f"sw_{_kind}_save_sealed"] = [_p, _p, _bytes, _size, POINTER(_BlobAddress),
                                              _bytes, _size, _psize]
    _SIGNATURES[f"sw_{_kind}_load_sealed"] = [_bytes, _size, POINTER(_BlobAddress), _bytes,
                                              _size, _pp]
    if _kind != "device_list":  # device lists were never sealed unbound
        _SIGNATURES[f"sw_{_kind}_load_sealed_legacy"] = [_bytes, _size, _bytes, _size, _pp]

# The three functions that return a static string, not an sw_result.
for _name in ("sw_result_message", "sw_last_error_detail", "sw_version"):
    _f = getattr(library, _name)
    _f.argtypes = [c_uint32] if _name == "sw_result_message" else []
    _f.restype = ctypes.c_char_p

# Only in a library built with the `test-utils` cargo feature.
_TEST_ONLY = {"sw_rng_danger_new_seeded"}
for _name, _args in _SIGNATURES.items():
    if _name in _TEST_ONLY and not hasattr(library, _name):
        continue
    _f = getattr(library, _name)
    _f.argtypes = _args
    _f.restype = c_uint32
for _kind in ("rng", "identity", "prekey_store", "bundle", "session", "expiry_queue",
              "safety_number", "relay_key", "verified_report", "attachment_pointer",
              "device_list", "device_sessions", "device_messages"):
    _f = getattr(library, f"sw_{_kind}_free")
    _f.argtypes = [_p]
    _f.restype = None


def now_ms() -> int:
    """The system clock in Unix milliseconds (the library reads no clock)."""
    return time.time_ns() // 1_000_000


def _message(code: int) -> str:
    return library.sw_result_message(code).decode()


def version() -> str:
    """The C library's version ("0.1.0")."""
    return library.sw_version().decode()


class SealwireError(Exception):
    """A sealwire call failed; `code` says why (a Code, or the raw number),
    `detail` what exactly was wrong (`sw_last_error_detail`: which argument
    or field)."""

    def __init__(self, code: int, function: str, detail: Optional[str] = None):
        try:
            self.code = Code(code)
        except ValueError:
            self.code = code
        self.function = function
        if detail is None:
            detail = library.sw_last_error_detail().decode()
        self.detail = detail
        super().__init__(f"{function}: {_message(code)} ({getattr(self.code, 'name', code)})"
                         + (f": {detail}" if detail and detail != _message(code) else ""))


def _call(name: str, *args) -> None:
    rc = getattr(library, name)(*args)
    if rc != Code.OK:
        raise SealwireError(rc, name)


def _in(data: bytes):
    """An input buffer: (a copy of the bytes, length); NULL for no bytes."""
    data = bytes(data)
    if not data:
        return None, 0
    return (c_uint8 * len(data)).from_buffer_copy(data), len(data)


def _out_bytes(name: str, *args) -> bytes:
    """Calls a function ending in (buf, buf_len, out_len): a size query, then
    the call with a buffer of the size needed."""
    n = c_size_t()
    rc = getattr(library, name)(*args, None, 0, byref(n))
    if rc == Code.OK:
        return b""
    if rc != Code.BUFFER_TOO_SMALL:
        raise SealwireError(rc, name)
    buf = (c_uint8 * n.value)()
    _call(name, *args, buf, n.value, byref(n))
    return bytes(buf[: n.value])


class _Handle:
    _free = ""

    def __init__(self, ptr: c_void_p):
        self._ptr = ptr

    @property
    def ptr(self) -> c_void_p:
        if not self._ptr:
            raise ValueError(f"{type(self).__name__} is closed")
        return self._ptr

    def close(self) -> None:
        """Frees the handle now (it is freed on collection otherwise)."""
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr:
            getattr(library, self._free)(ptr)

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @classmethod
    def _make(cls, name: str, *args):
        out = c_void_p()
        _call(name, *args, byref(out))
        return cls(out)


def _rng(rng: Optional["Rng"]):
    return rng.ptr if rng is not None else None


@dataclass(frozen=True)
class BlobAddress:
    """Where a sealed blob belongs (STORAGE.md §1): our identity key, and
    optionally the peer's identity key, the app's name for the peer, its
    device id and an app context. A blob opens only with the address it was
    sealed with (else STATE_WRONG_ADDRESS)."""

    owner: bytes
    peer_identity: Optional[bytes] = None
    peer_name: Optional[bytes] = None
    device_id: Optional[int] = None
    context: Optional[bytes] = None

    def _c(self):
        """The C struct and the buffers it points into (kept alive)."""
        a = _BlobAddress()
        a.owner[:] = bytes(self.owner)
        if self.peer_identity is not None:
            a.has_peer_identity = True
            a.peer_identity[:] = bytes(self.peer_identity)
        keep = []
        for field, value in (("peer_name", self.peer_name), ("context", self.context)):
            if value is not None:
                buf = (c_uint8 * max(len(value), 1)).from_buffer_copy(bytes(value) or b"\0")
                keep.append(buf)
                setattr(a, field, ctypes.cast(buf, POINTER(c_uint8)))
                setattr(a, field + "_len", len(value))
        if self.device_id is not None:
            a.has_device_id = True
            a.device_id = self.device_id
        return a, keep


class _Persisted(_Handle):
    """save/load, plain and sealed under a 32-byte storage key."""

    _kind = ""

    def save(self) -> bytes:
        """The plain state blob (secrets in the clear: store it encrypted)."""
        return _out_bytes(f"sw_{self._kind}_save", self.ptr)

    def save_sealed(self, key: bytes, address: BlobAddress,
                    rng: Optional["Rng"] = None) -> bytes:
        """The state blob sealed (AES-256-GCM) under the 32-byte storage key,
        bound to where it is stored."""
        a, _keep = address._c()
        return _out_bytes(f"sw_{self._kind}_save_sealed", _rng(rng), self.ptr, *_in(key),
                          byref(a))

    @classmethod
    def load(cls, blob: bytes):
        return cls._make(f"sw_{cls._kind}_load", *_in(blob))

    @classmethod
    def load_sealed(cls, key: bytes, address: BlobAddress, blob: bytes):
        a, _keep = address._c()
        return cls._make(f"sw_{cls._kind}_load_sealed", *_in(key), byref(a), *_in(blob))


class _PersistedLegacy(_Persisted):
    """_Persisted, and the one-time migration of legacy sealed blobs."""

    @classmethod
    def load_sealed_legacy(cls, key: bytes, blob: bytes):
        """A legacy sealed blob (not bound to an address), for a one-time
        migration: save it again with save_sealed and its address."""
        return cls._make(f"sw_{cls._kind}_load_sealed_legacy", *_in(key), *_in(blob))


class Rng(_Handle):
    """A source of randomness. Pass None anywhere for the OS generator."""

    _free = "sw_rng_free"

    @classmethod
    def os(cls) -> "Rng":
        return cls._make("sw_rng_new_os")

    @classmethod
    def danger_seeded(cls, seed: bytes) -> "Rng":
        """DANGER, tests only: output fully determined by the 32-byte seed."""
        return cls._make("sw_rng_danger_new_seeded", *_in(seed))


class Identity(_PersistedLegacy):
    """Our long-term identity key pair."""

    _free = "sw_identity_free"
    _kind = "identity"

    @classmethod
    def generate(cls, rng: Optional[Rng] = None) -> "Identity":
        return cls._make("sw_identity_new", _rng(rng))

    @classmethod
    def from_seed(cls, seed: bytes) -> "Identity":
        return cls._make("sw_identity_from_seed", *_in(seed))

    def public_key(self) -> bytes:
        return _out_bytes("sw_identity_public_key", self.ptr)


class PrekeyStore(_PersistedLegacy):
    """Our signed and one-time prekeys, and the post-quantum (ML-KEM-768)
    ones: a store made by new_pq, or given a last-resort PQ prekey, hands
    out bundles that make initiators use PQXDH."""

    _free = "sw_prekey_store_free"
    _kind = "prekey_store"

    def __init__(self, identity_or_ptr, rng: Optional[Rng] = None):
        if isinstance(identity_or_ptr, Identity):
            out = c_void_p()
            _call("sw_prekey_store_new", _rng(rng), identity_or_ptr.ptr, byref(out))
            identity_or_ptr = out
        super().__init__(identity_or_ptr)

    @classmethod
    def new_pq(cls, identity: Identity, rng: Optional[Rng] = None) -> "PrekeyStore":
        """A store with a signed prekey and a last-resort PQ prekey."""
        return cls._make("sw_prekey_store_new_pq", _rng(rng), identity.ptr)

    def generate_one_time_prekeys(self, count: int, rng: Optional[Rng] = None) -> List[int]:
        ids = (c_uint32 * count)()
        n = c_size_t()
        _call("sw_prekey_store_generate_one_time_prekeys", _rng(rng), self.ptr, count, ids, count,
              byref(n))
        return list(ids[: n.value])

    def one_time_prekey_count(self) -> int:
        n = c_size_t()
        _call("sw_prekey_store_one_time_prekey_count", self.ptr, byref(n))
        return n.value

    def rotate_signed_prekey(self, identity: Identity, rng: Optional[Rng] = None) -> int:
        new_id = c_uint32()
        _call("sw_prekey_store_rotate_signed_prekey", _rng(rng), self.ptr, identity.ptr,
              byref(new_id))
        return new_id.value

    def rotate_last_resort_pq_prekey(self, identity: Identity, rng: Optional[Rng] = None) -> int:
        """A new current last-resort PQ prekey; returns its id."""
        new_id = c_uint32()
        _call("sw_prekey_store_rotate_last_resort_pq_prekey", _rng(rng), self.ptr, identity.ptr,
              byref(new_id))
        return new_id.value

    def last_resort_pq_prekey_id(self) -> Optional[int]:
        """The current last-resort PQ prekey's id, None for a classic store."""
        present = c_bool()
        key_id = c_uint32()
        _call("sw_prekey_store_last_resort_pq_prekey_id", self.ptr, byref(present), byref(key_id))
        return key_id.value if present.value else None

    def generate_pq_one_time_prekeys(self, identity: Identity, count: int,
                                     rng: Optional[Rng] = None) -> List[int]:
        """Generates up to `count` one-time PQ prekeys; returns the new ids."""
        held = set(self.pq_one_time_prekey_ids())
        n = c_size_t()
        _call("sw_prekey_store_generate_pq_one_time_prekeys", _rng(rng), self.ptr, identity.ptr,
              count, byref(n))
        return [i for i in self.pq_one_time_prekey_ids() if i not in held]

    def pq_one_time_prekey_count(self) -> int:
        n = c_size_t()
        _call("sw_prekey_store_pq_one_time_prekey_count", self.ptr, byref(n))
        return n.value

    def pq_one_time_prekey_ids(self) -> List[int]:
        n = c_size_t(self.pq_one_time_prekey_count())
        ids = (c_uint32 * max(n.value, 1))()
        _call("sw_prekey_store_pq_one_time_prekey_ids", self.ptr, ids, n.value, byref(n))
        return list(ids[: n.value])

    @property
    def require_pq(self) -> bool:
        """Whether classic (X3DH) prekey messages are refused
        (Code.SESSION_PQ_REQUIRED). Saved with the store."""
        flag = c_bool()
        _call("sw_prekey_store_requires_pq", self.ptr, byref(flag))
        return flag.value

    @require_pq.setter
    def require_pq(self, required: bool) -> None:
        _call("sw_prekey_store_set_require_pq", self.ptr, bool(required))

    def bundle(self, identity: Identity, one_time_prekey_id: Optional[int] = None,
               pq_one_time_prekey_id: Optional[int] = None) -> bytes:
        """The encoded bundle to publish: with the one-time prekey and the
        one-time PQ prekey named, else the last-resort PQ prekey (if any)."""
        if pq_one_time_prekey_id is not None:
            return _out_bytes("sw_prekey_store_bundle_with_pq", self.ptr, identity.ptr,
                              one_time_prekey_id is not None, one_time_prekey_id or 0, True,
                              pq_one_time_prekey_id)
        if one_time_prekey_id is None:
            return _out_bytes("sw_prekey_store_bundle", self.ptr, identity.ptr)
        return _out_bytes("sw_prekey_store_bundle_with_one_time_prekey", self.ptr, identity.ptr,
                          one_time_prekey_id)


class Bundle(_Handle):
    """A peer's prekey bundle, verified."""

    _free = "sw_bundle_free"

    @classmethod
    def parse(cls, data: bytes) -> "Bundle":
        return cls._make("sw_bundle_parse", *_in(data))

    def identity_key(self) -> bytes:
        return _out_bytes("sw_bundle_identity_key", self.ptr)

    def encode(self) -> bytes:
        return _out_bytes("sw_bundle_encode", self.ptr)

    def pq_prekey(self) -> Optional[Tuple[int, PqPrekeyKind]]:
        """(id, kind) of the bundle's PQ prekey, None for a classic bundle."""
        present = c_bool()
        key_id = c_uint32()
        kind = c_uint32()
        _call("sw_bundle_pq_prekey_id", self.ptr, byref(present), byref(key_id), byref(kind))
        return (key_id.value, PqPrekeyKind(kind.value)) if present.value else None


@dataclass(frozen=True)
class Timer:
    mode: ExpiryMode
    ttl_secs: int
    version: int

    @classmethod
    def _from(cls, t: _Timer) -> "Timer":
        return cls(ExpiryMode(t.mode), t.ttl_secs, t.version)


@dataclass(frozen=True)
class Franking:
    """The franking evidence of a received franked message: keep it with
    the message (and the relay's stamp) to be able to report it."""

    key: bytes
    commitment: bytes


@dataclass(frozen=True)
class Received:
    """A decrypted message and its metadata; `franking` is None unless the
    message was franked."""

    plaintext: bytes
    content_type: ContentType
    message_number: int
    sent_at_ms: int
    sender: bytes
    expiry: MessageExpiry
    expiry_ms: int
    timer_change: Optional[Tuple[Timer, Timer]]
    franking: Optional[Franking] = None

    @classmethod
    def _from(cls, plaintext: bytes, info: _ReceivedInfo) -> "Received":
        change = None
        if info.timer_changed:
            change = (Timer._from(info.timer_old), Timer._from(info.timer_new))
        franking = None
        if info.is_franked:
            franking = Franking(bytes(info.franking_key), bytes(info.commitment))
        return cls(plaintext, ContentType(info.content_type), info.message_number,
                   info.sent_at_ms, bytes(info.sender), MessageExpiry(info.expiry),
                   info.expiry_ms, change, franking)

    def _info(self) -> _ReceivedInfo:
        """The `sw_received_info` fields a report reads."""
        info = _ReceivedInfo()
        info.content_type = self.content_type
        info.message_number = self.message_number
        info.sent_at_ms = self.sent_at_ms
        info.sender = (c_uint8 * 32)(*self.sender)
        if self.franking is not None:
            info.is_franked = True
            info.franking_key = (c_uint8 * 32)(*self.franking.key)
            info.commitment = (c_uint8 * 32)(*self.franking.commitment)
        return info


class Session(_PersistedLegacy):
    """A 1:1 session, pending (initiator, until the first reply) or
    established."""

    _free = "sw_session_free"
    _kind = "session"

    @classmethod
    def initiate(cls, identity: Identity, bundle: Bundle, rng: Optional[Rng] = None) -> "Session":
        return cls._make("sw_session_initiate", _rng(rng), identity.ptr, bundle.ptr)

    @classmethod
    def accept(cls, identity: Identity, prekeys: PrekeyStore, message: bytes,
               now: Optional[int] = None) -> Tuple["Session", Received]:
        now = now_ms() if now is None else now
        plain = (c_uint8 * max(len(message), 1))()
        n = c_size_t()
        info = _ReceivedInfo()
        out = c_void_p()
        _call("sw_session_accept", identity.ptr, prekeys.ptr, now, *_in(message), plain,
              len(message), byref(n), byref(info), byref(out))
        return cls(out), Received._from(bytes(plain[: n.value]), info)

    def is_established(self) -> bool:
        flag = c_bool()
        _call("sw_session_is_established", self.ptr, byref(flag))
        return flag.value

    def is_post_quantum(self) -> Optional[bool]:
        """Whether the key agreement was PQXDH (True or False), None for a
        session loaded from an older blob that did not record it."""
        known = c_bool()
        pq = c_bool()
        _call("sw_session_is_post_quantum", self.ptr, byref(known), byref(pq))
        return pq.value if known.value else None

    def key_agreement(self) -> KeyAgreement:
        """X3DH or PQXDH, in either phase and on both sides; UNRECORDED for
        an initiator's established session loaded from a v2 blob."""
        value = c_uint32()
        _call("sw_session_key_agreement", self.ptr, byref(value))
        return KeyAgreement(value.value)

    def their_identity(self) -> bytes:
        return _out_bytes("sw_session_their_identity", self.ptr)

    def encrypt(self, body: bytes, now: Optional[int] = None, rng: Optional[Rng] = None,
                content_type: ContentType = ContentType.USER_MESSAGE) -> bytes:
        now = now_ms() if now is None else now
        need = c_size_t()
        _call("sw_session_encrypted_len", self.ptr, len(body), byref(need))
        out = (c_uint8 * need.value)()
        n = c_size_t()
        _call("sw_session_encrypt", _rng(rng), self.ptr, now, content_type, *_in(body), out,
              need.value, byref(n))
        return bytes(out[: n.value])

    def encrypt_franked(self, body: bytes, now: Optional[int] = None, rng: Optional[Rng] = None,
                        content_type: ContentType = ContentType.USER_MESSAGE) -> bytes:
        """A franked message: reportable by the recipient to the relay."""
        now = now_ms() if now is None else now
        need = c_size_t()
        _call("sw_session_franked_encrypted_len", self.ptr, len(body), byref(need))
        out = (c_uint8 * need.value)()
        n = c_size_t()
        _call("sw_session_encrypt_franked", _rng(rng), self.ptr, now, content_type, *_in(body),
              out, need.value, byref(n))
        return bytes(out[: n.value])

    def decrypt(self, message: bytes, now: Optional[int] = None) -> Received:
        """Decrypts; raises SealwireError (session unchanged) on a forged,
        replayed or foreign message."""
        now = now_ms() if now is None else now
        plain = (c_uint8 * max(len(message), 1))()
        n = c_size_t()
        info = _ReceivedInfo()
        _call("sw_session_decrypt", self.ptr, now, *_in(message), plain, len(message), byref(n),
              byref(info))
        return Received._from(bytes(plain[: n.value]), info)

    def timer(self) -> Timer:
        t = _Timer()
        _call("sw_session_timer", self.ptr, byref(t))
        return Timer._from(t)

    def set_timer(self, mode: ExpiryMode, ttl_secs: int = 0, now: Optional[int] = None,
                  rng: Optional[Rng] = None) -> bytes:
        """Changes the disappearing-message timer; returns the message to send."""
        now = now_ms() if now is None else now
        return _out_bytes("sw_session_set_timer", _rng(rng), self.ptr, now, mode, ttl_secs)


class ExpiryQueue(_PersistedLegacy):
    """Deadlines of disappearing messages (16-byte message ids)."""

    _free = "sw_expiry_queue_free"
    _kind = "expiry_queue"

    def __init__(self, ptr: Optional[c_void_p] = None):
        if ptr is None:
            ptr = c_void_p()
            _call("sw_expiry_queue_new", byref(ptr))
        super().__init__(ptr)

    def __len__(self) -> int:
        n = c_size_t()
        _call("sw_expiry_queue_len", self.ptr, byref(n))
        return n.value

    def insert_at(self, message_id: bytes, deadline_ms: int) -> None:
        _call("sw_expiry_queue_insert_at", self.ptr, *_in(message_id), deadline_ms)

    def insert_after_read(self, message_id: bytes, ttl_ms: int) -> None:
        _call("sw_expiry_queue_insert_after_read", self.ptr, *_in(message_id), ttl_ms)

    def insert_received(self, message_id: bytes, received: Received) -> bool:
        """Queues a received message if it disappears; returns whether it was queued."""
        if received.expiry == MessageExpiry.AT:
            self.insert_at(message_id, received.expiry_ms)
        elif received.expiry == MessageExpiry.AFTER_READ:
            self.insert_after_read(message_id, received.expiry_ms)
        else:
            return False
        return True

    def mark_read(self, message_id: bytes, now: Optional[int] = None) -> int:
        now = now_ms() if now is None else now
        deadline = c_uint64()
        _call("sw_expiry_queue_mark_read", self.ptr, *_in(message_id), now, byref(deadline))
        return deadline.value

    def remove(self, message_id: bytes) -> None:
        _call("sw_expiry_queue_remove", self.ptr, *_in(message_id))

    def next_deadline(self) -> Optional[int]:
        present = c_bool()
        ms = c_uint64()
        _call("sw_expiry_queue_next_deadline", self.ptr, byref(present), byref(ms))
        return ms.value if present.value else None

    def pop_expired(self, now: Optional[int] = None) -> List[bytes]:
        """Removes and returns the ids whose deadline has passed, earliest first."""
        now = now_ms() if now is None else now
        ids: List[bytes] = []
        batch = 64
        buf = (c_uint8 * (16 * batch))()
        n = c_size_t()
        while True:
            _call("sw_expiry_queue_pop_expired", self.ptr, now, buf, len(buf), byref(n))
            ids.extend(bytes(buf[16 * i: 16 * (i + 1)]) for i in range(n.value))
            if n.value < batch:
                return ids

    def encode(self) -> bytes:
        return _out_bytes("sw_expiry_queue_encode", self.ptr)

    @classmethod
    def decode(cls, data: bytes) -> "ExpiryQueue":
        return cls._make("sw_expiry_queue_decode", *_in(data))


class SafetyNumber(_Handle):
    """The safety number of two identity keys (60 digits, or a code to scan)."""

    _free = "sw_safety_number_free"

    @classmethod
    def compute(cls, local_key: bytes, local_id: bytes, remote_key: bytes,
                remote_id: bytes) -> "SafetyNumber":
        return cls._make("sw_safety_number_new", *_in(local_key), *_in(local_id),
                         *_in(remote_key), *_in(remote_id))

    def displayable(self) -> str:
        buf = ctypes.create_string_buffer(61)
        n = c_size_t()
        _call("sw_safety_number_displayable", self.ptr, buf, len(buf), byref(n))
        return buf.value.decode()

    def scannable(self) -> bytes:
        return _out_bytes("sw_safety_number_scannable", self.ptr)

    def verify_scanned(self, scanned: bytes) -> None:
        """Raises SealwireError (SAFETY_NUMBER_MISMATCH) unless it matches."""
        _call("sw_safety_number_verify_scanned", self.ptr, *_in(scanned))


def commitment_of(message: bytes) -> bytes:
    """The franking commitment of a wire message, read without any key;
    Code.REPORT_NOT_FRANKED for an unfranked message."""
    return _out_bytes("sw_commitment_of", *_in(message))


@dataclass(frozen=True)
class VerifiedReport:
    """What a verified report proves. The relay must still check that the
    identity keys belong to the routing accounts (its own records)."""

    content_type: ContentType
    sent_at_ms: int
    sender: bytes
    recipient: bytes
    body: bytes
    routing_sender: bytes
    routing_recipient: bytes
    routing_timestamp_ms: int
    attachment: Optional[bytes]


class _VerifiedReportHandle(_Handle):
    _free = "sw_verified_report_free"


class RelayKey(_Handle):
    """The relay's stamping key (server side): stamps franked messages and
    verifies reports. Immutable: may be shared between threads."""

    _free = "sw_relay_key_free"

    @classmethod
    def generate(cls, rng: Optional[Rng] = None) -> "RelayKey":
        return cls._make("sw_relay_key_new", _rng(rng))

    @classmethod
    def from_bytes(cls, key: bytes) -> "RelayKey":
        return cls._make("sw_relay_key_from_bytes", *_in(key))

    def danger_export(self) -> bytes:
        """DANGER: the 32 secret bytes, for the operator to store."""
        return _out_bytes("sw_relay_key_danger_export", self.ptr)

    def stamp_message(self, message: bytes, sender_id: bytes, recipient_id: bytes,
                      timestamp_ms: Optional[int] = None) -> bytes:
        """The encoded stamp of a franked message, to deliver with it."""
        timestamp_ms = now_ms() if timestamp_ms is None else timestamp_ms
        return _out_bytes("sw_relay_stamp_message", self.ptr, *_in(message), *_in(sender_id),
                          *_in(recipient_id), timestamp_ms)

    def verify_report(self, report_bytes: bytes) -> VerifiedReport:
        """Verifies a report; raises SealwireError (REPORT_BAD_STAMP,
        REPORT_BAD_COMMITMENT, ...) otherwise."""
        out = c_void_p()
        _call("sw_relay_verify_report", self.ptr, *_in(report_bytes), byref(out))
        with _VerifiedReportHandle(out) as verified:
            info = _ReportInfo()
            _call("sw_verified_report_info", verified.ptr, byref(info))

            def field(name: str) -> bytes:
                return _out_bytes(f"sw_verified_report_{name}", verified.ptr)

            return VerifiedReport(
                ContentType(info.content_type), info.sent_at_ms, bytes(info.sender),
                bytes(info.recipient), field("body"), field("routing_sender"),
                field("routing_recipient"), info.routing_timestamp_ms,
                field("attachment") if info.has_attachment else None)


def report(received: Received, recipient: Identity, stamp: bytes,
           attachment: Optional[bytes] = None, body: Optional[bytes] = None) -> bytes:
    """The encoded report of a received franked message (to send to the
    relay), as `sw_report_from_received`: `recipient` is our own identity,
    `stamp` what the relay delivered with the message; `attachment` the
    plaintext of the attachment its body points to; `body` overrides the
    body (tests)."""
    body = received.plaintext if body is None else body
    info = received._info()
    args = [recipient.ptr, byref(info), *_in(body), *_in(stamp)]
    if attachment is None:
        return _out_bytes("sw_report_from_received", *args)
    return _out_bytes("sw_report_from_received_with_attachment", *args, *_in(attachment))


def attachment_key(rng: Optional[Rng] = None) -> bytes:
    """A fresh 32-byte attachment key (one per attachment)."""
    return _out_bytes("sw_attachment_key_new", _rng(rng))


def attachment_encrypt(key: bytes, plaintext: bytes) -> bytes:
    """The encrypted blob of an attachment, to upload."""
    return _out_bytes("sw_attachment_encrypt", *_in(key), *_in(plaintext))


class AttachmentPointer(_Handle):
    """Points to an encrypted attachment and commits to its plaintext; its
    encoding is the body of a franked message."""

    _free = "sw_attachment_pointer_free"

    @classmethod
    def new(cls, key: bytes, plaintext: bytes, media_type: bytes = b"",
            locator: bytes = b"") -> "AttachmentPointer":
        return cls._make("sw_attachment_pointer_new", *_in(key), *_in(plaintext),
                         *_in(media_type), *_in(locator))

    @classmethod
    def parse(cls, data: bytes) -> "AttachmentPointer":
        return cls._make("sw_attachment_pointer_parse", *_in(data))

    def encode(self) -> bytes:
        return _out_bytes("sw_attachment_pointer_encode", self.ptr)

    def size(self) -> int:
        size = c_uint64()
        _call("sw_attachment_pointer_size", self.ptr, byref(size))
        return size.value

    def media_type(self) -> bytes:
        return _out_bytes("sw_attachment_pointer_media_type", self.ptr)

    def locator(self) -> bytes:
        return _out_bytes("sw_attachment_pointer_locator", self.ptr)

    def verify(self, plaintext: bytes) -> None:
        """Raises SealwireError (ATTACHMENT_MISMATCH) unless it matches."""
        _call("sw_attachment_pointer_verify", self.ptr, *_in(plaintext))

    def decrypt(self, blob: bytes) -> bytes:
        """Opens a downloaded blob, checked against the pointer."""
        return _out_bytes("sw_attachment_pointer_decrypt", self.ptr, *_in(blob))


MAX_DEVICE_EVENTS = 64
RECOVERY_REQUEST_LEN = 174


@dataclass(frozen=True)
class DeviceEvent:
    """One change of a device list update: ADDED (`identity` is the new
    device's key), REMOVED, or IDENTITY_CHANGED (`identity` the announced
    key, `old_identity` the one held until `confirm_identity`)."""

    kind: DeviceEventKind
    device_id: int
    identity: Optional[bytes] = None
    old_identity: Optional[bytes] = None


class DeviceList(_Persisted):
    """The devices of one user (device id -> identity key), as the server
    last listed them. An announced identity change is held until confirmed:
    nothing is sent to that device meanwhile. Save it (save, save_sealed)
    after every update and confirmation."""

    _free = "sw_device_list_free"
    _kind = "device_list"

    def __init__(self, user_or_ptr):
        """A new, empty list for the user id `user` (a str); load and
        load_sealed pass the handle they made instead."""
        if isinstance(user_or_ptr, str):
            ptr = c_void_p()
            _call("sw_device_list_new", *_in(user_or_ptr.encode()), byref(ptr))
            user_or_ptr = ptr
        elif not isinstance(user_or_ptr, c_void_p):
            raise TypeError("DeviceList(user): the user id is a str")
        super().__init__(user_or_ptr)

    def update(self, devices: List[Tuple[int, bytes]]) -> List[DeviceEvent]:
        """Replaces the list with `devices` (the whole list); returns what
        changed, ascending by device."""
        entries = (_DeviceEntry * max(len(devices), 1))()
        for entry, (device_id, key) in zip(entries, devices):
            entry.device_id = device_id
            entry.identity[:] = bytes(key)
        events = (_DeviceEvent * MAX_DEVICE_EVENTS)()
        n = c_size_t()
        _call("sw_device_list_update", self.ptr, entries if devices else None, len(devices),
              events, len(events), byref(n))
        out = []
        for e in events[: n.value]:
            kind = DeviceEventKind(e.kind)
            identity = bytes(e.identity) if kind != DeviceEventKind.REMOVED else None
            old = bytes(e.old_identity) if kind == DeviceEventKind.IDENTITY_CHANGED else None
            out.append(DeviceEvent(kind, e.device_id, identity, old))
        return out

    def confirm_identity(self, device_id: int, key: bytes) -> None:
        """Accepts the key a device announced (Code.DEVICE_NO_PENDING_CHANGE
        if it is not the one announced)."""
        _call("sw_device_list_confirm_identity", self.ptr, device_id, *_in(key))

    def identity(self, device_id: int) -> Optional[Tuple[bytes, Optional[bytes]]]:
        """(confirmed key, announced key or None), or None if not listed."""
        who = _DeviceIdentity()
        found = c_bool()
        _call("sw_device_list_identity", self.ptr, device_id, byref(who), byref(found))
        if not found.value:
            return None
        return bytes(who.identity), bytes(who.announced) if who.has_announced else None

    def __len__(self) -> int:
        n = c_size_t()
        _call("sw_device_list_len", self.ptr, byref(n))
        return n.value

    def device_ids(self) -> List[int]:
        ids = (c_uint32 * 32)()
        n = c_size_t()
        _call("sw_device_list_device_ids", self.ptr, ids, len(ids), byref(n))
        return list(ids[: n.value])

    def user(self) -> str:
        return _out_bytes("sw_device_list_user", self.ptr).decode()


@dataclass(frozen=True)
class RecoveryRequestInfo:
    """A recovery request's fields (not authenticated until accepted)."""

    requester: bytes
    target: bytes
    ratchet_key: bytes
    counter: int
    requested_at_ms: int


def parse_recovery_request(request: bytes) -> RecoveryRequestInfo:
    """Reads a recovery request to route it (`requester`: the device that
    asks); the signature is checked by accept_recovery_request."""
    info = _RecoveryRequestInfo()
    _call("sw_recovery_request_parse", *_in(request), byref(info))
    return RecoveryRequestInfo(bytes(info.requester), bytes(info.target),
                               bytes(info.ratchet_key), info.counter, info.requested_at_ms)


class DeviceSessions(_PersistedLegacy):
    """The sessions with one peer device: the current one (sends) and up to
    40 previous ones (still receive). Keep exactly one per peer device, and
    save it (save, save_sealed) after every call that changes it. load and
    load_sealed also take a Session's blob (the migration from one Session
    per device): it becomes the current session."""

    _free = "sw_device_sessions_free"
    _kind = "device_sessions"

    def __init__(self, ptr: Optional[c_void_p] = None):
        """New, empty sessions (no session yet); load and load_sealed pass
        the handle they made instead."""
        if ptr is None:
            ptr = c_void_p()
            _call("sw_device_sessions_new", byref(ptr))
        elif not isinstance(ptr, c_void_p):
            raise TypeError("DeviceSessions() takes no argument")
        super().__init__(ptr)

    def initiate(self, identity: Identity, expected: bytes, bundle: bytes,
                 rng: Optional[Rng] = None) -> None:
        """Starts a session from the device's encoded bundle, checked against
        `expected` (the key its device list holds)."""
        _call("sw_device_sessions_initiate", _rng(rng), self.ptr, identity.ptr, *_in(expected),
              *_in(bundle))

    def encrypt(self, expected: bytes, body: bytes, now: Optional[int] = None,
                rng: Optional[Rng] = None, content_type: ContentType = ContentType.USER_MESSAGE,
                franked: bool = False) -> bytes:
        """Encrypts with the current session (Code.SESSION_NO_SESSION if
        there is none with `expected`)."""
        now = now_ms() if now is None else now
        return _out_bytes("sw_device_sessions_encrypt", _rng(rng), self.ptr, now, *_in(expected),
                          content_type, bool(franked), *_in(body))

    def decrypt(self, identity: Identity, prekeys: PrekeyStore, expected: bytes, message: bytes,
                now: Optional[int] = None) -> Received:
        """Decrypts a message from the device whose key is `expected`;
        Code.SESSION_NO_SESSION when no session takes it (answer with
        recovery_request)."""
        now = now_ms() if now is None else now
        plain = (c_uint8 * max(len(message), 1))()
        n = c_size_t()
        info = _ReceivedInfo()
        _call("sw_device_sessions_decrypt", self.ptr, identity.ptr, prekeys.ptr, *_in(expected),
              now, *_in(message), plain, len(message), byref(n), byref(info))
        return Received._from(bytes(plain[: n.value]), info)

    def has_current(self) -> bool:
        flag = c_bool()
        _call("sw_device_sessions_has_current", self.ptr, byref(flag))
        return flag.value

    def is_established(self) -> bool:
        flag = c_bool()
        _call("sw_device_sessions_is_established", self.ptr, byref(flag))
        return flag.value

    def previous_count(self) -> int:
        n = c_size_t()
        _call("sw_device_sessions_previous_count", self.ptr, byref(n))
        return n.value

    def recovery_request(self, identity: Identity, peer: bytes, failed: bytes,
                         now: Optional[int] = None) -> bytes:
        """A signed request asking the peer device to restart, for a message
        that no session took (at most one a minute per device)."""
        now = now_ms() if now is None else now
        return _out_bytes("sw_device_sessions_recovery_request", self.ptr, identity.ptr,
                          *_in(peer), now, *_in(failed))

    def accept_recovery_request(self, us: Identity, peer: bytes, request: bytes,
                                now: Optional[int] = None) -> Tuple[RecoveryAction, int]:
        """(RESTART or RESEND, the lost message's counter)."""
        now = now_ms() if now is None else now
        action = c_uint32()
        counter = c_uint32()
        _call("sw_device_sessions_accept_recovery_request", self.ptr, us.ptr, *_in(peer), now,
              *_in(request), byref(action), byref(counter))
        return RecoveryAction(action.value), counter.value


class _DeviceMessagesHandle(_Handle):
    _free = "sw_device_messages_free"


@dataclass(frozen=True)
class DeviceMessage:
    """One message of encrypt_for_devices: for device `device_id` of the
    user `user` (recipients[recipient_index])."""

    recipient_index: int
    user: str
    device_id: int
    message: bytes


def encrypt_for_devices(me: Tuple[str, int],
                        recipients: List[Tuple[DeviceList, Dict[int, DeviceSessions]]],
                        body: bytes, now: Optional[int] = None, rng: Optional[Rng] = None,
                        content_type: ContentType = ContentType.USER_MESSAGE,
                        franked: bool = False) -> List[DeviceMessage]:
    """Encrypts `body` once for every device of every recipient (a device
    list and the sessions with its devices; include our own list, `me` is
    skipped), all or nothing. On a device's failure the SealwireError has
    `failure` = (recipient index, device id), else None."""
    now = now_ms() if now is None else now
    keep = []
    c_recipients = (_Recipient * max(len(recipients), 1))()
    for r, (devices, sessions) in zip(c_recipients, recipients):
        entries = (_DeviceSessionsEntry * max(len(sessions), 1))()
        for e, (device_id, s) in zip(entries, sessions.items()):
            e.device_id = device_id
            e.sessions = s.ptr
        keep.append(entries)
        r.devices = devices.ptr
        r.sessions = entries if sessions else None
        r.sessions_len = len(sessions)
    user = (c_uint8 * max(len(me[0].encode()), 1)).from_buffer_copy(me[0].encode() or b"\0")
    address = _DeviceAddress(ctypes.cast(user, POINTER(c_uint8)), len(me[0].encode()), me[1])
    failure = _DeviceFailure()
    out = c_void_p()
    rc = library.sw_encrypt_for_devices(_rng(rng), now, content_type, bool(franked), *_in(body),
                                        byref(address), c_recipients if recipients else None,
                                        len(recipients), byref(failure), byref(out))
    if rc != Code.OK:
        error = SealwireError(rc, "sw_encrypt_for_devices")
        error.failure = (failure.recipient_index, failure.device_id) if failure.failed else None
        raise error
    with _DeviceMessagesHandle(out) as msgs:
        n = c_size_t()
        _call("sw_device_messages_count", msgs.ptr, byref(n))
        result = []
        for i in range(n.value):
            info = _DeviceMessageInfo()
            _call("sw_device_messages_info", msgs.ptr, i, byref(info))
            result.append(DeviceMessage(
                info.recipient_index, _out_bytes("sw_device_messages_user", msgs.ptr, i).decode(),
                info.device_id, _out_bytes("sw_device_messages_message", msgs.ptr, i)))
        return result
