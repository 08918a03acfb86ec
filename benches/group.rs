//! Group and channel benchmarks (SPEC.md §20), with the baselines the
//! targets are stated against measured in the same run:
//!
//! - `post_encrypt/SIZE`: `ChannelOwner::post_into` into a reused buffer
//!   (frame, AES-256-CTR in place, SHA-256 of the ciphertext, one Ed25519
//!   signature, chain step).
//! - `post_decrypt/SIZE`: `ChannelSubscriber::receive_post_in_place` of the
//!   next post (SHA-256 and strict signature verification, chain step,
//!   AES-256-CTR in place, frame); posts are made outside the timing.
//! - `baseline/aes_256_gcm_{seal,open}/SIZE`: raw AES-256-GCM in place over
//!   the post's frame length (key setup included); `baseline/aes_256_ctr`,
//!   `baseline/sha256` over the same length, and `baseline/ctr_then_sha256`,
//!   both passes back to back: the floor of a post's symmetric work.
//! - `baseline/ed25519_sign`, `baseline/ed25519_verify_strict`: one
//!   signature over a 123-byte message (the signed message's length). Each
//!   iteration takes the next of 4096 different messages (and signatures),
//!   as a receiver verifies a new signature every time: verifying one
//!   signature over and over lets the branch predictor learn its
//!   variable-time scalar multiplication and runs about 2 µs faster.
//! - `post_decrypt_senders/N`: `post_decrypt/100B` for a member holding
//!   the chains of N = 1, 1,000, 10,000 senders.
//! - `distribute/N`: rotating the chain and encrypting its distribution
//!   over N established 1:1 sessions, N = 10, 1,000, 10,000.
//!
//! Targets (RATIONALE.md, "Measured costs"): at 1 MiB at least 1 GB/s each way; at 100 B
//! encrypt ≤ `ed25519_sign` + 3 µs and decrypt ≤ `ed25519_verify_strict`
//! + 3 µs.
//!
//! After the criterion rows, `interleaved_100b` measures the two 100-byte
//! targets as paired, alternating rounds (post operation, then its Ed25519
//! baseline) and prints the medians and their differences; then
//! `v3_vs_v2_1mib` compares 1 MiB posts of version 0x03 (the library)
//! with version 0x02 built from the primitives, in paired rounds
//! (`SEALWIRE_BENCH_V3_VS_V2=1 cargo bench --bench group` runs it alone;
//! target: at most +1 %).
//!
//! Run: `cargo bench --bench group -- --warm-up-time 1 --measurement-time 3`;
//! the paired rounds alone, repeated in separate processes:
//! `for i in $(seq 9); do SEALWIRE_BENCH_PAIRED_ONLY=1 cargo bench --bench group; done`
//! (`SEALWIRE_BENCH_CLOCK=thread-cpu` on a loaded machine).

#![allow(
    missing_docs,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

#[path = "common/clock.rs"]
mod clock;

use std::hint::black_box;
use std::time::{Duration, Instant};

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aes::Aes256;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use ctr::cipher::{KeyIvInit, StreamCipher};
use ed25519_dalek::{Signature, Signer, SigningKey};
use sha2::{Digest, Sha256};

use clock::Clock;
use sealwire::group::{ChannelOwner, ChannelSubscriber, GroupId, RotationPolicy};
use sealwire::testing::{DangerDeterministicRng, session_pair};
use sealwire::{
    ContentType, Encrypt, IdentityKeyPair, Outgoing, Received, SessionRecord, Timestamp,
};

const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);
const SIZES: [(usize, &str); 2] = [(100, "100B"), (1 << 20, "1MiB")];
const GID: GroupId = GroupId::from_bytes([7; 16]);

/// `body` as a distribution from `from`, decrypted over a fresh 1:1
/// session (its own generator), as `accept_distribution` takes it.
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

/// A channel with one subscriber who holds the owner's chain; no
/// rotation by policy during the bench.
fn channel(seed: u64) -> (DangerDeterministicRng, ChannelOwner, ChannelSubscriber) {
    sealwire::testing::channel_pair(seed, T0).unwrap()
}

