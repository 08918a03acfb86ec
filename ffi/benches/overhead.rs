//! The cost of the C ABI: each operation through the exported
//! `extern "C"` functions (called from Rust through the rlib, exactly as C
//! calls them: handle checks, panic guard, pointer checks, error detail,
//! the `SessionRecord` dispatch, the metadata struct) against the same
//! work through the Rust API, in the same run, from the same state: both
//! paths load the same two session blobs (Alice → Bob, established, Alice's
//! chain started) and draw from generators with the same seed, so that
//! they make the same messages byte for byte.
//!
//! What each side does, per operation:
//!
//! | operation | Rust API | C ABI |
//! |---|---|---|
//! | encrypt 100 B | `Session::encrypt_into` into a buffer | `sw_session_encrypt` into a buffer |
//! | decrypt 100 B | copy into a buffer, `Session::decrypt_in_place` | `sw_session_decrypt` (message → plaintext buffer) |
//! | encrypt + decrypt | the two above | the two above |
//! | parse a bundle | `PrekeyBundle::parse`, dropped | `sw_bundle_parse`, `sw_bundle_free` |
//! | save a session | `Session::to_blob`, copied into a buffer | `sw_session_save` into a buffer |
//!
//! Three measurements:
//!
//! - criterion's rows `ffi_overhead/rust_api_100B` and
//!   `ffi_overhead/c_abi_100B` (encrypt + decrypt);
//! - then (with `--bench`) a table, one line per operation, each from
//!   paired alternating rounds of the two paths in the same run (medians),
//!   with the ratio C ABI / Rust API; the target is at most 1.10:
//!   `cargo bench -p sealwire-ffi --bench overhead -- --warm-up-time 1 --measurement-time 3`;
//! - instead, `--count OP SIDE N` (OP one of `encrypt`, `decrypt`,
//!   `round-trip`, `parse`, `save`; SIDE `rust` or `c`) runs N calls of one
//!   path inside `counted`, for valgrind's callgrind
//!   (`--toggle-collect='*counted*'`): exact instruction counts, free of
//!   the machine's noise. `bash ffi/overhead-count.sh` runs them all and
//!   prints the table.

#![allow(
    missing_docs,
    clippy::print_stderr,
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

use std::hint::black_box;
use std::mem::MaybeUninit;
use std::ptr::null_mut;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use sealwire::persist::StateBlob;
use sealwire::testing::{DangerDeterministicRng, in_chain_pair};
use sealwire::{Encrypt, IdentityKeyPair, Outgoing, PrekeyBundle, PrekeyStore, Session, Timestamp};
use sealwire_ffi::*;
use zeroize::Zeroizing;

const T0_MS: u64 = 1_780_000_000_000;
const T0: Timestamp = Timestamp::from_unix_millis(T0_MS);
const BODY_LEN: usize = 100;
/// The seed of both paths' generators (they draw the same bytes).
const SEED: [u8; 32] = [7; 32];

/// The state both paths start from.
struct Fixture {
    /// Alice's session blob (she has sent in her current chain).
    alice: Zeroizing<Vec<u8>>,
    /// Bob's session blob.
    bob: Zeroizing<Vec<u8>>,
    /// An encoded prekey bundle (identity, signed prekey, one-time prekey).
    bundle: Vec<u8>,
}

impl Fixture {
    fn new() -> Self {
        let (mut rng, alice, bob) = in_chain_pair(1, T0).unwrap();
        let id = IdentityKeyPair::generate(&mut rng);
        let mut store = PrekeyStore::new(&id, &mut rng);
        let opk = store.generate_one_time_prekeys(&mut rng, 1)[0].id;
        let bundle = store.bundle(&id, Some(opk)).unwrap().to_vec();
        Self {
            alice: alice.to_blob(),
            bob: bob.to_blob(),
            bundle,
        }
    }
}

/// The Rust side.
struct RustPath {
    rng: DangerDeterministicRng,
    alice: Session,
    bob: Session,
    body: Vec<u8>,
    wire: Vec<u8>,
    plain: Vec<u8>,
    blob: Vec<u8>,
}

