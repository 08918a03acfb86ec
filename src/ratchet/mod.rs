//! The Double Ratchet (SPEC.md §5), with decryption planned on borrowed
//! state and committed only after the tag verifies.
//!
//! The sending half of a DH ratchet step is taken lazily: on receiving a new
//! ratchet key only the receiving chain is derived; the new ratchet key pair
//! is drawn when the next message is sent. The keys and bytes are exactly
//! those of the eager formulation (the same DH inputs in the same order), but
//! decryption needs no randomness and wastes no key generation.

pub(crate) mod chain_key;
mod encoding;
pub(crate) mod message_key;
pub(crate) mod root_key;
pub(crate) mod skipped;

use alloc::collections::VecDeque;

use crate::dh::{DhKeyPair, TheirPublic};
use crate::error::SessionError;
use crate::limits::{FRANKING_COMMITMENT_LEN, MAX_RECEIVING_CHAINS, MAX_SKIP};
use crate::wipe::WipingVec;
use crate::wire::header::{HEADER_LEN, NONCE_MASK_LEN, RatchetHeader};
use chain_key::ChainKey;
use message_key::MessageKey;
use root_key::RootKey;
pub(crate) use skipped::Retention;
use skipped::{SkippedKey, SkippedKeys};

/// Length of the X3DH associated data `Encode(IK_A) || Encode(IK_B)`.
pub(crate) const AD_LEN: usize = 66;
/// Length of the AEAD associated data: `AD || header`.
pub(crate) const AEAD_AD_LEN: usize = AD_LEN + HEADER_LEN;
/// Length of the AEAD associated data of a franked message:
/// `AD || header || cf`.
pub(crate) const FRANKED_AEAD_AD_LEN: usize = AEAD_AD_LEN + FRANKING_COMMITMENT_LEN;

/// The AEAD associated data of one message, its length in its type.
enum AeadAd {
    /// `AD || header`.
    Plain([u8; AEAD_AD_LEN]),
    /// `AD || header || cf`.
    Franked([u8; FRANKED_AEAD_AD_LEN]),
}

impl AeadAd {
    fn as_slice(&self) -> &[u8] {
        match self {
            Self::Plain(ad) => ad,
            Self::Franked(ad) => ad,
        }
    }
}

#[derive(Clone, PartialEq, Debug)]
struct SendingChain {
    chain_key: ChainKey,
    index: u32,
}

#[derive(Clone, PartialEq, Debug)]
struct ReceivingChain {
    ratchet_key: [u8; 32],
    chain_key: ChainKey,
    index: u32,
    decoded: DecodedKey,
}

/// The chain's ratchet key decoded for DH ([`TheirPublic`]) by the DH that
/// opened the chain, kept for the DH of our next sending step, which takes
/// the same key (SPEC.md §5.6): one decoding (a field inversion and a
/// square root) per ratchet turn instead of two. A cache of a public value:
/// not stored in blobs (a restored chain decodes the key when it needs
/// it), left out of comparisons.
#[derive(Clone, Default)]
struct DecodedKey(Option<TheirPublic>);

impl PartialEq for DecodedKey {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl core::fmt::Debug for DecodedKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(if self.0.is_some() { "decoded" } else { "-" })
    }
}

/// A receiving chain that was replaced: its chain key is erased, its
/// unread keys are in the skipped store; kept to recognise late duplicates.
#[derive(Clone, PartialEq, Debug)]
struct ClosedChain {
    ratchet_key: [u8; 32],
    end: u32,
}

/// Our current ratchet key `DHs` (SPEC.md §5.1, §5.5). Its secret is
/// needed only to receive a *new* peer ratchet key, and a genuine peer
/// sends one only after it has received our next ratchet key, which our
/// next send draws afresh (§5.6). So from the moment a new peer ratchet key
/// is received until our next send, the secret can never be used by a
/// genuine message and is not kept: for a responder that is the signed
/// prekey's secret, shared with every other session set up against that
/// prekey.
#[derive(Clone, PartialEq, Debug)]
pub(crate) enum OurRatchet {
    /// The key pair: we have sent with it (or are the initiator, whose
    /// first chain is keyed with it), or have not yet received on it.
    Pair(DhKeyPair),
    /// The public half only: a new ratchet key has been received since we
    /// last drew one; the next send draws a fresh pair.
    PublicOnly([u8; 32]),
}

