//! 1:1 sessions (X3DH / PQXDH and the Double Ratchet), received messages,
//! disappearing messages, and the per-device state sealed sender needs
//! (device lists and a device's sessions).

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use sealwire::devices::{DeviceEvent, DeviceList, DeviceSessions};
use sealwire::expiry::{
    ChangedBy, Expiry, ExpiryPolicy, ExpiryQueue, MessageExpiry, MessageId, TimerChange,
};
use sealwire::{Encrypt, Outgoing, PendingSession, Received, Session, SessionRecord};

use crate::errors::OrRaise;
use crate::franking::PyFranking;
use crate::keys::{PyIdentityKey, PyIdentityKeyPair, PyPrekeyBundle, PyPrekeyStore, closable};
use crate::{Slot, py_bytes, timestamp};

/// What a message carries (SPEC.md §5).
#[pyclass(
    name = "ContentType",
    module = "sealwire",
    eq,
    eq_int,
    frozen,
    hash,
    from_py_object
)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum PyContentType {
    /// A message from the user.
    #[pyo3(name = "USER_MESSAGE")]
    UserMessage = 0x01,
    /// A change of the disappearing-message timer.
    #[pyo3(name = "TIMER_CHANGE")]
    TimerChange = 0x02,
    /// A group's sender-key distribution.
    #[pyo3(name = "GROUP_KEY_DISTRIBUTION")]
    GroupKeyDistribution = 0x03,
    /// A delivery or read receipt.
    #[pyo3(name = "RECEIPT")]
    Receipt = 0x04,
}

#[pymethods]
impl PyContentType {
    /// The member's name, as `enum.Enum.name`.
    #[getter]
    fn name(&self) -> &'static str {
        match self {
            Self::UserMessage => "USER_MESSAGE",
            Self::TimerChange => "TIMER_CHANGE",
            Self::GroupKeyDistribution => "GROUP_KEY_DISTRIBUTION",
            Self::Receipt => "RECEIPT",
        }
    }
}

impl PyContentType {
    pub(crate) fn to_core(self) -> sealwire::ContentType {
        match self {
            Self::UserMessage => sealwire::ContentType::UserMessage,
            Self::TimerChange => sealwire::ContentType::TimerChange,
            Self::GroupKeyDistribution => sealwire::ContentType::GroupKeyDistribution,
            Self::Receipt => sealwire::ContentType::Receipt,
        }
    }

    pub(crate) fn from_core(t: sealwire::ContentType) -> Self {
        match u8::from(t) {
            0x02 => Self::TimerChange,
            0x03 => Self::GroupKeyDistribution,
            0x04 => Self::Receipt,
            _ => Self::UserMessage,
        }
    }
}

/// How a session's keys were agreed: show it, warn when not PQXDH.
#[pyclass(name = "KeyAgreement", module = "sealwire", eq, eq_int, frozen, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum PyKeyAgreement {
    /// Post-quantum (X25519 and ML-KEM-768).
    #[pyo3(name = "PQXDH")]
    Pqxdh = 1,
    /// Classic (X25519 only).
    #[pyo3(name = "X3DH")]
    X3dh = 2,
    /// Not recorded (an initiator's session loaded from an old blob).
    #[pyo3(name = "UNRECORDED")]
    Unrecorded = 3,
}

#[pymethods]
impl PyKeyAgreement {
    /// The member's name, as `enum.Enum.name`.
    #[getter]
    fn name(&self) -> &'static str {
        match self {
            Self::Pqxdh => "PQXDH",
            Self::X3dh => "X3DH",
            Self::Unrecorded => "UNRECORDED",
        }
    }
}

impl From<sealwire::KeyAgreement> for PyKeyAgreement {
    fn from(k: sealwire::KeyAgreement) -> Self {
        match k {
            sealwire::KeyAgreement::Pqxdh => Self::Pqxdh,
            sealwire::KeyAgreement::X3dh => Self::X3dh,
            _ => Self::Unrecorded,
        }
    }
}

/// When a disappearing message's clock starts.
#[pyclass(
    name = "ExpiryMode",
    module = "sealwire",
    eq,
    eq_int,
    frozen,
    hash,
    from_py_object
)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum PyExpiryMode {
    /// `ttl` after it was sent (by the receiver's clock).
    #[pyo3(name = "AFTER_SEND")]
    AfterSend = 1,
    /// `ttl` after the app marks it read.
    #[pyo3(name = "AFTER_READ")]
    AfterRead = 2,
}

