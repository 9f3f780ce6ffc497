//! Layer 7: the Django profile (feature `django`): `django.core.signing` tokens and the
//! `signed_cookies` session engine.
//!
//! Reads and writes the `sessionid` cookie of a Django application that uses
//! `SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"`, and any token
//! of `django.core.signing.dumps`/`loads`, so a Rust service can share a login with a
//! Django app or take it over route by route. Django 5.2 writes:
//!
//! ```text
//! token     = ["."] payload ":" timestamp ":" signature   ; "." when compressed
//! payload   = b64(JSON)  or  b64(zlib(JSON))
//! timestamp = the signing time, Unix seconds in base62 (0-9 A-Z a-z)
//! signature = b64(HMAC-SHA256(SHA256(salt + "signer" + secret), everything before it))
//! b64       = base64url without "=" padding
//! ```
//!
//! The signature key is Django's `salted_hmac`: a SHA-256 of the salt, the word
//! `signer` and the secret. The reader applies a maximum age (for sessions Django's
//! `SESSION_COOKIE_AGE`, two weeks by default). The JSON is `json.dumps` with compact
//! separators: keys in the order the value has them, non-ASCII escaped, floats as
//! Python writes them.
//!
//! For the same data (with its keys in the same order), key and signing time,
//! [`DjangoCodec`] writes exactly the bytes Django writes when the payload is not
//! compressed. Compressed payloads round-trip both ways but are not byte-identical
//! (zlib implementations choose different encodings).
//!
//! ```
//! use sessionlib::django::{self, DjangoCodec, DjangoSession, Message};
//! # fn main() -> Result<(), sessionlib::Error> {
//! // The Django app's SECRET_KEY, and its SECRET_KEY_FALLBACKS after a rotation.
//! let codec = DjangoCodec::from_django_settings("django-insecure-dev-key", &["old key"])?;
//!
//! let mut session = DjangoSession::new();
//! session.insert("cart".into(), serde_json::json!(["apple"]));
//! django::add_message(&mut session, Message::new(django::level::SUCCESS, "Saved"));
//! let cookie = codec.encode(&session)?;
//!
//! let mut verified = codec.decode::<DjangoSession>(&cookie)?;
//! assert_eq!(verified.data["cart"], serde_json::json!(["apple"]));
//! let messages = django::take_messages(&mut verified.data);
//! assert_eq!(messages[0].message, "Saved");
//! # Ok(())
//! # }
//! ```
//!
//! # Deliberate differences from Django
//!
//! sessionlib reads with the same strict rules as its other profiles, so it refuses
//! some tokens Django accepts. Each such token is pinned by a vector made with Django
//! (`tests/vectors/django.json`, `django_accepts: true`; 13 of them):
//!
//! - Non-canonical base64 (non-zero unused bits, `=` padding, characters outside the
//!   alphabet such as a `:` inside the payload), which Python's decoder skips or
//!   tolerates, is [`Error::Malformed`].
//! - A timestamp with a leading `0`, a sign, or more digits than a `u64` holds is
//!   [`Error::Malformed`] (Django's `b62_decode` reads them).
//! - A signing time in the future is refused beyond a leeway (default 30 seconds) as
//!   [`Error::NotYetValid`]; Django accepts any future time. The maximum age is
//!   applied as Django applies it, to the nanosecond, with no leeway.
//! - A decompressed payload is capped ([`Inflate`](crate::Inflate)), and exactly one zlib stream with
//!   no trailing bytes is accepted.
//! - The JSON must be ASCII, as Django writes it: Django reads other bytes as
//!   Latin-1, which would give different data here; they are refused
//!   ([`Error::Deserialize`]). NaN and infinities (which Python writes and reads) and
//!   lone surrogate escapes are refused too.
//! - A session ([`DjangoSession`]) must be a JSON object; Django's engine loads any
//!   JSON value.
//!
//! Differences that are not about refusing a token: integers beyond 64 bits are read
//! as floats; serde_json writes a NaN or infinite float as `null` (Python writes
//! `NaN`); and Django's `loads` checks no age unless given one, while [`DjangoCodec`]
//! always does (pass [`Duration::MAX`] for none).
//!
//! Not a difference, but worth knowing: like Django's `signed_cookies` engine
//! ([Django ticket #19201](https://code.djangoproject.com/ticket/19201)), the codec
//! does not enforce a per-session expiry set with `request.session.set_expiry()`
//! (`_session_expiry`); only the maximum age applies. A vector pins that both accept
//! such a cookie.

