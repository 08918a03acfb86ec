//! Model-based property test of a group.
//!
//! Several members start a group (every member's chain distributed to
//! every other), then run a random schedule of posts, deliveries in any
//! order (to any member), drops, duplicate deliveries, tampered copies,
//! member removals (everyone left removes the member and rotates) and
//! state-blob round trips. A small model predicts every delivery's
//! outcome:
//!
//! - a post delivered to a member who held the sender's chain when it was
//!   posted, and who has not removed the sender since, decrypts exactly
//!   once, to the right body and sender; every later delivery is
//!   `DuplicatePost`;
//! - any other delivery (a member removed before the post, a sender
//!   removed before the delivery, the sender itself) is `UnknownChain`;
//! - a tampered copy fails with a typed error and leaves the receiver
//!   exactly as it was;
//! - every sender's chain is held by exactly the members not removed.
//!
//! At the end every post not dropped is delivered to every member, so that
//! each (post, current member) pair is checked.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::needless_range_loop,
    missing_docs
)]

mod common;

use common::distribution_from;
use proptest::prelude::*;
use proptest::sample::Index;
use sealwire::group::{Group, GroupError, GroupId, POST_VERSION, parse_post_header};
use sealwire::persist::StateBlob;
use sealwire::testing::DangerDeterministicRng;
use sealwire::{IdentityKey, IdentityKeyPair, Timestamp};

const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);
const N: usize = 4;

#[derive(Clone, Debug)]
enum Op {
    Post {
        who: Index,
        len: usize,
    },
    Deliver {
        post: Index,
        to: Index,
    },
    Drop {
        post: Index,
        to: Index,
    },
    Tamper {
        post: Index,
        to: Index,
        pos: Index,
        mask: u8,
    },
    Remove(Index),
    Restore,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<Index>(), 0usize..200).prop_map(|(who, len)| Op::Post { who, len }),
        8 => (any::<Index>(), any::<Index>()).prop_map(|(post, to)| Op::Deliver { post, to }),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(post, to)| Op::Drop { post, to }),
        1 => (any::<Index>(), any::<Index>(), any::<Index>(), 1u8..)
            .prop_map(|(post, to, pos, mask)| Op::Tamper { post, to, pos, mask }),
        1 => any::<Index>().prop_map(Op::Remove),
        1 => Just(Op::Restore),
    ]
}

struct PostRec {
    from: usize,
    bytes: Vec<u8>,
    body: Vec<u8>,
    /// Held the sender's chain when it was posted.
    recipients: [bool; N],
    delivered: [bool; N],
    dropped: [bool; N],
}

struct World {
    rng: DangerDeterministicRng,
    /// The members' identities (the senders of the 1:1 sessions that carry
    /// distributions).
    pairs: Vec<IdentityKeyPair>,
    ids: Vec<IdentityKey>,
    groups: Vec<Group>,
    removed: [bool; N],
    /// `forgot[m][s]`: member m removed sender s.
    forgot: [[bool; N]; N],
    posts: Vec<PostRec>,
    decrypted: usize,
}

impl World {
    fn new(seed: u64) -> Self {
        let mut rng = DangerDeterministicRng::from_u64(seed);
        let pairs: Vec<IdentityKeyPair> = (0..N)
            .map(|_| IdentityKeyPair::generate(&mut rng))
            .collect();
        let ids: Vec<IdentityKey> = pairs.iter().map(|p| *p.public()).collect();
        let gid = GroupId::random(&mut rng);
        let mut groups = Vec::new();
        let mut dists = Vec::new();
        for i in 0..N {
            let others: Vec<IdentityKey> = (0..N).filter(|j| *j != i).map(|j| ids[j]).collect();
            let (g, d) = Group::create_with_id(&mut rng, T0, gid, ids[i], &others).unwrap();
            groups.push(g);
            dists.push(d);
        }
        let mut w = World {
            rng,
            pairs,
            ids,
            groups,
            removed: [false; N],
            forgot: [[false; N]; N],
            posts: Vec::new(),
            decrypted: 0,
        };
        for (i, d) in dists.iter().enumerate() {
            w.distribute(i, d);
        }
        w
    }

    fn idx(&self, k: &IdentityKey) -> usize {
        self.ids.iter().position(|x| x == k).unwrap()
    }

    fn distribute(&mut self, from: usize, d: &sealwire::group::Distribution) {
        for r in &d.recipients {
            let to = self.idx(r);
            assert!(
                self.groups[to]
                    .accept_distribution(T0, &distribution_from(&self.pairs[from], T0, &d.body))
                    .unwrap()
            );
        }
    }

    fn expected_ok(&self, p: usize, m: usize) -> bool {
        let rec = &self.posts[p];
        rec.recipients[m] && !self.forgot[m][rec.from]
    }

