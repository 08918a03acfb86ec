//! A two-terminal end-to-end encrypted chat over TCP, each side keeping its
//! identity, prekeys, session and messages in its own SQLite file
//! (`sealwire-sqlite`).
//!
//! ```sh
//! cargo run --example chat -- listen  127.0.0.1:7878 alice.db   # terminal 1
//! cargo run --example chat -- connect 127.0.0.1:7878 bob.db     # terminal 2
//! ```
//!
//! Type a line to send it. `/timer 30` makes messages disappear 30 seconds
//! after sending (`/timer read 30`: after reading, `/timer off`: never),
//! `/history` shows the last messages, `/quit` exits. Quit either side (or
//! kill it) and start it again: the conversation continues where it
//! stopped, and whatever was sent but not acknowledged is retransmitted.
//! End of input does not quit (so that a script can pipe lines in): use
//! `/quit` or a signal.
//!
//! Protocol: frames of `type u8 | length u32 BE | payload` over one TCP
//! connection:
//!
//! - `1` hello: `name_len u8 | name | prekey bundle` (sent on connecting);
//! - `2` state: `0` no session with you, `1` pending (we started one, no
//!   reply yet), `2` established | the 32-byte identity key our session is
//!   with (sent once the peer's hello arrived). The side without a session
//!   starts one from the peer's bundle; if neither has one, the connecting
//!   side does;
//! - `3` message: `outbox id i64 BE | sealwire message`;
//! - `4` ack: `outbox id i64 BE`, sent once the message is stored (or was
//!   a duplicate, or can never be decrypted).
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use sealwire::DeviceAddress;
use sealwire::expiry::{ExpiryMode, ExpiryPolicy, MessageExpiry, TimerChange};
use sealwire::store::{IdentityStorage, SessionStorage};
use sealwire::{ContentType, IdentityKey, OsRng, PrekeyBundle, Timestamp};
use sealwire_sqlite::{
    Direction, Outgoing, ReceiveOutcome, SessionEvent, SqliteStore, StoreError, StoredMessage,
};

type Error = Box<dyn std::error::Error>;

const USAGE: &str = "\
usage: chat listen  ADDR DB [--name NAME]
       chat connect ADDR DB [--name NAME]

  listen   wait for the peer on ADDR (accepts again when the peer leaves)
  connect  connect to ADDR (retries every second while disconnected)
  DB       this side's SQLite file (created if missing)
  --name   the name the peer sees (default: DB's file name without extension)

Type a line to send it. Commands:
  /timer SECS       messages disappear SECS seconds after sending
  /timer read SECS  messages disappear SECS seconds after being read
  /timer off        messages stop disappearing
  /timer            show the timer
  /history [N]      show the last N messages (default 10)
  /quit             exit (end of input does not quit)";

const FRAME_HELLO: u8 = 1;
const FRAME_STATE: u8 = 2;
const FRAME_MESSAGE: u8 = 3;
const FRAME_ACK: u8 = 4;
const MAX_FRAME: usize = 2 << 20;
/// Body of the message that opens a session (a receipt, not shown).
const OPENER: &[u8] = b"session opened";
/// One-time prekeys generated at a time.
const PREKEY_BATCH: usize = 10;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Listen,
    Connect,
}

struct Args {
    role: Role,
    addr: String,
    db: PathBuf,
    name: String,
}

fn parse_args() -> Result<Option<Args>, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "--help" || a == "-h") {
        return Ok(None);
    }
    let mut positional = Vec::new();
    let mut name = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        if a == "--name" {
            name = Some(it.next().ok_or("--name needs a value")?);
        } else if a.starts_with("--") {
            return Err(format!("unknown option {a}"));
        } else {
            positional.push(a);
        }
    }
    let [role, addr, db] = <[String; 3]>::try_from(positional)
        .map_err(|_| "expected: listen|connect ADDR DB".to_owned())?;
    let role = match role.as_str() {
        "listen" => Role::Listen,
        "connect" => Role::Connect,
        other => return Err(format!("unknown mode {other:?}: listen or connect")),
    };
    let db = PathBuf::from(db);
    let name = match name {
        Some(n) => n,
        None => db
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "me".to_owned()),
    };
    if name.is_empty() || name.len() > 64 {
        return Err("the name must have 1 to 64 bytes".to_owned());
    }
    Ok(Some(Args {
        role,
        addr,
        db,
        name,
    }))
}

