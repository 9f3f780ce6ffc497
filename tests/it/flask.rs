//! The Flask profile against vectors made by the real Flask (no Python needed), plus
//! its tampering, rotation and divergence tests.

use serde_json::Value;
use sessionlib::flask::{
    flash, flask_keyring, from_tagged_json, take_flashes, to_tagged_json, Digest, FlaskCodec,
    FlaskSession, FlaskValue,
};
use sessionlib::{Error, Inflate, Key, KeyUsed, Keyring};
use time::{Duration, OffsetDateTime};

use crate::common::{at_field, now, vectors};

fn codec_for(case: &Value) -> FlaskCodec {
    let fallbacks: Vec<&[u8]> = case["fallbacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().as_bytes())
        .collect();
    let ring = flask_keyring(case["secret_key"].as_str().unwrap().as_bytes(), &fallbacks).unwrap();
    let digest = match case["digest"].as_str().unwrap() {
        "sha1" => Digest::Sha1,
        _ => Digest::Sha256,
    };
    FlaskCodec::builder(ring)
        .digest(digest)
        .leeway(Duration::ZERO)
        .build()
}

#[test]
fn flask_vectors_decode_and_reencode() {
    let doc = vectors("flask.json");
    let cases = doc["valid"].as_array().unwrap();
    assert!(cases.len() >= 16);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let token = case["token"].as_str().unwrap();
        let codec = codec_for(case);
        let v = codec
            .decode_at(token, at_field(case, "now"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.signed_at, at_field(case, "signed_at"), "{name}");
        assert_eq!(
            v.key_used.to_string(),
            case["key_used"].as_str().unwrap(),
            "{name}"
        );
        // Our tagged JSON for the decoded data is Flask's, byte for byte.
        let tagged = case["tagged_json"].as_str().unwrap();
        assert_eq!(to_tagged_json(&v.data).unwrap(), tagged, "{name}");
        assert_eq!(
            from_tagged_json(tagged.as_bytes()).unwrap(),
            v.data,
            "{name}"
        );

        // Re-encode with the key that signed it.
        let signer_secret = match v.key_used {
            KeyUsed::Primary => case["secret_key"].as_str().unwrap(),
            KeyUsed::Fallback(i) => case["fallbacks"][i].as_str().unwrap(),
        };
        let mut same = case.clone();
        same["secret_key"] = signer_secret.into();
        same["fallbacks"] = Value::Array(vec![]);
        let reencoded = codec_for(&same).encode_at(&v.data, v.signed_at).unwrap();
        if case["compressed"].as_bool().unwrap() {
            // zlib output differs between implementations (and so, near the one-byte
            // threshold, whether compressing pays at all); the data must survive.
            let back = codec.decode_at(&reencoded, at_field(case, "now")).unwrap();
            assert_eq!(back.data, v.data, "{name}");
        } else {
            assert_eq!(reencoded, token, "{name}");
        }
    }
}

#[test]
fn flask_expect_fail_vectors() {
    let doc = vectors("flask.json");
    let cases = doc["invalid"].as_array().unwrap();
    assert!(cases.len() >= 20);
    let mut divergences = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let err = codec_for(case)
            .decode_at(case["token"].as_str().unwrap(), at_field(case, "now"))
            .expect_err(name);
        let kind = match err {
            Error::Malformed => "Malformed",
            Error::InvalidSignature => "InvalidSignature",
            Error::Expired { .. } => "Expired",
            Error::NotYetValid { .. } => "NotYetValid",
            Error::Deserialize(_) => "Deserialize",
            Error::DecompressionLimit { .. } => "DecompressionLimit",
            other => panic!("{name}: unexpected {other:?}"),
        };
        assert_eq!(kind, case["error"].as_str().unwrap(), "{name}");
        divergences += usize::from(case["flask_accepts"].as_bool().unwrap());
    }
    // Each deliberate divergence from Flask is one of these vectors.
    assert_eq!(divergences, 11);
}

fn key() -> Keyring {
    flask_keyring(b"dev", &[]).unwrap()
}

fn sample() -> FlaskSession {
    let mut s = FlaskSession::new();
    s.insert("user_id".into(), "42".into());
    s.insert("point".into(), FlaskValue::Tuple(vec![1.into(), 2.into()]));
    s.insert("raw".into(), FlaskValue::Bytes(vec![0, 255]));
    s.insert("id".into(), FlaskValue::Uuid([7; 16]));
    s.insert("html".into(), FlaskValue::Markup("<i>x</i>".into()));
    s.insert(
        "at".into(),
        FlaskValue::DateTime(OffsetDateTime::from_unix_timestamp(1_445_412_480).unwrap()),
    );
    s
}

#[test]
fn round_trip_every_type_and_compression() {
    let codec = FlaskCodec::new(key());
    let token = codec.encode_at(&sample(), now()).unwrap();
    assert_eq!(codec.decode_at(&token, now()).unwrap().data, sample());
    let mut big = sample();
    big.insert("list".into(), FlaskValue::List(vec!["same".into(); 200]));
    let token = codec.encode_at(&big, now()).unwrap();
    assert!(token.starts_with('.'));
    assert_eq!(codec.decode_at(&token, now()).unwrap().data, big);
}

