//! A sender-key chain: the chain key, `KDF_CK` and the per-post message
//! key with its AES-256-CTR keystream (SPEC.md §20.4).

use aes_gcm::aes::Aes256;
use ctr::cipher::{KeyIvInit, StreamCipher};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::group::post::POST_RANDOM_LEN;
use crate::kdf::{group_message_keys, hmac_sha256_pair};

/// Input byte of `HMAC(ck, ·)` that yields the message key.
const MESSAGE_KEY_SEED: u8 = 0x01;
/// Input byte of `HMAC(ck, ·)` that yields the next chain key.
const CHAIN_KEY_SEED: u8 = 0x02;

/// A 32-byte sender-key chain key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct GroupChainKey([u8; 32]);

impl GroupChainKey {
    pub(crate) fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// `MK = HMAC(CK, 0x01)`, `CK' = HMAC(CK, 0x02)` (the 1:1 `KDF_CK`).
    pub(crate) fn step(&self) -> (GroupMessageKey, GroupChainKey) {
        let (mk, ck) = hmac_sha256_pair(&self.0, MESSAGE_KEY_SEED, CHAIN_KEY_SEED);
        (GroupMessageKey(mk), GroupChainKey(ck))
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for GroupChainKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl core::fmt::Debug for GroupChainKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("GroupChainKey(..)")
    }
}

/// The keystream ran out (a buffer longer than 2³² AES blocks, which no
/// post can be: posts are at most `MAX_POST_LEN` bytes), or a body slot
/// that does not fit its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeystreamExhausted;

/// AES-256-CTR with a 32-bit big-endian block counter in the last four
/// bytes of the counter block (SPEC.md §20.4).
type PostCipher = ctr::Ctr32BE<Aes256>;

/// A single-use 32-byte post key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct GroupMessageKey([u8; 32]);

impl GroupMessageKey {
    pub(crate) fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// `HKDF(0x00*32, MK, "Sealwire_GroupMessageKeys_v3", 44)`: key
    /// `[0..32]`, nonce `[32..44]`; the counter block is
    /// `(nonce XOR r) || 0u32` and counts up from there, `r` being the
    /// post's fresh random bytes (SPEC.md §20.4).
    fn cipher(&self, random: &[u8; POST_RANDOM_LEN]) -> PostCipher {
        let mut okm = group_message_keys(&self.0);
        let mut key = [0u8; 32];
        let mut iv = [0u8; 16];
        let (k, n) = okm.split_at(32);
        key.copy_from_slice(k);
        for (b, (n, r)) in iv.iter_mut().zip(n.iter().zip(random)) {
            *b = n ^ r;
        }
        let cipher = PostCipher::new(&key.into(), &iv.into());
        key.zeroize();
        iv.zeroize();
        okm.zeroize();
        cipher
    }

    /// XORs the post's keystream into `buf`: decrypts a ciphertext whose
    /// signature has been verified. The post's integrity is its signature
    /// (SPEC.md §20.2); there is no tag.
    pub(crate) fn apply_keystream(
        &self,
        random: &[u8; POST_RANDOM_LEN],
        buf: &mut [u8],
    ) -> Result<(), KeystreamExhausted> {
        self.cipher(random)
            .try_apply_keystream(buf)
            .map_err(|_| KeystreamExhausted)
    }

    /// Encrypts a frame written around an empty body slot (`body_at`,
    /// from [`write_frame_around`](crate::frame::write_frame_around)),
    /// taking the body straight from `body`: the same bytes as writing the
    /// body into the frame and applying the keystream, in one pass over
    /// the body instead of two.
    pub(crate) fn encrypt_frame(
        &self,
        random: &[u8; POST_RANDOM_LEN],
        frame: &mut [u8],
        body_at: core::ops::Range<usize>,
        body: &[u8],
    ) -> Result<(), KeystreamExhausted> {
        let mut cipher = self.cipher(random);
        let (head, rest) = frame
            .split_at_mut_checked(body_at.start)
            .ok_or(KeystreamExhausted)?;
        let (slot, padding) = rest
            .split_at_mut_checked(body_at.len())
            .ok_or(KeystreamExhausted)?;
        cipher
            .try_apply_keystream(head)
            .and_then(|()| cipher.try_apply_keystream_b2b(body, slot))
            .and_then(|()| cipher.try_apply_keystream(padding))
            .map_err(|_| KeystreamExhausted)
    }
}

impl PartialEq for GroupMessageKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl core::fmt::Debug for GroupMessageKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("GroupMessageKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_equal_exactly_when_their_bytes_are_and_never_print() {
        let ck = GroupChainKey::new([1; 32]);
        let (mk, next) = ck.step();
        assert_eq!(ck, GroupChainKey::new([1; 32]));
        assert_ne!(ck, next, "a step changes the chain key");
        let (mk_again, _) = GroupChainKey::new([1; 32]).step();
        assert_eq!(mk, mk_again);
        let (other, _) = next.step();
        assert_ne!(mk, other);
        assert_eq!(alloc::format!("{ck:?}"), "GroupChainKey(..)");
        assert_eq!(alloc::format!("{mk:?}"), "GroupMessageKey(..)");
    }
}
