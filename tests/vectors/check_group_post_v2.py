#!/usr/bin/env python3
"""Independent cross-check of tests/vectors/group_post_v2.json with
pyca/cryptography (OpenSSL's AES-256-CTR, HKDF and Ed25519) and Python's
HMAC: each post is rebuilt from the case's chain key, signing seed and the
listed frame, byte for byte (SPEC.md §20.2, §20.4).
Run: python3 tests/vectors/check_group_post_v2.py"""
import hashlib
import hmac
import json
import pathlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

doc = json.loads((pathlib.Path(__file__).parent / "group_post_v2.json").read_text())
checked = 0
for case in doc["cases"]:
    ck = bytes.fromhex(case["inputs"]["chain_key"])
    signer = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(case["inputs"]["signing_seed"]))
    for post in case["posts"]:
        mk = hmac.new(ck, b"\x01", hashlib.sha256).digest()
        okm = HKDF(hashes.SHA256(), 44, b"\0" * 32, b"Sealwire_GroupMessageKeys_v2").derive(mk)
        enc = Cipher(algorithms.AES(okm[:32]), modes.CTR(okm[32:] + b"\0" * 4)).encryptor()
        ct = enc.update(bytes.fromhex(post["frame"])) + enc.finalize()
        header = bytes.fromhex(post["header"])
        signed = b"Sealwire_GroupPost_v2" + header + hashlib.sha256(ct).digest()
        rebuilt = header + ct + signer.sign(signed)
        assert rebuilt.hex() == post["post"], (case["name"], post["iteration"])
        checked += 1
        ck = hmac.new(ck, b"\x02", hashlib.sha256).digest()
print(f"group_post_v2.json: {checked} posts rebuilt with OpenSSL, all equal")
