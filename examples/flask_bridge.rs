//! A Rust service beside a Flask app: it reads the login the Flask app put in its
//! `session` cookie, serves Rust routes for it, and can change the session so that the
//! Flask app sees the change (for moving an app to Rust route by route).
//!
//! ```text
//! FLASK_SECRET_KEY='the Flask app SECRET_KEY' cargo run --features flask --example flask_bridge
//! ```
//!
//! Both apps must be reached under the same host name (cookies are shared between
//! ports of a host, or put both behind one reverse proxy).
//!
//! Environment variables:
//!
//! - `FLASK_SECRET_KEY` (required): the Flask app's `SECRET_KEY`, as its raw bytes.
//! - `FLASK_SECRET_KEY_FALLBACKS`: the Flask app's `SECRET_KEY_FALLBACKS`, separated by
//!   commas. Cookies signed with one of them are accepted and re-issued with
//!   `FLASK_SECRET_KEY`.
//! - `SESSION_COOKIE_NAME`: Flask's `SESSION_COOKIE_NAME`. Default `session`.
//! - `PORT`: the port to listen on, on 127.0.0.1 only. Default 8001.
//!
//! Routes:
//!
//! - `GET /`: "Hello, NAME (from Rust)" for the user Flask logged in (`user_id` in the
//!   session), with any flash messages (which are then consumed, as Flask's
//!   `get_flashed_messages` does); "Not logged in" otherwise.
//! - `GET /state`: the session's `user_id`, `counter` and `trail` as JSON, and which
//!   key verified the cookie.
//! - `GET /bump`: adds one to `counter` and appends `"rust"` to `trail`.
//! - `GET /flash`: adds the flash message "Hello from Rust" for the Flask app to show.
//!
//! The cookie is written as Flask writes it (HttpOnly, Path=/, SameSite=Lax; Expires
//! when the session is permanent), signed with HMAC-SHA1 as Flask does.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use sessionlib::cookies::{Cookie, SameSite};
use sessionlib::flask::{self, FlaskCodec, FlaskSession, FlaskValue};
use sessionlib::KeyUsed;

#[derive(Clone)]
struct Bridge {
    codec: FlaskCodec,
    cookie_name: String,
}

/// The Flask session of a request: empty when there is none or it does not verify.
struct Loaded {
    session: FlaskSession,
    /// Whether the cookie should be re-issued even if unchanged (signed by a fallback).
    reissue: bool,
}

impl Bridge {
    fn load(&self, headers: &HeaderMap) -> Loaded {
        let joined: Vec<&[u8]> = headers
            .get_all(header::COOKIE)
            .iter()
            .map(HeaderValue::as_bytes)
            .collect();
        match self
            .codec
            .decode_header(joined.join(&b"; "[..]), &self.cookie_name)
        {
            Ok(Some(verified)) => Loaded {
                reissue: verified.key_used != KeyUsed::Primary,
                session: verified.data,
            },
            Ok(None) => Loaded {
                session: FlaskSession::new(),
                reissue: false,
            },
            Err(e) => {
                // Never the cookie itself: errors carry no token or data.
                eprintln!("flask session refused: {e}");
                Loaded {
                    session: FlaskSession::new(),
                    reissue: false,
                }
            }
        }
    }

    /// The response with the session written back as a Flask cookie.
    fn save(&self, session: &FlaskSession, body: impl IntoResponse) -> Response {
        let now = time::OffsetDateTime::now_utc();
        let token = match self.codec.encode_at(session, now) {
            Ok(token) => token,
            Err(e) => {
                eprintln!("flask session not saved: {e}");
                return (StatusCode::INTERNAL_SERVER_ERROR, "session not saved").into_response();
            }
        };
        let mut cookie = Cookie::build((self.cookie_name.clone(), token))
            .http_only(true)
            .path("/")
            .same_site(SameSite::Lax);
        // Flask sends Expires only for permanent sessions, at its maximum age.
        if session.get("_permanent").and_then(FlaskValue::as_bool) == Some(true) {
            cookie = cookie.expires(now + flask::DEFAULT_MAX_AGE);
        }
        let mut response = body.into_response();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::try_from(cookie.build().to_string()) {
            headers.append(header::SET_COOKIE, value);
            headers.append(header::VARY, HeaderValue::from_static("Cookie"));
            headers.append(header::CACHE_CONTROL, HeaderValue::from_static("private"));
        }
        response
    }

