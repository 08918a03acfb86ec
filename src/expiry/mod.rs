//! Disappearing messages: the authenticated policy and conversation timer,
//! deadlines from the receiver's clock, and the app-driven [`ExpiryQueue`].

pub(crate) mod policy;
pub(crate) mod queue;

pub use policy::{
    ChangedBy, ConversationTimer, ExpiryMode, ExpiryPolicy, InvalidPolicy, MAX_TIMER_VERSION_STEP,
    MAX_TTL_SECS, MessageExpiry, SKIPPED_KEY_GRACE_MS, TimerChange, message_expiry, stricter,
};
pub use queue::{
    Expiry, ExpiryError, ExpiryQueue, MAX_QUEUE_ENTRIES, MessageId, QUEUE_FORMAT_VERSION,
};
