//! The error type.
//!
//! Variants say what a caller can do, not how a check failed inside. No error value
//! holds the token, the session data or any key material: errors end up in logs.

use std::fmt;

use time::OffsetDateTime;

/// Everything that can go wrong when encoding or decoding a session.
///
/// For a web application the usual reaction to any decoding error is the same: treat
/// the request as having no session. The variants exist for logging and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The token is not shaped like a token: wrong number of parts, characters outside
    /// base64url, padding, non-canonical base64, an impossible length, or a validly
    /// signed timestamp that is out of range. Usually garbage or a truncated cookie.
    Malformed,
    /// The signature does not match any key of the keyring for this salt: the token was
    /// changed, forged, signed with a retired key or made for another purpose.
    InvalidSignature,
    /// The signature is valid but the token expired at `expired_at`.
    Expired {
        /// The signed expiry time of the token.
        expired_at: OffsetDateTime,
    },
    /// The signature is valid but the token claims to be signed in the future (beyond
    /// the leeway): a clock problem between servers, or a token made with a stolen key.
    /// Only the Flask and Django profiles, whose timestamp is the signing time, report
    /// this.
    NotYetValid {
        /// The signed signing time of the token.
        signed_at: OffsetDateTime,
    },
    /// The token (when decoding) or the encoded session (when encoding) is longer than
    /// the configured limit.
    TooLarge {
        /// The length in bytes.
        len: usize,
        /// The configured maximum in bytes.
        max: usize,
    },
    /// The session data could not be serialized to JSON (for example a map with
    /// non-string keys), or it nests arrays and objects more than 127 levels deep,
    /// deeper than decoding reads.
    Serialize,
    /// The token is valid, but its data does not fit the requested type.
    Deserialize(PayloadError),
    /// A compressed payload inflates to more than the configured limit (in size or in
    /// ratio to its compressed size). The signature was valid: the token was made by a
    /// key holder, so this is worth logging.
    DecompressionLimit {
        /// The limit that applied, in bytes.
        max: usize,
    },
    /// The requested expiry time cannot be written into a token: it is not after the
    /// Unix epoch, or the time-to-live overflows.
    ExpiryOutOfRange,
    /// A key was refused.
    Key(KeyError),
    /// The operating system's random number generator failed, so a nonce, a salt or a
    /// session id could not be made. Nothing was written; the call may be retried.
    Random,
    /// A cookie configuration was refused when it was built (see
    /// [`CookieConfigError`] for the reasons).
    CookieConfig(CookieConfigError),
    /// The `Set-Cookie` value (name, value and attributes) would be longer than
    /// browsers keep, so the browser would silently drop the cookie.
    CookieTooLarge {
        /// The length of the `Set-Cookie` value in bytes (for a session split into
        /// chunks, the length it would have as one cookie).
        len: usize,
        /// The maximum in bytes.
        max: usize,
    },
    /// The request carried several different, validly signed session cookies of the
    /// same name (or more of them than are examined), or, for a session split into
    /// chunks, two different values of one chunk name. The request is treated as having
    /// no session rather than guessing which one is meant.
    AmbiguousCookie,
    /// A session key reserved for sessionlib's own bookkeeping was written to.
    ReservedKey {
        /// The key (one of [`RESERVED_KEYS`](crate::session::RESERVED_KEYS)).
        key: &'static str,
    },
    /// A session asked for a lifetime ("remember me") longer than the configuration's
    /// `max_lifetime` allows.
    LifetimeTooLong {
        /// The longest lifetime allowed.
        max: time::Duration,
    },
}

