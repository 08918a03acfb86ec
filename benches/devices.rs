//! Multi-device benchmarks (`sealwire::devices`), each with the plain 1:1
//! baseline its target is stated against, measured in the same run:
//!
//! - `fanout/encrypt_for_devices_5`: one 100-byte message to a user with 5
//!   devices through `encrypt_for_devices` (each device has an established
//!   current session, in chain), against `fanout/session_encrypt_x5`: the
//!   same message encrypted by 5 plain `Session::encrypt` calls on 5
//!   sessions in chain. `fanout/encrypt_for_devices_5_prev40` is the same
//!   send when each device also holds 40 previous sessions.
//! - `receive/oldest_of_41_in_chain`: `DeviceSessions::decrypt` of an
//!   in-chain 100-byte message that belongs to the oldest of 40 previous
//!   sessions (a current one and 40 previous, all with the same peer
//!   device): the common case, the session is found by the ratchet key the
//!   message names. Against `receive/session_decrypt_in_chain`: one plain
//!   `Session::decrypt` of an in-chain 100-byte message. Target: at most
//!   one decrypt + 1 µs per previous session.
//! - `receive/oldest_of_41_new_ratchet_key`: the same, but the message
//!   turns the ratchet (a ratchet key no session has seen): the current
//!   session and then every previous one, newest first, is tried, each
//!   trial a DH ratchet step that fails authentication. Worst case: every
//!   session has sent since it last received (one that last received
//!   refuses a second new ratchet key before any DH). Against
//!   `receive/session_decrypt_new_ratchet_key`, one plain decrypt with a
//!   ratchet turn, and `receive/x25519_dh`. No target: about one DH trial
//!   per session, reported as it is. Each iteration decrypts in a fresh
//!   copy of the sessions; the copy is not timed.
//!
//! The receiver of the `receive` rows has the lower identity key, so it
//! leads the tie-break (SPEC.md §21.3) and leaves the oldest session where
//! it is; a follower would promote it to current on the first message it
//! decrypts there, after which it is the first session tried.
//!
//! After the criterion rows, `paired` measures each row against its
//! baseline in paired, alternating rounds in one process (as
//! `benches/group.rs` does) and prints the medians, and the median and
//! quartiles of the per-round ratio and difference: rows run minutes apart
//! on a shared machine drift by more than the differences measured.
//!
//! Run: `cargo bench --bench devices -- --quick` (or `-- --warm-up-time 1
//! --measurement-time 3`); the paired rounds alone:
//! `SEALWIRE_BENCH_PAIRED_ONLY=1 cargo bench --bench devices`
//! (`SEALWIRE_BENCH_CLOCK=thread-cpu` on a loaded machine).

#![allow(
    missing_docs,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss
)]

#[path = "common/clock.rs"]
mod clock;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion};

use clock::Clock;
use sealwire::devices::{DeviceList, DeviceSessions, UserSessions, encrypt_for_devices};
use sealwire::limits::MAX_PREVIOUS_SESSIONS;
use sealwire::testing::{DangerDeterministicRng, session_pair};
use sealwire::{
    Encrypt, IdentityKeyPair, Outgoing, PendingSession, PrekeyBundle, PrekeyStore, Session,
    Timestamp,
};

const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);
const BODY: [u8; 100] = [0x5a; 100];
const DEVICES: u32 = 5;
const PREVIOUS: usize = MAX_PREVIOUS_SESSIONS;

/// A bundle of `who` without a one-time prekey.
fn bundle(who: &IdentityKeyPair, store: &PrekeyStore) -> PrekeyBundle {
    PrekeyBundle::parse(&store.bundle(who, None).unwrap().to_vec()).unwrap()
}

/// An established pair `(a's session, b's session)` in chain: b has
/// received a's first message after the handshake (a's ratchet turn), so
/// a's next messages stay in that chain.
fn in_chain_pair(
    rng: &mut DangerDeterministicRng,
    a: &IdentityKeyPair,
    b: &IdentityKeyPair,
) -> (Session, Session) {
    let (mut sa, mut sb) = session_pair(rng, a, b, T0).unwrap();
    let turn = sa
        .encrypt(rng, T0, Outgoing::message(b"turn"))
        .unwrap()
        .message;
    sb.decrypt(T0, &turn).unwrap();
    (sa, sb)
}

