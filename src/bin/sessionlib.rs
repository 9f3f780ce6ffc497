//! `sessionlib`: make, verify and inspect session tokens from the command line.
//!
//! Built with `cargo build --features cli`; run `sessionlib --help` for everything it
//! does. Keys come from environment variables or files, never from the command line,
//! and no error message contains a token, a key or any other argument value.

use std::cell::RefCell;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use serde_json::Value;
use sessionlib::codec::DEFAULT_SALT;
use sessionlib::django::{self, DjangoCodec};
use sessionlib::flask::{self, Digest, FlaskCodec};
use sessionlib::iron::{self, IronCodec, Passwords, Suffix};
use sessionlib::{inspect_unverified, Codec, Error, Key, KeyError, Keyring};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

const HELP: &str = "\
sessionlib: make, verify and inspect signed session tokens

USAGE:
    sessionlib keygen
    sessionlib encode [--salt S] [--ttl SECONDS | --expires-at UNIX] [--now UNIX]
                      [--compress | --sealed] [KEY OPTIONS]         < data.json
    sessionlib encode --flask [--salt S] [--now UNIX] [--digest sha1|sha256]
                      [KEY OPTIONS]                                 < session.json
    sessionlib encode --django [--salt S] [--now UNIX] [KEY OPTIONS] < session.json
    sessionlib encode --iron [--bare] [--ttl SECONDS] [--now UNIX]
                      [--password-env NAME]                         < data.json
    sessionlib decode [--salt S] [--leeway SECONDS] [--now UNIX] [--meta] [--sealed]
                      [--flask [--max-age SECONDS] [--digest sha1|sha256]]
                      [--django [--max-age SECONDS]]
                      [KEY OPTIONS] [--] TOKEN
    sessionlib decode --iron [--bare] [--leeway SECONDS] [--now UNIX] [--meta]
                      [--password-env NAME] [--] TOKEN
    sessionlib inspect [--] TOKEN
    sessionlib help [COMMAND]
    sessionlib --help | --version

COMMANDS:
    keygen    Print a new random secret (base64url of 64 random bytes), suitable for
              SESSIONLIB_SECRET_KEY. The secret is the printed text itself.
    encode    Read JSON from stdin (any JSON value; sessions are usually objects) and
              print a signed token for it. Object keys are written sorted, as
              compact JSON. With --flask, stdin is a Flask session: a JSON object in
              Flask's tagged JSON ({\" t\": [...]} for a tuple, {\" b\": ...} for
              bytes, ...; plain JSON is fine), and the output is a Flask cookie.
              With --django, the output is a Django session cookie (sessionid).
              With --iron, an Iron token (Fe26.2) as iron-session seals it (with
              --bare: as h3 and @hapi/iron do); the data is encrypted.
    decode    Verify TOKEN (signature, then expiry) and print its data as compact JSON.
              Compressed tokens are accepted and inflated after verification, up to
              64 KiB and a ratio of 256. With --flask, TOKEN is a Flask session
              cookie value, checked for age, and the data is printed as Flask's
              tagged JSON, byte for byte as Flask writes it. Control characters
              (U+0000-U+001F, U+007F-U+009F) in the data are printed as \\uXXXX
              escapes: the output is safe for a terminal and parses to the same
              data (with --flask this differs from Flask's bytes only for DEL,
              which Flask leaves raw). With --django, TOKEN is a Django
              signed-cookie session (or a django.core.signing token with --salt),
              checked for age. With --iron, TOKEN is an Iron token (iron-session's
              cookie, or with --bare h3's or @hapi/iron's), opened with the password
              its id names after its HMAC verified.
    inspect   Decode TOKEN WITHOUT verifying it, for debugging. Every output line is
              marked UNVERIFIED: the payload (pretty JSON; inflated if compressed),
              the timestamp (Unix time and RFC 3339), the signature length, and
              whether the shape is valid (as a native token or a Flask cookie; a
              token with colons is read as a Django token).
              For a sealed token it says so and shows only what the format does
              not encrypt: the version, the expiry and the length of the data; for
              an Iron token (Fe26.2), the password id, the expiration, the length
              of the encrypted data and the suffix.
              Needs no key. Exits 0 for a valid shape, 3 otherwise.
    help      Print this help, or with COMMAND that command's help (exit 0).

    TOKEN may be `-` to read it from stdin (one trailing newline is removed).
    Put -- before a TOKEN that comes from a variable: everything after -- is the
    token, even a value that starts with - (such as --help).