impl OurRatchet {
    pub(crate) fn public(&self) -> &[u8; 32] {
        match self {
            Self::Pair(p) => p.public(),
            Self::PublicOnly(p) => p,
        }
    }

    /// The secret, if held (for persistence).
    pub(crate) fn secret_bytes(&self) -> Option<&[u8; 32]> {
        match self {
            Self::Pair(p) => Some(p.secret_bytes()),
            Self::PublicOnly(_) => None,
        }
    }

    /// The same key with its secret dropped (zeroized).
    fn without_secret(&self) -> Self {
        Self::PublicOnly(*self.public())
    }
}

/// The whole ratchet state of one session (hidden; reached only through
/// the session types and `hazmat`).
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct RatchetState {
    root_key: RootKey,
    our_ratchet: OurRatchet,
    sending: Option<SendingChain>,
    previous_counter: u32,
    receiving: Option<ReceivingChain>,
    closed: VecDeque<ClosedChain>,
    skipped: SkippedKeys,
    associated_data: [u8; AD_LEN],
}

impl PartialEq for DhKeyPair {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other)
    }
}

/// What a successful decryption will change, computed without touching the
/// state. The skipped keys are planned in a [`WipingVec`] sized exactly up
/// front; committing moves them to the store and wipes the plan's buffer.
enum Plan {
    Skipped {
        index: usize,
    },
    Advance {
        chain: ReceivingChain,
        skipped: WipingVec<SkippedKey>,
    },
    NewChain {
        root_key: RootKey,
        chain: ReceivingChain,
        skipped: WipingVec<SkippedKey>,
        previous_counter: u32,
    },
}

/// Derives the keys from `chain` up to and including position `target`:
/// returns the key for `target`, the chain after it, and the skipped keys.
fn derive_to(
    ratchet_key: [u8; 32],
    decoded: DecodedKey,
    mut chain_key: ChainKey,
    mut index: u32,
    target: u32,
    now: u64,
    skipped: &mut WipingVec<SkippedKey>,
) -> Result<(MessageKey, ReceivingChain), SessionError> {
    while index < target {
        let (key, next) = chain_key.step();
        skipped.push(SkippedKey {
            ratchet_key,
            counter: index,
            key,
            skipped_at: now,
        });
        chain_key = next;
        index = index.checked_add(1).ok_or(SessionError::CounterOverflow)?;
    }
    let (key, next) = chain_key.step();
    let index = target.checked_add(1).ok_or(SessionError::CounterOverflow)?;
    Ok((
        key,
        ReceivingChain {
            ratchet_key,
            chain_key: next,
            index,
            decoded,
        },
    ))
}

impl RatchetState {
    /// Initiator (Alice): root key = SK, her first ratchet key pair drawn
    /// now, the sending chain derived with the responder's signed prekey.
    pub(crate) fn new_initiator(
        shared_secret: &[u8; 32],
        associated_data: [u8; AD_LEN],
        our_ratchet: DhKeyPair,
        their_signed_prekey: &[u8; 32],
    ) -> Result<Self, SessionError> {
        let dh = our_ratchet.diffie_hellman(their_signed_prekey)?;
        let (root_key, chain_key) = RootKey::new(*shared_secret).advance(&dh);
        Ok(Self {
            root_key,
            our_ratchet: OurRatchet::Pair(our_ratchet),
            sending: Some(SendingChain {
                chain_key,
                index: 0,
            }),
            previous_counter: 0,
            receiving: None,
            closed: VecDeque::with_capacity(MAX_RECEIVING_CHAINS),
            skipped: SkippedKeys::default(),
            associated_data,
        })
    }

