//! Sealed sender benchmarks (SPEC.md §22), with the baselines the targets
//! are stated against measured in the same run:
//!
//! - `one_to_one/plain_100B`: one 100-byte message in an established chain,
//!   `DeviceSessions::encrypt` then `DeviceSessions::decrypt`.
//! - `one_to_one/sealed_100B`: the same message sealed: encrypt, `seal`,
//!   `open`, `Unsealed::decrypt` (certificate, device list, inner
//!   message; the certificate's signature is verified once, then
//!   remembered, as for every later message of the sender).
//! - `baseline/x25519_keygen`, `baseline/x25519_dh`,
//!   `baseline/aes_256_gcm_seal_open_300B`: the primitives sealing adds:
//!   the ephemeral key pair (a fixed-base multiplication), one DH, and
//!   AES-256-GCM over the envelope's contents (certificate and message,
//!   about 300 bytes) both ways, key setup included.
//! - `multi/seal_post_1000`: a 100-byte post sealed for 1,000 recipients
//!   (`seal_post`), against `baseline/x25519_dh_x1000` (1,000 DHs, the
//!   per-recipient floor) and `multi/envelopes_1000` (the alternative:
//!   1,000 separate envelopes of the post's bytes, each with its own
//!   ephemeral key and encryption).
//! - `multi/relay_split_1000`: the relay's parse and split into 1,000
//!   sealed posts; `multi/open_receive_100B`: one recipient's `open_post`
//!   and `UnsealedPost::receive`.
//!
//! Targets (issue 19): sealing a 100-byte message costs at most one
//! X25519 and one AES-GCM more per message on each side; the
//! multi-recipient form does not encrypt the body once per recipient.
//! After the criterion rows, `paired_100b` measures plain and sealed
//! messages and the baseline in paired, alternating rounds and prints the
//! medians and the per-round differences.
//!
//! Run: `cargo bench --bench sealed -- --warm-up-time 1 --measurement-time 3`;
//! the paired rounds alone: `SEALWIRE_BENCH_PAIRED_ONLY=1 cargo bench
//! --bench sealed` (`SEALWIRE_BENCH_CLOCK=thread-cpu` on a loaded machine).

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

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use criterion::{BatchSize, Criterion};

use clock::Clock;
use sealwire::devices::{DeviceList, DeviceSessions};
use sealwire::group::{Group, GroupId, RotationPolicy};
use sealwire::sealed::{
    MultiRecipientMessage, SenderCertificate, ServerKey, TrustedServerKeys, open, open_post, seal,
    seal_post,
};
use sealwire::testing::{DangerDeterministicRng, session_pair};
use sealwire::{
    ContentType, DeviceAddress, Encrypt, IdentityKey, IdentityKeyPair, Outgoing, PrekeyStore,
    Received, Timestamp,
};

const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);
const RECIPIENTS: usize = 1000;

/// Alice's and Bob's sessions with each other's device, established and
/// in one chain (Alice's next messages need no ratchet turn); what Bob
/// needs to receive sealed messages from Alice.
struct OneToOne {
    rng: DangerDeterministicRng,
    alice: DeviceSessions,
    bob: DeviceSessions,
    alice_key: IdentityKey,
    bob_id: IdentityKeyPair,
    bob_prekeys: PrekeyStore,
    certificate: SenderCertificate,
    trusted: TrustedServerKeys,
    alice_list: DeviceList,
}

fn one_to_one(seed: u64) -> OneToOne {
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let server = ServerKey::generate(&mut rng, 1);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut bob_prekeys = PrekeyStore::new(&bob_id, &mut rng);
    let (sa, sb) = session_pair(&mut rng, &alice_id, &bob_id, T0).unwrap();
    let mut alice = DeviceSessions::from(sealwire::SessionRecord::from(sa));
    let mut bob = DeviceSessions::from(sealwire::SessionRecord::from(sb));
    // Alice's first message after the reply turns the ratchet; from then
    // on her messages stay in that chain.
    let turn = alice
        .encrypt(&mut rng, T0, bob_id.public(), Outgoing::message(b"turn"))
        .unwrap()
        .message;
    bob.decrypt(&bob_id, &mut bob_prekeys, alice_id.public(), T0, &turn)
        .unwrap();
    let mut trusted = TrustedServerKeys::new();
    trusted.add(server.public()).unwrap();
    let mut alice_list = DeviceList::new("alice").unwrap();
    alice_list.update(&[(1, *alice_id.public())]).unwrap();
    let certificate = server
        .issue(
            &DeviceAddress::new("alice", 1),
            alice_id.public(),
            Timestamp::from_unix_millis(T0.as_unix_millis() + 86_400_000),
        )
        .unwrap();
    OneToOne {
        rng,
        alice,
        bob,
        alice_key: *alice_id.public(),
        bob_id,
        bob_prekeys,
        certificate,
        trusted,
        alice_list,
    }
}

