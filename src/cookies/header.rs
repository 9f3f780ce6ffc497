//! Reading: the `Cookie:` request header (or a [`CookieJar`]), parsed strictly,
//! and the choice among several cookies of one name.

use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use super::chunk::{chunk_name, Assembled, ChunkSet, Chunks};
use super::{CookieConfig, CookieJar, MAX_COOKIE_HEADER_LEN, MAX_SAME_NAME_COOKIES};
use crate::codec::Verified;
use crate::error::Error;

impl CookieConfig {
    /// Reads and verifies the session cookie from a raw `Cookie:` request header value,
    /// at the current time of the [clock](crate::CookieConfigBuilder::clock). `Ok(None)`
    /// when the header has no cookie of this name.
    ///
    /// HTTP/2 clients may send several `Cookie:` headers: join them with `"; "` first.
    /// See "Reading" in the module docs for the exact rules.
    pub fn decode_header<T: DeserializeOwned>(
        &self,
        header: impl AsRef<[u8]>,
    ) -> Result<Option<Verified<T>>, Error> {
        self.decode_header_chunks_at(header, self.now()).0
    }

    /// Like [`CookieConfig::decode_header`] with `now` as the current time, also
    /// returning the chunk names the header carried (none for a header too large to
    /// parse: nothing in it was read), so that the session layer can remove those it no
    /// longer uses.
    pub(crate) fn decode_header_chunks_at<T: DeserializeOwned>(
        &self,
        header: impl AsRef<[u8]>,
        now: OffsetDateTime,
    ) -> (Result<Option<Verified<T>>, Error>, ChunkSet) {
        let header = header.as_ref();
        if header.len() > MAX_COOKIE_HEADER_LEN {
            let error = Error::TooLarge {
                len: header.len(),
                max: MAX_COOKIE_HEADER_LEN,
            };
            return (Err(error), ChunkSet::default());
        }
        let chunks = Chunks::collect(cookie_pairs(header), &self.name, self.max_chunks);
        (self.decode_chunks(&chunks, now), chunks.seen())
    }

    /// Reads and verifies the session cookie from a [`CookieJar`], at the current time
    /// of the [clock](crate::CookieConfigBuilder::clock). `Ok(None)` when the jar has
    /// no cookie of this name.
    pub fn decode_jar<T: DeserializeOwned>(
        &self,
        jar: &CookieJar,
    ) -> Result<Option<Verified<T>>, Error> {
        self.decode_jar_chunks_at(jar, self.now()).0
    }

    /// Like [`CookieConfig::decode_jar`] with `now` as the current time, also returning the chunk names the jar
    /// holds.
    pub(crate) fn decode_jar_chunks_at<T: DeserializeOwned>(
        &self,
        jar: &CookieJar,
        now: OffsetDateTime,
    ) -> (Result<Option<Verified<T>>, Error>, ChunkSet) {
        let pairs = (0..self.max_chunks).filter_map(|i| {
            let cookie = jar.get(&chunk_name(&self.name, i))?;
            Some((cookie.name().as_bytes(), cookie.value().as_bytes()))
        });
        let chunks = Chunks::collect(pairs, &self.name, self.max_chunks);
        (self.decode_chunks(&chunks, now), chunks.seen())
    }

