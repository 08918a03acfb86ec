//! Helpers shared by the integration tests of sealwire-sqlite.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::print_stdout
)]

pub mod child;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use rusqlite::Connection;
use rusqlite::types::Value;
use sealwire::Timestamp;

/// The clock of every test unless a test moves it.
pub const T0: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);

/// `T0` plus `s` seconds.
pub fn secs(s: u64) -> Timestamp {
    Timestamp::from_unix_millis(T0.as_unix_millis() + s * 1000)
}

/// A fresh directory under the system's temporary directory, removed on
/// drop (kept if the test panicked, for inspection).
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("sealwire-sqlite-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Every table of the schema.
pub const TABLES: [&str; 13] = [
    "meta",
    "local_identity",
    "peer_identities",
    "prekeys",
    "sessions",
    "device_lists",
    "accepted_sessions",
    "messages",
    "outbox",
    "sent_copies",
    "groups",
    "group_messages",
    "group_outbox",
];

/// Every row of every table, in rowid order, as raw SQLite values (the
/// tables of [`TABLES`] the file has: an older schema lacks some).
pub fn dump(conn: &Connection) -> Vec<(String, Vec<Vec<Value>>)> {
    TABLES
        .iter()
        .filter(|table| {
            conn.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |row| row.get::<_, i64>(0),
            )
            .unwrap()
                == 1
        })
        .map(|table| {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
                .unwrap();
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |row| {
                    (0..n)
                        .map(|i| row.get::<_, Value>(i))
                        .collect::<Result<Vec<_>, _>>()
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            ((*table).to_owned(), rows)
        })
        .collect()
}

/// Where a crash test writes its summary for `.ci/run` ("crash test
/// report"): `file` in the target directory of this build
/// (`target/sealwire-crash-test.txt`, `target/sealwire-crash-groups-test.txt`).
pub fn report_path(file: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // <target>/<profile>/deps/crash-<hash>
    match exe.ancestors().nth(3) {
        Some(target) => target.join(file),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target")
            .join(file),
    }
}

/// Writes `lines` to `report` (the summary `.ci/run` prints); a failure
/// to write is printed, not fatal.
pub fn write_report(report: &Path, lines: &[&str]) {
    let mut text = lines.join("\n");
    text.push('\n');
    if let Err(e) = std::fs::write(report, text) {
        println!("(could not write {}: {e})", report.display());
    }
}

/// Every byte of the database file and of its `-wal`, if any: what a disk
/// reader sees.
pub fn file_bytes(db: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(db).unwrap();
    let wal = db.with_file_name(format!("{}-wal", db.file_name().unwrap().to_str().unwrap()));
    if let Ok(w) = std::fs::read(wal) {
        bytes.extend(w);
    }
    bytes
}

/// Whether `needle` occurs anywhere in `haystack`.
pub fn occurs(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
