//! Layer 7: the core of the signing-time profiles ([`flask`](crate::flask) and
//! [`django`](crate::django), features `flask` and `django`).
//!
//! A signing-time token carries the time it was **signed**, not an expiry: the reader
//! decides how old a token may be (its maximum age) and refuses signing times in the
//! future beyond a leeway. Everything these profiles share is written here once: the
//! settings ([`SigningTimeBuilder`]), the order of the checks (length, shape,
//! signature, signing time, then the payload), the age limits, the `Cookie:` header
//! rules and the result ([`SigningTimeVerified`]).
//!
//! What a profile decides is in one implementation of [`Profile`] each: the token's
//! spelling and digest, how the signing key is derived, the age rule (Flask counts
//! whole seconds and gives the maximum age the leeway too; Django counts nanoseconds
//! and gives it none), and its defaults (salt, maximum age, compression). The payload's
//! serialization stays with the profile's own `encode`/`decode`.
//!
//! The profile types are markers: use them through their aliases,
//! [`FlaskCodec`](crate::flask::FlaskCodec) (`SigningTimeCodec<FlaskProfile>`) and
//! [`DjangoCodec`](crate::django::DjangoCodec) (`SigningTimeCodec<DjangoProfile>`).

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::clock::{Clock, IntoDuration, SharedClock};
use crate::codec::{timestamp_to_time, Inflate};
use crate::error::{Error, KeyError};
use crate::key::{Key, KeyUsed, Keyring};
#[cfg(feature = "flask")]
use crate::signer::Sha1;
use crate::signer::{Sha256, Signer};
use crate::token::{Framer, Layout, Opened};

/// The default leeway for clocks that differ between servers: 30 seconds.
pub const DEFAULT_LEEWAY: Duration = Duration::seconds(30);

/// A signing-time profile: [`FlaskProfile`](crate::flask::FlaskProfile) or
/// [`DjangoProfile`](crate::django::DjangoProfile). Sealed: the crate's profiles are
/// the only ones.
pub trait Profile: private::Sealed {}

pub(crate) mod private {
    use super::{AnySigner, Duration, Error, Keyring, Layout, OffsetDateTime};

    /// What a profile decides; not nameable outside the crate.
    pub trait Sealed: Clone + std::fmt::Debug + Send + Sync + 'static {
        /// The name the codec's `Debug` shows.
        const CODEC_NAME: &'static str;

        /// The signer (digest and key derivation) for these keys and salt, and the
        /// token's spelling.
        fn signing(&self, keyring: &Keyring, salt: &[u8]) -> Signing;

        /// The age rule: `Ok` when the token is young enough and not from the future.
        fn check_age(&self, age: &Age) -> Result<(), Error>;
    }

    /// A profile's signer and layout, as [`Sealed::signing`] makes them.
    pub struct Signing(pub(crate) AnySigner, pub(crate) Layout);

    /// What an age rule looks at.
    pub struct Age {
        /// The signed timestamp: Unix seconds.
        #[cfg_attr(not(feature = "django"), allow(dead_code))]
        pub(crate) timestamp: u64,
        /// The same, as a time.
        pub(crate) signed_at: OffsetDateTime,
        /// The time of the check.
        pub(crate) now: OffsetDateTime,
        pub(crate) max_age: Duration,
        /// Never negative.
        pub(crate) leeway: Duration,
    }
}

/// A signer of either digest.
pub(crate) enum AnySigner {
    #[cfg(feature = "flask")]
    Sha1(Signer<Sha1>),
    Sha256(Signer<Sha256>),
}

/// A framer of either digest.
pub(crate) enum AnyFramer {
    #[cfg(feature = "flask")]
    Sha1(Framer<Sha1>),
    Sha256(Framer<Sha256>),
}

impl AnyFramer {
    /// The framer of a profile's signer and layout. Every profile reads compressed
    /// tokens, within `inflate`.
    fn new(signing: private::Signing, max_token_len: usize, inflate: Inflate) -> Self {
        let private::Signing(signer, layout) = signing;
        let compression = Some(inflate);
        match signer {
            #[cfg(feature = "flask")]
            AnySigner::Sha1(s) => Self::Sha1(Framer::new(s, max_token_len, compression)),
            AnySigner::Sha256(s) => {
                let framer = Framer::new(s, max_token_len, compression);
                #[cfg(feature = "django")]
                let framer = framer.with_layout(layout);
                #[cfg(not(feature = "django"))]
                let Layout::Dotted = layout;
                Self::Sha256(framer)
            }
        }
    }

