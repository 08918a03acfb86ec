//! The recovery request (SPEC.md §21.4): "I could not decrypt your
//! message, please start a new session", signed by the device that asks.

use crate::devices::error::DeviceError;
use crate::devices::sessions::DeviceSessions;
use crate::error::DecodeError;
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::limits::{RECOVERY_INTERVAL_MS, RECOVERY_REQUEST_LEN};
use crate::session::transport;
use crate::time::Timestamp;
use crate::wire::codec::{Reader, Writer, write_exact};

/// Version byte of a recovery request.
pub const RECOVERY_VERSION: u8 = 0x01;
/// Type byte of a recovery request.
pub const TYPE_RECOVERY_REQUEST: u8 = 0x40;
/// Domain-separation label of the signature (SPEC.md §21.4).
const SIGNATURE_LABEL: &[u8] = b"sealwire recovery request";
/// Length of the signed fields (all but the signature).
const SIGNED_LEN: usize = RECOVERY_REQUEST_LEN - 64;

/// A recovery request, parsed (its signature not yet verified) or made by
/// [`DeviceSessions::recovery_request`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RecoveryRequest {
    requester: IdentityKey,
    target: IdentityKey,
    ratchet_key: [u8; 32],
    counter: u32,
    requested_at: Timestamp,
    signature: [u8; 64],
}

/// What the original sender should do after accepting a recovery request
/// ([`DeviceSessions::accept_recovery_request`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Recovery {
    /// The session the lost message was sent in was current and no longer
    /// sends: fetch the peer device's bundle, start a new session
    /// ([`DeviceSessions::initiate`]), and re-send, if the app chooses, what
    /// was sent from message `counter` of that chain on.
    Restart {
        /// The lost message's number in its chain.
        counter: u32,
    },
    /// The session the lost message was sent in is already a previous
    /// one: re-send, if the app chooses, on the current session.
    Resend {
        /// The lost message's number in its chain.
        counter: u32,
    },
}

impl RecoveryRequest {
    /// Parses a recovery request; the signature is checked by
    /// [`DeviceSessions::accept_recovery_request`].
    pub fn parse(bytes: &[u8]) -> Result<Self, DeviceError> {
        if bytes.len() > RECOVERY_REQUEST_LEN {
            return Err(DecodeError::TooLarge.into());
        }
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != RECOVERY_VERSION {
            return Err(DecodeError::UnsupportedVersion(version).into());
        }
        let kind = r.u8()?;
        if kind != TYPE_RECOVERY_REQUEST {
            return Err(DecodeError::UnexpectedType(kind).into());
        }
        let requester = IdentityKey::from_bytes(&r.array()?)?;
        let target = IdentityKey::from_bytes(&r.array()?)?;
        let ratchet_key = r.array()?;
        let counter = r.u32()?;
        let requested_at = Timestamp::from_unix_millis(r.u64()?);
        let signature = r.array()?;
        r.finish()?;
        Ok(Self {
            requester,
            target,
            ratchet_key,
            counter,
            requested_at,
            signature,
        })
    }

    /// The encoding ([`RECOVERY_REQUEST_LEN`] bytes).
    pub fn to_bytes(&self) -> [u8; RECOVERY_REQUEST_LEN] {
        let mut out = [0u8; RECOVERY_REQUEST_LEN];
        let (signed, sig) = out.split_at_mut(SIGNED_LEN);
        signed.copy_from_slice(&self.signed_fields());
        sig.copy_from_slice(&self.signature);
        out
    }

    /// The identity key of the device that asks.
    pub fn requester(&self) -> &IdentityKey {
        &self.requester
    }

    /// The identity key of the device asked to restart.
    pub fn target(&self) -> &IdentityKey {
        &self.target
    }

    /// The ratchet key in the header of the message that failed.
    pub fn ratchet_key(&self) -> &[u8; 32] {
        &self.ratchet_key
    }

    /// The number of the message that failed.
    pub fn counter(&self) -> u32 {
        self.counter
    }

    /// When the request was made (the requester's clock).
    pub fn requested_at(&self) -> Timestamp {
        self.requested_at
    }

