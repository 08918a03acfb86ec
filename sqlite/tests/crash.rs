//! Crash consistency of `SqliteStore::receive` and `send` under SIGKILL.
//!
//! The receiver is a child process: this test binary re-executed with
//! `--exact crash_child` and `SEALWIRE_CRASH_CHILD=<database path>`. It
//! reads commands on stdin and answers on stdout (lines starting `@@ `):
//!
//! | command (type byte, u32 BE length, payload) | answer, once committed |
//! |---|---|
//! | `M` seq u32, ciphertext: `receive` it | `ack <seq> stored\|duplicate` |
//! | `R` n u32: send `reply <n>` (unless already sent) | `sent <n>` |
//! | `O`: list the outbox | `out <id> <hex>`..., `end` |
//! | `D` id i64: `mark_delivered` | `delivered <id>` |
//! | `B`: publish a bundle (`bundle`, refilling one-time prekeys) | `bundle <hex>` |
//!
//! The parent holds the sender's sessions with the receiver in memory (a
//! `DeviceSessions`). Before the first spawn it creates the receiver's
//! identity and prekeys in the database and starts a session from the
//! bundle. It then streams 2,000 messages with distinct plaintexts in four
//! chains of 500: each chain is delivered in a random order within windows
//! of 64, eight messages of each chain are held back until the next chain
//! (so that old-chain messages arrive after a ratchet turn), and between
//! chains the receiver replies through the send helper (the reply, fetched
//! from its outbox, turns the sender's ratchet). Before the third chain
//! the sender restarts: it fetches a fresh bundle from the receiver and
//! starts a new session, whose first message is delivered first; the
//! second chain's held-back messages, of the old session, then arrive
//! mixed with the new session's and must open in the receiver's previous
//! session, and the last reply comes over the new one.
//!
//! The parent kills the child with SIGKILL at random points (up to 3 ms
//! after a random number of acknowledgements, or up to 60 ms after a spawn:
//! during start-up, WAL recovery, a transaction, between a commit and its
//! acknowledgement, during an outbox exchange), at least 20 times, restarts
//! it, flushes its outbox and redelivers every message not acknowledged,
//! in a fresh order. At the end every message is stored exactly once with
//! its plaintext, every reply was sent once, no two different replies
//! share a message key (ratchet key and counter), the receiver holds the
//! new session as current and the old one as previous, and the session
//! works both ways.
//!
//! The schedule comes from a seed printed at the start;
//! `SEALWIRE_CRASH_SEED=<seed>` replays it (the kill points also depend on
//! timing). `SEALWIRE_CRASH_KILLS=<n>` (at least 20) sets the target number
//! of kills (default 30).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::print_stdout,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufReader, Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::TempDir;
use common::child::{Child, KillPlan, Killed, Next, frame, hex, unhex};
use sealwire::DeviceAddress;
use sealwire::devices::DeviceSessions;
use sealwire::rand_core::Rng;
use sealwire::store::SessionStorage;
use sealwire::testing::DangerDeterministicRng;
use sealwire::wire::Message;
use sealwire::{
    IdentityKey, IdentityKeyPair, Outgoing, PrekeyBundle, PrekeyStore, SessionError, Timestamp,
};
use sealwire_sqlite::{ReceiveOutcome, SqliteStore};

const CHILD_ENV: &str = "SEALWIRE_CRASH_CHILD";
const SEED_ENV: &str = "SEALWIRE_CRASH_SEED";
const KILLS_ENV: &str = "SEALWIRE_CRASH_KILLS";

const MESSAGES: usize = 2000;
const CHAINS: usize = 4;
const PER_CHAIN: usize = MESSAGES / CHAINS;
const WINDOW: usize = 64;
const HELD_BACK: usize = 8;
/// The chain before which the sender restarts its session.
const RESTART_CHAIN: usize = 2;
const MIN_KILLS: usize = 20;
const DEFAULT_KILLS: usize = 30;
/// A child that says nothing for this long is stuck: the test fails.
const SILENCE: Duration = Duration::from_secs(30);

/// The summary for `.ci/run` ("crash test report").
const REPORT: &str = "sealwire-crash-test.txt";

fn sender_addr() -> DeviceAddress {
    DeviceAddress::new("sender", 1)
}

// ---------------------------------------------------------------- child

