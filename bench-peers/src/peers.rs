//! The metrics: each builds its fixtures for sealwire and for the peer,
//! then runs paired rounds (or counts).

use std::hint::black_box;

use sealwire::group::{ChannelOwner, ChannelSubscriber};
use sealwire::persist::{BlobAddress, StateBlob, StorageKey};
use sealwire::testing::{DangerDeterministicRng, SetupParties, send_in_place, setup_parties};
use sealwire::{
    ContentType, Encrypt, IdentityKeyPair, Outgoing, PendingSession, PrekeyBundle, PrekeyStore,
    Session, Timestamp,
};
use sealwire_counting_alloc::count_allocations;
use vodozemac::megolm::{GroupSession, InboundGroupSession, MegolmMessage};
use vodozemac::olm::{
    Account, AccountPickle, InboundCreationResult, OlmMessage, PreKeyMessage, SessionConfig,
};

use crate::{Bench, Paired, paired, per_op, raw_aes_gcm};

/// The vodozemac release this package is locked to (Cargo.lock).
pub(crate) const VODOZEMAC_VERSION: &str = "0.11.1";

const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);
/// The key both sides' state is encrypted with for the size rows.
const STATE_KEY: [u8; 32] = [0x42; 32];
pub(crate) fn run(b: &mut Bench) {
    x25519(b);
    in_chain(b);
    ping_pong(b);
    setup(b);
    bulk(b);
    group(b);
    state_sizes(b);
    allocations(b);
}

// ---------------------------------------------------------------- fixtures

/// Two established Olm sessions `(alice, bob)` in the state of
/// `sealwire::testing::in_chain_pair`: prekey message, reply, and one more
/// message from Alice (her ratchet turn), so that her next messages stay in
/// her current chain.
fn olm_pair() -> (vodozemac::olm::Session, vodozemac::olm::Session) {
    let alice = Account::new();
    let mut bob = Account::new();
    let (otk, pre_key) = olm_prekey_message(&alice, &mut bob, b"hello");
    let _ = otk;
    let InboundCreationResult {
        session: mut bob_s, ..
    } = bob
        .create_inbound_session(
            SessionConfig::version_1(),
            alice.curve25519_key(),
            &pre_key.1,
        )
        .unwrap();
    let mut alice_s = pre_key.0;
    let reply = bob_s.encrypt(b"reply").unwrap();
    alice_s.decrypt(&reply).unwrap();
    let turn = alice_s.encrypt(b"turn").unwrap();
    bob_s.decrypt(&turn).unwrap();
    (alice_s, bob_s)
}

/// Bob publishes one one-time key; Alice opens an outbound session to it
/// and encrypts `body`: returns the key and `(alice's session, the prekey
/// message)`.
fn olm_prekey_message(
    alice: &Account,
    bob: &mut Account,
    body: &[u8],
) -> (
    vodozemac::Curve25519PublicKey,
    (vodozemac::olm::Session, PreKeyMessage),
) {
    bob.generate_one_time_keys(1);
    let otk = *bob.one_time_keys().values().next().unwrap();
    bob.mark_keys_as_published();
    let mut s = alice
        .create_outbound_session(SessionConfig::version_1(), bob.curve25519_key(), otk)
        .unwrap();
    let OlmMessage::PreKey(m) = s.encrypt(body).unwrap() else {
        panic!("the first Olm message is a prekey message")
    };
    (otk, (s, m))
}

/// A copy of an Olm account (vodozemac's `Account` is not `Clone`): through
/// its encrypted pickle.
fn olm_account_copy(account: &Account) -> Account {
    let pickle = account.pickle().encrypt(&STATE_KEY);
    Account::from_pickle(AccountPickle::from_encrypted(&pickle, &STATE_KEY).unwrap())
}

/// A channel with one subscriber who holds the owner's chain, no rotation
/// by policy.
fn channel(seed: u64) -> (ChannelOwner, ChannelSubscriber) {
    let (_, owner, subscriber) = sealwire::testing::channel_pair(seed, T0).unwrap();
    (owner, subscriber)
}