impl Error {
    /// [`Error::TooLarge`] when `len` bytes are more than `max`: the first check of
    /// every decoder and encoder, before any other work.
    #[inline]
    pub(crate) fn check_len(len: usize, max: usize) -> Result<(), Error> {
        if len > max {
            return Err(Error::TooLarge { len, max });
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("malformed session token"),
            Self::InvalidSignature => f.write_str("invalid session token signature"),
            Self::Expired { expired_at } => write!(
                f,
                "session token expired at {} (Unix time)",
                expired_at.unix_timestamp()
            ),
            Self::NotYetValid { signed_at } => write!(
                f,
                "session token signed in the future, at {} (Unix time)",
                signed_at.unix_timestamp()
            ),
            Self::TooLarge { len, max } => {
                write!(f, "session token too large: {len} bytes, limit {max}")
            }
            Self::Serialize => f.write_str("session data cannot be serialized to JSON"),
            Self::Deserialize(e) => e.fmt(f),
            Self::DecompressionLimit { max } => write!(
                f,
                "compressed session data exceeds the decompression limit of {max} bytes"
            ),
            Self::ExpiryOutOfRange => f.write_str("session expiry time out of range"),
            Self::Key(e) => e.fmt(f),
            Self::Random => f.write_str("the operating system random number generator failed"),
            Self::CookieConfig(e) => e.fmt(f),
            Self::CookieTooLarge { len, max } => {
                write!(f, "session cookie too large: {len} bytes, limit {max}")
            }
            Self::AmbiguousCookie => {
                f.write_str("several different valid session cookies with the same name")
            }
            Self::ReservedKey { key } => write!(
                f,
                "session key {key:?} is reserved by sessionlib (it holds the session's own \
                 bookkeeping): use another key"
            ),
            Self::LifetimeTooLong { max } => write!(
                f,
                "session lifetime longer than the configured maximum of {} seconds \
                 (SessionConfigBuilder::max_lifetime)",
                max.whole_seconds()
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Key(e) => Some(e),
            Self::Deserialize(e) => Some(e),
            Self::CookieConfig(e) => Some(e),
            _ => None,
        }
    }
}

impl From<KeyError> for Error {
    fn from(e: KeyError) -> Self {
        Self::Key(e)
    }
}

impl From<CookieConfigError> for Error {
    fn from(e: CookieConfigError) -> Self {
        Self::CookieConfig(e)
    }
}

/// Why a cookie configuration was refused.
///
/// These are checked when the configuration is built, so that a mistake shows up at
/// start-up instead of as a cookie that browsers silently refuse to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CookieConfigError {
    /// The cookie name is empty or has a character outside the RFC 6265 token
    /// characters (visible ASCII except separators such as `;`, `=`, `,`, space).
    InvalidName,
    /// The path does not start with `/` or has a control character or `;`.
    InvalidPath,
    /// The domain is empty or has a character other than ASCII letters, digits, `-`
    /// and `.`.
    InvalidDomain,
    /// The salt is longer than 2³² − 1 bytes and cannot be length-prefixed.
    SaltTooLong,
    /// A name starting with `__Secure-` requires the `Secure` attribute.
    SecurePrefixWithoutSecure,
    /// A name starting with `__Host-` requires the `Secure` attribute.
    HostPrefixWithoutSecure,
    /// A name starting with `__Host-` requires `Path=/`.
    HostPrefixWithPath,
    /// A name starting with `__Host-` forbids a `Domain` attribute.
    HostPrefixWithDomain,
    /// `Partitioned` cookies require the `Secure` attribute.
    PartitionedWithoutSecure,
    /// `SameSite=None` requires the `Secure` attribute.
    SameSiteNoneWithoutSecure,
    /// The maximum number of chunks is outside `1..=`[`MAX_CHUNKS`](crate::cookies::MAX_CHUNKS).
    InvalidMaxChunks,
}

impl fmt::Display for CookieConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InvalidName => "invalid cookie name: it must be a non-empty RFC 6265 token",
            Self::InvalidPath => {
                "invalid cookie path: it must start with `/` and have no `;` or control characters"
            }
            Self::InvalidDomain => {
                "invalid cookie domain: only ASCII letters, digits, `-` and `.` are allowed"
            }
            Self::SaltTooLong => "salt too long to be length-prefixed",
            Self::SecurePrefixWithoutSecure => {
                "a `__Secure-` cookie name requires the Secure attribute"
            }
            Self::HostPrefixWithoutSecure => {
                "a `__Host-` cookie name requires the Secure attribute"
            }
            Self::HostPrefixWithPath => "a `__Host-` cookie name requires Path=/",
            Self::HostPrefixWithDomain => "a `__Host-` cookie name forbids a Domain attribute",
            Self::PartitionedWithoutSecure => "a Partitioned cookie requires the Secure attribute",
            Self::SameSiteNoneWithoutSecure => "SameSite=None requires the Secure attribute",
            Self::InvalidMaxChunks => "the maximum number of cookie chunks must be 1 to 4",
        })
    }
}

impl std::error::Error for CookieConfigError {}

/// Why [`CodecBuilder::try_build`](crate::CodecBuilder::try_build) refused the settings
/// of a codec: settings that cannot be combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecConfigError {
    /// Both sealing and compression are on; sealed payloads are never compressed.
    CompressedSealed,
}

