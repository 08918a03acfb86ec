//! An end-to-end encrypted chat over TCP between users, each of whom may
//! have several devices: one-to-one with the first other user, and group
//! conversations with any of them. Every process is one device and keeps
//! its identity, prekeys, sessions, device lists, messages and groups in
//! its own SQLite file (`sealwire-sqlite`, opened unsealed with
//! `SqliteStore::open`: a demo; an app opens it with `open_sealed` and a
//! key from the platform's keystore).
//!
//! ```sh
//! cargo run -p sealwire-chat -- listen  127.0.0.1:7878 alice.db     # terminal 1
//! cargo run -p sealwire-chat -- connect 127.0.0.1:7878 bob.db       # terminal 2
//! cargo run -p sealwire-chat -- connect 127.0.0.1:7878 alice2.db --name alice --device 2
//! ```
//!
//! The command line is checked before anything is opened (a mistake
//! creates no database file): `args.rs`. The commands, each with its
//! usage, are the table in `commands.rs`; the frames, their limits and
//! why a frame is dropped (always reported, never silently), `frame.rs`.
//!
//! One process listens; the others connect to it. The listener is a
//! device of the conversation and also its relay (the part a server plays
//! in a real app): it tells every device which devices are online, with
//! their prekey bundles, and forwards the encrypted frames between the
//! devices connected to it, which it cannot read. A message is encrypted
//! once for every device of the other user and for the sender's own other
//! devices (`send_to_user`), which show it as sent "from your other
//! device".
//!
//! Type a line to send it. `/timer 30` makes messages disappear 30 seconds
//! after sending (`/timer read 30`: after reading, `/timer off`: never),
//! `/history` shows the last messages, `/help` lists the commands, `/quit`
//! exits. Quit any device (or kill it) and start it again: the
//! conversation continues where it stopped, and whatever was sent but not
//! acknowledged is retransmitted when the device is back. A device that lost its sessions (a restored
//! backup, a wiped database that kept its identity key) cannot read what
//! was sent to it in them: it asks the sender for it again with a signed
//! recovery request (SPEC.md §21.4), and the sender re-sends those
//! messages on a new session. End of input does not quit (so that a
//! script can pipe lines in): use `/quit` or a signal.
//!
//! Groups (`group.rs`): `/group create friends bob carol` creates a
//! sender-key group of alice, bob and carol in the store; `/g <text>` (or
//! `/group say <text>`) posts to the current group (`/group use <name>`
//! picks another), `/group list`, `/group history`, `/group add <user>`,
//! `/group remove <user>`, `/group leave`. Every device of every member
//! is a member with its own chain. How members learn the member list: the
//! creator's chain goes to each member device over its 1:1 session (the
//! store queues it in the outbox: ordinary message frames, acknowledged
//! and retransmitted), followed on the same sessions by an *invitation*,
//! an app message (content type `UserMessage`, body starting with U+0001,
//! never shown as text; a typed line cannot start with it) carrying the
//! group's id, its name and its member users. Each device joins with that
//! list (`join_group`), sending its own chain to every member device; a
//! removal (`/group remove`, `/group leave`) is an app message of the same
//! kind, on which every member removes the user on its side, so that the
//! removed user reads none of the later posts. Posts are committed before
//! they are sent, go to the listener, which relays them to every other
//! device (keeping them in memory for a device that is away) and
//! acknowledges them; those not acknowledged are sent again on
//! reconnecting. A post is shown with its sender and the group's name, and
//! `/group history` shows the stored ones after a restart. A post that
//! cannot be read yet (its invitation or its sender's chain still on the
//! way; the store refuses posts until we joined) is kept in memory and
//! tried again after each chain received and each join.
//!
//! Protocol (`frame.rs`): frames of `type u8 | length u32 BE | payload`
//! over TCP, at most about 1 MiB of payload (a frame around the largest
//! sealwire message), where an address is
//! `name_len u8 | name | device u32 BE`:
//!
//! - `1` hello: `address | prekey bundle`, a device announcing itself. Each
//!   device sends its own on connecting; the listener sends a newcomer the
//!   hellos of the devices already connected, and the newcomer's to them.
//!   A hello updates the receiver's device list of that user (a new device
//!   is trusted on first use; a changed identity key is shown as a warning
//!   and accepted), and a device with no session with the other starts
//!   one. A hello also means "online": pending messages are retransmitted.
//! - `3` message: `from | to | outbox id i64 BE | sealwire message`;
//! - `4` ack: `from | to | outbox id i64 BE`, sent once the message is
//!   stored (or was a duplicate, or can never be decrypted);
//! - `5` recovery request: `from | to | 174-byte request`;
//! - `6` group post: `from | post id i64 BE | group post`, to the listener,
//!   which checks `from`, relays it unchanged to every other device, and
//!   answers with
//! - `7` group ack: `post id i64 BE`.
//!
//! Frames `3` to `5` are for the device `to`: the listener forwards those
//! it gets for another device connected to it (and drops the others: the
//! sender retransmits on that device's next hello), and only forwards a
//! frame whose `from` is the device that sent it. A frame that is too
//! large, cut short, of an unknown type or malformed is dropped, and
//! reported ("dropped a frame from bob.1: ...").
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use rusqlite::OptionalExtension;
use sealwire::DeviceAddress;
use sealwire::devices::{DeviceError, DeviceEvent, Recovery};
use sealwire::expiry::{ExpiryMode, ExpiryPolicy, MessageExpiry, TimerChange};
use sealwire::store::{DeviceListStorage, IdentityStorage, PrekeyStorage, SessionStorage};
use sealwire::{ContentType, IdentityKey, OsRng, PrekeyBundle, Timestamp};
use sealwire_sqlite::{
    Direction, OutboxEntry, ReceiveOutcome, SessionEvent, SqliteStore, StoreError, StoredMessage,
};

