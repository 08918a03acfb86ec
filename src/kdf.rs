//! Key derivation: HMAC-SHA256 and HKDF-SHA256 (RFC 5869) with every label
//! of the protocol. SPEC.md §5 is normative.
//!
//! HMAC and HKDF are the `hmac` and `hkdf` crates (`hmac_keyed`,
//! `hkdf_sha256`): HKDF-Expand keys the pseudorandom key once for all
//! its blocks ([`hkdf::Hkdf::from_prk`]). With the `zeroize` features of
//! `hmac` and `sha2` every hash state is wiped on drop; the pseudorandom
//! key is wiped here.
//!
//! The per-message path, the chain step `KDF_CK` (`hmac_sha256_pair`)
//! and the message-key HKDFs (`message_keys`, `group_message_keys`),
//! is written directly over the SHA-256 compression function of `sha2`,
//! for a 32-byte key and short fixed-length messages: the key schedule is
//! computed once per key, or (for the message-key HKDF's all-zero salt) is
//! a constant, and one scratch buffer holds everything secret and is wiped
//! once. Measured against the crates in the same run (paired alternating
//! rounds of `benches/compare_revisions.sh`, `in_chain/100B`: one encrypt
//! and one decrypt inside a chain), the crates cost 26 % more on that path
//! (18 % without their `zeroize`), and the crates' `KDF_CK` alone 7 % more,
//! above the 5 % this code must save to stay. Unit tests check it
//! byte-for-byte against the crates.

use hkdf::{Hkdf, HkdfExtract};
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
#[cfg(test)]
pub(crate) const MESSAGE_KEYS_INFO: &[u8] = b"Sealwire_MessageKeys_v1";
/// HKDF info that turns a group (sender-key) message key into an
/// AES-256-CTR key and nonce (SPEC.md §20.4).
#[cfg(test)]
pub(crate) const GROUP_MESSAGE_KEYS_INFO: &[u8] = b"Sealwire_GroupMessageKeys_v3";

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

/// `MESSAGE_KEYS_INFO || 0x01` and `|| 0x02`: the fixed-length inputs of
/// the two HKDF-Expand blocks past `T(1)` (a unit test checks them).
const MESSAGE_KEYS_EXPAND: [[u8; 24]; 2] = [
    *b"Sealwire_MessageKeys_v1\x01",
    *b"Sealwire_MessageKeys_v1\x02",
];
/// `GROUP_MESSAGE_KEYS_INFO || 0x01` and `|| 0x02`.
const GROUP_MESSAGE_KEYS_EXPAND: [[u8; 29]; 2] = [
    *b"Sealwire_GroupMessageKeys_v3\x01",
    *b"Sealwire_GroupMessageKeys_v3\x02",
];

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

    /// The `len` bytes at byte offset `at`.
    fn span(&mut self, at: usize, len: usize) -> &mut [u8] {
        #[allow(
            clippy::expect_used,
            reason = "every offset and length in this file is a constant of a derivation, \
                      inside the scratch by the const assertions of its callers"
        )]
        at.checked_add(len)
            .and_then(|end| self.0.as_flattened_mut().get_mut(at..end))
            .expect("the range is inside the scratch")
    }

    /// Copies `data` to byte offset `at`.
    fn put(&mut self, at: usize, data: &[u8]) {
        self.span(at, data.len()).copy_from_slice(data);
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
        // The message, the 0x80 byte, zeros, then the bit length of the key
        // block and the message in the last 8 bytes of the last block.
        self.put(N, &[0x80]);
        self.span(const { N + 1 }, const { padded_len(N) - 8 - (N + 1) })
            .fill(0);
        let bit_len: u64 = const { (64 + N as u64) * 8 };
        self.put(const { padded_len(N) - 8 }, &bit_len.to_be_bytes());
        let mut st = *state;
        compress256(&mut st, self.0.split_at(const { padded_len(N) / 64 }).0);
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
        const { assert!(B >= 1, "one block at least") };
        let mut key = HmacKey32 {
            inner: SHA256_IV,
            outer: SHA256_IV,
        };
        let (block, _) = self.0.split_at_mut(1);
        let (k, pad) = block.as_flattened_mut().split_at_mut(32);
        for b in k.iter_mut() {
            *b ^= 0x36;
        }
        pad.fill(0x36);
        compress256(&mut key.inner, block);
        for b in block.as_flattened_mut() {
            *b ^= 0x36 ^ 0x5c;
        }
        compress256(&mut key.outer, block);
        key
    }
}

