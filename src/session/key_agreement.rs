//! [`KeyAgreement`]: which key agreement set a session up.

/// The key agreement that set a session up (SPEC.md §3.7): post-quantum
/// (PQXDH, X3DH plus an ML-KEM-768 encapsulation) or classic (X3DH).
///
/// An app can show it per conversation and warn when a session is not
/// post-quantum. [`Unrecorded`](Self::Unrecorded) is a session loaded from
/// an older state blob that did not record it and cannot tell (SPEC.md
/// STORAGE.md §4): treat it as not known to be post-quantum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyAgreement {
    /// Classic X3DH: no post-quantum protection of the initial secret.
    X3dh,
    /// PQXDH: X3DH plus an ML-KEM-768 encapsulation to the responder's PQ
    /// prekey.
    Pqxdh,
    /// Not recorded: the session was loaded from a v2 state blob of an
    /// established initiator session, which did not store it.
    Unrecorded,
}

impl KeyAgreement {
    /// Whether the session is known to be post-quantum
    /// ([`Pqxdh`](Self::Pqxdh)); false for X3DH and for
    /// [`Unrecorded`](Self::Unrecorded).
    pub fn is_post_quantum(self) -> bool {
        matches!(self, Self::Pqxdh)
    }

    /// The key agreement of a session with these PQXDH fields (present or
    /// not).
    pub(crate) fn of_pq<T>(pq: Option<&T>) -> Self {
        if pq.is_some() {
            Self::Pqxdh
        } else {
            Self::X3dh
        }
    }

    /// The byte stored in a v3 session blob (STORAGE.md §4).
    pub(crate) fn to_byte(self) -> u8 {
        match self {
            Self::Unrecorded => 0,
            Self::X3dh => 1,
            Self::Pqxdh => 2,
        }
    }

    /// The key agreement of a stored byte; `None` for an undefined byte.
    pub(crate) fn from_byte(b: u8) -> Option<Self> {
        match b {
            0 => Some(Self::Unrecorded),
            1 => Some(Self::X3dh),
            2 => Some(Self::Pqxdh),
            _ => None,
        }
    }
}
