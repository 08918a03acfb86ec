//! Attachment pointers (SPEC.md §19.8): a hash commitment to an
//! attachment's plaintext inside the franked body.
//!
//! AES-GCM is not key-committing: one ciphertext can be made to decrypt,
//! with a valid tag, to two chosen plaintexts under two keys ("invisible
//! salamanders"). Franking the encrypted blob, or its key, would therefore
//! not fix what the recipient saw. The pointer commits to the SHA-256 of the
//! *plaintext* instead, the recipient refuses a blob whose plaintext does
//! not match ([`AttachmentPointer::decrypt`]), and the pointer travels in a
//! franked body: a report can then prove which attachment was sent.

use alloc::vec::Vec;

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::DecodeError;
use crate::franking::error::AttachmentError;
use crate::franking::{FRANKING_VERSION, TYPE_ATTACHMENT_POINTER};
use crate::kdf::hkdf_sha256;
use crate::limits::{MAX_ATTACHMENT_LOCATOR_LEN, MAX_ATTACHMENT_MEDIA_TYPE_LEN};
use crate::plaintext::Plaintext;
use crate::wire::TAG_LEN;
use crate::wire::codec::{Overflow, Reader, Writer, write_exact};

/// HKDF info that turns an attachment key into an AES-256-GCM key and
/// nonce.
pub const ATTACHMENT_KEYS_INFO: &[u8] = b"Sealwire_AttachmentKeys_v1";

/// Length of the pointer's fixed fields: version, type, key, digest, size,
/// the two length prefixes.
pub const ATTACHMENT_POINTER_FIXED_LEN: usize = 2 + 32 + 32 + 8 + 1 + 2;

/// The 32-byte key of one attachment (fresh per attachment). Zeroized on
/// drop, compared in constant time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AttachmentKey([u8; 32]);

impl AttachmentKey {
    /// Draws a fresh key.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        Self(key)
    }

    /// A key from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// `HKDF(salt = 0x00*32, ikm = key, info = "Sealwire_AttachmentKeys_v1",
    /// L = 44)`: AES-256-GCM key `[0..32]`, nonce `[32..44]`.
    fn cipher(&self) -> (Aes256Gcm, [u8; 12]) {
        let mut okm: [u8; 44] = hkdf_sha256(&[0u8; 32], &[&self.0], ATTACHMENT_KEYS_INFO);
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

    /// Encrypts an attachment: `ciphertext || tag` (AES-256-GCM, no
    /// associated data). Use each key for one attachment only.
    /// `Malformed(TooLarge)` for a plaintext beyond AES-GCM's limit
    /// (2^36 - 32 bytes, 64 GiB), the only input GCM refuses.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, AttachmentError> {
        let (cipher, nonce) = self.cipher();
        let mut out = Vec::with_capacity(plaintext.len().saturating_add(TAG_LEN));
        out.extend_from_slice(plaintext);
        match cipher.encrypt_inout_detached(&nonce.into(), &[], InOutBuf::from(&mut out[..])) {
            Ok(tag) => {
                out.extend_from_slice(&tag);
                Ok(out)
            }
            Err(_) => {
                out.zeroize();
                Err(DecodeError::TooLarge.into())
            }
        }
    }
}

impl PartialEq for AttachmentKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for AttachmentKey {}

impl core::fmt::Debug for AttachmentKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AttachmentKey(..)")
    }
}

/// What a message body holds for an attachment: the key to its encrypted
/// blob, the SHA-256 digest and size of its plaintext, its media type and
/// where the blob is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct AttachmentPointer {
    key: AttachmentKey,
    digest: [u8; 32],
    size: u64,
    media_type: Vec<u8>,
    locator: Vec<u8>,
}

impl AttachmentPointer {
    /// A pointer to `plaintext` (digest and size computed here), encrypted
    /// under `key` and stored at `locator`. `TooLarge` if the media type is
    /// longer than [`MAX_ATTACHMENT_MEDIA_TYPE_LEN`] or the locator than
    /// [`MAX_ATTACHMENT_LOCATOR_LEN`].
    pub fn new(
        key: AttachmentKey,
        plaintext: &[u8],
        media_type: &[u8],
        locator: &[u8],
    ) -> Result<Self, AttachmentError> {
        if media_type.len() > MAX_ATTACHMENT_MEDIA_TYPE_LEN
            || locator.len() > MAX_ATTACHMENT_LOCATOR_LEN
        {
            return Err(DecodeError::TooLarge.into());
        }
        Ok(Self {
            key,
            digest: Sha256::digest(plaintext).into(),
            size: u64::try_from(plaintext.len()).unwrap_or(u64::MAX),
            media_type: media_type.to_vec(),
            locator: locator.to_vec(),
        })
    }

    /// The attachment key.
    pub fn key(&self) -> &AttachmentKey {
        &self.key
    }

    /// SHA-256 of the plaintext.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// Length of the plaintext in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The media type (e.g. `image/png`), opaque bytes.
    pub fn media_type(&self) -> &[u8] {
        &self.media_type
    }

