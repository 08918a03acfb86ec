//! The cost of the C ABI: encrypt + decrypt of one 100-byte message in an
//! established chain (Alice → Bob, no ratchet turn), through the exported
//! `extern "C"` functions (called from Rust through the rlib, exactly as C
//! calls them: handle checks, panic guard, pointer checks, the
//! `SessionRecord` dispatch, the metadata struct) against the same through
//! the Rust API (`Session::encrypt_into` + `Session::decrypt_in_place`),
//! both on caller buffers reused across iterations, in the same run.
//!
//! Two measurements: criterion's rows `ffi_overhead/rust_api_100B` and
//! `ffi_overhead/c_abi_100B`, then (with `--bench`) an interleaved
//! comparison (alternating rounds of each, medians) that prints the ratio
//! C ABI / Rust API; the target is at most 1.10.
//!
//! Run: `cargo bench -p sealwire-ffi --bench overhead -- --warm-up-time 1 --measurement-time 3`

#![allow(
    missing_docs,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

use std::hint::black_box;
use std::ptr::null_mut;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use sealwire::testing::{DangerDeterministicRng, in_chain_pair};
use sealwire::{Encrypt, Outgoing, Session, Timestamp};
use sealwire_ffi::*;

const T0_MS: u64 = 1_780_000_000_000;
const T0: Timestamp = Timestamp::from_unix_millis(T0_MS);
const BODY_LEN: usize = 100;

/// The Rust side: two established sessions, Alice's chain started.
struct RustPath {
    rng: DangerDeterministicRng,
    alice: Session,
    bob: Session,
    body: Vec<u8>,
    wire: Vec<u8>,
}

impl RustPath {
    fn new() -> Self {
        let (rng, alice, bob) = in_chain_pair(1, T0).unwrap();
        let wire = vec![0u8; alice.encrypted_len(BODY_LEN, false)];
        Self {
            rng,
            alice,
            bob,
            body: vec![0x5a; BODY_LEN],
            wire,
        }
    }

    fn round_trip(&mut self) -> usize {
        let n = self
            .alice
            .encrypt_into(
                &mut self.rng,
                T0,
                Outgoing::message(black_box(&self.body)),
                &mut self.wire,
            )
            .unwrap()
            .len;
        let got = self.bob.decrypt_in_place(T0, &mut self.wire[..n]).unwrap();
        got.body.len()
    }
}

fn ok(rc: sw_result) {
    assert_eq!(rc, sw_result::SW_OK);
}

/// The C side: the same handshake through the exported functions.
struct CPath {
    rng: *mut sw_rng,
    alice: *mut sw_session,
    bob: *mut sw_session,
    body: Vec<u8>,
    wire: Vec<u8>,
    plain: Vec<u8>,
    info: sw_received_info,
}

impl CPath {
    fn new() -> Self {
        let mut rng = null_mut();
        let (mut alice_id, mut bob_id, mut store) = (null_mut(), null_mut(), null_mut());
        let (mut bundle, mut alice, mut bob) = (null_mut(), null_mut(), null_mut());
        let mut wire = vec![0u8; 4096];
        let mut plain = vec![0u8; 4096];
        let (mut n, mut pn, mut opk) = (0usize, 0usize, 0u32);
        let mut info = std::mem::MaybeUninit::<sw_received_info>::uninit();
        let seed = [7u8; 32];
        // SAFETY: every pointer passed is a live handle made just before, a
        // buffer with its true length, or a valid out-parameter.
        unsafe {
            ok(sw_rng_danger_new_seeded(
                seed.as_ptr(),
                seed.len(),
                &mut rng,
            ));
            ok(sw_identity_new(rng, &mut alice_id));
            ok(sw_identity_new(rng, &mut bob_id));
            ok(sw_prekey_store_new(rng, bob_id, &mut store));
            ok(sw_prekey_store_generate_one_time_prekeys(
                rng, store, 1, &mut opk, 1, &mut n,
            ));
            ok(sw_prekey_store_bundle_with_one_time_prekey(
                store,
                bob_id,
                opk,
                wire.as_mut_ptr(),
                wire.len(),
                &mut n,
            ));
            ok(sw_bundle_parse(wire.as_ptr(), n, &mut bundle));
            ok(sw_session_initiate(rng, alice_id, bundle, &mut alice));
            let send = |s: *mut sw_session, text: &[u8], wire: &mut Vec<u8>| {
                let mut n = 0usize;
                ok(sw_session_encrypt(
                    rng,
                    s,
                    T0_MS,
                    1,
                    text.as_ptr(),
                    text.len(),
                    wire.as_mut_ptr(),
                    wire.len(),
                    &mut n,
                ));
                n
            };
            let n = send(alice, b"hello", &mut wire);
            ok(sw_session_accept(
                bob_id,
                store,
                T0_MS,
                wire.as_ptr(),
                n,
                plain.as_mut_ptr(),
                plain.len(),
                &mut pn,
                info.as_mut_ptr(),
                &mut bob,
            ));
            let n = send(bob, b"reply", &mut wire);
            ok(sw_session_decrypt(
                alice,
                T0_MS,
                wire.as_ptr(),
                n,
                plain.as_mut_ptr(),
                plain.len(),
                &mut pn,
                info.as_mut_ptr(),
            ));
            // Alice's first message after the reply turns the ratchet; her
            // next ones stay in that chain.
            let n = send(alice, b"turn", &mut wire);
            ok(sw_session_decrypt(
                bob,
                T0_MS,
                wire.as_ptr(),
                n,
                plain.as_mut_ptr(),
                plain.len(),
                &mut pn,
                info.as_mut_ptr(),
            ));
            sw_bundle_free(bundle);
            sw_prekey_store_free(store);
            sw_identity_free(alice_id);
            sw_identity_free(bob_id);
        }
        let mut len = 0usize;
        // SAFETY: a live session and a valid out-parameter.
        ok(unsafe { sw_session_encrypted_len(alice, BODY_LEN, &mut len) });
        wire.truncate(len);
        plain.truncate(len);
        Self {
            rng,
            alice,
            bob,
            body: vec![0x5a; BODY_LEN],
            wire,
            plain,
            // SAFETY: written by the successful decrypts above.
            info: unsafe { info.assume_init() },
        }
    }

