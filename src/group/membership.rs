//! The state every role shares and every operation on it: membership,
//! rotation, distributions, posting and receiving (SPEC.md §20).
//!
//! Receiving plans on borrowed state and commits only after the signature
//! and the frame have both checked out, so a failure changes nothing.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use ed25519_dalek::{Signature, Signer};
use zeroize::Zeroize;

use crate::error::DecodeError;
use crate::expiry::policy::Timed;
use crate::expiry::{ChangedBy, ConversationTimer, ExpiryPolicy, MessageExpiry, TimerChange};
use crate::frame::{
    ContentType, FLAG_FRANKED, FLAG_TIMER, FrameMeta, frame_len, parse_frame, write_frame_around,
};
use crate::group::chain::{GroupChainKey, GroupMessageKey};
use crate::group::distribution::{Distribution, DistributionBody};
use crate::group::error::{GroupError, from_frame_error};
use crate::group::post::{
    POST_HEADER_LEN, POST_RANDOM_LEN, POST_SIGNATURE_LEN, PostHeader, PostLayout,
    ciphertext_digest, parse_post, post_len, signed_message,
};
use crate::group::received::{GroupReceived, GroupReceivedRef};
use crate::group::receiver::{ReceiverChain, SenderState, SkippedPostKey};
use crate::group::sender_key::SenderKey;
use crate::group::senders::Senders;
use crate::group::{GroupId, GroupMode, Post, RotationPolicy};
use crate::identity::IdentityKey;
use crate::limits::{
    MAX_BODY_LEN, MAX_GROUP_FORWARD_JUMP, MAX_GROUP_MEMBERS, MAX_SKIPPED_KEY_AGE_MS,
};
use crate::plaintext::Plaintext;
use crate::time::Timestamp;
use crate::wipe::WipingVec;