#[test]
fn age_and_future_with_leeway() {
    let codec = FlaskCodec::builder(key())
        .max_age(Duration::hours(1))
        .leeway(Duration::seconds(10))
        .build();
    let token = codec.encode_at(&sample(), now()).unwrap();
    let at = |d: Duration| codec.decode_at(&token, now() + d);
    assert!(at(Duration::seconds(3610)).is_ok());
    assert_eq!(
        at(Duration::seconds(3611)).unwrap_err(),
        Error::Expired {
            expired_at: now() + Duration::hours(1)
        }
    );
    assert!(at(Duration::seconds(-10)).is_ok());
    assert_eq!(
        at(Duration::seconds(-11)).unwrap_err(),
        Error::NotYetValid { signed_at: now() }
    );
    // Fractions of a second count as Python's int(time.time()) does.
    assert!(at(Duration::seconds(3610) + Duration::milliseconds(999)).is_ok());
}

#[test]
fn rotation_reports_the_fallback_and_reissues_with_the_secret_key() {
    let old = FlaskCodec::from_flask_config(b"old", &[]).unwrap();
    let rotated = FlaskCodec::from_flask_config(b"new", &[b"older", b"old"]).unwrap();
    let token = old.encode_at(&sample(), now()).unwrap();
    let v = rotated.decode_at(&token, now()).unwrap();
    assert_eq!(v.key_used, KeyUsed::Fallback(1));
    let fresh = rotated.encode_at(&v.data, now()).unwrap();
    assert_eq!(
        rotated.decode_at(&fresh, now()).unwrap().key_used,
        KeyUsed::Primary
    );
    assert_eq!(old.decode_at(&fresh, now()), Err(Error::InvalidSignature));
}

#[test]
fn flashes_are_tuples_under_the_flask_key() {
    let mut s = FlaskSession::new();
    flash(&mut s, "message", "one");
    flash(&mut s, "error", "two");
    assert_eq!(
        to_tagged_json(&s).unwrap(),
        r#"{"_flashes":[{" t":["message","one"]},{" t":["error","two"]}]}"#
    );
    assert_eq!(
        take_flashes(&mut s),
        [
            ("message".to_string(), "one".to_string()),
            ("error".to_string(), "two".to_string())
        ]
    );
    assert!(s.is_empty());
    assert!(take_flashes(&mut s).is_empty());
}

#[test]
fn salts_digests_and_profiles_are_separate() {
    let flask = FlaskCodec::new(key());
    let token = flask.encode_at(&sample(), now()).unwrap();
    let other_salt = FlaskCodec::builder(key()).salt("other").build();
    assert_eq!(
        other_salt.decode_at(&token, now()),
        Err(Error::InvalidSignature)
    );
    let sha256 = FlaskCodec::builder(key()).digest(Digest::Sha256).build();
    assert_eq!(sha256.decode_at(&token, now()), Err(Error::Malformed));
    // A native token never reads as a Flask cookie, nor the other way round.
    let native = sessionlib::Codec::new(Key::from_bytes(&[1; 32]).unwrap());
    assert!(flask
        .decode_at(&native.encode_at(&1, now()).unwrap(), now())
        .is_err());
    assert!(native.decode_at::<Value>(&token, now()).is_err());
}

#[test]
fn every_byte_change_is_refused() {
    let codec = FlaskCodec::new(key());
    let mut big = sample();
    big.insert("list".into(), FlaskValue::List(vec!["same".into(); 50]));
    for token in [
        codec.encode_at(&sample(), now()).unwrap(),
        codec.encode_at(&big, now()).unwrap(),
    ] {
        for i in 0..token.len() {
            for r in [b'A', b'.', b'_', b'='] {
                let mut bytes = token.clone().into_bytes();
                if bytes[i] == r {
                    continue;
                }
                bytes[i] = r;
                let edited = String::from_utf8(bytes).unwrap();
                assert!(codec.decode_at(&edited, now()).is_err(), "{i}");
            }
        }
    }
}

#[test]
fn decompression_limits_apply() {
    let mut big = FlaskSession::new();
    big.insert("a".into(), "x".repeat(3000).into());
    let codec = FlaskCodec::builder(key())
        .inflate_limits(Inflate::new(1000, 256))
        .build();
    let token = codec.encode_at(&big, now()).unwrap();
    assert_eq!(
        codec.decode_at(&token, now()),
        Err(Error::DecompressionLimit { max: 1000 })
    );
}

#[test]
fn short_keys_only_through_the_flask_constructor() {
    assert!(Key::from_bytes(b"dev").is_err());
    assert!(Key::from_flask_secret_key(b"dev").is_ok());
    assert!(FlaskCodec::from_flask_config(b"", &[]).is_err());
}

#[test]
fn reading_from_a_cookie_header() {
    let codec = FlaskCodec::builder(key()).clock(now).build();
    let a = codec.encode_at(&sample(), now()).unwrap();
    let mut other = sample();
    other.insert("user_id".into(), "43".into());
    let b = codec.encode_at(&other, now()).unwrap();
    let read = |header: &str| codec.decode_header(header, "session");
    let found = read(&format!("theme=dark; session={a}; x=1"))
        .unwrap()
        .unwrap();
    assert_eq!(found.data, sample());
    assert_eq!(read("theme=dark").unwrap(), None);
    // The same cookie twice is fine; two different valid ones fail closed.
    assert!(read(&format!("session={a}; session={a}"))
        .unwrap()
        .is_some());
    assert_eq!(
        read(&format!("session={a}; session={b}")),
        Err(Error::AmbiguousCookie)
    );
    // A forged one beside a valid one does not hide it; names match byte for byte.
    assert!(read(&format!("session=forged; session={a}"))
        .unwrap()
        .is_some());
    assert_eq!(read(&format!("Session={a}")).unwrap(), None);
    assert!(matches!(
        read(&"x".repeat(20_000)),
        Err(Error::TooLarge { .. })
    ));
}
