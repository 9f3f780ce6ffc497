//! `sessionlib`: make, verify and inspect session tokens from the command line.
//!
//! Built with `cargo build --features cli`; run `sessionlib --help` for everything it
//! does. Keys come from environment variables or files, never from the command line,
//! and no error message contains a token or a key.

use std::cell::RefCell;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::process::ExitCode;

use serde_json::Value;
use sessionlib::codec::DEFAULT_SALT;
use sessionlib::flask::{self, Digest, FlaskCodec};
use sessionlib::{inspect_unverified, Codec, Error, Key, KeyError, Keyring};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

const HELP: &str = "\
sessionlib: make, verify and inspect signed session tokens

USAGE:
    sessionlib keygen
    sessionlib encode [--salt S] [--ttl SECONDS | --expires-at UNIX] [--now UNIX]
                      [--compress] [KEY OPTIONS]                    < data.json
    sessionlib encode --flask [--salt S] [--now UNIX] [--digest sha1|sha256]
                      [KEY OPTIONS]                                 < session.json
    sessionlib decode [--salt S] [--leeway SECONDS] [--now UNIX] [--meta]
                      [--flask [--max-age SECONDS] [--digest sha1|sha256]]
                      [KEY OPTIONS] TOKEN
    sessionlib inspect TOKEN
    sessionlib --help | --version

COMMANDS:
    keygen    Print a new random secret (base64url of 64 random bytes), suitable for
              SESSIONLIB_SECRET_KEY. The secret is the printed text itself.
    encode    Read JSON from stdin (any JSON value; sessions are usually objects) and
              print a signed token for it. Object keys are written sorted, as
              compact JSON. With --flask, stdin is a Flask session: a JSON object in
              Flask's tagged JSON ({\" t\": [...]} for a tuple, {\" b\": ...} for
              bytes, ...; plain JSON is fine), and the output is a Flask cookie.
    decode    Verify TOKEN (signature, then expiry) and print its data as compact JSON.
              Compressed tokens are accepted and inflated after verification, up to
              64 KiB and a ratio of 256. With --flask, TOKEN is a Flask session
              cookie value, checked for age, and the data is printed as Flask's
              tagged JSON, byte for byte as Flask writes it.
    inspect   Decode TOKEN WITHOUT verifying it, for debugging. Every output line is
              marked UNVERIFIED: the payload (pretty JSON; inflated if compressed),
              the timestamp (Unix time and RFC 3339), the signature length, and
              whether the shape is valid (as a native token or a Flask cookie).
              Needs no key. Exits 0 for a valid shape, 3 otherwise.

    TOKEN may be `-` to read it from stdin (one trailing newline is removed).

