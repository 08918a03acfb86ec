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
            now: $crate::session::Timestamp,
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
            now: $crate::session::Timestamp,
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
            now: $crate::session::Timestamp,
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
            now: $crate::session::Timestamp,
            policy: Option<$crate::expiry::ExpiryPolicy>,
        ) -> Result<($crate::group::Post, $crate::expiry::TimerChange), $crate::group::GroupError> {
            self.core.set_timer(rng, now, policy)
        }

        /// Starts a new chain now and returns it for every member.
        pub fn rotate<R: rand_core::CryptoRng + ?Sized>(
            &mut self,
            rng: &mut R,
            now: $crate::session::Timestamp,
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
            now: $crate::session::Timestamp,
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
            now: $crate::session::Timestamp,
            buf: &'b mut [u8],
        ) -> Result<$crate::group::GroupReceivedRef<'b>, $crate::group::GroupError> {
            self.core.receive_in_place(now, buf)
        }

        /// Takes in a key distribution decrypted from a 1:1 session: the
        /// chain is bound to the session's authenticated peer
        /// (`received.sender`). Returns `true` for a new chain, `false` if
        /// it was already held.
        pub fn accept_distribution(
            &mut self,
            received: &$crate::session::Received,
        ) -> Result<bool, $crate::group::GroupError> {
            if received.content_type != $crate::frame::ContentType::GroupKeyDistribution {
                return Err($crate::group::GroupError::NotADistribution);
            }
            self.core
                .process_distribution(&received.sender, &received.plaintext)
        }

        /// Takes in a distribution body that arrived over the 1:1 session
        /// whose authenticated peer is `sender` (use
        /// [`accept_distribution`](Self::accept_distribution) when holding
        /// the [`Received`]($crate::session::Received)).
        pub fn process_distribution(
            &mut self,
            sender: &$crate::identity::IdentityKey,
            body: &[u8],
        ) -> Result<bool, $crate::group::GroupError> {
            self.core.process_distribution(sender, body)
        }

        /// How many skipped post keys are held, over all senders.
        pub fn skipped_key_count(&self) -> usize {
            self.core.senders.values().map(|s| s.skipped.len()).sum()
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
