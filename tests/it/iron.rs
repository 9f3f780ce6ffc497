//! The Iron profile against vectors made by the real packages (iron-session,
//! iron-webcrypto, @hapi/iron, h3; `tests/interop/make_iron_vectors.mjs`), no Node
//! needed, plus rotation, cookie-header and tampering tests.

use serde_json::{json, Value};
use sessionlib::iron::{self, H3Session, IronCodec, Password, Passwords, Suffix};
use sessionlib::{Error, KeyUsed};
use time::{Duration, OffsetDateTime};

use crate::common::vectors;

const PW1: &str = "iron-session password number one, 32+ chars";
const PW2: &str = "the rotated password: number two, also 32+";

fn at_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap()
}

/// The ring of a vector: `[[id, secret], ...]`, current first; an empty id is a plain
/// password.
pub fn passwords(case: &Value) -> Passwords {
    let list = case["passwords"].as_array().unwrap();
    let password = |entry: &Value| {
        let (id, secret) = (entry[0].as_str().unwrap(), entry[1].as_str().unwrap());
        if id.is_empty() {
            Password::new(secret).unwrap()
        } else {
            Password::with_id(id, secret).unwrap()
        }
    };
    list[1..]
        .iter()
        .fold(Passwords::new(password(&list[0])), |ring, p| {
            ring.with_fallback(password(p)).unwrap()
        })
}

fn codec(case: &Value) -> IronCodec {
    let suffix = match case["suffix"].as_str().unwrap() {
        "iron-session" => Suffix::IronSession,
        "none" => Suffix::None,
        other => panic!("suffix {other}"),
    };
    IronCodec::builder(passwords(case)).suffix(suffix).build()
}

fn now(case: &Value) -> OffsetDateTime {
    at_ms(case["now_ms"].as_i64().unwrap())
}

#[test]
fn iron_vectors_from_every_package_unseal_to_their_data() {
    let doc = vectors("iron.json");
    let cases = doc["valid"].as_array().unwrap();
    assert_eq!(cases.len(), 19);
    let mut makers = std::collections::BTreeSet::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        makers.insert(case["made_by"].as_str().unwrap());
        let v = codec(case)
            .decode_at::<Value>(case["token"].as_str().unwrap(), now(case))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let js: Value = serde_json::from_str(case["json"].as_str().unwrap()).unwrap();
        assert_eq!(v.data, js, "{name}");
        assert_eq!(
            v.expires_at,
            case["expires_ms"].as_i64().map(at_ms),
            "{name}"
        );
        assert_eq!(
            v.password_id,
            case["password_id"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(v.key_used.to_string(), case["key_used"], "{name}");
        assert_eq!(v.needs_reissue(), v.key_used != KeyUsed::Primary, "{name}");
        if case["made_by"] == "h3" {
            let session = codec(case)
                .decode_at::<H3Session>(case["token"].as_str().unwrap(), now(case))
                .unwrap()
                .data;
            assert_eq!(session.data["user"], "cobra", "{name}");
        }
    }
    assert_eq!(
        makers.into_iter().collect::<Vec<_>>(),
        ["@hapi/iron", "h3", "iron-session", "iron-webcrypto"]
    );
}

#[test]
fn iron_invalid_vectors_fail_with_the_stated_error() {
    let doc = vectors("iron.json");
    let cases = doc["invalid"].as_array().unwrap();
    assert_eq!(cases.len(), 42);
    let mut accepted_by_packages = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let err = codec(case)
            .decode_at::<Value>(case["token"].as_str().unwrap(), now(case))
            .expect_err(name);
        let kind = match err {
            Error::Malformed => "Malformed",
            Error::InvalidSignature => "InvalidSignature",
            Error::Expired { .. } => "Expired",
            Error::Deserialize(_) => "Deserialize",
            Error::TooLarge { .. } => "TooLarge",
            other => panic!("{name}: unexpected {other:?}"),
        };
        assert_eq!(kind, case["error"].as_str().unwrap(), "{name}");
        if case["packages_accept"].as_bool().unwrap() {
            accepted_by_packages += 1;
        }
    }
    // The deliberate differences of the module docs, each pinned here.
    assert_eq!(accepted_by_packages, 19);
}

#[test]
fn iron_session_rotation_seals_with_the_highest_id() {
    let old = IronCodec::iron_session(Passwords::iron_session(&[("1", PW1)]).unwrap());
    let both = IronCodec::iron_session(Passwords::iron_session(&[("1", PW1), ("2", PW2)]).unwrap());
    let new = IronCodec::iron_session(Passwords::iron_session(&[("2", PW2)]).unwrap());
    let t = at_ms(1_700_000_000_000);
    let before = old.encode_at(&json!({"user": 1}), t).unwrap();
    let v = both.decode_at::<Value>(&before, t).unwrap();
    assert_eq!(
        (v.password_id.as_str(), v.key_used),
        ("1", KeyUsed::Fallback(0))
    );
    let after = both.encode_at(&v.data, t).unwrap();
    assert!(after.starts_with("Fe26.2*2*"));
    assert_eq!(
        new.decode_at::<Value>(&after, t).unwrap().data,
        json!({"user": 1})
    );
    assert_eq!(
        new.decode_at::<Value>(&before, t).unwrap_err(),
        Error::InvalidSignature
    );
}

#[test]
fn iron_cookie_header_and_max_age() {
    let codec = IronCodec::builder(Password::with_id("1", PW1).unwrap())
        .ttl(Duration::hours(1))
        .build();
    assert_eq!(codec.cookie_max_age(), Duration::seconds(3540));
    assert_eq!(
        IronCodec::builder(Password::new(PW1).unwrap())
            .ttl(Duration::ZERO)
            .build()
            .cookie_max_age(),
        Duration::seconds(2_147_483_647)
    );
    let token = codec.encode(&json!({"a": 1})).unwrap();
    let header = format!("theme=dark; app_session={token}; other=1");
    let v = codec
        .decode_header::<Value>(&header, "app_session")
        .unwrap()
        .unwrap();
    assert_eq!(v.data, json!({"a": 1}));
    assert!(codec
        .decode_header::<Value>("x=1", "app_session")
        .unwrap()
        .is_none());
    let seen = iron::inspect_unverified(&token).unwrap();
    assert_eq!(seen.password_id, "1");
    assert!(seen.iron_session_suffix);
    assert!(seen.unverified_expires_at().is_some());
}

#[test]
fn iron_errors_hold_no_token_or_password() {
    let codec = IronCodec::iron_session(Password::with_id("1", PW1).unwrap());
    let token = codec.encode(&json!({"secret": "value"})).unwrap();
    let wrong = IronCodec::iron_session(Password::with_id("1", PW2).unwrap());
    for err in [
        wrong.decode::<Value>(&token).unwrap_err(),
        codec.decode::<Value>(&token[1..]).unwrap_err(),
        codec.decode::<u8>(&token).unwrap_err(),
        Password::new("tiny pw").unwrap_err().into(),
    ] {
        let text = format!("{err} {err:?}");
        for secret in [&token[..20], PW1, PW2, "value", "tiny pw"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
    assert!(!format!("{codec:?}").contains(PW1));
}
