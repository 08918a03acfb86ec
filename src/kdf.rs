//! Key derivation: HMAC-SHA256 and HKDF-SHA256 (RFC 5869) with every label
//! of the protocol. SPEC.md §5 is normative.
//!
//! HKDF is written out over `hmac` because every output here is at most 64
//! bytes (two HMAC blocks): the length is checked at compile time, so no
//! fallible call remains, and the pseudorandom key's HMAC state is keyed once
//! and reused for both output blocks.
//!
//! The per-message hot path (the chain step `KDF_CK` and the message-key
//! HKDF) uses `HmacKey32` instead: HMAC-SHA256 written directly over the
//! SHA-256 compression function for a 32-byte key and short fixed-length
//! messages, with the key schedule computed once per key, or (for the
//! message-key HKDF's all-zero salt) a constant. Unit tests check it
//! byte-for-byte against the `hmac` and `hkdf` crates.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use sha2::block_api::compress256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// HKDF info of X3DH (classic, no post-quantum KEM).
pub(crate) const X3DH_INFO: &[u8] = b"Sealwire_X3DH_v1";
/// HKDF info of PQXDH: X3DH with an ML-KEM-768 shared secret appended to
/// the key material (SPEC.md §3.6).
pub(crate) const PQXDH_INFO: &[u8] = b"Sealwire_PQXDH_MLKEM768_v1";
/// HKDF info of the root-key step of the Double Ratchet.
pub(crate) const RATCHET_INFO: &[u8] = b"Sealwire_Ratchet_v1";
/// HKDF info that turns a message key into an AES-256-GCM key and nonce.
pub(crate) const MESSAGE_KEYS_INFO: &[u8] = b"Sealwire_MessageKeys_v1";
/// HKDF info that turns a group (sender-key) message key into an
/// AES-256-CTR key and nonce (SPEC.md §20.4).
pub(crate) const GROUP_MESSAGE_KEYS_INFO: &[u8] = b"Sealwire_GroupMessageKeys_v3";

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

/// SHA-256 initial hash value (FIPS 180-4 §5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// The key schedule of HMAC-SHA256 under the all-zero 32-byte key (the
/// constant salt of the message-key HKDF): the SHA-256 states after the
/// `0x36 * 64` and the `0x5c * 64` block. A unit test recomputes them.
const ZERO_KEY: HmacKey32 = HmacKey32 {
    inner: [
        0xf454_dead,
        0x9725_214f,
        0x90da_f2a0,
        0xdf12_28ea,
        0x64e5_750f,
        0xa392_4181,
        0x824a_932b,
        0xf8e0_4e32,
    ],
    outer: [
        0xd385_480f,
        0x7abb_6477,
        0x37c9_c538,
        0x5dd8_2467,
        0x8e04_3a72,
        0x7534_34b0,
        0xdeb8_2818,
        0x361d_45a6,
    ],
};

/// `MESSAGE_KEYS_INFO` as an array, for the fixed-length HMAC inputs.
const MESSAGE_KEYS_INFO_ARRAY: [u8; 23] = *b"Sealwire_MessageKeys_v1";
const _: () = assert!(MESSAGE_KEYS_INFO_ARRAY.len() == MESSAGE_KEYS_INFO.len());
/// `GROUP_MESSAGE_KEYS_INFO` as an array.
const GROUP_MESSAGE_KEYS_INFO_ARRAY: [u8; 28] = *b"Sealwire_GroupMessageKeys_v3";
const _: () = assert!(GROUP_MESSAGE_KEYS_INFO_ARRAY.len() == GROUP_MESSAGE_KEYS_INFO.len());