/// The receiver. Runs only in the child process (the environment variable
/// names its database); in a normal test run it returns at once.
#[test]
fn crash_child() {
    let Some(db) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let mut store = SqliteStore::open(PathBuf::from(db)).unwrap();
    let mut rng = sealwire::os_rng();
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut out = std::io::stdout().lock();
    let peer = sender_addr();
    writeln!(out, "@@ ready").unwrap();
    out.flush().unwrap();
    loop {
        let mut head = [0u8; 5];
        if input.read_exact(&mut head).is_err() {
            return; // the parent closed our stdin: done
        }
        let len = u32::from_be_bytes(head[1..5].try_into().unwrap()) as usize;
        let mut payload = vec![0u8; len];
        input.read_exact(&mut payload).unwrap();
        let now = Timestamp::now();
        match head[0] {
            b'M' => {
                let seq = u32::from_be_bytes(payload[..4].try_into().unwrap());
                match store.receive(&peer, now, &payload[4..]) {
                    Ok(ReceiveOutcome::Duplicate) => writeln!(out, "@@ ack {seq} duplicate"),
                    Ok(_) => writeln!(out, "@@ ack {seq} stored"),
                    Err(e) => writeln!(out, "@@ error message {seq}: {e}"),
                }
                .unwrap();
            }
            b'R' => {
                let n = u32::from_be_bytes(payload[..4].try_into().unwrap());
                let body = format!("reply {n}");
                let already: i64 = store
                    .connection()
                    .query_row(
                        "SELECT count(*) FROM messages WHERE direction = 'out' AND body = ?1",
                        [body.as_bytes()],
                        |row| row.get(0),
                    )
                    .unwrap();
                if already == 0 {
                    store.send(&peer, &mut rng, now, body.as_bytes()).unwrap();
                }
                writeln!(out, "@@ sent {n}").unwrap();
            }
            b'O' => {
                for entry in store.pending_outbox(&peer).unwrap() {
                    writeln!(out, "@@ out {} {}", entry.id, hex(&entry.ciphertext)).unwrap();
                }
                writeln!(out, "@@ end").unwrap();
            }
            b'D' => {
                let id = i64::from_be_bytes(payload[..8].try_into().unwrap());
                store.mark_delivered(id).unwrap();
                writeln!(out, "@@ delivered {id}").unwrap();
            }
            b'B' => {
                let bundle = store.bundle(&mut rng, 5).unwrap();
                writeln!(out, "@@ bundle {}", hex(&bundle)).unwrap();
            }
            other => panic!("unknown command {other}"),
        }
        out.flush().unwrap();
    }
}

// --------------------------------------------------------------- parent

#[derive(Debug)]
enum Event {
    Ready,
    Ack { seq: usize, duplicate: bool },
    Sent(u32),
    Out { id: i64, ciphertext: Vec<u8> },
    End,
    Delivered(i64),
    Bundle(Vec<u8>),
    Error(String),
    Exited,
}

fn parse_line(line: &str) -> Option<Event> {
    let rest = line.strip_prefix("@@ ")?;
    let mut words = rest.split(' ');
    let event = match words.next()? {
        "ready" => Event::Ready,
        "ack" => Event::Ack {
            seq: words.next()?.parse().ok()?,
            duplicate: words.next()? == "duplicate",
        },
        "sent" => Event::Sent(words.next()?.parse().ok()?),
        "out" => Event::Out {
            id: words.next()?.parse().ok()?,
            ciphertext: unhex(words.next()?),
        },
        "end" => Event::End,
        "delivered" => Event::Delivered(words.next()?.parse().ok()?),
        "bundle" => Event::Bundle(unhex(words.next()?)),
        "error" => Event::Error(rest.to_owned()),
        _ => return None,
    };
    Some(event)
}

/// The parent's side: the sender's session and the receiver's process.
struct Harness {
    db: PathBuf,
    rng: DangerDeterministicRng,
    child: Option<Child<Event>>,
    kills: usize,
    target_kills: usize,
    /// The sender's sessions with the receiver, its identity and its
    /// prekeys (needed by `DeviceSessions::decrypt`; never used: the
    /// receiver starts no session).
    sender: DeviceSessions,
    sender_id: IdentityKeyPair,
    sender_prekeys: PrekeyStore,
    receiver_key: IdentityKey,
    /// Every reply ciphertext by its message key's place (ratchet key,
    /// counter): a second ciphertext at one place would be a key reused.
    reply_keys: BTreeMap<([u8; 32], u32), Vec<u8>>,
    ciphertexts: Vec<Vec<u8>>,
    acked: Vec<bool>,
    acked_count: usize,
    deliveries: usize,
    duplicates: usize,
    replies: BTreeMap<u32, usize>,
}

