//! Known-answer vectors of sealed values (STORAGE.md §14,
//! `StorageKey::seal_value` / `open_value`): `tests/vectors/sealed_value.json`,
//! generated once from explicit inputs (the storage key, the associated
//! data, the seed of the deterministic generator that draws the nonce, the
//! value) and committed. Each case is checked two ways:
//!
//! 1. an independent model written from STORAGE.md §14 alone (`hkdf`,
//!    `sha2` and `aes-gcm` directly) recomputes the key id, the value key
//!    and the sealed bytes;
//! 2. the library seals exactly the listed bytes (the nonce being the
//!    first 12 bytes the seeded generator gives), opens them back with the
//!    same associated data, and refuses them with any other associated
//!    data, another key, or one flipped bit.
//!
//! One case uses the associated data `sealwire-sqlite` binds a message
//! body with (`value_address("messages", ...)`, encoded here by hand from
//! STORAGE.md §14), so that the vector also pins the store's format.
//!
//! Regenerate only for a new sealed-value version (never to make a failing
//! check pass): `SEALWIRE_REGENERATE_VECTORS=1 cargo test --test
//! sealed_value_known_answers`.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod common;

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use common::vectors::{counting, hex, listed_cases, unhex};
use sealwire::persist::{SEALED_VALUE_OVERHEAD, StorageKey};
use sealwire::rand_core::Rng;
use sealwire::testing::DangerDeterministicRng;
use serde_json::{Value, json};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vectors/sealed_value.json"
);

struct Inputs {
    name: &'static str,
    key: [u8; 32],
    associated_data: Vec<u8>,
    /// Seed of `DangerDeterministicRng`: its first 12 bytes are the nonce.
    seed: u64,
    value: Vec<u8>,
}

/// `sealwire-sqlite`'s associated data (STORAGE.md §14): each part
/// length-prefixed (u32 BE): the label, the table, the row's fields.
fn store_address(table: &str, fields: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in [b"sealwire-sqlite/value/v5".as_slice(), table.as_bytes()]
        .into_iter()
        .chain(fields.iter().copied())
    {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

fn cases() -> Vec<Inputs> {
    vec![
        Inputs {
            name: "bytes",
            key: counting(0x00),
            associated_data: b"messages/7".to_vec(),
            seed: 1,
            value: b"hello".to_vec(),
        },
        Inputs {
            name: "empty value, empty associated data",
            key: counting(0x80),
            associated_data: Vec::new(),
            seed: 2,
            value: Vec::new(),
        },
        Inputs {
            // Row 42 of `messages`: a message received from bob's device 3,
            // content type 1 (a user message), sent at 1 780 000 000 000 ms,
            // not sent to every device of a user.
            name: "sealwire-sqlite message body",
            key: counting(0x40),
            associated_data: store_address(
                "messages",
                &[
                    &42i64.to_be_bytes(),
                    b"bob",
                    &3u32.to_be_bytes(),
                    b"in",
                    &1i64.to_be_bytes(),
                    &1_780_000_000_000i64.to_be_bytes(),
                    &[0],
                ],
            ),
            seed: 3,
            value: b"a message body of a few more bytes than one AES block".to_vec(),
        },
    ]
}

fn hkdf32(ikm: &[u8], info: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(Some(&[0u8; 32]), ikm)
        .expand(info, &mut out)
        .unwrap();
    out
}

/// The first 12 bytes the seeded generator gives (the nonce the library
/// draws).
fn nonce_of(seed: u64) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    DangerDeterministicRng::from_u64(seed).fill_bytes(&mut nonce);
    nonce
}

/// Every value of a case, recomputed from STORAGE.md §14 alone.
fn model_json(inp: &Inputs) -> Value {
    let key_id = &hkdf32(&inp.key, b"Sealwire_StorageKeyId_v1")[..8];
    let value_key = hkdf32(&inp.key, b"Sealwire_StorageValue_v1");
    let nonce = nonce_of(inp.seed);
    let mut prefix = vec![0x01];
    prefix.extend_from_slice(key_id);
    prefix.extend_from_slice(&nonce);
    let mut ad = prefix.clone();
    ad.extend_from_slice(&inp.associated_data);
    let mut body = inp.value.clone();
    let tag = Aes256Gcm::new_from_slice(&value_key)
        .unwrap()
        .encrypt_inout_detached(&nonce.into(), &ad, InOutBuf::from(&mut body[..]))
        .unwrap();
    let mut sealed = prefix;
    sealed.extend_from_slice(&body);
    sealed.extend_from_slice(&tag);
    json!({
        "name": inp.name,
        "storage_key": hex(&inp.key),
        "associated_data": hex(&inp.associated_data),
        "rng_seed": inp.seed,
        "value": hex(&inp.value),
        "key_id": hex(key_id),
        "value_key": hex(&value_key),
        "nonce": hex(&nonce),
        "sealed": hex(&sealed),
    })
}

#[test]
fn sealed_values_match_the_vectors() {
    let cases = cases();
    let listed = listed_cases(
        PATH,
        "sealwire sealed values (STORAGE.md §14). Generated once by tests/sealed_value_known_answers.rs; byte strings in hex. key_id = HKDF-SHA256(salt = 0^32, ikm = storage_key, info = \"Sealwire_StorageKeyId_v1\")[0..8]; value_key = HKDF-SHA256(salt = 0^32, ikm = storage_key, info = \"Sealwire_StorageValue_v1\"), 32 bytes; nonce = the first 12 bytes of DangerDeterministicRng::from_u64(rng_seed); sealed = 0x01 || key_id || nonce || AES-256-GCM(value_key, nonce, aad = 0x01 || key_id || nonce || associated_data, value) || tag.",
        || cases.iter().map(model_json).collect(),
        cases.len(),
    );
    for (inp, v) in cases.iter().zip(&listed) {
        let name = inp.name;
        // 1. The model, from STORAGE.md §14 alone.
        assert_eq!(&model_json(inp), v, "{name}: the model disagrees");

        // 2. The library.
        let field = |k: &str| unhex(v[k].as_str().unwrap());
        let key = StorageKey::from_bytes(inp.key);
        assert_eq!(key.id().to_vec(), field("key_id"), "{name}");
        let mut rng = DangerDeterministicRng::from_u64(inp.seed);
        let sealed = key.seal_value(&mut rng, &inp.associated_data, &inp.value);
        assert_eq!(hex(&sealed), v["sealed"].as_str().unwrap(), "{name}");
        assert_eq!(sealed.len(), inp.value.len() + SEALED_VALUE_OVERHEAD);
        let listed_sealed = field("sealed");
        assert_eq!(
            &key.open_value(&inp.associated_data, &listed_sealed)
                .unwrap()[..],
            &inp.value[..],
            "{name}"
        );
        // Elsewhere, under another key, or damaged: refused.
        let mut other_ad = inp.associated_data.clone();
        other_ad.push(0);
        assert!(key.open_value(&other_ad, &listed_sealed).is_err(), "{name}");
        let other = StorageKey::from_bytes([0xee; 32]);
        assert!(
            other
                .open_value(&inp.associated_data, &listed_sealed)
                .is_err(),
            "{name}"
        );
        for at in [0, 9, 21, listed_sealed.len() - 1] {
            let mut bad = listed_sealed.clone();
            bad[at] ^= 1;
            assert!(
                key.open_value(&inp.associated_data, &bad).is_err(),
                "{name}: bit flipped at {at}"
            );
        }
    }
}
