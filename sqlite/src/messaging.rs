//! The transactional helpers: receive, send, timers, outbox, messages and
//! their expiry.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sealwire::DeviceAddress;
use sealwire::devices::{DeviceError, DeviceSessions};
use sealwire::expiry::{ExpiryMode, ExpiryPolicy, MessageExpiry, TimerChange};
use sealwire::wire::Message;
use sealwire::{ContentType, IdentityKey, PrekeyBundle, SessionError, Timestamp};

use crate::codec::BlobCodec;
use crate::error::StoreError;
use crate::rows::{self, MESSAGE_COLUMNS, NewMessage, time_to_sql};
use crate::store::SqliteStore;
use crate::types::{Direction, OutboxEntry, Outgoing, ReceiveOutcome, SessionEvent, StoredMessage};

/// When a received message disappears, as stored: `(expires_at,
/// read_ttl_ms)`, or `None` when no row is stored (expired on arrival).
pub(crate) fn incoming_expiry(expiry: MessageExpiry) -> Option<(Option<Timestamp>, Option<u64>)> {
    match expiry {
        MessageExpiry::At(t) => Some((Some(t), None)),
        MessageExpiry::AfterRead { ttl_ms } => Some((None, Some(ttl_ms))),
        MessageExpiry::Expired => None,
        // `Never`, and any future variant: kept.
        _ => Some((None, None)),
    }
}

/// Whether a message of this content type becomes a row: user messages
/// and receipts. Never what carries keys (a group key distribution) nor a
/// timer change, nor a content type this version does not know.
pub(crate) fn is_stored_content(content_type: ContentType) -> bool {
    matches!(
        content_type,
        ContentType::UserMessage | ContentType::Receipt
    )
}

/// Our own copy of a message we send under `policy`: we have read it, so
/// both modes count from now.
pub(crate) fn outgoing_expiry(policy: Option<ExpiryPolicy>, now: Timestamp) -> Option<Timestamp> {
    let policy = policy?;
    match policy.mode() {
        ExpiryMode::AfterSend | ExpiryMode::AfterRead => Some(Timestamp::from_unix_millis(
            now.as_unix_millis().saturating_add(policy.ttl_ms()),
        )),
        _ => None,
    }
}

/// A session error of `address` as the store reports it: no usable
/// session is [`StoreError::NoSession`].
pub(crate) fn session_error(e: SessionError, address: &DeviceAddress) -> StoreError {
    match e {
        SessionError::NoSession => StoreError::NoSession(address.clone()),
        e => StoreError::Session(e),
    }
}

/// The identity key recorded for a peer device (table `peer_identities`),
/// else that of its current session: who the device is for a user without
/// a device list.
fn recorded_identity(
    conn: &Connection,
    address: &DeviceAddress,
    sessions: &DeviceSessions,
) -> Result<IdentityKey, StoreError> {
    if let Some(key) = rows::peer_identity(conn, address)? {
        return Ok(key);
    }
    sessions
        .current()
        .map(|c| *c.their_identity())
        .ok_or_else(|| StoreError::NoSession(address.clone()))
}

/// The identity key a message from `from` must come from: the
/// confirmed key of the device in the user's stored device list
/// ([`DeviceError::UnknownDevice`] if the list does not name it);
/// without a list, the key a prekey message names (trusted on first
/// use, a change reported as [`SessionEvent::Accepted::previous_identity`])
/// or else the recorded one.
pub(crate) fn identity_to_receive(
    codec: &BlobCodec,
    conn: &Connection,
    from: &DeviceAddress,
    prekey_identity: Option<IdentityKey>,
    sessions: &DeviceSessions,
) -> Result<IdentityKey, StoreError> {
    if let Some(list) = rows::device_list(conn, codec, from.name())? {
        let device = from.device_id();
        return Ok(*list
            .identity(device)
            .ok_or(DeviceError::UnknownDevice(device))?);
    }
    match prekey_identity {
        Some(key) => Ok(key),
        None => recorded_identity(conn, from, sessions),
    }
}