/// The state of one group or channel, for one participant, that every
/// role shares (the role's own data is in
/// [`GroupState`](crate::group::GroupState)).
#[derive(Clone, PartialEq)]
pub(crate) struct GroupCore {
    pub(crate) id: GroupId,
    /// Group or channel: the role's mode, fixed at creation.
    pub(crate) mode: GroupMode,
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
    pub(crate) fn empty(id: GroupId, mode: GroupMode, me: IdentityKey) -> Self {
        Self {
            id,
            mode,
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

    /// A posting role's state: `members`, and our first chain, returned
    /// for every member.
    pub(crate) fn new<R: rand_core::CryptoRng + ?Sized>(
        rng: &mut R,
        now: Timestamp,
        id: GroupId,
        mode: GroupMode,
        me: IdentityKey,
        members: &[IdentityKey],
    ) -> Result<(Self, Distribution), GroupError> {
        let mut core = Self::empty(id, mode, me);
        for m in members {
            core.check_new_member(m)?;
            core.members.insert(m.to_bytes(), *m);
        }
        let own = SenderKey::generate(rng, now, None, core.members.clone());
        let dist = core.distribution_of(&own, core.members.values().copied().collect());
        core.own = Some(own);
        Ok((core, dist))
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

    /// The distribution of the chain `own`, at its current iteration, to
    /// `recipients` (sorted by key).
    fn distribution_of(&self, own: &SenderKey, mut recipients: Vec<IdentityKey>) -> Distribution {
        recipients.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        let body = DistributionBody {
            group_id: self.id,
            mode: self.mode,
            chain_id: own.chain_id,
            iteration: own.iteration,
            chain_key: own.chain_key.clone(),
            signing_key: own.verifying,
            sender: self.me,
        };
        Distribution {
            body: body.encode(),
            recipients,
        }
    }

    /// Adds a member (or subscriber) and returns our current chain for it.
    pub(crate) fn add_member(&mut self, who: IdentityKey) -> Result<Distribution, GroupError> {
        self.check_new_member(&who)?;
        let own = self.own.as_ref().ok_or(GroupError::NotAMember)?;
        let dist = self.distribution_of(own, alloc::vec![who]);
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
        let own = SenderKey::generate(rng, now, previous, self.members.clone());
        let dist = self.distribution_of(&own, self.members.values().copied().collect());
        self.own = Some(own);
        dist
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

    /// A distribution received over the 1:1 session with `sender` (its
    /// authenticated peer); `allowed`: whether our role lets `sender`
    /// post here. Returns `true` if the chain is new, `false` if it was
    /// already held.
    pub(crate) fn process_distribution(
        &mut self,
        now: Timestamp,
        sender: &IdentityKey,
        allowed: bool,
        body: &[u8],
    ) -> Result<bool, GroupError> {
        let d = DistributionBody::parse(body)?;
        if d.group_id != self.id {
            return Err(GroupError::WrongGroup);
        }
        if d.mode != self.mode {
            return Err(GroupError::ModeMismatch);
        }
        if d.sender != *sender {
            return Err(GroupError::SenderMismatch);
        }
        if !allowed {
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
        let (frame, sig_out) = rest.split_at_mut(fl);
        let sig_out = <&mut [u8; POST_SIGNATURE_LEN]>::try_from(sig_out)
            .map_err(|_| GroupError::BufferTooSmall)?;
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
        *sig_out = signature.to_bytes();
        // Commit.
        let distribution = rotated.map(|k| {
            let d = self.distribution_of(&k, self.members.values().copied().collect());
            self.own = Some(k);
            d
        });
        if let Some(own) = self.own.as_mut() {
            own.chain_key = next_key;
            own.iteration = next_iteration;
        }
        Ok((total, distribution))
    }

    /// Receives a post held in `buf`, decrypting it in place, in the named
    /// steps of SPEC.md §20.6: [parse](Self::parse_own_post), [find the
    /// chain whose signature verifies](Self::find_signed_chain), [plan the
    /// key](Self::plan_key) (derived, not committed), [decrypt and check
    /// the frame](open_frame), then (step 7) commit, erase and apply the
    /// frame's timer. Everything before the commit only reads `self`, so a
    /// failure changes nothing.
    ///
    /// With `expected` (a sealed post, SPEC.md §22.5), a post whose
    /// signature verifies under another sender's chain is
    /// `SenderMismatch`, right after step 3.
    pub(crate) fn receive_in_place<'b>(
        &mut self,
        now: Timestamp,
        buf: &'b mut [u8],
        expected: Option<&IdentityKey>,
    ) -> Result<GroupReceivedRef<'b>, GroupError> {
        self.receive_at(now, buf, expected).map(|(r, _)| r)
    }

    /// [`receive_in_place`](Self::receive_in_place) of a copy of `post`,
    /// returning an owned plaintext: one allocation (the post's length)
    /// and one copy; the plaintext shows the body where it was decrypted,
    /// every other byte of the copy zeroed. On error nothing changed and
    /// the copy is zeroized.
    pub(crate) fn receive_owned(
        &mut self,
        now: Timestamp,
        post: &[u8],
        expected: Option<&IdentityKey>,
    ) -> Result<GroupReceived, GroupError> {
        let mut buf = Plaintext::hidden(post.to_vec());
        let (r, at) = self.receive_at(now, buf.buffer_mut(), expected)?;
        let len = r.body.len();
        let received = r.with_plaintext(Plaintext::default());
        #[allow(
            clippy::expect_used,
            reason = "receive_at returns a body inside the buffer it decrypted"
        )]
        let plaintext = buf.reveal(at, len).expect("the body lies inside the post");
        Ok(GroupReceived {
            plaintext,
            ..received
        })
    }

    /// [`receive_in_place`](Self::receive_in_place), also returning where
    /// the body starts in `buf`.
    fn receive_at<'b>(
        &mut self,
        now: Timestamp,
        buf: &'b mut [u8],
        expected: Option<&IdentityKey>,
    ) -> Result<(GroupReceivedRef<'b>, usize), GroupError> {
        let layout = self.parse_own_post(buf)?;
        let (sender, ci) = self.find_signed_chain(&layout, buf, now)?;
        if expected.is_some_and(|e| *e != sender) {
            return Err(GroupError::SenderMismatch);
        }
        let plan = self.plan_key(sender.as_bytes(), ci, &layout.header, now)?;
        let ct_at = layout.ciphertext().start;
        let ct = buf
            .get_mut(layout.ciphertext())
            .ok_or(GroupError::Malformed(DecodeError::Truncated))?;
        let opened = open_frame(
            self.planned_key(sender.as_bytes(), &plan)?,
            &layout.header,
            ct,
            self.highest_timer_version,
        )?;
        // Commit: nothing below can fail.
        let header = layout.header;
        let now_ms = now.as_unix_millis();
        self.commit(
            sender.as_bytes(),
            ci,
            header.chain_id,
            header.iteration,
            plan,
            now_ms,
        );
        self.erase_expired_keys_of(sender.as_bytes(), now);
        let meta = opened.meta;
        let sent_at = Timestamp::from_unix_millis(meta.sent_at);
        // The commit has just erased against the old window.
        let timed = self.receive_timer(
            meta.timer,
            meta.content_type == ContentType::TimerChange,
            sent_at,
            now,
        );
        let body_at = ct_at.saturating_add(opened.body_at);
        let body: &'b [u8] = if timed.expiry == MessageExpiry::Expired {
            opened.body.zeroize();
            &[]
        } else {
            opened.body
        };
        let received = GroupReceivedRef {
            body,
            sender,
            chain_id: header.chain_id,
            iteration: header.iteration,
            content_type: meta.content_type,
            sent_at,
            expiry: timed.expiry,
            timer_change: timed.change,
        };
        Ok((received, body_at))
    }

    /// Steps 1–2 of SPEC.md §20.6: the post's layout, naming this group.
    fn parse_own_post(&self, buf: &[u8]) -> Result<PostLayout, GroupError> {
        let layout = parse_post(buf)?;
        if layout.header.group_id != self.id {
            return Err(GroupError::WrongGroup);
        }
        Ok(layout)
    }

    /// Step 3 of SPEC.md §20.6: the chain the post names whose signature
    /// verifies (strictly, before anything else is touched): `(sender,
    /// index of the chain)`.
    ///
    /// Every chain of that id is a candidate (one, unless two senders
    /// picked the same id, or a member re-sent another's chain under its
    /// own name): the signature, which binds the sender's identity,
    /// decides which, if any. Each chain is tried under its own sender's
    /// identity, so a copy held under the wrong name can neither claim the
    /// genuine sender's posts nor keep its chain from being tried (SPEC.md
    /// §20.3, §16). A superseded chain past its window counts as erased.
    fn find_signed_chain(
        &self,
        layout: &PostLayout,
        buf: &[u8],
        now: Timestamp,
    ) -> Result<(IdentityKey, usize), GroupError> {
        let ciphertext = buf
            .get(layout.ciphertext())
            .ok_or(GroupError::Malformed(DecodeError::Truncated))?;
        let chain_id = layout.header.chain_id;
        let now_ms = now.as_unix_millis();
        let retention = self.retention();
        let signature = Signature::from_bytes(&layout.signature);
        // SHA-256 of the ciphertext: once, and only if a chain is held.
        let mut digest = None;
        let mut candidate = false;
        for (_, st) in self.senders.with_chain(chain_id) {
            for (ci, ch) in st.chains.iter().enumerate() {
                if ch.chain_id != chain_id || ch.is_expired(now_ms, &retention) {
                    continue;
                }
                candidate = true;
                let d = digest.get_or_insert_with(|| ciphertext_digest(ciphertext));
                let m = signed_message(&layout.header_bytes, st.identity.as_bytes(), d);
                if ch.verifying.verify_strict(&m, &signature).is_ok() {
                    return Ok((st.identity, ci));
                }
            }
        }
        Err(if candidate {
            GroupError::BadSignature
        } else {
            GroupError::UnknownChain
        })
    }

    /// Step 4 of SPEC.md §20.6: how the post's key is obtained:
    /// at or ahead of the chain, derived by stepping it (at most
    /// [`MAX_GROUP_FORWARD_JUMP`] positions); behind it, a stored skipped
    /// key; else evicted or a duplicate. Nothing is committed.
    fn plan_key(
        &self,
        sender: &[u8; 32],
        ci: usize,
        header: &PostHeader,
        now: Timestamp,
    ) -> Result<Plan, GroupError> {
        let st = self.senders.get(sender).ok_or(GroupError::UnknownChain)?;
        let ch = st.chains.get(ci).ok_or(GroupError::UnknownChain)?;
        let iteration = header.iteration;
        if iteration >= ch.next {
            return advance(ch, iteration);
        }
        match st
            .skipped
            .iter()
            .position(|s| s.chain_id == header.chain_id && s.iteration == iteration)
        {
            // A stored key past its window counts as erased.
            Some(idx)
                if st
                    .skipped
                    .get(idx)
                    .is_some_and(|s| !s.is_expired(now.as_unix_millis(), &self.retention())) =>
            {
                Ok(Plan::Stored(idx))
            }
            Some(_) => Err(GroupError::MessageKeyEvicted),
            None if st.evicted.contains(&(header.chain_id, iteration)) => {
                Err(GroupError::MessageKeyEvicted)
            }
            None => Err(GroupError::DuplicatePost),
        }
    }

    /// The post key a plan names.
    fn planned_key<'a>(
        &'a self,
        sender: &[u8; 32],
        plan: &'a Plan,
    ) -> Result<&'a GroupMessageKey, GroupError> {
        match plan {
            Plan::Advance { key, .. } => Ok(key),
            Plan::Stored(idx) => self
                .senders
                .get(sender)
                .and_then(|st| st.skipped.get(*idx))
                .map(|s| &s.key)
                .ok_or(GroupError::DuplicatePost),
        }
    }

    fn commit(
        &mut self,
        sender: &[u8; 32],
        ci: usize,
        chain_id: u32,
        iteration: u32,
        plan: Plan,
        now: u64,
    ) {
        self.senders.update(sender, |st| match plan {
            // The plan was made from this sender's state, unchanged since:
            // its key and its chain are held.
            Plan::Stored(idx) => {
                #[allow(clippy::expect_used, reason = "the plan's key is held")]
                st.skipped.remove(idx).expect("the planned key is held");
            }
            Plan::Advance {
                mut skipped,
                next_key,
                ..
            } => {
                #[allow(clippy::expect_used, reason = "the plan's chain is held")]
                let ch = st.chains.get_mut(ci).expect("the planned chain is held");
                ch.chain_key = next_key;
                ch.next = iteration.saturating_add(1);
                for k in skipped.iter_mut() {
                    k.chain_id = chain_id;
                    k.skipped_at = now;
                }
                st.store_skipped(&mut skipped);
            }
        });
    }
}