/// The first message of a session from Alice to Bob on `bundle`.
fn hello(p: &mut SetupParties, bundle: &PrekeyBundle) -> Vec<u8> {
    PendingSession::initiate(&mut p.rng, &p.alice, bundle)
        .unwrap()
        .encrypt(&mut p.rng, T0, Outgoing::message(b"hello"))
        .unwrap()
        .message
}

fn megolm_pair() -> (GroupSession, InboundGroupSession) {
    let out = GroupSession::new(vodozemac::megolm::SessionConfig::version_1());
    let inb = InboundGroupSession::new(
        &out.session_key(),
        vodozemac::megolm::SessionConfig::version_1(),
    );
    (out, inb)
}

// ----------------------------------------------------------------- metrics

/// The primitive the setup and ratchet rows are made of: a key pair from
/// 32 bytes and one X25519 with it, sealwire's (`hazmat::x25519`: the
/// fixed-base table, then the Edwards-curve multiplication of src/dh.rs)
/// against x25519-dalek's (the fixed-base table, then the Montgomery
/// ladder), which vodozemac uses.
fn x25519(b: &mut Bench) {
    let metric = "primitive: key pair + X25519";
    if !b.wants(metric) {
        return;
    }
    const ITERS: usize = 20;
    let peer = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from([4u8; 32]));
    let peer_bytes = peer.to_bytes();
    let clock = &b.clock;
    let mut seed = [3u8; 32];
    let mut seed2 = [3u8; 32];
    let p = paired(
        b.rounds,
        || {
            per_op(clock, ITERS, || {
                seed[0] = seed[0].wrapping_add(1);
                black_box(sealwire::hazmat::x25519(black_box(seed), &peer_bytes).unwrap());
            })
        },
        || {
            per_op(clock, ITERS, || {
                seed2[0] = seed2[0].wrapping_add(1);
                let secret = x25519_dalek::StaticSecret::from(black_box(seed2));
                black_box(x25519_dalek::PublicKey::from(&secret));
                black_box(secret.diffie_hellman(&peer));
            })
        },
    );
    b.push_paired(
        metric,
        "x25519-dalek",
        &p,
        None,
        "both: fixed-base table for the key pair; sealwire's DH on the Edwards curve (AVX2), x25519-dalek's Montgomery ladder (serial)",
    );
}

/// One 1:1 message in an established chain: sealwire's caller buffers
/// (`encrypt_into` + `decrypt_in_place`) against Olm's `encrypt` +
/// `decrypt`; with the OS generator, then with the seeded test generator
/// (one `getrandom` call less per message: the figure of
/// benches/session.rs).
fn in_chain(b: &mut Bench) {
    let metric = "1:1 in-chain 100 B encrypt + decrypt";
    if !b.wants(metric) {
        return;
    }
    let p = in_chain_with(b, &mut sealwire::os_rng());
    b.push_paired(
        metric,
        "Olm",
        &p,
        None,
        "sealwire: caller buffers, OS generator; Olm: its only API (allocating)",
    );
    let p = in_chain_with(b, &mut DangerDeterministicRng::from_u64(13));
    b.push_paired(
        &format!("{metric}, seeded generator"),
        "Olm",
        &p,
        None,
        "as above, sealwire drawing its nonce masks from the seeded test generator",
    );
}

fn in_chain_with<R: sealwire::rand_core::CryptoRng>(b: &Bench, rng: &mut R) -> Paired {
    const ITERS: usize = 200;
    let (_, mut alice, mut bob) = sealwire::testing::in_chain_pair(1, T0).unwrap();
    let body = [0x5au8; 100];
    let mut wire = vec![0u8; alice.encrypted_len(body.len(), false)];
    let (mut oa, mut ob) = olm_pair();
    let clock = &b.clock;
    paired(
        b.rounds,
        || {
            per_op(clock, ITERS, || {
                black_box(
                    send_in_place(rng, T0, &mut alice, &mut bob, black_box(&body), &mut wire)
                        .unwrap(),
                );
            })
        },
        || {
            per_op(clock, ITERS, || {
                let m = oa.encrypt(black_box(body)).unwrap();
                black_box(ob.decrypt(&m).unwrap());
            })
        },
    )
}

