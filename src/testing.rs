//! Test utilities, behind the `test-utils` cargo feature (tests, fuzzing,
//! benches and examples only): a seeded deterministic generator and helpers
//! that build sessions and groups. [`DangerDeterministicRng`] is NOT a
//! secure source of randomness: its whole output is determined by the
//! seed, so a build without the feature does not contain it.

use core::convert::Infallible;

use rand_core::{TryCryptoRng, TryRng};
use sha2::{Digest, Sha256};

use crate::wire::NONCE_MASK_LEN;

/// SHA-256 in counter mode over a 32-byte seed.
///
/// A draw of exactly [`NONCE_MASK_LEN`] (12) bytes, the nonce mask `r` of
/// a message header (SPEC.md §5.4), comes from a second, domain-separated
/// stream (`SHA-256(seed || "nonce-mask" || n)`), so that every other
/// output for a seed (keys, ids, salts) is the one it was before messages
/// drew `r`: the deterministic states behind the frozen fixtures and the
/// tests' seeds did not move.
#[derive(Clone, Debug)]
pub struct DangerDeterministicRng {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
    masks: u64,
}

impl DangerDeterministicRng {
    /// A generator whose whole output is fixed by `seed`.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            seed,
            counter: 0,
            block: [0; 32],
            used: 32,
            masks: 0,
        }
    }

    /// A generator seeded from a small number.
    pub fn from_u64(n: u64) -> Self {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&n.to_be_bytes());
        Self::from_seed(seed)
    }

    fn refill(&mut self) {
        let mut h = Sha256::new();
        h.update(self.seed);
        h.update(self.counter.to_be_bytes());
        self.block.copy_from_slice(&h.finalize());
        self.counter = self.counter.wrapping_add(1);
        self.used = 0;
    }
}

impl TryRng for DangerDeterministicRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        if dst.len() == NONCE_MASK_LEN {
            let mut h = Sha256::new();
            h.update(self.seed);
            h.update(b"nonce-mask");
            h.update(self.masks.to_be_bytes());
            let block = h.finalize();
            for (d, b) in dst.iter_mut().zip(block.iter()) {
                *d = *b;
            }
            self.masks = self.masks.wrapping_add(1);
            return Ok(());
        }
        for byte in dst.iter_mut() {
            if self.used >= 32 {
                self.refill();
            }
            if let Some(b) = self.block.get(self.used) {
                *byte = *b;
            }
            self.used = self.used.saturating_add(1);
        }
        Ok(())
    }
}

impl TryCryptoRng for DangerDeterministicRng {}

/// Two established sessions `(rng, alice, bob)` built from `seed`: a full
/// handshake (bundle encoded and parsed, prekey message, reply) after which
/// Alice has sent one more message, so that her next messages stay in her
/// current chain (no ratchet turn). For benches and allocation tests.
pub fn in_chain_pair(
    seed: u64,
    now: crate::Timestamp,
) -> Result<(DangerDeterministicRng, crate::Session, crate::Session), crate::SessionError> {
    use crate::{
        Encrypt, IdentityKeyPair, Outgoing, PendingSession, PrekeyBundle, PrekeyStore, Session,
        SessionError,
    };
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut bob_prekeys = PrekeyStore::new(&bob_id, &mut rng);
    let opk = bob_prekeys
        .generate_one_time_prekeys(&mut rng, 1)
        .first()
        .map(|o| o.id);
    let bytes = bob_prekeys
        .bundle(&bob_id, opk)
        .map_err(|_| SessionError::UnknownOneTimePrekey)?
        .to_vec();
    let bundle = PrekeyBundle::parse(&bytes).map_err(|_| SessionError::AuthenticationFailed)?;
    let mut pending = PendingSession::initiate(&mut rng, &alice_id, &bundle)?;
    let hello = pending
        .encrypt(&mut rng, now, Outgoing::message(b"hello"))?
        .message;
    let (mut bob, _) = Session::accept(&bob_id, &mut bob_prekeys, now, &hello)?;
    let reply = bob
        .encrypt(&mut rng, now, Outgoing::message(b"reply"))?
        .message;
    let (mut alice, _) = pending.receive(now, &reply).map_err(|r| r.error)?;
    // Alice's first message after the reply turns the ratchet; from then on
    // her messages stay in that chain.
    let turn = alice
        .encrypt(&mut rng, now, Outgoing::message(b"turn"))?
        .message;
    bob.decrypt(now, &turn)?;
    Ok((rng, alice, bob))
}

