//! Reproduces `tests/vectors/x3dh_ratchet_v1.json` (an independent
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::unimplemented,
    clippy::cast_possible_truncation,
    missing_docs
)]
//! implementation's transcript) byte for byte: SK, AD, every DH, root and chain step,
//! header and ciphertext, with out-of-order delivery.

use std::collections::VecDeque;
use std::convert::Infallible;

use rand_core::{TryCryptoRng, TryRng};
use sealwire::hazmat;
use sealwire::wire::{HEADER_LEN, NONCE_MASK_LEN};
use sealwire::{Encrypt, IdentityKeyPair, Outgoing, PrekeyBundle, PrekeyStore};
use serde_json::Value;

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn h32(v: &Value) -> [u8; 32] {
    hex(v.as_str().unwrap()).try_into().unwrap()
}

/// The transcript's header: `DHs || PN || N`, without the nonce mask.
const KAT_HEADER_LEN: usize = 40;
/// The nonce mask injected so that the transcript's nonces are used as they
/// are derived.
const R_ZERO: [u8; NONCE_MASK_LEN] = [0; NONCE_MASK_LEN];

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/x3dh_ratchet_v1.json")).unwrap()
}

/// Hands out the listed ratchet secrets in generation order; panics if the
/// library asks for more randomness than the transcript provides.
struct ScriptedRng(VecDeque<[u8; 32]>);

impl TryRng for ScriptedRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        unimplemented!("the ratchet only draws 32-byte secrets")
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        unimplemented!("the ratchet only draws 32-byte secrets")
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        assert_eq!(dst.len(), 32);
        dst.copy_from_slice(
            &self
                .0
                .pop_front()
                .expect("transcript has no more ratchet keys"),
        );
        Ok(())
    }
}
impl TryCryptoRng for ScriptedRng {}

/// Checks one message of ours against the trace's encrypt step with the
/// same header, with an independent AES-256-GCM: the trace's key and nonce
/// open the transcript's `ciphertext || tag` under its associated data
/// (`AD || header`, 40-byte header), and the same key and nonce (r = 0)
/// seal the plaintext into exactly our `ciphertext || tag` under ours
/// (`AD || header || r`).
fn aead_matches_the_trace(v: &Value, wire: &[u8], kat_wire: &[u8], pt: &[u8], ad: &[u8; 66]) {
    use aes_gcm::aead::inout::InOutBuf;
    use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
    let header_hex = hex::encode(&kat_wire[..KAT_HEADER_LEN]);
    let step = ["trace_alice", "trace_bob"]
        .iter()
        .flat_map(|t| v[*t].as_array().unwrap())
        .find(|s| s["step"] == "encrypt" && s["header"].as_str() == Some(header_hex.as_str()))
        .expect("an encrypt step with this header");
    let cipher = Aes256Gcm::new(&h32(&step["aead_key"]).into());
    let nonce: [u8; 12] = hex(step["aead_nonce"].as_str().unwrap())
        .try_into()
        .unwrap();
    // The trace's key and nonce open the transcript's message.
    let (kat_ct, kat_tag) = kat_wire[KAT_HEADER_LEN..].split_at(pt.len());
    let mut buf = kat_ct.to_vec();
    let kat_tag: [u8; 16] = kat_tag.try_into().unwrap();
    cipher
        .decrypt_inout_detached(
            &nonce.into(),
            &hex(step["aead_ad"].as_str().unwrap()),
            InOutBuf::from(&mut buf[..]),
            &kat_tag.into(),
        )
        .expect("the trace's key and nonce open the transcript");
    assert_eq!(buf, pt);
    // The same key and nonce (r = 0) give our message under our AAD.
    let mut aad = ad.to_vec();
    aad.extend_from_slice(&wire[..HEADER_LEN]);
    let tag = cipher
        .encrypt_inout_detached(&nonce.into(), &aad, InOutBuf::from(&mut buf[..]))
        .unwrap();
    assert_eq!(&wire[HEADER_LEN..HEADER_LEN + pt.len()], &buf[..]);
    assert_eq!(&wire[HEADER_LEN + pt.len()..], &tag[..]);
}

