//! The properties the fuzz targets check, as plain functions.
//!
//! Each fuzz target in `fuzz/fuzz_targets/` is one line that calls the function of
//! the same name here, and `tests/fuzz_corpus.rs` in the main crate includes this file
//! and replays every committed corpus file through the same functions, so a plain
//! `cargo test` catches a regression without nightly or cargo-fuzz.
//!
//! A property holds when the function returns; a violation panics with a message that
//! says which property broke. The file depends only on sessionlib, serde, serde_json,
//! time, arbitrary and std. Everything compressed needs sessionlib's `zlib` feature,
//! everything Flask its `flask` feature and the Django property (in `django.rs`) its
//! `django` feature; without them those parts compile out.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use serde::Deserialize;
use serde_json::Value;
use sessionlib::signer::Signer;
use sessionlib::{encoding, Codec, Error, Key, Keyring};
use time::{Duration, OffsetDateTime};

/// The fixed "current time" of every property: 2023-11-14T22:13:20Z.
pub const NOW: i64 = 1_700_000_000;

/// The native test key of `tests/vectors/native.json` (bytes 0 to 31).
pub const NATIVE_SECRET: [u8; 32] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
    26, 27, 28, 29, 30, 31,
];

/// The default salt, under which the native vectors verify.
pub const NATIVE_SALT: &str = "sessionlib.session";

/// The salt of the compressed codec in `decode_never_panics` and `tamper`.
pub const ZLIB_SALT: &str = "sessionlib.fuzz.zlib";

/// The salts of `forged_never_verifies`: tokens made elsewhere (for example by
/// itsdangerous, whose JSON is spelled differently) never verify under them, so every
/// token that does was made by this codec.
pub const FORGED_PLAIN_SALT: &str = "sessionlib.fuzz.forged";
/// See [`FORGED_PLAIN_SALT`].
pub const FORGED_ZLIB_SALT: &str = "sessionlib.fuzz.forged.zlib";

/// The Flask test key of `tests/vectors/flask.json`.
pub const FLASK_SECRET: &[u8] = b"flask dev secret";

/// The largest input a property looks at; libFuzzer is run with `-max_len` of about
/// this, and longer inputs are cut so that time per input stays bounded.
pub const MAX_INPUT: usize = 8192;

/// The current time of every property.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(NOW).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The expiry written into the tokens this module signs itself: an hour after [`NOW`].
pub fn expiry() -> OffsetDateTime {
    now() + Duration::hours(1)
}

struct Fixtures {
    /// Native codec with the vector key and the default salt (no compression).
    plain: Codec,
    /// Signer matching `plain`.
    plain_signer: Signer,
    #[cfg(feature = "zlib")]
    zlib: Codec,
    #[cfg(feature = "zlib")]
    zlib_signer: Signer,
    forged_plain: Codec,
    #[cfg(feature = "zlib")]
    forged_zlib: Codec,
    /// Valid tokens that `tamper` edits, each with the codec that made it.
    tamper: Vec<(String, Codec)>,
    #[cfg(feature = "flask")]
    flask: sessionlib::flask::FlaskCodec,
    #[cfg(feature = "flask")]
    flask_signer: Signer<sessionlib::signer::Sha1>,
}

fn native_ring() -> Keyring {
    match Key::from_bytes(&NATIVE_SECRET) {
        Ok(key) => Keyring::new(key),
        Err(e) => panic!("fixture key refused: {e}"),
    }
}

fn native_codec(salt: &str, compressed: bool) -> Codec {
    let builder = Codec::builder(native_ring()).salt(salt);
    #[cfg(feature = "zlib")]
    let builder = builder.compression(compressed);
    #[cfg(not(feature = "zlib"))]
    let _ = compressed;
    builder.build()
}

fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let plain = native_codec(NATIVE_SALT, false);
        let mut tamper = Vec::new();
        for (data, compressed) in tamper_sessions() {
            let codec = native_codec(if compressed { ZLIB_SALT } else { NATIVE_SALT }, compressed);
            match codec.encode_until(&data, expiry()) {
                Ok(token) => tamper.push((token, codec)),
                Err(e) => panic!("fixture token refused: {e}"),
            }
        }
        #[cfg(feature = "flask")]
        let flask_ring = match sessionlib::flask::flask_keyring(FLASK_SECRET, &[]) {
            Ok(ring) => ring,
            Err(e) => panic!("fixture Flask key refused: {e}"),
        };
        Fixtures {
            plain_signer: Signer::new(&native_ring(), NATIVE_SALT.as_bytes()),
            plain,
            #[cfg(feature = "zlib")]
            zlib: native_codec(ZLIB_SALT, true),
            #[cfg(feature = "zlib")]
            zlib_signer: Signer::new(&native_ring(), ZLIB_SALT.as_bytes()),
            forged_plain: native_codec(FORGED_PLAIN_SALT, false),
            #[cfg(feature = "zlib")]
            forged_zlib: native_codec(FORGED_ZLIB_SALT, true),
            tamper,
            #[cfg(feature = "flask")]
            flask_signer: Signer::new(&flask_ring, sessionlib::flask::DEFAULT_SALT.as_bytes()),
            #[cfg(feature = "flask")]
            flask: sessionlib::flask::FlaskCodec::new(flask_ring),
        }
    })
}

/// The sessions whose tokens `tamper` edits: (data, compressed).
fn tamper_sessions() -> Vec<(Value, bool)> {
    let small = serde_json::json!({"user_id": 12345, "username": "cobra", "roles": ["admin"]});
    let long = serde_json::json!({"cart": vec!["widget"; 40], "user_id": 7});
    vec![
        (small.clone(), false),
        (long.clone(), false),
        (long, cfg!(feature = "zlib")),
    ]
}

/// A small typed session, so that typed decoding (with its error paths) is exercised as
/// well as decoding into a dynamic value.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Small {
    user_id: u64,
    username: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    prefs: BTreeMap<String, f64>,
    #[serde(default)]
    plan: Option<Plan>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
enum Plan {
    Free,
    Paid(u8),
    Trial { days: i32 },
}

/// The input as a token: cut to [`MAX_INPUT`] bytes, invalid UTF-8 replaced.
pub(crate) fn as_token(data: &[u8]) -> String {
    String::from_utf8_lossy(data.get(..MAX_INPUT).unwrap_or(data)).into_owned()
}

/// `text` with a valid signature of `signer` appended.
fn sign(signer: &Signer<impl sessionlib::signer::Algorithm>, text: &str) -> String {
    let sig = encoding::encode(signer.sign(text.as_bytes()).as_bytes());
    format!("{text}.{sig}")
}

fn timestamp_text(value: OffsetDateTime) -> String {
    let seconds = u64::try_from(value.unix_timestamp()).unwrap_or(1);
    let mut out = String::new();
    encoding::encode_timestamp_into(seconds, &mut out);
    out
}

