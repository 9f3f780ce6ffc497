//! The command line: clap's definitions of the commands and options, the checks of
//! the combinations clap does not make, and usage errors as one fixed line (help,
//! version and every error message are our own).

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{ArgMatches, Args, CommandFactory, Parser, Subcommand};
use sessionlib::flask::Digest;
use time::{Duration, OffsetDateTime};

use crate::profile::Profile;
use crate::{print, Failure, Outcome};

/// The longest duration (`--ttl`, `--leeway`, `--max-age`) accepted: 100 years of
/// 365.25 days. Longer values are a usage error, so that no sum of a duration and a
/// time can overflow in the tool or the library.
pub(crate) const MAX_SECONDS: u64 = 3_155_760_000;

pub(crate) const COMMANDS: [&str; 4] = ["keygen", "encode", "decode", "inspect"];

/// The command line.
#[derive(Parser, Debug)]
#[command(
    name = "sessionlib",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true
)]
pub(crate) struct Cli {
    /// Print the help.
    #[arg(short, long)]
    pub(crate) help: bool,
    /// Print the version.
    #[arg(short = 'V', long)]
    pub(crate) version: bool,
    #[command(subcommand)]
    pub(crate) command: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Cmd {
    /// Print a new random secret (base64url of 64 random bytes), suitable for
    /// SESSIONLIB_SECRET_KEY. The secret is the printed text itself.
    #[command(disable_help_flag = true)]
    Keygen {
        /// Print this help.
        #[arg(short, long)]
        help: bool,
    },
    /// Read JSON from stdin and print a signed token for it.
    ///
    /// Any JSON value is accepted (sessions are usually objects); object keys are
    /// written sorted, as compact JSON. With --flask, stdin is a Flask session in
    /// Flask's tagged JSON (plain JSON is fine) and the output is a Flask cookie.
    #[command(
        disable_help_flag = true,
        override_usage = "sessionlib encode [OPTIONS] [KEY OPTIONS] < data.json",
        after_long_help = "Example:\n  echo '{\"user_id\": 7}' | sessionlib encode --ttl 3600 > token.txt"
    )]
    Encode(EncodeArgs),
    /// Verify TOKEN (signature, then expiry) and print its data as compact JSON.
    ///
    /// Compressed tokens are inflated after verification, up to 64 KiB and a ratio of
    /// 256. With --flask, TOKEN is a Flask session cookie value, checked for age, and
    /// the data is printed as Flask's tagged JSON. Control characters in the data are
    /// printed as \uXXXX escapes. Exit codes: 0 verified data printed, 1 other error,
    /// 2 usage error (also --help here: no token was read), 3 malformed, 4 invalid
    /// signature, 5 expired or signed in the future.
    #[command(
        disable_help_flag = true,
        override_usage = "sessionlib decode [OPTIONS] [KEY OPTIONS] [--] TOKEN",
        after_long_help = "Put -- before a token from a variable:\n  \
                           sessionlib decode --meta -- \"$COOKIE\"\n  \
                           sessionlib decode --meta - < token.txt"
    )]
    Decode(DecodeArgs),
    /// Decode TOKEN WITHOUT verifying it, for debugging.
    ///
    /// Every output line is marked UNVERIFIED: the payload, the timestamp, the
    /// signature length and whether the shape is valid. Needs no key. Exits 0 for a
    /// valid shape, 3 otherwise, 2 for a usage error (also --help here: no token was
    /// read).
    #[command(
        disable_help_flag = true,
        override_usage = "sessionlib inspect [--] TOKEN",
        after_long_help = "Put -- before a token from a variable:\n  \
                           sessionlib inspect -- \"$COOKIE\""
    )]
    Inspect(InspectArgs),
    /// Print the help, or one command's help.
    Help {
        /// keygen, encode, decode or inspect.
        #[arg(value_name = "COMMAND")]
        command: Option<String>,
    },
}

/// Where the keys come from (encode, decode).
#[derive(Args, Debug)]
#[command(next_help_heading = "Key options")]
pub(crate) struct KeyArgs {
    /// Read the signing key from environment variable NAME [default:
    /// SESSIONLIB_SECRET_KEY].
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub(crate) key_env: Option<OsString>,
    /// Read the signing key from a file; one trailing newline is dropped.
    #[arg(long, value_name = "PATH", allow_hyphen_values = true)]
    pub(crate) key_file: Option<OsString>,
    /// An old key that verifies but signs nothing, from variable NAME (repeatable).
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub(crate) fallback_key_env: Vec<OsString>,
    /// An old key from a file (repeatable). Fallback keys are numbered from 0 in the
    /// order given, files and variables alike.
    #[arg(long, value_name = "PATH", allow_hyphen_values = true)]
    pub(crate) fallback_key_file: Vec<OsString>,
}

