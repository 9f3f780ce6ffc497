//! Layer 7: the Iron profile (feature `iron`): `Fe26.2` tokens as the JavaScript
//! packages write them.
//!
//! Reads and writes the sealed cookies of [iron-session] 8 (Next.js, and WorkOS
//! AuthKit, which seals its session with it), of [h3]'s `useSession` (Nuxt, Nitro) and
//! of [@hapi/iron], so a Rust service can share a login with a Node app or take over
//! from it route by route. Unlike the other profiles, an Iron token is *encrypted*:
//! the data cannot be read without the password.
//!
//! ```
//! use sessionlib::iron::{IronCodec, Password, Passwords};
//! # fn main() -> Result<(), sessionlib::Error> {
//! // iron-session's `password`: a string (id "1"), or a map {1: "...", 2: "..."}.
//! let passwords = Passwords::iron_session(&[("1", "a password of at least 32 characters")])?;
//! let codec = IronCodec::iron_session(passwords);
//!
//! let cookie = codec.encode(&serde_json::json!({"user": {"id": 7}}))?;
//! assert!(cookie.starts_with("Fe26.2*1*") && cookie.ends_with("~2"));
//!
//! let verified = codec.decode::<serde_json::Value>(&cookie)?;
//! assert_eq!(verified.data["user"]["id"], 7);
//! assert_eq!(verified.password_id, "1");
//! # Ok(())
//! # }
//! ```
//!
//! [iron-session]: https://github.com/vvo/iron-session
//! [h3]: https://github.com/h3js/h3
//! [@hapi/iron]: https://github.com/hapijs/iron
//!
//! # Wire format
//!
//! Checked against the sources of iron-webcrypto 1.2.1 (which iron-session 8 and h3 1
//! call) and @hapi/iron 7.0.1:
//!
//! ```text
//! token     = sealed [ "~2" ]            ; "~2": iron-session's version; h3 and @hapi/iron
//!                                        ; write the sealed string alone
//! sealed    = macBase "*" hmacSalt "*" hmac
//! macBase   = "Fe26.2" "*" passwordId "*" encSalt "*" iv "*" encrypted "*" expiration
//! passwordId = "" | 1*( A-Z a-z 0-9 _ )   ; iron-session: "1", or the key of its map
//! encSalt, hmacSalt = 64 lower-case hex digits (256 random bits)
//! iv        = b64(16 random bytes)
//! encrypted = b64(AES-256-CBC(key = encKey, iv, PKCS#7 padding, JSON.stringify(data)))
//! expiration = "" | decimal Unix time in milliseconds  ; "" when the ttl is 0
//! hmac      = b64(HMAC-SHA256(key = hmacKey, macBase))
//! encKey    = PBKDF2-HMAC-SHA1(password, salt = encSalt as text, 1 iteration, 32 bytes)
//! hmacKey   = PBKDF2-HMAC-SHA1(password, salt = hmacSalt as text, 1 iteration, 32 bytes)
//! b64       = base64url without "=" padding
//! ```
//!
//! The password is a string of at least 32 characters (counted as JavaScript counts
//! them, in UTF-16 code units), used as its UTF-8 bytes; the salts are used as their
//! 64 ASCII characters, not as the bytes they spell. A token is expired once
//! `expiration <= now - 60 s` (the packages' `timestampSkewSec`), in milliseconds.
//!
//! iron-session seals with the password of the highest numeric id of its map (a plain
//! string is the map `{1: password}`) and unseals with the one named in the token; its
//! default `ttl` is 14 days and its cookie's `Max-Age` is the ttl less 60 seconds
//! ([`IronCodec::cookie_max_age`]). h3 seals its whole session object `{id, createdAt,
//! data}` ([`H3Session`]) under a single password with an empty id, with an
//! expiration only when `maxAge` is set.
//!
//! # Decoding order
//!
//! 1. The length, against [`IronCodecBuilder::max_token_len`]: [`Error::TooLarge`].
//! 2. The shape, before any key is derived: the suffix (`~2` for iron-session, none
//!    for h3), eight `*`-separated fields, the prefix, the password id, both salts as
//!    64 lower-case hex digits, a 16-byte IV, a ciphertext of whole AES blocks, the
//!    expiration in canonical decimal, a 32-byte HMAC, every base64url field
//!    canonical. Anything else is [`Error::Malformed`].
//! 3. The password named by the id; an unknown id is [`Error::InvalidSignature`],
//!    still before any key derivation.
//! 4. The HMAC over the exact received text, compared in constant time (only the HMAC
//!    key is derived for it; the encryption key after it passes). A mismatch is
//!    [`Error::InvalidSignature`]. Nothing is decrypted before this passes, so padding
//!    errors are never observable to a forger.
//! 5. The expiration: [`Error::Expired`]; beyond the time range, [`Error::Malformed`].
//! 6. Decryption and padding (an error here can only come from a password holder:
//!    [`Error::Malformed`]), then the JSON, from a buffer wiped when dropped.
//!
//! Derived keys live in wiped buffers. Every error is one of the crate's [`Error`]
//! kinds, the same as for the other profiles, and none holds token, data or key
//! material.
//!
//! # Cost
//!
//! Every Iron token carries its own two salts, so each one needs two PBKDF2
//! derivations (with one iteration: about 8 SHA-1 compressions each) besides the
//! HMAC and the AES work; `benches/codec.rs` (group `iron`) measures it. A codec
//! keeps a small cache of derived keys, filled only with keys that have proven
//! themselves: those of tokens it sealed, and those of tokens whose HMAC verified. A
//! browser sends the same cookie on every request, so after its first request a
//! session is unsealed without PBKDF2; forged tokens, whatever their salts, never
//! enter the cache. The cache has a fixed number of slots
//! ([`IronCodecBuilder::key_cache`], default [`DEFAULT_KEY_CACHE`]): it never grows.
//!
//! # Deliberate differences from the packages
//!
//! sessionlib reads with the same strict rules as its other profiles, so it refuses
//! some tokens the packages accept. Each is pinned by a vector made with the packages
//! (`tests/vectors/iron.json`, cases with `"packages_accept": true`):
//!
//! - Salts that are not 64 lower-case hex digits (the packages use any non-empty text
//!   as a salt, so a token sealed with other `saltBits` opens there): Malformed.
//! - Non-canonical base64url (padding, non-zero unused bits), which the decoders
//!   tolerate inside the MAC'd text: Malformed.
//! - An expiration with a leading zero, or one past the time range (the packages
//!   read any run of digits): Malformed.
//! - A password without an id (h3's and @hapi/iron's plain string password) opens
//!   only tokens with an empty id; the packages ignore the id of a token when given a
//!   plain string.
//! - For iron-session, exactly the suffix `~2`: iron-session reads `~02`, `~2x` or
//!   `~2~anything` as version 2, and a token without a suffix or with another version
//!   as an iron-session 6 cookie (returning its `persistent` field); sessionlib
//!   refuses them. Use [`Suffix::None`] for tokens without a suffix.
//! - Plaintext that is not UTF-8 (the packages substitute U+FFFD), JSON with lone
//!   surrogate escapes (which `JSON.stringify` writes for lone surrogates), and an
//!   empty plaintext (the packages return `null`): a [`Error::Deserialize`] error.
//!
//! Differences that are not about refusing a token: object keys are written sorted
//! when the data is a [`serde_json::Value`] (JavaScript keeps insertion order), and
//! numbers are written as serde_json writes them (`1e16` where JavaScript writes
//! `10000000000000000`); both parse to the same data.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hmac::{Hmac, KeyInit, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::clock::{Clock, IntoDuration, SharedClock};
use crate::encoding;
use crate::error::{Error, KeyError};
use crate::key::{Key, KeyUsed};