/// The identity key a message to `to` is for: the device's confirmed
/// key in the user's stored device list, with no change waiting
/// ([`DeviceList::trusted_identity`]); without a list, the recorded
/// one.
pub(crate) fn identity_to_send(
    codec: &BlobCodec,
    conn: &Connection,
    to: &DeviceAddress,
    sessions: &DeviceSessions,
) -> Result<IdentityKey, StoreError> {
    match rows::device_list(conn, codec, to.name())? {
        Some(list) => Ok(*list.trusted_identity(to.device_id())?),
        None => recorded_identity(conn, to, sessions),
    }
}

/// Our identity key: the owner of a sealed database, else read from
/// our stored identity.
pub(crate) fn our_identity_key(
    codec: &BlobCodec,
    conn: &Connection,
) -> Result<IdentityKey, StoreError> {
    match codec.owner() {
        Some(owner) => Ok(owner),
        None => Ok(*rows::local_identity(conn, codec)?
            .ok_or(StoreError::NoIdentity)?
            .public()),
    }
}

impl SqliteStore {
    /// Decrypts a message from `from` and stores it, in one `BEGIN
    /// IMMEDIATE` transaction:
    ///
    /// 1. load the sessions with `from` ([`DeviceSessions`]: the current
    ///    one and the previous ones) and the identity key the sender must
    ///    have: its confirmed key in the user's device list if one is
    ///    stored (a device not in it is refused,
    ///    [`DeviceError::UnknownDevice`]), else the key a prekey message
    ///    names, else the key recorded for the device;
    /// 2. decrypt ([`DeviceSessions::decrypt`]): in the session the
    ///    message belongs to, current or previous; a prekey message of no
    ///    session held starts a new one with our identity and prekey store
    ///    (which consumes the one-time prekey), and the prekey store, the
    ///    sender's identity key and the session's base key are saved (a
    ///    prekey message of a session accepted before and no longer held
    ///    is refused: [`StoreError::StaleSession`]). The new session
    ///    becomes current and the current one previous, except while both
    ///    devices started a session at once: then the lower identity key's
    ///    session stays current on both sides (SPEC.md §21.3);
    /// 3. insert the message row (plaintext, `expires_at` from
    ///    [`Received::expiry`](sealwire::Received::expiry)) — except for a
    ///    timer change, and for a message that arrived after its deadline,
    ///    which are not stored ([`ReceiveOutcome::NotStored`]);
    /// 4. save the sessions;
    /// 5. commit.
    ///
    /// Only then does it return: a crash at any point before leaves the
    /// database as it was, and the redelivered message decrypts again. A
    /// message already received is [`ReceiveOutcome::Duplicate`]: nothing
    /// changes; acknowledge it. Every other failure is an error and nothing
    /// in the database changes.
    pub fn receive(
        &mut self,
        from: &DeviceAddress,
        now: Timestamp,
        message: &[u8],
    ) -> Result<ReceiveOutcome, StoreError> {
        let prekey = match Message::parse(message) {
            Ok(Message::Prekey(p)) => Some((p.base_key, p.identity_key)),
            _ => None,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stored = rows::sessions(&tx, &self.codec, from)?;
        if stored.is_none() && prekey.is_none() {
            return Err(StoreError::NoSession(from.clone()));
        }
        let mut sessions = stored.unwrap_or_default();
        let expected = identity_to_receive(
            &self.codec,
            &tx,
            from,
            prekey.map(|(_, key)| key),
            &sessions,
        )?;
        let accepting = prekey.filter(|_| !sessions.holds_prekey_session(message));
        let decrypted = match accepting {
            None => {
                let us = our_identity_key(&self.codec, &tx)?;
                sessions
                    .decrypt_held(&us, &expected, now, message)
                    .map(|received| (received, SessionEvent::Existing))
            }
            Some((base_key, _)) => {
                if rows::base_key_accepted(&tx, &base_key)? {
                    return Err(StoreError::StaleSession(from.clone()));
                }
                let identity =
                    rows::local_identity(&tx, &self.codec)?.ok_or(StoreError::NoIdentity)?;
                let mut prekeys = rows::prekeys(&tx, &self.codec)?.ok_or(StoreError::NoPrekeys)?;
                let current_before = sessions.current().cloned();
                match sessions.decrypt(&identity, &mut prekeys, &expected, now, message) {
                    Ok(received) => {
                        rows::save_prekeys(&tx, &mut self.codec, &prekeys)?;
                        let previous_identity =
                            rows::save_peer_identity(&tx, from, &received.sender)?;
                        rows::record_base_key(&tx, &base_key, from, now)?;
                        // The current session is another one now (else our
                        // own stayed current and the new one is previous).
                        let replaced = current_before.is_some()
                            && sessions.current() != current_before.as_ref();
                        let event = SessionEvent::Accepted {
                            replaced,
                            previous_identity,
                        };
                        Ok((received, event))
                    }
                    Err(e) => Err(e),
                }
            }
        };
        let (received, session) = match decrypted {
            Ok(done) => done,
            Err(SessionError::DuplicateMessage) => return Ok(ReceiveOutcome::Duplicate),
            Err(e) => return Err(session_error(e, from)),
        };
        if received.content_type == ContentType::GroupKeyDistribution {
            // Keys are never stored as messages: the group takes the
            // chain in this transaction.
            let (group, outcome) =
                crate::groups::take_distribution(&tx, &mut self.codec, from, now, &received)?;
            rows::save_sessions(&tx, &mut self.codec, from, &sessions)?;
            tx.commit()?;
            return Ok(ReceiveOutcome::GroupKey {
                group,
                outcome,
                sender: received.sender,
                session,
            });
        }
        let expiry =
            incoming_expiry(received.expiry).filter(|_| is_stored_content(received.content_type));
        let row_id = match expiry {
            Some((expires_at, read_ttl_ms)) => Some(rows::insert_message(
                &tx,
                &mut self.codec,
                &NewMessage {
                    peer: from,
                    direction: Direction::In,
                    content_type: received.content_type,
                    sent_at: received.sent_at,
                    received_at: Some(now),
                    expires_at,
                    read_ttl_ms,
                    read: false,
                    body: received.plaintext.as_slice(),
                    to_user: false,
                },
            )?),
            None => None,
        };
        rows::save_sessions(&tx, &mut self.codec, from, &sessions)?;
        tx.commit()?;
        Ok(match row_id {
            Some(row_id) => ReceiveOutcome::Stored {
                row_id,
                received,
                session,
            },
            None => ReceiveOutcome::NotStored { received, session },
        })
    }

    /// Encrypts a user message to `to` and stores it, in one transaction:
    /// encrypt with the current session (its peer must be the identity key
    /// the user's device list holds for the device, confirmed, or without
    /// a list the one recorded: else [`StoreError::Device`] or
    /// [`StoreError::NoSession`]), save the sessions, insert the outgoing
    /// message row, the ciphertext's outbox row and the record of the copy
    /// (for [`accept_recovery_request`](Self::accept_recovery_request)),
    /// commit. To send to every device of a user, see
    /// [`send_to_user`](Self::send_to_user).
    /// Then transmit [`Outgoing::ciphertext`], and call
    /// [`mark_delivered`](Self::mark_delivered) once the peer acknowledged
    /// it; until then [`pending_outbox`](Self::pending_outbox) lists it for
    /// retransmission (never encrypt a message twice: the state has moved).
    pub fn send<R: sealwire::rand_core::CryptoRng + ?Sized>(
        &mut self,
        to: &DeviceAddress,
        rng: &mut R,
        now: Timestamp,
        body: &[u8],
    ) -> Result<Outgoing, StoreError> {
        self.send_content(to, rng, now, ContentType::UserMessage, body)
    }

    /// [`send`](Self::send) with another content type (a receipt...). A
    /// content type that is not stored as a message (a key distribution, a
    /// timer change: see [`ReceiveOutcome::NotStored`]) is encrypted and
    /// queued in the outbox with no message row ([`Outgoing::row_id`] is
    /// `None`); send group keys with the group methods
    /// ([`create_group`](Self::create_group)...).
    pub fn send_content<R: sealwire::rand_core::CryptoRng + ?Sized>(
        &mut self,
        to: &DeviceAddress,
        rng: &mut R,
        now: Timestamp,
        content_type: ContentType,
        body: &[u8],
    ) -> Result<Outgoing, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut sessions = rows::sessions(&tx, &self.codec, to)?
            .ok_or_else(|| StoreError::NoSession(to.clone()))?;
        let expected = identity_to_send(&self.codec, &tx, to, &sessions)?;
        let ciphertext = sessions
            .encrypt(
                rng,
                now,
                &expected,
                sealwire::Outgoing::new(content_type, body),
            )
            .map_err(|e| session_error(e, to))?
            .message;
        let policy = sessions.current().and_then(|c| c.timer().policy);
        rows::save_sessions(&tx, &mut self.codec, to, &sessions)?;
        let row_id = if is_stored_content(content_type) {
            Some(rows::insert_message(
                &tx,
                &mut self.codec,
                &NewMessage {
                    peer: to,
                    direction: Direction::Out,
                    content_type,
                    sent_at: now,
                    received_at: None,
                    expires_at: outgoing_expiry(policy, now),
                    read_ttl_ms: None,
                    read: true,
                    body,
                    to_user: false,
                },
            )?)
        } else {
            None
        };
        let outbox_id = rows::insert_outbox(&tx, to, row_id, &ciphertext, now)?;
        if let Some(row_id) = row_id {
            rows::insert_sent_copy(&tx, row_id, to, &ciphertext)?;
        }
        tx.commit()?;
        Ok(Outgoing {
            row_id,
            outbox_id,
            ciphertext,
        })
    }

