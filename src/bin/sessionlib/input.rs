//! What a command reads: stdin (data or a token), the token argument, and keys from
//! variables or files; warnings kept until the command has succeeded.

use std::cell::RefCell;
use std::ffi::OsString;
use std::io::{self, Read};

use sessionlib::{Error, Key, KeyError, Keyring};
use zeroize::Zeroizing;

use crate::args::{KeyOpts, KeySource, TokenArg};
use crate::{Failure, Outcome};

/// The default environment variable for the signing key.
const DEFAULT_KEY_ENV: &str = "SESSIONLIB_SECRET_KEY";

/// Largest input read from stdin or a key file, in bytes.
const MAX_INPUT: u64 = 1024 * 1024;

/// Reads all of stdin, up to [`MAX_INPUT`] bytes.
pub(crate) fn read_stdin(what: &str) -> Outcome<Vec<u8>> {
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
pub(crate) fn read_token(arg: &TokenArg) -> Outcome<String> {
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
pub(crate) fn warn(message: &str) {
    WARNINGS.with(|w| w.borrow_mut().push(message.to_owned()));
}

/// Whether `name` looks like an environment variable name (`[A-Z_][A-Z0-9_]*`, at most
/// 64 characters), rather than a secret passed by mistake.
pub(crate) fn looks_like_variable(name: &str) -> bool {
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
pub(crate) fn keyring(opts: &KeyOpts, lenient: bool) -> Outcome<Keyring> {
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

/// The warnings recorded so far, for `main` to print once the command has succeeded.
pub(crate) fn take_warnings() -> Vec<String> {
    WARNINGS.with(RefCell::take)
}