OPTIONS:
    --salt S              The purpose the tokens are for; a token only verifies with
                          the salt it was made with. Default: sessionlib.session
                          (with --flask: cookie-session, Flask's; with --django:
                          django.contrib.sessions.backends.signed_cookies, the
                          session engine's, or any django.core.signing salt).
    --ttl SECONDS         encode: lifetime of the token. Default: 1209600 (14 days).
                          Not with --flask or --django.
    --expires-at UNIX     encode: the expiry as Unix time, instead of --ttl.
                          Not with --flask or --django.
    --compress            encode: zlib-compress the payload when that makes it
                          shorter (as itsdangerous does; the token then starts
                          with a dot). Always on with --flask and --django, as
                          in Flask and Django's session engine.
    --sealed              encode, decode: a sealed token (encrypted and
                          authenticated with XChaCha20-Poly1305; its data cannot be
                          read without the key). Not with --flask, --django or
                          --compress.
    --now UNIX            Use this Unix time as the current time, for reproducible
                          tokens and for checking tokens at another moment. With
                          --flask and --django it is the signing time.
    --leeway SECONDS      decode: accept tokens up to this long after their expiry
                          (clock differences between servers). Default: 0.
                          With --flask: how far past --max-age, or how far in the
                          future, a signing time may be. Default: 30. With
                          --django: how far in the future. Default: 30.
    --meta                decode: print {\"data\": ..., \"expires_at\": UNIX,
                          \"key\": \"primary\" | \"fallback:N\"} instead of the data
                          alone (with --flask and --django, \"signed_at\" instead of
                          \"expires_at\"; with --iron, also \"expires_at_ms\" and
                          \"password_id\", and null expiries for a token without).
    --flask               Use the Flask session cookie profile: HMAC-SHA1, salt
                          cookie-session, the signing time instead of an expiry,
                          zlib compression, Flask's tagged JSON.
    --django              Use the Django profile: django.core.signing tokens as
                          Django's signed_cookies session engine writes them
                          (HMAC-SHA256 with salted_hmac keys, base62 signing time,
                          colons, compression), JSON data.
    --iron                Use the Iron profile: Fe26.2 tokens as iron-session 8
                          (Next.js), h3 (Nuxt) and @hapi/iron seal them
                          (PBKDF2-SHA1, AES-256-CBC, HMAC-SHA256). The password
                          comes from --password-env, not the key options. --ttl
                          (default 1209600, iron-session's; 0: no expiration),
                          and --leeway is the clock skew after the expiration
                          (default 60, the packages' timestampSkewSec).
    --bare                With --iron: tokens without iron-session's ~2 suffix, as
                          h3's useSession and @hapi/iron write them; a plain
                          password then has no id.
    --password-env NAME   With --iron: the variable holding the password, at least
                          32 characters: a plain string (iron-session's id 1; no
                          id with --bare) or iron-session's password map as JSON,
                          {\"2\": \"new\", \"1\": \"old\"}, whose highest id seals.
                          Default: SESSIONLIB_IRON_PASSWORD.
    --max-age SECONDS     decode --flask: the longest accepted cookie age (Flask's
                          PERMANENT_SESSION_LIFETIME). Default: 2678400 (31 days).
                          decode --django: Django's SESSION_COOKIE_AGE (the age is
                          checked exactly, with no leeway). Default: 1209600.
    --digest sha1|sha256  With --flask: the HMAC digest (Flask's
                          SecureCookieSessionInterface.digest_method).
                          Default: sha1.
    -h, --help            Print this help. After a command: that command's help;
                          after decode or inspect it exits 2, not 0, since no token
                          was read (a token that happens to be --help must never
                          look like a success); `sessionlib help decode` exits 0.
    -V, --version         Print the version.

    SECONDS (--ttl, --leeway, --max-age) is a whole number from 0 to 3155760000
    (100 years); UNIX (--now, --expires-at) is a whole number of seconds since
    1970 (negative before), for a time from year -9999 to 9999.

KEY OPTIONS (encode, decode):
    Keys are never given on the command line. The secret is the raw bytes of the
    value (for Flask and Django: the SECRET_KEY, and SECRET_KEY_FALLBACKS as fallback
    keys), and must be at least 32 bytes long; with --flask and --django shorter keys
    are accepted, with a warning, since Flask and Django apps often have them.
    --key-env NAME             Read the signing key from environment variable NAME.
                               Default: SESSIONLIB_SECRET_KEY.
    --key-file PATH            Read the signing key from a file instead of a
                               variable; one trailing newline is dropped.
    --fallback-key-env NAME    An old key that still verifies tokens but signs none
                               (key rotation), from environment variable NAME.
    --fallback-key-file PATH   The same, from a file. Both are repeatable; fallback
                               keys are numbered from 0 in the order given, as in
                               \"fallback:0\" of --meta.

EXIT CODES:
    0  success: decode printed the data of a verified token, inspect the contents
       of a well-shaped token, or the output asked for (keygen, encode, help)
    1  other error: missing or too short key, unreadable input, stdin is not JSON
       (or not a Flask or Django session), the data does not fit in a token, the
       payload is not JSON
    2  usage error (unknown option, missing or bad argument; --help after decode
       or inspect)
    3  malformed token: not a token, wrong shape, too large, or a compressed
       payload that inflates past the limits
    4  invalid signature: changed, forged, another key or another salt
    5  expired, or (--flask, --django) signed in the future; the signature is valid

    Error messages are one line on stderr and never contain the token, a key or
    any other value given on the command line.

EXAMPLES:
    export SESSIONLIB_SECRET_KEY=\"$(sessionlib keygen)\"
    echo '{\"user_id\": 7}' | sessionlib encode --ttl 3600 > token.txt
    sessionlib decode --meta - < token.txt
    sessionlib inspect -- \"$(cat token.txt)\"
    sessionlib decode --flask --meta --key-env FLASK_SECRET_KEY -- \"$COOKIE\"
    sessionlib decode --django --meta --key-env DJANGO_SECRET_KEY -- \"$SESSIONID\"
    sessionlib decode --iron --meta --password-env SECRET_COOKIE_PASSWORD -- \"$COOKIE\"
";

/// The default environment variable for the signing key.
const DEFAULT_KEY_ENV: &str = "SESSIONLIB_SECRET_KEY";

/// Largest input read from stdin or a key file, in bytes.
const MAX_INPUT: u64 = 1024 * 1024;

/// The signature length of Flask's default HMAC-SHA1.
const FLASK_SHA1_LEN: usize = 20;

/// The longest duration (`--ttl`, `--leeway`, `--max-age`) accepted: 100 years of
/// 365.25 days. Longer values are a usage error, so that no sum of a duration and a
/// time can overflow in the tool or the library.
const MAX_SECONDS: u64 = 3_155_760_000;

/// Exit codes.
const EXIT_OTHER: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_MALFORMED: u8 = 3;
const EXIT_SIGNATURE: u8 = 4;
const EXIT_EXPIRED: u8 = 5;

/// A failure: the exit code and one line for stderr, which never holds a token or key.
#[derive(Debug)]
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn usage(message: impl Into<String>) -> Self {
        Self::new(EXIT_USAGE, message)
    }

    fn other(message: impl Into<String>) -> Self {
        Self::new(EXIT_OTHER, message)
    }

    /// A library error while reading a token.
    fn token(err: &Error) -> Self {
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

type Outcome<T> = Result<T, Failure>;

fn main() -> ExitCode {
    match run(std::env::args_os()) {
        Ok(code) => {
            let mut stderr = io::stderr().lock();
            for warning in WARNINGS.with(RefCell::take) {
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
        .map_err(|e| usage_failure(&e))?;
    let cli = Cli::from_arg_matches(&matches).map_err(|e| usage_failure(&e))?;
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
            Some(name) => print(&command_help(name)).map(|()| 0),
            None if topic == "help" => print(HELP).map(|()| 0),
            None => Err(unknown_command()),
        },
        Some(Cmd::Keygen { help: true }) => print(&command_help("keygen")).map(|()| 0),
        Some(Cmd::Keygen { help: false }) => keygen(),
        Some(Cmd::Encode(a)) if a.help => print(&command_help("encode")).map(|()| 0),
        Some(Cmd::Encode(a)) => {
            let keys = a.keys.resolve(sub("encode"))?;
            let others = a.flask
                || a.django
                || a.sealed
                || a.compress
                || a.salt.is_some()
                || a.digest.is_some()
                || a.expires_at.is_some();
            a.iron.check(others, &keys)?;
            if a.iron.iron {
                return encode_iron(&a);
            }
            a.check()?;
            encode(&a, &keys)
        }
        Some(Cmd::Decode(a)) if a.help => help_instead_of_token("decode"),
        Some(Cmd::Decode(a)) => {
            let keys = a.keys.resolve(sub("decode"))?;
            let others = a.flask
                || a.django
                || a.sealed
                || a.salt.is_some()
                || a.digest.is_some()
                || a.max_age.is_some();
            a.iron.check(others, &keys)?;
            let token = a.check()?;
            if a.iron.iron {
                return decode_iron(&a, &token);
            }
            decode(&a, &keys, &token)
        }
        Some(Cmd::Inspect(a)) if a.help => help_instead_of_token("inspect"),
        Some(Cmd::Inspect(a)) => match a.token {
            Some(token) => inspect(&token_arg(token)),
            None => Err(Failure::usage(
                "inspect needs a TOKEN argument (or - to read it from stdin)",
            )),
        },
    }
}

// ---------------------------------------------------------------------------------
// Command-line parsing (clap; help, version and every error message are our own)

/// The commands, as `sessionlib help COMMAND` knows them.
const COMMANDS: [&str; 4] = ["keygen", "encode", "decode", "inspect"];

/// The command line.
#[derive(Parser, Debug)]
#[command(
    name = "sessionlib",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true
)]
struct Cli {
    /// Print the help.
    #[arg(short, long)]
    help: bool,
    /// Print the version.
    #[arg(short = 'V', long)]
    version: bool,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
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
struct KeyArgs {
    /// Read the signing key from environment variable NAME [default:
    /// SESSIONLIB_SECRET_KEY].
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    key_env: Option<OsString>,
    /// Read the signing key from a file; one trailing newline is dropped.
    #[arg(long, value_name = "PATH", allow_hyphen_values = true)]
    key_file: Option<OsString>,
    /// An old key that verifies but signs nothing, from variable NAME (repeatable).
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    fallback_key_env: Vec<OsString>,
    /// An old key from a file (repeatable). Fallback keys are numbered from 0 in the
    /// order given, files and variables alike.
    #[arg(long, value_name = "PATH", allow_hyphen_values = true)]
    fallback_key_file: Vec<OsString>,
}

#[derive(Args, Debug)]
struct EncodeArgs {
    /// The purpose of the token [default: sessionlib.session; with --flask:
    /// cookie-session].
    #[arg(long, value_name = "S", allow_hyphen_values = true)]
    salt: Option<String>,
    /// Lifetime of the token, at most 3155760000 (100 years) [default: 1209600, 14
    /// days]. Not with --flask.
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true, value_parser = parse_seconds)]
    ttl: Option<Duration>,
    /// The expiry as Unix time, instead of --ttl. Not with --flask.
    #[arg(long, value_name = "UNIX", allow_hyphen_values = true, value_parser = parse_unix)]
    expires_at: Option<OffsetDateTime>,
    /// The current time (with --flask: the signing time), for reproducible tokens.
    #[arg(long, value_name = "UNIX", allow_hyphen_values = true, value_parser = parse_unix)]
    now: Option<OffsetDateTime>,
    /// zlib-compress the payload when that makes it shorter (always on with --flask).
    #[arg(long, overrides_with = "compress")]
    compress: bool,
    /// Make a Flask session cookie (HMAC-SHA1, salt cookie-session, signing time).
    #[arg(long, overrides_with = "flask")]
    flask: bool,
    /// Make a sealed token: the data is encrypted (XChaCha20-Poly1305), not only signed.
    #[arg(long, overrides_with = "sealed")]
    sealed: bool,
    /// Make a Django session cookie (django.core.signing as the signed_cookies session
    /// engine writes it: salted_hmac SHA-256, base62 signing time, compression).
    #[arg(long, overrides_with = "django")]
    django: bool,
    /// With --flask: the HMAC digest, sha1 or sha256 [default: sha1].
    #[arg(long, value_name = "sha1|sha256", allow_hyphen_values = true, value_parser = parse_digest)]
    digest: Option<Digest>,
    #[command(flatten)]
    iron: IronArgs,
    /// Print this help.
    #[arg(short, long)]
    help: bool,
    #[command(flatten)]
    keys: KeyArgs,
}

/// The Iron profile's options (encode, decode).
#[derive(Args, Debug)]
#[command(next_help_heading = "Iron options")]
struct IronArgs {
    /// An Iron token (Fe26.2) as iron-session seals it: PBKDF2-SHA1, AES-256-CBC,
    /// HMAC-SHA256; the password comes from --password-env.
    #[arg(long, overrides_with = "iron")]
    iron: bool,
    /// With --iron: without iron-session's ~2 suffix, as h3 and @hapi/iron write.
    #[arg(long, overrides_with = "bare")]
    bare: bool,
    /// With --iron: the variable holding the password (a string, or iron-session's
    /// password map as JSON) [default: SESSIONLIB_IRON_PASSWORD].
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    password_env: Option<OsString>,
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
struct DecodeArgs {
    /// The purpose the token was made for [default: sessionlib.session; with --flask:
    /// cookie-session].
    #[arg(long, value_name = "S", allow_hyphen_values = true)]
    salt: Option<String>,
    /// Accept tokens up to this long after their expiry, at most 3155760000 [default:
    /// 0]. With --flask: how far past --max-age or in the future a signing time may be
    /// [default: 30].
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true, value_parser = parse_seconds)]
    leeway: Option<Duration>,
    /// Check the token at this Unix time instead of now.
    #[arg(long, value_name = "UNIX", allow_hyphen_values = true, value_parser = parse_unix)]
    now: Option<OffsetDateTime>,
    /// Print {"data": ..., "expires_at": UNIX, "key": "primary" | "fallback:N"}
    /// ("signed_at" with --flask).
    #[arg(long, overrides_with = "meta")]
    meta: bool,
    /// Read a Flask session cookie (HMAC-SHA1, salt cookie-session, maximum age).
    #[arg(long, overrides_with = "flask")]
    flask: bool,
    /// Read a sealed token (made by encode --sealed or a sealed codec or cookie).
    #[arg(long, overrides_with = "sealed")]
    sealed: bool,
    /// Read a Django session cookie or django.core.signing token (with --salt).
    #[arg(long, overrides_with = "django")]
    django: bool,
    /// With --flask or --django: the longest accepted age, at most 3155760000
    /// [default: --flask 2678400 (31 days), --django 1209600 (14 days)].
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true, value_parser = parse_seconds)]
    max_age: Option<Duration>,
    /// With --flask: the HMAC digest, sha1 or sha256 [default: sha1].
    #[arg(long, value_name = "sha1|sha256", allow_hyphen_values = true, value_parser = parse_digest)]
    digest: Option<Digest>,
    #[command(flatten)]
    iron: IronArgs,
    /// Print this help and exit 2 (no token was read).
    #[arg(short, long)]
    help: bool,
    /// The token, or - to read it from stdin.
    #[arg(value_name = "TOKEN")]
    token: Option<OsString>,
    #[command(flatten)]
    keys: KeyArgs,
}

#[derive(Args, Debug)]
struct InspectArgs {
    /// Print this help and exit 2 (no token was read).
    #[arg(short, long)]
    help: bool,
    /// The token, or - to read it from stdin.
    #[arg(value_name = "TOKEN")]
    token: Option<OsString>,
}

/// Where a key comes from.
#[derive(Debug, Clone)]
enum KeySource {
    Env(OsString),
    File(OsString),
}

/// The key options, resolved: one primary source, fallbacks in the order given.
#[derive(Debug, Default)]
struct KeyOpts {
    primary: Option<KeySource>,
    fallbacks: Vec<KeySource>,
}

impl KeyArgs {
    /// Checks the key options and orders the fallbacks as they were given, variables
    /// and files interleaved (clap keeps each option's values apart).
    fn resolve(&self, matches: Option<&ArgMatches>) -> Outcome<KeyOpts> {
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

impl DecodeArgs {
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
enum TokenArg {
    Text(OsString),
    Stdin,
}

fn token_arg(arg: OsString) -> TokenArg {
    if arg == "-" {
        TokenArg::Stdin
    } else {
        TokenArg::Text(arg)
    }
}

/// A duration in whole seconds, from 0 to [`MAX_SECONDS`]. The error, shown after the
/// option's name, never repeats the value.
fn parse_seconds(text: &str) -> Result<Duration, &'static str> {
    text.parse::<u64>()
        .ok()
        .filter(|&n| n <= MAX_SECONDS)
        .and_then(|n| i64::try_from(n).ok())
        .map(Duration::seconds)
        .ok_or("needs a whole number of seconds, from 0 to 3155760000 (100 years)")
}

/// A Unix time in seconds that the time library can represent.
fn parse_unix(text: &str) -> Result<OffsetDateTime, &'static str> {
    text.parse::<i64>()
        .ok()
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .ok_or("needs a Unix time in seconds (a whole number, for a year from -9999 to 9999)")
}

fn parse_digest(text: &str) -> Result<Digest, &'static str> {
    match text {
        "sha1" => Ok(Digest::Sha1),
        "sha256" => Ok(Digest::Sha256),
        _ => Err("must be sha1 or sha256"),
    }
}

/// The help of one command, as clap renders it from the definitions above.
fn command_help(name: &str) -> String {
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
fn help_instead_of_token(name: &str) -> Outcome<u8> {
    print(&command_help(name))?;
    Err(Failure::usage(format!(
        "{name} read no token: --help prints the help and exits 2 \
         (use `sessionlib help {name}` for exit 0, and -- before a token)"
    )))
}

fn unknown_command() -> Failure {
    Failure::usage("unknown command; the commands are keygen, encode, decode, inspect and help")
}

/// A clap error as one fixed line: the kind of mistake and at most the name of one of
/// our options. clap's own text repeats the offending value (which may be a token or
/// a key passed by mistake), so it is never shown.
fn usage_failure(err: &clap::Error) -> Failure {
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
fn option_name(arg: &str) -> Option<String> {
    let name = arg.split([' ', '=']).next()?;
    let plain = name.starts_with('-')
        && name.len() <= 24
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'V');
    plain.then(|| name.to_owned())
}

// ---------------------------------------------------------------------------------
// Input and output

fn print(text: &str) -> Outcome<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::other(format!("cannot write to stdout: {}", e.kind())))
}