#[pymethods]
impl PyExpiryMode {
    /// The member's name, as `enum.Enum.name`.
    #[getter]
    fn name(&self) -> &'static str {
        match self {
            Self::AfterSend => "AFTER_SEND",
            Self::AfterRead => "AFTER_READ",
        }
    }
}

/// A disappearing-message timer: a mode and a time to live in seconds.
#[pyclass(name = "ExpiryPolicy", module = "sealwire", frozen, eq, from_py_object)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct PyExpiryPolicy {
    pub(crate) inner: ExpiryPolicy,
}

#[pymethods]
impl PyExpiryPolicy {
    /// `ExpiryError` for a TTL of zero or above the maximum (365 days).
    #[new]
    fn new(mode: PyExpiryMode, ttl_secs: u32) -> PyResult<Self> {
        let mode = match mode {
            PyExpiryMode::AfterSend => sealwire::expiry::ExpiryMode::AfterSend,
            PyExpiryMode::AfterRead => sealwire::expiry::ExpiryMode::AfterRead,
        };
        ExpiryPolicy::new(mode, ttl_secs)
            .or_raise()
            .map(|inner| Self { inner })
    }

    /// The mode.
    #[getter]
    fn mode(&self) -> PyExpiryMode {
        match self.inner.mode() {
            sealwire::expiry::ExpiryMode::AfterRead => PyExpiryMode::AfterRead,
            _ => PyExpiryMode::AfterSend,
        }
    }

    /// The time to live, in seconds.
    #[getter]
    fn ttl_secs(&self) -> u32 {
        self.inner.ttl_secs()
    }

    fn __repr__(&self) -> String {
        format!(
            "ExpiryPolicy({:?}, {})",
            self.inner.mode(),
            self.inner.ttl_secs()
        )
    }
}

fn policy(p: Option<ExpiryPolicy>) -> Option<PyExpiryPolicy> {
    p.map(|inner| PyExpiryPolicy { inner })
}

/// When a received message disappears (the receiver's clock).
#[pyclass(name = "MessageExpiry", module = "sealwire", frozen, from_py_object)]
#[derive(Clone, Copy)]
pub(crate) struct PyMessageExpiry {
    pub(crate) inner: MessageExpiry,
}

#[pymethods]
impl PyMessageExpiry {
    /// `"never"`, `"at"` (see `deadline`), `"after_read"` (see `ttl_ms`) or
    /// `"expired"` (it arrived too late: no plaintext).
    #[getter]
    fn kind(&self) -> &'static str {
        match self.inner {
            MessageExpiry::At(_) => "at",
            MessageExpiry::AfterRead { .. } => "after_read",
            MessageExpiry::Expired => "expired",
            _ => "never",
        }
    }

    /// The deadline (ms since the epoch) of an `"at"` expiry.
    #[getter]
    fn deadline(&self) -> Option<u64> {
        match self.inner {
            MessageExpiry::At(t) => Some(t.as_unix_millis()),
            _ => None,
        }
    }

    /// The time to live once read (ms) of an `"after_read"` expiry.
    #[getter]
    fn ttl_ms(&self) -> Option<u64> {
        match self.inner {
            MessageExpiry::AfterRead { ttl_ms } => Some(ttl_ms),
            _ => None,
        }
    }

    fn __repr__(&self) -> String {
        format!("MessageExpiry({:?})", self.inner)
    }
}

/// A change of the conversation's timer, carried by a message.
#[pyclass(name = "TimerChange", module = "sealwire", frozen)]
#[derive(Clone, Copy)]
pub(crate) struct PyTimerChange {
    pub(crate) inner: TimerChange,
}

#[pymethods]
impl PyTimerChange {
    /// The new policy (`None`: timer off).
    #[getter]
    fn policy(&self) -> Option<PyExpiryPolicy> {
        policy(self.inner.new.policy)
    }

    /// The policy before.
    #[getter]
    fn old_policy(&self) -> Option<PyExpiryPolicy> {
        policy(self.inner.old.policy)
    }

