//! X3DH and PQXDH key agreement (SPEC.md §3.3, §3.6): both sides'
//! computation of the shared secret `SK` and the associated data `AD`.

use alloc::boxed::Box;

use zeroize::Zeroizing;

use crate::bundle::PrekeyBundle;
use crate::dh::{DhKeyPair, TheirPublic};
use crate::error::SessionError;
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::kdf::{PQXDH_INFO, X3DH_INFO, hkdf_sha256};
use crate::kem::{KEM_CIPHERTEXT_LEN, KemKeyPair};
use crate::ratchet::AD_LEN;

/// The PQXDH fields: the PQ prekey id and the ML-KEM-768 ciphertext.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PqPrekeyFields {
    pub(crate) pq_prekey_id: u32,
    pub(crate) ciphertext: Box<[u8; KEM_CIPHERTEXT_LEN]>,
}

impl core::fmt::Debug for PqPrekeyFields {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PqPrekeyFields")
            .field("pq_prekey_id", &self.pq_prekey_id)
            .finish_non_exhaustive()
    }
}

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

/// `SK = HKDF(0x00*32, F || DH1 || DH2 || DH3 [|| DH4] [|| KEM_SS], info, 32)`
/// with the classic label without a KEM secret and the PQXDH label with one.
fn derive(
    dh1: &[u8; 32],
    dh2: &[u8; 32],
    dh3: &[u8; 32],
    dh4: Option<&[u8; 32]>,
    kem_ss: Option<&[u8; 32]>,
) -> Zeroizing<[u8; 32]> {
    let salt = [0u8; 32];
    let info = if kem_ss.is_some() {
        PQXDH_INFO
    } else {
        X3DH_INFO
    };
    let dh4: &[u8] = dh4.map_or(&[], |d| &d[..]);
    let kem_ss: &[u8] = kem_ss.map_or(&[], |k| &k[..]);
    Zeroizing::new(hkdf_sha256(
        &salt,
        &[&X3DH_F, dh1, dh2, dh3, dh4, kem_ss],
        info,
    ))
}

/// Initiator: `DH1 = DH(IK_A, SPK_B)`, `DH2 = DH(EK_A, IK_B)`,
/// `DH3 = DH(EK_A, SPK_B)`, `DH4 = DH(EK_A, OPK_B)`; and, when the bundle
/// has a PQ prekey, `(CT, KEM_SS) = ML-KEM.Encaps(PQPK_B, m)`.
///
/// A bundle with a PQ prekey is never used classically: without the
/// encapsulation randomness `m` it is refused with `PqRequired`.
pub(crate) fn initiator(
    identity: &IdentityKeyPair,
    ephemeral: &DhKeyPair,
    bundle: &PrekeyBundle,
    kem_randomness: Option<&[u8; 32]>,
) -> Result<(X3dhOutput, Option<PqPrekeyFields>), SessionError> {
    // SPK_B enters two DHs: decoded once.
    let signed_prekey = TheirPublic::new(bundle.signed_prekey());
    let dh1 = identity.diffie_hellman_with(&signed_prekey)?;
    let dh2 = ephemeral.diffie_hellman(bundle.identity_key().x25519())?;
    let dh3 = ephemeral.diffie_hellman_with(&signed_prekey)?;
    let dh4 = match bundle.one_time_prekey() {
        Some(opk) => Some(ephemeral.diffie_hellman(&opk.public)?),
        None => None,
    };
    let kem = match (bundle.pq_prekey(), kem_randomness) {
        (Some(pq), Some(m)) => {
            let (ciphertext, ss) = pq.encapsulate(m)?;
            Some((
                PqPrekeyFields {
                    pq_prekey_id: pq.id(),
                    ciphertext,
                },
                ss,
            ))
        }
        (Some(_), None) => return Err(SessionError::PqRequired),
        (None, _) => None,
    };
    let shared_secret = derive(
        &dh1,
        &dh2,
        &dh3,
        dh4.as_deref(),
        kem.as_ref().map(|(_, ss)| &**ss),
    );
    Ok((
        X3dhOutput {
            shared_secret,
            associated_data: associated_data(identity.public(), bundle.identity_key()),
        },
        kem.map(|(fields, _)| fields),
    ))
}

/// Responder: the same values from the other side; with a PQ prekey,
/// `KEM_SS = ML-KEM.Decaps(PQSK_B, CT)`.
pub(crate) fn responder(
    identity: &IdentityKeyPair,
    signed_prekey: &DhKeyPair,
    one_time_prekey: Option<&DhKeyPair>,
    pq: Option<(&KemKeyPair, &[u8; KEM_CIPHERTEXT_LEN])>,
    their_identity: &IdentityKey,
    their_base_key: &[u8; 32],
) -> Result<X3dhOutput, SessionError> {
    // EK_A enters three DHs: decoded once.
    let their_base_key = TheirPublic::new(their_base_key);
    let dh1 = signed_prekey.diffie_hellman(their_identity.x25519())?;
    let dh2 = identity.diffie_hellman_with(&their_base_key)?;
    let dh3 = signed_prekey.diffie_hellman_with(&their_base_key)?;
    let dh4 = match one_time_prekey {
        Some(opk) => Some(opk.diffie_hellman_with(&their_base_key)?),
        None => None,
    };
    let kem_ss = pq.map(|(pair, ct)| pair.decapsulate(ct));
    Ok(X3dhOutput {
        shared_secret: derive(&dh1, &dh2, &dh3, dh4.as_deref(), kem_ss.as_deref()),
        associated_data: associated_data(their_identity, identity.public()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pq_prekey_fields_debug_shows_the_id_not_the_ciphertext() {
        let fields = PqPrekeyFields {
            pq_prekey_id: 4242,
            ciphertext: Box::new([0xab; KEM_CIPHERTEXT_LEN]),
        };
        let shown = alloc::format!("{fields:?}");
        assert!(shown.contains("pq_prekey_id: 4242"), "{shown}");
        assert!(!shown.contains("171"), "{shown}");
    }
}
