//! Sealed sender at the C boundary: the constants and layouts agree with
//! the library, every `SealedError` has its own code (one for every
//! authentication failure), what the relay handles through the C ABI holds
//! neither form of the sender's identity key, its user id or device id,
//! the trusted server keys' blob is the core's (its frozen fixture loads
//! through the C ABI and saves to the same bytes), and hostile bytes into
//! every function that parses an envelope, a sealed post, a
//! multi-recipient message, a certificate, a server key or a trusted-keys
//! blob give result codes, never a panic or an internal error.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    missing_docs
)]

use std::mem::{MaybeUninit, offset_of, size_of};
use std::path::PathBuf;
use std::ptr::null_mut;

use sealwire::group::GroupError;
use sealwire::limits;
use sealwire::persist::StateBlob;
use sealwire::sealed::{self, SealedError};
use sealwire::testing::DangerDeterministicRng;
use sealwire::{DecodeError, SessionError};
use sealwire_ffi::*;

const T0: u64 = 1_780_000_000_000;
const DAY: u64 = 86_400_000;
const ALICE_DEVICE: u32 = 0x5ea1_ed01;

const BAD: [sw_result; 3] = [
    sw_result::SW_PANIC,
    sw_result::SW_INTERNAL,
    sw_result::SW_UNKNOWN_ERROR,
];

fn clean(rc: sw_result) {
    assert!(!BAD.contains(&rc), "{rc:?}");
}

fn ok(rc: sw_result) {
    assert_eq!(rc, sw_result::SW_OK);
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn constants_and_layouts_agree_with_the_library() {
    assert_eq!(SW_SERVER_PUBLIC_KEY_LEN, sealed::SERVER_PUBLIC_KEY_LEN);
    assert_eq!(SW_SERVER_KEY_SEED_LEN, 32);
    assert_eq!(
        SW_MAX_SENDER_CERTIFICATE_LEN,
        limits::MAX_SENDER_CERTIFICATE_LEN
    );
    assert_eq!(SW_MAX_TRUSTED_SERVER_KEYS, limits::MAX_TRUSTED_SERVER_KEYS);
    assert_eq!(SW_MAX_SEALED_RECIPIENTS, limits::MAX_SEALED_RECIPIENTS);
    assert_eq!(SW_ACCESS_KEY_LEN, sealed::ACCESS_KEY_LEN);
    assert_eq!(SW_PROFILE_KEY_LEN, 32);
    assert_eq!(size_of::<sw_sender_certificate_info>(), 56);
    assert_eq!(offset_of!(sw_sender_certificate_info, server_key_id), 0);
    assert_eq!(offset_of!(sw_sender_certificate_info, expires_at_ms), 8);
    assert_eq!(offset_of!(sw_sender_certificate_info, identity), 16);
    assert_eq!(offset_of!(sw_sender_certificate_info, device_id), 48);
    let header = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include/sealwire.h"),
    )
    .unwrap();
    for (name, value) in [
        ("SW_SERVER_PUBLIC_KEY_LEN", SW_SERVER_PUBLIC_KEY_LEN),
        (
            "SW_MAX_SENDER_CERTIFICATE_LEN",
            SW_MAX_SENDER_CERTIFICATE_LEN,
        ),
        ("SW_MAX_TRUSTED_SERVER_KEYS", SW_MAX_TRUSTED_SERVER_KEYS),
        ("SW_MAX_SEALED_RECIPIENTS", SW_MAX_SEALED_RECIPIENTS),
        ("SW_ACCESS_KEY_LEN", SW_ACCESS_KEY_LEN),
    ] {
        assert!(
            header.contains(&format!("#define {name} {value}")),
            "{name}"
        );
    }
}

