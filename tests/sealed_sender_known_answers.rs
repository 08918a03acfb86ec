//! Known-answer vectors of sealed sender (SPEC.md §22):
//! `tests/vectors/sealed_sender.json`, generated once from explicit inputs
//! (the server's seed and key id, identity seeds, the certificate's fields,
//! the ephemeral secret of each envelope, the secret `M` of the
//! multi-recipient message, the inner message and post bytes) and
//! committed. Each case is checked two ways:
//!
//! 1. an independent model written from SPEC.md §22 alone (`ed25519-dalek`,
//!    `x25519-dalek`, `curve25519-dalek`, `hkdf`, `hmac`, `aes-gcm` and
//!    `sha2` directly, every encoding laid out by hand) recomputes every
//!    listed value, and the recipients' side of each DH agrees;
//! 2. the library makes exactly the listed certificate, envelopes and
//!    multi-recipient message (the ephemeral secret and `M` injected
//!    through `sealwire::hazmat`), the relay's split gives the listed
//!    parts, and each recipient opens its part to the listed certificate
//!    and inner bytes.
//!
//! Then the model builds what the library never does (an envelope whose
//! commitment disagrees with its message, a multi-recipient message that
//! gives one recipient another `M`) and the library refuses each.
//!
//! Regenerate only for a new sealed-sender version (never to make a
//! failing check pass): `SEALWIRE_REGENERATE_VECTORS=1 cargo test --test
//! sealed_sender_known_answers`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod common;

use common::vectors::{counting, hex, listed_cases, unhex};
use sealwire::sealed::{
    MultiRecipientMessage, SealedError, SenderCertificate, ServerKey, open, open_post,
};
use sealwire::{DecodeError, DeviceAddress, IdentityKey, IdentityKeyPair, Timestamp};
use serde_json::{Value, json};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vectors/sealed_sender.json"
);

const SERVER_KEY_ID: u32 = 0x0000_0101;
const EXPIRES_AT_MS: u64 = 1_780_086_400_000;
const USER: &str = "alice";
const DEVICE_ID: u32 = 1;

fn server_seed() -> [u8; 32] {
    counting(0x60)
}

fn sender_seed() -> [u8; 32] {
    counting(0x01)
}

fn recipient_seeds() -> [[u8; 32]; 3] {
    [counting(0x41), counting(0x81), counting(0xc1)]
}

/// A ratchet message (SPEC.md §6) as bytes: the envelope carries it
/// without reading more than its version and type (a franked one is
/// parsed for its commitment).
fn ratchet_message(franked: bool) -> Vec<u8> {
    let mut m = vec![0x02, if franked { 0x81 } else { 0x01 }];
    m.extend_from_slice(&counting::<32>(0x30));
    m.extend_from_slice(&0u32.to_be_bytes());
    m.extend_from_slice(&3u32.to_be_bytes());
    m.extend_from_slice(&counting::<12>(0xe0));
    if franked {
        m.extend_from_slice(&counting::<32>(0xb0));
    }
    m.extend_from_slice(&counting::<40>(0x90));
    m
}

/// The smallest group post layout (SPEC.md §20.2): header, a 47-byte
/// ciphertext, signature (never verified here).
fn group_post() -> Vec<u8> {
    let mut p = vec![0x03, 0x20];
    p.extend_from_slice(&counting::<16>(0x11));
    p.extend_from_slice(&1u32.to_be_bytes());
    p.extend_from_slice(&0u32.to_be_bytes());
    p.extend_from_slice(&counting::<12>(0xd0));
    p.extend_from_slice(&counting::<47>(0x70));
    p.extend_from_slice(&counting::<64>(0x00));
    p
}

