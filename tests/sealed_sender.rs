//! Sealed sender (SPEC.md §22): the behaviour of `sealwire::sealed`, what
//! the relay sees (never the sender), and every bad input of issue 19 as
//! an attack against the public API, each refused with its typed error and
//! no state changed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod common;

use std::collections::BTreeMap;

use common::{T0, contains, distribution_from};
use proptest::prelude::*;
use sealwire::devices::{DeviceList, DeviceSessions};
use sealwire::franking::{RelayKey, Report, RoutingContext, stamp, verify_report};
use sealwire::group::{Group, GroupError, GroupId};
use sealwire::limits::{
    MAX_MULTI_RECIPIENT_LEN, MAX_SEALED_LEN, MAX_SEALED_POST_LEN, MAX_SEALED_RECIPIENTS,
    MAX_SENDER_CERTIFICATE_LEN, MAX_TRUSTED_SERVER_KEYS, SENDER_CERTIFICATE_FIXED_LEN,
};
use sealwire::sealed::{
    AccessKey, MultiRecipientMessage, ProfileKey, SealedError, SenderCertificate, ServerKey,
    ServerPublicKey, TrustedServerKeys, commitment_of_sealed, open, open_post, seal, seal_post,
};
use sealwire::testing::DangerDeterministicRng;
use sealwire::{
    DecodeError, DeviceAddress, IdentityKey, IdentityKeyPair, Outgoing, PrekeyStore, Received,
    SessionError, Timestamp,
};

const DAY_MS: u64 = 86_400_000;

fn at(ms: u64) -> Timestamp {
    Timestamp::from_unix_millis(ms)
}

/// One device: its identity, prekeys and certificate, the device lists of
/// the users it talks to, and its sessions with their devices.
#[derive(Clone)]
struct Device {
    address: DeviceAddress,
    identity: IdentityKeyPair,
    prekeys: PrekeyStore,
    certificate: SenderCertificate,
    lists: BTreeMap<String, DeviceList>,
    sessions: BTreeMap<DeviceAddress, DeviceSessions>,
}

/// The server (its certificate key) and what every client pins.
struct World {
    rng: DangerDeterministicRng,
    server: ServerKey,
    trusted: TrustedServerKeys,
}

impl World {
    fn new(seed: u64) -> Self {
        let mut rng = DangerDeterministicRng::from_u64(seed);
        let server = ServerKey::generate(&mut rng, 7);
        let mut trusted = TrustedServerKeys::new();
        trusted.add(server.public()).unwrap();
        Self {
            rng,
            server,
            trusted,
        }
    }

    /// A device whose certificate is valid for a day from `T0`.
    fn device(&mut self, user: &str, id: u32) -> Device {
        let identity = IdentityKeyPair::generate(&mut self.rng);
        let mut prekeys = PrekeyStore::new(&identity, &mut self.rng);
        prekeys.generate_one_time_prekeys(&mut self.rng, 20);
        let address = DeviceAddress::new(user, id);
        let certificate = self
            .server
            .issue(
                &address,
                identity.public(),
                at(T0.as_unix_millis() + DAY_MS),
            )
            .unwrap();
        Device {
            address,
            identity,
            prekeys,
            certificate,
            lists: BTreeMap::new(),
            sessions: BTreeMap::new(),
        }
    }

    /// `from` seals `body` for `to`, starting a session from `to`'s bundle
    /// if it has none; `franked` franks the inner message.
    fn send(&mut self, from: &mut Device, to: &Device, body: &[u8], franked: bool) -> Vec<u8> {
        let inner = self.inner(from, to, body, franked);
        seal(
            &mut self.rng,
            to.identity.public(),
            &from.certificate,
            &inner,
        )
        .unwrap()
    }

    /// `from`'s 1:1 message to `to`, unsealed.
    fn inner(&mut self, from: &mut Device, to: &Device, body: &[u8], franked: bool) -> Vec<u8> {
        let peer = *to.identity.public();
        let sessions = from.sessions.entry(to.address.clone()).or_default();
        if !sessions.has_current_with(&peer) {
            let otk = to.prekeys.one_time_prekeys().first().map(|k| k.id);
            let bundle = to.prekeys.bundle(&to.identity, otk).unwrap();
            sessions
                .initiate(&mut self.rng, &from.identity, &peer, &bundle)
                .unwrap();
        }
        let outgoing = if franked {
            Outgoing::message(body).franked()
        } else {
            Outgoing::message(body)
        };
        sessions
            .encrypt(&mut self.rng, T0, &peer, outgoing)
            .unwrap()
            .message
    }
}

impl Device {
    fn key(&self) -> IdentityKey {
        *self.identity.public()
    }

    /// Learns `other`'s device (its user's list now holds it).
    fn knows(&mut self, other: &Device) {
        let user = other.address.name().to_owned();
        let list = self
            .lists
            .entry(user.clone())
            .or_insert_with(|| DeviceList::new(user).unwrap());
        let mut devices: Vec<_> = list.devices().map(|(d, k)| (d, *k)).collect();
        devices.push((other.address.device_id(), other.key()));
        list.update(&devices).unwrap();
    }

    /// Opens an envelope and decrypts it at `now` with the state the
    /// certificate's sender names.
    fn receive_at(
        &mut self,
        trusted: &mut TrustedServerKeys,
        now: Timestamp,
        envelope: &[u8],
    ) -> Result<(DeviceAddress, Received), SealedError> {
        let unsealed = open(&self.identity, envelope)?;
        let sender = unsealed.sender();
        let empty = DeviceList::new(sender.name()).unwrap();
        let list = self.lists.get(sender.name()).unwrap_or(&empty);
        let sessions = self.sessions.entry(sender).or_default();
        unsealed.decrypt(
            now,
            trusted,
            &self.identity,
            &mut self.prekeys,
            list,
            sessions,
        )
    }

    fn receive(
        &mut self,
        trusted: &mut TrustedServerKeys,
        envelope: &[u8],
    ) -> Result<(DeviceAddress, Received), SealedError> {
        self.receive_at(trusted, T0, envelope)
    }

    /// `receive_at` must fail with `expected` and change nothing.
    fn refuses(
        &mut self,
        trusted: &mut TrustedServerKeys,
        now: Timestamp,
        envelope: &[u8],
        expected: SealedError,
    ) {
        let sessions = self.sessions.clone();
        let prekeys = self.prekeys.clone();
        let got = self.receive_at(trusted, now, envelope).map(|_| ());
        assert_eq!(got, Err(expected));
        // An empty entry for a sender not seen before is no change.
        self.sessions
            .retain(|a, s| sessions.contains_key(a) || *s != DeviceSessions::new());
        assert!(self.sessions == sessions, "a refusal changed the sessions");
        assert!(self.prekeys == prekeys, "a refusal changed the prekeys");
    }
}

