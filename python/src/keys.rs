//! Identities, prekeys and bundles, storage keys and blob addresses, safety
//! numbers.

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use sealwire::persist::{BlobAddress, StorageKey};
use sealwire::{IdentityKey, IdentityKeyPair, PrekeyBundle, PrekeyStore, SafetyNumber};

use crate::errors::OrRaise;
use crate::{Slot, array, py_bytes};

/// `close()`, `closed`, `__enter__` and `__exit__` for a class whose state
/// is `inner: Slot<_>`, with the class's other methods; with `blob Core`,
/// also `to_blob`, `from_blob`, `seal` and `unseal` of the state (the class
/// is `From<Core>`). (PyO3 expands no macro inside `#[pymethods]`, hence
/// one macro that writes the whole block.)
macro_rules! closable {
    ($ty:ty { $($methods:tt)* }) => {
        crate::keys::closable!(@impl $ty {} { $($methods)* });
    };
    ($ty:ty, blob $core:ty { $($methods:tt)* }) => {
        crate::keys::closable!(@impl $ty {
            /// The plain state blob (STORAGE.md), for a database encrypted
            /// already. It holds secrets.
            fn to_blob<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
                Ok(crate::blob_out(py, self.inner.get()?))
            }

            /// Loads a plain state blob; `StateError` if it is not one of
            /// this kind.
            #[staticmethod]
            fn from_blob(blob: &[u8]) -> PyResult<Self> {
                crate::blob_in::<$core>(blob).map(Self::from)
            }

            /// The state sealed under `key`, bound to `address` (where it
            /// is stored): loading it elsewhere fails.
            fn seal<'py>(
                &self,
                py: Python<'py>,
                key: PyRef<'_, crate::keys::PyStorageKey>,
                address: PyRef<'_, crate::keys::PyBlobAddress>,
            ) -> PyResult<Bound<'py, PyBytes>> {
                crate::sealed_out(py, self.inner.get()?, &key, &address)
            }

            /// Loads a sealed blob; `StateError` on a wrong key, a wrong
            /// address, a damaged blob or another kind.
            #[staticmethod]
            fn unseal(
                key: PyRef<'_, crate::keys::PyStorageKey>,
                address: PyRef<'_, crate::keys::PyBlobAddress>,
                blob: &[u8],
            ) -> PyResult<Self> {
                crate::sealed_in::<$core>(&key, &address, blob).map(Self::from)
            }
        } { $($methods)* });
    };
    (@impl $ty:ty { $($extra:tt)* } { $($methods:tt)* }) => {
        #[pymethods]
        impl $ty {
            /// Drops the state now (its secrets are erased); any later use
            /// raises `ClosedError`. Closing twice is allowed.
            fn close(&mut self) {
                self.inner.close();
            }

            /// Whether `close()` was called.
            #[getter]
            fn closed(&self) -> bool {
                self.inner.is_closed()
            }

            fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
                slf
            }

            #[pyo3(signature = (*_args))]
            fn __exit__(&mut self, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
                self.inner.close();
                false
            }

            $($extra)*

            $($methods)*
        }
    };
}
pub(crate) use closable;

/// A public identity key (Ed25519).
#[pyclass(name = "IdentityKey", module = "sealwire", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyIdentityKey {
    pub(crate) inner: IdentityKey,
}

impl From<IdentityKey> for PyIdentityKey {
    fn from(inner: IdentityKey) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyIdentityKey {
    /// From its 32 bytes; `DecodeError` if they are not a valid key.
    #[staticmethod]
    fn from_bytes(key: &[u8]) -> PyResult<Self> {
        let bytes = array::<32>("identity key", key)?;
        IdentityKey::from_bytes(&bytes).or_raise().map(Self::from)
    }

    /// The 32 bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, self.inner.as_bytes())
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.to_bytes(py)
    }

    /// The 33-byte encoding (type byte and key) used in safety numbers.
    fn encode<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, &self.inner.encode())
    }

    fn __repr__(&self) -> String {
        let hex: String = self
            .inner
            .as_bytes()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("IdentityKey({hex}…)")
    }
}

