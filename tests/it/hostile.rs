//! Hostile input beyond fuzzing: a table of crafted tokens for the native codec with
//! compression on and for the Flask profile, each with the exact error kind it must
//! get. Many are validly signed (made with `Signer`), so that the checks after the MAC
//! (timestamp, decompression, JSON, tags) are reached. None may panic.

use miniz_oxide::deflate::{compress_to_vec, compress_to_vec_zlib};
use serde::Deserialize;
use serde_json::{json, Value};
#[cfg(feature = "django")]
use sessionlib::django::{self, DjangoCodec, DjangoSession};
use sessionlib::flask::{flask_keyring, Digest, FlaskCodec, FlaskSession, FlaskValue};
use sessionlib::signer::{Sha1, Signer};
use sessionlib::{
    Codec, CookieConfig, Error, Inflate, Keyring, PayloadErrorKind, SessionConfig, SessionSource,
    SetCookie,
};
use time::OffsetDateTime;

use crate::common::forge::base62;
use crate::common::forge::{b64, later, native_signed, ts, unb64};
use crate::common::{key, now, NOW};
#[cfg(feature = "django")]
use crate::common::{At, CookieAt};

const FLASK_SECRET: &[u8] = b"flask dev secret";
#[cfg(feature = "django")]
const DJANGO_SECRET: &str = "django dev secret";

fn zlib(bytes: &[u8]) -> Vec<u8> {
    compress_to_vec_zlib(bytes, 6)
}

/// A native token over `text` (`payload.timestamp`), validly signed with key 1 and the
/// default salt.
fn nsigned(text: &str) -> String {
    native_signed(text)
}

/// A Flask cookie over `text`, validly signed with the Flask test key (HMAC-SHA1,
/// salt `cookie-session`).
fn fsigned(text: &str) -> String {
    let signer: Signer<Sha1> = Signer::new(
        &flask_keyring(FLASK_SECRET, &[]).unwrap(),
        b"cookie-session",
    );
    format!("{text}.{}", b64(signer.sign(text.as_bytes()).as_bytes()))
}

/// A Django session token over `text` (`payload:timestamp`), validly signed with the
/// Django test key (salted_hmac, the session engine's salt).
#[cfg(feature = "django")]
fn dsigned(text: &str) -> String {
    let signer = django::signer(
        &django::django_keyring(DJANGO_SECRET, &[]).unwrap(),
        django::SESSION_SALT.as_bytes(),
    );
    format!("{text}:{}", b64(signer.sign(text.as_bytes()).as_bytes()))
}

/// Django session token: raw JSON bytes, validly signed a minute ago, uncompressed.
#[cfg(feature = "django")]
fn djson(json: &[u8]) -> String {
    dsigned(&format!("{}:{}", b64(json), d62(NOW as u64 - 60)))
}

/// Django session token: a compressed payload made of `stream`, validly signed.
#[cfg(feature = "django")]
fn dz(stream: &[u8]) -> String {
    dsigned(&format!(".{}:{}", b64(stream), d62(NOW as u64 - 60)))
}

#[cfg(feature = "django")]
fn d62(value: u64) -> String {
    base62(value)
}

/// The Flask signing time a minute ago (the native expiry an hour from now is
/// [`later`]).
fn signed_at() -> String {
    ts(NOW as u64 - 60)
}

/// Native token: raw JSON bytes, validly signed, uncompressed.
fn njson(json: &[u8]) -> String {
    nsigned(&format!("{}.{}", b64(json), later()))
}
/// Native token: a compressed payload made of `stream` (any bytes), validly signed.
fn nz(stream: &[u8]) -> String {
    nsigned(&format!(".{}.{}", b64(stream), later()))
}
/// Flask cookie: raw tagged JSON bytes, validly signed, uncompressed.
fn fjson(json: &[u8]) -> String {
    fsigned(&format!("{}.{}", b64(json), signed_at()))
}
/// Flask cookie: a compressed payload made of `stream`, validly signed.
fn fz(stream: &[u8]) -> String {
    fsigned(&format!(".{}.{}", b64(stream), signed_at()))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Malformed,
    InvalidSignature,
    Expired,
    NotYetValid,
    TooLarge,
    Syntax,
    Data,
    DecompressionLimit,
    AmbiguousCookie,
    /// Not an error: the header has no cookie of the session's name (`Ok(None)`).
    NoCookie,
}

fn kind(err: &Error) -> Kind {
    match err {
        Error::Malformed => Kind::Malformed,
        Error::InvalidSignature => Kind::InvalidSignature,
        Error::Expired { .. } => Kind::Expired,
        Error::NotYetValid { .. } => Kind::NotYetValid,
        Error::TooLarge { .. } => Kind::TooLarge,
        Error::DecompressionLimit { .. } => Kind::DecompressionLimit,
        Error::AmbiguousCookie => Kind::AmbiguousCookie,
        Error::Deserialize(p) => match p.kind() {
            PayloadErrorKind::Syntax => Kind::Syntax,
            _ => Kind::Data,
        },
        other => panic!("unexpected error {other:?}"),
    }
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Strict {
    user_id: u64,
    name: String,
}

/// Which decoder a case goes to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Profile {
    /// Native codec, compression on, decoding into `serde_json::Value`.
    Z,
    /// The same, decoding into `Strict`.
    ZStrict,
    /// Native codec, compression on, with a 1 MiB token limit and loose inflate limits,
    /// so that huge payloads reach the JSON parser.
    ZBig,
    /// Native codec with compression off.
    Plain,
    /// The Flask profile (HMAC-SHA1, `cookie-session`).
    Flask,
    /// The Flask profile with the same loose limits as `ZBig`.
    FlaskBig,
    /// A `Cookie:` header value for a `CookieConfig` named `session` (key 1, default
    /// salt), decoded into `serde_json::Value`.
    Header,
    /// A `Cookie:` header value for the Flask profile's reader, cookie `session`.
    FlaskHeader,
    /// The Django session profile (salted_hmac, the session engine's salt), decoding
    /// into a session map.
    #[cfg(feature = "django")]
    Django,
    /// A `Cookie:` header value for the Django profile's reader, cookie `sessionid`.
    #[cfg(feature = "django")]
    DjangoHeader,
}

/// The value of the cookie `config` makes for `data` at `now()`.
fn cookie_value(config: &CookieConfig, data: &Value) -> String {
    config
        .encode_at(data, time::Duration::DAY, now())
        .unwrap()
        .value()
        .to_string()
}

struct Codecs {
    z: Codec,
    z_big: Codec,
    plain: Codec,
    flask: FlaskCodec,
    flask_big: FlaskCodec,
    cookie: CookieConfig,
    #[cfg(feature = "django")]
    django: DjangoCodec,
}

fn codecs() -> Codecs {
    let loose = Inflate::new(1 << 21, 1 << 20);
    let flask = FlaskCodec::builder(flask_keyring(FLASK_SECRET, &[]).unwrap());
    Codecs {
        z: Codec::builder(key(1)).compression(true).build(),
        z_big: Codec::builder(key(1))
            .compression(true)
            .inflate_limits(loose)
            .max_token_len(1 << 20)
            .build(),
        plain: Codec::new(key(1)),
        flask: flask.clone().clock(now).build(),
        flask_big: flask.inflate_limits(loose).max_token_len(1 << 20).build(),
        cookie: cookie_config("session", "sessionlib.session"),
        #[cfg(feature = "django")]
        django: DjangoCodec::session_builder(django::django_keyring(DJANGO_SECRET, &[]).unwrap())
            .clock(now)
            .build(),
    }
}

fn cookie_config(name: &str, salt: &str) -> CookieConfig {
    CookieConfig::builder(key(1))
        .clock(crate::common::clock)
        .name(name)
        .salt(salt)
        .try_build()
        .unwrap()
}

/// `Ok(true)`: accepted; `Ok(false)`: no cookie of the name in a header.
fn decode(c: &Codecs, profile: Profile, token: &str) -> Result<bool, Error> {
    match profile {
        Profile::Z => c.z.decode_at::<Value>(token, now()).map(|_| true),
        Profile::ZStrict => c.z.decode_at::<Strict>(token, now()).map(|_| true),
        Profile::ZBig => c.z_big.decode_at::<Value>(token, now()).map(|_| true),
        Profile::Plain => c.plain.decode_at::<Value>(token, now()).map(|_| true),
        Profile::Flask => c.flask.decode_at(token, now()).map(|_| true),
        Profile::FlaskBig => c.flask_big.decode_at(token, now()).map(|_| true),
        Profile::Header => c
            .cookie
            .decode_header_at::<Value>(token, now())
            .map(|v| v.is_some()),
        Profile::FlaskHeader => c.flask.decode_header(token, "session").map(|v| v.is_some()),
        #[cfg(feature = "django")]
        Profile::Django => c
            .django
            .decode_at::<DjangoSession>(token, now())
            .map(|_| true),
        #[cfg(feature = "django")]
        Profile::DjangoHeader => c
            .django
            .decode_header::<DjangoSession>(token, "sessionid")
            .map(|v| v.is_some()),
    }
}

