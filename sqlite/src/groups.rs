//! Groups and channels in the store (SPEC.md §20): each step — create,
//! join, add or remove a member, post, receive, take a key distribution —
//! in one transaction with the group state, the 1:1 sessions that carry
//! the distributions, and the outboxes.

use rusqlite::{Connection, TransactionBehavior};
use sealwire::group::{
    ChannelOwner, ChannelSubscriber, DISTRIBUTION_FLAG_CHANNEL, Distribution, Group, GroupError,
    GroupId, GroupMode, distribution_group_id, parse_post_header,
};
use sealwire::{ContentType, DeviceAddress, IdentityKey, Received, Timestamp};

use crate::codec::BlobCodec;
use crate::error::StoreError;
use crate::group_rows::{self, GroupRow, GroupStateKind, Members, NewGroupMessage};
use crate::messaging::{incoming_expiry, our_identity_key, outgoing_expiry, session_error};
use crate::rows;
use crate::store::SqliteStore;
use crate::types::{
    Direction, DistributionOutcome, GroupInfo, GroupMessage, GroupPost, GroupPostEntry,
    GroupReceiveOutcome, GroupUpdate, OutboxEntry,
};

/// The confirmed identity keys of every device of `user` (`me`'s device
/// skipped), from its stored device list.
fn user_keys(
    conn: &Connection,
    codec: &BlobCodec,
    me: &DeviceAddress,
    user: &str,
) -> Result<Vec<IdentityKey>, StoreError> {
    let list = rows::device_list(conn, codec, user)?
        .ok_or_else(|| StoreError::NoDeviceList(user.to_owned()))?;
    let mut keys = Vec::with_capacity(list.len());
    for (device, _) in list.devices() {
        if list.address(device) != *me {
            keys.push(*list.trusted_identity(device)?);
        }
    }
    Ok(keys)
}

/// The member record of `users` (and of our own other devices, if our
/// user has a device list; our own user in `users` is skipped without
/// one).
fn members_of(
    conn: &Connection,
    codec: &BlobCodec,
    me: &DeviceAddress,
    users: &[&str],
) -> Result<Members, StoreError> {
    let mut members = Members::default();
    let ours = rows::device_list(conn, codec, me.name())?.is_some();
    for user in users {
        if *user == me.name() && !ours {
            // Our own user without a device list: no other device.
            continue;
        }
        for key in user_keys(conn, codec, me, user)? {
            members.add(user, key);
        }
    }
    if ours && !users.contains(&me.name()) {
        for key in user_keys(conn, codec, me, me.name())? {
            members.add(me.name(), key);
        }
    }
    Ok(members)
}

impl SqliteStore {
    /// Encrypts `dist` for every device of the member users that is one
    /// of its recipients (its confirmed key in the user's device list,
    /// with a current session: else [`StoreError::NoSession`] naming it),
    /// saves each session and queues each ciphertext in `outbox` (no
    /// message row: a distribution is never stored as a message).
    fn distribute<R: sealwire::rand_core::CryptoRng + ?Sized>(
        conn: &Connection,
        codec: &mut BlobCodec,
        rng: &mut R,
        now: Timestamp,
        me: &DeviceAddress,
        dist: &Distribution,
        members: &Members,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut out = Vec::new();
        for (user, _) in &members.0 {
            let list = rows::device_list(conn, codec, user)?
                .ok_or_else(|| StoreError::NoDeviceList(user.clone()))?;
            for (device, key) in list.devices() {
                let address = list.address(device);
                if address == *me || !dist.is_recipient(key) {
                    continue;
                }
                let expected = *list.trusted_identity(device)?;
                let mut sessions = rows::sessions(conn, codec, &address)?
                    .ok_or_else(|| StoreError::NoSession(address.clone()))?;
                let ciphertext = sessions
                    .encrypt(
                        rng,
                        now,
                        &expected,
                        sealwire::Outgoing::new(ContentType::GroupKeyDistribution, &dist.body),
                    )
                    .map_err(|e| session_error(e, &address))?
                    .message;
                rows::save_sessions(conn, codec, &address, &sessions)?;
                let id = rows::insert_outbox(conn, &address, None, &ciphertext, now)?;
                out.push(OutboxEntry {
                    id,
                    peer: address,
                    message_id: None,
                    ciphertext,
                    created_at: now,
                });
            }
        }
        Ok(out)
    }

