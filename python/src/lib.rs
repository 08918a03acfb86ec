//! `sealwire._sealwire`: the Python bindings of sealwire (PyO3), straight
//! to the Rust API. The pure-Python package `sealwire` (python/sealwire/)
//! re-exports it with type stubs.
//!
//! Conventions, the same in every class:
//! - bytes in (`bytes` only: `None`, `str` or a list raise `TypeError`),
//!   bytes out; keys and states are opaque objects;
//! - `now` is an optional int, milliseconds since the Unix epoch, the
//!   system clock when omitted; randomness is the OS generator;
//! - every core error raises the package's exception of its area
//!   (errors.rs) with the core's message; a failing call changes nothing;
//! - objects holding mutable state (sessions, prekey stores, groups, ...)
//!   can be `close()`d (or used in a `with` block); a closed object raises
//!   `ClosedError`. PyO3's borrow checking guards against concurrent use.
//!
//! No `unsafe` in this crate: PyO3's macros hold it.

#![deny(unsafe_code)]

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use sealwire::Timestamp;
use sealwire::persist::{BlobAddress, StateBlob, StorageKey};

mod errors;
mod franking;
mod group;
mod keys;
mod sealed;
mod session;

use errors::OrRaise;

/// `now` from Python: milliseconds since the Unix epoch, or the system
/// clock.
fn timestamp(now: Option<u64>) -> Timestamp {
    now.map_or_else(Timestamp::now, Timestamp::from_unix_millis)
}

/// Exactly `N` bytes, else `DecodeError`.
fn array<const N: usize>(what: &str, bytes: &[u8]) -> PyResult<[u8; N]> {
    <[u8; N]>::try_from(bytes).map_err(|_| errors::wrong_length(what, N, bytes.len()))
}

/// Python `bytes` from a slice.
fn py_bytes<'py>(py: Python<'py>, bytes: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, bytes)
}

/// The state of a closable object: `None` once closed.
struct Slot<T> {
    what: &'static str,
    value: Option<T>,
}

impl<T> Slot<T> {
    fn new(what: &'static str, value: T) -> Self {
        Self {
            what,
            value: Some(value),
        }
    }

    fn get(&self) -> PyResult<&T> {
        self.value.as_ref().ok_or_else(|| errors::closed(self.what))
    }

    fn get_mut(&mut self) -> PyResult<&mut T> {
        self.value.as_mut().ok_or_else(|| errors::closed(self.what))
    }

    /// Drops the value (its secrets are zeroized by its own Drop).
    fn close(&mut self) {
        self.value = None;
    }

    fn is_closed(&self) -> bool {
        self.value.is_none()
    }
}

/// `to_blob`: the plain state blob (STORAGE.md), for an app whose database
/// is encrypted already.
fn blob_out<'py, T: StateBlob>(py: Python<'py>, value: &T) -> Bound<'py, PyBytes> {
    py_bytes(py, &value.to_blob())
}

/// `seal`: the state sealed under `key`, bound to `address`.
fn sealed_out<'py, T: StateBlob>(
    py: Python<'py>,
    value: &T,
    key: &keys::PyStorageKey,
    address: &keys::PyBlobAddress,
) -> PyResult<Bound<'py, PyBytes>> {
    let key: &StorageKey = key.inner.get()?;
    let address: &BlobAddress = &address.inner;
    Ok(py_bytes(
        py,
        &value.seal(key, address, &mut sealwire::os_rng()),
    ))
}

/// `from_blob`.
fn blob_in<T: StateBlob>(blob: &[u8]) -> PyResult<T> {
    T::from_blob(blob).or_raise()
}

/// `unseal`.
fn sealed_in<T: StateBlob>(
    key: &keys::PyStorageKey,
    address: &keys::PyBlobAddress,
    blob: &[u8],
) -> PyResult<T> {
    T::unseal(key.inner.get()?, &address.inner, blob).or_raise()
}

/// The extension module.
#[pymodule]
fn _sealwire(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    keys::register(m)?;
    session::register(m)?;
    franking::register(m)?;
    group::register(m)?;
    sealed::register(m)?;
    Ok(())
}
