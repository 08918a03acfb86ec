//! What a typed line means: a message, or one of the commands of
//! [`COMMANDS`], each with its usage text. A new command is one more entry
//! there and one more [`Command`] variant.

use std::fmt;

use sealwire::expiry::{ExpiryMode, ExpiryPolicy, MAX_TTL_SECS};

/// Longest message a line may send, in bytes.
pub(crate) const MAX_TEXT_LEN: usize = 64 * 1024;
/// Most messages `/history` shows.
const MAX_HISTORY: usize = 1000;

/// A command of the chat.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// Show the disappearing-message timer (`None`), or set it.
    Timer(Option<TimerSetting>),
    /// Show the last messages.
    History(usize),
    /// A group conversation step (`/group ...`).
    Group(GroupCommand),
    /// Post to the current group (`/g <text>`).
    Post(String),
    Help,
    Quit,
}

/// `/group ...`: the group conversations.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum GroupCommand {
    /// Create a group named `name` with `users` (and us), and invite them.
    Create { name: String, users: Vec<String> },
    /// Make the group named so the current one.
    Use(String),
    /// Post to the current group (as `/g`).
    Say(String),
    /// Every group, its members, and which is current.
    List,
    /// The last messages of the current group.
    History(usize),
    /// Add a user to the current group.
    Add(String),
    /// Remove a user from the current group (every member is told).
    Remove(String),
    /// Leave the current group (every member is told).
    Leave,
}

/// Longest group name (one word of letters, digits, `-` and `_`).
pub(crate) const MAX_GROUP_NAME_LEN: usize = 32;

/// Whether `name` can name a group.
pub(crate) fn valid_group_name(name: &str) -> bool {
    (1..=MAX_GROUP_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A new disappearing-message timer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TimerSetting {
    Off,
    On(ExpiryPolicy),
}

/// One command: its name, its forms with what each does, and its parser
/// (given the words after the name, and the rest of the line as typed).
pub(crate) struct Spec {
    name: &'static str,
    forms: &'static [(&'static str, &'static str)],
    parse: fn(&[&str], &str) -> Result<Command, Invalid>,
}

/// Why a command's arguments are refused.
#[derive(Debug, PartialEq, Eq)]
enum Invalid {
    /// Not one of its forms: the usage says it all.
    Usage,
    /// One of its forms, with a value out of range (the reason).
    Value(String),
}

/// Every command.
pub(crate) const COMMANDS: &[Spec] = &[
    Spec {
        name: "/timer",
        forms: &[
            (
                "/timer <seconds>",
                "messages disappear <seconds> seconds after sending",
            ),
            (
                "/timer read <seconds>",
                "messages disappear <seconds> seconds after being read",
            ),
            ("/timer off", "messages stop disappearing"),
            ("/timer", "show the timer"),
        ],
        parse: |args, _| parse_timer(args),
    },
    Spec {
        name: "/history",
        forms: &[(
            "/history [<n>]",
            "show the last <n> messages (default 10, at most 1000)",
        )],
        parse: |args, _| parse_history(args),
    },
    Spec {
        name: "/group",
        forms: &[
            (
                "/group create <name> <user> [<user>...]",
                "start a group conversation with those users (and you)",
            ),
            ("/group use <name>", "make that group the current one"),
            ("/group say <text>", "post to the current group (as /g)"),
            ("/group list", "show your groups and their members"),
            (
                "/group history [<n>]",
                "show the current group's last <n> messages (default 10)",
            ),
            ("/group add <user>", "add a user to the current group"),
            (
                "/group remove <user>",
                "remove a user: it reads none of the later posts",
            ),
            ("/group leave", "leave the current group"),
        ],
        parse: parse_group,
    },
    Spec {
        name: "/g",
        forms: &[("/g <text>", "post <text> to the current group")],
        parse: |_, rest| parse_post(rest),
    },
    Spec {
        name: "/help",
        forms: &[("/help", "show the commands")],
        parse: |args, _| no_arguments(args, Command::Help),
    },
    Spec {
        name: "/quit",
        forms: &[("/quit", "exit (end of input does not quit)")],
        parse: |args, _| no_arguments(args, Command::Quit),
    },
];

fn no_arguments(args: &[&str], command: Command) -> Result<Command, Invalid> {
    match args {
        [] => Ok(command),
        _ => Err(Invalid::Usage),
    }
}

fn ttl(secs: &str) -> Result<u32, Invalid> {
    // Digits only: anything else is not a number of seconds (the usage).
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::Usage);
    }
    match secs.parse::<u32>() {
        Ok(s @ 1..=MAX_TTL_SECS) => Ok(s),
        _ => Err(Invalid::Value(format!(
            "a timer lasts 1 to {MAX_TTL_SECS} seconds (365 days), not {secs}"
        ))),
    }
}

