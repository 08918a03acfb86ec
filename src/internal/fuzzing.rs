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

/// Parses any bytes as a franking report, a stamp and an attachment
/// pointer: whatever parses re-encodes to exactly the same bytes, and a
/// parsed report verifies or is refused with a typed error, never a panic.
pub fn parse_report(data: &[u8]) {
    use crate::franking::{AttachmentPointer, RelayKey, Report, Stamp};
    if let Ok(report) = Report::parse(data) {
        assert_eq!(report.encoded_len(), data.len());
        assert_eq!(&report.to_vec()[..], data);
        let _ = report.verify(&RelayKey::from_bytes([1; 32]));
    }
    if let Ok(stamp) = Stamp::parse(data) {
        assert_eq!(stamp.encoded_len(), data.len());
        assert_eq!(stamp.to_vec(), data);
    }
    if let Ok(pointer) = AttachmentPointer::parse(data) {
        assert_eq!(pointer.encoded_len(), data.len());
        assert_eq!(&pointer.to_vec()[..], data);
        let _ = pointer.verify(data);
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
        let mut out = alloc::vec![
            0u8;
            crate::frame::frame_len_for(
                frame.body.len(),
                frame.meta.has_timer(),
                frame.franking_key.is_some()
            )
        ];
        let written = match frame.franking_key {
            Some(key) => {
                crate::frame::write_frame_with(&mut out, &frame.meta, Some(key), frame.body)
            }
            None => crate::frame::write_frame(&mut out, &frame.meta, frame.body),
        };
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
        // Franked samples (SPEC.md §19), drawn after the others so that
        // those keep their bytes.
        let m2 = alice
            .encrypt_franked(
                &mut rng,
                FIXTURE_NOW,
                crate::frame::ContentType::UserMessage,
                b"franked",
            )
            .unwrap_or_default();
        let r1 = bob_reply
            .encrypt_franked(
                &mut rng,
                FIXTURE_NOW,
                crate::frame::ContentType::UserMessage,
                b"franked reply",
            )
            .unwrap_or_default();
        samples.push(m0);
        samples.push(m1);
        samples.push(r0);
        samples.push(m2);
        samples.push(r1);
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

/// A responder holding every kind of prekey (two one-time prekeys, two
/// one-time PQ prekeys, a last-resort PQ prekey) and valid prekey messages
/// to mutate: PQXDH with a one-time PQ prekey and a one-time prekey, PQXDH
/// with the last-resort PQ prekey, and a classic one.
#[derive(Clone)]
pub struct PqFixture {
    /// The responder's identity.
    pub bob_identity: IdentityKeyPair,
    /// The responder's prekeys.
    pub bob_prekeys: PrekeyStore,
    /// Valid prekey messages (PQ one-time, PQ last-resort, classic).
    pub samples: Vec<Vec<u8>>,
}

impl PqFixture {
    /// Builds the fixture deterministically.
    pub fn new() -> Self {
        let mut rng = DangerDeterministicRng::from_u64(11);
        let alice_id = IdentityKeyPair::generate(&mut rng);
        let bob_identity = IdentityKeyPair::generate(&mut rng);
        let mut bob_prekeys = PrekeyStore::new_pq(&bob_identity, &mut rng);
        let opks = bob_prekeys.generate_one_time_prekeys(&mut rng, 2);
        let pqs = bob_prekeys.generate_pq_one_time_prekeys(&bob_identity, &mut rng, 2);
        let bundles = [
            bob_prekeys.bundle_with_pq(
                &bob_identity,
                opks.first().map(|o| o.id),
                pqs.first().map(|p| p.id()),
            ),
            bob_prekeys.bundle(&bob_identity, None),
            bob_prekeys
                .bundle(&bob_identity, opks.get(1).map(|o| o.id))
                .map(|b| {
                    // The same bundle without its PQ prekey: classic.
                    let mut bytes = b.to_vec();
                    let cut = bytes
                        .len()
                        .saturating_sub(crate::limits::PQ_BUNDLE_FIELDS_LEN);
                    bytes.truncate(cut);
                    if let Some(flags) = bytes.get_mut(134) {
                        *flags &= !0x02;
                    }
                    PrekeyBundle::parse(&bytes).ok()
                })
                .unwrap_or(None),
        ];
        let mut samples = Vec::new();
        for bundle in bundles {
            let Some(bundle) = bundle else {
                unreachable_fixture()
            };
            let Ok(mut alice) = PendingSession::initiate(&mut rng, &alice_id, &bundle) else {
                unreachable_fixture()
            };
            match alice.encrypt(&mut rng, FIXTURE_NOW, b"hello pq") {
                Ok(m) => samples.push(m),
                Err(_) => unreachable_fixture(),
            }
        }
        Self {
            bob_identity,
            bob_prekeys,
            samples,
        }
    }

    /// Offers a prekey message to the responder, with and without the PQ
    /// requirement: either it is accepted, or the store is exactly as it
    /// was. An accepted PQ message is refused the second time (its
    /// one-time PQ prekey consumed, or its last-resort set-up recorded).
    pub fn accept(&self, message: &[u8]) {
        for require in [false, true] {
            let mut base = self.bob_prekeys.clone();
            base.set_require_pq(require);
            let mut prekeys = base.clone();
            match Session::accept(&self.bob_identity, &mut prekeys, FIXTURE_NOW, message) {
                Err(_) => assert!(prekeys == base, "a failed accept changed the prekey store"),
                Ok(_) => {
                    let is_pq = matches!(
                        Message::parse(message),
                        Ok(Message::Prekey(p)) if p.pq.is_some()
                    );
                    assert!(!require || is_pq, "a classic message passed require_pq");
                    if is_pq {
                        let after = prekeys.clone();
                        let again =
                            Session::accept(&self.bob_identity, &mut prekeys, FIXTURE_NOW, message);
                        assert!(again.is_err(), "a PQ prekey message was accepted twice");
                        assert!(prekeys == after, "a refused replay changed the store");
                    }
                }
            }
        }
    }

    /// Builds a message from fuzzer bytes: `data[0]` picks how. `0`: the
    /// rest as it is; `1`: a sample (`data[1]`) with the bytes from
    /// `data[4..]` XORed in at the offset `data[2..4]`; `2`: a sample cut
    /// at that offset; `3`: a sample with its PQ fields stripped (flag
    /// cleared, the 1092 bytes removed) and the rest XORed in as for `1`.
    pub fn message_from(&self, data: &[u8]) -> Vec<u8> {
        let (mode, rest) = match data.split_first() {
            Some((m, r)) => (*m, r),
            None => return Vec::new(),
        };
        if mode % 4 == 0 || self.samples.is_empty() {
            return rest.to_vec();
        }
        let pick = usize::from(rest.first().copied().unwrap_or(0))
            .checked_rem(self.samples.len())
            .unwrap_or(0);
        let mut msg = self.samples.get(pick).cloned().unwrap_or_default();
        let offset = usize::from(u16::from_be_bytes([
            rest.get(1).copied().unwrap_or(0),
            rest.get(2).copied().unwrap_or(0),
        ]));
        let patch = rest.get(3..).unwrap_or(&[]);
        if mode % 4 == 3 {
            // Strip the PQ fields: after the flags byte (70) and the
            // one-time prekey id when there is one.
            if msg.get(70).is_some_and(|f| f & 0x02 != 0) {
                let at: usize = if msg.get(70).is_some_and(|f| f & 0x01 != 0) {
                    75
                } else {
                    71
                };
                if msg.len() > at.saturating_add(crate::limits::PQ_MESSAGE_FIELDS_LEN) {
                    msg.drain(at..at.saturating_add(crate::limits::PQ_MESSAGE_FIELDS_LEN));
                    if let Some(f) = msg.get_mut(70) {
                        *f &= !0x02;
                    }
                }
            }
        }
        if mode % 4 == 2 {
            msg.truncate(offset);
            return msg;
        }
        let len = msg.len();
        if len > 0 {
            for (i, b) in patch.iter().enumerate() {
                if let Some(m) = msg.get_mut(offset.wrapping_add(i).checked_rem(len).unwrap_or(0)) {
                    *m ^= *b;
                }
            }
        }
        msg
    }
}

impl Default for PqFixture {
    fn default() -> Self {
        Self::new()
    }
}

/// Fuzz target `pq_prekey_message`: arbitrary and mutated PQ prekey
/// messages (see [`PqFixture::message_from`]) offered to a responder with
/// PQ prekeys ([`PqFixture::accept`]). The fixture is built once.
#[cfg(feature = "std")]
pub fn pq_prekey_message(data: &[u8]) {
    static FIXTURE: std::sync::OnceLock<PqFixture> = std::sync::OnceLock::new();
    let fixture = FIXTURE.get_or_init(PqFixture::new);
    fixture.accept(&fixture.message_from(data));
}

#[allow(clippy::panic)]
fn unreachable_fixture() -> ! {
    panic!("the deterministic fixture failed to build")
}

/// Loads any bytes as every kind of state blob. The first byte picks how:
/// `0` the bytes as they are (plain), `1` a plain v1 blob whose header and
/// checksum are made valid for the rest (kind = the second byte) so that
/// the body parsers are reached, `3` the same with format version 2, `4`
/// with format version 3, `5` with format version 4, `2` the bytes as a
/// sealed blob under a fixed key and address, then as a legacy unbound
/// sealed blob. Whatever loads at the
/// newest version re-encodes to exactly the bytes it came from (canonical
/// encodings); what loads at an older version re-encodes at the newest to
/// an equal value; a loaded session can encrypt and decrypt without
/// panicking; and a loaded group or channel subscriber erases what is due
/// and then holds nothing past its window.
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
        1 | 3 | 4 | 5 => {
            let Some((&kind, body)) = rest.split_first() else {
                return;
            };
            let mut b = Vec::with_capacity(rest.len().saturating_add(21));
            b.extend_from_slice(b"SWST");
            b.push(kind);
            b.push(match mode {
                1 => 1,
                3 => 2,
                4 => 3,
                _ => 4,
            });
            b.extend_from_slice(body);
            let sum = sha2::Sha256::digest(&b);
            b.extend_from_slice(sum.get(..16).unwrap_or(&[]));
            b
        }
        _ => rest.to_vec(),
    };
    fn check<T: StateBlob + PartialEq>(blob: &[u8], sealed: Option<&StorageKey>) -> Option<T> {
        let value = match sealed {
            Some(k) => {
                let owner = *crate::IdentityKeyPair::from_seed(&[0x42; 32]).public();
                let address = crate::persist::BlobAddress::local(owner);
                let bound = T::unseal(k, &address, blob);
                let legacy = T::open_unbound_legacy(k, blob);
                assert!(
                    bound.is_err() || legacy.is_err(),
                    "a blob loaded as both bound and unbound"
                );
                bound.or(legacy).ok()?
            }
            None => {
                let v = T::from_blob(blob).ok()?;
                let again = v.to_blob();
                if again.get(5) == blob.get(5) {
                    assert_eq!(&again[..], blob, "non-canonical state blob loaded");
                } else {
                    // An older format version: migrated to the newest.
                    assert!(
                        T::from_blob(&again).ok().as_ref() == Some(&v),
                        "a migrated blob does not reload to the same value"
                    );
                }
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
    let _ = check::<crate::group::ChannelOwner>(&blob, sealed);
    if let Some(mut group) = check::<crate::group::Group>(&blob, sealed) {
        erase_group(&mut group.core, rest);
    }
    if let Some(mut sub) = check::<crate::group::ChannelSubscriber>(&blob, sealed) {
        erase_group(&mut sub.core, rest);
    }
}

/// Erases a loaded group's expired keys at a time taken from the fuzz
/// input: afterwards nothing is due before a later instant.
fn erase_group(core: &mut crate::group::membership::GroupCore, rest: &[u8]) {
    let mut t = [0u8; 8];
    for (d, s) in t.iter_mut().zip(rest.iter().rev()) {
        *d = *s;
    }
    let now = Timestamp::from_unix_millis(u64::from_be_bytes(t).saturating_sub(1));
    core.erase_expired_keys(now);
    if let Some(next) = core.next_key_erasure() {
        assert!(next > now, "a key past its window survived erasure");
    }
}

/// Parses any bytes as a group post: a post that parses has a header that
/// re-encodes to its first bytes and a length within the bounds.
pub fn parse_post(data: &[u8]) {
    if let Ok(h) = crate::group::parse_post_header(data) {
        assert_eq!(
            data.get(..crate::group::POST_HEADER_LEN),
            Some(&h.encode()[..])
        );
        assert!(data.len() >= crate::group::MIN_POST_LEN);
        assert!(data.len() <= crate::group::MAX_POST_LEN);
    }
    let _ = crate::group::distribution_group_id(data);
}

/// A group member holding another member's chain (with a skipped key),
/// valid posts and a valid distribution to mutate.
#[derive(Clone)]
pub struct GroupFixture {
    /// The receiving member.
    pub member: crate::group::Group,
    /// The sending member's identity (the distribution's 1:1 peer).
    pub sender: crate::identity::IdentityKey,
    /// Valid posts of the sender not yet received (the first is the
    /// skipped one), and a valid distribution body (last).
    pub samples: Vec<Vec<u8>>,
}

impl GroupFixture {
    /// Builds the fixture deterministically.
    pub fn new() -> Self {
        use crate::group::{Group, GroupId};
        let mut rng = DangerDeterministicRng::from_u64(0x6770);
        let a = IdentityKeyPair::generate(&mut rng);
        let b = IdentityKeyPair::generate(&mut rng);
        let c = IdentityKeyPair::generate(&mut rng);
        let gid = GroupId::from_bytes([0x47; 16]);
        let built = (|| {
            let (mut ga, da) = Group::create_with_id(
                &mut rng,
                FIXTURE_NOW,
                gid,
                *a.public(),
                &[*b.public(), *c.public()],
            )
            .ok()?;
            let (mut gb, _) = Group::create_with_id(
                &mut rng,
                FIXTURE_NOW,
                gid,
                *b.public(),
                &[*a.public(), *c.public()],
            )
            .ok()?;
            gb.process_distribution(FIXTURE_NOW, a.public(), &da.body)
                .ok()?;
            let skipped = ga.post(&mut rng, FIXTURE_NOW, b"skipped post").ok()?.bytes;
            let seen = ga.post(&mut rng, FIXTURE_NOW, b"seen post").ok()?.bytes;
            gb.receive_post(FIXTURE_NOW, &seen).ok()?;
            let next = ga.post(&mut rng, FIXTURE_NOW, &[0x55; 300]).ok()?.bytes;
            let rotated = ga.rotate(&mut rng, FIXTURE_NOW);
            Some((gb, alloc::vec![skipped, next, rotated.body.to_vec()]))
        })();
        let Some((member, samples)) = built else {
            unreachable_fixture()
        };
        Self {
            member,
            sender: *a.public(),
            samples,
        }
    }

    /// Receives any bytes as a post (both paths): it decrypts, or the
    /// member is exactly as it was.
    pub fn decrypt_post(&self, data: &[u8]) {
        let mut m = self.member.clone();
        if m.receive_post(FIXTURE_NOW, data).is_err() {
            assert!(m == self.member, "a failed receive changed the group");
        }
        let mut m = self.member.clone();
        let mut buf = data.to_vec();
        if m.receive_post_in_place(FIXTURE_NOW, &mut buf).is_err() {
            assert!(
                m == self.member,
                "a failed in-place receive changed the group"
            );
        }
    }

    /// Offers any bytes as a distribution from the sender: refused with
    /// nothing changed, or accepted once (a second offer is a no-op).
    pub fn distribution(&self, data: &[u8]) {
        let mut m = self.member.clone();
        match m.process_distribution(FIXTURE_NOW, &self.sender, data) {
            Err(_) => assert!(m == self.member, "a refused distribution changed the group"),
            Ok(_) => {
                let after = m.clone();
                assert_eq!(
                    m.process_distribution(FIXTURE_NOW, &self.sender, data),
                    Ok(false)
                );
                assert!(m == after);
            }
        }
    }
}

impl Default for GroupFixture {
    fn default() -> Self {
        Self::new()
    }
}
