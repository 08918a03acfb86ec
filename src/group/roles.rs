//! Methods shared by the role types, written once as macros so that each
//! type exposes exactly what its role allows.

/// Identity, timer, persistence-independent accessors.
macro_rules! common_methods {
    () => {
        /// The group's id.
        pub fn id(&self) -> $crate::group::GroupId {
            self.core.id
        }

        /// Our identity in the group.
        pub fn me(&self) -> &$crate::identity::IdentityKey {
            &self.core.me
        }

        /// The group's disappearing-message timer (as last set by us or by
        /// a timer-change post).
        pub fn timer(&self) -> $crate::expiry::ConversationTimer {
            self.core.timer
        }
    };
}

/// Posting (group members, channel owners).
macro_rules! sender_methods {
    () => {
        /// Posts a user message: returns the post to broadcast and, if the
        /// rotation policy started a new chain, its distribution (send that
        /// first). On error nothing changed.
        pub fn post<R: rand_core::CryptoRng + ?Sized>(
            &mut self,
            rng: &mut R,
            now: $crate::time::Timestamp,
            body: &[u8],
        ) -> Result<$crate::group::Post, $crate::group::GroupError> {
            self.core
                .post(rng, now, $crate::frame::ContentType::UserMessage, body)
        }

        /// Posts a body of the given content type (user message or
        /// receipt; anything else is
        /// [`InvalidContentType`]($crate::group::GroupError::InvalidContentType)).
        pub fn post_content<R: rand_core::CryptoRng + ?Sized>(
            &mut self,
            rng: &mut R,
            now: $crate::time::Timestamp,
            content_type: $crate::frame::ContentType,
            body: &[u8],
        ) -> Result<$crate::group::Post, $crate::group::GroupError> {
            self.core.post(rng, now, content_type, body)
        }

        /// Length of the post [`post_into`](Self::post_into) writes for a
        /// body of `body_len` bytes.
        pub fn post_len(&self, body_len: usize) -> usize {
            self.core.post_len(body_len)
        }

        /// Posts into the caller's buffer (encrypted in place, no copy of
        /// the ciphertext); returns the length written and the rotation's
        /// distribution, if any.
        pub fn post_into<R: rand_core::CryptoRng + ?Sized>(
            &mut self,
            rng: &mut R,
            now: $crate::time::Timestamp,
            content_type: $crate::frame::ContentType,
            body: &[u8],
            out: &mut [u8],
        ) -> Result<(usize, Option<$crate::group::Distribution>), $crate::group::GroupError> {
            self.core.post_into(rng, now, content_type, body, out)
        }

        /// Changes the group's timer: returns the timer-change post to
        /// broadcast and the change.
        pub fn set_timer<R: rand_core::CryptoRng + ?Sized>(
            &mut self,
            rng: &mut R,
            now: $crate::time::Timestamp,
            policy: Option<$crate::expiry::ExpiryPolicy>,
        ) -> Result<($crate::group::Post, $crate::expiry::TimerChange), $crate::group::GroupError> {
            self.core.set_timer(rng, now, policy)
        }

        /// Starts a new chain now and returns it for every member.
        pub fn rotate<R: rand_core::CryptoRng + ?Sized>(
            &mut self,
            rng: &mut R,
            now: $crate::time::Timestamp,
        ) -> $crate::group::Distribution {
            self.core.rotate(rng, now)
        }

        /// The rotation policy (default: 10,000 posts or 7 days).
        pub fn rotation_policy(&self) -> $crate::group::RotationPolicy {
            self.core.rotation
        }

        /// Sets the rotation policy; it applies from the next post.
        pub fn set_rotation_policy(&mut self, policy: $crate::group::RotationPolicy) {
            self.core.rotation = policy;
        }

        /// Who holds our current chain (can read our next post).
        pub fn current_holders(&self) -> alloc::vec::Vec<$crate::identity::IdentityKey> {
            self.core.current_holders()
        }

        /// Our current chain id and the iteration of our next post.
        pub fn sending_position(&self) -> (u32, u32) {
            self.core
                .own
                .as_ref()
                .map_or((0, 0), |o| (o.chain_id, o.iteration))
        }
    };
}

