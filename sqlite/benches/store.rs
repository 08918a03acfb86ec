//! The cost of encryption at rest and of a group post through the store,
//! as paired, alternating rounds in one process (the order of the two
//! sides alternating each round, a warm-up round dropped; median and
//! quartiles of the per-round ratio):
//!
//! 1. `send` + `receive` (+ `mark_delivered`) of a 100-byte message
//!    between two stores, sealed (`open_sealed`: state blobs and message
//!    bodies sealed under the storage key) against unsealed (`open`), both
//!    in memory (`":memory:"`): the CPU cost of sealing, with no file
//!    system in the way — the comparison the +10 % target is about;
//! 2. the same on files with `synchronous=OFF` (WAL writes, no flush);
//! 3. the same on files with `synchronous=FULL` (the default: each commit
//!    waits for the disk, whose time dominates and varies);
//! 4. `post_group` of a 100-byte post (sealed store, two members) against
//!    the core's `Group::post` alone.
//!
//! `cargo bench -p sealwire-sqlite --bench store`; on a loaded machine
//! `SEALWIRE_BENCH_CLOCK=thread-cpu` times the bench thread's CPU time
//! (SQLite runs in the calling thread; a flush's wait is then not
//! counted), as sealwire's own benches do.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::print_stderr,
    clippy::cast_precision_loss,
    missing_docs
)]

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use sealwire::group::{Group, GroupMode};
use sealwire::persist::StorageKey;
use sealwire::store::IdentityStorage;
use sealwire::testing::DangerDeterministicRng;
use sealwire::{DeviceAddress, Timestamp};
use sealwire_sqlite::SqliteStore;

const ROUNDS: usize = 41;
const OPS: usize = 50;

/// Where a pair of stores lives.
#[derive(Clone, Copy)]
enum Medium {
    Memory,
    File { sync_off: bool },
}
const BODY: [u8; 100] = [0x61; 100];

/// The clock: wall time, or the bench thread's CPU time
/// (`SEALWIRE_BENCH_CLOCK=thread-cpu`, Unix).
struct Clock {
    thread_cpu: bool,
    origin: Instant,
}

impl Clock {
    fn from_env() -> Self {
        let thread_cpu = match std::env::var("SEALWIRE_BENCH_CLOCK").as_deref() {
            Ok("thread-cpu") if cfg!(unix) => true,
            Ok("wall") | Err(_) => false,
            Ok(other) => {
                eprintln!("SEALWIRE_BENCH_CLOCK={other:?} not available here; using wall time");
                false
            }
        };
        Self {
            thread_cpu,
            origin: Instant::now(),
        }
    }

    fn name(&self) -> &'static str {
        if self.thread_cpu {
            "bench thread CPU time"
        } else {
            "wall time"
        }
    }

    fn now(&self) -> Duration {
        #[cfg(unix)]
        if self.thread_cpu {
            let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
            return Duration::new(
                u64::try_from(t.tv_sec).unwrap_or(0),
                u32::try_from(t.tv_nsec).unwrap_or(0),
            );
        }
        self.origin.elapsed()
    }

    /// µs per operation of `ops` operations run by `f`.
    fn per_op(&self, ops: usize, f: impl FnOnce()) -> f64 {
        let t = self.now();
        f();
        (self.now() - t).as_secs_f64() * 1e6 / ops as f64
    }
}

fn now() -> Timestamp {
    Timestamp::from_unix_millis(1_780_000_000_000)
}

/// Alice and Bob with a session (and each other's device list), sealed or
/// not, in memory or in `dir`.
fn pair(dir: &Path, tag: &str, sealed: bool, medium: Medium) -> (SqliteStore, SqliteStore) {
    let mut rng = DangerDeterministicRng::from_u64(7);
    let sync_off = matches!(medium, Medium::File { sync_off: true });
    let open = |name: &str| {
        let path = match medium {
            // SQLite's name for a fresh in-memory database.
            Medium::Memory => std::path::PathBuf::from(":memory:"),
            Medium::File { .. } => dir.join(format!("{tag}-{name}.db")),
        };
        let s = if sealed {
            SqliteStore::open_sealed(path, StorageKey::from_bytes([9; 32])).unwrap()
        } else {
            SqliteStore::open(path).unwrap()
        };
        if sync_off {
            s.connection()
                .pragma_update(None, "synchronous", "OFF")
                .unwrap();
        }
        s
    };
    let (mut a, mut b) = (open("alice"), open("bob"));
    a.initialize(&mut rng, 2).unwrap();
    b.initialize(&mut rng, 2).unwrap();
    let ka = *a.local_identity().unwrap().unwrap().public();
    let kb = *b.local_identity().unwrap().unwrap().public();
    a.update_device_list("bob", &[(1, kb)]).unwrap();
    b.update_device_list("alice", &[(1, ka)]).unwrap();
    let bundle = b.bundle(&mut rng, 2).unwrap();
    let bob = DeviceAddress::new("bob", 1);
    a.start_session(&bob, &mut rng, &bundle).unwrap();
    let m = a.send(&bob, &mut rng, now(), b"hi").unwrap();
    b.receive(&DeviceAddress::new("alice", 1), now(), &m.ciphertext)
        .unwrap();
    (a, b)
}

