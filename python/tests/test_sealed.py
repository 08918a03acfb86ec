"""Sealed sender: the relay's view names no sender; certificates are
checked (pinned key, signature, expiry on the receiver's clock) and
against the sender's device list; multi-recipient posts; access keys."""

import pytest

import sealwire as sw
from sealwire import sealed
from conftest import DAY, NOW, Party


@pytest.fixture
def server():
    return sealed.ServerKey.generate(1)


def setup(alice: Party, bob: Party, server):
    certificate = server.issue("alice", 1, alice.key, NOW + DAY)
    trusted = sealed.TrustedServerKeys()
    trusted.add(sealed.ServerPublicKey.parse(server.public_key.to_bytes()))
    to_bob = sw.DeviceSessions()
    to_bob.initiate(alice.identity, bob.key, bob.prekeys.bundle(bob.identity))
    alice_devices = sw.DeviceList("alice")
    assert alice_devices.update([(1, alice.key)]) == [("added", 1)]
    return certificate, trusted, to_bob, alice_devices


def test_seal_open_decrypt(alice: Party, bob: Party, server) -> None:
    certificate, trusted, to_bob, alice_devices = setup(alice, bob, server)
    assert certificate.user == "alice" and certificate.device_id == 1
    assert certificate.identity_key == alice.key and certificate.expires_at == NOW + DAY
    assert sealed.SenderCertificate.parse(certificate.to_bytes()).to_bytes() == certificate.to_bytes()

    message = to_bob.encrypt(bob.key, b"hi, sealed", now=NOW)
    envelope = sealed.seal(bob.key, certificate, message)
    # The relay's view: nothing in the envelope names Alice.
    assert alice.key.to_bytes() not in envelope
    assert b"alice" not in envelope
    assert message not in envelope

    unsealed = sealed.open(bob.identity, envelope)
    assert unsealed.sender == ("alice", 1)
    from_alice = sw.DeviceSessions()
    got = unsealed.decrypt(trusted, bob.identity, bob.prekeys, alice_devices, from_alice, now=NOW)
    assert got.plaintext == b"hi, sealed" and got.sender == alice.key

    # Not for Carol.
    with pytest.raises(sw.SealedError) as e:
        sealed.open(sw.IdentityKeyPair.generate(), envelope)
    assert e.value.kind == "AuthenticationFailed"


def test_refusals(alice: Party, bob: Party, server) -> None:
    certificate, trusted, to_bob, alice_devices = setup(alice, bob, server)
    message = to_bob.encrypt(bob.key, b"x", now=NOW)

    def decrypt(envelope: bytes, trusted, devices=alice_devices, now: int = NOW):
        sessions = sw.DeviceSessions()
        return sealed.open(bob.identity, envelope).decrypt(
            trusted, bob.identity, bob.prekeys, devices, sessions, now=now)

    envelope = sealed.seal(bob.key, certificate, message)
    # Expired on the receiver's clock.
    with pytest.raises(sw.SealedError) as e:
        decrypt(envelope, trusted, now=NOW + DAY)
    assert e.value.kind == "CertificateExpired" and "expired" in str(e.value)
    # Untrusted server key.
    with pytest.raises(sw.SealedError) as e:
        decrypt(envelope, sealed.TrustedServerKeys())
    assert e.value.kind == "UntrustedServerKey"
    # A key of the same id that did not sign it.
    impostor = sealed.TrustedServerKeys()
    impostor.add(sealed.ServerKey.generate(1).public_key)
    with pytest.raises(sw.SealedError) as e:
        decrypt(envelope, impostor)
    assert e.value.kind == "BadCertificateSignature"
    # Mallory's certificate around Alice's message: sender mismatch.
    mallory = sw.IdentityKeyPair.generate()
    forged = sealed.seal(bob.key, server.issue("alice", 1, mallory.public_key, NOW + DAY), message)
    with pytest.raises(sw.SealedError) as e:
        decrypt(forged, trusted)
    assert e.value.kind == "SenderMismatch"
    # A certificate whose device is not in the list.
    other_device = sealed.seal(bob.key, server.issue("alice", 2, alice.key, NOW + DAY), message)
    with pytest.raises(sw.SealedError) as e:
        decrypt(other_device, trusted)
    assert e.value.kind == "SenderMismatch"
    # None of the refusals consumed anything: it still decrypts.
    assert decrypt(envelope, trusted).plaintext == b"x"
    assert trusted.verify(certificate, now=NOW) is None
    assert len(trusted) == 1 and trusted.remove(1) and len(trusted) == 0


def test_multi_recipient_post(alice: Party, bob: Party, carol: Party, server) -> None:
    certificate = server.issue("alice", 1, alice.key, NOW + DAY)
    trusted = sealed.TrustedServerKeys()
    trusted.add(server.public_key)
    alice_devices = sw.DeviceList("alice")
    alice_devices.update([(1, alice.key)])
    group, dist = sw.Group.create(alice.key, [bob.key, carol.key], now=NOW)
    bob_group, _ = sw.Group.create_with_id(group.id, bob.key, [alice.key, carol.key], now=NOW)
    from conftest import connect
    a_b, b_a = connect(alice, bob)
    bob_group.accept_distribution(b_a.decrypt(dist.encrypt_for(a_b, now=NOW), now=NOW), now=NOW)

    post = group.post(b"sealed post", now=NOW).message
    multi = sealed.seal_post([bob.key, carol.key], certificate, post)
    assert alice.key.to_bytes() not in multi
    parts = dict(sealed.split(multi))
    assert set(parts) == {bob.key.to_bytes(), carol.key.to_bytes()}
    opened = sealed.open_post(bob.identity, parts[bob.key.to_bytes()])
    assert opened.sender == ("alice", 1) and opened.group_id == group.id
    got = opened.receive(trusted, alice_devices, bob_group, now=NOW)
    assert got.plaintext == b"sealed post" and got.sender == alice.key
    with pytest.raises(sw.SealedError):
        sealed.open_post(bob.identity, parts[carol.key.to_bytes()])
    with pytest.raises(TypeError):
        opened.receive(trusted, alice_devices, "not a group", now=NOW)
    with pytest.raises(sw.SealedError) as e:
        sealed.seal_post([bob.key, bob.key], certificate, post)
    assert e.value.kind == "InvalidRecipients"


def test_access_keys() -> None:
    profile = sealed.ProfileKey.generate()
    access = profile.access_key()
    assert access.verify(access.to_bytes())
    assert not access.verify(bytes(16))
    assert sealed.ProfileKey.from_bytes(profile.export()).access_key().to_bytes() == access.to_bytes()
    other = sealed.ProfileKey.generate().access_key()
    combined = sealed.AccessKey.combined([access, other])
    assert combined is not None
    assert combined.to_bytes() == bytes(x ^ y for x, y in zip(access.to_bytes(), other.to_bytes()))
    assert sealed.AccessKey.combined([]) is None
    with pytest.raises(sw.DecodeError):
        sealed.AccessKey.from_bytes(b"short")