fn parse_timer(args: &[&str]) -> Result<Command, Invalid> {
    let (mode, secs) = match args {
        [] => return Ok(Command::Timer(None)),
        ["off"] => return Ok(Command::Timer(Some(TimerSetting::Off))),
        ["read", secs] => (ExpiryMode::AfterRead, secs),
        [secs] => (ExpiryMode::AfterSend, secs),
        _ => return Err(Invalid::Usage),
    };
    let policy =
        ExpiryPolicy::new(mode, ttl(secs)?).map_err(|e| Invalid::Value(format!("refused: {e}")))?;
    Ok(Command::Timer(Some(TimerSetting::On(policy))))
}

fn history_count(command: &str, args: &[&str]) -> Result<usize, Invalid> {
    match args {
        [] => Ok(10),
        [n] if n.bytes().all(|b| b.is_ascii_digit()) => match n.parse::<usize>() {
            Ok(n @ 1..=MAX_HISTORY) => Ok(n),
            _ => Err(Invalid::Value(format!(
                "{command} shows 1 to {MAX_HISTORY} messages, not {n}"
            ))),
        },
        _ => Err(Invalid::Usage),
    }
}

fn parse_history(args: &[&str]) -> Result<Command, Invalid> {
    history_count("/history", args).map(Command::History)
}

/// The text of a post: the rest of the line as typed (not empty, at most
/// [`MAX_TEXT_LEN`] bytes).
fn post_text(rest: &str) -> Result<String, Invalid> {
    let text = rest.trim_start();
    if text.trim().is_empty() {
        return Err(Invalid::Usage);
    }
    if text.len() > MAX_TEXT_LEN {
        return Err(Invalid::Value(format!(
            "not posted: the message has {} bytes, over the {MAX_TEXT_LEN}-byte limit",
            text.len()
        )));
    }
    Ok(text.to_owned())
}

fn parse_post(rest: &str) -> Result<Command, Invalid> {
    post_text(rest).map(Command::Post)
}

fn user(name: &str) -> Result<String, Invalid> {
    if crate::frame::valid_name(name) {
        Ok(name.to_owned())
    } else {
        Err(Invalid::Value(format!(
            "a user name has 1 to {} bytes",
            crate::frame::MAX_NAME_LEN
        )))
    }
}

fn parse_group(args: &[&str], rest: &str) -> Result<Command, Invalid> {
    let group = match args {
        ["create", name, users @ ..] if !users.is_empty() => {
            if !valid_group_name(name) {
                return Err(Invalid::Value(format!(
                    "a group name is one word of 1 to {MAX_GROUP_NAME_LEN} letters, digits, - or _, not {name}"
                )));
            }
            let mut list = Vec::with_capacity(users.len());
            for u in users {
                let u = user(u)?;
                if !list.contains(&u) {
                    list.push(u);
                }
            }
            GroupCommand::Create {
                name: (*name).to_owned(),
                users: list,
            }
        }
        ["use", name] => GroupCommand::Use((*name).to_owned()),
        ["say", ..] => {
            let after = rest.trim_start().strip_prefix("say").unwrap_or_default();
            GroupCommand::Say(post_text(after)?)
        }
        ["list"] => GroupCommand::List,
        ["history", n @ ..] => GroupCommand::History(history_count("/group history", n)?),
        ["add", u] => GroupCommand::Add(user(u)?),
        ["remove", u] => GroupCommand::Remove(user(u)?),
        ["leave"] => GroupCommand::Leave,
        _ => return Err(Invalid::Usage),
    };
    Ok(Command::Group(group))
}

/// A typed line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Input<'a> {
    /// Nothing (blank).
    Empty,
    /// A message to send.
    Text(&'a str),
    Command(Command),
}

