//! The blob envelope (STORAGE.md §1): header, checksum, sealing.

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use alloc::vec::Vec;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::address::BlobAddress;
use super::storage_key::{SEAL_INFO, SEAL_INFO_V2, StorageKey};
use crate::blob_writer::BlobWriter;
use crate::error::StateError;

/// First four bytes of a plain state blob.
pub const STATE_MAGIC: [u8; 4] = *b"SWST";
/// First four bytes of a legacy sealed state blob, not bound to an
/// address (read only, through
/// [`open_unbound_legacy`](super::StateBlob::open_unbound_legacy)).
pub const SEALED_MAGIC: [u8; 4] = *b"SWSE";
/// First four bytes of a sealed state blob bound to its
/// [`BlobAddress`](super::BlobAddress).
pub const BOUND_MAGIC: [u8; 4] = *b"SWSB";

/// Magic, kind, version.
pub(crate) const HEADER_LEN: usize = 6;
/// Truncated SHA-256 closing a plain blob.
pub(crate) const CHECKSUM_LEN: usize = 16;
/// Storage-key id and salt after a sealed blob's header.
const SEALED_PREFIX_LEN: usize = HEADER_LEN + 8 + 32;
/// Storage-key id, salt and address tag after a bound blob's header.
const BOUND_PREFIX_LEN: usize = SEALED_PREFIX_LEN + ADDRESS_TAG_LEN;
const ADDRESS_TAG_LEN: usize = 16;
const TAG_LEN: usize = 16;

/// What a state blob holds (its kind byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum BlobKind {
    /// An [`IdentityKeyPair`](crate::IdentityKeyPair).
    Identity = 0x01,
    /// A [`PrekeyStore`](crate::PrekeyStore).
    PrekeyStore = 0x02,
    /// An established [`Session`](crate::Session).
    Session = 0x03,
    /// A [`PendingSession`](crate::PendingSession).
    PendingSession = 0x04,
    /// An [`ExpiryQueue`](crate::expiry::ExpiryQueue).
    ExpiryQueue = 0x05,
    /// A [`Group`](crate::group::Group),
    /// [`ChannelOwner`](crate::group::ChannelOwner) or
    /// [`ChannelSubscriber`](crate::group::ChannelSubscriber).
    Group = 0x06,
    /// A [`DeviceSessions`](crate::devices::DeviceSessions): the sessions
    /// with one peer device.
    DeviceSessions = 0x07,
    /// A [`DeviceList`](crate::devices::DeviceList): the devices of one
    /// user.
    DeviceList = 0x08,
    /// A [`TrustedServerKeys`](crate::sealed::TrustedServerKeys): the
    /// sealed-sender server keys a client pins (not its cache of verified
    /// certificates).
    TrustedServerKeys = 0x09,
}

impl BlobKind {
    fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            0x01 => Self::Identity,
            0x02 => Self::PrekeyStore,
            0x03 => Self::Session,
            0x04 => Self::PendingSession,
            0x05 => Self::ExpiryQueue,
            0x06 => Self::Group,
            0x07 => Self::DeviceSessions,
            0x08 => Self::DeviceList,
            0x09 => Self::TrustedServerKeys,
            _ => return None,
        })
    }
}

/// The kind of a plain or sealed blob, read from its header without
/// checking anything else.
pub fn blob_kind(bytes: &[u8]) -> Result<BlobKind, StateError> {
    let [a, b, c, d, kind, _] = *bytes
        .first_chunk::<HEADER_LEN>()
        .ok_or(StateError::NotAStateBlob)?;
    let magic = [a, b, c, d];
    if magic != STATE_MAGIC && magic != SEALED_MAGIC && magic != BOUND_MAGIC {
        return Err(StateError::NotAStateBlob);
    }
    BlobKind::from_byte(kind).ok_or(StateError::WrongKind {
        expected: 0,
        found: kind,
    })
}

