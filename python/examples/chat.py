"""Alice and Bob chat through the sealwire Python package, in one process.

    pip install ./python
    python3 python/examples/chat.py

Bob publishes a prekey bundle (with a post-quantum prekey); Alice starts a
PQXDH session from it; they exchange messages (one arrives out of order),
compare safety numbers, Alice turns on disappearing messages, a tampered
message is refused, Bob's session survives a save and restore sealed
under a storage key, and Alice sends one message through sealed sender.
"""

import os
import time

import sealwire as sw
from sealwire import sealed


def show(who: str, received: sw.Received) -> None:
    text = received.plaintext.decode() or "(empty)"
    print(f"  {who} <- #{received.message_number} {received.content_type.name}: {text}")


def main() -> None:
    bob_id = sw.IdentityKeyPair.generate()
    bob_prekeys = sw.PrekeyStore(bob_id)
    [opk] = bob_prekeys.generate_one_time_prekeys(1)
    published = bob_prekeys.bundle(bob_id, opk).to_bytes()
    print(f"Bob publishes a {len(published)}-byte bundle (post-quantum prekey included)")

    alice_id = sw.IdentityKeyPair.generate()
    alice = sw.Session.initiate(alice_id, sw.PrekeyBundle.parse(published))
    hello = alice.encrypt(b"hello Bob")
    bob, received = sw.Session.accept(bob_id, bob_prekeys, hello)
    show("Bob", received)
    print(f"  key agreement: {bob.key_agreement.name}")

    show("Alice", alice.decrypt(bob.encrypt(b"hi Alice")))

    first, second = alice.encrypt(b"first"), alice.encrypt(b"second")
    show("Bob", bob.decrypt(second))
    show("Bob", bob.decrypt(first))

    ours = sw.SafetyNumber(alice_id.public_key, b"alice", bob_id.public_key, b"bob")
    theirs = sw.SafetyNumber(bob_id.public_key, b"bob", alice_id.public_key, b"alice")
    ours.verify_scanned(theirs.scannable)
    print(f"  safety number: {ours.displayable[:20]}... (scanned: match)")

    change = alice.set_timer(sw.ExpiryPolicy(sw.ExpiryMode.AFTER_SEND, 60))
    show("Bob", bob.decrypt(change))
    got = bob.decrypt(alice.encrypt(b"this one disappears"))
    show("Bob", got)
    print(f"  expires: {got.expiry.kind} at {got.expiry.deadline}")

    forged = bytearray(alice.encrypt(b"pay 10"))
    forged[-1] ^= 1
    try:
        bob.decrypt(bytes(forged))
    except sw.SessionError as e:
        print(f"  tampered message refused: {e} ({e.kind})")

    key = sw.StorageKey.from_bytes(os.urandom(32))
    where = sw.BlobAddress.peer(bob_id.public_key, alice_id.public_key, 1)
    stored = bob.seal(key, where)
    bob.close()
    bob = sw.Session.unseal(key, where, stored)
    print(f"  Bob's session saved ({len(stored)} bytes, sealed) and restored")
    show("Bob", bob.decrypt(alice.encrypt(b"still here?")))

    server = sealed.ServerKey.generate(1)
    trusted = sealed.TrustedServerKeys()
    trusted.add(server.public_key)
    certificate = server.issue("alice", 1, alice_id.public_key, int(time.time() * 1000) + 86_400_000)
    to_bob = sw.DeviceSessions()
    to_bob.initiate(alice_id, bob_id.public_key, bob_prekeys.bundle(bob_id))
    envelope = sealed.seal(bob_id.public_key, certificate,
                           to_bob.encrypt(bob_id.public_key, b"sealed hello"))
    unsealed = sealed.open(bob_id, envelope)
    alice_devices = sw.DeviceList("alice")
    alice_devices.update([(1, alice_id.public_key)])
    got = unsealed.decrypt(trusted, bob_id, bob_prekeys, alice_devices, sw.DeviceSessions())
    show(f"Bob (sealed, from {unsealed.sender})", got)


if __name__ == "__main__":
    main()
