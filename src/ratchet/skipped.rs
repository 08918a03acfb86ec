//! Message keys of skipped messages, capped in count
//! ([`MAX_SKIPPED_KEYS`]) and erased on schedule ([`Retention`]); the
//! positions of erased keys are remembered (as many as the cap) so that a
//! late message is told its key was erased (SPEC.md §5.8, §10.5).

use alloc::collections::VecDeque;

use crate::expiry::policy::SKIPPED_KEY_GRACE_MS;
use crate::expiry::{ConversationTimer, ExpiryMode};
use crate::limits::MAX_SKIPPED_KEYS;
use crate::ratchet::message_key::MessageKey;
use crate::wipe::WipingVec;

/// One stored key: which chain and position it opens, and when it was
/// skipped (milliseconds since the Unix epoch, from the caller's clock).
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct SkippedKey {
    pub(crate) ratchet_key: [u8; 32],
    pub(crate) counter: u32,
    pub(crate) key: MessageKey,
    pub(crate) skipped_at: u64,
}

/// How long skipped keys are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Retention {
    /// Keys are erased once older than this, whatever the timer.
    pub max_age_ms: u64,
    /// The conversation's after-send TTL, if any: keys are erased once older
    /// than it plus [`SKIPPED_KEY_GRACE_MS`], since every message they could
    /// open would have expired.
    pub after_send_ttl_ms: Option<u64>,
}

impl Retention {
    /// The retention of a conversation (or group) with this timer: only an
    /// after-send timer shortens it (SPEC.md §10.5).
    pub(crate) fn for_timer(max_age_ms: u64, timer: &ConversationTimer) -> Self {
        Self {
            max_age_ms,
            after_send_ttl_ms: timer
                .policy
                .filter(|p| p.mode() == ExpiryMode::AfterSend)
                .map(|p| p.ttl_ms()),
        }
    }

    /// How long a key is kept after it was skipped.
    pub(crate) fn window_ms(&self) -> u64 {
        match self.after_send_ttl_ms {
            Some(ttl) => self
                .max_age_ms
                .min(ttl.saturating_add(SKIPPED_KEY_GRACE_MS)),
            None => self.max_age_ms,
        }
    }

    pub(crate) fn is_expired(&self, skipped_at: u64, now: u64) -> bool {
        now.saturating_sub(skipped_at) > self.window_ms()
    }

    /// The first instant at which something kept since `since` is past
    /// the window (`since + window + 1`, saturating).
    pub(crate) fn erasure_at(&self, since: u64) -> u64 {
        since.saturating_add(self.window_ms()).saturating_add(1)
    }
}

/// Skipped keys in the order they were skipped (oldest first), and the
/// positions of erased keys. The keys are in a [`WipingVec`]: growing the
/// store, using a key and evicting or erasing keys leave no copy of a key
/// in freed or unused memory.
#[derive(Clone, PartialEq, Debug, Default)]
pub(crate) struct SkippedKeys {
    pub(crate) keys: WipingVec<SkippedKey>,
    pub(crate) erased: VecDeque<([u8; 32], u32)>,
}

impl SkippedKeys {
    /// The stored key for this position, with its index.
    pub(crate) fn find(
        &self,
        ratchet_key: &[u8; 32],
        counter: u32,
    ) -> Option<(usize, &SkippedKey)> {
        self.keys
            .iter()
            .enumerate()
            .find(|(_, k)| k.counter == counter && &k.ratchet_key == ratchet_key)
    }

    /// Removes (and zeroizes) the key at `index`.
    pub(crate) fn remove(&mut self, index: usize) {
        drop(self.keys.remove(index));
    }

    /// Whether the key for this position was erased (and is still
    /// remembered as such).
    pub(crate) fn was_erased(&self, ratchet_key: &[u8; 32], counter: u32) -> bool {
        self.erased
            .iter()
            .any(|(k, c)| *c == counter && k == ratchet_key)
    }

    /// Moves the keys of `new` to the end (leaving it empty and wiped),
    /// erasing the oldest beyond the cap.
    pub(crate) fn append(&mut self, new: &mut WipingVec<SkippedKey>) {
        self.keys.append(new);
        let excess = self.keys.len().saturating_sub(MAX_SKIPPED_KEYS);
        let erased = &mut self.erased;
        self.keys
            .remove_front(excess, |old| tombstone(erased, &old));
    }

    /// Erases every key past its retention window at `now`.
    pub(crate) fn erase_expired(&mut self, now: u64, retention: &Retention) {
        let erased = &mut self.erased;
        self.keys.retain(|k| {
            let expired = retention.is_expired(k.skipped_at, now);
            if expired {
                tombstone(erased, k);
            }
            !expired
        });
    }

    /// When the next key is due to be erased (milliseconds).
    pub(crate) fn next_erasure(&self, retention: &Retention) -> Option<u64> {
        self.keys
            .iter()
            .map(|k| retention.erasure_at(k.skipped_at))
            .min()
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

/// Remembers the position of an erased key, forgetting the oldest beyond
/// the cap.
fn tombstone(erased: &mut VecDeque<([u8; 32], u32)>, key: &SkippedKey) {
    if erased.len() >= MAX_SKIPPED_KEYS {
        erased.pop_front();
    }
    erased.push_back((key.ratchet_key, key.counter));
}
