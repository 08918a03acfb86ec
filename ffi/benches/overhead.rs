//! The cost of the C ABI: encrypt + decrypt of one 100-byte message in an
//! established chain (Alice → Bob, no ratchet turn), through the exported
//! `extern "C"` functions (called from Rust through the rlib, exactly as C
//! calls them: handle checks, panic guard, pointer checks, the
//! `SessionRecord` dispatch, the metadata struct) against the same through
//! the Rust API (`Session::encrypt_into` + `Session::decrypt_in_place`),
//! both on caller buffers reused across iterations, in the same run.
//!
//! Two measurements: criterion's rows `ffi_overhead/rust_api_100B` and
//! `ffi_overhead/c_abi_100B`, then (with `--bench`) a table, one line per
//! operation (encrypt, decrypt, encrypt + decrypt of 100 B, parsing a
//! prekey bundle, saving a session), each from paired alternating rounds of
//! the two paths in the same run (medians), with the ratio C ABI / Rust
//! API; the target is at most 1.10.
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
use sealwire::persist::StateBlob;
use sealwire::testing::{DangerDeterministicRng, in_chain_pair};
use sealwire::{Encrypt, Outgoing, PrekeyBundle, Session, SessionRecord, Timestamp};
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
    /// Bob's session as the C handle holds it, for the save line.
    record: SessionRecord,
}

impl RustPath {
    fn new() -> Self {
        let (rng, alice, bob) = in_chain_pair(1, T0).unwrap();
        let wire = vec![0u8; alice.encrypted_len(BODY_LEN, false)];
        let record = SessionRecord::from(bob.clone());
        Self {
            rng,
            alice,
            bob,
            body: vec![0x5a; BODY_LEN],
            wire,
            record,
        }
    }

    /// One message from Alice, into `wire`; its length.
    fn encrypt(&mut self) -> usize {
        self.alice
            .encrypt_into(
                &mut self.rng,
                T0,
                Outgoing::message(black_box(&self.body)),
                &mut self.wire,
            )
            .unwrap()
            .len
    }

    /// Bob decrypts `message` (copied to `buf` first: the in-place API).
    fn decrypt(&mut self, message: &[u8], buf: &mut [u8]) -> usize {
        let buf = &mut buf[..message.len()];
        buf.copy_from_slice(message);
        self.bob.decrypt_in_place(T0, buf).unwrap().body.len()
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
    /// Bob's encoded bundle, for the parse line.
    bundle: Vec<u8>,
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
        let bundle_bytes = unsafe {
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
            let bundle_bytes = wire[..n].to_vec();
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
            bundle_bytes
        };
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
            bundle: bundle_bytes,
        }
    }

    /// One message from Alice, into `wire`; its length.
    fn encrypt(&mut self) -> usize {
        let body = black_box(&self.body);
        let mut n = 0usize;
        // SAFETY: live handles, buffers with their true lengths, a valid
        // out-parameter; input and output buffers are distinct.
        ok(unsafe {
            sw_session_encrypt(
                self.rng,
                self.alice,
                T0_MS,
                1,
                body.as_ptr(),
                body.len(),
                self.wire.as_mut_ptr(),
                self.wire.len(),
                &mut n,
            )
        });
        n
    }

    /// Bob decrypts `message` into `plain`.
    fn decrypt(&mut self, message: &[u8]) -> usize {
        let mut pn = 0usize;
        // SAFETY: as above.
        ok(unsafe {
            sw_session_decrypt(
                self.bob,
                T0_MS,
                message.as_ptr(),
                message.len(),
                self.plain.as_mut_ptr(),
                self.plain.len(),
                &mut pn,
                &mut self.info,
            )
        });
        pn
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

const ROUNDS: usize = 31;
const ITERS: usize = 300;

/// Median of `v`.
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Paired alternating rounds: `prepare` (untimed) makes the inputs of one
/// round for both paths, then `ITERS` calls of the Rust path and of the C
/// path are timed, one after the other; the medians of the per-call times.
fn paired<P>(
    mut prepare: impl FnMut() -> P,
    mut rust: impl FnMut(&P, usize),
    mut c: impl FnMut(&P, usize),
) -> (f64, f64) {
    let (mut r, mut cs) = (Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS));
    for round in 0..ROUNDS + 3 {
        let inputs = prepare();
        let t = Instant::now();
        for i in 0..ITERS {
            rust(&inputs, i);
        }
        let rust_ns = t.elapsed().as_nanos() as f64 / ITERS as f64;
        let t = Instant::now();
        for i in 0..ITERS {
            c(&inputs, i);
        }
        let c_ns = t.elapsed().as_nanos() as f64 / ITERS as f64;
        // The first rounds warm up.
        if round >= 3 {
            r.push(rust_ns);
            cs.push(c_ns);
        }
    }
    (median(&mut r), median(&mut cs))
}