/// Reads all of stdin, up to [`MAX_INPUT`] bytes.
fn read_stdin(what: &str) -> Outcome<Vec<u8>> {
    let mut buf = Vec::new();
    io::stdin()
        .lock()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Failure::other(format!("cannot read {what} from stdin: {}", e.kind())))?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(Failure::other(format!(
            "{what} on stdin is larger than {MAX_INPUT} bytes"
        )));
    }
    Ok(buf)
}

/// Removes one trailing `\n` (or `\r\n`).
fn trim_newline(bytes: &mut Vec<u8>) {
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
}

/// The token text. Input that is not UTF-8 cannot be a token: malformed.
fn read_token(arg: &TokenArg) -> Outcome<String> {
    let bytes = match arg {
        TokenArg::Text(text) => {
            return text
                .clone()
                .into_string()
                .map_err(|_| Failure::token(&Error::Malformed))
        }
        TokenArg::Stdin => {
            let mut bytes = read_stdin("the token")?;
            trim_newline(&mut bytes);
            bytes
        }
    };
    String::from_utf8(bytes).map_err(|_| Failure::token(&Error::Malformed))
}

/// The secret bytes of one key source, checked for length. Error messages name an
/// environment variable only when it looks like one (so a key passed by mistake as
/// `--key-env SECRET` is not echoed), and never show a key file's path.
///
/// With `lenient` (Flask and Django), keys shorter than [`Key::MIN_LEN`] are accepted,
/// as such apps often have them, with a warning on stderr.
fn load_key(source: &KeySource, role: &str, lenient: bool) -> Outcome<Key> {
    let (secret, origin) = match source {
        KeySource::Env(name) => {
            let origin = match name.to_str().filter(|n| looks_like_variable(n)) {
                Some(n) => format!("variable {n}"),
                None => format!("the variable named by the {role} key option"),
            };
            let value = std::env::var_os(name).ok_or_else(|| {
                Failure::other(format!(
                    "the {role} key: {origin} is not set (make a key with: sessionlib keygen)"
                ))
            })?;
            (os_bytes(value, &origin)?, origin)
        }
        KeySource::File(path) => {
            let origin = format!("the {role} key file");
            let mut bytes = Zeroizing::new(Vec::new());
            std::fs::File::open(path)
                .and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut bytes))
                .map_err(|e| Failure::other(format!("cannot read {origin}: {}", e.kind())))?;
            if bytes.len() as u64 > MAX_INPUT {
                return Err(Failure::other(format!(
                    "{origin} is larger than {MAX_INPUT} bytes"
                )));
            }
            trim_newline(&mut bytes);
            (bytes, origin)
        }
    };
    let key = if lenient {
        Key::from_django_secret_key(&secret)
    } else {
        Key::from_bytes(&secret)
    };
    let key = key.map_err(|e| match e {
        KeyError::TooShort { len, min } => Failure::other(format!(
            "the {role} key from {origin} is too short: {len} bytes, at least {min} required \
             (make one with: sessionlib keygen)"
        )),
        other => Failure::other(format!("the {role} key from {origin}: {other}")),
    })?;
    if key.len() < Key::MIN_LEN {
        warn(&format!(
            "the {role} key from {origin} is only {} bytes: a key shorter than {} bytes can \
             be guessed offline from one cookie; replace it (sessionlib keygen)",
            key.len(),
            Key::MIN_LEN
        ));
    }
    Ok(key)
}

