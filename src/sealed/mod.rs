//! Sealed sender (SPEC.md §22): the relay learns who receives a message,
//! not who sends it.
//!
//! - The app's **server** holds a [`ServerKey`] (Ed25519, with a key id)
//!   and issues each device a short-lived [`SenderCertificate`] binding its
//!   user id, device id and identity key. This side is `no_std` and keeps
//!   no state, like the franking relay.
//! - The **sender** wraps each 1:1 message, with its certificate, in an
//!   envelope encrypted to the recipient's identity key under a fresh
//!   ephemeral key ([`seal`]); a group post goes to many devices in one
//!   multi-recipient message whose body is encrypted once ([`seal_post`]).
//! - The **relay** sees the recipient and the envelope, nothing of the
//!   sender. It checks a delivery token the recipient controls
//!   ([`AccessKey`], derived from the recipient's [`ProfileKey`]), splits a
//!   multi-recipient message into one [`MultiRecipientMessage::message_for`]
//!   per recipient, and can still stamp a franked message
//!   ([`commitment_of_sealed`]).
//! - The **recipient** opens the envelope ([`open`], [`open_post`]: no
//!   state), learns who claims to have sent it, and then
//!   [`Unsealed::decrypt`] / [`UnsealedPost::receive`] verify the
//!   certificate against the pinned server keys ([`TrustedServerKeys`]) and
//!   its own clock, check it against the sender's device list, and decrypt
//!   the inner message, which must authenticate as the certificate's
//!   identity. Any failure changes nothing.
//!
//! ```
//! use sealwire::devices::{DeviceList, DeviceSessions};
//! use sealwire::sealed::{ServerKey, TrustedServerKeys, open, seal};
//! use sealwire::{DeviceAddress, IdentityKeyPair, Outgoing, PrekeyStore, Timestamp};
//!
//! let mut rng = sealwire::os_rng();
//! let now = Timestamp::from_unix_millis(1_780_000_000_000);
//! let tomorrow = Timestamp::from_unix_millis(1_780_086_400_000);
//! let (alice, bob) = (IdentityKeyPair::generate(&mut rng), IdentityKeyPair::generate(&mut rng));
//! let mut bob_prekeys = PrekeyStore::new(&bob, &mut rng);
//!
//! // The server issues Alice's device a certificate; clients pin its key.
//! let server = ServerKey::generate(&mut rng, 1);
//! let certificate = server.issue(&DeviceAddress::new("alice", 1), alice.public(), tomorrow)?;
//! let mut trusted = TrustedServerKeys::new();
//! trusted.add(server.public())?;
//!
//! // Alice encrypts for Bob's device as usual, then seals.
//! let mut to_bob = DeviceSessions::new();
//! to_bob.initiate(&mut rng, &alice, bob.public(), &bob_prekeys.bundle(&bob, None)?)?;
//! let message = to_bob.encrypt(&mut rng, now, bob.public(), Outgoing::message(b"hi"))?.message;
//! let envelope = seal(&mut rng, bob.public(), &certificate, &message)?;
//!
//! // The relay forwards `envelope` to Bob; nothing in it names Alice.
//! // Bob opens it, looks up the claimed sender's list and sessions, and
//! // decrypts: certificate, device list and inner message must agree.
//! let unsealed = open(&bob, &envelope)?;
//! assert_eq!(unsealed.sender(), DeviceAddress::new("alice", 1));
//! let mut alice_devices = DeviceList::new("alice")?;
//! alice_devices.update(&[(1, *alice.public())])?;
//! let mut from_alice = DeviceSessions::new();
//! let (sender, received) = unsealed.decrypt(
//!     now, &mut trusted, &bob, &mut bob_prekeys, &alice_devices, &mut from_alice,
//! )?;
//! assert_eq!(sender, DeviceAddress::new("alice", 1));
//! assert_eq!(&received.plaintext[..], b"hi");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod access;
mod certificate;
mod envelope;
mod error;
mod multi;
mod server;
mod trusted_blob;

pub use access::{ACCESS_KEY_LEN, AccessKey, ProfileKey};
pub use certificate::SenderCertificate;
pub use envelope::{Unsealed, commitment_of_sealed, open, seal, sealed_len};
pub use error::SealedError;
pub use multi::{MultiRecipientMessage, UnsealedPost, multi_recipient_len, open_post, seal_post};
pub use server::{SERVER_PUBLIC_KEY_LEN, ServerKey, ServerPublicKey, TrustedServerKeys};

#[cfg(feature = "hazmat")]
pub(crate) use envelope::seal_with;
#[cfg(feature = "hazmat")]
pub(crate) use multi::seal_post_with;

/// Version byte of every sealed-sender encoding: certificate, server
/// public key, envelope, multi-recipient message, sealed post.
pub const SEALED_VERSION: u8 = 0x01;
/// Type byte of a sender certificate (SPEC.md §22.1).
pub const TYPE_SENDER_CERTIFICATE: u8 = 0x50;
/// Type byte of a sealed envelope (SPEC.md §22.2).
pub const TYPE_SEALED: u8 = 0x51;
/// Type byte of a multi-recipient sealed message, as the sender hands it
/// to the relay (SPEC.md §22.4).
pub const TYPE_MULTI_RECIPIENT: u8 = 0x52;
/// Type byte of a sealed post: one recipient's part of a multi-recipient
/// message, as the relay delivers it (SPEC.md §22.4).
pub const TYPE_SEALED_POST: u8 = 0x53;
/// Type byte of an encoded server public key (SPEC.md §22.1).
pub const TYPE_SERVER_PUBLIC_KEY: u8 = 0x54;
/// Type byte of a franked sealed envelope: the envelope of a franked
/// message, with its commitment `cf` in clear for the relay's stamp
/// (SPEC.md §22.2; `0x80` set, as in the franked message types).
pub const TYPE_FRANKED_SEALED: u8 = 0xD1;

/// Domain-separation label of a certificate's signature (SPEC.md §22.1).
pub const CERTIFICATE_SIGNATURE_LABEL: &[u8] = b"sealwire sender certificate";
/// HKDF info label of the envelope's key and nonce (SPEC.md §22.2).
pub const SEALED_KEYS_INFO: &[u8] = b"Sealwire_SealedSender_v1";
/// HKDF info label that turns a multi-recipient message's secret `M` into
/// its ephemeral key and body key (SPEC.md §22.4).
pub const SEALED_POST_INFO: &[u8] = b"Sealwire_SealedPost_v1";
/// HKDF info label of one recipient's mask and tag key (SPEC.md §22.4).
pub const SEALED_RECIPIENT_INFO: &[u8] = b"Sealwire_SealedPostRecipient_v1";
/// HKDF info label of the access key (SPEC.md §22.3).
pub const ACCESS_KEY_INFO: &[u8] = b"Sealwire_AccessKey_v1";