/// An independent model of SPEC.md §22, written from the text alone.
mod model {
    use aes_gcm::aead::inout::InOutBuf;
    use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
    use ed25519_dalek::{Signer, SigningKey};
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256, Sha512};

    /// The Ed25519 public key of an RFC 8032 seed.
    pub(super) fn ed25519_public(seed: &[u8; 32]) -> [u8; 32] {
        SigningKey::from_bytes(seed).verifying_key().to_bytes()
    }

    /// The X25519 form of an Ed25519 public key (§3.1): the Montgomery `u`
    /// of the Edwards point.
    pub(super) fn montgomery(ed: &[u8; 32]) -> [u8; 32] {
        curve25519_dalek::edwards::CompressedEdwardsY(*ed)
            .decompress()
            .unwrap()
            .to_montgomery()
            .to_bytes()
    }

    /// The X25519 secret of an identity seed (§3.1): `SHA-512(seed)[0..32]`
    /// (clamped by X25519).
    pub(super) fn identity_x25519_secret(seed: &[u8; 32]) -> [u8; 32] {
        Sha512::digest(seed)[..32].try_into().unwrap()
    }

    pub(super) fn x25519(secret: &[u8; 32], public: &[u8; 32]) -> [u8; 32] {
        x25519_dalek::x25519(*secret, *public)
    }

    pub(super) fn x25519_base(secret: &[u8; 32]) -> [u8; 32] {
        x25519_dalek::x25519(*secret, x25519_dalek::X25519_BASEPOINT_BYTES)
    }

    pub(super) fn hkdf<const N: usize>(ikm: &[u8], info: &[u8]) -> [u8; N] {
        let mut out = [0u8; N];
        hkdf::Hkdf::<Sha256>::new(Some(&[0u8; 32]), ikm)
            .expand(info, &mut out)
            .unwrap();
        out
    }

    pub(super) fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key).unwrap();
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }

    pub(super) fn encode_ik(ik: &[u8; 32]) -> Vec<u8> {
        [&[0x06u8][..], ik].concat()
    }

    /// The certificate's signed bytes (§22.1): `0x01 0x50 || key_id u32 ||
    /// expires_at u64 || IK || device_id u32 || user_len u8 || user`.
    pub(super) fn certificate_fields(
        key_id: u32,
        expires_at: u64,
        ik: &[u8; 32],
        device: u32,
        user: &[u8],
    ) -> Vec<u8> {
        [
            &[0x01u8, 0x50][..],
            &key_id.to_be_bytes(),
            &expires_at.to_be_bytes(),
            ik,
            &device.to_be_bytes(),
            &[user.len() as u8],
            user,
        ]
        .concat()
    }

    pub(super) fn sign(seed: &[u8; 32], message: &[u8]) -> [u8; 64] {
        SigningKey::from_bytes(seed).sign(message).to_bytes()
    }

    /// AES-256-GCM: `ciphertext || tag`.
    pub(super) fn seal(key: &[u8; 32], nonce: &[u8; 12], aad: &[u8], plain: &[u8]) -> Vec<u8> {
        let mut out = plain.to_vec();
        let tag = Aes256Gcm::new(&(*key).into())
            .encrypt_inout_detached(&(*nonce).into(), aad, InOutBuf::from(&mut out[..]))
            .unwrap();
        out.extend_from_slice(&tag);
        out
    }
}

/// Everything one envelope case lists.
fn envelope_json(name: &str, ephemeral: [u8; 32], inner: &[u8], certificate: &[u8]) -> Value {
    let recipient_seed = recipient_seeds()[0];
    let ik_r = model::ed25519_public(&recipient_seed);
    let franked = inner[1] & 0x80 != 0;
    let kind = if franked { 0xD1u8 } else { 0x51 };
    let e_pub = model::x25519_base(&ephemeral);
    let dh = model::x25519(&ephemeral, &model::montgomery(&ik_r));
    // The recipient's side of the DH.
    assert_eq!(
        model::x25519(&model::identity_x25519_secret(&recipient_seed), &e_pub),
        dh
    );
    let info = [
        &b"Sealwire_SealedSender_v1"[..],
        &[0x01, kind],
        &e_pub,
        &model::encode_ik(&ik_r),
    ]
    .concat();
    let okm: [u8; 44] = model::hkdf(&dh, &info);
    let (key, nonce): ([u8; 32], [u8; 12]) =
        (okm[..32].try_into().unwrap(), okm[32..].try_into().unwrap());
    let mut header = vec![0x01, kind];
    header.extend_from_slice(&e_pub);
    if franked {
        // The inner message's cf, after its 2 + 52 header bytes (§19.2).
        header.extend_from_slice(&inner[54..86]);
    }
    let aad = [&header[..], &ik_r].concat();
    let plaintext = [
        &(certificate.len() as u16).to_be_bytes()[..],
        certificate,
        inner,
    ]
    .concat();
    let envelope = [header.clone(), model::seal(&key, &nonce, &aad, &plaintext)].concat();
    json!({
        "name": name,
        "recipient_identity_seed": hex(&recipient_seed),
        "recipient_identity_key": hex(&ik_r),
        "recipient_x25519_key": hex(&model::montgomery(&ik_r)),
        "ephemeral_secret": hex(&ephemeral),
        "ephemeral_public": hex(&e_pub),
        "inner_message": hex(inner),
        "dh": hex(&dh),
        "hkdf_info": hex(&info),
        "aes_key": hex(&key),
        "nonce": hex(&nonce),
        "associated_data": hex(&aad),
        "plaintext": hex(&plaintext),
        "envelope": hex(&envelope),
    })
}

