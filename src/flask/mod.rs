//! Layer 7: the Flask session cookie profile (feature `flask`).
//!
//! Reads and writes the `session` cookies of a Flask application, so a Rust service can
//! share a login with a Flask app or take it over route by route. Flask 3.1 with
//! itsdangerous 2.2 writes its cookie as:
//!
//! - the same `payload.timestamp.signature` layout as the native format, but the
//!   timestamp is the **signing time**, and the reader applies a maximum age (Flask's
//!   `PERMANENT_SESSION_LIFETIME`, 31 days by default);
//! - HMAC-**SHA1** with `key_derivation="hmac"` and the salt `cookie-session`;
//! - zlib compression when it makes the JSON more than one byte shorter (the token then
//!   starts with `.`);
//! - Flask's tagged JSON ([`FlaskValue`]): keys sorted, compact, ASCII only.
//!
//! For the same data, key and signing time, [`FlaskCodec`] writes exactly the bytes
//! Flask writes when the payload is not compressed. Compressed payloads round-trip both
//! ways but are not byte-identical (zlib implementations choose different encodings).
//!
//! ```
//! use sessionlib::flask::{FlaskCodec, FlaskSession, FlaskValue};
//! use sessionlib::{Key, Keyring};
//! # fn main() -> Result<(), sessionlib::Error> {
//! // The Flask app's SECRET_KEY, and its SECRET_KEY_FALLBACKS after a rotation.
//! let codec = FlaskCodec::from_flask_config(b"flask-secret-key", &[b"old-secret".as_slice()])?;
//!
//! let mut session = FlaskSession::new();
//! session.insert("user_id".into(), FlaskValue::from("42"));
//! sessionlib::flask::flash(&mut session, "message", "Logged in");
//! let cookie = codec.encode(&session)?;
//!
//! let mut verified = codec.decode(&cookie)?;
//! assert_eq!(verified.data["user_id"].as_str(), Some("42"));
//! assert_eq!(
//!     sessionlib::flask::take_flashes(&mut verified.data),
//!     [("message".to_string(), "Logged in".to_string())]
//! );
//! # Ok(())
//! # }
//! ```
//!
//! # Deliberate differences from Flask
//!
//! sessionlib is stricter than Flask where Flask accepts more than it writes. Each
//! point is pinned by a test (`tests/it/flask.rs`):
//!
//! - Non-canonical base64 (non-zero unused bits, `=` padding, characters outside the
//!   alphabet), which Python's decoder tolerates, is [`Error::Malformed`].
//! - Tag contents Flask coerces are refused: a `" t"` tuple that is not a list, `" b"`
//!   bytes that are not canonical standard base64, a `" u"` UUID that is not the 32
//!   lower-case hex digits Flask writes, a `" d"` date in any layout other than
//!   `Wed, 21 Oct 2015 07:28:00 GMT`, a `" di"` whose key is not a tag with `__`.
//! - A decompressed payload is capped ([`Inflate`](crate::Inflate)), and exactly one zlib stream with
//!   no trailing bytes is accepted.
//! - Timestamps in the future are refused beyond a leeway (default 30 seconds); Flask
//!   refuses them with none. The maximum age gets the same leeway.
//! - Python writes NaN and infinities into JSON; they are not valid JSON and are
//!   refused. Python integers beyond 64 bits are read as floats.
//! - Python writes floats with `repr` (`1e+16`); sessionlib writes them the same way
//!   in this profile, so floats are byte-identical too.

mod tagged;

use time::{Duration, OffsetDateTime};

use crate::error::Error;
use crate::key::{Key, Keyring};
use crate::signer::Signer;
use crate::signing_time::private::{Age, Sealed, Signing};
use crate::signing_time::{
    AnySigner, Profile, SigningTimeBuilder, SigningTimeCodec, SigningTimeVerified,
};
use crate::token::Layout;

pub use crate::signing_time::DEFAULT_LEEWAY;
pub use tagged::{FlaskSession, FlaskValue, MAX_DEPTH};

/// Parses Flask's tagged JSON text (the payload of a Flask session cookie, after
/// base64 and decompression) into a session. The top level must be an object.
pub fn from_tagged_json(json: &[u8]) -> Result<FlaskSession, Error> {
    tagged::from_json(json)
}

