//! X3DH key agreement (SPEC.md §3.3): both sides' computation of the shared
//! secret `SK` and the associated data `AD`.

use zeroize::Zeroizing;

use crate::bundle::PrekeyBundle;
use crate::dh::DhKeyPair;
use crate::error::SessionError;
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::kdf::{X3DH_INFO, hkdf_sha256};
use crate::ratchet::AD_LEN;

/// The 32 bytes of `0xFF` that start the X3DH key material (`F`).
const X3DH_F: [u8; 32] = [0xFF; 32];

/// The outcome of X3DH: the shared secret and the associated data.
pub(crate) struct X3dhOutput {
    pub(crate) shared_secret: Zeroizing<[u8; 32]>,
    pub(crate) associated_data: [u8; AD_LEN],
}

/// `AD = Encode(IK_A) || Encode(IK_B)`, initiator first.
pub(crate) fn associated_data(initiator: &IdentityKey, responder: &IdentityKey) -> [u8; AD_LEN] {
    let mut ad = [0u8; AD_LEN];
    let (a, b) = ad.split_at_mut(33);
    a.copy_from_slice(&initiator.encode());
    b.copy_from_slice(&responder.encode());
    ad
}

fn derive(
    dh1: &[u8; 32],
    dh2: &[u8; 32],
    dh3: &[u8; 32],
    dh4: Option<&[u8; 32]>,
) -> Zeroizing<[u8; 32]> {
    let salt = [0u8; 32];
    let sk: [u8; 32] = match dh4 {
        Some(dh4) => hkdf_sha256(&salt, &[&X3DH_F, dh1, dh2, dh3, dh4], X3DH_INFO),
        None => hkdf_sha256(&salt, &[&X3DH_F, dh1, dh2, dh3], X3DH_INFO),
    };
    Zeroizing::new(sk)
}

/// Initiator: `DH1 = DH(IK_A, SPK_B)`, `DH2 = DH(EK_A, IK_B)`,
/// `DH3 = DH(EK_A, SPK_B)`, `DH4 = DH(EK_A, OPK_B)`.
pub(crate) fn initiator(
    identity: &IdentityKeyPair,
    ephemeral: &DhKeyPair,
    bundle: &PrekeyBundle,
) -> Result<X3dhOutput, SessionError> {
    let dh1 = identity.diffie_hellman(bundle.signed_prekey())?;
    let dh2 = ephemeral.diffie_hellman(bundle.identity_key().x25519())?;
    let dh3 = ephemeral.diffie_hellman(bundle.signed_prekey())?;
    let dh4 = match bundle.one_time_prekey() {
        Some(opk) => Some(ephemeral.diffie_hellman(&opk.public)?),
        None => None,
    };
    Ok(X3dhOutput {
        shared_secret: derive(&dh1, &dh2, &dh3, dh4.as_deref()),
        associated_data: associated_data(identity.public(), bundle.identity_key()),
    })
}

/// Responder: the same four values from the other side.
pub(crate) fn responder(
    identity: &IdentityKeyPair,
    signed_prekey: &DhKeyPair,
    one_time_prekey: Option<&DhKeyPair>,
    their_identity: &IdentityKey,
    their_base_key: &[u8; 32],
) -> Result<X3dhOutput, SessionError> {
    let dh1 = signed_prekey.diffie_hellman(their_identity.x25519())?;
    let dh2 = identity.diffie_hellman(their_base_key)?;
    let dh3 = signed_prekey.diffie_hellman(their_base_key)?;
    let dh4 = match one_time_prekey {
        Some(opk) => Some(opk.diffie_hellman(their_base_key)?),
        None => None,
    };
    Ok(X3dhOutput {
        shared_secret: derive(&dh1, &dh2, &dh3, dh4.as_deref()),
        associated_data: associated_data(their_identity, identity.public()),
    })
}