#[derive(Args, Debug)]
pub(crate) struct EncodeArgs {
    /// The purpose of the token [default: sessionlib.session; with --flask:
    /// cookie-session].
    #[arg(long, value_name = "S", allow_hyphen_values = true)]
    pub(crate) salt: Option<String>,
    /// Lifetime of the token, at most 3155760000 (100 years) [default: 1209600, 14
    /// days]. Not with --flask.
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true, value_parser = parse_seconds)]
    pub(crate) ttl: Option<Duration>,
    /// The expiry as Unix time, instead of --ttl. Not with --flask.
    #[arg(long, value_name = "UNIX", allow_hyphen_values = true, value_parser = parse_unix)]
    pub(crate) expires_at: Option<OffsetDateTime>,
    /// The current time (with --flask: the signing time), for reproducible tokens.
    #[arg(long, value_name = "UNIX", allow_hyphen_values = true, value_parser = parse_unix)]
    pub(crate) now: Option<OffsetDateTime>,
    /// zlib-compress the payload when that makes it shorter (always on with --flask).
    #[arg(long, overrides_with = "compress")]
    pub(crate) compress: bool,
    /// Make a Flask session cookie (HMAC-SHA1, salt cookie-session, signing time).
    #[arg(long, overrides_with = "flask")]
    pub(crate) flask: bool,
    /// Make a sealed token: the data is encrypted (XChaCha20-Poly1305), not only signed.
    #[arg(long, overrides_with = "sealed")]
    pub(crate) sealed: bool,
    /// Make a Django session cookie (django.core.signing as the signed_cookies session
    /// engine writes it: salted_hmac SHA-256, base62 signing time, compression).
    #[arg(long, overrides_with = "django")]
    pub(crate) django: bool,
    /// With --flask: the HMAC digest, sha1 or sha256 [default: sha1].
    #[arg(long, value_name = "sha1|sha256", allow_hyphen_values = true, value_parser = parse_digest)]
    pub(crate) digest: Option<Digest>,
    #[command(flatten)]
    pub(crate) iron: IronArgs,
    /// Print this help.
    #[arg(short, long)]
    pub(crate) help: bool,
    #[command(flatten)]
    pub(crate) keys: KeyArgs,
}

/// The Iron profile's options (encode, decode).
#[derive(Args, Debug)]
#[command(next_help_heading = "Iron options")]
pub(crate) struct IronArgs {
    /// An Iron token (Fe26.2) as iron-session seals it: PBKDF2-SHA1, AES-256-CBC,
    /// HMAC-SHA256; the password comes from --password-env.
    #[arg(long, overrides_with = "iron")]
    pub(crate) iron: bool,
    /// With --iron: without iron-session's ~2 suffix, as h3 and @hapi/iron write.
    #[arg(long, overrides_with = "bare")]
    pub(crate) bare: bool,
    /// With --iron: the variable holding the password (a string, or iron-session's
    /// password map as JSON) [default: SESSIONLIB_IRON_PASSWORD].
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub(crate) password_env: Option<OsString>,
}

impl IronArgs {
    /// The combinations clap does not check, for a command whose other profile
    /// options are `others` (any of them set).
    fn check(&self, others: bool, keys: &KeyOpts) -> Outcome<()> {
        if !self.iron && (self.bare || self.password_env.is_some()) {
            return Err(Failure::usage("--bare and --password-env need --iron"));
        }
        if self.iron && others {
            return Err(Failure::usage(
                "--iron does not combine with --flask, --django, --sealed, --compress, \
                 --salt, --digest, --max-age or --expires-at",
            ));
        }
        if self.iron && (keys.primary.is_some() || !keys.fallbacks.is_empty()) {
            return Err(Failure::usage(
                "--iron takes its password from --password-env, not from the key options",
            ));
        }
        Ok(())
    }
}

