//! Several devices per user (SPEC.md §21): one message to every device of
//! a user and to our other devices, and the recovery exchange that heals a
//! session one side lost, each step in one transaction.

use rusqlite::{Connection, TransactionBehavior};
use sealwire::devices::{
    DeviceError, DeviceList, Recovery, RecoveryRequest, UserSessions, encrypt_for_devices,
};
use sealwire::{ContentType, DeviceAddress, Timestamp};

use crate::codec::BlobCodec;
use crate::error::StoreError;
use crate::messaging::{
    identity_to_receive, identity_to_send, our_identity_key, outgoing_expiry, session_error,
};
use crate::rows::{self, NewMessage};
use crate::store::SqliteStore;
use crate::types::{Direction, OutboxEntry, RecoveryAccepted, UserOutgoing};

/// A device error of a multi-device send as the store reports it: no
/// usable session with a device is [`StoreError::NoSession`] naming it.
fn device_error(e: DeviceError) -> StoreError {
    match e {
        DeviceError::NoSession(address) => StoreError::NoSession(address),
        DeviceError::Session(address, e) => match e {
            sealwire::SessionError::NoSession => StoreError::NoSession(address),
            e => StoreError::Device(DeviceError::Session(address, e)),
        },
        e => StoreError::Device(e),
    }
}

/// The stored sessions of every device of `list`.
fn load_user_sessions(
    conn: &Connection,
    codec: &BlobCodec,
    list: &DeviceList,
) -> Result<UserSessions, StoreError> {
    let mut sessions = UserSessions::new();
    for (device, _) in list.devices() {
        if let Some(s) = rows::sessions(conn, codec, &list.address(device))? {
            sessions.insert(device, s);
        }
    }
    Ok(sessions)
}

impl SqliteStore {
    /// Encrypts a user message once for every device of `to` and for our
    /// own other devices, and stores it, in one transaction (SPEC.md
    /// §21.1): see [`send_content_to_user`](Self::send_content_to_user).
    pub fn send_to_user<R: sealwire::rand_core::CryptoRng + ?Sized>(
        &mut self,
        me: &DeviceAddress,
        to: &str,
        rng: &mut R,
        now: Timestamp,
        body: &[u8],
    ) -> Result<UserOutgoing, StoreError> {
        self.send_content_to_user(me, to, rng, now, ContentType::UserMessage, body)
    }

