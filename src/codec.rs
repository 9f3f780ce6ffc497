//! Layer 4: typed encoding and decoding of session data into signed, expiring tokens.
//!
//! A token is `payload.timestamp.signature`, where the payload is the base64url of the
//! compact JSON, the timestamp is the base64url of the expiry (Unix seconds,
//! big-endian, leading zero bytes removed) and the signature is the base64url of
//! `HMAC-SHA256(derived_key, payload "." timestamp)`. See the crate docs, "Wire
//! format".

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Serialize;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

use crate::clock::{Clock, IntoDuration, SharedClock};
use crate::error::{Error, PayloadError, PayloadErrorKind};
use crate::key::{KeyUsed, Keyring};
use crate::signer::{Sha256, Signer};
use crate::token::{Framer, Opened};

/// The salt used when none is set: `sessionlib.session`.
pub const DEFAULT_SALT: &str = "sessionlib.session";

/// The time-to-live used when none is set: 14 days.
pub const DEFAULT_TTL: Duration = Duration::days(14);

/// The longest token accepted or produced when no limit is set: 4096 bytes, what
/// browsers keep for one cookie.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 4096;

/// Initial capacity of the buffer that `encode` serializes into and, when it fits, builds
/// the token in: room for about 200 bytes of JSON next to their base64 text, so that a
/// typical session costs one allocation.
pub(crate) const ENCODE_BUFFER_LEN: usize = 512;

/// The last whole second that the time library can represent (the end of its range).
const LAST_UNIX_SECOND: i64 = PrimitiveDateTime::MAX.assume_utc().unix_timestamp();

/// A decoded, verified session.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Verified<T> {
    /// The session data.
    pub data: T,
    /// The signed expiry time (whole seconds, UTC).
    pub expires_at: OffsetDateTime,
    /// Which key verified the token. When it is a fallback key, re-issue the token so
    /// that it is signed with the primary key.
    pub key_used: KeyUsed,
}

impl<T> Verified<T> {
    /// Whether the token was signed with a fallback key and should be re-issued.
    pub fn needs_reissue(&self) -> bool {
        self.key_used.is_fallback()
    }

    /// Maps the data, keeping the expiry and key.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Verified<U> {
        Verified {
            data: f(self.data),
            expires_at: self.expires_at,
            key_used: self.key_used,
        }
    }
}

/// Encodes session data into signed, expiring tokens and decodes them back.
///
/// A `Codec` is `Send + Sync` and cheap to clone (the keys and their derived MAC states
/// are shared): build one at start-up and share it between requests and threads.
///
/// ```
/// use sessionlib::{Codec, Key, Keyring, KeyUsed};
/// # fn main() -> Result<(), sessionlib::Error> {
/// let codec = Codec::builder(Keyring::new(Key::generate()))
///     .salt("shop.session")
///     .ttl(time::Duration::hours(2))
///     .build();
///
/// let token = codec.encode(&vec!["apple", "pear"])?;
/// let verified = codec.decode::<Vec<String>>(&token)?;
/// assert_eq!(verified.data, ["apple", "pear"]);
/// assert_eq!(verified.key_used, KeyUsed::Primary);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Codec {
    inner: Arc<Inner>,
}

struct Inner {
    framer: Framer<Sha256>,
    ttl: Duration,
    leeway: Duration,
    clock: SharedClock,
    /// Set when tokens are sealed instead of signed (feature `sealed`).
    #[cfg(feature = "sealed")]
    sealer: Option<crate::sealed::Sealer>,
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec")
            .field("ttl", &self.inner.ttl)
            .field("leeway", &self.inner.leeway)
            .field("max_token_len", &self.inner.framer.max_token_len)
            .field("compression", &self.inner.framer.compression.is_some())
            .field("clock", &self.inner.clock)
            .field("sealed", &self.is_sealed())
            .finish_non_exhaustive()
    }
}