    fn open<'a>(&self, token: &'a [u8]) -> Result<Opened<'a>, Error> {
        match self {
            #[cfg(feature = "flask")]
            Self::Sha1(f) => f.open(token),
            Self::Sha256(f) => f.open(token),
        }
    }

    fn payload(&self, opened: &Opened<'_>) -> Result<Vec<u8>, Error> {
        match self {
            #[cfg(feature = "flask")]
            Self::Sha1(f) => f.payload(opened),
            Self::Sha256(f) => f.payload(opened),
        }
    }

    fn seal(&self, payload: Vec<u8>, timestamp: u64, compress: bool) -> Result<String, Error> {
        match self {
            #[cfg(feature = "flask")]
            Self::Sha1(f) => f.seal_compressing(payload, timestamp, compress),
            Self::Sha256(f) => f.seal_compressing(payload, timestamp, compress),
        }
    }

    fn max_token_len(&self) -> usize {
        match self {
            #[cfg(feature = "flask")]
            Self::Sha1(f) => f.max_token_len,
            Self::Sha256(f) => f.max_token_len,
        }
    }
}

/// A decoded, verified signing-time token ([`FlaskVerified`](crate::flask::FlaskVerified),
/// [`DjangoVerified`](crate::django::DjangoVerified)).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SigningTimeVerified<T> {
    /// The data.
    pub data: T,
    /// When the token was signed (whole seconds, UTC).
    pub signed_at: OffsetDateTime,
    /// Which key verified the token: `Primary` for the app's `SECRET_KEY`,
    /// `Fallback(i)` for the `i`-th key added with [`Keyring::with_fallback`] (with
    /// `FlaskCodec::from_flask_config` or `DjangoCodec::from_django_settings`, entry `i`
    /// of `SECRET_KEY_FALLBACKS`).
    pub key_used: KeyUsed,
}

impl<T> SigningTimeVerified<T> {
    /// Whether the token was signed with a fallback key and should be re-issued with
    /// the primary one. (Flask re-signs its session on every response that saves it;
    /// Django only when the session changes.)
    pub fn needs_reissue(&self) -> bool {
        self.key_used.is_fallback()
    }

    /// The same result with its data transformed by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> SigningTimeVerified<U> {
        SigningTimeVerified {
            data: f(self.data),
            signed_at: self.signed_at,
            key_used: self.key_used,
        }
    }
}

/// Encodes and decodes the tokens of a signing-time profile. `Send + Sync`, cheap to
/// clone. Made by the profile's constructors ([`FlaskCodec`](crate::flask::FlaskCodec),
/// [`DjangoCodec`](crate::django::DjangoCodec)), which also hold its `encode` and
/// `decode`.
pub struct SigningTimeCodec<P: Profile> {
    inner: Arc<Inner<P>>,
}

struct Inner<P> {
    profile: P,
    framer: AnyFramer,
    compression: bool,
    max_age: Duration,
    leeway: Duration,
    clock: SharedClock,
}

impl<P: Profile> Clone for SigningTimeCodec<P> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<P: Profile> std::fmt::Debug for SigningTimeCodec<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(P::CODEC_NAME)
            .field("profile", &self.inner.profile)
            .field("compression", &self.inner.compression)
            .field("max_age", &self.inner.max_age)
            .field("leeway", &self.inner.leeway)
            .field("max_token_len", &self.inner.framer.max_token_len())
            .finish_non_exhaustive()
    }
}

/// Settings for a [`SigningTimeCodec`] ([`FlaskCodecBuilder`](crate::flask::FlaskCodecBuilder),
/// [`DjangoCodecBuilder`](crate::django::DjangoCodecBuilder)); made by the profile's
/// `builder`.
#[derive(Debug, Clone)]
#[must_use]
pub struct SigningTimeBuilder<P: Profile> {
    pub(crate) profile: P,
    keyring: Keyring,
    salt: Vec<u8>,
    compression: bool,
    max_age: Duration,
    leeway: Duration,
    max_token_len: usize,
    inflate: Inflate,
    clock: SharedClock,
}

impl<P: Profile> SigningTimeBuilder<P> {
    /// A builder with the shared defaults (a leeway of [`DEFAULT_LEEWAY`], tokens up to
    /// 4096 bytes, [`Inflate::default`], the system clock) and the profile's own.
    pub(crate) fn with_profile(
        profile: P,
        keyring: Keyring,
        salt: &str,
        max_age: Duration,
        compression: bool,
    ) -> Self {
        Self {
            profile,
            keyring,
            salt: salt.as_bytes().to_vec(),
            compression,
            max_age,
            leeway: DEFAULT_LEEWAY,
            max_token_len: crate::codec::DEFAULT_MAX_TOKEN_LEN,
            inflate: Inflate::default(),
            clock: SharedClock::default(),
        }
    }

