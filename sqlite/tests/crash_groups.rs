//! Crash consistency of the group steps — `receive_group`, `post_group`,
//! a key distribution taken by `receive` — under SIGKILL, on a sealed
//! database; and what a SIGKILL in the middle of a group post leaves on
//! disk.
//!
//! The child (this binary re-executed with `--exact group_crash_child`
//! and `SEALWIRE_GROUP_CRASH_CHILD=<database path>`) is a group member; it
//! reads framed commands on stdin and answers once committed:
//!
//! | command | answer |
//! |---|---|
//! | `G` seq u32, post: `receive_group` it | `ack <seq> stored\|duplicate` |
//! | `P` n u32: post `childpost <n>` (unless posted already) | `posted <n>` |
//! | `Q`: list the posts not yet acknowledged | `out <id> <hex>`..., `end` |
//! | `D` id i64: `mark_group_post_delivered` | `delivered <id>` |
//!
//! The parent is the other member: it holds its group state and its 1:1
//! session with the child in memory. Set-up (in-process): the parent
//! creates the group and sends its chain over the session (the child's
//! `receive` takes it: a group not joined yet), the child joins
//! (`join_group`) and its chain reaches the parent. Then the parent streams
//! 600 posts in six rounds (shuffled within windows of 64), and after each
//! round the child posts three times; the parent fetches and opens the
//! child's queued posts. The child is killed with SIGKILL at random points
//! (at least 20 times), restarted, and everything not acknowledged is
//! delivered again. At the end: each of the parent's posts is stored once
//! with its body, each of the child's posts was made once and opened once
//! by the parent, no (chain, iteration) carried two different posts (no
//! post key used twice), nothing is left queued. After each kill, and
//! after kills aimed at the middle of a post, the file and its WAL hold
//! neither the parent's chain key nor any post body.
//!
//! `SEALWIRE_CRASH_SEED=<seed>` replays the schedule;
//! `SEALWIRE_CRASH_KILLS=<n>` (at least 20) sets the number of kills.

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
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::child::{Child, KillPlan, Killed, Next, frame, hex, unhex};
use common::{TempDir, file_bytes, occurs};
use sealwire::devices::DeviceSessions;
use sealwire::group::{Group, GroupError, parse_post_header};
use sealwire::persist::StorageKey;
use sealwire::rand_core::Rng;
use sealwire::testing::DangerDeterministicRng;
use sealwire::{
    ContentType, DeviceAddress, IdentityKey, IdentityKeyPair, Outgoing, PrekeyBundle, PrekeyStore,
    Timestamp,
};
use sealwire_sqlite::{
    Direction, DistributionOutcome, GroupReceiveOutcome, ReceiveOutcome, SqliteStore,
};

const CHILD_ENV: &str = "SEALWIRE_GROUP_CRASH_CHILD";
const SEED_ENV: &str = "SEALWIRE_CRASH_SEED";
const KILLS_ENV: &str = "SEALWIRE_CRASH_KILLS";
const KEY: [u8; 32] = [0x3c; 32];
/// The summary for `.ci/run` ("crash test report").
const REPORT: &str = "sealwire-crash-groups-test.txt";

const POSTS: usize = 600;
const ROUNDS: usize = 6;
const CHILD_POSTS_PER_ROUND: u32 = 3;
const WINDOW: usize = 64;
const MIN_KILLS: usize = 20;
const DEFAULT_KILLS: usize = 30;
const SILENCE: Duration = Duration::from_secs(30);
/// Every post body of the parent's starts with this, the child's with
/// [`CHILD_MARK`]: the scans look for them.
const PARENT_MARK: &[u8] = b"grouppost ";
const CHILD_MARK: &[u8] = b"childpost ";

fn parent_addr() -> DeviceAddress {
    DeviceAddress::new("parent", 1)
}

fn child_addr() -> DeviceAddress {
    DeviceAddress::new("child", 1)
}

fn open(db: &Path) -> SqliteStore {
    SqliteStore::open_sealed(db, StorageKey::from_bytes(KEY)).unwrap()
}

// ---------------------------------------------------------------- child