/// Decodes `token` with `codec` into a value and into a typed struct. Neither may panic,
/// both must agree on whether the token is accepted up to the payload, and no error may
/// show `secret_part` (a piece of the token that carries no error text, such as the
/// signature).
fn decode_both_ways(codec: &Codec, token: &str, secret_part: Option<&str>) {
    let value = codec.decode_at::<Value>(token, now());
    let typed = codec.decode_at::<Small>(token, now());
    for err in [value.as_ref().err(), typed.as_ref().err()]
        .into_iter()
        .flatten()
    {
        if let Some(part) = secret_part.filter(|p| p.len() >= 16) {
            let shown = format!("{err} {err:?}");
            assert!(
                !shown.contains(part),
                "an error shows part of the token: {shown}"
            );
        }
    }
    match (&value, &typed) {
        // The same framing checks run before the payload is parsed.
        (Err(a), Err(b)) if !matches!(a, Error::Deserialize(_)) => assert_eq!(a, b),
        (Err(a), _) => assert!(
            matches!(a, Error::Deserialize(_)),
            "typed decoding accepted what dynamic decoding refused: {a:?}"
        ),
        (Ok(v), Err(b)) => assert!(
            matches!(b, Error::Deserialize(_)),
            "dynamic decoding accepted what the framing refused for typed decoding: {b:?} \
             (value decoded at {})",
            v.expires_at
        ),
        (Ok(_), Ok(_)) => {}
    }
    // The unverified reader never panics, and agrees with every token that verifies.
    let seen = sessionlib::inspect_unverified(token);
    if let Ok(v) = &value {
        let seen = seen.unwrap_or_else(|e| panic!("a verified token is not inspectable: {e:?}"));
        assert_eq!(
            seen.shape_problem(),
            None,
            "a verified token has a bad shape"
        );
        assert_eq!(
            seen.payload_json().as_ref(),
            Some(&v.data),
            "inspected payload differs"
        );
        assert_eq!(
            seen.timestamp_time(),
            Some(v.expires_at),
            "inspected expiry differs"
        );
    }
}

/// `decode_never_panics`: any bytes, as a token and as the parts of a validly signed
/// token, decode to an error or a value, never a panic. Four views of each input:
///
/// 1. the bytes as a token, for the plain and the compressing codec;
/// 2. the bytes as `payload.timestamp` text with a valid signature appended, so the
///    timestamp and payload checks after the MAC are reached;
/// 3. the bytes as the raw payload (JSON), base64-encoded and validly signed;
/// 4. the bytes as a raw zlib stream in a compressed, validly signed token.
pub fn decode_never_panics(data: &[u8]) {
    let f = fixtures();
    let data = data.get(..MAX_INPUT).unwrap_or(data);
    let token = as_token(data);
    decode_both_ways(&f.plain, &token, None);
    #[cfg(feature = "zlib")]
    decode_both_ways(&f.zlib, &token, None);

    let signed = sign(&f.plain_signer, &token);
    let sig = signed.rsplit('.').next();
    decode_both_ways(&f.plain, &signed, sig);
    #[cfg(feature = "zlib")]
    {
        let signed = sign(&f.zlib_signer, &token);
        decode_both_ways(&f.zlib, &signed, signed.rsplit('.').next());
    }

    let body = encoding::encode(data);
    let ts = timestamp_text(expiry());
    let signed = sign(&f.plain_signer, &format!("{body}.{ts}"));
    decode_both_ways(&f.plain, &signed, Some(body.as_str()));
    #[cfg(feature = "zlib")]
    {
        let signed = sign(&f.zlib_signer, &format!(".{body}.{ts}"));
        decode_both_ways(&f.zlib, &signed, Some(body.as_str()));
    }
}

/// `forged_never_verifies`: under a fixed key, a token verifies only when it is
/// byte-identical to the token this codec makes for the same data and expiry. The
/// fuzzer cannot compute a MAC, so any other accepted spelling of a token (padding,
/// non-canonical base64, another timestamp encoding, an unmarked compressed payload, …)
/// breaks this property.
pub fn forged_never_verifies(data: &[u8]) {
    let f = fixtures();
    let token = as_token(data);
    let codecs = [
        Some(&f.forged_plain),
        #[cfg(feature = "zlib")]
        Some(&f.forged_zlib),
    ];
    for codec in codecs.into_iter().flatten() {
        if let Ok(v) = codec.decode_at::<Value>(&token, now()) {
            let again = codec
                .encode_until(&v.data, v.expires_at)
                .unwrap_or_else(|e| panic!("a verified token does not re-encode: {e:?}"));
            assert_eq!(
                again, token,
                "a token verified that is not the key's own spelling of its data"
            );
        }
    }
}

/// The most deeply nested value [`ArbJson`] builds. Deeper than the JSON parser's
/// nesting limit (128), so that the limit itself is part of what is checked.
pub const ARB_MAX_DEPTH: usize = 160;