/// The parties of a session setup, built by [`setup_parties`].
pub struct SetupParties {
    /// The generator everything was drawn from, to draw on.
    pub rng: DangerDeterministicRng,
    /// The initiator's identity.
    pub alice: crate::IdentityKeyPair,
    /// The responder's identity.
    pub bob: crate::IdentityKeyPair,
    /// Bob's prekey store: a signed prekey, one one-time prekey, a
    /// last-resort PQ prekey and one one-time PQ prekey.
    pub bob_prekeys: crate::PrekeyStore,
    /// Bob's bundle with the one-time prekey and no PQ prekey (X3DH),
    /// parsed.
    pub classic: crate::PrekeyBundle,
    /// Bob's bundle with the one-time prekey and the one-time PQ prekey
    /// (PQXDH), parsed.
    pub pq: crate::PrekeyBundle,
}

/// Alice, Bob, his prekey store and his two bundles (classic and PQXDH),
/// from `seed`: the fixtures of the session-setup benches. `None` if a
/// step fails (none does).
pub fn setup_parties(seed: u64) -> Option<SetupParties> {
    use crate::{IdentityKeyPair, PrekeyBundle, PrekeyStore};
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let mut bob_prekeys = PrekeyStore::new(&bob, &mut rng);
    let opk = bob_prekeys
        .generate_one_time_prekeys(&mut rng, 1)
        .first()
        .map(|o| o.id);
    // Before the store holds a PQ prekey: a bundle without one.
    let classic = PrekeyBundle::parse(&bob_prekeys.bundle(&bob, opk).ok()?.to_vec()).ok()?;
    bob_prekeys.rotate_last_resort_pq_prekey(&bob, &mut rng);
    let pq_opk = bob_prekeys
        .generate_pq_one_time_prekeys(&bob, &mut rng, 1)
        .first()
        .map(|k| k.id());
    let pq =
        PrekeyBundle::parse(&bob_prekeys.bundle_with_pq(&bob, opk, pq_opk).ok()?.to_vec()).ok()?;
    Some(SetupParties {
        rng,
        alice,
        bob,
        bob_prekeys,
        classic,
        pq,
    })
}

/// A channel `(rng, owner, subscriber)` from `seed`: the subscriber holds
/// the owner's chain (its distribution delivered over a fresh 1:1 session)
/// and the owner never rotates by policy. For benches. `None` if a step
/// fails (none does).
pub fn channel_pair(
    seed: u64,
    now: crate::Timestamp,
) -> Option<(
    DangerDeterministicRng,
    crate::group::ChannelOwner,
    crate::group::ChannelSubscriber,
)> {
    use crate::group::{ChannelOwner, ChannelSubscriber, GroupId, RotationPolicy};
    use crate::{ContentType, Encrypt, IdentityKeyPair, Outgoing};
    let mut rng = DangerDeterministicRng::from_u64(seed);
    let owner = IdentityKeyPair::generate(&mut rng);
    let sub = IdentityKeyPair::generate(&mut rng);
    let id = GroupId::from_bytes([7; 16]);
    let (mut channel, distribution) =
        ChannelOwner::create_with_id(&mut rng, now, id, *owner.public(), &[*sub.public()]).ok()?;
    channel.set_rotation_policy(RotationPolicy::new(u32::MAX - 1, u64::MAX).ok()?);
    let mut subscriber = ChannelSubscriber::new(id, *sub.public(), *owner.public());
    let (mut to_sub, mut from_owner) = session_pair(&mut rng, &owner, &sub, now).ok()?;
    let message = to_sub
        .encrypt(
            &mut rng,
            now,
            Outgoing::new(ContentType::GroupKeyDistribution, &distribution.body),
        )
        .ok()?
        .message;
    let received = from_owner.decrypt(now, &message).ok()?;
    subscriber.accept_distribution(now, &received).ok()?;
    Some((rng, channel, subscriber))
}