/// µs per `send` + `receive` (+ `mark_delivered`), over `OPS`.
fn send_receive(
    clock: &Clock,
    p: &mut (SqliteStore, SqliteStore),
    rng: &mut DangerDeterministicRng,
) -> f64 {
    let (alice, bob) = (DeviceAddress::new("alice", 1), DeviceAddress::new("bob", 1));
    clock.per_op(OPS, || {
        for _ in 0..OPS {
            let out = p.0.send(&bob, rng, now(), &BODY).unwrap();
            black_box(p.1.receive(&alice, now(), &out.ciphertext).unwrap());
            p.0.mark_delivered(out.outbox_id).unwrap();
        }
    })
}

fn paired(mut a: impl FnMut() -> f64, mut b: impl FnMut() -> f64) -> (Vec<f64>, Vec<f64>) {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for round in 0..=ROUNDS {
        let (x, y) = if round % 2 == 0 {
            let x = a();
            (x, b())
        } else {
            let y = b();
            (a(), y)
        };
        if round > 0 {
            xs.push(x);
            ys.push(y);
        }
    }
    (xs, ys)
}

fn quartiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 4], v[v.len() / 2], v[3 * v.len() / 4])
}

fn report(what: &str, base: &str, a: &[f64], b: &[f64]) {
    let ratio: Vec<f64> = a.iter().zip(b).map(|(x, y)| x / y).collect();
    let (_, am, _) = quartiles(a.to_vec());
    let (_, bm, _) = quartiles(b.to_vec());
    let (r1, rm, r3) = quartiles(ratio);
    eprintln!("  {what}: {am:.1} µs; {base}: {bm:.1} µs; ratio {rm:.3} [{r1:.3}, {r3:.3}]");
}

fn main() {
    let dir = std::env::temp_dir().join(format!("sealwire-store-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let clock = Clock::from_env();
    eprintln!(
        "paired rounds ({ROUNDS} rounds of {OPS}, {}; median, [quartiles] of the per-round ratio):",
        clock.name()
    );
    let mut rng = DangerDeterministicRng::from_u64(1);
    for (medium, tag, label) in [
        (Medium::Memory, "mem", "in memory"),
        (
            Medium::File { sync_off: true },
            "off",
            "files, synchronous=OFF",
        ),
        (
            Medium::File { sync_off: false },
            "full",
            "files, synchronous=FULL",
        ),
    ] {
        let sealed = std::cell::RefCell::new(pair(&dir, &format!("{tag}-sealed"), true, medium));
        let plain = std::cell::RefCell::new(pair(&dir, &format!("{tag}-plain"), false, medium));
        let rng = std::cell::RefCell::new(&mut rng);
        let (a, b) = paired(
            || send_receive(&clock, &mut sealed.borrow_mut(), &mut rng.borrow_mut()),
            || send_receive(&clock, &mut plain.borrow_mut(), &mut rng.borrow_mut()),
        );
        report(
            &format!("send+receive 100 B, sealed at rest ({label})"),
            "unsealed",
            &a,
            &b,
        );
    }

    // A group post through the store against the core's post alone.
    let (mut alice, _bob) = pair(&dir, "group", true, Medium::File { sync_off: false });
    let me = DeviceAddress::new("alice", 1);
    let group = alice
        .create_group(&me, &mut rng, now(), GroupMode::Group, &["bob"])
        .unwrap()
        .group;
    let key = *alice.local_identity().unwrap().unwrap().public();
    let other = *sealwire::IdentityKeyPair::generate(&mut rng).public();
    let (mut core, _) = Group::create(&mut rng, now(), key, &[other]).unwrap();
    let cell = std::cell::RefCell::new((&mut alice, &mut core, &mut rng));
    let (a, b) = paired(
        || {
            let mut c = cell.borrow_mut();
            let (store, _, rng) = &mut *c;
            clock.per_op(OPS, || {
                for _ in 0..OPS {
                    let p = store.post_group(&me, *rng, now(), &group, &BODY).unwrap();
                    store.mark_group_post_delivered(p.post_id).unwrap();
                }
            })
        },
        || {
            let mut c = cell.borrow_mut();
            let (_, core, rng) = &mut *c;
            clock.per_op(OPS, || {
                for _ in 0..OPS {
                    black_box(core.post(*rng, now(), &BODY).unwrap());
                }
            })
        },
    );
    report(
        "post_group 100 B through the store (sealed)",
        "Group::post alone",
        &a,
        &b,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
