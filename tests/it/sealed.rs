//! The sealed profile (feature `sealed`): the vectors written by the independent
//! Python implementation (`tests/interop/sealed_peer.py`, on PyNaCl) checked without
//! Python, the same peer live in both directions, and the behaviour every layer
//! promises (rotation, binding, expiry after authentication, fail-closed tampering).
//!
//! The live tests are skipped with a message when Python or PyNaCl is missing, except
//! under `CI=true`, where that is a failure.

use serde_json::{json, Value};
use sessionlib::cookies::CookieConfig;
use sessionlib::{Codec, Error, Key, KeyUsed, Keyring, SessionConfig};
use time::{Duration, OffsetDateTime};

use crate::common::forge::{b64, unb64};
use crate::common::{self, at, hex, key, now, unhex, vectors};
use crate::common::{At, CookieAt};

const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/sealed_peer.py");

fn ring_of(v: &Value) -> Keyring {
    let mut keys = v["secrets_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| Key::from_bytes(&unhex(h.as_str().unwrap())).unwrap());
    let mut ring = Keyring::new(keys.next().unwrap());
    for k in keys {
        ring = ring.with_fallback(k);
    }
    ring
}

/// Opens a vector's token the way its fields say: with a plain sealed codec, or with a
/// sealed cookie configuration reading a `Cookie:` header.
fn open(v: &Value) -> Result<sessionlib::Verified<Value>, Error> {
    let salt = v["salt"].as_str().unwrap();
    let token = v["token"].as_str().unwrap();
    let now = at(v["now"].as_i64().unwrap());
    match v["cookie_name"].as_str() {
        None => Codec::builder(ring_of(v))
            .salt(salt)
            .sealed(true)
            .build()
            .decode_at(token, now),
        Some(name) => {
            let config = CookieConfig::builder(ring_of(v))
                .clock(crate::common::clock)
                .salt(salt)
                .name(name)
                .sealed(true)
                .try_build()
                .unwrap();
            config
                .decode_header_at::<Value>(format!("{name}={token}"), now)
                .map(|found| found.expect("the cookie is in the header"))
        }
    }
}

fn error_name(e: &Error) -> &'static str {
    match e {
        Error::Malformed => "Malformed",
        Error::InvalidSignature => "InvalidSignature",
        Error::Expired { .. } => "Expired",
        Error::TooLarge { .. } => "TooLarge",
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn valid_vectors_open_with_their_data_expiry_and_key() {
    let all = vectors("sealed.json");
    let valid = all["valid"].as_array().unwrap();
    assert!(valid.len() >= 9);
    for v in valid {
        let what = v["description"].as_str().unwrap();
        let got = open(v).unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!(got.data, v["data"], "{what}");
        assert_eq!(
            got.expires_at.unix_timestamp(),
            v["expiry"].as_i64().unwrap(),
            "{what}"
        );
        assert_eq!(got.key_used.to_string(), v["key_used"], "{what}");
        // The purpose the peer derived its key for is the cookie binding salt.
        if let Some(name) = v["cookie_name"].as_str() {
            let purpose =
                sessionlib::cookies::binding_salt(v["salt"].as_str().unwrap().as_bytes(), name)
                    .unwrap();
            assert_eq!(hex(&purpose), v["purpose_hex"], "{what}");
        }
        // Only what the format shows is visible without a key.
        let seen = sessionlib::sealed::inspect_unverified(v["token"].as_str().unwrap()).unwrap();
        assert_eq!(seen.unverified_expiry, v["expiry"].as_u64().unwrap());
        assert_eq!(
            seen.ciphertext_len,
            v["plaintext"].as_str().unwrap().len(),
            "{what}"
        );
        // One second before the expiry it opens; at the expiry it is expired.
        let mut at_expiry = v.clone();
        at_expiry["now"] = v["expiry"].clone();
        assert!(
            matches!(open(&at_expiry), Err(Error::Expired { .. })),
            "{what}"
        );
    }
}

#[test]
fn expect_fail_vectors_fail_with_the_named_error() {
    let all = vectors("sealed.json");
    let fail = all["expect_fail"].as_array().unwrap();
    assert!(fail.len() >= 20);
    for v in fail {
        let what = v["description"].as_str().unwrap();
        let err = open(v).map(|_| ()).expect_err(what);
        assert_eq!(error_name(&err), v["error"], "{what}");
        // No error says anything about the token or the data.
        let text = format!("{err} {err:?}");
        assert!(!text.contains("cobra"), "{what}: {text}");
    }
}

#[test]
fn vector_generator_reproduces_the_committed_file() {
    let Some(mut python) = common::python_with(&["nacl"]) else {
        return;
    };
    python.arg(PEER).arg("vectors");
    let fresh = common::run_with_input(python, "");
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/sealed.json"
    ))
    .unwrap();
    assert!(
        fresh == committed,
        "tests/vectors/sealed.json differs from `sealed_peer.py vectors`"
    );
}