/// The prefix of every token: `Fe26.2` (`Fe26.` and MAC format version 2).
pub(crate) const PREFIX: &str = "Fe26.2";

/// iron-session's version suffix, appended to the sealed string: `~2`.
pub(crate) const IRON_SESSION_SUFFIX: &str = "~2";

/// The shortest password the packages accept: 32 characters (UTF-16 code units).
pub const MIN_PASSWORD_LEN: usize = 32;

/// iron-session's default `ttl`: 14 days.
pub const DEFAULT_TTL: Duration = Duration::days(14);

/// The packages' `timestampSkewSec`: a token is accepted until 60 seconds after its
/// expiration.
pub const TIMESTAMP_SKEW: Duration = Duration::seconds(60);

/// h3's default session (and cookie) name: `h3`.
pub const H3_COOKIE_NAME: &str = "h3";

/// The default number of slots of the derived-key cache: 256.
pub const DEFAULT_KEY_CACHE: usize = 256;

/// The default maximum token length: 4096 bytes, the browser limit for a cookie.
pub const DEFAULT_MAX_TOKEN_LEN: usize = crate::codec::DEFAULT_MAX_TOKEN_LEN;

/// Length of a salt as written: 64 hex digits (256 bits).
const SALT_LEN: usize = 64;
/// AES block and IV length.
const BLOCK: usize = 16;
/// Length of the HMAC-SHA256 output.
const MAC_LEN: usize = 32;
/// Base64url length of the IV (16 bytes) and of the HMAC (32 bytes).
const IV_B64_LEN: usize = encoding::encoded_len(BLOCK);
const MAC_B64_LEN: usize = encoding::encoded_len(MAC_LEN);
/// The longest password id accepted (the packages set none; ids are short numbers).
const MAX_ID_LEN: usize = 64;
/// The longest expiration in digits: `u64::MAX` has 20.
const MAX_EXPIRATION_DIGITS: usize = 20;
/// The password id the packages look up for a token without one, in a password map.
const DEFAULT_ID: &str = "default";

type HmacSha256 = Hmac<sha2::Sha256>;
type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// Which suffix tokens carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Suffix {
    /// iron-session 8's `~2` after the sealed string. Tokens without it, or with
    /// another, are [`Error::Malformed`].
    #[default]
    IronSession,
    /// None: the sealed string alone, as h3's `useSession` and @hapi/iron write it.
    /// Tokens with a `~` are [`Error::Malformed`].
    None,
}

/// A password with its id: what the packages call `{id, secret}`.
///
/// The secret is kept as a [`Key`] (redacted in `Debug`, wiped on drop).
///
/// ```
/// use sessionlib::iron::Password;
/// let p = Password::with_id("2", "a password of at least 32 characters").unwrap();
/// assert_eq!(p.id(), "2");
/// assert!(format!("{p:?}").contains("redacted"));
/// assert!(Password::new("too short").is_err());
/// assert!(Password::with_id("not*valid", "a password of at least 32 characters").is_err());
/// ```
#[derive(Clone)]
pub struct Password {
    id: String,
    secret: Key,
}

impl Password {
    /// A password without an id, as h3 and @hapi/iron take a plain string: it seals
    /// tokens with an empty id and opens only those.
    ///
    /// Fails with [`KeyError::PasswordTooShort`] for fewer than [`MIN_PASSWORD_LEN`]
    /// characters (UTF-16 code units, as JavaScript counts them).
    pub fn new(secret: &str) -> Result<Self, KeyError> {
        Self::make(String::new(), secret)
    }

    /// A password with an id (`[A-Za-z0-9_]+`, at most 64 characters), as in
    /// iron-session's password map `{1: "..."}`: it seals tokens with this id and opens
    /// those that name it. The id `default` also opens tokens without an id, as a
    /// map's `default` entry does in the packages.
    ///
    /// Fails with [`KeyError::InvalidPasswordId`] for another id and
    /// [`KeyError::PasswordTooShort`] for a short password.
    pub fn with_id(id: &str, secret: &str) -> Result<Self, KeyError> {
        if !valid_id(id.as_bytes()) || id.is_empty() {
            return Err(KeyError::InvalidPasswordId);
        }
        Self::make(id.to_owned(), secret)
    }

    fn make(id: String, secret: &str) -> Result<Self, KeyError> {
        let len = secret.encode_utf16().count();
        if len < MIN_PASSWORD_LEN {
            return Err(KeyError::PasswordTooShort {
                len,
                min: MIN_PASSWORD_LEN,
            });
        }
        Ok(Self {
            id,
            secret: Key::from_secret(secret.as_bytes().to_vec()),
        })
    }

