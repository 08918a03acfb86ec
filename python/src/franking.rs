//! Message franking (abuse reports, SPEC.md §19): the evidence a recipient
//! receives, the relay's key, stamps and routing contexts, reports.

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use sealwire::franking::{self, Franking, RelayKey, Report, RoutingContext, Stamp, VerifiedReport};

use crate::errors::OrRaise;
use crate::keys::{PyIdentityKey, closable};
use crate::session::{PyContentType, PyReceived};
use crate::{Slot, array, py_bytes};

/// The franking evidence of a franked message: the commitment `cf` (and
/// the key `kf`, kept inside).
#[pyclass(name = "Franking", module = "sealwire", frozen)]
pub(crate) struct PyFranking {
    pub(crate) inner: Franking,
}

#[pymethods]
impl PyFranking {
    /// The 32-byte commitment `cf` the relay stamps.
    #[getter]
    fn commitment<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, self.inner.commitment())
    }
}

/// What the relay knows of a message it forwards: its own account ids of
/// sender and recipient (opaque bytes) and when the message passed.
#[pyclass(name = "RoutingContext", module = "sealwire", frozen)]
pub(crate) struct PyRoutingContext {
    inner: RoutingContext,
}

fn context(inner: RoutingContext) -> PyRoutingContext {
    PyRoutingContext { inner }
}

#[pymethods]
impl PyRoutingContext {
    /// `DecodeError` for an id longer than the limit.
    #[new]
    #[pyo3(signature = (sender, recipient, timestamp = None))]
    fn new(sender: &[u8], recipient: &[u8], timestamp: Option<u64>) -> PyResult<Self> {
        RoutingContext::new(sender, recipient, crate::timestamp(timestamp))
            .or_raise()
            .map(context)
    }

    /// The sender's account id at the relay.
    #[getter]
    fn sender<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, self.inner.sender())
    }

    /// The recipient's account id at the relay.
    #[getter]
    fn recipient<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, self.inner.recipient())
    }

    /// When the message passed the relay (ms since the epoch).
    #[getter]
    fn timestamp(&self) -> u64 {
        self.inner.timestamp().as_unix_millis()
    }
}

/// The relay's stamp on a franked message, delivered with it.
#[pyclass(name = "Stamp", module = "sealwire", frozen)]
pub(crate) struct PyStamp {
    inner: Stamp,
}

#[pymethods]
impl PyStamp {
    /// `DecodeError`.
    #[staticmethod]
    fn parse(stamp: &[u8]) -> PyResult<Self> {
        Stamp::parse(stamp).or_raise().map(|inner| Self { inner })
    }

    /// The encoding.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, &self.inner.to_vec())
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.to_bytes(py)
    }

    /// The routing context it binds.
    #[getter]
    fn context(&self) -> PyRoutingContext {
        context(self.inner.context().clone())
    }
}

/// The relay's franking key (it holds no key to anyone's chats).
#[pyclass(name = "RelayKey", module = "sealwire")]
pub(crate) struct PyRelayKey {
    inner: Slot<RelayKey>,
}

closable!(PyRelayKey {
    /// A new random key.
    #[staticmethod]
    fn generate() -> Self {
        Self {
            inner: Slot::new("RelayKey", RelayKey::generate(&mut sealwire::os_rng())),
        }
    }

    /// From its 32 bytes.
    #[staticmethod]
    fn from_bytes(key: &[u8]) -> PyResult<Self> {
        Ok(Self {
            inner: Slot::new("RelayKey", RelayKey::from_bytes(array::<32>("relay key", key)?)),
        })
    }

    /// Stamps a franked message as it passes (`DecodeError` if it is not
    /// a franked message).
    fn stamp_message(&self, message: &[u8], context: PyRef<'_, PyRoutingContext>) -> PyResult<PyStamp> {
        franking::stamp_message(self.inner.get()?, message, context.inner.clone())
            .or_raise()
            .map(|inner| PyStamp { inner })
    }

    /// Stamps a commitment `cf` (e.g. from `sealed.commitment_of_sealed`).
    fn stamp(&self, commitment: &[u8], context: PyRef<'_, PyRoutingContext>) -> PyResult<PyStamp> {
        let commitment = array::<32>("commitment", commitment)?;
        Ok(PyStamp {
            inner: franking::stamp(self.inner.get()?, &commitment, context.inner.clone()),
        })
    }

    /// Verifies a report (stamp, then commitment); `FrankingError`.
    fn verify_report(&self, report: &[u8]) -> PyResult<PyVerifiedReport> {
        franking::verify_report(self.inner.get()?, report)
            .or_raise()
            .map(|inner| PyVerifiedReport { inner })
    }
});

/// An abuse report: one message revealed, with its evidence and stamp.
#[pyclass(name = "Report", module = "sealwire", frozen)]
pub(crate) struct PyReport {
    inner: Report,
}

#[pymethods]
impl PyReport {
    /// The recipient's report of a received franked message (`recipient`:
    /// our own identity key; `stamp`: the one delivered with it).
    /// `FrankingError` if the message was not franked.
    #[staticmethod]
    fn from_received(
        received: PyRef<'_, PyReceived>,
        recipient: PyRef<'_, PyIdentityKey>,
        stamp: PyRef<'_, PyStamp>,
    ) -> PyResult<Self> {
        Report::from_received(&received.inner, recipient.inner, stamp.inner.clone())
            .or_raise()
            .map(|inner| Self { inner })
    }

    /// `FrankingError`.
    #[staticmethod]
    fn parse(report: &[u8]) -> PyResult<Self> {
        Report::parse(report).or_raise().map(|inner| Self { inner })
    }

    /// The encoding, to send to the relay.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, &self.inner.to_vec())
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.to_bytes(py)
    }
}

/// A report the relay verified: what was sent, by whom, to whom, when.
#[pyclass(name = "VerifiedReport", module = "sealwire", frozen)]
pub(crate) struct PyVerifiedReport {
    inner: VerifiedReport,
}

#[pymethods]
impl PyVerifiedReport {
    /// The reported body.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, &self.inner.body)
    }

    /// The sender's identity key.
    #[getter]
    fn sender(&self) -> PyIdentityKey {
        self.inner.sender.into()
    }

    /// The reporter's identity key.
    #[getter]
    fn recipient(&self) -> PyIdentityKey {
        self.inner.recipient.into()
    }

    /// The content type.
    #[getter]
    fn content_type(&self) -> PyContentType {
        PyContentType::from_core(self.inner.content_type)
    }

    /// The sender's claimed send time (ms since the epoch).
    #[getter]
    fn sent_at(&self) -> u64 {
        self.inner.sent_at.as_unix_millis()
    }

    /// The routing context the relay stamped.
    #[getter]
    fn context(&self) -> PyRoutingContext {
        context(self.inner.context.clone())
    }
}

/// The commitment `cf` of a franked message (the relay's view);
/// `DecodeError` if it is not one.
#[pyfunction]
fn commitment_of<'py>(py: Python<'py>, message: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    Ok(py_bytes(py, &franking::commitment_of(message).or_raise()?))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFranking>()?;
    m.add_class::<PyRoutingContext>()?;
    m.add_class::<PyStamp>()?;
    m.add_class::<PyRelayKey>()?;
    m.add_class::<PyReport>()?;
    m.add_class::<PyVerifiedReport>()?;
    m.add_function(wrap_pyfunction!(commitment_of, m)?)?;
    Ok(())
}