    /// Responder (Bob): root key = SK, his ratchet key pair is the signed
    /// prekey; both chains are derived from the first incoming message,
    /// whose commit drops the signed prekey's secret from this state (it is
    /// never needed again, [`OurRatchet`]).
    pub(crate) fn new_responder(
        shared_secret: &[u8; 32],
        associated_data: [u8; AD_LEN],
        signed_prekey: DhKeyPair,
    ) -> Self {
        Self {
            root_key: RootKey::new(*shared_secret),
            our_ratchet: OurRatchet::Pair(signed_prekey),
            sending: None,
            previous_counter: 0,
            receiving: None,
            closed: VecDeque::with_capacity(MAX_RECEIVING_CHAINS),
            skipped: SkippedKeys::default(),
            associated_data,
        }
    }

    pub(crate) fn associated_data(&self) -> &[u8; AD_LEN] {
        &self.associated_data
    }

    /// `AD || header`, followed by `cf` for a franked message (SPEC.md
    /// §5.4, §19.2).
    fn aead_ad(
        &self,
        header: &[u8; HEADER_LEN],
        commitment: Option<&[u8; FRANKING_COMMITMENT_LEN]>,
    ) -> AeadAd {
        let mut plain = [0u8; AEAD_AD_LEN];
        let (a, h) = plain.split_at_mut(AD_LEN);
        a.copy_from_slice(&self.associated_data);
        h.copy_from_slice(header);
        match commitment {
            None => AeadAd::Plain(plain),
            Some(cf) => {
                let mut franked = [0u8; FRANKED_AEAD_AD_LEN];
                let (p, c) = franked.split_at_mut(AEAD_AD_LEN);
                p.copy_from_slice(&plain);
                c.copy_from_slice(cf);
                AeadAd::Franked(franked)
            }
        }
    }

