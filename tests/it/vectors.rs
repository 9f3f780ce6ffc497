//! Checks every native test vector (made by Python itsdangerous, see
//! `tests/interop/make_native_vectors.py`) without needing Python.

use serde_json::Value;
use sessionlib::{Codec, Error, Key, KeyUsed, Keyring};

use crate::common::{at_field, unhex, vectors};

fn keys(case: &Value) -> Vec<Key> {
    case["keys_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| Key::from_bytes(&unhex(k.as_str().unwrap())).unwrap())
        .collect()
}

fn codec(keys: &[Key], case: &Value) -> Codec {
    let mut ring = Keyring::new(keys[0].clone());
    for k in &keys[1..] {
        ring = ring.with_fallback(k.clone());
    }
    Codec::builder(ring)
        .salt(case["salt"].as_str().unwrap())
        .build()
}

#[test]
fn valid_vectors_decode_and_reencode_byte_for_byte() {
    let doc = vectors("native.json");
    let cases = doc["valid"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let token = case["token"].as_str().unwrap();
        let keys = keys(case);
        let v = codec(&keys, case)
            .decode_at::<Value>(token, at_field(case, "now"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            serde_json::to_string(&v.data).unwrap(),
            case["json"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(v.expires_at, at_field(case, "expires"), "{name}");
        assert_eq!(
            v.key_used.to_string(),
            case["key_used"].as_str().unwrap(),
            "{name}"
        );

        // The key that signed, as primary, makes the very same token.
        let signing = match v.key_used {
            KeyUsed::Primary => 0,
            KeyUsed::Fallback(i) => i + 1,
        };
        let reencoded = codec(&keys[signing..=signing], case)
            .encode_until(&v.data, v.expires_at)
            .unwrap();
        assert_eq!(reencoded, token, "{name}");
    }
}

#[test]
fn invalid_vectors_fail_with_the_stated_error() {
    let doc = vectors("native.json");
    let cases = doc["invalid"].as_array().unwrap();
    assert!(cases.len() >= 25);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let err = codec(&keys(case), case)
            .decode_at::<Value>(case["token"].as_str().unwrap(), at_field(case, "now"))
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
    }
}
