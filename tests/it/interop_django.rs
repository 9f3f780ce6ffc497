//! Live interop with a real Django app (`tests/interop/django_app.py`: signed-cookie
//! sessions, `django.contrib.auth` on SQLite, messages in the session) and the Rust
//! example `examples/django_bridge.rs`, both on 127.0.0.1, sharing one `sessionid`
//! cookie.
//!
//! Skipped with a message when Python or Django is missing, except under `CI=true`,
//! where that is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use sessionlib::django::{self, DjangoCodec, DjangoSession};
use sessionlib::KeyUsed;

use crate::common;
use crate::common::Server;

const APP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/django_app.py");
const OLD: &str = "django interop secret"; // hand-written, as Django keys often are
const NEW: &str = "the rotated django secret, longer than the first";
const LOGIN: &str = "/login?user=cobra&password=cobra-password";

/// Starts the Django app; `data_dir` keeps its database across restarts (the user's
/// password field, which `login()` hashes into the session, must not change).
fn start_django(python: Command, data_dir: &Path, secret: &str, fallbacks: &[&str]) -> Server {
    let mut command = python;
    command
        .arg(APP)
        .env("DJANGO_DATA_DIR", data_dir)
        .env("DJANGO_SECRET_KEY", secret)
        .env("DJANGO_SECRET_KEY_FALLBACKS", fallbacks.join(","));
    Server::spawn(command, "the Django app")
}

fn start_bridge(secret: &str, fallbacks: &[&str]) -> Server {
    let mut command = Command::new(common::example_binary("django_bridge"));
    command
        .env("DJANGO_SECRET_KEY", secret)
        .env("DJANGO_SECRET_KEY_FALLBACKS", fallbacks.join(","));
    Server::spawn(command, "examples/django_bridge.rs")
}

/// A new, empty directory for one test's database, removed when dropped.
struct DataDir(PathBuf);

impl DataDir {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "sessionlib-django-{test}-{}-{}",
            std::process::id(),
            common::free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn python() -> Option<Command> {
    common::python_with(&["django"])
}

/// GET `path` from `server` with the session cookie `cookie` (none when empty);
/// returns the body and the new session cookie value, if the response set one.
fn get(server: &Server, path: &str, cookie: &str) -> (String, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut request = agent.get(server.url(path));
    if !cookie.is_empty() {
        request = request.header("Cookie", format!("sessionid={cookie}"));
    }
    let response = request.call().unwrap();
    let set_cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().trim().to_string())
        .find_map(|c| {
            let value = c.strip_prefix("sessionid=")?.split(';').next()?;
            Some(value.trim_matches('"').to_string())
        });
    (response.into_body().read_to_string().unwrap(), set_cookie)
}

fn get_json(server: &Server, path: &str, cookie: &str) -> (Value, Option<String>) {
    let (body, set) = get(server, path, cookie);
    (serde_json::from_str(&body).unwrap(), set)
}

fn codec(secret: &str) -> DjangoCodec {
    DjangoCodec::from_django_settings(secret, &[]).unwrap()
}

#[test]
fn django_and_rust_share_one_session() {
    let Some(python) = python() else {
        return;
    };
    let data = DataDir::new("shared");
    let django_app = start_django(python, &data.0, OLD, &[]);
    let rust = start_bridge(OLD, &[]);

    // Django's own login(); Rust reads the cookie Django set.
    let (body, cookie) = get(&django_app, LOGIN, "");
    assert_eq!(body, "ok");
    let mut cookie = cookie.expect("Django set no cookie");
    let v = codec(OLD).decode::<DjangoSession>(&cookie).unwrap();
    assert_eq!(v.key_used, KeyUsed::Primary);
    let user = django::auth_user(&v.data).unwrap();
    let (state, _) = get_json(&django_app, "/state", &cookie);
    assert_eq!(state["username"], json!("cobra"));
    assert_eq!(state["user_id"], json!(user.user_id));
    assert_eq!(user.backend, django::MODEL_BACKEND);
    assert_eq!(user.hash.len(), 64);

    // The Rust route recognises the user and shows (and consumes) Django's message.
    let (page, set) = get(&rust, "/", &cookie);
    assert_eq!(
        page,
        format!(
            "[success] Logged in successfully\nHello, user {} (from Rust)\n",
            user.user_id
        )
    );
    cookie = set.expect("messages taken, cookie not rewritten");
    let (pending, _) = get_json(&django_app, "/messages", &cookie);
    assert_eq!(pending, json!([]));

    // Ten round trips, each side changing the session in turn.
    for round in 0..10 {
        let (_, set) = get(&django_app, "/bump?by=django", &cookie);
        cookie = set.unwrap();
        let (bumped, set) = get_json(&rust, "/bump", &cookie);
        cookie = set.unwrap();
        assert_eq!(bumped["counter"], json!(2 * round + 2));
    }
    let (state, _) = get_json(&django_app, "/state", &cookie);
    assert_eq!(state["username"], json!("cobra"), "{state}");
    assert_eq!(state["user_id"], json!(user.user_id));
    assert_eq!(state["counter"], json!(20));
    let trail: Vec<&str> = (0..10).flat_map(|_| ["django", "rust"]).collect();
    assert_eq!(state["trail"], json!(trail));
    let (rust_state, _) = get_json(&rust, "/state", &cookie);
    assert_eq!(rust_state["counter"], json!(20));
    assert_eq!(rust_state["trail"], json!(trail));
    assert_eq!(rust_state["user_id"], json!(user.user_id));

    // A message added in Rust is shown by Django's get_messages().
    let (_, set) = get(&rust, "/message", &cookie);
    let (pending, set) = get_json(&django_app, "/messages", &set.unwrap());
    assert_eq!(pending, json!([[25, "Hello from Rust", ""]]));
    // Displayed messages are gone from the cookie Django writes back.
    let v = codec(OLD).decode::<DjangoSession>(&set.unwrap()).unwrap();
    assert!(django::messages(&v.data).is_empty());
    assert_eq!(django::auth_user(&v.data).unwrap().user_id, user.user_id);
}