    /// Whether the peer changed it (else we did).
    #[getter]
    fn by_peer(&self) -> bool {
        matches!(self.inner.by, ChangedBy::Peer)
    }

    /// The timer's version after the change.
    #[getter]
    fn version(&self) -> u64 {
        self.inner.new.version
    }
}

/// A decrypted 1:1 message.
#[pyclass(name = "Received", module = "sealwire", frozen)]
pub(crate) struct PyReceived {
    pub(crate) inner: Received,
}

#[pymethods]
impl PyReceived {
    /// The plaintext (empty for an expired message).
    #[getter]
    fn plaintext<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, &self.inner.plaintext)
    }

    /// The sender's identity key (authenticated by the session).
    #[getter]
    fn sender(&self) -> PyIdentityKey {
        self.inner.sender.into()
    }

    /// Its number in the sender's chain.
    #[getter]
    fn message_number(&self) -> u32 {
        self.inner.message_number
    }

    /// What it carries.
    #[getter]
    fn content_type(&self) -> PyContentType {
        PyContentType::from_core(self.inner.content_type)
    }

    /// The sender's claimed send time (ms since the epoch).
    #[getter]
    fn sent_at(&self) -> u64 {
        self.inner.sent_at.as_unix_millis()
    }

    /// When it disappears.
    #[getter]
    fn expiry(&self) -> PyMessageExpiry {
        PyMessageExpiry {
            inner: self.inner.expiry,
        }
    }

    /// The timer change it carried, if any.
    #[getter]
    fn timer_change(&self) -> Option<PyTimerChange> {
        self.inner.timer_change.map(|inner| PyTimerChange { inner })
    }

    /// The franking evidence of a franked (reportable) message.
    #[getter]
    fn franking(&self) -> Option<PyFranking> {
        self.inner
            .franking
            .clone()
            .map(|inner| PyFranking { inner })
    }

    fn __repr__(&self) -> String {
        format!(
            "Received(message_number={}, content_type={:?}, {} bytes)",
            self.inner.message_number,
            self.inner.content_type,
            self.inner.plaintext.len()
        )
    }
}

pub(crate) fn received(inner: Received) -> PyReceived {
    PyReceived { inner }
}

/// The wire bytes and, for a franked message, its franking opening.
fn sent<'py>(py: Python<'py>, sent: sealwire::Sent) -> (Bound<'py, PyBytes>, Option<PyFranking>) {
    (
        py_bytes(py, &sent.message),
        sent.franking.map(|inner| PyFranking { inner }),
    )
}

/// A 1:1 session with one peer device, in either phase: pending (we
/// started it and have no reply yet: every message is a prekey message)
/// or established. A failing call leaves it unchanged.
#[pyclass(name = "Session", module = "sealwire")]
pub(crate) struct PySession {
    pub(crate) inner: Slot<SessionRecord>,
}

impl From<SessionRecord> for PySession {
    fn from(value: SessionRecord) -> Self {
        Self {
            inner: Slot::new("Session", value),
        }
    }
}