/// Everything the multi-recipient case lists.
fn multi_json(m: [u8; 32], post: &[u8], certificate: &[u8]) -> Value {
    let okm: [u8; 64] = model::hkdf(&m, b"Sealwire_SealedPost_v1");
    let e: [u8; 32] = okm[..32].try_into().unwrap();
    let k: [u8; 32] = okm[32..].try_into().unwrap();
    let e_pub = model::x25519_base(&e);
    let plaintext = [
        &(certificate.len() as u16).to_be_bytes()[..],
        certificate,
        post,
    ]
    .concat();
    let body = model::seal(&k, &[0u8; 12], &e_pub, &plaintext);
    let mut message = vec![0x01, 0x52];
    message.extend_from_slice(&e_pub);
    message.extend_from_slice(&(recipient_seeds().len() as u16).to_be_bytes());
    let mut recipients = Vec::new();
    for seed in recipient_seeds() {
        let ik = model::ed25519_public(&seed);
        let dh = model::x25519(&e, &model::montgomery(&ik));
        assert_eq!(
            model::x25519(&model::identity_x25519_secret(&seed), &e_pub),
            dh
        );
        let info = [
            &b"Sealwire_SealedPostRecipient_v1"[..],
            &e_pub,
            &model::encode_ik(&ik),
        ]
        .concat();
        let keys: [u8; 64] = model::hkdf(&dh, &info);
        let c: Vec<u8> = m.iter().zip(&keys[..32]).map(|(a, b)| a ^ b).collect();
        let at = model::hmac(&keys[32..], &[&e_pub, &c, &ik]);
        message.extend_from_slice(&ik);
        message.extend_from_slice(&c);
        message.extend_from_slice(&at[..16]);
        let part = [&[0x01u8, 0x53][..], &e_pub, &c, &at[..16], &body].concat();
        recipients.push(json!({
            "identity_seed": hex(&seed),
            "identity_key": hex(&ik),
            "dh": hex(&dh),
            "hkdf_info": hex(&info),
            "mask": hex(&keys[..32]),
            "tag_key": hex(&keys[32..]),
            "wrapped": hex(&c),
            "tag": hex(&at[..16]),
            "sealed_post": hex(&part),
        }));
    }
    message.extend_from_slice(&body);
    json!({
        "name": "multi-recipient",
        "secret_m": hex(&m),
        "ephemeral_secret": hex(&e),
        "body_key": hex(&k),
        "ephemeral_public": hex(&e_pub),
        "post": hex(post),
        "plaintext": hex(&plaintext),
        "body": hex(&body),
        "recipients": recipients,
        "message": hex(&message),
    })
}

/// The certificate, by the model.
fn certificate_json() -> Value {
    let ik = model::ed25519_public(&sender_seed());
    let fields = model::certificate_fields(
        SERVER_KEY_ID,
        EXPIRES_AT_MS,
        &ik,
        DEVICE_ID,
        USER.as_bytes(),
    );
    let signed = [&b"sealwire sender certificate"[..], &fields].concat();
    let signature = model::sign(&server_seed(), &signed);
    json!({
        "name": "certificate",
        "server_seed": hex(&server_seed()),
        "server_key_id": SERVER_KEY_ID,
        "server_public_key": hex(&model::ed25519_public(&server_seed())),
        "sender_identity_seed": hex(&sender_seed()),
        "sender_identity_key": hex(&ik),
        "user": USER,
        "device_id": DEVICE_ID,
        "expires_at_ms": EXPIRES_AT_MS,
        "signed_message": hex(&signed),
        "signature": hex(&signature),
        "certificate": hex(&[&fields[..], &signature].concat()),
    })
}