    /// Changes the conversation's disappearing-message timer (`None`:
    /// off) on the current session with `to`, in one transaction: the
    /// timer-change message is encrypted, the sessions saved and the
    /// ciphertext put in the outbox (no message row). Transmit it like
    /// [`send`](Self::send)'s.
    pub fn set_timer<R: sealwire::rand_core::CryptoRng + ?Sized>(
        &mut self,
        to: &DeviceAddress,
        rng: &mut R,
        now: Timestamp,
        policy: Option<ExpiryPolicy>,
    ) -> Result<(Outgoing, TimerChange), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut sessions = rows::sessions(&tx, &self.codec, to)?
            .ok_or_else(|| StoreError::NoSession(to.clone()))?;
        let expected = identity_to_send(&self.codec, &tx, to, &sessions)?;
        let record = sessions
            .current_mut()
            .filter(|c| *c.their_identity() == expected)
            .ok_or_else(|| StoreError::NoSession(to.clone()))?;
        let (ciphertext, change) = record.set_timer(rng, now, policy)?;
        rows::save_sessions(&tx, &mut self.codec, to, &sessions)?;
        let outbox_id = rows::insert_outbox(&tx, to, None, &ciphertext, now)?;
        tx.commit()?;
        Ok((
            Outgoing {
                row_id: None,
                outbox_id,
                ciphertext,
            },
            change,
        ))
    }

    /// Starts a session with `to` from its published bundle (parsed and
    /// verified here) and records its identity key; one transaction. With
    /// a device list stored for the user, the bundle must carry the
    /// device's confirmed identity key ([`SessionError::UntrustedIdentity`]
    /// otherwise, and [`StoreError::Device`] while a change waits for
    /// confirmation); without one, any key is taken and a change is
    /// reported. The new session becomes current; the one it replaces, if
    /// any, stays as a previous session (its late messages still decrypt).
    /// Returns the device's previous identity key if it was a different
    /// one. Messages sent from now on are prekey messages until the peer's
    /// first reply.
    pub fn start_session<R: sealwire::rand_core::CryptoRng + ?Sized>(
        &mut self,
        to: &DeviceAddress,
        rng: &mut R,
        bundle: &[u8],
    ) -> Result<Option<IdentityKey>, StoreError> {
        let bundle = PrekeyBundle::parse(bundle)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let identity = rows::local_identity(&tx, &self.codec)?.ok_or(StoreError::NoIdentity)?;
        let expected = match rows::device_list(&tx, &self.codec, to.name())? {
            Some(list) => *list.trusted_identity(to.device_id())?,
            None => *bundle.identity_key(),
        };
        let mut sessions = rows::sessions(&tx, &self.codec, to)?.unwrap_or_default();
        sessions.initiate(rng, &identity, &expected, &bundle)?;
        rows::save_sessions(&tx, &mut self.codec, to, &sessions)?;
        let previous = rows::save_peer_identity(&tx, to, bundle.identity_key())?;
        tx.commit()?;
        Ok(previous)
    }

    /// Ciphertexts sent to `to` and not yet acknowledged, oldest first:
    /// retransmit them as they are (after a restart, a reconnection...).
    pub fn pending_outbox(&self, to: &DeviceAddress) -> Result<Vec<OutboxEntry>, StoreError> {
        rows::outbox(&self.conn, to)
    }

    /// The peer acknowledged this ciphertext: deletes its outbox row.
    /// Returns whether there was one (an acknowledgement may come twice).
    pub fn mark_delivered(&mut self, outbox_id: i64) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute("DELETE FROM outbox WHERE id = ?1", [outbox_id])?;
        Ok(n > 0)
    }

    /// The messages exchanged with the device `peer`, oldest first (not
    /// those sent to every device of its user: see
    /// [`conversation`](Self::conversation)).
    pub fn messages(&self, peer: &DeviceAddress) -> Result<Vec<StoredMessage>, StoreError> {
        rows::query_messages(
            &self.conn,
            &self.codec,
            &format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages
                 WHERE peer_name = ?1 AND device = ?2 AND to_user = 0 ORDER BY id"
            ),
            params![peer.name(), peer.device_id()],
        )
    }

    /// The messages exchanged with any device of `user`, and those sent to
    /// every device of it ([`StoredMessage::to_user`]), oldest first.
    pub fn conversation(&self, user: &str) -> Result<Vec<StoredMessage>, StoreError> {
        rows::query_messages(
            &self.conn,
            &self.codec,
            &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE peer_name = ?1 ORDER BY id"),
            [user],
        )
    }

    /// The last `limit` messages with anyone, oldest first.
    pub fn recent_messages(&self, limit: usize) -> Result<Vec<StoredMessage>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        rows::query_messages(
            &self.conn,
            &self.codec,
            &format!(
                "SELECT * FROM (SELECT {MESSAGE_COLUMNS} FROM messages ORDER BY id DESC LIMIT ?1)
                 ORDER BY id"
            ),
            [limit],
        )
    }

    /// One message, by row id.
    pub fn message(&self, row_id: i64) -> Result<Option<StoredMessage>, StoreError> {
        let found = rows::query_messages(
            &self.conn,
            &self.codec,
            &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1"),
            [row_id],
        )?;
        Ok(found.into_iter().next())
    }

    /// Marks a message read; an after-read timer starts now. Returns the
    /// message's deadline (`None`: it does not disappear, or no such row).
    pub fn mark_read(
        &mut self,
        row_id: i64,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE messages SET read = 1,
                 expires_at = CASE
                     WHEN expires_at IS NULL AND read_ttl_ms IS NOT NULL
                     THEN min(?2 + read_ttl_ms, 9223372036854775807)
                     ELSE expires_at END
             WHERE id = ?1 AND read = 0",
            params![row_id, time_to_sql(now)],
        )?;
        let deadline: Option<Option<i64>> = tx
            .query_row(
                "SELECT expires_at FROM messages WHERE id = ?1",
                [row_id],
                |row| row.get(0),
            )
            .optional()?;
        tx.commit()?;
        Ok(deadline
            .flatten()
            .and_then(|ms| u64::try_from(ms).ok())
            .map(Timestamp::from_unix_millis))
    }

    /// Deletes every message whose deadline has come (`expires_at <= now`),
    /// overwriting its content in the database file (`secure_delete`), and
    /// checkpoints the write-ahead log when any was deleted. Returns how
    /// many were deleted. Call it at [`next_expiry`](Self::next_expiry).
    pub fn delete_expired(&mut self, now: Timestamp) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut n = 0usize;
        for table in ["messages", "group_messages"] {
            n = n.saturating_add(tx.execute(
                &format!("DELETE FROM {table} WHERE expires_at IS NOT NULL AND expires_at <= ?1"),
                [time_to_sql(now)],
            )?);
        }
        tx.commit()?;
        if n > 0 {
            // Best effort: a reader elsewhere may hold the log.
            let _ = self.checkpoint();
        }
        Ok(n)
    }

    /// The earliest message deadline, if any message will disappear.
    pub fn next_expiry(&self) -> Result<Option<Timestamp>, StoreError> {
        let ms: Option<i64> = self.conn.query_row(
            "SELECT min(t) FROM (
                 SELECT min(expires_at) AS t FROM messages WHERE expires_at IS NOT NULL
                 UNION ALL
                 SELECT min(expires_at) FROM group_messages WHERE expires_at IS NOT NULL)",
            [],
            |row| row.get(0),
        )?;
        Ok(ms
            .and_then(|ms| u64::try_from(ms).ok())
            .map(Timestamp::from_unix_millis))
    }

    /// Erases, in every session with every peer device (current and
    /// previous), the skipped message keys whose retention has run out
    /// ([`DeviceSessions::erase_expired_keys`]), and in every group the
    /// skipped post keys and superseded chains whose retention has run
    /// out ([`GroupState::erase_expired_keys`](sealwire::group::GroupState::erase_expired_keys)),
    /// in one transaction; returns how many devices' sessions and groups
    /// changed. A row that fails to load fails the call (and nothing is
    /// written). Call it at [`next_key_erasure`](Self::next_key_erasure).
    pub fn erase_expired_keys(&mut self, now: Timestamp) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut changed = 0usize;
        for address in rows::session_addresses(&tx)? {
            let Some(mut sessions) = rows::sessions(&tx, &self.codec, &address)? else {
                continue;
            };
            if sessions.next_key_erasure().is_some_and(|t| t <= now) {
                sessions.erase_expired_keys(now);
                rows::save_sessions(&tx, &mut self.codec, &address, &sessions)?;
                changed = changed.saturating_add(1);
            }
        }
        let groups = crate::groups::erase_expired_group_keys(&tx, &mut self.codec, now)?;
        tx.commit()?;
        Ok(changed.saturating_add(groups))
    }

    /// When [`erase_expired_keys`](Self::erase_expired_keys) next has
    /// something to erase (a skipped key or superseded chain of a session
    /// or a group past its retention), if anything.
    pub fn next_key_erasure(&self) -> Result<Option<Timestamp>, StoreError> {
        let mut next = crate::groups::next_group_key_erasure(&self.conn, &self.codec)?;
        for address in rows::session_addresses(&self.conn)? {
            if let Some(s) = rows::sessions(&self.conn, &self.codec, &address)? {
                next = match (next, s.next_key_erasure()) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
        }
        Ok(next)
    }
}
