//! Layer 4: typed encoding and decoding of session data into signed, expiring tokens.
//!
//! A token is `payload.timestamp.signature`, where the payload is the base64url of the
//! compact JSON, the timestamp is the base64url of the expiry (Unix seconds,
//! big-endian, leading zero bytes removed) and the signature is the base64url of
//! `HMAC-SHA256(derived_key, payload "." timestamp)`. See the crate docs, "Wire
//! format".

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::encoding::{self, MAX_TIMESTAMP_BYTES};
use crate::error::{Error, PayloadError, PayloadErrorKind};
use crate::key::{KeyUsed, Keyring};
use crate::signer::{Signer, SIGNATURE_LEN};

/// The salt used when none is set: `sessionlib.session`.
pub const DEFAULT_SALT: &str = "sessionlib.session";

/// The time-to-live used when none is set: 14 days.
pub const DEFAULT_TTL: Duration = Duration::days(14);

/// The longest token accepted or produced when no limit is set: 4096 bytes, what
/// browsers keep for one cookie.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 4096;

/// Length of an encoded signature: 32 bytes in base64url.
const SIGNATURE_TEXT_LEN: usize = encoding::encoded_len(SIGNATURE_LEN);

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
    signer: Signer,
    ttl: Duration,
    leeway: Duration,
    max_token_len: usize,
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec")
            .field("ttl", &self.inner.ttl)
            .field("leeway", &self.inner.leeway)
            .field("max_token_len", &self.inner.max_token_len)
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
}

impl CodecBuilder {
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
    /// Defaults to [`DEFAULT_TTL`] (14 days).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// How long after its expiry a token is still accepted, to absorb clock differences
    /// between the servers that make and check tokens. Negative values count as zero.
    ///
    /// Defaults to zero: a token is expired from the second of its expiry on.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway.max(Duration::ZERO);
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