/// One message from `from` to `to` through the caller-buffer API:
/// `encrypt_into` `body` into `wire` (at least
/// `from.encrypted_len(body.len(), false)` bytes), then `decrypt_in_place`.
/// Returns the received message's number. Allocates nothing: the step the
/// benches and the allocation tests repeat.
pub fn send_in_place<R: rand_core::CryptoRng + ?Sized>(
    rng: &mut R,
    now: crate::Timestamp,
    from: &mut crate::Session,
    to: &mut crate::Session,
    body: &[u8],
    wire: &mut [u8],
) -> Result<u32, crate::SessionError> {
    use crate::Encrypt;
    let n = from
        .encrypt_into(rng, now, crate::Outgoing::message(body), wire)?
        .len;
    let wire = wire
        .get_mut(..n)
        .ok_or(crate::SessionError::BufferTooSmall)?;
    Ok(to.decrypt_in_place(now, wire)?.message_number)
}

/// Established sessions `(a's with b, b's with a)` between two given
/// identities: b publishes a bundle with a one-time prekey, a initiates, b
/// accepts and replies, a receives. For benches and examples that need
/// many sessions with one party (group key distribution).
pub fn session_pair<R: rand_core::CryptoRng + ?Sized>(
    rng: &mut R,
    a: &crate::IdentityKeyPair,
    b: &crate::IdentityKeyPair,
    now: crate::Timestamp,
) -> Result<(crate::Session, crate::Session), crate::SessionError> {
    use crate::{Encrypt, Outgoing, PendingSession, PrekeyStore, Session, SessionError};
    let mut store = PrekeyStore::new(b, rng);
    let opk = store
        .generate_one_time_prekeys(rng, 1)
        .first()
        .map(|o| o.id);
    let bundle = store
        .bundle(b, opk)
        .map_err(|_| SessionError::UnknownOneTimePrekey)?;
    let mut pending = PendingSession::initiate(rng, a, &bundle)?;
    let hello = pending
        .encrypt(rng, now, Outgoing::message(b"hello"))?
        .message;
    let (mut sb, _) = Session::accept(b, &mut store, now, &hello)?;
    let reply = sb.encrypt(rng, now, Outgoing::message(b"reply"))?.message;
    let (sa, _) = pending.receive(now, &reply).map_err(|r| r.error)?;
    Ok((sa, sb))
}

/// Whether a group's indexes list exactly what it holds: the chains by
/// chain id (the post lookup of SPEC.md §20.6 step 3) and each sender's
/// oldest retained time (the erasure schedule of §20.5).
pub fn group_indexes_are_consistent(group: &crate::group::Group) -> bool {
    group.core.senders.index_is_consistent()
}

/// Seals `value` in the legacy envelope (`"SWSE"`, not bound to an
/// address), as sealwire wrote before STORAGE.md §1's bound envelope: for
/// tests of the legacy path and of migrations only. Applications cannot
/// write unbound blobs.
pub fn seal_unbound_legacy<T: crate::persist::StateBlob, R: rand_core::CryptoRng + ?Sized>(
    value: &T,
    key: &crate::persist::StorageKey,
    rng: &mut R,
) -> alloc::vec::Vec<u8> {
    crate::persist::seal_unbound_legacy(value, key, rng)
}
