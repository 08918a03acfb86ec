//! The rows of groups and channels: `groups` (a state blob and a sealed
//! member list), `group_messages` (sealed bodies) and `group_outbox`.

use rusqlite::{Connection, OptionalExtension, Row, params};
use sealwire::group::{ChannelOwner, ChannelSubscriber, Group, GroupError, GroupId};
use sealwire::{ContentType, IdentityKey, Timestamp};

use crate::codec::{BlobCodec, Slot, value_address};
use crate::error::StoreError;
use crate::rows::{
    content_type_from_sql, content_type_to_sql, next_row_id, optional_time, time_from_sql,
    time_to_sql,
};
use crate::types::{Direction, GroupInfo, GroupMessage, GroupPostEntry, GroupRole};

/// A group's state, in our role.
pub(crate) enum GroupStateKind {
    Member(Group),
    Owner(ChannelOwner),
    Subscriber(ChannelSubscriber),
}

impl GroupStateKind {
    pub(crate) fn role(&self) -> GroupRole {
        match self {
            Self::Member(_) => GroupRole::Member,
            Self::Owner(_) => GroupRole::Owner,
            Self::Subscriber(_) => GroupRole::Subscriber,
        }
    }
}

/// Who the group's members are, by user: each user's device keys that are
/// members (sealed in the row, so the file does not say who is in which
/// group).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Members(pub(crate) Vec<(String, Vec<IdentityKey>)>);

impl Members {
    /// `count u16 | (name_len u16 | name | keys u16 | key [32]...)...`.
    /// A user id is at most `MAX_USER_ID_LEN` (255) bytes and a user has at
    /// most `MAX_DEVICES_PER_USER` (32) devices, so only the count of users
    /// can pass its field: more than 65,535 users in one group is
    /// [`GroupError::GroupFull`] (a record that would not load back is
    /// never written).
    fn encode(&self) -> Result<Vec<u8>, StoreError> {
        let len16 = |n: usize| {
            u16::try_from(n)
                .map(u16::to_be_bytes)
                .map_err(|_| GroupError::GroupFull)
        };
        let mut out = Vec::new();
        out.extend_from_slice(&len16(self.0.len())?);
        for (user, keys) in &self.0 {
            out.extend_from_slice(&len16(user.len())?);
            out.extend_from_slice(user.as_bytes());
            out.extend_from_slice(&len16(keys.len())?);
            for k in keys {
                out.extend_from_slice(k.as_bytes());
            }
        }
        Ok(out)
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
            let (head, rest) = b.split_at_checked(n)?;
            *b = rest;
            Some(head)
        }
        fn u16_at(b: &mut &[u8]) -> Option<usize> {
            let h = take(b, 2)?;
            Some(usize::from(u16::from_be_bytes(h.try_into().ok()?)))
        }
        let mut b = bytes;
        let n = u16_at(&mut b)?;
        let mut users = Vec::with_capacity(n.min(256));
        for _ in 0..n {
            let len = u16_at(&mut b)?;
            let name = String::from_utf8(take(&mut b, len)?.to_vec()).ok()?;
            let count = u16_at(&mut b)?;
            let mut keys = Vec::with_capacity(count.min(256));
            for _ in 0..count {
                let raw: [u8; 32] = take(&mut b, 32)?.try_into().ok()?;
                keys.push(IdentityKey::from_bytes(&raw).ok()?);
            }
            users.push((name, keys));
        }
        b.is_empty().then_some(Self(users))
    }

    /// The user a member key is recorded for.
    pub(crate) fn user_of(&self, key: &IdentityKey) -> Option<&str> {
        self.0
            .iter()
            .find(|(_, keys)| keys.contains(key))
            .map(|(user, _)| user.as_str())
    }

    /// Records `key` for `user`.
    pub(crate) fn add(&mut self, user: &str, key: IdentityKey) {
        match self.0.iter_mut().find(|(u, _)| u == user) {
            Some((_, keys)) => {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            None => self.0.push((user.to_owned(), vec![key])),
        }
        self.0.sort_by(|a, b| a.0.cmp(&b.0));
    }

    /// Forgets `user`, returning its keys.
    pub(crate) fn remove_user(&mut self, user: &str) -> Option<Vec<IdentityKey>> {
        let i = self.0.iter().position(|(u, _)| u == user)?;
        Some(self.0.remove(i).1)
    }

    pub(crate) fn users(&self) -> Vec<String> {
        self.0.iter().map(|(u, _)| u.clone()).collect()
    }

    /// Every member device's identity key, user by user.
    pub(crate) fn keys(&self) -> Vec<IdentityKey> {
        self.0.iter().flat_map(|(_, k)| k.iter().copied()).collect()
    }
}