/// Identity keys as Python `IdentityKey`s.
pub(crate) fn identity_list(keys: impl IntoIterator<Item = IdentityKey>) -> Vec<PyIdentityKey> {
    keys.into_iter().map(PyIdentityKey::from).collect()
}

/// Python `IdentityKey`s as identity keys.
pub(crate) fn identities(keys: &[PyRef<'_, PyIdentityKey>]) -> Vec<IdentityKey> {
    keys.iter().map(|k| k.inner).collect()
}

/// A device's long-term identity key pair. Its secret never leaves Rust
/// but in a state blob.
#[pyclass(name = "IdentityKeyPair", module = "sealwire")]
pub(crate) struct PyIdentityKeyPair {
    pub(crate) inner: Slot<IdentityKeyPair>,
}

impl From<IdentityKeyPair> for PyIdentityKeyPair {
    fn from(value: IdentityKeyPair) -> Self {
        Self {
            inner: Slot::new("IdentityKeyPair", value),
        }
    }
}

closable!(PyIdentityKeyPair, blob IdentityKeyPair {
    /// A new key pair from the OS generator.
    #[staticmethod]
    fn generate() -> Self {
        IdentityKeyPair::generate(&mut sealwire::os_rng()).into()
    }

    /// The public key.
    #[getter]
    fn public_key(&self) -> PyResult<PyIdentityKey> {
        Ok((*self.inner.get()?.public()).into())
    }

    fn __repr__(&self) -> String {
        match self.inner.get() {
            Ok(pair) => format!("IdentityKeyPair(public={})", PyIdentityKey::from(*pair.public()).__repr__()),
            Err(_) => "IdentityKeyPair(closed)".to_owned(),
        }
    }

});

/// A published prekey bundle, signatures verified.
#[pyclass(name = "PrekeyBundle", module = "sealwire", frozen)]
pub(crate) struct PyPrekeyBundle {
    pub(crate) inner: PrekeyBundle,
}

#[pymethods]
impl PyPrekeyBundle {
    /// Parses a bundle and verifies its signatures; `BundleError`.
    #[staticmethod]
    fn parse(bundle: &[u8]) -> PyResult<Self> {
        PrekeyBundle::parse(bundle)
            .or_raise()
            .map(|inner| Self { inner })
    }

    /// The encoding, to publish.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, &self.inner.to_vec())
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.to_bytes(py)
    }

    /// The owner's identity key.
    #[getter]
    fn identity_key(&self) -> PyIdentityKey {
        (*self.inner.identity_key()).into()
    }

    /// Whether it carries a post-quantum (ML-KEM-768) prekey: sessions
    /// started from it use PQXDH.
    #[getter]
    fn has_pq_prekey(&self) -> bool {
        self.inner.pq_prekey().is_some()
    }

    /// The id of its one-time prekey, if it has one.
    #[getter]
    fn one_time_prekey_id(&self) -> Option<u32> {
        self.inner.one_time_prekey().map(|k| k.id)
    }

    /// The id of its signed prekey.
    #[getter]
    fn signed_prekey_id(&self) -> u32 {
        self.inner.signed_prekey_id()
    }
}

/// A device's prekeys (signed, one-time, post-quantum), consumed as
/// sessions are accepted.
#[pyclass(name = "PrekeyStore", module = "sealwire")]
pub(crate) struct PyPrekeyStore {
    pub(crate) inner: Slot<PrekeyStore>,
}

impl From<PrekeyStore> for PyPrekeyStore {
    fn from(value: PrekeyStore) -> Self {
        Self {
            inner: Slot::new("PrekeyStore", value),
        }
    }
}