    /// Encrypts a message once for every device of `to` and for our own
    /// other devices (SPEC.md §21.1), and stores it, in one `BEGIN
    /// IMMEDIATE` transaction:
    ///
    /// 1. load the device list of `to` ([`StoreError::NoDeviceList`] if
    ///    none is stored) and of our own user, `me.name()` (none: we have
    ///    no other device), and the sessions of every device listed;
    /// 2. encrypt with each device's current session
    ///    ([`encrypt_for_devices`], `me` skipped): every device must have
    ///    a confirmed identity key ([`StoreError::Device`] with
    ///    [`DeviceError::UnconfirmedIdentity`]) and a current session
    ///    with it ([`StoreError::NoSession`] naming the first device
    ///    without one: [`start_session`](Self::start_session) with it
    ///    and send again);
    /// 3. save every device's sessions, insert one message row
    ///    ([`StoredMessage::to_user`](crate::StoredMessage::to_user), peer
    ///    `(to, 0)`, disappearing at the earliest deadline the timers of
    ///    `to`'s sessions give it), one outbox row per device and a record
    ///    of each copy (its ratchet key and counter, for
    ///    [`accept_recovery_request`](Self::accept_recovery_request));
    /// 4. commit.
    ///
    /// Only content stored as a message (a user message, a receipt):
    /// anything else is [`StoreError::Group`] with
    /// [`GroupError::InvalidContentType`](sealwire::group::GroupError::InvalidContentType)
    /// (send group keys with the group methods). All or nothing: on any
    /// error no session moved and nothing was written. Only after the commit are the ciphertexts handed out:
    /// transmit each copy, and [`mark_delivered`](Self::mark_delivered)
    /// it on its device's acknowledgement; until then
    /// [`pending_outbox`](Self::pending_outbox) lists it. Our other devices
    /// receive the same body from our address: which conversation it
    /// belongs to is the app's to say inside the body.
    pub fn send_content_to_user<R: sealwire::rand_core::CryptoRng + ?Sized>(
        &mut self,
        me: &DeviceAddress,
        to: &str,
        rng: &mut R,
        now: Timestamp,
        content_type: ContentType,
        body: &[u8],
    ) -> Result<UserOutgoing, StoreError> {
        if !crate::messaging::is_stored_content(content_type) {
            // Keys (and timer changes) are never stored as messages.
            return Err(sealwire::group::GroupError::InvalidContentType.into());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let theirs = rows::device_list(&tx, &self.codec, to)?
            .ok_or_else(|| StoreError::NoDeviceList(to.to_owned()))?;
        let ours = if to == me.name() {
            None
        } else {
            rows::device_list(&tx, &self.codec, me.name())?
        };
        let mut their_sessions = load_user_sessions(&tx, &self.codec, &theirs)?;
        let mut our_sessions = match &ours {
            Some(list) => load_user_sessions(&tx, &self.codec, list)?,
            None => UserSessions::new(),
        };
        let sent = {
            let mut recipients = vec![(&theirs, &mut their_sessions)];
            if let Some(list) = &ours {
                recipients.push((list, &mut our_sessions));
            }
            encrypt_for_devices(
                rng,
                now,
                sealwire::Outgoing::new(content_type, body),
                Some(me),
                &mut recipients,
            )
            .map_err(device_error)?
        };
        for m in &sent {
            let user = if m.address.name() == to {
                &their_sessions
            } else {
                &our_sessions
            };
            if let Some(sessions) = user.get(&m.address.device_id()) {
                rows::save_sessions(&tx, &mut self.codec, &m.address, sessions)?;
            }
        }
        let expires_at = their_sessions
            .values()
            .filter_map(|s| outgoing_expiry(s.current()?.timer().policy, now))
            .min();
        let peer = DeviceAddress::new(to, 0);
        let row_id = rows::insert_message(
            &tx,
            &mut self.codec,
            &NewMessage {
                peer: &peer,
                direction: Direction::Out,
                content_type,
                sent_at: now,
                received_at: None,
                expires_at,
                read_ttl_ms: None,
                read: true,
                body,
                to_user: true,
            },
        )?;
        let mut copies = Vec::with_capacity(sent.len());
        for m in sent {
            let ciphertext = m.sent.message;
            let id = rows::insert_outbox(&tx, &m.address, Some(row_id), &ciphertext, now)?;
            rows::insert_sent_copy(&tx, row_id, &m.address, &ciphertext)?;
            copies.push(OutboxEntry {
                id,
                peer: m.address,
                message_id: Some(row_id),
                ciphertext,
                created_at: now,
            });
        }
        tx.commit()?;
        Ok(UserOutgoing { row_id, copies })
    }

    /// Makes a recovery request for `failed_message`, a message from
    /// `from` that [`receive`](Self::receive) could not decrypt because
    /// the sender's session is gone on our side
    /// ([`StoreError::is_lost_session`]), and commits the request's time
    /// in `from`'s sessions (SPEC.md §21.4), in one transaction. Send
    /// [`to_bytes()`](RecoveryRequest::to_bytes) to `from` by any channel
    /// (it is signed and holds no secret), and drop the message.
    ///
    /// The request names `from`'s identity key: its confirmed key in the
    /// user's device list, else the key recorded for it (else
    /// [`StoreError::NoSession`], or [`StoreError::Device`] with
    /// [`DeviceError::UnknownDevice`] for a device the list does not
    /// name). At most one request per
    /// [`RECOVERY_INTERVAL_MS`](sealwire::limits::RECOVERY_INTERVAL_MS)
    /// per device: [`StoreError::Device`] with
    /// [`DeviceError::TooManyRequests`] (drop the message: the request
    /// made before covers it). Bytes that are not a message:
    /// [`DeviceError::Malformed`]. On error nothing changed.
    pub fn recovery_request(
        &mut self,
        from: &DeviceAddress,
        now: Timestamp,
        failed_message: &[u8],
    ) -> Result<RecoveryRequest, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut sessions = rows::sessions(&tx, &self.codec, from)?.unwrap_or_default();
        let peer = identity_to_receive(&self.codec, &tx, from, None, &sessions)?;
        let identity = rows::local_identity(&tx, &self.codec)?.ok_or(StoreError::NoIdentity)?;
        let request = sessions.recovery_request(&identity, &peer, now, failed_message)?;
        rows::save_sessions(&tx, &mut self.codec, from, &sessions)?;
        tx.commit()?;
        Ok(request)
    }

