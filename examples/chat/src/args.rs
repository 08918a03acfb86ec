//! The command line: checked whole before anything is opened, so that a
//! mistake creates no database file.

use std::path::PathBuf;

use sealwire::DeviceAddress;

use crate::commands;
use crate::frame::{MAX_NAME_LEN, valid_name};

const USAGE: &str = "\
usage: chat listen  ADDR DB [--name NAME] [--device N]
       chat connect ADDR DB [--name NAME] [--device N]

  listen    wait for the other devices on ADDR (HOST:PORT; any number of
            devices, at any time), and relay between them
  connect   connect to ADDR (HOST:PORT; retries every second while
            disconnected)
  DB        this device's SQLite file (created if missing)
  --name    this device's user, 1 to 64 bytes (default: DB's file name
            without extension)
  --device  this device's number within its user, 0 to 4294967295
            (default: 1)";

/// The usage text: the command line, then the commands of the chat.
pub(crate) fn usage() -> String {
    format!(
        "{USAGE}\n\nType a line to send it. Commands:\n{}",
        commands::help()
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Listen,
    Connect,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Args {
    pub(crate) role: Role,
    pub(crate) addr: String,
    pub(crate) db: PathBuf,
    pub(crate) me: DeviceAddress,
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    Run(Args),
    Help,
}

/// Checks `HOST:PORT` (the host a name, an IPv4 address or a bracketed
/// IPv6 address). Names are resolved later, before the database is
/// opened.
fn check_address(addr: &str, role: Role) -> Result<(), String> {
    let bad = |why: &str| format!("bad address {addr:?}: {why}");
    let Some((host, port)) = addr.rsplit_once(':') else {
        return Err(bad("expected HOST:PORT, such as 127.0.0.1:7878"));
    };
    if host.is_empty() || host == "[]" {
        return Err(bad(
            "the host is missing (HOST:PORT, such as 127.0.0.1:7878)",
        ));
    }
    if host.contains(':') && !(host.starts_with('[') && host.ends_with(']')) {
        return Err(bad("an IPv6 host goes in brackets, such as [::1]:7878"));
    }
    let lowest = match role {
        // Port 0: the system picks one (printed on start).
        Role::Listen => 0,
        Role::Connect => 1,
    };
    match port.parse::<u16>() {
        Ok(p) if p >= lowest => Ok(()),
        _ => Err(bad(&format!(
            "the port must be a number from {lowest} to 65535, not {port:?}"
        ))),
    }
}

/// Parses the arguments (without the program name).
pub(crate) fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
    let args: Vec<String> = args.into_iter().collect();
    if args.is_empty() || args.iter().any(|a| a == "--help" || a == "-h") {
        return Ok(Parsed::Help);
    }
    let mut positional = Vec::new();
    let mut name = None;
    let mut device = 1u32;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--name" => name = Some(it.next().ok_or("--name needs a user name")?),
            "--device" => {
                let value = it.next().ok_or("--device needs a device number")?;
                device = value.parse().map_err(|_| {
                    format!("--device takes a device number from 0 to 4294967295, not {value:?}")
                })?;
            }
            _ if a.starts_with('-') && a.len() > 1 => {
                return Err(format!(
                    "unknown option {a} (the options are --name and --device)"
                ));
            }
            _ => positional.push(a),
        }
    }
    let mut positional = positional.into_iter();
    let role = match positional.next().as_deref() {
        Some("listen") => Role::Listen,
        Some("connect") => Role::Connect,
        Some(other) => return Err(format!("unknown mode {other:?}: listen or connect")),
        None => return Err("missing the mode: listen or connect".to_owned()),
    };
    let addr = positional
        .next()
        .ok_or("missing the address to listen on or connect to (ADDR, such as 127.0.0.1:7878)")?;
    check_address(&addr, role)?;
    let db = positional
        .next()
        .filter(|db| !db.is_empty())
        .map(PathBuf::from)
        .ok_or("missing the database file (DB, such as alice.db)")?;
    if let Some(extra) = positional.next() {
        return Err(format!("unexpected argument {extra:?}"));
    }
    let name = match name {
        Some(n) => n,
        None => db
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    if !valid_name(&name) {
        return Err(format!(
            "the user name must have 1 to {MAX_NAME_LEN} bytes, not {} ({name:?}; set it with --name)",
            name.len()
        ));
    }
    Ok(Parsed::Run(Args {
        role,
        addr,
        db,
        me: DeviceAddress::new(name, device),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Parsed, String> {
        parse_args(line.split_whitespace().map(str::to_owned))
    }

    fn run(line: &str) -> Args {
        match parse(line) {
            Ok(Parsed::Run(args)) => args,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn good_command_lines() {
        let a = run("listen 127.0.0.1:7878 alice.db");
        assert_eq!(a.role, Role::Listen);
        assert_eq!(a.addr, "127.0.0.1:7878");
        assert_eq!(a.db, PathBuf::from("alice.db"));
        assert_eq!(a.me, DeviceAddress::new("alice", 1));
        let a = run("connect localhost:7878 dir/alice2.db --name alice --device 2");
        assert_eq!(a.role, Role::Connect);
        assert_eq!(a.me, DeviceAddress::new("alice", 2));
        let a = run("--device 0 connect [::1]:7878 bob.db");
        assert_eq!(a.me, DeviceAddress::new("bob", 0));
        // Port 0 is for listening only.
        assert_eq!(run("listen 127.0.0.1:0 a.db").addr, "127.0.0.1:0");
        assert_eq!(parse(""), Ok(Parsed::Help));
        assert_eq!(parse("listen -h"), Ok(Parsed::Help));
    }

    #[test]
    fn mistakes_are_explained() {
        let cases = [
            (
                "listen 127.0.0.1:notaport alice.db",
                "bad address \"127.0.0.1:notaport\": the port must be a number from 0 to 65535, not \"notaport\"",
            ),
            (
                "connect 127.0.0.1:0 alice.db",
                "bad address \"127.0.0.1:0\": the port must be a number from 1 to 65535, not \"0\"",
            ),
            (
                "connect 127.0.0.1:70000 alice.db",
                "bad address \"127.0.0.1:70000\": the port must be a number from 1 to 65535, not \"70000\"",
            ),
            (
                "listen 7878 alice.db",
                "bad address \"7878\": expected HOST:PORT, such as 127.0.0.1:7878",
            ),
            (
                "listen :7878 alice.db",
                "bad address \":7878\": the host is missing (HOST:PORT, such as 127.0.0.1:7878)",
            ),
            (
                "connect ::1:7878 alice.db",
                "bad address \"::1:7878\": an IPv6 host goes in brackets, such as [::1]:7878",
            ),
            (
                "listen 127.0.0.1:7878",
                "missing the database file (DB, such as alice.db)",
            ),
            (
                "listen",
                "missing the address to listen on or connect to (ADDR, such as 127.0.0.1:7878)",
            ),
            (
                "serve 127.0.0.1:7878 a.db",
                "unknown mode \"serve\": listen or connect",
            ),
            ("--name bob", "missing the mode: listen or connect"),
            (
                "listen 127.0.0.1:7878 a.db b.db",
                "unexpected argument \"b.db\"",
            ),
            (
                "listen 127.0.0.1:7878 a.db --device two",
                "--device takes a device number from 0 to 4294967295, not \"two\"",
            ),
            (
                "listen 127.0.0.1:7878 a.db --device -1",
                "--device takes a device number from 0 to 4294967295, not \"-1\"",
            ),
            (
                "listen 127.0.0.1:7878 a.db --device",
                "--device needs a device number",
            ),
            (
                "listen 127.0.0.1:7878 a.db --name",
                "--name needs a user name",
            ),
            (
                "listen 127.0.0.1:7878 a.db --verbose",
                "unknown option --verbose (the options are --name and --device)",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(parse(line), Err(want.to_owned()), "{line}");
        }
        let long = "n".repeat(65);
        assert_eq!(
            parse(&format!("listen 127.0.0.1:7878 a.db --name {long}")),
            Err(format!(
                "the user name must have 1 to 64 bytes, not 65 ({long:?}; set it with --name)"
            ))
        );
    }

    #[test]
    fn the_usage_lists_every_command() {
        let usage = usage();
        for c in ["/timer", "/history", "/help", "/quit"] {
            assert!(usage.contains(c), "{c}");
        }
    }
}
