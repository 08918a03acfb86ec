//! A child process of a crash test: this test binary re-executed with
//! `--exact <test>` and an environment variable naming its database. It
//! reads framed commands on stdin and answers with lines starting `@@ `;
//! the parent kills it with SIGKILL at a planned point.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// When to kill the current child.
#[derive(Clone, Copy, Debug)]
pub enum KillPlan {
    Never,
    /// After this many acknowledgements, plus this many microseconds (so
    /// that the kill lands anywhere in the next transactions).
    AfterAcks(usize, u64),
    /// This long after the spawn.
    AfterTime(Duration),
}

/// The child was killed (as planned): start the current step again.
pub struct Killed;

/// What [`Child::next`] saw.
pub enum Next<E> {
    /// A line of the child's.
    Event(E),
    /// The kill plan says: kill it now.
    KillNow,
}

/// A command: type byte, u32 BE length, payload.
pub fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(payload.len() + 5);
    f.push(kind);
    f.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
    f.extend_from_slice(payload);
    f
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// One run of the child process; `E` is what its lines parse to.
pub struct Child<E> {
    process: std::process::Child,
    frames: Option<Sender<Vec<u8>>>,
    pub events: Receiver<E>,
    pub spawned: Instant,
    pub plan: KillPlan,
    pub acks: usize,
}

impl<E: Send + 'static> Child<E> {
    /// Runs the test `test` of this binary with `env` set to `db`; its
    /// `@@ ` lines are parsed by `parse`, and `exited` is sent when its
    /// output ends.
    pub fn spawn(
        test: &str,
        env: &str,
        db: &Path,
        plan: KillPlan,
        parse: fn(&str) -> Option<E>,
        exited: E,
    ) -> Self {
        let mut process = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env(env, db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut stdin = BufWriter::new(process.stdin.take().unwrap());
        let stdout = BufReader::new(process.stdout.take().unwrap());
        let (frames, frames_rx) = mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            while let Ok(frame) = frames_rx.recv() {
                let mut ok = stdin.write_all(&frame).is_ok();
                while let Ok(more) = frames_rx.try_recv() {
                    ok = ok && stdin.write_all(&more).is_ok();
                }
                if !ok || stdin.flush().is_err() {
                    return; // killed: the pipe is closed
                }
            }
        });
        let (events_tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if let Some(event) = parse(&line)
                    && events_tx.send(event).is_err()
                {
                    return;
                }
            }
            let _ = events_tx.send(exited);
        });
        Self {
            process,
            frames: Some(frames),
            events,
            spawned: Instant::now(),
            plan,
            acks: 0,
        }
    }

    /// Waits for the child's next event under its kill plan: an
    /// `AfterAcks` plan becomes a timed kill once `is_ack` has counted its
    /// acknowledgements; [`Next::KillNow`] when the planned time has come.
    /// Panics if the child says nothing for `silence`.
    pub fn next(&mut self, silence: Duration, is_ack: impl Fn(&E) -> bool) -> Next<E> {
        loop {
            if let KillPlan::AfterAcks(n, jitter_us) = self.plan
                && self.acks >= n
            {
                self.plan =
                    KillPlan::AfterTime(self.spawned.elapsed() + Duration::from_micros(jitter_us));
            }
            let wait = match self.plan {
                KillPlan::AfterTime(t) => t.saturating_sub(self.spawned.elapsed()),
                _ => silence,
            };
            if wait.is_zero() {
                return Next::KillNow;
            }
            match self.events.recv_timeout(wait) {
                Ok(event) => {
                    if is_ack(&event) {
                        self.acks += 1;
                    }
                    return Next::Event(event);
                }
                Err(RecvTimeoutError::Timeout) if wait < silence => {}
                Err(e) => panic!("child silent for {silence:?}: {e}"),
            }
        }
    }

    pub fn send(&self, frame: Vec<u8>) {
        if let Some(frames) = &self.frames {
            let _ = frames.send(frame);
        }
    }

    pub fn kill(mut self) {
        self.process.kill().unwrap(); // SIGKILL
        self.process.wait().unwrap();
    }

    /// Closes stdin and waits for a clean exit.
    pub fn finish(mut self) {
        self.frames = None;
        let status = self.process.wait().unwrap();
        assert!(status.success(), "child exited with {status}");
    }
}
