"""Tests of the sealwire C API through the ctypes binding (standard library
only): C ABI tests, run by ffi/ci.sh, not tests of the Python package
(python/tests/). Run from anywhere:

    cargo build -p sealwire-ffi
    python3 ffi/tests/python/test_sealwire.py

SEALWIRE_LIB may name the shared library (default: target/debug).
"""

import ctypes
import pathlib
import re
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import sealwire as sw  # noqa: E402

T0 = 1_780_000_000_000
KEY = bytes(range(32))


def seeded(tag: int) -> sw.Rng:
    return sw.Rng.danger_seeded(bytes([tag]) * 32)


class Parties:
    """Alice and Bob with a pending session (Alice) and Bob's prekeys."""

    def __init__(self):
        self.rng = seeded(1)
        self.alice_id = sw.Identity.generate(self.rng)
        self.bob_id = sw.Identity.generate()  # OS randomness
        self.bob_prekeys = sw.PrekeyStore(self.bob_id, self.rng)
        [opk] = self.bob_prekeys.generate_one_time_prekeys(1, self.rng)
        self.published = self.bob_prekeys.bundle(self.bob_id, opk)
        bundle = sw.Bundle.parse(self.published)
        self.alice = sw.Session.initiate(self.alice_id, bundle, self.rng)

    def establish(self):
        hello = self.alice.encrypt(b"hello Bob", T0, self.rng)
        self.bob, got = sw.Session.accept(self.bob_id, self.bob_prekeys, hello, T0)
        assert got.plaintext == b"hello Bob"
        reply = self.bob.encrypt(b"hi Alice", T0, self.rng)
        assert self.alice.decrypt(reply, T0).plaintext == b"hi Alice"
        return self