/// Alice (alice-user-7f, device 0x5ea1ed01) and Bob (bob-user-3c, device
/// 0x5ea1ed02), each knowing the other's device.
fn alice_and_bob(seed: u64) -> (World, Device, Device) {
    let mut w = World::new(seed);
    let mut alice = w.device("alice-user-7f", 0x5ea1_ed01);
    let mut bob = w.device("bob-user-3c", 0x5ea1_ed02);
    alice.knows(&bob);
    bob.knows(&alice);
    (w, alice, bob)
}

/// What identifies a device, as the relay could look for it: both forms of
/// its identity key, its user id and its device id (both byte orders).
fn needles(d: &Device) -> Vec<(String, Vec<u8>)> {
    let key = d.key();
    vec![
        (
            format!("{} Ed25519 identity key", d.address),
            key.as_bytes().to_vec(),
        ),
        (
            format!("{} X25519 identity key", d.address),
            sealwire::hazmat::identity_x25519_public(&key).to_vec(),
        ),
        (
            format!("{} user id", d.address),
            d.address.name().as_bytes().to_vec(),
        ),
        (
            format!("{} device id", d.address),
            d.address.device_id().to_be_bytes().to_vec(),
        ),
        (
            format!("{} device id (LE)", d.address),
            d.address.device_id().to_le_bytes().to_vec(),
        ),
    ]
}

fn assert_hidden(what: &str, relay_sees: &[u8], from: &Device) {
    for (name, needle) in needles(from) {
        assert!(
            !contains(relay_sees, &needle),
            "{what}: the relay sees the sender's {name}"
        );
    }
}

#[test]
fn a_sealed_conversation_round_trips_both_ways() {
    let (mut w, mut alice, mut bob) = alice_and_bob(1);
    for i in 0..4u8 {
        let e = w.send(&mut alice, &bob, &[b'a', i], false);
        let (from, got) = bob.receive(&mut w.trusted, &e).unwrap();
        assert_eq!(from, alice.address);
        assert_eq!(got.sender, alice.key());
        assert_eq!(&got.plaintext[..], &[b'a', i]);
        let e = w.send(&mut bob, &alice, &[b'b', i], false);
        let (from, got) = alice.receive(&mut w.trusted, &e).unwrap();
        assert_eq!(from, bob.address);
        assert_eq!(&got.plaintext[..], &[b'b', i]);
    }
    // A replayed envelope is the session's duplicate, and changes nothing.
    let e = w.send(&mut alice, &bob, b"once", false);
    bob.receive(&mut w.trusted, &e).unwrap();
    bob.refuses(
        &mut w.trusted,
        T0,
        &e,
        SealedError::Session(SessionError::DuplicateMessage),
    );
}

/// Issue 19: the relay's view of a sealed conversation (every envelope,
/// both ways, prekey and ratchet messages, franked and not; a
/// multi-recipient message and every part it delivers; the access tokens;
/// the stamp of a franked envelope) holds no identity key, user id or
/// device id of the sender, in any form.
#[test]
fn the_relay_never_sees_the_sender() {
    let (mut w, mut alice, mut bob) = alice_and_bob(2);
    let mut carol = w.device("carol-user-5d", 0x5ea1_ed03);
    carol.knows(&alice);
    alice.knows(&carol);
    let relay_key = RelayKey::from_bytes([9; 32]);

    // The scan finds what it looks for: an unsealed prekey message names
    // its sender.
    let mut probe = alice.clone();
    let plain = w.inner(&mut probe, &bob, b"probe", false);
    assert!(contains(&plain, alice.key().as_bytes()));

    // 1:1, both ways; every identity is hidden from every envelope.
    let mut seen: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..3u8 {
        let franked = i == 1;
        let e = w.send(&mut alice, &bob, &[i; 30], franked);
        seen.push((format!("envelope a→b {i}"), e.clone()));
        bob.receive(&mut w.trusted, &e).unwrap();
        let e = w.send(&mut bob, &alice, &[i; 31], franked);
        seen.push((format!("envelope b→a {i}"), e.clone()));
        alice.receive(&mut w.trusted, &e).unwrap();
    }
    for (what, bytes) in &seen {
        for d in [&alice, &bob] {
            assert_hidden(what, bytes, d);
        }
        assert_eq!(bytes[0], 0x01);
        assert!(bytes[1] == 0x51 || bytes[1] == 0xD1, "{what}");
    }
    // The franked envelope's stamp (the relay does not know the sender's
    // account: its id is empty).
    let franked = &seen[2].1;
    let cf = commitment_of_sealed(franked).unwrap();
    let s = stamp(
        &relay_key,
        &cf,
        RoutingContext::new(b"", b"acct:bob", T0).unwrap(),
    );
    assert_hidden("stamp", &s.to_vec(), &alice);

    // Access tokens: Bob's and Carol's, and their combination.
    let bob_profile = ProfileKey::generate(&mut w.rng);
    let carol_profile = ProfileKey::generate(&mut w.rng);
    let tokens = [
        bob_profile.access_key(),
        carol_profile.access_key(),
        AccessKey::combined(&[bob_profile.access_key(), carol_profile.access_key()]).unwrap(),
    ];
    for t in &tokens {
        assert_hidden("access token", t.as_bytes(), &alice);
    }

    // A group post sealed for Bob and Carol: the message and each part.
    let (post, mut groups) = group_post(&mut w, &alice, &[&bob, &carol]);
    let multi = seal_post(
        &mut w.rng,
        &[bob.key(), carol.key()],
        &alice.certificate,
        &post,
    )
    .unwrap();
    assert_hidden("multi-recipient message", &multi, &alice);
    let parsed = MultiRecipientMessage::parse(&multi).unwrap();
    let recipients: Vec<[u8; 32]> = parsed.recipients().collect();
    assert_eq!(recipients, [*bob.key().as_bytes(), *carol.key().as_bytes()]);
    for ((key, part), (who, group)) in parsed
        .split()
        .iter()
        .zip([&bob, &carol].iter().zip(&mut groups))
    {
        assert_eq!(key, who.key().as_bytes());
        assert_hidden("sealed post", part, &alice);
        // A part names no recipient either.
        assert!(!contains(part, who.key().as_bytes()));
        let unsealed = open_post(&who.identity, part).unwrap();
        let (from, got) = unsealed
            .receive(T0, &mut w.trusted, &who.lists["alice-user-7f"], group)
            .unwrap();
        assert_eq!(from, alice.address);
        assert_eq!(&got.plaintext[..], b"post for the group");
    }
}

/// A group of `sender` and `others` (every member holding the sender's
/// chain); returns a post of the sender's and the others' groups.
fn group_post(w: &mut World, sender: &Device, others: &[&Device]) -> (Vec<u8>, Vec<Group>) {
    let gid = GroupId::from_bytes([0x19; 16]);
    let keys: Vec<IdentityKey> = others.iter().map(|d| d.key()).collect();
    let (mut g, dist) = Group::create_with_id(&mut w.rng, T0, gid, sender.key(), &keys).unwrap();
    let received = distribution_from(&sender.identity, T0, &dist.body);
    let groups = others
        .iter()
        .map(|d| {
            let members: Vec<IdentityKey> = std::iter::once(sender.key())
                .chain(keys.iter().copied().filter(|k| *k != d.key()))
                .collect();
            let (mut gd, _) =
                Group::create_with_id(&mut w.rng, T0, gid, d.key(), &members).unwrap();
            assert!(gd.accept_distribution(T0, &received).unwrap());
            gd
        })
        .collect();
    let post = g.post(&mut w.rng, T0, b"post for the group").unwrap().bytes;
    (post, groups)
}