    /// The id; empty for a password made with [`Password::new`].
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether this password opens a token with the id `token_id`.
    fn opens(&self, token_id: &[u8]) -> bool {
        self.id.as_bytes() == token_id || (token_id.is_empty() && self.id == DEFAULT_ID)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Password")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The passwords of a codec: the current one, which seals, and older ones that only
/// open tokens (rotation). A token is opened by the password its id names, so each
/// token costs one password's key derivations, whatever the number of passwords.
///
/// ```
/// use sessionlib::iron::{Password, Passwords};
/// # fn main() -> Result<(), sessionlib::Error> {
/// let ring = Passwords::new(Password::with_id("2", "the new password, 32 characters or more")?)
///     .with_fallback(Password::with_id("1", "the old password, 32 characters or more")?)?;
/// assert_eq!(ring.current().id(), "2");
/// // The same, as iron-session's map: the highest id seals.
/// let map = Passwords::iron_session(&[
///     ("1", "the old password, 32 characters or more"),
///     ("2", "the new password, 32 characters or more"),
/// ])?;
/// assert_eq!(map.current().id(), "2");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Passwords {
    current: Password,
    fallbacks: Vec<Password>,
}

impl Passwords {
    /// A ring with one password, which seals and opens.
    pub fn new(current: Password) -> Self {
        Self {
            current,
            fallbacks: Vec::new(),
        }
    }

    /// The current password first, then the fallbacks in the order added.
    fn iter(&self) -> impl Iterator<Item = &Password> {
        std::iter::once(&self.current).chain(&self.fallbacks)
    }

    /// Adds a password that opens tokens but seals none. Fallbacks are numbered from 0
    /// in the order added, as [`KeyUsed::Fallback`] reports them.
    ///
    /// Fails with [`KeyError::DuplicatePasswordId`] when a password of the ring has
    /// the same id (or both are `default` and empty, which open the same tokens).
    pub fn with_fallback(mut self, password: Password) -> Result<Self, KeyError> {
        let clash = |a: &str, b: &str| a == b || (a.is_empty() && b == DEFAULT_ID);
        if self
            .iter()
            .any(|p| clash(&p.id, &password.id) || clash(&password.id, &p.id))
        {
            return Err(KeyError::DuplicatePasswordId);
        }
        self.fallbacks.push(password);
        Ok(self)
    }

    /// iron-session's `password` option as a map of ids to passwords (a plain string
    /// is `[("1", password)]`): the password with the highest numeric id seals, as in
    /// iron-session; the others open tokens, numbered as fallbacks from the next
    /// highest id down. Ids must be decimal numbers.
    ///
    /// Fails with [`KeyError::InvalidPasswordId`] for an id that is not a decimal
    /// number or an empty map, [`KeyError::DuplicatePasswordId`] for a repeated id and
    /// [`KeyError::PasswordTooShort`] for a short password.
    pub fn iron_session(map: &[(&str, &str)]) -> Result<Self, KeyError> {
        let mut numbered = Vec::with_capacity(map.len());
        for &(id, secret) in map {
            let number =
                (!id.is_empty() && id.len() <= 15 && id.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| id.parse::<u64>().ok())
                    .flatten()
                    .ok_or(KeyError::InvalidPasswordId)?;
            numbered.push((number, Password::with_id(id, secret)?));
        }
        // Highest first; equal numbers (`1` and `01`) are duplicates to JavaScript.
        numbered.sort_by_key(|(number, _)| std::cmp::Reverse(*number));
        if numbered
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.0 == b.0))
        {
            return Err(KeyError::DuplicatePasswordId);
        }
        let mut passwords = numbered.into_iter().map(|(_, p)| p);
        let current = passwords.next().ok_or(KeyError::InvalidPasswordId)?;
        passwords.try_fold(Self::new(current), Self::with_fallback)
    }

    /// The password that seals.
    pub fn current(&self) -> &Password {
        &self.current
    }

    /// The number of passwords.
    pub fn len(&self) -> usize {
        1 + self.fallbacks.len()
    }

    /// Always false: a ring has a current password.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl From<Password> for Passwords {
    fn from(current: Password) -> Self {
        Self::new(current)
    }
}

/// A decoded, verified Iron token.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct IronVerified<T> {
    /// The data.
    pub data: T,
    /// The expiration the token carries (milliseconds are kept), or `None` for a token
    /// sealed with a ttl of 0, which never expires.
    pub expires_at: Option<OffsetDateTime>,
    /// The password id the token names (empty for a token without one).
    pub password_id: String,
    /// Which password opened it: `Primary` for the current one, `Fallback(i)` for the
    /// `i`-th fallback.
    pub key_used: KeyUsed,
}

impl<T> IronVerified<T> {
    /// Whether the token was opened by a fallback password and should be sealed again
    /// with the current one.
    pub fn needs_reissue(&self) -> bool {
        self.key_used.is_fallback()
    }
}

/// h3's session object, what `useSession` seals: a random id, the creation time in
/// Unix milliseconds and the data. h3 refuses a session older than its `maxAge` by
/// `createdAt`, besides the token's expiration; [`H3Session::is_older_than`] does the
/// same check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct H3Session {
    /// The session id (`crypto.randomUUID()` in h3).
    pub id: String,
    /// When the session was created, in Unix milliseconds.
    #[serde(rename = "createdAt")]
    pub created_at: i64,
    /// The session data.
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl H3Session {
    /// A new session created at `now`, with a random id (a UUID v4, as h3 makes).
    pub fn new(now: OffsetDateTime) -> Result<Self, Error> {
        let mut b = [0u8; 16];
        getrandom::fill(&mut b).map_err(|_| Error::Random)?;
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let n = u128::from_be_bytes(b);
        let id = format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            n >> 96,
            (n >> 80) & 0xffff,
            (n >> 64) & 0xffff,
            (n >> 48) & 0xffff,
            n & 0xffff_ffff_ffff
        );
        Ok(Self {
            id,
            created_at: unix_ms(now),
            data: serde_json::Map::new(),
        })
    }

    /// h3's `maxAge` check: whether more than `max_age` has passed since `createdAt`
    /// at `now`.
    pub fn is_older_than(&self, max_age: Duration, now: OffsetDateTime) -> bool {
        i128::from(unix_ms(now)) - i128::from(self.created_at) > max_age.whole_milliseconds()
    }
}

/// Seals and opens Iron tokens. `Send + Sync`, cheap to clone (clones share the key
/// cache).
#[derive(Clone)]
pub struct IronCodec {
    inner: Arc<Inner>,
}