closable!(PySession, blob SessionRecord {
    /// Starts a session from the peer's bundle: PQXDH when the bundle has
    /// a PQ prekey, X3DH otherwise. `SessionError`.
    #[staticmethod]
    fn initiate(
        identity: PyRef<'_, PyIdentityKeyPair>,
        bundle: PyRef<'_, PyPrekeyBundle>,
    ) -> PyResult<Self> {
        let pending =
            PendingSession::initiate(&mut sealwire::os_rng(), identity.inner.get()?, &bundle.inner)
                .or_raise()?;
        Ok(SessionRecord::from(pending).into())
    }

    /// Accepts the session a prekey message starts; consumes the one-time
    /// prekeys it used (only on success). Returns the session and the
    /// message.
    #[staticmethod]
    #[pyo3(signature = (identity, prekeys, message, now = None))]
    fn accept(
        identity: PyRef<'_, PyIdentityKeyPair>,
        mut prekeys: PyRefMut<'_, PyPrekeyStore>,
        message: &[u8],
        now: Option<u64>,
    ) -> PyResult<(Self, PyReceived)> {
        let (session, got) = Session::accept(
            identity.inner.get()?,
            prekeys.inner.get_mut()?,
            timestamp(now),
            message,
        )
        .or_raise()?;
        Ok((SessionRecord::from(session).into(), received(got)))
    }

    /// Encrypts `body`; returns the wire message.
    #[pyo3(signature = (body, *, content_type = PyContentType::UserMessage, now = None))]
    fn encrypt<'py>(
        &mut self,
        py: Python<'py>,
        body: &[u8],
        content_type: PyContentType,
        now: Option<u64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let sent = self
            .inner
            .get_mut()?
            .encrypt(
                &mut sealwire::os_rng(),
                timestamp(now),
                Outgoing::new(content_type.to_core(), body),
            )
            .or_raise()?;
        Ok(py_bytes(py, &sent.message))
    }

    /// Encrypts a franked (reportable) user message; returns the wire
    /// message and its franking opening.
    #[pyo3(signature = (body, *, now = None))]
    fn encrypt_franked<'py>(
        &mut self,
        py: Python<'py>,
        body: &[u8],
        now: Option<u64>,
    ) -> PyResult<(Bound<'py, PyBytes>, Option<PyFranking>)> {
        let message = self
            .inner
            .get_mut()?
            .encrypt(
                &mut sealwire::os_rng(),
                timestamp(now),
                Outgoing::message(body).franked(),
            )
            .or_raise()?;
        Ok(sent(py, message))
    }

    /// Decrypts a message; a pending session becomes established on its
    /// first reply. `SessionError` (the session unchanged).
    #[pyo3(signature = (message, now = None))]
    fn decrypt(&mut self, message: &[u8], now: Option<u64>) -> PyResult<PyReceived> {
        self.inner
            .get_mut()?
            .decrypt(timestamp(now), message)
            .or_raise()
            .map(received)
    }

    /// Whether a reply arrived (else every message is a prekey message).
    #[getter]
    fn is_established(&self) -> PyResult<bool> {
        Ok(self.inner.get()?.is_established())
    }

    /// How the keys were agreed.
    #[getter]
    fn key_agreement(&self) -> PyResult<PyKeyAgreement> {
        Ok(self.inner.get()?.key_agreement().into())
    }

    /// Whether the key agreement was post-quantum (PQXDH).
    #[getter]
    fn is_post_quantum(&self) -> PyResult<bool> {
        Ok(self.inner.get()?.key_agreement().is_post_quantum())
    }

    /// The peer's identity key.
    #[getter]
    fn their_identity(&self) -> PyResult<PyIdentityKey> {
        Ok((*self.inner.get()?.their_identity()).into())
    }

    /// The conversation's disappearing-message policy (`None`: off).
    #[getter]
    fn timer(&self) -> PyResult<Option<PyExpiryPolicy>> {
        Ok(policy(self.inner.get()?.timer().policy))
    }

    /// Sets the disappearing-message timer (`None`: off); returns the
    /// timer-change message to send to the peer.
    #[pyo3(signature = (policy, now = None))]
    fn set_timer<'py>(
        &mut self,
        py: Python<'py>,
        policy: Option<PyExpiryPolicy>,
        now: Option<u64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let (message, _) = self
            .inner
            .get_mut()?
            .set_timer(&mut sealwire::os_rng(), timestamp(now), policy.map(|p| p.inner))
            .or_raise()?;
        Ok(py_bytes(py, &message))
    }

    /// Erases the skipped message keys whose time is up.
    #[pyo3(signature = (now = None))]
    fn erase_expired_keys(&mut self, now: Option<u64>) -> PyResult<()> {
        self.inner.get_mut()?.erase_expired_keys(timestamp(now));
        Ok(())
    }

    /// When `erase_expired_keys` next has work (ms since the epoch).
    #[getter]
    fn next_key_erasure(&self) -> PyResult<Option<u64>> {
        Ok(self
            .inner
            .get()?
            .next_key_erasure()
            .map(|t| t.as_unix_millis()))
    }

    fn __repr__(&self) -> String {
        match self.inner.get() {
            Ok(s) => format!(
                "Session({}, {:?})",
                if s.is_established() { "established" } else { "pending" },
                s.key_agreement()
            ),
            Err(_) => "Session(closed)".to_owned(),
        }
    }

});