mod args;
mod commands;
mod frame;
mod group;

use args::{Args, Parsed, Role};
use commands::{Command, Input, TimerSetting};
use frame::{Body, Frame, FrameError, FrameType, Received, Routed};

type Error = Box<dyn std::error::Error>;

/// Body of the message that opens a session (a receipt, not shown).
const OPENER: &[u8] = b"session opened";

// ------------------------------------------------------------- events

enum Event {
    Input(String),
    InputClosed,
    Connected(u64, TcpStream),
    Frame(u64, u8, Vec<u8>),
    /// A frame dropped before it was parsed (over the limit, cut short).
    Dropped(u64, FrameError),
    Disconnected(u64),
}

fn spawn_stdin(events: Sender<Event>) {
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if events.send(Event::Input(line)).is_err() {
                return;
            }
        }
        let _ = events.send(Event::InputClosed);
    });
}

/// Reads frames from one connection until it ends.
fn pump(id: u64, stream: TcpStream, events: &Sender<Event>) {
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    if events.send(Event::Connected(id, write_half)).is_err() {
        return;
    }
    let mut reader = BufReader::new(stream);
    loop {
        let event = match frame::read_frame(&mut reader) {
            Received::Frame(kind, payload) => Event::Frame(id, kind, payload),
            Received::Skipped(e) => Event::Dropped(id, e),
            Received::End(e) => {
                if let Some(e) = e {
                    let _ = events.send(Event::Dropped(id, e));
                }
                break;
            }
        };
        if events.send(event).is_err() {
            return;
        }
    }
    let _ = events.send(Event::Disconnected(id));
}

/// Where the network side starts: checked (bound, or resolved) before the
/// database is opened, so that a bad address creates no file.
enum Endpoint {
    Listen(TcpListener),
    Connect(String),
}

impl Endpoint {
    fn new(role: Role, addr: &str) -> Result<Self, String> {
        match role {
            Role::Listen => TcpListener::bind(addr)
                .map(Self::Listen)
                .map_err(|e| format!("cannot listen on {addr}: {e}")),
            Role::Connect => match addr.to_socket_addrs().map(|mut found| found.next()) {
                Ok(Some(_)) => Ok(Self::Connect(addr.to_owned())),
                Ok(None) => Err(format!(
                    "cannot connect to {addr}: no address for that host"
                )),
                Err(e) => Err(format!("cannot connect to {addr}: {e}")),
            },
        }
    }
}

fn spawn_network(endpoint: Endpoint, events: Sender<Event>) -> Result<(), Error> {
    match endpoint {
        Endpoint::Listen(listener) => {
            println!("* listening on {}", listener.local_addr()?);
            std::thread::spawn(move || {
                let mut id = 0u64;
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    id += 1;
                    // One reader thread per connected device.
                    let events = events.clone();
                    std::thread::spawn(move || pump(id, stream, &events));
                }
            });
        }
        Endpoint::Connect(addr) => {
            std::thread::spawn(move || {
                let mut id = 0u64;
                let mut announced = false;
                loop {
                    match TcpStream::connect(&addr) {
                        Ok(stream) => {
                            announced = false;
                            id += 1;
                            pump(id, stream, &events);
                        }
                        Err(e) if !announced => {
                            println!("* cannot connect to {addr} ({e}); retrying every second");
                            announced = true;
                        }
                        Err(_) => {}
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            });
        }
    }
    Ok(())
}

// ------------------------------------------------------------ display

fn clock(t: Timestamp) -> String {
    let s = t.as_unix_millis() / 1000;
    format!("{:02}:{:02}:{:02}", (s / 3600) % 24, (s / 60) % 60, s % 60)
}

fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s / 60) % 60),
    }
}