#[derive(Args, Debug)]
pub(crate) struct DecodeArgs {
    /// The purpose the token was made for [default: sessionlib.session; with --flask:
    /// cookie-session].
    #[arg(long, value_name = "S", allow_hyphen_values = true)]
    pub(crate) salt: Option<String>,
    /// Accept tokens up to this long after their expiry, at most 3155760000 [default:
    /// 0]. With --flask: how far past --max-age or in the future a signing time may be
    /// [default: 30].
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true, value_parser = parse_seconds)]
    pub(crate) leeway: Option<Duration>,
    /// Check the token at this Unix time instead of now.
    #[arg(long, value_name = "UNIX", allow_hyphen_values = true, value_parser = parse_unix)]
    pub(crate) now: Option<OffsetDateTime>,
    /// Print {"data": ..., "expires_at": UNIX, "key": "primary" | "fallback:N"}
    /// ("signed_at" with --flask).
    #[arg(long, overrides_with = "meta")]
    pub(crate) meta: bool,
    /// Read a Flask session cookie (HMAC-SHA1, salt cookie-session, maximum age).
    #[arg(long, overrides_with = "flask")]
    pub(crate) flask: bool,
    /// Read a sealed token (made by encode --sealed or a sealed codec or cookie).
    #[arg(long, overrides_with = "sealed")]
    pub(crate) sealed: bool,
    /// Read a Django session cookie or django.core.signing token (with --salt).
    #[arg(long, overrides_with = "django")]
    pub(crate) django: bool,
    /// With --flask or --django: the longest accepted age, at most 3155760000
    /// [default: --flask 2678400 (31 days), --django 1209600 (14 days)].
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true, value_parser = parse_seconds)]
    pub(crate) max_age: Option<Duration>,
    /// With --flask: the HMAC digest, sha1 or sha256 [default: sha1].
    #[arg(long, value_name = "sha1|sha256", allow_hyphen_values = true, value_parser = parse_digest)]
    pub(crate) digest: Option<Digest>,
    #[command(flatten)]
    pub(crate) iron: IronArgs,
    /// Print this help and exit 2 (no token was read).
    #[arg(short, long)]
    pub(crate) help: bool,
    /// The token, or - to read it from stdin.
    #[arg(value_name = "TOKEN")]
    pub(crate) token: Option<OsString>,
    #[command(flatten)]
    pub(crate) keys: KeyArgs,
}

#[derive(Args, Debug)]
pub(crate) struct InspectArgs {
    /// Print this help and exit 2 (no token was read).
    #[arg(short, long)]
    pub(crate) help: bool,
    /// The token, or - to read it from stdin.
    #[arg(value_name = "TOKEN")]
    pub(crate) token: Option<OsString>,
}

/// Where a key comes from.
#[derive(Debug, Clone)]
pub(crate) enum KeySource {
    Env(OsString),
    File(OsString),
}

/// The key options, resolved: one primary source, fallbacks in the order given.
#[derive(Debug, Default)]
pub(crate) struct KeyOpts {
    pub(crate) primary: Option<KeySource>,
    pub(crate) fallbacks: Vec<KeySource>,
}

impl KeyArgs {
    /// Checks the key options and orders the fallbacks as they were given, variables
    /// and files interleaved (clap keeps each option's values apart).
    pub(crate) fn resolve(&self, matches: Option<&ArgMatches>) -> Outcome<KeyOpts> {
        let primary = match (&self.key_env, &self.key_file) {
            (Some(_), Some(_)) => {
                return Err(Failure::usage(
                    "give one signing key: --key-env or --key-file, once",
                ))
            }
            (Some(name), None) => Some(KeySource::Env(name.clone())),
            (None, Some(path)) => Some(KeySource::File(path.clone())),
            (None, None) => None,
        };
        let positions = |id: &str| -> Vec<usize> {
            matches
                .and_then(|m| m.indices_of(id))
                .map(Iterator::collect)
                .unwrap_or_default()
        };
        let mut fallbacks: Vec<(usize, KeySource)> = positions("fallback_key_env")
            .into_iter()
            .zip(self.fallback_key_env.iter().cloned().map(KeySource::Env))
            .chain(
                positions("fallback_key_file")
                    .into_iter()
                    .zip(self.fallback_key_file.iter().cloned().map(KeySource::File)),
            )
            .collect();
        if fallbacks.len() != self.fallback_key_env.len() + self.fallback_key_file.len() {
            return Err(Failure::usage("the fallback key options could not be read"));
        }
        fallbacks.sort_by_key(|(position, _)| *position);
        Ok(KeyOpts {
            primary,
            fallbacks: fallbacks.into_iter().map(|(_, source)| source).collect(),
        })
    }
}

