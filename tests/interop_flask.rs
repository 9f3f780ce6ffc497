//! Live interop with a real Flask app (`tests/interop/flask_app.py`) and the Rust
//! example `examples/flask_bridge.rs`, both on 127.0.0.1, sharing one `session` cookie.
//!
//! Skipped with a message when Python or Flask is missing, except under `CI=true`,
//! where that is a failure.
#![cfg(feature = "flask")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sessionlib::flask::{FlaskCodec, FlaskSession, FlaskValue};
use sessionlib::KeyUsed;

const APP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/flask_app.py");
const OLD: &str = "flask interop secret"; // short, as Flask keys often are
const NEW: &str = "the rotated flask secret, longer";

/// A server process on a loopback port, stopped when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(mut command: Command, what: &str) -> Server {
        let port = common::free_port();
        command
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().unwrap_or_else(|e| panic!("{what}: {e}"));
        // Both servers print one line once they listen.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "{what} did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    fn flask(python: Command, secret: &str, fallbacks: &[&str]) -> Server {
        let mut command = python;
        command
            .arg(APP)
            .env("FLASK_SECRET_KEY", secret)
            .env("FLASK_SECRET_KEY_FALLBACKS", fallbacks.join(","));
        Server::start(command, "flask app")
    }

    fn bridge(secret: &str, fallbacks: &[&str]) -> Server {
        let mut command = Command::new(bridge_binary());
        command
            .env("FLASK_SECRET_KEY", secret)
            .env("FLASK_SECRET_KEY_FALLBACKS", fallbacks.join(","));
        Server::start(command, "flask_bridge example")
    }

    /// GET `path` with the session cookie `cookie`; returns the body and the new
    /// session cookie value, if the response set one.
    fn get(&self, path: &str, cookie: &str) -> (String, Option<String>) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        let mut request = agent.get(format!("{}{path}", self.base));
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

    fn json(&self, path: &str, cookie: &str) -> (Value, Option<String>) {
        let (body, set) = self.get(path, cookie);
        (serde_json::from_str(&body).unwrap(), set)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/<profile>/examples/flask_bridge`, built when missing or stale.
fn bridge_binary() -> PathBuf {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "--quiet",
            "--features",
            "flask",
            "--example",
            "flask_bridge",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(
        status.success(),
        "cargo build --example flask_bridge failed"
    );
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().unwrap().parent().unwrap();
    profile.join("examples").join("flask_bridge")
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
    let flask = Server::flask(python, OLD, &[]);
    let rust = Server::bridge(OLD, &[]);

    // Flask logs in; Rust decodes the cookie Flask set, every tagged type included.
    let (_, cookie) = flask.get("/login?user=cobra", "");
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
    let (page, set) = rust.get("/", &cookie);
    assert_eq!(
        page,
        "[message] Logged in successfully\nHello, cobra (from Rust)\n"
    );
    cookie = set.expect("flashes taken, cookie not rewritten");
    let (flashes, _) = flask.json("/flashes", &cookie);
    assert_eq!(flashes, json!([]));

    // Ten round trips, each side changing the session in turn.
    for round in 0..10 {
        let (_, set) = flask.get("/bump?by=flask", &cookie);
        cookie = set.unwrap();
        let (bumped, set) = rust.json("/bump", &cookie);
        cookie = set.unwrap();
        assert_eq!(bumped["counter"], json!(2 * round + 2));
    }
    let (state, _) = flask.json("/state", &cookie);
    assert_eq!(state["user_id"], json!("cobra"));
    assert_eq!(state["counter"], json!(20));
    let trail: Vec<&str> = (0..10).flat_map(|_| ["flask", "rust"]).collect();
    assert_eq!(state["trail"], json!(trail));
    all_types_ok(&state);
    let (rust_state, _) = rust.json("/state", &cookie);
    assert_eq!(rust_state["counter"], json!(20));

    // A flash set in Rust shows up in Flask's get_flashed_messages().
    let (_, set) = rust.get("/flash", &cookie);
    let (flashes, _) = flask.json("/flashes", &set.unwrap());
    assert_eq!(flashes, json!([["message", "Hello from Rust"]]));
}

#[test]
fn cookies_made_in_rust_are_read_by_flask() {
    let Some(python) = common::python_with(&["flask"]) else {
        return;
    };
    let flask = Server::flask(python, OLD, &[]);
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
    let (state, _) = flask.json("/state", &cookie);
    assert_eq!(state["user_id"], json!("made-in-rust"));
    assert_eq!(state["counter"], json!(41));
    all_types_ok(&state);

    // Large enough to be compressed: Flask inflates what Rust deflated.
    session.insert("padding".into(), FlaskValue::List(vec!["same".into(); 300]));
    let cookie = codec(OLD).encode(&session).unwrap();
    assert!(cookie.starts_with('.'));
    let (state, _) = flask.json("/state", &cookie);
    assert_eq!(state["user_id"], json!("made-in-rust"));
    all_types_ok(&state);

    // A cookie signed with another key is refused by Flask (a fresh, empty session).
    let (state, _) = flask.json("/state", &codec(NEW).encode(&session).unwrap());
    assert_eq!(state["user_id"], Value::Null);
}

#[test]
fn key_rotation_on_both_sides() {
    let Some(python) = common::python_with(&["flask"]) else {
        return;
    };
    // A session made before the rotation, by Flask with the old key.
    let (_, old_cookie) = Server::flask(common::python_with(&["flask"]).unwrap(), OLD, &[])
        .get("/login?user=cobra", "");
    let old_cookie = old_cookie.unwrap();

    // Both sides now sign with NEW and still accept OLD.
    let flask = Server::flask(python, NEW, &[OLD]);
    let rust = Server::bridge(NEW, &[OLD]);
    let (state, _) = flask.json("/state", &old_cookie);
    assert_eq!(state["user_id"], json!("cobra"));
    let (state, reissued) = rust.json("/state", &old_cookie);
    assert_eq!(state["user_id"], json!("cobra"));
    // The Rust side re-issued the cookie with the new key.
    let reissued = reissued.expect("fallback-signed cookie not re-issued");
    let v = codec(NEW).decode(&reissued).unwrap();
    assert_eq!(v.key_used, KeyUsed::Primary);
    drop(flask);

    // After the old key is retired, the re-issued cookie still works, the old one not.
    let flask = Server::flask(common::python_with(&["flask"]).unwrap(), NEW, &[]);
    let (state, _) = flask.json("/state", &reissued);
    assert_eq!(state["user_id"], json!("cobra"));
    all_types_ok(&state);
    let (state, _) = flask.json("/state", &old_cookie);
    assert_eq!(state["user_id"], Value::Null);
    let rust = {
        drop(rust);
        Server::bridge(NEW, &[])
    };
    let (page, _) = rust.get("/", &old_cookie);
    assert_eq!(page, "Not logged in\n");
}

#[test]
fn vector_generator_reproduces_the_committed_file() {
    common::assert_generator_reproduces(&["flask"], "make_flask_vectors.py", "flask.json");
}
