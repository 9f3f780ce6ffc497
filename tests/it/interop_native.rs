//! Live interop with the real Python itsdangerous package, both ways.
//!
//! Skipped with a message when Python or itsdangerous is missing, except under
//! `CI=true`, where that is a failure.

use serde_json::{json, Value};
use sessionlib::{Codec, Key, KeyUsed, Keyring};
use time::{Duration, OffsetDateTime};

use crate::common::{self, hex};

const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/native_peer.py");

fn samples() -> Vec<Value> {
    vec![
        json!({"csrf": "3f9a1c2e7b6d4f1a9e8c7b6a5d4c3b2a", "roles": ["admin", "editor"],
               "theme": "dark", "user_id": 12345, "username": "cobra", "visits": 42}),
        json!({}),
        json!({"name": "Zoë", "city": "東京", "emoji": "🦀", "q": "\"\\\n"}),
        json!([1, -2, true, null, "x", 1.5]),
        json!("a string"),
        json!({"nested": {"deeper": {"list": [[], {}, [0]]}}}),
    ]
}

#[test]
fn rust_tokens_verify_in_itsdangerous_and_back() {
    let Some(mut python) = common::python_with(&["itsdangerous"]) else {
        return;
    };
    python.arg(PEER).arg("verify");
    let secret = *b"an interop secret of 32 bytes ok";
    let old = *b"the previous secret, also 32 ok.";
    let codec = Codec::builder(Key::from_bytes(&secret).unwrap())
        .salt("interop.session")
        .build();
    let old_codec = Codec::builder(Key::from_bytes(&old).unwrap())
        .salt("interop.session")
        .build();
    let now = OffsetDateTime::now_utc();

    let mut cases = Vec::new();
    let mut expected = Vec::new();
    for (i, data) in samples().into_iter().enumerate() {
        let expires = now + Duration::hours(1 + i as i64);
        // Every other token is signed with the old key, as after a rotation.
        let (c, key) = if i % 2 == 0 {
            (&codec, &secret)
        } else {
            (&old_codec, &old)
        };
        let token = c.encode_until(&data, expires).unwrap();
        cases.push(json!({"secret_hex": hex(key), "salt": "interop.session", "token": token}));
        expected.push(json!({"data": data, "timestamp": expires.unix_timestamp()}));
    }
    // With compression on, compressible sessions are written as itsdangerous does.
    #[cfg(feature = "zlib")]
    for (i, data) in samples().into_iter().enumerate() {
        let zlib = Codec::builder(Key::from_bytes(&secret).unwrap())
            .salt("interop.session")
            .compression(true)
            .build();
        let expires = now + Duration::minutes(10 + i as i64);
        let token = zlib.encode_until(&data, expires).unwrap();
        cases.push(json!({"secret_hex": hex(&secret), "salt": "interop.session", "token": token}));
        expected.push(json!({"data": data, "timestamp": expires.unix_timestamp()}));
    }
    let out = common::run_with_input(python, &Value::from(cases).to_string());
    let got: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(got, Value::from(expected));
}

#[test]
fn itsdangerous_tokens_decode_in_rust_byte_for_byte() {
    let Some(mut python) = common::python_with(&["itsdangerous"]) else {
        return;
    };
    python.arg(PEER).arg("make");
    let secret = Key::generate();
    let fallback = Key::generate();
    let expires = (OffsetDateTime::now_utc() + Duration::hours(2))
        .replace_nanosecond(0)
        .unwrap();
    let mut cases = Vec::new();
    for (i, data) in samples().into_iter().enumerate() {
        let key = if i % 2 == 0 { &secret } else { &fallback };
        cases.push(json!({
            "secret_hex": hex(key.expose_secret()),
            "salt": "sessionlib.session",
            "data": data,
            "timestamp": expires.unix_timestamp(),
        }));
    }
    let out = common::run_with_input(python, &Value::from(cases.clone()).to_string());
    let tokens: Vec<String> = serde_json::from_str(&out).unwrap();

    let ring = Keyring::new(secret.clone()).with_fallback(fallback.clone());
    let codec = Codec::new(ring);
    let mut compressed = 0;
    for (i, (token, case)) in tokens.iter().zip(&cases).enumerate() {
        if token.starts_with('.') {
            // itsdangerous compressed this payload (zlib saved bytes). Compression is
            // an opt-in codec setting, off by default, so the default codec refuses it.
            assert_eq!(
                codec.decode::<Value>(token),
                Err(sessionlib::Error::Malformed)
            );
            compressed += 1;
            #[cfg(feature = "zlib")]
            {
                let ring = Keyring::new(secret.clone()).with_fallback(fallback.clone());
                let zlib = Codec::builder(ring).compression(true).build();
                let v = zlib.decode::<Value>(token).unwrap();
                assert_eq!(v.data, case["data"]);
                assert_eq!(v.expires_at, expires);
            }
            continue;
        }
        let v = codec.decode::<Value>(token).unwrap();
        assert_eq!(v.data, case["data"]);
        assert_eq!(v.expires_at, expires);
        let used = if i % 2 == 0 {
            KeyUsed::Primary
        } else {
            KeyUsed::Fallback(0)
        };
        assert_eq!(v.key_used, used);
        // The same data, key and expiry give the same bytes in Rust.
        let key = if i % 2 == 0 { &secret } else { &fallback };
        let same = Codec::new(key.clone())
            .encode_until(&v.data, expires)
            .unwrap();
        assert_eq!(&same, token);
    }
    // The small session compresses; the others do not.
    assert_eq!(compressed, 1);
}

#[test]
fn vector_generator_reproduces_the_committed_file() {
    common::assert_generator_reproduces(&["itsdangerous"], "make_native_vectors.py", "native.json");
}