OPTIONS:
    --salt S              The purpose the tokens are for; a token only verifies with
                          the salt it was made with. Default: sessionlib.session
                          (with --flask: cookie-session, Flask's).
    --ttl SECONDS         encode: lifetime of the token. Default: 1209600 (14 days).
                          Not with --flask.
    --expires-at UNIX     encode: the expiry as Unix time, instead of --ttl.
                          Not with --flask.
    --compress            encode: zlib-compress the payload when that makes it
                          shorter (as itsdangerous does; the token then starts
                          with a dot). Always on with --flask, as in Flask.
    --now UNIX            Use this Unix time as the current time, for reproducible
                          tokens and for checking tokens at another moment. With
                          --flask it is the signing time.
    --leeway SECONDS      decode: accept tokens up to this long after their expiry
                          (clock differences between servers). Default: 0.
                          With --flask: how far past --max-age, or how far in the
                          future, a signing time may be. Default: 30.
    --meta                decode: print {\"data\": ..., \"expires_at\": UNIX,
                          \"key\": \"primary\" | \"fallback:N\"} instead of the data
                          alone (with --flask, \"signed_at\" instead of \"expires_at\").
    --flask               Use the Flask session cookie profile: HMAC-SHA1, salt
                          cookie-session, the signing time instead of an expiry,
                          zlib compression, Flask's tagged JSON.
    --max-age SECONDS     decode --flask: the longest accepted cookie age (Flask's
                          PERMANENT_SESSION_LIFETIME). Default: 2678400 (31 days).
    --digest sha1|sha256  With --flask: the HMAC digest (Flask's
                          SecureCookieSessionInterface.digest_method).
                          Default: sha1.
    -h, --help            Print this help.
    -V, --version         Print the version.

KEY OPTIONS (encode, decode):
    Keys are never given on the command line. The secret is the raw bytes of the
    value (for Flask: the SECRET_KEY, and SECRET_KEY_FALLBACKS as fallback keys), and
    must be at least 32 bytes long; with --flask shorter keys are accepted, with a
    warning, since Flask apps often have them.
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
    0  success
    1  other error: missing or too short key, unreadable input, stdin is not JSON
       (or not a Flask session), the data does not fit in a token, the payload is
       not JSON
    2  usage error (unknown option, missing or bad argument)
    3  malformed token: not a token, wrong shape, too large, or a compressed
       payload that inflates past the limits
    4  invalid signature: changed, forged, another key or another salt
    5  expired, or (--flask) signed in the future; the signature is valid

    Error messages are one line on stderr and never contain the token or a key.

EXAMPLES:
    export SESSIONLIB_SECRET_KEY=\"$(sessionlib keygen)\"
    echo '{\"user_id\": 7}' | sessionlib encode --ttl 3600 > token.txt
    sessionlib decode --meta - < token.txt
    sessionlib inspect \"$(cat token.txt)\"
    sessionlib decode --flask --meta --key-env FLASK_SECRET_KEY \"$COOKIE\"
";

/// The default environment variable for the signing key.
const DEFAULT_KEY_ENV: &str = "SESSIONLIB_SECRET_KEY";

/// Largest input read from stdin or a key file, in bytes.
const MAX_INPUT: u64 = 1024 * 1024;

/// The signature length of Flask's default HMAC-SHA1.
const FLASK_SHA1_LEN: usize = 20;

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
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match run(args) {
        Ok(code) => {
            let mut stderr = io::stderr().lock();
            for warning in WARNINGS.with(RefCell::take) {
                let _ = writeln!(stderr, "sessionlib: warning: {warning}");
            }
            ExitCode::from(code)
        }
        Err(failure) => {
            // Nothing sensible is left to do if stderr itself is gone.
            let _ = writeln!(io::stderr(), "sessionlib: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn run(args: Vec<OsString>) -> Outcome<u8> {
    let command = parse(args)?;
    match command {
        Command::Help => print(HELP).map(|()| 0),
        Command::Version => {
            print(&format!("sessionlib {}\n", env!("CARGO_PKG_VERSION"))).map(|()| 0)
        }
        Command::Keygen => keygen(),
        Command::Encode(opts) => encode(&opts),
        Command::Decode(opts) => decode(&opts),
        Command::Inspect { token } => inspect(&token),
    }
}

// ---------------------------------------------------------------------------------
// Command-line parsing

#[derive(Debug)]
enum Command {
    Help,
    Version,
    Keygen,
    Encode(EncodeOpts),
    Decode(DecodeOpts),
    Inspect { token: TokenArg },
}

/// Where a key comes from.
#[derive(Debug, Clone)]
enum KeySource {
    Env(OsString),
    File(OsString),
}

#[derive(Debug, Default)]
struct KeyOpts {
    primary: Option<KeySource>,
    fallbacks: Vec<KeySource>,
}

#[derive(Debug, Default)]
struct EncodeOpts {
    keys: KeyOpts,
    salt: Option<String>,
    ttl: Option<u64>,
    expires_at: Option<i64>,
    now: Option<i64>,
    compress: bool,
    flask: bool,
    digest: Option<Digest>,
}

#[derive(Debug, Default)]
struct DecodeOpts {
    keys: KeyOpts,
    salt: Option<String>,
    leeway: Option<u64>,
    now: Option<i64>,
    meta: bool,
    flask: bool,
    max_age: Option<u64>,
    digest: Option<Digest>,
    token: Option<TokenArg>,
}

/// The token argument: the text itself, or `-` for stdin.
#[derive(Debug)]
enum TokenArg {
    Text(OsString),
    Stdin,
}

/// One parsed argument.
enum Arg {
    /// `--name` or `-x`, with the value of `--name=value` if present.
    Option(String, Option<OsString>),
    /// Anything else (also everything after `--`).
    Positional(OsString),
}

/// Splits arguments into options and positionals, without knowing which options take
/// values; those ask [`Args::value`] for the next argument.
struct Args {
    rest: std::vec::IntoIter<OsString>,
    only_positionals: bool,
}

impl Args {
    fn next(&mut self) -> Option<Arg> {
        let arg = self.rest.next()?;
        if self.only_positionals || arg == "-" {
            return Some(Arg::Positional(arg));
        }
        if arg == "--" {
            self.only_positionals = true;
            return self.next();
        }
        let Some(text) = arg.to_str() else {
            // Not UTF-8: not an option of ours; treat it as a positional (a token that
            // will be reported malformed, or an unexpected argument).
            return Some(Arg::Positional(arg));
        };
        if let Some(long) = text.strip_prefix("--") {
            return Some(match long.split_once('=') {
                Some((name, value)) => Arg::Option(format!("--{name}"), Some(value.into())),
                None => Arg::Option(format!("--{long}"), None),
            });
        }
        if text.len() == 2 && text.starts_with('-') {
            return Some(Arg::Option(text.to_owned(), None));
        }
        Some(Arg::Positional(arg))
    }

    /// The value of option `name`: the `=value` part, or the next argument.
    fn value(&mut self, name: &str, inline: Option<OsString>) -> Outcome<OsString> {
        match inline {
            Some(v) => Ok(v),
            None => self
                .rest
                .next()
                .ok_or_else(|| Failure::usage(format!("{name} needs a value"))),
        }
    }

    fn string(&mut self, name: &str, inline: Option<OsString>) -> Outcome<String> {
        self.value(name, inline)?
            .into_string()
            .map_err(|_| Failure::usage(format!("the value of {name} is not valid UTF-8")))
    }

    fn unsigned(&mut self, name: &str, inline: Option<OsString>) -> Outcome<u64> {
        let text = self.string(name, inline)?;
        text.parse::<u64>()
            .ok()
            .filter(|&n| i64::try_from(n).is_ok())
            .ok_or_else(|| {
                Failure::usage(format!(
                    "{name} needs a whole number of seconds (0 or more)"
                ))
            })
    }

    fn digest(&mut self, name: &str, inline: Option<OsString>) -> Outcome<Digest> {
        match self.string(name, inline)?.as_str() {
            "sha1" => Ok(Digest::Sha1),
            "sha256" => Ok(Digest::Sha256),
            _ => Err(Failure::usage("--digest must be sha1 or sha256")),
        }
    }

    fn unix_time(&mut self, name: &str, inline: Option<OsString>) -> Outcome<i64> {
        let text = self.string(name, inline)?;
        text.parse::<i64>()
            .ok()
            .filter(|&t| OffsetDateTime::from_unix_timestamp(t).is_ok())
            .ok_or_else(|| Failure::usage(format!("{name} needs a Unix time in seconds")))
    }
}

/// An option name safe to repeat in an error message: short and made of option
/// characters only (so a token or key passed by mistake is never echoed).
fn describe(name: &str) -> String {
    let plain = name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if plain {
        format!("unknown option '{name}'")
    } else {
        "unknown option".to_owned()
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, name: &str) -> Outcome<()> {
    if slot.is_some() {
        return Err(Failure::usage(format!("{name} given more than once")));
    }
    *slot = Some(value);
    Ok(())
}

/// Handles the key options; `Ok(false)` when `name` is not one of them.
fn key_option(
    keys: &mut KeyOpts,
    args: &mut Args,
    name: &str,
    inline: Option<OsString>,
) -> Outcome<bool> {
    match name {
        "--key-env" | "--key-file" => {
            let value = args.value(name, inline)?;
            let source = if name == "--key-env" {
                KeySource::Env(value)
            } else {
                KeySource::File(value)
            };
            if keys.primary.is_some() {
                return Err(Failure::usage(
                    "give one signing key: --key-env or --key-file, once",
                ));
            }
            keys.primary = Some(source);
        }
        "--fallback-key-env" => keys
            .fallbacks
            .push(KeySource::Env(args.value(name, inline)?)),
        "--fallback-key-file" => keys
            .fallbacks
            .push(KeySource::File(args.value(name, inline)?)),
        _ => return Ok(false),
    }
    Ok(true)
}

fn is_help(name: &str) -> bool {
    name == "--help" || name == "-h"
}

fn parse(args: Vec<OsString>) -> Outcome<Command> {
    let mut args = Args {
        rest: args.into_iter(),
        only_positionals: false,
    };
    let command = match args.next() {
        None => return Err(Failure::usage("no command given (see sessionlib --help)")),
        Some(Arg::Option(name, _)) if is_help(&name) => return Ok(Command::Help),
        Some(Arg::Option(name, _)) if name == "--version" || name == "-V" => {
            return Ok(Command::Version)
        }
        Some(Arg::Option(name, _)) => {
            return Err(Failure::usage(format!(
                "{} before the command (see sessionlib --help)",
                describe(&name)
            )))
        }
        Some(Arg::Positional(cmd)) => cmd,
    };
    match command.to_str() {
        Some("help") => Ok(Command::Help),
        Some("keygen") => parse_keygen(&mut args),
        Some("encode") => parse_encode(&mut args),
        Some("decode") => parse_decode(&mut args),
        Some("inspect") => parse_inspect(&mut args),
        _ => Err(Failure::usage(
            "unknown command; the commands are keygen, encode, decode and inspect",
        )),
    }
}

fn unexpected_argument(command: &str) -> Failure {
    Failure::usage(format!(
        "unexpected argument for {command} (see sessionlib --help)"
    ))
}

fn parse_keygen(args: &mut Args) -> Outcome<Command> {
    match args.next() {
        None => Ok(Command::Keygen),
        Some(Arg::Option(name, _)) if is_help(&name) => Ok(Command::Help),
        Some(Arg::Option(name, _)) => {
            Err(Failure::usage(format!("{} for keygen", describe(&name))))
        }
        Some(Arg::Positional(_)) => Err(unexpected_argument("keygen")),
    }
}

fn parse_encode(args: &mut Args) -> Outcome<Command> {
    let mut o = EncodeOpts::default();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg {
            Arg::Option(name, inline) => (name, inline),
            Arg::Positional(_) => {
                return Err(Failure::usage(
                    "encode takes no arguments; it reads the JSON data from stdin",
                ))
            }
        };
        if key_option(&mut o.keys, args, &name, inline.clone())? {
            continue;
        }
        match name.as_str() {
            n if is_help(n) => return Ok(Command::Help),
            "--salt" => set_once(&mut o.salt, args.string(&name, inline)?, &name)?,
            "--ttl" => set_once(&mut o.ttl, args.unsigned(&name, inline)?, &name)?,
            "--expires-at" => set_once(&mut o.expires_at, args.unix_time(&name, inline)?, &name)?,
            "--now" => set_once(&mut o.now, args.unix_time(&name, inline)?, &name)?,
            "--compress" => o.compress = no_value(&name, inline)?,
            "--flask" => o.flask = no_value(&name, inline)?,
            "--digest" => set_once(&mut o.digest, args.digest(&name, inline)?, &name)?,
            _ => return Err(Failure::usage(format!("{} for encode", describe(&name)))),
        }
    }
    if o.flask && (o.ttl.is_some() || o.expires_at.is_some()) {
        return Err(Failure::usage(
            "--ttl and --expires-at do not apply to --flask: a Flask cookie carries its \
             signing time (--now), and its lifetime is the reader's --max-age",
        ));
    }
    if !o.flask && o.digest.is_some() {
        return Err(Failure::usage("--digest needs --flask"));
    }
    if o.ttl.is_some() && o.expires_at.is_some() {
        return Err(Failure::usage("give --ttl or --expires-at, not both"));
    }
    if o.expires_at.is_some() && o.now.is_some() {
        return Err(Failure::usage(
            "--now has no effect with --expires-at; give one of them",
        ));
    }
    Ok(Command::Encode(o))
}

fn no_value(name: &str, inline: Option<OsString>) -> Outcome<bool> {
    match inline {
        None => Ok(true),
        Some(_) => Err(Failure::usage(format!("{name} takes no value"))),
    }
}

fn parse_decode(args: &mut Args) -> Outcome<Command> {
    let mut o = DecodeOpts::default();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg {
            Arg::Option(name, inline) => (name, inline),
            Arg::Positional(p) => {
                if o.token.is_some() {
                    return Err(unexpected_argument("decode"));
                }
                o.token = Some(token_arg(p));
                continue;
            }
        };
        if key_option(&mut o.keys, args, &name, inline.clone())? {
            continue;
        }
        match name.as_str() {
            n if is_help(n) => return Ok(Command::Help),
            "--salt" => set_once(&mut o.salt, args.string(&name, inline)?, &name)?,
            "--leeway" => set_once(&mut o.leeway, args.unsigned(&name, inline)?, &name)?,
            "--now" => set_once(&mut o.now, args.unix_time(&name, inline)?, &name)?,
            "--meta" => o.meta = no_value(&name, inline)?,
            "--flask" => o.flask = no_value(&name, inline)?,
            "--max-age" => set_once(&mut o.max_age, args.unsigned(&name, inline)?, &name)?,
            "--digest" => set_once(&mut o.digest, args.digest(&name, inline)?, &name)?,
            _ => return Err(Failure::usage(format!("{} for decode", describe(&name)))),
        }
    }
    if !o.flask && (o.max_age.is_some() || o.digest.is_some()) {
        return Err(Failure::usage("--max-age and --digest need --flask"));
    }
    if o.token.is_none() {
        return Err(Failure::usage(
            "decode needs a TOKEN argument (or - to read it from stdin)",
        ));
    }
    Ok(Command::Decode(o))
}

fn parse_inspect(args: &mut Args) -> Outcome<Command> {
    let mut token = None;
    while let Some(arg) = args.next() {
        match arg {
            Arg::Option(name, _) if is_help(&name) => return Ok(Command::Help),
            Arg::Option(name, _) => {
                return Err(Failure::usage(format!(
                    "{} for inspect (it takes only a TOKEN and needs no key)",
                    describe(&name)
                )))
            }
            Arg::Positional(p) => {
                if token.is_some() {
                    return Err(unexpected_argument("inspect"));
                }
                token = Some(token_arg(p));
            }
        }
    }
    let token = token.ok_or_else(|| {
        Failure::usage("inspect needs a TOKEN argument (or - to read it from stdin)")
    })?;
    Ok(Command::Inspect { token })
}

fn token_arg(arg: OsString) -> TokenArg {
    if arg == "-" {
        TokenArg::Stdin
    } else {
        TokenArg::Text(arg)
    }
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
/// With `flask`, keys shorter than [`Key::MIN_LEN`] are accepted, as Flask apps often
/// have them, with a warning on stderr.
fn load_key(source: &KeySource, role: &str, flask: bool) -> Outcome<Key> {
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
    let key = if flask {
        Key::from_flask_secret_key(&secret)
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

fn keyring(opts: &KeyOpts, flask: bool) -> Outcome<Keyring> {
    let default = KeySource::Env(DEFAULT_KEY_ENV.into());
    let primary = load_key(opts.primary.as_ref().unwrap_or(&default), "signing", flask)?;
    let mut ring = Keyring::new(primary);
    for (i, source) in opts.fallbacks.iter().enumerate() {
        ring = ring.with_fallback(load_key(source, &format!("fallback:{i}"), flask)?);
    }
    Ok(ring)
}

fn unix(t: i64) -> Outcome<OffsetDateTime> {
    // Checked while parsing; kept fallible rather than trusting that here.
    OffsetDateTime::from_unix_timestamp(t).map_err(|_| Failure::usage("time out of range"))
}

fn seconds(n: u64) -> Duration {
    Duration::seconds(i64::try_from(n).unwrap_or(i64::MAX))
}

// ---------------------------------------------------------------------------------
// Commands

fn keygen() -> Outcome<u8> {
    let key = Key::try_generate().map_err(|e| Failure::other(e.to_string()))?;
    let mut line = Zeroizing::new(sessionlib::encoding::encode(key.expose_secret()));
    line.push('\n');
    print(&line)?;
    Ok(0)
}

fn encode(o: &EncodeOpts) -> Outcome<u8> {
    let ring = keyring(&o.keys, o.flask)?;
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
    let mut builder = Codec::builder(ring)
        .salt(o.salt.as_deref().unwrap_or(DEFAULT_SALT))
        .compression(o.compress);
    if let Some(ttl) = o.ttl {
        builder = builder.ttl(seconds(ttl));
    }
    let codec = builder.build();
    let token = match (o.expires_at, o.now) {
        (Some(at), _) => codec.encode_until(&data, unix(at)?),
        (None, Some(now)) => codec.encode_at(&data, unix(now)?),
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
fn encode_flask(o: &EncodeOpts, ring: Keyring, input: &[u8]) -> Outcome<u8> {
    let session = flask::from_tagged_json(input).map_err(|e| {
        Failure::other(format!(
            "stdin is not a Flask session (a JSON object, in Flask's tagged JSON): {e}"
        ))
    })?;
    let codec = FlaskCodec::builder(ring)
        .salt(o.salt.as_deref().unwrap_or(flask::DEFAULT_SALT))
        .digest(o.digest.unwrap_or_default())
        .build();
    let token = match o.now {
        Some(t) => codec.encode_at(&session, unix(t)?),
        None => codec.encode(&session),
    }
    .map_err(|e| encode_failure(&e))?;
    print(&format!("{token}\n"))?;
    Ok(0)
}

fn decode(o: &DecodeOpts) -> Outcome<u8> {
    let token = match &o.token {
        Some(arg) => arg,
        None => return Err(Failure::usage("decode needs a TOKEN argument")),
    };
    let ring = keyring(&o.keys, o.flask)?;
    let token = read_token(token)?;
    if o.flask {
        return decode_flask(o, ring, &token);
    }
    // Compressed tokens are read (inflated only after the signature verified, within
    // the default limits), whether or not the application writes them.
    let mut builder = Codec::builder(ring)
        .salt(o.salt.as_deref().unwrap_or(DEFAULT_SALT))
        .compression(true);
    if let Some(leeway) = o.leeway {
        builder = builder.leeway(seconds(leeway));
    }
    let codec = builder.build();
    let now = match o.now {
        Some(t) => unix(t)?,
        None => OffsetDateTime::now_utc(),
    };
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
    print(&format!("{out}\n"))?;
    Ok(0)
}

/// `decode --flask`: prints the session as Flask's tagged JSON, exactly as Flask
/// writes it.
fn decode_flask(o: &DecodeOpts, ring: Keyring, token: &str) -> Outcome<u8> {
    let mut builder = FlaskCodec::builder(ring)
        .salt(o.salt.as_deref().unwrap_or(flask::DEFAULT_SALT))
        .digest(o.digest.unwrap_or_default());
    if let Some(max_age) = o.max_age {
        builder = builder.max_age(seconds(max_age));
    }
    if let Some(leeway) = o.leeway {
        builder = builder.leeway(seconds(leeway));
    }
    let now = match o.now {
        Some(t) => unix(t)?,
        None => OffsetDateTime::now_utc(),
    };
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
    print(&format!("{out}\n"))?;
    Ok(0)
}

fn inspect(arg: &TokenArg) -> Outcome<u8> {
    let token = read_token(arg)?;
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
        (Some(t), Some(time)) => format!(
            "timestamp: {t} = {} (native tokens: the expiry; Flask: the signing time)",
            rfc3339(time)
        ),
    });
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

/// Replaces control characters (which JSON may leave raw, such as U+007F..U+009F) with
/// JSON escapes, so a crafted payload cannot send terminal control sequences.
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

/// RFC 3339 in UTC, such as `2023-11-14T22:13:20Z`.
fn rfc3339(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