/// Settings for a [`Codec`]; made by [`Codec::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct CodecBuilder {
    keyring: Keyring,
    salt: Vec<u8>,
    ttl: Duration,
    leeway: Duration,
    max_token_len: usize,
    compression: bool,
    inflate: Inflate,
    clock: SharedClock,
    #[cfg(feature = "sealed")]
    sealed: bool,
}

impl CodecBuilder {
    /// Whether tokens are sealed: encrypted and authenticated with XChaCha20-Poly1305
    /// under keys derived from the same keyring, so that the holder of a token cannot
    /// read its data. A sealed codec reads only sealed tokens, and a signed one only
    /// signed tokens. Sealed payloads are never compressed. See [`crate::sealed`] for
    /// the format and what it still shows (length, expiry).
    ///
    /// Defaults to off: tokens are signed, and anyone can read their data.
    #[cfg(feature = "sealed")]
    pub fn sealed(mut self, on: bool) -> Self {
        self.sealed = on;
        self
    }

    /// The salt, which names the purpose of the tokens: a token made for one salt never
    /// verifies under another, so a password-reset token cannot be used as a session.
    ///
    /// Defaults to [`DEFAULT_SALT`] (`sessionlib.session`).
    pub fn salt(mut self, salt: impl AsRef<[u8]>) -> Self {
        self.salt = salt.as_ref().to_vec();
        self
    }

    /// How long a token made by [`Codec::encode`] stays valid.
    /// [`Codec::encode_until`] sets the expiry per token instead (for "remember me").
    /// A zero or negative duration makes tokens that are expired when made.
    ///
    /// Any duration is accepted. One so long that the expiry would fall after the end
    /// of the time range (the last second of year 9999) means no limit: the token
    /// expires at that last second. One so negative that the expiry would fall before
    /// 1970 makes [`Codec::encode`] fail with [`Error::ExpiryOutOfRange`].
    ///
    /// Defaults to [`DEFAULT_TTL`] (14 days).
    pub fn ttl(mut self, ttl: impl IntoDuration) -> Self {
        self.ttl = ttl.into_duration();
        self
    }

    /// How long after its expiry a token is still accepted, to absorb clock differences
    /// between the servers that make and check tokens. Negative values count as zero;
    /// a leeway that reaches past the end of the time range means no limit (expired
    /// tokens are then always accepted).
    ///
    /// Defaults to zero: a token is expired from the second of its expiry on.
    pub fn leeway(mut self, leeway: impl IntoDuration) -> Self {
        self.leeway = leeway.into_duration().max(Duration::ZERO);
        self
    }

    /// The longest token, in bytes, that is decoded or produced. Longer input is refused
    /// with [`Error::TooLarge`] before any other work; encoding data whose token would be
    /// longer fails with the same error.
    ///
    /// Defaults to [`DEFAULT_MAX_TOKEN_LEN`] (4096 bytes, the browser limit for a cookie).
    pub fn max_token_len(mut self, max: usize) -> Self {
        self.max_token_len = max;
        self
    }

    /// Whether payloads are zlib-compressed as itsdangerous does it: a payload is
    /// compressed when that makes it more than one byte shorter, and the token then
    /// starts with `.`. With compression on, the codec also reads compressed tokens made
    /// by itsdangerous's `URLSafeTimedSerializer`. Decompression happens only after the
    /// signature verified, and its output is capped (see [`Inflate`]).
    ///
    /// Defaults to off: tokens starting with `.` are then [`Error::Malformed`].
    #[cfg(feature = "zlib")]
    pub fn compression(mut self, on: bool) -> Self {
        self.compression = on;
        self
    }

    /// Limits for decompressing payloads, used when
    /// [`compression`](CodecBuilder::compression) is on.
    ///
    /// Defaults to [`Inflate::default`] (64 KiB, ratio 256).
    #[cfg(feature = "zlib")]
    pub fn inflate_limits(mut self, limits: Inflate) -> Self {
        self.inflate = limits;
        self
    }