/// The key schedule of HMAC-SHA256: the SHA-256 states after the key XOR
/// ipad and the key XOR opad block.
///
/// Not zeroized on drop so that [`ZERO_KEY`] can be a constant; the
/// derivations below wipe the schedules of secret keys themselves.
struct HmacKey32 {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl Zeroize for HmacKey32 {
    fn zeroize(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

/// `B` SHA-256 blocks through which every short hash of one derivation
/// runs. Everything secret of the derivation passes through it, and it is
/// zeroized once, on drop: zeroizing is a volatile store per byte, so one
/// shared buffer costs far less than one buffer per hash.
#[derive(Zeroize, ZeroizeOnDrop)]
struct Scratch<const B: usize>([[u8; 64]; B]);

impl<const B: usize> Scratch<B> {
    fn new() -> Self {
        Self([[0u8; 64]; B])
    }

    /// Copies `data` to byte offset `at`.
    fn put(&mut self, at: usize, data: &[u8]) {
        let end = at.saturating_add(data.len());
        if let Some(dst) = self.0.as_flattened_mut().get_mut(at..end) {
            dst.copy_from_slice(data);
        }
    }

    /// Writes the big-endian bytes of a SHA-256 state (a digest) to offset 0.
    fn put_digest(&mut self, digest: &[u32; 8]) {
        let (chunks, _) = self.0.as_flattened_mut().as_chunks_mut::<4>();
        for (chunk, word) in chunks.iter_mut().zip(digest) {
            *chunk = word.to_be_bytes();
        }
    }

    /// SHA-256 continued from `state` (exactly one 64-byte key block
    /// already compressed) over the first `N` bytes of the scratch: writes
    /// the padding in place after them and runs one or two compressions.
    fn hash_after_key_block<const N: usize>(&mut self, state: &[u32; 8]) -> [u32; 8] {
        const {
            assert!(
                N <= 64 * B - 9 && N <= 2 * 64 - 9,
                "message too long for the scratch"
            )
        };
        let (blocks, used): (usize, usize) = if N <= 64 - 9 { (1, 64) } else { (2, 128) };
        // The key block and the message, in bits.
        let bit_len = 64u64.wrapping_add(N as u64).wrapping_mul(8);
        let buf = self.0.as_flattened_mut();
        if let Some(b) = buf.get_mut(N) {
            *b = 0x80;
        }
        if let Some(zeros) = buf.get_mut(N.saturating_add(1)..used.saturating_sub(8)) {
            zeros.fill(0);
        }
        if let Some(len) = buf.get_mut(used.saturating_sub(8)..used) {
            len.copy_from_slice(&bit_len.to_be_bytes());
        }
        let mut st = *state;
        if let Some(blocks) = self.0.get(..blocks) {
            compress256(&mut st, blocks);
        }
        st
    }

    /// `HMAC-SHA256(key, first N bytes of the scratch)`: two or three
    /// compressions. Leaves the inner hash in the scratch.
    fn hmac<const N: usize>(&mut self, key: &HmacKey32) -> [u32; 8] {
        let mut inner = self.hash_after_key_block::<N>(&key.inner);
        self.put_digest(&inner);
        inner.zeroize();
        self.hash_after_key_block::<32>(&key.outer)
    }

    /// The HMAC key schedule of the 32-byte key at offset 0 (two
    /// compressions). Overwrites the first block.
    fn hmac_key(&mut self) -> HmacKey32 {
        let mut key = HmacKey32 {
            inner: SHA256_IV,
            outer: SHA256_IV,
        };
        if let Some(block) = self.0.first_mut() {
            let (k, pad) = block.split_at_mut(32);
            for b in k.iter_mut() {
                *b ^= 0x36;
            }
            pad.fill(0x36);
            compress256(&mut key.inner, core::slice::from_ref(block));
            for b in block.iter_mut() {
                *b ^= 0x36 ^ 0x5c;
            }
            compress256(&mut key.outer, core::slice::from_ref(block));
        }
        key
    }
}

fn digest_bytes(digest: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out.as_chunks_mut::<4>().0.iter_mut().zip(digest) {
        *chunk = word.to_be_bytes();
    }
    out
}

/// `(HMAC-SHA256(key, [a]), HMAC-SHA256(key, [b]))` with the key schedule
/// computed once for both: six compressions. This is `KDF_CK` (SPEC.md
/// §5.3) with its two input bytes.
pub(crate) fn hmac_sha256_pair(key: &[u8; 32], a: u8, b: u8) -> ([u8; 32], [u8; 32]) {
    let mut scratch = Scratch::<1>::new();
    scratch.put(0, key);
    let mut schedule = scratch.hmac_key();
    scratch.put(0, &[a]);
    let mut first = scratch.hmac::<1>(&schedule);
    scratch.put(0, &[b]);
    let mut second = scratch.hmac::<1>(&schedule);
    schedule.zeroize();
    let out = (digest_bytes(&first), digest_bytes(&second));
    first.zeroize();
    second.zeroize();
    out
}

/// `HKDF-SHA256(salt = 0x00*32, IKM = mk, info = "Sealwire_MessageKeys_v1",
/// L = 44)` (SPEC.md §5.4): the same bytes as [`hkdf_sha256`] with those
/// arguments, in 9 SHA-256 compressions instead of 11 (the zero salt's key
/// schedule is a constant) and without streaming buffers.
pub(crate) fn message_keys(mk: &[u8; 32]) -> [u8; 44] {
    zero_salt_hkdf_44::<23, 24, 56>(mk, &MESSAGE_KEYS_INFO_ARRAY)
}

/// `HKDF-SHA256(salt = 0x00*32, IKM = mk, info =
/// "Sealwire_GroupMessageKeys_v3", L = 44)` (SPEC.md §20.4), computed like
/// [`message_keys`].
pub(crate) fn group_message_keys(mk: &[u8; 32]) -> [u8; 44] {
    zero_salt_hkdf_44::<28, 29, 61>(mk, &GROUP_MESSAGE_KEYS_INFO_ARRAY)
}

/// `HKDF-SHA256(salt = 0x00*32, IKM = mk, info, L = 44)` for an `L`-byte
/// info; `N1 = L + 1` and `N2 = 32 + L + 1` are the lengths of the two
/// expand inputs (checked at compile time).
fn zero_salt_hkdf_44<const L: usize, const N1: usize, const N2: usize>(
    mk: &[u8; 32],
    info: &[u8; L],
) -> [u8; 44] {
    const {
        assert!(N1 == L + 1 && N2 == 32 + L + 1, "expand input lengths");
    }
    let mut scratch = Scratch::<2>::new();
    // PRK = HMAC(salt, IKM)
    scratch.put(0, mk);
    let mut prk = scratch.hmac::<32>(&ZERO_KEY);
    scratch.put_digest(&prk);
    prk.zeroize();
    let mut prk_key = scratch.hmac_key();
    // T(1) = HMAC(PRK, info || 0x01)
    scratch.put(0, info);
    scratch.put(L, &[0x01]);
    let mut t1 = scratch.hmac::<N1>(&prk_key);
    // T(2) = HMAC(PRK, T(1) || info || 0x02)
    scratch.put_digest(&t1);
    scratch.put(32, info);
    scratch.put(L.saturating_add(32), &[0x02]);
    let mut t2 = scratch.hmac::<N2>(&prk_key);
    prk_key.zeroize();

    let mut out = [0u8; 44];
    let (a, b) = out.split_at_mut(32);
    for (chunk, word) in a.as_chunks_mut::<4>().0.iter_mut().zip(&t1) {
        *chunk = word.to_be_bytes();
    }
    for (chunk, word) in b.as_chunks_mut::<4>().0.iter_mut().zip(&t2) {
        *chunk = word.to_be_bytes();
    }
    t1.zeroize();
    t2.zeroize();
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::cast_possible_truncation)]
    use super::*;