/// `owner`'s sessions with one device of `peer`: `previous` + 1 sessions
/// the peer started (each accepted from a prekey message, so each became
/// current in turn), `owner` sending once in each; the current one is the
/// last, and `owner`'s next messages in it stay in chain.
fn device_sessions(
    rng: &mut DangerDeterministicRng,
    owner: &IdentityKeyPair,
    peer: &IdentityKeyPair,
    previous: usize,
) -> DeviceSessions {
    let mut store = PrekeyStore::new(owner, rng);
    let mut sessions = DeviceSessions::new();
    for _ in 0..=previous {
        let mut pending = PendingSession::initiate(rng, peer, &bundle(owner, &store)).unwrap();
        let hello = pending
            .encrypt(rng, T0, Outgoing::message(b"hello"))
            .unwrap()
            .message;
        sessions
            .decrypt(owner, &mut store, peer.public(), T0, &hello)
            .unwrap();
        sessions
            .encrypt(rng, T0, peer.public(), Outgoing::message(b"sent"))
            .unwrap();
    }
    assert_eq!(sessions.previous().len(), previous);
    sessions
}

/// Alice's sends to Bob's 5 devices: her list of Bob's devices, her
/// sessions with them (`previous` previous sessions each behind the
/// current one), and 5 plain sessions in chain for the baseline.
struct Fanout {
    rng: DangerDeterministicRng,
    list: DeviceList,
    sessions: UserSessions,
    plain: Vec<Session>,
}

fn fanout(previous: usize) -> Fanout {
    let mut rng = DangerDeterministicRng::from_u64(21);
    let alice = IdentityKeyPair::generate(&mut rng);
    let mut list = DeviceList::new("bob").unwrap();
    let mut devices = Vec::new();
    let mut sessions = UserSessions::new();
    let mut plain = Vec::new();
    for id in 1..=DEVICES {
        let bob = IdentityKeyPair::generate(&mut rng);
        devices.push((id, *bob.public()));
        sessions.insert(id, device_sessions(&mut rng, &alice, &bob, previous));
        plain.push(in_chain_pair(&mut rng, &alice, &bob).0);
    }
    list.update(&devices).unwrap();
    Fanout {
        rng,
        list,
        sessions,
        plain,
    }
}

impl Fanout {
    fn send(&mut self) -> usize {
        let messages = encrypt_for_devices(
            &mut self.rng,
            T0,
            Outgoing::message(black_box(&BODY)),
            None,
            &mut [(&self.list, &mut self.sessions)],
        )
        .unwrap();
        messages.len()
    }

    fn baseline(&mut self) -> usize {
        let mut n = 0;
        for s in &mut self.plain {
            let sent = s
                .encrypt(&mut self.rng, T0, Outgoing::message(black_box(&BODY)))
                .unwrap();
            n += sent.message.len();
        }
        n
    }
}

/// Bob (the lower identity key) holds 41 sessions with one device of
/// Alice; the oldest is the one Alice sends in.
struct Receive {
    rng: DangerDeterministicRng,
    bob: IdentityKeyPair,
    bob_store: PrekeyStore,
    /// Alice's side of the oldest session.
    alice: Session,
    alice_key: sealwire::IdentityKey,
    sessions: DeviceSessions,
    /// Bob's sessions at the moment a ratchet-turning message arrives, and
    /// that message (`turning` setups only).
    turn: Option<Vec<u8>>,
    /// The baseline: a plain pair in chain, and for `turning`, Bob's plain
    /// session and a message that turns the ratchet in it.
    plain_alice: Session,
    plain_bob: Session,
    plain_turn: Option<Vec<u8>>,
}

