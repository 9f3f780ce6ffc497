//! Live interop with a real Flask app (`tests/interop/flask_app.py`) and the Rust
//! example `examples/flask_bridge.rs`, both on 127.0.0.1, sharing one `session` cookie.
//!
//! Skipped with a message when Python or Flask is missing, except under `CI=true`,
//! where that is a failure.

use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use sessionlib::flask::{FlaskCodec, FlaskSession, FlaskValue};
use sessionlib::KeyUsed;

use crate::common;
use crate::common::Server;

const APP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/flask_app.py");
const OLD: &str = "flask interop secret"; // short, as Flask keys often are
const NEW: &str = "the rotated flask secret, longer";

fn start_flask(python: Command, secret: &str, fallbacks: &[&str]) -> Server {
    let mut command = python;
    command
        .arg(APP)
        .env("FLASK_SECRET_KEY", secret)
        .env("FLASK_SECRET_KEY_FALLBACKS", fallbacks.join(","));
    Server::spawn(command, "the Flask app")
}

fn start_bridge(secret: &str, fallbacks: &[&str]) -> Server {
    let mut command = Command::new(common::example_binary("flask_bridge"));
    command
        .env("FLASK_SECRET_KEY", secret)
        .env("FLASK_SECRET_KEY_FALLBACKS", fallbacks.join(","));
    Server::spawn(command, "examples/flask_bridge.rs")
}

/// GET `path` from `server` with the session cookie `cookie` (none when empty);
/// returns the body and the new session cookie value, if the response set one.
fn get(server: &Server, path: &str, cookie: &str) -> (String, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    let mut request = agent.get(server.url(path));
    if !cookie.is_empty() {
        request = request.header("Cookie", format!("session={cookie}"));
    }
    let response = request.call().unwrap();
    let set_cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find_map(|c| {
            let value = c.strip_prefix("session=")?.split(';').next()?;
            Some(value.trim_matches('"').to_string())
        });
    (response.into_body().read_to_string().unwrap(), set_cookie)
}

fn get_json(server: &Server, path: &str, cookie: &str) -> (Value, Option<String>) {
    let (body, set) = get(server, path, cookie);
    (serde_json::from_str(&body).unwrap(), set)
}

fn codec(secret: &str) -> FlaskCodec {
    FlaskCodec::from_flask_config(secret.as_bytes(), &[]).unwrap()
}

fn all_types_ok(state: &Value) {
    let types = state["types_ok"].as_object().unwrap();
    assert_eq!(types.len(), 6, "{state}");
    assert!(types.values().all(|v| v == &json!(true)), "{state}");
}

