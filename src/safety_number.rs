//! Safety numbers (SPEC.md §17): Signal's numeric fingerprint, so that its
//! published vectors apply, plus a scannable form compared in constant time.
//!
//! Per party: `h = SHA-512(0x0000 || key || id || key)`, then
//! `iterations − 1` further rounds `h = SHA-512(h || key)`; the first 30
//! bytes of `h` as six 5-byte big-endian chunks, each mod 100000 as five
//! digits. The two 30-digit halves are sorted and joined into 60 digits, so
//! both parties compute the same number.

use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

use crate::error::DecodeError;
use crate::identity::{ENCODE_ED25519, IdentityKey};

/// Rounds of SHA-512 per party (Signal's value).
pub(crate) const SAFETY_NUMBER_ITERATIONS: u32 = 5200;
/// Most rounds accepted by the low-level function (bounded cost).
pub(crate) const MAX_SAFETY_NUMBER_ITERATIONS: u32 = 1 << 20;
/// Version byte of the scannable form.
pub(crate) const SCANNABLE_VERSION: u8 = 0x01;
/// Length of the scannable form: version, the scanner's own 32-byte
/// fingerprint, the peer's.
pub(crate) const SCANNABLE_LEN: usize = 1 + 32 + 32;

/// Errors of safety numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SafetyNumberError {
    /// `iterations` is 0 or above [`SafetyNumber::MAX_ITERATIONS`].
    InvalidIterations,
    /// The scanned code is not a well-formed scannable safety number, or
    /// (`InvalidKey`) a key given to
    /// [`SafetyNumber::from_encoded_keys`] as `0x06 || IK` is not a valid
    /// identity key (SPEC.md §3.1).
    Malformed(DecodeError),
    /// The scanned code is well formed but does not match: the two devices
    /// do not see the same pair of identity keys.
    Mismatch,
}

impl core::fmt::Display for SafetyNumberError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::InvalidIterations => f.write_str("safety-number iterations out of range"),
            Self::Malformed(e) => write!(f, "malformed scannable safety number: {e}"),
            Self::Mismatch => f.write_str("safety numbers do not match"),
        }
    }
}

impl core::error::Error for SafetyNumberError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Malformed(e) => Some(e),
            Self::InvalidIterations | Self::Mismatch => None,
        }
    }
}

/// The iterated hash of one party: `SHA-512(0x0000 || key || id || key)`,
/// then `iterations − 1` rounds of `SHA-512(h || key)`.
pub(crate) fn fingerprint_hash(
    encoded_key: &[u8],
    stable_id: &[u8],
    iterations: u32,
) -> Result<[u8; 64], SafetyNumberError> {
    if iterations == 0 || iterations > MAX_SAFETY_NUMBER_ITERATIONS {
        return Err(SafetyNumberError::InvalidIterations);
    }
    Ok(iterated_hash(encoded_key, stable_id, iterations))
}

/// [`fingerprint_hash`] without the range check (the caller did it).
fn iterated_hash(encoded_key: &[u8], stable_id: &[u8], iterations: u32) -> [u8; 64] {
    let mut h = Sha512::new();
    h.update([0u8, 0u8]);
    h.update(encoded_key);
    h.update(stable_id);
    h.update(encoded_key);
    let mut out: [u8; 64] = h.finalize().into();
    for _ in 1..iterations {
        let mut h = Sha512::new();
        h.update(out);
        h.update(encoded_key);
        out = h.finalize().into();
    }
    out
}

/// Refuses a sealwire identity encoding (`0x06 || IK`, 33 bytes) whose key
/// is not a valid identity key (SPEC.md §3.1, §17): one identity, one
/// safety number. Other encodings (Signal's `0x05` keys, other lengths)
/// are hashed as given.
fn check_encoded_key(encoded_key: &[u8]) -> Result<(), SafetyNumberError> {
    if let Some((&ENCODE_ED25519, key)) = encoded_key.split_first()
        && let Ok(key) = <&[u8; 32]>::try_from(key)
    {
        IdentityKey::from_bytes(key).map_err(SafetyNumberError::Malformed)?;
    }
    Ok(())
}

/// The 30 digits of one party's hash: six 5-byte big-endian chunks, each
/// mod 100000, as ASCII digits.
pub(crate) fn displayable_half(hash: &[u8; 64]) -> [u8; 30] {
    let mut digits = [b'0'; 30];
    for (chunk, out) in hash.chunks_exact(5).zip(digits.chunks_exact_mut(5)) {
        let value = chunk.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)) % 100_000;
        let mut v = value;
        for d in out.iter_mut().rev() {
            #[allow(clippy::expect_used, reason = "`v % 10` is a decimal digit")]
            let digit = u8::try_from(v % 10).expect("below 10");
            *d = b'0'.saturating_add(digit);
            v /= 10;
        }
    }
    digits
}

/// The safety number of a conversation, as one side computes it.
#[derive(Clone, PartialEq, Eq)]
pub struct SafetyNumber {
    local: [u8; 32],
    remote: [u8; 32],
    digits: [u8; 60],
}

impl SafetyNumber {
    /// Rounds of SHA-512 per party (Signal's value), as [`Self::new`] uses.
    pub const ITERATIONS: u32 = SAFETY_NUMBER_ITERATIONS;
    /// Most rounds [`Self::fingerprint_hash`] accepts (bounded cost).
    pub const MAX_ITERATIONS: u32 = MAX_SAFETY_NUMBER_ITERATIONS;
    /// Version byte of the scannable form.
    pub const SCANNABLE_VERSION: u8 = SCANNABLE_VERSION;
    /// Length of the scannable form: version, the scanner's own 32-byte
    /// fingerprint, the peer's.
    pub const SCANNABLE_LEN: usize = SCANNABLE_LEN;