/// A row of `groups`.
pub(crate) struct GroupRow {
    pub(crate) id: GroupId,
    pub(crate) joined: bool,
    pub(crate) state: GroupStateKind,
    pub(crate) members: Members,
}

fn members_address(id: &GroupId, role: GroupRole) -> Vec<u8> {
    value_address("groups", &[id.as_bytes(), &role.to_sql().to_be_bytes()])
}

fn group_id_from_sql(bytes: &[u8]) -> Option<GroupId> {
    Some(GroupId::from_bytes(bytes.try_into().ok()?))
}

/// `rowid, role, joined, state, members` as read.
type RawGroup = (i64, i64, bool, zeroize::Zeroizing<Vec<u8>>, Vec<u8>);

/// Loads the row of group `id`.
pub(crate) fn load_group(
    conn: &Connection,
    codec: &BlobCodec,
    id: &GroupId,
) -> Result<Option<GroupRow>, StoreError> {
    let raw: Option<RawGroup> = conn
        .query_row(
            "SELECT rowid, role, joined, state, members FROM groups WHERE id = ?1",
            [id.as_bytes().as_slice()],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    zeroize::Zeroizing::new(row.get(3)?),
                    row.get(4)?,
                ))
            },
        )
        .optional()?;
    let Some((rowid, role, joined, state, members)) = raw else {
        return Ok(None);
    };
    let invalid = || StoreError::InvalidRow {
        table: "groups",
        row_id: rowid,
    };
    let role = GroupRole::from_sql(role).ok_or_else(invalid)?;
    let slot = Slot::Group(id);
    let state = match role {
        GroupRole::Member => GroupStateKind::Member(codec.decode(&state, slot)?),
        GroupRole::Owner => GroupStateKind::Owner(codec.decode(&state, slot)?),
        GroupRole::Subscriber => GroupStateKind::Subscriber(codec.decode(&state, slot)?),
    };
    let members = codec.open_value("groups", rowid, &members_address(id, role), members)?;
    let members = Members::decode(&members).ok_or_else(invalid)?;
    Ok(Some(GroupRow {
        id: *id,
        joined,
        state,
        members,
    }))
}

/// Saves a group's row (inserted or replaced).
pub(crate) fn save_group(
    conn: &Connection,
    codec: &mut BlobCodec,
    row: &GroupRow,
) -> Result<(), StoreError> {
    let role = row.state.role();
    let members = codec.seal_value(&members_address(&row.id, role), &row.members.encode()?);
    let slot = Slot::Group(&row.id);
    let write = |blob: &[u8]| {
        conn.execute(
            "INSERT INTO groups (id, role, joined, state, members) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET role = excluded.role, joined = excluded.joined,
                 state = excluded.state, members = excluded.members",
            params![
                row.id.as_bytes().as_slice(),
                role.to_sql(),
                row.joined,
                blob,
                members
            ],
        )
    };
    match &row.state {
        GroupStateKind::Member(s) => codec.encode(s, slot, write)??,
        GroupStateKind::Owner(s) => codec.encode(s, slot, write)??,
        GroupStateKind::Subscriber(s) => codec.encode(s, slot, write)??,
    };
    Ok(())
}