impl OneToOne {
    fn plain(&mut self, body: &[u8]) -> usize {
        let m = self
            .alice
            .encrypt(
                &mut self.rng,
                T0,
                self.bob_id.public(),
                Outgoing::message(body),
            )
            .unwrap()
            .message;
        let got = self
            .bob
            .decrypt(&self.bob_id, &mut self.bob_prekeys, &self.alice_key, T0, &m)
            .unwrap();
        got.plaintext.len()
    }

    fn sealed(&mut self, body: &[u8]) -> usize {
        let m = self
            .alice
            .encrypt(
                &mut self.rng,
                T0,
                self.bob_id.public(),
                Outgoing::message(body),
            )
            .unwrap()
            .message;
        let envelope = seal(&mut self.rng, self.bob_id.public(), &self.certificate, &m).unwrap();
        let (_, got) = open(&self.bob_id, &envelope)
            .unwrap()
            .decrypt(
                T0,
                &mut self.trusted,
                &self.bob_id,
                &mut self.bob_prekeys,
                &self.alice_list,
                &mut self.bob,
            )
            .unwrap();
        got.plaintext.len()
    }
}

/// The primitives sealing adds, raw: an ephemeral key pair, one DH, and
/// AES-256-GCM over `len` bytes both ways (key setup included).
struct Baseline {
    secrets: Vec<[u8; 32]>,
    peer: x25519_dalek::PublicKey,
    buf: Vec<u8>,
    next: usize,
}

impl Baseline {
    fn new(len: usize) -> Self {
        let secrets = (0..4096u32)
            .map(|i| {
                let mut s = [0x11u8; 32];
                s[..4].copy_from_slice(&i.to_be_bytes());
                s
            })
            .collect();
        let peer = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from([9u8; 32]));
        Self {
            secrets,
            peer,
            buf: vec![0x5a; len],
            next: 0,
        }
    }

    fn secret(&mut self) -> x25519_dalek::StaticSecret {
        self.next = (self.next + 1) % self.secrets.len();
        x25519_dalek::StaticSecret::from(self.secrets[self.next])
    }

    fn keygen(&mut self) -> [u8; 32] {
        let s = self.secret();
        x25519_dalek::PublicKey::from(&s).to_bytes()
    }

    fn dh(&mut self) -> [u8; 32] {
        let s = self.secret();
        s.diffie_hellman(&self.peer).to_bytes()
    }

    fn aes_gcm(&mut self) {
        let key = [self.next.to_le_bytes()[0]; 32];
        let cipher = Aes256Gcm::new(&key.into());
        let tag = cipher
            .encrypt_inout_detached(
                &[0u8; 12].into(),
                &[1; 66],
                InOutBuf::from(&mut self.buf[..]),
            )
            .unwrap();
        let cipher = Aes256Gcm::new(&key.into());
        cipher
            .decrypt_inout_detached(
                &[0u8; 12].into(),
                &[1; 66],
                InOutBuf::from(&mut self.buf[..]),
                &tag,
            )
            .unwrap();
    }

    /// What sealing adds to one message, both sides: the ephemeral key
    /// pair and one DH (sender), one DH (recipient), AES-GCM both ways.
    fn sealing(&mut self) {
        black_box(self.keygen());
        black_box(self.dh());
        black_box(self.dh());
        self.aes_gcm();
    }
}

