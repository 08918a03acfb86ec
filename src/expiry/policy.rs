//! The disappearing-message policy carried inside the encryption, the
//! conversation timer and its version rules, and deadlines computed from
//! the receiver's clock (SPEC.md §10).

use crate::time::Timestamp;

/// Longest time to live: 365 days, in seconds.
pub const MAX_TTL_SECS: u32 = 365 * 24 * 60 * 60;

/// A received timer version may exceed the highest version seen by at most
/// this much; a larger jump is refused (`InvalidPolicy`), so that a peer
/// cannot exhaust the version space (and with it our ability to change the
/// timer) in one message.
pub const MAX_TIMER_VERSION_STEP: u64 = 1024;

/// Extra time a skipped message key is kept beyond the conversation TTL
/// before it is erased: one hour, for clock skew and delivery delay.
pub const SKIPPED_KEY_GRACE_MS: u64 = 60 * 60 * 1000;

/// When a disappearing message's clock starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
#[repr(u8)]
pub enum ExpiryMode {
    /// The message expires `ttl` after it was sent (measured by the
    /// receiver's clock, never later than its arrival plus `ttl`).
    AfterSend = 0x01,
    /// The message expires `ttl` after the app marks it read.
    AfterRead = 0x02,
}

/// A disappearing-message timer: a mode and a time to live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExpiryPolicy {
    mode: ExpiryMode,
    ttl_secs: u32,
}

/// A policy that cannot exist: TTL of zero or above [`MAX_TTL_SECS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidPolicy;

impl core::fmt::Display for InvalidPolicy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("expiry TTL must be between 1 second and 365 days")
    }
}

impl core::error::Error for InvalidPolicy {}

impl ExpiryPolicy {
    /// A policy with `1 <= ttl_secs <=` [`MAX_TTL_SECS`].
    pub fn new(mode: ExpiryMode, ttl_secs: u32) -> Result<Self, InvalidPolicy> {
        if ttl_secs == 0 || ttl_secs > MAX_TTL_SECS {
            return Err(InvalidPolicy);
        }
        Ok(Self { mode, ttl_secs })
    }

    /// The mode.
    pub fn mode(&self) -> ExpiryMode {
        self.mode
    }

    /// The time to live in seconds.
    pub fn ttl_secs(&self) -> u32 {
        self.ttl_secs
    }

    /// The time to live in milliseconds.
    pub fn ttl_ms(&self) -> u64 {
        u64::from(self.ttl_secs).saturating_mul(1000)
    }
}

/// The meet of two optional policies: a policy at least as strict as both.
/// A set timer beats none; the TTL is the shorter one; the mode is
/// after-send if either is. Every message under the result expires no later
/// than under either input (a message is read no earlier than it was sent,
/// so `sent + min(a, b) <= read + b`). Commutative, associative and
/// idempotent, so both sides of a conversation reach the same result in any
/// order.
pub fn stricter(a: Option<ExpiryPolicy>, b: Option<ExpiryPolicy>) -> Option<ExpiryPolicy> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(x), Some(y)) => {
            let mode = if x.mode == ExpiryMode::AfterSend || y.mode == ExpiryMode::AfterSend {
                ExpiryMode::AfterSend
            } else {
                ExpiryMode::AfterRead
            };
            Some(ExpiryPolicy {
                mode,
                ttl_secs: x.ttl_secs.min(y.ttl_secs),
            })
        }
    }
}

/// The conversation's timer: the policy in force and its version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct ConversationTimer {
    /// The policy, or `None` when messages do not disappear.
    pub policy: Option<ExpiryPolicy>,
    /// Incremented by every explicit change (0: never changed). 64 bits:
    /// with [`MAX_TIMER_VERSION_STEP`] per message, a peer needs 2^54
    /// messages to exhaust it.
    pub version: u64,
}

/// Who changed the conversation timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangedBy {
    /// This side, through `set_timer`.
    Us,
    /// The peer, through a timer-change message.
    Peer,
}

