//! The sealwire story in one run: a bundle published, a session started,
//! messages delivered out of order, a tampered message rejected, a reply
//! that turns the ratchet, disappearing messages, safety numbers, saved
//! state, and an abuse report through message franking.
//!
//! Run: `cargo run -p sealwire-examples --bin demo` (the README's first
//! command). `main` is the list of sections, run in order on one shared
//! [`Story`]; a new section is one more function and one more line there.
#![allow(
    clippy::print_stdout,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use sealwire::expiry::{Expiry, ExpiryMode, ExpiryPolicy, ExpiryQueue, MessageExpiry, MessageId};
use sealwire::franking::{self, RelayKey, Report, RoutingContext, Stamp};
use sealwire::persist::{BlobAddress, StateBlob, StorageKey};
use sealwire::{
    Encrypt, IdentityKeyPair, OsRng, Outgoing, PendingSession, PrekeyBundle, PrekeyStore,
    SafetyNumber, Session, SessionError, Timestamp, os_rng,
};

type Error = Box<dyn std::error::Error>;

/// What the sections share: the two users, their sessions (once section 5
/// established Alice's), the clock and the generator.
struct Story {
    rng: OsRng,
    now: Timestamp,
    alice_identity: IdentityKeyPair,
    bob_identity: IdentityKeyPair,
    alice: Session,
    bob: Session,
    /// The number of the last section printed.
    section: u32,
}

impl Story {
    /// Alice encrypts `outgoing` now; returns the message on the wire.
    fn alice_sends(&mut self, outgoing: Outgoing<'_>) -> Result<Vec<u8>, Error> {
        Ok(self
            .alice
            .encrypt(&mut self.rng, self.now, outgoing)?
            .message)
    }

    /// Prints the next section's title, numbered.
    fn section(&mut self, name: &str) {
        title(&mut self.section, name);
    }
}

fn main() -> Result<(), Error> {
    let mut story = first_session()?;
    padding(&mut story)?;
    disappearing_messages(&mut story)?;
    safety_numbers(&mut story);
    saved_state(&mut story)?;
    abuse_reporting(&mut story)?;
    relay_view(&mut story)?;
    println!(
        "\nDone: every message decrypted exactly once; the forgery and the replay were refused."
    );
    Ok(())
}

fn short(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        + "…"
}

/// Sections 1 to 5: a bundle published, a session started (X3DH), out of
/// order delivery, a forgery refused, and the reply that establishes
/// Alice's session.
fn first_session() -> Result<Story, Error> {
    let mut rng = os_rng();
    let now = Timestamp::now();
    let mut section = 0;

    title(&mut section, "Bob publishes a prekey bundle");
    let bob_identity = IdentityKeyPair::generate(&mut rng);
    let mut bob_prekeys = PrekeyStore::new(&bob_identity, &mut rng);
    let one_time = bob_prekeys.generate_one_time_prekeys(&mut rng, 5);
    let bundle_bytes = bob_prekeys
        .bundle(&bob_identity, Some(one_time[0].id))?
        .to_vec();
    println!(
        "   identity {}  signed prekey #{}  one-time prekey #{}  ({} bytes on the server)",
        short(bob_identity.public().as_bytes()),
        bob_prekeys.current_signed_prekey().ok_or("no spk")?.id(),
        one_time[0].id,
        bundle_bytes.len()
    );

    title(
        &mut section,
        "Alice fetches it, verifies the signature, and starts a session (X3DH)",
    );
    let alice_identity = IdentityKeyPair::generate(&mut rng);
    let bundle = PrekeyBundle::parse(&bundle_bytes)?;
    let mut alice = PendingSession::initiate(&mut rng, &alice_identity, &bundle)?;
    let texts = [
        "Hi Bob, it's Alice.",
        "Are you there?",
        "Call me when you can.",
    ];
    let mut sent = Vec::new();
    for text in texts {
        let wire = alice
            .encrypt(&mut rng, now, Outgoing::message(text.as_bytes()))?
            .message;
        println!(
            "   Alice sends prekey message: {} bytes  {}",
            wire.len(),
            short(&wire)
        );
        sent.push(wire);
    }

    title(
        &mut section,
        "The network delivers them out of order: #2, #0, #1",
    );
    let (mut bob, first) = Session::accept(&bob_identity, &mut bob_prekeys, now, &sent[2])?;
    println!(
        "   Bob accepts from message #{}: {:?}  (one-time prekeys left: {})",
        first.message_number,
        String::from_utf8_lossy(&first.plaintext),
        bob_prekeys.one_time_prekey_count()
    );
    for i in [0, 1] {
        let m = bob.decrypt(now, &sent[i])?;
        println!(
            "   Bob decrypts #{}: {:?}",
            m.message_number,
            String::from_utf8_lossy(&m.plaintext)
        );
    }
    println!(
        "   Replaying #1 again: {}",
        bob.decrypt(now, &sent[1]).err().ok_or("replay accepted")?
    );

    title(&mut section, "A relay flips one bit of a message");
    let mut forged = alice
        .encrypt(&mut rng, now, Outgoing::message(b"Transfer 10 EUR"))?
        .message;
    let before = bob.clone();
    let last = forged.len() - 20;
    forged[last] ^= 0x01;
    let err = bob.decrypt(now, &forged).err().ok_or("forgery accepted")?;
    assert_eq!(err, SessionError::AuthenticationFailed);
    println!(
        "   Bob rejects it: {err}; his session is unchanged: {}",
        bob == before
    );

    title(
        &mut section,
        "Bob replies: the reply turns the ratchet and establishes Alice's session",
    );
    let reply = bob
        .encrypt(&mut rng, now, Outgoing::message(b"Hi Alice! Calling in 5."))?
        .message;
    let (mut alice, got) = alice.receive(now, &reply).map_err(|r| r.error)?;
    println!(
        "   Alice decrypts: {:?} (sender {})",
        String::from_utf8_lossy(&got.plaintext),
        short(got.sender.as_bytes())
    );
    let next = alice
        .encrypt(&mut rng, now, Outgoing::message(b"Great, talk soon."))?
        .message;
    println!(
        "   Alice now sends plain ratchet messages: {} bytes, type byte 0x{:02x}",
        next.len(),
        next[1]
    );
    let m = bob.decrypt(now, &next)?;
    println!(
        "   Bob decrypts: {:?}",
        String::from_utf8_lossy(&m.plaintext)
    );
    Ok(Story {
        rng,
        now,
        alice_identity,
        bob_identity,
        alice,
        bob,
        section,
    })
}

