//! The native codec against hostile input: tampering, rotation, purposes, expiry
//! boundaries, timestamp extremes, a table of hostile tokens, and property tests.

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sessionlib::signer::Signer;
use sessionlib::{Codec, Error, KeyUsed, Keyring, PayloadErrorKind};
use time::{Duration, OffsetDateTime};

use crate::common::forge::{b64, later, native_signed, ts};
use crate::common::{key, now, NOW};

fn codec() -> Codec {
    Codec::new(key(1))
}

fn session() -> Value {
    json!({"user_id": 12345, "username": "cobra", "roles": ["admin", "editor"]})
}

fn token() -> String {
    codec().encode_at(&session(), now()).unwrap()
}

fn decode(codec: &Codec, token: &str) -> Result<Value, Error> {
    codec.decode_at::<Value>(token, now()).map(|v| v.data)
}

/// A token whose parts are given as text and signed with key 1 and the default salt,
/// so it passes the MAC check whatever its parts say.
fn signed(payload: &str, timestamp: &str) -> String {
    native_signed(&format!("{payload}.{timestamp}"))
}

// ---------------------------------------------------------------- tamper suite

#[test]
fn every_single_byte_change_is_refused() {
    let codec = codec();
    let token = token();
    let bytes = token.as_bytes();
    for i in 0..bytes.len() {
        for replacement in [b'A', b'B', b'a', b'-', b'_', b'.', b'=', b' ', 0xC3] {
            if bytes[i] == replacement {
                continue;
            }
            let mut changed = bytes.to_vec();
            changed[i] = replacement;
            let changed = String::from_utf8_lossy(&changed);
            let err = decode(&codec, &changed).expect_err("tampered token accepted");
            assert!(
                matches!(err, Error::InvalidSignature | Error::Malformed),
                "position {i}: {err:?}"
            );
        }
        // Flip the case of letters, the classic tamper.
        let mut flipped = bytes.to_vec();
        if flipped[i].is_ascii_alphabetic() {
            flipped[i] ^= 0x20;
            let flipped = String::from_utf8(flipped).unwrap();
            assert!(decode(&codec, &flipped).is_err(), "case flip at {i}");
        }
    }
}

#[test]
fn append_truncate_and_separators_are_refused() {
    let codec = codec();
    let token = token();
    for suffix in ["A", "a", ".", "=", "==", "\n", " ", "AAAA"] {
        assert_eq!(
            decode(&codec, &format!("{token}{suffix}")),
            Err(Error::Malformed)
        );
    }
    for prefix in [".", "A", " "] {
        assert!(decode(&codec, &format!("{prefix}{token}")).is_err());
    }
    for len in 0..token.len() {
        assert!(decode(&codec, &token[..len]).is_err(), "truncated to {len}");
        assert!(decode(&codec, &token[token.len() - len..]).is_err());
    }
    let dots: Vec<usize> = token.match_indices('.').map(|(i, _)| i).collect();
    assert_eq!(dots.len(), 2);
    for &d in &dots {
        let dropped = format!("{}{}", &token[..d], &token[d + 1..]);
        assert_eq!(decode(&codec, &dropped), Err(Error::Malformed));
        let doubled = format!("{}.{}", &token[..d], &token[d..]);
        assert_eq!(decode(&codec, &doubled), Err(Error::Malformed));
    }
}

#[test]
fn swapping_segments_between_tokens_is_refused() {
    let codec = codec();
    let a = codec.encode_at(&json!({"user": "alice"}), now()).unwrap();
    let b = codec
        .encode_at(&json!({"user": "mallory"}), now() + Duration::hours(1))
        .unwrap();
    let pa: Vec<&str> = a.split('.').collect();
    let pb: Vec<&str> = b.split('.').collect();
    for mask in 1..7u8 {
        let pick = |i: usize| if mask & (1 << i) != 0 { pb[i] } else { pa[i] };
        let mixed = format!("{}.{}.{}", pick(0), pick(1), pick(2));
        assert_eq!(
            decode(&codec, &mixed),
            Err(Error::InvalidSignature),
            "mask {mask}"
        );
    }
    assert!(decode(&codec, &a).is_ok() && decode(&codec, &b).is_ok());
}

// ------------------------------------------------------- rotation and purposes