#[test]
fn x3dh_intermediate_values() {
    let v = vectors();
    let alice = IdentityKeyPair::from_seed(&h32(&v["alice"]["identity"]["secret"]));
    let bob = IdentityKeyPair::from_seed(&h32(&v["bob"]["identity"]["secret"]));
    assert_eq!(
        alice.public().to_bytes(),
        h32(&v["alice"]["identity"]["public"])
    );
    assert_eq!(
        bob.public().to_bytes(),
        h32(&v["bob"]["identity"]["public"])
    );

    let b = &v["bundle"];
    let bundle = PrekeyBundle::new(
        *bob.public(),
        b["signed_prekey_id"].as_u64().unwrap() as u32,
        h32(&b["signed_prekey"]),
        hex(b["signed_prekey_signature"].as_str().unwrap())
            .try_into()
            .unwrap(),
        Some(sealwire::OneTimePrekeyPublic {
            id: 1,
            public: h32(&b["one_time_prekeys"][0]["key"]),
        }),
    )
    .expect("the transcript's libxeddsa signature verifies strictly");
    // The spec-model signature verifies too.
    PrekeyBundle::new(
        *bob.public(),
        1,
        h32(&b["signed_prekey"]),
        hex(v["bob"]["signed_prekey"]["signature_spec_model"]
            .as_str()
            .unwrap())
        .try_into()
        .unwrap(),
        None,
    )
    .unwrap();

    let x = &v["x3dh"];
    let eph = h32(&v["alice"]["ephemeral_private"]);
    assert_eq!(
        hazmat::x25519_public(eph),
        h32(&v["alice"]["ephemeral_public"])
    );
    // DH1 = DH(IK_A, SPK_B) computed from Bob's side: DH(SPK_B, IK_A as X25519).
    let spk = h32(&v["bob"]["signed_prekey"]["private"]);
    assert_eq!(
        hazmat::x25519(spk, &h32(&v["alice"]["identity"]["public_as_x25519"])).unwrap(),
        h32(&x["dh1"])
    );
    assert_eq!(
        hazmat::x25519(eph, &h32(&v["bob"]["identity"]["public_as_x25519"])).unwrap(),
        h32(&x["dh2"])
    );
    assert_eq!(
        hazmat::x25519(eph, &h32(&b["signed_prekey"])).unwrap(),
        h32(&x["dh3"])
    );
    assert_eq!(
        hazmat::x25519(eph, &h32(&b["one_time_prekeys"][0]["key"])).unwrap(),
        h32(&x["dh4"])
    );
    let (sk, ad) = hazmat::x3dh_initiator(&alice, eph, &bundle).unwrap();
    assert_eq!(sk, h32(&x["shared_secret"]));
    assert_eq!(ad.to_vec(), hex(x["associated_data"].as_str().unwrap()));
}

#[test]
fn chain_and_root_steps_match_both_traces() {
    let v = vectors();
    for trace in ["trace_alice", "trace_bob"] {
        for step in v[trace].as_array().unwrap() {
            match step["step"].as_str().unwrap() {
                "kdf_rk" => {
                    let dh =
                        hazmat::x25519(h32(&step["dh_priv"]), &h32(&step["dh_pub_peer"])).unwrap();
                    assert_eq!(dh, h32(&step["dh_out"]));
                    let (rk, ck) = hazmat::kdf_rk(h32(&step["rk_in"]), &dh);
                    assert_eq!(rk, h32(&step["rk_out"]), "{trace} root");
                    assert_eq!(ck, h32(&step["ck_out"]), "{trace} chain");
                }
                "encrypt" | "decrypt" | "skip" => {
                    let (mk, _) = hazmat::kdf_ck(h32(&step["ck"]));
                    assert_eq!(mk, h32(&step["mk"]), "{trace} message key");
                    if let Some(key) = step["aead_key"].as_str() {
                        // SPEC.md §5.4, with the hkdf crate: the label is
                        // unchanged by the nonce mask.
                        let mut okm = [0u8; 44];
                        hkdf::Hkdf::<sha2::Sha256>::new(Some(&[0u8; 32]), &mk)
                            .expand(b"Sealwire_MessageKeys_v1", &mut okm)
                            .unwrap();
                        assert_eq!(hex::encode(&okm[..32]), key, "{trace} AEAD key");
                        assert_eq!(
                            hex::encode(&okm[32..]),
                            step["aead_nonce"].as_str().unwrap(),
                            "{trace} AEAD nonce"
                        );
                    }
                }
                "decrypt-skipped" => {}
                other => panic!("unknown trace step {other}"),
            }
        }
    }
}

