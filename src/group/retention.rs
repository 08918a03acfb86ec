//! Erasure on schedule (SPEC.md §20.5): skipped post keys
//! and superseded chains are kept for the retention window of the 1:1
//! skipped keys ([`Retention`], SPEC.md §10.5) with the group's timer and
//! maximum age, then erased. A sender's newest chain is never erased by
//! time. What is past its window counts as erased at receive even before
//! an erasure runs (`is_expired`).

use alloc::vec::Vec;

use crate::expiry::ConversationTimer;
use crate::expiry::policy::Timed;
use crate::group::membership::GroupCore;
use crate::group::receiver::{ReceiverChain, SenderState, SkippedPostKey};
use crate::ratchet::Retention;
use crate::time::Timestamp;

impl ReceiverChain {
    /// Whether the chain is past its retention window at `now`, and so
    /// counts as erased whether or not an erasure has run since.
    pub(crate) fn is_expired(&self, now: u64, retention: &Retention) -> bool {
        self.superseded_at
            .is_some_and(|at| retention.is_expired(at, now))
    }
}

impl SkippedPostKey {
    /// Whether the key is past its retention window at `now`, and so
    /// counts as erased whether or not an erasure has run since.
    pub(crate) fn is_expired(&self, now: u64, retention: &Retention) -> bool {
        retention.is_expired(self.skipped_at, now)
    }
}

impl SenderState {
    /// Erases what is past its retention window at `now`: superseded
    /// chains (with their skipped keys and eviction records: a later post
    /// of theirs is an unknown chain) and skipped keys (their positions are
    /// recorded as evicted).
    pub(crate) fn erase_expired(&mut self, now: u64, retention: &Retention) {
        let expired: Vec<u32> = self
            .chains
            .iter()
            .filter(|c| c.is_expired(now, retention))
            .map(|c| c.chain_id)
            .collect();
        if !expired.is_empty() {
            self.chains.retain(|c| !expired.contains(&c.chain_id));
            self.forget_chains(&expired);
        }
        // Erased in place (each key is zeroized as it drops), oldest first.
        let mut gone = Vec::new();
        self.skipped.retain(|s| {
            let expired = s.is_expired(now, retention);
            if expired {
                gone.push((s.chain_id, s.iteration));
            }
            !expired
        });
        if !gone.is_empty() {
            self.record_evicted(gone);
        }
    }

    /// The oldest time (ms) that a retention window runs from: the
    /// earliest `skipped_at` or `superseded_at` held. Whatever the window,
    /// this sender's next erasure is due at `erasure_at` of it.
    pub(crate) fn oldest_retained(&self) -> Option<u64> {
        let keys = self.skipped.iter().map(|s| s.skipped_at);
        let chains = self.chains.iter().filter_map(|c| c.superseded_at);
        keys.chain(chains).min()
    }
}

impl GroupCore {
    /// The retention window of skipped post keys and superseded chains:
    /// the 1:1 rule (SPEC.md §10.5) with the group's timer.
    pub(crate) fn retention(&self) -> Retention {
        Retention::for_timer(self.max_skipped_key_age_ms, &self.timer)
    }

    /// Erases every skipped post key and superseded chain past its
    /// retention window at `now`: visits only the senders that hold
    /// something past it (the index of oldest retained times).
    pub(crate) fn erase_expired_keys(&mut self, now: Timestamp) {
        let retention = self.retention();
        let now = now.as_unix_millis();
        for sender in self
            .senders
            .retained_since(|oldest| retention.is_expired(oldest, now))
        {
            self.senders
                .update(&sender, |st| st.erase_expired(now, &retention));
        }
    }

    /// Erases what is past its retention window at `now` for one sender:
    /// what a receive or an accepted chain of that sender does, so that
    /// its cost is bounded by the per-sender caps, not by the group's size.
    pub(crate) fn erase_expired_keys_of(&mut self, sender: &[u8; 32], now: Timestamp) {
        let retention = self.retention();
        self.senders.update(sender, |st| {
            st.erase_expired(now.as_unix_millis(), &retention)
        });
    }

    /// When the next skipped post key or superseded chain is due to be
    /// erased.
    pub(crate) fn next_key_erasure(&self) -> Option<Timestamp> {
        let retention = self.retention();
        self.senders
            .oldest_retained()
            .map(|oldest| Timestamp::from_unix_millis(retention.erasure_at(oldest)))
    }

    /// Changes what the retention depends on (timer, maximum age): what is
    /// past the old window is erased first, so that widening the window
    /// never revives a key that was already due, then what is past the new
    /// one.
    pub(crate) fn set_retention(&mut self, now: Timestamp, change: impl FnOnce(&mut Self)) {
        self.erase_expired_keys(now);
        change(self);
        self.erase_expired_keys(now);
    }
}

impl Timed for GroupCore {
    fn current_timer(&self) -> ConversationTimer {
        self.timer
    }

    fn highest_timer_version_mut(&mut self) -> &mut u64 {
        &mut self.highest_timer_version
    }

    fn install_timer(&mut self, now: Timestamp, new: ConversationTimer) {
        self.set_retention(now, |c| c.timer = new);
    }
}