/// Writes a session as Flask's tagged JSON: keys sorted, compact, ASCII only, floats as
/// Python writes them. The result is the exact text Flask writes for the same data.
///
/// Fails with [`Error::Serialize`] for values nested deeper than [`MAX_DEPTH`], or
/// deeper than the 127 JSON levels [`from_tagged_json`] reads (a tuple takes two).
pub fn to_tagged_json(session: &FlaskSession) -> Result<String, Error> {
    let json = tagged::to_json(session)?;
    // A tuple or a `" di"` dict takes two JSON levels: refuse text the reader cannot
    // parse back. (`FlaskCodec::encode` gets the same check from the token writer.)
    crate::json::check_depth(json.as_bytes())?;
    Ok(json)
}

/// Flask's session salt (`SecureCookieSessionInterface.salt`): `cookie-session`.
pub const SESSION_SALT: &str = "cookie-session";

/// Flask's default `PERMANENT_SESSION_LIFETIME`: 31 days.
pub const DEFAULT_MAX_AGE: Duration = Duration::days(31);

/// The session key Flask keeps flash messages under; [`flash`] and [`take_flashes`]
/// read and write it.
pub(crate) const FLASHES_KEY: &str = "_flashes";

/// The HMAC digest of a Flask profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Digest {
    /// HMAC-SHA1, Flask's default (`SecureCookieSessionInterface.digest_method`).
    #[default]
    Sha1,
    /// HMAC-SHA256, for apps that set `digest_method = hashlib.sha256`.
    Sha256,
}

/// The Flask profile of the [signing-time core](crate::signing_time): the
/// `payload.timestamp.signature` layout of itsdangerous, HMAC with
/// `key_derivation="hmac"` and the chosen [`Digest`], and Flask's age rule (whole
/// seconds; the leeway applies to the maximum age and to the future).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlaskProfile {
    digest: Digest,
}

impl Profile for FlaskProfile {}

impl Sealed for FlaskProfile {
    const CODEC_NAME: &'static str = "FlaskCodec";

    fn signing(&self, keyring: &Keyring, salt: &[u8]) -> Signing {
        let signer = match self.digest {
            Digest::Sha1 => AnySigner::Sha1(Signer::new(keyring, salt)),
            Digest::Sha256 => AnySigner::Sha256(Signer::new(keyring, salt)),
        };
        Signing(signer, Layout::Dotted)
    }

    /// Whole seconds, as Python's `int(time.time())`; the leeway applies past the
    /// maximum age and to signing times in the future.
    fn check_age(&self, age: &Age) -> Result<(), Error> {
        let Age {
            signed_at,
            max_age,
            leeway,
            ..
        } = *age;
        let now = OffsetDateTime::from_unix_timestamp(age.now.unix_timestamp())
            .map_err(|_| Error::Malformed)?;
        let age = now - signed_at;
        // An overflowing limit is no limit (both settings are unbounded durations).
        let too_old = max_age.checked_add(leeway).is_some_and(|limit| age > limit);
        if too_old {
            return Err(Error::Expired {
                expired_at: signed_at.saturating_add(max_age),
            });
        }
        // The leeway is never negative, so its negation cannot overflow.
        if age < leeway.checked_neg().unwrap_or(Duration::MIN) {
            return Err(Error::NotYetValid { signed_at });
        }
        Ok(())
    }
}

/// A decoded, verified Flask session.
pub type FlaskVerified = SigningTimeVerified<FlaskSession>;

/// Encodes and decodes Flask session cookies. `Send + Sync`, cheap to clone.
pub type FlaskCodec = SigningTimeCodec<FlaskProfile>;

/// Settings for a [`FlaskCodec`]; made by [`FlaskCodec::builder`].
pub type FlaskCodecBuilder = SigningTimeBuilder<FlaskProfile>;

impl SigningTimeBuilder<FlaskProfile> {
    /// The HMAC digest (Flask: `SecureCookieSessionInterface.digest_method`).
    ///
    /// Defaults to [`Digest::Sha1`], as Flask.
    pub fn digest(mut self, digest: Digest) -> Self {
        self.profile.digest = digest;
        self
    }
}

impl SigningTimeCodec<FlaskProfile> {
    /// A codec with Flask's defaults: HMAC-SHA1, salt `cookie-session`, 31 days maximum
    /// age, 30 seconds leeway, 4096-byte cookies.
    pub fn new(keyring: impl Into<Keyring>) -> Self {
        Self::builder(keyring).build()
    }

    /// Starts building a codec for the given keys, with Flask's defaults: HMAC-SHA1,
    /// salt [`SESSION_SALT`], a maximum age of [`DEFAULT_MAX_AGE`], compression on.
    pub fn builder(keyring: impl Into<Keyring>) -> FlaskCodecBuilder {
        SigningTimeBuilder::with_profile(
            FlaskProfile::default(),
            keyring.into(),
            SESSION_SALT,
            DEFAULT_MAX_AGE,
            true,
        )
    }