type Case = (&'static str, Profile, String, Kind);

fn deep(open: &str, close: &str, n: usize) -> String {
    format!("{}{}", open.repeat(n), close.repeat(n))
}

/// The valid compressed native token the structural cases start from, and its parts
/// (`marked payload`, timestamp, signature).
fn native_base() -> (String, String, String, String) {
    let c = codecs();
    let data = json!({"cart": vec!["widget"; 40], "user_id": 7});
    let token = c.z.encode_at(&data, now()).unwrap();
    assert!(token.starts_with('.'), "the base token is compressed");
    let parts: Vec<String> = token[1..].split('.').map(str::to_string).collect();
    let (p, t, s) = (parts[0].clone(), parts[1].clone(), parts[2].clone());
    (token, p, t, s)
}

fn flask_base() -> String {
    let c = codecs();
    let mut session = FlaskSession::new();
    session.insert("items".into(), FlaskValue::List(vec!["widget".into(); 30]));
    c.flask.encode_at(&session, now()).unwrap()
}

fn native_cases() -> Vec<Case> {
    use Kind::*;
    use Profile::*;
    let (good, p, t, s) = native_base();
    let plain_good = codecs()
        .plain
        .encode_at(&json!({"user_id": 1, "name": "a"}), now())
        .unwrap();
    let ok_stream = zlib(br#"{"user_id":1,"name":"a"}"#);
    let bomb = compress_to_vec_zlib(&vec![b' '; 1 << 20], 9);
    let mut flipped_sig = s.clone().into_bytes();
    flipped_sig[5] = if flipped_sig[5] == b'A' { b'B' } else { b'A' };
    let flipped_sig = String::from_utf8(flipped_sig).unwrap();
    let mut flipped_payload = p.clone().into_bytes();
    flipped_payload[10] = if flipped_payload[10] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let flipped_payload = String::from_utf8(flipped_payload).unwrap();
    let mut noncanonical_sig = s.clone();
    noncanonical_sig.pop();
    noncanonical_sig.push('B');
    let other_salt = Codec::builder(key(1))
        .salt("password-reset")
        .compression(true)
        .build()
        .encode_at(&json!({"cart": vec!["widget"; 40]}), now())
        .unwrap();
    let flask_cookie = flask_base();
    let flask_sha256 = |salt: &str| {
        FlaskCodec::builder(key(1))
            .digest(Digest::Sha256)
            .salt(salt)
            .build()
            .encode_at(&FlaskSession::new(), now())
            .unwrap()
    };
    let mut trailing = ok_stream.clone();
    trailing.push(0);
    let mut bad_checksum = ok_stream.clone();
    *bad_checksum.last_mut().unwrap() ^= 1;
    let two_streams = [ok_stream.clone(), ok_stream.clone()].concat();
    let truncated = ok_stream[..ok_stream.len() - 3].to_vec();
    let raw_deflate = compress_to_vec(br#"{"user_id":1,"name":"a"}"#, 6);
    // A gzip member around the same deflate data.
    let gzip = [
        &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff][..],
        &raw_deflate,
        &[0; 8],
    ]
    .concat();
    // zlib header with FDICT set (a preset dictionary the reader does not have).
    let fdict = [0x78, 0xbb, 0, 0, 0, 1, 3, 0];
    // A stored block whose LEN and NLEN disagree.
    let bad_stored = [0x78, 0x01, 0x01, 0x02, 0x00, 0x00, 0x00, b'{', b'}'];

    vec![
        // ------------------------------------------------------------ structure
        ("native: empty", Z, String::new(), Malformed),
        ("native: lone compression marker", Z, ".".into(), Malformed),
        (
            "native: marker with empty payload",
            Z,
            format!(".{}.{t}.{s}", ""),
            Malformed,
        ),
        (
            "native: two compression markers",
            Z,
            format!("..{p}.{t}.{s}"),
            Malformed,
        ),
        (
            "native: marker added to an uncompressed token",
            Z,
            format!(".{plain_good}"),
            InvalidSignature,
        ),
        (
            "native: compression marker removed",
            Z,
            format!("{p}.{t}.{s}"),
            InvalidSignature,
        ),
        (
            "native: four parts",
            Z,
            format!(".{p}.{t}.{t}.{s}"),
            Malformed,
        ),
        ("native: trailing dot", Z, format!("{good}."), Malformed),
        (
            "native: compressed token, codec without compression",
            Plain,
            good.clone(),
            Malformed,
        ),
        // ------------------------------------------------------ signature, base64
        (
            "native: signature one character short",
            Z,
            good[..good.len() - 1].to_string(),
            Malformed,
        ),
        (
            "native: 33-byte signature",
            Z,
            format!(".{p}.{t}.{}", b64(&[7; 33])),
            Malformed,
        ),
        (
            "native: SHA-1 length signature",
            Z,
            format!(".{p}.{t}.{}", b64(&[7; 20])),
            Malformed,
        ),
        (
            "native: padded compressed payload",
            Z,
            format!(".{p}=.{t}.{s}"),
            Malformed,
        ),
        (
            "native: standard alphabet in payload",
            Z,
            format!(".+{}.{t}.{s}", &p[1..]),
            Malformed,
        ),
        (
            "native: non-canonical signature",
            Z,
            format!(".{p}.{t}.{noncanonical_sig}"),
            Malformed,
        ),
        (
            "native: signature changed",
            Z,
            format!(".{p}.{t}.{flipped_sig}"),
            InvalidSignature,
        ),
        (
            "native: compressed payload changed",
            Z,
            format!(".{flipped_payload}.{t}.{s}"),
            InvalidSignature,
        ),
        (
            "native: 4097 bytes",
            Z,
            format!(".{}", "A".repeat(4096)),
            TooLarge,
        ),
        // ------------------------------------------------------------ timestamp
        (
            "native: signed nine-byte timestamp",
            Z,
            nsigned(&format!(".{}.{}", b64(&ok_stream), b64(&[1; 9]))),
            Malformed,
        ),
        (
            "native: signed leading zero byte",
            Z,
            nsigned(&format!(
                ".{}.{}",
                b64(&ok_stream),
                b64(&[0, 0x65, 0x53, 0xf1, 0])
            )),
            Malformed,
        ),
        (
            "native: signed expiry in 1970",
            Z,
            nsigned(&format!(".{}.{}", b64(&ok_stream), ts(1))),
            Expired,
        ),
        (
            "native: signed expiry equal to now",
            Z,
            nsigned(&format!(".{}.{}", b64(&ok_stream), ts(NOW as u64))),
            Expired,
        ),
        (
            "native: signed u64::MAX expiry",
            Z,
            nsigned(&format!(".{}.{}", b64(&ok_stream), ts(u64::MAX))),
            Malformed,
        ),
        (
            "native: timestamp extended, not re-signed",
            Z,
            format!(".{p}.{}.{s}", ts(u64::from(u32::MAX))),
            InvalidSignature,
        ),
        // --------------------------------------------------------- payload, JSON
        (
            "native: depth 100000, compressed",
            ZBig,
            nz(&zlib(deep("[", "]", 100_000).as_bytes())),
            Syntax,
        ),
        (
            "native: depth 128",
            Z,
            njson(deep("[", "]", 128).as_bytes()),
            Syntax,
        ),
        (
            "native: number beyond f64",
            Z,
            njson(br#"{"n":1e400}"#),
            Syntax,
        ),
        (
            "native: 2^64 into u64",
            ZStrict,
            njson(br#"{"user_id":18446744073709551616,"name":"a"}"#),
            Data,
        ),
        (
            "native: negative into u64",
            ZStrict,
            njson(br#"{"user_id":-1,"name":"a"}"#),
            Data,
        ),
        (
            "native: float into u64",
            ZStrict,
            njson(br#"{"user_id":1.5,"name":"a"}"#),
            Data,
        ),
        (
            "native: lone leading surrogate",
            Z,
            njson(br#"{"name":"\ud800"}"#),
            Syntax,
        ),
        (
            "native: lone trailing surrogate",
            Z,
            njson(br#"{"name":"\udc00x"}"#),
            Syntax,
        ),
        (
            "native: duplicate keys into a struct",
            ZStrict,
            njson(br#"{"user_id":1,"user_id":2,"name":"a"}"#),
            Data,
        ),
        ("native: NaN", Z, njson(br#"{"n":NaN}"#), Syntax),
        ("native: trailing comma", Z, njson(br#"{"a":1,}"#), Syntax),
        (
            "native: garbage after the value",
            Z,
            njson(br#"{"a":1}x"#),
            Syntax,
        ),
        ("native: two values", Z, njson(br#"{}{}"#), Syntax),
        (
            "native: byte order mark",
            Z,
            njson("\u{feff}{}".as_bytes()),
            Syntax,
        ),
        ("native: whitespace only", Z, njson(b"   "), Syntax),
        ("native: single quotes", Z, njson(b"{'a':1}"), Syntax),
        (
            "native: wrong type",
            ZStrict,
            njson(br#"{"user_id":"1","name":"a"}"#),
            Data,
        ),
        (
            "native: unknown field",
            ZStrict,
            njson(br#"{"user_id":1,"name":"a","admin":true}"#),
            Data,
        ),
        (
            "native: missing field",
            ZStrict,
            njson(br#"{"user_id":1}"#),
            Data,
        ),
        // -------------------------------------------------------------- unicode
        (
            "native: invalid UTF-8 in JSON",
            Z,
            njson(b"{\"a\":\"\xff\"}"),
            Syntax,
        ),
        (
            "native: overlong UTF-8",
            Z,
            njson(b"{\"a\":\"\xc0\xaf\"}"),
            Syntax,
        ),
        (
            "native: UTF-8 encoded surrogate",
            Z,
            njson(b"{\"a\":\"\xed\xa0\x80\"}"),
            Syntax,
        ),
        (
            "native: fullwidth letter in payload",
            Z,
            format!(".\u{ff21}{}.{t}.{s}", &p[1..]),
            Malformed,
        ),
        (
            "native: Cyrillic lookalike in timestamp",
            Z,
            format!(".{p}.{}\u{430}.{s}", &t[..t.len() - 1]),
            Malformed,
        ),
        (
            "native: zero-width joiner in signature",
            Z,
            format!(".{p}.{t}.{}\u{200d}", &s[..s.len() - 3]),
            Malformed,
        ),
        (
            "native: combining accent appended",
            Z,
            format!("{good}\u{301}"),
            Malformed,
        ),
        // ------------------------------------------------------ purpose, profile
        ("native: another salt", Z, other_salt, InvalidSignature),
        ("native: Flask cookie", Z, flask_cookie, Malformed),
        (
            "native: HMAC-SHA256 Flask cookie, same key",
            Z,
            flask_sha256("cookie-session"),
            InvalidSignature,
        ),
        // The layouts are the same: only the salt keeps the profiles apart. With the
        // native salt, the Flask signing time (now) is read as an expiry (now).
        (
            "native: HMAC-SHA256 Flask cookie, same key and salt",
            Z,
            flask_sha256("sessionlib.session"),
            Expired,
        ),
        // ---------------------------------------------------------- compression
        ("native: zlib bomb", Z, nz(&bomb), DecompressionLimit),
        (
            "native: ratio bomb",
            Z,
            nz(&compress_to_vec_zlib(&[b'a'; 20_000], 9)),
            DecompressionLimit,
        ),
        (
            "native: trailing byte after the stream",
            Z,
            nz(&trailing),
            Malformed,
        ),
        ("native: two streams", Z, nz(&two_streams), Malformed),
        ("native: truncated stream", Z, nz(&truncated), Malformed),
        ("native: bad checksum", Z, nz(&bad_checksum), Malformed),
        (
            "native: raw deflate without header",
            Z,
            nz(&raw_deflate),
            Malformed,
        ),
        ("native: gzip instead of zlib", Z, nz(&gzip), Malformed),
        ("native: preset dictionary", Z, nz(&fdict), Malformed),
        (
            "native: stored block with bad length",
            Z,
            nz(&bad_stored),
            Malformed,
        ),
        ("native: one header byte", Z, nz(&[0x78]), Malformed),
        (
            "native: stream inflates to non-JSON",
            Z,
            nz(&zlib(b"not json")),
            Syntax,
        ),
        (
            "native: stream inflates to invalid UTF-8",
            Z,
            nz(&zlib(b"\"\xff\xfe\"")),
            Syntax,
        ),
        (
            "native: signed marker on a plain codec",
            Plain,
            nz(&ok_stream),
            Malformed,
        ),
    ]
}

fn flask_cases() -> Vec<Case> {
    use Kind::*;
    use Profile::*;
    let good = flask_base();
    assert!(good.starts_with('.'), "the base cookie is compressed");
    let parts: Vec<String> = good[1..].split('.').map(str::to_string).collect();
    let (p, t, s) = (parts[0].clone(), parts[1].clone(), parts[2].clone());
    let ok_stream = zlib(br#"{"a":1}"#);
    let bomb = compress_to_vec_zlib(&vec![b' '; 1 << 20], 9);
    let mut trailing = ok_stream.clone();
    trailing.extend_from_slice(b"xx");
    let mut bad_checksum = ok_stream.clone();
    let n = bad_checksum.len();
    bad_checksum[n - 2] ^= 0x40;
    let native_token = Codec::new(key(1)).encode_at(&json!({}), now()).unwrap();
    let other_salt = FlaskCodec::builder(flask_keyring(FLASK_SECRET, &[]).unwrap())
        .salt("itsdangerous")
        .build()
        .encode_at(&FlaskSession::new(), now())
        .unwrap();
    let other_key = FlaskCodec::from_flask_config(b"another secret", &[])
        .unwrap()
        .encode_at(&FlaskSession::new(), now())
        .unwrap();
    let tuples = |n: usize| format!("{{\"a\":{}}}", deep("{\" t\":[", "]}", n));

    vec![
        // ------------------------------------------------------------ structure
        ("flask: empty", Flask, String::new(), Malformed),
        (
            "flask: two compression markers",
            Flask,
            format!("..{p}.{t}.{s}"),
            Malformed,
        ),
        ("flask: padding", Flask, format!(".{p}.{t}.{s}="), Malformed),
        (
            "flask: extra part",
            Flask,
            format!(".{p}.{t}.{t}.{s}"),
            Malformed,
        ),
        ("flask: 4097 bytes", Flask, "e".repeat(4097), TooLarge),
        (
            "flask: signature changed",
            Flask,
            format!(".{p}.{t}.{}", s.replace(&s[..2], "AA")),
            InvalidSignature,
        ),
        (
            "flask: compression marker removed",
            Flask,
            format!("{p}.{t}.{s}"),
            InvalidSignature,
        ),
        // ------------------------------------------------------------ timestamp
        (
            "flask: signed in the future",
            Flask,
            fsigned(&format!("e30.{}", ts(NOW as u64 + 3600))),
            NotYetValid,
        ),
        (
            "flask: signed 32 days ago",
            Flask,
            fsigned(&format!("e30.{}", ts(NOW as u64 - 32 * 86_400))),
            Expired,
        ),
        (
            "flask: signed nine-byte timestamp",
            Flask,
            fsigned(&format!("e30.{}", b64(&[1; 9]))),
            Malformed,
        ),
        (
            "flask: signed u64::MAX timestamp",
            Flask,
            fsigned(&format!("e30.{}", ts(u64::MAX))),
            Malformed,
        ),
        // --------------------------------------------------------- payload, JSON
        (
            "flask: depth 100000, compressed",
            FlaskBig,
            fz(&zlib(
                format!("{{\"a\":{}}}", deep("[", "]", 100_000)).as_bytes(),
            )),
            Syntax,
        ),
        (
            "flask: 101 nested lists",
            Flask,
            fjson(format!("{{\"a\":{}}}", deep("[", "]", 101)).as_bytes()),
            Data,
        ),
        (
            "flask: 64 nested tuples (JSON depth 129)",
            Flask,
            fjson(tuples(64).as_bytes()),
            Syntax,
        ),
        (
            "flask: deep tags, compressed",
            Flask,
            fz(&zlib(tuples(70).as_bytes())),
            Syntax,
        ),
        (
            "flask: number beyond f64",
            Flask,
            fjson(br#"{"n":1e400}"#),
            Syntax,
        ),
        ("flask: NaN", Flask, fjson(br#"{"n":NaN}"#), Syntax),
        (
            "flask: lone surrogate",
            Flask,
            fjson(br#"{"a":"\ud800"}"#),
            Syntax,
        ),
        ("flask: top level a list", Flask, fjson(b"[1]"), Data),
        (
            "flask: UUID too short",
            Flask,
            fjson(br#"{"a":{" u":"1234"}}"#),
            Data,
        ),
        (
            "flask: bytes not base64",
            Flask,
            fjson(br#"{"a":{" b":"*"}}"#),
            Data,
        ),
        (
            "flask: date with a wrong weekday",
            Flask,
            fjson(br#"{"a":{" d":"Mon, 21 Oct 2015 07:28:00 GMT"}}"#),
            Data,
        ),
        (
            "flask: di with two keys",
            Flask,
            fjson(br#"{"a":{" di":{" t__":1," b__":2}}}"#),
            Data,
        ),
        // -------------------------------------------------------------- unicode
        (
            "flask: invalid UTF-8",
            Flask,
            fjson(b"{\"a\":\"\xff\"}"),
            Syntax,
        ),
        (
            "flask: fullwidth letter",
            Flask,
            format!(".\u{ff45}{}.{t}.{s}", &p[1..]),
            Malformed,
        ),
        // ------------------------------------------------------ purpose, profile
        ("flask: native token", Flask, native_token, Malformed),
        ("flask: another salt", Flask, other_salt, InvalidSignature),
        (
            "flask: another secret key",
            Flask,
            other_key,
            InvalidSignature,
        ),
        // ---------------------------------------------------------- compression
        ("flask: zlib bomb", Flask, fz(&bomb), DecompressionLimit),
        ("flask: trailing bytes", Flask, fz(&trailing), Malformed),
        (
            "flask: two streams",
            Flask,
            fz(&[ok_stream.clone(), ok_stream.clone()].concat()),
            Malformed,
        ),
        ("flask: truncated", Flask, fz(&ok_stream[..4]), Malformed),
        ("flask: bad checksum", Flask, fz(&bad_checksum), Malformed),
        (
            "flask: raw deflate",
            Flask,
            fz(&compress_to_vec(br#"{"a":1}"#, 6)),
            Malformed,
        ),
    ]
}

#[cfg(feature = "django")]
fn django_cases() -> Vec<Case> {
    use Kind::*;
    use Profile::*;
    let c = codecs();
    let good = c
        .django
        .encode_at(&json!({"items": vec!["widget"; 30]}), now())
        .unwrap();
    assert!(good.starts_with('.'), "the base token is compressed");
    let parts: Vec<String> = good[1..].split(':').map(str::to_string).collect();
    let (p, t, s) = (parts[0].clone(), parts[1].clone(), parts[2].clone());
    let plain = c
        .django
        .encode_at(&json!({"user": "cobra"}), now())
        .unwrap();
    let other = c
        .django
        .encode_at(&json!({"user": "viper"}), now())
        .unwrap();
    let ok_stream = zlib(br#"{"a":1}"#);
    let bomb = compress_to_vec_zlib(&vec![b' '; 1 << 20], 9);
    let mut trailing = ok_stream.clone();
    trailing.extend_from_slice(b"xx");
    let mut bad_checksum = ok_stream.clone();
    let n = bad_checksum.len();
    bad_checksum[n - 2] ^= 0x40;
    let signing_salt = DjangoCodec::builder(django::django_keyring(DJANGO_SECRET, &[]).unwrap())
        .build()
        .encode_at(&json!({}), now())
        .unwrap();
    let other_key = DjangoCodec::from_django_settings("another secret", &[])
        .unwrap()
        .encode_at(&json!({}), now())
        .unwrap();
    let native_token = Codec::new(key(1)).encode_at(&json!({}), now()).unwrap();
    let payload = b64(br#"{"user":"cobra"}"#);
    let at = |ts: &str| dsigned(&format!("{payload}:{ts}"));

    vec![
        // ------------------------------------------------------------ structure
        ("django: empty", Django, String::new(), Malformed),
        ("django: 4097 bytes", Django, "e".repeat(4097), TooLarge),
        ("django: padding", Django, format!("{good}="), Malformed),
        (
            "django: extra part",
            Django,
            format!(".{p}:{t}:{t}:{s}"),
            Malformed,
        ),
        (
            "django: empty timestamp",
            Django,
            format!(".{p}::{s}"),
            Malformed,
        ),
        (
            "django: dots for colons",
            Django,
            good.replace(':', "."),
            Malformed,
        ),
        (
            "django: two compression markers",
            Django,
            format!(".{good}"),
            Malformed,
        ),
        ("django: whitespace", Django, format!(" {plain}"), Malformed),
        (
            "django: signature changed",
            Django,
            forged(&good),
            InvalidSignature,
        ),
        (
            "django: compression marker removed",
            Django,
            good[1..].to_string(),
            InvalidSignature,
        ),
        // ------------------------------------------------------------ timestamp
        (
            "django: signed in the future",
            Django,
            at(&d62(NOW as u64 + 3600)),
            NotYetValid,
        ),
        (
            "django: signed 15 days ago",
            Django,
            at(&d62(NOW as u64 - 15 * 86_400)),
            Expired,
        ),
        (
            "django: signed leading-zero timestamp",
            Django,
            at(&format!("0{}", d62(NOW as u64))),
            Malformed,
        ),
        ("django: signed timestamp zero", Django, at("0"), Malformed),
        (
            "django: signed negative timestamp",
            Django,
            at("-1"),
            Malformed,
        ),
        (
            "django: signed u64::MAX timestamp",
            Django,
            at(&d62(u64::MAX)),
            Malformed,
        ),
        (
            "django: signed twelve-digit timestamp",
            Django,
            at("100000000000"),
            Malformed,
        ),
        (
            "django: signed timestamp past 2^64",
            Django,
            at("LygHa16AHYG"),
            Malformed,
        ),
        // -------------------------------------------------------------- payload
        ("django: NaN", Django, djson(br#"{"n":NaN}"#), Syntax),
        (
            "django: lone surrogate",
            Django,
            djson(br#"{"s":"\ud800"}"#),
            Syntax,
        ),
        (
            "django: raw UTF-8",
            Django,
            djson("{\"s\":\"Zoë\"}".as_bytes()),
            Syntax,
        ),
        (
            "django: invalid UTF-8",
            Django,
            djson(b"{\"a\":\"\xff\"}"),
            Syntax,
        ),
        (
            "django: number beyond f64",
            Django,
            djson(br#"{"n":1e400}"#),
            Syntax,
        ),
        (
            "django: depth 128",
            Django,
            djson(format!("{{\"a\":{}}}", deep("[", "]", 127)).as_bytes()),
            Syntax,
        ),
        ("django: top level a list", Django, djson(b"[1]"), Data),
        ("django: top level a string", Django, djson(br#""x""#), Data),
        // ------------------------------------------------------ purpose, profile
        ("django: native token", Django, native_token, Malformed),
        ("django: Flask cookie", Django, flask_base(), Malformed),
        (
            "django: signing.dumps salt",
            Django,
            signing_salt,
            InvalidSignature,
        ),
        (
            "django: another secret key",
            Django,
            other_key,
            InvalidSignature,
        ),
        // ---------------------------------------------------------- compression
        ("django: zlib bomb", Django, dz(&bomb), DecompressionLimit),
        ("django: trailing bytes", Django, dz(&trailing), Malformed),
        (
            "django: two streams",
            Django,
            dz(&[ok_stream.clone(), ok_stream.clone()].concat()),
            Malformed,
        ),
        ("django: truncated", Django, dz(&ok_stream[..4]), Malformed),
        ("django: bad checksum", Django, dz(&bad_checksum), Malformed),
        (
            "django: raw deflate",
            Django,
            dz(&compress_to_vec(br#"{"a":1}"#, 6)),
            Malformed,
        ),
        // --------------------------------------------------------------- header
        (
            "django header: no sessionid",
            DjangoHeader,
            format!("session={plain}; csrftoken=x"),
            NoCookie,
        ),
        (
            "django header: two different valid sessions",
            DjangoHeader,
            format!("sessionid={plain}; sessionid={other}"),
            AmbiguousCookie,
        ),
        (
            "django header: forged sessionid",
            DjangoHeader,
            format!("csrftoken=x; sessionid={}", forged(&plain)),
            InvalidSignature,
        ),
    ]
}

/// `token` with one signature character changed: right shape, wrong MAC.
fn forged(token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let i = bytes.len() - 5;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

fn header_cases() -> Vec<Case> {
    use Kind::*;
    use Profile::*;
    let c = codecs();
    let data = json!({"user": "cobra"});
    let valid = cookie_value(&c.cookie, &data);
    let other = cookie_value(&c.cookie, &json!({"user": "mallory"}));
    let expired = c
        .cookie
        .encode_until(&data, now() - time::Duration::hours(1))
        .unwrap()
        .value()
        .to_string();
    let moved = cookie_value(&cookie_config("admin_session", "sessionlib.session"), &data);
    // Salt "sessionlib.sessions" + name "ession" against salt "sessionlib.session" +
    // name "session": equal as a plain concatenation, different when length-prefixed.
    let shifted = cookie_value(&cookie_config("ession", "sessionlib.sessions"), &data);
    let plain_codec_token = c.plain.encode_at(&data, now()).unwrap();
    let compressed_token =
        c.z.encode_at(&json!({"cart": vec!["widget"; 40]}), now())
            .unwrap();
    let flask_cookie = flask_base();
    let flask_other = {
        let mut session = FlaskSession::new();
        session.insert("user".into(), "mallory".into());
        c.flask.encode_at(&session, now()).unwrap()
    };

    vec![
        // ---------------------------------------------------- cookie-name swaps
        (
            "header: token of another cookie name",
            Header,
            format!("session={moved}"),
            InvalidSignature,
        ),
        (
            "header: salt and name shifted",
            Header,
            format!("session={shifted}"),
            InvalidSignature,
        ),
        (
            "header: codec token without the name binding",
            Header,
            format!("session={plain_codec_token}"),
            InvalidSignature,
        ),
        (
            "header: compressed token",
            Header,
            format!("session={compressed_token}"),
            Malformed,
        ),
        (
            "header: Flask cookie",
            Header,
            format!("session={flask_cookie}"),
            Malformed,
        ),
        // -------------------------------------------------------- header shape
        (
            "header: two different valid cookies",
            Header,
            format!("session={valid}; session={other}"),
            AmbiguousCookie,
        ),
        (
            "header: nine cookies of the name",
            Header,
            format!("session={valid};").repeat(9),
            AmbiguousCookie,
        ),
        (
            "header: over 16 KiB",
            Header,
            format!("a={}; session={valid}", "b".repeat(16 * 1024)),
            TooLarge,
        ),
        (
            "header: quoted value",
            Header,
            format!("session=\"{valid}\""),
            Malformed,
        ),
        (
            "header: URL-encoded dots",
            Header,
            format!("session={}", valid.replace('.', "%2E")),
            Malformed,
        ),
        (
            "header: non-ASCII value",
            Header,
            format!("session=\u{ff}{valid}"),
            Malformed,
        ),
        (
            "header: expired, then garbage",
            Header,
            format!("session={expired}; session=x"),
            Expired,
        ),
        (
            "header: garbage, then a forgery (the first error)",
            Header,
            format!("session=x; session={}", forged(&other)),
            Malformed,
        ),
        (
            "header: a forgery, then garbage (the first error)",
            Header,
            format!("session={}; session=x", forged(&other)),
            InvalidSignature,
        ),
        (
            "header: name in upper case",
            Header,
            format!("SESSION={valid}"),
            NoCookie,
        ),
        (
            "header: name with a prefix",
            Header,
            format!("__Host-session={valid}"),
            NoCookie,
        ),
        (
            "header: name with a NUL",
            Header,
            format!("session\0={valid}"),
            NoCookie,
        ),
        (
            "header: no equals sign",
            Header,
            format!("session{valid}"),
            NoCookie,
        ),
        ("header: empty", Header, String::new(), NoCookie),
        (
            "header: only separators",
            Header,
            " ; ;; =; ==".into(),
            NoCookie,
        ),
        // ------------------------------------------------- Flask header reader
        (
            "flask header: two different valid cookies",
            FlaskHeader,
            format!("session={flask_cookie}; session={flask_other}"),
            AmbiguousCookie,
        ),
        (
            "flask header: over 16 KiB",
            FlaskHeader,
            format!("session={flask_cookie}; {}", "x".repeat(16 * 1024)),
            TooLarge,
        ),
        (
            "flask header: native cookie",
            FlaskHeader,
            format!("session={valid}"),
            Malformed,
        ),
    ]
}

/// The session is found in a header with other cookies, whitespace, and a same-name
/// cookie that is garbage or expired; a repeated identical cookie is not ambiguous.
#[test]
fn a_valid_cookie_is_found_among_hostile_ones() {
    let c = codecs();
    let data = json!({"user": "cobra"});
    let valid = cookie_value(&c.cookie, &data);
    let expired = c
        .cookie
        .encode_until(&data, now() - time::Duration::hours(1))
        .unwrap()
        .value()
        .to_string();
    for header in [
        format!("theme=dark; session={valid}; lang=en"),
        format!(" \tsession \t= {valid} \t;"),
        format!("session=garbage; session={valid}"),
        format!("session={expired}; session={valid}"),
        format!("session={valid}; session={valid}"),
        format!("SESSION=x; session={valid}; Session=y"),
    ] {
        let v = c.cookie.decode_header_at::<Value>(&header, now()).unwrap();
        assert_eq!(v.map(|v| v.data), Some(data.clone()), "{header}");
    }
}

/// A header is bytes: a value that is not UTF-8 is `Malformed`, and other cookies that
/// are not UTF-8 do not matter.
#[test]
fn headers_that_are_not_utf8() {
    let c = codecs();
    let valid = c
        .cookie
        .encode_at(&json!({"a": 1}), time::Duration::DAY, now())
        .unwrap();
    let bad: &[u8] = b"session=\xff\xfe.\xc3";
    assert_eq!(
        c.cookie.decode_header_at::<Value>(bad, now()),
        Err(Error::Malformed)
    );
    let mixed = [b"x=\xff\xfe; session=", valid.value().as_bytes()].concat();
    let v = c.cookie.decode_header_at::<Value>(&mixed, now()).unwrap();
    assert_eq!(v.map(|v| v.data), Some(json!({"a": 1})));
}

#[test]
fn hostile_inputs_fail_with_the_exact_error_kind() {
    let c = codecs();
    let cases: Vec<Case> = native_cases()
        .into_iter()
        .chain(flask_cases())
        .chain(header_cases())
        .collect();
    #[cfg(feature = "django")]
    let cases: Vec<Case> = cases.into_iter().chain(django_cases()).collect();
    assert!(cases.len() >= 80, "{} cases", cases.len());
    eprintln!("{} hostile cases", cases.len());
    let mut failures = Vec::new();
    for (name, profile, token, expected) in &cases {
        match decode(&c, *profile, token) {
            Ok(true) => failures.push(format!("{name}: accepted")),
            Ok(false) if *expected != Kind::NoCookie => {
                failures.push(format!("{name}: no cookie found, expected {expected:?}"));
            }
            Ok(false) => {}
            Err(err) => {
                if kind(&err) != *expected {
                    failures.push(format!("{name}: {err:?}, expected {expected:?}"));
                }
                // No error message repeats a part of the token.
                let message = format!("{err} {err:?}");
                for part in token.split(['.', ':']).filter(|part| part.len() >= 8) {
                    assert!(!message.contains(part), "{name}: {message}");
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Bounds that are not errors: duplicate keys in a dynamic value keep the last one, as
/// in Python; an unknown one-key object is a plain dict; exactly 127 levels decode.
#[test]
fn hostile_looking_inputs_that_are_accepted() {
    let c = codecs();
    let v =
        c.z.decode_at::<Value>(&njson(br#"{"a":1,"a":2}"#), now())
            .unwrap();
    assert_eq!(v.data, json!({"a": 2}));
    let f = c
        .flask
        .decode_at(&fjson(br#"{"a":{" x":1}}"#), now())
        .unwrap();
    assert_eq!(
        f.data["a"],
        FlaskValue::Dict(FlaskSession::from([(
            " x".to_string(),
            FlaskValue::from(1)
        )]))
    );
    let deepest = deep("[", "]", 127);
    let v =
        c.z.decode_at::<Value>(&nz(&zlib(deepest.as_bytes())), now())
            .unwrap();
    assert_eq!(serde_json::to_string(&v.data).unwrap(), deepest);
}

/// The decompression limit is the configured one, and a payload exactly at it decodes.
#[test]
fn decompression_limits_are_exact() {
    let limits = Inflate::new(1000, 1000);
    let codec = Codec::builder(key(1))
        .compression(true)
        .inflate_limits(limits)
        .build();
    let at = format!("\"{}\"", "x".repeat(998));
    let over = format!("\"{}\"", "x".repeat(999));
    let v = codec
        .decode_at::<String>(&nz(&zlib(at.as_bytes())), now())
        .unwrap();
    assert_eq!(v.data.len(), 998);
    assert_eq!(
        codec.decode_at::<String>(&nz(&zlib(over.as_bytes())), now()),
        Err(Error::DecompressionLimit { max: 1000 })
    );
}

/// The `Cookie:` header a client sends to `url` from `jar`, as `name=value` pairs
/// joined with `"; "`.
fn request_header(jar: &cookie_store::CookieStore, url: &url::Url) -> String {
    jar.get_request_values(url)
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Stores a response's `Set-Cookie` (if any) in `jar`, as a client does.
fn store_response(jar: &mut cookie_store::CookieStore, url: &url::Url, update: Option<SetCookie>) {
    if let Some(update) = update {
        jar.parse(&update.header_value(), url).unwrap();
    }
}

/// Logs in `user` on a fresh session and returns the response.
fn login(sessions: &SessionConfig, user: &str) -> SetCookie {
    let mut session = sessions.load("");
    session.insert("user", user).unwrap();
    sessions.save(&session).unwrap().unwrap()
}

/// Cookie tossing (issue 12, defect 1), replayed with a real client cookie jar: the
/// victim has a host-only session cookie for `app.example.com`; the attacker, who
/// controls `evil.example.com`, plants their own valid session with
/// `Domain=example.com`, so the jar sends both. The victim must never be loaded as the
/// attacker, and the server must not send the removal cookie that used to delete the
/// victim's own cookie (it has no `Domain`) and let the planted one win.
///
/// The jar's clock is the real one, so this test uses `load`/`save`, not `*_at`.
#[test]
fn cookie_tossing_does_not_delete_the_victims_cookie() {
    use cookie_store::CookieStore;
    let app = url::Url::parse("https://app.example.com/account").unwrap();
    let sibling = url::Url::parse("https://evil.example.com/").unwrap();
    // A site that chose a name without the `__Host-` prefix.
    let sessions = SessionConfig::builder(cookie_config("session", "sessionlib.session")).build();
    let mut jar = CookieStore::default();
    store_response(&mut jar, &app, Some(login(&sessions, "victim")));
    let victims = jar
        .get("app.example.com", "/", "session")
        .unwrap()
        .value()
        .to_owned();
    let attackers = login(&sessions, "attacker").cookie().value().to_owned();
    jar.parse(
        &format!("session={attackers}; Domain=example.com; Path=/; Secure; HttpOnly"),
        &sibling,
    )
    .unwrap();
    assert_eq!(request_header(&jar, &app).matches("session=").count(), 2);

    // Several requests in a row, each storing what the server answers.
    for request in 0..3 {
        let header = request_header(&jar, &app);
        let session = sessions.load(&header);
        assert_ne!(
            session.get::<String>("user").as_deref(),
            Some("attacker"),
            "request {request}"
        );
        assert_eq!(
            session.source(),
            SessionSource::Ambiguous,
            "request {request}"
        );
        assert!(session.is_empty());
        let update = sessions.save(&session).unwrap();
        assert!(update.is_none(), "request {request}: a cookie was sent");
        store_response(&mut jar, &app, update);
    }
    // The victim's own cookie is still there, unchanged.
    assert_eq!(
        jar.get("app.example.com", "/", "session").unwrap().value(),
        victims
    );

    // The handler writes data (the victim logs in again): a normal new cookie, which
    // replaces the victim's host-only one; the planted one stays, so the next request
    // is ambiguous again, and still never the attacker.
    let mut session = sessions.load(request_header(&jar, &app));
    session.insert("user", "victim").unwrap();
    let update = sessions.save(&session).unwrap().unwrap();
    assert!(!update.is_removal());
    store_response(&mut jar, &app, Some(update));
    let session = sessions.load(request_header(&jar, &app));
    assert_eq!(session.source(), SessionSource::Ambiguous);
    assert!(sessions.save(&session).unwrap().is_none());

    // What the old answer did: the removal cookie deletes only the host-only cookie,
    // and the planted one logs the victim in as the attacker.
    let mut old_jar = jar.clone();
    old_jar
        .parse(&sessions.cookie().removal_cookie().to_string(), &app)
        .unwrap();
    let session = sessions.load(request_header(&old_jar, &app));
    assert_eq!(session.get::<String>("user").as_deref(), Some("attacker"));
}

/// Cookie tossing against the default name, `__Host-session`. Browsers refuse a
/// `__Host-` cookie with a `Domain` attribute, so the attack above cannot start.
/// `cookie_store` 0.22 does not enforce the cookie prefixes; whichever way the jar
/// goes, the server side holds: the victim is never the attacker and no removal cookie
/// is sent.
#[test]
fn cookie_tossing_is_refused_for_the_default_host_name() {
    use cookie_store::CookieStore;
    let app = url::Url::parse("https://app.example.com/").unwrap();
    let sibling = url::Url::parse("https://evil.example.com/").unwrap();
    let cookie = CookieConfig::builder(key(1))
        .clock(crate::common::clock)
        .try_build()
        .unwrap();
    assert_eq!(cookie.name(), "__Host-session");
    let sessions = SessionConfig::builder(cookie).build();
    let mut jar = CookieStore::default();
    store_response(&mut jar, &app, Some(login(&sessions, "victim")));
    let attackers = login(&sessions, "attacker").cookie().value().to_owned();
    let planted = jar
        .parse(
            &format!("__Host-session={attackers}; Domain=example.com; Path=/; Secure"),
            &sibling,
        )
        .is_ok();
    let header = request_header(&jar, &app);
    let session = sessions.load(&header);
    if planted && header.matches("__Host-session=").count() == 2 {
        // The jar broke the prefix rule a browser enforces.
        assert_eq!(session.source(), SessionSource::Ambiguous);
        assert!(sessions.save(&session).unwrap().is_none());
    } else {
        assert_eq!(session.get::<String>("user").as_deref(), Some("victim"));
    }
    assert_ne!(session.get::<String>("user").as_deref(), Some("attacker"));
}

/// Durations at and near the ends of `time::Duration`'s range, and ordinary ones.
fn any_duration() -> impl proptest::strategy::Strategy<Value = time::Duration> {
    use proptest::prelude::*;
    use time::Duration;
    prop_oneof![
        Just(Duration::MIN),
        Just(Duration::MAX),
        Just(Duration::ZERO),
        Just(Duration::seconds(i64::MAX)),
        Just(Duration::seconds(i64::MIN)),
        Just(Duration::seconds(-1)),
        Just(Duration::days(14)),
        (any::<i64>(), -999_999_999..=999_999_999i32).prop_map(|(s, n)| Duration::new(s, n)),
        (-10_000_000_000i64..10_000_000_000).prop_map(Duration::seconds),
    ]
}

/// Any time the time library can represent (years -9999 to 9999), its ends included.
fn any_time() -> impl proptest::strategy::Strategy<Value = OffsetDateTime> {
    use proptest::prelude::*;
    let first = time::PrimitiveDateTime::MIN.assume_utc();
    let last = time::PrimitiveDateTime::MAX.assume_utc();
    prop_oneof![
        Just(first),
        Just(last),
        Just(now()),
        (
            first.unix_timestamp()..=last.unix_timestamp(),
            0..1_000_000_000u32
        )
            .prop_map(|(s, n)| OffsetDateTime::from_unix_timestamp(s)
                .unwrap()
                .replace_nanosecond(n)
                .unwrap()),
        (0i64..4_000_000_000).prop_map(|s| OffsetDateTime::from_unix_timestamp(s).unwrap()),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    /// Panics on large durations (issue 12, defect 3): every builder takes any
    /// duration, and encoding, decoding, loading and saving at any time never panic
    /// (the Flask profile used to add `max_age + leeway` with a panicking `+`).
    #[test]
    fn extreme_durations_never_panic(
        a in any_duration(),
        b in any_duration(),
        c in any_duration(),
        d in any_duration(),
        made_at in any_time(),
        read_at in any_time(),
        junk in "[A-Za-z0-9_.=-]{0,80}",
    ) {
        let data = json!({"user": "cobra"});

        let codec = Codec::builder(key(1)).ttl(a).leeway(b).build();
        let mut tokens = vec![junk.clone(), njson(b"{}")];
        tokens.extend(codec.encode_at(&data, made_at).ok());
        tokens.extend(codec.encode_until(&data, read_at).ok());
        for token in &tokens {
            let _ = codec.decode_at::<Value>(token, read_at);
            let _ = codec.verify_at(token, read_at);
        }

        let cookie = CookieConfig::builder(key(1)).clock(crate::common::clock).name("s").leeway(b).try_build().unwrap();
        let mut headers = vec![format!("s={junk}")];
        if let Ok(made) = cookie.encode_at(&data, a, made_at) {
            headers.push(format!("s={}", made.value()));
        }
        for header in &headers {
            let _ = cookie.decode_header_at::<Value>(header, read_at);
        }

        let sessions = SessionConfig::builder(cookie)
            .idle_timeout(a)
            .absolute_lifetime(b)
            .refresh_interval(c)
            .build();
        let mut session = sessions.load_at("", made_at);
        session.insert("user", "cobra").unwrap();
        let _ = session.set_lifetime(d);
        if let Ok(Some(update)) = sessions.save_at(&session, made_at) {
            headers.push(format!("s={}", update.cookie().value()));
        }
        for header in &headers {
            for at in [made_at, read_at] {
                let loaded = sessions.load_at(header, at);
                let _ = sessions.save_at(&loaded, at);
            }
        }

        let flask = FlaskCodec::builder(flask_keyring(FLASK_SECRET, &[]).unwrap())
            .max_age(a)
            .leeway(b)
            .clock(crate::common::clock)
            .build();
        let mut session = FlaskSession::new();
        session.insert("user".into(), "cobra".into());
        let mut tokens = vec![junk, fjson(b"{}")];
        tokens.extend(flask.encode_at(&session, made_at).ok());
        for token in &tokens {
            for at in [made_at, read_at] {
                let _ = flask.decode_at(token, at);
                let _ = crate::common::with_now(at, || {
                    flask.decode_header(format!("session={token}"), "session")
                });
            }
        }
    }
}

/// What the extreme durations mean: past the end of the time range is no limit.
#[test]
fn extreme_durations_mean_no_limit() {
    use time::Duration;
    let last = time::PrimitiveDateTime::MAX
        .assume_utc()
        .replace_nanosecond(0)
        .unwrap();
    let data = json!({"user": "cobra"});
    // Native: the expiry is the last second of the range; any leeway accepts it after.
    let codec = Codec::builder(key(1)).ttl(Duration::MAX).build();
    let token = codec.encode_at(&data, now()).unwrap();
    assert_eq!(codec.verify_at(&token, now()).unwrap().expires_at, last);
    let old = Codec::builder(key(1)).ttl(Duration::SECOND).build();
    let token = old.encode_at(&data, now()).unwrap();
    let lenient = Codec::builder(key(1)).leeway(Duration::MAX).build();
    assert!(lenient.decode_at::<Value>(&token, last).is_ok());
    // Cookie: the same, with `Expires` at that second.
    let cookie = CookieConfig::builder(key(1))
        .clock(crate::common::clock)
        .try_build()
        .unwrap();
    let made = cookie.encode_at(&data, Duration::MAX, now()).unwrap();
    assert_eq!(made.expires_datetime(), Some(last));
    // SessionData: an idle timeout and an absolute lifetime past the range.
    let sessions = SessionConfig::builder(cookie)
        .idle_timeout(Duration::MAX)
        .absolute_lifetime(Duration::MAX)
        .build();
    let mut session = sessions.load_at("", now());
    session.insert("user", "cobra").unwrap();
    let update = sessions.save_at(&session, now()).unwrap().unwrap();
    assert_eq!(update.cookie().expires_datetime(), Some(last));
    let header = format!("__Host-session={}", update.cookie().value());
    let later = now() + Duration::days(365 * 1000);
    let loaded = sessions.load_at(&header, later);
    assert_eq!(loaded.source(), SessionSource::Cookie);
    assert_eq!(loaded.get::<String>("user").as_deref(), Some("cobra"));
    // Flask: `max_age + leeway` overflows: no limit on the age.
    for (max_age, leeway) in [
        (Duration::MAX, Duration::seconds(30)),
        (Duration::seconds(i64::MAX), Duration::MAX),
    ] {
        let flask = FlaskCodec::builder(flask_keyring(FLASK_SECRET, &[]).unwrap())
            .max_age(max_age)
            .leeway(leeway)
            .build();
        let cookie = fjson(b"{}");
        assert!(flask.decode_at(&cookie, later).is_ok());
        assert!(flask.decode_at(&cookie, last).is_ok());
    }
    // A negative maximum age accepts a cookie only within the leeway.
    let flask = FlaskCodec::builder(flask_keyring(FLASK_SECRET, &[]).unwrap())
        .max_age(Duration::MIN)
        .build();
    assert!(matches!(
        flask.decode_at(&fjson(b"{}"), now()),
        Err(Error::Expired { .. })
    ));
}

/// Security review, defect 6 (login CSRF, logout CSRF): the requests a hostile page
/// can make a browser send, against the same-origin guard the integrations use.
/// Every state-changing one is refused; the app's own forms and non-browser clients
/// pass. (`cross_site_posts_are_refused` in `tests/it/examples_http.rs` replays them against
/// the example apps over HTTP.)
#[test]
fn cross_site_state_changes_are_refused_by_the_origin_guard() {
    use sessionlib::OriginGuard;
    let guard = OriginGuard::new().trust("https://partner.example");
    let host = Some(&b"app.example"[..]);
    let refused: &[(&str, Option<&str>, Option<&str>)] = &[
        // A cross-site form post (login CSRF) and a sibling subdomain's.
        ("POST", Some("cross-site"), Some("https://evil.example")),
        ("POST", Some("same-site"), Some("https://evil.app.example")),
        // Fetch Metadata wins over an Origin that looks right.
        ("POST", Some("cross-site"), Some("https://app.example")),
        // Older browsers: the Origin decides.
        ("POST", None, Some("https://evil.example")),
        ("POST", None, Some("null")),
        ("POST", None, Some("https://app.example.evil.example")),
        ("POST", None, Some("https://app.example@evil.example")),
        ("POST", None, Some("https://APP.example")),
        ("POST", None, Some("https://app.example/")),
        ("POST", None, Some("app.example")),
        ("POST", None, Some("")),
        ("PUT", Some("cross-site"), None),
        ("DELETE", Some("cross-site"), None),
        ("PATCH", None, Some("https://evil.example")),
        // Methods are case-sensitive: only the exact safe ones pass unchecked.
        ("get", Some("cross-site"), None),
        ("post", Some("cross-site"), None),
        // Unknown Fetch Metadata values are refused.
        ("POST", Some("Same-Origin"), None),
        ("POST", Some(""), None),
        // A trusted origin's look-alikes.
        (
            "POST",
            Some("cross-site"),
            Some("https://partner.example.evil"),
        ),
        ("POST", Some("cross-site"), Some("http://partner.example")),
    ];
    for (method, site, origin) in refused {
        assert!(
            !guard.allows(
                method,
                site.map(str::as_bytes),
                origin.map(str::as_bytes),
                host
            ),
            "{method} {site:?} {origin:?}"
        );
    }
    let allowed: &[(&str, Option<&str>, Option<&str>)] = &[
        ("POST", Some("same-origin"), Some("https://app.example")),
        ("POST", Some("none"), None),
        ("POST", None, Some("https://app.example")),
        ("POST", None, None),
        ("POST", Some("cross-site"), Some("https://partner.example")),
        ("GET", Some("cross-site"), Some("https://evil.example")),
        ("HEAD", Some("cross-site"), None),
        ("OPTIONS", Some("cross-site"), None),
    ];
    for (method, site, origin) in allowed {
        assert!(
            guard.allows(
                method,
                site.map(str::as_bytes),
                origin.map(str::as_bytes),
                host
            ),
            "{method} {site:?} {origin:?}"
        );
    }
}

/// The sealed profile's hostile table. Tokens are crafted with the AEAD directly (from
/// the format in the `sealed` module docs), so that validly sealed headers and
/// plaintexts the codec would never write reach the checks after the tag.
#[cfg(feature = "sealed")]
mod sealed {
    use super::*;
    use chacha20poly1305::aead::{AeadInPlace, KeyInit};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};
    use sessionlib::cookies::binding_salt;

    const SALT: &[u8] = b"sessionlib.session";

    /// A sealed token over any header and plaintext, for key `byte` and `purpose`.
    fn craft(byte: u8, purpose: &[u8], version: u8, expiry: u64, plaintext: &[u8]) -> String {
        let mut info = (purpose.len() as u64).to_be_bytes().to_vec();
        info.extend_from_slice(purpose);
        let mut k = [0u8; 32];
        hkdf::Hkdf::<sha2::Sha256>::new(Some(b"sessionlib.sealed.v1"), &[byte; 32])
            .expand(&info, &mut k)
            .unwrap();
        let mut raw = vec![version];
        raw.extend_from_slice(&expiry.to_be_bytes());
        let nonce = [9u8; 24];
        raw.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        let tag = XChaCha20Poly1305::new(&k.into())
            .encrypt_in_place_detached(&XNonce::from(nonce), &raw[..9], &mut body)
            .unwrap();
        raw.extend_from_slice(&body);
        raw.extend_from_slice(&tag);
        b64(&raw)
    }

    fn later() -> u64 {
        NOW as u64 + 3600
    }

    /// Sealed with key 1 for the plain codec's purpose (the default salt).
    fn s(plaintext: &[u8]) -> String {
        craft(1, SALT, 1, later(), plaintext)
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum P {
        /// Sealed codec, key 1, default salt, into `Value`.
        Sealed,
        /// The same, into `Strict`.
        Strict,
        /// The same with a 1 MiB token limit.
        Big,
        /// A `Cookie:` header for a sealed cookie `session` (key 1, default salt).
        Header,
    }

    fn decode(p: P, token: &str) -> Result<bool, Error> {
        let codec = |max| {
            Codec::builder(key(1))
                .sealed(true)
                .max_token_len(max)
                .build()
        };
        match p {
            P::Sealed => codec(4096).decode_at::<Value>(token, now()).map(|_| true),
            P::Strict => codec(4096).decode_at::<Strict>(token, now()).map(|_| true),
            P::Big => codec(1 << 20)
                .decode_at::<Value>(token, now())
                .map(|_| true),
            P::Header => CookieConfig::builder(key(1))
                .clock(crate::common::clock)
                .name("session")
                .sealed(true)
                .try_build()
                .unwrap()
                .decode_header_at::<Value>(token, now())
                .map(|v| v.is_some()),
        }
    }

    fn cases() -> Vec<(&'static str, P, String, Kind)> {
        use Kind::*;
        use P::*;
        let good = s(br#"{"user_id":1,"name":"a"}"#);
        let raw = unb64(&good);
        let flip = |i: usize| {
            let mut r = raw.clone();
            r[i] ^= 0x20;
            b64(&r)
        };
        let cookie_purpose = binding_salt(SALT, "session").unwrap();
        let cookie = |data: &[u8]| craft(1, &cookie_purpose, 1, later(), data);
        let signed = Codec::new(key(1))
            .encode_at(&json!({"user_id": 1, "name": "a"}), now())
            .unwrap();
        vec![
            // ------------------------------------------------ size and shape
            ("sealed: empty", Sealed, String::new(), Malformed),
            ("sealed: over the limit", Sealed, "A".repeat(4097), TooLarge),
            ("sealed: padding", Sealed, format!("{good}="), Malformed),
            (
                "sealed: leading space",
                Sealed,
                format!(" {good}"),
                Malformed,
            ),
            (
                "sealed: dot inside",
                Sealed,
                good.replacen(&good[5..6], ".", 1),
                Malformed,
            ),
            (
                "sealed: standard alphabet",
                Sealed,
                format!("+{}", &good[1..]),
                Malformed,
            ),
            (
                "sealed: impossible length",
                Sealed,
                good[..good.len() - (good.len() - 1) % 4].to_owned(),
                Malformed,
            ),
            (
                "sealed: header, nonce and tag only",
                Sealed,
                b64(&raw[..49]),
                Malformed,
            ),
            (
                "sealed: version 0, validly sealed",
                Sealed,
                craft(1, SALT, 0, later(), b"{}"),
                Malformed,
            ),
            (
                "sealed: version 2, validly sealed",
                Sealed,
                craft(1, SALT, 2, later(), b"{}"),
                Malformed,
            ),
            ("sealed: a signed token", Sealed, signed, Malformed),
            ("sealed: a Flask cookie", Sealed, flask_base(), Malformed),
            // ------------------------------------------------ authentication
            (
                "sealed: flipped expiry byte",
                Sealed,
                flip(8),
                InvalidSignature,
            ),
            (
                "sealed: flipped nonce byte",
                Sealed,
                flip(20),
                InvalidSignature,
            ),
            (
                "sealed: flipped ciphertext byte",
                Sealed,
                flip(40),
                InvalidSignature,
            ),
            (
                "sealed: flipped tag byte",
                Sealed,
                flip(raw.len() - 1),
                InvalidSignature,
            ),
            (
                "sealed: one byte cut",
                Sealed,
                b64(&raw[..raw.len() - 1]),
                InvalidSignature,
            ),
            (
                "sealed: one byte added",
                Sealed,
                b64(&[raw.as_slice(), &[0]].concat()),
                InvalidSignature,
            ),
            (
                "sealed: key 2",
                Sealed,
                craft(2, SALT, 1, later(), b"{}"),
                InvalidSignature,
            ),
            (
                "sealed: salt password-reset",
                Sealed,
                craft(1, b"password-reset", 1, later(), b"{}"),
                InvalidSignature,
            ),
            (
                "sealed: unprefixed purpose bytes as the key",
                Sealed,
                craft(1, b"", 1, later(), b"{}"),
                InvalidSignature,
            ),
            (
                "sealed: expired with a wrong key",
                Sealed,
                craft(2, SALT, 1, 5, b"{}"),
                InvalidSignature,
            ),
            // ------------------------------------------------ after the tag
            (
                "sealed: expired",
                Sealed,
                craft(1, SALT, 1, NOW as u64, b"{}"),
                Expired,
            ),
            (
                "sealed: expiry 0",
                Sealed,
                craft(1, SALT, 1, 0, b"{}"),
                Expired,
            ),
            (
                "sealed: expiry 2^63",
                Sealed,
                craft(1, SALT, 1, 1 << 63, b"{}"),
                Malformed,
            ),
            (
                "sealed: expiry u64::MAX",
                Sealed,
                craft(1, SALT, 1, u64::MAX, b"{}"),
                Malformed,
            ),
            (
                "sealed: expiry past year 9999",
                Sealed,
                craft(1, SALT, 1, 253_402_300_800, b"{}"),
                Malformed,
            ),
            ("sealed: not JSON", Sealed, s(b"not json"), Syntax),
            ("sealed: not UTF-8", Sealed, s(b"\"\xff\xfe\""), Syntax),
            (
                "sealed: lone surrogate",
                Strict,
                s(br#"{"user_id":1,"name":"\ud800"}"#),
                Syntax,
            ),
            ("sealed: trailing data", Sealed, s(b"{} {}"), Syntax),
            (
                "sealed: depth 128",
                Sealed,
                s(deep("[", "]", 128).as_bytes()),
                Syntax,
            ),
            (
                "sealed: depth 100000",
                Big,
                s(deep("[", "]", 100_000).as_bytes()),
                Syntax,
            ),
            (
                "sealed: number beyond f64",
                Sealed,
                s(br#"{"n":1e400}"#),
                Syntax,
            ),
            ("sealed: NaN", Sealed, s(b"NaN"), Syntax),
            (
                "sealed: a JSON string, not the struct",
                Strict,
                s(br#""x""#),
                Data,
            ),
            (
                "sealed: unknown field",
                Strict,
                s(br#"{"user_id":1,"name":"a","admin":true}"#),
                Data,
            ),
            (
                "sealed: negative id",
                Strict,
                s(br#"{"user_id":-1,"name":"a"}"#),
                Data,
            ),
            // ------------------------------------------------ cookie layer
            (
                "sealed header: the codec's token",
                Header,
                format!("session={good}"),
                InvalidSignature,
            ),
            (
                "sealed header: another cookie name",
                Header,
                format!(
                    "session={}",
                    craft(1, &binding_salt(SALT, "admin").unwrap(), 1, later(), b"{}")
                ),
                InvalidSignature,
            ),
            (
                "sealed header: salt and name shifted",
                Header,
                format!(
                    "session={}",
                    craft(
                        1,
                        &binding_salt(b"sessionlib.sessions", "ession").unwrap(),
                        1,
                        later(),
                        b"{}"
                    )
                ),
                InvalidSignature,
            ),
            (
                "sealed header: two different valid cookies",
                Header,
                format!("session={}; session={}", cookie(b"1"), cookie(b"2")),
                AmbiguousCookie,
            ),
            (
                "sealed header: not JSON",
                Header,
                format!("session={}", cookie(b"\x00")),
                Syntax,
            ),
            (
                "sealed header: no session cookie",
                Header,
                format!("sessionx={}", cookie(b"1")),
                NoCookie,
            ),
        ]
    }

    #[test]
    fn hostile_sealed_inputs_fail_with_the_exact_error_kind() {
        let cases = cases();
        assert!(cases.len() >= 40, "{} cases", cases.len());
        let mut failures = Vec::new();
        for (name, p, token, expected) in &cases {
            match decode(*p, token) {
                Ok(true) => failures.push(format!("{name}: accepted")),
                Ok(false) if *expected != Kind::NoCookie => {
                    failures.push(format!("{name}: no cookie found, expected {expected:?}"));
                }
                Ok(false) => {}
                Err(err) => {
                    if kind(&err) != *expected {
                        failures.push(format!("{name}: {err:?}, expected {expected:?}"));
                    }
                    let message = format!("{err} {err:?}");
                    assert!(
                        token.len() < 16 || !message.contains(&token[..16]),
                        "{name}"
                    );
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// The crafting helper agrees with the codec: what it seals for a valid header
    /// opens, with the data, expiry and key.
    #[test]
    fn crafted_tokens_open_when_they_are_valid() {
        let codec = Codec::builder(Keyring::new(key(2)).with_fallback(key(1)))
            .sealed(true)
            .build();
        let v = codec
            .decode_at::<Value>(&s(br#"{"user_id":1,"name":"a"}"#), now())
            .unwrap();
        assert_eq!(v.data, json!({"user_id": 1, "name": "a"}));
        assert_eq!(v.expires_at.unix_timestamp(), later() as i64);
        assert_eq!(v.key_used, sessionlib::KeyUsed::Fallback(0));
        // Duplicate keys keep the last one, as for signed tokens.
        let v = codec
            .decode_at::<Value>(&s(br#"{"a":1,"a":2}"#), now())
            .unwrap();
        assert_eq!(v.data, json!({"a": 2}));
    }
}

/// Second security review, item 1: `log_in` as another user on a session that
/// belongs to a first user kept every key of the first (a `role: "admin"` included).
#[test]
fn second_review_1_logging_in_as_another_user_inherits_nothing() {
    let sessions = SessionConfig::builder(cookie_config("session", "sessionlib.session")).build();
    let mut alice = sessions.load("");
    alice.log_in("alice");
    alice.insert("role", "admin").unwrap();
    alice.insert("visits", &7).unwrap();
    alice.flash("info", "alice's message");
    let update = sessions.save(&alice).unwrap().unwrap();
    let header = format!("{}={}", update.cookie().name(), update.cookie().value());
    let mut session = sessions.load(&header);
    let alices_id = session.id().unwrap().to_owned();
    session.log_in("bob");
    let update = sessions.save(&session).unwrap().unwrap();
    let bob = sessions.load(format!(
        "{}={}",
        update.cookie().name(),
        update.cookie().value()
    ));
    assert_eq!(bob.user_id(), Some("bob"));
    assert_eq!(bob.get::<String>("role"), None);
    assert_eq!(bob.get::<u32>("visits"), None);
    assert!(bob.peek_flashes().is_empty());
    assert_ne!(bob.id(), Some(alices_id.as_str()));
}

/// Cookies a sibling host plants for the parent domain: `count` cookies of `size`
/// bytes each, with `Domain=example.com`.
fn plant_large_cookies(jar: &mut cookie_store::CookieStore, count: usize, size: usize) {
    let sibling = url::Url::parse("https://evil.example.com/").unwrap();
    for i in 0..count {
        let value = "b".repeat(size);
        jar.parse(
            &format!("bomb{i}={value}; Domain=example.com; Path=/; Secure"),
            &sibling,
        )
        .unwrap();
    }
}

/// Second security review, item 2: a sibling subdomain sets five 3.5 KB cookies for
/// the parent domain; the victim's `Cookie:` header (about 17.7 KB) passes the 16 KiB
/// read limit, and the answer used to delete the victim's `__Host-session` cookie, so
/// the victim stayed logged out after the planted cookies were gone. Now: no session
/// for those requests, no cookie sent (not even when the handler writes), and the
/// victim is back once the planted cookies expire. Replayed with a real cookie jar.
#[test]
fn second_review_2_cookie_bombing_never_deletes_the_session_cookie() {
    use cookie_store::CookieStore;
    let app = url::Url::parse("https://app.example.com/").unwrap();
    let cookie = CookieConfig::builder(key(1))
        .clock(crate::common::clock)
        .try_build()
        .unwrap();
    assert_eq!(cookie.name(), "__Host-session");
    let sessions = SessionConfig::builder(cookie).build();
    let mut jar = CookieStore::default();
    let mut victim = sessions.load("");
    victim.log_in("victim");
    store_response(&mut jar, &app, sessions.save(&victim).unwrap());
    plant_large_cookies(&mut jar, 5, 3_500);
    let header = request_header(&jar, &app);
    assert!(header.len() > sessionlib::cookies::MAX_COOKIE_HEADER_LEN);
    for writes in [false, true] {
        let mut session = sessions.load(&header);
        assert_eq!(session.source(), SessionSource::Unreadable);
        assert!(session.user_id().is_none());
        if writes {
            session.insert("visits", &1).unwrap();
        }
        let update = sessions.save(&session).unwrap();
        assert!(update.is_none(), "a cookie was sent (writes: {writes})");
        store_response(&mut jar, &app, update);
    }
    // The planted cookies expire: the victim is logged in again.
    for i in 0..5 {
        jar.remove("example.com", "/", &format!("bomb{i}"));
    }
    let session = sessions.load(request_header(&jar, &app));
    assert_eq!(session.source(), SessionSource::Cookie);
    assert_eq!(session.user_id(), Some("victim"));
}

/// Second security review, item 5: during a revocation outage a handler that stored
/// anything (a visit counter) had a new anonymous cookie written over the user's valid
/// one, so the user was still logged out after the store came back.
#[tokio::test]
async fn second_review_5_a_revocation_outage_never_overwrites_the_cookie() {
    let store = std::sync::Arc::new(crate::common::FlakyStore::new());
    let sessions = SessionConfig::builder(cookie_config("session", "sessionlib.session"))
        .revocation(store.clone())
        .build();
    let mut session = sessions.load_async("").await;
    session.log_in("cobra");
    let update = sessions.save(&session).unwrap().unwrap();
    let header = format!("{}={}", update.cookie().name(), update.cookie().value());
    store.set_down(true);
    let mut session = sessions.load_async(&header).await;
    assert_eq!(session.source(), SessionSource::RevocationUnavailable);
    session.insert("visits", &1).unwrap();
    session.flash("info", "counted");
    assert!(sessions.save(&session).unwrap().is_none());
    // Even logging in during the outage writes nothing over the cookie.
    session.log_in("someone-else");
    assert!(sessions.save(&session).unwrap().is_none());
    store.set_down(false);
    let session = sessions.load_async(&header).await;
    assert_eq!(session.source(), SessionSource::Cookie);
    assert_eq!(session.user_id(), Some("cobra"));
}

/// The Iron profile (feature `iron`): crafted tokens, many sealed and MAC'd by hand
/// with the password (PBKDF2-SHA1, AES-256-CBC, HMAC-SHA256, as the packages do), so
/// that the checks after the MAC (expiration, padding, UTF-8, JSON) are reached. Each
/// gets its exact error kind; none panics.
#[cfg(feature = "iron")]
mod iron_hostile {
    use aes::cipher::{BlockModeEncrypt, KeyIvInit};
    use hmac::{Hmac, KeyInit, Mac};
    use serde_json::Value;
    use sessionlib::iron::{IronCodec, Password, Suffix};
    use sessionlib::Error;

    use crate::common::forge::b64;

    const PW: &str = "a hostile test password of 32+ characters";
    const SALT_A: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    const SALT_B: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    const T0_MS: i64 = 1_700_000_000_000;

    fn key(salt: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2::<Hmac<sha1::Sha1>>(PW.as_bytes(), salt.as_bytes(), 1, &mut out).unwrap();
        out
    }

    /// A bare token of these raw blocks (`blocks.len()` a multiple of 16, encrypted as
    /// is, no padding added) with the given expiration text and IV text, MAC'd.
    fn sealed_raw(blocks: &[u8], expiration: &str, iv_text: Option<&str>) -> String {
        let iv = [7u8; 16];
        let mut buf = blocks.to_vec();
        let mut enc = cbc::Encryptor::<aes::Aes256>::new(&key(SALT_A).into(), &iv.into());
        for block in buf.chunks_mut(16) {
            let block: &mut [u8; 16] = block.try_into().unwrap();
            enc.encrypt_block((&mut *block).into());
        }
        let iv_text = iv_text.map_or_else(|| b64(&iv), str::to_owned);
        let base = format!("Fe26.2**{SALT_A}*{iv_text}*{}*{expiration}", b64(&buf));
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key(SALT_B)).unwrap();
        mac.update(base.as_bytes());
        format!("{base}*{SALT_B}*{}", b64(&mac.finalize().into_bytes()))
    }

    /// `plaintext` with PKCS#7 padding, sealed by [`sealed_raw`].
    fn sealed(plaintext: &[u8], expiration: &str) -> String {
        let pad = 16 - plaintext.len() % 16;
        let mut blocks = plaintext.to_vec();
        blocks.extend(std::iter::repeat_n(u8::try_from(pad).unwrap(), pad));
        sealed_raw(&blocks, expiration, None)
    }

    fn codec() -> IronCodec {
        IronCodec::builder(Password::new(PW).unwrap())
            .suffix(Suffix::None)
            .build()
    }

    fn kind(token: &str) -> &'static str {
        let now = time::OffsetDateTime::from_unix_timestamp(T0_MS / 1000).unwrap();
        match codec().decode_at::<Value>(token, now) {
            Ok(_) => "Ok",
            Err(Error::Malformed) => "Malformed",
            Err(Error::InvalidSignature) => "InvalidSignature",
            Err(Error::Expired { .. }) => "Expired",
            Err(Error::Deserialize(_)) => "Deserialize",
            Err(Error::TooLarge { .. }) => "TooLarge",
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn iron_hostile_inputs_fail_with_the_exact_error_kind() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let ok = sealed(br#"{"a":1}"#, "");
        assert_eq!(kind(&ok), "Ok", "the crafting itself is right");
        let cases: Vec<(&str, String, &str)> = vec![
            // After the MAC: a password holder's mistakes.
            (
                "padding byte 0",
                sealed_raw(&[0u8; 16], "", None),
                "Malformed",
            ),
            (
                "padding byte 17",
                sealed_raw(&[17u8; 16], "", None),
                "Malformed",
            ),
            (
                "padding bytes differ",
                sealed_raw(&[b'1', 3, 2, 3].repeat(4), "", None),
                "Malformed",
            ),
            ("only padding", sealed(b"", ""), "Deserialize"),
            ("not UTF-8", sealed(b"\"\xff\"", ""), "Deserialize"),
            ("lone surrogate", sealed(br#""\ud800""#, ""), "Deserialize"),
            (
                "nested 200 deep",
                sealed(deep.as_bytes(), ""),
                "Deserialize",
            ),
            (
                "trailing garbage",
                sealed(br#"{"a":1} x"#, ""),
                "Deserialize",
            ),
            ("NaN", sealed(b"NaN", ""), "Deserialize"),
            ("expired at 0", sealed(b"1", "0"), "Expired"),
            (
                "expired 60 s ago",
                sealed(b"1", &(T0_MS - 60_000).to_string()),
                "Expired",
            ),
            (
                "still within the skew",
                sealed(b"1", &(T0_MS - 59_999).to_string()),
                "Ok",
            ),
            (
                "u64::MAX ms",
                sealed(b"1", &u64::MAX.to_string()),
                "Malformed",
            ),
            (
                "past year 9999",
                sealed(b"1", "253402300800000"),
                "Malformed",
            ),
            ("last ms of 9999", sealed(b"1", "253402300799999"), "Ok"),
            (
                "21 digits",
                sealed(b"1", "100000000000000000000"),
                "Malformed",
            ),
            (
                "IV of 15 bytes, MAC'd",
                sealed_raw(
                    b"1\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f",
                    "",
                    Some(&b64(&[7u8; 15])),
                ),
                "Malformed",
            ),
            // Before the MAC: shapes.
            (
                "ciphertext not whole blocks",
                ok.replacen(&ok.split('*').nth(4).unwrap().to_string(), "AAAA", 1),
                "Malformed",
            ),
            (
                "empty ciphertext",
                {
                    let f: Vec<&str> = ok.split('*').collect();
                    format!(
                        "{}*{}*{}*{}**{}*{}*{}",
                        f[0], f[1], f[2], f[3], f[5], f[6], f[7]
                    )
                },
                "Malformed",
            ),
            (
                "password id with a dash",
                ok.replacen("Fe26.2**", "Fe26.2*a-b*", 1),
                "Malformed",
            ),
            (
                "password id 65 characters",
                ok.replacen("Fe26.2**", &format!("Fe26.2*{}*", "a".repeat(65)), 1),
                "Malformed",
            ),
            (
                "unknown password id",
                ok.replacen("Fe26.2**", "Fe26.2*zz*", 1),
                "InvalidSignature",
            ),
            ("a space", format!(" {ok}"), "Malformed"),
            ("a newline", format!("{ok}\n"), "Malformed"),
            ("suffix on a bare codec", format!("{ok}~2"), "Malformed"),
            ("Fe26.1", ok.replacen("Fe26.2", "Fe26.1", 1), "Malformed"),
            ("only stars", "*".repeat(7), "Malformed"),
            ("4097 bytes", "A".repeat(4097), "TooLarge"),
            (
                "non-ASCII in a salt",
                ok.replacen(SALT_A, &format!("é{}", &SALT_A[2..]), 1),
                "Malformed",
            ),
        ];
        for (name, token, want) in cases {
            assert_eq!(kind(&token), want, "{name}");
        }
    }
}

/// Session payloads with duplicate keys and values at the edge of what loading reads,
/// each with the source the session gets (issue 22: the session keeps its values as raw
/// JSON text and must stay exactly as strict as the eager `Map` reading it replaced).
/// A key that appears twice keeps its last value, a reserved one too, and only the last
/// one is checked; whatever a parse into `serde_json::Value` refuses, loading refuses.
#[test]
fn session_payloads_with_duplicate_keys_and_edge_values() {
    let sessions = SessionConfig::builder(cookie_config("session", "sessionlib.session")).build();
    let t = NOW;
    // Signed by hand: the encoder refuses what the decoder would refuse (128 levels).
    let salt = sessionlib::cookies::binding_salt(b"sessionlib.session", "session").unwrap();
    let signer = Signer::<sessionlib::signer::Sha256>::new(&Keyring::new(key(1)), &salt);
    let load = |payload: &str| {
        let text = format!("{}.{}", b64(payload.as_bytes()), later());
        let signature = b64(signer.sign(text.as_bytes()).as_bytes());
        let header = format!("session={text}.{signature}");
        crate::common::with_now(now(), || sessions.load(header))
    };
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    // (name, payload, the source it gets, a key and the value it must hold)
    type Case<'a> = (&'a str, String, SessionSource, Option<(&'a str, Value)>);
    let cases: Vec<Case> = vec![
        (
            "duplicate user key: the last value",
            format!(r#"{{"_created":{t},"a":1,"a":2}}"#),
            SessionSource::Cookie,
            Some(("a", json!(2))),
        ),
        (
            "duplicate user key, out of order: the last value",
            format!(r#"{{"_created":{t},"a":{{"x":1}},"b":0,"a":[2]}}"#),
            SessionSource::Cookie,
            Some(("a", json!([2]))),
        ),
        (
            "duplicate key inside a value: the last value",
            format!(r#"{{"_created":{t},"a":{{"k":1,"k":2}}}}"#),
            SessionSource::Cookie,
            Some(("a", json!({"k": 2}))),
        ),
        (
            "duplicate _created, the last valid",
            format!(r#"{{"_created":"x","_created":{t},"n":1}}"#),
            SessionSource::Cookie,
            Some(("n", json!(1))),
        ),
        (
            "duplicate _created, the last invalid",
            format!(r#"{{"_created":{t},"n":1,"_created":"x"}}"#),
            SessionSource::Invalid,
            None,
        ),
        (
            "duplicate _sid, the last invalid",
            format!(r#"{{"_created":{t},"_sid":"ok","_sid":"a b","n":1}}"#),
            SessionSource::Invalid,
            None,
        ),
        (
            "duplicate _user, the last valid",
            format!(r#"{{"_created":{t},"_user":1,"_login":5,"_user":"cobra"}}"#),
            SessionSource::Cookie,
            None,
        ),
        (
            "duplicate _flashes, the last invalid",
            format!(r#"{{"_created":{t},"_flashes":[["a","b"]],"_flashes":[["a"]]}}"#),
            SessionSource::Invalid,
            None,
        ),
        (
            "a number beyond f64",
            format!(r#"{{"_created":{t},"a":[1e400]}}"#),
            SessionSource::Invalid,
            None,
        ),
        (
            "a lone surrogate in a nested key",
            format!(r#"{{"_created":{t},"a":{{"\ud800":1}}}}"#),
            SessionSource::Invalid,
            None,
        ),
        (
            "127 levels with the object",
            format!(r#"{{"_created":{t},"a":{}}}"#, deep(126)),
            SessionSource::Cookie,
            None,
        ),
        (
            "128 levels with the object",
            format!(r#"{{"_created":{t},"a":{}}}"#, deep(127)),
            SessionSource::Invalid,
            None,
        ),
        (
            "not an object",
            format!(r#"[{{"_created":{t}}}]"#),
            SessionSource::Invalid,
            None,
        ),
    ];
    for (name, payload, source, value) in cases {
        // The eager reading agrees on each case.
        let eager = serde_json::from_str::<serde_json::Map<String, Value>>(&payload);
        if source == SessionSource::Cookie {
            assert!(eager.is_ok(), "{name}");
        }
        let session = load(&payload);
        assert_eq!(session.source(), source, "{name}");
        if let Some((key, expected)) = value {
            assert_eq!(session.get::<Value>(key), Some(expected.clone()), "{name}");
            assert_eq!(eager.unwrap()[key], expected, "{name}");
        }
    }
    let session = load(&format!(
        r#"{{"_created":{t},"_user":1,"_login":5,"_user":"cobra"}}"#
    ));
    assert_eq!(session.user_id(), Some("cobra"));
}