thread_local! {
    /// Warnings, printed on stderr once the command has succeeded (a failure prints
    /// only its one error line).
    static WARNINGS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Records a warning; the command goes on.
fn warn(message: &str) {
    WARNINGS.with(|w| w.borrow_mut().push(message.to_owned()));
}

/// Whether `name` looks like an environment variable name (`[A-Z_][A-Z0-9_]*`, at most
/// 64 characters), rather than a secret passed by mistake.
fn looks_like_variable(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(unix)]
fn os_bytes(value: OsString, _origin: &str) -> Outcome<Zeroizing<Vec<u8>>> {
    use std::os::unix::ffi::OsStringExt as _;
    Ok(Zeroizing::new(value.into_vec()))
}

#[cfg(not(unix))]
fn os_bytes(value: OsString, origin: &str) -> Outcome<Zeroizing<Vec<u8>>> {
    value
        .into_string()
        .map(|s| Zeroizing::new(s.into_bytes()))
        .map_err(|_| Failure::other(format!("the key in {origin} is not valid UTF-8")))
}

/// The keyring; `lenient` for the Flask and Django profiles (see [`load_key`]).
fn keyring(opts: &KeyOpts, lenient: bool) -> Outcome<Keyring> {
    let default = KeySource::Env(DEFAULT_KEY_ENV.into());
    let primary = load_key(
        opts.primary.as_ref().unwrap_or(&default),
        "signing",
        lenient,
    )?;
    let mut ring = Keyring::new(primary);
    for (i, source) in opts.fallbacks.iter().enumerate() {
        ring = ring.with_fallback(load_key(source, &format!("fallback:{i}"), lenient)?);
    }
    Ok(ring)
}

// ---------------------------------------------------------------------------------
// Commands

fn keygen() -> Outcome<u8> {
    let key = Key::try_generate().map_err(|e| Failure::other(e.to_string()))?;
    let mut line = Zeroizing::new(base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        key.expose_secret(),
    ));
    line.push('\n');
    print(&line)?;
    Ok(0)
}

