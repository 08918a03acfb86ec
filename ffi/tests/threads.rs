//! The thread-safety the header states, exercised: immutable handles
//! (`sw_identity`, `sw_bundle`) shared by several threads at once, and
//! distinct sessions, prekey stores and generators used on different
//! threads concurrently, through the exported functions.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::ptr::null_mut;

use sealwire_ffi::*;

const T0: u64 = 1_780_000_000_000;

fn ok(rc: sw_result) {
    assert_eq!(rc, sw_result::SW_OK);
}

/// An immutable handle shared across threads, as the header allows.
struct Shared<T>(*const T);
impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Shared<T> {}
// SAFETY: only used for handles documented as immutable and shareable
// (`sw_identity`, `sw_bundle`), read through `const` functions while no
// thread frees them.
unsafe impl<T> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Shared<T> {}

#[test]
fn shared_immutable_handles_and_concurrent_sessions() {
    let (mut bob_id, mut store, mut bundle) = (null_mut(), null_mut(), null_mut());
    let mut buf = vec![0u8; 4096];
    let mut n = 0usize;
    // SAFETY: live handles, buffers with their true lengths, valid
    // out-parameters.
    unsafe {
        ok(sw_identity_new(null_mut(), &mut bob_id));
        ok(sw_prekey_store_new(null_mut(), bob_id, &mut store));
        ok(sw_prekey_store_bundle(
            store,
            bob_id,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        ok(sw_bundle_parse(buf.as_ptr(), n, &mut bundle));
        ok(sw_prekey_store_save(
            store,
            buf.as_mut_ptr(),
            buf.len(),
            &mut n,
        ));
        sw_prekey_store_free(store);
    }
    buf.truncate(n);
    let store_blob = buf;
    let (bob_id_s, bundle_s) = (Shared(bob_id.cast_const()), Shared(bundle.cast_const()));

    std::thread::scope(|scope| {
        for t in 0..4u8 {
            let store_blob = &store_blob;
            scope.spawn(move || {
                let (bob_id, bundle) = (bob_id_s, bundle_s);
                let (mut rng, mut alice_id, mut store) = (null_mut(), null_mut(), null_mut());
                let (mut alice, mut bob) = (null_mut(), null_mut());
                let mut wire = vec![0u8; 4096];
                let mut plain = vec![0u8; 4096];
                let (mut n, mut pn) = (0usize, 0usize);
                let mut info = std::mem::MaybeUninit::<sw_received_info>::uninit();
                let seed = [t; 32];
                // SAFETY: the shared handles stay live for the scope and are
                // only read; everything else belongs to this thread.
                unsafe {
                    ok(sw_rng_danger_new_seeded(seed.as_ptr(), 32, &mut rng));
                    ok(sw_identity_new(rng, &mut alice_id));
                    ok(sw_prekey_store_load(
                        store_blob.as_ptr(),
                        store_blob.len(),
                        &mut store,
                    ));
                    ok(sw_session_initiate(rng, alice_id, bundle.0, &mut alice));
                    ok(sw_session_encrypt(
                        rng,
                        alice,
                        T0,
                        1,
                        b"hi".as_ptr(),
                        2,
                        wire.as_mut_ptr(),
                        wire.len(),
                        &mut n,
                    ));
                    ok(sw_session_accept(
                        bob_id.0,
                        store,
                        T0,
                        wire.as_ptr(),
                        n,
                        plain.as_mut_ptr(),
                        plain.len(),
                        &mut pn,
                        info.as_mut_ptr(),
                        &mut bob,
                    ));
                    for i in 0..50u32 {
                        let (from, to) = if i % 3 == 0 {
                            (alice, bob)
                        } else {
                            (bob, alice)
                        };
                        let body = i.to_be_bytes();
                        ok(sw_session_encrypt(
                            rng,
                            from,
                            T0,
                            1,
                            body.as_ptr(),
                            4,
                            wire.as_mut_ptr(),
                            wire.len(),
                            &mut n,
                        ));
                        ok(sw_session_decrypt(
                            to,
                            T0,
                            wire.as_ptr(),
                            n,
                            plain.as_mut_ptr(),
                            plain.len(),
                            &mut pn,
                            info.as_mut_ptr(),
                        ));
                        assert_eq!(&plain[..pn], &body);
                    }
                    sw_session_free(alice);
                    sw_session_free(bob);
                    sw_prekey_store_free(store);
                    sw_identity_free(alice_id);
                    sw_rng_free(rng);
                }
            });
        }
    });
    // SAFETY: the threads are done; the handles are freed once.
    unsafe {
        sw_bundle_free(bundle);
        sw_identity_free(bob_id);
    }
}