    fn load_group_row(
        conn: &Connection,
        codec: &BlobCodec,
        id: &GroupId,
    ) -> Result<GroupRow, StoreError> {
        group_rows::load_group(conn, codec, id)?.ok_or(StoreError::NoGroup(*id))
    }

    /// Creates a group ([`GroupMode::Group`]: we are a member, every member
    /// posts) or a channel ([`GroupMode::Channel`]: we own it, the members
    /// are subscribers), in one transaction: draws its id and our chain,
    /// records every device of the `members` users (and our own other
    /// devices) as members — each user needs a device list with confirmed
    /// keys ([`StoreError::NoDeviceList`], [`StoreError::Device`]) — saves
    /// the state, encrypts the chain for each of those devices over its
    /// current session (the distributions: [`StoreError::NoSession`] names
    /// a device without one) and queues them in the outbox, then commits.
    ///
    /// Tell the members the group's id (and, for a group, its member
    /// list) in a message of yours: each joins with
    /// [`join_group`](Self::join_group); a channel's subscribers need
    /// nothing, the distribution makes them subscribers. On error nothing
    /// changed.
    pub fn create_group<R: sealwire::rand_core::CryptoRng + ?Sized>(
        &mut self,
        me: &DeviceAddress,
        rng: &mut R,
        now: Timestamp,
        mode: GroupMode,
        members: &[&str],
    ) -> Result<GroupUpdate, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let us = our_identity_key(&self.codec, &tx)?;
        let record = members_of(&tx, &self.codec, me, members)?;
        let keys = record.keys();
        let (state, dist, id) = match mode {
            GroupMode::Channel => {
                let (s, d) = ChannelOwner::create(rng, now, us, &keys)?;
                let id = s.id();
                (GroupStateKind::Owner(s), d, id)
            }
            _ => {
                let (s, d) = Group::create(rng, now, us, &keys)?;
                let id = s.id();
                (GroupStateKind::Member(s), d, id)
            }
        };
        let row = GroupRow {
            id,
            joined: true,
            state,
            members: record,
        };
        group_rows::save_group(&tx, &mut self.codec, &row)?;
        let distributions =
            Self::distribute(&tx, &mut self.codec, rng, now, me, &dist, &row.members)?;
        tx.commit()?;
        Ok(GroupUpdate {
            group: id,
            distributions,
        })
    }

    /// Joins the group `id` that another member created (every member of
    /// a group runs its own side, with its own chain), with the member
    /// list the creator told us (users; our own user's other devices are
    /// added), in one transaction: creates our side, or completes the one
    /// a distribution received before created (its senders not in the
    /// list are dropped), distributes our chain to every member device
    /// like [`create_group`](Self::create_group) and commits.
    /// [`StoreError::GroupExists`] if we created or joined it already; on
    /// error nothing changed.
    pub fn join_group<R: sealwire::rand_core::CryptoRng + ?Sized>(
        &mut self,
        me: &DeviceAddress,
        rng: &mut R,
        now: Timestamp,
        id: GroupId,
        members: &[&str],
    ) -> Result<GroupUpdate, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let us = our_identity_key(&self.codec, &tx)?;
        let record = members_of(&tx, &self.codec, me, members)?;
        let keys = record.keys();
        let (state, dist) = match group_rows::load_group(&tx, &self.codec, &id)? {
            None => Group::create_with_id(rng, now, id, us, &keys)?,
            Some(GroupRow { joined: true, .. }) => return Err(StoreError::GroupExists(id)),
            Some(GroupRow {
                state: GroupStateKind::Member(mut s),
                ..
            }) => {
                for old in s.members() {
                    if !keys.contains(&old) {
                        // Nothing was distributed from this side yet: the
                        // rotation's chain is replaced below.
                        s.remove_member(rng, now, &old)?;
                    }
                }
                let held = s.members();
                for key in &keys {
                    if !held.contains(key) {
                        s.add_member(*key)?;
                    }
                }
                let dist = s.rotate(rng, now);
                (s, dist)
            }
            Some(_) => return Err(StoreError::WrongRole(id)),
        };
        let row = GroupRow {
            id,
            joined: true,
            state: GroupStateKind::Member(state),
            members: record,
        };
        group_rows::save_group(&tx, &mut self.codec, &row)?;
        let distributions =
            Self::distribute(&tx, &mut self.codec, rng, now, me, &dist, &row.members)?;
        tx.commit()?;
        Ok(GroupUpdate {
            group: id,
            distributions,
        })
    }

    /// Adds every device of `user` that is not a member yet (a new member,
    /// or a member's new device: call it again when a member's device
    /// list grows), in one transaction: each gets our current chain, from
    /// its current position (earlier posts stay unreadable to it),
    /// encrypted and queued like [`create_group`](Self::create_group)'s.
    /// [`StoreError::Group`] with [`GroupError::AlreadyMember`] if every
    /// device is a member already. Our role must post (member or owner:
    /// else [`StoreError::WrongRole`]) and the group be joined.
    pub fn add_group_member<R: sealwire::rand_core::CryptoRng + ?Sized>(
        &mut self,
        me: &DeviceAddress,
        rng: &mut R,
        now: Timestamp,
        group: &GroupId,
        user: &str,
    ) -> Result<GroupUpdate, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut row = Self::load_group_row(&tx, &self.codec, group)?;
        if !row.joined {
            return Err(StoreError::NotJoined(*group));
        }
        let keys = user_keys(&tx, &self.codec, me, user)?;
        let mut dists = Vec::new();
        for key in keys {
            let added = match &mut row.state {
                GroupStateKind::Member(s) => s.add_member(key),
                GroupStateKind::Owner(s) => s.add_member(key),
                GroupStateKind::Subscriber(_) => return Err(StoreError::WrongRole(*group)),
            };
            match added {
                Ok(d) => {
                    row.members.add(user, key);
                    dists.push(d);
                }
                Err(GroupError::AlreadyMember) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if dists.is_empty() {
            return Err(GroupError::AlreadyMember.into());
        }
        group_rows::save_group(&tx, &mut self.codec, &row)?;
        let mut distributions = Vec::new();
        for d in &dists {
            distributions.extend(Self::distribute(
                &tx,
                &mut self.codec,
                rng,
                now,
                me,
                d,
                &row.members,
            )?);
        }
        tx.commit()?;
        Ok(GroupUpdate {
            group: *group,
            distributions,
        })
    }

    /// Removes `user` (every device key recorded for it), in one
    /// transaction: its chains are forgotten, our chain is rotated and the
    /// new one encrypted for every remaining member device and queued, so
    /// that the removed user reads none of our later posts.
    /// [`StoreError::Group`] with [`GroupError::UnknownMember`] if the
    /// user is not a member. Our role must post and the group be joined.
    pub fn remove_group_member<R: sealwire::rand_core::CryptoRng + ?Sized>(
        &mut self,
        me: &DeviceAddress,
        rng: &mut R,
        now: Timestamp,
        group: &GroupId,
        user: &str,
    ) -> Result<GroupUpdate, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut row = Self::load_group_row(&tx, &self.codec, group)?;
        if !row.joined {
            return Err(StoreError::NotJoined(*group));
        }
        let keys = row
            .members
            .remove_user(user)
            .ok_or(StoreError::Group(GroupError::UnknownMember))?;
        let mut last = None;
        for key in &keys {
            let removed = match &mut row.state {
                GroupStateKind::Member(s) => s.remove_member(rng, now, key),
                GroupStateKind::Owner(s) => s.remove_member(rng, now, key),
                GroupStateKind::Subscriber(_) => return Err(StoreError::WrongRole(*group)),
            };
            match removed {
                Ok(d) => last = Some(d),
                Err(GroupError::UnknownMember) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let dist = match last {
            Some(d) => d,
            None => return Err(GroupError::UnknownMember.into()),
        };
        group_rows::save_group(&tx, &mut self.codec, &row)?;
        let distributions =
            Self::distribute(&tx, &mut self.codec, rng, now, me, &dist, &row.members)?;
        tx.commit()?;
        Ok(GroupUpdate {
            group: *group,
            distributions,
        })
    }

    /// Posts a user message to `group`, in one transaction: seals the post
    /// (the chain steps: if the rotation policy starts a new chain, its
    /// distributions are encrypted and queued), saves the new group state,
    /// stores the message row (sealed) and the post in `group_outbox`, and
    /// commits. Only then are the bytes handed out, so a crash never
    /// re-uses a post key: after one, broadcast
    /// [`pending_group_posts`](Self::pending_group_posts) as they are.
    pub fn post_group<R: sealwire::rand_core::CryptoRng + ?Sized>(
        &mut self,
        me: &DeviceAddress,
        rng: &mut R,
        now: Timestamp,
        group: &GroupId,
        body: &[u8],
    ) -> Result<GroupPost, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut row = Self::load_group_row(&tx, &self.codec, group)?;
        if !row.joined {
            return Err(StoreError::NotJoined(*group));
        }
        let (post, policy) = match &mut row.state {
            GroupStateKind::Member(s) => (s.post(rng, now, body)?, s.timer().policy),
            GroupStateKind::Owner(s) => (s.post(rng, now, body)?, s.timer().policy),
            GroupStateKind::Subscriber(_) => return Err(StoreError::WrongRole(*group)),
        };
        group_rows::save_group(&tx, &mut self.codec, &row)?;
        let distributions = match &post.rotation {
            Some(d) => Self::distribute(&tx, &mut self.codec, rng, now, me, d, &row.members)?,
            None => Vec::new(),
        };
        let row_id = group_rows::insert_group_message(
            &tx,
            &mut self.codec,
            &NewGroupMessage {
                group,
                direction: Direction::Out,
                sender: None,
                content_type: ContentType::UserMessage,
                sent_at: now,
                received_at: None,
                expires_at: outgoing_expiry(policy, now),
                read_ttl_ms: None,
                read: true,
                body,
            },
        )?;
        let post_id = group_rows::insert_group_outbox(&tx, group, Some(row_id), &post.bytes, now)?;
        tx.commit()?;
        Ok(GroupPost {
            row_id,
            post_id,
            bytes: post.bytes,
            distributions,
        })
    }

    /// Receives a post (routed by the group id in its header), in one
    /// transaction: verifies and opens it with the group's state (a
    /// member's or a subscriber's: a channel owner receives nothing,
    /// [`StoreError::WrongRole`]), stores the message row (sealed; not for
    /// a timer change or a post past its deadline) and the new state,
    /// commits. A post received before is
    /// [`GroupReceiveOutcome::Duplicate`] and changes nothing; any other
    /// failure ([`StoreError::Group`]: a forgery, a chain not distributed
    /// to us yet, [`StoreError::NoGroup`]) changes nothing either.
    ///
    /// A post of a group we were invited to (a distribution arrived) but
    /// have not joined is refused with [`StoreError::NotJoined`], nothing
    /// changed: until [`join_group`](Self::join_group) names the members,
    /// the sender of any distribution for the id is held as one, so a
    /// post could come from anyone who learnt the id (the relay sees it
    /// in every post). Keep such a post (like one whose chain has not
    /// arrived yet, [`GroupError::UnknownChain`]) and hand it again once
    /// joined: then only the members' posts open. A channel's subscriber
    /// never joins; its posts are the owner's, received at once.
    pub fn receive_group(
        &mut self,
        now: Timestamp,
        post: &[u8],
    ) -> Result<GroupReceiveOutcome, StoreError> {
        let header = parse_post_header(post)?;
        let group = header.group_id;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut row = Self::load_group_row(&tx, &self.codec, &group)?;
        if !row.joined && matches!(row.state, GroupStateKind::Member(_)) {
            // Before `join_group` every sender of a distribution is held
            // as a member (we do not know the member list yet): a post
            // opened now could come from anyone who learnt the group's id.
            // The app keeps it and hands it again once joined.
            return Err(StoreError::NotJoined(group));
        }
        let opened = match &mut row.state {
            GroupStateKind::Member(s) => s.receive_post(now, post),
            GroupStateKind::Subscriber(s) => s.receive_post(now, post),
            GroupStateKind::Owner(_) => return Err(StoreError::WrongRole(group)),
        };
        let received = match opened {
            Ok(r) => r,
            Err(GroupError::DuplicatePost) => return Ok(GroupReceiveOutcome::Duplicate),
            Err(e) => return Err(e.into()),
        };
        let storable = matches!(
            received.content_type,
            ContentType::UserMessage | ContentType::Receipt
        );
        let row_id = match incoming_expiry(received.expiry).filter(|_| storable) {
            Some((expires_at, read_ttl_ms)) => Some(group_rows::insert_group_message(
                &tx,
                &mut self.codec,
                &NewGroupMessage {
                    group: &group,
                    direction: Direction::In,
                    sender: Some(&received.sender),
                    content_type: received.content_type,
                    sent_at: received.sent_at,
                    received_at: Some(now),
                    expires_at,
                    read_ttl_ms,
                    read: false,
                    body: &received.plaintext,
                },
            )?),
            None => None,
        };
        group_rows::save_group(&tx, &mut self.codec, &row)?;
        tx.commit()?;
        Ok(match row_id {
            Some(row_id) => GroupReceiveOutcome::Stored { row_id, received },
            None => GroupReceiveOutcome::NotStored { received },
        })
    }

    /// Every stored group and channel, by id.
    pub fn groups(&self) -> Result<Vec<GroupInfo>, StoreError> {
        let mut out = Vec::new();
        for id in group_rows::group_ids(&self.conn)? {
            out.push(Self::load_group_row(&self.conn, &self.codec, &id)?.info());
        }
        Ok(out)
    }

    /// One stored group or channel.
    pub fn group(&self, id: &GroupId) -> Result<Option<GroupInfo>, StoreError> {
        Ok(group_rows::load_group(&self.conn, &self.codec, id)?.map(|row| row.info()))
    }

    /// The messages of `group`, oldest first.
    pub fn group_messages(&self, group: &GroupId) -> Result<Vec<GroupMessage>, StoreError> {
        let row = Self::load_group_row(&self.conn, &self.codec, group)?;
        group_rows::group_messages(&self.conn, &self.codec, group, &row.members)
    }

    /// Posts of `group` not yet acknowledged, oldest first: broadcast them
    /// again as they are.
    pub fn pending_group_posts(&self, group: &GroupId) -> Result<Vec<GroupPostEntry>, StoreError> {
        group_rows::group_outbox(&self.conn, group)
    }

    /// The server took this post: deletes its `group_outbox` row. Returns
    /// whether there was one.
    pub fn mark_group_post_delivered(&mut self, post_id: i64) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute("DELETE FROM group_outbox WHERE id = ?1", [post_id])?;
        Ok(n > 0)
    }

    /// Deletes a group: its state (and with it every key it holds), its
    /// messages and its queued posts. Returns whether it existed.
    pub fn leave_group(&mut self, group: &GroupId) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "DELETE FROM groups WHERE id = ?1",
            [group.as_bytes().as_slice()],
        )?;
        Ok(n > 0)
    }
}