/// A change of the conversation timer, surfaced to the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TimerChange {
    /// Who changed it.
    pub by: ChangedBy,
    /// The timer before.
    pub old: ConversationTimer,
    /// The timer after.
    pub new: ConversationTimer,
}

impl ConversationTimer {
    /// Applies a peer's timer-change message: a higher version wins; at the
    /// same version the stricter policy wins on both sides; an older version
    /// is ignored. Returns the new timer if it changed.
    pub fn apply_change(&self, proposed: ConversationTimer) -> Option<ConversationTimer> {
        let next = if proposed.version > self.version {
            proposed
        } else if proposed.version == self.version {
            ConversationTimer {
                policy: stricter(self.policy, proposed.policy),
                version: self.version,
            }
        } else {
            return None;
        };
        (next != *self).then_some(next)
    }

    /// The timer after our own change to `policy`: version = the highest
    /// version seen on any message (`highest_seen`, at least our own) + 1.
    /// `None` if the version space is exhausted.
    pub fn next(
        &self,
        policy: Option<ExpiryPolicy>,
        highest_seen: u64,
    ) -> Option<ConversationTimer> {
        Some(ConversationTimer {
            policy,
            version: self.version.max(highest_seen).checked_add(1)?,
        })
    }
}

/// When one received message expires, from the receiver's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageExpiry {
    /// The message does not disappear.
    Never,
    /// The message disappears at this time (receiver's clock).
    At(Timestamp),
    /// The message disappears this long after the app marks it read.
    AfterRead {
        /// Time to live once read, in milliseconds.
        ttl_ms: u64,
    },
    /// The message arrived after its deadline: its plaintext was erased and
    /// is not returned.
    Expired,
}

/// The expiry of a message that carries `policy` and claims to have been
/// sent at `sent_at`, received at `now`. A claimed send time in the future
/// is clamped to `now`, so the sender's clock can shorten a message's life
/// but never extend it.
pub fn message_expiry(
    policy: Option<ExpiryPolicy>,
    sent_at: Timestamp,
    now: Timestamp,
) -> MessageExpiry {
    match policy {
        None => MessageExpiry::Never,
        Some(p) => match p.mode {
            ExpiryMode::AfterRead => MessageExpiry::AfterRead { ttl_ms: p.ttl_ms() },
            ExpiryMode::AfterSend => {
                let start = sent_at.min(now).as_unix_millis();
                let deadline = start.saturating_add(p.ttl_ms());
                if deadline <= now.as_unix_millis() {
                    MessageExpiry::Expired
                } else {
                    MessageExpiry::At(Timestamp::from_unix_millis(deadline))
                }
            }
        },
    }
}

/// What a received message's frame does to the conversation (SPEC.md
/// §10.3): the same rules for a 1:1 session and a group, so both call
/// [`ConversationTimer::on_receive`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerOnReceive {
    /// The highest timer version seen, the message's included.
    pub(crate) highest_version: u64,
    /// The change, if the message is a timer change that changed the
    /// timer: the caller installs `change.new`.
    pub(crate) change: Option<TimerChange>,
    /// When the message disappears ([`MessageExpiry::Never`] for a timer
    /// change).
    pub(crate) expiry: MessageExpiry,
}

impl ConversationTimer {
    /// The highest timer version a received message may carry when the
    /// highest seen is `highest_seen`: above it, the message is refused
    /// (`InvalidPolicy`) before anything is committed.
    pub(crate) fn version_limit(highest_seen: u64) -> u64 {
        highest_seen.saturating_add(MAX_TIMER_VERSION_STEP)
    }