    /// The salt: a token made for one salt never verifies under another (Flask:
    /// `SecureCookieSessionInterface.salt`; Django: `dumps(..., salt=...)`, where an
    /// empty salt means what it means to Django's `Signer`, the class's dotted path
    /// `django.core.signing.TimestampSigner`).
    ///
    /// Defaults to the profile's: `flask::SESSION_SALT` (`cookie-session`);
    /// `django::SIGNING_SALT` with `DjangoCodec::builder` and `django::SESSION_SALT`
    /// with `DjangoCodec::session_builder`.
    pub fn salt(mut self, salt: impl AsRef<[u8]>) -> Self {
        self.salt = salt.as_ref().to_vec();
        self
    }

    /// Whether encoding compresses the JSON with zlib when that makes it more than one
    /// byte shorter (the token then starts with `.`). Decoding reads compressed tokens
    /// either way, within the [inflate limits](Self::inflate_limits).
    ///
    /// Defaults to the profile's: on for Flask (as Flask) and
    /// `DjangoCodec::session_builder` (as Django's session engine), off for
    /// `DjangoCodec::builder` (as `dumps`).
    pub fn compression(mut self, on: bool) -> Self {
        self.compression = on;
        self
    }

    /// How long after signing a token is accepted (Flask: `PERMANENT_SESSION_LIFETIME`,
    /// which Flask applies to every session cookie; Django: `loads(..., max_age=...)`,
    /// for sessions `SESSION_COOKIE_AGE`). Any duration is accepted.
    ///
    /// Flask's rule counts whole seconds, and a cookie is accepted up to the leeway
    /// past this age; an age whose sum with the leeway overflows means no limit, a
    /// negative one accepts a cookie only within the leeway of being older than zero.
    /// Django's rule is Django's own, to the nanosecond and with no leeway:
    /// [`Duration::MAX`] accepts any age (Django's `max_age=None`), a negative age
    /// accepts none.
    ///
    /// Defaults to the profile's: `flask::DEFAULT_MAX_AGE` (31 days),
    /// `django::SESSION_COOKIE_AGE` (two weeks).
    pub fn max_age(mut self, max_age: impl IntoDuration) -> Self {
        self.max_age = max_age.into_duration();
        self
    }

    /// How far a signing time may lie in the future, for clocks that differ between
    /// servers (with Flask also how far past the maximum age a cookie is still
    /// accepted). Negative values count as zero. Flask refuses future signing times
    /// with no leeway and Django accepts any: see the profiles' module docs.
    ///
    /// Defaults to [`DEFAULT_LEEWAY`] (30 seconds).
    pub fn leeway(mut self, leeway: impl IntoDuration) -> Self {
        self.leeway = leeway.into_duration().max(Duration::ZERO);
        self
    }

    /// The longest token decoded or produced, in bytes. Longer input is refused with
    /// [`Error::TooLarge`] before any other work.
    ///
    /// Defaults to 4096, the browser limit for a cookie.
    pub fn max_token_len(mut self, max: usize) -> Self {
        self.max_token_len = max;
        self
    }

    /// Limits for decompressing payloads.
    ///
    /// Defaults to [`Inflate::default`] (64 KiB, ratio 256).
    pub fn inflate_limits(mut self, limits: Inflate) -> Self {
        self.inflate = limits;
        self
    }

    /// The clock that `encode`, `decode` and `decode_header` read the current time
    /// from, as for [`CodecBuilder::clock`](crate::CodecBuilder::clock).
    ///
    /// Defaults to the system clock.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = SharedClock::new(clock);
        self
    }

    /// Builds the codec, deriving the per-key MAC states once.
    pub fn build(self) -> SigningTimeCodec<P> {
        let signing = self.profile.signing(&self.keyring, &self.salt);
        let framer = AnyFramer::new(signing, self.max_token_len, self.inflate);
        SigningTimeCodec {
            inner: Arc::new(Inner {
                profile: self.profile,
                framer,
                compression: self.compression,
                max_age: self.max_age,
                leeway: self.leeway,
                clock: self.clock,
            }),
        }
    }
}

impl<P: Profile> SigningTimeCodec<P> {
    /// The configured maximum age.
    pub fn max_age(&self) -> Duration {
        self.inner.max_age
    }

    /// The configured leeway.
    pub fn leeway(&self) -> Duration {
        self.inner.leeway
    }

