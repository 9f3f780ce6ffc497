//! Live interop with the real JavaScript packages, in Node: the committed vectors are
//! what `tests/interop/make_iron_vectors.mjs` makes; tokens sealed here are opened by
//! iron-session, iron-webcrypto, @hapi/iron and h3 (`tests/interop/iron_peer.mjs`);
//! and a plain Node server on iron-session's `getIronSession`
//! (`tests/interop/iron_session_app.mjs`) and an h3 app on `useSession`
//! (`tests/interop/h3_app.mjs`) share their sessions with Rust (the example
//! `examples/nextjs_bridge.rs`, and an `IronCodec`), over HTTP on 127.0.0.1,
//! including a password rotation on both sides.
//!
//! Skipped with a message when Node or the packages (`npm ci` in `tests/interop`) are
//! missing, except under `CI=true`, where that is a failure.

use std::process::Command;
use std::time::Duration as StdDuration;

use serde_json::{json, Value};
use sessionlib::iron::{H3Session, IronCodec, Password, Passwords, Suffix};
use sessionlib::KeyUsed;
use time::Duration;

use crate::common::{self, node_with_packages, run_with_input, Server};

const PW1: &str = "iron-session password number one, 32+ chars";
const PW2: &str = "the rotated password: number two, also 32+";

fn node_app(node: Command, script: &str, env: &[(&str, &str)], name: &'static str) -> Server {
    let mut command = node;
    command.arg(script).envs(env.iter().copied());
    Server::spawn(command, name)
}

fn iron_session_app(node: Command, passwords: &Value) -> Server {
    node_app(
        node,
        "iron_session_app.mjs",
        &[("IRON_SESSION_PASSWORDS", &passwords.to_string())],
        "tests/interop/iron_session_app.mjs",
    )
}

fn bridge(passwords: &Value) -> Server {
    let mut command = Command::new(common::example_binary("nextjs_bridge"));
    command
        .env_remove("IRON_SESSION_PASSWORD")
        .env("IRON_SESSION_PASSWORDS", passwords.to_string());
    Server::spawn(command, "examples/nextjs_bridge.rs")
}

/// GET `path` with the cookie `name=value` (none when `value` is empty); the body and
/// the new value of that cookie, if the response set one.
fn get(server: &Server, path: &str, name: &str, value: &str) -> (String, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(StdDuration::from_secs(30)))
        .build()
        .into();
    let mut request = agent.get(server.url(path));
    if !value.is_empty() {
        request = request.header("Cookie", format!("{name}={value}"));
    }
    let response = request.call().unwrap();
    let prefix = format!("{name}=");
    let set_cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().trim().to_string())
        .find_map(|c| Some(c.strip_prefix(&prefix)?.split(';').next()?.to_string()));
    (response.into_body().read_to_string().unwrap(), set_cookie)
}

fn get_json(server: &Server, path: &str, name: &str, value: &str) -> (Value, Option<String>) {
    let (body, set) = get(server, path, name, value);
    (serde_json::from_str(&body).unwrap(), set)
}

fn codec(map: &[(&str, &str)]) -> IronCodec {
    IronCodec::iron_session(Passwords::iron_session(map).unwrap())
}

/// JSON equality with numbers compared as JavaScript holds them (doubles): JavaScript
/// reads `-0.0` and writes `0`, and reads integers beyond 2^53 rounded.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn iron_vector_generator_reproduces_the_committed_file() {
    let Some(mut node) = node_with_packages() else {
        return;
    };
    node.arg("make_iron_vectors.mjs");
    let fresh = run_with_input(node, "");
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/iron.json"
    ))
    .unwrap();
    assert!(
        fresh == committed,
        "tests/vectors/iron.json differs from what tests/interop/make_iron_vectors.mjs \
         makes with the installed packages"
    );
}

