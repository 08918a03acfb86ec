#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod codec;
mod devices;
mod error;
mod messaging;
mod rows;
mod schema;
mod store;
mod types;

pub use error::{StateRecord, StoreError};
pub use schema::{BUSY_TIMEOUT, SCHEMA_VERSION};
pub use store::SqliteStore;
pub use types::{
    Direction, OutboxEntry, Outgoing, ReceiveOutcome, RecoveryAccepted, SessionEvent,
    StoredMessage, UserOutgoing,
};