    /// Verifies the session cookie among a request's chunk cookies; see "Reading" and
    /// "Large sessions" in the module docs.
    fn decode_chunks<T: DeserializeOwned>(
        &self,
        chunks: &Chunks<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<Verified<T>>, Error> {
        match chunks.assemble(self.max_chunks)? {
            Assembled::Whole(values) => pick_one(values.into_iter(), |token| {
                // A first chunk whose companions are all missing.
                if super::chunk::split_head(token.as_bytes()).is_some() {
                    return Err(Error::Malformed);
                }
                self.codec.decode_at::<T>(token, now)
            }),
            Assembled::Chunked(token) => self.codec.decode_at::<T>(&token, now).map(Some),
        }
    }
}

/// The session among several cookie values of the same name, each verified with
/// `decode`: the one distinct value that verifies, `Ok(None)` for no values, and
/// [`Error::AmbiguousCookie`] when two different values verify or there are more than
/// [`MAX_SAME_NAME_COOKIES`]. When none verifies, the error is `Expired` if one was
/// validly signed but expired, otherwise the first error.
pub(crate) fn pick_one<'a, V>(
    candidates: impl Iterator<Item = &'a [u8]>,
    mut decode: impl FnMut(&str) -> Result<V, Error>,
) -> Result<Option<V>, Error> {
    // The first validly signed, unexpired value, with its decoding result (which can
    // still be a payload error).
    let mut found: Option<(&[u8], Result<V, Error>)> = None;
    let mut error: Option<Error> = None;
    for (count, value) in candidates.enumerate() {
        if count >= MAX_SAME_NAME_COOKIES {
            return Err(Error::AmbiguousCookie);
        }
        if let Some((token, _)) = &found {
            if *token == value {
                continue;
            }
        }
        let result = match std::str::from_utf8(value) {
            Ok(text) => decode(text),
            Err(_) => Err(Error::Malformed),
        };
        match result {
            Ok(_) | Err(Error::Deserialize(_)) => {
                if found.is_some() {
                    return Err(Error::AmbiguousCookie);
                }
                found = Some((value, result));
            }
            Err(e) => {
                let replace = match (&error, &e) {
                    (None, _) => true,
                    (Some(Error::Expired { .. }), _) => false,
                    (Some(_), Error::Expired { .. }) => true,
                    _ => false,
                };
                if replace {
                    error = Some(e);
                }
            }
        }
    }
    match (found, error) {
        (Some((_, result)), _) => result.map(Some),
        (None, Some(e)) => Err(e),
        (None, None) => Ok(None),
    }
}

/// The values of the cookies named `name` in a raw `Cookie:` header value, in order,
/// read by the rules of "Reading" in the module docs (byte-for-byte names, no
/// decoding, nameless pairs ignored). Headers longer than [`MAX_COOKIE_HEADER_LEN`]
/// are refused with [`Error::TooLarge`].
///
/// This is for cookies this module does not make, such as a Flask session cookie.
pub fn cookie_values_in_header<'a>(
    header: &'a [u8],
    name: &'a str,
) -> Result<impl Iterator<Item = &'a [u8]> + 'a, Error> {
    Error::check_len(header.len(), MAX_COOKIE_HEADER_LEN)?;
    Ok(cookie_values(header, name.as_bytes()))
}

/// The values of the cookies named `name` in a `Cookie:` header, in order.
fn cookie_values<'a>(header: &'a [u8], name: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    cookie_pairs(header).filter_map(move |(pair_name, value)| (pair_name == name).then_some(value))
}

/// The names and values of the cookies in a `Cookie:` header, in order: split at `;`,
/// spaces and tabs trimmed, pairs without `=` or with an empty name left out.
fn cookie_pairs(header: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    split_at_semicolons(header).filter_map(|pair| {
        let eq = pair.iter().position(|&b| b == b'=')?;
        let (pair_name, eq_value) = pair.split_at(eq);
        let pair_name = trim_ows(pair_name);
        if pair_name.is_empty() {
            return None;
        }
        Some((pair_name, trim_ows(eq_value.get(1..).unwrap_or_default())))
    })
}

