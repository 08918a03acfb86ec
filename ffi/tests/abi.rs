//! The C-visible constants and layouts agree with the Rust library and with
//! what the header promises; hostile bytes into every parsing function give
//! result codes, never a panic.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    missing_docs
)]

use std::mem::{align_of, offset_of, size_of};

use sealwire::SafetyNumber;
use sealwire::limits::{
    FRANKING_COMMITMENT_LEN, MAX_BODY_LEN, MAX_BUNDLE_LEN, MAX_REPORT_ATTACHMENT_LEN,
    MAX_ROUTING_ID_LEN,
};
use sealwire::wire::{KEM_CIPHERTEXT_LEN, PQ_PUBLIC_KEY_LEN};
use sealwire_ffi::*;

/// The address every sealed blob of these tests is bound to.
fn test_address() -> sw_blob_address {
    sw_blob_address {
        owner: *sealwire::IdentityKeyPair::from_seed(&[0x0a; 32])
            .public()
            .as_bytes(),
        has_peer_identity: false,
        peer_identity: [0; 32],
        peer_name: std::ptr::null(),
        peer_name_len: 0,
        has_device_id: true,
        device_id: 1,
        context: std::ptr::null(),
        context_len: 0,
    }
}

#[test]
fn constants_match_the_library() {
    assert_eq!(SW_MAX_BODY_LEN, MAX_BODY_LEN);
    assert_eq!(SW_MAX_BUNDLE_LEN, MAX_BUNDLE_LEN);
    assert_eq!(SW_PQ_PUBLIC_KEY_LEN, PQ_PUBLIC_KEY_LEN);
    assert_eq!(SW_KEM_CIPHERTEXT_LEN, KEM_CIPHERTEXT_LEN);
    assert_eq!(SW_SAFETY_NUMBER_SCANNABLE_LEN, SafetyNumber::SCANNABLE_LEN);
    assert_eq!(SW_SAFETY_NUMBER_DISPLAY_LEN, 60 + 1);
    assert_eq!(SW_MESSAGE_ID_LEN, size_of::<sealwire::expiry::MessageId>());
    assert_eq!(SW_IDENTITY_KEY_LEN, 32);
    assert_eq!(SW_SEED_LEN, 32);
    assert_eq!(SW_STORAGE_KEY_LEN, 32);
    assert_eq!(SW_FRANKING_KEY_LEN, 32);
    assert_eq!(SW_FRANKING_COMMITMENT_LEN, FRANKING_COMMITMENT_LEN);
    assert_eq!(SW_RELAY_KEY_LEN, 32);
    assert_eq!(SW_ATTACHMENT_KEY_LEN, 32);
    assert_eq!(SW_ATTACHMENT_OVERHEAD, sealwire::wire::TAG_LEN);
    assert_eq!(SW_MAX_ROUTING_ID_LEN, MAX_ROUTING_ID_LEN);
    assert_eq!(SW_MAX_REPORT_ATTACHMENT_LEN, MAX_REPORT_ATTACHMENT_LEN);
}

