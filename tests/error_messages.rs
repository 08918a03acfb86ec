//! Every public error type: each value says something of its own (an app
//! shows or logs it: two values must not read alike), and `source()` gives
//! exactly the inner error of a wrapping value (`Malformed(DecodeError)`,
//! a session's or a group's error inside a sealed-sender or device error),
//! nothing for the others.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeSet;
use std::error::Error;

use sealwire::devices::DeviceError;
use sealwire::expiry::ExpiryError;
use sealwire::franking::{AttachmentError, ReportError};
use sealwire::group::GroupError;
use sealwire::persist::StateError;
use sealwire::sealed::SealedError;
use sealwire::{BundleError, DecodeError, DeviceAddress, SafetyNumberError, SessionError};

/// Two inner errors that read differently, to see them through a wrapper.
const INNER: [DecodeError; 2] = [DecodeError::Truncated, DecodeError::TooLarge];

/// `values`: each with the inner error `source()` must give (by its
/// message), or `None`. Checks that the messages are non-empty and all
/// different, and that a wrapper's message names its inner error.
fn check<E: Error>(name: &str, values: &[(E, Option<String>)]) {
    let mut seen = BTreeSet::new();
    for (e, source) in values {
        let message = e.to_string();
        assert!(!message.trim().is_empty(), "{name}: {e:?} says nothing");
        assert!(
            seen.insert(message.clone()),
            "{name}: {e:?} reads like another value: {message:?}"
        );
        let got = e.source().map(|s| s.to_string());
        assert_eq!(&got, source, "{name}: source of {e:?}");
        if let Some(inner) = source {
            assert!(
                message.contains(inner.as_str()),
                "{name}: {message:?} does not name its cause {inner:?}"
            );
        }
    }
}

fn plain<E>(values: impl IntoIterator<Item = E>) -> Vec<(E, Option<String>)> {
    values.into_iter().map(|e| (e, None)).collect()
}

/// `wrap(d)` for each of the two inner errors, with `d` as the source.
fn wrapping<E>(wrap: impl Fn(DecodeError) -> E) -> Vec<(E, Option<String>)> {
    INNER
        .iter()
        .map(|d| (wrap(*d), Some(d.to_string())))
        .collect()
}

#[test]
fn decode_errors() {
    check(
        "DecodeError",
        &plain([
            DecodeError::Truncated,
            DecodeError::TrailingBytes,
            DecodeError::UnsupportedVersion(3),
            DecodeError::UnsupportedVersion(4),
            DecodeError::UnexpectedType(3),
            DecodeError::UnexpectedType(4),
            DecodeError::UnknownFlags(3),
            DecodeError::UnknownFlags(4),
            DecodeError::InvalidValue,
            DecodeError::InvalidKey,
            DecodeError::TooLarge,
        ]),
    );
}

#[test]
fn bundle_errors() {
    let mut v = wrapping(BundleError::Malformed);
    v.extend(plain([BundleError::InvalidSignature]));
    check("BundleError", &v);
}

#[test]
fn session_errors() {
    let mut v = wrapping(SessionError::Malformed);
    v.extend(plain([
        SessionError::AuthenticationFailed,
        SessionError::WeakPublicKey,
        SessionError::DuplicateMessage,
        SessionError::TooManySkipped,
        SessionError::CounterOverflow,
        SessionError::MessageTooLarge,
        SessionError::BufferTooSmall,
        SessionError::UnknownSignedPrekey,
        SessionError::UnknownOneTimePrekey,
        SessionError::SessionMismatch,
        SessionError::UnexpectedMessage,
        SessionError::UnsupportedFeature,
        SessionError::InvalidPolicy,
        SessionError::MessageKeyErased,
        SessionError::PqRequired,
        SessionError::UnknownPqPrekey,
        SessionError::ReplayedPrekeyMessage,
        SessionError::NoSession,
        SessionError::UntrustedIdentity,
    ]));
    check("SessionError", &v);
}

#[test]
fn state_errors() {
    let mut v = wrapping(StateError::Malformed);
    v.extend(plain([
        StateError::NotAStateBlob,
        StateError::WrongKind {
            expected: 1,
            found: 2,
        },
        StateError::WrongKind {
            expected: 2,
            found: 1,
        },
        StateError::UnsupportedVersion(7),
        StateError::UnsupportedVersion(8),
        StateError::Sealed,
        StateError::NotSealed,
        StateError::Truncated,
        StateError::Corrupted,
        StateError::WrongStorageKey,
        StateError::WrongAddress,
        StateError::UnboundLegacy,
        StateError::AddressBound,
    ]));
    check("StateError", &v);
}

#[test]
fn expiry_errors() {
    let mut v = wrapping(ExpiryError::Malformed);
    v.extend(plain([ExpiryError::DuplicateId, ExpiryError::QueueFull]));
    check("ExpiryError", &v);
}