struct Inner {
    passwords: Passwords,
    suffix: Suffix,
    ttl: Duration,
    skew: Duration,
    offset: Duration,
    max_token_len: usize,
    clock: SharedClock,
    cache: KeyCache,
}

impl fmt::Debug for IronCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.inner.passwords.iter().map(Password::id).collect();
        f.debug_struct("IronCodec")
            .field("password_ids", &ids)
            .field("suffix", &self.inner.suffix)
            .field("ttl", &self.inner.ttl)
            .field("timestamp_skew", &self.inner.skew)
            .field("max_token_len", &self.inner.max_token_len)
            .finish_non_exhaustive()
    }
}

/// Settings for an [`IronCodec`], made by [`IronCodec::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct IronCodecBuilder {
    passwords: Passwords,
    suffix: Suffix,
    ttl: Duration,
    skew: Duration,
    offset: Duration,
    max_token_len: usize,
    cache: usize,
    clock: SharedClock,
}

impl IronCodecBuilder {
    /// The suffix tokens carry: `~2` for iron-session, none for h3 and @hapi/iron.
    ///
    /// Defaults to [`Suffix::IronSession`].
    pub fn suffix(mut self, suffix: Suffix) -> Self {
        self.suffix = suffix;
        self
    }

    /// How long a sealed token lasts: its expiration is the sealing time plus this, in
    /// milliseconds (iron-session's `ttl`, h3's `maxAge`). Zero seals tokens without
    /// an expiration, which never expire (the packages' `ttl: 0`); negative values
    /// count as zero.
    ///
    /// Defaults to [`DEFAULT_TTL`] (14 days, iron-session's).
    pub fn ttl(mut self, ttl: impl IntoDuration) -> Self {
        self.ttl = ttl.into_duration().max(Duration::ZERO);
        self
    }

    /// How long after its expiration a token is still accepted (the packages'
    /// `timestampSkewSec`). Negative values count as zero.
    ///
    /// Defaults to [`TIMESTAMP_SKEW`] (60 seconds).
    pub fn timestamp_skew(mut self, skew: impl IntoDuration) -> Self {
        self.skew = skew.into_duration().max(Duration::ZERO);
        self
    }

    /// Added to the clock's time when sealing and opening (the packages'
    /// `localtimeOffsetMsec`), for a clock known to be off.
    ///
    /// Defaults to zero.
    pub fn localtime_offset(mut self, offset: impl IntoDuration) -> Self {
        self.offset = offset.into_duration();
        self
    }

    /// The longest token decoded or produced, in bytes, suffix included. Longer input
    /// is refused with [`Error::TooLarge`] before any other work.
    ///
    /// Defaults to [`DEFAULT_MAX_TOKEN_LEN`] (4096).
    pub fn max_token_len(mut self, max: usize) -> Self {
        self.max_token_len = max;
        self
    }

    /// The number of slots of the derived-key cache (see "Cost" in the module docs);
    /// 0 turns it off.
    ///
    /// Defaults to [`DEFAULT_KEY_CACHE`] (256).
    pub fn key_cache(mut self, slots: usize) -> Self {
        self.cache = slots;
        self
    }

    /// The clock that `encode`, `decode` and `decode_header` read, as for
    /// [`CodecBuilder::clock`](crate::CodecBuilder::clock).
    ///
    /// Defaults to the system clock.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = SharedClock::new(clock);
        self
    }

    /// Builds the codec.
    pub fn build(self) -> IronCodec {
        IronCodec {
            inner: Arc::new(Inner {
                passwords: self.passwords,
                suffix: self.suffix,
                ttl: self.ttl,
                skew: self.skew,
                offset: self.offset,
                max_token_len: self.max_token_len,
                clock: self.clock,
                cache: KeyCache::new(self.cache),
            }),
        }
    }
}

impl IronCodec {
    /// Starts building a codec with iron-session's settings: the `~2` suffix, a ttl of
    /// 14 days, 60 seconds of skew, tokens up to 4096 bytes.
    pub fn builder(passwords: impl Into<Passwords>) -> IronCodecBuilder {
        IronCodecBuilder {
            passwords: passwords.into(),
            suffix: Suffix::IronSession,
            ttl: DEFAULT_TTL,
            skew: TIMESTAMP_SKEW,
            offset: Duration::ZERO,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            cache: DEFAULT_KEY_CACHE,
            clock: SharedClock::default(),
        }
    }

    /// An iron-session 8 codec with its defaults ([`IronCodec::builder`]).
    pub fn iron_session(passwords: impl Into<Passwords>) -> Self {
        Self::builder(passwords).build()
    }

    /// An h3 `useSession` codec: no suffix, and `max_age` (h3's `maxAge`) as the ttl;
    /// `None` seals tokens without an expiration, as h3 does without `maxAge`.
    pub fn h3(password: Password, max_age: Option<Duration>) -> Self {
        Self::builder(password)
            .suffix(Suffix::None)
            .ttl(max_age.unwrap_or(Duration::ZERO))
            .build()
    }

    /// The ttl of sealed tokens (zero: no expiration).
    pub fn ttl(&self) -> Duration {
        self.inner.ttl
    }

    /// The `Max-Age` iron-session gives its cookie for this ttl: the ttl less 60
    /// seconds, so that the browser drops the cookie before the token expires; for a
    /// ttl of 0, 2147483647 seconds (about 68 years).
    pub fn cookie_max_age(&self) -> Duration {
        if self.inner.ttl.is_zero() {
            Duration::seconds(2_147_483_647)
        } else {
            self.inner.ttl - TIMESTAMP_SKEW
        }
    }

    /// Seals `data` at the current time.
    pub fn encode<T: Serialize + ?Sized>(&self, data: &T) -> Result<String, Error> {
        self.encode_at(data, self.inner.clock.now())
    }