closable!(PyPrekeyStore, blob PrekeyStore {
    /// A new store for `identity`: a signed prekey and, unless `pq` is
    /// false, a last-resort post-quantum prekey (sessions use PQXDH).
    #[new]
    #[pyo3(signature = (identity, *, pq = true))]
    fn new(identity: PyRef<'_, PyIdentityKeyPair>, pq: bool) -> PyResult<Self> {
        let identity = identity.inner.get()?;
        let mut rng = sealwire::os_rng();
        Ok(if pq {
            PrekeyStore::new_pq(identity, &mut rng)
        } else {
            PrekeyStore::new(identity, &mut rng)
        }
        .into())
    }

    /// Generates up to `count` one-time prekeys (fewer at the store's
    /// limit); returns their ids.
    fn generate_one_time_prekeys(&mut self, count: usize) -> PyResult<Vec<u32>> {
        let keys = self
            .inner
            .get_mut()?
            .generate_one_time_prekeys(&mut sealwire::os_rng(), count);
        Ok(keys.into_iter().map(|k| k.id).collect())
    }

    /// Generates up to `count` one-time post-quantum prekeys; returns their
    /// ids.
    fn generate_pq_one_time_prekeys(
        &mut self,
        identity: PyRef<'_, PyIdentityKeyPair>,
        count: usize,
    ) -> PyResult<Vec<u32>> {
        let identity = identity.inner.get()?;
        let keys = self.inner.get_mut()?.generate_pq_one_time_prekeys(
            identity,
            &mut sealwire::os_rng(),
            count,
        );
        Ok(keys.into_iter().map(|k| k.id()).collect())
    }

    /// The bundle to publish: the current signed prekey, the one-time
    /// prekey `one_time_prekey_id` if given, and the one-time PQ prekey
    /// `pq_one_time_prekey_id` if given (else the last-resort one, if the
    /// store has PQ prekeys). `PrekeyError` for an id it does not hold.
    #[pyo3(signature = (identity, one_time_prekey_id = None, pq_one_time_prekey_id = None))]
    fn bundle(
        &self,
        identity: PyRef<'_, PyIdentityKeyPair>,
        one_time_prekey_id: Option<u32>,
        pq_one_time_prekey_id: Option<u32>,
    ) -> PyResult<PyPrekeyBundle> {
        let identity = identity.inner.get()?;
        self.inner
            .get()?
            .bundle_with_pq(identity, one_time_prekey_id, pq_one_time_prekey_id)
            .or_raise()
            .map(|inner| PyPrekeyBundle { inner })
    }

    /// Whether classic (X3DH-only) prekey messages are refused
    /// (`SessionError` kind `PqRequired`).
    #[getter]
    fn get_require_pq(&self) -> PyResult<bool> {
        Ok(self.inner.get()?.requires_pq())
    }

    #[setter]
    fn set_require_pq(&mut self, require: bool) -> PyResult<()> {
        self.inner.get_mut()?.set_require_pq(require);
        Ok(())
    }

    /// How many one-time prekeys are left.
    #[getter]
    fn one_time_prekey_count(&self) -> PyResult<usize> {
        Ok(self.inner.get()?.one_time_prekey_count())
    }

    /// How many one-time post-quantum prekeys are left.
    #[getter]
    fn pq_one_time_prekey_count(&self) -> PyResult<usize> {
        Ok(self.inner.get()?.pq_one_time_prekey_count())
    }

    /// Makes a new signed prekey current; returns its id.
    fn rotate_signed_prekey(&mut self, identity: PyRef<'_, PyIdentityKeyPair>) -> PyResult<u32> {
        let identity = identity.inner.get()?;
        Ok(self
            .inner
            .get_mut()?
            .rotate_signed_prekey(identity, &mut sealwire::os_rng()))
    }

    /// Makes a new last-resort post-quantum prekey current; returns its id.
    fn rotate_last_resort_pq_prekey(
        &mut self,
        identity: PyRef<'_, PyIdentityKeyPair>,
    ) -> PyResult<u32> {
        let identity = identity.inner.get()?;
        Ok(self
            .inner
            .get_mut()?
            .rotate_last_resort_pq_prekey(identity, &mut sealwire::os_rng()))
    }

});

/// The app's 32-byte key for sealed state blobs (keep it in the OS
/// keystore).
#[pyclass(name = "StorageKey", module = "sealwire")]
pub(crate) struct PyStorageKey {
    pub(crate) inner: Slot<StorageKey>,
}

