//! Sealed sender (SPEC.md §22), the submodule `sealwire.sealed`: the
//! server's key and certificates, the pinned keys, 1:1 envelopes,
//! multi-recipient posts, profile and access keys.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use sealwire::DeviceAddress;
use sealwire::sealed::{
    self, AccessKey, MultiRecipientMessage, ProfileKey, SenderCertificate, ServerKey,
    ServerPublicKey, TrustedServerKeys, Unsealed, UnsealedPost,
};

use crate::errors::OrRaise;
use crate::group::{PyChannelSubscriber, PyGroup, PyGroupReceived, group_received};
use crate::keys::{PyIdentityKey, PyIdentityKeyPair, PyPrekeyStore, closable, identities};
use crate::session::{PyDeviceList, PyDeviceSessions, PyReceived, received};
use crate::{Slot, array, py_bytes, timestamp};

/// The app server's certificate-signing key (Ed25519, with a key id). For
/// servers and tests: a client only pins its public half.
#[pyclass(name = "ServerKey", module = "sealwire.sealed")]
pub(crate) struct PyServerKey {
    inner: Slot<ServerKey>,
}

closable!(PyServerKey {
    /// A new random key with id `key_id`.
    #[staticmethod]
    fn generate(key_id: u32) -> Self {
        Self {
            inner: Slot::new("ServerKey", ServerKey::generate(&mut sealwire::os_rng(), key_id)),
        }
    }

    /// The key id.
    #[getter]
    fn key_id(&self) -> PyResult<u32> {
        Ok(self.inner.get()?.key_id())
    }

    /// The public half, for clients to pin.
    #[getter]
    fn public_key(&self) -> PyResult<PyServerPublicKey> {
        Ok(PyServerPublicKey {
            inner: self.inner.get()?.public(),
        })
    }

    /// Issues device `device_id` of `user` a certificate for `identity`,
    /// valid until `expires_at` (ms since the epoch, exclusive).
    /// `SealedError` for a user id empty or too long.
    fn issue(
        &self,
        user: &str,
        device_id: u32,
        identity: PyRef<'_, PyIdentityKey>,
        expires_at: u64,
    ) -> PyResult<PySenderCertificate> {
        self.inner
            .get()?
            .issue(
                &DeviceAddress::new(user, device_id),
                &identity.inner,
                sealwire::Timestamp::from_unix_millis(expires_at),
            )
            .or_raise()
            .map(|inner| PySenderCertificate { inner })
    }
});

/// A server's public key, as clients pin it.
#[pyclass(name = "ServerPublicKey", module = "sealwire.sealed", frozen)]
pub(crate) struct PyServerPublicKey {
    inner: ServerPublicKey,
}

#[pymethods]
impl PyServerPublicKey {
    /// `SealedError`.
    #[staticmethod]
    fn parse(key: &[u8]) -> PyResult<Self> {
        ServerPublicKey::parse(key)
            .or_raise()
            .map(|inner| Self { inner })
    }

    /// The encoding (type, version, key id, key).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, &self.inner.to_bytes())
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.to_bytes(py)
    }

    /// The key id.
    #[getter]
    fn key_id(&self) -> u32 {
        self.inner.key_id()
    }
}

/// A short-lived certificate from the server: a device's user id, device
/// id and identity key.
#[pyclass(name = "SenderCertificate", module = "sealwire.sealed", frozen)]
pub(crate) struct PySenderCertificate {
    inner: SenderCertificate,
}

fn certificate(inner: SenderCertificate) -> PySenderCertificate {
    PySenderCertificate { inner }
}

#[pymethods]
impl PySenderCertificate {
    /// Parses (does not verify: see `TrustedServerKeys.verify`);
    /// `SealedError`.
    #[staticmethod]
    fn parse(certificate: &[u8]) -> PyResult<Self> {
        SenderCertificate::parse(certificate)
            .or_raise()
            .map(crate::sealed::certificate)
    }