    /// Re-issues the cookie only when it was signed by a fallback key.
    fn maybe_save(&self, loaded: &Loaded, body: impl IntoResponse) -> Response {
        if loaded.reissue {
            self.save(&loaded.session, body)
        } else {
            body.into_response()
        }
    }
}

async fn index(State(bridge): State<Bridge>, headers: HeaderMap) -> Response {
    let mut loaded = bridge.load(&headers);
    let flashes = flask::take_flashes(&mut loaded.session);
    let mut text = String::new();
    for (category, message) in &flashes {
        text.push_str(&format!("[{category}] {message}\n"));
    }
    match loaded.session.get("user_id").and_then(FlaskValue::as_str) {
        Some(user) => text.push_str(&format!("Hello, {user} (from Rust)\n")),
        None => text.push_str("Not logged in\n"),
    }
    if flashes.is_empty() {
        bridge.maybe_save(&loaded, text)
    } else {
        bridge.save(&loaded.session, text)
    }
}

async fn state(State(bridge): State<Bridge>, headers: HeaderMap) -> Response {
    let loaded = bridge.load(&headers);
    let s = &loaded.session;
    let trail: Vec<&str> = s
        .get("trail")
        .and_then(FlaskValue::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(FlaskValue::as_str)
        .collect();
    let body = Json(json!({
        "user_id": s.get("user_id").and_then(FlaskValue::as_str),
        "counter": s.get("counter").and_then(FlaskValue::as_i64),
        "trail": trail,
        "keys": s.keys().collect::<Vec<_>>(),
    }));
    bridge.maybe_save(&loaded, body)
}

async fn bump(State(bridge): State<Bridge>, headers: HeaderMap) -> Response {
    let mut session = bridge.load(&headers).session;
    let counter = session
        .get("counter")
        .and_then(FlaskValue::as_i64)
        .unwrap_or(0)
        + 1;
    session.insert("counter".into(), counter.into());
    let mut trail = match session.remove("trail") {
        Some(FlaskValue::List(items)) => items,
        _ => Vec::new(),
    };
    trail.push("rust".into());
    session.insert("trail".into(), FlaskValue::List(trail.clone()));
    let trail: Vec<&str> = trail.iter().filter_map(FlaskValue::as_str).collect();
    let body = Json(json!({"counter": counter, "trail": trail}));
    bridge.save(&session, body)
}

async fn add_flash(State(bridge): State<Bridge>, headers: HeaderMap) -> Response {
    let mut session = bridge.load(&headers).session;
    flask::flash(&mut session, "message", "Hello from Rust");
    bridge.save(&session, "flashed\n")
}

fn bridge_from_env() -> Result<Bridge, String> {
    let secret = std::env::var("FLASK_SECRET_KEY")
        .map_err(|_| "FLASK_SECRET_KEY must be set to the Flask app's SECRET_KEY".to_string())?;
    let fallbacks = std::env::var("FLASK_SECRET_KEY_FALLBACKS").unwrap_or_default();
    let fallbacks: Vec<&[u8]> = fallbacks
        .split(',')
        .filter(|f| !f.is_empty())
        .map(str::as_bytes)
        .collect();
    if secret.len() < sessionlib::Key::MIN_LEN {
        eprintln!(
            "WARNING: FLASK_SECRET_KEY is shorter than {} bytes; a short key can be guessed \
             from one cookie. Rotate to a longer one (SECRET_KEY_FALLBACKS helps).",
            sessionlib::Key::MIN_LEN
        );
    }
    let codec =
        FlaskCodec::from_flask_config(secret.as_bytes(), &fallbacks).map_err(|e| e.to_string())?;
    let cookie_name = std::env::var("SESSION_COOKIE_NAME").unwrap_or_else(|_| "session".into());
    Ok(Bridge { codec, cookie_name })
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let bridge = bridge_from_env().unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    let port: u16 = match std::env::var("PORT") {
        Ok(text) => text.parse().unwrap_or_else(|_| {
            eprintln!("error: PORT must be a port number");
            std::process::exit(2);
        }),
        Err(_) => 8001,
    };
    let app = Router::new()
        .route("/", get(index))
        .route("/state", get(state))
        .route("/bump", get(bump))
        .route("/flash", get(add_flash))
        .with_state(bridge);
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    println!("listening on http://127.0.0.1:{port}");
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
