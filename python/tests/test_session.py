"""1:1 sessions: PQXDH conversation, out-of-order delivery, replays and
forgeries refused without a change, disappearing messages, franking."""

import pytest

import sealwire as sw
from conftest import DAY, NOW, Party, connect


def test_version_and_exports() -> None:
    assert sw.__version__ == "0.1.0"
    assert "KeyAgreement" in sw.__all__
    assert all(hasattr(sw, name) for name in sw.__all__)
    for name in sw.sealed.__all__:
        assert hasattr(sw.sealed, name)


def test_pqxdh_conversation(alice: Party, bob: Party) -> None:
    opks = bob.prekeys.generate_one_time_prekeys(3)
    pq_opks = bob.prekeys.generate_pq_one_time_prekeys(bob.identity, 2)
    assert len(opks) == 3 and len(pq_opks) == 2
    published = bob.prekeys.bundle(bob.identity, opks[0], pq_opks[0]).to_bytes()
    bundle = sw.PrekeyBundle.parse(published)
    assert bundle.identity_key == bob.key
    assert bundle.has_pq_prekey and bundle.one_time_prekey_id == opks[0]

    to_bob = sw.Session.initiate(alice.identity, bundle)
    assert not to_bob.is_established
    assert to_bob.key_agreement == sw.KeyAgreement.PQXDH and to_bob.is_post_quantum
    hello = to_bob.encrypt(b"hello Bob", now=NOW)
    to_alice, got = sw.Session.accept(bob.identity, bob.prekeys, hello, now=NOW)
    assert got.plaintext == b"hello Bob"
    assert got.sender == alice.key
    assert got.content_type == sw.ContentType.USER_MESSAGE
    assert got.sent_at == NOW and got.message_number == 0
    assert to_alice.key_agreement == sw.KeyAgreement.PQXDH
    assert to_alice.their_identity == alice.key
    # The one-time prekeys were consumed.
    assert bob.prekeys.one_time_prekey_count == 2
    assert bob.prekeys.pq_one_time_prekey_count == 1

    reply = to_alice.encrypt(b"hi Alice", now=NOW)
    assert to_bob.decrypt(reply, now=NOW).plaintext == b"hi Alice"
    assert to_bob.is_established
    for i in range(5):
        body = f"message {i}".encode()
        assert to_alice.decrypt(to_bob.encrypt(body, now=NOW), now=NOW).plaintext == body


def test_classic_bundle_is_x3dh_and_refused_when_pq_required(alice: Party) -> None:
    bob_id = sw.IdentityKeyPair.generate()
    classic = sw.PrekeyStore(bob_id, pq=False)
    to_bob = sw.Session.initiate(alice.identity, classic.bundle(bob_id))
    assert to_bob.key_agreement == sw.KeyAgreement.X3DH
    classic.require_pq = True
    assert classic.require_pq
    with pytest.raises(sw.SessionError) as e:
        sw.Session.accept(bob_id, classic, to_bob.encrypt(b"x", now=NOW), now=NOW)
    assert e.value.kind == "PqRequired"


def test_out_of_order_replay_and_forgery(pair) -> None:
    a, b = pair
    messages = [a.encrypt(f"m{i}".encode(), now=NOW) for i in range(4)]
    for i in (3, 0, 2, 1):
        assert b.decrypt(messages[i], now=NOW).plaintext == f"m{i}".encode()
    with pytest.raises(sw.SessionError) as e:
        b.decrypt(messages[2], now=NOW)
    assert e.value.kind == "DuplicateMessage"
    assert str(e.value)  # the Rust message

    before = b.to_blob()
    forged = bytearray(a.encrypt(b"pay 10", now=NOW))
    forged[-1] ^= 1
    with pytest.raises(sw.SessionError) as e:
        b.decrypt(bytes(forged), now=NOW)
    assert e.value.kind == "AuthenticationFailed"
    assert b.to_blob() == before  # unchanged