/// A round trip where every message turns the ratchet.
fn ping_pong(b: &mut Bench) {
    let metric = "1:1 ping-pong round trip 100 B";
    if !b.wants(metric) {
        return;
    }
    const ITERS: usize = 10;
    let (_, mut alice, mut bob) = sealwire::testing::in_chain_pair(2, T0).unwrap();
    let mut rng = sealwire::os_rng();
    let body = [0x5au8; 100];
    let mut wire = vec![0u8; alice.encrypted_len(body.len(), false)];
    let (mut oa, mut ob) = olm_pair();
    let clock = &b.clock;
    let p = paired(
        b.rounds,
        || {
            per_op(clock, ITERS, || {
                black_box(
                    send_in_place(&mut rng, T0, &mut bob, &mut alice, &body, &mut wire).unwrap(),
                );
                black_box(
                    send_in_place(&mut rng, T0, &mut alice, &mut bob, &body, &mut wire).unwrap(),
                );
            })
        },
        || {
            per_op(clock, ITERS, || {
                let m = ob.encrypt(body).unwrap();
                black_box(oa.decrypt(&m).unwrap());
                let m = oa.encrypt(body).unwrap();
                black_box(ob.decrypt(&m).unwrap());
            })
        },
    );
    // Every sealwire message opened a new chain.
    assert_eq!(
        send_in_place(&mut rng, T0, &mut bob, &mut alice, &body, &mut wire).unwrap(),
        0
    );
    b.push_paired(metric, "Olm", &p, None, "goal ≤ 0.9×");
}

/// Session setup, initiator and responder, classic (X3DH with a one-time
/// prekey) and PQXDH (with a one-time PQ prekey), against Olm's outbound
/// and inbound session creation (3DH with a one-time key).
fn setup(b: &mut Bench) {
    const ROWS: [&str; 4] = [
        "setup: initiator, classic",
        "setup: initiator, PQXDH",
        "setup: responder, classic",
        "setup: responder, PQXDH",
    ];
    if !ROWS.iter().any(|m| b.wants(m)) {
        return;
    }
    const ITERS: usize = 8;
    let mut p = setup_parties(3).unwrap();
    let (classic, pq) = (p.classic.clone(), p.pq.clone());
    let hello_classic = hello(&mut p, &classic);
    let hello_pq = hello(&mut p, &pq);

    let alice = Account::new();
    let mut bob = Account::new();
    let (otk, (_, pre_key)) = olm_prekey_message(&alice, &mut bob, b"hello");
    let bob_key = bob.curve25519_key();
    let alice_key = alice.curve25519_key();

    let mut rng = sealwire::os_rng();
    let clock = &b.clock;
    let rounds = b.rounds;
    let olm_outbound = || {
        per_op(clock, ITERS, || {
            black_box(
                alice
                    .create_outbound_session(SessionConfig::version_1(), bob_key, otk)
                    .unwrap(),
            );
        })
    };
    let mut rows = vec![];
    for (metric, bundle, goal) in [
        (ROWS[0], &classic, "goal ≤ 1.2×"),
        (ROWS[1], &pq, "goal ≤ 1.6×"),
    ] {
        if !b.wants(metric) {
            continue;
        }
        let r = paired(
            rounds,
            || {
                per_op(clock, ITERS, || {
                    black_box(PendingSession::initiate(&mut rng, &p.alice, bundle).unwrap());
                })
            },
            olm_outbound,
        );
        rows.push((metric, r, goal));
    }
    let base = &p.bob_prekeys;
    for (metric, hello, goal) in [
        (ROWS[2], &hello_classic, "goal ≤ 1.2×"),
        (ROWS[3], &hello_pq, "goal ≤ 1.6×"),
    ] {
        if !b.wants(metric) {
            continue;
        }
        let r = paired(
            rounds,
            || {
                // Each accept takes its own copy of Bob's store (it uses
                // up the one-time prekeys), made outside the timing.
                let mut stores: Vec<PrekeyStore> = (0..ITERS).map(|_| base.clone()).collect();
                let mut it = stores.iter_mut();
                per_op(clock, ITERS, || {
                    let store = it.next().unwrap();
                    black_box(Session::accept(&p.bob, store, T0, hello).unwrap());
                })
            },
            || {
                let mut accounts: Vec<Account> =
                    (0..ITERS).map(|_| olm_account_copy(&bob)).collect();
                let mut it = accounts.iter_mut();
                per_op(clock, ITERS, || {
                    let account = it.next().unwrap();
                    black_box(
                        account
                            .create_inbound_session(SessionConfig::version_1(), alice_key, &pre_key)
                            .unwrap(),
                    );
                })
            },
        );
        rows.push((metric, r, goal));
    }
    for (metric, r, goal) in rows {
        let peer = if metric.contains("initiator") {
            "Olm outbound"
        } else {
            "Olm inbound"
        };
        b.push_paired(metric, peer, &r, None, goal);
    }
}