/// The plan of a post at `iteration`, at or ahead of the chain `ch`: the
/// keys it skips (exactly sized up front), its own key and the chain key
/// after it.
fn advance(ch: &ReceiverChain, iteration: u32) -> Result<Plan, GroupError> {
    if iteration == u32::MAX {
        return Err(GroupError::CounterOverflow);
    }
    let jump = iteration.saturating_sub(ch.next);
    if jump > MAX_GROUP_FORWARD_JUMP {
        return Err(GroupError::TooFarAhead);
    }
    let mut skipped =
        WipingVec::with_capacity(usize::try_from(jump).map_err(|_| GroupError::TooFarAhead)?);
    let mut ck = ch.chain_key.clone();
    for at in ch.next..iteration {
        let (mk, next) = ck.step();
        skipped.push(SkippedPostKey {
            chain_id: ch.chain_id,
            iteration: at,
            key: mk,
            // Set when committed.
            skipped_at: 0,
        });
        ck = next;
    }
    let (key, next_key) = ck.step();
    Ok(Plan::Advance {
        skipped,
        key,
        next_key,
    })
}

/// A post's inner frame, decrypted in place and checked.
struct OpenedFrame<'b> {
    meta: FrameMeta,
    /// The body, inside the caller's buffer.
    body: &'b mut [u8],
    /// Where `body` starts in the ciphertext.
    body_at: usize,
}

