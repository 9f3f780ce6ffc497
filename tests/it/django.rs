//! The Django profile against vectors made by the real Django (no Python needed), plus
//! its tampering, rotation and helper tests.

use serde_json::{json, Value};
use sessionlib::django::{self, django_keyring, DjangoCodec, DjangoSession, Message, SESSION_SALT};
use sessionlib::{Error, Key, KeyUsed, PayloadErrorKind};
use time::{Duration, OffsetDateTime};

use crate::common::forge::{b64, unb64};
use crate::common::{at_field, now, vectors};

fn strs(case: &Value, field: &str) -> Vec<String> {
    case[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// The codec a vector was checked with: its keys, salt, compression and max age, no
/// leeway.
fn codec_for(case: &Value, secret: &str, fallbacks: &[String]) -> DjangoCodec {
    let fallbacks: Vec<&str> = fallbacks.iter().map(String::as_str).collect();
    let ring = django_keyring(secret, &fallbacks).unwrap();
    DjangoCodec::builder(ring)
        .salt(case["salt"].as_str().unwrap())
        .compression(case["compress"].as_bool().unwrap_or(true))
        .max_age(Duration::seconds(case["max_age"].as_i64().unwrap()))
        .leeway(Duration::ZERO)
        .build()
}

fn codec(case: &Value) -> DjangoCodec {
    codec_for(
        case,
        case["secret_key"].as_str().unwrap(),
        &strs(case, "fallbacks"),
    )
}

#[test]
fn django_vectors_decode_and_reencode() {
    let doc = vectors("django.json");
    let cases = doc["valid"].as_array().unwrap();
    assert_eq!(cases.len(), 17);
    let mut identical = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let token = case["token"].as_str().unwrap();
        let now = at_field(case, "now");
        let v = codec(case)
            .decode_at::<Value>(token, now)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.signed_at, at_field(case, "signed_at"), "{name}");
        assert_eq!(
            v.key_used.to_string(),
            case["key_used"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(v.needs_reissue(), v.key_used != KeyUsed::Primary, "{name}");
        let django_json: Value = serde_json::from_str(case["json"].as_str().unwrap()).unwrap();
        assert_eq!(v.data, django_json, "{name}");

        // Re-encode with the key that signed it, at the same time.
        let fallbacks = strs(case, "fallbacks");
        let signer = match v.key_used {
            KeyUsed::Primary => case["secret_key"].as_str().unwrap(),
            KeyUsed::Fallback(i) => fallbacks[i].as_str(),
        };
        let reencoded = codec_for(case, signer, &[])
            .encode_at(&v.data, v.signed_at)
            .unwrap();
        if case["compressed"].as_bool().unwrap() {
            // zlib output differs between implementations; the data must survive.
            assert!(reencoded.starts_with('.'), "{name}");
            let back = codec(case).decode_at::<Value>(&reencoded, now).unwrap();
            assert_eq!(back.data, v.data, "{name}");
        } else {
            assert_eq!(reencoded, token, "{name}");
            identical += 1;
        }
    }
    assert_eq!(identical, 11);
}

#[test]
fn session_vectors_read_as_sessions() {
    let doc = vectors("django.json");
    for case in doc["valid"].as_array().unwrap() {
        if case["kind"] != "session" {
            continue;
        }
        let name = case["name"].as_str().unwrap();
        let v = codec(case)
            .decode_at::<DjangoSession>(case["token"].as_str().unwrap(), at_field(case, "now"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            Value::Object(v.data),
            serde_json::from_str::<Value>(case["json"].as_str().unwrap()).unwrap()
        );
    }
}

fn case(doc: &Value, list: &str, name: &str) -> Value {
    doc[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no vector {name}"))
        .clone()
}

#[test]
fn django_messages_read_and_written_byte_for_byte() {
    let doc = vectors("django.json");
    let case = case(&doc, "valid", "messages");
    let mut v = codec(&case)
        .decode_at::<DjangoSession>(case["token"].as_str().unwrap(), at_field(&case, "now"))
        .unwrap();
    let expected: Vec<Message> = case["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let mut message = Message::new(m[0].as_i64().unwrap(), m[1].as_str().unwrap());
            message.extra_tags = m[2].as_str().map(str::to_string);
            message.safe = m[3].as_bool().unwrap();
            message
        })
        .collect();
    assert_eq!(expected.len(), 3);
    assert!(expected[1].safe && expected[2].extra_tags.is_none());
    assert_eq!(django::messages(&v.data), expected);

    // Adding the same messages to an empty session writes Django's text exactly.
    let mut rebuilt = DjangoSession::new();
    for m in &expected {
        django::add_message(&mut rebuilt, m.clone());
    }
    assert_eq!(rebuilt[django::MESSAGES_KEY], v.data[django::MESSAGES_KEY]);

    assert_eq!(django::take_messages(&mut v.data), expected);
    assert!(!v.data.contains_key(django::MESSAGES_KEY));
    assert!(django::take_messages(&mut v.data).is_empty());
}

#[test]
fn django_login_is_recognised_and_its_hash_checked() {
    let doc = vectors("django.json");
    let case = case(&doc, "valid", "auth login");
    let v = codec(&case)
        .decode_at::<DjangoSession>(case["token"].as_str().unwrap(), at_field(&case, "now"))
        .unwrap();
    let user = django::auth_user(&v.data).unwrap();
    assert_eq!(user.user_id, "7");
    assert_eq!(user.backend, django::MODEL_BACKEND);
    let password = case["password_field"].as_str().unwrap();
    let secret =
        Key::from_django_secret_key(case["secret_key"].as_str().unwrap().as_bytes()).unwrap();
    assert_eq!(django::session_auth_hash(&secret, password), user.hash);
    let ring = django_keyring(case["secret_key"].as_str().unwrap(), &[]).unwrap();
    assert_eq!(
        django::verify_session_auth_hash(&v.data, &ring, password),
        Some(KeyUsed::Primary)
    );
    // After a password change Django ends the session; so does the check.
    assert_eq!(
        django::verify_session_auth_hash(&v.data, &ring, "pbkdf2_sha256$new"),
        None
    );
    // Rotated: the old key's hash verifies as a fallback.
    let rotated = django_keyring("a new secret", &[case["secret_key"].as_str().unwrap()]).unwrap();
    assert_eq!(
        django::verify_session_auth_hash(&v.data, &rotated, password),
        Some(KeyUsed::Fallback(0))
    );
}

#[test]
fn session_expiry_is_not_enforced_like_django() {
    let doc = vectors("django.json");
    let case = case(&doc, "valid", "session expiry not enforced (ticket 19201)");
    let v = codec(&case)
        .decode_at::<DjangoSession>(case["token"].as_str().unwrap(), at_field(&case, "now"))
        .unwrap();
    // `_session_expiry` is 60 seconds, the cookie was signed an hour ago: still read.
    assert_eq!(v.data["_session_expiry"], json!(60));
    assert!(at_field(&case, "now") - v.signed_at > Duration::seconds(60));
}

fn kind(err: &Error) -> &'static str {
    match err {
        Error::Malformed => "Malformed",
        Error::InvalidSignature => "InvalidSignature",
        Error::Expired { .. } => "Expired",
        Error::NotYetValid { .. } => "NotYetValid",
        Error::DecompressionLimit { .. } => "DecompressionLimit",
        Error::Deserialize(p) => match p.kind() {
            PayloadErrorKind::Syntax => "Syntax",
            _ => "Data",
        },
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn django_expect_fail_vectors() {
    let doc = vectors("django.json");
    let cases = doc["invalid"].as_array().unwrap();
    assert_eq!(cases.len(), 30);
    let mut divergences = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let token = case["token"].as_str().unwrap();
        let c = DjangoCodec::builder(
            django_keyring(
                case["secret_key"].as_str().unwrap(),
                &strs(case, "fallbacks")
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
        )
        .salt(case["salt"].as_str().unwrap())
        .max_age(Duration::seconds(case["max_age"].as_i64().unwrap()))
        .build();
        let err = c
            .decode_at::<DjangoSession>(token, at_field(case, "now"))
            .expect_err(name);
        assert_eq!(kind(&err), case["error"].as_str().unwrap(), "{name}");
        // No error shows the token or any part of it.
        let shown = format!("{err} {err:?}");
        if token.len() >= 8 {
            assert!(!shown.contains(&token[..8]), "{name}: {shown}");
        }
        if case["django_accepts"].as_bool().unwrap() {
            divergences.push(name);
        }
    }
    // Each deliberate divergence from Django is one of these vectors.
    assert_eq!(
        divergences,
        [
            "signed: padded payload",
            "signed: non-canonical payload base64",
            "signed: colon inside the payload",
            "signed: timestamp with a leading zero",
            "signed: timestamp beyond 64 bits",
            "signed: an hour in the future",
            "signed: zlib bomb",
            "signed: two zlib streams",
            "signed: trailing byte after zlib stream",
            "signed: raw UTF-8 in the JSON",
            "signed: NaN",
            "signed: lone surrogate",
            "signed: session not an object",
        ]
    );
}

fn sessions() -> DjangoCodec {
    DjangoCodec::from_django_settings("dev", &[]).unwrap()
}

#[test]
fn presets_match_django_settings() {
    let codec = sessions();
    assert_eq!(codec.max_age(), Duration::seconds(1_209_600));
    let long = json!({"items": vec!["widget"; 40]});
    assert!(codec.encode_at(&long, now()).unwrap().starts_with('.'));
    let plain = DjangoCodec::builder(django_keyring("dev", &[]).unwrap()).build();
    let token = plain.encode_at(&long, now()).unwrap();
    assert!(!token.starts_with('.'));
    // Different salts: neither reads the other's tokens.
    assert_eq!(
        codec.decode_at::<Value>(&token, now()).unwrap_err(),
        Error::InvalidSignature
    );
    // A compressed token is read whatever `compress` says, as Django does.
    let zipped = DjangoCodec::builder(django_keyring("dev", &[]).unwrap())
        .compression(true)
        .build()
        .encode_at(&long, now())
        .unwrap();
    assert_eq!(plain.decode_at::<Value>(&zipped, now()).unwrap().data, long);
    assert_eq!(
        DjangoCodec::from_django_settings("", &[]).unwrap_err(),
        Error::Key(sessionlib::KeyError::Empty)
    );
    assert_eq!(
        sessions().encode_at(&json!({}), OffsetDateTime::UNIX_EPOCH),
        Err(Error::ExpiryOutOfRange)
    );
}

#[test]
fn every_byte_flip_append_and_truncation_is_refused() {
    let codec = sessions();
    for data in [
        json!({"user": "cobra"}),
        json!({"items": vec!["widget"; 40]}),
    ] {
        let token = codec.encode_at(&data, now()).unwrap();
        let bytes = token.as_bytes();
        for i in 0..bytes.len() {
            for bit in [0x01u8, 0x20, 0x80] {
                let mut forged = bytes.to_vec();
                forged[i] ^= bit;
                let forged = String::from_utf8_lossy(&forged);
                assert!(
                    codec.decode_at::<Value>(&forged, now()).is_err(),
                    "{i} {bit}"
                );
            }
            assert!(codec.decode_at::<Value>(&token[..i], now()).is_err());
        }
        for extra in ["=", ":", ".", "A", " "] {
            let longer = format!("{token}{extra}");
            assert!(codec.decode_at::<Value>(&longer, now()).is_err());
        }
        // Swapping the timestamp of one token into another.
        let other = codec
            .encode_at(&data, now() + Duration::seconds(1))
            .unwrap();
        let a: Vec<&str> = token.rsplitn(3, ':').collect();
        let b: Vec<&str> = other.rsplitn(3, ':').collect();
        let swapped = format!("{}:{}:{}", a[2], b[1], a[0]);
        assert_eq!(
            codec.decode_at::<Value>(&swapped, now()).unwrap_err(),
            Error::InvalidSignature
        );
    }
}

#[test]
fn rotation_reports_the_key_and_reissues_with_the_primary() {
    let old = DjangoCodec::from_django_settings("old secret", &[]).unwrap();
    let token = old.encode_at(&json!({"user": "cobra"}), now()).unwrap();
    let rotated = DjangoCodec::from_django_settings("new secret", &["x", "old secret"]).unwrap();
    let v = rotated.decode_at::<DjangoSession>(&token, now()).unwrap();
    assert_eq!(v.key_used, KeyUsed::Fallback(1));
    assert!(v.needs_reissue());
    let fresh = rotated.encode_at(&v.data, now()).unwrap();
    let retired = DjangoCodec::from_django_settings("new secret", &[]).unwrap();
    assert_eq!(
        retired
            .decode_at::<DjangoSession>(&fresh, now())
            .unwrap()
            .key_used,
        KeyUsed::Primary
    );
    assert_eq!(
        retired
            .decode_at::<DjangoSession>(&token, now())
            .unwrap_err(),
        Error::InvalidSignature
    );
}

#[test]
fn typed_data_and_header_reading() {
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Cart {
        user: String,
        items: Vec<u32>,
    }
    let codec = DjangoCodec::session_builder(django::django_keyring("dev", &[]).unwrap())
        .clock(now)
        .build();
    let cart = Cart {
        user: "cobra".into(),
        items: vec![1, 2],
    };
    let token = codec.encode_at(&cart, now()).unwrap();
    // Struct fields keep their order: the JSON is exactly what json.dumps writes.
    let payload = token.split(':').next().unwrap();
    assert_eq!(unb64(payload), br#"{"user":"cobra","items":[1,2]}"#);
    let header = format!("csrftoken=abc; sessionid={token}; theme=dark");
    let v = codec
        .decode_header::<Cart>(&header, django::SESSION_COOKIE_NAME)
        .unwrap()
        .unwrap();
    assert_eq!(v.data, cart);
    assert!(codec
        .decode_header::<Cart>("csrftoken=abc", "sessionid")
        .unwrap()
        .is_none());
    let err = codec
        .decode_at::<std::collections::HashMap<String, u32>>(&token, now())
        .unwrap_err();
    assert!(matches!(err, Error::Deserialize(_)));
    assert!(!err.to_string().contains("cobra"));
}

#[test]
fn signer_is_djangos_salted_hmac() {
    // django.core.signing.Signer(key="dev", salt=SESSION_SALT).signature("e30:1r30im")
    let doc = vectors("django.json");
    let case = case(&doc, "valid", "empty");
    let token = case["token"].as_str().unwrap();
    let (text, sig) = token.rsplit_once(':').unwrap();
    let ring = django_keyring(case["secret_key"].as_str().unwrap(), &[]).unwrap();
    let signer = django::signer(&ring, SESSION_SALT.as_bytes());
    assert_eq!(b64(signer.sign(text.as_bytes()).as_bytes()), sig);
}