def test_disappearing_messages_receiver_clock(pair) -> None:
    a, b = pair
    policy = sw.ExpiryPolicy(sw.ExpiryMode.AFTER_SEND, 60)
    assert policy.mode == sw.ExpiryMode.AFTER_SEND and policy.ttl_secs == 60
    change = a.set_timer(policy, now=NOW)
    got = b.decrypt(change, now=NOW)
    assert got.content_type == sw.ContentType.TIMER_CHANGE
    assert got.timer_change is not None and got.timer_change.by_peer
    assert got.timer_change.policy == policy
    assert b.timer == policy and a.timer == policy

    # The deadline runs from the send time, clamped by the receiver's clock.
    msg = a.encrypt(b"gone in a minute", now=NOW)
    got = b.decrypt(msg, now=NOW + 1_000)
    assert got.expiry.kind == "at" and got.expiry.deadline == NOW + 60_000
    queue = sw.ExpiryQueue()
    assert queue.insert(1, got.expiry)
    assert queue.next_deadline == NOW + 60_000
    assert queue.pop_expired(now=NOW + 59_999) == []
    assert queue.pop_expired(now=NOW + 60_000) == [1]
    assert len(queue) == 0

    # A message that arrives after its deadline has no plaintext.
    late = a.encrypt(b"too late", now=NOW)
    got = b.decrypt(late, now=NOW + 61_000)
    assert got.expiry.kind == "expired" and got.plaintext == b""

    # After-read: the deadline starts when the app marks it read.
    b.decrypt(a.set_timer(sw.ExpiryPolicy(sw.ExpiryMode.AFTER_READ, 10), now=NOW), now=NOW)
    got = b.decrypt(a.encrypt(b"read me", now=NOW), now=NOW)
    assert got.expiry.kind == "after_read" and got.expiry.ttl_ms == 10_000
    assert queue.insert(2**100, got.expiry)
    assert queue.next_deadline is None
    assert queue.mark_read(2**100, now=NOW + 5) == NOW + 10_005
    assert sw.ExpiryQueue.from_blob(queue.to_blob()).pop_expired(now=NOW + 10_005) == [2**100]

    # Timer off.
    b.decrypt(a.set_timer(None, now=NOW), now=NOW)
    assert b.timer is None
    got = b.decrypt(a.encrypt(b"stays", now=NOW), now=NOW)
    assert got.expiry.kind == "never" and not queue.insert(3, got.expiry)


@pytest.mark.parametrize("ttl", [0, 400 * 86_400])
def test_invalid_policy(ttl: int) -> None:
    with pytest.raises(sw.ExpiryError):
        sw.ExpiryPolicy(sw.ExpiryMode.AFTER_SEND, ttl)


def test_skipped_keys_erased_on_schedule(pair) -> None:
    a, b = pair
    skipped = a.encrypt(b"skipped", now=NOW)
    b.decrypt(a.encrypt(b"later", now=NOW), now=NOW)
    deadline = b.next_key_erasure
    assert deadline is not None and deadline > NOW
    b.erase_expired_keys(now=deadline + DAY)
    with pytest.raises(sw.SessionError):
        b.decrypt(skipped, now=deadline + DAY)


def test_franking_report_verified_by_relay(alice: Party, bob: Party) -> None:
    a, b = connect(alice, bob)
    relay = sw.RelayKey.generate()
    message, opening = a.encrypt_franked(b"abusive text", now=NOW)
    assert opening is not None
    assert sw.commitment_of(message) == opening.commitment
    context = sw.RoutingContext(b"alice-account", b"bob-account", NOW)
    stamp = relay.stamp_message(message, context)
    stamp = sw.Stamp.parse(stamp.to_bytes())
    got = b.decrypt(message, now=NOW)
    assert got.franking is not None and got.franking.commitment == opening.commitment

    report = sw.Report.from_received(got, bob.key, stamp).to_bytes()
    verified = relay.verify_report(report)
    assert verified.body == b"abusive text"
    assert verified.sender == alice.key and verified.recipient == bob.key
    assert verified.context.sender == b"alice-account"
    assert verified.context.timestamp == NOW
    assert verified.content_type == sw.ContentType.USER_MESSAGE

    # Another relay's key, a tampered report, an unfranked message.
    with pytest.raises(sw.FrankingError):
        sw.RelayKey.generate().verify_report(report)
    tampered = bytearray(report)
    tampered[len(tampered) // 2] ^= 1
    with pytest.raises(sw.FrankingError):
        relay.verify_report(bytes(tampered))
    plain = b.decrypt(a.encrypt(b"plain", now=NOW), now=NOW)
    assert plain.franking is None
    with pytest.raises(sw.FrankingError):
        sw.Report.from_received(plain, bob.key, stamp)
    with pytest.raises(sw.DecodeError):
        relay.stamp_message(a.encrypt(b"plain", now=NOW), context)
