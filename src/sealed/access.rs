//! Access keys (SPEC.md §22.3): the delivery token a relay checks for a
//! sealed message without learning who sent it, derived from the
//! recipient's profile key (Signal's unidentified-access key).

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::kdf::hkdf_sha256;
use crate::sealed::ACCESS_KEY_INFO;

/// Length of an access key.
pub const ACCESS_KEY_LEN: usize = 16;

/// A user's 32-byte profile key: random, secret, shared by the app with
/// the contacts it lets send sealed messages (over the 1:1 sessions).
/// Zeroized on drop; compared in constant time.
///
/// Rotating it (a new profile key, given to every contact but the ones
/// dropped, and the new [`AccessKey`] registered with the relay) turns
/// sealed sending off for whoever does not get the new key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ProfileKey([u8; 32]);

impl ProfileKey {
    /// Draws a fresh profile key.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        Self(key)
    }

    /// A profile key from its bytes (as received from a contact, or
    /// stored).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key's bytes, to store or to send to a contact. A secret.
    pub fn danger_as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// `HKDF(0x00*32, profile key, "Sealwire_AccessKey_v1", 16)`: the
    /// access key the user registers with the relay and its contacts
    /// present when they send it a sealed message.
    pub fn access_key(&self) -> AccessKey {
        AccessKey(hkdf_sha256(&[0u8; 32], &[&self.0], ACCESS_KEY_INFO))
    }
}

impl PartialEq for ProfileKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for ProfileKey {}

impl core::fmt::Debug for ProfileKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ProfileKey(..)")
    }
}

/// A 16-byte access key: what a sender presents to the relay with a sealed
/// message, and what the relay stores per recipient and compares in
/// constant time ([`verify`](Self::verify)). A bearer token: zeroized on
/// drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AccessKey([u8; ACCESS_KEY_LEN]);

impl AccessKey {
    /// An access key from its bytes (as the relay stores it, or as
    /// presented).
    pub fn from_bytes(bytes: [u8; ACCESS_KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// The key's bytes, to present or to store.
    pub fn as_bytes(&self) -> &[u8; ACCESS_KEY_LEN] {
        &self.0
    }

    /// The relay's check: whether `presented` is this key, in constant
    /// time (a presented token of another length is refused).
    pub fn verify(&self, presented: &[u8]) -> bool {
        self.0.as_slice().ct_eq(presented).into()
    }

    /// The token of a multi-recipient message: the XOR of the recipients'
    /// access keys (SPEC.md §22.3). `None` for no key. The relay computes it
    /// from the keys it stores for the message's recipients and
    /// [`verify`](Self::verify)s the presented one; a recipient named twice
    /// would cancel out, which is why a multi-recipient message names each
    /// recipient once.
    pub fn combined(keys: &[AccessKey]) -> Option<AccessKey> {
        let (first, rest) = keys.split_first()?;
        let mut out = first.clone();
        for k in rest {
            for (o, b) in out.0.iter_mut().zip(k.0.iter()) {
                *o ^= *b;
            }
        }
        Some(out)
    }
}

impl PartialEq for AccessKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for AccessKey {}

impl core::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AccessKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_keys_verify_in_full_and_combine_by_xor() {
        let a = ProfileKey::from_bytes([1; 32]).access_key();
        let b = ProfileKey::from_bytes([2; 32]).access_key();
        assert_ne!(a, b);
        assert!(a.verify(a.as_bytes()));
        assert!(!a.verify(b.as_bytes()));
        assert!(!a.verify(&a.as_bytes()[..15]));
        assert!(!a.verify(&[]));
        let ab = AccessKey::combined(&[a.clone(), b.clone()]).unwrap();
        let mut x = *a.as_bytes();
        for (x, y) in x.iter_mut().zip(b.as_bytes()) {
            *x ^= y;
        }
        assert_eq!(ab.as_bytes(), &x);
        assert_eq!(
            AccessKey::combined(core::slice::from_ref(&a)),
            Some(a.clone())
        );
        assert_eq!(AccessKey::combined(&[]), None);
        assert_eq!(alloc::format!("{a:?}"), "AccessKey(..)");
        assert_eq!(
            alloc::format!("{:?}", ProfileKey::from_bytes([1; 32])),
            "ProfileKey(..)"
        );
    }

    #[test]
    fn profile_keys_are_equal_exactly_when_their_bytes_are() {
        let mut other = [7; 32];
        assert_eq!(
            ProfileKey::from_bytes([7; 32]),
            ProfileKey::from_bytes(other)
        );
        other[31] ^= 1;
        assert_ne!(
            ProfileKey::from_bytes([7; 32]),
            ProfileKey::from_bytes(other)
        );
        let key = ProfileKey::from_bytes([9; 32]);
        assert_eq!(key.clone(), key);
    }
}