    /// Seals `data` with `now` as the current time, with the current password, fresh
    /// random salts and IV, and an expiration one ttl after `now` (in milliseconds).
    ///
    /// Fails with [`Error::Serialize`] when `data` cannot be written as JSON,
    /// [`Error::ExpiryOutOfRange`] for an expiration before 1970, and
    /// [`Error::TooLarge`] when the token would be too long.
    pub fn encode_at<T: Serialize + ?Sized>(
        &self,
        data: &T,
        now: OffsetDateTime,
    ) -> Result<String, Error> {
        let json = Zeroizing::new(serde_json::to_vec(data).map_err(|_| Error::Serialize)?);
        let inner = &*self.inner;
        let expiration = if inner.ttl.is_zero() {
            None
        } else {
            let ms = i128::from(unix_ms(now + inner.offset))
                .saturating_add(inner.ttl.whole_milliseconds());
            Some(u64::try_from(ms).map_err(|_| Error::ExpiryOutOfRange)?)
        };
        // The length is known before any work: refuse early.
        let suffix = match inner.suffix {
            Suffix::IronSession => IRON_SESSION_SUFFIX,
            Suffix::None => "",
        };
        let password = inner.passwords.current();
        let ct_len = (json.len() / BLOCK + 1) * BLOCK;
        let exp_text = expiration.map(|e| e.to_string()).unwrap_or_default();
        let len = PREFIX.len()
            + 7
            + password.id.len()
            + 2 * SALT_LEN
            + IV_B64_LEN
            + encoding::encoded_len(ct_len)
            + exp_text.len()
            + MAC_B64_LEN
            + suffix.len();
        Error::check_len(len, inner.max_token_len)?;

        let mut random = Zeroizing::new([0u8; 2 * 32 + BLOCK]);
        getrandom::fill(random.as_mut_slice()).map_err(|_| Error::Random)?;
        let (enc_salt, rest) = random.split_at(32);
        let (hmac_salt, iv) = rest.split_at(32);
        let enc_salt = hex_salt(enc_salt);
        let hmac_salt = hex_salt(hmac_salt);
        #[allow(clippy::expect_used)]
        let iv: [u8; BLOCK] = iv.try_into().expect("the last BLOCK random bytes");
        let keys = DerivedKeys::derive(&password.secret, &enc_salt, &hmac_salt);

        let mut buf = Zeroizing::new(vec![0u8; ct_len]);
        // `ct_len` is the JSON's length padded to the next whole block, so the buffer
        // holds the JSON and its padding.
        #[allow(clippy::expect_used)]
        buf.get_mut(..json.len())
            .expect("the buffer holds the JSON")
            .copy_from_slice(&json);
        #[allow(clippy::expect_used)]
        let ciphertext = Aes256CbcEnc::new(&(*keys.enc).into(), &iv.into())
            .encrypt_padded::<Pkcs7>(&mut buf, json.len())
            .expect("the buffer has room for the padding");

        let mut token = String::with_capacity(len);
        token.push_str(PREFIX);
        token.push('*');
        token.push_str(&password.id);
        token.push('*');
        token.push_str(&enc_salt);
        token.push('*');
        token.push_str(&encoding::encode(&iv));
        token.push('*');
        token.push_str(&encoding::encode(ciphertext));
        token.push('*');
        token.push_str(&exp_text);
        let mut mac = keys.mac();
        mac.update(token.as_bytes());
        let tag = mac.finalize().into_bytes();
        token.push('*');
        token.push_str(&hmac_salt);
        token.push('*');
        token.push_str(&encoding::encode(&tag));
        token.push_str(suffix);
        inner.cache.insert(0, &enc_salt, &hmac_salt, keys);
        Ok(token)
    }

    /// Verifies and opens `token` at the current time, and parses its data as `T`.
    pub fn decode<T: DeserializeOwned>(&self, token: &str) -> Result<IronVerified<T>, Error> {
        self.decode_at(token, self.inner.clock.now())
    }

    /// Verifies and opens `token` with `now` as the current time, in the order of
    /// "Decoding order" in the module docs, and parses its data as `T`.
    pub fn decode_at<T: DeserializeOwned>(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<IronVerified<T>, Error> {
        let opened = self.open(token.as_bytes(), now)?;
        if opened.plaintext.is_empty() {
            return Err(Error::Deserialize(crate::error::PayloadError::new(
                String::new(),
                crate::PayloadErrorKind::Syntax,
            )));
        }
        Ok(IronVerified {
            data: crate::json::deserialize(&opened.plaintext)?,
            expires_at: opened.expires_at,
            password_id: opened.password_id,
            key_used: opened.key_used,
        })
    }

    /// Reads and opens the cookie called `name` from a raw `Cookie:` request header
    /// value, at the current time; `Ok(None)` when there is none. The header is read
    /// by the rules of the [`cookies`](crate::cookies) module (several cookies of the
    /// name each opened; two different valid ones are [`Error::AmbiguousCookie`]).
    pub fn decode_header<T: DeserializeOwned>(
        &self,
        header: impl AsRef<[u8]>,
        name: &str,
    ) -> Result<Option<IronVerified<T>>, Error> {
        let now = self.inner.clock.now();
        let values = crate::cookies::cookie_values_in_header(header.as_ref(), name)?;
        crate::cookies::pick_one(values, |token| self.decode_at(token, now))
    }

    /// Steps 1 to 6 of the decoding order, up to the plaintext.
    fn open(&self, token: &[u8], now: OffsetDateTime) -> Result<Opened, Error> {
        let inner = &*self.inner;
        Error::check_len(token.len(), inner.max_token_len)?;
        let sealed = strip_suffix(token, inner.suffix)?;
        let parts = Parts::split(sealed)?;

        let (index, password) = inner
            .passwords
            .iter()
            .enumerate()
            .find(|(_, p)| p.opens(parts.id))
            .ok_or(Error::InvalidSignature)?;
        // A cached pair was proven by an earlier MAC; otherwise only the HMAC key is
        // derived before the MAC check, and the encryption key after it.
        let cached = inner.cache.get(index, parts.enc_salt, parts.hmac_salt);
        let hmac_key = match &cached {
            Some(keys) => keys.hmac.clone(),
            None => pbkdf2_sha1(password.secret.expose_secret(), parts.hmac_salt),
        };
        let mut mac = mac_with(&hmac_key);
        mac.update(parts.mac_base);
        mac.verify_slice(&parts.mac)
            .map_err(|_| Error::InvalidSignature)?;
        let keys = match cached {
            Some(keys) => keys,
            None => DerivedKeys {
                enc: pbkdf2_sha1(password.secret.expose_secret(), parts.enc_salt),
                hmac: hmac_key,
            },
        };

        let key_used = match index.checked_sub(1) {
            None => KeyUsed::Primary,
            Some(i) => KeyUsed::Fallback(i),
        };
        let expires_at = match parts.expiration {
            None => None,
            Some(exp) => {
                let expires_at = ms_to_time(exp)?;
                let deadline = i128::from(exp) + inner.skew.whole_milliseconds();
                let now_ms = (now + inner.offset)
                    .unix_timestamp_nanos()
                    .div_euclid(1_000_000);
                if deadline <= now_ms {
                    inner
                        .cache
                        .insert(index, parts.enc_salt, parts.hmac_salt, keys);
                    return Err(Error::Expired {
                        expired_at: expires_at,
                    });
                }
                Some(expires_at)
            }
        };

        let mut buf = Zeroizing::new(parts.ciphertext);
        let len = Aes256CbcDec::new(&(*keys.enc).into(), &parts.iv.into())
            .decrypt_padded::<Pkcs7>(&mut buf)
            .map_err(|_| Error::Malformed)?
            .len();
        buf.truncate(len);
        inner
            .cache
            .insert(index, parts.enc_salt, parts.hmac_salt, keys);
        Ok(Opened {
            plaintext: buf,
            expires_at,
            password_id: String::from_utf8_lossy(parts.id).into_owned(),
            key_used,
        })
    }
}

/// An opened token before its JSON is parsed.
struct Opened {
    plaintext: Zeroizing<Vec<u8>>,
    expires_at: Option<OffsetDateTime>,
    password_id: String,
    key_used: KeyUsed,
}

/// The token without its suffix, or `Malformed`.
fn strip_suffix(token: &[u8], suffix: Suffix) -> Result<&[u8], Error> {
    let sealed = match suffix {
        Suffix::IronSession => token
            .strip_suffix(IRON_SESSION_SUFFIX.as_bytes())
            .ok_or(Error::Malformed)?,
        Suffix::None => token,
    };
    if sealed.contains(&b'~') {
        return Err(Error::Malformed);
    }
    Ok(sealed)
}

/// The fields of a sealed string, checked for shape.
struct Parts<'a> {
    /// `Fe26.2*id*encSalt*iv*encrypted*expiration`: what the HMAC covers.
    mac_base: &'a [u8],
    id: &'a [u8],
    enc_salt: &'a [u8],
    iv: [u8; BLOCK],
    ciphertext: Vec<u8>,
    expiration: Option<u64>,
    hmac_salt: &'a [u8],
    mac: [u8; MAC_LEN],
}

