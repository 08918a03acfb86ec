//! The state every role shares and every operation on it: membership,
//! rotation, distributions, posting and receiving (SPEC.md §20).
//!
//! Receiving plans on borrowed state and commits only after the signature
//! and the frame have both checked out, so a failure changes nothing.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use ed25519_dalek::{Signature, Signer};
use zeroize::Zeroize;

use crate::expiry::policy::{MAX_TIMER_VERSION_STEP, message_expiry, stricter};
use crate::expiry::{ChangedBy, ConversationTimer, ExpiryPolicy, MessageExpiry, TimerChange};
use crate::frame::{ContentType, FrameMeta, frame_len, parse_frame, write_frame_around};
use crate::group::chain::{GroupChainKey, GroupMessageKey};
use crate::group::distribution::{Distribution, DistributionBody};
use crate::group::error::{GroupError, from_frame_error};
use crate::group::post::{
    POST_HEADER_LEN, POST_RANDOM_LEN, POST_SIGNATURE_LEN, PostHeader, ciphertext_digest,
    parse_post, post_len, signed_message,
};
use crate::group::received::GroupReceivedRef;
use crate::group::receiver::{ReceiverChain, SenderState, SkippedPostKey};
use crate::group::sender_key::SenderKey;
use crate::group::senders::Senders;
use crate::group::{GroupId, GroupMode, Post, RotationPolicy};
use crate::identity::IdentityKey;
use crate::limits::{
    MAX_BODY_LEN, MAX_GROUP_FORWARD_JUMP, MAX_GROUP_MEMBERS, MAX_SKIPPED_KEY_AGE_MS,
};
use crate::time::Timestamp;
use crate::wipe::WipingVec;

/// Offset of the flags byte in an inner frame (SPEC.md §8.5).
const FRAME_FLAGS_AT: usize = 2;

/// Who we are in the group.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Role {
    /// A group member: posts, and receives from every other member.
    Member,
    /// A channel's owner: posts, receives nothing.
    Owner,
    /// A channel's subscriber: receives the owner's posts only.
    Subscriber { owner: IdentityKey },
}

/// The whole state of one group or channel, for one participant.
#[derive(Clone, PartialEq)]
pub(crate) struct GroupCore {
    pub(crate) id: GroupId,
    pub(crate) role: Role,
    pub(crate) me: IdentityKey,
    /// Members (group) or subscribers (channel owner), not us; empty for a
    /// subscriber.
    pub(crate) members: BTreeMap<[u8; 32], IdentityKey>,
    /// Our sending chain (members and owners).
    pub(crate) own: Option<SenderKey>,
    /// The chains we receive, per sender.
    pub(crate) senders: Senders,
    pub(crate) timer: ConversationTimer,
    pub(crate) highest_timer_version: u64,
    pub(crate) rotation: RotationPolicy,
    /// How long skipped post keys and superseded chains are kept at most
    /// (ms), whatever the timer.
    pub(crate) max_skipped_key_age_ms: u64,
}

/// How a receive opens its post: the planned change, applied on success.
enum Plan {
    /// The post is at or ahead of the chain: these keys are skipped, the
    /// chain moves to `next_key` at `iteration + 1`.
    Advance {
        /// Sized exactly up front; committing moves them to the store
        /// and wipes this buffer.
        skipped: WipingVec<SkippedPostKey>,
        key: GroupMessageKey,
        next_key: GroupChainKey,
    },
    /// A stored skipped key, at this index.
    Stored(usize),
}

impl GroupCore {
    /// No members, no chains.
    pub(crate) fn empty(id: GroupId, role: Role, me: IdentityKey) -> Self {
        Self {
            id,
            role,
            me,
            members: BTreeMap::new(),
            own: None,
            senders: Senders::default(),
            timer: ConversationTimer::default(),
            highest_timer_version: 0,
            rotation: RotationPolicy::default(),
            max_skipped_key_age_ms: MAX_SKIPPED_KEY_AGE_MS,
        }
    }