    /// The clock that the calls without an `_at` suffix ([`Codec::encode`],
    /// [`Codec::decode`], [`Codec::verify`]) read the current time from: any
    /// `Fn() -> OffsetDateTime` or a [`ManualClock`](crate::clock::ManualClock). The
    /// `_at` calls take the time as an argument instead.
    ///
    /// Defaults to the system clock.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = SharedClock::new(clock);
        self
    }

    /// The salt set so far (the cookie configuration binds its cookie name into it).
    pub(crate) fn salt_bytes(&self) -> &[u8] {
        &self.salt
    }

    /// Builds the codec, deriving the per-key MAC states once.
    pub fn build(self) -> Codec {
        Codec {
            inner: Arc::new(Inner {
                framer: Framer::new(
                    Signer::new(&self.keyring, &self.salt),
                    self.max_token_len,
                    self.compression.then_some(self.inflate),
                ),
                ttl: self.ttl,
                leeway: self.leeway,
                clock: self.clock,
                #[cfg(feature = "sealed")]
                sealer: self
                    .sealed
                    .then(|| crate::sealed::Sealer::new(&self.keyring, &self.salt)),
            }),
        }
    }
}

impl Codec {
    /// A codec with every default: salt [`DEFAULT_SALT`], time-to-live [`DEFAULT_TTL`]
    /// (14 days), no leeway, tokens up to [`DEFAULT_MAX_TOKEN_LEN`] (4096) bytes.
    pub fn new(keyring: impl Into<Keyring>) -> Self {
        Self::builder(keyring).build()
    }

    /// Starts building a codec for the given keys.
    pub fn builder(keyring: impl Into<Keyring>) -> CodecBuilder {
        CodecBuilder {
            keyring: keyring.into(),
            salt: DEFAULT_SALT.as_bytes().to_vec(),
            ttl: DEFAULT_TTL,
            leeway: Duration::ZERO,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            compression: false,
            inflate: Inflate::default(),
            clock: SharedClock::default(),
            #[cfg(feature = "sealed")]
            sealed: false,
        }
    }

    /// Whether this codec seals tokens (see [`CodecBuilder::sealed`]); always false
    /// without the `sealed` feature.
    pub fn is_sealed(&self) -> bool {
        #[cfg(feature = "sealed")]
        return self.inner.sealer.is_some();
        #[cfg(not(feature = "sealed"))]
        false
    }

    /// The configured time-to-live.
    pub fn ttl(&self) -> Duration {
        self.inner.ttl
    }

    /// The configured leeway: how long after its expiry a token is still accepted.
    pub fn leeway(&self) -> Duration {
        self.inner.leeway
    }

    /// The configured maximum token length.
    pub fn max_token_len(&self) -> usize {
        self.inner.framer.max_token_len
    }

    /// Encodes `data` into a token that expires after the configured time-to-live.
    pub fn encode<T: Serialize + ?Sized>(&self, data: &T) -> Result<String, Error> {
        self.encode_after(data, self.now_nanos())
    }

    /// Like [`Codec::encode`], with `now` as the current time.
    pub fn encode_at<T: Serialize + ?Sized>(
        &self,
        data: &T,
        now: OffsetDateTime,
    ) -> Result<String, Error> {
        self.encode_after(data, now.unix_timestamp_nanos())
    }

    /// Encodes `data` to expire one time-to-live after `now` (Unix nanoseconds), rounded
    /// down to the second. Computed on integers rather than dates, which keeps the clock
    /// reading of [`Codec::encode`] cheap.
    fn encode_after<T: Serialize + ?Sized>(&self, data: &T, now: i128) -> Result<String, Error> {
        self.encode_expiry(data, expiry_after(now, self.inner.ttl))
    }

