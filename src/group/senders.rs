//! The chains a receiver holds, per sender, with an index by chain id: a
//! post names its chain, not its sender, and finds it in O(log n) whatever
//! the size of the group (SPEC.md §20.6 step 3).
//!
//! The index is kept in step structurally: a sender's state can only be
//! changed through [`Senders::update`] (or its variants), which compares
//! the sender's chain ids before and after and moves the index entries
//! accordingly. There is no other `&mut` access.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use crate::group::receiver::SenderState;

/// Every sender's state, by identity key, and `(chain_id, sender)` for
/// every chain held.
#[derive(Clone, PartialEq, Default)]
pub(crate) struct Senders {
    by_identity: BTreeMap<[u8; 32], SenderState>,
    by_chain: BTreeSet<(u32, [u8; 32])>,
}

fn chain_ids(st: &SenderState) -> Vec<u32> {
    st.chains.iter().map(|c| c.chain_id).collect()
}

impl Senders {
    /// One sender's state.
    pub(crate) fn get(&self, sender: &[u8; 32]) -> Option<&SenderState> {
        self.by_identity.get(sender)
    }

    /// Every sender's state, in key order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &SenderState> {
        self.by_identity.values()
    }

    /// How many senders are held.
    pub(crate) fn len(&self) -> usize {
        self.by_identity.len()
    }

    /// The senders holding a chain with this id (one, unless two senders
    /// drew the same id), in key order.
    pub(crate) fn with_chain(
        &self,
        chain_id: u32,
    ) -> impl Iterator<Item = (&[u8; 32], &SenderState)> {
        self.by_chain
            .range((chain_id, [0u8; 32])..=(chain_id, [0xffu8; 32]))
            .filter_map(|(_, sender)| self.by_identity.get_key_value(sender))
    }

    /// Forgets a sender and its chains.
    pub(crate) fn remove(&mut self, sender: &[u8; 32]) {
        if let Some(st) = self.by_identity.remove(sender) {
            for c in &st.chains {
                self.by_chain.remove(&(c.chain_id, *sender));
            }
        }
    }

    /// Sets a sender's whole state (loading), replacing any held.
    pub(crate) fn insert(&mut self, sender: [u8; 32], st: SenderState) {
        self.remove(&sender);
        for c in &st.chains {
            self.by_chain.insert((c.chain_id, sender));
        }
        self.by_identity.insert(sender, st);
    }

    /// Changes one sender's state with `f`, keeping the index in step;
    /// `None` if the sender is not held.
    pub(crate) fn update<R>(
        &mut self,
        sender: &[u8; 32],
        f: impl FnOnce(&mut SenderState) -> R,
    ) -> Option<R> {
        let st = self.by_identity.get_mut(sender)?;
        Some(changed(&mut self.by_chain, sender, st, f))
    }

    /// As [`update`](Self::update), holding a new state from `new` first
    /// if the sender is not held.
    pub(crate) fn update_or_insert<R>(
        &mut self,
        sender: &[u8; 32],
        new: impl FnOnce() -> SenderState,
        f: impl FnOnce(&mut SenderState) -> R,
    ) -> R {
        let st = self.by_identity.entry(*sender).or_insert_with(new);
        changed(&mut self.by_chain, sender, st, f)
    }

    /// Applies `f` to every sender's state, keeping the index in step.
    pub(crate) fn update_all(&mut self, mut f: impl FnMut(&mut SenderState)) {
        let keys: Vec<[u8; 32]> = self.by_identity.keys().copied().collect();
        for k in keys {
            self.update(&k, &mut f);
        }
    }

    /// Whether the index lists exactly the chains held (tests).
    pub(crate) fn index_is_consistent(&self) -> bool {
        let mut expected = BTreeSet::new();
        for (k, st) in &self.by_identity {
            for c in &st.chains {
                expected.insert((c.chain_id, *k));
            }
        }
        expected == self.by_chain
    }
}

/// Runs `f` on `st` and moves `sender`'s index entries from the chain ids
/// it had to those it has.
fn changed<R>(
    index: &mut BTreeSet<(u32, [u8; 32])>,
    sender: &[u8; 32],
    st: &mut SenderState,
    f: impl FnOnce(&mut SenderState) -> R,
) -> R {
    let before = chain_ids(st);
    let out = f(st);
    let after = chain_ids(st);
    if before != after {
        for id in before.iter().filter(|id| !after.contains(id)) {
            index.remove(&(*id, *sender));
        }
        for id in after {
            index.insert((id, *sender));
        }
    }
    out
}
