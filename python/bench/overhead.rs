//! The Rust side of python/bench/overhead.py: reads round sizes `n` from stdin, one
//! per line, and for each round runs the benchmark's operations `n` times
//! through the Rust API and prints one line of nanoseconds per operation,
//! in the order of [`OPERATIONS`]. python/bench/overhead.py alternates these rounds
//! with the same operations through the Python package.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::indexing_slicing,
    reason = "a benchmark driver, not library code"
)]

use std::io::{BufRead, Write};
use std::time::Instant;

use sealwire::group::Group;
use sealwire::sealed::{ServerKey, open, seal};
use sealwire::{
    DeviceAddress, Encrypt, IdentityKeyPair, Outgoing, PendingSession, PrekeyStore, Session,
    SessionRecord, Timestamp,
};

/// The operations, in the order of each output line.
const OPERATIONS: &[&str] = &[
    "identity_key_bytes",
    "encrypt_100",
    "decrypt_100",
    "group_post_100",
    "group_receive_100",
    "seal_100",
    "open_100",
];

fn main() {
    let mut rng = sealwire::os_rng();
    let now = Timestamp::from_unix_millis(1_780_000_000_000);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let mut bob_prekeys = PrekeyStore::new_pq(&bob, &mut rng);
    let bundle = bob_prekeys.bundle(&bob, None).unwrap();
    let mut pending = PendingSession::initiate(&mut rng, &alice, &bundle).unwrap();
    let hello = pending
        .encrypt(&mut rng, now, Outgoing::message(b"hello"))
        .unwrap()
        .message;
    let (mut b, _) = Session::accept(&bob, &mut bob_prekeys, now, &hello).unwrap();
    let reply = b
        .encrypt(&mut rng, now, Outgoing::message(b"hi"))
        .unwrap()
        .message;
    let mut a = SessionRecord::from(pending);
    a.decrypt(now, &reply).unwrap();

    let (mut ga, dist) = Group::create(&mut rng, now, *alice.public(), &[*bob.public()]).unwrap();
    let (mut gb, _) =
        Group::create_with_id(&mut rng, now, ga.id(), *bob.public(), &[*alice.public()]).unwrap();
    let m = dist.encrypt_for(&mut a, &mut rng, now).unwrap();
    let got = b.decrypt(now, &m).unwrap();
    gb.accept_distribution(now, &got).unwrap();

    let server = ServerKey::generate(&mut rng, 1);
    let certificate = server
        .issue(
            &DeviceAddress::new("alice", 1),
            alice.public(),
            Timestamp::from_unix_millis(1_780_086_400_000),
        )
        .unwrap();

    let body = [0x42u8; 100];
    // Sealing wraps a 1:1 wire message (of a 100-byte body).
    let inner = a
        .encrypt(&mut rng, now, Outgoing::message(&body))
        .unwrap()
        .message;
    println!("{}", OPERATIONS.join(" "));
    std::io::stdout().flush().unwrap();
    for line in std::io::stdin().lock().lines() {
        let n: u32 = line.unwrap().trim().parse().unwrap();
        let per = |t: Instant| t.elapsed().as_nanos() as f64 / f64::from(n);

        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(alice.public().to_bytes());
        }
        let key_bytes = per(t);

        let t = Instant::now();
        let messages: Vec<Vec<u8>> = (0..n)
            .map(|_| {
                a.encrypt(&mut rng, now, Outgoing::message(&body))
                    .unwrap()
                    .message
            })
            .collect();
        let encrypt = per(t);
        let t = Instant::now();
        for m in &messages {
            std::hint::black_box(b.decrypt(now, m).unwrap());
        }
        let decrypt = per(t);

        let t = Instant::now();
        let posts: Vec<Vec<u8>> = (0..n)
            .map(|_| ga.post(&mut rng, now, &body).unwrap().bytes)
            .collect();
        let post = per(t);
        let t = Instant::now();
        for p in &posts {
            std::hint::black_box(gb.receive_post(now, p).unwrap());
        }
        let receive = per(t);

        let t = Instant::now();
        let envelopes: Vec<Vec<u8>> = (0..n)
            .map(|_| seal(&mut rng, bob.public(), &certificate, &inner).unwrap())
            .collect();
        let sealed = per(t);
        let t = Instant::now();
        for e in &envelopes {
            std::hint::black_box(open(&bob, e).unwrap());
        }
        let opened = per(t);

        println!(
            "{key_bytes:.1} {encrypt:.1} {decrypt:.1} {post:.1} {receive:.1} {sealed:.1} {opened:.1}"
        );
        std::io::stdout().flush().unwrap();
    }
}