/// Disappearing messages to erase, by deadline (persist it with the app's
/// messages).
#[pyclass(name = "ExpiryQueue", module = "sealwire")]
pub(crate) struct PyExpiryQueue {
    inner: Slot<ExpiryQueue>,
}

impl From<ExpiryQueue> for PyExpiryQueue {
    fn from(value: ExpiryQueue) -> Self {
        Self {
            inner: Slot::new("ExpiryQueue", value),
        }
    }
}

closable!(PyExpiryQueue, blob ExpiryQueue {
    #[new]
    fn new() -> Self {
        ExpiryQueue::new().into()
    }

    /// Queues message `message_id` (an int below 2**128: a row id, or a
    /// UUID's `.int`) with a received message's expiry;
    /// returns False (nothing queued) for one that never expires or has
    /// expired already. `ExpiryError` when full or for a duplicate id.
    fn insert(&mut self, message_id: u128, expiry: PyMessageExpiry) -> PyResult<bool> {
        let entry = match expiry.inner {
            MessageExpiry::At(t) => Expiry::At(t),
            MessageExpiry::AfterRead { ttl_ms } => Expiry::AfterRead { ttl_ms },
            _ => return Ok(false),
        };
        self.inner
            .get_mut()?
            .insert(MessageId(message_id.to_be_bytes()), entry)
            .or_raise()?;
        Ok(true)
    }

    /// The app showed the message: an after-read message's deadline
    /// starts. Returns its deadline, `None` if it is not queued.
    #[pyo3(signature = (message_id, now = None))]
    fn mark_read(&mut self, message_id: u128, now: Option<u64>) -> PyResult<Option<u64>> {
        Ok(self
            .inner
            .get_mut()?
            .mark_read(MessageId(message_id.to_be_bytes()), timestamp(now))
            .map(|t| t.as_unix_millis()))
    }

    /// Removes and returns the ids whose deadline passed: erase them.
    #[pyo3(signature = (now = None))]
    fn pop_expired(&mut self, now: Option<u64>) -> PyResult<Vec<u128>> {
        Ok(self
            .inner
            .get_mut()?
            .pop_expired(timestamp(now))
            .into_iter()
            .map(|id| u128::from_be_bytes(id.0))
            .collect())
    }

    /// The earliest deadline (ms since the epoch), to set an alarm.
    #[getter]
    fn next_deadline(&self) -> PyResult<Option<u64>> {
        Ok(self.inner.get()?.next_deadline().map(|t| t.as_unix_millis()))
    }

    fn __len__(&self) -> PyResult<usize> {
        Ok(self.inner.get()?.len())
    }

});

/// A user's devices and their identity keys, as the server announces them;
/// an identity change waits for `confirm_identity`.
#[pyclass(name = "DeviceList", module = "sealwire")]
pub(crate) struct PyDeviceList {
    pub(crate) inner: Slot<DeviceList>,
}

impl From<DeviceList> for PyDeviceList {
    fn from(value: DeviceList) -> Self {
        Self {
            inner: Slot::new("DeviceList", value),
        }
    }
}