/// The length of `n` message bytes padded to whole SHA-256 blocks (at
/// least 9 bytes of padding), for `n` below two blocks.
const fn padded_len(n: usize) -> usize {
    if n <= 64 - 9 { 64 } else { 128 }
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
    zero_salt_hkdf_44::<24, 56>(mk, &MESSAGE_KEYS_EXPAND)
}

/// `HKDF-SHA256(salt = 0x00*32, IKM = mk, info =
/// "Sealwire_GroupMessageKeys_v3", L = 44)` (SPEC.md §20.4), computed like
/// [`message_keys`].
pub(crate) fn group_message_keys(mk: &[u8; 32]) -> [u8; 44] {
    zero_salt_hkdf_44::<29, 61>(mk, &GROUP_MESSAGE_KEYS_EXPAND)
}

/// `HKDF-SHA256(salt = 0x00*32, IKM = mk, info, L = 44)`, given
/// `[info || 0x01, info || 0x02]` (`N1` bytes each); `N2 = 32 + N1` is the
/// length of the second expand input (checked at compile time).
fn zero_salt_hkdf_44<const N1: usize, const N2: usize>(
    mk: &[u8; 32],
    [info_1, info_2]: &[[u8; N1]; 2],
) -> [u8; 44] {
    const {
        assert!(N2 == 32 + N1, "expand input lengths");
    }
    let mut scratch = Scratch::<2>::new();
    // PRK = HMAC(salt, IKM)
    scratch.put(0, mk);
    let mut prk = scratch.hmac::<32>(&ZERO_KEY);
    scratch.put_digest(&prk);
    prk.zeroize();
    let mut prk_key = scratch.hmac_key();
    // T(1) = HMAC(PRK, info || 0x01)
    scratch.put(0, info_1);
    let mut t1 = scratch.hmac::<N1>(&prk_key);
    // T(2) = HMAC(PRK, T(1) || info || 0x02)
    scratch.put_digest(&t1);
    scratch.put(32, info_2);
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

    /// A secret key's schedule is wiped by its `zeroize` (the derivations
    /// call it; the type is not `ZeroizeOnDrop` so that `ZERO_KEY` can be
    /// a constant).
    #[test]
    fn hmac_key_schedule_zeroize_wipes_both_states() {
        let mut scratch = Scratch::<1>::new();
        scratch.put(0, &[0x42; 32]);
        let mut key = scratch.hmac_key();
        assert_ne!(key.inner, [0; 8]);
        assert_ne!(key.outer, [0; 8]);
        key.zeroize();
        assert_eq!((key.inner, key.outer), ([0; 8], [0; 8]));
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

    /// `HMAC-SHA256` of `data` under an already keyed `hmac` crate state.
    fn hmac_with(state: &HmacSha256, data: &[u8]) -> [u8; 32] {
        let mut mac = state.clone();
        mac.update(data);
        hmac_finalize(mac)
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

    #[test]
    fn expand_inputs_are_the_info_and_the_block_counter() {
        let check = |inputs: [&[u8]; 2], info: &[u8]| {
            for (counter, input) in (1u8..).zip(inputs) {
                let (head, last) = input.split_at(info.len());
                assert_eq!((head, last), (info, &[counter][..]));
            }
        };
        let [a, b] = &MESSAGE_KEYS_EXPAND;
        check([a, b], MESSAGE_KEYS_INFO);
        let [a, b] = &GROUP_MESSAGE_KEYS_EXPAND;
        check([a, b], GROUP_MESSAGE_KEYS_INFO);
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

    /// The per-message path against the crates.
    #[test]
    fn hmac_pair_and_message_keys_match_the_crates() {
        for seed in 0u8..32 {
            let key: [u8; 32] = core::array::from_fn(|i| (i as u8) ^ seed.wrapping_mul(53));
            for (ours, info) in [
                (message_keys(&key), MESSAGE_KEYS_INFO),
                (group_message_keys(&key), GROUP_MESSAGE_KEYS_INFO),
            ] {
                let mut theirs = [0u8; 44];
                Hkdf::<Sha256>::new(None, &key)
                    .expand(info, &mut theirs)
                    .unwrap();
                assert_eq!(ours, theirs);
                assert_eq!(ours, hkdf_sha256::<44>(&[0u8; 32], &[&key], info));
            }
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
