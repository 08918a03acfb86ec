//! The prekey bundle a user publishes (SPEC.md §4). Parsing verifies it:
//! a [`PrekeyBundle`] value always carries a valid identity key and a signed
//! prekey whose signature passed strict Ed25519 verification.

use alloc::vec::Vec;

use crate::error::{BundleError, DecodeError};
use crate::identity::IdentityKey;
use crate::limits::MAX_BUNDLE_LEN;
use crate::prekey::{OneTimePrekeyPublic, signed_prekey_message};
use crate::wire::codec::{Reader, Writer};
use crate::wire::{TYPE_BUNDLE, WIRE_VERSION};

/// Bundle flag: a one-time prekey follows.
const FLAG_ONE_TIME_PREKEY: u8 = 0x01;

/// A verified prekey bundle.
#[derive(Clone, PartialEq, Eq)]
pub struct PrekeyBundle {
    identity_key: IdentityKey,
    signed_prekey_id: u32,
    signed_prekey: [u8; 32],
    signed_prekey_signature: [u8; 64],
    one_time_prekey: Option<OneTimePrekeyPublic>,
}

impl PrekeyBundle {
    pub(crate) fn from_parts(
        identity_key: IdentityKey,
        signed_prekey_id: u32,
        signed_prekey: [u8; 32],
        signed_prekey_signature: [u8; 64],
        one_time_prekey: Option<OneTimePrekeyPublic>,
    ) -> Self {
        Self {
            identity_key,
            signed_prekey_id,
            signed_prekey,
            signed_prekey_signature,
            one_time_prekey,
        }
    }

    /// Builds a bundle from its published parts (for a server that hands out
    /// one one-time prekey per fetch), verifying the signature.
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
        ))
    }

    /// Parses and verifies a bundle.
    pub fn parse(bytes: &[u8]) -> Result<Self, BundleError> {
        if bytes.len() > MAX_BUNDLE_LEN {
            return Err(DecodeError::TooLarge.into());
        }
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != WIRE_VERSION {
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
        if flags & !FLAG_ONE_TIME_PREKEY != 0 {
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
        r.finish()?;
        Self::new(
            identity_key,
            signed_prekey_id,
            signed_prekey,
            signature,
            one_time_prekey,
        )
    }

    /// Length of the encoding.
    pub fn encoded_len(&self) -> usize {
        const BASE: usize = 2 + 32 + 4 + 32 + 64 + 1;
        if self.one_time_prekey.is_some() {
            BASE + 36
        } else {
            BASE
        }
    }

    /// The encoding.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = alloc::vec![0u8; self.encoded_len()];
        let mut w = Writer::new(&mut out);
        let written = (|| {
            w.u8(WIRE_VERSION)?;
            w.u8(TYPE_BUNDLE)?;
            w.bytes(self.identity_key.as_bytes())?;
            w.u32(self.signed_prekey_id)?;
            w.bytes(&self.signed_prekey)?;
            w.bytes(&self.signed_prekey_signature)?;
            match &self.one_time_prekey {
                Some(opk) => {
                    w.u8(FLAG_ONE_TIME_PREKEY)?;
                    w.u32(opk.id)?;
                    w.bytes(&opk.public)
                }
                None => w.u8(0),
            }
        })();
        let n = if written.is_ok() { w.position() } else { 0 };
        out.truncate(n);
        out
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
}

impl core::fmt::Debug for PrekeyBundle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PrekeyBundle")
            .field("identity_key", &self.identity_key)
            .field("signed_prekey_id", &self.signed_prekey_id)
            .field("signed_prekey", &crate::hexfmt::Hex(&self.signed_prekey))
            .field("one_time_prekey", &self.one_time_prekey)
            .finish_non_exhaustive()
    }
}