/// Checks magic, kind and version; returns them.
fn check_header(
    bytes: &[u8],
    magic: [u8; 4],
    accepted: &[BlobKind],
) -> Result<(BlobKind, u8), StateError> {
    let [a, b, c, d, kind, version] = *bytes
        .first_chunk::<HEADER_LEN>()
        .ok_or(StateError::NotAStateBlob)?;
    let m = [a, b, c, d];
    if m != magic {
        let known = [STATE_MAGIC, SEALED_MAGIC, BOUND_MAGIC];
        return Err(if !known.contains(&m) {
            StateError::NotAStateBlob
        } else if magic == STATE_MAGIC {
            StateError::Sealed
        } else if m == STATE_MAGIC {
            StateError::NotSealed
        } else if m == SEALED_MAGIC {
            StateError::UnboundLegacy
        } else {
            StateError::AddressBound
        });
    }
    let expected = accepted.first().map_or(0, |k| *k as u8);
    let kind = BlobKind::from_byte(kind)
        .filter(|k| accepted.contains(k))
        .ok_or(StateError::WrongKind {
            expected,
            found: kind,
        })?;
    if version == 0 || version > max_version(kind) {
        return Err(StateError::UnsupportedVersion(version));
    }
    Ok((kind, version))
}

/// The newest format version of each kind this library reads (and
/// writes): v2 added the post-quantum material to the prekey store and the
/// PQXDH fields to sessions, and the retention times (skipped keys,
/// superseded chains, maximum age) to groups; v3 added the key agreement
/// (X3DH or PQXDH) to established sessions; session v4, pending v3 and
/// group v3 widened the timer versions to u64, and session v4 and pending
/// v3 store our ratchet secret only while a sending chain exists; session
/// v5 keeps the KEM ciphertext of the prekey message a PQXDH responder
/// accepted as its SHA-256 digest. Device sessions v1 hold session v4 and
/// pending v3 bodies, v2 session v5 and pending v3. Trusted server keys
/// have one version.
pub(crate) const fn max_version(kind: BlobKind) -> u8 {
    match kind {
        BlobKind::Session => 5,
        BlobKind::PendingSession | BlobKind::Group => 3,
        BlobKind::PrekeyStore | BlobKind::DeviceSessions => 2,
        BlobKind::Identity
        | BlobKind::ExpiryQueue
        | BlobKind::DeviceList
        | BlobKind::TrustedServerKeys => 1,
    }
}

fn header(magic: [u8; 4], kind: BlobKind, version: u8) -> [u8; HEADER_LEN] {
    let [a, b, c, d] = magic;
    [a, b, c, d, kind as u8, version]
}

fn checksum(data: &[u8]) -> [u8; CHECKSUM_LEN] {
    const { assert!(CHECKSUM_LEN <= 32, "a truncated SHA-256") };
    let digest: [u8; 32] = Sha256::digest(data).into();
    let mut out = [0u8; CHECKSUM_LEN];
    for (o, d) in out.iter_mut().zip(digest) {
        *o = d;
    }
    out
}

/// `header || body || SHA-256(header || body)[0..16]`.
pub(crate) fn plain(
    kind: BlobKind,
    version: u8,
    body: impl FnOnce(&mut BlobWriter),
) -> Zeroizing<Vec<u8>> {
    let mut w = BlobWriter::with_capacity(256);
    w.bytes(&header(STATE_MAGIC, kind, version));
    body(&mut w);
    let sum = checksum(w.as_mut_slice());
    w.bytes(&sum);
    w.into_inner()
}

/// Checks a plain blob and returns its kind, version and body.
pub(crate) fn open_plain<'a>(
    bytes: &'a [u8],
    accepted: &[BlobKind],
) -> Result<(BlobKind, u8, &'a [u8]), StateError> {
    let (kind, version) = check_header(bytes, STATE_MAGIC, accepted)?;
    let end = bytes
        .len()
        .checked_sub(CHECKSUM_LEN)
        .filter(|end| *end >= HEADER_LEN)
        .ok_or(StateError::Truncated)?;
    let (content, sum) = bytes.split_at(end);
    if !bool::from(checksum(content).ct_eq(sum)) {
        return Err(StateError::Corrupted);
    }
    let body = content.get(HEADER_LEN..).ok_or(StateError::Truncated)?;
    Ok((kind, version, body))
}

/// `header || key_id || salt || address_tag || AES-256-GCM(body) || tag`,
/// the AEAD's associated data being everything before the ciphertext
/// followed by the encoded address (STORAGE.md §1).
pub(crate) fn sealed(
    key: &StorageKey,
    address: &BlobAddress,
    salt: [u8; 32],
    kind: BlobKind,
    version: u8,
    body: impl FnOnce(&mut BlobWriter),
) -> Vec<u8> {
    let encoded = address.encode();
    let mut w = BlobWriter::with_capacity(256);
    w.bytes(&header(BOUND_MAGIC, kind, version));
    w.bytes(&key.id());
    w.bytes(&salt);
    w.bytes(&key.address_tag(&salt, kind as u8, &encoded));
    let prefix_len = w.as_mut_slice().len();
    body(&mut w);
    let (cipher, nonce) = blob_cipher(key, &salt, SEAL_INFO_V2);
    encrypt_body(w, prefix_len, &cipher, nonce, &encoded)
}

