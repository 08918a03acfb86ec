//! Key derivation: HMAC-SHA256 and HKDF-SHA256 (RFC 5869) with every label
//! of the protocol. SPEC.md §5 is normative.
//!
//! HKDF is written out over `hmac` because every output here is at most 64
//! bytes (two HMAC blocks): the length is checked at compile time, so no
//! fallible call remains, and the pseudorandom key's HMAC state is keyed once
//! and reused for both output blocks.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

/// HKDF info of X3DH (classic, no post-quantum KEM).
pub const X3DH_INFO: &[u8] = b"Sealwire_X3DH_v1";
/// HKDF info of the root-key step of the Double Ratchet.
pub const RATCHET_INFO: &[u8] = b"Sealwire_Ratchet_v1";
/// HKDF info that turns a message key into an AES-256-GCM key and nonce.
pub const MESSAGE_KEYS_INFO: &[u8] = b"Sealwire_MessageKeys_v1";

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// A keyed HMAC-SHA256 state. HMAC accepts keys of any length, so keying
/// cannot fail; the error arm is unreachable and answered with a state keyed
/// by the empty key only to stay panic-free.
pub(crate) fn hmac_keyed(key: &[u8]) -> HmacSha256 {
    match <HmacSha256 as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => <HmacSha256 as KeyInit>::new(&Default::default()),
    }
}

fn finalize(mac: HmacSha256) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// `HMAC-SHA256` of `data` under an already keyed state (the state is cloned).
pub(crate) fn hmac_with(state: &HmacSha256, data: &[u8]) -> [u8; 32] {
    let mut mac = state.clone();
    mac.update(data);
    finalize(mac)
}

/// `HKDF-SHA256(salt, ikm, info, L = N)` for `N <= 64`.
///
/// `ikm` is given in parts that are concatenated, so callers need not build
/// the input in a temporary buffer.
pub(crate) fn hkdf_sha256<const N: usize>(salt: &[u8], ikm: &[&[u8]], info: &[u8]) -> [u8; N] {
    const { assert!(N <= 64, "this HKDF supports at most two output blocks") };
    let mut extract = hmac_keyed(salt);
    for part in ikm {
        extract.update(part);
    }
    let mut prk = finalize(extract);
    let prk_state = hmac_keyed(&prk);
    prk.zeroize();

    let mut t1_mac = prk_state.clone();
    t1_mac.update(info);
    t1_mac.update(&[1]);
    let mut t1 = finalize(t1_mac);

    let mut out = [0u8; N];
    let first = N.min(32);
    if let (Some(dst), Some(src)) = (out.get_mut(..first), t1.get(..first)) {
        dst.copy_from_slice(src);
    }
    if N > 32 {
        let mut t2_mac = prk_state;
        t2_mac.update(&t1);
        t2_mac.update(info);
        t2_mac.update(&[2]);
        let mut t2 = finalize(t2_mac);
        let rest = N.saturating_sub(32);
        if let (Some(dst), Some(src)) = (out.get_mut(32..), t2.get(..rest)) {
            dst.copy_from_slice(src);
        }
        t2.zeroize();
    }
    t1.zeroize();
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::cast_possible_truncation)]
    use super::*;

    #[test]
    fn hkdf_matches_rfc5869_case_1() {
        let ikm = [0x0bu8; 22];
        let salt: [u8; 13] = core::array::from_fn(|i| i as u8);
        let info: [u8; 10] = core::array::from_fn(|i| 0xf0 + i as u8);
        let okm: [u8; 42] = hkdf_sha256(&salt, &[&ikm], &info);
        let expected = [
            0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a, 0x90, 0x43, 0x4f, 0x64, 0xd0, 0x36,
            0x2f, 0x2a, 0x2d, 0x2d, 0x0a, 0x90, 0xcf, 0x1a, 0x5a, 0x4c, 0x5d, 0xb0, 0x2d, 0x56,
            0xec, 0xc4, 0xc5, 0xbf, 0x34, 0x00, 0x72, 0x08, 0xd5, 0xb8, 0x87, 0x18, 0x58, 0x65,
        ];
        assert_eq!(okm, expected);
    }

    #[test]
    fn hkdf_matches_the_hkdf_crate_for_every_length() {
        let salt = [7u8; 32];
        let ikm = [9u8; 50];
        macro_rules! check {
            ($($n:literal)*) => {$(
                let ours: [u8; $n] = hkdf_sha256(&salt, &[&ikm[..20], &ikm[20..]], b"label");
                let mut theirs = [0u8; $n];
                hkdf::Hkdf::<Sha256>::new(Some(&salt), &ikm).expand(b"label", &mut theirs).unwrap();
                assert_eq!(ours, theirs);
            )*};
        }
        check!(1 16 31 32 33 44 63 64);
    }
}
