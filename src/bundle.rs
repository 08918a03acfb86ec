//! The prekey bundle a user publishes (SPEC.md §4). Parsing verifies it:
//! a [`PrekeyBundle`] value always carries a valid identity key and a signed
//! prekey whose signature passed strict Ed25519 verification, and, if it
//! has one, a PQ prekey whose ML-KEM-768 key decodes and whose signature
//! passed the same verification.

use alloc::vec::Vec;

use crate::error::{BundleError, DecodeError};
use crate::identity::{ENCODE_X25519, IdentityKey};
use crate::limits::{MAX_BUNDLE_LEN, PQ_BUNDLE_FIELDS_LEN};
use crate::pq_prekey::PQ_PUBLIC_KEY_LEN;
use crate::pq_prekey::{PqPrekeyKind, PqPrekeyPublic};
use crate::wire::codec::{Reader, write_exact};
use crate::wire::{BUNDLE_VERSION, TYPE_BUNDLE};

/// Bundle flag: a one-time prekey follows.
const FLAG_ONE_TIME_PREKEY: u8 = 0x01;
/// Bundle flag: a PQ (ML-KEM-768) prekey follows.
const FLAG_PQ_PREKEY: u8 = 0x02;

/// The message an identity signs to certify a signed prekey:
/// `Encode(SPK) = 0x05 || spk_public` (SPEC.md §3.2).
pub(crate) fn signed_prekey_message(public: &[u8; 32]) -> [u8; 33] {
    let mut m = [0u8; 33];
    m[0] = ENCODE_X25519;
    m[1..].copy_from_slice(public);
    m
}

/// The public half of a one-time prekey, as uploaded to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OneTimePrekeyPublic {
    /// The prekey's id.
    pub id: u32,
    /// The X25519 public key.
    pub public: [u8; 32],
}

/// A verified prekey bundle.
#[derive(Clone, PartialEq, Eq)]
pub struct PrekeyBundle {
    identity_key: IdentityKey,
    signed_prekey_id: u32,
    signed_prekey: [u8; 32],
    signed_prekey_signature: [u8; 64],
    one_time_prekey: Option<OneTimePrekeyPublic>,
    pq_prekey: Option<PqPrekeyPublic>,
}

impl PrekeyBundle {
    pub(crate) fn from_parts(
        identity_key: IdentityKey,
        signed_prekey_id: u32,
        signed_prekey: [u8; 32],
        signed_prekey_signature: [u8; 64],
        one_time_prekey: Option<OneTimePrekeyPublic>,
        pq_prekey: Option<PqPrekeyPublic>,
    ) -> Self {
        Self {
            identity_key,
            signed_prekey_id,
            signed_prekey,
            signed_prekey_signature,
            one_time_prekey,
            pq_prekey,
        }
    }

    /// Builds a classic bundle from its published parts (for a server that
    /// hands out one one-time prekey per fetch), verifying the signature.
    /// Add a PQ prekey with [`with_pq_prekey`](Self::with_pq_prekey).
    pub fn new(
        identity_key: IdentityKey,
        signed_prekey_id: u32,
        signed_prekey: [u8; 32],
        signed_prekey_signature: [u8; 64],
        one_time_prekey: Option<OneTimePrekeyPublic>,
    ) -> Result<Self, BundleError> {
        if !identity_key.verify_strict(
            &signed_prekey_message(&signed_prekey),
            &signed_prekey_signature,
        ) {
            return Err(BundleError::InvalidSignature);
        }
        Ok(Self::from_parts(
            identity_key,
            signed_prekey_id,
            signed_prekey,
            signed_prekey_signature,
            one_time_prekey,
            None,
        ))
    }

    /// The bundle with `pq_prekey` as its PQ prekey (replacing any), after
    /// strict verification of its signature by the bundle's identity key
    /// ([`BundleError::InvalidSignature`]). A bundle with a PQ prekey is
    /// always used with PQXDH.
    pub fn with_pq_prekey(mut self, pq_prekey: PqPrekeyPublic) -> Result<Self, BundleError> {
        if !pq_prekey.verify(&self.identity_key) {
            return Err(BundleError::InvalidSignature);
        }
        self.pq_prekey = Some(pq_prekey);
        Ok(self)
    }