fn encode(o: &EncodeArgs, keys: &KeyOpts) -> Outcome<u8> {
    let ring = keyring(keys, o.flask || o.django)?;
    let input = read_stdin("the JSON data")?;
    if o.flask {
        return encode_flask(o, ring, &input);
    }
    let data: Value = serde_json::from_slice(&input).map_err(|e| {
        Failure::other(format!(
            "stdin is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if o.django {
        return encode_django(o, ring, &data);
    }
    let mut builder = Codec::builder(ring)
        .salt(o.salt.as_deref().unwrap_or(DEFAULT_SALT))
        .compression(o.compress)
        .sealed(o.sealed);
    if let Some(ttl) = o.ttl {
        builder = builder.ttl(ttl);
    }
    let codec = builder.build();
    let token = match (o.expires_at, o.now) {
        (Some(at), _) => codec.encode_until(&data, at),
        (None, Some(now)) => codec.encode_at(&data, now),
        (None, None) => codec.encode(&data),
    }
    .map_err(|e| encode_failure(&e))?;
    print(&format!("{token}\n"))?;
    Ok(0)
}

fn encode_failure(e: &Error) -> Failure {
    match e {
        Error::TooLarge { len, max } => Failure::other(format!(
            "the data is too large for a token: it would be {len} bytes, the limit is {max}"
        )),
        other => Failure::other(other.to_string()),
    }
}

/// `encode --flask`: stdin is a Flask session in Flask's tagged JSON.
fn encode_flask(o: &EncodeArgs, ring: Keyring, input: &[u8]) -> Outcome<u8> {
    let session = flask::from_tagged_json(input).map_err(|e| {
        Failure::other(format!(
            "stdin is not a Flask session (a JSON object, in Flask's tagged JSON): {e}"
        ))
    })?;
    let codec = FlaskCodec::builder(ring)
        .salt(o.salt.as_deref().unwrap_or(flask::SESSION_SALT))
        .digest(o.digest.unwrap_or_default())
        .build();
    let token = match o.now {
        Some(t) => codec.encode_at(&session, t),
        None => codec.encode(&session),
    }
    .map_err(|e| encode_failure(&e))?;
    print(&format!("{token}\n"))?;
    Ok(0)
}

fn decode(o: &DecodeArgs, keys: &KeyOpts, token: &TokenArg) -> Outcome<u8> {
    let ring = keyring(keys, o.flask || o.django)?;
    let token = read_token(token)?;
    if o.flask {
        return decode_flask(o, ring, &token);
    }
    if o.django {
        return decode_django(o, ring, &token);
    }
    // Compressed tokens are read (inflated only after the signature verified, within
    // the default limits), whether or not the application writes them.
    let mut builder = Codec::builder(ring)
        .salt(o.salt.as_deref().unwrap_or(DEFAULT_SALT))
        .compression(true)
        .sealed(o.sealed);
    if let Some(leeway) = o.leeway {
        builder = builder.leeway(leeway);
    }
    let codec = builder.build();
    let now = o.now.unwrap_or_else(OffsetDateTime::now_utc);
    let verified = codec
        .decode_at::<Value>(&token, now)
        .map_err(|e| Failure::token(&e))?;
    let out = if o.meta {
        serde_json::json!({
            "data": verified.data,
            "expires_at": verified.expires_at.unix_timestamp(),
            "key": verified.key_used.to_string(),
        })
    } else {
        verified.data
    };
    print_data(&out.to_string())
}

/// Prints decoded data (one line of JSON) with every control character escaped, so
/// that session data cannot send terminal control sequences; the line still parses
/// to the same data.
fn print_data(json: &str) -> Outcome<u8> {
    print(&format!("{}\n", escape_controls(json)))?;
    Ok(0)
}

/// `decode --flask`: prints the session as Flask's tagged JSON, exactly as Flask
/// writes it.
fn decode_flask(o: &DecodeArgs, ring: Keyring, token: &str) -> Outcome<u8> {
    let mut builder = FlaskCodec::builder(ring)
        .salt(o.salt.as_deref().unwrap_or(flask::SESSION_SALT))
        .digest(o.digest.unwrap_or_default());
    if let Some(max_age) = o.max_age {
        builder = builder.max_age(max_age);
    }
    if let Some(leeway) = o.leeway {
        builder = builder.leeway(leeway);
    }
    let now = o.now.unwrap_or_else(OffsetDateTime::now_utc);
    let verified = builder
        .build()
        .decode_at(token, now)
        .map_err(|e| Failure::token(&e))?;
    let data = flask::to_tagged_json(&verified.data).map_err(|e| Failure::other(e.to_string()))?;
    let out = if o.meta {
        // Built by hand so that the data stays byte for byte what Flask writes.
        format!(
            "{{\"data\":{data},\"signed_at\":{},\"key\":\"{}\"}}",
            verified.signed_at.unix_timestamp(),
            verified.key_used
        )
    } else {
        data
    };
    print_data(&out)
}

/// `encode --django`: the JSON data as Django's session engine (or, with `--salt`,
/// `signing.dumps(..., compress=True)`) writes it.
fn encode_django(o: &EncodeArgs, ring: Keyring, data: &Value) -> Outcome<u8> {
    let codec = DjangoCodec::session_builder(ring)
        .salt(o.salt.as_deref().unwrap_or(django::SESSION_SALT))
        .build();
    let token = match o.now {
        Some(t) => codec.encode_at(data, t),
        None => codec.encode(data),
    }
    .map_err(|e| encode_failure(&e))?;
    print(&format!("{token}\n"))?;
    Ok(0)
}

/// `decode --django`: verifies a Django token and prints its JSON data.
fn decode_django(o: &DecodeArgs, ring: Keyring, token: &str) -> Outcome<u8> {
    let mut builder =
        DjangoCodec::session_builder(ring).salt(o.salt.as_deref().unwrap_or(django::SESSION_SALT));
    if let Some(max_age) = o.max_age {
        builder = builder.max_age(max_age);
    }
    if let Some(leeway) = o.leeway {
        builder = builder.leeway(leeway);
    }
    let now = o.now.unwrap_or_else(OffsetDateTime::now_utc);
    let codec = builder.build();
    // The session engine's tokens hold a session (a JSON object); any other salt is
    // `signing.loads`, which reads any JSON.
    let session = o
        .salt
        .as_deref()
        .is_none_or(|salt| salt == django::SESSION_SALT);
    let verified = if session {
        codec
            .decode_at::<django::DjangoSession>(token, now)
            .map(|v| (Value::Object(v.data), v.signed_at, v.key_used))
    } else {
        codec
            .decode_at::<Value>(token, now)
            .map(|v| (v.data, v.signed_at, v.key_used))
    };
    let (data, signed_at, key_used) = verified.map_err(|e| Failure::token(&e))?;
    let out = if o.meta {
        serde_json::json!({
            "data": data,
            "signed_at": signed_at.unix_timestamp(),
            "key": key_used.to_string(),
        })
    } else {
        data
    };
    print_data(&out.to_string())
}

fn inspect(arg: &TokenArg) -> Outcome<u8> {
    let token = read_token(arg)?;
    if token.starts_with("Fe26.") {
        return inspect_iron(&token);
    }
    // Colons never appear in native, Flask or sealed tokens: a Django token.
    if token.contains(':') {
        return inspect_django(&token);
    }
    // A sealed token is one base64url string; a signed one always has dots.
    if !token.contains('.') {
        if let Ok(seen) = sessionlib::sealed::inspect_unverified(&token) {
            return inspect_sealed(&seen);
        }
    }
    let seen = inspect_unverified(&token).map_err(|e| match e {
        Error::Malformed => Failure::new(
            EXIT_MALFORMED,
            "malformed session token: it does not have three dot-separated parts",
        ),
        other => Failure::token(&other),
    })?;

    let mut lines =
        vec!["nothing below is verified: anyone can write a token that says this".to_owned()];
    let shape_problem = seen
        .shape_problem()
        .and(seen.shape_problem_for(FLASK_SHA1_LEN));
    lines.push(match (seen.shape_problem(), shape_problem) {
        (None, _) => "shape: valid, as a native token or a Flask cookie signed with \
                      HMAC-SHA256 (the signature is NOT checked)"
            .to_owned(),
        (Some(_), None) => "shape: valid, as a Flask cookie signed with HMAC-SHA1 \
                            (the signature is NOT checked)"
            .to_owned(),
        (Some(problem), Some(_)) => format!("shape: INVALID: {problem}"),
    });
    lines.extend(contents_lines(
        &seen,
        "native tokens: the expiry; Flask: the signing time",
    ));
    lines.push(match seen.signature_len() {
        None => "signature: not decodable (not canonical base64url)".to_owned(),
        Some(32) => "signature: 32 bytes (the size of HMAC-SHA256)".to_owned(),
        Some(20) => "signature: 20 bytes (the size of HMAC-SHA1, as Flask uses)".to_owned(),
        Some(n) => format!("signature: {n} bytes"),
    });

    let mut out = String::new();
    for line in lines {
        let _ = writeln!(out, "UNVERIFIED {line}");
    }
    print(&out)?;
    match shape_problem {
        None => Ok(0),
        Some(problem) => Err(Failure::new(
            EXIT_MALFORMED,
            format!("malformed session token: {problem}"),
        )),
    }
}

/// `inspect` of a `django.core.signing` token.
fn inspect_django(token: &str) -> Outcome<u8> {
    let seen = django::inspect_unverified(token).map_err(|e| match e {
        Error::Malformed => Failure::new(
            EXIT_MALFORMED,
            "malformed Django token: it does not have three colon-separated parts",
        ),
        other => Failure::token(&other),
    })?;
    let mut lines = vec![
        "nothing below is verified: anyone can write a token that says this".to_owned(),
        match seen.shape_problem() {
            None => "shape: valid, as a Django token (django.core.signing, HMAC-SHA256; \
                     the signature is NOT checked)"
                .to_owned(),
            Some(problem) => format!("shape: INVALID: {problem}"),
        },
    ];
    lines.extend(contents_lines(&seen, "the signing time"));
    lines.push(match seen.signature_len() {
        None => "signature: not decodable (not canonical base64url)".to_owned(),
        Some(n) => format!("signature: {n} bytes"),
    });
    let mut out = String::new();
    for line in lines {
        let _ = writeln!(out, "UNVERIFIED {line}");
    }
    print(&out)?;
    match seen.shape_problem() {
        None => Ok(0),
        Some(problem) => Err(Failure::new(
            EXIT_MALFORMED,
            format!("malformed Django token: {problem}"),
        )),
    }
}

/// The lines of `inspect` on what a token holds: compression, the payload (pretty
/// JSON, escaped, or why there is none) and the timestamp, with what it means.
fn contents_lines(seen: &sessionlib::UnverifiedToken, timestamp_meaning: &str) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(n) = seen.compressed_len() {
        lines.push(format!("compressed: yes, {n} bytes of zlib"));
    }
    match (seen.payload(), seen.payload_json()) {
        (None, _) if seen.compressed_len().is_some() => lines.push(
            "payload: does not inflate (not zlib, or over 64 KiB or a ratio of 256)".to_owned(),
        ),
        (None, _) => lines.push("payload: not decodable (not canonical base64url)".to_owned()),
        (Some(bytes), Some(json)) => {
            lines.push(format!("payload: {} bytes of JSON:", bytes.len()));
            let pretty = serde_json::to_string_pretty(&json).unwrap_or_default();
            lines.extend(pretty.lines().map(|l| format!("  {}", escape_controls(l))));
        }
        (Some(bytes), None) => {
            let text = serde_json::to_string(&String::from_utf8_lossy(bytes)).unwrap_or_default();
            lines.push(format!(
                "payload: {} bytes, not JSON; as a string: {}",
                bytes.len(),
                escape_controls(&text)
            ));
        }
    }
    lines.push(match (seen.timestamp(), seen.timestamp_time()) {
        (None, _) => "timestamp: not decodable".to_owned(),
        (Some(t), None) => format!("timestamp: {t} (Unix time; out of range)"),
        (Some(t), Some(time)) => match rfc3339(time) {
            Some(text) => format!("timestamp: {t} = {text} ({timestamp_meaning})"),
            None => format!("timestamp: {t} (Unix time; a year RFC 3339 cannot write)"),
        },
    });
    lines
}

// ---------------------------------------------------------------------------------
// The Iron profile

/// The default variable of `--password-env`.
const DEFAULT_IRON_PASSWORD_ENV: &str = "SESSIONLIB_IRON_PASSWORD";

/// The passwords from `--password-env`: a plain string (id `1`, iron-session's; no id
/// with `--bare`) or iron-session's password map as a JSON object. Messages name the
/// variable only when it looks like one and never show its value.
fn iron_passwords(o: &IronArgs) -> Outcome<Passwords> {
    let name = o
        .password_env
        .clone()
        .unwrap_or_else(|| DEFAULT_IRON_PASSWORD_ENV.into());
    let origin = match name.to_str().filter(|n| looks_like_variable(n)) {
        Some(n) => format!("variable {n}"),
        None => "the variable named by --password-env".to_owned(),
    };
    let value = std::env::var_os(&name)
        .ok_or_else(|| Failure::other(format!("the Iron password: {origin} is not set")))?
        .into_string()
        .map(Zeroizing::new)
        .map_err(|_| Failure::other(format!("the Iron password in {origin} is not UTF-8")))?;
    let refused =
        |e: sessionlib::KeyError| Failure::other(format!("the Iron password from {origin}: {e}"));
    if value.starts_with('{') {
        let map: serde_json::Map<String, Value> = serde_json::from_str(&value).map_err(|_| {
            Failure::other(format!(
                "the Iron password map in {origin} is not a JSON object of id: password"
            ))
        })?;
        let mut pairs = Vec::with_capacity(map.len());
        for (id, secret) in &map {
            match secret {
                Value::String(secret) => pairs.push((id.as_str(), secret.as_str())),
                _ => {
                    return Err(Failure::other(format!(
                        "the Iron password map in {origin} has a password that is not a string"
                    )))
                }
            }
        }
        return Passwords::iron_session(&pairs).map_err(refused);
    }
    let password = if o.bare {
        iron::Password::new(&value)
    } else {
        iron::Password::with_id("1", &value)
    };
    password.map(Passwords::new).map_err(refused)
}

fn iron_suffix(o: &IronArgs) -> Suffix {
    if o.bare {
        Suffix::None
    } else {
        Suffix::IronSession
    }
}

/// `encode --iron`: seals the JSON data as an Iron token.
fn encode_iron(o: &EncodeArgs) -> Outcome<u8> {
    let passwords = iron_passwords(&o.iron)?;
    let input = read_stdin("the JSON data")?;
    let data: Value = serde_json::from_slice(&input).map_err(|e| {
        Failure::other(format!(
            "stdin is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let codec = IronCodec::builder(passwords)
        .suffix(iron_suffix(&o.iron))
        .ttl(o.ttl.unwrap_or(iron::DEFAULT_TTL))
        .build();
    let token = match o.now {
        Some(now) => codec.encode_at(&data, now),
        None => codec.encode(&data),
    }
    .map_err(|e| encode_failure(&e))?;
    print(&format!("{token}\n"))?;
    Ok(0)
}

/// `decode --iron`: opens an Iron token and prints its JSON data.
fn decode_iron(o: &DecodeArgs, token: &TokenArg) -> Outcome<u8> {
    let passwords = iron_passwords(&o.iron)?;
    let token = read_token(token)?;
    let codec = IronCodec::builder(passwords)
        .suffix(iron_suffix(&o.iron))
        .timestamp_skew(o.leeway.unwrap_or(iron::TIMESTAMP_SKEW))
        .build();
    let now = o.now.unwrap_or_else(OffsetDateTime::now_utc);
    let verified = codec
        .decode_at::<Value>(&token, now)
        .map_err(|e| Failure::token(&e))?;
    let out = if o.meta {
        let ms = verified
            .expires_at
            .map(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX));
        serde_json::json!({
            "data": verified.data,
            "expires_at": verified.expires_at.map(OffsetDateTime::unix_timestamp),
            "expires_at_ms": ms,
            "password_id": verified.password_id,
            "key": verified.key_used.to_string(),
        })
    } else {
        verified.data
    };
    print_data(&out.to_string())
}

/// `inspect` of an Iron token: only what the format does not encrypt.
fn inspect_iron(token: &str) -> Outcome<u8> {
    let seen = iron::inspect_unverified(token).map_err(|e| match e {
        Error::Malformed => Failure::new(
            EXIT_MALFORMED,
            "malformed Iron token: it is not Fe26.2 with eight *-separated fields of the \
             packages' shape (and, for iron-session, the suffix ~2)",
        ),
        other => Failure::token(&other),
    })?;
    let id = serde_json::to_string(&seen.password_id).unwrap_or_default();
    let lines = [
        "nothing below is verified: anyone can write a token that says this".to_owned(),
        format!(
            "iron: yes, Fe26.2 (PBKDF2-SHA1, AES-256-CBC, HMAC-SHA256){}; the data is \
             encrypted and cannot be shown without the password (use decode --iron)",
            if seen.iron_session_suffix {
                ", iron-session's suffix ~2"
            } else {
                ", no suffix (h3, @hapi/iron)"
            }
        ),
        format!("password id: {}", escape_controls(&id)),
        match (seen.unverified_expiration_ms, seen.unverified_expires_at()) {
            (None, _) => "expiration: none (sealed with a ttl of 0: never expires)".to_owned(),
            (Some(ms), Some(t)) => match rfc3339(t) {
                Some(text) => format!("expiration: {ms} ms = {text}"),
                None => format!("expiration: {ms} ms (Unix time)"),
            },
            (Some(ms), None) => format!("expiration: {ms} ms (Unix time; out of range)"),
        },
        format!(
            "data: {} bytes of encrypted JSON (the JSON is 1 to 16 bytes shorter)",
            seen.ciphertext_len
        ),
    ];
    let mut out = String::new();
    for line in lines {
        let _ = writeln!(out, "UNVERIFIED {line}");
    }
    print(&out)?;
    Ok(0)
}

/// `inspect` of a sealed token: only what the format does not encrypt.
fn inspect_sealed(seen: &sessionlib::sealed::UnverifiedSealedToken) -> Outcome<u8> {
    let expiry = seen.unverified_expiry;
    let lines = [
        "nothing below is verified: anyone can write a token that says this".to_owned(),
        format!(
            "sealed: yes, format version {} (XChaCha20-Poly1305); the data is encrypted \
             and cannot be shown without the key (use decode --sealed)",
            seen.version
        ),
        match seen.unverified_expires_at().and_then(rfc3339) {
            Some(text) => format!("expiry: {expiry} = {text}"),
            None => format!("expiry: {expiry} (Unix time; out of range)"),
        },
        format!("data: {} bytes of encrypted JSON", seen.ciphertext_len),
    ];
    let mut out = String::new();
    for line in lines {
        let _ = writeln!(out, "UNVERIFIED {line}");
    }
    print(&out)?;
    Ok(0)
}

/// Replaces every control character (C0 U+0000..U+001F, DEL U+007F, C1
/// U+0080..U+009F: exactly `char::is_control`) with a `\uXXXX` escape, so that a
/// crafted payload cannot send terminal control sequences. Used for all output that
/// holds session data (`decode`, `inspect`) and for stderr. In JSON text, where raw
/// control characters can only stand inside strings, the result is still JSON that
/// parses to the same value.
fn escape_controls(line: &str) -> String {
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
fn rfc3339(t: OffsetDateTime) -> Option<String> {
    t.format(&Rfc3339).ok()
}