fn posts(c: &mut Criterion<Clock>) {
    for (size, name) in SIZES {
        let body = vec![0x5au8; size];
        let mut group = c.benchmark_group("post_encrypt");
        group.throughput(Throughput::BytesDecimal(size as u64));
        let (mut rng, mut ch, _s) = channel(1);
        let mut out = vec![0u8; ch.post_len(size)];
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                ch.post_into(
                    &mut rng,
                    T0,
                    ContentType::UserMessage,
                    black_box(&body),
                    &mut out,
                )
                .unwrap()
                .0
            });
        });
        group.finish();

        let mut group = c.benchmark_group("post_decrypt");
        group.throughput(Throughput::BytesDecimal(size as u64));
        let (mut rng, mut ch, mut s) = channel(2);
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter_batched(
                || ch.post(&mut rng, T0, &body).unwrap().bytes,
                |mut buf| {
                    let n = s.receive_post_in_place(T0, &mut buf).unwrap().body.len();
                    black_box(n);
                    buf
                },
                if size > 4096 {
                    BatchSize::PerIteration
                } else {
                    BatchSize::SmallInput
                },
            );
        });
        group.finish();

        // Baselines over the same number of bytes as the post's frame.
        let frame_len = ch.post_len(size) - 38 - 64;
        let mut group = c.benchmark_group("baseline");
        group.throughput(Throughput::BytesDecimal(size as u64));
        let key = [9u8; 32];
        let nonce = [3u8; 12];
        let ad = [1u8; 38];
        let mut buf = vec![0x5au8; frame_len];
        group.bench_function(BenchmarkId::new("aes_256_gcm_seal", name), |b| {
            b.iter(|| {
                let cipher = Aes256Gcm::new(&key.into());
                cipher
                    .encrypt_inout_detached(&nonce.into(), &ad, InOutBuf::from(&mut buf[..]))
                    .unwrap()
            });
        });
        let cipher = Aes256Gcm::new(&key.into());
        let mut sealed = vec![0x5au8; frame_len];
        let tag = cipher
            .encrypt_inout_detached(&nonce.into(), &ad, InOutBuf::from(&mut sealed[..]))
            .unwrap();
        group.bench_function(BenchmarkId::new("aes_256_gcm_open", name), |b| {
            b.iter_batched_ref(
                || sealed.clone(),
                |ct| {
                    let cipher = Aes256Gcm::new(&key.into());
                    cipher
                        .decrypt_inout_detached(
                            &nonce.into(),
                            &ad,
                            InOutBuf::from(&mut ct[..]),
                            &tag,
                        )
                        .unwrap()
                },
                if size > 4096 {
                    BatchSize::PerIteration
                } else {
                    BatchSize::SmallInput
                },
            );
        });
        group.bench_function(BenchmarkId::new("aes_256_ctr", name), |b| {
            b.iter(|| {
                let mut cipher = ctr::Ctr32BE::<Aes256>::new(&key.into(), &[3u8; 16].into());
                cipher.apply_keystream(black_box(&mut buf[..]));
            });
        });
        group.bench_function(BenchmarkId::new("sha256", name), |b| {
            b.iter(|| Sha256::digest(black_box(&buf[..])));
        });
        group.bench_function(BenchmarkId::new("ctr_then_sha256", name), |b| {
            b.iter(|| {
                let mut cipher = ctr::Ctr32BE::<Aes256>::new(&key.into(), &[3u8; 16].into());
                cipher.apply_keystream(black_box(&mut buf[..]));
                Sha256::digest(black_box(&buf[..]))
            });
        });
        group.finish();
    }
    let mut group = c.benchmark_group("baseline");
    let sk = SigningKey::from_bytes(&[5u8; 32]);
    let vk = sk.verifying_key();
    let pool: Vec<([u8; 123], Signature)> = (0..4096u32)
        .map(|i| {
            let mut msg = [0x33u8; 123];
            msg[..4].copy_from_slice(&i.to_be_bytes());
            (msg, sk.sign(&msg))
        })
        .collect();
    let mut next = 0usize;
    group.bench_function("ed25519_sign", |b| {
        b.iter(|| {
            next = (next + 1) % pool.len();
            sk.sign(black_box(&pool[next].0))
        })
    });
    group.bench_function("ed25519_verify_strict", |b| {
        b.iter(|| {
            next = (next + 1) % pool.len();
            let (msg, sig) = &pool[next];
            vk.verify_strict(black_box(msg), sig).unwrap()
        })
    });
    group.finish();
}

