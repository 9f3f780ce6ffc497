//! Reading a token **without verifying it**, for debugging.
//!
//! [`inspect_unverified`] splits a token into its parts and decodes what it can:
//! payload (inflated when it is compressed and the `zlib` feature is on, within the
//! default [`Inflate`](crate::Inflate) limits), timestamp, signature length, and
//! whether the token has the exact shape that [`Codec::decode`](crate::Codec::decode)
//! accepts. It checks no signature and no
//! expiry, so **nothing it returns may be trusted**: anyone can write a token that
//! says anything. Use it to look at a token, never to make a decision; decisions go
//! through [`Codec::decode`](crate::Codec::decode).
//!
//! ```
//! use sessionlib::{inspect_unverified, Codec, Key};
//! # fn main() -> Result<(), sessionlib::Error> {
//! let codec = Codec::new(Key::generate());
//! let token = codec.encode(&serde_json::json!({"user_id": 7}))?;
//!
//! let seen = inspect_unverified(&token)?;
//! assert!(seen.is_shape_valid());
//! assert_eq!(seen.signature_len(), Some(32));
//! assert_eq!(seen.payload(), Some(&br#"{"user_id":7}"#[..]));
//!
//! // Garbage is reported, never a panic.
//! let seen = inspect_unverified("not.a.token")?;
//! assert!(!seen.is_shape_valid());
//! assert!(inspect_unverified("garbage").is_err());
//! # Ok(())
//! # }
//! ```

use std::fmt;

use time::OffsetDateTime;

use crate::encoding;
use crate::error::Error;
use crate::signer::SIGNATURE_LEN;

/// The longest input [`inspect_unverified`] looks at, in bytes (64 KiB). Longer input
/// is refused with [`Error::TooLarge`] before any work.
pub(crate) const MAX_UNVERIFIED_LEN: usize = 64 * 1024;

/// What a token says about itself, read **without** checking its signature or expiry.
///
/// Made by [`inspect_unverified`]. Nothing in it is trustworthy. Its `Debug` output
/// shows lengths and flags but not the payload.
#[derive(Clone, PartialEq, Eq)]
pub struct UnverifiedToken {
    payload: Option<Vec<u8>>,
    compressed: bool,
    compressed_len: Option<usize>,
    timestamp: Option<u64>,
    signature_len: Option<usize>,
    /// The first problem other than the signature length, which depends on the profile.
    problem: Option<&'static str>,
}

impl UnverifiedToken {
    /// The decoded payload bytes (normally compact JSON), inflated when the payload is
    /// compressed. `None` when the payload part is not canonical base64url, or when it
    /// is compressed and does not inflate (not zlib, over the limits, or built without
    /// the `zlib` feature).
    pub fn payload(&self) -> Option<&[u8]> {
        self.payload.as_deref()
    }

    /// The payload parsed as JSON, or `None` when it is missing or not JSON.
    pub fn payload_json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(self.payload.as_deref()?).ok()
    }

    /// Whether the payload part starts with `.`, which marks a zlib-compressed payload
    /// (as itsdangerous writes it, and sessionlib with compression on).
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// For a compressed payload, its length in bytes before inflating; `None` when the
    /// payload is not compressed or not canonical base64url.
    pub fn compressed_len(&self) -> Option<usize> {
        self.compressed_len
    }

    /// The timestamp as an integer (Unix seconds), or `None` when the timestamp part is
    /// not 1 to 8 bytes of canonical base64url without a leading zero byte.
    ///
    /// For a native token this is the expiry; in the Flask layout it is the signing
    /// time.
    pub fn timestamp(&self) -> Option<u64> {
        self.timestamp
    }

    /// The timestamp as a time, or `None` when it is missing or out of the time
    /// library's range.
    pub fn timestamp_time(&self) -> Option<OffsetDateTime> {
        i64::try_from(self.timestamp?)
            .ok()
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
    }

    /// The length of the decoded signature in bytes, or `None` when the signature part
    /// is not canonical base64url. Native tokens have 32 (HMAC-SHA256).
    pub fn signature_len(&self) -> Option<usize> {
        self.signature_len
    }

    /// Whether the token has exactly the shape a native token must have: the shape
    /// [`Codec::decode`](crate::Codec::decode) checks before it verifies the signature,
    /// plus a timestamp within range and, for a compressed payload, one that inflates
    /// within the default limits (a compressed token needs a codec with compression
    /// on). A valid shape says nothing about the signature.
    pub fn is_shape_valid(&self) -> bool {
        self.shape_problem().is_none()
    }

    /// Why the shape is not valid for a native token, as a short sentence that contains
    /// no token data; `None` when it is valid.
    pub fn shape_problem(&self) -> Option<&'static str> {
        self.shape_problem_for(SIGNATURE_LEN)
    }

    /// Why the shape is not valid for a profile whose signatures are `signature_len`
    /// bytes long: 32 for native tokens and for Flask cookies signed with HMAC-SHA256,
    /// 20 for Flask's default HMAC-SHA1. Every other rule is the same for all profiles.
    /// `None` when it is valid.
    pub fn shape_problem_for(&self, signature_len: usize) -> Option<&'static str> {
        self.problem.or_else(|| {
            (self.signature_len != Some(signature_len)).then_some(match signature_len {
                32 => "the signature is not 32 bytes of canonical base64url",
                20 => "the signature is not 20 bytes of canonical base64url",
                _ => "the signature is not canonical base64url of the expected length",
            })
        })
    }
}

