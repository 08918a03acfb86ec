//! Group conversations (`/group`, `/g`): sealwire's sender-key groups
//! (SPEC.md §20) kept in the device's store (`sealwire-sqlite`), with
//! their names in the chat's own table.
//!
//! - The creator's `create_group` queues its chain for every member device
//!   in the outbox; the chain goes out as ordinary message frames (acked,
//!   retransmitted on the device's next hello). Then an *invitation* goes
//!   to the same devices over the same sessions: an app message (content
//!   type `UserMessage`, never shown as text) naming the group's id, its
//!   name and its member users. A device that gets it joins with that
//!   member list (`join_group`), which sends its own chain to every member
//!   device; until then the store refuses the group's posts
//!   (`StoreError::NotJoined`), so that no one who merely learnt the id
//!   can slip posts in.
//! - A post is committed by `post_group` (sealed row, queued in the group
//!   outbox) before its bytes go to the listener in a group post frame;
//!   the listener relays it to every other device and acknowledges it
//!   (`mark_group_post_delivered`). Posts not acknowledged are sent again
//!   on reconnecting (`pending_group_posts`).
//! - A post that cannot be read yet (its group's invitation or its
//!   sender's chain has not arrived, or we have not joined) is kept in
//!   memory and tried again after each chain received and each join.
//! - `/group remove <user>` removes the user on this device (our chain is
//!   rotated: the new one goes to the remaining members only) and sends a
//!   *removal* app message to the remaining members' devices, each of
//!   which removes the user on its side; so the removed user reads none of
//!   the later posts. `/group leave` sends the removal of our own user to
//!   the others, then deletes the group here. The removed user is not
//!   told.

use rusqlite::OptionalExtension;
use sealwire::group::{GroupError, GroupId, GroupMode};
use sealwire::{DeviceAddress, Timestamp};
use sealwire_sqlite::{
    Direction, DistributionOutcome, GroupMessage, GroupReceiveOutcome, OutboxEntry, StoreError,
};

use crate::commands::{GroupCommand, valid_group_name};
use crate::frame::{self, FrameType};
use crate::{Chat, Error, Role, clock, dev};

/// The chat's table of group names (a name is local: the creator's
/// choice, carried in the invitation).
pub(crate) const GROUPS_TABLE: &str = "CREATE TABLE IF NOT EXISTS chat_groups (
    id   BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL
) STRICT";

/// First character of an app message that is not text (an invitation or
/// a removal); a typed line cannot start with it.
pub(crate) const CONTROL: char = '\u{1}';
const INVITE: &str = "\u{1}sealwire-chat group invite v1";
const REMOVE: &str = "\u{1}sealwire-chat group remove v1";
/// Posts kept until they can be read (oldest dropped beyond).
const MAX_HELD_POSTS: usize = 1000;
/// Posts the listener keeps for a device that is away.
const MAX_RELAY_QUEUE: usize = 1000;

/// An app message about a group, sent over the 1:1 sessions.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Control {
    /// `INVITE \n id hex \n name \n user user...`: join this group.
    Invite {
        id: GroupId,
        name: String,
        members: Vec<String>,
    },
    /// `REMOVE \n id hex \n user`: `user` is no longer a member.
    Remove { id: GroupId, user: String },
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex16(s: &str) -> Option<[u8; 16]> {
    if s.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl Control {
    pub(crate) fn encode(&self) -> String {
        match self {
            Self::Invite { id, name, members } => format!(
                "{INVITE}\n{}\n{name}\n{}",
                hex(id.as_bytes()),
                members.join(" ")
            ),
            Self::Remove { id, user } => format!("{REMOVE}\n{}\n{user}", hex(id.as_bytes())),
        }
    }

    /// The control message in a body, if it is one (`Some(Err)`: one that
    /// does not parse).
    pub(crate) fn decode(body: &[u8]) -> Option<Result<Self, &'static str>> {
        let text = std::str::from_utf8(body).ok()?;
        if !text.starts_with(CONTROL) {
            return None;
        }
        let lines: Vec<&str> = text.split('\n').collect();
        let id = || {
            lines
                .get(1)
                .and_then(|l| unhex16(l))
                .map(GroupId::from_bytes)
                .ok_or("a group message without a valid group id")
        };
        Some(match lines.as_slice() {
            [INVITE, _, name, members] => (|| {
                let members: Vec<String> = members.split(' ').map(str::to_owned).collect();
                if !valid_group_name(name) || members.iter().any(|m| !frame::valid_name(m)) {
                    return Err("a group invitation with a bad name");
                }
                Ok(Self::Invite {
                    id: id()?,
                    name: (*name).to_owned(),
                    members,
                })
            })(),
            [REMOVE, _, user] if frame::valid_name(user) => id().map(|id| Self::Remove {
                id,
                user: (*user).to_owned(),
            }),
            _ => Err("an app message of an unknown kind"),
        })
    }
}