impl Harness {
    fn plan(&mut self) -> KillPlan {
        if self.kills >= self.target_kills {
            return KillPlan::Never;
        }
        if self.rng.next_u32() % 10 < 3 {
            // Somewhere in start-up, recovery, the outbox exchange or the
            // first transactions.
            return KillPlan::AfterTime(Duration::from_millis(self.rng.next_u64() % 60));
        }
        let remaining = MESSAGES - self.acked_count;
        let spread = (2 * remaining / (self.target_kills - self.kills)).max(1);
        let acks = 1 + (self.rng.next_u64() as usize) % spread;
        KillPlan::AfterAcks(acks, self.rng.next_u64() % 3000)
    }

    /// The next answer of the child, spawning one if needed; `Err` if the
    /// child was killed by plan in the meantime.
    fn next_event(&mut self) -> Result<Event, Killed> {
        let child = self.child.as_mut().expect("no child");
        match child.next(SILENCE, |e| matches!(e, Event::Ack { .. })) {
            Next::KillNow => {
                self.child.take().unwrap().kill();
                self.kills += 1;
                Err(Killed)
            }
            Next::Event(Event::Exited) => panic!("the receiver exited on its own"),
            Next::Event(Event::Error(e)) => panic!("the receiver failed: {e}"),
            Next::Event(event) => Ok(event),
        }
    }

    /// A running child whose outbox has been delivered to the sender.
    fn ready_child(&mut self) -> Result<(), Killed> {
        if self.child.is_none() {
            let plan = self.plan();
            self.child = Some(Child::spawn(
                "crash_child",
                CHILD_ENV,
                &self.db,
                plan,
                parse_line,
                Event::Exited,
            ));
            self.flush_outbox()?;
        }
        Ok(())
    }

    fn child(&self) -> &Child<Event> {
        self.child.as_ref().expect("no child")
    }