/// Every variant its own code; the authentication failures of opening one
/// code (no oracle); inner errors keep their session and group codes.
#[test]
fn every_sealed_error_has_its_code() {
    let cases = [
        (
            SealedError::AuthenticationFailed,
            sw_result::SW_SEALED_AUTHENTICATION_FAILED,
        ),
        (
            SealedError::UntrustedServerKey,
            sw_result::SW_SEALED_UNTRUSTED_SERVER_KEY,
        ),
        (
            SealedError::BadCertificateSignature,
            sw_result::SW_SEALED_BAD_CERTIFICATE_SIGNATURE,
        ),
        (
            SealedError::CertificateExpired,
            sw_result::SW_SEALED_CERTIFICATE_EXPIRED,
        ),
        (
            SealedError::SenderMismatch,
            sw_result::SW_SEALED_SENDER_MISMATCH,
        ),
        (
            SealedError::TooManyServerKeys,
            sw_result::SW_SEALED_TOO_MANY_SERVER_KEYS,
        ),
        (
            SealedError::InvalidRecipients,
            sw_result::SW_SEALED_INVALID_RECIPIENTS,
        ),
        (
            SealedError::Malformed(DecodeError::InvalidKey),
            sw_result::SW_DECODE_INVALID_KEY,
        ),
        (
            SealedError::Session(SessionError::DuplicateMessage),
            sw_result::SW_SESSION_DUPLICATE_MESSAGE,
        ),
        (
            SealedError::Group(GroupError::DuplicatePost),
            sw_result::SW_GROUP_DUPLICATE_POST,
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (e, code) in cases {
        assert_eq!(sw_result::from(e), code, "{e:?}");
        assert!(seen.insert(code as u32));
    }
    for n in 1000..=1006 {
        assert!(sw_result::from_u32(n).is_some(), "{n}");
    }
    assert!(sw_result::from_u32(1007).is_none());
}

/// A party through the C ABI: identity, key, prekeys.
struct Party {
    id: *mut sw_identity,
    key: [u8; 32],
    prekeys: *mut sw_prekey_store,
}

impl Party {
    fn new(seed: u8) -> Self {
        let (mut id, mut prekeys, mut key, mut n) = (null_mut(), null_mut(), [0u8; 32], 0);
        // SAFETY: valid buffers and out-parameters.
        unsafe {
            ok(sw_identity_from_seed([seed; 32].as_ptr(), 32, &mut id));
            ok(sw_identity_public_key(id, key.as_mut_ptr(), 32, &mut n));
            ok(sw_prekey_store_new(null_mut(), id, &mut prekeys));
        }
        Self { id, key, prekeys }
    }
}

impl Drop for Party {
    fn drop(&mut self) {
        // SAFETY: handles made by `new`, freed once.
        unsafe {
            sw_prekey_store_free(self.prekeys);
            sw_identity_free(self.id);
        }
    }
}

/// A device list of one device, and the X25519 form of its key, read from
/// the list's saved blob (STORAGE.md §12 stores both forms).
fn list_of(user: &str, device: u32, key: &[u8; 32]) -> (*mut sw_device_list, [u8; 32]) {
    let mut list = null_mut();
    let entry = sw_device_entry {
        device_id: device,
        identity: *key,
    };
    let mut events = [MaybeUninit::<sw_device_event>::uninit(); SW_MAX_DEVICE_EVENTS];
    let (mut count, mut n) = (0, 0);
    let mut blob = vec![0u8; 4096];
    // SAFETY: valid buffers with their lengths and out-parameters.
    unsafe {
        ok(sw_device_list_new(user.as_ptr(), user.len(), &mut list));
        ok(sw_device_list_update(
            list,
            &entry,
            1,
            events.as_mut_ptr().cast(),
            events.len(),
            &mut count,
        ));
        ok(sw_device_list_save(
            list,
            blob.as_mut_ptr(),
            blob.len(),
            &mut n,
        ));
    }
    let at = 6 + 1 + user.len() + 1 + 4;
    assert_eq!(&blob[at..at + 32], key);
    (list, blob[at + 32..at + 64].try_into().unwrap())
}

fn issue(server: *const sw_server_key, user: &str, device: u32, key: &[u8; 32]) -> Vec<u8> {
    let mut cert = vec![0u8; SW_MAX_SENDER_CERTIFICATE_LEN];
    let mut n = 0;
    // SAFETY: a live handle, buffers with their lengths.
    ok(unsafe {
        sw_server_key_issue(
            server,
            user.as_ptr(),
            user.len(),
            device,
            key.as_ptr(),
            32,
            T0 + DAY,
            cert.as_mut_ptr(),
            cert.len(),
            &mut n,
        )
    });
    cert.truncate(n);
    cert
}

fn seal(recipient: &[u8; 32], cert: &[u8], message: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; message.len() + 1024];
    let mut n = 0;
    // SAFETY: buffers with their lengths.
    ok(unsafe {
        sw_sealed_seal(
            null_mut(),
            recipient.as_ptr(),
            32,
            cert.as_ptr(),
            cert.len(),
            message.as_ptr(),
            message.len(),
            out.as_mut_ptr(),
            out.len(),
            &mut n,
        )
    });
    out.truncate(n);
    out
}

/// The sealed conversation through the C ABI: the relay's bytes (the
/// envelopes both ways, a franked one and its commitment, a
/// multi-recipient message and its parts, the access tokens) hold neither
/// form of the sender's key, nor its user id or device id; the unsealed
/// prekey message does hold its key. Bob reads it.
#[test]
fn the_relay_never_sees_the_sender_through_the_c_abi() {
    let (alice, bob) = (Party::new(0xa1), Party::new(0xb0));
    let (alices, alice_x25519) = list_of("alice-user-7f", ALICE_DEVICE, &alice.key);
    let mut server = null_mut();
    let mut trusted = null_mut();
    let mut public = [0u8; SW_SERVER_PUBLIC_KEY_LEN];
    let mut n = 0;
    // SAFETY: valid out-parameters and buffers.
    unsafe {
        ok(sw_server_key_new(null_mut(), 3, &mut server));
        ok(sw_server_key_public(
            server,
            public.as_mut_ptr(),
            public.len(),
            &mut n,
        ));
        ok(sw_trusted_server_keys_new(&mut trusted));
        ok(sw_trusted_server_keys_add(
            trusted,
            public.as_ptr(),
            public.len(),
        ));
    }
    let cert = issue(server, "alice-user-7f", ALICE_DEVICE, &alice.key);
    let mut bundle = vec![0u8; SW_MAX_BUNDLE_LEN];
    let (mut to_bob, mut from_alice) = (null_mut(), null_mut());
    let mut msg = vec![0u8; 4096];
    // SAFETY: live handles, buffers with their lengths.
    unsafe {
        ok(sw_prekey_store_bundle(
            bob.prekeys,
            bob.id,
            bundle.as_mut_ptr(),
            bundle.len(),
            &mut n,
        ));
        bundle.truncate(n);
        ok(sw_device_sessions_new(&mut to_bob));
        ok(sw_device_sessions_new(&mut from_alice));
        ok(sw_device_sessions_initiate(
            null_mut(),
            to_bob,
            alice.id,
            bob.key.as_ptr(),
            32,
            bundle.as_ptr(),
            bundle.len(),
        ));
        ok(sw_device_sessions_encrypt(
            null_mut(),
            to_bob,
            T0,
            bob.key.as_ptr(),
            32,
            1,
            true,
            b"sealed hello".as_ptr(),
            12,
            msg.as_mut_ptr(),
            msg.len(),
            &mut n,
        ));
    }
    msg.truncate(n);
    assert!(contains(&msg, &alice.key), "the prekey message names Alice");
    let envelope = seal(&bob.key, &cert, &msg);
    let mut cf = [0u8; 32];
    // SAFETY: buffers with their lengths.
    ok(unsafe {
        sw_sealed_commitment(
            envelope.as_ptr(),
            envelope.len(),
            cf.as_mut_ptr(),
            32,
            &mut n,
        )
    });
    // A multi-recipient message of a post-shaped body is not needed here:
    // its parts carry the same certificate, encrypted; test_sealed.c
    // scans them for the Ed25519 key, and so does the core's test.
    let mut relay_sees = vec![envelope.clone(), cf.to_vec()];
    let mut profile = null_mut();
    let mut access = [0u8; SW_ACCESS_KEY_LEN];
    // SAFETY: valid out-parameters and buffers.
    unsafe {
        ok(sw_profile_key_new(null_mut(), &mut profile));
        ok(sw_profile_key_access_key(
            profile,
            access.as_mut_ptr(),
            16,
            &mut n,
        ));
        sw_profile_key_free(profile);
    }
    relay_sees.push(access.to_vec());
    for bytes in &relay_sees {
        for (what, needle) in [
            ("Ed25519 key", &alice.key[..]),
            ("X25519 key", &alice_x25519[..]),
            ("user id", b"alice-user-7f"),
            ("device id", &ALICE_DEVICE.to_be_bytes()),
            ("device id (LE)", &ALICE_DEVICE.to_le_bytes()),
        ] {
            assert!(!contains(bytes, needle), "the relay sees Alice's {what}");
        }
    }
    // Bob reads it.
    let mut unsealed = null_mut();
    let mut plain = vec![0u8; envelope.len()];
    let mut info = MaybeUninit::<sw_received_info>::uninit();
    // SAFETY: live handles, buffers with their lengths, out-parameters.
    unsafe {
        ok(sw_sealed_open(
            bob.id,
            envelope.as_ptr(),
            envelope.len(),
            &mut unsealed,
        ));
        // The claimed sender, before anything is verified: a size query,
        // then the user id and the device id.
        let (mut user, mut user_len, mut device) = ([0u8; 64], 0usize, 0u32);
        assert_eq!(
            sw_unsealed_sender(unsealed, null_mut(), 0, &mut user_len, &mut device),
            sw_result::SW_BUFFER_TOO_SMALL
        );
        assert_eq!(user_len, b"alice-user-7f".len());
        ok(sw_unsealed_sender(
            unsealed,
            user.as_mut_ptr(),
            user.len(),
            &mut user_len,
            &mut device,
        ));
        assert_eq!(&user[..user_len], b"alice-user-7f");
        assert_eq!(device, ALICE_DEVICE);
        ok(sw_unsealed_decrypt(
            unsealed,
            T0,
            trusted,
            bob.id,
            bob.prekeys,
            alices,
            from_alice,
            plain.as_mut_ptr(),
            plain.len(),
            &mut n,
            info.as_mut_ptr(),
        ));
        assert_eq!(&plain[..n], b"sealed hello");
        let info = info.assume_init();
        assert!(info.is_franked);
        assert_eq!(info.commitment, cf);
        sw_unsealed_free(unsealed);
        sw_device_sessions_free(from_alice);
        sw_device_sessions_free(to_bob);
        sw_device_list_free(alices);
        sw_trusted_server_keys_free(trusted);
        sw_server_key_free(server);
    }
}

/// The trusted keys' blob through the C ABI is the core's; the core's
/// frozen fixture loads through the C ABI and saves to the same bytes.
#[test]
fn trusted_server_keys_save_as_the_core_does() {
    let fixture = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/server_keys_v1/trusted_server_keys.bin"),
    )
    .unwrap();
    let core = sealed::TrustedServerKeys::from_blob(&fixture).unwrap();
    let mut trusted = null_mut();
    let mut out = vec![0u8; 1024];
    let mut n = 0;
    // SAFETY: buffers with their lengths, out-parameters.
    unsafe {
        ok(sw_trusted_server_keys_load(
            fixture.as_ptr(),
            fixture.len(),
            &mut trusted,
        ));
        ok(sw_trusted_server_keys_save(
            trusted,
            out.as_mut_ptr(),
            out.len(),
            &mut n,
        ));
        assert_eq!(&out[..n], &fixture[..]);
        assert_eq!(&out[..n], &core.to_blob()[..]);
        let mut count = 0;
        ok(sw_trusted_server_keys_len(trusted, &mut count));
        assert_eq!(count, core.len());
        // Pinning a ninth id is refused, nothing changed.
        for id in 100..106u32 {
            let key = sealed::ServerKey::from_seed(id, &[id as u8; 32])
                .public()
                .to_bytes();
            ok(sw_trusted_server_keys_add(trusted, key.as_ptr(), key.len()));
        }
        let ninth = sealed::ServerKey::from_seed(200, &[9; 32])
            .public()
            .to_bytes();
        assert_eq!(
            sw_trusted_server_keys_add(trusted, ninth.as_ptr(), ninth.len()),
            sw_result::SW_SEALED_TOO_MANY_SERVER_KEYS
        );
        ok(sw_trusted_server_keys_len(trusted, &mut count));
        assert_eq!(count, SW_MAX_TRUSTED_SERVER_KEYS);
        let mut removed = false;
        ok(sw_trusted_server_keys_remove(trusted, 100, &mut removed));
        assert!(removed);
        ok(sw_trusted_server_keys_remove(trusted, 100, &mut removed));
        assert!(!removed);
        sw_trusted_server_keys_free(trusted);
    }
}