    /// Builds the codec, deriving the per-key MAC states once.
    pub fn build(self) -> Codec {
        Codec {
            inner: Arc::new(Inner {
                signer: Signer::new(&self.keyring, &self.salt),
                ttl: self.ttl,
                leeway: self.leeway,
                max_token_len: self.max_token_len,
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
        }
    }

    /// The configured time-to-live.
    pub fn ttl(&self) -> Duration {
        self.inner.ttl
    }

    /// The configured maximum token length.
    pub fn max_token_len(&self) -> usize {
        self.inner.max_token_len
    }

    /// Encodes `data` into a token that expires after the configured time-to-live.
    pub fn encode<T: Serialize + ?Sized>(&self, data: &T) -> Result<String, Error> {
        self.encode_at(data, OffsetDateTime::now_utc())
    }

    /// Like [`Codec::encode`], with `now` as the current time.
    pub fn encode_at<T: Serialize + ?Sized>(
        &self,
        data: &T,
        now: OffsetDateTime,
    ) -> Result<String, Error> {
        let expires_at = now
            .checked_add(self.inner.ttl)
            .ok_or(Error::ExpiryOutOfRange)?;
        self.encode_until(data, expires_at)
    }

    /// Encodes `data` into a token that expires at `expires_at` (rounded down to the
    /// second), whatever the configured time-to-live: for per-session lifetimes such as
    /// "remember me".
    ///
    /// Fails with [`Error::ExpiryOutOfRange`] for an expiry not after the Unix epoch,
    /// [`Error::Serialize`] when `data` cannot be written as JSON, and
    /// [`Error::TooLarge`] when the token would be longer than the configured maximum.
    pub fn encode_until<T: Serialize + ?Sized>(
        &self,
        data: &T,
        expires_at: OffsetDateTime,
    ) -> Result<String, Error> {
        let expiry = u64::try_from(expires_at.unix_timestamp())
            .ok()
            .filter(|&t| t > 0)
            .ok_or(Error::ExpiryOutOfRange)?;
        let json = serde_json::to_vec(data).map_err(|_| Error::Serialize)?;
        self.sign_payload(&json, expiry)
    }

    /// Signs already-serialized JSON bytes with the given expiry.
    fn sign_payload(&self, json: &[u8], expiry: u64) -> Result<String, Error> {
        let ts_len = encoding::encoded_len(8 - (expiry.leading_zeros() / 8) as usize);
        let len = encoding::encoded_len(json.len()) + 1 + ts_len + 1 + SIGNATURE_TEXT_LEN;
        let max = self.inner.max_token_len;
        if len > max {
            return Err(Error::TooLarge { len, max });
        }
        let mut token = String::with_capacity(len);
        encoding::encode_into(json, &mut token);
        token.push('.');
        encoding::encode_timestamp_into(expiry, &mut token);
        let signature = self.inner.signer.sign(token.as_bytes());
        token.push('.');
        encoding::encode_into(&signature, &mut token);
        debug_assert_eq!(token.len(), len);
        Ok(token)
    }

    /// Verifies `token` and decodes its data as `T`, at the current time.
    ///
    /// Checks, in order: length, shape (strict base64url, three parts, a 32-byte
    /// signature), the signature against each key (primary first, constant-time), the
    /// expiry, and only then decodes the payload. Nothing unverified is parsed.
    pub fn decode<T: DeserializeOwned>(&self, token: &str) -> Result<Verified<T>, Error> {
        self.decode_at(token, OffsetDateTime::now_utc())
    }

    /// Like [`Codec::decode`], with `now` as the current time (for tests and replays).
    pub fn decode_at<T: DeserializeOwned>(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Verified<T>, Error> {
        let (payload, expires_at, key_used) = self.verify_at(token, now)?;
        let data = deserialize(&payload)?;
        Ok(Verified {
            data,
            expires_at,
            key_used,
        })
    }

    /// Verifies `token` and decodes its data as a dynamic JSON value.
    pub fn decode_value(&self, token: &str) -> Result<Verified<serde_json::Value>, Error> {
        self.decode(token)
    }

    /// Verifies `token` at `now` and returns the raw JSON bytes of its payload with the
    /// expiry and the key that matched.
    fn verify_at(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<(Vec<u8>, OffsetDateTime, KeyUsed), Error> {
        let parts = split_token(token.as_bytes(), self.inner.max_token_len)?;
        let key_used = self
            .inner
            .signer
            .verify(parts.signed, &parts.signature)
            .ok_or(Error::InvalidSignature)?;
        let expires_at = decode_expiry(parts.timestamp)?;
        check_expiry(expires_at, now, self.inner.leeway)?;
        let payload = encoding::decode(parts.payload).ok_or(Error::Malformed)?;
        Ok((payload, expires_at, key_used))
    }
}

/// The parts of a token that passed the shape checks.
struct Parts<'a> {
    /// `payload "." timestamp`, the signed text.
    signed: &'a [u8],
    payload: &'a [u8],
    timestamp: &'a [u8],
    signature: [u8; SIGNATURE_LEN],
}

/// Length cap, then the shape: three non-empty canonical base64url parts, a timestamp of
/// 1 to 8 bytes and a signature of exactly 32 bytes. No MAC work happens here.
fn split_token(token: &[u8], max_len: usize) -> Result<Parts<'_>, Error> {
    if token.len() > max_len {
        return Err(Error::TooLarge {
            len: token.len(),
            max: max_len,
        });
    }
    // The signature has a fixed length, so the last separator is at a fixed place.
    let sig_start = token
        .len()
        .checked_sub(SIGNATURE_TEXT_LEN)
        .ok_or(Error::Malformed)?;
    let (signed_dot, sig_text) = token.split_at(sig_start);
    let signed = signed_dot.strip_suffix(b".").ok_or(Error::Malformed)?;
    let mut signature = [0u8; SIGNATURE_LEN];
    encoding::decode_exact(sig_text, &mut signature).ok_or(Error::Malformed)?;

    let dot = signed
        .iter()
        .rposition(|&c| c == b'.')
        .ok_or(Error::Malformed)?;
    let (payload, dot_timestamp) = signed.split_at(dot);
    let timestamp = dot_timestamp.get(1..).ok_or(Error::Malformed)?;
    let ts_len_ok = (2..=encoding::encoded_len(MAX_TIMESTAMP_BYTES)).contains(&timestamp.len());
    // `is_canonical` also rejects a `.` inside the payload.
    if payload.is_empty()
        || !ts_len_ok
        || !encoding::is_canonical(timestamp)
        || !encoding::is_canonical(payload)
    {
        return Err(Error::Malformed);
    }
    Ok(Parts {
        signed,
        payload,
        timestamp,
        signature,
    })
}

/// Decodes the signed timestamp into a time; `Malformed` when it is not canonical or
/// does not fit the time range (never clamped).
fn decode_expiry(text: &[u8]) -> Result<OffsetDateTime, Error> {
    let seconds = encoding::decode_timestamp(text).ok_or(Error::Malformed)?;
    i64::try_from(seconds)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .ok_or(Error::Malformed)
}

/// A token is expired from `expires_at + leeway` on (at exactly that instant included).
fn check_expiry(
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
    leeway: Duration,
) -> Result<(), Error> {
    // A deadline past the end of the time range is never reached.
    let expired = match expires_at.checked_add(leeway) {
        Some(deadline) => now >= deadline,
        None => false,
    };
    if expired {
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
    serde_json::from_slice(json).map_err(|e| {
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