#[test]
fn certificates_expire_by_the_receivers_clock() {
    let (mut w, mut alice, mut bob) = alice_and_bob(3);
    let expires = alice.certificate.expires_at();
    let e = w.send(&mut alice, &bob, b"late", false);
    bob.refuses(&mut w.trusted, expires, &e, SealedError::CertificateExpired);
    bob.refuses(
        &mut w.trusted,
        at(expires.as_unix_millis() + 1),
        &e,
        SealedError::CertificateExpired,
    );
    let (_, got) = bob
        .receive_at(&mut w.trusted, at(expires.as_unix_millis() - 1), &e)
        .unwrap();
    assert_eq!(&got.plaintext[..], b"late");
}

#[test]
fn certificates_from_keys_not_pinned_are_refused() {
    let (mut w, mut alice, mut bob) = alice_and_bob(4);
    // Another server key, with another id.
    let other = ServerKey::generate(&mut w.rng, 8);
    alice.certificate = other
        .issue(&alice.address, &alice.key(), alice.certificate.expires_at())
        .unwrap();
    let e = w.send(&mut alice, &bob, b"x", false);
    bob.refuses(&mut w.trusted, T0, &e, SealedError::UntrustedServerKey);
    // A forger's key under the pinned id: the signature fails.
    let forger = ServerKey::generate(&mut w.rng, 7);
    alice.certificate = forger
        .issue(&alice.address, &alice.key(), alice.certificate.expires_at())
        .unwrap();
    let e2 = seal(
        &mut w.rng,
        &bob.key(),
        &alice.certificate,
        open(&bob.identity, &e).unwrap().message(),
    )
    .unwrap();
    bob.refuses(
        &mut w.trusted,
        T0,
        &e2,
        SealedError::BadCertificateSignature,
    );
    // Pinning the other key lets the first one through.
    let mut trusted = w.trusted.clone();
    trusted.add(other.public()).unwrap();
    let (from, _) = bob.receive(&mut trusted, &e).unwrap();
    assert_eq!(from, alice.address);
}

/// The certificate must name the inner message's identity: Mallory, who
/// holds a certificate of Alice's (Alice once sent her a sealed message),
/// cannot pass her own messages off as Alice's.
#[test]
fn a_certificate_for_another_identity_than_the_inner_message_is_refused() {
    let (mut w, mut alice, mut bob) = alice_and_bob(5);
    let mut mallory = w.device("mallory-user", 66);
    mallory.knows(&bob);
    bob.knows(&mallory);
    alice.knows(&mallory);
    mallory.knows(&alice);
    // Bob and Alice talk, so Bob holds a session with Alice's device.
    let e = w.send(&mut alice, &bob, b"hello", false);
    bob.receive(&mut w.trusted, &e).unwrap();
    // Mallory gets Alice's certificate from a sealed message Alice sent her.
    let to_mallory = w.send(&mut alice, &mallory, b"hi mallory", false);
    let stolen = open(&mallory.identity, &to_mallory)
        .unwrap()
        .certificate()
        .unwrap();
    assert_eq!(stolen, alice.certificate);
    // Her prekey message under Alice's certificate: the identity it carries
    // is not Alice's.
    let own = w.inner(&mut mallory, &bob, b"i am alice", false);
    let forged = seal(&mut w.rng, &bob.key(), &stolen, &own).unwrap();
    bob.refuses(&mut w.trusted, T0, &forged, SealedError::SenderMismatch);
    // Once she has a session with Bob, her ratchet messages under Alice's
    // certificate authenticate in none of Bob's sessions with Alice.
    let e = w.send(&mut mallory, &bob, b"as myself", false);
    assert_eq!(bob.receive(&mut w.trusted, &e).unwrap().0, mallory.address);
    let reply = w.send(&mut bob, &mallory, b"ok", false);
    mallory.receive(&mut w.trusted, &reply).unwrap();
    let own = w.inner(&mut mallory, &bob, b"i am alice", false);
    let forged = seal(&mut w.rng, &bob.key(), &stolen, &own).unwrap();
    bob.refuses(
        &mut w.trusted,
        T0,
        &forged,
        SealedError::Session(SessionError::AuthenticationFailed),
    );
    // With her own certificate it is hers, and reads as hers.
    let sealed = seal(&mut w.rng, &bob.key(), &mallory.certificate, &own).unwrap();
    let (from, got) = bob.receive(&mut w.trusted, &sealed).unwrap();
    assert_eq!((from, got.sender), (mallory.address.clone(), mallory.key()));
}

/// A malicious server can certify any key for any address; the device
/// list (what the app confirmed) decides.
#[test]
fn a_certificate_must_match_the_senders_device_list() {
    let (mut w, mut alice, mut bob) = alice_and_bob(6);
    let mut mallory = w.device("mallory-user", 66);
    mallory.knows(&bob);
    // The server certifies Mallory's key as Alice's device.
    let lie = w
        .server
        .issue(
            &alice.address,
            &mallory.key(),
            at(T0.as_unix_millis() + DAY_MS),
        )
        .unwrap();
    let own = w.inner(&mut mallory, &bob, b"i am alice", false);
    let forged = seal(&mut w.rng, &bob.key(), &lie, &own).unwrap();
    bob.refuses(&mut w.trusted, T0, &forged, SealedError::SenderMismatch);
    // A device the list does not hold; a user with no list at all.
    let unknown = w
        .server
        .issue(
            &DeviceAddress::new("alice-user-7f", 2),
            &alice.key(),
            at(T0.as_unix_millis() + DAY_MS),
        )
        .unwrap();
    let inner = w.inner(&mut alice, &bob, b"x", false);
    let e = seal(&mut w.rng, &bob.key(), &unknown, &inner).unwrap();
    bob.refuses(&mut w.trusted, T0, &e, SealedError::SenderMismatch);
    let stranger = w.device("stranger", 1);
    let e = seal(&mut w.rng, &bob.key(), &stranger.certificate, &inner).unwrap();
    bob.refuses(&mut w.trusted, T0, &e, SealedError::SenderMismatch);
    // Alice announces a new key, not confirmed yet: a certificate for the
    // new key is refused, the old key still works.
    let new_alice = w.device("alice-user-7f", 0x5ea1_ed01);
    let list = bob.lists.get_mut("alice-user-7f").unwrap();
    list.update(&[(0x5ea1_ed01, new_alice.key())]).unwrap();
    let mut new_alice = new_alice;
    let e = w.send(&mut new_alice, &bob, b"new key", false);
    bob.refuses(&mut w.trusted, T0, &e, SealedError::SenderMismatch);
    let e = w.send(&mut alice, &bob, b"old key", false);
    assert_eq!(bob.receive(&mut w.trusted, &e).unwrap().0, alice.address);
}

