#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod codec;
mod devices;
mod error;
mod group_rows;
mod groups;
mod messaging;
mod rows;
mod schema;
mod store;
mod types;

pub use error::{StateRecord, StoreError};
pub use schema::{BUSY_TIMEOUT, SCHEMA_VERSION};
pub use store::SqliteStore;
pub use types::{
    Direction, DistributionOutcome, GroupInfo, GroupMessage, GroupPost, GroupPostEntry,
    GroupReceiveOutcome, GroupRole, GroupUpdate, OutboxEntry, Outgoing, ReceiveOutcome,
    RecoveryAccepted, SessionEvent, StoredMessage, UserOutgoing,
};
