#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod bundle;
mod dh;
pub mod error;
pub mod expiry;
pub mod frame;
pub mod franking;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod group;
mod handshake;
#[cfg(feature = "hazmat")]
pub mod hazmat;
mod hexfmt;
pub mod identity;
pub mod kdf;
mod kem;
pub mod limits;
pub mod persist;
pub mod pq_prekey;
pub mod prekey;
#[doc(hidden)]
pub mod ratchet;
mod rng;
pub mod safety_number;
pub mod session;
pub mod store;
#[cfg(feature = "test-utils")]
pub mod testing;
mod transaction;
mod wipe;
pub mod wire;

/// The `rand_core` version of the RNG traits every API here takes, so
/// dependent crates name the same `CryptoRng` without their own dependency.
pub use rand_core;

pub use bundle::PrekeyBundle;
pub use error::{BundleError, DecodeError, SessionError, StateError};
pub use expiry::{Expiry, ExpiryError, ExpiryQueue, MessageId};
pub use frame::ContentType;
pub use franking::{Franking, FrankingKey, RelayKey, Report, ReportError, RoutingContext, Stamp};
pub use identity::{IdentityKey, IdentityKeyPair};
pub use pq_prekey::{PqPrekeyKind, PqPrekeyPublic, SignedPqPrekey};
pub use prekey::{MissingPrekey, OneTimePrekeyPublic, PrekeyStore, SignedPrekey};
#[cfg(feature = "std")]
pub use rng::{OsRng, os_rng};
pub use safety_number::{SafetyNumber, SafetyNumberError};
pub use session::{
    Encrypt, KeyAgreement, Outgoing, PendingSession, Received, ReceivedRef, Rejected, Sent,
    SentInto, Session, SessionRecord, Timestamp,
};
pub use transaction::Transaction;
