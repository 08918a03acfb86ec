//! The chains a receiver holds, per sender, with two indexes: by chain id
//! (a post names its chain, not its sender, and finds it in O(log n)
//! whatever the size of the group, SPEC.md §20.6 step 3), and by the
//! oldest time a sender's retention windows run from (the next erasure and
//! the senders with something to erase, without visiting every sender,
//! SPEC.md §20.5).
//!
//! The indexes are kept in step structurally: a sender's state can only be
//! changed through [`Senders::update`] (or its variants), which compares
//! the sender's chain ids and oldest retained time before and after and
//! moves the index entries accordingly. There is no other `&mut` access.
//! That comparison allocates nothing (the chain ids are held inline), so a
//! receive in an established chain makes no heap allocation.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use crate::group::receiver::SenderState;
use crate::limits::MAX_SENDER_CHAIN_STATES;

/// Every sender's state, by identity key; `(chain_id, sender)` for every
/// chain held; `(oldest retained time, sender)` for every sender holding a
/// skipped key or a superseded chain.
#[derive(Clone, PartialEq, Default)]
pub(crate) struct Senders {
    by_identity: BTreeMap<[u8; 32], SenderState>,
    by_chain: BTreeSet<(u32, [u8; 32])>,
    by_oldest: BTreeSet<(u64, [u8; 32])>,
}

/// The indexes of one sender: its chain ids and its oldest retained time.
struct Keys {
    chains: ChainIds,
    oldest: Option<u64>,
}

impl Keys {
    /// No chains, nothing retained: a sender not held.
    const NONE: Self = Self {
        chains: ChainIds::EMPTY,
        oldest: None,
    };

    fn of(st: &SenderState) -> Self {
        Self {
            chains: ChainIds::of(st),
            oldest: st.oldest_retained(),
        }
    }
}

/// A sender's chain ids, in order, without a heap allocation: a sender
/// holds at most [`MAX_SENDER_CHAIN_STATES`] chains between two updates
/// (`push_chain` drops the oldest beyond it, loading refuses more). Ids
/// beyond that bound, which no state holds, would go to `more` rather than
/// be lost.
#[derive(PartialEq, Eq)]
struct ChainIds {
    inline: [u32; MAX_SENDER_CHAIN_STATES],
    len: usize,
    more: Vec<u32>,
}

impl ChainIds {
    const EMPTY: Self = Self {
        inline: [0; MAX_SENDER_CHAIN_STATES],
        len: 0,
        more: Vec::new(),
    };

    fn of(st: &SenderState) -> Self {
        let mut ids = Self::EMPTY;
        for c in st.chains.iter() {
            match ids.inline.get_mut(ids.len) {
                Some(slot) => {
                    *slot = c.chain_id;
                    ids.len = ids.len.saturating_add(1);
                }
                None => ids.more.push(c.chain_id),
            }
        }
        ids
    }

    fn iter(&self) -> impl Iterator<Item = &u32> {
        self.inline.iter().take(self.len).chain(self.more.iter())
    }
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

    /// The oldest time any sender's retention window runs from.
    pub(crate) fn oldest_retained(&self) -> Option<u64> {
        self.by_oldest.first().map(|(t, _)| *t)
    }

    /// The senders whose oldest retained time satisfies `due`, oldest
    /// first, stopping at the first that does not (`due` must hold for
    /// every time older than one it holds for).
    pub(crate) fn retained_since(&self, due: impl Fn(u64) -> bool) -> Vec<[u8; 32]> {
        self.by_oldest
            .iter()
            .take_while(|(t, _)| due(*t))
            .map(|(_, sender)| *sender)
            .collect()
    }

    /// Forgets a sender and its chains.
    pub(crate) fn remove(&mut self, sender: &[u8; 32]) {
        if let Some(st) = self.by_identity.remove(sender) {
            let keys = Keys::of(&st);
            reindex(
                &mut self.by_chain,
                &mut self.by_oldest,
                sender,
                &keys,
                &Keys::NONE,
            );
        }
    }

    /// Sets a sender's whole state (loading), replacing any held.
    pub(crate) fn insert(&mut self, sender: [u8; 32], st: SenderState) {
        self.remove(&sender);
        let keys = Keys::of(&st);
        reindex(
            &mut self.by_chain,
            &mut self.by_oldest,
            &sender,
            &Keys::NONE,
            &keys,
        );
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
        Some(changed(
            &mut self.by_chain,
            &mut self.by_oldest,
            sender,
            st,
            f,
        ))
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
        changed(&mut self.by_chain, &mut self.by_oldest, sender, st, f)
    }

    /// Whether the indexes list exactly the chains held and each
    /// sender's oldest retained time (tests).
    #[cfg(feature = "test-utils")]
    pub(crate) fn index_is_consistent(&self) -> bool {
        let mut chains = BTreeSet::new();
        let mut oldest = BTreeSet::new();
        for (k, st) in &self.by_identity {
            for c in &st.chains {
                chains.insert((c.chain_id, *k));
            }
            if let Some(t) = st.oldest_retained() {
                oldest.insert((t, *k));
            }
        }
        chains == self.by_chain && oldest == self.by_oldest
    }
}

/// Runs `f` on `st` and moves `sender`'s index entries from what it had
/// to what it has.
fn changed<R>(
    by_chain: &mut BTreeSet<(u32, [u8; 32])>,
    by_oldest: &mut BTreeSet<(u64, [u8; 32])>,
    sender: &[u8; 32],
    st: &mut SenderState,
    f: impl FnOnce(&mut SenderState) -> R,
) -> R {
    let before = Keys::of(st);
    let out = f(st);
    let after = Keys::of(st);
    reindex(by_chain, by_oldest, sender, &before, &after);
    out
}

/// Moves `sender`'s index entries from `before` to `after`.
fn reindex(
    by_chain: &mut BTreeSet<(u32, [u8; 32])>,
    by_oldest: &mut BTreeSet<(u64, [u8; 32])>,
    sender: &[u8; 32],
    before: &Keys,
    after: &Keys,
) {
    if before.chains != after.chains {
        // Out with the old ids, in with the new (an id in both is put back).
        for id in before.chains.iter() {
            by_chain.remove(&(*id, *sender));
        }
        for id in after.chains.iter() {
            by_chain.insert((*id, *sender));
        }
    }
    if before.oldest != after.oldest {
        if let Some(t) = before.oldest {
            by_oldest.remove(&(t, *sender));
        }
        if let Some(t) = after.oldest {
            by_oldest.insert((t, *sender));
        }
    }
}

#[cfg(all(test, feature = "test-utils"))]
mod tests {
    use super::*;

    #[test]
    fn the_index_check_sees_a_stray_chain_or_retained_time() {
        let mut senders = Senders::default();
        assert!(senders.index_is_consistent());
        senders.by_chain.insert((7, [1; 32]));
        assert!(!senders.index_is_consistent(), "a chain no sender holds");
        senders.by_chain.clear();
        senders.by_oldest.insert((1_000, [1; 32]));
        assert!(!senders.index_is_consistent(), "a time no sender retains");
        senders.remove(&[1; 32]);
        assert!(
            !senders.index_is_consistent(),
            "not held: nothing to remove"
        );
    }
}
