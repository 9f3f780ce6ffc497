//! The cookie token format, pinned by `tests/vectors/cookie.json` (written by the
//! standard-library-only Python script `tests/vectors/gen_cookie_vectors.py`).

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use sessionlib::cookies::{binding_salt, CookieConfig};
use sessionlib::{Error, Key};

use crate::common::CookieAt;
use crate::common::{at_field, unhex, vectors};

fn config(v: &Value) -> CookieConfig {
    let key = Key::from_bytes(&unhex(v["key_hex"].as_str().unwrap())).unwrap();
    CookieConfig::builder(key)
        .clock(crate::common::clock)
        .salt(v["salt"].as_str().unwrap())
        .name(v["cookie_name"].as_str().unwrap())
        .try_build()
        .unwrap()
}

#[test]
fn valid_vectors_encode_and_decode_exactly() {
    let all = vectors("cookie.json");
    let valid = all["valid"].as_array().unwrap();
    assert!(valid.len() >= 5);
    for v in valid {
        let what = v["description"].as_str().unwrap();
        let salt = binding_salt(
            v["salt"].as_str().unwrap().as_bytes(),
            v["cookie_name"].as_str().unwrap(),
        )
        .unwrap();
        assert_eq!(
            salt,
            unhex(v["signing_salt_hex"].as_str().unwrap()),
            "{what}"
        );
        let config = config(v);
        let data: Value = serde_json::from_str(v["payload_json"].as_str().unwrap()).unwrap();
        let expires = at_field(v, "expires");
        let cookie = config.encode_until(&data, expires).unwrap();
        assert_eq!(cookie.value(), v["token"].as_str().unwrap(), "{what}");
        let header = format!("{}={}", v["cookie_name"].as_str().unwrap(), cookie.value());
        let verified = config
            .decode_header_at::<Value>(&header, expires - time::Duration::SECOND)
            .unwrap()
            .unwrap();
        assert_eq!(verified.data, data, "{what}");
        assert_eq!(verified.expires_at, expires, "{what}");
    }
}

#[test]
fn expect_fail_vectors_fail_with_the_named_error() {
    let all = vectors("cookie.json");
    let fail = all["expect_fail"].as_array().unwrap();
    assert!(fail.len() >= 8);
    for v in fail {
        let what = v["description"].as_str().unwrap();
        let header = format!(
            "{}={}",
            v["cookie_name"].as_str().unwrap(),
            v["token"].as_str().unwrap()
        );
        let result = config(v).decode_header_at::<Value>(&header, at_field(v, "now"));
        let name = match &result {
            Err(Error::InvalidSignature) => "InvalidSignature",
            Err(Error::Expired { .. }) => "Expired",
            Err(Error::Malformed) => "Malformed",
            other => panic!("{what}: unexpected {other:?}"),
        };
        assert_eq!(name, v["error"].as_str().unwrap(), "{what}");
    }
}

/// The committed file is what the independent Python implementation writes.
#[test]
fn vectors_match_the_python_generator() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/gen_cookie_vectors.py");
    let output = match Command::new("python3").arg(&script).arg("--check").output() {
        Ok(output) => output,
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            println!("SKIPPED: python3 is not available ({e})");
            return;
        }
        Err(e) => panic!("python3 is required when CI=true: {e}"),
    };
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
