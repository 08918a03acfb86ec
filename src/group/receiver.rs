//! What a receiver keeps per sender: up to
//! [`MAX_SENDER_CHAIN_STATES`](crate::limits::MAX_SENDER_CHAIN_STATES)
//! chains, the skipped post keys and the positions whose key was evicted
//! (SPEC.md §20.5). Their erasure on schedule is in `group::retention`.

use alloc::vec::Vec;

use ed25519_dalek::VerifyingKey;

use crate::group::chain::{GroupChainKey, GroupMessageKey};
use crate::identity::IdentityKey;
use crate::limits::{MAX_GROUP_SKIPPED_KEYS, MAX_SENDER_CHAIN_STATES};
use crate::wipe::WipingVec;

/// One chain of a sender, as a receiver holds it.
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct ReceiverChain {
    pub(crate) chain_id: u32,
    /// The next iteration expected; `chain_key` is the key at it.
    pub(crate) next: u32,
    pub(crate) chain_key: GroupChainKey,
    /// Decompressed once, when the chain was distributed.
    pub(crate) verifying: VerifyingKey,
    /// When a newer chain of the same sender was accepted (ms, caller's
    /// clock); `None` for the sender's newest chain, which time never
    /// erases.
    pub(crate) superseded_at: Option<u64>,
}

/// A key derived for a post not yet received.
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct SkippedPostKey {
    pub(crate) chain_id: u32,
    pub(crate) iteration: u32,
    pub(crate) key: GroupMessageKey,
    /// When it was derived (ms, caller's clock at the receive that skipped
    /// it).
    pub(crate) skipped_at: u64,
}

/// Everything held for one sender. The chains and the skipped keys are
/// in [`WipingVec`]s: growing, using, evicting and erasing leave no copy
/// of a key in freed or unused memory.
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct SenderState {
    pub(crate) identity: IdentityKey,
    /// Oldest first; the last is the newest.
    pub(crate) chains: WipingVec<ReceiverChain>,
    /// Oldest first.
    pub(crate) skipped: WipingVec<SkippedPostKey>,
    /// `(chain_id, iteration)` of evicted keys, oldest first.
    pub(crate) evicted: Vec<(u32, u32)>,
}

impl SenderState {
    pub(crate) fn new(identity: IdentityKey) -> Self {
        Self {
            identity,
            chains: WipingVec::new(),
            skipped: WipingVec::new(),
            evicted: Vec::new(),
        }
    }

    /// Appends a new chain, the sender's newest from now on: the chains
    /// it supersedes are marked as superseded at `now`, and the oldest
    /// chain beyond [`MAX_SENDER_CHAIN_STATES`] is dropped with its skipped
    /// keys and eviction records.
    pub(crate) fn push_chain(&mut self, chain: ReceiverChain, now: u64) {
        for ch in &mut self.chains {
            ch.superseded_at.get_or_insert(now);
        }
        self.chains.push(chain);
        if self.chains.len() > MAX_SENDER_CHAIN_STATES
            && let Some(old) = self.chains.remove(0)
        {
            self.forget_chains(&[old.chain_id]);
        }
    }

    /// Drops the skipped keys and eviction records of these chains.
    pub(crate) fn forget_chains(&mut self, ids: &[u32]) {
        self.skipped.retain(|s| !ids.contains(&s.chain_id));
        self.evicted.retain(|(c, _)| !ids.contains(c));
    }

    /// Stores newly skipped keys, evicting the oldest beyond
    /// [`MAX_GROUP_SKIPPED_KEYS`].
    pub(crate) fn store_skipped(&mut self, keys: &mut WipingVec<SkippedPostKey>) {
        self.skipped.append(keys);
        let excess = self.skipped.len().saturating_sub(MAX_GROUP_SKIPPED_KEYS);
        if excess > 0 {
            let mut gone = Vec::with_capacity(excess);
            self.skipped
                .remove_front(excess, |s| gone.push((s.chain_id, s.iteration)));
            self.record_evicted(gone);
        }
    }

    /// Remembers the positions `(chain_id, iteration)` of erased keys (at
    /// most [`MAX_GROUP_SKIPPED_KEYS`], the oldest forgotten first).
    pub(crate) fn record_evicted(&mut self, gone: Vec<(u32, u32)>) {
        self.evicted.extend(gone);
        let drop = self.evicted.len().saturating_sub(MAX_GROUP_SKIPPED_KEYS);
        self.evicted.drain(..drop);
    }
}