/// Why a typed line does nothing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum InputError {
    /// A command with arguments it does not take.
    Usage {
        command: &'static str,
        reason: Option<String>,
    },
    /// No such command.
    Unknown(String),
    /// A message over [`MAX_TEXT_LEN`].
    TooLong(usize),
}

fn usage_line(spec: &Spec) -> String {
    let forms: Vec<&str> = spec.forms.iter().map(|(form, _)| *form).collect();
    format!("usage: {}", forms.join(" | "))
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage { command, reason } => {
                let usage = COMMANDS
                    .iter()
                    .find(|s| s.name == *command)
                    .map(usage_line)
                    .unwrap_or_default();
                match reason {
                    Some(reason) => write!(f, "{reason} ({usage})"),
                    None => f.write_str(&usage),
                }
            }
            Self::Unknown(name) => {
                let names: Vec<&str> = COMMANDS.iter().map(|s| s.name).collect();
                write!(
                    f,
                    "unknown command {name}; the commands are {}",
                    names.join(", ")
                )
            }
            Self::TooLong(len) => write!(
                f,
                "not sent: the message has {len} bytes, over the {MAX_TEXT_LEN}-byte limit"
            ),
        }
    }
}

/// What `/help` prints: every form of every command.
pub(crate) fn help() -> String {
    let width = COMMANDS
        .iter()
        .flat_map(|s| s.forms)
        .map(|(form, _)| form.len())
        .max()
        .unwrap_or(0);
    let lines: Vec<String> = COMMANDS
        .iter()
        .flat_map(|s| s.forms)
        .map(|(form, what)| format!("  {form:width$}  {what}"))
        .collect();
    lines.join("\n")
}