#[test]
fn an_envelope_cannot_be_retargeted_or_altered() {
    let (mut w, mut alice, mut bob) = alice_and_bob(7);
    let mut carol = w.device("carol-user-5d", 3);
    carol.knows(&alice);
    let e = w.send(&mut alice, &bob, b"for bob only", false);
    // Replayed to another recipient.
    carol.refuses(&mut w.trusted, T0, &e, SealedError::AuthenticationFailed);
    // Every single-bit change.
    for i in 0..e.len() {
        for bit in [0x01u8, 0x80] {
            let mut m = e.clone();
            m[i] ^= bit;
            let got = open(&bob.identity, &m).map(|_| ());
            assert!(
                matches!(
                    got,
                    Err(SealedError::AuthenticationFailed | SealedError::Malformed(_))
                ),
                "byte {i} ^ {bit:#x}: {got:?}"
            );
        }
    }
    // Truncated at every length, and one byte too many of junk.
    for n in 0..e.len() {
        assert!(open(&bob.identity, &e[..n]).is_err(), "prefix {n}");
    }
    // The header (version, type, ephemeral key) and a tag's worth of body
    // parse, and fail authentication; one byte less is truncated.
    let header = 2 + 32;
    assert_eq!(
        open(&bob.identity, &e[..header + 16]).map(|_| ()),
        Err(SealedError::AuthenticationFailed)
    );
    assert_eq!(
        open(&bob.identity, &e[..header + 15]).map(|_| ()),
        Err(SealedError::Malformed(DecodeError::Truncated))
    );
    let mut long = e.clone();
    long.push(0);
    assert_eq!(
        open(&bob.identity, &long).map(|_| ()),
        Err(SealedError::AuthenticationFailed)
    );
    assert_eq!(
        open(&bob.identity, &vec![0xEE; MAX_SEALED_LEN + 1]).map(|_| ()),
        Err(SealedError::Malformed(DecodeError::TooLarge))
    );
    assert_eq!(
        open(&bob.identity, &vec![0xEE; MAX_SEALED_LEN]).map(|_| ()),
        Err(SealedError::Malformed(DecodeError::UnsupportedVersion(
            0xEE
        )))
    );
    assert_eq!(
        open(&bob.identity, &e[..2 + 32 + 15]).map(|_| ()),
        Err(SealedError::Malformed(DecodeError::Truncated))
    );
    // A low-order ephemeral key is the opaque failure.
    let mut weak = e.clone();
    weak[2..34].copy_from_slice(&[0u8; 32]);
    assert_eq!(
        open(&bob.identity, &weak).map(|_| ()),
        Err(SealedError::AuthenticationFailed)
    );
    // Bob still reads the original.
    bob.receive(&mut w.trusted, &e).unwrap();
}

#[test]
fn seal_checks_the_inner_message() {
    let (_w, alice, bob) = alice_and_bob(8);
    let c = &alice.certificate;
    let k = bob.key();
    let mut rng = DangerDeterministicRng::from_u64(1);
    assert_eq!(
        seal(&mut rng, &k, c, &[]),
        Err(SealedError::Malformed(DecodeError::Truncated))
    );
    assert_eq!(
        seal(&mut rng, &k, c, &[0x01, 0x01, 0]),
        Err(SealedError::Malformed(DecodeError::UnsupportedVersion(1)))
    );
    assert_eq!(
        seal(&mut rng, &k, c, &[0x02, 0x10, 0]),
        Err(SealedError::Malformed(DecodeError::UnexpectedType(0x10)))
    );
    // A franked message must parse (its commitment goes on the envelope).
    assert_eq!(
        seal(&mut rng, &k, c, &[0x02, 0x81, 0]),
        Err(SealedError::Malformed(DecodeError::Truncated))
    );
    let big = [
        &[0x02u8, 0x01][..],
        &vec![0; sealwire::limits::MAX_MESSAGE_LEN - 1],
    ]
    .concat();
    assert_eq!(
        seal(&mut rng, &k, c, &big),
        Err(SealedError::Malformed(DecodeError::TooLarge))
    );
    // Exactly MAX_MESSAGE_LEN is sealed.
    let largest = &big[..sealwire::limits::MAX_MESSAGE_LEN];
    let envelope = seal(&mut rng, &k, c, largest).unwrap();
    assert_eq!(sealwire::sealed::sealed_len(c, largest), Ok(envelope.len()));
}

/// A certificate's Debug shows its public fields, by name; the signature
/// is left out.
#[test]
fn a_certificate_debug_shows_its_public_fields() {
    let (_, alice, _) = alice_and_bob(0x1f);
    let c = &alice.certificate;
    let shown = format!("{c:?}");
    for field in [
        format!("server_key_id: {}", c.server_key_id()),
        format!("expires_at: {:?}", c.expires_at()),
        format!("identity: {:?}", c.identity_key()),
        format!("device_id: {}", alice.address.device_id()),
        format!("user: {:?}", alice.address.name()),
    ] {
        assert!(shown.contains(&field), "{field} in {shown}");
    }
    assert!(shown.starts_with("SenderCertificate {") && shown.ends_with(", .. }"));
}

/// `sealed_len` and `multi_recipient_len` give the exact length of what
/// `seal` and `seal_post` make, franked or not, for any number of
/// recipients, and their errors for what those refuse, drawing nothing.
#[test]
fn sealed_lengths_are_known_before_sealing() {
    use sealwire::sealed::{multi_recipient_len, sealed_len};
    let (mut w, mut alice, bob) = alice_and_bob(0x1e);
    let c = alice.certificate.clone();
    for (i, franked) in [false, true, false, true].into_iter().enumerate() {
        let inner = w.inner(&mut alice, &bob, &vec![b'x'; i * 40], franked);
        let envelope = seal(&mut w.rng, &bob.key(), &c, &inner).unwrap();
        assert_eq!(
            sealed_len(&c, &inner),
            Ok(envelope.len()),
            "franked {franked}"
        );
    }
    for bad in [&[][..], &[0x01, 0x01, 0], &[0x02, 0x81, 0]] {
        let mut rng = DangerDeterministicRng::from_u64(1);
        assert_eq!(
            sealed_len(&c, bad).err(),
            seal(&mut rng, &bob.key(), &c, bad).err()
        );
    }
    let carol = w.device("carol-user-1d", 0x5ea1_ed03);
    let (post, _) = group_post(&mut w, &alice, &[&bob, &carol]);
    for recipients in [vec![bob.key()], vec![bob.key(), carol.key()]] {
        let m = seal_post(&mut w.rng, &recipients, &c, &post).unwrap();
        assert_eq!(multi_recipient_len(&recipients, &c, &post), Ok(m.len()));
    }
    assert_eq!(
        multi_recipient_len(&[], &c, &post),
        Err(SealedError::InvalidRecipients)
    );
    assert_eq!(
        multi_recipient_len(&[bob.key(), bob.key()], &c, &post),
        Err(SealedError::InvalidRecipients)
    );
    assert!(matches!(
        multi_recipient_len(&[bob.key()], &c, &post[..10]),
        Err(SealedError::Malformed(_))
    ));
}