/// Encrypts the body that follows the first `prefix_len` bytes of `w` in
/// place and appends the tag; the associated data is that prefix followed
/// by `ad_suffix` (the encoded address, or nothing for the legacy
/// envelope).
fn encrypt_body(
    mut w: BlobWriter,
    prefix_len: usize,
    cipher: &Aes256Gcm,
    nonce: [u8; 12],
    ad_suffix: &[u8],
) -> Vec<u8> {
    // Room for the tag now: appending it to the ciphertext then moves
    // nothing.
    w.reserve(TAG_LEN);
    #[allow(
        clippy::expect_used,
        reason = "the caller wrote the `prefix_len` bytes of the prefix before the body"
    )]
    let (prefix, pt) = w
        .as_mut_slice()
        .split_at_mut_checked(prefix_len)
        .expect("the prefix is in the buffer");
    let mut ad = Vec::with_capacity(prefix.len().saturating_add(ad_suffix.len()));
    ad.extend_from_slice(prefix);
    ad.extend_from_slice(ad_suffix);
    #[allow(
        clippy::expect_used,
        reason = "AES-256-GCM refuses only a plaintext over 2^36 - 32 bytes or \
                  associated data over 2^61 - 1; a state blob is megabytes at most"
    )]
    let tag = cipher
        .encrypt_inout_detached(&nonce.into(), &ad, InOutBuf::from(pt))
        .expect("a state blob is within the AES-GCM length limits");
    // The buffer now holds only ciphertext: no secret left to wipe.
    let mut sealed = w.into_ciphertext();
    sealed.extend_from_slice(&tag);
    sealed
}

/// Checks and decrypts a bound sealed blob: header, `key_id`
/// (`WrongStorageKey`), address tag (`WrongAddress`), then the AEAD tag
/// (`Corrupted`); returns its kind, version and body.
pub(crate) fn open_sealed(
    key: &StorageKey,
    address: &BlobAddress,
    bytes: &[u8],
    accepted: &[BlobKind],
) -> Result<(BlobKind, u8, Zeroizing<Vec<u8>>), StateError> {
    let (kind, version) = check_header(bytes, BOUND_MAGIC, accepted)?;
    let encoded = address.encode();
    open_envelope(
        key,
        bytes,
        BOUND_PREFIX_LEN,
        SEAL_INFO_V2,
        |salt, prefix| {
            let stored = prefix
                .get(SEALED_PREFIX_LEN..)
                .ok_or(StateError::Truncated)?;
            let wanted = key.address_tag(salt, kind as u8, &encoded);
            if !bool::from(stored.ct_eq(&wanted)) {
                return Err(StateError::WrongAddress);
            }
            Ok(encoded.to_vec())
        },
    )
    .map(|body| (kind, version, body))
}

/// Checks and decrypts a legacy sealed blob (`"SWSE"`, not bound to an
/// address); returns its kind, version and body.
pub(crate) fn open_unbound(
    key: &StorageKey,
    bytes: &[u8],
    accepted: &[BlobKind],
) -> Result<(BlobKind, u8, Zeroizing<Vec<u8>>), StateError> {
    let (kind, version) = check_header(bytes, SEALED_MAGIC, accepted)?;
    open_envelope(key, bytes, SEALED_PREFIX_LEN, SEAL_INFO, |_, _| {
        Ok(Vec::new())
    })
    .map(|body| (kind, version, body))
}