    /// The encoding.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, &self.inner.to_vec())
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.to_bytes(py)
    }

    /// The sender's user id.
    #[getter]
    fn user(&self) -> &str {
        self.inner.user()
    }

    /// The sender's device id.
    #[getter]
    fn device_id(&self) -> u32 {
        self.inner.device_id()
    }

    /// The sender's identity key.
    #[getter]
    fn identity_key(&self) -> PyIdentityKey {
        (*self.inner.identity_key()).into()
    }

    /// Its expiry (ms since the epoch, exclusive).
    #[getter]
    fn expires_at(&self) -> u64 {
        self.inner.expires_at().as_unix_millis()
    }

    /// The id of the server key that signed it.
    #[getter]
    fn server_key_id(&self) -> u32 {
        self.inner.server_key_id()
    }
}

/// The server keys a client pins, and the certificates it verified.
#[pyclass(name = "TrustedServerKeys", module = "sealwire.sealed")]
pub(crate) struct PyTrustedServerKeys {
    inner: Slot<TrustedServerKeys>,
}

closable!(PyTrustedServerKeys {
    #[new]
    fn new() -> Self {
        Self {
            inner: Slot::new("TrustedServerKeys", TrustedServerKeys::new()),
        }
    }

    /// Pins a key (replacing one of the same id); `SealedError` when full.
    fn add(&mut self, key: PyRef<'_, PyServerPublicKey>) -> PyResult<()> {
        self.inner.get_mut()?.add(key.inner).or_raise()
    }

    /// Unpins key `key_id`; returns whether it was pinned.
    fn remove(&mut self, key_id: u32) -> PyResult<bool> {
        Ok(self.inner.get_mut()?.remove(key_id))
    }

    /// Verifies a certificate at `now` (our clock): `SealedError` kinds
    /// `UntrustedServerKey`, `BadCertificateSignature`,
    /// `CertificateExpired`.
    #[pyo3(signature = (certificate, now = None))]
    fn verify(&mut self, certificate: PyRef<'_, PySenderCertificate>, now: Option<u64>) -> PyResult<()> {
        self.inner
            .get_mut()?
            .verify(&certificate.inner, timestamp(now))
            .or_raise()
    }

    fn __len__(&self) -> PyResult<usize> {
        Ok(self.inner.get()?.len())
    }
});

/// An opened 1:1 envelope: who claims to have sent it, not verified yet.
#[pyclass(name = "Unsealed", module = "sealwire.sealed", frozen)]
pub(crate) struct PyUnsealed {
    inner: Unsealed,
}

#[pymethods]
impl PyUnsealed {
    /// The claimed sender, `(user, device_id)`: look up its device list
    /// and sessions with it, then `decrypt`.
    #[getter]
    fn sender(&self) -> (String, u32) {
        let a = self.inner.sender();
        (a.name().to_owned(), a.device_id())
    }

    /// The sender's certificate (not verified yet).
    fn certificate(&self) -> PyResult<PySenderCertificate> {
        self.inner.certificate().or_raise().map(certificate)
    }

    /// Verifies the certificate (pinned key, signature, expiry at `now`),
    /// checks it against the sender's device list, and decrypts the inner
    /// message, which must authenticate as the certificate's identity.
    /// `SealedError` (kinds `UntrustedServerKey`, `CertificateExpired`,
    /// `SenderMismatch`, `Session`, ...); nothing changes on error.
    #[pyo3(signature = (trusted, identity, prekeys, devices, sessions, now = None))]
    fn decrypt(
        &self,
        mut trusted: PyRefMut<'_, PyTrustedServerKeys>,
        identity: PyRef<'_, PyIdentityKeyPair>,
        mut prekeys: PyRefMut<'_, PyPrekeyStore>,
        devices: PyRef<'_, PyDeviceList>,
        mut sessions: PyRefMut<'_, PyDeviceSessions>,
        now: Option<u64>,
    ) -> PyResult<PyReceived> {
        let (_, got) = self
            .inner
            .decrypt(
                timestamp(now),
                trusted.inner.get_mut()?,
                identity.inner.get()?,
                prekeys.inner.get_mut()?,
                devices.inner.get()?,
                sessions.inner.get_mut()?,
            )
            .or_raise()?;
        Ok(received(got))
    }
}

