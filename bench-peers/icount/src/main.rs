//! The instruction-count guard's workload. `sealwire-icount PATH` builds
//! the fixtures of one path from a seeded generator, then runs the path a
//! fixed number of times inside `icount_measured`, the only function whose
//! instructions `scripts/icount-guard.sh` collects (callgrind's
//! `--toggle-collect`); it prints the number of runs, which the script
//! divides by. Everything is deterministic: the same build gives the same
//! count on every run.
//!
//! Paths: `in_chain_100B` (encrypt_into + decrypt_in_place in one chain),
//! `ping_pong_100B` (a round trip, every message turning the ratchet),
//! `initiate_classic`, `initiate_pq` (`PendingSession::initiate` on a
//! parsed bundle), `accept_classic`, `accept_pq` (`Session::accept` of a
//! prekey message, each on its own copy of the prekey store).

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::hint::black_box;

use sealwire::testing::{send_in_place, setup_parties};
use sealwire::{Encrypt, Outgoing, PendingSession, PrekeyStore, Session, Timestamp};

const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);

/// The paths and how many times each runs.
const PATHS: [(&str, usize); 6] = [
    ("in_chain_100B", 200),
    ("ping_pong_100B", 10),
    ("initiate_classic", 5),
    ("initiate_pq", 5),
    ("accept_classic", 5),
    ("accept_pq", 5),
];

/// The measured loop: callgrind collects this function's instructions
/// (inclusive) and nothing else.
#[inline(never)]
fn icount_measured(runs: usize, op: &mut dyn FnMut()) {
    for _ in 0..runs {
        op();
    }
}

fn run(path: &str, runs: usize) {
    let body = [0x5au8; 100];
    match path {
        "in_chain_100B" | "ping_pong_100B" => {
            let (mut rng, mut alice, mut bob) = sealwire::testing::in_chain_pair(1, T0).unwrap();
            let mut wire = vec![0u8; alice.encrypted_len(body.len(), false)];
            let ping_pong = path == "ping_pong_100B";
            icount_measured(runs, &mut || {
                if ping_pong {
                    black_box(
                        send_in_place(&mut rng, T0, &mut bob, &mut alice, &body, &mut wire)
                            .unwrap(),
                    );
                }
                black_box(
                    send_in_place(&mut rng, T0, &mut alice, &mut bob, &body, &mut wire).unwrap(),
                );
            });
        }
        "initiate_classic" | "initiate_pq" => {
            let mut p = setup_parties(0x1c0).unwrap();
            let bundle = if path == "initiate_pq" {
                &p.pq
            } else {
                &p.classic
            };
            icount_measured(runs, &mut || {
                black_box(PendingSession::initiate(&mut p.rng, &p.alice, bundle).unwrap());
            });
        }
        "accept_classic" | "accept_pq" => {
            let mut p = setup_parties(0x1c0).unwrap();
            let bundle = if path == "accept_pq" {
                &p.pq
            } else {
                &p.classic
            };
            let hello = PendingSession::initiate(&mut p.rng, &p.alice, bundle)
                .unwrap()
                .encrypt(&mut p.rng, T0, Outgoing::message(b"hello"))
                .unwrap()
                .message;
            let mut stores: Vec<PrekeyStore> = (0..runs).map(|_| p.bob_prekeys.clone()).collect();
            let mut stores = stores.iter_mut();
            icount_measured(runs, &mut || {
                let store = stores.next().unwrap();
                black_box(Session::accept(&p.bob, store, T0, &hello).unwrap());
            });
        }
        other => panic!("unknown path {other:?}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--list") => {
            for (path, runs) in PATHS {
                println!("{path} {runs}");
            }
        }
        Some(path) => {
            let (_, runs) = PATHS
                .iter()
                .find(|(p, _)| *p == path)
                .unwrap_or_else(|| panic!("unknown path {path:?} (--list)"));
            run(path, *runs);
        }
        None => panic!("usage: sealwire-icount PATH | --list"),
    }
}