// ------------------------------------------------------------ framing

fn write_frame(stream: &mut TcpStream, kind: u8, payload: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(payload.len()).map_err(std::io::Error::other)?;
    let mut buf = Vec::with_capacity(payload.len() + 5);
    buf.push(kind);
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(payload);
    stream.write_all(&buf)
}

fn read_frame(reader: &mut impl Read) -> std::io::Result<(u8, Vec<u8>)> {
    let mut head = [0u8; 5];
    reader.read_exact(&mut head)?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::other("frame too large"));
    }
    let mut payload = vec![0u8; len];
    reader.read_exact(&mut payload)?;
    Ok((head[0], payload))
}

fn id_payload(id: i64, rest: &[u8]) -> Vec<u8> {
    let mut p = id.to_be_bytes().to_vec();
    p.extend_from_slice(rest);
    p
}

fn split_id(payload: &[u8]) -> Option<(i64, &[u8])> {
    let (id, rest) = payload.split_first_chunk::<8>()?;
    Some((i64::from_be_bytes(*id), rest))
}

// ------------------------------------------------------------- events

enum Event {
    Input(String),
    InputClosed,
    Connected(u64, TcpStream),
    Frame(u64, u8, Vec<u8>),
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
    while let Ok((kind, payload)) = read_frame(&mut reader) {
        if events.send(Event::Frame(id, kind, payload)).is_err() {
            return;
        }
    }
    let _ = events.send(Event::Disconnected(id));
}