#[test]
fn franking_errors() {
    let mut v = wrapping(ReportError::Malformed);
    v.extend(plain([
        ReportError::BadStamp,
        ReportError::BadCommitment,
        ReportError::NotAnAttachment,
        ReportError::AttachmentMismatch,
        ReportError::NotFranked,
    ]));
    check("ReportError", &v);
    let mut v = wrapping(AttachmentError::Malformed);
    v.extend(plain([AttachmentError::Mismatch]));
    check("AttachmentError", &v);
}

fn group_errors_list() -> Vec<(GroupError, Option<String>)> {
    let mut v = wrapping(GroupError::Malformed);
    v.extend(plain([
        GroupError::WrongGroup,
        GroupError::UnknownChain,
        GroupError::BadSignature,
        GroupError::DuplicatePost,
        GroupError::MessageKeyEvicted,
        GroupError::TooFarAhead,
        GroupError::CounterOverflow,
        GroupError::MessageTooLarge,
        GroupError::BufferTooSmall,
        GroupError::InvalidPolicy,
        GroupError::UnsupportedFeature,
        GroupError::InvalidContentType,
        GroupError::SenderMismatch,
        GroupError::NotAMember,
        GroupError::ModeMismatch,
        GroupError::ChainConflict,
        GroupError::NotADistribution,
        GroupError::AlreadyMember,
        GroupError::UnknownMember,
        GroupError::IsSelf,
        GroupError::GroupFull,
        GroupError::InvalidRotationPolicy,
    ]));
    v
}

#[test]
fn group_errors() {
    check("GroupError", &group_errors_list());
}

#[test]
fn safety_number_errors() {
    let mut v = wrapping(SafetyNumberError::Malformed);
    v.extend(plain([
        SafetyNumberError::InvalidIterations,
        SafetyNumberError::Mismatch,
    ]));
    check("SafetyNumberError", &v);
}

#[test]
fn sealed_sender_errors() {
    let mut v = wrapping(SealedError::Malformed);
    v.extend(plain([
        SealedError::AuthenticationFailed,
        SealedError::UntrustedServerKey,
        SealedError::BadCertificateSignature,
        SealedError::CertificateExpired,
        SealedError::SenderMismatch,
        SealedError::TooManyServerKeys,
        SealedError::InvalidRecipients,
    ]));
    for e in [SessionError::DuplicateMessage, SessionError::NoSession] {
        v.push((SealedError::Session(e), Some(e.to_string())));
    }
    for e in [GroupError::DuplicatePost, GroupError::UnknownChain] {
        v.push((SealedError::Group(e), Some(e.to_string())));
    }
    check("SealedError", &v);
}

#[test]
fn device_errors() {
    let bob = DeviceAddress::new("bob", 2);
    let carol = DeviceAddress::new("carol", 3);
    let mut v = wrapping(DeviceError::Malformed);
    v.extend(plain([
        DeviceError::TooManyDevices,
        DeviceError::DuplicateDevice(2),
        DeviceError::DuplicateDevice(3),
        DeviceError::UnknownDevice(2),
        DeviceError::UnknownDevice(3),
        DeviceError::NoPendingChange(2),
        DeviceError::NoPendingChange(3),
        DeviceError::UnconfirmedIdentity(bob.clone()),
        DeviceError::UnconfirmedIdentity(carol.clone()),
        DeviceError::NoSession(bob.clone()),
        DeviceError::NoSession(carol.clone()),
        DeviceError::AuthenticationFailed,
        DeviceError::NotForUs,
        DeviceError::UnknownSession,
        DeviceError::ReplayedRequest,
        DeviceError::TooManyRequests,
    ]));
    for (who, e) in [
        (&bob, SessionError::DuplicateMessage),
        (&carol, SessionError::DuplicateMessage),
        (&bob, SessionError::NoSession),
    ] {
        v.push((DeviceError::Session(who.clone(), e), Some(e.to_string())));
    }
    check("DeviceError", &v);
}

/// A pending session's refusal reads as its error and has it as source.
#[test]
fn a_rejected_reply_reads_as_its_error() {
    let mut rng = sealwire::testing::DangerDeterministicRng::from_u64(0xe7);
    let alice = sealwire::IdentityKeyPair::generate(&mut rng);
    let bob = sealwire::IdentityKeyPair::generate(&mut rng);
    let store = sealwire::PrekeyStore::new(&bob, &mut rng);
    let bundle = store.bundle(&bob, None).unwrap();
    let pending = sealwire::PendingSession::initiate(&mut rng, &alice, &bundle).unwrap();
    let now = sealwire::Timestamp::from_unix_millis(1);
    let rejected = pending.receive(now, &[0x02, 0x01, 0x00]).unwrap_err();
    assert!(matches!(rejected.error, SessionError::Malformed(_)));
    assert_eq!(rejected.to_string(), rejected.error.to_string());
    assert_eq!(
        rejected.source().map(|s| s.to_string()),
        Some(rejected.error.to_string())
    );
}