fn one_to_one_rows(c: &mut Criterion<Clock>) {
    let body = [0x5au8; 100];
    let mut group = c.benchmark_group("one_to_one");
    let mut s = one_to_one(1);
    group.bench_function("plain_100B", |b| {
        b.iter(|| black_box(s.plain(black_box(&body))))
    });
    let mut s = one_to_one(2);
    group.bench_function("sealed_100B", |b| {
        b.iter(|| black_box(s.sealed(black_box(&body))))
    });
    group.finish();
    let mut group = c.benchmark_group("baseline");
    let mut base = Baseline::new(300);
    group.bench_function("x25519_keygen", |b| b.iter(|| black_box(base.keygen())));
    group.bench_function("x25519_dh", |b| b.iter(|| black_box(base.dh())));
    group.bench_function("aes_256_gcm_seal_open_300B", |b| b.iter(|| base.aes_gcm()));
    group.bench_function("x25519_dh_x1000", |b| {
        b.iter(|| {
            for _ in 0..RECIPIENTS {
                black_box(base.dh());
            }
        })
    });
    group.finish();
}

/// `body` as a distribution from `from`, decrypted over a fresh 1:1
/// session, as `accept_distribution` takes it.
fn distribution_from(from: &IdentityKeyPair, body: &[u8]) -> Received {
    let mut rng = DangerDeterministicRng::from_u64(0xd157);
    let to = IdentityKeyPair::generate(&mut rng);
    let (mut sa, mut sb) = session_pair(&mut rng, from, &to, T0).unwrap();
    let m = sa
        .encrypt(
            &mut rng,
            T0,
            Outgoing::new(ContentType::GroupKeyDistribution, body),
        )
        .unwrap()
        .message;
    sb.decrypt(T0, &m).unwrap()
}