#[test]
fn sessions_made_in_rust_are_read_by_django() {
    let Some(python) = python() else {
        return;
    };
    let dir = DataDir::new("rust-made");
    let django_app = start_django(python, &dir.0, OLD, &[]);
    let data = json!({"name": "Zoë 東京 🦀", "n": [1.5, 1e16, -0.0, 12345678901234567890u64],
                      "nested": {"a": [null, true, {"b": "\u{7f}\n"}]}});
    let mut session = DjangoSession::new();
    session.insert("data".into(), data.clone());
    session.insert("counter".into(), json!(41));
    let cookie = codec(OLD).encode(&session).unwrap();
    let (state, _) = get_json(&django_app, "/state", &cookie);
    assert_eq!(state["counter"], json!(41));
    assert_eq!(state["data"], data);

    // Large enough to be compressed: Django inflates what Rust deflated.
    session.insert("padding".into(), json!(vec!["same"; 300]));
    let cookie = codec(OLD).encode(&session).unwrap();
    assert!(cookie.starts_with('.'));
    let (state, _) = get_json(&django_app, "/state", &cookie);
    assert_eq!(state["data"], data);
    assert!(state["keys"]
        .as_array()
        .unwrap()
        .contains(&json!("padding")));

    // Signed with another key, or for another salt: Django starts a fresh session.
    let (state, _) = get_json(&django_app, "/state", &codec(NEW).encode(&session).unwrap());
    assert_eq!(state["keys"], json!([]));
    let other_salt = DjangoCodec::builder(django::django_keyring(OLD, &[]).unwrap())
        .compression(true)
        .build();
    let (state, _) = get_json(&django_app, "/state", &other_salt.encode(&session).unwrap());
    assert_eq!(state["keys"], json!([]));
}

#[test]
fn key_rotation_on_both_sides() {
    let Some(python) = python() else {
        return;
    };
    // A session made before the rotation, by Django with the old key.
    let data = DataDir::new("rotation");
    let before = start_django(python, &data.0, OLD, &[]);
    let (_, old_cookie) = get(&before, LOGIN, "");
    let old_cookie = old_cookie.unwrap();
    let (_, old_cookie) = get(&before, "/bump?by=django", &old_cookie);
    let old_cookie = old_cookie.unwrap();
    drop(before);
    let user_id = django::auth_user(
        &codec(OLD)
            .decode::<DjangoSession>(&old_cookie)
            .unwrap()
            .data,
    )
    .unwrap()
    .user_id;

    // Both sides now sign with NEW and still accept OLD.
    let django_app = start_django(self::python().unwrap(), &data.0, NEW, &[OLD]);
    let rust = start_bridge(NEW, &[OLD]);
    let (state, _) = get_json(&django_app, "/state", &old_cookie);
    assert_eq!(state["username"], json!("cobra"));
    assert_eq!(state["counter"], json!(1));
    let (state, reissued) = get_json(&rust, "/state", &old_cookie);
    assert_eq!(state["user_id"], json!(user_id));
    assert_eq!(state["key_used"], json!("fallback:0"));
    // The Rust side re-issued the cookie with the new key.
    let reissued = reissued.expect("fallback-signed cookie not re-issued");
    let v = codec(NEW).decode::<DjangoSession>(&reissued).unwrap();
    assert_eq!(v.key_used, KeyUsed::Primary);
    let (state, again) = get_json(&rust, "/state", &reissued);
    assert_eq!(state["key_used"], json!("primary"));
    assert_eq!(again, None, "a primary-signed cookie is not re-issued");
    drop(django_app);
    drop(rust);

    // The old key retired: the old cookie is refused by both.
    let django_app = start_django(self::python().unwrap(), &data.0, NEW, &[]);
    let rust = start_bridge(NEW, &[]);
    let (state, _) = get_json(&django_app, "/state", &old_cookie);
    assert_eq!(state["keys"], json!([]));
    assert_eq!(state["username"], Value::Null);
    let (page, _) = get(&rust, "/", &old_cookie);
    assert_eq!(page, "Not logged in\n");
    let (state, _) = get_json(&rust, "/state", &old_cookie);
    assert_eq!(state["key_used"], Value::Null);

    // The re-issued cookie verifies on both sides and keeps its values. Django then
    // logs the user out: `_auth_user_hash` is still the old key's HMAC of the
    // password, which Django only accepts while the old key is a fallback (see
    // docs/django.md).
    let (state, _) = get_json(&rust, "/state", &reissued);
    assert_eq!(state["user_id"], json!(user_id));
    assert_eq!(state["counter"], json!(1));
    let (state, _) = get_json(&django_app, "/state", &reissued);
    assert_eq!(state["user_id"], json!(user_id));
    assert_eq!(state["counter"], json!(1));
    assert_eq!(state["username"], Value::Null);
}

#[test]
fn vector_generator_reproduces_the_committed_file() {
    common::assert_generator_reproduces(&["django"], "make_django_vectors.py", "django.json");
}