impl<'a> Parts<'a> {
    /// Splits a sealed string (suffix removed) into its eight fields and checks each
    /// one's shape; anything else is `Malformed`.
    fn split(sealed: &'a [u8]) -> Result<Self, Error> {
        let mut fields = sealed.split(|&b| b == b'*');
        let mut next = || fields.next().ok_or(Error::Malformed);
        let [prefix, id, enc_salt, iv, encrypted, expiration, hmac_salt, mac] = [
            next()?,
            next()?,
            next()?,
            next()?,
            next()?,
            next()?,
            next()?,
            next()?,
        ];
        if fields.next().is_some()
            || prefix != PREFIX.as_bytes()
            || !valid_id(id)
            || !valid_salt(enc_salt)
            || !valid_salt(hmac_salt)
            || iv.len() != IV_B64_LEN
            || mac.len() != MAC_B64_LEN
            || encrypted.is_empty()
        {
            return Err(Error::Malformed);
        }
        let expiration = parse_expiration(expiration)?;
        let ct_len = encoding::decoded_len(encrypted.len()).ok_or(Error::Malformed)?;
        if ct_len % BLOCK != 0 || !encoding::is_canonical(encrypted) {
            return Err(Error::Malformed);
        }
        let mut iv_bytes = [0u8; BLOCK];
        let mut mac_bytes = [0u8; MAC_LEN];
        let mut ciphertext = vec![0u8; ct_len];
        if !encoding::is_canonical(iv) || !encoding::is_canonical(mac) {
            return Err(Error::Malformed);
        }
        encoding::decode_exact(iv, &mut iv_bytes).ok_or(Error::Malformed)?;
        encoding::decode_exact(mac, &mut mac_bytes).ok_or(Error::Malformed)?;
        encoding::decode_exact(encrypted, &mut ciphertext).ok_or(Error::Malformed)?;
        // Everything before "*hmacSalt*hmac".
        let base_len = sealed.len() - mac.len() - hmac_salt.len() - 2;
        Ok(Self {
            mac_base: sealed.get(..base_len).ok_or(Error::Malformed)?,
            id,
            enc_salt,
            iv: iv_bytes,
            ciphertext,
            expiration,
            hmac_salt,
            mac: mac_bytes,
        })
    }
}

/// `""` (none) or canonical decimal: digits, no leading zero, within `u64`.
fn parse_expiration(text: &[u8]) -> Result<Option<u64>, Error> {
    match text {
        [] => Ok(None),
        [b'0', _, ..] => Err(Error::Malformed),
        _ if text.len() > MAX_EXPIRATION_DIGITS || !text.iter().all(u8::is_ascii_digit) => {
            Err(Error::Malformed)
        }
        _ => text
            .iter()
            .try_fold(0u64, |n, &d| {
                n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            })
            .map(Some)
            .ok_or(Error::Malformed),
    }
}

/// A password id: empty, or `[A-Za-z0-9_]` (JavaScript's `\w`), at most 64 bytes.
fn valid_id(id: &[u8]) -> bool {
    id.len() <= MAX_ID_LEN && id.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A salt as the packages write it: 64 lower-case hex digits.
fn valid_salt(salt: &[u8]) -> bool {
    salt.len() == SALT_LEN
        && salt
            .iter()
            .all(|&b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// 32 random bytes as the 64 lower-case hex digits the packages write.
fn hex_salt(bytes: &[u8]) -> String {
    let digit = |n: u8| char::from_digit(u32::from(n), 16).unwrap_or('0');
    let mut out = String::with_capacity(SALT_LEN);
    for &b in bytes {
        out.push(digit(b >> 4));
        out.push(digit(b & 0x0f));
    }
    out
}

/// Unix milliseconds of `t`, rounded down (as `Date.now()` counts).
fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

/// A validly MAC'd expiration as a time; `Malformed` beyond the time range.
fn ms_to_time(ms: u64) -> Result<OffsetDateTime, Error> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|_| Error::Malformed)
}

/// The two keys of one token, wiped when dropped.
#[derive(Clone)]
struct DerivedKeys {
    enc: Zeroizing<[u8; 32]>,
    hmac: Zeroizing<[u8; 32]>,
}

impl DerivedKeys {
    /// PBKDF2-HMAC-SHA1 with one iteration, the salts taken as text.
    fn derive(password: &Key, enc_salt: impl AsRef<[u8]>, hmac_salt: impl AsRef<[u8]>) -> Self {
        Self {
            enc: pbkdf2_sha1(password.expose_secret(), enc_salt.as_ref()),
            hmac: pbkdf2_sha1(password.expose_secret(), hmac_salt.as_ref()),
        }
    }

    fn mac(&self) -> HmacSha256 {
        mac_with(&self.hmac)
    }
}

/// HMAC-SHA256 keyed with a derived key.
fn mac_with(key: &[u8; 32]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as KeyInit>::new(&Default::default()))
}