/// Prints section `n + 1`'s title; `n` becomes its number.
fn title(n: &mut u32, title: &str) {
    *n += 1;
    let prefix = if *n == 1 { "" } else { "\n" };
    println!("{prefix}== {n}. {title}");
}

fn padding(story: &mut Story) -> Result<(), Error> {
    story.section("Padding hides exact lengths");
    for len in [1usize, 30, 33, 100, 1000] {
        let w = story.alice_sends(Outgoing::message(&vec![b'x'; len]))?;
        println!("   body {len:>4} bytes -> message {:>4} bytes", w.len());
        story.bob.decrypt(story.now, &w)?;
    }
    Ok(())
}

fn disappearing_messages(story: &mut Story) -> Result<(), Error> {
    story.section("Disappearing messages: Alice sets a 10-second timer");
    let policy = ExpiryPolicy::new(ExpiryMode::AfterSend, 10)?;
    let (change, _) = story
        .alice
        .set_timer(&mut story.rng, story.now, Some(policy))?;
    let got = story.bob.decrypt(story.now, &change)?;
    let event = got.timer_change.ok_or("no timer event")?;
    println!(
        "   Bob's app is told: {:?} changed the timer from {:?} to {:?} s (version {})",
        event.by,
        event.old.policy.map(|p| p.ttl_secs()),
        event.new.policy.map(|p| p.ttl_secs()),
        event.new.version
    );
    let mut queue = ExpiryQueue::new();
    let secret = story.alice_sends(Outgoing::message(b"The door code is 4711."))?;
    let late = story.alice_sends(Outgoing::message(b"This one is stuck in the network."))?;
    let got = story.bob.decrypt(story.now, &secret)?;
    let MessageExpiry::At(deadline) = got.expiry else {
        return Err("no deadline".into());
    };
    println!(
        "   Bob reads {:?}; it disappears at +{} s",
        String::from_utf8_lossy(&got.plaintext),
        (deadline.as_unix_millis() - story.now.as_unix_millis()) / 1000
    );
    queue.insert(MessageId::from(1), Expiry::At(deadline))?;
    for seconds in [5u64, 10] {
        let t = Timestamp::from_unix_millis(story.now.as_unix_millis() + seconds * 1000);
        let gone = queue.pop_expired(t);
        let what = if gone.is_empty() {
            "nothing: still on screen"
        } else {
            "message #1: deleted from screen"
        };
        println!("   t+{seconds:>2} s: the app's expiry queue pops {what}");
    }
    let t = Timestamp::from_unix_millis(story.now.as_unix_millis() + 11_000);
    let got = story.bob.decrypt(t, &late)?;
    println!(
        "   t+11 s: a delayed message arrives after its deadline: {:?}, {} bytes of plaintext returned",
        got.expiry,
        got.plaintext.len()
    );
    Ok(())
}

