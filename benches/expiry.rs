//! `ExpiryQueue` at one million entries:
//!
//! - `expiry_queue_1M/insert_*`: 1,000,000 inserts with random deadlines
//!   (uniform over 30 days) into an empty queue, one batch per iteration;
//!   message ids sequential (row ids, `MessageId::from(u64)`) or random
//!   (UUID-like).
//! - `expiry_queue_1M/pop_expired_all`: one `pop_expired` that drains a full
//!   queue of 1,000,000 scheduled entries (the returned `Vec` included).
//! - `expiry_queue_1M/mark_read_all`: `mark_read` of every entry of a queue
//!   of 1,000,000 after-read entries.
//! - `expiry_queue_1M_op/*`: single operations on a 1,000,000-entry queue:
//!   `next_deadline`, and one insert + remove.
//!
//! Under `cargo test --benches` (each routine run once, unoptimised) the
//! queues hold 10,000 entries instead.
//!
//! Throughput rows are in elements (entries) per second. The 1M rows run 10
//! samples of one batch each (flat sampling); the queue a batch consumes is
//! cloned outside the timed region, and what it leaves is dropped outside
//! it too.
//!
//! Before the timings, the memory per entry is printed: the process's global
//! allocator is `sealwire-counting-alloc` (a workspace member; this package
//! forbids unsafe code), which counts the bytes this thread requests. Building
//! a queue only inserts, and a B-tree insert never frees (a split allocates
//! the new sibling or root), so the bytes requested while building are the
//! bytes the queue holds. The growth of the process's resident set (Linux
//! `VmRSS`) is printed beside it as a cross-check that includes the system
//! allocator's own overhead. The serialized size (25 bytes per entry) is
//! printed for comparison.
//!
//! Run: `cargo bench --bench expiry -- --warm-up-time 1 --measurement-time 3`

#![allow(
    missing_docs,
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use sealwire::{
    Timestamp,
    expiry::{Expiry, ExpiryQueue, MessageId},
};
use sealwire_counting_alloc::{CountingAlloc, allocated_bytes, allocations};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Entries of the 1M cases.
const N: usize = 1_000_000;

/// Entries when the bench binary runs as a test (`cargo test --benches`,
/// each routine once, unoptimised): enough to exercise every routine.
const N_TEST_MODE: usize = 10_000;

/// `N` under `cargo bench` (which passes `--bench`), else `N_TEST_MODE`.
fn entry_count() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        N
    } else {
        N_TEST_MODE
    }
}

const T0: u64 = 1_780_000_000_000;
const THIRTY_DAYS_MS: u64 = 30 * 24 * 3600 * 1000;

/// SplitMix64: a fixed, dependency-free stream of pseudo-random numbers.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[derive(Clone, Copy)]
enum Ids {
    Sequential,
    Random,
}

#[derive(Clone, Copy)]
enum Kind {
    /// `Expiry::At` with a random deadline over 30 days.
    Scheduled,
    /// `Expiry::AfterRead` (no deadline until read).
    AfterRead,
}

fn entries(n: usize, seed: u64, ids: Ids, kind: Kind) -> Vec<(MessageId, Expiry)> {
    let mut rng = SplitMix(seed);
    (0..n as u64)
        .map(|k| {
            let id = match ids {
                Ids::Sequential => MessageId::from(k + 1),
                Ids::Random => {
                    let mut b = [0u8; 16];
                    b[..8].copy_from_slice(&rng.next().to_be_bytes());
                    b[8..].copy_from_slice(&rng.next().to_be_bytes());
                    MessageId(b)
                }
            };
            let expiry = match kind {
                Kind::Scheduled => Expiry::At(Timestamp::from_unix_millis(
                    T0 + rng.next() % THIRTY_DAYS_MS,
                )),
                Kind::AfterRead => Expiry::AfterRead {
                    ttl_ms: 1000 * (1 + rng.next() % 86_400),
                },
            };
            (id, expiry)
        })
        .collect()
}

fn build(entries: &[(MessageId, Expiry)]) -> ExpiryQueue {
    let mut q = ExpiryQueue::new();
    for &(id, e) in entries {
        q.insert(id, e).unwrap();
    }
    assert_eq!(q.len(), entries.len(), "random ids collided");
    q
}

