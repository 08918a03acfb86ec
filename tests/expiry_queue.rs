//! `ExpiryQueue` against a naive reference model (a plain list scanned in
//! full), under random insert / mark-read / remove / pop sequences; and its
//! encoding.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use proptest::prelude::*;
use sealwire::expiry::{Expiry, ExpiryError, ExpiryQueue, MessageId};
use sealwire::{DecodeError, Timestamp};

/// The reference: a list of (id, deadline or pending ttl), scanned in full.
#[derive(Default)]
struct Naive {
    items: Vec<(u64, Result<u64, u64>)>, // Ok(deadline) | Err(ttl pending read)
}

impl Naive {
    fn insert(&mut self, id: u64, e: Result<u64, u64>) -> bool {
        if self.items.iter().any(|(i, _)| *i == id) {
            return false;
        }
        self.items.push((id, e));
        true
    }
    fn mark_read(&mut self, id: u64, now: u64) -> Option<u64> {
        let item = self.items.iter_mut().find(|(i, _)| *i == id)?;
        let d = match item.1 {
            Ok(d) => d,
            Err(ttl) => now.saturating_add(ttl),
        };
        item.1 = Ok(d);
        Some(d)
    }
    fn remove(&mut self, id: u64) -> bool {
        let before = self.items.len();
        self.items.retain(|(i, _)| *i != id);
        before != self.items.len()
    }
    fn next(&self) -> Option<u64> {
        self.items.iter().filter_map(|(_, e)| e.ok()).min()
    }
    fn pop(&mut self, now: u64) -> Vec<u64> {
        let mut due: Vec<(u64, u64)> = self
            .items
            .iter()
            .filter_map(|(i, e)| e.ok().filter(|d| *d <= now).map(|d| (d, *i)))
            .collect();
        due.sort();
        self.items.retain(|(_, e)| !matches!(e, Ok(d) if *d <= now));
        due.into_iter().map(|(_, i)| i).collect()
    }
}

#[derive(Debug, Clone)]
enum Op {
    InsertAt(u64, u64),
    InsertAfterRead(u64, u64),
    MarkRead(u64, u64),
    Remove(u64),
    Pop(u64),
    RoundTrip,
}