#[test]
fn iron_packages_open_tokens_sealed_by_sessionlib() {
    let Some(mut node) = node_with_packages() else {
        return;
    };
    let data = json!({"name": "Zoë 東京 🦀", "n": [1.5, 1e16, -0.0, 12345678901234567u64],
                      "esc": "\"\\\n\u{0}\u{7f}\u{2028}", "nested": {"a": [null, true]}});
    let sixteen = json!({"abcdefghij": 1}); // 16 bytes of JSON: a whole padding block
    let mut cases = Vec::new();
    let mut expected = Vec::new();
    // iron-session: a string password ({1: ...}), and a rotated map.
    for (map, value) in [
        (vec![("1", PW1)], &data),
        (vec![("1", PW1)], &sixteen),
        (vec![("1", PW1), ("2", PW2)], &data),
    ] {
        let token = codec(&map).encode(value).unwrap();
        let passwords: Vec<[&str; 2]> = map.iter().map(|&(i, p)| [i, p]).collect();
        cases.push(json!({"token": token, "passwords": passwords, "suffix": "iron-session"}));
        expected.push(value.clone());
    }
    // Bare tokens, as h3 and @hapi/iron write them: a plain password, and ids.
    let h3 = IronCodec::h3(Password::new(PW1).unwrap(), Some(Duration::hours(1)));
    let mut session = H3Session::new(time::OffsetDateTime::now_utc()).unwrap();
    session.data.insert("user".into(), json!("cobra"));
    let session_json = serde_json::to_value(&session).unwrap();
    cases.push(
        json!({"token": h3.encode(&session).unwrap(), "passwords": [["", PW1]], "suffix": "none"}),
    );
    expected.push(session_json.clone());
    let with_id = IronCodec::builder(
        Passwords::new(Password::with_id("abc_9", PW2).unwrap())
            .with_fallback(Password::with_id("1", PW1).unwrap())
            .unwrap(),
    )
    .suffix(Suffix::None)
    .ttl(Duration::ZERO)
    .build();
    cases.push(json!({"token": with_id.encode(&session).unwrap(),
                      "passwords": [["abc_9", PW2], ["1", PW1]], "suffix": "none"}));
    expected.push(session_json);
    // A control: the wrong password is refused by every package.
    let wrong = codec(&[("1", PW2)]).encode(&data).unwrap();
    cases.push(json!({"token": wrong, "passwords": [["1", PW1]], "suffix": "iron-session"}));

    node.arg("iron_peer.mjs");
    let out: Vec<Value> =
        serde_json::from_str(&run_with_input(node, &Value::from(cases).to_string())).unwrap();
    let (control, opened) = out.split_last().unwrap();
    for (i, (results, want)) in opened.iter().zip(&expected).enumerate() {
        let results = results.as_object().unwrap();
        assert!(!results.is_empty());
        for (package, r) in results {
            assert_eq!(r["ok"], json!(true), "case {i}: {package}: {r}");
            assert!(
                same(&r["data"], want),
                "case {i}: {package}: {} != {want}",
                r["data"]
            );
        }
    }
    assert_eq!(control["iron-session"]["ok"], json!(false), "{control}");
}

#[test]
fn iron_session_and_rust_share_one_session() {
    let Some(node) = node_with_packages() else {
        return;
    };
    let map = json!({"1": PW1});
    let app = iron_session_app(node, &map);
    let rust = bridge(&map);
    const NAME: &str = "app_session";

    // The Node app's own login; the Rust service recognises the user.
    let (body, cookie) = get(&app, "/login?user=cobra", NAME, "");
    assert_eq!(body, "ok");
    let mut cookie = cookie.expect("iron-session set no cookie");
    assert!(cookie.starts_with("Fe26.2*1*") && cookie.ends_with("~2"));
    let v = codec(&[("1", PW1)]).decode::<Value>(&cookie).unwrap();
    assert_eq!(v.data["user"], json!({"name": "cobra", "isLoggedIn": true}));
    let (page, none) = get(&rust, "/", NAME, &cookie);
    assert_eq!(page, "Hello, cobra (from Rust)\n");
    assert_eq!(none, None, "an unchanged session is not written back");

    // Ten round trips, each side changing the session in turn.
    for round in 0..10 {
        let (_, set) = get(&app, "/bump?by=node", NAME, &cookie);
        cookie = set.unwrap();
        let (bumped, set) = get_json(&rust, "/bump", NAME, &cookie);
        cookie = set.unwrap();
        assert_eq!(bumped["counter"], json!(2 * round + 2));
    }
    let trail: Vec<&str> = (0..10).flat_map(|_| ["node", "rust"]).collect();
    let (state, _) = get_json(&app, "/state", NAME, &cookie);
    assert_eq!(state["user"]["name"], json!("cobra"), "{state}");
    assert_eq!(state["counter"], json!(20));
    assert_eq!(state["trail"], json!(trail));
    let (state, _) = get_json(&rust, "/state", NAME, &cookie);
    assert_eq!(state["counter"], json!(20));
    assert_eq!(state["password_id"], json!("1"));

    // A cookie sealed with another password starts a fresh session on both sides.
    let other = codec(&[("1", PW2)])
        .encode(&json!({"user": {"name": "mallory"}}))
        .unwrap();
    let (state, _) = get_json(&app, "/state", NAME, &other);
    assert_eq!(state, json!({}));
    let (page, _) = get(&rust, "/", NAME, &other);
    assert_eq!(page, "Not logged in\n");
}

