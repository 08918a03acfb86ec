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

mod address;
mod blob_writer;
mod bundle;
pub mod devices;
mod dh;
mod error;
pub mod expiry;
mod frame;
pub mod franking;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod group;
mod handshake;
#[cfg(feature = "hazmat")]
pub mod hazmat;
mod hexfmt;
mod identity;
mod kdf;
mod kem;
pub mod limits;
pub mod persist;
mod pq_prekey;
mod prekey;
mod ratchet;
mod rng;
mod safety_number;
pub mod sealed;
mod session;
pub mod store;
#[cfg(feature = "test-utils")]
pub mod testing;
mod time;
mod transaction;
mod wipe;
pub mod wire;

/// The `rand_core` version of the RNG traits every API here takes, so
/// dependent crates name the same `CryptoRng` without their own dependency.
pub use rand_core;

pub use address::DeviceAddress;
pub use bundle::{OneTimePrekeyPublic, PrekeyBundle};
pub use error::{BundleError, DecodeError, SessionError};
pub use frame::ContentType;
pub use identity::{IdentityKey, IdentityKeyPair};
pub use pq_prekey::{PqPrekeyKind, PqPrekeyPublic, SignedPqPrekey};
pub use prekey::{MissingPrekey, PrekeyStore, SignedPrekey};
#[cfg(feature = "std")]
pub use rng::{OsRng, os_rng};
pub use safety_number::{SafetyNumber, SafetyNumberError};
pub use session::{
    Encrypt, KeyAgreement, Outgoing, PendingSession, Received, ReceivedRef, Rejected, Sent,
    SentInto, Session, SessionRecord,
};
pub use time::{Timestamp, TimestampOutOfRange};
pub use transaction::Transaction;