/// Franking still works inside the envelope: the relay stamps the
/// commitment it reads off a franked envelope without learning the sender;
/// a report then reveals that one message's sender to the relay, and
/// nothing else.
#[test]
fn franking_works_inside_a_sealed_envelope() {
    let (mut w, mut alice, mut bob) = alice_and_bob(9);
    let relay_key = RelayKey::from_bytes([0x33; 32]);
    let plain = w.send(&mut alice, &bob, b"unfranked", false);
    assert_eq!(plain[1], 0x51);
    assert_eq!(
        commitment_of_sealed(&plain),
        Err(DecodeError::UnexpectedType(0x51))
    );
    bob.receive(&mut w.trusted, &plain).unwrap();
    let e = w.send(&mut alice, &bob, b"Send me your password or else.", true);
    assert_eq!(e[1], 0xD1);
    let cf = commitment_of_sealed(&e).unwrap();
    let context = RoutingContext::new(b"", b"acct:bob", at(T0.as_unix_millis() + 5)).unwrap();
    let s = stamp(&relay_key, &cf, context);
    let (_, got) = bob.receive(&mut w.trusted, &e).unwrap();
    let franking = got.franking.clone().expect("franked");
    assert_eq!(franking.commitment(), &cf);
    let report = Report::from_received(&got, bob.key(), s).unwrap().to_vec();
    // The report is where the sender is revealed.
    assert!(contains(&report, alice.key().as_bytes()));
    let verified = verify_report(&relay_key, &report).unwrap();
    assert_eq!(verified.sender, alice.key());
    assert_eq!(verified.recipient, bob.key());
    assert_eq!(&verified.body[..], b"Send me your password or else.");
    assert_eq!(verified.context.sender(), b"");
    // The envelope's commitment is bound: moved to another envelope, or
    // changed, the envelope does not open.
    let mut moved = e.clone();
    moved[34..66].copy_from_slice(&[0x44; 32]);
    assert_eq!(
        open(&bob.identity, &moved).map(|_| ()),
        Err(SealedError::AuthenticationFailed)
    );
    // Stripping it (type 0x51, the commitment's bytes removed) too.
    let mut stripped = e.clone();
    stripped[1] = 0x51;
    stripped.drain(34..66);
    assert_eq!(
        open(&bob.identity, &stripped).map(|_| ()),
        Err(SealedError::AuthenticationFailed)
    );
}

#[test]
fn certificates_parse_strictly_and_re_encode() {
    let (mut w, alice, _) = alice_and_bob(10);
    let c = &alice.certificate;
    let bytes = c.to_vec();
    assert_eq!(
        bytes.len(),
        SENDER_CERTIFICATE_FIXED_LEN + "alice-user-7f".len()
    );
    assert_eq!(c.encoded_len(), bytes.len());
    let parsed = SenderCertificate::parse(&bytes).unwrap();
    assert_eq!(&parsed, c);
    assert_eq!(parsed.server_key_id(), 7);
    assert_eq!(parsed.identity_key(), &alice.key());
    assert_eq!(parsed.user(), "alice-user-7f");
    assert_eq!(parsed.device_id(), 0x5ea1_ed01);
    assert_eq!(parsed.address(), alice.address);
    assert_eq!(parsed.expires_at(), at(T0.as_unix_millis() + DAY_MS));
    w.trusted.verify(&parsed, T0).unwrap();
    let malformed = |b: &[u8]| SenderCertificate::parse(b).map(|_| ());
    let m = |e| Err(SealedError::Malformed(e));
    for n in 0..bytes.len() {
        assert!(malformed(&bytes[..n]).is_err(), "prefix {n}");
    }
    assert_eq!(
        malformed(&bytes[..bytes.len() - 1]),
        m(DecodeError::Truncated)
    );
    assert_eq!(
        malformed(&[&bytes[..], &[0]].concat()),
        m(DecodeError::TrailingBytes)
    );
    assert_eq!(
        malformed(&vec![0xEE; MAX_SENDER_CERTIFICATE_LEN + 1]),
        m(DecodeError::TooLarge)
    );
    assert_eq!(
        malformed(&vec![0xEE; MAX_SENDER_CERTIFICATE_LEN]),
        m(DecodeError::UnsupportedVersion(0xEE))
    );
    let mut b = bytes.clone();
    b[1] = 0x51;
    assert_eq!(malformed(&b), m(DecodeError::UnexpectedType(0x51)));
    // The identity key: a small-order point.
    let mut b = bytes.clone();
    b[14..46].copy_from_slice(&[0u8; 32]);
    b[14] = 1;
    assert_eq!(malformed(&b), m(DecodeError::InvalidKey));
    // User id length 0; not UTF-8.
    let mut b = bytes.clone();
    b[50] = 0;
    assert_eq!(malformed(&b), m(DecodeError::InvalidValue));
    let mut b = bytes.clone();
    b[51] = 0xff;
    assert_eq!(malformed(&b), m(DecodeError::InvalidValue));
    // Issuing checks the user id.
    let server = ServerKey::from_seed(1, &[1; 32]);
    let k = alice.key();
    assert_eq!(
        server.issue(&DeviceAddress::new("", 1), &k, T0).map(|_| ()),
        m(DecodeError::InvalidValue)
    );
    assert_eq!(
        server
            .issue(&DeviceAddress::new("x".repeat(256), 1), &k, T0)
            .map(|_| ()),
        m(DecodeError::TooLarge)
    );
    let longest = server
        .issue(&DeviceAddress::new("x".repeat(255), 1), &k, T0)
        .unwrap()
        .to_vec();
    assert_eq!(longest.len(), MAX_SENDER_CERTIFICATE_LEN);
    // Any change to a signed byte breaks the signature (or the parse).
    for i in 2..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        match SenderCertificate::parse(&b) {
            Ok(c) => assert!(w.trusted.verify(&c, T0).is_err(), "byte {i}"),
            Err(e) => assert!(matches!(e, SealedError::Malformed(_))),
        }
    }
    // Debug shows no secret.
    assert_eq!(format!("{:?}", w.server), "ServerKey { key_id: 7, .. }");
}