/// An arbitrary JSON value (serde_json's `Value` has no `Arbitrary`).
#[derive(Debug, Clone, PartialEq)]
pub struct ArbJson(pub Value);

impl<'a> Arbitrary<'a> for ArbJson {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        arb_value(u, 0).map(ArbJson)
    }
}

fn arb_value(u: &mut Unstructured<'_>, depth: usize) -> arbitrary::Result<Value> {
    let last = if depth >= ARB_MAX_DEPTH || u.is_empty() {
        5
    } else {
        7
    };
    Ok(match u.int_in_range(0..=last)? {
        0 => Value::Null,
        1 => Value::Bool(bool::arbitrary(u)?),
        2 => Value::from(u64::arbitrary(u)?),
        3 => Value::from(i64::arbitrary(u)?),
        4 => serde_json::Number::from_f64(f64::arbitrary(u)?).map_or(Value::Null, Value::Number),
        5 => Value::String(String::arbitrary(u)?),
        6 => {
            let len = u.int_in_range(0..=6)?;
            let mut items = Vec::with_capacity(len);
            for _ in 0..len {
                items.push(arb_value(u, depth + 1)?);
            }
            Value::Array(items)
        }
        _ => {
            let len = u.int_in_range(0..=6)?;
            let mut map = serde_json::Map::new();
            for _ in 0..len {
                map.insert(String::arbitrary(u)?, arb_value(u, depth + 1)?);
            }
            Value::Object(map)
        }
    })
}

/// The input of the `roundtrip` target.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub struct RoundtripInput {
    /// The session data.
    pub value: ArbJson,
    /// Seconds after [`NOW`] + 1 at which the token expires.
    pub ttl: u32,
    /// Whether the compressing codec is used.
    pub compressed: bool,
}

/// `roundtrip` on raw fuzzer bytes, read as [`RoundtripInput`] with `arbitrary`.
pub fn roundtrip_bytes(data: &[u8]) {
    if let Ok(input) = RoundtripInput::arbitrary_take_rest(Unstructured::new(data)) {
        roundtrip(&input);
    }
}

/// How deeply `value` nests arrays and objects (a scalar is 0).
pub fn nesting(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(nesting).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(nesting).max().unwrap_or(0),
        _ => 0,
    }
}

/// The deepest nesting the codec decodes (the JSON parser's limit).
pub const MAX_DECODED_NESTING: usize = 127;

/// `roundtrip`: any JSON value that encodes decodes back equal, with the same expiry,
/// and its token re-encodes to the same bytes. The only encode errors allowed are
/// `TooLarge` (the data does not fit in a cookie) and, for data nested deeper than
/// [`MAX_DECODED_NESTING`], `Serialize` (which such data must get).
pub fn roundtrip(input: &RoundtripInput) {
    let f = fixtures();
    #[cfg(feature = "zlib")]
    let codec = if input.compressed { &f.zlib } else { &f.plain };
    #[cfg(not(feature = "zlib"))]
    let codec = &f.plain;
    let expires_at = now() + Duration::seconds(1 + i64::from(input.ttl));
    let value = &input.value.0;
    // Deeper data cannot be decoded, so it must be refused when encoding.
    let too_deep = nesting(value) > MAX_DECODED_NESTING;
    let token = match codec.encode_until(value, expires_at) {
        Err(Error::Serialize) if too_deep => return,
        Ok(_) if too_deep => panic!("data too deep to decode was encoded"),
        Ok(token) => token,
        Err(Error::TooLarge { .. }) => return,
        Err(e) => panic!("a JSON value does not encode: {e:?}"),
    };
    let back = codec.decode_at::<Value>(&token, now()).unwrap_or_else(|e| {
        panic!(
            "the codec refuses its own token: {e:?} (nesting {})",
            nesting(value)
        )
    });
    assert_eq!(&back.data, value, "decoded data differs");
    assert_eq!(back.expires_at, expires_at, "decoded expiry differs");
    let again = codec
        .encode_until(&back.data, back.expires_at)
        .unwrap_or_else(|e| panic!("decoded data does not re-encode: {e:?}"));
    assert_eq!(again, token, "the token does not re-encode to itself");
}