    fn deliver(&mut self, p: usize, m: usize) {
        let expected_ok = self.expected_ok(p, m);
        let before = self.groups[m].clone();
        let res = self.groups[m].receive_post(T0, &self.posts[p].bytes);
        let rec = &mut self.posts[p];
        match res {
            Ok(got) => {
                assert!(expected_ok, "post {p} to {m} decrypted unexpectedly");
                assert!(!rec.delivered[m], "post {p} decrypted twice at {m}");
                assert_eq!(&got.plaintext[..], &rec.body[..]);
                assert_eq!(got.sender, self.ids[rec.from]);
                rec.delivered[m] = true;
                self.decrypted += 1;
            }
            Err(e) => {
                let want = if !expected_ok {
                    GroupError::UnknownChain
                } else if rec.delivered[m] {
                    GroupError::DuplicatePost
                } else {
                    panic!("post {p} to {m} failed: {e:?}")
                };
                assert_eq!(e, want, "post {p} to {m}");
                assert!(self.groups[m] == before, "{e:?} changed member {m}");
            }
        }
    }

    fn run(&mut self, op: &Op) {
        self.apply(op);
        for (m, g) in self.groups.iter().enumerate() {
            assert!(
                sealwire::testing::group_indexes_are_consistent(g),
                "member {m}'s chain index after {op:?}"
            );
        }
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Post { who, len } => {
                let from = who.index(N);
                let body: Vec<u8> = (0..*len)
                    .map(|i| (i as u8) ^ (self.posts.len() as u8))
                    .collect();
                let post = self.groups[from].post(&mut self.rng, T0, &body).unwrap();
                assert!(post.rotation.is_none());
                // Post version 0x03: every post carries fresh `r`.
                assert_eq!(post.bytes[0], POST_VERSION);
                assert_eq!(POST_VERSION, 0x03);
                let r = parse_post_header(&post.bytes).unwrap().random;
                assert!(
                    self.posts
                        .iter()
                        .all(|q| parse_post_header(&q.bytes).unwrap().random != r),
                    "r repeated"
                );
                let holders = self.groups[from].current_holders();
                let mut recipients = [false; N];
                for h in &holders {
                    recipients[self.idx(h)] = true;
                }
                if !self.removed[from] {
                    for m in 0..N {
                        assert_eq!(
                            recipients[m],
                            m != from && !self.removed[m],
                            "holders of {from}"
                        );
                    }
                }
                self.posts.push(PostRec {
                    from,
                    bytes: post.bytes,
                    body,
                    recipients,
                    delivered: [false; N],
                    dropped: [false; N],
                });
            }
            Op::Deliver { post, to } => {
                if self.posts.is_empty() {
                    return;
                }
                let p = post.index(self.posts.len());
                let m = to.index(N);
                if !self.posts[p].dropped[m] {
                    self.deliver(p, m);
                }
            }
            Op::Drop { post, to } => {
                if self.posts.is_empty() {
                    return;
                }
                let p = post.index(self.posts.len());
                let m = to.index(N);
                if !self.posts[p].delivered[m] {
                    self.posts[p].dropped[m] = true;
                }
            }
            Op::Tamper {
                post,
                to,
                pos,
                mask,
            } => {
                if self.posts.is_empty() {
                    return;
                }
                let p = post.index(self.posts.len());
                let m = to.index(N);
                let mut bad = self.posts[p].bytes.clone();
                let at = pos.index(bad.len());
                bad[at] ^= mask;
                let before = self.groups[m].clone();
                assert!(self.groups[m].receive_post(T0, &bad).is_err());
                assert!(
                    self.groups[m] == before,
                    "a tampered post changed member {m}"
                );
            }
            Op::Remove(who) => {
                let x = who.index(N);
                if self.removed[x] || self.removed.iter().filter(|r| !**r).count() <= 2 {
                    return;
                }
                for m in 0..N {
                    if m == x || self.removed[m] {
                        continue;
                    }
                    let d = self.groups[m]
                        .remove_member(&mut self.rng, T0, &self.ids[x])
                        .unwrap();
                    assert!(!d.is_recipient(&self.ids[x]));
                    self.forgot[m][x] = true;
                    self.distribute(m, &d);
                }
                self.removed[x] = true;
            }
            Op::Restore => {
                for g in &mut self.groups {
                    let back = Group::from_blob(&g.to_blob()).unwrap();
                    assert!(back == *g);
                    *g = back;
                }
            }
        }
    }

    fn finish(&mut self) {
        for p in 0..self.posts.len() {
            for m in 0..N {
                if !self.posts[p].dropped[m] && m != self.posts[p].from {
                    self.deliver(p, m);
                }
            }
        }
        // Every post reached every member that should read it exactly once.
        for (p, rec) in self.posts.iter().enumerate() {
            for m in 0..N {
                if rec.dropped[m] || m == rec.from {
                    continue;
                }
                // Decrypted (then or before the sender's removal), or not
                // for this member.
                assert!(
                    rec.delivered[m] || !rec.recipients[m] || self.forgot[m][rec.from],
                    "post {p} never decrypted at {m}"
                );
                assert!(!rec.delivered[m] || rec.recipients[m], "post {p} at {m}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn group_model(seed in any::<u64>(), ops in proptest::collection::vec(op(), 1..80)) {
        let mut w = World::new(seed);
        for op in &ops {
            w.run(op);
        }
        w.finish();
    }
}