    /// The effect of a received message that carries the timer `carried`
    /// and claims `sent_at`, received at `now`, on a conversation whose
    /// timer is `self` and highest seen version `highest_seen`. A timer
    /// change is applied by the version rules ([`apply_change`](Self::apply_change))
    /// and never expires; any other message expires under the stricter of
    /// its own policy and the conversation's (its policy can shorten its
    /// life, never lengthen it).
    pub(crate) fn on_receive(
        &self,
        highest_seen: u64,
        carried: ConversationTimer,
        is_timer_change: bool,
        sent_at: Timestamp,
        now: Timestamp,
    ) -> TimerOnReceive {
        let highest_version = highest_seen.max(carried.version);
        if is_timer_change {
            let change = self.apply_change(carried).map(|new| TimerChange {
                by: ChangedBy::Peer,
                old: *self,
                new,
            });
            TimerOnReceive {
                highest_version,
                change,
                expiry: MessageExpiry::Never,
            }
        } else {
            TimerOnReceive {
                highest_version,
                change: None,
                expiry: message_expiry(stricter(carried.policy, self.policy), sent_at, now),
            }
        }
    }
}

/// A conversation with a disappearing-message timer (a 1:1 session, a
/// group): what the timer rules of a received message read and change,
/// written once in [`receive_timer`](Self::receive_timer).
pub(crate) trait Timed {
    /// The timer in force.
    fn current_timer(&self) -> ConversationTimer;
    /// The highest timer version seen on any message.
    fn highest_timer_version_mut(&mut self) -> &mut u64;
    /// Installs a peer's new timer at `now`, erasing what is past the old
    /// window first (so that a wider window revives nothing).
    fn install_timer(&mut self, now: Timestamp, new: ConversationTimer);

