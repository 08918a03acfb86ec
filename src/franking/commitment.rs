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
/// length-prefixed and last, so one input has one parse. `None` for a body
/// of more than `u32::MAX` bytes, whose length the commitment cannot
/// encode (no frame carries one: bodies are at most
/// [`MAX_BODY_LEN`](crate::limits::MAX_BODY_LEN) bytes).
pub fn commitment(
    key: &FrankingKey,
    content_type: ContentType,
    sender: &IdentityKey,
    recipient: &IdentityKey,
    sent_at: Timestamp,
    body: &[u8],
) -> Option<[u8; FRANKING_COMMITMENT_LEN]> {
    commitment_encoded(
        key.as_bytes(),
        content_type.into(),
        &sender.encode(),
        &recipient.encode(),
        sent_at.as_unix_millis(),
        body,
    )
}

/// [`commitment`] over the encoded identities (`Encode(IK)`, 33 bytes);
/// `None` for a body longer than `u32::MAX` bytes (each caller has refused
/// bodies over `MAX_BODY_LEN` before, and maps `None` to that refusal).
pub(crate) fn commitment_encoded(
    key: &[u8; 32],
    content_type: u8,
    sender: &[u8; 33],
    recipient: &[u8; 33],
    sent_at: u64,
    body: &[u8],
) -> Option<[u8; FRANKING_COMMITMENT_LEN]> {
    let len = u32::try_from(body.len()).ok()?;
    let mut mac = hmac_keyed(key);
    mac.update(COMMITMENT_LABEL);
    mac.update(&[content_type]);
    mac.update(sender);
    mac.update(recipient);
    mac.update(&sent_at.to_be_bytes());
    mac.update(&len.to_be_bytes());
    mac.update(body);
    Some(hmac_finalize(mac))
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn keys_are_equal_exactly_when_their_bytes_are_and_debug_shows_none() {
        let a = FrankingKey::from_bytes([1; 32]);
        assert_eq!(a, FrankingKey::from_bytes([1; 32]));
        assert_ne!(a, FrankingKey::from_bytes([2; 32]));
        assert_eq!(a.as_bytes(), &[1; 32]);
        assert_eq!(format!("{a:?}"), "FrankingKey(..)");
        let mut rng = crate::testing::DangerDeterministicRng::from_u64(1);
        let (x, y) = (
            FrankingKey::generate(&mut rng),
            FrankingKey::generate(&mut rng),
        );
        assert_ne!(x, y, "each key is drawn afresh");
        assert_ne!(x.as_bytes(), &[0; 32]);
    }

    #[test]
    fn evidence_keeps_its_parts_and_shows_only_the_commitment() {
        let key = [0x5a; 32];
        let cf = [0xc3; FRANKING_COMMITMENT_LEN];
        let borrowed = FrankingRef {
            key: &key,
            commitment: &cf,
        };
        let owned = borrowed.to_owned();
        assert_eq!(owned.key(), &FrankingKey::from_bytes(key));
        assert_eq!(owned.commitment(), &cf);
        for shown in [format!("{owned:?}"), format!("{borrowed:?}")] {
            assert!(shown.contains(&"c3".repeat(32)), "{shown}");
            assert!(!shown.contains("5a5a"), "the key leaks: {shown}");
        }
        assert!(format!("{owned:?}").starts_with("Franking {"));
        assert!(format!("{borrowed:?}").starts_with("FrankingRef {"));
    }

    #[test]
    fn the_commitment_is_the_hmac_of_spec_19_1_and_compares_exactly() {
        let key = FrankingKey::from_bytes([4; 32]);
        let sender = crate::IdentityKeyPair::from_seed(&[1; 32]);
        let recipient = crate::IdentityKeyPair::from_seed(&[2; 32]);
        let at = crate::Timestamp::from_unix_millis(1_700_000_000_000);
        let cf = commitment(
            &key,
            ContentType::UserMessage,
            sender.public(),
            recipient.public(),
            at,
            b"body",
        )
        .expect("a short body");
        let mut input = alloc::vec::Vec::new();
        input.extend_from_slice(COMMITMENT_LABEL);
        input.push(0x01);
        input.extend_from_slice(&sender.public().encode());
        input.extend_from_slice(&recipient.public().encode());
        input.extend_from_slice(&at.as_unix_millis().to_be_bytes());
        input.extend_from_slice(&4u32.to_be_bytes());
        input.extend_from_slice(b"body");
        let mut mac = hmac_keyed(&[4; 32]);
        mac.update(&input);
        assert_eq!(cf, hmac_finalize(mac));
        assert!(ct_eq32(&cf, &cf));
        let mut other = cf;
        other[31] ^= 1;
        assert!(!ct_eq32(&cf, &other));
    }
}