#[test]
fn flask_and_rust_share_one_session() {
    let Some(python) = common::python_with(&["flask"]) else {
        return;
    };
    let flask = start_flask(python, OLD, &[]);
    let rust = start_bridge(OLD, &[]);

    // Flask logs in; Rust decodes the cookie Flask set, every tagged type included.
    let (_, cookie) = get(&flask, "/login?user=cobra", "");
    let mut cookie = cookie.expect("Flask set no cookie");
    let v = codec(OLD).decode(&cookie).unwrap();
    assert_eq!(v.key_used, KeyUsed::Primary);
    let types = match &v.data["types"] {
        FlaskValue::Dict(types) => types.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(types["point"], FlaskValue::Tuple(vec![3.into(), 4.into()]));
    assert_eq!(
        types["raw"],
        FlaskValue::Bytes(b"\x00\x01 bytes \xff".to_vec())
    );
    assert!(matches!(types["id"], FlaskValue::Uuid(_)));
    assert!(matches!(types["at"], FlaskValue::DateTime(_)));
    assert_eq!(types["html"], FlaskValue::Markup("<b>safe</b>".into()));

    // The Rust app shows Flask's login and flash, and consumes the flash.
    let (page, set) = get(&rust, "/", &cookie);
    assert_eq!(
        page,
        "[message] Logged in successfully\nHello, cobra (from Rust)\n"
    );
    cookie = set.expect("flashes taken, cookie not rewritten");
    let (flashes, _) = get_json(&flask, "/flashes", &cookie);
    assert_eq!(flashes, json!([]));

    // Ten round trips, each side changing the session in turn.
    for round in 0..10 {
        let (_, set) = get(&flask, "/bump?by=flask", &cookie);
        cookie = set.unwrap();
        let (bumped, set) = get_json(&rust, "/bump", &cookie);
        cookie = set.unwrap();
        assert_eq!(bumped["counter"], json!(2 * round + 2));
    }
    let (state, _) = get_json(&flask, "/state", &cookie);
    assert_eq!(state["user_id"], json!("cobra"));
    assert_eq!(state["counter"], json!(20));
    let trail: Vec<&str> = (0..10).flat_map(|_| ["flask", "rust"]).collect();
    assert_eq!(state["trail"], json!(trail));
    all_types_ok(&state);
    let (rust_state, _) = get_json(&rust, "/state", &cookie);
    assert_eq!(rust_state["counter"], json!(20));

    // A flash set in Rust shows up in Flask's get_flashed_messages().
    let (_, set) = get(&rust, "/flash", &cookie);
    let (flashes, _) = get_json(&flask, "/flashes", &set.unwrap());
    assert_eq!(flashes, json!([["message", "Hello from Rust"]]));
}

#[test]
fn cookies_made_in_rust_are_read_by_flask() {
    let Some(python) = common::python_with(&["flask"]) else {
        return;
    };
    let flask = start_flask(python, OLD, &[]);
    // Every tagged type, as the Flask app's TYPES holds them.
    let mut types = FlaskSession::new();
    types.insert("point".into(), FlaskValue::Tuple(vec![3.into(), 4.into()]));
    types.insert(
        "raw".into(),
        FlaskValue::Bytes(b"\x00\x01 bytes \xff".to_vec()),
    );
    let mut id = [0u8; 16];
    id.copy_from_slice(&[
        0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56,
        0x78,
    ]);
    types.insert("id".into(), FlaskValue::Uuid(id));
    let at = time::OffsetDateTime::from_unix_timestamp(1_445_412_480).unwrap();
    types.insert("at".into(), FlaskValue::DateTime(at));
    types.insert("html".into(), FlaskValue::Markup("<b>safe</b>".into()));
    let mut nested = FlaskSession::new();
    nested.insert(
        " t".into(),
        FlaskValue::List(vec!["not".into(), "a".into(), "tuple".into()]),
    );
    types.insert("nested".into(), FlaskValue::Dict(nested));

    let mut session = FlaskSession::new();
    session.insert("user_id".into(), "made-in-rust".into());
    session.insert("counter".into(), 41.into());
    session.insert("types".into(), FlaskValue::Dict(types.clone()));
    let cookie = codec(OLD).encode(&session).unwrap();
    let (state, _) = get_json(&flask, "/state", &cookie);
    assert_eq!(state["user_id"], json!("made-in-rust"));
    assert_eq!(state["counter"], json!(41));
    all_types_ok(&state);

    // Large enough to be compressed: Flask inflates what Rust deflated.
    session.insert("padding".into(), FlaskValue::List(vec!["same".into(); 300]));
    let cookie = codec(OLD).encode(&session).unwrap();
    assert!(cookie.starts_with('.'));
    let (state, _) = get_json(&flask, "/state", &cookie);
    assert_eq!(state["user_id"], json!("made-in-rust"));
    all_types_ok(&state);

    // A cookie signed with another key is refused by Flask (a fresh, empty session).
    let (state, _) = get_json(&flask, "/state", &codec(NEW).encode(&session).unwrap());
    assert_eq!(state["user_id"], Value::Null);
}

#[test]
fn key_rotation_on_both_sides() {
    let Some(python) = common::python_with(&["flask"]) else {
        return;
    };
    // A session made before the rotation, by Flask with the old key.
    let before = start_flask(common::python_with(&["flask"]).unwrap(), OLD, &[]);
    let (_, old_cookie) = get(&before, "/login?user=cobra", "");
    drop(before);
    let old_cookie = old_cookie.unwrap();

    // Both sides now sign with NEW and still accept OLD.
    let flask = start_flask(python, NEW, &[OLD]);
    let rust = start_bridge(NEW, &[OLD]);
    let (state, _) = get_json(&flask, "/state", &old_cookie);
    assert_eq!(state["user_id"], json!("cobra"));
    let (state, reissued) = get_json(&rust, "/state", &old_cookie);
    assert_eq!(state["user_id"], json!("cobra"));
    // The Rust side re-issued the cookie with the new key.
    let reissued = reissued.expect("fallback-signed cookie not re-issued");
    let v = codec(NEW).decode(&reissued).unwrap();
    assert_eq!(v.key_used, KeyUsed::Primary);
    drop(flask);

    // After the old key is retired, the re-issued cookie still works, the old one not.
    let flask = start_flask(common::python_with(&["flask"]).unwrap(), NEW, &[]);
    let (state, _) = get_json(&flask, "/state", &reissued);
    assert_eq!(state["user_id"], json!("cobra"));
    all_types_ok(&state);
    let (state, _) = get_json(&flask, "/state", &old_cookie);
    assert_eq!(state["user_id"], Value::Null);
    let rust = {
        drop(rust);
        start_bridge(NEW, &[])
    };
    let (page, _) = get(&rust, "/", &old_cookie);
    assert_eq!(page, "Not logged in\n");
}

#[test]
fn vector_generator_reproduces_the_committed_file() {
    common::assert_generator_reproduces(&["flask"], "make_flask_vectors.py", "flask.json");
}