fn op() -> impl Strategy<Value = Op> {
    let id = 0u64..40;
    let t = 0u64..1_000;
    prop_oneof![
        (id.clone(), t.clone()).prop_map(|(i, d)| Op::InsertAt(i, d)),
        (id.clone(), t.clone()).prop_map(|(i, d)| Op::InsertAfterRead(i, d)),
        (id.clone(), t.clone()).prop_map(|(i, n)| Op::MarkRead(i, n)),
        id.prop_map(Op::Remove),
        t.prop_map(Op::Pop),
        Just(Op::RoundTrip),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn queue_matches_naive_model(ops in proptest::collection::vec(op(), 1..200)) {
        let mut q = ExpiryQueue::new();
        let mut m = Naive::default();
        for op in ops {
            match op {
                Op::InsertAt(i, d) => {
                    let ok = m.insert(i, Ok(d));
                    let got = q.insert(MessageId::from(i), Expiry::At(Timestamp::from_unix_millis(d)));
                    prop_assert_eq!(got.is_ok(), ok);
                    if !ok { prop_assert_eq!(got, Err(ExpiryError::DuplicateId)); }
                }
                Op::InsertAfterRead(i, ttl) => {
                    let ok = m.insert(i, Err(ttl));
                    prop_assert_eq!(q.insert(MessageId::from(i), Expiry::AfterRead { ttl_ms: ttl }).is_ok(), ok);
                }
                Op::MarkRead(i, now) => {
                    let want = m.mark_read(i, now);
                    let got = q.mark_read(MessageId::from(i), Timestamp::from_unix_millis(now));
                    prop_assert_eq!(got.map(|t| t.as_unix_millis()), want);
                }
                Op::Remove(i) => {
                    prop_assert_eq!(q.remove(MessageId::from(i)).is_some(), m.remove(i));
                }
                Op::Pop(now) => {
                    let want: Vec<MessageId> = m.pop(now).into_iter().map(MessageId::from).collect();
                    prop_assert_eq!(q.pop_expired(Timestamp::from_unix_millis(now)), want);
                }
                Op::RoundTrip => {
                    let bytes = q.encode();
                    prop_assert_eq!(bytes.len(), q.encoded_len());
                    let back = ExpiryQueue::decode(&bytes).unwrap();
                    prop_assert_eq!(&back, &q);
                    prop_assert_eq!(back.encode(), bytes);
                }
            }
            prop_assert_eq!(q.len(), m.items.len());
            prop_assert_eq!(q.is_empty(), m.items.is_empty());
            prop_assert_eq!(q.next_deadline().map(|t| t.as_unix_millis()), m.next());
        }
    }

    #[test]
    fn decode_never_panics_and_every_corruption_is_an_error(
        entries in proptest::collection::vec((any::<u64>(), any::<bool>(), any::<u64>()), 1..20),
        flip in any::<(usize, u8)>(),
    ) {
        let mut q = ExpiryQueue::new();
        for (id, read, v) in entries {
            let e = if read { Expiry::AfterRead { ttl_ms: v } } else { Expiry::At(Timestamp::from_unix_millis(v)) };
            let _ = q.insert(MessageId::from(id), e);
        }
        let bytes = q.encode();
        for cut in 0..bytes.len() {
            prop_assert!(ExpiryQueue::decode(&bytes[..cut]).is_err());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        prop_assert!(ExpiryQueue::decode(&longer).is_err());
        // Any single-byte change either fails or decodes to a queue that
        // re-encodes to exactly the changed bytes (values are free-form).
        let (pos, x) = flip;
        let mut changed = bytes.clone();
        let pos = pos % changed.len();
        changed[pos] ^= x.max(1);
        if let Ok(other) = ExpiryQueue::decode(&changed) {
            prop_assert_eq!(other.encode(), changed);
        }
    }

    #[test]
    fn arbitrary_bytes_decode_to_error_or_canonical_queue(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(q) = ExpiryQueue::decode(&bytes) {
            prop_assert_eq!(q.encode(), bytes);
        }
    }
}

#[test]
fn after_read_timer_starts_at_mark_read() {
    let mut q = ExpiryQueue::new();
    let id = MessageId::from(1);
    q.insert(id, Expiry::AfterRead { ttl_ms: 5_000 }).unwrap();
    assert_eq!(
        q.next_deadline(),
        None,
        "no deadline runs before the message is read"
    );
    assert!(
        q.pop_expired(Timestamp::from_unix_millis(u64::MAX))
            .is_empty()
    );
    let deadline = q
        .mark_read(id, Timestamp::from_unix_millis(10_000))
        .unwrap();
    assert_eq!(deadline, Timestamp::from_unix_millis(15_000));
    assert!(
        q.pop_expired(Timestamp::from_unix_millis(14_999))
            .is_empty()
    );
    assert_eq!(q.pop_expired(Timestamp::from_unix_millis(15_000)), vec![id]);
    assert!(q.is_empty());
}

#[test]
fn decode_rejects_unsorted_ids_unknown_kind_and_version() {
    let mut q = ExpiryQueue::new();
    q.insert(
        MessageId::from(1),
        Expiry::At(Timestamp::from_unix_millis(5)),
    )
    .unwrap();
    q.insert(MessageId::from(2), Expiry::AfterRead { ttl_ms: 7 })
        .unwrap();
    let bytes = q.encode();
    let mut swapped = bytes.clone();
    swapped[5..30].copy_from_slice(&bytes[30..55]);
    swapped[30..55].copy_from_slice(&bytes[5..30]);
    assert_eq!(
        ExpiryQueue::decode(&swapped),
        Err(ExpiryError::Malformed(DecodeError::InvalidValue))
    );
    let mut kind = bytes.clone();
    kind[5 + 16] = 9;
    assert_eq!(
        ExpiryQueue::decode(&kind),
        Err(ExpiryError::Malformed(DecodeError::InvalidValue))
    );
    let mut version = bytes;
    version[0] = 2;
    assert_eq!(
        ExpiryQueue::decode(&version),
        Err(ExpiryError::Malformed(DecodeError::UnsupportedVersion(2)))
    );
}