/// `post_decrypt_senders/N`: a 100-byte post received by a member who
/// holds the chains of N senders (the post's chain is found through the
/// chain-id index, so N should not show).
fn many_senders(c: &mut Criterion<Clock>) {
    use sealwire::group::Group;
    let mut group = c.benchmark_group("post_decrypt_senders");
    for n in [1usize, 1_000, 10_000] {
        let mut rng = DangerDeterministicRng::from_u64(0x5e + n as u64);
        let ids: Vec<IdentityKeyPair> = (0..=n)
            .map(|_| IdentityKeyPair::generate(&mut rng))
            .collect();
        let keys: Vec<_> = ids.iter().map(|k| *k.public()).collect();
        let (mut me, _) = Group::create_with_id(&mut rng, T0, GID, keys[0], &keys[1..]).unwrap();
        let mut senders = Vec::with_capacity(n);
        for (k, id) in keys[1..].iter().zip(&ids[1..]) {
            let (g, d) = Group::create_with_id(&mut rng, T0, GID, *k, &[keys[0]]).unwrap();
            me.accept_distribution(T0, &distribution_from(id, &d.body))
                .unwrap();
            senders.push(g);
        }
        // The sender in the middle of the key order.
        let mut from = senders.swap_remove(n / 2);
        // No rotation by policy during the bench (the new chain would not
        // be distributed).
        from.set_rotation_policy(RotationPolicy::new(u32::MAX - 1, u64::MAX).unwrap());
        let body = [0x5au8; 100];
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter_batched(
                || from.post(&mut rng, T0, &body).unwrap().bytes,
                |mut buf| {
                    let n = me.receive_post_in_place(T0, &mut buf).unwrap().body.len();
                    black_box(n);
                    buf
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

/// `distribute/N`: a new chain (rotation) encrypted for N members over
/// their 1:1 sessions.
fn distribute(c: &mut Criterion<Clock>) {
    let mut group = c.benchmark_group("distribute");
    group.sample_size(10);
    for n in [10usize, 1_000, 10_000] {
        let mut rng = DangerDeterministicRng::from_u64(n as u64);
        let owner = IdentityKeyPair::generate(&mut rng);
        let started = Instant::now();
        let mut subs = Vec::with_capacity(n);
        let mut sessions: Vec<SessionRecord> = Vec::with_capacity(n);
        for _ in 0..n {
            let sub = IdentityKeyPair::generate(&mut rng);
            let (sa, _) = session_pair(&mut rng, &owner, &sub, T0).unwrap();
            subs.push(*sub.public());
            sessions.push(sa.into());
        }
        eprintln!(
            "distribute/{n}: {n} sessions set up in {:?}",
            started.elapsed()
        );
        let (mut ch, _) =
            ChannelOwner::create_with_id(&mut rng, T0, GID, *owner.public(), &subs).unwrap();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                let d = ch.rotate(&mut rng, T0);
                let mut bytes = 0usize;
                for s in &mut sessions {
                    bytes += d.encrypt_for(s, &mut rng, T0).unwrap().len();
                }
                bytes
            });
        });
    }
    group.finish();
}

