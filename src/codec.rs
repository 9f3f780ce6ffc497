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
use crate::error::{CodecConfigError, Error};
use crate::json;
use crate::key::{KeyUsed, Keyring};
use crate::signer::{Sha256, Signer};
use crate::token::{Framer, Opened};

pub use crate::compress::Inflate;

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
    envelope: Envelope,
    max_token_len: usize,
    ttl: Duration,
    leeway: Duration,
    clock: SharedClock,
}

/// What wraps the JSON of a token, chosen once when the codec is built: everything that
/// differs between signed and sealed tokens is one arm of a match on it.
enum Envelope {
    /// `payload.timestamp.signature`, HMAC-SHA256 with the keyring's derived keys, the
    /// payload optionally compressed.
    Signed(Framer<Sha256>),
    /// XChaCha20-Poly1305 under keys derived from the keyring (feature `sealed`); never
    /// compressed, and no HMAC state is derived for it.
    #[cfg(feature = "sealed")]
    Sealed(crate::sealed::Sealer),
}

/// A token whose authenticity and expiry were checked, its payload not yet parsed.
enum Checked<'c, 't> {
    /// A signed token: its parts, decoded (and inflated) when the data is read.
    Signed(&'c Framer<Sha256>, Opened<'t>),
    /// A sealed token's plaintext, wiped when dropped.
    #[cfg(feature = "sealed")]
    Sealed(zeroize::Zeroizing<Vec<u8>>),
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec")
            .field("ttl", &self.inner.ttl)
            .field("leeway", &self.inner.leeway)
            .field("max_token_len", &self.inner.max_token_len)
            .field("compression", &self.is_compressed())
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
    /// signed tokens. Sealed payloads are never compressed:
    /// [`try_build`](Self::try_build) refuses a codec both sealed and compressed
    /// ([`CodecConfigError::CompressedSealed`]). See [`crate::sealed`] for the format and
    /// what it still shows (length, expiry).
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
    /// Sealed tokens are never compressed: with [`sealed`](Self::sealed) on,
    /// [`try_build`](Self::try_build) refuses compression.
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

    /// Checks that the settings combine, then builds the codec as
    /// [`build`](Self::build) does.
    ///
    /// Fails with [`CodecConfigError::CompressedSealed`] when both
    /// [`sealed`](Self::sealed) and [`compression`](Self::compression) are on: sealed
    /// payloads are never compressed (compressing before encrypting would let the
    /// token's length tell about its contents).
    pub fn try_build(self) -> Result<Codec, CodecConfigError> {
        #[cfg(feature = "sealed")]
        if self.sealed && self.compression {
            return Err(CodecConfigError::CompressedSealed);
        }
        Ok(self.build())
    }

    /// Builds the codec, deriving the per-key MAC states (or, for a sealed codec, the
    /// sealing keys) once. Never fails: settings are checked by their setters' types.
    /// The one combination that cannot be honoured, [`sealed`](Self::sealed) with
    /// [`compression`](Self::compression), makes a sealed codec without compression;
    /// [`try_build`](Self::try_build) refuses it instead.
    pub fn build(self) -> Codec {
        let envelope = self.envelope();
        Codec {
            inner: Arc::new(Inner {
                envelope,
                max_token_len: self.max_token_len,
                ttl: self.ttl,
                leeway: self.leeway,
                clock: self.clock,
            }),
        }
    }

    /// The envelope the settings choose: sealed or signed.
    fn envelope(&self) -> Envelope {
        #[cfg(feature = "sealed")]
        if self.sealed {
            return Envelope::Sealed(crate::sealed::Sealer::new(&self.keyring, &self.salt));
        }
        Envelope::Signed(Framer::new(
            Signer::new(&self.keyring, &self.salt),
            self.max_token_len,
            self.compression.then_some(self.inflate),
        ))
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
        match self.inner.envelope {
            Envelope::Signed(_) => false,
            #[cfg(feature = "sealed")]
            Envelope::Sealed(_) => true,
        }
    }

