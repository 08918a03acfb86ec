//! A sender-key chain: the chain key, `KDF_CK` and the per-post message
//! key with its AEAD (SPEC.md §20.4).

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

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

/// The AEAD failed: the tag does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AeadFailure;

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

    /// `HKDF(0x00*32, MK, "Sealwire_GroupMessageKeys_v1", 44)`: key
    /// `[0..32]`, nonce `[32..44]`.
    fn cipher(&self) -> (Aes256Gcm, [u8; 12]) {
        let mut okm = group_message_keys(&self.0);
        let mut key = [0u8; 32];
        let mut nonce = [0u8; 12];
        let (k, n) = okm.split_at(32);
        key.copy_from_slice(k);
        nonce.copy_from_slice(n);
        let cipher = Aes256Gcm::new(&key.into());
        key.zeroize();
        okm.zeroize();
        (cipher, nonce)
    }

    /// Encrypts `buf` in place; returns the tag.
    pub(crate) fn seal(self, ad: &[u8], buf: &mut [u8]) -> Result<[u8; 16], AeadFailure> {
        let (cipher, nonce) = self.cipher();
        let tag = cipher
            .encrypt_inout_detached(&nonce.into(), ad, InOutBuf::from(buf))
            .map_err(|_| AeadFailure)?;
        let mut out = [0u8; 16];
        out.copy_from_slice(&tag);
        Ok(out)
    }

    /// Verifies `tag` and decrypts `buf` in place; on failure `buf` is
    /// unchanged.
    pub(crate) fn open(
        &self,
        ad: &[u8],
        buf: &mut [u8],
        tag: &[u8; 16],
    ) -> Result<(), AeadFailure> {
        let (cipher, nonce) = self.cipher();
        cipher
            .decrypt_inout_detached(&nonce.into(), ad, InOutBuf::from(buf), &(*tag).into())
            .map_err(|_| AeadFailure)
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