    /// Parses and verifies a bundle.
    pub fn parse(bytes: &[u8]) -> Result<Self, BundleError> {
        if bytes.len() > MAX_BUNDLE_LEN {
            return Err(DecodeError::TooLarge.into());
        }
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != BUNDLE_VERSION {
            return Err(DecodeError::UnsupportedVersion(version).into());
        }
        let ty = r.u8()?;
        if ty != TYPE_BUNDLE {
            return Err(DecodeError::UnexpectedType(ty).into());
        }
        let identity_key = IdentityKey::from_bytes(&r.array()?)?;
        let signed_prekey_id = r.u32()?;
        let signed_prekey = r.array()?;
        let signature = r.array()?;
        let flags = r.u8()?;
        if flags & !(FLAG_ONE_TIME_PREKEY | FLAG_PQ_PREKEY) != 0 {
            return Err(DecodeError::UnknownFlags(flags).into());
        }
        let one_time_prekey = if flags & FLAG_ONE_TIME_PREKEY != 0 {
            Some(OneTimePrekeyPublic {
                id: r.u32()?,
                public: r.array()?,
            })
        } else {
            None
        };
        let pq_prekey = if flags & FLAG_PQ_PREKEY != 0 {
            let id = r.u32()?;
            let kind = r.u8()?;
            let kind = PqPrekeyKind::from_byte(kind).ok_or(DecodeError::InvalidValue)?;
            let public = r.take(PQ_PUBLIC_KEY_LEN)?;
            let pq_signature = r.array()?;
            Some(PqPrekeyPublic::new(id, kind, public, pq_signature)?)
        } else {
            None
        };
        r.finish()?;
        let bundle = Self::new(
            identity_key,
            signed_prekey_id,
            signed_prekey,
            signature,
            one_time_prekey,
        )?;
        match pq_prekey {
            Some(pq) => bundle.with_pq_prekey(pq),
            None => Ok(bundle),
        }
    }

    /// Length of the encoding.
    pub fn encoded_len(&self) -> usize {
        const BASE: usize = 2 + 32 + 4 + 32 + 64 + 1;
        let opk = if self.one_time_prekey.is_some() {
            36
        } else {
            0
        };
        let pq = if self.pq_prekey.is_some() {
            PQ_BUNDLE_FIELDS_LEN
        } else {
            0
        };
        BASE.saturating_add(opk).saturating_add(pq)
    }

    /// The encoding.
    pub fn to_vec(&self) -> Vec<u8> {
        write_exact(alloc::vec![0u8; self.encoded_len()], |w| {
            w.u8(BUNDLE_VERSION)?;
            w.u8(TYPE_BUNDLE)?;
            w.bytes(self.identity_key.as_bytes())?;
            w.u32(self.signed_prekey_id)?;
            w.bytes(&self.signed_prekey)?;
            w.bytes(&self.signed_prekey_signature)?;
            let mut flags = 0;
            if self.one_time_prekey.is_some() {
                flags |= FLAG_ONE_TIME_PREKEY;
            }
            if self.pq_prekey.is_some() {
                flags |= FLAG_PQ_PREKEY;
            }
            w.u8(flags)?;
            if let Some(opk) = &self.one_time_prekey {
                w.u32(opk.id)?;
                w.bytes(&opk.public)?;
            }
            if let Some(pq) = &self.pq_prekey {
                w.u32(pq.id())?;
                w.u8(pq.kind().to_byte())?;
                w.bytes(pq.public())?;
                w.bytes(pq.signature())?;
            }
            Ok(())
        })
    }

    /// The owner's identity key.
    pub fn identity_key(&self) -> &IdentityKey {
        &self.identity_key
    }

    /// The signed prekey's id.
    pub fn signed_prekey_id(&self) -> u32 {
        self.signed_prekey_id
    }

    /// The signed prekey.
    pub fn signed_prekey(&self) -> &[u8; 32] {
        &self.signed_prekey
    }

    /// The signature over the signed prekey.
    pub fn signed_prekey_signature(&self) -> &[u8; 64] {
        &self.signed_prekey_signature
    }

    /// The one-time prekey, if the bundle has one.
    pub fn one_time_prekey(&self) -> Option<&OneTimePrekeyPublic> {
        self.one_time_prekey.as_ref()
    }

    /// The PQ prekey, if the bundle has one: then
    /// [`PendingSession::initiate`](crate::PendingSession::initiate) uses
    /// PQXDH.
    pub fn pq_prekey(&self) -> Option<&PqPrekeyPublic> {
        self.pq_prekey.as_ref()
    }
}

impl core::fmt::Debug for PrekeyBundle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PrekeyBundle")
            .field("identity_key", &self.identity_key)
            .field("signed_prekey_id", &self.signed_prekey_id)
            .field("signed_prekey", &crate::hexfmt::Hex(&self.signed_prekey))
            .field("one_time_prekey", &self.one_time_prekey)
            .field("pq_prekey", &self.pq_prekey)
            .finish_non_exhaustive()
    }
}