#[test]
fn trusted_server_keys_rotate() {
    let mut rng = DangerDeterministicRng::from_u64(11);
    let alice = IdentityKeyPair::generate(&mut rng);
    let address = DeviceAddress::new("alice", 1);
    let old = ServerKey::generate(&mut rng, 1);
    let new = ServerKey::generate(&mut rng, 2);
    let mut trusted = TrustedServerKeys::new();
    assert!(trusted.is_empty());
    trusted.add(old.public()).unwrap();
    let old_cert = old
        .issue(&address, alice.public(), at(T0.as_unix_millis() + DAY_MS))
        .unwrap();
    let new_cert = new
        .issue(&address, alice.public(), at(T0.as_unix_millis() + DAY_MS))
        .unwrap();
    assert_eq!(
        trusted.verify(&new_cert, T0),
        Err(SealedError::UntrustedServerKey)
    );
    // During the rotation both are pinned; then the old one goes.
    trusted.add(new.public()).unwrap();
    trusted.verify(&old_cert, T0).unwrap();
    trusted.verify(&new_cert, T0).unwrap();
    assert!(trusted.remove(1));
    assert!(!trusted.remove(1));
    assert_eq!(
        trusted.verify(&old_cert, T0),
        Err(SealedError::UntrustedServerKey)
    );
    trusted.verify(&new_cert, T0).unwrap();
    // At most MAX_TRUSTED_SERVER_KEYS; a full set refuses a new id and is
    // unchanged, but re-pins an id it holds.
    for id in 10..(10 + MAX_TRUSTED_SERVER_KEYS as u32 - 1) {
        trusted
            .add(ServerKey::generate(&mut rng, id).public())
            .unwrap();
    }
    assert_eq!(trusted.len(), MAX_TRUSTED_SERVER_KEYS);
    let before = trusted.clone();
    assert_eq!(
        trusted.add(ServerKey::generate(&mut rng, 99).public()),
        Err(SealedError::TooManyServerKeys)
    );
    assert_eq!(trusted, before);
    let replacement = ServerKey::generate(&mut rng, 2);
    trusted.add(replacement.public()).unwrap();
    assert_eq!(trusted.get(2), Some(&replacement.public()));
    assert_eq!(
        trusted.verify(&new_cert, T0),
        Err(SealedError::BadCertificateSignature)
    );
    // The public key's encoding.
    let p = new.public();
    let bytes = p.to_bytes();
    assert_eq!(bytes.len(), 38);
    assert_eq!(ServerPublicKey::parse(&bytes), Ok(p));
    assert_eq!(p.key_id(), 2);
    assert_eq!(ServerPublicKey::from_parts(2, &p.key_bytes()), Ok(p));
    let m = |e| Err(SealedError::Malformed(e));
    assert_eq!(
        ServerPublicKey::parse(&bytes[..37]),
        m(DecodeError::Truncated)
    );
    assert_eq!(
        ServerPublicKey::parse(&[&bytes[..], &[0]].concat()),
        m(DecodeError::TooLarge)
    );
    let mut weak = bytes;
    weak[6..].copy_from_slice(&[0u8; 32]);
    weak[6] = 1;
    assert_eq!(ServerPublicKey::parse(&weak), m(DecodeError::InvalidKey));
    // Debug names the keys and how many certificates are remembered.
    let debug = format!("{trusted:?}");
    assert!(debug.starts_with("TrustedServerKeys { keys: [ServerPublicKey { key_id: 2,"));
    assert!(debug.ends_with("remembered_certificates: 0 }"));
    // The same server key from its seed.
    let again = ServerKey::from_seed(2, &new.danger_seed_bytes());
    assert_eq!(again.public(), new.public());
    assert_eq!(again.key_id(), 2);
}

#[test]
fn access_keys_are_the_recipients_to_give_and_rotate() {
    let mut rng = DangerDeterministicRng::from_u64(12);
    let bob = ProfileKey::generate(&mut rng);
    let carol = ProfileKey::generate(&mut rng);
    // The relay stores Bob's access key; a contact with Bob's profile key
    // presents the same.
    let stored = bob.access_key();
    let shared = ProfileKey::from_bytes(*bob.danger_as_bytes());
    assert!(stored.verify(shared.access_key().as_bytes()));
    assert!(!stored.verify(carol.access_key().as_bytes()));
    assert!(!stored.verify(&stored.as_bytes()[..15]));
    // A group send presents the XOR of its recipients' keys.
    let combined = AccessKey::combined(&[bob.access_key(), carol.access_key()]).unwrap();
    let relay = AccessKey::combined(&[stored.clone(), carol.access_key()]).unwrap();
    assert!(relay.verify(combined.as_bytes()));
    assert!(!relay.verify(bob.access_key().as_bytes()));
    // Rotation: Bob's new profile key, given to everyone but a dropped
    // contact; the old token no longer passes.
    let rotated = ProfileKey::generate(&mut rng);
    let stored = rotated.access_key();
    assert!(!stored.verify(shared.access_key().as_bytes()));
    assert!(stored.verify(rotated.access_key().as_bytes()));
    assert_eq!(format!("{stored:?}"), "AccessKey(..)");
}

/// Groups: the body once, each recipient's key wrapped; each recipient
/// reads the same post, from the certificate's identity only.
#[test]
fn sealed_posts_reach_every_recipient_and_only_them() {
    let (mut w, alice, mut bob) = alice_and_bob(13);
    let mut carol = w.device("carol-user-5d", 3);
    let mallory = w.device("mallory-user", 66);
    carol.knows(&alice);
    bob.knows(&mallory);
    let (post, mut groups) = group_post(&mut w, &alice, &[&bob, &carol, &mallory]);
    let multi = seal_post(
        &mut w.rng,
        &[bob.key(), carol.key()],
        &alice.certificate,
        &post,
    )
    .unwrap();
    let parsed = MultiRecipientMessage::parse(&multi).unwrap();
    assert_eq!(parsed.recipient_count(), 2);
    let parts = parsed.split();
    let bob_part = &parts[0].1;
    assert_eq!(parsed.message_for(0).as_ref(), Some(bob_part));
    assert_eq!(parsed.message_for(2), None);
    // The relay builds each part in one buffer of exactly its length.
    for (_, part) in &parts {
        assert_eq!(part.capacity(), part.len());
    }
    // Bob's part, to Carol or to Mallory (a member not addressed).
    for who in [&carol, &mallory] {
        assert_eq!(
            open_post(&who.identity, bob_part).map(|_| ()),
            Err(SealedError::AuthenticationFailed)
        );
    }
    let unsealed = open_post(&bob.identity, bob_part).unwrap();
    assert_eq!(unsealed.sender(), alice.address);
    assert_eq!(unsealed.group_id(), GroupId::from_bytes([0x19; 16]));
    assert_eq!(unsealed.post(), &post[..]);
    let shown = format!("{unsealed:?}");
    assert!(
        shown.starts_with("UnsealedPost") && shown.contains(&format!("post_len: {}", post.len())),
        "{shown}"
    );
    // Expired, or the list does not confirm the certificate: nothing changes.
    let g = &mut groups[0];
    let before = g.clone();
    let alice_list = bob.lists["alice-user-7f"].clone();
    let late = alice.certificate.expires_at();
    assert_eq!(
        unsealed
            .receive(late, &mut w.trusted, &alice_list, g)
            .map(|_| ()),
        Err(SealedError::CertificateExpired)
    );
    assert_eq!(
        unsealed
            .receive(T0, &mut w.trusted, &bob.lists["mallory-user"], g)
            .map(|_| ()),
        Err(SealedError::SenderMismatch)
    );
    assert!(*g == before);
    let (from, got) = unsealed
        .receive(T0, &mut w.trusted, &alice_list, g)
        .unwrap();
    assert_eq!(from, alice.address);
    assert_eq!(got.sender, alice.key());
    // A second time: the group's duplicate, nothing changes.
    let before = g.clone();
    assert_eq!(
        unsealed
            .receive(T0, &mut w.trusted, &alice_list, g)
            .map(|_| ()),
        Err(SealedError::Group(GroupError::DuplicatePost))
    );
    assert!(*g == before);
    // Carol reads the same post.
    let (_, got_c) = open_post(&carol.identity, &parts[1].1)
        .unwrap()
        .receive(
            T0,
            &mut w.trusted,
            &carol.lists["alice-user-7f"],
            &mut groups[1],
        )
        .unwrap();
    assert_eq!(got_c.plaintext, got.plaintext);
}

