"""Alice and Bob chat through the sealwire shared library (ctypes): a C ABI
test run by ffi/ci.sh. The Python package's own chat demo is
python/examples/chat.py.

    cargo build -p sealwire-ffi
    python3 ffi/tests/python/chat_demo.py

Bob publishes a prekey bundle; Alice starts a session from it; they
exchange messages (one arrives out of order), Alice turns on disappearing
messages, a tampered message is refused, and Bob's session survives a
save and restore sealed under a storage key.
"""

import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import sealwire as sw  # noqa: E402


def show(who: str, received: sw.Received) -> None:
    text = received.plaintext.decode() or "(empty)"
    print(f"  {who} <- #{received.message_number} {received.content_type.name}: {text}")


def main() -> None:
    # Bob publishes a bundle (identity, signed prekey, one one-time prekey).
    bob_id = sw.Identity.generate()
    bob_prekeys = sw.PrekeyStore(bob_id)
    [opk] = bob_prekeys.generate_one_time_prekeys(1)
    published = bob_prekeys.bundle(bob_id, opk)
    print(f"Bob publishes a {len(published)}-byte bundle")

    # Alice fetches it (parsing verifies the signature) and says hello.
    alice_id = sw.Identity.generate()
    alice = sw.Session.initiate(alice_id, sw.Bundle.parse(published))
    hello = alice.encrypt(b"hello Bob")
    print(f"Alice -> Bob: {len(hello)}-byte prekey message")
    bob, received = sw.Session.accept(bob_id, bob_prekeys, hello)
    show("Bob", received)

    # The first reply establishes Alice's session.
    show("Alice", alice.decrypt(bob.encrypt(b"hi Alice")))
    print(f"Alice's session established: {alice.is_established()}")

    # Two messages, delivered out of order.
    first = alice.encrypt(b"are we on for tonight?")
    second = alice.encrypt(b"8 pm at the usual place")
    show("Bob", bob.decrypt(second))
    show("Bob", bob.decrypt(first))

    # Disappearing messages: one hour after sending.
    show("Bob", bob.decrypt(alice.set_timer(sw.ExpiryMode.AFTER_SEND, 3600)))
    print(f"  timer now {bob.timer()}")
    got = bob.decrypt(alice.encrypt(b"the door code is 4711"))
    show("Bob", got)
    queue = sw.ExpiryQueue()
    queue.insert_received((1).to_bytes(16, "big"), got)
    print(f"  Bob's app deletes it at {queue.next_deadline()} (Unix ms)")

    # A tampered message is refused and changes nothing.
    forged = bytearray(alice.encrypt(b"pay Mallory 100"))
    forged[-1] ^= 1
    try:
        bob.decrypt(bytes(forged))
    except sw.SealwireError as e:
        print(f"  tampered message refused: {e.code.name}")

    # Bob's app restarts: the session is saved sealed and loaded back.
    storage_key = os.urandom(32)
    # Bound to where it is stored (Bob's identity, Alice's device): moved to
    # another row it would be refused (STATE_WRONG_ADDRESS).
    here = sw.BlobAddress(owner=bob_id.public_key(), peer_name=b"alice", device_id=1)
    sealed = bob.save_sealed(storage_key, here)
    bob.close()
    bob = sw.Session.load_sealed(storage_key, here, sealed)
    print(f"Bob restored his session from a {len(sealed)}-byte sealed blob")
    show("Alice", alice.decrypt(bob.encrypt(b"back online")))


if __name__ == "__main__":
    main()
