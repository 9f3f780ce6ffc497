//! A Rust service beside a Django app: it reads the login the Django app put in its
//! signed-cookie session (`sessionid`), serves Rust routes for it, and can change the
//! session so that the Django app sees the change (for moving an app to Rust route by
//! route).
//!
//! ```text
//! DJANGO_SECRET_KEY='the Django SECRET_KEY' cargo run --features django --example django_bridge
//! ```
//!
//! The Django app must use `SESSION_ENGINE =
//! "django.contrib.sessions.backends.signed_cookies"` (and, to share messages,
//! `MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"`). Both
//! apps must be reached under the same host name (cookies are shared between ports of
//! a host, or put both behind one reverse proxy).
//!
//! Environment variables:
//!
//! - `DJANGO_SECRET_KEY` (required): the Django app's `SECRET_KEY`.
//! - `DJANGO_SECRET_KEY_FALLBACKS`: the Django app's `SECRET_KEY_FALLBACKS`, separated
//!   by commas. Sessions signed with one of them are accepted and re-issued with
//!   `DJANGO_SECRET_KEY`.
//! - `SESSION_COOKIE_NAME`: Django's `SESSION_COOKIE_NAME`. Default `sessionid`.
//! - `PORT`: the port to listen on, on 127.0.0.1 only. Default 8001.
//!
//! Routes:
//!
//! - `GET /`: "Hello, user ID (from Rust)" for the user Django logged in
//!   (`_auth_user_id`), after any pending `django.contrib.messages` messages (which
//!   are then consumed, as displaying them in Django does); "Not logged in" otherwise.
//! - `GET /state`: the session's `_auth_user_id`, `counter` and `trail` as JSON, and
//!   which key verified the cookie.
//! - `GET /bump`: adds one to `counter` and appends `"rust"` to `trail`.
//! - `GET /message`: adds the success message "Hello from Rust" for Django to show.
//!
//! The cookie is written as Django writes it (HttpOnly, Path=/, SameSite=Lax, Max-Age
//! of `SESSION_COOKIE_AGE`; `Secure` off, as in Django's default settings, since this
//! example serves plain HTTP on 127.0.0.1: turn it on with `SESSION_COOKIE_SECURE`
//! behind HTTPS).
//!
//! This example trusts `_auth_user_id` as Django wrote it. Django also checks
//! `_auth_user_hash` against the user's current password on every request; a Rust
//! route that has the user's password field can do the same with
//! `sessionlib::django::verify_session_auth_hash`.
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
use serde_json::{json, Value};
use sessionlib::cookies::{Cookie, SameSite};
use sessionlib::django::{self, DjangoCodec, DjangoSession, Message};
use sessionlib::KeyUsed;

#[derive(Clone)]
struct Bridge {
    codec: DjangoCodec,
    cookie_name: String,
}

/// The Django session of a request: empty when there is none or it does not verify.
struct Loaded {
    session: DjangoSession,
    key_used: Option<KeyUsed>,
}

impl Loaded {
    /// Whether the cookie should be re-issued even if unchanged (signed by a fallback).
    fn reissue(&self) -> bool {
        self.key_used.is_some_and(|k| k.is_fallback())
    }
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
            .decode_header::<DjangoSession>(joined.join(&b"; "[..]), &self.cookie_name)
        {
            Ok(Some(verified)) => Loaded {
                key_used: Some(verified.key_used),
                session: verified.data,
            },
            Ok(None) => Loaded {
                session: DjangoSession::new(),
                key_used: None,
            },
            Err(e) => {
                // Never the cookie itself: errors carry no token or data.
                eprintln!("django session refused: {e}");
                Loaded {
                    session: DjangoSession::new(),
                    key_used: None,
                }
            }
        }
    }

    /// The response with the session written back as Django's session cookie.
    fn save(&self, session: &DjangoSession, body: impl IntoResponse) -> Response {
        let token = match self.codec.encode(session) {
            Ok(token) => token,
            Err(e) => {
                eprintln!("django session not saved: {e}");
                return (StatusCode::INTERNAL_SERVER_ERROR, "session not saved").into_response();
            }
        };
        let cookie = Cookie::build((self.cookie_name.clone(), token))
            .http_only(true)
            .path("/")
            .same_site(SameSite::Lax)
            .max_age(self.codec.max_age());
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
        if loaded.reissue() {
            self.save(&loaded.session, body)
        } else {
            body.into_response()
        }
    }
}