#[test]
fn enums_are_uint32_t_and_structs_have_c_layout() {
    assert_eq!(size_of::<sw_result>(), 4);
    assert_eq!(size_of::<sw_content_type>(), 4);
    assert_eq!(size_of::<sw_expiry_mode>(), 4);
    assert_eq!(size_of::<sw_message_expiry>(), 4);
    assert_eq!(size_of::<sw_changed_by>(), 4);
    assert_eq!(size_of::<sw_pq_prekey_kind>(), 4);
    assert_eq!(size_of::<sw_key_agreement>(), 4);
    // Stable numbers (the header's enum).
    assert_eq!(sw_key_agreement::SW_KEY_AGREEMENT_UNRECORDED as u32, 0);
    assert_eq!(sw_key_agreement::SW_KEY_AGREEMENT_X3DH as u32, 1);
    assert_eq!(sw_key_agreement::SW_KEY_AGREEMENT_PQXDH as u32, 2);
    assert_eq!(size_of::<sw_timer>(), 16); // version u64 (SPEC.md §10.2)
    assert_eq!(align_of::<sw_timer>(), 8);
    assert_eq!(align_of::<sw_received_info>(), 8);
    // The C layout of the header's field order (ffi/tests/python/sealwire.py
    // mirrors it).
    assert_eq!(offset_of!(sw_received_info, content_type), 0);
    assert_eq!(offset_of!(sw_received_info, message_number), 4);
    assert_eq!(offset_of!(sw_received_info, sent_at_ms), 8);
    assert_eq!(offset_of!(sw_received_info, expiry), 16);
    assert_eq!(offset_of!(sw_received_info, expiry_ms), 24);
    assert_eq!(offset_of!(sw_received_info, timer_changed), 32);
    assert_eq!(offset_of!(sw_received_info, timer_changed_by), 36);
    assert_eq!(offset_of!(sw_received_info, timer_old), 40);
    assert_eq!(offset_of!(sw_received_info, timer_new), 56);
    assert_eq!(offset_of!(sw_received_info, sender), 72);
    assert_eq!(offset_of!(sw_received_info, is_franked), 104);
    assert_eq!(offset_of!(sw_received_info, franking_key), 105);
    assert_eq!(offset_of!(sw_received_info, commitment), 137);
    assert_eq!(size_of::<sw_received_info>(), 176);
    assert_eq!(align_of::<sw_report_info>(), 8);
    assert_eq!(offset_of!(sw_report_info, content_type), 0);
    assert_eq!(offset_of!(sw_report_info, has_attachment), 4);
    assert_eq!(offset_of!(sw_report_info, sent_at_ms), 8);
    assert_eq!(offset_of!(sw_report_info, routing_timestamp_ms), 16);
    assert_eq!(offset_of!(sw_report_info, sender), 24);
    assert_eq!(offset_of!(sw_report_info, recipient), 56);
    assert_eq!(size_of::<sw_report_info>(), 88);
    // The address of a sealed blob (an input struct; ffi/tests/python/sealwire.py mirrors
    // it).
    #[cfg(target_pointer_width = "64")]
    {
        assert_eq!(offset_of!(sw_blob_address, owner), 0);
        assert_eq!(offset_of!(sw_blob_address, has_peer_identity), 32);
        assert_eq!(offset_of!(sw_blob_address, peer_identity), 33);
        assert_eq!(offset_of!(sw_blob_address, peer_name), 72);
        assert_eq!(offset_of!(sw_blob_address, peer_name_len), 80);
        assert_eq!(offset_of!(sw_blob_address, has_device_id), 88);
        assert_eq!(offset_of!(sw_blob_address, device_id), 92);
        assert_eq!(offset_of!(sw_blob_address, context), 96);
        assert_eq!(offset_of!(sw_blob_address, context_len), 104);
        assert_eq!(size_of::<sw_blob_address>(), 112);
    }
}

#[test]
fn every_code_has_a_distinct_message() {
    let mut seen = std::collections::BTreeSet::new();
    for code in sw_result::ALL {
        // SAFETY: a static NUL-terminated string.
        let text = unsafe { std::ffi::CStr::from_ptr(sw_result_message(code as u32)) };
        assert_eq!(text.to_str().unwrap(), code.message());
        assert!(seen.insert(text.to_owned()), "{code:?}: message repeated");
    }
}