impl EncodeArgs {
    /// The combinations clap does not check.
    fn check(&self) -> Outcome<()> {
        if self.flask && (self.ttl.is_some() || self.expires_at.is_some()) {
            return Err(Failure::usage(
                "--ttl and --expires-at do not apply to --flask: a Flask cookie carries its \
                 signing time (--now), and its lifetime is the reader's --max-age",
            ));
        }
        if self.django && (self.ttl.is_some() || self.expires_at.is_some()) {
            return Err(Failure::usage(
                "--ttl and --expires-at do not apply to --django: a Django token carries its \
                 signing time (--now), and its lifetime is the reader's --max-age",
            ));
        }
        if self.django && (self.flask || self.sealed) {
            return Err(Failure::usage(
                "--django does not combine with --flask or --sealed",
            ));
        }
        if !self.flask && self.digest.is_some() {
            return Err(Failure::usage("--digest needs --flask"));
        }
        if self.sealed && (self.flask || self.compress) {
            return Err(Failure::usage(
                "--sealed does not combine with --flask or --compress (sealed data is never compressed)",
            ));
        }
        if self.ttl.is_some() && self.expires_at.is_some() {
            return Err(Failure::usage("give --ttl or --expires-at, not both"));
        }
        if self.expires_at.is_some() && self.now.is_some() {
            return Err(Failure::usage(
                "--now has no effect with --expires-at; give one of them",
            ));
        }
        Ok(())
    }
}

impl EncodeArgs {
    /// The one profile this command line chooses, once its options are checked.
    pub(crate) fn profile(&self, keys: &KeyOpts) -> Outcome<Profile> {
        let others = self.flask
            || self.django
            || self.sealed
            || self.compress
            || self.salt.is_some()
            || self.digest.is_some()
            || self.expires_at.is_some();
        self.iron.check(others, keys)?;
        if !self.iron.iron {
            self.check()?;
        }
        Ok(Profile::choose(
            self.iron.iron,
            self.flask,
            self.django,
            self.sealed,
        ))
    }
}

impl DecodeArgs {
    /// The one profile this command line chooses and its token argument, once its
    /// options are checked.
    pub(crate) fn profile(&self, keys: &KeyOpts) -> Outcome<(Profile, TokenArg)> {
        let others = self.flask
            || self.django
            || self.sealed
            || self.salt.is_some()
            || self.digest.is_some()
            || self.max_age.is_some();
        self.iron.check(others, keys)?;
        let token = self.check()?;
        let profile = Profile::choose(self.iron.iron, self.flask, self.django, self.sealed);
        Ok((profile, token))
    }

    /// The combinations clap does not check; returns the token argument.
    fn check(&self) -> Outcome<TokenArg> {
        if !self.flask && self.digest.is_some() {
            return Err(Failure::usage("--digest needs --flask"));
        }
        if !self.flask && !self.django && self.max_age.is_some() {
            return Err(Failure::usage("--max-age needs --flask or --django"));
        }
        if self.sealed && self.flask {
            return Err(Failure::usage("--sealed does not combine with --flask"));
        }
        if self.django && (self.flask || self.sealed) {
            return Err(Failure::usage(
                "--django does not combine with --flask or --sealed",
            ));
        }
        match &self.token {
            Some(token) => Ok(token_arg(token.clone())),
            None => Err(Failure::usage(
                "decode needs a TOKEN argument (or - to read it from stdin)",
            )),
        }
    }
}

/// The token argument: the text itself, or `-` for stdin.
#[derive(Debug)]
pub(crate) enum TokenArg {
    Text(OsString),
    Stdin,
}

pub(crate) fn token_arg(arg: OsString) -> TokenArg {
    if arg == "-" {
        TokenArg::Stdin
    } else {
        TokenArg::Text(arg)
    }
}

/// A duration in whole seconds, from 0 to [`MAX_SECONDS`]. The error, shown after the
/// option's name, never repeats the value.
pub(crate) fn parse_seconds(text: &str) -> Result<Duration, &'static str> {
    text.parse::<u64>()
        .ok()
        .filter(|&n| n <= MAX_SECONDS)
        .and_then(|n| i64::try_from(n).ok())
        .map(Duration::seconds)
        .ok_or("needs a whole number of seconds, from 0 to 3155760000 (100 years)")
}