fn safety_numbers(story: &mut Story) {
    story.section("Safety numbers: Alice and Bob compare what their screens show");
    let on_alice = SafetyNumber::new(
        story.alice_identity.public(),
        b"alice",
        story.alice.their_identity(),
        b"bob",
    );
    let on_bob = SafetyNumber::new(
        story.bob_identity.public(),
        b"bob",
        story.bob.their_identity(),
        b"alice",
    );
    let digits = on_alice.displayable();
    println!(
        "   Alice sees {} {} {}",
        &digits[..20],
        &digits[20..40],
        &digits[40..]
    );
    println!(
        "   Bob   sees {}",
        if on_bob.displayable() == digits {
            "the same 60 digits"
        } else {
            "DIFFERENT digits"
        }
    );
    println!(
        "   Bob scans Alice's QR code: {:?}",
        on_bob.verify_scanned(&on_alice.scannable())
    );
}

fn saved_state(story: &mut Story) -> Result<(), Error> {
    story.section("Bob's phone restarts: his session is saved sealed and restored");
    let storage_key = StorageKey::generate(&mut story.rng);
    // Bound to where it is stored (Bob's own identity, Alice's device):
    // moved to another row, it is refused as WrongAddress.
    let here = BlobAddress::peer(*story.bob_identity.public(), *story.bob.their_identity(), 1);
    let sealed = story.bob.seal(&storage_key, &here, &mut story.rng);
    println!(
        "   sealed session blob: {} bytes (AES-256-GCM under the app's storage key)",
        sealed.len()
    );
    story.bob = Session::unseal(&storage_key, &here, &sealed)?;
    let after_restart = story.alice_sends(Outgoing::message(b"still there?"))?;
    let got = story.bob.decrypt(story.now, &after_restart)?;
    println!(
        "   restored session decrypts: {:?}",
        String::from_utf8_lossy(&got.plaintext)
    );
    let wrong = StorageKey::generate(&mut story.rng);
    println!(
        "   with another storage key: {:?}",
        Session::unseal(&wrong, &here, &sealed).err()
    );
    Ok(())
}

fn abuse_reporting(story: &mut Story) -> Result<(), Error> {
    story.section("Abuse reporting (message franking): Bob reports one message");
    let relay_key = RelayKey::generate(&mut story.rng);
    let earlier = story.alice_sends(Outgoing::message(b"See you at 8.").franked())?;
    let abusive = story
        .alice_sends(Outgoing::message(b"Send me 500 EUR or your photos go public.").franked())?;
    // The relay forwards each message and stamps its commitment; it keeps
    // nothing.
    let mut deliveries = Vec::new();
    for wire in [&earlier, &abusive] {
        let context = RoutingContext::new(b"acct:alice", b"acct:bob", story.now)?;
        let stamp = franking::stamp(&relay_key, &franking::commitment_of(wire)?, context);
        deliveries.push((wire, stamp.to_vec()));
    }
    println!(
        "   relay stamped {} franked messages ({} bytes each) without any key to the chat",
        deliveries.len(),
        deliveries[1].1.len()
    );
    let mut stored = Vec::new();
    for (wire, stamp) in &deliveries {
        let got = story.bob.decrypt(story.now, wire)?;
        println!(
            "   Bob reads {:?}  (commitment verified: {})",
            String::from_utf8_lossy(&got.plaintext),
            got.franking.is_some()
        );
        stored.push((got, Stamp::parse(stamp)?));
    }
    let (message, stamp) = &stored[1];
    let report =
        Report::from_received(message, *story.bob_identity.public(), stamp.clone())?.to_vec();
    println!(
        "   Bob sends a report of the second message: {} bytes",
        report.len()
    );
    let verified = franking::verify_report(&relay_key, &report)?;
    println!(
        "   relay verifies it: sent by {} to {}, body {:?}",
        String::from_utf8_lossy(verified.context.sender()),
        String::from_utf8_lossy(verified.context.recipient()),
        String::from_utf8_lossy(&verified.body)
    );
    let contains = |needle: &[u8]| report.windows(needle.len()).any(|w| w == needle);
    println!(
        "   the report holds nothing of the other message: {}",
        !contains(b"See you at 8.")
    );
    let honest = Report::parse(&report)?;
    let doctored = Report::new(
        honest.content_type(),
        *honest.sender(),
        *honest.recipient(),
        honest.sent_at(),
        b"Send me 5000 EUR or your photos go public.",
        honest.franking().clone(),
        honest.stamp().clone(),
    )?;
    println!(
        "   a doctored report: {:?}; checked with another relay's key: {:?}",
        franking::verify_report(&relay_key, &doctored.to_vec()).err(),
        franking::verify_report(&RelayKey::generate(&mut story.rng), &report).err()
    );
    Ok(())
}

