//! One function per fuzz target: each takes arbitrary bytes and must never
//! panic. Assertions here are the properties the fuzzer checks.

use alloc::vec::Vec;

use crate::bundle::PrekeyBundle;
use crate::identity::IdentityKeyPair;
use crate::internal::testing::DangerDeterministicRng;
use crate::prekey::PrekeyStore;
use crate::session::{PendingSession, Session, Timestamp};
use crate::wire::Message;

/// Parses any bytes as a message; a parsed message re-encodes to the same
/// bytes.
pub fn parse_message(data: &[u8]) {
    if let Ok(msg) = Message::parse(data) {
        assert_eq!(msg.encoded_len(), data.len());
        assert_eq!(msg.to_vec(), data);
    }
}

/// Parses any bytes as a bundle; a parsed bundle re-encodes to the same
/// bytes.
pub fn parse_bundle(data: &[u8]) {
    if let Ok(bundle) = PrekeyBundle::parse(data) {
        assert_eq!(bundle.to_vec(), data);
    }
}

/// Parses any bytes as an inner frame.
pub fn parse_frame(data: &[u8]) {
    let _ = crate::frame::parse_frame(data);
}

/// Parses any bytes as a message, a bundle and an inner frame: whatever
/// parses re-encodes to exactly the same bytes, and the re-encoding parses
/// back to the same value (the encodings are canonical).
pub fn roundtrip(data: &[u8]) {
    if let Ok(msg) = Message::parse(data) {
        let mut out = alloc::vec![0u8; msg.encoded_len()];
        assert_eq!(msg.encode_into(&mut out), Some(data.len()));
        assert_eq!(out, data);
        assert_eq!(Message::parse(&out), Ok(msg));
        if let Some(short) = out.get_mut(..data.len().saturating_sub(1)) {
            assert_eq!(msg.encode_into(short), None);
        }
    }
    if let Ok(bundle) = PrekeyBundle::parse(data) {
        assert_eq!(bundle.encoded_len(), data.len());
        let out = bundle.to_vec();
        assert_eq!(out, data);
        assert_eq!(PrekeyBundle::parse(&out).as_ref(), Ok(&bundle));
    }
    if let Ok(frame) = crate::frame::parse_frame(data) {
        let mut out =
            alloc::vec![0u8; crate::frame::frame_len(frame.body.len(), frame.meta.has_timer())];
        let written = crate::frame::write_frame(&mut out, &frame.meta, frame.body);
        assert_eq!(written, Ok(()));
        assert_eq!(out, data);
    }
}

/// A fixed pair of sessions to decrypt against.
#[derive(Clone)]
pub struct Fixture {
    /// The responder's established session.
    pub bob: Session,
    /// The initiator's pending session.
    pub alice: PendingSession,
    /// The responder's identity.
    pub bob_identity: IdentityKeyPair,
    /// The responder's prekeys (one one-time prekey left).
    pub bob_prekeys: PrekeyStore,
    /// Valid messages, useful as seeds.
    pub samples: Vec<Vec<u8>>,
}

/// A fixed clock for the fixture.
pub const FIXTURE_NOW: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);

impl Fixture {
    /// Builds the fixture deterministically.
    pub fn new() -> Self {
        let mut rng = DangerDeterministicRng::from_u64(7);
        let alice_id = IdentityKeyPair::generate(&mut rng);
        let bob_identity = IdentityKeyPair::generate(&mut rng);
        let mut bob_prekeys = PrekeyStore::new(&bob_identity, &mut rng);
        let opks = bob_prekeys.generate_one_time_prekeys(&mut rng, 2);
        let first = opks.first().map(|o| o.id);
        let mut samples = Vec::new();
        let bundle = bob_prekeys.bundle(&bob_identity, first);
        let mut alice =
            match bundle.and_then(|b| PendingSession::initiate(&mut rng, &alice_id, &b).ok()) {
                Some(a) => a,
                None => unreachable_fixture(),
            };
        let m0 = alice
            .encrypt(&mut rng, FIXTURE_NOW, b"hello")
            .unwrap_or_default();
        let m1 = alice
            .encrypt(&mut rng, FIXTURE_NOW, b"second")
            .unwrap_or_default();
        let bob = match Session::accept(&bob_identity, &mut bob_prekeys, FIXTURE_NOW, &m0) {
            Ok((s, _)) => s,
            Err(_) => unreachable_fixture(),
        };
        let mut bob_reply = bob.clone();
        let r0 = bob_reply
            .encrypt(&mut rng, FIXTURE_NOW, b"reply")
            .unwrap_or_default();
        samples.push(m0);
        samples.push(m1);
        samples.push(r0);
        Self {
            bob,
            alice,
            bob_identity,
            bob_prekeys,
            samples,
        }
    }

