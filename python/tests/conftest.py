"""Shared fixtures: identities, prekey stores and established sessions,
and a fixed clock (ms since the epoch) passed as `now` everywhere."""

import pytest

import sealwire as sw

NOW = 1_780_000_000_000
DAY = 86_400_000


class Party:
    """A device: identity, prekey store (with a PQ prekey)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.identity = sw.IdentityKeyPair.generate()
        self.prekeys = sw.PrekeyStore(self.identity)
        self.key = self.identity.public_key


def connect(a: Party, b: Party, now: int = NOW):
    """Established sessions a->b and b->a (one message each way)."""
    a_to_b = sw.Session.initiate(a.identity, b.prekeys.bundle(b.identity))
    b_to_a, first = sw.Session.accept(b.identity, b.prekeys, a_to_b.encrypt(b"hello", now=now), now=now)
    assert first.plaintext == b"hello"
    assert a_to_b.decrypt(b_to_a.encrypt(b"hi", now=now), now=now).plaintext == b"hi"
    return a_to_b, b_to_a


@pytest.fixture
def alice() -> Party:
    return Party("alice")


@pytest.fixture
def bob() -> Party:
    return Party("bob")


@pytest.fixture
def carol() -> Party:
    return Party("carol")


@pytest.fixture
def pair(alice: Party, bob: Party):
    return connect(alice, bob)