    /// Encodes `data` into a token that expires at `expires_at` (rounded down to the
    /// second), whatever the configured time-to-live: for per-session lifetimes such as
    /// "remember me".
    ///
    /// Fails with [`Error::ExpiryOutOfRange`] for an expiry not after the Unix epoch or
    /// past the end of the time range (year 9999, in any offset),
    /// [`Error::Serialize`] when `data` cannot be written as JSON, and
    /// [`Error::TooLarge`] when the token would be longer than the configured maximum.
    pub fn encode_until<T: Serialize + ?Sized>(
        &self,
        data: &T,
        expires_at: OffsetDateTime,
    ) -> Result<String, Error> {
        self.encode_expiry(data, expires_at.unix_timestamp())
    }

    /// Encodes `data` with an expiry in Unix seconds, which must be positive and within
    /// the time range (a token that would not decode is never made).
    fn encode_expiry<T: Serialize + ?Sized>(&self, data: &T, expiry: i64) -> Result<String, Error> {
        let expiry = checked_expiry(expiry)?;
        let mut json = Vec::with_capacity(ENCODE_BUFFER_LEN);
        serde_json::to_writer(&mut json, data).map_err(|_| Error::Serialize)?;
        self.seal_json(json, expiry)
    }

    /// Like [`Codec::encode_until`] for JSON text already written (by the session
    /// layer's object writer) into a buffer, which becomes the token when it has room.
    pub(crate) fn encode_json_until(
        &self,
        json: Vec<u8>,
        expires_at: OffsetDateTime,
    ) -> Result<String, Error> {
        let expiry = checked_expiry(expires_at.unix_timestamp())?;
        self.seal_json(json, expiry)
    }

    fn seal_json(&self, json: Vec<u8>, expiry: u64) -> Result<String, Error> {
        #[cfg(feature = "sealed")]
        if let Some(sealer) = &self.inner.sealer {
            let json = zeroize::Zeroizing::new(json);
            if !json_depth_within(&json, MAX_JSON_DEPTH) {
                return Err(Error::Serialize);
            }
            return sealer.seal(&json, expiry, self.max_token_len());
        }
        self.inner.framer.seal(json, expiry)
    }

    /// Verifies `token` and decodes its data as `T`, at the current time.
    ///
    /// Checks, in order: length, shape (strict base64url, three parts, a 32-byte
    /// signature), the signature against each key (primary first, constant-time), the
    /// expiry, and only then decodes the payload. Nothing unverified is parsed.
    pub fn decode<T: DeserializeOwned>(&self, token: &str) -> Result<Verified<T>, Error> {
        self.decode_with_clock(token, || self.now_nanos())
    }