    /// `HMAC-SHA256` of `data` under an already keyed `hmac` crate state.
    fn hmac_with(state: &HmacSha256, data: &[u8]) -> [u8; 32] {
        let mut mac = state.clone();
        mac.update(data);
        finalize(mac)
    }

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

    /// `HMAC-SHA256(key, msg)` through the scratch path.
    fn short_hmac<const N: usize>(key: &[u8; 32], msg: &[u8; N]) -> [u8; 32] {
        let mut scratch = Scratch::<2>::new();
        scratch.put(0, key);
        let schedule = scratch.hmac_key();
        scratch.put(0, msg);
        digest_bytes(&scratch.hmac::<N>(&schedule))
    }

    #[test]
    fn zero_key_schedule_constants_are_right() {
        let mut scratch = Scratch::<1>::new();
        let k = scratch.hmac_key();
        assert_eq!(k.inner, ZERO_KEY.inner);
        assert_eq!(k.outer, ZERO_KEY.outer);
    }

    /// The short HMAC against the `hmac` crate at every message length it
    /// supports, which covers both the one- and the two-block paths and
    /// the boundary at 55/56 bytes.
    #[test]
    fn short_hmac_matches_the_hmac_crate() {
        let key: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(29) ^ 0xa5);
        let theirs = hmac_keyed(&key);
        let data: [u8; 119] = core::array::from_fn(|i| (i as u8).wrapping_mul(7));
        macro_rules! check {
            ($($n:literal)*) => {$(
                let msg: [u8; $n] = core::array::from_fn(|i| data[i]);
                assert_eq!(short_hmac(&key, &msg), hmac_with(&theirs, &msg), "length {}", $n);
            )*};
        }
        check!(0 1 2 23 24 31 32 33 54 55 56 57 63 64 65 100 118 119);
    }

    #[test]
    fn hmac_pair_and_message_keys_match_the_generic_code() {
        for seed in 0u8..32 {
            let key: [u8; 32] = core::array::from_fn(|i| (i as u8) ^ seed.wrapping_mul(53));
            let generic: [u8; 44] = hkdf_sha256(&[0u8; 32], &[&key], MESSAGE_KEYS_INFO);
            assert_eq!(message_keys(&key), generic);
            let group: [u8; 44] = hkdf_sha256(&[0u8; 32], &[&key], GROUP_MESSAGE_KEYS_INFO);
            assert_eq!(group_message_keys(&key), group);
            let keyed = hmac_keyed(&key);
            assert_eq!(
                hmac_sha256_pair(&key, 0x01, 0x02),
                (hmac_with(&keyed, &[0x01]), hmac_with(&keyed, &[0x02]))
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn short_hmac_matches_for_any_key(key in proptest::array::uniform32(0u8..), byte in 0u8..) {
            let theirs = hmac_keyed(&key);
            proptest::prop_assert_eq!(short_hmac(&key, &[byte]), hmac_with(&theirs, &[byte]));
            let long = [byte; 56];
            proptest::prop_assert_eq!(short_hmac(&key, &long), hmac_with(&theirs, &long));
        }
    }
}
