//! Errors of franking reports and attachment pointers (SPEC.md §11.5, §19.6–§19.8).

use core::fmt;

use crate::error::DecodeError;

/// Why a report was refused, or could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportError {
    /// The report's bytes do not parse (SPEC.md §19.6).
    Malformed(DecodeError),
    /// The stamp does not verify under this relay's key for the report's
    /// commitment and routing context: another relay key, or an altered
    /// commitment, sender, recipient or time of routing.
    BadStamp,
    /// The commitment does not open to the report's message: an altered
    /// body, content type, sender or recipient identity, send time or
    /// franking key.
    BadCommitment,
    /// The report carries an attachment but its body is not an attachment
    /// pointer (SPEC.md §19.8).
    NotAnAttachment,
    /// The attachment's SHA-256 digest or size differs from the pointer's.
    AttachmentMismatch,
    /// Building a report: the message was not franked.
    NotFranked,
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => write!(f, "malformed report: {e}"),
            Self::BadStamp => f.write_str("the relay's stamp does not verify"),
            Self::BadCommitment => f.write_str("the franking commitment does not verify"),
            Self::NotAnAttachment => f.write_str("the reported body is not an attachment pointer"),
            Self::AttachmentMismatch => {
                f.write_str("the attachment does not match its pointer's digest or size")
            }
            Self::NotFranked => f.write_str("the message is not franked"),
        }
    }
}

impl core::error::Error for ReportError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Malformed(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DecodeError> for ReportError {
    fn from(e: DecodeError) -> Self {
        Self::Malformed(e)
    }
}

/// Why an attachment pointer or an attachment was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttachmentError {
    /// The pointer's bytes do not parse (SPEC.md §19.8), or a field is
    /// longer than its limit.
    Malformed(DecodeError),
    /// The attachment's SHA-256 digest or size differs from the pointer's,
    /// or its ciphertext does not decrypt under the pointer's key.
    Mismatch,
}

impl fmt::Display for AttachmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => write!(f, "malformed attachment pointer: {e}"),
            Self::Mismatch => f.write_str("the attachment does not match its pointer"),
        }
    }
}

impl core::error::Error for AttachmentError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Malformed(e) => Some(e),
            Self::Mismatch => None,
        }
    }
}

impl From<DecodeError> for AttachmentError {
    fn from(e: DecodeError) -> Self {
        Self::Malformed(e)
    }
}