/// Hands a key distribution received over the session with `from` to the
/// group it names, inside the caller's transaction (the one that commits
/// the session step): accepted into the stored group, or into a new one
/// (not joined) if none is stored; refused without a change otherwise.
pub(crate) fn take_distribution(
    conn: &Connection,
    codec: &mut BlobCodec,
    from: &DeviceAddress,
    now: Timestamp,
    received: &Received,
) -> Result<(Option<GroupId>, DistributionOutcome), StoreError> {
    let id = match distribution_group_id(&received.plaintext) {
        Ok(id) => id,
        Err(e) => return Ok((None, DistributionOutcome::Refused(e))),
    };
    let sender = received.sender;
    let (mut row, invited) = match group_rows::load_group(conn, codec, &id)? {
        Some(row) => (row, false),
        None => {
            let us = our_identity_key(codec, conn)?;
            let channel = received
                .plaintext
                .get(1)
                .is_some_and(|f| f & DISTRIBUTION_FLAG_CHANNEL != 0);
            let state = if channel {
                GroupStateKind::Subscriber(ChannelSubscriber::new(id, us, sender))
            } else {
                let mut rng = sealwire::os_rng();
                match Group::create_with_id(&mut rng, now, id, us, &[sender]) {
                    Ok((s, _)) => GroupStateKind::Member(s),
                    Err(e) => return Ok((Some(id), DistributionOutcome::Refused(e))),
                }
            };
            let mut members = Members::default();
            members.add(from.name(), sender);
            let row = GroupRow {
                id,
                joined: false,
                state,
                members,
            };
            (row, true)
        }
    };
    let accepted = match &mut row.state {
        GroupStateKind::Member(s) => {
            if !row.joined && !s.members().contains(&sender) {
                // Not joined yet: every sender is taken in; joining keeps
                // only the members the creator named.
                if let Err(e) = s.add_member(sender) {
                    return Ok((Some(id), DistributionOutcome::Refused(e)));
                }
                row.members.add(from.name(), sender);
            }
            s.accept_distribution(now, received)
        }
        GroupStateKind::Subscriber(s) => s.accept_distribution(now, received),
        GroupStateKind::Owner(_) => Err(GroupError::NotAMember),
    };
    match accepted {
        Ok(new_chain) => {
            group_rows::save_group(conn, codec, &row)?;
            Ok((
                Some(id),
                DistributionOutcome::Accepted { new_chain, invited },
            ))
        }
        Err(e) => Ok((Some(id), DistributionOutcome::Refused(e))),
    }
}