/// The 100-byte targets as paired measurements: rounds of the post
/// operation and of its Ed25519 baseline back to back (distinct messages
/// and signatures, as in the criterion rows; the order alternates between
/// rounds), and the median and quartiles of the per-round differences. Rows
/// run minutes apart drift by more than the 3 µs the targets allow on this
/// shared machine; adjacent halves of a round much less.
fn interleaved_100b() {
    const ROUNDS: usize = 101;
    const ITERS: usize = 100;
    let clock = Clock::from_env();
    let (mut rng, mut ch, mut sub) = channel(3);
    let body = [0x5au8; 100];
    let total = (ROUNDS + 1) * ITERS;
    let mut posts: Vec<Vec<u8>> = (0..total)
        .map(|_| ch.post(&mut rng, T0, &body).unwrap().bytes)
        .collect();
    let sk = SigningKey::from_bytes(&[6u8; 32]);
    let vk = sk.verifying_key();
    let pool: Vec<([u8; 123], Signature)> = (0..total)
        .map(|i| {
            let mut msg = [0x44u8; 123];
            msg[..8].copy_from_slice(&(i as u64).to_be_bytes());
            (msg, sk.sign(&msg))
        })
        .collect();
    let mut out = vec![0u8; ch.post_len(body.len())];
    let per = |d: Duration| d.as_nanos() as f64 / ITERS as f64 / 1000.0;
    let (mut dec, mut ver, mut enc, mut sig) = (vec![], vec![], vec![], vec![]);
    for round in 0..=ROUNDS {
        let batch = round * ITERS..(round + 1) * ITERS;
        let mut decrypt = |posts: &mut [Vec<u8>]| {
            let t = clock.now();
            for p in posts {
                black_box(sub.receive_post_in_place(T0, p).unwrap().body.len());
            }
            per(clock.now().saturating_sub(t))
        };
        let verify = |pool: &[([u8; 123], Signature)]| {
            let t = clock.now();
            for (m, s) in pool {
                vk.verify_strict(black_box(m), s).unwrap();
            }
            per(clock.now().saturating_sub(t))
        };
        let mut encrypt = || {
            let t = clock.now();
            for _ in 0..ITERS {
                ch.post_into(
                    &mut rng,
                    T0,
                    ContentType::UserMessage,
                    black_box(&body),
                    &mut out,
                )
                .unwrap();
            }
            per(clock.now().saturating_sub(t))
        };
        let sign = |pool: &[([u8; 123], Signature)]| {
            let t = clock.now();
            for (m, _) in pool {
                black_box(sk.sign(black_box(m)));
            }
            per(clock.now().saturating_sub(t))
        };
        let (d, v, e, g) = if round % 2 == 0 {
            let d = decrypt(&mut posts[batch.clone()]);
            let v = verify(&pool[batch.clone()]);
            let e = encrypt();
            let g = sign(&pool[batch]);
            (d, v, e, g)
        } else {
            let v = verify(&pool[batch.clone()]);
            let d = decrypt(&mut posts[batch.clone()]);
            let g = sign(&pool[batch]);
            let e = encrypt();
            (d, v, e, g)
        };
        // Round 0 warms up.
        if round > 0 {
            dec.push(d);
            ver.push(v);
            enc.push(e);
            sig.push(g);
        }
    }
    let quartiles = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 4], v[v.len() / 2], v[3 * v.len() / 4])
    };
    eprintln!();
    eprintln!(
        "100-byte posts, paired rounds ({ROUNDS} rounds of {ITERS}; median, [quartiles] of the per-round difference):"
    );
    for (what, op, base, name) in [
        ("encrypt", enc, sig, "ed25519_sign"),
        ("decrypt", dec, ver, "ed25519_verify_strict"),
    ] {
        let diff: Vec<f64> = op.iter().zip(&base).map(|(o, b)| o - b).collect();
        let (_, op_m, _) = quartiles(op);
        let (_, base_m, _) = quartiles(base);
        let (q1, m, q3) = quartiles(diff);
        eprintln!(
            "  post {what} {op_m:>6.2} µs, {name} {base_m:>6.2} µs: difference {m:+.2} µs [{q1:+.2}, {q3:+.2}] (target <= +3 µs: {})",
            if m <= 3.0 { "met" } else { "NOT met" }
        );
    }
}

