//! Reproduces `tests/vectors/x3dh_ratchet_v1.json` (copied from the shared
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
//! design folder) byte for byte: SK, AD, every DH, root and chain step,
//! header and ciphertext, with out-of-order delivery.

use std::collections::VecDeque;
use std::convert::Infallible;

use rand_core::{TryCryptoRng, TryRng};
use sealwire::internal::hazmat;
use sealwire::{IdentityKeyPair, PrekeyBundle, PrekeyStore};
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
            let wire = match (from, alice.as_mut()) {
                ("alice", None) => {
                    hazmat::encrypt_raw(&mut alice_pending, &mut alice_rng, &pt).unwrap()
                }
                ("alice", Some(a)) => hazmat::encrypt_raw(a, &mut alice_rng, &pt).unwrap(),
                ("bob", _) => hazmat::encrypt_raw(&mut bob, &mut bob_rng, &pt).unwrap(),
                _ => unreachable!(),
            };
            assert_eq!(
                hex::encode(&wire[..40]),
                m["header"].as_str().unwrap(),
                "header"
            );
            assert_eq!(
                wire,
                hex(m["wire"].as_str().unwrap()),
                "wire of step {} n {}",
                step["step"],
                m["n"]
            );
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