/// Django's default tag for a message level (`messages.DEFAULT_TAGS`).
fn level_tag(level: i64) -> &'static str {
    match level {
        django::level::DEBUG => "debug",
        django::level::INFO => "info",
        django::level::SUCCESS => "success",
        django::level::WARNING => "warning",
        django::level::ERROR => "error",
        _ => "",
    }
}

async fn index(State(bridge): State<Bridge>, headers: HeaderMap) -> Response {
    let mut loaded = bridge.load(&headers);
    let messages = django::take_messages(&mut loaded.session);
    let mut text = String::new();
    for m in &messages {
        text.push_str(&format!("[{}] {}\n", level_tag(m.level), m.message));
    }
    match django::auth_user(&loaded.session) {
        Some(user) => text.push_str(&format!("Hello, user {} (from Rust)\n", user.user_id)),
        None => text.push_str("Not logged in\n"),
    }
    if messages.is_empty() {
        bridge.maybe_save(&loaded, text)
    } else {
        bridge.save(&loaded.session, text)
    }
}

async fn state(State(bridge): State<Bridge>, headers: HeaderMap) -> Response {
    let loaded = bridge.load(&headers);
    let s = &loaded.session;
    let body = Json(json!({
        "user_id": django::auth_user(s).map(|u| u.user_id),
        "counter": s.get("counter"),
        "trail": s.get("trail"),
        "key_used": loaded.key_used.map(|k| k.to_string()),
    }));
    bridge.maybe_save(&loaded, body)
}

async fn bump(State(bridge): State<Bridge>, headers: HeaderMap) -> Response {
    let mut session = bridge.load(&headers).session;
    let counter = session.get("counter").and_then(Value::as_i64).unwrap_or(0) + 1;
    session.insert("counter".into(), counter.into());
    let mut trail = match session.remove("trail") {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    trail.push("rust".into());
    session.insert("trail".into(), Value::Array(trail));
    bridge.save(&session, Json(json!({ "counter": counter })))
}

async fn add_message(State(bridge): State<Bridge>, headers: HeaderMap) -> Response {
    let mut session = bridge.load(&headers).session;
    django::add_message(
        &mut session,
        Message::new(django::level::SUCCESS, "Hello from Rust"),
    );
    bridge.save(&session, "added\n")
}

fn bridge_from_env() -> Result<Bridge, String> {
    let secret = std::env::var("DJANGO_SECRET_KEY")
        .map_err(|_| "DJANGO_SECRET_KEY must be set to the Django app's SECRET_KEY".to_string())?;
    let fallbacks = std::env::var("DJANGO_SECRET_KEY_FALLBACKS").unwrap_or_default();
    let fallbacks: Vec<&str> = fallbacks.split(',').filter(|f| !f.is_empty()).collect();
    if secret.len() < sessionlib::Key::MIN_LEN {
        eprintln!(
            "WARNING: DJANGO_SECRET_KEY is shorter than {} bytes; a short key can be guessed \
             from one cookie. Rotate to a longer one (SECRET_KEY_FALLBACKS helps).",
            sessionlib::Key::MIN_LEN
        );
    }
    let codec =
        DjangoCodec::from_django_settings(&secret, &fallbacks).map_err(|e| e.to_string())?;
    let cookie_name =
        std::env::var("SESSION_COOKIE_NAME").unwrap_or_else(|_| django::SESSION_COOKIE_NAME.into());
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
        .route("/message", get(add_message))
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