/// Reads a little edit script from `data`: up to 8 edits, each an operation byte, a
/// two-byte position and an operand byte.
fn apply_edits(original: &[u8], script: &[u8]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for edit in script.chunks(4).take(8) {
        let [op, hi, lo, operand] = [0, 1, 2, 3].map(|i| edit.get(i).copied().unwrap_or(0));
        let pos = usize::from(u16::from_be_bytes([hi, lo])) % (bytes.len() + 1);
        match op % 6 {
            0 => {
                if let Some(b) = bytes.get_mut(pos) {
                    *b ^= operand.max(1);
                }
            }
            1 => bytes.insert(pos, operand),
            2 => {
                let end = (pos + usize::from(operand % 8) + 1).min(bytes.len());
                bytes.drain(pos..end);
            }
            3 => {
                if let Some(b) = bytes.get_mut(pos) {
                    *b = operand;
                }
            }
            4 => bytes.truncate(pos),
            _ => bytes.push(operand),
        }
    }
    bytes
}

/// `tamper`: a valid token with an arbitrary edit either fails or is byte-identical to
/// the original. The first input byte picks the token (plain small, plain long,
/// compressed); the rest is an edit script (see `apply_edits`).
pub fn tamper(data: &[u8]) {
    let f = fixtures();
    let Some((&pick, script)) = data.split_first() else {
        return;
    };
    let Some((original, codec)) = f.tamper.get(usize::from(pick) % f.tamper.len()) else {
        return;
    };
    let edited = apply_edits(original.as_bytes(), script);
    let token = String::from_utf8_lossy(&edited);
    if codec.decode_at::<Value>(&token, now()).is_ok() {
        assert_eq!(
            token.as_bytes(),
            original.as_bytes(),
            "an edited token verified"
        );
    }
}

/// `flask_decode`: any bytes through the Flask codec, in the same four views as
/// [`decode_never_panics`] (a token; signed `payload.timestamp` text; a signed raw
/// payload; a signed compressed payload), never panic, and every accepted session
/// survives writing and reading back (as tagged JSON and as a new cookie).
#[cfg(feature = "flask")]
pub fn flask_decode(data: &[u8]) {
    let f = fixtures();
    let data = data.get(..MAX_INPUT).unwrap_or(data);
    let token = as_token(data);
    let signed_at = now() - Duration::minutes(1);
    let body = encoding::encode(data);
    let ts = timestamp_text(signed_at);
    let views = [
        token.clone(),
        sign(&f.flask_signer, &token),
        sign(&f.flask_signer, &format!("{body}.{ts}")),
        sign(&f.flask_signer, &format!(".{body}.{ts}")),
    ];
    for view in &views {
        let seen = sessionlib::inspect_unverified(view);
        if let Ok(v) = f.flask.decode_at(view, now()) {
            let seen =
                seen.unwrap_or_else(|e| panic!("a verified cookie is not inspectable: {e:?}"));
            assert_eq!(
                seen.shape_problem_for(20),
                None,
                "a verified cookie has a bad shape"
            );
            assert_eq!(
                seen.timestamp_time(),
                Some(v.signed_at),
                "inspected time differs"
            );
            check_tagged_round_trip(&v.data);
            match f.flask.encode_at(&v.data, v.signed_at) {
                Ok(again) => {
                    let back = f
                        .flask
                        .decode_at(&again, now())
                        .unwrap_or_else(|e| panic!("a re-encoded Flask cookie is refused: {e:?}"));
                    assert_eq!(back.data, v.data, "a re-encoded Flask cookie differs");
                }
                // Compression can make a cookie that fit larger only if it was not
                // compressed; anything else is a bug.
                Err(Error::TooLarge { .. }) => {}
                Err(e) => panic!("an accepted Flask session does not re-encode: {e:?}"),
            }
        }
    }
}