/// The checks and decryption both envelopes share. `address` checks the
/// prefix past the salt and returns what follows the prefix in the
/// associated data.
fn open_envelope(
    key: &StorageKey,
    bytes: &[u8],
    prefix_len: usize,
    info: &[u8],
    address: impl FnOnce(&[u8; 32], &[u8]) -> Result<Vec<u8>, StateError>,
) -> Result<Zeroizing<Vec<u8>>, StateError> {
    if bytes.len() < prefix_len.saturating_add(TAG_LEN) {
        return Err(StateError::Truncated);
    }
    let (prefix, rest) = bytes.split_at(prefix_len);
    let (key_id, after_id) = prefix
        .get(HEADER_LEN..)
        .and_then(<[u8]>::split_first_chunk::<8>)
        .ok_or(StateError::Truncated)?;
    if !bool::from(key_id.ct_eq(&key.id())) {
        return Err(StateError::WrongStorageKey);
    }
    let salt: [u8; 32] = *after_id.first_chunk().ok_or(StateError::Truncated)?;
    let mut ad = prefix.to_vec();
    ad.extend_from_slice(&address(&salt, prefix)?);
    let (ciphertext, tag) = rest
        .split_last_chunk::<TAG_LEN>()
        .ok_or(StateError::Truncated)?;
    let (cipher, nonce) = blob_cipher(key, &salt, info);
    let mut body = Zeroizing::new(ciphertext.to_vec());
    cipher
        .decrypt_inout_detached(
            &nonce.into(),
            &ad,
            InOutBuf::from(&mut body[..]),
            &(*tag).into(),
        )
        .map_err(|_| StateError::Corrupted)?;
    Ok(body)
}

/// The blob's one-time cipher and nonce.
fn blob_cipher(key: &StorageKey, salt: &[u8; 32], info: &[u8]) -> (Aes256Gcm, [u8; 12]) {
    let okm = key.blob_key(salt, info);
    let mut k = Zeroizing::new([0u8; 32]);
    let mut nonce = [0u8; 12];
    let (a, b) = okm.split_at(32);
    k.copy_from_slice(a);
    nonce.copy_from_slice(b);
    (Aes256Gcm::new(&(*k).into()), nonce)
}

/// Writer of the legacy unbound envelope (`"SWSE"`), kept only so that
/// tests can build legacy blobs for the migration paths
/// (`testing::seal_unbound_legacy`, feature `test-utils`).
#[cfg(feature = "test-utils")]
pub(crate) fn sealed_unbound(
    key: &StorageKey,
    salt: [u8; 32],
    kind: BlobKind,
    version: u8,
    body: impl FnOnce(&mut BlobWriter),
) -> Vec<u8> {
    let mut w = BlobWriter::with_capacity(256);
    w.bytes(&header(SEALED_MAGIC, kind, version));
    w.bytes(&key.id());
    w.bytes(&salt);
    body(&mut w);
    let (cipher, nonce) = blob_cipher(key, &salt, SEAL_INFO);
    encrypt_body(w, SEALED_PREFIX_LEN, &cipher, nonce, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `blob_kind` reads the kind of a plain, a legacy sealed and a bound
    /// blob alike (from the header alone), and refuses any other magic.
    #[test]
    fn blob_kind_reads_every_magic_and_refuses_others() {
        for magic in [STATE_MAGIC, SEALED_MAGIC, BOUND_MAGIC] {
            let mut header = magic.to_vec();
            header.extend_from_slice(&[0x01, 0x00]);
            assert_eq!(blob_kind(&header), Ok(BlobKind::Identity), "{magic:?}");
        }
        assert_eq!(blob_kind(b"SWXX\x01\x00"), Err(StateError::NotAStateBlob));
        assert_eq!(blob_kind(b"SWST\x01"), Err(StateError::NotAStateBlob));
    }

    /// A sealed blob cut to its prefix and a tag's length (an empty
    /// ciphertext) reaches the AEAD and fails it (`Corrupted`); one byte
    /// shorter is `Truncated`.
    #[test]
    fn a_sealed_blob_shorter_than_prefix_and_tag_is_truncated() {
        use crate::persist::StateBlob;
        let identity = crate::IdentityKeyPair::from_seed(&[3; 32]);
        let key = StorageKey::from_bytes([4; 32]);
        let address = crate::persist::BlobAddress::local(*identity.public());
        let mut rng = crate::testing::DangerDeterministicRng::from_u64(5);
        let blob = identity.seal(&key, &address, &mut rng);
        let open = |len: usize| {
            let cut = blob.get(..len).unwrap_or(&blob);
            open_sealed(&key, &address, cut, &[BlobKind::Identity]).map(|_| ())
        };
        assert_eq!(open(blob.len()), Ok(()));
        let shortest = BOUND_PREFIX_LEN + TAG_LEN;
        assert_eq!(open(shortest), Err(StateError::Corrupted));
        assert_eq!(open(shortest - 1), Err(StateError::Truncated));
    }
}