mod auth;
mod json;
mod messages;

use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest as _, Sha256 as Sha256Hash};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::key::{Key, Keyring};
use crate::signer::{Sha256, Signer};
use crate::signing_time::private::{Age, Sealed, Signing};
use crate::signing_time::{
    AnySigner, Profile, SigningTimeBuilder, SigningTimeCodec, SigningTimeVerified,
};
use crate::token::Layout;

pub use crate::signing_time::DEFAULT_LEEWAY;
pub use auth::{
    auth_user, clear_auth_user, session_auth_hash, set_auth_user, verify_session_auth_hash,
    AuthUser, BACKEND_SESSION_KEY, HASH_SESSION_KEY, MODEL_BACKEND, SESSION_KEY,
};
pub use messages::{add_message, level, messages, take_messages, Message, MESSAGES_KEY};

/// A Django session: the JSON object the session engine signs.
///
/// `serde_json::Map` keeps its keys sorted, so a session read from Django and written
/// back has its keys in sorted order (Django writes them in insertion order; it reads
/// either). Use a struct or an insertion-ordered map for byte-identical output.
pub type DjangoSession = serde_json::Map<String, serde_json::Value>;

/// The salt of the `signed_cookies` session engine:
/// `django.contrib.sessions.backends.signed_cookies`.
pub const SESSION_SALT: &str = "django.contrib.sessions.backends.signed_cookies";

/// The default salt of `django.core.signing.dumps` and `loads`: `django.core.signing`.
pub const SIGNING_SALT: &str = "django.core.signing";

/// Django's default `SESSION_COOKIE_AGE`: 1209600 seconds (two weeks).
pub const SESSION_COOKIE_AGE: Duration = Duration::seconds(1_209_600);

/// Django's default `SESSION_COOKIE_NAME`: `sessionid`.
pub const SESSION_COOKIE_NAME: &str = "sessionid";

/// The salt Django's `TimestampSigner` uses when given an empty one (its dotted path).
const EMPTY_SALT: &str = "django.core.signing.TimestampSigner";

/// The word `Signer.signature` appends to the salt before `salted_hmac`.
const SIGNER_SUFFIX: &[u8] = b"signer";

/// The Django profile of the [signing-time core](crate::signing_time):
/// `payload:timestamp:signature` with a base62 signing time, HMAC-SHA256 keyed with
/// `salted_hmac`, and Django's age rule (to the nanosecond, no leeway on the maximum
/// age; future signing times refused beyond the leeway).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DjangoProfile {}

impl Profile for DjangoProfile {}

impl Sealed for DjangoProfile {
    const CODEC_NAME: &'static str = "DjangoCodec";

    fn signing(&self, keyring: &Keyring, salt: &[u8]) -> Signing {
        let salt = match salt {
            [] => EMPTY_SALT.as_bytes(),
            salt => salt,
        };
        Signing(AnySigner::Sha256(signer(keyring, salt)), Layout::Colon62)
    }

    /// Django's `age = time.time() - timestamp; if age > max_age: expired`, on Unix
    /// nanoseconds in `i128` (no overflow for any `u64` timestamp and any duration),
    /// plus the refusal of signing times beyond the leeway in the future.
    fn check_age(&self, age: &Age) -> Result<(), Error> {
        let signed_at = age.signed_at;
        let signed_ns = i128::from(age.timestamp) * 1_000_000_000;
        let elapsed = age.now.unix_timestamp_nanos() - signed_ns;
        if elapsed < -age.leeway.whole_nanoseconds() {
            return Err(Error::NotYetValid { signed_at });
        }
        if elapsed > age.max_age.whole_nanoseconds() {
            return Err(Error::Expired {
                expired_at: signed_at.saturating_add(age.max_age),
            });
        }
        Ok(())
    }
}

/// A decoded, verified Django token.
pub type DjangoVerified<T> = SigningTimeVerified<T>;

/// Encodes and decodes `django.core.signing` tokens, such as Django's signed-cookie
/// sessions. `Send + Sync`, cheap to clone.
pub type DjangoCodec = SigningTimeCodec<DjangoProfile>;

/// Settings for a [`DjangoCodec`]; made by [`DjangoCodec::builder`] (the defaults of
/// `signing.dumps`) or [`DjangoCodec::session_builder`] (the session engine's).
pub type DjangoCodecBuilder = SigningTimeBuilder<DjangoProfile>;