fn receive(turning: bool) -> Receive {
    let mut rng = DangerDeterministicRng::from_u64(if turning { 33 } else { 32 });
    let (bob, alice_id) = {
        let a = IdentityKeyPair::generate(&mut rng);
        let b = IdentityKeyPair::generate(&mut rng);
        if a.public().as_bytes() < b.public().as_bytes() {
            (a, b)
        } else {
            (b, a)
        }
    };
    let ak = *alice_id.public();
    let mut bob_store = PrekeyStore::new(&bob, &mut rng);
    let alice_store = PrekeyStore::new(&alice_id, &mut rng);
    let mut sessions = DeviceSessions::new();

    // The oldest session: Alice starts it, Bob replies, Alice turns the
    // ratchet and Bob receives; for `turning`, Bob sends once more and
    // Alice's next message turns the ratchet again.
    let mut pending =
        PendingSession::initiate(&mut rng, &alice_id, &bundle(&bob, &bob_store)).unwrap();
    let hello = pending
        .encrypt(&mut rng, T0, Outgoing::message(b"hello"))
        .unwrap()
        .message;
    sessions
        .decrypt(&bob, &mut bob_store, &ak, T0, &hello)
        .unwrap();
    let reply = sessions
        .encrypt(&mut rng, T0, &ak, Outgoing::message(b"reply"))
        .unwrap()
        .message;
    let (mut alice, _) = pending.receive(T0, &reply).unwrap();
    let first = alice
        .encrypt(&mut rng, T0, Outgoing::message(b"turn"))
        .unwrap()
        .message;
    sessions
        .decrypt(&bob, &mut bob_store, &ak, T0, &first)
        .unwrap();
    let turn = turning.then(|| {
        let again = sessions
            .encrypt(&mut rng, T0, &ak, Outgoing::message(b"again"))
            .unwrap()
            .message;
        alice.decrypt(T0, &again).unwrap();
        alice
            .encrypt(&mut rng, T0, Outgoing::message(&BODY))
            .unwrap()
            .message
    });

    // 40 newer sessions, each started by Alice, Bob sending once in each.
    for _ in 0..PREVIOUS {
        let mut pending =
            PendingSession::initiate(&mut rng, &alice_id, &bundle(&bob, &bob_store)).unwrap();
        let hello = pending
            .encrypt(&mut rng, T0, Outgoing::message(b"hello"))
            .unwrap()
            .message;
        sessions
            .decrypt(&bob, &mut bob_store, &ak, T0, &hello)
            .unwrap();
        sessions
            .encrypt(&mut rng, T0, &ak, Outgoing::message(b"sent"))
            .unwrap();
    }
    assert_eq!(sessions.previous().len(), PREVIOUS);
    drop(alice_store);

    let (mut plain_alice, mut plain_bob) = in_chain_pair(&mut rng, &alice_id, &bob);
    let plain_turn = turning.then(|| {
        let again = plain_bob
            .encrypt(&mut rng, T0, Outgoing::message(b"again"))
            .unwrap()
            .message;
        plain_alice.decrypt(T0, &again).unwrap();
        plain_alice
            .encrypt(&mut rng, T0, Outgoing::message(&BODY))
            .unwrap()
            .message
    });
    let r = Receive {
        rng,
        bob,
        bob_store,
        alice,
        alice_key: ak,
        sessions,
        turn,
        plain_alice,
        plain_bob,
        plain_turn,
    };
    r.check();
    r
}

impl Receive {
    /// The next in-chain message from Alice in the oldest session.
    fn next(&mut self) -> Vec<u8> {
        self.alice
            .encrypt(&mut self.rng, T0, Outgoing::message(&BODY))
            .unwrap()
            .message
    }

    fn next_plain(&mut self) -> Vec<u8> {
        self.plain_alice
            .encrypt(&mut self.rng, T0, Outgoing::message(&BODY))
            .unwrap()
            .message
    }

    fn decrypt(&mut self, sessions: &mut DeviceSessions, message: &[u8]) -> usize {
        sessions
            .decrypt(&self.bob, &mut self.bob_store, &self.alice_key, T0, message)
            .unwrap()
            .plaintext
            .len()
    }

    /// The message lands in the oldest session and leaves it there.
    fn check(&self) {
        let mut copy = self.sessions.clone();
        let mut store = self.bob_store.clone();
        let message = match &self.turn {
            Some(m) => m.clone(),
            None => {
                self.alice
                    .clone()
                    .encrypt(&mut self.rng.clone(), T0, Outgoing::message(&BODY))
                    .unwrap()
                    .message
            }
        };
        let got = copy
            .decrypt(&self.bob, &mut store, &self.alice_key, T0, &message)
            .unwrap();
        assert_eq!(&got.plaintext[..], &BODY[..]);
        assert!(copy.current() == self.sessions.current(), "not promoted");
        assert!(
            copy.previous().last() != self.sessions.previous().last(),
            "decrypted in the oldest session"
        );
    }
}

fn fanout_rows(c: &mut Criterion<Clock>) {
    let mut group = c.benchmark_group("fanout");
    let mut f = fanout(0);
    group.bench_function("encrypt_for_devices_5", |b| b.iter(|| f.send()));
    group.bench_function("session_encrypt_x5", |b| b.iter(|| f.baseline()));
    let mut f = fanout(PREVIOUS);
    group.bench_function("encrypt_for_devices_5_prev40", |b| b.iter(|| f.send()));
    group.finish();
}