impl RustPath {
    fn new(f: &Fixture) -> Self {
        let alice = Session::from_blob(&f.alice).unwrap();
        let len = alice.encrypted_len(BODY_LEN, false);
        Self {
            rng: DangerDeterministicRng::from_seed(SEED),
            alice,
            bob: Session::from_blob(&f.bob).unwrap(),
            body: vec![0x5a; BODY_LEN],
            wire: vec![0; len],
            plain: vec![0; len],
            blob: vec![0; 64 * 1024],
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

    /// Bob decrypts `message`: copied into `plain` (the caller's buffer),
    /// decrypted there.
    fn decrypt(&mut self, message: &[u8]) -> usize {
        let buf = &mut self.plain[..message.len()];
        buf.copy_from_slice(message);
        self.bob.decrypt_in_place(T0, buf).unwrap().body.len()
    }

    fn round_trip(&mut self) -> usize {
        let n = self.encrypt();
        let wire = std::mem::take(&mut self.wire);
        let got = self.decrypt(&wire[..n]);
        self.wire = wire;
        got
    }

    /// Bob's session saved into `blob` (the caller's buffer), as
    /// `sw_session_save` does it.
    fn save(&mut self) -> usize {
        let blob = self.bob.to_blob();
        self.blob[..blob.len()].copy_from_slice(&blob);
        blob.len()
    }
}

fn ok(rc: sw_result) {
    assert_eq!(rc, sw_result::SW_OK);
}

/// A session handle loaded from `blob`.
fn load(blob: &[u8]) -> *mut sw_session {
    let mut s = null_mut();
    // SAFETY: a buffer with its length, a valid out-parameter.
    ok(unsafe { sw_session_load(blob.as_ptr(), blob.len(), &mut s) });
    s
}

/// The C side.
struct CPath {
    rng: *mut sw_rng,
    alice: *mut sw_session,
    bob: *mut sw_session,
    body: Vec<u8>,
    wire: Vec<u8>,
    plain: Vec<u8>,
    blob: Vec<u8>,
    /// Written by every decrypt.
    info: MaybeUninit<sw_received_info>,
}

impl CPath {
    fn new(f: &Fixture) -> Self {
        let mut rng = null_mut();
        // SAFETY: a buffer with its length, a valid out-parameter.
        ok(unsafe { sw_rng_danger_new_seeded(SEED.as_ptr(), SEED.len(), &mut rng) });
        let alice = load(&f.alice);
        let mut len = 0usize;
        // SAFETY: a live session and a valid out-parameter.
        ok(unsafe { sw_session_encrypted_len(alice, BODY_LEN, &mut len) });
        Self {
            rng,
            alice,
            bob: load(&f.bob),
            body: vec![0x5a; BODY_LEN],
            wire: vec![0; len],
            plain: vec![0; len],
            blob: vec![0; 64 * 1024],
            info: MaybeUninit::uninit(),
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
                self.info.as_mut_ptr(),
            )
        });
        pn
    }

    fn round_trip(&mut self) -> usize {
        let n = self.encrypt();
        let wire = std::mem::take(&mut self.wire);
        let got = self.decrypt(&wire[..n]);
        self.wire = wire;
        got
    }

    fn save(&mut self) -> usize {
        let mut n = 0usize;
        // SAFETY: a live handle, a buffer with its length, a valid
        // out-parameter.
        ok(unsafe { sw_session_save(self.bob, self.blob.as_mut_ptr(), self.blob.len(), &mut n) });
        n
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

/// The operations of the table.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Encrypt,
    Decrypt,
    RoundTrip,
    Parse,
    Save,
}

const OPS: [(Op, &str, &str); 5] = [
    (Op::Encrypt, "encrypt", "encrypt 100 B"),
    (Op::Decrypt, "decrypt", "decrypt 100 B"),
    (Op::RoundTrip, "round-trip", "encrypt + decrypt 100 B"),
    (
        Op::Parse,
        "parse",
        "parse a prekey bundle (key checks, signature)",
    ),
    (Op::Save, "save", "save a session (plain blob)"),
];

/// Both paths, from fresh sessions (an encrypt-only line leaves the
/// receiver behind, so every line starts anew), and the inputs of a round.
struct Bench {
    fixture: Fixture,
    rust: RustPath,
    c: CPath,
    /// For the decrypt line: `iters` in-chain messages from each path's
    /// own sender (the same bytes).
    rust_msgs: Vec<Vec<u8>>,
    c_msgs: Vec<Vec<u8>>,
}

impl Bench {
    fn new() -> Self {
        let fixture = Fixture::new();
        let rust = RustPath::new(&fixture);
        let c = CPath::new(&fixture);
        Self {
            fixture,
            rust,
            c,
            rust_msgs: Vec::new(),
            c_msgs: Vec::new(),
        }
    }

    /// Makes (untimed) the inputs of `iters` calls of `op`.
    fn prepare(&mut self, op: Op, iters: usize) {
        if op == Op::Decrypt {
            self.rust_msgs.clear();
            self.c_msgs.clear();
            for _ in 0..iters {
                let n = self.rust.encrypt();
                self.rust_msgs.push(self.rust.wire[..n].to_vec());
                let n = self.c.encrypt();
                self.c_msgs.push(self.c.wire[..n].to_vec());
            }
            assert_eq!(self.rust_msgs, self.c_msgs, "the same messages");
        }
    }