/// Large messages: sealwire's caller buffers and its allocating API
/// against raw AES-256-GCM (seal + open in place, key setup included, the
/// same associated data length) and against Olm (AES-256-CBC +
/// HMAC-SHA-256, allocating).
fn bulk(b: &mut Bench) {
    for (size, name, iters) in [(64 * 1024, "64 KiB", 16), (1 << 20, "1 MiB", 2)] {
        let metric = format!("1:1 {name} encrypt + decrypt");
        if !b.wants(&metric) {
            continue;
        }
        let (_, mut alice, mut bob) = sealwire::testing::in_chain_pair(4, T0).unwrap();
        let mut rng = sealwire::os_rng();
        let body = vec![0x5au8; size];
        let mut wire = vec![0u8; alice.encrypted_len(size, false)];
        let (mut oa, mut ob) = olm_pair();
        let mut buf = vec![0x5au8; size];
        let clock = &b.clock;
        let mut caller_buffers = || {
            per_op(clock, iters, || {
                black_box(
                    send_in_place(
                        &mut rng,
                        T0,
                        &mut alice,
                        &mut bob,
                        black_box(&body),
                        &mut wire,
                    )
                    .unwrap(),
                );
            })
        };
        let mut raw = || per_op(clock, iters, || raw_aes_gcm::seal_open(black_box(&mut buf)));
        let p = paired(b.rounds, &mut caller_buffers, &mut raw);
        let caller_row = p;
        let (_, mut alice2, mut bob2) = sealwire::testing::in_chain_pair(5, T0).unwrap();
        let mut rng2 = sealwire::os_rng();
        let mut allocating = || {
            per_op(clock, iters, || {
                let m = alice2
                    .encrypt(&mut rng2, T0, Outgoing::message(black_box(&body)))
                    .unwrap()
                    .message;
                black_box(bob2.decrypt(T0, &m).unwrap());
            })
        };
        let alloc_row = paired(b.rounds, &mut allocating, &mut raw);
        let alloc_vs_caller = paired(b.rounds, &mut allocating, &mut caller_buffers);
        let olm_row = paired(b.rounds, &mut allocating, || {
            per_op(clock, iters, || {
                let m = oa.encrypt(black_box(&body)).unwrap();
                black_box(ob.decrypt(&m).unwrap());
            })
        });
        b.push_paired(
            &format!("{metric}, caller buffers"),
            "raw AES-256-GCM",
            &caller_row,
            Some(size),
            "seal + open in place, key setup included",
        );
        b.push_paired(
            &format!("{metric}, allocating"),
            "raw AES-256-GCM",
            &alloc_row,
            Some(size),
            "",
        );
        b.push_paired(
            &format!("{metric}, allocating"),
            "sealwire, caller buffers",
            &alloc_vs_caller,
            Some(size),
            "the allocating API over the caller-buffer API (goal at 64 KiB: ≤ 1.1×)",
        );
        b.push_paired(
            &format!("{metric}, allocating"),
            "Olm",
            &olm_row,
            Some(size),
            "Olm: AES-256-CBC + HMAC-SHA-256",
        );
    }
}