/// Parses a typed line: a line that starts with `/` is a command.
pub(crate) fn parse_line(line: &str) -> Result<Input<'_>, InputError> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() {
        return Ok(Input::Empty);
    }
    if !line.starts_with('/') {
        if line.len() > MAX_TEXT_LEN {
            return Err(InputError::TooLong(line.len()));
        }
        return Ok(Input::Text(line));
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let (name, args) = words
        .split_first()
        .ok_or(InputError::Unknown(String::new()))?;
    let spec = COMMANDS
        .iter()
        .find(|s| s.name == *name)
        .ok_or_else(|| InputError::Unknown((*name).to_owned()))?;
    // The rest of the line as typed (a post keeps its spacing).
    let rest = line.get(name.len()..).unwrap_or_default();
    (spec.parse)(args, rest)
        .map(Input::Command)
        .map_err(|invalid| InputError::Usage {
            command: spec.name,
            reason: match invalid {
                Invalid::Usage => None,
                Invalid::Value(reason) => Some(reason),
            },
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMER_USAGE: &str =
        "usage: /timer <seconds> | /timer read <seconds> | /timer off | /timer";

    fn error(line: &str) -> String {
        parse_line(line).unwrap_err().to_string()
    }

    #[test]
    fn lines_and_commands() {
        assert_eq!(parse_line(""), Ok(Input::Empty));
        assert_eq!(parse_line("  \r\n"), Ok(Input::Empty));
        assert_eq!(
            parse_line("hello there\r\n"),
            Ok(Input::Text("hello there"))
        );
        assert_eq!(parse_line(" /quit"), Ok(Input::Text(" /quit")));
        assert_eq!(parse_line("/quit"), Ok(Input::Command(Command::Quit)));
        assert_eq!(parse_line("/help"), Ok(Input::Command(Command::Help)));
        assert_eq!(
            parse_line("/history"),
            Ok(Input::Command(Command::History(10)))
        );
        assert_eq!(
            parse_line("/history 3"),
            Ok(Input::Command(Command::History(3)))
        );
        assert_eq!(
            parse_line("/timer"),
            Ok(Input::Command(Command::Timer(None)))
        );
        assert_eq!(
            parse_line("/timer off"),
            Ok(Input::Command(Command::Timer(Some(TimerSetting::Off))))
        );
        let after_send = ExpiryPolicy::new(ExpiryMode::AfterSend, 30).unwrap();
        assert_eq!(
            parse_line("/timer 30"),
            Ok(Input::Command(Command::Timer(Some(TimerSetting::On(
                after_send
            )))))
        );
        let after_read = ExpiryPolicy::new(ExpiryMode::AfterRead, MAX_TTL_SECS).unwrap();
        assert_eq!(
            parse_line(&format!("/timer read {MAX_TTL_SECS}")),
            Ok(Input::Command(Command::Timer(Some(TimerSetting::On(
                after_read
            )))))
        );
    }

    #[test]
    fn a_bad_timer_shows_its_usage() {
        for line in [
            "/timer abc",
            "/timer read",
            "/timer read abc",
            "/timer 1 2",
            "/timer -5",
            "/timer 1.5",
        ] {
            assert_eq!(error(line), TIMER_USAGE, "{line}");
        }
    }

    #[test]
    fn a_timer_out_of_range_says_the_range() {
        let range = format!("a timer lasts 1 to {MAX_TTL_SECS} seconds (365 days)");
        for secs in ["0", "31536001", "99999999999999999999"] {
            assert_eq!(
                error(&format!("/timer {secs}")),
                format!("{range}, not {secs} ({TIMER_USAGE})")
            );
            assert_eq!(
                error(&format!("/timer read {secs}")),
                format!("{range}, not {secs} ({TIMER_USAGE})")
            );
        }
    }

    #[test]
    fn other_mistakes() {
        assert_eq!(
            error("/timr 5"),
            "unknown command /timr; the commands are /timer, /history, /group, /g, /help, /quit"
        );
        assert_eq!(
            error("/"),
            "unknown command /; the commands are /timer, /history, /group, /g, /help, /quit"
        );
        assert_eq!(error("/quit now"), "usage: /quit");
        assert_eq!(error("/history all"), "usage: /history [<n>]");
        assert_eq!(
            error("/history 0"),
            "/history shows 1 to 1000 messages, not 0 (usage: /history [<n>])"
        );
        let long = "x".repeat(MAX_TEXT_LEN + 1);
        assert_eq!(
            error(&long),
            "not sent: the message has 65537 bytes, over the 65536-byte limit"
        );
        assert_eq!(parse_line(&long[1..]), Ok(Input::Text(&long[1..])));
    }

    #[test]
    fn group_commands() {
        let group = |line: &str| match parse_line(line) {
            Ok(Input::Command(Command::Group(g))) => g,
            other => panic!("{line}: {other:?}"),
        };
        assert_eq!(
            group("/group create friends bob carol bob"),
            GroupCommand::Create {
                name: "friends".to_owned(),
                users: vec!["bob".to_owned(), "carol".to_owned()],
            }
        );
        assert_eq!(
            group("/group use friends"),
            GroupCommand::Use("friends".into())
        );
        assert_eq!(
            group("/group say  hello   there "),
            GroupCommand::Say("hello   there ".into())
        );
        assert_eq!(group("/group list"), GroupCommand::List);
        assert_eq!(group("/group history"), GroupCommand::History(10));
        assert_eq!(group("/group history 3"), GroupCommand::History(3));
        assert_eq!(group("/group add dave"), GroupCommand::Add("dave".into()));
        assert_eq!(
            group("/group remove carol"),
            GroupCommand::Remove("carol".into())
        );
        assert_eq!(group("/group leave"), GroupCommand::Leave);
        assert_eq!(
            parse_line("/g  spaced  out"),
            Ok(Input::Command(Command::Post("spaced  out".into())))
        );
        let usage = "usage: /group create <name> <user> [<user>...] | /group use <name> | \
                     /group say <text> | /group list | /group history [<n>] | \
                     /group add <user> | /group remove <user> | /group leave";
        for line in [
            "/group",
            "/group create friends",
            "/group say",
            "/group nope",
            "/group list x",
        ] {
            assert_eq!(error(line), usage, "{line}");
        }
        assert!(error("/group create a.b bob").starts_with("a group name is one word"));
        assert!(error("/group history 0").starts_with("/group history shows 1 to 1000"));
        assert_eq!(error("/g "), "usage: /g <text>");
    }

    #[test]
    fn help_lists_every_form() {
        let help = help();
        for spec in COMMANDS {
            for (form, what) in spec.forms {
                assert!(help.contains(form) && help.contains(what), "{form}");
            }
        }
    }
}