/// Steps 5–6 of SPEC.md §20.6: decrypts the ciphertext `ct` in place with
/// `key` (AES-256-CTR) and checks its frame: it parses, is not
/// franked, carries no key distribution and no timer version beyond what
/// [`ConversationTimer::version_limit`] allows from `highest_timer_version`.
/// On error `ct` is zeroed: it holds no plaintext.
fn open_frame<'b>(
    key: &GroupMessageKey,
    header: &PostHeader,
    ct: &'b mut [u8],
    highest_timer_version: u64,
) -> Result<OpenedFrame<'b>, GroupError> {
    key.apply_keystream(&header.random, ct)
        .map_err(|_| GroupError::Malformed(DecodeError::TooLarge))?;
    let checked = match parse_frame(ct) {
        Ok(f) => check_post_frame(&f.meta, f.franking_key.is_some(), highest_timer_version)
            .map(|()| (f.meta, f.body_offset, f.body.len())),
        Err(e) => Err(from_frame_error(e)),
    };
    let (meta, start, len) = match checked {
        Ok(c) => c,
        Err(e) => {
            ct.zeroize();
            return Err(e);
        }
    };
    #[allow(
        clippy::expect_used,
        reason = "parse_frame found the body at body_offset..+len inside ct"
    )]
    let body = ct
        .get_mut(start..start.saturating_add(len))
        .expect("the parsed body lies inside the frame");
    Ok(OpenedFrame {
        meta,
        body,
        body_at: start,
    })
}

/// What a post's frame may not be, beyond a frame that parses.
fn check_post_frame(
    meta: &FrameMeta,
    franked: bool,
    highest_timer_version: u64,
) -> Result<(), GroupError> {
    // A post frame is never franked (SPEC.md §20.2): the franking key
    // would reach every member and report nothing a platform could
    // verify. Refused like an unknown flag: the flags the frame carries.
    if franked {
        let timer = if meta.has_timer() { FLAG_TIMER } else { 0 };
        return Err(GroupError::Malformed(DecodeError::UnknownFlags(
            FLAG_FRANKED | timer,
        )));
    }
    if meta.content_type == ContentType::GroupKeyDistribution {
        return Err(GroupError::InvalidContentType);
    }
    if meta.timer.version > ConversationTimer::version_limit(highest_timer_version) {
        return Err(GroupError::InvalidPolicy);
    }
    Ok(())
}

impl GroupCore {
    /// The fields `Debug` shows (no key material: counts, ids, the own
    /// chain's redacted `Debug`).
    pub(crate) fn debug_fields(&self, s: &mut core::fmt::DebugStruct<'_, '_>) {
        let Self {
            id,
            mode,
            me,
            members,
            own,
            senders,
            timer,
            highest_timer_version: _,
            rotation: _,
            max_skipped_key_age_ms: _,
        } = self;
        s.field("id", id)
            .field("mode", mode)
            .field("me", me)
            .field("members", &members.len())
            .field("own", own)
            .field("senders", &senders.len())
            .field("timer", timer);
    }
}