/// The resident set of this process in bytes (Linux), if known.
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Builds a queue from `entries` and prints what it holds per entry. The
/// queue is returned (kept alive) so that the next measurement's resident
/// set growth is not memory this one freed.
fn footprint(label: &str, entries: &[(MessageId, Expiry)]) -> ExpiryQueue {
    let rss0 = rss_bytes();
    let (bytes0, allocs0) = (allocated_bytes(), allocations());
    let q = build(entries);
    let (bytes, allocs) = (allocated_bytes() - bytes0, allocations() - allocs0);
    let rss = rss_bytes().zip(rss0).map(|(b, a)| b.saturating_sub(a));
    let n = entries.len() as f64;
    print!(
        "  {label:<38} {:>6.1} bytes/entry allocated ({:>5.3} allocations/entry, {:.1} MB)",
        bytes as f64 / n,
        allocs as f64 / n,
        bytes as f64 / 1e6,
    );
    match rss {
        Some(r) => println!(", RSS +{:.1} bytes/entry", r as f64 / n),
        None => println!(),
    }
    q
}

fn memory(_c: &mut Criterion) {
    let n = entry_count();
    println!("expiry queue memory, {n} entries:");
    let at_seq = entries(n, 1, Ids::Sequential, Kind::Scheduled);
    let at_rand = entries(n, 2, Ids::Random, Kind::Scheduled);
    let read_seq = entries(n, 3, Ids::Sequential, Kind::AfterRead);
    let q1 = footprint("scheduled (At), sequential ids", &at_seq);
    let q2 = footprint("scheduled (At), random ids", &at_rand);
    let q3 = footprint("after-read (unread), sequential ids", &read_seq);
    let encoded = q1.encode();
    assert_eq!(encoded.len(), q1.encoded_len());
    println!(
        "  {:<38} {:>6.1} bytes/entry ({} bytes: 5 + 25 x {n})",
        "encoded (ExpiryQueue::encode)",
        encoded.len() as f64 / n as f64,
        encoded.len(),
    );
    println!(
        "  payload per entry: 32 bytes (16 id + 16 Expiry) in the id map, \
         + 24 (deadline + id) in the deadline set when scheduled"
    );
    drop((q1, q2, q3, encoded));
}

fn queue_1m(c: &mut Criterion) {
    let n = entry_count();
    let at_seq = entries(n, 1, Ids::Sequential, Kind::Scheduled);
    let at_rand = entries(n, 2, Ids::Random, Kind::Scheduled);
    let read_seq = entries(n, 3, Ids::Sequential, Kind::AfterRead);
    let full = build(&at_seq);
    let unread = build(&read_seq);
    let end_of_time = Timestamp::from_unix_millis(u64::MAX);
    let read_at = Timestamp::from_unix_millis(T0);
    // The routines below do what they claim (checked once, untimed).
    assert_eq!(full.clone().pop_expired(end_of_time).len(), n);

    let mut group = c.benchmark_group("expiry_queue_1M");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(n as u64));
    for (name, list) in [
        ("insert_sequential_ids", &at_seq),
        ("insert_random_ids", &at_rand),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                ExpiryQueue::new,
                |mut q| {
                    for &(id, e) in list.iter() {
                        q.insert(id, e).unwrap();
                    }
                    q
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.bench_function("pop_expired_all", |b| {
        b.iter_batched(
            || full.clone(),
            |mut q| {
                let popped = q.pop_expired(black_box(end_of_time));
                (q, popped)
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function("mark_read_all", |b| {
        b.iter_batched(
            || unread.clone(),
            |mut q| {
                for &(id, _) in &read_seq {
                    black_box(q.mark_read(id, read_at));
                }
                q
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();

    let mut group = c.benchmark_group("expiry_queue_1M_op");
    group.bench_function("next_deadline", |b| {
        b.iter(|| black_box(&full).next_deadline());
    });
    let mut q = full.clone();
    let extra = MessageId::from(u64::MAX);
    let deadline = Expiry::At(Timestamp::from_unix_millis(T0 + THIRTY_DAYS_MS / 2));
    group.bench_function("insert_remove_one", |b| {
        b.iter(|| {
            q.insert(black_box(extra), deadline).unwrap();
            q.remove(black_box(extra))
        });
    });
    group.finish();
}

criterion_group!(benches, memory, queue_1m);
criterion_main!(benches);
