"""Bad input from Python: wrong types and None raise TypeError, closed
objects ClosedError, and garbage or mutated bytes at every parser entry
point raise the package's exceptions: never a crash (a Rust panic would
surface as pyo3's PanicException, a BaseException, and fail the test)."""

import os
import random

import pytest

import sealwire as sw
from sealwire import sealed
from conftest import DAY, NOW, Party, connect


def mutations(valid: bytes, rng: random.Random, count: int = 60):
    """Garbage of many lengths, plus truncations and bit flips of `valid`."""
    yield b""
    for n in (1, 2, 16, 31, 32, 33, 64, 200, 2000):
        yield os.urandom(n)
    for _ in range(count):
        choice = rng.randrange(4)
        if choice == 0 and valid:
            yield valid[: rng.randrange(len(valid))]
        elif choice == 1 and valid:
            b = bytearray(valid)
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            yield bytes(b)
        elif choice == 2:
            yield valid + os.urandom(rng.randrange(1, 40))
        else:
            b = bytearray(valid)
            if b:
                b[0] = rng.randrange(256)
            yield bytes(b)


def refuses_cleanly(call, valid: bytes, rng: random.Random) -> None:
    for garbage in mutations(valid, rng):
        if garbage == valid:
            continue
        try:
            call(garbage)
        except sw.SealwireError as e:
            assert str(e), "an exception carries the library's message"
            assert isinstance(e.kind, str) and e.kind
        # A mutation may still be valid (e.g. a flipped padding bit the
        # parser ignores is impossible here, but trailing bytes of a
        # stamp are refused); success is allowed, a crash is not.


def test_garbage_at_every_parser(alice: Party, bob: Party) -> None:
    rng = random.Random(16)
    a, b = connect(alice, bob)
    server = sealed.ServerKey.generate(7)
    certificate = server.issue("alice", 1, alice.key, NOW + DAY)
    relay = sw.RelayKey.generate()
    franked, _ = a.encrypt_franked(b"report me", now=NOW)
    context = sw.RoutingContext(b"a", b"b", NOW)
    stamp = relay.stamp_message(franked, context)
    report = sw.Report.from_received(b.decrypt(franked, now=NOW), bob.key, stamp).to_bytes()
    group, _ = sw.Group.create(alice.key, [bob.key], now=NOW)
    post = group.post(b"post", now=NOW).message
    subscriber = sw.ChannelSubscriber(group.id, bob.key, alice.key)
    envelope = sealed.seal(bob.key, certificate, a.encrypt(b"sealed", now=NOW))
    multi = sealed.seal_post([bob.key], certificate, post)
    sealed_post = sealed.split(multi)[0][1]
    key = sw.StorageKey.from_bytes(bytes(32))
    here = sw.BlobAddress.local(bob.key)
    safety = sw.SafetyNumber(alice.key, b"a", bob.key, b"b")
    trusted = sealed.TrustedServerKeys()
    trusted.add(server.public_key)
    devices = sw.DeviceList("alice")
    devices.update([(1, alice.key)])

    cases = [
        (sw.IdentityKey.from_bytes, alice.key.to_bytes()),
        (sw.PrekeyBundle.parse, bob.prekeys.bundle(bob.identity).to_bytes()),
        (lambda m: b.decrypt(m, now=NOW), a.encrypt(b"m", now=NOW)),
        (lambda m: sw.Session.accept(bob.identity, bob.prekeys, m, now=NOW),
         sw.Session.initiate(alice.identity, bob.prekeys.bundle(bob.identity)).encrypt(b"x", now=NOW)),
        (sw.Stamp.parse, stamp.to_bytes()),
        (sw.Report.parse, report),
        (relay.verify_report, report),
        (sw.commitment_of, franked),
        (lambda m: relay.stamp_message(m, context), franked),
        (lambda m: group.receive_post(m, now=NOW), post),
        (lambda m: subscriber.receive_post(m, now=NOW), post),
        (safety.verify_scanned, safety.scannable),
        (lambda k: sw.SafetyNumber.from_encoded_keys(k, b"a", bob.key.encode(), b"b", 5200),
         alice.key.encode()),
        (sealed.ServerPublicKey.parse, server.public_key.to_bytes()),
        (sealed.SenderCertificate.parse, certificate.to_bytes()),
        (lambda m: sealed.open(bob.identity, m), envelope),
        (lambda m: sealed.open(bob.identity, m).decrypt(
            trusted, bob.identity, bob.prekeys, devices, sw.DeviceSessions(), now=NOW), envelope),
        (lambda m: sealed.open_post(bob.identity, m), sealed_post),
        (sealed.split, multi),
        (sealed.commitment_of_sealed, envelope),
    ]
    for state in (alice.identity, alice.prekeys, a, sw.ExpiryQueue(), group, subscriber,
                  devices, sw.DeviceSessions()):
        cls = type(state)
        cases.append((cls.from_blob, state.to_blob()))
        cases.append((lambda blob, cls=cls: cls.unseal(key, here, blob), state.seal(key, here)))
    for call, valid in cases:
        refuses_cleanly(call, valid, rng)
    # The states are still usable after all that.
    assert b.decrypt(a.encrypt(b"still fine", now=NOW), now=NOW).plaintext == b"still fine"