    fn signed_fields(&self) -> [u8; SIGNED_LEN] {
        write_exact([0u8; SIGNED_LEN], |w: &mut Writer<'_>| {
            w.u8(RECOVERY_VERSION)?;
            w.u8(TYPE_RECOVERY_REQUEST)?;
            w.bytes(self.requester.as_bytes())?;
            w.bytes(self.target.as_bytes())?;
            w.bytes(&self.ratchet_key)?;
            w.u32(self.counter)?;
            w.u64(self.requested_at.as_unix_millis())
        })
    }

    /// `label || signed fields`, what the signature covers.
    fn signature_message(&self) -> [u8; SIGNATURE_LABEL.len() + SIGNED_LEN] {
        let mut m = [0u8; SIGNATURE_LABEL.len() + SIGNED_LEN];
        let (label, fields) = m.split_at_mut(SIGNATURE_LABEL.len());
        label.copy_from_slice(SIGNATURE_LABEL);
        fields.copy_from_slice(&self.signed_fields());
        m
    }
}

/// Whether `last + RECOVERY_INTERVAL_MS` is still ahead of `now`.
fn too_soon(last: Option<Timestamp>, now: Timestamp) -> bool {
    last.is_some_and(|t| {
        now.as_unix_millis() < t.as_unix_millis().saturating_add(RECOVERY_INTERVAL_MS)
    })
}

impl DeviceSessions {
    /// Makes a recovery request for `failed_message`, a message from the
    /// peer device (identity key `peer`) that could not be decrypted
    /// (SPEC.md §21.4), signed with our identity key. At most one per
    /// [`RECOVERY_INTERVAL_MS`] per peer device
    /// ([`DeviceError::TooManyRequests`]), so that a peer sending garbage
    /// cannot make us flood it. Send the bytes to the peer device by any
    /// channel (they hold no secret).
    pub fn recovery_request(
        &mut self,
        identity: &IdentityKeyPair,
        peer: &IdentityKey,
        now: Timestamp,
        failed_message: &[u8],
    ) -> Result<RecoveryRequest, DeviceError> {
        let header = match transport::parse(failed_message) {
            Ok(parsed) => parsed.header,
            Err(crate::error::SessionError::Malformed(e)) => return Err(e.into()),
            Err(_) => return Err(DecodeError::InvalidValue.into()),
        };
        if too_soon(self.recovery().last_request_sent, now) {
            return Err(DeviceError::TooManyRequests);
        }
        let mut request = RecoveryRequest {
            requester: *identity.public(),
            target: *peer,
            ratchet_key: header.ratchet_key,
            counter: header.counter,
            requested_at: now,
            signature: [0; 64],
        };
        request.signature = identity.sign(&request.signature_message());
        self.recovery_mut().last_request_sent = Some(now);
        Ok(request)
    }

    /// Takes in a recovery request from the peer device whose identity key
    /// (in our device list) is `peer` (SPEC.md §21.4). Checks, in order:
    /// the encoding, the requester is `peer` and signed it
    /// ([`DeviceError::AuthenticationFailed`]), it is addressed to `us`
    /// ([`DeviceError::NotForUs`]), it is newer than the last accepted
    /// ([`DeviceError::ReplayedRequest`]), it names a session we hold with
    /// `peer` ([`DeviceError::UnknownSession`]: a session with an earlier
    /// identity key of the device does not count); if that session is
    /// current, it
    /// stops sending ([`Recovery::Restart`]), at most once per
    /// [`RECOVERY_INTERVAL_MS`] ([`DeviceError::TooManyRequests`]). The
    /// library never re-sends by itself: what to re-send is the app's
    /// choice. On error nothing changed.
    pub fn accept_recovery_request(
        &mut self,
        us: &IdentityKey,
        peer: &IdentityKey,
        now: Timestamp,
        request: &[u8],
    ) -> Result<Recovery, DeviceError> {
        let request = RecoveryRequest::parse(request)?;
        if request.requester != *peer
            || !peer.verify_strict(&request.signature_message(), &request.signature)
        {
            return Err(DeviceError::AuthenticationFailed);
        }
        if request.target != *us {
            return Err(DeviceError::NotForUs);
        }
        if self
            .recovery()
            .last_request_accepted
            .is_some_and(|t| request.requested_at <= t)
        {
            return Err(DeviceError::ReplayedRequest);
        }
        let is_current = self
            .sends_under(peer, &request.ratchet_key)
            .ok_or(DeviceError::UnknownSession)?;
        let outcome = if is_current {
            if too_soon(self.recovery().last_restart, now) {
                return Err(DeviceError::TooManyRequests);
            }
            self.archive_current();
            self.recovery_mut().last_restart = Some(now);
            Recovery::Restart {
                counter: request.counter,
            }
        } else {
            Recovery::Resend {
                counter: request.counter,
            }
        };
        self.recovery_mut().last_request_accepted = Some(request.requested_at);
        Ok(outcome)
    }
}