/// A group post and its receipt: sealwire's channel (`post_into` +
/// `receive_post_in_place`) against Megolm (`encrypt` + `decrypt`).
fn group(b: &mut Bench) {
    for (size, name, iters) in [(100, "100 B", 20), (1 << 20, "1 MiB", 2)] {
        let metric = format!("group post + receive {name}");
        if !b.wants(&metric) {
            continue;
        }
        let (mut ch, mut sub) = channel(6);
        let mut rng = sealwire::os_rng();
        let body = vec![0x5au8; size];
        let mut out = vec![0u8; ch.post_len(size)];
        let (mut mo, mut mi) = megolm_pair();
        let clock = &b.clock;
        let p: Paired = paired(
            b.rounds,
            || {
                per_op(clock, iters, || {
                    let (n, _) = ch
                        .post_into(
                            &mut rng,
                            T0,
                            ContentType::UserMessage,
                            black_box(&body),
                            &mut out,
                        )
                        .unwrap();
                    black_box(
                        sub.receive_post_in_place(T0, &mut out[..n])
                            .unwrap()
                            .body
                            .len(),
                    );
                })
            },
            || {
                per_op(clock, iters, || {
                    let m: MegolmMessage = mo.encrypt(black_box(&body));
                    black_box(mi.decrypt(&m).unwrap());
                })
            },
        );
        let note = if size > 100 {
            "sealwire: AES-256-CTR + SHA-256 + Ed25519; Megolm: AES-256-CBC + HMAC-SHA-256 + Ed25519 (over the whole message)"
        } else {
            ""
        };
        b.push_paired(&metric, "Megolm", &p, (size > 100).then_some(size), note);
    }
}

/// State sizes as stored: sealwire's sealed blob (and the plain one in the
/// note) against vodozemac's encrypted pickle.
fn state_sizes(b: &mut Bench) {
    let key = StorageKey::from_bytes(STATE_KEY);
    let mut rng = DangerDeterministicRng::from_u64(7);
    let owner = IdentityKeyPair::generate(&mut rng);
    let address = BlobAddress::local(*owner.public());
    let mut sealed_and_plain =
        |blob: &dyn Fn(&mut DangerDeterministicRng) -> (usize, usize)| blob(&mut rng);

    // An established classic session, steady state (in chain).
    let (_, alice, _) = sealwire::testing::in_chain_pair(8, T0).unwrap();
    let (sealed, plain) =
        sealed_and_plain(&|r| (alice.seal(&key, &address, r).len(), alice.to_blob().len()));
    let (oa, _) = olm_pair();
    let olm = oa.pickle().encrypt(&STATE_KEY).len();
    b.push_count(
        "state: established session (classic)",
        sealed as f64,
        "Olm session pickle",
        olm as f64,
        "B",
        &format!("sealwire sealed blob ({plain} B plain); vodozemac's encrypted pickle (base64)"),
    );

    // Responder sessions right after accept.
    let mut p = setup_parties(9).unwrap();
    let alice = Account::new();
    let mut bob = Account::new();
    let (_, (_, pre_key)) = olm_prekey_message(&alice, &mut bob, b"hello");
    let InboundCreationResult {
        session: olm_in, ..
    } = bob
        .create_inbound_session(SessionConfig::version_1(), alice.curve25519_key(), &pre_key)
        .unwrap();
    let olm_in = olm_in.pickle().encrypt(&STATE_KEY).len();
    for (metric, bundle) in [
        (
            "state: responder session after accept, classic",
            p.classic.clone(),
        ),
        ("state: responder session after accept, PQXDH", p.pq.clone()),
    ] {
        let hello = hello(&mut p, &bundle);
        let (session, _) = Session::accept(&p.bob, &mut p.bob_prekeys.clone(), T0, &hello).unwrap();
        let (sealed, plain) = sealed_and_plain(&|r| {
            (
                session.seal(&key, &address, r).len(),
                session.to_blob().len(),
            )
        });
        b.push_count(
            metric,
            sealed as f64,
            "Olm inbound session pickle",
            olm_in as f64,
            "B",
            &format!("sealwire sealed blob ({plain} B plain)"),
        );
    }

    // A group member holding one sender's chain.
    let (_, sub) = channel(10);
    let (sealed, plain) =
        sealed_and_plain(&|r| (sub.seal(&key, &address, r).len(), sub.to_blob().len()));
    let (_, mi) = megolm_pair();
    let megolm = mi.pickle().encrypt(&STATE_KEY).len();
    b.push_count(
        "state: group receiver, one sender",
        sealed as f64,
        "Megolm inbound pickle",
        megolm as f64,
        "B",
        &format!("sealwire sealed blob ({plain} B plain)"),
    );
}

