//! What a receiver keeps per sender: up to
//! [`MAX_SENDER_CHAIN_STATES`](crate::limits::MAX_SENDER_CHAIN_STATES)
//! chains, the skipped post keys and the positions whose key was evicted
//! (SPEC.md §20.5).

use alloc::vec::Vec;

use ed25519_dalek::VerifyingKey;

use crate::group::chain::{GroupChainKey, GroupMessageKey};
use crate::identity::IdentityKey;

/// One chain of a sender, as a receiver holds it.
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct ReceiverChain {
    pub(crate) chain_id: u32,
    /// The next iteration expected; `chain_key` is the key at it.
    pub(crate) next: u32,
    pub(crate) chain_key: GroupChainKey,
    /// Decompressed once, when the chain was distributed.
    pub(crate) verifying: VerifyingKey,
}

/// A key derived for a post not yet received.
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct SkippedPostKey {
    pub(crate) chain_id: u32,
    pub(crate) iteration: u32,
    pub(crate) key: GroupMessageKey,
}

/// Everything held for one sender.
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct SenderState {
    pub(crate) identity: IdentityKey,
    /// Oldest first; the last is the newest.
    pub(crate) chains: Vec<ReceiverChain>,
    /// Oldest first.
    pub(crate) skipped: Vec<SkippedPostKey>,
    /// `(chain_id, iteration)` of evicted keys, oldest first.
    pub(crate) evicted: Vec<(u32, u32)>,
}

impl SenderState {
    pub(crate) fn new(identity: IdentityKey) -> Self {
        Self {
            identity,
            chains: Vec::new(),
            skipped: Vec::new(),
            evicted: Vec::new(),
        }
    }
}
