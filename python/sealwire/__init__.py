"""sealwire: end-to-end encryption for messaging apps.

Python bindings (PyO3) of the sealwire Rust library: X3DH and post-quantum
PQXDH key agreement, the Double Ratchet, disappearing messages, state
blobs, safety numbers, message franking (abuse reports), groups and
broadcast channels, and sealed sender (the submodule ``sealwire.sealed``).

Conventions:

* bytes in, bytes out (``bytes`` only: ``None`` or another type raises
  ``TypeError``); keys and states are opaque objects whose secrets stay in
  Rust and are erased when the object is closed or collected;
* ``now`` is an optional int, milliseconds since the Unix epoch, the
  system clock when omitted; randomness comes from the OS;
* every refusal raises a subclass of ``SealwireError`` (one per area, with
  the library's message and a ``kind`` attribute naming the case), and a
  failing call changes nothing;
* stateful objects (sessions, prekey stores, groups, ...) have ``close()``
  and work as ``with`` blocks; a closed object raises ``ClosedError``.
  Use an object from one thread at a time.

    import sealwire as sw

    bob = sw.IdentityKeyPair.generate()
    bob_prekeys = sw.PrekeyStore(bob)  # with a post-quantum prekey
    bundle = bob_prekeys.bundle(bob).to_bytes()  # publish it

    alice = sw.IdentityKeyPair.generate()
    to_bob = sw.Session.initiate(alice, sw.PrekeyBundle.parse(bundle))
    hello = to_bob.encrypt(b"hello Bob")
    to_alice, received = sw.Session.accept(bob, bob_prekeys, hello)
    assert received.plaintext == b"hello Bob"
    assert to_alice.key_agreement == sw.KeyAgreement.PQXDH
"""

from . import sealed
from ._sealwire import (
    BlobAddress,
    BundleError,
    ChannelOwner,
    ChannelSubscriber,
    ClosedError,
    ContentType,
    DecodeError,
    DeviceError,
    DeviceList,
    DeviceSessions,
    Distribution,
    ExpiryError,
    ExpiryMode,
    ExpiryPolicy,
    ExpiryQueue,
    Franking,
    FrankingError,
    Group,
    GroupError,
    GroupReceived,
    IdentityKey,
    IdentityKeyPair,
    KeyAgreement,
    MessageExpiry,
    Post,
    PrekeyBundle,
    PrekeyError,
    PrekeyStore,
    Received,
    RelayKey,
    Report,
    RoutingContext,
    SafetyNumber,
    SafetyNumberError,
    SealedError,
    SealwireError,
    Session,
    SessionError,
    Stamp,
    StateError,
    StorageKey,
    TimerChange,
    VerifiedReport,
    __version__,
    commitment_of,
)

__all__ = [
    "BlobAddress",
    "BundleError",
    "ChannelOwner",
    "ChannelSubscriber",
    "ClosedError",
    "ContentType",
    "DecodeError",
    "DeviceError",
    "DeviceList",
    "DeviceSessions",
    "Distribution",
    "ExpiryError",
    "ExpiryMode",
    "ExpiryPolicy",
    "ExpiryQueue",
    "Franking",
    "FrankingError",
    "Group",
    "GroupError",
    "GroupReceived",
    "IdentityKey",
    "IdentityKeyPair",
    "KeyAgreement",
    "MessageExpiry",
    "Post",
    "PrekeyBundle",
    "PrekeyError",
    "PrekeyStore",
    "Received",
    "RelayKey",
    "Report",
    "RoutingContext",
    "SafetyNumber",
    "SafetyNumberError",
    "SealedError",
    "SealwireError",
    "Session",
    "SessionError",
    "Stamp",
    "StateError",
    "StorageKey",
    "TimerChange",
    "VerifiedReport",
    "__version__",
    "commitment_of",
    "sealed",
]