    pub(crate) fn new<R: rand_core::CryptoRng + ?Sized>(
        rng: &mut R,
        now: Timestamp,
        id: GroupId,
        role: Role,
        me: IdentityKey,
        members: &[IdentityKey],
    ) -> Result<(Self, Option<Distribution>), GroupError> {
        let mut core = Self::empty(id, role, me);
        for m in members {
            core.check_new_member(m)?;
            core.members.insert(m.to_bytes(), *m);
        }
        if matches!(role, Role::Subscriber { .. }) {
            return Ok((core, None));
        }
        core.own = Some(SenderKey::generate(rng, now, None, core.members.clone()));
        let dist = core.distribution_to(core.members.values().copied().collect());
        Ok((core, dist))
    }

    pub(crate) fn mode(&self) -> GroupMode {
        match self.role {
            Role::Member => GroupMode::Group,
            Role::Owner | Role::Subscriber { .. } => GroupMode::Channel,
        }
    }

    fn check_new_member(&self, who: &IdentityKey) -> Result<(), GroupError> {
        if *who == self.me {
            return Err(GroupError::IsSelf);
        }
        if self.members.contains_key(who.as_bytes()) {
            return Err(GroupError::AlreadyMember);
        }
        if self.members.len() >= MAX_GROUP_MEMBERS {
            return Err(GroupError::GroupFull);
        }
        Ok(())
    }

    /// The distribution of our current chain, at its current iteration, to
    /// `recipients` (sorted by key).
    fn distribution_to(&self, mut recipients: Vec<IdentityKey>) -> Option<Distribution> {
        let own = self.own.as_ref()?;
        recipients.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        let body = DistributionBody {
            group_id: self.id,
            mode: self.mode(),
            chain_id: own.chain_id,
            iteration: own.iteration,
            chain_key: own.chain_key.clone(),
            signing_key: own.verifying,
            sender: self.me,
        };
        Some(Distribution {
            body: body.encode(),
            recipients,
        })
    }

    /// Adds a member (or subscriber) and returns our current chain for it.
    pub(crate) fn add_member(&mut self, who: IdentityKey) -> Result<Distribution, GroupError> {
        self.check_new_member(&who)?;
        let dist = self
            .distribution_to(alloc::vec![who])
            .ok_or(GroupError::NotAMember)?;
        self.members.insert(who.to_bytes(), who);
        if let Some(own) = self.own.as_mut() {
            own.holders.insert(who.to_bytes(), who);
        }
        Ok(dist)
    }