/// Every stored group id, in order.
pub(crate) fn group_ids(conn: &Connection) -> Result<Vec<GroupId>, StoreError> {
    let mut stmt = conn.prepare("SELECT rowid, id FROM groups ORDER BY id")?;
    let raw = stmt
        .query_map([], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    raw.into_iter()
        .map(|(rowid, id)| {
            group_id_from_sql(&id).ok_or(StoreError::InvalidRow {
                table: "groups",
                row_id: rowid,
            })
        })
        .collect()
}

impl GroupRow {
    pub(crate) fn info(&self) -> GroupInfo {
        GroupInfo {
            id: self.id,
            role: self.state.role(),
            joined: self.joined,
            members: self.members.users(),
        }
    }
}

/// A group message row to insert.
pub(crate) struct NewGroupMessage<'a> {
    pub(crate) group: &'a GroupId,
    pub(crate) direction: Direction,
    /// `None`: ours.
    pub(crate) sender: Option<&'a IdentityKey>,
    pub(crate) content_type: ContentType,
    pub(crate) sent_at: Timestamp,
    pub(crate) received_at: Option<Timestamp>,
    pub(crate) expires_at: Option<Timestamp>,
    pub(crate) read_ttl_ms: Option<u64>,
    pub(crate) read: bool,
    pub(crate) body: &'a [u8],
}

/// What a group message's sealed value is bound to.
fn group_message_address(
    id: i64,
    group: &[u8],
    direction: &str,
    content_type: i64,
    sent_at: i64,
) -> Vec<u8> {
    value_address(
        "group_messages",
        &[
            &id.to_be_bytes(),
            group,
            direction.as_bytes(),
            &content_type.to_be_bytes(),
            &sent_at.to_be_bytes(),
        ],
    )
}

/// Inserts a group message: its sender (32 bytes, zeros for ours) and
/// body sealed together.
pub(crate) fn insert_group_message(
    conn: &Connection,
    codec: &mut BlobCodec,
    m: &NewGroupMessage<'_>,
) -> Result<i64, StoreError> {
    let id = next_row_id(conn, "group_messages")?;
    let ct = content_type_to_sql(m.content_type);
    let sent_at = time_to_sql(m.sent_at);
    let direction = m.direction.as_sql();
    let mut value =
        zeroize::Zeroizing::new(Vec::with_capacity(32usize.saturating_add(m.body.len())));
    value.extend_from_slice(m.sender.map_or(&[0u8; 32], |k| k.as_bytes()));
    value.extend_from_slice(m.body);
    let address = group_message_address(id, m.group.as_bytes(), direction, ct, sent_at);
    let body = codec.seal_value(&address, &value);
    conn.execute(
        "INSERT INTO group_messages (id, group_id, direction, content_type, sent_at,
                                     received_at, expires_at, read_ttl_ms, read, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            id,
            m.group.as_bytes().as_slice(),
            direction,
            ct,
            sent_at,
            m.received_at.map(time_to_sql),
            m.expires_at.map(time_to_sql),
            m.read_ttl_ms
                .map(|ms| i64::try_from(ms).unwrap_or(i64::MAX)),
            m.read,
            body,
        ],
    )?;
    Ok(id)
}

type RawGroupMessage = (
    i64,
    Vec<u8>,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    bool,
    Vec<u8>,
);