fn multi_rows(c: &mut Criterion<Clock>) {
    let mut rng = DangerDeterministicRng::from_u64(3);
    let server = ServerKey::generate(&mut rng, 1);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let recipients: Vec<IdentityKey> = std::iter::once(*bob.public())
        .chain((1..RECIPIENTS).map(|_| *IdentityKeyPair::generate(&mut rng).public()))
        .collect();
    let certificate = server
        .issue(
            &DeviceAddress::new("alice", 1),
            alice.public(),
            Timestamp::from_unix_millis(T0.as_unix_millis() + 86_400_000),
        )
        .unwrap();
    let gid = GroupId::from_bytes([3; 16]);
    let (mut ga, da) =
        Group::create_with_id(&mut rng, T0, gid, *alice.public(), &[*bob.public()]).unwrap();
    ga.set_rotation_policy(RotationPolicy::new(u32::MAX - 1, u64::MAX).unwrap());
    let (mut gb, _) =
        Group::create_with_id(&mut rng, T0, gid, *bob.public(), &[*alice.public()]).unwrap();
    gb.accept_distribution(T0, &distribution_from(&alice, &da.body))
        .unwrap();
    let post = ga.post(&mut rng, T0, &[0x5a; 100]).unwrap().bytes;

    let mut group = c.benchmark_group("multi");
    group.sample_size(20);
    group.bench_function("seal_post_1000", |b| {
        b.iter(|| black_box(seal_post(&mut rng, &recipients, &certificate, &post).unwrap()))
    });
    // The alternative: one envelope per recipient. `seal` takes a 1:1
    // message: the post's bytes behind a ratchet message's version and
    // type stand in for one of the same length.
    let stand_in = [&[0x02u8, 0x01][..], &post[2..]].concat();
    group.bench_function("envelopes_1000", |b| {
        b.iter(|| {
            for r in &recipients {
                black_box(seal(&mut rng, r, &certificate, &stand_in).unwrap());
            }
        })
    });
    let multi = seal_post(&mut rng, &recipients, &certificate, &post).unwrap();
    eprintln!(
        "multi-recipient message for {RECIPIENTS}: {} bytes (post {} bytes)",
        multi.len(),
        post.len()
    );
    group.bench_function("relay_split_1000", |b| {
        b.iter(|| black_box(MultiRecipientMessage::parse(&multi).unwrap().split()))
    });
    group.sample_size(100);
    let part = MultiRecipientMessage::parse(&multi)
        .unwrap()
        .message_for(0)
        .unwrap();
    let mut trusted = TrustedServerKeys::new();
    trusted.add(server.public()).unwrap();
    let mut alice_list = DeviceList::new("alice").unwrap();
    alice_list.update(&[(1, *alice.public())]).unwrap();
    group.bench_function("open_receive_100B", |b| {
        b.iter_batched(
            || gb.clone(),
            |mut g| {
                let (_, got) = open_post(&bob, &part)
                    .unwrap()
                    .receive(T0, &mut trusted, &alice_list, &mut g)
                    .unwrap();
                black_box(got.plaintext.len())
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// Plain and sealed 100-byte messages and the baseline, in paired,
/// alternating rounds; prints the medians and the per-round differences.
fn paired_100b() {
    const ROUNDS: usize = 61;
    const ITERS: usize = 100;
    let clock = Clock::from_env();
    let body = [0x5au8; 100];
    let mut plain = one_to_one(4);
    let mut sealed = one_to_one(5);
    let mut base = Baseline::new(2 + 120 + 100 + 100);
    let mut dh_only = Baseline::new(0);
    let per = |d: Duration| d.as_nanos() as f64 / ITERS as f64 / 1000.0;
    let (mut p, mut s, mut b, mut d) = (vec![], vec![], vec![], vec![]);
    for round in 0..=ROUNDS {
        let mut run_plain = || {
            let t = clock.now();
            for _ in 0..ITERS {
                black_box(plain.plain(&body));
            }
            per(clock.now().saturating_sub(t))
        };
        let mut run_sealed = || {
            let t = clock.now();
            for _ in 0..ITERS {
                black_box(sealed.sealed(&body));
            }
            per(clock.now().saturating_sub(t))
        };
        let mut run_base = || {
            let t = clock.now();
            for _ in 0..ITERS {
                base.sealing();
            }
            per(clock.now().saturating_sub(t))
        };
        let mut run_dh = || {
            let t = clock.now();
            for _ in 0..ITERS {
                black_box(dh_only.dh());
            }
            per(clock.now().saturating_sub(t))
        };
        let (pp, ss, bb, dd) = if round % 2 == 0 {
            (run_plain(), run_sealed(), run_base(), run_dh())
        } else {
            let dd = run_dh();
            let bb = run_base();
            let ss = run_sealed();
            (run_plain(), ss, bb, dd)
        };
        if round > 0 {
            p.push(pp);
            s.push(ss);
            b.push(bb);
            d.push(dd);
        }
    }
    let quartiles = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 4], v[v.len() / 2], v[3 * v.len() / 4])
    };
    let overhead: Vec<f64> = s.iter().zip(&p).map(|(s, p)| s - p).collect();
    let excess: Vec<f64> = overhead.iter().zip(&b).map(|(o, b)| o - b).collect();
    let (_, pm, _) = quartiles(p);
    let (_, sm, _) = quartiles(s);
    let (_, bm, _) = quartiles(b);
    let (_, dm, _) = quartiles(d);
    let (oq1, om, oq3) = quartiles(overhead);
    let (eq1, em, eq3) = quartiles(excess);
    eprintln!();
    eprintln!(
        "100-byte messages, paired rounds ({ROUNDS} rounds of {ITERS}; median, [quartiles]):"
    );
    eprintln!("  plain encrypt+decrypt {pm:.2} µs, sealed {sm:.2} µs");
    eprintln!("  overhead of sealing: {om:+.2} µs [{oq1:+.2}, {oq3:+.2}]");
    eprintln!(
        "  baseline (ephemeral key pair + 2 DH + AES-256-GCM both ways over 322 B): {bm:.2} µs; one DH {dm:.2} µs"
    );
    eprintln!(
        "  overhead - baseline: {em:+.2} µs [{eq1:+.2}, {eq3:+.2}] (target: within one DH of the baseline, {}: {})",
        format_args!("{dm:.2} µs"),
        if em <= dm { "met" } else { "NOT met" }
    );
}

fn main() {
    if std::env::var_os("SEALWIRE_BENCH_PAIRED_ONLY").is_some() {
        paired_100b();
        return;
    }
    let mut c = Criterion::default()
        .with_measurement(Clock::from_env())
        .configure_from_args();
    one_to_one_rows(&mut c);
    multi_rows(&mut c);
    c.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        paired_100b();
    }
}
