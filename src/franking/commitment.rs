//! The franking key, the commitment `cf` and the evidence a recipient keeps
//! (SPEC.md §19.1).

use hmac::Mac;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::frame::ContentType;
use crate::franking::COMMITMENT_LABEL;
use crate::identity::IdentityKey;
use crate::kdf::{hmac_finalize, hmac_keyed};
use crate::limits::FRANKING_COMMITMENT_LEN;
use crate::time::Timestamp;

/// The 32-byte franking key `kf` of one message: drawn by the sender,
/// carried inside the encryption, revealed to the relay only in a report.
/// Zeroized on drop, compared in constant time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct FrankingKey([u8; 32]);

impl FrankingKey {
    /// Draws a fresh key.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        Self(key)
    }

    /// A key from its bytes (as stored with a message).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key's bytes, to store with the message.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for FrankingKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for FrankingKey {}

impl core::fmt::Debug for FrankingKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("FrankingKey(..)")
    }
}

/// The franking commitment (SPEC.md §19.1):
///
/// ```text
/// cf = HMAC-SHA256(kf, "Sealwire_FrankingCommitment_v1" || content_type u8
///                      || Encode(IK_sender) || Encode(IK_recipient)
///                      || sent_at u64 || body_len u32 || body)
/// ```
///
/// Every field but the body has a fixed width and the body is
/// length-prefixed and last, so one input has one parse.
pub fn commitment(
    key: &FrankingKey,
    content_type: ContentType,
    sender: &IdentityKey,
    recipient: &IdentityKey,
    sent_at: Timestamp,
    body: &[u8],
) -> [u8; FRANKING_COMMITMENT_LEN] {
    commitment_encoded(
        key.as_bytes(),
        content_type.into(),
        &sender.encode(),
        &recipient.encode(),
        sent_at.as_unix_millis(),
        body,
    )
}

/// [`commitment`] over the encoded identities (`Encode(IK)`, 33 bytes).
pub(crate) fn commitment_encoded(
    key: &[u8; 32],
    content_type: u8,
    sender: &[u8; 33],
    recipient: &[u8; 33],
    sent_at: u64,
    body: &[u8],
) -> [u8; FRANKING_COMMITMENT_LEN] {
    let mut mac = hmac_keyed(key);
    mac.update(COMMITMENT_LABEL);
    mac.update(&[content_type]);
    mac.update(sender);
    mac.update(recipient);
    mac.update(&sent_at.to_be_bytes());
    // Bodies are at most MAX_BODY_LEN (2^20) bytes; a longer one (which no
    // frame can carry) saturates and still commits to its bytes.
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    mac.update(&len.to_be_bytes());
    mac.update(body);
    hmac_finalize(mac)
}

/// Constant-time comparison of two commitments (or stamps).
pub(crate) fn ct_eq32(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.ct_eq(b).into()
}

/// The franking evidence of a received message: the key `kf` from inside
/// the encryption and the commitment `cf` from the wire, already checked
/// against each other and the message. Store it with the message (and the
/// relay's [`Stamp`](crate::franking::Stamp)) to be able to report it.
#[derive(Clone, PartialEq, Eq)]
pub struct Franking {
    key: FrankingKey,
    commitment: [u8; FRANKING_COMMITMENT_LEN],
}

impl Franking {
    /// Evidence from its parts (as stored with a message).
    pub fn new(key: FrankingKey, commitment: [u8; FRANKING_COMMITMENT_LEN]) -> Self {
        Self { key, commitment }
    }

    /// The franking key `kf`.
    pub fn key(&self) -> &FrankingKey {
        &self.key
    }

    /// The commitment `cf` (the value the relay stamped).
    pub fn commitment(&self) -> &[u8; FRANKING_COMMITMENT_LEN] {
        &self.commitment
    }
}

impl core::fmt::Debug for Franking {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Franking")
            .field("commitment", &crate::hexfmt::Hex(&self.commitment))
            .finish_non_exhaustive()
    }
}

/// The franking evidence of a message decrypted in place, borrowing the
/// caller's buffer (where `kf` and `cf` are).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FrankingRef<'b> {
    /// The franking key `kf`, inside the decrypted frame.
    pub key: &'b [u8; 32],
    /// The commitment `cf`, from the message.
    pub commitment: &'b [u8; FRANKING_COMMITMENT_LEN],
}

impl FrankingRef<'_> {
    /// An owned copy.
    pub fn to_owned(&self) -> Franking {
        Franking::new(FrankingKey::from_bytes(*self.key), *self.commitment)
    }
}

impl core::fmt::Debug for FrankingRef<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FrankingRef")
            .field("commitment", &crate::hexfmt::Hex(self.commitment))
            .finish_non_exhaustive()
    }
}