#[test]
fn transcript_reproduced_byte_for_byte() {
    let v = vectors();
    let alice_id = IdentityKeyPair::from_seed(&h32(&v["alice"]["identity"]["secret"]));
    let bob_id = IdentityKeyPair::from_seed(&h32(&v["bob"]["identity"]["secret"]));
    let opks: Vec<(u32, [u8; 32])> = v["bob"]["one_time_prekeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["id"].as_u64().unwrap() as u32, h32(&o["private"])))
        .collect();
    let store = PrekeyStore::danger_from_keys(
        &bob_id,
        (1, h32(&v["bob"]["signed_prekey"]["private"])),
        &opks,
    );
    let bundle = store.bundle(&bob_id, Some(1)).unwrap();
    assert_eq!(bundle.signed_prekey(), &h32(&v["bundle"]["signed_prekey"]));

    let ratchets = |who: &str| -> VecDeque<[u8; 32]> {
        v[who]["ratchet_private_keys_in_generation_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(h32)
            .collect()
    };
    let mut alice_keys = ratchets("alice");
    let first = alice_keys.pop_front().unwrap();
    let mut alice_rng = ScriptedRng(alice_keys);
    let mut bob_rng = ScriptedRng(ratchets("bob"));

    let mut alice_pending = hazmat::initiate_with_keys(
        &alice_id,
        &bundle,
        h32(&v["alice"]["ephemeral_private"]),
        first,
    )
    .unwrap();
    let sk = h32(&v["x3dh"]["shared_secret"]);
    let mut bob = hazmat::respond_with_fields(
        &bob_id,
        &store,
        alice_id.public(),
        &h32(&v["alice"]["ephemeral_public"]),
        1,
        Some(1),
    )
    .unwrap();
    assert_eq!(hazmat::session_keys(&bob).0, sk);
    assert_eq!(
        hazmat::associated_data(&bob),
        hazmat::associated_data(&alice_pending)
    );

    let mut alice = None;
    let mut decrypted = 0;
    for step in v["transcript"].as_array().unwrap() {
        let from = step["from"].as_str().unwrap();
        let msgs = step["envelope"]["messages"].as_array().unwrap();
        let mut wires = Vec::new();
        for m in msgs {
            let pt = hex(m["plaintext"].as_str().unwrap());
            // The nonce mask r = 0 (SPEC.md §5.4): the AEAD nonce is the
            // derived one, so key, nonce, ciphertext and tag are the
            // transcript's; our header is its header followed by r.
            let wire = match (from, alice.as_mut()) {
                ("alice", None) => hazmat::encrypt_raw_with_nonce_mask(
                    &mut alice_pending,
                    &mut alice_rng,
                    &pt,
                    R_ZERO,
                )
                .unwrap(),
                ("alice", Some(a)) => {
                    hazmat::encrypt_raw_with_nonce_mask(a, &mut alice_rng, &pt, R_ZERO).unwrap()
                }
                ("bob", _) => {
                    hazmat::encrypt_raw_with_nonce_mask(&mut bob, &mut bob_rng, &pt, R_ZERO)
                        .unwrap()
                }
                _ => unreachable!(),
            };
            assert_eq!(HEADER_LEN, KAT_HEADER_LEN + R_ZERO.len());
            assert_eq!(
                hex::encode(&wire[..KAT_HEADER_LEN]),
                m["header"].as_str().unwrap(),
                "header"
            );
            assert_eq!(&wire[KAT_HEADER_LEN..HEADER_LEN], &R_ZERO, "r");
            let kat_wire = hex(m["wire"].as_str().unwrap());
            aead_matches_the_trace(&v, &wire, &kat_wire, &pt, &hazmat::associated_data(&bob));
            assert_eq!(
                &wire[..KAT_HEADER_LEN],
                &kat_wire[..KAT_HEADER_LEN],
                "header of step {} n {}",
                step["step"],
                m["n"]
            );
            // The ciphertext is the transcript's; the tag differs only
            // because the 12 bytes of r are in the associated data (checked
            // above with the trace's key and nonce).
            assert_eq!(
                &wire[HEADER_LEN..HEADER_LEN + pt.len()],
                &kat_wire[KAT_HEADER_LEN..KAT_HEADER_LEN + pt.len()],
                "ciphertext of step {} n {}",
                step["step"],
                m["n"]
            );
            assert_eq!(wire.len(), kat_wire.len() + NONCE_MASK_LEN);
            wires.push((wire, pt));
        }
        for idx in step["delivery_order"].as_array().unwrap() {
            let (wire, pt) = &wires[idx.as_u64().unwrap() as usize];
            let got = if from == "alice" {
                hazmat::decrypt_raw(&mut bob, 0, wire).unwrap()
            } else {
                if alice.is_none() {
                    alice = Some(hazmat::danger_establish(alice_pending.clone()));
                }
                hazmat::decrypt_raw(alice.as_mut().unwrap(), 0, wire).unwrap()
            };
            assert_eq!(&got, pt);
            decrypted += 1;
            // A second delivery is a replay.
            let again = if from == "alice" {
                hazmat::decrypt_raw(&mut bob, 0, wire)
            } else {
                hazmat::decrypt_raw(alice.as_mut().unwrap(), 0, wire)
            };
            assert_eq!(again, Err(sealwire::SessionError::DuplicateMessage));
        }
    }
    assert_eq!(decrypted, 9);
    // Bob's last root key after his final (lazy) step has not been taken;
    // Alice's last root step is the trace's final one.
    let last_alice_rk = v["trace_alice"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|s| s["step"] == "kdf_rk")
        .unwrap();
    assert_eq!(
        hazmat::session_keys(alice.as_ref().unwrap()).0,
        h32(&last_alice_rk["rk_out"])
    );
}

mod hex {
    pub(crate) fn encode(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}

/// The nonce mask of SPEC.md Appendix A's prekey message.
const APPENDIX_A_R: [u8; NONCE_MASK_LEN] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

/// Hands out one 12-byte nonce mask; any other draw is a test failure.
struct MaskRng(Option<[u8; NONCE_MASK_LEN]>);

impl TryRng for MaskRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        unimplemented!()
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        unimplemented!()
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        dst.copy_from_slice(&self.0.take().expect("one nonce mask"));
        Ok(())
    }
}
impl TryCryptoRng for MaskRng {}

/// The annotated hex block of SPEC.md Appendix A for Alice's first prekey
/// message (KAT keys, framed body "Hello Bob! (A0)", r = 00..0b).
fn appendix_a_prekey_block() -> (String, usize) {
    let v = vectors();
    let alice_id = IdentityKeyPair::from_seed(&h32(&v["alice"]["identity"]["secret"]));
    let bob_id = IdentityKeyPair::from_seed(&h32(&v["bob"]["identity"]["secret"]));
    let opks: Vec<(u32, [u8; 32])> = v["bob"]["one_time_prekeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["id"].as_u64().unwrap() as u32, h32(&o["private"])))
        .collect();
    let store = PrekeyStore::danger_from_keys(
        &bob_id,
        (1, h32(&v["bob"]["signed_prekey"]["private"])),
        &opks,
    );
    let bundle = store.bundle(&bob_id, Some(1)).unwrap();
    let first_ratchet = h32(&v["alice"]["ratchet_private_keys_in_generation_order"][0]);
    let mut pending = hazmat::initiate_with_keys(
        &alice_id,
        &bundle,
        h32(&v["alice"]["ephemeral_private"]),
        first_ratchet,
    )
    .unwrap();
    let m = pending
        .encrypt(
            &mut MaskRng(Some(APPENDIX_A_R)),
            sealwire::Timestamp::from_unix_millis(1_780_000_000_000),
            Outgoing::message(b"Hello Bob! (A0)"),
        )
        .unwrap()
        .message;
    let line = |bytes: &[u8], label: &str| {
        let h = hex::encode(bytes);
        if label.is_empty() {
            h
        } else {
            format!("{h:<67}{label}")
        }
    };
    let mut out = vec![
        format!("{:02x} {:02x}", m[0], m[1]),
        line(&m[2..34], "IK_A"),
        line(&m[34..66], "base key"),
        format!(
            "{:<67}spk_id, flags, opk_id",
            format!(
                "{} {} {}",
                hex::encode(&m[66..70]),
                hex::encode(&m[70..71]),
                hex::encode(&m[71..75])
            )
        ),
        line(&m[75..107], "ratchet key"),
        format!(
            "{:<67}PN, N",
            format!(
                "{} {}",
                hex::encode(&m[107..111]),
                hex::encode(&m[111..115])
            )
        ),
        line(&m[115..127], "r (nonce mask)"),
    ];
    let ct = &m[127..];
    let chunks: Vec<&[u8]> = ct.chunks(32).collect();
    for (i, c) in chunks.iter().enumerate() {
        if i + 1 == chunks.len() {
            out.push(line(c, &format!("ciphertext || tag ({})", ct.len())));
        } else {
            out.push(line(c, ""));
        }
    }
    (out.join("\n"), m.len())
}

/// SPEC.md Appendix A's prekey message is what the library produces.
/// `SEALWIRE_REGENERATE_VECTORS=1 cargo test --test known_answers appendix`
/// rewrites the block (and its length) in SPEC.md.
#[test]
fn appendix_a_prekey_message() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/SPEC.md");
    let spec = std::fs::read_to_string(path).unwrap();
    let (block, len) = appendix_a_prekey_block();
    let intro = "**Prekey message** carrying it (";
    let start = spec.find(intro).expect("Appendix A prekey message");
    let open = start + spec[start..].find("```\n").unwrap() + 4;
    let close = open + spec[open..].find("```").unwrap();
    let expected = format!("{intro}{len} bytes):\n\n```\n{block}\n");
    let current = &spec[start..close];
    if std::env::var_os("SEALWIRE_REGENERATE_VECTORS").is_some() && current != expected {
        let updated = format!("{}{}{}", &spec[..start], expected, &spec[close..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    assert_eq!(current, expected, "SPEC.md Appendix A is stale");
}