impl fmt::Debug for UnverifiedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnverifiedToken")
            .field("payload_len", &self.payload.as_ref().map(Vec::len))
            .field("compressed", &self.compressed)
            .field("compressed_len", &self.compressed_len)
            .field("timestamp", &self.timestamp)
            .field("signature_len", &self.signature_len)
            .field("problem", &self.problem)
            .finish()
    }
}

/// Splits `token` into payload, timestamp and signature and decodes each part as far
/// as it can, **without verifying anything**. For debugging only; see the
/// [module docs](self).
///
/// The token is split at its last two dots, so a compressed payload (which starts with
/// a dot) is recognised; with the `zlib` feature it is inflated within the default
/// [`Inflate`](crate::Inflate) limits. Each part is decoded strictly, as by
/// the verifying readers; a part that does not decode is reported as `None` and makes the
/// shape invalid.
///
/// Fails with [`Error::TooLarge`] for input longer than 65536 bytes (64 KiB) and
/// with [`Error::Malformed`] when it does not have three dot-separated parts. Never
/// panics, whatever the input.
pub fn inspect_unverified(token: &str) -> Result<UnverifiedToken, Error> {
    inspect_layout(
        token,
        b'.',
        encoding::decode_timestamp,
        "the timestamp is not 1 to 8 bytes of canonical base64url without a leading zero byte",
    )
}

/// [`inspect_unverified`] for a layout with another separator and timestamp spelling
/// (`django.core.signing`'s `:` and base62): the one reader of the token grammar for
/// debugging.
pub(crate) fn inspect_layout(
    token: &str,
    separator: u8,
    decode_timestamp: fn(&[u8]) -> Option<u64>,
    timestamp_problem: &'static str,
) -> Result<UnverifiedToken, Error> {
    let bytes = token.as_bytes();
    Error::check_len(bytes.len(), MAX_UNVERIFIED_LEN)?;
    let parts = crate::token::split(bytes, separator).ok_or(Error::Malformed)?;
    let (compressed, payload_text) = (parts.compressed, parts.payload);
    let (timestamp_text, signature_text) = (parts.timestamp, parts.signature);

    let decoded = encoding::decode(payload_text);
    let compressed_len = decoded.as_ref().filter(|_| compressed).map(Vec::len);
    let payload = match decoded {
        Some(bytes) if compressed => inflate(&bytes),
        other => other,
    };
    let timestamp = decode_timestamp(timestamp_text);
    let signature_len = encoding::decode(signature_text).map(|s| s.len());

    let problem = if compressed && !cfg!(feature = "zlib") {
        Some("the payload is compressed, which needs the zlib feature")
    } else if payload_text.is_empty() {
        Some("the payload is empty")
    } else if compressed_len.is_none() && payload.is_none() {
        Some("the payload is not canonical base64url (or contains a dot)")
    } else if timestamp.is_none() {
        Some(timestamp_problem)
    } else {
        None
    };
    let mut seen = UnverifiedToken {
        payload,
        compressed,
        compressed_len,
        timestamp,
        signature_len,
        problem,
    };
    if seen.problem.is_none() && seen.timestamp_time().is_none() {
        seen.problem = Some("the timestamp is out of range");
    }
    if seen.problem.is_none() && seen.payload.is_none() {
        seen.problem = Some("the compressed payload does not inflate within the limits");
    }
    Ok(seen)
}