/// Random and mutated envelopes, sealed posts, multi-recipient messages,
/// certificates, server keys and trusted-keys blobs: a result code every
/// time, never a panic or an internal error.
#[test]
fn hostile_bytes_give_codes() {
    use rand_core::Rng;

    let mut rng = DangerDeterministicRng::from_u64(0x5ea1);
    let (alice, bob) = (Party::new(1), Party::new(2));
    let mut server = null_mut();
    // SAFETY: a valid out-parameter.
    ok(unsafe { sw_server_key_new(null_mut(), 1, &mut server) });
    let cert = issue(server, "alice", 1, &alice.key);
    let envelope = seal(&bob.key, &cert, &[2, 1, 0, 0, 0, 0, 0, 0]);
    let mut public = [0u8; SW_SERVER_PUBLIC_KEY_LEN];
    let mut trusted_blob = vec![0u8; 512];
    let mut n = 0;
    let mut trusted = null_mut();
    // SAFETY: valid buffers and out-parameters.
    unsafe {
        ok(sw_server_key_public(
            server,
            public.as_mut_ptr(),
            public.len(),
            &mut n,
        ));
        ok(sw_trusted_server_keys_new(&mut trusted));
        ok(sw_trusted_server_keys_add(
            trusted,
            public.as_ptr(),
            public.len(),
        ));
        ok(sw_trusted_server_keys_save(
            trusted,
            trusted_blob.as_mut_ptr(),
            trusted_blob.len(),
            &mut n,
        ));
        sw_trusted_server_keys_free(trusted);
    }
    trusted_blob.truncate(n);
    let mut samples: Vec<Vec<u8>> = vec![
        envelope.clone(),
        cert.clone(),
        public.to_vec(),
        trusted_blob.clone(),
    ];
    for _ in 0..40 {
        let mut random = vec![0u8; (rng.next_u32() % 600) as usize];
        rng.fill_bytes(&mut random);
        samples.push(random);
    }
    for base in [&envelope, &cert, &public.to_vec(), &trusted_blob] {
        for _ in 0..60 {
            let mut m = base.clone();
            let i = rng.next_u32() as usize % m.len();
            m[i] ^= 1 << (rng.next_u32() % 8);
            if rng.next_u32().is_multiple_of(4) {
                m.truncate(rng.next_u32() as usize % m.len());
            }
            samples.push(m);
        }
    }
    let mut buf = vec![0u8; 2048];
    let mut info = MaybeUninit::<sw_sender_certificate_info>::uninit();
    for bytes in &samples {
        let (p, len) = (bytes.as_ptr(), bytes.len());
        let mut id = 0u32;
        // SAFETY: buffers with their lengths, valid out-parameters; every
        // handle made is freed.
        unsafe {
            let mut u = null_mut();
            let rc = sw_sealed_open(bob.id, p, len, &mut u);
            clean(rc);
            assert_eq!(rc == sw_result::SW_OK, !u.is_null());
            sw_unsealed_free(u);
            let mut post = null_mut();
            clean(sw_sealed_open_post(bob.id, p, len, &mut post));
            sw_unsealed_post_free(post);
            clean(sw_multi_recipient_count(p, len, &mut n));
            clean(sw_multi_recipient_part(
                p,
                len,
                0,
                buf.as_mut_ptr(),
                buf.len(),
                &mut n,
            ));
            clean(sw_multi_recipient_recipient(
                p,
                len,
                0,
                buf.as_mut_ptr(),
                32,
                &mut n,
            ));
            clean(sw_sender_certificate_parse(
                p,
                len,
                buf.as_mut_ptr(),
                buf.len(),
                &mut n,
                info.as_mut_ptr(),
            ));
            clean(sw_server_public_key_id(p, len, &mut id));
            clean(sw_sealed_commitment(p, len, buf.as_mut_ptr(), 32, &mut n));
            let mut t = null_mut();
            clean(sw_trusted_server_keys_load(p, len, &mut t));
            sw_trusted_server_keys_free(t);
            let mut t2 = null_mut();
            ok(sw_trusted_server_keys_new(&mut t2));
            let rc = sw_trusted_server_keys_add(t2, p, len);
            clean(rc);
            sw_trusted_server_keys_free(t2);
            clean(sw_sealed_seal(
                null_mut(),
                bob.key.as_ptr(),
                32,
                p,
                len,
                p,
                len,
                null_mut(),
                0,
                &mut n,
            ));
        }
    }
    // SAFETY: made above, freed once.
    unsafe { sw_server_key_free(server) };
}
