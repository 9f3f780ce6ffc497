//! The `sessionlib` command-line tool, run as a real process.
//!
//! Every run checks that nothing it wrote to stderr contains a token or a key.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use sessionlib::signer::Signer;
use sessionlib::{Key, Keyring};

use crate::common;
use crate::common::forge::{b64, ts, unb64};

const BIN: &str = env!("CARGO_BIN_EXE_sessionlib");
const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/cli_peer.py");
const FLASK_PEER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/interop/cli_flask_peer.py"
);

const KEY: &str = "cli-test primary secret, at least 32 bytes long";
const OLD: &str = "cli-test previous secret, also 32 bytes or more";
const OTHER: &str = "cli-test unrelated secret, also 32 bytes or more";
const SHORT: &str = "thirty-one bytes of cli secret!"; // 31 bytes
const NOW: &str = "1700000000";

/// What one run produced.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A run of the tool with a clean key environment.
struct Cli {
    cmd: Command,
    stdin: Vec<u8>,
    /// Strings that must never appear on stderr.
    secrets: Vec<String>,
}

fn cli(args: &[&str]) -> Cli {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("SESSIONLIB_SECRET_KEY")
        .env_remove("SESSIONLIB_OLD_KEY")
        .env_remove("FLASK_SECRET_KEY");
    let mut secrets: Vec<String> = [KEY, OLD, OTHER, SHORT].map(String::from).to_vec();
    // A token passed as an argument must not be echoed either.
    secrets.extend(
        args.iter()
            .filter(|a| a.len() > 20 && !a.starts_with("--") && !a.contains('/'))
            .map(|a| a.to_string()),
    );
    Cli {
        cmd,
        stdin: Vec::new(),
        secrets,
    }
}

impl Cli {
    fn key(mut self, value: &str) -> Self {
        self.cmd.env("SESSIONLIB_SECRET_KEY", value);
        self
    }

    fn env(mut self, name: &str, value: &str) -> Self {
        self.cmd.env(name, value);
        self
    }

    fn stdin(mut self, input: impl AsRef<[u8]>) -> Self {
        self.stdin = input.as_ref().to_vec();
        let text = String::from_utf8_lossy(&self.stdin).trim().to_string();
        if text.len() > 20 {
            self.secrets.push(text);
        }
        self
    }

    fn run(mut self) -> Run {
        let mut child = self
            .cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The tool may exit before reading all of it; that is not an error here.
        let _ = child.stdin.take().unwrap().write_all(&self.stdin);
        let out = child.wait_with_output().unwrap();
        let run = Run {
            code: out.status.code().expect("exited normally, not by a signal"),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        };
        for secret in &self.secrets {
            assert!(
                !run.stderr.contains(secret.as_str()),
                "stderr leaks a secret or token: {run:?}"
            );
            // Nor any long piece of it (a signature, a payload).
            for piece in secret.split('.').filter(|p| p.len() >= 16) {
                assert!(!run.stderr.contains(piece), "stderr leaks a part: {run:?}");
            }
        }
        if run.code != 0 {
            assert_eq!(run.stderr.lines().count(), 1, "one line of error: {run:?}");
            assert!(run.stderr.starts_with("sessionlib: "), "{run:?}");
        }
        run
    }

    /// Runs and expects success, returning stdout.
    fn ok(self) -> String {
        let run = self.run();
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stderr.is_empty(), "{run:?}");
        run.stdout
    }

    /// Runs and expects the exit code, returning stderr.
    fn fails(self, code: i32) -> String {
        let run = self.run();
        assert_eq!(run.code, code, "{run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        run.stderr
    }
}

/// A token for `data` made by the tool at [`NOW`], expiring an hour later.
fn token_at(data: &str, key: &str) -> String {
    let out = cli(&["encode", "--now", NOW, "--ttl", "3600"])
        .key(key)
        .stdin(data)
        .ok();
    let token = out.strip_suffix('\n').unwrap().to_string();
    assert!(!token.contains('\n'));
    token
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn help_documents_every_command_option_and_exit_code() {
    let help = cli(&["--help"]).ok();
    for word in [
        "keygen",
        "encode",
        "decode",
        "inspect",
        "--salt",
        "--ttl",
        "--expires-at",
        "--compress",
        "--now",
        "--leeway",
        "--meta",
        "--flask",
        "--max-age",
        "--digest",
        "--key-env",
        "--key-file",
        "--fallback-key-env",
        "--fallback-key-file",
        "SESSIONLIB_SECRET_KEY",
        "UNVERIFIED",
        "fallback:0",
        "expires_at",
        "signed_at",
        "cookie-session",
        "SECRET_KEY_FALLBACKS",
        "--sealed",
    ] {
        assert!(help.contains(word), "--help does not mention {word}");
    }
    for code in 0..=5 {
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{code} "))),
            "--help does not explain exit code {code}"
        );
    }
    assert_eq!(cli(&["help"]).ok(), help);
    // After decode or inspect, --help prints that command's help and is a usage
    // error (exit 2): no token was read (issue 12, defect 2).
    let run = cli(&["decode", "--help"]).run();
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stdout, cli(&["help", "decode"]).ok());
    assert_eq!(cli(&["-h"]).ok(), help);
    assert!(cli(&["--version"]).ok().starts_with("sessionlib "));
}

