//! `sessionlib`: make, verify and inspect session tokens from the command line.
//!
//! Built with `cargo build --features cli`; run `sessionlib --help` for everything it
//! does. Keys come from environment variables or files, never from the command line,
//! and no error message contains a token, a key or any other argument value.
//!
//! One file per command (`keygen`, `encode`, `decode`, `inspect`); the token format a
//! command line chooses is one [`profile::Profile`]; `args` holds the command line's
//! definitions and checks, `input` stdin, tokens and keys.

mod args;
mod decode;
mod encode;
mod help;
mod input;
mod inspect;
mod keygen;
mod profile;

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use sessionlib::Error;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::args::{Cli, Cmd, COMMANDS};
use crate::help::HELP;

/// Exit codes.
const EXIT_OTHER: u8 = 1;
const EXIT_USAGE: u8 = 2;
pub(crate) const EXIT_MALFORMED: u8 = 3;
const EXIT_SIGNATURE: u8 = 4;
const EXIT_EXPIRED: u8 = 5;

/// A failure: the exit code and one line for stderr, which never holds a token or key.
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(EXIT_USAGE, message)
    }

    pub(crate) fn other(message: impl Into<String>) -> Self {
        Self::new(EXIT_OTHER, message)
    }

    /// A library error while reading a token.
    pub(crate) fn token(err: &Error) -> Self {
        let code = match err {
            Error::Malformed | Error::TooLarge { .. } | Error::DecompressionLimit { .. } => {
                EXIT_MALFORMED
            }
            Error::InvalidSignature => EXIT_SIGNATURE,
            Error::Expired { .. } | Error::NotYetValid { .. } => EXIT_EXPIRED,
            _ => EXIT_OTHER,
        };
        Self::new(code, err.to_string())
    }
}

pub(crate) type Outcome<T> = Result<T, Failure>;

fn main() -> ExitCode {
    match run(std::env::args_os()) {
        Ok(code) => {
            let mut stderr = io::stderr().lock();
            for warning in input::take_warnings() {
                let _ = writeln!(stderr, "sessionlib: warning: {}", escape_controls(&warning));
            }
            ExitCode::from(code)
        }
        Err(failure) => {
            // One line, whatever a message holds (a field name from session data, say).
            let message = escape_controls(&failure.message);
            // Nothing sensible is left to do if stderr itself is gone.
            let _ = writeln!(io::stderr(), "sessionlib: {message}");
            ExitCode::from(failure.code)
        }
    }
}

fn run(args: impl IntoIterator<Item = OsString>) -> Outcome<u8> {
    let mut command = Cli::command();
    let matches = command
        .try_get_matches_from_mut(args)
        .map_err(|e| args::usage_failure(&e))?;
    let cli = Cli::from_arg_matches(&matches).map_err(|e| args::usage_failure(&e))?;
    if cli.help {
        return print(HELP).map(|()| 0);
    }
    if cli.version {
        return print(&format!("sessionlib {}\n", env!("CARGO_PKG_VERSION"))).map(|()| 0);
    }
    let sub = |name| matches.subcommand_matches(name);
    match cli.command {
        None => Err(Failure::usage("no command given (see sessionlib --help)")),
        Some(Cmd::Help { command: None }) => print(HELP).map(|()| 0),
        Some(Cmd::Help {
            command: Some(topic),
        }) => match COMMANDS.iter().find(|&&c| c == topic) {
            Some(name) => print(&args::command_help(name)).map(|()| 0),
            None if topic == "help" => print(HELP).map(|()| 0),
            None => Err(args::unknown_command()),
        },
        Some(Cmd::Keygen { help: true }) => print(&args::command_help("keygen")).map(|()| 0),
        Some(Cmd::Keygen { help: false }) => keygen::run(),
        Some(Cmd::Encode(a)) if a.help => print(&args::command_help("encode")).map(|()| 0),
        Some(Cmd::Encode(a)) => {
            let keys = a.keys.resolve(sub("encode"))?;
            let profile = a.profile(&keys)?;
            encode::run(&a, profile, &keys)
        }
        Some(Cmd::Decode(a)) if a.help => args::help_instead_of_token("decode"),
        Some(Cmd::Decode(a)) => {
            let keys = a.keys.resolve(sub("decode"))?;
            let (profile, token) = a.profile(&keys)?;
            decode::run(&a, profile, &keys, &token)
        }
        Some(Cmd::Inspect(a)) if a.help => args::help_instead_of_token("inspect"),
        Some(Cmd::Inspect(a)) => match a.token {
            Some(token) => inspect::run(&args::token_arg(token)),
            None => Err(Failure::usage(
                "inspect needs a TOKEN argument (or - to read it from stdin)",
            )),
        },
    }
}

pub(crate) fn print(text: &str) -> Outcome<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::other(format!("cannot write to stdout: {}", e.kind())))
}

/// Prints decoded data (one line of JSON) with every control character escaped, so
/// that session data cannot send terminal control sequences; the line still parses
/// to the same data.
pub(crate) fn print_data(json: &str) -> Outcome<u8> {
    print(&format!("{}\n", escape_controls(json)))?;
    Ok(0)
}

/// Replaces every control character (C0 U+0000..U+001F, DEL U+007F, C1
/// U+0080..U+009F: exactly `char::is_control`) with a `\uXXXX` escape, so that a
/// crafted payload cannot send terminal control sequences. Used for all output that
/// holds session data (`decode`, `inspect`) and for stderr. In JSON text, where raw
/// control characters can only stand inside strings, the result is still JSON that
/// parses to the same value.
pub(crate) fn escape_controls(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if c.is_control() {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// RFC 3339 in UTC, such as `2023-11-14T22:13:20Z`; `None` for a year outside
/// 0..=9999, which RFC 3339 cannot write.
pub(crate) fn rfc3339(t: OffsetDateTime) -> Option<String> {
    t.format(&Rfc3339).ok()
}