    /// Fetches the receiver's unacknowledged ciphertexts, decrypts them on
    /// the sender's side (a retransmitted one is a duplicate there) and
    /// acknowledges them.
    fn flush_outbox(&mut self) -> Result<(), Killed> {
        self.child().send(frame(b'O', &[]));
        let mut ids = Vec::new();
        loop {
            match self.next_event()? {
                Event::Out { id, ciphertext } => {
                    let Ok(Message::Ratchet(m)) = Message::parse(&ciphertext) else {
                        panic!("a reply is a ratchet message");
                    };
                    let place = (m.header.ratchet_key, m.header.counter);
                    let first = self.reply_keys.entry(place).or_insert(ciphertext.clone());
                    assert_eq!(*first, ciphertext, "a message key used twice");
                    let decrypted = self.sender.decrypt(
                        &self.sender_id,
                        &mut self.sender_prekeys,
                        &self.receiver_key,
                        Timestamp::now(),
                        &ciphertext,
                    );
                    match decrypted {
                        Ok(received) => {
                            let text = String::from_utf8(received.plaintext.to_vec()).unwrap();
                            let n: u32 = text.strip_prefix("reply ").unwrap().parse().unwrap();
                            *self.replies.entry(n).or_default() += 1;
                        }
                        Err(SessionError::DuplicateMessage) => {}
                        Err(e) => panic!("sender could not decrypt reply: {e}"),
                    }
                    ids.push(id);
                }
                Event::End => break,
                Event::Ready => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        for id in &ids {
            self.child().send(frame(b'D', &id.to_be_bytes()));
        }
        for id in ids {
            match self.next_event()? {
                Event::Delivered(d) if d == id => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        Ok(())
    }

    /// The receiver sends `reply <n>`; returns once the sender has
    /// decrypted it (its next messages start a new chain).
    fn reply(&mut self, n: u32) {
        while !self.replies.contains_key(&n) {
            let step = (|| {
                self.ready_child()?;
                if self.replies.contains_key(&n) {
                    return Ok(());
                }
                self.child().send(frame(b'R', &n.to_be_bytes()));
                match self.next_event()? {
                    Event::Sent(m) if m == n => {}
                    other => panic!("unexpected {other:?}"),
                }
                self.flush_outbox()
            })();
            if step.is_err() {
                continue; // killed: start again
            }
        }
    }

    /// A fresh bundle of the receiver's (a kill in between: asked again).
    fn fetch_bundle(&mut self) -> PrekeyBundle {
        loop {
            let step = (|| -> Result<Vec<u8>, Killed> {
                self.ready_child()?;
                self.child().send(frame(b'B', &[]));
                match self.next_event()? {
                    Event::Bundle(bytes) => Ok(bytes),
                    other => panic!("unexpected {other:?}"),
                }
            })();
            if let Ok(bytes) = step {
                return PrekeyBundle::parse(&bytes).unwrap();
            }
        }
    }

    /// The sender restarts: a new session from a fresh bundle becomes its
    /// current one (the old one previous).
    fn restart(&mut self) {
        let bundle = self.fetch_bundle();
        assert_eq!(bundle.identity_key(), &self.receiver_key);
        self.sender
            .initiate(&mut self.rng, &self.sender_id, &self.receiver_key, &bundle)
            .unwrap();
    }

    /// Delivers `seqs` until every one is acknowledged, in a fresh random
    /// order after every kill.
    fn deliver(&mut self, seqs: &[usize]) {
        loop {
            let pending: Vec<usize> = seqs.iter().copied().filter(|s| !self.acked[*s]).collect();
            if pending.is_empty() {
                return;
            }
            if self.ready_child().is_err() {
                continue;
            }
            let order = shuffled_in_windows(&mut self.rng, pending);
            let mut waiting = order.len();
            for seq in &order {
                let mut payload = (*seq as u32).to_be_bytes().to_vec();
                payload.extend_from_slice(&self.ciphertexts[*seq]);
                self.child().send(frame(b'M', &payload));
                self.deliveries += 1;
            }
            while waiting > 0 {
                match self.next_event() {
                    Ok(Event::Ack { seq, duplicate }) => {
                        if !self.acked[seq] {
                            self.acked[seq] = true;
                            self.acked_count += 1;
                        }
                        if duplicate {
                            self.duplicates += 1;
                        }
                        waiting -= 1;
                    }
                    Ok(other) => panic!("unexpected {other:?}"),
                    Err(Killed) => break,
                }
            }
        }
    }
}

/// `items` shuffled within consecutive windows of [`WINDOW`].
fn shuffled_in_windows(rng: &mut DangerDeterministicRng, mut items: Vec<usize>) -> Vec<usize> {
    for window in items.chunks_mut(WINDOW) {
        for i in (1..window.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            window.swap(i, j);
        }
    }
    items
}

#[test]
fn receiver_survives_sigkill() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let started = Instant::now();
    let seed: u64 = match std::env::var(SEED_ENV) {
        Ok(s) => s.parse().expect("SEALWIRE_CRASH_SEED: a number"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    };
    let target_kills: usize = match std::env::var(KILLS_ENV) {
        Ok(s) => s.parse().expect("SEALWIRE_CRASH_KILLS: a number"),
        Err(_) => DEFAULT_KILLS,
    };
    assert!(target_kills >= MIN_KILLS);
    let report = common::report_path(REPORT);
    let _ = std::fs::remove_file(&report);
    let seed_line = format!("crash test seed: {seed} (replay with {SEED_ENV}={seed})");
    println!("{seed_line}");

    let dir = TempDir::new("crash");
    let db = dir.file("receiver.db");
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let bundle = {
        let mut store = SqliteStore::open(&db).unwrap();
        store.initialize(&mut rng, 5).unwrap();
        store.bundle(&mut rng, 5).unwrap()
    };
    let sender_id = IdentityKeyPair::generate(&mut rng);
    let sender_prekeys = PrekeyStore::new(&sender_id, &mut rng);
    let bundle = PrekeyBundle::parse(&bundle).unwrap();
    let receiver_key = *bundle.identity_key();
    let mut sender = DeviceSessions::new();
    sender
        .initiate(&mut rng, &sender_id, &receiver_key, &bundle)
        .unwrap();
    let plaintexts: Vec<Vec<u8>> = (0..MESSAGES)
        .map(|i| format!("message {i:04} {:016x}", rng.next_u64()).into_bytes())
        .collect();

    let mut h = Harness {
        db: db.clone(),
        rng,
        child: None,
        kills: 0,
        target_kills,
        sender,
        sender_id,
        sender_prekeys,
        receiver_key,
        reply_keys: BTreeMap::new(),
        ciphertexts: Vec::with_capacity(MESSAGES),
        acked: vec![false; MESSAGES],
        acked_count: 0,
        deliveries: 0,
        duplicates: 0,
        replies: BTreeMap::new(),
    };
    let mut held: Vec<usize> = Vec::new();
    for chain in 0..CHAINS {
        if chain > 0 {
            h.reply(chain as u32);
        }
        if chain == RESTART_CHAIN {
            h.restart();
        }
        let range = chain * PER_CHAIN..(chain + 1) * PER_CHAIN;
        for seq in range.clone() {
            let c = h
                .sender
                .encrypt(
                    &mut h.rng,
                    Timestamp::now(),
                    &h.receiver_key,
                    Outgoing::message(&plaintexts[seq]),
                )
                .unwrap()
                .message;
            h.ciphertexts.push(c);
        }
        // Release the previous chain's held-back messages; hold back some
        // of this one's until after the next ratchet turn.
        held.clear();
        if chain + 1 < CHAINS {
            while held.len() < HELD_BACK {
                let seq = range.start + 1 + (h.rng.next_u64() as usize) % (PER_CHAIN - 1);
                if !held.contains(&seq) {
                    held.push(seq);
                }
            }
        }
        if chain == RESTART_CHAIN {
            // The new session first: the old one's held-back messages then
            // arrive at a receiver whose old session is previous.
            h.deliver(&[range.start]);
        }
        let deliverable: Vec<usize> = (0..range.end).filter(|s| !held.contains(s)).collect();
        h.deliver(&deliverable);
    }
    if let Some(child) = h.child.take() {
        child.finish();
    }
    let kills = h.kills;

    // Every message exactly once, with its plaintext; every reply once.
    let mut store = SqliteStore::open(&db).unwrap();
    let mut stmt = store
        .connection()
        .prepare("SELECT body FROM messages WHERE direction = 'in' ORDER BY id")
        .unwrap();
    let bodies: Vec<Vec<u8>> = stmt
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    drop(stmt);
    assert_eq!(bodies.len(), MESSAGES, "rows stored");
    let mut counts: BTreeMap<&[u8], usize> = BTreeMap::new();
    for b in &bodies {
        *counts.entry(b.as_slice()).or_default() += 1;
    }
    for (seq, p) in plaintexts.iter().enumerate() {
        assert_eq!(counts.get(p.as_slice()), Some(&1), "message {seq}");
    }
    for n in 1..CHAINS as u32 {
        assert_eq!(h.replies.get(&n), Some(&1), "reply {n} decrypted once");
        let sent: i64 = store
            .connection()
            .query_row(
                "SELECT count(*) FROM messages WHERE direction = 'out' AND body = ?1",
                [format!("reply {n}").as_bytes()],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(sent, 1, "reply {n} stored once");
    }
    assert!(store.pending_outbox(&sender_addr()).unwrap().is_empty());
    // The receiver holds the new session as current, the old one as
    // previous; so does the sender.
    let held = store.load_sessions(&sender_addr()).unwrap().unwrap();
    assert!(held.current().unwrap().is_established());
    assert_eq!(held.previous().len(), 1);
    assert_eq!(h.sender.previous().len(), 1);

    // The session still works both ways.
    let now = Timestamp::now();
    let out = store
        .send(&sender_addr(), &mut h.rng, now, b"final reply")
        .unwrap();
    let got = h
        .sender
        .decrypt(
            &h.sender_id,
            &mut h.sender_prekeys,
            &h.receiver_key,
            now,
            &out.ciphertext,
        )
        .unwrap();
    assert_eq!(&got.plaintext[..], b"final reply");
    let last = h
        .sender
        .encrypt(
            &mut h.rng,
            now,
            &h.receiver_key,
            Outgoing::message(b"final message"),
        )
        .unwrap()
        .message;
    match store.receive(&sender_addr(), now, &last).unwrap() {
        ReceiveOutcome::Stored { received, .. } => {
            assert_eq!(&received.plaintext[..], b"final message");
        }
        other => panic!("{other:?}"),
    }

    assert!(
        kills >= MIN_KILLS,
        "only {kills} kills (target {target_kills})"
    );
    let summary = format!(
        "crash test: survived {kills} kills, {MESSAGES} messages stored exactly once \
         ({} deliveries written, {} duplicates acknowledged, {} replies, \
         1 session restart, {:.1} s)",
        h.deliveries,
        h.duplicates,
        h.replies.len(),
        started.elapsed().as_secs_f64()
    );
    println!("{summary}");
    common::write_report(&report, &[&seed_line, &summary]);
}
