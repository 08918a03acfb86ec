//! 1:1 sessions, with the protocol phases as types: a [`PendingSession`]
//! (initiator, before the first reply) and an established [`Session`].

pub(crate) mod conversation;
pub mod established;
pub mod key_agreement;
pub mod pending;
pub mod received;
pub mod record;
mod send;
pub mod time;
pub(crate) mod transport;

pub use established::Session;
pub use key_agreement::KeyAgreement;
pub use pending::{PendingSession, Rejected};
pub use received::{Received, ReceivedRef};
pub use record::SessionRecord;
pub use send::{Encrypt, Outgoing, Sent, SentInto};
pub use time::Timestamp;