    /// Call `i` of the round, through the Rust API.
    fn rust(&mut self, op: Op, i: usize) -> usize {
        match op {
            Op::Encrypt => self.rust.encrypt(),
            Op::Decrypt => self.rust.decrypt(&self.rust_msgs[i]),
            Op::RoundTrip => self.rust.round_trip(),
            Op::Parse => {
                let b = PrekeyBundle::parse(black_box(&self.fixture.bundle)).unwrap();
                black_box(b).encoded_len()
            }
            Op::Save => self.rust.save(),
        }
    }

    /// Call `i` of the round, through the C ABI.
    fn c(&mut self, op: Op, i: usize) -> usize {
        match op {
            Op::Encrypt => self.c.encrypt(),
            Op::Decrypt => self.c.decrypt(&self.c_msgs[i]),
            Op::RoundTrip => self.c.round_trip(),
            Op::Parse => {
                let bytes = black_box(&self.fixture.bundle);
                let mut b = null_mut();
                // SAFETY: a buffer with its length, a valid out-parameter;
                // the handle made is freed once.
                unsafe {
                    ok(sw_bundle_parse(bytes.as_ptr(), bytes.len(), &mut b));
                    sw_bundle_free(black_box(b));
                }
                bytes.len()
            }
            Op::Save => self.c.save(),
        }
    }
}

fn criterion_rows(c: &mut Criterion) {
    let mut b = Bench::new();
    assert_eq!(b.rust.round_trip(), BODY_LEN);
    assert_eq!(b.c.round_trip(), BODY_LEN);
    assert_eq!(&b.c.plain[..BODY_LEN], &b.c.body[..]);
    // SAFETY: written by the successful decrypt.
    let info = unsafe { b.c.info.assume_init() };
    assert!(info.message_number >= 1, "messages were in-chain");
    assert_eq!(b.rust.save(), b.c.save());
    assert!(b.rust.blob == b.c.blob, "the same blob");
    let mut group = c.benchmark_group("ffi_overhead");
    group.throughput(Throughput::Bytes(BODY_LEN as u64));
    group.bench_function("rust_api_100B", |t| t.iter(|| b.rust.round_trip()));
    group.bench_function("c_abi_100B", |t| t.iter(|| b.c.round_trip()));
    group.finish();
}

const ROUNDS: usize = 31;
const ITERS: usize = 300;

/// Median of `v`.
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Paired alternating rounds of `op`: the inputs of a round are made
/// (untimed), then `ITERS` calls of the Rust path and of the C path are
/// timed, one after the other; the medians of the per-call times.
fn paired(op: Op) -> (f64, f64) {
    let mut b = Bench::new();
    let (mut r, mut cs) = (Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS));
    for round in 0..ROUNDS + 3 {
        b.prepare(op, ITERS);
        let t = Instant::now();
        for i in 0..ITERS {
            black_box(b.rust(op, i));
        }
        let rust_ns = t.elapsed().as_nanos() as f64 / ITERS as f64;
        let t = Instant::now();
        for i in 0..ITERS {
            black_box(b.c(op, i));
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
    let lines: Vec<(&str, f64, f64)> = OPS
        .iter()
        .map(|&(op, _, name)| {
            let (r, c) = paired(op);
            (name, r, c)
        })
        .collect();
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

/// The calls callgrind counts (`--toggle-collect='*counted*'`): nothing
/// else runs inside.
#[inline(never)]
fn counted(f: &mut dyn FnMut()) {
    f();
}

/// `--count OP SIDE N`: N calls of one path, inside [`counted`].
fn count(op: &str, side: &str, n: usize) {
    let &(op, _, _) = OPS
        .iter()
        .find(|(_, arg, _)| *arg == op)
        .unwrap_or_else(|| panic!("OP is one of encrypt, decrypt, round-trip, parse, save"));
    let mut b = Bench::new();
    b.prepare(op, n);
    // One call of each path first, outside the count (first-use costs:
    // the thread-local error detail, lazily sized buffers); then the
    // session is back where the other path's starts.
    let mut b_warm = Bench::new();
    b_warm.prepare(op, 1);
    let mut sum = 0usize;
    match side {
        "rust" => {
            black_box(b_warm.rust(op, 0));
            counted(&mut || {
                for i in 0..n {
                    sum += b.rust(op, i);
                }
            });
        }
        "c" => {
            black_box(b_warm.c(op, 0));
            counted(&mut || {
                for i in 0..n {
                    sum += b.c(op, i);
                }
            });
        }
        _ => panic!("SIDE is rust or c"),
    }
    println!(
        "{op_name} {side} {n} {sum}",
        op_name = OPS.iter().find(|o| o.0 == op).unwrap().1
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--count") {
        let arg = |k: usize| args.get(i + k).map(String::as_str).unwrap_or("");
        count(
            arg(1),
            arg(2),
            arg(3).parse().expect("N, a number of calls"),
        );
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    criterion_rows(&mut c);
    c.final_summary();
    if args.iter().any(|a| a == "--bench") {
        table();
    }
}