/// Whether a stored 1:1 body is a control message (not shown as text).
pub(crate) fn is_control(body: &[u8]) -> bool {
    body.first() == Some(&1)
}

impl Chat {
    /// The group's name here (its id's first bytes if it has none).
    pub(crate) fn group_name(&self, id: &GroupId) -> String {
        self.store
            .connection()
            .query_row(
                "SELECT name FROM chat_groups WHERE id = ?1",
                [id.as_bytes().as_slice()],
                |row| row.get(0),
            )
            .optional()
            .ok()
            .flatten()
            .unwrap_or_else(|| hex(&id.as_bytes()[..4]))
    }

    fn name_group(&self, id: &GroupId, name: &str) -> Result<(), Error> {
        self.store.connection().execute(
            "INSERT INTO chat_groups (id, name) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name",
            rusqlite::params![id.as_bytes().as_slice(), name],
        )?;
        Ok(())
    }

    /// The group named `name` (the latest of that name).
    fn group_named(&self, name: &str) -> Result<Option<GroupId>, Error> {
        let id: Option<Vec<u8>> = self
            .store
            .connection()
            .query_row(
                "SELECT id FROM chat_groups WHERE name = ?1 ORDER BY rowid DESC LIMIT 1",
                [name],
                |row| row.get(0),
            )
            .optional()?;
        Ok(id
            .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
            .map(GroupId::from_bytes))
    }

    /// The group `/g` posts to at start: the last one named here that the
    /// store holds.
    pub(crate) fn latest_group(&self) -> Result<Option<GroupId>, Error> {
        let ids: Vec<Vec<u8>> = self
            .store
            .connection()
            .prepare("SELECT id FROM chat_groups ORDER BY rowid DESC")?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        for bytes in ids {
            if let Ok(b) = <[u8; 16]>::try_from(bytes.as_slice()) {
                let id = GroupId::from_bytes(b);
                if self.store.group(&id)?.is_some() {
                    return Ok(Some(id));
                }
            }
        }
        Ok(None)
    }

    fn current_group(&self) -> Option<GroupId> {
        let id = self.group;
        if id.is_none() {
            println!("* no current group: /group create <name> <user>... or /group use <name>");
        }
        id
    }

    pub(crate) fn on_group_command(&mut self, command: GroupCommand) -> Result<(), Error> {
        match command {
            GroupCommand::Create { name, users } => self.create(&name, &users),
            GroupCommand::Use(name) => {
                match self.group_named(&name)? {
                    Some(id) if self.store.group(&id)?.is_some() => {
                        self.group = Some(id);
                        println!("* posting to #{name}");
                    }
                    _ => println!("* no group #{name} (/group list)"),
                }
                Ok(())
            }
            GroupCommand::Say(text) => self.post(&text),
            GroupCommand::List => self.list(),
            GroupCommand::History(n) => match self.current_group() {
                Some(id) => self.group_history(&id, n),
                None => Ok(()),
            },
            GroupCommand::Add(user) => self.add(&user),
            GroupCommand::Remove(user) => self.remove(&user),
            GroupCommand::Leave => self.leave(),
        }
    }

    /// Every device of `users` but this one, with a session started
    /// where a bundle allows.
    fn devices_of(&mut self, users: &[String]) -> Result<Vec<DeviceAddress>, Error> {
        let mut out = Vec::new();
        for user in users {
            let Some(list) =
                sealwire::store::DeviceListStorage::load_device_list(&self.store, user)?
            else {
                continue;
            };
            for (d, key) in list.devices() {
                let a = list.address(d);
                if a != self.me {
                    let key = *key;
                    self.ensure_session(&a, &key)?;
                    out.push(a);
                }
            }
        }
        Ok(out)
    }