#[test]
fn rotation_primary_signs_fallbacks_verify_removed_keys_stop() {
    let old = Codec::new(key(1));
    let older = Codec::new(key(2));
    let ring = Keyring::new(key(3))
        .with_fallback(key(1))
        .with_fallback(key(2));
    let rotated = Codec::new(ring);

    let by_old = old.encode_at(&session(), now()).unwrap();
    let by_older = older.encode_at(&session(), now()).unwrap();
    let v = rotated.decode_at::<Value>(&by_old, now()).unwrap();
    assert_eq!(v.key_used, KeyUsed::Fallback(0));
    assert!(v.needs_reissue());
    let v = rotated.decode_at::<Value>(&by_older, now()).unwrap();
    assert_eq!(v.key_used, KeyUsed::Fallback(1));

    // The primary key signs: the old codec cannot verify the re-issued token.
    let reissued = rotated.encode_at(&v.data, now()).unwrap();
    let v = rotated.decode_at::<Value>(&reissued, now()).unwrap();
    assert_eq!(v.key_used, KeyUsed::Primary);
    assert!(!v.needs_reissue());
    assert_eq!(decode(&old, &reissued), Err(Error::InvalidSignature));

    // Removing a fallback key ends the tokens it signed.
    let trimmed = Codec::new(Keyring::new(key(3)).with_fallback(key(1)));
    assert!(decode(&trimmed, &by_old).is_ok());
    assert_eq!(decode(&trimmed, &by_older), Err(Error::InvalidSignature));
}

#[test]
fn salts_separate_purposes() {
    let sessions = Codec::builder(key(1)).salt("sessions").build();
    let resets = Codec::builder(key(1)).salt("password-reset").build();
    let t = resets.encode_at(&json!({"user": 1}), now()).unwrap();
    assert!(decode(&resets, &t).is_ok());
    assert_eq!(decode(&sessions, &t), Err(Error::InvalidSignature));
    assert_eq!(decode(&codec(), &t), Err(Error::InvalidSignature));
    // Byte salts work too, and differ from their text neighbours.
    let bytes = Codec::builder(key(1)).salt(b"sessions\0").build();
    assert_eq!(
        decode(&bytes, &sessions.encode_at(&1, now()).unwrap()),
        Err(Error::InvalidSignature)
    );
}

// ------------------------------------------------------------------- expiry

#[test]
fn expiry_boundaries() {
    let codec = Codec::builder(key(1)).ttl(Duration::seconds(60)).build();
    let t = codec.encode_at(&1, now()).unwrap();
    let expiry = now() + Duration::seconds(60);
    let at = |when: OffsetDateTime| codec.decode_at::<u8>(&t, when).map(|v| v.data);
    assert_eq!(at(now()), Ok(1));
    assert_eq!(at(expiry - Duration::nanoseconds(1)), Ok(1));
    assert_eq!(at(expiry), Err(Error::Expired { expired_at: expiry }));
    assert_eq!(
        at(expiry + Duration::days(400)),
        Err(Error::Expired { expired_at: expiry })
    );
    let v = codec.decode_at::<u8>(&t, now()).unwrap();
    assert_eq!(v.expires_at, expiry);
}

#[test]
fn leeway_extends_acceptance_and_nothing_else() {
    let strict = Codec::builder(key(1)).ttl(Duration::seconds(60)).build();
    let lenient = Codec::builder(key(1))
        .ttl(Duration::seconds(60))
        .leeway(Duration::seconds(5))
        .build();
    let t = strict.encode_at(&1, now()).unwrap();
    let expiry = now() + Duration::seconds(60);
    assert!(lenient
        .decode_at::<u8>(&t, expiry + Duration::seconds(4))
        .is_ok());
    assert_eq!(
        lenient.decode_at::<u8>(&t, expiry + Duration::seconds(5)),
        Err(Error::Expired { expired_at: expiry })
    );
    // Same token bytes whatever the leeway.
    assert_eq!(lenient.encode_at(&1, now()).unwrap(), t);
    // Negative leeway counts as zero.
    let negative = Codec::builder(key(1))
        .leeway(Duration::seconds(-30))
        .build();
    let t = negative.encode_until(&1, expiry).unwrap();
    assert!(negative
        .decode_at::<u8>(&t, expiry - Duration::seconds(1))
        .is_ok());
}

