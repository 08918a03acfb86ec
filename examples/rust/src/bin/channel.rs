//! A broadcast channel with 10,000 subscribers, in one process: every
//! subscriber has a real 1:1 session with the owner, the owner's chain is
//! distributed over those sessions, one post is fanned out (one encryption,
//! one signature) and opened by every subscriber, a subscriber is removed
//! (the chain rotates and the new one is distributed), and the removed
//! subscriber cannot read the next post. Prints what each step costs.
//!
//! Run: `cargo run --release -p sealwire-examples --bin channel`
//! (optionally with the number of subscribers as the first argument).
#![allow(
    clippy::print_stdout,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss
)]

use std::time::{Duration, Instant};

use sealwire::group::{ChannelOwner, ChannelSubscriber, Distribution, GroupError, GroupId};
use sealwire::{
    Encrypt, IdentityKeyPair, Outgoing, PendingSession, PrekeyStore, Session, SessionRecord,
    Timestamp, os_rng,
};

struct Subscriber {
    identity: IdentityKeyPair,
    /// The subscriber's session with the owner.
    session: Session,
    channel: ChannelSubscriber,
}

fn per(d: Duration, n: usize) -> String {
    format!(
        "{:?} total, {:.1} µs each",
        d,
        d.as_secs_f64() * 1e6 / n as f64
    )
}

/// A 1:1 session between the owner and a subscriber, set up as over a
/// network: the subscriber publishes a bundle (with a one-time prekey), the
/// owner starts the session from it and sends a first message, the
/// subscriber accepts it and replies. Returns (owner's side, subscriber's
/// side).
fn connect(
    rng: &mut impl sealwire::rand_core::CryptoRng,
    now: Timestamp,
    owner: &IdentityKeyPair,
    subscriber: &IdentityKeyPair,
) -> Result<(Session, Session), Box<dyn std::error::Error>> {
    let mut prekeys = PrekeyStore::new(subscriber, rng);
    let one_time = prekeys.generate_one_time_prekeys(rng, 1)[0].id;
    let bundle = prekeys.bundle(subscriber, Some(one_time))?;
    let mut pending = PendingSession::initiate(rng, owner, &bundle)?;
    let first = pending.encrypt(rng, now, Outgoing::message(b"subscribed"))?;
    let (mut sub_side, _) = Session::accept(subscriber, &mut prekeys, now, &first.message)?;
    let reply = sub_side.encrypt(rng, now, Outgoing::message(b"thanks"))?;
    let (owner_side, _) = pending
        .receive(now, &reply.message)
        .map_err(|refused| refused.error)?;
    Ok((owner_side, sub_side))
}

/// Sends `d` over the owner's sessions; each recipient decrypts it and
/// hands it to its channel. Returns (owner's encryption time, receivers'
/// time).
fn distribute(
    rng: &mut impl sealwire::rand_core::CryptoRng,
    now: Timestamp,
    d: &Distribution,
    owner_sessions: &mut [SessionRecord],
    subs: &mut [Subscriber],
    active: &[bool],
) -> Result<(Duration, Duration), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let mut wire = Vec::with_capacity(subs.len());
    for (i, s) in owner_sessions.iter_mut().enumerate() {
        if active[i] {
            wire.push((i, d.encrypt_for(s, rng, now)?));
        }
    }
    let send = t.elapsed();
    let t = Instant::now();
    for (i, msg) in wire {
        let got = subs[i].session.decrypt(now, &msg)?;
        subs[i].channel.accept_distribution(now, &got)?;
    }
    Ok((send, t.elapsed()))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let mut rng = os_rng();
    let now = Timestamp::now();
    let owner = IdentityKeyPair::generate(&mut rng);
    let id = GroupId::random(&mut rng);

    println!("== 1. {n} subscribers, each with a 1:1 session with the owner");
    let t = Instant::now();
    let mut subs = Vec::with_capacity(n);
    let mut owner_sessions = Vec::with_capacity(n);
    for _ in 0..n {
        let identity = IdentityKeyPair::generate(&mut rng);
        let (owner_side, sub_side) = connect(&mut rng, now, &owner, &identity)?;
        owner_sessions.push(SessionRecord::from(owner_side));
        let channel = ChannelSubscriber::new(id, *identity.public(), *owner.public());
        subs.push(Subscriber {
            identity,
            session: sub_side,
            channel,
        });
    }
    println!("   sessions set up: {}", per(t.elapsed(), n));

    println!("== 2. The owner creates the channel and distributes its chain");
    let keys: Vec<_> = subs.iter().map(|s| *s.identity.public()).collect();
    let t = Instant::now();
    let (mut ch, d) = ChannelOwner::create_with_id(&mut rng, now, id, *owner.public(), &keys)?;
    println!("   create: {:?}", t.elapsed());
    let mut active = vec![true; n];
    let (send, recv) = distribute(&mut rng, now, &d, &mut owner_sessions, &mut subs, &active)?;
    println!(
        "   distribution body {} bytes; owner encrypts it {n} times: {}",
        d.body.len(),
        per(send, n)
    );
    println!("   subscribers decrypt and accept it: {}", per(recv, n));

    println!("== 3. One post, fanned out");
    let body = b"Welcome to the channel. One encryption, one signature, whatever the audience.";
    let t = Instant::now();
    let post = ch.post(&mut rng, now, body)?;
    println!(
        "   post: {} bytes for a {}-byte body, made in {:?} (once, for all {n})",
        post.bytes.len(),
        body.len(),
        t.elapsed()
    );
    let t = Instant::now();
    for s in &mut subs {
        let got = s.channel.receive_post(now, &post.bytes)?;
        assert_eq!(&got.plaintext[..], body);
    }
    println!(
        "   every subscriber verifies and opens it: {}",
        per(t.elapsed(), n)
    );

    println!("== 4. Subscriber 0 is removed: the chain rotates");
    let removed = *subs[0].identity.public();
    let t = Instant::now();
    let d2 = ch.remove_member(&mut rng, now, &removed)?;
    println!(
        "   rotation: {:?}; {} recipients",
        t.elapsed(),
        d2.recipients.len()
    );
    active[0] = false;
    let (send, recv) = distribute(&mut rng, now, &d2, &mut owner_sessions, &mut subs, &active)?;
    println!(
        "   owner encrypts the new chain {} times: {}",
        n - 1,
        per(send, n - 1)
    );
    println!("   subscribers accept it: {}", per(recv, n - 1));

    println!("== 5. The next post");
    let post2 = ch.post(&mut rng, now, b"After the rotation.")?;
    let t = Instant::now();
    for s in &mut subs[1..] {
        s.channel.receive_post(now, &post2.bytes)?;
    }
    println!(
        "   {} subscribers open it: {}",
        n - 1,
        per(t.elapsed(), n - 1)
    );
    match subs[0].channel.receive_post(now, &post2.bytes) {
        Err(GroupError::UnknownChain) => {
            println!("   the removed subscriber cannot: UnknownChain (it holds only old chains)")
        }
        other => return Err(format!("removed subscriber: {other:?}").into()),
    }
    println!(
        "   current holders of the chain: {}",
        ch.current_holders().len()
    );
    Ok(())
}
