#!/usr/bin/env python3
"""Independent cross-check of tests/vectors/group_post_v3.json with
pyca/cryptography (OpenSSL's AES-256-CTR, HKDF and Ed25519) and Python's
HMAC: each post is rebuilt from the case's chain key, signing seed, the
sender's identity seed, each post's r and the listed frame, byte for byte
(SPEC.md §20.2, §20.4).
Run: python3 tests/vectors/check_group_post_v3.py"""
import hashlib
import hmac
import json
import pathlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

doc = json.loads((pathlib.Path(__file__).parent / "group_post_v3.json").read_text())
checked = 0
for case in doc["cases"]:
    inputs = case["inputs"]
    ck = bytes.fromhex(inputs["chain_key"])
    signer = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(inputs["signing_seed"]))
    ik = (
        Ed25519PrivateKey.from_private_bytes(bytes.fromhex(inputs["sender_identity_seed"]))
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    assert ik.hex() == case["sender_identity_key"], case["name"]
    group_id = bytes.fromhex(inputs["group_id"])
    for post in case["posts"]:
        it = post["iteration"]
        r = bytes.fromhex(inputs["randoms"][it])
        mk = hmac.new(ck, b"\x01", hashlib.sha256).digest()
        okm = HKDF(hashes.SHA256(), 44, b"\0" * 32, b"Sealwire_GroupMessageKeys_v3").derive(mk)
        prefix = bytes(a ^ b for a, b in zip(okm[32:], r))
        enc = Cipher(algorithms.AES(okm[:32]), modes.CTR(prefix + b"\0" * 4)).encryptor()
        ct = enc.update(bytes.fromhex(post["frame"])) + enc.finalize()
        header = (
            b"\x03\x20" + group_id + inputs["chain_id"].to_bytes(4, "big") + it.to_bytes(4, "big") + r
        )
        assert header.hex() == post["header"], (case["name"], it)
        signed = b"Sealwire_GroupPost_v3" + header + ik + hashlib.sha256(ct).digest()
        rebuilt = header + ct + signer.sign(signed)
        assert rebuilt.hex() == post["post"], (case["name"], it)
        checked += 1
        ck = hmac.new(ck, b"\x02", hashlib.sha256).digest()
print(f"group_post_v3.json: {checked} posts rebuilt with OpenSSL, all equal")
