//! The sender-key distribution message (SPEC.md §20.3): the body of a 1:1
//! message of content type `0x03`, carried to each member over its session.
//!
//! ```text
//! version u8 (0x01) | flags u8 (bit 0: channel) | group_id [16]
//! | chain_id u32 BE | iteration u32 BE | chain_key [32]
//! | signing_key [32] (Ed25519) | sender [32] (Ed25519 identity)
//! ```

use alloc::vec::Vec;

use ed25519_dalek::VerifyingKey;
use zeroize::Zeroizing;

use crate::address::DeviceAddress;
use crate::devices::{DeviceError, DeviceList, DeviceMessage, UserSessions, encrypt_for_devices};
use crate::error::{DecodeError, SessionError};
use crate::frame::ContentType;
use crate::group::chain::GroupChainKey;
use crate::group::error::GroupError;
use crate::group::{GroupId, GroupMode};
use crate::identity::IdentityKey;
use crate::session::{Encrypt, Outgoing, SessionRecord};
use crate::time::Timestamp;
use crate::wire::codec::Reader;

/// Version byte of a distribution body.
pub const DISTRIBUTION_VERSION: u8 = 0x01;
/// Flag bit: the chain is a channel owner's (only the owner posts).
pub const DISTRIBUTION_FLAG_CHANNEL: u8 = 0x01;
/// Length of a distribution body.
pub const DISTRIBUTION_LEN: usize = 2 + 16 + 4 + 4 + 32 + 32 + 32;

/// A decoded distribution body.
#[derive(Clone, PartialEq)]
pub(crate) struct DistributionBody {
    pub(crate) group_id: GroupId,
    pub(crate) mode: GroupMode,
    pub(crate) chain_id: u32,
    pub(crate) iteration: u32,
    pub(crate) chain_key: GroupChainKey,
    pub(crate) signing_key: VerifyingKey,
    pub(crate) sender: IdentityKey,
}

/// A signing public key as a distribution or a state blob carries it:
/// canonical, decompressing, not of small order.
pub(crate) fn parse_signing_key(bytes: &[u8; 32]) -> Result<VerifyingKey, DecodeError> {
    let vk = VerifyingKey::from_bytes(bytes).map_err(|_| DecodeError::InvalidKey)?;
    if vk.is_weak() || vk.to_edwards().compress().to_bytes() != *bytes {
        return Err(DecodeError::InvalidKey);
    }
    Ok(vk)
}

impl DistributionBody {
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(DISTRIBUTION_LEN));
        out.push(DISTRIBUTION_VERSION);
        out.push(match self.mode {
            GroupMode::Channel => DISTRIBUTION_FLAG_CHANNEL,
            GroupMode::Group => 0,
        });
        out.extend_from_slice(self.group_id.as_bytes());
        out.extend_from_slice(&self.chain_id.to_be_bytes());
        out.extend_from_slice(&self.iteration.to_be_bytes());
        out.extend_from_slice(self.chain_key.as_bytes());
        out.extend_from_slice(self.signing_key.as_bytes());
        out.extend_from_slice(self.sender.as_bytes());
        out
    }

    /// Parses strictly, in this order: version, flags, group id, chain id,
    /// iteration (never 2³² − 1), chain key, signing key (canonical, not
    /// weak), sender (a valid identity key), no trailing bytes.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, GroupError> {
        if bytes.len() > DISTRIBUTION_LEN {
            return Err(DecodeError::TooLarge.into());
        }
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != DISTRIBUTION_VERSION {
            return Err(DecodeError::UnsupportedVersion(version).into());
        }
        let flags = r.u8()?;
        if flags & !DISTRIBUTION_FLAG_CHANNEL != 0 {
            return Err(DecodeError::UnknownFlags(flags).into());
        }
        let mode = if flags & DISTRIBUTION_FLAG_CHANNEL != 0 {
            GroupMode::Channel
        } else {
            GroupMode::Group
        };
        let group_id = GroupId::from_bytes(r.array::<16>()?);
        let chain_id = r.u32()?;
        let iteration = r.u32()?;
        if iteration == u32::MAX {
            return Err(DecodeError::InvalidValue.into());
        }
        let chain_key = GroupChainKey::new(*Zeroizing::new(r.array::<32>()?));
        let signing_key = parse_signing_key(&r.array::<32>()?)?;
        let sender = IdentityKey::from_bytes(&r.array::<32>()?)?;
        r.finish()?;
        Ok(Self {
            group_id,
            mode,
            chain_id,
            iteration,
            chain_key,
            signing_key,
            sender,
        })
    }
}