    /// The current time, from the configured clock.
    pub(crate) fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    /// Makes a token signed at `now` (rounded down to the second) of the JSON that
    /// `json` writes, called only once the time is known to be after the Unix epoch.
    pub(crate) fn seal_at(
        &self,
        now: OffsetDateTime,
        json: impl FnOnce() -> Result<Vec<u8>, Error>,
    ) -> Result<String, Error> {
        let timestamp = u64::try_from(now.unix_timestamp())
            .ok()
            .filter(|&t| t > 0)
            .ok_or(Error::ExpiryOutOfRange)?;
        self.inner
            .framer
            .seal(json()?, timestamp, self.inner.compression)
    }

    /// Checks, in order: length, shape, signature, signing time (the profile's age
    /// rule); then returns the payload (inflated when compressed), the signing time and
    /// the key that matched.
    pub(crate) fn open_at(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<SigningTimeVerified<Vec<u8>>, Error> {
        let inner = &*self.inner;
        let opened = inner.framer.open(token.as_bytes())?;
        let signed_at = timestamp_to_time(opened.timestamp)?;
        inner.profile.check_age(&private::Age {
            timestamp: opened.timestamp,
            signed_at,
            now,
            max_age: inner.max_age,
            leeway: inner.leeway,
        })?;
        Ok(SigningTimeVerified {
            data: inner.framer.payload(&opened)?,
            signed_at,
            key_used: opened.key_used,
        })
    }

    /// The cookie called `name` in a raw `Cookie:` header, decoded by `decode` at the
    /// current time, by the rules of the [`cookies`](crate::cookies) module.
    pub(crate) fn decode_header_with<R>(
        &self,
        header: &[u8],
        name: &str,
        decode: impl Fn(&str, OffsetDateTime) -> Result<R, Error>,
    ) -> Result<Option<R>, Error> {
        let now = self.now();
        let values = crate::cookies::cookie_values_in_header(header, name)?;
        crate::cookies::pick_one(values, |token| decode(token, now))
    }
}

/// A keyring of an app's `SECRET_KEY` (the primary) and `SECRET_KEY_FALLBACKS`
/// (fallback `i` is entry `i`), each made into a key by `key`.
pub(crate) fn secret_keyring<'a>(
    secret_key: &[u8],
    fallbacks: impl IntoIterator<Item = &'a [u8]>,
    key: fn(&[u8]) -> Result<Key, KeyError>,
) -> Result<Keyring, Error> {
    let mut ring = Keyring::new(key(secret_key)?);
    for secret in fallbacks {
        ring = ring.with_fallback(key(secret)?);
    }
    Ok(ring)
}

#[cfg(test)]
#[cfg(all(feature = "flask", feature = "django"))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::django::DjangoCodec;
    use crate::flask::{FlaskCodec, FlaskSession, FlaskValue};
    use crate::KeyUsed;
    use time::{Duration, OffsetDateTime};

    fn at(t: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(t).unwrap()
    }

    #[test]
    fn flask_has_what_django_has() {
        let old = FlaskCodec::from_flask_config(b"old key", &[]).unwrap();
        let codec = FlaskCodec::from_flask_config(b"new key", &[b"old key".as_slice()]).unwrap();
        assert_eq!(codec.max_age(), crate::flask::DEFAULT_MAX_AGE);
        let mut session = FlaskSession::new();
        session.insert("n".into(), FlaskValue::from("1"));
        let token = old.encode_at(&session, at(1_000)).unwrap();
        let verified = codec.decode_at(&token, at(1_000)).unwrap();
        assert_eq!(verified.key_used, KeyUsed::Fallback(0));
        assert!(verified.needs_reissue());
        let mapped = verified.map(|data| data.len());
        assert_eq!((mapped.data, mapped.signed_at), (1, at(1_000)));
        let fresh = codec.encode_at(&session, at(1_000)).unwrap();
        assert!(!codec.decode_at(&fresh, at(1_000)).unwrap().needs_reissue());
    }

    #[test]
    fn shared_settings_reach_both_profiles() {
        let ring = crate::django::django_keyring("k", &[]).unwrap();
        let django = DjangoCodec::builder(ring.clone())
            .max_age(Duration::seconds(5))
            .leeway(Duration::seconds(-3))
            .build();
        assert_eq!(
            (django.max_age(), django.leeway()),
            (Duration::seconds(5), Duration::ZERO)
        );
        let flask = FlaskCodec::builder(ring)
            .compression(false)
            .max_token_len(10)
            .build();
        let session = FlaskSession::new();
        assert!(matches!(
            flask.encode_at(&session, at(1_000)),
            Err(crate::Error::TooLarge { .. })
        ));
        let debug = format!("{flask:?}");
        assert!(debug.starts_with("FlaskCodec { profile: FlaskProfile { digest: Sha1 }"));
    }
}