impl SigningTimeCodec<DjangoProfile> {
    /// Starts building a codec with the defaults of `django.core.signing.dumps`:
    /// salt [`SIGNING_SALT`], no compression when encoding, a maximum age of
    /// [`SESSION_COOKIE_AGE`], 30 seconds of leeway, tokens up to 4096 bytes.
    pub fn builder(keyring: impl Into<Keyring>) -> DjangoCodecBuilder {
        SigningTimeBuilder::with_profile(
            DjangoProfile::default(),
            keyring.into(),
            SIGNING_SALT,
            SESSION_COOKIE_AGE,
            false,
        )
    }

    /// Starts building a codec with the `signed_cookies` session engine's settings:
    /// salt [`SESSION_SALT`], compression on, a maximum age of [`SESSION_COOKIE_AGE`];
    /// otherwise as [`DjangoCodec::builder`].
    pub fn session_builder(keyring: impl Into<Keyring>) -> DjangoCodecBuilder {
        Self::builder(keyring).salt(SESSION_SALT).compression(true)
    }

    /// A session codec ([`DjangoCodec::session_builder`]) for an app's `SECRET_KEY` and
    /// `SECRET_KEY_FALLBACKS`, each taken as its UTF-8 bytes. Keys of any non-empty
    /// length are accepted, as with [`Key::from_django_secret_key`], whose warning
    /// applies. `KeyUsed::Fallback(i)` then names entry `i` of `fallbacks`.
    pub fn from_django_settings(secret_key: &str, fallbacks: &[&str]) -> Result<Self, Error> {
        Ok(Self::session_builder(django_keyring(secret_key, fallbacks)?).build())
    }

    /// Signs `data` with the current time as its signing time.
    pub fn encode<T: Serialize + ?Sized>(&self, data: &T) -> Result<String, Error> {
        self.encode_at(data, self.now())
    }

    /// Signs `data` with `now` as the current time: the signing time it carries is
    /// `now`, rounded down to the second.
    ///
    /// Fails with [`Error::ExpiryOutOfRange`] for a time not after the Unix epoch,
    /// [`Error::Serialize`] when `data` cannot be written as JSON (or nests deeper than
    /// 127 levels), and [`Error::TooLarge`] when the token would be too long.
    pub fn encode_at<T: Serialize + ?Sized>(
        &self,
        data: &T,
        now: OffsetDateTime,
    ) -> Result<String, Error> {
        self.seal_at(now, || json::to_json(data))
    }

    /// Verifies `token` at the current time and decodes its data as `T`
    /// ([`DjangoSession`] for a session).
    pub fn decode<T: DeserializeOwned>(&self, token: &str) -> Result<DjangoVerified<T>, Error> {
        self.decode_at(token, self.now())
    }