fn samples() -> Vec<Value> {
    vec![
        json!({"csrf": "3f9a1c2e7b6d4f1a", "roles": ["admin"], "user_id": 12345}),
        json!({}),
        json!({"name": "Zoë", "city": "東京", "emoji": "🦀", "q": "\"\\\n"}),
        json!([1, -2, true, null, "x", 1.5]),
        json!({"blob": "y".repeat(2000)}),
    ]
}

#[test]
fn rust_sealed_tokens_open_in_the_python_peer() {
    let Some(mut python) = common::python_with(&["nacl"]) else {
        return;
    };
    python.arg(PEER).arg("open");
    let new = Key::generate();
    let old = Key::generate();
    let ring = Keyring::new(new.clone()).with_fallback(old.clone());
    let secrets = json!([hex(new.expose_secret()), hex(old.expose_secret())]);
    let now = OffsetDateTime::now_utc();
    let expires = (now + Duration::hours(1)).replace_nanosecond(0).unwrap();
    let mut cases = Vec::new();
    let mut expected = Vec::new();
    for (i, data) in samples().into_iter().enumerate() {
        // Alternate: a codec with a salt, a cookie, and a token sealed with the old key.
        let (token, cookie_name, key_used) = match i % 3 {
            0 => {
                let codec = Codec::builder(ring.clone())
                    .salt("interop.sealed")
                    .sealed(true)
                    .build();
                (codec.encode_until(&data, expires).unwrap(), None, "primary")
            }
            1 => {
                let config = CookieConfig::builder(ring.clone())
                    .clock(crate::common::clock)
                    .salt("interop.sealed")
                    .name("__Host-sid")
                    .sealed(true)
                    .try_build()
                    .unwrap();
                let cookie = config.encode_until(&data, expires).unwrap();
                (cookie.value().to_owned(), Some("__Host-sid"), "primary")
            }
            _ => {
                let codec = Codec::builder(old.clone())
                    .salt("interop.sealed")
                    .sealed(true)
                    .build();
                (
                    codec.encode_until(&data, expires).unwrap(),
                    None,
                    "fallback:0",
                )
            }
        };
        cases.push(json!({"secrets_hex": secrets, "salt": "interop.sealed",
                          "cookie_name": cookie_name, "token": token,
                          "now": now.unix_timestamp()}));
        expected
            .push(json!({"data": data, "expiry": expires.unix_timestamp(), "key_used": key_used}));
        // A token moved to another cookie name or salt does not open in the peer either.
        cases.push(json!({"secrets_hex": secrets, "salt": "interop.sealed",
                          "cookie_name": if cookie_name.is_some() { Some("__Host-other") } else { Some("session") },
                          "token": token, "now": now.unix_timestamp()}));
        expected.push(json!({"error": "InvalidSignature"}));
    }
    let out = common::run_with_input(python, &Value::from(cases).to_string());
    let got: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(got, Value::from(expected));
}

#[test]
fn python_sealed_tokens_open_in_rust() {
    let Some(mut python) = common::python_with(&["nacl"]) else {
        return;
    };
    python.arg(PEER).arg("seal");
    let primary = Key::generate();
    let fallback = Key::generate();
    let expires = (OffsetDateTime::now_utc() + Duration::hours(2))
        .replace_nanosecond(0)
        .unwrap();
    let mut cases = Vec::new();
    for (i, data) in samples().into_iter().enumerate() {
        let key = if i % 2 == 0 { &primary } else { &fallback };
        cases.push(json!({
            "secret_hex": hex(key.expose_secret()),
            "salt": "sessionlib.session",
            "cookie_name": if i % 3 == 1 { Some("session") } else { None },
            "data": data,
            "expiry": expires.unix_timestamp(),
        }));
    }
    let out = common::run_with_input(python, &Value::from(cases.clone()).to_string());
    let tokens: Vec<String> = serde_json::from_str(&out).unwrap();
    assert_eq!(tokens.len(), cases.len());
    let ring = Keyring::new(primary.clone()).with_fallback(fallback.clone());
    let codec = Codec::builder(ring.clone()).sealed(true).build();
    let cookie = CookieConfig::builder(ring)
        .clock(crate::common::clock)
        .name("session")
        .sealed(true)
        .try_build()
        .unwrap();
    for (i, (token, case)) in tokens.iter().zip(&cases).enumerate() {
        let v = if case["cookie_name"].is_null() {
            assert_eq!(
                cookie.codec().decode::<Value>(token),
                Err(Error::InvalidSignature)
            );
            codec.decode::<Value>(token).unwrap()
        } else {
            assert_eq!(codec.decode::<Value>(token), Err(Error::InvalidSignature));
            cookie
                .decode_header::<Value>(format!("session={token}"))
                .unwrap()
                .unwrap()
        };
        assert_eq!(v.data, case["data"], "case {i}");
        assert_eq!(v.expires_at, expires);
        let used = if i % 2 == 0 {
            KeyUsed::Primary
        } else {
            KeyUsed::Fallback(0)
        };
        assert_eq!(v.key_used, used, "case {i}");
    }
}