    /// Like [`Codec::decode`], with `now` as the current time (for tests and replays).
    pub fn decode_at<T: DeserializeOwned>(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Verified<T>, Error> {
        self.decode_with_clock(token, || now.unix_timestamp_nanos())
    }

    /// Verifies `token` and decodes its data as a dynamic JSON value.
    pub fn decode_value(&self, token: &str) -> Result<Verified<serde_json::Value>, Error> {
        self.decode(token)
    }

    /// Checks `token` at the current time exactly as [`Codec::decode`] does (length,
    /// shape, signature, expiry) but does not decode its data: for callers that only
    /// need to know whether a session is valid, until when, and which key signed it.
    /// Allocates nothing.
    ///
    /// ```
    /// use sessionlib::{Codec, Key, KeyUsed};
    /// # fn main() -> Result<(), sessionlib::Error> {
    /// let codec = Codec::new(Key::generate());
    /// let token = codec.encode(&["cart", "apple"])?;
    /// let checked = codec.verify(&token)?;
    /// assert_eq!(checked.key_used, KeyUsed::Primary);
    /// assert!(codec.verify(&token.replace('.', ",")).is_err());
    /// # Ok(())
    /// # }
    /// ```
    pub fn verify(&self, token: &str) -> Result<Verified<()>, Error> {
        self.verify_with_clock(token, || self.now_nanos())
    }

    /// Like [`Codec::verify`], with `now` as the current time.
    pub fn verify_at(&self, token: &str, now: OffsetDateTime) -> Result<Verified<()>, Error> {
        self.verify_with_clock(token, || now.unix_timestamp_nanos())
    }

    fn verify_with_clock(
        &self,
        token: &str,
        now: impl FnOnce() -> i128,
    ) -> Result<Verified<()>, Error> {
        #[cfg(feature = "sealed")]
        if self.inner.sealer.is_some() {
            return self.check_sealed(token, now).map(|(_, verified)| verified);
        }
        self.check(token, now).map(|(_, verified)| verified)
    }

    /// Opens a sealed token (length, shape, tag with each key), then checks its expiry,
    /// reading the clock only once the tag is valid. The plaintext is not parsed yet.
    #[cfg(feature = "sealed")]
    fn check_sealed(
        &self,
        token: &str,
        now: impl FnOnce() -> i128,
    ) -> Result<(zeroize::Zeroizing<Vec<u8>>, Verified<()>), Error> {
        let sealer = self.inner.sealer.as_ref().ok_or(Error::Malformed)?;
        let unsealed = sealer.open(token.as_bytes(), self.max_token_len())?;
        let expires_at = timestamp_to_time(unsealed.expiry)?;
        check_expiry(unsealed.expiry, expires_at, now(), self.inner.leeway)?;
        let verified = Verified {
            data: (),
            expires_at,
            key_used: unsealed.key_used,
        };
        Ok((unsealed.plaintext, verified))
    }

    fn decode_with_clock<T: DeserializeOwned>(
        &self,
        token: &str,
        now: impl FnOnce() -> i128,
    ) -> Result<Verified<T>, Error> {
        #[cfg(feature = "sealed")]
        if self.inner.sealer.is_some() {
            let (plaintext, verified) = self.check_sealed(token, now)?;
            let data = deserialize(&plaintext)?;
            return Ok(verified.map(|()| data));
        }
        let (opened, verified) = self.check(token, now)?;
        let data = self.inner.framer.with_payload(&opened, deserialize)?;
        Ok(verified.map(|()| data))
    }

    /// Checks the length, the shape, the signature and the expiry of `token`, reading
    /// the clock (Unix time in nanoseconds) only once the signature is valid. The
    /// payload is not decoded yet.
    fn check<'t>(
        &self,
        token: &'t str,
        now: impl FnOnce() -> i128,
    ) -> Result<(Opened<'t>, Verified<()>), Error> {
        let opened = self.inner.framer.open(token.as_bytes())?;
        let expires_at = timestamp_to_time(opened.timestamp)?;
        check_expiry(opened.timestamp, expires_at, now(), self.inner.leeway)?;
        let verified = Verified {
            data: (),
            expires_at,
            key_used: opened.key_used,
        };
        Ok((opened, verified))
    }
}

impl Codec {
    /// The current time from the [clock](CodecBuilder::clock).
    pub(crate) fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    /// The current Unix time in nanoseconds from the [clock](CodecBuilder::clock).
    fn now_nanos(&self) -> i128 {
        if self.inner.clock.is_set() {
            self.inner.clock.now().unix_timestamp_nanos()
        } else {
            system_now()
        }
    }
}

/// The current Unix time in nanoseconds (negative before 1970).
fn system_now() -> i128 {
    let nanos = |d: std::time::Duration| i128::try_from(d.as_nanos()).unwrap_or(i128::MAX);
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => nanos(since),
        Err(before) => -nanos(before.duration()),
    }
}

