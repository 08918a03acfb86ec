//! Our own sending chain: chain id, iteration, chain key, Ed25519 signing
//! key (expanded once), who holds it (SPEC.md §20.1).

use alloc::collections::BTreeMap;

use ed25519_dalek::{SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use crate::group::chain::GroupChainKey;
use crate::identity::IdentityKey;
use crate::time::Timestamp;

/// Our sender key for one group.
#[derive(Clone, PartialEq)]
pub(crate) struct SenderKey {
    pub(crate) chain_id: u32,
    /// The iteration of the next post.
    pub(crate) iteration: u32,
    /// The chain key at `iteration`.
    pub(crate) chain_key: GroupChainKey,
    pub(crate) signing: SigningKey,
    pub(crate) verifying: VerifyingKey,
    /// When the chain was created (caller's clock), for rotation.
    pub(crate) created_at: Timestamp,
    /// Who was sent this chain, by Ed25519 public key.
    pub(crate) holders: BTreeMap<[u8; 32], IdentityKey>,
}

impl SenderKey {
    /// A fresh chain: random chain id (different from `previous`), chain
    /// key and signing key, at iteration 0.
    pub(crate) fn generate<R: rand_core::CryptoRng + ?Sized>(
        rng: &mut R,
        now: Timestamp,
        previous: Option<u32>,
        holders: BTreeMap<[u8; 32], IdentityKey>,
    ) -> Self {
        let mut chain_id = rng.next_u32();
        while Some(chain_id) == previous {
            chain_id = rng.next_u32();
        }
        let mut ck = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(ck.as_mut());
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::from_parts(chain_id, 0, GroupChainKey::new(*ck), &seed, now, holders)
    }

    pub(crate) fn from_parts(
        chain_id: u32,
        iteration: u32,
        chain_key: GroupChainKey,
        seed: &[u8; 32],
        created_at: Timestamp,
        holders: BTreeMap<[u8; 32], IdentityKey>,
    ) -> Self {
        let signing = SigningKey::from_bytes(seed);
        let verifying = signing.verifying_key();
        Self {
            chain_id,
            iteration,
            chain_key,
            signing,
            verifying,
            created_at,
            holders,
        }
    }
}

impl core::fmt::Debug for SenderKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let Self {
            chain_id,
            iteration,
            chain_key: _,
            signing: _,
            verifying: _,
            created_at: _,
            holders,
        } = self;
        f.debug_struct("SenderKey")
            .field("chain_id", chain_id)
            .field("iteration", iteration)
            .field("holders", &holders.len())
            .finish_non_exhaustive()
    }
}