def test_wrong_types_and_none(alice: Party, bob: Party) -> None:
    a, b = connect(alice, bob)
    for bad in (None, "text", 42, [1, 2], bytearray(b"x")):
        with pytest.raises(TypeError):
            b.decrypt(bad, now=NOW)
        with pytest.raises(TypeError):
            a.encrypt(bad, now=NOW)
        with pytest.raises(TypeError):
            sw.PrekeyBundle.parse(bad)
        with pytest.raises(TypeError):
            sw.Session.initiate(alice.identity, bad)
        with pytest.raises(TypeError):
            sealed.seal(bad, sealed.ServerKey.generate(1).issue("a", 1, alice.key, NOW), b"x")
    with pytest.raises(TypeError):
        sw.Session.accept(bob.identity, None, b"x")
    with pytest.raises(TypeError):
        sw.Group.create(alice.key, [None], now=NOW)
    with pytest.raises(TypeError):
        sw.ExpiryPolicy(1, 60)
    with pytest.raises(TypeError):
        b.decrypt(a.encrypt(b"x", now=NOW), now="noon")
    with pytest.raises(OverflowError):
        b.decrypt(a.encrypt(b"x", now=NOW), now=-1)
    # The refused calls changed nothing.
    assert b.decrypt(a.encrypt(b"ok", now=NOW), now=NOW).plaintext == b"ok"


def test_wrong_lengths_raise_decode_error() -> None:
    for call in (sw.IdentityKey.from_bytes, sw.StorageKey.from_bytes, sw.RelayKey.from_bytes,
                 sealed.ProfileKey.from_bytes, sealed.AccessKey.from_bytes):
        with pytest.raises(sw.DecodeError) as e:
            call(b"\x01" * 5)
        assert e.value.kind == "InvalidLength" and "got 5" in str(e.value)
    with pytest.raises(sw.DecodeError):
        sw.IdentityKey.from_bytes(b"\xff" * 32)  # not a point


def test_closed_objects(alice: Party, bob: Party) -> None:
    a, b = connect(alice, bob)
    message = a.encrypt(b"x", now=NOW)
    with b:
        pass
    assert b.closed
    with pytest.raises(sw.ClosedError) as e:
        b.decrypt(message, now=NOW)
    assert "Session is closed" in str(e.value)
    for call in (b.to_blob, lambda: b.encrypt(b"x"), lambda: b.key_agreement):
        with pytest.raises(sw.ClosedError):
            call()
    b.close()  # closing twice is allowed

    alice.identity.close()
    with pytest.raises(sw.ClosedError):
        alice.identity.public_key
    with pytest.raises(sw.ClosedError):
        sw.Session.initiate(alice.identity, bob.prekeys.bundle(bob.identity))
    bob.prekeys.close()
    with pytest.raises(sw.ClosedError):
        sw.Session.accept(bob.identity, bob.prekeys, message)
    group, _ = sw.Group.create(bob.key, [alice.key], now=NOW)
    group.close()
    with pytest.raises(sw.ClosedError):
        group.post(b"x")
    trusted = sealed.TrustedServerKeys()
    trusted.close()
    with pytest.raises(sw.ClosedError):
        len(trusted)
    assert issubclass(sw.ClosedError, sw.SealwireError)


def test_exception_hierarchy() -> None:
    for name in ("DecodeError", "BundleError", "PrekeyError", "SessionError", "StateError",
                 "ExpiryError", "SafetyNumberError", "FrankingError", "GroupError",
                 "DeviceError", "SealedError", "ClosedError"):
        assert issubclass(getattr(sw, name), sw.SealwireError)
    assert issubclass(sw.SealwireError, Exception)


def test_missing_prekey(bob: Party) -> None:
    with pytest.raises(sw.PrekeyError):
        bob.prekeys.bundle(bob.identity, 999_999)