/// Decompression limits for compressed payloads.
///
/// A compressed payload is only inflated after its signature verified, but a key holder
/// (or a leaked key) could still sign a "zip bomb", so the output is capped both in
/// size and in ratio to the compressed input. Anything over either limit fails with
/// [`Error::DecompressionLimit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Inflate {
    /// The largest decompressed payload accepted, in bytes. Defaults to 65536.
    pub max_len: usize,
    /// The largest ratio of decompressed to compressed size accepted. Defaults to 256.
    pub max_ratio: usize,
}

impl Inflate {
    /// Limits of `max_len` decompressed bytes and a decompressed-to-compressed ratio of
    /// `max_ratio`.
    pub const fn new(max_len: usize, max_ratio: usize) -> Self {
        Self { max_len, max_ratio }
    }
}

impl Default for Inflate {
    fn default() -> Self {
        Self {
            max_len: 64 * 1024,
            max_ratio: 256,
        }
    }
}

/// The deepest nesting of JSON arrays and objects that decoding reads (the JSON parser's
/// recursion limit). Encoding refuses deeper data with [`Error::Serialize`], since its
/// token could never be decoded.
pub(crate) const MAX_JSON_DEPTH: usize = 127;

/// Whether the arrays and objects of `json` nest at most `max` levels deep. Brackets
/// inside strings do not count.
pub(crate) fn json_depth_within(json: &[u8], max: usize) -> bool {
    // Nesting deeper than `max` needs more than `max` opening brackets. Counting them is
    // a branch-free pass the compiler vectorizes, so typical sessions skip the exact scan.
    // `[` is 0x5B and `{` is 0x7B: one comparison after setting bit 0x20 finds both, and
    // byte-sized counters per 255-byte chunk let the compiler use wide vector lanes.
    let openings: usize = json
        .chunks(255)
        .map(|chunk| {
            let n = chunk
                .iter()
                .fold(0u8, |n, &b| n + u8::from(b | 0x20 == b'{'));
            usize::from(n)
        })
        .sum();
    if openings <= max {
        return true;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in json {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// An expiry in Unix seconds as the token carries it: positive and within the time
/// range (a token that would not decode is never made).
fn checked_expiry(expiry: i64) -> Result<u64, Error> {
    u64::try_from(expiry)
        .ok()
        .filter(|&t| t > 0 && i64::try_from(t).is_ok_and(|t| t <= LAST_UNIX_SECOND))
        .ok_or(Error::ExpiryOutOfRange)
}

/// A signed timestamp as a time; `Malformed` when it does not fit the time range (never
/// clamped).
pub(crate) fn timestamp_to_time(seconds: u64) -> Result<OffsetDateTime, Error> {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .ok_or(Error::Malformed)
}

/// The expiry, in Unix seconds, one `ttl` after `now` (Unix nanoseconds), rounded down
/// to the second. Computed on integers rather than dates, which keeps the clock reading
/// of [`Codec::encode`] cheap, and without overflow whatever the `ttl`: an expiry past
/// the end of the time range is that end (no limit). An expiry before 1970 is returned
/// as it is, for the caller to refuse.
pub(crate) fn expiry_after(now: i128, ttl: Duration) -> i64 {
    let expires = now
        .saturating_add(ttl.whole_nanoseconds())
        .div_euclid(1_000_000_000);
    i64::try_from(expires.min(i128::from(LAST_UNIX_SECOND))).unwrap_or(i64::MIN)
}

/// A token is expired from `expires_at + leeway` on (at exactly that instant included).
/// `now` and the deadline are compared as Unix nanoseconds, which cannot overflow an
/// `i128` (at most 2⁶⁴ seconds of expiry plus 2⁶³ seconds of leeway); a deadline past
/// the end of the time range is never reached.
fn check_expiry(
    expiry: u64,
    expires_at: OffsetDateTime,
    now: i128,
    leeway: Duration,
) -> Result<(), Error> {
    let deadline = i128::from(expiry)
        .saturating_mul(1_000_000_000)
        .saturating_add(leeway.whole_nanoseconds());
    if now >= deadline {
        Err(Error::Expired {
            expired_at: expires_at,
        })
    } else {
        Ok(())
    }
}

/// Parses verified JSON. On failure the parse is repeated with path tracking, so that
/// the error can name where the mismatch is; successful decodes pay nothing for it.
pub(crate) fn deserialize<T: DeserializeOwned>(json: &[u8]) -> Result<T, Error> {
    // Checking UTF-8 once up front is faster than letting the parser check each
    // string; invalid UTF-8 is left to the parser so that it reports the error.
    let parsed = match std::str::from_utf8(json) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(json),
    };
    parsed.map_err(|e| {
        let kind = match e.classify() {
            serde_json::error::Category::Data => PayloadErrorKind::Data,
            _ => PayloadErrorKind::Syntax,
        };
        let path = match kind {
            PayloadErrorKind::Data => error_path::<T>(json),
            _ => String::new(),
        };
        Error::Deserialize(PayloadError::new(path, kind))
    })
}

/// The path to the first mismatch, with map keys that are not identifier-like hidden.
fn error_path<T: DeserializeOwned>(json: &[u8]) -> String {
    use serde_path_to_error::Segment;
    let mut de = serde_json::Deserializer::from_slice(json);
    let Err(err) = serde_path_to_error::deserialize::<_, T>(&mut de) else {
        return String::new();
    };
    let mut path = String::new();
    for segment in err.path().iter() {
        match segment {
            Segment::Seq { index } => path.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                let plain = !key.is_empty()
                    && key.len() <= 64
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if plain {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                } else {
                    path.push_str("[?]");
                }
            }
            Segment::Unknown => path.push_str("[?]"),
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding;
    use crate::token::STACK_PAYLOAD_LEN;
    use crate::Key;

    fn codec() -> Codec {
        Codec::new(Key::from_bytes(&[7; 32]).unwrap())
    }

    #[test]
    fn token_is_three_parts() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let token = codec()
            .encode_at(&serde_json::json!({"a": 1}), now)
            .unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], encoding::encode(br#"{"a":1}"#));
        assert_eq!(parts[2].len(), 43);
    }

    /// `encode` and `decode` use the system clock in Unix nanoseconds; `encode_at` and
    /// `decode_at` take a date. Both give the same expiry and the same verdicts.
    #[test]
    fn system_clock_paths_match_explicit_time() {
        let codec = Codec::builder(Key::from_bytes(&[7; 32]).unwrap())
            .ttl(Duration::seconds(90))
            .leeway(Duration::seconds(5))
            .build();
        let before = OffsetDateTime::now_utc();
        let token = codec.encode(&1u8).unwrap();
        let after = OffsetDateTime::now_utc();
        let expires_at = codec.verify(&token).unwrap().expires_at;
        assert!(
            expires_at
                >= (before + Duration::seconds(89))
                    .replace_nanosecond(0)
                    .unwrap()
        );
        assert!(expires_at <= after + Duration::seconds(90));
        assert_eq!(codec.decode::<u8>(&token).unwrap().expires_at, expires_at);

        // Expired from expiry + leeway on, to the nanosecond.
        let deadline = expires_at + Duration::seconds(5);
        let just_before = deadline - Duration::nanoseconds(1);
        assert!(codec.decode_at::<u8>(&token, just_before).is_ok());
        assert!(codec.verify_at(&token, just_before).is_ok());
        for now in [deadline, deadline + Duration::days(1)] {
            let expired = Error::Expired {
                expired_at: expires_at,
            };
            assert_eq!(codec.decode_at::<u8>(&token, now).unwrap_err(), expired);
            assert_eq!(codec.verify_at(&token, now).unwrap_err(), expired);
        }

        // A time-to-live past the end of the time range means no limit: both paths
        // write the last second of the range.
        let forever = Codec::builder(Key::from_bytes(&[7; 32]).unwrap())
            .ttl(Duration::MAX)
            .build();
        let last = PrimitiveDateTime::MAX.assume_utc();
        assert_eq!(last.unix_timestamp(), LAST_UNIX_SECOND);
        let last_second = last.replace_nanosecond(0).unwrap();
        for token in [
            forever.encode(&1u8).unwrap(),
            forever.encode_at(&1u8, OffsetDateTime::now_utc()).unwrap(),
        ] {
            let verified = forever.verify_at(&token, before).unwrap();
            assert_eq!(verified.expires_at, last_second);
        }
        // Far negative: before 1970, refused.
        let never = Codec::builder(Key::from_bytes(&[7; 32]).unwrap())
            .ttl(Duration::MIN)
            .build();
        assert_eq!(never.encode(&1u8), Err(Error::ExpiryOutOfRange));
        // An explicit expiry past the end of the range (in another offset) is refused
        // rather than written into a token that would not decode.
        let beyond =
            PrimitiveDateTime::MAX.assume_offset(time::UtcOffset::from_hms(-1, 0, 0).unwrap());
        assert_eq!(
            codec.encode_until(&1u8, beyond),
            Err(Error::ExpiryOutOfRange)
        );
        let token = codec.encode_until(&1u8, last).unwrap();
        assert_eq!(
            codec.verify_at(&token, before).unwrap().expires_at,
            last.replace_nanosecond(0).unwrap()
        );
    }

    /// Payloads just below, at and above the stack buffer size decode alike.
    #[test]
    fn stack_and_heap_payloads() {
        let codec = codec();
        for len in [
            0,
            1,
            STACK_PAYLOAD_LEN - 3,
            STACK_PAYLOAD_LEN - 2,
            STACK_PAYLOAD_LEN - 1,
            2000,
        ] {
            let data = "x".repeat(len);
            let token = codec.encode(&data).unwrap();
            let verified = codec.decode::<String>(&token).unwrap();
            assert_eq!(verified.data, data);
            assert_eq!(verified.key_used, KeyUsed::Primary);
            assert_eq!(
                codec.verify(&token).unwrap().expires_at,
                verified.expires_at
            );
        }
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "127-level JSON takes Miri minutes; shallow JSON runs the same code"
    )]
    fn data_nested_deeper_than_the_decoder_reads_is_refused() {
        let nest = |n: usize| -> serde_json::Value {
            let mut v = serde_json::json!(1);
            for _ in 0..n {
                v = serde_json::json!([v]);
            }
            v
        };
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let token = codec().encode_at(&nest(MAX_JSON_DEPTH), now).unwrap();
        let back = codec().decode_at::<serde_json::Value>(&token, now).unwrap();
        assert_eq!(back.data, nest(MAX_JSON_DEPTH));
        assert_eq!(
            codec().encode_at(&nest(MAX_JSON_DEPTH + 1), now),
            Err(Error::Serialize)
        );
        // Brackets inside strings, escaped quotes included, do not count.
        let text = format!("[\"\\\"{}\"]", "[".repeat(500));
        assert!(json_depth_within(text.as_bytes(), 1));
        assert!(!json_depth_within(b"[[", 1));
        assert!(json_depth_within(br#"{"a":[]}"#, 2));
    }

    #[test]
    fn error_paths_hide_data() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Cart {
            items: Vec<Item>,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Item {
            qty: u32,
        }
        let err = deserialize::<Cart>(br#"{"items":[{"qty":1},{"qty":"secret"}]}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "session data does not match the expected type at `items[1].qty`"
        );
        assert!(!format!("{err:?}").contains("secret"));
        let err = deserialize::<std::collections::HashMap<String, u8>>(br#"{"pass word":"x"}"#)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "session data does not match the expected type at `[?]`"
        );
        let err = deserialize::<Cart>(b"{oops").unwrap_err();
        assert_eq!(err.to_string(), "session data is not valid JSON");
    }
}