    /// Takes in a recovery request from `from` (SPEC.md §21.4), in one
    /// transaction: checks it against `from`'s identity key (its confirmed
    /// key in the user's device list, else the one recorded) and our
    /// sessions with it ([`DeviceSessions::accept_recovery_request`](sealwire::devices::DeviceSessions::accept_recovery_request):
    /// a forged, replayed, misaddressed or too frequent request is
    /// [`StoreError::Device`] and changes nothing); then
    ///
    /// - marks for re-sending every copy we sent to `from` in the chain the
    ///   request names, from its counter on (the messages sent with
    ///   [`send`](Self::send), [`send_to_user`](Self::send_to_user) or
    ///   re-sent, whose message rows still exist: a message deleted since,
    ///   for example expired, is not re-sent), and deletes the outbox rows
    ///   to `from` in that chain from that counter on (`from` cannot read
    ///   them; the re-sent copies replace them);
    /// - saves the sessions ([`Recovery::Restart`]: the current session no
    ///   longer sends) and commits.
    ///
    /// The app then re-sends, if it chooses, with
    /// [`resend`](Self::resend): at once for [`Recovery::Resend`], after
    /// [`start_session`](Self::start_session) from `from`'s bundle for
    /// [`Recovery::Restart`]. The marks are in the database: after a
    /// crash, `resend` still finds them. A request for a chain whose
    /// copies were re-sent already marks nothing again.
    pub fn accept_recovery_request(
        &mut self,
        from: &DeviceAddress,
        now: Timestamp,
        request: &[u8],
    ) -> Result<RecoveryAccepted, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // No sessions at all: the request is still checked in order
        // (authentication first), and then names no session.
        let mut sessions = rows::sessions(&tx, &self.codec, from)?.unwrap_or_default();
        let peer = identity_to_receive(&self.codec, &tx, from, None, &sessions)?;
        let us = our_identity_key(&self.codec, &tx)?;
        let recovery = sessions.accept_recovery_request(&us, &peer, now, request)?;
        let counter = match recovery {
            Recovery::Restart { counter } | Recovery::Resend { counter } => Some(counter),
            _ => None,
        };
        if let Some(counter) = counter {
            // Accepted: the bytes parsed.
            let parsed = RecoveryRequest::parse(request)?;
            rows::mark_for_resend(&tx, from, parsed.ratchet_key(), counter)?;
        }
        rows::save_sessions(&tx, &mut self.codec, from, &sessions)?;
        let to_resend = rows::messages_to_resend(&tx, from)?;
        tx.commit()?;
        Ok(RecoveryAccepted {
            recovery,
            to_resend,
        })
    }

    /// The messages with a copy to `peer` waiting to be re-sent (marked by
    /// [`accept_recovery_request`](Self::accept_recovery_request)), oldest
    /// first.
    pub fn pending_resends(&self, peer: &DeviceAddress) -> Result<Vec<i64>, StoreError> {
        rows::messages_to_resend(&self.conn, peer)
    }

    /// Re-sends to `to`, on its current session, every message whose copy
    /// to it waits to be re-sent ([`pending_resends`](Self::pending_resends)),
    /// oldest first, in one transaction: each body is encrypted again (the
    /// same content type; the frame's send time is `now`), the sessions
    /// saved, an outbox row and a copy record inserted per message, and
    /// the old copy's record deleted (so it is never re-sent twice); then
    /// commit. Returns the outbox rows to transmit, like
    /// [`send`](Self::send)'s (none if nothing waits). No current session
    /// with the device's identity key: [`StoreError::NoSession`] (after a
    /// [`Recovery::Restart`], start one first) and nothing changed.
    pub fn resend<R: sealwire::rand_core::CryptoRng + ?Sized>(
        &mut self,
        to: &DeviceAddress,
        rng: &mut R,
        now: Timestamp,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let marked = rows::marked_copies(&tx, &self.codec, to)?;
        if marked.is_empty() {
            return Ok(Vec::new());
        }
        let mut sessions = rows::sessions(&tx, &self.codec, to)?
            .ok_or_else(|| StoreError::NoSession(to.clone()))?;
        let expected = identity_to_send(&self.codec, &tx, to, &sessions)?;
        let mut out = Vec::with_capacity(marked.len());
        for copy in &marked {
            let ciphertext = sessions
                .encrypt(
                    rng,
                    now,
                    &expected,
                    sealwire::Outgoing::new(copy.content_type, &copy.body),
                )
                .map_err(|e| session_error(e, to))?
                .message;
            rows::delete_copy(&tx, to, copy)?;
            let id = rows::insert_outbox(&tx, to, Some(copy.message_id), &ciphertext, now)?;
            rows::insert_sent_copy(&tx, copy.message_id, to, &ciphertext)?;
            out.push(OutboxEntry {
                id,
                peer: to.clone(),
                message_id: Some(copy.message_id),
                ciphertext,
                created_at: now,
            });
        }
        rows::save_sessions(&tx, &mut self.codec, to, &sessions)?;
        tx.commit()?;
        Ok(out)
    }
}
