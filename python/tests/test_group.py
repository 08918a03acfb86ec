"""Groups and channels: create, distribute over the 1:1 sessions, post,
receive, remove a member (the chain rotates), channels' subscribers."""

import pytest

import sealwire as sw
from conftest import NOW, Party, connect


def test_group_lifecycle(alice: Party, bob: Party, carol: Party) -> None:
    a_b, b_a = connect(alice, bob)
    a_c, c_a = connect(alice, carol)
    b_c, c_b = connect(bob, carol)
    a, to_others = sw.Group.create(alice.key, [bob.key, carol.key], now=NOW)
    b, from_b = sw.Group.create_with_id(a.id, bob.key, [alice.key, carol.key], now=NOW)
    c, from_c = sw.Group.create_with_id(a.id, carol.key, [alice.key, bob.key], now=NOW)
    assert len(a.id) == 16 and set(a.members) == {bob.key, carol.key}
    assert set(to_others.recipients) == {bob.key, carol.key}

    # Each sends its chain over the 1:1 sessions.
    assert b.accept_distribution(b_a.decrypt(to_others.encrypt_for(a_b, now=NOW), now=NOW), now=NOW)
    assert c.accept_distribution(c_a.decrypt(to_others.encrypt_for(a_c, now=NOW), now=NOW), now=NOW)
    assert a.accept_distribution(a_b.decrypt(from_b.encrypt_for(b_a, now=NOW), now=NOW), now=NOW)
    assert c.accept_distribution(c_b.decrypt(from_b.encrypt_for(b_c, now=NOW), now=NOW), now=NOW)
    assert a.accept_distribution(a_c.decrypt(from_c.encrypt_for(c_a, now=NOW), now=NOW), now=NOW)
    assert b.accept_distribution(b_c.decrypt(from_c.encrypt_for(c_b, now=NOW), now=NOW), now=NOW)

    post = a.post(b"hi all", now=NOW)
    assert post.rotation is None
    for member in (b, c):
        got = member.receive_post(post.message, now=NOW)
        assert got.plaintext == b"hi all" and got.sender == alice.key
    with pytest.raises(sw.GroupError) as e:
        b.receive_post(post.message, now=NOW)
    assert e.value.kind == "DuplicatePost"
    got = a.receive_post(b.post(b"from bob", now=NOW).message, now=NOW)
    assert got.sender == bob.key and got.iteration == 0

    # A distribution over a session with someone else is refused.
    with pytest.raises(sw.SessionError) as e:
        to_others.encrypt_for(b_a, now=NOW)  # for Bob and Carol, not Alice
    assert e.value.kind == "SessionMismatch"

    # Removing Carol rotates Alice's chain; Carol cannot read what follows.
    rotation = a.remove_member(carol.key, now=NOW)
    assert rotation.recipients == [bob.key]
    b.accept_distribution(b_a.decrypt(rotation.encrypt_for(a_b, now=NOW), now=NOW), now=NOW)
    after = a.post(b"without carol", now=NOW)
    assert b.receive_post(after.message, now=NOW).plaintext == b"without carol"
    with pytest.raises(sw.GroupError):
        c.receive_post(after.message, now=NOW)

    # Timer.
    change = a.set_timer(sw.ExpiryPolicy(sw.ExpiryMode.AFTER_SEND, 30), now=NOW)
    got = b.receive_post(change.message, now=NOW)
    assert got.timer_change is not None and got.timer_change.policy.ttl_secs == 30
    got = b.receive_post(a.post(b"short-lived", now=NOW).message, now=NOW)
    assert got.expiry.kind == "at" and got.expiry.deadline == NOW + 30_000

    # The group survives a save and load.
    b2 = sw.Group.from_blob(b.to_blob())
    assert b2.receive_post(a.post(b"after reload", now=NOW).message, now=NOW).plaintext == b"after reload"


def test_channel(alice: Party, bob: Party) -> None:
    a_b, b_a = connect(alice, bob)
    owner, dist = sw.ChannelOwner.create(alice.key, [bob.key], now=NOW)
    sub = sw.ChannelSubscriber(owner.id, bob.key, alice.key)
    assert sub.owner == alice.key and sub.id == owner.id
    assert sub.accept_distribution(b_a.decrypt(dist.encrypt_for(a_b, now=NOW), now=NOW), now=NOW)
    assert sub.receive_post(owner.post(b"news", now=NOW).message, now=NOW).plaintext == b"news"
    assert not hasattr(sub, "post")  # subscribers have no way to post
    assert not hasattr(owner, "receive_post")

    rotation = owner.remove_member(bob.key, now=NOW)
    assert rotation.recipients == []
    with pytest.raises(sw.GroupError):
        sub.receive_post(owner.post(b"members only", now=NOW).message, now=NOW)


def test_group_refusals(alice: Party, bob: Party) -> None:
    a, _ = sw.Group.create(alice.key, [bob.key], now=NOW)
    with pytest.raises(sw.GroupError) as e:
        a.add_member(bob.key)
    assert e.value.kind == "AlreadyMember"
    with pytest.raises(sw.GroupError):
        a.remove_member(sw.IdentityKeyPair.generate().public_key, now=NOW)
    with pytest.raises(sw.GroupError):
        a.receive_post(b"\x00" * 200, now=NOW)
    with pytest.raises(sw.DecodeError):
        sw.Group.create_with_id(b"short", alice.key, [bob.key], now=NOW)