/// Random and mutated bytes into every function that parses bytes: a result
/// code every time, never a panic, never an internal error.
#[test]
fn hostile_bytes_give_codes() {
    use rand_core::Rng;
    use sealwire::testing::DangerDeterministicRng;
    use std::ptr::null_mut;

    let mut rng = DangerDeterministicRng::from_u64(42);
    let bad = [
        sw_result::SW_PANIC,
        sw_result::SW_INTERNAL,
        sw_result::SW_UNKNOWN_ERROR,
    ];
    let check = |rc: sw_result| assert!(!bad.contains(&rc), "{rc:?}");
    let key = [9u8; 32];
    let (mut id, mut store, mut bundle, mut alice, mut bob) =
        (null_mut(), null_mut(), null_mut(), null_mut(), null_mut());
    let (mut pq_store, mut pq_bundle, mut pq_alice, mut pq_bob) =
        (null_mut(), null_mut(), null_mut(), null_mut());
    let mut buf = vec![0u8; 8192];
    let mut plain = vec![0u8; 8192];
    let (mut n, mut pn) = (0usize, 0usize);
    let mut info = std::mem::MaybeUninit::<sw_received_info>::uninit();
    let mut valid: Vec<Vec<u8>> = Vec::new();
    // SAFETY: live handles, buffers with their true lengths, valid
    // out-parameters throughout.
    unsafe {
        check(sw_identity_new(null_mut(), &mut id));
        check(sw_prekey_store_new(null_mut(), id, &mut store));
        check(sw_prekey_store_bundle(
            store,
            id,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        valid.push(buf[..n].to_vec());
        check(sw_bundle_parse(buf.as_ptr(), n, &mut bundle));
        check(sw_session_initiate(null_mut(), id, bundle, &mut alice));
        check(sw_session_encrypt(
            null_mut(),
            alice,
            0,
            1,
            b"x".as_ptr(),
            1,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        valid.push(buf[..n].to_vec());
        let hello = buf[..n].to_vec();
        check(sw_session_accept(
            id,
            store,
            0,
            hello.as_ptr(),
            hello.len(),
            plain.as_mut_ptr(),
            plain.len(),
            &mut pn,
            info.as_mut_ptr(),
            &mut bob,
        ));
        check(sw_session_save(bob, buf.as_mut_ptr(), buf.len(), &mut n));
        valid.push(buf[..n].to_vec());
        check(sw_identity_save(id, buf.as_mut_ptr(), buf.len(), &mut n));
        valid.push(buf[..n].to_vec());
        let address = test_address();
        check(sw_session_save_sealed(
            null_mut(),
            bob,
            key.as_ptr(),
            32,
            &address,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        valid.push(buf[..n].to_vec());
        // Post-quantum: a PQ store with a one-time PQ prekey, its bundle, a
        // PQXDH prekey message, the saved store and sessions.
        let mut generated = 0usize;
        check(sw_prekey_store_new_pq(null_mut(), id, &mut pq_store));
        check(sw_prekey_store_generate_pq_one_time_prekeys(
            null_mut(),
            pq_store,
            id,
            1,
            &mut generated,
        ));
        assert_eq!(generated, 1);
        check(sw_prekey_store_bundle_with_pq(
            pq_store,
            id,
            false,
            0,
            true,
            2,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        assert_eq!(n, SW_MAX_BUNDLE_LEN - 36);
        valid.push(buf[..n].to_vec());
        check(sw_bundle_parse(buf.as_ptr(), n, &mut pq_bundle));
        check(sw_session_initiate(
            null_mut(),
            id,
            pq_bundle,
            &mut pq_alice,
        ));
        check(sw_session_save(
            pq_alice,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        valid.push(buf[..n].to_vec());
        check(sw_session_encrypt(
            null_mut(),
            pq_alice,
            0,
            1,
            b"pq".as_ptr(),
            2,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        assert!(n > SW_KEM_CIPHERTEXT_LEN);
        valid.push(buf[..n].to_vec());
        check(sw_prekey_store_save(
            pq_store,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        valid.push(buf[..n].to_vec());
        let pq_hello = valid[valid.len() - 2].clone();
        // Accept from a copy, so that the one-time PQ prekey stays for the
        // hostile rounds.
        let mut pq_copy = null_mut();
        check(sw_prekey_store_load(buf.as_ptr(), n, &mut pq_copy));
        check(sw_session_accept(
            id,
            pq_copy,
            0,
            pq_hello.as_ptr(),
            pq_hello.len(),
            plain.as_mut_ptr(),
            plain.len(),
            &mut pn,
            info.as_mut_ptr(),
            &mut pq_bob,
        ));
        assert_eq!(&plain[..pn], b"pq");
        sw_prekey_store_free(pq_copy);
        check(sw_session_save(pq_bob, buf.as_mut_ptr(), buf.len(), &mut n));
        valid.push(buf[..n].to_vec());

        for round in 0..3000u32 {
            let input: Vec<u8> = if round % 2 == 0 {
                let mut v = vec![0u8; (rng.next_u32() % 700) as usize];
                rng.fill_bytes(&mut v);
                v
            } else {
                let mut v = valid[(rng.next_u32() as usize) % valid.len()].clone();
                for _ in 0..1 + rng.next_u32() % 3 {
                    let i = (rng.next_u32() as usize) % v.len();
                    v[i] ^= 1 << (rng.next_u32() % 8);
                }
                v.truncate(v.len() - (rng.next_u32() as usize % 3).min(v.len()));
                v
            };
            let (p, len) = (input.as_ptr(), input.len());
            let mut h = null_mut();
            let rc = sw_bundle_parse(p, len, &mut h);
            check(rc);
            sw_bundle_free(h);
            let mut h = null_mut();
            check(sw_expiry_queue_decode(p, len, &mut h));
            sw_expiry_queue_free(h);
            let mut h = null_mut();
            check(sw_identity_load(p, len, &mut h));
            sw_identity_free(h);
            let mut h = null_mut();
            check(sw_prekey_store_load(p, len, &mut h));
            sw_prekey_store_free(h);
            let mut h = null_mut();
            check(sw_session_load(p, len, &mut h));
            sw_session_free(h);
            let mut h = null_mut();
            let address = test_address();
            check(sw_session_load_sealed(
                key.as_ptr(),
                32,
                &address,
                p,
                len,
                &mut h,
            ));
            sw_session_free(h);
            check(sw_session_decrypt(
                bob,
                0,
                p,
                len,
                plain.as_mut_ptr(),
                plain.len(),
                &mut pn,
                info.as_mut_ptr(),
            ));
            check(sw_session_decrypt(
                alice,
                0,
                p,
                len,
                plain.as_mut_ptr(),
                plain.len(),
                &mut pn,
                info.as_mut_ptr(),
            ));
            let mut h = null_mut();
            check(sw_session_accept(
                id,
                store,
                0,
                p,
                len,
                plain.as_mut_ptr(),
                plain.len(),
                &mut pn,
                info.as_mut_ptr(),
                &mut h,
            ));
            sw_session_free(h);
            check(sw_session_decrypt(
                pq_bob,
                0,
                p,
                len,
                plain.as_mut_ptr(),
                plain.len(),
                &mut pn,
                info.as_mut_ptr(),
            ));
            let mut h = null_mut();
            check(sw_session_accept(
                id,
                pq_store,
                0,
                p,
                len,
                plain.as_mut_ptr(),
                plain.len(),
                &mut pn,
                info.as_mut_ptr(),
                &mut h,
            ));
            sw_session_free(h);
        }
        for h in [alice, bob, pq_alice, pq_bob] {
            sw_session_free(h);
        }
        sw_bundle_free(bundle);
        sw_bundle_free(pq_bundle);
        sw_prekey_store_free(store);
        sw_prekey_store_free(pq_store);
        sw_identity_free(id);
    }
}

/// Franking: random and mutated stamps, reports, attachment pointers,
/// attachment blobs and wire messages into every function that parses them
/// (`sw_relay_verify_report`, `sw_report_from_received*` for the stamp,
/// `sw_attachment_pointer_parse`, `_decrypt`, `sw_commitment_of`,
/// `sw_relay_stamp_message`): a result code every time, never a panic or an
/// internal error; a mutated report never verifies.
#[test]
fn hostile_franking_bytes_give_codes() {
    use rand_core::Rng;
    use sealwire::testing::DangerDeterministicRng;
    use std::ptr::{null, null_mut};

    let mut rng = DangerDeterministicRng::from_u64(19);
    let bad = [
        sw_result::SW_PANIC,
        sw_result::SW_INTERNAL,
        sw_result::SW_UNKNOWN_ERROR,
    ];
    let check = |rc: sw_result| assert!(!bad.contains(&rc), "{rc:?}");
    let ok = |rc: sw_result| assert_eq!(rc, sw_result::SW_OK);
    let (mut alice_id, mut bob_id, mut store, mut bundle) =
        (null_mut(), null_mut(), null_mut(), null_mut());
    let (mut alice, mut bob, mut relay, mut pointer) =
        (null_mut(), null_mut(), null_mut(), null_mut());
    let mut buf = vec![0u8; 16384];
    let mut plain = vec![0u8; 16384];
    let (mut n, mut pn) = (0usize, 0usize);
    let mut info = std::mem::MaybeUninit::<sw_received_info>::uninit();
    let (mut alice_key, mut bob_key) = ([0u8; 32], [0u8; 32]);
    // SAFETY: live handles, buffers with their true lengths, valid
    // out-parameters throughout.
    unsafe {
        ok(sw_identity_new(null_mut(), &mut alice_id));
        ok(sw_identity_new(null_mut(), &mut bob_id));
        ok(sw_identity_public_key(
            alice_id,
            alice_key.as_mut_ptr(),
            32,
            &mut n,
        ));
        ok(sw_identity_public_key(
            bob_id,
            bob_key.as_mut_ptr(),
            32,
            &mut n,
        ));
        ok(sw_prekey_store_new(null_mut(), bob_id, &mut store));
        ok(sw_prekey_store_bundle(
            store,
            bob_id,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        ok(sw_bundle_parse(buf.as_ptr(), n, &mut bundle));
        ok(sw_session_initiate(
            null_mut(),
            alice_id,
            bundle,
            &mut alice,
        ));
        ok(sw_relay_key_new(null_mut(), &mut relay));

        // An attachment, its pointer as a franked body, the stamp, the
        // report with the attachment.
        let picture = b"not really a picture".to_vec();
        let mut key = [0u8; 32];
        ok(sw_attachment_key_new(
            null_mut(),
            key.as_mut_ptr(),
            32,
            &mut n,
        ));
        ok(sw_attachment_encrypt(
            key.as_ptr(),
            32,
            picture.as_ptr(),
            picture.len(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        let blob = buf[..n].to_vec();
        let (media, locator) = (b"image/png", b"blob:1");
        ok(sw_attachment_pointer_new(
            key.as_ptr(),
            32,
            picture.as_ptr(),
            picture.len(),
            media.as_ptr(),
            media.len(),
            locator.as_ptr(),
            locator.len(),
            &mut pointer,
        ));
        ok(sw_attachment_pointer_encode(
            pointer,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        let body = buf[..n].to_vec();
        ok(sw_session_encrypt_franked(
            null_mut(),
            alice,
            0,
            1,
            body.as_ptr(),
            body.len(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        let message = buf[..n].to_vec();
        ok(sw_session_accept(
            bob_id,
            store,
            0,
            message.as_ptr(),
            message.len(),
            plain.as_mut_ptr(),
            plain.len(),
            &mut pn,
            info.as_mut_ptr(),
            &mut bob,
        ));
        let info = info.assume_init();
        let mut scratch = std::mem::MaybeUninit::<sw_received_info>::uninit();
        assert!(info.is_franked);
        assert_eq!(&plain[..pn], &body[..]);
        ok(sw_relay_stamp_message(
            relay,
            message.as_ptr(),
            message.len(),
            b"alice".as_ptr(),
            5,
            b"bob".as_ptr(),
            3,
            7,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        let stamp = buf[..n].to_vec();
        ok(sw_report_from_received_with_attachment(
            bob_id,
            &info,
            body.as_ptr(),
            body.len(),
            stamp.as_ptr(),
            stamp.len(),
            picture.as_ptr(),
            picture.len(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        let report = buf[..n].to_vec();
        let mut verified = null_mut();
        ok(sw_relay_verify_report(
            relay,
            report.as_ptr(),
            report.len(),
            &mut verified,
        ));
        sw_verified_report_free(verified);

        let valid = [
            report.clone(),
            stamp.clone(),
            body.clone(),
            message,
            blob.clone(),
        ];
        for round in 0..3000u32 {
            let which = (rng.next_u32() as usize) % valid.len();
            let input: Vec<u8> = if round % 3 == 0 {
                let mut v = vec![0u8; (rng.next_u32() % 400) as usize];
                rng.fill_bytes(&mut v);
                // Sometimes with a valid version and type, to get further.
                if v.len() > 2 && round % 2 == 0 {
                    v[..2].copy_from_slice(&valid[which][..2]);
                }
                v
            } else {
                let mut v = valid[which].clone();
                for _ in 0..1 + rng.next_u32() % 3 {
                    let i = (rng.next_u32() as usize) % v.len();
                    v[i] ^= 1 << (rng.next_u32() % 8);
                }
                v.truncate(v.len() - (rng.next_u32() as usize % 3).min(v.len()));
                v
            };
            let (p, len) = (input.as_ptr(), input.len());
            let mut v = null_mut();
            let rc = sw_relay_verify_report(relay, p, len, &mut v);
            check(rc);
            if input != report && which == 0 {
                // A changed report never verifies.
                assert_ne!(rc, sw_result::SW_OK);
            }
            sw_verified_report_free(v);
            // The input as the stamp of a report.
            check(sw_report_from_received(
                bob_id,
                &info,
                null(),
                0,
                p,
                len,
                buf.as_mut_ptr(),
                buf.len(),
                &mut n,
            ));
            // The input as identity keys (32 bytes of it).
            if len >= 64 {
                let mut forged = info;
                forged.content_type = sw_content_type::SW_CONTENT_RECEIPT;
                forged.sender.copy_from_slice(&input[..32]);
                forged.franking_key.copy_from_slice(&input[32..64]);
                check(sw_report_from_received(
                    bob_id,
                    &forged,
                    p,
                    len,
                    stamp.as_ptr(),
                    stamp.len(),
                    buf.as_mut_ptr(),
                    buf.len(),
                    &mut n,
                ));
            }
            let mut ap = null_mut();
            check(sw_attachment_pointer_parse(p, len, &mut ap));
            if !ap.is_null() {
                check(sw_attachment_pointer_decrypt(
                    ap,
                    blob.as_ptr(),
                    blob.len(),
                    plain.as_mut_ptr(),
                    plain.len(),
                    &mut n,
                ));
            }
            sw_attachment_pointer_free(ap);
            let rc = sw_attachment_pointer_decrypt(
                pointer,
                p,
                len,
                plain.as_mut_ptr(),
                plain.len(),
                &mut n,
            );
            check(rc);
            if input != blob {
                assert_ne!(rc, sw_result::SW_OK);
            }
            check(sw_commitment_of(
                p,
                len,
                buf.as_mut_ptr(),
                buf.len(),
                &mut n,
            ));
            check(sw_relay_stamp_message(
                relay,
                p,
                len,
                p,
                len.min(1100),
                null(),
                0,
                0,
                buf.as_mut_ptr(),
                buf.len(),
                &mut n,
            ));
            // Bob must refuse a changed franked message and stay usable.
            check(sw_session_decrypt(
                bob,
                0,
                p,
                len,
                plain.as_mut_ptr(),
                plain.len(),
                &mut pn,
                scratch.as_mut_ptr(),
            ));
        }
        sw_attachment_pointer_free(pointer);
        sw_relay_key_free(relay);
        sw_session_free(alice);
        sw_session_free(bob);
        sw_bundle_free(bundle);
        sw_prekey_store_free(store);
        sw_identity_free(alice_id);
        sw_identity_free(bob_id);
    }
}