#[test]
fn keygen_prints_a_fresh_usable_secret() {
    let a = cli(&["keygen"]).ok();
    let b = cli(&["keygen"]).ok();
    assert_ne!(a, b);
    let secret = a.strip_suffix('\n').unwrap();
    assert_eq!(unb64(secret).len(), 64);
    assert!(secret.len() >= Key::MIN_LEN);
    let token = token_at(r#"{"a":1}"#, secret);
    let data = cli(&["decode", "--now", NOW, &token]).key(secret).ok();
    assert_eq!(json_of(&data), json!({"a": 1}));
    cli(&["keygen", "extra"]).fails(2);
    cli(&["keygen", "--salt", "x"]).fails(2);
}

#[test]
fn sealed_tokens_round_trip_and_inspect_shows_only_the_header() {
    let data = json!({"user_id": 7, "card": "4111 1111"});
    let out = cli(&["encode", "--sealed", "--now", NOW, "--ttl", "3600"])
        .key(KEY)
        .stdin(data.to_string())
        .ok();
    let token = out.trim_end().to_owned();
    assert!(!token.contains('.') && !token.contains("4111"));
    let out = cli(&["decode", "--sealed", "--meta", "--now", NOW, &token])
        .key(KEY)
        .ok();
    assert_eq!(
        json_of(&out),
        json!({"data": data, "expires_at": 1_700_003_600, "key": "primary"})
    );
    // The library opens it too.
    let codec = sessionlib::Codec::builder(Key::from_bytes(KEY.as_bytes()).unwrap())
        .sealed(true)
        .build();
    let now = common::now();
    assert_eq!(codec.decode_at::<Value>(&token, now).unwrap().data, data);
    // Without --sealed it is not a token; with another key or salt it does not open;
    // after its expiry it is expired.
    cli(&["decode", "--now", NOW, &token]).key(KEY).fails(3);
    cli(&["decode", "--sealed", "--now", NOW, &token])
        .key(OTHER)
        .fails(4);
    cli(&["decode", "--sealed", "--salt", "x", "--now", NOW, &token])
        .key(KEY)
        .fails(4);
    cli(&["decode", "--sealed", "--now", "1700003600", &token])
        .key(KEY)
        .fails(5);
    let out = cli(&[
        "decode",
        "--sealed",
        "--meta",
        "--now",
        NOW,
        "--fallback-key-env",
        "SESSIONLIB_OLD_KEY",
        &token,
    ])
    .key(OTHER)
    .env("SESSIONLIB_OLD_KEY", KEY)
    .ok();
    assert_eq!(json_of(&out)["key"], "fallback:0");
    // inspect needs no key and shows only version, expiry and length.
    let out = cli(&["inspect", &token]).ok();
    assert!(out.lines().all(|l| l.starts_with("UNVERIFIED ")), "{out}");
    assert!(out.contains("sealed: yes, format version 1"), "{out}");
    assert!(
        out.contains("expiry: 1700003600 = 2023-11-14T23:13:20Z"),
        "{out}"
    );
    let json_len = data.to_string().len();
    assert!(
        out.contains(&format!("data: {json_len} bytes of encrypted JSON")),
        "{out}"
    );
    assert!(!out.contains("4111") && !out.contains("user_id"), "{out}");
    // Combinations that make no sense are usage errors.
    cli(&["encode", "--sealed", "--flask"])
        .key(KEY)
        .stdin("{}")
        .fails(2);
    cli(&["encode", "--sealed", "--compress"])
        .key(KEY)
        .stdin("{}")
        .fails(2);
    cli(&["decode", "--sealed", "--flask", &token])
        .key(KEY)
        .fails(2);
}

#[test]
fn encode_then_decode_round_trips() {
    let data = json!({"user_id": 7, "name": "Zoë", "roles": ["admin"], "nested": {"x": null}});
    let token = token_at(&data.to_string(), KEY);
    assert_eq!(token.split('.').count(), 3);
    let out = cli(&["decode", "--now", NOW, &token]).key(KEY).ok();
    assert_eq!(json_of(&out), data);
    assert!(out.ends_with("}\n") && out.lines().count() == 1);
    // The library agrees.
    let codec = sessionlib::Codec::new(Key::from_bytes(KEY.as_bytes()).unwrap());
    let now = common::now();
    assert_eq!(codec.decode_at::<Value>(&token, now).unwrap().data, data);
    // Any JSON value is session data, not only objects.
    let list = token_at("[1, 2, 3]", KEY);
    let out = cli(&["decode", "--now", NOW, &list]).key(KEY).ok();
    assert_eq!(json_of(&out), json!([1, 2, 3]));
}

#[test]
fn now_makes_tokens_reproducible() {
    let a = token_at(r#"{"b": 2, "a": 1}"#, KEY);
    let b = token_at(r#"{"a":1,"b":2}"#, KEY);
    assert_eq!(a, b, "same data, key and time: same token");
    let later = cli(&["encode", "--now", "1700000001", "--ttl", "3600"])
        .key(KEY)
        .stdin(r#"{"a":1,"b":2}"#)
        .ok();
    assert_ne!(format!("{a}\n"), later);
    assert_ne!(a, token_at(r#"{"a":1,"b":2}"#, OLD));
    // Without --now the clock is read: the token expires 14 days from now by default.
    let fresh = cli(&["encode"]).key(KEY).stdin("{}").ok();
    let meta = cli(&["decode", "--meta", fresh.trim()]).key(KEY).ok();
    let expires = json_of(&meta)["expires_at"].as_i64().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((now + 14 * 86400 - 60..=now + 14 * 86400).contains(&expires));
}

#[test]
fn meta_reports_expiry_and_key() {
    let token = token_at(r#"{"k":"v"}"#, KEY);
    let meta = cli(&["decode", "--meta", "--now", NOW, &token])
        .key(KEY)
        .ok();
    assert_eq!(
        json_of(&meta),
        json!({"data": {"k": "v"}, "expires_at": 1_700_003_600, "key": "primary"})
    );
    let until = cli(&["encode", "--expires-at", "1800000000"])
        .key(KEY)
        .stdin("{}")
        .ok();
    let meta = cli(&["decode", "--meta", "--now", NOW, until.trim()])
        .key(KEY)
        .ok();
    assert_eq!(json_of(&meta)["expires_at"], json!(1_800_000_000));
}

#[test]
fn rotation_reports_the_fallback_key() {
    let old_token = token_at(r#"{"u":1}"#, OLD);
    // Without the old key: invalid signature.
    cli(&["decode", "--now", NOW, &old_token]).key(KEY).fails(4);
    let meta = cli(&[
        "decode",
        "--meta",
        "--now",
        NOW,
        "--fallback-key-env",
        "SESSIONLIB_OLD_KEY",
        &old_token,
    ])
    .key(KEY)
    .env("SESSIONLIB_OLD_KEY", OLD)
    .ok();
    assert_eq!(json_of(&meta)["key"], "fallback:0");
    assert_eq!(json_of(&meta)["data"], json!({"u": 1}));

    // Fallbacks are numbered in the order given, files and variables alike.
    let dir = tempdir();
    let file = dir.join("old.key");
    std::fs::write(&file, format!("{OLD}\n")).unwrap();
    let meta = cli(&[
        "decode",
        "--meta",
        "--now",
        NOW,
        "--fallback-key-env",
        "OTHER_KEY",
        "--fallback-key-file",
        file.to_str().unwrap(),
        &old_token,
    ])
    .key(KEY)
    .env("OTHER_KEY", OTHER)
    .ok();
    assert_eq!(json_of(&meta)["key"], "fallback:1");

    // A token by the primary key is still "primary" with fallbacks present.
    let new_token = token_at(r#"{"u":1}"#, KEY);
    let meta = cli(&[
        "decode",
        "--meta",
        "--now",
        NOW,
        "--fallback-key-env",
        "SESSIONLIB_OLD_KEY",
        &new_token,
    ])
    .key(KEY)
    .env("SESSIONLIB_OLD_KEY", OLD)
    .ok();
    assert_eq!(json_of(&meta)["key"], "primary");
    // A missing fallback variable is an error, not silently skipped.
    let err = cli(&[
        "decode",
        "--fallback-key-env",
        "NO_SUCH_KEY_VAR",
        &new_token,
    ])
    .key(KEY)
    .fails(1);
    assert!(err.contains("NO_SUCH_KEY_VAR"), "{err}");
}

#[test]
fn token_from_stdin() {
    let token = token_at(r#"{"s":1}"#, KEY);
    for input in [token.clone(), format!("{token}\n"), format!("{token}\r\n")] {
        let out = cli(&["decode", "--now", NOW, "-"])
            .key(KEY)
            .stdin(&input)
            .ok();
        assert_eq!(json_of(&out), json!({"s": 1}));
    }
    // Only one newline is removed; anything else is part of the token.
    for input in [
        format!("{token}\n\n"),
        format!(" {token}"),
        format!("{token} \n"),
    ] {
        cli(&["decode", "--now", NOW, "-"])
            .key(KEY)
            .stdin(&input)
            .fails(3);
    }
    let out = cli(&["inspect", "-"]).stdin(format!("{token}\n")).ok();
    assert!(out.contains("\"s\": 1"), "{out}");
}

#[test]
fn exit_code_3_for_malformed_tokens() {
    let token = token_at(r#"{"a":1}"#, KEY);
    let huge = "A".repeat(5000);
    for bad in [
        "garbage",
        "a.b.c",
        "",
        &token[..token.len() - 1],
        &format!("{token}="),
        &format!("{token}.x"),
        &huge,
    ] {
        let err = cli(&["decode", "--now", NOW, bad]).key(KEY).fails(3);
        assert!(
            err.contains("malformed") || err.contains("too large"),
            "{err}"
        );
    }
}

#[test]
fn exit_code_4_for_bad_signatures() {
    let token = token_at(r#"{"role":"user"}"#, KEY);
    // Tampered payload: a valid token for other data, with this token's signature.
    let forged_payload = b64(br#"{"role":"admin"}"#);
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!("{forged_payload}.{}.{}", parts[1], parts[2]);
    let err = cli(&["decode", "--now", NOW, &forged]).key(KEY).fails(4);
    assert!(err.contains("signature"), "{err}");
    // Another key, another salt.
    cli(&["decode", "--now", NOW, &token]).key(OTHER).fails(4);
    cli(&["decode", "--now", NOW, "--salt", "other.purpose", &token])
        .key(KEY)
        .fails(4);
    let salted = cli(&["encode", "--now", NOW, "--salt", "reset"])
        .key(KEY)
        .stdin("{}")
        .ok();
    cli(&["decode", "--now", NOW, salted.trim()])
        .key(KEY)
        .fails(4);
    let out = cli(&["decode", "--now", NOW, "--salt=reset", salted.trim()])
        .key(KEY)
        .ok();
    assert_eq!(out, "{}\n");
}

#[test]
fn exit_code_5_for_expired_tokens() {
    let token = token_at(r#"{"a":1}"#, KEY); // expires at NOW + 3600
    let err = cli(&["decode", "--now", "1700003600", &token])
        .key(KEY)
        .fails(5);
    assert!(
        err.contains("expired") && err.contains("1700003600"),
        "{err}"
    );
    cli(&["decode", "--now", "1700003599", &token])
        .key(KEY)
        .ok();
    // Leeway extends acceptance past the expiry.
    cli(&["decode", "--now", "1700003610", "--leeway", "11", &token])
        .key(KEY)
        .ok();
    cli(&["decode", "--now", "1700003610", "--leeway", "10", &token])
        .key(KEY)
        .fails(5);
    // Against the real clock (2023 is past).
    cli(&["decode", &token]).key(KEY).fails(5);
    // Expired and tampered is a signature error, not an expiry.
    let parts: Vec<&str> = token.split('.').collect();
    let tampered = format!("{}.{}.{}", b64(br#"{"a":2}"#), parts[1], parts[2]);
    cli(&["decode", &tampered]).key(KEY).fails(4);
}

#[test]
fn exit_code_1_for_other_errors() {
    // Stdin that is not JSON; its content is not echoed.
    let err = cli(&["encode"])
        .key(KEY)
        .stdin("{\"password\": hunter2-is-a-secret-value}")
        .fails(1);
    assert!(err.contains("not valid JSON"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    // Data too large for a token.
    let big = json!({"blob": "x".repeat(5000)}).to_string();
    let err = cli(&["encode"]).key(KEY).stdin(big).fails(1);
    assert!(err.contains("too large"), "{err}");
    // An expiry that cannot be written.
    cli(&["encode", "--expires-at", "0"])
        .key(KEY)
        .stdin("{}")
        .fails(1);
    // A validly signed token whose payload is not JSON.
    let signer: Signer = Signer::new(
        &Keyring::new(Key::from_bytes(KEY.as_bytes()).unwrap()),
        b"sessionlib.session",
    );
    let mut token = b64(b"not json at all");
    token.push('.');
    token.push_str(&ts(1_800_000_000));
    let signature = signer.sign(token.as_bytes());
    token.push('.');
    token.push_str(&b64(signature.as_bytes()));
    let err = cli(&["decode", "--now", NOW, &token]).key(KEY).fails(1);
    assert!(err.contains("not valid JSON"), "{err}");
}

#[test]
fn missing_and_short_keys_are_refused() {
    let token = token_at("{}", KEY);
    // Missing default variable.
    let err = cli(&["decode", &token]).fails(1);
    assert!(
        err.contains("SESSIONLIB_SECRET_KEY") && err.contains("not set"),
        "{err}"
    );
    let err = cli(&["encode"]).stdin("{}").fails(1);
    assert!(err.contains("not set"), "{err}");
    // Missing named variable.
    let err = cli(&["decode", "--key-env", "MY_APP_KEY", &token])
        .key(KEY)
        .fails(1);
    assert!(err.contains("MY_APP_KEY"), "{err}");
    // Too short: 31 bytes, and empty.
    for short in [SHORT, ""] {
        let err = cli(&["encode"]).key(short).stdin("{}").fails(1);
        assert!(err.contains("too short"), "{err}");
        assert!(err.contains(&format!("{} bytes", short.len())), "{err}");
    }
    let err = cli(&["decode", "--key-env", "MY_APP_KEY", &token])
        .env("MY_APP_KEY", SHORT)
        .fails(1);
    assert!(
        err.contains("too short") && err.contains("MY_APP_KEY"),
        "{err}"
    );
    // A key passed by mistake where a variable name or path belongs is not echoed
    // (every run checks that stderr does not contain KEY).
    for option in [
        "--key-env",
        "--key-file",
        "--fallback-key-env",
        "--fallback-key-file",
    ] {
        let err = cli(&["decode", option, KEY, &token]).key(KEY).fails(1);
        assert!(
            err.contains("not set") || err.contains("cannot read"),
            "{err}"
        );
    }
    let generated = cli(&["keygen"]).ok();
    let generated = generated.trim_end();
    let mut run = cli(&["decode", "--key-env", generated, &token]);
    run.secrets.push(generated.to_string());
    assert_eq!(run.run().code, 1);
    // A short fallback key is refused too.
    let err = cli(&["decode", "--fallback-key-env", "OLD_ONE", &token])
        .key(KEY)
        .env("OLD_ONE", SHORT)
        .fails(1);
    assert!(
        err.contains("fallback:0") && err.contains("too short"),
        "{err}"
    );
}

#[test]
fn key_file_drops_one_trailing_newline() {
    let dir = tempdir();
    let plain = dir.join("plain.key");
    let newline = dir.join("newline.key");
    let crlf = dir.join("crlf.key");
    let short = dir.join("short.key");
    let two = dir.join("two.key");
    std::fs::write(&plain, KEY).unwrap();
    std::fs::write(&newline, format!("{KEY}\n")).unwrap();
    std::fs::write(&crlf, format!("{KEY}\r\n")).unwrap();
    std::fs::write(&short, format!("{SHORT}\n")).unwrap();
    std::fs::write(&two, format!("{KEY}\n\n")).unwrap();
    let expected = token_at("{}", KEY);
    for file in [&plain, &newline, &crlf] {
        let out = cli(&[
            "encode",
            "--now",
            NOW,
            "--ttl",
            "3600",
            "--key-file",
            file.to_str().unwrap(),
        ])
        .stdin("{}")
        .ok();
        assert_eq!(out.trim_end(), expected, "{file:?}");
    }
    // Only one newline is dropped: the second one is part of the secret.
    let out = cli(&[
        "encode",
        "--now",
        NOW,
        "--ttl",
        "3600",
        "--key-file",
        two.to_str().unwrap(),
    ])
    .stdin("{}")
    .ok();
    assert_ne!(out.trim_end(), expected);
    // The newline does not count towards the length.
    let err = cli(&["encode", "--key-file", short.to_str().unwrap()])
        .stdin("{}")
        .fails(1);
    assert!(
        err.contains("too short") && err.contains("31 bytes"),
        "{err}"
    );
    let missing = dir.join("missing.key");
    let err = cli(&["encode", "--key-file", missing.to_str().unwrap()])
        .stdin("{}")
        .fails(1);
    assert!(err.contains("cannot read"), "{err}");
    // --key-file wins over the default variable (no "two keys" confusion).
    let out = cli(&[
        "decode",
        "--now",
        NOW,
        "--key-file",
        plain.to_str().unwrap(),
        &expected,
    ])
    .key(OTHER)
    .ok();
    assert_eq!(out, "{}\n");
}

#[test]
fn exit_code_2_for_usage_errors() {
    let token = token_at("{}", KEY);
    let cases: &[&[&str]] = &[
        &[],
        &["frobnicate"],
        &["--salt", "x", "decode"],
        &["encode", "--bogus"],
        &["encode", "extra-argument"],
        &["encode", "--ttl"],
        &["encode", "--ttl", "-5"],
        &["encode", "--ttl", "soon"],
        &["encode", "--ttl", "5", "--expires-at", "1800000000"],
        &[
            "encode",
            "--now",
            "1700000000",
            "--expires-at",
            "1800000000",
        ],
        &["encode", "--now", "99999999999999999999"],
        &["encode", "--salt", "a", "--salt", "b"],
        &["encode", "--meta"],
        &["encode", "--flask=yes"],
        &["decode"],
        &["decode", &token, &token],
        &["decode", "--leeway", "x", &token],
        &["decode", "--max-age", "60", &token],
        &["decode", "--digest", "sha1", &token],
        &["decode", "--flask", "--digest", "md5", &token],
        &["encode", "--flask", "--ttl", "60"],
        &["encode", "--flask", "--expires-at", "1800000000"],
        &["encode", "--digest", "sha256"],
        &["decode", "--key-env", "A", "--key-file", "B", &token],
        &["decode", "--ttl", "5", &token],
        &["inspect"],
        &["inspect", "--key-env", "X", &token],
        &["inspect", &token, &token],
    ];
    for args in cases {
        let err = cli(args).key(KEY).stdin("{}").fails(2);
        assert!(!err.is_empty(), "{args:?}");
    }
    // An unknown option is named, unless it could be a token or a key.
    let err = cli(&["decode", "--bogus", &token]).fails(2);
    assert!(err.contains("'--bogus'"), "{err}");
    let looks_secret = format!("--{token}");
    let err = cli(&["decode", &looks_secret]).fails(2);
    assert!(!err.contains(&token[..20]), "{err}");
}

/// A Flask app's short development secret: accepted with --flask, with a warning.
const FLASK_KEY: &str = "flask dev secret";

/// A run with the Flask key in FLASK_SECRET_KEY.
fn flask_cli(args: &[&str]) -> Cli {
    let mut all = vec![args[0], "--flask", "--key-env", "FLASK_SECRET_KEY"];
    all.extend_from_slice(&args[1..]);
    let mut run = cli(&all).env("FLASK_SECRET_KEY", FLASK_KEY);
    run.secrets.push(FLASK_KEY.to_string());
    run
}

/// Runs and expects success, allowing only the short-key warning on stderr.
fn flask_ok(run: Cli) -> String {
    let run = run.run();
    assert_eq!(run.code, 0, "{run:?}");
    for line in run.stderr.lines() {
        assert!(
            line.starts_with("sessionlib: warning: ") && line.contains("only 16 bytes"),
            "{run:?}"
        );
    }
    run.stdout
}

/// A session with Flask's tagged types: a flash tuple, bytes, a nested tagged dict.
const FLASK_SESSION: &str = r#"{"_flashes": [{" t": ["message", "Logged in"]}], "user_id": "42",
    "raw": {" b": "aGVsbG8="}, "odd": {" di": {" t__": 1}}, "name": "Zo\u00eb"}"#;

#[test]
fn flask_round_trip_keeps_tagged_types_byte_for_byte() {
    let cookie = flask_ok(flask_cli(&["encode", "--now", NOW]).stdin(FLASK_SESSION));
    let cookie = cookie.trim_end();
    // Flask's default digest is SHA-1: a 20-byte signature, 27 characters.
    assert_eq!(cookie.rsplit('.').next().unwrap().len(), 27);
    // The same input, key and time give the same cookie.
    let again = flask_ok(flask_cli(&["encode", "--now", NOW]).stdin(FLASK_SESSION));
    assert_eq!(again.trim_end(), cookie);

    let out = flask_ok(flask_cli(&["decode", "--now", NOW, cookie]));
    let expected = sessionlib::flask::to_tagged_json(
        &sessionlib::flask::from_tagged_json(FLASK_SESSION.as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(out, format!("{expected}\n"));
    assert!(out.contains(r#"{" t":["message","Logged in"]}"#), "{out}");
    assert!(
        out.contains(r#""name":"Zo\u00eb""#),
        "ASCII only, as Flask: {out}"
    );

    let meta = flask_ok(flask_cli(&["decode", "--meta", "--now", NOW, cookie]));
    assert_eq!(
        meta,
        format!("{{\"data\":{expected},\"signed_at\":1700000000,\"key\":\"primary\"}}\n")
    );
    let run = cli(&["inspect", cookie]).run();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run
        .stdout
        .contains("valid, as a Flask cookie signed with HMAC-SHA1"));
    assert!(run.stdout.contains("signature: 20 bytes"));

    // Input that is not a Flask session.
    for bad in ["[1, 2]", "{\"x\": {\" t\": \"not a list\"}}", "{oops"] {
        let err = flask_cli(&["encode"]).stdin(bad).fails(1);
        assert!(err.contains("not a Flask session"), "{err}");
    }
}

#[test]
fn flask_keys_may_be_short_but_are_warned_about() {
    let cookie = flask_ok(flask_cli(&["encode"]).stdin("{}"));
    let run = flask_cli(&["decode", cookie.trim_end()]).run();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("warning") && run.stderr.contains("16 bytes"));
    // A long key gets no warning.
    let out = cli(&["encode", "--flask"]).key(KEY).stdin("{}").ok();
    assert!(out.ends_with('\n'));
    // The native profile still refuses the short key, and nobody takes an empty one.
    let err = cli(&["encode", "--key-env", "FLASK_SECRET_KEY"])
        .env("FLASK_SECRET_KEY", FLASK_KEY)
        .stdin("{}")
        .fails(1);
    assert!(err.contains("too short"), "{err}");
    let err = cli(&["encode", "--flask"]).key("").stdin("{}").fails(1);
    assert!(err.contains("empty"), "{err}");
}

#[test]
fn flask_age_future_digest_salt_and_rotation() {
    let cookie = flask_ok(flask_cli(&["encode", "--now", NOW]).stdin(r#"{"a": 1}"#));
    let cookie = cookie.trim_end();
    let month = 1_700_000_000 + 31 * 86400;
    // Age: 31 days by default, plus the 30-second leeway.
    flask_ok(flask_cli(&[
        "decode",
        "--now",
        &(month + 30).to_string(),
        cookie,
    ]));
    let err = flask_cli(&["decode", "--now", &(month + 31).to_string(), cookie]).fails(5);
    assert!(err.contains("expired"), "{err}");
    flask_ok(flask_cli(&[
        "decode",
        "--now",
        "1700000090",
        "--max-age",
        "60",
        cookie,
    ]));
    flask_cli(&["decode", "--now", "1700000091", "--max-age", "60", cookie]).fails(5);
    flask_cli(&[
        "decode",
        "--now",
        "1700000061",
        "--max-age",
        "60",
        "--leeway",
        "0",
        cookie,
    ])
    .fails(5);
    // Signed in the future, beyond the leeway.
    flask_ok(flask_cli(&["decode", "--now", "1699999970", cookie]));
    let err = flask_cli(&["decode", "--now", "1699999969", cookie]).fails(5);
    assert!(err.contains("future"), "{err}");

    // Digest: a SHA-256 cookie has a 32-byte signature, and each digest reads only its own.
    let sha256 =
        flask_ok(flask_cli(&["encode", "--now", NOW, "--digest", "sha256"]).stdin(r#"{"a": 1}"#));
    let sha256 = sha256.trim_end();
    assert_eq!(sha256.rsplit('.').next().unwrap().len(), 43);
    flask_ok(flask_cli(&[
        "decode",
        "--now",
        NOW,
        "--digest=sha256",
        sha256,
    ]));
    flask_cli(&["decode", "--now", NOW, sha256]).fails(3);
    flask_cli(&["decode", "--now", NOW, "--digest", "sha256", cookie]).fails(3);

    // Salt, and the native profile: neither reads Flask cookies.
    flask_cli(&["decode", "--now", NOW, "--salt", "other", cookie]).fails(4);
    cli(&["decode", "--now", NOW, cookie]).key(KEY).fails(3);
    let native = token_at("{}", KEY);
    cli(&["decode", "--flask", "--now", NOW, &native])
        .key(KEY)
        .fails(3);

    // Rotation: the old SECRET_KEY is a fallback key.
    let meta = flask_ok(
        cli(&[
            "decode",
            "--flask",
            "--meta",
            "--now",
            NOW,
            "--fallback-key-env",
            "FLASK_OLD_KEY",
            cookie,
        ])
        .key(KEY)
        .env("FLASK_OLD_KEY", FLASK_KEY),
    );
    assert_eq!(json_of(&meta)["key"], "fallback:0");
    assert_eq!(json_of(&meta)["data"], json!({"a": 1}));
}

#[test]
fn flask_compresses_as_flask_does() {
    let data = json!({"items": vec!["the same words, over and over"; 30]}).to_string();
    let cookie = flask_ok(flask_cli(&["encode"]).stdin(&data));
    assert!(cookie.starts_with('.'), "{cookie}");
    let out = flask_ok(flask_cli(&["decode", "-"]).stdin(&cookie));
    assert_eq!(json_of(&out), json_of(&data));
}

/// Cookies made by the tool are read by a real Flask app's session serializer, and
/// the other way round, with the tagged JSON byte for byte the same.
#[test]
fn flask_cookies_interoperate_with_real_flask() {
    let Some(python) = common::python_with(&["flask"]) else {
        return;
    };
    let peer = |mode: &str, input: &str| {
        let mut cmd = Command::new(python.get_program());
        cmd.arg(FLASK_PEER)
            .arg(mode)
            .env("FLASK_SECRET_KEY", FLASK_KEY);
        common::run_with_input(cmd, input)
    };
    let big = json!({"items": vec!["the same words, over and over"; 30], "n": 1.5e16});
    for session in [FLASK_SESSION.to_string(), big.to_string()] {
        let canonical = sessionlib::flask::to_tagged_json(
            &sessionlib::flask::from_tagged_json(session.as_bytes()).unwrap(),
        )
        .unwrap();
        // sessionlib -> Flask.
        let cookie = flask_ok(flask_cli(&["encode"]).stdin(&session));
        assert_eq!(peer("verify", &cookie), canonical);
        // Flask -> sessionlib.
        let cookie = peer("make", &session);
        let out = flask_ok(flask_cli(&["decode", "-"]).stdin(&cookie));
        assert_eq!(out, format!("{canonical}\n"));
    }
}

#[test]
fn inspect_shows_everything_and_marks_it_unverified() {
    let token = token_at(r#"{"user":"cobra","n":[1,2]}"#, KEY);
    // No key needed.
    let out = cli(&["inspect", &token]).ok();
    assert!(out.lines().count() >= 8, "{out}");
    for line in out.lines() {
        assert!(line.starts_with("UNVERIFIED "), "unmarked line: {line}");
    }
    assert!(out.contains("shape: valid"), "{out}");
    assert!(
        out.contains("    \"user\": \"cobra\""),
        "pretty JSON: {out}"
    );
    assert!(out.contains("1700003600 = 2023-11-14T23:13:20Z"), "{out}");
    assert!(out.contains("signature: 32 bytes"), "{out}");
    // A tampered or forged token inspects the same: inspect checks nothing.
    let forged = format!("{}.{}", &token[..token.rfind('.').unwrap()], "A".repeat(43));
    let out = cli(&["inspect", &forged]).ok();
    assert!(out.contains("\"cobra\""));

    // Bad shapes: shown as far as possible, exit 3.
    let parts: Vec<&str> = token.split('.').collect();
    let odd_sig = format!("{}.{}.{}", parts[0], parts[1], "A".repeat(44));
    let run = cli(&["inspect", &odd_sig]).run();
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stdout.contains("shape: INVALID"), "{run:?}");
    assert!(run.stdout.contains("signature: 33 bytes"), "{run:?}");
    assert!(run.stdout.contains("\"cobra\""), "{run:?}");
    assert!(run.stdout.lines().all(|l| l.starts_with("UNVERIFIED ")));
    assert!(run.stderr.contains("malformed"), "{run:?}");
    // A 20-byte signature is the shape of a Flask cookie (HMAC-SHA1).
    let sha1_sig = format!("{}.{}.{}", parts[0], parts[1], "A".repeat(27));
    let out = cli(&["inspect", &sha1_sig]).ok();
    assert!(
        out.contains("valid, as a Flask cookie signed with HMAC-SHA1"),
        "{out}"
    );
    let compressed = format!(".{}", token);
    let run = cli(&["inspect", &compressed]).run();
    assert_eq!(run.code, 3);
    assert!(run.stdout.contains("compressed"), "{run:?}");
}

#[test]
fn inspect_never_panics_on_garbage() {
    let token = token_at(r#"{"a":"b"}"#, KEY);
    let mut inputs: Vec<String> = vec![
        String::new(),
        ".".into(),
        "..".into(),
        "...".into(),
        "a.b".into(),
        "é.ü.ß".into(),
        "\u{0}.\u{0}.\u{0}".into(),
        "A".repeat(100_000),
        format!("{}.{}.{}", "_".repeat(3000), "_".repeat(11), "_".repeat(43)),
        format!("{token}{token}"),
        token.replace('.', ".."),
    ];
    for i in 0..token.len() {
        inputs.push(format!("{}{}", &token[..i], &token[i + 1..]));
    }
    for input in inputs {
        let run = cli(&["inspect", "-"]).stdin(&input).run();
        assert!(matches!(run.code, 0 | 3), "{input:?}: {run:?}");
        assert!(run.stdout.lines().all(|l| l.starts_with("UNVERIFIED ")));
    }
    // Larger than inspect looks at (64 KiB): too large, exit 3.
    let err = cli(&["inspect", "-"]).stdin("A.".repeat(40_000)).fails(3);
    assert!(err.contains("too large"), "{err}");
    // Larger than the tool reads from stdin (1 MiB): refused, exit 1.
    let err = cli(&["inspect", "-"]).stdin("A".repeat(2 << 20)).fails(1);
    assert!(err.contains("larger than"), "{err}");
}

#[cfg(unix)]
#[test]
fn non_utf8_arguments_are_malformed_not_a_crash() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;
    for sub in ["decode", "inspect"] {
        let out = Command::new(BIN)
            .arg(sub)
            .arg(OsStr::from_bytes(b"ab\xff.cd.ef"))
            .env("SESSIONLIB_SECRET_KEY", KEY)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{sub}: {out:?}");
    }
}

#[test]
fn inspect_escapes_control_characters() {
    // A payload with terminal control characters that JSON does not escape.
    let payload = json!({"x": "\u{9b}31m\u{7f}"}).to_string();
    let token = token_at(&payload, KEY);
    let out = cli(&["inspect", &token]).ok();
    assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
    assert!(out.contains("\\u009b31m\\u007f"), "{out}");
}

#[test]
fn compressed_tokens() {
    let data = json!({"cart": vec!["the same item, again and again"; 40]});
    let out = cli(&["encode", "--compress", "--now", NOW, "--ttl", "3600"])
        .key(KEY)
        .stdin(data.to_string())
        .ok();
    let token = out.trim_end();
    assert!(token.starts_with('.'), "compressed tokens start with a dot");
    assert!(token.len() < data.to_string().len());
    let meta = cli(&["decode", "--meta", "--now", NOW, token])
        .key(KEY)
        .ok();
    assert_eq!(json_of(&meta)["data"], data);
    let out = cli(&["inspect", token]).ok();
    assert!(out.contains("UNVERIFIED compressed: yes"), "{out}");
    assert!(out.contains("the same item, again and again"), "{out}");
    // Compression is only used when it saves space.
    let small = cli(&["encode", "--compress"]).key(KEY).stdin("{}").ok();
    assert!(!small.starts_with('.'));
    cli(&["encode", "--compress=yes"])
        .key(KEY)
        .stdin("{}")
        .fails(2);

    // A validly signed bomb is refused after verification, and not inflated by inspect.
    let codec = sessionlib::Codec::builder(Key::from_bytes(KEY.as_bytes()).unwrap())
        .compression(true)
        .build();
    let bomb = codec.encode(&json!({"a": "a".repeat(300_000)})).unwrap();
    assert!(bomb.len() < 4096);
    let err = cli(&["decode", &bomb]).key(KEY).fails(3);
    assert!(err.contains("decompression limit"), "{err}");
    let run = cli(&["inspect", &bomb]).run();
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stdout.contains("does not inflate"), "{run:?}");
}

/// The tool's tokens, plain and compressed, verify in the real Python itsdangerous.
#[test]
fn encoded_tokens_verify_in_itsdangerous() {
    let Some(python) = common::python_with(&["itsdangerous"]) else {
        return;
    };
    let secret = cli(&["keygen"]).ok();
    let secret = secret.trim_end();
    let small = json!({"user_id": 42, "name": "Zoë 🦀", "roles": ["a", "b"], "x": null});
    let large = json!({"items": vec![small.clone(); 20]});
    for (data, compress) in [(&small, false), (&large, true)] {
        let mut args = vec!["encode", "--salt", "cli.interop", "--ttl", "600"];
        if compress {
            args.push("--compress");
        }
        let token = cli(&args).key(secret).stdin(data.to_string()).ok();
        assert_eq!(token.starts_with('.'), compress);
        let mut peer = Command::new(python.get_program());
        peer.arg(PEER)
            .arg("cli.interop")
            .env("SESSIONLIB_SECRET_KEY", secret);
        let got = json_of(&common::run_with_input(peer, &token));
        assert_eq!(&got["data"], data);
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let ts = got["timestamp"].as_i64().unwrap();
        assert!(
            (now + 540..=now + 600).contains(&ts),
            "expiry {ts}, now {now}"
        );
    }
}

/// A fresh directory under the target directory for key files.
fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "cli-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------------------------
// Issue 12 (security review): regression tests, one per defect, named after it.

/// Defect 2: `sessionlib decode "$COOKIE" && grant_access` must not grant access when
/// the cookie value is an option of the tool. Whatever the token argument is, with
/// empty stdin and a key set, decode (and inspect) exit non-zero and print no data.
#[test]
fn decode_help_as_token_is_not_success() {
    let token = token_at(r#"{"user":"victim"}"#, KEY);
    for value in [
        "--help",
        "-h",
        "--version",
        "-V",
        "--meta",
        "--flask",
        "-",
        "",
        "--",
    ] {
        for command in ["decode", "inspect"] {
            let run = cli(&[command, value]).key(KEY).run();
            assert!(matches!(run.code, 2 | 3), "{command} {value:?}: {run:?}");
        }
        // Help and version after a valid token: still no success, and no data.
        if ["--help", "-h", "--version", "-V"].contains(&value) {
            let run = cli(&["decode", "--now", NOW, &token, value]).key(KEY).run();
            assert_eq!(run.code, 2, "decode TOKEN {value:?}: {run:?}");
            assert!(
                !run.stdout.contains("victim"),
                "decode TOKEN {value:?}: {run:?}"
            );
        }
        // With --flask too.
        let run = cli(&["decode", "--flask", value]).key(KEY).run();
        assert!(
            matches!(run.code, 2 | 3),
            "decode --flask {value:?}: {run:?}"
        );
        // After --, the value is the token: malformed.
        if !value.is_empty() && value != "-" {
            let run = cli(&["decode", "--", value]).key(KEY).run();
            assert_eq!(run.code, 3, "decode -- {value:?}: {run:?}");
        }
    }
    // --help after decode or inspect: the command's help on stdout, exit 2.
    for command in ["decode", "inspect"] {
        let own_help = cli(&["help", command]).ok();
        assert!(own_help.contains(command) && own_help.contains("TOKEN"));
        for flag in ["--help", "-h"] {
            let run = cli(&[command, flag]).key(KEY).run();
            assert_eq!(run.code, 2, "{command} {flag}: {run:?}");
            assert_eq!(run.stdout, own_help, "{command} {flag}");
            let run = cli(&[command, "--", flag]).key(KEY).run();
            assert_eq!(run.code, 3, "{command} -- {flag}: {run:?}");
        }
    }
    // The help itself exits 0.
    let help = cli(&["--help"]).ok();
    assert_eq!(cli(&["help"]).ok(), help);
    for command in ["keygen", "encode", "decode", "inspect"] {
        let own = cli(&["help", command]).ok();
        assert!(own.contains(&format!("sessionlib {command}")), "{own}");
    }
    assert_eq!(
        cli(&["encode", "--help"]).ok(),
        cli(&["help", "encode"]).ok()
    );
    assert_eq!(cli(&["keygen", "-h"]).ok(), cli(&["help", "keygen"]).ok());
    cli(&["help", "frobnicate"]).fails(2);
    // The examples pass tokens from variables after --.
    assert!(help.contains("-- \"$COOKIE\""), "{help}");
    assert!(!help.contains(" \"$COOKIE\"\n") || help.contains("-- \"$COOKIE\"\n"));
    // And with -- a real token decodes.
    let out = cli(&["decode", "--now", NOW, "--", &token]).key(KEY).ok();
    assert_eq!(json_of(&out), json!({"user": "victim"}));
}

/// Defect 2 (the parser): no usage error echoes a value from the command line, whether
/// it was given as an option, an option's value or an extra argument.
#[test]
fn usage_errors_never_echo_argument_values() {
    let token = token_at("{}", KEY);
    // Lower-case and dashes, as an option name would be, but longer than one.
    let lower = "hunter-two-is-my-password-x";
    let mixed = "Hunter2SecretXy";
    for secret in [lower, mixed, token.as_str()] {
        let long = format!("--{secret}");
        let short = format!("-{secret}");
        let inline = format!("--salt={secret}");
        let compress = format!("--compress={secret}");
        let flask = format!("--flask={secret}");
        let cases: Vec<Vec<&str>> = vec![
            vec![secret],
            vec![&long],
            vec![&short],
            vec!["decode", &long],
            vec!["decode", &short, &token],
            vec!["decode", &token, secret],
            vec!["decode", "--now", secret, &token],
            vec!["decode", "--leeway", secret, &token],
            vec!["decode", "--flask", "--max-age", secret, &token],
            vec!["decode", "--flask", "--digest", secret, &token],
            vec!["decode", &inline, &inline, &token],
            vec!["decode", "--meta=x", secret],
            vec!["encode", "--ttl", secret],
            vec!["encode", "--expires-at", secret],
            vec!["encode", &compress],
            vec!["encode", &flask],
            vec!["encode", secret],
            vec!["inspect", &long],
            vec!["inspect", &token, secret],
            vec!["keygen", secret],
            vec!["help", secret],
            vec!["help", "decode", secret],
        ];
        for args in cases {
            let mut run = cli(&args).key(KEY);
            run.secrets.push(secret.to_string());
            let run = run.run();
            assert_eq!(run.code, 2, "{args:?}: {run:?}");
            for piece in [&secret[..8], &secret[secret.len() - 8..]] {
                assert!(!run.stderr.contains(piece), "{args:?}: {run:?}");
            }
        }
    }
}

/// Defect 5: decode escapes every C0 and C1 control character and DEL as `\uXXXX`;
/// the output is still JSON and parses to the same data.
#[test]
fn decode_control_characters_are_escaped() {
    let controls: String = (0u32..=0x1f)
        .chain(0x7f..=0x9f)
        .filter_map(char::from_u32)
        .collect();
    assert_eq!(controls.chars().count(), 65);
    assert!(controls.chars().all(char::is_control));
    let data = json!({
        "all": controls,
        "each": controls.chars().map(|c| format!("<{c}>")).collect::<Vec<_>>(),
        format!("key\u{1b}[31m\u{9b}\u{7f}"): "x\u{1b}]0;title\u{7}",
    });
    // No raw control byte: none of U+0000..U+001F, U+007F..U+009F (a newline ends
    // the line), whichever way the data is printed.
    let clean = |out: &str| {
        let line = out.strip_suffix('\n').expect("one line");
        assert!(!line.chars().any(char::is_control), "{out:?}");
        assert!(!line.bytes().any(|b| b < 0x20 || b == 0x7f), "{out:?}");
    };
    let token = token_at(&data.to_string(), KEY);
    let out = cli(&["decode", "--now", NOW, "--", &token]).key(KEY).ok();
    clean(&out);
    assert_eq!(json_of(&out), data);
    assert!(out.contains(r"\u009b") && out.contains(r"\u007f") && out.contains(r"\u001b"));
    let meta = cli(&["decode", "--meta", "--now", NOW, "--", &token])
        .key(KEY)
        .ok();
    clean(&meta);
    assert_eq!(json_of(&meta)["data"], data);

    // The Flask profile (Flask's JSON is ASCII, but leaves DEL raw).
    let cookie = flask_ok(flask_cli(&["encode", "--now", NOW]).stdin(data.to_string()));
    for args in [
        vec!["decode", "--now", NOW, "--", cookie.trim_end()],
        vec!["decode", "--meta", "--now", NOW, "--", cookie.trim_end()],
    ] {
        let out = flask_ok(flask_cli(&args));
        clean(&out);
        let value = json_of(&out);
        assert_eq!(value.get("data").unwrap_or(&value), &data, "{out}");
    }
    // inspect, with the same function.
    let out = cli(&["inspect", "--", &token]).ok();
    assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
}

/// Defect 3, the tool's half: durations and times at their extremes are a usage error
/// (exit 2), a clean error (1, or 5 for a token they make expired) or the right
/// result, never a panic (exit 101).
#[test]
fn cli_extreme_durations_never_panic() {
    let imax = i64::MAX.to_string();
    let imin = i64::MIN.to_string();
    let umax = u64::MAX.to_string();
    let huge = "9".repeat(40);
    let hundred_years = "3155760000"; // the largest duration accepted
    let time_max = "253402300799"; // 9999-12-31T23:59:59Z
    let time_min = "-377705116800"; // -9999-01-01T00:00:00Z
    let never: Vec<&str> = vec![&imax, &imin, &umax, &huge, "-1", "1e30", "3155760001"];

    let token = token_at(r#"{"n":1}"#, KEY); // expires at NOW + 3600
    let cookie = flask_ok(flask_cli(&["encode", "--now", NOW]).stdin(r#"{"n":1}"#));
    let cookie = cookie.trim_end();

    let expect = |args: &[&str], flask: bool, code: i32| {
        let run = if flask {
            flask_cli(args).stdin("{}").run()
        } else {
            cli(args).key(KEY).stdin("{}").run()
        };
        assert_eq!(run.code, code, "{args:?}: {run:?}");
        run.stdout
    };
    // Durations out of range are usage errors, for every option and command.
    for v in &never {
        expect(&["encode", "--now", NOW, "--ttl", v], false, 2);
        expect(
            &["decode", "--now", NOW, "--leeway", v, "--", &token],
            false,
            2,
        );
        for option in ["--max-age", "--leeway"] {
            expect(&["decode", "--now", NOW, option, v, "--", cookie], true, 2);
        }
    }
    // Times out of range too (those the time library cannot hold).
    for v in [
        &imax,
        &imin,
        &umax,
        &huge,
        &"1e30".to_string(),
        &"253402300800".to_string(),
    ] {
        expect(&["encode", "--now", v], false, 2);
        expect(&["encode", "--expires-at", v], false, 2);
        expect(&["encode", "--now", v], true, 2);
        expect(&["decode", "--now", v, "--", &token], false, 2);
        expect(&["decode", "--now", v, "--", cookie], true, 2);
    }

    // In range: the right answer.
    for ttl in ["0", "1", hundred_years] {
        let out = expect(&["encode", "--now", NOW, "--ttl", ttl], false, 0);
        let meta = cli(&[
            "decode",
            "--meta",
            "--now",
            NOW,
            "--leeway",
            "1",
            out.trim_end(),
        ])
        .key(KEY)
        .ok();
        let expires = 1_700_000_000 + ttl.parse::<i64>().unwrap();
        assert_eq!(json_of(&meta)["expires_at"], json!(expires), "--ttl {ttl}");
    }
    // An expiry past year 9999 means no limit: the last second the format can hold.
    for args in [
        &["encode", "--now", time_max, "--ttl", hundred_years][..],
        &["encode", "--now", time_max][..],
    ] {
        let out = expect(args, false, 0);
        let meta = cli(&["decode", "--meta", "--now", NOW, out.trim_end()])
            .key(KEY)
            .ok();
        assert_eq!(json_of(&meta)["expires_at"], json!(253_402_300_799_i64));
    }
    // An expiry not after 1970 cannot be written: exit 1.
    expect(&["encode", "--now", time_min], false, 1);
    for at in ["0", "-1", time_min] {
        expect(&["encode", "--expires-at", at], false, 1);
    }
    let out = expect(&["encode", "--expires-at", time_max], false, 0);
    let meta = cli(&["decode", "--meta", "--now", NOW, out.trim_end()])
        .key(KEY)
        .ok();
    assert_eq!(json_of(&meta)["expires_at"], json!(253_402_300_799_i64));
    // Flask: a signing time not after 1970 cannot be written; year 9999 can.
    for now in ["0", "-1", time_min] {
        expect(&["encode", "--now", now], true, 1);
    }
    expect(&["encode", "--now", time_max], true, 0);

    // Native decode: leeway up to 100 years, any time in range.
    for leeway in ["0", hundred_years] {
        expect(
            &["decode", "--now", NOW, "--leeway", leeway, "--", &token],
            false,
            0,
        );
        expect(
            &[
                "decode", "--now", time_min, "--leeway", leeway, "--", &token,
            ],
            false,
            0,
        );
        expect(
            &[
                "decode", "--now", time_max, "--leeway", leeway, "--", &token,
            ],
            false,
            5,
        );
    }
    for now in ["-1", "0", time_min] {
        expect(&["decode", "--now", now, "--", &token], false, 0);
    }
    // 100 years of leeway accept a token expired 99 years ago, not 101.
    let years = |n: i64| (1_700_003_600 + n * 31_557_600).to_string();
    let leeway = ["--leeway", hundred_years];
    expect(
        &[
            "decode",
            "--now",
            &years(99),
            leeway[0],
            leeway[1],
            "--",
            &token,
        ],
        false,
        0,
    );
    expect(
        &[
            "decode",
            "--now",
            &years(101),
            leeway[0],
            leeway[1],
            "--",
            &token,
        ],
        false,
        5,
    );

    // Flask decode: the age limits at their extremes, with the clock at its extremes.
    for max_age in ["0", hundred_years] {
        for leeway in ["0", hundred_years] {
            let limits = ["--max-age", max_age, "--leeway", leeway];
            let at = |now: &'static str| {
                let mut args = vec!["decode", "--now", now];
                args.extend(limits);
                args.extend(["--", cookie]);
                args
            };
            expect(&at(NOW), true, 0);
            expect(&at(time_max), true, 5);
            expect(&at(time_min), true, 5);
        }
    }
    // Tokens at the end of time: the largest durations added to the largest times.
    let last = expect(&["encode", "--expires-at", time_max], false, 0);
    let last_cookie = expect(&["encode", "--now", time_max], true, 0);
    for now in [time_max, time_min] {
        let mut args = vec!["decode", "--now", now, "--leeway", hundred_years];
        args.extend(["--", last.trim_end()]);
        expect(&args, false, 0);
        let mut args = vec!["decode", "--now", now, "--max-age", hundred_years];
        args.extend(["--leeway", hundred_years, "--", last_cookie.trim_end()]);
        expect(&args, true, if now == time_max { 0 } else { 5 });
    }
    let mut args = vec![
        "decode",
        "--max-age",
        hundred_years,
        "--leeway",
        hundred_years,
    ];
    args.extend(["--now", "0", "--", cookie]);
    expect(&args, true, 0); // signed 54 years "in the future", within the leeway
    for now in ["-1", "0"] {
        expect(&["decode", "--now", now, "--", cookie], true, 5);
    }
}

// ---- The Django profile (--django) ----

/// Runs the tool with a Django vector's keys: the secret in DJANGO_SECRET_KEY, the
/// fallbacks in DJANGO_FALLBACK_0, 1, ...
fn django_cli(args: &[&str], vector: &Value) -> Cli {
    let mut all: Vec<String> = vec![
        args[0].to_owned(),
        "--django".into(),
        "--key-env".into(),
        "DJANGO_SECRET_KEY".into(),
    ];
    let fallbacks = vector["fallbacks"].as_array().cloned().unwrap_or_default();
    for i in 0..fallbacks.len() {
        all.push("--fallback-key-env".into());
        all.push(format!("DJANGO_FALLBACK_{i}"));
    }
    all.extend(args[1..].iter().map(|a| a.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let secret = vector["secret_key"].as_str().unwrap();
    let mut run = cli(&all).env("DJANGO_SECRET_KEY", secret);
    run.secrets.push(secret.to_owned());
    for (i, fallback) in fallbacks.iter().enumerate() {
        let fallback = fallback.as_str().unwrap();
        run = run.env(&format!("DJANGO_FALLBACK_{i}"), fallback);
        run.secrets.push(fallback.to_owned());
    }
    run
}

fn django_vectors() -> Value {
    serde_json::from_str(include_str!("../vectors/django.json")).unwrap()
}

/// Every token Django made decodes to Django's data, with the key that signed it, and
/// every uncompressed one is made again byte for byte.
#[test]
fn django_vectors_decode_and_encode() {
    let vectors = django_vectors();
    for v in vectors["valid"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        let now = v["now"].to_string();
        let salt = v["salt"].as_str().unwrap();
        let token = v["token"].as_str().unwrap();
        let out = django_cli(
            &[
                "decode", "--meta", "--now", &now, "--salt", salt, "--", token,
            ],
            v,
        )
        .run();
        assert_eq!(out.code, 0, "{name}: {out:?}");
        let meta: Value = serde_json::from_str(&out.stdout).unwrap();
        let expected: Value = serde_json::from_str(v["json"].as_str().unwrap()).unwrap();
        assert_eq!(meta["data"], expected, "{name}");
        assert_eq!(meta["key"], v["key_used"], "{name}");
        assert_eq!(meta["signed_at"], v["signed_at"], "{name}");
        if v["compressed"] == json!(false)
            && v["compress"] == json!(true)
            && v["fallbacks"] == json!([])
        {
            let signed_at = v["signed_at"].to_string();
            let again = django_cli(&["encode", "--now", &signed_at, "--salt", salt], v)
                .stdin(v["json"].as_str().unwrap())
                .run();
            assert_eq!(again.code, 0, "{name}: {again:?}");
            assert_eq!(again.stdout.trim_end(), token, "{name}: byte for byte");
        }
    }
}

/// Tokens Django or sessionlib refuse: a clean exit code, never success or a panic.
#[test]
fn django_invalid_vectors_fail_cleanly() {
    let vectors = django_vectors();
    for v in vectors["invalid"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        let now = v["now"].to_string();
        let max_age = v["max_age"].to_string();
        let salt = v["salt"].as_str().unwrap();
        let token = v["token"].as_str().unwrap();
        let out = django_cli(
            &[
                "decode",
                "--now",
                &now,
                "--max-age",
                &max_age,
                "--salt",
                salt,
                "--",
                token,
            ],
            v,
        )
        .run();
        let expected = match v["error"].as_str().unwrap() {
            "Malformed" | "DecompressionLimit" => 3,
            "InvalidSignature" => 4,
            "Expired" | "NotYetValid" => 5,
            _ => 1,
        };
        assert_eq!(out.code, expected, "{name}: {out:?}");
        assert!(out.stdout.is_empty(), "{name}");
    }
}

/// `encode --django` and `decode --django` round-trip; the options that belong to
/// other profiles are usage errors; `inspect` reads a Django token without a key.
#[test]
fn django_round_trip_options_and_inspect() {
    let keys = json!({"secret_key": "django dev secret", "fallbacks": []});
    let token = django_cli(&["encode", "--now", NOW], &keys)
        .stdin(r#"{"_auth_user_id": "7", "cart": ["tea"]}"#)
        .run();
    assert_eq!(token.code, 0, "{token:?}");
    assert!(
        token.stderr.contains("only 17 bytes"),
        "short Django keys are accepted with a warning"
    );
    let token = token.stdout.trim_end().to_owned();
    assert_eq!(token.matches(':').count(), 2, "{token}");
    let out = django_cli(&["decode", "--now", NOW, "--", &token], &keys).run();
    assert_eq!(
        out.stdout.trim_end(),
        r#"{"_auth_user_id":"7","cart":["tea"]}"#
    );
    // Django's SESSION_COOKIE_AGE: one second past it is expired.
    let late = (1_700_000_000 + 1_209_601).to_string();
    assert_eq!(
        django_cli(&["decode", "--now", &late, "--", &token], &keys)
            .run()
            .code,
        5
    );
    let out = django_cli(
        &[
            "decode",
            "--now",
            &late,
            "--max-age",
            "1209601",
            "--",
            &token,
        ],
        &keys,
    )
    .run();
    assert_eq!(out.code, 0, "{out:?}");
    // Another salt (purpose) or key: an invalid signature.
    let out = django_cli(
        &[
            "decode",
            "--now",
            NOW,
            "--salt",
            "django.core.signing",
            "--",
            &token,
        ],
        &keys,
    )
    .run();
    assert_eq!(out.code, 4);
    let other = json!({"secret_key": "another django secret", "fallbacks": []});
    assert_eq!(
        django_cli(&["decode", "--now", NOW, "--", &token], &other)
            .run()
            .code,
        4
    );
    // Options of other profiles.
    for args in [
        &["encode", "--flask"][..],
        &["encode", "--sealed"][..],
        &["encode", "--ttl", "60"][..],
        &["decode", "--digest", "sha1", "--", &token][..],
        &["decode", "--sealed", "--", &token][..],
    ] {
        assert_eq!(
            django_cli(args, &keys).stdin("{}").run().code,
            2,
            "{args:?}"
        );
    }
    assert_eq!(
        cli(&["decode", "--max-age", "60", "--", &token])
            .key(KEY)
            .run()
            .code,
        2
    );
    // inspect: no key, every line UNVERIFIED, the data and the signing time.
    let seen = cli(&["inspect", "--", &token]).ok();
    assert!(seen.lines().all(|l| l.starts_with("UNVERIFIED ")), "{seen}");
    assert!(seen.contains("as a Django token"), "{seen}");
    assert!(seen.contains("\"_auth_user_id\": \"7\""), "{seen}");
    assert!(
        seen.contains("timestamp: 1700000000 = 2023-11-14T22:13:20Z (the signing time)"),
        "{seen}"
    );
    let broken = token.replacen(':', "::", 1);
    assert_eq!(cli(&["inspect", "--", &broken]).run().code, 3);
}

/// `--iron`: encode and decode Iron tokens with the password from a variable, the
/// packages' vectors read back, the exit codes of the other profiles, and `inspect`
/// showing no data.
#[test]
fn iron_encode_decode_inspect() {
    const PW: &str = "iron-session password number one, 32+ chars";
    const PW2: &str = "the rotated password: number two, also 32+";
    let iron = |args: &[&str]| cli(args).env("SESSIONLIB_IRON_PASSWORD", PW);
    let token = iron(&["encode", "--iron", "--now", NOW, "--ttl", "3600"])
        .stdin(r#"{"user":{"id":7}}"#)
        .ok();
    let token = token.trim();
    assert!(token.starts_with("Fe26.2*1*") && token.ends_with("~2"));
    let meta: Value = serde_json::from_str(
        &iron(&["decode", "--iron", "--meta", "--now", NOW, "--", token]).ok(),
    )
    .unwrap();
    assert_eq!(
        meta,
        json!({"data": {"user": {"id": 7}}, "expires_at": 1_700_003_600,
               "expires_at_ms": 1_700_003_600_000u64, "password_id": "1", "key": "primary"})
    );
    // Expired 60 s (the skew) after the expiration; --leeway changes the skew.
    iron(&["decode", "--iron", "--now", "1700003660", "--", token]).fails(5);
    iron(&["decode", "--iron", "--now", "1700003659", "--", token]).ok();
    iron(&[
        "decode",
        "--iron",
        "--leeway",
        "0",
        "--now",
        "1700003600",
        "--",
        token,
    ])
    .fails(5);
    iron(&[
        "decode",
        "--iron",
        "--now",
        NOW,
        "--",
        &token.replace("~2", ""),
    ])
    .fails(3);
    iron(&["decode", "--iron", "--bare", "--now", NOW, "--", token]).fails(3);
    cli(&["decode", "--iron", "--now", NOW, "--", token])
        .env("SESSIONLIB_IRON_PASSWORD", PW2)
        .fails(4);
    // A password map: the highest id seals, the old one opens (fallback:0).
    let map = format!(r#"{{"1": "{PW}", "2": "{PW2}"}}"#);
    let meta: Value = serde_json::from_str(
        &cli(&[
            "decode",
            "--iron",
            "--meta",
            "--now",
            NOW,
            "--password-env",
            "MAP",
            "--",
            token,
        ])
        .env("MAP", &map)
        .ok(),
    )
    .unwrap();
    assert_eq!(meta["key"], "fallback:0");
    // A vector made by iron-session.
    let doc = common::vectors("iron.json");
    let vector = doc["valid"][0]["token"].as_str().unwrap();
    let out = iron(&["decode", "--iron", "--now", NOW, "--", vector]).ok();
    assert_eq!(
        out.trim(),
        doc["valid"][0]["json"].as_str().unwrap().replace(
            r#"{"id":7,"name":"cobra","isLoggedIn":true}"#,
            r#"{"id":7,"isLoggedIn":true,"name":"cobra"}"#
        )
    );
    // Usage errors.
    iron(&["decode", "--iron", "--key-env", "X", "--", token]).fails(2);
    iron(&["encode", "--iron", "--flask"]).fails(2);
    cli(&["decode", "--bare", "--", token]).fails(2);
    cli(&["decode", "--iron", "--", token])
        .env("SESSIONLIB_IRON_PASSWORD", "short")
        .fails(1);
    // inspect shows the id and expiration, never the data.
    let seen = cli(&["inspect", "--", token]).ok();
    assert!(seen.contains("password id: \"1\""), "{seen}");
    assert!(
        seen.contains("1700003600000 ms = 2023-11-14T23:13:20Z"),
        "{seen}"
    );
    assert!(!seen.contains("user"), "{seen}");
    assert!(seen.lines().all(|l| l.starts_with("UNVERIFIED ")));
    cli(&["inspect", "--", &token[..60]]).fails(3);
}