/// An opened sealed post: who claims to have sent it, to which group.
#[pyclass(name = "UnsealedPost", module = "sealwire.sealed", frozen)]
pub(crate) struct PyUnsealedPost {
    inner: UnsealedPost,
}

#[pymethods]
impl PyUnsealedPost {
    /// The claimed sender, `(user, device_id)`.
    #[getter]
    fn sender(&self) -> (String, u32) {
        let a = self.inner.sender();
        (a.name().to_owned(), a.device_id())
    }

    /// The group's 16-byte id.
    #[getter]
    fn group_id<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, self.inner.group_id().as_bytes())
    }

    /// The sender's certificate (not verified yet).
    fn certificate(&self) -> PyResult<PySenderCertificate> {
        self.inner.certificate().or_raise().map(certificate)
    }

    /// Verifies the sender as `Unsealed.decrypt` does and receives the
    /// post in `group` (a `Group` or a `ChannelSubscriber`).
    #[pyo3(signature = (trusted, devices, group, now = None))]
    fn receive(
        &self,
        mut trusted: PyRefMut<'_, PyTrustedServerKeys>,
        devices: PyRef<'_, PyDeviceList>,
        group: &Bound<'_, PyAny>,
        now: Option<u64>,
    ) -> PyResult<PyGroupReceived> {
        let now = timestamp(now);
        let trusted = trusted.inner.get_mut()?;
        let devices = devices.inner.get()?;
        let (_, got) = if let Ok(mut g) = group.extract::<PyRefMut<'_, PyGroup>>() {
            self.inner
                .receive(now, trusted, devices, g.inner.get_mut()?)
        } else if let Ok(mut g) = group.extract::<PyRefMut<'_, PyChannelSubscriber>>() {
            self.inner
                .receive(now, trusted, devices, g.inner.get_mut()?)
        } else {
            return Err(PyTypeError::new_err(
                "group must be a Group or a ChannelSubscriber",
            ));
        }
        .or_raise()?;
        Ok(group_received(got))
    }
}

/// A user's profile key: shared with the contacts allowed to send sealed
/// messages; its access key is registered with the relay.
#[pyclass(name = "ProfileKey", module = "sealwire.sealed")]
pub(crate) struct PyProfileKey {
    inner: Slot<ProfileKey>,
}

closable!(PyProfileKey {
    /// A new random key.
    #[staticmethod]
    fn generate() -> Self {
        Self {
            inner: Slot::new("ProfileKey", ProfileKey::generate(&mut sealwire::os_rng())),
        }
    }

    /// From its 32 bytes (as received from a contact).
    #[staticmethod]
    fn from_bytes(key: &[u8]) -> PyResult<Self> {
        Ok(Self {
            inner: Slot::new("ProfileKey", ProfileKey::from_bytes(array::<32>("profile key", key)?)),
        })
    }

    /// The 32 secret bytes, to give a contact over a 1:1 session.
    fn export<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(py_bytes(py, self.inner.get()?.danger_as_bytes()))
    }

    /// The access key derived from it.
    fn access_key(&self) -> PyResult<PyAccessKey> {
        Ok(PyAccessKey {
            inner: self.inner.get()?.access_key(),
        })
    }
});

/// A delivery token (16 bytes) the relay checks before it delivers a
/// sealed message.
#[pyclass(name = "AccessKey", module = "sealwire.sealed", frozen)]
pub(crate) struct PyAccessKey {
    inner: AccessKey,
}

#[pymethods]
impl PyAccessKey {
    /// From its 16 bytes.
    #[staticmethod]
    fn from_bytes(key: &[u8]) -> PyResult<Self> {
        Ok(Self {
            inner: AccessKey::from_bytes(array::<16>("access key", key)?),
        })
    }

    /// The 16 bytes (presented to the relay).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, self.inner.as_bytes())
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.to_bytes(py)
    }

    /// The relay's check of a presented token (constant time).
    fn verify(&self, presented: &[u8]) -> bool {
        self.inner.verify(presented)
    }

    /// The token of a multi-recipient message: the XOR of the recipients'
    /// keys; `None` for no key.
    #[staticmethod]
    fn combined(keys: Vec<PyRef<'_, PyAccessKey>>) -> Option<Self> {
        let keys: Vec<AccessKey> = keys.iter().map(|k| k.inner.clone()).collect();
        AccessKey::combined(&keys).map(|inner| Self { inner })
    }
}