#[cfg(feature = "flask")]
fn check_tagged_round_trip(session: &sessionlib::flask::FlaskSession) {
    use sessionlib::flask::{from_tagged_json, to_tagged_json};
    let json = to_tagged_json(session)
        .unwrap_or_else(|e| panic!("an accepted session does not serialize: {e:?}"));
    let back = from_tagged_json(json.as_bytes())
        .unwrap_or_else(|e| panic!("written tagged JSON is refused: {e:?}"));
    assert_eq!(&back, session, "tagged JSON does not read back equal");
    assert_eq!(
        to_tagged_json(&back).ok().as_deref(),
        Some(json.as_str()),
        "tagged JSON is not written the same way twice"
    );
}

/// `tagged_json`: any bytes through Flask's tagged-JSON reader give an error or a
/// session, and every session read writes and reads back equal. The same bytes are
/// also read with `arbitrary` as a session (every tagged type, nested up to
/// [`ARB_MAX_DEPTH`]): it writes and reads back equal, or is refused as
/// `Serialize` only when it nests deeper than the writer or the reader allows.
#[cfg(feature = "flask")]
pub fn tagged_json(data: &[u8]) {
    let data = data.get(..MAX_INPUT * 8).unwrap_or(data);
    if let Ok(session) = sessionlib::flask::from_tagged_json(data) {
        check_tagged_round_trip(&session);
    }
    let mut u = Unstructured::new(data);
    if let Ok(session) = arb_flask_session(&mut u, 0) {
        match sessionlib::flask::to_tagged_json(&session) {
            Ok(_) => check_tagged_round_trip(&session),
            Err(Error::Serialize) => {
                let (values, json) = flask_nesting(&sessionlib::flask::FlaskValue::Dict(session));
                assert!(
                    values > sessionlib::flask::MAX_DEPTH + 1 || json > MAX_DECODED_NESTING,
                    "a session nested {values} values / {json} JSON levels deep is refused"
                );
            }
            Err(e) => panic!("a session does not write as tagged JSON: {e:?}"),
        }
    }
}

/// How deeply a Flask value nests: (values, JSON levels). A tuple and a dict whose
/// single key is a tag take two JSON levels.
#[cfg(feature = "flask")]
fn flask_nesting(value: &sessionlib::flask::FlaskValue) -> (usize, usize) {
    use sessionlib::flask::FlaskValue as F;
    let deepest = |items: &mut dyn Iterator<Item = &F>| {
        items
            .map(flask_nesting)
            .fold((0, 0), |a, b| (a.0.max(b.0), a.1.max(b.1)))
    };
    match value {
        F::List(items) => {
            let (v, j) = deepest(&mut items.iter());
            (v + 1, j + 1)
        }
        F::Tuple(items) => {
            let (v, j) = deepest(&mut items.iter());
            (v + 1, j + 2)
        }
        F::Dict(map) => {
            let (v, j) = deepest(&mut map.values());
            let tagged = map.len() == 1
                && map
                    .keys()
                    .all(|k| [" t", " b", " m", " u", " d", " di"].contains(&k.as_str()));
            (v + 1, j + if tagged { 2 } else { 1 })
        }
        F::Bytes(_) | F::Markup(_) | F::Uuid(_) | F::DateTime(_) => (1, 1),
        _ => (1, 0),
    }
}

#[cfg(feature = "flask")]
fn arb_flask_session(
    u: &mut Unstructured<'_>,
    depth: usize,
) -> arbitrary::Result<sessionlib::flask::FlaskSession> {
    let len = u.int_in_range(0..=5)?;
    let mut map = sessionlib::flask::FlaskSession::new();
    for _ in 0..len {
        // Tag-like keys are common, so the `" di"` wrapping is exercised.
        let key = match u.int_in_range(0..=3)? {
            0 => [" t", " b", " m", " u", " d", " di", " t__", "_flashes"]
                [u.int_in_range(0..=7)?]
            .to_string(),
            _ => String::arbitrary(u)?,
        };
        map.insert(key, arb_flask_value(u, depth + 1)?);
    }
    Ok(map)
}