    fn round_trip(&mut self) -> usize {
        let body = black_box(&self.body);
        let (mut n, mut pn) = (0usize, 0usize);
        // SAFETY: live handles, buffers with their true lengths, valid
        // out-parameters; input and output buffers are distinct.
        unsafe {
            ok(sw_session_encrypt(
                self.rng,
                self.alice,
                T0_MS,
                1,
                body.as_ptr(),
                body.len(),
                self.wire.as_mut_ptr(),
                self.wire.len(),
                &mut n,
            ));
            ok(sw_session_decrypt(
                self.bob,
                T0_MS,
                self.wire.as_ptr(),
                n,
                self.plain.as_mut_ptr(),
                self.plain.len(),
                &mut pn,
                &mut self.info,
            ));
        }
        pn
    }
}

impl Drop for CPath {
    fn drop(&mut self) {
        // SAFETY: the handles are live and freed once.
        unsafe {
            sw_session_free(self.alice);
            sw_session_free(self.bob);
            sw_rng_free(self.rng);
        }
    }
}

fn criterion_rows(c: &mut Criterion) {
    let mut rust = RustPath::new();
    let mut cabi = CPath::new();
    assert_eq!(rust.round_trip(), BODY_LEN);
    assert_eq!(cabi.round_trip(), BODY_LEN);
    assert_eq!(&cabi.plain[..BODY_LEN], &cabi.body[..]);
    assert!(cabi.info.message_number >= 1, "messages were in-chain");
    let mut group = c.benchmark_group("ffi_overhead");
    group.throughput(Throughput::Bytes(BODY_LEN as u64));
    group.bench_function("rust_api_100B", |b| b.iter(|| rust.round_trip()));
    group.bench_function("c_abi_100B", |b| b.iter(|| cabi.round_trip()));
    group.finish();
}

/// Alternating rounds of each path; the ratio of the median round times.
fn interleaved_ratio() {
    const ROUNDS: usize = 41;
    const ITERS: usize = 500;
    let mut rust = RustPath::new();
    let mut cabi = CPath::new();
    let (mut r, mut c) = (Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS));
    for _ in 0..3 * ITERS {
        black_box(rust.round_trip());
        black_box(cabi.round_trip());
    }
    for _ in 0..ROUNDS {
        let t = Instant::now();
        for _ in 0..ITERS {
            black_box(rust.round_trip());
        }
        r.push(t.elapsed().as_nanos() as f64 / ITERS as f64);
        let t = Instant::now();
        for _ in 0..ITERS {
            black_box(cabi.round_trip());
        }
        c.push(t.elapsed().as_nanos() as f64 / ITERS as f64);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (r, c) = (median(&mut r), median(&mut c));
    let ratio = c / r;
    eprintln!();
    eprintln!(
        "encrypt + decrypt of {BODY_LEN} B, interleaved ({ROUNDS} rounds of {ITERS}, medians):"
    );
    eprintln!("  Rust API  {r:>9.0} ns");
    eprintln!("  C ABI     {c:>9.0} ns");
    eprintln!(
        "  ratio C ABI / Rust API = {ratio:.3} (target <= 1.10: {})",
        if ratio <= 1.10 { "met" } else { "NOT met" }
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    criterion_rows(&mut c);
    c.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        interleaved_ratio();
    }
}