    /// Where the encrypted blob is (a URL or a storage id), opaque bytes.
    pub fn locator(&self) -> &[u8] {
        &self.locator
    }

    /// Checks a plaintext against the pointer: size, then SHA-256 digest
    /// in constant time. `Mismatch` otherwise.
    pub fn verify(&self, plaintext: &[u8]) -> Result<(), AttachmentError> {
        let size_ok = u64::try_from(plaintext.len()).is_ok_and(|n| n == self.size);
        let digest: [u8; 32] = Sha256::digest(plaintext).into();
        if size_ok && bool::from(digest.ct_eq(&self.digest)) {
            Ok(())
        } else {
            Err(AttachmentError::Mismatch)
        }
    }

    /// Decrypts the blob ([`AttachmentKey::encrypt`]'s output) and checks
    /// the plaintext against the pointer: `Mismatch` if the tag fails or
    /// the plaintext is not the one committed to. Recipients MUST open
    /// attachments this way, so that what they show is what a report can
    /// prove.
    pub fn decrypt(&self, blob: &[u8]) -> Result<Plaintext, AttachmentError> {
        let split = blob
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(AttachmentError::Mismatch)?;
        let (ciphertext, tag) = blob.split_at(split);
        let mut tag_bytes = [0u8; TAG_LEN];
        tag_bytes.copy_from_slice(tag);
        // Zeroized on drop, also when the plaintext is refused below.
        let mut out = Plaintext::hidden(ciphertext.to_vec());
        let (cipher, nonce) = self.key.cipher();
        cipher
            .decrypt_inout_detached(
                &nonce.into(),
                &[],
                InOutBuf::from(out.buffer_mut()),
                &tag_bytes.into(),
            )
            .map_err(|_| AttachmentError::Mismatch)?;
        self.verify(out.buffer_mut())?;
        #[allow(clippy::expect_used, reason = "the whole buffer is in range")]
        Ok(out
            .reveal(0, ciphertext.len())
            .expect("the whole buffer is in range"))
    }

    /// Length of the encoding.
    pub fn encoded_len(&self) -> usize {
        ATTACHMENT_POINTER_FIXED_LEN
            .saturating_add(self.media_type.len())
            .saturating_add(self.locator.len())
    }

    /// The encoding (SPEC.md §19.8), to send as a franked message's body.
    pub fn to_vec(&self) -> Zeroizing<Vec<u8>> {
        // Lengths bounded by the constructors.
        write_exact(Zeroizing::new(alloc::vec![0u8; self.encoded_len()]), |w| {
            self.write(w)
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Overflow> {
        w.u8(FRANKING_VERSION)?;
        w.u8(TYPE_ATTACHMENT_POINTER)?;
        w.bytes(&self.key.0)?;
        w.bytes(&self.digest)?;
        w.u64(self.size)?;
        w.u8(u8::try_from(self.media_type.len()).map_err(|_| Overflow)?)?;
        w.bytes(&self.media_type)?;
        let len = u16::try_from(self.locator.len()).map_err(|_| Overflow)?;
        w.bytes(&len.to_be_bytes())?;
        w.bytes(&self.locator)
    }

    /// Parses a pointer strictly (the whole body); any input gives a
    /// pointer or a typed error.
    pub fn parse(bytes: &[u8]) -> Result<Self, AttachmentError> {
        let max = ATTACHMENT_POINTER_FIXED_LEN
            .saturating_add(MAX_ATTACHMENT_MEDIA_TYPE_LEN)
            .saturating_add(MAX_ATTACHMENT_LOCATOR_LEN);
        if bytes.len() > max {
            return Err(DecodeError::TooLarge.into());
        }
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != FRANKING_VERSION {
            return Err(DecodeError::UnsupportedVersion(version).into());
        }
        let t = r.u8()?;
        if t != TYPE_ATTACHMENT_POINTER {
            return Err(DecodeError::UnexpectedType(t).into());
        }
        let key = AttachmentKey(r.array()?);
        let digest = r.array()?;
        let size = r.u64()?;
        let media_type_len = usize::from(r.u8()?);
        let media_type = r.take(media_type_len)?.to_vec();
        let locator_len = usize::from(r.u16()?);
        if locator_len > MAX_ATTACHMENT_LOCATOR_LEN {
            return Err(DecodeError::TooLarge.into());
        }
        let locator = r.take(locator_len)?.to_vec();
        r.finish()?;
        Ok(Self {
            key,
            digest,
            size,
            media_type,
            locator,
        })
    }
}

impl core::fmt::Debug for AttachmentPointer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AttachmentPointer")
            .field("digest", &crate::hexfmt::Hex(&self.digest))
            .field("size", &self.size)
            .field("media_type", &crate::hexfmt::Hex(&self.media_type))
            .field("locator_len", &self.locator.len())
            .finish_non_exhaustive()
    }
}