    /// Encrypts `buf` in place; returns the header and the tag. On error
    /// nothing changed.
    #[cfg(feature = "hazmat")]
    pub(crate) fn encrypt<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        buf: &mut [u8],
    ) -> Result<(RatchetHeader, [u8; 16]), SessionError> {
        self.encrypt_bound(rng, buf, None)
    }

    /// [`encrypt`](Self::encrypt), with the franking commitment appended to
    /// the associated data if given.
    pub(crate) fn encrypt_bound<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        buf: &mut [u8],
        commitment: Option<&[u8; FRANKING_COMMITMENT_LEN]>,
    ) -> Result<(RatchetHeader, [u8; 16]), SessionError> {
        self.encrypt_masked(rng, buf, commitment, None)
    }

    /// [`encrypt_bound`](Self::encrypt_bound) with the nonce mask `r` given
    /// (for the known-answer tests, which inject `r = 0`) or, if `None`,
    /// drawn from `rng` after any ratchet key pair (SPEC.md §5.6).
    pub(crate) fn encrypt_masked<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        buf: &mut [u8],
        commitment: Option<&[u8; FRANKING_COMMITMENT_LEN]>,
        nonce_mask: Option<[u8; NONCE_MASK_LEN]>,
    ) -> Result<(RatchetHeader, [u8; 16]), SessionError> {
        // The lazy sending half of a DH ratchet step, computed aside.
        let stepped = match &self.sending {
            Some(_) => None,
            None => {
                let their = self
                    .receiving
                    .as_ref()
                    .ok_or(SessionError::UnexpectedMessage)?;
                let pair = DhKeyPair::generate(rng);
                let dh = match &their.decoded.0 {
                    Some(decoded) => pair.diffie_hellman_with(decoded)?,
                    None => pair.diffie_hellman(&their.ratchet_key)?,
                };
                let (root_key, chain_key) = self.root_key.advance(&dh);
                Some((
                    pair,
                    root_key,
                    SendingChain {
                        chain_key,
                        index: 0,
                    },
                ))
            }
        };
        let (ratchet_pub, chain) = match &stepped {
            Some((pair, _, chain)) => (*pair.public(), chain),
            None => match &self.sending {
                Some(chain) => (*self.our_ratchet.public(), chain),
                None => return Err(SessionError::UnexpectedMessage),
            },
        };
        let next_index = chain
            .index
            .checked_add(1)
            .ok_or(SessionError::CounterOverflow)?;
        let nonce_mask = match nonce_mask {
            Some(r) => r,
            None => {
                let mut r = [0u8; NONCE_MASK_LEN];
                rng.fill_bytes(&mut r);
                r
            }
        };
        let header = RatchetHeader {
            ratchet_key: ratchet_pub,
            previous_counter: self.previous_counter,
            counter: chain.index,
            nonce_mask,
        };
        let (message_key, next_chain) = chain.chain_key.step();
        let ad = self.aead_ad(&header.to_bytes(), commitment);
        let tag = message_key
            .seal(&nonce_mask, ad.as_slice(), buf)
            .map_err(|_| SessionError::MessageTooLarge)?;
        // Commit.
        if let Some((pair, root_key, _)) = stepped {
            self.our_ratchet = OurRatchet::Pair(pair);
            self.root_key = root_key;
        }
        self.sending = Some(SendingChain {
            chain_key: next_chain,
            index: next_index,
        });
        Ok((header, tag))
    }

    fn plan(
        &self,
        header: &RatchetHeader,
        now: u64,
        retention: &Retention,
    ) -> Result<(Plan, MessageKey), SessionError> {
        if let Some(rc) = &self.receiving
            && rc.ratchet_key == header.ratchet_key
        {
            {
                if header.counter < rc.index {
                    return self.plan_skipped(header, now, retention);
                }
                let jump = header.counter.saturating_sub(rc.index);
                if jump > MAX_SKIP {
                    return Err(SessionError::TooManySkipped);
                }
                let mut skipped = WipingVec::with_capacity(capacity(jump));
                let (key, chain) = derive_to(
                    rc.ratchet_key,
                    rc.decoded.clone(),
                    rc.chain_key.clone(),
                    rc.index,
                    header.counter,
                    now,
                    &mut skipped,
                )?;
                return Ok((Plan::Advance { chain, skipped }, key));
            }
        }
        if let Some((index, stored)) = self.skipped.find(&header.ratchet_key, header.counter) {
            return plan_stored(index, stored, now, retention);
        }
        if self.skipped.was_erased(&header.ratchet_key, header.counter) {
            return Err(SessionError::MessageKeyErased);
        }
        if let Some(closed) = self
            .closed
            .iter()
            .find(|c| c.ratchet_key == header.ratchet_key)
        {
            return Err(if header.counter < closed.end {
                SessionError::DuplicateMessage
            } else {
                SessionError::AuthenticationFailed
            });
        }
        // A new ratchet key: close the current receiving chain at PN and
        // derive the next one.
        let old_jump = match &self.receiving {
            Some(rc) => header.previous_counter.saturating_sub(rc.index),
            None => 0,
        };
        if old_jump
            .checked_add(header.counter)
            .is_none_or(|total| total > MAX_SKIP)
        {
            return Err(SessionError::TooManySkipped);
        }
        let mut skipped =
            WipingVec::with_capacity(capacity(old_jump.saturating_add(header.counter)));
        if let Some(rc) = &self.receiving {
            let mut chain_key = rc.chain_key.clone();
            let mut index = rc.index;
            while index < header.previous_counter {
                let (key, next) = chain_key.step();
                skipped.push(SkippedKey {
                    ratchet_key: rc.ratchet_key,
                    counter: index,
                    key,
                    skipped_at: now,
                });
                chain_key = next;
                index = index.checked_add(1).ok_or(SessionError::CounterOverflow)?;
            }
        }
        // Without our secret (a new key was received since our last send)
        // no genuine message can carry a new ratchet key (SPEC.md §5.7
        // step 5.3): it is a forgery.
        let OurRatchet::Pair(our_pair) = &self.our_ratchet else {
            return Err(SessionError::AuthenticationFailed);
        };
        let their = TheirPublic::new(&header.ratchet_key);
        let dh = our_pair.diffie_hellman_with(&their)?;
        let (root_key, chain_key) = self.root_key.advance(&dh);
        let (key, chain) = derive_to(
            header.ratchet_key,
            DecodedKey(Some(their)),
            chain_key,
            0,
            header.counter,
            now,
            &mut skipped,
        )?;
        let previous_counter = match &self.sending {
            Some(s) => s.index,
            None => self.previous_counter,
        };
        Ok((
            Plan::NewChain {
                root_key,
                chain,
                skipped,
                previous_counter,
            },
            key,
        ))
    }

    /// A position below the current receiving chain's: its stored key, or
    /// why there is none (erased on schedule, or already used).
    fn plan_skipped(
        &self,
        header: &RatchetHeader,
        now: u64,
        retention: &Retention,
    ) -> Result<(Plan, MessageKey), SessionError> {
        match self.skipped.find(&header.ratchet_key, header.counter) {
            Some((index, stored)) => plan_stored(index, stored, now, retention),
            None if self.skipped.was_erased(&header.ratchet_key, header.counter) => {
                Err(SessionError::MessageKeyErased)
            }
            None => Err(SessionError::DuplicateMessage),
        }
    }

    /// Verifies and decrypts `buf` in place (ciphertext without the tag),
    /// then runs `check` on the plaintext. The state changes only if the tag
    /// verifies and `check` accepts; if `check` refuses, the plaintext is
    /// erased from `buf`.
    #[cfg(feature = "hazmat")]
    pub(crate) fn decrypt<T>(
        &mut self,
        header: &RatchetHeader,
        buf: &mut [u8],
        tag: &[u8; 16],
        now: u64,
        retention: &Retention,
        check: impl FnOnce(&[u8]) -> Result<T, SessionError>,
    ) -> Result<T, SessionError> {
        self.decrypt_bound(header, None, buf, tag, now, retention, check)
    }

    /// [`decrypt`](Self::decrypt), with the franking commitment appended to
    /// the associated data if given.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn decrypt_bound<T>(
        &mut self,
        header: &RatchetHeader,
        commitment: Option<&[u8; FRANKING_COMMITMENT_LEN]>,
        buf: &mut [u8],
        tag: &[u8; 16],
        now: u64,
        retention: &Retention,
        check: impl FnOnce(&[u8]) -> Result<T, SessionError>,
    ) -> Result<T, SessionError> {
        let (plan, key) = self.plan(header, now, retention)?;
        let ad = self.aead_ad(&header.to_bytes(), commitment);
        key.open(&header.nonce_mask, ad.as_slice(), buf, tag)
            .map_err(|_| SessionError::AuthenticationFailed)?;
        match check(buf) {
            Ok(out) => {
                self.commit(plan, now, retention);
                Ok(out)
            }
            Err(e) => {
                zeroize::Zeroize::zeroize(buf);
                Err(e)
            }
        }
    }

    fn commit(&mut self, plan: Plan, now: u64, retention: &Retention) {
        match plan {
            Plan::Skipped { index } => self.skipped.remove(index),
            Plan::Advance { chain, mut skipped } => {
                self.receiving = Some(chain);
                self.skipped.append(&mut skipped);
            }
            Plan::NewChain {
                root_key,
                chain,
                mut skipped,
                previous_counter,
            } => {
                if let Some(old) = self.receiving.take() {
                    let end =
                        old.index
                            .max(previous_counter_hint(&skipped, &old.ratchet_key, old.index));
                    if self.closed.len() >= MAX_RECEIVING_CHAINS.saturating_sub(1) {
                        self.closed.pop_front();
                    }
                    self.closed.push_back(ClosedChain {
                        ratchet_key: old.ratchet_key,
                        end,
                    });
                }
                self.root_key = root_key;
                self.receiving = Some(chain);
                self.sending = None;
                // Never needed again: our next send draws a fresh pair.
                self.our_ratchet = self.our_ratchet.without_secret();
                self.previous_counter = previous_counter;
                self.skipped.append(&mut skipped);
            }
        }
        self.skipped.erase_expired(now, retention);
    }

    /// Erases skipped keys past their retention window.
    pub(crate) fn erase_expired_keys(&mut self, now: u64, retention: &Retention) {
        self.skipped.erase_expired(now, retention);
    }

    /// When the next skipped key is due to be erased (milliseconds).
    pub(crate) fn next_key_erasure(&self, retention: &Retention) -> Option<u64> {
        self.skipped.next_erasure(retention)
    }

    pub(crate) fn skipped_key_count(&self) -> usize {
        self.skipped.len()
    }

    /// Our current ratchet public key `DHs` (what our next message's
    /// header carries until the ratchet turns).
    pub(crate) fn our_ratchet_public(&self) -> &[u8; 32] {
        self.our_ratchet.public()
    }

    /// Whether `key` is a peer ratchet key this state has received on (its
    /// receiving chain, a closed chain, or a skipped key): a message under
    /// it belongs to this session or to none, without a DH step to find
    /// out.
    pub(crate) fn knows_their_ratchet_key(&self, key: &[u8; 32]) -> bool {
        self.receiving
            .as_ref()
            .is_some_and(|r| &r.ratchet_key == key)
            || self.closed.iter().any(|c| &c.ratchet_key == key)
            || self.skipped.keys.iter().any(|k| &k.ratchet_key == key)
    }

    /// Number of the next message this side will send in its current chain.
    pub(crate) fn sending_index(&self) -> Option<u32> {
        self.sending.as_ref().map(|s| s.index)
    }

    /// Relabels the position of the current sending chain (its chain key is
    /// kept): for tests of counter exhaustion. Returns `false` if there is no
    /// sending chain.
    #[cfg(feature = "hazmat")]
    pub(crate) fn danger_set_sending_index(&mut self, index: u32) -> bool {
        match &mut self.sending {
            Some(chain) => {
                chain.index = index;
                true
            }
            None => false,
        }
    }

    /// Relabels the position of the current receiving chain (its chain key
    /// is kept): for tests of counter exhaustion. Returns `false` if there is
    /// no receiving chain.
    #[cfg(feature = "hazmat")]
    pub(crate) fn danger_set_receiving_index(&mut self, index: u32) -> bool {
        match &mut self.receiving {
            Some(chain) => {
                chain.index = index;
                true
            }
            None => false,
        }
    }

    /// (root key, sending chain key, receiving chain key) for test vectors.
    #[cfg(feature = "hazmat")]
    pub(crate) fn danger_keys(&self) -> ([u8; 32], Option<[u8; 32]>, Option<[u8; 32]>) {
        (
            *self.root_key.as_bytes(),
            self.sending.as_ref().map(|s| *s.chain_key.as_bytes()),
            self.receiving.as_ref().map(|r| *r.chain_key.as_bytes()),
        )
    }
}