fn receive_rows(c: &mut Criterion<Clock>) {
    let mut group = c.benchmark_group("receive");
    let Receive {
        mut rng,
        bob,
        mut bob_store,
        mut alice,
        alice_key,
        mut sessions,
        mut plain_alice,
        mut plain_bob,
        ..
    } = receive(false);
    let mut rng2 = rng.clone();
    group.bench_function("oldest_of_41_in_chain", |b| {
        b.iter_batched(
            || {
                alice
                    .encrypt(&mut rng, T0, Outgoing::message(&BODY))
                    .unwrap()
                    .message
            },
            |m| {
                sessions
                    .decrypt(&bob, &mut bob_store, &alice_key, T0, &m)
                    .unwrap()
                    .plaintext
                    .len()
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function("session_decrypt_in_chain", |b| {
        b.iter_batched(
            || {
                plain_alice
                    .encrypt(&mut rng2, T0, Outgoing::message(&BODY))
                    .unwrap()
                    .message
            },
            |m| plain_bob.decrypt(T0, &m).unwrap().plaintext.len(),
            BatchSize::SmallInput,
        );
    });
    let r = receive(true);
    let turn = r.turn.clone().unwrap();
    let plain_turn = r.plain_turn.clone().unwrap();
    group.bench_function("oldest_of_41_new_ratchet_key", |b| {
        b.iter_batched(
            || (r.sessions.clone(), r.bob_store.clone()),
            |(mut s, mut store)| {
                s.decrypt(&r.bob, &mut store, &r.alice_key, T0, &turn)
                    .unwrap()
                    .plaintext
                    .len()
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function("session_decrypt_new_ratchet_key", |b| {
        b.iter_batched(
            || r.plain_bob.clone(),
            |mut s| s.decrypt(T0, &plain_turn).unwrap().plaintext.len(),
            BatchSize::SmallInput,
        );
    });
    let secret = x25519_dalek::StaticSecret::from([3u8; 32]);
    let public = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from([4u8; 32]));
    group.bench_function("x25519_dh", |b| {
        b.iter(|| secret.diffie_hellman(black_box(&public)));
    });
    group.finish();
}

/// Runs `a` and `b` for `rounds` rounds (after one warm-up round), the
/// order alternating; each returns its time per operation in µs.
fn paired(
    rounds: usize,
    mut a: impl FnMut() -> f64,
    mut b: impl FnMut() -> f64,
) -> (Vec<f64>, Vec<f64>) {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for round in 0..=rounds {
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

/// (first quartile, median, third quartile).
fn quartiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 4], v[v.len() / 2], v[3 * v.len() / 4])
}

/// Prints `what` (`a`) against `base` (`b`): medians, per-round ratio and
/// difference; returns the median difference in µs.
fn report(what: &str, base: &str, a: &[f64], b: &[f64]) -> f64 {
    let ratio: Vec<f64> = a.iter().zip(b).map(|(x, y)| x / y).collect();
    let diff: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let (_, am, _) = quartiles(a.to_vec());
    let (_, bm, _) = quartiles(b.to_vec());
    let (r1, rm, r3) = quartiles(ratio);
    let (d1, dm, d3) = quartiles(diff);
    eprintln!(
        "  {what} {am:.2} µs, {base} {bm:.2} µs: ratio {rm:.3} [{r1:.3}, {r3:.3}], \
         difference {dm:+.2} µs [{d1:+.2}, {d3:+.2}]"
    );
    dm
}

fn paired_rounds() {
    const ROUNDS: usize = 41;
    let clock = Clock::from_env();
    let us = |d: Duration, n: usize| d.as_nanos() as f64 / n as f64 / 1000.0;
    eprintln!();
    eprintln!(
        "paired rounds ({ROUNDS} rounds; median, [quartiles] of the per-round ratio and difference):"
    );

    // (a) 5 devices, against 5 plain encrypts.
    const SENDS: usize = 200;
    for previous in [0, PREVIOUS] {
        let mut f = fanout(previous);
        let cell = std::cell::RefCell::new(&mut f);
        let (a, b) = paired(
            ROUNDS,
            || {
                let mut f = cell.borrow_mut();
                let t = clock.now();
                for _ in 0..SENDS {
                    black_box(f.send());
                }
                us(clock.now().saturating_sub(t), SENDS)
            },
            || {
                let mut f = cell.borrow_mut();
                let t = clock.now();
                for _ in 0..SENDS {
                    black_box(f.baseline());
                }
                us(clock.now().saturating_sub(t), SENDS)
            },
        );
        report(
            &format!("encrypt_for_devices to 5 devices ({previous} previous each)"),
            "5 x Session::encrypt",
            &a,
            &b,
        );
    }

    // (b) in chain, in the oldest of 41.
    const RECEIVES: usize = 200;
    let mut r = receive(false);
    let cell = std::cell::RefCell::new(&mut r);
    let (a, b) = paired(
        ROUNDS,
        || {
            let mut r = cell.borrow_mut();
            let batch: Vec<Vec<u8>> = (0..RECEIVES).map(|_| r.next()).collect();
            let mut s = std::mem::take(&mut r.sessions);
            let t = clock.now();
            for m in &batch {
                black_box(r.decrypt(&mut s, m));
            }
            let d = clock.now().saturating_sub(t);
            r.sessions = s;
            us(d, RECEIVES)
        },
        || {
            let mut r = cell.borrow_mut();
            let batch: Vec<Vec<u8>> = (0..RECEIVES).map(|_| r.next_plain()).collect();
            let t = clock.now();
            for m in &batch {
                black_box(r.plain_bob.decrypt(T0, m).unwrap().plaintext.len());
            }
            us(clock.now().saturating_sub(t), RECEIVES)
        },
    );
    let d = report(
        "in-chain message in the oldest of 41 sessions",
        "Session::decrypt",
        &a,
        &b,
    );
    let per = d / PREVIOUS as f64 * 1000.0;
    eprintln!(
        "    per previous session: {per:+.0} ns (target <= 1000 ns: {})",
        if per <= 1000.0 { "met" } else { "NOT met" }
    );

    // (c) a new ratchet key in the oldest of 41: fresh copies, one per
    // operation, the copy untimed.
    const TURNS: usize = 4;
    let mut r = receive(true);
    let turn = r.turn.clone().unwrap();
    let plain_turn = r.plain_turn.clone().unwrap();
    let cell = std::cell::RefCell::new(&mut r);
    let (a, b) = paired(
        ROUNDS,
        || {
            let r = cell.borrow_mut();
            let mut total = Duration::ZERO;
            for _ in 0..TURNS {
                let mut s = r.sessions.clone();
                let mut store = r.bob_store.clone();
                let t = clock.now();
                let got = s
                    .decrypt(&r.bob, &mut store, &r.alice_key, T0, &turn)
                    .unwrap();
                total += clock.now().saturating_sub(t);
                black_box(got);
            }
            us(total, TURNS)
        },
        || {
            let r = cell.borrow_mut();
            let mut total = Duration::ZERO;
            for _ in 0..TURNS {
                let mut s = r.plain_bob.clone();
                let t = clock.now();
                let got = s.decrypt(T0, &plain_turn).unwrap();
                total += clock.now().saturating_sub(t);
                black_box(got);
            }
            us(total, TURNS)
        },
    );
    let d = report(
        "new ratchet key in the oldest of 41 sessions",
        "Session::decrypt with a ratchet turn",
        &a,
        &b,
    );
    let secret = x25519_dalek::StaticSecret::from([3u8; 32]);
    let public = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from([4u8; 32]));
    let mut dh = Vec::new();
    for _ in 0..ROUNDS {
        let t = clock.now();
        for _ in 0..20 {
            black_box(secret.diffie_hellman(black_box(&public)));
        }
        dh.push(us(clock.now().saturating_sub(t), 20));
    }
    let (_, dh, _) = quartiles(dh);
    eprintln!(
        "    per session tried: {:.1} µs (one X25519 DH: {dh:.1} µs)",
        d / PREVIOUS as f64
    );
}

fn main() {
    // `SEALWIRE_BENCH_PAIRED_ONLY=1`: only the paired rounds.
    if std::env::var_os("SEALWIRE_BENCH_PAIRED_ONLY").is_some() {
        paired_rounds();
        return;
    }
    let mut c = Criterion::default()
        .with_measurement(Clock::from_env())
        .configure_from_args();
    fanout_rows(&mut c);
    receive_rows(&mut c);
    c.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        paired_rounds();
    }
}