class ConversationTest(unittest.TestCase):
    def test_two_parties_converse(self):
        p = Parties()
        self.assertFalse(p.alice.is_established())
        bundle = sw.Bundle.parse(p.published)
        self.assertEqual(bundle.identity_key(), p.bob_id.public_key())
        self.assertEqual(bundle.encode(), p.published)

        # Prekey messages, accepted from the second, the first after.
        m0 = p.alice.encrypt(b"first", T0)
        m1 = p.alice.encrypt(b"second", T0)
        bob, got = sw.Session.accept(p.bob_id, p.bob_prekeys, m1, T0)
        self.assertEqual((got.plaintext, got.message_number), (b"second", 1))
        self.assertEqual(got.sender, p.alice_id.public_key())
        self.assertEqual(bob.decrypt(m0, T0).plaintext, b"first")
        self.assertEqual(p.bob_prekeys.one_time_prekey_count(), 0)

        # Replies and ratchet turns, out of order both ways.
        r = bob.encrypt(b"hi Alice", T0)
        self.assertEqual(p.alice.decrypt(r, T0).plaintext, b"hi Alice")
        self.assertTrue(p.alice.is_established())
        for s in (p.alice, bob):  # classic (X3DH) on both sides, also saved and loaded
            self.assertEqual(s.key_agreement(), sw.KeyAgreement.X3DH)
            self.assertEqual(sw.Session.load(s.save()).key_agreement(), sw.KeyAgreement.X3DH)
        a = [p.alice.encrypt(f"a{i}".encode(), T0) for i in range(4)]
        for i in (3, 1, 0, 2):
            got = bob.decrypt(a[i], T0)
            self.assertEqual((got.plaintext, got.message_number), (f"a{i}".encode(), i))
        b = [bob.encrypt(f"b{i}".encode(), T0) for i in range(3)]
        for i in (2, 0, 1):
            self.assertEqual(p.alice.decrypt(b[i], T0).plaintext, f"b{i}".encode())
        self.assertEqual(bob.their_identity(), p.alice_id.public_key())
        receipt = bob.encrypt(b"read", T0, content_type=sw.ContentType.RECEIPT)
        self.assertEqual(p.alice.decrypt(receipt, T0).content_type, sw.ContentType.RECEIPT)

    def test_tampered_message_is_rejected(self):
        p = Parties().establish()
        message = p.alice.encrypt(b"pay 10", T0)
        before = p.bob.save()
        for i in (len(message) - 1, len(message) // 2, 50):
            forged = bytearray(message)
            forged[i] ^= 0x01
            with self.assertRaises(sw.SealwireError) as e:
                p.bob.decrypt(bytes(forged), T0)
            self.assertNotEqual(e.exception.code, sw.Code.OK)
            self.assertEqual(p.bob.save(), before, "a refused message changed the session")
        forged = bytearray(message)
        forged[-1] ^= 0x80
        with self.assertRaises(sw.SealwireError) as e:
            p.bob.decrypt(bytes(forged), T0)
        self.assertEqual(e.exception.code, sw.Code.SESSION_AUTHENTICATION_FAILED)
        self.assertIn("authentication failed", str(e.exception))
        # The genuine message still opens, once.
        self.assertEqual(p.bob.decrypt(message, T0).plaintext, b"pay 10")
        with self.assertRaises(sw.SealwireError) as e:
            p.bob.decrypt(message, T0)
        self.assertEqual(e.exception.code, sw.Code.SESSION_DUPLICATE_MESSAGE)
        with self.assertRaises(sw.SealwireError) as e:
            p.bob.decrypt(message[:10], T0)
        self.assertEqual(e.exception.code, sw.Code.DECODE_TRUNCATED)

    def test_errors_name_the_argument(self):
        self.assertEqual(sw.version().split(".")[0], "0")
        with self.assertRaises(sw.SealwireError) as e:
            sw.Identity.from_seed(b"x" * 31)
        self.assertEqual(e.exception.code, sw.Code.INVALID_ARGUMENT)
        self.assertEqual(e.exception.detail, "seed_len is 31: seed is 32 bytes")
        # Authentication failures: one fixed text, whatever was forged.
        p = Parties().establish()
        message = p.alice.encrypt(b"pay 10", T0)
        details = set()
        for i in (len(message) - 1, len(message) - 20):
            forged = bytearray(message)
            forged[i] ^= 0x01
            with self.assertRaises(sw.SealwireError) as e:
                p.bob.decrypt(bytes(forged), T0)
            self.assertEqual(e.exception.code, sw.Code.SESSION_AUTHENTICATION_FAILED)
            details.add(e.exception.detail)
        self.assertEqual(details, {"message authentication failed"})

    def test_forged_bundle_is_rejected(self):
        p = Parties()
        forged = bytearray(p.published)
        forged[80] ^= 1  # inside the signature
        with self.assertRaises(sw.SealwireError) as e:
            sw.Bundle.parse(bytes(forged))
        self.assertEqual(e.exception.code, sw.Code.BUNDLE_INVALID_SIGNATURE)

    def test_state_saved_and_restored(self):
        p = Parties().establish()
        bob_blob = p.bob.save()
        here = sw.BlobAddress(owner=p.alice_id.public_key(), peer_name=b"bob", device_id=1)
        mine = sw.BlobAddress(owner=p.bob_id.public_key())
        alice_sealed = p.alice.save_sealed(KEY, here)
        id_sealed = p.bob_id.save_sealed(KEY, mine, p.rng)
        store_blob = p.bob_prekeys.save()
        p.bob.close()
        p.alice.close()
        bob = sw.Session.load(bob_blob)
        alice = sw.Session.load_sealed(KEY, here, alice_sealed)
        bob_id = sw.Identity.load_sealed(KEY, mine, id_sealed)
        self.assertEqual(bob_id.public_key(), p.bob_id.public_key())
        self.assertEqual(sw.PrekeyStore.load(store_blob).save(), store_blob)
        self.assertEqual(bob.decrypt(alice.encrypt(b"still here", T0), T0).plaintext, b"still here")
        self.assertEqual(alice.decrypt(bob.encrypt(b"me too", T0), T0).plaintext, b"me too")
        for load, blob, code in [
            (lambda b: sw.Session.load_sealed(bytes(32), here, b), alice_sealed,
             sw.Code.STATE_WRONG_STORAGE_KEY),
            # Moved: Alice's session with Bob into the row of Carol, or of
            # Bob's second device; Bob's identity into Alice's storage.
            (lambda b: sw.Session.load_sealed(
                KEY, sw.BlobAddress(owner=p.alice_id.public_key(), peer_name=b"carol",
                                    device_id=1), b),
             alice_sealed, sw.Code.STATE_WRONG_ADDRESS),
            (lambda b: sw.Session.load_sealed(
                KEY, sw.BlobAddress(owner=p.alice_id.public_key(), peer_name=b"bob",
                                    device_id=2), b),
             alice_sealed, sw.Code.STATE_WRONG_ADDRESS),
            (lambda b: sw.Identity.load_sealed(KEY, sw.BlobAddress(owner=p.alice_id.public_key()),
                                               b),
             id_sealed, sw.Code.STATE_WRONG_ADDRESS),
            (lambda b: sw.Session.load_sealed_legacy(KEY, b), alice_sealed,
             sw.Code.STATE_ADDRESS_BOUND),
            (sw.Session.load, alice_sealed, sw.Code.STATE_SEALED),
            (sw.Identity.load, bob_blob, sw.Code.STATE_WRONG_KIND),
            (sw.Session.load, bob_blob[:-1], sw.Code.STATE_CORRUPTED),
            (sw.Session.load, b"nope", sw.Code.STATE_NOT_A_STATE_BLOB),
        ]:
            with self.assertRaises(sw.SealwireError) as e:
                load(blob)
            self.assertEqual(e.exception.code, code)

    def test_disappearing_messages(self):
        p = Parties().establish()
        change = p.alice.set_timer(sw.ExpiryMode.AFTER_SEND, 60, T0)
        got = p.bob.decrypt(change, T0)
        self.assertEqual(got.content_type, sw.ContentType.TIMER_CHANGE)
        old, new = got.timer_change
        self.assertEqual(old.mode, sw.ExpiryMode.OFF)
        self.assertEqual((new.mode, new.ttl_secs, new.version), (sw.ExpiryMode.AFTER_SEND, 60, 1))
        self.assertEqual(p.bob.timer(), p.alice.timer())
        with self.assertRaises(sw.SealwireError) as e:
            p.alice.set_timer(sw.ExpiryMode.AFTER_SEND, 0, T0)
        self.assertEqual(e.exception.code, sw.Code.EXPIRY_INVALID_POLICY)

        secret = p.alice.encrypt(b"door code 4711", T0)
        late = p.alice.encrypt(b"late", T0)
        queue = sw.ExpiryQueue()
        got = p.bob.decrypt(secret, T0 + 1000)
        self.assertEqual((got.expiry, got.expiry_ms), (sw.MessageExpiry.AT, T0 + 60_000))
        msg_id = (1).to_bytes(16, "big")
        self.assertTrue(queue.insert_received(msg_id, got))
        self.assertEqual(queue.next_deadline(), T0 + 60_000)
        self.assertEqual(queue.pop_expired(T0 + 59_999), [])
        self.assertEqual(sw.ExpiryQueue.decode(queue.encode()).encode(), queue.encode())
        self.assertEqual(len(sw.ExpiryQueue.load(queue.save())), 1)
        self.assertEqual(queue.pop_expired(T0 + 60_000), [msg_id])
        got = p.bob.decrypt(late, T0 + 61_000)
        self.assertEqual((got.plaintext, got.expiry), (b"", sw.MessageExpiry.EXPIRED))
        many = [(i + 10).to_bytes(16, "big") for i in range(150)]
        for m in many:
            queue.insert_at(m, T0)
        self.assertEqual(queue.pop_expired(T0), many)  # in batches of 64
        self.assertEqual(len(queue), 0)

    def test_safety_numbers(self):
        p = Parties()
        a, b = p.alice_id.public_key(), p.bob_id.public_key()
        at_alice = sw.SafetyNumber.compute(a, b"alice", b, b"bob")
        at_bob = sw.SafetyNumber.compute(b, b"bob", a, b"alice")
        self.assertEqual(at_alice.displayable(), at_bob.displayable())
        self.assertEqual(len(at_alice.displayable()), 60)
        at_alice.verify_scanned(at_bob.scannable())
        with self.assertRaises(sw.SealwireError) as e:
            at_alice.verify_scanned(at_alice.scannable())
        self.assertEqual(e.exception.code, sw.Code.SAFETY_NUMBER_MISMATCH)


class PostQuantumTest(unittest.TestCase):
    """PQXDH (ML-KEM-768) through the binding."""

    def setUp(self):
        self.rng = seeded(7)
        self.alice_id = sw.Identity.generate(self.rng)
        self.bob_id = sw.Identity.generate(self.rng)
        self.store = sw.PrekeyStore.new_pq(self.bob_id, self.rng)

    def initiate(self, published: bytes) -> sw.Session:
        return sw.Session.initiate(self.alice_id, sw.Bundle.parse(published), self.rng)

    def assertCode(self, code, call, *args):
        with self.assertRaises(sw.SealwireError) as e:
            call(*args)
        self.assertEqual(e.exception.code, code)

    def test_pq_session(self):
        last_resort = self.store.last_resort_pq_prekey_id()
        self.assertEqual(last_resort, 1)
        pq_ids = self.store.generate_pq_one_time_prekeys(self.bob_id, 2, self.rng)
        self.assertEqual(pq_ids, [2, 3])
        self.assertEqual(self.store.pq_one_time_prekey_count(), 2)
        [opk] = self.store.generate_one_time_prekeys(1, self.rng)
        published = self.store.bundle(self.bob_id, opk, pq_ids[0])
        self.assertEqual(sw.Bundle.parse(published).pq_prekey(),
                         (pq_ids[0], sw.PqPrekeyKind.ONE_TIME))
        self.assertEqual(sw.Bundle.parse(self.store.bundle(self.bob_id)).pq_prekey(),
                         (last_resort, sw.PqPrekeyKind.LAST_RESORT))

        alice = self.initiate(published)
        self.assertIs(alice.is_post_quantum(), True)
        self.assertEqual(alice.key_agreement(), sw.KeyAgreement.PQXDH)
        m0 = alice.encrypt(b"pq first", T0)
        m1 = alice.encrypt(b"pq second", T0)
        self.store.require_pq = True
        bob, got = sw.Session.accept(self.bob_id, self.store, m1, T0)
        self.assertEqual((got.plaintext, got.message_number), (b"pq second", 1))
        self.assertEqual(bob.key_agreement(), sw.KeyAgreement.PQXDH)
        self.assertEqual(self.store.pq_one_time_prekey_ids(), [pq_ids[1]])
        self.assertEqual(bob.decrypt(m0, T0).plaintext, b"pq first")
        r = [bob.encrypt(f"r{i}".encode(), T0) for i in range(3)]
        for i in (2, 0, 1):
            self.assertEqual(alice.decrypt(r[i], T0).plaintext, f"r{i}".encode())
        self.assertTrue(alice.is_established())
        self.assertIs(alice.is_post_quantum(), True)
        self.assertEqual(alice.key_agreement(), sw.KeyAgreement.PQXDH)
        for s in (alice, bob):
            self.assertEqual(sw.Session.load(s.save()).key_agreement(), sw.KeyAgreement.PQXDH)
        self.assertEqual(bob.decrypt(alice.encrypt(b"turn", T0), T0).plaintext, b"turn")

        # A one-time PQ prekey is used once.
        only_pq = self.initiate(self.store.bundle(self.bob_id, None, pq_ids[1]))
        hello = only_pq.encrypt(b"once", T0)
        sw.Session.accept(self.bob_id, self.store, hello, T0)
        self.assertCode(sw.Code.SESSION_UNKNOWN_PQ_PREKEY, sw.Session.accept, self.bob_id,
                        self.store, hello, T0)

        # The last-resort PQ prekey: a replayed prekey message is refused.
        hello = self.initiate(self.store.bundle(self.bob_id)).encrypt(b"last resort", T0)
        sw.Session.accept(self.bob_id, self.store, hello, T0)
        before = self.store.save()
        self.assertCode(sw.Code.SESSION_REPLAYED_PREKEY_MESSAGE, sw.Session.accept, self.bob_id,
                        self.store, hello, T0)
        self.assertEqual(self.store.save(), before)

        # Saved and restored, with its policy and replay records.
        mine = sw.BlobAddress(owner=self.bob_id.public_key())
        restored = sw.PrekeyStore.load_sealed(KEY, mine, self.store.save_sealed(KEY, mine, self.rng))
        self.assertEqual(restored.save(), before)
        self.assertTrue(restored.require_pq)
        self.assertCode(sw.Code.SESSION_REPLAYED_PREKEY_MESSAGE, sw.Session.accept, self.bob_id,
                        restored, hello, T0)

    def test_require_pq_refuses_classic(self):
        classic_store = sw.PrekeyStore(self.bob_id, self.rng)
        alice = self.initiate(classic_store.bundle(self.bob_id))
        self.assertIs(alice.is_post_quantum(), False)
        self.assertEqual(alice.key_agreement(), sw.KeyAgreement.X3DH)
        hello = alice.encrypt(b"classic", T0)
        self.assertEqual(classic_store.rotate_last_resort_pq_prekey(self.bob_id, self.rng), 1)
        classic_store.require_pq = True
        self.assertCode(sw.Code.SESSION_PQ_REQUIRED, sw.Session.accept, self.bob_id,
                        classic_store, hello, T0)
        classic_store.require_pq = False
        _, got = sw.Session.accept(self.bob_id, classic_store, hello, T0)
        self.assertEqual(got.plaintext, b"classic")


class FrankingTest(unittest.TestCase):
    """Message franking (abuse reports) through the binding."""

    def assertCode(self, code, call, *args, **kwargs):
        with self.assertRaises(sw.SealwireError) as e:
            call(*args, **kwargs)
        self.assertEqual(e.exception.code, code)

    def test_franked_message_reported_and_verified(self):
        p = Parties().establish()
        relay = sw.RelayKey.generate(p.rng)
        abusive = p.alice.encrypt_franked(b"you will regret this", T0, p.rng)
        ordinary = p.alice.encrypt(b"hello", T0, p.rng)
        self.assertEqual(len(abusive) - len(p.alice.encrypt(b"you will regret this", T0)), 64)

        # The relay stamps franked messages only.
        stamp = relay.stamp_message(abusive, b"acct:alice", b"acct:bob", T0 + 5)
        self.assertEqual(len(stamp), 46 + 10 + 8)
        self.assertCode(sw.Code.REPORT_NOT_FRANKED, relay.stamp_message, ordinary, b"a", b"b", T0)

        got = p.bob.decrypt(abusive, T0)
        self.assertIsNotNone(got.franking)
        self.assertEqual(got.franking.commitment, sw.commitment_of(abusive))
        self.assertIsNone(p.bob.decrypt(ordinary, T0).franking)

        # Bob reports it; the relay verifies the report.
        bob_key = p.bob_id.public_key()
        report = sw.report(got, p.bob_id, stamp)
        verified = relay.verify_report(report)
        self.assertEqual(verified.body, b"you will regret this")
        self.assertEqual(verified.content_type, sw.ContentType.USER_MESSAGE)
        self.assertEqual((verified.sender, verified.recipient), (p.alice_id.public_key(), bob_key))
        self.assertEqual((verified.routing_sender, verified.routing_recipient),
                         (b"acct:alice", b"acct:bob"))
        self.assertEqual((verified.sent_at_ms, verified.routing_timestamp_ms), (T0, T0 + 5))
        self.assertIsNone(verified.attachment)
        # The relay key, stored and reloaded, still verifies.
        again = sw.RelayKey.from_bytes(relay.danger_export())
        self.assertEqual(again.verify_report(report).body, verified.body)

        # An altered report is refused.
        altered = sw.report(got, p.bob_id, stamp, body=b"you will regret THIS")
        self.assertCode(sw.Code.REPORT_BAD_COMMITMENT, relay.verify_report, altered)
        flipped = bytearray(report)
        flipped[-1] ^= 1
        self.assertCode(sw.Code.REPORT_BAD_COMMITMENT, relay.verify_report, bytes(flipped))
        self.assertCode(sw.Code.REPORT_BAD_STAMP, sw.RelayKey.generate().verify_report, report)
        self.assertCode(sw.Code.DECODE_TRUNCATED, relay.verify_report, report[:-1])
        # An unfranked message cannot be reported.
        self.assertCode(sw.Code.REPORT_NOT_FRANKED, sw.report,
                        p.bob.decrypt(p.alice.encrypt(b"x", T0), T0), p.bob_id, stamp)

    def test_attachment_reported(self):
        p = Parties()
        relay = sw.RelayKey.generate()
        picture = bytes(range(256)) * 10
        key = sw.attachment_key(p.rng)
        blob = sw.attachment_encrypt(key, picture)
        self.assertEqual(len(blob), len(picture) + 16)
        pointer = sw.AttachmentPointer.new(key, picture, b"image/png", b"blob:7")
        message = p.alice.encrypt_franked(pointer.encode(), T0, p.rng)
        stamp = relay.stamp_message(message, b"a", b"b", T0)
        bob, got = sw.Session.accept(p.bob_id, p.bob_prekeys, message, T0)
        received = sw.AttachmentPointer.parse(got.plaintext)
        self.assertEqual((received.size(), received.media_type(), received.locator()),
                         (len(picture), b"image/png", b"blob:7"))
        opened = received.decrypt(blob)
        self.assertEqual(opened, picture)
        self.assertCode(sw.Code.ATTACHMENT_MISMATCH, received.decrypt, blob[:-1] + b"\0")
        self.assertCode(sw.Code.ATTACHMENT_MISMATCH, received.verify, picture[1:])
        verified = relay.verify_report(sw.report(got, p.bob_id, stamp, opened))
        self.assertEqual(verified.attachment, picture)
        self.assertCode(sw.Code.REPORT_ATTACHMENT_MISMATCH, relay.verify_report,
                        sw.report(got, p.bob_id, stamp, picture[::-1]))


class DevicesTest(unittest.TestCase):
    """Alice with two devices, Bob with one: one call sends to every device,
    each decrypts; Bob loses his sessions and heals them with a recovery
    request."""

    def assertCode(self, code, fn, *args, **kwargs):
        with self.assertRaises(sw.SealwireError) as e:
            fn(*args, **kwargs)
        self.assertEqual(e.exception.code, code)
        return e.exception

    def test_device_list_events_and_identity_changes(self):
        k1, k2, k3 = (sw.Identity.from_seed(bytes([i]) * 32).public_key() for i in (1, 2, 3))
        bob = sw.DeviceList("bob")
        self.assertEqual(bob.user(), "bob")
        self.assertEqual(bob.update([(2, k2), (1, k1)]),
                         [sw.DeviceEvent(sw.DeviceEventKind.ADDED, 1, k1),
                          sw.DeviceEvent(sw.DeviceEventKind.ADDED, 2, k2)])
        self.assertEqual((len(bob), bob.device_ids()), (2, [1, 2]))
        self.assertEqual(bob.update([(1, k3)]),
                         [sw.DeviceEvent(sw.DeviceEventKind.IDENTITY_CHANGED, 1, k3, k1),
                          sw.DeviceEvent(sw.DeviceEventKind.REMOVED, 2)])
        self.assertEqual(bob.identity(1), (k1, k3))
        self.assertIsNone(bob.identity(2))
        self.assertCode(sw.Code.DEVICE_NO_PENDING_CHANGE, bob.confirm_identity, 1, k2)
        bob.confirm_identity(1, k3)
        self.assertEqual(bob.identity(1), (k3, None))
        self.assertCode(sw.Code.DEVICE_DUPLICATE_DEVICE, bob.update, [(1, k1), (1, k2)])
        self.assertCode(sw.Code.DEVICE_TOO_MANY_DEVICES, bob.update,
                        [(i, k1) for i in range(33)])
        self.assertCode(sw.Code.DECODE_INVALID_KEY, bob.update, [(1, b"\xff" * 32)])
        self.assertEqual(bob.identity(1), (k3, None))
        self.assertCode(sw.Code.DEVICE_TOO_MANY_DEVICES, sw.DeviceList, "x" * 256)
        with self.assertRaises(TypeError):
            sw.DeviceList(b"bob")  # bytes are no handle

    def test_two_devices_fan_out_and_recovery(self):
        rng = seeded(7)
        ids = {name: sw.Identity.generate(rng) for name in ("a1", "a2", "b1")}
        keys = {name: i.public_key() for name, i in ids.items()}
        prekeys = {name: sw.PrekeyStore(i, rng) for name, i in ids.items()}

        def bundle(name):
            return prekeys[name].bundle(ids[name])

        bob_list, alice_list = sw.DeviceList("bob"), sw.DeviceList("alice")
        bob_list.update([(1, keys["b1"])])
        alice_list.update([(1, keys["a1"]), (2, keys["a2"])])
        a1_b1, a1_a2 = sw.DeviceSessions(), sw.DeviceSessions()
        recipients = [(bob_list, {1: a1_b1}), (alice_list, {2: a1_a2})]
        me = ("alice", 1)

        e = self.assertCode(sw.Code.DEVICE_NO_SESSION, sw.encrypt_for_devices, me, recipients,
                            b"hi", T0, rng)
        self.assertEqual(e.failure, (0, 1))
        self.assertCode(sw.Code.SESSION_UNTRUSTED_IDENTITY, a1_b1.initiate, ids["a1"],
                        keys["a2"], bundle("b1"), rng)
        a1_b1.initiate(ids["a1"], keys["b1"], bundle("b1"), rng)
        a1_a2.initiate(ids["a1"], keys["a2"], bundle("a2"), rng)

        sent = sw.encrypt_for_devices(me, recipients, b"hello", T0, rng)
        self.assertEqual([(m.recipient_index, m.user, m.device_id) for m in sent],
                         [(0, "bob", 1), (1, "alice", 2)])
        b1_a1, a2_a1 = sw.DeviceSessions(), sw.DeviceSessions()
        got = b1_a1.decrypt(ids["b1"], prekeys["b1"], keys["a1"], sent[0].message, T0)
        self.assertEqual((got.plaintext, got.sender), (b"hello", keys["a1"]))
        got = a2_a1.decrypt(ids["a2"], prekeys["a2"], keys["a1"], sent[1].message, T0)
        self.assertEqual(got.plaintext, b"hello")
        reply = b1_a1.encrypt(keys["a1"], b"hi Alice", T0, rng)
        self.assertEqual(a1_b1.decrypt(ids["a1"], prekeys["a1"], keys["b1"], reply, T0).plaintext,
                         b"hi Alice")

        # Bob loses his sessions: Alice's next message is taken by none.
        b1_a1.close()
        b1_a1 = sw.DeviceSessions()
        lost = sw.encrypt_for_devices(me, recipients, b"lost", T0 + 1000, rng)[0].message
        self.assertCode(sw.Code.SESSION_NO_SESSION, b1_a1.decrypt, ids["b1"], prekeys["b1"],
                        keys["a1"], lost, T0 + 1000)
        request = b1_a1.recovery_request(ids["b1"], keys["a1"], lost, T0 + 1000)
        self.assertEqual(len(request), sw.RECOVERY_REQUEST_LEN)
        self.assertCode(sw.Code.RECOVERY_TOO_MANY_REQUESTS, b1_a1.recovery_request, ids["b1"],
                        keys["a1"], lost, T0 + 2000)
        info = sw.parse_recovery_request(request)
        self.assertEqual((info.requester, info.target, info.counter),
                         (keys["b1"], keys["a1"], 0))
        forged = bytearray(request)
        forged[-1] ^= 1
        self.assertCode(sw.Code.RECOVERY_AUTHENTICATION_FAILED, a1_b1.accept_recovery_request,
                        ids["a1"], keys["b1"], bytes(forged), T0 + 1000)
        self.assertCode(sw.Code.DECODE_TRUNCATED, sw.parse_recovery_request, request[:-1])
        self.assertEqual(a1_b1.accept_recovery_request(ids["a1"], keys["b1"], request, T0 + 1000),
                         (sw.RecoveryAction.RESTART, 0))
        self.assertFalse(a1_b1.has_current())
        self.assertCode(sw.Code.RECOVERY_REPLAYED_REQUEST, a1_b1.accept_recovery_request,
                        ids["a1"], keys["b1"], request, T0 + 1000)

        # A new session, and the conversation carries on.
        e = self.assertCode(sw.Code.DEVICE_NO_SESSION, sw.encrypt_for_devices, me, recipients,
                            b"again", T0 + 2000, rng)
        self.assertEqual(e.failure, (0, 1))
        a1_b1.initiate(ids["a1"], keys["b1"], bundle("b1"), rng)
        sent = sw.encrypt_for_devices(me, recipients, b"again", T0 + 2000, rng, franked=True)
        got = b1_a1.decrypt(ids["b1"], prekeys["b1"], keys["a1"], sent[0].message, T0 + 2000)
        self.assertEqual(got.plaintext, b"again")
        self.assertIsNotNone(got.franking)
        self.assertEqual(a2_a1.decrypt(ids["a2"], prekeys["a2"], keys["a1"], sent[1].message,
                                       T0 + 2000).plaintext, b"again")
        self.assertEqual(a1_b1.previous_count(), 1)

    def test_saved_and_loaded(self):
        rng = seeded(8)
        a, b = sw.Identity.generate(rng), sw.Identity.generate(rng)
        ka, kb = a.public_key(), b.public_key()
        pa, pb = sw.PrekeyStore(a, rng), sw.PrekeyStore(b, rng)
        bob_list = sw.DeviceList("bob")
        bob_list.update([(1, kb)])
        bob_list.update([(1, ka)])  # a change waiting for confirmation
        a_b, b_a = sw.DeviceSessions(), sw.DeviceSessions()
        a_b.initiate(a, kb, pb.bundle(b), rng)
        hello = a_b.encrypt(kb, b"hello", T0, rng)
        self.assertEqual(b_a.decrypt(b, pb, ka, hello, T0).plaintext, b"hello")
        late = a_b.encrypt(kb, b"late", T0, rng)

        list_row = sw.BlobAddress(owner=ka, peer_name=b"bob", context=b"device_lists")
        bob_row = sw.BlobAddress(owner=kb, peer_name=b"alice", device_id=1, context=b"sessions")
        list_blob, list_sealed = bob_list.save(), bob_list.save_sealed(KEY, list_row, rng)
        a_blob, b_sealed = a_b.save(), b_a.save_sealed(KEY, bob_row, rng)
        for h in (bob_list, a_b, b_a):
            h.close()

        bob_list = sw.DeviceList.load(list_blob)
        self.assertEqual(bob_list.identity(1), (kb, ka))
        self.assertEqual(sw.DeviceList.load_sealed(KEY, list_row, list_sealed).save(), list_blob)
        a_b = sw.DeviceSessions.load(a_blob)
        self.assertEqual(a_b.save(), a_blob)
        b_a = sw.DeviceSessions.load_sealed(KEY, bob_row, b_sealed)
        self.assertEqual(b_a.decrypt(b, pb, ka, late, T0).plaintext, b"late")
        reply = b_a.encrypt(ka, b"reply", T0, rng)
        self.assertEqual(a_b.decrypt(a, pa, kb, reply, T0).plaintext, b"reply")
        elsewhere = sw.BlobAddress(owner=kb, peer_name=b"alice", device_id=2, context=b"sessions")
        for load, blob, code in [
            (sw.DeviceSessions.load, list_blob, sw.Code.STATE_WRONG_KIND),
            (sw.DeviceList.load, a_blob, sw.Code.STATE_WRONG_KIND),
            (sw.Session.load, a_blob, sw.Code.STATE_WRONG_KIND),
            (sw.DeviceSessions.load, b_sealed, sw.Code.STATE_SEALED),
            (lambda x: sw.DeviceSessions.load_sealed(KEY, elsewhere, x), b_sealed,
             sw.Code.STATE_WRONG_ADDRESS),
            (lambda x: sw.DeviceSessions.load_sealed(bytes(32), bob_row, x), b_sealed,
             sw.Code.STATE_WRONG_STORAGE_KEY),
            (lambda x: sw.DeviceSessions.load_sealed_legacy(KEY, x), b_sealed,
             sw.Code.STATE_ADDRESS_BOUND),
            (lambda x: sw.DeviceList.load_sealed(KEY, bob_row, x), list_sealed,
             sw.Code.STATE_WRONG_ADDRESS),
            (sw.DeviceList.load, list_blob[:-1], sw.Code.STATE_CORRUPTED),
            (sw.DeviceSessions.load, b"nope", sw.Code.STATE_NOT_A_STATE_BLOB),
        ]:
            self.assertCode(code, load, blob)

    def test_session_blob_migrates_to_device_sessions(self):
        p = Parties().establish()
        here = sw.BlobAddress(owner=p.alice_id.public_key(), peer_name=b"bob", device_id=1)
        alice_sealed, bob_blob = p.alice.save_sealed(KEY, here, p.rng), p.bob.save()
        alice = sw.DeviceSessions.load_sealed(KEY, here, alice_sealed)
        bob = sw.DeviceSessions.load(bob_blob)
        self.assertTrue(alice.is_established() and bob.is_established())
        self.assertEqual(alice.previous_count(), 0)
        ka, kb = p.alice_id.public_key(), p.bob_id.public_key()
        m = alice.encrypt(kb, b"migrated", T0, p.rng)
        self.assertEqual(bob.decrypt(p.bob_id, p.bob_prekeys, ka, m, T0).plaintext, b"migrated")
        self.assertEqual(bob.save()[4], 0x07)  # the device-sessions kind from now on


class BoundaryTest(unittest.TestCase):
    def test_null_and_short_buffers_give_codes(self):
        lib = sw.library
        n = ctypes.c_size_t()
        info = sw._ReceivedInfo()
        self.assertEqual(lib.sw_session_decrypt(None, T0, None, 0, None, 0, ctypes.byref(n),
                                                ctypes.byref(info)), sw.Code.NULL_POINTER)
        p = Parties()
        self.assertEqual(lib.sw_identity_public_key(p.alice_id.ptr, None, 0, ctypes.byref(n)),
                         sw.Code.BUFFER_TOO_SMALL)
        self.assertEqual(n.value, 32)
        self.assertEqual(lib.sw_identity_public_key(p.alice_id.ptr, None, 32, ctypes.byref(n)),
                         sw.Code.NULL_POINTER)
        # A handle of another type.
        self.assertEqual(lib.sw_session_their_identity(p.bob_prekeys.ptr, None, 0,
                                                       ctypes.byref(n)),
                         sw.Code.INVALID_HANDLE)

    def test_codes_match_the_header(self):
        header = pathlib.Path(__file__).resolve().parents[3] / "ffi" / "include" / "sealwire.h"
        text = header.read_text()
        body = text[text.index("enum sw_result"):]
        body = body[: body.index("};")]
        codes = {m[0]: int(m[1]) for m in re.findall(r"\bSW_([A-Z_]+) = (\d+),", body)}
        self.assertEqual(codes, {c.name: c.value for c in sw.Code})


if __name__ == "__main__":
    unittest.main(verbosity=2)
