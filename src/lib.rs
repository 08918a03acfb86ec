//! End-to-end encryption for messaging apps: the cryptographic core an app
//! links to give its users *secret chats*.
//!
//! - **1:1 sessions**: X3DH or post-quantum PQXDH (ML-KEM-768) from a signed
//!   prekey bundle, then a Double Ratchet with forward secrecy,
//!   post-compromise security, out-of-order delivery and replay rejection;
//! - **groups and broadcast channels** with signed sender keys ([`group`]);
//! - **several devices per user** and sessions that heal ([`devices`]);
//! - **sealed sender**: the relay learns who receives, not who sends
//!   ([`sealed`]);
//! - **disappearing messages** enforced by the protocol ([`expiry`]);
//! - **abuse reports that keep chats private** (message franking,
//!   [`franking`]);
//! - **safety numbers** compatible with Signal's ([`SafetyNumber`]);
//! - **durable state**: versioned blobs, sealed to where they are stored, and
//!   storage traits ([`persist`], [`store`]); transactional: a failed call
//!   leaves every piece of state as it was ([`Transaction`]).
//!
//! `#![no_std]` + `alloc`, `#![forbid(unsafe_code)]`, sans-I/O: the caller
//! passes the time ([`Timestamp`]) and a random number generator
//! ([`rand_core::CryptoRng`]; [`os_rng`] with the default `std` feature).
//!
//! # Quick start
//!
//! ```rust
//! use sealwire::{
//!     Encrypt, IdentityKeyPair, KeyAgreement, Outgoing, PendingSession, PrekeyBundle, PrekeyStore,
//!     Session, Timestamp,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut rng = sealwire::os_rng();
//! let now = Timestamp::now();
//!
//! // Bob publishes a bundle: identity, signed prekey, one one-time prekey and
//! // a post-quantum (ML-KEM-768) prekey: the last-resort one `new_pq` made.
//! let bob_id = IdentityKeyPair::generate(&mut rng);
//! let mut bob_prekeys = PrekeyStore::new_pq(&bob_id, &mut rng);
//! bob_prekeys.set_require_pq(true); // refuse classic (X3DH-only) sessions
//! let opks = bob_prekeys.generate_one_time_prekeys(&mut rng, 10);
//! let published: Vec<u8> = bob_prekeys.bundle(&bob_id, Some(opks[0].id))?.to_vec();
//!
//! // Alice fetches it; parsing verifies both signatures. The bundle has a PQ
//! // prekey, so the session is set up with PQXDH.
//! let alice_id = IdentityKeyPair::generate(&mut rng);
//! let bundle = PrekeyBundle::parse(&published)?;
//! let mut alice = PendingSession::initiate(&mut rng, &alice_id, &bundle)?;
//! assert!(alice.is_post_quantum());
//! let hello = alice.encrypt(&mut rng, now, Outgoing::message(b"hello Bob"))?.message;
//!
//! // Bob accepts the session from Alice's prekey message.
//! let (mut bob, received) = Session::accept(&bob_id, &mut bob_prekeys, now, &hello)?;
//! assert_eq!(&received.plaintext[..], b"hello Bob");
//! assert_eq!(bob.key_agreement(), KeyAgreement::Pqxdh); // show it to the user
//! assert_eq!(received.sender, *alice_id.public());
//!
//! // Every session type sends through the `Encrypt` trait: an `Outgoing`
//! // message in, the wire bytes (and, if franked, the franking opening) out.
//! // The first reply turns Alice's pending session into an established one.
//! let reply = bob.encrypt(&mut rng, now, Outgoing::message(b"hi Alice"))?.message;
//! let (mut alice, got) = alice.receive(now, &reply).map_err(|r| r.error)?;
//! assert_eq!(&got.plaintext[..], b"hi Alice");
//!
//! // A tampered message is refused and changes nothing.
//! let mut forged = alice.encrypt(&mut rng, now, Outgoing::message(b"pay 10"))?.message;
//! let last = forged.len() - 1;
//! forged[last] ^= 1;
//! let before = bob.clone();
//! assert!(bob.decrypt(now, &forged).is_err());
//! assert!(bob == before);
//! # Ok(())
//! # }
//! ```
//!
//! # Where things are
//!
//! | area | start with |
//! |---|---|
//! | identity and prekeys | [`IdentityKeyPair`], [`PrekeyStore`], [`PrekeyBundle`], [`SignedPqPrekey`] |
//! | 1:1 sessions | [`PendingSession::initiate`], [`Session::accept`], [`SessionRecord`], the [`Encrypt`] trait with [`Outgoing`], [`Received`] (its body a [`Plaintext`]) |
//! | groups and channels | [`group::Group`], [`group::ChannelOwner`], [`group::ChannelSubscriber`], [`group::Distribution`] |
//! | several devices | [`DeviceAddress`], [`devices::DeviceList`], [`devices::DeviceSessions`], [`devices::encrypt_for_devices`] |
//! | sealed sender | [`sealed::ServerKey`], [`sealed::TrustedServerKeys`], [`sealed::seal`], [`sealed::open`], [`sealed::seal_post`] |
//! | disappearing messages | [`expiry::ExpiryPolicy`], [`expiry::ExpiryQueue`] |
//! | abuse reports | [`Outgoing::franked`], [`franking::Report`], [`franking::verify_report`] |
//! | verify a contact | [`SafetyNumber`] |
//! | state on disk | [`persist::StateBlob`], [`persist::StorageKey`], [`store::MemoryStore`] |
//! | wire constants and limits | [`wire`], [`limits`] |
//!
//! Errors are one `#[non_exhaustive]` enum per area ([`SessionError`],
//! [`DecodeError`], [`BundleError`], [`group::GroupError`],
//! [`sealed::SealedError`], ...); every failure that depends on a key is one
//! opaque variant, so an error never tells an attacker which check failed.
//!
//! # Features
//!
//! - `std` (default): [`os_rng`], [`Timestamp::now`] and conversions from
//!   `std::time::SystemTime`.
//! - `hazmat`: the low-level API behind the known-answer tests. Misuse breaks
//!   security: never in a product.
//! - `test-utils`: a seeded deterministic generator and session fixtures, for
//!   tests only.
//!
//! # Specifications
//!
//! The crate's source package carries the documents this API implements:
//! `SPEC.md` (the normative wire format and protocol; section numbers such as
//! "SPEC.md §3.8" in these docs point there), `SECURITY.md` (the threat model
//! and what each guarantee holds against), `STORAGE.md` (the state blobs) and
//! `RATIONALE.md` (where and why sealwire departs from Signal's protocols).
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
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
mod plaintext;
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
pub use plaintext::Plaintext;
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

// The README's examples are compiled and run as doc tests too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