/// Receiving posts and distributions (group members, channel subscribers).
macro_rules! receiver_methods {
    () => {
        /// Receives a post: verifies its signature (strictly, before
        /// anything else), opens it and returns the plaintext with its
        /// sender and expiry. On error nothing changed.
        pub fn receive_post(
            &mut self,
            now: $crate::time::Timestamp,
            post: &[u8],
        ) -> Result<$crate::group::GroupReceived, $crate::group::GroupError> {
            let mut buf = zeroize::Zeroizing::new(post.to_vec());
            self.core
                .receive_in_place(now, &mut buf)
                .map(|r| r.to_owned())
        }

        /// Receives a post held in `buf`, decrypting it in place; the body
        /// borrows `buf`. On error nothing changed and `buf` holds no
        /// plaintext.
        pub fn receive_post_in_place<'b>(
            &mut self,
            now: $crate::time::Timestamp,
            buf: &'b mut [u8],
        ) -> Result<$crate::group::GroupReceivedRef<'b>, $crate::group::GroupError> {
            self.core.receive_in_place(now, buf)
        }

        /// Takes in a key distribution decrypted from a 1:1 session: the
        /// chain is bound to the session's authenticated peer
        /// (`received.sender`). Returns `true` for a new chain, `false` if
        /// it was already held. A new chain becomes the sender's current
        /// one: the sender's older chains count as superseded from `now`
        /// and are erased once past the retention window (see
        /// [`erase_expired_keys`](Self::erase_expired_keys)).
        pub fn accept_distribution(
            &mut self,
            now: $crate::time::Timestamp,
            received: &$crate::session::Received,
        ) -> Result<bool, $crate::group::GroupError> {
            if received.content_type != $crate::frame::ContentType::GroupKeyDistribution {
                return Err($crate::group::GroupError::NotADistribution);
            }
            self.core
                .process_distribution(now, &received.sender, &received.plaintext)
        }

        /// Takes in a distribution body that arrived over the 1:1 session
        /// whose authenticated peer is `sender` (use
        /// [`accept_distribution`](Self::accept_distribution) when holding
        /// the [`Received`]($crate::session::Received)). `now` is when the
        /// sender's older chains count as superseded, as in
        /// `accept_distribution`.
        pub fn process_distribution(
            &mut self,
            now: $crate::time::Timestamp,
            sender: &$crate::identity::IdentityKey,
            body: &[u8],
        ) -> Result<bool, $crate::group::GroupError> {
            self.core.process_distribution(now, sender, body)
        }

        /// How many skipped post keys are held, over all senders
        /// (including keys past their window that no erasure has removed
        /// yet).
        pub fn skipped_key_count(&self) -> usize {
            self.core.senders.values().map(|s| s.skipped.len()).sum()
        }

        /// Erases the skipped post keys and superseded chains whose
        /// retention has run out at `now`: kept longer than the maximum
        /// age ([`set_max_skipped_key_age`](Self::set_max_skipped_key_age))
        /// or, if the group's timer is after-send, than its TTL plus
        /// [`SKIPPED_KEY_GRACE_MS`]($crate::expiry::policy::SKIPPED_KEY_GRACE_MS),
        /// whichever is shorter (SPEC.md §20.5). A key's time runs from the
        /// receive that skipped it, a chain's from the distribution of the
        /// sender's next chain. A later post that needed an erased key is
        /// [`MessageKeyEvicted`]($crate::group::GroupError::MessageKeyEvicted),
        /// one of an erased chain
        /// [`UnknownChain`]($crate::group::GroupError::UnknownChain). The
        /// newest chain of each sender is never erased by time. Every
        /// successful receive and accepted distribution also erases, for
        /// its own sender only; what is past its window is refused even
        /// before it is erased. Save the
        /// state afterwards: older saved copies still hold the keys.
        pub fn erase_expired_keys(&mut self, now: $crate::time::Timestamp) {
            self.core.erase_expired_keys(now);
        }

        /// When the next skipped post key or superseded chain is due to be
        /// erased (the earliest instant past its window): call
        /// [`erase_expired_keys`](Self::erase_expired_keys) then. `None`
        /// when nothing is held that time would erase.
        pub fn next_key_erasure(&self) -> Option<$crate::time::Timestamp> {
            self.core.next_key_erasure()
        }

        /// Sets how long skipped post keys and superseded chains may be
        /// kept at most, in milliseconds (default
        /// [`MAX_SKIPPED_KEY_AGE_MS`]($crate::limits::MAX_SKIPPED_KEY_AGE_MS),
        /// saved with the state), and erases at `now` what is past the
        /// old or the new window (widening the window never revives what
        /// was already due).
        pub fn set_max_skipped_key_age(&mut self, now: $crate::time::Timestamp, max_age_ms: u64) {
            self.core
                .set_retention(now, |c| c.max_skipped_key_age_ms = max_age_ms);
        }

        /// The maximum age of skipped post keys and superseded chains
        /// (ms), as set by
        /// [`set_max_skipped_key_age`](Self::set_max_skipped_key_age).
        pub fn max_skipped_key_age(&self) -> u64 {
            self.core.max_skipped_key_age_ms
        }

        /// How many chains are held for `sender`.
        pub fn chain_count(&self, sender: &$crate::identity::IdentityKey) -> usize {
            self.core
                .senders
                .get(sender.as_bytes())
                .map_or(0, |s| s.chains.len())
        }
    };
}

pub(crate) use {common_methods, receiver_methods, sender_methods};