/// Erases, in every group a member or subscriber holds, the skipped post
/// keys and superseded chains past their retention at `now`; returns how
/// many groups changed.
pub(crate) fn erase_expired_group_keys(
    conn: &Connection,
    codec: &mut BlobCodec,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let mut changed = 0usize;
    for id in group_rows::group_ids(conn)? {
        let Some(mut row) = group_rows::load_group(conn, codec, &id)? else {
            continue;
        };
        let due = match &mut row.state {
            GroupStateKind::Member(s) => erase_if_due(s, now),
            GroupStateKind::Subscriber(s) => erase_if_due(s, now),
            GroupStateKind::Owner(_) => false,
        };
        if due {
            group_rows::save_group(conn, codec, &row)?;
            changed = changed.saturating_add(1);
        }
    }
    Ok(changed)
}

fn erase_if_due<R: sealwire::group::Receives>(
    s: &mut sealwire::group::GroupState<R>,
    now: Timestamp,
) -> bool {
    if s.next_key_erasure().is_some_and(|t| t <= now) {
        s.erase_expired_keys(now);
        true
    } else {
        false
    }
}

/// The earliest group key erasure due, over every group.
pub(crate) fn next_group_key_erasure(
    conn: &Connection,
    codec: &BlobCodec,
) -> Result<Option<Timestamp>, StoreError> {
    let mut next: Option<Timestamp> = None;
    for id in group_rows::group_ids(conn)? {
        let Some(row) = group_rows::load_group(conn, codec, &id)? else {
            continue;
        };
        let t = match &row.state {
            GroupStateKind::Member(s) => s.next_key_erasure(),
            GroupStateKind::Subscriber(s) => s.next_key_erasure(),
            GroupStateKind::Owner(_) => None,
        };
        next = match (next, t) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(next)
}