fn pbkdf2_sha1(password: &[u8], salt: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    // HMAC-SHA1 takes passwords of any length: this cannot fail.
    let _ = pbkdf2::pbkdf2::<Hmac<sha1::Sha1>>(password, salt, 1, out.as_mut_slice());
    out
}

/// A fixed-size, direct-mapped cache of derived keys, filled only with the keys of
/// tokens that were sealed here or whose HMAC verified (see "Cost" in the module
/// docs). A slot is chosen from the HMAC salt; a hit needs the password and both
/// salts to match.
struct KeyCache {
    slots: Vec<Mutex<Option<Cached>>>,
}

struct Cached {
    password: usize,
    salts: [u8; 2 * SALT_LEN],
    keys: DerivedKeys,
}

impl KeyCache {
    fn new(slots: usize) -> Self {
        Self {
            slots: (0..slots).map(|_| Mutex::new(None)).collect(),
        }
    }

    fn slot(&self, hmac_salt: &[u8]) -> Option<&Mutex<Option<Cached>>> {
        let n = self.slots.len();
        if n == 0 {
            return None;
        }
        // Salts are random hex; their first 8 digits make a good enough index.
        let h = hmac_salt.iter().take(8).fold(0usize, |h, &b| {
            h.wrapping_mul(31).wrapping_add(usize::from(b))
        });
        self.slots.get(h % n)
    }

    fn salts(enc_salt: &[u8], hmac_salt: &[u8]) -> Option<[u8; 2 * SALT_LEN]> {
        let mut salts = [0u8; 2 * SALT_LEN];
        let (a, b) = salts.split_at_mut(SALT_LEN);
        a.copy_from_slice(enc_salt.get(..SALT_LEN)?);
        b.copy_from_slice(hmac_salt.get(..SALT_LEN)?);
        (enc_salt.len() == SALT_LEN && hmac_salt.len() == SALT_LEN).then_some(salts)
    }

    fn get(&self, password: usize, enc_salt: &[u8], hmac_salt: &[u8]) -> Option<DerivedKeys> {
        let salts = Self::salts(enc_salt, hmac_salt)?;
        let slot = self
            .slot(hmac_salt)?
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match &*slot {
            Some(c) if c.password == password && c.salts == salts => Some(c.keys.clone()),
            _ => None,
        }
    }

    fn insert(
        &self,
        password: usize,
        enc_salt: impl AsRef<[u8]>,
        hmac_salt: impl AsRef<[u8]>,
        keys: DerivedKeys,
    ) {
        let (enc_salt, hmac_salt) = (enc_salt.as_ref(), hmac_salt.as_ref());
        let (Some(salts), Some(slot)) = (Self::salts(enc_salt, hmac_salt), self.slot(hmac_salt))
        else {
            return;
        };
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(Cached {
            password,
            salts,
            keys,
        });
    }
}

/// What an Iron token shows without a password, read by [`inspect_unverified`].
/// Nothing here is verified: anyone can write a token that says this.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnverifiedIronToken {
    /// The password id the token names (empty for none).
    pub password_id: String,
    /// The expiration in Unix milliseconds, or `None` for a token without one.
    pub unverified_expiration_ms: Option<u64>,
    /// The length of the ciphertext in bytes (the JSON is 1 to 16 bytes shorter).
    pub ciphertext_len: usize,
    /// Whether the token ends with iron-session's `~2`.
    pub iron_session_suffix: bool,
}

impl UnverifiedIronToken {
    /// The unverified expiration as a time, or `None` when there is none or it is out
    /// of the time range.
    pub fn unverified_expires_at(&self) -> Option<OffsetDateTime> {
        self.unverified_expiration_ms
            .and_then(|ms| ms_to_time(ms).ok())
    }
}