/// Inflates a compressed payload within the default limits.
#[cfg(feature = "zlib")]
fn inflate(bytes: &[u8]) -> Option<Vec<u8>> {
    crate::compress::inflate(bytes, crate::compress::Inflate::default()).ok()
}

/// Without the `zlib` feature compressed payloads cannot be read.
#[cfg(not(feature = "zlib"))]
fn inflate(_bytes: &[u8]) -> Option<Vec<u8>> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Codec, Key};

    /// A codec that reads compressed tokens when it can.
    fn codec() -> Codec {
        let builder = Codec::builder(Key::from_bytes(&[9; 32]).unwrap());
        #[cfg(feature = "zlib")]
        let builder = builder.compression(true);
        builder.build()
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()
    }

    #[test]
    fn reads_a_valid_token() {
        let token = codec()
            .encode_at(&serde_json::json!({"user": "cobra", "n": [1, 2]}), now())
            .unwrap();
        let seen = inspect_unverified(&token).unwrap();
        assert!(seen.is_shape_valid(), "{:?}", seen.shape_problem());
        assert_eq!(
            seen.payload_json(),
            Some(serde_json::json!({"user": "cobra", "n": [1, 2]}))
        );
        let expiry = 1_700_000_000 + crate::codec::DEFAULT_TTL.whole_seconds();
        assert_eq!(seen.timestamp(), Some(u64::try_from(expiry).unwrap()));
        assert_eq!(seen.timestamp_time().unwrap().unix_timestamp(), expiry);
        assert_eq!(seen.signature_len(), Some(32));
        assert!(!seen.is_compressed());
    }

    #[test]
    fn reports_each_problem() {
        let token = codec()
            .encode_at(&serde_json::json!({"a": 1}), now())
            .unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let (p, t, s) = (parts[0], parts[1], parts[2]);
        let cases = [
            (format!(".{p}.{t}.{s}"), "compressed"),
            (format!(".{t}.{s}"), "empty"),
            (format!("{p}=.{t}.{s}"), "payload"),
            (format!("a.{p}.{t}.{s}"), "payload"),
            (format!("{p}.AAE.{s}"), "timestamp"),
            (format!("{p}..{s}"), "timestamp"),
            (format!("{p}.{t}.{}", &s[..42]), "signature"),
            (format!("{p}.{t}."), "signature"),
            (format!("{p}.{t}.AAAAAAAAAAAAAAAAAAAAAAAAAAA"), "signature"),
            (format!("{p}.__________8.{s}"), "out of range"),
        ];
        for (bad, word) in cases {
            let seen = inspect_unverified(&bad).unwrap();
            let problem = seen.shape_problem().unwrap_or_default();
            assert!(problem.contains(word), "{bad}: {problem}");
            assert!(matches!(
                codec().decode_at::<serde_json::Value>(&bad, now()),
                Err(crate::Error::Malformed | crate::Error::InvalidSignature)
            ));
        }
        let seen = inspect_unverified(&format!("{p}.{t}.AAAAAAAAAAAAAAAAAAAAAAAAAAA")).unwrap();
        assert_eq!(seen.signature_len(), Some(20));
        assert_eq!(seen.shape_problem_for(20), None);
        assert!(seen.shape_problem_for(32).is_some());
        let seen = inspect_unverified(&token).unwrap();
        assert_eq!(seen.shape_problem_for(32), None);
        assert!(seen.shape_problem_for(20).unwrap().contains("20 bytes"));
        assert_eq!(seen.payload_json(), Some(serde_json::json!({"a": 1})));
    }

    #[test]
    fn refuses_what_has_no_parts() {
        for bad in ["", "abc", "abc.def", "."] {
            assert_eq!(inspect_unverified(bad), Err(Error::Malformed), "{bad:?}");
        }
        let huge = "a.".repeat(MAX_UNVERIFIED_LEN);
        assert!(matches!(
            inspect_unverified(&huge),
            Err(Error::TooLarge { .. })
        ));
        assert!(inspect_unverified("..").is_ok());
        assert!(inspect_unverified("é.é.é").is_ok());
    }

    /// The shape verdict agrees with what decoding decides before the MAC: every
    /// mutation that decoding calls malformed is an invalid shape here, and the other
    /// way round (for timestamps in range).
    #[test]
    fn shape_agrees_with_decode() {
        let codec = codec();
        let token = codec
            .encode_at(&serde_json::json!({"k": "v"}), now())
            .unwrap();
        // Fewer edits under Miri, which runs this code thousands of times slower.
        let alphabet: &[u8] = if cfg!(miri) {
            b"A.="
        } else {
            b"Aa0-_.=+/ \xc3"
        };
        let mut checked = 0;
        for i in 0..=token.len() {
            for &c in alphabet {
                let mut bytes = token.as_bytes().to_vec();
                bytes.insert(i, c);
                let mut replaced = token.as_bytes().to_vec();
                if let Some(b) = replaced.get_mut(i) {
                    *b = c;
                }
                let mut removed = token.as_bytes().to_vec();
                if i < removed.len() {
                    removed.remove(i);
                }
                for variant in [bytes, replaced, removed] {
                    let Ok(text) = String::from_utf8(variant) else {
                        continue;
                    };
                    let decoded = codec.decode_at::<serde_json::Value>(&text, now());
                    let malformed = matches!(decoded, Err(Error::Malformed));
                    match inspect_unverified(&text) {
                        Ok(seen) => {
                            let in_range = seen.timestamp_time().is_some();
                            let inflates = !seen.is_compressed() || seen.payload().is_some();
                            if malformed {
                                assert!(!seen.is_shape_valid(), "{text}");
                            } else if in_range && inflates {
                                assert!(seen.is_shape_valid(), "{text}");
                            }
                        }
                        Err(_) => assert!(malformed, "{text}"),
                    }
                    checked += 1;
                }
            }
        }
        // Each position got at least two edits per byte (an insertion and a
        // replacement), less the few that are not UTF-8.
        assert!(checked > 2 * (alphabet.len() - 1) * token.len());
    }

    #[cfg(feature = "zlib")]
    #[test]
    fn inflates_compressed_payloads_within_limits() {
        let data = serde_json::json!({"list": vec!["repeated words"; 50]});
        let token = codec().encode_at(&data, now()).unwrap();
        assert!(token.starts_with('.'));
        let seen = inspect_unverified(&token).unwrap();
        assert!(seen.is_shape_valid(), "{:?}", seen.shape_problem());
        assert!(seen.is_compressed());
        let json_len = serde_json::to_vec(&data).unwrap().len();
        assert!(seen.compressed_len().unwrap() < json_len);
        assert_eq!(seen.payload().map(<[u8]>::len), Some(json_len));
        assert_eq!(seen.payload_json(), Some(data));
    }

    #[cfg(feature = "zlib")]
    #[test]
    #[cfg_attr(miri, ignore = "compressing 200 KB takes Miri minutes")]
    fn does_not_inflate_bombs() {
        // A validly made bomb: inflates far past the default limits.
        let bomb = serde_json::json!({"a": "a".repeat(200_000)});
        let token = codec().encode_at(&bomb, now()).unwrap();
        let seen = inspect_unverified(&token).unwrap();
        assert!(seen.is_compressed() && seen.payload().is_none());
        assert!(seen.compressed_len().is_some());
        let problem = seen.shape_problem().unwrap_or_default();
        assert!(problem.contains("inflate"), "{problem}");
    }

    #[cfg(feature = "flask")]
    #[test]
    fn reads_flask_cookies() {
        use crate::flask::{FlaskCodec, FlaskSession, FlaskValue};
        let codec = FlaskCodec::from_flask_config(b"dev key", &[]).unwrap();
        let mut session = FlaskSession::new();
        session.insert("user".into(), FlaskValue::from("cobra"));
        let cookie = codec.encode_at(&session, now()).unwrap();
        let seen = inspect_unverified(&cookie).unwrap();
        assert_eq!(seen.shape_problem_for(20), None);
        assert_eq!(seen.signature_len(), Some(20));
        assert_eq!(seen.timestamp(), Some(1_700_000_000));
        assert_eq!(
            seen.payload_json(),
            Some(serde_json::json!({"user": "cobra"}))
        );
    }

    #[test]
    fn debug_hides_payload() {
        let token = codec()
            .encode_at(&serde_json::json!({"secret": "hunter2"}), now())
            .unwrap();
        let text = format!("{:?}", inspect_unverified(&token).unwrap());
        assert!(
            !text.contains("hunter2") && !text.contains("secret"),
            "{text}"
        );
        assert!(text.contains("payload_len"));
    }
}