/// Heap allocations per message (the average over 16 messages after
/// warm-up).
fn allocations(b: &mut Bench) {
    const N: usize = 16;
    let per = |n: u64| n as f64 / N as f64;
    let body = [0x5au8; 100];

    let (_, mut alice, mut bob) = sealwire::testing::in_chain_pair(11, T0).unwrap();
    let mut rng = sealwire::os_rng();
    let mut wire = vec![0u8; alice.encrypted_len(body.len(), false)];
    let (mut oa, mut ob) = olm_pair();
    let mut olm_round = || {
        let m = oa.encrypt(body).unwrap();
        black_box(ob.decrypt(&m).unwrap());
    };
    olm_round();
    let ((), olm) = count_allocations(|| (0..N).for_each(|_| olm_round()));
    let mut caller = || {
        black_box(send_in_place(&mut rng, T0, &mut alice, &mut bob, &body, &mut wire).unwrap());
    };
    caller();
    let ((), ours) = count_allocations(|| (0..N).for_each(|_| caller()));
    b.push_count(
        "allocations: 1:1 in-chain 100 B, encrypt + decrypt, caller buffers",
        per(ours),
        "Olm encrypt + decrypt",
        per(olm),
        "",
        "per message",
    );
    let mut allocating = || {
        let m = alice
            .encrypt(&mut rng, T0, Outgoing::message(&body))
            .unwrap()
            .message;
        black_box(bob.decrypt(T0, &m).unwrap());
    };
    allocating();
    let ((), ours) = count_allocations(|| (0..N).for_each(|_| allocating()));
    b.push_count(
        "allocations: 1:1 in-chain 100 B, encrypt + decrypt, allocating",
        per(ours),
        "Olm encrypt + decrypt",
        per(olm),
        "",
        "per message",
    );

    let (mut ch, mut sub) = channel(12);
    let (mut mo, mut mi) = megolm_pair();
    let mut out = vec![0u8; ch.post_len(body.len())];
    // Posts made outside the counted windows.
    let posts: Vec<Vec<u8>> = (0..=2 * N)
        .map(|_| ch.post(&mut rng, T0, &body).unwrap().bytes)
        .collect();
    let megolm_posts: Vec<MegolmMessage> = (0..=2 * N).map(|_| mo.encrypt(body)).collect();
    let mut posts = posts.into_iter();
    let mut megolm_posts = megolm_posts.into_iter();
    let mut p = posts.next().unwrap();
    sub.receive_post_in_place(T0, &mut p).unwrap();
    mi.decrypt(&megolm_posts.next().unwrap()).unwrap();
    let batch: Vec<Vec<u8>> = posts.by_ref().take(N).collect();
    let mbatch: Vec<MegolmMessage> = megolm_posts.by_ref().take(N).collect();
    let ((), ours) = count_allocations(|| {
        for mut p in batch {
            black_box(sub.receive_post_in_place(T0, &mut p).unwrap().body.len());
        }
    });
    let ((), megolm) = count_allocations(|| {
        for m in &mbatch {
            black_box(mi.decrypt(m).unwrap());
        }
    });
    b.push_count(
        "allocations: group receive 100 B, in place",
        per(ours),
        "Megolm decrypt",
        per(megolm),
        "",
        "per post",
    );
    let batch: Vec<Vec<u8>> = posts.by_ref().take(N).collect();
    let ((), ours) = count_allocations(|| {
        for p in &batch {
            black_box(sub.receive_post(T0, p).unwrap());
        }
    });
    b.push_count(
        "allocations: group receive 100 B, allocating",
        per(ours),
        "Megolm decrypt",
        per(megolm),
        "",
        "per post",
    );
    let ((), ours) = count_allocations(|| {
        for _ in 0..N {
            black_box(
                ch.post_into(&mut rng, T0, ContentType::UserMessage, &body, &mut out)
                    .unwrap(),
            );
        }
    });
    let ((), theirs) = count_allocations(|| {
        for _ in 0..N {
            black_box(mo.encrypt(body));
        }
    });
    b.push_count(
        "allocations: group post 100 B, caller buffer",
        per(ours),
        "Megolm encrypt",
        per(theirs),
        "",
        "per post",
    );
}
