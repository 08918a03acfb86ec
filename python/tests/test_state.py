"""State blobs: every state object saves and loads (plain and sealed at
its address), and garbage, another kind, a wrong key or a wrong address
is refused with StateError."""

import json
import os
import pathlib

import pytest

import sealwire as sw
from conftest import NOW, Party, connect

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "tests" / "vectors"


def states(alice: Party, bob: Party):
    a, _ = connect(alice, bob)
    group, _ = sw.Group.create(alice.key, [bob.key], now=NOW)
    owner, _ = sw.ChannelOwner.create(alice.key, [bob.key], now=NOW)
    subscriber = sw.ChannelSubscriber(owner.id, bob.key, alice.key)
    devices = sw.DeviceList("bob")
    devices.update([(1, bob.key)])
    sessions = sw.DeviceSessions()
    sessions.initiate(alice.identity, bob.key, bob.prekeys.bundle(bob.identity))
    return [alice.identity, alice.prekeys, a, sw.ExpiryQueue(), group, owner, subscriber,
            devices, sessions]


def test_every_state_object_round_trips(alice: Party, bob: Party) -> None:
    key = sw.StorageKey.from_bytes(os.urandom(32))
    here = sw.BlobAddress.local(alice.key).with_context(b"row 7")
    there = sw.BlobAddress.peer(alice.key, bob.key, 1)
    for state in states(alice, bob):
        cls = type(state)
        blob = state.to_blob()
        assert cls.from_blob(blob).to_blob() == blob
        sealed = state.seal(key, here)
        assert cls.unseal(key, here, sealed).to_blob() == blob
        with pytest.raises(sw.StateError) as e:
            cls.unseal(key, there, sealed)
        assert e.value.kind == "WrongAddress"
        with pytest.raises(sw.StateError) as e:
            cls.unseal(sw.StorageKey.from_bytes(os.urandom(32)), here, sealed)
        assert e.value.kind == "WrongStorageKey"
        with pytest.raises(sw.StateError):
            cls.from_blob(sealed)
        damaged = bytearray(blob)
        damaged[-1] ^= 1
        with pytest.raises(sw.StateError):
            cls.from_blob(bytes(damaged))


def test_wrong_kind_and_garbage_refused(alice: Party, bob: Party) -> None:
    all_states = states(alice, bob)
    blobs = [s.to_blob() for s in all_states]
    for state in all_states:
        cls = type(state)
        for other in blobs:
            if other == state.to_blob():
                continue
            try:
                cls.from_blob(other)
            except sw.StateError:
                pass  # another kind: refused
            else:
                # Only the session kinds load one another (a DeviceSessions
                # takes a Session's blob as its current session; groups of
                # another role refuse).
                assert cls in (sw.DeviceSessions, sw.Session)
        for garbage in (b"", b"\x00", os.urandom(64), b"SWST" + os.urandom(100)):
            with pytest.raises(sw.StateError):
                cls.from_blob(garbage)


def test_restored_session_keeps_talking(alice: Party, bob: Party) -> None:
    a, b = connect(alice, bob)
    key = sw.StorageKey.from_bytes(bytes(range(32)))
    where = sw.BlobAddress.peer(bob.key, alice.key, 1)
    stored = b.seal(key, where)
    b.close()
    restored = sw.Session.unseal(key, where, stored)
    assert restored.decrypt(a.encrypt(b"still there", now=NOW), now=NOW).plaintext == b"still there"
    assert key.id == sw.StorageKey.from_bytes(bytes(range(32))).id


def test_safety_number_vectors() -> None:
    cases = json.loads((VECTORS / "safety_numbers.json").read_text())["cases"]
    assert cases
    for case in cases:
        local = sw.SafetyNumber.from_encoded_keys(
            bytes.fromhex(case["local_key"]), bytes.fromhex(case["local_id"]),
            bytes.fromhex(case["remote_key"]), bytes.fromhex(case["remote_id"]),
            case["iterations"])
        assert local.displayable == case["displayable"]
        assert local.scannable.hex() == case["local_scannable"]
        local.verify_scanned(bytes.fromhex(case["remote_scannable"]))


def test_safety_number_both_sides(alice: Party, bob: Party) -> None:
    ours = sw.SafetyNumber(alice.key, b"alice", bob.key, b"bob")
    theirs = sw.SafetyNumber(bob.key, b"bob", alice.key, b"alice")
    assert ours.displayable == theirs.displayable and len(ours.displayable) == 60
    ours.verify_scanned(theirs.scannable)
    mallory = sw.SafetyNumber(bob.key, b"bob", sw.IdentityKeyPair.generate().public_key, b"alice")
    with pytest.raises(sw.SafetyNumberError) as e:
        ours.verify_scanned(mallory.scannable)
    assert e.value.kind == "Mismatch"
    with pytest.raises(sw.SafetyNumberError):
        ours.verify_scanned(b"garbage")