    /// Applies the timer rules to a received message that carries the
    /// timer `carried` and claims `sent_at`, once the message is committed
    /// (see [`ConversationTimer::on_receive`]); returns the change and the
    /// message's expiry.
    fn receive_timer(
        &mut self,
        carried: ConversationTimer,
        is_timer_change: bool,
        sent_at: Timestamp,
        now: Timestamp,
    ) -> TimerOnReceive {
        let highest = *self.highest_timer_version_mut();
        let timed =
            self.current_timer()
                .on_receive(highest, carried, is_timer_change, sent_at, now);
        *self.highest_timer_version_mut() = timed.highest_version;
        if let Some(change) = timed.change {
            self.install_timer(now, change.new);
        }
        timed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(mode: ExpiryMode, ttl: u32) -> Option<ExpiryPolicy> {
        Some(ExpiryPolicy::new(mode, ttl).unwrap())
    }

    #[test]
    fn policy_bounds() {
        assert_eq!(
            ExpiryPolicy::new(ExpiryMode::AfterSend, 0),
            Err(InvalidPolicy)
        );
        assert_eq!(
            ExpiryPolicy::new(ExpiryMode::AfterSend, MAX_TTL_SECS + 1),
            Err(InvalidPolicy)
        );
        assert!(ExpiryPolicy::new(ExpiryMode::AfterRead, MAX_TTL_SECS).is_ok());
    }

    #[test]
    fn version_rules() {
        let cur = ConversationTimer {
            policy: p(ExpiryMode::AfterSend, 60),
            version: 3,
        };
        // Older: ignored.
        assert_eq!(
            cur.apply_change(ConversationTimer {
                policy: None,
                version: 2
            }),
            None
        );
        // Same version, longer or off: no change.
        assert_eq!(
            cur.apply_change(ConversationTimer {
                policy: None,
                version: 3
            }),
            None
        );
        assert_eq!(
            cur.apply_change(ConversationTimer {
                policy: p(ExpiryMode::AfterSend, 61),
                version: 3
            }),
            None
        );
        // Same version, shorter: adopted.
        let shorter = ConversationTimer {
            policy: p(ExpiryMode::AfterSend, 30),
            version: 3,
        };
        assert_eq!(cur.apply_change(shorter), Some(shorter));
        // Higher version: adopted whatever it says, even off.
        let off = ConversationTimer {
            policy: None,
            version: 4,
        };
        assert_eq!(cur.apply_change(off), Some(off));
    }

    #[test]
    fn stricter_is_a_meet() {
        let all = [
            None,
            p(ExpiryMode::AfterSend, 5),
            p(ExpiryMode::AfterRead, 5),
            p(ExpiryMode::AfterSend, 9),
            p(ExpiryMode::AfterRead, 90),
        ];
        for a in all {
            assert_eq!(stricter(a, a), a);
            for b in all {
                assert_eq!(stricter(a, b), stricter(b, a));
                for c in all {
                    assert_eq!(stricter(stricter(a, b), c), stricter(a, stricter(b, c)));
                }
            }
        }
        assert_eq!(
            stricter(p(ExpiryMode::AfterRead, 5), p(ExpiryMode::AfterSend, 5)),
            p(ExpiryMode::AfterSend, 5)
        );
        // Mixed modes: after-send with the shorter TTL, never longer than
        // either input.
        assert_eq!(
            stricter(p(ExpiryMode::AfterRead, 10), p(ExpiryMode::AfterSend, 60)),
            p(ExpiryMode::AfterSend, 10)
        );
        assert_eq!(
            stricter(p(ExpiryMode::AfterRead, 90), p(ExpiryMode::AfterSend, 60)),
            p(ExpiryMode::AfterSend, 60)
        );
    }

    #[test]
    fn future_send_time_is_clamped() {
        let now = Timestamp::from_unix_millis(1_000_000);
        let far = Timestamp::from_unix_millis(u64::MAX);
        let e = message_expiry(p(ExpiryMode::AfterSend, 10), far, now);
        assert_eq!(e, MessageExpiry::At(Timestamp::from_unix_millis(1_010_000)));
        let past = Timestamp::from_unix_millis(1_000_000 - 10_000);
        assert_eq!(
            message_expiry(p(ExpiryMode::AfterSend, 10), past, now),
            MessageExpiry::Expired
        );
    }

    /// A conversation whose timer changes are recorded.
    struct Conv {
        timer: ConversationTimer,
        highest: u64,
        installed: alloc::vec::Vec<(u64, ConversationTimer)>,
    }

    impl Timed for Conv {
        fn current_timer(&self) -> ConversationTimer {
            self.timer
        }
        fn highest_timer_version_mut(&mut self) -> &mut u64 {
            &mut self.highest
        }
        fn install_timer(&mut self, now: Timestamp, new: ConversationTimer) {
            self.installed.push((now.as_unix_millis(), new));
            self.timer = new;
        }
    }

    #[test]
    fn the_shared_receive_rules() {
        let now = Timestamp::from_unix_millis(1_000_000);
        let sent = Timestamp::from_unix_millis(999_000);
        let five = ConversationTimer {
            policy: p(ExpiryMode::AfterSend, 5),
            version: 2,
        };
        let mut c = Conv {
            timer: ConversationTimer::default(),
            highest: 1,
            installed: alloc::vec::Vec::new(),
        };
        // A message under a newer timer: not a change, but its version is
        // seen and its own policy shortens its life.
        let t = c.receive_timer(five, false, sent, now);
        assert_eq!((t.change, c.highest), (None, 2));
        assert_eq!(
            t.expiry,
            MessageExpiry::At(Timestamp::from_unix_millis(1_004_000))
        );
        assert!(c.installed.is_empty());
        // A timer change: installed at `now`, never expires.
        let t = c.receive_timer(five, true, sent, now);
        assert_eq!(t.expiry, MessageExpiry::Never);
        let change = t.change.unwrap();
        assert_eq!(
            (change.by, change.old, change.new),
            (ChangedBy::Peer, ConversationTimer::default(), five)
        );
        assert_eq!(c.installed, alloc::vec![(1_000_000, five)]);
        // The same change again: nothing changes.
        assert_eq!(c.receive_timer(five, true, sent, now).change, None);
        assert_eq!(c.installed.len(), 1);
        assert_eq!(ConversationTimer::version_limit(u64::MAX), u64::MAX);
        assert_eq!(
            ConversationTimer::version_limit(1),
            1 + MAX_TIMER_VERSION_STEP
        );
    }
}