    /// Removes a member: forgets its chains, rotates ours (mandatory) and
    /// returns the new chain for everyone left.
    pub(crate) fn remove_member<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        who: &IdentityKey,
    ) -> Result<Distribution, GroupError> {
        if !self.members.contains_key(who.as_bytes()) {
            return Err(GroupError::UnknownMember);
        }
        self.members.remove(who.as_bytes());
        self.senders.remove(who.as_bytes());
        Ok(self.rotate(rng, now))
    }

    /// Starts a new chain and returns it for every current member.
    pub(crate) fn rotate<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
    ) -> Distribution {
        let previous = self.own.as_ref().map(|o| o.chain_id);
        self.own = Some(SenderKey::generate(
            rng,
            now,
            previous,
            self.members.clone(),
        ));
        self.distribution_to(self.members.values().copied().collect())
            .unwrap_or(Distribution {
                body: zeroize::Zeroizing::new(Vec::new()),
                recipients: Vec::new(),
            })
    }

    pub(crate) fn current_holders(&self) -> Vec<IdentityKey> {
        self.own
            .as_ref()
            .map(|o| o.holders.values().copied().collect())
            .unwrap_or_default()
    }

    pub(crate) fn members(&self) -> Vec<IdentityKey> {
        self.members.values().copied().collect()
    }

    /// May `sender` post here?
    fn may_post(&self, sender: &IdentityKey) -> bool {
        if *sender == self.me {
            return false;
        }
        match self.role {
            Role::Member => self.members.contains_key(sender.as_bytes()),
            Role::Owner => false,
            Role::Subscriber { owner } => *sender == owner,
        }
    }

    /// A distribution received over the 1:1 session with `sender` (its
    /// authenticated peer). Returns `true` if the chain is new, `false` if
    /// it was already held.
    pub(crate) fn process_distribution(
        &mut self,
        now: Timestamp,
        sender: &IdentityKey,
        body: &[u8],
    ) -> Result<bool, GroupError> {
        let d = DistributionBody::parse(body)?;
        if d.group_id != self.id {
            return Err(GroupError::WrongGroup);
        }
        if d.mode != self.mode() {
            return Err(GroupError::ModeMismatch);
        }
        if d.sender != *sender {
            return Err(GroupError::SenderMismatch);
        }
        if !self.may_post(sender) {
            return Err(GroupError::NotAMember);
        }
        if let Some(ch) = self
            .senders
            .get(sender.as_bytes())
            .and_then(|st| st.chains.iter().find(|c| c.chain_id == d.chain_id))
        {
            return if ch.verifying == d.signing_key {
                Ok(false)
            } else {
                Err(GroupError::ChainConflict)
            };
        }
        let chain = ReceiverChain {
            chain_id: d.chain_id,
            next: d.iteration,
            chain_key: d.chain_key.clone(),
            verifying: d.signing_key,
            superseded_at: None,
        };
        self.senders.update_or_insert(
            sender.as_bytes(),
            || SenderState::new(*sender),
            |st| st.push_chain(chain, now.as_unix_millis()),
        );
        self.erase_expired_keys_of(sender.as_bytes(), now);
        Ok(true)
    }

    fn needs_rotation(&self, own: &SenderKey, now: Timestamp) -> bool {
        own.iteration >= self.rotation.max_posts()
            || now
                .as_unix_millis()
                .saturating_sub(own.created_at.as_unix_millis())
                >= self.rotation.max_age_ms()
    }

    pub(crate) fn post_len(&self, body_len: usize) -> usize {
        post_len(body_len, self.timer != ConversationTimer::default())
    }

    fn app_meta(&self, now: Timestamp, content_type: ContentType) -> Result<FrameMeta, GroupError> {
        match content_type {
            ContentType::UserMessage | ContentType::Receipt => Ok(FrameMeta {
                content_type,
                sent_at: now.as_unix_millis(),
                timer: self.timer,
            }),
            _ => Err(GroupError::InvalidContentType),
        }
    }

    pub(crate) fn post_into<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        content_type: ContentType,
        body: &[u8],
        out: &mut [u8],
    ) -> Result<(usize, Option<Distribution>), GroupError> {
        if body.len() > MAX_BODY_LEN {
            return Err(GroupError::MessageTooLarge);
        }
        let meta = self.app_meta(now, content_type)?;
        self.seal_into(rng, now, &meta, body, out)
    }

    pub(crate) fn post<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        content_type: ContentType,
        body: &[u8],
    ) -> Result<Post, GroupError> {
        if body.len() > MAX_BODY_LEN {
            return Err(GroupError::MessageTooLarge);
        }
        let meta = self.app_meta(now, content_type)?;
        self.seal_vec(rng, now, &meta, body)
    }

    pub(crate) fn seal_vec<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        meta: &FrameMeta,
        body: &[u8],
    ) -> Result<Post, GroupError> {
        let mut bytes = alloc::vec![0u8; post_len(body.len(), meta.has_timer())];
        let (n, rotation) = self.seal_into(rng, now, meta, body, &mut bytes)?;
        bytes.truncate(n);
        Ok(Post { bytes, rotation })
    }

    /// Our own timer change, sent as a timer-change post.
    pub(crate) fn set_timer<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        policy: Option<ExpiryPolicy>,
    ) -> Result<(Post, TimerChange), GroupError> {
        let new = self
            .timer
            .next(policy, self.highest_timer_version)
            .ok_or(GroupError::CounterOverflow)?;
        let meta = FrameMeta {
            content_type: ContentType::TimerChange,
            sent_at: now.as_unix_millis(),
            timer: new,
        };
        let post = self.seal_vec(rng, now, &meta, &[])?;
        let change = TimerChange {
            by: ChangedBy::Us,
            old: self.timer,
            new,
        };
        self.set_retention(now, |c| {
            c.timer = new;
            c.highest_timer_version = new.version;
        });
        Ok((post, change))
    }

    /// Seals one post into `out`: rotation if the policy says so, header,
    /// frame, AES-256-CTR in place, SHA-256 of the ciphertext, one Ed25519
    /// signature. Commits (the chain step, the new chain) only at
    /// the end.
    fn seal_into<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: Timestamp,
        meta: &FrameMeta,
        body: &[u8],
        out: &mut [u8],
    ) -> Result<(usize, Option<Distribution>), GroupError> {
        let fl = frame_len(body.len(), meta.has_timer());
        let total = post_len(body.len(), meta.has_timer());
        let out = out.get_mut(..total).ok_or(GroupError::BufferTooSmall)?;
        let own = self.own.as_ref().ok_or(GroupError::NotAMember)?;
        let rotated = if self.needs_rotation(own, now) {
            Some(SenderKey::generate(
                rng,
                now,
                Some(own.chain_id),
                self.members.clone(),
            ))
        } else {
            None
        };
        let key = rotated.as_ref().unwrap_or(own);
        let next_iteration = key
            .iteration
            .checked_add(1)
            .ok_or(GroupError::CounterOverflow)?;
        // Fresh per post: a position reused after a rollback to an older
        // state never reuses a counter block (SPEC.md §20.4).
        let mut random = [0u8; POST_RANDOM_LEN];
        rng.fill_bytes(&mut random);
        let header = PostHeader {
            group_id: self.id,
            chain_id: key.chain_id,
            iteration: key.iteration,
            random,
        }
        .encode();
        let (h, rest) = out.split_at_mut(POST_HEADER_LEN);
        h.copy_from_slice(&header);
        let (frame, rest) = rest.split_at_mut(fl);
        let body_at = match write_frame_around(frame, meta, None, body.len()) {
            Ok(at) => at,
            Err(e) => {
                frame.zeroize();
                return Err(from_frame_error(e));
            }
        };
        let (mk, next_key) = key.chain_key.step();
        if mk.encrypt_frame(&random, frame, body_at, body).is_err() {
            frame.zeroize();
            return Err(GroupError::MessageTooLarge);
        }
        let msg = signed_message(&header, self.me.as_bytes(), &ciphertext_digest(frame));
        let signature: Signature = key.signing.sign(&msg);
        if let Some(s) = rest.get_mut(..POST_SIGNATURE_LEN) {
            s.copy_from_slice(&signature.to_bytes());
        }
        // Commit.
        let distribution = match rotated {
            Some(k) => {
                self.own = Some(k);
                self.distribution_to(self.members.values().copied().collect())
            }
            None => None,
        };
        if let Some(own) = self.own.as_mut() {
            own.chain_key = next_key;
            own.iteration = next_iteration;
        }
        Ok((total, distribution))
    }

    /// Receives a post held in `buf`, decrypting it in place. Order:
    /// parse, group id, chain lookup, signature (strict, before anything
    /// else is touched), position (duplicate, evicted, too far ahead),
    /// key derivation (planned, not committed), AES-256-CTR, frame, commit.
    pub(crate) fn receive_in_place<'b>(
        &mut self,
        now: Timestamp,
        buf: &'b mut [u8],
    ) -> Result<GroupReceivedRef<'b>, GroupError> {
        let layout = parse_post(buf)?;
        let header = layout.header;
        if header.group_id != self.id {
            return Err(GroupError::WrongGroup);
        }
        // Every chain of that id (one, unless two senders picked the same
        // id, or a member re-sent another's chain under its own name): the
        // signature, which binds the sender's identity, decides which, if
        // any. Each chain is tried under its own sender's identity, so a
        // copy held under the wrong name can neither claim the genuine
        // sender's posts nor keep its chain from being tried (SPEC.md
        // §20.3, §16).
        let mut candidate = false;
        let mut found = None;
        let mut digest = None;
        let now_ms = now.as_unix_millis();
        let retention = self.retention();
        for (sender, st) in self.senders.with_chain(header.chain_id) {
            for (ci, ch) in st.chains.iter().enumerate() {
                // A superseded chain past its window counts as erased.
                if ch.chain_id != header.chain_id || ch.is_expired(now_ms, &retention) {
                    continue;
                }
                candidate = true;
                let d = digest.get_or_insert_with(|| {
                    ciphertext_digest(buf.get(layout.ciphertext()).unwrap_or_default())
                });
                let m = signed_message(&layout.header_bytes, st.identity.as_bytes(), d);
                let sig = Signature::from_bytes(&layout.signature);
                if ch.verifying.verify_strict(&m, &sig).is_ok() {
                    found = Some((*sender, ci));
                    break;
                }
            }
            if found.is_some() {
                break;
            }
        }
        let (sender_key, ci) = match (found, candidate) {
            (Some(f), _) => f,
            (None, true) => return Err(GroupError::BadSignature),
            (None, false) => return Err(GroupError::UnknownChain),
        };
        let st = self
            .senders
            .get(&sender_key)
            .ok_or(GroupError::UnknownChain)?;
        let ch = st.chains.get(ci).ok_or(GroupError::UnknownChain)?;
        let iteration = header.iteration;
        let plan = if iteration >= ch.next {
            if iteration == u32::MAX {
                return Err(GroupError::CounterOverflow);
            }
            let jump = iteration.saturating_sub(ch.next);
            if jump > MAX_GROUP_FORWARD_JUMP {
                return Err(GroupError::TooFarAhead);
            }
            let mut skipped = WipingVec::with_capacity(usize::try_from(jump).unwrap_or(0));
            let mut ck = ch.chain_key.clone();
            let mut at = ch.next;
            while at < iteration {
                let (mk, next) = ck.step();
                skipped.push(SkippedPostKey {
                    chain_id: ch.chain_id,
                    iteration: at,
                    key: mk,
                    // Set when committed.
                    skipped_at: 0,
                });
                ck = next;
                at = at.saturating_add(1);
            }
            let (key, next_key) = ck.step();
            Plan::Advance {
                skipped,
                key,
                next_key,
            }
        } else if let Some(idx) = st
            .skipped
            .iter()
            .position(|s| s.chain_id == header.chain_id && s.iteration == iteration)
        {
            // A stored key past its window counts as erased.
            if st
                .skipped
                .get(idx)
                .is_none_or(|s| s.is_expired(now_ms, &retention))
            {
                return Err(GroupError::MessageKeyEvicted);
            }
            Plan::Stored(idx)
        } else if st.evicted.contains(&(header.chain_id, iteration)) {
            return Err(GroupError::MessageKeyEvicted);
        } else {
            return Err(GroupError::DuplicatePost);
        };
        let key = match &plan {
            Plan::Advance { key, .. } => key,
            Plan::Stored(idx) => &st.skipped.get(*idx).ok_or(GroupError::DuplicatePost)?.key,
        };
        let ct_range = layout.ciphertext();
        let ct = buf
            .get_mut(ct_range.clone())
            .ok_or(GroupError::Malformed(crate::error::DecodeError::Truncated))?;
        key.apply_keystream(&header.random, ct)
            .map_err(|_| GroupError::Malformed(crate::error::DecodeError::TooLarge))?;
        let (meta, body_start, body_len, franked) = match parse_frame(ct) {
            Ok(f) => (
                f.meta,
                f.body_offset,
                f.body.len(),
                f.franking_key.is_some(),
            ),
            Err(e) => {
                ct.zeroize();
                return Err(from_frame_error(e));
            }
        };
        // A post frame is never franked (SPEC.md §20.2): the franking key
        // would reach every member and report nothing a platform could
        // verify. Refused like an unknown flag.
        if franked {
            let flags = ct.get(FRAME_FLAGS_AT).copied().unwrap_or_default();
            ct.zeroize();
            return Err(GroupError::Malformed(
                crate::error::DecodeError::UnknownFlags(flags),
            ));
        }
        if meta.content_type == ContentType::GroupKeyDistribution {
            ct.zeroize();
            return Err(GroupError::InvalidContentType);
        }
        if meta.timer.version
            > self
                .highest_timer_version
                .saturating_add(MAX_TIMER_VERSION_STEP)
        {
            ct.zeroize();
            return Err(GroupError::InvalidPolicy);
        }
        let sender = st.identity;
        let chain_id = header.chain_id;
        // Commit: nothing below can fail.
        self.commit(sender_key, ci, chain_id, iteration, plan, now_ms);
        self.erase_expired_keys_of(&sender_key, now);
        self.highest_timer_version = self.highest_timer_version.max(meta.timer.version);
        let sent_at = Timestamp::from_unix_millis(meta.sent_at);
        let (timer_change, expiry) = if meta.content_type == ContentType::TimerChange {
            // The commit has just erased against the old window.
            let change = self.timer.apply_change(meta.timer).map(|new| {
                let old = self.timer;
                self.set_retention(now, |c| c.timer = new);
                TimerChange {
                    by: ChangedBy::Peer,
                    old,
                    new,
                }
            });
            (change, MessageExpiry::Never)
        } else {
            (
                None,
                message_expiry(stricter(meta.timer.policy, self.timer.policy), sent_at, now),
            )
        };
        let body_end = body_start.saturating_add(body_len);
        let body: &'b mut [u8] = buf
            .get_mut(ct_range)
            .and_then(|c| c.get_mut(body_start..body_end))
            .unwrap_or_default();
        let body: &'b [u8] = if expiry == MessageExpiry::Expired {
            body.zeroize();
            &[]
        } else {
            body
        };
        Ok(GroupReceivedRef {
            body,
            sender,
            chain_id,
            iteration,
            content_type: meta.content_type,
            sent_at,
            expiry,
            timer_change,
        })
    }

    fn commit(
        &mut self,
        sender: [u8; 32],
        ci: usize,
        chain_id: u32,
        iteration: u32,
        plan: Plan,
        now: u64,
    ) {
        self.senders.update(&sender, |st| match plan {
            Plan::Stored(idx) => {
                if idx < st.skipped.len() {
                    st.skipped.remove(idx);
                }
            }
            Plan::Advance {
                mut skipped,
                next_key,
                ..
            } => {
                if let Some(ch) = st.chains.get_mut(ci) {
                    ch.chain_key = next_key;
                    ch.next = iteration.saturating_add(1);
                }
                for k in skipped.iter_mut() {
                    k.chain_id = chain_id;
                    k.skipped_at = now;
                }
                st.store_skipped(&mut skipped);
            }
        });
    }
}

impl core::fmt::Debug for GroupCore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Group")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("me", &self.me)
            .field("members", &self.members.len())
            .field("own", &self.own)
            .field("senders", &self.senders.len())
            .field("timer", &self.timer)
            .finish_non_exhaustive()
    }
}