/// Mallory, a member, signs her own post and seals it under Alice's
/// certificate: the post verifies, but as Mallory's, and is refused before
/// anything is decrypted.
#[test]
fn a_sealed_post_must_be_the_certificates_sender() {
    let (mut w, alice, mut bob) = alice_and_bob(14);
    let mallory = w.device("mallory-user", 66);
    let gid = GroupId::from_bytes([0x19; 16]);
    let members = [alice.key(), bob.key(), mallory.key()];
    let others = |me: IdentityKey| -> Vec<IdentityKey> {
        members.iter().copied().filter(|k| *k != me).collect()
    };
    let (mut gm, dm) =
        Group::create_with_id(&mut w.rng, T0, gid, mallory.key(), &others(mallory.key())).unwrap();
    let (mut gb, _) =
        Group::create_with_id(&mut w.rng, T0, gid, bob.key(), &others(bob.key())).unwrap();
    gb.accept_distribution(T0, &distribution_from(&mallory.identity, T0, &dm.body))
        .unwrap();
    let post = gm.post(&mut w.rng, T0, b"i am alice").unwrap().bytes;
    let multi = seal_post(&mut w.rng, &[bob.key()], &alice.certificate, &post).unwrap();
    let part = MultiRecipientMessage::parse(&multi)
        .unwrap()
        .message_for(0)
        .unwrap();
    let before = gb.clone();
    assert_eq!(
        open_post(&bob.identity, &part)
            .unwrap()
            .receive(T0, &mut w.trusted, &bob.lists["alice-user-7f"], &mut gb)
            .map(|_| ()),
        Err(SealedError::SenderMismatch)
    );
    assert!(gb == before);
    // Under her own certificate it is hers.
    bob.knows(&mallory);
    let multi = seal_post(&mut w.rng, &[bob.key()], &mallory.certificate, &post).unwrap();
    let part = MultiRecipientMessage::parse(&multi)
        .unwrap()
        .message_for(0)
        .unwrap();
    let (from, got) = open_post(&bob.identity, &part)
        .unwrap()
        .receive(T0, &mut w.trusted, &bob.lists["mallory-user"], &mut gb)
        .unwrap();
    assert_eq!((from, got.sender), (mallory.address.clone(), mallory.key()));
}

#[test]
fn multi_recipient_messages_parse_strictly() {
    let (mut w, alice, bob) = alice_and_bob(15);
    let carol = w.device("carol-user-5d", 3);
    let (post, _) = group_post(&mut w, &alice, &[&bob, &carol]);
    let c = &alice.certificate;
    let (b, k) = (bob.key(), carol.key());
    assert_eq!(
        seal_post(&mut w.rng, &[], c, &post),
        Err(SealedError::InvalidRecipients)
    );
    assert_eq!(
        seal_post(&mut w.rng, &[b, k, b], c, &post),
        Err(SealedError::InvalidRecipients)
    );
    let many: Vec<IdentityKey> = (0..=MAX_SEALED_RECIPIENTS)
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_be_bytes());
            *IdentityKeyPair::from_seed(&seed).public()
        })
        .collect();
    assert_eq!(
        seal_post(&mut w.rng, &many, c, &post),
        Err(SealedError::InvalidRecipients)
    );
    let largest = seal_post(&mut w.rng, &many[..MAX_SEALED_RECIPIENTS], c, &post).unwrap();
    let parsed = MultiRecipientMessage::parse(&largest).unwrap();
    assert_eq!(parsed.recipient_count(), MAX_SEALED_RECIPIENTS);
    assert_eq!(
        seal_post(&mut w.rng, &[b], c, &post[..100]),
        Err(SealedError::Malformed(DecodeError::Truncated))
    );
    let multi = seal_post(&mut w.rng, &[b, k], c, &post).unwrap();
    let p = |m: &[u8]| MultiRecipientMessage::parse(m).map(|_| ());
    assert_eq!(p(&multi), Ok(()));
    // Count 0 and too many; a recipient twice; truncated entries and body.
    let mut m = multi.clone();
    m[34..36].copy_from_slice(&0u16.to_be_bytes());
    assert_eq!(p(&m), Err(DecodeError::InvalidValue));
    m[34..36].copy_from_slice(&(MAX_SEALED_RECIPIENTS as u16 + 1).to_be_bytes());
    assert_eq!(p(&m), Err(DecodeError::TooLarge));
    let mut m = multi.clone();
    m.copy_within(36..68, 116);
    assert_eq!(p(&m), Err(DecodeError::InvalidValue));
    assert_eq!(p(&multi[..36 + 160 + 15]), Err(DecodeError::Truncated));
    assert_eq!(p(&multi[..36 + 100]), Err(DecodeError::Truncated));
    assert_eq!(
        p(&vec![0xEE; MAX_MULTI_RECIPIENT_LEN + 1]),
        Err(DecodeError::TooLarge)
    );
    assert_eq!(
        p(&vec![0xEE; MAX_MULTI_RECIPIENT_LEN]),
        Err(DecodeError::UnsupportedVersion(0xEE))
    );
    let mut m = multi.clone();
    m[1] = 0x53;
    assert_eq!(p(&m), Err(DecodeError::UnexpectedType(0x53)));
    // Sealed posts: the bound, the header.
    let part = MultiRecipientMessage::parse(&multi)
        .unwrap()
        .message_for(0)
        .unwrap();
    let o = |m: &[u8]| open_post(&bob.identity, m).map(|_| ());
    assert_eq!(
        o(&vec![0xEE; MAX_SEALED_POST_LEN + 1]),
        Err(SealedError::Malformed(DecodeError::TooLarge))
    );
    assert_eq!(
        o(&part[..82 + 15]),
        Err(SealedError::Malformed(DecodeError::Truncated))
    );
    let mut m = part.clone();
    m[1] = 0x52;
    assert_eq!(
        o(&m),
        Err(SealedError::Malformed(DecodeError::UnexpectedType(0x52)))
    );
    // Every single-bit change of a part is refused.
    for i in 0..part.len() {
        let mut m = part.clone();
        m[i] ^= 0x04;
        assert!(
            matches!(
                o(&m),
                Err(SealedError::AuthenticationFailed | SealedError::Malformed(_))
            ),
            "byte {i}"
        );
    }
    assert_eq!(o(&part), Ok(()));
}