#[test]
fn expired_is_reported_only_after_the_signature_verified() {
    let t = codec()
        .encode_until(&1, now() - Duration::hours(1))
        .unwrap();
    assert!(matches!(decode(&codec(), &t), Err(Error::Expired { .. })));
    let other_key = Codec::new(key(9));
    assert_eq!(decode(&other_key, &t), Err(Error::InvalidSignature));
}

#[test]
fn per_token_expiry() {
    let codec = Codec::builder(key(1)).ttl(Duration::minutes(5)).build();
    let remember = now() + Duration::days(30);
    let t = codec.encode_until(&"me", remember).unwrap();
    let v = codec
        .decode_at::<String>(&t, now() + Duration::days(29))
        .unwrap();
    assert_eq!(v.expires_at, remember);
    // Sub-second expiry is rounded down to the second.
    let t = codec
        .encode_until(&"me", remember + Duration::milliseconds(999))
        .unwrap();
    assert_eq!(
        codec.decode_at::<String>(&t, now()).unwrap().expires_at,
        remember
    );
}

#[test]
fn timestamp_extremes() {
    let c = codec();
    let epoch = OffsetDateTime::UNIX_EPOCH;
    // Zero (and anything before it) cannot be written: it has no bytes.
    assert_eq!(c.encode_until(&1, epoch), Err(Error::ExpiryOutOfRange));
    assert_eq!(
        c.encode_until(&1, epoch - Duration::days(1)),
        Err(Error::ExpiryOutOfRange)
    );
    // One second after the epoch: a one-byte timestamp, long expired.
    let t = c.encode_until(&1, epoch + Duration::seconds(1)).unwrap();
    assert_eq!(t.split('.').nth(1), Some("AQ"));
    assert!(matches!(decode(&c, &t), Err(Error::Expired { .. })));
    // A TTL that overflows the time range means no limit: the last second of the range.
    let huge = Codec::builder(key(1)).ttl(Duration::MAX).build();
    let t = huge.encode_at(&1, now()).unwrap();
    assert_eq!(
        huge.verify_at(&t, now())
            .unwrap()
            .expires_at
            .unix_timestamp(),
        253_402_300_799
    );
    // Values that are validly signed but do not fit the time range are Malformed.
    for value in [1u64 << 63, u64::MAX, (1 << 63) - 1, 253_402_300_800] {
        assert_eq!(
            decode(&c, &signed(&b64(b"1"), &ts(value))),
            Err(Error::Malformed),
            "{value}"
        );
    }
    // The largest representable second is accepted.
    assert!(decode(&c, &signed(&b64(b"1"), &ts(253_402_300_799))).is_ok());
    // Nine bytes, an empty timestamp and a leading zero byte are Malformed.
    assert_eq!(
        decode(&c, &signed(&b64(b"1"), &b64(&[1; 9]))),
        Err(Error::Malformed)
    );
    assert_eq!(decode(&c, &signed(&b64(b"1"), "")), Err(Error::Malformed));
    let mut zero_led = vec![0u8];
    zero_led.extend_from_slice(&(NOW as u64 + 60).to_be_bytes()[4..]);
    assert_eq!(
        decode(&c, &signed(&b64(b"1"), &b64(&zero_led))),
        Err(Error::Malformed)
    );
}

// ---------------------------------------------------------------- hostile table

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Malformed,
    InvalidSignature,
    Expired,
    TooLarge,
    Syntax,
    Data,
}

