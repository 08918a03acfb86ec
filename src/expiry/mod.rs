//! Disappearing messages: the authenticated policy and conversation timer,
//! deadlines from the receiver's clock, and the app-driven [`ExpiryQueue`].

pub mod policy;
pub mod queue;

pub use policy::{
    ChangedBy, ConversationTimer, ExpiryMode, ExpiryPolicy, InvalidPolicy, MAX_TTL_SECS,
    MessageExpiry, TimerChange,
};
pub use queue::{Expiry, ExpiryError, ExpiryQueue, MAX_QUEUE_ENTRIES, MessageId};
