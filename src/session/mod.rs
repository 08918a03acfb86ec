//! 1:1 sessions, with the protocol phases as types: a [`PendingSession`]
//! (initiator, before the first reply) and an established [`Session`].

pub(crate) mod conversation;
mod established;
pub(crate) mod key_agreement;
pub(crate) mod outgoing;
mod pending;
pub(crate) mod received;
pub(crate) mod record;
mod send;
pub(crate) mod transport;

pub use established::Session;
pub use key_agreement::KeyAgreement;
pub use outgoing::{Outgoing, Sent, SentInto};
pub use pending::{PendingSession, Rejected};
pub use received::{Received, ReceivedRef};
pub use record::SessionRecord;
pub use send::Encrypt;