fn all_cases() -> Vec<Value> {
    let cert = certificate_json();
    let c = unhex(cert["certificate"].as_str().unwrap());
    vec![
        cert,
        envelope_json("envelope", counting(0x10), &ratchet_message(false), &c),
        envelope_json(
            "franked envelope",
            counting(0x20),
            &ratchet_message(true),
            &c,
        ),
        multi_json(counting(0x50), &group_post(), &c),
    ]
}

fn field(v: &Value, k: &str) -> Vec<u8> {
    unhex(v[k].as_str().unwrap_or_else(|| panic!("no field {k}")))
}

fn identity(seed: &[u8; 32]) -> IdentityKeyPair {
    IdentityKeyPair::from_seed(seed)
}

#[test]
fn sealed_sender_vectors() {
    let listed = listed_cases(
        PATH,
        "sealwire sealed sender known answers (SPEC.md §22): the sender certificate (§22.1), a 1:1 envelope and a franked one (§22.2), a multi-recipient message for three recipients with each recipient's sealed post (§22.4). Generated once by tests/sealed_sender_known_answers.rs from the listed inputs; hex throughout (byte strings), integers in decimal. X25519 secrets are given unclamped (X25519 clamps on use); an identity's X25519 secret is SHA-512(seed)[0..32].",
        all_cases,
        4,
    );
    // The model, from the SPEC alone, gives every listed value.
    for (model, v) in all_cases().iter().zip(&listed) {
        assert_eq!(model, v, "{}: the model disagrees", v["name"]);
    }
    let cert_case = &listed[0];
    // SPEC.md §22.1 quotes the certificate.
    let spec: String = include_str!("../SPEC.md")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(
        spec.contains(cert_case["certificate"].as_str().unwrap()),
        "SPEC.md §22.1 does not quote the certificate"
    );

    // The library: the certificate.
    let server = ServerKey::from_seed(SERVER_KEY_ID, &server_seed());
    assert_eq!(
        server.public().key_bytes()[..],
        field(cert_case, "server_public_key")
    );
    let sender = identity(&sender_seed());
    let certificate = server
        .issue(
            &DeviceAddress::new(USER, DEVICE_ID),
            sender.public(),
            Timestamp::from_unix_millis(EXPIRES_AT_MS),
        )
        .unwrap();
    let cert_bytes = certificate.to_vec();
    assert_eq!(cert_bytes, field(cert_case, "certificate"), "certificate");
    assert_eq!(SenderCertificate::parse(&cert_bytes).unwrap(), certificate);

    // The envelopes.
    let recipients: Vec<IdentityKeyPair> = recipient_seeds().iter().map(identity).collect();
    for v in &listed[1..3] {
        let name = v["name"].as_str().unwrap();
        let e: [u8; 32] = field(v, "ephemeral_secret").try_into().unwrap();
        let inner = field(v, "inner_message");
        let made =
            sealwire::hazmat::seal_with_ephemeral(e, recipients[0].public(), &certificate, &inner)
                .unwrap();
        assert_eq!(made, field(v, "envelope"), "{name}: the library disagrees");
        let opened = open(&recipients[0], &made).unwrap();
        assert_eq!(opened.certificate().unwrap(), certificate);
        assert_eq!(opened.message(), &inner[..]);
        assert_eq!(
            open(&recipients[1], &made).map(|_| ()),
            Err(SealedError::AuthenticationFailed),
            "{name}: opens for another recipient"
        );
    }

    // The multi-recipient message and the relay's split.
    let v = &listed[3];
    let m: [u8; 32] = field(v, "secret_m").try_into().unwrap();
    let keys: Vec<IdentityKey> = recipients.iter().map(|r| *r.public()).collect();
    let made = sealwire::hazmat::seal_post_with_secret(&m, &keys, &certificate, &field(v, "post"))
        .unwrap();
    assert_eq!(
        made,
        field(v, "message"),
        "multi-recipient: the library disagrees"
    );
    let parsed = MultiRecipientMessage::parse(&made).unwrap();
    let split = parsed.split();
    assert_eq!(split.len(), 3);
    for (i, ((key, part), r)) in split
        .iter()
        .zip(v["recipients"].as_array().unwrap())
        .enumerate()
    {
        assert_eq!(key[..], field(r, "identity_key"));
        assert_eq!(part[..], field(r, "sealed_post"), "part {i}");
        let opened = open_post(&recipients[i], part).unwrap();
        assert_eq!(opened.certificate().unwrap(), certificate);
        assert_eq!(opened.post(), &field(v, "post")[..]);
    }
}

