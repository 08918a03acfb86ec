#!/usr/bin/env python3
"""Independent cross-check of tests/vectors/pqxdh_v2.json with pyca/cryptography
(OpenSSL's X25519 and ML-KEM-768, Python's HMAC): the encapsulation key of the
seed d || z, the KEM shared secret decapsulated from the listed ciphertext,
DH1..DH4, and SK = HKDF-SHA256 over the listed IKM. Needs cryptography >= 47.
Run: python3 tests/vectors/check_pqxdh_v2.py"""
import hashlib
import hmac
import json
import pathlib

from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import mlkem
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

doc = json.loads((pathlib.Path(__file__).parent / "pqxdh_v2.json").read_text())


def dh(secret_hex, public_hex):
    sk = X25519PrivateKey.from_private_bytes(bytes.fromhex(secret_hex))
    return sk.exchange(X25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))).hex()


for case in doc["cases"]:
    i, p, x = case["inputs"], case["public"], case["pqxdh"]
    kem = mlkem.MLKEM768PrivateKey.from_seed_bytes(bytes.fromhex(i["pq_prekey_seed_d_z"]))
    ek = kem.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
    assert ek.hex() == p["pq_prekey_ek"], "ek"
    assert kem.decapsulate(bytes.fromhex(x["kem_ciphertext"])).hex() == x["kem_shared_secret"], "ss"
    assert dh(i["signed_prekey_secret"], p["alice_identity_x25519"]) == x["dh1"], "dh1"
    assert dh(i["alice_ephemeral_secret"], p["bob_identity_x25519"]) == x["dh2"], "dh2"
    assert dh(i["alice_ephemeral_secret"], p["signed_prekey"]) == x["dh3"], "dh3"
    if i["one_time_prekey_secret"]:
        assert dh(i["alice_ephemeral_secret"], p["one_time_prekey"]) == x["dh4"], "dh4"
    ikm = bytes.fromhex("ff" * 32 + x["dh1"] + x["dh2"] + x["dh3"] + (x["dh4"] or "") + x["kem_shared_secret"])
    assert ikm.hex() == x["ikm"], "ikm"
    prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()
    sk = hmac.new(prk, x["info"].encode() + b"\x01", hashlib.sha256).digest()
    assert sk.hex() == x["sk"], "sk"
    print("ok:", case["name"])