/// `bytes` split at every `;`, as `bytes.split(|&b| b == b';')` splits it. The search
/// skips 32-byte blocks without a `;` with a branch-free test the compiler vectorizes: a
/// session cookie's value is hundreds of bytes without one.
fn split_at_semicolons(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(bytes);
    std::iter::from_fn(move || {
        let current = rest?;
        match find_semicolon(current) {
            Some(i) => {
                rest = current.get(i + 1..);
                current.get(..i)
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// The index of the first `;` in `bytes`.
fn find_semicolon(bytes: &[u8]) -> Option<usize> {
    const BLOCK: usize = 32;
    let mut offset = 0;
    for block in bytes.chunks(BLOCK) {
        if block.iter().fold(false, |found, &b| found | (b == b';')) {
            return block.iter().position(|&b| b == b';').map(|i| offset + i);
        }
        offset += block.len();
    }
    None
}

/// Strips spaces and horizontal tabs from both ends.
fn trim_ows(bytes: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_ows(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{config, key, now, read, token};
    use super::*;
    use crate::cookies::Cookie;
    use crate::{KeyUsed, Keyring};
    use serde_json::{json, Value};
    use time::Duration;

    #[test]
    fn header_parsing_picks_the_exact_name() {
        let c = config();
        let t = token(&c, &json!("me"));
        let ok = Ok(Some(json!("me")));
        assert_eq!(read(&c, format!("session={t}").as_bytes()), ok);
        assert_eq!(read(&c, format!("a=1;session={t};b=2").as_bytes()), ok);
        assert_eq!(
            read(&c, format!(" \ta=1 ;  session = {t} \t; b").as_bytes()),
            ok
        );
        assert_eq!(read(&c, b""), Ok(None));
        assert_eq!(read(&c, b"a=1; b=2"), Ok(None));
        // No case folding, no URL-decoding of names, no prefix matching.
        assert_eq!(read(&c, format!("Session={t}").as_bytes()), Ok(None));
        assert_eq!(read(&c, format!("sessio%6E={t}").as_bytes()), Ok(None));
        assert_eq!(
            read(&c, format!("xsession={t}; sessionx={t}").as_bytes()),
            Ok(None)
        );
        // Nameless pairs are ignored, not taken as the session.
        assert_eq!(read(&c, format!("={t}; {t}").as_bytes()), Ok(None));
        assert_eq!(read(&c, format!("{t}; session={t}").as_bytes()), ok);
        // Quoted or percent-encoded values are not tokens.
        assert_eq!(
            read(&c, format!("session=\"{t}\"").as_bytes()),
            Err(Error::Malformed)
        );
        let encoded = t.replace('.', "%2E");
        assert_eq!(
            read(&c, format!("session={encoded}").as_bytes()),
            Err(Error::Malformed)
        );
        // An empty value is not a session.
        assert_eq!(read(&c, b"session="), Err(Error::Malformed));
    }

    #[test]
    fn the_semicolon_split_is_the_plain_split() {
        for header in [
            &b""[..],
            b";",
            b";;",
            b"a=1",
            b"a=1;",
            b";a=1",
            b"a=1; b=2;;c",
            &[b'x'; 100][..],
        ] {
            let mut long = vec![b'y'; 70];
            long.push(b';');
            long.extend_from_slice(header);
            long.extend_from_slice(&[b'z'; 33]);
            for text in [header, &long[..]] {
                let fast: Vec<&[u8]> = split_at_semicolons(text).collect();
                let plain: Vec<&[u8]> = text.split(|&b| b == b';').collect();
                assert_eq!(fast, plain);
            }
        }
    }

    #[test]
    fn hostile_headers_never_panic() {
        let c = config();
        let t = token(&c, &json!(1));
        let mut inputs: Vec<Vec<u8>> = vec![
            b";;;;".to_vec(),
            b"=".to_vec(),
            b"session".to_vec(),
            b"session=;session=".to_vec(),
            "session=é; é=é; \u{1F36A}=\u{1F36A}".as_bytes().to_vec(),
            vec![0xff, 0xfe, b'=', 0x80],
            [b"session=".as_slice(), &[0xc3]].concat(),
            format!("session={t}\u{e9}").into_bytes(),
            format!("s\u{e9}ssion={t}").into_bytes(),
            b"session=\x00".to_vec(),
        ];
        for cut in 0..t.len() {
            let mut v = b"session=".to_vec();
            v.extend_from_slice(&t.as_bytes()[..cut]);
            inputs.push(v);
        }
        for input in inputs {
            let r = read(&c, &input);
            assert!(!matches!(r, Ok(Some(_))), "{input:?}");
        }
        // Non-ASCII elsewhere in the header does not hide a valid session.
        let header = format!("n\u{e9}=\u{1F36A}; session={t}; x=\"q\"");
        assert_eq!(read(&c, header.as_bytes()), Ok(Some(json!(1))));
        let mut header = vec![0xff, b'=', 0xfe, b';'];
        header.extend_from_slice(format!("session={t}").as_bytes());
        assert_eq!(read(&c, &header), Ok(Some(json!(1))));
    }

    #[test]
    fn every_changed_byte_is_refused() {
        let c = config();
        let t = token(&c, &json!({"user": "cobra", "admin": false}));
        // Miri checks one replacement per position; the others take the same paths.
        let replacements: &[u8] = if cfg!(miri) { b"A" } else { b"Az-.=" };
        for i in 0..t.len() {
            for &replacement in replacements {
                let mut bytes = t.clone().into_bytes();
                if bytes[i] == replacement {
                    continue;
                }
                bytes[i] = replacement;
                let header = [b"session=".as_slice(), &bytes].concat();
                let r = read(&c, &header);
                assert!(r.is_err(), "position {i}: {r:?}");
            }
        }
        // Appending, truncating, and swapping parts between two tokens.
        let u = token(&c, &json!({"user": "viper"}));
        let (tp, tr) = t.split_once('.').unwrap();
        let (up, ur) = u.split_once('.').unwrap();
        for bad in [
            format!("{t}A"),
            t[1..].to_owned(),
            format!("{tp}.{ur}"),
            format!("{up}.{tr}"),
        ] {
            assert!(
                read(&c, format!("session={bad}").as_bytes()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn huge_headers_are_refused_before_parsing() {
        let c = config();
        let t = token(&c, &json!(1));
        let mut header = format!("session={t}; pad=");
        header.push_str(&"x".repeat(MAX_COOKIE_HEADER_LEN - header.len()));
        assert_eq!(read(&c, header.as_bytes()), Ok(Some(json!(1))));
        header.push('x');
        assert_eq!(
            read(&c, header.as_bytes()),
            Err(Error::TooLarge {
                len: MAX_COOKIE_HEADER_LEN + 1,
                max: MAX_COOKIE_HEADER_LEN
            })
        );
    }

    #[test]
    fn duplicates_fail_closed_when_they_differ() {
        let c = config();
        let t1 = token(&c, &json!({"user": "a"}));
        let t2 = token(&c, &json!({"user": "b"}));
        let expired = c
            .encode_until(&json!({"user": "c"}), now() - Duration::seconds(1))
            .unwrap()
            .value()
            .to_owned();
        let other = token(
            &CookieConfig::builder(key(2))
                .clock(now)
                .name("session")
                .try_build()
                .unwrap(),
            &json!(0),
        );
        let one = Ok(Some(json!({"user": "a"})));
        // The same token twice is one session.
        assert_eq!(
            read(&c, format!("session={t1}; session={t1}").as_bytes()),
            one
        );
        // Invalid, forged, expired and garbage companions are skipped.
        let h = format!("session=junk; session={other}; session={expired}; session={t1}; session=");
        assert_eq!(read(&c, h.as_bytes()), one);
        // Two different valid tokens: refuse to guess.
        let h = format!("session={t1}; session={t2}");
        assert_eq!(read(&c, h.as_bytes()), Err(Error::AmbiguousCookie));
        // Too many candidates.
        let h = vec![format!("session={t1}"); MAX_SAME_NAME_COOKIES + 1].join("; ");
        assert_eq!(read(&c, h.as_bytes()), Err(Error::AmbiguousCookie));
        let h = vec![format!("session={t1}"); MAX_SAME_NAME_COOKIES].join("; ");
        assert_eq!(read(&c, h.as_bytes()), one);
        // When none verifies, an expired one is reported as such.
        let h = format!("session=junk; session={expired}; session={other}");
        assert!(matches!(read(&c, h.as_bytes()), Err(Error::Expired { .. })));
        let h = format!("session=junk; session={other}");
        assert_eq!(read(&c, h.as_bytes()), Err(Error::Malformed));
    }

    #[test]
    fn fallback_keys_are_reported() {
        let old = config();
        let rotated = CookieConfig::builder(Keyring::new(key(9)).with_fallback(key(1)))
            .clock(now)
            .name("session")
            .try_build()
            .unwrap();
        let t = token(&old, &json!(1));
        let v = rotated
            .decode_header::<Value>(format!("session={t}"))
            .unwrap()
            .unwrap();
        assert_eq!(v.key_used, KeyUsed::Fallback(0));
        assert!(v.needs_reissue());
    }

    #[test]
    fn jar_reading() {
        let c = config();
        let mut jar = CookieJar::new();
        assert_eq!(c.decode_jar::<Value>(&jar), Ok(None));
        jar.add_original(c.encode(&json!(5), Duration::DAY).unwrap());
        let v = c.decode_jar::<Value>(&jar).unwrap().unwrap();
        assert_eq!(v.data, json!(5));
        jar.add_original(Cookie::new("session", "forged"));
        assert_eq!(c.decode_jar::<Value>(&jar), Err(Error::Malformed));
    }
}