fn describe_policy(policy: Option<ExpiryPolicy>) -> String {
    match policy {
        None => "off".to_owned(),
        Some(p) => match p.mode() {
            ExpiryMode::AfterRead => format!("{} after reading", duration(p.ttl_ms())),
            _ => format!("{} after sending", duration(p.ttl_ms())),
        },
    }
}

fn short_key(key: &IdentityKey) -> String {
    key.as_bytes()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `name.device`, as system lines name a device.
fn dev(a: &DeviceAddress) -> String {
    format!("{}.{}", a.name(), a.device_id())
}

fn expiry_note(m: &StoredMessage, now: Timestamp) -> String {
    match (m.expires_at, m.expires_after_read_ms) {
        (Some(t), _) => format!(
            "  (disappears in {})",
            duration(
                t.as_unix_millis()
                    .saturating_sub(now.as_unix_millis())
                    .max(1)
            )
        ),
        (None, Some(ms)) => format!("  (disappears {} after reading)", duration(ms)),
        (None, None) => String::new(),
    }
}

// --------------------------------------------------------------- chat

/// One TCP connection: to the listener, or (listening) from a device.
struct Link {
    stream: TcpStream,
    /// The other end's socket address, to name it before its hello.
    peer: String,
    /// The device at the other end, once its hello arrived.
    device: Option<DeviceAddress>,
    /// That hello, for the devices that connect later (listening).
    hello: Option<Vec<u8>>,
}

struct Chat {
    store: SqliteStore,
    rng: OsRng,
    role: Role,
    me: DeviceAddress,
    db: PathBuf,
    /// The other user, once known (from the database or a hello).
    peer: Option<String>,
    links: BTreeMap<u64, Link>,
    /// Lines typed before the other user was known.
    queued: Vec<String>,
    /// The group `/g` posts to.
    group: Option<sealwire::group::GroupId>,
    /// Group posts that cannot be read yet (`group.rs`).
    held_posts: Vec<Vec<u8>>,
    /// Group invitations waiting for a member we have not met.
    pending_invites: Vec<(DeviceAddress, group::Control)>,
    /// Listening: group post frames kept for the devices away.
    relay_queue: BTreeMap<DeviceAddress, Vec<Vec<u8>>>,
}

/// The app's own table in the same database: the last bundle each device
/// announced, to start a session with it when needed (after a restart
/// granted on its recovery request, or for a device offline).
const BUNDLES_TABLE: &str = "CREATE TABLE IF NOT EXISTS chat_bundles (
    name   TEXT NOT NULL,
    device INTEGER NOT NULL,
    bundle BLOB NOT NULL,
    PRIMARY KEY (name, device)
) STRICT";

