//! The transactional helpers: receive, send, timers, outbox, messages and
//! their expiry.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sealwire::DeviceAddress;
use sealwire::expiry::{ExpiryMode, ExpiryPolicy, MessageExpiry, TimerChange};
use sealwire::wire::Message;
use sealwire::{
    ContentType, Encrypt, IdentityKey, PendingSession, PrekeyBundle, Session, SessionError,
    SessionRecord, Timestamp,
};

use crate::error::StoreError;
use crate::rows::{self, MESSAGE_COLUMNS, NewMessage, time_to_sql};
use crate::store::SqliteStore;
use crate::types::{Direction, OutboxEntry, Outgoing, ReceiveOutcome, SessionEvent, StoredMessage};

/// When a received message disappears, as stored: `(expires_at,
/// read_ttl_ms)`, or `None` when no row is stored (expired on arrival).
fn incoming_expiry(expiry: MessageExpiry) -> Option<(Option<Timestamp>, Option<u64>)> {
    match expiry {
        MessageExpiry::At(t) => Some((Some(t), None)),
        MessageExpiry::AfterRead { ttl_ms } => Some((None, Some(ttl_ms))),
        MessageExpiry::Expired => None,
        // `Never`, and any future variant: kept.
        _ => Some((None, None)),
    }
}

/// Our own copy of a message we send under `policy`: we have read it, so
/// both modes count from now.
fn outgoing_expiry(policy: Option<ExpiryPolicy>, now: Timestamp) -> Option<Timestamp> {
    let policy = policy?;
    match policy.mode() {
        ExpiryMode::AfterSend | ExpiryMode::AfterRead => Some(Timestamp::from_unix_millis(
            now.as_unix_millis().saturating_add(policy.ttl_ms()),
        )),
        _ => None,
    }
}

