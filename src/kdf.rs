//! Key derivation: HMAC-SHA256 and HKDF-SHA256 (RFC 5869) with every label
//! of the protocol. SPEC.md §5 is normative.
//!
//! Built on the `hmac` and `hkdf` crates. A key's HMAC schedule (the inner
//! and outer padded-key blocks, two SHA-256 compressions) is computed once
//! and the keyed state cloned for every message under that key: the chain
//! step `KDF_CK` keys once for its two outputs, and HKDF-Expand keys the
//! pseudorandom key once for all its blocks ([`hkdf::Hkdf::from_prk`]).
//! With the `zeroize` features of `hmac` and `sha2` every hash state is
//! wiped on drop; the pseudorandom key is wiped here.

use hkdf::{Hkdf, HkdfExtract};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

/// HKDF info of X3DH (classic, no post-quantum KEM).
pub const X3DH_INFO: &[u8] = b"Sealwire_X3DH_v1";
/// HKDF info of PQXDH: X3DH with an ML-KEM-768 shared secret appended to
/// the key material (SPEC.md §3.6).
pub const PQXDH_INFO: &[u8] = b"Sealwire_PQXDH_MLKEM768_v1";
/// HKDF info of the root-key step of the Double Ratchet.
pub const RATCHET_INFO: &[u8] = b"Sealwire_Ratchet_v1";
/// HKDF info that turns a message key into an AES-256-GCM key and nonce.
pub const MESSAGE_KEYS_INFO: &[u8] = b"Sealwire_MessageKeys_v1";
/// HKDF info that turns a group (sender-key) message key into an
/// AES-256-CTR key and nonce (SPEC.md §20.4).
pub const GROUP_MESSAGE_KEYS_INFO: &[u8] = b"Sealwire_GroupMessageKeys_v3";

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// A keyed HMAC-SHA256 state (RFC 2104 takes a key of any length).
pub(crate) fn hmac_keyed(key: &[u8]) -> HmacSha256 {
    #[allow(
        clippy::expect_used,
        reason = "`Hmac::new_from_slice` accepts every key length: a key longer than \
                  the block is hashed, a shorter one zero-padded; it has no error path"
    )]
    <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// The tag of a keyed state after its input.
pub(crate) fn hmac_finalize(mac: HmacSha256) -> [u8; 32] {
    mac.finalize().into_bytes().into()
}

/// `HKDF-SHA256(salt, ikm, info, L = N)`.
///
/// `ikm` is given in parts that are concatenated, so callers need not build
/// the input in a temporary buffer.
pub(crate) fn hkdf_sha256<const N: usize>(salt: &[u8], ikm: &[&[u8]], info: &[u8]) -> [u8; N] {
    const { assert!(N <= 255 * 32, "HKDF-SHA256 outputs at most 255 blocks") };
    let mut extract = HkdfExtract::<Sha256>::new(Some(salt));
    for part in ikm {
        extract.input_ikm(part);
    }
    let (mut prk, expand): (_, Hkdf<Sha256>) = extract.finalize();
    prk.as_mut_slice().zeroize();
    let mut out = [0u8; N];
    #[allow(
        clippy::expect_used,
        reason = "`expand` fails only for an output over 255 hash lengths, which the \
                  const assertion on `N` rules out"
    )]
    expand
        .expand(info, &mut out)
        .expect("N is at most 255 * 32 (checked at compile time)");
    out
}

/// `(HMAC-SHA256(key, [a]), HMAC-SHA256(key, [b]))` with the key schedule
/// computed once for both. This is `KDF_CK` (SPEC.md §5.3) with its two
/// input bytes.
pub(crate) fn hmac_sha256_pair(key: &[u8; 32], a: u8, b: u8) -> ([u8; 32], [u8; 32]) {
    let keyed = hmac_keyed(key);
    let mut first = keyed.clone();
    first.update(&[a]);
    let mut second = keyed;
    second.update(&[b]);
    (hmac_finalize(first), hmac_finalize(second))
}

/// `HKDF-SHA256(salt = 0x00*32, IKM = mk, info = "Sealwire_MessageKeys_v1",
/// L = 44)` (SPEC.md §5.4).
pub(crate) fn message_keys(mk: &[u8; 32]) -> [u8; 44] {
    hkdf_sha256(&[0u8; 32], &[mk], MESSAGE_KEYS_INFO)
}

/// `HKDF-SHA256(salt = 0x00*32, IKM = mk, info =
/// "Sealwire_GroupMessageKeys_v3", L = 44)` (SPEC.md §20.4).
pub(crate) fn group_message_keys(mk: &[u8; 32]) -> [u8; 44] {
    hkdf_sha256(&[0u8; 32], &[mk], GROUP_MESSAGE_KEYS_INFO)
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

    /// RFC 4231 test case 2: a key shorter than the hash.
    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mut mac = hmac_keyed(b"Jefe");
        mac.update(b"what do ya want for nothing?");
        let expected = [
            0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95,
            0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9,
            0x64, 0xec, 0x38, 0x43,
        ];
        assert_eq!(hmac_finalize(mac), expected);
    }

    /// The input key material in parts is the same as in one piece, at
    /// every output length up to three blocks.
    #[test]
    fn hkdf_ikm_parts_are_concatenated() {
        let salt = [7u8; 32];
        let ikm = [9u8; 50];
        macro_rules! check {
            ($($n:literal)*) => {$(
                let parts: [u8; $n] = hkdf_sha256(&salt, &[&ikm[..20], &[], &ikm[20..]], b"label");
                let whole: [u8; $n] = hkdf_sha256(&salt, &[&ikm], b"label");
                assert_eq!(parts, whole);
                let mut theirs = [0u8; $n];
                Hkdf::<Sha256>::new(Some(&salt), &ikm).expand(b"label", &mut theirs).unwrap();
                assert_eq!(parts, theirs);
            )*};
        }
        check!(1 16 31 32 33 44 63 64 65 96);
    }

    /// `KDF_CK` and the message-key HKDFs are the generic functions with
    /// the SPEC's arguments.
    #[test]
    fn hmac_pair_and_message_keys_are_the_spec_functions() {
        for seed in 0u8..8 {
            let key: [u8; 32] = core::array::from_fn(|i| (i as u8) ^ seed.wrapping_mul(53));
            let generic: [u8; 44] = hkdf_sha256(&[], &[&key], MESSAGE_KEYS_INFO);
            assert_eq!(
                message_keys(&key),
                generic,
                "an empty salt is 32 zero bytes"
            );
            let group: [u8; 44] = hkdf_sha256(&[0u8; 32], &[&key], GROUP_MESSAGE_KEYS_INFO);
            assert_eq!(group_message_keys(&key), group);
            let one_shot = |byte: u8| {
                let mut mac = hmac_keyed(&key);
                mac.update(&[byte]);
                hmac_finalize(mac)
            };
            assert_eq!(
                hmac_sha256_pair(&key, 0x01, 0x02),
                (one_shot(0x01), one_shot(0x02))
            );
        }
    }
}