/// The post format's cost, version 0x03 against version 0x02, on 1 MiB
/// posts, as paired alternating rounds in one process: the library's
/// `post_into` and `receive_post_in_place` (version 0x03: `r` drawn from
/// the RNG, counter block `(nonce XOR r) || 0`, the sender's identity key
/// in the signed message) against the version 0x02 path built here from
/// the primitives exactly as the old code did (chain step, HKDF with the
/// `_v2` label, frame header, AES-256-CTR from `nonce || 0` straight from
/// the body, SHA-256 of the ciphertext, Ed25519 over
/// `"Sealwire_GroupPost_v2" || header[26] || digest`; the receive: SHA-256,
/// `verify_strict`, chain step, HKDF, AES-256-CTR in place, the frame's
/// length field). Prints the median and quartiles of the per-round ratio
/// (target: at most +1 %).
fn v3_vs_v2_1mib() {
    use hmac::{Hmac, Mac};
    const ROUNDS: usize = 41;
    const ITERS: usize = 2;
    const SIZE: usize = 1 << 20;
    let clock = Clock::from_env();
    let (mut rng, mut ch, mut sub) = channel(4);
    let body = vec![0x5au8; SIZE];
    let total = (ROUNDS + 1) * ITERS;
    let post_len = ch.post_len(SIZE);
    let frame_len = post_len - 38 - 64;

    // Version 0x02 from primitives.
    let hmac1 = |ck: &[u8; 32], b: u8| -> [u8; 32] {
        let mut m = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(ck).unwrap();
        m.update(&[b]);
        m.finalize().into_bytes().into()
    };
    let v2_keys = |ck: &[u8; 32]| -> ([u8; 32], [u8; 32], [u8; 16]) {
        let mk = hmac1(ck, 0x01);
        let next = hmac1(ck, 0x02);
        let mut okm = [0u8; 44];
        hkdf::Hkdf::<Sha256>::new(Some(&[0u8; 32]), &mk)
            .expand(b"Sealwire_GroupMessageKeys_v2", &mut okm)
            .unwrap();
        let mut key = [0u8; 32];
        key.copy_from_slice(&okm[..32]);
        let mut iv = [0u8; 16];
        iv[..12].copy_from_slice(&okm[32..]);
        (key, next, iv)
    };
    let v2_sk = SigningKey::from_bytes(&[8u8; 32]);
    let v2_vk = v2_sk.verifying_key();
    let mut v2_ck = [0x21u8; 32];
    let mut v2_it = 0u32;
    let mut v2_out = vec![0u8; 26 + frame_len + 64];
    let mut v2_seal = |body: &[u8], out: &mut [u8]| {
        let (key, next, iv) = v2_keys(&v2_ck);
        let (h, rest) = out.split_at_mut(26);
        h[0] = 0x02;
        h[1] = 0x20;
        h[2..18].copy_from_slice(GID.as_bytes());
        h[18..22].copy_from_slice(&7u32.to_be_bytes());
        h[22..26].copy_from_slice(&v2_it.to_be_bytes());
        let (frame, sig) = rest.split_at_mut(frame_len);
        frame[0] = 0x01;
        frame[1] = 0x01;
        frame[2] = 0x00;
        frame[3..11].copy_from_slice(&T0.as_unix_millis().to_be_bytes());
        frame[11..15].copy_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
        let (head, rest) = frame.split_at_mut(15);
        let (slot, pad) = rest.split_at_mut(body.len());
        pad.fill(0);
        let mut c = ctr::Ctr32BE::<Aes256>::new(&key.into(), &iv.into());
        c.apply_keystream(head);
        c.apply_keystream_b2b(body, slot);
        c.apply_keystream(pad);
        let mut msg = [0u8; 79];
        msg[..21].copy_from_slice(b"Sealwire_GroupPost_v2");
        msg[21..47].copy_from_slice(h);
        msg[47..].copy_from_slice(&Sha256::digest(&*frame));
        sig.copy_from_slice(&v2_sk.sign(&msg).to_bytes());
        v2_ck = next;
        v2_it += 1;
    };
    // The receiver's copy of the version 0x02 chain, and its posts.
    let mut v2_posts: Vec<Vec<u8>> = Vec::with_capacity(total);
    for _ in 0..total {
        v2_seal(&body, &mut v2_out);
        v2_posts.push(v2_out.clone());
    }
    let mut v2_rck = [0x21u8; 32];
    let mut v2_open = |post: &mut [u8]| -> usize {
        let (h, rest) = post.split_at_mut(26);
        let (ct, sig) = rest.split_at_mut(rest.len() - 64);
        let mut msg = [0u8; 79];
        msg[..21].copy_from_slice(b"Sealwire_GroupPost_v2");
        msg[21..47].copy_from_slice(h);
        msg[47..].copy_from_slice(&Sha256::digest(&*ct));
        let sig = Signature::from_bytes(&sig[..].try_into().unwrap());
        v2_vk.verify_strict(&msg, &sig).unwrap();
        let (key, next, iv) = v2_keys(&v2_rck);
        v2_rck = next;
        let mut c = ctr::Ctr32BE::<Aes256>::new(&key.into(), &iv.into());
        c.apply_keystream(ct);
        u32::from_be_bytes(ct[11..15].try_into().unwrap()) as usize
    };
    let mut v3_posts: Vec<Vec<u8>> = (0..total)
        .map(|_| ch.post(&mut rng, T0, &body).unwrap().bytes)
        .collect();
    let mut v3_out = vec![0u8; post_len];
    let ms = |d: Duration| d.as_nanos() as f64 / ITERS as f64 / 1e6;
    let (mut seal_ratio, mut open_ratio) = (vec![], vec![]);
    let (mut s3, mut s2, mut o3, mut o2) = (vec![], vec![], vec![], vec![]);
    for round in 0..=ROUNDS {
        let batch = round * ITERS..(round + 1) * ITERS;
        let mut seal3 = || {
            let t = clock.now();
            for _ in 0..ITERS {
                ch.post_into(
                    &mut rng,
                    T0,
                    ContentType::UserMessage,
                    black_box(&body),
                    &mut v3_out,
                )
                .unwrap();
            }
            ms(clock.now().saturating_sub(t))
        };
        let mut seal2 = || {
            let t = clock.now();
            for _ in 0..ITERS {
                v2_seal(black_box(&body), &mut v2_out);
            }
            ms(clock.now().saturating_sub(t))
        };
        let mut open3 = |posts: &mut [Vec<u8>]| {
            let t = clock.now();
            for p in posts {
                black_box(sub.receive_post_in_place(T0, p).unwrap().body.len());
            }
            ms(clock.now().saturating_sub(t))
        };
        let mut open2 = |posts: &mut [Vec<u8>]| {
            let t = clock.now();
            for p in posts {
                black_box(v2_open(p));
            }
            ms(clock.now().saturating_sub(t))
        };
        let (a, b, c, d) = if round % 2 == 0 {
            let a = seal3();
            let b = seal2();
            let c = open3(&mut v3_posts[batch.clone()]);
            let d = open2(&mut v2_posts[batch]);
            (a, b, c, d)
        } else {
            let b = seal2();
            let a = seal3();
            let d = open2(&mut v2_posts[batch.clone()]);
            let c = open3(&mut v3_posts[batch]);
            (a, b, c, d)
        };
        // Round 0 warms up.
        if round > 0 {
            seal_ratio.push(a / b);
            open_ratio.push(c / d);
            s3.push(a);
            s2.push(b);
            o3.push(c);
            o2.push(d);
        }
    }
    let quartiles = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 4], v[v.len() / 2], v[3 * v.len() / 4])
    };
    eprintln!();
    eprintln!(
        "1 MiB posts, version 0x03 against 0x02, paired rounds ({ROUNDS} rounds of {ITERS}; median, [quartiles] of the per-round ratio):"
    );
    for (what, ratio, v3, v2) in [
        ("post", seal_ratio, s3, s2),
        ("receive", open_ratio, o3, o2),
    ] {
        let (q1, m, q3) = quartiles(ratio);
        let (_, m3, _) = quartiles(v3);
        let (_, m2, _) = quartiles(v2);
        eprintln!(
            "  {what}: v3 {m3:.3} ms, v2 {m2:.3} ms: ratio {:+.2} % [{:+.2} %, {:+.2} %] (target <= +1 %: {})",
            (m - 1.0) * 100.0,
            (q1 - 1.0) * 100.0,
            (q3 - 1.0) * 100.0,
            if m <= 1.01 { "met" } else { "NOT met" }
        );
    }
}

fn main() {
    // `SEALWIRE_BENCH_PAIRED_ONLY=1`: only the paired 100-byte rounds, for
    // repeating them in separate processes (each process has its own
    // address layout, which moves either operation by a few µs on this
    // machine).
    if std::env::var_os("SEALWIRE_BENCH_PAIRED_ONLY").is_some() {
        interleaved_100b();
        return;
    }
    // `SEALWIRE_BENCH_V3_VS_V2=1`: only the paired 1 MiB rounds of post
    // version 0x03 against 0x02.
    if std::env::var_os("SEALWIRE_BENCH_V3_VS_V2").is_some() {
        v3_vs_v2_1mib();
        return;
    }
    let mut c = Criterion::default()
        .with_measurement(Clock::from_env())
        .configure_from_args();
    posts(&mut c);
    many_senders(&mut c);
    distribute(&mut c);
    c.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        interleaved_100b();
        v3_vs_v2_1mib();
    }
}