impl SqliteStore {
    /// Decrypts a message from `from` and stores it, in one `BEGIN
    /// IMMEDIATE` transaction:
    ///
    /// 1. load the session with `from`; if there is none, or the message is
    ///    a prekey message of another session (`SessionMismatch`, or any
    ///    prekey message while our session is still pending), accept a new
    ///    session from it with our identity and prekey store
    ///    ([`Session::accept`], which consumes the one-time prekey), and
    ///    save the prekey store, the sender's identity key and the
    ///    session's base key (a prekey message of a session accepted before
    ///    is refused: [`StoreError::StaleSession`]);
    /// 2. decrypt;
    /// 3. insert the message row (plaintext, `expires_at` from
    ///    [`Received::expiry`](sealwire::Received::expiry)) — except for a
    ///    timer change, and for a message that arrived after its deadline,
    ///    which are not stored ([`ReceiveOutcome::NotStored`]);
    /// 4. save the new session state (replacing any previous session);
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
        let base_key = match Message::parse(message) {
            Ok(Message::Prekey(p)) => Some(p.base_key),
            _ => None,
        };
        let is_prekey = base_key.is_some();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing = rows::session(&tx, &self.codec, from)?;
        let replaced = existing.is_some();
        let decrypted = match existing {
            Some(mut record) => match record.decrypt(now, message) {
                Ok(received) => Some((record, received, SessionEvent::Existing)),
                Err(SessionError::DuplicateMessage) => return Ok(ReceiveOutcome::Duplicate),
                Err(SessionError::SessionMismatch | SessionError::UnexpectedMessage)
                    if is_prekey =>
                {
                    None
                }
                Err(e) => return Err(StoreError::Session(e)),
            },
            None if is_prekey => None,
            None => return Err(StoreError::NoSession(from.clone())),
        };
        let (record, received, session) = match decrypted {
            Some(done) => done,
            None => {
                let base_key = base_key.ok_or_else(|| StoreError::NoSession(from.clone()))?;
                if rows::base_key_accepted(&tx, &base_key)? {
                    return Err(StoreError::StaleSession(from.clone()));
                }
                let identity =
                    rows::local_identity(&tx, &self.codec)?.ok_or(StoreError::NoIdentity)?;
                let mut prekeys = rows::prekeys(&tx, &self.codec)?.ok_or(StoreError::NoPrekeys)?;
                let (session, received) = Session::accept(&identity, &mut prekeys, now, message)?;
                rows::save_prekeys(&tx, &mut self.codec, &prekeys)?;
                let previous_identity = rows::save_peer_identity(&tx, from, &received.sender)?;
                rows::record_base_key(&tx, &base_key, from, now)?;
                let event = SessionEvent::Accepted {
                    replaced,
                    previous_identity,
                };
                (SessionRecord::from(session), received, event)
            }
        };
        let expiry = incoming_expiry(received.expiry)
            .filter(|_| received.content_type != ContentType::TimerChange);
        let row_id = match expiry {
            Some((expires_at, read_ttl_ms)) => Some(rows::insert_message(
                &tx,
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
                },
            )?),
            None => None,
        };
        rows::save_session(&tx, &mut self.codec, from, &record)?;
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
    /// encrypt with the stored session, save the new session state, insert
    /// the outgoing message row and the ciphertext's outbox row, commit.
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

    /// [`send`](Self::send) with another content type (a receipt...).
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
        let mut record = rows::session(&tx, &self.codec, to)?
            .ok_or_else(|| StoreError::NoSession(to.clone()))?;
        let ciphertext = record
            .encrypt(rng, now, sealwire::Outgoing::new(content_type, body))?
            .message;
        rows::save_session(&tx, &mut self.codec, to, &record)?;
        let row_id = rows::insert_message(
            &tx,
            &NewMessage {
                peer: to,
                direction: Direction::Out,
                content_type,
                sent_at: now,
                received_at: None,
                expires_at: outgoing_expiry(record.timer().policy, now),
                read_ttl_ms: None,
                read: true,
                body,
            },
        )?;
        let outbox_id = rows::insert_outbox(&tx, to, Some(row_id), &ciphertext, now)?;
        tx.commit()?;
        Ok(Outgoing {
            row_id: Some(row_id),
            outbox_id,
            ciphertext,
        })
    }

    /// Changes the conversation's disappearing-message timer (`None`:
    /// off), in one transaction: the timer-change message is encrypted, the
    /// session saved and the ciphertext put in the outbox (no message row).
    /// Transmit it like [`send`](Self::send)'s.
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
        let mut record = rows::session(&tx, &self.codec, to)?
            .ok_or_else(|| StoreError::NoSession(to.clone()))?;
        let (ciphertext, change) = record.set_timer(rng, now, policy)?;
        rows::save_session(&tx, &mut self.codec, to, &record)?;
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
    /// verified here), replacing any session with that device, and records
    /// its identity key; one transaction. Returns the device's previous
    /// identity key if it was a different one. Messages sent from now on
    /// are prekey messages until the peer's first reply.
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
        let pending = PendingSession::initiate(rng, &identity, &bundle)?;
        rows::save_session(&tx, &mut self.codec, to, &SessionRecord::from(pending))?;
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

    /// The messages exchanged with `peer`, oldest first.
    pub fn messages(&self, peer: &DeviceAddress) -> Result<Vec<StoredMessage>, StoreError> {
        rows::query_messages(
            &self.conn,
            &format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages
                 WHERE peer_name = ?1 AND device = ?2 ORDER BY id"
            ),
            params![peer.name(), peer.device_id()],
        )
    }

    /// The last `limit` messages with anyone, oldest first.
    pub fn recent_messages(&self, limit: usize) -> Result<Vec<StoredMessage>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        rows::query_messages(
            &self.conn,
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
        let n = self.conn.execute(
            "DELETE FROM messages WHERE expires_at IS NOT NULL AND expires_at <= ?1",
            [time_to_sql(now)],
        )?;
        if n > 0 {
            // Best effort: a reader elsewhere may hold the log.
            let _ = self.checkpoint();
        }
        Ok(n)
    }

    /// The earliest message deadline, if any message will disappear.
    pub fn next_expiry(&self) -> Result<Option<Timestamp>, StoreError> {
        let ms: Option<i64> = self.conn.query_row(
            "SELECT min(expires_at) FROM messages WHERE expires_at IS NOT NULL",
            [],
            |row| row.get(0),
        )?;
        Ok(ms
            .and_then(|ms| u64::try_from(ms).ok())
            .map(Timestamp::from_unix_millis))
    }

    /// Erases, in every session, the skipped message keys whose retention
    /// has run out ([`SessionRecord::erase_expired_keys`]), in one
    /// transaction; returns how many sessions changed. A session that fails
    /// to load fails the call (and nothing is written).
    pub fn erase_expired_keys(&mut self, now: Timestamp) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut changed = 0usize;
        for address in rows::session_addresses(&tx)? {
            let Some(mut record) = rows::session(&tx, &self.codec, &address)? else {
                continue;
            };
            if record.next_key_erasure().is_some_and(|t| t <= now) {
                record.erase_expired_keys(now);
                rows::save_session(&tx, &mut self.codec, &address, &record)?;
                changed = changed.saturating_add(1);
            }
        }
        tx.commit()?;
        Ok(changed)
    }
}