    /// The low-level iterated hash of one party:
    /// `SHA-512(0x0000 || key || id || key)`, then `iterations − 1` rounds
    /// of `SHA-512(h || key)`. `encoded_key` is any key encoding (33 bytes
    /// for `Encode(IK)`); `InvalidIterations` for 0 or more than
    /// [`Self::MAX_ITERATIONS`].
    pub fn fingerprint_hash(
        encoded_key: &[u8],
        stable_id: &[u8],
        iterations: u32,
    ) -> Result<[u8; 64], SafetyNumberError> {
        fingerprint_hash(encoded_key, stable_id, iterations)
    }

    /// The 30 digits of one party's hash: six 5-byte big-endian chunks,
    /// each mod 100000, as ASCII digits.
    pub fn displayable_half(hash: &[u8; 64]) -> [u8; 30] {
        displayable_half(hash)
    }

    /// From two identity keys (`Encode(IK)`, 33 bytes each) and the stable
    /// identifiers the app chose for each party, with 5200 iterations.
    pub fn new(
        local_key: &IdentityKey,
        local_id: &[u8],
        remote_key: &IdentityKey,
        remote_id: &[u8],
    ) -> Self {
        Self::from_hashes(
            &iterated_hash(&local_key.encode(), local_id, SAFETY_NUMBER_ITERATIONS),
            &iterated_hash(&remote_key.encode(), remote_id, SAFETY_NUMBER_ITERATIONS),
        )
    }

    /// The low-level form over encoded key bytes, identifiers and an
    /// iteration count (for Signal's vectors and other key encodings). Any
    /// encoding is hashed as given, except that a sealwire identity
    /// encoding (`0x06 || IK`, 33 bytes) must hold a valid identity key
    /// (SPEC.md §3.1): `Malformed(InvalidKey)` otherwise.
    pub fn from_encoded_keys(
        local_key: &[u8],
        local_id: &[u8],
        remote_key: &[u8],
        remote_id: &[u8],
        iterations: u32,
    ) -> Result<Self, SafetyNumberError> {
        check_encoded_key(local_key)?;
        check_encoded_key(remote_key)?;
        let l = fingerprint_hash(local_key, local_id, iterations)?;
        let r = fingerprint_hash(remote_key, remote_id, iterations)?;
        Ok(Self::from_hashes(&l, &r))
    }

    fn from_hashes(l: &[u8; 64], r: &[u8; 64]) -> Self {
        let (ld, rd) = (displayable_half(l), displayable_half(r));
        let (first, second) = if ld <= rd { (ld, rd) } else { (rd, ld) };
        let mut digits = [0u8; 60];
        let (a, b) = digits.split_at_mut(30);
        a.copy_from_slice(&first);
        b.copy_from_slice(&second);
        // The fingerprints are the first 32 bytes of each hash (zip stops
        // at the shorter side).
        let mut local = [0u8; 32];
        let mut remote = [0u8; 32];
        for (d, s) in local.iter_mut().zip(l) {
            *d = *s;
        }
        for (d, s) in remote.iter_mut().zip(r) {
            *d = *s;
        }
        Self {
            local,
            remote,
            digits,
        }
    }

    /// The 60 digits to show (the same on both sides).
    pub fn displayable(&self) -> &str {
        #[allow(
            clippy::expect_used,
            reason = "`digits` holds only the ASCII digits `displayable_half` writes"
        )]
        core::str::from_utf8(&self.digits).expect("ASCII digits")
    }

    /// The scannable form to put in a QR code:
    /// `0x01 || local fingerprint (32) || remote fingerprint (32)`.
    pub fn scannable(&self) -> [u8; SCANNABLE_LEN] {
        let mut out = [0u8; SCANNABLE_LEN];
        out[0] = SCANNABLE_VERSION;
        out[1..33].copy_from_slice(&self.local);
        out[33..].copy_from_slice(&self.remote);
        out
    }

    /// Checks a code scanned from the peer's screen: its "local" must be our
    /// "remote" and the other way round, compared in constant time.
    pub fn verify_scanned(&self, scanned: &[u8]) -> Result<(), SafetyNumberError> {
        if scanned.len() < SCANNABLE_LEN {
            return Err(SafetyNumberError::Malformed(DecodeError::Truncated));
        }
        if scanned.len() > SCANNABLE_LEN {
            return Err(SafetyNumberError::Malformed(DecodeError::TrailingBytes));
        }
        let Some((&version, rest)) = scanned.split_first() else {
            return Err(SafetyNumberError::Malformed(DecodeError::Truncated));
        };
        if version != SCANNABLE_VERSION {
            return Err(SafetyNumberError::Malformed(
                DecodeError::UnsupportedVersion(version),
            ));
        }
        let (their_local, their_remote) = rest.split_at(32);
        let ok = their_local.ct_eq(&self.remote) & their_remote.ct_eq(&self.local);
        if bool::from(ok) {
            Ok(())
        } else {
            Err(SafetyNumberError::Mismatch)
        }
    }
}

impl core::fmt::Debug for SafetyNumber {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("SafetyNumber")
            .field(&self.displayable())
            .finish()
    }
}