impl From<StorageKey> for PyStorageKey {
    fn from(value: StorageKey) -> Self {
        Self {
            inner: Slot::new("StorageKey", value),
        }
    }
}

closable!(PyStorageKey {
    /// From its 32 bytes: random bytes the app keeps in the OS keystore
    /// (e.g. `os.urandom(32)` on first run).
    #[staticmethod]
    fn from_bytes(key: &[u8]) -> PyResult<Self> {
        Ok(StorageKey::from_bytes(array::<32>("storage key", key)?).into())
    }

    /// The key's public 8-byte id (written in every sealed blob).
    #[getter]
    fn id<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(py_bytes(py, &self.inner.get()?.id()))
    }

    fn __repr__(&self) -> String {
        "StorageKey(…)".to_owned()
    }
});

/// Where a sealed blob is stored: a sealed blob loads only at its address.
#[pyclass(name = "BlobAddress", module = "sealwire", frozen)]
pub(crate) struct PyBlobAddress {
    pub(crate) inner: BlobAddress,
}

#[pymethods]
impl PyBlobAddress {
    /// The owner's own state (identity, prekeys, queues).
    #[staticmethod]
    fn local(owner: PyRef<'_, PyIdentityKey>) -> Self {
        Self {
            inner: BlobAddress::local(owner.inner),
        }
    }

    /// The state kept about one peer device (sessions).
    #[staticmethod]
    fn peer(
        owner: PyRef<'_, PyIdentityKey>,
        peer: PyRef<'_, PyIdentityKey>,
        device_id: u32,
    ) -> Self {
        Self {
            inner: BlobAddress::peer(owner.inner, peer.inner, device_id),
        }
    }

    /// The same address with app context bytes (a row id, a group id).
    fn with_context(&self, context: &[u8]) -> Self {
        Self {
            inner: self.inner.clone().with_context(context),
        }
    }
}

/// A safety number (Signal-compatible): 60 digits to compare and a
/// scannable code.
#[pyclass(name = "SafetyNumber", module = "sealwire", frozen)]
pub(crate) struct PySafetyNumber {
    inner: SafetyNumber,
}

#[pymethods]
impl PySafetyNumber {
    /// The safety number of our key and id with the peer's.
    #[new]
    fn new(
        local_key: PyRef<'_, PyIdentityKey>,
        local_id: &[u8],
        remote_key: PyRef<'_, PyIdentityKey>,
        remote_id: &[u8],
    ) -> Self {
        Self {
            inner: SafetyNumber::new(&local_key.inner, local_id, &remote_key.inner, remote_id),
        }
    }

    /// From encoded keys (33 bytes) and an iteration count, as in the
    /// test vectors; `SafetyNumberError`.
    #[staticmethod]
    fn from_encoded_keys(
        local_key: &[u8],
        local_id: &[u8],
        remote_key: &[u8],
        remote_id: &[u8],
        iterations: u32,
    ) -> PyResult<Self> {
        SafetyNumber::from_encoded_keys(local_key, local_id, remote_key, remote_id, iterations)
            .or_raise()
            .map(|inner| Self { inner })
    }

    /// The 60 digits to read aloud or compare.
    #[getter]
    fn displayable(&self) -> &str {
        self.inner.displayable()
    }

    /// The scannable form (for a QR code).
    #[getter]
    fn scannable<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, &self.inner.scannable())
    }

    /// Checks the peer's scanned code (constant time); `SafetyNumberError`
    /// kind `Mismatch` if it differs.
    fn verify_scanned(&self, scanned: &[u8]) -> PyResult<()> {
        self.inner.verify_scanned(scanned).or_raise()
    }

    fn __str__(&self) -> &str {
        self.inner.displayable()
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyIdentityKey>()?;
    m.add_class::<PyIdentityKeyPair>()?;
    m.add_class::<PyPrekeyBundle>()?;
    m.add_class::<PyPrekeyStore>()?;
    m.add_class::<PyStorageKey>()?;
    m.add_class::<PyBlobAddress>()?;
    m.add_class::<PySafetyNumber>()?;
    Ok(())
}