#[cfg(feature = "flask")]
fn arb_flask_value(
    u: &mut Unstructured<'_>,
    depth: usize,
) -> arbitrary::Result<sessionlib::flask::FlaskValue> {
    use sessionlib::flask::FlaskValue as F;
    let last = if depth >= ARB_MAX_DEPTH || u.is_empty() {
        10
    } else {
        13
    };
    Ok(match u.int_in_range(0..=last)? {
        0 => F::Null,
        1 => F::Bool(bool::arbitrary(u)?),
        2 => F::Number(u64::arbitrary(u)?.into()),
        3 => F::Number(i64::arbitrary(u)?.into()),
        4 => serde_json::Number::from_f64(f64::arbitrary(u)?).map_or(F::Null, F::Number),
        5 => F::String(String::arbitrary(u)?),
        6 => F::Markup(String::arbitrary(u)?),
        7 => F::Bytes(Vec::<u8>::arbitrary(u)?),
        8 => F::Uuid(<[u8; 16]>::arbitrary(u)?),
        9 | 10 => {
            // Whole seconds from year 1 to 9999, as Flask writes them.
            let seconds = u.int_in_range(-62_135_596_800i64..=253_402_300_799)?;
            OffsetDateTime::from_unix_timestamp(seconds).map_or(F::Null, F::DateTime)
        }
        11 | 12 => {
            let len = u.int_in_range(0..=4)?;
            let mut items = Vec::with_capacity(len);
            for _ in 0..len {
                items.push(arb_flask_value(u, depth + 1)?);
            }
            if u.arbitrary()? {
                F::Tuple(items)
            } else {
                F::List(items)
            }
        }
        _ => F::Dict(arb_flask_session(u, depth)?),
    })
}

/// The session cookie `cookie_header` plants among the fuzzer's cookies: its name, and
/// the value it is saved under (a `user` entry).
const COOKIE_NAME: &str = "session";
const COOKIE_USER: &str = "cobra";

struct CookieFixtures {
    config: sessionlib::SessionConfig,
    /// A valid session cookie value made by `config` at [`NOW`].
    value: String,
}

fn cookie_fixtures() -> &'static CookieFixtures {
    static FIXTURES: OnceLock<CookieFixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let cookie = sessionlib::CookieConfig::builder(native_ring())
            .name(COOKIE_NAME)
            .try_build()
            .unwrap_or_else(|e| panic!("fixture cookie config refused: {e}"));
        let config = sessionlib::SessionConfig::builder(cookie).build();
        let mut session = sessionlib::Session::new();
        if let Err(e) = session.insert("user", COOKIE_USER) {
            panic!("fixture session refused: {e}");
        }
        let value = match config.save_at(&session, now()) {
            Ok(Some(set)) => set.cookie().value().to_string(),
            other => panic!("fixture session not saved: {other:?}"),
        };
        CookieFixtures { config, value }
    })
}

/// `cookie_header`: any `Cookie:` header value through the cookie reader
/// (`CookieConfig::decode_header_at`), the session loader (`SessionConfig::load_at`,
/// then `save_at`) and the Flask profile's reader, never panics. A session is only
/// ever loaded from the one valid cookie this module made: the input is also split in
/// two halves around `session=<valid value>`, and when both halves are whole pairs
/// (ending and starting at `;`) with no other cookie of that name, the session must be
/// found, with its data.
pub fn cookie_header(data: &[u8]) {
    let f = cookie_fixtures();
    let data = data.get(..MAX_INPUT).unwrap_or(data);
    check_header(f, data, false);

    let (before, after) = data.split_at(data.len() / 2);
    let header = [
        before,
        COOKIE_NAME.as_bytes(),
        b"=",
        f.value.as_bytes(),
        after,
    ]
    .concat();
    let name = COOKIE_NAME.as_bytes();
    let contains_name = |part: &[u8]| part.windows(name.len()).any(|w| w == name);
    let isolated = (before.is_empty() || before.ends_with(b";"))
        && (after.is_empty() || after.starts_with(b";"))
        && !contains_name(before)
        && !contains_name(after);
    check_header(f, &header, isolated);
    // Past the 16 KiB header limit.
    if data.len() > 6000 {
        check_header(f, &data.repeat(3), false);
    }
}