    /// Decrypts any bytes with the responder's session: either it decrypts,
    /// or the session is exactly as it was.
    pub fn decrypt(&self, data: &[u8]) {
        let mut bob = self.bob.clone();
        if bob.decrypt(FIXTURE_NOW, data).is_err() {
            assert!(bob == self.bob, "a failed decrypt changed the session");
        }
        let mut buf = data.to_vec();
        let mut bob2 = self.bob.clone();
        if bob2.decrypt_in_place(FIXTURE_NOW, &mut buf).is_err() {
            assert!(
                bob2 == self.bob,
                "a failed in-place decrypt changed the session"
            );
        }
    }

    /// Offers any bytes as a reply to the pending initiator.
    pub fn receive_reply(&self, data: &[u8]) {
        if let Err(rejected) = self.alice.clone().receive(FIXTURE_NOW, data) {
            assert!(
                *rejected.session == self.alice,
                "a refused reply changed the pending session"
            );
        }
    }

    /// Offers any bytes as a new prekey message to the responder.
    pub fn accept(&self, data: &[u8]) {
        let mut prekeys = self.bob_prekeys.clone();
        if Session::accept(&self.bob_identity, &mut prekeys, FIXTURE_NOW, data).is_err() {
            assert!(
                prekeys == self.bob_prekeys,
                "a failed accept changed the prekey store"
            );
        }
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

#[allow(clippy::panic)]
fn unreachable_fixture() -> ! {
    panic!("the deterministic fixture failed to build")
}

/// Loads any bytes as every kind of state blob. The first byte picks how:
/// `0` the bytes as they are (plain), `1` a plain blob whose header and
/// checksum are made valid for the rest (kind = the second byte) so that
/// the body parsers are reached, `2` the bytes as a sealed blob under a
/// fixed key. Whatever loads re-encodes to exactly the bytes it came from
/// (canonical encodings), and a loaded session can encrypt and decrypt
/// without panicking.
pub fn restore_state(data: &[u8]) {
    use crate::expiry::ExpiryQueue;
    use crate::persist::{StateBlob, StorageKey};
    use crate::session::SessionRecord;
    use sha2::Digest;

    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let key = StorageKey::from_bytes([0x42; 32]);
    let blob: Vec<u8> = match mode {
        1 => {
            let Some((&kind, body)) = rest.split_first() else {
                return;
            };
            let mut b = Vec::with_capacity(rest.len().saturating_add(21));
            b.extend_from_slice(b"SWST");
            b.push(kind);
            b.push(1);
            b.extend_from_slice(body);
            let sum = sha2::Sha256::digest(&b);
            b.extend_from_slice(sum.get(..16).unwrap_or(&[]));
            b
        }
        _ => rest.to_vec(),
    };
    fn check<T: StateBlob>(blob: &[u8], sealed: Option<&StorageKey>) -> Option<T> {
        let value = match sealed {
            Some(k) => T::unseal(k, blob).ok()?,
            None => {
                let v = T::from_blob(blob).ok()?;
                assert_eq!(&v.to_blob()[..], blob, "non-canonical state blob loaded");
                v
            }
        };
        Some(value)
    }
    let sealed = (mode == 2).then_some(&key);
    let _ = check::<IdentityKeyPair>(&blob, sealed);
    let _ = check::<PrekeyStore>(&blob, sealed);
    let _ = check::<PendingSession>(&blob, sealed);
    let _ = check::<ExpiryQueue>(&blob, sealed);
    if let Some(mut record) = check::<SessionRecord>(&blob, sealed) {
        let mut rng = DangerDeterministicRng::from_u64(1);
        let now = Timestamp::from_unix_millis(1_800_000_000_000);
        let _ = record.encrypt(&mut rng, now, b"fuzz");
        let _ = record.decrypt(now, rest);
        record.erase_expired_keys(now);
    }
}