/// A Unix time in seconds that the time library can represent.
pub(crate) fn parse_unix(text: &str) -> Result<OffsetDateTime, &'static str> {
    text.parse::<i64>()
        .ok()
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .ok_or("needs a Unix time in seconds (a whole number, for a year from -9999 to 9999)")
}

pub(crate) fn parse_digest(text: &str) -> Result<Digest, &'static str> {
    match text {
        "sha1" => Ok(Digest::Sha1),
        "sha256" => Ok(Digest::Sha256),
        _ => Err("must be sha1 or sha256"),
    }
}

/// The help of one command, as clap renders it from the definitions above.
pub(crate) fn command_help(name: &str) -> String {
    let mut command = Cli::command();
    command.build();
    command
        .find_subcommand_mut(name)
        .map(|c| c.render_long_help().to_string())
        .unwrap_or_default()
}

/// `decode --help` and `inspect --help`: the command's help on stdout, and exit 2,
/// since no token was read; a token that happens to be `--help` must never pass for
/// a verified one (a script that runs `decode` on a cookie value without `--`).
pub(crate) fn help_instead_of_token(name: &str) -> Outcome<u8> {
    print(&command_help(name))?;
    Err(Failure::usage(format!(
        "{name} read no token: --help prints the help and exits 2 \
         (use `sessionlib help {name}` for exit 0, and -- before a token)"
    )))
}

pub(crate) fn unknown_command() -> Failure {
    Failure::usage("unknown command; the commands are keygen, encode, decode, inspect and help")
}

/// A clap error as one fixed line: the kind of mistake and at most the name of one of
/// our options. clap's own text repeats the offending value (which may be a token or
/// a key passed by mistake), so it is never shown.
pub(crate) fn usage_failure(err: &clap::Error) -> Failure {
    let context = |kind| match err.get(kind) {
        Some(ContextValue::String(s)) => Some(s.as_str()),
        _ => None,
    };
    // For most kinds, clap's `InvalidArg` is one of our own options, rendered as
    // `--name <VALUE>`; for an unknown argument it is what the user typed.
    let ours = |kind| context(kind).and_then(option_name);
    let option = ours(ContextKind::InvalidArg).unwrap_or_else(|| "an option".to_owned());
    let message = match err.kind() {
        ErrorKind::UnknownArgument => match context(ContextKind::InvalidArg) {
            Some(arg) if arg.starts_with('-') => match option_name(arg) {
                Some(name) => format!("unknown option '{name}' (see sessionlib --help)"),
                None => "unknown option (see sessionlib --help)".to_owned(),
            },
            _ => "unexpected argument (see sessionlib --help)".to_owned(),
        },
        ErrorKind::InvalidSubcommand => return unknown_command(),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "no command given (see sessionlib --help)".to_owned()
        }
        ErrorKind::InvalidValue if context(ContextKind::InvalidValue) == Some("") => {
            format!("{option} needs a value")
        }
        ErrorKind::ValueValidation => {
            match std::error::Error::source(err).map(ToString::to_string) {
                Some(why) => format!("{option} {why}"),
                None => format!("bad value for {option}"),
            }
        }
        ErrorKind::InvalidValue | ErrorKind::WrongNumberOfValues => {
            format!("bad value for {option}")
        }
        ErrorKind::TooFewValues => format!("{option} needs a value"),
        ErrorKind::TooManyValues | ErrorKind::NoEquals => format!("{option} takes no value"),
        ErrorKind::ArgumentConflict => match ours(ContextKind::PriorArg) {
            Some(prior) if prior != option => format!("{option} cannot be used with {prior}"),
            _ => format!("{option} given more than once"),
        },
        ErrorKind::InvalidUtf8 => "an option value is not valid UTF-8".to_owned(),
        ErrorKind::MissingRequiredArgument => "a required argument is missing".to_owned(),
        _ => "bad arguments (see sessionlib --help)".to_owned(),
    };
    Failure::usage(message)
}

/// The name of an option, safe to repeat in an error message: `--name` or `-x` from
/// clap's `--name <VALUE>`, only when it looks like an option name (lower-case ASCII
/// letters, digits and dashes, at most 24 characters), so that a token or key passed
/// by mistake where an option belongs is never echoed.
pub(crate) fn option_name(arg: &str) -> Option<String> {
    let name = arg.split([' ', '=']).next()?;
    let plain = name.starts_with('-')
        && name.len() <= 24
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'V');
    plain.then(|| name.to_owned())
}