#[test]
fn group_crash_child() {
    let Some(db) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let mut store = open(&PathBuf::from(db));
    let group = store.groups().unwrap()[0].id;
    let mut rng = sealwire::os_rng();
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut out = std::io::stdout().lock();
    writeln!(out, "@@ ready").unwrap();
    out.flush().unwrap();
    loop {
        let mut head = [0u8; 5];
        if input.read_exact(&mut head).is_err() {
            return;
        }
        let len = u32::from_be_bytes(head[1..5].try_into().unwrap()) as usize;
        let mut payload = vec![0u8; len];
        input.read_exact(&mut payload).unwrap();
        let now = Timestamp::now();
        match head[0] {
            b'G' => {
                let seq = u32::from_be_bytes(payload[..4].try_into().unwrap());
                match store.receive_group(now, &payload[4..]) {
                    Ok(GroupReceiveOutcome::Duplicate) => writeln!(out, "@@ ack {seq} duplicate"),
                    Ok(_) => writeln!(out, "@@ ack {seq} stored"),
                    Err(e) => writeln!(out, "@@ error post {seq}: {e}"),
                }
                .unwrap();
            }
            b'P' => {
                let n = u32::from_be_bytes(payload[..4].try_into().unwrap());
                let mut body = CHILD_MARK.to_vec();
                body.extend_from_slice(n.to_string().as_bytes());
                let posted = store
                    .group_messages(&group)
                    .unwrap()
                    .iter()
                    .any(|m| m.direction == Direction::Out && m.body == body);
                if !posted {
                    store
                        .post_group(&child_addr(), &mut rng, now, &group, &body)
                        .unwrap();
                }
                writeln!(out, "@@ posted {n}").unwrap();
            }
            b'Q' => {
                for p in store.pending_group_posts(&group).unwrap() {
                    writeln!(out, "@@ out {} {}", p.id, hex(&p.bytes)).unwrap();
                }
                writeln!(out, "@@ end").unwrap();
            }
            b'D' => {
                let id = i64::from_be_bytes(payload[..8].try_into().unwrap());
                store.mark_group_post_delivered(id).unwrap();
                writeln!(out, "@@ delivered {id}").unwrap();
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
    Posted(u32),
    Out { id: i64, bytes: Vec<u8> },
    End,
    Delivered(i64),
    Error(String),
    Exited,
}

fn parse_line(line: &str) -> Option<Event> {
    let rest = line.strip_prefix("@@ ")?;
    let mut words = rest.split(' ');
    Some(match words.next()? {
        "ready" => Event::Ready,
        "ack" => Event::Ack {
            seq: words.next()?.parse().ok()?,
            duplicate: words.next()? == "duplicate",
        },
        "posted" => Event::Posted(words.next()?.parse().ok()?),
        "out" => Event::Out {
            id: words.next()?.parse().ok()?,
            bytes: unhex(words.next()?),
        },
        "end" => Event::End,
        "delivered" => Event::Delivered(words.next()?.parse().ok()?),
        "error" => Event::Error(rest.to_owned()),
        _ => return None,
    })
}

struct Harness {
    db: PathBuf,
    rng: DangerDeterministicRng,
    child: Option<Child<Event>>,
    kills: usize,
    target_kills: usize,
    group: Group,
    chain_key: Vec<u8>,
    posts: Vec<Vec<u8>>,
    acked: Vec<bool>,
    acked_count: usize,
    deliveries: usize,
    duplicates: usize,
    /// Every post of the child's by (chain, iteration): a second, different
    /// post at one place would be a post key used twice.
    child_keys: BTreeMap<(u32, u32), Vec<u8>>,
    /// How many times the parent opened each child post `n`.
    child_posts: BTreeMap<u32, usize>,
    scans: usize,
}

impl Harness {
    fn plan(&mut self) -> KillPlan {
        if self.kills >= self.target_kills {
            return KillPlan::Never;
        }
        if self.rng.next_u32() % 10 < 3 {
            return KillPlan::AfterTime(Duration::from_millis(self.rng.next_u64() % 60));
        }
        let remaining = POSTS - self.acked_count;
        let spread = (2 * remaining / (self.target_kills - self.kills)).max(1);
        let acks = 1 + (self.rng.next_u64() as usize) % spread;
        KillPlan::AfterAcks(acks, self.rng.next_u64() % 3000)
    }

    /// Nothing secret in the file or its WAL.
    fn scan(&mut self) {
        let bytes = file_bytes(&self.db);
        assert!(!occurs(&bytes, &self.chain_key), "the chain key on disk");
        assert!(!occurs(&bytes, PARENT_MARK), "a received post body on disk");
        assert!(!occurs(&bytes, CHILD_MARK), "a posted body on disk");
        self.scans += 1;
    }

    fn next_event(&mut self) -> Result<Event, Killed> {
        let child = self.child.as_mut().expect("no child");
        match child.next(SILENCE, |e| matches!(e, Event::Ack { .. })) {
            Next::KillNow => {
                self.child.take().unwrap().kill();
                self.kills += 1;
                self.scan();
                Err(Killed)
            }
            Next::Event(Event::Exited) => panic!("the child exited on its own"),
            Next::Event(Event::Error(e)) => panic!("the child failed: {e}"),
            Next::Event(event) => Ok(event),
        }
    }

    fn spawn(&mut self, plan: KillPlan) {
        self.child = Some(Child::spawn(
            "group_crash_child",
            CHILD_ENV,
            &self.db,
            plan,
            parse_line,
            Event::Exited,
        ));
    }

    fn ready_child(&mut self) -> Result<(), Killed> {
        if self.child.is_none() {
            let plan = self.plan();
            self.spawn(plan);
            self.flush_posts()?;
        }
        Ok(())
    }

    fn child(&self) -> &Child<Event> {
        self.child.as_ref().expect("no child")
    }

    /// Fetches the child's queued posts, opens them on the parent's side
    /// (a retransmitted one is a duplicate there) and acknowledges them.
    fn flush_posts(&mut self) -> Result<(), Killed> {
        self.child().send(frame(b'Q', &[]));
        let mut ids = Vec::new();
        loop {
            match self.next_event()? {
                Event::Out { id, bytes } => {
                    let h = parse_post_header(&bytes).unwrap();
                    let first = self
                        .child_keys
                        .entry((h.chain_id, h.iteration))
                        .or_insert(bytes.clone());
                    assert_eq!(*first, bytes, "a post key used twice");
                    match self.group.receive_post(Timestamp::now(), &bytes) {
                        Ok(got) => {
                            let text = got.plaintext.strip_prefix(CHILD_MARK).unwrap();
                            let n: u32 = std::str::from_utf8(text).unwrap().parse().unwrap();
                            *self.child_posts.entry(n).or_default() += 1;
                        }
                        Err(GroupError::DuplicatePost) => {}
                        Err(e) => panic!("parent could not open a post: {e}"),
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

    /// The child posts `childpost <n>`; returns once the parent opened it.
    fn child_post(&mut self, n: u32) {
        while !self.child_posts.contains_key(&n) {
            let step = (|| {
                self.ready_child()?;
                self.child().send(frame(b'P', &n.to_be_bytes()));
                match self.next_event()? {
                    Event::Posted(m) if m == n => {}
                    other => panic!("unexpected {other:?}"),
                }
                self.flush_posts()
            })();
            if step.is_err() {
                continue;
            }
        }
    }

    fn deliver(&mut self, seqs: &[usize]) {
        loop {
            let pending: Vec<usize> = seqs.iter().copied().filter(|s| !self.acked[*s]).collect();
            if pending.is_empty() {
                return;
            }
            if self.ready_child().is_err() {
                continue;
            }
            let mut order = pending;
            for window in order.chunks_mut(WINDOW) {
                for i in (1..window.len()).rev() {
                    let j = (self.rng.next_u64() % (i as u64 + 1)) as usize;
                    window.swap(i, j);
                }
            }
            let mut waiting = order.len();
            for seq in &order {
                let mut payload = (*seq as u32).to_be_bytes().to_vec();
                payload.extend_from_slice(&self.posts[*seq]);
                self.child().send(frame(b'G', &payload));
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

/// The child's database with the group set up: returns the parent's
/// group state and its chain key.
fn set_up(db: &Path, rng: &mut DangerDeterministicRng) -> (Group, Vec<u8>) {
    let now = Timestamp::now();
    let mut store = open(db);
    store.initialize(rng, 2).unwrap();
    let bundle = PrekeyBundle::parse(&store.bundle(rng, 2).unwrap()).unwrap();
    let child_key: IdentityKey = *bundle.identity_key();
    let parent_id = IdentityKeyPair::generate(rng);
    let mut parent_prekeys = PrekeyStore::new(&parent_id, rng);
    store
        .update_device_list("parent", &[(1, *parent_id.public())])
        .unwrap();
    let mut session = DeviceSessions::new();
    session
        .initiate(rng, &parent_id, &child_key, &bundle)
        .unwrap();
    let (mut group, dist) = Group::create(rng, now, *parent_id.public(), &[child_key]).unwrap();
    let chain_key = dist.body[26..58].to_vec();
    let message = session
        .encrypt(
            rng,
            now,
            &child_key,
            Outgoing::new(ContentType::GroupKeyDistribution, &dist.body),
        )
        .unwrap()
        .message;
    let got = store.receive(&parent_addr(), now, &message).unwrap();
    assert!(
        matches!(
            got,
            ReceiveOutcome::GroupKey {
                outcome: DistributionOutcome::Accepted { invited: true, .. },
                ..
            }
        ),
        "{got:?}"
    );
    let joined = store
        .join_group(&child_addr(), rng, now, group.id(), &["parent"])
        .unwrap();
    assert_eq!(joined.distributions.len(), 1);
    let received = session
        .decrypt(
            &parent_id,
            &mut parent_prekeys,
            &child_key,
            now,
            &joined.distributions[0].ciphertext,
        )
        .unwrap();
    assert!(group.accept_distribution(now, &received).unwrap());
    store.mark_delivered(joined.distributions[0].id).unwrap();
    (group, chain_key)
}

#[test]
fn group_member_survives_sigkill() {
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
    let seed_line = format!("group crash test seed: {seed} (replay with {SEED_ENV}={seed})");
    println!("{seed_line}");
    let dir = TempDir::new("crash-groups");
    let db = dir.file("member.db");
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let (group, chain_key) = set_up(&db, &mut rng);
    let mut h = Harness {
        db: db.clone(),
        rng,
        child: None,
        kills: 0,
        target_kills,
        group,
        chain_key,
        posts: Vec::with_capacity(POSTS),
        acked: vec![false; POSTS],
        acked_count: 0,
        deliveries: 0,
        duplicates: 0,
        child_keys: BTreeMap::new(),
        child_posts: BTreeMap::new(),
        scans: 0,
    };
    let bodies: Vec<Vec<u8>> = (0..POSTS)
        .map(|i| {
            let mut b = PARENT_MARK.to_vec();
            b.extend_from_slice(format!("{i:04} {:016x}", h.rng.next_u64()).as_bytes());
            b
        })
        .collect();
    let per_round = POSTS / ROUNDS;
    let mut n = 0u32;
    for round in 0..ROUNDS {
        let range = round * per_round..(round + 1) * per_round;
        for seq in range.clone() {
            let post = h
                .group
                .post(&mut h.rng, Timestamp::now(), &bodies[seq])
                .unwrap();
            assert!(post.rotation.is_none());
            h.posts.push(post.bytes);
        }
        let seqs: Vec<usize> = range.collect();
        h.deliver(&seqs);
        for _ in 0..CHILD_POSTS_PER_ROUND {
            h.child_post(n);
            n += 1;
        }
    }
    // Kills aimed at the middle of a post, each followed by the scan.
    let mut aimed = 0;
    while aimed < 5 {
        let _ = h.child.take().map(Child::finish);
        h.spawn(KillPlan::Never);
        if h.flush_posts().is_err() {
            continue;
        }
        h.child().send(frame(b'P', &n.to_be_bytes()));
        std::thread::sleep(Duration::from_micros(h.rng.next_u64() % 4000));
        h.child.take().unwrap().kill();
        h.kills += 1;
        h.scan();
        aimed += 1;
        n += 1;
    }
    // The aimed posts that committed reach the parent now.
    h.spawn(KillPlan::Never);
    h.flush_posts()
        .unwrap_or_else(|_| panic!("killed without a plan"));
    h.child.take().unwrap().finish();

    let store = open(&db);
    let id = h.group.id();
    let msgs = store.group_messages(&id).unwrap();
    let incoming: Vec<&[u8]> = msgs
        .iter()
        .filter(|m| m.direction == Direction::In)
        .map(|m| m.body.as_slice())
        .collect();
    assert_eq!(incoming.len(), POSTS, "posts stored");
    let mut counts: BTreeMap<&[u8], usize> = BTreeMap::new();
    for b in &incoming {
        *counts.entry(b).or_default() += 1;
    }
    for (seq, b) in bodies.iter().enumerate() {
        assert_eq!(counts.get(b.as_slice()), Some(&1), "post {seq}");
    }
    let mut outgoing: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
    for m in msgs.iter().filter(|m| m.direction == Direction::Out) {
        *outgoing.entry(m.body.clone()).or_default() += 1;
    }
    assert!(outgoing.values().all(|c| *c == 1), "a post made twice");
    for k in 0..ROUNDS as u32 * CHILD_POSTS_PER_ROUND {
        assert_eq!(
            h.child_posts.get(&k),
            Some(&1),
            "child post {k} opened once"
        );
    }
    // Each committed post reached the parent once, and nothing is queued.
    for body in outgoing.keys() {
        let k: u32 = std::str::from_utf8(body.strip_prefix(CHILD_MARK).unwrap())
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(h.child_posts.get(&k), Some(&1), "post {k} opened once");
    }
    assert_eq!(h.child_posts.len(), outgoing.len());
    assert!(store.pending_group_posts(&id).unwrap().is_empty());
    drop(store);
    h.scan();
    assert!(h.kills >= MIN_KILLS, "only {} kills", h.kills);
    let summary = format!(
        "group crash test: survived {} kills, {POSTS} posts stored exactly once \
         ({} deliveries written, {} duplicates acknowledged), {} posts of ours made and \
         opened once, no post key reused, {} scans of the file and WAL clean ({:.1} s)",
        h.kills,
        h.deliveries,
        h.duplicates,
        outgoing.len(),
        h.scans,
        started.elapsed().as_secs_f64()
    );
    println!("{summary}");
    common::write_report(&report, &[&seed_line, &summary]);
}