/// Reads the parts of an Iron token that are not encrypted (password id, expiration,
/// length), **without** any password or verification, for debugging. The data stays
/// encrypted. Tokens longer than 64 KiB and tokens not shaped like an Iron token (with
/// or without iron-session's `~2`) are [`Error::TooLarge`] and [`Error::Malformed`].
///
/// ```
/// use sessionlib::iron::{self, IronCodec, Password};
/// # fn main() -> Result<(), sessionlib::Error> {
/// let codec = IronCodec::iron_session(Password::with_id("1", "a password of at least 32 characters")?);
/// let seen = iron::inspect_unverified(&codec.encode(&"secret")?)?;
/// assert_eq!(seen.password_id, "1");
/// assert_eq!(seen.ciphertext_len, 16);
/// assert!(seen.iron_session_suffix);
/// # Ok(())
/// # }
/// ```
pub fn inspect_unverified(token: &str) -> Result<UnverifiedIronToken, Error> {
    const MAX: usize = 64 * 1024;
    let token = token.as_bytes();
    Error::check_len(token.len(), MAX)?;
    let iron_session_suffix = token.ends_with(IRON_SESSION_SUFFIX.as_bytes());
    let suffix = if iron_session_suffix {
        Suffix::IronSession
    } else {
        Suffix::None
    };
    let parts = Parts::split(strip_suffix(token, suffix)?)?;
    Ok(UnverifiedIronToken {
        password_id: String::from_utf8_lossy(parts.id).into_owned(),
        unverified_expiration_ms: parts.expiration,
        ciphertext_len: parts.ciphertext.len(),
        iron_session_suffix,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const PW: &str = "a password of at least 32 characters";

    fn at_ms(ms: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap()
    }

    fn codec() -> IronCodec {
        IronCodec::iron_session(Passwords::iron_session(&[("1", PW)]).unwrap())
    }

    #[test]
    fn pbkdf2_sha1_matches_rfc_6070() {
        // RFC 6070, c = 1, dkLen 20 (the first 20 bytes of a 32-byte output).
        let out = pbkdf2_sha1(b"password", b"salt");
        let hex: String = out.iter().take(20).map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "0c60c80f961f0e71f3a9b524af6012062fe037a6");
    }

    #[test]
    fn round_trip_layout_and_expiry_rule() {
        let codec = codec();
        let now = at_ms(1_700_000_000_123);
        let token = codec.encode_at(&json!({"a": 1}), now).unwrap();
        let fields: Vec<&str> = token.strip_suffix("~2").unwrap().split('*').collect();
        assert_eq!(fields.len(), 8);
        assert_eq!(fields[0], "Fe26.2");
        assert_eq!(fields[1], "1");
        let exp: i64 = fields[5].parse().unwrap();
        assert_eq!(exp, 1_700_000_000_123 + 14 * 86_400_000);
        let v = codec.decode_at::<Value>(&token, now).unwrap();
        assert_eq!(v.data, json!({"a": 1}));
        assert_eq!(v.expires_at, Some(at_ms(exp)));
        // Accepted while exp > now - 60 s, to the millisecond.
        assert!(codec
            .decode_at::<Value>(&token, at_ms(exp + 59_999))
            .is_ok());
        assert_eq!(
            codec
                .decode_at::<Value>(&token, at_ms(exp + 60_000))
                .unwrap_err(),
            Error::Expired {
                expired_at: at_ms(exp)
            }
        );
        // The same with an empty cache (derivation from scratch).
        let cold = IronCodec::builder(Password::with_id("1", PW).unwrap())
            .key_cache(0)
            .build();
        assert_eq!(
            cold.decode_at::<Value>(&token, now).unwrap().data,
            json!({"a": 1})
        );
    }

    #[test]
    fn every_changed_byte_fails_closed() {
        let codec = codec();
        let now = at_ms(1_700_000_000_000);
        let token = codec.encode_at(&json!([1, 2, 3]), now).unwrap();
        let bytes = token.as_bytes();
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x20] {
                let mut changed = bytes.to_vec();
                changed[i] ^= flip;
                let Ok(text) = String::from_utf8(changed) else {
                    continue;
                };
                let r = codec.decode_at::<Value>(&text, now);
                assert!(
                    matches!(r, Err(Error::Malformed | Error::InvalidSignature)),
                    "byte {i}: {r:?}"
                );
            }
        }
        for cut in 0..token.len() {
            assert!(codec.decode_at::<Value>(&token[..cut], now).is_err());
        }
    }

    #[test]
    fn password_ids_select_one_password() {
        let old = Password::with_id("1", PW).unwrap();
        let new = Password::with_id("2", &format!("{PW}, the new one")).unwrap();
        let before = IronCodec::iron_session(old.clone());
        let after =
            IronCodec::iron_session(Passwords::new(new.clone()).with_fallback(old).unwrap());
        let now = at_ms(1_700_000_000_000);
        let token = before.encode_at(&1, now).unwrap();
        let v = after.decode_at::<u8>(&token, now).unwrap();
        assert_eq!(
            (v.key_used, v.password_id.as_str()),
            (KeyUsed::Fallback(0), "1")
        );
        assert!(v.needs_reissue());
        let token = after.encode_at(&1, now).unwrap();
        assert!(token.starts_with("Fe26.2*2*"));
        assert_eq!(
            before.decode_at::<u8>(&token, now).unwrap_err(),
            Error::InvalidSignature
        );
        assert_eq!(
            Passwords::new(new.clone()).with_fallback(new).unwrap_err(),
            KeyError::DuplicatePasswordId
        );
        let map = Passwords::iron_session(&[("9", PW), ("10", PW), ("2", PW)]).unwrap();
        let ids: Vec<&str> = map.iter().map(Password::id).collect();
        assert_eq!(ids, ["10", "9", "2"]);
        assert!(Passwords::iron_session(&[("1", PW), ("01", PW)]).is_err());
        assert!(Passwords::iron_session(&[("a", PW)]).is_err());
        assert!(Passwords::iron_session(&[]).is_err());
    }

    #[test]
    fn shapes_refused_before_any_work() {
        for bad in [
            &b"007"[..],
            b"1a",
            b"-1",
            b"+1",
            b" 1",
            b"184467440737095516150",
            b"18446744073709551616",
        ] {
            assert_eq!(parse_expiration(bad), Err(Error::Malformed), "{bad:?}");
        }
        assert_eq!(parse_expiration(b"0"), Ok(Some(0)));
        assert_eq!(parse_expiration(b""), Ok(None));
        assert!(!valid_salt(&[b'A'; 64]));
        assert!(valid_salt(&[b'a'; 64]));
        assert!(!valid_salt(&[b'a'; 63]));
        assert!(!valid_id(b"a-b"));
        let codec = codec();
        let long = "x".repeat(4097);
        assert_eq!(
            codec.decode_at::<Value>(&long, at_ms(0)).unwrap_err(),
            Error::TooLarge {
                len: 4097,
                max: 4096
            }
        );
    }

    #[test]
    fn h3_sessions_and_no_expiration() {
        let codec = IronCodec::h3(Password::new(PW).unwrap(), None);
        let now = at_ms(1_700_000_000_000);
        let mut s = H3Session::new(now).unwrap();
        s.data.insert("n".into(), json!(1));
        let token = codec.encode_at(&s, now).unwrap();
        assert!(token.starts_with("Fe26.2**") && token.contains("**") && !token.contains('~'));
        let v = codec
            .decode_at::<H3Session>(&token, at_ms(i64::MAX / 2_000_000))
            .unwrap();
        assert_eq!(v.data, s);
        assert_eq!(v.expires_at, None);
        assert!(!s.is_older_than(Duration::seconds(1), now + Duration::seconds(1)));
        assert!(s.is_older_than(Duration::seconds(1), now + Duration::milliseconds(1001)));
        assert_eq!(s.id.len(), 36);
    }
}