    /// A codec with Flask's defaults for an app's `SECRET_KEY` and
    /// `SECRET_KEY_FALLBACKS`, taken as raw bytes (a Python `str` key is its UTF-8).
    /// Short keys are accepted, as with [`Key::from_flask_secret_key`], whose warning
    /// applies. `KeyUsed::Fallback(i)` then names entry `i` of `fallbacks`.
    pub fn from_flask_config(secret_key: &[u8], fallbacks: &[&[u8]]) -> Result<Self, Error> {
        Ok(Self::new(flask_keyring(secret_key, fallbacks)?))
    }

    /// Signs `session` with the current time as its signing time.
    pub fn encode(&self, session: &FlaskSession) -> Result<String, Error> {
        self.encode_at(session, self.now())
    }

    /// Signs `session` with `now` as the current time: the signing time it carries is
    /// `now`, rounded down to the second.
    pub fn encode_at(&self, session: &FlaskSession, now: OffsetDateTime) -> Result<String, Error> {
        self.seal_at(now, || tagged::to_json(session).map(String::into_bytes))
    }

    /// Verifies a Flask session cookie value at the current time.
    pub fn decode(&self, token: &str) -> Result<FlaskVerified, Error> {
        self.decode_at(token, self.now())
    }

    /// Verifies a Flask session cookie value with `now` as the current time.
    ///
    /// Checks, in order: length, shape, signature, signing time (not older than the
    /// maximum age, not in the future, each with the leeway), and only then
    /// decompresses and parses the payload.
    pub fn decode_at(&self, token: &str, now: OffsetDateTime) -> Result<FlaskVerified, Error> {
        let opened = self.open_at(token, now)?;
        Ok(SigningTimeVerified {
            data: tagged::from_json(&opened.data)?,
            signed_at: opened.signed_at,
            key_used: opened.key_used,
        })
    }

    /// Reads and verifies the Flask session cookie called `name` (Flask's
    /// `SESSION_COOKIE_NAME`, `session` by default) from a raw `Cookie:` request header
    /// value, at the current time. `Ok(None)` when there is no such cookie.
    ///
    /// The header is read by the rules of the [`cookies`](crate::cookies) module: names
    /// byte for byte, several cookies of the name each verified, and two different
    /// valid ones refused as [`Error::AmbiguousCookie`].
    ///
    /// To read a header at another time (in tests), take the value with
    /// [`cookie_values_in_header`](crate::cookies::cookie_values_in_header) and call
    /// [`FlaskCodec::decode_at`].
    pub fn decode_header(
        &self,
        header: impl AsRef<[u8]>,
        name: &str,
    ) -> Result<Option<FlaskVerified>, Error> {
        self.decode_header_with(header.as_ref(), name, |token, now| {
            self.decode_at(token, now)
        })
    }
}

/// A keyring from a Flask app's `SECRET_KEY` and `SECRET_KEY_FALLBACKS`: the secret
/// key is the primary, fallback `i` is entry `i` of the list. Short keys are accepted
/// ([`Key::from_flask_secret_key`]).
pub fn flask_keyring(secret_key: &[u8], fallbacks: &[&[u8]]) -> Result<Keyring, Error> {
    crate::signing_time::secret_keyring(
        secret_key,
        fallbacks.iter().copied(),
        Key::from_flask_secret_key,
    )
}

/// Adds a flash message as Flask's `flash(message, category)` does: a
/// `(category, message)` tuple appended to the `_flashes` list.
pub fn flash(session: &mut FlaskSession, category: &str, message: &str) {
    let entry = FlaskValue::Tuple(vec![category.into(), message.into()]);
    match session.get_mut(FLASHES_KEY) {
        Some(FlaskValue::List(items)) => items.push(entry),
        _ => {
            session.insert(FLASHES_KEY.to_string(), FlaskValue::List(vec![entry]));
        }
    }
}

/// Removes and returns the flash messages as `(category, message)` pairs, as Flask's
/// `get_flashed_messages(with_categories=True)` does. Entries that are not pairs of
/// strings are dropped.
pub fn take_flashes(session: &mut FlaskSession) -> Vec<(String, String)> {
    let Some(FlaskValue::List(items)) = session.remove(FLASHES_KEY) else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| match item {
            FlaskValue::Tuple(pair) | FlaskValue::List(pair) => match pair.as_slice() {
                [FlaskValue::String(c), FlaskValue::String(m)] => Some((c.clone(), m.clone())),
                _ => None,
            },
            _ => None,
        })
        .collect()
}