// ---- Behaviour, in-process. ----

fn sealed(ring: impl Into<Keyring>) -> Codec {
    Codec::builder(ring).sealed(true).build()
}

#[test]
fn sealed_tokens_hide_the_data() {
    let codec = sealed(key(1));
    let token = codec
        .encode_at(&json!({"user": "cobra", "card": "4111"}), now())
        .unwrap();
    assert!(!token.contains('.'));
    assert!(sessionlib::inspect_unverified(&token).is_err());
    // Neither the base64 of the JSON nor any part of it appears.
    let plain = b64(br#"{"user":"cobra","card":"4111"}"#);
    assert!(!token.contains(&plain[..8]));
    let raw = unb64(&token);
    assert!(!raw.windows(5).any(|w| w == b"cobra"));
    assert!(!raw.windows(4).any(|w| w == b"4111"));
    // Two seals of the same data differ (random nonce) and both open.
    let again = codec
        .encode_at(&json!({"user": "cobra", "card": "4111"}), now())
        .unwrap();
    assert_ne!(token, again);
    assert_eq!(
        codec.decode_at::<Value>(&again, now()).unwrap().data["user"],
        "cobra"
    );
}

#[test]
fn signed_and_sealed_codecs_do_not_read_each_other() {
    let signed = Codec::new(key(1));
    let sealed = sealed(key(1));
    let s = signed.encode_at(&json!(1), now()).unwrap();
    let t = sealed.encode_at(&json!(1), now()).unwrap();
    assert_eq!(sealed.decode_at::<Value>(&s, now()), Err(Error::Malformed));
    assert_eq!(signed.decode_at::<Value>(&t, now()), Err(Error::Malformed));
    assert!(sealed.is_sealed() && !signed.is_sealed());
}

#[test]
fn rotation_reports_the_key_and_retired_keys_fail() {
    let old = sealed(key(1)).encode_at(&json!("x"), now()).unwrap();
    let rotated = sealed(
        Keyring::new(key(2))
            .with_fallback(key(3))
            .with_fallback(key(1)),
    );
    let v = rotated.decode_at::<Value>(&old, now()).unwrap();
    assert_eq!(v.key_used, KeyUsed::Fallback(1));
    assert!(v.needs_reissue());
    let fresh = rotated.encode_at(&json!("x"), now()).unwrap();
    assert_eq!(
        rotated.decode_at::<Value>(&fresh, now()).unwrap().key_used,
        KeyUsed::Primary
    );
    // Once the old key is dropped, the old token is as good as forged.
    let retired = sealed(Keyring::new(key(2)).with_fallback(key(3)));
    assert_eq!(
        retired.decode_at::<Value>(&old, now()),
        Err(Error::InvalidSignature)
    );
}

#[test]
fn expiry_is_checked_only_after_the_tag() {
    let codec = Codec::builder(key(1))
        .sealed(true)
        .leeway(Duration::seconds(5))
        .build();
    let expires = now() + Duration::seconds(10);
    let token = codec.encode_until(&json!(1), expires).unwrap();
    assert!(codec.decode_at::<Value>(&token, expires).is_ok());
    assert!(codec
        .verify_at(&token, expires + Duration::seconds(4))
        .is_ok());
    assert_eq!(
        codec.decode_at::<Value>(&token, expires + Duration::seconds(5)),
        Err(Error::Expired {
            expired_at: expires
        })
    );
    assert_eq!(
        codec.verify_at(&token, expires + Duration::days(1)),
        Err(Error::Expired {
            expired_at: expires
        })
    );
    // The same expired token under a wrong key is a bad tag, not "expired": nothing
    // about an unauthenticated token is reported.
    assert_eq!(
        sealed(key(2)).decode_at::<Value>(&token, expires + Duration::days(1)),
        Err(Error::InvalidSignature)
    );
    // Changing the expiry in the header breaks the tag.
    let mut raw = unb64(&token);
    raw[8] = raw[8].wrapping_add(100);
    let extended = b64(&raw);
    assert_eq!(
        codec.decode_at::<Value>(&extended, expires + Duration::days(1)),
        Err(Error::InvalidSignature)
    );
}

#[test]
fn typed_payload_errors_come_after_authentication() {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Login {
        user_id: u64,
    }
    let codec = sealed(key(1));
    let token = codec
        .encode_at(&json!({"user_id": "secret-name"}), now())
        .unwrap();
    let err = codec.decode_at::<Login>(&token, now()).unwrap_err();
    assert!(matches!(err, Error::Deserialize(_)));
    assert!(!format!("{err} {err:?}").contains("secret-name"));
}

#[test]
fn size_limit_is_checked_before_and_when_sealing() {
    let codec = Codec::builder(key(1))
        .sealed(true)
        .max_token_len(200)
        .build();
    // 200 characters hold 150 raw bytes: 101 bytes of JSON.
    let fits = json!("x".repeat(99));
    let token = codec.encode_at(&fits, now()).unwrap();
    assert_eq!(token.len(), 200);
    assert_eq!(
        codec.encode_at(&json!("x".repeat(100)), now()),
        Err(Error::TooLarge { len: 202, max: 200 })
    );
    let long = format!("{token}AAAA");
    assert_eq!(
        codec.decode_at::<Value>(&long, now()),
        Err(Error::TooLarge { len: 204, max: 200 })
    );
}

#[test]
fn cookie_and_session_layers_seal_with_one_switch() {
    let config = CookieConfig::builder(key(1))
        .clock(crate::common::clock)
        .name("__Host-s")
        .sealed(true)
        .try_build()
        .unwrap();
    assert!(config.codec().is_sealed());
    let cookie = config
        .encode_at(&json!({"user": "cobra"}), Duration::DAY, now())
        .unwrap();
    assert!(!cookie.value().contains('.'));
    let header = format!("__Host-s={}", cookie.value());
    let v = config
        .decode_header_at::<Value>(&header, now())
        .unwrap()
        .unwrap();
    assert_eq!(v.data["user"], "cobra");
    // The cookie name is bound: the same token under another name does not open.
    let other = CookieConfig::builder(key(1))
        .clock(crate::common::clock)
        .name("__Host-t")
        .sealed(true)
        .try_build()
        .unwrap();
    assert_eq!(
        other.decode_header_at::<Value>(format!("__Host-t={}", cookie.value()), now()),
        Err(Error::InvalidSignature)
    );
    // A signed cookie of the same name and key is not read by the sealed one.
    let signed = CookieConfig::builder(key(1))
        .clock(crate::common::clock)
        .name("__Host-s")
        .try_build()
        .unwrap();
    let s = signed
        .encode_at(&json!({"user": "cobra"}), Duration::DAY, now())
        .unwrap();
    assert_eq!(
        config.decode_header_at::<Value>(format!("__Host-s={}", s.value()), now()),
        Err(Error::Malformed)
    );

    // The session layer on a sealed cookie: save, load, flash, clear.
    let sessions = SessionConfig::builder(config.clone()).build();
    let mut session = sessions.load_at("", now());
    session.insert("user", "cobra").unwrap();
    session.flash("info", "hello");
    let update = sessions.save_at(&session, now()).unwrap().unwrap();
    assert!(!update.cookie().value().contains("cobra"));
    let header = format!("__Host-s={}", update.cookie().value());
    let mut loaded = sessions.load_at(&header, now());
    assert_eq!(loaded.get::<String>("user").as_deref(), Some("cobra"));
    assert_eq!(loaded.take_flashes()[0].message, "hello");
    // A tampered sealed cookie loads as a fresh session.
    let mut bytes = update.cookie().value().as_bytes().to_vec();
    bytes[40] = if bytes[40] == b'A' { b'B' } else { b'A' };
    let header = format!("__Host-s={}", String::from_utf8(bytes).unwrap());
    assert!(sessions.load_at(&header, now()).is_new());
}

#[test]
fn tamper_suite() {
    let codec = sealed(key(1));
    let t = codec
        .encode_at(&json!({"user": "cobra", "admin": false}), now())
        .unwrap();
    let u = codec.encode_at(&json!({"user": "viper"}), now()).unwrap();
    let alphabet = b"Az-_09";
    for i in 0..t.len() {
        for &c in alphabet {
            let mut bytes = t.clone().into_bytes();
            if bytes[i] == c {
                continue;
            }
            bytes[i] = c;
            let bad = String::from_utf8(bytes).unwrap();
            let r = codec.decode_at::<Value>(&bad, now());
            assert!(
                matches!(r, Err(Error::InvalidSignature | Error::Malformed)),
                "position {i}: {r:?}"
            );
        }
    }
    for bad in [
        format!("{t}A"),
        format!("{t}AA"),
        t[1..].to_owned(),
        t[..t.len() - 2].to_owned(),
        format!("{}{}", &t[..40], &u[40..]),
        format!("{}{}", &u[..40], &t[40..]),
        format!("{t}.{t}"),
    ] {
        assert!(codec.decode_at::<Value>(&bad, now()).is_err(), "{bad}");
    }
}