fn spawn_network(role: Role, addr: String, events: Sender<Event>) -> Result<(), Error> {
    match role {
        Role::Listen => {
            let listener = TcpListener::bind(&addr)?;
            println!("* listening on {}", listener.local_addr()?);
            std::thread::spawn(move || {
                let mut id = 0u64;
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    id += 1;
                    pump(id, stream, &events);
                }
            });
        }
        Role::Connect => {
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

fn print_message(m: &StoredMessage, now: Timestamp) {
    let who = match m.direction {
        Direction::In => m.peer.name(),
        Direction::Out => "you",
    };
    let at = m.received_at.unwrap_or(m.sent_at);
    println!(
        "[{}] {who}: {}{}",
        clock(at),
        String::from_utf8_lossy(&m.body),
        expiry_note(m, now)
    );
}

// --------------------------------------------------------------- chat

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SessionState {
    None,
    Pending,
    Established,
}

struct Connection {
    id: u64,
    stream: TcpStream,
    /// The peer's hello: its address and bundle.
    hello: Option<(DeviceAddress, Vec<u8>)>,
    /// Hello and state exchanged: messages flow.
    ready: bool,
}

struct Chat {
    store: SqliteStore,
    rng: OsRng,
    role: Role,
    name: String,
    db: PathBuf,
    /// The peer, once known (from the database or a hello).
    peer: Option<DeviceAddress>,
    conn: Option<Connection>,
    /// Lines typed before a session existed.
    queued: Vec<String>,
}

impl Chat {
    fn open(db: &Path, name: String, role: Role) -> Result<Self, Error> {
        let mut rng = sealwire::os_rng();
        let mut store = SqliteStore::open(db)?;
        let key = store.initialize(&mut rng, PREKEY_BATCH)?;
        let peer = store.session_addresses()?.into_iter().next();
        println!(
            "* {} as {name:?}, identity {}…",
            db.display(),
            short_key(&key)
        );
        let chat = Self {
            store,
            rng,
            role,
            name,
            db: db.to_owned(),
            peer,
            conn: None,
            queued: Vec::new(),
        };
        if let Some(peer) = &chat.peer {
            let timer = chat
                .store
                .load_sessions(peer)?
                .and_then(|s| s.current().map(|r| describe_policy(r.timer().policy)))
                .unwrap_or_default();
            println!(
                "* conversation with {} (disappearing messages: {timer})",
                peer.name()
            );
        }
        chat.history(10)?;
        Ok(chat)
    }

    fn history(&self, n: usize) -> Result<(), Error> {
        let now = Timestamp::now();
        let mut shown: Vec<StoredMessage> = self
            .store
            .recent_messages(n.saturating_mul(4).max(50))?
            .into_iter()
            .filter(|m| m.content_type == ContentType::UserMessage)
            .collect();
        let skip = shown.len().saturating_sub(n);
        shown.drain(..skip);
        if shown.is_empty() {
            println!("* no messages yet");
        } else {
            println!("* last {} message(s):", shown.len());
        }
        for m in &shown {
            print_message(m, now);
        }
        Ok(())
    }

    fn session_state(
        &self,
        peer: &DeviceAddress,
    ) -> Result<(SessionState, Option<IdentityKey>), Error> {
        Ok(
            match self
                .store
                .load_sessions(peer)?
                .as_ref()
                .and_then(|s| s.current())
            {
                None => (SessionState::None, None),
                Some(r) => {
                    let state = if r.is_established() {
                        SessionState::Established
                    } else {
                        SessionState::Pending
                    };
                    (state, Some(*r.their_identity()))
                }
            },
        )
    }

    fn send_frame(&mut self, kind: u8, payload: &[u8]) {
        let failed = match &mut self.conn {
            Some(conn) => write_frame(&mut conn.stream, kind, payload).is_err(),
            None => false,
        };
        if failed {
            // The reader thread reports the disconnection.
            if let Some(conn) = &self.conn {
                let _ = conn.stream.shutdown(std::net::Shutdown::Both);
            }
        }
    }

    fn transmit(&mut self, out: &Outgoing) {
        if self.conn.as_ref().is_some_and(|c| c.ready) {
            self.send_frame(FRAME_MESSAGE, &id_payload(out.outbox_id, &out.ciphertext));
        }
    }

    fn on_connected(&mut self, id: u64, stream: TcpStream) -> Result<(), Error> {
        let who = stream
            .peer_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        println!("* connected ({who})");
        self.conn = Some(Connection {
            id,
            stream,
            hello: None,
            ready: false,
        });
        let bundle = self.store.bundle(&mut self.rng, PREKEY_BATCH)?;
        let mut hello = vec![u8::try_from(self.name.len())?];
        hello.extend_from_slice(self.name.as_bytes());
        hello.extend_from_slice(&bundle);
        self.send_frame(FRAME_HELLO, &hello);
        Ok(())
    }

    fn on_hello(&mut self, payload: &[u8]) -> Result<(), Error> {
        let (&len, rest) = payload.split_first().ok_or("empty hello")?;
        let (name, bundle) = rest
            .split_at_checked(usize::from(len))
            .ok_or("truncated hello")?;
        let name = std::str::from_utf8(name)?.to_owned();
        let bundle_key = *PrekeyBundle::parse(bundle)?.identity_key();
        let peer = DeviceAddress::new(name, 1);
        if let Some(old) = &self.peer
            && old != &peer
        {
            println!(
                "* note: now talking to {} (was {})",
                peer.name(),
                old.name()
            );
        }
        if let Some(known) = self.store.peer_identity(&peer)?
            && known != bundle_key
        {
            println!(
                "* WARNING: {}'s identity key changed ({}… -> {}…)",
                peer.name(),
                short_key(&known),
                short_key(&bundle_key)
            );
        }
        println!(
            "* {} is here (identity {}…)",
            peer.name(),
            short_key(&bundle_key)
        );
        let (state, with) = self.session_state(&peer)?;
        let mut msg = vec![match state {
            SessionState::None => 0u8,
            SessionState::Pending => 1,
            SessionState::Established => 2,
        }];
        msg.extend_from_slice(&with.map(|k| k.to_bytes()).unwrap_or([0; 32]));
        self.peer = Some(peer.clone());
        if let Some(conn) = &mut self.conn {
            conn.hello = Some((peer, bundle.to_vec()));
        }
        self.send_frame(FRAME_STATE, &msg);
        Ok(())
    }

    fn on_state(&mut self, payload: &[u8]) -> Result<(), Error> {
        let Some((peer, bundle)) = self.conn.as_ref().and_then(|c| c.hello.clone()) else {
            return Err("state before hello".into());
        };
        let (&their_state, their_with) = payload.split_first().ok_or("empty state")?;
        let bundle_key = *PrekeyBundle::parse(&bundle)?.identity_key();
        let me = *self.store.local_identity()?.ok_or("no identity")?.public();
        // A session with another identity (the peer reinstalled, or we
        // did) counts as none.
        let (mut ours, with) = self.session_state(&peer)?;
        if with.is_some_and(|k| k != bundle_key) {
            ours = SessionState::None;
        }
        let theirs = match their_state {
            _ if their_with != me.as_bytes() => SessionState::None,
            1 => SessionState::Pending,
            2 => SessionState::Established,
            _ => SessionState::None,
        };
        let initiate = ours == SessionState::None
            && (theirs == SessionState::Established
                || (theirs == SessionState::None && self.role == Role::Connect));
        if initiate {
            self.store.start_session(&peer, &mut self.rng, &bundle)?;
            // Open the session on the peer's side at once.
            self.store.send_content(
                &peer,
                &mut self.rng,
                Timestamp::now(),
                ContentType::Receipt,
                OPENER,
            )?;
            println!("* started a new session with {}", peer.name());
        }
        if let Some(conn) = &mut self.conn {
            conn.ready = true;
        }
        let pending = self.store.pending_outbox(&peer)?;
        if !pending.is_empty() && !initiate {
            println!(
                "* retransmitting {} unacknowledged message(s)",
                pending.len()
            );
        }
        for entry in pending {
            self.send_frame(FRAME_MESSAGE, &id_payload(entry.id, &entry.ciphertext));
        }
        self.flush_queue()
    }

    fn on_message(&mut self, payload: &[u8]) -> Result<(), Error> {
        let (outbox_id, ciphertext) = split_id(payload).ok_or("short message frame")?;
        let Some(peer) = self
            .conn
            .as_ref()
            .and_then(|c| c.hello.as_ref())
            .map(|h| h.0.clone())
        else {
            return Err("message before hello".into());
        };
        let now = Timestamp::now();
        match self.store.receive(&peer, now, ciphertext) {
            Ok(outcome) => {
                self.show_received(&peer, &outcome, now)?;
            }
            Err(
                e @ (StoreError::Session(_)
                | StoreError::NoSession(_)
                | StoreError::StaleSession(_)),
            ) => {
                println!(
                    "* could not decrypt a message from {} ({e}): dropped",
                    peer.name()
                );
            }
            Err(e) => {
                // Not acknowledged: the peer retransmits it on reconnection.
                println!("* could not store a message: {e}");
                return Ok(());
            }
        }
        self.send_frame(FRAME_ACK, &outbox_id.to_be_bytes());
        self.flush_queue()
    }

    fn show_received(
        &mut self,
        peer: &DeviceAddress,
        outcome: &ReceiveOutcome,
        now: Timestamp,
    ) -> Result<(), Error> {
        if let Some(SessionEvent::Accepted {
            previous_identity, ..
        }) = outcome.session()
        {
            println!("* {} started a new session", peer.name());
            if let Some(old) = previous_identity {
                println!(
                    "* WARNING: {}'s identity key changed (was {}…)",
                    peer.name(),
                    short_key(&old)
                );
            }
        }
        if let Some(change) = outcome.timer_change() {
            show_timer_change(peer.name(), &change);
        }
        match outcome {
            ReceiveOutcome::Stored {
                row_id, received, ..
            } if received.content_type == ContentType::UserMessage => {
                // Shown now: read now (starts an after-read timer).
                self.store.mark_read(*row_id, now)?;
                if let Some(m) = self.store.message(*row_id)? {
                    print_message(&m, now);
                }
            }
            ReceiveOutcome::NotStored { received, .. }
                if received.expiry == MessageExpiry::Expired =>
            {
                println!(
                    "* a message from {} arrived after its timer ran out: not shown",
                    peer.name()
                );
            }
            _ => {}
        }
        Ok(())
    }

    fn has_session(&self) -> Result<Option<DeviceAddress>, Error> {
        let Some(peer) = &self.peer else {
            return Ok(None);
        };
        let current = self
            .store
            .load_sessions(peer)?
            .filter(|s| s.current().is_some());
        Ok(current.map(|_| peer.clone()))
    }

    fn flush_queue(&mut self) -> Result<(), Error> {
        if self.queued.is_empty() || self.has_session()?.is_none() {
            return Ok(());
        }
        for line in std::mem::take(&mut self.queued) {
            self.on_input(&line)?;
        }
        Ok(())
    }

    /// Handles one input line; returns `false` to quit.
    fn on_input(&mut self, line: &str) -> Result<bool, Error> {
        let line = line.trim_end_matches(['\r', '\n']);
        let mut words = line.split_whitespace();
        match words.next() {
            None => return Ok(true),
            Some("/quit") => return Ok(false),
            Some("/help") => println!("{USAGE}"),
            Some("/history") => {
                let n = words.next().and_then(|w| w.parse().ok()).unwrap_or(10);
                self.history(n)?;
            }
            Some("/timer") => self.timer_command(line, words.collect())?,
            Some(cmd) if cmd.starts_with('/') => println!("* unknown command {cmd} (try /help)"),
            Some(_) => {
                let Some(peer) = self.has_session()? else {
                    println!("* no session yet: queued until the peer connects");
                    self.queued.push(line.to_owned());
                    return Ok(true);
                };
                let now = Timestamp::now();
                let out = self
                    .store
                    .send(&peer, &mut self.rng, now, line.as_bytes())?;
                if let Some(m) = out
                    .row_id
                    .map(|id| self.store.message(id))
                    .transpose()?
                    .flatten()
                {
                    print_message(&m, now);
                }
                if !self.conn.as_ref().is_some_and(|c| c.ready) {
                    println!("* not connected: sent when {} is back", peer.name());
                }
                self.transmit(&out);
            }
        }
        Ok(true)
    }

    fn timer_command(&mut self, line: &str, args: Vec<&str>) -> Result<(), Error> {
        let policy = match args.as_slice() {
            [] => {
                match self.has_session()? {
                    Some(peer) => {
                        let sessions = self.store.load_sessions(&peer)?;
                        let policy = sessions.and_then(|s| s.current()?.timer().policy);
                        println!("* disappearing messages: {}", describe_policy(policy));
                    }
                    None => println!("* no session yet"),
                }
                return Ok(());
            }
            ["off"] => None,
            [secs] => Some(ExpiryPolicy::new(ExpiryMode::AfterSend, secs.parse()?)?),
            ["read", secs] => Some(ExpiryPolicy::new(ExpiryMode::AfterRead, secs.parse()?)?),
            _ => {
                println!("* usage: /timer SECS | /timer read SECS | /timer off");
                return Ok(());
            }
        };
        let Some(peer) = self.has_session()? else {
            println!("* no session yet: queued until the peer connects");
            self.queued.push(line.to_owned());
            return Ok(());
        };
        let (out, change) = self
            .store
            .set_timer(&peer, &mut self.rng, Timestamp::now(), policy)?;
        show_timer_change("you", &change);
        self.transmit(&out);
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

    fn run(&mut self, events: &Receiver<Event>) -> Result<(), Error> {
        let mut last_key_erasure = Instant::now();
        loop {
            let event = match events.recv_timeout(Duration::from_millis(250)) {
                Ok(e) => Some(e),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            };
            let current = self.conn.as_ref().map(|c| c.id);
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
                Some(Event::Frame(id, kind, payload)) if Some(id) == current => match kind {
                    FRAME_HELLO => self.on_hello(&payload),
                    FRAME_STATE => self.on_state(&payload),
                    FRAME_MESSAGE => self.on_message(&payload),
                    FRAME_ACK => match split_id(&payload) {
                        Some((outbox_id, _)) => self
                            .store
                            .mark_delivered(outbox_id)
                            .map(|_| ())
                            .map_err(Into::into),
                        None => Err("short ack".into()),
                    },
                    other => Err(format!("unknown frame type {other}").into()),
                },
                Some(Event::Frame(..)) => Ok(()),
                Some(Event::Disconnected(id)) => {
                    if Some(id) == current {
                        self.conn = None;
                        match self.role {
                            Role::Listen => println!("* disconnected; waiting for the peer"),
                            Role::Connect => println!("* disconnected; reconnecting"),
                        }
                    }
                    Ok(())
                }
            };
            if let Err(e) = result {
                println!("* error: {e}");
            }
            if let Err(e) = self.tick() {
                println!("* error: {e}");
            }
            if last_key_erasure.elapsed() > Duration::from_secs(60) {
                last_key_erasure = Instant::now();
                let _ = self.store.erase_expired_keys(Timestamp::now());
            }
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

fn main() -> Result<(), Error> {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return Ok(());
        }
        Err(e) => {
            eprintln!("chat: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    let mut chat = Chat::open(&args.db, args.name, args.role)?;
    let (tx, rx) = mpsc::channel();
    spawn_network(args.role, args.addr, tx.clone())?;
    spawn_stdin(tx);
    chat.run(&rx)?;
    println!("* bye");
    Ok(())
}