impl fmt::Display for CodecConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CompressedSealed => "a sealed codec cannot compress its payloads",
        })
    }
}

impl std::error::Error for CodecConfigError {}

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The secret is shorter than the minimum (32 bytes for [`Key::from_bytes`]).
    ///
    /// [`Key::from_bytes`]: crate::Key::from_bytes
    TooShort {
        /// The length given, in bytes.
        len: usize,
        /// The minimum, in bytes.
        min: usize,
    },
    /// The secret is empty.
    Empty,
    /// The operating system's random number generator failed while a key was generated
    /// ([`Key::try_generate`](crate::Key::try_generate)). Nonces, salts and session ids
    /// report [`Error::Random`] instead.
    Random,
    /// The environment variable that should hold a key is not set
    /// ([`Keyring::from_env`](crate::Keyring::from_env)).
    NotSet {
        /// The variable's name.
        variable: String,
    },
    /// An Iron password is shorter than the packages accept
    /// ([`iron::MIN_PASSWORD_LEN`](crate::iron::MIN_PASSWORD_LEN), 32 characters).
    PasswordTooShort {
        /// The length given, in characters (UTF-16 code units, as JavaScript counts).
        len: usize,
        /// The minimum, in characters.
        min: usize,
    },
    /// An Iron password id is not `[A-Za-z0-9_]+` of at most 64 characters (or, for
    /// iron-session's password map, not a decimal number), or the map is empty.
    InvalidPasswordId,
    /// Two Iron passwords of one ring would open the same tokens (the same id).
    DuplicatePasswordId,
    /// The key in an environment variable was refused
    /// ([`Keyring::from_env`](crate::Keyring::from_env)). The value is never shown.
    InVariable {
        /// The variable's name.
        variable: String,
        /// Why the key was refused.
        reason: Box<KeyError>,
    },
}

/// The one-line way to make a key that the errors of
/// [`Keyring::from_env`](crate::Keyring::from_env) suggest: 64 hex characters, which
/// `from_env` reads as 64 bytes of key.
const MAKE_A_KEY: &str = "openssl rand -hex 32";

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { len, min } => write!(
                f,
                "secret key too short: {len} bytes, at least {min} required"
            ),
            Self::Empty => f.write_str("secret key is empty"),
            Self::PasswordTooShort { len, min } => write!(
                f,
                "password too short: {len} characters, at least {min} required"
            ),
            Self::InvalidPasswordId => f.write_str(
                "invalid password id: it must be letters, digits or _ (a number for a password map)",
            ),
            Self::DuplicatePasswordId => f.write_str("two passwords have the same id"),
            Self::Random => f.write_str("the operating system random number generator failed"),
            Self::NotSet { variable } => write!(
                f,
                "{variable} is not set (make a key of at least 32 bytes with: {MAKE_A_KEY})"
            ),
            Self::InVariable { variable, reason } => match **reason {
                Self::TooShort { .. } | Self::Empty => {
                    write!(f, "{variable}: {reason} (make a key with: {MAKE_A_KEY})")
                }
                _ => write!(f, "{variable}: {reason}"),
            },
        }
    }
}

impl std::error::Error for KeyError {}

/// A verified token whose data does not fit the requested type.
///
/// It names where in the data the mismatch is (such as `cart.items[2].qty`) and what
/// kind of mismatch it is, but never the data itself. Map keys that do not look like
/// identifiers are shown as `[?]`, since they come from the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError {
    path: String,
    kind: PayloadErrorKind,
}

/// The kind of a [`PayloadError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadErrorKind {
    /// The payload is not valid JSON.
    Syntax,
    /// The JSON does not match the type (wrong type, missing or unknown field, value
    /// out of range).
    Data,
}

impl PayloadError {
    pub(crate) fn new(path: String, kind: PayloadErrorKind) -> Self {
        Self { path, kind }
    }

    /// Where in the data the error is, such as `user.roles[1]`; empty for the whole
    /// value or for a syntax error.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What kind of error it is.
    pub fn kind(&self) -> PayloadErrorKind {
        self.kind
    }
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, self.path.is_empty()) {
            (PayloadErrorKind::Syntax, _) => f.write_str("session data is not valid JSON"),
            (_, true) => f.write_str("session data does not match the expected type"),
            (_, false) => write!(
                f,
                "session data does not match the expected type at `{}`",
                self.path
            ),
        }
    }
}

impl std::error::Error for PayloadError {}