closable!(PyDeviceList, blob DeviceList {
    /// An empty list for `user`; `DeviceError` for an id too long.
    #[new]
    fn new(user: &str) -> PyResult<Self> {
        DeviceList::new(user).or_raise().map(Self::from)
    }

    /// Replaces the list with the server's `(device_id, identity_key)`
    /// pairs; returns what changed as `(event, device_id)` pairs, event
    /// one of `"added"`, `"removed"`, `"identity_changed"` (held until
    /// `confirm_identity`).
    fn update(
        &mut self,
        devices: Vec<(u32, PyRef<'_, PyIdentityKey>)>,
    ) -> PyResult<Vec<(&'static str, u32)>> {
        let devices: Vec<_> = devices.iter().map(|(d, k)| (*d, k.inner)).collect();
        let events = self.inner.get_mut()?.update(&devices).or_raise()?;
        Ok(events
            .into_iter()
            .filter_map(|e| match e {
                DeviceEvent::Added { device, .. } => Some(("added", device)),
                DeviceEvent::Removed { device } => Some(("removed", device)),
                DeviceEvent::IdentityChanged { device, .. } => {
                    Some(("identity_changed", device))
                }
                _ => None,
            })
            .collect())
    }

    /// Confirms a device's changed identity key (after the user checked
    /// the safety number).
    fn confirm_identity(&mut self, device_id: u32, key: PyRef<'_, PyIdentityKey>) -> PyResult<()> {
        self.inner
            .get_mut()?
            .confirm_identity(device_id, &key.inner)
            .or_raise()
    }

    /// The user id.
    #[getter]
    fn user(&self) -> PyResult<String> {
        Ok(self.inner.get()?.user().to_owned())
    }

    /// The `(device_id, identity_key)` pairs.
    fn devices(&self) -> PyResult<Vec<(u32, PyIdentityKey)>> {
        Ok(self
            .inner
            .get()?
            .devices()
            .map(|(d, k)| (d, PyIdentityKey::from(*k)))
            .collect())
    }

    fn __len__(&self) -> PyResult<usize> {
        Ok(self.inner.get()?.len())
    }

});

/// Our sessions with one peer device: the current one and up to 40
/// previous ones (a message to an older session still decrypts).
#[pyclass(name = "DeviceSessions", module = "sealwire")]
pub(crate) struct PyDeviceSessions {
    pub(crate) inner: Slot<DeviceSessions>,
}

impl From<DeviceSessions> for PyDeviceSessions {
    fn from(value: DeviceSessions) -> Self {
        Self {
            inner: Slot::new("DeviceSessions", value),
        }
    }
}

closable!(PyDeviceSessions, blob DeviceSessions {
    #[new]
    fn new() -> Self {
        DeviceSessions::new().into()
    }

    /// Starts a session from the device's bundle, whose identity must be
    /// `expected` (the device list's).
    fn initiate(
        &mut self,
        identity: PyRef<'_, PyIdentityKeyPair>,
        expected: PyRef<'_, PyIdentityKey>,
        bundle: PyRef<'_, PyPrekeyBundle>,
    ) -> PyResult<()> {
        self.inner
            .get_mut()?
            .initiate(
                &mut sealwire::os_rng(),
                identity.inner.get()?,
                &expected.inner,
                &bundle.inner,
            )
            .or_raise()
    }

    /// Encrypts `body` in the current session, whose peer must be
    /// `expected`; returns the wire message.
    #[pyo3(signature = (expected, body, *, now = None))]
    fn encrypt<'py>(
        &mut self,
        py: Python<'py>,
        expected: PyRef<'_, PyIdentityKey>,
        body: &[u8],
        now: Option<u64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let sent = self
            .inner
            .get_mut()?
            .encrypt(
                &mut sealwire::os_rng(),
                timestamp(now),
                &expected.inner,
                Outgoing::message(body),
            )
            .or_raise()?;
        Ok(py_bytes(py, &sent.message))
    }

    /// Decrypts a message from the device (whose identity must be
    /// `expected`), accepting a new session from a prekey message.
    #[pyo3(signature = (identity, prekeys, expected, message, now = None))]
    fn decrypt(
        &mut self,
        identity: PyRef<'_, PyIdentityKeyPair>,
        mut prekeys: PyRefMut<'_, PyPrekeyStore>,
        expected: PyRef<'_, PyIdentityKey>,
        message: &[u8],
        now: Option<u64>,
    ) -> PyResult<PyReceived> {
        self.inner
            .get_mut()?
            .decrypt(
                identity.inner.get()?,
                prekeys.inner.get_mut()?,
                &expected.inner,
                timestamp(now),
                message,
            )
            .or_raise()
            .map(received)
    }

    /// Whether there is a current session.
    #[getter]
    fn has_current(&self) -> PyResult<bool> {
        Ok(self.inner.get()?.current().is_some())
    }

});

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyContentType>()?;
    m.add_class::<PyKeyAgreement>()?;
    m.add_class::<PyExpiryMode>()?;
    m.add_class::<PyExpiryPolicy>()?;
    m.add_class::<PyMessageExpiry>()?;
    m.add_class::<PyTimerChange>()?;
    m.add_class::<PyReceived>()?;
    m.add_class::<PySession>()?;
    m.add_class::<PyExpiryQueue>()?;
    m.add_class::<PyDeviceList>()?;
    m.add_class::<PyDeviceSessions>()?;
    Ok(())
}