    /// Verifies `token` with `now` as the current time and decodes its data as `T`.
    ///
    /// Checks, in order: length, shape (strict base64url and base62, three parts, a
    /// 32-byte signature), the signature against each key (primary first,
    /// constant-time), the signing time (not more than the maximum age ago, not beyond
    /// the leeway in the future), and only then decompresses and parses the payload.
    pub fn decode_at<T: DeserializeOwned>(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<DjangoVerified<T>, Error> {
        let opened = self.open_at(token, now)?;
        json::check_ascii(&opened.data)?;
        Ok(SigningTimeVerified {
            data: crate::json::deserialize(&opened.data)?,
            signed_at: opened.signed_at,
            key_used: opened.key_used,
        })
    }

    /// Reads and verifies the cookie called `name` (Django's `SESSION_COOKIE_NAME`,
    /// [`SESSION_COOKIE_NAME`] by default) from a raw `Cookie:` request header value, at
    /// the current time. `Ok(None)` when there is no such cookie.
    ///
    /// The header is read by the rules of the [`cookies`](crate::cookies) module: names
    /// byte for byte, several cookies of the name each verified, and two different
    /// valid ones refused as [`Error::AmbiguousCookie`].
    ///
    /// To read a header at another time (in tests), take the value with
    /// [`cookie_values_in_header`](crate::cookies::cookie_values_in_header) and call
    /// [`DjangoCodec::decode_at`].
    pub fn decode_header<T: DeserializeOwned>(
        &self,
        header: impl AsRef<[u8]>,
        name: &str,
    ) -> Result<Option<DjangoVerified<T>>, Error> {
        self.decode_header_with(header.as_ref(), name, |token, now| {
            self.decode_at(token, now)
        })
    }
}

/// Reads a `django.core.signing` token (a session cookie value) **without verifying
/// it**, for debugging, as [`crate::inspect_unverified`] does for native tokens:
/// `payload:timestamp:signature` split at the last two colons, a leading `.` marking
/// a compressed payload (inflated within the default limits), the timestamp (the
/// signing time) in strict base62. Nothing in the result is trustworthy.
///
/// Fails with [`Error::TooLarge`] for input longer than 65536 bytes and with
/// [`Error::Malformed`] when it does not have three colon-separated parts.
pub fn inspect_unverified(token: &str) -> Result<crate::UnverifiedToken, Error> {
    crate::unverified::inspect_layout(
        token,
        b':',
        crate::encoding::decode_base62,
        "the timestamp is not canonical base62 (0-9, A-Z, a-z; no leading zero; 64 bits)",
    )
}

/// A keyring from a Django app's `SECRET_KEY` and `SECRET_KEY_FALLBACKS`: the secret
/// key is the primary, fallback `i` is entry `i` of the list. Keys of any non-empty
/// length are accepted ([`Key::from_django_secret_key`]).
pub fn django_keyring(secret_key: &str, fallbacks: &[&str]) -> Result<Keyring, Error> {
    crate::signing_time::secret_keyring(
        secret_key.as_bytes(),
        fallbacks.iter().map(|s| s.as_bytes()),
        Key::from_django_secret_key,
    )
}

/// The signer of `django.core.signing.Signer` for `salt`: HMAC-SHA256 keyed with
/// `SHA256(salt + "signer" + secret)` (`salted_hmac`), for each key of the ring. It
/// signs and verifies raw text, such as the `payload:timestamp` part of a token.
///
/// ```
/// use sessionlib::{django, KeyUsed};
/// # fn main() -> Result<(), sessionlib::Error> {
/// let ring = django::django_keyring("django secret", &[])?;
/// let signer = django::signer(&ring, django::SIGNING_SALT.as_bytes());
/// let sig = signer.sign(b"ImhlbGxvIg:1r31eq");
/// assert_eq!(signer.verify(b"ImhlbGxvIg:1r31eq", sig.as_bytes()), Some(KeyUsed::Primary));
/// assert_eq!(sig.as_bytes().len(), 32);
/// # Ok(())
/// # }
/// ```
pub fn signer(keyring: &Keyring, salt: &[u8]) -> Signer<Sha256> {
    Signer::with_derived_keys(keyring, |secret| salted_key(salt, SIGNER_SUFFIX, secret))
}

/// `salted_hmac`'s key: `SHA256(key_salt + suffix + secret)`.
fn salted_key(key_salt: &[u8], suffix: &[u8], secret: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut hash = Sha256Hash::new();
    hash.update(key_salt);
    hash.update(suffix);
    hash.update(secret);
    Zeroizing::new(hash.finalize().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(t: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(t).unwrap()
    }

    #[test]
    fn age_limits_hold_to_the_nanosecond_and_never_overflow() {
        let ring = django_keyring("k", &[]).unwrap();
        let codec = DjangoCodec::builder(ring.clone())
            .max_age(Duration::seconds(100))
            .leeway(Duration::seconds(5))
            .build();
        let token = codec.encode_at(&json!(1), at(1_000)).unwrap();
        let ok = |now: OffsetDateTime| codec.decode_at::<serde_json::Value>(&token, now);
        assert!(ok(at(1_100)).is_ok());
        assert_eq!(
            ok(at(1_100) + Duration::nanoseconds(1)).unwrap_err(),
            Error::Expired {
                expired_at: at(1_100)
            }
        );
        assert!(ok(at(995)).is_ok());
        assert_eq!(
            ok(at(995) - Duration::nanoseconds(1)).unwrap_err(),
            Error::NotYetValid {
                signed_at: at(1_000)
            }
        );
        for max_age in [Duration::MAX, Duration::MIN] {
            let codec = DjangoCodec::builder(ring.clone())
                .max_age(max_age)
                .leeway(Duration::MAX)
                .build();
            let far = OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT);
            let got = codec.decode_at::<serde_json::Value>(&token, far);
            assert_eq!(got.is_ok(), max_age == Duration::MAX);
        }
    }

    #[test]
    fn salted_hmac_key_is_sha256_of_salt_signer_secret() {
        // hashlib.sha256(b"django.core.signingsigner" + b"secret").hexdigest()
        let key = salted_key(SIGNING_SALT.as_bytes(), SIGNER_SUFFIX, b"secret");
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "cdef0035f091d1b0f8b03f2a29168830cb14452ae768c944b58ea053f1231ffb"
        );
    }
}