/// Seals a 1:1 wire message for `recipient` with our certificate; the
/// envelope names no sender. `SealedError`.
#[pyfunction]
fn seal<'py>(
    py: Python<'py>,
    recipient: PyRef<'_, PyIdentityKey>,
    certificate: PyRef<'_, PySenderCertificate>,
    message: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let envelope = sealed::seal(
        &mut sealwire::os_rng(),
        &recipient.inner,
        &certificate.inner,
        message,
    )
    .or_raise()?;
    Ok(py_bytes(py, &envelope))
}

/// Opens an envelope with our identity (no state changes); `SealedError`.
#[pyfunction]
fn open(identity: PyRef<'_, PyIdentityKeyPair>, envelope: &[u8]) -> PyResult<PyUnsealed> {
    sealed::open(identity.inner.get()?, envelope)
        .or_raise()
        .map(|inner| PyUnsealed { inner })
}

/// Seals a group post for many recipients in one message (the body
/// encrypted once), to hand to the relay. `SealedError`.
#[pyfunction]
fn seal_post<'py>(
    py: Python<'py>,
    recipients: Vec<PyRef<'_, PyIdentityKey>>,
    certificate: PyRef<'_, PySenderCertificate>,
    post: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let message = sealed::seal_post(
        &mut sealwire::os_rng(),
        &identities(&recipients),
        &certificate.inner,
        post,
    )
    .or_raise()?;
    Ok(py_bytes(py, &message))
}

/// The relay's side: splits a multi-recipient message into
/// `(recipient identity key bytes, sealed post)` pairs. `DecodeError`.
#[pyfunction]
fn split<'py>(
    py: Python<'py>,
    message: &[u8],
) -> PyResult<Vec<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)>> {
    let parsed = MultiRecipientMessage::parse(message).or_raise()?;
    Ok(parsed
        .split()
        .into_iter()
        .map(|(key, post)| (py_bytes(py, &key), py_bytes(py, &post)))
        .collect())
}

/// Opens a sealed post with our identity; `SealedError`.
#[pyfunction]
fn open_post(identity: PyRef<'_, PyIdentityKeyPair>, message: &[u8]) -> PyResult<PyUnsealedPost> {
    sealed::open_post(identity.inner.get()?, message)
        .or_raise()
        .map(|inner| PyUnsealedPost { inner })
}

/// The franking commitment in clear on a franked envelope, for the relay
/// to stamp; `DecodeError` if it is not one.
#[pyfunction]
fn commitment_of_sealed<'py>(py: Python<'py>, envelope: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    Ok(py_bytes(
        py,
        &sealed::commitment_of_sealed(envelope).or_raise()?,
    ))
}

pub(crate) fn register(parent: &Bound<'_, PyModule>) -> PyResult<()> {
    let m = PyModule::new(parent.py(), "sealed")?;
    m.add_class::<PyServerKey>()?;
    m.add_class::<PyServerPublicKey>()?;
    m.add_class::<PySenderCertificate>()?;
    m.add_class::<PyTrustedServerKeys>()?;
    m.add_class::<PyUnsealed>()?;
    m.add_class::<PyUnsealedPost>()?;
    m.add_class::<PyProfileKey>()?;
    m.add_class::<PyAccessKey>()?;
    m.add_function(wrap_pyfunction!(seal, &m)?)?;
    m.add_function(wrap_pyfunction!(open, &m)?)?;
    m.add_function(wrap_pyfunction!(seal_post, &m)?)?;
    m.add_function(wrap_pyfunction!(split, &m)?)?;
    m.add_function(wrap_pyfunction!(open_post, &m)?)?;
    m.add_function(wrap_pyfunction!(commitment_of_sealed, &m)?)?;
    // An attribute, not in `__all__`: the package's `sealwire.sealed`
    // (python/sealwire/sealed.py) re-exports it.
    parent.setattr("sealed", m)?;
    Ok(())
}
