//! The package's exceptions: `SealwireError` and one subclass per error
//! area of the core (its error enums), each raised with the core's Display
//! text as its message and the variant's name as its `kind` attribute.

use core::fmt::{Debug, Display};

use pyo3::PyTypeInfo;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    sealwire,
    SealwireError,
    PyException,
    "Base class of every error sealwire raises."
);
create_exception!(
    sealwire,
    DecodeError,
    SealwireError,
    "Bytes that are not a well-formed encoding (a key, a stamp, a routing context)."
);
create_exception!(
    sealwire,
    BundleError,
    SealwireError,
    "A prekey bundle that is malformed or whose signature does not verify."
);
create_exception!(
    sealwire,
    PrekeyError,
    SealwireError,
    "A prekey asked of a PrekeyStore that it does not hold."
);
create_exception!(
    sealwire,
    SessionError,
    SealwireError,
    "A 1:1 session refused a message or an operation; the session is unchanged."
);
create_exception!(
    sealwire,
    StateError,
    SealwireError,
    "A state blob that cannot be loaded (wrong kind, corrupted, wrong key or address)."
);
create_exception!(
    sealwire,
    ExpiryError,
    SealwireError,
    "An invalid disappearing-message policy, or an expiry queue that refused an entry."
);
create_exception!(
    sealwire,
    SafetyNumberError,
    SealwireError,
    "A scanned safety number that does not match, or malformed input."
);
create_exception!(
    sealwire,
    FrankingError,
    SealwireError,
    "An abuse report or attachment that does not verify or is malformed."
);
create_exception!(
    sealwire,
    GroupError,
    SealwireError,
    "A group or channel refused a post, a distribution or an operation; the group is unchanged."
);
create_exception!(
    sealwire,
    DeviceError,
    SealwireError,
    "A device list or a device's sessions refused an update or a message."
);
create_exception!(
    sealwire,
    SealedError,
    SealwireError,
    "A sealed-sender envelope, certificate or server key that cannot be used."
);
create_exception!(
    sealwire,
    ClosedError,
    SealwireError,
    "An object used after close() (or after it was consumed)."
);

/// The variant's name: the Debug text up to its first parenthesis or brace
/// (`Session(AuthenticationFailed)` -> `Session`).
fn variant(debug: &str) -> String {
    debug
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or(debug)
        .to_owned()
}

/// An exception of class `T` with `message`, its `kind` set to `kind`.
pub(crate) fn raise<T: PyTypeInfo>(message: String, kind: &str) -> PyErr {
    let err = PyErr::new::<T, _>(message);
    Python::attach(|py| {
        // Setting an attribute on a fresh exception instance cannot fail
        // short of memory exhaustion; the message is there either way.
        let _ = err.value(py).setattr("kind", kind);
    });
    err
}

/// An exception of class `T` from a core error: message = Display, kind =
/// the variant's name.
fn from_core<T: PyTypeInfo>(e: &(impl Display + Debug)) -> PyErr {
    raise::<T>(e.to_string(), &variant(&format!("{e:?}")))
}

/// A core error turned into the package's exception of its area.
pub(crate) trait ToPyErr {
    /// The exception.
    fn to_py(self) -> PyErr;
}

macro_rules! area {
    ($($core:ty => $class:ty),* $(,)?) => {
        $(impl ToPyErr for $core {
            fn to_py(self) -> PyErr {
                from_core::<$class>(&self)
            }
        })*
    };
}

area! {
    sealwire::DecodeError => DecodeError,
    sealwire::BundleError => BundleError,
    sealwire::MissingPrekey => PrekeyError,
    sealwire::SessionError => SessionError,
    sealwire::persist::StateError => StateError,
    sealwire::expiry::ExpiryError => ExpiryError,
    sealwire::expiry::InvalidPolicy => ExpiryError,
    sealwire::SafetyNumberError => SafetyNumberError,
    sealwire::franking::ReportError => FrankingError,
    sealwire::franking::AttachmentError => FrankingError,
    sealwire::group::GroupError => GroupError,
    sealwire::devices::DeviceError => DeviceError,
    sealwire::sealed::SealedError => SealedError,
}

/// `Result<T, core error>` -> `PyResult<T>`.
pub(crate) trait OrRaise<T> {
    /// The value, or the package's exception.
    fn or_raise(self) -> PyResult<T>;
}

impl<T, E: ToPyErr> OrRaise<T> for Result<T, E> {
    fn or_raise(self) -> PyResult<T> {
        self.map_err(ToPyErr::to_py)
    }
}

/// `DecodeError` for bytes of the wrong length.
pub(crate) fn wrong_length(what: &str, expected: usize, got: usize) -> PyErr {
    raise::<DecodeError>(
        format!("{what}: expected {expected} bytes, got {got}"),
        "InvalidLength",
    )
}

/// `ClosedError` for an object used after `close()`.
pub(crate) fn closed(what: &str) -> PyErr {
    raise::<ClosedError>(format!("{what} is closed"), "Closed")
}

/// Registers the exception classes in the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SealwireError", py.get_type::<SealwireError>())?;
    m.add("DecodeError", py.get_type::<DecodeError>())?;
    m.add("BundleError", py.get_type::<BundleError>())?;
    m.add("PrekeyError", py.get_type::<PrekeyError>())?;
    m.add("SessionError", py.get_type::<SessionError>())?;
    m.add("StateError", py.get_type::<StateError>())?;
    m.add("ExpiryError", py.get_type::<ExpiryError>())?;
    m.add("SafetyNumberError", py.get_type::<SafetyNumberError>())?;
    m.add("FrankingError", py.get_type::<FrankingError>())?;
    m.add("GroupError", py.get_type::<GroupError>())?;
    m.add("DeviceError", py.get_type::<DeviceError>())?;
    m.add("SealedError", py.get_type::<SealedError>())?;
    m.add("ClosedError", py.get_type::<ClosedError>())?;
    Ok(())
}
