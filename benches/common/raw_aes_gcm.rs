//! The raw AES-256-GCM baseline of the 1:1 benches (`benches/session.rs`
//! and `bench-peers/`, both include this file with `#[path]`): what a
//! message's payload costs with nothing around it.

use std::hint::black_box;

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};

/// Length of the AEAD associated data of a ratchet message:
/// `Encode(IK_A) || Encode(IK_B)` (66 bytes) `|| header` (52 bytes). The
/// baseline authenticates the same amount.
pub(crate) const AEAD_AD_LEN: usize = 66 + 52;

/// AES-256-GCM seal then open of `buf` in place (it ends as it started),
/// each with its key setup (`Aes256Gcm::new`), over `AEAD_AD_LEN` bytes of
/// associated data.
pub(crate) fn seal_open(buf: &mut [u8]) {
    let key = [0x42u8; 32];
    let nonce = [0x24u8; 12];
    let ad = [0x11u8; AEAD_AD_LEN];
    let sealer = Aes256Gcm::new(black_box(&key).into());
    let tag = sealer
        .encrypt_inout_detached(&nonce.into(), &ad, InOutBuf::from(&mut *buf))
        .unwrap();
    let opener = Aes256Gcm::new(black_box(&key).into());
    opener
        .decrypt_inout_detached(&nonce.into(), &ad, InOutBuf::from(buf), &tag)
        .unwrap();
}