    /// Sends a control message to every device of `users` over its 1:1
    /// session (stored and queued like any message: acked, retransmitted).
    fn send_control(&mut self, users: &[String], control: &Control) -> Result<(), Error> {
        let body = control.encode();
        for a in self.devices_of(users)? {
            match self
                .store
                .send(&a, &mut self.rng, Timestamp::now(), body.as_bytes())
            {
                Ok(out) => self.transmit_raw(&a, out.outbox_id, &out.ciphertext),
                Err(StoreError::NoSession(_)) => {
                    println!("* no session with {} yet: it is not told", dev(&a));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn transmit_all(&mut self, entries: &[OutboxEntry]) {
        for e in entries {
            self.transmit(e);
        }
    }

    fn create(&mut self, name: &str, users: &[String]) -> Result<(), Error> {
        let mut members = vec![self.me.name().to_owned()];
        for u in users {
            if !members.contains(u) {
                members.push(u.clone());
            }
        }
        // Sessions with every member device first (from their bundles).
        self.devices_of(&members)?;
        let refs: Vec<&str> = members.iter().map(String::as_str).collect();
        let me = self.me.clone();
        let created = match self.store.create_group(
            &me,
            &mut self.rng,
            Timestamp::now(),
            GroupMode::Group,
            &refs,
        ) {
            Ok(created) => created,
            Err(e @ (StoreError::NoDeviceList(_) | StoreError::NoSession(_))) => {
                println!("* group not created: {e} (has every user connected once?)");
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        self.name_group(&created.group, name)?;
        self.group = Some(created.group);
        self.transmit_all(&created.distributions);
        let invite = Control::Invite {
            id: created.group,
            name: name.to_owned(),
            members: members.clone(),
        };
        self.send_control(&members, &invite)?;
        println!(
            "* group #{name} created with {}; /g <text> posts to it",
            members.join(", ")
        );
        Ok(())
    }

    fn list(&self) -> Result<(), Error> {
        let groups = self.store.groups()?;
        if groups.is_empty() {
            println!("* no groups");
        }
        for g in groups {
            let mark = if Some(g.id) == self.group {
                " (current)"
            } else {
                ""
            };
            let joined = if g.joined { "" } else { ", not joined yet" };
            println!(
                "* #{}{mark}: {}{joined}",
                self.group_name(&g.id),
                g.members.join(", ")
            );
        }
        Ok(())
    }

    fn print_group_message(&self, name: &str, m: &GroupMessage) {
        let who = match (m.direction, m.sender_user.as_deref()) {
            (Direction::Out, _) => "you".to_owned(),
            (Direction::In, Some(u)) if u == self.me.name() => "you (other device)".to_owned(),
            (Direction::In, Some(u)) => u.to_owned(),
            (Direction::In, None) => "a former member".to_owned(),
        };
        println!(
            "[{}] #{name} {who}: {}",
            clock(m.received_at.unwrap_or(m.sent_at)),
            String::from_utf8_lossy(&m.body)
        );
    }

    fn group_history(&self, id: &GroupId, n: usize) -> Result<(), Error> {
        let name = self.group_name(id);
        let mut msgs = self.store.group_messages(id)?;
        let skip = msgs.len().saturating_sub(n);
        msgs.drain(..skip);
        if msgs.is_empty() {
            println!("* no messages in #{name} yet");
        } else {
            println!("* last {} message(s) of #{name}:", msgs.len());
        }
        for m in &msgs {
            self.print_group_message(&name, m);
        }
        Ok(())
    }

    /// `/g <text>`: committed (sealed row, group outbox) before the bytes
    /// go out.
    pub(crate) fn post(&mut self, text: &str) -> Result<(), Error> {
        let Some(id) = self.current_group() else {
            return Ok(());
        };
        let me = self.me.clone();
        let post =
            match self
                .store
                .post_group(&me, &mut self.rng, Timestamp::now(), &id, text.as_bytes())
            {
                Ok(post) => post,
                Err(e @ (StoreError::NotJoined(_) | StoreError::NoGroup(_))) => {
                    println!("* not posted: {e}");
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            };
        self.transmit_all(&post.distributions);
        let name = self.group_name(&id);
        println!("[{}] #{name} you: {text}", clock(Timestamp::now()));
        self.broadcast(post.post_id, &post.bytes)
    }

    /// Sends a post of ours: to the listener, or (listening) to every
    /// device, after which it counts as delivered.
    fn broadcast(&mut self, post_id: i64, bytes: &[u8]) -> Result<(), Error> {
        let payload = frame::group_post(&self.me, post_id, bytes);
        match self.role {
            Role::Connect => {
                let me = self.me.clone();
                self.send_to(&me, FrameType::GroupPost, &payload);
            }
            Role::Listen => {
                let me = self.me.clone();
                self.relay(&me, &payload)?;
                self.store.mark_group_post_delivered(post_id)?;
            }
        }
        Ok(())
    }

    /// Re-sends every post not acknowledged (after connecting).
    pub(crate) fn flush_group_posts(&mut self) -> Result<(), Error> {
        for g in self.store.groups()? {
            for entry in self.store.pending_group_posts(&g.id)? {
                let payload = frame::group_post(&self.me, entry.id, &entry.bytes);
                let me = self.me.clone();
                self.send_to(&me, FrameType::GroupPost, &payload);
            }
        }
        Ok(())
    }

    /// Listening: hands a group post frame (from `from`) to every other
    /// device connected, and keeps it for the known devices away.
    fn relay(&mut self, from: &DeviceAddress, payload: &[u8]) -> Result<(), Error> {
        let mut online = Vec::new();
        for link in self.links.values_mut() {
            if let (Some(d), Some(_)) = (&link.device, &link.hello) {
                online.push(d.clone());
                if d != from
                    && frame::write_frame(&mut link.stream, FrameType::GroupPost, payload).is_err()
                {
                    let _ = link.stream.shutdown(std::net::Shutdown::Both);
                }
            }
        }
        let known: Vec<(String, u32)> = self
            .store
            .connection()
            .prepare("SELECT name, device FROM chat_bundles")?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (name, device) in known {
            let a = DeviceAddress::new(name, device);
            if &a != from && a != self.me && !online.contains(&a) {
                let queue = self.relay_queue.entry(a).or_default();
                if queue.len() >= MAX_RELAY_QUEUE {
                    queue.remove(0);
                }
                queue.push(payload.to_vec());
            }
        }
        Ok(())
    }

    /// Listening: the posts kept for `device` while it was away.
    pub(crate) fn flush_relay_queue(&mut self, device: &DeviceAddress) {
        if let Some(queue) = self.relay_queue.remove(device) {
            for payload in queue {
                self.send_to(device, FrameType::GroupPost, &payload);
            }
        }
    }

    /// A group post frame from link `link_id`: relayed (listening) and
    /// acknowledged, then received.
    pub(crate) fn on_group_post(
        &mut self,
        link_id: u64,
        payload: &[u8],
        from: &DeviceAddress,
        post_id: i64,
        post: &[u8],
    ) -> Result<(), Error> {
        if self.role == Role::Listen {
            let sender = self.links.get(&link_id).and_then(|l| l.device.clone());
            if sender.as_ref() != Some(from) {
                let why = format!("it claims to be from {}", dev(from));
                self.dropped(link_id, &why);
                return Ok(());
            }
            self.relay(from, payload)?;
            if let Some(link) = self.links.get_mut(&link_id) {
                let _ = frame::write_frame(
                    &mut link.stream,
                    FrameType::GroupAck,
                    &frame::group_ack(post_id),
                );
            }
        }
        self.receive_post(post, true)?;
        Ok(())
    }

    /// Receives a post; returns whether it is settled (stored, a
    /// duplicate, or refused for good) rather than kept for later.
    fn receive_post(&mut self, post: &[u8], first: bool) -> Result<bool, Error> {
        let now = Timestamp::now();
        match self.store.receive_group(now, post) {
            Ok(GroupReceiveOutcome::Stored { row_id, received }) => {
                let id = sealwire::group::parse_post_header(post)?.group_id;
                let name = self.group_name(&id);
                let shown = self
                    .store
                    .group_messages(&id)?
                    .into_iter()
                    .rev()
                    .find(|m| m.id == row_id);
                match shown {
                    Some(m) => self.print_group_message(&name, &m),
                    None => println!("* #{name}: a post of {} bytes", received.plaintext.len()),
                }
                Ok(true)
            }
            Ok(_) => Ok(true),
            Err(
                e @ (StoreError::NoGroup(_)
                | StoreError::NotJoined(_)
                | StoreError::Group(GroupError::UnknownChain)),
            ) => {
                if first {
                    if let StoreError::NoGroup(_) = e {
                        // Not ours, or its invitation is on its way.
                    } else {
                        let id = sealwire::group::parse_post_header(post)?.group_id;
                        println!(
                            "* a post of #{} cannot be read yet ({e}): kept",
                            self.group_name(&id)
                        );
                    }
                    if self.held_posts.len() >= MAX_HELD_POSTS {
                        self.held_posts.remove(0);
                    }
                    self.held_posts.push(post.to_vec());
                }
                Ok(false)
            }
            Err(e) => {
                println!("* dropped a group post: {e}");
                Ok(true)
            }
        }
    }

    /// Tries the kept posts again (after a chain arrived or a join).
    fn retry_held_posts(&mut self) -> Result<(), Error> {
        let held = std::mem::take(&mut self.held_posts);
        for (i, post) in held.iter().enumerate() {
            match self.receive_post(post, false) {
                Ok(true) => {}
                Ok(false) => self.held_posts.push(post.clone()),
                Err(e) => {
                    self.held_posts.extend(held.iter().skip(i).cloned());
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// A chain received over a 1:1 session (`ReceiveOutcome::GroupKey`).
    pub(crate) fn on_group_key(
        &mut self,
        from: &DeviceAddress,
        group: Option<GroupId>,
        outcome: &DistributionOutcome,
    ) -> Result<(), Error> {
        match outcome {
            DistributionOutcome::Accepted { .. } => self.retry_held_posts(),
            DistributionOutcome::Refused(e) => {
                let name = group.map_or_else(|| "?".to_owned(), |id| self.group_name(&id));
                println!("* refused a group key from {} for #{name}: {e}", dev(from));
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A control message from `from` (a stored 1:1 message, not shown).
    pub(crate) fn on_control(&mut self, from: &DeviceAddress, body: &[u8]) -> Result<(), Error> {
        match Control::decode(body) {
            Some(Ok(Control::Invite { id, name, members })) => {
                self.pending_invites
                    .retain(|(_, i)| !matches!(i, Control::Invite { id: j, .. } if *j == id));
                self.on_invite(from, id, &name, &members)
            }
            Some(Ok(Control::Remove { id, user })) => self.on_removal(from, &id, &user),
            Some(Err(why)) => {
                println!("* dropped {why} from {}", dev(from));
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn on_invite(
        &mut self,
        from: &DeviceAddress,
        id: GroupId,
        name: &str,
        members: &[String],
    ) -> Result<(), Error> {
        if !members.iter().any(|m| m == from.name()) || !members.iter().any(|m| m == self.me.name())
        {
            println!(
                "* dropped a group invitation from {}: not a member",
                dev(from)
            );
            return Ok(());
        }
        if let Some(info) = self.store.group(&id)?.filter(|g| g.joined) {
            // A member list from a member: the users we do not hold yet
            // were added (`/group add`): add them on our side too.
            let me = self.me.clone();
            for user in members {
                if *user == self.me.name() || info.members.contains(user) {
                    continue;
                }
                self.devices_of(std::slice::from_ref(user))?;
                match self
                    .store
                    .add_group_member(&me, &mut self.rng, Timestamp::now(), &id, user)
                {
                    Ok(update) => {
                        self.transmit_all(&update.distributions);
                        println!("* #{}: {} added {user}", self.group_name(&id), from.name());
                    }
                    Err(e) => println!("* #{}: {user} not added here: {e}", self.group_name(&id)),
                }
            }
            return Ok(());
        }
        let refs: Vec<&str> = members.iter().map(String::as_str).collect();
        self.devices_of(members)?;
        let me = self.me.clone();
        match self
            .store
            .join_group(&me, &mut self.rng, Timestamp::now(), id, &refs)
        {
            Ok(joined) => {
                self.name_group(&id, name)?;
                self.transmit_all(&joined.distributions);
                if self.group.is_none() {
                    self.group = Some(id);
                }
                println!(
                    "* {} added you to #{name} ({}); /group use {name}, then /g <text>",
                    dev(from),
                    members.join(", ")
                );
                self.retry_held_posts()
            }
            Err(e @ (StoreError::NoDeviceList(_) | StoreError::NoSession(_))) => {
                // A member we have not met yet: joined once it says hello.
                println!("* invited to #{name} by {}: waiting ({e})", dev(from));
                self.pending_invites.push((
                    from.clone(),
                    Control::Invite {
                        id,
                        name: name.to_owned(),
                        members: members.to_vec(),
                    },
                ));
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Invitations waiting for a member's device (after a hello).
    pub(crate) fn retry_invites(&mut self) -> Result<(), Error> {
        for (from, invite) in std::mem::take(&mut self.pending_invites) {
            if let Control::Invite { id, name, members } = invite {
                self.on_invite(&from, id, &name, &members)?;
            }
        }
        Ok(())
    }

    fn on_removal(&mut self, from: &DeviceAddress, id: &GroupId, user: &str) -> Result<(), Error> {
        let Some(info) = self.store.group(id)? else {
            return Ok(());
        };
        let name = self.group_name(id);
        if !info.joined || !info.members.iter().any(|m| m == from.name() || m == user) {
            println!(
                "* dropped a removal from {} for #{name}: not a member",
                dev(from)
            );
            return Ok(());
        }
        if user == self.me.name() && from.name() != user {
            // We are not told (see the module's documentation).
            return Ok(());
        }
        let me = self.me.clone();
        match self
            .store
            .remove_group_member(&me, &mut self.rng, Timestamp::now(), id, user)
        {
            Ok(update) => {
                self.transmit_all(&update.distributions);
                let by = if from.name() == user {
                    format!("{user} left")
                } else {
                    format!("{} removed {user}", from.name())
                };
                println!("* #{name}: {by}");
            }
            Err(StoreError::Group(GroupError::UnknownMember)) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    fn add(&mut self, user: &str) -> Result<(), Error> {
        let Some(id) = self.current_group() else {
            return Ok(());
        };
        self.devices_of(&[user.to_owned()])?;
        let me = self.me.clone();
        let update =
            match self
                .store
                .add_group_member(&me, &mut self.rng, Timestamp::now(), &id, user)
            {
                Ok(update) => update,
                Err(e) => {
                    println!("* {user} not added: {e}");
                    return Ok(());
                }
            };
        self.transmit_all(&update.distributions);
        let info = self.store.group(&id)?.ok_or("the group is gone")?;
        let name = self.group_name(&id);
        // Everyone gets the new member list: the newcomer joins, the
        // others add it on their side.
        let invite = Control::Invite {
            id,
            name: name.clone(),
            members: with_me(info.members.clone(), self.me.name()),
        };
        let everyone = with_me(info.members, self.me.name());
        self.send_control(&everyone, &invite)?;
        println!("* #{name}: added {user}");
        Ok(())
    }

    fn remove(&mut self, user: &str) -> Result<(), Error> {
        let Some(id) = self.current_group() else {
            return Ok(());
        };
        let me = self.me.clone();
        let update =
            match self
                .store
                .remove_group_member(&me, &mut self.rng, Timestamp::now(), &id, user)
            {
                Ok(update) => update,
                Err(e) => {
                    println!("* {user} not removed: {e}");
                    return Ok(());
                }
            };
        self.transmit_all(&update.distributions);
        let info = self.store.group(&id)?.ok_or("the group is gone")?;
        let others = with_me(info.members, self.me.name());
        let removal = Control::Remove {
            id,
            user: user.to_owned(),
        };
        self.send_control(&others, &removal)?;
        println!("* #{}: removed {user}", self.group_name(&id));
        Ok(())
    }

    fn leave(&mut self) -> Result<(), Error> {
        let Some(id) = self.current_group() else {
            return Ok(());
        };
        let info = self.store.group(&id)?.ok_or("the group is gone")?;
        let removal = Control::Remove {
            id,
            user: self.me.name().to_owned(),
        };
        let others: Vec<String> = info
            .members
            .into_iter()
            .filter(|m| m != self.me.name())
            .collect();
        self.send_control(&others, &removal)?;
        self.store.leave_group(&id)?;
        println!("* left #{}", self.group_name(&id));
        self.store.connection().execute(
            "DELETE FROM chat_groups WHERE id = ?1",
            [id.as_bytes().as_slice()],
        )?;
        self.group = self.latest_group()?;
        Ok(())
    }
}

/// `members` with our own user (whose other devices are members too).
fn with_me(mut members: Vec<String>, me: &str) -> Vec<String> {
    if !members.iter().any(|m| m == me) {
        members.push(me.to_owned());
    }
    members
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_messages_round_trip_and_bad_ones_are_named() {
        let id = GroupId::from_bytes([7; 16]);
        for c in [
            Control::Invite {
                id,
                name: "friends".into(),
                members: vec!["alice".into(), "bob".into()],
            },
            Control::Remove {
                id,
                user: "carol".into(),
            },
        ] {
            let body = c.encode();
            assert!(is_control(body.as_bytes()));
            assert_eq!(Control::decode(body.as_bytes()), Some(Ok(c)));
        }
        assert_eq!(Control::decode(b"hello"), None);
        assert_eq!(
            Control::decode(format!("{INVITE}\nzz\nfriends\nbob").as_bytes()),
            Some(Err("a group message without a valid group id"))
        );
        assert_eq!(
            Control::decode("\u{1}what".as_bytes()),
            Some(Err("an app message of an unknown kind"))
        );
    }
}