/// The table: one line per operation, each the ratio of medians of paired
/// alternating rounds, measured in this run.
fn table() {
    // Each line starts from fresh sessions (an encrypt-only line leaves the
    // receiver behind).
    let fresh = || {
        (
            std::cell::RefCell::new(RustPath::new()),
            std::cell::RefCell::new(CPath::new()),
        )
    };
    let mut lines: Vec<(&str, f64, f64)> = Vec::new();

    lines.push({
        let (rust, cabi) = fresh();
        let (r, c) = paired(
            || (),
            |(), _| {
                black_box(rust.borrow_mut().encrypt());
            },
            |(), _| {
                black_box(cabi.borrow_mut().encrypt());
            },
        );
        ("encrypt 100 B", r, c)
    });
    lines.push({
        let (rust, cabi) = fresh();
        // Each round decrypts a fresh batch of in-chain messages, made
        // (untimed) by each path's own sender.
        let (r, c) = paired(
            || {
                let (mut rs, mut cs) = (Vec::new(), Vec::new());
                let (mut rust, mut cabi) = (rust.borrow_mut(), cabi.borrow_mut());
                for _ in 0..ITERS {
                    let n = rust.encrypt();
                    rs.push(rust.wire[..n].to_vec());
                    let n = cabi.encrypt();
                    cs.push(cabi.wire[..n].to_vec());
                }
                (rs, cs, std::cell::RefCell::new(vec![0u8; 4096]))
            },
            |(rs, _, buf), i| {
                let n = rust.borrow_mut().decrypt(&rs[i], &mut buf.borrow_mut());
                black_box(n);
            },
            |(_, cs, _), i| {
                black_box(cabi.borrow_mut().decrypt(&cs[i]));
            },
        );
        ("decrypt 100 B", r, c)
    });
    lines.push({
        let (rust, cabi) = fresh();
        let (r, c) = paired(
            || (),
            |(), _| {
                black_box(rust.borrow_mut().round_trip());
            },
            |(), _| {
                black_box(cabi.borrow_mut().round_trip());
            },
        );
        ("encrypt + decrypt 100 B", r, c)
    });
    lines.push({
        let (_, cabi) = fresh();
        let bytes = cabi.borrow().bundle.clone();
        let (r, c) = paired(
            || (),
            |(), _| {
                black_box(PrekeyBundle::parse(black_box(&bytes)).unwrap());
            },
            |(), _| {
                let mut b = null_mut();
                // SAFETY: a buffer with its length, a valid out-parameter;
                // the handle made is freed once.
                unsafe {
                    ok(sw_bundle_parse(bytes.as_ptr(), bytes.len(), &mut b));
                    sw_bundle_free(black_box(b));
                }
            },
        );
        ("parse a prekey bundle (X3DH + PQ verify)", r, c)
    });
    lines.push({
        let (rust, cabi) = fresh();
        let mut buf = vec![0u8; 64 * 1024];
        let (r, c) = paired(
            || (),
            |(), _| {
                black_box(rust.borrow().record.to_blob());
            },
            |(), _| {
                let mut n = 0usize;
                // SAFETY: a live handle, a buffer with its length, a valid
                // out-parameter.
                ok(unsafe {
                    sw_session_save(cabi.borrow().bob, buf.as_mut_ptr(), buf.len(), &mut n)
                });
                black_box(n);
            },
        );
        ("save a session (plain blob)", r, c)
    });

    eprintln!();
    eprintln!(
        "C ABI against the Rust API, paired alternating rounds ({ROUNDS} rounds of {ITERS}, medians):"
    );
    eprintln!();
    eprintln!("| operation | Rust API | C ABI | C / Rust |");
    eprintln!("|---|---:|---:|---:|");
    let mut worst: f64 = 0.0;
    for (name, r, c) in &lines {
        let ratio = c / r;
        worst = worst.max(ratio);
        eprintln!("| {name} | {r:.0} ns | {c:.0} ns | {ratio:.3} |");
    }
    eprintln!();
    eprintln!(
        "worst ratio {worst:.3} (target <= 1.10: {})",
        if worst <= 1.10 { "met" } else { "NOT met" }
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    criterion_rows(&mut c);
    c.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        table();
    }
}
