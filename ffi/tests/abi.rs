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

use sealwire::limits::{MAX_BODY_LEN, MAX_BUNDLE_LEN};
use sealwire::pq_prekey::{KEM_CIPHERTEXT_LEN, PQ_PUBLIC_KEY_LEN};
use sealwire::safety_number::SCANNABLE_LEN;
use sealwire_ffi::*;

#[test]
fn constants_match_the_library() {
    assert_eq!(SW_MAX_BODY_LEN, MAX_BODY_LEN);
    assert_eq!(SW_MAX_BUNDLE_LEN, MAX_BUNDLE_LEN);
    assert_eq!(SW_PQ_PUBLIC_KEY_LEN, PQ_PUBLIC_KEY_LEN);
    assert_eq!(SW_KEM_CIPHERTEXT_LEN, KEM_CIPHERTEXT_LEN);
    assert_eq!(SW_SAFETY_NUMBER_SCANNABLE_LEN, SCANNABLE_LEN);
    assert_eq!(SW_SAFETY_NUMBER_DISPLAY_LEN, 60 + 1);
    assert_eq!(SW_MESSAGE_ID_LEN, size_of::<sealwire::MessageId>());
    assert_eq!(SW_IDENTITY_KEY_LEN, 32);
    assert_eq!(SW_SEED_LEN, 32);
    assert_eq!(SW_STORAGE_KEY_LEN, 32);
}

#[test]
fn enums_are_uint32_t_and_structs_have_c_layout() {
    assert_eq!(size_of::<sw_result>(), 4);
    assert_eq!(size_of::<sw_content_type>(), 4);
    assert_eq!(size_of::<sw_expiry_mode>(), 4);
    assert_eq!(size_of::<sw_message_expiry>(), 4);
    assert_eq!(size_of::<sw_changed_by>(), 4);
    assert_eq!(size_of::<sw_pq_prekey_kind>(), 4);
    assert_eq!(size_of::<sw_timer>(), 12);
    assert_eq!(align_of::<sw_received_info>(), 8);
    // The C layout of the header's field order (examples/python/sealwire.py
    // mirrors it).
    assert_eq!(offset_of!(sw_received_info, content_type), 0);
    assert_eq!(offset_of!(sw_received_info, message_number), 4);
    assert_eq!(offset_of!(sw_received_info, sent_at_ms), 8);
    assert_eq!(offset_of!(sw_received_info, expiry), 16);
    assert_eq!(offset_of!(sw_received_info, expiry_ms), 24);
    assert_eq!(offset_of!(sw_received_info, timer_changed), 32);
    assert_eq!(offset_of!(sw_received_info, timer_changed_by), 36);
    assert_eq!(offset_of!(sw_received_info, timer_old), 40);
    assert_eq!(offset_of!(sw_received_info, timer_new), 52);
    assert_eq!(offset_of!(sw_received_info, sender), 64);
    assert_eq!(size_of::<sw_received_info>(), 96);
}

#[test]
fn every_code_has_a_distinct_message() {
    let mut seen = std::collections::BTreeSet::new();
    for code in sw_result::ALL {
        let mut buf = [0 as std::ffi::c_char; 128];
        let mut n = 0usize;
        // SAFETY: a live buffer with its length and a valid out-parameter.
        let rc = unsafe { sw_result_message(code as u32, buf.as_mut_ptr(), buf.len(), &mut n) };
        assert_eq!(rc, sw_result::SW_OK);
        // SAFETY: the message was written NUL-terminated within `buf`.
        let text = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
        assert_eq!(text.to_bytes().len() + 1, n);
        assert!(seen.insert(text.to_owned()), "{code:?}: message repeated");
    }
}

/// Random and mutated bytes into every function that parses bytes: a result
/// code every time, never a panic, never an internal error.
#[test]
fn hostile_bytes_give_codes() {
    use rand_core::Rng;
    use sealwire::internal::testing::DangerDeterministicRng;
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
        check(sw_prekey_store_new(id, null_mut(), &mut store));
        check(sw_prekey_store_bundle(
            store,
            id,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        valid.push(buf[..n].to_vec());
        check(sw_bundle_parse(buf.as_ptr(), n, &mut bundle));
        check(sw_session_initiate(id, bundle, null_mut(), &mut alice));
        check(sw_session_encrypt(
            alice,
            null_mut(),
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
        check(sw_session_save_sealed(
            bob,
            key.as_ptr(),
            32,
            null_mut(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        valid.push(buf[..n].to_vec());
        // Post-quantum: a PQ store with a one-time PQ prekey, its bundle, a
        // PQXDH prekey message, the saved store and sessions.
        let mut generated = 0usize;
        check(sw_prekey_store_new_pq(id, null_mut(), &mut pq_store));
        check(sw_prekey_store_generate_pq_one_time_prekeys(
            pq_store,
            id,
            null_mut(),
            1,
            &mut generated,
        ));
        assert_eq!(generated, 1);
        check(sw_prekey_store_bundle_with_pq(
            pq_store,
            id,
            0,
            0,
            1,
            2,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        assert_eq!(n, SW_MAX_BUNDLE_LEN - 36);
        valid.push(buf[..n].to_vec());
        check(sw_bundle_parse(buf.as_ptr(), n, &mut pq_bundle));
        check(sw_session_initiate(
            id,
            pq_bundle,
            null_mut(),
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
            pq_alice,
            null_mut(),
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
            check(sw_session_load_sealed(key.as_ptr(), 32, p, len, &mut h));
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