fn kind(err: &Error) -> Kind {
    match err {
        Error::Malformed => Kind::Malformed,
        Error::InvalidSignature => Kind::InvalidSignature,
        Error::Expired { .. } => Kind::Expired,
        Error::TooLarge { .. } => Kind::TooLarge,
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

/// Which type the table decodes into.
#[derive(Clone, Copy)]
enum Target {
    Value,
    Strict,
}

fn hostile_cases() -> Vec<(&'static str, String, Target, Kind)> {
    use Kind::*;
    use Target::Strict as S;
    use Target::Value as V;
    let good = token();
    let parts: Vec<String> = good.split('.').map(str::to_string).collect();
    let (p, t, s) = (parts[0].clone(), parts[1].clone(), parts[2].clone());
    let other_key = Codec::new(key(2)).encode_at(&session(), now()).unwrap();
    let other_salt = Codec::builder(key(1))
        .salt("other")
        .build()
        .encode_at(&session(), now())
        .unwrap();
    let salt_prefix = Codec::builder(key(1))
        .salt("sessionlib.sessio")
        .build()
        .encode_at(&session(), now())
        .unwrap();
    let payload_only_sig = {
        let signer: Signer = Signer::new(&Keyring::new(key(1)), b"sessionlib.session");
        b64(signer.sign(p.as_bytes()).as_bytes())
    };
    let sig_other_len = |n: usize| b64(&vec![7u8; n]);
    let json = |text: &str| signed(&b64(text.as_bytes()), &later());
    let mut noncanonical_sig = s.clone();
    noncanonical_sig.pop();
    noncanonical_sig.push('B'); // 'B' = 1: a non-zero unused bit.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));

    vec![
        // Structure
        ("empty", String::new(), V, Malformed),
        ("one dot", ".".into(), V, Malformed),
        ("two dots", "..".into(), V, Malformed),
        ("three dots", "...".into(), V, Malformed),
        ("one part", p.clone(), V, Malformed),
        (
            "payload and signature only",
            format!("{p}.{s}"),
            V,
            Malformed,
        ),
        ("four parts", format!("{p}.{t}.{t}.{s}"), V, Malformed),
        (
            "extra dot before signature",
            format!("{p}.{t}..{s}"),
            V,
            Malformed,
        ),
        ("trailing dot", format!("{good}."), V, Malformed),
        ("leading dot", format!(".{good}"), V, Malformed),
        ("empty payload", format!(".{t}.{s}"), V, Malformed),
        ("empty timestamp", format!("{p}..{s}"), V, Malformed),
        ("empty signature", format!("{p}.{t}."), V, Malformed),
        ("parts reversed", format!("{s}.{t}.{p}"), V, Malformed),
        // Size
        ("4097 bytes", "A".repeat(4097), V, TooLarge),
        ("one megabyte of dots", ".".repeat(1 << 20), V, TooLarge),
        (
            "oversized valid-looking",
            format!("{}{good}", "A".repeat(4096)),
            V,
            TooLarge,
        ),
        // Base64 and signature shape
        ("space inside", format!("{p} .{t}.{s}"), V, Malformed),
        ("trailing newline", format!("{good}\n"), V, Malformed),
        ("leading space", format!(" {good}"), V, Malformed),
        ("tab", format!("{p}\t.{t}.{s}"), V, Malformed),
        ("NUL byte", format!("{p}\0.{t}.{s}"), V, Malformed),
        ("payload padding", format!("{p}=.{t}.{s}"), V, Malformed),
        ("timestamp padding", format!("{p}.{t}==.{s}"), V, Malformed),
        ("signature padding", format!("{good}="), V, Malformed),
        (
            "plus in payload",
            format!("+{}.{t}.{s}", &p[1..]),
            V,
            Malformed,
        ),
        (
            "slash in signature",
            format!("{p}.{t}./{}", &s[1..]),
            V,
            Malformed,
        ),
        ("percent-encoded", format!("{p}%2E{t}.{s}"), V, Malformed),
        (
            "signature 31 bytes",
            format!("{p}.{t}.{}", sig_other_len(31)),
            V,
            Malformed,
        ),
        (
            "signature 33 bytes",
            format!("{p}.{t}.{}", sig_other_len(33)),
            V,
            Malformed,
        ),
        (
            "signature 20 bytes (SHA-1 size)",
            format!("{p}.{t}.{}", sig_other_len(20)),
            V,
            Malformed,
        ),
        (
            "signature one char short",
            format!("{p}.{t}.{}", &s[1..]),
            V,
            Malformed,
        ),
        (
            "signature non-canonical",
            format!("{p}.{t}.{noncanonical_sig}"),
            V,
            Malformed,
        ),
        (
            "payload impossible length",
            format!("{p}A.{t}.{s}"),
            V,
            Malformed,
        ),
        ("timestamp one char", format!("{p}.A.{s}"), V, Malformed),
        (
            "timestamp twelve chars",
            format!("{p}.AAAAAAAAAAAA.{s}"),
            V,
            Malformed,
        ),
        (
            "timestamp non-canonical",
            format!("{p}.{}B.{s}", &t[..t.len() - 1]),
            V,
            Malformed,
        ),
        // Signature
        (
            "random signature",
            format!("{p}.{t}.{}", sig_other_len(32)),
            V,
            InvalidSignature,
        ),
        (
            "zero signature",
            format!("{p}.{t}.{}", b64(&[0; 32])),
            V,
            InvalidSignature,
        ),
        ("other key", other_key, V, InvalidSignature),
        ("other salt", other_salt, V, InvalidSignature),
        ("salt prefix", salt_prefix, V, InvalidSignature),
        (
            "signature over payload alone",
            format!("{p}.{t}.{payload_only_sig}"),
            V,
            InvalidSignature,
        ),
        (
            "timestamp extended",
            format!("{p}.{}.{s}", ts(NOW as u64 + 999_999)),
            V,
            InvalidSignature,
        ),
        (
            "payload replaced",
            format!("{}.{t}.{s}", b64(b"{\"admin\":true}")),
            V,
            InvalidSignature,
        ),
        // Timestamp, validly signed
        (
            "signed leading zero byte",
            signed(&b64(b"1"), &b64(&[0, 1, 2, 3, 4])),
            V,
            Malformed,
        ),
        (
            "signed nine bytes",
            signed(&b64(b"1"), &b64(&[1; 9])),
            V,
            Malformed,
        ),
        (
            "signed u64::MAX",
            signed(&b64(b"1"), &ts(u64::MAX)),
            V,
            Malformed,
        ),
        (
            "signed 2^63",
            signed(&b64(b"1"), &ts(1 << 63)),
            V,
            Malformed,
        ),
        (
            "signed year 10000",
            signed(&b64(b"1"), &ts(253_402_300_800)),
            V,
            Malformed,
        ),
        ("signed 1970", signed(&b64(b"1"), &ts(1)), V, Expired),
        (
            "signed exactly now",
            signed(&b64(b"1"), &ts(NOW as u64)),
            V,
            Expired,
        ),
        // Payload, validly signed
        (
            "signed non-canonical payload",
            signed("eyJhIjoxfR", &later()),
            V,
            Malformed,
        ),
        ("not JSON", json("{not json"), V, Syntax),
        ("empty JSON text", json(" "), V, Syntax),
        ("trailing garbage", json("{}x"), V, Syntax),
        ("byte order mark", json("\u{feff}{}"), V, Syntax),
        ("lone surrogate", json(r#""\ud800""#), V, Syntax),
        (
            "invalid UTF-8",
            signed(&b64(b"\"\xff\""), &later()),
            V,
            Syntax,
        ),
        ("number too large for f64", json("1e400"), V, Syntax),
        (
            "depth 100000",
            signed(&b64(deep.as_bytes()), &later()),
            V,
            Syntax,
        ),
        (
            "duplicate field",
            json(r#"{"user_id":1,"name":"a","name":"b"}"#),
            S,
            Data,
        ),
        (
            "integer beyond u64",
            json(r#"{"user_id":18446744073709551616,"name":"a"}"#),
            S,
            Data,
        ),
        ("negative id", json(r#"{"user_id":-1,"name":"a"}"#), S, Data),
        ("missing field", json(r#"{"user_id":1}"#), S, Data),
        (
            "unknown field",
            json(r#"{"user_id":1,"name":"a","admin":true}"#),
            S,
            Data,
        ),
        ("null", json("null"), S, Data),
        ("array in the wrong order", json("[\"a\",1]"), S, Data),
        // Unicode
        (
            "non-ASCII in payload",
            format!("é{}.{t}.{s}", &p[2..]),
            V,
            Malformed,
        ),
        (
            "non-ASCII in signature",
            format!("{p}.{t}.{}ü", &s[..41]),
            V,
            Malformed,
        ),
        ("full-width dot", format!("{p}．{t}.{s}"), V, Malformed),
        (
            "zero-width space",
            format!("{p}.{t}\u{200b}.{s}"),
            V,
            Malformed,
        ),
        ("emoji", format!("{p}.{t}.🦀{}", &s[4..]), V, Malformed),
        (
            "right-to-left mark",
            format!("\u{200f}{good}"),
            V,
            Malformed,
        ),
    ]
}

#[test]
fn hostile_inputs_fail_with_the_exact_error_kind() {
    // A codec with a large limit, so the deep-nesting case reaches the JSON parser.
    let big = Codec::builder(key(1)).max_token_len(1 << 20).build();
    let normal = codec();
    let cases = hostile_cases();
    assert!(cases.len() >= 70, "{}", cases.len());
    for (name, token, target, expected) in cases {
        let codec = if name == "depth 100000" {
            &big
        } else {
            &normal
        };
        let result = match target {
            Target::Value => codec.decode_at::<Value>(&token, now()).map(|_| ()),
            Target::Strict => codec.decode_at::<Strict>(&token, now()).map(|_| ()),
        };
        let err = result.expect_err(name);
        assert_eq!(kind(&err), expected, "{name}: {err:?}");
        // No error message repeats any part of the token.
        let message = err.to_string();
        for part in token.split('.').filter(|part| part.len() >= 8) {
            assert!(!message.contains(part), "{name}: {message}");
        }
    }
}

#[test]
fn payload_errors_name_the_field_not_the_value() {
    let t = codec()
        .encode_at(&json!({"user_id": "hunter2-secret", "name": "a"}), now())
        .unwrap();
    let err = codec().decode_at::<Strict>(&t, now()).unwrap_err();
    let text = err.to_string();
    assert_eq!(
        text,
        "session data does not match the expected type at `user_id`"
    );
    assert!(!format!("{err:?}").contains("hunter2"));
}

#[test]
fn oversized_data_is_refused_at_encode_time() {
    let codec = Codec::builder(key(1)).max_token_len(200).build();
    let err = codec.encode_at(&"x".repeat(200), now()).unwrap_err();
    assert!(matches!(err, Error::TooLarge { max: 200, len } if len > 200));
    let fits = codec.encode_at(&"x".repeat(60), now()).unwrap();
    assert!(fits.len() <= 200);
    // Data serde_json cannot write as JSON.
    let mut map = std::collections::HashMap::new();
    map.insert((1, 2), 3);
    assert_eq!(codec.encode_at(&map, now()), Err(Error::Serialize));
}

#[test]
fn codec_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Codec>();
    let c = codec();
    let t = c.encode_at(&1, now()).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (c, t) = (c.clone(), t.clone());
            std::thread::spawn(move || c.decode_at::<u8>(&t, now()).unwrap().data)
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 1);
    }
}

#[test]
fn typed_round_trip() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Cart {
        items: Vec<(String, u32)>,
        coupon: Option<String>,
    }
    let cart = Cart {
        items: vec![("apple".into(), 3), ("Zoë's pear".into(), 1)],
        coupon: None,
    };
    let t = codec().encode_at(&cart, now()).unwrap();
    assert_eq!(codec().decode_at::<Cart>(&t, now()).unwrap().data, cart);
}

// ------------------------------------------------------------- property tests

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_round_trips(value in arb_json(), ttl in 1i64..100_000_000) {
        let codec = Codec::builder(key(1)).ttl(Duration::seconds(ttl)).max_token_len(1 << 16).build();
        let token = codec.encode_at(&value, now()).unwrap();
        let v = codec.decode_at::<Value>(&token, now()).unwrap();
        prop_assert_eq!(&v.data, &value);
        prop_assert_eq!(v.expires_at, now() + Duration::seconds(ttl));
        // An accepted token has exactly one spelling: re-encoding gives it back.
        prop_assert_eq!(codec.encode_until(&v.data, v.expires_at).unwrap(), token);
    }

    #[test]
    fn arbitrary_strings_never_verify(s in ".{0,200}") {
        prop_assert!(codec().decode_at::<Value>(&s, now()).is_err());
    }

    #[test]
    fn edited_tokens_fail_or_are_the_original(
        value in arb_json(),
        pos in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let codec = Codec::builder(key(1)).max_token_len(1 << 16).build();
        let token = codec.encode_at(&value, now()).unwrap();
        let mut bytes = token.clone().into_bytes();
        let i = pos.index(bytes.len());
        bytes[i] = byte;
        let edited = String::from_utf8_lossy(&bytes).into_owned();
        if let Ok(v) = codec.decode_at::<Value>(&edited, now()) {
            prop_assert_eq!(&edited, &token);
            prop_assert_eq!(codec.encode_until(&v.data, v.expires_at).unwrap(), token);
        }
    }
}