#[test]
fn iron_password_rotation_on_both_sides() {
    let Some(node) = node_with_packages() else {
        return;
    };
    const NAME: &str = "app_session";
    let before = iron_session_app(node, &json!({"1": PW1}));
    let (_, old_cookie) = get(&before, "/login?user=cobra", NAME, "");
    let old_cookie = old_cookie.unwrap();
    drop(before);

    // Both sides now seal with id 2 and still open id 1.
    let rotated = json!({"1": PW1, "2": PW2});
    let app = iron_session_app(node_with_packages().unwrap(), &rotated);
    let rust = bridge(&rotated);
    let (state, _) = get_json(&app, "/state", NAME, &old_cookie);
    assert_eq!(state["user"]["name"], json!("cobra"));
    let (state, reissued) = get_json(&rust, "/state", NAME, &old_cookie);
    assert_eq!(state["password_id"], json!("1"));
    let reissued = reissued.expect("a cookie of the old password is sealed again");
    assert!(reissued.starts_with("Fe26.2*2*"));
    let v = codec(&[("2", PW2)]).decode::<Value>(&reissued).unwrap();
    assert_eq!(v.key_used, KeyUsed::Primary);
    let (state, again) = get_json(&rust, "/state", NAME, &reissued);
    assert_eq!(state["password_id"], json!("2"));
    assert_eq!(again, None);
    // The Node side reads Rust's re-sealed cookie and seals with id 2 itself.
    let (_, node_sealed) = get(&app, "/bump?by=node", NAME, &reissued);
    let node_sealed = node_sealed.unwrap();
    assert!(node_sealed.starts_with("Fe26.2*2*"));
    drop(app);
    drop(rust);

    // Password 1 retired: the old cookie is refused by both, the new ones open.
    let retired = json!({"2": PW2});
    let app = iron_session_app(node_with_packages().unwrap(), &retired);
    let rust = bridge(&retired);
    let (state, _) = get_json(&app, "/state", NAME, &old_cookie);
    assert_eq!(state, json!({}));
    let (page, _) = get(&rust, "/", NAME, &old_cookie);
    assert_eq!(page, "Not logged in\n");
    let (state, _) = get_json(&app, "/state", NAME, &reissued);
    assert_eq!(state["user"]["name"], json!("cobra"));
    let (state, _) = get_json(&rust, "/state", NAME, &node_sealed);
    assert_eq!(state["counter"], json!(1));
    assert_eq!(state["trail"], json!(["node"]));
}

#[test]
fn h3_use_session_and_rust_share_one_session() {
    let Some(node) = node_with_packages() else {
        return;
    };
    let app = node_app(
        node,
        "h3_app.mjs",
        &[("H3_PASSWORD", PW1), ("H3_MAX_AGE", "3600")],
        "tests/interop/h3_app.mjs",
    );
    let codec = IronCodec::h3(Password::new(PW1).unwrap(), Some(Duration::hours(1)));
    let name = sessionlib::iron::H3_COOKIE_NAME;

    // h3 starts a session; Rust opens it as h3's session object.
    let (_, cookie) = get(&app, "/bump?by=node", name, "");
    let cookie = cookie.expect("h3 set no cookie");
    assert!(cookie.starts_with("Fe26.2**") && !cookie.contains('~'));
    let v = codec.decode::<H3Session>(&cookie).unwrap();
    assert_eq!(v.data.data["counter"], json!(1));
    assert!(v.expires_at.is_some());
    let id = v.data.id.clone();

    // Rust changes it; h3 reads the change and keeps the session id.
    let mut session = v.data;
    session.data.insert("counter".into(), json!(41));
    session.data.insert("trail".into(), json!(["node", "rust"]));
    let rust_cookie = codec.encode(&session).unwrap();
    let (state, _) = get_json(&app, "/state", name, &rust_cookie);
    assert_eq!(state["id"], json!(id));
    assert_eq!(state["data"]["counter"], json!(41));
    let (_, set) = get(&app, "/bump?by=node", name, &rust_cookie);
    let v = codec.decode::<H3Session>(&set.unwrap()).unwrap();
    assert_eq!(v.data.data["counter"], json!(42));
    assert_eq!(v.data.data["trail"], json!(["node", "rust", "node"]));
    assert_eq!(v.data.id, id);

    // Another password: h3 starts a new session.
    let other = IronCodec::h3(Password::new(PW2).unwrap(), None);
    let (state, _) = get_json(&app, "/state", name, &other.encode(&session).unwrap());
    assert_ne!(state["id"], json!(id));
    assert_eq!(state["data"], json!({}));
}
