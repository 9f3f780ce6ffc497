//! The native codec's properties: `decode_never_panics`, `forged_never_verifies`,
//! `roundtrip` and `tamper`. Everything compressed needs sessionlib's `zlib` feature;
//! without it those parts compile out.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use serde::Deserialize;
use serde_json::Value;
use sessionlib::signer::Signer;
use sessionlib::{Codec, Error};
use time::Duration;

use super::common::{
    as_token, expiry, native_ring, now, sign, timestamp_text, ARB_MAX_DEPTH, MAX_DECODED_NESTING,
    MAX_INPUT, NATIVE_SALT,
};
use super::encoding;

/// The salt of the compressed codec in `decode_never_panics` and `tamper`.
pub const ZLIB_SALT: &str = "sessionlib.fuzz.zlib";

/// The salts of `forged_never_verifies`: tokens made elsewhere (for example by
/// itsdangerous, whose JSON is spelled differently) never verify under them, so every
/// token that does was made by this codec.
pub const FORGED_PLAIN_SALT: &str = "sessionlib.fuzz.forged";
/// See [`FORGED_PLAIN_SALT`].
pub const FORGED_ZLIB_SALT: &str = "sessionlib.fuzz.forged.zlib";

struct NativeFixtures {
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
}

fn native_codec(salt: &str, compressed: bool) -> Codec {
    let builder = Codec::builder(native_ring()).salt(salt);
    #[cfg(feature = "zlib")]
    let builder = builder.compression(compressed);
    #[cfg(not(feature = "zlib"))]
    let _ = compressed;
    builder.build()
}

fn native_fixtures() -> &'static NativeFixtures {
    static FIXTURES: OnceLock<NativeFixtures> = OnceLock::new();
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
        NativeFixtures {
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
    let f = native_fixtures();
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
    let f = native_fixtures();
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
    /// Seconds after [`NOW`](super::common::NOW) + 1 at which the token expires.
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

/// `roundtrip`: any JSON value that encodes decodes back equal, with the same expiry,
/// and its token re-encodes to the same bytes. The only encode errors allowed are
/// `TooLarge` (the data does not fit in a cookie) and, for data nested deeper than
/// [`MAX_DECODED_NESTING`], `Serialize` (which such data must get).
pub fn roundtrip(input: &RoundtripInput) {
    let f = native_fixtures();
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
    let f = native_fixtures();
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