/// The group id a distribution body names, for routing it to its group.
/// Checks only the first fields.
pub fn distribution_group_id(body: &[u8]) -> Result<GroupId, GroupError> {
    let mut r = Reader::new(body);
    let version = r.u8()?;
    if version != DISTRIBUTION_VERSION {
        return Err(DecodeError::UnsupportedVersion(version).into());
    }
    let _flags = r.u8()?;
    Ok(GroupId::from_bytes(r.array::<16>()?))
}

/// A chain to distribute: what the app must send where. The same body goes
/// to every recipient, each over its own 1:1 session as content type
/// [`ContentType::GroupKeyDistribution`] (see
/// [`encrypt_for`](Self::encrypt_for)).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Distribution {
    /// The distribution body (holds the chain key: a secret, zeroized on
    /// drop).
    pub body: Zeroizing<Vec<u8>>,
    /// Who must receive it, sorted by their Ed25519 public key.
    pub recipients: Vec<IdentityKey>,
}

impl Distribution {
    /// Whether `who` is a recipient.
    pub fn is_recipient(&self, who: &IdentityKey) -> bool {
        self.recipients
            .binary_search_by(|k| k.as_bytes().cmp(who.as_bytes()))
            .is_ok()
    }

    /// Encrypts the body over the 1:1 session with one recipient (content
    /// type `0x03`), pending or established. A session with someone who is not a recipient is
    /// refused with [`SessionError::SessionMismatch`], so that a chain key
    /// never goes to a non-member by mistake.
    pub fn encrypt_for<R: rand_core::CryptoRng + ?Sized>(
        &self,
        session: &mut SessionRecord,
        rng: &mut R,
        now: Timestamp,
    ) -> Result<Vec<u8>, SessionError> {
        if !self.is_recipient(session.their_identity()) {
            return Err(SessionError::SessionMismatch);
        }
        session
            .encrypt(
                rng,
                now,
                Outgoing::new(ContentType::GroupKeyDistribution, &self.body),
            )
            .map(|s| s.message)
    }

    /// Encrypts the body for every device of the listed users (and of
    /// our own other devices, `me` being skipped) over their current
    /// sessions, as [`encrypt_for_devices`] does (SPEC.md §21.1): every
    /// device of a member is a recipient of its own. All or nothing: a
    /// listed device that is not a recipient (a member's device not added
    /// to the group) is refused with [`SessionError::SessionMismatch`]
    /// before anything is encrypted, so that a chain key never reaches a
    /// device by mistake; add the device to the group first
    /// (`add_member`), which returns a distribution for it.
    pub fn encrypt_for_devices<G: rand_core::CryptoRng + ?Sized>(
        &self,
        rng: &mut G,
        now: Timestamp,
        me: Option<&DeviceAddress>,
        recipients: &mut [(&DeviceList, &mut UserSessions)],
    ) -> Result<Vec<DeviceMessage>, DeviceError> {
        for (list, _) in recipients.iter() {
            for (device, key) in list.devices() {
                let address = list.address(device);
                if me != Some(&address) && !self.is_recipient(key) {
                    return Err(DeviceError::Session(address, SessionError::SessionMismatch));
                }
            }
        }
        let outgoing = Outgoing::new(ContentType::GroupKeyDistribution, &self.body);
        encrypt_for_devices(rng, now, outgoing, me, recipients)
    }
}

impl core::fmt::Debug for Distribution {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Distribution")
            .field("body_len", &self.body.len())
            .field("recipients", &self.recipients.len())
            .finish()
    }
}