fn raw_group_message(row: &Row<'_>) -> rusqlite::Result<RawGroupMessage> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

/// The messages of `group` (with its member record, to name senders),
/// oldest first.
pub(crate) fn group_messages(
    conn: &Connection,
    codec: &BlobCodec,
    group: &GroupId,
    members: &Members,
) -> Result<Vec<GroupMessage>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, group_id, direction, content_type, sent_at, received_at, expires_at,
                read, body
         FROM group_messages WHERE group_id = ?1 ORDER BY id",
    )?;
    let raw = stmt
        .query_map([group.as_bytes().as_slice()], raw_group_message)?
        .collect::<Result<Vec<_>, _>>()?;
    raw.into_iter()
        .map(|(id, gid, dir, ct, sent, received, expires, read, body)| {
            let invalid = || StoreError::InvalidRow {
                table: "group_messages",
                row_id: id,
            };
            let direction = Direction::from_sql(&dir).ok_or_else(invalid)?;
            let content_type = content_type_from_sql(ct).ok_or_else(invalid)?;
            let sent_at = time_from_sql(sent).ok_or_else(invalid)?;
            let received_at = optional_time(received).ok_or_else(invalid)?;
            let expires_at = optional_time(expires).ok_or_else(invalid)?;
            let address = group_message_address(id, &gid, &dir, ct, sent);
            let value = codec.open_value("group_messages", id, &address, body)?;
            let (sender, body) = value.split_at_checked(32).ok_or_else(invalid)?;
            let sender = match direction {
                Direction::Out => None,
                Direction::In => {
                    let raw: [u8; 32] = sender.try_into().map_err(|_| invalid())?;
                    Some(IdentityKey::from_bytes(&raw).map_err(|_| invalid())?)
                }
            };
            Ok(GroupMessage {
                id,
                group: *group,
                direction,
                sender_user: sender
                    .as_ref()
                    .and_then(|k| members.user_of(k))
                    .map(str::to_owned),
                sender,
                content_type,
                sent_at,
                received_at,
                expires_at,
                read,
                body: body.to_vec(),
            })
        })
        .collect()
}

/// Queues a post for (re)transmission.
pub(crate) fn insert_group_outbox(
    conn: &Connection,
    group: &GroupId,
    message_id: Option<i64>,
    post: &[u8],
    now: Timestamp,
) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO group_outbox (group_id, message_id, post, created_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            group.as_bytes().as_slice(),
            message_id,
            post,
            time_to_sql(now)
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The posts of `group` not yet acknowledged, oldest first.
pub(crate) fn group_outbox(
    conn: &Connection,
    group: &GroupId,
) -> Result<Vec<GroupPostEntry>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, message_id, post, created_at FROM group_outbox
         WHERE group_id = ?1 ORDER BY id",
    )?;
    let raw = stmt
        .query_map([group.as_bytes().as_slice()], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, Option<i64>>(1)?,
                row.get::<_, Vec<u8>>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    raw.into_iter()
        .map(|(id, message_id, bytes, created)| {
            Ok(GroupPostEntry {
                id,
                group: *group,
                message_id,
                bytes,
                created_at: time_from_sql(created).ok_or(StoreError::InvalidRow {
                    table: "group_outbox",
                    row_id: id,
                })?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use sealwire::IdentityKeyPair;

    use super::*;

    fn key(seed: u8) -> IdentityKey {
        *IdentityKeyPair::from_seed(&[seed; 32]).public()
    }

    #[test]
    fn members_record_each_key_once_per_user_in_user_order() {
        let mut m = Members::default();
        m.add("bob", key(1));
        m.add("bob", key(1));
        m.add("alice", key(2));
        m.add("bob", key(3));
        assert_eq!(
            m,
            Members(vec![
                ("alice".to_owned(), vec![key(2)]),
                ("bob".to_owned(), vec![key(1), key(3)]),
            ])
        );
        assert_eq!(m.user_of(&key(3)), Some("bob"));
        assert_eq!(m.user_of(&key(4)), None);
        assert_eq!(Members::decode(&m.encode().unwrap()), Some(m));
    }

    #[test]
    fn more_users_than_the_count_field_holds_is_refused_not_truncated() {
        let k = key(1);
        let user = |i: usize| (format!("u{i}"), vec![k]);
        let at_most = Members((0..usize::from(u16::MAX)).map(user).collect());
        let encoded = at_most.encode().unwrap();
        // The count field holds all of them (decoding 65,535 keys is slow
        // in a debug build; the round trip is tested above).
        assert_eq!(encoded.get(..2), Some(&[0xff, 0xff][..]));
        let over = Members((0..=usize::from(u16::MAX)).map(user).collect());
        assert!(matches!(
            over.encode(),
            Err(StoreError::Group(GroupError::GroupFull))
        ));
    }
}