/// What the relay sees of one message from Alice to Bob, unsealed and
/// sealed (SPEC.md §22): unsealed, the prekey message carries Alice's
/// identity key; sealed, the envelope names nobody, and the relay knows
/// only the recipient it delivers to. Self-contained.
fn relay_view(story: &mut Story) -> Result<(), Error> {
    use sealwire::devices::{DeviceList, DeviceSessions};
    use sealwire::sealed::{ServerKey, TrustedServerKeys, open, seal};
    use sealwire::{DeviceAddress, IdentityKeyPair, Outgoing, PrekeyStore, Timestamp};

    story.section("Sealed sender: what the relay sees of the same message, unsealed and sealed");
    let mut rng = sealwire::os_rng();
    let now = Timestamp::now();
    let tomorrow = Timestamp::from_unix_millis(now.as_unix_millis() + 86_400_000);
    let (alice, bob) = (
        IdentityKeyPair::generate(&mut rng),
        IdentityKeyPair::generate(&mut rng),
    );
    let alice_at = DeviceAddress::new("alice@example.org", 0x5ea1_ed01);
    let mut bob_prekeys = PrekeyStore::new(&bob, &mut rng);
    // The app's server certifies Alice's device; Bob's app pins its key.
    let server = ServerKey::generate(&mut rng, 1);
    let certificate = server.issue(&alice_at, alice.public(), tomorrow)?;
    let mut trusted = TrustedServerKeys::new();
    trusted.add(server.public())?;

    let mut to_bob = DeviceSessions::new();
    to_bob.initiate(
        &mut rng,
        &alice,
        bob.public(),
        &bob_prekeys.bundle(&bob, None)?,
    )?;
    let message = to_bob
        .encrypt(&mut rng, now, bob.public(), Outgoing::message(b"meet at 8"))?
        .message;
    let envelope = seal(&mut rng, bob.public(), &certificate, &message)?;

    // What identifies Alice's device: both forms of her identity key, her
    // user id, her device id (both byte orders).
    let ed25519 = *alice.public().as_bytes();
    let x25519 = curve25519_dalek::edwards::CompressedEdwardsY(ed25519)
        .decompress()
        .ok_or("Alice's key is a point")?
        .to_montgomery()
        .to_bytes();
    let device = alice_at.device_id();
    let needles: [(&str, &[u8]); 5] = [
        ("Ed25519 identity key", &ed25519),
        ("X25519 identity key", &x25519),
        ("user id", alice_at.name().as_bytes()),
        ("device id", &device.to_be_bytes()),
        ("device id (LE)", &device.to_le_bytes()),
    ];
    let find = |bytes: &[u8], needle: &[u8]| bytes.windows(needle.len()).position(|w| w == needle);

    println!(
        "   unsealed: {} bytes, type 0x{:02x} (prekey message), to Bob's device; the app names the sender",
        message.len(),
        message[1]
    );
    let at = find(&message, &ed25519).ok_or("a prekey message names its sender")?;
    println!(
        "     bytes {at}..{}: Alice's identity key {}  <- the relay learns who sends",
        at + 32,
        short(&ed25519)
    );
    println!(
        "   sealed:   {} bytes, type 0x{:02x} (envelope), to Bob's device: the recipient is all the relay knows",
        envelope.len(),
        envelope[1]
    );
    println!(
        "     bytes 2..34: a fresh ephemeral key {}; the rest: ciphertext (certificate and message) and tag",
        short(&envelope[2..34])
    );
    for (what, needle) in needles {
        assert!(
            find(&envelope, needle).is_none(),
            "the sealed bytes hold Alice's {what}"
        );
    }
    println!(
        "     none of Alice's identity key (Ed25519 or X25519), user id or device id is in them"
    );

    // Bob opens it, and verifies the claim against the certificate, his
    // pinned server key, Alice's device list and the inner message.
    let unsealed = open(&bob, &envelope)?;
    let mut alices = DeviceList::new(alice_at.name())?;
    alices.update(&[(device, *alice.public())])?;
    let mut from_alice = DeviceSessions::new();
    let (sender, got) = unsealed.decrypt(
        now,
        &mut trusted,
        &bob,
        &mut bob_prekeys,
        &alices,
        &mut from_alice,
    )?;
    println!(
        "   Bob opens it: from {} device {:#x} (certificate verified), {:?}",
        sender.name(),
        sender.device_id(),
        String::from_utf8_lossy(&got.plaintext)
    );
    Ok(())
}