fn arbitrary_inner() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec![0x01u8, 0x02]),
        prop::collection::vec(any::<u8>(), 0..600),
    )
        .prop_map(|(kind, rest)| [&[0x02, kind][..], &rest].concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any inner message seals and opens to itself, with the certificate.
    #[test]
    fn seal_open_round_trip(inner in arbitrary_inner(), seed in any::<u64>()) {
        let (_, alice, bob) = alice_and_bob(16);
        let mut rng = DangerDeterministicRng::from_u64(seed);
        let e = seal(&mut rng, &bob.key(), &alice.certificate, &inner).unwrap();
        prop_assert_eq!(e.len(), 2 + 32 + 2 + alice.certificate.encoded_len() + inner.len() + 16);
        let u = open(&bob.identity, &e).unwrap();
        prop_assert_eq!(u.message(), &inner[..]);
        prop_assert_eq!(u.certificate().unwrap(), alice.certificate.clone());
        // Debug shows the sender and the lengths, never the message.
        let shown = format!("{u:?}");
        prop_assert!(shown.starts_with("Unsealed {"), "{}", shown);
        let lengths = format!(
            "certificate_len: {}, message_len: {}",
            alice.certificate.encoded_len(),
            inner.len()
        );
        prop_assert!(shown.contains(&lengths), "{}", shown);
        prop_assert!(open(&alice.identity, &e).is_err());
    }

    /// Any change of an envelope (a byte XORed with a non-zero value) is
    /// refused.
    #[test]
    fn any_mutation_is_refused(
        inner in arbitrary_inner(),
        at in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let (_, alice, bob) = alice_and_bob(17);
        let mut rng = DangerDeterministicRng::from_u64(3);
        let mut e = seal(&mut rng, &bob.key(), &alice.certificate, &inner).unwrap();
        let i = at.index(e.len());
        e[i] ^= mask;
        prop_assert!(open(&bob.identity, &e).is_err());
    }
}

/// The fuzz targets' seed corpora (`parse_certificate`, `open_sealed`,
/// `multi_recipient`), written from the fixture's samples with
/// `SEALWIRE_BLESS_FUZZ=1 cargo test --test sealed_sender seed_corpus`;
/// every committed seed runs through its target's property here.
#[test]
fn sealed_fuzz_seed_corpus() {
    use sealwire_fuzz_fixtures::{FIXTURE_NOW, SealedFixture};
    let f = SealedFixture::new();
    let [envelope, franked, multi, for_bob, certificate, server_key] = &f.samples[..] else {
        panic!("six samples");
    };
    // The samples are valid: the envelopes and the post decrypt.
    for e in [envelope, franked] {
        let mut s = f.sessions.clone();
        let mut p = f.bob_prekeys.clone();
        open(&f.bob, e)
            .unwrap()
            .decrypt(
                FIXTURE_NOW,
                &mut f.trusted.clone(),
                &f.bob,
                &mut p,
                &f.alice_devices,
                &mut s,
            )
            .unwrap();
    }
    let mut g = f.group.clone();
    open_post(&f.bob, for_bob)
        .unwrap()
        .receive(
            FIXTURE_NOW,
            &mut f.trusted.clone(),
            &f.alice_devices,
            &mut g,
        )
        .unwrap();
    let seeds: [(&str, Vec<Vec<u8>>); 3] = [
        (
            "parse_certificate",
            vec![certificate.clone(), server_key.clone(), franked.clone()],
        ),
        (
            "open_sealed",
            vec![
                [&[0u8][..], envelope].concat(),
                [&[0u8][..], franked].concat(),
                [&[1u8][..], &f.inner].concat(),
                [&[2u8][..], certificate].concat(),
            ],
        ),
        (
            "multi_recipient",
            vec![
                [&[0u8][..], multi].concat(),
                [&[1u8][..], for_bob].concat(),
                [&[2u8][..], &f.post].concat(),
            ],
        ),
    ];
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    if std::env::var_os("SEALWIRE_BLESS_FUZZ").is_some() {
        for (target, samples) in &seeds {
            let dir = root.join(target);
            std::fs::create_dir_all(&dir).unwrap();
            for (i, seed) in samples.iter().enumerate() {
                std::fs::write(dir.join(format!("sample_{i}")), seed).unwrap();
            }
        }
    }
    for (target, _) in &seeds {
        let mut n = 0;
        for entry in std::fs::read_dir(root.join(target)).unwrap() {
            let data = std::fs::read(entry.unwrap().path()).unwrap();
            match *target {
                "parse_certificate" => f.parse_certificate(&data),
                "open_sealed" => f.open_sealed(&data),
                _ => f.multi_recipient(&data),
            }
            n += 1;
        }
        assert!(n >= 3, "{target}: seed corpus missing");
    }
}

/// The body of a multi-recipient message at both of its bounds (SPEC.md
/// §22.4): a tag's length parses and one byte less is `Truncated`;
/// `MAX_SEALED_POST_BODY_LEN` parses and one byte more is `TooLarge`
/// (the message as a whole is still within `MAX_MULTI_RECIPIENT_LEN`).
#[test]
fn a_multi_recipient_body_at_its_bounds() {
    use sealwire::limits::{
        MAX_MULTI_RECIPIENT_LEN, MAX_SEALED_POST_BODY_LEN, SEALED_RECIPIENT_ENTRY_LEN,
    };
    let message = |body_len: usize| {
        let mut m = vec![0x01, 0x52];
        m.extend_from_slice(&[0x09; 32]);
        m.extend_from_slice(&1u16.to_be_bytes());
        m.extend(std::iter::repeat_n(0x44, SEALED_RECIPIENT_ENTRY_LEN));
        m.extend(std::iter::repeat_n(0x55, body_len));
        m
    };
    let tag = sealwire::wire::TAG_LEN;
    let m = message(tag);
    let smallest = MultiRecipientMessage::parse(&m).unwrap();
    assert_eq!(smallest.recipient_count(), 1);
    let shown = format!("{smallest:?}");
    assert!(
        shown.contains("recipients: 1") && shown.contains("body_len: 16"),
        "{shown}"
    );
    // Its part: the body of a tag's length is opened (and fails on the
    // key), one byte less is `Truncated` before any key work.
    let part = smallest.message_for(0).unwrap();
    let me = IdentityKeyPair::from_seed(&[0x31; 32]);
    assert_eq!(
        open_post(&me, &part).map(|_| ()),
        Err(SealedError::AuthenticationFailed)
    );
    assert_eq!(
        open_post(&me, &part[..part.len() - 1]).map(|_| ()),
        Err(SealedError::Malformed(DecodeError::Truncated))
    );
    assert_eq!(
        MultiRecipientMessage::parse(&message(tag - 1)).map(|_| ()),
        Err(DecodeError::Truncated)
    );
    let largest = message(MAX_SEALED_POST_BODY_LEN);
    assert!(largest.len() < MAX_MULTI_RECIPIENT_LEN);
    assert!(MultiRecipientMessage::parse(&largest).is_ok());
    assert_eq!(
        MultiRecipientMessage::parse(&message(MAX_SEALED_POST_BODY_LEN + 1)).map(|_| ()),
        Err(DecodeError::TooLarge)
    );
}
