//! Save and load of session state (STORAGE.md), with baselines measured in
//! the same run:
//!
//! - `clone`: an in-memory copy of the same session (what a save costs at
//!   the very least: every key copied once);
//! - `raw_aes_gcm`: AES-256-GCM seal of as many bytes as the blob holds
//!   (the floor of `seal`).
//!
//! Three states: `steady` (an established session after a ratchet turn, no
//! skipped keys), `5x40` (five chains with 40 skipped keys each: the
//! configuration vodozemac's pickle figures are quoted for in the issue)
//! and `max` (the cap: 2,000 skipped keys and 2,000 tombstones of erased
//! keys). Blob sizes are printed.
//!
//! Run: `cargo bench --bench persist -- --warm-up-time 1 --measurement-time 3`

#![allow(
    missing_docs,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::hint::black_box;

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

use sealwire::persist::{BlobAddress, StateBlob, StorageKey};
use sealwire::testing::{DangerDeterministicRng, in_chain_pair};
use sealwire::{Encrypt, Outgoing, Session, Timestamp};

const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);

/// Bob's session after `chains` chains of Alice's in which `skip` messages
/// each were never delivered.
fn with_skipped(seed: u64, chains: usize, skip: usize) -> Session {
    let (mut rng, mut alice, mut bob) = in_chain_pair(seed, T0).unwrap();
    for _ in 0..chains {
        let mut last = Vec::new();
        for _ in 0..=skip {
            last = alice
                .encrypt(&mut rng, T0, Outgoing::message(b"skipped"))
                .unwrap()
                .message;
        }
        bob.decrypt(T0, &last).unwrap();
        let reply = bob
            .encrypt(&mut rng, T0, Outgoing::message(b"turn"))
            .unwrap()
            .message;
        alice.decrypt(T0, &reply).unwrap();
    }
    bob
}

/// The cap: five chains of 999 skipped keys each leave the newest 2,000
/// held and the positions of 2,000 evicted ones remembered.
fn at_the_cap(seed: u64) -> Session {
    let bob = with_skipped(seed, 5, 999);
    assert_eq!(bob.skipped_key_count(), sealwire::limits::MAX_SKIPPED_KEYS);
    bob
}

fn bench_state(c: &mut Criterion, name: &str, session: &Session) {
    let key = StorageKey::from_bytes([7; 32]);
    let mut rng = DangerDeterministicRng::from_u64(1);
    let blob = session.to_blob();
    let here = BlobAddress::local(*session.their_identity());
    let sealed = session.seal(&key, &here, &mut rng);
    eprintln!(
        "persist/{name}: {} skipped keys, plain blob {} B, sealed blob {} B",
        session.skipped_key_count(),
        blob.len(),
        sealed.len()
    );
    let mut g = c.benchmark_group(format!("persist/{name}"));
    g.bench_function("clone", |b| {
        b.iter(|| black_box(black_box(session).clone()))
    });
    g.bench_function("to_blob", |b| b.iter(|| black_box(session).to_blob()));
    g.bench_function("from_blob", |b| {
        b.iter(|| Session::from_blob(black_box(&blob)).unwrap())
    });
    g.bench_function("seal", |b| {
        b.iter(|| black_box(session).seal(&key, &here, &mut rng))
    });
    g.bench_function("unseal", |b| {
        b.iter(|| Session::unseal(&key, &here, black_box(&sealed)).unwrap())
    });
    let cipher = Aes256Gcm::new(&[9u8; 32].into());
    let mut buf = vec![0u8; blob.len()];
    g.bench_function(BenchmarkId::new("raw_aes_gcm", blob.len()), |b| {
        b.iter(|| {
            cipher
                .encrypt_inout_detached(&[0u8; 12].into(), b"", InOutBuf::from(&mut buf[..]))
                .unwrap()
        })
    });
    g.finish();
}

fn persist(c: &mut Criterion) {
    let (_, _, steady) = in_chain_pair(1, T0).unwrap();
    bench_state(c, "steady", &steady);
    bench_state(c, "5x40", &with_skipped(2, 5, 40));
    bench_state(c, "max", &at_the_cap(3));
}

criterion_group!(benches, persist);
criterion_main!(benches);