    /// Whether payloads are compressed (see [`CodecBuilder::compression`]).
    fn is_compressed(&self) -> bool {
        match &self.inner.envelope {
            Envelope::Signed(framer) => framer.compression.is_some(),
            #[cfg(feature = "sealed")]
            Envelope::Sealed(_) => false,
        }
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
        self.inner.max_token_len
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
        let json = json::to_vec(data, ENCODE_BUFFER_LEN)?;
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
        match &self.inner.envelope {
            Envelope::Signed(framer) => framer.seal(json, expiry),
            #[cfg(feature = "sealed")]
            Envelope::Sealed(sealer) => {
                let json = zeroize::Zeroizing::new(json);
                json::check_depth(&json)?;
                sealer.seal(&json, expiry, self.inner.max_token_len)
            }
        }
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
        self.check(token, now).map(|(_, verified)| verified)
    }

    fn decode_with_clock<T: DeserializeOwned>(
        &self,
        token: &str,
        now: impl FnOnce() -> i128,
    ) -> Result<Verified<T>, Error> {
        let (checked, verified) = self.check(token, now)?;
        let data = match checked {
            Checked::Signed(framer, opened) => framer.with_payload(&opened, json::deserialize)?,
            #[cfg(feature = "sealed")]
            Checked::Sealed(plaintext) => json::deserialize(&plaintext)?,
        };
        Ok(verified.map(|()| data))
    }

    /// Checks the length, the shape, the authenticity (signature or tag) and the expiry
    /// of `token`, reading the clock (Unix time in nanoseconds) only once the token is
    /// authentic. The payload is not parsed yet.
    fn check<'c, 't>(
        &'c self,
        token: &'t str,
        now: impl FnOnce() -> i128,
    ) -> Result<(Checked<'c, 't>, Verified<()>), Error> {
        let (checked, expiry, key_used) = match &self.inner.envelope {
            Envelope::Signed(framer) => {
                let opened = framer.open(token.as_bytes())?;
                let (expiry, key_used) = (opened.timestamp, opened.key_used);
                (Checked::Signed(framer, opened), expiry, key_used)
            }
            #[cfg(feature = "sealed")]
            Envelope::Sealed(sealer) => {
                let unsealed = sealer.open(token.as_bytes(), self.inner.max_token_len)?;
                let (expiry, key_used) = (unsealed.expiry, unsealed.key_used);
                (Checked::Sealed(unsealed.plaintext), expiry, key_used)
            }
        };
        let expires_at = timestamp_to_time(expiry)?;
        check_expiry(expiry, expires_at, now(), self.inner.leeway)?;
        let verified = Verified {
            data: (),
            expires_at,
            key_used,
        };
        Ok((checked, verified))
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
        let token = codec().encode_at(&nest(json::MAX_DEPTH), now).unwrap();
        let back = codec().decode_at::<serde_json::Value>(&token, now).unwrap();
        assert_eq!(back.data, nest(json::MAX_DEPTH));
        assert_eq!(
            codec().encode_at(&nest(json::MAX_DEPTH + 1), now),
            Err(Error::Serialize)
        );
    }

    #[test]
    fn try_build_accepts_settings_that_combine() {
        let codec = Codec::builder(Key::generate()).try_build().unwrap();
        assert!(!codec.is_sealed());
        #[cfg(feature = "sealed")]
        assert!(Codec::builder(Key::generate())
            .sealed(true)
            .try_build()
            .unwrap()
            .is_sealed());
    }

    #[cfg(all(feature = "sealed", feature = "zlib"))]
    #[test]
    fn sealed_and_compressed_is_refused_by_try_build_and_built_without_compression() {
        let builder = || {
            Codec::builder(Key::generate())
                .compression(true)
                .sealed(true)
        };
        assert_eq!(
            builder().try_build().err(),
            Some(CodecConfigError::CompressedSealed)
        );
        let codec = builder().build();
        assert!(codec.is_sealed() && !codec.is_compressed());
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let data = serde_json::json!({"a": "a".repeat(300)});
        let token = codec.encode_at(&data, now).unwrap();
        assert!(!token.starts_with('.'));
        assert_eq!(
            codec
                .decode_at::<serde_json::Value>(&token, now)
                .unwrap()
                .data,
            data
        );
    }
}