impl Chat {
    fn open(db: &Path, me: DeviceAddress, role: Role) -> Result<Self, Error> {
        let mut rng = sealwire::os_rng();
        let mut store = SqliteStore::open(db)?;
        // No one-time prekeys: the bundle in a hello is handed to every
        // device (a server would hand each one-time prekey out once).
        let key = store.initialize(&mut rng, 0)?;
        store.connection().execute(BUNDLES_TABLE, [])?;
        store.connection().execute(group::GROUPS_TABLE, [])?;
        println!(
            "* {} as {}, identity {}…",
            db.display(),
            dev(&me),
            short_key(&key)
        );
        let mut chat = Self {
            store,
            rng,
            role,
            me,
            db: db.to_owned(),
            peer: None,
            links: BTreeMap::new(),
            queued: Vec::new(),
            group: None,
            held_posts: Vec::new(),
            pending_invites: Vec::new(),
            relay_queue: BTreeMap::new(),
        };
        chat.group = chat.latest_group()?;
        // Our own device list names this device.
        let me = chat.me.clone();
        chat.list_device(&me, key)?;
        chat.peer = chat
            .store
            .connection()
            .query_row(
                "SELECT name FROM chat_bundles WHERE name != ?1 ORDER BY name LIMIT 1",
                [chat.me.name()],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(peer) = &chat.peer {
            println!(
                "* conversation with {peer} (disappearing messages: {})",
                describe_policy(chat.policy()?)
            );
        }
        chat.history(10)?;
        if let Some(id) = chat.group {
            println!(
                "* current group: #{} (/group history shows it, /g <text> posts)",
                chat.group_name(&id)
            );
        }
        Ok(chat)
    }

    /// Adds (or updates) a device in its user's device list, as a server
    /// would announce it: devices are only added (one offline stays
    /// listed, and gets its messages when back). A changed identity key is
    /// accepted at once, with a warning (a real app shows the new safety
    /// number and lets the user decide).
    fn list_device(&mut self, device: &DeviceAddress, key: IdentityKey) -> Result<(), Error> {
        let mut devices: Vec<(u32, IdentityKey)> = self
            .store
            .load_device_list(device.name())?
            .map(|l| l.devices().map(|(d, k)| (d, *k)).collect())
            .unwrap_or_default();
        devices.retain(|(d, _)| *d != device.device_id());
        devices.push((device.device_id(), key));
        for event in self.store.update_device_list(device.name(), &devices)? {
            match event {
                DeviceEvent::Added { .. } if device != &self.me => {
                    println!("* new device: {}", dev(device));
                }
                DeviceEvent::IdentityChanged { old, new, .. } => {
                    println!(
                        "* WARNING: {}'s identity key changed ({}… -> {}…): accepted",
                        dev(device),
                        short_key(&old),
                        short_key(&new)
                    );
                    self.store
                        .confirm_identity(device.name(), device.device_id(), &new)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn label(&self, a: &DeviceAddress) -> String {
        if a.name() == self.me.name() {
            format!("you (on device {})", a.device_id())
        } else {
            a.name().to_owned()
        }
    }

    fn print_message(&self, m: &StoredMessage, now: Timestamp) {
        let who = match m.direction {
            Direction::In => self.label(&m.peer),
            Direction::Out => "you".to_owned(),
        };
        let at = m.received_at.unwrap_or(m.sent_at);
        println!(
            "[{}] {who}: {}{}",
            clock(at),
            String::from_utf8_lossy(&m.body),
            expiry_note(m, now)
        );
    }

    fn history(&self, n: usize) -> Result<(), Error> {
        let now = Timestamp::now();
        let mut shown: Vec<StoredMessage> = self
            .store
            .recent_messages(n.saturating_mul(4).max(50))?
            .into_iter()
            .filter(|m| m.content_type == ContentType::UserMessage && !group::is_control(&m.body))
            .collect();
        let skip = shown.len().saturating_sub(n);
        shown.drain(..skip);
        if shown.is_empty() {
            println!("* no messages yet");
        } else {
            println!("* last {} message(s):", shown.len());
        }
        for m in &shown {
            self.print_message(m, now);
        }
        Ok(())
    }

    /// Every device a message goes to: the other user's, and our other
    /// ones, with their confirmed identity keys.
    fn recipients(&self) -> Result<Vec<(DeviceAddress, IdentityKey)>, Error> {
        let mut out = Vec::new();
        let users = self.peer.iter().map(String::as_str).chain([self.me.name()]);
        for user in users {
            if let Some(list) = self.store.load_device_list(user)? {
                for (d, key) in list.devices() {
                    let a = list.address(d);
                    if a != self.me {
                        out.push((a, *key));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The disappearing-message timer of the conversation (that of the
    /// session with the other user's first device).
    fn policy(&self) -> Result<Option<ExpiryPolicy>, Error> {
        for (a, _) in self.recipients()? {
            if let Some(record) = self
                .store
                .load_sessions(&a)?
                .and_then(|s| s.current().cloned())
            {
                return Ok(record.timer().policy);
            }
        }
        Ok(None)
    }

    fn bundle_of(&self, a: &DeviceAddress) -> Result<Option<Vec<u8>>, Error> {
        Ok(self
            .store
            .connection()
            .query_row(
                "SELECT bundle FROM chat_bundles WHERE name = ?1 AND device = ?2",
                rusqlite::params![a.name(), a.device_id()],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Our bundle, for hellos: no one-time prekey (see `open`).
    fn my_bundle(&self) -> Result<Vec<u8>, Error> {
        let identity = self.store.local_identity()?.ok_or("no identity")?;
        let prekeys = self.store.load_prekeys()?.ok_or("no prekeys")?;
        Ok(prekeys.bundle(&identity, None)?.to_vec())
    }

    /// Writes a frame to the link that reaches `to`: the listener for a
    /// connecting device; the device's own link for the listener (none:
    /// it is offline, and the message waits in the outbox).
    fn send_to(&mut self, to: &DeviceAddress, kind: FrameType, payload: &[u8]) -> bool {
        let role = self.role;
        let link = self.links.values_mut().find(|l| match role {
            Role::Connect => true,
            Role::Listen => l.device.as_ref() == Some(to),
        });
        match link {
            Some(link) => {
                if frame::write_frame(&mut link.stream, kind, payload).is_err() {
                    // The reader thread reports the disconnection.
                    let _ = link.stream.shutdown(std::net::Shutdown::Both);
                }
                true
            }
            None => false,
        }
    }

    fn transmit(&mut self, entry: &OutboxEntry) {
        self.transmit_raw(&entry.peer, entry.id, &entry.ciphertext);
    }

    fn transmit_raw(&mut self, to: &DeviceAddress, outbox_id: i64, ciphertext: &[u8]) {
        let payload = frame::message(&self.me, to, outbox_id, ciphertext);
        self.send_to(to, FrameType::Message, &payload);
    }

    /// Transmits the unacknowledged messages to `to` whose outbox ids are
    /// in `ids`, or all of them (`None`); returns how many.
    fn flush_outbox(&mut self, to: &DeviceAddress, ids: Option<&[i64]>) -> Result<usize, Error> {
        let pending = self.store.pending_outbox(to)?;
        let mut n = 0;
        for entry in pending {
            if ids.is_none_or(|ids| ids.contains(&entry.id)) {
                self.transmit(&entry);
                n += 1;
            }
        }
        Ok(n)
    }

    /// Starts a session with `to` from its last bundle, unless a current
    /// one with its confirmed key exists; returns whether it started one.
    fn ensure_session(&mut self, to: &DeviceAddress, key: &IdentityKey) -> Result<bool, Error> {
        let has = self
            .store
            .load_sessions(to)?
            .is_some_and(|s| s.has_current_with(key));
        if has {
            return Ok(false);
        }
        let Some(bundle) = self.bundle_of(to)? else {
            return Ok(false);
        };
        self.store.start_session(to, &mut self.rng, &bundle)?;
        println!("* started a new session with {}", dev(to));
        Ok(true)
    }

    fn on_connected(&mut self, id: u64, stream: TcpStream) -> Result<(), Error> {
        let who = stream
            .peer_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        println!("* connected ({who})");
        let mut link = Link {
            stream,
            peer: who,
            device: None,
            hello: None,
        };
        let hello = frame::hello(&self.me, &self.my_bundle()?);
        frame::write_frame(&mut link.stream, FrameType::Hello, &hello)?;
        self.links.insert(id, link);
        if self.role == Role::Connect {
            // Group posts the listener has not acknowledged: again.
            self.flush_group_posts()?;
        }
        Ok(())
    }

    fn on_hello(
        &mut self,
        link_id: u64,
        payload: &[u8],
        device: DeviceAddress,
        bundle: &[u8],
    ) -> Result<(), Error> {
        if device == self.me {
            return Err(format!("another process speaks as {}", dev(&device)).into());
        }
        let key = match PrekeyBundle::parse(bundle) {
            Ok(bundle) => *bundle.identity_key(),
            Err(e) => {
                self.dropped(
                    link_id,
                    &format!("a hello frame with a bad prekey bundle ({e})"),
                );
                return Ok(());
            }
        };
        if self.role == Role::Listen {
            // Introduce the newcomer and the devices already here.
            let others: Vec<Vec<u8>> = self
                .links
                .iter()
                .filter(|(id, l)| **id != link_id && l.device.as_ref() != Some(&device))
                .filter_map(|(_, l)| l.hello.clone())
                .collect();
            // A device that connects again replaces its old connection.
            let stale: Vec<u64> = self
                .links
                .iter()
                .filter(|(id, l)| **id != link_id && l.device.as_ref() == Some(&device))
                .map(|(id, _)| *id)
                .collect();
            for id in stale {
                if let Some(old) = self.links.remove(&id) {
                    let _ = old.stream.shutdown(std::net::Shutdown::Both);
                }
            }
            if let Some(link) = self.links.get_mut(&link_id) {
                link.device = Some(device.clone());
                link.hello = Some(payload.to_vec());
                for hello in &others {
                    let _ = frame::write_frame(&mut link.stream, FrameType::Hello, hello);
                }
            }
            for (id, link) in &mut self.links {
                if *id != link_id && link.hello.is_some() {
                    let _ = frame::write_frame(&mut link.stream, FrameType::Hello, payload);
                }
            }
        }
        self.store.connection().execute(
            "INSERT INTO chat_bundles (name, device, bundle) VALUES (?1, ?2, ?3)
             ON CONFLICT (name, device) DO UPDATE SET bundle = excluded.bundle",
            rusqlite::params![device.name(), device.device_id(), bundle],
        )?;
        self.list_device(&device, key)?;
        println!("* {} is here (identity {}…)", dev(&device), short_key(&key));
        if device.name() != self.me.name() && self.peer.is_none() {
            println!("* conversation with {}", device.name());
            self.peer = Some(device.name().to_owned());
        }
        // A device with no session with the other starts one, and opens it
        // on the other side at once.
        let mut fresh = Vec::new();
        if self.ensure_session(&device, &key)? {
            let out = self.store.send_content(
                &device,
                &mut self.rng,
                Timestamp::now(),
                ContentType::Receipt,
                OPENER,
            )?;
            fresh.push(out.outbox_id);
        }
        // Online: re-send what it asked for, and transmit everything it has
        // not acknowledged.
        fresh.extend(self.resend(&device)?);
        let n = self.flush_outbox(&device, None)?;
        if n > fresh.len() {
            println!(
                "* retransmitting {} unacknowledged message(s) to {}",
                n - fresh.len(),
                dev(&device)
            );
        }
        if self.role == Role::Listen {
            self.flush_relay_queue(&device);
        }
        self.retry_invites()?;
        self.flush_queue()
    }

    /// Re-encrypts what `to` asked for in a recovery request, if there is
    /// a current session with it; returns the new outbox ids (to
    /// transmit).
    fn resend(&mut self, to: &DeviceAddress) -> Result<Vec<i64>, Error> {
        if self.store.pending_resends(to)?.is_empty() {
            return Ok(Vec::new());
        }
        match self.store.resend(to, &mut self.rng, Timestamp::now()) {
            Ok(entries) => {
                println!("* re-sent {} message(s) to {}", entries.len(), dev(to));
                Ok(entries.iter().map(|e| e.id).collect())
            }
            // No session yet: re-sent once there is one.
            Err(StoreError::NoSession(_)) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// Handles a frame from link `link_id` (its type byte and payload).
    fn on_frame(&mut self, link_id: u64, kind: u8, payload: &[u8]) -> Result<(), Error> {
        match frame::parse(kind, payload) {
            Ok(Frame::Hello { device, bundle }) => self.on_hello(link_id, payload, device, bundle),
            Ok(Frame::Routed(routed)) => self.on_routed(link_id, payload, &routed),
            Ok(Frame::GroupPost {
                from,
                post_id,
                post,
            }) => self.on_group_post(link_id, payload, &from, post_id, post),
            Ok(Frame::GroupAck { post_id }) => {
                self.store.mark_group_post_delivered(post_id)?;
                Ok(())
            }
            Err(e) => {
                self.dropped(link_id, &e);
                Ok(())
            }
        }
    }

    /// Reports a frame dropped: who sent it (the device, or before its
    /// hello the socket address), and why.
    fn dropped(&self, link_id: u64, why: &dyn std::fmt::Display) {
        let from = match self.links.get(&link_id) {
            Some(Link {
                device: Some(d), ..
            }) => dev(d),
            Some(link) => link.peer.clone(),
            None => "a closed connection".to_owned(),
        };
        println!("* dropped a frame from {from}: {why}");
    }

    fn on_routed(
        &mut self,
        link_id: u64,
        payload: &[u8],
        routed: &Routed<'_>,
    ) -> Result<(), Error> {
        let Routed { from, to, .. } = routed;
        if self.role == Role::Listen {
            let sender = self.links.get(&link_id).and_then(|l| l.device.as_ref());
            if sender != Some(from) {
                let why = format!("it claims to be from {}", dev(from));
                self.dropped(link_id, &why);
                return Ok(());
            }
            if to != &self.me {
                // Forward it; a device offline gets it on retransmission.
                self.send_to(to, routed.kind, payload);
                return Ok(());
            }
        } else if to != &self.me {
            return Ok(());
        }
        match routed.body() {
            Ok(Body::Message {
                outbox_id,
                ciphertext,
            }) => self.on_message(from, outbox_id, ciphertext),
            Ok(Body::Ack { outbox_id }) => {
                self.store.mark_delivered(outbox_id)?;
                Ok(())
            }
            Ok(Body::Recovery { request }) => self.on_recovery(from, request),
            Err(e) => {
                self.dropped(link_id, &e);
                Ok(())
            }
        }
    }

    fn ack(&mut self, to: &DeviceAddress, outbox_id: i64) {
        let payload = frame::ack(&self.me, to, outbox_id);
        self.send_to(to, FrameType::Ack, &payload);
    }

    fn on_message(
        &mut self,
        from: &DeviceAddress,
        outbox_id: i64,
        ciphertext: &[u8],
    ) -> Result<(), Error> {
        let now = Timestamp::now();
        match self.store.receive(from, now, ciphertext) {
            Ok(outcome) => self.show_received(from, &outcome, now)?,
            Err(e) if e.is_lost_session() => {
                // Its session is gone here: ask it to send again.
                let note = match self.store.recovery_request(from, now, ciphertext) {
                    Ok(request) => {
                        let payload = frame::recovery(&self.me, from, &request.to_bytes());
                        self.send_to(from, FrameType::Recovery, &payload);
                        "asked it to send again".to_owned()
                    }
                    Err(StoreError::Device(DeviceError::TooManyRequests)) => {
                        "asked it to send again already".to_owned()
                    }
                    Err(e) => format!("dropped ({e})"),
                };
                println!(
                    "* could not decrypt a message from {} ({e}): {note}",
                    dev(from)
                );
            }
            Err(e @ StoreError::Session(_)) => {
                println!(
                    "* could not decrypt a message from {} ({e}): dropped",
                    dev(from)
                );
            }
            Err(e) => {
                // Not acknowledged: it is retransmitted on the next hello.
                println!("* could not store a message from {}: {e}", dev(from));
                return Ok(());
            }
        }
        self.ack(from, outbox_id);
        Ok(())
    }

    fn on_recovery(&mut self, from: &DeviceAddress, request: &[u8]) -> Result<(), Error> {
        let now = Timestamp::now();
        let accepted = match self.store.accept_recovery_request(from, now, request) {
            Ok(accepted) => accepted,
            Err(e) => {
                println!("* recovery request from {} refused: {e}", dev(from));
                return Ok(());
            }
        };
        println!(
            "* {} could not decrypt our messages: {} to send again",
            dev(from),
            accepted.to_resend.len()
        );
        if let Recovery::Restart { .. } = accepted.recovery {
            // Our session with it no longer sends: a new one.
            let key = self
                .store
                .load_device_list(from.name())?
                .and_then(|l| l.identity(from.device_id()).copied())
                .ok_or("recovery from an unknown device")?;
            self.ensure_session(from, &key)?;
        }
        let ids = self.resend(from)?;
        self.flush_outbox(from, Some(&ids))?;
        Ok(())
    }

    fn show_received(
        &mut self,
        from: &DeviceAddress,
        outcome: &ReceiveOutcome,
        now: Timestamp,
    ) -> Result<(), Error> {
        if let Some(SessionEvent::Accepted { .. }) = outcome.session() {
            println!("* {} started a new session", dev(from));
        }
        if let Some(change) = outcome.timer_change() {
            show_timer_change(&self.label(from), &change);
        }
        match outcome {
            ReceiveOutcome::Stored { received, .. }
                if received.content_type == ContentType::UserMessage
                    && group::is_control(&received.plaintext) =>
            {
                // An app message about a group: acted on, not shown.
                self.on_control(from, &received.plaintext)?;
            }
            ReceiveOutcome::GroupKey { group, outcome, .. } => {
                self.on_group_key(from, *group, outcome)?;
            }
            ReceiveOutcome::Stored {
                row_id, received, ..
            } if received.content_type == ContentType::UserMessage => {
                // Shown now: read now (starts an after-read timer).
                self.store.mark_read(*row_id, now)?;
                if let Some(m) = self.store.message(*row_id)? {
                    self.print_message(&m, now);
                }
            }
            ReceiveOutcome::NotStored { received, .. }
                if received.expiry == MessageExpiry::Expired =>
            {
                println!(
                    "* a message from {} arrived after its timer ran out: not shown",
                    dev(from)
                );
            }
            _ => {}
        }
        Ok(())
    }

    fn flush_queue(&mut self) -> Result<(), Error> {
        if self.queued.is_empty() || self.peer.is_none() {
            return Ok(());
        }
        for line in std::mem::take(&mut self.queued) {
            self.on_input(&line)?;
        }
        Ok(())
    }

    /// Handles one input line; returns `false` to quit.
    fn on_input(&mut self, line: &str) -> Result<bool, Error> {
        let command = match commands::parse_line(line) {
            Ok(Input::Empty) => return Ok(true),
            Ok(Input::Text(text)) => {
                self.send_text(text)?;
                return Ok(true);
            }
            Ok(Input::Command(command)) => command,
            Err(e) => {
                println!("* {e}");
                return Ok(true);
            }
        };
        match command {
            Command::Quit => return Ok(false),
            Command::Help => println!("{}", commands::help()),
            Command::History(n) => self.history(n)?,
            Command::Timer(None) => match &self.peer {
                Some(_) => println!(
                    "* disappearing messages: {}",
                    describe_policy(self.policy()?)
                ),
                None => println!("* no conversation yet"),
            },
            Command::Timer(Some(setting)) => self.set_timer(line, setting)?,
            Command::Group(command) => self.on_group_command(command)?,
            Command::Post(text) => self.post(&text)?,
        }
        Ok(true)
    }

    /// Queues `line` until the other user is known; returns whether it
    /// did.
    fn queue_until_peer(&mut self, line: &str) -> bool {
        if self.peer.is_some() {
            return false;
        }
        println!("* nobody here yet: queued until the other user connects");
        self.queued.push(line.to_owned());
        true
    }

    fn send_text(&mut self, text: &str) -> Result<(), Error> {
        if text.starts_with(group::CONTROL) {
            println!("* not sent: a message cannot start with U+0001");
            return Ok(());
        }
        if self.queue_until_peer(text) {
            return Ok(());
        }
        let Some(peer) = self.peer.clone() else {
            return Ok(());
        };
        for (a, key) in self.recipients()? {
            self.ensure_session(&a, &key)?;
        }
        let now = Timestamp::now();
        let me = self.me.clone();
        let out = match self
            .store
            .send_to_user(&me, &peer, &mut self.rng, now, text.as_bytes())
        {
            Ok(out) => out,
            Err(StoreError::NoSession(a)) => {
                println!("* no session with {} (no bundle yet): not sent", dev(&a));
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(m) = self.store.message(out.row_id)? {
            self.print_message(&m, now);
        }
        if self.links.is_empty() {
            println!("* not connected: sent when {peer} is back");
        }
        for copy in &out.copies {
            self.transmit(copy);
        }
        Ok(())
    }

    /// `/timer off`, `/timer SECS`, `/timer read SECS` (`line`, queued
    /// if the other user is not known yet).
    fn set_timer(&mut self, line: &str, setting: TimerSetting) -> Result<(), Error> {
        if self.queue_until_peer(line) {
            return Ok(());
        }
        let policy = match setting {
            TimerSetting::Off => None,
            TimerSetting::On(policy) => Some(policy),
        };
        // The timer is per session: set it with every device.
        let mut change = None;
        for (a, key) in self.recipients()? {
            self.ensure_session(&a, &key)?;
            match self
                .store
                .set_timer(&a, &mut self.rng, Timestamp::now(), policy)
            {
                Ok((out, c)) => {
                    change = Some(c);
                    self.transmit_raw(&a, out.outbox_id, &out.ciphertext);
                }
                Err(StoreError::NoSession(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        match change {
            Some(c) => show_timer_change("you", &c),
            None => println!("* no session yet"),
        }
        Ok(())
    }

    fn tick(&mut self) -> Result<(), Error> {
        let now = Timestamp::now();
        let n = self.store.delete_expired(now)?;
        if n > 0 {
            println!(
                "* {n} message(s) disappeared (deleted from {})",
                self.db.display()
            );
        }
        Ok(())
    }

    fn on_disconnected(&mut self, id: u64) {
        let Some(link) = self.links.remove(&id) else {
            return;
        };
        match (self.role, link.device) {
            (Role::Listen, Some(d)) => println!("* {} left", dev(&d)),
            (Role::Listen, None) => {}
            (Role::Connect, _) => println!("* disconnected; reconnecting"),
        }
    }

    fn run(&mut self, events: &Receiver<Event>) -> Result<(), Error> {
        let mut last_key_erasure = Instant::now();
        loop {
            let event = match events.recv_timeout(Duration::from_millis(250)) {
                Ok(e) => Some(e),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            };
            let result = match event {
                None => Ok(()),
                Some(Event::Input(line)) => match self.on_input(&line) {
                    Ok(true) => Ok(()),
                    Ok(false) => return Ok(()),
                    Err(e) => Err(e),
                },
                Some(Event::InputClosed) => {
                    println!("* end of input: still receiving (/quit or a signal to stop)");
                    Ok(())
                }
                Some(Event::Connected(id, stream)) => self.on_connected(id, stream),
                Some(Event::Frame(id, kind, payload)) if self.links.contains_key(&id) => {
                    self.on_frame(id, kind, &payload)
                }
                Some(Event::Frame(..)) => Ok(()),
                Some(Event::Dropped(id, e)) => {
                    self.dropped(id, &e);
                    Ok(())
                }
                Some(Event::Disconnected(id)) => {
                    self.on_disconnected(id);
                    Ok(())
                }
            };
            if let Err(e) = result {
                self.report(&e);
            }
            if let Err(e) = self.tick() {
                self.report(&e);
            }
            if last_key_erasure.elapsed() > Duration::from_secs(60) {
                last_key_erasure = Instant::now();
                if let Err(e) = self.store.erase_expired_keys(Timestamp::now()) {
                    self.report(&e.into());
                }
            }
        }
    }

    /// Prints an error: a database's with the database file.
    fn report(&self, e: &Error) {
        if e.is::<StoreError>() || e.is::<rusqlite::Error>() {
            println!("* database error in {}: {e}", self.db.display());
        } else {
            println!("* error: {e}");
        }
    }
}

fn show_timer_change(who: &str, change: &TimerChange) {
    println!(
        "[{}] {who} set disappearing messages: {}",
        clock(Timestamp::now()),
        describe_policy(change.new.policy)
    );
}

fn main() -> ExitCode {
    let args = match args::parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Help) => {
            println!("{}", args::usage());
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("chat: {e}\n\n{}", args::usage());
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => {
            println!("* bye");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("chat: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the chat. The network endpoint is checked before the database is
/// opened: a bad address leaves no file behind.
fn run(args: Args) -> Result<(), String> {
    let Args { role, addr, db, me } = args;
    let endpoint = Endpoint::new(role, &addr)?;
    let mut chat = Chat::open(&db, me, role)
        .map_err(|e| format!("cannot open the database {}: {e}", db.display()))?;
    let (tx, rx) = mpsc::channel();
    spawn_network(endpoint, tx.clone()).map_err(|e| e.to_string())?;
    spawn_stdin(tx);
    chat.run(&rx).map_err(|e| e.to_string())
}