/// The valid session cookie value `cookie_header` plants (for the seed corpus).
pub fn planted_cookie_value() -> &'static str {
    &cookie_fixtures().value
}

fn check_header(f: &CookieFixtures, header: &[u8], must_find: bool) {
    let cookie = f.config.cookie();
    let decoded = cookie.decode_header_at::<Value>(header, now());
    if let Ok(Some(v)) = &decoded {
        // Nothing the fuzzer writes can verify; only the planted cookie can.
        assert_eq!(
            v.data.get("user"),
            Some(&Value::from(COOKIE_USER)),
            "a forged cookie loaded"
        );
    }
    let session = f.config.load_at(header, now());
    let loaded = session.source() == sessionlib::SessionSource::Cookie;
    assert_eq!(
        loaded,
        matches!(decoded, Ok(Some(_))),
        "loader and reader disagree"
    );
    if loaded {
        assert_eq!(session.get_value("user"), Some(&Value::from(COOKIE_USER)));
    }
    if must_find {
        assert!(
            loaded,
            "a valid session cookie among other cookies was not found: {decoded:?}"
        );
    }
    // Saving what was loaded never panics (a fresh session saves nothing or a removal).
    let _ = f.config.save_at(&session, now());
    #[cfg(feature = "flask")]
    {
        let _ = fixtures()
            .flask
            .decode_header_at(header, COOKIE_NAME, now());
    }
}

#[cfg(feature = "django")]
#[path = "django.rs"]
mod django_profile;
#[cfg(feature = "django")]
pub use django_profile::*;

/// A property function: it returns when the property holds for the input.
pub type Property = fn(&[u8]);

/// The targets and their property functions, for the corpus replay (`None` when the
/// property needs a feature this build does not have).
pub fn targets() -> Vec<(&'static str, Option<Property>)> {
    vec![
        (
            "decode_never_panics",
            Some(decode_never_panics as fn(&[u8])),
        ),
        ("forged_never_verifies", Some(forged_never_verifies)),
        ("roundtrip", Some(roundtrip_bytes)),
        ("tamper", Some(tamper)),
        ("cookie_header", Some(cookie_header)),
        (
            "chunked_cookie_header",
            Some(super::chunks::chunked_cookie_header),
        ),
        #[cfg(feature = "flask")]
        ("flask_decode", Some(flask_decode)),
        #[cfg(not(feature = "flask"))]
        ("flask_decode", None),
        #[cfg(feature = "flask")]
        ("tagged_json", Some(tagged_json)),
        #[cfg(not(feature = "flask"))]
        ("tagged_json", None),
        #[cfg(feature = "django")]
        ("django_decode", Some(django_decode)),
        #[cfg(not(feature = "django"))]
        ("django_decode", None),
        #[cfg(feature = "sealed")]
        (
            "sealed_decode_never_panics",
            Some(super::sealed::sealed_decode_never_panics),
        ),
        #[cfg(not(feature = "sealed"))]
        ("sealed_decode_never_panics", None),
        #[cfg(feature = "sealed")]
        (
            "sealed_forged_never_opens",
            Some(super::sealed::sealed_forged_never_opens),
        ),
        #[cfg(not(feature = "sealed"))]
        ("sealed_forged_never_opens", None),
    ]
}