/// What only a hand-made sender can build, refused by the library.
#[test]
fn model_built_inconsistencies_are_refused() {
    let listed = all_cases();
    let cert = field(&listed[0], "certificate");
    let r0 = identity(&recipient_seeds()[0]);
    let ik_r = *r0.public().as_bytes();

    // An envelope whose commitment is not its message's, and an unfranked
    // envelope around a franked message: well encrypted, refused once open.
    let build = |kind: u8, cf: Option<[u8; 32]>, inner: &[u8]| -> Vec<u8> {
        let eph = counting::<32>(0x33);
        let e_pub = model::x25519_base(&eph);
        let dh = model::x25519(&eph, &model::montgomery(&ik_r));
        let info = [
            &b"Sealwire_SealedSender_v1"[..],
            &[0x01, kind],
            &e_pub,
            &model::encode_ik(&ik_r),
        ]
        .concat();
        let okm: [u8; 44] = model::hkdf(&dh, &info);
        let mut header = vec![0x01, kind];
        header.extend_from_slice(&e_pub);
        if let Some(cf) = cf {
            header.extend_from_slice(&cf);
        }
        let aad = [&header[..], &ik_r].concat();
        let plain = [&(cert.len() as u16).to_be_bytes()[..], &cert, inner].concat();
        let ct = model::seal(
            okm[..32].try_into().unwrap(),
            okm[32..].try_into().unwrap(),
            &aad,
            &plain,
        );
        [header, ct].concat()
    };
    let franked = ratchet_message(true);
    let honest = build(0xD1, Some(franked[54..86].try_into().unwrap()), &franked);
    assert!(open(&r0, &honest).is_ok());
    for bad in [
        build(0xD1, Some([0x44; 32]), &franked),
        build(
            0xD1,
            Some(franked[54..86].try_into().unwrap()),
            &ratchet_message(false),
        ),
        build(0x51, None, &franked),
    ] {
        assert_eq!(
            open(&r0, &bad).map(|_| ()),
            Err(SealedError::Malformed(DecodeError::InvalidValue))
        );
    }
    // A certificate that does not parse, inside a well-encrypted envelope.
    let mut cert_bad = cert.clone();
    cert_bad[1] = 0x51;
    let plain_bad = {
        let eph = counting::<32>(0x34);
        let e_pub = model::x25519_base(&eph);
        let dh = model::x25519(&eph, &model::montgomery(&ik_r));
        let info = [
            &b"Sealwire_SealedSender_v1"[..],
            &[0x01, 0x51],
            &e_pub,
            &model::encode_ik(&ik_r),
        ]
        .concat();
        let okm: [u8; 44] = model::hkdf(&dh, &info);
        let header = [&[0x01u8, 0x51][..], &e_pub].concat();
        let aad = [&header[..], &ik_r].concat();
        let plain = [
            &(cert_bad.len() as u16).to_be_bytes()[..],
            &cert_bad,
            &ratchet_message(false),
        ]
        .concat();
        let ct = model::seal(
            okm[..32].try_into().unwrap(),
            okm[32..].try_into().unwrap(),
            &aad,
            &plain,
        );
        [header, ct].concat()
    };
    assert_eq!(
        open(&r0, &plain_bad).map(|_| ()),
        Err(SealedError::Malformed(DecodeError::UnexpectedType(0x51)))
    );
    // A certificate whose identity key is of small order (re-signed by the
    // server, so only the key is wrong): the envelope opens (the layout is
    // fine), and receiving refuses it before any state is touched.
    let mut small_order = [0u8; 32];
    small_order[0] = 1;
    let mut fields = cert[..cert.len() - 64].to_vec();
    fields[14..46].copy_from_slice(&small_order);
    let signed = [&b"sealwire sender certificate"[..], &fields].concat();
    let bad_key_cert = [
        fields.clone(),
        model::sign(&server_seed(), &signed).to_vec(),
    ]
    .concat();
    let envelope = {
        let eph = counting::<32>(0x35);
        let e_pub = model::x25519_base(&eph);
        let dh = model::x25519(&eph, &model::montgomery(&ik_r));
        let info = [
            &b"Sealwire_SealedSender_v1"[..],
            &[0x01, 0x51],
            &e_pub,
            &model::encode_ik(&ik_r),
        ]
        .concat();
        let okm: [u8; 44] = model::hkdf(&dh, &info);
        let header = [&[0x01u8, 0x51][..], &e_pub].concat();
        let aad = [&header[..], &ik_r].concat();
        let plain = [
            &(bad_key_cert.len() as u16).to_be_bytes()[..],
            &bad_key_cert,
            &ratchet_message(false),
        ]
        .concat();
        let ct = model::seal(
            okm[..32].try_into().unwrap(),
            okm[32..].try_into().unwrap(),
            &aad,
            &plain,
        );
        [header, ct].concat()
    };
    let opened = open(&r0, &envelope).unwrap();
    assert_eq!(opened.sender(), DeviceAddress::new(USER, DEVICE_ID));
    let invalid_key = Err(SealedError::Malformed(DecodeError::InvalidKey));
    assert_eq!(opened.certificate().map(|_| ()), invalid_key);
    let mut trusted = sealwire::sealed::TrustedServerKeys::new();
    trusted
        .add(ServerKey::from_seed(SERVER_KEY_ID, &server_seed()).public())
        .unwrap();
    let mut devices = sealwire::devices::DeviceList::new(USER).unwrap();
    devices
        .update(&[(DEVICE_ID, *identity(&sender_seed()).public())])
        .unwrap();
    let mut prekeys = sealwire::PrekeyStore::new(
        &r0,
        &mut sealwire::testing::DangerDeterministicRng::from_u64(1),
    );
    let before = prekeys.clone();
    let mut sessions = sealwire::devices::DeviceSessions::new();
    assert_eq!(
        opened
            .decrypt(
                Timestamp::from_unix_millis(EXPIRES_AT_MS - 1),
                &mut trusted,
                &r0,
                &mut prekeys,
                &devices,
                &mut sessions,
            )
            .map(|_| ()),
        invalid_key
    );
    assert!(prekeys == before && sessions == sealwire::devices::DeviceSessions::new());

    // A multi-recipient message that wraps another M' for the second
    // recipient, with a correct tag: that recipient's E check fails, so a
    // sender cannot give recipients different bodies.
    let v = &listed[3];
    let e: [u8; 32] = field(v, "ephemeral_secret").try_into().unwrap();
    let e_pub: [u8; 32] = field(v, "ephemeral_public").try_into().unwrap();
    let body = field(v, "body");
    let r1 = identity(&recipient_seeds()[1]);
    let ik1 = *r1.public().as_bytes();
    let info = [
        &b"Sealwire_SealedPostRecipient_v1"[..],
        &e_pub,
        &model::encode_ik(&ik1),
    ]
    .concat();
    let keys: [u8; 64] = model::hkdf(&model::x25519(&e, &model::montgomery(&ik1)), &info);
    let other_m = counting::<32>(0x99);
    let c: Vec<u8> = other_m
        .iter()
        .zip(&keys[..32])
        .map(|(a, b)| a ^ b)
        .collect();
    let at = model::hmac(&keys[32..], &[&e_pub, &c, &ik1]);
    let part = [&[0x01u8, 0x53][..], &e_pub, &c, &at[..16], &body].concat();
    assert_eq!(
        open_post(&r1, &part).map(|_| ()),
        Err(SealedError::AuthenticationFailed)
    );
    // With a wrong tag instead: refused as well.
    let mut bad_tag = field(&v["recipients"][1], "sealed_post");
    bad_tag[66] ^= 1;
    assert_eq!(
        open_post(&r1, &bad_tag).map(|_| ()),
        Err(SealedError::AuthenticationFailed)
    );
    assert!(open_post(&r1, &field(&v["recipients"][1], "sealed_post")).is_ok());
}