/// The stored key `stored` at `index`. A key past its retention window
/// counts as erased, whether or not an erasure has run since it expired.
fn plan_stored(
    index: usize,
    stored: &SkippedKey,
    now: u64,
    retention: &Retention,
) -> Result<(Plan, MessageKey), SessionError> {
    if retention.is_expired(stored.skipped_at, now) {
        return Err(SessionError::MessageKeyErased);
    }
    Ok((Plan::Skipped { index }, stored.key.clone()))
}

/// Room for `n` planned skipped keys (`n` is at most [`MAX_SKIP`]).
fn capacity(n: u32) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// The end of a closed chain: one past the highest position whose key was
/// derived (skipped keys of that chain just added included).
fn previous_counter_hint(skipped: &[SkippedKey], ratchet_key: &[u8; 32], index: u32) -> u32 {
    skipped
        .iter()
        .filter(|k| &k.ratchet_key == ratchet_key)
        .map(|k| k.counter.saturating_add(1))
        .max()
        .unwrap_or(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn our_ratchet_key_pairs_compare_by_value() {
        let a = DhKeyPair::from_secret_bytes([1; 32]);
        let b = DhKeyPair::from_secret_bytes([2; 32]);
        assert!(a == DhKeyPair::from_secret_bytes([1; 32]));
        assert!(a != b);
    }

    #[test]
    fn a_decoded_key_debug_says_whether_it_is_decoded_and_nothing_else() {
        assert_eq!(format!("{:?}", DecodedKey(None)), "-");
        let key = DecodedKey(Some(TheirPublic::new(&[9; 32])));
        assert_eq!(format!("{key:?}"), "decoded");
        // A cache: two states differing only in it are equal.
        assert!(key == DecodedKey(None));
    }
}
