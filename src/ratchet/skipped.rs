//! Message keys of skipped messages, capped in count and age
//! (SPEC.md §9: [`MAX_SKIPPED_KEYS`], [`MAX_SKIPPED_KEY_AGE_MS`]).

use alloc::collections::VecDeque;

use crate::limits::{MAX_SKIPPED_KEY_AGE_MS, MAX_SKIPPED_KEYS};
use crate::ratchet::message_key::MessageKey;

/// One stored key: which chain and position it opens, and when it was
/// skipped (milliseconds since the Unix epoch, from the caller's clock).
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct SkippedKey {
    pub(crate) ratchet_key: [u8; 32],
    pub(crate) counter: u32,
    pub(crate) key: MessageKey,
    pub(crate) skipped_at: u64,
}

/// Skipped keys in the order they were skipped (oldest first).
#[derive(Clone, PartialEq, Debug, Default)]
pub(crate) struct SkippedKeys {
    keys: VecDeque<SkippedKey>,
}

impl SkippedKeys {
    pub(crate) fn find(&self, ratchet_key: &[u8; 32], counter: u32) -> Option<usize> {
        self.keys
            .iter()
            .position(|k| k.counter == counter && &k.ratchet_key == ratchet_key)
    }

    pub(crate) fn get(&self, index: usize) -> Option<&SkippedKey> {
        self.keys.get(index)
    }

    pub(crate) fn remove(&mut self, index: usize) {
        self.keys.remove(index);
    }

    /// Appends keys, evicting the oldest beyond the cap.
    pub(crate) fn extend(&mut self, new: impl IntoIterator<Item = SkippedKey>) {
        for k in new {
            if self.keys.len() >= MAX_SKIPPED_KEYS {
                self.keys.pop_front();
            }
            self.keys.push_back(k);
        }
    }

    /// Erases every key skipped more than the maximum age before `now`.
    pub(crate) fn purge_older_than_max_age(&mut self, now: u64) {
        self.keys
            .retain(|k| now.saturating_sub(k.skipped_at) <= MAX_SKIPPED_KEY_AGE_MS);
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}
